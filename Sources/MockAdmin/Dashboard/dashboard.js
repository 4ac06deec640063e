// mysql-server-mock dashboard. Everything it shows comes from the REST API under
// /api/v1/mock_server/ and goes into the page through textContent only: a statement or a trace's
// text never becomes markup.
"use strict";

(() => {
  const API = "/api/v1/mock_server/";
  /// Connections every second; globals, the trace and its scenarios every two.
  const POLL_MS = 1000;
  /// How long one read of the journal waits at the server for the next statement (a long poll:
  /// a statement shows as soon as it is answered).
  const JOURNAL_WAIT_MS = 10000;
  /// Entries kept in the page, and rows drawn (newest first).
  const MAX_ENTRIES = 5000;
  const MAX_ROWS = 1000;

  const $ = (id) => document.getElementById(id);

  const state = {
    /// The API of the server, or of the node picked (`nodes/NAME/`) when the server is a cluster.
    base: API,
    token: null,
    entries: [],
    lastSeq: 0,
    resets: null,
    paused: false,
    connections: [],
    connectionsSignature: "",
    globalsSignature: "",
    scenariosSignature: "",
    filters: { connection: "", text: "", unmatched: false },
    ticks: 0,
    timer: null,
    needsToken: false,
    offline: false,
    /// Bumped when the page starts over (another node, a token): older loops stop.
    generation: 0,
    /// Aborts the journal read in flight (pause, another node).
    abort: new AbortController(),
  };

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /// One call to the API; the parsed JSON, the text, or null for an empty answer.
  async function api(path, { method = "GET", body, root = false, exact = false, signal } = {}) {
    const headers = {};
    if (state.token) headers.Authorization = "Bearer " + state.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch((root ? API : state.base) + path, { method, headers, body, cache: "no-store", signal });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, "the server does not answer (" + error.message + ")");
    }
    if (response.status === 401) {
      askForToken(state.token ? "The server refused this token." : "");
      throw new ApiError(401, "the API needs a token");
    }
    const text = await response.text();
    if (!response.ok) throw new ApiError(response.status, text.trim() || response.status + " " + response.statusText);
    if (!text) return null;
    if (!(response.headers.get("Content-Type") || "").includes("json")) return text;
    return exact ? JSON.parse(text, exactNumbers) : JSON.parse(text);
  }

  /// Keeps a number JavaScript cannot hold (past 2^53, more digits than a double) as the text the
  /// server sent, so showing it, or editing and saving it, does not change it.
  function exactNumbers(key, value, context) {
    if (typeof value !== "number" || !context || typeof JSON.rawJSON !== "function") return value;
    return String(value) === context.source ? value : JSON.rawJSON(context.source);
  }

  // MARK: Small helpers

  function element(tag, { text, className, attributes } = {}) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    return node;
  }

  /// A cell; `label` names its column where a narrow window shows rows as cards.
  function cell(row, text, className, label) {
    const td = element("td", { text, className, attributes: label ? { "data-label": label } : {} });
    row.append(td);
    return td;
  }

  function tag(text, className) {
    return element("span", { text, className: "tag " + (className || "") });
  }

  function clock(seconds) {
    const date = new Date(seconds * 1000);
    const pad = (n, width = 2) => String(n).padStart(width, "0");
    return pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) + "." + pad(date.getMilliseconds(), 3);
  }

  function duration(ms) {
    if (ms < 1) return (ms * 1000).toFixed(0) + " µs";
    if (ms < 1000) return ms.toFixed(ms < 10 ? 2 : 0) + " ms";
    return (ms / 1000).toFixed(2) + " s";
  }

  function age(seconds) {
    const s = Math.max(0, Math.floor(Date.now() / 1000 - seconds));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }

  /// A message for the reader (announced by screen readers): what an action did, or what went
  /// wrong. The same message twice is announced once.
  function say(message, bad = false) {
    const live = $("live");
    live.className = "message" + (bad ? " bad" : "");
    if (live.textContent !== message) live.textContent = message;
  }

  /// Whether the page is up to date (not announced: it changes every second).
  function beat(ok, text) {
    $("heartbeat").textContent = text;
    $("heartbeat").className = "heartbeat " + (ok ? "ok" : "bad");
  }

  // MARK: Token

  function askForToken(message) {
    state.needsToken = true;
    $("token-form").hidden = false;
    $("token-error").textContent = message || "";
    $("content").setAttribute("aria-hidden", "true");
    $("content").inert = true;
    beat(false, "waiting for the API token");
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) {
      $("token-error").textContent = "Enter the token the server was started with.";
      return;
    }
    useToken(value);
  });

  function useToken(value) {
    state.token = value;
    sessionStorage.setItem("mysql-server-mock-token", value);
    state.needsToken = false;
    $("token-form").hidden = true;
    $("content").removeAttribute("aria-hidden");
    $("content").inert = false;
    start();
  }

  // MARK: Trace

  async function pollTrace() {
    let status;
    try {
      status = await api("trace");
    } catch (error) {
      if (error.status === 404) {
        $("trace-name").textContent = "—";
        return;
      }
      throw error;
    }
    // A file's name; the whole path on hover and for screen readers.
    const name = $("trace-name");
    name.textContent = status.name.split("/").pop();
    name.title = status.name;
    name.setAttribute("aria-label", status.name);
    $("trace-loaded").textContent = new Date(status.loaded_at * 1000).toLocaleString();
    $("trace-reloads").textContent = String(status.reloads);
    const failure = status.last_reload_failure;
    const banner = $("trace-failure");
    if (failure) {
      banner.textContent = "The reload at " + clock(failure.at) + " failed; new connections still get " + status.name
        + ": " + failure.error;
      banner.hidden = false;
    } else {
      banner.hidden = true;
      banner.textContent = "";
    }
    await pollCoverage();
  }

  /// The entries no statement has used yet (a JSON trace's; others have no count).
  async function pollCoverage() {
    const unused = $("trace-unused");
    let coverage;
    try {
      coverage = await api("trace/coverage");
    } catch (error) {
      if (error.status !== 404) throw error;
      unused.textContent = "—";
      unused.removeAttribute("title");
      return;
    }
    const entries = coverage.entries.length;
    unused.textContent = coverage.unused.length + " of " + entries;
    const names = coverage.entries.filter((e) => e.uses === 0)
      .map((e) => e.entry + (e.stmt !== undefined ? " " + e.stmt : e.stmt_regex !== undefined ? " /" + e.stmt_regex + "/" : ""));
    if (names.length) unused.title = names.join("\n");
    else unused.removeAttribute("title");
  }

  $("reload-trace").addEventListener("click", async () => {
    try {
      const result = await api("trace/reload", { method: "POST" });
      say("reloaded the trace " + (result && result.trace ? result.trace : ""));
    } catch (error) {
      say("reload refused: " + error.message, true);
    }
    await pollTrace().catch(() => {});
  });

  // MARK: Connections

  async function pollConnections() {
    const list = await api("connections");
    list.sort((a, b) => a.id - b.id);
    state.connections = list;
    const signature = JSON.stringify(list.map((c) => [c.id, c.peer, c.user, c.schema, c.tls_cipher, c.statements]));
    if (signature === state.connectionsSignature) {
      for (const row of $("connections").rows) {
        const c = list.find((x) => String(x.id) === row.dataset.id);
        if (c) row.querySelector(".age").textContent = age(c.connected_since);
      }
      return;
    }
    state.connectionsSignature = signature;
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.close : undefined;
    const body = $("connections");
    const rows = document.createDocumentFragment();
    for (const c of list) {
      const row = element("tr", { attributes: { "data-id": String(c.id) } });
      cell(row, c.id, "num", "ID");
      cell(row, c.protocol === "x" ? "X" : c.protocol, "", "Protocol");
      cell(row, c.peer, "mono nowrap", "Peer");
      cell(row, c.user === null ? "—" : c.user, "", "User");
      cell(row, c.schema === null ? "—" : c.schema, "", "Schema");
      cell(row, c.tls_cipher === null ? "no" : c.tls_cipher, "nowrap", "TLS");
      cell(row, c.statements, "num", "Statements");
      cell(row, age(c.connected_since), "num age nowrap", "Age");
      const close = element("button", {
        text: "Close", className: "danger",
        attributes: { type: "button", "aria-label": "Close connection " + c.id, "data-close": String(c.id) },
      });
      close.addEventListener("click", () => closeConnection(c.id));
      const actions = element("td");
      actions.append(close);
      row.append(actions);
      rows.append(row);
    }
    body.replaceChildren(rows);
    $("connections-count").textContent = "(" + list.length + ")";
    $("connections-empty").hidden = list.length > 0;
    if (focused) {
      const again = body.querySelector('[data-close="' + CSS.escape(focused) + '"]');
      (again || $("connections-table")).focus();
    }
    updateConnectionFilter();
  }

  async function closeConnection(id) {
    try {
      await api("connections/" + id, { method: "DELETE" });
      say("closed connection " + id);
    } catch (error) {
      say("could not close connection " + id + ": " + error.message, true);
    }
    state.connectionsSignature = "";
    await pollConnections().catch(() => {});
  }

  // MARK: Globals

  async function pollGlobals() {
    const globals = await api("globals", { exact: true });
    const names = Object.keys(globals).sort();
    const signature = JSON.stringify(names.map((n) => [n, globals[n]]));
    if (signature === state.globalsSignature) return;
    state.globalsSignature = signature;
    const rows = document.createDocumentFragment();
    for (const name of names) {
      const row = element("tr", { attributes: { "data-name": name } });
      cell(row, name, "mono");
      const compact = JSON.stringify(globals[name]);
      cell(row, compact.length > 60 ? JSON.stringify(globals[name], null, 2) : compact, "value");
      const actions = element("td", { className: "nowrap" });
      const edit = element("button", { text: "Edit", className: "secondary", attributes: { type: "button", "aria-label": "Edit " + name } });
      edit.addEventListener("click", () => {
        $("global-name").value = name;
        $("global-value").value = JSON.stringify(globals[name], null, 2);
        clearGlobalError();
        $("global-value").focus();
      });
      const remove = element("button", { text: "Delete", className: "danger", attributes: { type: "button", "aria-label": "Delete " + name } });
      remove.addEventListener("click", async () => {
        try {
          await api("globals/" + encodeURIComponent(name), { method: "DELETE" });
          say("deleted the global " + name);
        } catch (error) {
          say("could not delete " + name + ": " + error.message, true);
        }
        state.globalsSignature = "";
        await pollGlobals().catch(() => {});
      });
      actions.append(edit, " ", remove);
      row.append(actions);
      rows.append(row);
    }
    $("globals").replaceChildren(rows);
    $("globals-empty").hidden = names.length > 0;
  }

  function clearGlobalError() {
    $("global-error").textContent = "";
    $("global-value").removeAttribute("aria-invalid");
    $("global-name").removeAttribute("aria-invalid");
  }

  $("global-value").addEventListener("input", clearGlobalError);
  $("global-name").addEventListener("input", clearGlobalError);

  $("global-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearGlobalError();
    const name = $("global-name").value.trim();
    const text = $("global-value").value;
    if (!name) {
      $("global-name").setAttribute("aria-invalid", "true");
      $("global-error").textContent = "Give the global a name.";
      $("global-name").focus();
      return;
    }
    try {
      JSON.parse(text);
    } catch (error) {
      // Nothing is sent: the server would refuse it too, and the trace keeps the value it has.
      $("global-value").setAttribute("aria-invalid", "true");
      $("global-error").textContent = "Not valid JSON, nothing was sent: " + error.message;
      $("global-value").focus();
      return;
    }
    try {
      // The text as typed, so numbers beyond JavaScript's precision reach the server exactly.
      await api("globals/" + encodeURIComponent(name), { method: "PUT", body: text });
      say("set the global " + name);
    } catch (error) {
      $("global-error").textContent = "The server refused it: " + error.message;
      return;
    }
    state.globalsSignature = "";
    await pollGlobals().catch(() => {});
  });

  // MARK: Scenarios

  /// The trace's scenarios (the panel shows only when it declares some): a global one's state can
  /// be chosen and set; a per-connection or per-user one lists who is not in the initial state.
  async function pollScenarios() {
    const list = await api("scenarios");
    const signature = JSON.stringify(list);
    const focused = $("scenarios-table").contains(document.activeElement) ? document.activeElement : null;
    // A redraw would drop a state being chosen; the poll after the choice draws it.
    if (signature === state.scenariosSignature || (focused && focused.tagName === "SELECT")) return;
    state.scenariosSignature = signature;
    $("scenarios-panel").hidden = list.length === 0;
    $("content").classList.toggle("has-scenarios", list.length > 0);
    const rows = document.createDocumentFragment();
    for (const s of list) {
      const row = element("tr", { attributes: { "data-scenario": s.name } });
      cell(row, s.name, "mono", "Name");
      cell(row, s.scope, "", "Scope");
      const current = element("td", { attributes: { "data-label": "State" } });
      const actions = element("td", { className: "nowrap" });
      if (s.scope === "global") {
        const move = element("div", { className: "scenario-move" });
        const select = element("select", { attributes: { "aria-label": "State of " + s.name, "data-state-of": s.name } });
        for (const name of s.states) select.append(element("option", { text: name, attributes: { value: name } }));
        select.value = s.state;
        const set = element("button", { text: "Set", className: "secondary", attributes: { type: "button", "aria-label": "Set the state of " + s.name } });
        set.addEventListener("click", () => moveScenario(s.name, select.value));
        move.append(select, set);
        current.append(move);
      } else {
        const moved = Object.entries(s.scope === "connection" ? s.connections : s.users);
        const initial = s.initial + (moved.length ? " for the others" : " for every " + s.scope);
        current.textContent = moved.map(([who, st]) => s.scope + " " + who + ": " + st).concat(initial).join(" · ");
      }
      const reset = element("button", { text: "Reset", className: "secondary", attributes: { type: "button", "aria-label": "Reset " + s.name + " to " + s.initial } });
      reset.addEventListener("click", () => resetScenario(s.name));
      actions.append(reset);
      row.append(current, actions);
      rows.append(row);
    }
    $("scenarios").replaceChildren(rows);
    // The button that had the focus has it again in the new rows.
    const label = focused && focused.getAttribute("aria-label");
    if (label) {
      const again = $("scenarios").querySelector('[aria-label="' + CSS.escape(label) + '"]');
      (again || $("scenarios-table")).focus();
    }
  }

  async function moveScenario(name, to) {
    try {
      await api("scenarios/" + encodeURIComponent(name), { method: "PUT", body: JSON.stringify({ state: to }) });
      say("scenario " + name + " is now " + to);
    } catch (error) {
      say("could not move " + name + ": " + error.message, true);
    }
    await redrawScenarios();
  }

  async function resetScenario(name) {
    try {
      await api("scenarios/" + encodeURIComponent(name), { method: "DELETE" });
      say("scenario " + name + " is back to its initial state");
    } catch (error) {
      say("could not reset " + name + ": " + error.message, true);
    }
    await redrawScenarios();
  }

  async function redrawScenarios() {
    state.scenariosSignature = "";
    await pollScenarios().catch(() => {});
  }

  // MARK: Journal

  function matchesFilters(entry) {
    const f = state.filters;
    if (f.connection && String(entry.connection) !== f.connection) return false;
    if (f.unmatched && !entry.unmatched) return false;
    if (f.text) {
      const haystack = [entry.stmt, entry.answered_by, entry.error ? entry.error.message : "", entry.fault || "",
        (entry.params || []).join(" ")].join("\n").toLowerCase();
      if (!haystack.includes(f.text)) return false;
    }
    return true;
  }

  function journalRow(entry, fresh) {
    const row = element("tr", {
      className: (entry.unmatched ? "unmatched" : "") + (fresh ? " fresh" : ""),
      attributes: { "data-seq": String(entry.seq), "data-connection": String(entry.connection) },
    });
    cell(row, entry.seq, "num", "#");
    cell(row, clock(entry.received_at), "time mono", "Time").title = new Date(entry.received_at * 1000).toISOString();
    cell(row, entry.connection, "num", "Conn");
    const kind = cell(row, "", "nowrap", "Kind");
    kind.append(tag(entry.kind), " ", tag(entry.response, entry.response === "error" ? "error" : ""));
    if (entry.protocol === "x") kind.append(" ", tag("X"));
    const statement = cell(row, entry.stmt, "stmt", "Statement");
    if (entry.stmt_truncated) statement.append(element("span", { text: " … (" + entry.stmt_bytes + " bytes in all)", className: "cut" }));
    if (entry.params) statement.append(element("span", { text: "\nparams: " + entry.params.join(", "), className: "cut" }));
    if (entry.local_infile) {
      const file = entry.local_infile;
      statement.append(element("span", { text: "\nthe client sent " + file.filename + ": " + file.bytes + " bytes", className: "cut" }));
    }
    const answer = cell(row, "", "answer", "Answered by");
    if (entry.unmatched) {
      answer.append(tag("unmatched", "unmatched"), " ");
      if (entry.error) answer.append(element("span", { text: entry.error.message, className: "nearmiss" }));
    } else {
      answer.append(element("span", { text: entry.answered_by, className: "mono" }));
      if (entry.scenario_change) answer.append(element("span", { text: "scenario " + entry.scenario_change, className: "scenario-change" }));
      if (entry.error) {
        answer.append(element("span", { text: "ERROR " + entry.error.code + ": " + entry.error.message, className: "nearmiss" }));
      }
    }
    const ms = Math.max(0, (entry.answered_at - entry.received_at) * 1000) + (entry.exec_time_ms || 0);
    cell(row, duration(ms), "num nowrap", "Duration");
    const fault = cell(row, "", "", "Fault");
    if (entry.fault) fault.append(tag(entry.fault, "fault"));
    return row;
  }

  /// Draws every kept entry that passes the filters, newest first.
  function renderJournal() {
    const rows = document.createDocumentFragment();
    let shown = 0;
    for (let i = state.entries.length - 1; i >= 0 && shown < MAX_ROWS; i--) {
      const entry = state.entries[i];
      if (!matchesFilters(entry)) continue;
      rows.append(journalRow(entry, false));
      shown++;
    }
    $("journal-rows").replaceChildren(rows);
    journalCounts();
  }

  /// Puts rows for newly arrived entries on top.
  function addJournalRows(entries) {
    const body = $("journal-rows");
    const rows = document.createDocumentFragment();
    // A burst of thousands: only the rows that stay drawn are made, and none is highlighted (a
    // fading highlight on every cell of a thousand rows would keep the page busy for seconds).
    const highlight = entries.length <= 20;
    let made = 0;
    for (let i = entries.length - 1; i >= 0 && made < MAX_ROWS; i--) {
      if (!matchesFilters(entries[i])) continue;
      rows.append(journalRow(entries[i], highlight));
      made++;
    }
    body.prepend(rows);
    while (body.rows.length > MAX_ROWS) body.lastElementChild.remove();
    journalCounts();
  }

  function journalCounts() {
    const shown = $("journal-rows").rows.length;
    $("journal-count").textContent = "(" + state.entries.length + ")";
    $("journal-empty").hidden = shown > 0;
    $("journal-empty").textContent = state.entries.length ? "No statement passes the filters." : "No statement yet.";
  }

  /// Reads the statements after the last one seen, waiting up to `waitMs` at the server for the
    /// next one; how many arrived.
  async function pollJournal(waitMs = 0) {
    const known = state.resets === null ? "" : "&resets=" + state.resets;
    const data = await api("journal?since=" + state.lastSeq + known + (waitMs ? "&wait_ms=" + waitMs : ""),
      { signal: state.abort.signal });
    if (state.resets !== null && data.resets !== state.resets) {
      // Cleared elsewhere: numbering started again. The read goes on waiting as it was asked to
      // (answering 0 at once would look like a wait the server could not start, and pause the loop).
      state.resets = data.resets;
      state.entries = [];
      state.lastSeq = 0;
      renderJournal();
      return pollJournal(waitMs);
    }
    state.resets = data.resets;
    const note = data.dropped > 0
      ? "The journal keeps the newest " + data.capacity + " statements; " + data.dropped + " older ones were dropped."
      : "";
    $("journal-note").textContent = note;
    if (!data.entries.length) return 0;
    state.lastSeq = data.entries[data.entries.length - 1].seq;
    state.entries.push(...data.entries);
    if (state.entries.length > MAX_ENTRIES) state.entries.splice(0, state.entries.length - MAX_ENTRIES);
    addJournalRows(data.entries);
    updateConnectionFilter();
    return data.entries.length;
  }

  /// The journal, live: each read waits at the server until a statement arrives.
  async function journalLoop(generation) {
    while (generation === state.generation && !state.needsToken) {
      if (state.paused) {
        await sleep(250);
        continue;
      }
      const started = Date.now();
      try {
        const count = await pollJournal(JOURNAL_WAIT_MS);
        // A wait the server could not start (too many at once) answers at once: do not spin.
        if (!count && Date.now() - started < 200) await sleep(1000);
      } catch (error) {
        if (error.name === "AbortError" || generation !== state.generation || state.needsToken) continue;
        say(error.message, true);
        await sleep(1000);
      }
    }
  }

  function updateConnectionFilter() {
    const select = $("filter-connection");
    const ids = new Set(state.connections.map((c) => c.id));
    for (const e of state.entries) ids.add(e.connection);
    const wanted = ["", ...[...ids].sort((a, b) => a - b).map(String)];
    const have = [...select.options].map((o) => o.value);
    if (wanted.join(",") === have.join(",")) return;
    const selected = select.value;
    select.replaceChildren(...wanted.map((id) => element("option", { text: id || "all", attributes: { value: id } })));
    if (selected && !wanted.includes(selected)) {
      select.append(element("option", { text: selected, attributes: { value: selected } }));
    }
    select.value = selected;
  }

  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("filter-connection").addEventListener("change", (event) => {
    state.filters.connection = event.target.value;
    renderJournal();
  });
  $("filter-text").addEventListener("input", (event) => {
    state.filters.text = event.target.value.trim().toLowerCase();
    renderJournal();
  });
  $("filter-unmatched").addEventListener("change", (event) => {
    state.filters.unmatched = event.target.checked;
    renderJournal();
  });
  $("pause").addEventListener("click", (event) => {
    state.paused = !state.paused;
    if (state.paused) {
      // The read in flight would still draw what it brings.
      state.abort.abort();
      state.abort = new AbortController();
    }
    event.target.setAttribute("aria-pressed", String(state.paused));
    event.target.textContent = state.paused ? "Resume" : "Pause";
    say(state.paused ? "journal paused" : "journal live again");
  });
  $("clear-journal").addEventListener("click", async () => {
    try {
      await api("journal", { method: "DELETE" });
      say("cleared the journal");
    } catch (error) {
      say("could not clear the journal: " + error.message, true);
    }
  });

  // MARK: Cluster nodes

  /// On a cluster's API (its health names the nodes), a choice of node; the page then shows that node.
  async function findNodes() {
    const health = await api("health", { root: true });
    if (!health || !Array.isArray(health.nodes) || !health.nodes.length) return;
    const nodes = await api("nodes", { root: true });
    const select = $("node");
    const previous = select.value || new URLSearchParams(location.search).get("node");
    select.replaceChildren(...nodes.map((n) => element("option", {
      text: n.name + " (" + [n.role, n.state].filter(Boolean).join(", ") + ")", attributes: { value: n.name },
    })));
    select.value = nodes.some((n) => n.name === previous) ? previous : nodes[0].name;
    $("node-choice").hidden = false;
    state.base = API + "nodes/" + encodeURIComponent(select.value) + "/";
  }

  $("node").addEventListener("change", (event) => {
    state.base = API + "nodes/" + encodeURIComponent(event.target.value) + "/";
    Object.assign(state, { entries: [], lastSeq: 0, resets: null, connectionsSignature: "", globalsSignature: "", scenariosSignature: "" });
    renderJournal();
    restart();
  });

  // MARK: Polling

  /// Connections, globals and the trace, every POLL_MS; a chain of an older generation stops.
  async function tick(generation) {
    state.timer = null;
    if (state.needsToken || generation !== state.generation) return;
    try {
      await pollConnections();
      if (state.ticks % 2 === 0) await Promise.all([pollGlobals(), pollTrace(), pollScenarios()]);
      beat(true, (state.paused ? "paused · " : "live · ") + clock(Date.now() / 1000).slice(0, 8));
      if (state.offline) say("the server answers again");
      state.offline = false;
    } catch (error) {
      if (state.needsToken) return;
      beat(false, "no answer");
      state.offline = true;
      say(error.message, true);
    }
    if (generation !== state.generation) return;
    state.ticks++;
    state.timer = setTimeout(() => tick(generation), POLL_MS);
  }

  function restart() {
    if (state.timer) clearTimeout(state.timer);
    state.ticks = 0;
    state.generation++;
    state.abort.abort();
    state.abort = new AbortController();
    tick(state.generation);
    journalLoop(state.generation);
  }

  async function start() {
    try {
      await findNodes();
    } catch (error) {
      if (state.needsToken) return;
      say(error.message, true);
    }
    restart();
  }

  // A token may come in the address (`#token=…`, which browsers never send to the server); it is
  // kept for this tab only and taken out of the address bar.
  function tokenFromAddress() {
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    if (token) history.replaceState(null, "", location.pathname + location.search);
    return token;
  }

  window.addEventListener("hashchange", () => {
    const token = tokenFromAddress();
    if (token) useToken(token);
  });

  const token = tokenFromAddress() || sessionStorage.getItem("mysql-server-mock-token");
  if (token) {
    useToken(token);
  } else {
    start();
  }
})();
