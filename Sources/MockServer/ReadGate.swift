/// When a connection may read from its socket: not while an answer is on its way (an `exec_time`
/// delay, an answer that arrives later) and not while the client leaves what was sent unread (the
/// channel is unwritable). Backpressure by not reading, as SwiftNIO's `HTTPServerPipelineHandler`
/// does: the handler swallows `read(context:)` while the gate is shut, remembers it, and issues the
/// read when the gate opens. Nothing is buffered beyond the bytes of reads already issued, whatever
/// a client pipelines, and the client's own socket buffer fills instead of the server's memory.
///
/// One read is let through while an answer is pending if nothing is buffered yet: a client that
/// waits for its answer sends nothing meanwhile, so the read costs nothing, and holding it would
/// cost two `epoll_ctl` calls per answer (read interest off, then on again), a sixth of a relayed
/// statement's system calls. Whatever that read brings stays buffered, and the next read is held.
///
/// Pure: the handler tells it what happened and does what it returns.
struct ReadGate: Equatable {
    enum Action: Equatable {
        /// Issue a read now (one was held), and process any bytes already received.
        case read
        /// Process bytes already received; no read was held.
        case resume
        /// Stay as is.
        case none
    }

    /// An answer is being sent: a delayed or later one.
    private(set) var answerPending = false
    private(set) var writable = true
    /// A read was requested while shut and not passed on.
    private(set) var readHeld = false
    /// The one read let through during the current answer has been used.
    private var readAheadUsed = false

    /// Reads, and the processing of bytes already received, may go on.
    var isOpen: Bool { !answerPending && writable }

    /// The pipeline asks for a read (autoRead does after every read): `true` to pass it on now.
    /// `nothingBuffered`: no received bytes wait to be processed.
    mutating func readRequested(nothingBuffered: Bool = false) -> Bool {
        guard isOpen else {
            if writable, nothingBuffered, !readAheadUsed {
                readAheadUsed = true
                return true
            }
            readHeld = true
            return false
        }
        return true
    }

    /// A delayed or later answer begins: hold reads until it is out.
    mutating func answerStarted() {
        answerPending = true
        readAheadUsed = false
    }

    /// The answer is out.
    mutating func answerFinished() -> Action {
        guard answerPending else { return .none }
        answerPending = false
        return opened()
    }

    /// The channel became writable or unwritable (the client stopped or resumed reading).
    mutating func writabilityChanged(_ writable: Bool) -> Action {
        guard writable != self.writable else { return .none }
        self.writable = writable
        return writable ? opened() : .none
    }

    private mutating func opened() -> Action {
        guard isOpen else { return .none }
        if readHeld {
            readHeld = false
            return .read
        }
        return .resume
    }
}
