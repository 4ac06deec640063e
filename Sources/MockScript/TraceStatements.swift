import MockModel
import Synchronization

/// Process-wide source of `StatementResponse.cacheKey`s.
private let nextCacheKey = Atomic<Int>(1)

/// A fresh `StatementResponse.cacheKey`, for a response that never changes.
func newCacheKey() -> Int {
    nextCacheKey.add(1, ordering: .relaxed).oldValue
}

/// The `stmts` of a trace as entries that match statements, shared by JSON traces and JavaScript
/// traces whose `stmts` is an array.
struct TraceStatements: Sendable {
    struct Entry: Sendable {
        var matcher: StatementMatcher?
        /// The decoded results (one, or several for `results`), or why they cannot be used
        /// (reported when the entry answers).
        var response: Result<[StatementResponse], TraceError>
        var label: String
        /// For a response that reads globals (`{"$global": "name"}`): the entry as written, decoded
        /// again each time it answers, with the globals' current values.
        var template: TraceNode?
        var defaultExecTime: Duration = .zero
        /// `params`: the entry answers only executions of a prepared statement with these values.
        var parameters: [JSONValue]?
        /// `prepare.error`: preparing the statement fails with this error.
        var prepareError: ErrorResponse?
        /// `answers`: the entry's answers in order.
        var sequence: AnswerSequence?
        /// `required_state`: the entry answers only while its scenario is in this state.
        var requiredState: ScenarioDeclarations.Step?
        /// `new_state`: answering moves its scenario to this state.
        var newState: ScenarioDeclarations.Step?
        /// The response takes groups of the statement's match (`$match`).
        var usesMatch = false
        /// Its position in `entries` (its counter in `uses`).
        var index = 0
    }

    /// How many statements each entry answered (`GET …/trace/coverage`), across connections,
    /// counted by each thread on its own.
    let uses: StripedCounters

    /// Each entry's label, matcher and answered statements, in trace order.
    var coverage: [EntryCoverage] {
        let totals = uses.totals()
        return entries.map { EntryCoverage(entry: $0.label, matcher: $0.matcher?.source, isRegex: $0.matcher?.isRegex ?? false,
                                           uses: totals[$0.index]) }
    }

    /// Every entry's count back to zero.
    func resetCoverage() {
        uses.reset()
    }

    private(set) var entries: [Entry]
    var ordered: Bool
    /// The entries with an exact `stmt`, by their text (indices in trace order), so a statement
    /// finds them without a walk over the trace.
    private(set) var exactEntries: [String: [Int]] = [:]
    /// The entries with a regular expression, in trace order: the only ones a statement is tried
    /// against one by one.
    private(set) var regexEntries: [Int] = []
    /// What the regular expressions say about the statements they match, so a statement is
    /// matched only against the ones it may match (a trace with `prefilterThreshold` or more).
    private(set) var prefilter: RegexPrefilter?
    static let prefilterThreshold = 8

    /// The entries with an exact `stmt`, in trace order.
    private(set) var exactInOrder: [Int] = []

    /// Every entry with a matcher, in trace order: what a short trace walks (comparing a few short
    /// strings costs less than hashing the statement).
    private(set) var matcherEntries: [Int] = []
    /// Traces with more exact entries than this find them through `exactEntries`.
    static let indexThreshold = 16

    /// The entries that may match `text`, in trace order: the exact entries with this very text,
    /// and the regex entries whose patterns the prefilter does not rule out. Their lists are
    /// merged, so the first match still wins.
    func candidates(for text: String) -> [Int] {
        let indexed = matcherEntries.count - regexEntries.count > Self.indexThreshold
        guard indexed || prefilter != nil else { return matcherEntries }
        let exact = indexed ? exactEntries[text] ?? [] : exactInOrder
        return Self.merged(exact, prefilter?.candidates(for: text) ?? regexEntries)
    }

    /// Two ascending lists of indices as one.
    private static func merged<A: Collection<Int>, B: Collection<Int>>(_ a: A, _ b: B) -> [Int] {
        if b.isEmpty { return Array(a) }
        if a.isEmpty { return Array(b) }
        var merged: [Int] = []
        merged.reserveCapacity(a.count + b.count)
        var (i, j) = (a.startIndex, b.startIndex)
        while i != a.endIndex || j != b.endIndex {
            if j == b.endIndex || (i != a.endIndex && a[i] < b[j]) {
                merged.append(a[i])
                i = a.index(after: i)
            } else {
                merged.append(b[j])
                j = b.index(after: j)
            }
        }
        return merged
    }

