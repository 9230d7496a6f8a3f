#!/bin/bash
# A real Prometheus (2.42) scrapes two exampled instances every second:
# one answering text 0.0.4, one with OpenMetrics enabled (Prometheus asks
# for OpenMetrics first, so that one is negotiated).  Both targets must be
# up with no lastError, and the scraped series must be queryable: a counter
# ending in _total, histogram buckets, process metrics, build_info.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/prometheus.sh"
. "$SRC_DIR/tests/integration/common/lib-exampled.sh"
[ -x "$PROMETHEUS_BIN" ] || { echo "skip: $PROMETHEUS_BIN not installed (make deps)"; exit 77; }
d=$(tmpdir_new)

exampled_start "$d/text.log" --web.listen-address=127.0.0.1:0 || { cat "$d/text.log"; fail "exampled (text)"; finish; }
text_port=$EX_PORT text_pid=$EX_PID
exampled_start "$d/om.log" --web.listen-address=127.0.0.1:0 --web.openmetrics || { cat "$d/om.log"; fail "exampled (openmetrics)"; finish; }
om_port=$EX_PORT om_pid=$EX_PID
# some traffic so the counters and histograms have values
for i in 1 2 3; do
	curl -s -o /dev/null "http://127.0.0.1:$text_port/work?sleep_ms=2"
	curl -s -o /dev/null "http://127.0.0.1:$om_port/work?sleep_ms=2"
done
# what each one answers to Prometheus's Accept header
accept='Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
check "text instance answers 0.0.4 to Prometheus's Accept" bash -c "curl -s -D - -o /dev/null -H '$accept' http://127.0.0.1:$text_port/metrics | grep -qi '^Content-Type: text/plain; version=0.0.4'"
check "OpenMetrics instance negotiates OpenMetrics" bash -c "curl -s -D - -o /dev/null -H '$accept' http://127.0.0.1:$om_port/metrics | grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0'"
check "OpenMetrics body ends with # EOF" bash -c "curl -s -H '$accept' http://127.0.0.1:$om_port/metrics | tail -n 1 | grep -qx '# EOF'"

prom_config "$d/prometheus.yml" 1s text=127.0.0.1:$text_port om=127.0.0.1:$om_port/metrics
check "promtool accepts the config" promtool check config "$d/prometheus.yml"
prom_start "$d/prom" "$d/prometheus.yml" || { fail "prometheus did not start"; finish; }
pass "prometheus ready on port $PROM_PORT"

check "text target up" prom_wait_healthy text 30
check "OpenMetrics target up" prom_wait_healthy om 30
# a few scrape intervals
check "at least 4 scrapes of each" prom_wait_value 'min(count_over_time(up[1m]))' '>=4' 30
eq() { [ "$1" = "$2" ]; }
ge() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }
check "up == 1 for both jobs, at every scrape" eq "$(prom_query_value 'sum(up)')/$(prom_query_value 'min_over_time(up{job="om"}[1m])')/$(prom_query_value 'min_over_time(up{job="text"}[1m])')" "2/1/1"
check "no lastError (text)" eq "$(prom_target_field text lastError)" ""
check "no lastError (om)" eq "$(prom_target_field om lastError)" ""
check "samples scraped" ge "$(prom_query_value 'min(scrape_samples_scraped)')" 50
for job in text om; do
	check "$job: counter _total queryable" eq "$(prom_query_value "exampled_work_total{job=\"$job\"}")" 3
	check "$job: histogram buckets queryable (10 + +Inf)" eq "$(prom_query_count "exampled_work_duration_seconds_bucket{job=\"$job\"}")" 11
	check "$job: +Inf bucket = count = 3" eq "$(prom_query_value "exampled_work_duration_seconds_bucket{job=\"$job\",le=\"+Inf\"}")/$(prom_query_value "exampled_work_duration_seconds_count{job=\"$job\"}")" "3/3"
	check "$job: histogram_quantile over scraped buckets" test -n "$(prom_query_value "histogram_quantile(0.5, sum by (le) (rate(exampled_http_request_duration_seconds_bucket{job=\"$job\",handler=\"/metrics\"}[30s])))")"
	check "$job: labelled counter" eq "$(prom_query_value "exampled_http_requests_total{job=\"$job\",handler=\"/work\",code=\"200\"}")" 3
	check "$job: process metrics" eq "$(prom_query_count "process_resident_memory_bytes{job=\"$job\"} > 0")" 1
	check "$job: build_info" eq "$(prom_query_count "exampled_build_info{job=\"$job\",version!=\"\"}")" 1
done
# Prometheus asked for OpenMetrics: the om instance answered it every time, the text one never
check "om: every scrape was OpenMetrics" eq "$(prom_query_value 'exampled_scrapes_total{job="om",format="text"}')" 0
check "om: OpenMetrics scrapes counted" ge "$(prom_query_value 'exampled_scrapes_total{job="om",format="openmetrics"}')" 3
check "text: every scrape was text 0.0.4" eq "$(prom_query_value 'exampled_scrapes_total{job="text",format="openmetrics"}')" 0
check "text: text scrapes counted" ge "$(prom_query_value 'exampled_scrapes_total{job="text",format="text"}')" 3
# OpenMetrics: no _created series stored (Prometheus 2.42 would keep them as extra series)
check "no _created series" [ "$(prom_query_count '{__name__=~".*_created"}')" = 0 ]
check "Prometheus logged no scrape errors" eq "$(grep -Eic 'level=(warn|error).*scrape' "$d/prom/prometheus.log")" 0
prom_stop
EX_PID=$text_pid; exampled_stop; check "text exampled exits 0" [ "$EX_RC" = 0 ]
EX_PID=$om_pid; exampled_stop; check "om exampled exits 0" [ "$EX_RC" = 0 ]
finish
