import Logging
import MockModel
import NIOCore
import NIOSSL

/// What the classic and X connection handlers share.
enum ConnectionHandlerSupport {
    /// Adds newly read bytes to a handler's cumulation buffer.
    static func accumulate(_ bytes: ByteBuffer, into inbound: inout ByteBuffer?) {
        var bytes = bytes
        if inbound == nil {
            inbound = bytes
        } else {
            inbound?.writeBuffer(&bytes)
        }
    }

    /// Logs a channel error; clients closing without close_notify are normal (debug level).
    static func log(_ error: any Error, to logger: ConnectionLogger) {
        if let tls = error as? NIOSSLError, case .uncleanShutdown = tls {
            logger.debug("client closed without close_notify")
        } else {
            logger.notice("connection error: \(error)")
        }
    }
}

/// A connection's logger: the server's logger, with `mock.connection_id` attached only when a line
/// is really written. Copying a `Logger` and giving it metadata for every connection costs about as
/// much as the rest of the handler's set-up, and at the default level nothing is logged at all.
struct ConnectionLogger {
    let base: Logger
    let connectionID: UInt32

    func debug(_ message: @autoclosure () -> Logger.Message) { log(.debug, message()) }
    func info(_ message: @autoclosure () -> Logger.Message) { log(.info, message()) }
    func notice(_ message: @autoclosure () -> Logger.Message) { log(.notice, message()) }

    private func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message) {
        guard base.logLevel <= level else { return }
        var logger = base
        logger[metadataKey: "mock.connection_id"] = "\(connectionID)"
        logger.log(level: level, message())
    }
}

extension SessionRegistry {
    /// Records the user and schema a session now has.
    func update(from session: SessionInfo) {
        update(session.connectionID) {
            $0.user = session.user
            $0.schema = session.schema
        }
    }
}
