#!/usr/bin/env bash
# flows benchmark:
#  1. ns per packet of the TC program (BPF_PROG_TEST_RUN repeat) with 1, 10k
#     and 100k flows in the table, against an empty TC program;
#  2. packets per second of 64-byte UDP frames (sendmmsg) through a veth pair
#     between two namespaces: bare, with `ebpfmon flows` on TC, on XDP;
#     and ebpfmon's count against the packets the interface received
#     (and tcpdump's, with its drop count, when tcpdump is installed).
# Medians of RUNS runs of SECONDS each.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-3} SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
ID=bench$$
. tests/kernel/flows_lib.sh

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rx_packets() { inB ip -s -j link show dev "$VB" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }

echo "== TC program, ns per packet (BPF_PROG_TEST_RUN, 2M repeats, median of 5)"
"$BUILD/tests/bpf/flows_bench" || exit 1

setup_pair v4only || { echo "bench: namespace setup failed" >&2; exit 1; }
PAYLOAD=22 # 14 + 20 + 8 + 22 = 64-byte frames
echo
echo "== 64-byte UDP through veth, ${SECONDS_PER_RUN}s runs, median of $RUNS"
declare -A PPS
for mode in bare tc xdp; do
	rates=() exact=()
	for run in $(seq "$RUNS"); do
		args=()
		[ $mode = xdp ] && args=(-x)
		if [ $mode != bare ]; then
			start_flows "$NB" -i "$VB" -j -t 120s "${args[@]}" || exit 1
		fi
		before=$(rx_packets)
		sent=$(inA "$SEND" flood 10.77.0.2 50001 "$SECONDS_PER_RUN" $PAYLOAD 40001 | awk '{ print $2 }')
		sleep 0.3
		after=$(rx_packets)
		rx=$((after - before))
		rates+=("$((rx / SECONDS_PER_RUN))")
		if [ $mode != bare ]; then
			stop_flows INT
			counted=$(flow_of "$FOUT" 'f["srcPort"]==40001 and f["direction"]=="ingress"' | awk '{ print $1 }')
			exact+=("sent=$sent rx=$rx counted=$counted $([ "$counted" = "$rx" ] && echo exact || echo DIFF)")
		fi
	done
	PPS[$mode]=$(printf '%s\n' "${rates[@]}" | median)
	printf '%-5s %10s pps' "$mode" "${PPS[$mode]}"
	[ $mode != bare ] && printf '  (%.1f%% of bare)' "$(echo "${PPS[$mode]} ${PPS[bare]}" | awk '{ print 100 * $1 / $2 }')"
	echo
	for e in "${exact[@]}"; do echo "      $e"; done
done

if command -v tcpdump >/dev/null; then
	echo
	echo "== counts at full rate: ebpfmon (TC) and tcpdump side by side"
	start_flows "$NB" -i "$VB" -j -t 120s || exit 1
	# Not through the inB function: $! must be tcpdump itself, not a subshell.
	ip netns exec "$NB" tcpdump -i "$VB" -n -q -w /dev/null udp 2>"$TMP/tcpdump.err" &
	tpid=$!; PIDS+=($tpid); sleep 1
	before=$(rx_packets)
	inA "$SEND" flood 10.77.0.2 50001 "$SECONDS_PER_RUN" $PAYLOAD 40001 >/dev/null
	sleep 0.5
	after=$(rx_packets)
	kill -INT $tpid; wait $tpid
	stop_flows INT
	counted=$(flow_of "$FOUT" 'f["srcPort"]==40001 and f["direction"]=="ingress"' | awk '{ print $1 }')
	echo "interface rx $((after - before)), ebpfmon $counted, tcpdump: $(grep -E 'captured|dropped' "$TMP/tcpdump.err" | tr '\n' ' ')"
fi
