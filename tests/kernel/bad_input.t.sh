#!/usr/bin/env bash
# Bad configuration and apps-groups input: `check` and `run` refuse the same
# files with one line naming FILE:LINE and exit 2; nothing hangs on a device
# or a FIFO. A bad listen value exits 2, a listen address in use exits 1
# (that one is in cli.t.sh).
source "$(dirname "$0")/lib.sh"

# A free port for the runs that should never get as far as listening.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# refuse DESC PATTERN CMD...: exit 2, stderr one line matching PATTERN, no escape byte.
refuse() {
	local desc=$1 pattern=$2 rc lines
	shift 2
	timeout 20 "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -qE -- "$pattern" "$TMP/err" &&
		! grep -q $'\e' "$TMP/err"; then
		ok "$desc: exit 2, '$(cat "$TMP/err")'"
	else
		not_ok "$desc: exit $rc (want 2), $lines line(s): $(head -c 300 "$TMP/err" | tr -d '\000' | cat -v)"
	fi
}

# both DESC PATTERN ARGS...: `check` and `run` refuse alike. `run` also gets
# run_extra: a free port, so that a run that wrongly accepted the file could
# not take a port another test uses.
run_extra=(--listen "127.0.0.1:$port")
both() {
	local desc=$1 pattern=$2
	shift 2
	refuse "check: $desc" "$pattern" "$EBPFMON" check "$@"
	refuse "run: $desc" "$pattern" "$EBPFMON" run "$@" "${run_extra[@]}"
}

printf '[global]\nupdate every = 2\0junk = 5\n' >"$TMP/nul.conf"
both "NUL byte in a line" "nul.conf:2: the line contains a NUL byte" --config "$TMP/nul.conf"
both "/dev/zero as the configuration" "/dev/zero: is a character device, not a regular file" \
	--config /dev/zero
mkfifo "$TMP/fifo.conf"
both "a FIFO as the configuration (no writer: must not wait)" "fifo.conf: is a FIFO" \
	--config "$TMP/fifo.conf"
printf '[global]\nupdate every = 2\napps = no\nupdate every = 3\n' >"$TMP/dup.conf"
both "duplicate key" "dup.conf:4: 'update every' in \[global\] is already set on line 2" \
	--config "$TMP/dup.conf"
printf '[global]\nlisten = 999.1.1.1:80\n' >"$TMP/listen.conf"
run_extra=() # the file's listen value is the one under test
both "listen = 999.1.1.1:80" "listen.conf:2: 'listen' needs a numeric IPv4 address" \
	--config "$TMP/listen.conf"
run_extra=(--listen "127.0.0.1:$port")
{ printf '[global]\napps groups file = /'; head -c 300 /dev/zero | tr '\0' x; printf '\n'; } >"$TMP/long.conf"
both "over-long line" "long.conf:2: line is longer than [0-9]+ characters" --config "$TMP/long.conf"
refuse "run --listen 999.1.1.1:80" "'listen' needs a numeric IPv4 address" \
	"$EBPFMON" run --listen 999.1.1.1:80
refuse "run --listen example.com:80 (names are not looked up)" "'listen' needs a numeric IPv4" \
	"$EBPFMON" run --listen example.com:80

# apps groups files, through the flag and through the configuration key.
printf 'web: nginx\nsql: mysqld\0 postgres\n' >"$TMP/nul-groups.conf"
both "NUL byte in an apps groups file" "nul-groups.conf:2: the line contains a NUL byte" \
	--apps-groups "$TMP/nul-groups.conf"
printf 'web: nginx httpd\nproxy: haproxy nginx\n' >"$TMP/dup-groups.conf"
both "pattern listed twice in apps groups" "dup-groups.conf:2: pattern 'nginx' is already listed on line 1" \
	--apps-groups "$TMP/dup-groups.conf"
printf '[global]\napps groups file = /dev/zero\n' >"$TMP/groups-zero.conf"
both "/dev/zero as the apps groups file" "/dev/zero: is a character device" \
	--config "$TMP/groups-zero.conf"

# Control characters in a refused value reach the terminal as '?'.
refuse "escape sequence in a flag value" "not '\?\[2J'" "$EBPFMON" check --update-every $'\e[2J'
printf '[global]\nupdate every = \e[2J\n' >"$TMP/esc.conf"
refuse "escape sequence in a configuration value" "esc.conf:2: .*not '\?\[2J'" \
	"$EBPFMON" check --config "$TMP/esc.conf"

# flows: a wait that poll() cannot express is refused up front.
refuse "flows --timeout 600h" "bad --timeout '600h'" "$EBPFMON" flows --timeout 600h
refuse "flows --refresh 600h" "bad --refresh '600h'" "$EBPFMON" flows --refresh 600h

# A good file still passes `check`.
printf '[global]\nupdate every = 2\n[ebpf programs]\nfd = no\n[global]\napps = no\n' >"$TMP/good.conf"
if "$EBPFMON" check --config "$TMP/good.conf" >/dev/null 2>"$TMP/err"; then
	ok "a file that sets each key once is accepted"
else
	not_ok "a good file is refused: $(cat "$TMP/err")"
fi

# The exit codes are documented where a user looks first.
if "$EBPFMON" --help | grep -q "^Exit status: 0 success; 1 runtime failure" &&
	"$EBPFMON" run --help | grep -q "address exits 2, one that cannot be bound exits 1"; then
	ok "--help and run --help document the exit codes"
else
	not_ok "--help does not document the exit codes"
fi
