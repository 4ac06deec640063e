// The soak test's trace (scripts/soak.py): per-connection state, a global read on every statement
// (the REST API changes it while clients run), result sets built in JavaScript.
var statements = 0;
if (mysqld.global.connects === undefined) mysqld.global.connects = 0;
mysqld.global.connects++;

({
  stmts: function (stmt) {
    statements++;
    if (/^SET /i.test(stmt)) return {ok: {}};
    if (stmt === "select @@port") {
      return {result: {columns: [{name: "@@port", type: "LONG"}], rows: [[mysqld.global.port || 0]]}};
    }
    if (stmt === "select statements") {
      return {result: {columns: [{name: "n", type: "LONGLONG"}], rows: [[statements]]}};
    }
    var rows = stmt.match(/^rows (\d+)$/);
    if (rows) {
      var out = [];
      for (var i = 0; i < +rows[1]; i++) out.push([i, "row " + i, mysqld.global.tag || "none"]);
      return {result: {columns: [{name: "id", type: "LONG"}, {name: "name", type: "VAR_STRING"},
                                 {name: "tag", type: "VAR_STRING"}], rows: out}};
    }
    return {error: {code: 1064, sql_state: "42000", message: "soak trace does not know: " + stmt}};
  }
})
