// Driver-matrix probe for Java: JDBC with MariaDB Connector/J (Debian's libmariadb-java), as JDBC
// code usually reads. Run as a single source file: java -cp mariadb-java-client.jar Probe.java
// Connection facts from MATRIX_* environment variables; prints one JSON line per check.
import java.math.BigDecimal;
import java.util.HexFormat;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

public class Probe {
    static final String TYPES_SQL = "SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, "
        + "1.5e0 AS d, 12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, "
        + "TIME '01:02:03' AS tm, X'00FF6162' AS b, NULL AS n";

    /** Server-side prepared statements: every type through the parameters and back in a binary row. */
    static final String PARAMS_SQL = "SELECT ? AS i, ? AS u, ? AS s, ? AS d, ? AS m, ? AS dt, ? AS ts, ? AS tm, ? AS b, ? AS n";

    /** The typed row as JDBC users read it. */
    static List<Object> typedRow(ResultSet rs) throws Exception {
        rs.next();
        return Arrays.asList(rs.getInt(1), rs.getBigDecimal(2), rs.getString(3), rs.getDouble(4),
            rs.getBigDecimal(5), rs.getDate(6).toString(), rs.getTimestamp(7).toString(),
            rs.getTime(8).toString(), HexFormat.of().formatHex(rs.getBytes(9)), rs.getObject(10));
    }

    static final List<Object> WANT = Arrays.asList(42, new BigDecimal("18446744073709551615"), "héllo wörld", 1.5,
        new BigDecimal("12.34"), "2024-01-02", "2024-01-02 03:04:05.25", "01:02:03", "00ff6162", null);

