#!/usr/bin/perl
# Driver-matrix probe for Perl DBI: DBD::MariaDB or DBD::mysql, as DBI code usually reads.
# Usage: perl probe.pl MariaDB|mysql ; connection facts from MATRIX_* environment variables.
# Prints one JSON line per check: {"check", "ok", "detail"}.
use strict;
use warnings;
use utf8;
use DBI;
use JSON::PP;

binmode STDOUT, ':encoding(UTF-8)';
my $driver = shift @ARGV || 'MariaDB';
my $host = $ENV{MATRIX_HOST} || '127.0.0.1';
my $port = $ENV{MATRIX_PORT};
my $user = $ENV{MATRIX_USER} || 'probe';
my $password = $ENV{MATRIX_PASSWORD} || 'probe-pw';
my $database = $ENV{MATRIX_DATABASE} || 'matrix';
my ($ca, $wrong_ca) = ($ENV{MATRIX_CA}, $ENV{MATRIX_WRONG_CA});
my ($sha2_full, $sha2_fast) = ($ENV{MATRIX_SHA2_FULL_PORT}, $ENV{MATRIX_SHA2_FAST_PORT});
my $types_sql = "SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, "
    . "12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, "
    . "TIME '01:02:03' AS tm, X'00FF6162' AS b, NULL AS n";
# Server-side prepared statements: every type through the parameters and back in a binary row.
my $params_sql = 'SELECT ? AS i, ? AS u, ? AS s, ? AS d, ? AS m, ? AS dt, ? AS ts, ? AS tm, ? AS b, ? AS n';
my @want = ('42', '18446744073709551615', 'héllo wörld', '1.5', '12.34', '2024-01-02',
            '2024-01-02 03:04:05.250000', '01:02:03', "\x00\xffab", 'undef');
my $json = JSON::PP->new->canonical;

# A row as text, as DBI hands it over (NULL as 'undef', the VARCHAR decoded from UTF-8).
sub as_text {
    my @row = @_;
    my $s = $row[2];
    utf8::decode($s) unless utf8::is_utf8($s);
    return map { defined $_ ? "$_" : 'undef' } ($row[0], $row[1], $s, $row[3] + 0, @row[4 .. 9]);
}

