import FoundationEssentials
import MockModel
@testable import MockServer
import MySQLWire
import MySQLXWire
import Testing

/// `Mysqlx.Prepare` and `StmtExecute` arguments in the X state machine.
@Suite("X prepared statements")
struct XPreparedStatementTests {
    let noScript: () -> HandshakeScript = { HandshakeScript() }

    /// A machine in the command phase.
    func loggedIn(maxPrepared: Int = 16382) -> XConnectionStateMachine {
        var configuration = XConnectionStateMachine.Configuration(connectionID: 3, peerHost: "127.0.0.1")
        configuration.maxPreparedStatements = maxPrepared
        var m = XConnectionStateMachine(configuration: configuration)
        _ = m.connectionStarted(openSessions: 1)
        var start = Mysqlx_Session_AuthenticateStart()
        start.mechName = "MYSQL41"
        _ = m.messageReceived(.authenticateStart(start), authScript: noScript)
        var answer = Mysqlx_Session_AuthenticateContinue()
        answer.authData = Data("\0app\0".utf8)
        _ = m.messageReceived(.authenticateContinue(answer), authScript: noScript)
        return m
    }

    static func scalar(_ build: (inout Mysqlx_Datatypes_Scalar) -> Void) -> Mysqlx_Datatypes_Any {
        var any = Mysqlx_Datatypes_Any()
        any.type = .scalar
        var scalar = Mysqlx_Datatypes_Scalar()
        build(&scalar)
        any.scalar = scalar
        return any
    }

    static let sint = scalar { $0.type = .vSint; $0.vSignedInt = -7 }
    static let string = scalar { $0.type = .vString; $0.vString.value = Data("o'k".utf8) }

    func stmtExecute(_ sql: String, _ args: [Mysqlx_Datatypes_Any] = [], namespace: String = "sql") -> XClientMessage {
        var execute = Mysqlx_Sql_StmtExecute()
        execute.stmt = Data(sql.utf8)
        execute.args = args
        execute.namespace = namespace
        return .stmtExecute(execute)
    }

    func prepare(_ id: UInt32, _ sql: String, bound: [Mysqlx_Datatypes_Any] = [],
                 type: Mysqlx_Prepare_Prepare.OneOfMessage.TypeEnum = .stmt) -> XClientMessage {
        var prepare = Mysqlx_Prepare_Prepare()
        prepare.stmtID = id
        prepare.stmt.type = type
        if type == .stmt {
            prepare.stmt.stmtExecute.stmt = Data(sql.utf8)
            prepare.stmt.stmtExecute.args = bound
        }
        return .prepare(prepare)
    }

    func execute(_ id: UInt32, _ args: [Mysqlx_Datatypes_Any]) -> XClientMessage {
        var execute = Mysqlx_Prepare_Execute()
        execute.stmtID = id
        execute.args = args
        return .prepareExecute(execute)
    }

    func deallocate(_ id: UInt32) -> XClientMessage {
        var deallocate = Mysqlx_Prepare_Deallocate()
        deallocate.stmtID = id
        return .prepareDeallocate(deallocate)
    }

    /// Prepares `sql` under `id` with the trace's `answer` and returns what the machine sent.
    func prepared(_ m: inout XConnectionStateMachine, _ id: UInt32, _ sql: String, bound: [Mysqlx_Datatypes_Any] = [],
                  answer: PrepareAnswer = .columns([])) -> XConnectionStateMachine.Action {
        let action = m.messageReceived(prepare(id, sql, bound: bound), authScript: noScript)
        guard case .prepare(let gotID, let text, let values) = action else { return action }
        #expect(gotID == id && text == sql)
        return m.statementPrepared(id: gotID, text: text, bound: values, answer)
    }

