import Logging
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// How many client connections the MySQL listeners may hold open at once, so that the process
/// never runs out of descriptors: the open-files limit less a reserve for everything else (the
/// admin API's connections, trace and module files, the event loops' own descriptors).
///
/// At the budget the listeners stop accepting (clients wait in the listen backlog, as they would
/// for a busy server) and start again as soon as a connection closes. This is separate from
/// `--max-connections`, which accepts and answers ERR 1040.
public final class DescriptorBudget: Sendable {
    /// Connections the budget allows.
    public let limit: Int
    private let state = NIOLockedValueBox(State())

    private struct State {
        var open = 0
        /// Listeners that stopped reading at the budget, to wake when a connection closes.
        var paused: [ObjectIdentifier: @Sendable () -> Void] = [:]
    }

    /// Descriptors kept for the rest of the process: the admin API's bound plus the event loops,
    /// listeners and files (at most half the limit when the limit is small).
    public static let reserve = 128 + 64

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// The budget for this process's open-files limit (as raised at start).
    public static func forProcess() -> DescriptorBudget {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0, limits.rlim_cur != rlim_t.max else {
            return DescriptorBudget(limit: Int.max)
        }
        let files = Int(clamping: limits.rlim_cur)
        return DescriptorBudget(limit: files - min(reserve, files / 2))
    }

    var isSpent: Bool { state.withLockedValue { $0.open >= limit } }

    /// Connections open now.
    public var open: Int { state.withLockedValue { $0.open } }

    func opened() {
        state.withLockedValue { $0.open += 1 }
    }

    func closed() {
        let wake = state.withLockedValue { state -> [@Sendable () -> Void] in
            state.open -= 1
            guard state.open < limit, !state.paused.isEmpty else { return [] }
            defer { state.paused.removeAll() }
            return Array(state.paused.values)
        }
        for resume in wake { resume() }
    }

    /// Records a listener that stopped; `false` (and nothing recorded) when a connection closed
    /// meanwhile and it may read on.
    func pause(_ listener: ObjectIdentifier, resume: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { state in
            guard state.open >= limit else { return false }
            state.paused[listener] = resume
            return true
        }
    }
}

/// On a listening channel: counts its accepted connections against the process's
/// `DescriptorBudget`, and withholds `read()` (so no `accept`) while the budget is spent.
final class DescriptorBudgetHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never

    private let budget: DescriptorBudget
    private let logger: Logger
    private var readWithheld = false
    private var lastLogged: NIODeadline?

    init(budget: DescriptorBudget, logger: Logger) {
        self.budget = budget
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        budget.opened()
        let budget = budget
        child.closeFuture.whenComplete { _ in budget.closed() }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        guard budget.isSpent else {
            context.read()
            return
        }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let waiting = budget.pause(ObjectIdentifier(self)) {
            loop.execute {
                let (handler, context) = bound.value
                guard handler.readWithheld else { return }
                handler.readWithheld = false
                context.read()
            }
        }
        if waiting {
            readWithheld = true
            let now = NIODeadline.now()
            if lastLogged.map({ now - $0 >= .seconds(10) }) ?? true {
                lastLogged = now
                logger.warning("\(budget.limit) connections are open, as many as the open-files limit allows (less a reserve of \(DescriptorBudget.reserve)); new ones wait until one closes")
            }
        } else {
            context.read()
        }
    }
}
