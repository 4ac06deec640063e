/// The JavaScript environment of every trace heap (ES5, as Duktape runs it): `mysqld`, `process`,
/// `console`, `module`, `require` with Node-style resolution, the built-in modules and the helpers
/// the host calls. Native functions come in as `__mock_native` (see `NativeFunction`).
enum JavaScriptBootstrap {
    static let source = #"""
(function (global) {
  var N = global.__mock_native;
  delete global.__mock_native;

  function describe(v) {
    if (v !== null && (typeof v === 'object' || typeof v === 'function')) {
      return typeof v === 'function' ? 'function' : 'object';
    }
    return 'primitive, ' + (v === null ? 'null' : typeof v);
  }

  // printf-like formatting as Node's util.format: %s %d %i %f %j %%.
  function format(args) {
    var fmt = args[0];
    var rest = Array.prototype.slice.call(args, 1);
    if (typeof fmt !== 'string') {
      return Array.prototype.map.call(args, function (a) {
        return typeof a === 'string' ? a : (typeof a === 'object' ? JSON.stringify(a) : String(a));
      }).join(' ');
    }
    var i = 0;
    var out = fmt.replace(/%([sdifj%])/g, function (m, c) {
      if (c === '%') return '%';
      if (i >= rest.length) return m;
      var a = rest[i++];
      switch (c) {
        case 's': return String(a);
        case 'd': case 'i': return String(parseInt(a, 10));
        case 'f': return String(parseFloat(a));
        case 'j': return JSON.stringify(a);
      }
      return m;
    });
    for (; i < rest.length; i++) out += ' ' + (typeof rest[i] === 'object' ? JSON.stringify(rest[i]) : String(rest[i]));
    return out;
  }

  global.console = {
    log: function () { N.print(1, format(arguments) + '\n'); },
    info: function () { N.print(1, format(arguments) + '\n'); },
    warn: function () { N.print(1, format(arguments) + '\n'); },
    error: function () { N.print(2, format(arguments) + '\n'); }
  };
  global.clearTimeout = function () {};

  var shared = {
    get_shared: function (k) {
      var t = N.globalGet(String(k));
      return t === undefined ? undefined : JSON.parse(t);
    },
    set_shared: function (k, v) {
      var t = JSON.stringify(v);
      if (t === undefined) { N.globalDelete(String(k)); } else { N.globalSet(String(k), t); }
    },
    get_keys: function () { return JSON.parse(N.globalKeys()); },
    erase: function (k) { return N.globalDelete(String(k)); }
  };

  var env = new Proxy({}, {
    get: function (t, k) { return typeof k === 'string' ? N.getenv(k) : undefined; },
    has: function (t, k) { return N.getenv(String(k)) !== undefined; }
  });

  global.process = {
    env: env,
    getenv: function (name) { return N.getenv(String(name)); },
    cwd: function () { return N.cwd(); },
    argv: [],
    on: function () {},
    removeListener: function () {},
    nextTick: function (f) { f(); },
    stdout: { fd: 1, write: function (s) { N.print(1, String(s)); return true; } },
    stderr: { fd: 2, write: function (s) { N.print(2, String(s)); return true; } },
    get_shared: shared.get_shared,
    set_shared: shared.set_shared,
    get_keys: shared.get_keys,
    erase: shared.erase
  };

  var globalStore = new Proxy({}, {
      get: function (t, k) { return typeof k === 'string' ? shared.get_shared(k) : undefined; },
      set: function (t, k, v) { shared.set_shared(k, v); return true; },
      deleteProperty: function (t, k) { shared.erase(k); return true; },
      has: function (t, k) { return N.globalGet(String(k)) !== undefined; },
      // Duktape's Object.keys() keeps only keys the target has as enumerable own properties,
      // so mirror the store's keys onto the target before answering.
      ownKeys: function (t) {
        var keys = shared.get_keys();
        Object.getOwnPropertyNames(t).forEach(function (k) { if (keys.indexOf(k) < 0) delete t[k]; });
        keys.forEach(function (k) { t[k] = true; });
        return keys;
      }
  });
  global.mysqld = { session: {}, global: globalStore };

  if (typeof Duktape === 'object' && typeof Duktape.Logger !== 'function') {
    var Logger = function (name) { this.n = name; };
    ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].forEach(function (level) {
      Logger.prototype[level] = function () {};
    });
    Duktape.Logger = Logger;
  }

  // Built-in modules, as small as the reference's.
  function EventEmitter() { this._events = {}; }
  EventEmitter.prototype.on = function (name, f) {
    (this._events[name] = this._events[name] || []).push(f);
    return this;
  };
  EventEmitter.prototype.once = function (name, f) {
    var self = this;
    function once() { self.removeListener(name, once); f.apply(self, arguments); }
    return this.on(name, once);
  };
  EventEmitter.prototype.removeListener = function (name, f) {
    var list = this._events[name] || [];
    var i = list.indexOf(f);
    if (i >= 0) list.splice(i, 1);
    return this;
  };
  EventEmitter.prototype.emit = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    var list = (this._events[name] || []).slice();
    for (var i = 0; i < list.length; i++) list[i].apply(this, args);
    return list.length > 0;
  };
  var builtins = {
    path: {
      sep: '/',
      join: function () { return Array.prototype.join.call(arguments, '/').replace(/\/+/g, '/'); },
      resolve: function (p) { return N.realpath(String(p)); },
      dirname: function (p) { var i = String(p).lastIndexOf('/'); return i <= 0 ? (i === 0 ? '/' : '.') : p.substring(0, i); },
      basename: function (p) { return String(p).substring(String(p).lastIndexOf('/') + 1); }
    },
    util: {
      inherits: function (ctor, superCtor) {
        ctor.super_ = superCtor;
        ctor.prototype = Object.create(superCtor.prototype, { constructor: { value: ctor } });
      },
      format: function () { return format(arguments); }
    },
    fs: { readFileSync: function (p) { return N.readFile(String(p)); }, readSync: function (p) { return N.readFile(String(p)); } },
    events: { EventEmitter: EventEmitter },
    assert: {},
    tty: { isatty: function () { return false; }, getWindowSize: function () { return [25, 80]; } },
    os: {}
  };
  builtins.events.EventEmitter.EventEmitter = EventEmitter;

