import MySQLWire
import NIOCore
import NIOPosix

/// A small classic-protocol client for tests: connects, authenticates with the scramble plugins,
/// runs queries and pings, and can send raw bytes to provoke the server.
public final class MySQLTestClient: @unchecked Sendable {
    /// What a query returned.
    public struct QueryResult: Sendable {
        public var columns: [ColumnDefinition41]
        public var rows: [[String?]]
        /// The OK packet (for statements without a result set, or the OK ending a result set).
        public var ok: OKPacket?
    }

    /// Options of the client side of the handshake.
    public struct Options: Sendable {
        public var user = "root"
        public var password = ""
        public var database: String?
        /// Auth plugin to answer the greeting with; `nil` uses the one the server announces.
        public var authPlugin: String?
        public var capabilities: CapabilityFlags = [
            .longPassword, .foundRows, .longFlag, .protocol41, .transactions, .secureConnection,
            .multiResults, .pluginAuth, .pluginAuthLenencClientData, .connectAttrs, .sessionTrack, .deprecateEOF,
        ]
        public var attributes: [(key: String, value: String)] = [("_client_name", "MockTesting")]
        /// Ask for the compressed protocol (zlib: CLIENT_COMPRESS; zstd: CLIENT_ZSTD_COMPRESSION_ALGORITHM
        /// with `zstdLevel`).
        public var compression: CompressionAlgorithm?
        public var zstdLevel: UInt8 = 3

        public init(user: String = "root", password: String = "", database: String? = nil, authPlugin: String? = nil) {
            self.user = user
            self.password = password
            self.database = database
            self.authPlugin = authPlugin
        }
    }

    private let channel: any Channel
    private var inbound: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
    private var buffer = ByteBuffer()
    private var framer = PacketFramer(maxPacketSize: 1 << 30)
    /// The sequence id the server's next packet must have; `nil` after raw bytes were sent.
    private var expectedSequenceID: UInt8? = 0
    /// First sequence ids of the responses to commands sent but not yet read (pipelining).
    private var pendingReplies: [UInt8] = []
    /// The server's greeting.
    public private(set) var greeting: HandshakeV10?
    /// Capabilities both sides have.
    public private(set) var capabilities: CapabilityFlags = [.protocol41]
    /// Auth packets seen during the handshake (AuthSwitchRequest plugin names, AuthMoreData bytes).
    public private(set) var authExchange: [String] = []
    /// The compressed protocol, once logged in with it.
    public private(set) var compression: CompressionAlgorithm?
    private var compressedInbound = ByteBuffer()
    private var compressedSequenceID: UInt8 = 0

    private init(channel: any Channel, inbound: AsyncThrowingStream<ByteBuffer, any Error>) {
        self.channel = channel
        self.inbound = inbound.makeAsyncIterator()
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Hands every inbound buffer to an async stream; the stream ends when the connection does.
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncThrowingStream<ByteBuffer, any Error>.Continuation

        init(continuation: AsyncThrowingStream<ByteBuffer, any Error>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            continuation.finish(throwing: error)
            context.close(promise: nil)
        }
    }

