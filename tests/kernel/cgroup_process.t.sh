#!/usr/bin/env bash
# kernel tier: the process module per cgroup. A process in cgroup A makes N
# children that each move to cgroup B and exit there: A's row counts the N
# creations (and the exit of the process itself), B's row the N exits, and
# neither holds the other's. Filing a task under its parent's cgroup, or
# under the cgroup it was created in, fails here.
source "$(dirname "$0")/lib.sh"
need_root "cgroup process"

cg_root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cg_root" ] || { not_ok "no cgroup2 hierarchy mounted"; exit 0; }
A=/ebpfmon-from-$$ B=/ebpfmon-to-$$
mkdir "$cg_root$A" "$cg_root$B" || { not_ok "cannot create cgroups under $cg_root"; exit 0; }
trap 'rmdir "$cg_root$A" "$cg_root$B" 2>/dev/null; [ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null; cleanup_lib' EXIT

printf '[global]\n\tcgroups = yes\n' >"$TMP/cg.conf"
start_run --config "$TMP/cg.conf" --modules process,fd || exit 1
N=25
app=$(unique_name mv)
"$WORKLOAD" movers "$app" $N "$cg_root$A" "$cg_root$B" >"$TMP/movers.truth" || not_ok "movers workload failed"
sleep 2.2
scrape_until_released "$TMP/cg.prom" "$app"
compare_truth "$TMP/cg.prom" "$TMP/movers.truth" "$app" '^process_(created|exits)'

# cg VALUE-OF METRIC CGROUP: the cgroup row's value, 0 when it has none.
cg() {
	local v
	v=$(metric "$TMP/cg.prom" "ebpfmon_cgroup_process_$1" "cgroup=\"$2\"")
	[ "$v" = missing ] && v=0
	echo "$v"
}
expect_eq "cgroup $A: processes created in it" "$(cg created_total "$A")" $N
expect_eq "cgroup $A: exits in it (the workload process itself)" "$(cg exits_total "$A")" 1
expect_eq "cgroup $B: processes created in it" "$(cg created_total "$B")" 0
expect_eq "cgroup $B: exits in it (every child, after its move)" "$(cg exits_total "$B")" $N
expect_eq "cgroup $B: threads created in it" "$(cg threads_created_total "$B")" 0
stop_run || not_ok "run exited with an error"
