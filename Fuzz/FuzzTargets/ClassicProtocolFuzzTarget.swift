import MockModel
import MockScript
import MockServer
import MySQLWire
import NIOCore

/// The input is one byte choosing the server's set-up (TLS offered/required, auth plugin, Unix
/// socket, password, cache miss, required user name; the last two together: an expired password), then the bytes a client sends. They are
/// framed like the server frames them; every packet goes through every decoder (a decoded packet
/// must survive encode → decode unchanged) and through the connection state machine, whose actions
/// are carried out as far as they do not need I/O (responses are encoded, TLS counts as done).
enum ClassicProtocolFuzzTarget {
    static let plugins = [AuthPlugin.nativePassword, AuthPlugin.cachingSHA2Password, AuthPlugin.sha256Password,
                          AuthPlugin.clearPassword]
    /// One key for all runs: generating RSA keys per input would drown the fuzzer.
    static let keys = PasswordKeyPair()

    @Sendable
    static func run(_ data: [UInt8]) throws(FuzzFailure) {
        guard let setup = data.first else { return }
        var configuration = ClassicConnectionStateMachine.Configuration(connectionID: 7, peerHost: "fuzz")
        configuration.tlsAvailable = setup & 0x01 != 0
        configuration.tlsRequired = setup & 0x03 == 0x03
        configuration.authMethod = plugins[Int(setup >> 2) & 3]
        configuration.unixSocket = setup & 0x10 != 0
        configuration.passwordKeys = keys
        var script = HandshakeScript()
        script.auth.password = setup & 0x20 != 0 ? "secret" : nil
        script.auth.cacheMiss = setup & 0x40 != 0
        script.auth.username = setup & 0x80 != 0 ? "root" : nil
        // A required user with a password also has it expired: the sandbox runs.
        script.auth.passwordExpired = setup & 0xA0 == 0xA0
        configuration.passwordResets = PasswordResets()

        var machine = ClassicConnectionStateMachine(configuration: configuration)
        let responder = DefaultTrace().makeResponder(for: SessionInfo(connectionID: 7, port: 3306))
        var framer = PacketFramer(maxPacketSize: 1 << 16)
        var input = ByteBuffer(bytes: data.dropFirst())
        var action = machine.connectionStarted(openSessions: 1) { script }
        while true {
            switch action {
            case .close, .awaitClientClose:
                return
            case .write(let packets, let sequenceID, let after):
                var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: sequenceID)
                let encoder = ClassicResponseEncoder(capabilities: machine.capabilities)
                for packet in packets { encoder.write(packet, to: &writer) }
                if after == .close { return }
            case .answer(let request, let sequenceID) where request.text.utf8.prefix(4).elementsEqual("LOAD".utf8):
                // A statement starting with LOAD asks for a file, so the file's packets are fuzzed too.
                action = machine.localFileRequested("fuzz.csv", sequenceID: sequenceID)
                continue
            case .localFileData:
                break
            case .localFileEnded(let sequenceID):
                var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: sequenceID)
                ClassicResponseEncoder(capabilities: machine.capabilities).write(.ok(OKResponse(affectedRows: 1)), to: &writer)
            case .answer(let request, let sequenceID):
                var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: sequenceID)
                let encoder = ClassicResponseEncoder(capabilities: machine.capabilities, binary: request.kind == .execute)
                for response in responder.answer(request).results { encoder.write(response, to: &writer) }
            case .answerBatch(let requests, _, let sequenceID):
                var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: sequenceID)
                let encoder = ClassicResponseEncoder(capabilities: machine.capabilities)
                let results = requests.flatMap { responder.answer($0).results }
                for (index, response) in results.enumerated() {
                    encoder.write(response, moreResults: index < results.count - 1, to: &writer)
                }
            case .prepare(let text, let sequenceID):
                action = machine.statementPrepared(text, responder.prepare(text), sequenceID: sequenceID)
                continue
            case .answerWithCursor(let request, let sequenceID):
                if case .one(let response) = responder.answer(request), case .result(let result) = response.kind {
                    action = machine.cursorOpened(statementID: request.statementID, result: result, sequenceID: sequenceID)
                    continue
                }
            case .startTLS:
                action = machine.tlsHandshakeCompleted()
                continue
            case .sendGreeting, .none:
                break
            }
            let packet: Packet?
            do {
                packet = try framer.nextPacket(from: &input)
            } catch {
                action = machine.wireErrorReceived(error)
                continue
            }
            guard let packet else { return }
            try decodeEveryWay(packet.payload)
            action = machine.packetReceived(packet, authScript: { script })
        }
    }

    static let capabilitySets: [CapabilityFlags] = [.protocol41, .mockDefault, [.protocol41, .sessionTrack, .deprecateEOF],
                                                    .serverDefault]

    /// Every decoder the server (and the test client) has; what decodes must round-trip.
    static func decodeEveryWay(_ payload: ByteBuffer) throws(FuzzFailure) {
        _ = HandshakeResponse41.isSSLRequest(payload)
        try roundTrip(payload, "HandshakeResponse41", decode: { b throws(MySQLWireError) in try HandshakeResponse41(from: &b) },
                      encode: { $0.write(to: &$1) })
        for capabilities in capabilitySets {
            try roundTrip(payload, "ClientCommand", decode: { b throws(MySQLWireError) in try ClientCommand(from: &b, capabilities: capabilities) },
                          encode: { $0.write(to: &$1, capabilities: capabilities) })
            try roundTrip(payload, "ChangeUser", decode: { b throws(MySQLWireError) in try ChangeUser(from: &b, capabilities: capabilities) },
                          encode: { $0.write(to: &$1, capabilities: capabilities) })
            // Without CLIENT_SESSION_TRACK the server never sends SERVER_SESSION_STATE_CHANGED (on purpose).
            try roundTrip(payload, "OKPacket", decode: { b throws(MySQLWireError) in try OKPacket(from: &b, capabilities: capabilities) },
                          encode: { $0.write(to: &$1, capabilities: capabilities) },
                          normalize: { ok in
                              var ok = ok
                              if !capabilities.contains(.sessionTrack) { ok.status.remove(.sessionStateChanged) }
                              return ok
                          })
            // The SQLSTATE is always 5 bytes on the wire (cut or padded with "0"), absent before 4.1.
            try roundTrip(payload, "ERRPacket", decode: { b throws(MySQLWireError) in try ERRPacket(from: &b, capabilities: capabilities) },
                          encode: { $0.write(to: &$1, capabilities: capabilities) },
                          normalize: { err in
                              var err = err
                              var state = Array(err.sqlState.utf8.prefix(5))
                              while state.count < 5 { state.append(UInt8(ascii: "0")) }
                              err.sqlState = capabilities.contains(.protocol41) ? String(decoding: state, as: UTF8.self) : ""
                              return err
                          })
        }
        // The greeting is only ever decoded by the test client; the encoder writes the canonical
        // server form (20-byte scramble layout), so its output must be a fixed point.
        try encodingIsStable(payload, "HandshakeV10", decode: { b throws(MySQLWireError) in try HandshakeV10(from: &b) },
                             encode: { $0.write(to: &$1) })
        try roundTrip(payload, "AuthSwitchRequest", decode: { b throws(MySQLWireError) in try AuthSwitchRequest(from: &b) },
                      encode: { $0.write(to: &$1) })
        try roundTrip(payload, "AuthMoreData", decode: { b throws(MySQLWireError) in try AuthMoreData(from: &b) }, encode: { $0.write(to: &$1) })
        try roundTrip(payload, "EOFPacket", decode: { b throws(MySQLWireError) in try EOFPacket(from: &b) }, encode: { $0.write(to: &$1) })
        try roundTrip(payload, "ColumnDefinition41", decode: { b throws(MySQLWireError) in try ColumnDefinition41(from: &b) },
                      encode: { $0.write(to: &$1) })
        try roundTrip(payload, "SessionStateChange", decode: { b throws(MySQLWireError) in try SessionStateChange(from: &b) },
                      encode: { $0.write(to: &$1) })
        try decodePreparedStatements(payload)
        for columns in [1, 3] {
            try roundTrip(payload, "TextResultRow(\(columns))",
                          decode: { b throws(MySQLWireError) in Row(cells: try TextResultRow.read(from: &b, columnCount: columns)) },
                          encode: { row, buffer in
                              for cell in row.cells {
                                  if let cell {
                                      buffer.writeLengthEncodedInteger(UInt64(cell.count))
                                      buffer.writeBytes(cell)
                                  } else {
                                      buffer.writeInteger(UInt8(0xFB))
                                  }
                              }
                          })
        }
    }

    /// The prepared-statement decoders: an execution for statements of 0–3 placeholders, with and
    /// without query attributes and earlier types; binary rows of a few column sets; query
    /// attributes; PREPARE_OK. What decodes must encode to a fixed point.
    static func decodePreparedStatements(_ payload: ByteBuffer) throws(FuzzFailure) {
        let earlier = [ParameterType(type: 0x08), ParameterType(type: 0xFD), ParameterType(type: 0x0C, unsigned: true)]
        for count in 0...3 {
            for attributes in [false, true] {
                for previous in [nil, Array(earlier.prefix(count))] {
                    try encodingIsStable(payload, "StmtExecute(\(count), attributes: \(attributes))",
                                         decode: { b throws(MySQLWireError) in
                                             let e = try StmtExecute(from: b, parameterCount: count, previousTypes: previous,
                                                                     queryAttributes: attributes)
                                             b.moveReaderIndex(to: b.writerIndex)
                                             return e
                                         },
                                         encode: { $0.write(to: &$1, queryAttributes: attributes) })
                }
            }
        }
        for types in [[UInt8(0x03)], [0x08, 0xFD, 0x0C, 0x0B, 0x05, 0x04, 0x01, 0x02, 0xF6]] {
            for unsigned in [false, true] {
                let flags = Array(repeating: unsigned, count: types.count)
                try encodingIsStable(payload, "BinaryResultRow(\(types.count))",
                                     decode: { b throws(MySQLWireError) in try BinaryResultRow.read(from: &b, types: types, unsigned: flags) },
                                     encode: { BinaryResultRow.write($0, types: types, to: &$1) })
            }
        }
        try encodingIsStable(payload, "QueryAttributesBlock",
                             decode: { b throws(MySQLWireError) in try QueryAttributesBlock.read(from: &b) },
                             encode: { QueryAttributesBlock.write($0, to: &$1) })
        try roundTrip(payload, "StmtPrepareOK", decode: { b throws(MySQLWireError) in try StmtPrepareOK(from: &b) },
                      encode: { $0.write(to: &$1) })
    }

    struct Row: Equatable {
        var cells: [[UInt8]?]
    }

    /// If `payload` decodes, its encoding must decode again and encode to the same bytes.
    static func encodingIsStable<Value>(
        _ payload: ByteBuffer, _ name: String,
        decode: (inout ByteBuffer) throws(MySQLWireError) -> Value,
        encode: (Value, inout ByteBuffer) -> Void
    ) throws(FuzzFailure) {
        var buffer = payload
        guard let value = try? decode(&buffer) else { return }
        let (first, decodedAgain) = try reencode(value, name, decode: decode, encode: encode)
        var second = ByteBuffer()
        encode(decodedAgain, &second)
        guard first == second else {
            throw FuzzFailure("\(name): encodes to \(Array(first.readableBytesView)), then to \(Array(second.readableBytesView))")
        }
    }

    /// If `payload` decodes to `value`, then `encode(value)` must decode to `value` again
    /// (`normalize` drops what the encoder deliberately does not send).
    static func roundTrip<Value: Equatable>(
        _ payload: ByteBuffer, _ name: String,
        decode: (inout ByteBuffer) throws(MySQLWireError) -> Value,
        encode: (Value, inout ByteBuffer) -> Void,
        normalize: (Value) -> Value = { $0 }
    ) throws(FuzzFailure) {
        var buffer = payload
        guard let decoded = try? decode(&buffer) else { return }
        let value = normalize(decoded)
        let (encoded, decodedAgain) = try reencode(value, name, decode: decode, encode: encode)
        guard decodedAgain == value else {
            throw FuzzFailure("\(name): \(value) encodes to \(Array(encoded.readableBytesView)), which decodes to \(decodedAgain)")
        }
    }

    /// `value` encoded, and those bytes decoded again (which must succeed).
    static func reencode<Value>(
        _ value: Value, _ name: String,
        decode: (inout ByteBuffer) throws(MySQLWireError) -> Value,
        encode: (Value, inout ByteBuffer) -> Void
    ) throws(FuzzFailure) -> (encoded: ByteBuffer, decoded: Value) {
        var encoded = ByteBuffer()
        encode(value, &encoded)
        var again = encoded
        do {
            return (encoded, try decode(&again))
        } catch {
            throw FuzzFailure("\(name): its own encoding \(Array(encoded.readableBytesView)) does not decode: \(error)")
        }
    }
}
