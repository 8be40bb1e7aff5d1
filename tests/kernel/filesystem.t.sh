#!/usr/bin/env bash
# kernel tier: the filesystem module against a workload whose calls are known
# (build/tests/kernel/fsload), on an xfs and a btrfs filesystem of our own on
# loop devices, and on ext4 (the root filesystem here, in $TMP).
#
# Counts are host-wide per filesystem type. Our loop filesystems are the only
# xfs and btrfs mounted (checked before and after), so their counts must equal
# the workload's exactly. ext4 also carries the rest of the machine (the root
# filesystem, other tests running meanwhile), so there the count must lie
# between the workload's and a peer's: bpftrace (filesystem_ext4.bt) counting
# the same calls over a window that encloses ebpfmon's. ext4 sync comes from
# its own tracepoints, also checked with them alone (tp_btf disabled).
source "$(dirname "$0")/lib.sh"
need_root "filesystem latency"
FSLOAD=$BUILD/tests/kernel/fsload

LOOPS=()
MNTS=()
BT_PID=
fs_cleanup() {
	local m l
	[ -n "$BT_PID" ] && kill -KILL "$BT_PID" 2>/dev/null
	for m in "${MNTS[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
}
trap 'fs_cleanup; [ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null; cleanup_lib' EXIT

# mkfs_mount TYPE SIZE: a TYPE filesystem on a loop device, mounted at $TMP/mnt-TYPE.
mkfs_mount() {
	local type=$1 size=$2 img=$TMP/$1.img dev mnt=$TMP/mnt-$1
	if ! command -v "mkfs.$type" >/dev/null; then
		skip "$type filesystem" "no mkfs.$type (scripts/deps.sh test installs it)"
		return 1
	fi
	if ! truncate -s "$size" "$img" || ! dev=$(losetup -f --show "$img"); then
		not_ok "$type: no loop device"
		return 1
	fi
	LOOPS+=("$dev")
	if ! "mkfs.$type" -q "$dev" >/dev/null 2>&1 && ! "mkfs.$type" "$dev" >/dev/null 2>&1; then
		not_ok "$type: mkfs.$type $dev failed"
		return 1
	fi
	if ! mkdir -p "$mnt" || ! mount -t "$type" "$dev" "$mnt"; then
		not_ok "$type: mount failed"
		return 1
	fi
	MNTS+=("$mnt")
}

mounts_of() { awk -v t="$1" '$3 == t' /proc/self/mounts | wc -l; }

types=()
mkfs_mount xfs 320M && types+=(xfs)
mkfs_mount btrfs 160M && types+=(btrfs)
mkdir -p "$TMP/ext4" && types+=(ext4)
[ "$(findmnt -n -o FSTYPE --target "$TMP")" = ext4 ] || not_ok "$TMP is not on ext4"
declare -A dir=([xfs]=$TMP/mnt-xfs [btrfs]=$TMP/mnt-btrfs [ext4]=$TMP/ext4)
declare -A alone
for t in xfs btrfs; do alone[$t]=$([ "$(mounts_of $t)" = 1 ] && echo 1 || echo 0); done

H=ebpfmon_filesystem_latency_seconds
# programs_of PID: names of the BPF programs process PID holds, sorted, one line.
# (map_fill, the agent's own table-fill iterator, runs beside any module: not listed.)
programs_of() {
	local id
	for id in $(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un); do
		bpftool prog show id "$id" -j 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["name"])'
	done | grep -vx map_fill | sort | tr '\n' ' ' | sed 's/ $//'
}
# wait_collections FILE N: scrape into FILE until N more collections happened.
wait_collections() {
	local file=$1 want c0 c
	scrape "$file" || return 1
	c0=$(metric "$file" ebpfmon_collections_total)
	want=$((c0 + $2))
	for _ in $(seq 100); do
		sleep 0.1
		scrape "$file" || return 1
		c=$(metric "$file" ebpfmon_collections_total)
		[ "$c" -ge "$want" ] && return 0
	done
	not_ok "no collection for 10 s"
	return 1
}

