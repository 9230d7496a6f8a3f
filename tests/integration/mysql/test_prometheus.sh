#!/bin/bash
# A real Prometheus (2.42) scrapes mysql-exporter: the target is up, it sends
# X-Prometheus-Scrape-Timeout-Seconds (honoured), and the Database
# dashboard's queries (seed 003: connections, query execution time, slow
# queries, InnoDB buffer pool efficiency, per-table statistics) return data.
. "$SRC_DIR/tests/lib/common.sh"
. "$SRC_DIR/tests/lib/mariadb.sh"
. "$SRC_DIR/tests/lib/prometheus.sh"
. "$SRC_DIR/tests/integration/mysql/lib.sh"

d=$(tmpdir_new)
mariadb_start "$d/db" || exit 1
mariadb_load || exit 1
gen_load
myexp_start || exit 1

# 2 s (the scrape deadline 1.75 s): a loaded or ASan machine overran 0.75 s
prom_config "$d/prometheus.yml" 2s "mysql=127.0.0.1:$MYEXP_PORT"
prom_start "$d/prom" "$d/prometheus.yml" || exit 1
check "target becomes healthy" prom_wait_healthy mysql 30
check "up{job=mysql} == 1" prom_wait_value 'up{job="mysql"}' 1 20
check "mysql_up == 1 in Prometheus" prom_wait_value 'mysql_up{job="mysql"}' 1 20
check "no collector failed" prom_wait_value 'min(mysql_exporter_collector_success{job="mysql"})' 1 20
gen_load
# rates need two samples
check "scrapes_total grows" prom_wait_value 'mysql_exporter_scrapes_total{job="mysql"}' '>=3' 20

# The Database dashboard (seed 003)
q_conn='mysql_global_status_threads_connected{job="mysql"}'
q_qtime='sum(rate(mysql_perf_schema_events_statements_seconds_total{job="mysql"}[10s])) / clamp_min(sum(rate(mysql_perf_schema_events_statements_total{job="mysql"}[10s])), 1)'
q_slow='rate(mysql_global_status_slow_queries{job="mysql"}[10s])'
q_bp='1 - mysql_global_status_innodb_buffer_pool_reads{job="mysql"} / mysql_global_status_innodb_buffer_pool_read_requests{job="mysql"}'
q_tab='sum by (schema, name) (mysql_perf_schema_table_io_waits_total{job="mysql",schema="orders_db"})'
q_tlat='sum by (schema, name) (mysql_perf_schema_table_io_waits_seconds_total{job="mysql",schema="orders_db"})'
check "dashboard: connection count" prom_wait_value "$q_conn" '>=1' 10
check "dashboard: query execution time has a value" [ -n "$(prom_query_value "$q_qtime")" ]
check "dashboard: slow queries rate has a value" [ -n "$(prom_query_value "$q_slow")" ]
bp=$(prom_query_value "$q_bp")
check "dashboard: buffer pool hit ratio in (0,1] ($bp)" "$PY" -c "import sys; v=float(sys.argv[1]); sys.exit(0 if 0 < v <= 1 else 1)" "$bp"
check "dashboard: per-table rows for orders_db's 3 tables" [ "$(prom_query_count "$q_tab")" -ge 3 ]
check "dashboard: per-table latency series" [ "$(prom_query_count "$q_tlat")" -ge 3 ]
# (no SQL or privilege error; a scrape that overran Prometheus's timeout on a
# loaded machine logs "scrape deadline passed", which is not what this checks)
check "exporter logged no error" bash -c "! grep 'level=error' '$MYEXP_LOG' | grep -vq 'deadline passed'"

finish
