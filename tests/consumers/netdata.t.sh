#!/usr/bin/env bash
# Real consumer: Netdata (Debian's netdata-core) runs ebpfmon as its external
# plugin ebpfmon.plugin. Checked here:
#  - the raw protocol of `ebpfmon netdata 1` and of the link ebpfmon.plugin,
#    read by a parser that splits words as Netdata does;
#  - DISABLE when nothing can run, exit 2 on a bad UPDATE_EVERY;
#  - SIGTERM and a closed stdout (SIGPIPE/EPIPE) stop it with nothing left
#    attached;
#  - a private Netdata (its own netdata.conf, plugins directory holding only
#    the link, a private port, RAM database) shows the host charts with
#    Netdata's ids and contexts, one chart per application with the label
#    app_group, and for a workload with known counts: the raw counter Netdata
#    collected, the sum of Netdata's per-second values over the window and
#    `ebpfmon run`'s Prometheus value all equal the workload's own count.
source "$(dirname "$0")/../kernel/lib.sh"
need_root "netdata consumer"

NETDATA=$(command -v netdata || echo /usr/sbin/netdata)
[ -x "$NETDATA" ] || { not_ok "netdata missing (package netdata-core; scripts/deps.sh test)"; exit 0; }
[ -x "$WORKLOAD" ] || { not_ok "$WORKLOAD missing (make $WORKLOAD)"; exit 0; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

held_bpf_ids() {
	grep -hE '^(prog_id|link_id):' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u | tr '\n' ' '
}
still_there() {
	local left=()
	set -- $1
	while [ $# -ge 2 ]; do
		case $1 in
		prog_id:) bpftool prog show id "$2" >/dev/null 2>&1 && left+=("prog $2") ;;
		link_id:) bpftool link show id "$2" >/dev/null 2>&1 && left+=("link $2") ;;
		esac
		shift 2
	done
	echo "${left[*]}"
}
expect_gone() {
	local desc=$1 ids=$2 left
	if [ -z "$ids" ]; then
		not_ok "$desc: no BPF program or link was held to check"
		return
	fi
	for _ in $(seq 100); do
		left=$(still_there "$ids")
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -z "$left" ]; then ok "$desc: nothing of ours left attached"; else not_ok "$desc: still there: $left"; fi
}
# Wait (10 s at most) for process $1 to end; its exit status, or 124 when it did not.
wait_exit() {
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1"
}
# Wait until file $1 holds "$2" (20 s at most).
wait_for_text() {
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The plugins.d protocol as Netdata's parser reads it (words split on spaces,
# quotes group; no escapes), with what each keyword needs. Prints the problems.
PROTO_CHECK='
import re, shlex, sys
charts, cur, open_chart, errors = {}, None, None, []
def bad(why, line): errors.append("%s: %r" % (why, line[:160]))
for line in sys.stdin.read().splitlines():
    try:
        w = shlex.split(line, posix=True)
    except ValueError:
        bad("unbalanced quotes", line); continue
    if not w: bad("empty line", line); continue
    k = w[0]
    if open_chart and k not in ("SET", "END"): bad("not SET/END inside BEGIN", line)
    if k == "CHART":
        if len(w) != 13: bad("CHART needs 12 words", line); continue
        if not re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", w[1]): bad("chart id", line)
        if not w[8].isdigit() or not w[9].isdigit(): bad("priority/update_every", line)
        if w[10] not in ("", "obsolete", "store_first"): bad("options", line)
        if w[11] != "ebpfmon.plugin": bad("plugin", line)
        cur = charts[w[1]] = set()
    elif k == "CLABEL":
        if cur is None or len(w) != 4 or w[3] != "1": bad("CLABEL", line)
    elif k == "CLABEL_COMMIT":
        pass
    elif k == "DIMENSION":
        if cur is None or len(w) != 6 or w[3] not in ("absolute", "incremental"): bad("DIMENSION", line)
        elif not re.fullmatch(r"-?\d+", w[4]) or not w[5].isdigit() or w[5] == "0": bad("DIMENSION mult/div", line)
        else: cur.add(w[1])
    elif k == "BEGIN":
        if len(w) not in (2, 3) or w[1] not in charts: bad("BEGIN of an undefined chart", line)
        open_chart = w[1]; cur = None
    elif k == "SET":
        if not open_chart or len(w) != 4 or w[2] != "=" or not re.fullmatch(r"-?\d+", w[3]): bad("SET", line)
        elif w[1] not in charts[open_chart]: bad("SET of an unknown dimension", line)
    elif k == "END":
        if not open_chart: bad("END without BEGIN", line)
        open_chart = None
    else:
        bad("unknown keyword", line)
print("\n".join(errors[:5]))
print("charts=%d" % len(charts), file=sys.stderr)
'

mods=process,vfs,fd
mkdir -p "$TMP/plugins"
ln -s "$EBPFMON" "$TMP/plugins/ebpfmon.plugin"
PLUGIN=$TMP/plugins/ebpfmon.plugin

# --- raw output: `ebpfmon netdata 1` and the link ------------------------------
for how in "netdata" "plugin"; do
	if [ "$how" = netdata ]; then
		timeout --preserve-status -s TERM 3.5 "$EBPFMON" netdata 1 --modules "$mods" >"$TMP/raw.$how" 2>"$TMP/raw.$how.err"
	else
		timeout --preserve-status -s TERM 3.5 "$PLUGIN" 1 --modules "$mods" >"$TMP/raw.$how" 2>"$TMP/raw.$how.err"
	fi
	rc=$?
	probs=$(python3 -c "$PROTO_CHECK" <"$TMP/raw.$how" 2>"$TMP/raw.$how.count")
	begins=$(grep -c '^BEGIN system.process_thread' "$TMP/raw.$how")
	defs=$(grep -c '^CHART system.process_thread ' "$TMP/raw.$how")
	if [ "$rc" -eq 0 ] && [ -z "$probs" ] && [ "$defs" -eq 1 ] && [ "$begins" -ge 3 ]; then
		ok "$how mode: valid protocol, $(cat "$TMP/raw.$how.count"), system.process_thread defined once and sent $begins times in 3.5 s, exit 0 on SIGTERM"
	else
		not_ok "$how mode: exit $rc, $defs definitions and $begins updates of system.process_thread; $probs $(head -c 300 "$TMP/raw.$how.err")"
	fi
done
# Each update after the first carries the interval in microseconds (about 1 s).
usec=$(awk '$1 == "BEGIN" && $2 == "system.process_thread" && NF == 3 { print $3; exit }' "$TMP/raw.plugin")
if [ -n "$usec" ] && [ "$usec" -gt 900000 ] && [ "$usec" -lt 1500000 ]; then
	ok "BEGIN carries the microseconds since the last update ($usec)"
else
	not_ok "BEGIN interval: '${usec:-none}'"
fi
if grep -q "^CHART system.process_thread '' '.*' 'calls/s' 'process' 'system.process_thread' line [0-9]* 1 'store_first' 'ebpfmon.plugin' 'process'$" "$TMP/raw.plugin" &&
	grep -q "^DIMENSION created '' incremental 1 1$" "$TMP/raw.plugin" &&
	grep -q "^DIMENSION write_calls 'write' incremental -1 1$" "$TMP/raw.plugin"; then
	ok "host charts: Netdata's id as context, incremental counters, writes drawn negative"
else
	not_ok "host chart definitions: $(grep -E '^(CHART system.process_thread|DIMENSION (created|write_calls))' "$TMP/raw.plugin" | tr '\n' '|')"
fi

# Labeled series: IRQ time per IRQ (milliseconds), disk latency per disk in buckets.
timeout --preserve-status -s TERM 3.5 "$PLUGIN" 1 --modules hardirq,softirq,disk >"$TMP/raw.irq" 2>"$TMP/raw.irq.err"
rc=$?
probs=$(python3 -c "$PROTO_CHECK" <"$TMP/raw.irq" 2>/dev/null)
if [ $rc -eq 0 ] && [ -z "$probs" ] &&
	grep -q "^CHART system.hardirq_latency '' '.*' 'milliseconds' 'hardirq' 'system.hardirq_latency' stacked" "$TMP/raw.irq" &&
	grep -q "^DIMENSION LOC_Local_timer_interrupts '' incremental 1 1000000$" "$TMP/raw.irq" &&
	grep -q "^CHART system.softirq_latency " "$TMP/raw.irq"; then
	ok "labeled series: system.hardirq_latency and system.softirq_latency with a dimension per IRQ, valid protocol"
else
	not_ok "labeled series: exit $rc; $probs $(grep -m3 '^CHART' "$TMP/raw.irq" | tr '\n' '|')"
fi

# An application that goes: its charts again with 'obsolete', once its rows retire.
"$PLUGIN" 1 --modules vfs --series-retention 2 >"$TMP/raw.retire" 2>"$TMP/raw.retire.err" &
pid=$!
if wait_for_text "$TMP/raw.retire.err" "capabilities after attach"; then
	gone=$(unique_name ndgo)
	"$WORKLOAD" rw "$gone" 3 10 >/dev/null || not_ok "rw workload failed"
	for _ in $(seq 100); do
		grep -q "^CHART app.${gone}_ebpf_call_vfs_write .* 'obsolete' " "$TMP/raw.retire" && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait_exit "$pid"
	defined=$(grep -c "^CHART app.${gone}_ebpf_call_vfs_write .* 'store_first' " "$TMP/raw.retire")
	obsolete=$(grep -c "^CHART app.${gone}_ebpf_call_vfs_write .* 'obsolete' " "$TMP/raw.retire")
	after=$(sed -n "/^CHART app.${gone}_ebpf_call_vfs_write .* 'obsolete' /,\$p" "$TMP/raw.retire" | grep -c "^BEGIN app.${gone}_")
	if [ "$defined" -eq 1 ] && [ "$obsolete" -eq 1 ] && [ "$after" -eq 0 ] &&
		[ -z "$(python3 -c "$PROTO_CHECK" <"$TMP/raw.retire" 2>/dev/null)" ]; then
		ok "a retired application's chart: defined once, obsolete once (series retention 2 s), no update after"
	else
		not_ok "retired application: defined $defined, obsolete $obsolete, updates after $after"
	fi
else
	kill -KILL "$pid" 2>/dev/null
	not_ok "ebpfmon.plugin did not attach: $(head -c 300 "$TMP/raw.retire.err")"
fi

# --- DISABLE and bad arguments -------------------------------------------------
out=$("$PLUGIN" 1 --modules mdflush 2>"$TMP/disable.err")
rc=$?
if [ "$out" = DISABLE ] && [ $rc -eq 1 ]; then
	ok "no module can run (mdflush here): DISABLE on stdout, exit 1"
else
	not_ok "no module: stdout '$out', exit $rc"
fi
if command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PLUGIN" 1 2>"$TMP/nobody.err")
	rc=$?
	if [ "$out" = DISABLE ] && [ $rc -eq 1 ]; then
		ok "no privileges: DISABLE on stdout, exit 1 ($(head -1 "$TMP/nobody.err"))"
	else
		not_ok "no privileges: stdout '$out', exit $rc"
	fi
else
	not_ok "setpriv missing (util-linux)"
fi
for arg in 0 x 1.5 -3; do
	"$PLUGIN" "$arg" >"$TMP/bad.out" 2>"$TMP/bad.err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] && [ ! -s "$TMP/bad.out" ]; then
		ok "UPDATE_EVERY '$arg': exit 2, one line: $(cat "$TMP/bad.err")"
	else
		not_ok "UPDATE_EVERY '$arg': exit $rc: $(head -c 200 "$TMP/bad.err")"
	fi
done

# --- SIGTERM and a closed stdout leave nothing attached -----------------------
"$PLUGIN" 1 --modules "$mods" >/dev/null 2>"$TMP/term.err" &
pid=$!
if wait_for_text "$TMP/term.err" "capabilities after attach"; then
	ids=$(held_bpf_ids "$pid")
	kill -TERM "$pid"
	wait_exit "$pid"
	rc=$?
	expect_eq "ebpfmon.plugin exit status after SIGTERM" "$rc" 0
	expect_gone "ebpfmon.plugin stopped by SIGTERM" "$ids"
else
	kill -KILL "$pid" 2>/dev/null
	not_ok "ebpfmon.plugin did not attach: $(head -c 300 "$TMP/term.err")"
fi
# The reader takes three lines once told to, then goes: the plugin's next write fails.
"$PLUGIN" 1 --modules "$mods" 2>"$TMP/pipe.err" > >(
	while [ ! -e "$TMP/go" ]; do sleep 0.1; done
	head -n 3 >"$TMP/pipe.out"
) &
pid=$!
if wait_for_text "$TMP/pipe.err" "capabilities after attach"; then
	ids=$(held_bpf_ids "$pid")
	touch "$TMP/go"
	wait_exit "$pid"
	rc=$?
	expect_eq "ebpfmon.plugin exit status when its reader went away" "$rc" 0
	expect_eq "the reader got the first lines" "$(head -c 6 "$TMP/pipe.out")" "CHART "
	expect_gone "ebpfmon.plugin stopped by a closed stdout" "$ids"
else
	kill -KILL "$pid" 2>/dev/null
	touch "$TMP/go"
	not_ok "ebpfmon.plugin did not attach: $(head -c 300 "$TMP/pipe.err")"
fi

# --- a real Netdata --------------------------------------------------------------
port=$(free_port)
nd=$TMP/netdata
mkdir -p "$nd"/{etc,log,cache,lib}
cat >"$nd/netdata.conf" <<EOF
[global]
	run as user = root
	hostname = ebpfmon-test
[db]
	mode = ram
	update every = 1
	retention = 600
[directories]
	config = $nd/etc
	stock config = /usr/lib/netdata/conf.d
	log = $nd/log
	cache = $nd/cache
	lib = $nd/lib
	plugins = $TMP/plugins
	home = $nd
[logs]
	debug log = none
	error = $nd/log/error.log
	access = none
[web]
	bind to = 127.0.0.1:$port
[plugins]
	enable running new plugins = no
	check for new plugins every = 3600
	proc = no
	diskspace = no
	cgroups = no
	tc = no
	idlejitter = no
	checks = no
	statsd = no
	timex = no
	netdata monitoring = no
	ebpfmon = yes
[plugin:ebpfmon]
	update every = 1
	command options = --modules $mods --cgroups yes
[ml]
	enabled = no
[health]
	enabled = no
[registry]
	enabled = no
EOF
ND_PID=
stop_netdata() {
	[ -n "$ND_PID" ] || return 0
	kill -TERM "$ND_PID" 2>/dev/null
	wait_exit "$ND_PID"
	ND_PID=
}
svc_dir= made_slice=
trap 'stop_netdata; [ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null
	[ -n "$svc_dir" ] && rmdir "$svc_dir" 2>/dev/null
	[ -n "$made_slice" ] && rmdir "$cg_root/system.slice" 2>/dev/null
	cleanup_lib' EXIT
DO_NOT_TRACK=1 "$NETDATA" -D -c "$nd/netdata.conf" -P "$nd/pid" >"$nd/stdout" 2>&1 &
ND_PID=$!
api="http://127.0.0.1:$port/api/v1"
for _ in $(seq 300); do
	curl -sf "$api/charts" -o "$TMP/charts.json" 2>/dev/null &&
		grep -q '"system.process_thread"' "$TMP/charts.json" && break
	kill -0 "$ND_PID" 2>/dev/null || break
	sleep 0.1
done
plugin_pid=$(sed -n "s/.*connected to '.*ebpfmon.plugin' running on pid \([0-9]*\).*/\1/p" "$nd/log/error.log" | tail -1)
if ! grep -q '"system.process_thread"' "$TMP/charts.json" 2>/dev/null || [ -z "$plugin_pid" ]; then
	not_ok "netdata did not show ebpfmon's charts: $(tail -5 "$nd/log/error.log" 2>/dev/null | tr '\n' ' ')"
	exit 0
fi
ok "netdata runs ebpfmon.plugin (pid $plugin_pid) from its plugins directory"
nd_ids=$(held_bpf_ids "$plugin_pid")

# (a) host charts: Netdata's ids and contexts.
for c in system.process_thread system.exit system.task_error system.process_status \
	filesystem.file_descriptor filesystem.file_error filesystem.vfs_io filesystem.vfs_io_bytes; do
	ctx=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["charts"].get(sys.argv[2]); print(c["context"] if c else "missing")' "$TMP/charts.json" "$c")
	expect_eq "netdata chart $c: context" "$ctx" "$c"
done

# (b), (c): a workload with known counts, seen by Netdata and by `ebpfmon run`.
start_run --modules "$mods" || exit 0
rw=$(unique_name ndrw)
fk=$(unique_name ndfk)
"$WORKLOAD" rw "$rw" 37 100 >"$TMP/rw.truth" || not_ok "rw workload failed"
"$WORKLOAD" forks "$fk" 5 >"$TMP/fk.truth" || not_ok "forks workload failed"
truth() { awk -v m="$2" '$1 == m { print $2 }' "$1"; }

# app chart, dimension, truth file, truth metric
checks=(
	"app.${rw}_ebpf_call_vfs_read calls rw vfs_read_calls_total"
	"app.${rw}_ebpf_call_vfs_write calls rw vfs_write_calls_total"
	"app.${rw}_ebpf_call_vfs_read_bytes bytes rw vfs_read_bytes_total"
	"app.${rw}_ebpf_call_vfs_write_bytes bytes rw vfs_write_bytes_total"
	"app.${rw}_ebpf_file_open calls rw fd_open_calls_total"
	"app.${rw}_ebpf_file_closed calls rw fd_close_calls_total"
	"app.${fk}_ebpf_process_start calls fk process_created_total"
	"app.${fk}_ebpf_task_exit calls fk process_exits_total"
)
# Until Netdata collected what `ebpfmon run` reports for every check (20 s at most).
asc() { curl -sf "$api/allmetrics?format=prometheus&data=as-collected" -o "$TMP/asc.prom"; }
asc_value() { # chart dimension
	awk -v c="chart=\"$1\"" -v d="dimension=\"$2\"" 'index($0, c) && index($0, d) { print $2; exit }' "$TMP/asc.prom"
}
for _ in $(seq 200); do
	asc
	scrape "$TMP/run.prom"
	done_all=1
	for chk in "${checks[@]}"; do
		set -- $chk
		want=$(truth "$TMP/$3.truth" "$4")
		[ "$(asc_value "$1" "$2")" = "$want" ] || done_all=0
	done
	[ $done_all = 1 ] && break
	sleep 0.1
done
# Let Netdata store a few more points with nothing new, so the window holds everything.
sleep 3
asc
scrape "$TMP/run.prom"
curl -sf "$api/charts" -o "$TMP/charts.json"
for chk in "${checks[@]}"; do
	set -- $chk
	chart=$1 dim=$2 app_name=${!3} metric=$4
	want=$(truth "$TMP/$3.truth" "$metric")
	# (b) the chart, its context and its label
	got=$(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["charts"].get(sys.argv[2])
print("missing" if not c else "%s %s" % (c["context"], c["chart_labels"].get("app_group", "-")))' "$TMP/charts.json" "$chart")
	expect_eq "$chart: context and app_group" "$got" "app.${chart#app.${app_name}_} $app_name"
	# (c) raw counter, sum over the window, Prometheus: each equal to the truth
	raw=$(asc_value "$chart" "$dim")
	sum=$(curl -sf "$api/data?chart=$chart&dimension=$dim&after=-120&points=120&group=sum&format=json" |
		python3 -c '
import json, sys
d = json.load(sys.stdin)["data"]
print(repr(sum(r[1] for r in d if r[1] is not None)))')
	prom=$(metric "$TMP/run.prom" "ebpfmon_app_$metric" "app=\"$app_name\"")
	# Netdata keeps float rates per second: their sum over the window is the count
	# up to float rounding (well below 0.01 here).
	close=$(python3 -c 'import sys; print(int(abs(float(sys.argv[1]) - int(sys.argv[2])) < 0.01))' "${sum:-nan}" "$want" 2>/dev/null)
	if [ "$raw" = "$want" ] && [ "$prom" = "$want" ] && [ "$close" = 1 ]; then
		ok "$chart: workload $want = Netdata collected $raw = sum of Netdata's per-second values $sum = Prometheus $prom"
	else
		not_ok "$chart: workload $want, Netdata collected '$raw', sum over the window '$sum', Prometheus '$prom'"
	fi
done
stop_run || not_ok "ebpfmon run exited with an error"

# Per cgroup and per systemd service: the workload alone in a cgroup of a system service
# (services are what is under system.slice, as Netdata's systemd.service.* charts).
cg_root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -n "$cg_root" ] && [ ! -d "$cg_root/system.slice" ]; then
	mkdir "$cg_root/system.slice" && made_slice=1
fi
svc_dir=$cg_root/system.slice/ebpfmon-nd-$$.service
if [ -n "$cg_root" ] && mkdir "$svc_dir"; then
	cgname=$(unique_name ndcg)
	# Each process joins the cgroup (a write to cgroup.procs, counted there too), then writes.
	WORKLOAD_CGROUP=$svc_dir "$WORKLOAD" short "$cgname" 4 100 >"$TMP/cg.truth" ||
		not_ok "short workload in a cgroup failed"
	want=$(truth "$TMP/cg.truth" vfs_write_calls_total)
	cgc=cgroup_system_slice_ebpfmon-nd-$$_service.vfs_write
	svc=systemd_ebpfmon-nd-$$_service.vfs_write
	for _ in $(seq 100); do
		asc
		[ "$(asc_value "$cgc" calls)" = "$want" ] && [ "$(asc_value "$svc" calls)" = "$want" ] && break
		sleep 0.1
	done
	curl -sf "$api/charts" -o "$TMP/charts.json"
	for c in "$cgc cgroup.vfs_write cgroup_name /system.slice/ebpfmon-nd-$$.service" \
		"$svc systemd.service.vfs_write service_name ebpfmon-nd-$$.service"; do
		set -- $c
		got=$(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["charts"].get(sys.argv[2])
print("missing" if not c else "%s %s" % (c["context"], c["chart_labels"].get(sys.argv[3], "-")))' "$TMP/charts.json" "$1" "$3")
		expect_eq "$1: context and $3" "$got" "$2 $4"
		expect_eq "$1: write calls Netdata collected (the workload's)" "$(asc_value "$1" calls)" "$want"
	done
	rmdir "$svc_dir" && svc_dir=
else
	not_ok "no cgroup2 hierarchy to make a cgroup in"
fi
[ -n "$made_slice" ] && rmdir "$cg_root/system.slice" && made_slice=

# Netdata stops its plugin when it stops: nothing left attached.
stop_netdata
for _ in $(seq 100); do
	kill -0 "$plugin_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$plugin_pid" 2>/dev/null; then
	not_ok "ebpfmon.plugin (pid $plugin_pid) still runs after netdata stopped"
	kill -KILL "$plugin_pid"
else
	ok "ebpfmon.plugin ended with netdata"
fi
expect_gone "ebpfmon.plugin under netdata" "$nd_ids"
