#!/usr/bin/env bash
# kernel tier: dnsflow. A client in one namespace asks a dnsmasq in another:
# 20 queries for names it answers, 5 for names it says do not exist
# (NXDOMAIN), 2 to an address where nothing listens (no answer: rcode -1 after
# the timeout), 3 over TCP and 4 over IPv6. `ebpfmon dns` must give exactly
# those counts per question, rcode, transport and family, on the client's
# side (outgoing, process python3) and on dnsmasq's (incoming, no row for the
# unanswered), latencies between 0 and what the client measured; `--influx`
# the same counts as DataKit's dnsflow lines; and after SIGKILL nothing stays
# attached at the cgroup root.
cd "$(dirname "$0")/../.." || exit 1
FLOWS_NAME_PREFIX=dn
. tests/kernel/flows_lib.sh

# Bad input: one line naming the problem, exit 2, before anything loads.
for args in "--duration x" "--duration 25h" "--timeout 0" "--port 0" "--port 70000" "--json --influx" "-g --json" "--bogus" "extra"; do
	# shellcheck disable=SC2086
	"$EBPFMON" dns $args >"$TMP/bad.out" 2>"$TMP/bad.err"
	rc=$?
	check "dns $args: exit 2, one line on stderr ($rc: $(head -c 120 "$TMP/bad.err"))" \
		[ "$rc" = 2 -a "$(wc -l <"$TMP/bad.err")" = 1 -a ! -s "$TMP/bad.out" ]
done
"$EBPFMON" dns --port $'5\n3' 2>"$TMP/bad.err"
check "a newline in an argument stays on one line" [ "$(wc -l <"$TMP/bad.err")" = 1 ]
# -g: redrawn every second on a terminal (script(1) gives one); the table once otherwise.
script -qec "$EBPFMON dns -g --duration 2500ms" /dev/null >"$TMP/live.out" 2>&1
check "-g on a terminal: the table redrawn (3 in 2.5 s, then the last: $(grep -c QUESTION "$TMP/live.out"))" \
	[ "$(grep -c QUESTION "$TMP/live.out")" -ge 3 -a "$(grep -c $'\033\\[2J' "$TMP/live.out")" -ge 3 ]
"$EBPFMON" dns -g --duration 500ms >"$TMP/live.out" 2>/dev/null
check "-g into a file: the table once, no escape sequence" \
	[ "$(grep -c QUESTION "$TMP/live.out")" = 1 -a "$(grep -c $'\033' "$TMP/live.out")" = 0 ]
check "dns --help exits 0" "$EBPFMON" dns --help >/dev/null

command -v dnsmasq >/dev/null || { nok "dnsmasq is missing (scripts/deps.sh test installs dnsmasq-base)"; exit 0; }
setup_pair || { nok "setting up namespaces and veth"; exit 1; }
inB ip addr add 10.77.0.3/24 dev "$VB" || { nok "adding 10.77.0.3"; exit 1; }

# Names of this run only: other DNS traffic on the machine cannot match them.
S=t$ID

# dns MODE ARGS: ebpfmon dns in the background (it sees every namespace); waits for "attached".
start_dns() {
	DOUT=$TMP/dns.$RANDOM DERR=$TMP/dnserr.$RANDOM
	"$EBPFMON" dns "$@" >"$DOUT" 2>"$DERR" &
	DPID=$!
	PIDS+=("$DPID")
	for _ in $(seq 100); do
		grep -q '^attached$' "$DERR" && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# ebpfmon dns did not attach: $(head -c 300 "$DERR")"
	return 1
}

client() { inA python3 tests/kernel/dns_client.py "$@" >>"$TMP/client.out"; }

start_dnsmasq() {
	inB dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
		--listen-address=10.77.0.2,fd77::2 --local=/test/ --pid-file="$TMP/dnsmasq.pid" \
		--address=/a1$S.test/10.0.0.1 --address=/a2$S.test/10.0.0.2 \
		--address=/tcp$S.test/10.0.0.3 --address=/v6$S.test/fd00::6 \
		>"$TMP/dnsmasq.log" 2>&1 &
	PIDS+=($!)
	disown # killed by pid at exit, without the shell's "Killed" line
	for _ in $(seq 50); do [ -s "$TMP/dnsmasq.pid" ] && break; sleep 0.1; done
	[ -s "$TMP/dnsmasq.pid" ] || { nok "dnsmasq did not start: $(head -c 300 "$TMP/dnsmasq.log")"; exit 1; }
	PIDS+=("$(cat "$TMP/dnsmasq.pid")")
}

