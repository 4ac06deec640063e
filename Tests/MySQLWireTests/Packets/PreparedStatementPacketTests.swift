import MySQLWire
import NIOCore
import Testing

@Suite("Prepared statement packets")
struct PreparedStatementPacketTests {
    /// Every parameter type with a value of it, as a client binds them.
    let everyType: [(ParameterType, BinaryValue)] = [
        (ParameterType(type: 0x01), .signed(-128)), (ParameterType(type: 0x01, unsigned: true), .unsigned(255)),
        (ParameterType(type: 0x02), .signed(-32768)), (ParameterType(type: 0x0D, unsigned: true), .unsigned(2024)),
        (ParameterType(type: 0x09), .signed(-8_388_608)), (ParameterType(type: 0x03), .signed(Int64(Int32.min))),
        (ParameterType(type: 0x08), .signed(Int64.min)), (ParameterType(type: 0x08, unsigned: true), .unsigned(UInt64.max)),
        (ParameterType(type: 0x04), .float(1.5)), (ParameterType(type: 0x05), .double(-2.25e300)),
        (ParameterType(type: 0xF6), .bytes(Array("-12.345".utf8))), (ParameterType(type: 0xFD), .bytes(Array("héllo".utf8))),
        (ParameterType(type: 0xFC), .bytes([0, 0xFF, 0x80])), (ParameterType(type: 0xF5), .bytes(Array(#"{"a":1}"#.utf8))),
        (ParameterType(type: 0x10), .bytes([0x01, 0x00])), (ParameterType(type: 0xF7), .bytes(Array("red".utf8))),
        (ParameterType(type: 0x0A), .dateTime(MySQLDateTime(year: 2024, month: 1, day: 2))),
        (ParameterType(type: 0x0C), .dateTime(MySQLDateTime(year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5))),
        (ParameterType(type: 0x07), .dateTime(MySQLDateTime(year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5,
                                                             microsecond: 250_000))),
        (ParameterType(type: 0x0C), .dateTime(MySQLDateTime(year: 0, month: 0, day: 0))),
        (ParameterType(type: 0x0B), .time(MySQLTime(negative: true, days: 34, hour: 22, minute: 59, second: 59,
                                                     microsecond: 1))),
        (ParameterType(type: 0x0B), .time(MySQLTime(hour: 1, minute: 2, second: 3))),
        (ParameterType(type: 0x0B), .time(MySQLTime(hour: 0, minute: 0, second: 0))),
        (ParameterType(type: 0xFD), .null), (ParameterType(type: 0x06), .null),
    ]

    @Test("COM_STMT_EXECUTE: every parameter type, NULLs in the bitmap, round trip")
    func executeEveryType() throws {
        let execute = StmtExecute(statementID: 7, flags: 0, parameters: everyType.map(\.1), types: everyType.map(\.0))
        var buffer = ByteBuffer()
        execute.write(to: &buffer, queryAttributes: false)
        let decoded = try StmtExecute(from: buffer, parameterCount: everyType.count, previousTypes: nil, queryAttributes: false)
        #expect(decoded == execute)
    }

    @Test("COM_STMT_EXECUTE: the bytes of a 2-parameter execution as libmysqlclient sends them")
    func executeBytes() throws {
        // id 1, no cursor, iteration 1; bitmap 0b10 (second NULL); types sent: LONGLONG, VAR_STRING; 42.
        let body: [UInt8] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0b10, 1, 0x08, 0, 0xFD, 0, 42, 0, 0, 0, 0, 0, 0, 0]
        let execute = try StmtExecute(from: ByteBuffer(bytes: body), parameterCount: 2, previousTypes: nil,
                                      queryAttributes: false)
        #expect(execute.statementID == 1 && execute.parameters == [.signed(42), .null])
        // new_params_bind_flag 0: the types of the previous execution apply.
        let again: [UInt8] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0x61]
        let reused = try StmtExecute(from: ByteBuffer(bytes: again), parameterCount: 2, previousTypes: execute.types,
                                     queryAttributes: false)
        #expect(reused.parameters == [.signed(7), .bytes([0x61])])
        #expect(throws: MySQLWireError.self) {
            try StmtExecute(from: ByteBuffer(bytes: again), parameterCount: 2, previousTypes: nil, queryAttributes: false)
        }
    }

    @Test("COM_STMT_EXECUTE with CLIENT_QUERY_ATTRIBUTES: placeholders, then named attributes")
    func executeWithAttributes() throws {
        let execute = StmtExecute(statementID: 3, flags: CursorFlags.parameterCountAvailable, parameters: [.signed(1)],
                                  types: [ParameterType(type: 0x08)],
                                  attributes: [QueryAttribute(name: "traceparent", value: .bytes(Array("00-ab".utf8)))])
        var buffer = ByteBuffer()
        execute.write(to: &buffer, queryAttributes: true)
        let decoded = try StmtExecute(from: buffer, parameterCount: 1, previousTypes: nil, queryAttributes: true)
        #expect(decoded.parameters == [.signed(1)])
        #expect(decoded.attributes == execute.attributes)
    }

    @Test("long data stands in for its parameter, which is not in the values")
    func longData() throws {
        let types = [ParameterType(type: 0xFC), ParameterType(type: 0x03)]
        var buffer = ByteBuffer(bytes: [9, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xFC, 0, 0x03, 0])
        buffer.writeInteger(Int32(5), endianness: .little)
        let execute = try StmtExecute(from: buffer, parameterCount: 2, previousTypes: types, longData: [0: [1, 2, 3]],
                                      queryAttributes: false)
        #expect(execute.parameters == [.bytes([1, 2, 3]), .signed(5)])
    }

