#!/bin/bash
# mysql-exporter against a real MariaDB (performance_schema on), as the
# least-privilege `exporter` user of db/grants.sql, beside Debian's
# prometheus-mysqld-exporter 0.14 with the same collectors:
#  - every collector succeeds (no permission error) and its families are
#    there with mysqld_exporter's types and label names;
#  - values agree with the server's own tables;
#  - a scrape costs fewer statements than 0.14's and no new connection;
#  - promtool finds nothing beyond what it finds in 0.14's output;
#  - credentials never appear in argv or the log.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mariadb_start "$d/db" || exit 1
mariadb_load || exit 1
gen_load

myexp_start || exit 1
# shellcheck disable=SC2046
mysqld_exporter_start $(mde_same_collectors) || exit 1

# A thread in a known state for the processlist collector.
mariadb --defaults-file="$MARIADB_DIR/orderd.cnf" -e 'SELECT SLEEP(300)' >/dev/null 2>&1 &
sleeper=$!
on_exit "kill $sleeper 2>/dev/null"
# (bounded wait until it runs: a fixed sleep loses the race on a busy machine)
for ((i = 0; i < 100; i++)); do
	[ "$(mariadb_root -N -e "SELECT COUNT(*) FROM information_schema.processlist WHERE user='app_user' AND info LIKE 'SELECT SLEEP(300)%'")" -ge 1 ] && break
	sleep 0.1
done

check "scrape answers 200" [ "$(scrape "$MYEXP_URL/metrics" "$d/ours.prom")" = 200 ]
check "content type is text 0.0.4" bash -c "curl -sI '$MYEXP_URL/metrics' | grep -qi '^content-type: text/plain; version=0.0.4'"
check "mysql_up 1" [ "$(mval "$d/ours.prom" mysql_up)" = 1 ]
for c in $MY_COLLECTORS; do
	v=$(mval "$d/ours.prom" mysql_exporter_collector_success collector="collect.$c")
	check "least-privilege user: collect.$c succeeds" [ "$v" = 1 ]
	v=$(mval "$d/ours.prom" mysql_exporter_collector_duration_seconds collector="collect.$c")
	check "collect.$c has a duration" [ -n "$v" ]
done
check "last_scrape_error 0" [ "$(mval "$d/ours.prom" mysql_exporter_last_scrape_error)" = 0 ]
check "no permission errors logged" bash -c "! grep -qi 'denied\|error' '$MYEXP_LOG'"
check "no sanitizer report in the exporter log" bash -c "! grep -q Sanitizer '$MYEXP_LOG'"

# ---- families, types, labels (one or more per collector) ----
fam() {	# fam NAME TYPE LABELS(comma-separated, sorted; "" for none)
	local t l
	t=$("$PY" "$MYTEST_DIR/promget.py" "$d/ours.prom" "$1" --type)
	l=$("$PY" "$MYTEST_DIR/promget.py" "$d/ours.prom" "$1" --labels)
	check "family $1 is $2{$3}" [ "$t" = "$2" -a "$l" = "$3" ]
}
fam mysql_global_status_commands_total counter command
fam mysql_global_status_handlers_total counter handler
fam mysql_global_status_connection_errors_total counter error
fam mysql_global_status_buffer_pool_pages gauge state
fam mysql_global_status_buffer_pool_dirty_pages gauge ""
fam mysql_global_status_buffer_pool_page_changes_total counter operation
# (Innodb_rows_* -> innodb_row_ops_total: MariaDB 10.11 has no such status; unit-tested)
fam mysql_global_status_threads_connected untyped ""
fam mysql_global_status_slow_queries untyped ""
fam mysql_global_status_innodb_buffer_pool_read_requests untyped ""
fam mysql_global_status_innodb_buffer_pool_reads untyped ""
fam mysql_global_variables_max_connections gauge ""
fam mysql_version_info gauge innodb_version,version,version_comment
fam mysql_transaction_isolation gauge level
fam mysql_info_schema_innodb_metrics_buffer_pool_pages gauge state
fam mysql_info_schema_innodb_metrics_lock_lock_deadlocks gauge ""
fam mysql_info_schema_processlist_threads gauge command,state
fam mysql_info_schema_processlist_seconds gauge command,state
fam mysql_info_schema_processlist_processes_by_user gauge mysql_user
fam mysql_info_schema_processlist_processes_by_host gauge client_host
fam mysql_perf_schema_events_statements_total counter digest,digest_text,schema
fam mysql_perf_schema_events_statements_seconds_total counter digest,digest_text,schema
fam mysql_perf_schema_events_statements_no_index_used_total counter digest,digest_text,schema
fam mysql_perf_schema_events_waits_total counter event_name
fam mysql_perf_schema_events_waits_seconds_total counter event_name
fam mysql_perf_schema_file_events_total counter event_name,mode
fam mysql_perf_schema_file_events_bytes_total counter event_name,mode
fam mysql_perf_schema_table_io_waits_total counter name,operation,schema
fam mysql_perf_schema_table_io_waits_seconds_total counter name,operation,schema
fam mysql_perf_schema_index_io_waits_total counter index,name,operation,schema
fam mysql_perf_schema_sql_lock_waits_total counter name,operation,schema
fam mysql_perf_schema_external_lock_waits_total counter name,operation,schema
fam mysql_perf_schema_memory_events_used_bytes gauge event_name
fam mysql_perf_schema_memory_events_alloc_bytes_total counter event_name
fam mysql_exporter_collector_success gauge collector
fam mysql_exporter_collector_duration_seconds gauge collector
fam mysql_exporter_scrapes_total counter ""
fam mysql_exporter_last_scrape_error gauge ""

