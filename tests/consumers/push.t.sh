#!/usr/bin/env bash
# `run --push` against fake receivers (python3's http.server):
#   - one that answers 500, then one that accepts the connection and never
#     answers: collection goes on (ebpfmon_collections_total keeps rising),
#     /metrics answers at once, failed and dropped rise (a 2-body queue here),
#     memory stays put, the failure is said once; then the receiver recovers
#     and sent rises; SIGTERM while a POST hangs stops the agent at once.
#   - InfluxDB 2.x: /api/v2/write with "Authorization: Token T" from
#     EBPFMON_PUSH_TOKEN, and the token never in the agent's output.
#   - DataKit: metrics to /v1/write/metric, and a known TCP transfer on
#     loopback (one connection, exactly 100000 bytes) as DataKit's netflow
#     measurement on /v1/write/network, with its tag and field names.
#   - Bad push settings: one line, exit status 2.
source "$(dirname "$0")/../kernel/lib.sh"
need_root "push receivers"

SOCKLOAD=$BUILD/tests/kernel/sockload
RECV=
trap '[ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null; [ -n "$RECV" ] && kill "$RECV" 2>/dev/null; cleanup_lib' EXIT

# The receiver: its mode file says ok (204), 500, or hang (never answers).
# Each answered request is kept as a file: path, Authorization, then the body.
cat >"$TMP/recv.py" <<'PY'
import http.server, os, sys, threading, time
port_file, mode_file, log_dir = sys.argv[1:4]
lock = threading.Lock()
seq = [0]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        mode = open(mode_file).read().strip()
        if mode == "hang":
            time.sleep(3600)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            seq[0] += 1
            n = seq[0]
        with open(os.path.join(log_dir, "%06d.%s" % (n, mode)), "wb") as f:
            f.write((self.path + "\n" + self.headers.get("Authorization", "") + "\n").encode() + body)
        self.send_response(500 if mode == "500" else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
open(port_file + ".tmp", "w").write(str(s.server_address[1]))
os.rename(port_file + ".tmp", port_file)
s.serve_forever()
PY
start_receiver() {
	mkdir -p "$TMP/log"
	echo "$1" >"$TMP/mode"
	python3 "$TMP/recv.py" "$TMP/port" "$TMP/mode" "$TMP/log" &
	RECV=$!
	for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
	RPORT=$(cat "$TMP/port")
}
mode() { echo "$1" >"$TMP/mode"; }

# mtime: seconds /metrics took, into $TMP/m; "fail" when it did not answer in 2 s.
mtime() { curl -sf -m 2 -o "$TMP/m" -w '%{time_total}' "http://127.0.0.1:$RUN_PORT/metrics" || echo fail; }
fast() { [ "$1" != fail ] && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 0.5 else 1)" "$1"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/"$RUN_PID"/status; }

# --- down, hanging, back ---------------------------------------------------
start_receiver 500
export EBPFMON_TEST_PUSH_QUEUE=2
start_run --modules vfs --push "http://127.0.0.1:$RPORT/write?db=x" || exit 0
unset EBPFMON_TEST_PUSH_QUEUE
sleep 3
t=$(mtime)
failed=$(metric "$TMP/m" ebpfmon_push_failed_total)
if [ "$failed" != missing ] && [ "$failed" -ge 2 ]; then ok "receiver answers 500: failed attempts counted ($failed)"; else not_ok "500: ebpfmon_push_failed_total $failed"; fi
expect_eq "500: nothing counted as sent" "$(metric "$TMP/m" ebpfmon_push_sent_total)" 0
attempts=$(ls "$TMP/log" | grep -c '\.500$')
if [ "$attempts" -ge "$failed" ]; then ok "the receiver saw every failed attempt ($attempts >= $failed)"; else not_ok "receiver saw $attempts attempts, agent counted $failed"; fi

mode hang
sleep 1
t1=$(mtime)
c1=$(metric "$TMP/m" ebpfmon_collections_total)
rss1=$(rss_kb)
sleep 6
t2=$(mtime)
c2=$(metric "$TMP/m" ebpfmon_collections_total)
rss2=$(rss_kb)
dropped=$(metric "$TMP/m" ebpfmon_push_dropped_total)
if [ "$c1" != missing ] && [ "$c2" != missing ] && [ $((c2 - c1)) -ge 4 ]; then
	ok "receiver hangs: collection goes on ($c1 -> $c2 collections in 6 s)"
else
	not_ok "receiver hangs: collections $c1 -> $c2 in 6 s"
fi
if fast "$t1" && fast "$t2"; then ok "receiver hangs: /metrics answers at once (${t1} s, ${t2} s)"; else not_ok "/metrics took $t1 s, $t2 s"; fi
if [ "$dropped" != missing ] && [ "$dropped" -ge 2 ]; then ok "receiver hangs: the full queue drops the oldest bodies ($dropped dropped)"; else not_ok "dropped: $dropped"; fi
if [ $((rss2 - rss1)) -lt 4096 ]; then ok "receiver hangs: memory stays put (RSS $rss1 -> $rss2 kB)"; else not_ok "RSS grew $rss1 -> $rss2 kB"; fi

mode ok
sent=0
for _ in $(seq 300); do
	mtime >/dev/null
	sent=$(metric "$TMP/m" ebpfmon_push_sent_total)
	[ "$sent" != missing ] && [ "$sent" -ge 2 ] && break
	sleep 0.1
done
if [ "$sent" != missing ] && [ "$sent" -ge 2 ]; then ok "receiver back: sent rises ($sent)"; else not_ok "receiver back: sent $sent after 30 s"; fi
last=$(ls "$TMP/log" | grep '\.ok$' | tail -n 1)
if [ -n "$last" ] && sed -n 1p "$TMP/log/$last" | grep -qx '/write?db=x' &&
	grep -q '^ebpfmon_app_vfs,app=.* read_calls=[0-9]*i,read_bytes=[0-9]*i,' "$TMP/log/$last" &&
	grep -q '^ebpfmon collections=[0-9]*i,push_sent=' "$TMP/log/$last"; then
	ok "the body accepted is line protocol for /write?db=x"
else
	not_ok "body accepted: $(head -c 300 "$TMP/log/$last" 2>/dev/null)"
fi
expect_eq "the failure is said once, not at every attempt" "$(grep -c 'push: posting metrics failed' "$TMP/run.err")" 1
expect_eq "the recovery is said" "$(grep -c 'push: the receiver accepts metrics again' "$TMP/run.err")" 1

mode hang
sleep 2.5
start=$(date +%s%N)
stop_run
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "SIGTERM during a hanging POST: exit status" "$rc" 0
if [ "$ms" -lt 3000 ]; then ok "SIGTERM during a hanging POST: stopped in $ms ms"; else not_ok "stopping took $ms ms"; fi
kill "$RECV"
wait "$RECV" 2>/dev/null
RECV=
rm -rf "$TMP/log" "$TMP/port"

# --- InfluxDB 2.x: token header, never printed -------------------------------
start_receiver ok
export EBPFMON_PUSH_TOKEN=s3cr3t-t0ken
start_run --modules vfs --push "http://127.0.0.1:$RPORT/api/v2/write?org=o&bucket=b&precision=ns" || exit 0
unset EBPFMON_PUSH_TOKEN
for _ in $(seq 50); do ls "$TMP/log" | grep -q . && break; sleep 0.1; done
first=$(ls "$TMP/log" | head -n 1)
expect_eq "2.x: the path and query" "$(sed -n 1p "$TMP/log/$first" 2>/dev/null)" "/api/v2/write?org=o&bucket=b&precision=ns"
expect_eq "2.x: the Authorization header" "$(sed -n 2p "$TMP/log/$first" 2>/dev/null)" "Token s3cr3t-t0ken"
stop_run || not_ok "run exited with an error"
if grep -q s3cr3t "$TMP/run.err"; then not_ok "the token is in the agent's output"; else ok "the token is not in the agent's output"; fi
kill "$RECV"
wait "$RECV" 2>/dev/null
RECV=
rm -rf "$TMP/log" "$TMP/port"

# --- DataKit: metrics and netflow ----------------------------------------------
start_receiver ok
start_run --modules socket,bash --push "http://127.0.0.1:$RPORT/v1/write/metric" || exit 0
grep -q 'DataKit: metrics, netflow and bash logs' "$TMP/run.err" && ok "DataKit URL recognised" ||
	not_ok "DataKit URL not recognised: $(tr '\n' ' ' <"$TMP/run.err")"
cli=$(unique_name dkc)
srv=$(unique_name dks)
sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SOCKLOAD" "$srv" tcp-server "$sport" 1 >"$TMP/srv.out" &
SRV=$!
for _ in $(seq 50); do grep -q ready "$TMP/srv.out" 2>/dev/null && break; sleep 0.1; done
"$SOCKLOAD" "$cli" tcp-client 127.0.0.1 "$sport" 1 100000 10000 >"$TMP/cli.out" || not_ok "client failed"
wait "$SRV" || not_ok "server failed"
# The first body on /v1/write/network taken after the transfer ended.
found=
for _ in $(seq 100); do
	for f in $(ls -r "$TMP/log"); do
		if sed -n 1p "$TMP/log/$f" | grep -qx /v1/write/network &&
			grep -q "process_name=$srv,.* bytes_read=100000i" "$TMP/log/$f"; then
			found=$TMP/log/$f
			break 2
		fi
	done
	sleep 0.1
done
if [ -z "$found" ]; then
	not_ok "no netflow body with the transfer on /v1/write/network: $(ls "$TMP/log" | wc -l) requests"
else
	ok "netflow lines on /v1/write/network"
	# Parse line protocol (no escapes needed in these tags) into tags and fields.
	nf() {
		python3 - "$found" "$1" "$2" <<'PY'
import sys
path, proc, expr = sys.argv[1:4]
for line in open(path).read().split("\n")[2:]:
    if not line:
        continue
    head, fields, ts = line.split(" ")
    meas, *tags = head.split(",")
    t = dict(x.split("=", 1) for x in tags)
    f = dict(x.split("=", 1) for x in fields.split(","))
    if t.get("process_name") == proc:
        print(eval(expr))
        break
PY
	}
	host=$(hostname)
	expect_eq "client row: measurement, source, host" "$(nf "$cli" '(meas, t["source"], t["host"])')" "('netflow', 'netflow', '$host')"
	expect_eq "client row: addresses, ports, ip types" \
		"$(nf "$cli" '(t["src_ip"], t["dst_ip"], t["dst_port"], t["src_port"] != "*", t["src_ip_type"], t["dst_ip_type"])')" \
		"('127.0.0.1', '127.0.0.1', '$sport', True, 'loopback', 'loopback')"
	expect_eq "client row: family, transport, direction, pid" \
		"$(nf "$cli" '(t["family"], t["transport"], t["direction"], t["pid"].isdigit() and int(t["pid"]) > 0)')" \
		"('IPv4', 'tcp', 'outgoing', True)"
	expect_eq "client row: bytes_written, bytes_read, tcp_established, tcp_closed, retransmits" \
		"$(nf "$cli" '(f["bytes_written"], f["bytes_read"], f["tcp_established"], f["tcp_closed"], f["retransmits"])')" \
		"('100000i', '0i', '1i', '1i', '0i')"
	expect_eq "client row: rtt and rtt_var are integer microseconds, rtt under 1 s" \
		"$(nf "$cli" 'f["rtt"].endswith("i") and f["rtt_var"].endswith("i") and 0 < int(f["rtt"][:-1]) < 1000000')" True
	expect_eq "server row: local port, direction, bytes" \
		"$(nf "$srv" '(t["src_port"], t["direction"], f["bytes_read"], f["bytes_written"])')" \
		"('$sport', 'incoming', '100000i', '0i')"
	expect_eq "DataKit's netflow tags and fields, no others" \
		"$(nf "$cli" 'sorted(t) + sorted(f)')" \
		"['direction', 'dst_ip', 'dst_ip_type', 'dst_port', 'family', 'host', 'pid', 'process_name', 'source', 'src_ip', 'src_ip_type', 'src_port', 'transport', 'bytes_read', 'bytes_written', 'retransmits', 'rtt', 'rtt_var', 'tcp_closed', 'tcp_established']"
fi
# A command typed into an interactive bash: DataKit's bash log on /v1/write/logging.
mark=dkmark$RANDOM$RANDOM
printf 'echo %s\nexit\n' "$mark" | bash --norc -i >/dev/null 2>&1
log_body=
for _ in $(seq 100); do
	log_body=$(for f in $(ls -r "$TMP/log"); do sed -n 1p "$TMP/log/$f" | grep -qx /v1/write/logging && grep -l "cmd=\"echo $mark\"" "$TMP/log/$f" && break; done)
	[ -n "$log_body" ] && break
	sleep 0.1
done
if [ -n "$log_body" ]; then
	line=$(grep "cmd=\"echo $mark\"" "$log_body")
	if [[ "$line" == "bash,host=$(hostname) "* ]] && [[ "$line" == *',user="root"'* ]] &&
		[[ "$line" == *"message=\""*" user:\`root\` cmd:\`echo $mark\`\""* ]]; then
		ok "bash log on /v1/write/logging: DataKit's bash line for the typed command"
	else
		not_ok "bash line: $line"
	fi
	expect_eq "the typed command is pushed once" "$(cat "$TMP/log"/* | grep -c "cmd=\"echo $mark\"")" 1
