#!/bin/bash
# exampled's log as a real systemd-journald stores it and journalctl shows
# it.  journald runs in a private mount namespace (a tmpfs over /run, and
# over /var/log/journal, so nothing of the host's is read or written);
# exampled's stderr is a file whose device:inode is in JOURNAL_STREAM, as
# systemd sets it for StandardError=journal, so common/log.c speaks the
# native protocol to /run/systemd/journal/socket.
#
# Checked through journalctl: MESSAGE is the whole --log.format line without
# ts= (logfmt, then JSON), each field is a journal field of its own,
# PRIORITY follows the level (-p filters on it), no CODE_FILE/LINE/FUNC, a
# value with a newline arrives byte for byte (the binary-safe form), the
# short output reads "exampled[PID]: level=info msg=..." and nothing went
# to stderr.  Needs root (unshare -m) and systemd's journald: skips without.
if [ "${PRISM_JOURNALD_NS:-}" != 1 ]; then
	JOURNALD=/lib/systemd/systemd-journald
	[ -x "$JOURNALD" ] && command -v journalctl >/dev/null && command -v unshare >/dev/null ||
		{ echo "skip: systemd-journald or journalctl or unshare missing"; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "skip: needs root for a private mount namespace"; exit 77; }
	PRISM_JOURNALD_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

. "$SRC_DIR/tests/lib/common.sh"
EXAMPLED=${EXAMPLED:-$BUILD_DIR/tests/exampled}
[ -x "$EXAMPLED" ] || { echo "exampled not built: $EXAMPLED"; exit 1; }
d=$(tmpdir_new)

mount -t tmpfs -o mode=0755 tmpfs /run || fail "cannot mount a tmpfs on /run"
mkdir -p /run/systemd/journal /run/log/journal
if [ -d /var/log/journal ]; then
	mount -t tmpfs tmpfs /var/log/journal || fail "cannot mount a tmpfs on /var/log/journal"
fi
/lib/systemd/systemd-journald >"$d/journald.out" 2>&1 &
jpid=$!
on_exit "kill $jpid; wait $jpid"
for ((i = 0; i < 100; i++)); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
[ -S /run/systemd/journal/socket ] || { cat "$d/journald.out"; fail "journald did not start"; finish; }

jctl() { journalctl -D /run/log/journal --no-pager "$@"; }

# run_exampled NAME ARGS...: exampled with stderr as "the journal stream",
# until journald has its "Listening on" entry; then SIGTERM.  Sets EX_PID.
run_exampled() {
	local name=$1 i
	shift
	: >"$d/$name.stderr"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$d/$name.stderr") \
		"$EXAMPLED" --web.listen-address=127.0.0.1:0 "$@" 2>>"$d/$name.stderr" >/dev/null &
	EX_PID=$!
	on_exit "kill -KILL $EX_PID"
	for ((i = 0; i < 100; i++)); do
		jctl _PID=$EX_PID -o cat | grep -q 'Listening on' && break
		kill -0 $EX_PID 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM $EX_PID 2>/dev/null
	wait $EX_PID
	jctl _PID=$EX_PID -o json >"$d/$name.json"
}

