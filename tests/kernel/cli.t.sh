#!/usr/bin/env bash
# Bad input gets one clear line and the documented exit code.
source "$(dirname "$0")/lib.sh"

# expect_fail DESC RC PATTERN CMD...: exits RC, stderr is one line matching PATTERN.
expect_fail() {
	local desc=$1 want_rc=$2 pattern=$3
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$? lines
	lines=$(wc -l <"$TMP/err")
	if [ $rc -eq "$want_rc" ] && [ "$lines" -eq 1 ] && grep -qE -- "$pattern" "$TMP/err"; then
		ok "$desc: exit $rc, '$(cat "$TMP/err")'"
	else
		not_ok "$desc: exit $rc (want $want_rc), $lines line(s): $(head -c 300 "$TMP/err")"
	fi
}

expect_fail "no command" 2 "Usage|command" "$EBPFMON"
expect_fail "unknown command" 2 "unknown command 'frobnicate'" "$EBPFMON" frobnicate
expect_fail "unknown flag" 2 "--bogus" "$EBPFMON" snapshot --bogus
expect_fail "missing flag value" 2 "--duration" "$EBPFMON" snapshot --duration
expect_fail "unknown module" 2 "nosuchmod" "$EBPFMON" snapshot --modules vfs,nosuchmod
expect_fail "bad duration" 2 "--duration 'ten'" "$EBPFMON" snapshot --duration ten
expect_fail "bad format" 2 "--format 'xml'" "$EBPFMON" snapshot --format xml
expect_fail "bad pid table size" 2 "pid table size" "$EBPFMON" snapshot --pid-table-size 0
expect_fail "bad load mode" 2 "load mode" "$EBPFMON" check --load-mode sideways
expect_fail "bad load mode (run)" 2 "'ebpf load mode' must be return, entry or light, not 'turbo'" \
	"$EBPFMON" run --load-mode turbo
expect_fail "stray argument" 2 "unexpected argument 'extra'" "$EBPFMON" check extra

# The embedded default is accepted as a file, and names every module with its default.
"$EBPFMON" config >"$TMP/default.conf"
if "$EBPFMON" check --config "$TMP/default.conf" >/dev/null 2>"$TMP/default.err"; then
	ok "ebpfmon config's output is a configuration check accepts"
else
	not_ok "ebpfmon config's output is refused: $(head -1 "$TMP/default.err")"
fi
for m in $("$EBPFMON" check --json | python3 -c 'import json, sys
print(" ".join(m["name"] for m in json.load(sys.stdin)["modules"] if m["name"] != "core"))'); do
	grep -Eq "^[[:space:]]*#? ?$m = (yes|no)" "$TMP/default.conf" &&
		ok "module $m is in the default configuration" ||
		not_ok "module $m is missing from the [ebpf programs] section of 'ebpfmon config'"
done

printf '[global]\n\tupdate every = 2\n\tcolour = blue\n' >"$TMP/bad-key.conf"
expect_fail "unknown config key" 2 "bad-key.conf:3: .*colour" "$EBPFMON" check --config "$TMP/bad-key.conf"
printf '[global]\napps = maybe\n' >"$TMP/bad-value.conf"
expect_fail "bad config value" 2 "bad-value.conf:2: .*apps" "$EBPFMON" check --config "$TMP/bad-value.conf"
printf '[ebpf programs]\nvfs = yes\nwarp = yes\n' >"$TMP/bad-module.conf"
expect_fail "unknown module in config" 2 "bad-module.conf:3: .*warp" "$EBPFMON" check --config "$TMP/bad-module.conf"
expect_fail "missing config file" 2 "nonexistent.conf" "$EBPFMON" check --config "$TMP/nonexistent.conf"
printf 'web: nginx*\nno colon here\n' >"$TMP/bad-groups.conf"
expect_fail "bad apps groups file" 2 "bad-groups.conf:2" "$EBPFMON" check --apps-groups "$TMP/bad-groups.conf"

for cmd in "--help" "run --help" "check --help" "snapshot --help" "config --help" "--version"; do
	# shellcheck disable=SC2086
	if "$EBPFMON" $cmd >"$TMP/out" 2>&1 && [ -s "$TMP/out" ]; then ok "ebpfmon $cmd"; else not_ok "ebpfmon $cmd"; fi
done

need_root "root-only checks"
# Without privileges: say what is missing, exit 1.
if command -v setpriv >/dev/null; then
	expect_fail "not root" 1 "run it as root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$EBPFMON" snapshot --duration 1
else
	not_ok "setpriv (util-linux) missing: cannot test the non-root message"
fi

# The listen address is taken: say so.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$port)); s.listen(); time.sleep(30)" &
holder=$!
sleep 0.5
expect_fail "listen address in use" 1 "127.0.0.1:$port.*in use" timeout 20 "$EBPFMON" run --listen "127.0.0.1:$port" --modules fd
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# check --json is valid JSON and names a hook choice per module.
if "$EBPFMON" check --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
mods = {m["name"]: m for m in d["modules"]}
assert set(mods) >= {"process", "fd", "vfs", "flows"}, mods.keys()
assert mods["flows"]["state"] == "disabled", mods["flows"]
for name in ("process", "fd", "vfs"):
    m = mods[name]
    assert m["state"] == "available", m
    assert all(h["implementation"] for h in m["hooks"]), m
for name in ("process", "fd", "vfs", "flows"):
    assert "CAP_BPF" in mods[name]["privileges"] and "after attach" in mods[name]["privileges"], mods[name]
assert d["features"]["kprobes"]["available"] in (True, False)
core = mods["core"]
mem = core["kernel_memory"]
assert 0 < mem["bytes"] <= mem["bytes_at_128_cpus"] <= 32 * 2**20, mem
assert mem["bytes_per_thread"] > 0 and mem["bytes_per_process"] > 0, mem
assert all(h["implementation"] or h["reason"].startswith(("only used", "not needed"))
           for h in core["hooks"]), core
'; then ok "check --json parses, every hook has an implementation, the core's memory is within budget"; else not_ok "check --json"; fi
if "$EBPFMON" check | grep -qE "^kernel memory of the core's maps: [0-9.]+ MiB at load here \([0-9]+ CPUs\), [0-9.]+ MiB at 128 CPUs"; then
	ok "check prints the core's kernel memory here and at 128 CPUs"
else
	not_ok "check does not print the core's kernel memory: $("$EBPFMON" check | tail -3)"
fi

# A module left out by --modules says so (not "disabled in the configuration").
if "$EBPFMON" snapshot --modules vfs --duration 0.2 --format json 2>/dev/null | python3 -c '
import json, sys
mods = json.load(sys.stdin)["modules"]
assert mods["vfs"]["state"] == "up", mods["vfs"]
for name in ("process", "fd", "flows"):
    assert mods[name]["reason"] == "not in --modules", mods[name]
'; then ok "snapshot --modules vfs: the others are 'not in --modules'"; else not_ok "snapshot --modules vfs: reasons of the others"; fi

# docs/metrics.md lists exactly the metrics the binary knows.
if diff <(sed -n '/^<!-- generated by: ebpfmon metrics --markdown -->$/,$p' docs/metrics.md | tail -n +2) \
	<("$EBPFMON" metrics --markdown) >"$TMP/metrics.diff"; then
	ok "docs/metrics.md matches 'ebpfmon metrics --markdown'"
else
	not_ok "docs/metrics.md is stale (regenerate its table with 'ebpfmon metrics --markdown'): $(head -c 300 "$TMP/metrics.diff")"
fi
