"""Start mysql_server_mock from Python tests and drive its REST API.

    from mysql_server_mock import MockServer

    with MockServer(trace={"stmts": [{"stmt": "select 1", "ok": {}}]}) as mock:
        connect(host=mock.host, port=mock.port)
        mock.wait_for("select 1")
"""
from .server import MockServer, MockServerError, JournalEntry

__all__ = ["MockServer", "MockServerError", "JournalEntry"]
