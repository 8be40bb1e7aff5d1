#!/usr/bin/env bash
# bash: commands typed into interactive bash shells (uretprobe on readline).
# Known lines go into `bash --norc -i` (as root, through a pipe: bash -i still
# reads with readline; as nobody, through a pseudo-terminal), each must come
# out exactly once with its shell's pid and user, DataKit's message, and a
# 2000-byte line cut at 511 bytes with truncated=true. Empty lines are not
# rows. SIGTERM and SIGKILL leave no uprobe attached. The plain program (for
# kernels before 6.12) gives the same rows; a line on a page not in memory
# is read by the sleepable program and counted unreadable by the plain one.
# A 20000-call flood: rows plus lines said lost = 20000. Text rows come as
# typed. In `run`, the lines of nobody's shell are
# ebpfmon_bash_commands_total{user="nobody"} exactly, and rows of
# /api/v1/bash. Bad input: a --binary without readline, a bad --duration:
# one line, exit 2.
cd "$(dirname "$0")/../.." || exit 1
. tests/kernel/lib.sh
need_root "bash"

R=$RANDOM$RANDOM
BASH_BIN=$(command -v bash)
LONG=": long-$R-$(head -c 2000 /dev/zero | tr '\0' L)"
NOBODY=$(getent passwd 65534 | cut -d: -f1)
[ -n "$NOBODY" ] || { not_ok "uid 65534 has no name here"; exit 1; }

BPID=
cleanup_bash() {
	[ -n "$BPID" ] && kill -KILL "$BPID" 2>/dev/null
	[ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null
	cleanup_lib
}
trap cleanup_bash EXIT

# wait_attached ERRFILE PID: "attached" on stderr within 20 s.
wait_attached() {
	for _ in $(seq 200); do
		grep -q '^attached' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	not_ok "ebpfmon bash did not attach: $(tr '\n' ' ' <"$1")"
	return 1
}

# Feed lines (one argument each) to an interactive bash as root through a
# pipe; prints its pid.
root_shell() {
	printf '%s\n' "$@" | "$BASH_BIN" --norc -i >/dev/null 2>&1 &
	local pid=$!
	wait "$pid"
	echo "$pid"
}

# Feed lines to an interactive bash as nobody on a pseudo-terminal; prints its pid.
nobody_shell() {
	python3 - "$BASH_BIN" "$@" <<'EOF'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp("setpriv", ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          sys.argv[1], "--norc", "-i"])
os.write(fd, "".join(l + "\n" for l in sys.argv[2:]).encode() + b"exit\n")
while True:
    try:
        if not os.read(fd, 4096):
            break
    except OSError:
        break
os.waitpid(pid, 0)
print(pid)
EOF
}

# ---- the command, JSON --------------------------------------------------------
OUT=$TMP/bash.json
"$EBPFMON" bash --duration 60s --json >"$OUT" 2>"$OUT.err" &
BPID=$!
wait_attached "$OUT.err" "$BPID" || exit 1
ok "ebpfmon bash attached: $(head -1 "$OUT.err")"

