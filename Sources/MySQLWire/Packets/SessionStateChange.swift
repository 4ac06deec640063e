import NIOCore

/// One entry of the session-state information in an OK packet (CLIENT_SESSION_TRACK):
/// `int<1>` type, `string<lenenc>` data, where data is, by type:
///
/// - 0 `SESSION_TRACK_SYSTEM_VARIABLES`: `string<lenenc>` name, `string<lenenc>` value
/// - 1 `SESSION_TRACK_SCHEMA`: `string<lenenc>` schema
/// - 2 `SESSION_TRACK_STATE_CHANGE`: `string<lenenc>` "1"
/// - 3 `SESSION_TRACK_GTIDS`: `int<1>` encoding specification (0), `string<lenenc>` GTIDs
/// - 4 `SESSION_TRACK_TRANSACTION_CHARACTERISTICS`: `string<lenenc>` statement
/// - 5 `SESSION_TRACK_TRANSACTION_STATE`: `string<lenenc>` 8-character state
public enum SessionStateChange: Sendable, Hashable {
    case systemVariable(name: String, value: String)
    case schema(String)
    case stateChange(String)
    case gtids(String)
    case transactionCharacteristics(String)
    case transactionState(String)

    public var typeCode: UInt8 {
        switch self {
        case .systemVariable: 0
        case .schema: 1
        case .stateChange: 2
        case .gtids: 3
        case .transactionCharacteristics: 4
        case .transactionState: 5
        }
    }

    public func write(to buffer: inout ByteBuffer) {
        var data = ByteBuffer()
        switch self {
        case .systemVariable(let name, let value):
            data.writeLengthEncodedString(name)
            data.writeLengthEncodedString(value)
        case .schema(let s), .stateChange(let s), .transactionCharacteristics(let s), .transactionState(let s):
            data.writeLengthEncodedString(s)
        case .gtids(let s):
            data.writeInteger(UInt8(0))
            data.writeLengthEncodedString(s)
        }
        buffer.writeInteger(typeCode)
        buffer.writeLengthEncodedInteger(UInt64(data.readableBytes))
        buffer.writeBuffer(&data)
    }

    public init(from buffer: inout ByteBuffer) throws(MySQLWireError) {
        let original = buffer
        guard let type = buffer.readInteger(as: UInt8.self), var data = buffer.readLengthEncodedSlice() else {
            throw MySQLWireError(.truncated, "session state change entry", bytes: original)
        }
        func string(_ what: String) throws(MySQLWireError) -> String {
            guard let s = data.readLengthEncodedString() else {
                throw MySQLWireError(.truncated, "session state change \(what)", bytes: original)
            }
            return s
        }
        switch type {
        case 0:
            let name = try string("variable name")
            self = .systemVariable(name: name, value: try string("variable value"))
        case 1: self = .schema(try string("schema"))
        case 2: self = .stateChange(try string("state"))
        case 3:
            _ = data.readInteger(as: UInt8.self)
            self = .gtids(try string("gtids"))
        case 4: self = .transactionCharacteristics(try string("characteristics"))
        case 5: self = .transactionState(try string("transaction state"))
        default:
            throw MySQLWireError(.malformed, "unknown session state change type \(type)", bytes: original)
        }
    }
}
