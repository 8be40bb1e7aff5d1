#!/usr/bin/env bash
# kernel tier: least privilege. Once attached, `run` holds no capability in
# any of its threads (effective, permitted, bounding), has no_new_privs, and
# still counts exactly; with --user it runs as that user and still reads its
# maps through the descriptors it holds; it stops cleanly and leaves no link.
# flows on a veth (TCX) keeps nothing either. A missing user is one line, exit 2.
source "$(dirname "$0")/lib.sh"
need_root "privileges"

# threads_hold PID FIELD: "tid=value" of every thread whose FIELD is not all zeros.
threads_hold() {
	local t v
	for t in /proc/"$1"/task/*; do
		v=$(awk -v f="$2:" '$1 == f { print $2 }' "$t/status")
		[ -n "$v" ] && [ "$((16#$v))" -ne 0 ] && printf '%s=%s ' "${t##*/}" "$v"
	done
}
# expect_unprivileged WHAT PID [UID]
expect_unprivileged() {
	local f held t uid
	for f in CapEff CapPrm CapBnd CapAmb; do
		held=$(threads_hold "$2" $f)
		expect_eq "$1: $f of every thread is empty" "${held:-none}" none
	done
	held=
	for t in /proc/"$2"/task/*; do
		[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$t/status")" = 1 ] || held="$held ${t##*/}"
	done
	expect_eq "$1: no_new_privs in every thread" "${held:-all}" all
	if [ -n "${3:-}" ]; then
		held=
		for t in /proc/"$2"/task/*; do
			uid=$(awk '$1 == "Uid:" { print $2 $3 $4 $5 }' "$t/status")
			[ "$uid" = "$3$3$3$3" ] || held="$held ${t##*/}:$uid"
		done
		expect_eq "$1: every thread runs as uid $3" "${held:-all}" all
	fi
}
# held_links PID: the ids of the BPF links PID holds; links_alive IDS...: those that still exist.
held_links() { grep -h '^link_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un | tr '\n' ' '; }
links_alive() {
	local id n=0
	for id in "$@"; do bpftool link show id "$id" >/dev/null 2>&1 && n=$((n + 1)); done
	echo $n
}
# 1. As root, capabilities dropped; counting goes on exactly.
start_run --modules process,fd,vfs || exit 1
grep -q 'capabilities after attach: none' "$TMP/run.err" && ok "run says what it kept: none" ||
	not_ok "run did not say what it kept: $(tr '\n' ' ' <"$TMP/run.err")"
expect_unprivileged "run" "$RUN_PID"
app=$(unique_name pv)
"$WORKLOAD" rw "$app" 100 4096 >"$TMP/rw.truth" || not_ok "workload failed"
sleep 2.2
scrape "$TMP/root.prom"
compare_truth "$TMP/root.prom" "$TMP/rw.truth" "$app" '^vfs_(read|write)_(calls|bytes)'
links1=$(held_links "$RUN_PID")
stop_run || not_ok "run exited with an error after dropping its capabilities"

# 2. --user nobody: another user, the same numbers, memory still reported.
uid=$(id -u nobody)
start_run --modules process,fd,vfs --user nobody || exit 1
expect_unprivileged "run --user nobody" "$RUN_PID" "$uid"
app=$(unique_name pu)
"$WORKLOAD" rw "$app" 100 4096 >"$TMP/rw2.truth" || not_ok "workload failed"
sleep 2.2
scrape "$TMP/user.prom"
compare_truth "$TMP/user.prom" "$TMP/rw2.truth" "$app" '^vfs_(read|write)_(calls|bytes)'
bytes=$(metric "$TMP/user.prom" ebpfmon_kernel_map_bytes 'module="core",map="epochs"')
[ "$bytes" != missing ] && [ "$bytes" -gt 0 ] && ok "kernel map bytes still read as nobody: $bytes" ||
	not_ok "kernel map bytes as nobody: $bytes"
links2=$(held_links "$RUN_PID")
stop_run || not_ok "run --user nobody exited with an error"
[ -n "$links1" ] && [ -n "$links2" ] || not_ok "no BPF link found in the runs' descriptors"
# shellcheck disable=SC2086
expect_eq "links of both runs left after they stopped" "$(links_alive $links1 $links2)" 0

# 3. flows on a veth of our own: through TCX nothing is kept; through clsact
# CAP_NET_ADMIN alone, to remove the filters at exit. Nothing is left either way.
# flows_run WHAT WANT_CAPEFF [ENV...]
flows_run() {
	local what=$1 want=$2 ns=ebpfmonpv$$ port fpid held t
	shift 2
	ip netns add "$ns" && ip -n "$ns" link add pva$$ type veth peer name pvb$$ &&
		ip -n "$ns" link set lo up && ip -n "$ns" link set pva$$ up &&
		ip -n "$ns" link set pvb$$ up || { not_ok "cannot make namespace $ns"; return; }
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	env "$@" nsenter --net=/run/netns/"$ns" "$EBPFMON" run --modules flows --flows-iface pva$$ \
		--listen 127.0.0.1:"$port" >/dev/null 2>"$TMP/flows.err" &
	fpid=$!
	for _ in $(seq 100); do
		nsenter --net=/run/netns/"$ns" curl -sf "http://127.0.0.1:$port/metrics" -o /dev/null && break
		sleep 0.1
	done
	held=
	for t in /proc/"$fpid"/task/*; do
		[ "$(awk '$1 == "CapEff:" { print $2 }' "$t/status")" = "$want" ] || held="$held ${t##*/}"
	done
	expect_eq "$what: every thread's CapEff is $want" "${held:-all}" all
	expect_eq "$what: no thread's CapBnd" "$(threads_hold "$fpid" CapBnd)" ""
	kill -TERM "$fpid"
	wait "$fpid"
	expect_eq "$what: exits cleanly" $? 0
	expect_eq "$what: BPF programs left on the veth" \
		"$(ip netns exec "$ns" bpftool net show dev pva$$ 2>/dev/null | grep -c 'flows')" 0
	expect_eq "$what: TC filters left on the veth" \
		"$( (tc -n "$ns" filter show dev pva$$ ingress; tc -n "$ns" filter show dev pva$$ egress) 2>/dev/null | grep -c .)" 0
	ip netns del "$ns"
}
flows_run "flows through TCX" 0000000000000000
flows_run "flows through clsact" 0000000000001000 EBPFMON_DISABLE=tcx
grep -q 'capabilities after attach: net_admin' "$TMP/flows.err" && ok "clsact run says it kept net_admin" ||
	not_ok "clsact run: $(tr '\n' ' ' <"$TMP/flows.err")"

# 4. A user that does not exist: one line, exit 2, nothing attached.
"$EBPFMON" run --user no-such-user-$$ >/dev/null 2>"$TMP/nouser.err"
expect_eq "--user no-such-user: exit code" $? 2
expect_eq "--user no-such-user: lines said" "$(wc -l <"$TMP/nouser.err")" 1
grep -q "no user 'no-such-user-$$'" "$TMP/nouser.err" && ok "--user names the missing user" ||
	not_ok "--user message: $(cat "$TMP/nouser.err")"
