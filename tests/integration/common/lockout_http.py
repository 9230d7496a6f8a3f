#!/usr/bin/python3
"""Lock-out clients over raw sockets (issue 14, point 4).

    lockout_http.py idle PORT N           N idle sockets (never a byte), then
                                          a new client must get an answer
    lockout_http.py slowhead PORT LIMIT   a head trickled one byte a second
                                          must be closed within LIMIT s of its
                                          request line, while another client
                                          is served meanwhile
    lockout_http.py slowbody PORT LIMIT   the same for a body

Prints "ok NAME" or "not ok NAME: why".  Bounds are generous (seconds):
sanitizer builds are slow; the only sleeps pace the trickling client.
"""
import socket
import sys
import time

TIMEOUT = 20.0


def get(port, path="/-/healthy"):
    """Status of one GET on a fresh connection, or an error string."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                   % path).encode())
        buf = b""
        while b"\r\n" not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        s.close()
        parts = buf.split(b" ")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else repr(buf[:60])
    except OSError as e:
        return repr(e)


def idle(port, n):
    socks = [socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) for _ in range(n)]
    t0 = time.monotonic()
    st = get(port)
    took = time.monotonic() - t0
    if st in (200, 503):
        print("ok a new client after %d idle sockets got %s in %.2f s" % (n, st, took))
    else:
        print("not ok a new client after %d idle sockets got %s after %.1f s" % (n, st, took))
    # and again: the eviction keeps working, not just once
    st = get(port)
    if st in (200, 503):
        print("ok a second new client got %s" % st)
    else:
        print("not ok a second new client got %s" % st)
    for s in socks:
        s.close()


def trickle(port, limit, head, drip, name):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.sendall(head)
    t0 = time.monotonic()
    closed_at = None
    served = None
    for i in range(int(limit) + 15):
        try:
            s.sendall(drip)
            s.settimeout(1.0)
            d = s.recv(4096)	# nothing comes until the server gives up
            if not d or d:
                closed_at = time.monotonic() - t0
                break
        except socket.timeout:
            pass
        except OSError:
            closed_at = time.monotonic() - t0
            break
        if i == 1:
            served = get(port)	# others are served while it trickles
    s.close()
    if served == 200:
        print("ok another client is served while the %s trickles" % name)
    else:
        print("not ok another client got %s while the %s trickled" % (served, name))
    if closed_at is None:
        print("not ok a trickled %s still open after %d s (deadline %s s)" % (name, int(limit) + 15, limit))
    elif closed_at < limit - 0.5:
        print("not ok a trickled %s closed after %.1f s, before its %s s deadline" % (name, closed_at, limit))
    else:
        print("ok a trickled %s closed after %.1f s (deadline %s s)" % (name, closed_at, limit))


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "idle":
        idle(port, int(sys.argv[3]))
    elif mode == "slowhead":
        trickle(port, float(sys.argv[3]), b"GET /-/healthy HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
                b"a", "request head")
    elif mode == "slowbody":
        trickle(port, float(sys.argv[3]),
                b"GET /work HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n",
                b"x", "request body")
    else:
        sys.exit("usage: see the docstring")


if __name__ == "__main__":
    main()
