#!/usr/bin/env bash
# bash: what the bash module adds to each line a shell reads. Two workloads,
# in rounds that alternate bare and with `ebpfmon bash` attached:
#  - readline: ns per call of a function named readline in a test binary
#    (bench/readline_cost.c), hooked through --binary exactly as bash's is:
#    the uretprobe, the read of the line and a ring-buffer event per call;
#  - readline "": the same returning an empty line, which the probe only
#    counts: the price of the uprobe trap and return hijack alone;
#  - bash: ns per line of `bash --norc -i` reading LINES lines of `:` from a
#    pipe (readline in /bin/bash), the module's cost inside a real shell.
# "module" is the sleepable program this kernel loads (it can fault the
# line's page in), "plain" the one for kernels before 6.12
# (EBPFMON_TEST_BASH_PLAIN=1). Medians of ROUNDS rounds; "adds" is the
# median of the per-round differences.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
ROUNDS=${ROUNDS:-7}
CALLS=${CALLS:-50000}
LINES=${LINES:-10000}
TMP=$(mktemp -d /tmp/ebpfmon-bench-bash.XXXXXX)
BG=
trap '[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null; rm -rf "$TMP"' EXIT
cc -O2 -Wall -o "$TMP/readline_cost" bench/readline_cost.c || exit 1
yes : | head -n "$LINES" >"$TMP/lines"

measure() { # round label
	taskset -c 1 "$TMP/readline_cost" "$CALLS" | awk -v r="$1" -v l="$2" '{ print r, l, $1, $2 }' >>"$TMP/results"
	taskset -c 1 "$TMP/readline_cost" "$CALLS" "" | awk -v r="$1" -v l="$2" '{ print r, l, "empty", $2 }' >>"$TMP/results"
	local t0 t1
	t0=$(date +%s%N)
	taskset -c 1 bash --norc -i <"$TMP/lines" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo "$1 $2 bash $(((t1 - t0) / LINES))" >>"$TMP/results"
}

echo "== bash: ns per readline call and per line of an interactive bash, median of $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
	measure "$r" bare
	for plain in "" 1; do
		EBPFMON_TEST_BASH_PLAIN=$plain taskset -c 0 "$EBPFMON" bash --binary "$TMP/readline_cost" >/dev/null 2>"$TMP/cmd.err" &
		BG=$!
		for _ in $(seq 300); do grep -q '^attached' "$TMP/cmd.err" && break; sleep 0.1; done
		if grep -q '^attached' "$TMP/cmd.err"; then
			measure "$r" "module${plain:+-plain}"
		else
			echo "bench bash: ebpfmon bash did not attach: $(head -c 200 "$TMP/cmd.err")"
		fi
		kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=
		grep -h 'lost' "$TMP/cmd.err" | sed 's/^/   /'
	done
done
python3 - "$TMP/results" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(lambda: defaultdict(dict))
for line in open(sys.argv[1]):
    r, label, kind, ns = line.split()
    v[kind][label][r] = float(ns)
print(f"{'workload':9} {'bare':>8} {'module':>8} {'adds':>10} {'plain':>8} {'adds':>10}")
for kind in ("readline", "empty", "bash"):
    d = v[kind]
    if not d["module"] or not d["module-plain"]:
        continue
    med = lambda l: statistics.median(d[l].values())
    diff = lambda l: statistics.median(d[l][r] - d["bare"][r] for r in d[l] if r in d["bare"])
    print(f"{kind:9} {med('bare'):8.1f} {med('module'):8.1f} {diff('module'):7.1f} ns"
          f" {med('module-plain'):8.1f} {diff('module-plain'):7.1f} ns")
PY
