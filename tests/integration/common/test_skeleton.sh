#!/bin/bash
# The three daemons share common's skeleton (common/app.h), and it shows:
#  - the start and stop lines are the same words and fields in orderd,
#    host-exporter and mysql-exporter (only name= differs);
#  - --help says each thing once (no "One of: [...] One of: [...]", no
#    "(default: enabled). (default: true)"), and lists each flag once;
#  - a bad flag value gets one line naming only that flag and its rule,
#    exit 2 (orderd --web.max-body=1GiB used to name three other flags;
#    mysql-exporter reported a missing my.cnf twice);
#  - SIGHUP re-reads the log settings (--log.config.file): exampled logs its
#    debug line only after the file says "level: debug"; every daemon stops
#    logging info after "level: error"; a bad file keeps the running level.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/integration/common/lib-exampled.sh"
d=$(tmpdir_new)
printf '[client]\nuser=prism\nhost=127.0.0.1\nport=1\n' >"$d/my.cnf"
DAEMONS="orderd host-exporter mysql-exporter"

# args NAME: a command line that starts NAME on loopback ports it picks
args() {
	case $1 in
	orderd) echo "--config.my-cnf=$d/my.cnf --web.listen-address=127.0.0.1:0 --metrics.listen-address=127.0.0.1:0 --db.retry-max-backoff=1s" ;;
	host-exporter) echo "--web.listen-address=127.0.0.1:0 --collector.textfile.directory=$d/none" ;;
	mysql-exporter) echo "--config.my-cnf=$d/my.cnf --web.listen-address=127.0.0.1:0" ;;
	esac
}

