module.exports = require("./test-require-nesting-3");
