#!/usr/bin/python3
"""Generate prism's Grafana dashboards (Grafana 10, schemaVersion 38):

  infrastructure.json  CPU, memory, network and disk I/O per host (USE)
  application.json     orderd: read-API p95, latency heatmap, requests per
                       second, error rate (RED), and the SLO row (error
                       budget left over 28 days, burn rates)
  database.json        MariaDB: connections, query execution time, slow
                       queries, InnoDB buffer pool efficiency, table
                       statistics from performance_schema's table I/O waits

  generate.py [OUTDIR]        (default: this directory)

The JSON is generated so that every panel follows the same conventions; the
generated files are checked in (Ansible provisions them as they are) and
tests/e2e/test_dashboard_queries.sh checks they are current and that every
query returns data from a Prometheus scraping the real daemons.

Datasource: a dashboard variable `datasource` of type prometheus whose
default is the provisioned datasource uid "prometheus" (grafana/
datasource.yml); every panel and query uses ${datasource}, so an import into
a Grafana with another Prometheus works by picking it in the variable.
SLO objectives are constant variables (slo_availability, slo_latency) so the
monitor role can template them like the rules' prism_slo_* variables.
"""
import json
import os
import sys

DS = {"type": "prometheus", "uid": "${datasource}"}
RATE = "$__rate_interval"
NETDEV = 'device!~"lo|veth.*|docker.*|br-.*|virbr.*|ifb.*"'
DISKDEV = 'device!~"dm-.*|loop.*|ram.*|zram.*"'
USER_SCHEMAS = 'schema!~"mysql|performance_schema|information_schema|sys"'


