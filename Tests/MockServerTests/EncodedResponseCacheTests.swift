@testable import MockServer
import MySQLWire
import NIOCore
import Testing

@Suite("Encoded response cache")
struct EncodedResponseCacheTests {
    @Test("encodes once per response, relevant capabilities and sequence id")
    func keys() {
        let cache = EncodedResponseCache()
        var calls = 0
        func get(_ response: Int, _ caps: CapabilityFlags, _ seq: UInt8) -> ByteBuffer {
            cache.bytes(response: response, capabilities: caps, sequenceID: seq) {
                calls += 1
                return ByteBuffer(string: "\(response)-\(caps.rawValue)-\(seq)")
            }
        }
        let a = get(1, [.protocol41, .deprecateEOF], 1)
        #expect(get(1, [.protocol41, .deprecateEOF, .longFlag], 1) == a)  // irrelevant bit: same entry
        #expect(calls == 1)
        _ = get(1, [.protocol41], 1)  // no DEPRECATE_EOF: other bytes
        _ = get(1, [.protocol41, .deprecateEOF], 2)  // other sequence id
        _ = get(2, [.protocol41, .deprecateEOF], 1)  // other response
        #expect(calls == 4)
        #expect(cache.count == 4)
    }

    @Test("large responses are not kept")
    func large() {
        let cache = EncodedResponseCache()
        var calls = 0
        for _ in 0..<2 {
            _ = cache.bytes(response: 9, capabilities: [], sequenceID: 1) {
                calls += 1
                var b = ByteBuffer()
                b.writeRepeatingByte(0, count: EncodedResponseCache.maxEntryBytes + 1)
                return b
            }
        }
        #expect(calls == 2)
        #expect(cache.count == 0)
    }
}
