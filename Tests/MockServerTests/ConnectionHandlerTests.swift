import FoundationEssentials
import MockModel
import MockScript
@testable import MockServer
import MySQLWire
import MySQLXWire
import NIOCore
import NIOEmbedded
import SwiftProtobuf
import Testing

/// Counts the reads the connection handler lets through to the socket.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var reads = 0

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

/// The connection handlers on `EmbeddedChannel`: what they write, and when they read.
@Suite("Connection handlers")
struct ConnectionHandlerTests {
    static let trace = #"""
        {"stmts": [{"stmt": "slow", "exec_time": 1000, "ok": {"affected_rows": 1}},
                   {"stmt": "fast", "ok": {"affected_rows": 2}}]}
        """#

    /// A handler made by `make` on an embedded channel behind a read counter, connected.
    func channel(_ make: (ServerConfiguration, LoopTimers) -> any ChannelHandler,
                 waitTimeout: Duration? = nil, maxConnections: Int = 10_000)
        throws -> (EmbeddedChannel, EmbeddedEventLoop, ReadCounter)
    {
        var configuration = ServerConfiguration(trace: try JSONTrace(json: Self.trace, name: "t"))
        configuration.maxConnections = maxConnections
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(loop: loop, connectTimeout: .seconds(10), waitTimeout: waitTimeout)
        let counter = ReadCounter()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(make(configuration, timers))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 3306)).wait()
        return (channel, loop, counter)
    }

    // MARK: Classic

    func classic(waitTimeout: Duration? = nil, maxConnections: Int = 10_000, registry: SessionRegistry = SessionRegistry())
        throws -> (EmbeddedChannel, EmbeddedEventLoop, ReadCounter)
    {
        let (channel, loop, counter) = try channel({ configuration, timers in
            ClassicConnectionHandler(configuration: configuration, registry: registry, listenerName: "classic",
                                     session: SessionInfo(connectionID: 3, port: 3306), peerHost: "127.0.0.1",
                                     timers: timers)
        }, waitTimeout: waitTimeout, maxConnections: maxConnections)
        return (channel, loop, counter)
    }

    /// Every packet the server wrote so far.
    func packets(_ channel: EmbeddedChannel) throws -> [Packet] {
        var bytes = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&part) }
        var framer = PacketFramer()
        var packets: [Packet] = []
        while let packet = try framer.nextPacket(from: &bytes) { packets.append(packet) }
        return packets
    }

    func loggedInClassic(waitTimeout: Duration? = nil) throws -> (EmbeddedChannel, EmbeddedEventLoop, ReadCounter) {
        let (channel, loop, counter) = try classic(waitTimeout: waitTimeout)
        let greeting = try #require(try packets(channel).first)
        var payload = greeting.payload
        let nonce = try HandshakeV10(from: &payload).nonce
        var login = PacketWriter(buffer: ByteBuffer(), sequenceID: 1)
        let response = HandshakeResponse41(capabilities: [.protocol41, .secureConnection, .pluginAuth, .deprecateEOF],
                                           username: "root",
                                           authResponse: AuthScramble.nativePassword(password: "", nonce: nonce),
                                           authPluginName: AuthPlugin.nativePassword)
        login.writePacket { response.write(to: &$0) }
        try channel.writeInbound(login.buffer)
        #expect(try packets(channel).map { $0.payload.getInteger(at: $0.payload.readerIndex, as: UInt8.self) } == [0])
        return (channel, loop, counter)
    }

    func query(_ text: String) -> ByteBuffer {
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: 0)
        writer.writePacket { ClientCommand.query(text).write(to: &$0, capabilities: .mockDefault) }
        return writer.buffer
    }

    func affectedRows(_ packets: [Packet]) throws -> [UInt64] {
        try packets.map { packet in
            var payload = packet.payload
            return try OKPacket(from: &payload, capabilities: [.protocol41]).affectedRows
        }
    }

    @Test("classic: one read while a delayed answer is pending, none more; the held read and the pipelined query follow it")
    func classicHoldsReads() throws {
        let (channel, loop, counter) = try loggedInClassic()
        channel.read()
        let open = counter.reads
        #expect(open == 1)
        try channel.writeInbound(query("slow"))
        // Nothing is buffered: one read passes (a waiting client sends nothing), the next is held.
        channel.read()
        #expect(counter.reads == open + 1)
        channel.read()
        #expect(counter.reads == open + 1)
        try channel.writeInbound(query("fast"))
        channel.read()
        #expect(try packets(channel).isEmpty)
        loop.advanceTime(by: .milliseconds(999))
        #expect(try packets(channel).isEmpty)
        #expect(counter.reads == open + 1)
        loop.advanceTime(by: .milliseconds(1))
        #expect(try affectedRows(packets(channel)) == [1, 2])
        #expect(counter.reads == open + 2)
        channel.read()
        #expect(counter.reads == open + 3)
    }

    @Test("classic: a client that does not read is not read from until the channel is writable again")
    func classicUnwritable() throws {
        let (channel, _, counter) = try loggedInClassic()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.read()
        #expect(counter.reads == 0)
        try channel.writeInbound(query("fast"))
        #expect(try packets(channel).isEmpty)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == 1)
        #expect(try affectedRows(packets(channel)) == [2])
    }

    @Test("classic: --wait-timeout sends ERR 4031 and closes an idle session")
    func classicWaitTimeout() throws {
        let (channel, loop, _) = try loggedInClassic(waitTimeout: .seconds(5))
        loop.advanceTime(by: .seconds(4))
        try channel.writeInbound(query("fast"))
        #expect(try affectedRows(packets(channel)) == [2])
        loop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        var err = try #require(try packets(channel).first).payload
        #expect(try ERRPacket(from: &err, capabilities: [.protocol41]).code == 4031)
        #expect(!channel.isActive)
    }

    @Test("classic: the wait-timeout clock stops during a delayed answer and restarts when it is out")
    func classicWaitTimeoutAfterDelay() throws {
        let (channel, loop, _) = try loggedInClassic(waitTimeout: .seconds(5))
        loop.advanceTime(by: .seconds(4))
        try channel.writeInbound(query("slow"))
        loop.advanceTime(by: .seconds(1))
        #expect(try affectedRows(packets(channel)) == [1])
        loop.advanceTime(by: .milliseconds(4999))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(1))
        #expect(try packets(channel).count == 1)
        #expect(!channel.isActive)
    }

    // MARK: X

    func x(waitTimeout: Duration? = nil, maxConnections: Int = 10_000, registry: SessionRegistry = SessionRegistry(),
           connectionID: UInt32 = 4) throws -> (EmbeddedChannel, EmbeddedEventLoop, ReadCounter)
    {
        let (channel, loop, counter) = try channel({ configuration, timers in
            XConnectionHandler(configuration: configuration, registry: registry, listenerName: "x",
                               session: SessionInfo(connectionID: connectionID, wireProtocol: .x, port: 33060),
                               peerHost: "127.0.0.1", unixSocket: false, timers: timers)
        }, waitTimeout: waitTimeout, maxConnections: maxConnections)
        return (channel, loop, counter)
    }

    /// Every X frame the server wrote so far, as (type, payload).
    func frames(_ channel: EmbeddedChannel) throws -> [XFrame] {
        var bytes = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&part) }
        var framer = XFramer()
        var frames: [XFrame] = []
        while let frame = try framer.nextFrame(from: &bytes) { frames.append(frame) }
        return frames
    }

    func frame(_ type: Mysqlx_ClientMessages.TypeEnum, _ message: some SwiftProtobuf.Message) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try XFramer.write(type: UInt8(type.rawValue), message: message, to: &buffer)
        return buffer
    }

    func execute(_ statement: String) throws -> ByteBuffer {
        var e = Mysqlx_Sql_StmtExecute()
        e.stmt = Data(statement.utf8)
        return try frame(.sqlStmtExecute, e)
    }

    func loggedInX(waitTimeout: Duration? = nil) throws -> (EmbeddedChannel, EmbeddedEventLoop, ReadCounter) {
        let (channel, loop, counter) = try x(waitTimeout: waitTimeout)
        #expect(try frames(channel).map(\.type) == [XServerType.notice])  // hello
        var start = Mysqlx_Session_AuthenticateStart()
        start.mechName = "MYSQL41"
        try channel.writeInbound(try frame(.sessAuthenticateStart, start))
        var answer = Mysqlx_Session_AuthenticateContinue()
        answer.authData = Data("\0app\0".utf8)
        try channel.writeInbound(try frame(.sessAuthenticateContinue, answer))
        #expect(try frames(channel).map(\.type)
                    == [XServerType.authenticateContinue, XServerType.notice, XServerType.authenticateOk])
        return (channel, loop, counter)
    }

    @Test("X: no read while a delayed answer is pending; the held read and the pipelined statement follow it")
    func xHoldsReads() throws {
        let (channel, loop, counter) = try loggedInX()
        channel.read()
        let open = counter.reads
        try channel.writeInbound(try execute("slow"))
        channel.read()
        #expect(counter.reads == open + 1)  // the one read while nothing is buffered
        try channel.writeInbound(try execute("fast"))
        channel.read()
        #expect(counter.reads == open + 1)
        #expect(try frames(channel).isEmpty)
        loop.advanceTime(by: .seconds(1))
        let ok = XServerType.stmtExecuteOk
        #expect(try frames(channel).map(\.type).filter { $0 == ok } == [ok, ok])
        #expect(counter.reads == open + 2)
    }

    @Test("X: a client that never reads its results stops being read from")
    func xUnwritable() throws {
        let (channel, _, counter) = try loggedInX()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.read()
        try channel.writeInbound(try execute("fast"))
        #expect(counter.reads == 0)
        #expect(try frames(channel).isEmpty)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == 1)
        #expect(try frames(channel).last?.type == XServerType.stmtExecuteOk)
    }

    @Test("X: --wait-timeout sends the ER_IO_READ_ERROR warning notice and closes")
    func xWaitTimeout() throws {
        let (channel, loop, _) = try loggedInX(waitTimeout: .seconds(5))
        loop.advanceTime(by: .seconds(5))
        let notice = try #require(try frames(channel).first)
        #expect(notice.type == XServerType.notice)
        let frame = try Mysqlx_Notice_Frame(serializedBytes: Array(notice.payload.readableBytesView))
        let warning = try Mysqlx_Notice_Warning(serializedBytes: Array(frame.payload))
        #expect(frame.type == 1 && frame.scope == .global)
        #expect(warning.code == 1810 && warning.level == .error)
        #expect(!channel.isActive)
    }

    @Test("X: --max-connections refuses one more session with ER_CON_COUNT_ERROR instead of the hello notice")
    func xMaxConnections() throws {
        let registry = SessionRegistry()
        let (first, _, _) = try x(maxConnections: 1, registry: registry)
        #expect(try frames(first).map(\.type) == [XServerType.notice])
        let (second, _, _) = try x(maxConnections: 1, registry: registry, connectionID: 5)
        let error = try #require(try frames(second).first)
        #expect(error.type == XServerType.error)
        #expect(try Mysqlx_Error(serializedBytes: Array(error.payload.readableBytesView)).code == 1040)
        #expect(!second.isActive)
    }
}
