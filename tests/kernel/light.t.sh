#!/usr/bin/env bash
# kernel tier: `ebpf load mode = light`, no syscall hook at all. Processes from
# scheduler tracepoints; read/write calls and bytes from the kernel's own
# per-task I/O accounting, exact for read(2)/write(2) workloads, per
# application, and for a process that was running before the agent (counted
# from attach, not from its start). No fd module, no open/close/unlink/fsync,
# no error series.
source "$(dirname "$0")/lib.sh"
need_root "light mode"

snap=$TMP/light.prom
if "$EBPFMON" check --load-mode light >"$TMP/check.out" &&
	grep -qE '^    read +ioac' "$TMP/check.out" &&
	grep -qE '^  fd +unavailable: ebpf load mode = light uses no syscall hook' "$TMP/check.out"; then
	ok "check --load-mode light: vfs read from ioac, fd unavailable with the reason"
else
	not_ok "check --load-mode light: $(tr '\n' ' ' <"$TMP/check.out" | head -c 600)"
fi

# A reader that started before the agent: dd blocked opening a FIFO.
pre=$(unique_name lp)
cp "$(command -v dd)" "$TMP/$pre"
mkfifo "$TMP/fifo"
"$TMP/$pre" if="$TMP/fifo" of=/dev/null bs=1 status=none &
pre_pid=$!

start_run --load-mode light || { kill "$pre_pid"; exit 1; }
if grep -q "module fd unavailable: ebpf load mode = light" "$TMP/run.err"; then
	ok "run says why fd does not run in light mode"
else
	not_ok "run does not say why fd is off: $(cat "$TMP/run.err")"
fi
# 500 bytes through the FIFO: dd makes 501 reads (the last one sees the end), 500 bytes.
head -c 500 /dev/zero >"$TMP/fifo"
wait "$pre_pid"

rw=$(unique_name lr)
fk=$(unique_name lf)
th=$(unique_name lt)
"$WORKLOAD" rw "$rw" 1000 4096 >"$TMP/rw.truth" || not_ok "rw workload failed"
"$WORKLOAD" forks "$fk" 25 >"$TMP/forks.truth" || not_ok "forks workload failed"
"$WORKLOAD" threads "$th" 10 >"$TMP/threads.truth" || not_ok "threads workload failed"
sleep 2.2
scrape_until_released "$snap" "$fk"
expect_conserved "$snap"
# No syscall hook: none of the links the agent holds is on sys_enter/sys_exit.
hooks=$(attached_tracepoints "$RUN_PID")
case " $hooks " in
*" sys_"* | " ") not_ok "light mode hooks: '$hooks'" ;;
*) ok "light mode hooks, none a syscall's: $hooks" ;;
esac
stop_run || not_ok "run exited with an error"

compare_truth "$snap" "$TMP/rw.truth" "$rw" '^vfs_(read|write)_(calls|bytes)'
compare_truth "$snap" "$TMP/forks.truth" "$fk" '^process_(created|exits)'
compare_truth "$snap" "$TMP/threads.truth" "$th" '^process_(threads|exits)'
expect_released "$fk" "$snap"
expect_eq "$pre (running before attach): read calls since attach" \
	"$(metric "$snap" ebpfmon_app_vfs_read_calls_total "app=\"$pre\"")" 501
expect_eq "$pre: read bytes since attach" "$(metric "$snap" ebpfmon_app_vfs_read_bytes_total "app=\"$pre\"")" 500

if grep -qE '^ebpfmon_(app_|cgroup_)?(fd_|vfs_(open|unlink|fsync|create)|[a-z_]*_errors_total)' "$snap"; then
	not_ok "light mode exports series it cannot count: $(grep -oE '^ebpfmon_[a-z_]*(fd_|open|unlink|fsync|create|errors)[a-z_]*' "$snap" | sort -u | head -5 | tr '\n' ' ')"
else
	ok "light mode exports no fd, open, unlink, fsync, create or error series"
fi
expect_eq "fd is not up in light mode" "$(metric "$snap" ebpfmon_module_up 'module="fd"')" 0
