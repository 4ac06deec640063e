import MockUpstream
import MySQLWire
import NIOCore

/// The input is everything an upstream server sends the recorder: greeting, login answers
/// (auth switches, caching_sha2_password's more-data packets, an RSA public key), then answers to
/// queries. The client state machine must never trap, must send a command only when it is
/// logged in and idle, and after a failure must do nothing more.
enum UpstreamSessionFuzzTarget {
    @Sendable
    static func run(_ data: [UInt8]) throws(FuzzFailure) {
        var machine = UpstreamSessionStateMachine(
            login: .init(user: "rec", password: "pw", database: "shop", foundRows: data.count % 2 == 0),
            tls: data.first.map { $0 & 1 == 0 } == true ? .preferred : .disabled)
        var framer = PacketFramer(maxPacketSize: 1 << 20)
        var bytes = ByteBuffer(bytes: data)
        var failed = false
        var commands = 0
        while true {
            let packet: Packet?
            do {
                packet = try framer.nextPacket(from: &bytes)
            } catch {
                return  // the session handler fails the session: a malformed stream
            }
            guard let packet else { return }
            var action = machine.packetReceived(packet)
            if failed, !isNone(action) { throw FuzzFailure("the machine acted after it failed: \(action)") }
            while true {
                switch action {
                case .writeAndStartTLS:
                    action = machine.tlsEstablished()
                    continue
                case .loggedIn, .answered:
                    guard machine.isReady else { throw FuzzFailure("an answer left the machine busy") }
                    commands += 1
                    action = machine.send(commands % 3 == 0 ? .initDB("other") : .query("select \(commands)"))
                    if case .failed = action { throw FuzzFailure("a command sent when ready failed") }
                case .failed:
                    failed = true
                    if machine.isReady { throw FuzzFailure("a failed machine says it is ready") }
                case .none, .write:
                    break
                }
                break
            }
        }
    }

    static func isNone(_ action: UpstreamSessionStateMachine.Action) -> Bool {
        if case .none = action { return true }
        return false
    }
}
