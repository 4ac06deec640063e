/// A result-set column as a trace describes it; becomes a `ColumnDefinition41` (classic) or a
/// `ColumnMetaData` (X protocol).
public struct Column: Sendable, Hashable {
    public var name: String
    /// The classic protocol's type byte (see `ColumnTypeName`).
    public var type: UInt8
    public var orgName: String = ""
    public var table: String = ""
    public var orgTable: String = ""
    public var schema: String = ""
    public var catalog: String = "def"
    /// Collation id; 255 (`utf8mb4_0900_ai_ci`) unless the trace says otherwise.
    public var characterSet: UInt16 = 255
    public var length: UInt32 = 0
    public var flags: UInt16 = 0
    public var decimals: UInt8 = 0

    public init(name: String, type: UInt8) {
        self.name = name
        self.type = type
    }
}

/// Column type names a trace may use and the type byte each stands for: the reference's names
/// (`TINYBLOB`, `VAR_STRING`, …), the `TINY_BLOB` spellings, and `NEWDATE`, `VARCHAR`, `JSON`,
/// which the reference leaves out. Any decimal string or number 0–255 is taken as the byte itself.
public enum ColumnTypeName {
    public static let codes: [String: UInt8] = [
        "DECIMAL": 0, "TINY": 1, "SHORT": 2, "LONG": 3, "FLOAT": 4, "DOUBLE": 5, "NULL": 6,
        "TIMESTAMP": 7, "LONGLONG": 8, "INT24": 9, "DATE": 10, "TIME": 11, "DATETIME": 12, "YEAR": 13,
        "NEWDATE": 14, "VARCHAR": 15, "BIT": 16, "JSON": 245, "NEWDECIMAL": 246, "ENUM": 247, "SET": 248,
        "TINYBLOB": 249, "MEDIUMBLOB": 250, "LONGBLOB": 251, "BLOB": 252,
        "TINY_BLOB": 249, "MEDIUM_BLOB": 250, "LONG_BLOB": 251,
        "VAR_STRING": 253, "STRING": 254, "GEOMETRY": 255,
    ]

    /// The type byte for a name (case-insensitive) or a decimal code, or `nil`.
    public static func code(for name: String) -> UInt8? {
        codes[name.uppercased()] ?? UInt8(name)
    }
}
