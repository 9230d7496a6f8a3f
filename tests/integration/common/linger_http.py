#!/usr/bin/python3
"""A naive uploader over raw sockets (issue 14, point 3: lingering close).

It sends the whole request, head and oversized body, without looking for an
early answer (as most clients do), and only then reads.  The server refuses
the body (413) before reading it; without a lingering close the socket is
closed with unread data, the kernel sends an RST, and the client sees
ECONNRESET while sending or loses the answer.

    linger_http.py big PORT PATH BYTES        one body of BYTES bytes
    linger_http.py items PORT PATH N          a JSON body of N order items
    (--post: POST instead of GET;
     --text: the server's errors are text/plain, as the exporters' are)
    linger_http.py cap PORT PATH PID N CAP    N refused uploads held open at
                                              once; PID's fds stay within
                                              CAP of where they started and
                                              come back once the linger ends

Prints "ok NAME" or "not ok NAME: why" per check.  Bounds are generous
(seconds), never a fixed short sleep: sanitizer builds are slow.
"""
import json
import os
import socket
import sys
import time

TIMEOUT = 20.0


def read_all(s):
    """Everything until EOF: (data, error or None)."""
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return data, None
            data += d
    except OSError as e:
        return data, repr(e)


TEXT = False  # --text: the server's errors are text (exporters), not JSON
METHOD = "GET"  # --post: POST (orderd's /api/order)


def judge(name, data, err, want):
    head, sep, body = data.partition(b"\r\n\r\n")
    line = head.split(b"\r\n")[0]
    parts = line.split(b" ")
    if err:
        print("not ok %s: %s after %r" % (name, err, data[:120]))
        return
    if len(parts) < 2 or parts[1] != str(want).encode():
        print("not ok %s: status line %r" % (name, line))
        return
    if TEXT:
        if b"too large" not in body:
            print("not ok %s: body %r" % (name, body[:200]))
        else:
            print("ok %s: %d with its text body, then EOF" % (name, want))
        return
    try:
        obj = json.loads(body)
    except ValueError:
        print("not ok %s: body is not JSON: %r" % (name, body[:200]))
        return
    if not isinstance(obj, dict) or "error" not in obj:
        print("not ok %s: no error member: %r" % (name, body[:200]))
        return
    print("ok %s: %d with a JSON body, then EOF" % (name, want))


def upload(port, path, body, name):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    head = ("%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            "Idempotency-Key: linger-%d\r\nContent-Length: %d\r\n\r\n"
            % (METHOD, path, len(body), len(body))).encode()
    try:
        s.sendall(head + body)
    except OSError as e:
        data, _ = read_all(s)
        print("not ok %s: sending the body failed (%r) (answer seen: %r)" % (name, e, data[:60]))
        s.close()
        return
    data, err = read_all(s)
    s.close()
    judge(name, data, err, 413)


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def cap(port, path, pid, n, limit):
    base = nfds(pid)
    socks = []
    head = ("GET %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20000000\r\n\r\n" % path).encode()
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        s.sendall(head + b"x" * 4096)	# then never sends the rest, never closes
        socks.append(s)
    # every client reads its answer; the lingering ones get no EOF yet
    got = 0
    for s in socks:
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                d = s.recv(4096)
                if not d:
                    break
                buf += d
        except OSError:
            pass
        if buf.startswith(b"HTTP/1.1 413 "):
            got += 1
    peak = nfds(pid)
    # past the cap a socket closes abruptly as before: its 413 may be lost
    if got >= min(n, limit):
        print("ok %d of %d held-open refused uploads read the 413" % (got, n))
    else:
        print("not ok only %d of %d held-open uploads read a 413" % (got, n))
    # a few fds of connections libmicrohttpd is still closing may be there
    if peak - base <= limit + 16:
        print("ok lingering sockets capped: %d fds over the start (cap %d)" % (peak - base, limit))
    else:
        print("not ok %d fds over the start with %d lingering (cap %d)" % (peak - base, n, limit))
    # the clients keep their sockets open: the server must let go by itself
    deadline = time.monotonic() + 30
    while nfds(pid) > base and time.monotonic() < deadline:
        time.sleep(0.2)
    now = nfds(pid)
    if now <= base:
        print("ok lingering sockets released by the server while clients hold them open")
    else:
        print("not ok %d fds still over the start after 30 s" % (now - base))
    for s in socks:
        s.close()


def main():
    global TEXT, METHOD
    if "--post" in sys.argv:
        sys.argv.remove("--post")
        METHOD = "POST"
    if "--text" in sys.argv:
        sys.argv.remove("--text")
        TEXT = True
    mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "big":
        size = int(sys.argv[4])
        upload(port, path, b"x" * size, "%d-byte body" % size)
    elif mode == "items":
        n = int(sys.argv[4])
        item = b'{"product_id": 101, "quantity": 2, "unit_price": "19.99"}'
        body = (b'{"customer_id": 10, "items": [' + b", ".join([item] * n) + b"]}")
        upload(port, path, body, "%d-item body (%d bytes)" % (n, len(body)))
    elif mode == "cap":
        cap(port, path, int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit("usage: see the docstring")


if __name__ == "__main__":
    main()
