import NIOCore

/// What the TLS handshake negotiated, as far as the hello messages show it (NIOSSL reports neither
/// the cipher nor session resumption).
final class TLSHandshakeFacts {
    /// The cipher suite in OpenSSL's naming (`TLS_AES_128_GCM_SHA256`, `ECDHE-RSA-AES128-GCM-SHA256`).
    var cipher: String?
    /// The client resumed an earlier session.
    var resumed = false
    var clientSessionID: [UInt8] = []
}

/// A pass-through handler in front of `NIOSSLServerHandler` that reads the ClientHello (inbound)
/// and ServerHello (outbound) records:
///
/// ```
/// record:      int<1> type (22 = handshake), int<2> version, int<2> length
/// handshake:   int<1> type (1 = ClientHello, 2 = ServerHello), int<3> length
/// hello:       int<2> version, string[32] random, int<1> session id length + id,
///   ServerHello: int<2> cipher suite, int<1> compression, int<2> extensions length + extensions
/// ```
///
/// A session counts as resumed when a TLS 1.3 ServerHello carries `pre_shared_key` (41), or a
/// TLS 1.2 ServerHello echoes the client's non-empty session id.
final class TLSHelloSniffer: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let facts: TLSHandshakeFacts
    private var sawClientHello = false
    private var sawServerHello = false

    init(facts: TLSHandshakeFacts) { self.facts = facts }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !sawClientHello {
            sawClientHello = true
            let buffer = unwrapInboundIn(data)
            if var hello = Self.handshakeBody(buffer, type: 1), hello.readBytes(length: 34) != nil,
               let length = hello.readInteger(as: UInt8.self), let id = hello.readBytes(length: Int(length)) {
                facts.clientSessionID = id
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if !sawServerHello {
            let buffer = unwrapOutboundIn(data)
            if let hello = Self.handshakeBody(buffer, type: 2) {
                sawServerHello = true
                parseServerHello(hello)
            }
        }
        context.write(data, promise: promise)
    }

    private func parseServerHello(_ body: ByteBuffer) {
        var hello = body
        guard hello.readBytes(length: 34) != nil,
              let idLength = hello.readInteger(as: UInt8.self), let sessionID = hello.readBytes(length: Int(idLength)),
              let suite = hello.readInteger(as: UInt16.self), hello.readInteger(as: UInt8.self) != nil
        else { return }
        facts.cipher = TLSCipherNames.name(for: suite)
        var tls13 = false
        var psk = false
        if let length = hello.readInteger(as: UInt16.self), var extensions = hello.readSlice(length: Int(length)) {
            while let type = extensions.readInteger(as: UInt16.self), let size = extensions.readInteger(as: UInt16.self),
                  var value = extensions.readSlice(length: Int(size)) {
                if type == 43, value.readInteger(as: UInt16.self) == 0x0304 { tls13 = true }
                if type == 41 { psk = true }
            }
        }
        facts.resumed = tls13 ? psk : (!sessionID.isEmpty && sessionID == facts.clientSessionID)
    }

    /// The body of the first handshake message of `type` in a TLS record, if the buffer starts with one.
    static func handshakeBody(_ buffer: ByteBuffer, type: UInt8) -> ByteBuffer? {
        var b = buffer
        guard b.readInteger(as: UInt8.self) == 22, b.readInteger(as: UInt16.self) != nil,
              let recordLength = b.readInteger(as: UInt16.self), var record = b.readSlice(length: Int(recordLength)),
              record.readInteger(as: UInt8.self) == type,
              let high = record.readInteger(as: UInt8.self), let low = record.readInteger(as: UInt16.self)
        else { return nil }
        return record.readSlice(length: min(Int(high) << 16 | Int(low), record.readableBytes))
    }
}

/// OpenSSL's names of the cipher suites BoringSSL negotiates.
enum TLSCipherNames {
    static let names: [UInt16: String] = [
        0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384", 0x1303: "TLS_CHACHA20_POLY1305_SHA256",
        0xC02B: "ECDHE-ECDSA-AES128-GCM-SHA256", 0xC02C: "ECDHE-ECDSA-AES256-GCM-SHA384",
        0xC02F: "ECDHE-RSA-AES128-GCM-SHA256", 0xC030: "ECDHE-RSA-AES256-GCM-SHA384",
        0xCCA8: "ECDHE-RSA-CHACHA20-POLY1305", 0xCCA9: "ECDHE-ECDSA-CHACHA20-POLY1305",
        0xC009: "ECDHE-ECDSA-AES128-SHA", 0xC00A: "ECDHE-ECDSA-AES256-SHA",
        0xC013: "ECDHE-RSA-AES128-SHA", 0xC014: "ECDHE-RSA-AES256-SHA",
        0xC023: "ECDHE-ECDSA-AES128-SHA256", 0xC027: "ECDHE-RSA-AES128-SHA256",
        0x009C: "AES128-GCM-SHA256", 0x009D: "AES256-GCM-SHA384", 0x002F: "AES128-SHA", 0x0035: "AES256-SHA",
        0x003C: "AES128-SHA256", 0x000A: "DES-CBC3-SHA",
    ]

    static func name(for suite: UInt16) -> String {
        names[suite] ?? "0x" + String(suite, radix: 16, uppercase: true)
    }
}
