#!/usr/bin/env bash
# make bench: the cost of ebpfmon, measured against a baseline in the same run
# (issue "Counting core that holds on a 128-CPU server").
#
#  1. ns per read(2) (1 byte from /dev/zero) and per getppid(2): bare, with
#     ebpfmon's default modules (those on by default and available here; return mode; per application
#     on) on their default tp_btf/sys_exit hook, forced onto classic syscall
#     tracepoints, and in light load mode (no syscall hook at all); with the
#     vfs module alone; and with libbpf-tools' syscount attached. Rounds
#     alternate; each variant's added cost is its time minus the bare time of
#     the same round, and the median of those is shown (the machine is
#     noisy), in ns and as a ratio of syscount's added cost.
#  2. Kernel memory: every BPF map the agent holds (map ids from
#     /proc/PID/fdinfo, sizes from bpftool), here and projected to 128 CPUs,
#     beside the agent's own ebpfmon_kernel_map_bytes (which also counts the
#     per-thread records bpftool cannot see); default modules, then every
#     module with flows on a veth in a namespace made for the run.
#  3. ebpfmon run with the default modules: time to load and attach, RSS and
#     CPU at idle.
#  4. Collection time with BENCH_PROCS (30000) idle processes that each hold a
#     record and an epoch (bench/many_procs.c).
#  5. ebpfmon's CPU and RSS at idle beside BENCH_IDLE_PROCS (10000) of them.
#  6. The other modules' parts: every bench/*.sh but this one.
#
# BENCH_PARTS (default all: syscalls,memory,load,collection,idle,others) runs
# only some; ROUNDS, BENCH_PROCS and BENCH_IDLE_PROCS scale them.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
COST=$BUILD/bench/syscall_cost
PROCS=$PWD/$BUILD/bench/many_procs
ROUNDS=${ROUNDS:-7}
NPROCS=${BENCH_PROCS:-30000}
NIDLE=${BENCH_IDLE_PROCS:-10000}
PROJECT_CPUS=128
# The modules on by default that this kernel runs, and every module it can run (from check).
modules_where() { # python condition on m (a module of check --json)
	"$EBPFMON" check --json 2>/dev/null | python3 -c "import json, sys
print(','.join(m['name'] for m in json.load(sys.stdin)['modules']
               if m['name'] not in ('core', 'flows') and ($1)))"
}
DEFAULT_MODULES=$(modules_where "m['state'] == 'available'")
ALL_MODULES=$(modules_where "'available' in (m['state'], m.get('kernel'))")
PARTS=${BENCH_PARTS:-syscalls,memory,load,collection,idle,others}
want() { [[ ",$PARTS," == *",$1,"* ]]; }
TMP=$(mktemp -d /tmp/ebpfmon-bench.XXXXXX)
BG='' KIDS='' NETNS='' OLD_PID_MAX='' OLD_THREADS_MAX=''
IN_NS=() # command prefix that puts ebpfmon and curl in $NETNS

