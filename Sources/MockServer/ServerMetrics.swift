import MockModel
import Synchronization

/// Counters of one server (or one cluster node) for `GET /metrics`: connections, statements by
/// response, unmatched statements, answer times, faults fired and the errors the server itself
/// sent. Counters only grow (a journal reset does not touch them); the open connections, the
/// trace and the scenarios are read when scraped.
///
/// The per-statement cost is a few relaxed atomic adds; faults and server errors, which are rare,
/// go through a lock.
public final class ServerMetrics: Sendable {
    static let protocols: [SessionInfo.WireProtocol] = [.classic, .x]
    static let responses = ["ok", "error", "result"]
    /// Upper bounds of the answer-time histogram, in seconds.
    public static let bounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]

    private let connections = Counter.many(2)
    private let statements = Counter.many(2 * 3)
    private let unmatched = Counter.many(2)
    private let buckets = Counter.many(bounds.count + 1)
    private let microseconds = Counter()
    private let rare = Mutex(Rare())

    private struct Rare {
        var faults: [String: Int] = [:]
        /// Protocol and error code → count.
        var errors: [String: [UInt16: Int]] = [:]
    }

    public init() {}

    private static func index(_ wireProtocol: SessionInfo.WireProtocol) -> Int { wireProtocol == .classic ? 0 : 1 }

    func connectionAccepted(_ wireProtocol: SessionInfo.WireProtocol) {
        connections[Self.index(wireProtocol)].add(1)
    }

    /// A statement answered: its response kind (`ok`, `error`, `result`), whether an entry answered
    /// it, how long from its arrival to its answer, and the fault it fired.
    func statement(_ wireProtocol: SessionInfo.WireProtocol, response: String, matched: Bool, seconds: Double, fault: Fault?) {
        let p = Self.index(wireProtocol)
        let r = response == "result" ? 2 : response == "error" ? 1 : 0
        statements[p * 3 + r].add(1)
        if !matched { unmatched[p].add(1) }
        let bucket = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        buckets[bucket].add(1)
        microseconds.add(Int(max(0, seconds) * 1e6))
        if let fault { rare.withLock { $0.faults[Self.faultName(fault), default: 0] += 1 } }
    }

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
        var families: [MetricFamily] = []
        families.append(MetricFamily(prefix + "connections_total", .counter, help: "Client connections accepted.",
            samples: Self.protocols.map { .init(labels: [("protocol", $0.rawValue)], value: Double(connections[Self.index($0)].value)) }))
        families.append(MetricFamily(prefix + "connections_open", .gauge, help: "Client connections open now.",
            samples: Self.protocols.map { .init(labels: [("protocol", $0.rawValue)], value: Double(open[$0.rawValue] ?? 0)) }))
        var byResponse: [MetricFamily.Sample] = []
        for p in Self.protocols {
            for (r, response) in Self.responses.enumerated() {
                byResponse.append(.init(labels: [("protocol", p.rawValue), ("response", response)],
                                        value: Double(statements[Self.index(p) * 3 + r].value)))
            }
        }
        families.append(MetricFamily(prefix + "statements_total", .counter,
            help: "Statements answered, by protocol and the kind of the (first) response.", samples: byResponse))
        families.append(MetricFamily(prefix + "unmatched_statements_total", .counter,
            help: "Statements no trace entry answered (their clients got the near-miss error).",
            samples: Self.protocols.map { .init(labels: [("protocol", $0.rawValue)], value: Double(unmatched[Self.index($0)].value)) }))
        var histogram: [MetricFamily.Sample] = []
        var cumulative = 0
        for (i, bound) in Self.bounds.enumerated() {
            cumulative += buckets[i].value
            histogram.append(.init(suffix: "_bucket", labels: [("le", MetricFamily.format(bound))], value: Double(cumulative)))
        }
        cumulative += buckets[Self.bounds.count].value
        histogram.append(.init(suffix: "_bucket", labels: [("le", "+Inf")], value: Double(cumulative)))
        histogram.append(.init(suffix: "_sum", value: Double(microseconds.value) / 1e6))
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

/// One counter (an `Atomic` cannot be an array's element; a class holding one can).
private final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)

    func add(_ n: Int) { atomic.add(n, ordering: .relaxed) }
    var value: Int { atomic.load(ordering: .relaxed) }

    static func many(_ count: Int) -> [Counter] { (0..<count).map { _ in Counter() } }
}