  var cache = {};
  function makeRequire(parent) {
    var req = function (id) {
      id = String(id);
      if (Object.prototype.hasOwnProperty.call(builtins, id)) return builtins[id];
      var file = N.resolve(id, parent === undefined ? '' : parent, JSON.stringify(global.module.paths));
      if (file === '') {
        // Blame the line that called require() (not the native code that looked for the file).
        var err = new Error('Cannot find module: ' + id);
        var caller = Duktape.act(-3);
        if (caller && caller['function'] && caller['function'].fileName !== undefined) {
          err.fileName = caller['function'].fileName;
          err.lineNumber = caller.lineNumber;
        }
        throw err;
      }
      if (Object.prototype.hasOwnProperty.call(cache, file)) return cache[file].exports;
      var mod = { exports: {}, id: file, filename: file, loaded: false, paths: global.module.paths };
      cache[file] = mod;
      try {
        var fn = N.compileModule(N.readFile(file), file);
        var dir = file.substring(0, file.lastIndexOf('/')) || '/';
        fn.call(mod.exports, mod.exports, makeRequire(file), mod, file, dir);
      } catch (e) {
        delete cache[file];
        throw e;
      }
      mod.loaded = true;
      return mod.exports;
    };
    req.cache = cache;
    return req;
  }
  global.module = { paths: JSON.parse(N.modulePaths()), exports: {} };
  global.require = makeRequire(undefined);

