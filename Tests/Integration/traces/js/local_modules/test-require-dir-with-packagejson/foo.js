module.exports = {me: "dir-with-package.json"};
