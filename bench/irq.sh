#!/usr/bin/env bash
# hardirq and softirq benchmark: the added cost per event of our programs,
# beside libbpf-tools' hardirqs and softirqs (same tracepoints, tp_btf),
# each measured alone under the same load, in ROUNDS alternating rounds.
#
# Ours on both rungs: tp_btf (the default) and the classic tracepoints
# (EBPFMON_DISABLE=tp_btf). Cost: the kernel's own run time of each program (BPF_ENABLE_STATS,
# fd-scoped, through bench/prog_stats.c) over SECONDS_PER_RUN, summed over
# the entry and exit programs and divided by the events (the exits): ns per
# hard IRQ handler run, per system vector, per softirq. Load: UDP through a
# veth pair between two namespaces (NET_RX) and direct writes with fsync
# (disk IRQs, BLOCK). Medians over the rounds; ratios against the peer tool.
# run_time_ns is the programs' own time: a classic tracepoint's perf-event
# dispatch around them is not in it, a tp_btf's trampoline-free call is.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
STATS=$BUILD/bench/prog_stats
SEND=$PWD/$BUILD/tests/kernel/flows_send
ROUNDS=${ROUNDS:-3} SECS=${SECONDS_PER_RUN:-3}
ID=$$ NA=birqa$$ NB=birqb$$
TMP=$(mktemp -d /tmp/ebpfmon-bench-irq.XXXXXX)
BG='' LOADPIDS=()
cleanup() {
	[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null
	for p in "${LOADPIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$BUILD/bench"
cc -O2 -Wall -o "$STATS" bench/prog_stats.c -lbpf || exit 1
[ -x "$SEND" ] || make --no-print-directory "$BUILD/tests/kernel/flows_send" >/dev/null || exit 1
HARDIRQS=$(command -v hardirqs || echo /usr/sbin/hardirqs)
SOFTIRQS=$(command -v softirqs || echo /usr/sbin/softirqs)
ip netns add "$NA" && ip netns add "$NB" &&
	ip link add "ia$ID" netns "$NA" type veth peer name "ib$ID" netns "$NB" &&
	ip -n "$NA" addr add 10.80.0.1/24 dev "ia$ID" && ip -n "$NB" addr add 10.80.0.2/24 dev "ib$ID" &&
	ip -n "$NA" link set "ia$ID" up && ip -n "$NB" link set "ib$ID" up ||
	{ echo "bench irq: namespace setup failed"; exit 1; }

# load SECONDS: the traffic and the disk writes, in the background.
load() {
	LOADPIDS=()
	ip netns exec "$NB" "$SEND" sink 10.80.0.2 50001 "$(($1 + 2))" >/dev/null &
	LOADPIDS+=($!)
	ip netns exec "$NA" "$SEND" flood 10.80.0.2 50001 "$1" 64 40001 >/dev/null &
	LOADPIDS+=($!)
	(end=$((SECONDS + $1)); while [ $SECONDS -lt $end ]; do
		dd if=/dev/zero of="$TMP/blk" bs=64k count=50 oflag=direct conv=fsync status=none; done) &
	LOADPIDS+=($!)
}
wait_load() { for p in "${LOADPIDS[@]}"; do wait "$p" 2>/dev/null; done; LOADPIDS=(); }

# measure LABEL PID: prog_stats of PID under load into $TMP/stats (LABEL first).
measure() {
	load "$((SECS + 1))"
	sleep 0.5
	"$STATS" "$SECS" "$2" | sed "s/^/$r $1 /" >>"$TMP/stats"
	wait_load
}

for r in $(seq "$ROUNDS"); do
	for disable in "" tp_btf; do
		EBPFMON_DISABLE=$disable "$EBPFMON" snapshot --modules hardirq,softirq --duration 10m \
			>/dev/null 2>"$TMP/snap.err" &
		BG=$!
		for _ in $(seq 100); do grep -q '^attached' "$TMP/snap.err" && break; sleep 0.1; done
		measure "ebpfmon${disable:+-classic}" $BG
		kill -INT $BG; wait $BG 2>/dev/null; BG=
	done
	for tool in "$HARDIRQS" "$SOFTIRQS"; do
		[ -x "$tool" ] || continue
		"$tool" 60 1 >/dev/null 2>&1 &
		BG=$!
		sleep 1.5 # attached
		measure "$(basename "$tool")" $BG
		kill -INT $BG; wait $BG 2>/dev/null; BG=
	done
done

echo "== hardirq, softirq: ns of BPF run time per event (BPF_ENABLE_STATS), $ROUNDS rounds of ${SECS}s under load, medians"
python3 - "$TMP/stats" <<'PY'
import collections, statistics, sys
# round label pid prog cnt ns
per = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
for line in open(sys.argv[1]):
    r, label, _pid, prog, cnt, ns = line.split()
    if label.startswith("ebpfmon"):
        group = ("handler" if prog.startswith("handler_") else
                 "softirq" if prog.startswith("softirq_") else "vector")
    else:
        group = "handler" if label == "hardirqs" else "softirq"
    g = per[(label, group)][r]
    g[0] += int(cnt)
    g[1] += int(ns)
def cost(label, group):
    v = [ns / (cnt / 2) for cnt, ns in per[(label, group)].values() if cnt >= 2]
    return (statistics.median(v), statistics.median(c / 2 for c, _ in per[(label, group)].values())) if v else (None, 0)
rows = [("per hard IRQ handler run", "handler", "hardirqs"),
        ("per x86 system vector (LOC, RES, CAL, IWI)", "vector", None),
        ("per softirq run", "softirq", "softirqs")]
for what, group, peer in rows:
    theirs, m = cost(peer, group) if peer else (None, 0)
    for label, rung in (("ebpfmon", "tp_btf"), ("ebpfmon-classic", "classic tracepoints")):
        ours, n = cost(label, group)
        s = f"{what:44s} ebpfmon ({rung:19s}) " + (f"{ours:6.1f} ns ({n:.0f} events)" if ours else "-")
        if theirs and ours:
            s += f"; libbpf-tools {peer} {theirs:6.1f} ns ({m:.0f} events); ratio {ours / theirs:.2f}x"
        print(s)
PY