# The peer starts before ebpfmon and stops after it: its window encloses ebpfmon's.
if command -v bpftrace >/dev/null; then
	bpftrace "$(dirname "$0")/filesystem_ext4.bt" >"$TMP/peer.out" 2>"$TMP/peer.err" &
	BT_PID=$!
	for _ in $(seq 300); do
		grep -q '^ready' "$TMP/peer.out" && break
		kill -0 "$BT_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^ready' "$TMP/peer.out" || { not_ok "bpftrace did not start: $(tail -n 2 "$TMP/peer.err")"; BT_PID=; }
else
	skip "ext4 upper bound" "no bpftrace (scripts/deps.sh test installs it)"
fi
start_run --modules filesystem || exit 1
expect_eq "programs loaded" "$(programs_of "$RUN_PID")" \
	"fs_ext4_sync_enter_btf fs_ext4_sync_exit_btf fs_iter_records fs_sys_enter fs_sys_exit"
wait_collections "$TMP/before.prom" 1
for t in "${types[@]}"; do
	"$FSLOAD" "${dir[$t]}" 41 500 300 12 >"$TMP/$t.truth" || not_ok "$t: fsload failed"
done
wait_collections "$TMP/after.prom" 2
# Kernel memory: the start records live in task storage, charged per task
# rather than to the map; the agent adds 96 bytes (the slab of a 72-byte
# element header and the 24-byte record) per live thread holding one. A
# sleeping process that opened files at exec holds one until it exits.
sleep 30 &
SLEEPER=$!
wait_collections "$TMP/kmem.prom" 2
memlock=$(for id in $(grep -h '^map_id:' /proc/"$RUN_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un); do
	bpftool map show id "$id" -j 2>/dev/null
	echo
done | python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        m = json.loads(line)
        if m.get("name") == "fs_starts":
            print(m["bytes_memlock"])')
kill -TERM "$SLEEPER"
wait "$SLEEPER" 2>/dev/null
got=$(metric "$TMP/kmem.prom" ebpfmon_kernel_map_bytes 'module="filesystem",map="fs_starts"')
if [ -n "$memlock" ] && [ "$got" != missing ] && [ "$got" -gt "$memlock" ] &&
	[ $(((got - memlock) % 96)) = 0 ]; then
	ok "fs_starts: $got bytes = memlock $memlock + $(((got - memlock) / 96)) records of 96"
else
	not_ok "fs_starts: $got bytes, memlock ${memlock:-?}: want memlock + a positive multiple of 96"
fi
stop_run || not_ok "run exited with an error"
if [ -n "$BT_PID" ]; then
	kill -INT "$BT_PID"
	wait "$BT_PID"
	BT_PID=
fi
# peer OP: what bpftrace counted for ext4 (a map never touched is not printed).
peer() { awk -v k="@$1:" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$TMP/peer.out"; }
for t in xfs btrfs; do
	[ "$(mounts_of $t)" = 1 ] || alone[$t]=0
done

delta() { # TYPE OP [SERIES]: after - before of the row's _count (or another series)
	local s=${3:-_count} a b
	a=$(metric "$TMP/after.prom" "$H$s" "fs=\"$1\",op=\"$2\"")
	b=$(metric "$TMP/before.prom" "$H$s" "fs=\"$1\",op=\"$2\"")
	[ "$a" = missing ] || [ "$b" = missing ] && { echo missing; return; }
	python3 -c "print(round(($a - $b) * 1e9) if '$s' == '_sum' else $a - $b)"
}

for t in "${types[@]}"; do
	while read -r op calls ns; do
		[[ "$op" == dirsync || "$op" == hist_* ]] && continue
		want=$calls
		# ext4's sync hook is ext4_sync_file itself: the directory's fsync too.
		[ "$t" = ext4 ] && [ "$op" = sync ] && want=$((calls + 1))
		got=$(delta "$t" "$op")
		if [ "$got" = missing ]; then
			not_ok "$t $op: no series"
		elif [ "$t" != ext4 ] && [ "${alone[$t]}" = 1 ]; then
			expect_eq "$t $op: calls timed" "$got" "$want"
		elif [ "$got" -lt "$want" ]; then
			not_ok "$t $op: $got calls timed, fewer than the workload's $want"
		elif [ "$t" = ext4 ] && grep -q '^ready' "$TMP/peer.out" 2>/dev/null; then
			p=$(peer "$op")
			if [ "$got" -le "$p" ]; then
				ok "ext4 $op: the workload's $want <= $got timed <= bpftrace's $p (others' ext4 I/O)"
			else
				not_ok "ext4 $op: $got timed, more than bpftrace counted ($p) over a longer window"
			fi
		else
			ok "$t $op: $got calls timed, the workload made $want (the rest: other processes on $t)"
		fi
		# The kernel's time is inside the workload's own (clock_gettime around each call).
		sum=$(delta "$t" "$op" _sum)
		if [ "$t" != ext4 ] && [ "${alone[$t]}" = 1 ]; then
			if [ "$sum" -gt 0 ] && [ "$sum" -le "$ns" ]; then
				ok "$t $op: kernel time ${sum} ns within the workload's ${ns} ns"
			else
				not_ok "$t $op: kernel time ${sum} ns, the workload saw ${ns} ns"
			fi
		fi
		# An fsync takes long next to the syscall's own cost: the two clocks agree closely.
		if [ "$op" = sync ] && [ "$t" != ext4 ] && [ "${alone[$t]}" = 1 ] &&
			[ "$((sum * 2))" -lt "$ns" ]; then
			not_ok "$t sync: kernel time ${sum} ns, under half the workload's ${ns} ns"
		fi
	done <"$TMP/$t.truth"
done

# Bucket by bucket against the workload's own clock: each call's kernel time
# lies inside the time the workload measured around it, so at every bound
# the kernel counts at least as many calls as the workload does.
for t in xfs btrfs; do
	[[ " ${types[*]} " == *" $t "* ]] && [ "${alone[$t]}" = 1 ] || continue
	if out=$(python3 - "$TMP/before.prom" "$TMP/after.prom" "$TMP/$t.truth" "$t" <<'PY'
import collections, re, sys
def buckets(path, fs):
    b = collections.defaultdict(dict)
    for line in open(path):
        m = re.match(r'ebpfmon_filesystem_latency_seconds_bucket\{fs="(\w+)",op="(\w+)",le="([^"]+)"\} (\d+)$', line)
        if m and m.group(1) == fs:
            b[m.group(2)][m.group(3)] = int(m.group(4))
    return b
before, after = buckets(sys.argv[1], sys.argv[4]), buckets(sys.argv[2], sys.argv[4])
bad, n = [], 0
for line in open(sys.argv[3]):
    if not line.startswith("hist_"):
        continue
    op, *counts = line.split()
    op = op[5:]
    les = list(after[op])  # in exposition order: ascending, +Inf last
    if len(les) != len(counts):
        bad.append(f"{op}: {len(les)} buckets, the workload has {len(counts)}")
        continue
    user = 0
    for le, c in zip(les, counts):
        user += int(c)
        kern = after[op][le] - before[op].get(le, 0)
        n += 1
        if kern < user:
            bad.append(f"{op} le={le}: kernel {kern} < workload {user}")
print("; ".join(bad) if bad else f"{n} bounds")
sys.exit(1 if bad else 0)
PY
	); then
		ok "$t: at every bucket bound, kernel-timed calls >= the workload's own ($out)"
	else
		not_ok "$t: buckets against the workload's clock: $out"
	fi
done

# Every row's histogram: cumulative buckets, +Inf = _count, and a _sum the
# buckets allow (each call at least its bucket's lower bound, at most its upper).
if out=$(python3 - "$TMP/after.prom" <<'PY'
import collections, re, sys
b = collections.defaultdict(list); cnt = {}; sm = {}
for line in open(sys.argv[1]):
    m = re.match(r'ebpfmon_filesystem_latency_seconds_(bucket|sum|count)\{(fs="\w+",op="\w+")(?:,le="([^"]+)")?\} (\S+)$', line)
    if not m:
        continue
    kind, row, le, v = m.groups()
    if kind == "bucket":
        b[row].append((float("inf") if le == "+Inf" else float(le), float(v)))
    elif kind == "sum":
        sm[row] = float(v)
    else:
        cnt[row] = float(v)
bad, rows, nonzero = [], 0, 0
for row, buckets in b.items():
    rows += 1
    if len(buckets) != 24:
        bad.append(f"{row}: {len(buckets)} buckets, want 24")
    vals = [v for _, v in buckets]
    if vals != sorted(vals):
        bad.append(f"{row}: buckets not cumulative")
    if vals[-1] != cnt.get(row):
        bad.append(f"{row}: +Inf {vals[-1]} != count {cnt.get(row)}")
    lo = hi = 0.0; prev_le, prev_v = 0.0, 0.0
    for le, v in buckets:
        n = v - prev_v
        if n:
            lo += n * prev_le; hi += n * le
        prev_le, prev_v = le, v
    s = sm.get(row, -1)
    if cnt.get(row):
        nonzero += 1
        if not (s > 0 and lo * (1 - 1e-9) <= s <= hi * (1 + 1e-9)):
            bad.append(f"{row}: sum {s} outside [{lo}, {hi}] from the buckets")
if not rows:
    bad.append("no histogram rows")
print("; ".join(bad) if bad else f"{rows} rows, {nonzero} with calls")
sys.exit(1 if bad else 0)
PY
); then
	ok "histograms consistent: $out"
else
	not_ok "histograms: $out"
fi
expect_eq "calls untimed (no per-thread record)" "$(metric "$TMP/after.prom" ebpfmon_filesystem_untimed_total)" 0
if command -v promtool >/dev/null; then
	if promtool check metrics <"$TMP/after.prom" >"$TMP/promtool.out" 2>&1; then
		ok "promtool check metrics"
	else
		not_ok "promtool check metrics: $(head -n 3 "$TMP/promtool.out" | tr '\n' ' ')"
	fi
else
	skip "promtool check metrics" "no promtool"
fi

# ext4 sync through its own tracepoints alone: with tp_btf disabled the
# syscall layer has no rung here (no kprobes), the classic ext4 tracepoints
# remain, and ext4 sync is still counted, including the directory's fsync.
EBPFMON_DISABLE=tp_btf start_run --modules filesystem || exit 1
expect_eq "tp_btf disabled: programs loaded" "$(programs_of "$RUN_PID")" \
	"fs_ext4_sync_enter_tp fs_ext4_sync_exit_tp fs_iter_records"
wait_collections "$TMP/before.prom" 1
"$FSLOAD" "${dir[ext4]}" 1 0 0 7 >"$TMP/ext4-sync.truth" || not_ok "ext4 sync: fsload failed"
[ -n "${dir[xfs]:-}" ] && [ -d "${dir[xfs]}" ] && "$FSLOAD" "${dir[xfs]}" 1 5 5 3 >/dev/null
wait_collections "$TMP/after.prom" 2
stop_run || not_ok "run (tp_btf disabled) exited with an error"
got=$(delta ext4 sync)
if [ "$got" != missing ] && [ "$got" -ge 8 ]; then
	ok "ext4 sync from the classic tracepoints: $got (the workload: 7 + 1 directory)"
else
	not_ok "ext4 sync from the classic tracepoints: $got, want at least 8"
fi
if [[ " ${types[*]} " == *" xfs "* ]]; then
	expect_eq "xfs read without a syscall rung" "$(delta xfs read)" 0
fi
