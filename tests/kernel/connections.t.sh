#!/usr/bin/env bash
# kernel tier: the network viewer (`ebpfmon connections`, /api/v1/connections)
# against ground truth, between two network namespaces (sock_lib.sh).
#   - A window: a client makes 3 TCP connections that each write 1 000 000
#     bytes to port 5001 (IPv4, then IPv6). Its rows toward 5001 sum to
#     3 000 000 bytes written, 3 established, 3 closed, direction outgoing,
#     an RTT in microseconds; the server's rows show 3 000 000 bytes read,
#     direction incoming, from local port 5001. DataKit's fields are all there.
#   - Filters: --ports '!5001 *' hides them, --ips picks a family's peer,
#     --ephemeral-port collapses the client's 3 connections into one row.
#   - A snapshot (no --duration) lists a connection that was open before.
#   - `run` serves the same rows at /api/v1/connections.
#   - A bad filter is refused with one line and exit status 2.
source "$(dirname "$0")/lib.sh"
need_root "connections"
source "$(dirname "$0")/sock_lib.sh"

# conns OUT ARGS...: `ebpfmon connections ARGS` in the background into OUT; waits until attached.
conns() {
	local out=$1
	shift
	"$EBPFMON" connections "$@" >"$out" 2>"$out.err" &
	CONNS=$!
	BG+=($CONNS)
	for _ in $(seq 200); do
		grep -q '^attached$' "$out.err" 2>/dev/null && return 0
		kill -0 "$CONNS" 2>/dev/null || break
		sleep 0.1
	done
	not_ok "ebpfmon connections did not attach: $(tr '\n' ' ' <"$out.err")"
	return 1
}

# exchange FAMILY CLIENT SERVER: 3 connections x 1 000 000 bytes to port 5001.
exchange() {
	local addr=10.78.0.2 v6=
	[ "$1" = 6 ] && addr=fd78::2 v6=6
	server "$3" "$TMP/srv.out" tcp-server 5001 3 $v6 || return 1
	in_ns "$NA" "$CGC" "$SL" "$2" tcp-client $addr 5001 3 1000000 65536 >"$TMP/cli.out" ||
		not_ok "client $2 failed"
	wait "$SERVER"
}

