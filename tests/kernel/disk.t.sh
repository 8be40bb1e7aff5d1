#!/usr/bin/env bash
# kernel tier: the disk module's latency histogram against ground truth.
#
# A loop device on a file of ours, 500 O_DIRECT 4 KiB writes and 300 reads
# (tests/kernel/dio.c: one synchronous call per block, one block request
# each): ebpfmon_disk_latency_seconds_count{device="loopN"} must grow by
# exactly 800, as must the device's own completed-request counts in
# /sys/block/loopN/stat and bpftrace timing the same requests (libbpf-tools'
# biolatency 0.26 is no peer here: it counted 456 to 681 of the 800).
# Both rungs run: tp_btf (request pointer) and the classic tracepoints
# (dev + sector). Other disks' activity does not matter: only loopN is
# compared, and nothing but the workload touches it while it is held open.
source "$(dirname "$0")/lib.sh"
need_root "disk latency"

DIO=$BUILD/tests/kernel/dio
WRITES=500 READS=300
want=$((WRITES + READS))
LOOP= BT_PID= DIO_PID=
cleanup_disk() {
	[ -n "$DIO_PID" ] && kill -KILL "$DIO_PID" 2>/dev/null
	[ -n "$BT_PID" ] && kill -KILL "$BT_PID" 2>/dev/null
	[ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null
	[ -n "$DIO_PID$BT_PID$RUN_PID" ] && sleep 0.2
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	cleanup_lib
}
trap cleanup_disk EXIT

[ -x "$DIO" ] || { not_ok "$DIO missing (make test builds it)"; exit 0; }
command -v losetup >/dev/null || { not_ok "losetup missing (package mount)"; exit 0; }
truncate -s 16M "$TMP/disk.img"
# Direct I/O from the loop device to its file where the file system allows it,
# so each request reaches the backing file as it is; buffered otherwise.
LOOP=$(losetup -f --show --direct-io=on "$TMP/disk.img" 2>/dev/null) ||
	LOOP=$(losetup -f --show "$TMP/disk.img") || { not_ok "losetup failed"; exit 0; }
dev=${LOOP#/dev/}
# dev_t as the kernel encodes it in events: major << 20 | minor.
devt=$(((0x$(stat -c %t "$LOOP") << 20) | 0x$(stat -c %T "$LOOP")))
command -v udevadm >/dev/null && udevadm settle 2>/dev/null
ok "loop device $dev (direct I/O to its file: $(cat "/sys/block/$dev/loop/dio" 2>/dev/null))"

# Completed requests of the device: reads + writes + discards + flushes, and their ms.
dev_stat() { awk '{ print $1 + $5 + $12 + $16, $4 + $8 + $15 + $17 }' "/sys/block/$dev/stat"; }

# hist FILE: "count sum" of our device's histogram ("0 0" before its first request).
hist() {
	local c s
	c=$(metric "$1" ebpfmon_disk_latency_seconds_count "device=\"$dev\"")
	s=$(metric "$1" ebpfmon_disk_latency_seconds_sum "device=\"$dev\"")
	[ "$c" = missing ] && c=0 s=0
	echo "$c $s"
}

# Buckets of our device: cumulative, ending with +Inf = _count, 24 of them.
check_buckets() { # desc file
	python3 - "$2" "$dev" <<'PY'
import re, sys
dev = sys.argv[2]
b, count = [], None
for line in open(sys.argv[1]):
    m = re.match(r'ebpfmon_disk_latency_seconds_bucket\{device="%s",le="([^"]+)"\} (\d+)$' % dev, line)
    if m:
        b.append((float(m.group(1)), int(m.group(2))))
    m = re.match(r'ebpfmon_disk_latency_seconds_count\{device="%s"\} (\d+)$' % dev, line)
    if m:
        count = int(m.group(1))
bad = []
if len(b) != 24: bad.append(f"{len(b)} buckets, not 24")
if b and b[-1][0] != float("inf"): bad.append("last bucket is not +Inf")
if b and abs(b[0][0] - 0.000002) > 1e-12: bad.append(f"first bound {b[0][0]}, not 2 us")
if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)): bad.append("not cumulative")
if any(b[i][0] >= b[i + 1][0] for i in range(len(b) - 1)): bad.append("bounds not ascending")
if b and b[-1][1] != count: bad.append(f"+Inf {b[-1][1]} != _count {count}")
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
}

