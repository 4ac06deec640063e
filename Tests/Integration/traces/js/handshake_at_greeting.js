// The first connection is refused at the greeting with 1040; later ones are let in.
if (mysqld.global.refused === undefined) mysqld.global.refused = 0;
({
  handshake: function (is_greeting) {
    if (is_greeting && mysqld.global.refused === 0) {
      mysqld.global.refused = 1;
      return {error: {code: 1040, sql_state: "08004", message: "Too many connections"}};
    }
    return {greeting: {server_version: "8.0.99-js"}, auth: {username: "root", password: "pw"}};
  },
  stmts: function (stmt) {
    if (/^SET /i.test(stmt)) return {ok: {}};
    return {result: {columns: [{name: "v", type: "STRING"}], rows: [[stmt]]}};
  }
})
