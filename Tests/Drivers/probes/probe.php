<?php
// Driver-matrix probe for PHP: mysqli and PDO (both on mysqlnd), as PHP code usually uses them.
// Usage: php probe.php mysqli|pdo ; connection facts from MATRIX_* environment variables.
// Prints one JSON line per check: {"check", "ok", "detail"}.
$host = getenv('MATRIX_HOST') ?: '127.0.0.1';
$port = (int) getenv('MATRIX_PORT');
$user = getenv('MATRIX_USER') ?: 'probe';
$password = getenv('MATRIX_PASSWORD') ?: 'probe-pw';
$database = getenv('MATRIX_DATABASE') ?: 'matrix';
$driver = $argv[1] ?? 'mysqli';
$ca = getenv('MATRIX_CA');
$wrongCa = getenv('MATRIX_WRONG_CA');
$sha2Full = getenv('MATRIX_SHA2_FULL_PORT');
$sha2Fast = getenv('MATRIX_SHA2_FAST_PORT');

const TYPES_SQL = "SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, "
    . "12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, "
    . "TIME '01:02:03' AS tm, X'00FF6162' AS b, NULL AS n";
// mysqlnd with native types: integers and doubles as PHP numbers, the rest as strings
// (a BIGINT UNSIGNED past PHP_INT_MAX stays a string, DECIMAL is a string).
const EXPECTED = [42, '18446744073709551615', 'héllo wörld', 1.5, '12.34', '2024-01-02',
    '2024-01-02 03:04:05.250000', '01:02:03', "\x00\xffab", null];

// Server-side prepared statements: every type through the parameters and back in a binary row.
const PARAMS_SQL = 'SELECT ? AS i, ? AS u, ? AS s, ? AS d, ? AS m, ? AS dt, ? AS ts, ? AS tm, ? AS b, ? AS n';

function report(string $check, ?bool $ok, string $detail = ''): void {
    echo json_encode(['check' => $check, 'ok' => $ok, 'detail' => substr($detail, 0, 300)]), "\n";
}

function run(string $check, callable $body): void {
    try {
        $result = $body();
        report($check, $result === true, $result === true ? '' : (string) $result);
    } catch (Throwable $e) {
        report($check, false, get_class($e) . ': ' . $e->getMessage());
    }
}

function encrypted($cipher) {
    return $cipher ? true : 'not encrypted: Ssl_cipher ' . var_export($cipher, true);
}

// PDO binds every parameter as a string, so a server echoing them sends strings: compare as text.
function loose(array $row) {
    $text = fn ($v) => $v === null ? null : (string) $v;
    return array_map($text, $row) === array_map($text, EXPECTED) ? true : 'got ' . var_export($row, true);
}

// Several results (issue 17): two statements in one query, a stored procedure with two result sets
// and an OK, a batch whose second statement fails, and the syntax error without multi-statements.
const MULTI_SQL = 'SELECT 1 AS a; SELECT 2 AS b';
const MULTI_EXPECTED = [[[1]], [[2]]];
const CALL_SQL = 'CALL two_sets()';
const CALL_EXPECTED = [[[1]], [[2], [3]], null];
const BATCH_SQL = 'SELECT 1 AS a; SELECT * FROM missing_table; SELECT 2 AS b';

function same($got, $wanted) {
    return $got === $wanted ? true : 'got ' . json_encode($got);
}

function compare(array $row) {
    return $row === EXPECTED ? true : 'got ' . var_export($row, true);
}

