import MockModel

/// A trace written in Swift: every statement is answered by a closure, which may return several
/// results or an answer that arrives later. For tests that need what a trace file cannot say (an
/// answer computed from the statement, an upstream call).
///
/// ```swift
/// let trace = ScriptedTrace { statement in
///     statement == "call p()" ? .several([.result(rows), .ok()]) : .one(.ok())
/// }
/// try await withMockServer(trace: trace) { server in … }
/// ```
public struct ScriptedTrace: Trace {
    public let name: String
    let handshake: HandshakeScript
    let answer: @Sendable (String) -> StatementAnswer

    public init(name: String = "scripted", handshake: HandshakeScript = HandshakeScript(),
                answer: @escaping @Sendable (_ statement: String) -> StatementAnswer) {
        self.name = name
        self.handshake = handshake
        self.answer = answer
    }

    public func makeResponder(for session: SessionInfo) -> any StatementResponder {
        Responder(trace: self)
    }

    final class Responder: StatementResponder {
        let trace: ScriptedTrace

        init(trace: ScriptedTrace) {
            self.trace = trace
        }

        func handshake(_ phase: HandshakePhase) -> HandshakeScript { trace.handshake }

        func respond(to statement: String) -> StatementResponse {
            trace.answer(statement).results.first ?? .ok()
        }

        func answer(to statement: String) -> StatementAnswer { trace.answer(statement) }
    }
}