# prog_misses PID: runs the kernel skipped of the BPF programs PID holds (recursion_misses).
prog_misses() {
	local id n=0 m
	for id in $(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un); do
		m=$(bpftool prog show id "$id" -j 2>/dev/null |
			python3 -c 'import json, sys; print(json.load(sys.stdin).get("recursion_misses", 0))')
		n=$((n + ${m:-0}))
	done
	echo "$n"
}

window() { # rung label, then EBPFMON_DISABLE value
	local rung=$1 disable=$2 s0 s1 h0 h1 c s got truth ms lat_ms out bt_n bt_ns missed bt_missed
	EBPFMON_DISABLE=$disable start_run --modules disk || return
	if ! grep -q '^ebpfmon_module_up{module="disk"} 1' <(curl -sf "http://127.0.0.1:$RUN_PORT/metrics"); then
		not_ok "$rung: disk module not up: $(tr '\n' ' ' <"$TMP/run.err")"
		stop_run
		return
	fi
	# The peer: bpftrace timing the same requests on its own (classic
	# tracepoints, dev + sector), count and nanoseconds summed.
	if command -v bpftrace >/dev/null; then
		bpftrace -e "tracepoint:block:block_rq_issue /args->dev == $devt/ { @s[args->sector] = nsecs; }
			tracepoint:block:block_rq_complete /args->dev == $devt && @s[args->sector]/ {
				@n = count(); @ns = sum(nsecs - @s[args->sector]); delete(@s[args->sector]); }" \
			>"$TMP/bt.$rung" 2>&1 &
		BT_PID=$!
		for _ in $(seq 100); do
			grep -q Attaching "$TMP/bt.$rung" && break
			sleep 0.1
		done
		sleep 0.5 # "Attaching" comes just before the attach itself
	fi
	sleep 1.2 # a collection with everything before the window in it
	scrape "$TMP/before.$rung"
	read -r s0 ms <<<"$(dev_stat)"
	cp "/sys/block/$dev/stat" "$TMP/stat0.$rung"
	h0=$(hist "$TMP/before.$rung")
	mkfifo "$TMP/hold.$rung"
	"$DIO" "$LOOP" "$WRITES" "$READS" <"$TMP/hold.$rung" >"$TMP/dio.$rung" 2>&1 &
	DIO_PID=$!
	exec 9>"$TMP/hold.$rung" # the device stays open until fd 9 closes
	for _ in $(seq 300); do
		grep -q '^done$' "$TMP/dio.$rung" && break
		kill -0 "$DIO_PID" 2>/dev/null || break
		sleep 0.05
	done
	grep -q '^done$' "$TMP/dio.$rung" || not_ok "$rung: dio failed: $(cat "$TMP/dio.$rung")"
	read -r s1 lat_ms <<<"$(dev_stat)"
	cp "/sys/block/$dev/stat" "$TMP/stat1.$rung"
	truth=$((s1 - s0))
	lat_ms=$((lat_ms - ms))
	# Collections run every second: wait for the one that has the whole workload.
	for _ in $(seq 50); do
		sleep 0.3
		scrape "$TMP/after.$rung"
		read -r c s <<<"$(hist "$TMP/after.$rung")"
		[ $((c - ${h0% *})) -ge "$want" ] && break
	done
	sleep 1.1
	scrape "$TMP/after.$rung"
	exec 9>&-
	wait "$DIO_PID"
	DIO_PID=
	h1=$(hist "$TMP/after.$rung")
	got=$((${h1% *} - ${h0% *}))
	missed=$(($(metric "$TMP/after.$rung" ebpfmon_disk_missed_total) -
		$(metric "$TMP/before.$rung" ebpfmon_disk_missed_total)))
	echo "# $rung: /sys/block/$dev/stat in the window: $(paste "$TMP/stat0.$rung" "$TMP/stat1.$rung" |
		awk '{ print "reads +" $18 - $1, "writes +" $22 - $5, "discards +" $29 - $12, "flushes +" $33 - $16 }');" \
		"unmatched completions +$(($(metric "$TMP/after.$rung" ebpfmon_disk_unmatched_completions_total) -
			$(metric "$TMP/before.$rung" ebpfmon_disk_unmatched_completions_total)))"
	expect_eq "$rung: /sys/block/$dev/stat completed requests in the window" "$truth" "$want"
	# Exact, unless the kernel skipped our programs for an event (a BPF
	# program already running on that CPU: with classic tracepoints any
	# program, e.g. another test's, while an I/O completes in an interrupt
	# on top of it). Such skips are counted (missed_total, for every
	# disk): the count may then fall short by at most that many.
	if [ "$missed" -eq 0 ]; then
		expect_eq "$rung: ebpfmon_disk_latency_seconds_count{device=\"$dev\"} grew by" "$got" "$want"
	elif [ "$got" -le "$want" ] && [ $((got + missed)) -ge "$want" ]; then
		ok "$rung: ebpfmon_disk_latency_seconds_count{device=\"$dev\"} grew by $got of $want # the kernel skipped our programs $missed times (ebpfmon_disk_missed_total)"
	else
		not_ok "$rung: ebpfmon_disk_latency_seconds_count{device=\"$dev\"} grew by $got, want $want ($missed events missed)"
	fi
	if out=$(check_buckets "$rung" "$TMP/after.$rung"); then
		ok "$rung: 24 buckets, cumulative, ascending bounds from 2 us, +Inf = _count"
	else
		not_ok "$rung: buckets: $out"
	fi
	# Our time runs from issue to completion, the kernel's (stat ticks, ns
	# summed, printed in ms) from the request's start, which is earlier or
	# the same: ours can only be smaller, by the time before issue (with
	# scheduler none on a loop device, a small share: half is a wide margin).
	# The lower bound scales with the share of the requests we timed.
	python3 - "${h0#* }" "${h1#* }" "$lat_ms" "$rung" "$got" "$want" <<'PY' && ok "$rung: latency sum within the kernel's own ticks" || not_ok "$rung: latency sum against /sys/block stat ticks"
