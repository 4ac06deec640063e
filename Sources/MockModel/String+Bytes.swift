#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension String {
    /// Whether the text's UTF-8 bytes include `byte` (a scan at `memchr`'s speed: statements can
    /// be megabytes long, and a generic walk over the UTF-8 view costs several times more).
    public func containsUTF8Byte(_ byte: UInt8) -> Bool {
        var text = self
        return text.withUTF8 { containsByte(byte, in: $0) }
    }
}

extension Substring {
    /// Whether the text's UTF-8 bytes include `byte` (see `String.containsUTF8Byte`).
    public func containsUTF8Byte(_ byte: UInt8) -> Bool {
        var text = self
        return text.withUTF8 { containsByte(byte, in: $0) }
    }
}

private func containsByte(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = bytes.baseAddress else { return false }
    return memchr(base, Int32(byte), bytes.count) != nil
}
