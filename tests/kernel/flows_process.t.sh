#!/usr/bin/env bash
# flows -p / -c: cgroup_skb + socket hooks name the sending process; bytes
# are L3; -c PATH counts only sockets of that cgroup.
cd "$(dirname "$0")/../.." || exit 1
. tests/kernel/flows_lib.sh

N=300 S=100
setup_pair || { nok "setting up namespaces and veth"; exit 1; }
CGROOT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$CGROOT" ] || { nok "cgroup v2 mounted"; exit 1; }
CG=$CGROOT/ebpfmon-flows-test-$ID
cleanup_cg() { [ -d "$CG" ] && { cat "$CG/cgroup.procs" 2>/dev/null | while read -r p; do echo "$p" >"$CGROOT/cgroup.procs"; done; rmdir "$CG"; }; }
trap 'cleanup_cg; cleanup' EXIT

# -p -i: only this namespace's interface, every cgroup.
if start_flows "$NA" -p -i "$VA" -j -t 60s; then
	nsenter --net="/run/netns/$NA" "$SEND" udp 10.77.0.2 50001 $N $S 40001 >/dev/null &
	spid=$!; PIDS+=($spid); wait $spid
	nsenter --net="/run/netns/$NA" "$SEND" udp fd77::2 50002 $N $S 40002 >/dev/null &
	spid6=$!; PIDS+=($spid6); wait $spid6
	sleep 0.2
	check "process mode: exits 0 on SIGINT" stop_flows INT
	got=$(flow_of "$FOUT" "f['srcPort']==40001 and f['dstPort']==50001 and f['direction']=='egress' and f['proto']=='UDP'")
	check "process mode: IPv4 flow has $N packets, $((N * (20 + 8 + S))) L3 bytes (got $got)" [ "$got" = "$N $((N * (20 + 8 + S)))" ]
	got=$(flow_of "$FOUT" "f['srcPort']==40001 and f['pid']==$spid and f['comm']=='flows_send' and f['cgroup']!=''")
	check "process mode: the IPv4 flow names the sender (pid $spid, flows_send, its cgroup) ($got)" [ "$got" = "$N $((N * (20 + 8 + S)))" ]
	got=$(flow_of "$FOUT" "f['srcPort']==40002 and f['pid']==$spid6 and f['comm']=='flows_send' and f['srcIp']=='fd77::1'")
	check "process mode: the IPv6 flow names the sender, $((N * (40 + 8 + S))) L3 bytes ($got)" [ "$got" = "$N $((N * (40 + 8 + S)))" ]
	got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = [f for f in d["flows"] if f["iface"] != sys.argv[2]]
print(len(bad))' "$FOUT" "$VA")
	check "process mode -i: only the chosen interface is counted ($got others)" [ "$got" = 0 ]
	check "process mode: nothing left attached" nothing_left "$NA" "$VA"
else
	nok "process mode attaches"
fi

# Under `ip netns exec`, which hides the cgroup2 mount by remounting /sys:
# -p still works (a private cgroup2 mount) and names cgroups.
OUT=$TMP/netns-exec.json ERR=$TMP/netns-exec.err
ip netns exec "$NA" "$EBPFMON" flows -p -i "$VA" -j -t 60s >"$OUT" 2>"$ERR" &
FPID=$!; PIDS+=($FPID)
for _ in $(seq 100); do grep -q '^attached$' "$ERR" && break; kill -0 $FPID 2>/dev/null || break; sleep 0.05; done
if grep -q '^attached$' "$ERR"; then
	nsenter --net="/run/netns/$NA" "$SEND" udp 10.77.0.2 50005 $N $S 40005 >/dev/null &
	spid=$!; PIDS+=($spid); wait $spid
	sleep 0.2
	check "ip netns exec -p: exits 0 on SIGINT" stop_flows INT
	got=$(flow_of "$OUT" "f['srcPort']==40005 and f['pid']==$spid and f['comm']=='flows_send' and f['cgroup'].startswith('/')")
	check "ip netns exec -p: the flow names the sender and its cgroup path ($got)" [ "$got" = "$N $((N * (20 + 8 + S)))" ]
	check "ip netns exec -p: nothing left attached" nothing_left "$NA" "$VA"
else
	nok "ip netns exec -p attaches without a visible cgroup2 mount: $(head -c 300 "$ERR")"
	kill -KILL $FPID 2>/dev/null
fi

# -c PATH: a sender inside the cgroup counts, one outside does not.
mkdir "$CG" || nok "creating a test cgroup"
if start_flows "$NA" -c "$CG" -j -t 60s; then
	netA sh -c "echo \$\$ > $CG/cgroup.procs && exec $SEND udp 10.77.0.2 50003 $N $S 40003" >/dev/null &
	PIDS+=($!); wait $!
	netA "$SEND" udp 10.77.0.2 50004 $N $S 40004 >/dev/null
	sleep 0.2
	check "cgroup mode: exits 0 on SIGINT" stop_flows INT
	got=$(flow_of "$FOUT" "f['srcPort']==40003 and f['direction']=='egress' and f['comm']=='flows_send' and f['cgroup'].endswith('ebpfmon-flows-test-$ID')")
	check "cgroup mode: the sender inside the cgroup is counted, with its cgroup ($got)" [ "$got" = "$N $((N * (20 + 8 + S)))" ]
	got=$(flow_of "$FOUT" "f['srcPort']==40004")
	check "cgroup mode: a sender outside the cgroup is not ($got)" [ "$got" = "none 0" ]
	check "cgroup mode: nothing left attached" nothing_left "$NA" "$VA"
else
	nok "cgroup mode attaches"
fi
