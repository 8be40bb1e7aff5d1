#!/usr/bin/env bash
# hardirq and softirq against the kernel's own counts: /proc/interrupts and
# /proc/softirqs, read around the agent's window, on both rungs of the ladder
# (tp_btf, and the classic tracepoints with EBPFMON_DISABLE=tp_btf).
#
# The load: UDP through a veth pair between two namespaces made here
# (NET_RX), direct writes with fsync to a file here (disk IRQs, BLOCK), and
# whatever the machine does meanwhile (timers, IPIs, other tests).
#
# Bounds. /proc is read four times: P0 before the agent starts, P1 once it
# has attached, P2 when the load is done, P3 after it has exited. The
# kernel increments its count just before the entry tracepoint of the same
# run, and the agent counts at the exit, so for every row
#     P2 - P1  <=  agent  <=  P3 - P0
# with no slack for the vectors and the softirqs (one increment per run).
# A numbered IRQ gets slack above (1% + 2): an edge IRQ that arrives again
# while its handler runs on another CPU is replayed by the first CPU without
# a second increment (handle_edge_irq's IRQS_PENDING loop), so handler runs
# can exceed the count. The width of the window between the bounds is
# reported: it is what the start and the stop of the agent take.
#
# Measured, not understood: under this load the tracepoints sometimes fire
# a little less often than /proc counts, with no run reported skipped
# (recursion_misses 0): NET_RX 5 to 13 in 170 000 to 400 000, BLOCK 1 to 3
# in 600, IRQ work 7 in 32, the host NIC's virtio3-tx IRQ 1 to 5 in 7 to 20.
# It is not ours: bpftrace counting the same tracepoints alongside, over a
# wider window than the agent's, fell short of /proc's inner window too
# (NET_RX 263 758 and 230 131 against 263 767 and 230 132; IRQ 36 304
# against 311). RES is further off: /proc's count of rescheduling
# interrupts grows without the reschedule tracepoints firing (bpftrace
# alone: 75 and 148 reschedule_entry against RES deltas of 91 and 159,
# while LOC and CAL matched). So below the inner window the check allows
# missed_total plus 3 + 0.1% (vectors, softirqs), 5 + 1% (numbered IRQs),
# 5 + 50% (RES), which still fails a row the agent drops; the upper bound
# stays as above; each shortfall is printed as a TAP comment.
#
# Every row with a count in the inner window must be in the agent's output
# unless no tracepoint exists for it (listed in UNTRACED below), and every
# row of the agent's must be in /proc. Time: more than 10 ns per run (two
# clock reads apart) and less than 1 ms per hard IRQ or 10 ms per softirq.
cd "$(dirname "$0")/../.." || exit 1
. tests/kernel/lib.sh
need_root "hardirq and softirq against /proc"

SEND=$PWD/$BUILD/tests/kernel/flows_send
ID=$$
NA=irqa$ID NB=irqb$ID VA=ia$ID VB=ib$ID
cleanup_irq() {
	[ -n "${SINK_PID:-}" ] && kill -KILL "$SINK_PID" 2>/dev/null
	[ -n "${BT_PID:-}" ] && kill -KILL "$BT_PID" 2>/dev/null
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	cleanup_lib
}
trap cleanup_irq EXIT
trap 'exit 1' INT TERM

if [ ! -x "$SEND" ]; then
	not_ok "test helper $SEND missing (make test builds it)"
	exit 1
fi
if ! { ip netns add "$NA" && ip netns add "$NB" &&
	ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB" &&
	ip -n "$NA" addr add 10.78.0.1/24 dev "$VA" && ip -n "$NB" addr add 10.78.0.2/24 dev "$VB" &&
	ip -n "$NA" link set "$VA" up && ip -n "$NB" link set "$VB" up &&
	ip -n "$NB" link set lo up; }; then
	not_ok "setting up two namespaces and a veth pair"
	exit 1
fi

# procfile OUT: /proc/interrupts and /proc/softirqs, summed over CPUs, as
# "hardirq ROW COUNT" and "softirq VECTOR COUNT" lines.
procfile() {
	python3 - >"$1" <<'PY'
for kind, path in (("hardirq", "/proc/interrupts"), ("softirq", "/proc/softirqs")):
    lines = open(path).read().splitlines()
    ncpu = len(lines[0].split())
    for line in lines[1:]:
        row, _, rest = line.partition(":")
        total = 0
        for tok in rest.split()[:ncpu]:
            if not tok.isdigit():
                break
            total += int(tok)
        print(kind, row.strip(), total)
PY
}

load() {
	ip netns exec "$NB" "$SEND" sink 10.78.0.2 50001 4 >/dev/null &
	SINK_PID=$!
	sleep 0.2
	ip netns exec "$NA" "$SEND" flood 10.78.0.2 50001 2 64 40001 >/dev/null ||
		not_ok "UDP flood through the veth pair"
	dd if=/dev/zero of="$TMP/blk" bs=64k count=300 oflag=direct conv=fsync status=none ||
		not_ok "direct writes to $TMP/blk"
	wait "$SINK_PID"
	SINK_PID=
}

