#!/usr/bin/env bash
# flows: exactly N UDP datagrams of S bytes (IPv4 and IPv6) between two
# namespaces give one flow with N packets and N x frame-length bytes on the
# receiving veth, through TCX, clsact, XDP native and XDP generic; the JSON
# goes through a real parser; nothing of ours is left attached afterwards.
cd "$(dirname "$0")/../.." || exit 1
. tests/kernel/flows_lib.sh

N4=1000 S4=200 N6=500 S6=300
FRAME4=$((14 + 20 + 8 + S4)) FRAME6=$((14 + 40 + 8 + S6))

setup_pair || { nok "setting up namespaces and veth"; exit 1; }

run_mode() { # label, flows args...
	local label=$1; shift
	if ! start_flows "$NB" -i "$VB" -j -t 60s "$@"; then
		nok "$label: attaches"; return
	fi
	inA "$SEND" udp 10.77.0.2 50001 $N4 $S4 40001 >/dev/null &&
	inA "$SEND" udp fd77::2 50002 $N6 $S6 40002 >/dev/null || nok "$label: sending"
	sleep 0.2
	check "$label: exits 0 on SIGINT" stop_flows INT
	check "$label: JSON parses (python3 json)" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$FOUT"
	local got
	got=$(flow_of "$FOUT" 'f["srcIp"]=="10.77.0.1" and f["srcPort"]==40001 and f["dstIp"]=="10.77.0.2" and f["dstPort"]==50001 and f["proto"]=="UDP" and f["direction"]=="ingress"')
	check "$label: IPv4 UDP flow has $N4 packets, $((N4 * FRAME4)) bytes (got $got)" [ "$got" = "$N4 $((N4 * FRAME4))" ]
	got=$(flow_of "$FOUT" 'f["srcIp"]=="fd77::1" and f["srcPort"]==40002 and f["dstIp"]=="fd77::2" and f["dstPort"]==50002 and f["proto"]=="UDP" and f["direction"]=="ingress"')
	check "$label: IPv6 UDP flow has $N6 packets, $((N6 * FRAME6)) bytes (got $got)" [ "$got" = "$N6 $((N6 * FRAME6))" ]
	got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = sum(t["packets"] for t in d["totals"]); f = sum(f["packets"] for f in d["flows"])
print("ok" if p == f and d["evictedFlows"] == 0 else "totals %d flows %d" % (p, f))' "$FOUT")
	check "$label: totals equal the sum of the flows ($got)" [ "$got" = ok ]
	check "$label: nothing left attached after SIGINT" nothing_left "$NB" "$VB"
}

run_mode "tc (tcx)"
grep -q '"hook": "tc (tcx)"' "$FOUT" && ok "default TC hook is TCX here" || nok "default TC hook is TCX here: $(head -c 100 "$FOUT")"
run_mode "tc (clsact)" --tc-hook clsact
run_mode "xdp native" -x --xdp-mode native
grep -q '"ingressOnly": true' "$FOUT" && ok "XDP report says ingress only" || nok "XDP report says ingress only"
run_mode "xdp generic" --xdp-mode generic
run_mode "xdp auto" -x
grep -q '"hook": "xdp (native)"' "$FOUT" && ok "XDP auto picks native on veth" || nok "XDP auto picks native on veth"
