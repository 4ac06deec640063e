import FoundationEssentials
import MockModel
import MySQLWire
import MySQLXWire
import NIOCore

/// Turns a `StatementResponse` into X protocol frames: ColumnMetaData per column, Row per row,
/// FetchDone and StmtExecuteOk (after ROWS_AFFECTED / GENERATED_INSERT_ID / PRODUCED_MESSAGE
/// notices) for results; StmtExecuteOk with those notices for `ok`; Mysqlx.Error for `error`.
package enum XResponseEncoder {
    /// The X type for a column (its classic type byte and UNSIGNED flag), and the content type hint.
    static func fieldType(_ column: Column) -> (Mysqlx_Resultset_ColumnMetaData.FieldType, UInt32?) {
        switch column.type {
        case 1, 2, 3, 8, 9: (column.flags & ColumnDefaults.unsignedFlag != 0 ? .uint : .sint, nil)
        case 13: (.uint, nil)
        case 4: (.float, nil)
        case 5: (.double, nil)
        case 0, 246: (.decimal, nil)
        case 10, 14: (.datetime, 1)  // content type DATE
        case 7, 12: (.datetime, 2)  // content type DATETIME
        case 11: (.time, nil)
        case 16: (.bit, nil)
        case 247: (.enum, nil)
        case 248: (.set, nil)
        case 245: (.bytes, 2)
        case 255: (.bytes, 1)
        default: (.bytes, nil)
        }
    }

    /// The X protocol's column flags for a column's classic ones (`Mysqlx.Resultset.ColumnMetaData`:
    /// 0x0010 NOT_NULL, 0x0020 PRIMARY_KEY, 0x0040 UNIQUE_KEY, 0x0080 MULTIPLE_KEY,
    /// 0x0100 AUTO_INCREMENT, and 0x0001 by type: UINT/SINT zerofill, DOUBLE/FLOAT/DECIMAL unsigned,
    /// BYTES right-padded (CHAR), DATETIME a TIMESTAMP).
    static func xFlags(_ column: Column, type: Mysqlx_Resultset_ColumnMetaData.FieldType) -> UInt32 {
        let classic = UInt32(column.flags)
        var flags: UInt32 = 0
        if classic & 1 != 0 { flags |= 0x0010 }
        if classic & 2 != 0 { flags |= 0x0020 }
        if classic & 4 != 0 { flags |= 0x0040 }
        if classic & 8 != 0 { flags |= 0x0080 }
        if classic & 512 != 0 { flags |= 0x0100 }
        let typeBit: Bool = switch type {
        case .sint, .uint: classic & 64 != 0
        case .double, .float, .decimal: classic & 32 != 0
        case .bytes: column.type == 254
        case .datetime: column.type == 7
        default: false
        }
        if typeBit { flags |= 0x0001 }
        return flags
    }

    /// One row field: numbers, dates and sets from the cell's text; BIT and byte strings from its
    /// bytes, whatever they are.
    static func field(_ cell: Cell?, type: Mysqlx_Resultset_ColumnMetaData.FieldType) throws -> [UInt8] {
        guard let cell else { return [] }
        switch type {
        case .sint: return try XRowField.sint(cell.text)
        case .uint: return try XRowField.uint(cell.text)
        case .double: return try XRowField.double(cell.text)
        case .float: return try XRowField.float(cell.text)
        case .decimal: return try XRowField.decimal(cell.text)
        case .datetime: return try XRowField.datetime(cell.text)
        case .time: return try XRowField.time(cell.text)
        case .set: return XRowField.set(cell.text)
        case .bit: return XRowField.bit(cell.byteArray)
        default:
            switch cell {
            case .text(let text): return XRowField.bytes(text.utf8)
            case .bytes(let bytes): return XRowField.bytes(bytes)
            }
        }
    }

    /// One server message of the connection state machine (the handshake's replies).
    package static func write(_ message: XConnectionStateMachine.Outbound, to buffer: inout ByteBuffer) {
        switch message {
        case .ok:
            try? XFramer.write(type: XServerType.ok, message: Mysqlx_Ok(), to: &buffer)
        case .error(let code, let sqlState, let text, let fatal):
            try? writeError(code: code, sqlState: sqlState, message: text, fatal: fatal, to: &buffer)
        case .capabilities(let tls, let mechanisms, let compression):
            var caps = Mysqlx_Connection_Capabilities()
            if tls { caps.capabilities.append(capability("tls", .bool(true))) }
            if !compression.isEmpty {
                caps.capabilities.append(capability("compression", .object(["algorithm": compression])))
            }
            caps.capabilities.append(capability("authentication.mechanisms", .list(mechanisms)))
            caps.capabilities.append(capability("doc.formats", .text("text")))
            caps.capabilities.append(capability("node_type", .text("mysql")))
            caps.capabilities.append(capability("client.pwd_expire_ok", .bool(false)))
            try? XFramer.write(type: XServerType.capabilities, message: caps, to: &buffer)
        case .authenticateContinue(let nonce):
            var c = Mysqlx_Session_AuthenticateContinue()
            c.authData = Data(nonce)
            try? XFramer.write(type: XServerType.authenticateContinue, message: c, to: &buffer)
        case .authenticateOk(let clientID):
            try? writeStateNotice(.clientIDAssigned, .uint(UInt64(clientID)), to: &buffer)
            try? XFramer.write(type: XServerType.authenticateOk, message: Mysqlx_Session_AuthenticateOk(), to: &buffer)
        case .notice(let notice):
            try? writeNotice(notice, to: &buffer)
        }
    }

    /// A `Mysqlx.Notice.Frame` (type 1 warning, 2 session variable, 3 session state, 4 group
    /// replication state, 5 server hello) with its scope.
    package static func writeNotice(_ notice: NoticeSpec, to buffer: inout ByteBuffer) throws {
        var frame = Mysqlx_Notice_Frame()
        frame.scope = notice.scope == .global ? .global : .local
        switch notice.kind {
        case .warning(let level, let code, let message):
            var w = Mysqlx_Notice_Warning()
            w.level = Mysqlx_Notice_Warning.Level(rawValue: Int(level)) ?? .warning
            w.code = code
            w.msg = message
            frame.type = 1
            frame.payload = try w.serializedData()
        case .sessionVariableChanged(let name, let value):
            var v = Mysqlx_Notice_SessionVariableChanged()
            v.param = name
            v.value = .string(value)
            frame.type = 2
            frame.payload = try v.serializedData()
        case .sessionStateChanged(let parameter, let value):
            var c = Mysqlx_Notice_SessionStateChanged()
            c.param = Mysqlx_Notice_SessionStateChanged.Parameter(rawValue: Int(parameter)) ?? .producedMessage
            c.value = [.string(value)]
            frame.type = 3
            frame.payload = try c.serializedData()
        case .groupReplicationStateChanged(let type, let viewID):
            var g = Mysqlx_Notice_GroupReplicationStateChanged()
            g.type = type
            if let viewID { g.viewID = viewID }
            frame.type = 4
            frame.payload = try g.serializedData()
        case .serverHello:
            frame.type = 5
        }
        try XFramer.write(type: XServerType.notice, message: frame, to: &buffer)
    }

    enum CapabilityValue {
        case bool(Bool)
        case text(String)
        case list([String])
        /// An object whose fields are lists of strings (`compression: {algorithm: [...]}`).
        case object([String: [String]])
    }

    static func capability(_ name: String, _ value: CapabilityValue) -> Mysqlx_Connection_Capability {
        func any(_ scalar: Mysqlx_Datatypes_Scalar) -> Mysqlx_Datatypes_Any {
            var any = Mysqlx_Datatypes_Any()
            any.type = .scalar
            any.scalar = scalar
            return any
        }
        var c = Mysqlx_Connection_Capability()
        c.name = name
        switch value {
        case .bool(let b): c.value = any(.bool(b))
        case .text(let t): c.value = any(.string(t))
        case .list(let items):
            c.value = list(items)
        case .object(let fields):
            var object = Mysqlx_Datatypes_Any()
            object.type = .object
            var value = Mysqlx_Datatypes_Object()
            value.fld = fields.keys.sorted().map { key in
                var field = Mysqlx_Datatypes_Object.ObjectField()
                field.key = key
                field.value = list(fields[key] ?? [])
                return field
            }
            object.obj = value
            c.value = object
        }
        func list(_ items: [String]) -> Mysqlx_Datatypes_Any {
            var list = Mysqlx_Datatypes_Any()
            list.type = .array
            var array = Mysqlx_Datatypes_Array()
            array.value = items.map { any(.string($0)) }
            list.array = array
            return list
        }
        return c
    }

    /// The whole answer to a statement that has one result.
    package static func write(_ response: StatementResponse, to buffer: inout ByteBuffer) {
        write(response, last: true, to: &buffer)
    }

    /// One result of a statement's answer, as the X Plugin sends a stored procedure's: a result
    /// set followed by another ends with `FetchDoneMoreResultsets`, the last result set with
    /// `FetchDone`; only the `last` result ends the answer (its notices and `StmtExecuteOk`), and
    /// an OK before it sends nothing. An error ends the answer (`Mysqlx.Error`, no StmtExecuteOk).
    package static func write(_ response: StatementResponse, last: Bool, moreResultSets: Bool = false,
                              to buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        do {
            switch response.kind {
            case .error(let e):
                try writeError(code: e.code, sqlState: e.sqlState, message: e.message, to: &buffer)
            case .ok(let ok):
                guard last else { return }
                try writeOKNotices(ok, to: &buffer)
                try XFramer.write(type: XServerType.stmtExecuteOk, message: Mysqlx_Sql_StmtExecuteOk(), to: &buffer)
            case .result(let result):
                let types = result.columns.map(fieldType)
                var rows: [Mysqlx_Resultset_Row] = []
                for row in result.rows {
                    var r = Mysqlx_Resultset_Row()
                    for (index, (type, _)) in types.enumerated() {
                        r.field.append(Data(try field(index < row.count ? row[index] : nil, type: type)))
                    }
                    rows.append(r)
                }
                for (column, (type, content)) in zip(result.columns, types) {
                    var m = Mysqlx_Resultset_ColumnMetaData()
                    m.type = type
                    m.name = Data(column.name.utf8)
                    m.originalName = Data(column.orgName.utf8)
                    m.table = Data(column.table.utf8)
                    m.originalTable = Data(column.orgTable.utf8)
                    m.schema = Data(column.schema.utf8)
                    m.catalog = Data(column.catalog.utf8)
                    m.collation = UInt64(column.characterSet)
                    m.fractionalDigits = UInt32(column.decimals)
                    m.length = column.length != 0 ? column.length : (type == .datetime ? (content == 1 ? 10 : 19) : 0)
                    m.flags = xFlags(column, type: type)
                    if let content { m.contentType = content }
                    try XFramer.write(type: XServerType.columnMetaData, message: m, to: &buffer)
                }
                for row in rows { try XFramer.write(type: XServerType.row, message: row, to: &buffer) }
                if let e = result.error {
                    // The X Plugin ends a result that fails mid-way with the error alone: no
                    // FetchDone, no StmtExecuteOk.
                    try writeError(code: e.code, sqlState: e.sqlState, message: e.message, to: &buffer)
                    return
                }
                guard !moreResultSets else {
                    // `Mysqlx.Resultset.FetchDoneMoreResultsets` has no fields.
                    XFramer.write(type: XServerType.fetchDoneMoreResultsets, payload: [], to: &buffer)
                    return
                }
                try XFramer.write(type: XServerType.fetchDone, message: Mysqlx_Resultset_FetchDone(), to: &buffer)
                guard last else { return }
                try writeOKNotices(result.end, to: &buffer)
                try XFramer.write(type: XServerType.stmtExecuteOk, message: Mysqlx_Sql_StmtExecuteOk(), to: &buffer)
            }
        } catch {
            buffer.moveWriterIndex(to: start)
            try? writeError(code: 1064, sqlState: "HY000", message: "executing statement failed: \(error)", to: &buffer)
        }
    }

    static func writeError(code: UInt16, sqlState: String, message: String, fatal: Bool = false,
                           to buffer: inout ByteBuffer) throws {
        var e = Mysqlx_Error()
        e.severity = fatal ? .fatal : .error
        e.code = UInt32(code)
        e.sqlState = sqlState
        e.msg = ERRPacket.serverMessage(message)
        try XFramer.write(type: XServerType.error, message: e, to: &buffer)
    }

    static func writeOKNotices(_ ok: OKResponse, to buffer: inout ByteBuffer) throws {
        try writeStateNotice(.rowsAffected, .uint(ok.affectedRows), to: &buffer)
        if ok.lastInsertID > 0 { try writeStateNotice(.generatedInsertID, .uint(ok.lastInsertID), to: &buffer) }
        if !ok.message.isEmpty { try writeStateNotice(.producedMessage, .string(ok.message), to: &buffer) }
    }

    static func writeStateNotice(_ parameter: Mysqlx_Notice_SessionStateChanged.Parameter,
                                 _ value: Mysqlx_Datatypes_Scalar, to buffer: inout ByteBuffer) throws {
        var change = Mysqlx_Notice_SessionStateChanged()
        change.param = parameter
        change.value = [value]
        var frame = Mysqlx_Notice_Frame()
        frame.type = 3
        frame.scope = .local
        frame.payload = try change.serializedData()
        try XFramer.write(type: XServerType.notice, message: frame, to: &buffer)
    }
}
