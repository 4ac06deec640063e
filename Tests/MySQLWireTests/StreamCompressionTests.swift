import MySQLWire
import Testing

/// The X protocol's compression streams: messages compressed one after another on one stream
/// inflate one by one on the other side's; lies and corrupt bytes are refused.
@Suite("X compression streams")
struct StreamCompressionTests {
    static let messages: [[UInt8]] = [Array("hello".utf8), Array(repeating: 0x61, count: 5000),
                                      (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 31) }, []]

    @Test("deflate_stream: each message inflates on its own, the window carrying over")
    func deflateRoundTrip() throws {
        let deflater = ZlibStream(.deflate)
        let inflater = ZlibStream(.inflate)
        for message in Self.messages + Self.messages {
            let compressed = try deflater.deflate(message)
            #expect(try inflater.inflate(compressed, expected: message.count, limit: 1 << 20) == message)
        }
    }

    @Test("zstd_stream: one frame per message; the inflating context takes them one after another")
    func zstdRoundTrip() throws {
        let sender = ZstdStream()
        let receiver = ZstdStream()
        for message in Self.messages + Self.messages {
            #expect(try receiver.decompress(try sender.compress(message), expected: message.count, limit: 1 << 20) == message)
        }
    }

    @Test("a size that lies either way, past the limit, or a corrupt stream is refused")
    func hostile() throws {
        let message = Array(repeating: UInt8(0x62), count: 4000)
        let compressed = try ZlibStream(.deflate).deflate(message)
        for expected in [3999, 4001] {
            #expect(throws: MySQLWireError.self) { _ = try ZlibStream(.inflate).inflate(compressed, expected: expected, limit: 1 << 20) }
        }
        #expect(throws: MySQLWireError.self) { _ = try ZlibStream(.inflate).inflate(compressed, expected: 4000, limit: 1000) }
        #expect(throws: MySQLWireError.self) { _ = try ZlibStream(.inflate).inflate([1, 2, 3, 4, 5], expected: 10, limit: 100) }
        let frame = try ZstdStream().compress(message)
        for expected in [3999, 4001] {
            #expect(throws: MySQLWireError.self) { _ = try ZstdStream().decompress(frame, expected: expected, limit: 1 << 20) }
        }
        #expect(throws: MySQLWireError.self) { _ = try ZstdStream().decompress(frame, expected: 4000, limit: 1000) }
        #expect(throws: MySQLWireError.self) { _ = try ZstdStream().decompress([0x28, 0xB5, 0x2F, 0xFD, 9, 9, 9], expected: 10, limit: 100) }
    }
}
