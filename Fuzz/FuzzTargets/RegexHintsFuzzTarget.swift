import MockScript

/// The input is a pattern and a statement, split at the first NUL byte (a pattern alone is matched
/// against itself). When PCRE2 matches the statement, the pattern's hints must admit it (with and
/// without the statement's signature) and the prefilter must keep the entry: hints may only rule
/// out what cannot match. The captures of a match hold the whole statement as group 0, one entry
/// per group, and each named group's number is one of them.
enum RegexHintsFuzzTarget {
    @Sendable
    static func run(_ data: [UInt8]) throws(FuzzFailure) {
        let cut = data.firstIndex(of: 0)
        let pattern = String(decoding: data[..<(cut ?? data.endIndex)], as: UTF8.self)
        let statement = cut.map { String(decoding: data[($0 + 1)...], as: UTF8.self) } ?? pattern
        guard let regex = try? BoundedRegex(pattern), regex.wholeMatch(statement) == .match else { return }
        // The same match again, with its groups (a regex may give up near the limits: only what
        // it gives is checked).
        if let captures = regex.captures(statement) {
            guard captures.count == regex.captureCount + 1, captures[0].map(String.init) == statement else {
                throw FuzzFailure("\(pattern) matches \(statement) but its captures are \(captures)")
            }
            for (name, group) in regex.groupNames where !(1...regex.captureCount).contains(group) {
                throw FuzzFailure("\(pattern): group \(name) is number \(group) of \(regex.captureCount)")
            }
        }
        if let hints = RegexHints.read(pattern) {
            var text = statement
            let (plain, signed) = text.withUTF8 { bytes in
                (hints.admits(bytes), hints.admits(bytes, statementSignature: RegexHints.Signature(bytes)))
            }
            guard plain, signed else {
                throw FuzzFailure("\(pattern) matches \(statement) but its hints \(hints) rule it out (signature: \(!signed))")
            }
        }
        // In a prefilter among patterns that share its start (grouped with it), it is still kept.
        let prefilter = RegexPrefilter([(0, "\(pattern)x"), (1, pattern), (2, "(?:\(pattern))")])
        guard prefilter.candidates(for: statement).contains(1) else {
            throw FuzzFailure("\(pattern) matches \(statement) but the prefilter drops it")
        }
    }
}
