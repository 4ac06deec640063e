"""Traces in the style of MySQL Router's tests, for the benchmark's matching and JavaScript rows.

`router_trace(n)`: `n` entries, exact statements and regular expressions alternating, as Router's
`common_statements.js` writes them (metadata queries, `SET` lists, `INSERT`/`UPDATE` of router
rows), the last one the entry the benchmark's statement matches. `router_trace(1)` is that entry
alone: the same answer with nothing to search.
"""

CLUSTER_ID = "5b3f1b56-2f1b-11ee-8e4a-0242ac110002"
#: The statement the last entry answers (a Router metadata query).
STATEMENT = ("SELECT * FROM mysql_innodb_cluster_metadata.v2_this_instance "
             f"WHERE cluster_id = '{CLUSTER_ID}'")
LAST = {
    "stmt.regex": r"^SELECT \* FROM mysql_innodb_cluster_metadata\.v2_this_instance WHERE cluster_id = '[^']*'$",
    "result": {
        "columns": [{"name": "cluster_id", "type": "STRING"}, {"name": "cluster_name", "type": "STRING"},
                    {"name": "instance_type", "type": "STRING"}],
        "rows": [[CLUSTER_ID, "mycluster", "gr"]],
    },
}
AUTH = {"handshake": {"auth": {"username": "bench", "password": "benchpw"}}, "fallback": "builtin:default"}


def _entry(i):
    """Entry `i` of the padding: never matches STATEMENT."""
    kind = i % 8
    if kind == 0:
        return {"stmt": f"SELECT attributes->>'$.version' FROM mysql_innodb_cluster_metadata.v2_routers "
                        f"WHERE router_id = {i}", "result": {"columns": [{"name": "v", "type": "STRING"}],
                                                              "rows": [["8.0.36"]]}}
    if kind == 1:
        return {"stmt.regex": rf"^UPDATE mysql_innodb_cluster_metadata\.v2_routers SET attributes = "
                              rf"JSON_SET\(JSON_SET\(.*\)\) WHERE router_id = {i}$", "ok": {}}
    if kind == 2:
        return {"stmt": f"SELECT @@group_replication_group_name /* {i} */",
                "result": {"columns": [{"name": "g", "type": "STRING"}], "rows": [[CLUSTER_ID]]}}
    if kind == 3:
        return {"stmt.regex": rf"^SELECT .* FROM mysql_innodb_cluster_metadata\.v2_gr_clusters_{i} .*$",
                "result": {"columns": [{"name": "c", "type": "STRING"}], "rows": [["mycluster"]]}}
    if kind == 4:
        return {"stmt": f"START TRANSACTION /* {i} */", "ok": {}}
    if kind == 5:
        return {"stmt.regex": rf"^INSERT INTO mysql_innodb_cluster_metadata\.v2_routers_{i}\(.*\).*", "ok": {}}
    if kind == 6:
        return {"stmt": f"SELECT member_id, member_host, member_port, member_state FROM "
                        f"performance_schema.replication_group_members /* {i} */",
                "result": {"columns": [{"name": "member_id", "type": "STRING"}], "rows": [["uuid"]]}}
    return {"stmt.regex": rf"^(?i)set @@session\.autocommit = 1, @@session\.character_set_client = utf8, "
                          rf"@@session\.sql_mode = '[A-Z_,]*' /\* {i} \*/$", "ok": {}}


def router_trace(n):
    """A JSON trace (as a dict) of `n` entries, the last the one STATEMENT matches."""
    return {**AUTH, "stmts": [_entry(i) for i in range(n - 1)] + [LAST]}


#: Router's JavaScript style: responses prepared up front in an object keyed by statement text,
#: looked up by a `stmts` function, with regular expressions after and globals read live. The
#: benchmark statements (SELECT 1, the 100-row result) are two of its keys.
JS_TRACE = r"""
var rows = [];
for (var i = 1; i <= 100; i++) rows.push([i, i * 2, "abcdefgh", (i / 3).toFixed(4), "zz"]);
var common_responses = {
  "SELECT 1": {result: {columns: [{name: "1", type: "LONGLONG"}], rows: [[1]]}},
  "SELECT seq AS id, seq * 2 AS a, 'abcdefgh' AS b, seq / 3 AS c, 'zz' AS d FROM seq_1_to_100":
    {result: {columns: [{name: "id", type: "LONGLONG"}, {name: "a", type: "LONGLONG"},
                        {name: "b", type: "VAR_STRING"}, {name: "c", type: "NEWDECIMAL"},
                        {name: "d", type: "VAR_STRING"}], rows: rows}},
  "select @@version_comment limit 1": {result: {columns: [{name: "@@version_comment", type: "STRING"}],
                                                 rows: [["mysql-server-mock"]]}},
  "SELECT @@group_replication_group_name": {result: {columns: [{name: "g", type: "STRING"}],
                                                     rows: [["%CLUSTER_ID%"]]}}
};
for (var n = 0; n < 40; n++) {
  common_responses["SELECT attributes->>'$.version' FROM mysql_innodb_cluster_metadata.v2_routers WHERE router_id = " + n] =
    {result: {columns: [{name: "v", type: "STRING"}], rows: [["8.0.36"]]}};
}
var router_update = /^UPDATE mysql_innodb_cluster_metadata\.v2_routers SET .* WHERE router_id = \d+$/;
var set_session = /^SET @@SESSION\./i;
({
  handshake: {auth: {username: "bench", password: "benchpw"}},
  stmts: function (stmt) {
    if (common_responses.hasOwnProperty(stmt)) return common_responses[stmt];
    if (router_update.test(stmt)) return {ok: {}};
    if (set_session.test(stmt)) return {ok: {}};
    if (stmt === "SELECT @@port") return {result: {columns: [{name: "@@port", type: "LONG"}],
                                                   rows: [[mysqld.session.port]]}};
    return {error: {code: 1273, sql_state: "HY000", message: "Syntax Error at: " + stmt}};
  }
})
""".replace("%CLUSTER_ID%", CLUSTER_ID)


def big_statement(size, matching):
    """A statement of `size` bytes in the shape of STATEMENT: with `matching`, one the last entry
    answers (a long cluster id); without, one no entry answers (text after the closing quote)."""
    head = "SELECT * FROM mysql_innodb_cluster_metadata.v2_this_instance WHERE cluster_id = '"
    tail = "'" if matching else "' AND cluster_name = 'x'"
    return head + "a" * (size - len(head) - len(tail)) + tail
