import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Sends `READY=1` when the service group has started (listeners bound, signals trapped).
struct ReadinessNotifier: Service {
    let logger: Logger
    /// Ends when everything that must be up before READY=1 is (the REST API's listener).
    var ready: @Sendable () async -> Void = {}

    func run() async throws {
        await ready()
        if let problem = SystemdNotifier.notify("READY=1") { logger.warning("sd_notify: \(problem)") }
        try? await gracefulShutdown()
    }
}

/// The systemd readiness protocol: a datagram such as `READY=1` to the Unix socket named by
/// `$NOTIFY_SOCKET` (a leading `@` means the abstract namespace).
enum SystemdNotifier {
    /// Sends `message` if `NOTIFY_SOCKET` is set; returns an error description on failure.
    @discardableResult
    static func notify(_ message: String) -> String? {
        guard let raw = getenv("NOTIFY_SOCKET"), let path = String(validatingCString: raw), !path.isEmpty else {
            return nil
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return "socket() failed: errno \(errno)" }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return "NOTIFY_SOCKET path is too long" }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, b) in bytes.enumerated() { buffer[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        let sent = message.withCString { text in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, text, strlen(text), 0, $0, length)
                }
            }
        }
        return sent < 0 ? "sendto(\(path)) failed: errno \(errno)" : nil
    }
}
