import MockModel
import MockScript
import MockServer
import MySQLXWire
import NIOCore

/// The input is one byte choosing the set-up (TLS offered, Unix socket, password, required user),
/// then the bytes an X client sends: frames are cut as the server cuts them, decoded into client
/// messages and run through the X connection state machine; replies and statement results are
/// encoded as the server would send them.
enum XProtocolFuzzTarget {
    @Sendable
    static func run(_ data: [UInt8]) throws(FuzzFailure) {
        guard let setup = data.first else { return }
        let configuration = XConnectionStateMachine.Configuration(
            connectionID: 9, peerHost: "fuzz", tlsAvailable: setup & 0x01 != 0, unixSocket: setup & 0x02 != 0)
        var script = HandshakeScript()
        script.auth.password = setup & 0x04 != 0 ? "secret" : nil
        script.auth.username = setup & 0x08 != 0 ? "root" : nil
        var machine = XConnectionStateMachine(configuration: configuration)
        let responder = DefaultTrace().makeResponder(for: SessionInfo(connectionID: 9, wireProtocol: .x, port: 33060))
        var framer = XFramer(maxFrameSize: 1 << 16)
        var input = ByteBuffer(bytes: data.dropFirst())
        guard machine.connectionStarted(openSessions: 1) == .send([.notice(XConnectionStateMachine.hello)], after: .keepOpen)
        else { throw FuzzFailure("the X connection does not start with the hello notice") }
        while true {
            let frame: XFrame?
            do {
                frame = try framer.nextFrame(from: &input)
            } catch {
                return  // the handler answers with an error and closes
            }
            guard let frame else { return }
            let message: XClientMessage
            do {
                message = try XClientMessage(frame)
            } catch {
                continue  // Mysqlx.Error, the session stays
            }
            var output = ByteBuffer()
            var action = machine.messageReceived(message, authScript: { script })
            if case .prepare(let id, let text, let bound) = action {
                action = machine.statementPrepared(id: id, text: text, bound: bound, responder.prepare(text))
            }
            switch action {
            case .none, .prepare:
                break
            case .execute(let request):
                for response in responder.answer(request).results {
                    XResponseEncoder.write(response, to: &output)
                }
            case .send(let messages, let after):
                for message in messages { XResponseEncoder.write(message, to: &output) }
                switch after {
                case .close: return
                case .startTLS: machine.tlsHandshakeCompleted()
                case .keepOpen, .authenticated, .startCompression: break
                }
            }
            // Every frame the server writes must frame again (length covers type + payload).
            var check = XFramer(maxFrameSize: Int(UInt32.max))
            while output.readableBytes > 0 {
                do {
                    guard try check.nextFrame(from: &output) != nil else {
                        throw FuzzFailure("server output ends in a partial frame")
                    }
                } catch let error as FuzzFailure {
                    throw error
                } catch {
                    throw FuzzFailure("server output does not frame: \(error)")
                }
            }
        }
    }
}
