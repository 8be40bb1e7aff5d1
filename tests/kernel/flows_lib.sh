# Shared by the flows kernel tests (sourced). Two network namespaces joined by
# a veth pair; everything is removed on every exit path.
#   ns $NA: va$ID 10.77.0.1/24 fd77::1/64 (sender)
#   ns $NB: vb$ID 10.77.0.2/24 fd77::2/64 (receiver, where ebpfmon counts)
set -u
BUILD=${BUILD:-build}
EBPFMON=${EBPFMON:-$PWD/$BUILD/ebpfmon}
SEND=$PWD/$BUILD/tests/kernel/flows_send
ID=${ID:-$$}
NA=flowsa$ID NB=flowsb$ID VA=va$ID VB=vb$ID
TMP=$(mktemp -d)
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
check() { # description, command...
	local what=$1; shift
	if "$@"; then ok "$what"; else nok "$what"; fi
}

inA() { ip netns exec "$NA" "$@"; }
inB() { ip netns exec "$NB" "$@"; }
# Like inA, but keeps the host's /sys (ip netns exec remounts it, hiding cgroup2).
netA() { nsenter --net="/run/netns/$NA" "$@"; }

setup_pair() { # [v4only]: no IPv6 at all, so no ND/MLD/RS traffic either
	ip netns add "$NA" && ip netns add "$NB" || return 1
	if [ "${1:-}" = v4only ]; then
		inA sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		inB sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	fi
	ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB" || return 1
	local ns dev a6 a4
	for ns in A B; do
		if [ $ns = A ]; then dev=$VA a4=10.77.0.1 a6=fd77::1; else dev=$VB a4=10.77.0.2 a6=fd77::2; fi
		ip netns exec "flows${ns,,}$ID" sh -c "
			ip link set lo up &&
			ip addr add $a4/24 dev $dev &&
			{ [ '${1:-}' = v4only ] || ip addr add $a6/64 dev $dev nodad; } &&
			ip link set $dev up" || return 1
	done
	# Static neighbours: no ARP/ND between the sides during a measurement.
	inA ip neigh replace 10.77.0.2 lladdr "$(inB cat /sys/class/net/$VB/address)" dev "$VA" nud permanent
	inB ip neigh replace 10.77.0.1 lladdr "$(inA cat /sys/class/net/$VA/address)" dev "$VB" nud permanent
	[ "${1:-}" = v4only ] && { sleep 0.3; return 0; }
	inA ip -6 neigh replace fd77::2 lladdr "$(inB cat /sys/class/net/$VB/address)" dev "$VA" nud permanent
	inB ip -6 neigh replace fd77::1 lladdr "$(inA cat /sys/class/net/$VA/address)" dev "$VB" nud permanent
	sleep 0.3
}

# Start ebpfmon flows in namespace $1 with args; waits for "attached". Sets FPID, FOUT, FERR.
start_flows() {
	local ns=$1; shift
	FOUT=$TMP/out.$RANDOM FERR=$TMP/err.$RANDOM
	nsenter --net="/run/netns/$ns" "$EBPFMON" flows "$@" >"$FOUT" 2>"$FERR" &
	FPID=$!
	PIDS+=("$FPID")
	for _ in $(seq 100); do
		grep -q '^attached$' "$FERR" && return 0
		kill -0 "$FPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# ebpfmon flows $* did not attach: $(head -c 300 "$FERR")"
	return 1
}

# Stop it with a signal and wait; 0 when it exited 0.
stop_flows() {
	kill "-${1:-INT}" "$FPID" 2>/dev/null
	wait "$FPID"
}

# python3 over the JSON report: prints the matching flow's "packets bytes" (or "none").
flow_of() { # file, python condition on f
	python3 - "$1" "$2" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
cond = sys.argv[2]
m = [f for f in doc["flows"] if eval(cond, {}, {"f": f})]
if len(m) != 1:
    print("none %d" % len(m))
else:
    print(m[0]["packets"], m[0]["bytes"])
EOF
}

# Nothing of ours on dev $2 in ns $1, and no flows_* program loaded anywhere.
nothing_left() {
	local ns=$1 dev=$2 i
	for i in $(seq 40); do
		if ! bpftool prog show 2>/dev/null | grep -q 'name flows_\|name ebpfmon_tc_'; then break; fi
		sleep 0.05
	done
	if bpftool prog show 2>/dev/null | grep -q 'name flows_\|name ebpfmon_tc_'; then
		echo "# programs left: $(bpftool prog show | grep 'name flows_\|name ebpfmon_tc_' | head -3)"; return 1
	fi
	if ip netns exec "$ns" bpftool net show dev "$dev" 2>/dev/null | grep -q 'flows_\|ebpfmon_tc_'; then
		echo "# bpftool net: $(ip netns exec "$ns" bpftool net show dev "$dev")"; return 1
	fi
	if [ -n "$(ip netns exec "$ns" tc filter show dev "$dev" ingress 2>/dev/null)$(ip netns exec "$ns" tc filter show dev "$dev" egress 2>/dev/null)" ]; then
		echo "# tc filters left"; return 1
	fi
	if ip netns exec "$ns" tc qdisc show dev "$dev" | grep -q clsact; then
		echo "# clsact qdisc left"; return 1
	fi
	if ip netns exec "$ns" ip link show dev "$dev" | grep -q 'xdp'; then
		echo "# xdp left: $(ip netns exec "$ns" ip link show dev "$dev")"; return 1
	fi
	return 0
}