# dnsmasq starts after ebpfmon: its TCP listener gets its owner at creation,
# and the connections it accepts inherit it. (The second window sees a
# dnsmasq started before: its UDP socket's owner comes from recvmsg.)
start_dns --duration 6s --timeout 1500ms --json || { nok "ebpfmon dns attaches"; exit 1; }
start_dnsmasq || exit 1
client 10.77.0.2 53 udp 1 1 a1$S.test 12 a2$S.test 8 nx1$S.test 3 nx2$S.test 2
client 10.77.0.3 53 udp 1 0.3 lost$S.test 2
client 10.77.0.2 53 tcp 1 1 tcp$S.test 3
client fd77::2 53 udp 28 1 v6$S.test 4
wait "$DPID"
check "ebpfmon dns exits 0" [ $? = 0 ]
echo "# $(tail -1 "$DERR")"

# What the client saw itself: the reference.
got=$(awk '$4 >= 0 { a++ } $4 == -1 { t++ } END { print a + 0 ":" t + 0 }' "$TMP/client.out")
check "the client got 32 answers (25 UDP IPv4, 3 TCP, 4 IPv6), 2 timeouts ($got)" [ "$got" = 32:2 ]

python3 - "$DOUT" "$TMP/client.out" "$S" <<'PY'
import json, sys
rows, s = json.load(open(sys.argv[1])), sys.argv[3]
client = [l.split() for l in open(sys.argv[2])]
max_rtt = max(int(c[4]) for c in client if int(c[3]) >= 0)
ours = [r for r in rows if r["question"].endswith(s + ".test")]

def counts(direction):
    out = {}
    for r in ours:
        if r["direction"] != direction:
            continue
        k = (r["question"].split(s)[0], r["transport"], r["family"], r["rcode"])
        out[k] = out.get(k, 0) + r["count"]
    return out

want_out = {("a1", "udp", "IPv4", 0): 12, ("a2", "udp", "IPv4", 0): 8,
            ("nx1", "udp", "IPv4", 3): 3, ("nx2", "udp", "IPv4", 3): 2,
            ("lost", "udp", "IPv4", -1): 2, ("tcp", "tcp", "IPv4", 0): 3,
            ("v6", "udp", "IPv6", 0): 4}
