// Connector/J (Debian's libmariadb-java) with useCompression=true, as its users write it: runs the
// statements given as arguments and prints each result's first column, one line per row.
// Usage: java -cp mariadb-java-client.jar CompressionProbe.java <port> <user> <password> <statement>...
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

public class CompressionProbe {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:mariadb://127.0.0.1:" + args[0] + "/?useCompression=true";
        try (Connection c = DriverManager.getConnection(url, args[1], args[2]); Statement st = c.createStatement()) {
            for (int i = 3; i < args.length; i++) {
                try (ResultSet rs = st.executeQuery(args[i])) {
                    while (rs.next()) {
                        String value = rs.getString(1);
                        System.out.println(value.length() > 100 ? "<" + value.length() + " chars>" : value);
                    }
                }
            }
        }
    }
}
