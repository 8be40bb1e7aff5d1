#!/usr/bin/env bash
# kernel tier: the socket module against ground truth, between two network
# namespaces joined by a veth pair, on each rung this kernel has: tp_btf, then
# the classic tracepoints (EBPFMON_DISABLE=tp_btf).
#   - TCP over IPv4 and over IPv6: a client (in a cgroup of its own) makes 3
#     connections that each write 1 000 000 bytes; a server (in another)
#     accepts and reads them. Per application: bytes and calls equal what
#     the system calls returned, 3 outbound / 3 inbound connections of the
#     right family, 3 closed on each side; per cgroup the same sums.
#   - UDP over IPv4 and IPv6: 100 datagrams of 200 bytes each way counted as
#     20 000 bytes and 100 calls on each side.
#   - Host totals hold at least the applications' sums.
# Then, on tp_btf: packet loss (nftables drops 1 packet in 20 on the
# server's side): the client's retransmits appear under its name, at least
# one and never more than the kernel's RetransSegs delta in its namespace,
# while bytes stay exact; and a connection table smaller than the sockets a
# process opens counts what it could not take.
source "$(dirname "$0")/lib.sh"
need_root "socket"
command -v nft >/dev/null || { not_ok "nft is not installed (scripts/deps.sh test installs nftables)"; exit 0; }

source "$(dirname "$0")/sock_lib.sh"

truth() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
app() { metric "$SNAP" "ebpfmon_app_socket_$2" "app=\"$1\"${3:+,$3}"; }
cg() { metric "$SNAP" "ebpfmon_cgroup_socket_$2" "cgroup=\"$1\"${3:+,$3}"; }
host() { metric "$SNAP" "ebpfmon_socket_$1" "${2:-}"; }
SNAP=$TMP/snap

