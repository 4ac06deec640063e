/// A column's type byte in `ColumnDefinition41` (`enum_field_types` in the server sources).
public struct ColumnType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let decimal = ColumnType(rawValue: 0)
    public static let tiny = ColumnType(rawValue: 1)
    public static let short = ColumnType(rawValue: 2)
    public static let long = ColumnType(rawValue: 3)
    public static let float = ColumnType(rawValue: 4)
    public static let double = ColumnType(rawValue: 5)
    public static let null = ColumnType(rawValue: 6)
    public static let timestamp = ColumnType(rawValue: 7)
    public static let longlong = ColumnType(rawValue: 8)
    public static let int24 = ColumnType(rawValue: 9)
    public static let date = ColumnType(rawValue: 10)
    public static let time = ColumnType(rawValue: 11)
    public static let datetime = ColumnType(rawValue: 12)
    public static let year = ColumnType(rawValue: 13)
    public static let newdate = ColumnType(rawValue: 14)
    public static let varchar = ColumnType(rawValue: 15)
    public static let bit = ColumnType(rawValue: 16)
    public static let json = ColumnType(rawValue: 245)
    public static let newdecimal = ColumnType(rawValue: 246)
    public static let `enum` = ColumnType(rawValue: 247)
    public static let set = ColumnType(rawValue: 248)
    public static let tinyBlob = ColumnType(rawValue: 249)
    public static let mediumBlob = ColumnType(rawValue: 250)
    public static let longBlob = ColumnType(rawValue: 251)
    public static let blob = ColumnType(rawValue: 252)
    public static let varString = ColumnType(rawValue: 253)
    public static let string = ColumnType(rawValue: 254)
    public static let geometry = ColumnType(rawValue: 255)

    public var description: String {
        "\(rawValue)"
    }
}
