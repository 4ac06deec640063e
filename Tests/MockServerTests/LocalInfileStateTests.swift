import MockModel
@testable import MockServer
import MySQLWire
import NIOCore
import Testing

/// `LOAD DATA LOCAL INFILE` in the classic state machine: the request, the file's packets, the end.
@Suite("LOCAL INFILE in the classic state machine")
struct LocalInfileStateTests {
    let helper = ClassicConnectionStateMachineTests()
    let none: () -> HandshakeScript = { HandshakeScript() }

    func loggedIn(localFiles: Bool, serverVersion: String? = nil) -> ClassicConnectionStateMachine {
        var m = helper.machine()
        var script = HandshakeScript()
        script.greeting.serverVersion = serverVersion
        _ = m.connectionStarted(openSessions: 1) { script }
        _ = m.packetReceived(helper.responsePacket(extra: localFiles ? .localFiles : [])) { HandshakeScript() }
        return m
    }

    func data(_ bytes: [UInt8], seq: UInt8) -> Packet {
        Packet(sequenceID: seq, payload: ByteBuffer(bytes: bytes))
    }

    @Test("the request goes out at the answer's sequence id; the file's packets follow it, up to an empty one")
    func upload() {
        var m = loggedIn(localFiles: true)
        #expect(m.localFileRequested("data.csv", sequenceID: 1)
                    == .write([.localInfileRequest("data.csv")], sequenceID: 1, after: .keepOpen))
        #expect(m.isReceivingLocalFile)
        #expect(m.packetReceived(data([0x31, 0x0A], seq: 2), authScript: none) == .localFileData(ByteBuffer(bytes: [0x31, 0x0A])))
        #expect(m.packetReceived(data([0x32], seq: 3), authScript: none) == .localFileData(ByteBuffer(bytes: [0x32])))
        #expect(m.packetReceived(data([], seq: 4), authScript: none) == .localFileEnded(sequenceID: 5))
        #expect(!m.isReceivingLocalFile)
        // Back to commands.
        #expect(m.packetReceived(helper.command(.ping), authScript: none).written?.seq == 1)
    }

    @Test("a packet out of order during the file is an ERR and the end of the connection")
    func outOfOrder() throws {
        var m = loggedIn(localFiles: true)
        _ = m.localFileRequested("data.csv", sequenceID: 1)
        let written = try #require(m.packetReceived(data([0x31], seq: 7), authScript: none).written)
        guard case .err(let err) = written.packets.first else {
            Issue.record("expected an ERR")
            return
        }
        #expect(err.code == 1156 && written.after == .close)
    }

    @Test("a client without CLIENT_LOCAL_FILES gets the server's refusal, worded as the greeting's server would",
          arguments: [(nil, UInt16(3948), "42000"), ("5.5.5-10.11.6-MariaDB", 4166, "HY000")])
    func refused(version: String?, code: UInt16, sqlState: String) throws {
        var m = loggedIn(localFiles: false, serverVersion: version)
        let written = try #require(m.localFileRequested("data.csv", sequenceID: 1).written)
        guard case .err(let err) = written.packets.first else {
            Issue.record("expected an ERR")
            return
        }
        #expect(err.code == code && err.sqlState == sqlState && written.after == .keepOpen && written.seq == 1)
        #expect(!m.isReceivingLocalFile)
    }

    @Test("the request's bytes: 0xFB and the file name")
    func requestBytes() throws {
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: 1)
        ClassicResponseEncoder(capabilities: [.protocol41]).write(.localInfileRequest("/tmp/é.csv"), to: &writer)
        var framer = PacketFramer()
        let packet = try #require(try framer.nextPacket(from: &writer.buffer))
        #expect(packet.sequenceID == 1)
        #expect(Array(buffer: packet.payload) == [0xFB] + Array("/tmp/é.csv".utf8))
    }

    @Test("the file a statement names", arguments: [
        ("LOAD DATA LOCAL INFILE 'data.csv' INTO TABLE t", "data.csv"),
        ("load data local infile \"/tmp/a b.csv\" into table t", "/tmp/a b.csv"),
        ("LOAD DATA LOCAL INFILE 'it''s.csv' INTO TABLE t", "it's.csv"),
        (#"LOAD DATA LOCAL INFILE 'C:\\data\'s.csv' INTO TABLE t"#, #"C:\data's.csv"#),
        ("LOAD XML LOCAL INFILE\n  'rows.xml' INTO TABLE t", "rows.xml"),
    ])
    func filenames(statement: String, name: String) {
        #expect(LocalInfileRequest.named(in: statement) == name)
        #expect(LocalInfileRequest.named.filename(for: statement) == name)
        #expect(LocalInfileRequest.file("/etc/hosts").filename(for: statement) == "/etc/hosts")
    }

    @Test("no file named: no quoted name after INFILE, a column called infile_x, an unterminated name",
          arguments: ["LOAD DATA INTO TABLE t", "SELECT infile_x FROM t", "SELECT 1", "LOAD DATA LOCAL INFILE 'open",
                      "LOAD DATA LOCAL INFILE data.csv INTO TABLE t", "LOAD DATA LOCAL INFILE"])
    func noFilename(statement: String) {
        #expect(LocalInfileRequest.named(in: statement) == nil)
    }
}