# The uretprobes of this process, as bpftool sees them: one per bash file.
PROBES=$(bpftool perf list -j | python3 -c '
import json, sys
pid = int(sys.argv[1])
print(" ".join(str(e["prog_id"]) for e in json.load(sys.stdin)
               if e.get("pid") == pid and e.get("fd_type") == "uretprobe"))' "$BPID")
if [ -n "$PROBES" ]; then ok "uretprobes attached (programs $PROBES)"; else not_ok "no uretprobe of pid $BPID in bpftool perf list"; fi

START_NS=$(date +%s%N)
RPID=$(root_shell "echo marker-$R" "true x-$R" "" "$LONG" 'echo "q\"uote" \back-'"$R")
NPID=$(nobody_shell "echo nobody-$R" "" "true nobody2-$R")
END_NS=$(date +%s%N)
sleep 0.3
kill -TERM "$BPID"
wait "$BPID"
rc=$?
BPID=
expect_eq "ebpfmon bash exit status after SIGTERM" "$rc" 0

python3 - "$OUT" "$R" "$RPID" "$NPID" "$NOBODY" "$START_NS" "$END_NS" "$LONG" <<'EOF'
import json, re, sys
out, r, rpid, npid, nobody, t0, t1, long_line = sys.argv[1:]
rpid, npid, t0, t1 = int(rpid), int(npid), int(t0), int(t1)
try:
    rows = json.load(open(out))
except Exception as e:
    print(f"not ok - the output is a JSON list: {e}")
    sys.exit(0)
print("ok - the output is a JSON list of %d rows" % len(rows))
mine = [x for x in rows if r in x["cmd"]]
want = [
    (f"echo marker-{r}", rpid, "root", False),
    (f"true x-{r}", rpid, "root", False),
    (long_line[:511], rpid, "root", True),
    ('echo "q\\"uote" \\back-' + r, rpid, "root", False),
    (f"echo nobody-{r}", npid, nobody, False),
    (f"true nobody2-{r}", npid, nobody, False),
]
rfc3339 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)"
for cmd, pid, user, trunc in want:
    hits = [x for x in mine if x["cmd"] == cmd]
    name = cmd if len(cmd) < 40 else cmd[:30] + "...(%d bytes)" % len(cmd)
    if len(hits) != 1:
        print(f"not ok - {name!r} once: seen {len(hits)} times")
        continue
    x = hits[0]
    bad = []
    if x["pid"] != pid: bad.append(f"pid {x['pid']} not {pid}")
    if x["user"] != user: bad.append(f"user {x['user']} not {user}")
    if x["truncated"] != trunc: bad.append(f"truncated {x['truncated']} not {trunc}")
    if x["comm"] != "bash": bad.append(f"comm {x['comm']}")
    if not (t0 - 10**9 <= x["time_ns"] <= t1 + 10**9): bad.append(f"time_ns {x['time_ns']} outside [{t0}, {t1}]")
    if not re.fullmatch(rfc3339, x["time"]): bad.append(f"time {x['time']!r} not RFC 3339")
    m = f"{x['time']} pid:`{pid}` user:`{user}` cmd:`{cmd}`"
    if x["message"] != m: bad.append(f"message {x['message'][:80]!r} not {m[:80]!r}")
    if bad:
        print(f"not ok - {name!r}: " + "; ".join(bad))
    else:
        print(f"ok - {name!r} once, pid {pid}, user {user}, truncated={str(trunc).lower()}, message in DataKit's format")
extra = [x["cmd"][:40] for x in mine if x["cmd"] not in [w[0] for w in want]]
print("ok - no other line of this test" if not extra else f"not ok - lines not typed: {extra}")
empty = [x for x in rows if x["cmd"] == "" and x["pid"] in (rpid, npid)]
print("ok - empty lines are not rows" if not empty else f"not ok - {len(empty)} empty rows")
EOF