# check_entries FILE FORMAT PID: the journal's JSON export, field by field.
check_entries() {
	$PY - "$@" <<'EOF'
import json, re, sys
path, fmt, pid = sys.argv[1:]
entries = [json.loads(l) for l in open(path) if l.strip()]
ok = True
def want(cond, what):
    global ok
    if not cond:
        ok = False
        print("not ok:", what)
want(entries, "entries from exampled")
listen = None
for e in entries:
    m = e.get("MESSAGE")
    want(isinstance(m, str), "MESSAGE is text: %r" % m)
    want(not [k for k in e if k.startswith("CODE_")], "no CODE_* in %s" % sorted(e))
    want(e.get("SYSLOG_IDENTIFIER") == "exampled", "SYSLOG_IDENTIFIER=exampled")
    m = m if isinstance(m, str) else ""
    if fmt == "logfmt":
        lm = re.match(r"level=(\w+) msg=", m)
        want(lm, "a logfmt line starting level=, no ts=: %r" % m)
        lvl = lm.group(1) if lm else None
    else:
        try:
            o = json.loads(m)
        except ValueError:
            o = None
        want(isinstance(o, dict) and "ts" not in o, "a JSON object without ts: %r" % m)
        o = o if isinstance(o, dict) else {}
        lvl = o.get("level")
        if o.get("msg") == "Listening on":
            want(o.get("port") == e.get("PORT"), "JSON port == PORT field")
    want(e.get("PRIORITY") == {"debug": "7", "info": "6", "warn": "4", "error": "3"}.get(lvl),
         "PRIORITY for %s: %r" % (lvl, e.get("PRIORITY")))
    if "Listening on" in m:
        listen = e
want(listen is not None, "a Listening on entry")
if listen:
    m = listen["MESSAGE"]
    if fmt == "logfmt":
        mm = re.fullmatch(r'level=info msg="Listening on" listener=http address=127\.0\.0\.1:0 port=(\d+)', m)
        want(mm, "the whole logfmt line in MESSAGE: %r" % m)
        want(mm and listen.get("PORT") == mm.group(1), "PORT field == port= in the line")
    want(listen.get("LISTENER") == "http" and listen.get("ADDRESS") == "127.0.0.1:0",
         "LISTENER and ADDRESS fields: %r" % listen)
sys.exit(0 if ok else 1)
EOF
}

# logfmt
run_exampled logfmt --log.format=logfmt
check "logfmt entries: whole line in MESSAGE, fields, PRIORITY, no CODE_*" \
	check_entries "$d/logfmt.json" logfmt $EX_PID
check "nothing on stderr" test ! -s "$d/logfmt.stderr"
jctl _PID=$EX_PID -o short >"$d/logfmt.short"
check "journalctl's short output: exampled[PID]: level=info msg=\"Listening on\" ..." \
	grep -Eq "exampled\[$EX_PID\]: level=info msg=\"Listening on\" listener=http address=127\.0\.0\.1:0 port=[0-9]+$" "$d/logfmt.short"
check "journalctl PORT=... selects by a field" \
	test "$(jctl _PID=$EX_PID PORT="$(sed -n 's/.*port=\([0-9]*\)$/\1/p' "$d/logfmt.short" | head -n 1)" -o cat | wc -l)" = 1
check "-p warning leaves out the info lines" test -z "$(jctl _PID=$EX_PID -p warning -o cat | grep 'Listening on')"

# JSON
run_exampled json --log.format=json
check "JSON entries: the JSON object in MESSAGE, fields, PRIORITY, no CODE_*" \
	check_entries "$d/json.json" json $EX_PID
check "nothing on stderr (json)" test ! -s "$d/json.stderr"

# A value with a newline (an address that cannot be listened on): the
# binary-safe form arrives as the same bytes; the line keeps it escaped.
bad=$'127.0.0.1:0\nnext line'
: >"$d/bad.stderr"
JOURNAL_STREAM=$(stat -c '%d:%i' "$d/bad.stderr") \
	"$EXAMPLED" --web.listen-address="$bad" 2>>"$d/bad.stderr" >/dev/null
bad_pid=$(jctl SYSLOG_IDENTIFIER=exampled -o json | $PY -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if e.get("ADDRESS") == "127.0.0.1:0\nnext line":
        print(e["_PID"]); break')
check "a field with a newline is stored byte for byte" test -n "$bad_pid"
if [ -n "$bad_pid" ]; then
	check "its MESSAGE is still one line with the newline escaped" \
		test "$(jctl _PID="$bad_pid" ADDRESS="$bad" -o cat | grep -c 'address="127.0.0.1:0\\nnext line"')" = 1
fi
finish
