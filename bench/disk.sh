#!/usr/bin/env bash
# disk: what timing block requests costs, per request, beside libbpf-tools'
# biolatency (the same two hooks: issue and completion).
#
# A loop device on a file of ours (buffered: requests are served from the
# page cache, so they are short and the hooks' share is as large as it gets),
# REQS synchronous O_DIRECT 4 KiB requests (bench/../tests/kernel/dio.c),
# rounds alternating: bare; ebpfmon's disk module (tp_btf rung); the same on
# the classic tracepoints; biolatency. The figure, median of the rounds: ns
# of BPF program run time per request, run_time_ns summed over every program
# the tool holds (BPF_ENABLE_STATS, on only during that run) divided by the
# requests completed (the completion program's run_cnt), and its ratio to
# biolatency's. The workload's own time per request is shown too, but a
# request here takes 10-20 us and varies by more than the hooks cost: the
# run time is the measure.
# Kernel memory of the module's maps is in part 2 of bench/run.sh (it holds
# every module) and in `ebpfmon_kernel_map_bytes{module="disk"}`.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
ROUNDS=${ROUNDS:-7}
REQS=${BENCH_DISK_REQS:-20000}
TMP=$(mktemp -d /tmp/ebpfmon-bench-disk.XXXXXX)
BG= LOOP=
cleanup() {
	[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null && wait "$BG" 2>/dev/null
	[ -n "$LOOP" ] && losetup -d "$LOOP"
	rm -rf "$TMP"
}
trap cleanup EXIT
cc -O2 -Wall -D_GNU_SOURCE -o "$TMP/dio" tests/kernel/dio.c || exit 1
cc -O2 -Wall -o "$TMP/bpf_stats" bench/bpf_stats.c -lbpf || exit 1
command -v biolatency >/dev/null || { echo "bench disk: biolatency missing (package libbpf-tools)"; exit 0; }
truncate -s 128M "$TMP/disk.img"
LOOP=$(losetup -f --show "$TMP/disk.img") || exit 1
half=$((REQS / 2))
"$TMP/dio" "$LOOP" "$half" "$half" </dev/null >/dev/null # warm the page cache

workload_ns() { # ns per request of one run
	local t0 t1
	t0=$(date +%s%N)
	taskset -c 1 "$TMP/dio" "$LOOP" "$half" "$half" </dev/null >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / REQS))
}

# prog_ns PID: run_time_ns of the programs PID holds, per completed request.
prog_ns() {
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un | tr '\n' ' ')
	bpftool prog show -j | python3 -c '
import json, sys
ids = set(int(i) for i in sys.argv[1].split())
progs = [p for p in json.load(sys.stdin) if p["id"] in ids]
runs = max((p.get("run_cnt", 0) for p in progs if "complete" in p["name"]), default=0)
total = sum(p.get("run_time_ns", 0) for p in progs)
print(f"{total / runs:.1f}" if runs else "nan")' "$ids"
}

start_tool() { # label
	case $1 in
	ebpfmon | ebpfmon_tp)
		[ "$1" = ebpfmon_tp ] && export EBPFMON_DISABLE=tp_btf
		"$EBPFMON" snapshot --modules disk --duration 10m >/dev/null 2>"$TMP/tool.err" &
		BG=$!
		unset EBPFMON_DISABLE
		for _ in $(seq 200); do grep -q '^attached' "$TMP/tool.err" && return 0; sleep 0.1; done ;;
	biolatency)
		biolatency 600 1 >/dev/null 2>"$TMP/tool.err" &
		BG=$!
		sleep 2 # it prints nothing before it is attached: give it time
		return 0 ;;
	esac
	echo "bench disk: $1 did not attach: $(head -c 200 "$TMP/tool.err")"
	return 1
}
stop_tool() { kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=; }

echo "== disk: block request timing, $REQS 4 KiB O_DIRECT requests on a loop device (page cache behind), median of $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
	echo "$r bare time $(workload_ns)" >>"$TMP/results"
	for tool in ebpfmon ebpfmon_tp biolatency; do
		start_tool "$tool" || continue
		echo "$r $tool time $(workload_ns)" >>"$TMP/results"
		"$TMP/bpf_stats" "taskset -c 1 $TMP/dio $LOOP $half $half </dev/null >/dev/null"
		# Stats were on for that run only: the counters hold its requests (and
		# whatever else the machine did meanwhile, the same for every tool).
		echo "$r $tool prog $(prog_ns "$BG")" >>"$TMP/results"
		stop_tool
	done
done
python3 - "$TMP/results" <<'PY'
import statistics, sys
from collections import defaultdict
t, p = defaultdict(dict), defaultdict(dict)
for line in open(sys.argv[1]):
    r, tool, kind, v = line.split()
    (t if kind == "time" else p)[tool][r] = float(v)
med = lambda xs: statistics.median(xs) if xs else float("nan")
bare = med(list(t["bare"].values()))
bio = med([v for v in p["biolatency"].values() if v == v])
print(f"bare request: {bare:.0f} ns")
print(f"{'tool':26} {'BPF ns/request':>15} {'vs biolatency':>14} {'request ns (wall)':>18}")
for tool, label in (("ebpfmon", "ebpfmon disk (tp_btf)"), ("ebpfmon_tp", "ebpfmon disk (tracepoint)"),
                    ("biolatency", "libbpf-tools biolatency")):
    prog = med([v for v in p[tool].values() if v == v])
    wall = med(list(t[tool].values()))
    print(f"{label:26} {prog:15.1f} {prog / bio:13.2f}x {wall:18.0f}")
PY
