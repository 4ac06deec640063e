// Driver-matrix probe for Go: database/sql with go-sql-driver/mysql (Debian's package, built in
// GOPATH mode: no module download).
// Usage: go run probe.go ; connection facts from MATRIX_* environment variables.
// Prints one JSON line per check: {"check", "ok", "detail"}.
//
// Placeholders go through interpolateParams=true here: the driver's default, server-side prepared
// statements, joins the matrix with issue 16.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"

	"github.com/go-sql-driver/mysql"
)

const typesSQL = "SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, " +
	"12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, " +
	"TIME '01:02:03' AS tm, X'00FF6162' AS b, NULL AS n"

// Server-side prepared statements: every type through the parameters and back in a binary row.
const paramsSQL = "SELECT ? AS i, ? AS u, ? AS s, ? AS d, ? AS m, ? AS dt, ? AS ts, ? AS tm, ? AS b, ? AS n"

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func report(check string, ok interface{}, detail string) {
	if len(detail) > 300 {
		detail = detail[:300]
	}
	line, _ := json.Marshal(map[string]interface{}{"check": check, "ok": ok, "detail": detail})
	fmt.Println(string(line))
}

// registerCA registers a TLS configuration (as go-sql-driver users do) that trusts only the
// certificate authority in the PEM file at path; the server's name is verified against the address.
func registerCA(name, path string) error {
	pem, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("no certificate in %s", path)
	}
	return mysql.RegisterTLSConfig(name, &tls.Config{RootCAs: pool})
}

// baseConfig is the probe's server at port, with the driver's defaults: placeholders prepared on
// the server, dates as text.
func baseConfig(port string) *mysql.Config {
	config := mysql.NewConfig()
	config.User = env("MATRIX_USER", "probe")
	config.Passwd = env("MATRIX_PASSWORD", "probe-pw")
	config.Net = "tcp"
	config.Addr = env("MATRIX_HOST", "127.0.0.1") + ":" + port
	config.DBName = env("MATRIX_DATABASE", "matrix")
	return config
}

// open is sql.Open for the probe's server at port with placeholders interpolated by the client and
// dates parsed, with TLS configuration tlsName ("" for none).
func open(port, tlsName string) (*sql.DB, error) {
	config := baseConfig(port)
	config.ParseTime = true
	config.InterpolateParams = true
	config.TLSConfig = tlsName
	return sql.Open("mysql", config.FormatDSN())
}

// openPrepared is a pool in the driver's default mode: placeholders are prepared on the server,
// and dates stay text (so a server that echoes text parameters compares equal).
func openPrepared(port string) (*sql.DB, error) {
	return sql.Open("mysql", baseConfig(port).FormatDSN())
}

// scanTyped reads the typed row as text, NULL as "NULL".
func scanTyped(row *sql.Row) ([]string, error) {
	values := make([]sql.NullString, 10)
	pointers := make([]interface{}, 10)
	for i := range values {
		pointers[i] = &values[i]
	}
	if err := row.Scan(pointers...); err != nil {
		return nil, err
	}
	out := make([]string, 10)
	for i, v := range values {
		out[i] = "NULL"
		if v.Valid {
			out[i] = v.String
		}
	}
	out[8] = hex.EncodeToString([]byte(out[8]))
	return out, nil
}

// once opens a pool, pings it (a login) and runs query on it, then closes it.
func once(port, tlsName, query string) (string, error) {
	db, err := open(port, tlsName)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var name, value string
	if err := db.QueryRow(query).Scan(&name, &value); err != nil {
		return "", err
	}
	return value, nil
}

// Several results (issue 17): two statements in one query, a stored procedure with two result sets
// and an OK, a batch whose second statement fails, and the syntax error without multi-statements.
const multiSQL = "SELECT 1 AS a; SELECT 2 AS b"