    /// Opens a TCP connection without doing anything else (for raw-byte tests).
    public static func open(host: String = "127.0.0.1", port: Int) async throws -> MySQLTestClient {
        let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation: continuation))
                }
            }
            .connect(host: host, port: port).get()
        return MySQLTestClient(channel: channel, inbound: stream)
    }

    /// Connects and authenticates; throws the server's `ERRPacket` if it refuses.
    public static func connect(host: String = "127.0.0.1", port: Int, options: Options = Options()) async throws
        -> MySQLTestClient
    {
        let client = try await open(host: host, port: port)
        do {
            try await client.handshake(options)
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    /// Reads the greeting and logs in.
    public func handshake(_ options: Options) async throws {
        let first = try await readPacket()
        if first.payload.getInteger(at: first.payload.readerIndex, as: UInt8.self) == 0xFF {
            var p = first.payload
            throw try ERRPacket(from: &p)
        }
        var payload = first.payload
        let greeting = try HandshakeV10(from: &payload)
        self.greeting = greeting
        capabilities = options.capabilities.intersection(greeting.capabilities).union(.protocol41)
        if options.database != nil { capabilities.insert(.connectWithDB) }
        switch options.compression {
        case .zlib?: capabilities.formUnion(greeting.capabilities.intersection(.compress))
        case .zstd?: capabilities.formUnion(greeting.capabilities.intersection(.zstdCompression))
        case nil: break
        }
        let plugin = options.authPlugin ?? greeting.authPluginName
        let response = HandshakeResponse41(
            capabilities: capabilities, username: options.user,
            authResponse: AuthScramble.response(plugin: plugin, password: options.password, nonce: greeting.nonce) ?? [],
            database: options.database, authPluginName: plugin, attributes: options.attributes)
        var out = ByteBuffer()
        response.write(to: &out)
        if capabilities.contains(.zstdCompression) { out.writeInteger(options.zstdLevel) }
        try await send(out, sequenceID: 1)
        try await finishAuthentication(options)
        if capabilities.contains(.zstdCompression) {
            compression = .zstd
        } else if capabilities.contains(.compress) {
            compression = .zlib
        }
    }

    private func finishAuthentication(_ options: Options) async throws {
        while true {
            let packet = try await readPacket()
            var payload = packet.payload
            switch payload.getInteger(at: payload.readerIndex, as: UInt8.self) {
            case 0x00:
                return
            case 0xFF:
                throw try ERRPacket(from: &payload, capabilities: capabilities)
            case 0xFE:
                let request = try AuthSwitchRequest(from: &payload)
                authExchange.append("switch:\(request.pluginName)")
                var nonce = request.pluginData
                if nonce.last == 0 { nonce.removeLast() }
                let answer = AuthScramble.response(plugin: request.pluginName, password: options.password, nonce: nonce)
                try await send(ByteBuffer(bytes: answer ?? []), sequenceID: packet.lastSequenceID &+ 1)
            case 0x01:
                let more = try AuthMoreData(from: &payload)
                authExchange.append("more:\(more.data.map { String($0) }.joined(separator: ","))")
            default:
                throw MySQLWireError(.malformed, "unexpected packet during authentication", bytes: payload)
            }
        }
    }

    /// Sends `payload` as one packet with `sequenceID` (in compressed frames once compressing).
    public func send(_ payload: ByteBuffer, sequenceID: UInt8) async throws {
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: sequenceID)
        writer.writePacket(payload: payload)
        expectedSequenceID = writer.sequenceID
        guard let compression else { return try await channel.writeAndFlush(writer.buffer) }
        // A command starts the frames' sequence again.
        if sequenceID == 0 { compressedSequenceID = 0 }
        var frames = ByteBuffer()
        CompressedFrameEncoder(algorithm: compression).encode(writer.buffer, sequenceID: &compressedSequenceID, into: &frames)
        try await channel.writeAndFlush(frames)
    }

    /// Sends bytes exactly as given.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        expectedSequenceID = nil
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// The next packet from the server; throws `ConnectionClosed` at end of stream, and
    /// `MySQLWireError(.sequenceOutOfOrder)` if its sequence id is not the next one.
    public func readPacket() async throws -> Packet {
        while true {
            if let packet = try framer.nextPacket(from: &buffer) {
                if let expected = expectedSequenceID, packet.sequenceID != expected {
                    throw MySQLWireError(.sequenceOutOfOrder,
                                         "server packet has sequence id \(packet.sequenceID), expected \(expected)")
                }
                expectedSequenceID = packet.lastSequenceID &+ 1
                return packet
            }
            guard var more = try await inbound.next() else { throw ConnectionClosed() }
            guard let compression else {
                buffer.writeBuffer(&more)
                continue
            }
            compressedInbound.writeBuffer(&more)
            let decoder = CompressedFrameDecoder(algorithm: compression)
            while let frame = try decoder.nextFrame(from: &compressedInbound) {
                if frame.sequenceID != compressedSequenceID {
                    throw MySQLWireError(.sequenceOutOfOrder,
                                         "compressed frame has sequence id \(frame.sequenceID), expected \(compressedSequenceID)")
                }
                compressedSequenceID = frame.sequenceID &+ 1
                var payload = frame.payload
                buffer.writeBuffer(&payload)
            }
        }
    }

    /// Thrown when the server closed the connection.
    public struct ConnectionClosed: Error, Sendable {}

    /// `true` once the server has closed the connection (waits for it to happen or for data).
    public func isClosedByServer() async -> Bool {
        do {
            _ = try await readPacket()
            return false
        } catch {
            return true
        }
    }

    /// Runs a command and reads its response (OK, ERR → thrown, or a text result set).
    public func command(_ command: ClientCommand) async throws -> QueryResult {
        try await sendCommand(command)
        return try await readResponse()
    }

    /// Sends a command without reading its response (to pipeline several).
    public func sendCommand(_ command: ClientCommand) async throws {
        var out = ByteBuffer()
        command.write(to: &out, capabilities: capabilities)
        try await send(out, sequenceID: 0)
        if let expected = expectedSequenceID { pendingReplies.append(expected) }
    }

    public func query(_ text: String) async throws -> QueryResult {
        try await command(.query(text))
    }

    public func ping() async throws {
        _ = try await command(.ping)
    }

    /// Reads an OK, an ERR (thrown) or a text result set.
    public func readResponse() async throws -> QueryResult {
        if !pendingReplies.isEmpty { expectedSequenceID = pendingReplies.removeFirst() }
        var first = try await readPacket().payload
        switch first.getInteger(at: first.readerIndex, as: UInt8.self) {
        case 0x00:
            return QueryResult(columns: [], rows: [], ok: try OKPacket(from: &first, capabilities: capabilities))
        case 0xFF:
            throw try ERRPacket(from: &first, capabilities: capabilities)
        case 0xFE where first.readableBytes < 9:
            _ = try EOFPacket(from: &first)
            return QueryResult(columns: [], rows: [], ok: nil)
        default:
            break
        }
        guard let count = first.readLengthEncodedInteger(), count < 4096 else {
            throw MySQLWireError(.malformed, "column count", bytes: first)
        }
        var columns: [ColumnDefinition41] = []
        for _ in 0..<count {
            var p = try await readPacket().payload
            columns.append(try ColumnDefinition41(from: &p))
        }
        if !capabilities.contains(.deprecateEOF) { _ = try await readPacket() }
        var rows: [[String?]] = []
        while true {
            var p = try await readPacket().payload
            let header = p.getInteger(at: p.readerIndex, as: UInt8.self)
            if header == 0xFF { throw try ERRPacket(from: &p, capabilities: capabilities) }
            if header == 0xFE, p.readableBytes < Packet.maxFramePayload {
                if capabilities.contains(.deprecateEOF) {
                    return QueryResult(columns: columns, rows: rows, ok: try OKPacket(from: &p, capabilities: capabilities))
                }
                if p.readableBytes < 9 { return QueryResult(columns: columns, rows: rows, ok: nil) }
            }
            let cells = try TextResultRow.read(from: &p, columnCount: columns.count)
            rows.append(cells.map { $0.map { String(decoding: $0, as: UTF8.self) } })
        }
    }

    /// Sends COM_QUIT (best effort) and closes.
    public func close() async {
        var out = ByteBuffer()
        ClientCommand.quit.write(to: &out, capabilities: capabilities)
        try? await send(out, sequenceID: 0)
        try? await channel.close()
    }
}
