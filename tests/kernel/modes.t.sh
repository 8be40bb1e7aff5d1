#!/usr/bin/env bash
# kernel tier: breakdowns and modes. Per-cgroup counts, a pid table too small
# (the loss is counted, host totals stay exact), entry mode without error
# series, apps = no.
source "$(dirname "$0")/lib.sh"
need_root "modes"

cg_root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -z "$cg_root" ]; then
	not_ok "no cgroup2 hierarchy mounted"
	exit 0
fi

# --- per cgroup ----------------------------------------------------------
cg_name=ebpfmon-test-$$
cg=$cg_root/$cg_name
mkdir "$cg" || { not_ok "cannot create cgroup $cg"; exit 0; }
snap=$TMP/cg.prom
app=$(unique_name cg)
if start_snapshot "$snap" --modules fd,vfs --cgroups yes; then
	WORKLOAD_CGROUP=$cg "$WORKLOAD" short "$app" 50 1000 >"$TMP/cg.truth" || not_ok "workload failed"
	stop_snapshot || not_ok "snapshot failed"
	while read -r name want; do
		case $name in
		vfs_write_calls_total | vfs_write_bytes_total | fd_close_calls_total) ;;
		fd_open_calls_total) want=$((want - 50)) ;; # cgroup.procs was opened before the move
		*) continue ;;
		esac
		expect_eq "cgroup /$cg_name: $name" \
			"$(metric "$snap" "ebpfmon_cgroup_$name" "cgroup=\"/$cg_name\"")" "$want"
	done <"$TMP/cg.truth"
	compare_truth "$snap" "$TMP/cg.truth" "$app" '^(vfs_write|fd_)'
fi
rmdir "$cg"

# --- a pid table too small: 40 processes alive at once, 16 entries ---------
# (Entries follow live processes: processes made one after another never fill it.)
snap=$TMP/small.prom
app=$(unique_name sm)
if start_snapshot "$snap" --modules vfs --pid-table-size 16; then
	"$WORKLOAD" live "$app" 40 3 >"$TMP/small.truth" &
	live_pid=$!
	for _ in $(seq 100); do grep -q '^live 40' "$TMP/small.truth" && break; sleep 0.1; done
	sleep 1.2
	wait "$live_pid"
	stop_snapshot || not_ok "snapshot failed"
	lost=$(metric "$snap" ebpfmon_lost_events_total 'module="vfs",table="pid"')
	full=$(metric "$snap" ebpfmon_accounting_events_total 'event="epoch_table_full"')
	if [ "$lost" != missing ] && [ "$lost" -gt 0 ] && [ "$full" != missing ] && [ "$full" -gt 0 ]; then
		ok "pid table of 16 with 40 processes alive: $lost events without an application counted ($full times full)"
	else
		not_ok "pid table of 16 with 40 processes alive: lost events = $lost, table full = $full"
	fi
	host=$(metric "$snap" ebpfmon_vfs_write_calls_total)
	got=$(metric "$snap" ebpfmon_app_vfs_write_calls_total "app=\"$app\"")
	[ "$got" = missing ] && got=0
	if [ "$host" -ge 40 ] && [ "$got" -lt 40 ] && [ $((got + lost)) -ge 40 ]; then
		ok "host write calls ($host) count all 40; the application has $got, the rest counted as lost"
	else
		not_ok "host write calls $host (want >= 40), application $got + lost $lost (want >= 40, app < 40)"
	fi
fi

# --- entry mode: calls and bytes, no error series ----------------------
snap=$TMP/entry.prom
app=$(unique_name en)
mkdir -p "$TMP/io"
if start_snapshot "$snap" --modules process,fd,vfs --load-mode entry; then
	"$WORKLOAD" io "$app" "$TMP/io" >"$TMP/entry.truth" || not_ok "workload failed"
	stop_snapshot || not_ok "snapshot failed"
	compare_truth "$snap" "$TMP/entry.truth" "$app" '_(calls|bytes)_total$'
	if grep -q '_errors_total' "$snap"; then
		not_ok "entry mode exports error series"
	else
		ok "entry mode exports no error series"
	fi
fi

