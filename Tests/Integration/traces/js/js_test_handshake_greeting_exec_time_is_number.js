({handshake: {greeting: {exec_time: 300}}, stmts: function () { return {ok: {}}; }})
