import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Writes log lines the way MySQL Router's logger does:
/// `2026-01-30 10:00:00.123 mock_server INFO [7f0a12345678] accepted from 127.0.0.1:51234`,
/// to standard error or to a file.
struct MockLogHandler: LogHandler {
    /// Where lines go; one lock per destination keeps lines whole.
    final class Sink: Sendable {
        private let lock = NIOLock()
        private let fd: Int32

        /// Writes to the open file descriptor `fd` (2 for standard error).
        init(fd: Int32) { self.fd = fd }

        func write(_ line: String) {
            var line = line
            lock.withLock {
                line.withUTF8 { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                        if n <= 0 { break }
                        offset += n
                    }
                }
            }
        }
    }

    let label: String
    let sink: Sink
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let tags = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let thread = String(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(bitPattern: Int(pthread_self())))), radix: 16)
        sink.write("\(Self.timestamp()) \(label) \(event.level.rawValue.uppercased()) [\(thread)] \(event.message)\(tags)\n")
    }

    /// Local time with milliseconds: `YYYY-MM-DD hh:mm:ss.mmm`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        localtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday)) "
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(Int32(now.tv_nsec / 1_000_000), 3))"
    }
}
