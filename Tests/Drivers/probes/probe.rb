# Driver-matrix probe for Ruby: mysql2, as Ruby code (and ActiveRecord underneath) uses it.
# Usage: ruby probe.rb ; connection facts from MATRIX_* environment variables.
# Prints one JSON line per check: {"check", "ok", "detail"}.
require 'bigdecimal'
require 'date'
require 'json'
require 'mysql2'

CONFIG = {
  host: ENV.fetch('MATRIX_HOST', '127.0.0.1'), port: Integer(ENV.fetch('MATRIX_PORT')),
  username: ENV.fetch('MATRIX_USER', 'probe'), password: ENV.fetch('MATRIX_PASSWORD', 'probe-pw'),
  database: ENV.fetch('MATRIX_DATABASE', 'matrix'), encoding: 'utf8mb4'
}.freeze
CA = ENV['MATRIX_CA']
WRONG_CA = ENV['MATRIX_WRONG_CA']
SHA2_FULL = ENV['MATRIX_SHA2_FULL_PORT']
SHA2_FAST = ENV['MATRIX_SHA2_FAST_PORT']
TYPES_SQL = "SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, " \
            "12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, " \
            "TIME '01:02:03' AS tm, X'00FF6162' AS b, NULL AS n"

# Server-side prepared statements: every type through the parameters and back in a binary row.
PARAMS_SQL = 'SELECT ? AS i, ? AS u, ? AS s, ? AS d, ? AS m, ? AS dt, ? AS ts, ? AS tm, ? AS b, ? AS n'

# A row as text whatever Ruby type each value arrived as (a server echoing string parameters sends
# strings; typed columns come as Integer, BigDecimal, Date, Time).
def as_text(row)
  row.map do |v|
    case v
    when nil then nil
    when BigDecimal then v.to_s('F')
    when Time then v.strftime('%Y-%m-%d %H:%M:%S.%6N')
    when Date then v.iso8601
    when String then v.encoding == Encoding::BINARY || !v.valid_encoding? ? v.unpack1('H*') : v
    else v.to_s
    end
  end
end

def report(check, ok, detail = '')
  puts JSON.generate(check: check, ok: ok.nil? ? nil : (ok ? true : false), detail: detail.to_s[0, 300])
  $stdout.flush
end

def run(check)
  result = yield
  report(check, result == true, result == true ? '' : result)
rescue StandardError => e
  report(check, false, "#{e.class}: #{e.message}")
end

client = nil
run('login') { client = Mysql2::Client.new(**CONFIG); true }
exit 0 if client.nil?

# TLS as mysql2's users set it up: the CA, and verification of the server's certificate and name.
def secure(ca, port = CONFIG[:port])
  Mysql2::Client.new(**CONFIG, port: Integer(port), sslca: ca, ssl_mode: :verify_identity)
end

if SHA2_FULL && SHA2_FAST
  run('caching_sha2 (fast, full)') do
    full = secure(CA, SHA2_FULL)
    full.query('SELECT 1').to_a
    full.close
    Mysql2::Client.new(**CONFIG, port: Integer(SHA2_FAST)).close
    true
  end
end

run('typed values') do
  row = client.query(TYPES_SQL, as: :array).first
  ts = row[6]
  got = [row[0], row[1], row[2], row[3], row[4], row[5], [ts.year, ts.month, ts.day, ts.hour, ts.min, ts.sec, ts.usec],
         row[7].strftime('%H:%M:%S'), row[8], row[9]]
  want = [42, 18_446_744_073_709_551_615, 'héllo wörld', 1.5, BigDecimal('12.34'), Date.new(2024, 1, 2),
          [2024, 1, 2, 3, 4, 5, 250_000], '01:02:03', "\x00\xFFab".b, nil]
  got == want ? true : "got #{got.inspect}"
end
run('parameters') do
  # mysql2 has no client-side placeholders: its users escape values into the text.
  row = client.query("SELECT 7 AS a, '#{client.escape('x y')}' AS b", as: :array).first
  row == [7, 'x y'] ? true : "got #{row.inspect}"