import sys
ours = (float(sys.argv[2]) - float(sys.argv[1])) * 1000
ticks, share = int(sys.argv[3]), int(sys.argv[5]) / int(sys.argv[6])
print(f"# {sys.argv[4]}: our latency sum {ours:.3f} ms, the kernel's stat ticks {ticks} ms")
sys.exit(0 if ours > 0 and 0.5 * share * (ticks - 4) <= ours <= ticks + 4 else 1)
PY
	if [ -n "$BT_PID" ]; then
		bt_missed=$(prog_misses "$BT_PID")
		# SIGINT prints its maps and ends it; bpftrace can miss a SIGINT that
		# lands just before it waits (nothing else wakes it): send it again.
		for _ in $(seq 50); do
			kill -INT "$BT_PID" 2>/dev/null || break
			sleep 0.2
			grep -q '^@n:' "$TMP/bt.$rung" && break
		done
		grep -q '^@n:' "$TMP/bt.$rung" || kill -KILL "$BT_PID" 2>/dev/null
		wait "$BT_PID"
		BT_PID=
		bt_n=$(awk '$1 == "@n:" { print $2 }' "$TMP/bt.$rung")
		bt_ns=$(awk '$1 == "@ns:" { print $2 }' "$TMP/bt.$rung")
		# bpftrace's classic tracepoint programs are skipped whenever a BPF
		# program, or a map access from user space, is under way on the CPU
		# (bpf_prog_active): exact, or short by at most its own misses.
		if [ "${bt_n:-0}" -eq "$want" ]; then
			ok "$rung: bpftrace counted $want requests of $dev in the window"
		elif [ "${bt_n:-0}" -lt "$want" ] && [ $((${bt_n:-0} + bt_missed)) -ge "$want" ]; then
			ok "$rung: bpftrace counted $bt_n of $want requests of $dev # the kernel skipped its programs $bt_missed times"
		else
			not_ok "$rung: bpftrace counted ${bt_n:-nothing}, want $want (its programs missed $bt_missed events)"
		fi
		# The same intervals timed by two programs on the same tracepoints
		# differ by the programs' own run time, well under a microsecond a
		# request: sums within 5% (plus 0.5 ms) when both timed every
		# request. When either missed some, the means over what each timed
		# (the misses fall on requests at random), within 25%.
		python3 - "${h0#* }" "${h1#* }" "${bt_ns:-0}" "$rung" "$got" "${bt_n:-0}" <<'PY' && ok "$rung: latency matches bpftrace's" || not_ok "$rung: latency against bpftrace's"
