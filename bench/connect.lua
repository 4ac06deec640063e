-- Connect, authenticate and quit per event.
function thread_init()
  drv = sysbench.sql.driver()
end

function event()
  local con = drv:connect()
  con:disconnect()
end