# Nothing of ours left attached after SIGTERM.
left=$(bpftool perf list -j | python3 -c '
import json, sys
ids = set(sys.argv[1].split())
print(" ".join(str(e["prog_id"]) for e in json.load(sys.stdin) if str(e.get("prog_id")) in ids))' "$PROBES")
gone=1
for id in $PROBES; do bpftool prog show id "$id" >/dev/null 2>&1 && gone=0; done
if [ -z "$left" ] && [ $gone = 1 ]; then ok "after SIGTERM no uretprobe or program of ours is left"; else not_ok "after SIGTERM: attached $left, programs gone=$gone"; fi

# ---- SIGKILL: the kernel releases the probes with the process's descriptors -------
"$EBPFMON" bash --duration 60s >/dev/null 2>"$TMP/kill.err" &
BPID=$!
wait_attached "$TMP/kill.err" "$BPID" || exit 1
KPROBES=$(bpftool perf list -j | python3 -c '
import json, sys
print(" ".join(str(e["prog_id"]) for e in json.load(sys.stdin)
               if e.get("pid") == int(sys.argv[1]) and e.get("fd_type") == "uretprobe"))' "$BPID")
kill -KILL "$BPID"
wait "$BPID" 2>/dev/null
BPID=
left=
for _ in $(seq 40); do
	left=
	for id in $KPROBES; do bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"; done
	[ -z "$left" ] && break
	sleep 0.05
done
if [ -n "$KPROBES" ] && [ -z "$left" ]; then ok "after SIGKILL the uretprobe program ($KPROBES) is gone"; else not_ok "after SIGKILL: programs '$KPROBES', left '$left'"; fi

# ---- the plain (not sleepable) program, for kernels before 6.12 ----------------
OUT=$TMP/plain.json
EBPFMON_TEST_BASH_PLAIN=1 "$EBPFMON" bash --duration 30s --json >"$OUT" 2>"$OUT.err" &
BPID=$!
wait_attached "$OUT.err" "$BPID" || exit 1
grep -q '(uretprobe:' "$OUT.err" && ok "EBPFMON_TEST_BASH_PLAIN: the plain uretprobe" || not_ok "not the plain program: $(head -1 "$OUT.err")"
PPID2=$(root_shell "echo plain-$R" "$LONG")
sleep 0.3
kill -INT "$BPID"
wait "$BPID"
BPID=
python3 - "$OUT" "$R" "$PPID2" "$LONG" <<'EOF'
import json, sys
rows, r, pid, long_line = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), sys.argv[4]
for cmd, trunc in ((f"echo plain-{r}", False), (long_line[:511], True)):
    hits = [x for x in rows if x["cmd"] == cmd and x["pid"] == pid and x["truncated"] == trunc]
    print(f"ok - plain program: {cmd[:30]!r} once, truncated={str(trunc).lower()}" if len(hits) == 1
          else f"not ok - plain program: {cmd[:30]!r} {len(hits)} times")
EOF

# ---- a line on a page not in memory (--binary) -----------------------------------
# readline_stub's line is in .rodata nothing touched: the sleepable program
# faults it in and reports it, the plain one counts it unreadable (and says so).
cc -O2 -Wall -o "$TMP/readline_stub" tests/kernel/readline_stub.c || { not_ok "building readline_stub"; exit 1; }
for plain in "" 1; do
	OUT=$TMP/stub$plain.json
	EBPFMON_TEST_BASH_PLAIN=$plain "$EBPFMON" bash --binary "$TMP/readline_stub" --duration 30s --json >"$OUT" 2>"$OUT.err" &
	BPID=$!
	wait_attached "$OUT.err" "$BPID" || exit 1
	"$TMP/readline_stub" &
	SPID=$!
	wait "$SPID"
	sleep 0.3
	kill -INT "$BPID"
	wait "$BPID"
	BPID=
	n=$(python3 -c 'import json, sys; print(sum(1 for x in json.load(open(sys.argv[1])) if x["cmd"] == "echo fresh-page" and x["pid"] == int(sys.argv[2])))' "$OUT" "$SPID")
	if [ -z "$plain" ]; then
		expect_eq "sleepable program: the line on an untouched page, reported" "$n" 1
	elif [ "$n" = 0 ] && grep -q ' 1 unreadable' "$OUT.err"; then
		ok "plain program: the line on an untouched page counted unreadable and said ($(tail -1 "$OUT.err"))"
	else
		not_ok "plain program: $n rows, stderr: $(tr '\n' '|' <"$OUT.err")"
	fi
done

# ---- a flood: every line a row or counted lost ------------------------------------
# 20000 readline calls as fast as they go (bench/readline_cost.c): the ring
# buffer may fill; rows of that pid plus the lines said lost must be 20000.
cc -O2 -Wall -o "$TMP/readline_cost" bench/readline_cost.c || { not_ok "building readline_cost"; exit 1; }
OUT=$TMP/flood.json
"$EBPFMON" bash --binary "$TMP/readline_cost" --duration 60s --json >"$OUT" 2>"$OUT.err" &
BPID=$!
wait_attached "$OUT.err" "$BPID" || exit 1
"$TMP/readline_cost" 20000 >/dev/null &
SPID=$!
wait "$SPID"
sleep 0.3
kill -INT "$BPID"
wait "$BPID"
BPID=
rows=$(python3 -c 'import json, sys; print(sum(1 for x in json.load(open(sys.argv[1])) if x["pid"] == int(sys.argv[2]) and x["cmd"] == "echo hi!"))' "$OUT" "$SPID")
lost=$(sed -n 's/.*: \([0-9]*\) lines lost.*/\1/p' "$OUT.err")
expect_eq "flood: rows ($rows) + lost (${lost:-0}) of 20000 readline calls" "$((rows + ${lost:-0}))" 20000

# ---- the command, text ----------------------------------------------------------
OUT=$TMP/bash.txt
"$EBPFMON" bash --duration 30s >"$OUT" 2>"$OUT.err" &
BPID=$!
wait_attached "$OUT.err" "$BPID" || exit 1
TPID=$(root_shell "echo text-$R")
for _ in $(seq 50); do grep -q "text-$R" "$OUT" && break; sleep 0.1; done
kill -INT "$BPID"
wait "$BPID"
BPID=
if grep -Eq "^[0-9T:+Z-]+ +$TPID +root +echo text-$R\$" "$OUT"; then
	ok "text: the line shows as it comes (time, pid $TPID, root, cmd)"
else
	not_ok "text: no row for pid $TPID: $(tr '\n' '|' <"$OUT")"
fi

# ---- run: commands_total per user ------------------------------------------------
# nobody's shells are this test's alone: its count is exact.
start_run --modules bash || exit 1
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$RUN_PORT/metrics" | grep -q '^ebpfmon_bash_lost_total' && break
	sleep 0.1
done
scrape "$TMP/m0"
before=$(metric "$TMP/m0" ebpfmon_bash_commands_total 'user="'"$NOBODY"'"')
[ "$before" = missing ] && before=0
RUNPID=$(nobody_shell "true run1-$R" "" "true run2-$R" "true run3-$R")
got=missing
for _ in $(seq 50); do
	sleep 0.2
	scrape "$TMP/m1"
	got=$(metric "$TMP/m1" ebpfmon_bash_commands_total 'user="'"$NOBODY"'"')
	[ "$got" != missing ] && [ "$got" -ge $((before + 4)) ] && break
done
# 3 commands and "exit" (written by nobody_shell); the empty line is not one.
expect_eq "run: ebpfmon_bash_commands_total{user=\"$NOBODY\"} after 4 lines" "$((got - before))" 4
expect_eq "run: ebpfmon_bash_lost_total" "$(metric "$TMP/m1" ebpfmon_bash_lost_total)" 0
# The recent log at /api/v1/bash: each line once, with its shell's pid and user.
curl -sf "http://127.0.0.1:$RUN_PORT/api/v1/bash" -o "$TMP/api.json"
python3 - "$TMP/api.json" "$R" "$RUNPID" "$NOBODY" <<'EOF'
import json, sys
rows, r, pid, user = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), sys.argv[4]
for cmd in (f"true run1-{r}", f"true run2-{r}", f"true run3-{r}"):
    hits = [x for x in rows if x["cmd"] == cmd and x["pid"] == pid and x["user"] == user]
    print(f"ok - /api/v1/bash: {cmd!r} once, pid {pid}, {user}" if len(hits) == 1
          else f"not ok - /api/v1/bash: {cmd!r} {len(hits)} times with pid {pid}, {user}")
EOF
stop_run

# ---- bad input -------------------------------------------------------------------
"$EBPFMON" bash --binary /etc/passwd --duration 1s >/dev/null 2>"$TMP/bad.err"
rc=$?
if [ $rc = 2 ] && [ "$(wc -l <"$TMP/bad.err")" = 1 ] && grep -q '/etc/passwd' "$TMP/bad.err"; then
	ok "--binary without readline: exit 2, one line ($(cat "$TMP/bad.err"))"
else
	not_ok "--binary /etc/passwd: exit $rc, $(tr '\n' '|' <"$TMP/bad.err")"
fi
"$EBPFMON" bash --duration soon >/dev/null 2>"$TMP/bad.err"
rc=$?
if [ $rc = 2 ] && [ "$(wc -l <"$TMP/bad.err")" = 1 ]; then ok "bad --duration: exit 2, one line"; else not_ok "bad --duration: exit $rc"; fi
