import MySQLWire
import NIOCore
import Testing

@Suite("Packet round trips")
struct PacketRoundTripTests {
    let caps: CapabilityFlags = .mockDefault

    @Test("server error messages are cut at 511 bytes on a character boundary, as MYSQL_ERRMSG_SIZE cuts them")
    func errorMessageSize() {
        #expect(ERRPacket.serverMessage("short") == "short")
        #expect(ERRPacket.serverMessage(String(repeating: "x", count: 511)).utf8.count == 511)
        #expect(ERRPacket.serverMessage(String(repeating: "x", count: 67_108_931)) == String(repeating: "x", count: 511))
        // "é" is two bytes: 255 of them are 510 bytes; the 256th would end at byte 512.
        #expect(ERRPacket.serverMessage(String(repeating: "é", count: 300)) == String(repeating: "é", count: 255))
    }

    @Test("HandshakeV10 with nonces of several lengths")
    func greeting() throws {
        for nonce in [Array("01234567890123456789".utf8), Array("short".utf8), [UInt8](repeating: 0x41, count: 30)] {
            let g = HandshakeV10(serverVersion: "8.4.0", connectionID: 42, nonce: nonce, capabilities: .mockDefault,
                                 characterSet: 255, statusFlags: .autocommit, authPluginName: "caching_sha2_password")
            var buffer = ByteBuffer()
            g.write(to: &buffer)
            #expect(try HandshakeV10(from: &buffer) == g)
        }
    }

    @Test("HandshakeV10 lays out scramble + NUL as the protocol says, for every nonce length, with and without CLIENT_PLUGIN_AUTH")
    func greetingScrambleLayout() {
        for pluginAuth in [true, false] {
            let capabilities: CapabilityFlags = pluginAuth ? .mockDefault : CapabilityFlags.mockDefault.subtracting(.pluginAuth)
            for length in 0...30 {
                for trailingZeros in [0, 3] {
                    let nonce = (0..<length).map { UInt8(0x41 + $0 % 26) } + [UInt8](repeating: 0, count: trailingZeros)
                    let g = HandshakeV10(serverVersion: "8.0.23-mock", connectionID: 7, nonce: nonce,
                                         capabilities: capabilities, characterSet: 255, statusFlags: .autocommit,
                                         authPluginName: "mysql_native_password")
                    var buffer = ByteBuffer()
                    g.write(to: &buffer)
                    // auth_plugin_data: the nonce without trailing zeros (at most 20 bytes without
                    // CLIENT_PLUGIN_AUTH) and a NUL; part 1 is its first 8 bytes, part 2 the rest, each
                    // zero-padded (part 2 to 13 bytes).
                    let data = Array(nonce.prefix(pluginAuth ? 254 : 20).reversed().drop { $0 == 0 }.reversed()) + [0]
                    var expected = ByteBuffer()
                    expected.writeInteger(UInt8(10))
                    expected.writeNullTerminatedString("8.0.23-mock")
                    expected.writeInteger(UInt32(7), endianness: .little)
                    let part1 = Array(data.prefix(8))
                    expected.writeBytes(part1 + [UInt8](repeating: 0, count: 8 - part1.count))
                    expected.writeInteger(UInt8(0))
                    expected.writeInteger(UInt16(capabilities.rawValue & 0xFFFF), endianness: .little)
                    expected.writeInteger(UInt8(255))
                    expected.writeInteger(ServerStatus.autocommit.rawValue, endianness: .little)
                    expected.writeInteger(UInt16(capabilities.rawValue >> 16), endianness: .little)
                    expected.writeInteger(pluginAuth ? UInt8(data.count) : 0)
                    expected.writeRepeatingByte(0, count: 10)
                    let part2 = Array(data.dropFirst(8))
                    expected.writeBytes(part2 + [UInt8](repeating: 0, count: max(0, 13 - part2.count)))
                    if pluginAuth { expected.writeNullTerminatedString("mysql_native_password") }
                    #expect(buffer == expected, "nonce length \(length), \(trailingZeros) trailing zeros, plugin auth \(pluginAuth)")
                }
            }
        }
    }

