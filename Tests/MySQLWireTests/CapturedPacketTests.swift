import MySQLWire
import NIOCore
import Testing

func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
        if let b = UInt8(hex[index..<next], radix: 16) { result.append(b) }
        index = next
    }
    return result
}

/// Decodes one whole frame of captured bytes.
func packet(hex: String) throws -> Packet {
    var framer = PacketFramer()
    var buffer = ByteBuffer(bytes: bytes(hex: hex))
    let packet = try #require(try framer.nextPacket(from: &buffer))
    #expect(buffer.readableBytes == 0)
    return packet
}

@Suite("Packets captured from real clients")
struct CapturedPacketTests {
    let nonce = Array("01234567890123456789".utf8)

    @Test("HandshakeResponse41 of the mariadb CLI, PyMySQL and mysql-connector-python", arguments: [
        (CapturedPackets.mariadbCLIHandshakeResponse, "libmariadb"),
        (CapturedPackets.pyMySQLHandshakeResponse, "pymysql"),
        (CapturedPackets.mysqlConnectorPythonHandshakeResponse, "mysql-connector-python"),
    ])
    func handshakeResponse(hex: String, clientName: String) throws {
        let p = try packet(hex: hex)
        #expect(p.sequenceID == 1)
        #expect(!HandshakeResponse41.isSSLRequest(p.payload))
        var payload = p.payload
        let response = try HandshakeResponse41(from: &payload)
        #expect(response.username == "root")
        #expect(response.authPluginName == AuthPlugin.nativePassword)
        #expect(response.authResponse == AuthScramble.nativePassword(password: "pw", nonce: nonce))
        #expect(response.capabilities.contains(.protocol41))
        #expect(response.attributes.first { $0.key == "_client_name" }?.value == clientName)
        #expect(payload.readableBytes == 0)

        // Re-encoding what was decoded gives the same bytes.
        var again = ByteBuffer()
        response.write(to: &again)
        #expect(again == p.payload)
    }

    @Test("the greeting the mock sent decodes to the reference defaults")
    func greeting() throws {
        var payload = try packet(hex: CapturedPackets.greeting).payload
        let greeting = try HandshakeV10(from: &payload)
        #expect(greeting.serverVersion == "8.0.23-mock")
        #expect(greeting.nonce == nonce)
        #expect(greeting.capabilities == .mockDefault)
        #expect(greeting.authPluginName == AuthPlugin.nativePassword)
        #expect(greeting.connectionID == 1)
        var again = ByteBuffer()
        greeting.write(to: &again)
        #expect(again == (try packet(hex: CapturedPackets.greeting).payload))
    }

    @Test("COM_QUERY from mysql-connector-python")
    func query() throws {
        var payload = try packet(hex: CapturedPackets.connectorSetNames).payload
        let command = try ClientCommand(from: &payload, capabilities: .mockDefault)
        #expect(command == .query("SET NAMES 'utf8mb4' COLLATE 'utf8mb4_0900_ai_ci'"))
    }
}
