#!/usr/bin/env bash
# Real consumers: promtool lints our text (snapshot and /metrics), a real
# Prometheus scrapes `ebpfmon run`, and a stopped or killed agent leaves no
# program or link of ours behind.
source "$(dirname "$0")/../kernel/lib.sh"
need_root "prometheus consumers"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# BPF object ids (programs and links) held open by process $1, from its fdinfo.
held_bpf_ids() {
	grep -hE '^(prog_id|link_id):' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u | tr '\n' ' '
}

# The ids in "$1" (e.g. "prog_id: 12 link_id: 3") that still exist.
still_there() {
	local left=()
	set -- $1
	while [ $# -ge 2 ]; do
		case $1 in
		prog_id:) bpftool prog show id "$2" >/dev/null 2>&1 && left+=("prog $2") ;;
		link_id:) bpftool link show id "$2" >/dev/null 2>&1 && left+=("link $2") ;;
		esac
		shift 2
	done
	echo "${left[*]}"
}

# Report whether every id in "$2" is gone. The kernel frees a detached
# program after an RCU grace period (tracing programs after an RCU-tasks
# one, which can take seconds): wait up to 10 s.
expect_gone() {
	local desc=$1 ids=$2 left
	for _ in $(seq 100); do
		left=$(still_there "$ids")
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -z "$left" ]; then ok "$desc: nothing of ours left attached"; else not_ok "$desc: still there: $left"; fi
}

command -v promtool >/dev/null || { not_ok "promtool missing (package prometheus)"; exit 0; }

# --- snapshot output passes promtool -----------------------------------
"$EBPFMON" snapshot --duration 1 --cgroups yes >"$TMP/snap.prom" 2>"$TMP/snap.err"
if promtool check metrics <"$TMP/snap.prom" >"$TMP/lint" 2>&1; then
	ok "snapshot --format prometheus passes promtool check metrics"
else
	not_ok "promtool on snapshot: $(head -c 400 "$TMP/lint")"
fi
# A histogram (the disk module), with requests in it: direct writes to a file of ours.
"$EBPFMON" snapshot --duration 2 --modules disk >"$TMP/disk.prom" 2>"$TMP/disk.err" &
disk_snap=$!
sleep 1
dd if=/dev/zero of="$TMP/disk.dd" bs=4k count=64 oflag=direct status=none
wait "$disk_snap"
if ! grep -q '^# TYPE ebpfmon_disk_latency_seconds histogram$' "$TMP/disk.prom"; then
	not_ok "snapshot --modules disk has no latency histogram: $(tr '\n' ' ' <"$TMP/disk.err")"
elif promtool check metrics <"$TMP/disk.prom" >"$TMP/lint" 2>&1; then
	ok "snapshot with the disk histogram passes promtool check metrics"
else
	not_ok "promtool on the disk histogram: $(head -c 400 "$TMP/lint")"
fi
"$EBPFMON" snapshot --duration 1 --format json >"$TMP/snap.json" 2>/dev/null
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["modules"]["vfs"]["state"]=="up"' "$TMP/snap.json"; then
	ok "snapshot --format json parses"
else
	not_ok "snapshot --format json does not parse"
fi

# --- run: /metrics, promtool, a real Prometheus scrape -----------------
port=$(free_port)
"$EBPFMON" run --listen "127.0.0.1:$port" >/dev/null 2>"$TMP/run.err" &
agent=$!
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$port/metrics" -o "$TMP/metrics" && grep -q '^ebpfmon_module_up{module="vfs"} 1' "$TMP/metrics" && break
	sleep 0.1
done
if grep -q '^ebpfmon_module_up{module="vfs"} 1' "$TMP/metrics" 2>/dev/null; then
	ok "run serves /metrics with every module up"
else
	not_ok "run did not serve /metrics: $(tr '\n' ' ' <"$TMP/run.err")"
fi
if promtool check metrics <"$TMP/metrics" >"$TMP/lint" 2>&1; then
	ok "/metrics passes promtool check metrics"
else
	not_ok "promtool on /metrics: $(head -c 400 "$TMP/lint")"
fi

if command -v prometheus >/dev/null; then
	pport=$(free_port)
	cat >"$TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: ebpfmon
    static_configs:
      - targets: ['127.0.0.1:$port']
YML
	prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
		--web.listen-address="127.0.0.1:$pport" >"$TMP/prom.log" 2>&1 &
	prom=$!
	result=
	for _ in $(seq 60); do
		result=$(curl -sf "http://127.0.0.1:$pport/api/v1/query?query=ebpfmon_vfs_read_calls_total" 2>/dev/null)
		echo "$result" | grep -q '"value"' && break
		sleep 0.5
	done
	if echo "$result" | python3 -c 'import json,sys; d=json.load(sys.stdin); r=d["data"]["result"]; assert r and float(r[0]["value"][1]) > 0' 2>/dev/null; then
		ok "a real Prometheus scraped ebpfmon_vfs_read_calls_total"
	else
		not_ok "Prometheus did not scrape us: $result $(tail -n 3 "$TMP/prom.log")"
	fi
	up=$(curl -sf "http://127.0.0.1:$pport/api/v1/query?query=up%7Bjob%3D%22ebpfmon%22%7D" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])' 2>/dev/null)
	expect_eq "Prometheus up{job=ebpfmon}" "$up" 1
	kill "$prom"
	wait "$prom" 2>/dev/null
else
	not_ok "prometheus missing (package prometheus)"
fi

ids=$(held_bpf_ids "$agent")
[ -n "$ids" ] && ok "run holds its programs and links: $(echo "$ids" | wc -w) fields" || not_ok "no BPF ids found for run"
kill -TERM "$agent"
wait "$agent"
expect_eq "run exits 0 on SIGTERM" $? 0
expect_gone "after SIGTERM" "$ids"

# --- SIGKILL: links die with the process -----------------------------------
"$EBPFMON" snapshot --duration 10m >/dev/null 2>"$TMP/kill.err" &
victim=$!
for _ in $(seq 100); do grep -q attached "$TMP/kill.err" && break; sleep 0.1; done
ids=$(held_bpf_ids "$victim")
kill -KILL "$victim"
wait "$victim" 2>/dev/null
expect_gone "after SIGKILL" "$ids"

# --- snapshot timeout ------------------------------------------------------
"$EBPFMON" snapshot --duration 1 >/dev/null 2>&1 &
pid=$!
sleep 0.6
ids=$(held_bpf_ids "$pid")
wait "$pid"
expect_eq "snapshot exits 0 after its duration" $? 0
sleep 0.5
expect_gone "after the snapshot duration" "$ids"