# rows FILE EXPR: python over the JSON rows `r` of FILE; prints the result.
rows() { python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print($2)" "$1"; }

for fam in 4 6; do
	c=$(unique_name cvc$fam) s=$(unique_name cvs$fam)
	conns "$TMP/w$fam.json" --duration 6s --json || exit 1
	exchange $fam "$c" "$s"
	wait "$CONNS" || not_ok "IPv$fam: ebpfmon connections exited with an error"
	f=$TMP/w$fam.json
	if ! rows "$f" 'len(r)' >/dev/null 2>&1; then
		not_ok "IPv$fam: the output is not JSON: $(head -c 200 "$f")"
		continue
	fi
	cli="[x for x in r if x['process_name'] == '$c' and x['dst_port'] == 5001]"
	srv="[x for x in r if x['process_name'] == '$s' and x['src_port'] == 5001]"
	expect_eq "IPv$fam: $c rows toward 5001" "$(rows "$f" "len($cli)")" 3
	expect_eq "IPv$fam: $c bytes_written" "$(rows "$f" "sum(x['bytes_written'] for x in $cli)")" 3000000
	expect_eq "IPv$fam: $c bytes_read" "$(rows "$f" "sum(x['bytes_read'] for x in $cli)")" 0
	expect_eq "IPv$fam: $c tcp_established" "$(rows "$f" "sum(x['tcp_established'] for x in $cli)")" 3
	expect_eq "IPv$fam: $c tcp_closed" "$(rows "$f" "sum(x['tcp_closed'] for x in $cli)")" 3
	expect_eq "IPv$fam: $c direction" "$(rows "$f" "sorted(set(x['direction'] for x in $cli))")" "['outgoing']"
	expect_eq "IPv$fam: $c family, transport" \
		"$(rows "$f" "sorted(set((x['family'], x['transport']) for x in $cli))")" "[('IPv$fam', 'tcp')]"
	expect_eq "IPv$fam: $c has an RTT (microseconds, under 1 s)" \
		"$(rows "$f" "all(0 < x['rtt'] < 1000000 for x in $cli)")" True
	expect_eq "IPv$fam: $c pid is the client's" \
		"$(rows "$f" "len(set(x['pid'] for x in $cli)) == 1 and all(x['pid'] > 0 for x in $cli)")" True
	expect_eq "IPv$fam: $s rows from local port 5001" "$(rows "$f" "len($srv)")" 3
	expect_eq "IPv$fam: $s bytes_read" "$(rows "$f" "sum(x['bytes_read'] for x in $srv)")" 3000000
	expect_eq "IPv$fam: $s direction" "$(rows "$f" "sorted(set(x['direction'] for x in $srv))")" "['incoming']"
	expect_eq "IPv$fam: $s tcp_closed" "$(rows "$f" "sum(x['tcp_closed'] for x in $srv)")" 3
	expect_eq "IPv$fam: DataKit's netflow fields on every row" \
		"$(rows "$f" "all({'src_ip','src_port','dst_ip','dst_port','src_ip_type','dst_ip_type','family','transport','direction','pid','process_name','bytes_read','bytes_written','retransmits','rtt','rtt_var','tcp_established','tcp_closed'} <= set(x) for x in r)")" True
	expect_eq "IPv$fam: ip types of the namespace addresses" \
		"$(rows "$f" "sorted(set((x['src_ip_type'], x['dst_ip_type']) for x in $cli))")" "[('private', 'private')]"
done

# Filters, on the IPv4 exchange.
c=$(unique_name cfc) s=$(unique_name cfs)
conns "$TMP/hide.json" --duration 5s --json --ports '!5001 *' || exit 1
exchange 4 "$c" "$s"
wait "$CONNS"
expect_eq "--ports '!5001 *': no row of port 5001" \
	"$(rows "$TMP/hide.json" "len([x for x in r if 5001 in (x['src_port'], x['dst_port'])])")" 0
c=$(unique_name cec) s=$(unique_name ces)
conns "$TMP/eph.json" --duration 5s --json --ephemeral-port 32768 --ips '10.78.0.0/24' || exit 1
exchange 4 "$c" "$s"
wait "$CONNS"
cli="[x for x in r if x['process_name'] == '$c']"
expect_eq "--ephemeral-port: $c's 3 connections in one row" "$(rows "$TMP/eph.json" "len($cli)")" 1
expect_eq "--ephemeral-port: that row counts 3 connections and 3 000 000 bytes" \
	"$(rows "$TMP/eph.json" "[(x['connections'], x['bytes_written'], x['src_port']) for x in $cli]")" \
	"[(3, 3000000, '*')]"
expect_eq "--ips 10.78.0.0/24: every row's peer is in it" \
	"$(rows "$TMP/eph.json" "all(x['dst_ip'].startswith('10.78.0.') for x in r)")" True

# A snapshot lists what is open now, with its process.
o=$(unique_name cso)
server "$o" "$TMP/open.out" tcp-server 5005 1 || exit 1
in_ns "$NA" "$CGC" python3 -c 'import os, socket, sys, time
s = socket.create_connection(("10.78.0.2", 5005))
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(30)' "$TMP/hold.pid" &
BG+=($!)
for _ in $(seq 50); do [ -s "$TMP/hold.pid" ] && break; sleep 0.1; done
HOLD=$(cat "$TMP/hold.pid")
"$EBPFMON" connections --json >"$TMP/snap.json" 2>"$TMP/snap.err" || not_ok "snapshot failed: $(cat "$TMP/snap.err")"
expect_eq "snapshot: the open connection to 5005, held by its process" \
	"$(rows "$TMP/snap.json" "[(x['pid'], x['open']) for x in r if x['dst_port'] == 5005]")" "[($HOLD, True)]"
"$EBPFMON" connections >"$TMP/snap.txt" 2>/dev/null
if grep -q ':5005 ' "$TMP/snap.txt" && head -1 "$TMP/snap.txt" | grep -q PROTO; then
	ok "snapshot: the text table lists it"
else
	not_ok "snapshot: the text table: $(head -3 "$TMP/snap.txt")"
fi
{
	kill "$HOLD" "$SERVER"
	wait "$SERVER"
} 2>/dev/null

# run serves the view.
start_run --modules socket || exit 1
c=$(unique_name crc) s=$(unique_name crs)
exchange 4 "$c" "$s"
sleep 2.5
curl -sf "http://127.0.0.1:$RUN_PORT/api/v1/connections" -o "$TMP/api.json" || not_ok "GET /api/v1/connections"
cli="[x for x in r if x['process_name'] == '$c' and x['dst_port'] == 5001]"
expect_eq "/api/v1/connections: $c bytes_written" \
	"$(rows "$TMP/api.json" "sum(x['bytes_written'] for x in $cli)")" 3000000
expect_eq "/api/v1/connections: content type" \
	"$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$RUN_PORT/api/v1/connections")" application/json
stop_run

# Bad filters: one line, exit status 2.
for bad in "--ports 5001-" "--ips 10.0.0.0/33" "--ports nosuchservice"; do
	"$EBPFMON" connections $bad >/dev/null 2>"$TMP/bad.err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$TMP/bad.err")" = 1 ]; then
		ok "connections $bad: exit 2, one line: $(cat "$TMP/bad.err")"
	else
		not_ok "connections $bad: exit $rc, $(cat "$TMP/bad.err")"
	fi
done
