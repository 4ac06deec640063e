({handshake: "foo", stmts: function () { return {ok: {}}; }})
