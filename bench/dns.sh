#!/usr/bin/env bash
# dnsflow: what capturing DNS packets costs. ns per query sent and received
# over loopback UDP (bench/dns_cost.c: one sendto, one recv; two packets
# through the cgroup_skb hooks, each copied to the ring buffer and parsed),
# in rounds that alternate: bare; `ebpfmon dns` attached. Per query and per
# packet: attached minus bare. Also a UDP packet to another port, which the
# hooks see too (every packet of every socket) and let go after reading the
# ports; and the same between connected sockets, whose ports the hooks take
# from the socket without reading the packet (TCP's case). Medians of ROUNDS rounds. The workload runs on CPU 1, ebpfmon on
# CPU 0: the figures are the packet path's (hooks, copies to the ring); the
# parsing in user space runs beside it. The programs' own run time per run
# (BPF_ENABLE_STATS through bench/prog_stats.c) is printed too: the part of
# the cost that does not depend on the machine's load.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
ROUNDS=${ROUNDS:-7}
N=${N:-200000}
TMP=$(mktemp -d /tmp/ebpfmon-bench-dns.XXXXXX)
BG=
trap '[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null; rm -rf "$TMP"' EXIT
cc -O2 -Wall -o "$TMP/dns_cost" bench/dns_cost.c || exit 1
cc -O2 -Wall -o "$TMP/prog_stats" bench/prog_stats.c -lbpf || exit 1
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DNSPORT=$(free_port) OTHER=$(free_port)

measure() { # round label
	echo "$1 $2 dns $(taskset -c 1 "$TMP/dns_cost" "$N" "$DNSPORT")" >>"$TMP/results"
	echo "$1 $2 other $(taskset -c 1 "$TMP/dns_cost" "$N" "$OTHER")" >>"$TMP/results"
	echo "$1 $2 connected $(taskset -c 1 "$TMP/dns_cost" "$N" "$OTHER" connected)" >>"$TMP/results"
}

echo "== dnsflow: ns per DNS query over loopback UDP (2 packets), median of $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
	measure "$r" bare
	# The DNS port of this run: a free one, so nothing else's DNS traffic counts.
	taskset -c 0 "$EBPFMON" dns --port "$DNSPORT" --duration 10m >/dev/null 2>"$TMP/dns.err" &
	BG=$!
	for _ in $(seq 300); do grep -q '^attached' "$TMP/dns.err" && break; sleep 0.1; done
	if grep -q '^attached' "$TMP/dns.err"; then
		# The programs' own run time (BPF_ENABLE_STATS) while DNS packets flow.
		for p in "dns $DNSPORT" "other $OTHER" "connected $OTHER connected"; do
			set -- $p
			"$TMP/prog_stats" 1 "$BG" | awk -v t="$1" '$3 > 0 { print t, $2, $3, $4 }' >>"$TMP/progs" &
			SPID=$!
			taskset -c 1 "$TMP/dns_cost" "$N" "$2" ${3:-} >/dev/null
			wait "$SPID"
		done
		measure "$r" on
	else
		echo "bench dns: ebpfmon did not attach: $(head -c 200 "$TMP/dns.err")"
	fi
	kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=
	tail -1 "$TMP/dns.err" >"$TMP/last.err"
done
python3 - "$TMP/results" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(lambda: defaultdict(dict))
for line in open(sys.argv[1]):
    r, label, kind, ns = line.split()
    v[kind][label][r] = float(ns)
print(f"{'traffic':16} {'bare':>8} {'dnsflow':>8} {'adds/query':>11} {'adds/packet':>12}")
for kind, name in (("dns", "to DNS port"), ("other", "to other port"), ("connected", "other, connected")):
    d = v[kind]
    med = lambda l: statistics.median(d[l].values()) if d[l] else float("nan")
    diff = statistics.median(d["on"][r] - d["bare"][r] for r in d["on"] if r in d["bare"])
    print(f"{name:16} {med('bare'):8.1f} {med('on'):8.1f} {diff:8.1f} ns {diff / 2:9.1f} ns")
PY
python3 - "$TMP/progs" <<'PY'
import statistics, sys
from collections import defaultdict
per = defaultdict(list)
for line in open(sys.argv[1]):
    traffic, name, cnt, ns = line.split()
    per[(traffic, name)].append(int(ns) / int(cnt))
print("in-kernel run time per program run (BPF_ENABLE_STATS, medians), by the traffic then:")
for traffic, name in sorted(per):
    print(f"   {traffic:6} {name:16} {statistics.median(per[(traffic, name)]):7.1f} ns")
PY
echo "   last window: $(cat "$TMP/last.err")"
