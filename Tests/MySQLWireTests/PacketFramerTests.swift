import MySQLWire
import NIOCore
import Testing

@Suite("Packet framing")
struct PacketFramerTests {
    func frame(_ payload: [UInt8], seq: UInt8) -> [UInt8] {
        let n = payload.count
        return [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n >> 16), seq] + payload
    }

    @Test("reads a packet only once all its bytes are there")
    func partial() throws {
        var framer = PacketFramer()
        let bytes = frame([0x03, 0x41, 0x42], seq: 0)
        var buffer = ByteBuffer(bytes: bytes.prefix(5))
        #expect(try framer.nextPacket(from: &buffer) == nil)
        buffer.writeBytes(bytes.dropFirst(5))
        let packet = try #require(try framer.nextPacket(from: &buffer))
        #expect(packet.sequenceID == 0)
        #expect(Array(packet.payload.readableBytesView) == [0x03, 0x41, 0x42])
        #expect(buffer.readableBytes == 0)
    }

    @Test("two packets in one read come out one by one")
    func twoPackets() throws {
        var framer = PacketFramer()
        var buffer = ByteBuffer(bytes: frame([0x0E], seq: 0) + frame([0x01], seq: 0))
        #expect(try framer.nextPacket(from: &buffer)?.payload == ByteBuffer(bytes: [0x0E]))
        #expect(try framer.nextPacket(from: &buffer)?.payload == ByteBuffer(bytes: [0x01]))
        #expect(try framer.nextPacket(from: &buffer) == nil)
    }

    @Test("payloads of 0xFFFFFF bytes and more are reassembled from consecutive frames",
          arguments: [0xFF_FFFF, 0xFF_FFFF + 1, 2 * 0xFF_FFFF, 20 << 20])
    func fragments(size: Int) throws {
        var payload = ByteBuffer()
        payload.writeRepeatingByte(0x61, count: size)
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: 3)
        writer.writePacket(payload: payload)
        let fragments = size / 0xFF_FFFF + 1
        #expect(writer.buffer.readableBytes == size + 4 * fragments)
        #expect(writer.sequenceID == 3 &+ UInt8(fragments))
        // The last header says how much is left (0 when size is a multiple of 0xFFFFFF).
        var framer = PacketFramer(maxPacketSize: 64 << 20)
        var buffer = writer.buffer
        let packet = try #require(try framer.nextPacket(from: &buffer))
        #expect(packet.payload.readableBytes == size)
        #expect(packet.sequenceID == 3)
        #expect(packet.lastSequenceID == 3 &+ UInt8(fragments - 1))
        #expect(buffer.readableBytes == 0)
    }

    @Test("a header declaring more than the maximum is refused before its bytes arrive")
    func tooLarge() {
        var framer = PacketFramer(maxPacketSize: 1024)
        var buffer = ByteBuffer(bytes: [0x01, 0x04, 0x00, 0x00])  // 1025 bytes declared
        #expect(throws: MySQLWireError.self) { try framer.nextPacket(from: &buffer) }
        do {
            _ = try framer.nextPacket(from: &buffer)
        } catch {
            #expect(error.code == .packetTooLarge)
        }
    }

    @Test("fragments must have consecutive sequence ids")
    func fragmentOrder() throws {
        var framer = PacketFramer(maxPacketSize: 64 << 20)
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0x00])
        buffer.writeRepeatingByte(0, count: 0xFF_FFFF)
        buffer.writeBytes([0x01, 0x00, 0x00, 0x05, 0x00])
        do {
            _ = try framer.nextPacket(from: &buffer)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .sequenceOutOfOrder)
        }
    }

    @Test("the writer numbers packets and wraps at 255")
    func sequenceWrap() {
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: 255)
        writer.writePacket { $0.writeInteger(UInt8(1)) }
        writer.writePacket { $0.writeInteger(UInt8(2)) }
        #expect(Array(writer.buffer.readableBytesView) == [1, 0, 0, 255, 1, 1, 0, 0, 0, 2])
    }
}
