#!/bin/bash
# SIGHUP re-reads --web.config.file on a running daemon (issue 4: node_exporter
# 1.5 exits on the reload Debian's unit sends).  For exampled and for
# host-exporter: user A works; the file now names only user B; SIGHUP: B
# works, A gets 401, the process still runs and logged the reload, and a
# keep-alive connection opened before the reload is still served.  A broken
# file: SIGHUP logs the error and the old users stay.  TLS: the certificate
# files are replaced by a second certificate; after SIGHUP a new handshake
# presents the new one (openssl s_client fingerprint) while a connection made
# before keeps working; a key that does not match its certificate, or
# turning TLS off (or on), is refused and the running config stays.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/integration/common/lib-exampled.sh"
HE=$BUILD_DIR/host-exporter
[ -x "$HE" ] || { echo "host-exporter not built: $HE"; exit 1; }
command -v openssl >/dev/null || { echo "skip: openssl not installed (make deps)"; exit 77; }
d=$(tmpdir_new)

bcrypt() { $PY -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' "$1"; }
hashA=$(bcrypt 'pass of A')
hashB=$(bcrypt 'pass of B')
check "bcrypt hashes made" grep -q '^\$2b\$04\$' <<<"$hashA$hashB"
users() { printf 'basic_auth_users:\n  %s: '"'"'%s'"'"'\n' "$1" "$2"; }	# users NAME HASH

# wait_log FILE TEXT N: until FILE holds N lines with TEXT (10 s at most)
wait_log() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -cF -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }

