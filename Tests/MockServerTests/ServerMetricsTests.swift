import MockModel
@testable import MockServer
import Testing

@Suite("Metrics: counters and Prometheus's text format")
struct ServerMetricsTests {
    @Test("the text format: HELP and TYPE once per family, labels escaped, numbers as the format spells them")
    func text() {
        let family = MetricFamily("m_total", .counter, help: "a \\ help\nline", samples: [
            .init(labels: [("a", #"x"y\z"#), ("b", "line\r\nbreak")], value: 3),
            .init(value: 0.25),
        ])
        #expect(MetricFamily.text([family]) == """
            # HELP m_total a \\\\ help\\nline
            # TYPE m_total counter
            m_total{a="x\\"y\\\\z",b="line\r\\nbreak"} 3
            m_total 0.25

            """)
        #expect(MetricFamily.format(.infinity) == "+Inf")
        #expect(MetricFamily.format(-.infinity) == "-Inf")
        #expect(MetricFamily.format(.nan) == "NaN")
        #expect(MetricFamily.format(1e20) == "1e+20")
    }

    @Test("a cluster's families: each node's samples labelled, families of one name together")
    func merged() {
        let a = [MetricFamily("x", .gauge, help: "h", samples: [.init(value: 1)]), MetricFamily("y", .gauge, help: "h", samples: [.init(value: 2)])]
        let b = [MetricFamily("y", .gauge, help: "h", samples: [.init(value: 3)]), MetricFamily("x", .gauge, help: "h", samples: [.init(value: 4)])]
        let merged = MetricFamily.merged([a.map { $0.labelled("node", "a") }, b.map { $0.labelled("node", "b") }])
        #expect(merged.map(\.name) == ["x", "y"])
        #expect(merged[0].samples == [.init(labels: [("node", "a")], value: 1), .init(labels: [("node", "b")], value: 4)])
    }

    @Test("statements by protocol and response, unmatched ones, a cumulative histogram, faults and server errors")
    func counting() throws {
        let metrics = ServerMetrics()
        let recorder = metrics.recorder()
        recorder.connectionAccepted(.classic)
        recorder.connectionAccepted(.x)
        recorder.connectionAccepted(.x)
        recorder.statement(.classic, response: "result", matched: true, seconds: 0.00005, fault: nil)
        recorder.statement(.classic, response: "error", matched: false, seconds: 0.003, fault: nil)
        recorder.statement(.x, response: "ok", matched: true, seconds: 7, fault: .afterRows(2, then: .close))
        metrics.serverError(.classic, code: 1045)
        metrics.serverError(.classic, code: 1045)
        let families = metrics.families(open: ["x": 1], trace: nil, scenarios: nil)
        func samples(_ name: String) -> [MetricFamily.Sample] {
            families.first { $0.name == "mysql_server_mock_" + name }?.samples ?? []
        }
        #expect(samples("connections_total").map(\.value) == [1, 2])
        #expect(samples("connections_open").map(\.value) == [0, 1])
        #expect(samples("statements_total").map(\.value) == [0, 1, 1, 1, 0, 0])
        #expect(samples("unmatched_statements_total").map(\.value) == [1, 0])
        let histogram = samples("statement_duration_seconds")
        let buckets = histogram.filter { $0.suffix == "_bucket" }
        #expect(buckets.count == ServerMetrics.bounds.count + 1)
        #expect(buckets.first?.value == 1)  // ≤ 0.0001
        #expect(buckets.first { $0.labels.first?.1 == "0.005" }?.value == 2)
        #expect(buckets.first { $0.labels.first?.1 == "5" }?.value == 2)
        #expect(buckets.last?.labels.first?.1 == "+Inf" && buckets.last?.value == 3)
        #expect(histogram.first { $0.suffix == "_count" }?.value == 3)
        let sum = try #require(histogram.first { $0.suffix == "_sum" }?.value)
        #expect(abs(sum - 7.00305) < 1e-5)
        #expect(samples("faults_total") == [.init(labels: [("fault", "after_rows")], value: 1)])
        #expect(samples("server_errors_total") == [.init(labels: [("protocol", "classic"), ("code", "1045")], value: 2)])
    }

    @Test("striped counters: each thread adds to its own stripe, and the totals sum them all")
    func striped() async {
        let counters = StripedCounters(width: 3)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let stripe = counters.stripe()
                    for _ in 0..<1000 { stripe.add(1) }
                    stripe.add(2, 5)
                }
            }
        }
        #expect(counters.totals() == [0, 8000, 40])
        #expect(counters.total(1) == 8000)
        counters.reset()
        #expect(counters.totals() == [0, 0, 0])
    }
}
