"""`MockServer`: one mysql_server_mock process on free ports, ready when `with` returns."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

TraceLike = Union[str, os.PathLike, Mapping[str, Any], None]


class MockServerError(RuntimeError):
    """The server could not start (its own message included), or the REST API refused a call."""


class JournalEntry(dict):
    """One statement the server received, as the REST journal gives it (`stmt`, `answered_by`,
    `unmatched`, `response`, `connection`, `fault`, ...); a dict with attribute access."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def find_binary(binary: Optional[Union[str, os.PathLike]] = None) -> str:
    """`binary`, else `$MYSQL_SERVER_MOCK`, else `mysql_server_mock` on `PATH`."""
    candidate = binary or os.environ.get("MYSQL_SERVER_MOCK") or shutil.which("mysql_server_mock")
    if not candidate or not Path(candidate).exists():
        raise MockServerError(
            "mysql_server_mock was not found: pass binary=..., set MYSQL_SERVER_MOCK, or put it on PATH "
            f"(looked for {candidate or 'mysql_server_mock on PATH'})")
    return str(candidate)


class MockServer:
    """A mysql_server_mock process for one test.

    `trace` is a path, a dict (written to a temporary JSON file) or None (`builtin:default`).
    The classic port, the X port (`x_protocol=True`) and the REST port are free ports picked at
    start. Readiness is the server's own `READY=1` on a `NOTIFY_SOCKET` datagram, never a sleep;
    a server that exits at start raises `MockServerError` with what it printed.
    """

    def __init__(self, trace: TraceLike = None, *, binary: Optional[Union[str, os.PathLike]] = None,
                 x_protocol: bool = False, args: Sequence[str] = (), start_timeout: float = 30.0) -> None:
        self.binary = find_binary(binary)
        self.trace = trace
        self.x_protocol = x_protocol
        self.extra_args = list(args)
        self.start_timeout = start_timeout
        self.host = "127.0.0.1"
        self.port = 0
        self.x_port: Optional[int] = None
        self.http_port = 0
        self._process: Optional[subprocess.Popen] = None
        self._folder: Optional[tempfile.TemporaryDirectory] = None

    # Life cycle

    def __enter__(self) -> "MockServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="mysql-server-mock-")
        folder = Path(self._folder.name)
        if isinstance(self.trace, Mapping):
            trace_path = folder / "trace.json"
            trace_path.write_text(json.dumps(self.trace))
        else:
            trace_path = self.trace
        self.port, self.http_port = _free_port(), _free_port()
        argv = [self.binary, "--bind-address", self.host, "--port", str(self.port), "--http-port", str(self.http_port)]
        if trace_path is not None:
            argv += ["--filename", str(trace_path)]
        if self.x_protocol:
            self.x_port = _free_port()
            argv += ["--xport", str(self.x_port)]
        argv += self.extra_args
        notify_path = str(folder / "notify.sock")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        log_path = folder / "server.log"
        with open(log_path, "wb") as log:
            self._process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                              env={**os.environ, "NOTIFY_SOCKET": notify_path})
        try:
            deadline = time.monotonic() + self.start_timeout
            while True:
                if self._process.poll() is not None:
                    raise MockServerError(f"mysql_server_mock exited at start with {self._process.returncode}: "
                                          f"{log_path.read_text().strip()}")
                notify.settimeout(min(0.1, max(0.0, deadline - time.monotonic())) or 0.001)
                try:
                    if notify.recv(256).startswith(b"READY=1"):
                        return
                except socket.timeout:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise MockServerError(f"mysql_server_mock was not ready within {self.start_timeout} s: "
                                              f"{log_path.read_text().strip()}")
        finally:
            notify.close()

    def stop(self) -> None:
        """SIGTERM, then wait (SIGKILL after 10 s)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    @property
    def log(self) -> str:
        """What the server printed so far."""
        if self._folder is None:
            return ""
        path = Path(self._folder.name) / "server.log"
        return path.read_text() if path.exists() else ""

    # REST

    def _call(self, method: str, path: str, body: Any = None, expect: Sequence[int] = (200, 201, 204)) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://{self.host}:{self.http_port}/api/v1/mock_server/{path}",
                                         method=method, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                text = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            text, status = error.read().decode(), error.code
        if status not in expect:
            raise MockServerError(f"{method} {path}: {status} {text}")
        return json.loads(text) if text else None

    def globals(self) -> Dict[str, Any]:
        """Every global."""
        return self._call("GET", "globals")

    def get_global(self, key: str) -> Any:
        return self._call("GET", f"globals/{urllib.parse.quote(key, safe='')}")

    def set_global(self, key: str, value: Any) -> None:
        self._call("PUT", f"globals/{urllib.parse.quote(key, safe='')}", value)

    def update_globals(self, values: Mapping[str, Any]) -> None:
        """Merges `values` into the globals (PATCH)."""
        self._call("PATCH", "globals", dict(values))

    def replace_globals(self, values: Mapping[str, Any]) -> None:
        self._call("PUT", "globals", dict(values))

    def delete_global(self, key: str) -> None:
        self._call("DELETE", f"globals/{urllib.parse.quote(key, safe='')}")

    def connections(self) -> List[Dict[str, Any]]:
        return self._call("GET", "connections")

    def close_connection(self, connection_id: int) -> None:
        self._call("DELETE", f"connections/{connection_id}")

    def close_connections(self) -> None:
        self._call("DELETE", "connections")

    def journal(self, *, connection: Optional[int] = None, unmatched: bool = False,
                since: Optional[int] = None) -> List[JournalEntry]:
        """The statements received, oldest first, filtered as the REST journal filters."""
        query = {k: v for k, v in (("connection", connection), ("unmatched", "true" if unmatched else None),
                                   ("since", since)) if v is not None}
        path = "journal" + ("?" + urllib.parse.urlencode(query) if query else "")
        return [JournalEntry(e) for e in self._call("GET", path)["entries"]]

    def clear_journal(self) -> None:
        self._call("DELETE", "journal")

    def wait_for(self, stmt: Optional[str] = None, *, regex: Optional[str] = None, count: int = 1,
                 timeout: float = 5.0) -> List[JournalEntry]:
        """Waits until `count` statements equal to `stmt` (or matching `regex`) were received;
        raises `MockServerError` when `timeout` passes first."""
        if (stmt is None) == (regex is None):
            raise ValueError("give exactly one of stmt or regex")
        body = {"stmt": stmt} if stmt is not None else {"stmt_regex": regex}
        body.update(count=count, timeout_ms=int(timeout * 1000))
        return [JournalEntry(e) for e in self._call("POST", "journal/wait", body)["entries"]]

    def arm_fault(self, fault: Union[str, Mapping[str, Any]], *, count: int = 1, stmt: Optional[str] = None,
                  regex: Optional[str] = None, connection: Optional[int] = None) -> int:
        """Makes the next `count` matching statements fail as `fault` says (`"close"`, `"reset"`,
        `"stall"`, `"truncate"`, `"garbage"`, `{"after_rows": 2, "then": "close"}`, or the rows then an
        error: `{"after_rows": 2, "then": {"error": {"code": 1205, "message": "Lock wait timeout"}}}`); its id."""
        body: Dict[str, Any] = {"fault": fault, "count": count}
        if stmt is not None:
            body["stmt"] = stmt
        if regex is not None:
            body["stmt_regex"] = regex
        if connection is not None:
            body["connection"] = connection
        return self._call("POST", "faults", body)["id"]

    def faults(self) -> List[Dict[str, Any]]:
        return self._call("GET", "faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def reload_trace(self) -> str:
        return self._call("POST", "trace/reload")["trace"]

    def trace_status(self) -> Dict[str, Any]:
        """The trace's status: `name`, `loaded_at`, `reloads`, and `last_reload_failure` when the
        last reload failed."""
        return self._call("GET", "trace")

    def scenarios(self) -> List[Dict[str, Any]]:
        """The trace's scenarios: `name`, `scope`, `initial`, `states`, and `state` (a global
        scenario) or `connections` / `users` (those not in the initial state)."""
        return self._call("GET", "scenarios")

    def scenario(self, name: str) -> Dict[str, Any]:
        return self._call("GET", f"scenarios/{urllib.parse.quote(name, safe='')}")

    def set_scenario_state(self, name: str, state: str, *, connection: Optional[int] = None,
                           user: Optional[str] = None) -> None:
        """Moves scenario `name` to `state` (for one connection or user when it is kept per
        connection or per user), as an entry's `new_state` would."""
        body: Dict[str, Any] = {"state": state}
        if connection is not None:
            body["connection"] = connection
        if user is not None:
            body["user"] = user
        self._call("PUT", f"scenarios/{urllib.parse.quote(name, safe='')}", body)

    def reset_scenarios(self, name: Optional[str] = None) -> None:
        """Every scenario (or `name`) back to its initial state."""
        self._call("DELETE", "scenarios" + (f"/{urllib.parse.quote(name, safe='')}" if name else ""))

    def trace_coverage(self) -> Dict[str, Any]:
        """How many statements each trace entry answered: `entries` (`entry`, `stmt` or
        `stmt_regex`, `uses`) and `unused` (the labels of entries nothing used)."""
        return self._call("GET", "trace/coverage")

    def reset_trace_coverage(self) -> None:
        self._call("DELETE", "trace/coverage")

    @property
    def dashboard_url(self) -> str:
        """The dashboard's address, to open in a browser while a test is paused."""
        return f"http://{self.host}:{self.http_port}/"

    def recording(self) -> Dict[str, Any]:
        """The trace recorded so far (with `args=["--upstream", ...]`)."""
        return self._call("GET", "recording")

    def start_recording(self) -> None:
        self._call("POST", "recording/start")

    def stop_recording(self) -> None:
        self._call("POST", "recording/stop")

    def reset_recording(self) -> None:
        self._call("DELETE", "recording")

    def health(self) -> bool:
        answer = self._call("GET", "health")
        return isinstance(answer, dict) and answer.get("status") == "ok"
