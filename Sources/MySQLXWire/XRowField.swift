/// Encodes a text cell as an X protocol `Row` field for a column type (the `Resultset` encodings):
/// SINT zig-zag varint, UINT/BIT varint, DOUBLE/FLOAT little-endian IEEE, BYTES/ENUM the bytes plus a
/// trailing `0x00` (so an empty field can mean NULL), DATETIME/TIME varint sequences, DECIMAL
/// scale byte + packed BCD + sign nibble, SET length-prefixed items. NULL is an empty field.
public enum XRowField {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notANumber(String, type: String)
        case badTemporal(String, type: String)

        public var description: String {
            switch self {
            case .notANumber(let v, let t): "'\(v)' is not a valid \(t) value"
            case .badTemporal(let v, let t): "'\(v)' is not a valid \(t) value"
            }
        }
    }

    public static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            out.append(byte)
        } while v != 0
        return out
    }

    public static func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    public static func sint(_ text: String) throws(Failure) -> [UInt8] {
        guard let v = Int64(text) else { throw .notANumber(text, type: "SINT") }
        return varint(zigzag(v))
    }

    public static func uint(_ text: String) throws(Failure) -> [UInt8] {
        guard let v = UInt64(text) else { throw .notANumber(text, type: "UINT") }
        return varint(v)
    }

    public static func double(_ text: String) throws(Failure) -> [UInt8] {
        guard let v = Double(text) else { throw .notANumber(text, type: "DOUBLE") }
        return withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init)
    }

    public static func float(_ text: String) throws(Failure) -> [UInt8] {
        guard let v = Float(text) else { throw .notANumber(text, type: "FLOAT") }
        return withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init)
    }

    /// Byte strings carry one trailing `0x00` (the X Plugin's terminator).
    public static func bytes(_ raw: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count + 1)
        out += raw
        out.append(0)
        return out
    }

    public static func bytes(_ text: String) -> [UInt8] { bytes(text.utf8) }
}

extension XRowField {
    /// `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` as varints year, month, day[, hour, minutes, seconds, µs].
    public static func datetime(_ text: String) throws(Failure) -> [UInt8] {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" || $0 == "T" || $0 == "." })
        guard parts.count >= 3, parts.count <= 7 else { throw .badTemporal(text, type: "DATETIME") }
        var out: [UInt8] = []
        for (i, part) in parts.enumerated() {
            guard var v = UInt64(part) else { throw .badTemporal(text, type: "DATETIME") }
            if i == 6 { v = microseconds(part) }
            out += varint(v)
        }
        return out
    }

    /// `[-]HH:MM:SS[.ffffff]` as a sign byte and varints hours, minutes, seconds, µs.
    public static func time(_ text: String) throws(Failure) -> [UInt8] {
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(whereSeparator: { $0 == ":" || $0 == "." })
        guard (1...4).contains(parts.count) else { throw .badTemporal(text, type: "TIME") }
        var out: [UInt8] = [negative ? 1 : 0]
        for (i, part) in parts.enumerated() {
            guard var v = UInt64(part) else { throw .badTemporal(text, type: "TIME") }
            if i == 3 { v = microseconds(part) }
            out += varint(v)
        }
        return out
    }

    /// A fraction's digits as microseconds (`5` → 500000).
    static func microseconds(_ digits: Substring) -> UInt64 {
        let six = String(digits.prefix(6)).padding(toLength: 6)
        return UInt64(six) ?? 0
    }

    /// `scale | packed BCD digits | sign nibble (0xC +, 0xD -) [| 0 nibble]`.
    public static func decimal(_ text: String) throws(Failure) -> [UInt8] {
        var t = Substring(text)
        let negative = t.hasPrefix("-")
        if negative || t.hasPrefix("+") { t = t.dropFirst() }
        let pieces = t.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(pieces.count), !t.isEmpty,
              pieces.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { throw .notANumber(text, type: "DECIMAL") }
        let scale = pieces.count == 2 ? pieces[1].count : 0
        guard scale <= 255 else { throw .notANumber(text, type: "DECIMAL") }
        var nibbles = (pieces.joined()).compactMap { $0.wholeNumberValue.map(UInt8.init) }
        if nibbles.isEmpty { nibbles = [0] }
        nibbles.append(negative ? 0xD : 0xC)
        if nibbles.count % 2 == 1 { nibbles.append(0) }
        var out: [UInt8] = [UInt8(scale)]
        for i in stride(from: 0, to: nibbles.count, by: 2) { out.append(nibbles[i] << 4 | nibbles[i + 1]) }
        return out
    }

    /// Comma-separated items as length-prefixed bytes; the empty set is `0x01`.
    public static func set(_ text: String) -> [UInt8] {
        guard !text.isEmpty else { return [1] }
        var out: [UInt8] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            out += varint(UInt64(item.utf8.count)) + Array(item.utf8)
        }
        return out
    }

    /// The cell's bytes as a big-endian unsigned number (BIT columns).
    public static func bit(_ raw: some Collection<UInt8>) -> [UInt8] {
        varint(raw.suffix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    public static func bit(_ text: String) -> [UInt8] { bit(Array(text.utf8)) }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? String(prefix(length)) : self + String(repeating: "0", count: length - count)
    }
}
