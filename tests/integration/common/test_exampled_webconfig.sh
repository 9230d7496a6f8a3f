#!/bin/bash
# --web.config.file as Prometheus's exporter-toolkit: HTTPS with a PEM key
# and certificate, basic auth with bcrypt hashes (made by crypt(3)), the
# file validated by the real `promtool check web-config`, and a real
# Prometheus scraping over TLS with credentials (and failing without).
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/prometheus.sh"
. "$SRC_DIR/tests/integration/common/lib-exampled.sh"
command -v openssl >/dev/null || { echo "skip: openssl not installed (make deps)"; exit 77; }
d=$(tmpdir_new)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	-keyout "$d/server.key" -out "$d/server.crt" >/dev/null 2>&1
check "test certificate made" test -s "$d/server.crt"
hash=$($PY -W ignore -c 'import crypt; print(crypt.crypt("s3cret pass", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))')
check "bcrypt hash made" grep -q '^\$2b\$04\$' <<<"$hash"
cat >"$d/web.yml" <<YAML
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prom: '$hash'
YAML
check "promtool accepts the web config" promtool check web-config "$d/web.yml"

exampled_start "$d/ex.log" --web.listen-address=127.0.0.1:0 --web.config.file="$d/web.yml" || { cat "$d/ex.log"; fail "exampled did not start"; finish; }
U="https://127.0.0.1:$EX_PORT"
c() { curl -s --cacert "$d/server.crt" -o "$d/body" -D "$d/head" -w '%{http_code}' --max-time 5 "$@"; }
check "HTTPS + credentials: 200" [ "$(c -u 'prom:s3cret pass' "$U/metrics")" = 200 ]
check "metrics over HTTPS" grep -q '^exampled_build_info' "$d/body"
check "credentials again (cached check): 200" [ "$(c -u 'prom:s3cret pass' "$U/-/healthy")" = 200 ]
check "no credentials: 401" [ "$(c "$U/metrics")" = 401 ]
check "401 asks for Basic" grep -qi '^WWW-Authenticate: Basic' "$d/head"
check "401 JSON body" grep -qx '{"error":"unauthorized"}' "$d/body"
check "wrong password: 401" [ "$(c -u 'prom:wrong' "$U/metrics")" = 401 ]
check "password prefix: 401" [ "$(c -u 'prom:s3cret' "$U/metrics")" = 401 ]
check "unknown user: 401" [ "$(c -u 'eve:s3cret pass' "$U/metrics")" = 401 ]
check "garbage Authorization: 401" [ "$(c -H 'Authorization: Basic %%%' "$U/metrics")" = 401 ]
check "unknown path is 401 before 404" [ "$(c "$U/nope")" = 401 ]
check "unknown path with credentials: 404" [ "$(c -u 'prom:s3cret pass' "$U/nope")" = 404 ]
curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$EX_PORT/metrics"; rc=$?
check "plain HTTP on the TLS port fails" [ $rc -ne 0 ]
check "gzip over TLS" bash -c "curl -s --cacert '$d/server.crt' -u 'prom:s3cret pass' -H 'Accept-Encoding: gzip' '$U/metrics' | gzip -dc | grep -q '^process_open_fds'"

# a real Prometheus over TLS with basic auth; a second job with a wrong password
cat >"$d/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: good
    scheme: https
    tls_config:
      ca_file: $d/server.crt
    basic_auth:
      username: prom
      password: 's3cret pass'
    static_configs:
      - targets: ['127.0.0.1:$EX_PORT']
  - job_name: bad
    scheme: https
    tls_config:
      ca_file: $d/server.crt
    basic_auth:
      username: prom
      password: nope
    static_configs:
      - targets: ['127.0.0.1:$EX_PORT']
YAML
prom_start "$d/prom" "$d/prometheus.yml" || { fail "prometheus did not start"; finish; }
check "Prometheus scrapes over TLS with basic auth: up" prom_wait_healthy good 30
check "no lastError" [ -z "$(prom_target_field good lastError)" ]
check "series queryable" prom_wait_value 'exampled_work_total{job="good"}' 0 20
for ((i = 0; i < 100; i++)); do [ -n "$(prom_target_field bad lastError)" ] && break; sleep 0.1; done
check "wrong password: target down with 401" grep -q 401 <<<"$(prom_target_field bad lastError)"
prom_stop
exampled_stop
check "exits 0" [ "$EX_RC" = 0 ]

# bad files: a clear message naming the problem, non-zero exit
bad() { # NAME YAML EXPECTED_TEXT
	printf '%s\n' "$2" >"$d/bad.yml"
	"$EXAMPLED" --web.listen-address=127.0.0.1:0 --web.config.file="$d/bad.yml" >"$d/bad.log" 2>&1 &
	local pid=$! i
	for ((i = 0; i < 50; i++)); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -KILL $pid 2>/dev/null
	wait $pid
	local rc=$?
	# an error exit, not killed here (137) nor by a signal of its own (a crash)
	check "$1: exits non-zero, not by a signal (rc $rc)" [ $rc -ne 0 -a $rc -lt 128 ]
	check "$1: says '$3'" grep -qF -- "$3" "$d/bad.log"
}
bad "unknown key" 'tls_server_config: {cert_file: server.crt, key_file: server.key, client_auth_type: RequireAndVerifyClientCert}' "tls_server_config.client_auth_type is not supported"
bad "unknown section" 'http_server_config: {http2: false}' "http_server_config is not supported"
bad "missing key_file" 'tls_server_config: {cert_file: server.crt}' "needs both cert_file and key_file"
bad "missing file" 'tls_server_config: {cert_file: nothere.crt, key_file: server.key}' "nothere.crt"
bad "not a certificate" 'tls_server_config: {cert_file: web.yml, key_file: server.key}' "is not a PEM certificate"
bad "not bcrypt" "basic_auth_users: {prom: plaintext}" "basic_auth_users.prom: not a bcrypt hash"
bad "broken YAML" "basic_auth_users: {prom: [" "bad.yml:"
# found by tests/fuzz/fuzz_webconfig: a non-string key after a section that
# parsed returned success without a config, and the daemon crashed on it
bad "non-string key after a section" "$(printf 'basic_auth_users:\n? [a]\n: b')" "top-level keys must be strings"
bad "section given twice" "$(printf 'basic_auth_users: {}\nbasic_auth_users: {}')" "basic_auth_users given twice"
"$EXAMPLED" --web.listen-address=127.0.0.1:0 --web.config.file="$d/none.yml" >"$d/none.log" 2>&1; rc=$?
check "missing web config file: exits non-zero" [ $rc -ne 0 ]
check "missing web config file: named" grep -q "none.yml" "$d/none.log"
finish