  // What the host calls.
  // A row cell: null; bytes (Uint8Array, Buffer, ArrayBuffer) as {$hex}; {$hex} / {$base64} as
  // they are; anything else as its string.
  function cell(c) {
    if (c === null) return null;
    if (c instanceof ArrayBuffer) c = new Uint8Array(c);
    if (c instanceof Uint8Array) {
      var hex = '';
      for (var i = 0; i < c.length; i++) hex += (c[i] < 16 ? '0' : '') + c[i].toString(16);
      return { $hex: hex };
    }
    if (typeof c === 'object') {
      var keys = Object.keys(c);
      if (keys.length === 1 && (keys[0] === '$hex' || keys[0] === '$base64')) return c;
    }
    return String(c);
  }
  // Whether encode's replacer would change nothing in `v`: every number finite, every row cell
  // null, a string or a finite number. Then the built-in JSON.stringify runs alone, with no call
  // back into the script per value (most responses, and several times faster).
  function plainCells(rows) {
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      if (!Array.isArray(row)) return false;
      for (var j = 0; j < row.length; j++) {
        var c = row[j], t = typeof c;
        if (!(c === null || t === 'string' || (t === 'number' && isFinite(c)))) return false;
      }
    }
    return true;
  }
  function plain(v, depth) {
    if (v === null) return true;
    var t = typeof v;
    if (t === 'number') return isFinite(v);
    if (t !== 'object') return true;
    if (depth > 16) return false;
    if (Array.isArray(v)) {
      for (var i = 0; i < v.length; i++) if (!plain(v[i], depth + 1)) return false;
      return true;
    }
    if (typeof v.toJSON === 'function') return false;
    var keys = Object.keys(v);
    for (var k = 0; k < keys.length; k++) {
      var x = v[keys[k]];
      if (keys[k] === 'rows' && Array.isArray(x)) {
        if (!plainCells(x)) return false;
      } else if (!plain(x, depth + 1)) {
        return false;
      }
    }
    return true;
  }
  function encode(v) {
    if (plain(v, 0)) return JSON.stringify(v);
    return JSON.stringify(v, function (k, x) {
      if (typeof x === 'number' && !isFinite(x)) return '\u0000number:' + String(x);
      if (k === 'rows' && Array.isArray(x)) {
        return x.map(function (row) { return Array.isArray(row) ? row.map(cell) : row; });
      }
      return x;
    });
  }

  // Connections. One heap serves every connection of an event-loop thread; each connection's
  // trace runs in a function scope of its own (a direct eval), so its top-level variables are its
  // own, while built-ins, `require()`d modules and mysqld.global are shared. `mysqld` is the
  // connection's while the host calls into it.
  var conns = {};
  var wrap = new Function('mysqld', 'return eval(__mock_source);');

  function install(t) {
    if (t === null || typeof t !== 'object') {
      throw new TypeError('expected statement handler to return an object, got ' + describe(t));
    }
    var s = t.stmts;
    var isThread = typeof Duktape === 'object' && s instanceof Duktape.Thread;
    if (!(typeof s === 'function' || isThread || Array.isArray(s))) {
      throw new TypeError("expected 'stmts' to be one of callable, thread or array, got " + describe(s));
    }
    var h = t.handshake;
    if (!(h === undefined || h === null || typeof h === 'object' || typeof h === 'function')) {
      throw new TypeError('handshake must be an object, if set. Is ' + describe(h));
    }
    var n = t.notices;
    if (!(n === undefined || n === null || typeof n === 'function' || Array.isArray(n) ||
          (typeof Duktape === 'object' && n instanceof Duktape.Thread))) {
      throw new TypeError("expected 'notices' to be one of callable, thread or array, got " + describe(n));
    }
  }

  function enter(id) {
    var c = conns[id];
    global.mysqld = c.mysqld;
    return c;
  }

  global.__mock_connect = function (id, sessionJSON) {
    var m = { session: JSON.parse(sessionJSON), global: globalStore };
    global.mysqld = m;
    var t = wrap.call(global, m);
    install(t);
    conns[id] = { trace: t, mysqld: m };
    return Array.isArray(t.stmts) ? encode(t.stmts) : '';
  };

  global.__mock_disconnect = function (id) {
    delete conns[id];
  };

  global.__mock_session = function (id, sessionJSON) {
    var c = conns[id];
    if (c) c.mysqld.session = JSON.parse(sessionJSON);
  };

  global.__mock_respond = function (id, stmt, execution) {
    var s = enter(id).trace.stmts;
    var info = execution === undefined ? undefined : JSON.parse(execution);
    var r = typeof s === 'function' ? (info === undefined ? s(stmt) : s(stmt, info)) : Duktape.Thread.resume(s, stmt);
    var text = encode(r);
    if (text === undefined) throw new TypeError("expected 'error', 'ok' or 'result', got " + describe(r));
    return text;
  };

  global.__mock_handshake = function (id, isGreeting) {
    var h = enter(id).trace.handshake;
    if (typeof h === 'function') {
      h = h(isGreeting === 'true');
      if (h === null || typeof h !== 'object') throw new TypeError('handshake-function must return an object, if set');
    }
    return h === undefined || h === null ? '' : encode(h);
  };

  // Code run by the direct eval reports its file as "input": that is the trace file.
  global.__mock_notices = function (id) {
    var n = enter(id).trace.notices;
    if (typeof n === 'function') n = n();
    return n === undefined || n === null ? '' : encode(n);
  };

  global.__mock_error_text = function (e) {
    if (e instanceof Error) {
      var file = e.fileName === 'input' ? global.__mock_file : e.fileName;
      var where = file !== undefined ? file + ':' + e.lineNumber + ': ' : '';
      return where + String(e);
    }
    return String(e);
  };

  global.__mock_error_stack = function (e) {
    return e instanceof Error && e.stack ? String(e.stack) : String(e);
  };
})(this);
"""#
}