want_in = {k: v for k, v in want_out.items() if k[3] != -1}
def report(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
got = counts("outgoing")
report(got == want_out, "client side (outgoing): 20 answered, 5 NXDOMAIN, 2 rcode -1, 3 TCP, 4 IPv6 per question: %s" % sorted(got.items()))
got = counts("incoming")
report(got == want_in, "server side (incoming): the same less the unanswered: %s" % sorted(got.items()))
out = [r for r in ours if r["direction"] == "outgoing"]
report(all(r["process_name"] == "python3" and r["pid"] > 0 for r in out),
       "client rows belong to python3: %s" % sorted({r["process_name"] for r in out}))
inc = [r for r in ours if r["direction"] == "incoming"]
report(all(r["process_name"] == "dnsmasq" for r in inc),
       "server rows belong to dnsmasq: %s" % sorted({r["process_name"] for r in inc}))
ans = [r for r in out if r["rcode"] >= 0]
report(all(0 < r["latency"] <= r["latency_max"] <= max_rtt for r in ans),
       "answered: 0 < latency <= latency_max <= the client's slowest round trip (%d ns)" % max_rtt)
lost = [r for r in out if r["rcode"] == -1]
report(all(r["latency"] == 0 and r["latency_max"] == 0 and r["dst_ip"] == "10.77.0.3" for r in lost),
       "unanswered: latency 0, to 10.77.0.3")
q = [r for r in out if r["question"].startswith("v6")]
report(all(r["qtype"] == "AAAA" and r["src_ip"] == "fd77::1" and r["dst_ip"] == "fd77::2" and r["dst_port"] == 53 for r in q),
       "IPv6 rows: qtype AAAA, fd77::1 -> fd77::2:53")
PY

# The line protocol: the same counts as DataKit's dnsflow measurement.
: >"$TMP/client.out"
start_dns --duration 3s --timeout 500ms --influx || { nok "ebpfmon dns --influx attaches"; exit 1; }
client 10.77.0.2 53 udp 1 1 a1$S.test 7 nx1$S.test 1
client 10.77.0.3 53 udp 1 0.2 lost$S.test 1
wait "$DPID"
got=$(grep "^dnsflow,direction=outgoing,.*question=[a-z0-9]*$S.test," "$DOUT" |
	sed -E 's/.*question=([a-z0-9]*)'"$S"'.test,.* count=([0-9]+)i,.*rcode=(-?[0-9]+)i [0-9]+$/\1:\3:\2/' | sort | tr '\n' ' ')
check "--influx: dnsflow lines a1:0 x7, lost:-1 x1, nx1:3 x1 ($got)" [ "$got" = "a1:0:7 lost:-1:1 nx1:3:1 " ]
check "--influx: DataKit's tags and fields" grep -q "^dnsflow,direction=outgoing,dst_ip=10.77.0.2,dst_ip_type=private,dst_port=53,family=IPv4,host=.*,pid=[0-9]*,process_name=python3,qtype=A,question=a1$S.test,source=dnsflow,src_ip=10.77.0.1,src_ip_type=private,src_port=[0-9]*,transport=udp count=7i,latency=[0-9]*i,latency_max=[0-9]*i,rcode=0i [0-9]*$" "$DOUT"

# DataKit's netlog blacklist: requests to 10.77.0.3 dropped, the others kept.
: >"$TMP/client.out"
start_dns --duration 3s --timeout 500ms --json --blacklist 'ip_daddr == "10.77.0.3" || ipnet_contains("10.77.0.3/32", ip_saddr)' ||
	{ nok "ebpfmon dns --blacklist attaches"; exit 1; }
client 10.77.0.2 53 udp 1 1 a1$S.test 4
client 10.77.0.3 53 udp 1 0.2 lost$S.test 1
wait "$DPID"
got=$(python3 -c 'import json, sys
rows = [r for r in json.load(open(sys.argv[1])) if r["question"].endswith(sys.argv[2] + ".test") and r["direction"] == "outgoing"]
print(sorted((r["question"].split(sys.argv[2])[0], r["count"]) for r in rows))' "$DOUT" "$S")
check "--blacklist: the request to 10.77.0.3 dropped, a1 x4 kept ($got)" [ "$got" = "[('a1', 4)]" ]

# SIGKILL: the links go with the process.
start_dns --duration 1m || { nok "ebpfmon dns attaches (kill)"; exit 1; }
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null
left=
for _ in $(seq 40); do
	left=$(bpftool cgroup show "$CG2ROOT" 2>/dev/null | grep ' dns_' | head -3 | tr '\n' ' ')
	[ -z "$left" ] && break
	sleep 0.05
done
check "nothing attached at the cgroup root after SIGKILL ($left)" [ -z "$left" ]

# run: ebpfmon_dns_requests_total{app,rcode} and the latency histogram.
# dnsmasq is a process of this test; python3 may be another's too: counts of
# dnsmasq (the server side) are this test's alone.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$EBPFMON" run --modules dnsflow --update-every 1 --listen "127.0.0.1:$PORT" >/dev/null 2>"$TMP/run.err" &
RPID=$!
PIDS+=("$RPID")
up=
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$PORT/metrics" -o "$TMP/m" && grep -q '^ebpfmon_module_up{module="dnsflow"} 1' "$TMP/m" && { up=1; break; }
	sleep 0.1
done
check "run: module dnsflow up" [ -n "$up" ]
# Every thread of run holds no capability after attach, the module's ring reader too.
caps=$(cat /proc/$RPID/task/*/status | awk '/^CapEff|^CapPrm/ { print $2 }' | sort -u | tr '\n' ' ')
threads=$(ls /proc/$RPID/task | wc -l)
check "run: no capability left in any of its $threads threads ($caps)" [ "$caps" = "0000000000000000 " -a "$threads" -ge 3 ]
: >"$TMP/client.out"
# /api/v1/dns holds the rows of the last interval (1 s): read it every 0.2 s
# meanwhile; consecutive identical answers are the same interval.
(for _ in $(seq 20); do curl -sf "http://127.0.0.1:$PORT/api/v1/dns"; echo; echo '#'; sleep 0.2; done) >"$TMP/api.out" &
APIPID=$!
PIDS+=("$APIPID")
client 10.77.0.2 53 udp 1 1 a1$S.test 9 nx2$S.test 4
client 10.77.0.2 53 tcp 1 1 tcp$S.test 2
wait "$APIPID"
python3 - "$TMP/api.out" "$S" <<'PY'
import json, sys
s = sys.argv[2]
chunks, prev, got = open(sys.argv[1]).read().split("\n#\n"), None, {}
for c in chunks:
    c = c.strip()
    if not c or c == prev:
        continue
    prev = c
    for r in json.loads(c):
        if r["question"].endswith(s + ".test") and r["direction"] == "incoming":
            k = (r["question"].split(s)[0], r["transport"], r["rcode"])
            got[k] = got.get(k, 0) + r["count"]
want = {("a1", "udp", 0): 9, ("nx2", "udp", 3): 4, ("tcp", "tcp", 0): 2}
print(("ok - " if got == want else "not ok - ") + "run: /api/v1/dns rows, summed over intervals (server side): %s" % sorted(got.items()))
PY
curl -sf "http://127.0.0.1:$PORT/metrics" -o "$TMP/m"
v() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/m"; }
# dnsmasq was started before this run: its UDP socket gets its owner at
# recvmsg, but the TCP connections it accepts come from a listener made
# before, which no hook of ours saw: their 2 requests are app "unknown"
# (the documented limit).
check "run: requests_total{app=dnsmasq,rcode=0} = 9, the UDP ones ($(v 'ebpfmon_dns_requests_total{app="dnsmasq",rcode="0"}'))" \
	[ "$(v 'ebpfmon_dns_requests_total{app="dnsmasq",rcode="0"}')" = 9 ]
check "run: requests_total{app=unknown,rcode=0} = 2, the TCP ones ($(v 'ebpfmon_dns_requests_total{app="unknown",rcode="0"}'))" \
	[ "$(v 'ebpfmon_dns_requests_total{app="unknown",rcode="0"}')" = 2 ]
check "run: requests_total{app=dnsmasq,rcode=3} = 4" \
	[ "$(v 'ebpfmon_dns_requests_total{app="dnsmasq",rcode="3"}')" = 4 ]
check "run: latency_seconds_count{app=dnsmasq,rcode=0} = 9" \
	[ "$(v 'ebpfmon_dns_latency_seconds_count{app="dnsmasq",rcode="0"}')" = 9 ]
check "run: latency +Inf bucket = count" \
	[ "$(v 'ebpfmon_dns_latency_seconds_bucket{app="dnsmasq",rcode="0",le="+Inf"}')" = 9 ]
check "run: latency sum > 0 and under 9 client round trips" python3 -c "
import sys
s = float(sys.argv[1]); rtts = [int(l.split()[4]) for l in open(sys.argv[2]) if l.split()[0].startswith('a1')]
sys.exit(not (0 < s * 1e9 <= sum(rtts)))" "$(v 'ebpfmon_dns_latency_seconds_sum{app="dnsmasq",rcode="0"}')" "$TMP/client.out"
py=$(v 'ebpfmon_dns_requests_total{app="python3",rcode="0"}')
check "run: requests_total{app=python3,rcode=0} >= 11 ($py)" [ "${py:-0}" -ge 11 ]
check "run: malformed_total 0" [ "$(v ebpfmon_dns_malformed_total)" = 0 ]
kill -TERM "$RPID"; wait "$RPID"
check "run exits 0 on SIGTERM" [ $? = 0 ]

# [global] dns port: run watches that port only. A second dnsmasq answers on
# 5353; queries to 53 must not count.
inB dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces --port=5353 \
	--listen-address=10.77.0.2 --local=/test/ --pid-file="$TMP/dnsmasq2.pid" \
	--address=/p$S.test/10.0.0.9 >"$TMP/dnsmasq2.log" 2>&1 &
PIDS+=($!)
disown
for _ in $(seq 50); do [ -s "$TMP/dnsmasq2.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$TMP/dnsmasq2.pid" 2>/dev/null)")
printf '[global]\n\tdns port = 5353\n[ebpf programs]\n\tdnsflow = yes\n' >"$TMP/port.conf"
"$EBPFMON" run --config "$TMP/port.conf" --modules dnsflow --update-every 1 --listen "127.0.0.1:$PORT" >/dev/null 2>"$TMP/run2.err" &
RPID=$!
PIDS+=("$RPID")
up=
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$PORT/metrics" -o "$TMP/m" && grep -q '^ebpfmon_module_up{module="dnsflow"} 1' "$TMP/m" && { up=1; break; }
	sleep 0.1
done
check "run with dns port = 5353: module up" [ -n "$up" ]
: >"$TMP/client.out"
client 10.77.0.2 5353 udp 1 1 p$S.test 6
client 10.77.0.2 53 udp 1 1 a1$S.test 3
sleep 2.5
curl -sf "http://127.0.0.1:$PORT/metrics" -o "$TMP/m"
check "dns port = 5353: requests_total{app=dnsmasq,rcode=0} = 6, the 3 to port 53 not counted ($(v 'ebpfmon_dns_requests_total{app="dnsmasq",rcode="0"}'))" \
	[ "$(v 'ebpfmon_dns_requests_total{app="dnsmasq",rcode="0"}')" = 6 ]
kill -TERM "$RPID"; wait "$RPID"
