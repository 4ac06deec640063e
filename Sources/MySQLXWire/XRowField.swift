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

    public static func bytes(_ text: String) -> [UInt8] {
        Array(text.utf8) + [0]
    }
}