# ---- values against the server's own tables ----
scrape "$MYEXP_URL/metrics" "$d/ours1.prom" >/dev/null
up_srv=$(server_status Uptime)
up_exp=$(mval "$d/ours1.prom" mysql_global_status_uptime)
check "uptime $up_exp matches SHOW GLOBAL STATUS ($up_srv)" float_eq "$up_exp" "$up_srv" 2
mc=$(mariadb_root -N -e 'SELECT @@max_connections')
check "max_connections = $mc" [ "$(mval "$d/ours.prom" mysql_global_variables_max_connections)" = "$mc" ]
ver=$(mariadb_root -N -e 'SELECT @@version')
check "version_info carries $ver" [ "$(mval "$d/ours.prom" mysql_version_info version="$ver")" = 1 ]
iso=$(mariadb_root -N -e 'SELECT @@tx_isolation')
check "transaction_isolation $iso" [ "$(mval "$d/ours.prom" mysql_transaction_isolation level="$iso")" = 1 ]
# ON/OFF variables are 1/0
check "performance_schema variable ON -> 1" [ "$(mval "$d/ours.prom" mysql_global_variables_performance_schema)" = 1 ]
# per-table I/O: the exporter's value equals the table's (no load runs now)
q="SELECT COUNT_FETCH, SUM_TIMER_FETCH FROM performance_schema.table_io_waits_summary_by_table WHERE OBJECT_SCHEMA='orders_db' AND OBJECT_NAME='orders'"
scrape "$MYEXP_URL/metrics" "$d/ours2.prom" >/dev/null
read -r fetch timer < <(mariadb_root -N -e "$q")
v=$(mval "$d/ours2.prom" mysql_perf_schema_table_io_waits_total schema=orders_db name=orders operation=fetch)
check "orders fetch count $v = performance_schema's $fetch" [ "$v" = "$fetch" ] 
check "orders fetch count is not zero after load" [ "${fetch:-0}" -gt 0 ]
v=$(mval "$d/ours2.prom" mysql_perf_schema_table_io_waits_seconds_total schema=orders_db name=orders operation=fetch)
check "orders fetch latency $v s = $timer ps" float_eq "$v" "$(awk "BEGIN{printf \"%.15g\", $timer/1e12}")" 1e-9
check "no system schema in table io" [ "$("$PY" "$MYTEST_DIR/promget.py" "$d/ours2.prom" mysql_perf_schema_table_io_waits_total schema=mysql --count)" = 0 ]
# statement digests of the generated load, counted as the server counts them
q="SELECT DIGEST, COUNT_STAR FROM performance_schema.events_statements_summary_by_digest WHERE SCHEMA_NAME='orders_db' AND DIGEST_TEXT LIKE 'SELECT COUNT ( * ) FROM %order_items%' LIMIT 1"
read -r digest cnt < <(mariadb_root -N -e "$q")
v=$(mval "$d/ours2.prom" mysql_perf_schema_events_statements_total schema=orders_db digest="$digest")
check "digest $digest count $v = $cnt" [ -n "$cnt" -a "$v" = "$cnt" ]
dt=$(grep "digest=\"$digest\"" "$d/ours2.prom" | head -n 1 | sed 's/.*digest_text="\([^"]*\)".*/\1/')
check "digest_text is truncated to 120 characters" [ "${#dt}" -le 120 -a "${#dt}" -gt 10 ]
# processlist: the SLEEP(300) of app_user
v=$(mval "$d/ours2.prom" mysql_info_schema_processlist_threads command=query state=user_sleep)
check "processlist sees app_user's SLEEP ($v)" [ "${v:-0}" -ge 1 ]
v=$(mval "$d/ours2.prom" mysql_info_schema_processlist_processes_by_user mysql_user=app_user)
check "processes_by_user app_user ($v)" [ "${v:-0}" -ge 1 ]
# innodb_metrics: a counter we can read back
q="SELECT COUNT FROM information_schema.INNODB_METRICS WHERE NAME='buffer_pool_size'"
check "innodb_metrics buffer_pool_size = server's" [ "$(mval "$d/ours2.prom" mysql_info_schema_innodb_metrics_server_buffer_pool_size)" = "$(mariadb_root -N -e "$q")" ]
# buffer pool efficiency inputs
v=$(mval "$d/ours2.prom" mysql_global_status_innodb_buffer_pool_read_requests)
check "innodb_buffer_pool_read_requests > 0" float_eq 1 "$( [ "${v%%.*}" -gt 0 ] && echo 1 || echo 0)"
# memory events: the "memory/" prefix is removed
check "memory event names without memory/ prefix" bash -c "! grep -q 'memory_events_used_bytes{event_name=\"memory/' '$d/ours2.prom'"
check "memory events present" [ "$("$PY" "$MYTEST_DIR/promget.py" "$d/ours2.prom" mysql_perf_schema_memory_events_used_bytes --count)" -gt 0 ]
# index io: only index NONE has an insert series (as 0.14)
check "index io insert only for NONE" bash -c "! grep 'index_io_waits_total{' '$d/ours2.prom' | grep 'operation=\"insert\"' | grep -vq 'index=\"NONE\"'"

