"""pytest plugin: the `mysql_mock` fixture, a mysql_server_mock per test.

    @pytest.mark.mysql_mock_trace({"stmts": [...]})   # or a path; default builtin:default
    def test_something(mysql_mock):
        conn = pymysql.connect(host=mysql_mock.host, port=mysql_mock.port, user="app")

`@pytest.mark.mysql_mock_args("--verbose", ...)` adds command-line options.

When a test that uses the fixture fails, its report gets a section with what the application
sent and what the mock answered: the journal's last statements, each with the trace entry that
answered it or, for one nothing answered, the explanation the client got.
"""
from __future__ import annotations

from typing import Any, Generator, Iterator

import pytest

from .server import MockServer, MockServerError

#: Statements shown in a failed test's report.
JOURNAL_LINES = 20


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    server = getattr(item, "funcargs", {}).get("mysql_mock")
    if report.when != "call" or not report.failed or not isinstance(server, MockServer):
        return
    try:
        entries = server.journal()
    except (MockServerError, OSError) as error:
        report.sections.append(("mysql_server_mock journal", f"(could not read the journal: {error})"))
        return
    report.sections.append(("mysql_server_mock journal", journal_text(entries, server)))


def journal_text(entries: list, server: MockServer) -> str:
    """The journal's last statements, one or two lines each."""
    lines = []
    if len(entries) > JOURNAL_LINES:
        lines.append(f"... {len(entries) - JOURNAL_LINES} earlier statements left out")
    for entry in entries[-JOURNAL_LINES:]:
        answer = entry.get("answered_by", "unmatched")
        if entry.get("fault"):
            answer += f", fault {entry['fault']}"
        lines.append(f"#{entry['seq']} conn {entry['connection']}: {entry['stmt']}  ->  {answer}")
        error = entry.get("error")
        if error:
            lines.append(f"    ERROR {error['code']} ({error['sql_state']}): {error['message']}")
    if not entries:
        lines.append("(no statement reached the mock)")
    lines.append(f"dashboard: {server.dashboard_url}")
    return "\n".join(lines)
