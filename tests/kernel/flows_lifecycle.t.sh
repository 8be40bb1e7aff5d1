#!/usr/bin/env bash
# flows: stopping on timeout, SIGTERM and SIGKILL leaves no program, filter
# or XDP attachment of ours (TCX, XDP, cgroup links); the clsact fallback
# keeps a qdisc it did not create; a small table evicts, totals stay exact;
# bad input exits 2 with one line.
cd "$(dirname "$0")/../.." || exit 1
. tests/kernel/flows_lib.sh

setup_pair || { nok "setting up namespaces and veth"; exit 1; }

for mode in "tcx:" "xdp:-x" "process:-p" "clsact:--tc-hook clsact"; do
	label=${mode%%:*} args=${mode#*:}
	# shellcheck disable=SC2086
	if start_flows "$NB" -i "$VB" -t 1s $args; then
		wait "$FPID"; rc=$?
		check "$label: exits 0 at timeout (rc $rc)" [ $rc = 0 ]
		check "$label: the report has flows and totals" grep -q '^totals' "$FOUT"
		check "$label: nothing left after timeout" nothing_left "$NB" "$VB"
	else
		nok "$label: attaches"
	fi
	# shellcheck disable=SC2086
	if start_flows "$NB" -i "$VB" -t 60s $args; then
		check "$label: exits 0 on SIGTERM" stop_flows TERM
		check "$label: nothing left after SIGTERM" nothing_left "$NB" "$VB"
	else
		nok "$label: attaches"
	fi
	[ "$label" = clsact ] && continue # clsact filters outlive a kill: flows_kill.t.sh
	# shellcheck disable=SC2086
	if start_flows "$NB" -i "$VB" -t 60s $args; then
		kill -KILL "$FPID"; wait "$FPID" 2>/dev/null
		check "$label: nothing left after SIGKILL (links)" nothing_left "$NB" "$VB"
	else
		nok "$label: attaches"
	fi
done

# clsact fallback: a qdisc that was there before stays, our filters go.
inB tc qdisc add dev "$VB" clsact
if start_flows "$NB" -i "$VB" -t 60s --tc-hook clsact; then
	n=$(inB tc filter show dev "$VB" ingress | grep -c 'handle 0xeb9f0000 ebpfmon_tc_in:')
	check "clsact: our filter is on the existing qdisc ($n)" [ "$n" = 1 ]
	stop_flows INT
	check "clsact: the qdisc we did not create stays" sh -c "ip netns exec $NB tc qdisc show dev $VB | grep -q clsact"
	check "clsact: our filters are gone" [ -z "$(inB tc filter show dev "$VB" ingress)$(inB tc filter show dev "$VB" egress)" ]
else
	nok "clsact on an existing qdisc attaches"
fi
inB tc qdisc del dev "$VB" clsact

# A 4-entry table and 20 flows: evictions counted, totals exact.
if start_flows "$NB" -i "$VB" -j -t 60s --max-entries 4; then
	for p in $(seq 41001 41020); do inA "$SEND" udp 10.77.0.2 50001 5 64 $p >/dev/null; done
	sleep 0.2
	stop_flows INT
	res=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = sum(x["packets"] for x in d["totals"] if x["proto"] == "UDP" and x["direction"] == "ingress")
print(t, d["evictedFlows"], len(d["flows"]))' "$FOUT")
	set -- $res
	check "max-entries 4: UDP ingress totals exact past the table: 100 packets ($1)" [ "$1" = 100 ]
	check "max-entries 4: at least 16 evictions counted ($2), table holds <= 4 ($3)" [ "$2" -ge 16 -a "$3" -le 4 ]
else
	nok "--max-entries 4 attaches"
fi

# No packet at all (an idle loopback): an empty report, in text and JSON.
inB "$EBPFMON" flows -i lo -t 300ms -j >"$TMP/idle.json" 2>"$TMP/idle.err"
rc=$?
check "no packet: exits 0 ($rc) with an empty JSON flow list" sh -c "[ $rc = 0 ] && python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))[\"flows\"] != [])' '$TMP/idle.json'"
inB "$EBPFMON" flows -i lo -t 300ms -x >"$TMP/idle.txt" 2>"$TMP/idle.err"
rc=$?
check "no packet at XDP: exits 0 ($rc) with the text report" sh -c "[ $rc = 0 ] && grep -q '^totals' '$TMP/idle.txt'"

# -g with stdout redirected: the text report, no terminal escapes, a note on stderr.
inB env TERM=xterm "$EBPFMON" flows -g -i "$VB" -t 300ms >"$TMP/g.out" 2>"$TMP/g.err"
rc=$?
check "-g redirected: exits 0 ($rc)" [ $rc = 0 ]
check "-g redirected: no terminal escapes in the file" sh -c "! grep -q \$(printf '\033') '$TMP/g.out'"
check "-g redirected: the text report is in the file" grep -q '^totals' "$TMP/g.out"
check "-g redirected: says so in one line" grep -q 'standard output is not a terminal; no live table' "$TMP/g.err"
# On a terminal (a pty from script(1)): the live table; with an unknown TERM,
# the text report instead of curses exiting with our programs attached.
inB script -qec "TERM=xterm $EBPFMON flows -g -i $VB -t 1500ms" /dev/null >"$TMP/g.pty" 2>&1
rc=$?
check "-g on a terminal: exits 0 ($rc) having drawn the live table" sh -c "[ $rc = 0 ] && grep -aq 'ebpfmon flows  tc (tcx) on $VB' '$TMP/g.pty'"
inB script -qec "TERM=nosuchterm $EBPFMON flows -g -i $VB -t 300ms --tc-hook clsact" /dev/null >"$TMP/g.pty" 2>&1
rc=$?
check "-g with an unknown TERM: exits 0 ($rc) with the text report" sh -c "[ $rc = 0 ] && grep -aq '^totals' '$TMP/g.pty'"
check "-g with an unknown TERM: says why there is no live table" grep -aq "terminal type is unknown: 'nosuchterm'; set TERM" "$TMP/g.pty"
check "-g with an unknown TERM: nothing left" nothing_left "$NB" "$VB"

# Bad input.
bad() { # description, expected rc, stderr pattern, args...
	local what=$1 want=$2 pat=$3; shift 3
	inB "$EBPFMON" flows "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"
	local rc=$? lines
	lines=$(wc -l <"$TMP/bad.err")
	if [ $rc = "$want" ] && grep -q -- "$pat" "$TMP/bad.err" && [ "$lines" -le 2 ]; then
		ok "$what"
	else
		nok "$what: rc $rc, stderr: $(head -c 300 "$TMP/bad.err")"
	fi
}
bad "unknown interface: exit 2, says so and lists the existing ones" 2 "interfaces here: lo $VB" -i nosuch0
bad "bad --timeout: exit 2, one line" 2 "bad --timeout" -t 5x
bad "bad --refresh: exit 2" 2 "bad --refresh" -r -1s
bad "--max-entries 0: exit 2" 2 "bad --max-entries" --max-entries 0
bad "--max-entries abc: exit 2" 2 "bad --max-entries" --max-entries abc
bad "unknown --sort: exit 2" 2 "unknown --sort" --sort speed
bad "unknown --xdp-mode: exit 2" 2 "unknown --xdp-mode" --xdp-mode turbo
bad "--json with --tui: exit 2" 2 "exclude" -j -g
bad "stray argument: exit 2" 2 "unexpected argument" -i "$VB" extra
bad "-c /tmp: a directory, not a cgroup (nor a config file): exit 2" 2 "'/tmp': a directory but not a cgroup v2 one; give a cgroup directory (-c is --cgroup here, not a configuration file)" -c /tmp
bad "-c on a file: exit 2" 2 "a file, not a cgroup v2 directory" -c /etc/hostname
bad "-c on nothing: exit 2" 2 "No such file or directory; give a cgroup directory" -c /nonexistent
bad "XDP offload on veth: names the mode and the reason" 1 "XDP mode offload not possible on $VB" -i "$VB" --xdp-mode offload -t 1s
check "nothing left after the failed offload" nothing_left "$NB" "$VB"
