/// Metrics in the Prometheus text exposition format (version 0.0.4), which Prometheus, its
/// client libraries and OpenMetrics parsers read:
///
/// ```text
/// # HELP mysql_server_mock_statements_total Statements answered, by protocol and response.
/// # TYPE mysql_server_mock_statements_total counter
/// mysql_server_mock_statements_total{protocol="classic",response="result"} 12
/// ```
///
/// "Each line must have a unique combination of a metric name and labels"; the samples of one
/// family are written together, after its `# HELP` and `# TYPE` lines. Label values escape
/// backslash, double quote and line feed.
public struct MetricFamily: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case counter
        case gauge
        case histogram
    }

    public struct Sample: Sendable, Equatable {
        /// The family's name, or it with `_bucket`, `_sum`, `_count` for a histogram.
        public var suffix: String
        public var labels: [(String, String)]
        public var value: Double

        public init(suffix: String = "", labels: [(String, String)] = [], value: Double) {
            self.suffix = suffix
            self.labels = labels
            self.value = value
        }

        public static func == (a: Sample, b: Sample) -> Bool {
            a.suffix == b.suffix && a.value == b.value && a.labels.map(\.0) == b.labels.map(\.0)
                && a.labels.map(\.1) == b.labels.map(\.1)
        }
    }

    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: [Sample]

    public init(_ name: String, _ kind: Kind, help: String, samples: [Sample] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.samples = samples
    }

    /// The same family with `label` first on every sample (a cluster's `node`).
    public func labelled(_ label: String, _ value: String) -> MetricFamily {
        var copy = self
        copy.samples = samples.map { sample in
            var sample = sample
            sample.labels.insert((label, value), at: 0)
            return sample
        }
        return copy
    }

    /// Families of several sources as one list: samples of families with the same name together,
    /// in the order the names first appear.
    public static func merged(_ lists: [[MetricFamily]]) -> [MetricFamily] {
        var order: [String] = []
        var byName: [String: MetricFamily] = [:]
        for family in lists.joined() {
            if var existing = byName[family.name] {
                existing.samples += family.samples
                byName[family.name] = existing
            } else {
                order.append(family.name)
                byName[family.name] = family
            }
        }
        return order.compactMap { byName[$0] }
    }

    /// The text format's content type.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func text(_ families: [MetricFamily]) -> String {
        var out = ""
        for family in families {
            out += "# HELP \(family.name) \(escapedHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                out += family.name + sample.suffix
                if !sample.labels.isEmpty {
                    out += "{" + sample.labels.map { "\($0.0)=\"\(escapedLabel($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " " + format(sample.value) + "\n"
            }
        }
        return out
    }

    static func escapedHelp(_ text: String) -> String {
        text.replacingAll([("\\", "\\\\"), ("\n", "\\n")])
    }

    static func escapedLabel(_ text: String) -> String {
        text.replacingAll([("\\", "\\\\"), ("\"", "\\\""), ("\n", "\\n")])
    }

    /// Whole numbers without a fraction; `+Inf`, `-Inf`, `NaN` as the format spells them.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

extension String {
    /// By Unicode scalar, so a line feed inside a `\r\n` grapheme is escaped too.
    fileprivate func replacingAll(_ pairs: [(Unicode.Scalar, String)]) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            if let replacement = pairs.first(where: { $0.0 == scalar })?.1 {
                out += replacement
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
