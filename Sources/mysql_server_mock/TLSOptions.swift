import FoundationEssentials
import MockServer
import NIOSSL

/// Turns the `--ssl-*` and `--tls-version` options into `TLSSettings`, with the reference's
/// messages for bad values.
enum TLSOptions {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func settings(from options: Options) throws -> TLSSettings {
        guard let mode = SSLMode(rawValue: options.sslMode.uppercased()) else {
            throw Failure(description: "invalid value '\(options.sslMode)' in option ssl_mode in [mock_server:classic]. "
                              + "Allowed values: DISABLED,PREFERRED,REQUIRED")
        }
        guard mode != .disabled else { return .disabled }
        guard let certPath = options.sslCert, !certPath.isEmpty, let keyPath = options.sslKey, !keyPath.isEmpty else {
            throw Failure(description: "if ssl_mode is not DISABLED, ssl_key and ssl_cert MUST be set. "
                              + "ssl_key is \(options.sslKey.map { "'\($0)'" } ?? "empty"), "
                              + "ssl_cert is \(options.sslCert.map { "'\($0)'" } ?? "empty")")
        }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certPath)
        } catch {
            throw Failure(description: "loading --ssl-cert \(certPath) failed: \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw Failure(description: "loading --ssl-key \(keyPath) failed: \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        if let version = options.tlsVersion {
            let pinned: TLSVersion
            switch version {
            case "TLSv1": pinned = .tlsv1
            case "TLSv1.1": pinned = .tlsv11
            case "TLSv1.2": pinned = .tlsv12
            case "TLSv1.3": pinned = .tlsv13
            default: throw Failure(description: "setting 'tls_version=\(version)' failed. Unknown TLS version.")
            }
            configuration.minimumTLSVersion = pinned
            configuration.maximumTLSVersion = pinned
        }
        if let cipher = options.sslCipher, !cipher.isEmpty { configuration.cipherSuites = cipher }
        if let ca = options.sslCa ?? options.sslCapath {
            configuration.trustRoots = .file(ca)
            // Requested, not required: the trace decides whether a certificate is needed.
            configuration.certificateVerification = .optionalVerification
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw Failure(description: "setting up TLS failed: \(error)")
        }
        var revoked: Set<[UInt8]> = []
        var crlFiles: [String] = options.sslCrl.map { [$0] } ?? []
        if let dir = options.sslCrlpath {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            crlFiles += names.sorted().map { "\(dir)/\($0)" }
        }
        for file in crlFiles {
            guard let data = FileManager.default.contents(atPath: file) else {
                if file == options.sslCrl { throw Failure(description: "cannot read --ssl-crl \(file)") }
                continue
            }
            do {
                revoked.formUnion(try CertificateRevocationList.revokedSerials(pem: String(decoding: data, as: UTF8.self),
                                                                                source: file))
            } catch {
                if file == options.sslCrl { throw Failure(description: error.description) }
            }
        }
        return TLSSettings(mode: mode, context: context, revokedSerials: revoked)
    }
}
