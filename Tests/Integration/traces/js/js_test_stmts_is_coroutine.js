// The first resume passes the first statement as the thread function's argument; every yield
// hands back a response and receives the next statement.
({
  stmts: new Duktape.Thread(function (stmt) {
    var n = 0;
    while (true) {
      if (/^SET /i.test(stmt)) {
        stmt = Duktape.Thread.yield({ok: {}});
        continue;
      }
      n++;
      stmt = Duktape.Thread.yield({result: {columns: [{name: "n", type: "LONG"}, {name: "stmt", type: "STRING"}],
                                            rows: [[n, stmt]]}});
    }
  })
})