    /// Reads an array of entries. `strict` throws the first problem (JSON traces are checked at
    /// start); otherwise a broken entry is kept and reported when it answers, as the reference
    /// does for JavaScript traces.
    init(_ stmts: TraceNode, ordered: Bool, defaultExecTime: Duration, strict: Bool) throws(TraceError) {
        var scenarios = try ScenarioDeclarations(nil)
        try self.init(stmts, ordered: ordered, defaultExecTime: defaultExecTime, strict: strict, scenarios: &scenarios)
    }

    /// Reads the entries, with the scenarios their `required_state` / `new_state` refer to (every
    /// `new_state` is added to its scenario's states).
    init(_ stmts: TraceNode, ordered: Bool, defaultExecTime: Duration, strict: Bool,
         scenarios: inout ScenarioDeclarations) throws(TraceError) {
        self.ordered = ordered
        guard case .array = stmts.value else {
            throw stmts.error("expected 'stmts' to be an array, got \(stmts.value.typeName)")
        }
        var entries: [Entry] = []
        for node in try stmts.elements() {
            do throws(TraceError) {
                try node.requireObject()
                let matcher = try StatementMatcher.read(node)
                let dynamic = node.value.isTemplate
                try node.checkTemplates(matcher: matcher)
                // Checked once with defaults in place of the templates, so mistakes show at start.
                var checked = node
                checked.value = node.value.substituting(TemplateValues())
                var sequence: AnswerSequence?
                var response: [StatementResponse]
                if let list = checked.member("answers") {
                    if let other = ["result", "error", "ok", "results"].first(where: { node.has($0) }) {
                        throw node.error("expected either 'answers' or '\(other)', got both")
                    }
                    guard case .array = list.value else {
                        throw list.error("expected 'answers' to be an array of responses, got \(list.value.typeName)")
                    }
                    var answers: [[StatementResponse]] = []
                    for item in try list.elements() {
                        var answer = try ResponseDecoder.answer(item, defaultExecTime: defaultExecTime, answeredBy: node.path)
                        if !dynamic, answer.count == 1 { answer[0].cacheKey = newCacheKey() }
                        answers.append(answer)
                    }
                    guard let first = answers.first else { throw list.error("expected at least one response in 'answers'") }
                    sequence = AnswerSequence(answers)
                    response = first
                } else {
                    response = try ResponseDecoder.answer(checked, defaultExecTime: defaultExecTime, answeredBy: node.path)
                    if !dynamic, response.count == 1 { response[0].cacheKey = newCacheKey() }
                }
                var entry = Entry(matcher: matcher, response: .success(response), label: node.path,
                                  template: dynamic ? node : nil, defaultExecTime: defaultExecTime)
                entry.sequence = sequence
                entry.usesMatch = dynamic && node.value.usesMatch
                if let params = node.member("params") {
                    guard case .array(let values) = params.value else {
                        throw params.error("expected 'params' to be an array of parameter values, got \(params.value.typeName)")
                    }
                    entry.parameters = values
                }
                if let prepare = node.member("prepare") {
                    try prepare.requireObject()
                    guard let error = prepare.member("error") else { throw prepare.error("expected 'prepare.error'") }
                    entry.prepareError = try ResponseDecoder.error(error)
                }
                (entry.requiredState, entry.newState) = try scenarios.steps(of: node, ordered: ordered, hasMatcher: matcher != nil)
                entries.append(entry)
            } catch {
                if strict { throw error }
                let matcher = try? StatementMatcher.read(node)
                entries.append(Entry(matcher: matcher ?? nil, response: .failure(error), label: node.path))
            }
        }
        for index in entries.indices { entries[index].index = index }
        self.entries = entries
        uses = StripedCounters(width: entries.count)
        for (index, entry) in entries.enumerated() {
            switch entry.matcher {
            case .exact(let text)?:
                exactEntries[text, default: []].append(index)
                exactInOrder.append(index)
            case .regex?: regexEntries.append(index)
            case nil: continue
            }
            matcherEntries.append(index)
        }
        if regexEntries.count >= Self.prefilterThreshold {
            let prefilter = RegexPrefilter(regexEntries.compactMap { index in entries[index].matcher.map { (index, $0.source) } })
            self.prefilter = prefilter.isUseful ? prefilter : nil
        }
    }
}

/// How far one connection has got through a `TraceStatements`.
struct TraceCursor {
    /// Next entry to use in order (ordered mode: every entry; otherwise: entries without matcher).
    var next = 0

