import MySQLWire
import Synchronization

/// Sandbox mode, where a session whose account's password has expired lands (`handshake.auth`'s
/// `password_expired`), as MySQL and MariaDB run it:
///
/// - MySQL: "the client can reset the account password with ALTER USER or SET PASSWORD … The
///   client can use SET statements"; any other statement gets ER_MUST_CHANGE_PASSWORD (1820). A
///   client without CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS is refused at login with
///   ER_MUST_CHANGE_PASSWORD_LOGIN (1862) (`disconnect_on_expired_password` is ON by default).
/// - MariaDB: only SET statements (SET PASSWORD among them); ALTER USER gets 1820 too, worded
///   "You must SET PASSWORD before executing this statement"; every client gets the sandbox
///   (`disconnect_on_expired_password` is OFF by default).
///
/// Resetting the password lifts the sandbox for the session and for the account's later logins
/// (`PasswordResets`), until the trace is loaded again.
enum ExpiredPasswordSandbox {
    enum Statement: Equatable {
        /// `SET PASSWORD …`, or MySQL's `ALTER USER …`: answered OK by the server, which lifts the sandbox.
        case passwordReset
        /// Another `SET`: answered by the trace as usual.
        case set
        case refused
    }

    /// What sandbox mode makes of `text` (its first statement; leading blanks and comments skipped).
    static func classify(_ text: String, mariaDB: Bool) -> Statement {
        let words = leadingWords(text, count: 2)
        guard let first = words.first else { return .refused }
        if first == "SET" { return words.count > 1 && words[1] == "PASSWORD" ? .passwordReset : .set }
        if !mariaDB, first == "ALTER", words.count > 1, words[1] == "USER" { return .passwordReset }
        return .refused
    }

    /// ER_MUST_CHANGE_PASSWORD, in the server's wording.
    static func mustChangePassword(mariaDB: Bool) -> ERRPacket {
        ERRPacket(code: 1820, sqlState: "HY000", message: mariaDB
            ? "You must SET PASSWORD before executing this statement"
            : "You must reset your password using ALTER USER statement before executing this statement.")
    }

    /// ER_MUST_CHANGE_PASSWORD_LOGIN: a client that cannot handle an expired password (MySQL).
    static let mustChangePasswordLogin = ERRPacket(
        code: 1862, sqlState: "HY000",
        message: "Your password has expired. To log in you must change it using a client that supports expired passwords.")

    /// ER_ACCOUNT_HAS_BEEN_LOCKED, in the server's wording (MySQL 3118, MariaDB 4151).
    static func accountLocked(user: String, host: String, mariaDB: Bool) -> ERRPacket {
        mariaDB
            ? ERRPacket(code: 4151, sqlState: "HY000", message: "Access denied, this account is locked")
            : ERRPacket(code: 3118, sqlState: "HY000", message: "Access denied for user '\(user)'@'\(host)'. Account is locked.")
    }

    /// The first `count` words of `text` in upper case, after blanks and `/* */`, `-- ` and `#` comments.
    static func leadingWords(_ text: String, count: Int) -> [String] {
        var bytes = Substring(text).utf8[...]
        var words: [String] = []
        while words.count < count, let byte = bytes.first {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                bytes = bytes.dropFirst()
            case UInt8(ascii: "/") where bytes.dropFirst().first == UInt8(ascii: "*"):
                guard let end = bytes.dropFirst(2).firstRange(of: "*/".utf8) else { return words }
                bytes = bytes[end.upperBound...]
            case UInt8(ascii: "#"),
                 UInt8(ascii: "-") where bytes.starts(with: "-- ".utf8) || bytes.elementsEqual("--".utf8):
                bytes = bytes.drop { $0 != UInt8(ascii: "\n") }
            default:
                let word = bytes.prefix { ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                    || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "_") }
                guard !word.isEmpty else { return words }
                words.append(String(decoding: word, as: UTF8.self).uppercased())
                bytes = bytes.dropFirst(word.count)
            }
        }
        return words
    }
}

/// The accounts whose expired password was reset in some session (the server remembers it, as a
/// real one writes the new password): their later logins are not sandboxed. Shared by the
/// connections of one trace load.
public final class PasswordResets: Sendable {
    private let users = Mutex<Set<String>>([])

    public init() {}

    func insert(_ user: String) { _ = users.withLock { $0.insert(user) } }
    func contains(_ user: String) -> Bool { users.withLock { $0.contains(user) } }
}
