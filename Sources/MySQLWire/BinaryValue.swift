import NIOCore

/// One value of the binary protocol (`ProtocolBinary::*`): a parameter of `COM_STMT_EXECUTE` or a
/// query attribute, and a cell of a binary result row.
///
/// ```
/// TINY 1, SHORT/YEAR 2, LONG/INT24 4, LONGLONG 8 bytes: little-endian integers
/// FLOAT 4, DOUBLE 8 bytes: little-endian IEEE 754
/// DATE/DATETIME/TIMESTAMP: int<1> length (0, 4, 7 or 11), int<2> year, int<1> month, day,
///                          [hour, minute, second, [int<4> microsecond]]
/// TIME: int<1> length (0, 8 or 12), int<1> is_negative, int<4> days, int<1> hour, minute,
///       second, [int<4> microsecond]
/// everything else (DECIMAL, strings, blobs, JSON, BIT, ENUM, SET, GEOMETRY): string<lenenc>
/// NULL: no bytes (the NULL bitmap says so)
/// ```
public enum BinaryValue: Sendable, Hashable {
    case null
    case signed(Int64)
    case unsigned(UInt64)
    case float(Float)
    case double(Double)
    /// Strings, DECIMAL, blobs, JSON, BIT, ENUM, SET, GEOMETRY: the bytes as sent.
    case bytes([UInt8])
    case dateTime(MySQLDateTime)
    case time(MySQLTime)
}

extension BinaryValue {
    /// Equal when they go on the wire as the same bytes: FLOAT and DOUBLE compare by bit pattern,
    /// so a NaN a client sent equals itself and 0.0 differs from -0.0.
    public static func == (lhs: BinaryValue, rhs: BinaryValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.signed(let a), .signed(let b)): a == b
        case (.unsigned(let a), .unsigned(let b)): a == b
        case (.float(let a), .float(let b)): a.bitPattern == b.bitPattern
        case (.double(let a), .double(let b)): a.bitPattern == b.bitPattern
        case (.bytes(let a), .bytes(let b)): a == b
        case (.dateTime(let a), .dateTime(let b)): a == b
        case (.time(let a), .time(let b)): a == b
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .signed(let v): hasher.combine(1); hasher.combine(v)
        case .unsigned(let v): hasher.combine(2); hasher.combine(v)
        case .float(let v): hasher.combine(3); hasher.combine(v.bitPattern)
        case .double(let v): hasher.combine(4); hasher.combine(v.bitPattern)
        case .bytes(let v): hasher.combine(5); hasher.combine(v)
        case .dateTime(let v): hasher.combine(6); hasher.combine(v)
        case .time(let v): hasher.combine(7); hasher.combine(v)
        }
    }
}

/// A DATE, DATETIME or TIMESTAMP value.
public struct MySQLDateTime: Sendable, Hashable {
    public var year: UInt16, month: UInt8, day: UInt8
    public var hour: UInt8 = 0, minute: UInt8 = 0, second: UInt8 = 0
    public var microsecond: UInt32 = 0

