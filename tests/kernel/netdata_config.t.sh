#!/usr/bin/env bash
# kernel tier: Netdata's own configuration, as Debian's netdata-core ships it
# (ebpf.d.conf, ebpf.d/<module>.conf, apps_groups.conf), loads, says what it
# ignores and why, and counts exactly with a module's own file overriding
# [global].
source "$(dirname "$0")/lib.sh"
need_root "Netdata's configuration files"

main=$(dpkg -L netdata-core 2>/dev/null | grep '/conf\.d/ebpf\.d\.conf$' | head -n 1)
if [ -z "$main" ] || [ ! -f "$main" ]; then
	not_ok "netdata-core is not installed (scripts/deps.sh test installs it): no Netdata configuration to load"
	exit 0
fi
shipped=$(dirname "$main")
conf=$TMP/netdata
mkdir -p "$conf"
cp -r "$shipped/ebpf.d.conf" "$shipped/ebpf.d" "$shipped/apps_groups.conf" "$conf/"

# 1. As shipped: `config` reads the main file and every module's file.
if "$EBPFMON" config --config "$conf/ebpf.d.conf" >"$TMP/effective" 2>"$TMP/effective.err"; then
	ok "ebpfmon config --config <Netdata's ebpf.d.conf> exits 0"
else
	not_ok "ebpfmon config refused Netdata's files: $(head -c 300 "$TMP/effective.err")"
