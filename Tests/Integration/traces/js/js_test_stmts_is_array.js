({stmts: [{ok: {}}]})
