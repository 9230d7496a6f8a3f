#!/bin/bash
# GET /api/order/:id runs on the API thread that read it, on that thread's
# own DB connection, with no hand-off to the worker pool (issue 15: the two
# hand-offs per GET cost more of orderd's CPU than the GET itself).  Seen
# from outside: with the only worker stuck in a POST that waits for a row
# lock, a GET is still answered (before, it waited in the queue behind the
# POST); the POST completes once the lock goes; the GET's connection is an
# extra reader MariaDB sees; and a job is still needed for a GET, so the
# shedding of test_overload.sh holds.  No timing: each step waits for a
# state, with bounds of many seconds.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
orderd_start --db.pool-size=1 --db.queue-size=4 --db.timeout=60s --web.threads=1 --log.requests=errors || exit 1
wait_http "$ORDERD_URL/health/readiness" 60 || { fail "not ready"; finish; }
check "before any GET: the only worker's writer + the checker (its reader is opened on need)" wait_db_conns 2

# The only worker blocks on customer 1's row lock, held until the KILL below.
lock_customer 1 120 inline_locker
check "the locker holds customer 1's row" [ -n "$LOCKER_ID" ]
curl -sS -o "$dir/post.body" -w '%{http_code}' --max-time 90 -X POST -H 'Content-Type: application/json' \
	--data-binary '{"customer_id":1,"items":[{"product_id":4242,"quantity":1,"unit_price":"1.00"}]}' \
	"$ORDERD_URL/api/order" >"$dir/post" 2>"$dir/post.err" &
pa=$!
# the POST is on the worker once its INSERT waits for the lock (MariaDB's
# state for that is "Update")
waiting=
for ((i = 0; i < 300; i++)); do
	waiting=$(sql "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'app_user' AND command = 'Execute' AND info LIKE 'INSERT INTO orders %'")
	[ "$waiting" = 1 ] && break
	sleep 0.1
done
check "the POST waits for the row lock on the only worker" [ "$waiting" = 1 ]

code=$(curl -s -o "$dir/get" -w '%{http_code}' --max-time 30 "$ORDERD_URL/api/order/1")
check "GET answered while the only worker is busy: 200 (got $code)" [ "$code" = 200 ]
check "GET body is order 1" grep -q '"order_id": *1[,}]' "$dir/get"
check "the POST is still waiting when the GET is answered" kill -0 "$pa"
check "the GET's API thread opened its own reader (3 connections)" wait_db_conns 3

sql "KILL QUERY $LOCKER_ID"
wait "$pa"
check "the POST completes once the lock is gone: 201 (got $(cat "$dir/post"))" [ "$(cat "$dir/post")" = 201 ]
wait "$LOCKER_PID" 2>/dev/null

# the reader is reused: more GETs open no more connections
for i in 1 2 3 4 5; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$ORDERD_URL/api/order/$i")
	[ "$code" = 200 ] || break
done
check "five more GETs: 200" [ "$code" = 200 ]
check "still 3 connections" wait_db_conns 3

# KILL the API thread's reader: the next GET is retried on a fresh one
rid=$(sql "SELECT MAX(id) FROM information_schema.processlist WHERE user = 'app_user'")
sql "KILL CONNECTION $rid"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$ORDERD_URL/api/order/2")
check "GET after its reader was killed: 200 (got $code)" [ "$code" = 200 ]

orderd_stop; rc=$?
check "SIGTERM: exit 0" [ "$rc" = 0 ]
check "every connection closed at exit" wait_db_conns 0
finish
