import FoundationEssentials
import MockModel
import Synchronization

/// The recording a server keeps while it relays statements to an upstream server (issue 19):
/// shared by every connection, started, stopped and reset at any time (REST), read as a JSON
/// trace the mock replays, and written to a file at exit.
public final class TraceRecorder: Sendable {
    private struct State {
        var recording: Bool
        var trace = TraceRecording()
        /// Each statement's last answer as responses, to tell a repeat without encoding it again.
        var lastAnswers: [String: [StatementResponse.Kind]] = [:]
    }

    private let state: Mutex<State>
    /// `exec_time` from the measured upstream time (`--record-timing`).
    public let timing: Bool

    /// `password` goes into `handshake.auth` only when given (`--record-password`).
    public init(recording: Bool = true, timing: Bool = false, password: String? = nil) {
        var state = State(recording: recording)
        state.trace.password = password
        self.state = Mutex(state)
        self.timing = timing
    }

    /// `true` while answers are being kept.
    public var isRecording: Bool { state.withLock { $0.recording } }

    /// Statements in the recording.
    public var statementCount: Int { state.withLock { $0.trace.statementCount } }

    public func start() { state.withLock { $0.recording = true } }

    public func stop() { state.withLock { $0.recording = false } }

    /// Forgets the statements recorded so far (the greeting and the user stay).
    public func reset() {
        state.withLock {
            $0.trace.reset()
            $0.lastAnswers.removeAll()
        }
    }

    /// The upstream server's greeting, as the recorder's own sessions get it.
    public func greeted(serverVersion: String, capabilities: UInt32, statusFlags: UInt16, characterSet: UInt8,
                        authMethod: String) {
        let greeting = TraceRecording.Greeting(serverVersion: serverVersion, capabilities: capabilities,
                                               statusFlags: statusFlags, characterSet: characterSet, authMethod: authMethod)
        state.withLock { $0.trace.greeting = greeting }
    }

    /// The user a client logged in to the mock as (the trace's `handshake.auth.username`).
    public func sawUser(_ user: String) {
        state.withLock { if $0.trace.user == nil { $0.trace.user = user } }
    }

    /// Keeps `responses` as the answer to `statement`, if recording; `elapsed` becomes the first
    /// result's `exec_time` with `timing`. An answer equal to the statement's last one (delays
    /// aside: with `timing`, a run of equal answers keeps the first one's time) is counted without
    /// being encoded again.
    public func record(_ statement: String, _ responses: [StatementResponse], elapsed: Duration = .zero) {
        guard !responses.isEmpty else { return }
        let kinds = responses.map(\.kind)
        let done = state.withLock { state -> Bool in
            guard state.recording else { return true }
            return state.lastAnswers[statement] == kinds && state.trace.repeatLast(statement)
        }
        if done { return }
        var responses = responses
        if timing, elapsed > .zero { responses[0].execTime = elapsed }
        // Encoded outside the lock: a large result costs its encoding, not everyone's wait.
        let json = TraceEncoder.answer(responses)
        state.withLock {
            guard $0.recording else { return }
            $0.trace.record(statement, json: json)
            $0.lastAnswers[statement] = kinds
        }
    }

    /// The recording as a JSON trace, formatted one statement per line.
    public var traceText: String { state.withLock { $0.trace.text } }

    /// Writes the trace to `path` (through a temporary file, so a reader never sees half of it).
    public func write(to path: String) throws {
        let text = traceText
        let temporary = path + ".tmp"
        try Data(text.utf8).write(to: URL(filePath: temporary))
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }
}
