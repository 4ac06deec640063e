({stmts: function () { return {result: {columns: [{name: "a", type: "STRING", decimals: -1}]}}; }})
