import ArgumentParser
import FoundationEssentials
import Logging
import MockAdmin
import MockModel
import MockScript
import MockServer
import MockUpstream
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

@main
enum Entrypoint {
    static func main() async {
        let arguments = Options.normalize(Array(CommandLine.arguments.dropFirst()))
        let options: Options
        do {
            options = try Options.parse(arguments)
        } catch {
            if Options.exitCode(for: error) == .success { Options.exit(withError: error) }
            fail(Options.message(for: error))
        }
        await run(options)
    }

    /// Raises the soft limit on open files to the hard limit (every session is a descriptor; a
    /// shell's default 1024 would cap the server below `--max-connections`).
    static func raiseOpenFilesLimit(logger: Logger) {
        var limit = rlimit()
        let resource = Int32(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        let before = limit.rlim_cur
        // Linux caps descriptors at fs.nr_open (1,048,576 by default) even when the hard limit is unlimited.
        for wanted in [limit.rlim_max, min(limit.rlim_max, 1 << 20)] where wanted > before {
            limit.rlim_cur = wanted
            if setrlimit(resource, &limit) == 0 {
                logger.info("open files limit raised from \(before) to \(wanted)")
                return
            }
        }
        logger.notice("cannot raise the open files limit above \(before): \(String(cString: strerror(errno)))")
    }

    /// Logs to standard error, or to `<--logging-folder>/<logName>`, at debug level with `--verbose`;
    /// raises the open-files limit.
    static func setUpLogging(_ options: Options, logName: String) -> Logger {
        let level: Logger.Level = options.verbose ? .debug : .notice
        let sink: MockLogHandler.Sink
        if let folder = options.loggingFolder {
            let path = "\(folder)/\(logName)"
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { fail("cannot open log file \(path): \(String(cString: strerror(errno)))") }
            sink = .init(fd: fd)
        } else {
            sink = .init(fd: 2)
        }
        LoggingSystem.bootstrap { label in MockLogHandler(label: label, sink: sink, logLevel: level) }
        let logger = Logger(label: "mock_server")
        raiseOpenFilesLimit(logger: logger)
        return logger
    }

    /// Prints `ERROR: <message>` and exits 1, like the reference.
    static func fail(_ message: String) -> Never {
        MockLogHandler.Sink(fd: 2).write("ERROR: \(message)\n")
        exit(1)
    }

    static func run(_ options: Options) async {
        if let cluster = options.cluster { return await ClusterMode.run(cluster, options: options) }
        let tcpPort: Int?
        do {
            let given = try options.validatedPort()
            tcpPort = given ?? (options.socket == nil && options.xport == nil && options.xsocket == nil ? 3306 : nil)
        } catch {
            fail("\(error)")
        }
        if options.coreFile == "1" {
            var limit = rlimit(rlim_cur: rlim_t.max, rlim_max: rlim_t.max)
            setrlimit(Int32(RLIMIT_CORE.rawValue), &limit)
        }

        let logger = setUpLogging(options, logName: "mock_server_\(tcpPort ?? 0).log")

        let globals = GlobalStore()
        let upstream = await Upstream.configure(options, logger: logger)
        var trace: any Trace
        do {
            if options.filename == nil, let relayOnly = upstream?.relayOnly {
                trace = relayOnly
            } else {
                trace = try TraceLoader.load(options.traceFile, modulePrefixes: options.modulePrefix, globals: globals,
                                             logger: logger, scriptLimits: options.scriptLimits)
            }
        } catch {
            fail("\(error)")
        }
        trace = upstream?.wrap(trace) ?? trace
        if trace is JavaScriptTrace, options.jsTimeout > 0, !ScriptLimits.timeLimitWorks {
            logger.warning("""
                --js-timeout cannot stop a script in this build (Duktape is not a shared library of its own, or the \
                CPU is not x86-64 or ARM64): a trace that loops forever stalls its event loop
                """)
        }

        let tls: TLSSettings
        let passwordKeys: PasswordKeyPair
        do {
            tls = try TLSOptions.settings(from: options)
            if let path = options.cachingSha2PrivateKey {
                guard let pem = FileManager.default.contents(atPath: path) else {
                    throw TLSOptions.Failure(description: "cannot read --caching-sha2-private-key \(path)")
                }
                do {
                    passwordKeys = try PasswordKeyPair(privateKeyPEM: String(decoding: pem, as: UTF8.self))
                } catch {
                    throw TLSOptions.Failure(description: "--caching-sha2-private-key \(path) is not an RSA private key: \(error)")
                }
            } else {
                passwordKeys = PasswordKeyPair()
            }
        } catch {
            fail("\(error)")
        }
        var configuration = ServerConfiguration(
            trace: trace, maxPacketSize: options.maxPacketSize,
            connectTimeout: .milliseconds(Int64(options.connectTimeout * 1000)), logger: logger, tls: tls,
            passwordKeys: passwordKeys, journal: Journal(capacity: options.journalSize, maxStatementBytes: options.journalStatementSize))
        configuration.maxConnections = options.maxConnections
        configuration.compression = options.compressionAlgorithms
        configuration.onQuit = QuitBehaviour(rawValue: options.onQuit) ?? .close
        configuration.waitTimeout = options.waitTimeout.map { .milliseconds(Int64($0 * 1000)) }
        let group: any EventLoopGroup = options.ioThreads.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
            ?? MultiThreadedEventLoopGroup.singleton
        var classic: [ListenTarget] = []
        var x: [ListenTarget] = []
        if let tcpPort, tcpPort != 0 { classic.append(.tcp(host: options.bindAddress, port: tcpPort)) }
        if let socket = options.socket { classic.append(.unixSocket(path: socket)) }
        if let xport = try? options.validatedXPort() { x.append(.tcp(host: options.bindAddress, port: xport)) }
        if let xsocket = options.xsocket { x.append(.unixSocket(path: xsocket)) }
        guard !classic.isEmpty || !x.isEmpty else { fail("nothing to listen on: --port is 0 and no --socket was given") }

        // The REST API's access rules are settled before anything binds.
        let token: String?
        if let path = options.httpAuthTokenFile {
            guard let data = FileManager.default.contents(atPath: path),
                  let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first,
                  !line.trimmingCharacters(in: .whitespaces).isEmpty
            else { fail("cannot read a token from --http-auth-token-file \(path)") }
            token = line.trimmingCharacters(in: .whitespaces)
        } else {
            token = options.httpAuthToken
        }
        if token == nil, options.httpPort != nil, !options.httpAllowRemote, !AdminAccess.isLoopback(options.httpBindAddress) {
            fail("refusing to serve the REST API on \(options.httpBindAddress) without --http-auth-token: "
                 + "anyone who reaches it can change globals and drop sessions (--http-allow-remote to do it anyway)")
        }
        let server: MockServerInstance
        do {
            server = try await MockServerInstance.bind(configuration: configuration, classic: classic, x: x, group: group)
        } catch {
            fail("\(error)")
        }
        let (filename, modulePrefixes, traces) = (options.traceFile, options.modulePrefix, configuration.traces)
        let scriptLimits = options.scriptLimits
        let relayOnly = options.filename == nil && upstream != nil
        let reloadTrace: @Sendable () -> Result<String, any Error> = {
            if relayOnly { return .success("no trace file: every statement is relayed upstream") }
            do {
                var fresh = try TraceLoader.load(filename, modulePrefixes: modulePrefixes, globals: globals, logger: logger,
                                                 scriptLimits: scriptLimits)
                fresh = upstream?.wrap(fresh) ?? fresh
                traces.replace(with: fresh)
                logger.notice("reloaded the trace \(fresh.name); new connections are answered from it")
                return .success(fresh.name)
            } catch {
                logger.error("reloading the trace failed, keeping the previous one: \(error)")
                traces.reloadFailed("\(error)")
                return .failure(error)
            }
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = server.listeners.map { .init(service: $0) }
        // READY=1 waits for the REST API's listener too, so a test may call it as soon as it hears READY.
        let (adminUp, adminListening) = AsyncStream<Never>.makeStream()
        if options.httpPort == nil { adminListening.finish() }
        services.append(.init(service: TraceReloader(reload: reloadTrace)))
        if let httpPort = try? options.validatedHTTPPort() {
            let access = AdminAccess(bindAddress: options.httpBindAddress, token: token)
            let admin = AdminResponder(globals: globals, registry: server.registry, journal: server.journal,
                                       access: access, reloadTrace: reloadTrace, recorder: upstream?.recorder,
                                       faults: server.configuration.faults, traces: traces,
                                       metrics: server.configuration.metrics)
            let app = AdminServer.application(host: options.httpBindAddress, port: httpPort, responder: admin,
                                              logger: Logger(label: "rest_mock_server"),
                                              onServerRunning: { adminListening.finish() })
            services.append(.init(service: app))
            let base = "http://\(ListenTarget.tcp(host: options.httpBindAddress, port: httpPort))"
            logger.notice("REST API on \(base)/api/v1/mock_server/, dashboard on \(base)/")
        }
        if let recorder = upstream?.recorder, let path = options.record {
            services.append(.init(service: RecordingWriter(recorder: recorder, path: path, logger: logger)))
        }
        // Readiness goes last: by the time it runs, every listener is bound and the signal
        // handlers are in place, so a SIGTERM right after READY=1 shuts down cleanly.
        let serviceGroup = ServiceGroup(configuration: .init(
            services: services + [.init(service: JournalShutdown(journal: server.journal)),
                                  .init(service: ReadinessNotifier(logger: logger, ready: { for await _ in adminUp {} }))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await serviceGroup.run()
        } catch {
            logger.error("stopped with error: \(error)")
            exit(1)
        }
        SystemdNotifier.notify("STOPPING=1\nSTATUS=mock server shutdown in progress\n")
        exit(0)
    }
}
