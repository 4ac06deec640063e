"""pytest plugin: the `mysql_mock` fixture, a mysql_server_mock per test.

    @pytest.mark.mysql_mock_trace({"stmts": [...]})   # or a path; default builtin:default
    def test_something(mysql_mock):
        conn = pymysql.connect(host=mysql_mock.host, port=mysql_mock.port, user="app")

`@pytest.mark.mysql_mock_args("--verbose", ...)` adds command-line options.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from .server import MockServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mysql_mock_trace(trace): the trace the mysql_mock fixture serves "
                                       "(a path or a dict)")
    config.addinivalue_line("markers", "mysql_mock_args(*args): extra mysql_server_mock options")


@pytest.fixture
def mysql_mock(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """A running mysql_server_mock (free ports, ready), stopped after the test."""
    trace_marker = request.node.get_closest_marker("mysql_mock_trace")
    args_marker = request.node.get_closest_marker("mysql_mock_args")
    trace = trace_marker.args[0] if trace_marker and trace_marker.args else None
    args = list(args_marker.args) if args_marker else []
    with MockServer(trace, args=args) as server:
        yield server