sub report {
    my ($check, $ok, $detail) = @_;
    print $json->encode({check => $check, ok => !defined $ok ? undef : $ok ? JSON::PP::true : JSON::PP::false,
                         detail => substr($detail // '', 0, 300)}), "\n";
}

sub run {
    my ($check, $body) = @_;
    my $result = eval { $body->() };
    if ($@) { report($check, 0, "$@"); return; }
    report($check, defined $result && $result eq '1', defined $result && $result eq '1' ? '' : $result);
}

sub dsn {
    my ($port, $tls_ca) = @_;
    my $prefix = $driver eq 'MariaDB' ? 'mariadb' : 'mysql';
    my $dsn = "DBI:$driver:database=$database;host=$host;port=$port";
    $dsn .= ';mysql_enable_utf8mb4=1' if $driver eq 'mysql';
    # TLS as DBI users write it: the CA, and verification of the server's certificate.
    $dsn .= ";${prefix}_ssl=1;${prefix}_ssl_ca_file=$tls_ca;${prefix}_ssl_verify_server_cert=1" if $tls_ca;
    # DBD::mysql 4.050 on MariaDB Connector/C refuses to enforce TLS ("Enforcing SSL encryption is
    # not supported"); its users mark it optional, and the check reads Ssl_cipher to see it is on.
    $dsn .= ';mysql_ssl_optional=1' if $tls_ca && $driver eq 'mysql';
    return $dsn;
}
my $dsn = dsn($port);
my %attributes = (RaiseError => 1, PrintError => 0, AutoCommit => 1);
my $dbh;
run('login', sub {
    $dbh = DBI->connect($dsn, $user, $password, {RaiseError => 1, PrintError => 0, AutoCommit => 1});
    return 1;
});
exit 0 unless $dbh;

if ($sha2_full && $sha2_fast) {
    run('caching_sha2 (fast, full)', sub {
        my $full = DBI->connect(dsn($sha2_full, $ca), $user, $password, {%attributes});
        $full->selectrow_array('SELECT 1');
        $full->disconnect;
        DBI->connect(dsn($sha2_fast), $user, $password, {%attributes})->disconnect;
        return 1;
    });
}

run('typed values', sub {
    # DBI hands every value over as text (numbers too); compare as text, NULL as undef.
    my @got = as_text($dbh->selectrow_array($types_sql));
    return $json->encode(\@got) eq $json->encode(\@want) ? 1 : 'got ' . $json->encode(\@got);
});
run('parameters', sub {
    my @row = $dbh->selectrow_array('SELECT ? AS a, ? AS b', undef, 7, 'x y');
    return ($row[0] == 7 && $row[1] eq 'x y') ? 1 : "got @row";
});
run('error', sub {
    my $ok = eval { $dbh->do('SELECT * FROM missing_table'); 1 };
    return 'no error raised' if $ok;
    return 'code ' . $dbh->err unless $dbh->err == 1146;
    return $dbh->state eq '42S02' ? 1 : 'sqlstate ' . $dbh->state;
});
run('affected rows, insert id', sub {
    my $count = $dbh->do("INSERT INTO items (name) VALUES ('a'), ('b')");
    my $id = $dbh->last_insert_id(undef, undef, 'items', 'id');
    return ($count == 2 && $id == 42) ? 1 : "got $count, $id";
});
run('TLS verified, wrong CA refused', sub {
    my $tls = DBI->connect(dsn($port, $ca), $user, $password, {%attributes});
    my (undef, $cipher) = $tls->selectrow_array("SHOW STATUS LIKE 'Ssl_cipher'");
    $tls->disconnect;
    return "not encrypted: Ssl_cipher '$cipher'" unless $cipher;
    my $wrong = eval { DBI->connect(dsn($port, $wrong_ca), $user, $password, {%attributes}) };
    return $wrong ? 'a server certificate from another CA was accepted' : 1;
});
# Several results (issue 17): two statements in one query, a stored procedure with two result sets
# and an OK, a batch whose second statement fails, and the syntax error without multi-statements.
my $prefix = $driver eq 'MariaDB' ? 'mariadb' : 'mysql';
my $multi_sql = 'SELECT 1 AS a; SELECT 2 AS b';

# Every result of an executed statement: its rows (as numbers), or null for one without columns.
sub result_sets {
    my ($sth) = @_;
    my @sets;
    do {
        push @sets, $sth->{NUM_OF_FIELDS}
            ? [map { [map { defined $_ ? $_ + 0 : undef } @$_] } @{$sth->fetchall_arrayref}] : undef;
    } while ($sth->more_results);
    return $json->encode(\@sets);
}

sub multi_connect {
    return DBI->connect(dsn($port) . ";${prefix}_multi_statements=1", $user, $password, {%attributes});
}
run('multi-statement', sub {
    my $multi = multi_connect();
    my $sth = $multi->prepare($multi_sql);
    $sth->execute;
    my $got = result_sets($sth);
    $multi->disconnect;
    return $got eq '[[[1]],[[2]]]' ? 1 : "got $got";
});
run('CALL results', sub {
    my $sth = $dbh->prepare('CALL two_sets()');
    $sth->execute;
    my $got = result_sets($sth);
    return $got eq '[[[1]],[[2],[3]],null]' ? 1 : "got $got";
});
run('batch error', sub {
    my $multi = multi_connect();
    my $sth = $multi->prepare('SELECT 1 AS a; SELECT * FROM missing_table; SELECT 2 AS b');
    $sth->execute;
    my $first = $json->encode([map { [map { $_ + 0 } @$_] } @{$sth->fetchall_arrayref}]);
    return "first result $first" unless $first eq '[[1]]';
    my $ok = eval { 1 while $sth->more_results; 1 };
    my $err = $multi->err;
    $multi->disconnect;
    return 'no error raised' if $ok;
    return $err == 1146 ? 1 : "code $err";
});
run('multi off: 1064', sub {
    my $ok = eval { $dbh->do($multi_sql); 1 };
    return 'no error raised' if $ok;
    return $dbh->err == 1064 ? 1 : 'code ' . $dbh->err;
});
run('ping, reuse', sub {
    return 'ping failed' unless $dbh->ping;
    $dbh->disconnect;
    my $again = DBI->connect_cached($dsn, $user, $password, {RaiseError => 1, PrintError => 0});
    $again->selectall_arrayref('SELECT 7 AS a, ? AS b', undef, 'x y');
    my $same = DBI->connect_cached($dsn, $user, $password, {RaiseError => 1, PrintError => 0});
    return $same == $again ? 1 : 'connect_cached did not reuse the handle';
});
run('prepared statements', sub {
    my $prefix = $driver eq 'MariaDB' ? 'mariadb' : 'mysql';
    my $prepared = DBI->connect(dsn($port) . ";${prefix}_server_prepare=1", $user, $password, {%attributes});
    my @typed = as_text($prepared->selectrow_array($types_sql));
    return 'typed values: ' . $json->encode(\@typed) unless $json->encode(\@typed) eq $json->encode(\@want);
    my @values = @want;
    $values[9] = undef;
    my @bound = as_text($prepared->selectrow_array($params_sql, undef, @values));
    $prepared->disconnect;
    return $json->encode(\@bound) eq $json->encode(\@want) ? 1 : 'parameters: ' . $json->encode(\@bound);
});
report('reset', undef, 'DBI has no reset API');
