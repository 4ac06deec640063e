import MySQLWire
import NIOCore
import Testing

@Suite("Length-encoded integers and strings")
struct ByteBufferMySQLTests {
    static let boundaries: [(UInt64, [UInt8])] = [
        (0, [0x00]),
        (250, [0xFA]),
        (251, [0xFC, 0xFB, 0x00]),
        (0xFFFF, [0xFC, 0xFF, 0xFF]),
        (0x1_0000, [0xFD, 0x00, 0x00, 0x01]),
        (0xFF_FFFF, [0xFD, 0xFF, 0xFF, 0xFF]),
        (0x100_0000, [0xFE, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]),
        (UInt64.max, [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
    ]

    @Test("int<lenenc> uses the shortest form at each boundary", arguments: boundaries)
    func lengthEncodedInteger(value: UInt64, bytes: [UInt8]) {
        var buffer = ByteBuffer()
        buffer.writeLengthEncodedInteger(value)
        #expect(Array(buffer.readableBytesView) == bytes)
        #expect(buffer.readLengthEncodedInteger() == value)
        #expect(buffer.readableBytes == 0)
    }

    @Test("a truncated or invalid int<lenenc> reads nil and leaves the reader index alone",
          arguments: [[], [0xFC, 0x01], [0xFD, 0, 0], [0xFE, 1, 2, 3], [0xFB], [0xFF]] as [[UInt8]])
    func truncatedInteger(bytes: [UInt8]) {
        var buffer = ByteBuffer(bytes: bytes)
        #expect(buffer.readLengthEncodedInteger() == nil)
        #expect(buffer.readerIndex == 0)
    }

    @Test("string<lenenc> round-trips; a length past the end reads nil")
    func lengthEncodedString() {
        var buffer = ByteBuffer()
        buffer.writeLengthEncodedString("héllo")
        #expect(buffer.getInteger(at: 0, as: UInt8.self) == 6)
        #expect(buffer.readLengthEncodedString() == "héllo")
        var short = ByteBuffer(bytes: [5, 0x61, 0x62])
        #expect(short.readLengthEncodedString() == nil)
        #expect(short.readerIndex == 0)
    }

    @Test("string<NUL> needs its terminator")
    func nullTerminated() {
        var buffer = ByteBuffer(bytes: Array("root".utf8) + [0, 0x41])
        #expect(buffer.readNullTerminatedString() == "root")
        #expect(buffer.readableBytes == 1)
        var open = ByteBuffer(bytes: Array("root".utf8))
        #expect(open.readNullTerminatedString() == nil)
        #expect(open.readerIndex == 0)
    }
}
