#!/usr/bin/env bash
# Runs every libFuzzer target (build/fuzz/fuzz_*) for FUZZ_SECONDS each (3 in
# `make test`, 30 from `make fuzz`), starting from its seeds in
# tests/fuzz/corpus/<target>. One TAP line per target: executions and
# speed, or the crash and where its input was saved.
#
# The seeds are only read. New inputs go to FUZZ_CORPUS/<target> when set
# (`make fuzz` keeps them in build/fuzz/corpus), else to a temporary
# directory; a crashing input goes to FUZZ_ARTIFACTS (default
# build/fuzz/crashes): add it to the seeds once fixed.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
seconds=${FUZZ_SECONDS:-3}
artifacts=${FUZZ_ARTIFACTS:-$BUILD/fuzz/crashes}
tmp=$(mktemp -d /tmp/ebpfmon-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$artifacts"

found=0
for bin in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	found=1
	name=${bin##*/fuzz_}
	seeds=tests/fuzz/corpus/$name
	if [ -n "${FUZZ_CORPUS:-}" ]; then
		work=$FUZZ_CORPUS/$name
	else
		work=$tmp/corpus-$name
	fi
	mkdir -p "$work"
	if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
		echo "not ok - fuzz $name: no seeds in $seeds"
		continue
	fi
	log=$tmp/$name.log
	# -timeout: one input taking this long is a hang, reported as a crash.
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$artifacts/$name-" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if [ $rc -eq 0 ] && [ -n "$runs" ]; then
		echo "ok - fuzz $name: $runs runs in ${seconds}s ($speed/s) from $(ls "$seeds" | wc -l) seeds, no crash"
	else
		saved=$(sed -n 's/^artifact_prefix=.*; Test unit written to \(.*\)$/\1/p' "$log" | head -1)
		why=$(grep -m1 -E 'invariant broken|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|cannot load' "$log")
		echo "not ok - fuzz $name: exit $rc: ${why:-see below}; input saved as ${saved:-(none)}"
		grep -E -A12 'invariant broken|ERROR:|runtime error' "$log" | head -20 | sed 's/^/# /'
	fi
done
[ $found -eq 1 ] || echo "not ok - no fuzz target built in $BUILD/fuzz (make test builds them)"