import sys
ours = (float(sys.argv[2]) - float(sys.argv[1])) * 1e9
bt, n, bt_n = int(sys.argv[3]), int(sys.argv[5]), int(sys.argv[6])
print(f"# {sys.argv[4]}: our latency sum {ours / 1e6:.3f} ms over {n}, bpftrace's {bt / 1e6:.3f} ms over {bt_n}")
if not (bt > 0 and n > 0 and bt_n > 0):
    sys.exit(1)
if n == bt_n:
    sys.exit(0 if abs(ours - bt) <= 0.05 * bt + 500000 else 1)
sys.exit(0 if abs(ours / n - bt / bt_n) <= 0.25 * bt / bt_n else 1)
PY
	else
		not_ok "$rung: bpftrace missing (package bpftrace)"
	fi
	if command -v promtool >/dev/null; then
		promtool check metrics <"$TMP/after.$rung" >"$TMP/lint.$rung" 2>&1 &&
			ok "$rung: /metrics with the histogram passes promtool check metrics" ||
			not_ok "$rung: promtool: $(head -c 300 "$TMP/lint.$rung")"
	else
		not_ok "promtool missing (package prometheus)"
	fi
	for t in inflight_table_full device_table_full; do
		expect_eq "$rung: ebpfmon_disk_${t}_total" "$(metric "$TMP/after.$rung" "ebpfmon_disk_${t}_total")" 0
	done
	grep -q '^ebpfmon_kernel_map_bytes{module="disk",map="inflight"} [1-9]' "$TMP/after.$rung" &&
		ok "$rung: the module's maps are in ebpfmon_kernel_map_bytes" ||
		not_ok "$rung: no ebpfmon_kernel_map_bytes for disk"
	stop_run || not_ok "$rung: run exited with an error"
}

# A window both ebpfmon and bpftrace (independent: classic tracepoints, by
# sector) found short of /sys/block by the same count, with no program run
# skipped, was disturbed between the block layer's accounting and its
# tracepoint (seen once in a loaded full suite: 799 of 800 for both). It is
# measured once more; the second window must be exact like any other.
window_checked() { # rung, EBPFMON_DISABLE value
	local out ours peer
	out=$(window "$1" "$2")
	ours=$(sed -n "s/^not ok - $1: ebpfmon_disk_latency_seconds_count{device=\"$dev\"} grew by: got \([0-9]*\), want $want\$/\1/p" <<<"$out")
	peer=$(sed -n "s/^not ok - $1: bpftrace counted \([0-9]*\), want $want (its programs missed 0 events)\$/\1/p" <<<"$out")
	if [ -n "$ours" ] && [ "$ours" = "$peer" ]; then
		echo "# $1: ebpfmon and bpftrace both counted $ours of the $want requests /sys/block counted: the window again"
		window "$1" "$2"
	else
		echo "$out"
	fi
}

window_checked tp_btf ""
window_checked tracepoint tp_btf

# mdflush: unavailable here with its reason (no MD, no kprobes, no fentry), and
# the agent keeps running the modules that can.
out=$("$EBPFMON" check --json --modules mdflush,disk 2>&1)
python3 - <<PY "$out" && ok "check --json: mdflush unavailable with its reason, disk available" || not_ok "check --json for mdflush/disk: $out"
import json, sys
d = {m["name"]: m for m in json.loads(sys.argv[1])["modules"]}
md, disk = d["mdflush"], d["disk"]
assert disk["state"] == "available", disk
if " md_flush_request\n" in open("/proc/kallsyms").read():
    # A kernel with MD: it runs where fentry or kprobes do, else says they are missing.
    assert md["state"] == "available" or "neither fentry" in md["reason"], md
else:
    assert md["state"] == "unavailable" and "md_flush_request is not in this kernel" in md["reason"], md
PY
