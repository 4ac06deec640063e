import MockModel
@testable import MockServer
import MySQLXWire
import NIOCore
import Testing

@Suite("X response encoder")
struct XResponseEncoderTests {
    func types(_ write: (inout ByteBuffer) -> Void) throws -> [UInt8] {
        var buffer = ByteBuffer()
        write(&buffer)
        var framer = XFramer()
        var types: [UInt8] = []
        while let frame = try framer.nextFrame(from: &buffer) { types.append(frame.type) }
        return types
    }

    let rows = StatementResponse.result(ResultSet(columns: [Column(name: "a", type: 8)], rows: [["1"]]))
    let meta = XServerType.columnMetaData, row = XServerType.row, notice = XServerType.notice

    @Test("byte-string and BIT fields come from the cell's bytes, whatever they are")
    func byteFields() throws {
        #expect(try XResponseEncoder.field(.bytes([0x00, 0xFF]), type: .bytes) == [0x00, 0xFF, 0x00])
        #expect(try XResponseEncoder.field("é", type: .bytes) == [0xC3, 0xA9, 0x00])
        #expect(try XResponseEncoder.field(.bytes([0x01, 0x00]), type: .bit) == XRowField.varint(256))
        #expect(try XResponseEncoder.field(.bytes(Array("42".utf8)), type: .uint) == XRowField.varint(42))
        #expect(try XResponseEncoder.field(nil, type: .bytes) == [])
    }

    @Test("a result set before another ends with FetchDoneMoreResultsets, the last one with FetchDone; only the last result sends StmtExecuteOk")
    func moreResultsets() throws {
        #expect(try types { XResponseEncoder.write(rows, last: false, moreResultSets: true, to: &$0) }
                    == [meta, row, XServerType.fetchDoneMoreResultsets])
        // A stored procedure's last result set, before its final OK.
        #expect(try types { XResponseEncoder.write(rows, last: false, to: &$0) } == [meta, row, XServerType.fetchDone])
        #expect(try types { XResponseEncoder.write(rows, last: true, to: &$0) }
                    == [meta, row, XServerType.fetchDone, notice, XServerType.stmtExecuteOk])
        #expect(try types { XResponseEncoder.write(.ok(), last: false, to: &$0) } == [])
        #expect(try types { XResponseEncoder.write(.ok(), last: true, to: &$0) } == [notice, XServerType.stmtExecuteOk])
    }

    @Test("a result that ends in an error: metadata, rows, then Mysqlx.Error alone (no FetchDone, no StmtExecuteOk)")
    func errorAfterRows() throws {
        var failing = ResultSet(columns: [Column(name: "a", type: 8)], rows: [["1"], ["2"]])
        failing.error = ErrorResponse(code: 1242, sqlState: "21000", message: "Subquery returns more than 1 row")
        for last in [true, false] {
            #expect(try types { XResponseEncoder.write(.result(failing), last: last, moreResultSets: !last, to: &$0) }
                        == [meta, row, row, XServerType.error])
        }
    }
}