    @Test("StmtExecute arguments become the parameters of the `?` markers, outside quotes and comments")
    func stmtExecuteArguments() {
        var m = loggedIn()
        let sql = "SELECT '?', ? /* ? */, ?"
        #expect(m.messageReceived(stmtExecute(sql, [Self.sint, Self.string]), authScript: noScript)
                    == .execute(StatementRequest(text: sql, parameters: [.int(-7), .text("o'k")])))
        #expect(m.messageReceived(stmtExecute(sql, [Self.sint]), authScript: noScript).errorCode == 5015)
        #expect(m.messageReceived(stmtExecute("SELECT 1", [Self.sint]), authScript: noScript).errorCode == 5015)
        var object = Mysqlx_Datatypes_Any()
        object.type = .object
        #expect(m.messageReceived(stmtExecute("SELECT ?", [object]), authScript: noScript).errorCode == 5003)
        // Admin commands (namespace mysqlx) take objects: answered by their text.
        #expect(m.messageReceived(stmtExecute("list_objects", [object], namespace: "mysqlx"), authScript: noScript)
                    == .execute(StatementRequest(text: "list_objects")))
    }

    @Test("Prepare, execute three times with each scalar type, deallocate")
    func lifeCycle() {
        var m = loggedIn()
        #expect(prepared(&m, 1, "SELECT ? AS a, ? AS b") == .send([.ok], after: .keepOpen))
        #expect(m.statements[1]?.placeholders == 2)
        let null = Self.scalar { $0.type = .vNull }
        let uint = Self.scalar { $0.type = .vUint; $0.vUnsignedInt = UInt64.max }
        let double = Self.scalar { $0.type = .vDouble; $0.vDouble = 2.5 }
        let float = Self.scalar { $0.type = .vFloat; $0.vFloat = 0.5 }
        let bool = Self.scalar { $0.type = .vBool; $0.vBool = true }
        let octets = Self.scalar { $0.type = .vOctets; $0.vOctets.value = Data([0x00, 0xFF]) }
        for (args, expected) in [([Self.sint, null], [ParameterValue.int(-7), .null]),
                                 ([uint, double], [.uint(UInt64.max), .double(2.5)]),
                                 ([float, bool], [.double(0.5), .int(1)]),
                                 ([octets, Self.string, Self.sint], [.bytes([0x00, 0xFF]), .text("o'k")])] {
            #expect(m.messageReceived(execute(1, args), authScript: noScript)
                        == .execute(StatementRequest(text: "SELECT ? AS a, ? AS b", kind: .execute, statementID: 1,
                                                     parameters: expected)))
        }
        #expect(m.messageReceived(deallocate(1), authScript: noScript) == .send([.ok], after: .keepOpen))
        #expect(m.statements.isEmpty)
        #expect(m.messageReceived(execute(1, [Self.sint, null]), authScript: noScript).errorCode == 5110)
        #expect(m.messageReceived(deallocate(1), authScript: noScript).errorCode == 5110)
    }

    @Test("Values bound at prepare fill the first markers; missing arguments and non-scalars are refused")
    func argumentChecks() {
        var m = loggedIn()
        #expect(prepared(&m, 7, "SELECT ?, ?, ?", bound: [Self.string]) == .send([.ok], after: .keepOpen))
        #expect(m.statements[7]?.placeholders == 2)
        #expect(m.messageReceived(execute(7, [Self.sint, Self.sint]), authScript: noScript)
                    == .execute(StatementRequest(text: "SELECT ?, ?, ?", kind: .execute, statementID: 7,
                                                 parameters: [.text("o'k"), .int(-7), .int(-7)])))
        guard case .send(let messages, .keepOpen) = m.messageReceived(execute(7, [Self.sint]), authScript: noScript),
              case .error(5134, "HY000", let message, false) = messages.first else {
            Issue.record("expected ER_X_PREPARED_EXECUTE_ARGUMENT_CONSISTENCY")
            return
        }
        #expect(message == "There is no argument for statement placeholder at position: 2")
        var array = Mysqlx_Datatypes_Any()
        array.type = .array
        #expect(m.messageReceived(execute(7, [Self.sint, array]), authScript: noScript).errorCode == 5133)
        let noValue = Self.scalar { $0.type = .vSint }
        #expect(m.messageReceived(execute(7, [noValue, Self.sint]), authScript: noScript).errorCode == 5133)
        #expect(m.messageReceived(prepare(8, "SELECT ?", bound: [Self.sint, Self.sint]), authScript: noScript)
                    .errorCode == 5015)
    }

    @Test("A trace's error at prepare is sent and nothing is kept; re-preparing an id replaces it")
    func prepareErrorsAndReplacement() {
        var m = loggedIn()
        let refused = ErrorResponse(code: 1146, sqlState: "42S02", message: "Table 't' doesn't exist")
        #expect(prepared(&m, 2, "SELECT * FROM t", answer: .error(refused))
                    == .send([.error(code: 1146, sqlState: "42S02", message: "Table 't' doesn't exist", fatal: false)],
                             after: .keepOpen))
        #expect(m.statements[2] == nil)
        _ = prepared(&m, 2, "SELECT ?")
        _ = prepared(&m, 2, "SELECT 1")
        #expect(m.statements[2]?.text == "SELECT 1")
        // A failed re-prepare drops the old statement too, as the X Plugin deallocates first.
        _ = prepared(&m, 2, "SELECT 2", answer: .error(refused))
        #expect(m.statements[2] == nil)
    }

    @Test("CRUD prepares are refused, the limit holds, Session.Reset drops every statement")
    func limitsAndReset() {
        var m = loggedIn(maxPrepared: 2)
        #expect(m.messageReceived(prepare(1, "", type: .find), authScript: noScript).errorCode == 5000)
        _ = prepared(&m, 1, "SELECT 1")
        _ = prepared(&m, 2, "SELECT 2")
        #expect(m.messageReceived(prepare(3, "SELECT 3"), authScript: noScript).errorCode == 1461)
        // Re-preparing an existing id is not a new statement.
        #expect(prepared(&m, 2, "SELECT 22") == .send([.ok], after: .keepOpen))
        #expect(m.messageReceived(.sessionReset(Mysqlx_Session_Reset()), authScript: noScript)
                    == .send([.ok], after: .keepOpen))
        #expect(m.statements.isEmpty)
    }
}
