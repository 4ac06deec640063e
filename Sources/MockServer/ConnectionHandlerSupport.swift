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
    static func log(_ error: any Error, to logger: Logger) {
        if let tls = error as? NIOSSLError, case .uncleanShutdown = tls {
            logger.debug("client closed without close_notify")
        } else {
            logger.notice("connection error: \(error)")
        }
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
