#!/usr/bin/env bash
# flows: a TCP transfer's flows sum to the packet delta `ip -s link` reports
# on the interface, per direction (IPv4 only and static ARP: no other traffic).
cd "$(dirname "$0")/../.." || exit 1
. tests/kernel/flows_lib.sh

setup_pair v4only || { nok "setting up namespaces and veth"; exit 1; }

link_packets() { # ns dev -> "rx tx"
	ip netns exec "$1" ip -s -j link show dev "$2" |
		python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]; print(s["rx"]["packets"], s["tx"]["packets"])'
}

inB python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 5201)); s.listen(1); c, _ = s.accept(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
c.close(); print(n)' >"$TMP/server.out" &
PIDS+=($!)
sleep 0.3
for hook in tcx clsact; do
	start_flows "$NB" -i "$VB" -j -t 60s --tc-hook $hook || { nok "tc ($hook) attaches"; continue; }
	before=$(link_packets "$NB" "$VB")
	if [ $hook = tcx ]; then
		inA python3 -c '
import socket
s = socket.create_connection(("10.77.0.2", 5201)); s.sendall(b"x" * 4000000); s.close()' ||
			nok "TCP transfer"
	else
		inB python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 5202)); s.listen(1); c, _ = s.accept(); c.sendall(b"y" * 3000000); c.close()' &
		srv=$!; PIDS+=($srv); sleep 0.3
		inA python3 -c '
import socket
s = socket.create_connection(("10.77.0.2", 5202))
while s.recv(65536): pass
s.close()' || nok "TCP transfer"
		wait $srv
	fi
	sleep 0.5 # FIN/ACK exchange done
	after=$(link_packets "$NB" "$VB")
	check "tc ($hook): exits 0 on SIGINT" stop_flows INT
	res=$(python3 - "$FOUT" $before $after <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rx = int(sys.argv[4]) - int(sys.argv[2]); tx = int(sys.argv[5]) - int(sys.argv[3])
tcp = [f for f in d["flows"] if f["proto"] == "TCP"]
ri = sum(f["packets"] for f in tcp if f["direction"] == "ingress")
ro = sum(f["packets"] for f in tcp if f["direction"] == "egress")
print("ok" if (ri, ro) == (rx, tx) and rx > 10 else "flows in %d out %d, ip -s link rx %d tx %d" % (ri, ro, rx, tx), rx, tx)
PY
)
	check "tc ($hook): TCP flows sum to the ip -s link packet delta per direction ($res)" [ "${res%% *}" = ok ]
	check "tc ($hook): nothing left attached" nothing_left "$NB" "$VB"
done