# keepalive URL LOG PID: one HTTP/1.1 connection; A before the reload, then
# SIGHUP (file already names B only), then B and A on the SAME connection.
keepalive() {
	$PY - "$@" <<'PY'
import base64, http.client, os, signal, sys, time, urllib.parse
url, log, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlsplit(url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
def get(user, pw):
    tok = base64.b64encode(f"{user}:{pw}".encode()).decode()
    c.request("GET", "/-/healthy", headers={"Authorization": "Basic " + tok})
    r = c.getresponse(); r.read()
    return r.status
before = open(log).read().count("web config reloaded")
a1 = get("A", "pass of A"); sock = c.sock
os.kill(pid, signal.SIGHUP)
for _ in range(100):
    if open(log).read().count("web config reloaded") > before: break
    time.sleep(0.1)
b = get("B", "pass of B")
same = c.sock is sock	# before the 401: the glue may close after an error
a2 = get("A", "pass of A")
print(a1, b, a2, same)
sys.exit(0 if (a1, b, a2, same) == (200, 200, 401, True) else 1)
PY
}

# auth_scenario NAME PID URL LOG FILE
auth_scenario() {
	local n=$1 pid=$2 url=$3 log=$4 f=$5 r
	check "$n: A works" [ "$(code -u 'A:pass of A' "$url/metrics")" = 200 ]
	check "$n: B unknown yet" [ "$(code -u 'B:pass of B' "$url/metrics")" = 401 ]
	users B "$hashB" >"$f"
	kill -HUP "$pid"
	check "$n: reload logged" wait_log "$log" 'msg="web config reloaded"' 1
	check "$n: B works after SIGHUP" [ "$(code -u 'B:pass of B' "$url/metrics")" = 200 ]
	check "$n: A gets 401 after SIGHUP" [ "$(code -u 'A:pass of A' "$url/metrics")" = 401 ]
	check "$n: still running" kill -0 "$pid"
	printf 'basic_auth_users:\n  B: [\n' >"$f"
	kill -HUP "$pid"
	check "$n: broken file: error logged" wait_log "$log" 'msg="web config reload failed"' 1
	check "$n: broken file: level=error with the parser's message" \
		grep -q 'level=error.*msg="web config reload failed".*err=.*web.yml:' "$log"
	check "$n: broken file: still running" kill -0 "$pid"
	check "$n: broken file: B still works" [ "$(code -u 'B:pass of B' "$url/metrics")" = 200 ]
	check "$n: broken file: A still 401" [ "$(code -u 'A:pass of A' "$url/metrics")" = 401 ]
	# back to A, then to B over one kept-alive connection
	users A "$hashA" >"$f"
	kill -HUP "$pid"
	check "$n: back to A" wait_log "$log" 'msg="web config reloaded"' 2
	users B "$hashB" >"$f"
	r=$(keepalive "$url" "$log" "$pid")
	check "$n: keep-alive connection survives the reload (A 200, B 200, A 401, same socket: $r)" \
		[ "$r" = "200 200 401 True" ]
	# TLS cannot be switched on for a plain listener
	printf 'tls_server_config:\n  cert_file: c1.crt\n  key_file: c1.key\n' >"$f"
	kill -HUP "$pid"
	check "$n: turning TLS on refused" wait_log "$log" 'cannot turn TLS on' 1
	check "$n: after refusal B still works over HTTP" [ "$(code -u 'B:pass of B' "$url/metrics")" = 200 ]
}

mkcert() {	# mkcert NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$d/$1.key" -out "$d/$1.crt" >/dev/null 2>&1
}
mkcert c1
mkcert c2
check "two test certificates made" test -s "$d/c1.crt" -a -s "$d/c2.crt"
fp() { openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//'; }
fp1=$(fp "$d/c1.crt")
fp2=$(fp "$d/c2.crt")
check "fingerprints differ" [ -n "$fp1" -a "$fp1" != "$fp2" ]
# fingerprint of the certificate a NEW connection to port $1 is given
served_fp() {
	openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//'
}

# ---- exampled: basic auth ----
users A "$hashA" >"$d/web.yml"
exampled_start "$d/ex.log" --web.listen-address=127.0.0.1:0 --web.config.file="$d/web.yml" ||
	{ cat "$d/ex.log"; fail "exampled did not start"; finish; }
auth_scenario exampled "$EX_PID" "$EX_URL" "$d/ex.log" "$d/web.yml"
exampled_stop
check "exampled: exits 0 after the reloads" [ "$EX_RC" = 0 ]

# ---- host-exporter: basic auth ----
users A "$hashA" >"$d/web.yml"
: >"$d/he.log"
"$HE" --web.listen-address=127.0.0.1:0 --web.config.file="$d/web.yml" >>"$d/he.log" 2>&1 &
he_pid=$!
on_exit "kill -KILL $he_pid"
for ((i = 0; i < 100; i++)); do
	he_port=$(sed -n 's/.*Listening on.*port=\([0-9]*\).*/\1/p' "$d/he.log" | head -n 1)
	[ -n "$he_port" ] && break
	sleep 0.1
done
if [ -n "$he_port" ]; then
	auth_scenario host-exporter "$he_pid" "http://127.0.0.1:$he_port" "$d/he.log" "$d/web.yml"
	kill -TERM "$he_pid"
	for ((i = 0; i < 100; i++)); do kill -0 "$he_pid" 2>/dev/null || break; sleep 0.1; done
	wait "$he_pid"
	check "host-exporter: exits 0 after the reloads" [ $? = 0 ]
else
	cat "$d/he.log"
	fail "host-exporter did not start"
fi

# ---- exampled: TLS certificate rotation ----
cp "$d/c1.crt" "$d/server.crt"
cp "$d/c1.key" "$d/server.key"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >"$d/tls.yml"
exampled_start "$d/tls.log" --web.listen-address=127.0.0.1:0 --web.config.file="$d/tls.yml" ||
	{ cat "$d/tls.log"; fail "exampled (TLS) did not start"; finish; }
check "TLS: serves certificate 1" [ "$(served_fp "$EX_PORT")" = "$fp1" ]
# a connection made before the rotation: kept, and still on certificate 1
mkfifo "$d/keep.in"
$PY - "$EX_PORT" "$d/keep.in" >"$d/keep.out" 2>&1 <<'PY' &
import hashlib, http.client, ssl, sys
port, fifo = int(sys.argv[1]), sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
def get():
    c.request("GET", "/-/healthy"); r = c.getresponse(); r.read(); return r.status
s1 = get(); sock = c.sock
print("first", s1, flush=True)
open(fifo).read()		# the test rotates the certificate meanwhile
s2 = get()
fp = hashlib.sha256(c.sock.getpeercert(binary_form=True)).hexdigest()
print("second", s2, c.sock is sock, fp, flush=True)
PY
keep_pid=$!
on_exit "kill -KILL $keep_pid"
for ((i = 0; i < 100; i++)); do grep -q '^first' "$d/keep.out" && break; sleep 0.1; done
check "TLS: keep-alive connection opened" grep -qx 'first 200' "$d/keep.out"
cp "$d/c2.crt" "$d/server.crt"
cp "$d/c2.key" "$d/server.key"
kill -HUP "$EX_PID"
check "TLS: reload logged" wait_log "$d/tls.log" 'msg="web config reloaded"' 1
check "TLS: a new connection gets certificate 2" [ "$(served_fp "$EX_PORT")" = "$fp2" ]
check "TLS: curl trusting only certificate 2 succeeds" [ "$(code --cacert "$d/c2.crt" "https://127.0.0.1:$EX_PORT/-/healthy")" = 200 ]
echo go >"$d/keep.in"
wait "$keep_pid"
fp1hex=$(tr -d : <<<"$fp1" | tr 'A-F' 'a-f')
check "TLS: the old connection was kept and still talks to certificate 1" \
	grep -qx "second 200 True $fp1hex" "$d/keep.out"
# a key that does not belong to the certificate: refused, certificate 2 stays
cp "$d/c1.key" "$d/server.key"
kill -HUP "$EX_PID"
check "TLS: mismatched key refused" wait_log "$d/tls.log" 'does not match the certificate' 1
check "TLS: still certificate 2" [ "$(served_fp "$EX_PORT")" = "$fp2" ]
cp "$d/c2.key" "$d/server.key"
# TLS cannot be switched off on a running listener
users B "$hashB" >"$d/tls.yml"
kill -HUP "$EX_PID"
check "TLS: turning TLS off refused" wait_log "$d/tls.log" 'cannot turn TLS off' 1
check "TLS: still serving HTTPS without auth" [ "$(code --cacert "$d/c2.crt" "https://127.0.0.1:$EX_PORT/metrics")" = 200 ]
check "TLS: still running" kill -0 "$EX_PID"
exampled_stop
check "TLS: exits 0" [ "$EX_RC" = 0 ]
finish
