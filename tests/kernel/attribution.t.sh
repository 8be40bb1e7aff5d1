#!/usr/bin/env bash
# kernel tier: a count belongs to the name its process had when the event
# happened. A process that makes 5 failed close(2) calls and then execs a
# program that makes 3 shows 5 and 3 (not 0 and 8); a shell's child that
# closes a descriptor before exec counts that close under the shell; 32-bit
# (int $0x80) syscalls, numbered differently, are not counted under 64-bit
# names (ia32 read is 3, which is close in the 64-bit table).
source "$(dirname "$0")/lib.sh"
need_root "attribution"

CLOSER=$PWD/$BUILD/tests/kernel/closer
snap=$TMP/attr.prom
start_run --modules process,fd,vfs || exit 1

# --- exec: what came before stays with the old name ----------------------
before=$(unique_name eb)
after=$(unique_name ea)
ln -s "$CLOSER" "$TMP/$after" # the exec'd image is named after the file: $after
"$WORKLOAD" execsplit "$before" 5 "$TMP/$after" 3 >"$TMP/exec.truth" || not_ok "execsplit workload failed"

# --- a shell's child closes a descriptor, then execs -----------------------
shell=$(unique_name sh)
closer2=$(unique_name sc)
cp /bin/bash "$TMP/$shell"
ln -s "$CLOSER" "$TMP/$closer2"
# The subshell is a fork of the shell (named $shell); `exec 7<&-` is its close(2) of 7.
"$TMP/$shell" -c "exec 7</dev/null; ( exec 7<&-; exec \"$TMP/$closer2\" 3 ); true" ||
	not_ok "shell workload failed"

# --- ia32 syscalls --------------------------------------------------------
i32=$(unique_name ia)
"$WORKLOAD" ia32 "$i32" 1000 >"$TMP/ia32.truth" || not_ok "ia32 workload failed"

sleep 2.5
scrape "$snap" || not_ok "scrape failed"
expect_conserved "$snap"
stop_run || not_ok "run exited with an error"

compare_truth "$snap" "$TMP/exec.truth" "$before" '^fd_'
expect_eq "$after (exec'd after 5 closes): close calls" \
	"$(metric "$snap" ebpfmon_app_fd_close_calls_total "app=\"$after\"")" 3
expect_eq "$after: close errors" "$(metric "$snap" ebpfmon_app_fd_close_errors_total "app=\"$after\"")" 3
expect_eq "$after: opens (a static binary opens nothing)" \
	"$(metric "$snap" ebpfmon_app_fd_open_calls_total "app=\"$after\"")" 0

expect_eq "$closer2 (exec'd by a shell's child): close calls, the child's close not among them" \
	"$(metric "$snap" ebpfmon_app_fd_close_calls_total "app=\"$closer2\"")" 3
shell_closes=$(metric "$snap" ebpfmon_app_fd_close_calls_total "app=\"$shell\"")
if [ "$shell_closes" != missing ] && [ "$shell_closes" -ge 1 ]; then
	ok "$shell: the child's close before exec counts under the shell ($shell_closes closes)"
else
	not_ok "$shell: no close counted under the shell (got $shell_closes)"
fi

# 1000 ia32 reads: not 1000 closes, and not reads either (compat syscalls are skipped,
# as the kernel's own per-syscall events skip them); the 64-bit open and close are.
compare_truth "$snap" "$TMP/ia32.truth" "$i32" '^(fd_|vfs_read)'
