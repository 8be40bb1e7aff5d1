#!/usr/bin/env bash
# flows inside the agent: `ebpfmon run --modules flows` exports exact
# per-interface, per-direction, per-protocol totals to Prometheus, passes
# promtool, and leaves nothing attached after SIGTERM.
cd "$(dirname "$0")/../.." || exit 1
. tests/kernel/flows_lib.sh

N=700 S=120
FRAME=$((14 + 20 + 8 + S))
setup_pair v4only || { nok "setting up namespaces and veth"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ip netns exec "$NB" "$EBPFMON" run --modules flows --flows-iface "$VB" --listen "127.0.0.1:$port" >/dev/null 2>"$TMP/run.err" &
agent=$!
PIDS+=("$agent")
up=
for _ in $(seq 100); do
	inB curl -sf "http://127.0.0.1:$port/metrics" -o "$TMP/m" && grep -q '^ebpfmon_module_up{module="flows"} 1' "$TMP/m" && { up=1; break; }
	sleep 0.1
done
check "run --modules flows is up on $VB" [ -n "$up" ]
inA "$SEND" udp 10.77.0.2 50001 $N $S 40001 >/dev/null || nok "sending"
sleep 2.2 # two collections
inB curl -sf "http://127.0.0.1:$port/metrics" -o "$TMP/m" || nok "scrape"

labels="iface=\"$VB\",direction=\"ingress\",proto=\"UDP\""
got=$(awk -v k="ebpfmon_flows_packets_total{$labels}" '$1 == k { print $2 }' "$TMP/m")
check "ebpfmon_flows_packets_total{$labels} = $N (got $got)" [ "$got" = "$N" ]
got=$(awk -v k="ebpfmon_flows_bytes_total{$labels}" '$1 == k { print $2 }' "$TMP/m")
check "ebpfmon_flows_bytes_total{$labels} = $((N * FRAME)) (got $got)" [ "$got" = "$((N * FRAME))" ]
check "/metrics with flows passes promtool check metrics" sh -c "promtool check metrics <'$TMP/m' >/dev/null 2>&1"
if grep -q 'srcIp\|srcPort\|dst=' "$TMP/m"; then nok "no per-flow series in Prometheus"; else ok "no per-flow series in Prometheus"; fi

cat "$TMP/run.err" | sed "s/^/# /"
kill -TERM "$agent"
wait "$agent"
check "run exits 0 on SIGTERM" [ $? -eq 0 ]
check "nothing left attached on $VB after SIGTERM" nothing_left "$NB" "$VB"
