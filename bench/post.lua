-- bench/post.lua: the POST of bench/orderd-bench.sh and of bench/orderd-cpu.sh
-- BENCH_METHOD=POST, written once.  Not a wrk script by itself: each of them
-- writes this file and its own init() and request() after it into one
-- script, whose init() sets max_customer.  post(key): POST /api/order with
-- 1-3 items for a random customer of 1..max_customer, with the header
-- Idempotency-Key: key unless key is nil.  setup() numbers wrk's threads
-- in the global id, for init() to seed math.random per thread.
local counter = 1
function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
end
local post_headers = { ["Content-Type"] = "application/json" }
local function post(key)
	local n = math.random(1, 3)
	local items = {}
	for i = 1, n do
		items[i] = string.format('{"product_id":%d,"quantity":%d,"unit_price":%d.%02d}',
			math.random(100, 999), math.random(1, 5), math.random(0, 99), math.random(0, 99))
	end
	local body = string.format('{"customer_id":%d,"items":[%s]}',
		math.random(1, max_customer), table.concat(items, ","))
	post_headers["Idempotency-Key"] = key
	return wrk.format("POST", "/api/order", post_headers, body)
end
