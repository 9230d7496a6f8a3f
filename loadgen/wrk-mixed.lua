-- wrk script: seed 003's order API mix for quick load in tests and drills.
--   wrk -t2 -c16 -d10s -s loadgen/wrk-mixed.lua http://127.0.0.1:15000
-- READ_PERCENT (env, default 80) of the requests are GET /api/order/<id>
-- over ids 1..MAX_ID (env, default 6: db/seed.sql's orders), the rest
-- POST /api/order with a seed-003-shaped body (customer_id 1..5 exist;
-- 1000+ creates the customer).
local read_pct = tonumber(os.getenv("READ_PERCENT") or "80")
local max_id = tonumber(os.getenv("MAX_ID") or "6")

local function body()
  local cid = math.random(1, 10) <= 8 and math.random(1, 5) or math.random(1000, 1100)
  return string.format('{"customer_id": %d, "customer": {"name": "Load %d", "email": "load%d@example.com"}, '
    .. '"items": [{"product_id": %d, "quantity": %d, "unit_price": 19.99}]}',
    cid, cid, cid, math.random(100, 199), math.random(1, 3))
end

request = function()
  if math.random(1, 100) <= read_pct then
    return wrk.format("GET", "/api/order/" .. math.random(1, max_id))
  end
  return wrk.format("POST", "/api/order", {["Content-Type"] = "application/json"}, body())
end