printf '[global]\n\tcgroups = yes\n' >"$TMP/sock.conf"
for rung in tp_btf classic; do
	disable=
	[ $rung = classic ] && disable=tp_btf
	EBPFMON_DISABLE=$disable start_run --config "$TMP/sock.conf" --modules socket || exit 1
	if [ $rung = classic ]; then
		n=$(EBPFMON_DISABLE=$disable "$EBPFMON" check --json --modules socket | python3 -c 'import json, sys
print(sum(h["implementation"] == "tracepoint" for m in json.load(sys.stdin)["modules"]
          if m["name"] == "socket" for h in m["hooks"]))')
		expect_eq "$rung: socket hooks on classic tracepoints in check" "$n" 5
	fi

	# TCP, each family: 3 connections x 1 000 000 bytes in 65 536-byte writes.
	declare -A CLI SRV
	for fam in 4 6; do
		CLI[$fam]=$(unique_name skc$fam) SRV[$fam]=$(unique_name sks$fam)
		addr=10.78.0.2 v6=
		[ $fam = 6 ] && addr=fd78::2 v6=6
		server "${SRV[$fam]}" "$TMP/srv$fam" tcp-server 5001 3 $v6 || exit 1
		in_ns "$NA" "$CGC" "$SL" "${CLI[$fam]}" tcp-client $addr 5001 3 1000000 65536 >"$TMP/cli$fam" ||
			not_ok "$rung: tcp client over IPv$fam failed"
		wait "$SERVER"
	done
	# UDP, each family: 100 datagrams of 200 bytes.
	declare -A UCL USR
	for fam in 4 6; do
		UCL[$fam]=$(unique_name suc$fam) USR[$fam]=$(unique_name sus$fam)
		addr=10.78.0.2 v6=
		[ $fam = 6 ] && addr=fd78::2 v6=6
		server "${USR[$fam]}" "$TMP/usr$fam" udp-server 5002 100 $v6 || exit 1
		in_ns "$NA" "$CGC" "$SL" "${UCL[$fam]}" udp-client $addr 5002 100 200 >"$TMP/ucl$fam" ||
			not_ok "$rung: udp client over IPv$fam failed"
		wait "$SERVER"
	done
	sleep 2.5 # two collections
	scrape "$SNAP" || not_ok "$rung: scrape"

	for fam in 4 6; do
		c=${CLI[$fam]} s=${SRV[$fam]} f="family=\"ipv$fam\""
		expect_eq "$rung: IPv$fam client sent 3 000 000 bytes" "$(truth "$TMP/cli$fam" sent_bytes)" 3000000
		expect_eq "$rung: IPv$fam $c tcp_sent_bytes_total" "$(app "$c" tcp_sent_bytes_total)" 3000000
		expect_eq "$rung: IPv$fam $c tcp_send_calls_total" "$(app "$c" tcp_send_calls_total)" \
			"$(truth "$TMP/cli$fam" send_calls)"
		expect_eq "$rung: IPv$fam $c tcp_outbound_connections_total{$f}" \
			"$(app "$c" tcp_outbound_connections_total "$f")" 3
		expect_eq "$rung: IPv$fam $c tcp_closed_total" "$(app "$c" tcp_closed_total)" 3
		expect_eq "$rung: IPv$fam $c tcp_send_errors_total" "$(app "$c" tcp_send_errors_total)" 0
		expect_eq "$rung: IPv$fam $s tcp_received_bytes_total" "$(app "$s" tcp_received_bytes_total)" 3000000
		expect_eq "$rung: IPv$fam $s tcp_receive_calls_total" "$(app "$s" tcp_receive_calls_total)" \
			"$(truth "$TMP/srv$fam" receive_calls)"
		expect_eq "$rung: IPv$fam $s tcp_inbound_connections_total{$f}" \
			"$(app "$s" tcp_inbound_connections_total "$f")" 3
		expect_eq "$rung: IPv$fam $s tcp_closed_total" "$(app "$s" tcp_closed_total)" 3
		c=${UCL[$fam]} s=${USR[$fam]}
		expect_eq "$rung: IPv$fam $c udp_sent_bytes_total" "$(app "$c" udp_sent_bytes_total)" 20000
		expect_eq "$rung: IPv$fam $c udp_send_calls_total" "$(app "$c" udp_send_calls_total)" 100
		expect_eq "$rung: IPv$fam $s udp_received_bytes_total" "$(app "$s" udp_received_bytes_total)" 20000
		expect_eq "$rung: IPv$fam $s udp_receive_calls_total" "$(app "$s" udp_receive_calls_total)" 100
		expect_eq "$rung: IPv$fam $s udp_receive_errors_total" "$(app "$s" udp_receive_errors_total)" 0
	done
	# Per cgroup: both families' sums.
	expect_eq "$rung: cgroup $CGC tcp_sent_bytes_total" "$(cg "$CGC" tcp_sent_bytes_total)" 6000000
	expect_eq "$rung: cgroup $CGC tcp_outbound_connections_total{ipv4}" \
		"$(cg "$CGC" tcp_outbound_connections_total 'family="ipv4"')" 3
	expect_eq "$rung: cgroup $CGC tcp_outbound_connections_total{ipv6}" \
		"$(cg "$CGC" tcp_outbound_connections_total 'family="ipv6"')" 3
	expect_eq "$rung: cgroup $CGC udp_sent_bytes_total" "$(cg "$CGC" udp_sent_bytes_total)" 40000
	expect_eq "$rung: cgroup $CGS tcp_received_bytes_total" "$(cg "$CGS" tcp_received_bytes_total)" 6000000
	expect_eq "$rung: cgroup $CGS tcp_inbound_connections_total{ipv6}" \
		"$(cg "$CGS" tcp_inbound_connections_total 'family="ipv6"')" 3
	expect_eq "$rung: cgroup $CGS tcp_closed_total" "$(cg "$CGS" tcp_closed_total)" 6
	expect_eq "$rung: cgroup $CGS udp_received_bytes_total" "$(cg "$CGS" udp_received_bytes_total)" 40000
	# The host: at least the sums (the rest of the machine counts too).
	for m in tcp_sent_bytes_total:6000000 tcp_received_bytes_total:6000000 udp_sent_bytes_total:40000 \
		tcp_closed_total:12; do
		got=$(host "${m%%:*}")
		if [ "$got" != missing ] && [ "$got" -ge "${m#*:}" ]; then
			ok "$rung: host ${m%%:*} $got >= ${m#*:}"
		else
			not_ok "$rung: host ${m%%:*} $got < ${m#*:}"
		fi
	done
	stop_run || not_ok "$rung: ebpfmon run exited with an error"
	unset CLI SRV UCL USR
done

# Loss: nftables drops 1 packet in 20 arriving at the server.
start_run --config "$TMP/sock.conf" --modules socket || exit 1
ip netns exec "$NB" nft -f - <<'EOF'
table inet ebpfmon_loss {
	chain input {
		type filter hook input priority 0;
		tcp dport 5003 numgen random mod 20 == 0 drop
	}
}
EOF
retrans_segs() { ip netns exec "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RetransSegs") c = i; h = 1 } else print $c }' /proc/net/snmp; }
c=$(unique_name skl) s=$(unique_name skr)
before=$(retrans_segs "$NA") before_b=$(retrans_segs "$NB")
server "$s" "$TMP/srvl" tcp-server 5003 3 || exit 1
in_ns "$NA" "$CGC" "$SL" "$c" tcp-client 10.78.0.2 5003 3 300000 16384 >"$TMP/clil" || not_ok "lossy client failed"
wait "$SERVER"
sleep 2.5
scrape "$SNAP" || not_ok "loss: scrape failed: $(tail -3 "$TMP/run.err" | tr '\n' ' ')"
# After the scrape: what the kernel counted by then bounds what was shown (late FIN
# retransmits of closed connections go on after the programs exit).
after=$(retrans_segs "$NA") after_b=$(retrans_segs "$NB")
delta=$((after - before))
got=$(app "$c" tcp_retransmits_total)
if [ "$got" != missing ] && [ "$got" -ge 1 ] && [ "$got" -le "$delta" ]; then
	ok "loss: $c tcp_retransmits_total $got, between 1 and RetransSegs delta $delta"
