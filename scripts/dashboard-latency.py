#!/usr/bin/env python3
"""How long after a client's statement returns its row is in the dashboard's journal table:
the debug binary, headless Chromium (Debian's), PyMySQL; prints p50 / p90 / max over N statements.

    .venv/bin/python scripts/dashboard-latency.py [N]
"""
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "Integration"))

import pymysql  # noqa: E402
from conftest import MockProcess, free_port  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

count = int(sys.argv[1]) if len(sys.argv) > 1 else 40
tmp = Path(tempfile.mkdtemp())
trace = tmp / "trace.json"
trace.write_text(json.dumps({"fallback": "builtin:default", "stmts": [
    {"stmt_regex": "^SELECT [0-9]+$", "result": {"columns": [{"name": "a", "type": "LONG"}], "rows": [[1]]}}]}))
port, http = free_port(), free_port()
server = MockProcess(["--filename", str(trace), "--port", str(port), "--http-port", str(http)], tmp)
options = Options()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800"]:
    options.add_argument(argument)
browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    browser.get(f"http://127.0.0.1:{http}/")
    time.sleep(1)
    conn = pymysql.connect(host="127.0.0.1", port=port, user="u", password="")
    cursor = conn.cursor()
    latencies = []
    for i in range(count):
        statement = f"SELECT {1000 + i}"
        cursor.execute(statement)
        cursor.fetchall()
        sent = time.monotonic()
        while not browser.execute_script(
                "const r = document.querySelector('#journal-rows tr'); return r && r.cells[4].textContent === arguments[0]",
                statement):
            time.sleep(0.002)
        latencies.append((time.monotonic() - sent) * 1000)
        time.sleep(0.137)  # off the beat of any timer
    conn.close()
finally:
    browser.quit()
    server.stop()
latencies.sort()
print(f"n={count} p50={statistics.median(latencies):.0f} ms p90={latencies[int(count * 0.9)]:.0f} ms "
      f"max={latencies[-1]:.0f} ms")
