#!/usr/bin/env bash
# httpflow: what watching HTTP costs. ns per call (bench/http_cost.c): a
# syscall httpflow ignores (getppid), a read that is no socket (/dev/zero),
# a 64-byte TCP write or read that is not HTTP, and one that starts like
# HTTP (each is a ring buffer event). Rounds alternate: bare; `ebpfmon
# http` alone (plain only: the module's syscall program); the default
# modules (snapshot); the default modules and httpflow. Medians of ROUNDS
# rounds of the per-round differences: httpflow alone minus bare (it pays
# the slow syscall path itself), and default+httpflow minus default (the
# core's sys_exit program has put every syscall on that path already).
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
ROUNDS=${ROUNDS:-7}
TMP=$(mktemp -d /tmp/ebpfmon-bench-http.XXXXXX)
BG=
trap '[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null; rm -rf "$TMP"' EXIT
cc -O2 -Wall -o "$TMP/http_cost" bench/http_cost.c || exit 1
cc -O2 -Wall -o "$TMP/prog_stats" bench/prog_stats.c -lbpf || exit 1
DEFAULT=$("$EBPFMON" check --json | python3 -c 'import json, sys
print(",".join(m["name"] for m in json.load(sys.stdin)["modules"] if m["state"] == "available" and m["name"] not in ("core", "flows")))')

with_snapshot() { # round label modules
	"$EBPFMON" snapshot --modules "$3" --duration 10m >/dev/null 2>"$TMP/snap.err" &
	BG=$!
	for _ in $(seq 300); do grep -q '^attached' "$TMP/snap.err" && break; sleep 0.1; done
	if grep -q '^attached' "$TMP/snap.err"; then
		measure "$1" "$2"
	else
		echo "bench http: ebpfmon did not attach: $(head -c 200 "$TMP/snap.err")"
	fi
	kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=
}
measure() { # round label
	taskset -c 1 "$TMP/http_cost" 50000 | awk -v r="$1" -v l="$2" '{ print r, l, $1, $2 }' >>"$TMP/results"
}

echo "== httpflow: ns per call, median of $ROUNDS rounds (with minus bare, per round)"
for r in $(seq "$ROUNDS"); do
	measure "$r" bare
	"$EBPFMON" http --no-tls --duration 10m >/dev/null 2>"$TMP/http.err" &
	BG=$!
	for _ in $(seq 300); do grep -q '^attached' "$TMP/http.err" && break; sleep 0.1; done
	if grep -q '^attached' "$TMP/http.err"; then
		# The program's own time per run while the workload runs (bpf_stats, fd-scoped).
		"$TMP/prog_stats" 2 "$BG" | awk '$2 == "http_sys_exit" && $3 > 0 { print $4 / $3 }' >>"$TMP/progs" &
		measure "$r" http
		wait $!
	else
		echo "bench http: ebpfmon did not attach: $(head -c 200 "$TMP/http.err")"
	fi
	kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=
	with_snapshot "$r" default "$DEFAULT"
	with_snapshot "$r" both "$DEFAULT,httpflow"
done
python3 - "$TMP/results" "$TMP/progs" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(lambda: defaultdict(dict))
for line in open(sys.argv[1]):
    r, label, kind, ns = line.split()
    v[kind][label][r] = float(ns)
import os
runs = [float(l) for l in open(sys.argv[2])] if os.path.exists(sys.argv[2]) else []
if runs:
    print(f"http_sys_exit's own run time: {statistics.median(runs):.1f} ns per syscall (median of {len(runs)} rounds, every syscall of the machine, bpf_stats)")
print(f"{'call':32} {'bare':>7} {'httpflow':>9} {'adds':>9} {'default':>8} {'+httpflow':>9} {'adds':>9}")
names = {"getppid": "getppid (ignored syscall)", "devzero": "read /dev/zero (not a socket)",
         "tcp": "TCP write/read, not HTTP", "http": "TCP write/read of HTTP (event)"}
for kind in ("getppid", "devzero", "tcp", "http"):
    d = v[kind]
    if not d["http"]:
        continue
    med = lambda l: statistics.median(d[l].values())
    diff = statistics.median(d["http"][r] - d["bare"][r] for r in d["http"] if r in d["bare"])
    diff2 = statistics.median(d["both"][r] - d["default"][r] for r in d["both"] if r in d["default"]) if d["both"] else float("nan")
    print(f"{names[kind]:32} {med('bare'):7.1f} {med('http'):9.1f} {diff:6.1f} ns"
          f" {med('default') if d['default'] else float('nan'):8.1f} {med('both') if d['both'] else float('nan'):9.1f} {diff2:6.1f} ns")
PY
