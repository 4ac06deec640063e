var n = require("test-require-nesting-1"); ({stmts: function () { return {ok: {}}; }})