fi
modules=$("$EBPFMON" metrics 2>/dev/null | awk '{ print $1 }' | sed -n 's/^ebpfmon_\([a-z]*\)_.*/\1/p' | sort -u)
missing=0 read_files=0
for f in "$conf"/ebpf.d/*.conf; do
	stem=$(basename "$f" .conf)
	[ "$stem" = network ] && stem=socket
	grep -qx "$stem" <<<"$modules" || continue
	read_files=$((read_files + 1))
	grep -q "then $f" "$TMP/effective" || { missing=1; not_ok "$f (module $stem) was not read"; }
done
[ $missing = 0 ] && ok "every module's file of Netdata's ebpf.d/ is read ($read_files files)"

# Every key the shipped files set with no effect here is listed with its
# FILE:LINE and a reason; counted independently from the files themselves.
want=0
for f in "$conf/ebpf.d.conf" "$conf"/ebpf.d/*.conf; do
	n=$(grep -cE '^[[:space:]]*(btf path|ebpf type format|ebpf co-re tracing|collect pid|lifetime|maps per core|ebpf object flavor|integration|bind to|backlog|update every|pid table size)[[:space:]]*=' "$f" || true)
	# update every and pid table size are honoured in the main file.
	[ "$f" = "$conf/ebpf.d.conf" ] && n=$((n - $(grep -cE '^[[:space:]]*(update every|pid table size)[[:space:]]*=' "$f" || true)))
	want=$((want + n))
done
got=$(grep -cE '^#   /.*:[0-9]+: \[' "$TMP/effective" || true)
expect_eq "ignored keys listed (Netdata's files set $want keys ebpfmon does not use)" "$got" "$want"
if grep -A1 -E "ebpf\.d\.conf:[0-9]+: \[global\] btf path" "$TMP/effective" | grep -q "kernel's BTF"; then
	ok "btf path is listed as ignored, with its line and the reason"
else
	not_ok "btf path of ebpf.d.conf is not listed with a reason: $(grep -m1 btf "$TMP/effective")"
fi
grep -qE '^[[:space:]]+update every = 5$' "$TMP/effective" &&
	ok "ebpf.d.conf's update every = 5 is in effect" ||
	not_ok "update every of ebpf.d.conf not in effect: $(grep 'update every' "$TMP/effective")"
grep -qE '^[[:space:]]+ebpf load mode = entry$' "$TMP/effective" &&
	ok "ebpf.d.conf's ebpf load mode = entry is in effect" ||
	not_ok "ebpf load mode of ebpf.d.conf not in effect"

if "$EBPFMON" check --config "$conf/ebpf.d.conf" --apps-groups "$conf/apps_groups.conf" >/dev/null 2>"$TMP/check.err"; then
	ok "check accepts Netdata's ebpf.d.conf with its module files and apps_groups.conf"
else
	not_ok "check refused Netdata's files: $(head -c 300 "$TMP/check.err")"
fi

# 2. A module's own file overrides [global] for that module only:
# process.conf apps = no, vfs.conf ebpf load mode = return (the main file
# says entry), sync.conf fsync = no.
sed -i 's/^#\[global\]/[global]/; s/^#[[:space:]]*apps = yes/    apps = no/' "$conf/ebpf.d/process.conf"
grep -q '^\[global\]' "$conf/ebpf.d/vfs.conf" &&
	sed -i 's/^\[global\]/[global]\n    ebpf load mode = return/' "$conf/ebpf.d/vfs.conf" ||
	printf '[global]\n    ebpf load mode = return\n' >>"$conf/ebpf.d/vfs.conf"
sed -i 's/^\([[:space:]]*\)fsync = yes/\1fsync = no/' "$conf/ebpf.d/sync.conf"
"$EBPFMON" config --config "$conf/ebpf.d.conf" >"$TMP/effective2" 2>&1
grep -q '^# process, from its own file: apps = no' "$TMP/effective2" &&
	grep -q '^# vfs, from its own file: .*ebpf load mode = return' "$TMP/effective2" &&
	grep -q '^# sync, from its own file: .*off: fsync' "$TMP/effective2" &&
	ok "config shows each module's own settings" ||
	not_ok "module settings not shown: $(grep '^# [a-z]*, from' "$TMP/effective2" | tr '\n' ' ')"

io=$(unique_name nd)
snap=$TMP/snap.prom
# Modules of the io workload only; the rest of the files as shipped.
start_snapshot "$snap" --config "$conf/ebpf.d.conf" --apps-groups "$conf/apps_groups.conf" \
	--modules process,fd,vfs,sync || exit 0
mkdir -p "$TMP/io"
"$WORKLOAD" io "$io" "$TMP/io" >"$TMP/io.truth" || not_ok "io workload failed"
# A name that Netdata's apps_groups.conf groups ("ceph: ceph-* ..."), counted as its group.
mkdir -p "$TMP/io2"
"$WORKLOAD" io "$(unique_name ceph-)" "$TMP/io2" >"$TMP/io2.truth" || not_ok "io workload failed"
sleep 1
stop_snapshot || not_ok "snapshot exited with an error"
# vfs in return mode: calls, bytes and errors exact for the application.
compare_truth "$snap" "$TMP/io.truth" "$io" '^vfs_'
compare_truth "$snap" "$TMP/io.truth" "$io" '^fd_(open|close)_calls'
compare_truth "$snap" "$TMP/io2.truth" ceph '^vfs_(write|read)_'
grep -q '^ebpfmon_app_process_' "$snap" &&
	not_ok "process.conf says apps = no, yet per-application process series are exported" ||
	ok "process.conf apps = no: no per-application process series"
grep -q '^ebpfmon_app_fd_open_calls_total{' "$snap" &&
	ok "fd keeps its per-application series (apps = yes in [global])" ||
	not_ok "fd's per-application series are missing"
grep -qE '^ebpfmon_(app_)?fd_[a-z]+_errors_total' "$snap" &&
	not_ok "fd is in entry mode (ebpf.d.conf), yet its error series are exported" ||
	ok "fd in entry mode (the main file's): no error series"
grep -q '^ebpfmon_vfs_write_errors_total ' "$snap" &&
	ok "vfs in return mode (its own file): error series exported" ||
	not_ok "vfs.conf says return, yet vfs has no error series"
grep -q 'ebpfmon_sync_calls_total{call="fsync"}' "$snap" &&
	not_ok "sync.conf says fsync = no, yet call=\"fsync\" is exported" ||
	ok "sync.conf fsync = no: no fsync dimension"
grep -q 'ebpfmon_sync_calls_total{call="fdatasync"}' "$snap" &&
	ok "the other sync calls stay" || not_ok "sync's other calls are missing"

# 3. A bad value in a module's file names that file and line, exit 2.
printf '[global]\n    apps = maybe\n' >>"$conf/ebpf.d/fd.conf"
"$EBPFMON" check --config "$conf/ebpf.d.conf" >/dev/null 2>"$TMP/bad.err"
rc=$?
line=$(wc -l <"$conf/ebpf.d/fd.conf")
if [ $rc = 2 ] && grep -q "ebpf.d/fd.conf:$line: 'apps' must be yes or no, not 'maybe'" "$TMP/bad.err" &&
	[ "$(wc -l <"$TMP/bad.err")" = 1 ]; then
	ok "a bad value in a module's file: one line naming FILE:LINE, exit 2"
else
	not_ok "bad module file: exit $rc, $(head -c 300 "$TMP/bad.err")"
fi
