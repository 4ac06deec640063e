// mysqld.global is shared by all connections; every read is a fresh copy.
if (mysqld.global.list === undefined) mysqld.global.list = [1];
if (mysqld.global.connects === undefined) mysqld.global.connects = 0;
mysqld.global.connects++;

function one(name, value) {
  return {result: {columns: [{name: name, type: "STRING"}], rows: [[value]]}};
}

({
  stmts: function (stmt) {
    if (/^SET /i.test(stmt)) return {ok: {}};  // connectors set the character set on connect
    var set = stmt.match(/^put (\w+) = (.*)$/);
    if (set) { mysqld.global[set[1]] = JSON.parse(set[2]); return {ok: {}}; }
    var get = stmt.match(/^get (\w+)$/);
    if (get) return one(get[1], JSON.stringify(mysqld.global[get[1]]));
    if (stmt === "push in place") { mysqld.global.list.push(2); return {ok: {}}; }
    if (stmt === "push and reassign") { var l = mysqld.global.list; l.push(3); mysqld.global.list = l; return {ok: {}}; }
    if (stmt === "keys") return one("keys", Object.keys(mysqld.global).sort().join(","));
    if (stmt === "delete") { delete mysqld.global.list; return {ok: {}}; }
    if (stmt === "shared") {
      process.set_shared("via_process", {a: 1});
      return one("shared", JSON.stringify([process.get_shared("via_process"), process.get_keys().length > 0,
                                           process.erase("via_process"), process.get_shared("via_process")]));
    }
    if (stmt === "env") return one("env", process.env.MOCK_TEST_ENV + "/" + process.getenv("MOCK_TEST_ENV"));
    return {error: {code: 1273, sql_state: "HY001", message: "Syntax Error at: " + stmt}};
  }
})
