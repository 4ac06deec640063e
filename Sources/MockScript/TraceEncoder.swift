import MockModel

/// Writes responses as a JSON trace says them: the inverse of `ResponseDecoder`, for traces made
/// from what a server answered (recording, issue 19). Every field is written, so reading the
/// entry back gives the same response, byte for byte on the wire: all column metadata (none left
/// to `ColumnDefaults`), cells that are not UTF-8 as `{"$hex": …}`, OK packets with their status,
/// warnings, message and session trackers.
package enum TraceEncoder {
    /// `{"result": …}`, `{"ok": …}` or `{"error": …}` for one response (with `exec_time` when it
    /// has one), or `{"results": [...]}` for several.
    package static func answer(_ responses: [StatementResponse]) -> JSONValue {
        guard responses.count != 1 else { return response(responses[0]) }
        return .object(["results": .array(responses.map(response))])
    }

    package static func response(_ response: StatementResponse) -> JSONValue {
        var object: [String: JSONValue]
        switch response.kind {
        case .ok(let ok): object = ["ok": self.ok(ok)]
        case .error(let error): object = ["error": self.error(error)]
        case .result(let result): object = ["result": resultSet(result)]
        }
        if response.execTime > .zero { object["exec_time"] = .decimal(milliseconds(response.execTime)) }
        switch response.localInfile {
        case .named?: object["local_infile"] = .bool(true)
        case .file(let name)?: object["local_infile"] = .object(["filename": .string(name)])
        case nil: break
        }
        return .object(object)
    }

    package static func error(_ error: ErrorResponse) -> JSONValue {
        .object(["code": .uint(UInt64(error.code)), "sql_state": .string(error.sqlState), "message": .string(error.message)])
    }

    package static func ok(_ ok: OKResponse) -> JSONValue {
        var object: [String: JSONValue] = [:]
        if ok.affectedRows != 0 { object["affected_rows"] = .uint(ok.affectedRows) }
        if ok.lastInsertID != 0 { object["last_insert_id"] = .uint(ok.lastInsertID) }
        if ok.status != 0 { object["status"] = .uint(UInt64(ok.status)) }
        if ok.warningCount != 0 { object["warning_count"] = .uint(UInt64(ok.warningCount)) }
        if !ok.message.isEmpty { object["message"] = .string(ok.message) }
        if !ok.sessionTrackers.isEmpty { object["session_trackers"] = .array(ok.sessionTrackers.map(tracker)) }
        return .object(object)
    }

    static func tracker(_ tracker: SessionTracker) -> JSONValue {
        switch tracker {
        case .systemVariable(let name, let value):
            .object(["type": .string("system_variable"), "name": .string(name), "value": .string(value)])
        case .schema(let schema): .object(["type": .string("schema"), "schema": .string(schema)])
        case .state(let state): .object(["type": .string("state"), "state": .string(state)])
        case .gtid(let gtid): .object(["type": .string("gtid"), "gtid": .string(gtid)])
        case .transactionCharacteristics(let text):
            .object(["type": .string("trx_characteristics"), "trx_stmt": .string(text)])
        case .transactionState(let state): .object(["type": .string("trx_state"), "state": .string(state)])
        }
    }

    package static func resultSet(_ result: ResultSet) -> JSONValue {
        var object: [String: JSONValue] = [
            "columns": .array(result.columns.map(column)),
            "rows": .array(result.rows.map { .array($0.map(cell)) }),
        ]
        // The OK or EOF that ends the rows: its fields sit beside `columns` and `rows`.
        if case .object(let end) = ok(result.end) {
            for (key, value) in end { object[key] = value }
        }
        if let error = result.error { object["error"] = self.error(error) }
        return .object(object)
    }

    /// Every metadata field, so nothing is filled in from the type when it is read back.
    package static func column(_ column: Column) -> JSONValue {
        let name = ColumnTypeName.codes.first { $0.value == column.type && !$0.key.contains("_BLOB") }?.key
        return .object([
            "name": .string(column.name),
            "type": name.map(JSONValue.string) ?? .uint(UInt64(column.type)),
            "orig_name": .string(column.orgName),
            "table": .string(column.table),
            "orig_table": .string(column.orgTable),
            "schema": .string(column.schema),
            "catalog": .string(column.catalog),
            "character_set": .uint(UInt64(column.characterSet)),
            "length": .uint(UInt64(column.length)),
            "flags": .uint(UInt64(column.flags)),
            "decimals": .uint(UInt64(column.decimals)),
        ])
    }

    /// A cell as text when its bytes are UTF-8 (and not an object a trace would read as bytes),
    /// else as `{"$hex": …}`.
    package static func cell(_ cell: Cell?) -> JSONValue {
        guard let cell else { return .null }
        switch cell {
        case .text(let text): return .string(text)
        case .bytes(let bytes):
            if let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
            return .object(["$hex": .string(bytes.hexString())])
        }
    }

    /// Milliseconds with up to six decimals (`exec_time` takes fractions).
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let whole = nanoseconds / 1_000_000
        let fraction = nanoseconds % 1_000_000
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
