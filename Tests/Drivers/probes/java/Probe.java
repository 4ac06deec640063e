// Driver-matrix probe for Java: JDBC with MariaDB Connector/J (Debian's libmariadb-java), as JDBC
// code usually reads. Run as a single source file: java -cp mariadb-java-client.jar Probe.java
// Connection facts from MATRIX_* environment variables; prints one JSON line per check.
import java.math.BigDecimal;
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
        + "TIME '01:02:03' AS tm, X'616263' AS b, NULL AS n";

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

    static void report(String check, boolean ok, String detail) {
        if (detail.length() > 300) detail = detail.substring(0, 300);
        System.out.println("{\"check\": " + quote(check) + ", \"ok\": " + ok + ", \"detail\": " + quote(detail) + "}");
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
        String url = "jdbc:mariadb://" + env("MATRIX_HOST", "127.0.0.1") + ":" + System.getenv("MATRIX_PORT") + "/"
            + env("MATRIX_DATABASE", "matrix");
        String user = env("MATRIX_USER", "probe"), password = env("MATRIX_PASSWORD", "probe-pw");
        Connection[] holder = new Connection[1];
        run("login", () -> {
            holder[0] = DriverManager.getConnection(url, user, password);
            return null;
        });
        Connection conn = holder[0];
        if (conn == null) return;
        run("typed values", () -> {
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(TYPES_SQL)) {
                rs.next();
                List<Object> got = Arrays.asList(rs.getInt(1), rs.getBigDecimal(2), rs.getString(3), rs.getDouble(4),
                    rs.getBigDecimal(5), rs.getDate(6).toString(), rs.getTimestamp(7).toString(),
                    rs.getTime(8).toString(), new String(rs.getBytes(9), "UTF-8"), rs.getObject(10));
                List<Object> want = Arrays.asList(42, new BigDecimal("18446744073709551615"), "héllo wörld", 1.5,
                    new BigDecimal("12.34"), "2024-01-02", "2024-01-02 03:04:05.25", "01:02:03", "abc", null);
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
