#!/usr/bin/env bash
# httpflow over TLS: what the libssl uprobes cost. A client and a forked
# echo server over a loopback TLS connection (bench/ssl_cost.c, OpenSSL):
# each round trip is an SSL_write and an SSL_read of 64 bytes on each side. Rounds
# alternate: bare; `ebpfmon http --no-tls` (the syscall program only); and
# `ebpfmon http` (the SSL_write/SSL_read uprobes and uretprobes too). Per
# round trip: tls minus no-tls is the uprobes' share (four calls: a quarter
# of it per SSL_read or SSL_write); medians of ROUNDS rounds.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EBPFMON=$PWD/$BUILD/ebpfmon
ROUNDS=${ROUNDS:-7}
TMP=$(mktemp -d /tmp/ebpfmon-bench-ssl.XXXXXX)
BG=
trap '[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null; rm -rf "$TMP"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-days 1 -subj /CN=localhost >/dev/null 2>&1 || { echo "bench ssl: openssl req failed"; exit 1; }
cc -O2 -Wall -o "$TMP/ssl_cost" bench/ssl_cost.c -lssl -lcrypto || exit 1
measure() { "$TMP/ssl_cost" 20000 "$TMP/cert.pem" "$TMP/key.pem" | awk -v r="$1" -v l="$2" '{ print r, l, $1 }' >>"$TMP/results"; }
with_http() { # round label args...
	local r=$1 l=$2
	shift 2
	"$EBPFMON" http --duration 10m "$@" >/dev/null 2>"$TMP/http.err" &
	BG=$!
	for _ in $(seq 300); do grep -q '^attached' "$TMP/http.err" && break; sleep 0.1; done
	if grep -q '^attached' "$TMP/http.err"; then
		measure "$r" "$l"
	else
		echo "bench ssl: ebpfmon http did not attach: $(head -c 200 "$TMP/http.err")"
	fi
	kill -INT "$BG"; wait "$BG" 2>/dev/null; BG=
}
echo "== httpflow TLS: ns per TLS round trip (SSL_write + SSL_read on each side, 64 bytes, loopback), median of $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
	measure "$r" bare
	with_http "$r" notls --no-tls
	with_http "$r" tls
done
python3 - "$TMP/results" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(dict)
for line in open(sys.argv[1]):
    r, l, ns = line.split()
    v[l][r] = float(ns)
med = lambda l: statistics.median(v[l].values())
diff = lambda a, b: statistics.median(v[a][r] - v[b][r] for r in v[a] if r in v[b])
d = diff("tls", "notls")
print(f"bare {med('bare'):.0f} ns, httpflow without TLS {med('notls'):.0f} ns, with TLS uprobes {med('tls'):.0f} ns")
print(f"the uprobes add {d:.0f} ns per round trip = {d / 4:.0f} ns per SSL_read or SSL_write; the syscall program {diff('notls', 'bare'):.0f} ns")
PY