# ---- the live comparison with mysqld_exporter 0.14 ----
check "mysqld_exporter answers" [ "$(scrape "$MDE_URL/metrics" "$d/theirs.prom")" = 200 ]
check "mysqld_exporter up" [ "$(mval "$d/theirs.prom" mysql_up)" = 1 ]
"$PY" "$MYTEST_DIR/promcompare.py" "$d/ours2.prom" "$d/theirs.prom" >"$d/compare.txt"
rc=$?	# (kept before the check: the $(...) in its description resets $?)
check "same types and label names for every common family ($(tail -n 1 "$d/compare.txt"))" [ $rc = 0 ]
grep -v '^#' "$d/compare.txt" | head -n 20
ncommon=$(sed -n 's/^# \([0-9]*\) common.*/\1/p' "$d/compare.txt")
check "at least 500 families in common ($ncommon)" [ "${ncommon:-0}" -ge 500 ]
# every family of theirs from these collectors is ours too (except processlist, which
# only shows other clients: ours sees theirs' connection only when it is open)
"$PY" "$MYTEST_DIR/promcompare.py" "$d/ours2.prom" "$d/theirs.prom" --report |
	sed -n 's/^only theirs: //p' | grep '^mysql_' |
	grep -v '^mysqld_exporter_\|^mysql_info_schema_processlist_\|^mysql_exporter_scrape_errors_total' >"$d/missing.txt"
check "no mysqld_exporter family missing from ours ($(tr '\n' ' ' <"$d/missing.txt"))" [ ! -s "$d/missing.txt" ]

# global_variables reads information_schema.SYSTEM_VARIABLES on MariaDB (not
# SHOW GLOBAL VARIABLES, see global_variables.c): every series must still be
# mysqld_exporter's (which runs SHOW GLOBAL VARIABLES) with the same value,
# and every numeric or boolean row of SHOW GLOBAL VARIABLES must be there.
mariadb_root -N -B -e 'SHOW GLOBAL VARIABLES' >"$d/show-vars.tsv"
"$PY" - "$d/ours2.prom" "$d/theirs.prom" "$d/show-vars.tsv" >"$d/vars-diff.txt" <<'EOF'
import re, sys
fams = ('mysql_global_variables_', 'mysql_version_info', 'mysql_transaction_isolation')
def series(path):
    out = {}
    for line in open(path, encoding='utf-8', errors='replace'):
        if line.startswith(fams):
            k, v = line.rsplit(None, 1)
            out[k] = float(v)
    return out
