"""The dashboard at / (issue 22), driven in a real headless browser: Debian's chromium and
chromedriver, through Selenium from PyPI. Clients are PyMySQL, as a Python user's tests would be.

Screenshots go to $DASHBOARD_SCREENSHOTS when it is set (`make screenshots` sets it to
docs/screenshots, which the README shows), else to the test's temporary folder."""
import json
import os
import shutil
import time
from pathlib import Path

import pymysql
import pytest
from conftest import free_port, rest_call

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

TRACE = {
    "stmts": [
        {"stmt": "SELECT 1", "result": {"columns": [{"name": "1", "type": "LONGLONG"}], "rows": [[1]]}},
        {"stmt": "SELECT @@version_comment",
         "result": {"columns": [{"name": "@@version_comment", "type": "STRING"}], "rows": [["mock"]]}},
        {"stmt": "SELECT greeting",
         "result": {"columns": [{"name": "greeting", "type": "STRING"}],
                    "rows": [[{"$global": "greeting", "default": "unset"}]]}},
        {"stmt": "SELECT slowly", "exec_time": 120,
         "result": {"columns": [{"name": "slowly", "type": "LONGLONG"}], "rows": [[7]]}},
        {"stmt": "SET AUTOCOMMIT = 0", "ok": {}},
        {"stmt_regex": "^SET .*", "ok": {}},
    ]
}


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("chromium and chromium-driver are missing: scripts/setup.sh test installs them")
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,800", "--force-device-scale-factor=1", "--lang=en-US",
                     "--disable-background-networking", "--no-first-run"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver is Debian's: Selenium must not look for one on the network.
    os.environ.setdefault("SE_OFFLINE", "true")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser):
    """The browser at 1280×800 with a clean tab; after the test, no script error may have been logged."""
    browser.set_window_size(1280, 800)
    browser.get("about:blank")
    browser.get_log("browser")
    yield browser
    # The browser logs every answer of 4xx as a network error (a refused reload, a 401 before the
    # token); what must not appear is an error of the script itself.
    errors = [entry for entry in browser.get_log("browser")
              if entry["level"] == "SEVERE" and entry.get("source") != "network"]
    assert not errors, errors


def start(mock_server, tmp_path, trace=TRACE, args=()):
    http = free_port()
    path = tmp_path / "dashboard.json"
    path.write_text(json.dumps(trace))
    server = mock_server(path, args=["--http-port", str(http), *args])
    server.http = http
    server.trace_path = path
    server.url = f"http://127.0.0.1:{http}/"
    return server


def open_dashboard(driver, server):
    """Loads the page and waits until it has heard from the server once (its heartbeat says live)."""
    driver.get(server.url)
    wait(driver, lambda d: d.find_element(By.ID, "heartbeat").text.startswith("live"), timeout=10,
         message="the page did not go live")


def connect(server, **kwargs):
    return pymysql.connect(host="127.0.0.1", port=server.port, user="app", password="secret", autocommit=None,
                           **kwargs)


def wait(driver, condition, timeout=5, message=""):
    # Rows are replaced as the page redraws: a row read mid-redraw is read again.
    return WebDriverWait(driver, timeout, poll_frequency=0.02,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition, message)


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#journal-rows tr")


def row_for(driver, statement):
    """The journal row whose statement cell starts with `statement`, or None (looked up in the page:
    one WebDriver call, however many rows)."""
    return driver.execute_script("""
        for (const row of document.querySelectorAll('#journal-rows tr')) {
          if (row.cells.length > 4 && row.cells[4].textContent.startsWith(arguments[0])) return row;
        }
        return null;""", statement)


def audit(driver):
    """The accessibility rules axe-core finds broken in the page: (rule, impact, first element)."""
    from axe_selenium_python import Axe
    axe = Axe(driver)
    axe.inject()
    return [(v["id"], v["impact"], v["nodes"][0]["target"], v["help"]) for v in axe.run()["violations"]]


def screenshot(driver, name, tmp_path):
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    assert driver.save_screenshot(str(path)), path
    assert path.stat().st_size > 10_000
    return path


