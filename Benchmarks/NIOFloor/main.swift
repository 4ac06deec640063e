// The NIO floor: the least a SwiftNIO server can do for the bench's workloads. It replays canned
// packets (captured from the mock answering sysbench): the greeting, OK for the handshake
// response, a one-row result set for every COM_QUERY, and on COM_QUIT it closes, as the mock does.
// No trace, no state machine, no registry, no journal, no timers.
//
// `make bench` runs it next to the mock and MariaDB, so the table shows how much of the gap to a
// target is the mock's own work and how much is NIO's per-connection and per-read machinery.
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func bytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return out
}

let greeting = bytes(
    "4f0000000a382e302e32332d6d6f636b0001000000303132333435363700dfa2ff0000fe0115000000000000000000003839303132"
        + "33343536373839006d7973716c5f6e61746976655f70617373776f726400")
let authOK = bytes("0700000200000000000000")
let selectOne = bytes(
    "010000010117000002036465660000000131000cff000000000008000000000005000003fe0000000002000004013105000005fe"
        + "00000000")

final class CannedResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var inbound: ByteBuffer?

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: greeting)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var pending = inbound {
            pending.writeBuffer(&buffer)
            buffer = pending
        }
        inbound = nil
        while buffer.readableBytes >= 4,
              let length = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt32.self).map({ Int($0 & 0xFFFFFF) }),
              buffer.readableBytes >= 4 + length {
            let sequence = buffer.getInteger(at: buffer.readerIndex + 3, as: UInt8.self) ?? 0
            let command = length > 0 ? buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self) ?? 0 : 0
            buffer.moveReaderIndex(forwardBy: 4 + length)
            if sequence == 1 {
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: authOK)), promise: nil)
            } else if command == 0x03 {
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: selectOne)), promise: nil)
            } else if command == 0x01 {
                context.close(promise: nil)
                return
            }
        }
        if buffer.readableBytes > 0 { inbound = buffer }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 3306 : 3306
let threads = arguments.count > 2 ? Int(arguments[2]) ?? System.coreCount : System.coreCount
let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
for loop in group.makeIterator() {
    _ = try ServerBootstrap(group: loop)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .serverChannelOption(ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_REUSEPORT)), value: 1)
        .serverChannelOption(.maxMessagesPerRead, value: 32)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CannedResponder()) }
        }
        .bind(host: "127.0.0.1", port: port).wait()
}
print("ready", port)
while true { sleep(1000) }
