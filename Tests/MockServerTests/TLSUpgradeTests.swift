import MockModel
import MockScript
@testable import MockServer
import MockTesting
import MySQLWire
import NIOCore
import NIOEmbedded
import NIOSSL
import Testing

/// The SSLRequest → TLS upgrade on two in-memory channels, with the client's ClientHello arriving
/// in the same read as its SSLRequest (as real clients send it).
@Suite("TLS upgrade in memory")
struct TLSUpgradeTests {
    func serverConfiguration() throws -> ServerConfiguration {
        ServerConfiguration(trace: DefaultTrace(), tls: try TestCertificates.tls(mode: .required))
    }

    @Test("SSLRequest and ClientHello in one buffer; login and a query over TLS")
    func upgrade() throws {
        let configuration = try serverConfiguration()
        let session = SessionInfo(connectionID: 5, port: 3306)
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(loop: loop, connectTimeout: configuration.connectTimeout, waitTimeout: nil)
        let server = EmbeddedChannel(handler: ClassicConnectionHandler(
            configuration: configuration, registry: SessionRegistry(), listenerName: "test", session: session,
            peerHost: "127.0.0.1", timers: timers), loop: loop)
        try server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 3306)).wait()

        // The greeting offers TLS.
        var greetingBytes = try #require(try server.readOutbound(as: ByteBuffer.self))
        var framer = PacketFramer()
        var greetingPayload = try #require(try framer.nextPacket(from: &greetingBytes)).payload
        let greeting = try HandshakeV10(from: &greetingPayload)
        #expect(greeting.capabilities.contains(.ssl))

        // The client starts TLS and its ClientHello goes out together with the SSLRequest.
        let clientTLS = try TestCertificates.clientConfiguration()
        let client = EmbeddedChannel()
        try client.pipeline.syncOperations.addHandler(
            try NIOSSLClientHandler(context: NIOSSLContext(configuration: clientTLS), serverHostname: "localhost"))
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 3306)).wait()
        let clientHello = try #require(try client.readOutbound(as: ByteBuffer.self))
        let caps: CapabilityFlags = [.protocol41, .ssl, .secureConnection, .pluginAuth, .deprecateEOF]
        var request = PacketWriter(buffer: ByteBuffer(), sequenceID: 1)
        request.writePacket {
            $0.writeInteger(caps.rawValue, endianness: .little)
            $0.writeInteger(UInt32(1 << 24), endianness: .little)
            $0.writeInteger(UInt8(255))
            $0.writeRepeatingByte(0, count: 23)
        }
        var both = request.buffer
        both.writeImmutableBuffer(clientHello)
        try server.writeInbound(both)
        try InMemoryChannels.interact(client, server)

        // Over TLS: HandshakeResponse41 with sequence id 2, then OK with 3.
        var login = PacketWriter(buffer: ByteBuffer(), sequenceID: 2)
        let response = HandshakeResponse41(capabilities: caps, username: "root",
                                           authResponse: AuthScramble.nativePassword(password: "", nonce: greeting.nonce),
                                           authPluginName: AuthPlugin.nativePassword)
        login.writePacket { response.write(to: &$0) }
        try client.writeOutbound(login.buffer)
        try InMemoryChannels.interact(client, server)
        var okBytes = ByteBuffer()
        while var part = try client.readInbound(as: ByteBuffer.self) { okBytes.writeBuffer(&part) }
        var clientFramer = PacketFramer()
        let ok = try #require(try clientFramer.nextPacket(from: &okBytes))
        #expect(ok.sequenceID == 3)
        #expect(ok.payload.getInteger(at: ok.payload.readerIndex, as: UInt8.self) == 0x00)

        // A query over TLS.
        var query = PacketWriter(buffer: ByteBuffer(), sequenceID: 0)
        query.writePacket { ClientCommand.query("select @@version_comment limit 1").write(to: &$0, capabilities: caps) }
        try client.writeOutbound(query.buffer)
        try InMemoryChannels.interact(client, server)
        var resultBytes = ByteBuffer()
        while var part = try client.readInbound(as: ByteBuffer.self) { resultBytes.writeBuffer(&part) }
        var packets: [Packet] = []
        while let p = try clientFramer.nextPacket(from: &resultBytes) { packets.append(p) }
        #expect(packets.count == 4)  // column count, column, row, OK
        var row = packets[2].payload
        #expect(row.readLengthEncodedString() == "mysql-server-mock")
        // No finish(): closing a TLS channel waits for a close_notify that nobody sends here.
    }
}
