"""The pytest plugin, in a small pytest project run by pytester."""


def test_the_fixture_serves_the_marked_trace(pytester):
    pytester.makepyfile(test_app="""
        import pymysql
        import pytest

        @pytest.mark.mysql_mock_trace({"stmts": [{"stmt": "select name from users",
            "result": {"columns": [{"name": "name", "type": "VAR_STRING"}], "rows": [["ada"]]}}],
            "fallback": "builtin:default"})
        def test_reads_users(mysql_mock):
            conn = pymysql.connect(host=mysql_mock.host, port=mysql_mock.port, user="app")
            with conn.cursor() as cur:
                cur.execute("select name from users")
                assert cur.fetchall() == (("ada",),)
            assert mysql_mock.wait_for("select name from users")[0].answered_by == "stmts[0]"

        def test_default_trace(mysql_mock):
            conn = pymysql.connect(host=mysql_mock.host, port=mysql_mock.port, user="app")
            with conn.cursor() as cur:
                cur.execute("select @@version_comment limit 1")
                assert cur.fetchone() == ("mysql-server-mock",)

        @pytest.mark.mysql_mock_args("--verbose")
        def test_args(mysql_mock):
            assert mysql_mock.health()
    """)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=3)


def test_a_broken_trace_fails_the_test_with_the_servers_message(pytester):
    pytester.makepyfile(test_broken="""
        import pytest

        @pytest.mark.mysql_mock_trace({"stmts": "not a list"})
        def test_broken(mysql_mock):
            pass
    """)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*exited at start with 1*stmts*"])


def test_a_failing_test_reports_what_the_mock_received_and_answered(pytester):
    pytester.makepyfile(test_failing="""
        import pymysql
        import pytest

        @pytest.mark.mysql_mock_trace({"stmts": [{"stmt": "select name from users",
            "result": {"columns": [{"name": "name", "type": "VAR_STRING"}], "rows": [["ada"]]}}],
            "fallback": "builtin:default"})
        def test_typo(mysql_mock):
            conn = pymysql.connect(host=mysql_mock.host, port=mysql_mock.port, user="app")
            with conn.cursor() as cur:
                cur.execute("select name from users")
                cur.execute("select nmae from users")
    """)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(failed=1)
    # (fnmatch: `[[]` is a literal `[`.)
    result.stdout.fnmatch_lines([
        "*mysql_server_mock journal*",
        "#2 conn *: select name from users  ->  stmts[[]0]",
        "#3 conn *: select nmae from users  ->  unmatched",
        '    ERROR 1064 (*): Unknown statement: "select nmae from users"; closest trace entry: stmts[[]0] '
        '"select name from users" (the fallback does not answer it either)',
        "dashboard: http://127.0.0.1:*/",
    ])
