#!/usr/bin/env bash
# kernel tier: the sync, shm, mount and oomkill modules against ground truth,
# on each rung this kernel has: tp_btf (sys_exit, mark_victim with the
# victim's task), then the classic tracepoints (EBPFMON_DISABLE=tp_btf:
# syscalls:sys_exit_<name>, umount2's named sys_exit_umount; oom:mark_victim
# with the victim's pid).
# tests/kernel/rarecalls.c makes sync, shm and mount calls (good and failing,
# the new mount API included) in a cgroup of its own and prints what the
# kernel answered; every line must equal its application's series and its
# cgroup's, and the host totals hold at least as much. Then a process that
# touches more memory than its memory cgroup allows is OOM-killed: it counts
# 1 under its name and its cgroup.
source "$(dirname "$0")/lib.sh"
need_root "sync, shm, mount, oomkill"

RARE=$BUILD/tests/kernel/rarecalls
cg_root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cg_root" ] || { not_ok "no cgroup2 hierarchy mounted"; exit 0; }
CG=/ebpfmon-rare-$$ CG_OOM=/ebpfmon-oom-$$
mem_root=/sys/fs/cgroup/memory MEMCG=
mnt=$(mktemp -d /tmp/ebpfmon-mnt.XXXXXX)
cleanup() {
	umount "$mnt" 2>/dev/null
	rmdir "$mnt" "$cg_root$CG" "$cg_root$CG_OOM" 2>/dev/null
	[ -n "$MEMCG" ] && rmdir "$MEMCG" 2>/dev/null
	[ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null
	cleanup_lib
}
trap cleanup EXIT
mkdir "$cg_root$CG" "$cg_root$CG_OOM" || { not_ok "cannot create cgroups under $cg_root"; exit 0; }

# The memory cgroup of the OOM victim: v1 here; v2 where it is the only one.
if [ -f "$mem_root/memory.limit_in_bytes" ]; then
	MEMCG=$mem_root/ebpfmon-oom-$$
	mkdir "$MEMCG" || not_ok "cannot create $MEMCG"
	echo 0 >"$MEMCG/memory.swappiness"
	echo $((32 << 20)) >"$MEMCG/memory.limit_in_bytes"
	# With swap on, only the limit on memory + swap makes it an OOM kill.
	[ -f "$MEMCG/memory.memsw.limit_in_bytes" ] && echo $((32 << 20)) >"$MEMCG/memory.memsw.limit_in_bytes"
	memprocs=$MEMCG/cgroup.procs
else
	echo "+memory" >"$cg_root/cgroup.subtree_control" 2>/dev/null
	echo $((32 << 20)) >"$cg_root$CG_OOM/memory.max" || not_ok "cannot limit $CG_OOM"
	echo 0 >"$cg_root$CG_OOM/memory.swap.max" 2>/dev/null
	memprocs=$cg_root$CG_OOM/cgroup.procs
fi

printf '[global]\n\tcgroups = yes\n[ebpf programs]\n\tshm = yes\n' >"$TMP/rare.conf"
for rung in tp_btf classic; do
	disable=
	[ $rung = classic ] && disable=tp_btf
	EBPFMON_DISABLE=$disable start_run --config "$TMP/rare.conf" --modules sync,shm,mount,oomkill || exit 1
	if [ $rung = classic ]; then
		n=$(EBPFMON_DISABLE=$disable "$EBPFMON" check --json --modules sync,shm,mount,oomkill |
			python3 -c 'import json, sys
print(sum(h["implementation"] == "tracepoint" for m in json.load(sys.stdin)["modules"]
          if m["name"] in ("sync", "shm", "mount", "oomkill") for h in m["hooks"]))')
		expect_eq "$rung: hooks on classic tracepoints in check (6 sync, 4 shm, 2 mount, 1 oomkill)" "$n" 13
	fi

	# ---- sync, shm, mount: exact per application and per cgroup ----
	app=$(unique_name rare)
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" "$3" "$4"' sh "$cg_root$CG" "$RARE" "$app" "$mnt" \
		>"$TMP/rare.truth" || not_ok "$rung: rarecalls failed"
	sleep 2.2
	scrape "$TMP/rare.prom" || not_ok "$rung: scrape failed"
	while read -r name labels want; do
		expect_eq "$rung: $app: ebpfmon_app_$name{$labels}" \
			"$(metric "$TMP/rare.prom" "ebpfmon_app_$name" "app=\"$app\",$labels")" "$want"
		expect_eq "$rung: cgroup $CG: ebpfmon_cgroup_$name{$labels}" \
			"$(metric "$TMP/rare.prom" "ebpfmon_cgroup_$name" "cgroup=\"$CG\",$labels")" "$want"
		host=$(metric "$TMP/rare.prom" "ebpfmon_$name" "$labels")
		if [ "$host" != missing ] && [ "$host" -ge "$want" ]; then
			ok "$rung: host ebpfmon_$name{$labels} = $host, at least the workload's $want"
		else
			not_ok "$rung: host ebpfmon_$name{$labels} = $host, less than the workload's $want"
		fi
	done <"$TMP/rare.truth"
	[ "$(wc -l <"$TMP/rare.truth")" -eq 14 ] || not_ok "$rung: rarecalls printed $(wc -l <"$TMP/rare.truth") lines, not 14"

	# ---- oomkill: one victim in a memory cgroup ----
	victim=$(unique_name oom)
	sh -c 'echo $$ >"$1" && echo $$ >"$2/cgroup.procs" && exec "$3" hog "$4" 256' sh \
		"$memprocs" "$cg_root$CG_OOM" "$RARE" "$victim" 2>/dev/null
	expect_eq "$rung: the hog was killed by SIGKILL (exit status 128+9)" "$?" 137
	sleep 2.2
	scrape "$TMP/oom.prom" || not_ok "$rung: scrape failed"
	expect_eq "$rung: $victim: ebpfmon_app_oomkill_total" \
		"$(metric "$TMP/oom.prom" ebpfmon_app_oomkill_total "app=\"$victim\"")" 1
	expect_eq "$rung: cgroup $CG_OOM: ebpfmon_cgroup_oomkill_total" \
		"$(metric "$TMP/oom.prom" ebpfmon_cgroup_oomkill_total "cgroup=\"$CG_OOM\"")" 1
	host=$(metric "$TMP/oom.prom" ebpfmon_oomkill_total)
	if [ "$host" != missing ] && [ "$host" -ge 1 ]; then
		ok "$rung: host ebpfmon_oomkill_total = $host, at least 1"
	else
		not_ok "$rung: host ebpfmon_oomkill_total = $host"
	fi
	promtool check metrics <"$TMP/oom.prom" >"$TMP/promtool.out" 2>&1 &&
		ok "$rung: promtool check metrics: clean" ||
		not_ok "$rung: promtool: $(head -3 "$TMP/promtool.out" | tr '\n' ' ')"
	stop_run || not_ok "$rung: run exited with an error"
done
