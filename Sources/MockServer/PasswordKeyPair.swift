import _CryptoExtras
import FoundationEssentials
import NIOConcurrencyHelpers

/// The RSA key pair with which clients encrypt passwords on unencrypted connections
/// (caching_sha2_password full authentication, sha256_password): the client asks for the public
/// key, encrypts `(password + NUL) XOR nonce` with RSA-OAEP (SHA-1) and the server decrypts it.
///
/// Without configured PEM files a 2048-bit pair is generated the first time one is needed, so
/// start-up does not pay for it.
///
/// `@unchecked Sendable`: the key is immutable once made, and making it happens under the lock.
public final class PasswordKeyPair: @unchecked Sendable {
    private let lock = NIOLock()
    private var key: _RSA.Encryption.PrivateKey?

    /// A pair generated on first use.
    public init() {}

    /// A pair from PEM text (`--caching-sha2-private-key`; the public key is derived from it).
    public init(privateKeyPEM: String) throws {
        key = try _RSA.Encryption.PrivateKey(pemRepresentation: privateKeyPEM)
    }

    private func privateKey() -> _RSA.Encryption.PrivateKey? {
        lock.withLock {
            if key == nil { key = try? _RSA.Encryption.PrivateKey(keySize: .bits2048) }
            return key
        }
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`), as the server sends it.
    public var publicKeyPEM: String {
        privateKey()?.publicKey.pemRepresentation ?? ""
    }

    /// Decrypts a client's encrypted password and undoes the nonce XOR; `nil` if it does not
    /// decrypt. The result keeps the client's trailing NUL.
    public func decryptPassword(_ data: [UInt8], nonce: [UInt8]) -> [UInt8]? {
        guard let key = privateKey(), !nonce.isEmpty,
              let plain = try? key.decrypt(data, padding: .PKCS1_OAEP)
        else { return nil }
        return plain.enumerated().map { $0.element ^ nonce[$0.offset % nonce.count] }
    }

    /// What a client computes (for tests and the test client): RSA-OAEP of `(password + NUL) XOR nonce`.
    public static func encryptPassword(_ password: String, nonce: [UInt8], publicKeyPEM: String) throws -> [UInt8] {
        let key = try _RSA.Encryption.PublicKey(pemRepresentation: publicKeyPEM)
        let mixed = (Array(password.utf8) + [0]).enumerated().map { $0.element ^ nonce[$0.offset % nonce.count] }
        return Array(try key.encrypt(mixed, padding: .PKCS1_OAEP))
    }
}

extension PasswordKeyPair: Equatable {
    /// The same key pair (state machines compare their configurations in tests).
    public static func == (lhs: PasswordKeyPair, rhs: PasswordKeyPair) -> Bool { lhs === rhs }
}
