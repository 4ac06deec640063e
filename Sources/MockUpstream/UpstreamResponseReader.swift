import MockModel
import MySQLWire
import NIOCore

/// Reads a server's answer to one COM_QUERY (or COM_INIT_DB), packet by packet, into the
/// responses a trace says (`StatementResponse`). Pure: no I/O.
///
/// ```
/// OK | ERR | LOCAL INFILE request (0xFB)
/// | int<lenenc> column count, ColumnDefinition41 × count, [EOF unless CLIENT_DEPRECATE_EOF],
///   text rows (string<lenenc> or 0xFB NULL per cell)…, EOF | OK with header 0xFE | ERR
/// ```
///
/// A response whose status has `SERVER_MORE_RESULTS_EXIST` is followed by another (a `CALL`), and
/// the reader goes on until one without it; each becomes one `StatementResponse`. The flag itself
/// is dropped from the statuses kept: the mock's encoder sets it on every result but the last.
/// An ERR in place of the end of the rows (the statement failed mid-way) becomes the result's
/// `error`: the metadata and the rows read so far, then that error, as the server sent them.
package struct UpstreamResponseReader {
    package enum Outcome {
        /// More packets are needed.
        case more
        /// The server asked for a local file (`LOAD DATA LOCAL INFILE`): the client answers with an
        /// empty packet (no file) and goes on reading the OK or ERR that follows.
        case sendEmptyPacket
        /// The whole answer.
        case done([StatementResponse])
    }

    /// Where in the answer the reader is. The columns and rows being read are stored properties,
    /// not payloads of these cases: appending to an array held by an enum payload copies it, which
    /// would make reading a result quadratic in its rows.
    private enum Step {
        case first
        case columns
        case endOfColumns
        case rows
    }

    /// Most columns accepted in one result (MySQL's own limit is 4096).
    static let maxColumns = 4096

    private let capabilities: CapabilityFlags
    private var step = Step.first
    private var expectedColumns = 0
    private var columns: [Column] = []
    private var rows: [[Cell?]] = []
    private var results: [StatementResponse] = []

    package init(capabilities: CapabilityFlags) {
        self.capabilities = capabilities
    }

    /// Takes the next packet's payload.
    package mutating func read(_ payload: ByteBuffer) throws(UpstreamFailure) -> Outcome {
        var payload = payload
        let header = payload.getInteger(at: payload.readerIndex, as: UInt8.self)
        do {
            switch step {
            case .first:
                switch header {
                case 0x00:
                    let ok = try OKPacket(from: &payload, capabilities: capabilities)
                    return finish(.ok(OKResponse(ok)), status: ok.status)
                case 0xFF:
                    return error(try ERRPacket(from: &payload, capabilities: capabilities))
                case 0xFB:
                    return .sendEmptyPacket
                case nil:
                    throw UpstreamFailure(.malformed, "an empty packet where a response starts")
                default:
                    guard let count = payload.readLengthEncodedInteger(), count > 0, count <= Self.maxColumns else {
                        throw UpstreamFailure(.malformed, "a result set's column count is not 1–\(Self.maxColumns) "
                                              + "(first byte 0x\(String(header ?? 0, radix: 16)))")
                    }
                    expectedColumns = Int(count)
                    columns.reserveCapacity(expectedColumns)
                    step = .columns
                    return .more
                }
            case .columns:
                columns.append(Column(try ColumnDefinition41(from: &payload)))
                if columns.count == expectedColumns {
                    step = capabilities.contains(.deprecateEOF) ? .rows : .endOfColumns
                }
                return .more
            case .endOfColumns:
                guard EOFPacket.isEOF(payload) else {
                    throw UpstreamFailure(.malformed, "no EOF packet after the column definitions")
                }
                step = .rows
                return .more
            case .rows:
                if header == 0xFF {
                    let err = try ERRPacket(from: &payload, capabilities: capabilities)
                    var result = takeResult(end: OKResponse())
                    result.error = ErrorResponse(code: err.code, sqlState: err.sqlState, message: err.message)
                    results.append(StatementResponse(.result(result)))
                    return .done(results)
                }
                if header == 0xFE, payload.readableBytes < Packet.maxFramePayload {
                    if capabilities.contains(.deprecateEOF) {
                        let ok = try OKPacket(from: &payload, capabilities: capabilities)
                        return finish(.result(takeResult(end: OKResponse(ok))), status: ok.status)
                    }
                    if payload.readableBytes < 9 {
                        let eof = try EOFPacket(from: &payload)
                        let end = OKResponse(status: eof.status.rawValue, warningCount: eof.warnings)
                        return finish(.result(takeResult(end: end)), status: eof.status)
                    }
                }
                let cells = try TextResultRow.read(from: &payload, columnCount: columns.count)
                rows.append(cells.map { $0.map(Cell.init(wire:)) })
                return .more
            }
        } catch let failure as UpstreamFailure {
            throw failure
        } catch {
            throw UpstreamFailure(.malformed, "\(error)")
        }
    }

    /// The result read so far, leaving the reader ready for the next one.
    private mutating func takeResult(end: OKResponse) -> ResultSet {
        defer {
            columns = []
            rows = []
        }
        return ResultSet(columns: columns, rows: rows, end: end)
    }

    private mutating func error(_ err: ERRPacket) -> Outcome {
        results.append(StatementResponse(.error(ErrorResponse(code: err.code, sqlState: err.sqlState, message: err.message))))
        return .done(results)
    }

    /// One response is complete: the answer is done unless the status says more follow.
    private mutating func finish(_ kind: StatementResponse.Kind, status: ServerStatus) -> Outcome {
        var kind = kind
        let more = status.contains(.moreResultsExist)
        let mask = ~ServerStatus.moreResultsExist.rawValue
        switch kind {
        case .ok(var ok):
            ok.status &= mask
            kind = .ok(ok)
        case .result(var result):
            result.end.status &= mask
            kind = .result(result)
        case .error:
            break
        }
        results.append(StatementResponse(kind))
        guard more else { return .done(results) }
        step = .first
        return .more
    }
}

