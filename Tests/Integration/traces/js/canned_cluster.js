// A trace built from the canned-statement catalogue, switched through mysqld.global: a test
// sets `members` (and `primary_port`) over REST or from another connection.
var canned = require("canned_statements");

if (mysqld.global.members === undefined) {
  mysqld.global.members = [["uuid-1", "127.0.0.1", 3306, "ONLINE"]];
}

var fixed = canned.prepare_statement_responses(
  ["select_version_comment", "select_port", "select_version", "select_user"], {server_version: "8.0.36-canned"});
var regex = canned.prepare_statement_responses_regex(["set_names"], {});

({
  stmts: function (stmt) {
    if (fixed[stmt] !== undefined) return fixed[stmt];
    if (stmt === "select member_id, member_host, member_port, member_state from performance_schema.replication_group_members") {
      return canned.get("select_members", {members: mysqld.global.members});
    }
    var m = stmt.match(/^fail over to ([0-9]+)$/);
    if (m) {
      mysqld.global.members = [["uuid-2", "127.0.0.1", parseInt(m[1], 10), "ONLINE"]];
      return {ok: {}};
    }
    var r = canned.handle_regex_stmt(stmt, regex);
    if (r !== undefined) return r;
    return canned.unknown_statement_response(stmt);
  }
})
