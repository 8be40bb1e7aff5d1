#!/usr/bin/env bash
# kernel tier: PID churn. 20 000 short-lived processes made one after another
# (each making one failed close) are counted exactly per application, with no
# lost events at the default table size; two collections later the kernel's
# per-process table holds no more entries than there are live tasks plus a
# small constant (entries follow processes, not history).
source "$(dirname "$0")/lib.sh"
need_root "churn"

N=${CHURN_PROCESSES:-20000}
snap=$TMP/churn.prom
start_run --modules process,fd,vfs || exit 1
app=$(unique_name ch)
sleep 1.2
scrape "$TMP/before.prom" # for the host's deficit of releases during the run
start=$(date +%s%N)
"$WORKLOAD" churn "$app" "$N" >"$TMP/churn.truth" || not_ok "churn workload failed"
echo "# $N processes in $((($(date +%s%N) - start) / 1000000)) ms"

# Two collections, then until every task of ours is freed (releases follow an RCU grace period).
sleep 2.2
scrape_until_released "$snap" "$app"
compare_truth "$snap" "$TMP/churn.truth" "$app" '^(process_created|process_exits|fd_close)'
expect_conserved "$snap"
expect_released "$app" "$snap" "$(host_deficit "$TMP/before.prom" "$snap")"
expect_eq "no lost events (fd)" "$(metric "$snap" ebpfmon_lost_events_total 'module="fd",table="pid"')" 0
# A task that started before attach and never counted has no record: its release
# is the host's only. Other processes on the machine may make a few of those.
expect_at_most "process events without an application (releases of tasks older than the run)" \
	"$(metric "$snap" ebpfmon_lost_events_total 'module="process",table="pid"')" 5
for e in epoch_table_full record_failed join_raced; do
	expect_eq "accounting: no $e" "$(metric "$snap" ebpfmon_accounting_events_total "event=\"$e\"")" 0
done

# Two collection intervals on, the table holds live processes, not the churn.
sleep 2.2
tasks=$(live_tasks)
scrape "$snap"
expect_at_most "epochs table entries after $N processes" "$(map_entries "$RUN_PID" epochs)" $((tasks + 64))
# The dirty set also keeps, for two rounds, threads of others that counted and exited since.
expect_at_most "dirty set entries" "$(map_entries "$RUN_PID" dirty)" $((tasks + 512))
expect_at_most "per-thread records" "$(metric "$snap" ebpfmon_accounting_records)" $((tasks + 64))
stop_run || not_ok "run exited with an error"
