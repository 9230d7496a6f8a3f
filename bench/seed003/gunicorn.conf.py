# gunicorn settings of seed 003's order API (bench/seed003/app.py), as its
# systemd unit runs it (order-api.service):
#     /usr/bin/gunicorn -c gunicorn.conf.py app:app
# Sync workers, 2 x cores + 1 of them (gunicorn's documented starting
# point).  The environment gives the addresses: SEED_BIND (default
# 127.0.0.1:5000) and SEED_METRICS_PORT (default 8000).
#
# prometheus_client under several worker processes: each worker writes its
# samples to files in PROMETHEUS_MULTIPROC_DIR (set by the unit, emptied
# before start), and the master serves their sum on the metrics port
# (prometheus_client's documented gunicorn setup).
import multiprocessing
import os

bind = os.environ.get("SEED_BIND", "127.0.0.1:5000")
workers = 2 * multiprocessing.cpu_count() + 1
worker_class = "sync"
timeout = 30
accesslog = None
loglevel = "warning"


def when_ready(server):
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(int(os.environ.get("SEED_METRICS_PORT", "8000")),
                      addr="127.0.0.1", registry=registry)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
