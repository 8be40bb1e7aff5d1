#!/usr/bin/env bash
# flows: SIGKILL at random moments of start-up, in every mode (TCX, clsact with
# and without an operator's filter on the qdisc, XDP, cgroup hooks, the agent),
# then the next start: nothing of ours may remain after it (filters, qdisc, XDP,
# programs) and the operator's filter must survive. Kernel links (TCX, XDP,
# cgroup) must leave nothing even before the next start. Only this test's
# namespaces and cgroup are looked at: other tests may run beside it. The clsact leftovers a
# kill causes are the next start's to remove, with one line saying so.
cd "$(dirname "$0")/../.." || exit 1
. tests/kernel/flows_lib.sh

setup_pair v4only || { nok "setting up namespaces and veth"; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MAX_MS=${FLOWS_KILL_MAX_MS:-400} # start-up to "attached" takes 170-300 ms here

# Process mode attaches in a cgroup of this test's own, so what other tests on
# the machine attach elsewhere does not count.
CG=$CG2ROOT/flowskill$ID
mkdir "$CG" || { nok "creating cgroup $CG"; exit 1; }
cleanup_cg() { rmdir "$CG" 2>/dev/null; cleanup; }
trap cleanup_cg EXIT

# What of ours is on $VB or in $CG, as "2 filters,clsact qdisc,..."; empty when
# nothing. $1 = 1 when the operator's qdisc and filter are there (the qdisc is
# theirs then). Programs in GONE_IDS must not exist.
our_filters() {
	(inB tc filter show dev "$VB" ingress; inB tc filter show dev "$VB" egress) 2>/dev/null |
		grep 'ebpfmon_tc_\|flows_tc_'
}
GONE_IDS=
leftovers() {
	local op=$1 n out=() id
	n=$(our_filters | grep -c .)
	[ "$n" -gt 0 ] && out+=("$n filters")
	if [ "$op" = 0 ] && inB tc qdisc show dev "$VB" | grep -q clsact; then out+=("clsact qdisc"); fi
	n=$(tcx_links "$NB" "$VB")
	[ "$n" != 0 ] && out+=("$n tcx links")
	inB ip link show dev "$VB" | grep -q 'xdp' && out+=("xdp")
	n=$(bpftool cgroup show "$CG" 2>/dev/null | grep -c '^[0-9]')
	[ "$n" -gt 0 ] && out+=("$n cgroup programs")
	for id in $GONE_IDS; do
		bpftool prog show id "$id" >/dev/null 2>&1 && out+=("program $id")
	done
	local IFS=,
	echo "${out[*]}"
}

# A killed process's links go a moment after it; wait for that.
settled() { # op
	local left
	for _ in $(seq 40); do
		left=$(leftovers "$1")
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	echo "$left"
	return 1
}

operator_filter_there() {
	inB tc filter show dev "$VB" ingress | grep -q 'pref 7 u32'
}

# Start a flows run or the agent in $NB; sets KPID and KERR.
launch() { # kind, args...
	local kind=$1; shift
	KERR=$TMP/kill.err.$RANDOM
	if [ "$kind" = agent ]; then
		nsenter --net="/run/netns/$NB" "$EBPFMON" run --modules flows --flows-iface "$VB" \
			--listen "127.0.0.1:$PORT" >/dev/null 2>"$KERR" &
	else
		# shellcheck disable=SC2086 # KENV: zero or more VAR=value words
		env ${KENV:-} nsenter --net="/run/netns/$NB" "$EBPFMON" flows -i "$VB" -t 60s "$@" \
			>/dev/null 2>"$KERR" &
	fi
	KPID=$!
	PIDS+=("$KPID")
}

# Wait for "attached" (flows) or "serving" (agent); 0 when it came.
ready() {
	local _
	for _ in $(seq 200); do
		grep -q '^attached$\|serving http' "$KERR" 2>/dev/null && return 0
		kill -0 "$KPID" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

# One iteration: start, SIGKILL at a moment, look, start again normally, stop, look.
#   when: "random" (0..MAX_MS ms after exec) or "attached" (right after it said so)
iteration() { # label, kind (flows|agent), op (0|1), when, flows args...
	local label=$1 kind=$2 op=$3 when=$4 at="after attach" after_kill next_err attached=no ms
	shift 4
	if [ "$op" = 1 ]; then
		inB tc qdisc add dev "$VB" clsact
		inB tc filter add dev "$VB" ingress prio 7 u32 match u32 0 0
	fi
	launch "$kind" "$@"
	if [ "$when" = attached ]; then
		ready && attached=yes
	else
		ms=$((RANDOM % MAX_MS)) at="at $ms ms"
		sleep "$(printf '0.%03d' "$ms")"
		grep -q '^attached$\|serving http' "$KERR" 2>/dev/null && attached=yes
	fi
	kill -KILL "$KPID" 2>/dev/null
	wait "$KPID" 2>/dev/null
	after_kill=$(leftovers "$op")
	# The programs the kill left must be gone after the next start.
	GONE_IDS=$(our_filters | sed -n 's/.* id \([0-9]*\) .*/\1/p')
	echo "# $label: SIGKILL $at (attached: $attached): left ${after_kill:-nothing}"
	case "$label" in
	tcx* | xdp* | process* | agent*)
		# Kernel links die with the process: nothing even before the next start.
		local now
		now=$(settled "$op") || nok "$label: links leave nothing at SIGKILL $at: $now"
		;;
	esac
	launch "$kind" "$@"
	if ready; then
		kill -TERM "$KPID"
		wait "$KPID"
	else
		nok "$label: the next start comes up: $(head -c 300 "$KERR")"
		kill -KILL "$KPID" 2>/dev/null
		wait "$KPID" 2>/dev/null
	fi
	next_err=$KERR
	local left
	if left=$(settled "$op"); then
		ok "$label: nothing of ours after the next start (killed $at)"
	else
		nok "$label: left after the next start (killed $at): $left"
	fi
	if [ -n "$after_kill" ] && [ "$after_kill" != "${after_kill/filters/}" ]; then
		local n
		n=$(grep -c 'removed what a killed ebpfmon left' "$next_err")
		check "$label: the next start says in one line what it removed ($n)" [ "$n" = 1 ]
		REMOVED=$((REMOVED + 1))
	fi
	if [ "$op" = 1 ]; then
		check "$label: the operator's filter on the clsact qdisc survives" operator_filter_there
		inB tc qdisc del dev "$VB" clsact 2>/dev/null
	fi
	GONE_IDS=
}

REMOVED=0
t0=$(date +%s%N)
# 20 iterations: every mode, random moments; clsact also right after attach,
# which is the moment that leaves filters (and a qdisc we created) for sure.
iteration "tcx 1" flows 0 random
iteration "clsact 1" flows 0 random --tc-hook clsact
iteration "clsact+operator 1" flows 1 random --tc-hook clsact
iteration "xdp 1" flows 0 random -x
iteration "process 1" flows 0 random -c "$CG"
iteration "agent 1" agent 0 random
iteration "clsact at attach" flows 0 attached --tc-hook clsact
iteration "clsact+operator at attach" flows 1 attached --tc-hook clsact
iteration "tcx 2" flows 0 random
iteration "clsact 2" flows 0 random --tc-hook clsact
iteration "xdp 2" flows 0 random -x --xdp-mode generic
iteration "process 2" flows 0 random -c "$CG"
iteration "agent 2" agent 0 random
iteration "clsact+operator 2" flows 1 random --tc-hook clsact
iteration "tcx 3" flows 0 random
iteration "clsact 3" flows 0 random --tc-hook clsact
iteration "xdp 3" flows 0 random -x
iteration "process 3" flows 0 attached -c "$CG"
iteration "agent 3" agent 0 attached

# A killed clsact run, then the agent: the agent is the next start that cleans.
launch flows --tc-hook clsact
ready
kill -KILL "$KPID"; wait "$KPID" 2>/dev/null
left=$(leftovers 0)
echo "# clsact then agent: SIGKILL after attach: left ${left:-nothing}"
check "clsact then agent: the kill left our filters to clean ($left)" [ -n "$left" ]
launch agent
if ready; then
	n=$(grep -c 'removed what a killed ebpfmon left' "$KERR")
	check "clsact then agent: the agent removes them and says so in one line ($n)" [ "$n" = 1 ]
	kill -TERM "$KPID"; wait "$KPID"
else
	nok "clsact then agent: the agent comes up: $(head -c 300 "$KERR")"
fi
if left=$(settled 0); then ok "clsact then agent: nothing of ours after it"; else nok "clsact then agent: left $left"; fi

# Killed between creating the qdisc and putting our first filter on it (the
# test stretches that moment): the qdisc carries no mark yet, /run/ebpfmon does.
KENV=EBPFMON_TEST_CLSACT_PAUSE_MS=3000 launch flows --tc-hook clsact
for _ in $(seq 200); do inB tc qdisc show dev "$VB" | grep -q clsact && break; sleep 0.02; done
kill -KILL "$KPID"; wait "$KPID" 2>/dev/null
left=$(leftovers 0)
echo "# clsact qdisc without filters: left ${left:-nothing}"
check "killed between qdisc and filters: the bare qdisc is left ($left)" [ "$left" = "clsact qdisc" ]
launch flows --tc-hook clsact
if ready; then
	check "killed between qdisc and filters: the next start removes it and says so" \
		grep -q 'removed the empty clsact qdisc a killed ebpfmon created' "$KERR"
	kill -TERM "$KPID"; wait "$KPID"
else
	nok "killed between qdisc and filters: the next start comes up: $(head -c 300 "$KERR")"
fi
if left=$(settled 0); then ok "killed between qdisc and filters: nothing of ours after the next start"; else nok "killed between qdisc and filters: left $left"; fi
# An operator's empty clsact qdisc is theirs: a start must not take it.
inB tc qdisc add dev "$VB" clsact
launch flows --tc-hook clsact
ready; kill -TERM "$KPID"; wait "$KPID"
check "an operator's empty clsact qdisc stays" sh -c "ip netns exec $NB tc qdisc show dev $VB | grep -q clsact"
inB tc qdisc del dev "$VB" clsact

t1=$(date +%s%N)
echo "# 20 kill iterations in $(( (t1 - t0) / 1000000 )) ms; $REMOVED left clsact objects that the next start removed"
check "at least one kill left clsact filters that the next start removed ($REMOVED)" [ "$REMOVED" -ge 2 ]
check "no state file left in /run/ebpfmon" sh -c "! ls /run/ebpfmon/clsact-* >/dev/null 2>&1"
