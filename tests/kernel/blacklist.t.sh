#!/usr/bin/env bash
# kernel tier: DataKit's netlog blacklist on the network viewer. Between two
# namespaces a client sends exactly 200 000 bytes to a server on 8080 and
# 300 000 to one on 8443; `connections --blacklist 'tcp && (dst_port == 8080
# || src_port == 8080)'` shows no row of port 8080 on either side and keeps
# the 8443 rows with their bytes; the same rule from the configuration does
# the same for run's /api/v1/connections; a syntax error is one line with the
# column, exit 2.
source "$(dirname "$0")/lib.sh"
need_root "blacklist"
source "$(dirname "$0")/sock_lib.sh"

rule='tcp && (dst_port == 8080 || src_port == 8080)'
rows() { python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print($2)" "$1"; }

# transfer PORT BYTES NAME: one connection from NA to NB:PORT writing BYTES.
transfer() {
	server "$(unique_name bls)" "$TMP/srv$1.out" tcp-server "$1" 1 || return 1
	in_ns "$NA" "$CGC" "$SL" "$3" tcp-client 10.78.0.2 "$1" 1 "$2" 65536 >"$TMP/cli.out" ||
		not_ok "client to $1 failed"
	wait "$SERVER"
}

c80=$(unique_name blc) c43=$(unique_name blc)
"$EBPFMON" connections --duration 5s --json --blacklist "$rule" >"$TMP/c.json" 2>"$TMP/c.err" &
CONNS=$!
BG+=($CONNS)
# The control: the same window without the blacklist shows the 8080 rows.
"$EBPFMON" connections --duration 5s --json >"$TMP/all.json" 2>"$TMP/all.err" &
ALL=$!
BG+=($ALL)
for _ in $(seq 200); do
	grep -q '^attached$' "$TMP/c.err" 2>/dev/null && grep -q '^attached$' "$TMP/all.err" 2>/dev/null && break
	sleep 0.1
done
transfer 8080 200000 "$c80"
transfer 8443 300000 "$c43"
wait "$CONNS" || not_ok "ebpfmon connections exited with an error: $(head -c 300 "$TMP/c.err")"
wait "$ALL" || not_ok "ebpfmon connections (control) exited with an error"
expect_eq "control, no blacklist: the 8080 client row (bytes_written)" \
	"$(rows "$TMP/all.json" "[x['bytes_written'] for x in r if x['process_name'] == '$c80' and x['dst_port'] == 8080]")" \
	"[200000]"
expect_eq "--blacklist: rows with port 8080 on either side" \
	"$(rows "$TMP/c.json" "len([x for x in r if 8080 in (x['src_port'], x['dst_port'])])")" 0
expect_eq "--blacklist: the 8443 client row (bytes_written) stays" \
	"$(rows "$TMP/c.json" "[x['bytes_written'] for x in r if x['process_name'] == '$c43' and x['dst_port'] == 8443]")" \
	"[300000]"
expect_eq "--blacklist: the 8443 server side (bytes_read) stays" \
	"$(rows "$TMP/c.json" "sum(x['bytes_read'] for x in r if x['src_port'] == 8443)")" 300000

# The same rule from the configuration, for run's /api/v1/connections.
printf '[global]\nnetlog blacklist = %s\n' "$rule" >"$TMP/bl.conf"
start_run --config "$TMP/bl.conf" --modules socket || exit 0
c80=$(unique_name blr) c43=$(unique_name blr)
transfer 8080 200000 "$c80"
transfer 8443 300000 "$c43"
sleep 2.2
curl -sf "http://127.0.0.1:$RUN_PORT/api/v1/connections" -o "$TMP/api.json"
stop_run || not_ok "run exited with an error"
expect_eq "netlog blacklist (config): /api/v1/connections rows of port 8080" \
	"$(rows "$TMP/api.json" "len([x for x in r if 8080 in (x['src_port'], x['dst_port'])])")" 0
expect_eq "netlog blacklist (config): the 8443 client row" \
	"$(rows "$TMP/api.json" "[x['bytes_written'] for x in r if x['process_name'] == '$c43']")" "[300000]"

# A syntax error: one line naming the blacklist, the column and what was expected; exit 2.
"$EBPFMON" connections --blacklist 'tcp && (dst_port == 8080 ||' >/dev/null 2>"$TMP/bad.err"
rc=$?
if [ $rc = 2 ] && [ "$(wc -l <"$TMP/bad.err")" = 1 ] &&
	grep -q "netlog blacklist: line 1, column 28: expected a name, a number, a string or '(', found the end" "$TMP/bad.err"; then
	ok "a bad --blacklist: one line with the column, exit 2"
else
	not_ok "bad --blacklist: exit $rc: $(head -c 300 "$TMP/bad.err")"
fi
printf '[global]\nnetlog blacklist = udp &&& tcp\n' >"$TMP/bad.conf"
"$EBPFMON" check --config "$TMP/bad.conf" >/dev/null 2>"$TMP/bad.err"
rc=$?
if [ $rc = 2 ] && grep -q "bad.conf:2: netlog blacklist: line 1, column 7:" "$TMP/bad.err"; then
	ok "a bad netlog blacklist in the configuration: FILE:LINE and the column, exit 2"
else
	not_ok "bad netlog blacklist in the config: exit $rc: $(head -c 300 "$TMP/bad.err")"
fi