class Board:
    def __init__(self, uid, title, description):
        self.uid, self.title, self.description = uid, title, description
        self.panels, self.vars = [], []
        self.x = self.y = 0
        self.row_h = 0
        self.next_id = 1

    def var_datasource(self):
        self.vars.append({
            "name": "datasource", "label": "Data source", "type": "datasource",
            "query": "prometheus", "hide": 0, "refresh": 1, "regex": "",
            "current": {"selected": False, "text": "Prometheus", "value": "prometheus"},
        })

    def var_query(self, name, label, query):
        self.vars.append({
            "name": name, "label": label, "type": "query", "datasource": DS,
            "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "definition": query, "refresh": 2, "sort": 1, "hide": 0,
            "multi": True, "includeAll": True, "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "options": [], "regex": "",
        })

    def var_constant(self, name, value, description):
        self.vars.append({
            "name": name, "type": "constant", "hide": 2, "query": str(value),
            "description": description,
            "current": {"selected": False, "text": str(value), "value": str(value)},
            "options": [{"selected": True, "text": str(value), "value": str(value)}],
        })

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def row(self, title):
        if self.x:
            self.y += self.row_h
        self.x, self.row_h = 0, 0
        self.panels.append({"id": self._id(), "type": "row", "title": title, "collapsed": False,
                            "panels": [], "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}})
        self.y += 1

    def _place(self, w, h):
        if self.x + w > 24:
            self.x, self.y = 0, self.y + self.row_h
            self.row_h = 0
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def panel(self, kind, title, targets, unit="short", w=12, h=8, description="",
              options=None, custom=None, thresholds=None, minv=None, maxv=None):
        defaults = {"unit": unit, "custom": custom or {}}
        if minv is not None:
            defaults["min"] = minv
        if maxv is not None:
            defaults["max"] = maxv
        if thresholds:
            defaults["thresholds"] = {"mode": "absolute", "steps": [
                {"color": c, "value": v} for v, c in thresholds]}
        p = {
            "id": self._id(), "type": kind, "title": title, "description": description,
            "datasource": DS, "gridPos": self._place(w, h),
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": options or {}, "targets": [],
        }
        for i, t in enumerate(targets):
            expr, legend = t[0], t[1]
            tgt = {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr,
                   "legendFormat": legend, "range": True, "instant": False}
            if len(t) > 2:
                tgt.update(t[2])
            p["targets"].append(tgt)
        self.panels.append(p)
        return p

    def timeseries(self, title, targets, unit="short", **kw):
        kw.setdefault("options", {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                                  "tooltip": {"mode": "multi", "sort": "desc"}})
        kw.setdefault("custom", {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
                                 "showPoints": "never", "spanNulls": False})
        return self.panel("timeseries", title, targets, unit, **kw)

    def stat(self, title, targets, unit="short", **kw):
        kw.setdefault("w", 6)
        kw.setdefault("h", 5)
        kw.setdefault("options", {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                                  "colorMode": "value", "graphMode": "area", "justifyMode": "auto",
                                  "orientation": "auto", "textMode": "auto"})
        return self.panel("stat", title, targets, unit, **kw)

    def json(self):
        return {
            "uid": self.uid, "title": self.title, "description": self.description,
            "tags": ["prism"], "timezone": "utc", "schemaVersion": 38, "version": 1,
            "editable": True, "graphTooltip": 1, "refresh": "30s", "liveNow": False,
            "time": {"from": "now-1h", "to": "now"}, "timepicker": {},
            "fiscalYearStartMonth": 0, "weekStart": "",
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts", "type": "dashboard"}]},
            "links": [{"asDropdown": False, "icon": "external link", "includeVars": False,
                       "keepTime": True, "tags": ["prism"], "targetBlank": False,
                       "title": "prism", "type": "dashboards"}],
            "templating": {"list": self.vars},
            "panels": self.panels,
        }



def db_p95(sel):
    """p95 per statement of orderd_db_query_duration_seconds: the native
    histogram (Prometheus with --enable-feature=native-histograms) or, for the
    statements it lacks, the classic buckets."""
    return ('histogram_quantile(0.95, sum by (query) (rate(orderd_db_query_duration_seconds{%s}[%s])))'
            ' or histogram_quantile(0.95, sum by (le, query) (rate(orderd_db_query_duration_seconds_bucket{%s}[%s])))'
            % (sel, RATE, sel, RATE))

def infrastructure():
    b = Board("prism-infrastructure", "prism / Infrastructure",
              "Hosts of every role (seed 003): CPU, memory, network and disk I/O; USE method.")
    b.var_datasource()
    b.var_query("instance", "Host", 'label_values(up{job="host"}, instance)')
    sel = 'job="host", instance=~"$instance"'

    b.row("Overview")
    b.stat("Targets up", [('sum(up{instance=~"$instance"})', "up"),
                          ('count(up{instance=~"$instance"})', "of")],
           description="Scrape targets of these hosts answering Prometheus (InstanceDown fires after 1m at 0).")
    b.stat("CPU busy", [('instance:node_cpu_utilisation:rate1m{instance=~"$instance"}', "{{instance}}")],
           "percentunit", thresholds=[(None, "green"), (0.7, "orange"), (0.8, "red")], minv=0, maxv=1)
    b.stat("Memory used", [('instance:node_memory_utilisation:ratio{instance=~"$instance"}', "{{instance}}")],
           "percentunit", thresholds=[(None, "green"), (0.8, "orange"), (0.9, "red")], minv=0, maxv=1)
    b.stat("Load per CPU", [('instance:node_load1_per_cpu:ratio{instance=~"$instance"}', "{{instance}}")],
           "short", thresholds=[(None, "green"), (1, "orange"), (2, "red")])

    b.row("CPU")
    b.timeseries("CPU utilisation", [
        ('instance:node_cpu_utilisation:rate1m{instance=~"$instance"}', "{{instance}} busy"),
        ('instance:node_cpu_steal:ratio_rate1m{instance=~"$instance"}', "{{instance}} steal"),
    ], "percentunit", minv=0, maxv=1,
        description="Busy = all modes but idle, iowait and steal (HighCPUUsage fires above 80% for 5m). "
                    "Steal is time the hypervisor gave to other guests.")
    b.timeseries("CPU by mode", [
        ('sum by (instance, mode) (rate(node_cpu_seconds_total{%s, mode!="idle"}[%s]))'
         ' / on (instance) group_left count by (instance) (node_cpu_seconds_total{%s, mode="idle"})'
         % (sel, RATE, sel), "{{instance}} {{mode}}"),
    ], "percentunit", minv=0, custom={"drawStyle": "line", "lineWidth": 1, "fillOpacity": 30,
                                      "showPoints": "never", "stacking": {"mode": "normal", "group": "A"}})
    b.timeseries("Load per CPU (1m)", [
        ('instance:node_load1_per_cpu:ratio{instance=~"$instance"}', "{{instance}}"),
    ])
    b.timeseries("Pressure stall (some task waiting)", [
        ('instance:node_pressure_cpu_waiting:ratio_rate1m{instance=~"$instance"}', "{{instance}} cpu"),
        ('instance:node_pressure_memory_waiting:ratio_rate1m{instance=~"$instance"}', "{{instance}} memory"),
        ('instance:node_pressure_io_waiting:ratio_rate1m{instance=~"$instance"}', "{{instance}} io"),
    ], "percentunit", minv=0)

    b.row("Memory")
    b.timeseries("Memory utilisation", [
        ('instance:node_memory_utilisation:ratio{instance=~"$instance"}', "{{instance}}"),
    ], "percentunit", minv=0, maxv=1, description="1 - MemAvailable / MemTotal (HighMemoryUsage above 90%).")
    b.timeseries("Memory", [
        ('node_memory_MemTotal_bytes{%s} - node_memory_MemAvailable_bytes{%s}' % (sel, sel), "{{instance}} used"),
        ('node_memory_MemAvailable_bytes{%s}' % sel, "{{instance}} available"),
        ('node_memory_Cached_bytes{%s} + node_memory_Buffers_bytes{%s}' % (sel, sel), "{{instance}} cache+buffers"),
    ], "bytes", minv=0)

    b.row("Network I/O")
    b.timeseries("Network received", [
        ('sum by (instance, device) (rate(node_network_receive_bytes_total{%s, %s}[%s]))' % (sel, NETDEV, RATE),
         "{{instance}} {{device}}"),
    ], "Bps", minv=0)
    b.timeseries("Network transmitted", [
        ('sum by (instance, device) (rate(node_network_transmit_bytes_total{%s, %s}[%s]))' % (sel, NETDEV, RATE),
         "{{instance}} {{device}}"),
    ], "Bps", minv=0)
    b.timeseries("Network errors and drops", [
        ('sum by (instance) (rate(node_network_receive_errs_total{%s}[%s]) + rate(node_network_transmit_errs_total{%s}[%s]))'
         % (sel, RATE, sel, RATE), "{{instance}} errors"),
        ('sum by (instance) (rate(node_network_receive_drop_total{%s}[%s]) + rate(node_network_transmit_drop_total{%s}[%s]))'
         % (sel, RATE, sel, RATE), "{{instance}} drops"),
    ], "pps", minv=0)
    b.timeseries("TCP connections", [
        ('node_netstat_Tcp_CurrEstab{%s}' % sel, "{{instance}} established"),
        ('node_sockstat_TCP_tw{%s}' % sel, "{{instance}} time-wait"),
    ])

    b.row("Disk I/O")
    b.timeseries("Disk read", [
        ('sum by (instance, device) (rate(node_disk_read_bytes_total{%s, %s}[%s]))' % (sel, DISKDEV, RATE),
         "{{instance}} {{device}}"),
    ], "Bps", minv=0)
    b.timeseries("Disk written", [
        ('sum by (instance, device) (rate(node_disk_written_bytes_total{%s, %s}[%s]))' % (sel, DISKDEV, RATE),
         "{{instance}} {{device}}"),
    ], "Bps", minv=0)
    b.timeseries("Disk busy (I/O time)", [
        ('rate(node_disk_io_time_seconds_total{%s, %s}[%s])' % (sel, DISKDEV, RATE), "{{instance}} {{device}}"),
    ], "percentunit", minv=0, maxv=1)
    b.timeseries("Filesystem space available", [
        ('instance_mountpoint:node_filesystem_avail:ratio{instance=~"$instance"}', "{{instance}} {{mountpoint}}"),
    ], "percentunit", minv=0, maxv=1, description="DiskSpaceLow: warning under 10%, critical under 5%.")
    return b


def application():
    b = Board("prism-application", "prism / Application performance",
              "orderd (seed 003's web server): read-API p95, latency heatmap, requests per second, "
              "error rate (RED), and the SLOs of seed 004.")
    b.var_datasource()
    b.var_query("instance", "Instance", 'label_values(orderd_http_requests_total, instance)')
    b.var_constant("slo_availability", 0.999, "Availability objective: non-5xx share over 28 days")
    b.var_constant("slo_latency", 0.99, "Latency objective: share within 300 ms over 28 days")
    sel = 'job="orderd", instance=~"$instance"'
    read = sel + ', endpoint="/api/order/:id", method="GET"'

    b.row("Read API")
    # The native histogram (a Prometheus with --enable-feature=native-histograms
    # scrapes it instead of the classic buckets: schema 3, ~5% resolution) when
    # present, else the classic buckets: "or" keeps the left side's series and
    # adds the right side's only for label sets the left lacks (issue 15).
    def p95(by):
        native = 'histogram_quantile(0.95, sum%s (rate(orderd_http_request_duration_seconds{%s}[%s])))' % (
            " by (%s)" % by if by else "", read, RATE)
        classic = 'histogram_quantile(0.95, sum by (%s) (rate(orderd_http_request_duration_seconds_bucket{%s}[%s])))' % (
            "le, " + by if by else "le", read, RATE)
        return native + " or " + classic
    b.timeseries("p95 response time, read API (GET /api/order/:id)", [
        (p95("instance"), "{{instance}} p95"),
        (p95(""), "all p95"),
    ], "s", minv=0, thresholds=[(None, "green"), (0.3, "red")],
        custom={"drawStyle": "line", "lineWidth": 2, "fillOpacity": 0, "showPoints": "never",
                "thresholdsStyle": {"mode": "line"}},
        description="Seed 003's target: p95 under 300 ms (HighLatencyP95 fires above it for 5m). "
                    "From the native histogram when Prometheus keeps one, else the classic buckets.")
    b.panel("heatmap", "Request latency distribution (all endpoints)", [
        ('sum(increase(orderd_http_request_duration_seconds{%s}[%s]))'
         ' or sum by (le) (increase(orderd_http_request_duration_seconds_bucket{%s}[%s]))' % (sel, RATE, sel, RATE),
         "{{le}}", {"format": "heatmap", "exemplar": True}),
    ], "s", options={
        "calculate": False, "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges", "exponent": 0.5,
                                                      "fill": "dark-orange", "steps": 64, "reverse": False},
        "yAxis": {"axisPlacement": "left", "unit": "s"}, "rowsFrame": {"layout": "auto"},
        "tooltip": {"show": True, "yHistogram": True}, "legend": {"show": True},
        "exemplars": {"color": "rgba(255,0,255,0.7)"}, "filterValues": {"le": 1e-9}},
        description="Requests per bucket of orderd_http_request_duration_seconds: its native histogram "
                    "when Prometheus keeps one, else the classic buckets; exemplars (request_id) "
                    "lead to the request's log line.")
    b.timeseries("Latency quantiles per endpoint", [
        ('endpoint:orderd_http_request_duration_seconds:quantile_rate1m{instance=~"$instance", endpoint=~"/api/.*"}',
         "{{instance}} {{method}} {{endpoint}} p{{quantile}}"),
    ], "s", minv=0)
    b.timeseries("Database query time p95 (orderd side)", [
        (db_p95(sel), "{{query}}"),
    ], "s", minv=0,
        description="orderd_db_query_duration_seconds by statement: its native histogram when "
                    "Prometheus keeps one, else the classic buckets.")

    b.row("Traffic and errors")
    b.timeseries("Requests per second", [
        ('sum by (endpoint, method) (rate(orderd_http_requests_total{%s}[%s]))' % (sel, RATE),
         "{{method}} {{endpoint}}"),
    ], "reqps", minv=0)
    b.timeseries("Error rate (5xx share)", [
        ('(sum by (instance) (rate(orderd_http_requests_total{%s, status=~"5.."}[%s]))'
         ' or sum by (instance) (rate(orderd_http_requests_total{%s}[%s])) * 0)'
         ' / sum by (instance) (rate(orderd_http_requests_total{%s}[%s]))' % (sel, RATE, sel, RATE, sel, RATE),
         "{{instance}}"),
    ], "percentunit", minv=0, thresholds=[(None, "green"), (0.05, "red")],
        custom={"drawStyle": "line", "lineWidth": 2, "fillOpacity": 10, "showPoints": "never",
                "thresholdsStyle": {"mode": "line"}},
        description="HighErrorRate fires above 5% for 2m.")
    b.timeseries("Responses by status", [
        ('sum by (status) (rate(orderd_http_requests_total{%s}[%s]))' % (sel, RATE), "{{status}}"),
    ], "reqps", minv=0)
    b.timeseries("Errors by type", [
        ('sum by (type) (rate(orderd_errors_total{%s}[%s]))' % (sel, RATE), "{{type}}"),
    ], "short", minv=0)
    b.timeseries("In-flight requests and DB pool", [
        ('sum by (instance) (orderd_http_requests_in_flight{%s})' % sel, "{{instance}} in flight"),
        ('sum by (instance, state) (orderd_db_connections{%s})' % sel, "{{instance}} db {{state}}"),
    ])
    b.timeseries("Orders created per second", [
        ('sum by (instance) (rate(orderd_orders_created_total{%s}[%s]))' % (sel, RATE), "{{instance}}"),
    ], "short", minv=0)

    b.row("SLO (seed 004, 28 days): availability 99.9% non-5xx, latency 99% within 300 ms")
    b.stat("Availability error budget left (28d)", [
        ('1 - (sum_over_time(job:orderd_slo_requests_5xx:rate5m[28d]) / sum_over_time(job:orderd_slo_requests:rate5m[28d]))'
         ' / (1 - $slo_availability)', "{{job}}"),
    ], "percentunit", thresholds=[(None, "red"), (0.25, "orange"), (0.5, "green")],
        description="Share of the 28-day budget of 5xx answers not yet spent (order API only).")
    b.stat("Latency error budget left (28d)", [
        ('1 - (sum_over_time(job:orderd_slo_latency_slow:rate5m[28d]) / sum_over_time(job:orderd_slo_latency_requests:rate5m[28d]))'
         ' / (1 - $slo_latency)', "{{job}}"),
    ], "percentunit", thresholds=[(None, "red"), (0.25, "orange"), (0.5, "green")],
        description="Share of the 28-day budget of requests slower than 300 ms not yet spent.")
    b.stat("Availability (28d)", [
        ('1 - sum_over_time(job:orderd_slo_requests_5xx:rate5m[28d]) / sum_over_time(job:orderd_slo_requests:rate5m[28d])',
         "{{job}}"),
    ], "percentunit", thresholds=[(None, "red"), (0.999, "green")], options={
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "value", "graphMode": "none", "justifyMode": "auto", "orientation": "auto",
        "textMode": "auto"})
    b.stat("Within 300 ms (28d)", [
        ('1 - sum_over_time(job:orderd_slo_latency_slow:rate5m[28d]) / sum_over_time(job:orderd_slo_latency_requests:rate5m[28d])',
         "{{job}}"),
    ], "percentunit", thresholds=[(None, "red"), (0.99, "green")], options={
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "value", "graphMode": "none", "justifyMode": "auto", "orientation": "auto",
        "textMode": "auto"})
    burn = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 0, "showPoints": "never",
            "thresholdsStyle": {"mode": "line"}}
    b.timeseries("Availability burn rate", [
        ('job:orderd_slo_availability_errors:ratio_rate%s / (1 - $slo_availability)' % w, "%s" % w)
        for w in ("5m", "1h", "6h", "3d")
    ], "short", minv=0, custom=burn, thresholds=[(None, "green"), (1, "orange"), (6, "red"), (14.4, "dark-red")],
        description="1 = spending the budget exactly over 28 days; pages at 14.4 (1h and 5m) and 6 (6h and 30m).")
    b.timeseries("Latency burn rate", [
        ('job:orderd_slo_latency_errors:ratio_rate%s / (1 - $slo_latency)' % w, "%s" % w)
        for w in ("5m", "1h", "6h", "3d")
    ], "short", minv=0, custom=burn, thresholds=[(None, "green"), (1, "orange"), (6, "red"), (14.4, "dark-red")])
    return b


