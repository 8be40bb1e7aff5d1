# Shared by the socket kernel tests (sourced after lib.sh): two network
# namespaces joined by a veth pair, two cgroups, a socket workload.
#   ns $NA: 10.78.0.1/24 fd78::1/64 (clients, cgroup $CGC)
#   ns $NB: 10.78.0.2/24 fd78::2/64 (servers, cgroup $CGS)
# Everything is removed on every exit path.
SL=$PWD/$BUILD/tests/kernel/sockload
NA=ebsa$$ NB=ebsb$$ VA=ebsa$$ VB=ebsb$$
cg_root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cg_root" ] || { not_ok "no cgroup2 hierarchy mounted"; exit 0; }
CGC=/ebpfmon-sockc-$$ CGS=/ebpfmon-socks-$$
BG=()
cleanup() {
	local p
	for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null; done
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	rmdir "$cg_root$CGC" "$cg_root$CGS" 2>/dev/null
	[ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null
	cleanup_lib
}
trap cleanup EXIT
mkdir "$cg_root$CGC" "$cg_root$CGS" || { not_ok "cannot create cgroups under $cg_root"; exit 0; }

ip netns add "$NA" && ip netns add "$NB" &&
	ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB" || { not_ok "namespaces"; exit 0; }
ip -n "$NA" link set lo up; ip -n "$NB" link set lo up
ip -n "$NA" addr add 10.78.0.1/24 dev "$VA"; ip -n "$NB" addr add 10.78.0.2/24 dev "$VB"
ip -n "$NA" addr add fd78::1/64 dev "$VA" nodad; ip -n "$NB" addr add fd78::2/64 dev "$VB" nodad
ip -n "$NA" link set "$VA" up; ip -n "$NB" link set "$VB" up
sleep 0.5

# in_ns NS CGROUP CMD...: CMD in network namespace NS and cgroup CGROUP.
in_ns() {
	local ns=$1 cg=$2
	shift 2
	sh -c 'echo $$ >"$1" && shift && exec ip netns exec "$@"' sh "$cg_root$cg/cgroup.procs" "$ns" "$@"
}

# server NAME OUT MODE PORT N [6]: a server in NB, in the background; waits for "ready".
server() {
	local name=$1 out=$2
	shift 2
	in_ns "$NB" "$CGS" "$SL" "$name" "$@" >"$out" &
	SERVER=$!
	BG+=($SERVER)
	for _ in $(seq 50); do grep -q ready "$out" 2>/dev/null && return 0; sleep 0.1; done
	not_ok "server $name did not start"
	return 1
}

