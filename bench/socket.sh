#!/usr/bin/env bash
# socket: what counting a send or a receive costs. ns per call of a 64-byte
# UDP sendto/recv and TCP write/read on loopback (bench/sock_cost.c), in
# rounds that alternate: bare; the socket module alone; the default modules
# without socket; the default modules (socket included). Per call: socket
# alone minus bare, and default minus default-without-socket (what socket
# adds where the core's sys_exit hook runs anyway). Medians of ROUNDS rounds,
# beside Netdata's published 90 to 200 ns per call (kprobes). Per
# application and per cgroup on; the connection table on (it is updated at
# every call too).
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
ROUNDS=${ROUNDS:-7}
TMP=$(mktemp -d /tmp/ebpfmon-bench-sock.XXXXXX)
BG=
trap '[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null; rm -rf "$TMP"' EXIT
cc -O2 -Wall -o "$TMP/sock_cost" bench/sock_cost.c || exit 1
printf '[global]\n\tcgroups = yes\n' >"$TMP/cg.conf"
DEFAULT=$("$EBPFMON" check --json | python3 -c 'import json, sys
print(",".join(m["name"] for m in json.load(sys.stdin)["modules"] if m["state"] == "available" and m["name"] not in ("core", "flows")))')
WITHOUT=$(echo "$DEFAULT" | tr ',' '\n' | grep -vx socket | paste -sd,)

measure() { # round label
	taskset -c 1 "$TMP/sock_cost" 50000 | awk -v r="$1" -v l="$2" '{ print r, l, $1, $2 }' >>"$TMP/results"
}
with_snapshot() { # round label modules
	"$EBPFMON" snapshot --config "$TMP/cg.conf" --modules "$3" --duration 10m >/dev/null 2>"$TMP/snap.err" &
	BG=$!
	for _ in $(seq 300); do grep -q '^attached' "$TMP/snap.err" && break; sleep 0.1; done
	if grep -q '^attached' "$TMP/snap.err"; then
		measure "$1" "$2"
	else
		echo "bench socket: ebpfmon did not attach: $(head -c 200 "$TMP/snap.err")"
	fi
	kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=
}

echo "== socket: ns per send or receive call (64 bytes, loopback), median of $ROUNDS rounds"
echo "   default modules: $DEFAULT"
for r in $(seq "$ROUNDS"); do
	measure "$r" bare
	with_snapshot "$r" socket socket
	with_snapshot "$r" without "$WITHOUT"
	with_snapshot "$r" default "$DEFAULT"
done
python3 - "$TMP/results" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(lambda: defaultdict(dict))
for line in open(sys.argv[1]):
    r, label, kind, ns = line.split()
    v[kind][label][r] = float(ns)
print(f"{'call':5} {'bare':>7} {'socket':>7} {'default-socket':>15} {'default':>8} {'socket adds':>12} {'in default':>11}")
for kind in ("udp", "tcp"):
    d = v[kind]
    med = lambda l: statistics.median(d[l].values()) if d[l] else float("nan")
    diff = lambda a, b: statistics.median(d[a][r] - d[b][r] for r in d[a] if r in d[b])
    print(f"{kind:5} {med('bare'):7.1f} {med('socket'):7.1f} {med('without'):15.1f} {med('default'):8.1f}"
          f" {diff('socket', 'bare'):9.1f} ns {diff('default', 'without'):8.1f} ns")
print("Netdata's socket thread (kprobes on tcp_sendmsg, tcp_cleanup_rbuf, udp_sendmsg, udp_recvmsg): 90 to 200 ns per call, as published")
PY
