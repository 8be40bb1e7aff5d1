#!/usr/bin/env bash
# filesystem: the added cost per read(2) of a 4 KiB ext4 file (page cache)
# with the filesystem module on, and what its syscall hooks add to a syscall
# it does not time (getppid). ROUNDS alternate bare, filesystem alone, vfs
# alone and vfs with filesystem (the default modules already pay for a
# syscall hook: the last two give filesystem's own share); each round's
# added cost is its time minus that round's baseline, and the medians are
# shown with the ratio. libbpf-tools' own filesystem tools (fsdist, fsslower,
# ext4dist) need fentry or kprobes, which this kernel lacks; the nearest
# peer is `syscount -L`, which also times syscalls between sys_enter and
# sys_exit (every syscall, into a shared hash): its added cost is shown too,
# and filesystem's as a ratio of it.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
ROUNDS=${ROUNDS:-7}
TMP=$(mktemp -d /tmp/ebpfmon-bench-fs.XXXXXX)
BG=
SYSCOUNT=$(command -v syscount || echo /usr/sbin/syscount)
trap '[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null; rm -rf "$TMP"' EXIT
cc -O2 -Wall -o "$TMP/fs_read_cost" bench/fs_read_cost.c || exit 1
fstype=$(findmnt -n -o FSTYPE --target "$TMP")
head -c 4096 /dev/urandom >"$TMP/data"

measure() { # round label
	taskset -c 1 "$TMP/fs_read_cost" "$TMP/data" 200000 |
		awk -v r="$1" -v l="$2" '{ v[$1] = $2 } END { print r, l, v["read"], v["getppid"] }' >>"$TMP/results"
}
echo "== filesystem: ns per pread(2) of 4 KiB from a $fstype file and per getppid(2), median of $ROUNDS rounds"
[ "$fstype" = ext4 ] || echo "(the file is on $fstype, not ext4: reads are timed only on ext4, xfs, btrfs, nfs, zfs)"
with_snapshot() { # round label modules
	"$EBPFMON" snapshot --modules "$3" --duration 10m >"$TMP/snap.out" 2>"$TMP/snap.err" &
	BG=$!
	for _ in $(seq 200); do grep -q '^attached' "$TMP/snap.err" && break; sleep 0.1; done
	if grep -q '^attached' "$TMP/snap.err"; then
		measure "$1" "$2"
	else
		echo "bench filesystem: ebpfmon --modules $3 did not attach in 20 s: $(head -c 200 "$TMP/snap.err")"
	fi
	kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=
}
for r in $(seq "$ROUNDS"); do
	measure "$r" bare
	with_snapshot "$r" on filesystem
	with_snapshot "$r" vfs vfs
	with_snapshot "$r" vfs+fs vfs,filesystem
	if [ -x "$SYSCOUNT" ]; then
		# Line-buffered, so its "Tracing" line shows when it has attached.
		stdbuf -oL "$SYSCOUNT" -L >"$TMP/syscount.out" 2>&1 &
		BG=$!
		for _ in $(seq 200); do grep -q 'Tracing' "$TMP/syscount.out" && break; sleep 0.1; done
		grep -q 'Tracing' "$TMP/syscount.out" && measure "$r" syscount
		kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=
	fi
done
python3 - "$TMP/results" <<'PY'
import collections, statistics, sys
rounds = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    r, label, rd, pp = line.split()
    rounds[r][label] = (float(rd), float(pp))
def med(label, i):
    return statistics.median(v[label][i] for v in rounds.values() if label in v)
def added(label, base, i):
    return statistics.median(v[label][i] - v[base][i] for v in rounds.values() if label in v and base in v)
if not any("on" in v for v in rounds.values()):
    sys.exit("no round with the module attached")
for i, name in ((0, "pread 4 KiB (timed)"), (1, "getppid (not timed)")):
    for label, base, what in (("on", "bare", "filesystem alone vs bare"),
                              ("vfs+fs", "vfs", "vfs+filesystem vs vfs")):
        if not any(label in v and base in v for v in rounds.values()):
            continue
        b, o = med(base, i), med(label, i)
        print(f"{name:20s} {what:26s} {b:7.1f} -> {o:7.1f} ns: +{added(label, base, i):6.1f} ns per call, ratio {o / b:.2f}")
    if any("syscount" in v for v in rounds.values()):
        sc, fs = added("syscount", "bare", i), added("on", "bare", i)
        print(f"{name:20s} {'syscount -L vs bare':26s} +{sc:6.1f} ns per call; filesystem's added cost = {fs / sc:.2f} x syscount -L's")
PY
