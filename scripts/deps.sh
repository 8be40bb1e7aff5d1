#!/usr/bin/env bash
# Installs the Debian packages ebpfmon needs to build ("build"), test ("test"),
# benchmark ("bench") or fuzz ("fuzz"). As root it runs apt-get and says what it
# installs; as anyone else it prints the one command to run and fails.
set -euo pipefail

build_pkgs=(clang make gcc pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
	libmicrohttpd-dev libinih-dev libncurses-dev libcap-ng-dev libyaml-dev libgnutls28-dev
	libcrypt-dev libmnl-dev libcurl4-openssl-dev)
# help2man: docs/ebpfmon.8 from --help (make man).
build_pkgs+=(help2man)
# Container names: Docker's API over its unix socket (libcurl), its JSON (json-c).
build_pkgs+=(libcurl4-openssl-dev libjson-c-dev)
# libclang-rt-dev: libFuzzer and the sanitizer runtimes for clang (make fuzz; make test runs
# the fuzz targets briefly).
test_pkgs=(libcmocka-dev prometheus iproute2 libbpf-tools python3 curl util-linux wrk openssl
	apache2-utils libclang-rt-dev bpftrace)
# filesystem: loop filesystems of each type it charts here.
test_pkgs+=(e2fsprogs xfsprogs btrfs-progs)
# socket: packet loss between namespaces (nftables' numgen), for retransmits.
test_pkgs+=(nftables)
# dnsflow: a DNS server in a namespace (the binary alone, no service).
test_pkgs+=(dnsmasq-base)
# Netdata's own configuration files (ebpf.d.conf, ebpf.d/, apps_groups.conf) and agent.
test_pkgs+=(netdata-core)
# packaging: the unit verified and sandboxed (systemd-analyze, setpriv, a seccomp filter),
# the man page rendered, the Kubernetes manifests parsed, the Dockerfile's packages looked up.
test_pkgs+=(systemd python3-seccomp groff-base man-db python3-yaml apt)
# push: a real InfluxDB 1.x receiver (influxd) and its CLI.
test_pkgs+=(influxdb)
fuzz_pkgs=(libclang-rt-dev)
# ssl: bench/ssl_cost.c links OpenSSL.
bench_pkgs=(libbpf-tools tcpdump libssl-dev)
# services test: a fake CRI runtime (gRPC) for container names.
test_pkgs+=(python3-grpcio)

want=()
for set in "$@"; do
	case "$set" in
	build) want+=("${build_pkgs[@]}") ;;
	test) want+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
	bench) want+=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
	fuzz) want+=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
	*) echo "deps.sh: unknown set '$set' (use build, test, bench or fuzz)" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		case " ${missing[*]-} " in *" $p "*) ;; *) missing+=("$p") ;; esac
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "ebpfmon: missing packages: ${missing[*]}" >&2
	echo "ebpfmon: run as root: apt-get install -y ${missing[*]}" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null; then
	echo "ebpfmon: missing ${missing[*]} and no apt-get here: install them with your package manager" >&2
	exit 1
fi
echo "ebpfmon: installing missing packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists; update once, then install.
apt-get update -qq >&2 || true
# influxdb's package would start a system-wide influxd on port 8086, netdata-core a
# netdata on 19999; the tests run private ones, so keep services from starting during
# this install (policy-rc.d).
norc=
if [[ " ${missing[*]} " == *" influxdb "* || " ${missing[*]} " == *" netdata-core "* ]] &&
	[ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && norc=1
fi
rc=0
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || rc=$?
[ -n "$norc" ] && rm -f /usr/sbin/policy-rc.d
exit $rc
