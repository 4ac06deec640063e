import MySQLWire
import Testing

/// Vectors from MySQL Router's `test_authentication.cc` (reference spec §10).
@Suite("Auth scrambles")
struct AuthScrambleTests {
    let nonce = Array("01234567890123456789".utf8)

    func hex(_ s: String) -> [UInt8] {
        s.split(separator: " ").compactMap { UInt8($0, radix: 16) }
    }

    @Test("mysql_native_password")
    func native() {
        #expect(AuthScramble.nativePassword(password: "123", nonce: nonce)
                    == hex("a1 22 ab 20 96 5c fe 1f 2e e1 56 39 5e e4 c1 e6 43 78 f6 40"))
        #expect(AuthScramble.nativePassword(password: "", nonce: nonce) == [])
    }

    @Test("mysql_clear_password")
    func clear() {
        #expect(AuthScramble.clearPassword(password: "123") == hex("31 32 33 00"))
        #expect(AuthScramble.clearPassword(password: "") == [0])
    }

    @Test("caching_sha2_password")
    func cachingSHA2() {
        let a = [UInt8](repeating: UInt8(ascii: "a"), count: 20)
        #expect(AuthScramble.cachingSHA2Password(password: "123", nonce: a)
                    == hex("61 d0 51 7f ba 68 81 7f e6 ca f6 58 7a 3b f4 76 ba fb 2a f5 dc 3d 92 17 84 0f b5 e9 c9 ef 7c 5f"))
        #expect(AuthScramble.cachingSHA2Password(password: "", nonce: nonce) == [])
    }

    @Test("verify accepts the right scramble and rejects others")
    func verify() {
        let good = AuthScramble.nativePassword(password: "secret", nonce: nonce)
        #expect(AuthScramble.verify(plugin: AuthPlugin.nativePassword, response: good, password: "secret", nonce: nonce))
        #expect(!AuthScramble.verify(plugin: AuthPlugin.nativePassword, response: good, password: "other", nonce: nonce))
        #expect(AuthScramble.verify(plugin: AuthPlugin.nativePassword, response: [0], password: "", nonce: nonce))
        #expect(!AuthScramble.verify(plugin: AuthPlugin.nativePassword, response: [], password: "x", nonce: nonce))
        #expect(AuthScramble.verify(plugin: AuthPlugin.clearPassword, response: Array("pw".utf8), password: "pw",
                                    nonce: nonce))
        #expect(!AuthScramble.verify(plugin: "sha256_password", response: [1, 2], password: "pw", nonce: nonce))
    }
}
