import MySQLWire
import Synchronization

/// What a client must send to log in with a password, memoised per plugin, password and scramble.
/// The mock's scramble is fixed (as the reference's is) and a trace uses few passwords, so the
/// three SHA rounds of a `mysql_native_password` login run once per password instead of once per
/// connection.
enum ExpectedAuthResponses {
    private struct Key: Hashable {
        var plugin: String
        var password: String
        var nonce: [UInt8]
    }

    /// Entries kept before the memo starts over (a trace that makes up a password per connection).
    static let capacity = 1024
    private static let memo = Mutex<[Key: [UInt8]]>([:])

    /// `AuthScramble.response(plugin:password:nonce:)`, computed once per distinct input.
    static func response(plugin: String, password: String, nonce: [UInt8]) -> [UInt8]? {
        let key = Key(plugin: plugin, password: password, nonce: nonce)
        if let known = memo.withLock({ $0[key] }) { return known }
        guard let computed = AuthScramble.response(plugin: plugin, password: password, nonce: nonce) else { return nil }
        memo.withLock { memo in
            if memo.count >= capacity { memo.removeAll(keepingCapacity: true) }
            memo[key] = computed
        }
        return computed
    }

    /// Entries held now (for tests).
    static var count: Int { memo.withLock { $0.count } }
}