if ($driver === 'mysqli') {
    mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
    // TLS as mysqli's users set it up: the CA, verification of the server's certificate and name.
    $secure = function (string $ca, int $port) use ($host, $user, $password, $database) {
        $db = mysqli_init();
        $db->ssl_set(null, null, $ca, null, null);
        $db->options(MYSQLI_OPT_SSL_VERIFY_SERVER_CERT, true);
        $db->real_connect($host, $user, $password, $database, $port, null, MYSQLI_CLIENT_SSL);
        return $db;
    };
    $db = null;
    run('login', function () use (&$db, $host, $user, $password, $database, $port) {
        $db = new mysqli($host, $user, $password, $database, $port);
        $db->options(MYSQLI_OPT_INT_AND_FLOAT_NATIVE, true);
        $db->set_charset('utf8mb4');
        return true;
    });
    if ($db === null) exit(0);
    if ($sha2Full && $sha2Fast) {
        run('caching_sha2 (fast, full)', function () use ($secure, $ca, $sha2Full, $sha2Fast, $host, $user, $password, $database) {
            $secure($ca, (int) $sha2Full)->query('SELECT 1')->fetch_all();
            (new mysqli($host, $user, $password, $database, (int) $sha2Fast))->close();
            return true;
        });
    }
    run('typed values', function () use ($db) {
        return compare($db->query(TYPES_SQL)->fetch_row());
    });
    run('parameters', function () use ($db) {
        // mysqli has no client-side placeholders: its users escape values into the text.
        $b = $db->real_escape_string('x y');
        $row = $db->query("SELECT 7 AS a, '$b' AS b")->fetch_row();
        return $row === [7, 'x y'] ? true : 'got ' . var_export($row, true);
    });
    run('error', function () use ($db) {
        try {
            $db->query('SELECT * FROM missing_table');
        } catch (mysqli_sql_exception $e) {
            if ($e->getCode() !== 1146) return 'code ' . $e->getCode();
            return $e->getSqlState() === '42S02' ? true : 'sqlstate ' . $e->getSqlState();
        }
        return 'no error raised';
    });
    run('affected rows, insert id', function () use ($db) {
        $db->query("INSERT INTO items (name) VALUES ('a'), ('b')");
        $got = [$db->affected_rows, $db->insert_id];
        return $got === [2, 42] ? true : 'got ' . var_export($got, true) . ' info ' . var_export($db->info, true);
    });
    run('TLS verified, wrong CA refused', function () use ($secure, $ca, $wrongCa, $port) {
        $tls = $secure($ca, $port);
        $cipher = $tls->query("SHOW STATUS LIKE 'Ssl_cipher'")->fetch_row()[1] ?? '';
        $tls->close();
        try {
            @$secure($wrongCa, $port);
        } catch (mysqli_sql_exception $e) {
            return encrypted($cipher);
        }
        return 'a server certificate from another CA was accepted';
    });
    run('ping, reuse', function () use ($db) {
        if (!$db->ping()) return 'ping failed';
        $db->query(TYPES_SQL)->fetch_all();
        return true;
    });
    run('prepared statements', function () use ($db) {
        $statement = $db->prepare(TYPES_SQL);
        $statement->execute();
        $typed = compare($statement->get_result()->fetch_row());
        if ($typed !== true) return "typed values: $typed";
        $statement = $db->prepare(PARAMS_SQL);
        [$i, $u, $s, $d, $m, $dt, $ts, $tm, $b, $n] = EXPECTED;
        $statement->bind_param('issdssssss', $i, $u, $s, $d, $m, $dt, $ts, $tm, $b, $n);
        $statement->execute();
        $bound = compare($statement->get_result()->fetch_row());
        if ($bound !== true) return "parameters: $bound";
        // A read-only cursor, its rows fetched one COM_STMT_FETCH at a time (mysqlnd's way).
        $statement = $db->prepare('SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3');
        $statement->attr_set(MYSQLI_STMT_ATTR_CURSOR_TYPE, MYSQLI_CURSOR_TYPE_READ_ONLY);
        $statement->execute();
        $statement->bind_result($n);
        $rows = [];
        while ($statement->fetch()) $rows[] = $n;
        return $rows === [1, 2, 3] ? true : 'cursor: got ' . var_export($rows, true);
    });
    // Every result of multi_query: rows, or null for an OK.
    $sets = function (string $sql) use ($db) {
        $db->multi_query($sql);
        $out = [];
        do {
            $result = $db->store_result();
            $out[] = $result ? $result->fetch_all(MYSQLI_NUM) : null;
        } while ($db->more_results() && $db->next_result());
        return $out;
    };
    run('multi-statement', fn () => same($sets(MULTI_SQL), MULTI_EXPECTED));
    run('CALL results', function () use ($db, $sets) {
        $text = same($sets(CALL_SQL), CALL_EXPECTED);
        if ($text !== true) return "text: $text";
        // Prepared (CLIENT_PS_MULTI_RESULTS): binary result sets, then the OK.
        $statement = $db->prepare(CALL_SQL);
        $statement->execute();
        $out = [];
        do {
            $result = $statement->get_result();
            $out[] = $result ? $result->fetch_all(MYSQLI_NUM) : null;
        } while ($statement->more_results() && $statement->next_result());
        $statement->close();
        return same($out, CALL_EXPECTED) === true ? true : 'prepared: ' . same($out, CALL_EXPECTED);
    });
    run('batch error', function () use ($db) {
        $db->multi_query(BATCH_SQL);
        $first = $db->store_result()->fetch_all(MYSQLI_NUM);
        if ($first !== [[1]]) return 'first result ' . json_encode($first);
        try {
            while ($db->more_results() && $db->next_result()) $db->store_result();
        } catch (mysqli_sql_exception $e) {
            return $e->getCode() === 1146 ? true : 'code ' . $e->getCode();
        }
        return 'no error raised';
    });
    run('multi off: 1064', function () use ($db) {
        // query() runs one statement: mysqlnd switches multi-statements on for multi_query only.
        try {
            $db->query(MULTI_SQL);
        } catch (mysqli_sql_exception $e) {
            return $e->getCode() === 1064 ? true : 'code ' . $e->getCode();
        }
        return 'no error raised';
    });
    run('reset', function () use ($db, $user, $password, $database) {
        // mysqli's reset of a session is change_user (COM_CHANGE_USER).
        $db->change_user($user, $password, $database);
        $row = $db->query("SELECT 7 AS a, 'x y' AS b")->fetch_row();
        $db->close();
        return $row === [7, 'x y'] ? true : 'got ' . var_export($row, true);
    });
} else {
    $pdo = null;
    $secure = function (string $ca, int $port) use ($host, $user, $password, $database) {
        return new PDO("mysql:host=$host;port=$port;dbname=$database;charset=utf8mb4", $user, $password,
            [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::MYSQL_ATTR_SSL_CA => $ca,
             PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => true]);
    };
    run('login', function () use (&$pdo, $host, $user, $password, $database, $port) {
        $pdo = new PDO("mysql:host=$host;port=$port;dbname=$database;charset=utf8mb4", $user, $password,
            [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_EMULATE_PREPARES => true]);
        return true;
    });
    if ($pdo === null) exit(0);
    if ($sha2Full && $sha2Fast) {
        run('caching_sha2 (fast, full)', function () use ($secure, $ca, $sha2Full, $sha2Fast, $host, $user, $password, $database) {
            $secure($ca, (int) $sha2Full)->query('SELECT 1')->fetchAll();
            new PDO("mysql:host=$host;port=$sha2Fast;dbname=$database", $user, $password,
                [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
            return true;
        });
    }
    run('typed values', function () use ($pdo) {
        return compare($pdo->query(TYPES_SQL)->fetch(PDO::FETCH_NUM));
    });
    run('parameters', function () use ($pdo) {
        $statement = $pdo->prepare('SELECT :a AS a, :b AS b');
        $statement->bindValue('a', 7, PDO::PARAM_INT);
        $statement->bindValue('b', 'x y');
        $statement->execute();
        $row = $statement->fetch(PDO::FETCH_NUM);
        return $row === [7, 'x y'] ? true : 'got ' . var_export($row, true);
    });
    run('error', function () use ($pdo) {
        try {
            $pdo->query('SELECT * FROM missing_table');
        } catch (PDOException $e) {
            if ($e->errorInfo[1] !== 1146) return 'code ' . var_export($e->errorInfo, true);
            return $e->errorInfo[0] === '42S02' ? true : 'sqlstate ' . $e->errorInfo[0];
        }
        return 'no error raised';
    });
    run('affected rows, insert id', function () use ($pdo) {
        $count = $pdo->exec("INSERT INTO items (name) VALUES ('a'), ('b')");
        $got = [$count, $pdo->lastInsertId()];
        return $got === [2, '42'] ? true : 'got ' . var_export($got, true);
    });
    // Every rowset of a statement: rows, or null for one without columns (an OK).
    $sets = function (PDOStatement $statement) {
        $out = [];
        do {
            $out[] = $statement->columnCount() ? $statement->fetchAll(PDO::FETCH_NUM) : null;
        } while ($statement->nextRowset());
        return $out;
    };
    run('multi-statement', fn () => same($sets($pdo->query(MULTI_SQL)), MULTI_EXPECTED));
    run('CALL results', fn () => same($sets($pdo->query(CALL_SQL)), CALL_EXPECTED));
    run('batch error', function () use ($pdo) {
        $statement = $pdo->query(BATCH_SQL);
        $first = $statement->fetchAll(PDO::FETCH_NUM);
        if ($first !== [[1]]) return 'first result ' . json_encode($first);
        try {
            while ($statement->nextRowset()) $statement->fetchAll();
        } catch (PDOException $e) {
            return $e->errorInfo[1] === 1146 ? true : 'code ' . var_export($e->errorInfo, true);
        }
        return 'no error raised';
    });
    run('multi off: 1064', function () use ($host, $user, $password, $database, $port) {
        $single = new PDO("mysql:host=$host;port=$port;dbname=$database;charset=utf8mb4", $user, $password,
            [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::MYSQL_ATTR_MULTI_STATEMENTS => false]);
        try {
            $single->query(MULTI_SQL);
        } catch (PDOException $e) {
            return $e->errorInfo[1] === 1064 ? true : 'code ' . var_export($e->errorInfo, true);
        }
        return 'no error raised';
    });
    run('ping, reuse', function () use (&$pdo, $host, $user, $password, $database, $port) {
        $pdo->query('SELECT 1')->fetchAll();
        $pdo = null;
        $again = new PDO("mysql:host=$host;port=$port;dbname=$database;charset=utf8mb4", $user, $password);
        $again->query(TYPES_SQL)->fetchAll();
        return true;
    });
    run('TLS verified, wrong CA refused', function () use ($secure, $ca, $wrongCa, $port) {
        $cipher = $secure($ca, $port)->query("SHOW STATUS LIKE 'Ssl_cipher'")->fetch(PDO::FETCH_NUM)[1] ?? '';
        try {
            @$secure($wrongCa, $port);
        } catch (PDOException $e) {
            return encrypted($cipher);
        }
        return 'a server certificate from another CA was accepted';
    });
    run('prepared statements', function () use ($host, $user, $password, $database, $port) {
        $native = new PDO("mysql:host=$host;port=$port;dbname=$database;charset=utf8mb4", $user, $password,
            [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_EMULATE_PREPARES => false]);
        $statement = $native->prepare(TYPES_SQL);
        $statement->execute();
        $typed = compare($statement->fetch(PDO::FETCH_NUM));
        if ($typed !== true) return "typed values: $typed";
        $statement = $native->prepare(PARAMS_SQL);
        $statement->execute(EXPECTED);
        $bound = loose($statement->fetch(PDO::FETCH_NUM));
        return $bound === true ? true : "parameters: $bound";
    });
    report('reset', null, 'PDO has no reset API');
}