# compare LABEL SNAPSHOT P0 P1 P2 P3
compare() {
	python3 - "$@" <<'PY'
import json, re, sys
label, snap, *procs = sys.argv[1:]
P = []
for f in procs:
    d = {}
    for line in open(f):
        k, row, n = line.split()
        d[(k, row)] = int(n)
    P.append(d)
doc = json.load(open(snap))
# /proc/interrupts rows that no tracepoint covers: counted by the kernel,
# invisible to both Netdata's module and ours.
UNTRACED = {"NMI", "PMI", "RTR", "TLB", "HYP", "MCE", "MCP", "DFR", "THR", "MIS",
            "PIN", "NPI", "PIW", "HRE", "VMN", "VPMI", "IPI"}
agent, missed = {}, {}
for kind in ("hardirq", "softirq"):
    m = doc["modules"][kind]
    if m["state"] != "up":
        print(f"not ok - {label}: {kind} is up: {m['state']} {m['reason']}")
        continue
    missed[kind] = m["host"]["missed_total"]
    for s in m.get("series", []):
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', s["labels"]))
        row = labels["irq"] if kind == "hardirq" else labels["vector"]
        agent.setdefault((kind, row), []).append(
            (labels.get("name", row), s["calls_total"], s["latency_seconds_total"]))
def allowed_short(kind, row, lo):
    """Runs the agent may lack below /proc's inner window (see the header)."""
    if row == "RES":
        return missed.get(kind, 0) + 5 + lo // 2
    return missed.get(kind, 0) + (5 + lo // 100 if row.isdigit() else 3 + lo // 1000)
bad, good, width = [], 0, []
for key, runs in sorted(agent.items()):
    kind, row = key
    if key not in P[0] or key not in P[3]:
        bad.append(f"{kind} {row}: the agent has it, /proc does not")
        continue
    lo, hi = P[2][key] - P[1][key], P[3][key] - P[0][key]
    slack = hi // 100 + 2 if row.isdigit() else 0
    # Below: what the kernel says it skipped, plus a measured shortfall
    # whose cause is not established (see the header).
    short = allowed_short(kind, row, lo)
    for name, calls, secs in runs:
        what = f"{kind} {row} ({name}): {calls} runs, /proc {lo}..{hi}, {missed[kind]} missed"
        if lo - calls > 0:
            print(f"# {label}: {kind} {row}: {lo - calls} fewer than /proc's inner window ({calls} of {lo}; {kind} missed_total {missed[kind]})")
        if not lo - short <= calls <= hi + slack:
            bad.append(what + (f" (+{slack})" if slack else ""))
            continue
        ceiling = 1e-3 if kind == "hardirq" else 1e-2
        if calls and not calls * 10e-9 < secs < calls * ceiling:
            bad.append(f"{what}: {secs:.9f} s, not within 10 ns..{ceiling * 1e3:g} ms per run")
            continue
        good += 1
        if lo >= 100:
            width.append(f"{row} {lo}<={calls}<={hi}")
for key in sorted(P[2]):
    kind, row = key
    lo = P[2][key] - P[1][key]
    if lo > 0 and key not in agent and row not in UNTRACED:
        if lo > allowed_short(kind, row, lo):
            bad.append(f"{kind} {row}: /proc counted {lo}, the agent has no row")
        else:
            print(f"# {label}: {kind} {row}: /proc counted {lo}, the agent has no row (within the shortfall allowed)")
busy = [k for k in agent if P[2].get(k, 0) - P[1].get(k, 0) >= 100]
if len(busy) < 4:
    bad.append(f"only {len(busy)} rows counted 100 or more in the window: too little to compare")
if bad:
    for b in bad:
        print(f"not ok - {label}: {b}")
else:
    print(f"ok - {label}: {good} rows within the /proc bounds, with sane times ({'; '.join(width)})")
for k in ("hardirq", "softirq"):
    if not any(key[0] == k and P[2][key] - P[1][key] >= 100 for key in agent):
        print(f"not ok - {label}: no {k} row with a count of 100 or more")
PY
}

# A peer for the times: bpftrace times the same tracepoints its own way
# (classic tracepoints, its own per-CPU start). Started before the agent
# and stopped after it, it sees the same runs; the mean time per run of the
# busiest softirq and numbered IRQ must agree within a factor of 2 (both
# times include some of the other's programs: they share the tracepoints).
BT_PID=
start_peer() {
	command -v bpftrace >/dev/null || return 1
	bpftrace -q -e '
tracepoint:irq:softirq_entry { @s[cpu] = nsecs; }
tracepoint:irq:softirq_exit /@s[cpu]/ { @sn[args->vec] = count(); @st[args->vec] = sum(nsecs - @s[cpu]); delete(@s[cpu]); }
tracepoint:irq:irq_handler_entry { @h[cpu] = nsecs; }
tracepoint:irq:irq_handler_exit /@h[cpu]/ { @hn[args->irq] = count(); @ht[args->irq] = sum(nsecs - @h[cpu]); delete(@h[cpu]); }
BEGIN { printf("attached\n"); }
END { clear(@s); clear(@h); }' >"$TMP/bt.out" 2>"$TMP/bt.err" &
	BT_PID=$!
	for _ in $(seq 200); do
		grep -q '^attached' "$TMP/bt.out" && return 0
		kill -0 "$BT_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}
stop_peer() { kill -INT "$BT_PID"; wait "$BT_PID"; BT_PID=; }

# compare_times LABEL SNAPSHOT: the agent's mean time per run against bpftrace's.
compare_times() {
	python3 - "$@" "$TMP/bt.out" <<'PY'
import json, re, sys
label, snap, bt = sys.argv[1:]
peer = {}
for line in open(bt):
    m = re.match(r"@(sn|st|hn|ht)\[(\d+)\]: (\d+)", line)
    if m:
        peer[(m.group(1), int(m.group(2)))] = int(m.group(3))
doc = json.load(open(snap))
names = [re.search(r'vector="([^"]*)"', s["labels"]).group(1) for s in doc["modules"]["softirq"]["series"]]
def best(kind, rows):
    return max(rows, key=lambda r: r[1]) if rows else None
soft = [(s, s["calls_total"]) for s in doc["modules"]["softirq"]["series"]]
hard = [(s, s["calls_total"]) for s in doc["modules"]["hardirq"]["series"]
        if re.match(r'irq="\d+"', s["labels"])]
checks = []
s, _ = best("soft", soft)
vec = names.index(re.search(r'vector="([^"]*)"', s["labels"]).group(1))
checks.append((s["labels"], s["latency_seconds_total"] / s["calls_total"], peer.get(("st", vec), 0) / max(peer.get(("sn", vec), 0), 1) / 1e9, peer.get(("sn", vec), 0)))
h, _ = best("hard", hard)
irq = int(re.search(r'irq="(\d+)"', h["labels"]).group(1))
checks.append((h["labels"], h["latency_seconds_total"] / h["calls_total"], peer.get(("ht", irq), 0) / max(peer.get(("hn", irq), 0), 1) / 1e9, peer.get(("hn", irq), 0)))
for what, ours, theirs, n in checks:
    line = f"{label}: mean time per run of {what}: ebpfmon {ours * 1e9:.0f} ns, bpftrace {theirs * 1e9:.0f} ns over {n} runs"
    print(("ok - " if n >= 100 and 0.5 <= ours / theirs <= 2 else "not ok - ") + line if theirs else "not ok - " + line)
PY
}

run_rung() { # label, EBPFMON_DISABLE value, expected implementation, [peer]
	local label=$1 disable=$2 impl=$3 peer=${4:-} out=$TMP/snap.json
	local chosen
	chosen=$(EBPFMON_DISABLE=$disable "$EBPFMON" check --json --modules hardirq,softirq 2>/dev/null |
		python3 -c '
import json, sys
d = json.load(sys.stdin)
mods = {m["name"]: m for m in d["modules"]}
print(" ".join(sorted({h["implementation"] or "none" for n in ("hardirq", "softirq") for h in mods[n]["hooks"]})))')
	expect_eq "$label: ebpfmon check picks $impl for every hook" "$chosen" "$impl"
	if [ -n "$peer" ] && ! start_peer; then
		not_ok "$label: bpftrace attaches: $(head -c 300 "$TMP/bt.err")"
		peer=
	fi
	procfile "$TMP/p0"
	EBPFMON_DISABLE=$disable start_snapshot "$out" --modules hardirq,softirq --format json || return
	procfile "$TMP/p1"
	load
	procfile "$TMP/p2"
	if ! stop_snapshot; then
		not_ok "$label: ebpfmon snapshot exits 0: $(tr '\n' ' ' <"$out.err")"
		return
	fi
	procfile "$TMP/p3"
	compare "$label" "$out" "$TMP/p0" "$TMP/p1" "$TMP/p2" "$TMP/p3"
	if [ -n "$peer" ]; then
		stop_peer
		compare_times "$label" "$out"
	fi
}

run_rung "tp_btf" "" tp_btf peer
run_rung "classic tracepoints" tp_btf tracepoint

# The Prometheus text of both modules passes promtool's linter.
if command -v promtool >/dev/null; then
	"$EBPFMON" snapshot --modules hardirq,softirq --duration 1 >"$TMP/prom.txt" 2>"$TMP/prom.err"
	if lint=$(promtool check metrics <"$TMP/prom.txt" 2>&1) &&
		grep -q '^ebpfmon_softirq_latency_seconds_total{vector="TIMER"} [0-9]*\.[0-9]\{9\}$' "$TMP/prom.txt" &&
		grep -q '^ebpfmon_hardirq_calls_total{irq="LOC",name="Local timer interrupts"} [0-9]*$' "$TMP/prom.txt"; then
		ok "promtool check metrics is clean; latency in seconds, calls as integers"
	else
		not_ok "promtool check metrics / series shape: $lint $(grep -c irq "$TMP/prom.txt") irq lines"
	fi
else
	skip "promtool check metrics" "promtool not installed (scripts/deps.sh test installs it)"
fi
