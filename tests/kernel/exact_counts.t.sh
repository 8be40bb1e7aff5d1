#!/usr/bin/env bash
# kernel tier: real attach, workloads whose numbers are known exactly, and
# every per-application counter compared with them.
source "$(dirname "$0")/lib.sh"
need_root "exact counts"

# `run`, scraped until the releases are in: a task's release is counted at
# sched_process_free, after an RCU grace period, which lazy RCU can stretch to
# seconds.
snap=$TMP/snap.prom
start_run --modules process,fd,vfs || exit 1

io=$(unique_name io)
forks=$(unique_name fk)
threads=$(unique_name th)
short=$(unique_name sh)
clonef=$(unique_name cf)
mkdir -p "$TMP/io"
"$WORKLOAD" io "$io" "$TMP/io" >"$TMP/io.truth" || not_ok "io workload failed"
"$WORKLOAD" forks "$forks" 25 >"$TMP/forks.truth" || not_ok "forks workload failed"
"$WORKLOAD" threads "$threads" 10 >"$TMP/threads.truth" || not_ok "threads workload failed"
start=$(date +%s%N)
"$WORKLOAD" short "$short" 200 4096 >"$TMP/short.truth" || not_ok "short workload failed"
short_ms=$((($(date +%s%N) - start) / 1000000))
"$WORKLOAD" clonefail "$clonef" 3 >"$TMP/clonef.truth" || not_ok "clonefail workload failed"

# A task-creation error from a pids cgroup limit (cgroup v1 pids controller here, v2 elsewhere).
pidsf=$(unique_name pf)
pids_cg=
for root in /sys/fs/cgroup/pids /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ -e "$root/cgroup.procs" ] && { [ -e "$root/pids.max" ] || [ "$root" = /sys/fs/cgroup/pids ] ||
		grep -qw pids "$root/cgroup.subtree_control" 2>/dev/null; }; then
		pids_cg=$root/ebpfmon-test-$$
		mkdir "$pids_cg" 2>/dev/null && echo 1 >"$pids_cg/pids.max" 2>/dev/null && break
		rmdir "$pids_cg" 2>/dev/null
		pids_cg=
	fi
done
if [ -n "$pids_cg" ]; then
	"$WORKLOAD" pidsfail "$pidsf" 2 "$pids_cg" >"$TMP/pidsf.truth" || not_ok "pidsfail workload failed"
fi

# Scrape until every exited task of ours is released (15 s at most), and at
# least two collections after the workloads.
sleep 2.2
scrape_until_released "$snap" "$forks" "$threads" "$short"
stop_run || not_ok "run exited with an error"
[ -n "$pids_cg" ] && rmdir "$pids_cg"

compare_truth "$snap" "$TMP/io.truth" "$io"
expect_conserved "$snap"
compare_truth "$snap" "$TMP/forks.truth" "$forks" '^process_'
compare_truth "$snap" "$TMP/threads.truth" "$threads" '^process_'
compare_truth "$snap" "$TMP/short.truth" "$short" '^(vfs_write|fd_open|process_exits)'
compare_truth "$snap" "$TMP/clonef.truth" "$clonef" '^process_errors'
if [ -n "$pids_cg" ]; then
	compare_truth "$snap" "$TMP/pidsf.truth" "$pidsf" '^process_errors'
else
	not_ok "no pids cgroup controller to make fork fail with"
fi
echo "# 200 short processes took ${short_ms} ms in all"

# Every task that exited was also released (both series present: missing == missing proves nothing).
for app in "$forks" "$threads" "$short"; do
	expect_released "$app" "$snap"
done

# Host totals include every application's.
for m in vfs_write_calls_total fd_open_calls_total process_created_total; do
	host=$(metric "$snap" "ebpfmon_$m")
	sum=$(awk -v p="ebpfmon_app_$m{" 'index($1, p) == 1 { s += $2 } END { print s + 0 }' "$snap")
	if [ "$host" != missing ] && [ "$host" -ge "$sum" ]; then
		ok "host $m ($host) >= sum over applications ($sum)"
	else
		not_ok "host $m ($host) < sum over applications ($sum)"
	fi
done
expect_eq "no lost events (vfs pid table)" "$(metric "$snap" ebpfmon_lost_events_total 'module="vfs",table="pid"')" 0
