import MockModel
@testable import MockServer
import MySQLWire
import NIOCore
import Testing

@Suite("Classic response encoder")
struct ClassicResponseEncoderTests {
    /// The payloads of the packets `response` is written as, for a client with `capabilities`.
    func payloads(_ response: StatementResponse, capabilities: CapabilityFlags = [.protocol41, .deprecateEOF])
        throws -> [[UInt8]]
    {
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: 1)
        ClassicResponseEncoder(capabilities: capabilities).write(response, to: &writer)
        var framer = PacketFramer()
        var payloads: [[UInt8]] = []
        while let packet = try framer.nextPacket(from: &writer.buffer) { payloads.append(Array(buffer: packet.payload)) }
        return payloads
    }

    @Test("text rows carry each cell's bytes length-encoded, any bytes, and 0xFB for NULL")
    func rowBytes() throws {
        let result = ResultSet(columns: [Column(name: "b", type: 252), Column(name: "t", type: 253)],
                               rows: [[.bytes([0x00, 0xFF, 0xC3, 0x28]), "é"], [nil, .bytes([])]])
        let packets = try payloads(.result(result))
        // column count, two definitions, two rows, the OK that ends the rows (CLIENT_DEPRECATE_EOF).
        #expect(packets.count == 6)
        #expect(packets[3] == [4, 0x00, 0xFF, 0xC3, 0x28, 2, 0xC3, 0xA9])
        #expect(packets[4] == [0xFB, 0])
    }

    @Test("a result that ends in an error: metadata, rows, then the ERR where the EOF or OK would be, text and binary",
          arguments: [CapabilityFlags([.protocol41, .deprecateEOF]), [.protocol41]], [false, true])
    func errorAfterRows(capabilities: CapabilityFlags, binary: Bool) throws {
        let result = ResultSet(columns: [Column(name: "a", type: 8)], rows: [["1"], ["2"]],
                               error: ErrorResponse(code: 1242, sqlState: "21000", message: "Subquery returns more than 1 row"))
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: 1)
        ClassicResponseEncoder(capabilities: capabilities, binary: binary).write(.result(result), to: &writer)
        var framer = PacketFramer()
        var packets: [[UInt8]] = []
        while let packet = try framer.nextPacket(from: &writer.buffer) { packets.append(Array(buffer: packet.payload)) }
        let eof = capabilities.contains(.deprecateEOF) ? 0 : 1
        // count, definition, [EOF], two rows, ERR: no end-of-rows packet.
        #expect(packets.count == 5 + eof)
        #expect(packets.dropLast().allSatisfy { $0.first != 0xFF })
        #expect(packets.filter { $0.first == 0xFE && $0.count < 9 }.count == eof)
        let err = try #require(packets.last)
        #expect(err.prefix(3) == [0xFF, 0xDA, 0x04])  // 1242, little-endian
        #expect(String(decoding: err, as: UTF8.self).hasSuffix("#21000Subquery returns more than 1 row"))
    }

    @Test("binary rows: each cell's text as its column type's binary value; a cell the type cannot carry is an ERR")
    func binaryRows() throws {
        let columns = [Column(name: "t", type: 11), Column(name: "d", type: 12), Column(name: "s", type: 2),
                       Column(name: "b", type: 252)]
        let result = ResultSet(columns: columns, rows: [["-01:02:03.5", "2024-01-02 03:04:05", "-2", .bytes([0xFF])]])
        var encoder = ClassicResponseEncoder(capabilities: [.protocol41, .deprecateEOF])
        encoder.binary = true
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: 1)
        encoder.write(.result(result), to: &writer)
        var framer = PacketFramer()
        var packets: [[UInt8]] = []
        while let packet = try framer.nextPacket(from: &writer.buffer) { packets.append(Array(buffer: packet.payload)) }
        // count, 4 definitions, the row, the end.
        #expect(packets.count == 7)
        #expect(packets[5] == [0, 0,
                               12, 1, 0, 0, 0, 0, 1, 2, 3, 0x20, 0xA1, 0x07, 0x00,  // TIME -01:02:03.500000
                               7, 0xE8, 0x07, 1, 2, 3, 4, 5,  // DATETIME without fraction: 7 bytes
                               0xFE, 0xFF,  // SHORT -2
                               1, 0xFF])
        var bad = PacketWriter(buffer: ByteBuffer(), sequenceID: 1)
        encoder.write(.result(ResultSet(columns: [Column(name: "n", type: 1)], rows: [["300"]])), to: &bad)
        let err = try #require(try framer.nextPacket(from: &bad.buffer))
        #expect(err.payload.getInteger(at: 0, as: UInt8.self) == 0xFF)
        #expect(String(buffer: err.payload).contains("cell \"300\" of column `n` is not a valid TINY value"))
    }
}
