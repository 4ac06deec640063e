import MySQLWire
import NIOConcurrencyHelpers
import NIOCore

/// Encoded bytes of responses that never change (`StatementResponse.cacheKey`), shared by all
/// connections: a JSON trace's result set is encoded once per capability set and sequence id, then
/// written again without copying.
public final class EncodedResponseCache: Sendable {
    struct Key: Hashable {
        var response: Int
        /// The capability bits the encoding depends on.
        var capabilities: UInt32
        var sequenceID: UInt8
        /// Binary result rows (an execution of a prepared statement) or text rows.
        var binary: Bool
    }

    static let relevantCapabilities: CapabilityFlags = [.protocol41, .deprecateEOF, .sessionTrack]
    /// Responses larger than this are encoded each time instead of kept.
    static let maxEntryBytes = 1 << 20
    static let maxEntries = 4096

    private let entries = NIOLockedValueBox<[Key: ByteBuffer]>([:])

    public init() {}

    /// The bytes for `key`, encoding them with `encode` the first time.
    func bytes(response: Int, capabilities: CapabilityFlags, sequenceID: UInt8, binary: Bool = false,
               encode: () -> ByteBuffer) -> ByteBuffer {
        let key = Key(response: response, capabilities: capabilities.intersection(Self.relevantCapabilities).rawValue,
                      sequenceID: sequenceID, binary: binary)
        if let cached = entries.withLockedValue({ $0[key] }) { return cached }
        let encoded = encode()
        guard encoded.readableBytes <= Self.maxEntryBytes else { return encoded }
        entries.withLockedValue { entries in
            if entries.count >= Self.maxEntries { entries.removeAll(keepingCapacity: true) }
            entries[key] = encoded
        }
        return encoded
    }

    var count: Int { entries.withLockedValue { $0.count } }
}
