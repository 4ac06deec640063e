import Hummingbird
import MockServer

/// `GET /metrics` (and `/api/v1/mock_server/metrics`): the server's counters in Prometheus's text
/// exposition format (`ServerMetrics`, `MetricFamily`).
extension AdminResponder {
    package func metricsFamilies() -> [MetricFamily] {
        guard let metrics else { return [] }
        var open: [String: Int] = [:]
        for session in registry.sessions() { open[session.wireProtocol, default: 0] += 1 }
        return metrics.families(open: open, trace: traces?.status, scenarios: traces?.current.scenarios)
    }

    func metricsResponse(_ request: Request) -> Response {
        guard request.method == .get || request.method == .head else { return Self.notAllowed("GET") }
        guard metrics != nil else { return Self.text(.notFound, "this API has no metrics") }
        return Self.metricsText(MetricFamily.text(metricsFamilies()))
    }

    package static func metricsText(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: MetricFamily.contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
