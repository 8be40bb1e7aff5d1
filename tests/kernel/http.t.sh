#!/usr/bin/env bash
# kernel tier: httpflow (ebpfmon http and the module in run) against what
# curl itself reports, between two network namespaces.
#   - A Python http.server (plain, port 8080) and `openssl s_server -WWW`
#     (TLS, self-signed, port 8443) in namespace B; curl in namespace A makes
#     10 GET /hello (200), 3 GET /missing (404), 2 POST /submit (501, the
#     server has no POST) and 5 HTTPS GET /bw.txt (200).
#   - curl's rows (process name curl, pids of the curls started here,
#     outgoing) count exactly those per method, path, status and TLS flag,
#     and nothing else; their bytes equal curl's own -w size_request and
#     size_header + size_download; addresses and ports are the namespaces'.
#   - The server's rows (python3, incoming) count the plain ones too, and
#     its bytes mirror curl's.
#   - `run` with the module: ebpfmon_http_requests_total per app, method
#     and status (plain and TLS together), and the latency histogram counts.
#   - /api/v1/http serves the last collection's rows (one more request).
#   - A libssl without SSL_write/SSL_read, mapped by a process, is named on
#     stderr, and everything above still counts.
#   - Nothing of ours stays attached after SIGINT and after SIGKILL.
source "$(dirname "$0")/lib.sh"
need_root "httpflow"
for c in curl openssl python3 bpftool; do
	command -v $c >/dev/null || { not_ok "$c is not installed (scripts/deps.sh test installs it)"; exit 0; }
done
source "$(dirname "$0")/sock_lib.sh"

# curl under a name of its own: other tests on the machine run curl too.
CURL=$(unique_name hcurl)
cp "$(command -v curl)" "$TMP/$CURL"
WWW=$TMP/www
mkdir -p "$WWW"
echo "hello from the test" >"$WWW/hello"
head -c 3000 /dev/urandom | base64 >"$WWW/bw.txt"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-days 1 -subj /CN=ebpfmon-test >/dev/null 2>&1 || { not_ok "openssl req: self-signed certificate"; exit 0; }

(cd "$WWW" && exec sh -c 'echo $$ >"$1" && shift && exec ip netns exec "$@"' sh "$cg_root$CGS/cgroup.procs" \
	"$NB" python3 -m http.server 8080 --bind 10.78.0.2) >/dev/null 2>&1 &
PY_PID=$!
BG+=($PY_PID)
(cd "$WWW" && exec sh -c 'echo $$ >"$1" && shift && exec ip netns exec "$@"' sh "$cg_root$CGS/cgroup.procs" \
	"$NB" openssl s_server -accept 8443 -cert "$TMP/cert.pem" -key "$TMP/key.pem" -WWW -quiet) >/dev/null 2>&1 &
BG+=($!)
# Ready when they accept a connection (before we attach: these make no rows).
ready() { ip netns exec "$NA" python3 -c "import socket,sys; socket.create_connection(('10.78.0.2', int(sys.argv[1])), 1)" "$1" 2>/dev/null; }
for _ in $(seq 100); do ready 8080 && ready 8443 && break; sleep 0.1; done
ready 8080 && ready 8443 || { not_ok "the HTTP and HTTPS servers did not start"; exit 0; }

# A libssl without SSL_read/SSL_write, mapped by a running process: named, skipped.
mkdir -p "$TMP/fakessl"
echo 'int SSL_other(void) { return 0; }' | cc -shared -fPIC -x c -o "$TMP/fakessl/libssl.so.99" - ||
	{ not_ok "building a libssl without the symbols"; exit 0; }
LD_PRELOAD=$TMP/fakessl/libssl.so.99 sleep 600 &
BG+=($!)

# The command and the module, watching the same workload.
"$EBPFMON" http --duration 5m --json >"$TMP/http.json" 2>"$TMP/http.err" &
HTTP_PID=$!
BG+=($HTTP_PID)
printf '[ebpf programs]\n\thttpflow = yes\n\thttpflow tls = yes\n' >"$TMP/run.conf"
start_run --config "$TMP/run.conf" --modules httpflow || exit 0
for _ in $(seq 200); do grep -q '^attached$' "$TMP/http.err" && break; sleep 0.1; done
grep -q '^attached$' "$TMP/http.err" || { not_ok "ebpfmon http did not attach: $(tr '\n' ' ' <"$TMP/http.err")"; exit 0; }

