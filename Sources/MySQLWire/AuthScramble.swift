import Crypto

/// Auth plugin names the mock knows.
public enum AuthPlugin {
    public static let nativePassword = "mysql_native_password"
    public static let cachingSHA2Password = "caching_sha2_password"
    public static let clearPassword = "mysql_clear_password"
    public static let sha256Password = "sha256_password"
}

/// The client-side scrambles of the password plugins, used to check what a client sent.
public enum AuthScramble {
    /// `mysql_native_password`: `SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password)))`, 20 bytes;
    /// an empty password gives an empty response.
    public static func nativePassword(password: String, nonce: [UInt8]) -> [UInt8] {
        guard !password.isEmpty else { return [] }
        let stage1 = Array(Insecure.SHA1.hash(data: Array(password.utf8)))
        let stage2 = Array(Insecure.SHA1.hash(data: stage1))
        let mix = Array(Insecure.SHA1.hash(data: Array(nonce.prefix(20)) + stage2))
        return zip(stage1, mix).map { $0 ^ $1 }
    }

    /// `caching_sha2_password`: `SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce)`,
    /// 32 bytes; an empty password gives an empty response.
    public static func cachingSHA2Password(password: String, nonce: [UInt8]) -> [UInt8] {
        guard !password.isEmpty else { return [] }
        let stage1 = Array(SHA256.hash(data: Array(password.utf8)))
        let stage2 = Array(SHA256.hash(data: stage1))
        let mix = Array(SHA256.hash(data: stage2 + Array(nonce.prefix(20))))
        return zip(stage1, mix).map { $0 ^ $1 }
    }

    /// `mysql_clear_password`: the password followed by a NUL.
    public static func clearPassword(password: String) -> [UInt8] {
        Array(password.utf8) + [0]
    }

    /// The response a client with `password` sends for `plugin`, or `nil` for a plugin that does not
    /// send a scramble of the nonce.
    public static func response(plugin: String, password: String, nonce: [UInt8]) -> [UInt8]? {
        switch plugin {
        case AuthPlugin.nativePassword: nativePassword(password: password, nonce: nonce)
        case AuthPlugin.cachingSHA2Password: cachingSHA2Password(password: password, nonce: nonce)
        case AuthPlugin.clearPassword: clearPassword(password: password)
        default: nil
        }
    }

    /// Checks `response` for `plugin` against the expected `password`. A lone `0x00` counts as an
    /// empty response (some clients send it for an empty password); a trailing NUL on a clear
    /// password is optional.
    ///
    /// `expected` computes what the client must send (`response(plugin:password:nonce:)` by
    /// default); a server may pass a memoised version.
    public static func verify(
        plugin: String, response: [UInt8], password: String, nonce: [UInt8],
        expected: (_ plugin: String, _ password: String, _ nonce: [UInt8]) -> [UInt8]? = response(plugin:password:nonce:)
    ) -> Bool {
        switch plugin {
        case AuthPlugin.clearPassword:
            var sent = response
            if sent.last == 0 { sent.removeLast() }
            return sent == Array(password.utf8)
        default:
            guard let expected = expected(plugin, password, nonce) else { return false }
            let sent = response == [0] ? [] : response
            return constantTimeEqual(sent, expected)
        }
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }
}
