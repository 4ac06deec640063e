import MySQLWire
import NIOCore

/// The input is one byte choosing zlib or zstd, classic frames or the X protocol's streams, then
/// what a client sends once compressing. Every frame the decoder accepts is no larger than its
/// limit, and compressing its payload again and decoding that gives the same bytes. For the X
/// streams, the input is cut into messages (two bytes of claimed size, two of length, the bytes),
/// each inflated by the connection's stream.
enum CompressedFramesFuzzTarget {
    static let limit = 1 << 20

    @Sendable
    static func run(_ data: [UInt8]) throws(FuzzFailure) {
        guard let selector = data.first else { return }
        let algorithm: CompressionAlgorithm = selector & 1 == 0 ? .zlib : .zstd
        if selector & 2 != 0 { return try xStream(algorithm, Array(data.dropFirst())) }
        let decoder = CompressedFrameDecoder(algorithm: algorithm, maxPayload: limit)
        var bytes = ByteBuffer(bytes: data.dropFirst())
        while true {
            let frame: (sequenceID: UInt8, payload: ByteBuffer)?
            do {
                frame = try decoder.nextFrame(from: &bytes)
            } catch {
                return
            }
            guard let frame else { return }
            guard frame.payload.readableBytes <= limit else {
                throw FuzzFailure("a frame inflated to \(frame.payload.readableBytes) bytes, past the limit of \(limit)")
            }
            var sequence = frame.sequenceID
            var again = ByteBuffer()
            CompressedFrameEncoder(algorithm: algorithm).encode(frame.payload, sequenceID: &sequence, into: &again)
            var back = ByteBuffer()
            do {
                while let round = try decoder.nextFrame(from: &again) {
                    var payload = round.payload
                    back.writeBuffer(&payload)
                }
            } catch {
                throw FuzzFailure("re-encoded payload does not decode: \(error)")
            }
            guard back == frame.payload || (back.readableBytes == 0 && frame.payload.readableBytes == 0) else {
                throw FuzzFailure("payload of \(frame.payload.readableBytes) bytes does not round-trip")
            }
        }
    }

    static func xStream(_ algorithm: CompressionAlgorithm, _ data: [UInt8]) throws(FuzzFailure) {
        let zlib = ZlibStream(.inflate)
        let zstd = ZstdStream()
        var rest = data[...]
        while rest.count >= 4 {
            let claimed = Int(rest[rest.startIndex]) | Int(rest[rest.startIndex + 1]) << 8
            let length = min(Int(rest[rest.startIndex + 2]) | Int(rest[rest.startIndex + 3]) << 8, rest.count - 4)
            let chunk = Array(rest.dropFirst(4).prefix(length))
            rest = rest.dropFirst(4 + length)
            let out: [UInt8]
            do {
                out = algorithm == .zlib ? try zlib.inflate(chunk, expected: claimed, limit: limit)
                    : try zstd.decompress(chunk, expected: claimed, limit: limit)
            } catch {
                return  // the handler ends the connection
            }
            guard out.count == claimed else { throw FuzzFailure("inflated \(out.count) bytes, the message said \(claimed)") }
        }
    }
}
