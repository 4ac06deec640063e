import MySQLWire
import NIOCore
import Testing

@Suite("Compressed frames")
struct CompressedFramesTests {
    static func packets(_ sizes: [Int]) -> ByteBuffer {
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: 1)
        for (index, size) in sizes.enumerated() {
            writer.writePacket(payload: ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 % 7 + index) }))
        }
        return writer.buffer
    }

    static func roundTrip(_ bytes: ByteBuffer, _ algorithm: CompressionAlgorithm) throws -> (ByteBuffer, [UInt8]) {
        var sequence: UInt8 = 4
        var frames = ByteBuffer()
        CompressedFrameEncoder(algorithm: algorithm).encode(bytes, sequenceID: &sequence, into: &frames)
        var out = ByteBuffer()
        var ids: [UInt8] = []
        let decoder = CompressedFrameDecoder(algorithm: algorithm)
        while let frame = try decoder.nextFrame(from: &frames) {
            var payload = frame.payload
            out.writeBuffer(&payload)
            ids.append(frame.sequenceID)
        }
        #expect(frames.readableBytes == 0)
        #expect(sequence == 4 &+ UInt8(truncatingIfNeeded: ids.count))
        return (out, ids)
    }

    @Test("packets round-trip; small payloads go uncompressed, large ones compressed; ids run on",
          arguments: CompressionAlgorithm.allCases)
    func roundTrips(algorithm: CompressionAlgorithm) throws {
        for sizes in [[1], [10, 20], [49], [5000], [100, 100_000, 3]] {
            let bytes = Self.packets(sizes)
            let (out, ids) = try Self.roundTrip(bytes, algorithm)
            #expect(out == bytes)
            #expect(ids == [4])
        }
        // Under the threshold: the header says 0 (not compressed) and the payload is as it was.
        var sequence: UInt8 = 0
        var frames = ByteBuffer()
        CompressedFrameEncoder(algorithm: algorithm).encode(Self.packets([10]), sequenceID: &sequence, into: &frames)
        #expect(frames.getBytes(at: 4, length: 3) == [0, 0, 0])
        // Over it, and compressible: smaller on the wire, the inflated length in the header.
        frames.clear()
        let big = Self.packets([5000])
        CompressedFrameEncoder(algorithm: algorithm).encode(big, sequenceID: &sequence, into: &frames)
        #expect(frames.readableBytes < big.readableBytes / 4)
        #expect(frames.getBytes(at: 4, length: 3) == [0x8C, 0x13, 0x00])  // 5004
    }

    @Test("more than 16 MiB is split into frames of at most 0xFFFFFF bytes each", arguments: CompressionAlgorithm.allCases)
    func splits(algorithm: CompressionAlgorithm) throws {
        let bytes = Self.packets([(16 << 20) + 10])
        let (out, ids) = try Self.roundTrip(bytes, algorithm)
        #expect(out == bytes)
        #expect(ids == [4, 5])
    }

    @Test("hostile frames: a lying length, a bomb past the limit, a corrupt stream, all refused",
          arguments: CompressionAlgorithm.allCases)
    func hostile(algorithm: CompressionAlgorithm) throws {
        var sequence: UInt8 = 0
        var frames = ByteBuffer()
        CompressedFrameEncoder(algorithm: algorithm).encode(Self.packets([4000]), sequenceID: &sequence, into: &frames)
        // The inflated length in the header, off by one either way.
        for delta in [-1, 1] {
            var lying = frames
            let said = Int(lying.getInteger(at: 4, endianness: .little, as: UInt16.self) ?? 0)
            lying.setInteger(UInt16(said + delta), at: 4, endianness: .little)
            #expect(throws: MySQLWireError.self) { _ = try CompressedFrameDecoder(algorithm: algorithm).nextFrame(from: &lying) }
        }
        // A bomb: 16 MiB of zeros compresses to almost nothing; a 1 MiB limit refuses it from its header.
        var bomb = ByteBuffer()
        CompressedFrameEncoder(algorithm: algorithm).encode(ByteBuffer(repeating: 0, count: 0xFF_FFFF), sequenceID: &sequence,
                                                            into: &bomb)
        #expect(bomb.readableBytes < 100_000)
        #expect(throws: MySQLWireError.self) {
            _ = try CompressedFrameDecoder(algorithm: algorithm, maxPayload: 1 << 20).nextFrame(from: &bomb)
        }
        // Corrupt: the compressed bytes flipped.
        var corrupt = frames
        for offset in 7..<min(corrupt.writerIndex, 40) {
            corrupt.setInteger(~(corrupt.getInteger(at: offset, as: UInt8.self) ?? 0), at: offset)
        }
        #expect(throws: MySQLWireError.self) { _ = try CompressedFrameDecoder(algorithm: algorithm).nextFrame(from: &corrupt) }
        // Incomplete: more bytes needed, nothing consumed.
        var partial = frames.getSlice(at: 0, length: 10) ?? ByteBuffer()
        #expect(try CompressedFrameDecoder(algorithm: algorithm).nextFrame(from: &partial) == nil)
        #expect(partial.readableBytes == 10)
    }
}
