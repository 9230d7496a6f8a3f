#!/usr/bin/python3
"""A hostile HTTP/1.1 client over raw sockets, judging each answer against
RFC 9110 / RFC 9112 (and the project's rule: a refused request gets a JSON
{"error": ...} body).  Used by test_http_strict.sh against exampled and
host-exporter, and by tests/integration/orderd/test_http_strict.sh against
orderd (--orderd adds the Idempotency-Key / Content-Type / order-id cases).

    hostile_http.py PORT GET_PATH [--orderd]

Prints one line per check: "ok NAME" or "not ok NAME: why".  Timeouts are
generous (seconds): a sanitizer build answers several times slower.
"""
import json
import socket
import sys

TIMEOUT = 15.0


def read_response(s, want_eof):
    """One response from s: (status, headers dict lowercased, body, rest, eof).
    rest holds bytes after the body (a second response: smuggling).  With
    want_eof, reads until the server closes (or TIMEOUT)."""
    buf = b""
    eof = False
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            eof = True
            break
        buf += d
    if b"\r\n\r\n" not in buf:
        return None, {}, b"", buf, eof
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        hdrs.setdefault(k.strip().lower().decode("latin-1"), []).append(v.strip().decode("latin-1"))
    n = int(hdrs.get("content-length", ["0"])[0])
    while len(rest) < n and not eof:
        d = s.recv(65536)
        if not d:
            eof = True
            break
        rest += d
    body, rest = rest[:n], rest[n:]
    if want_eof:
        while not eof:
            d = s.recv(65536)
            if not d:
                eof = True
                break
            rest += d
    return status, hdrs, body, rest, eof


def exchange(port, raw, want_eof):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    try:
        s.sendall(raw)
        return read_response(s, want_eof)
    except socket.timeout:
        return "timeout", {}, b"", b"", False
    except ConnectionResetError:
        return "reset", {}, b"", b"", False
    finally:
        s.close()


results = []


def report(name, ok, why=""):
    results.append(ok)
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + why), flush=True)


def json_error(body):
    try:
        j = json.loads(body)
    except ValueError:
        return False
    return isinstance(j, dict) and isinstance(j.get("error"), str)


def expect_refused(port, name, raw, statuses=(400,), close=True):
    """The request is refused with one of statuses, a JSON error body, and
    (close) Connection: close then EOF with nothing after the answer."""
    st, h, body, rest, eof = exchange(port, raw, close)
    if st not in statuses:
        return report(name, False, "status %r, want %s" % (st, statuses))
    if not json_error(body):
        return report(name, False, "body is not a JSON error: %r" % body[:200])
    if close:
        if "close" not in [v.lower() for v in h.get("connection", [])]:
            return report(name, False, "no Connection: close")
        if not eof:
            return report(name, False, "connection not closed")
        if rest:
            return report(name, False, "bytes after the answer (a second response?): %r" % rest[:120])
    report(name, True)


def expect_ok(port, name, raw, status=200):
    st, h, body, rest, eof = exchange(port, raw, False)
    report(name, st == status, "status %r, want %d" % (st, status))