ours, theirs = series(sys.argv[1]), series(sys.argv[2])
bad = [f'ours only: {k}' for k in ours.keys() - theirs.keys()]
bad += [f'theirs only: {k}' for k in theirs.keys() - ours.keys()]
bad += [f'{k}: ours {ours[k]} theirs {theirs[k]}' for k in ours.keys() & theirs.keys() if ours[k] != theirs[k]]
words = {'on': 1, 'yes': 1, 'off': 0, 'no': 0, 'disabled': 0}
n = 0
for row in open(sys.argv[3], encoding='utf-8', errors='replace'):
    name, _, val = row.rstrip('\n').partition('\t')
    if val.lower() in words:
        v = words[val.lower()]
    elif re.match(r'^[-+]?[0-9.]', val):
        try:
            v = float(val)
        except ValueError:
            continue
    else:
        continue
    n += 1
    k = 'mysql_global_variables_' + re.sub(r'[^a-z0-9_]', '_', name.lower())
    if ours.get(k) != v:
        bad.append(f'{k}: ours {ours.get(k)} SHOW GLOBAL VARIABLES {val}')
print('\n'.join(bad[:20]))
print(f'# {len(ours)} series, {n} numeric rows of SHOW GLOBAL VARIABLES, {len(bad)} differences')
sys.exit(1 if bad else 0)
EOF
rc=$?
check "global_variables: same series and values as mysqld_exporter and SHOW GLOBAL VARIABLES ($(tail -n 1 "$d/vars-diff.txt"))" [ $rc = 0 ]
grep -v '^#' "$d/vars-diff.txt" | head -n 20

# Series by series (label values included) for every family with bounded
# labels, and the values that stood still while both were scraped
# (seriescmp.py): catches a status variable exported under the wrong label
# value, which the family/type/label-name comparison above cannot see.
for i in a b; do
	scrape "$MYEXP_URL/metrics" "$d/ours-$i.prom" >/dev/null
	scrape "$MDE_URL/metrics" "$d/theirs-$i.prom" >/dev/null
done
"$PY" "$MYTEST_DIR/seriescmp.py" "$d/ours-a.prom" "$d/theirs-a.prom" "$d/ours-b.prom" "$d/theirs-b.prom" >"$d/series-diff.txt"
rc=$?
check "same series (label values included) and pinned values as mysqld_exporter ($(tail -n 1 "$d/series-diff.txt"))" [ $rc = 0 ]
grep -v '^#' "$d/series-diff.txt" | head -n 20
check "the series comparison covered the bounded families (>= 500 families, >= 1000 pinned values)" \
	awk '/^# / {exit !($2 >= 500 && $8 >= 1000)}' "$d/series-diff.txt"

# ---- promtool: nothing beyond mysqld_exporter's findings for the same names ----
promtool check metrics <"$d/ours2.prom" >"$d/lint-ours.txt" 2>&1
promtool check metrics <"$d/theirs.prom" >"$d/lint-theirs.txt" 2>&1
"$PY" - "$d/lint-ours.txt" "$d/lint-theirs.txt" >"$d/lint-extra.txt" <<'EOF'
import sys
theirs = set(l.strip() for l in open(sys.argv[2]))
for l in open(sys.argv[1]):
    l = l.strip()
    if l and l not in theirs:
        print(l)
EOF
check "promtool: no finding beyond mysqld_exporter's ($(head -c 300 "$d/lint-extra.txt"))" [ ! -s "$d/lint-extra.txt" ]

