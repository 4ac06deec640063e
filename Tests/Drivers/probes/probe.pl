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
my $types_sql = "SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, "
    . "12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, "
    . "TIME '01:02:03' AS tm, X'616263' AS b, NULL AS n";
my $json = JSON::PP->new->canonical;

sub report {
    my ($check, $ok, $detail) = @_;
    print $json->encode({check => $check, ok => $ok ? JSON::PP::true : JSON::PP::false,
                         detail => substr($detail // '', 0, 300)}), "\n";
}

sub run {
    my ($check, $body) = @_;
    my $result = eval { $body->() };
    if ($@) { report($check, 0, "$@"); return; }
    report($check, defined $result && $result eq '1', defined $result && $result eq '1' ? '' : $result);
}

my $dsn = $driver eq 'MariaDB'
    ? "DBI:MariaDB:database=$database;host=$host;port=$port"
    : "DBI:mysql:database=$database;host=$host;port=$port;mysql_enable_utf8mb4=1";
my $dbh;
run('login', sub {
    $dbh = DBI->connect($dsn, $user, $password, {RaiseError => 1, PrintError => 0, AutoCommit => 1});
    return 1;
});
exit 0 unless $dbh;

run('typed values', sub {
    my @row = $dbh->selectrow_array($types_sql);
    my $s = $row[2];
    utf8::decode($s) unless utf8::is_utf8($s);
    # DBI hands every value over as text (numbers too); compare as text, NULL as undef.
    my @got = map { defined $_ ? "$_" : 'undef' } ($row[0], $row[1], $s, $row[3] + 0, @row[4 .. 9]);
    my @want = ('42', '18446744073709551615', 'héllo wörld', '1.5', '12.34', '2024-01-02',
                '2024-01-02 03:04:05.250000', '01:02:03', 'abc', 'undef');
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
run('ping, reuse', sub {
    return 'ping failed' unless $dbh->ping;
    $dbh->disconnect;
    my $again = DBI->connect_cached($dsn, $user, $password, {RaiseError => 1, PrintError => 0});
    $again->selectall_arrayref('SELECT 7 AS a, ? AS b', undef, 'x y');
    my $same = DBI->connect_cached($dsn, $user, $password, {RaiseError => 1, PrintError => 0});
    return $same == $again ? 1 : 'connect_cached did not reuse the handle';
});