# curl_n N URL [ARGS...]: N curls from namespace A; their pids and -w sizes in $TMP/curls.
CURL_W='%{http_code} %{size_request} %{size_header} %{size_download}'
curl_n() {
	local n=$1 url=$2 key=$3 pid
	shift 3
	for _ in $(seq "$n"); do
		# A simple command (not in_ns, a function): $! is the pid curl ends up with.
		sh -c 'echo $$ >"$1" && shift && exec ip netns exec "$@"' sh "$cg_root$CGC/cgroup.procs" \
			"$NA" "$TMP/$CURL" -s -o /dev/null -w "$CURL_W" "$@" "$url" >"$TMP/one" &
		pid=$!
		wait "$pid"
		echo "$key $pid $(cat "$TMP/one")" >>"$TMP/curls"
	done
}
: >"$TMP/curls"
curl_n 10 http://10.78.0.2:8080/hello "GET /hello false"
curl_n 3 http://10.78.0.2:8080/missing "GET /missing false"
curl_n 2 http://10.78.0.2:8080/submit "POST /submit false" -X POST -d 'a=1&b=2'
curl_n 5 https://10.78.0.2:8443/bw.txt "GET /bw.txt true" -k

# curl's own view: the status of each (the ground truth's, not ours).
codes=$(awk '{ print $1, $2, $5 }' "$TMP/curls" | sort | uniq -c | awk '{ print $1, $2, $3, $4 }' | tr '\n' ';')
expect_eq "curl's own status codes" "$codes" "5 GET /bw.txt 200;10 GET /hello 200;3 GET /missing 404;2 POST /submit 501;"

# The module's collection runs every second: wait for all 20 to be counted.
for _ in $(seq 50); do
	scrape "$TMP/m" || break
	got=$(awk -v a="$CURL" 'index($1, "ebpfmon_http_requests_total{app=\"" a "\"") == 1 { s += $2 } END { print s + 0 }' "$TMP/m")
	[ "$got" -ge 20 ] && break
	sleep 0.2
done
kill -INT "$HTTP_PID"
wait "$HTTP_PID"
expect_eq "ebpfmon http exit status" "$?" 0
if grep -q "^ebpfmon http: TLS: .*libssl.so.99: no uprobe on SSL_write" "$TMP/http.err"; then
	ok "a libssl without SSL_write is named, the rest runs: $(grep -m1 "^ebpfmon http: TLS" "$TMP/http.err")"
else
	not_ok "a libssl without SSL_write is not named: $(tr '\n' ' ' <"$TMP/http.err")"
fi

python3 - "$TMP/http.json" "$TMP/curls" "$CURL" "$PY_PID" <<'PY'
import json, sys, collections
rows = json.load(open(sys.argv[1]))
name, py_pid = sys.argv[3], int(sys.argv[4])
truth = collections.defaultdict(lambda: [0, 0, 0])
pids = set()
for line in open(sys.argv[2]):
    method, path, tls, pid, code, req, hdr, body = line.split()
    t = truth[(method, path, code, tls)]
    t[0] += 1; t[1] += int(req); t[2] += int(hdr) + int(body)
    pids.add(int(pid))
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
curl = [r for r in rows if r["process_name"] == name]
got = collections.defaultdict(lambda: [0, 0, 0])
for r in curl:
    k = (r["method"], r["path"], str(r["status_code"]), "true" if r["tls"] else "false")
    g = got[k]; g[0] += r["count"]; g[1] += r["bytes_written"]; g[2] += r["bytes_read"]
for k, t in sorted(truth.items()):
    g = got.get(k, [0, 0, 0])
    say(g[0] == t[0], "curl %s %s -> %s tls=%s: %d requests (want %d)" % (k + (g[0], t[0])))
    say(g[1] == t[1], "curl %s %s -> %s tls=%s: bytes_written %d = curl's size_request %d" % (k + (g[1], t[1])))
    say(g[2] == t[2], "curl %s %s -> %s tls=%s: bytes_read %d = curl's size_header+size_download %d" % (k + (g[2], t[2])))
extra = sorted(set(got) - set(truth))
say(not extra, "no other curl rows: %s" % (extra or "none"))
say(all(r["pid"] in pids for r in curl), "curl's rows are under the pids of the curls started (%d rows)" % len(curl))
say(all(r["direction"] == "outgoing" for r in curl), "curl's rows are outgoing")
bad = [r for r in curl if r["src_ip"] != "10.78.0.1" or r["dst_ip"] != "10.78.0.2" or r["src_port"] != "*"
       or r["dst_port"] != ("8443" if r["tls"] else "8080")]
