/// Everything the server sends for one statement: one result (the fast path of every trace),
/// several results in order (a `CALL`, a multi-statement query), or an answer that arrives later
/// (an upstream server, a slow script) without blocking the connection's event loop.
///
/// Each result keeps its own `execTime`: the server waits that long before sending it, and reads
/// nothing more from the client until the whole answer is out. An `error` result ends the batch;
/// results after it are not sent.
public enum StatementAnswer: Sendable {
    /// One result, answered at once.
    case one(StatementResponse)
    /// Several results, sent in order; every result but the last carries "more results exist"
    /// (`SERVER_MORE_RESULTS_EXISTS` on the classic protocol, `FetchDoneMoreResultsets` on X).
    case several([StatementResponse])
    /// An answer computed off the event loop; the server waits for it as it waits for `exec_time`
    /// (the connection reads nothing more meanwhile) and then sends what it returns.
    case later(@Sendable () async -> StatementAnswer)
    /// An answer another part of the server delivers by calling `reply` once, from any thread.
    /// The server waits for it as for `later`, but no task is started: an answer read on the
    /// connection's own event loop (an upstream server's) goes out without changing threads.
    case deferred(@Sendable (_ reply: @escaping @Sendable (StatementAnswer) -> Void) -> Void)

    /// `true` for `later` and `deferred`.
    public var isPending: Bool {
        switch self {
        case .later, .deferred: true
        case .one, .several: false
        }
    }

    /// What the answer asks the client for before it is sent (`LOAD DATA LOCAL INFILE`): only a
    /// one-result answer to a query can.
    public var localInfile: LocalInfileRequest? {
        if case .one(let response) = self { return response.localInfile }
        return nil
    }

    /// The answer with `update` applied to its first response; `several` with none, `later` and
    /// `deferred` are returned as they are.
    public func updatingFirst(_ update: (inout StatementResponse) -> Void) -> StatementAnswer {
        switch self {
        case .one(var response):
            update(&response)
            return .one(response)
        case .several(var responses) where !responses.isEmpty:
            update(&responses[0])
            return .several(responses)
        case .several, .later, .deferred:
            return self
        }
    }

    /// One result as `one`, several as `several`.
    public static func of(_ results: [StatementResponse]) -> StatementAnswer {
        results.count == 1 ? .one(results[0]) : .several(results)
    }

    /// The results to send, cut after the first error; empty for `later` and `deferred`.
    public var results: [StatementResponse] {
        switch self {
        case .one(let response): return [response]
        case .several(let responses):
            guard let error = responses.firstIndex(where: \.isError) else { return responses }
            return Array(responses[...error])
        case .later, .deferred: return []
        }
    }
}

extension StatementResponse {
    /// An ERR packet, or a result set that ends with one: either ends a batch of results.
    public var isError: Bool {
        switch kind {
        case .error: true
        case .result(let result): result.error != nil
        case .ok: false
        }
    }

    /// The error the client gets: an ERR's, or the one that ends a result set's rows.
    public var error: ErrorResponse? {
        switch kind {
        case .error(let error): error
        case .result(let result): result.error
        case .ok: nil
        }
    }
}
