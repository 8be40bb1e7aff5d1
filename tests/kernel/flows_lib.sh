# Shared by the flows kernel tests (sourced). Two network namespaces joined by
# a veth pair; everything is removed on every exit path.
#   ns $NA: va$ID 10.77.0.1/24 fd77::1/64 (sender)
#   ns $NB: vb$ID 10.77.0.2/24 fd77::2/64 (receiver, where ebpfmon counts)
set -u
BUILD=${BUILD:-build}
EBPFMON=${EBPFMON:-$PWD/$BUILD/ebpfmon}
SEND=$PWD/$BUILD/tests/kernel/flows_send
ID=${ID:-$$}
# FLOWS_NAME_PREFIX (e.g. "fl9"): namespaces and veths named apart from those
# of others running kernel tests on the same machine (veth names: 15 bytes).
P=${FLOWS_NAME_PREFIX:-}
NA=${P}flowsa$ID NB=${P}flowsb$ID VA=${P}va$ID VB=${P}vb$ID
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
		ip netns exec "${P}flows${ns,,}$ID" sh -c "
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

# Programs on a device's TCX hooks (bpftool 7.1 does not list them), through
# BPF_PROG_QUERY: tcx_links NS DEV prints the count.
tcx_links() {
	ip netns exec "$1" python3 - "$2" <<'EOF'
import ctypes, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_bpf = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
ifindex = socket.if_nametoindex(sys.argv[1])
total = 0
for attach_type in (46, 47):  # BPF_TCX_INGRESS, BPF_TCX_EGRESS
    attr = ctypes.create_string_buffer(struct.pack("<IIII", ifindex, attach_type, 0, 0), 128)
    if libc.syscall(SYS_bpf, 16, attr, 128) != 0:  # BPF_PROG_QUERY
        print("query failed: errno %d" % ctypes.get_errno())
        sys.exit(0)
    total += struct.unpack_from("<I", attr, 24)[0]  # query.prog_cnt
print(total)
EOF
}

CG2ROOT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)

# Nothing of ours on dev $2 in ns $1 (tc filters, clsact qdisc, TCX, XDP), and
# no flows program at the cgroup v2 root. Attachments are looked at, not every
# loaded program: other tests on the machine may be running their own.
nothing_left() {
	local ns=$1 dev=$2 left
	for _ in $(seq 40); do
		left=
		if [ -n "$(ip netns exec "$ns" tc filter show dev "$dev" ingress 2>/dev/null)$(ip netns exec "$ns" tc filter show dev "$dev" egress 2>/dev/null)" ]; then
			left="tc filters: $(ip netns exec "$ns" tc filter show dev "$dev" ingress | head -2)"
		elif ip netns exec "$ns" tc qdisc show dev "$dev" | grep -q clsact; then
			left="clsact qdisc"
		elif [ "$(tcx_links "$ns" "$dev")" != 0 ]; then
			left="TCX programs: $(tcx_links "$ns" "$dev")"
		elif ip netns exec "$ns" bpftool net show dev "$dev" 2>/dev/null | grep -q 'flows_\|ebpfmon_tc_'; then
			left="bpftool net: $(ip netns exec "$ns" bpftool net show dev "$dev" | tr '\n' ' ')"
		elif ip netns exec "$ns" ip link show dev "$dev" | grep -q 'xdp'; then
			left="xdp: $(ip netns exec "$ns" ip link show dev "$dev" | tr '\n' ' ')"
		elif [ -n "$CG2ROOT" ] && bpftool cgroup show "$CG2ROOT" 2>/dev/null | grep -q ' flows_'; then
			left="cgroup programs: $(bpftool cgroup show "$CG2ROOT" | grep ' flows_' | head -3 | tr '\n' ' ')"
		fi
		[ -z "$left" ] && return 0
		sleep 0.05 # a killed process's links go a moment after it
	done
	echo "# left: $left"
	return 1
}