    @Test("hostile executions throw, naming the part, without reading past the packet", arguments: [
        [UInt8](), [1, 0, 0], [1, 0, 0, 0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x08],
        [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x08, 0, 1, 2], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x2A, 0, 1],
        [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x0C, 0, 5, 1, 2, 3, 4, 5],
    ])
    func hostile(_ bytes: [UInt8]) {
        #expect(throws: MySQLWireError.self) {
            try StmtExecute(from: ByteBuffer(bytes: bytes), parameterCount: 1, previousTypes: nil, queryAttributes: false)
        }
    }

    @Test("a query-attribute count the packet cannot hold is refused before anything is allocated")
    func hugeAttributeCount() {
        var buffer = ByteBuffer()
        buffer.writeLengthEncodedInteger(UInt64(1) << 60)
        buffer.writeLengthEncodedInteger(1)
        #expect(throws: MySQLWireError.self) { try QueryAttributesBlock.read(from: &buffer) }
    }

    @Test("COM_QUERY with attributes round-trips through ClientCommand")
    func queryAttributes() throws {
        let command = ClientCommand.query("SELECT 1", attributes: [QueryAttribute(name: "a", value: .signed(5)),
                                                                   QueryAttribute(name: "b", value: .null)])
        var buffer = ByteBuffer()
        command.write(to: &buffer, capabilities: .serverDefault)
        #expect(try ClientCommand(from: &buffer, capabilities: .serverDefault) == command)
    }

    @Test("binary rows: header, NULL bitmap at offset 2, every column type")
    func binaryRow() throws {
        let values = everyType.map(\.1)
        let types = everyType.map(\.0.type)
        var buffer = ByteBuffer()
        BinaryResultRow.write(values, types: types, to: &buffer)
        #expect(buffer.getInteger(at: 0, as: UInt8.self) == 0)
        let read = try BinaryResultRow.read(from: &buffer, types: types, unsigned: everyType.map(\.0.unsigned))
        #expect(read == values)
        // A NULL in an integer column has no bytes (the fuzzer found 8 zero bytes written for it).
        var nullInteger = ByteBuffer()
        BinaryResultRow.write([.null, .signed(1)], types: [0x08, 0x01], to: &nullInteger)
        #expect(Array(nullInteger.readableBytesView) == [0, 0b100, 1])
        // Three columns, the second NULL: bitmap bit 3.
        var small = ByteBuffer()
        BinaryResultRow.write([.signed(1), .null, .bytes([0x61])], types: [0x03, 0xFD, 0xFD], to: &small)
        #expect(Array(small.readableBytesView) == [0, 0b1000, 1, 0, 0, 0, 1, 0x61])
    }

    @Test("temporal text as servers print it, and back", arguments: [
        ("2024-01-02", "2024-01-02"), ("2024-01-02 03:04:05", "2024-01-02 03:04:05"),
        ("2024-01-02 03:04:05.25", "2024-01-02 03:04:05.250000"), ("2024-01-02T03:04:05.1234567", "2024-01-02 03:04:05.123456"),
    ])
    func dateTimeText(_ text: String, _ printed: String) throws {
        #expect(try #require(MySQLDateTime(text: text)).text == printed)
    }

    @Test("TIME text: hours past a day, negative, fractions, days")
    func timeText() throws {
        let t = try #require(MySQLTime(text: "-838:59:59.5"))
        #expect(t.negative && t.days == 34 && t.hour == 22 && t.microsecond == 500_000)
        #expect(t.text == "-838:59:59.500000")
        #expect(try #require(MySQLTime(text: "1 02:03:04")).text == "26:03:04")
        for bad in ["", "1:2", "aa:bb:cc", "10:61:00", "2024-01-02", "1:02:03."] { #expect(MySQLTime(text: bad) == nil) }
        for bad in ["2024-13-01", "2024-01-02 25:00:00", "x", "2024-01-02 03:04"] { #expect(MySQLDateTime(text: bad) == nil) }
    }

    @Test("PREPARE_OK round trip and its bytes")
    func prepareOK() throws {
        let ok = StmtPrepareOK(statementID: 1, columnCount: 2, parameterCount: 3)
        var buffer = ByteBuffer()
        ok.write(to: &buffer)
        #expect(Array(buffer.readableBytesView) == [0, 1, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0])
        #expect(try StmtPrepareOK(from: &buffer) == ok)
    }

    @Test("the other COM_STMT commands decode and encode")
    func commands() throws {
        for command in [ClientCommand.stmtPrepare("SELECT ?"), .stmtClose(4), .stmtReset(5), .stmtFetch(statementID: 6, rows: 10),
                        .stmtSendLongData(statementID: 1, parameter: 2, data: ByteBuffer(bytes: [1, 2, 3]))] {
            var buffer = ByteBuffer()
            command.write(to: &buffer, capabilities: .serverDefault)
            #expect(try ClientCommand(from: &buffer, capabilities: .serverDefault) == command)
        }
        var truncated = ByteBuffer(bytes: [CommandByte.stmtFetch, 1, 0, 0, 0])
        #expect(throws: MySQLWireError.self) { try ClientCommand(from: &truncated, capabilities: .serverDefault) }
    }
}