    /// The store `{"$global": …}` references read.
    var globals: GlobalStore?

    /// The states `required_state` reads and `new_state` moves, and whose of them this connection sees.
    var scenarios: ScenarioStore?
    /// The client's session, for `$session` templates and the scenarios' connection and user.
    var session = SessionInfo(connectionID: 0, port: 0)
    /// This connection's thread's counters of entry uses (taken on the first answer).
    private var uses: StripedCounters.Stripe?
    private var scenarioSession: ScenarioStore.Session {
        ScenarioStore.Session(connectionID: session.connectionID, user: session.user)
    }

    init(globals: GlobalStore? = nil, scenarios: ScenarioStore? = nil) {
        self.globals = globals
        self.scenarios = scenarios
    }

    /// Whether the entry's scenario is in the state it requires (or why not, for the message a
    /// statement no entry answers gets).
    private func scenarioAllows(_ entry: TraceStatements.Entry) -> Bool {
        guard let required = entry.requiredState, let scenarios else { return true }
        return scenarios.state(required.scenario, for: scenarioSession) == required.state
    }

    private func scenarioMismatch(_ entry: TraceStatements.Entry) -> String? {
        guard let required = entry.requiredState, let scenarios else { return nil }
        let scenario = scenarios.scenarios[required.scenario]
        let state = scenarios.state(required.scenario, for: scenarioSession)
        return "\(entry.label) matches the text but wants scenario \"\(scenario.name)\" in state \"\(required.state)\""
            + " (it is \"\(state)\"" + (scenario.scope == .global ? ")" : " for this \(scenario.scope.rawValue))")
    }

    /// Answers a query, or an execution of a prepared statement: entries match its text with the
    /// `?` markers (and their `params`, if any), then its text with the parameters written in.
    mutating func answer(_ request: StatementRequest, in statements: TraceStatements,
                         fallback: (any StatementResponder)?) -> StatementAnswer {
        statements.ordered
            ? respondOrdered(request, statements)
            : respondMatching(request, statements, fallback: fallback)
    }

    /// A statement is matched by its text; one with parameters (an execution, an X `StmtExecute`
    /// with arguments) also, in a second pass, by its text with the values written in.
    private static func passes(_ request: StatementRequest) -> Int {
        request.parameters.isEmpty ? 1 : 2
    }

    private static func text(_ request: StatementRequest, pass: Int) -> String {
        pass == 0 ? request.text : request.interpolated
    }

    /// The statement for messages: quoted, with its parameters.
    private static func described(_ request: StatementRequest) -> String {
        guard passes(request) == 2 else { return quoted(request.text) }
        return quoted(request.text) + " with parameters (" + request.parameters.map(\.description).joined(separator: ", ") + ")"
    }

    private mutating func respondOrdered(_ request: StatementRequest, _ statements: TraceStatements) -> StatementAnswer {
        guard next < statements.entries.count else {
            return Self.parseError("Unexpected stmt, got: \(Self.described(request)); expected: nothing (end of stmts)")
        }
        let entry = statements.entries[next]
        next += 1
        var matched = request.text
        if let matcher = entry.matcher {
            var outcome = BoundedRegex.Outcome.noMatch
            for pass in 0..<Self.passes(request) where outcome == .noMatch {
                matched = Self.text(request, pass: pass)
                outcome = matcher.matches(matched)
            }
            if outcome == .match, !ParameterMatch.matches(entry.parameters, request) { outcome = .noMatch }
            switch outcome {
            case .match: break
            case .noMatch:
                return Self.parseError("Unexpected stmt, got: \(Self.described(request)); expected: \"\(matcher.source)\""
                    + ParameterMatch.expected(entry.parameters))
            case .gaveUp(let code):
                return Self.parseError("Unexpected stmt, got: \(Self.described(request)); expected: \"\(matcher.source)\""
                    + " (\(Self.gaveUp(code)))")
            }
        }
        count(entry, in: statements)
        return use(entry, matched: matched)
    }