# --- apps = no: host totals only -------------------------------------------
snap=$TMP/noapps.prom
if start_snapshot "$snap" --modules vfs --apps no; then
	"$WORKLOAD" short "$(unique_name na)" 20 10 >/dev/null || not_ok "workload failed"
	stop_snapshot || not_ok "snapshot failed"
	if grep -q '^ebpfmon_app_' "$snap"; then
		not_ok "apps = no still exports per-application series"
	else
		ok "apps = no exports no per-application series"
	fi
	host=$(metric "$snap" ebpfmon_vfs_write_calls_total)
	if [ "$host" != missing ] && [ "$host" -ge 20 ]; then
		ok "apps = no: host write calls $host >= 20"
	else
		not_ok "apps = no: host write calls $host"
	fi
fi

# --- a module that fails to load: the others run, the failure is reported ---
snap=$TMP/fail.prom
app=$(unique_name fl)
if EBPFMON_TEST_FAIL_LOAD=fd start_snapshot "$snap" --modules fd,vfs; then
	"$WORKLOAD" short "$app" 5 10 >"$TMP/fail.truth" || not_ok "workload failed"
	stop_snapshot || not_ok "snapshot failed"
	expect_eq "failed module: ebpfmon_module_up{fd}" "$(metric "$snap" ebpfmon_module_up 'module="fd"')" 0
	expect_eq "the others run: ebpfmon_module_up{vfs}" "$(metric "$snap" ebpfmon_module_up 'module="vfs"')" 1
	compare_truth "$snap" "$TMP/fail.truth" "$app" '^vfs_write'
	if grep -q 'module fd failed: load failed: injected' "$snap.err"; then
		ok "stderr names the failed module and why"
	else
		not_ok "stderr does not report the failed module: $(cat "$snap.err")"
	fi
fi

# --- maps per core = no: one shared table copy, atomic adds, same numbers ---
snap=$TMP/shared.prom
app=$(unique_name mp)
if start_snapshot "$snap" --modules process,fd,vfs --maps-per-core no --cgroups yes; then
	"$WORKLOAD" io "$app" "$TMP/io" >"$TMP/shared.truth" || not_ok "workload failed"
	"$WORKLOAD" threads "$app" 8 >"$TMP/shared-threads.truth" || not_ok "workload failed"
	stop_snapshot || not_ok "snapshot failed"
	compare_truth "$snap" "$TMP/shared.truth" "$app" '^(vfs|fd)_'
	expect_eq "maps per core = no: threads created" \
		"$(metric "$snap" ebpfmon_app_process_threads_created_total "app=\"$app\"")" 8
fi

# --- the classic-tracepoint rung of the ladder gives the same numbers --------
if EBPFMON_DISABLE=tp_btf "$EBPFMON" check | grep -q 'read .*tracepoint'; then
	ok "EBPFMON_DISABLE=tp_btf: check shows the classic tracepoint chosen"
else
	not_ok "EBPFMON_DISABLE=tp_btf: check does not fall back to classic tracepoints"
fi
snap=$TMP/classic.prom
app=$(unique_name tp)
fk=$(unique_name tf)
if EBPFMON_DISABLE=tp_btf start_snapshot "$snap" --modules process,fd,vfs; then
	"$WORKLOAD" io "$app" "$TMP/io" >"$TMP/classic.truth" || not_ok "workload failed"
	"$WORKLOAD" forks "$fk" 10 >"$TMP/classic-forks.truth" || not_ok "workload failed"
	"$WORKLOAD" clonefail "$fk" 2 >"$TMP/classic-cf.truth" || not_ok "workload failed"
	stop_snapshot || not_ok "snapshot failed"
	compare_truth "$snap" "$TMP/classic.truth" "$app" '^(vfs|fd)_'
	compare_truth "$snap" "$TMP/classic-forks.truth" "$fk" '^process_(created|threads)'
	expect_eq "classic tracepoints: process errors" \
		"$(metric "$snap" ebpfmon_app_process_errors_total "app=\"$fk\"")" 2
fi

# --- tables read key by key (kernels without batch map operations): same numbers ---
snap=$TMP/nobatch.prom
app=$(unique_name nb)
if EBPFMON_TEST_NO_BATCH=1 start_snapshot "$snap" --modules process,fd,vfs --cgroups yes; then
	"$WORKLOAD" io "$app" "$TMP/io" >"$TMP/nobatch.truth" || not_ok "workload failed"
	"$WORKLOAD" forks "$app" 20 >"$TMP/nobatch-forks.truth" || not_ok "workload failed"
	stop_snapshot || not_ok "snapshot failed"
	compare_truth "$snap" "$TMP/nobatch.truth" "$app" '^(vfs|fd)_'
	expect_eq "key by key: processes created" \
		"$(metric "$snap" ebpfmon_app_process_created_total "app=\"$app\"")" 20
fi
