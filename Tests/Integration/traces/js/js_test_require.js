var direct = require("test-require-direct");
var indexjs = require("test-require-dir-with-indexjs");
var packagejson = require("test-require-dir-with-packagejson");

function one(name, value) {
  return {result: {columns: [{name: name, type: "STRING"}], rows: [[value]]}};
}

({
  stmts: function (stmt) {
    if (/^SET /i.test(stmt)) return {ok: {}};  // connectors set the character set on connect
    if (stmt === "direct") return one("me", direct.me);
    if (stmt === "dir-with-indexjs") return one("me", indexjs.me);
    if (stmt === "dir-with-packagejson") return one("me", packagejson.me);
    var m = stmt.match(/^no-reload-([0-9]+)$/);
    // A second require returns the cached module object: its counter keeps counting.
    if (m) return one("count", require("test-require-direct").count++);
    if (stmt === "relative") return one("me", require("./local_modules/test-require-direct.js").me);
    if (stmt === "missing") return one("x", require("no-such-module"));
    return {error: {code: 1273, sql_state: "HY001", message: "Syntax Error at: " + stmt}};
  }
})
