import NIOCore

/// `Protocol::ColumnDefinition41`:
///
/// ```
/// string<lenenc> catalog ("def")
/// string<lenenc> schema
/// string<lenenc> table
/// string<lenenc> org_table
/// string<lenenc> name
/// string<lenenc> org_name
/// int<lenenc>    length of the fixed-length fields (0x0c)
/// int<2>         character_set (collation id)
/// int<4>         column_length
/// int<1>         type
/// int<2>         flags
/// int<1>         decimals
/// int<2>         filler (0)
/// ```
public struct ColumnDefinition41: Sendable, Hashable {
    public var catalog: String
    public var schema: String
    public var table: String
    public var orgTable: String
    public var name: String
    public var orgName: String
    public var characterSet: UInt16
    public var columnLength: UInt32
    public var type: ColumnType
    public var flags: UInt16
    public var decimals: UInt8

    public init(
        catalog: String = "def", schema: String = "", table: String = "", orgTable: String = "",
        name: String, orgName: String = "", characterSet: UInt16 = 255, columnLength: UInt32 = 0,
        type: ColumnType, flags: UInt16 = 0, decimals: UInt8 = 0
    ) {
        self.catalog = catalog
        self.schema = schema
        self.table = table
        self.orgTable = orgTable
        self.name = name
        self.orgName = orgName
        self.characterSet = characterSet
        self.columnLength = columnLength
        self.type = type
        self.flags = flags
        self.decimals = decimals
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeLengthEncodedString(catalog)
        buffer.writeLengthEncodedString(schema)
        buffer.writeLengthEncodedString(table)
        buffer.writeLengthEncodedString(orgTable)
        buffer.writeLengthEncodedString(name)
        buffer.writeLengthEncodedString(orgName)
        buffer.writeInteger(UInt8(0x0C))
        buffer.writeInteger(characterSet, endianness: .little)
        buffer.writeInteger(columnLength, endianness: .little)
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(flags, endianness: .little)
        buffer.writeInteger(decimals)
        buffer.writeInteger(UInt16(0))
    }

    public init(from buffer: inout ByteBuffer) throws(MySQLWireError) {
        let original = buffer
        guard let catalog = buffer.readLengthEncodedString(), let schema = buffer.readLengthEncodedString(),
              let table = buffer.readLengthEncodedString(), let orgTable = buffer.readLengthEncodedString(),
              let name = buffer.readLengthEncodedString(), let orgName = buffer.readLengthEncodedString(),
              let fixed = buffer.readLengthEncodedInteger(), fixed >= 0x0A,
              let charset = buffer.readInteger(endianness: .little, as: UInt16.self),
              let length = buffer.readInteger(endianness: .little, as: UInt32.self),
              let type = buffer.readInteger(as: UInt8.self),
              let flags = buffer.readInteger(endianness: .little, as: UInt16.self),
              let decimals = buffer.readInteger(as: UInt8.self)
        else { throw MySQLWireError(.truncated, "ColumnDefinition41", bytes: original) }
        self.init(
            catalog: catalog, schema: schema, table: table, orgTable: orgTable, name: name, orgName: orgName,
            characterSet: charset, columnLength: length, type: ColumnType(rawValue: type), flags: flags,
            decimals: decimals)
        // `fixed` is any length-encoded integer: compare as UInt64 (Int(fixed) trapped above Int.max; fuzzer).
        buffer.moveReaderIndex(forwardBy: Int(min(UInt64(buffer.readableBytes), fixed - 0x0A)))
    }
}

/// `ProtocolText::ResultsetRow`: one `string<lenenc>` per column, `0xFB` for NULL.
public enum TextResultRow {
    /// Writes one row payload.
    public static func write<Cells: Sequence>(_ cells: Cells, to buffer: inout ByteBuffer)
    where Cells.Element == String? {
        for cell in cells {
            if let cell {
                buffer.writeLengthEncodedString(cell)
            } else {
                buffer.writeInteger(UInt8(0xFB))
            }
        }
    }

    /// Writes one cell of a row payload: its bytes length-encoded, or `0xFB` for NULL (`nil`).
    public static func writeCell<Bytes: Collection<UInt8>>(_ cell: Bytes?, to buffer: inout ByteBuffer) {
        if let cell {
            buffer.writeLengthEncodedBytes(cell)
        } else {
            buffer.writeInteger(UInt8(0xFB))
        }
    }

    /// Reads a row of `columnCount` cells as raw bytes (`nil` = NULL).
    public static func read(from buffer: inout ByteBuffer, columnCount: Int) throws(MySQLWireError) -> [[UInt8]?] {
        let original = buffer
        var cells: [[UInt8]?] = []
        cells.reserveCapacity(columnCount)
        for index in 0..<columnCount {
            if buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 0xFB {
                buffer.moveReaderIndex(forwardBy: 1)
                cells.append(nil)
            } else if let slice = buffer.readLengthEncodedSlice() {
                cells.append(Array(buffer: slice))
            } else {
                throw MySQLWireError(.truncated, "text row cell \(index)", bytes: original)
            }
        }
        return cells
    }
}