# start NAME LOG [ARGS...]: sets PID; waits (10 s) for the Listening line
start() {
	local n=$1 log=$2 i
	shift 2
	: >"$log"
	# shellcheck disable=SC2046
	"$BUILD_DIR/$n" $(args "$n") "$@" >"$log" 2>&1 &
	PID=$!
	on_exit "kill -KILL $PID"
	for ((i = 0; i < 100; i++)); do
		grep -q 'msg="Listening on"' "$log" && return 0
		kill -0 "$PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stop: SIGTERM and wait (20 s); sets RC
stop() {
	local i
	kill -TERM "$PID"
	for ((i = 0; i < 200; i++)); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$PID"
	RC=$?
}

# lifecycle NAME LOG: the Starting, Shutting down and Stopped lines, without
# the time stamp and with the daemon's name and revision replaced
lifecycle() {
	grep -E 'msg=(Starting|"Shutting down"|Stopped) ' "$2" |
		sed -e 's/^ts=[^ ]* //' -e "s/name=$1 /name=NAME /; s/name=$1\$/name=NAME/" \
		    -e 's/revision=[^ ]*/revision=R/'
}

# ---- identical start and stop lines
for n in $DAEMONS; do
	if ! start "$n" "$d/$n.log"; then
		fail "$n starts"; cat "$d/$n.log"; continue
	fi
	stop
	check "$n: SIGTERM exits 0" [ "$RC" = 0 ]
	lifecycle "$n" "$d/$n.log" >"$d/$n.life"
	check "$n: three lifecycle lines" [ "$(wc -l <"$d/$n.life")" = 3 ]
	check "$n: start line has name, version and revision" \
		grep -qx "level=info msg=Starting name=NAME version=[0-9][^ ]* revision=R" "$d/$n.life"
	check "$n: stop line names SIGTERM" \
		grep -qx 'level=info msg="Shutting down" name=NAME signal=SIGTERM' "$d/$n.life"
	check "$n: final stopped line" grep -qx 'level=info msg=Stopped name=NAME' "$d/$n.life"
	check "$n: Stopped is the last line" bash -c "tail -n 1 '$d/$n.log' | grep -q 'msg=Stopped'"
done
check "start/stop lines identical: orderd = host-exporter" cmp -s "$d/orderd.life" "$d/host-exporter.life"
check "start/stop lines identical: orderd = mysql-exporter" cmp -s "$d/orderd.life" "$d/mysql-exporter.life"

# ---- --help says each thing once
for n in $DAEMONS exampled; do
	b=$BUILD_DIR/$n
	[ "$n" = exampled ] && b=$EXAMPLED
	"$b" --help >"$d/$n.help" 2>&1
	# every help text is the line after its flag's spec line
	$PY - "$d/$n.help" >"$d/$n.rep" <<'EOF'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
seen, bad = set(), []
for i, l in enumerate(lines):
    m = re.match(r"\s+--(?:\[no-\])?([a-z0-9._-]+)", l)
    if not m:
        continue
    name = m.group(1)
    if name in seen:
        bad.append("flag listed twice: " + name)
    seen.add(name)
    text = lines[i + 1] if i + 1 < len(lines) else ""
    for marker in ("One of:", "(default:", "Must be"):
        if text.count(marker) > 1:
            bad.append("%s: %r %d times" % (name, marker, text.count(marker)))
    if "(default:" in text and re.search(r"\(default: (en|dis)abled\)", text):
        bad.append(name + ": default said in words and again as a value")
    sentences = [s.strip() for s in re.split(r"(?<=[.\]])\s+", text.strip()) if s.strip()]
    dup = {s for s in sentences if sentences.count(s) > 1}
    if dup:
        bad.append(name + ": repeated " + repr(sorted(dup)))
for b in bad:
    print(b)
print("flags=%d" % len(seen))
EOF
	check "$n --help: no repeats ($(grep -v '^flags=' "$d/$n.rep" | head -n 3 | tr '\n' ';'))" \
		[ "$(grep -vc '^flags=' "$d/$n.rep")" = 0 ]
	check "$n --help: lists its flags" bash -c "grep -Eq '^flags=([6-9]|[1-9][0-9])' '$d/$n.rep'"
	check "$n --help: --web.shutdown-timeout is standard" grep -q -- '--web.shutdown-timeout=' "$d/$n.help"
	check "$n --help: --log.config.file is standard" grep -q -- '--log.config.file=' "$d/$n.help"
done

# ---- one line per bad flag, naming only that flag and its rule
# badflag DESC EXPECT_FLAG EXPECT_RULE NAME ARGS...
badflag() {
	local what=$1 flag=$2 rule=$3 n=$4 out rc
	shift 4
	out=$("$BUILD_DIR/$n" "$@" 2>&1 </dev/null); rc=$?
	printf '%s\n' "$out" >"$d/bad.out"
	check "$what: exit 2" [ "$rc" = 2 ]
	check "$what: one line" [ "$(grep -c . "$d/bad.out")" = 1 ]
	check "$what: names --$flag and its rule" grep -qF -- "for flag '--$flag': $rule" "$d/bad.out"
	check "$what: names no other flag" \
		[ "$(grep -o -- '--[a-z][a-z0-9._-]*' "$d/bad.out" | sort -u)" = "--$flag" ]
	[ "$rc" = 2 ] && [ "$(grep -c . "$d/bad.out")" = 1 ] || echo "# $out"
}
badflag "orderd --web.max-body=1GiB" web.max-body "must be a size in (0, 64MiB]" \
	orderd --config.my-cnf="$d/my.cnf" --web.max-body=1GiB
badflag "orderd --db.timeout=500ms" db.timeout "must be a duration in [1s, 1d]" \
	orderd --config.my-cnf="$d/my.cnf" --db.timeout=500ms
badflag "orderd --db.check-interval=0s" db.check-interval "must be a duration > 0" \
	orderd --config.my-cnf="$d/my.cnf" --db.check-interval=0s
badflag "orderd --log.requests=some" log.requests "must be all, errors, none, or a sample rate in (0,1]" \
	orderd --config.my-cnf="$d/my.cnf" --log.requests=some
badflag "host-exporter --collector.timeout=0s" collector.timeout "must be a duration > 0" \
	host-exporter --collector.timeout=0s
badflag "host-exporter bad regex" collector.vmstat.fields "invalid regular expression" \
	host-exporter '--collector.vmstat.fields=(oom'
badflag "host-exporter --web.telemetry-path=/" web.telemetry-path "must be an absolute path" \
	host-exporter --web.telemetry-path=/
badflag "mysql-exporter missing my.cnf" config.my-cnf "cannot read it" \
	mysql-exporter --config.my-cnf="$d/absent.cnf"
badflag "mysql-exporter --timeout-offset=soon" timeout-offset "must be seconds" \
	mysql-exporter --config.my-cnf="$d/my.cnf" --timeout-offset=soon
out=$("$BUILD_DIR/mysql-exporter" --config.my-cnf="$d/absent.cnf" 2>&1)
check "mysql-exporter: a missing my.cnf is reported once" [ "$(grep -c 'absent.cnf' <<<"$out")" = 1 ]
# include and exclude together: the include flag, naming the exclude it clashes with
"$BUILD_DIR/host-exporter" --collector.netdev.device-include=eth --collector.netdev.device-exclude=lo >"$d/ie.out" 2>&1; rc=$?
check "host-exporter include+exclude: exit 2" [ "$rc" = 2 ]
check "host-exporter include+exclude: one line" [ "$(grep -c . "$d/ie.out")" = 1 ]
check "host-exporter include+exclude: says why" \
	grep -q "device-include': mutually exclusive with --collector.netdev.device-exclude" "$d/ie.out"
# several bad values: one line each
"$BUILD_DIR/orderd" --config.my-cnf="$d/my.cnf" --web.max-body=0 --db.timeout=0s >"$d/two.out" 2>&1
check "orderd two bad flags: two lines" [ "$(grep -c . "$d/two.out")" = 2 ]
check "orderd two bad flags: one names --web.max-body" grep -q "^orderd: error: .*'--web.max-body': must" "$d/two.out"
check "orderd two bad flags: one names --db.timeout" grep -q "^orderd: error: .*'--db.timeout': must" "$d/two.out"

# ---- SIGHUP re-reads the log settings
echo 'level: info' >"$d/log.yml"
exampled_start "$d/ex.log" --web.listen-address=127.0.0.1:0 --log.config.file="$d/log.yml" ||
	{ fail "exampled starts"; cat "$d/ex.log"; finish; }
curl -s "$EX_URL/work" >/dev/null
sleep 0.2
check "level info: no debug line" bash -c "! grep -q 'msg=\"work done\"' '$d/ex.log'"
printf '# raised for a look\nlevel: debug\n' >"$d/log.yml"
kill -HUP "$EX_PID"
for ((i = 0; i < 50; i++)); do grep -q 'msg="log config reloaded"' "$d/ex.log" && break; sleep 0.1; done
check "SIGHUP: log config reloaded" grep -q "msg=\"log config reloaded\" file=$d/log.yml" "$d/ex.log"
# (each step waits for its condition, not a fixed nap: a reload or a log
# line can take longer than 0.3 s under ASan on a loaded machine)
curl -s "$EX_URL/work?sleep_ms=1" >/dev/null
wait_for 10 grep -q 'level=debug msg="work done" slept_ms=1' "$d/ex.log"
check "after SIGHUP, level debug: the debug line" grep -q 'level=debug msg="work done" slept_ms=1' "$d/ex.log"
printf 'level: debug\nformat: json\n' >"$d/log.yml"
kill -HUP "$EX_PID"
wait_for 20 grep -q '"msg":"log config reloaded"' "$d/ex.log"
curl -s "$EX_URL/work?sleep_ms=2" >/dev/null
wait_for 10 grep -q '"slept_ms":"2"' "$d/ex.log"
check "after SIGHUP, format json" grep -q '"level":"debug","msg":"work done","slept_ms":"2"' "$d/ex.log"
echo 'level: loud' >"$d/log.yml"
kill -HUP "$EX_PID"
wait_for 20 grep -q 'log config reload failed' "$d/ex.log"
check "a bad log config is logged" grep -q '"level":"error","msg":"log config reload failed"' "$d/ex.log"
check "... naming the bad value" grep -q 'log config reload failed.*loud' "$d/ex.log"
curl -s "$EX_URL/work?sleep_ms=3" >/dev/null
wait_for 10 grep -q 'slept_ms.*3' "$d/ex.log"
check "a bad log config keeps the running level and format" grep -q '"msg":"work done","slept_ms":"3"' "$d/ex.log"
check "exampled still runs" kill -0 "$EX_PID"
exampled_stop
check "exampled exits 0" [ "$EX_RC" = 0 ]

# every daemon: "level: error" after SIGHUP silences the info stop lines
for n in $DAEMONS; do
	echo 'level: info' >"$d/$n.yml"
	start "$n" "$d/$n.hup.log" --log.config.file="$d/$n.yml" || { fail "$n starts"; continue; }
	echo 'level: error' >"$d/$n.yml"
	kill -HUP "$PID"
	# handled before the SIGTERM (not a fixed 0.5 s): its first line; the
	# main loop finishes the reload before it takes the next signal
	wait_for 20 grep -q "msg=Reloading name=$n" "$d/$n.hup.log"
	stop
	check "$n: SIGHUP then SIGTERM exits 0" [ "$RC" = 0 ]
	check "$n: started at info" grep -q 'msg=Starting' "$d/$n.hup.log"
	check "$n: SIGHUP logged (Reloading, at info before the new level)" \
		grep -q "level=info msg=Reloading name=$n signal=SIGHUP" "$d/$n.hup.log"
	check "$n: level error after SIGHUP: no info stop lines" \
		bash -c "! grep -Eq 'msg=(\"Shutting down\"|Stopped)' '$d/$n.hup.log'"
done

# collect[] is bounded loudly (64 names; the old tables dropped the 33rd silently)
if start host-exporter "$d/sel.log"; then
	port=$(sed -n 's/.*msg="Listening on" .*port=\([0-9]*\).*/\1/p' "$d/sel.log" | head -n 1)
	q64=$(for i in $(seq 64); do printf 'collect[]=loadavg&'; done)
	code=$(curl -g -s -o "$d/sel64.prom" -w '%{http_code}' "http://127.0.0.1:$port/metrics?$q64")
	check "64 collect[]: 200" [ "$code" = 200 ]
	check "64 collect[]: only loadavg" \
		[ "$(grep -c '^node_scrape_collector_success{' "$d/sel64.prom")" = 1 ]
	code=$(curl -g -s -o "$d/sel65.txt" -w '%{http_code}' "http://127.0.0.1:$port/metrics?${q64}collect[]=cpu")
	check "65 collect[]: 400" [ "$code" = 400 ]
	check "65 collect[]: says the bound" grep -q 'at most 64 collect\[\] parameters' "$d/sel65.txt"
	stop
else
	fail "host-exporter starts for collect[]"
fi
finish
