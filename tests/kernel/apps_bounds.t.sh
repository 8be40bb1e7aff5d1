#!/usr/bin/env bash
# kernel tier: application rows are bounded whatever the names. Two waves of
# 5 000 processes, each under a name never seen before, against `apps max = 50`
# and `series retention = 6s`:
# - no row beyond 50 (+ "other") at any scrape, and every close error of the
#   wave is in a row of its names or in "other" (no more than the host counted);
# - the overflow counter counts the names sent to "other";
# - after the retention the wave's rows are gone, and counted as retired;
# - the second wave leaves RSS and /metrics where the first left them.
source "$(dirname "$0")/lib.sh"
need_root "apps bounds"

N=${APPS_BOUNDS_PROCESSES:-5000}
K=3
MAX=50
RETENTION=6
conf=$TMP/bounds.conf
printf '[global]\napps max = %d\nseries retention = %ds\n' $MAX $RETENTION >"$conf"
start_run --config "$conf" --modules process,fd || exit 1

# app_rows FILE: distinct app labels of one counter (every app row has it).
app_rows() { grep -c '^ebpfmon_app_process_created_total{' "$1"; }
# prefixed_sum FILE PREFIX METRIC: the sum of METRIC over rows whose app starts with PREFIX.
prefixed_sum() {
	awk -v p="ebpfmon_app_$3{app=\"$2" 'index($1, p) == 1 { s += $2 } END { print s + 0 }' "$1"
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' /proc/"$RUN_PID"/status; }
zero_if_missing() { [ "$1" = missing ] && echo 0 || echo "$1"; }

# wave N: sets WAVE_RSS, WAVE_BYTES (after the retention) and WAVE_PEAK_BYTES.
wave() {
	local n=$1 prefix before mid after
	prefix=$(unique_name nm)
	before=$TMP/w$n.before.prom mid=$TMP/w$n.mid.prom after=$TMP/w$n.after.prom
	scrape "$before"
	"$WORKLOAD" names "$prefix" "$N" "$K" >"$TMP/w$n.truth" || not_ok "wave $n: workload failed"
	sleep 2.2
	scrape "$mid"

	local rows ours other0 other1 host0 host1 over0 over1 named
	rows=$(app_rows "$mid")
	expect_at_most "wave $n: application rows with $N new names" "$rows" $((MAX + 1))
	named=$(grep -c "^ebpfmon_app_process_created_total{app=\"$prefix" "$mid")
	other0=$(zero_if_missing "$(metric "$before" ebpfmon_app_fd_close_errors_total 'app="other"')")
	other1=$(zero_if_missing "$(metric "$mid" ebpfmon_app_fd_close_errors_total 'app="other"')")
	host0=$(metric "$before" ebpfmon_fd_close_errors_total)
	host1=$(metric "$mid" ebpfmon_fd_close_errors_total)
	ours=$(($(prefixed_sum "$mid" "$prefix" fd_close_errors_total) + other1 - other0))
	if [ "$ours" -ge $((N * K)) ] && [ "$ours" -le $((host1 - host0)) ]; then
		ok "wave $n: close errors in the wave's rows and 'other' = $ours (made $((N * K)), host $((host1 - host0)))"
	else
		not_ok "wave $n: close errors in the wave's rows and 'other' = $ours, want $((N * K)) to $((host1 - host0)) (the host's count)"
	fi
	over0=$(metric "$before" ebpfmon_accounting_apps_overflow_total)
	over1=$(metric "$mid" ebpfmon_accounting_apps_overflow_total)
	# The names without a row went to "other" (the workload's parent has a row of its own).
	local sent=$((N + 1 - named))
	# Other processes' names count too while the rows are full (and again once forgotten).
	if [ $((over1 - over0)) -ge "$sent" ] && [ $((over1 - over0)) -le $((sent + 100)) ]; then
		ok "wave $n: overflow counted $((over1 - over0)) names ($sent of the wave)"
	else
		not_ok "wave $n: overflow counted $((over1 - over0)) names, want $sent (+ at most 100 of other processes)"
	fi
	WAVE_PEAK_BYTES=$(wc -c <"$mid")

	# Retention: the rows go, and the retired counter says so.
	sleep $((RETENTION + 2))
	scrape "$after"
	expect_eq "wave $n: rows of the wave's names after the retention" \
		"$(grep -c "^ebpfmon_app_process_created_total{app=\"$prefix" "$after")" 0
	local retired=$(($(metric "$after" ebpfmon_accounting_apps_retired_total) - $(metric "$before" ebpfmon_accounting_apps_retired_total)))
	expect_at_most "wave $n: rows retired ($retired) cover the wave's $named" "$named" "$retired"
	WAVE_RSS=$(rss_kib)
	WAVE_BYTES=$(wc -c <"$after")
}

sleep 1.2
rss0=$(rss_kib)
wave 1
rss1=$WAVE_RSS bytes1=$WAVE_BYTES peak1=$WAVE_PEAK_BYTES
wave 2
rss2=$WAVE_RSS bytes2=$WAVE_BYTES peak2=$WAVE_PEAK_BYTES
echo "# RSS: start $rss0 KiB, after wave 1 $rss1 KiB, after wave 2 $rss2 KiB"
echo "# /metrics: $peak1 and $peak2 bytes at the waves' peaks, $bytes1 and $bytes2 after the retention"
expect_at_most "RSS growth over the second wave (KiB)" $((rss2 > rss1 ? rss2 - rss1 : 0)) 1024
expect_at_most "RSS growth over both waves of $((2 * N)) names (KiB)" $((rss2 > rss0 ? rss2 - rss0 : 0)) 8192
# Both peaks hold at most 51 rows: the second wave's text is no longer than the first's.
expect_at_most "/metrics bytes at the second wave's peak (first: $peak1)" "$peak2" $((peak1 + peak1 / 10))
expect_at_most "/metrics bytes after the retention, below the peak" "$bytes2" "$peak2"
stop_run || not_ok "run exited with an error"
