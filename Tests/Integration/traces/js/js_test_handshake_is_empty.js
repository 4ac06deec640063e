({handshake: {}, stmts: function () { return {ok: {}}; }})
