#!/usr/bin/python3
"""A tiny Alertmanager webhook receiver: every POST body (Alertmanager's
webhook JSON, version 4) is appended as one line to --out (JSON Lines) and
summarised on stderr; it answers 200.  For the local stack (`make run`) and
the tests, which read --out to see which alerts arrived.

  webhook-listener.py [--host 127.0.0.1] [--port 0] [--port-file F] [--out F]

--port 0 picks a free port; the port actually bound is written to
--port-file (atomically) once the socket listens, so a test can wait for it.
SIGTERM/SIGINT stop it.
"""
import argparse
import http.server
import json
import os
import signal
import sys
import threading

lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    out = None

    def do_POST(self):
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = -1
        if n < 0 or n > 16 << 20:
            self.send_error(413 if n > 0 else 400)
            return
        body = self.rfile.read(n)
        try:
            doc = json.loads(body)
        except ValueError:
            self.send_error(400, "not JSON")
            return
        line = json.dumps({"path": self.path, "body": doc}, sort_keys=True)
        with lock:
            if self.out:
                with open(self.out, "a", encoding="utf-8") as f:
                    f.write(line + "\n")
            alerts = doc.get("alerts", []) if isinstance(doc, dict) else []
            names = ",".join(sorted({a.get("labels", {}).get("alertname", "?") for a in alerts}))
            sys.stderr.write("webhook: %s %s [%s] %d alert(s)\n" % (
                self.path, doc.get("status", "?") if isinstance(doc, dict) else "?", names, len(alerts)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"prism webhook listener\n")

    def log_message(self, fmt, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--out")
    a = ap.parse_args()
    Handler.out = a.out
    srv = http.server.ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    sys.stderr.write("webhook: listening on http://%s:%d/\n" % (a.host, port))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    srv.server_close()


if __name__ == "__main__":
    main()