# ---- statements and connections a scrape costs the server ----
cost() {	# cost URL N: prints "questions connections" per N scrapes
	local url=$1 n=$2 q0 c0 q1 c1 i
	read -r q0 c0 < <(mariadb_root -N -e "SELECT SUM(IF(VARIABLE_NAME='QUESTIONS',VARIABLE_VALUE,0)), SUM(IF(VARIABLE_NAME='CONNECTIONS',VARIABLE_VALUE,0)) FROM information_schema.GLOBAL_STATUS")
	for ((i = 0; i < n; i++)); do curl -s -o /dev/null "$url/metrics"; done
	read -r q1 c1 < <(mariadb_root -N -e "SELECT SUM(IF(VARIABLE_NAME='QUESTIONS',VARIABLE_VALUE,0)), SUM(IF(VARIABLE_NAME='CONNECTIONS',VARIABLE_VALUE,0)) FROM information_schema.GLOBAL_STATUS")
	# minus the measuring client (its query and the client's own statement
	# at connect: 2 Questions) and its connection
	echo $(( (q1 - q0 - 2) )) $(( c1 - c0 - 1 ))
}
kill "$sleeper" 2>/dev/null
wait "$sleeper" 2>/dev/null
read -r oq oc < <(cost "$MYEXP_URL" 10)
read -r tq tc < <(cost "$MDE_URL" 10)
echo "# per 10 scrapes: ours $oq statements $oc connections; mysqld_exporter $tq statements $tc connections"
check "ours costs <= mysqld_exporter's statements ($oq <= $tq per 10 scrapes)" [ "$oq" -le "$tq" ]
check "ours: at most 14 statements per scrape ($oq per 10)" [ "$oq" -le 140 ]
check "ours: no new connection per scrape ($oc)" [ "$oc" -eq 0 ]

# ---- collect[] filter, as mysqld_exporter ----
scrape "$MYEXP_URL/metrics?collect[]=global_status" "$d/filtered.prom" >/dev/null
check "collect[]=global_status: only that collector" [ "$("$PY" "$MYTEST_DIR/promget.py" "$d/filtered.prom" mysql_exporter_collector_success --count)" = 1 ]
check "collect[]=global_status: no variables" [ -z "$(mval "$d/filtered.prom" mysql_global_variables_max_connections)" ]

# ---- --no-collect.X turns a collector off ----
MYEXP_SAVED_URL=$MYEXP_URL
mariadb_root -e "SET GLOBAL general_log_file='$d/general.log', general_log=ON"
myexp_start --no-collect.perf_schema.eventswaits --collect.perf_schema.eventsstatements.limit=1 \
	--collect.perf_schema.eventsstatements.digest_text_limit=10 \
	--exporter.lock_wait_timeout=7 --exporter.log_slow_filter || exit 1
scrape "$MYEXP_URL/metrics" "$d/nowaits.prom" >/dev/null
# the session settings go in the connect's init command: a bad one would fail it
check "lock_wait_timeout=7 + log_slow_filter accepted by MariaDB (mysql_up 1)" [ "$(mval "$d/nowaits.prom" mysql_up)" = 1 ]
mariadb_root -e "SET GLOBAL general_log=OFF"
check "the session gets lock_wait_timeout=7 and log_slow_filter at connect" \
	grep -q "SET SESSION lock_wait_timeout=7, log_slow_filter='tmp_table_on_disk,filesort_on_disk'" "$d/general.log"
check "--no-collect.perf_schema.eventswaits: no waits" [ "$("$PY" "$MYTEST_DIR/promget.py" "$d/nowaits.prom" mysql_perf_schema_events_waits_total --count)" = 0 ]
check "--no-collect...: no success series for it" [ -z "$(mval "$d/nowaits.prom" mysql_exporter_collector_success collector=collect.perf_schema.eventswaits)" ]
check "eventsstatements.limit=1: one digest" [ "$("$PY" "$MYTEST_DIR/promget.py" "$d/nowaits.prom" mysql_perf_schema_events_statements_total --count)" = 1 ]
dt=$(grep '^mysql_perf_schema_events_statements_total{' "$d/nowaits.prom" | sed 's/.*digest_text="\([^"]*\)".*/\1/')
check "digest_text_limit=10 ($dt)" [ "${#dt}" -le 10 ]
MYEXP_URL=$MYEXP_SAVED_URL

# ---- credentials stay out of argv and logs ----
check "password not in the exporter's argv" bash -c "! tr '\0' ' ' </proc/$MYEXP_PID/cmdline | grep -q '$MARIADB_EXPORTER_PASSWORD'"
check "password not in the log" bash -c "! grep -q '$MARIADB_EXPORTER_PASSWORD' '$MYEXP_LOG'"

# ---- clean shutdown: SIGTERM exits 0 (LeakSanitizer reports here under ASan) ----
kill -TERM "$MYEXP_PID"
wait "$MYEXP_PID"
check "SIGTERM: exit 0 ($?)" [ $? = 0 ]
check "no sanitizer or leak report after shutdown" bash -c "! grep -q Sanitizer '$MYEXP_LOG'"

finish
