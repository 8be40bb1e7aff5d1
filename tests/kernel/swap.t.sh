#!/usr/bin/env bash
# kernel tier: the swap module against /proc/vmstat, on each swap-out rung
# (tp_btf, then the classic tracepoint with EBPFMON_DISABLE=tp_btf).
#
# A 512 MiB swap file in a directory of our own (mkswap + swapon) and a
# memory cgroup (v1 here: memory.limit_in_bytes; v2 memory.max elsewhere)
# limited to 48 MiB; a process of a name of its own fills 128 MiB with
# non-zero data in it (the kernel swaps out what does not fit) and reads it
# all back (swap-ins). Swap-outs: its application's and its cgroup's
# call="write" series must equal the pages /proc/vmstat says went out in the
# same window (pswpout, plus zswpout and swpout_zero: folios kept off the
# device are swap_writeout() calls too) within 5 %. The workload sets
# MADV_NOHUGEPAGE, so a call is a page. Swap-in has no tracepoint: where
# kprobes cannot attach its series is absent and `ebpfmon check --json` says
# why; where they can, call="read" is compared with pswpin the same way.
source "$(dirname "$0")/lib.sh"
need_root "swap"

LOAD=$BUILD/tests/kernel/swapload
cg_root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cg_root" ] || { not_ok "no cgroup2 hierarchy mounted"; exit 0; }
for tool in mkswap swapon swapoff; do
	command -v $tool >/dev/null || { not_ok "$tool is missing (util-linux)"; exit 0; }