    private mutating func respondMatching(_ request: StatementRequest, _ statements: TraceStatements,
                                          fallback: (any StatementResponder)?) -> StatementAnswer {
        var budget = MatchBudget()
        var unfinished: String?
        var parametersDiffer: String?
        var stateDiffers: String?
        for pass in 0..<Self.passes(request) {
            let text = Self.text(request, pass: pass)
            for index in statements.candidates(for: text) {
                // The entry is copied only once it matches (a copy retains all its parts).
                guard let matcher = statements.entries[index].matcher else { continue }
                if matcher.isRegex, budget.isSpent() {
                    unfinished = unfinished ?? "matching stopped at \(statements.entries[index].label) after \(MatchBudget.limit)"
                    break
                }
                switch matcher.matches(text) {
                case .match:
                    let entry = statements.entries[index]
                    guard ParameterMatch.matches(entry.parameters, request) else {
                        parametersDiffer = parametersDiffer
                            ?? "\(entry.label) matches the text but wants\(ParameterMatch.expected(entry.parameters))"
                        break
                    }
                    guard scenarioAllows(entry) else {
                        stateDiffers = stateDiffers ?? scenarioMismatch(entry)
                        break
                    }
                    count(entry, in: statements)
                    return use(entry, matched: text)
                case .noMatch: break
                case .gaveUp(let code): unfinished = unfinished ?? "\(statements.entries[index].label) \(Self.gaveUp(code))"
                }
            }
        }
        while next < statements.entries.count {
            let entry = statements.entries[next]
            next += 1
            if entry.matcher == nil {
                count(entry, in: statements)
                return use(entry, matched: request.text)
            }
        }
        let candidates = statements.entries.compactMap { e in e.matcher.map { (e.label, $0.source) } }
        var fallbackNote: String?
        if let fallback {
            // The fallback answers; when it does not either, the trace's own explanation (the
            // closest entry, an entry that wanted other parameters) says more than its error.
            let response = fallback.respond(to: request.interpolated)
            if response.answeredBy != nil || candidates.isEmpty { return .one(response) }
            fallbackNote = "the fallback does not answer it either"
        }
        guard !candidates.isEmpty else { return Self.parseError("Unknown statement. (end of stmts)") }
        let closest = ClosestEntry.closest(to: request.text, among: candidates)
        let hint = closest.map { "; closest trace entry: \($0.label) \"\($0.text)\"" } ?? ""
        let note = [stateDiffers, parametersDiffer, unfinished, fallbackNote].compactMap { $0 }.map { " (\($0))" }.joined()
        return Self.parseError("Unknown statement: \(Self.described(request))\(hint)\(note)")
    }

    /// What preparing `statement` gives, without using up an entry: the entry an execution would
    /// get (its `params` aside), as columns or its `prepare.error`; `nil` when no entry would.
    func prepare(_ statement: String, in statements: TraceStatements) -> PrepareAnswer? {
        let entry: TraceStatements.Entry?
        if statements.ordered {
            entry = next < statements.entries.count ? statements.entries[next] : nil
        } else {
            entry = statements.candidates(for: statement).lazy.map { statements.entries[$0] }
                .first { $0.matcher?.matches(statement) == .match && scenarioAllows($0) }
                ?? statements.entries[min(next, statements.entries.count)...].first { $0.matcher == nil }
        }
        guard let entry else { return nil }
        if let error = entry.prepareError { return .error(error) }
        let results = use(entry, matched: statement, advancing: false).results
        // Several results (a stored procedure) bring their own metadata, as the server announces
        // no columns when preparing a CALL.
        guard results.count == 1 else { return .unknown }
        if case .result(let result) = results[0].kind { return .columns(result.columns) }
        return .columns([])
    }

    /// The statement in double quotes for an error message; a long one is cut (the message would
    /// be cut at 512 bytes anyway, and the hints come after it).
    static func quoted(_ statement: String) -> String {
        let bytes = statement.utf8.count
        guard bytes > 256 else { return "\"\(statement)\"" }
        return "\"\(String(decoding: statement.utf8.prefix(200), as: UTF8.self))…\" (\(bytes) bytes)"
    }

    /// Why a regular expression did not finish, for the error a statement gets.
    static func gaveUp(_ code: Int32) -> String {
        "gave up: \(BoundedRegex.message(for: code))"
    }

    /// One more use of `entry` (its `coverage`), on this connection's thread's counters.
    private mutating func count(_ entry: TraceStatements.Entry, in statements: TraceStatements) {
        if uses == nil { uses = statements.uses.stripe() }
        uses?.add(entry.index)
    }

