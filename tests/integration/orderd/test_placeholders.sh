#!/bin/bash
# orderd with the packaged my.cnf still holding CHANGE_ME (issue 11): it
# starts and keeps running (no exit, so no Restart=on-failure loop), says
# so once at error level, never logs in with the placeholders (MariaDB's
# Aborted_connects does not move), liveness 200, readiness 503 with a JSON
# reason, the API 503, the metrics listener up with orderd_ready 0.  SIGHUP
# logs Reloading and the outcome; once the file is filled in, SIGHUP
# brings it to ready without a restart.
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/orderd/lib.sh"

dir=$(tmpdir_new)
mariadb_start "$dir/db" || exit 1
mariadb_load || exit 1
cnf=$dir/my.cnf
sed 's/^password *=.*/password = CHANGE_ME/' "$MARIADB_DIR/orderd.cnf" >"$cnf"
grep -q '^password = CHANGE_ME$' "$cnf" || { fail "placeholder my.cnf written"; finish; }
aborted() { mariadb_root -N -e "SHOW GLOBAL STATUS LIKE 'Aborted_connects'" | cut -f2; }
a0=$(aborted)

# a long backoff cap: readiness soon after SIGHUP is the reload's doing
orderd_start --config.my-cnf="$cnf" --db.check-interval=200ms --db.retry-max-backoff=30s || exit 1
sleep 2
check "alive with placeholders" kill -0 "$ORDERD_PID"
r=$(http GET /health/liveness)
check "liveness 200" [ "${r%% *}" = 200 ]
r=$(http GET /health/readiness)
check "readiness 503" [ "${r%% *}" = 503 ]
check "readiness body: status not ready" [ "$(json 'j["status"]' <<<"${r#* }")" = "not ready" ]
check "readiness body: the reason names the file and the placeholders" \
	grep -q "database credentials in $cnf are placeholders (CHANGE_ME)" <<<"$(json 'j["reason"]' <<<"${r#* }")"
r=$(http GET /api/order/1)
check "API 503" [ "${r%% *}" = 503 ]
check "API error says why" [ "$(json 'j["error"]' <<<"${r#* }")" = "database credentials not configured" ]
m=$(curl -s "$ORDERD_METRICS_URL/metrics")
check "metrics listener up, orderd_ready 0" grep -q '^orderd_ready 0$' <<<"$m"
check "the placeholder line, once, at error" \
	[ "$(grep -c "level=error msg=\"database credentials are placeholders (CHANGE_ME): edit them, then systemctl reload orderd; not ready until then\" file=$cnf option=password" "$ORDERD_LOG")" = 1 ]
check "no connection attempts logged" bash -c "! grep -q 'database not reachable' '$ORDERD_LOG'"
check "no login tried with the placeholders (Aborted_connects $a0 -> $(aborted))" [ "$(aborted)" = "$a0" ]

# SIGHUP while the placeholders remain: a failed reload, said so
kill -HUP "$ORDERD_PID"
for ((i = 0; i < 50; i++)); do grep -q 'Reload failed' "$ORDERD_LOG" && break; sleep 0.1; done
check "SIGHUP: Reloading logged" grep -q 'level=info msg=Reloading name=orderd signal=SIGHUP' "$ORDERD_LOG"
check "SIGHUP: Reload failed, with the reason" \
	grep -q "level=error msg=\"Reload failed\" name=orderd err=\"database credentials in $cnf are still placeholders (CHANGE_ME)\"" "$ORDERD_LOG"
check "still one placeholder line" [ "$(grep -c 'msg="database credentials are placeholders' "$ORDERD_LOG")" = 1 ]

# fill it in, SIGHUP: ready without a restart
sleep 3	# the checker's backoff has grown past the wait below
cp "$MARIADB_DIR/orderd.cnf" "$cnf"
t0=$(date +%s%N)
kill -HUP "$ORDERD_PID"
ready=0
for ((i = 0; i < 30; i++)); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$ORDERD_URL/health/readiness")" = 200 ] && { ready=1; break; }
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
check "ready within 3 s of SIGHUP (${ms} ms)" [ "$ready" = 1 ]
check "SIGHUP: Reloaded" grep -q 'level=info msg=Reloaded name=orderd' "$ORDERD_LOG"
check "credentials filled in: logged" grep -q 'msg="database credentials filled in: connecting"' "$ORDERD_LOG"
r=$(http GET /api/order/1)
check "API answers once ready" [ "${r%% *}" = 200 ]
check "same process (no restart)" kill -0 "$ORDERD_PID"
orderd_stop; rc=$?
check "exits 0 at SIGTERM" [ "$rc" = 0 ]
finish
