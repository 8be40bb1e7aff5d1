#!/usr/bin/env bash
# kernel tier: the agent's own numbers (Netdata's netdata.ebpf_* charts) and
# the JSON API, each against something independent: `ebpfmon check`, the
# kernel's own view of a map (bpftool), /proc, and /metrics of the same
# collection.
source "$(dirname "$0")/lib.sh"
need_root "self metrics"

start_run --modules process,fd,vfs,hardirq || exit 0
io=$(unique_name js)
mkdir -p "$TMP/io"
"$WORKLOAD" io "$io" "$TMP/io" >"$TMP/io.truth" || not_ok "io workload failed"
sleep 2.2

# /api/v1/metrics and /metrics come from the same collection when their
# collection counts agree: then every number must agree too.
same=0
for _ in $(seq 20); do
	code=$(curl -s -o "$TMP/api.json" -w '%{http_code} %{content_type}' "http://127.0.0.1:$RUN_PORT/api/v1/metrics")
	scrape "$TMP/m.prom"
	c_json=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["collections"])' "$TMP/api.json" 2>/dev/null)
	[ "$c_json" = "$(metric "$TMP/m.prom" ebpfmon_collections_total)" ] && { same=1; break; }
	sleep 0.3
done
expect_eq "/api/v1/metrics: status and type" "$code" "200 application/json"
if [ $same = 1 ]; then
	ok "/api/v1/metrics and /metrics served the same collection ($c_json)"
	got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
app = d["modules"]["vfs"]["apps"][sys.argv[2]]
print(app["write_bytes_total"], app["read_calls_total"], d["modules"]["vfs"]["host"]["write_bytes_total"])
' "$TMP/api.json" "$io" 2>&1)
	want="$(metric "$TMP/m.prom" ebpfmon_app_vfs_write_bytes_total "app=\"$io\"") $(metric "$TMP/m.prom" ebpfmon_app_vfs_read_calls_total "app=\"$io\"") $(metric "$TMP/m.prom" ebpfmon_vfs_write_bytes_total)"
	expect_eq "JSON = Prometheus: $io's write bytes, read calls, host write bytes" "$got" "$want"
	expect_eq "JSON: $io's write bytes = the workload's" "${got%% *}" "$(awk '$1 == "vfs_write_bytes_total" { print $2 }' "$TMP/io.truth")"
else
	not_ok "/api/v1/metrics and /metrics never served the same collection"
fi

# Hooks: what runs is what `check` says it would choose.
"$EBPFMON" check --json --modules process,fd,vfs,hardirq >"$TMP/check.json" 2>/dev/null
python3 - "$TMP/check.json" "$TMP/m.prom" <<'EOF' >"$TMP/hooks.out"
import json, re, sys
check = json.load(open(sys.argv[1]))
want = {(m["name"], h["hook"], h["implementation"]) for m in check["modules"]
        if m["name"] in ("process", "fd", "vfs", "hardirq")
        for h in m["hooks"] if h["implementation"] not in ("", "none", "not used") and not h["reason"]}
got = set()
for line in open(sys.argv[2]):
    m = re.match(r'ebpfmon_hook_info\{module="([^"]*)",hook="([^"]*)",impl="([^"]*)"\} 1$', line)
    if m and m.group(1) in ("process", "fd", "vfs", "hardirq"):
        got.add(m.groups())
print("same" if got == want and got else "got %s want %s" % (sorted(got - want), sorted(want - got)))
print(len(got))
EOF
if [ "$(head -n 1 "$TMP/hooks.out")" = same ]; then
	ok "ebpfmon_hook_info: the $(tail -n 1 "$TMP/hooks.out") hooks of process, fd, vfs, hardirq match ebpfmon check"
else
	not_ok "ebpfmon_hook_info differs from check: $(head -n 1 "$TMP/hooks.out" | head -c 400)"
fi

# Table fill: the kernel's own count of a map's entries (bpftool dumps it).
match=0
for _ in $(seq 10); do
	scrape "$TMP/m.prom"
	got=$(metric "$TMP/m.prom" ebpfmon_map_entries 'module="hardirq",map="irq_counts"')
	want=$(map_entries "$RUN_PID" irq_counts)
	[ "$got" = "$want" ] && [ "$got" != missing ] && { match=1; break; }
	sleep 0.5
done
[ $match = 1 ] && ok "ebpfmon_map_entries of hardirq's irq_counts = bpftool's dump ($got entries)" ||
	not_ok "ebpfmon_map_entries of irq_counts: $got, bpftool dumps $want"
max=missing
for id in $(grep -h '^map_id:' /proc/"$RUN_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un); do
	bpftool map show id "$id" -j 2>/dev/null | grep -q '"name":"irq_counts"' &&
		max=$(bpftool map show id "$id" -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["max_entries"])')
done
expect_eq "ebpfmon_map_max_entries of irq_counts (bpftool's max_entries)" \
	"$(metric "$TMP/m.prom" ebpfmon_map_max_entries 'module="hardirq",map="irq_counts"')" "$max"

# The collection histogram counts every collection.
expect_eq "ebpfmon_collection_duration_seconds_count = ebpfmon_collections_total" \
	"$(metric "$TMP/m.prom" ebpfmon_collection_duration_seconds_count)" \
	"$(metric "$TMP/m.prom" ebpfmon_collections_total)"
if promtool check metrics <"$TMP/m.prom" >"$TMP/promtool.out" 2>&1; then
	ok "promtool accepts the self metrics"
else
	not_ok "promtool: $(head -c 300 "$TMP/promtool.out")"
fi

# The agent's own CPU and memory, against /proc at the same moment.
scrape "$TMP/m.prom"
rss_proc=$(awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$RUN_PID/status")
rss=$(metric "$TMP/m.prom" ebpfmon_agent_resident_memory_bytes)
if [ "$rss" != missing ] && [ "$rss" -gt $((rss_proc / 2)) ] && [ "$rss" -lt $((rss_proc * 2)) ]; then
	ok "ebpfmon_agent_resident_memory_bytes $rss is within 2x of /proc's VmRSS $rss_proc"
else
	not_ok "ebpfmon_agent_resident_memory_bytes $rss, /proc says $rss_proc"
fi
ticks=$(awk '{ print $14 + $15 }' "/proc/$RUN_PID/stat")
cpu=$(awk '/^ebpfmon_agent_cpu_seconds_total/ { s += $2 } END { printf "%d", s * 100 }' "$TMP/m.prom")
hz=$(getconf CLK_TCK)
if [ "$cpu" -le $((ticks * 100 / hz + 2)) ]; then
	ok "ebpfmon_agent_cpu_seconds_total (${cpu} cs) is at most /proc's utime+stime ($((ticks * 100 / hz)) cs)"
else
	not_ok "ebpfmon_agent_cpu_seconds_total ${cpu} cs exceeds /proc's $((ticks * 100 / hz)) cs"
fi
stop_run || not_ok "run exited with an error"
