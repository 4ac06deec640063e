import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// Which admin connections are open, so that a request handler can learn that its client went
/// away: Hummingbird does not cancel a handler when its connection closes, and a journal wait of
/// hours would otherwise hold one of the 64 wait slots (and its memory) to the end.
final class AdminConnections: Sendable {
    static let shared = AdminConnections()

    /// The request header `AdminConnectionTag` sets to the connection's id (any value a client
    /// sends is replaced).
    static let header = HTTPField.Name("x-mock-connection")!

    private struct State {
        var next: UInt64 = 0
        /// Open connections and what to run when each closes.
        var open: [UInt64: [@Sendable () -> Void]] = [:]
    }

    private let state = NIOLockedValueBox(State())

    func opened() -> UInt64 {
        state.withLockedValue { state in
            state.next += 1
            state.open[state.next] = []
            return state.next
        }
    }

    func closed(_ id: UInt64) {
        let callbacks = state.withLockedValue { $0.open.removeValue(forKey: id) } ?? []
        for callback in callbacks { callback() }
    }

    /// Runs `callback` when connection `id` closes (at once if it is not open).
    func onClose(_ id: UInt64, _ callback: @escaping @Sendable () -> Void) {
        let now = state.withLockedValue { state -> Bool in
            guard state.open[id] != nil else { return true }
            state.open[id]?.append(callback)
            return false
        }
        if now { callback() }
    }

    /// Connections open now.
    var count: Int { state.withLockedValue { $0.open.count } }
}

/// Tags each request with its connection's id (`AdminConnections.header`) and reports the
/// connection's end to `AdminConnections`.
final class AdminConnectionTag: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let connections: AdminConnections
    private var id: UInt64?

    init(connections: AdminConnections = .shared) {
        self.connections = connections
    }

    func handlerAdded(context: ChannelHandlerContext) {
        id = connections.opened()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let id { connections.closed(id) }
        id = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let id { connections.closed(id) }
        id = nil
        context.fireChannelInactive()
    }

    /// The API allows half-closure (Hummingbird's setting), so a client that goes away shows as
    /// the input's end first; nothing more can arrive, and a wait then has nobody to answer.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent, let id {
            connections.closed(id)
            self.id = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data), let id else {
            context.fireChannelRead(data)
            return
        }
        head.headerFields[Self.headerName] = String(id)
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    private static let headerName = AdminConnections.header
}
