import MockModel
import MySQLWire

/// The binary protocol's side of trace values: result cells (text, as traces write them) as binary
/// values of their column's type, and client parameters as the values traces read.
enum BinaryCells {
    /// Why a cell cannot be sent as its column's type (the client gets ERR 1064 with this).
    struct Failure: Error, CustomStringConvertible {
        var cell: String
        var column: Column

        var description: String {
            "cell \"\(cell)\" of column `\(column.name)` is not a valid \(ColumnTypeName.name(for: column.type)) value"
        }
    }

    /// `cell` as a value of `column`'s type: integers of the type's width (UNSIGNED by the column's
    /// flag), FLOAT/DOUBLE, DATE/DATETIME/TIMESTAMP and TIME from their text; anything else as its
    /// bytes.
    static func value(_ cell: Cell?, column: Column) throws(Failure) -> BinaryValue {
        guard let cell else { return .null }
        switch column.type {
        case 0x01, 0x02, 0x03, 0x08, 0x09, 0x0D:
            let text = cell.text
            let bits: Int = switch column.type {
            case 0x01: 8
            case 0x02, 0x0D: 16
            case 0x09: 24
            case 0x03: 32
            default: 64
            }
            if column.flags & ColumnDefaults.unsignedFlag != 0 || column.type == 0x0D {
                guard let v = UInt64(text), bits == 64 || v < UInt64(1) << UInt64(bits) else { throw Failure(cell: text, column: column) }
                return .unsigned(v)
            }
            guard let v = Int64(text), bits == 64 || (v >= -(Int64(1) << Int64(bits - 1)) && v < Int64(1) << Int64(bits - 1))
            else { throw Failure(cell: text, column: column) }
            return .signed(v)
        case 0x04:
            guard let v = Float(cell.text) else { throw Failure(cell: cell.text, column: column) }
            return .float(v)
        case 0x05:
            guard let v = Double(cell.text) else { throw Failure(cell: cell.text, column: column) }
            return .double(v)
        case 0x07, 0x0A, 0x0C, 0x0E:
            if cell.text.hasPrefix("0000-00-00") { return .dateTime(MySQLDateTime(year: 0, month: 0, day: 0)) }
            guard let v = MySQLDateTime(text: cell.text) else { throw Failure(cell: cell.text, column: column) }
            return .dateTime(v)
        case 0x0B:
            guard let v = MySQLTime(text: cell.text) else { throw Failure(cell: cell.text, column: column) }
            return .time(v)
        default:
            return .bytes(cell.byteArray)
        }
    }

    /// A row's cells as binary values (missing cells are NULL).
    static func row(_ cells: [Cell?], columns: [Column]) throws(Failure) -> [BinaryValue] {
        var values: [BinaryValue] = []
        values.reserveCapacity(columns.count)
        for (index, column) in columns.enumerated() {
            values.append(try value(index < cells.count ? cells[index] : nil, column: column))
        }
        return values
    }
}

extension ERRPacket {
    /// A cell its column's type cannot carry: ERR 1064 naming both, as for other trace mistakes.
    init(_ failure: BinaryCells.Failure) {
        self.init(code: ErrorCode.parseError, sqlState: "HY000", message: ERRPacket.serverMessage("\(failure)"))
    }
}

extension ColumnTypeName {
    /// The name of a type byte (`LONG`), or its number.
    static func name(for code: UInt8) -> String {
        codes.filter { $0.value == code && !$0.key.contains("_BLOB") }.keys.sorted().first ?? String(code)
    }
}

extension Column {
    /// A `?` marker's definition in PREPARE_OK, as MariaDB and MySQL 5.7 send it.
    static let parameter: Column = {
        var c = Column(name: "?", type: 253)
        c.characterSet = 63
        c.flags = 0x80
        return c
    }()
}

extension ParameterValue {
    /// A client's parameter as traces see it: temporals and decimals as text, bytes that are not
    /// UTF-8 as bytes.
    init(_ value: BinaryValue) {
        switch value {
        case .null: self = .null
        case .signed(let v): self = .int(v)
        case .unsigned(let v): self = .uint(v)
        case .float(let v): self = .double(Double("\(v)") ?? Double(v))
        case .double(let v): self = .double(v)
        case .bytes(let b): self = String(validating: b, as: UTF8.self).map(ParameterValue.text) ?? .bytes(b)
        case .dateTime(let d): self = .text(d.text)
        case .time(let t): self = .text(t.text)
        }
    }
}

extension AttributeValue {
    init(_ attribute: QueryAttribute) {
        self.init(name: attribute.name, value: ParameterValue(attribute.value))
    }
}
