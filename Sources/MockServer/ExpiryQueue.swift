import NIOCore

/// Deadlines on one event loop that all lie the same `duration` after they were armed: the
/// connect timeout, the grace period after COM_QUIT, `--wait-timeout`. Armed in order, they expire
/// in order, so a single scheduled task (for the earliest live deadline) serves the whole queue.
///
/// A scheduled task per connection costs a promise, a `Scheduled`, and an insertion into and a
/// removal from the loop's task heap; here arming is an append and cancelling clears a field. Cancelled entries leave from the front (connections mostly finish
/// in the order they started) or, if a long-lived entry blocks the front, by compaction.
///
/// Not thread-safe: every call must be made on `loop` (the handlers of that loop's channels).
final class ExpiryQueue {
    /// One armed deadline. Keep it to cancel it with `ExpiryQueue.cancel(_:)`.
    final class Entry {
        fileprivate let deadline: NIODeadline
        fileprivate var action: (() -> Void)?

        fileprivate init(deadline: NIODeadline, action: @escaping () -> Void) {
            self.deadline = deadline
            self.action = action
        }

        /// Still waiting: neither expired nor cancelled.
        var isArmed: Bool { action != nil }
    }

    let duration: TimeAmount
    private let loop: any EventLoop
    private var entries = CircularBuffer<Entry>()
    /// Cancelled entries still in `entries`.
    private var cancelledCount = 0
    private var scheduled: Scheduled<Void>?
    private var firing = false

    init(duration: TimeAmount, loop: any EventLoop) {
        self.duration = duration
        self.loop = loop
    }

    /// Entries in the queue, armed or cancelled but not yet removed.
    var storedCount: Int { entries.count }

    /// Runs `action` on the loop once `duration` has passed, unless cancelled before.
    func arm(_ action: @escaping () -> Void) -> Entry {
        let entry = Entry(deadline: loop.now + duration, action: action)
        entries.append(entry)
        if scheduled == nil, !firing { schedule(at: entry.deadline) }
        return entry
    }

    /// Stops `entry` from running. Cancelling an entry that ran or was cancelled does nothing.
    func cancel(_ entry: Entry?) {
        guard let entry, entry.action != nil else { return }
        entry.action = nil
        cancelledCount += 1
        while let first = entries.first, first.action == nil {
            entries.removeFirst()
            cancelledCount -= 1
        }
        if cancelledCount > 64, cancelledCount * 2 > entries.count {
            entries.removeAll { $0.action == nil }
            cancelledCount = 0
        }
    }

    private func schedule(at deadline: NIODeadline) {
        scheduled = loop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in fire() }
    }

    /// Runs every expired entry, in order, then schedules the next live deadline.
    private func fire() {
        scheduled = nil
        firing = true
        let now = loop.now
        while let first = entries.first, first.action == nil || first.deadline <= now {
            entries.removeFirst()
            if let action = first.action {
                first.action = nil
                action()
            } else {
                cancelledCount -= 1
            }
        }
        firing = false
        if let first = entries.first { schedule(at: first.deadline) }
    }
}

/// The expiry queues of one event loop, shared by the handlers of the channels it serves.
final class LoopTimers {
    /// Closes connections that have not authenticated within `--connect-timeout`.
    let connect: ExpiryQueue
    /// Closes connections whose client sent COM_QUIT but did not close within a second.
    let quitGrace: ExpiryQueue
    /// Closes authenticated connections idle longer than `--wait-timeout`, if set.
    let idle: ExpiryQueue?

    init(loop: any EventLoop, connectTimeout: Duration, waitTimeout: Duration?) {
        connect = ExpiryQueue(duration: TimeAmount(connectTimeout), loop: loop)
        quitGrace = ExpiryQueue(duration: .seconds(1), loop: loop)
        idle = waitTimeout.map { ExpiryQueue(duration: TimeAmount($0), loop: loop) }
    }
}

/// `LoopTimers` for each event loop of a group, made on the loop the first time it asks.
final class LoopTimersByLoop: Sendable {
    private let boxes: [ObjectIdentifier: NIOLoopBoundBox<LoopTimers?>]
    private let connectTimeout: Duration
    private let waitTimeout: Duration?

    init(group: any EventLoopGroup, connectTimeout: Duration, waitTimeout: Duration?) {
        var boxes: [ObjectIdentifier: NIOLoopBoundBox<LoopTimers?>] = [:]
        for loop in group.makeIterator() {
            boxes[ObjectIdentifier(loop)] = .makeEmptyBox(valueType: LoopTimers.self, eventLoop: loop)
        }
        self.boxes = boxes
        self.connectTimeout = connectTimeout
        self.waitTimeout = waitTimeout
    }

    /// The timers of `loop`; call on `loop`. A loop outside the group gets fresh timers each time.
    func timers(for loop: any EventLoop) -> LoopTimers {
        guard let box = boxes[ObjectIdentifier(loop)] else {
            return LoopTimers(loop: loop, connectTimeout: connectTimeout, waitTimeout: waitTimeout)
        }
        if let timers = box.value { return timers }
        let timers = LoopTimers(loop: loop, connectTimeout: connectTimeout, waitTimeout: waitTimeout)
        box.value = timers
        return timers
    }
}
