/// What a real server sends in a column definition for what a trace leaves out, worked out from
/// the column's type and the values in its rows: a trace that says only `name` and `type` gets
/// metadata a driver can decode its values with (Ruby's mysql2 reads a DECIMAL with `decimals` 0
/// as a whole number: `12.34` became `12`).
///
/// | type | character set | flags | decimals | length |
/// |---|---|---|---|---|
/// | integers, YEAR | 63 (`binary`) | NUM, BINARY; UNSIGNED when a value is past the signed range | 0 | the display width (TINY 4, SHORT 6, INT24 9, LONG 11, LONGLONG 20), or the longest value |
/// | DECIMAL | 63 | NUM, BINARY | the most digits after the point in any value | precision + point + sign |
/// | FLOAT, DOUBLE | 63 | NUM, BINARY | 31 (not fixed), as for a column without (M,D) | 12, 22 |
/// | DATE, TIME, DATETIME, TIMESTAMP | 63 | BINARY | the most fractional-second digits in any value | 10, 10, 19, 19 (+ 1 + fraction) |
/// | BIT | 63 | UNSIGNED, BINARY | 0 | 1 |
/// | strings, ENUM, SET, BLOB/TEXT, JSON | 255 (`utf8mb4`) | 0 | 0 | the longest value in characters × 4 |
public enum ColumnDefaults {
    /// `NOT_NULL_FLAG`, … as in `mysql_com.h`.
    public static let unsignedFlag: UInt16 = 32
    public static let binaryFlag: UInt16 = 128
    public static let numFlag: UInt16 = 32768

    /// The `binary` character set (collation 63), used by numeric and temporal columns.
    public static let binaryCharacterSet: UInt16 = 63
    /// `utf8mb4_0900_ai_ci`.
    public static let textCharacterSet: UInt16 = 255
    /// `NOT_FIXED_DEC`: a floating-point column without a fixed number of decimals.
    public static let notFixedDecimals: UInt8 = 31

    /// What the trace said about a column's metadata; `nil` for what it left out.
    public struct Given: Sendable, Hashable {
        public var characterSet: UInt16?
        public var length: UInt32?
        public var flags: UInt16?
        public var decimals: UInt8?

        public init(characterSet: UInt16? = nil, length: UInt32? = nil, flags: UInt16? = nil, decimals: UInt8? = nil) {
            self.characterSet = characterSet
            self.length = length
            self.flags = flags
            self.decimals = decimals
        }
    }

    /// `column` with what `given` leaves out filled in from its type and `values` (the column's
    /// cells, NULL as `nil`).
    public static func complete(_ column: Column, given: Given, values: some Sequence<Cell?>) -> Column {
        var c = column
        let facts = Facts(type: column.type, values: values.lazy.map { $0?.text })
        c.characterSet = given.characterSet ?? facts.characterSet
        c.flags = given.flags ?? facts.flags
        c.decimals = given.decimals ?? facts.decimals
        c.length = given.length ?? facts.length
        return c
    }

    private enum Kind {
        case integer(width: UInt32, signedMax: Int64?)
        case decimal, floating(width: UInt32), temporal(base: UInt32), bit, text
    }

    private static func kind(_ type: UInt8) -> Kind {
        switch type {
        case 1: .integer(width: 4, signedMax: Int64(Int8.max))
        case 2: .integer(width: 6, signedMax: Int64(Int16.max))
        case 9: .integer(width: 9, signedMax: 8_388_607)
        case 3: .integer(width: 11, signedMax: Int64(Int32.max))
        case 8: .integer(width: 20, signedMax: Int64.max)
        case 13: .integer(width: 4, signedMax: nil)
        case 0, 246: .decimal
        case 4: .floating(width: 12)
        case 5: .floating(width: 22)
        case 10, 14: .temporal(base: 10)
        case 11: .temporal(base: 10)
        case 7, 12: .temporal(base: 19)
        case 16: .bit
        default: .text
        }
    }

    private struct Facts {
        var characterSet = ColumnDefaults.textCharacterSet
        var flags: UInt16 = 0
        var decimals: UInt8 = 0
        var length: UInt32 = 0

        init(type: UInt8, values: some Sequence<String?>) {
            let present = values.compactMap { $0 }
            switch ColumnDefaults.kind(type) {
            case .integer(let width, let signedMax):
                characterSet = ColumnDefaults.binaryCharacterSet
                flags = ColumnDefaults.numFlag | ColumnDefaults.binaryFlag
                if let signedMax, present.contains(where: { Self.isPastSigned($0, max: signedMax) }) {
                    flags |= ColumnDefaults.unsignedFlag
                }
                length = max(width, Self.longest(present))
            case .decimal:
                characterSet = ColumnDefaults.binaryCharacterSet
                flags = ColumnDefaults.numFlag | ColumnDefaults.binaryFlag
                let scale = present.map(Self.fractionDigits).max() ?? 0
                let whole = present.map(Self.wholeDigits).max() ?? 1
                decimals = UInt8(min(scale, 30))
                let precision = UInt32(min(whole + scale, 65))
                length = precision + (decimals > 0 ? 1 : 0) + 1
            case .floating(let width):
                characterSet = ColumnDefaults.binaryCharacterSet
                flags = ColumnDefaults.numFlag | ColumnDefaults.binaryFlag
                decimals = ColumnDefaults.notFixedDecimals
                length = max(width, Self.longest(present))
            case .temporal(let base):
                characterSet = ColumnDefaults.binaryCharacterSet
                flags = ColumnDefaults.binaryFlag
                let fraction = present.map(Self.fractionDigits).max() ?? 0
                decimals = UInt8(min(fraction, 6))
                length = base + (decimals > 0 ? 1 + UInt32(decimals) : 0)
            case .bit:
                characterSet = ColumnDefaults.binaryCharacterSet
                flags = ColumnDefaults.unsignedFlag | ColumnDefaults.binaryFlag
                length = 1
            case .text:
                length = UInt32(clamping: Self.longestCharacters(present) * 4)
            }
        }

        static func isPastSigned(_ text: String, max: Int64) -> Bool {
            guard let value = Int64(text) else { return UInt64(text) != nil }
            return value > max
        }

        static func longest(_ values: [String]) -> UInt32 {
            UInt32(clamping: values.map(\.utf8.count).max() ?? 0)
        }

        static func longestCharacters(_ values: [String]) -> Int {
            values.map(\.unicodeScalars.count).max() ?? 0
        }

        /// Digits after the decimal point (`12.340` → 3, `-0.5` → 1, `12:00:00.25` → 2).
        static func fractionDigits(_ text: String) -> Int {
            guard let point = text.utf8.lastIndex(of: UInt8(ascii: ".")) else { return 0 }
            return text.utf8[text.utf8.index(after: point)...].prefix { $0 >= 0x30 && $0 <= 0x39 }.count
        }

        /// Digits before the point, without sign or leading zeros (at least 1).
        static func wholeDigits(_ text: String) -> Int {
            let whole = text.utf8.prefix { $0 != UInt8(ascii: ".") }.filter { $0 >= 0x30 && $0 <= 0x39 }
            return max(1, whole.drop { $0 == 0x30 }.count)
        }
    }
}
