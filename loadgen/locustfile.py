"""prism load stages (seed 003) for Locust (Debian's python3-locust 2.12).

  /usr/bin/python3 -m locust -f loadgen/locustfile.py --headless \
      -H http://WEB:5000 --csv results/run --only-summary

runs the four stages of seed 003 in sequence through StagesShape:

  stage          users  spawn/s  read/write  duration
  normal            10        2     50/50      5 min
  read-heavy        50        5     80/20      5 min
  write-heavy       30        3     20/80      5 min
  db-cpu-stress     40        4     50/50     10 min  (+ loadgen/db-stress.sh
                                                        on the db host)

Users wait 1-3 s between requests (seed 003's think time).  Reads are
GET /api/order/<id> of orders this run created (falling back to the seed's
ids 1..PRISM_MAX_ID before any exists); writes are POST /api/order with
seed 003's body.  Non-2xx answers count as failures (Locust exits 1).

Environment (all optional):
  PRISM_STAGES         comma list of stages to run, in order
                       (default: normal,read-heavy,write-heavy,db-cpu-stress)
  PRISM_STAGE_SECONDS  one number for every stage, or name=seconds pairs
                       ("normal=20,read-heavy=30"); default the table above
  PRISM_USERS          override every stage's user count (small test runs)
  PRISM_WAIT_MIN/MAX   think time bounds in seconds (default 1 and 3)
  PRISM_MAX_ID         highest order id known to exist before the run (6:
                       db/seed.sql)
  PRISM_READ_PERCENT   read share for users that do not see the shape (a
                       distributed worker; default 50)

The locustfile cannot reach the db host: stage 4's CPU stress is started
there by the operator or the Ansible loadgen role (loadgen/db-stress.sh).
"""
import collections
import os
import random
import threading

from locust import HttpUser, LoadTestShape, between, task

# name, users, spawn rate, read percent, default seconds
STAGES = [
    ("normal", 10, 2, 50, 300),
    ("read-heavy", 50, 5, 80, 300),
    ("write-heavy", 30, 3, 20, 300),
    ("db-cpu-stress", 40, 4, 50, 600),
]


def _stage_plan():
    names = [s[0] for s in STAGES]
    wanted = [n.strip() for n in os.environ.get("PRISM_STAGES", ",".join(names)).split(",") if n.strip()]
    for n in wanted:
        if n not in names:
            raise SystemExit("PRISM_STAGES: unknown stage %r (known: %s)" % (n, ", ".join(names)))
    secs = {}
    spec = os.environ.get("PRISM_STAGE_SECONDS", "").strip()
    if spec:
        if "=" in spec:
            for kv in spec.split(","):
                k, _, v = kv.partition("=")
                secs[k.strip()] = float(v)
        else:
            secs = {n: float(spec) for n in names}
    users_override = os.environ.get("PRISM_USERS")
    plan = []
    for name, users, rate, read_pct, default_secs in STAGES:
        if name in wanted:
            if users_override:
                users = int(users_override)
                rate = max(rate, users)
            plan.append((name, users, rate, read_pct, secs.get(name, default_secs)))
    # Keep the order given in PRISM_STAGES.
    plan.sort(key=lambda s: wanted.index(s[0]))
    return plan


class StagesShape(LoadTestShape):
    """Runs the selected stages back to back, then stops the test."""

    def __init__(self):
        super().__init__()
        self.plan = _stage_plan()
        self.read_percent = self.plan[0][3] if self.plan else 50
        self.stage = None

    def tick(self):
        t = self.get_run_time()
        for name, users, rate, read_pct, secs in self.plan:
            if t < secs:
                if name != self.stage:
                    self.stage = name
                    print("stage %s: %d users, %d%% reads, %ds" % (name, users, read_pct, secs), flush=True)
                self.read_percent = read_pct
                return users, rate
            t -= secs
        return None


# Orders created by this run (bounded): what reads fetch.
_created = collections.deque(maxlen=10000)
_created_lock = threading.Lock()


def _order_body():
    cid = random.randint(1, 5) if random.random() < 0.7 else random.randint(1000, 1000000)
    items = [{"product_id": random.randint(100, 199),
              "quantity": random.randint(1, 5),
              "unit_price": round(random.randint(1, 50000) / 100.0, 2)}
             for _ in range(random.randint(1, 3))]
    return {"customer_id": cid,
            "customer": {"name": "Load User %d" % cid, "email": "load%d@example.com" % cid},
            "items": items}


class OrderUser(HttpUser):
    wait_time = between(float(os.environ.get("PRISM_WAIT_MIN", "1")),
                        float(os.environ.get("PRISM_WAIT_MAX", "3")))
    max_seed_id = int(os.environ.get("PRISM_MAX_ID", "6"))

    def _read_percent(self):
        shape = getattr(self.environment, "shape_class", None)
        if shape is not None and getattr(shape, "plan", None):
            return shape.read_percent
        return int(os.environ.get("PRISM_READ_PERCENT", "50"))

    @task
    def order_api(self):
        if random.randint(1, 100) <= self._read_percent():
            self.read_order()
        else:
            self.create_order()

    def read_order(self):
        with _created_lock:
            oid = random.choice(_created) if _created else None
        if oid is None:
            oid = random.randint(1, self.max_seed_id)
        self.client.get("/api/order/%d" % oid, name="/api/order/:id")

    def create_order(self):
        with self.client.post("/api/order", json=_order_body(), name="/api/order",
                              catch_response=True) as r:
            if r.status_code != 201:
                r.failure("POST /api/order answered %d: %s" % (r.status_code, r.text[:200]))
                return
            try:
                oid = int(r.json()["order_id"])
            except (ValueError, KeyError, TypeError):
                r.failure("POST /api/order: no order_id in %r" % r.text[:200])
                return
            with _created_lock:
                _created.append(oid)
            r.success()