    public init(year: UInt16, month: UInt8, day: UInt8, hour: UInt8 = 0, minute: UInt8 = 0, second: UInt8 = 0,
                microsecond: UInt32 = 0) {
        (self.year, self.month, self.day) = (year, month, day)
        (self.hour, self.minute, self.second, self.microsecond) = (hour, minute, second, microsecond)
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff]` (the time part and fraction only when not zero).
    public var text: String {
        var s = "\(String(year).leftPadded(to: 4))-\(String(month).leftPadded(to: 2))-\(String(day).leftPadded(to: 2))"
        if hour != 0 || minute != 0 || second != 0 || microsecond != 0 {
            s += " \(String(hour).leftPadded(to: 2)):\(String(minute).leftPadded(to: 2)):\(String(second).leftPadded(to: 2))"
        }
        if microsecond != 0 { s += "." + String(microsecond).leftPadded(to: 6) }
        return s
    }

    /// Parses `YYYY-MM-DD[( |T)HH:MM:SS[.f…]]`, as a server prints DATE, DATETIME and TIMESTAMP
    /// values; `nil` for anything else.
    public init?(text: String) {
        let utf8 = Array(text.utf8)
        var index = 0
        func number(_ digits: ClosedRange<Int>) -> Int? {
            let start = index
            while index < utf8.count, index - start < digits.upperBound, (0x30...0x39).contains(utf8[index]) { index += 1 }
            guard index - start >= digits.lowerBound else { return nil }
            return utf8[start..<index].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        func separator(_ allowed: [UInt8]) -> Bool {
            guard index < utf8.count, allowed.contains(utf8[index]) else { return false }
            index += 1
            return true
        }
        guard let y = number(1...4), separator([0x2D]), let m = number(1...2), separator([0x2D]), let d = number(1...2),
              m <= 12, d <= 31 else { return nil }
        self.init(year: UInt16(y), month: UInt8(m), day: UInt8(d))
        if index == utf8.count { return }
        guard separator([0x20, 0x54]), let h = number(1...2), separator([0x3A]), let mi = number(1...2),
              separator([0x3A]), let s = number(1...2), h < 24, mi < 60, s < 60 else { return nil }
        (hour, minute, second) = (UInt8(h), UInt8(mi), UInt8(s))
        if index == utf8.count { return }
        guard separator([0x2E]), let fraction = MySQLTime.microseconds(utf8[index...]) else { return nil }
        microsecond = fraction
    }
}

/// A TIME value: a signed duration of up to 838:59:59.999999.
public struct MySQLTime: Sendable, Hashable {
    public var negative: Bool
    public var days: UInt32
    public var hour: UInt8, minute: UInt8, second: UInt8
    public var microsecond: UInt32

    public init(negative: Bool = false, days: UInt32 = 0, hour: UInt8, minute: UInt8, second: UInt8,
                microsecond: UInt32 = 0) {
        (self.negative, self.days, self.hour, self.minute, self.second, self.microsecond)
            = (negative, days, hour, minute, second, microsecond)
    }

    /// `[-]HH:MM:SS[.ffffff]`, hours counting the days.
    public var text: String {
        let hours = UInt64(days) * 24 + UInt64(hour)
        var s = (negative ? "-" : "") + String(hours).leftPadded(to: 2)
        s += ":\(String(minute).leftPadded(to: 2)):\(String(second).leftPadded(to: 2))"
        if microsecond != 0 { s += "." + String(microsecond).leftPadded(to: 6) }
        return s
    }

    /// Parses `[-][D ]H…:MM:SS[.f…]`, as a server prints TIME values; `nil` for anything else.
    public init?(text: String) {
        var utf8 = Array(text.utf8)[...]
        let negative = utf8.first == 0x2D
        if negative { utf8 = utf8.dropFirst() }
        var days: UInt64 = 0
        if let space = utf8.firstIndex(of: 0x20) {
            guard let d = Self.digits(utf8[..<space], max: 4) else { return nil }
            days = d
            utf8 = utf8[(space + 1)...]
        }
        let fields = utf8.split(separator: 0x3A, omittingEmptySubsequences: false)
        guard fields.count == 3, let hours = Self.digits(fields[0], max: 4),
              let minutes = Self.digits(fields[1], max: 2), minutes < 60 else { return nil }
        let secondField = fields[2].split(separator: 0x2E, maxSplits: 1, omittingEmptySubsequences: false)
        guard let seconds = Self.digits(secondField[0], max: 2), seconds < 60 else { return nil }
        var fraction: UInt32 = 0
        if secondField.count == 2 {
            guard let f = Self.microseconds(secondField[1]) else { return nil }
            fraction = f
        }
        let total = days * 24 + hours
        self.init(negative: negative, days: UInt32(total / 24), hour: UInt8(total % 24), minute: UInt8(minutes),
                  second: UInt8(seconds), microsecond: fraction)
    }

    private static func digits(_ bytes: ArraySlice<UInt8>, max: Int) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= max, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return bytes.reduce(0) { $0 * 10 + UInt64($1 - 0x30) }
    }

    /// Fraction digits (at least one, all digits) as microseconds: `25` → 250000; beyond six
    /// digits the rest is cut, as a server truncates.
    static func microseconds(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        guard !bytes.isEmpty, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        var value: UInt32 = 0
        for i in 0..<6 { value = value * 10 + (i < bytes.count ? UInt32(bytes[bytes.startIndex + i] - 0x30) : 0) }
        return value
    }
}

extension String {
    /// The string with `0`s in front up to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// A parameter's type as `COM_STMT_EXECUTE` sends it: `int<1>` field type, `int<1>` flags (0x80:
/// unsigned).
public struct ParameterType: Sendable, Hashable {
    public var type: UInt8
    public var unsigned: Bool

    public init(type: UInt8, unsigned: Bool = false) {
        self.type = type
        self.unsigned = unsigned
    }
}

extension BinaryValue {
    /// Bytes of a fixed-width integer type (TINY 1, SHORT/YEAR 2, LONG/INT24 4, LONGLONG 8).
    static func integerWidth(_ type: UInt8) -> Int? {
        switch type {
        case 0x01: 1
        case 0x02, 0x0D: 2
        case 0x03, 0x09: 4
        case 0x08: 8
        default: nil
        }
    }

    /// Reads one value of `type` (see the type's layout above). Throws on a truncated value or an
    /// unknown type; never reads past the buffer.
    public static func read(from buffer: inout ByteBuffer, type: ParameterType, what: @autoclosure () -> String)
        throws(MySQLWireError) -> BinaryValue
    {
        func truncated() -> MySQLWireError { MySQLWireError(.truncated, what()) }
        if let width = integerWidth(type.type) {
            guard let bytes = buffer.readBytes(length: width) else { throw truncated() }
            let raw = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if type.unsigned { return .unsigned(raw) }
            let shift = UInt64(64 - width * 8)
            return .signed(Int64(bitPattern: raw << shift) >> Int64(shift))
        }
        switch type.type {
        case 0x06:
            return .null
        case 0x04:
            guard let bits = buffer.readInteger(endianness: .little, as: UInt32.self) else { throw truncated() }
            return .float(Float(bitPattern: bits))
        case 0x05:
            guard let bits = buffer.readInteger(endianness: .little, as: UInt64.self) else { throw truncated() }
            return .double(Double(bitPattern: bits))
        case 0x07, 0x0A, 0x0C, 0x0E:
            guard let length = buffer.readInteger(as: UInt8.self), [0, 4, 7, 11].contains(length),
                  var body = buffer.readSlice(length: Int(length)) else { throw truncated() }
            var value = MySQLDateTime(year: 0, month: 0, day: 0)
            if length >= 4, let y = body.readInteger(endianness: .little, as: UInt16.self),
               let m = body.readInteger(as: UInt8.self), let d = body.readInteger(as: UInt8.self) {
                (value.year, value.month, value.day) = (y, m, d)
            }
            if length >= 7, let h = body.readInteger(as: UInt8.self), let mi = body.readInteger(as: UInt8.self),
               let s = body.readInteger(as: UInt8.self) {
                (value.hour, value.minute, value.second) = (h, mi, s)
            }
            if length == 11, let us = body.readInteger(endianness: .little, as: UInt32.self) { value.microsecond = us }
            return .dateTime(value)
        case 0x0B:
            guard let length = buffer.readInteger(as: UInt8.self), [0, 8, 12].contains(length),
                  var body = buffer.readSlice(length: Int(length)) else { throw truncated() }
            var value = MySQLTime(hour: 0, minute: 0, second: 0)
            if length >= 8, let sign = body.readInteger(as: UInt8.self),
               let days = body.readInteger(endianness: .little, as: UInt32.self),
               let h = body.readInteger(as: UInt8.self), let mi = body.readInteger(as: UInt8.self),
               let s = body.readInteger(as: UInt8.self) {
                (value.negative, value.days, value.hour, value.minute, value.second) = (sign == 1, days, h, mi, s)
            }
            if length == 12, let us = body.readInteger(endianness: .little, as: UInt32.self) { value.microsecond = us }
            return .time(value)
        case 0x00, 0x0F, 0x10, 0xF5...0xFF:
            guard let slice = buffer.readLengthEncodedSlice() else { throw truncated() }
            return .bytes(Array(buffer: slice))
        default:
            throw MySQLWireError(.malformed, "\(what()): unknown parameter type 0x\(String(type.type, radix: 16))")
        }
    }

    /// Writes the value as a `type` value (NULL writes nothing: the bitmap carries it). Integers
    /// are cut to the type's width; a number for a type that is not numeric goes as its digits.
    public func write(to buffer: inout ByteBuffer, type: UInt8) {
        if self == .null { return }
        if let width = Self.integerWidth(type) {
            let raw: UInt64 = switch self {
            case .signed(let v): UInt64(bitPattern: v)
            case .unsigned(let v): v
            default: 0
            }
            for i in 0..<width { buffer.writeInteger(UInt8(truncatingIfNeeded: raw >> (8 * UInt64(i)))) }
            return
        }
        switch (self, type) {
        case (.null, _):
            return
        case (.float(let v), 0x04):
            buffer.writeInteger(v.bitPattern, endianness: .little)
        case (.double(let v), 0x05):
            buffer.writeInteger(v.bitPattern, endianness: .little)
        case (.float(let v), 0x05):
            buffer.writeInteger(Double(v).bitPattern, endianness: .little)
        case (.double(let v), 0x04):
            buffer.writeInteger(Float(v).bitPattern, endianness: .little)
        case (.dateTime(let d), _):
            let length: UInt8 = d.microsecond != 0 ? 11 : (d.hour != 0 || d.minute != 0 || d.second != 0) ? 7
                : (d.year != 0 || d.month != 0 || d.day != 0) ? 4 : 0
            buffer.writeInteger(length)
            if length >= 4 {
                buffer.writeInteger(d.year, endianness: .little)
                buffer.writeInteger(d.month)
                buffer.writeInteger(d.day)
            }
            if length >= 7 {
                buffer.writeInteger(d.hour)
                buffer.writeInteger(d.minute)
                buffer.writeInteger(d.second)
            }
            if length == 11 { buffer.writeInteger(d.microsecond, endianness: .little) }
        case (.time(let t), _):
            let zero = t.days == 0 && t.hour == 0 && t.minute == 0 && t.second == 0 && t.microsecond == 0
            let length: UInt8 = t.microsecond != 0 ? 12 : (zero ? 0 : 8)
            buffer.writeInteger(length)
            if length >= 8 {
                buffer.writeInteger(UInt8(t.negative ? 1 : 0))
                buffer.writeInteger(t.days, endianness: .little)
                buffer.writeInteger(t.hour)
                buffer.writeInteger(t.minute)
                buffer.writeInteger(t.second)
            }
            if length == 12 { buffer.writeInteger(t.microsecond, endianness: .little) }
        case (.bytes(let bytes), _):
            buffer.writeLengthEncodedBytes(bytes)
        case (.signed(let v), _): buffer.writeLengthEncodedString(String(v))
        case (.unsigned(let v), _): buffer.writeLengthEncodedString(String(v))
        case (.float(let v), _): buffer.writeLengthEncodedString("\(v)")
        case (.double(let v), _): buffer.writeLengthEncodedString("\(v)")
        }
    }
}