    @Test("connection attributes: checked when decoded, made into strings when asked for, replaceable")
    func attributes() throws {
        let caps: CapabilityFlags = [.protocol41, .secureConnection, .pluginAuth, .pluginAuthLenencClientData, .connectAttrs]
        let attributes = [("_client_name", "libmariadb"), ("_pid", "4242"), ("empty", ""), ("long", String(repeating: "x", count: 300))]
        let r = HandshakeResponse41(capabilities: caps, username: "u", authResponse: [1], authPluginName: "mysql_native_password",
                                    attributes: attributes)
        var buffer = ByteBuffer()
        r.write(to: &buffer)
        var copy = buffer
        var decoded = try HandshakeResponse41(from: &copy)
        #expect(decoded.attributes.map(\.key) == attributes.map(\.0))
        #expect(decoded.attributes.map(\.value) == attributes.map(\.1))
        decoded.attributes = [("only", "one")]
        #expect(decoded.attributes.count == 1 && decoded.attributes[0].key == "only")

        // One byte short: the block's length no longer fits.
        var truncated = ByteBuffer()
        truncated.writeBytes(buffer.readableBytesView.dropLast(1))
        #expect(throws: MySQLWireError.self) { try HandshakeResponse41(from: &truncated) }

        // A block whose length is right but whose second pair is cut short names that pair.
        var block = ByteBuffer()
        block.writeLengthEncodedString("k1")
        block.writeLengthEncodedString("v1")
        block.writeLengthEncodedString("k2")
        block.writeInteger(UInt8(5))  // value length 5, but only 2 bytes follow
        block.writeString("v2")
        var packet = ByteBuffer()
        HandshakeResponse41(capabilities: caps, username: "u", authResponse: [1], authPluginName: "mysql_native_password")
            .write(to: &packet)
        packet.writeLengthEncodedInteger(UInt64(block.readableBytes))
        packet.writeBuffer(&block)
        // The encoder wrote no attributes (none were set), so CLIENT_CONNECT_ATTRS is still set and
        // the hand-made block above is what a decoder sees.
        do {
            _ = try HandshakeResponse41(from: &packet)
            Issue.record("a cut-short attribute was accepted")
        } catch {
            #expect("\(error)".contains("connection attribute #2"))
        }
    }

    @Test("HandshakeResponse41 in each auth-response encoding")
    func handshakeResponse() throws {
        let encodings: [CapabilityFlags] = [
            [.protocol41, .secureConnection, .pluginAuth, .pluginAuthLenencClientData, .connectAttrs],
            [.protocol41, .secureConnection, .pluginAuth],
            [.protocol41],
        ]
        for caps in encodings {
            let r = HandshakeResponse41(capabilities: caps.union(.connectWithDB), username: "u", authResponse: [1, 2, 3], database: "db",
                                        authPluginName: caps.contains(.pluginAuth) ? "mysql_native_password" : nil,
                                        attributes: caps.contains(.connectAttrs) ? [("a", "b"), ("c", "")] : [])
            var buffer = ByteBuffer()
            r.write(to: &buffer)
            let decoded = try HandshakeResponse41(from: &buffer)
            #expect(decoded == r)
        }
    }

    @Test("an SSLRequest is recognised by its 32 bytes and CLIENT_SSL")
    func sslRequest() {
        var buffer = ByteBuffer()
        buffer.writeInteger(CapabilityFlags([.protocol41, .ssl]).rawValue, endianness: .little)
        buffer.writeInteger(UInt32(1 << 24), endianness: .little)
        buffer.writeInteger(UInt8(255))
        buffer.writeRepeatingByte(0, count: 23)
        #expect(HandshakeResponse41.isSSLRequest(buffer))
        buffer.writeInteger(UInt8(0))
        #expect(!HandshakeResponse41.isSSLRequest(buffer))
    }

    @Test("OK packets with and without session tracking")
    func ok() throws {
        let ok = OKPacket(affectedRows: 3, lastInsertID: UInt64.max, status: .autocommit, warnings: 2, info: "Rows matched",
                          sessionStateChanges: [.systemVariable(name: "autocommit", value: "ON"), .schema("db"),
                                                .stateChange("1"), .gtids("uuid:1-5"),
                                                .transactionCharacteristics("START TRANSACTION;"),
                                                .transactionState("T_______")])
        var tracked = ByteBuffer()
        ok.write(to: &tracked, capabilities: caps)
        var decoded = try OKPacket(from: &tracked, capabilities: caps)
        #expect(decoded.status.contains(.sessionStateChanged))
        decoded.status.remove(.sessionStateChanged)
        #expect(decoded == ok)

        var plain = ByteBuffer()
        ok.write(to: &plain, capabilities: [.protocol41])
        let untracked = try OKPacket(from: &plain, capabilities: [.protocol41])
        #expect(untracked.info == "Rows matched")
        #expect(untracked.sessionStateChanges.isEmpty)
        #expect(!untracked.status.contains(.sessionStateChanged))
    }

