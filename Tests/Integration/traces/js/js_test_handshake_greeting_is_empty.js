({handshake: {greeting: {}}, stmts: function () { return {ok: {}}; }})
