#!/usr/bin/env bash
# flows benchmark:
#  1. ns per packet of the TC program (BPF_PROG_TEST_RUN repeat) with 1, 10k
#     and 100k flows in the table, against an empty TC program;
#     (see tests/bpf/flows_bench.c for the columns: the per-CPU flow cache's
#     hit, its worst case, and the flow table alone; XDP);
#  2. packets per second of 64-byte UDP frames (sendmmsg) through a veth pair
#     between two namespaces: bare, with an empty program on TC (TCX) and on
#     XDP (what attaching anything there costs: veth takes another receive
#     path with XDP), and with `ebpfmon flows` on TC and on XDP; and
#     ebpfmon's count against the packets the interface received (and
#     tcpdump's, with its drop count, when tcpdump is installed).
#     FLOWS=N sends to N destination ports in turn (a new flow every packet).
# Medians of RUNS runs of SECONDS each. FLOWS_NAME_PREFIX names the
# namespaces and veths apart from others' (see tests/kernel/flows_lib.sh).
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-3} SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
ID=${ID:-bench$$}
FLOWS=${FLOWS:-1}
. tests/kernel/flows_lib.sh

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rx_packets() { inB ip -s -j link show dev "$VB" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }

echo "== TC program, ns per packet (BPF_PROG_TEST_RUN, 2M repeats, median of 5)"
"$BUILD/tests/bpf/flows_bench" || exit 1

setup_pair v4only || { echo "bench: namespace setup failed" >&2; exit 1; }
PAYLOAD=22 # 14 + 20 + 8 + 22 = 64-byte frames
echo
# An empty program on TC or XDP of $VB, held until stop_empty.
start_empty() {
	local err=$TMP/empty.err
	: >"$err"
	nsenter --net="/run/netns/$NB" "$BUILD/tests/bpf/flows_bench" empty "$1" "$VB" 2>"$err" &
	EPID=$!
	PIDS+=("$EPID")
	for _ in $(seq 100); do
		grep -q '^attached$' "$err" && return 0
		kill -0 "$EPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: empty $1 program did not attach: $(head -c 300 "$err")" >&2
	return 1
}
stop_empty() { kill -INT "$EPID"; wait "$EPID"; }

# The packets of the flood's flows (source port 40001, to ports 50001 and up) in the report.
counted_flood() {
	python3 - "$1" "$FLOWS" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
print(sum(f["packets"] for f in doc["flows"] if f["direction"] == "ingress"
          and f["srcPort"] == 40001 and 50001 <= f["dstPort"] < 50001 + n))
EOF
}

echo "== 64-byte UDP through veth, ${SECONDS_PER_RUN}s runs, median of $RUNS, $FLOWS flow(s)"
MODES="bare tc-empty tc xdp-empty xdp"
declare -A PPS RATES EXACT
# Modes take turns within each round, so that a machine whose speed drifts
# (other work on it) weighs on every mode alike.
for run in $(seq "$RUNS"); do
	for mode in $MODES; do
		case $mode in
		tc) start_flows "$NB" -i "$VB" -j -t 120s || exit 1 ;;
		xdp) start_flows "$NB" -i "$VB" -j -t 120s -x || exit 1 ;;
		tc-empty) start_empty tc || exit 1 ;;
		xdp-empty) start_empty xdp || exit 1 ;;
		esac
		before=$(rx_packets)
		sent=$(inA "$SEND" flood 10.77.0.2 50001 "$SECONDS_PER_RUN" $PAYLOAD 40001 "$FLOWS" | awk '{ print $2 }')
		sleep 0.3
		after=$(rx_packets)
		rx=$((after - before))
		RATES[$mode]+="$((rx / SECONDS_PER_RUN)) "
		case $mode in
		tc | xdp)
			stop_flows INT
			counted=$(counted_flood "$FOUT")
			EXACT[$mode]+="      sent=$sent rx=$rx counted=$counted $([ "$counted" = "$rx" ] && echo exact || echo DIFF)"$'\n' ;;
		*-empty) stop_empty ;;
		esac
	done
done
for mode in $MODES; do
	PPS[$mode]=$(printf '%s\n' ${RATES[$mode]} | median)
	printf '%-9s %10s pps' "$mode" "${PPS[$mode]}"
	[ $mode != bare ] && printf '  (%.1f%% of bare' "$(echo "${PPS[$mode]} ${PPS[bare]}" | awk '{ print 100 * $1 / $2 }')"
	case $mode in
	tc | xdp) printf ', %.1f%% of %s-empty)' "$(echo "${PPS[$mode]} ${PPS[$mode-empty]}" | awk '{ print 100 * $1 / $2 }')" $mode ;;
	*-empty) printf ')' ;;
	esac
	echo "  (runs: ${RATES[$mode]% })"
	printf '%s' "${EXACT[$mode]:-}"
done

if command -v tcpdump >/dev/null; then
	echo
	echo "== counts at full rate: ebpfmon (TC) and tcpdump side by side"
	start_flows "$NB" -i "$VB" -j -t 120s || exit 1
	# Not through the inB function: $! must be tcpdump itself, not a subshell.
	ip netns exec "$NB" tcpdump -i "$VB" -n -q -w /dev/null udp 2>"$TMP/tcpdump.err" &
	tpid=$!; PIDS+=($tpid); sleep 1
	before=$(rx_packets)
	inA "$SEND" flood 10.77.0.2 50001 "$SECONDS_PER_RUN" $PAYLOAD 40001 "$FLOWS" >/dev/null
	sleep 0.5
	after=$(rx_packets)
	kill -INT $tpid; wait $tpid
	stop_flows INT
	counted=$(counted_flood "$FOUT")
	echo "interface rx $((after - before)), ebpfmon $counted, tcpdump: $(grep -E 'captured|dropped' "$TMP/tcpdump.err" | tr '\n' ' ')"
fi