done
CG=/ebpfmon-swap-$$ MEMCG=
dir=$TMP
[ "$(stat -f -c %T "$dir")" = tmpfs ] && dir=$(mktemp -d /var/tmp/ebpfmon-swap.XXXXXX)
SWAPFILE=$dir/swapfile SWAPON=
cleanup() {
	[ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null
	[ -n "$SWAPON" ] && swapoff "$SWAPFILE"
	[ -n "$MEMCG" ] && rmdir "$MEMCG" 2>/dev/null
	rmdir "$cg_root$CG" 2>/dev/null
	[ "$dir" != "$TMP" ] && rm -rf "$dir"
	cleanup_lib
}
trap cleanup EXIT
mkdir "$cg_root$CG" || { not_ok "cannot create cgroup $CG"; exit 0; }
if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
	MEMCG=/sys/fs/cgroup/memory/ebpfmon-swap-$$
	mkdir "$MEMCG" && echo $((48 << 20)) >"$MEMCG/memory.limit_in_bytes" ||
		{ not_ok "cannot make memory cgroup $MEMCG"; exit 0; }
	memprocs=$MEMCG/cgroup.procs
else
	echo "+memory" >"$cg_root/cgroup.subtree_control" 2>/dev/null
	echo $((48 << 20)) >"$cg_root$CG/memory.max" || { not_ok "cannot limit $CG"; exit 0; }
	memprocs=$cg_root$CG/cgroup.procs
fi
dd if=/dev/zero of="$SWAPFILE" bs=1M count=512 status=none && chmod 600 "$SWAPFILE" &&
	mkswap "$SWAPFILE" >/dev/null && swapon "$SWAPFILE" && SWAPON=1 ||
	{ not_ok "cannot set up a swap file in $dir"; exit 0; }

vmstat() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' /proc/vmstat; }
swapped_out() { echo $(($(vmstat pswpout) + $(vmstat zswpout) + $(vmstat swpout_zero))); }
swapped_in() { echo $(($(vmstat pswpin) + $(vmstat zswpin) + $(vmstat swpin_zero))); }

# within DESC GOT WANT PERCENT: |GOT - WANT| <= WANT * PERCENT / 100, WANT > 0.
within() {
	local d=$1 got=$2 want=$3 pct=$4
	if [ "$got" != missing ] && [ "$want" -gt 0 ] &&
		[ $(((got - want) * 100 <= want * pct && (want - got) * 100 <= want * pct)) = 1 ]; then
		ok "$d = $got (want $want within $pct %)"
	else
		not_ok "$d = $got, want $want within $pct %"
	fi
}

one_rung() { # rung, EBPFMON_DISABLE for the agent
	local rung=$1 disable=$2 app prom="$TMP/swap-$1.prom" out0 out1 in0 in1 reading
	app=$(unique_name swp)
	cp "$LOAD" "$TMP/$app" || { not_ok "$rung: copy the workload"; return; }
	EBPFMON_DISABLE=$disable "$EBPFMON" check --json --modules swap >"$TMP/check-$rung.json" 2>&1
	reading=$(python3 - "$TMP/check-$rung.json" "$rung" <<-'EOF'
		import json, sys
		doc = json.load(open(sys.argv[1]))
		mod = next(m for m in doc["modules"] if m["name"] == "swap")
		hooks = {h["hook"]: h for h in mod["hooks"]}
		out, inn = hooks["swap-out"], hooks["swap-in"]
		print("ok" if out.get("implementation") == sys.argv[2] else "bad swap-out: %s" % out)
		print(inn.get("implementation") or "none: " + inn.get("reason", "?"))
	EOF
	) || { not_ok "$rung: check --json: $(head -c 300 "$TMP/check-$rung.json")"; return; }
	expect_eq "$rung: check --json chooses $rung for swap-out" "$(sed -n 1p <<<"$reading")" ok
	reading=$(sed -n 2p <<<"$reading")
	EBPFMON_DISABLE=$disable start_run --config "$TMP/swap.conf" --modules swap || return

	out0=$(swapped_out) in0=$(swapped_in)
	sh -c 'echo $$ >"$1" && echo $$ >"$2/cgroup.procs" && exec "$3" 128 1' sh \
		"$memprocs" "$cg_root$CG" "$TMP/$app" >/dev/null || not_ok "$rung: the workload failed"
	out1=$(swapped_out) in1=$(swapped_in)
	sleep 2.2
	scrape "$prom" || not_ok "$rung: scrape failed"
	# It must have swapped for the comparison to mean anything: 128 MiB in 48 MiB.
	if [ $((out1 - out0)) -ge 16384 ]; then
		ok "$rung: the workload swapped out $((out1 - out0)) pages, swapped in $((in1 - in0))"
	else
		not_ok "$rung: only $((out1 - out0)) pages swapped out"
	fi
	within "$rung: $app swap-out calls (vmstat: pswpout + zswpout + swpout_zero)" \
		"$(metric "$prom" ebpfmon_app_swap_calls_total "app=\"$app\",call=\"write\"")" \
		$((out1 - out0)) 5
	within "$rung: cgroup $CG swap-out calls" \
		"$(metric "$prom" ebpfmon_cgroup_swap_calls_total "cgroup=\"$CG\",call=\"write\"")" \
		$((out1 - out0)) 5
	host=$(metric "$prom" ebpfmon_swap_calls_total 'call="write"')
	if [ "$host" != missing ] && [ "$host" -ge $(((out1 - out0) * 95 / 100)) ]; then
		ok "$rung: host swap-out calls $host"
	else
		not_ok "$rung: host swap-out calls $host, vmstat $((out1 - out0))"
	fi
	case $reading in
	none:*kprobe*)
		ok "$rung: swap-in unavailable, check says: ${reading#none: }"
		expect_eq "$rung: no call=\"read\" series where swap-in cannot be hooked" \
			"$(metric "$prom" ebpfmon_swap_calls_total 'call="read"')" missing ;;
	none:*)
		not_ok "$rung: swap-in unavailable for an unexpected reason: $reading" ;;
	*)
		within "$rung: $app swap-in calls ($reading; vmstat: pswpin + zswpin + swpin_zero)" \
			"$(metric "$prom" ebpfmon_app_swap_calls_total "app=\"$app\",call=\"read\"")" \
			$((in1 - in0)) 5 ;;
	esac
	promtool check metrics <"$prom" >"$TMP/promtool.out" 2>&1 &&
		ok "$rung: promtool check metrics: clean" ||
		not_ok "$rung: promtool: $(head -3 "$TMP/promtool.out" | tr '\n' ' ')"
	stop_run || not_ok "$rung: run exited with an error"
}

printf '[global]\n\tcgroups = yes\n[ebpf programs]\n\tswap = yes\n' >"$TMP/swap.conf"
one_rung tp_btf ""
one_rung tracepoint tp_btf
