#!/usr/bin/env bash
# kernel tier: packaging. `make install` into a temporary DESTDIR (PREFIX=/usr,
# then the default /usr/local) lays out the exact tree, the installed binary
# and its plugin name run, the installed configuration is the default and
# `check` accepts it, a second install keeps an edited one, `make uninstall`
# leaves only it. docs/ebpfmon.8 is what scripts/gen-man.sh makes from the
# binary's --help now, and renders without a warning. The Kubernetes manifest
# parses and asks for the host views and the capabilities the unit grants,
# not privileged mode; its configuration passes `check`. The Dockerfile
# installs packages that exist in Debian 12 and provide every library the
# binary links, and copies paths the install tree has. (No image is built:
# there is no registry to pull debian:bookworm from here.)
source "$(dirname "$0")/lib.sh"
need_root "packaging"
PY=/usr/bin/python3	# Debian's, with python3-yaml
VERSION=$("$EBPFMON" --version | awk '{ print $2 }')

# ---- make install / uninstall ---------------------------------------------------
D=$TMP/root
make -s --no-print-directory BUILD="$BUILD" install PREFIX=/usr DESTDIR="$D" >"$TMP/install.out" 2>&1 ||
	not_ok "make install failed: $(tail -c 300 "$TMP/install.out")"