    static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }

    static void report(String check, Boolean ok, String detail) {
        if (detail.length() > 300) detail = detail.substring(0, 300);
        System.out.println("{\"check\": " + quote(check) + ", \"ok\": " + (ok == null ? "null" : ok.toString())
            + ", \"detail\": " + quote(detail) + "}");
    }

    /** A JDBC URL for the server at port, with TLS verified against the CA in caPath when given. */
    static String url(String port, String caPath) {
        String url = "jdbc:mariadb://" + env("MATRIX_HOST", "127.0.0.1") + ":" + port + "/" + env("MATRIX_DATABASE", "matrix");
        // Connector/J 2.x: useSsl, the CA as serverSslCert; the certificate and host name are verified by default.
        return caPath == null ? url : url + "?useSsl=true&serverSslCert=" + caPath;
    }

    /** The session's TLS cipher (empty without TLS), from a fresh connection to port. */
    static String cipher(String port, String caPath, String user, String password) throws SQLException {
        try (Connection c = DriverManager.getConnection(url(port, caPath), user, password);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW STATUS LIKE 'Ssl_cipher'")) {
            return rs.next() ? rs.getString(2) : "";
        }
    }

    /**
     * Every result of a statement as JDBC users walk them (execute, getMoreResults): each result
     * set as its rows of one integer, each update count as "ok".
     */
    static String results(Statement st, String sql) throws SQLException {
        StringBuilder out = new StringBuilder();
        boolean isResultSet = st.execute(sql);
        while (true) {
            if (isResultSet) {
                List<Integer> rows = new java.util.ArrayList<>();
                try (ResultSet rs = st.getResultSet()) {
                    while (rs.next()) rows.add(rs.getInt(1));
                }
                out.append(rows);
            } else if (st.getUpdateCount() == -1) {
                return out.toString();
            } else {
                out.append("ok");
            }
            isResultSet = st.getMoreResults();
        }
    }

    static void run(String check, Callable<String> body) {
        try {
            String problem = body.call();
            report(check, problem == null, problem == null ? "" : problem);
        } catch (Exception e) {
            report(check, false, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    public static void main(String[] args) throws Exception {
        String port = System.getenv("MATRIX_PORT"), url = url(port, null);
        String ca = System.getenv("MATRIX_CA"), wrongCa = System.getenv("MATRIX_WRONG_CA");
        String sha2Full = System.getenv("MATRIX_SHA2_FULL_PORT"), sha2Fast = System.getenv("MATRIX_SHA2_FAST_PORT");
        String user = env("MATRIX_USER", "probe"), password = env("MATRIX_PASSWORD", "probe-pw");
        Connection[] holder = new Connection[1];
        run("login", () -> {
            holder[0] = DriverManager.getConnection(url, user, password);
            return null;
        });
        Connection conn = holder[0];
        if (conn == null) return;
        if (sha2Full != null && sha2Fast != null) {
            run("caching_sha2 (fast, full)", () -> {
                cipher(sha2Full, ca, user, password);  // full authentication: the password over TLS
                cipher(sha2Fast, null, user, password);
                return null;
            });
        }
        run("typed values", () -> {
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(TYPES_SQL)) {
                rs.next();
                List<Object> got = Arrays.asList(rs.getInt(1), rs.getBigDecimal(2), rs.getString(3), rs.getDouble(4),
                    rs.getBigDecimal(5), rs.getDate(6).toString(), rs.getTimestamp(7).toString(),
                    rs.getTime(8).toString(), HexFormat.of().formatHex(rs.getBytes(9)), rs.getObject(10));
                List<Object> want = Arrays.asList(42, new BigDecimal("18446744073709551615"), "héllo wörld", 1.5,
                    new BigDecimal("12.34"), "2024-01-02", "2024-01-02 03:04:05.25", "01:02:03", "00ff6162", null);
                return got.equals(want) ? null : "got " + got;
            }
        });
        run("parameters", () -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT ? AS a, ? AS b")) {
                ps.setInt(1, 7);
                ps.setString(2, "x y");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1) == 7 && "x y".equals(rs.getString(2)) ? null
                        : "got " + rs.getInt(1) + ", " + rs.getString(2);
                }
            }
        });
        run("error", () -> {
            try (Statement st = conn.createStatement()) {
                st.executeQuery("SELECT * FROM missing_table");
                return "no error raised";
            } catch (SQLException e) {
                if (e.getErrorCode() != 1146) return "code " + e.getErrorCode();
                return "42S02".equals(e.getSQLState()) ? null : "sqlstate " + e.getSQLState();
            }
        });
        run("affected rows, insert id", () -> {
            try (Statement st = conn.createStatement()) {
                int count = st.executeUpdate("INSERT INTO items (name) VALUES ('a'), ('b')",
                    Statement.RETURN_GENERATED_KEYS);
                try (ResultSet keys = st.getGeneratedKeys()) {
                    long id = keys.next() ? keys.getLong(1) : -1;
                    return count == 2 && id == 42 ? null : "got " + count + ", " + id;
                }
            }
        });
        run("TLS verified, wrong CA refused", () -> {
            String cipher = cipher(port, ca, user, password);
            if (cipher == null || cipher.isEmpty()) return "not encrypted: Ssl_cipher " + cipher;
            try {
                cipher(port, wrongCa, user, password);
            } catch (SQLException e) {
                return null;
            }
            return "a server certificate from another CA was accepted";
        });
        // Several results (issue 17): two statements in one query, a stored procedure with two result
        // sets and an OK, a batch whose second statement fails, the syntax error without multi-statements.
        String multiUrl = url + "?allowMultiQueries=true";
        run("multi-statement", () -> {
            try (Connection multi = DriverManager.getConnection(multiUrl, user, password);
                 Statement st = multi.createStatement()) {
                String got = results(st, "SELECT 1 AS a; SELECT 2 AS b");
                return got.equals("[1][2]") ? null : "got " + got;
            }
        });
        run("CALL results", () -> {
            try (Statement st = conn.createStatement()) {
                String got = results(st, "CALL two_sets()");
                return got.equals("[1][2, 3]ok") ? null : "got " + got;
            }
        });
        run("batch error", () -> {
            try (Connection multi = DriverManager.getConnection(multiUrl, user, password);
                 Statement st = multi.createStatement()) {
                results(st, "SELECT 1 AS a; SELECT * FROM missing_table; SELECT 2 AS b");
                return "no error raised";
            } catch (SQLException e) {
                return e.getErrorCode() == 1146 ? null : "code " + e.getErrorCode() + ": " + e.getMessage();
            }
        });
        run("multi off: 1064", () -> {
            try (Statement st = conn.createStatement()) {
                st.execute("SELECT 1 AS a; SELECT 2 AS b");
                return "no error raised";
            } catch (SQLException e) {
                return e.getErrorCode() == 1064 ? null : "code " + e.getErrorCode() + ": " + e.getMessage();
            }
        });
        run("reset", () -> {
            conn.unwrap(org.mariadb.jdbc.MariaDbConnection.class).reset();  // COM_RESET_CONNECTION
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT 7 AS a, 'x y' AS b")) {
                rs.next();
                return rs.getInt(1) == 7 && "x y".equals(rs.getString(2)) ? null : "got " + rs.getInt(1);
            }
        });
        run("prepared statements", () -> {
            try (Connection prepared = DriverManager.getConnection(url + "?useServerPrepStmts=true", user, password)) {
                try (PreparedStatement ps = prepared.prepareStatement(TYPES_SQL); ResultSet rs = ps.executeQuery()) {
                    List<Object> got = typedRow(rs);
                    if (!got.equals(WANT)) return "typed values: got " + got;
                }
                try (PreparedStatement ps = prepared.prepareStatement(PARAMS_SQL)) {
                    ps.setInt(1, 42);
                    ps.setBigDecimal(2, new BigDecimal("18446744073709551615"));
                    ps.setString(3, "héllo wörld");
                    ps.setDouble(4, 1.5);
                    ps.setBigDecimal(5, new BigDecimal("12.34"));
                    ps.setDate(6, java.sql.Date.valueOf("2024-01-02"));
                    ps.setTimestamp(7, java.sql.Timestamp.valueOf("2024-01-02 03:04:05.25"));
                    ps.setTime(8, java.sql.Time.valueOf("01:02:03"));
                    ps.setBytes(9, new byte[] {0, (byte) 0xFF, 'a', 'b'});
                    ps.setNull(10, java.sql.Types.VARCHAR);
                    try (ResultSet rs = ps.executeQuery()) {
                        List<Object> got = typedRow(rs);
                        return got.equals(WANT) ? null : "parameters: got " + got;
                    }
                }
            }
        });
        run("ping, reuse", () -> {
            if (!conn.isValid(5)) return "isValid failed";
            conn.close();
            for (int k = 0; k < 3; k++) {
                try (Connection again = DriverManager.getConnection(url, user, password);
                     Statement st = again.createStatement(); ResultSet rs = st.executeQuery(TYPES_SQL)) {
                    rs.next();
                }
            }
            return null;
        });
    }
}
