"""Hardening (issue 14): what a hostile client or input could do, and what the server does instead."""
import pymysql
import pytest

from test_hostile_clients import connect


def test_error_messages_are_cut_at_511_bytes_as_a_server_cuts_them(mock_server):
    server = mock_server()
    conn = connect(server)
    statement = "no such statement " + "x" * 200_000
    with pytest.raises(pymysql.err.ProgrammingError) as info:
        conn.cursor().execute(statement)
    code, message = info.value.args
    assert code == 1064
    assert 0 < len(message.encode()) <= 511, len(message.encode())
    conn.cursor().execute("select 1")  # the session goes on
    conn.close()