else
	not_ok "loss: $c tcp_retransmits_total $got, want 1..$delta (RetransSegs delta)"
fi
# The server retransmits too, when the ACK of its FIN is the packet dropped: within its own count.
expect_at_most "loss: $s tcp_retransmits_total within its namespace's RetransSegs delta" \
	"$(app "$s" tcp_retransmits_total)" $((after_b - before_b))
expect_eq "loss: $c tcp_sent_bytes_total" "$(app "$c" tcp_sent_bytes_total)" 900000
expect_eq "loss: $s tcp_received_bytes_total" "$(app "$s" tcp_received_bytes_total)" 900000
stop_run || not_ok "loss: ebpfmon run exited with an error: $(tail -3 "$TMP/run.err" | tr '\n' ' ')"

# A connection table that overflows: 40 UDP sockets, room for 16.
printf '[global]\n\tudp connection table size = 16\n' >"$TMP/small.conf"
start_run --config "$TMP/small.conf" --modules socket || exit 1
u=$(unique_name skm)
server "$(unique_name skn)" "$TMP/srvm" udp-server 5004 40 || exit 1
in_ns "$NA" "$CGC" "$SL" "$u" udp-many 10.78.0.2 5004 40 >"$TMP/clim" &
MANY=$!
BG+=($MANY)
sleep 2.5
scrape "$SNAP" || not_ok "overflow: scrape failed"
lost=$(metric "$SNAP" ebpfmon_lost_events_total 'module="socket",table="connection"')
if [ "$lost" != missing ] && [ "$lost" -ge 24 ]; then
	ok "overflow: ebpfmon_lost_events_total{table=connection} $lost >= 24"
else
	not_ok "overflow: ebpfmon_lost_events_total{table=connection} $lost, want >= 24"
fi
expect_eq "overflow: $u udp_send_calls_total (counts do not need the table)" "$(app "$u" udp_send_calls_total)" 40
expect_eq "overflow: $u udp_sent_bytes_total" "$(app "$u" udp_sent_bytes_total)" 400
stop_run || not_ok "overflow: ebpfmon run exited with an error"
wait "$MANY"
