import MockModel
import MySQLWire
import NIOCore

/// Encodes responses for one client's negotiated capabilities.
package struct ClassicResponseEncoder {
    package var capabilities: CapabilityFlags

    package init(capabilities: CapabilityFlags) {
        self.capabilities = capabilities
    }

    /// Writes a statement response: OK, ERR, or a text result set
    /// (column count, ColumnDefinition41 × n, [EOF], rows, EOF or OK-with-`0xFE`).
    package func write(_ response: StatementResponse, to writer: inout PacketWriter) {
        switch response.kind {
        case .ok(let ok):
            let packet = OKPacket(ok)
            writer.writePacket { packet.write(to: &$0, capabilities: capabilities) }
        case .error(let error):
            let packet = ERRPacket(error)
            writer.writePacket { packet.write(to: &$0, capabilities: capabilities) }
        case .result(let result):
            write(result, to: &writer)
        }
    }

    func write(_ result: ResultSet, to writer: inout PacketWriter) {
        writer.writePacket { $0.writeLengthEncodedInteger(UInt64(result.columns.count)) }
        for column in result.columns {
            let definition = ColumnDefinition41(column)
            writer.writePacket { definition.write(to: &$0) }
        }
        let deprecateEOF = capabilities.contains(.deprecateEOF)
        if !deprecateEOF { writer.writePacket { EOFPacket().write(to: &$0) } }
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
        if deprecateEOF {
            let end = OKPacket(result.end)
            writer.writePacket { end.write(to: &$0, capabilities: capabilities, header: 0xFE) }
        } else {
            let eof = EOFPacket(warnings: result.end.warningCount, status: ServerStatus(rawValue: result.end.status))
            writer.writePacket { eof.write(to: &$0) }
        }
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
        case .authSwitch(let request): writer.writePacket { request.write(to: &$0) }
        case .authMoreData(let data): writer.writePacket { data.write(to: &$0) }
        case .text(let text): writer.writePacket { $0.writeString(text) }
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
