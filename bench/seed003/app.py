"""Seed 003's order API, written from its description, as the yardstick for
orderd in bench/orderd-bench.sh.  It is the DESIGN orderd replaces, built
the way the seed builds it and no worse: Flask + PyMySQL + prometheus_client
under gunicorn with 2 x cores + 1 sync workers (gunicorn.conf.py), run with
Debian 12's packages by /usr/bin/python3.  Not part of prism; never deployed.

What the seed describes, and how it is rendered here:
  * GET /api/order/<order_id>: "query order by ID".  Two statements: the
    order with its customer (one JOIN), then its items.
  * POST /api/order: customer_id and items required, customer optional; a
    customer_id missing from `customer` is created from customer.name /
    customer.email or generated fallbacks.  One transaction: look the
    customer up, insert it if missing, insert the order, insert the items
    (PyMySQL's executemany turns INSERT ... VALUES into one multi-row
    INSERT), COMMIT.
  * /health (seed 003's check), /health/liveness and /health/readiness
    (seed 004's probes; readiness asks the database).
  * Metrics on their own port (seed 003: the web server's metrics on 8000):
    request count by endpoint, method and status, request duration as a
    histogram (prometheus_client's default buckets), in prometheus_client's
    multiprocess mode so that the five workers' series add up (see
    gunicorn.conf.py: the master serves them).
  * Database connection: ONE PER REQUEST (pymysql.connect at the start of a
    request, close at its end).  The seed installs Flask, the Prometheus
    client and PyMySQL and nothing else: no pool (no SQLAlchemy, no
    DBUtils), and its own check opens a fresh pymysql.connect; Flask's
    documented PyMySQL/sqlite pattern opens one per request context.  A
    connection kept per worker would be a design the seed does not have;
    SEED_DB_CONNECTION=worker selects it anyway, so the bench can show what
    that alone would buy.
Settings come from the environment, as the seed's unit sets them: DB_HOST,
DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, SEED_DB_CONNECTION (request|worker).
"""
import os
import time
from decimal import Decimal, InvalidOperation

import pymysql
import pymysql.cursors
from flask import Flask, g, jsonify, request
from prometheus_client import Counter, Histogram

DB = dict(
    host=os.environ.get("DB_HOST", "127.0.0.1"),
    port=int(os.environ.get("DB_PORT", "3306")),
    user=os.environ.get("DB_USER", "app_user"),
    password=os.environ.get("DB_PASSWORD", ""),
    database=os.environ.get("DB_NAME", "orders_db"),
    charset="utf8mb4",
    cursorclass=pymysql.cursors.DictCursor,
    connect_timeout=5,
)
PER_WORKER = os.environ.get("SEED_DB_CONNECTION", "request") == "worker"

REQUEST_COUNT = Counter(
    "http_requests_total", "HTTP requests by endpoint, method and status.",
    ["endpoint", "method", "status"])
REQUEST_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request duration in seconds.",
    ["endpoint", "method"])

app = Flask(__name__)
_worker_conn = None


def get_db():
    """The request's connection: a new one, or the worker's kept one."""
    global _worker_conn
    if not PER_WORKER:
        return pymysql.connect(**DB)
    if _worker_conn is None or not _worker_conn.open:
        _worker_conn = pymysql.connect(**DB)
    else:
        _worker_conn.ping(reconnect=True)
    return _worker_conn


def release_db(conn, failed=False):
    global _worker_conn
    if not PER_WORKER:
        conn.close()
    elif failed:
        try:
            conn.close()
        finally:
            _worker_conn = None


@app.before_request
def start_timer():
    g.start = time.perf_counter()


@app.after_request
def record(response):
    # The route template, not the path: one series per route, as the
    # seed's "by endpoint" means (one per order id would grow without end).
    endpoint = request.url_rule.rule if request.url_rule else "unknown"
    REQUEST_LATENCY.labels(endpoint, request.method).observe(
        time.perf_counter() - g.start)
    REQUEST_COUNT.labels(endpoint, request.method,
                         str(response.status_code)).inc()
    return response


def error(status, message, field=None):
    body = {"error": message}
    if field:
        body["field"] = field
    return jsonify(body), status


