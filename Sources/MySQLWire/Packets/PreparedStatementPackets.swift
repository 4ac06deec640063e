import NIOCore

/// `COM_STMT_EXECUTE`'s flags byte: the cursor type, and (with `CLIENT_QUERY_ATTRIBUTES`)
/// `PARAMETER_COUNT_AVAILABLE`.
public enum CursorFlags {
    public static let readOnly: UInt8 = 0x01
    public static let forUpdate: UInt8 = 0x02
    public static let scrollable: UInt8 = 0x04
    public static let parameterCountAvailable: UInt8 = 0x08
}

/// A named value sent with a statement (`CLIENT_QUERY_ATTRIBUTES`), e.g. a trace id.
public struct QueryAttribute: Sendable, Hashable {
    public var name: String
    public var value: BinaryValue

    public init(name: String, value: BinaryValue) {
        self.name = name
        self.value = value
    }
}

/// The parameter block that `COM_STMT_EXECUTE` and (with query attributes) `COM_QUERY` share:
///
/// ```
/// binary<var>  null_bitmap            (count + 7) / 8 bytes, bit i = parameter i is NULL
/// int<1>       new_params_bind_flag
/// if new_params_bind_flag, per parameter:
///   int<2>         parameter_type     (type, flags 0x80 = unsigned)
///   string<lenenc> parameter_name     (with CLIENT_QUERY_ATTRIBUTES)
/// binary<var>  parameter_values       each non-NULL one in its type's binary form
/// ```
public struct ParameterBlock: Sendable, Hashable {
    public var values: [BinaryValue]
    public var types: [ParameterType]
    public var names: [String]

    public init(values: [BinaryValue], types: [ParameterType], names: [String]) {
        self.values = values
        self.types = types
        self.names = names
    }

    /// Reads `count` parameters. `previousTypes` are used when the client does not send types again;
    /// `longData` holds parameters sent with `COM_STMT_SEND_LONG_DATA` (they are not in the values).
    /// Bounded by the buffer: a count whose bitmap or types cannot be there throws.
    public init(from buffer: inout ByteBuffer, count: Int, names withNames: Bool, previousTypes: [ParameterType]?,
                longData: [Int: [UInt8]] = [:], what: String) throws(MySQLWireError) {
        let bitmapLength = (count + 7) / 8
        guard count >= 0, bitmapLength <= buffer.readableBytes, let bitmap = buffer.readBytes(length: bitmapLength),
              let bind = buffer.readInteger(as: UInt8.self) else {
            throw MySQLWireError(.truncated, "\(what): NULL bitmap of \(count) parameters")
        }
        var types: [ParameterType] = []
        var names: [String] = []
        if bind == 1 {
            guard count * 2 <= buffer.readableBytes else {
                throw MySQLWireError(.truncated, "\(what): types of \(count) parameters")
            }
            types.reserveCapacity(count)
            for index in 0..<count {
                guard let type = buffer.readInteger(as: UInt8.self), let flags = buffer.readInteger(as: UInt8.self) else {
                    throw MySQLWireError(.truncated, "\(what): type of parameter \(index)")
                }
                types.append(ParameterType(type: type, unsigned: flags & 0x80 != 0))
                if withNames {
                    guard let name = buffer.readLengthEncodedString() else {
                        throw MySQLWireError(.truncated, "\(what): name of parameter \(index)")
                    }
                    names.append(name)
                }
            }
        } else if let previousTypes, previousTypes.count == count {
            types = previousTypes
        } else {
            throw MySQLWireError(.malformed, "\(what): parameter types were never sent (new_params_bind_flag 0)")
        }
        if names.isEmpty { names = Array(repeating: "", count: count) }
        var values: [BinaryValue] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            if let data = longData[index] {
                values.append(.bytes(data))
            } else if bitmap[index / 8] & (1 << (index % 8)) != 0 {
                values.append(.null)
            } else {
                values.append(try BinaryValue.read(from: &buffer, type: types[index], what: "\(what): parameter \(index)"))
            }
        }
        self.init(values: values, types: types, names: names)
    }

    /// Writes the block (types always sent; names with `CLIENT_QUERY_ATTRIBUTES`).
    public func write(to buffer: inout ByteBuffer, names withNames: Bool) {
        var bitmap = [UInt8](repeating: 0, count: (values.count + 7) / 8)
        for (index, value) in values.enumerated() where value == .null { bitmap[index / 8] |= 1 << (index % 8) }
        buffer.writeBytes(bitmap)
        buffer.writeInteger(UInt8(1))
        for (index, type) in types.enumerated() {
            buffer.writeInteger(type.type)
            buffer.writeInteger(UInt8(type.unsigned ? 0x80 : 0))
            if withNames { buffer.writeLengthEncodedString(index < names.count ? names[index] : "") }
        }
        for (value, type) in zip(values, types) { value.write(to: &buffer, type: type.type) }
    }
}

