({stmts: []})
