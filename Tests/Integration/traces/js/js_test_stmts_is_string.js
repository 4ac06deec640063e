({stmts: "select 1"})