else
	not_ok "no /v1/write/logging body with the typed command"
fi
metric_body=$(for f in $(ls -r "$TMP/log"); do sed -n 1p "$TMP/log/$f" | grep -qx /v1/write/metric && grep -l "^ebpfmon_app_socket,app=$cli " "$TMP/log/$f" && break; done)
if [ -n "$metric_body" ]; then
	ok "metrics on /v1/write/metric, with the client's per-application socket line"
	grep "^ebpfmon_app_socket,app=$cli " "$metric_body" | grep -q 'tcp_sent_bytes=100000i' &&
		ok "the client's tcp_sent_bytes = 100000i" ||
		not_ok "client's socket line: $(grep "^ebpfmon_app_socket,app=$cli " "$metric_body" | head -c 300)"
else
	not_ok "no /v1/write/metric body with ebpfmon_app_socket for $cli"
fi
stop_run || not_ok "run exited with an error"
kill "$RECV"
wait "$RECV" 2>/dev/null
RECV=

# --- bad settings -----------------------------------------------------------------
bad() { # DESC WANT-REGEX ARGS...
	local desc=$1 want=$2
	shift 2
	# Refused before anything loads; the timeout only keeps a regression from hanging here.
	timeout -s KILL 20 "$EBPFMON" run --listen "127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')" --modules vfs "$@" >/dev/null 2>"$TMP/bad.err"
	local rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] && grep -Eq "$want" "$TMP/bad.err"; then
		ok "$desc: exit 2, one line"
	else
		not_ok "$desc: exit $rc: $(tr '\n' ' ' <"$TMP/bad.err")"
	fi
}
bad "--push ftp://..." "must start with http:// or https://" --push ftp://example/x
bad "--push without a host" "no host" --push http:///write
bad "--push with nothing after the scheme" "no host" --push https://
printf '[output]\npush url = 127.0.0.1:8086/write\n' >"$TMP/bad1.conf"
bad "push url without a scheme in a file" "bad1.conf:2: 'push url': .*http://" --config "$TMP/bad1.conf"
printf '[global]\nupdate every = 2\n[output]\npush url = http://127.0.0.1:8086/write?db=x\npush every = 3\n' >"$TMP/bad2.conf"
bad "push every not a multiple of update every" "'push every' \(3 s\) must be a multiple of 'update every' \(2 s\)" --config "$TMP/bad2.conf"
printf '[output]\npush every = soon\n' >"$TMP/bad3.conf"
bad "push every not a number" "bad3.conf:2: 'push every' must be whole seconds" --config "$TMP/bad3.conf"
printf '[output]\npush url = http://a/write\npush url = http://b/write\n' >"$TMP/bad4.conf"
bad "push url given twice" "bad4.conf:3: 'push url' in \[output\] is already set on line 2" --config "$TMP/bad4.conf"
