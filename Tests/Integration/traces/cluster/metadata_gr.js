// A Group Replication metadata server in the style of MySQL Router's
// metadata_dynamic_nodes_v2_gr.js (written for this project; Router's own file is not shipped):
// every node of a cluster runs this same file. What the group looks like comes from globals, as in
// Router's tests: `gr_id` (the group name), `gr_nodes` ([uuid, port, state, xport] per member) and
// `primary_id` (the primary's index in `gr_nodes`), shared by the cluster; `mock_node` is the node
// this copy runs on (the cluster sets it). `md_query_count` counts metadata reads per node.
function members() {
  return mysqld.global.gr_nodes || [];
}

function node() {
  return mysqld.global.mock_node || {name: "single", port: mysqld.session.port, role: ""};
}

function rows_of_members() {
  var primary = mysqld.global.primary_id || 0;
  return members().map(function (m, i) {
    return [m[0], "127.0.0.1", m[1], m[2], i === primary ? "PRIMARY" : "SECONDARY"];
  });
}

({
  stmts: function (stmt) {
    if (stmt === "select @@port") {
      return {result: {columns: [{name: "@@port", type: "LONG"}], rows: [[mysqld.session.port]]}};
    }
    if (stmt === "select @@group_replication_group_name") {
      return {result: {columns: [{name: "@@group_replication_group_name", type: "VAR_STRING"}],
                       rows: [[mysqld.global.gr_id]]}};
    }
    if (stmt === "select member_id, member_host, member_port, member_state, member_role " +
                 "from performance_schema.replication_group_members") {
      mysqld.global.md_query_count = (mysqld.global.md_query_count || 0) + 1;
      return {result: {columns: [{name: "member_id", type: "VAR_STRING"}, {name: "member_host", type: "VAR_STRING"},
                                 {name: "member_port", type: "LONG"}, {name: "member_state", type: "VAR_STRING"},
                                 {name: "member_role", type: "VAR_STRING"}],
                       rows: rows_of_members()}};
    }
    if (stmt === "select node_name, node_role") {
      return {result: {columns: [{name: "node_name", type: "VAR_STRING"}, {name: "node_role", type: "VAR_STRING"}],
                       rows: [[node().name, node().role]]}};
    }
    if (stmt === "start transaction" || stmt === "commit" || stmt.indexOf("SET ") === 0) {
      return {ok: {}};
    }
    return {error: {code: 1273, sql_state: "HY000", message: "metadata_gr.js does not know: " + stmt}};
  }
})