def main():
    port = int(sys.argv[1])
    get = sys.argv[2].encode()
    orderd = "--orderd" in sys.argv[3:]
    H = b"Host: 127.0.0.1\r\n"

    # baseline: the server answers well-formed requests (so refusals below mean something)
    expect_ok(port, "baseline GET", b"GET " + get + b" HTTP/1.1\r\n" + H + b"\r\n")
    st, h, body, rest, eof = exchange(
        port, b"GET " + get + b" HTTP/1.1\r\n" + H + b"\r\n" + b"GET " + get + b" HTTP/1.1\r\n" + H +
        b"Connection: close\r\n\r\n", True)
    report("baseline: two pipelined requests both answered", st == 200 and rest.startswith(b"HTTP/1.1 200"),
           "status %r rest %r" % (st, rest[:60]))
    expect_ok(port, "baseline HTTP/1.0 without Host", b"GET " + get + b" HTTP/1.0\r\n\r\n")
    expect_ok(port, "baseline HTAB in a value", b"GET " + get + b" HTTP/1.1\r\n" + H + b"X-A: a\tb\r\n\r\n")

    # 1. NUL and control characters (RFC 9110 section 5.5; RFC 9112 section 3.2)
    req = b"GET " + get + b" HTTP/1.1\r\n" + H
    expect_refused(port, "NUL in a header value", req + b"X-A: a\x00b\r\n\r\n")
    expect_refused(port, "NUL in the last header value", b"GET " + get + b" HTTP/1.1\r\nX-A: a\x00b\r\n" + H[:-2] + b"\r\n\r\n")
    expect_refused(port, "NUL in a header value followed by more fields",
                   b"GET " + get + b" HTTP/1.1\r\nX-Key: tenant-A\x00order-1\r\n" + H + b"X-B: c\r\n\r\n")
    expect_refused(port, "NUL in the only header value", b"GET " + get + b" HTTP/1.1\r\nHost: 127.0.0.1\x00evil\r\n\r\n")
    # a NUL ending a value: before CR LF, or before spaces and CR LF, also when
    # it is the whole value (the line ending in libmicrohttpd's buffer is then
    # one NUL longer than CR LF leaves)
    expect_refused(port, "NUL ending a header value before CR LF", req + b"X-A: a\x00\r\nX-B: c\r\n\r\n")
    expect_refused(port, "NUL and spaces ending a header value", req + b"X-A: a\x00  \r\nX-B: c\r\n\r\n")
    expect_refused(port, "NUL as a whole header value", req + b"X-A: \x00\r\nX-B: c\r\n\r\n")
    expect_refused(port, "obs-fold continuation line (RFC 9112 section 5.2)", req + b"X-A: a\r\n b\r\nX-B: c\r\n\r\n")
    expect_ok(port, "bare LF line endings (RFC 9112 section 2.2)", b"GET " + get + b" HTTP/1.1\n" + H[:-2] + b"\nX-A: a\n\n")
    expect_ok(port, "empty header value", req + b"X-A:\r\nX-B:  \r\n\r\n")
    expect_refused(port, "CTL 0x01 in a header value", req + b"X-A: a\x01b\r\n\r\n")
    expect_refused(port, "DEL in a header value", req + b"X-A: a\x7fb\r\n\r\n")
    expect_refused(port, "CR inside a header value", req + b"X-A: a\rb\r\n\r\n")
    expect_refused(port, "control character in a header name", req + b"X-\x01A: b\r\n\r\n")
    expect_refused(port, "%00 in the path", b"GET " + get + b"%00999 HTTP/1.1\r\n" + H + b"\r\n")
    expect_refused(port, "%0a in the path", b"GET " + get + b"%0a HTTP/1.1\r\n" + H + b"\r\n")
    expect_refused(port, "%00 in the query", b"GET " + get + b"?a=%00 HTTP/1.1\r\n" + H + b"\r\n")
    expect_refused(port, "raw NUL in the request target", b"GET " + get + b"\x00999 HTTP/1.1\r\n" + H + b"\r\n")
    expect_refused(port, "raw CTL in the request target", b"GET " + get + b"\x01 HTTP/1.1\r\n" + H + b"\r\n")
    expect_refused(port, "space in the request target", b"GET " + get + b" x HTTP/1.1\r\n" + H + b"\r\n")
    expect_refused(port, "malformed %-escape in the target", b"GET " + get + b"%zz HTTP/1.1\r\n" + H + b"\r\n")

    # 2. framing / smuggling (RFC 9112 sections 6.1, 6.3; RFC 9110 section 7.2)
    smuggled = b"GET " + get + b" HTTP/1.1\r\n" + H + b"\r\n"
    expect_refused(port, "Content-Length with Transfer-Encoding: chunked",
                   b"POST " + get + b" HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"0\r\n\r\n" + smuggled)
    expect_refused(port, "two different Content-Length",
                   b"POST " + get + b" HTTP/1.1\r\n" + H + b"Content-Length: 0\r\nContent-Length: 40\r\n\r\n" + smuggled)
    expect_refused(port, "two equal Content-Length (refused: documented choice)",
                   b"POST " + get + b" HTTP/1.1\r\n" + H + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\nab")
    expect_refused(port, "whitespace between header name and colon",
                   b"POST " + get + b" HTTP/1.1\r\n" + H + b"Content-Length : 40\r\n\r\n" + smuggled)
    expect_refused(port, "tab between header name and colon",
                   b"POST " + get + b" HTTP/1.1\r\n" + H + b"Content-Length\t: 40\r\n\r\n" + smuggled)
    for te in (b"xchunked", b"gzip, chunked", b"chunked, gzip", b"chunked, chunked", b"identity"):
        expect_refused(port, "Transfer-Encoding: " + te.decode(),
                       b"POST " + get + b" HTTP/1.1\r\n" + H + b"Transfer-Encoding: " + te + b"\r\n\r\n0\r\n\r\n" + smuggled,
                       statuses=(400, 501))
    expect_refused(port, "two Transfer-Encoding fields",
                   b"POST " + get + b" HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                   statuses=(400, 501))
    expect_refused(port, "HTTP/1.1 without Host", b"GET " + get + b" HTTP/1.1\r\n\r\n")
    expect_refused(port, "two Host fields", b"GET " + get + b" HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")

    if orderd:
        order = (b'{"customer_id": 10, "customer": {"name": "Jane Doe", "email": "jane@example.com"},'
                 b' "items": [{"product_id": 101, "quantity": 2, "unit_price": 19.99}]}')

        def post(extra):
            return (b"POST /api/order HTTP/1.1\r\n" + H + extra + b"Content-Length: " +
                    str(len(order)).encode() + b"\r\n\r\n" + order)
        ct = b"Content-Type: application/json\r\n"
        expect_refused(port, "orderd: NUL in Content-Type",
                       post(b"Content-Type: application/json\x00text/plain\r\nIdempotency-Key: ct-nul\r\n"))
        expect_refused(port, "orderd: Idempotency-Key tenant-A\\0order-1",
                       post(ct + b"Idempotency-Key: tenant-A\x00order-1\r\n"))
        expect_refused(port, "orderd: Idempotency-Key tenant-A\\0order-2 (no lost order)",
                       post(ct + b"Idempotency-Key: tenant-A\x00order-2\r\n"))
        st, h, body, rest, eof = exchange(port, post(ct + b"Idempotency-Key: hostile-ok-1\r\n"), False)
        report("orderd: a clean order is created", st == 201, "status %r body %r" % (st, body[:200]))
        oid = None
        try:
            oid = json.loads(body)["order_id"]
        except (ValueError, KeyError, TypeError):
            pass
        if oid is not None:
            path = b"/api/order/" + str(oid).encode()
            expect_ok(port, "orderd: GET the order", b"GET " + path + b" HTTP/1.1\r\n" + H + b"\r\n")
            st, h, body, rest, eof = exchange(port, b"GET " + path + b"%00999 HTTP/1.1\r\n" + H + b"\r\n", False)
            report("orderd: GET /api/order/ID%00999 is 400 or 404, never the order",
                   st in (400, 404) and json_error(body), "status %r body %r" % (st, body[:200]))
        else:
            report("orderd: order id in the 201 body", False, "body %r" % body[:200])

    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
