import Logging
import MockModel
import MockScript
import MockUpstream
import NIOCore
import NIOPosix

/// `--upstream` and the `--upstream-*` / `--record*` options, put together.
struct Upstream {
    let endpoint: UpstreamEndpoint
    let credentials: UpstreamTrace.Credentials
    let recorder: TraceRecorder
    /// The trace without `--filename`: no answers of its own, the upstream server's greeting.
    let relayOnly: RelayOnlyTrace

    /// `trace` with the upstream server behind it.
    func wrap(_ trace: any Trace) -> any Trace {
        UpstreamTrace(inner: trace, endpoint: endpoint, credentials: credentials, recorder: recorder)
    }

    /// `nil` without `--upstream`; exits with a message naming the option for a bad value. Logs in
    /// once to learn the upstream greeting (a server that cannot be reached now is only a warning:
    /// each client's first relayed statement tries again).
    static func configure(_ options: Options, logger: Logger) async -> Upstream? {
        guard let text = options.upstream else { return nil }
        let address: UpstreamEndpoint.Address
        switch UpstreamEndpoint.parseAddress(text) {
        case .success(let parsed): address = parsed
        case .failure(let error): Entrypoint.fail(error.description)
        }
        guard let mode = UpstreamEndpoint.TLS.Mode(rawValue: options.upstreamSslMode.uppercased()) else {
            Entrypoint.fail("invalid value '\(options.upstreamSslMode)' for --upstream-ssl-mode. Allowed values: "
                            + UpstreamEndpoint.TLS.Mode.allCases.map(\.rawValue).joined(separator: ","))
        }
        let tls: UpstreamEndpoint.TLS
        do {
            var hostname: String?
            if case .tcp(let host, _) = address, !host.contains(":"), !host.allSatisfy({ $0.isNumber || $0 == "." }) {
                hostname = host
            }
            tls = try UpstreamEndpoint.TLS(mode: mode, caFile: options.upstreamSslCa, serverHostname: hostname)
        } catch {
            Entrypoint.fail("setting up TLS for --upstream failed (--upstream-ssl-ca \(options.upstreamSslCa ?? "not given")): \(error)")
        }
        let endpoint = UpstreamEndpoint(
            address: address, tls: tls,
            connectTimeout: .milliseconds(Int64(options.upstreamConnectTimeout * 1000)))
        let credentials = UpstreamTrace.Credentials(user: options.upstreamUser, password: options.upstreamPassword)
        let recorder = TraceRecorder(recording: options.record != nil || options.filename == nil,
                                     timing: options.recordTiming, password: options.recordPassword)
        var greeting = HandshakeScript.Greeting()
        if options.filename == nil {
            switch await UpstreamTrace.probe(endpoint, credentials: credentials,
                                             on: MultiThreadedEventLoopGroup.singleton.next()) {
            case .success(let handshake):
                greeting = UpstreamTrace.greetingScript(handshake)
                logger.notice("upstream \(address): \(handshake.serverVersion), auth plugin \(handshake.authPluginName)")
            case .failure(let failure):
                logger.warning("""
                    cannot log in to the upstream server \(address) now (\(failure)); clients get the mock's own \
                    greeting, and each client's first statement tries the upstream server again
                    """)
            }
        }
        return Upstream(endpoint: endpoint, credentials: credentials, recorder: recorder,
                        relayOnly: RelayOnlyTrace(greeting: greeting))
    }
}
