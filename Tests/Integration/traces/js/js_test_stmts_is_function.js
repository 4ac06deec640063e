({stmts: function (stmt) { return {ok: {}}; }})
