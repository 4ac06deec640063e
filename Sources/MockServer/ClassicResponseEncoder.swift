import MockModel
import MySQLWire
import NIOCore

/// Encodes responses for one client's negotiated capabilities.
package struct ClassicResponseEncoder {
    package var capabilities: CapabilityFlags
    /// Result rows in the binary protocol (`ProtocolBinary::ResultsetRow`), as executions of
    /// prepared statements get them; text rows otherwise.
    package var binary: Bool

    package init(capabilities: CapabilityFlags, binary: Bool = false) {
        self.capabilities = capabilities
        self.binary = binary
    }

    /// Writes a statement response: OK, ERR, or a text result set
    /// (column count, ColumnDefinition41 × n, [EOF], rows, EOF or OK-with-`0xFE`, or ERR).
    package func write(_ response: StatementResponse, to writer: inout PacketWriter) {
        switch response.kind {
        case .ok(let ok):
            let packet = OKPacket(ok)
            writer.writePacket { packet.write(to: &$0, capabilities: capabilities) }
        case .error(let error):
            let packet = ERRPacket(error)
            writer.writePacket { packet.write(to: &$0, capabilities: capabilities) }
        case .result(let result):
            guard binary else { return write(result, to: &writer) }
            // Every cell is converted before anything is written: a cell its column's type cannot
            // carry turns the answer into an ERR, not into a half-sent result set.
            var rows: [[BinaryValue]] = []
            rows.reserveCapacity(result.rows.count)
            do {
                for row in result.rows { rows.append(try BinaryCells.row(row, columns: result.columns)) }
            } catch {
                let packet = ERRPacket(error)
                writer.writePacket { packet.write(to: &$0, capabilities: capabilities) }
                return
            }
            write(result, binaryRows: rows, to: &writer)
        }
    }

    /// A result set whose rows are already binary values.
    func write(_ result: ResultSet, binaryRows: [[BinaryValue]], to writer: inout PacketWriter) {
        let types = result.columns.map(\.type)
        writeMetadata(result.columns, to: &writer)
        for row in binaryRows {
            writer.writePacket { BinaryResultRow.write(row, types: types, to: &$0) }
        }
        writeEnd(result, to: &writer)
    }

    /// The column count, the definitions and (without CLIENT_DEPRECATE_EOF) an EOF.
    private func writeMetadata(_ columns: [Column], to writer: inout PacketWriter) {
        writer.writePacket { $0.writeLengthEncodedInteger(UInt64(columns.count)) }
        for column in columns {
            let definition = ColumnDefinition41(column)
            writer.writePacket { definition.write(to: &$0) }
        }
        if !capabilities.contains(.deprecateEOF) { writer.writePacket { EOFPacket().write(to: &$0) } }
    }

    /// The end of the rows: OK with header 0xFE (CLIENT_DEPRECATE_EOF) or EOF; or the result's
    /// error, an ERR in their place.
    private func writeEnd(_ result: ResultSet, to writer: inout PacketWriter) {
        let end = result.end
        if let error = result.error {
            let packet = ERRPacket(error)
            writer.writePacket { packet.write(to: &$0, capabilities: capabilities) }
        } else if capabilities.contains(.deprecateEOF) {
            let ok = OKPacket(end)
            writer.writePacket { ok.write(to: &$0, capabilities: capabilities, header: 0xFE) }
        } else {
            let eof = EOFPacket(warnings: end.warningCount, status: ServerStatus(rawValue: end.status))
            writer.writePacket { eof.write(to: &$0) }
        }
    }

    func write(_ result: ResultSet, to writer: inout PacketWriter) {
        writeMetadata(result.columns, to: &writer)
        for row in result.rows {
            writer.writePacket { buffer in
                for cell in row {
                    switch cell {
                    case .text(let text)?: buffer.writeLengthEncodedString(text)
                    case .bytes(let bytes)?: TextResultRow.writeCell(bytes, to: &buffer)
                    case nil: TextResultRow.writeCell(Optional<[UInt8]>.none, to: &buffer)
                    }
                }
            }
        }
        writeEnd(result, to: &writer)
    }

    package func write(_ packet: ClassicConnectionStateMachine.OutboundPacket, to writer: inout PacketWriter) {
        switch packet {
        case .ok(let ok): writer.writePacket { ok.write(to: &$0, capabilities: capabilities) }
        case .err(let err): writer.writePacket { err.write(to: &$0, capabilities: capabilities) }
        case .eof(let eof):
            if capabilities.contains(.deprecateEOF) {
                let ok = OKPacket(status: eof.status, warnings: eof.warnings)
                writer.writePacket { ok.write(to: &$0, capabilities: capabilities, header: 0xFE) }
            } else {
                writer.writePacket { eof.write(to: &$0) }
            }
        case .localInfileRequest(let filename):
            writer.writePacket {
                $0.writeInteger(UInt8(0xFB))
                $0.writeString(filename)
            }
        case .authSwitch(let request): writer.writePacket { request.write(to: &$0) }
        case .authMoreData(let data): writer.writePacket { data.write(to: &$0) }
        case .text(let text): writer.writePacket { $0.writeString(text) }
        case .prepareOK(let ok): writer.writePacket { ok.write(to: &$0) }
        case .columnDefinition(let column):
            let definition = ColumnDefinition41(column)
            writer.writePacket { definition.write(to: &$0) }
        case .endOfMetadata:
            if !capabilities.contains(.deprecateEOF) { writer.writePacket { EOFPacket().write(to: &$0) } }
        case .columnCount(let count): writer.writePacket { $0.writeLengthEncodedInteger(UInt64(count)) }
        case .binaryRow(let columns, let cells):
            do {
                let values = try BinaryCells.row(cells, columns: columns)
                let types = columns.map(\.type)
                writer.writePacket { BinaryResultRow.write(values, types: types, to: &$0) }
            } catch {
                let packet = ERRPacket(error)
                writer.writePacket { packet.write(to: &$0, capabilities: capabilities) }
            }
        case .eofAlways(let eof): writer.writePacket { eof.write(to: &$0) }
        }
    }
}

