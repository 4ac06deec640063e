import MockModel

/// The trace of a server that only relays (`--upstream` without `--filename`): it answers no
/// statement itself, and greets clients as the upstream server does (what the mock can honour of
/// its greeting).
public struct RelayOnlyTrace: Trace {
    public let greeting: HandshakeScript.Greeting

    public init(greeting: HandshakeScript.Greeting = HandshakeScript.Greeting()) {
        self.greeting = greeting
    }

    public var name: String { "no trace" }

    public func makeResponder(for session: SessionInfo) -> any StatementResponder {
        Responder(greeting: greeting)
    }

    final class Responder: StatementResponder {
        let greeting: HandshakeScript.Greeting

        init(greeting: HandshakeScript.Greeting) {
            self.greeting = greeting
        }

        func handshake(_ phase: HandshakePhase) -> HandshakeScript {
            HandshakeScript(greeting: greeting)
        }

        /// Not answered (`answeredBy` is `nil`): the upstream server answers instead.
        func respond(to statement: String) -> StatementResponse {
            StatementResponse(.error(ErrorResponse(code: 1064, sqlState: "42000",
                                                   message: "no trace answers this statement and no upstream server is set")))
        }
    }
}
