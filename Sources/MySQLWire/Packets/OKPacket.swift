import NIOCore

/// `Protocol::OK_Packet` (header `0x00`), also used with header `0xFE` to end a result set when
/// CLIENT_DEPRECATE_EOF is on:
///
/// ```
/// int<1>        header (0x00 or 0xFE)
/// int<lenenc>   affected_rows
/// int<lenenc>   last_insert_id
/// int<2>        status_flags          (if CLIENT_PROTOCOL_41)
/// int<2>        warnings              (if CLIENT_PROTOCOL_41)
/// if CLIENT_SESSION_TRACK:
///   string<lenenc> info               (when non-empty or session state changed)
///   string<lenenc> session state info (if status has SERVER_SESSION_STATE_CHANGED)
/// else:
///   string<lenenc> info               (when non-empty)
/// ```
///
/// The protocol documentation says `string<EOF>` for the last case, but servers have always
/// written it length-encoded (MySQL's `net_send_ok` stores the message with `net_store_data`, and
/// MariaDB does the same), and clients read it so: PHP's mysqlnd takes the first byte as a length
/// ("RSET_HEADER packet additional data length is past … bytes the packet size"). A decoder here
/// accepts both.
public struct OKPacket: Sendable, Hashable {
    public var affectedRows: UInt64
    public var lastInsertID: UInt64
    public var status: ServerStatus
    public var warnings: UInt16
    public var info: String
    public var sessionStateChanges: [SessionStateChange]

    public init(
        affectedRows: UInt64 = 0, lastInsertID: UInt64 = 0, status: ServerStatus = [], warnings: UInt16 = 0,
        info: String = "", sessionStateChanges: [SessionStateChange] = []
    ) {
        self.affectedRows = affectedRows
        self.lastInsertID = lastInsertID
        self.status = status
        self.warnings = warnings
        self.info = info
        self.sessionStateChanges = sessionStateChanges
    }

    /// Writes the packet for a client with `capabilities`; `header` is `0x00`, or `0xFE` to end a
    /// result set. Session-state changes are only sent (and SERVER_SESSION_STATE_CHANGED only set)
    /// when the client negotiated CLIENT_SESSION_TRACK.
    public func write(to buffer: inout ByteBuffer, capabilities: CapabilityFlags, header: UInt8 = 0x00) {
        let track = capabilities.contains(.sessionTrack)
        var status = self.status
        if track, !sessionStateChanges.isEmpty { status.insert(.sessionStateChanged) }
        if !track { status.remove(.sessionStateChanged) }
        buffer.writeInteger(header)
        buffer.writeLengthEncodedInteger(affectedRows)
        buffer.writeLengthEncodedInteger(lastInsertID)
        if capabilities.contains(.protocol41) {
            buffer.writeInteger(status.rawValue, endianness: .little)
            buffer.writeInteger(warnings, endianness: .little)
        }
        if track {
            let changed = status.contains(.sessionStateChanged)
            if !info.isEmpty || changed { buffer.writeLengthEncodedString(info) }
            if changed {
                var block = ByteBuffer()
                for change in sessionStateChanges { change.write(to: &block) }
                buffer.writeLengthEncodedInteger(UInt64(block.readableBytes))
                buffer.writeBuffer(&block)
            }
        } else if !info.isEmpty {
            buffer.writeLengthEncodedString(info)
        }
    }

    public init(from buffer: inout ByteBuffer, capabilities: CapabilityFlags) throws(MySQLWireError) {
        let original = buffer
        guard let header = buffer.readInteger(as: UInt8.self), header == 0x00 || header == 0xFE else {
            throw MySQLWireError(.malformed, "OK packet header is not 0x00/0xFE", bytes: original)
        }
        guard let affected = buffer.readLengthEncodedInteger(), let lastID = buffer.readLengthEncodedInteger() else {
            throw MySQLWireError(.truncated, "OK packet affected_rows/last_insert_id", bytes: original)
        }
        affectedRows = affected
        lastInsertID = lastID
        status = []
        warnings = 0
        if capabilities.contains(.protocol41) {
            guard let s = buffer.readInteger(endianness: .little, as: UInt16.self),
                  let w = buffer.readInteger(endianness: .little, as: UInt16.self)
            else { throw MySQLWireError(.truncated, "OK packet status/warnings", bytes: original) }
            status = ServerStatus(rawValue: s)
            warnings = w
        }
        info = ""
        sessionStateChanges = []
        if capabilities.contains(.sessionTrack) {
            if buffer.readableBytes > 0 {
                guard let text = buffer.readLengthEncodedString() else {
                    throw MySQLWireError(.truncated, "OK packet info", bytes: original)
                }
                info = text
            }
            if status.contains(.sessionStateChanged) {
                guard var block = buffer.readLengthEncodedSlice() else {
                    throw MySQLWireError(.truncated, "OK packet session state info", bytes: original)
                }
                while block.readableBytes > 0 { sessionStateChanges.append(try SessionStateChange(from: &block)) }
            }
        } else if buffer.readableBytes > 0 {
            // Length-encoded as servers write it; a length that does not fit the rest means an
            // old-style string<EOF>.
            var probe = buffer
            if let text = probe.readLengthEncodedString(), probe.readableBytes == 0 {
                info = text
            } else {
                info = String(buffer: buffer.readRemainingSlice())
            }
            buffer.moveReaderIndex(to: buffer.writerIndex)
        }
    }
}
