// Driver-matrix probe for Go: database/sql with go-sql-driver/mysql (Debian's package, built in
// GOPATH mode: no module download).
// Usage: go run probe.go ; connection facts from MATRIX_* environment variables.
// Prints one JSON line per check: {"check", "ok", "detail"}.
//
// Placeholders go through interpolateParams=true here: the driver's default, server-side prepared
// statements, joins the matrix with issue 16.
package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"

	"github.com/go-sql-driver/mysql"
)

const typesSQL = "SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, " +
	"12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, " +
	"TIME '01:02:03' AS tm, X'616263' AS b, NULL AS n"

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func report(check string, ok bool, detail string) {
	if len(detail) > 300 {
		detail = detail[:300]
	}
	line, _ := json.Marshal(map[string]interface{}{"check": check, "ok": ok, "detail": detail})
	fmt.Println(string(line))
}

func run(check string, body func() error) {
	if err := body(); err != nil {
		report(check, false, err.Error())
		return
	}
	report(check, true, "")
}

func main() {
	config := mysql.NewConfig()
	config.User = env("MATRIX_USER", "probe")
	config.Passwd = env("MATRIX_PASSWORD", "probe-pw")
	config.Net = "tcp"
	config.Addr = env("MATRIX_HOST", "127.0.0.1") + ":" + os.Getenv("MATRIX_PORT")
	config.DBName = env("MATRIX_DATABASE", "matrix")
	config.ParseTime = true
	config.InterpolateParams = true
	db, err := sql.Open("mysql", config.FormatDSN())
	if err != nil {
		report("login", false, err.Error())
		return
	}
	db.SetMaxOpenConns(2)
	run("login", db.Ping)

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
			tm, string(b), n.Valid}
		want := []interface{}{int64(42), uint64(18446744073709551615), "héllo wörld", 1.5, "12.34", "2024-01-02",
			"2024-01-02 03:04:05.250000", "01:02:03", "abc", false}
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
}
