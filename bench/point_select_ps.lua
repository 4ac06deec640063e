-- One prepared point select per event: `SELECT c FROM sbtest1 WHERE id = ?` with a random id,
-- prepared on the server once per connection under --db-ps-mode=auto (the sysbench OLTP way).
function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  stmt = con:prepare("SELECT c FROM sbtest1 WHERE id = ?")
  id = stmt:bind_create(sysbench.sql.type.INT)
  stmt:bind_param(id)
end

function event()
  id:set(sysbench.rand.uniform(1, 1000))
  stmt:execute()
end

function thread_done()
  stmt:close()
  con:disconnect()
end
