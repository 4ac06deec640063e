({handshake: {greeting: {exec_time: {}}}, stmts: function () { return {ok: {}}; }})
