#!/usr/bin/env bash
# kernel tier: DataKit's NAT tags. In a namespace whose nftables output chain
# DNATs 10.78.0.99:9000 to the server at 10.78.0.2:5001, the client's
# connection to 10.78.0.99:9000 shows dst_nat_ip 10.78.0.2 and dst_nat_port
# 5001 in `ebpfmon connections` and in run's /api/v1/connections; a direct
# connection carries no NAT tag.
source "$(dirname "$0")/lib.sh"
need_root "conntrack"
source "$(dirname "$0")/sock_lib.sh"

command -v nft >/dev/null || { not_ok "nft is missing (scripts/deps.sh test installs nftables)"; exit 0; }
ip netns exec "$NA" nft -f - <<'NFT' || { not_ok "cannot load the dnat rule"; exit 0; }
table ip ebpfmon_nat {
	chain output {
		type nat hook output priority -100;
		ip daddr 10.78.0.99 tcp dport 9000 dnat to 10.78.0.2:5001
	}
}
NFT

rows() { python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print($2)" "$1"; }

# connect NAME ADDR PORT: one connection writing 100 000 bytes, to the server on 5001.
connect() {
	server "$(unique_name ctsrv)" "$TMP/srv.out" tcp-server 5001 1 || return 1
	in_ns "$NA" "$CGC" "$SL" "$1" tcp-client "$2" "$3" 1 100000 65536 >"$TMP/cli.out" ||
		not_ok "client $1 to $2:$3 failed"
	wait "$SERVER"
}

nat=$(unique_name ctnat) direct=$(unique_name ctdir)
"$EBPFMON" connections --duration 5s --json >"$TMP/c.json" 2>"$TMP/c.err" &
CONNS=$!
BG+=($CONNS)
for _ in $(seq 200); do grep -q '^attached$' "$TMP/c.err" 2>/dev/null && break; sleep 0.1; done
connect "$nat" 10.78.0.99 9000
connect "$direct" 10.78.0.2 5001
wait "$CONNS" || not_ok "ebpfmon connections exited with an error: $(head -c 300 "$TMP/c.err")"

sel="[x for x in r if x['process_name'] == '$nat']"
expect_eq "the DNATed connection's row (dst_ip, dst_port, dst_nat_ip, dst_nat_port, bytes_written)" \
	"$(rows "$TMP/c.json" "[(x['dst_ip'], x['dst_port'], x.get('dst_nat_ip'), x.get('dst_nat_port'), x['bytes_written']) for x in $sel]")" \
	"[('10.78.0.99', 9000, '10.78.0.2', 5001, 100000)]"
sel="[x for x in r if x['process_name'] == '$direct']"
expect_eq "the direct connection has no NAT tag" \
	"$(rows "$TMP/c.json" "[(x['dst_ip'], x['dst_port'], 'dst_nat_ip' in x, x['bytes_written']) for x in $sel]")" \
	"[('10.78.0.2', 5001, False, 100000)]"

# run with conntrack = yes: the same tag at /api/v1/connections, and its counter.
printf '[ebpf programs]\nconntrack = yes\n' >"$TMP/ct.conf"
start_run --config "$TMP/ct.conf" --modules socket,conntrack || exit 0
nat2=$(unique_name ctrun)
connect "$nat2" 10.78.0.99 9000
sleep 2.2
curl -sf "http://127.0.0.1:$RUN_PORT/api/v1/connections" -o "$TMP/api.json"
scrape "$TMP/m.prom"
stop_run || not_ok "run exited with an error"
sel="[x for x in r if x['process_name'] == '$nat2']"
expect_eq "/api/v1/connections: the DNATed connection's tag" \
	"$(rows "$TMP/api.json" "[(x['dst_ip'], x['dst_port'], x.get('dst_nat_ip'), x.get('dst_nat_port')) for x in $sel]")" \
	"[('10.78.0.99', 9000, '10.78.0.2', 5001)]"
got=$(metric "$TMP/m.prom" ebpfmon_conntrack_dnat_connections_total)
if [ "$got" != missing ] && [ "$got" -ge 1 ]; then
	ok "ebpfmon_conntrack_dnat_connections_total counts the DNATed connection ($got)"
else
	not_ok "ebpfmon_conntrack_dnat_connections_total: $got"
fi
expect_eq "ebpfmon_conntrack_table_full_total" "$(metric "$TMP/m.prom" ebpfmon_conntrack_table_full_total)" 0