def database():
    b = Board("prism-database", "prism / Database",
              "MariaDB on the db role (mysql-exporter, mysqld_exporter 0.14 names): connections, query "
              "execution time, slow queries, InnoDB buffer pool efficiency, table statistics.")
    b.var_datasource()
    b.var_query("instance", "Database", 'label_values(mysql_up, instance)')
    sel = 'job="mysql", instance=~"$instance"'

    b.row("Overview")
    b.stat("MariaDB up", [('mysql_up{%s}' % sel, "{{instance}}")], thresholds=[(None, "red"), (1, "green")])
    b.stat("Connections used", [
        ('mysql_global_status_threads_connected{%s} / mysql_global_variables_max_connections{%s}' % (sel, sel),
         "{{instance}}")], "percentunit", thresholds=[(None, "green"), (0.6, "orange"), (0.8, "red")])
    b.stat("Buffer pool hit ratio", [
        ('1 - rate(mysql_global_status_innodb_buffer_pool_reads{%s}[%s])'
         ' / clamp_min(rate(mysql_global_status_innodb_buffer_pool_read_requests{%s}[%s]), 1e-9)'
         % (sel, RATE, sel, RATE), "{{instance}}")], "percentunit",
        thresholds=[(None, "red"), (0.95, "orange"), (0.99, "green")])
    b.stat("Queries per second", [
        ('rate(mysql_global_status_questions{%s}[%s])' % (sel, RATE), "{{instance}}")], "reqps")

    b.row("Connections")
    b.timeseries("Connections", [
        ('mysql_global_status_threads_connected{%s}' % sel, "{{instance}} connected"),
        ('mysql_global_status_threads_running{%s}' % sel, "{{instance}} running"),
        ('mysql_global_variables_max_connections{%s}' % sel, "{{instance}} max_connections"),
    ], minv=0, description="MySQLTooManyConnections fires above 80% of max_connections for 5m.")
    b.timeseries("Threads by command (processlist)", [
        ('sum by (instance, command) (mysql_info_schema_processlist_threads{%s})' % sel,
         "{{instance}} {{command}}"),
    ], minv=0)

    b.row("Queries")
    b.timeseries("Query execution time", [
        (db_p95('job="orderd"'), "p95 {{query}} (orderd)"),
        ('sum by (instance) (rate(mysql_perf_schema_table_io_waits_seconds_total{%s, %s}[%s]))'
         ' / clamp_min(sum by (instance) (rate(mysql_perf_schema_table_io_waits_total{%s, %s}[%s])), 1e-9)'
         % (sel, USER_SCHEMAS, RATE, sel, USER_SCHEMAS, RATE), "{{instance}} mean row I/O wait"),
    ], "s", minv=0,
        description="p95 of each of orderd's statements as the client times them "
                    "(orderd_db_query_duration_seconds: native histogram when kept, else classic "
                    "buckets), and the server's mean wait per row operation "
                    "(performance_schema table I/O waits).  orderd runs prepared statements, which "
                    "MariaDB 10.11 does not aggregate in events_statements_summary_by_digest (observed): "
                    "the digest panel shows the text-protocol statements only.")
    b.timeseries("Statement time by digest (top 10)", [
        ('topk(10, sum by (schema, digest_text) (rate(mysql_perf_schema_events_statements_seconds_total{%s}[%s])))'
         % (sel, RATE), "{{schema}}: {{digest_text}}"),
    ], "s", minv=0, description="Seconds spent per second in each statement digest.")
    b.timeseries("Slow queries", [
        ('rate(mysql_global_status_slow_queries{%s}[%s])' % (sel, RATE), "{{instance}}"),
    ], "short", minv=0, description="Statements over long_query_time (MySQLSlowQueries fires while above 0).")
    b.timeseries("Commands per second (top 10)", [
        ('topk(10, sum by (command) (rate(mysql_global_status_commands_total{%s}[%s])))' % (sel, RATE),
         "{{command}}"),
    ], "reqps", minv=0)

    b.row("InnoDB buffer pool")
    b.timeseries("Buffer pool hit ratio", [
        ('1 - rate(mysql_global_status_innodb_buffer_pool_reads{%s}[%s])'
         ' / clamp_min(rate(mysql_global_status_innodb_buffer_pool_read_requests{%s}[%s]), 1e-9)'
         % (sel, RATE, sel, RATE), "{{instance}}"),
    ], "percentunit", maxv=1, description="Logical reads served from memory (1 - disk reads / read requests).")
    b.timeseries("Buffer pool reads", [
        ('rate(mysql_global_status_innodb_buffer_pool_read_requests{%s}[%s])' % (sel, RATE),
         "{{instance}} read requests"),
        ('rate(mysql_global_status_innodb_buffer_pool_reads{%s}[%s])' % (sel, RATE), "{{instance}} from disk"),
    ], "short", minv=0)
    b.timeseries("Buffer pool pages", [
        ('sum by (instance, state) (mysql_global_status_buffer_pool_pages{%s})' % sel, "{{instance}} {{state}}"),
    ], "short", minv=0)
    b.timeseries("Buffer pool size and data", [
        ('mysql_global_variables_innodb_buffer_pool_size{%s}' % sel, "{{instance}} size"),
        ('mysql_global_status_innodb_buffer_pool_bytes_data{%s}' % sel, "{{instance}} data"),
        ('mysql_global_status_innodb_buffer_pool_bytes_dirty{%s}' % sel, "{{instance}} dirty"),
    ], "bytes", minv=0)

    b.row("Table statistics (performance_schema table I/O waits)")
    b.timeseries("Rows per second by table and operation", [
        ('sum by (schema, name, operation) (rate(mysql_perf_schema_table_io_waits_total{%s, %s}[%s]))'
         % (sel, USER_SCHEMAS, RATE), "{{schema}}.{{name}} {{operation}}"),
    ], "short", minv=0, description="performance_schema.table_io_waits_summary_by_table, application schemas.")
    b.timeseries("I/O wait time by table", [
        ('sum by (schema, name) (rate(mysql_perf_schema_table_io_waits_seconds_total{%s, %s}[%s]))'
         % (sel, USER_SCHEMAS, RATE), "{{schema}}.{{name}}"),
    ], "s", minv=0)
    b.panel("table", "Table totals since server start", [
        ('sum by (schema, name, operation) (mysql_perf_schema_table_io_waits_total{%s, %s})' % (sel, USER_SCHEMAS),
         "", {"format": "table", "instant": True, "range": False}),
    ], w=24, h=8, options={"showHeader": True, "cellHeight": "sm", "footer": {"show": False}})
    return b


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    for name, fn in (("infrastructure", infrastructure), ("application", application), ("database", database)):
        with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(fn().json(), f, indent=2, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
