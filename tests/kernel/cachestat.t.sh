#!/usr/bin/env bash
# kernel tier: the cachestat module against ground truth, on each tracepoint
# rung (tp_btf, then classic tracepoints with EBPFMON_DISABLE=tp_btf).
#
# A 64 MiB file (16 384 pages) is written and evicted from the page cache
# with POSIX_FADV_DONTNEED (only this file: drop_caches would disturb every
# other test on the machine); mincore() says how many of its pages are
# resident before and after. A process of a name of its own, in a cgroup of
# its own, reads it twice (128 KiB reads cold, 1 MiB reads warm: a 1 MiB read
# reports overlapping ranges that must count once). Its application and its
# cgroup must show misses = the pages that were not resident, hits = the
# pages read warm, within 2 % (the exec of the workload reads a few pages of
# its own: its loader, libc), and a ratio of 1/2. A second process writes
# 1 024 pages to a new file: 1 024 dirties, and no misses (a write's own
# insertions are not read misses). Light load mode (no syscall hooks) counts
# the same.
source "$(dirname "$0")/lib.sh"
need_root "cachestat"

PC=$BUILD/tests/kernel/pagecache
PAGES=16384
cg_root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cg_root" ] || { not_ok "no cgroup2 hierarchy mounted"; exit 0; }
CG=/ebpfmon-cachestat-$$
# The file must live in the page cache of a disk filesystem (tmpfs has no misses).
dir=$TMP
[ "$(stat -f -c %T "$dir")" = tmpfs ] && dir=$(mktemp -d /var/tmp/ebpfmon-cachestat.XXXXXX)
cleanup() {
	[ "$dir" != "$TMP" ] && rm -rf "$dir"
	rmdir "$cg_root$CG" 2>/dev/null
	[ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null
	cleanup_lib
}
trap cleanup EXIT
mkdir "$cg_root$CG" || { not_ok "cannot create cgroup $CG"; exit 0; }
"$PC" create "$dir/data" "$PAGES" || { not_ok "cannot create the 64 MiB file"; exit 0; }
printf '[global]\n\tcgroups = yes\n[ebpf programs]\n\tcachestat = yes\n' >"$TMP/cs.conf"

# within DESC GOT WANT PERCENT: |GOT - WANT| <= WANT * PERCENT / 100.
within() {
	local d=$1 got=$2 want=$3 pct=$4
	if [ "$got" != missing ] && [ $(((got - want) * 100 <= want * pct && (want - got) * 100 <= want * pct)) = 1 ]; then
		ok "$d = $got (want $want within $pct %)"
	else
		not_ok "$d = $got, want $want within $pct %"
	fi
}

# in_cgroup CMD...: run CMD in cgroup $CG.
in_cgroup() { sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg_root$CG" "$@"; }

one_rung() { # rung, EBPFMON_DISABLE for the agent, its other arguments...
	local rung=$1 disable=$2 reader writer prom="$TMP/cs-$1${3:-}.prom" cold warm got host
	shift 2
	reader=$(unique_name csr) writer=$(unique_name csw)
	cp "$PC" "$TMP/$reader" && cp "$PC" "$TMP/$writer" || { not_ok "$rung: copy the workload"; return; }
	EBPFMON_DISABLE=$disable "$EBPFMON" check --modules cachestat >"$TMP/check-$rung" 2>&1
	grep -q "read request *$rung " "$TMP/check-$rung" &&
		ok "$rung: check chooses $rung for read requests" ||
		not_ok "$rung: check says $(grep 'read request' "$TMP/check-$rung")"
	EBPFMON_DISABLE=$disable start_run --config "$TMP/cs.conf" --modules cachestat "$@" || return
	[ $# -gt 0 ] && rung="$rung $*"

	"$PC" evict "$dir/data"
	cold=$((PAGES - $("$PC" resident "$dir/data")))
	in_cgroup "$TMP/$reader" read "$dir/data" 131072 -- read "$dir/data" 1048576 ||
		not_ok "$rung: the reader failed"
	warm=$("$PC" resident "$dir/data")
	rm -f "$dir/written"
	in_cgroup "$TMP/$writer" write "$dir/written" 1024 || not_ok "$rung: the writer failed"
	sleep 2.2
	scrape "$prom" || not_ok "$rung: scrape failed"

	within "$rung: $reader misses (pages not resident before: $cold)" \
		"$(metric "$prom" ebpfmon_app_cachestat_misses_total "app=\"$reader\"")" "$cold" 2
	within "$rung: $reader hits (pages resident for the second read: $warm)" \
		"$(metric "$prom" ebpfmon_app_cachestat_hits_total "app=\"$reader\"")" "$warm" 2
	within "$rung: $reader accessed (two reads of $PAGES pages)" \
		"$(metric "$prom" ebpfmon_app_cachestat_accessed_total "app=\"$reader\"")" $((2 * PAGES)) 2
	got=$(metric "$prom" ebpfmon_app_cachestat_ratio "app=\"$reader\"")
	if awk -v r="$got" 'BEGIN { exit !(r >= 0.49 && r <= 0.51) }'; then
		ok "$rung: $reader ratio = $got (about 1/2)"
	else
		not_ok "$rung: $reader ratio = $got, not about 1/2"
	fi
	expect_eq "$rung: $reader dirties" \
		"$(metric "$prom" ebpfmon_app_cachestat_dirties_total "app=\"$reader\"")" 0
	within "$rung: $writer dirties (1024 pages written)" \
		"$(metric "$prom" ebpfmon_app_cachestat_dirties_total "app=\"$writer\"")" 1024 1
	got=$(metric "$prom" ebpfmon_app_cachestat_misses_total "app=\"$writer\"")
	expect_at_most "$rung: $writer misses (its insertions are writes)" "$got" 10
	# The cgroup holds both processes and nothing else.
	within "$rung: cgroup $CG misses" \
		"$(metric "$prom" ebpfmon_cgroup_cachestat_misses_total "cgroup=\"$CG\"")" "$cold" 2
	within "$rung: cgroup $CG hits" \
		"$(metric "$prom" ebpfmon_cgroup_cachestat_hits_total "cgroup=\"$CG\"")" "$warm" 3
	within "$rung: cgroup $CG dirties" \
		"$(metric "$prom" ebpfmon_cgroup_cachestat_dirties_total "cgroup=\"$CG\"")" 1024 1
	for m in misses hits dirties; do
		host=$(metric "$prom" "ebpfmon_cachestat_${m}_total")
		got=$(metric "$prom" "ebpfmon_cgroup_cachestat_${m}_total" "cgroup=\"$CG\"")
		if [ "$host" != missing ] && [ "$got" != missing ] && [ "$host" -ge "$got" ]; then
			ok "$rung: host $m $host, at least the cgroup's $got"
		else
			not_ok "$rung: host $m $host, cgroup $got"
		fi
	done
	promtool check metrics <"$prom" >"$TMP/promtool.out" 2>&1 &&
		ok "$rung: promtool check metrics: clean" ||
		not_ok "$rung: promtool: $(head -3 "$TMP/promtool.out" | tr '\n' ' ')"
	stop_run || not_ok "$rung: run exited with an error"
}

one_rung tp_btf ""
one_rung tracepoint tp_btf
# No syscall hook in cachestat: light mode counts it all the same.
one_rung tp_btf "" --load-mode light