    @Test("without session tracking the info is still length-encoded, as servers write it (mysqlnd reads it so)")
    func okInfoWithoutSessionTrack() throws {
        let info = "Rows matched: 2  Changed: 2  Warnings: 0"
        var buffer = ByteBuffer()
        OKPacket(affectedRows: 2, status: .autocommit, info: info).write(to: &buffer, capabilities: [.protocol41])
        // header, affected rows, last insert id, status, warnings, then lenenc(41) and the text.
        #expect(Array(buffer.readableBytesView) == [0, 2, 0, 2, 0, 0, 0, UInt8(info.utf8.count)] + Array(info.utf8))
        #expect(try OKPacket(from: &buffer, capabilities: [.protocol41]).info == info)
        // An old-style string<EOF> info (no length) still decodes.
        var legacy = ByteBuffer(bytes: [0, 0, 0, 2, 0, 0, 0] + Array("Rows matched: 2".utf8))
        #expect(try OKPacket(from: &legacy, capabilities: [.protocol41]).info == "Rows matched: 2")
    }

    @Test("an OK with nothing to say ends after the warnings, even with session tracking")
    func minimalOK() {
        var buffer = ByteBuffer()
        OKPacket().write(to: &buffer, capabilities: caps)
        #expect(Array(buffer.readableBytesView) == [0, 0, 0, 0, 0, 0, 0])
    }

    @Test("ERR pads or cuts the SQLSTATE to 5 characters")
    func err() throws {
        var buffer = ByteBuffer()
        ERRPacket(code: 1045, sqlState: "28000", message: "Access denied").write(to: &buffer)
        #expect(try ERRPacket(from: &buffer) == ERRPacket(code: 1045, sqlState: "28000", message: "Access denied"))
        var odd = ByteBuffer()
        ERRPacket(code: 1, sqlState: "HY", message: "m").write(to: &odd)
        #expect(try ERRPacket(from: &odd).sqlState == "HY000")
    }

    @Test("ColumnDefinition41, text rows with NULL, EOF, auth packets and commands")
    func others() throws {
        let column = ColumnDefinition41(schema: "s", table: "t", orgTable: "ot", name: "n", orgName: "on",
                                        characterSet: 63, columnLength: 11, type: .longlong, flags: 0x21, decimals: 2)
        var buffer = ByteBuffer()
        column.write(to: &buffer)
        #expect(try ColumnDefinition41(from: &buffer) == column)

        var row = ByteBuffer()
        TextResultRow.write(["a", nil, ""], to: &row)
        #expect(try TextResultRow.read(from: &row, columnCount: 3) == [Array("a".utf8), nil, []])

        var eof = ByteBuffer()
        EOFPacket(warnings: 1, status: .autocommit).write(to: &eof)
        #expect(EOFPacket.isEOF(eof))
        #expect(try EOFPacket(from: &eof) == EOFPacket(warnings: 1, status: .autocommit))

        var sw = ByteBuffer()
        AuthSwitchRequest(pluginName: "caching_sha2_password", pluginData: [1, 2, 0]).write(to: &sw)
        #expect(try AuthSwitchRequest(from: &sw) == AuthSwitchRequest(pluginName: "caching_sha2_password", pluginData: [1, 2, 0]))

        var more = ByteBuffer()
        AuthMoreData.fastAuthSuccess.write(to: &more)
        #expect(Array(more.readableBytesView) == [1, 3])

        let commands: [ClientCommand] = [
            .quit, .initDB("db"), .query("select 1"), .statistics, .ping, .setOption(1), .resetConnection,
            .unsupported(0x1D),
            .changeUser(ChangeUser(username: "u2", authResponse: [9, 9], schema: "s", characterSet: 45,
                                   authPluginName: "mysql_native_password")),
        ]
        for command in commands {
            var c = ByteBuffer()
            command.write(to: &c, capabilities: caps)
            #expect(try ClientCommand(from: &c, capabilities: caps) == command)
        }
    }

    @Test("decoders reject truncated input without trapping or moving on")
    func hostile() {
        for length in 0..<40 {
            var g = ByteBuffer(bytes: [UInt8](repeating: 10, count: length))
            _ = try? HandshakeV10(from: &g)
            var r = ByteBuffer(bytes: [UInt8](repeating: 0xFF, count: length))
            _ = try? HandshakeResponse41(from: &r)
            var c = ByteBuffer(bytes: [0x11] + [UInt8](repeating: 0xFC, count: length))
            _ = try? ClientCommand(from: &c, capabilities: caps)
            var col = ByteBuffer(bytes: [UInt8](repeating: 0xFD, count: length))
            _ = try? ColumnDefinition41(from: &col)
            var ok = ByteBuffer(bytes: [0x00] + [UInt8](repeating: 0xFE, count: length))
            _ = try? OKPacket(from: &ok, capabilities: caps)
        }
        var empty = ByteBuffer()
        #expect(throws: MySQLWireError.self) { try ClientCommand(from: &empty, capabilities: caps) }
        var truncated = ByteBuffer(bytes: [0x01, 0x00, 0x00, 0x00])
        #expect(throws: MySQLWireError.self) { try HandshakeResponse41(from: &truncated) }
    }
}