/// `COM_STMT_EXECUTE` after its command byte:
///
/// ```
/// int<4> statement_id
/// int<1> flags                (CursorFlags)
/// int<4> iteration_count      (always 1)
/// if parameters > 0 or (CLIENT_QUERY_ATTRIBUTES and PARAMETER_COUNT_AVAILABLE):
///   int<lenenc> parameter_count   (with CLIENT_QUERY_ATTRIBUTES: placeholders + attributes)
///   if parameter_count > 0: the parameter block (ParameterBlock)
/// ```
public struct StmtExecute: Sendable, Hashable {
    public var statementID: UInt32
    public var flags: UInt8
    /// The placeholders' values, in order.
    public var parameters: [BinaryValue]
    /// The placeholders' types as the client bound them (kept by the server for executions that do
    /// not send them again).
    public var types: [ParameterType]
    /// Query attributes: parameters past the placeholders, with names.
    public var attributes: [QueryAttribute]

    public init(statementID: UInt32, flags: UInt8 = 0, parameters: [BinaryValue] = [], types: [ParameterType] = [],
                attributes: [QueryAttribute] = []) {
        self.statementID = statementID
        self.flags = flags
        self.parameters = parameters
        self.types = types
        self.attributes = attributes
    }

    /// The statement id and flags, read before the statement (and so its parameter count) is known.
    public static func header(_ body: ByteBuffer) throws(MySQLWireError) -> (statementID: UInt32, flags: UInt8) {
        var b = body
        guard let id = b.readInteger(endianness: .little, as: UInt32.self), let flags = b.readInteger(as: UInt8.self),
              b.readInteger(endianness: .little, as: UInt32.self) != nil else {
            throw MySQLWireError(.truncated, "COM_STMT_EXECUTE header", bytes: body)
        }
        return (id, flags)
    }

    /// Reads the command body for a statement with `parameterCount` placeholders.
    public init(from body: ByteBuffer, parameterCount: Int, previousTypes: [ParameterType]?,
                longData: [Int: [UInt8]] = [:], queryAttributes: Bool) throws(MySQLWireError) {
        var buffer = body
        let (id, flags) = try Self.header(body)
        buffer.moveReaderIndex(forwardBy: 9)
        self.init(statementID: id, flags: flags)
        var count = parameterCount
        if queryAttributes && (parameterCount > 0 || flags & CursorFlags.parameterCountAvailable != 0) {
            guard let sent = buffer.readLengthEncodedInteger() else {
                throw MySQLWireError(.truncated, "COM_STMT_EXECUTE.parameter_count", bytes: body)
            }
            guard sent >= UInt64(parameterCount), sent <= UInt64(buffer.readableBytes) * 8 else {
                throw MySQLWireError(.malformed, "COM_STMT_EXECUTE: parameter_count \(sent) for a statement with "
                                     + "\(parameterCount) placeholders", bytes: body)
            }
            count = Int(sent)
        }
        guard count > 0 else { return }
        let previous = previousTypes?.count == count ? previousTypes : nil
        let block = try ParameterBlock(from: &buffer, count: count, names: queryAttributes, previousTypes: previous,
                                       longData: longData, what: "COM_STMT_EXECUTE")
        types = Array(block.types.prefix(parameterCount))
        parameters = Array(block.values.prefix(parameterCount))
        attributes = zip(block.names, block.values).dropFirst(parameterCount).map { QueryAttribute(name: $0, value: $1) }
    }

    /// Writes the command body (types always sent). `queryAttributes`: the client negotiated
    /// `CLIENT_QUERY_ATTRIBUTES`.
    public func write(to buffer: inout ByteBuffer, queryAttributes: Bool) {
        buffer.writeInteger(statementID, endianness: .little)
        buffer.writeInteger(flags)
        buffer.writeInteger(UInt32(1), endianness: .little)
        let values = parameters + attributes.map(\.value)
        guard !values.isEmpty || (queryAttributes && flags & CursorFlags.parameterCountAvailable != 0) else { return }
        if queryAttributes { buffer.writeLengthEncodedInteger(UInt64(values.count)) }
        guard !values.isEmpty else { return }
        var allTypes = types
        for attribute in attributes { allTypes.append(ParameterType.natural(for: attribute.value)) }
        let names = Array(repeating: "", count: parameters.count) + attributes.map(\.name)
        ParameterBlock(values: values, types: allTypes, names: names).write(to: &buffer, names: queryAttributes)
    }
}

extension ParameterType {
    /// The type a client binds for a value of this kind.
    public static func natural(for value: BinaryValue) -> ParameterType {
        switch value {
        case .null: ParameterType(type: 0x06)
        case .signed: ParameterType(type: 0x08)
        case .unsigned: ParameterType(type: 0x08, unsigned: true)
        case .float: ParameterType(type: 0x04)
        case .double: ParameterType(type: 0x05)
        case .bytes: ParameterType(type: 0xFD)
        case .dateTime: ParameterType(type: 0x0C)
        case .time: ParameterType(type: 0x0B)
        }
    }
}

