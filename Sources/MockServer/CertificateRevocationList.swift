import FoundationEssentials

/// The serial numbers a CRL revokes (`--ssl-crl`, `--ssl-crlpath`). NIOSSL has no CRL support,
/// so the TLS verification callback checks client certificates against these.
///
/// DER layout read (RFC 5280 §5.1):
/// ```
/// CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm, signatureValue }
/// TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier, issuer Name,
///     thisUpdate Time, nextUpdate Time OPTIONAL,
///     revokedCertificates SEQUENCE OF SEQUENCE { userCertificate INTEGER, revocationDate Time, … } OPTIONAL,
///     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
/// ```
/// The CRL's signature is not checked: it is a local test fixture the user points at.
public enum CertificateRevocationList {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Revoked serial numbers (big-endian, without leading zero bytes) from PEM text holding one or
    /// more `X509 CRL` blocks.
    public static func revokedSerials(pem: String, source: String) throws(Failure) -> Set<[UInt8]> {
        var serials: Set<[UInt8]> = []
        var blocks = 0
        var body: String?
        for line in pem.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("-----BEGIN X509 CRL-----") {
                body = ""
            } else if line.hasPrefix("-----END X509 CRL-----") {
                guard let text = body, let der = Data(base64Encoded: text) else {
                    throw Failure(description: "\(source): CRL #\(blocks + 1) is not valid base64")
                }
                serials.formUnion(try revokedSerials(der: Array(der), source: source))
                blocks += 1
                body = nil
            } else if body != nil {
                body? += line.filter { !$0.isWhitespace }
            }
        }
        guard blocks > 0 else { throw Failure(description: "\(source): no '-----BEGIN X509 CRL-----' block") }
        return serials
    }

    static func revokedSerials(der: [UInt8], source: String) throws(Failure) -> Set<[UInt8]> {
        let bad = Failure(description: "\(source): not a DER-encoded CRL")
        var outer = DERReader(der)
        guard let list = outer.next(), list.tag == 0x30 else { throw bad }
        var listReader = DERReader(list.value)
        guard let tbs = listReader.next(), tbs.tag == 0x30 else { throw bad }
        var fields = DERReader(tbs.value)
        var element = fields.next()
        if element?.tag == 0x02 { element = fields.next() }  // version
        guard element?.tag == 0x30, fields.next()?.tag == 0x30 else { throw bad }  // signature, issuer
        guard let thisUpdate = fields.next(), thisUpdate.tag == 0x17 || thisUpdate.tag == 0x18 else { throw bad }
        var next = fields.next()
        if let n = next, n.tag == 0x17 || n.tag == 0x18 { next = fields.next() }  // nextUpdate
        var serials: Set<[UInt8]> = []
        if let revoked = next, revoked.tag == 0x30 {
            var entries = DERReader(revoked.value)
            while let entry = entries.next() {
                var fieldsOfEntry = DERReader(entry.value)
                guard entry.tag == 0x30, let serial = fieldsOfEntry.next(), serial.tag == 0x02 else { throw bad }
                serials.insert(normalizedSerial(serial.value))
            }
        }
        return serials
    }

    /// Big-endian serial without leading zero bytes (as both DER and NIOSSL may pad differently).
    public static func normalizedSerial(_ bytes: [UInt8]) -> [UInt8] {
        let trimmed = Array(bytes.drop { $0 == 0 })
        return trimmed.isEmpty ? [0] : trimmed
    }
}

/// Reads consecutive DER TLVs; stops (returns nil) on anything malformed or truncated.
struct DERReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> (tag: UInt8, value: [UInt8])? {
        guard index + 2 <= bytes.count else { return nil }
        let tag = bytes[index]
        var length = Int(bytes[index + 1])
        var offset = index + 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, offset + count <= bytes.count else { return nil }
            length = 0
            for b in bytes[offset..<offset + count] { length = length << 8 | Int(b) }
            offset += count
        }
        guard length >= 0, offset + length <= bytes.count else { return nil }
        index = offset + length
        return (tag, Array(bytes[offset..<offset + length]))
    }
}
