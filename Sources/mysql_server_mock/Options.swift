import ArgumentParser
import MockScript
import MockServer
import MySQLWire

/// The command line, compatible with MySQL Router's `mysql_server_mock` (`--opt value` and
/// `--opt=value`), plus our own options.
struct Options: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "mysql_server_mock",
        abstract: "A scriptable mock MySQL server: answers the classic protocol from a trace file.",
        version: "mysql_server_mock \(version) (mysql-server-mock, Swift)")

    @Option(name: [.customShort("f"), .long], help: ArgumentHelp(
        "Trace file to answer from (JSON or JavaScript), or builtin:default (the default; with --upstream, "
            + "no trace: every statement is relayed).", valueName: "path"))
    var filename: String?

    /// The trace to load: `--filename`, or `builtin:default`.
    var traceFile: String { filename ?? "builtin:default" }

    @Option(name: [.customShort("B"), .long], help: ArgumentHelp(
        "Address the listeners bind to.", valueName: "host"))
    var bindAddress: String = "0.0.0.0"

    @Option(name: [.customShort("P"), .long], help: ArgumentHelp(
        "Classic-protocol TCP port (0 disables; default 3306 unless only --socket is given).", valueName: "port"))
    var port: String?

    @Option(help: ArgumentHelp("Classic protocol on this Unix-domain socket as well.", valueName: "path"))
    var socket: String?

    @Option(name: [.customShort("X"), .long], help: ArgumentHelp("X protocol TCP port (0 or absent: none).",
                                                                 valueName: "port"))
    var xport: String?

    @Option(help: ArgumentHelp("X protocol on this Unix-domain socket.", valueName: "path"))
    var xsocket: String?

    @Option(help: ArgumentHelp(
        "Prefix for JavaScript module lookup (repeatable; default: the working directory).", valueName: "dir"))
    var modulePrefix: [String] = []

    @Flag(help: "Log at debug level: every connection and statement.")
    var verbose = false

    @Option(help: ArgumentHelp(
        "Log to <dir>/mock_server_<port>.log instead of standard error.", valueName: "dir"))
    var loggingFolder: String?

    @Option(help: ArgumentHelp("Allow a core dump on a fatal signal: 0 or 1 (bare --core-file means 1).",
                               valueName: "0|1"))
    var coreFile: String = "0"

    @Option(help: ArgumentHelp("DISABLED, PREFERRED or REQUIRED (case-insensitive); REQUIRED refuses plaintext logins.",
                               valueName: "mode"))
    var sslMode: String = "DISABLED"

    @Option(help: ArgumentHelp("Server certificate (PEM); required unless --ssl-mode is DISABLED.", valueName: "path"))
    var sslCert: String?

    @Option(help: ArgumentHelp("Server private key (PEM); required unless --ssl-mode is DISABLED.", valueName: "path"))
    var sslKey: String?

    @Option(help: ArgumentHelp("CA certificates (PEM) to verify client certificates with.", valueName: "path"))
    var sslCa: String?

    @Option(help: ArgumentHelp("Directory of CA certificates (PEM).", valueName: "dir"))
    var sslCapath: String?

    @Option(help: ArgumentHelp("Certificate revocation list (PEM) for client certificates.", valueName: "path"))
    var sslCrl: String?

    @Option(help: ArgumentHelp("Directory of certificate revocation lists (PEM).", valueName: "dir"))
    var sslCrlpath: String?

    @Option(help: ArgumentHelp("OpenSSL cipher list for TLS 1.2 and below (TLS 1.3 suites are fixed).",
                               valueName: "ciphers"))
    var sslCipher: String?

    @Option(help: ArgumentHelp("Pin the TLS version: TLSv1.2 or TLSv1.3 (also TLSv1, TLSv1.1).", valueName: "version"))
    var tlsVersion: String?

    @Option(help: ArgumentHelp("RSA private key (PEM) for caching_sha2_password/sha256_password password exchange "
                               + "without TLS; generated at first use when absent.", valueName: "path"))
    var cachingSha2PrivateKey: String?

    @Option(help: ArgumentHelp("RSA public key (PEM) matching --caching-sha2-private-key (accepted; derived from the "
                               + "private key).", valueName: "path"))
    var cachingSha2PublicKey: String?

    @Option(help: ArgumentHelp("Serve the REST admin API on this port, and the dashboard at /.", valueName: "port"))
    var httpPort: String?

    @Option(help: ArgumentHelp("Address the REST admin API binds to.", valueName: "host"))
    var httpBindAddress: String = "127.0.0.1"

    @Option(help: ArgumentHelp("Require 'Authorization: Bearer <token>' on every REST request.", valueName: "token"))
    var httpAuthToken: String?

    @Option(help: ArgumentHelp("Read the REST API's bearer token from this file (first line).", valueName: "path"))
    var httpAuthTokenFile: String?

    @Flag(help: "Serve the REST API on a non-loopback address without a token (anyone who can reach it controls the mock).")
    var httpAllowRemote = false

    @Option(help: ArgumentHelp("Statements the journal keeps (oldest dropped first).", valueName: "n"))
    var journalSize: Int = 10_000

    @Option(help: ArgumentHelp("Bytes of each statement the journal keeps (its full length is recorded).",
                               valueName: "bytes"))
    var journalStatementSize: Int = Journal.defaultMaxStatementBytes

    @Option(help: ArgumentHelp("Open sessions allowed; one more gets ERR 1040 instead of the greeting.", valueName: "n"))
    var maxConnections: Int = 10_000

    @Option(help: ArgumentHelp("Close an authenticated session idle this many seconds (default: never).",
                               valueName: "seconds"))
    var waitTimeout: Double?

    @Option(help: ArgumentHelp("Event-loop threads serving connections (default: one per core).", valueName: "n"))
    var ioThreads: Int?

    @Option(help: ArgumentHelp("Largest packet accepted from a client, in bytes.", valueName: "bytes"))
    var maxPacketSize: Int = 64 << 20

    @Option(help: ArgumentHelp(
        "Seconds a client may take to finish the handshake before it is disconnected.", valueName: "seconds"))
    var connectTimeout: Double = 10

    @Option(help: ArgumentHelp(
        "After COM_QUIT: 'close' at once as a server does, or 'wait-for-client' to close first (the reference's way).",
        valueName: "close|wait-for-client"))
    var onQuit: String = QuitBehaviour.close.rawValue

    @Option(help: ArgumentHelp(
        "Milliseconds one call into a JavaScript trace may run (a connection's start, one statement); "
            + "past it the statement gets ERR 3024 and the thread's script heap starts again (0: no limit).",
        valueName: "ms"))
    var jsTimeout: Int = 1000

    @Option(help: ArgumentHelp(
        "Bytes a JavaScript heap (one per event-loop thread) may allocate; past it the script gets a RangeError "
            + "and the heap starts again (0: no limit).", valueName: "bytes"))
    var jsHeapLimit: Int = ScriptLimits.defaultMemoryBytes

    @Option(help: ArgumentHelp(
        "A real MySQL server (host:port, [ipv6]:port or a socket path) that answers every statement the trace "
            + "does not: over an upstream session per client connection. Without --filename, it answers everything.",
        valueName: "address"))
    var upstream: String?

    @Option(help: ArgumentHelp(
        "User the upstream sessions log in as (default: the user the client logged in to the mock as).",
        valueName: "name"))
    var upstreamUser: String?

    @Option(help: ArgumentHelp("Password of --upstream-user (mysql_native_password or caching_sha2_password).",
                               valueName: "password"))
    var upstreamPassword: String = ""

    @Option(help: ArgumentHelp(
        "TLS on the upstream leg: DISABLED, PREFERRED (if offered), REQUIRED, VERIFY_CA or VERIFY_IDENTITY.",
        valueName: "mode"))
    var upstreamSslMode: String = "PREFERRED"

    @Option(help: ArgumentHelp("CA certificates (PEM) for --upstream-ssl-mode VERIFY_CA / VERIFY_IDENTITY.",
                               valueName: "path"))
    var upstreamSslCa: String?

    @Option(help: ArgumentHelp(
        "Seconds to wait for the upstream server to accept a connection.", valueName: "seconds"))
    var upstreamConnectTimeout: Double = 10

    @Option(help: ArgumentHelp(
        "Record the upstream server's answers and write them to this JSON trace file at exit (SIGTERM, SIGINT); "
            + "the REST API reads, starts, stops and resets the recording.", valueName: "path"))
    var record: String?

    @Flag(help: "Write each recorded answer's measured upstream time as its exec_time.")
    var recordTiming = false

    @Option(help: ArgumentHelp(
        "Password written into the recorded trace's handshake.auth (none is written otherwise).", valueName: "password"))
    var recordPassword: String?

    @Option(help: ArgumentHelp(
        "Compression the classic protocol offers, comma-separated: zlib, zstd, uncompressed.", valueName: "list"))
    var protocolCompressionAlgorithms = "zlib,zstd,uncompressed"

    /// `--protocol-compression-algorithms` as a set (checked by `validate`).
    var compressionAlgorithms: Set<CompressionAlgorithm> {
        Set(protocolCompressionAlgorithms.split(separator: ",").compactMap {
            CompressionAlgorithm(rawValue: $0.trimmingCharacters(in: .whitespaces).lowercased())
        })
    }

    @Option(help: ArgumentHelp(
        "Run a cluster of mock servers in this process, as the JSON file describes (nodes with their ports, "
            + "traces, roles and globals; shared globals; the REST port). Replaces --filename, --port and the like.",
        valueName: "path"))
    var cluster: String?

    /// `--js-timeout` and `--js-heap-limit`.
    var scriptLimits: ScriptLimits {
        ScriptLimits(time: .milliseconds(jsTimeout), memoryBytes: jsHeapLimit)
    }

    /// The `--port` value checked: 0–65535, decimal; `nil` when not given.
    func validatedPort() throws -> Int? {
        guard let port else { return nil }
        guard !port.isEmpty else { return 0 }
        guard port.allSatisfy(\.isNumber), let value = Int(port), (0...65535).contains(value) else {
            throw ValidationError("invalid value for --port: expected a number between 0 and 65535, was '\(port)'")
        }
        return value
    }

    func validatedHTTPPort() throws -> Int? {
        guard let httpPort else { return nil }
        guard httpPort.allSatisfy(\.isNumber), let value = Int(httpPort), (1...65535).contains(value) else {
            throw ValidationError("invalid value for --http-port: expected a number between 1 and 65535, was '\(httpPort)'")
        }
        return value
    }

    /// The `--xport` value checked like `--port`; `nil` when absent or 0.
    func validatedXPort() throws -> Int? {
        guard let xport, !xport.isEmpty else { return nil }
        guard xport.allSatisfy(\.isNumber), let value = Int(xport), (0...65535).contains(value) else {
            throw ValidationError("invalid value for --xport: expected a number between 0 and 65535, was '\(xport)'")
        }
        return value == 0 ? nil : value
    }

    func validate() throws {
        _ = try validatedPort()
        _ = try validatedXPort()
        _ = try validatedHTTPPort()
        guard maxConnections >= 1 else {
            throw ValidationError("invalid value for --max-connections: expected at least 1, was '\(maxConnections)'")
        }
        if let waitTimeout, !(waitTimeout > 0 && waitTimeout.isFinite) {
            throw ValidationError("invalid value for --wait-timeout: expected a positive number of seconds, was '\(waitTimeout)'")
        }
        guard journalSize >= 1 else {
            throw ValidationError("invalid value for --journal-size: expected at least 1, was '\(journalSize)'")
        }
        guard journalStatementSize >= 0 else {
            throw ValidationError("invalid value for --journal-statement-size: expected at least 0, was '\(journalStatementSize)'")
        }
        guard coreFile == "0" || coreFile == "1" else {
            throw ValidationError("Value for parameter '--core-file' needs to be one of: ['0', '1']")
        }
        if let ioThreads, !(1...1024).contains(ioThreads) {
            throw ValidationError("invalid value for --io-threads: expected 1 to 1024, was '\(ioThreads)'")
        }
        guard maxPacketSize >= 1024 else {
            throw ValidationError("invalid value for --max-packet-size: expected at least 1024, was '\(maxPacketSize)'")
        }
        guard QuitBehaviour(rawValue: onQuit) != nil else {
            throw ValidationError("invalid value for --on-quit: expected 'close' or 'wait-for-client', was '\(onQuit)'")
        }
        guard (0...86_400_000).contains(jsTimeout) else {
            throw ValidationError("invalid value for --js-timeout: expected 0 to 86400000 milliseconds, was '\(jsTimeout)'")
        }
        guard jsHeapLimit == 0 || jsHeapLimit >= 1 << 20 else {
            throw ValidationError("invalid value for --js-heap-limit: expected 0 (no limit) or at least 1048576 bytes, was '\(jsHeapLimit)'")
        }
        for name in protocolCompressionAlgorithms.split(separator: ",", omittingEmptySubsequences: false) {
            let word = name.trimmingCharacters(in: .whitespaces).lowercased()
            guard ["zlib", "zstd", "uncompressed"].contains(word) else {
                throw ValidationError("invalid value '\(name)' in --protocol-compression-algorithms: "
                                      + "expected a comma-separated list of zlib, zstd and uncompressed")
            }
        }
        if cluster != nil {
            let clashing = [("--filename", filename != nil), ("--port", port != nil), ("--xport", xport != nil),
                            ("--socket", socket != nil), ("--xsocket", xsocket != nil), ("--upstream", upstream != nil),
                            ("--http-port", httpPort != nil)]
            if let (name, _) = clashing.first(where: \.1) {
                throw ValidationError("--cluster describes every node in its file; \(name) cannot be given with it")
            }
        }
        if record != nil || recordTiming || recordPassword != nil || upstreamUser != nil, upstream == nil {
            throw ValidationError("--record, --record-timing, --record-password and --upstream-user need --upstream")
        }
        guard upstreamConnectTimeout > 0, upstreamConnectTimeout.isFinite else {
            throw ValidationError("invalid value for --upstream-connect-timeout: expected a positive number of seconds, "
                                  + "was '\(upstreamConnectTimeout)'")
        }
        guard connectTimeout > 0, connectTimeout.isFinite else {
            throw ValidationError("invalid value for --connect-timeout: expected a positive number of seconds, was '\(connectTimeout)'")
        }
    }

    /// Reference spellings ArgumentParser does not have: `-V` (version), `-?` (help), and a bare
    /// `--core-file` (meaning 1; ArgumentParser wants a value, so give it one).
    static func normalize(_ arguments: [String]) -> [String] {
        var result: [String] = []
        for (index, argument) in arguments.enumerated() {
            switch argument {
            case "-V": result.append("--version")
            case "-?": result.append("--help")
            default: result.append(argument)
            }
            if argument == "--core-file" {
                let next = index + 1 < arguments.count ? arguments[index + 1] : nil
                if next == nil || next!.hasPrefix("-") { result[result.count - 1] = "--core-file=1" }
            }
        }
        return result
    }
}
