-- One statement per event, its text from the environment (BENCH_STATEMENT): the matching rows
-- send the same statement to a trace of 1,000 entries and to a trace of one.
function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  statement = os.getenv("BENCH_STATEMENT")
end

function event()
  con:query(statement)
end

function thread_done()
  con:disconnect()
end
