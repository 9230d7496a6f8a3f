#!/bin/bash
# orderd's default pool: 16 workers, so 16 POSTs in flight at once (a
# commit-bound POST load gains from the larger group commits: bench/
# orderd-cpu.sh BENCH_METHOD=POST), the rest queued; and a worker opens its
# reader only when a GET reaches it, so an idle orderd holds 16 writers and
# the checker's connection, plus one reader per API thread that has served
# a GET; and an idle worker sleeps until a job comes.  20 POSTs for a
# customer whose row a locker holds all wait, 16 of them inside MariaDB,
# until the lock goes; then all are 201.  No speed is timed: each step
# waits for a state (bounded), --db.timeout is long enough that no POST
# gives up while it waits, and the idle check counts wake-ups over 3 s.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
orderd_start --db.timeout=60s --web.threads=1 --log.requests=errors || exit 1
wait_http "$ORDERD_URL/health/readiness" 60 || { fail "not ready"; finish; }
check "idle, before any GET: 16 writers + the checker" wait_db_conns 17
# Idle workers sleep until a job comes: no periodic wake-up (16 workers
# polling 5 times a second were 86 context switches a second in all; now
# the checker's ping once a second and little else: 6).  Counted over 3 s
# from every thread's voluntary + involuntary switches.
csw() { cat /proc/"$ORDERD_PID"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }
a=$(csw); sleep 3; b=$(csw)
check "idle: under 30 context switches a second in all threads (got $(( (b - a) / 3 )))" [ $(( (b - a) / 3 )) -lt 30 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$ORDERD_URL/api/order/1")
check "GET 200 (got $code)" [ "$code" = 200 ]
check "the API thread's reader: 18 connections" wait_db_conns 18

# The locker holds customer 1's row until the KILL below.
lock_customer 1 120 pool_locker
check "the locker holds customer 1's row" [ -n "$LOCKER_ID" ]
pids=()
for i in $(seq 1 20); do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 90 -X POST -H 'Content-Type: application/json' \
		--data-binary '{"customer_id":1,"items":[{"product_id":'"$((5000 + i))"',"quantity":1,"unit_price":"1.00"}]}' \
		"$ORDERD_URL/api/order" >"$dir/post.$i" 2>&1 &
	pids+=($!)
done
# a POST's INSERT waits for the lock (the foreign key's check of the row)
waiting_inserts() { sql "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'app_user' AND command = 'Execute' AND info LIKE 'INSERT INTO orders %'"; }
waiting=
for ((i = 0; i < 300; i++)); do
	waiting=$(waiting_inserts)
	[ "$waiting" -ge 16 ] && break
	sleep 0.1
done
check "16 POSTs wait for the lock inside MariaDB at once (got $waiting)" [ "$waiting" = 16 ]
sleep 1
waiting=$(waiting_inserts)
check "a second later still 16: the other 4 wait in orderd's queue (got $waiting)" [ "$waiting" = 16 ]
check "nothing answered yet" [ "$(cat "$dir"/post.* | wc -c)" = 0 ]
sql "KILL QUERY $LOCKER_ID"
wait "${pids[@]}"
wait "$LOCKER_PID" 2>/dev/null
check "all 20 POSTs are 201 once the lock goes" [ "$(cat "$dir"/post.* | grep -c '^201$')" = 20 ]
check "20 orders of customer 1 with those products" \
	[ "$(sql "SELECT COUNT(*) FROM order_items i JOIN orders o ON o.order_id = i.order_id WHERE o.customer_id = 1 AND i.product_id BETWEEN 5001 AND 5020")" = 20 ]
check "no worker opened a reader: still 18 connections" wait_db_conns 18
finish