/// The attributes in front of `COM_QUERY`'s text when `CLIENT_QUERY_ATTRIBUTES` is on:
///
/// ```
/// int<lenenc> parameter_count
/// int<lenenc> parameter_set_count   (always 1)
/// if parameter_count > 0: the parameter block (ParameterBlock, with names)
/// string<EOF> query
/// ```
public enum QueryAttributesBlock {
    public static func read(from buffer: inout ByteBuffer) throws(MySQLWireError) -> [QueryAttribute] {
        let original = buffer
        guard let count = buffer.readLengthEncodedInteger(), buffer.readLengthEncodedInteger() != nil else {
            throw MySQLWireError(.truncated, "COM_QUERY query attributes", bytes: original)
        }
        guard count > 0 else { return [] }
        guard count <= UInt64(buffer.readableBytes) * 8 else {
            throw MySQLWireError(.malformed, "COM_QUERY: \(count) query attributes in \(buffer.readableBytes) bytes",
                                 bytes: original)
        }
        let block = try ParameterBlock(from: &buffer, count: Int(count), names: true, previousTypes: nil,
                                       what: "COM_QUERY query attributes")
        return zip(block.names, block.values).map { QueryAttribute(name: $0, value: $1) }
    }

    public static func write(_ attributes: [QueryAttribute], to buffer: inout ByteBuffer) {
        buffer.writeLengthEncodedInteger(UInt64(attributes.count))
        buffer.writeLengthEncodedInteger(1)
        guard !attributes.isEmpty else { return }
        ParameterBlock(values: attributes.map(\.value), types: attributes.map { ParameterType.natural(for: $0.value) },
                       names: attributes.map(\.name)).write(to: &buffer, names: true)
    }
}

/// `COM_STMT_PREPARE_OK`:
///
/// ```
/// int<1> status           0x00
/// int<4> statement_id
/// int<2> num_columns
/// int<2> num_params
/// int<1> reserved_1       0x00
/// int<2> warning_count
/// ```
/// followed by `num_params` column definitions, then `num_columns` (each group ended by an EOF
/// unless CLIENT_DEPRECATE_EOF).
public struct StmtPrepareOK: Sendable, Hashable {
    public var statementID: UInt32
    public var columnCount: UInt16
    public var parameterCount: UInt16
    public var warnings: UInt16

    public init(statementID: UInt32, columnCount: UInt16, parameterCount: UInt16, warnings: UInt16 = 0) {
        self.statementID = statementID
        self.columnCount = columnCount
        self.parameterCount = parameterCount
        self.warnings = warnings
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(statementID, endianness: .little)
        buffer.writeInteger(columnCount, endianness: .little)
        buffer.writeInteger(parameterCount, endianness: .little)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(warnings, endianness: .little)
    }

    public init(from buffer: inout ByteBuffer) throws(MySQLWireError) {
        let original = buffer
        guard buffer.readInteger(as: UInt8.self) == 0, let id = buffer.readInteger(endianness: .little, as: UInt32.self),
              let columns = buffer.readInteger(endianness: .little, as: UInt16.self),
              let params = buffer.readInteger(endianness: .little, as: UInt16.self),
              buffer.readInteger(as: UInt8.self) != nil else {
            throw MySQLWireError(.truncated, "COM_STMT_PREPARE_OK", bytes: original)
        }
        self.init(statementID: id, columnCount: columns, parameterCount: params,
                  warnings: buffer.readInteger(endianness: .little, as: UInt16.self) ?? 0)
    }
}

/// `ProtocolBinary::ResultsetRow`: `0x00`, a NULL bitmap of (columns + 7 + 2) / 8 bytes (offset 2),
/// then each non-NULL value in its column type's binary form.
public enum BinaryResultRow {
    public static func write(_ values: [BinaryValue], types: [UInt8], to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0))
        var bitmap = [UInt8](repeating: 0, count: (values.count + 9) / 8)
        for (index, value) in values.enumerated() where value == .null {
            bitmap[(index + 2) / 8] |= 1 << ((index + 2) % 8)
        }
        buffer.writeBytes(bitmap)
        for (value, type) in zip(values, types) { value.write(to: &buffer, type: type) }
    }

    /// Reads a row of columns of `types` (`unsigned[i]`: column i has the UNSIGNED flag).
    public static func read(from buffer: inout ByteBuffer, types: [UInt8], unsigned: [Bool])
        throws(MySQLWireError) -> [BinaryValue]
    {
        let original = buffer
        guard buffer.readInteger(as: UInt8.self) == 0, let bitmap = buffer.readBytes(length: (types.count + 9) / 8) else {
            throw MySQLWireError(.truncated, "binary row header", bytes: original)
        }
        var values: [BinaryValue] = []
        for (index, type) in types.enumerated() {
            if bitmap[(index + 2) / 8] & (1 << ((index + 2) % 8)) != 0 {
                values.append(.null)
            } else {
                let isUnsigned = index < unsigned.count && unsigned[index]
                values.append(try BinaryValue.read(from: &buffer, type: ParameterType(type: type, unsigned: isUnsigned),
                                                   what: "binary row column \(index)"))
            }
        }
        return values
    }
}
