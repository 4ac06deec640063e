// A coroutine answering what the mysql command-line client asks on start-up, then @@port.
({
  stmts: new Duktape.Thread(function (stmt) {
    while (true) {
      var response;
      if (/^SET /i.test(stmt)) {
        response = {ok: {}};
      } else if (stmt === "select @@version_comment limit 1") {
        response = {result: {columns: [{name: "@@version_comment", type: "STRING"}], rows: [["mock (coroutine)"]]}};
      } else if (stmt === "select USER()") {
        response = {result: {columns: [{name: "USER()", type: "STRING"}], rows: [["root@localhost"]]}};
      } else if (stmt === "select @@port") {
        response = {result: {columns: [{name: "@@port", type: "LONG"}], rows: [[mysqld.session.port]]}};
      } else {
        response = {error: {code: 1273, sql_state: "HY001", message: "Syntax Error at: " + stmt}};
      }
      stmt = Duktape.Thread.yield(response);
    }
  })
})