    /// The entry's answer to the statement text it `matched`; for an entry with `answers`, the
    /// next one (`advancing`) or the one the next use would give (preparing a statement uses
    /// nothing up).
    private func use(_ entry: TraceStatements.Entry, matched: String, advancing: Bool = true) -> StatementAnswer {
        let position = entry.sequence.map { advancing ? $0.next() : $0.current }
        guard advancing, let step = entry.newState, let scenarios else { return answer(entry, matched: matched, position: position) }
        let from = scenarios.state(step.scenario, for: scenarioSession)
        scenarios.move(step.scenario, to: step.state, for: scenarioSession)
        // The journal says which scenario the answer moved, and from where.
        let change = "\(scenarios.scenarios[step.scenario].name): \(from) → \(step.state)"
        return answer(entry, matched: matched, position: position).updatingFirst { $0.scenarioChange = change }
    }

    /// The entry's answer (its `answers`' one at `position`), its templates filled in.
    private func answer(_ entry: TraceStatements.Entry, matched: String, position: Int?) -> StatementAnswer {
        if let template = entry.template {
            var node = template
            var values = TemplateValues(global: { [globals] in globals?.get($0) }, session: session)
            if entry.usesMatch {
                switch entry.matcher {
                case .regex(let regex)?:
                    values.captures = regex.captures(matched) ?? [Substring(matched)]
                    values.groupNames = regex.groupNames
                case .exact?, nil:
                    values.captures = [Substring(matched)]
                }
            }
            node.value = template.value.substituting(values)
            do {
                if let position, let list = node.member("answers") {
                    let item = try list.elements()[position]
                    return .of(try ResponseDecoder.answer(item, defaultExecTime: entry.defaultExecTime, answeredBy: entry.label))
                }
                return .of(try ResponseDecoder.answer(node, defaultExecTime: entry.defaultExecTime, answeredBy: entry.label))
            } catch {
                return Self.parseError("executing statement failed: \(error)")
            }
        }
        if let sequence = entry.sequence, let position { return .of(sequence.answers[position]) }
        switch entry.response {
        case .success(let responses): return .of(responses)
        case .failure(let error): return Self.parseError("executing statement failed: \(error)")
        }
    }

    static func parseError(_ message: String) -> StatementAnswer {
        .one(StatementResponse(.error(ErrorResponse(code: 1064, sqlState: "HY000", message: message))))
    }
}

/// An entry's `params` against a statement's parameters (a prepared statement's execution, an X
/// `StmtExecute` with arguments; a text query has none): equal in number, and each equal as a
/// value: `null` is NULL, a number equals the same number sent as a number or as text, a string
/// the same text, `{"$hex": …}` / `{"$base64": …}` the same bytes.
enum ParameterMatch {
    static func matches(_ wanted: [JSONValue]?, _ request: StatementRequest) -> Bool {
        guard let wanted else { return true }
        guard wanted.count == request.parameters.count else { return false }
        return zip(wanted, request.parameters).allSatisfy(equal)
    }

    /// ` params (…)` for messages; empty without a constraint.
    static func expected(_ wanted: [JSONValue]?) -> String {
        guard let wanted else { return "" }
        return " params (" + wanted.map(\.jsonText).joined(separator: ", ") + ")"
    }

    static func equal(_ json: JSONValue, _ value: ParameterValue) -> Bool {
        switch (json, value) {
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        case (.object, .bytes(let bytes)):
            return (try? ResponseDecoder.byteCell(json)?.get()) == bytes
        case (.object, .text(let text)):
            return (try? ResponseDecoder.byteCell(json)?.get()) == Array(text.utf8)
        default:
            guard let wanted = ResponseDecoder.cellText(json), let got = text(value) else { return false }
            if wanted == got { return true }
            guard let a = Double(wanted), let b = Double(got) else { return false }
            return a == b
        }
    }

    private static func text(_ value: ParameterValue) -> String? {
        switch value {
        case .null, .bytes: nil
        case .int(let v): String(v)
        case .uint(let v): String(v)
        case .double(let v): JSONValue.format(v)
        case .text(let s): s
        }
    }
}

/// `answers`: an entry's answers in the order they are given, the last one repeating. The
/// position is shared by every connection the trace answers (a JSON trace's entries are made once
/// for all of them), as a recorded server's answers changed over time, not per session.
final class AnswerSequence: Sendable {
    let answers: [[StatementResponse]]
    private let used = Atomic<Int>(0)

    init(_ answers: [[StatementResponse]]) {
        self.answers = answers
    }

    /// The position of the answer to give now; the next use gets the one after it.
    func next() -> Int {
        min(used.add(1, ordering: .relaxed).oldValue, answers.count - 1)
    }

    /// The position the next use will get.
    var current: Int {
        min(used.load(ordering: .relaxed), answers.count - 1)
    }
}
