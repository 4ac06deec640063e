// Driver-matrix probe for Node.js: mysql (mysqljs), with callbacks as its users write them.
// Usage: node probe.js ; connection facts from MATRIX_* environment variables.
// Prints one JSON line per check: {"check", "ok", "detail"}.
'use strict';
const fs = require('fs');
const mysql = require('mysql');

const config = {
  host: process.env.MATRIX_HOST || '127.0.0.1',
  port: Number(process.env.MATRIX_PORT),
  user: process.env.MATRIX_USER || 'probe',
  password: process.env.MATRIX_PASSWORD || 'probe-pw',
  database: process.env.MATRIX_DATABASE || 'matrix',
  charset: 'utf8mb4',
  supportBigNumbers: true,
  dateStrings: false,
};
const TYPES_SQL = "SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, " +
  "12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, " +
  "TIME '01:02:03' AS tm, X'00FF6162' AS b, NULL AS n";

// Several results (issue 17): two statements in one query, a stored procedure with two result sets
// and an OK, a batch whose second statement fails, and the syntax error without multi-statements.
const MULTI_SQL = 'SELECT 1 AS a; SELECT 2 AS b';
const BATCH_SQL = 'SELECT 1 AS a; SELECT * FROM missing_table; SELECT 2 AS b';

// mysqljs gives one entry per result: an array of rows, or an OkPacket (null here).
function sets(results) {
  return results.map((r) => (Array.isArray(r) ? r.map((row) => Object.values(row)) : null));
}

function same(got, want) {
  return JSON.stringify(got) === JSON.stringify(want) ? true : `got ${JSON.stringify(got)}`;
}

function report(check, ok, detail) {
  console.log(JSON.stringify({check, ok: ok === null ? null : !!ok, detail: String(detail || '').slice(0, 300)}));
}

// TLS as mysqljs users set it up: the CA; the server's certificate and name are verified by default.
function secure(ca) {
  return mysql.createConnection(Object.assign({}, config, {ssl: {ca: fs.readFileSync(ca)}}));
}

function connect(conn) {
  return new Promise((resolve, reject) => conn.connect((e) => (e ? reject(e) : resolve(conn))));
}

function end(conn) {
  return new Promise((resolve) => conn.end(() => resolve()));
}

function query(conn, sql, values) {
  return new Promise((resolve, reject) => {
    conn.query(sql, values, (error, results) => (error ? reject(error) : resolve(results)));
  });
}

async function run(check, body) {
  try {
    const result = await body();
    report(check, result === true, result === true ? '' : result);
  } catch (e) {
    report(check, false, `${e.code || e.name}: ${e.message}`);
  }
}

async function main() {
  const conn = mysql.createConnection(config);
  let connected = false;
  await run('login', () => new Promise((resolve, reject) => conn.connect((e) => {
    if (e) return reject(e);
    connected = true;
    resolve(true);
  })));
  if (!connected) return;
  if (process.env.MATRIX_SHA2_FULL_PORT) {
    report('caching_sha2 (fast, full)', null, 'mysqljs/mysql does not implement caching_sha2_password');
  }
  await run('typed values', async () => {
    const [row] = await query(conn, TYPES_SQL);
    // supportBigNumbers: a BIGINT past 2^53 as a string (a DECIMAL that fits is a number); dates as
    // local Date objects.
    const got = [row.i, row.u, row.s, row.d, row.m, row.dt.getFullYear() * 10000 + (row.dt.getMonth() + 1) * 100 +
      row.dt.getDate(), row.ts.getMilliseconds(), row.tm, Buffer.isBuffer(row.b) && row.b.toString('hex'), row.n];
    const want = [42, '18446744073709551615', 'héllo wörld', 1.5, 12.34, 20240102, 250, '01:02:03', '00ff6162', null];
    return JSON.stringify(got) === JSON.stringify(want) ? true : `got ${JSON.stringify(got)}`;
  });
  await run('parameters', async () => {
    const [row] = await query(conn, 'SELECT ? AS a, ? AS b', [7, 'x y']);
    return row.a === 7 && row.b === 'x y' ? true : `got ${JSON.stringify(row)}`;
  });
  await run('error', async () => {
    try {
      await query(conn, 'SELECT * FROM missing_table');
    } catch (e) {
      if (e.errno !== 1146) return `errno ${e.errno}`;
      return e.sqlState === '42S02' ? true : `sqlState ${e.sqlState}`;
    }
    return 'no error raised';
  });
  await run('affected rows, insert id', async () => {
    const result = await query(conn, "INSERT INTO items (name) VALUES ('a'), ('b')");
    return result.affectedRows === 2 && result.insertId === 42 ? true
      : `got ${result.affectedRows}, ${result.insertId}`;
  });
  await run('TLS verified, wrong CA refused', async () => {
    const tls = await connect(secure(process.env.MATRIX_CA));
    const [status] = await query(tls, "SHOW STATUS LIKE 'Ssl_cipher'");
    await end(tls);
    if (!status || !status.Value) return `not encrypted: Ssl_cipher ${JSON.stringify(status)}`;
    const wrong = secure(process.env.MATRIX_WRONG_CA);
    try {
      await connect(wrong);
    } catch (e) {
      return true;
    }
    await end(wrong);
    return 'a server certificate from another CA was accepted';
  });
  const multi = mysql.createConnection(Object.assign({multipleStatements: true}, config));
  await run('multi-statement', async () => same(sets(await query(multi, MULTI_SQL)), [[[1]], [[2]]]));
  await run('CALL results', async () => same(sets(await query(conn, 'CALL two_sets()')), [[[1]], [[2], [3]], null]));
  await run('batch error', () => new Promise((resolve) => {
    multi.query(BATCH_SQL, (error, results) => {
      if (!error) return resolve('no error raised');
      if (error.errno !== 1146) return resolve(`errno ${error.errno}`);
      resolve(same(sets(results || []), [[[1]]]));
    });
  }));
  await end(multi);
  await run('multi off: 1064', async () => {
    try {
      await query(conn, MULTI_SQL);
    } catch (e) {
      return e.errno === 1064 ? true : `errno ${e.errno}`;
    }
    return 'no error raised';
  });
  await run('reset', async () => {
    // mysqljs resets a session with changeUser (COM_CHANGE_USER), as its pool does.
    await new Promise((resolve, reject) => conn.changeUser({}, (e) => (e ? reject(e) : resolve())));
    const [row] = await query(conn, "SELECT 7 AS a, 'x y' AS b");
    return row.a === 7 && row.b === 'x y' ? true : `got ${JSON.stringify(row)}`;
  });
  report('prepared statements', null, 'mysqljs/mysql has no server-side prepared statements');
  await run('ping, reuse', async () => {
    await new Promise((resolve, reject) => conn.ping((e) => (e ? reject(e) : resolve())));
    const started = Date.now();
    await new Promise((resolve, reject) => conn.end((e) => (e ? reject(e) : resolve())));
    // end() waits for the server to close after COM_QUIT (it took a second against the mock).
    const ended = Date.now() - started;
    const pool = mysql.createPool(Object.assign({connectionLimit: 2}, config));
    for (let i = 0; i < 3; i++) await query(pool, 'SELECT 7 AS a, ? AS b', ['x y']);
    await new Promise((resolve) => pool.end(resolve));
    return ended < 500 ? true : `end() took ${ended} ms`;
  });
}

main().catch((e) => report('login', false, e.stack));
