/// One cell of a text result row as the server sends it: a `string<lenenc>` of any bytes.
///
/// A trace writes text (sent as its UTF-8 bytes), a number (its digits) or, for bytes that are not
/// UTF-8 text, `{"$hex": "00ff…"}` / `{"$base64": "AP8="}`. Text stays a `String` (no copy for the
/// common case); `.bytes` holds anything else. Two cells are equal when their bytes are.
public enum Cell: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    case text(String)
    case bytes([UInt8])

    public init(stringLiteral value: String) { self = .text(value) }

    public init(_ text: String) { self = .text(text) }

    /// The bytes on the wire.
    public var byteArray: [UInt8] {
        switch self {
        case .text(let s): Array(s.utf8)
        case .bytes(let b): b
        }
    }

    /// The cell read as UTF-8 text (bytes that are not UTF-8 become U+FFFD): for numbers, dates and
    /// other cells whose meaning is their text.
    public var text: String {
        switch self {
        case .text(let s): s
        case .bytes(let b): String(decoding: b, as: UTF8.self)
        }
    }

    /// Number of bytes on the wire.
    public var byteCount: Int {
        switch self {
        case .text(let s): s.utf8.count
        case .bytes(let b): b.count
        }
    }

    /// Text as it is; bytes as `0x` and hex digits.
    public var description: String {
        switch self {
        case .text(let s): s
        case .bytes(let b): "0x" + b.hexString()
        }
    }

    public static func == (lhs: Cell, rhs: Cell) -> Bool {
        switch (lhs, rhs) {
        case (.text(let a), .text(let b)): a.utf8.elementsEqual(b.utf8)
        case (.bytes(let a), .bytes(let b)): a == b
        case (.text(let a), .bytes(let b)), (.bytes(let b), .text(let a)): a.utf8.elementsEqual(b)
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .text(let s): for byte in s.utf8 { hasher.combine(byte) }
        case .bytes(let b): for byte in b { hasher.combine(byte) }
        }
    }
}

extension Collection<UInt8> {
    /// Two hex digits per byte (`00ff`, or `00FF` with `uppercase`).
    public func hexString(uppercase: Bool = false) -> String {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