extension Cell {
    /// A cell's bytes as the server sent them: text when they are UTF-8, bytes otherwise.
    init(wire bytes: [UInt8]) {
        if let text = String(validating: bytes, as: UTF8.self) {
            self = .text(text)
        } else {
            self = .bytes(bytes)
        }
    }
}

extension Column {
    /// A column as its definition packet says it, every field kept.
    init(_ definition: ColumnDefinition41) {
        self.init(name: definition.name, type: definition.type.rawValue)
        orgName = definition.orgName
        table = definition.table
        orgTable = definition.orgTable
        schema = definition.schema
        catalog = definition.catalog
        characterSet = definition.characterSet
        length = definition.columnLength
        flags = definition.flags
        decimals = definition.decimals
    }
}

extension OKResponse {
    /// An OK packet's fields (also those of an OK that ends rows).
    init(_ ok: OKPacket) {
        self.init(affectedRows: ok.affectedRows, lastInsertID: ok.lastInsertID, status: ok.status.rawValue,
                  warningCount: ok.warnings, message: ok.info, sessionTrackers: ok.sessionStateChanges.map(SessionTracker.init))
    }
}

extension SessionTracker {
    init(_ change: SessionStateChange) {
        switch change {
        case .systemVariable(let name, let value): self = .systemVariable(name: name, value: value)
        case .schema(let schema): self = .schema(schema)
        case .stateChange(let state): self = .state(state)
        case .gtids(let gtids): self = .gtid(gtids)
        case .transactionCharacteristics(let text): self = .transactionCharacteristics(text)
        case .transactionState(let state): self = .transactionState(state)
        }
    }
}
