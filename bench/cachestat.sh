#!/usr/bin/env bash
# cachestat benchmark: the added cost of the cachestat module on its hot paths,
# bare against `ebpfmon snapshot --modules cachestat` (the accounting core's
# own hooks plus cachestat's three tracepoints; no syscall hook), rounds
# alternating, medians of the per-round differences:
#   hit     a 4 KiB pread(2) of a cached page (one mm_filemap_get_pages)
#   insert  a page inserted into the page cache (sparse file: no disk I/O;
#           by folio, so one event covers several pages; ns per page)
#   dirty   a page going from clean to dirty (a 4 KiB pwrite over a clean page)
# on the tp_btf rung, then the classic tracepoint rung (EBPFMON_DISABLE=tp_btf);
# then each cachestat program's own run time per run (the kernel's BPF
# run-time statistics, on for that run only: they add their own clock reads).
# A peer that runs here: bpftrace counting the same three (classic)
# tracepoints per process name in a hash map, the least a per-application
# count can do. libbpf-tools' cachestat is the peer tool, but it hooks kprobes
# (add_to_page_cache_lru, mark_page_accessed, ...) and cannot load on a
# kernel without them: the script says so when that is the case.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
ROUNDS=${ROUNDS:-5}
COST=$BUILD/bench/cache_cost
mkdir -p "$BUILD/bench"
cc -O2 -Wall -o "$COST" bench/cache_cost.c -lbpf || exit 1
DIR=$(mktemp -d /var/tmp/ebpfmon-cachestat-bench.XXXXXX)
BG=
cleanup() {
	[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
[ "$(stat -f -c %T "$DIR")" = tmpfs ] && { echo "cachestat bench: $DIR is tmpfs, no page cache to measure"; exit 0; }
dd if=/dev/urandom of="$DIR/warm" bs=1M count=16 status=none
printf '[ebpf programs]\n\tcachestat = yes\n' >"$DIR/cs.conf"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
one() { # -> "hit insert dirty" ns
	echo "$(taskset -c 1 "$COST" hit "$DIR/warm" 1000000) $(taskset -c 1 "$COST" insert "$DIR/sparse" 256 4)" \
		"$(taskset -c 1 "$COST" dirty "$DIR/dirty" 32 4)"
}
with_agent() { # EBPFMON_DISABLE -> "hit insert dirty" ns, or "failed"
	EBPFMON_DISABLE=$1 "$EBPFMON" snapshot --modules cachestat --duration 10m \
		--config "$DIR/cs.conf" >/dev/null 2>"$DIR/snap.err" &
	BG=$!
	for _ in $(seq 100); do grep -q '^attached' "$DIR/snap.err" 2>/dev/null && break; sleep 0.1; done
	if grep -q '^attached' "$DIR/snap.err"; then one; else echo failed; fi
	kill -INT $BG 2>/dev/null
	wait $BG 2>/dev/null
	BG=
}

with_bpftrace() { # -> "hit insert dirty" ns, or "failed"
	bpftrace -e 'tracepoint:filemap:mm_filemap_get_pages, tracepoint:filemap:mm_filemap_add_to_page_cache,
		tracepoint:writeback:writeback_dirty_folio { @[comm] = count(); }' >"$DIR/bt.out" 2>&1 &
	BG=$!
	for _ in $(seq 100); do grep -q '^Attaching' "$DIR/bt.out" 2>/dev/null && break; sleep 0.1; done
	if grep -q '^Attaching' "$DIR/bt.out"; then sleep 0.5; one; else echo failed; fi
	kill -TERM $BG 2>/dev/null # not INT: without a terminal bpftrace may not stop on it
	wait $BG 2>/dev/null
	BG=
}
BPFTRACE=$(command -v bpftrace)

echo "== cachestat: added ns per event (median of $ROUNDS alternating rounds; bare ns in brackets)"
: >"$DIR/results"
for r in $(seq "$ROUNDS"); do
	echo "bare $(one)" >>"$DIR/results"
	echo "tp_btf $(with_agent '')" >>"$DIR/results"
	echo "tracepoint $(with_agent tp_btf)" >>"$DIR/results"
	[ -n "$BPFTRACE" ] && echo "bpftrace $(with_bpftrace)" >>"$DIR/results"
done
if grep -q failed "$DIR/results"; then
	echo "agent failed to attach: $(head -c 300 "$DIR/snap.err")"
	exit 1
fi
for variant in tp_btf tracepoint ${BPFTRACE:+bpftrace}; do
	line=$variant
	for col in 2 3 4; do
		bare=$(awk -v c=$col '$1 == "bare" { print $c }' "$DIR/results" | median)
		added=$(paste <(awk -v c=$col '$1 == "bare" { print $c }' "$DIR/results") \
			<(awk -v v=$variant -v c=$col '$1 == v { print $c }' "$DIR/results") |
			awk '{ print $2 - $1 }' | median)
		name=$(sed -n "$((col - 1))p" <<<$'hit (per 4 KiB pread)\ninsert (per page)\ndirty (per page)')
		line+=$(printf '  %s: %+.1f ns [%s] (x%.2f)' "$name" "$added" "$bare" \
			"$(awk -v a="$added" -v b="$bare" 'BEGIN { print (b + a) / b }')")
	done
	echo "$line"
done
echo "-- ns per program run (BPF_ENABLE_STATS; includes the statistics' own cost):"
for disable in '' tp_btf; do
	EBPFMON_DISABLE=$disable "$EBPFMON" snapshot --modules cachestat --duration 10m \
		--config "$DIR/cs.conf" >/dev/null 2>"$DIR/snap.err" &
	BG=$!
	for _ in $(seq 100); do grep -q '^attached' "$DIR/snap.err" 2>/dev/null && break; sleep 0.1; done
	{
		CACHE_COST_STATS=1 taskset -c 1 "$COST" hit "$DIR/warm" 300000 | sed 1d
		CACHE_COST_STATS=1 taskset -c 1 "$COST" insert "$DIR/sparse" 256 2 | sed 1d
		CACHE_COST_STATS=1 taskset -c 1 "$COST" dirty "$DIR/dirty" 32 2 | sed 1d
	} | awk -v r="${disable:+tracepoint}" '{ n[$1] += $2; t[$1] += $2 * $3 }
		END { for (p in n) printf "  %s %s: %.0f ns over %d runs\n", r ? r : "tp_btf", p, t[p] / n[p], n[p] }' | sort
	kill -INT $BG 2>/dev/null
	wait $BG 2>/dev/null
	BG=
done
if out=$(timeout 5 "$(command -v cachestat || echo /usr/sbin/cachestat)" 1 1 2>&1); then
	echo "libbpf-tools cachestat runs here; compare with: cachestat 1 (not automated)"
else
	echo "libbpf-tools cachestat: cannot run here (it needs kprobes): $(tail -1 <<<"$out")"
fi
