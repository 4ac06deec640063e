import MySQLXWire
import FoundationEssentials
import NIOCore
import SwiftProtobuf
import Testing

@Suite("X protocol frames and messages")
struct XFrameTests {
    @Test("frames: length counts the type byte; partial input waits; limits are enforced at the header")
    func frames() throws {
        var buffer = ByteBuffer()
        XFramer.write(type: 12, payload: [0x0A, 0x01, 0x31], to: &buffer)
        #expect(Array(buffer.readableBytesView) == [4, 0, 0, 0, 12, 0x0A, 0x01, 0x31])
        var framer = XFramer(maxFrameSize: 16)
        var partial = ByteBuffer(bytes: Array(buffer.readableBytesView.prefix(6)))
        #expect(try framer.nextFrame(from: &partial) == nil)
        #expect(partial.readerIndex == 0)
        let frame = try #require(try framer.nextFrame(from: &buffer))
        #expect(frame.type == 12)
        #expect(Array(frame.payload.readableBytesView) == [0x0A, 0x01, 0x31])
        var huge = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0x3F])
        #expect(throws: MySQLXWireError(.frameTooLarge, "frame of 1073741823 bytes is larger than the maximum of 16")) {
            try framer.nextFrame(from: &huge)
        }
        var empty = ByteBuffer(bytes: [0, 0, 0, 0])
        #expect(throws: MySQLXWireError.self) { try framer.nextFrame(from: &empty) }
    }

    @Test("client messages decode; missing required fields are errors, unknown types unsupported")
    func messages() throws {
        var execute = Mysqlx_Sql_StmtExecute()
        execute.stmt = Data("select 1".utf8)
        execute.namespace = "sql"
        var buffer = ByteBuffer()
        try XFramer.write(type: 12, message: execute, to: &buffer)
        var framer = XFramer()
        guard case .stmtExecute(let decoded) = try XClientMessage(try #require(try framer.nextFrame(from: &buffer))) else {
            Issue.record("expected StmtExecute")
            return
        }
        #expect(String(decoding: decoded.stmt, as: UTF8.self) == "select 1")
        #expect(decoded.namespace == "sql")

        // AuthenticateStart without its required mech_name.
        #expect(throws: MySQLXWireError.self) { try XClientMessage(XFrame(type: 4, payload: ByteBuffer())) }
        guard case .unsupported(17) = try XClientMessage(XFrame(type: 17, payload: ByteBuffer())) else {
            Issue.record("expected unsupported")
            return
        }
        guard case .capabilitiesGet = try XClientMessage(XFrame(type: 1, payload: ByteBuffer())) else {
            Issue.record("expected CapabilitiesGet")
            return
        }
        // Garbage bytes never trap.
        for seed in 0..<64 {
            let bytes = (0..<seed).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ seed) }
            for type in [UInt8(2), 4, 5, 6, 12, 24] {
                _ = try? XClientMessage(XFrame(type: type, payload: ByteBuffer(bytes: bytes)))
            }
        }
    }

    @Test("row fields: zig-zag SINT at the 64-bit edges, UINT, DOUBLE, FLOAT, BYTES with trailing NUL")
    func rowFields() throws {
        #expect(try XRowField.sint("0") == [0])
        #expect(try XRowField.sint("-1") == [1])
        #expect(try XRowField.sint("1") == [2])
        #expect(try XRowField.sint("9223372036854775807") == [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(try XRowField.sint("-9223372036854775808") == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(try XRowField.uint("18446744073709551615") == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(try XRowField.uint("300") == [0xAC, 0x02])
        #expect(try XRowField.double("1.5") == [0, 0, 0, 0, 0, 0, 0xF8, 0x3F])
        #expect(try XRowField.float("1.5") == [0, 0, 0xC0, 0x3F])
        #expect(XRowField.bytes("ab") == [0x61, 0x62, 0])
        #expect(XRowField.bytes("") == [0])
        #expect(throws: XRowField.Failure.notANumber("x", type: "SINT")) { try XRowField.sint("x") }
    }

    @Test("row fields: DATETIME, TIME, DECIMAL, SET, BIT")
    func temporalAndDecimal() throws {
        #expect(try XRowField.datetime("2024-01-02") == [0xE8, 0x0F, 1, 2])
        #expect(try XRowField.datetime("2024-01-02 03:04:05") == [0xE8, 0x0F, 1, 2, 3, 4, 5])
        #expect(try XRowField.datetime("2024-01-02 03:04:05.5") == [0xE8, 0x0F, 1, 2, 3, 4, 5, 0xA0, 0xC2, 0x1E])
        #expect(try XRowField.time("01:02:03") == [0, 1, 2, 3])
        #expect(try XRowField.time("-838:59:59") == [1, 0xC6, 0x06, 59, 59])
        // scale | BCD digits | sign nibble (0xC +, 0xD -) | padding nibble
        #expect(try XRowField.decimal("-12.3401") == [4, 0x12, 0x34, 0x01, 0xD0])
        #expect(try XRowField.decimal("1.50") == [2, 0x15, 0x0C])
        #expect(try XRowField.decimal("0") == [0, 0x0C])
        #expect(XRowField.set("") == [1])
        #expect(XRowField.set("FOO,BAR") == [3, 0x46, 0x4F, 0x4F, 3, 0x42, 0x41, 0x52])
        #expect(XRowField.bit("\u{1}") == [1])
        #expect(throws: XRowField.Failure.self) { try XRowField.datetime("yesterday") }
        #expect(throws: XRowField.Failure.self) { try XRowField.decimal("1.2.3") }
    }
}
