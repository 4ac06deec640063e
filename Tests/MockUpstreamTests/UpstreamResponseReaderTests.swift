import MockModel
import MockServer
@testable import MockUpstream
import MySQLWire
import NIOCore
import Testing

/// The reader is the encoder's inverse: what the mock encodes for a client, the recorder reads
/// back to the same response, with and without CLIENT_DEPRECATE_EOF.
@Suite("Upstream response reader")
struct UpstreamResponseReaderTests {
    static let withEOF: CapabilityFlags = [.protocol41, .sessionTrack]
    static let withoutEOF: CapabilityFlags = [.protocol41, .sessionTrack, .deprecateEOF]

    static let result = ResultSet(
        columns: {
            var id = Column(name: "id", type: ColumnType.long.rawValue)
            (id.table, id.orgTable, id.schema, id.orgName, id.flags, id.length, id.characterSet) = ("t", "t", "s", "id", 16899, 11, 63)
            var blob = Column(name: "b", type: ColumnType.blob.rawValue)
            (blob.characterSet, blob.decimals) = (63, 0)
            return [id, blob]
        }(),
        rows: [["1", .bytes([0x00, 0xFF])], ["2", nil]],
        end: OKResponse(status: 0x22, warningCount: 1))

    /// Encodes `responses` as the mock would for `capabilities`, then reads them back.
    static func roundTrip(_ responses: [StatementResponse], _ capabilities: CapabilityFlags) throws -> [StatementResponse] {
        let encoder = ClassicResponseEncoder(capabilities: capabilities)
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: 1)
        for (index, response) in responses.enumerated() {
            encoder.write(response, moreResults: index < responses.count - 1, to: &writer)
        }
        var bytes = writer.buffer
        var framer = PacketFramer()
        var reader = UpstreamResponseReader(capabilities: capabilities)
        while let packet = try framer.nextPacket(from: &bytes) {
            if case .done(let read) = try reader.read(packet.payload) {
                #expect(bytes.readableBytes == 0)
                return read
            }
        }
        Issue.record("the answer did not end")
        return []
    }

    @Test("OK, ERR, a result set and several results read back as sent", arguments: [withEOF, withoutEOF])
    func roundTrips(capabilities: CapabilityFlags) throws {
        let ok = StatementResponse.ok(OKResponse(affectedRows: 3, lastInsertID: 9, status: 2, warningCount: 1,
                                                 message: "Rows matched: 3",
                                                 sessionTrackers: [.systemVariable(name: "autocommit", value: "OFF")]))
        let error = StatementResponse.error(ErrorResponse(code: 1146, sqlState: "42S02", message: "Table 'x' doesn't exist"))
        for responses in [[ok], [error], [.result(Self.result)], [.result(Self.result), .result(Self.result), ok]] {
            let read = try Self.roundTrip(responses, capabilities)
            #expect(read.count == responses.count)
            for (got, sent) in zip(read, responses) {
                switch (got.kind, sent.kind) {
                case (.ok(let a), .ok(var b)):
                    // The encoder says SERVER_SESSION_STATE_CHANGED when it sends trackers.
                    if !b.sessionTrackers.isEmpty { b.status |= ServerStatus.sessionStateChanged.rawValue }
                    #expect(a == b)
                case (.error(let a), .error(let b)): #expect(a == b)
                case (.result(let a), .result(let b)):
                    #expect(a.columns == b.columns)
                    #expect(a.rows == b.rows)
                    #expect(a.end.status == b.end.status)
                    #expect(a.end.warningCount == b.end.warningCount)
                default: Issue.record("\(got.kindName) read back for \(sent.kindName)")
                }
            }
        }
    }

    @Test("hostile answers end with a malformed-packet failure, never a trap")
    func hostile() throws {
        let cases: [[UInt8]] = [
            [],                      // empty packet where a response starts
            [0x00],                  // OK without its fields
            [0xFF, 0x01],            // ERR cut short
            [0xFC, 0x00, 0x00],      // column count 0
            [0xFD, 0xFF, 0xFF, 0xFF],// 16 million columns
            [0xFE, 0x00],            // EOF-looking first byte with a bad OK
        ]
        for bytes in cases {
            var reader = UpstreamResponseReader(capabilities: Self.withoutEOF)
            #expect(throws: UpstreamFailure.self) { _ = try reader.read(ByteBuffer(bytes: bytes)) }
        }
        // A column definition that is not one.
        var reader = UpstreamResponseReader(capabilities: Self.withoutEOF)
        _ = try reader.read(ByteBuffer(bytes: [0x01]))
        #expect(throws: UpstreamFailure.self) { _ = try reader.read(ByteBuffer(bytes: [0x03, 0x64])) }
    }

    @Test("an ERR after some rows: the result, its rows, then that error (as the server sent them)")
    func errorAfterRows() throws {
        var reader = UpstreamResponseReader(capabilities: Self.withoutEOF)
        _ = try reader.read(ByteBuffer(bytes: [0x01]))
        var column = ByteBuffer()
        ColumnDefinition41(catalog: "def", schema: "", table: "", orgTable: "", name: "a", orgName: "", characterSet: 63,
                           columnLength: 1, type: .long, flags: 0, decimals: 0).write(to: &column)
        _ = try reader.read(column)
        _ = try reader.read(ByteBuffer(bytes: [0x01, 0x31]))
        var err = ByteBuffer()
        ERRPacket(code: 1317, sqlState: "70100", message: "Query execution was interrupted").write(to: &err)
        guard case .done(let responses) = try reader.read(err), responses.count == 1,
              case .result(let result) = responses[0].kind
        else {
            Issue.record("no result")
            return
        }
        #expect(result.rows == [["1"]])
        #expect(result.columns.map(\.name) == ["a"])
        #expect(result.error == ErrorResponse(code: 1317, sqlState: "70100", message: "Query execution was interrupted"))
        #expect(responses[0].isError)
    }

    @Test("a result that ends in an error round-trips through the encoder", arguments: [withEOF, withoutEOF])
    func errorAfterRowsRoundTrip(capabilities: CapabilityFlags) throws {
        var failing = Self.result
        failing.error = ErrorResponse(code: 1242, sqlState: "21000", message: "Subquery returns more than 1 row")
        let read = try Self.roundTrip([.result(failing)], capabilities)
        guard read.count == 1, case .result(let got) = read[0].kind else {
            Issue.record("expected one result, got \(read)")
            return
        }
        #expect(got.rows == failing.rows)
        #expect(got.columns == failing.columns)
        #expect(got.error == failing.error)
    }
}
