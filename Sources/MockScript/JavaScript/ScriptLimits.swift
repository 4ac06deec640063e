import CDuktapeShim

/// What a JavaScript trace's script may use: time per call and memory per heap.
public struct ScriptLimits: Sendable, Equatable {
    public enum Kind: Sendable {
        case time, memory
        /// The heap had been discarded already (by another connection's runaway call).
        case discarded
    }

    /// How long one call into the script may run (the trace's top level for a new connection, or
    /// one statement's `stmts`); zero for no limit.
    public var time: Duration
    /// Bytes one heap (the connections of one event-loop thread) may allocate; zero for no limit.
    public var memoryBytes: Int

    public static let defaultTime: Duration = .seconds(1)
    public static let defaultMemoryBytes = 64 << 20

    public init(time: Duration = ScriptLimits.defaultTime, memoryBytes: Int = ScriptLimits.defaultMemoryBytes) {
        self.time = time
        self.memoryBytes = memoryBytes
    }

    /// Whether calls can be stopped at the time limit in this process (Duktape is a shared
    /// library of its own, the CPU is x86-64 or ARM64); starts the watchdog thread.
    public static var timeLimitWorks: Bool { shim_time_limits_supported() == 1 }

    var milliseconds: UInt32 {
        let (seconds, attoseconds) = time.components
        guard seconds >= 0, time > .zero else { return 0 }
        return UInt32(clamping: max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }
}
