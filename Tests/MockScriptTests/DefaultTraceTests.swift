import MockModel
@testable import MockScript
import Testing

@Suite("builtin:default")
struct DefaultTraceTests {
    let responder = DefaultTrace().makeResponder(for: SessionInfo(connectionID: 9, port: 3306, user: "root",
                                                                  schema: "shop"))

    @Test("the mysql CLI's and connectors' start-up questions")
    func startup() throws {
        let comment = try #require(responder.respond(to: "select @@version_comment limit 1").result)
        #expect(comment.columns.map(\.name) == ["@@version_comment"])
        #expect(comment.rows == [["mysql-server-mock"]])
        #expect(responder.respond(to: "SELECT @@version").result?.rows == [["8.0.23-mock"]])
        #expect(responder.respond(to: "SET NAMES utf8mb4").ok != nil)
        #expect(responder.respond(to: "SET @@session.autocommit = OFF").ok != nil)
        #expect(responder.respond(to: "SELECT DATABASE()").result?.rows == [["shop"]])
        #expect(responder.respond(to: "select USER()").result?.rows == [["root@localhost"]])
        #expect(responder.respond(to: "SELECT 1").result?.rows == [["1"]])
        #expect(responder.respond(to: "select connection_id()").result?.rows == [["9"]])
    }

    @Test("JDBC's variable list with aliases")
    func jdbc() throws {
        let result = try #require(responder.respond(to: """
            /* mysql-connector-j-8.2.0 */SELECT  @@session.auto_increment_increment AS auto_increment_increment, \
            @@character_set_client AS character_set_client, @@net_buffer_length AS net_buffer_length, \
            @@sql_mode AS sql_mode, @@wait_timeout AS wait_timeout
            """).result)
        #expect(result.columns.map(\.name)
                    == ["auto_increment_increment", "character_set_client", "net_buffer_length", "sql_mode", "wait_timeout"])
        #expect(result.rows.first?[0] == "1")
        #expect(result.rows.first?[2] == "16384")
        #expect(result.columns[0].type == 8)
        #expect(result.columns[1].type == 253)
    }

    @Test("SHOW VARIABLES / STATUS / DATABASES with LIKE")
    func show() throws {
        let vars = try #require(responder.respond(to: "SHOW VARIABLES LIKE 'sql_mode'").result)
        #expect(vars.rows.count == 1)
        #expect(vars.rows[0][0] == "sql_mode")
        #expect(responder.respond(to: "show session variables like 'lower_case%'").result?.rows
                    == [["lower_case_table_names", "0"]])
        #expect(responder.respond(to: "SHOW DATABASES").result?.rows.count == 5)
        #expect(responder.respond(to: "show status like 'Ssl_cipher'").result?.rows == [["Ssl_cipher", ""]])
        #expect(responder.respond(to: "show warnings").result?.rows.isEmpty == true)
        var tls = SessionInfo(connectionID: 2, port: 3306, schema: "shop")
        (tls.tlsCipher, tls.sslSessionCacheHits) = ("TLS_AES_256_GCM_SHA384", 3)
        responder.sessionChanged(tls)
        #expect(responder.respond(to: "SHOW STATUS LIKE 'Ssl%'").result?.rows == [
            ["Ssl_cipher", "TLS_AES_256_GCM_SHA384"], ["Ssl_session_cache_hits", "3"], ["Ssl_version", "TLSv1.3"]])
        #expect(responder.respond(to: "SHOW TABLES").result?.columns.map(\.name) == ["Tables_in_shop"])
    }

    @Test("unknown statements and variables are errors that name them")
    func unknown() {
        let e = responder.respond(to: "DROP TABLE t").error
        #expect(e?.code == 1064)
        #expect(e?.message.contains("DROP TABLE t") == true)
        #expect(responder.respond(to: "select @@no_such_variable").error?.code == 1064)
    }

    @Test("SQL LIKE")
    func like() {
        #expect("sql_mode".matchesLike("sql%"))
        #expect("sql_mode".matchesLike("SQL_MOD_"))
        #expect(!"sql_mode".matchesLike("sql"))
        #expect("a_b".matchesLike("a\\_b"))
        #expect(!"axb".matchesLike("a\\_b"))
    }

    @Test("more SQL LIKE: runs of %, _ next to %, escapes, empty text and pattern")
    func moreLike() {
        #expect("".matchesLike(""))
        #expect("".matchesLike("%%"))
        #expect(!"".matchesLike("_"))
        #expect("abc".matchesLike("%%b%"))
        #expect("abc".matchesLike("_%_"))
        #expect(!"ab".matchesLike("_%_%_"))
        #expect("a%c".matchesLike("a\\%c"))
        #expect(!"abc".matchesLike("a\\%c"))
        #expect("Ssl_cipher".matchesLike("ssl%"))
        #expect("a\\".matchesLike("a\\"))
    }

    @Test("LIMIT, FROM DUAL, aliases and comments are read from the ends of the statement")
    func selectShapes() {
        #expect(responder.respond(to: "/* c */ SELECT 1 AS one FROM DUAL LIMIT 1;;").result?.columns.map(\.name) == ["one"])
        #expect(responder.respond(to: "SELECT 'a' as x, 2").result?.rows == [["a", "2"]])
        #expect(responder.respond(to: "select 1 limit").result == nil)
        #expect(responder.respond(to: "SELECT  as").result == nil)
    }

    @Test("huge statements are answered or refused in one pass (no quadratic parsing, no deep recursion)")
    func huge() {
        let literal = String(repeating: "a", count: 1 << 20)
        #expect(responder.respond(to: "SELECT '\(literal)'").result?.rows == [[Cell(literal)]])
        let refused = responder.respond(to: "SELECT \(literal) FROM t").error
        #expect(refused?.code == 1064)
        #expect((refused?.message.utf8.count ?? .max) < 1000)
        #expect(responder.respond(to: "SHOW VARIABLES LIKE '\(String(repeating: "%", count: 1 << 20))'").error?.code == 1064)
        #expect(responder.respond(to: "SHOW VARIABLES LIKE '\(String(repeating: "%", count: 2000))'").result?.rows.isEmpty == false)
        #expect(responder.respond(to: String(repeating: ";", count: 1 << 20)).error?.code == 1064)
        #expect(responder.respond(to: "SELECT 1 /* " + literal).result?.rows == [["1"]])  // an unclosed comment runs to the end
    }
}
