#!/usr/bin/env bash
# kernel tier: the systemd unit (packaging/systemd/ebpfmon.service).
# `systemd-analyze verify` accepts it. PID 1 here is not systemd, so the unit
# cannot be started; instead its restrictions are applied by hand, each the way
# systemd applies it, and its ExecStart runs under them:
#   CapabilityBoundingSet                setpriv --bounding-set
#   NoNewPrivileges                      setpriv --no-new-privs
#   SystemCallFilter, SystemCallErrorNumber, RestrictAddressFamilies
#                                        a seccomp filter (unit_seccomp.py, groups from systemd-analyze)
#   ProtectSystem=strict, RuntimeDirectory, PrivateTmp, ProtectHome,
#   ProtectKernelTunables, ProtectControlGroups, PrivateDevices, ProtectKernelLogs
#                                        a private mount namespace: every mount read-only but
#                                        /run/ebpfmon, an empty /tmp, /home /root /run/user
#                                        hidden, /proc/kallsyms and kmsg hidden, a minimal /dev
#   DynamicUser, AmbientCapabilities     uid and gid 65534 (they own nothing, as a dynamic
#                                        user), the capabilities as ambient ones
#   ProtectProc=invisible                /proc mounted again with hidepid=invisible
# There, with every module this kernel runs (flows on lo), `run` serves and
# counts a workload's reads and writes exactly, holds no capability after
# attach, and runs under the filter. The same without `bpf` in the filter,
# or without CAP_PERFMON, fails: the sandbox is really applied.
source "$(dirname "$0")/lib.sh"
need_root "service"
UNIT=packaging/systemd/ebpfmon.service
PY=/usr/bin/python3	# Debian's, with python3-seccomp

for tool in systemd-analyze setpriv unshare; do
	command -v $tool >/dev/null || { not_ok "$tool is missing (scripts/deps.sh test)"; exit 0; }
done
$PY -c 'import seccomp' 2>/dev/null || { not_ok "python3-seccomp is missing (scripts/deps.sh test)"; exit 0; }

# 1. systemd-analyze verify: the unit as shipped, its binary at our build, the
# man page it points to found where `man` looks first.
sed "s#^ExecStart=/usr/sbin/ebpfmon #ExecStart=$EBPFMON #" "$UNIT" >"$TMP/ebpfmon.service"
mkdir -p "$TMP/man/man8" && cp docs/ebpfmon.8 "$TMP/man/man8/"
if MANPATH="$TMP/man" SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$TMP/ebpfmon.service" >"$TMP/verify.out" 2>&1 &&
	[ ! -s "$TMP/verify.out" ]; then
	ok "systemd-analyze verify: no complaint"
else
	not_ok "systemd-analyze verify: $(tr '\n' ' ' <"$TMP/verify.out" | head -c 400)"
fi
score=$(systemd-analyze security --offline=yes "$TMP/ebpfmon.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for ebpfmon.service: \([0-9.]*\).*/\1/p')
grep -q "systemd-analyze security.*: $score " README.md && ok "README quotes the exposure score $score" ||
	not_ok "README does not quote the exposure score ${score:-none} (systemd-analyze security --offline=yes)"

# The unit's settings, as written.
unit_val() { sed -n "s/^$1=//p" "$UNIT" | tail -1; }
caps=$(unit_val CapabilityBoundingSet)
exec_start=$(unit_val ExecStart)
expect_eq "DynamicUser" "$(unit_val DynamicUser)" yes
expect_eq "AmbientCapabilities" "$(unit_val AmbientCapabilities)" "$(unit_val CapabilityBoundingSet)"
expect_eq "NoNewPrivileges" "$(unit_val NoNewPrivileges)" yes
expect_eq "ProtectSystem" "$(unit_val ProtectSystem)" strict
case "$exec_start" in
"/usr/sbin/ebpfmon run --config /etc/ebpfmon/ebpfmon.conf") ok "ExecStart runs the installed binary with the installed configuration" ;;
*) not_ok "ExecStart is '$exec_start'" ;;
esac