def order_json(order, items):
    customer = None
    if order["c_id"] is not None:
        customer = {"customer_id": order["c_id"], "name": order["name"],
                    "email": order["email"]}
    return {
        "order_id": order["order_id"],
        "customer_id": order["customer_id"],
        "customer": customer,
        "status": order["status"],
        "total_amount": str(order["total_amount"]),
        "created_at": order["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "items": [{"item_id": i["item_id"], "product_id": i["product_id"],
                   "quantity": i["quantity"],
                   "unit_price": str(i["unit_price"])} for i in items],
    }


def load_order(cur, order_id):
    cur.execute(
        "SELECT o.order_id, o.customer_id, o.status, o.total_amount, "
        "o.created_at, c.customer_id AS c_id, c.name, c.email "
        "FROM orders o LEFT JOIN customer c ON c.customer_id = o.customer_id "
        "WHERE o.order_id = %s", (order_id,))
    order = cur.fetchone()
    if order is None:
        return None
    cur.execute(
        "SELECT item_id, product_id, quantity, unit_price FROM order_items "
        "WHERE order_id = %s ORDER BY item_id", (order_id,))
    return order_json(order, cur.fetchall())


@app.route("/api/order/<int:order_id>", methods=["GET"])
def get_order(order_id):
    conn = get_db()
    failed = True
    try:
        with conn.cursor() as cur:
            body = load_order(cur, order_id)
        if PER_WORKER:
            conn.commit()  # a kept connection must not keep its snapshot
        failed = False
    finally:
        release_db(conn, failed)
    if body is None:
        return error(404, "order not found")
    return jsonify(body)


def money(v, field):
    try:
        d = Decimal(str(v))
    except (InvalidOperation, ValueError):
        raise ValueError(field)
    if isinstance(v, bool) or not d.is_finite() or d < 0 or d.as_tuple().exponent < -2:
        raise ValueError(field)
    return d


@app.route("/api/order", methods=["POST"])
def create_order():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return error(400, "body must be a JSON object")
    customer_id = data.get("customer_id")
    items = data.get("items")
    if not isinstance(customer_id, int) or isinstance(customer_id, bool) or customer_id < 1:
        return error(400, "customer_id is required", "customer_id")
    if not isinstance(items, list) or not items:
        return error(400, "items is required", "items")
    rows = []
    total = Decimal("0.00")
    try:
        for it in items:
            if not isinstance(it, dict):
                raise ValueError("items")
            pid, qty = it.get("product_id"), it.get("quantity")
            if not isinstance(pid, int) or not isinstance(qty, int) or qty < 1:
                raise ValueError("items")
            price = money(it.get("unit_price"), "unit_price")
            total += price * qty
            rows.append((pid, qty, price))
    except ValueError as e:
        return error(400, "invalid item", str(e))
    customer = data.get("customer") or {}
    name = customer.get("name") or "Customer %d" % customer_id
    email = customer.get("email") or "customer%d@example.com" % customer_id

    conn = get_db()
    failed = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT customer_id FROM customer WHERE customer_id = %s",
                        (customer_id,))
            if cur.fetchone() is None:
                cur.execute("INSERT INTO customer (customer_id, name, email) "
                            "VALUES (%s, %s, %s)", (customer_id, name, email))
            cur.execute("INSERT INTO orders (customer_id, total_amount, status) "
                        "VALUES (%s, %s, 'pending')", (customer_id, total))
            order_id = cur.lastrowid
            cur.executemany(
                "INSERT INTO order_items (order_id, product_id, quantity, unit_price) "
                "VALUES (%s, %s, %s, %s)",
                [(order_id, p, q, u) for (p, q, u) in rows])
        conn.commit()
        failed = False
    except pymysql.err.IntegrityError:
        conn.rollback()
        failed = False
        return error(409, "conflict")
    finally:
        release_db(conn, failed)
    return jsonify({"order_id": order_id, "customer_id": customer_id,
                    "status": "pending", "total_amount": str(total)}), 201


@app.route("/health", methods=["GET"])
@app.route("/health/liveness", methods=["GET"])
def health():
    return jsonify({"status": "ok"})


@app.route("/health/readiness", methods=["GET"])
def readiness():
    try:
        conn = get_db()
        failed = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
            failed = False
        finally:
            release_db(conn, failed)
    except pymysql.MySQLError:
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ready"})