# Stop the idle children (parts 4, 5): their parent kills each of them by pid
# and reaps them. Had it died first, they died with it (PR_SET_PDEATHSIG);
# anything on its list that is still there and still ours is killed here.
stop_kids() {
	local p c
	if [ -n "$KIDS" ]; then
		kill -TERM "$KIDS" 2>/dev/null
		for _ in $(seq 1200); do kill -0 "$KIDS" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$KIDS" 2>/dev/null # 2 minutes: stuck; its children die with it
		wait "$KIDS" 2>/dev/null
		KIDS=
	fi
	if [ -s "$TMP/kids.pids" ]; then
		while read -r p; do
			c=
			{ read -r c <"/proc/$p/comm"; } 2>/dev/null
			[ "$c" = many_procs ] && kill -KILL "$p" 2>/dev/null
		done <"$TMP/kids.pids"
		rm -f "$TMP/kids.pids"
	fi
}
restore_limits() {
	[ -n "$OLD_PID_MAX" ] && sysctl -qw kernel.pid_max="$OLD_PID_MAX"
	[ -n "$OLD_THREADS_MAX" ] && sysctl -qw kernel.threads-max="$OLD_THREADS_MAX"
	OLD_PID_MAX='' OLD_THREADS_MAX=''
}
cleanup() {
	[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null
	stop_kids
	restore_limits
	[ -n "$NETNS" ] && ip netns del "$NETNS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$BUILD/bench"
cc -O2 -Wall -o "$COST" bench/syscall_cost.c || exit 1
# Static, so each of the many children is a few pages; dynamic if libc.a is missing.
cc -O2 -Wall -static -o "$PROCS" bench/many_procs.c 2>/dev/null ||
	cc -O2 -Wall -o "$PROCS" bench/many_procs.c || exit 1
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (it attaches BPF programs)"; exit 1; }
SYSCOUNT=$(command -v syscount || echo /usr/sbin/syscount)

# Wait until file $1 contains pattern $2 ($3 seconds at most, default 10).
wait_for() {
	for _ in $(seq $((${3:-10} * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

measure() { # label -> appends "round label read getppid" to $TMP/results
	taskset -c 1 "$COST" 300000 | awk -v r="$r" -v l="$1" '{ v[$1] = $2 } END { print r, l, v["read"], v["getppid"] }' >>"$TMP/results"
}

# with_snapshot LABEL DISABLE ARGS...: measure with `ebpfmon snapshot ARGS` attached,
# EBPFMON_DISABLE=DISABLE.
with_snapshot() {
	local label=$1 disable=$2
	shift 2
	EBPFMON_DISABLE=$disable "$EBPFMON" snapshot "$@" --duration 10m >/dev/null 2>"$TMP/snap.err" &
	BG=$!
	if wait_for "$TMP/snap.err" '^attached'; then
		measure "$label"
	else
		echo "$label: $(head -c 200 "$TMP/snap.err" | tr '\n' ' ')" >>"$TMP/failed"
	fi
	kill -INT $BG; wait $BG 2>/dev/null; BG=
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_run ARGS...: `ebpfmon run ARGS` on 127.0.0.1:$PORT in the background ($BG),
# inside "${IN_NS[@]}"; waits for "serving". START_NS: when it was started.
start_run() {
	PORT=$(free_port)
	START_NS=$(date +%s%N)
	"${IN_NS[@]}" "$EBPFMON" run --listen "127.0.0.1:$PORT" "$@" >/dev/null 2>"$TMP/run.err" &
	BG=$!
	wait_for "$TMP/run.err" 'serving' && return 0
	echo "ebpfmon run $* did not start: $(head -c 300 "$TMP/run.err")"
	kill -KILL "$BG" 2>/dev/null; wait "$BG" 2>/dev/null; BG=
	return 1
}
stop_run() { kill -TERM "$BG"; wait "$BG" 2>/dev/null; BG=; }
scrape() { "${IN_NS[@]}" curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"; }
# metric NAME: the sum of every sample of NAME in the last scrape ("none" when absent).
metric() {
	awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF; n++ }
		END { if (n) printf "%.9g\n", s; else print "none" }' "$TMP/metrics"
}
# events: ebpfmon_accounting_events_total of the last scrape, "name count, ...".
events() {
	sed -n 's/^ebpfmon_accounting_events_total{event="\([a-z_]*\)"} \([0-9]*\)$/\1 \2/p' "$TMP/metrics" | paste -sd, | sed 's/,/, /g'
}
mib() { awk -v b="$1" 'BEGIN { if (b == "none") print "none"; else printf "%.2f", b / 1048576 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
nr_tasks() { find /proc/[0-9]*/task -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# fit_tasks N: room for N more processes under kernel.pid_max and
# kernel.threads-max, beside the tasks running now, the 300 pids the kernel
# keeps once pids wrap, and 2048 for the machine's other tenants. Raises
# either for the part that needs it (restore_limits puts it back) and says so.
fit_tasks() {
	local n=$1 tasks need pm tm new
	tasks=$(nr_tasks)
	need=$((n + tasks + 300 + 2048))
	pm=$(cat /proc/sys/kernel/pid_max) tm=$(cat /proc/sys/kernel/threads-max)
	if [ "$need" -gt "$pm" ]; then
		new=$(((need + 4095) / 4096 * 4096))
		[ -n "$OLD_PID_MAX" ] || OLD_PID_MAX=$pm
		sysctl -qw kernel.pid_max="$new" || { echo "bench: cannot raise kernel.pid_max"; return 1; }
		echo "kernel.pid_max raised from $pm to $new for this part ($n children + $tasks tasks running); restored after it"
	else
		echo "kernel.pid_max $pm left as is: room for $n children + $tasks tasks running"
	fi
	if [ "$need" -gt "$tm" ]; then
		[ -n "$OLD_THREADS_MAX" ] || OLD_THREADS_MAX=$tm
		sysctl -qw kernel.threads-max="$need" || { echo "bench: cannot raise kernel.threads-max"; return 1; }
		echo "kernel.threads-max raised from $tm to $need for this part; restored after it"
	fi
}

# start_kids N: N idle children (bench/many_procs.c), each having done one read
# and one write. KIDS: their parent; NKIDS: how many are ready; KIDS_S: seconds taken.
start_kids() {
	local t0
	t0=$(date +%s%N)
	rm -f "$TMP/kids.pids"
	"$PROCS" "$1" "$TMP/kids.pids" >"$TMP/kids.out" 2>"$TMP/kids.err" &
	KIDS=$!
	if ! wait_for "$TMP/kids.out" '^ready' 600; then
		echo "bench: $1 children not ready after 600 s: $(head -c 200 "$TMP/kids.err")"
		return 1
	fi
	NKIDS=$(awk '/^ready/ { print $2 }' "$TMP/kids.out")
	KIDS_S=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	[ -s "$TMP/kids.err" ] && echo "many_procs: $(head -c 200 "$TMP/kids.err" | tr '\n' ' ')"
	return 0
}

# wait_epochs N SECONDS: until ebpfmon_accounting_epochs >= N (0), or SECONDS
# pass or it stays the same for 5 s (1). EPOCHS_S: seconds waited.
wait_epochs() {
	local t0 e last='' same=0
	t0=$(date +%s%N)
	for _ in $(seq "$2"); do
		scrape
		e=$(metric ebpfmon_accounting_epochs)
		[ "$e" != none ] && [ "$e" -ge "$1" ] && break
		if [ "$e" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 5 ] && break
		else
			same=0 last=$e
		fi
		sleep 1
	done
	EPOCHS_S=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	[ "$e" != none ] && [ "$e" -ge "$1" ]
}

# map_memory LABEL PID BUDGET_MIB|-: every BPF map PID holds (by fd, or through
# one of its programs), summed from bpftool; a per-CPU map grows by
# max_entries x round_up(value_size, 8) per CPU added. Also leaves
# "BYTES_HERE BYTES_AT_128" in $TMP/mapmem.
map_memory() {
	python3 - "$1" "$2" "$3" "$PROJECT_CPUS" "$TMP/mapmem" <<'PY'
import json, os, subprocess, sys
label, pid, budget, at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def cpus(s):  # "0-1,4" -> 3
    return sum(int(b) - int(a) + 1 for a, _, b in (r.partition("-") if "-" in r else (r, "", r) for r in s.split(",")))
here = cpus(open("/sys/devices/system/cpu/possible").read().strip())
def bpftool(*a):
    out = subprocess.run(["bpftool", *a, "-j"], capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else {}
maps, progs = set(), set()
for fd in os.listdir(f"/proc/{pid}/fdinfo"):
    try:
        lines = open(f"/proc/{pid}/fdinfo/{fd}").read().splitlines()
    except OSError:
        continue
    for line in lines:
        k, _, v = line.partition(":")
        if k == "map_id":
            maps.add(int(v))
        elif k == "prog_id":
            progs.add(int(v))
by_fd = len(maps)
for p in progs:
    maps.update(bpftool("prog", "show", "id", str(p)).get("map_ids", []))
percpu = {"percpu_array", "percpu_hash", "lru_percpu_hash", "percpu_cgroup_storage"}
rows = []
for m in sorted(maps):
    j = bpftool("map", "show", "id", str(m))
    if not j:
        continue
    b = j.get("bytes_memlock", 0)
    b_at = b
    if j.get("type") in percpu and at > here:
        b_at += j.get("max_entries", 0) * ((j.get("bytes_value", 0) + 7) // 8 * 8) * (at - here)
    rows.append((b_at, b, j.get("name", "?")))
M = 1 << 20
tot, tot_at = sum(r[1] for r in rows), sum(r[0] for r in rows)
top = ", ".join(f"{n} {b_at / M:.2f}" for b_at, b, n in sorted(rows, reverse=True)[:3])
extra = f" (+{len(maps) - by_fd} only through its programs)" if len(maps) > by_fd else ""
open(sys.argv[5], "w").write(f"{tot} {tot_at}\n")
verdict = "" if budget == "-" else f" (budget {budget} MiB: {'within' if tot_at <= float(budget) * M else 'OVER'})"
print(f"{label}: {tot / M:.2f} MiB here ({here} CPUs), {tot_at / M:.2f} MiB at {at} CPUs{verdict}; "
      f"{len(rows)} maps{extra}, largest at {at}: {top} MiB")
PY
}

# memory_part LABEL BUDGET ARGS...: map_memory of `ebpfmon snapshot ARGS`, then
# ebpfmon_kernel_map_bytes of `ebpfmon run ARGS`.
memory_part() {
	local label=$1 budget=$2
	shift 2
	"${IN_NS[@]}" "$EBPFMON" snapshot "$@" --duration 10m >/dev/null 2>"$TMP/snap.err" &
	BG=$!
	if wait_for "$TMP/snap.err" '^attached'; then
		map_memory "$label, bpftool" "$BG" "$budget"
	else
		echo "$label: snapshot did not attach: $(head -c 300 "$TMP/snap.err")"
	fi
	kill -INT $BG; wait $BG 2>/dev/null; BG=
	start_run --update-every 1 "$@" || return
	sleep 2.5 # a collection or two
	scrape
	echo "$label, ebpfmon_kernel_map_bytes summed (ebpfmon run): $(mib "$(metric ebpfmon_kernel_map_bytes)") MiB here" \
		"(with $(metric ebpfmon_accounting_records) per-thread records, $(metric ebpfmon_accounting_epochs) epochs)"
	stop_run
}

# ---------------------------------------------------------------------------
if want syscalls; then
for r in $(seq "$ROUNDS"); do
	measure bare

	with_snapshot default "" --modules $DEFAULT_MODULES
	with_snapshot classic tp_btf --modules $DEFAULT_MODULES
	with_snapshot light "" --modules $DEFAULT_MODULES --load-mode light
	with_snapshot vfs "" --modules vfs

	if [ -x "$SYSCOUNT" ]; then
		# Line-buffered, so its "Tracing" line shows when it has attached.
		stdbuf -oL "$SYSCOUNT" >"$TMP/syscount.out" 2>&1 &
		BG=$!
		if wait_for "$TMP/syscount.out" 'Tracing'; then measure syscount; fi
		kill -INT $BG; wait $BG 2>/dev/null; BG=
	fi
done

echo "== syscall cost: ns per call, $ROUNDS alternating rounds (each: best of 5 batches of 300k)"
python3 - "$TMP/results" "$DEFAULT_MODULES" <<'PY'
import statistics, sys
rounds = {}
for line in open(sys.argv[1]):
    r, label, rd, pp = line.split()
    rounds.setdefault(r, {})[label] = (float(rd), float(pp))
def added(label, i):
    d = [v[label][i] - v["bare"][i] for v in rounds.values() if label in v and "bare" in v]
    return statistics.median(d) if d else None
bare = [statistics.median(v["bare"][i] for v in rounds.values() if "bare" in v) for i in (0, 1)]
sc = (added("syscount", 0), added("syscount", 1))
def ratio(v, i):
    return v / sc[i] if v is not None and sc[i] and sc[i] > 0 else None
def fmt(x, f):
    return "-" if x is None else format(x, f)
mods = sys.argv[2]
print(f"bare: read {bare[0]:.1f} ns, getppid {bare[1]:.1f} ns (medians)")
print(f"{'added ns (median of per-round deltas)':52s} {'read':>7s} {'/syscount':>9s} {'getppid':>8s} {'/syscount':>9s}")
names = {"default": f"ebpfmon {mods} (tp_btf/sys_exit, default)",
         "classic": f"ebpfmon {mods} (classic syscall tracepoints)",
         "light": f"ebpfmon {mods} --load-mode light",
         "vfs": "ebpfmon --modules vfs (tp_btf/sys_exit)",
         "syscount": "libbpf-tools syscount"}
for k, name in names.items():
    r, p = added(k, 0), added(k, 1)
    if r is None:
        print(f"{name:52s} (not measured)")
        continue
    print(f"{name:52s} {r:7.1f} {fmt(ratio(r, 0), '8.2f') + 'x':>9s} {p:8.1f} {fmt(ratio(p, 1), '8.2f') + 'x':>9s}")
for what, k, i, target in (("default read", "default", 0, 0.8), ("light read", "light", 0, 0.1),
                           ("light getppid", "light", 1, 0.1)):
    x = ratio(added(k, i), i)
    verdict = "not measured" if x is None else f"{x:.2f}x, {'met' if x <= target else 'MISSED'}"
    print(f"target: {what} <= {target}x syscount's added cost: {verdict}")
PY
[ -s "$TMP/failed" ] && sed 's/^/not attached: /' "$TMP/failed"
echo
fi

if want memory; then
echo "== kernel memory of ebpfmon's BPF maps, here and at $PROJECT_CPUS CPUs"
memory_part "default modules ($DEFAULT_MODULES)" 32 --modules $DEFAULT_MODULES
sed -n "s/^kernel memory of the core's maps: \(.*\);$/default modules, ebpfmon check's estimate (core only): \1/p" \
	<("$EBPFMON" check --modules $DEFAULT_MODULES 2>/dev/null)
NETNS=ebpfmon-bench$$
IFACE=vbench$$
if ip netns add "$NETNS" &&
	ip link add "$IFACE" netns "$NETNS" type veth peer name "${IFACE}p" netns "$NETNS" &&
	ip -n "$NETNS" link set lo up && ip -n "$NETNS" link set "$IFACE" up &&
	ip -n "$NETNS" link set "${IFACE}p" up; then
	IN_NS=(nsenter --net="/run/netns/$NETNS")
	memory_part "every module this kernel runs ($ALL_MODULES,flows on a veth)" 64 \
		--modules $ALL_MODULES,flows --flows-iface "$IFACE"
	IN_NS=()
else
	echo "every module: could not make a veth pair in a namespace"
fi
ip netns del "$NETNS" 2>/dev/null
NETNS=
echo
fi

if want load; then
echo "== ebpfmon run, default modules: load, attach, idle cost"
start_run || exit 1
ready_ms=$((($(date +%s%N) - START_NS) / 1000000))
echo "load and attach: $(sed -n 's/.*loaded in \([0-9]*\) ms.*/\1/p' "$TMP/run.err") ms inside ebpfmon; $ready_ms ms from exec to serving (target: 1 s)"
sleep 2
ticks=$(getconf CLK_TCK)
cpu0=$(cpu_ticks $BG)
sleep 10
cpu1=$(cpu_ticks $BG)
rss=$(rss_kb $BG)
echo "idle over 10 s: CPU $(python3 -c "print(f'{($cpu1 - $cpu0) / $ticks / 10 * 100:.2f}')")% of one core; RSS $((rss / 1024)) MB ($rss kB; target <= 16 MB)"
"${IN_NS[@]}" curl -s "http://127.0.0.1:$PORT/metrics" -o /dev/null -w "one /metrics scrape: %{size_download} bytes in %{time_total} s\n"
stop_run
echo
fi

if want collection; then
echo "== collection time with $NPROCS idle processes (each did one read and one write, then pause()), update every 1 s"
if fit_tasks "$NPROCS" && start_run --update-every 1 && sleep 1.5 && scrape &&
	e0=$(metric ebpfmon_accounting_epochs) && start_kids "$NPROCS"; then
	[ "$e0" != none ] || e0=0
	echo "children: $NKIDS of $NPROCS ready in $KIDS_S s"
	if wait_epochs "$NKIDS" 120; then
		echo "ebpfmon_accounting_epochs >= $NKIDS after another $EPOCHS_S s"
	else
		echo "ebpfmon_accounting_epochs stopped at $(metric ebpfmon_accounting_epochs) < $NKIDS after $EPOCHS_S s" \
			"(events: $(events)): sampling anyway"
	fi
	: >"$TMP/durations"
	for _ in $(seq 10); do
		sleep 1
		scrape
		echo "$(metric ebpfmon_last_collection_duration_seconds) $(metric ebpfmon_accounting_epochs) $(metric ebpfmon_accounting_records)" >>"$TMP/durations"
	done
	python3 - "$TMP/durations" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.split() and l.split()[0] != "none"]
d = [float(r[0]) * 1000 for r in rows]
if d:
    print(f"collection time: median {statistics.median(d):.1f} ms, max {max(d):.1f} ms over {len(d)} samples, 1 s apart "
          f"(epochs {rows[-1][1]}, records {rows[-1][2]} at the last)")
else:
    print("collection time: no ebpfmon_last_collection_duration_seconds in /metrics")
PY
	rm -f "$TMP/mapmem"
	map_memory "kernel memory with them, bpftool (records not seen)" "$BG" - | sed 's/; [0-9]* maps.*//'
	mh=0 mat=0 kb=$(metric ebpfmon_kernel_map_bytes)
	[ -s "$TMP/mapmem" ] && read -r mh mat <"$TMP/mapmem"
	echo "kernel memory with them, ebpfmon_kernel_map_bytes summed: $(mib "$kb") MiB here, $(awk -v k="$kb" -v h="$mh" -v a="$mat" \
		'BEGIN { if (k == "none") print "none"; else { t = (k + a - h) / 1048576
			printf "%.2f MiB at '"$PROJECT_CPUS"' CPUs with the per-CPU growth above (budget 32 MiB: %s)", t, t <= 32 ? "within" : "OVER" } }')"
	echo "ebpfmon then: RSS $(($(rss_kb $BG) / 1024)) MB; events: $(events)"
	t0=$(date +%s%N)
	stop_kids
	echo "children killed and reaped in $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
	for _ in $(seq 30); do # until the epochs are back to what they were before them (+100)
		sleep 1
		scrape
		e=$(metric ebpfmon_accounting_epochs)
		[ "$e" != none ] && [ "$e" -le $((e0 + 100)) ] && break
	done
	echo "$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.0f", (b - a) / 1e9 }') s after the kill: $e epochs ($e0 before the children)," \
		"$(metric ebpfmon_accounting_records) records, $(metric ebpfmon_accounting_retired_total) epochs retired since start;" \
		"events: $(events)"
fi
stop_kids
[ -n "$BG" ] && stop_run
restore_limits
echo
fi

if want idle; then
echo "== idle cost beside $NIDLE idle processes: ebpfmon run, default modules, update every 1 s"
if fit_tasks "$NIDLE" && start_run --update-every 1 && start_kids "$NIDLE"; then
	wait_epochs "$NKIDS" 120 || echo "ebpfmon_accounting_epochs stopped at $(metric ebpfmon_accounting_epochs) < $NKIDS after $EPOCHS_S s"
	sleep 2
	ticks=$(getconf CLK_TCK)
	n0=$(scrape; metric ebpfmon_collections_total)
	cpu0=$(cpu_ticks $BG)
	sleep 20
	cpu1=$(cpu_ticks $BG)
	scrape
	rss=$(rss_kb $BG)
	echo "idle over 20 s ($(($(metric ebpfmon_collections_total) - n0)) collections; $(metric ebpfmon_accounting_epochs) epochs, $(metric ebpfmon_accounting_records) records):" \
		"CPU $(awk -v a="$cpu0" -v b="$cpu1" -v t="$ticks" 'BEGIN { c = (b - a) / t / 20 * 100
			printf "%.2f%% of one core (target <= 1%%: %s)", c, c <= 1 ? "met" : "MISSED" }'); RSS $((rss / 1024)) MB ($rss kB)"
fi
stop_kids
[ -n "$BG" ] && stop_run
restore_limits
echo
fi

if want others; then
for b in bench/*.sh; do
	[ -f "$b" ] && [ "$b" != bench/run.sh ] || continue
	BUILD=$BUILD bash "$b"
	echo
done
fi
