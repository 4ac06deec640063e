// The JavaScript twin of bench.json.
var rows = [];
for (var i = 1; i <= 100; i++) rows.push([i, i * 2, "abcdefgh", (i / 3).toFixed(4), "zz"]);
var select1 = {result: {columns: [{name: "1", type: "LONGLONG"}], rows: [[1]]}};
var hundred = {result: {columns: [{name: "id", type: "LONGLONG"}, {name: "a", type: "LONGLONG"},
                                  {name: "b", type: "VAR_STRING"}, {name: "c", type: "NEWDECIMAL"},
                                  {name: "d", type: "VAR_STRING"}], rows: rows}};
({
  handshake: {auth: {username: "bench", password: "benchpw"}},
  stmts: function (stmt) {
    if (stmt === "SELECT 1") return select1;
    if (stmt.indexOf("FROM seq_1_to_100") > 0) return hundred;
    if (/^SET /i.test(stmt)) return {ok: {}};
    return {error: {code: 1064, message: "unknown " + stmt}};
  }
})
