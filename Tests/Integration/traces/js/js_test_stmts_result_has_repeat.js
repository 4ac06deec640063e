({stmts: function () { return {result: {columns: [{name: "a", type: "STRING", repeat: 2}], rows: [["x"]]}}; }})
