import MySQLWire
import NIOCore

/// The input is one byte choosing zlib or zstd, then what a client sends once compressing. Every
/// frame the decoder accepts is no larger than its limit, and compressing its payload again and
/// decoding that gives the same bytes.
enum CompressedFramesFuzzTarget {
    static let limit = 1 << 20

    @Sendable
    static func run(_ data: [UInt8]) throws(FuzzFailure) {
        guard let selector = data.first else { return }
        let algorithm: CompressionAlgorithm = selector & 1 == 0 ? .zlib : .zstd
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
}
