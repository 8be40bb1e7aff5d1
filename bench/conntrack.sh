#!/usr/bin/env bash
# conntrack: what the NAT tags cost. The module looks at every packet sent
# (net:net_dev_start_xmit): for a packet without a conntrack entry it reads
# one field; with an entry, the entry's status too; only DNATed packets go
# on to a hash lookup. ns per 64-byte UDP sendto+recv on loopback
# (bench/sock_cost.c: one packet per pair), in a network namespace of our
# own: without conntrack there, and with conntrack tracking every packet
# (an nftables `ct state` rule), each bare and with the conntrack module,
# in alternating rounds. Medians of ROUNDS rounds; per packet = 2 x per call.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
ROUNDS=${ROUNDS:-7}
NS=ebct$$
TMP=$(mktemp -d /tmp/ebpfmon-bench-ct.XXXXXX)
BG=
trap '[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"' EXIT
cc -O2 -Wall -o "$TMP/sock_cost" bench/sock_cost.c || exit 1
cc -O2 -Wall -o "$TMP/prog_stats" bench/prog_stats.c -lbpf || exit 1
ip netns add "$NS" && ip -n "$NS" link set lo up || exit 1

measure() { # round label
	ip netns exec "$NS" taskset -c 1 "$TMP/sock_cost" 50000 |
		awk -v r="$1" -v l="$2" '$1 == "udp" { print r, l, $2 }' >>"$TMP/results"
}
with_module() { # round label
	"$EBPFMON" snapshot --modules conntrack --duration 10m >/dev/null 2>"$TMP/snap.err" &
	BG=$!
	for _ in $(seq 300); do grep -q '^attached' "$TMP/snap.err" && break; sleep 0.1; done
	if grep -q '^attached' "$TMP/snap.err"; then
		# The program's own time per run, from the kernel's BPF statistics.
		"$TMP/prog_stats" 2 "$BG" | awk -v l="$2" '$2 ~ /^ct_xmit/ && $3 > 0 { print l, $3, $4 }' >>"$TMP/progs" &
		measure "$1" "$2"
		wait $!
	else
		echo "bench conntrack: ebpfmon did not attach: $(head -c 200 "$TMP/snap.err")"
	fi
	kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=
}

echo "== conntrack: ns per UDP sendto+recv call on loopback (one packet per two calls), median of $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
	ip netns exec "$NS" nft delete table inet ebct 2>/dev/null
	measure "$r" bare
	with_module "$r" module
	ip netns exec "$NS" nft -f - <<'NFT'
table inet ebct {
	chain out {
		type filter hook output priority 0;
		ct state new,established accept
	}
}
NFT
	measure "$r" bare_ct
	with_module "$r" module_ct
done
python3 - "$TMP/results" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(dict)
for line in open(sys.argv[1]):
    r, label, ns = line.split()
    v[label][r] = float(ns)
med = lambda l: statistics.median(v[l].values())
diff = lambda a, b: statistics.median(v[a][r] - v[b][r] for r in v[a] if r in v[b])
for bare, mod, what in (("bare", "module", "no conntrack entry"), ("bare_ct", "module_ct", "conntrack entry, not NATed")):
    d = diff(mod, bare)
    print(f"{what:28}: bare {med(bare):6.1f} ns/call, with conntrack module {med(mod):6.1f};"
          f" adds {d:5.1f} ns per call = {2 * d:5.1f} ns per packet")
PY
python3 - "$TMP/progs" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(list)
for line in open(sys.argv[1]):
    label, cnt, ns = line.split()
    v[label].append(int(ns) / int(cnt))
for label, what in (("module", "no conntrack entry"), ("module_ct", "conntrack entry, not NATed")):
    if v[label]:
        print(f"program time per packet ({what}): median {statistics.median(v[label]):.1f} ns (bpf_stats)")
PY