def test_statements_appear_in_the_journal_within_a_second(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    open_dashboard(page, server)
    wait(page, lambda d: d.find_element(By.ID, "trace-name").text == "dashboard.json", message="trace name")
    with connect(server) as conn, conn.cursor() as cursor:
        for statement in ["SELECT 1", "SELECT @@version_comment", "SELECT slowly"]:
            sent = time.monotonic()
            cursor.execute(statement)
            cursor.fetchall()
            wait(page, lambda d: row_for(d, statement) is not None, timeout=1.0,
                 message=f"{statement} did not appear within a second")
            assert time.monotonic() - sent < 1.0
        connection_id = conn.thread_id()
    row = row_for(page, "SELECT slowly")
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[2] == str(connection_id)
    assert cells[3].split() == ["query", "result"]
    assert cells[5] == "stmts[3]"
    # exec_time 120 ms is part of the statement's duration.
    value, unit = cells[6].split()
    assert unit == "ms" and 120 <= float(value) < 1000, cells[6]
    assert row_for(page, "SELECT 1").find_elements(By.TAG_NAME, "td")[5].text == "stmts[0]"
    # Newest first.
    statements = [r.find_elements(By.TAG_NAME, "td")[4].text for r in rows(page)]
    assert statements.index("SELECT slowly") < statements.index("SELECT 1")
    # The trace's entries nothing used: SELECT greeting and SET AUTOCOMMIT = 0 (PyMySQL's SET NAMES
    # took the regex), named on hover.
    wait(page, lambda d: d.find_element(By.ID, "trace-unused").text == "2 of 6", timeout=3.0,
         message="unused entries")
    assert page.find_element(By.ID, "trace-unused").get_attribute("title") \
        == "stmts[2] SELECT greeting\nstmts[4] SET AUTOCOMMIT = 0"


def test_an_unmatched_statement_shows_its_near_miss(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    open_dashboard(page, server)
    with connect(server) as conn, conn.cursor() as cursor:
        with pytest.raises(pymysql.err.ProgrammingError) as error:
            cursor.execute("SELECT @@version_comments")
    wait(page, lambda d: row_for(d, "SELECT @@version_comments") is not None, timeout=1.0)
    row = row_for(page, "SELECT @@version_comments")
    assert "unmatched" in row.get_attribute("class")
    answer = row.find_elements(By.TAG_NAME, "td")[5]
    near = answer.find_element(By.CLASS_NAME, "nearmiss").text
    # The page shows the very explanation the client got, which names the closest entry.
    assert near == error.value.args[1]
    assert 'closest trace entry: stmts[1] "SELECT @@version_comment"' in near
    assert answer.find_element(By.CLASS_NAME, "tag").text == "unmatched"


def test_statement_and_trace_text_never_become_markup(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    open_dashboard(page, server)
    hostile = """SELECT '<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script><b>bold</b>'"""
    with connect(server) as conn, conn.cursor() as cursor:
        with pytest.raises(pymysql.err.ProgrammingError):
            cursor.execute(hostile)
    rest_call(server.http, "PUT", "globals/%3Cb%3Ename%3C%2Fb%3E", {"html": "<img src=y onerror=alert(1)>"})
    wait(page, lambda d: row_for(d, hostile) is not None, timeout=2.0)
    wait(page, lambda d: "<b>name</b>" in d.find_element(By.ID, "globals").text, timeout=5.0)
    row = row_for(page, hostile)
    assert row.find_elements(By.TAG_NAME, "td")[4].text == hostile
    assert hostile in row.find_element(By.CLASS_NAME, "nearmiss").text
    for selector in ["#content img", "#content script", "#content b"]:
        assert page.find_elements(By.CSS_SELECTOR, selector) == [], selector
    assert page.title == "mysql-server-mock"
    assert "<img src=y onerror=alert(1)>" in page.find_element(By.ID, "globals").text


def test_a_global_edited_in_the_page_is_read_by_the_next_statement(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    open_dashboard(page, server)
    with connect(server) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT greeting")
        assert cursor.fetchall() == (("unset",),)
        name = page.find_element(By.ID, "global-name")
        name.send_keys("greeting")
        page.find_element(By.ID, "global-value").send_keys('"hello from the page"')
        page.find_element(By.ID, "global-save").click()
        wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, '#globals tr[data-name="greeting"]'), timeout=2.0)
        assert page.find_element(By.CSS_SELECTOR, '#globals tr[data-name="greeting"] td.value').text \
            == '"hello from the page"'
        cursor.execute("SELECT greeting")
        assert cursor.fetchall() == (("hello from the page",),)
        # Edit fills the form with the value; a number past 2^53 reaches the server exactly.
        page.find_element(By.CSS_SELECTOR, '#globals button[aria-label="Edit greeting"]').click()
        value = page.find_element(By.ID, "global-value")
        assert json.loads(value.get_attribute("value")) == "hello from the page"
        value.clear()
        value.send_keys("12345678901234567891")
        page.find_element(By.ID, "global-save").click()
        wait(page, lambda d: "12345678901234567891" in d.find_element(By.ID, "globals").text, timeout=2.0)
        cursor.execute("SELECT greeting")
        assert cursor.fetchall() == (("12345678901234567891",),)
    assert rest_call(server.http, "GET", "globals/greeting") == (200, 12345678901234567891)


SCENARIO_TRACE = {
    "scenarios": {"failover": {"initial": "primary", "states": ["secondary"]},
                  "mode": {"initial": "unset", "scope": "connection"}},
    "stmts": [
        {"stmt": "SELECT role", "scenario": "failover", "required_state": "primary",
         "result": {"columns": [{"name": "role", "type": "STRING"}], "rows": [["primary"]]}},
        {"stmt": "SELECT role", "scenario": "failover", "required_state": "secondary",
         "result": {"columns": [{"name": "role", "type": "STRING"}], "rows": [["secondary"]]}},
        {"stmt": "SET @mode = 'strict'", "scenario": "mode", "new_state": "strict", "ok": {}},
        {"stmt_regex": "^SET .*", "ok": {}},
    ]
}


def test_scenarios_are_shown_moved_and_reset_from_the_page(mock_server, tmp_path, page):
    plain = start(mock_server, tmp_path)
    open_dashboard(page, plain)
    time.sleep(2.2)  # a poll of the scenarios has run
    assert not page.find_element(By.ID, "scenarios-panel").is_displayed()

    server = start(mock_server, tmp_path, trace=SCENARIO_TRACE)
    open_dashboard(page, server)
    wait(page, lambda d: d.find_element(By.ID, "scenarios-panel").is_displayed(), timeout=3.0)
    select = Select(page.find_element(By.CSS_SELECTOR, 'select[data-state-of="failover"]'))
    assert select.first_selected_option.text == "primary"
    assert [o.text for o in select.options] == ["primary", "secondary"]

    def role(cursor):
        cursor.execute("SELECT role")
        return cursor.fetchall()[0][0]

    with connect(server) as conn, conn.cursor() as cursor:
        assert role(cursor) == "primary"
        select.select_by_value("secondary")
        page.find_element(By.CSS_SELECTOR, 'button[aria-label="Set the state of failover"]').click()
        wait(page, lambda d: "failover is now secondary" in d.find_element(By.ID, "live").text, timeout=2.0)
        assert rest_call(server.http, "GET", "scenarios/failover")[1]["state"] == "secondary"
        assert role(cursor) == "secondary"

        # A statement moves a connection's state: the page shows whose, within two polls, and the
        # journal's row says what it moved.
        cursor.execute("SET @mode = 'strict'")
        wait(page, lambda d: row_for(d, "SET @mode = 'strict'") is not None
             and "scenario mode: unset → strict" in row_for(d, "SET @mode = 'strict'").text, timeout=2.0)
        me = rest_call(server.http, "GET", "connections")[1][0]["id"]
        wait(page, lambda d: f"connection {me}: strict" in d.find_element(
            By.CSS_SELECTOR, '#scenarios tr[data-scenario="mode"]').text, timeout=3.0)

        # Reset, pressed from the keyboard, puts the scenario back for the client.
        reset = page.find_element(By.CSS_SELECTOR, 'button[aria-label="Reset failover to primary"]')
        reset.send_keys(Keys.ENTER)
        wait(page, lambda d: "failover is back to its initial state" in d.find_element(By.ID, "live").text, timeout=2.0)
        assert role(cursor) == "primary"
        wait(page, lambda d: Select(d.find_element(By.CSS_SELECTOR, 'select[data-state-of="failover"]'))
             .first_selected_option.text == "primary", timeout=3.0)
        assert page.switch_to.active_element.get_attribute("aria-label") == "Reset failover to primary"
    # The client is gone, and its connection's state with it (audited once the page has redrawn).
    mode_row = '#scenarios tr[data-scenario="mode"]'
    try:
        wait(page, lambda d: "unset for every connection" in d.find_element(By.CSS_SELECTOR, mode_row).text, timeout=3.0)
    except Exception:
        raise AssertionError(page.find_element(By.CSS_SELECTOR, mode_row).text)
    assert audit(page) == []


def test_invalid_json_is_refused_in_the_page(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    rest_call(server.http, "PUT", "globals/greeting", "kept")
    open_dashboard(page, server)
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, '#globals tr[data-name="greeting"]'), timeout=3.0)
    page.find_element(By.ID, "global-name").send_keys("greeting")
    value = page.find_element(By.ID, "global-value")
    value.send_keys("{not: json")
    page.find_element(By.ID, "global-save").click()
    error = page.find_element(By.ID, "global-error")
    wait(page, lambda d: error.text, timeout=1.0)
    assert error.text.startswith("Not valid JSON, nothing was sent:")
    assert value.get_attribute("aria-invalid") == "true"
    assert page.switch_to.active_element == value
    # Nothing reached the server.
    time.sleep(0.3)
    assert rest_call(server.http, "GET", "globals") == (200, {"greeting": "kept"})
    journal = rest_call(server.http, "GET", "journal")[1]
    assert journal["entries"] == []
    # Typing again clears the complaint; a name is required too.
    value.send_keys(Keys.BACKSPACE)
    assert error.text == "" and value.get_attribute("aria-invalid") is None
    page.find_element(By.ID, "global-name").clear()
    value.clear()
    value.send_keys("1")
    page.find_element(By.ID, "global-save").click()
    assert error.text == "Give the global a name."
    assert rest_call(server.http, "GET", "globals") == (200, {"greeting": "kept"})


def test_closing_a_connection_from_the_page_drops_that_client(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    open_dashboard(page, server)
    victim, bystander = connect(server), connect(server)
    try:
        victim_id = victim.thread_id()
        button = wait(page, lambda d: d.find_elements(
            By.CSS_SELECTOR, f'#connections button[aria-label="Close connection {victim_id}"]'), timeout=3.0)[0]
        cells = page.find_element(By.CSS_SELECTOR, f'#connections tr[data-id="{victim_id}"]').find_elements(
            By.TAG_NAME, "td")
        assert cells[1].text == "classic"
        assert cells[2].text.startswith("127.0.0.1:") and cells[3].text == "app" and cells[5].text == "no"
        # By keyboard: focus the button and press Enter.
        page.execute_script("arguments[0].focus()", button)
        button.send_keys(Keys.ENTER)
        wait(page, lambda d: not d.find_elements(By.CSS_SELECTOR, f'#connections tr[data-id="{victim_id}"]'),
             timeout=3.0)
        with pytest.raises(pymysql.err.OperationalError) as error:
            with victim.cursor() as cursor:
                cursor.execute("SELECT 1")
        assert error.value.args[0] in (2006, 2013)
        with bystander.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchall() == ((1,),)
        assert page.find_element(By.ID, "live").text == f"closed connection {victim_id}"
        assert page.find_element(By.ID, "live").get_attribute("role") == "status"
    finally:
        bystander.close()


def test_x_protocol_sessions_and_statements(mock_server, tmp_path, page):
    import mysqlx
    xport = free_port()
    server = start(mock_server, tmp_path, args=["--xport", str(xport)])
    open_dashboard(page, server)
    session = mysqlx.get_session(host="127.0.0.1", port=xport, user="app", password="secret", ssl_mode="DISABLED")
    try:
        assert session.sql("SELECT 1").execute().fetch_all()[0][0] == 1
        wait(page, lambda d: row_for(d, "SELECT 1") is not None, timeout=1.0)
        assert row_for(page, "SELECT 1").find_elements(By.TAG_NAME, "td")[3].text.split() == ["query", "result", "X"]
        wait(page, lambda d: [r.find_elements(By.TAG_NAME, "td")[1].text
                              for r in d.find_elements(By.CSS_SELECTOR, "#connections tr")] == ["X"], timeout=3.0)
    finally:
        session.close()


def test_filters_by_connection_unmatched_and_text(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    open_dashboard(page, server)
    with connect(server) as a, connect(server) as b:
        with a.cursor() as cursor:
            cursor.execute("SELECT 1")
            with pytest.raises(pymysql.err.ProgrammingError):
                cursor.execute("SELECT nothing_like_it")
        with b.cursor() as cursor:
            cursor.execute("SELECT @@version_comment")
        wait(page, lambda d: row_for(d, "SELECT @@version_comment") is not None, timeout=1.0)
        a_id, b_id = a.thread_id(), b.thread_id()

        def shown():
            # PyMySQL's own SET NAMES at connect is in the journal too.
            statements = [r.find_elements(By.TAG_NAME, "td")[4].text for r in rows(page)]
            return [s for s in statements if not s.startswith("SET ")]

        Select(page.find_element(By.ID, "filter-connection")).select_by_value(str(b_id))
        assert shown() == ["SELECT @@version_comment"]
        Select(page.find_element(By.ID, "filter-connection")).select_by_value(str(a_id))
        assert set(shown()) == {"SELECT 1", "SELECT nothing_like_it"}
        unmatched = page.find_element(By.ID, "filter-unmatched")
        unmatched.send_keys(Keys.SPACE)  # a checkbox, by keyboard
        assert shown() == ["SELECT nothing_like_it"]
        unmatched.click()
        Select(page.find_element(By.ID, "filter-connection")).select_by_value("")
        page.find_element(By.ID, "filter-text").send_keys("version")
        assert shown() == ["SELECT @@version_comment"]
        # The text filter also searches the answer: the entry's name, the near-miss message.
        page.find_element(By.ID, "filter-text").clear()
        page.find_element(By.ID, "filter-text").send_keys("closest trace entry")
        assert shown() == ["SELECT nothing_like_it"]
        page.find_element(By.ID, "filter-text").clear()
        page.find_element(By.ID, "filter-text").send_keys("no such text")
        assert shown() == []
        assert page.find_element(By.ID, "journal-empty").text == "No statement passes the filters."


def test_a_burst_of_statements_keeps_the_page_bounded_and_live(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    open_dashboard(page, server)
    wait(page, lambda d: d.find_element(By.ID, "trace-name").text == "dashboard.json", timeout=3.0)
    with connect(server) as conn, conn.cursor() as cursor:
        for _ in range(3000):
            cursor.execute("SELECT 1")
        cursor.execute("SELECT @@version_comment")
        sent = time.monotonic()
        wait(page, lambda d: row_for(d, "SELECT @@version_comment") is not None, timeout=3.0)
        print(f"3000 statements drawn {time.monotonic() - sent:.2f} s after the last")
    total = len(rest_call(server.http, "GET", "journal")[1]["entries"])
    assert total >= 3001
    # Every entry counted, the newest 1000 drawn, the newest on top.
    wait(page, lambda d: d.find_element(By.ID, "journal-count").text == f"({total})", timeout=2.0)
    assert len(rows(page)) == 1000
    assert rows(page)[0].find_elements(By.TAG_NAME, "td")[4].text == "SELECT @@version_comment"


def test_journal_cleared_elsewhere_starts_again(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    open_dashboard(page, server)
    with connect(server) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1")
        wait(page, lambda d: row_for(d, "SELECT 1") is not None, timeout=1.0)
        assert rest_call(server.http, "DELETE", "journal")[0] == 200
        wait(page, lambda d: rows(d) == [], timeout=2.0)
        cursor.execute("SELECT @@version_comment")
        wait(page, lambda d: [r.find_elements(By.TAG_NAME, "td")[4].text for r in rows(d)]
             == ["SELECT @@version_comment"], timeout=1.0)
        # And from the page.
        page.find_element(By.ID, "clear-journal").click()
        wait(page, lambda d: rows(d) == [], timeout=2.0)
    assert rest_call(server.http, "GET", "journal")[1]["entries"] == []


def test_trace_name_and_a_failed_reload(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    open_dashboard(page, server)
    wait(page, lambda d: d.find_element(By.ID, "trace-reloads").text == "0", timeout=3.0)
    assert page.find_element(By.ID, "trace-failure").is_displayed() is False
    server.trace_path.write_text('{"stmts": [{"stmt": "SELECT 1", "result": {"rows": "not rows"}}]}')
    page.find_element(By.ID, "reload-trace").click()
    banner = page.find_element(By.ID, "trace-failure")
    wait(page, lambda d: banner.is_displayed(), timeout=3.0)
    assert "failed; new connections still get " + str(server.trace_path) + ":" in banner.text
    assert 'stmts[0].result: missing field "columns"' in banner.text
    assert page.find_element(By.ID, "live").text.startswith("reload refused")
    server.trace_path.write_text(json.dumps(TRACE))
    page.find_element(By.ID, "reload-trace").click()
    wait(page, lambda d: d.find_element(By.ID, "trace-reloads").text == "1", timeout=3.0)
    assert not banner.is_displayed()


def test_a_token_protected_api(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path, args=["--http-auth-token", "s3cret"])
    # The page itself loads; the data needs the token.
    page.get(server.url)
    form = page.find_element(By.ID, "token-form")
    wait(page, lambda d: form.is_displayed(), timeout=3.0)
    assert page.find_element(By.ID, "trace-name").text == "…"
    assert audit(page) == []
    token = page.find_element(By.ID, "token")
    token.send_keys("wrong", Keys.ENTER)
    wait(page, lambda d: d.find_element(By.ID, "token-error").text == "The server refused this token.", timeout=3.0)
    token.clear()
    token.send_keys("s3cret", Keys.ENTER)
    wait(page, lambda d: d.find_element(By.ID, "trace-name").text == "dashboard.json", timeout=3.0)
    assert not form.is_displayed()
    # In the address, as #token=…: taken out of the address bar, never sent to the server.
    page.execute_script("sessionStorage.clear()")
    page.get(server.url + "#token=s3cret")
    wait(page, lambda d: d.find_element(By.ID, "trace-name").text == "dashboard.json", timeout=3.0)
    assert page.current_url == server.url


def test_the_page_obeys_the_apis_host_rule(mock_server, tmp_path):
    import http.client
    server = start(mock_server, tmp_path)
    connection = http.client.HTTPConnection("127.0.0.1", server.http, timeout=10)
    connection.request("GET", "/", headers={"Host": "attacker.example:80"})
    response = connection.getresponse()
    assert response.status == 403
    response.read()
    connection.request("GET", "/")
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "script-src 'self'" in response.getheader("Content-Security-Policy")
    assert "<script src=\"/dashboard.js\" defer></script>" in body
    # Nothing from elsewhere: no address outside this server in the page, its script or its styles.
    for path in ["/", "/dashboard.js", "/dashboard.css"]:
        connection.request("GET", path)
        text = connection.getresponse().read().decode()
        assert "http://" not in text and "https://" not in text, path
    connection.close()


def test_accessible_and_readable_at_1280_and_narrow(mock_server, tmp_path, page):
    server = start(mock_server, tmp_path)
    rest_call(server.http, "PUT", "globals", {"primary_port": 3306, "gr_nodes": [[1, "ONLINE"], [2, "ONLINE"]],
                                             "greeting": "hello"})
    open_dashboard(page, server)
    with connect(server) as conn, connect(server) as other:
        with conn.cursor() as cursor:
            for statement in ["SELECT 1", "SELECT @@version_comment", "SELECT greeting", "SELECT slowly"]:
                cursor.execute(statement)
            with pytest.raises(pymysql.err.ProgrammingError):
                cursor.execute("SELECT @@version_coment")
        with other.cursor() as cursor:
            cursor.execute("SELECT 1")
        wait(page, lambda d: len(rows(d)) >= 6, timeout=2.0)
        wait(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#connections tr")) == 2, timeout=3.0)
        wait(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#globals tr")) == 3, timeout=3.0)
        # Only SET AUTOCOMMIT = 0 is still unused (the page reads the counts every two seconds).
        wait(page, lambda d: d.find_element(By.ID, "trace-unused").text == "1 of 6", timeout=3.0)

        # Every control has a name a screen reader reads out.
        unnamed = page.execute_script("""
            const missing = [];
            for (const el of document.querySelectorAll('input, select, textarea, button')) {
              const labelled = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.textContent.trim();
              if (!labelled) missing.push(el.outerHTML);
            }
            return missing;""")
        assert unnamed == []

        # axe-core (bundled by axe-selenium-python from PyPI) finds nothing to fix in the page.
        assert audit(page) == []

        # 1280×800: no horizontal scrolling of the page; the journal's statement column readable.
        assert page.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        width = page.execute_script(
            "return document.querySelector('#journal-rows tr td.stmt').getBoundingClientRect().width")
        assert width >= 200, width
        page.execute_script("window.scrollTo(0, 0)")  # axe scrolls as it checks contrast
        screenshot(page, "dashboard-1280x800.png", tmp_path)

        # A narrow window: one column, still no page-wide horizontal scrolling.
        page.set_window_size(420, 900)
        wait(page, lambda d: d.execute_script("return window.innerWidth") <= 420, timeout=2.0)
        assert page.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        tops = page.execute_script("""return ['.connections', '.globals', '.journal'].map(
            s => document.querySelector(s).getBoundingClientRect().top)""")
        assert tops == sorted(tops) and len(set(tops)) == 3, tops
        # The journal's rows become cards: nothing to scroll sideways, each cell named.
        assert page.execute_script(
            "const s = document.querySelector('#journal .scroll'); return s.scrollWidth <= s.clientWidth")
        first = page.find_element(By.CSS_SELECTOR, "#journal-rows tr")
        assert page.execute_script(
            "return getComputedStyle(arguments[0].querySelector('td.stmt'), '::before').content", first) \
            == '"Statement "'
        page.execute_script("document.getElementById('journal').scrollIntoView()")
        assert audit(page) == []
        screenshot(page, "dashboard-narrow.png", tmp_path)

        # The keyboard reaches the controls: the skip link first, and it leads to the journal.
        page.set_window_size(1280, 800)
        page.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        skip = page.switch_to.active_element
        assert skip.text == "Skip to the journal"
        skip.send_keys(Keys.ENTER)
        assert page.current_url.endswith("#journal")


def test_a_cluster_offers_its_nodes(tmp_path, page):
    from conftest import MockProcess
    http = free_port()
    trace = tmp_path / "node.json"
    trace.write_text(json.dumps(TRACE))
    nodes = [{"name": name, "port": free_port(), "filename": str(trace)} for name in ["alpha", "beta"]]
    config = tmp_path / "cluster.json"
    config.write_text(json.dumps({"http_port": http, "nodes": nodes}))
    cluster = MockProcess(["--cluster", str(config)], tmp_path)
    try:
        page.get(f"http://127.0.0.1:{http}/")
        choice = page.find_element(By.ID, "node-choice")
        wait(page, lambda d: choice.is_displayed(), timeout=3.0)
        select = Select(page.find_element(By.ID, "node"))
        assert [o.get_attribute("value") for o in select.options] == ["alpha", "beta"]
        with pymysql.connect(host="127.0.0.1", port=nodes[1]["port"], user="app", password="x",
                             autocommit=None) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT @@version_comment")
            select.select_by_value("beta")
            wait(page, lambda d: row_for(d, "SELECT @@version_comment") is not None, timeout=2.0)
            wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#connections tr"), timeout=3.0)
            select.select_by_value("alpha")
            wait(page, lambda d: rows(d) == [] and not d.find_elements(By.CSS_SELECTOR, "#connections tr"),
                 timeout=3.0)
            assert page.find_element(By.ID, "trace-name").text == "node.json"
            assert page.find_element(By.ID, "trace-name").get_attribute("title") == str(trace)
    finally:
        cluster.stop()