end
run('error') do
  client.query('SELECT * FROM missing_table')
  'no error raised'
rescue Mysql2::Error => e
  next "errno #{e.error_number}" unless e.error_number == 1146
  e.sql_state == '42S02' ? true : "sql_state #{e.sql_state}"
end
run('affected rows, insert id') do
  client.query("INSERT INTO items (name) VALUES ('a'), ('b')")
  got = [client.affected_rows, client.last_id]
  got == [2, 42] ? true : "got #{got.inspect}"
end
run('TLS verified, wrong CA refused') do
  tls = secure(CA)
  cipher = tls.query("SHOW STATUS LIKE 'Ssl_cipher'", as: :array).first[1]
  tls.close
  next "not encrypted: Ssl_cipher #{cipher.inspect}" if cipher.to_s.empty?
  begin
    secure(WRONG_CA).close
    'a server certificate from another CA was accepted'
  rescue Mysql2::Error
    true
  end
end
# Several results (issue 17): two statements in one query, a stored procedure with two result sets
# and an OK, a batch whose second statement fails, and the syntax error without multi-statements.
MULTI_SQL = 'SELECT 1 AS a; SELECT 2 AS b'

# Every result of a query: its rows, or nil for one without columns (an OK).
def result_sets(client, sql)
  sets = [client.query(sql, as: :array)&.to_a]
  sets << client.store_result&.to_a while client.next_result
  sets
end

def multi_client
  Mysql2::Client.new(**CONFIG, flags: Mysql2::Client::MULTI_STATEMENTS)
end

run('multi-statement') do
  multi = multi_client
  got = result_sets(multi, MULTI_SQL)
  multi.close
  got == [[[1]], [[2]]] ? true : "got #{got.inspect}"
end
run('CALL results') do
  got = result_sets(client, 'CALL two_sets()')
  got == [[[1]], [[2], [3]], nil] ? true : "got #{got.inspect}"
end
run('batch error') do
  multi = multi_client
  first = multi.query('SELECT 1 AS a; SELECT * FROM missing_table; SELECT 2 AS b', as: :array).to_a
  next "first result #{first.inspect}" unless first == [[1]]
  begin
    multi.store_result while multi.next_result
    'no error raised'
  rescue Mysql2::Error => e
    e.error_number == 1146 ? true : "code #{e.error_number}"
  ensure
    multi.close
  end
end
run('multi off: 1064') do
  client.query(MULTI_SQL)
  'no error raised'
rescue Mysql2::Error => e
  e.error_number == 1064 ? true : "code #{e.error_number}"
end
run('ping, reuse') do
  next 'ping failed' unless client.ping
  client.close
  3.times do
    again = Mysql2::Client.new(**CONFIG)
    again.query(TYPES_SQL).to_a
    again.close
  end
  true
end
run('prepared statements') do
  client = Mysql2::Client.new(**CONFIG)
  typed = client.prepare(TYPES_SQL).execute(as: :array).first
  ts = typed[6]
  want = as_text([42, 18_446_744_073_709_551_615, 'héllo wörld', 1.5, BigDecimal('12.34'), Date.new(2024, 1, 2),
                  Time.utc(2024, 1, 2, 3, 4, 5, 250_000), nil, "\x00\xFFab".b, nil])
  got = as_text(typed)
  got[7] = typed[7].strftime('%H:%M:%S')
  want[7] = '01:02:03'
  next "typed values: #{got.inspect} (#{ts.inspect})" unless got == want
  statement = client.prepare(PARAMS_SQL)
  row = statement.execute(42, '18446744073709551615', 'héllo wörld', 1.5, '12.34', '2024-01-02',
                          '2024-01-02 03:04:05.250000', '01:02:03', "\x00\xFFab".b, nil, as: :array).first
  bound = as_text(row)
  bound[7] = row[7].is_a?(Time) ? row[7].strftime('%H:%M:%S') : bound[7]
  bound == want ? true : "parameters: #{bound.inspect}"
end
report('reset', nil, 'mysql2 has no reset API')