// resultSets reads every result set of query (rows of one integer) with NextResultSet, as
// database/sql users do; a result without columns (the OK ending a CALL) is not a result set.
func resultSets(db *sql.DB, query string) (string, error) {
	rows, err := db.Query(query)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var sets [][]int64
	for {
		set := []int64{}
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				return "", err
			}
			set = append(set, v)
		}
		if err := rows.Err(); err != nil {
			return fmt.Sprint(sets), err
		}
		sets = append(sets, set)
		if !rows.NextResultSet() {
			break
		}
	}
	return fmt.Sprint(sets), rows.Err()
}

// openMulti is a pool with multiStatements=true.
func openMulti(port string) (*sql.DB, error) {
	config := baseConfig(port)
	config.MultiStatements = true
	return sql.Open("mysql", config.FormatDSN())
}

// errorNumber is the server's error number in err, or 0.
func errorNumber(err error) uint16 {
	var mysqlErr *mysql.MySQLError
	if errors.As(err, &mysqlErr) {
		return mysqlErr.Number
	}
	return 0
}

func run(check string, body func() error) {
	if err := body(); err != nil {
		report(check, false, err.Error())
		return
	}
	report(check, true, "")
}

func main() {
	port := os.Getenv("MATRIX_PORT")
	db, err := open(port, "")
	if err != nil {
		report("login", false, err.Error())
		return
	}
	db.SetMaxOpenConns(2)
	run("login", db.Ping)
	if err := registerCA("matrix", os.Getenv("MATRIX_CA")); err != nil {
		report("TLS verified, wrong CA refused", false, err.Error())
	}
	if err := registerCA("wrong", os.Getenv("MATRIX_WRONG_CA")); err != nil {
		report("TLS verified, wrong CA refused", false, err.Error())
	}
	full, fast := os.Getenv("MATRIX_SHA2_FULL_PORT"), os.Getenv("MATRIX_SHA2_FAST_PORT")
	if full != "" && fast != "" {
		run("caching_sha2 (fast, full)", func() error {
			// Full authentication sends the password over TLS; the fast path needs none.
			if _, err := once(full, "matrix", "SHOW STATUS LIKE 'Ssl_cipher'"); err != nil {
				return fmt.Errorf("full authentication: %v", err)
			}
			if _, err := once(fast, "", "SHOW STATUS LIKE 'Ssl_cipher'"); err != nil {
				return fmt.Errorf("fast path: %v", err)
			}
			return nil
		})
	}

	run("typed values", func() error {
		var i int64
		var u uint64
		var s string
		var d float64
		var m string
		var dt, ts sql.NullTime
		var tm string
		var b []byte
		var n sql.NullString
		if err := db.QueryRow(typesSQL).Scan(&i, &u, &s, &d, &m, &dt, &ts, &tm, &b, &n); err != nil {
			return err
		}
		got := []interface{}{i, u, s, d, m, dt.Time.Format("2006-01-02"), ts.Time.Format("2006-01-02 15:04:05.000000"),
			tm, hex.EncodeToString(b), n.Valid}
		want := []interface{}{int64(42), uint64(18446744073709551615), "héllo wörld", 1.5, "12.34", "2024-01-02",
			"2024-01-02 03:04:05.250000", "01:02:03", "00ff6162", false}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("got %v", got)
		}
		return nil
	})
	run("parameters", func() error {
		var a int64
		var b string
		if err := db.QueryRow("SELECT ? AS a, ? AS b", 7, "x y").Scan(&a, &b); err != nil {
			return err
		}
		if a != 7 || b != "x y" {
			return fmt.Errorf("got %v, %q", a, b)
		}
		return nil
	})
	run("error", func() error {
		_, err := db.Exec("SELECT * FROM missing_table")
		var mysqlErr *mysql.MySQLError
		if !errors.As(err, &mysqlErr) {
			return fmt.Errorf("no MySQL error: %v", err)
		}
		if mysqlErr.Number != 1146 {
			return fmt.Errorf("number %d", mysqlErr.Number)
		}
		return nil
	})
	run("affected rows, insert id", func() error {
		result, err := db.Exec("INSERT INTO items (name) VALUES ('a'), ('b')")
		if err != nil {
			return err
		}
		affected, _ := result.RowsAffected()
		id, _ := result.LastInsertId()
		if affected != 2 || id != 42 {
			return fmt.Errorf("got %d, %d", affected, id)
		}
		return nil
	})
	run("TLS verified, wrong CA refused", func() error {
		cipher, err := once(port, "matrix", "SHOW STATUS LIKE 'Ssl_cipher'")
		if err != nil {
			return err
		}
		if cipher == "" {
			return fmt.Errorf("not encrypted: Ssl_cipher is empty")
		}
		if _, err := once(port, "wrong", "SHOW STATUS LIKE 'Ssl_cipher'"); err == nil {
			return fmt.Errorf("a server certificate from another CA was accepted")
		}
		return nil
	})
	run("prepared statements", func() error {
		want := []string{"42", "18446744073709551615", "héllo wörld", "1.5", "12.34", "2024-01-02",
			"2024-01-02 03:04:05.250000", "01:02:03", "00ff6162", "NULL"}
		pool, err := openPrepared(port)
		if err != nil {
			return err
		}
		defer pool.Close()
		statement, err := pool.Prepare(typesSQL)
		if err != nil {
			return err
		}
		typed, err := scanTyped(statement.QueryRow())
		if err != nil {
			return fmt.Errorf("typed values: %v", err)
		}
		if !reflect.DeepEqual(typed, want) {
			return fmt.Errorf("typed values: got %q", typed)
		}
		bound, err := scanTyped(pool.QueryRow(paramsSQL, 42, uint64(18446744073709551615), "héllo wörld", 1.5, "12.34",
			"2024-01-02", "2024-01-02 03:04:05.250000", "01:02:03", []byte{0, 0xff, 'a', 'b'}, nil))
		if err != nil {
			return fmt.Errorf("parameters: %v", err)
		}
		if !reflect.DeepEqual(bound, want) {
			return fmt.Errorf("parameters: got %q", bound)
		}
		return nil
	})
	run("multi-statement", func() error {
		multi, err := openMulti(port)
		if err != nil {
			return err
		}
		defer multi.Close()
		got, err := resultSets(multi, multiSQL)
		if err != nil || got != "[[1] [2]]" {
			return fmt.Errorf("got %s, %v", got, err)
		}
		return nil
	})
	run("CALL results", func() error {
		got, err := resultSets(db, "CALL two_sets()")
		if err != nil || got != "[[1] [2 3]]" {
			return fmt.Errorf("got %s, %v", got, err)
		}
		return nil
	})
	run("batch error", func() error {
		multi, err := openMulti(port)
		if err != nil {
			return err
		}
		defer multi.Close()
		// Exec reads every result and reports the batch's error. (Query + NextResultSet waits forever
		// on an error in a later result set, against MariaDB as well: a bug of Debian's driver.)
		if _, err := multi.Exec("SELECT 1 AS a; SELECT * FROM missing_table; SELECT 2 AS b"); errorNumber(err) != 1146 {
			return fmt.Errorf("got %v", err)
		}
		return nil
	})
	run("multi off: 1064", func() error {
		if _, err := db.Exec(multiSQL); errorNumber(err) != 1064 {
			return fmt.Errorf("got %v", err)
		}
		return nil
	})
	run("ping, reuse", func() error {
		for k := 0; k < 5; k++ {
			if err := db.Ping(); err != nil {
				return err
			}
			var a int64
			var b string
			if err := db.QueryRow("SELECT ? AS a, ? AS b", 7, "x y").Scan(&a, &b); err != nil {
				return err
			}
		}
		if stats := db.Stats(); stats.OpenConnections > 2 {
			return fmt.Errorf("%d connections open, the pool allows 2", stats.OpenConnections)
		}
		return db.Close()
	})
	report("reset", nil, "database/sql has no reset API (the driver's ResetSession sends no command)")
}
