import Logging
import MockScript
import ServiceLifecycle

/// Writes the recording to `--record`'s file when the server shuts down (SIGTERM, SIGINT).
public struct RecordingWriter: Service {
    let recorder: TraceRecorder
    let path: String
    let logger: Logger

    public init(recorder: TraceRecorder, path: String, logger: Logger) {
        self.recorder = recorder
        self.path = path
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        do {
            try recorder.write(to: path)
            logger.notice("wrote the recording (\(recorder.statementCount) statements) to \(path)")
        } catch {
            logger.error("cannot write the recording to \(path): \(error)")
        }
    }
}
