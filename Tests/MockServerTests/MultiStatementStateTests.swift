import MockModel
@testable import MockServer
import MySQLWire
import NIOCore
import Testing

/// `CLIENT_MULTI_STATEMENTS` and `COM_SET_OPTION` in the classic state machine.
@Suite("Multi-statement queries in the classic state machine")
struct MultiStatementStateTests {
    let helper = ClassicConnectionStateMachineTests()
    let none: () -> HandshakeScript = { HandshakeScript() }

    func loggedIn(multiStatements: Bool) -> ClassicConnectionStateMachine {
        var m = helper.greeted()
        _ = m.packetReceived(helper.responsePacket(extra: multiStatements ? .multiStatements : [])) { HandshakeScript() }
        return m
    }

    @Test("with CLIENT_MULTI_STATEMENTS a query of several statements is a batch, each with the query's attributes")
    func batch() {
        var m = loggedIn(multiStatements: true)
        #expect(m.multiStatements)
        #expect(m.packetReceived(helper.command(.query("SELECT 1; SELECT 2;")), authScript: none)
                    == .answerBatch([StatementRequest(text: "SELECT 1"), StatementRequest(text: "SELECT 2")], then: nil,
                                    sequenceID: 1))
        guard case .answerBatch(let requests, let then?, 1) = m.packetReceived(helper.command(.query("SELECT 1;;SELECT 2")),
                                                                                authScript: none) else {
            Issue.record("expected a batch ending in ER_EMPTY_QUERY")
            return
        }
        #expect(requests == [StatementRequest(text: "SELECT 1")] && then.code == 1065 && then.sqlState == "42000")
        #expect(m.packetReceived(helper.command(.query("SELECT 1;")), authScript: none)
                    == .answer(StatementRequest(text: "SELECT 1;"), sequenceID: 1))
    }

    @Test("without it, a second statement is ER_PARSE_ERROR near its text; COM_SET_OPTION switches it")
    func syntaxErrorAndSetOption() throws {
        var m = loggedIn(multiStatements: false)
        let written = try #require(m.packetReceived(helper.command(.query("SELECT 1;\nSELECT 2")), authScript: none).written)
        guard case .err(let err) = written.packets.first else {
            Issue.record("expected ERR")
            return
        }
        #expect(err.code == 1064 && err.sqlState == "42000")
        #expect(err.message.hasSuffix("to use near 'SELECT 2' at line 2"))
        let on = try #require(m.packetReceived(helper.command(.setOption(0)), authScript: none).written)
        #expect(on.packets == [.eof(EOFPacket())] && m.multiStatements)
        guard case .answerBatch = m.packetReceived(helper.command(.query("SELECT 1; SELECT 2")), authScript: none) else {
            Issue.record("expected a batch once switched on")
            return
        }
        _ = m.packetReceived(helper.command(.setOption(1)), authScript: none)
        #expect(!m.multiStatements)
        let unknown = try #require(m.packetReceived(helper.command(.setOption(7)), authScript: none).written)
        guard case .err(let bad) = unknown.packets.first else {
            Issue.record("expected ERR for an unknown option")
            return
        }
        #expect(bad.code == 1047)
    }
}
