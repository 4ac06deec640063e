module.exports = {me: "dir-with-index.js"};
