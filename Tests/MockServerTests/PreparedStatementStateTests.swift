import MockModel
@testable import MockServer
import MySQLWire
import NIOCore
import Testing

/// The classic state machine's prepared statements: COM_STMT_PREPARE / EXECUTE / SEND_LONG_DATA /
/// RESET / FETCH / CLOSE, without I/O.
@Suite("Prepared statements in the classic state machine")
struct PreparedStatementStateTests {
    let helper = ClassicConnectionStateMachineTests()
    let none: () -> HandshakeScript = { HandshakeScript() }

    func execute(_ id: UInt32, flags: UInt8 = 0, _ values: [BinaryValue] = []) -> Packet {
        var body = ByteBuffer()
        StmtExecute(statementID: id, flags: flags, parameters: values, types: values.map(ParameterType.natural))
            .write(to: &body, queryAttributes: false)
        return helper.command(.stmtExecute(body))
    }

    /// Prepares `text` with `columns` and returns the statement id.
    func prepare(_ m: inout Machine, _ text: String, columns: [Column] = []) throws -> UInt32 {
        guard case .prepare(let got, 1) = m.packetReceived(helper.command(.stmtPrepare(text)), authScript: none),
              got == text else {
            Issue.record("expected a prepare action")
            return 0
        }
        let written = try #require(m.statementPrepared(text, .columns(columns), sequenceID: 1).written)
        guard case .prepareOK(let ok) = written.packets.first else {
            Issue.record("expected PREPARE_OK")
            return 0
        }
        return ok.statementID
    }

