#!/usr/bin/env bash
# A real InfluxDB 1.x (Debian's influxdb: influxd) receives `ebpfmon run
# --push`: a workload of known counts (37 reads and 37 writes of 1000 bytes,
# under a name with a space, a comma and an equals sign) must come out of
# InfluxQL with exactly those per-application values, as integers, equal to
# what /metrics says. influxd also takes a whole `snapshot --format influx`
# (every module's lines, escaping included). The influxd is our own: its own
# configuration, directories and loopback ports, killed by its pid at the
# end; the packaged service is not touched.
source "$(dirname "$0")/../kernel/lib.sh"
need_root "influx consumer"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

command -v influxd >/dev/null || { not_ok "influxd missing (package influxdb)"; exit 0; }

INFLUXD=
trap '[ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null; [ -n "$INFLUXD" ] && kill -KILL "$INFLUXD" 2>/dev/null; cleanup_lib' EXIT

iport=$(free_port)
rpcport=$(free_port)
mkdir -p "$TMP/influx"
cat >"$TMP/influxd.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpcport"
[meta]
  dir = "$TMP/influx/meta"
[data]
  dir = "$TMP/influx/data"
  wal-dir = "$TMP/influx/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$iport"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
CONF
influxd run -config "$TMP/influxd.conf" >"$TMP/influxd.log" 2>&1 &
INFLUXD=$!
for _ in $(seq 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$iport/ping")" = 204 ] && break
	sleep 0.1
done
iurl=http://127.0.0.1:$iport
# q DB QUERY: InfluxQL through the HTTP API, JSON out.
q() { curl -sf -G "$iurl/query" --data-urlencode "db=$1" --data-urlencode "q=$2"; }
if curl -sf -XPOST "$iurl/query" --data-urlencode 'q=CREATE DATABASE test' >/dev/null; then
	ok "a private influxd ($(influxd version | head -n1)) runs on 127.0.0.1:$iport"
else
	not_ok "influxd did not start: $(tail -n 5 "$TMP/influxd.log" | tr '\n' ' ')"
	exit 0
fi

# --- the whole store, as `snapshot --format influx` writes it ---------------
"$EBPFMON" snapshot --duration 1 --format influx --cgroups yes >"$TMP/snap.lp" 2>"$TMP/snap.err"
code=$(curl -s -o "$TMP/write.out" -w '%{http_code}' --data-binary @"$TMP/snap.lp" "$iurl/write?db=test")
expect_eq "influxd takes every line of snapshot --format influx ($(wc -l <"$TMP/snap.lp") lines): HTTP status" \
	"$code" 204
[ "$code" = 204 ] || echo "# $(head -c 300 "$TMP/write.out")"

# --- run --push: exact per-application values ------------------------------
app="sp ,=x$((RANDOM % 100000))"
start_run --modules vfs --push "$iurl/write?db=test" || exit 0
grep -q 'pushing every 1 s' "$TMP/run.err" && ok "run says it pushes every second" ||
	not_ok "run did not say it pushes: $(tr '\n' ' ' <"$TMP/run.err")"
"$WORKLOAD" rw "$app" 37 1000 >"$TMP/rw.truth" || not_ok "rw workload failed"
truth() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/rw.truth"; }
esc_app=${app//\'/\\\'}
sel="SELECT last(write_bytes) AS wb, last(write_calls) AS wc, last(read_bytes) AS rb, last(read_calls) AS rc FROM ebpfmon_app_vfs WHERE app='$esc_app'"
want="$(truth vfs_write_bytes_total) $(truth vfs_write_calls_total) $(truth vfs_read_bytes_total) $(truth vfs_read_calls_total)"
got=
for _ in $(seq 50); do
	got=$(q test "$sel" | python3 -c 'import json,sys; v=json.load(sys.stdin)["results"][0]["series"][0]["values"][0]; print(*v[1:])' 2>/dev/null)
	[ "$got" = "$want" ] && break
	sleep 0.2
done
expect_eq "InfluxQL last(write_bytes, write_calls, read_bytes, read_calls) for app '$app'" "$got" "$want"
scrape "$TMP/metrics"
# The app name has a space: lib.sh's metric() splits at blanks, so take the last field.
prom_app() { grep -F "ebpfmon_app_vfs_$1_total{app=\"$app\"} " "$TMP/metrics" | awk '{ print $NF }'; }
prom=
for m in write_bytes write_calls read_bytes read_calls; do
	prom+="$(prom_app $m) "
done
expect_eq "the same four values in /metrics" "${prom% }" "$want"
types=$(q test 'SHOW FIELD KEYS FROM ebpfmon_app_vfs' |
	python3 -c 'import json,sys; print(sorted(set(t for _, t in json.load(sys.stdin)["results"][0]["series"][0]["values"])))' 2>/dev/null)
expect_eq "every ebpfmon_app_vfs field is stored as an integer" "$types" "['integer']"
# The tag is stored as written: no stray escape.
tagv=$(q test "SHOW TAG VALUES FROM ebpfmon_app_vfs WITH KEY = app WHERE app = '$esc_app'" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["series"][0]["values"][0][1])' 2>/dev/null)
expect_eq "the app tag round-trips" "$tagv" "$app"
# Timestamps are nanoseconds of now: the last point is within a minute.
age=$(q test "SELECT last(write_bytes) FROM ebpfmon_vfs" | python3 -c '
import json, sys, time
from datetime import datetime
t = json.load(sys.stdin)["results"][0]["series"][0]["values"][0][0]
print(abs(time.time() - datetime.fromisoformat(t.replace("Z", "+00:00")[:26] + "+00:00").timestamp()) < 60)' 2>/dev/null)
expect_eq "the points' timestamps are now (ns precision accepted)" "$age" True
# A few more pushes (a second each).
for _ in $(seq 100); do
	scrape "$TMP/metrics"
	sent=$(metric "$TMP/metrics" ebpfmon_push_sent_total)
	[ "$sent" != missing ] && [ "$sent" -ge 3 ] && break
	sleep 0.1
done
if [ "$sent" != missing ] && [ "$sent" -ge 3 ]; then ok "/metrics has ebpfmon_push_sent_total: $sent"; else not_ok "ebpfmon_push_sent_total: $sent"; fi
expect_eq "ebpfmon_push_failed_total" "$(metric "$TMP/metrics" ebpfmon_push_failed_total)" 0
expect_eq "ebpfmon_push_dropped_total" "$(metric "$TMP/metrics" ebpfmon_push_dropped_total)" 0
stop_run || not_ok "run exited with an error"
# Every body carries the sent count as of its collection: influxd's last one
# says how many bodies it had accepted before it, which is all it holds but
# that one (one body a second goes out long before the next on loopback).
held=$(q test 'SELECT count(push_sent) FROM ebpfmon' | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["series"][0]["values"][0][1])' 2>/dev/null)
last=$(q test 'SELECT last(push_sent) FROM ebpfmon' | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["series"][0]["values"][0][1])' 2>/dev/null)
if [ -n "$held" ] && [ "$held" -ge 3 ] && [ "$last" = $((held - 1)) ]; then
	ok "push_sent in the last body ($last) = bodies influxd holds before it ($held - 1)"
else
	not_ok "push_sent in the last body: $last, bodies influxd holds: $held"
fi

kill -TERM "$INFLUXD"
wait "$INFLUXD" 2>/dev/null
INFLUXD=
