import NIOCore

/// One logical classic-protocol packet: a payload reassembled from one or more frames.
///
/// Wire layout of a frame: `int<3>` payload length, `int<1>` sequence id, `string[len]` payload.
/// A payload of 2^24−1 bytes or more is split into frames of exactly `0xFFFFFF` bytes followed by a
/// shorter (possibly empty) one, each with the next sequence id.
public struct Packet: Sendable, Hashable {
    /// Sequence id of the first frame.
    public var sequenceID: UInt8
    /// Sequence id of the last frame (equals `sequenceID` unless the payload was fragmented).
    public var lastSequenceID: UInt8
    public var payload: ByteBuffer

    public init(sequenceID: UInt8, lastSequenceID: UInt8? = nil, payload: ByteBuffer) {
        self.sequenceID = sequenceID
        self.lastSequenceID = lastSequenceID ?? sequenceID
        self.payload = payload
    }

    /// Largest payload of one frame.
    public static let maxFramePayload = 0xFF_FFFF
}

/// Cuts a byte stream into `Packet`s: reads frame headers, reassembles `0xFFFFFF` fragments, and
/// refuses a payload larger than `maxPacketSize` as soon as its header says so (the bytes are never
/// buffered). Pure: no channels, no I/O.
public struct PacketFramer: Sendable {
    /// Largest reassembled payload accepted.
    public var maxPacketSize: Int
    private var pending: ByteBuffer?
    private var pendingFirstSequenceID: UInt8 = 0
    private var pendingLastSequenceID: UInt8 = 0

    public init(maxPacketSize: Int = 64 << 20) {
        self.maxPacketSize = maxPacketSize
    }

    /// Takes the next complete packet off the front of `buffer`, or returns `nil` if more bytes are
    /// needed. Throws `.packetTooLarge` or `.sequenceOutOfOrder` (between fragments).
    public mutating func nextPacket(from buffer: inout ByteBuffer) throws(MySQLWireError) -> Packet? {
        while true {
            guard buffer.readableBytes >= 4,
                  let low = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt16.self),
                  let high = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt8.self),
                  let sequenceID = buffer.getInteger(at: buffer.readerIndex + 3, as: UInt8.self)
            else { return nil }
            let length = Int(low) | Int(high) << 16
            let already = pending?.readableBytes ?? 0
            if already + length > maxPacketSize {
                throw MySQLWireError(
                    .packetTooLarge,
                    "packet of \(already + length) bytes is larger than the maximum of \(maxPacketSize)",
                    bytes: buffer.getSlice(at: buffer.readerIndex, length: 4))
            }
            if pending != nil, sequenceID != pendingLastSequenceID &+ 1 {
                throw MySQLWireError(
                    .sequenceOutOfOrder,
                    "fragment has sequence id \(sequenceID), expected \(pendingLastSequenceID &+ 1)",
                    bytes: buffer.getSlice(at: buffer.readerIndex, length: 4))
            }
            guard buffer.readableBytes >= 4 + length else { return nil }
            buffer.moveReaderIndex(forwardBy: 4)
            guard let frame = buffer.readSlice(length: length) else { return nil }

            if length == Packet.maxFramePayload {
                if pending == nil {
                    pending = frame
                    pendingFirstSequenceID = sequenceID
                } else {
                    pending?.writeImmutableBuffer(frame)
                }
                pendingLastSequenceID = sequenceID
                continue
            }
            if var whole = pending {
                whole.writeImmutableBuffer(frame)
                pending = nil
                return Packet(sequenceID: pendingFirstSequenceID, lastSequenceID: sequenceID, payload: whole)
            }
            return Packet(sequenceID: sequenceID, payload: frame)
        }
    }
}

/// Writes packets into one outbound buffer, numbering them, so that a whole response goes out with
/// one write and one flush.
public struct PacketWriter: Sendable {
    public var buffer: ByteBuffer
    /// Sequence id the next frame gets.
    public var sequenceID: UInt8

    public init(buffer: ByteBuffer, sequenceID: UInt8) {
        self.buffer = buffer
        self.sequenceID = sequenceID
    }

    /// Writes one packet whose payload `body` writes, fragmenting it when it reaches 16 MiB.
    public mutating func writePacket(_ body: (inout ByteBuffer) -> Void) {
        let headerIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        body(&buffer)
        let length = buffer.writerIndex - headerIndex - 4
        if length < Packet.maxFramePayload {
            setHeader(at: headerIndex, length: length)
            return
        }
        // Rare: split the payload into 0xFFFFFF-byte frames (plus a final shorter, maybe empty, one).
        let payload = buffer.getSlice(at: headerIndex + 4, length: length) ?? ByteBuffer()
        buffer.moveWriterIndex(to: headerIndex)
        var offset = 0
        while true {
            let chunk = min(Packet.maxFramePayload, length - offset)
            let index = buffer.writerIndex
            buffer.writeInteger(UInt32(0))
            if let slice = payload.getSlice(at: payload.readerIndex + offset, length: chunk) {
                buffer.writeImmutableBuffer(slice)
            }
            setHeader(at: index, length: chunk)
            offset += chunk
            if chunk < Packet.maxFramePayload { break }
        }
    }

    /// Writes one packet with the given payload.
    public mutating func writePacket(payload: ByteBuffer) {
        writePacket { $0.writeImmutableBuffer(payload) }
    }

    private mutating func setHeader(at index: Int, length: Int) {
        buffer.setInteger(UInt16(length & 0xFFFF), at: index, endianness: .little)
        buffer.setInteger(UInt8(length >> 16), at: index + 2)
        buffer.setInteger(sequenceID, at: index + 3)
        sequenceID &+= 1
    }
}