    @Test("PREPARE_OK counts the ? markers outside strings and comments; definitions follow, then EOFs")
    func prepareOK() throws {
        var m = helper.loggedIn()
        let text = "SELECT ?, '?', `?`, \"a\\\"?\" /* ? */, ? -- ?\n"
        _ = m.packetReceived(helper.command(.stmtPrepare(text)), authScript: none)
        let written = try #require(m.statementPrepared(text, .columns([Column(name: "a", type: 3)]), sequenceID: 1).written)
        #expect(written.packets.first == .prepareOK(StmtPrepareOK(statementID: 1, columnCount: 1, parameterCount: 2)))
        #expect(written.packets.dropFirst() == [.columnDefinition(Column.parameter), .columnDefinition(Column.parameter),
                                                .endOfMetadata, .columnDefinition(Column(name: "a", type: 3)), .endOfMetadata])
        let failed = m.statementPrepared("x", .error(ErrorResponse(code: 1146, sqlState: "42S02", message: "no table")),
                                         sequenceID: 1)
        #expect(failed.err?.code == 1146 && failed.written?.after == .keepOpen)
    }

    @Test("an execution carries its text, id and parameters; types are kept for the next one")
    func executeParameters() throws {
        var m = helper.loggedIn()
        let id = try prepare(&m, "SELECT ? AS a, ? AS b")
        guard case .answer(let request, 1) = m.packetReceived(execute(id, [.signed(7), .bytes(Array("x y".utf8))]),
                                                             authScript: none) else {
            Issue.record("expected an answer")
            return
        }
        #expect(request == StatementRequest(text: "SELECT ? AS a, ? AS b", kind: .execute, statementID: id,
                                            parameters: [.int(7), .text("x y")]))
        #expect(request.interpolated == "SELECT 7 AS a, 'x y' AS b")
        #expect(m.statements[id]?.types == [ParameterType(type: 0x08), ParameterType(type: 0xFD)])
    }

    @Test("unknown statements get ERR 1243 and the session goes on; CLOSE has no reply")
    func unknownStatement() throws {
        var m = helper.loggedIn()
        let id = try prepare(&m, "SELECT 1")
        #expect(m.packetReceived(helper.command(.stmtClose(id)), authScript: none) == .none)
        let err = m.packetReceived(execute(id), authScript: none).err
        #expect(err?.code == 1243)
        #expect(err?.message == "Unknown prepared statement handler (\(id)) given to mysqld_stmt_execute")
        #expect(m.packetReceived(helper.command(.stmtReset(99)), authScript: none).err?.code == 1243)
        #expect(m.packetReceived(helper.command(.stmtFetch(statementID: 99, rows: 1)), authScript: none).err?.code == 1243)
        guard case .answer = m.packetReceived(helper.command(.query("select 1")), authScript: none) else {
            Issue.record("the session should go on")
            return
        }
    }

    @Test("open statements are bounded: ERR 1461 past the limit")
    func bounded() throws {
        var configuration = Machine.Configuration(connectionID: 7, peerHost: "127.0.0.1")
        configuration.maxPreparedStatements = 2
        var m = Machine(configuration: configuration)
        _ = m.connectionStarted(openSessions: 1) { HandshakeScript() }
        _ = m.packetReceived(helper.responsePacket()) { HandshakeScript() }
        _ = try prepare(&m, "a")
        _ = try prepare(&m, "b")
        let refused = m.packetReceived(helper.command(.stmtPrepare("c")), authScript: none)
        #expect(refused.err?.code == 1461 && refused.err?.sqlState == "42000")
    }

    @Test("long data stands in for a parameter, and is gone after the execution")
    func longData() throws {
        var m = helper.loggedIn()
        let id = try prepare(&m, "INSERT INTO t VALUES (?, ?)")
        for chunk in [[UInt8(0xFF), 2], [0xFE]] {
            let send = helper.command(.stmtSendLongData(statementID: id, parameter: 0, data: ByteBuffer(bytes: chunk)))
            #expect(m.packetReceived(send, authScript: none) == .none)
        }
        var body = ByteBuffer(bytes: [UInt8(truncatingIfNeeded: id), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xFC, 0, 0x03, 0])
        body.writeInteger(Int32(5), endianness: .little)
        guard case .answer(let request, _) = m.packetReceived(helper.command(.stmtExecute(body)), authScript: none) else {
            Issue.record("expected an answer")
            return
        }
        #expect(request.parameters == [.bytes([0xFF, 2, 0xFE]), .int(5)])
        #expect(m.longData[id] == nil)
    }

    @Test("a cursor: metadata and an EOF with CURSOR_EXISTS, then rows by COM_STMT_FETCH, LAST_ROW_SENT at the end")
    func cursor() throws {
        var m = helper.loggedIn()
        let columns = [Column(name: "n", type: 3)]
        let id = try prepare(&m, "SELECT n", columns: columns)
        guard case .answerWithCursor(let request, 1) = m.packetReceived(execute(id, flags: CursorFlags.readOnly),
                                                                       authScript: none) else {
            Issue.record("expected a cursor")
            return
        }
        let result = ResultSet(columns: columns, rows: [["1"], ["2"], ["3"]])
        let opened = try #require(m.cursorOpened(statementID: request.statementID, result: result, sequenceID: 1).written)
        #expect(opened.packets == [.columnCount(1), .columnDefinition(columns[0]),
                                   .eofAlways(EOFPacket(status: .cursorExists))])
        let first = try #require(m.packetReceived(helper.command(.stmtFetch(statementID: id, rows: 2)), authScript: none).written)
        #expect(first.packets == [.binaryRow(columns, ["1"]), .binaryRow(columns, ["2"]), .eof(EOFPacket(status: .cursorExists))])
        let last = try #require(m.packetReceived(helper.command(.stmtFetch(statementID: id, rows: 2)), authScript: none).written)
        #expect(last.packets == [.binaryRow(columns, ["3"]), .eof(EOFPacket(status: [.cursorExists, .lastRowSent]))])
        #expect(m.packetReceived(helper.command(.stmtFetch(statementID: id, rows: 2)), authScript: none).err?.code == 1326)
    }

    @Test("a malformed execution closes the connection with ERR 1835 naming the problem")
    func malformed() throws {
        var m = helper.loggedIn()
        let id = try prepare(&m, "SELECT ?")
        let body = ByteBuffer(bytes: [UInt8(truncatingIfNeeded: id), 0, 0, 0, 0, 1, 0, 0, 0, 0, 0])
        let err = m.packetReceived(helper.command(.stmtExecute(body)), authScript: none)
        #expect(err.err?.code == 1835)
        #expect(err.err?.message.contains("parameter types were never sent") == true)
        #expect(err.written?.after == .close)
    }
}
