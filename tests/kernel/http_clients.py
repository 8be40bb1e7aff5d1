#!/usr/bin/env python3
"""Abusive HTTP clients for tests/kernel/http_abuse.t.sh, with curl scrapes meanwhile.

  http_clients.py idle PORT N        hold N connections that send nothing
  http_clients.py slowloris PORT N   N connections trickling request headers

Each holds its connections, scrapes /metrics, / and a missing page with curl
(as Prometheus would, one request at a time), and prints TAP lines and the
figures: how many of the connections the server still held during the
scrapes and the median answer time. `idle` beyond the server's connection
limit also checks which connections were shed (the oldest idle ones);
`slowloris` also checks that trickling never completes a request: the server
closes such connections at its request deadline.
"""
import socket
import statistics
import subprocess
import sys
import time

SCRAPES = 7
MAX_ANSWER = 1.0


def connect_many(port, n):
    """n connections; stops at the first the server does not take within 2 s."""
    conns = []
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError as e:
            print(f"not ok - connection {len(conns) + 1} of {n} not accepted: {e}")
            break
        s.setblocking(False)
        conns.append(s)
    return conns


def server_closed(s):
    """True when the server closed (or reset) the connection, without blocking."""
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def curl(port, path):
    """(HTTP status, seconds) of one GET; status 0 when curl gave up after 3 s."""
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "--max-time", "3", "-w", "%{http_code} %{time_total}",
         f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True).stdout.split()
    if len(out) != 2:
        return 0, 3.0
    return int(out[0]), float(out[1])


def scrape_all(port, what, conns, tick=None):
    """Scrape every endpoint; TAP lines; returns the median /metrics time."""
    times, bad = [], []
    for _ in range(SCRAPES):
        if tick:
            tick()
        code, t = curl(port, "/metrics")
        times.append(t)
        if code != 200 or t >= MAX_ANSWER:
            bad.append(f"{code} in {t:.3f} s")
    for path, want in (("/", 200), ("/nope", 404)):
        code, t = curl(port, path)
        if code != want or t >= MAX_ANSWER:
            bad.append(f"{path}: {code} in {t:.3f} s")
    held = sum(not server_closed(s) for s in conns)
    median = statistics.median(times)
    desc = (f"{what}: /metrics, / and a 404 answer within {MAX_ANSWER:.0f} s with {held} of "
            f"{len(conns)} connections held (median {median * 1000:.1f} ms, max {max(times) * 1000:.1f} ms)")
    if bad:
        print(f"not ok - {desc}: {'; '.join(bad)}")
    else:
        print(f"ok - {desc}")
    return held


def idle(port, n, limit):
    conns = connect_many(port, n)
    time.sleep(0.5)
    held = scrape_all(port, f"{n} idle connections", conns)
    if len(conns) < n:
        return  # said already: the server did not take them all
    if n <= limit:
        if held == n:
            print(f"ok - all {n} idle connections were held (limit {limit})")
        else:
            print(f"not ok - {n - held} of {n} idle connections were dropped below the limit {limit}")
        return
    # Beyond the limit the oldest go first: the newest must all be there.
    newest = conns[-(limit // 2):]
    lost_new = sum(server_closed(s) for s in newest)
    shed = n - held
    if shed >= n - limit and lost_new == 0:
        print(f"ok - {n} idle connections over a limit of {limit}: {shed} shed, "
              f"none of the newest {len(newest)}")
    else:
        print(f"not ok - {n} idle connections over a limit of {limit}: {shed} shed "
              f"(want at least {n - limit}), {lost_new} of the newest {len(newest)} among them")


def slowloris(port, n, deadline):
    conns = connect_many(port, n)
    for s in conns:
        s.send(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    started = time.monotonic()
    counter = [0]

    def trickle():
        counter[0] += 1
        for s in conns:
            try:
                s.send(b"X-%d: %d\r\n" % (counter[0], counter[0]))
            except OSError:
                pass

    scrape_all(port, f"slowloris of {n} connections", conns, trickle)
    # Go on trickling: the request deadline must close every one of them.
    while time.monotonic() - started < deadline + 3:
        trickle()
        if all(server_closed(s) for s in conns):
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    left = sum(not server_closed(s) for s in conns)
    if left == 0:
        print(f"ok - slowloris connections closed by the server after {elapsed:.1f} s "
              f"(request deadline {deadline} s)")
    else:
        print(f"not ok - {left} of {n} slowloris connections still open after {elapsed:.1f} s "
              f"(request deadline {deadline} s)")


def main():
    mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if mode == "idle":
        idle(port, n, int(sys.argv[4]))
    elif mode == "slowloris":
        slowloris(port, n, float(sys.argv[4]))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