want="/etc/ebpfmon/ebpfmon.conf
/usr/lib/systemd/system/ebpfmon.service
/usr/libexec/ebpfmon/ebpfmon.plugin
/usr/sbin/ebpfmon
/usr/share/doc/ebpfmon/README.md
$(for f in docs/*.md; do echo "/usr/share/doc/ebpfmon/${f#docs/}"; done)
/usr/share/man/man8/ebpfmon.8"
got=$(cd "$D" && find . ! -type d | sed 's/^\.//' | sort)
expect_eq "installed files (PREFIX=/usr)" "$(echo "$got" | tr '\n' ' ')" "$(echo "$want" | sort | tr '\n' ' ')"
expect_eq "binary mode" "$(stat -c %a "$D/usr/sbin/ebpfmon")" 755
expect_eq "plugin symlink" "$(readlink "$D/usr/libexec/ebpfmon/ebpfmon.plugin")" ../../sbin/ebpfmon
expect_eq "installed binary --version" "$("$D/usr/sbin/ebpfmon" --version | awk '{ print $1, $2 }')" "ebpfmon $VERSION"
expect_eq "plugin symlink resolves to the binary" "$(readlink -f "$D/usr/libexec/ebpfmon/ebpfmon.plugin")" "$D/usr/sbin/ebpfmon"
cmp -s "$D/usr/share/man/man8/ebpfmon.8" docs/ebpfmon.8 && ok "man page installed" || not_ok "installed man page differs from docs/ebpfmon.8"
expect_eq "unit ExecStart (PREFIX=/usr)" "$(sed -n 's/^ExecStart=//p' "$D/usr/lib/systemd/system/ebpfmon.service")" \
	"/usr/sbin/ebpfmon run --config /etc/ebpfmon/ebpfmon.conf"
"$EBPFMON" config | cmp -s - "$D/etc/ebpfmon/ebpfmon.conf" && ok "installed configuration is 'ebpfmon config'" ||
	not_ok "installed configuration differs from 'ebpfmon config'"
"$D/usr/sbin/ebpfmon" check --config "$D/etc/ebpfmon/ebpfmon.conf" >/dev/null 2>"$TMP/check.err" &&
	ok "check accepts the installed configuration" || not_ok "check refuses the installed configuration: $(head -c 300 "$TMP/check.err")"
# An edited configuration survives a second install.
echo "# edited" >>"$D/etc/ebpfmon/ebpfmon.conf"
make -s --no-print-directory BUILD="$BUILD" install PREFIX=/usr DESTDIR="$D" >"$TMP/install2.out" 2>&1
tail -1 "$D/etc/ebpfmon/ebpfmon.conf" | grep -qx '# edited' && ok "a second install keeps the configuration" ||
	not_ok "a second install replaced the configuration"
make -s --no-print-directory BUILD="$BUILD" uninstall PREFIX=/usr DESTDIR="$D" >"$TMP/uninstall.out" 2>&1
expect_eq "after uninstall" "$(cd "$D" && find . ! -type d | sed 's/^\.//' | tr '\n' ' ')" "/etc/ebpfmon/ebpfmon.conf "
# The default PREFIX.
D2=$TMP/root2
make -s --no-print-directory BUILD="$BUILD" install DESTDIR="$D2" >"$TMP/install3.out" 2>&1
[ -x "$D2/usr/local/sbin/ebpfmon" ] && [ -L "$D2/usr/local/libexec/ebpfmon/ebpfmon.plugin" ] &&
	[ -f "$D2/usr/local/share/man/man8/ebpfmon.8" ] && ok "default PREFIX is /usr/local" ||
	not_ok "default PREFIX: $(cd "$D2" && find . ! -type d | tr '\n' ' ')"
expect_eq "unit ExecStart (default PREFIX)" "$(sed -n 's/^ExecStart=//p' "$D2/usr/local/lib/systemd/system/ebpfmon.service")" \
	"/usr/local/sbin/ebpfmon run --config /etc/ebpfmon/ebpfmon.conf"

# ---- man page -------------------------------------------------------------------
# The .TH line carries the date of the last commit: compared without it.
if command -v help2man >/dev/null; then
	scripts/gen-man.sh "$EBPFMON" >"$TMP/ebpfmon.8" 2>"$TMP/genman.err" || not_ok "gen-man.sh failed: $(head -c 300 "$TMP/genman.err")"
	if diff <(grep -v '^\.TH ' docs/ebpfmon.8) <(grep -v '^\.TH ' "$TMP/ebpfmon.8") >"$TMP/man.diff"; then
		ok "docs/ebpfmon.8 matches the binary's --help (scripts/gen-man.sh)"
	else
		not_ok "docs/ebpfmon.8 is stale (make man): $(head -c 300 "$TMP/man.diff")"
	fi
else
	not_ok "help2man is missing (scripts/deps.sh build)"
fi
for c in run snapshot check connections flows metrics config; do
	grep -q "The $c command" docs/ebpfmon.8 || not_ok "the man page has no section for '$c'"
done
groff -man -ww -z docs/ebpfmon.8 >"$TMP/groff.out" 2>&1
[ ! -s "$TMP/groff.out" ] && ok "groff -man -ww: no warning" || not_ok "groff warns: $(head -c 300 "$TMP/groff.out")"
MANWIDTH=80 man --warnings -l docs/ebpfmon.8 >"$TMP/man.txt" 2>"$TMP/man.err"
[ ! -s "$TMP/man.err" ] && grep -q 'ebpfmon - eBPF observability agent' "$TMP/man.txt" &&
	ok "man --warnings renders it without a warning" || not_ok "man --warnings: $(head -c 300 "$TMP/man.err")"

# ---- Kubernetes -----------------------------------------------------------------
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' packaging/systemd/ebpfmon.service)
$PY - packaging/kubernetes/daemonset.yaml "$unit_caps" "$TMP/k8s.conf" >"$TMP/k8s.out" 2>&1 <<'EOF'
import sys, yaml
path, unit_caps, conf_out = sys.argv[1], sys.argv[2].split(), sys.argv[3]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
def ok(what): print("ok - daemonset: " + what)
def bad(what): print("not ok - daemonset: " + what)
def check(cond, what): ok(what) if cond else bad(what)
kinds = {d["kind"]: d for d in docs}
check(set(kinds) == {"Namespace", "ConfigMap", "DaemonSet"}, "documents %s" % sorted(kinds))
ds = kinds["DaemonSet"]
spec = ds["spec"]["template"]["spec"]
check(ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
      "the selector matches the pod labels")
check(spec.get("hostPID") is True, "hostPID")
check(spec.get("hostNetwork") is True, "hostNetwork")
def walk(o):
	if isinstance(o, dict):
		for k, v in o.items():
			yield k, v
			yield from walk(v)
	elif isinstance(o, list):
		for v in o:
			yield from walk(v)
check(not any(k in ("privileged", "allowPrivilegeEscalation") and v is True for k, v in walk(docs)),
      "nothing privileged, no privilege escalation")
(c,) = spec["containers"]
sc = c["securityContext"]
want = sorted(x.replace("CAP_", "") for x in unit_caps)
check(sorted(sc["capabilities"]["add"]) == want, "capabilities %s, the unit's" % sc["capabilities"]["add"])
check(sc["capabilities"]["drop"] == ["ALL"], "drop ALL")
check(sc.get("readOnlyRootFilesystem") is True, "read-only root filesystem")
check(sc.get("runAsUser") == 0, "runAsUser 0 (added capabilities reach uid 0 only)")
vols = {v["name"]: v for v in spec["volumes"]}
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
for p in ("/sys/fs/cgroup", "/sys/kernel/btf", "/sys/kernel/tracing"):
	m = mounts.get(p)
	check(m is not None and m.get("readOnly") is True and vols[m["name"]].get("hostPath", {}).get("path") == p,
	      "host %s mounted read-only" % p)
check("emptyDir" in vols[mounts["/run/ebpfmon"]["name"]], "a writable /run/ebpfmon")
port = {p["name"]: p for p in c["ports"]}["metrics"]["containerPort"]
ann = ds["spec"]["template"]["metadata"]["annotations"]
check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == str(port),
      "prometheus scrape annotations on port %d" % port)
# The configuration: the ConfigMap's key at the path the args name.
args = c["args"]
cfg_path = args[args.index("--config") + 1]
cm_mount = [m for m in c["volumeMounts"] if vols[m["name"]].get("configMap")][0]
cm = kinds["ConfigMap"]
check(vols[cm_mount["name"]]["configMap"]["name"] == cm["metadata"]["name"], "the ConfigMap is the one mounted")
key = cfg_path[len(cm_mount["mountPath"]) + 1:]
check(cfg_path.startswith(cm_mount["mountPath"] + "/") and key in cm["data"], "--config %s is the ConfigMap's key" % cfg_path)
conf = cm["data"].get(key, "")
listen = [l.split("=", 1)[1].strip() for l in conf.splitlines() if l.strip().startswith("listen")]
check(listen == ["0.0.0.0:%d" % port], "the configuration listens on 0.0.0.0:%d" % port)
check(args[0] == "run", "the container runs 'run'")
open(conf_out, "w").write(conf)
EOF
cat "$TMP/k8s.out"
grep -q '^ok' "$TMP/k8s.out" || not_ok "the manifest could not be checked: $(head -c 300 "$TMP/k8s.out")"
"$EBPFMON" check --config "$TMP/k8s.conf" >/dev/null 2>"$TMP/k8s.err" && ok "check accepts the ConfigMap's configuration" ||
	not_ok "check refuses the ConfigMap's configuration: $(head -c 300 "$TMP/k8s.err")"

# ---- Dockerfile -----------------------------------------------------------------
DF=packaging/docker/Dockerfile
grep -E '^FROM ' "$DF" | awk '{ print $2 }' | grep -vqE '^debian:bookworm(-slim)?$' &&
	not_ok "a base image is not Debian 12: $(grep '^FROM' "$DF" | tr '\n' ' ')" || ok "Dockerfile: Debian 12 images"
# The runtime stage's packages: after the last FROM, the apt-get install line(s).
pkgs=$(sed -n '/^FROM debian:bookworm-slim/,$p' "$DF" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' |
	grep -o 'apt-get install [^&]*' | tr ' \t' '\n\n' | grep -vE '^(apt-get|install|-.*|)$' | sort -u)
[ -n "$pkgs" ] || not_ok "no runtime packages found in $DF"
missing=
for p in $pkgs; do
	apt-cache show --no-all-versions "$p" 2>/dev/null | grep -q '^Version: ' || missing="$missing $p"
done
expect_eq "Dockerfile runtime packages that Debian 12 lacks" "${missing:-none}" none
unprovided=
for lib in $(objdump -p "$EBPFMON" | awk '$1 == "NEEDED" { print $2 }'); do
	f=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
	# dpkg knows a library by the path its package ships: /lib or /usr/lib (merged /usr).
	real=$(readlink -f "$f")
	pkg=$({ dpkg -S "$f" || dpkg -S "$real" || dpkg -S "${real#/usr}"; } 2>/dev/null | head -1 | cut -d: -f1)
	[ "$pkg" = libc6 ] && continue	# in every Debian image
	echo "$pkgs" | grep -qx "$pkg" || unprovided="$unprovided $lib($pkg)"
done
expect_eq "libraries the binary links that no runtime package provides" "${unprovided:-none}" none
# COPY from the context: the paths exist here; COPY --from=build /out/...: in the install tree.
bad_copy=
while read -r -a w; do
	if [[ "${w[1]}" == --from=build ]]; then
		src=${w[2]}
		[ -e "$TMP/root3${src#/out}" ] || bad_copy="$bad_copy $src"
	else
		for src in "${w[@]:1:${#w[@]}-2}"; do [ -e "$src" ] || bad_copy="$bad_copy $src"; done
	fi
done < <(make -s --no-print-directory BUILD="$BUILD" install PREFIX=/usr DESTDIR="$TMP/root3" >/dev/null 2>&1; grep -E '^COPY ' "$DF")
expect_eq "COPY sources missing" "${bad_copy:-none}" none
grep -q 'scripts/deps.sh build' "$DF" && grep -q 'make install PREFIX=/usr DESTDIR=/out' "$DF" &&
	ok "Dockerfile builds with scripts/deps.sh and make install" || not_ok "Dockerfile does not use scripts/deps.sh build and make install"