extension OKPacket {
    init(_ ok: OKResponse) {
        self.init(affectedRows: ok.affectedRows, lastInsertID: ok.lastInsertID, status: ServerStatus(rawValue: ok.status),
                  warnings: ok.warningCount, info: ok.message,
                  sessionStateChanges: ok.sessionTrackers.map(SessionStateChange.init))
    }
}

extension SessionStateChange {
    init(_ tracker: SessionTracker) {
        switch tracker {
        case .systemVariable(let name, let value): self = .systemVariable(name: name, value: value)
        case .schema(let s): self = .schema(s)
        case .state(let s): self = .stateChange(s)
        case .gtid(let s): self = .gtids(s)
        case .transactionCharacteristics(let s): self = .transactionCharacteristics(s)
        case .transactionState(let s): self = .transactionState(s)
        }
    }
}

extension ColumnDefinition41 {
    init(_ c: Column) {
        self.init(catalog: c.catalog, schema: c.schema, table: c.table, orgTable: c.orgTable, name: c.name,
                  orgName: c.orgName, characterSet: c.characterSet, columnLength: c.length,
                  type: ColumnType(rawValue: c.type), flags: c.flags, decimals: c.decimals)
    }
}

extension ClassicResponseEncoder {
    /// One result of a statement's answer; `moreResults` sets `SERVER_MORE_RESULTS_EXISTS` (0x0008)
    /// in its OK or end-of-rows status, telling the client another result follows. An ERR ends
    /// the batch and has no status.
    package func write(_ response: StatementResponse, moreResults: Bool, to writer: inout PacketWriter) {
        guard moreResults else { return write(response, to: &writer) }
        var flagged = response
        let more = ServerStatus.moreResultsExist.rawValue
        switch response.kind {
        case .ok(var ok):
            ok.status |= more
            flagged.kind = .ok(ok)
        case .result(var result):
            result.end.status |= more
            flagged.kind = .result(result)
        case .error:
            break
        }
        write(flagged, to: &writer)
    }
}