# setpriv's form of a capability list: "CAP_BPF CAP_PERFMON" -> "-all,+bpf,+perfmon".
setpriv_caps() {
	local c out=-all
	for c in $1; do out="$out,+$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"; done
	echo "$out"
}

# sandboxed UNITFILE CAPS ARGS...: ExecStart of the unit (the binary: ours, the
# configuration: the default one, at its path inside a private /tmp) plus ARGS,
# under the unit's restrictions. Execs: run it in a subshell or with &.
sandboxed() {
	local unit=$1 capset; capset=$(setpriv_caps "$2"); shift 2
	local conf unit_text; conf=$(cat "$TMP/ebpfmon.conf"); unit_text=$(cat "$unit")
	# shellcheck disable=SC2016
	exec unshare --mount --propagation private -- bash -c '
		set -e
		unit_text=$1 capset=$2 conf=$3 py=$4 bin=$5; shift 5
		mnt() { mount "$@" 2>/dev/null || { echo "sandbox: mount $* failed" >&2; exit 97; }; }
		# RuntimeDirectory=ebpfmon on a /run of its own; PrivateTmp; ProtectHome.
		mnt -t tmpfs -o mode=0755 tmpfs /run
		mkdir /run/ebpfmon && mnt --bind /run/ebpfmon /run/ebpfmon
		chown 65534:65534 /run/ebpfmon
		mnt -t tmpfs -o mode=1777 tmpfs /tmp
		printf "%s\n" "$conf" >/tmp/ebpfmon.conf
		printf "%s\n" "$unit_text" >/tmp/unit.service
		# The binary and the loader, before /home and /root go (a checkout may be there).
		cp "$bin" /tmp/ebpfmon && cp "$unit_seccomp" /tmp/unit_seccomp.py && bin=/tmp/ebpfmon
		for d in /home /root; do [ -d $d ] && mnt -t tmpfs -o ro,mode=0755 tmpfs $d; done
		# PrivateDevices: the usual pseudo devices only.
		mkdir -p /tmp/.dev && for n in null zero full random urandom tty; do
			touch /tmp/.dev/$n && mnt --bind /dev/$n /tmp/.dev/$n; done
		mnt -t tmpfs -o mode=0755 tmpfs /dev
		for n in null zero full random urandom tty; do
			touch /dev/$n && mnt --bind /tmp/.dev/$n /dev/$n; done
		ln -s /proc/self/fd /dev/fd
		# ProtectKernelTunables, ProtectKernelLogs: kallsyms, kcore and kmsg unreadable.
		# ProtectProc=invisible: a /proc of its own, hiding processes of other users.
		mnt -t proc -o hidepid=invisible,nosuid,nodev,noexec proc /proc
		for f in /proc/kallsyms /proc/kcore /proc/kmsg; do [ ! -e $f ] || mnt --bind /dev/null $f; done
		mnt --bind /proc/sys /proc/sys
		# ProtectSystem=strict, ProtectKernelTunables, ProtectControlGroups: every
		# mount read-only (/sys, /proc/sys and cgroupfs too) but /run/ebpfmon, /tmp, /dev.
		awk "{ print \$5 }" /proc/self/mountinfo | sort -u | while read -r m; do
			case "$m" in /run/ebpfmon | /tmp | /tmp/* | /dev | /dev/* | /proc) continue ;; esac
			mount -o remount,bind,ro "$m" 2>/dev/null || true
		done
		mnt -o remount,bind,ro /proc/sys
		! touch /etc/.ebpfmon-sandbox 2>/dev/null || { rm -f /etc/.ebpfmon-sandbox; echo "sandbox: / is writable" >&2; exit 97; }
		! touch /sys/fs/cgroup/.ebpfmon-sandbox 2>/dev/null || { echo "sandbox: cgroupfs is writable" >&2; exit 97; }
		! head -c1 /proc/kallsyms 2>/dev/null | grep -q . || { echo "sandbox: kallsyms readable" >&2; exit 97; }
		touch /run/ebpfmon/.w && rm /run/ebpfmon/.w
		# The user, no_new_privs, the bounding and ambient sets, then the filter.
		exec setpriv --reuid 65534 --regid 65534 --clear-groups --no-new-privs \
			--bounding-set "$capset" --inh-caps "$capset" --ambient-caps "$capset" -- \
			"$py" /tmp/unit_seccomp.py /tmp/unit.service -- "$bin" "$@"
	' sandbox "$unit_text" "$capset" "$conf" "$PY" "$EBPFMON" "$@"
}
unit_seccomp=$PWD/tests/kernel/unit_seccomp.py
export unit_seccomp

# The configuration `make install` installs, read where the unit reads it.
"$EBPFMON" config >"$TMP/ebpfmon.conf"
read -r -a exec_args <<<"${exec_start#/usr/sbin/ebpfmon }"
exec_args=("${exec_args[@]/\/etc\/ebpfmon\/ebpfmon.conf//tmp/ebpfmon.conf}")
modules=$("$EBPFMON" check --json --modules process,fd,vfs,sync,mount,shm,oomkill,cachestat,swap,flows,hardirq,softirq,disk,mdflush,filesystem,dcstat,socket --flows-iface lo |
	$PY -c 'import json, sys; print(",".join(m["name"] for m in json.load(sys.stdin)["modules"] if m["state"] == "available" and m["name"] != "core"))')
case ",$modules," in *,vfs,*flows,*socket,*) ;; *) not_ok "modules available here: '$modules'" ;; esac
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# 2. The unit's restrictions, every module: serves, counts exactly, keeps nothing.
sandboxed "$UNIT" "$caps" "${exec_args[@]}" --listen "127.0.0.1:$PORT" --modules "$modules" \
	--cgroups yes --flows-iface lo >/dev/null 2>"$TMP/sb.err" &
SB_PID=$!
trap '[ -n "$SB_PID" ] && kill -KILL "$SB_PID" 2>/dev/null; cleanup_lib' EXIT
for _ in $(seq 300); do
	curl -sf "http://127.0.0.1:$PORT/metrics" -o /dev/null && break
	kill -0 "$SB_PID" 2>/dev/null || break
	sleep 0.1
done
if curl -sf "http://127.0.0.1:$PORT/metrics" -o "$TMP/sb0.prom"; then
	ok "run under the unit's restrictions serves /metrics (modules $modules)"
	grep -q 'capabilities after attach: none' "$TMP/sb.err" && ok "run under the unit kept no capability" ||
		not_ok "run under the unit: $(tr '\n' ' ' <"$TMP/sb.err" | head -c 300)"
	# The agent is the sandbox's process: the filter, no_new_privs, nothing bounded.
	agent=$SB_PID
	[ "$(awk '$1 == "Seccomp:" { print $2 }' /proc/$agent/status)" = 2 ] && ok "the agent runs under a seccomp filter" ||
		not_ok "the agent has no seccomp filter: $(grep -E 'Seccomp|Name' /proc/$agent/status | tr '\n' ' ')"
	expect_eq "the agent's uids" "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' /proc/$agent/status)" "65534 65534 65534 65534"
	expect_eq "the agent's NoNewPrivs" "$(awk '$1 == "NoNewPrivs:" { print $2 }' /proc/$agent/status)" 1
	# Every thread holds nothing. The bounding set stays the unit's (dropping it
	# needs CAP_SETPCAP, not granted): with no_new_privs and no uid 0, nothing
	# regains it.
	for f in CapEff CapPrm CapInh CapAmb; do
		held=$(for t in /proc/$agent/task/*; do awk -v f="$f:" '$1 == f && $2 !~ /^0+$/ { print FILENAME "=" $2 }' "$t/status"; done)
		expect_eq "the agent's $f after attach, every thread" "${held:-empty}" empty
	done
	bnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/$agent/status)
	expect_eq "the agent's bounding set: CAP_NET_ADMIN CAP_PERFMON CAP_BPF at most" \
		"$(( 16#$bnd & ~((1 << 12) | (1 << 38) | (1 << 39)) ))" 0
	app=$(unique_name svc)
	"$WORKLOAD" rw "$app" 100 4096 >"$TMP/rw.truth" || not_ok "workload failed"
	sleep 2.2
	curl -sf "http://127.0.0.1:$PORT/metrics" -o "$TMP/sb.prom"
	compare_truth "$TMP/sb.prom" "$TMP/rw.truth" "$app" '^vfs_(read|write)_(calls|bytes)'
	grep -q '^ebpfmon_cgroup_' "$TMP/sb.prom" && ok "per-cgroup rows under the unit (cgroupfs read-only)" ||
		not_ok "no per-cgroup rows under the unit"
	grep -q '^ebpfmon_flows_' "$TMP/sb.prom" && ok "flows module on lo under the unit" ||
		not_ok "no flows series under the unit"
	kill -TERM "$SB_PID"; wait "$SB_PID"; rc=$?; SB_PID=
	expect_eq "run under the unit stops on SIGTERM with status" "$rc" 0
else
	not_ok "run under the unit's restrictions did not serve: $(tr '\n' ' ' <"$TMP/sb.err" | head -c 400)"
	kill -KILL "$SB_PID" 2>/dev/null; wait "$SB_PID" 2>/dev/null; SB_PID=
fi

# 3. Controls: the same sandbox with less must fail, or it proves nothing.
sed 's/^SystemCallFilter=.*/SystemCallFilter=@system-service perf_event_open/' "$UNIT" >"$TMP/nobpf.service"
timeout 30 bash -c "$(declare -f sandboxed setpriv_caps); TMP=$TMP EBPFMON=$EBPFMON PY=$PY
	sandboxed $TMP/nobpf.service '$caps' snapshot --duration 1s --modules vfs" >/dev/null 2>"$TMP/nobpf.err"
rc=$?
[ $rc -ne 0 ] && grep -q 'Operation not permitted' "$TMP/nobpf.err" && ok "control: without bpf in SystemCallFilter, loading fails (exit $rc)" ||
	not_ok "control: without bpf(2) allowed the agent still ran (exit $rc): $(tr '\n' ' ' <"$TMP/nobpf.err" | head -c 300)"
timeout 30 bash -c "$(declare -f sandboxed setpriv_caps); TMP=$TMP EBPFMON=$EBPFMON PY=$PY
	sandboxed $UNIT 'CAP_BPF CAP_NET_ADMIN' snapshot --duration 1s --modules vfs" >/dev/null 2>"$TMP/noperf.err"
rc=$?
[ $rc -eq 1 ] && grep -q 'needs CAP_BPF and CAP_PERFMON' "$TMP/noperf.err" && ok "control: without CAP_PERFMON the agent refuses (exit 1)" ||
	not_ok "control: without CAP_PERFMON (exit $rc): $(tr '\n' ' ' <"$TMP/noperf.err" | head -c 300)"
timeout 30 bash -c "$(declare -f sandboxed setpriv_caps); TMP=$TMP EBPFMON=$EBPFMON PY=$PY
	sandboxed $UNIT 'CAP_BPF CAP_PERFMON' snapshot --duration 1s --modules flows --flows-iface lo" >/dev/null 2>"$TMP/nonet.err"
rc=$?
[ $rc -eq 1 ] && ok "control: the flows module needs CAP_NET_ADMIN (exit 1 without)" ||
	not_ok "control: flows without CAP_NET_ADMIN (exit $rc): $(tr '\n' ' ' <"$TMP/nonet.err" | head -c 300)"
