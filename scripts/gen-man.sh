#!/usr/bin/env bash
# gen-man.sh [BINARY] > docs/ebpfmon.8: the man page, made by help2man from
# the binary's own --help texts (src/main.c is their one source): the
# command list, then each command's usage and options, the options every
# agent command shares once, and the sections of packaging/man/ebpfmon.h2m.
# The date is SOURCE_DATE_EPOCH's, else the last commit's: the page changes
# only when the help does.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/ebpfmon}")
[ -x "$bin" ] || { echo "gen-man.sh: $bin is not an executable: build it first (make)" >&2; exit 2; }
command -v help2man >/dev/null || { echo "gen-man.sh: help2man is missing: scripts/deps.sh build" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The options from --config to --help are the same in run, snapshot, check and
# connections and netdata (COMMON_LONG_OPTS): printed once, after the commands.
common_start='^  --config FILE '
{
	"$bin" --help
	for c in run snapshot check connections flows dns metrics config netdata; do
		echo
		echo "The $c command:"
		# "Usage: ebpfmon run [options]" (and its continued line) -> one indented line.
		"$bin" $c --help | awk '
			usage && /^ +\[/ { sub(/^ +/, " "); line = line $0; next }
			{ if (NR > 1) print line; line = $0; usage = /^Usage: / }
			END { print line }' | sed -e 's/^Usage: /  /' -e "/$common_start/,\$d"
	done
	echo
	echo "Options of run, snapshot, check, connections and netdata:"
	"$bin" run --help | sed -n "/$common_start/,\$p"
} >"$tmp/help.txt"
version=$("$bin" --version | awk '{ print $1, $2 }')
printf '#!/bin/sh\ncase "$1" in --version) echo "%s" ;; *) cat "%s" ;; esac\n' "$version" "$tmp/help.txt" >"$tmp/ebpfmon"
chmod +x "$tmp/ebpfmon"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
help2man --no-info --section 8 --name "eBPF observability agent" \
	--manual "System Administration" --include packaging/man/ebpfmon.h2m "$tmp/ebpfmon"
