#!/usr/bin/env bash
# The HTTP endpoint under abuse, on the real agent: idle connections held
# open, more of them than the connection limit, a slowloris, a wrk flood (with
# the agent's RSS before and after); then TLS and basic auth from a web config.
source "$(dirname "$0")/lib.sh"
need_root "http abuse"
CLIENTS="$(dirname "$0")/http_clients.py"
# The server's limits (src/export/http.c): connections before the oldest idle
# ones are shed, and seconds a connection has to send a complete request.
CONN_LIMIT=512
REQUEST_DEADLINE=10

vmrss_kib() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status; }

# answer_time URL CURL-ARGS...: "CODE SECONDS" of one GET, given 3 s at most.
answer_time() {
	local url=$1
	shift
	curl -s -o /dev/null --max-time 3 -w '%{http_code} %{time_total}' "$@" "$url" || true
}

start_run --modules process || exit 0
url="http://127.0.0.1:$RUN_PORT/metrics"
if grep -qi warning "$TMP/run.err"; then
	not_ok "a loopback listen address warns: $(cat "$TMP/run.err")"
else
	ok "a loopback listen address without TLS or auth gives no warning"
fi

python3 "$CLIENTS" idle "$RUN_PORT" 200 "$CONN_LIMIT"
python3 "$CLIENTS" idle "$RUN_PORT" $((CONN_LIMIT + 100)) "$CONN_LIMIT"
python3 "$CLIENTS" slowloris "$RUN_PORT" 50 "$REQUEST_DEADLINE"

# --- a flood: RSS before and after, and an answer right after -------------
if command -v wrk >/dev/null; then
	for _ in $(seq 20); do scrape "$TMP/warm" || break; done # the steady state, before measuring
	rss_before=$(vmrss_kib "$RUN_PID")
	wrk -t2 -c200 -d10s "$url" >"$TMP/wrk.out" 2>&1
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out")
	errors=$(grep -E 'Socket errors|Non-2xx' "$TMP/wrk.out" | tr -s ' \n' ' ')
	if [ -n "$rps" ]; then
		ok "wrk -t2 -c200 -d10s: $rps requests/s${errors:+ ($errors)}"
	else
		not_ok "wrk did not run: $(head -c 300 "$TMP/wrk.out")"
	fi
	for _ in $(seq 7); do answer_time "$url"; echo; done >"$TMP/after"
	if awk '$1 != 200 || $2 >= 1 { bad = 1 } END { exit bad || NR != 7 }' "$TMP/after"; then
		ok "after the flood /metrics answers within 1 s: median $(sort -k2 -n "$TMP/after" | awk 'NR == 4 { printf "%.1f ms", $2 * 1000 }') of 7"
	else
		not_ok "after the flood /metrics: $(tr '\n' ';' <"$TMP/after")"
	fi
	sleep 1 # connections of the flood are closed and their memory returned
	rss_after=$(vmrss_kib "$RUN_PID")
	if [ $((rss_after - rss_before)) -le 8192 ]; then
		ok "RSS after the flood $rss_after KiB, before $rss_before KiB (within 8 MiB)"
	else
		not_ok "RSS grew by the flood: $rss_before KiB before, $rss_after KiB after (more than 8 MiB)"
	fi
else
	not_ok "wrk missing (package wrk)"
fi
stop_run

# --- TLS and basic auth (exporter-toolkit web config) ---------------------
if ! command -v openssl >/dev/null || ! command -v htpasswd >/dev/null; then
	not_ok "openssl or htpasswd (apache2-utils) missing: cannot test TLS and basic auth"
	exit 0
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>"$TMP/openssl.err" ||
	not_ok "openssl could not make a certificate: $(head -c 300 "$TMP/openssl.err")"
hash=$(htpasswd -nbBC 5 scraper 's3cret pass' | cut -d: -f2)
cat >"$TMP/web.yml" <<YML
# Paths are relative to this file, as in Prometheus' exporter-toolkit.
tls_server_config:
  cert_file: cert.pem
  key_file: key.pem
