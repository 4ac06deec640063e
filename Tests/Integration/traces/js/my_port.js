({
  stmts: function (stmt) {
    if (/^SET /i.test(stmt)) return {ok: {}};  // connectors set the character set on connect
    if (stmt === "select @@port") {
      return {result: {columns: [{name: "@@port", type: "LONG"}], rows: [[mysqld.session.port]]}};
    }
    if (stmt === "SHOW STATUS LIKE 'Ssl_session_cache_hits'") {
      return {result: {columns: [{name: "Variable_name", type: "STRING"}, {name: "Value", type: "LONG"}],
                       rows: [["Ssl_session_cache_hits", mysqld.session.ssl_session_cache_hits]]}};
    }
    return {error: {code: 1273, sql_state: "HY001", message: "Syntax Error at: " + stmt}};
  }
})
