#!/usr/bin/env bash
# sync, shm and mount: what counting a rare call costs. ns per failing
# syncfs(2), shmdt(2) and umount2(2) (bench/rare_cost.c), in rounds that
# alternate: bare; with ebpfmon's vfs module only (the sys_exit hook is
# attached and looks the syscall up, but no rule counts it); with vfs plus
# sync, shm and mount (the call is counted into its process's entry, its
# cgroup's and the host's). The last minus the second is the cost of
# counting one call on the accounting core's process slots; medians.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
ROUNDS=${ROUNDS:-7}
TMP=$(mktemp -d /tmp/ebpfmon-bench-rare.XXXXXX)
BG=
trap '[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null; rm -rf "$TMP"' EXIT
cc -O2 -Wall -o "$TMP/rare_cost" bench/rare_cost.c || exit 1
printf '[global]\n\tcgroups = yes\n' >"$TMP/cg.conf"

measure() { # round label
	taskset -c 1 "$TMP/rare_cost" 100000 | awk -v r="$1" -v l="$2" '{ print r, l, $1, $2 }' >>"$TMP/results"
}
with_snapshot() { # round label modules
	"$EBPFMON" snapshot --config "$TMP/cg.conf" --modules "$3" --duration 10m >/dev/null 2>"$TMP/snap.err" &
	BG=$!
	for _ in $(seq 200); do grep -q '^attached' "$TMP/snap.err" && break; sleep 0.1; done
	if grep -q '^attached' "$TMP/snap.err"; then
		measure "$1" "$2"
	else
		echo "bench rarecalls: ebpfmon did not attach: $(head -c 200 "$TMP/snap.err")"
	fi
	kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=
}

echo "== sync, shm, mount: ns per failing call, median of $ROUNDS rounds (per application and per cgroup on)"
for r in $(seq "$ROUNDS"); do
	measure "$r" bare
	with_snapshot "$r" hooked vfs
	with_snapshot "$r" counted vfs,sync,shm,mount
done
python3 - "$TMP/results" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(lambda: defaultdict(dict))
for line in open(sys.argv[1]):
    r, label, call, ns = line.split()
    v[call][label][r] = float(ns)
print(f"{'call':8} {'bare':>8} {'hooked':>8} {'counted':>8} {'count cost':>11}")
for call in ("syncfs", "shmdt", "umount"):
    d = v[call]
    med = lambda l: statistics.median(d[l].values()) if d[l] else float("nan")
    cost = statistics.median(d["counted"][r] - d["hooked"][r] for r in d["counted"] if r in d["hooked"])
    print(f"{call:8} {med('bare'):8.1f} {med('hooked'):8.1f} {med('counted'):8.1f} {cost:9.1f} ns")
PY
