#!/usr/bin/env bash
# kernel tier: the zombies gauge is a true gauge, the tasks in state Z right
# now, counted by the task iterator at each collection: zombies made before
# the agent started count too, and the gauge falls back when they are reaped.
source "$(dirname "$0")/lib.sh"
need_root "zombies"

snap=$TMP/z.prom
proc_zombies() { awk '$3 == "Z"' /proc/[0-9]*/task/[0-9]*/stat 2>/dev/null | wc -l; }

# wait_line FILE TEXT: until FILE holds TEXT (10 s at most).
wait_line() { for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# gauge_matches DESC: the gauge equals /proc's count at a scrape (a few tries:
# the gauge is one collection old, and the machine may make zombies of its own).
gauge_matches() {
	local got want
	for _ in 1 2 3 4 5; do
		sleep 1.2
		scrape "$snap" || break
		got=$(metric "$snap" ebpfmon_process_zombies)
		want=$(proc_zombies)
		[ "$got" = "$want" ] && { ok "$1: gauge $got = tasks in state Z in /proc"; return; }
	done
	not_ok "$1: gauge $got, /proc says $want"
}

"$WORKLOAD" zombies 7 120 >"$TMP/z1.out" &
z1=$!
wait_line "$TMP/z1.out" "zombies 7" || not_ok "zombie maker did not start"
start_run --modules process || { kill "$z1"; exit 1; }
"$WORKLOAD" zombies 5 120 >"$TMP/z2.out" &
z2=$!
wait_line "$TMP/z2.out" "zombies 5" || not_ok "second zombie maker did not start"
gauge_matches "7 zombies from before the agent, 5 after"
if [ "$(metric "$snap" ebpfmon_process_zombies)" -ge 12 ] 2>/dev/null; then
	ok "all 12 zombies of ours are in the gauge"
else
	not_ok "gauge $(metric "$snap" ebpfmon_process_zombies) < 12"
fi
kill -TERM "$z1" "$z2"
wait "$z1" "$z2"
gauge_matches "after the parents reaped them"
stop_run || not_ok "run exited with an error"

# Per-process rows (JSON snapshots): a live process has its row, with what it did since attach.
snapjson=$TMP/z.json
"$EBPFMON" snapshot --format json --duration 3 --modules process >"$snapjson" 2>"$TMP/zs.err" &
snap_pid=$!
wait_line "$TMP/zs.err" '^attached' || not_ok "snapshot did not attach"
"$WORKLOAD" zombies 4 30 >"$TMP/z3.out" &
z3=$!
wait_line "$TMP/z3.out" "zombies 4" || not_ok "third zombie maker did not start"
wait "$snap_pid" || not_ok "json snapshot failed"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = [p for p in d["modules"]["process"]["pids"] if p["pid"] == int(sys.argv[2])]
assert len(rows) == 1, rows
assert rows[0]["created_total"] == 4, rows
' "$snapjson" "$z3"; then
	ok "JSON per-process row of a live process: 4 processes created"
else
	not_ok "JSON per-process row of pid $z3 is missing or wrong"
fi
kill -TERM "$z3"
wait "$z3"
