#!/usr/bin/env bash
# kernel tier: dcstat needs fentry or kprobes (no tracepoint sees lookup_fast
# or d_lookup). Where the kernel has neither (ours), `ebpfmon check --json`
# must say it is unavailable and why, and `run` must keep the other modules
# going; where it has one, the module must count a workload's lookups.
source "$(dirname "$0")/lib.sh"
need_root "dcstat"

"$EBPFMON" check --json --modules dcstat,filesystem >"$TMP/check.json" 2>"$TMP/check.err" ||
	not_ok "check --json failed: $(cat "$TMP/check.err")"
state=$(python3 - "$TMP/check.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["features"]
mods = {m["name"]: m for m in d["modules"]}
dc = mods.get("dcstat")
if dc is None:
    print("missing"); sys.exit()
hookable = f["kprobes"]["available"] or f["fentry"]["available"]
print("hookable" if hookable else "nohook", dc["state"], "|", dc["reason"])
PY
)
echo "# $state"
case "$state" in
"nohook unavailable | "*)
	reason=${state#*| }
	if [[ "$reason" == *lookup_fast* && "$reason" == *fentry* && "$reason" == *kprobe* ]]; then
		ok "check --json: dcstat unavailable, with the reason: $reason"
	else
		not_ok "check --json: dcstat unavailable, but the reason does not say why: $reason"
	fi
	# The agent keeps going without it and says so.
	start_run --modules filesystem,dcstat || exit 1
	scrape "$TMP/m.prom"
	stop_run || not_ok "run exited with an error"
	expect_eq "dcstat not up" "$(metric "$TMP/m.prom" ebpfmon_module_up 'module="dcstat"')" 0
	expect_eq "filesystem up beside it" "$(metric "$TMP/m.prom" ebpfmon_module_up 'module="filesystem"')" 1
	expect_eq "no dcstat series" "$(metric "$TMP/m.prom" ebpfmon_dcstat_references_total)" missing
	;;
"hookable available | "*)
	# Each stat of a 4-component path looks up each component: lookup_fast
	# at least 4 times per call (the rest of the machine only adds).
	mkdir -p "$TMP/a/b/c" && touch "$TMP/a/b/c/f"
	start_run --modules dcstat || exit 1
	scrape "$TMP/before.prom"
	for _ in $(seq 1000); do stat "$TMP/a/b/c/f" >/dev/null; done
	sleep 2.2
	scrape "$TMP/after.prom"
	stop_run || not_ok "run exited with an error"
	r0=$(metric "$TMP/before.prom" ebpfmon_dcstat_references_total)
	r1=$(metric "$TMP/after.prom" ebpfmon_dcstat_references_total)
	if [ "$r0" != missing ] && [ "$r1" != missing ] && [ $((r1 - r0)) -ge 4000 ]; then
		ok "dcstat references: $((r1 - r0)) for 1000 stats of 4 components"
	else
		not_ok "dcstat references: $r0 -> $r1, want at least 4000 more"
	fi
	;;
*)
	not_ok "check --json: dcstat state does not match the kernel: $state"
	;;
esac