basic_auth_users:
  scraper: '$hash'
YML
# start_run polls plain http, which a TLS port never answers: start and poll https here.
RUN_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$EBPFMON" run --listen "127.0.0.1:$RUN_PORT" --modules process --web-config "$TMP/web.yml" \
	>/dev/null 2>"$TMP/run.err" &
RUN_PID=$!
https="https://127.0.0.1:$RUN_PORT"
for _ in $(seq 200); do
	curl -sf --cacert "$TMP/cert.pem" -u 'scraper:s3cret pass' "$https/metrics" -o "$TMP/tls.prom" && break
	kill -0 "$RUN_PID" 2>/dev/null || break
	sleep 0.1
done
if grep -q '^ebpfmon_module_up{module="process"} 1' "$TMP/tls.prom" 2>/dev/null; then
	ok "https with the right password serves /metrics (certificate verified)"
else
	not_ok "https /metrics with the right password failed: $(tr '\n' ' ' <"$TMP/run.err")"
fi
read -r code _ <<<"$(answer_time "$https/metrics" --cacert "$TMP/cert.pem" -u 'scraper:wrong')"
expect_eq "https with a wrong password: status" "$code" 401
read -r code _ <<<"$(answer_time "$https/metrics" --cacert "$TMP/cert.pem" -u 'intruder:s3cret pass')"
expect_eq "https with an unknown user: status" "$code" 401
curl -s -D "$TMP/hdr" -o /dev/null --cacert "$TMP/cert.pem" "$https/" || true
if grep -qi '^HTTP/1.1 401' "$TMP/hdr" && grep -qi '^WWW-Authenticate: Basic realm="ebpfmon"' "$TMP/hdr"; then
	ok "https without credentials: 401 asking for Basic auth, on / as well"
else
	not_ok "https without credentials: $(tr '\r\n' '  ' <"$TMP/hdr")"
fi
read -r code _ <<<"$(answer_time "http://127.0.0.1:$RUN_PORT/metrics" -u 'scraper:s3cret pass')"
if [ "$code" = 000 ] || [ -z "$code" ]; then
	ok "plain http to the TLS port gets no HTTP answer"
else
	not_ok "plain http to the TLS port answered with status $code"
fi
stop_run

# --- bad web configs: one line naming the file, exit 2 ---------------------
printf 'tls_server_config:\n  cert_file: cert.pem\n  key_file: nowhere.pem\n' >"$TMP/bad.yml"
"$EBPFMON" run --listen 127.0.0.1:1 --web-config "$TMP/bad.yml" >/dev/null 2>"$TMP/bad.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] && grep -q "bad.yml.*nowhere.pem" "$TMP/bad.err"; then
	ok "a web config naming a missing key file: exit 2, '$(cat "$TMP/bad.err")'"
else
	not_ok "a web config naming a missing key file: exit $rc, $(head -c 300 "$TMP/bad.err")"
fi

# --- beyond loopback without TLS and auth: a warning ----------------------
# In a network namespace of its own, so the open port is reachable from nowhere.
ns=ebpfmon-http$$
if ip netns add "$ns" 2>"$TMP/ns.err"; then
	ip netns exec "$ns" "$EBPFMON" run --listen 0.0.0.0:9435 --modules process >/dev/null 2>"$TMP/wide.err" &
	wide=$!
	for _ in $(seq 50); do grep -q warning "$TMP/wide.err" && break; sleep 0.1; done
	kill -TERM "$wide" 2>/dev/null
	wait "$wide" 2>/dev/null
	ip netns del "$ns"
	if grep -q "warning: .*0.0.0.0:9435.*without TLS" "$TMP/wide.err"; then
		ok "listening on 0.0.0.0 without TLS or auth warns: $(grep warning "$TMP/wide.err")"
	else
		not_ok "no warning when listening on 0.0.0.0 without TLS or auth: $(head -c 300 "$TMP/wide.err")"
	fi
else
	not_ok "cannot create a network namespace: $(cat "$TMP/ns.err")"
fi
