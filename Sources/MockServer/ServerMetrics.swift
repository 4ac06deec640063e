import MockModel
import Synchronization

/// Counters of one server (or one cluster node) for `GET /metrics`: connections, statements by
/// response, unmatched statements, answer times, faults fired and the errors the server itself
/// sent. Counters only grow (a journal reset does not touch them); the open connections, the
/// trace and the scenarios are read when scraped.
///
/// The per-statement cost is a few relaxed atomic adds to the thread's own counters
/// (`StripedCounters`); faults and server errors, which are rare, go through a lock.
public final class ServerMetrics: Sendable {
    static let protocols: [SessionInfo.WireProtocol] = [.classic, .x]
    static let responses = ["ok", "error", "result"]
    /// Upper bounds of the answer-time histogram, in seconds.
    public static let bounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]

    // The hot counters, striped by thread: connections (2), statements by protocol and response
    // (6), unmatched (2), the histogram's buckets, and the microseconds summed.
    private static let connectionsAt = 0, statementsAt = 2, unmatchedAt = 8, bucketsAt = 10
    private static let microsecondsAt = bucketsAt + bounds.count + 1
    private let counters = StripedCounters(width: microsecondsAt + 1)
    private let rare = Mutex(Rare())

    private struct Rare {
        var faults: [String: Int] = [:]
        /// Protocol and error code → count.
        var errors: [String: [UInt16: Int]] = [:]
    }

    public init() {}

    private static func index(_ wireProtocol: SessionInfo.WireProtocol) -> Int { wireProtocol == .classic ? 0 : 1 }

    /// What one connection counts with: its thread's stripe, taken once on its event loop.
    struct Recorder {
        let metrics: ServerMetrics
        let stripe: StripedCounters.Stripe

        func connectionAccepted(_ wireProtocol: SessionInfo.WireProtocol) {
            stripe.add(ServerMetrics.connectionsAt + ServerMetrics.index(wireProtocol))
        }

        /// A statement answered: its response kind (`ok`, `error`, `result`), whether an entry
        /// answered it, how long from its arrival to its answer, and the fault it fired.
        func statement(_ wireProtocol: SessionInfo.WireProtocol, response: String, matched: Bool, seconds: Double,
                       fault: Fault?) {
            let p = ServerMetrics.index(wireProtocol)
            let r = response == "result" ? 2 : response == "error" ? 1 : 0
            stripe.add(ServerMetrics.statementsAt + p * 3 + r)
            if !matched { stripe.add(ServerMetrics.unmatchedAt + p) }
            let bucket = ServerMetrics.bounds.firstIndex { seconds <= $0 } ?? ServerMetrics.bounds.count
            stripe.add(ServerMetrics.bucketsAt + bucket)
            stripe.add(ServerMetrics.microsecondsAt, Int(max(0, seconds) * 1e6))
            if let fault { metrics.rare.withLock { $0.faults[ServerMetrics.faultName(fault), default: 0] += 1 } }
        }
    }

    /// The calling thread's recorder (call it on the connection's event loop).
    func recorder() -> Recorder { Recorder(metrics: self, stripe: counters.stripe()) }

    /// An error the server sent of its own (a refused login, an unknown command, a protocol error).
    func serverError(_ wireProtocol: SessionInfo.WireProtocol, code: UInt16) {
        rare.withLock { $0.errors[wireProtocol.rawValue, default: [:]][code, default: 0] += 1 }
    }

    /// `after_rows:2:close` is counted as `after_rows`.
    static func faultName(_ fault: Fault) -> String {
        if case .afterRows = fault { return "after_rows" }
        return fault.description
    }

    /// The families, with what is read at scrape time: the open sessions by protocol, the trace's
    /// status and its scenarios.
    public func families(open: [String: Int], trace: TraceHolder.Status?, scenarios: ScenarioStore?) -> [MetricFamily] {
        let prefix = "mysql_server_mock_"
        let totals = counters.totals()
        var families: [MetricFamily] = []
        families.append(MetricFamily(prefix + "connections_total", .counter, help: "Client connections accepted.",
            samples: Self.protocols.map { .init(labels: [("protocol", $0.rawValue)], value: Double(totals[Self.connectionsAt + Self.index($0)])) }))
        families.append(MetricFamily(prefix + "connections_open", .gauge, help: "Client connections open now.",
            samples: Self.protocols.map { .init(labels: [("protocol", $0.rawValue)], value: Double(open[$0.rawValue] ?? 0)) }))
        var byResponse: [MetricFamily.Sample] = []
        for p in Self.protocols {
            for (r, response) in Self.responses.enumerated() {
                byResponse.append(.init(labels: [("protocol", p.rawValue), ("response", response)],
                                        value: Double(totals[Self.statementsAt + Self.index(p) * 3 + r])))
            }
        }
        families.append(MetricFamily(prefix + "statements_total", .counter,
            help: "Statements answered, by protocol and the kind of the (first) response.", samples: byResponse))
        families.append(MetricFamily(prefix + "unmatched_statements_total", .counter,
            help: "Statements no trace entry answered (their clients got the near-miss error).",
            samples: Self.protocols.map { .init(labels: [("protocol", $0.rawValue)], value: Double(totals[Self.unmatchedAt + Self.index($0)])) }))
        var histogram: [MetricFamily.Sample] = []
        var cumulative = 0
        for (i, bound) in Self.bounds.enumerated() {
            cumulative += totals[Self.bucketsAt + i]
            histogram.append(.init(suffix: "_bucket", labels: [("le", MetricFamily.format(bound))], value: Double(cumulative)))
        }
        cumulative += totals[Self.bucketsAt + Self.bounds.count]
        histogram.append(.init(suffix: "_bucket", labels: [("le", "+Inf")], value: Double(cumulative)))
        histogram.append(.init(suffix: "_sum", value: Double(totals[Self.microsecondsAt]) / 1e6))
        histogram.append(.init(suffix: "_count", value: Double(cumulative)))
        families.append(MetricFamily(prefix + "statement_duration_seconds", .histogram,
            help: "Time from a statement's arrival to its answer, exec_time included.", samples: histogram))
        let rare = rare.withLock { $0 }
        families.append(MetricFamily(prefix + "faults_total", .counter, help: "Faults fired by statements (trace or REST), by kind.",
            samples: rare.faults.keys.sorted().map { .init(labels: [("fault", $0)], value: Double(rare.faults[$0] ?? 0)) }))
        var errors: [MetricFamily.Sample] = []
        for p in rare.errors.keys.sorted() {
            for (code, count) in (rare.errors[p] ?? [:]).sorted(by: { $0.key < $1.key }) {
                errors.append(.init(labels: [("protocol", p), ("code", String(code))], value: Double(count)))
            }
        }
        families.append(MetricFamily(prefix + "server_errors_total", .counter,
            help: "Errors the server sent of its own, not a trace's answer (1045 refused login, 1047 unknown command, ...).",
            samples: errors))
        if let trace {
            families.append(MetricFamily(prefix + "trace_reloads_total", .counter, help: "Reloads that replaced the trace.",
                                         samples: [.init(value: Double(trace.reloads))]))
            families.append(MetricFamily(prefix + "trace_reload_failures_total", .counter, help: "Reloads refused (the trace in use stayed).",
                                         samples: [.init(value: Double(trace.failedReloads))]))
            families.append(MetricFamily(prefix + "trace_loaded_timestamp_seconds", .gauge, help: "When the trace in use was loaded.",
                                         samples: [.init(value: trace.loadedAt)]))
        }
        if let scenarios {
            var states: [MetricFamily.Sample] = []
            for index in scenarios.scenarios.indices where scenarios.scenarios[index].scope == .global {
                let snapshot = scenarios.snapshot(index)
                for state in snapshot.scenario.states {
                    states.append(.init(labels: [("scenario", snapshot.scenario.name), ("state", state)],
                                        value: state == snapshot.state ? 1 : 0))
                }
            }
            families.append(MetricFamily(prefix + "scenario_state", .gauge,
                help: "1 for the state each global scenario is in, 0 for its other states.", samples: states))
        }
        return families
    }
}
