#!/usr/bin/env bash
# kernel tier: cgroups come and go. With `cgroup table size = 32`, 40 cgroups
# made and removed one after another are each counted exactly (the kernel
# entries of removed cgroups are deleted, so the table never fills up), the
# kernel table holds the cgroups that are there, not the history, and the
# rows kept for removed cgroups are bounded by the table size.
source "$(dirname "$0")/lib.sh"
need_root "cgroups"

cg_root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cg_root" ] || { not_ok "no cgroup2 hierarchy mounted"; exit 0; }
printf '[global]\n\tcgroups = yes\n\tcgroup table size = 32\n' >"$TMP/cg.conf"
snap=$TMP/cg.prom
start_run --config "$TMP/cg.conf" --modules fd,vfs || exit 1

N=40
app=$(unique_name cc)
for i in $(seq $N); do
	cg=$cg_root/ebpfmon-churn-$$-$i
	mkdir "$cg" || { not_ok "cannot create $cg"; break; }
	WORKLOAD_CGROUP=$cg "$WORKLOAD" short "$app" 1 100 >"$TMP/cg$i.truth" || not_ok "workload in $cg failed"
	rmdir "$cg"
	sleep 0.15 # about seven cgroups a collection
done
sleep 2.2
scrape "$snap" || not_ok "scrape failed"
expect_eq "no cgroup event lost" "$(metric "$snap" ebpfmon_lost_events_total 'module="vfs",table="cgroup"')" 0
# The last cgroups' rows are all there (older removed ones may have been dropped: rows are bounded).
exact=0
for i in $(seq $((N - 15)) $N); do
	want=$(awk '$1 == "vfs_write_calls_total" { print $2 }' "$TMP/cg$i.truth")
	got=$(metric "$snap" ebpfmon_cgroup_vfs_write_calls_total "cgroup=\"/ebpfmon-churn-$$-$i\"")
	[ "$got" = "$want" ] && exact=$((exact + 1)) || not_ok "cgroup $i: write calls $got, want $want"
done
[ $exact -eq 16 ] && ok "the last 16 removed cgroups each counted exactly ($want writes)"
rows=$(grep -c '^ebpfmon_cgroup_vfs_write_calls_total{' "$snap")
if [ "$rows" -le 32 ]; then ok "cgroup rows bounded by the table size: $rows"; else not_ok "cgroup rows: $rows > 32"; fi

sleep 2.2
entries=$(map_entries "$RUN_PID" cgroups)
if [ "$entries" != missing ] && [ "$entries" -le 24 ]; then
	ok "kernel cgroup table: $entries entries after $N cgroups came and went"
else
	not_ok "kernel cgroup table: $entries entries after $N cgroups came and went"
fi
stop_run || not_ok "run exited with an error"
