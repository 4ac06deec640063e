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
}
