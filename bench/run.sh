#!/usr/bin/env bash
# make bench: the cost of ebpfmon, measured against a baseline in the same run.
#
#  1. ns per read(2) (1 byte from /dev/zero) and per getppid(2): bare, with
#     ebpfmon's vfs module attached (default breakdowns: per application on;
#     once with its default tp_btf hook, once forced onto classic syscall
#     tracepoints), and with libbpf-tools' syscount attached. Rounds
#     alternate; each variant's added cost is its time minus the bare time of
#     the same round, and the median of those is shown (the machine is noisy).
#  2. ebpfmon run with the default modules: time to load and attach, RSS and
#     CPU at idle.
#  3. The other modules' parts: every bench/*.sh but this one.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
COST=$BUILD/bench/syscall_cost
ROUNDS=${ROUNDS:-7}
TMP=$(mktemp -d /tmp/ebpfmon-bench.XXXXXX)
BG=
trap '[ -n "$BG" ] && kill -KILL $BG 2>/dev/null; rm -rf "$TMP"' EXIT

mkdir -p "$BUILD/bench"
cc -O2 -Wall -o "$COST" bench/syscall_cost.c || exit 1
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (it attaches BPF programs)"; exit 1; }
SYSCOUNT=$(command -v syscount || echo /usr/sbin/syscount)

# Wait until file $1 contains pattern $2 (10 s at most).
wait_for() { for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

measure() { # label -> appends "round label read getppid" to $TMP/results
	taskset -c 1 "$COST" 300000 | awk -v r="$r" -v l="$1" '{ v[$1] = $2 } END { print r, l, v["read"], v["getppid"] }' >>"$TMP/results"
}

# with_snapshot LABEL ENV...: measure with `ebpfmon snapshot --modules vfs` attached.
with_snapshot() {
	local label=$1
	shift
	env "$@" "$EBPFMON" snapshot --modules vfs --duration 10m >/dev/null 2>"$TMP/snap.err" &
	BG=$!
	if wait_for "$TMP/snap.err" '^attached'; then measure "$label"; fi
	kill -INT $BG; wait $BG 2>/dev/null; BG=
}

for r in $(seq "$ROUNDS"); do
	measure bare

	with_snapshot ebpfmon-vfs EBPFMON_DISABLE=
	with_snapshot vfs-classic EBPFMON_DISABLE=tp_btf

	if [ -x "$SYSCOUNT" ]; then
		# Line-buffered, so its "Tracing" line shows when it has attached.
		stdbuf -oL "$SYSCOUNT" >"$TMP/syscount.out" 2>&1 &
		BG=$!
		if wait_for "$TMP/syscount.out" 'Tracing'; then measure syscount; fi
		kill -INT $BG; wait $BG 2>/dev/null; BG=
	fi
done

echo "== syscall cost: ns per call, $ROUNDS alternating rounds (each: best of 5 batches of 300k)"
python3 - "$TMP/results" <<'PY'
import statistics, sys
rounds = {}
for line in open(sys.argv[1]):
    r, label, rd, pp = line.split()
    rounds.setdefault(r, {})[label] = (float(rd), float(pp))
def added(label, i):
    d = [v[label][i] - v["bare"][i] for v in rounds.values() if label in v and "bare" in v]
    return statistics.median(d) if d else None
bare = [statistics.median(v["bare"][i] for v in rounds.values() if "bare" in v) for i in (0, 1)]
print(f"bare: read {bare[0]:.1f} ns, getppid {bare[1]:.1f} ns (medians)")
print(f"{'added ns (median of per-round deltas)':40s} {'read':>7s} {'getppid':>8s}")
names = {"ebpfmon-vfs": "ebpfmon vfs (tp_btf/sys_exit, default)",
         "vfs-classic": "ebpfmon vfs (classic syscall tracepoints)", "syscount": "libbpf-tools syscount"}
for k, name in names.items():
    r, p = added(k, 0), added(k, 1)
    print(f"{name:40s} {r:7.1f} {p:8.1f}" if r is not None else f"{name:40s} (not measured)")
er, ep, sr, sp = added("ebpfmon-vfs", 0), added("ebpfmon-vfs", 1), added("syscount", 0), added("syscount", 1)
if None not in (er, ep, sr, sp) and sr > 0 and sp > 0:
    print(f"ebpfmon / syscount added cost: read {er / sr:.2f}x (target <= 0.9x); "
          f"getppid {ep / sp:.2f}x (target <= 0.2x and < 10 ns: {ep:.1f} ns)")
PY
echo
echo "== ebpfmon run, default modules: load, attach, idle cost"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s%N)
"$EBPFMON" run --listen "127.0.0.1:$port" >/dev/null 2>"$TMP/run.err" &
BG=$!
wait_for "$TMP/run.err" 'serving' || { echo "run did not start: $(cat "$TMP/run.err")"; exit 1; }
ready_ms=$((($(date +%s%N) - start) / 1000000))
echo "load and attach: $(sed -n 's/.*loaded in \([0-9]*\) ms.*/\1/p' "$TMP/run.err") ms inside ebpfmon; $ready_ms ms from exec to serving (target: 1 s)"
sleep 2
ticks=$(getconf CLK_TCK)
cpu0=$(awk '{ print $14 + $15 }' /proc/$BG/stat)
sleep 10
cpu1=$(awk '{ print $14 + $15 }' /proc/$BG/stat)
rss=$(awk '/VmRSS/ { print $2 }' /proc/$BG/status)
echo "idle over 10 s: CPU $(python3 -c "print(f'{($cpu1 - $cpu0) / $ticks / 10 * 100:.2f}')")% of one core; RSS $((rss / 1024)) MB ($rss kB; target <= 16 MB)"
curl -s "http://127.0.0.1:$port/metrics" -o /dev/null -w "one /metrics scrape: %{size_download} bytes in %{time_total} s\n"
kill -TERM $BG; wait $BG 2>/dev/null; BG=

for b in bench/*.sh; do
	[ -f "$b" ] && [ "$b" != bench/run.sh ] || continue
	echo
	BUILD=$BUILD bash "$b"
done
