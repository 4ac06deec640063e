// A catalogue of canned statements, in the style of MySQL Router's common_statements.js:
// get(key, options) returns a response object for a known statement with `options` merged over
// the defaults; prepare_statement_responses(keys, options) maps statement text to responses.

var defaults = {
  version_comment: "mysql-server-mock (canned)",
  account_user: "root",
  port: mysqld.session.port,
  server_version: "8.0.36",
  primary_port: 3306,
  members: [["uuid-1", "127.0.0.1", 3306, "ONLINE"]],
  exec_time: 0
};

function merge(base, over) {
  var out = {};
  Object.keys(base).forEach(function (k) { out[k] = base[k]; });
  Object.keys(over || {}).forEach(function (k) { out[k] = over[k]; });
  return out;
}

function single(name, type, value) {
  return {result: {columns: [{name: name, type: type}], rows: [[value]]}};
}

var catalogue = {
  select_version_comment: function (o) {
    var r = single("@@version_comment", "STRING", o.version_comment);
    r.stmt = "select @@version_comment limit 1";
    return r;
  },
  select_port: function (o) {
    var r = single("@@port", "LONG", o.port);
    r.stmt = "select @@port";
    return r;
  },
  select_version: function (o) {
    var r = single("@@version", "STRING", o.server_version);
    r.stmt = "select @@version";
    return r;
  },
  select_user: function (o) {
    var r = single("USER()", "STRING", o.account_user + "@localhost");
    r.stmt = "select USER()";
    return r;
  },
  select_members: function (o) {
    return {
      stmt: "select member_id, member_host, member_port, member_state from performance_schema.replication_group_members",
      exec_time: o.exec_time,
      result: {
        columns: [{name: "member_id", type: "STRING"}, {name: "member_host", type: "STRING"},
                  {name: "member_port", type: "LONG"}, {name: "member_state", type: "STRING"}],
        rows: o.members
      }
    };
  },
  set_names: function () {
    return {stmt_regex: "^SET NAMES .*", ok: {}};
  }
};

exports.get = function (key, options) {
  var make = catalogue[key];
  if (make === undefined) throw new Error("unknown canned statement: " + key);
  var o = merge(defaults, options);
  if (typeof o.exec_time !== "number") throw new TypeError("exec_time must be a number");
  return make(o);
};

exports.prepare_statement_responses = function (keys, options) {
  var map = {};
  keys.forEach(function (key) {
    var r = exports.get(key, options);
    if (r.stmt !== undefined) map[r.stmt] = r;
  });
  return map;
};

exports.prepare_statement_responses_regex = function (keys, options) {
  var map = {};
  keys.forEach(function (key) {
    var r = exports.get(key, options);
    if (r.stmt_regex !== undefined) map[r.stmt_regex] = r;
  });
  return map;
};

exports.handle_regex_stmt = function (stmt, map) {
  var found;
  Object.keys(map).some(function (re) {
    if (stmt.match(new RegExp(re))) { found = map[re]; return true; }
    return false;
  });
  return found;
};

exports.unknown_statement_response = function (stmt) {
  return {error: {code: 1273, sql_state: "HY001", message: "Syntax Error at: " + stmt}};
};
