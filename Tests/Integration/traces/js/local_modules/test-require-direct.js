exports.me = "direct";
exports.count = 0;
