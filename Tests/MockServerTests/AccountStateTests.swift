import MockModel
@testable import MockServer
import MySQLWire
import NIOCore
import Testing

@Suite("Accounts: users, locked accounts, expired passwords and sandbox mode")
struct AccountStateTests {
    let helper = ClassicConnectionStateMachineTests()

    func script(version: String? = nil) -> HandshakeScript {
        var script = HandshakeScript()
        script.greeting.serverVersion = version
        var old = HandshakeScript.Auth(username: "old", password: "pw")
        old.passwordExpired = true
        var locked = HandshakeScript.Auth(username: "locked", password: "pw")
        locked.locked = true
        script.auth.users = ["app": .init(username: "app", password: "pw"), "old": old, "locked": locked]
        return script
    }

    /// The first ERR or OK a login as `user` gets, and the machine after it.
    func login(_ user: String, password: String = "pw", version: String? = nil, extra: CapabilityFlags = [],
               resets: PasswordResets? = nil) -> (Machine.OutboundPacket?, Machine) {
        var configuration = Machine.Configuration(connectionID: 7, peerHost: "127.0.0.1")
        configuration.passwordResets = resets
        var m = Machine(configuration: configuration)
        let script = script(version: version)
        _ = m.connectionStarted(openSessions: 1) { script }
        let action = m.packetReceived(helper.responsePacket(user: user, password: password, extra: extra)) { script }
        guard case .write(let packets, _, _) = action else { return (nil, m) }
        return (packets.first, m)
    }

    func code(_ packet: Machine.OutboundPacket?) -> UInt16? {
        if case .err(let err)? = packet { return err.code }
        return nil
    }

    @Test("users: each account its own password; a user not among them is refused")
    func users() {
        #expect(code(login("app").0) == nil)
        #expect(code(login("app", password: "other").0) == 1045)
        #expect(code(login("nobody").0) == 1045)
    }

    @Test("a locked account is refused after its password is checked, in MySQL's or MariaDB's words")
    func locked() {
        #expect(code(login("locked", password: "wrong").0) == 1045)
        guard case .err(let mysql)? = login("locked").0, case .err(let mariadb)? = login("locked", version: "10.11.6-MariaDB").0 else {
            Issue.record("expected errors")
            return
        }
        #expect(mysql.code == 3118 && mysql.message == "Access denied for user 'locked'@'127.0.0.1'. Account is locked.")
        #expect(mariadb.code == 4151 && mariadb.message == "Access denied, this account is locked")
    }

    @Test("an expired password: MySQL refuses a client that cannot handle it, MariaDB sandboxes every client")
    func expired() {
        #expect(code(login("old").0) == 1862)
        let (ok, mysql) = login("old", extra: .canHandleExpiredPasswords)
        #expect(code(ok) == nil && mysql.sandboxed)
        let (_, mariadb) = login("old", version: "10.11.6-MariaDB")
        #expect(mariadb.sandboxed)
    }

    @Test("in the sandbox: SET goes to the trace, a reset is answered OK and lifts it for later logins, the rest is 1820")
    func sandbox() {
        let resets = PasswordResets()
        var (_, m) = login("old", version: "10.11.6-MariaDB", resets: resets)
        func send(_ text: String) -> Machine.Action { m.packetReceived(helper.command(.query(text, attributes: []))) { HandshakeScript() } }
        func written(_ action: Machine.Action) -> Machine.OutboundPacket? {
            if case .write(let packets, _, _) = action { return packets.first }
            return nil
        }
        func answered(_ action: Machine.Action) -> Bool {
            if case .answer = action { return true }
            return false
        }
        guard case .err(let refused)? = written(send("SELECT 1")) else { Issue.record("not refused"); return }
        #expect(refused.code == 1820 && refused.message == "You must SET PASSWORD before executing this statement")
        #expect(answered(send("set names utf8mb4")))
        #expect(code(written(m.packetReceived(helper.command(.initDB("db"))) { HandshakeScript() })) == 1820)
        // ALTER USER is no reset on MariaDB.
        #expect(code(written(send("ALTER USER CURRENT_USER() IDENTIFIED BY 'x'"))) == 1820)
        guard case .ok? = written(send("SET PASSWORD = PASSWORD('x')")) else { Issue.record("no OK"); return }
        #expect(!m.sandboxed)
        #expect(answered(send("SELECT 1")))
        #expect(!login("old", version: "10.11.6-MariaDB", resets: resets).1.sandboxed)
    }

    @Test("what the sandbox makes of a statement, after blanks and comments", arguments: [
        ("SET @a = 1", false, ExpiredPasswordSandbox.Statement.set),
        ("  /* c */ -- x\n set password = 'x'", false, .passwordReset),
        ("# note\nSET\tPASSWORD FOR CURRENT_USER() = 'x'", true, .passwordReset),
        ("alter user current_user() identified by 'x'", false, .passwordReset),
        ("alter user current_user() identified by 'x'", true, .refused),
        ("SELECT 1", false, .refused),
        ("/* unterminated", false, .refused),
        ("", false, .refused),
        ("SETTINGS", false, .refused),
    ])
    func classify(text: String, mariaDB: Bool, expected: ExpiredPasswordSandbox.Statement) {
        #expect(ExpiredPasswordSandbox.classify(text, mariaDB: mariaDB) == expected)
    }
}