say(not bad, "curl's rows: 10.78.0.1:* -> 10.78.0.2:8080 (plain) or :8443 (TLS) %s" % (bad[:1] or ""))
say(all(0 < r["latency"] < 2e9 and r["latency"] <= r["latency_max"] for r in curl), "curl's latencies are between 0 and 2 s")
say(all(r["http_version"] == "1.1" and not r["truncated"] for r in curl), "HTTP/1.1, no path truncated")
srv = collections.defaultdict(lambda: [0, 0, 0])
for r in rows:
    if r["pid"] == py_pid:
        if r["process_name"] != "python3" or r["direction"] != "incoming":
            say(False, "server row: %s" % r)
        s = srv[(r["method"], r["path"], str(r["status_code"]))]
        s[0] += r["count"]; s[1] += r["bytes_read"]; s[2] += r["bytes_written"]
        if r["src_port"] != "8080" or r["dst_port"] != "*" or r["src_ip"] != "10.78.0.2":
            say(False, "server row's addresses: %s" % r)
for k, t in sorted(truth.items()):
    if k[3] == "true":
        continue
    s = srv.get(k[:3], [0, 0, 0])
    say(s == t, "server (python3, incoming) %s %s -> %s: %s (count, read, written) = curl's %s" % (k[:3] + (s, t)))
PY

# The module in run: plain and TLS together per app, method and status.
expect_eq 'run: requests_total{app=CURL,method="GET",status="200"}' \
	"$(metric "$TMP/m" ebpfmon_http_requests_total "app=\"$CURL\",method=\"GET\",status=\"200\"")" 15
expect_eq 'run: requests_total{app=CURL,method="GET",status="404"}' \
	"$(metric "$TMP/m" ebpfmon_http_requests_total "app=\"$CURL\",method=\"GET\",status=\"404\"")" 3
expect_eq 'run: requests_total{app=CURL,method="POST",status="501"}' \
	"$(metric "$TMP/m" ebpfmon_http_requests_total "app=\"$CURL\",method=\"POST\",status=\"501\"")" 2
expect_eq 'run: latency_seconds_count{app=CURL,method="GET",status="200"}' \
	"$(metric "$TMP/m" ebpfmon_http_latency_seconds_count "app=\"$CURL\",method=\"GET\",status=\"200\"")" 15
expect_eq 'run: libssl files with uprobes > 0' "$([ "$(metric "$TMP/m" ebpfmon_http_tls_libraries)" -gt 0 ] && echo yes)" yes
# /api/v1/http: the rows of the last collection; one more request shows up there once.
curl_n 1 http://10.78.0.2:8080/api-probe "GET /api-probe false"
seen=
for _ in $(seq 30); do
	curl -sf "http://127.0.0.1:$RUN_PORT/api/v1/http" -o "$TMP/api.json" || break
	seen=$(python3 -c 'import json, sys
rows = [r for r in json.load(open(sys.argv[1])) if r["process_name"] == sys.argv[2] and r["path"] == "/api-probe"]
print(" ".join("%s/%d/%d" % (r["method"], r["status_code"], r["count"]) for r in rows))' "$TMP/api.json" "$CURL")
	[ -n "$seen" ] && break
	sleep 0.3
done
expect_eq "/api/v1/http: the probe request's row (method/status/count)" "$seen" "GET/404/1"
RPID=$RUN_PID
stop_run
expect_eq "run exit status" "$?" 0

# Nothing of ours stays attached: after SIGINT/SIGTERM above, and after SIGKILL.
ours() { bpftool prog show 2>/dev/null | grep -c 'name http_s\(ys\|sl\)_' ; }
"$EBPFMON" http --duration 5m >/dev/null 2>"$TMP/k.err" &
KPID=$!
for _ in $(seq 200); do grep -q '^attached$' "$TMP/k.err" && break; sleep 0.1; done
n=$(ours)
[ "$n" -ge 5 ] && ok "attached: $n programs of ours loaded" || not_ok "attached: only $n programs of ours loaded"
kill -KILL "$KPID"
wait "$KPID" 2>/dev/null
for _ in $(seq 40); do [ "$(ours)" = 0 ] && break; sleep 0.05; done
expect_eq "programs of ours left after SIGINT, SIGTERM and SIGKILL" "$(ours)" 0
: "$RPID"
