import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP loads the trace file again, as daemons reload their configuration: new connections get
/// the new trace, open ones keep theirs, and a broken file keeps the old trace (logged). Without
/// this service SIGHUP's default action would end the process (and leave its Unix socket file).
struct TraceReloader: Service {
    let reload: @Sendable () -> Result<String, any Error>

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        try await cancelWhenGracefulShutdown {
            for await _ in hangups { _ = reload() }
        }
    }
}
