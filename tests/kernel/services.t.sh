#!/usr/bin/env bash
# kernel tier: services, containers and pods from cgroup paths. Real cgroups
# named as systemd, Docker and the kubelet name them (a service with a
# nested child, a docker scope, a besteffort pod's containerd scope), a
# known workload in each (K writes of B bytes), and ebpfmon run with
# cgroups = yes:
# - every cgroup series carries the labels its path says (service,
#   container_id and container_runtime, pod_uid with dashes) and counts its
#   workload exactly;
# - ebpfmon_service_vfs_write_{calls,bytes}_total of the service is the
#   exact sum of its two cgroups, and stays so after the child cgroup is
#   removed and its row retired (a service counter never goes down);
# - a fake Docker API on a unix socket names the docker container
#   (container_name, pod_name, pod_namespace), and a fake CRI runtime (gRPC,
#   python3-grpcio) the pod's containerd container, in Prometheus and JSON;
# - with a Docker socket that accepts and never answers, collection goes on
#   (collections counted, scrapes answered, no name) and the agent stops
#   promptly;
# - promtool accepts the output;
# - a relative docker socket or a bad 'container names' is refused (exit 2, one line).
source "$(dirname "$0")/lib.sh"
need_root "services"

# Bad values: one line naming the key, exit 2, before anything attaches.
printf '[global]\n\tdocker socket = docker.sock\n' >"$TMP/bad1.conf"
printf '[global]\n\tcontainer names = maybe\n' >"$TMP/bad2.conf"
for f in bad1 bad2; do
	"$EBPFMON" run --config "$TMP/$f.conf" >/dev/null 2>"$TMP/$f.err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/$f.err")" -eq 1 ] &&
		grep -q "$f.conf:2: '\(docker socket\|container names\)'" "$TMP/$f.err"; then
		ok "refused with exit 2: $(cat "$TMP/$f.err")"
	else
		not_ok "$f.conf: exit $rc: $(cat "$TMP/$f.err")"
	fi
done

cg_root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cg_root" ] || { not_ok "no cgroup2 hierarchy mounted"; exit 0; }
command -v promtool >/dev/null || { not_ok "promtool missing (package prometheus)"; exit 0; }

rand=$(printf '%05d' $((RANDOM % 100000)))
svc=ebpfmon-test-$rand.service
hex64() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
docker_id=$(hex64)
kube_id=$(hex64)
pod_uid=$(python3 -c 'import uuid; print(uuid.uuid4())')
pod_uid_=${pod_uid//-/_}

# Directories made here, removed at the end deepest first (only ours: a
# system.slice or kubepods.slice that was there stays).
made=()
make_cg() {
	local d=$1 parent
	parent=$(dirname "$d")
	[ -d "$parent" ] || make_cg "$parent" || return 1
	[ -d "$d" ] && return 0
	mkdir "$d" && made+=("$d")
}
FAKE_PID=
CRI_PID=
cleanup_services() {
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
	[ -n "$CRI_PID" ] && kill "$CRI_PID" 2>/dev/null && wait "$CRI_PID" 2>/dev/null
	for ((i = ${#made[@]} - 1; i >= 0; i--)); do
		[ -d "${made[i]}" ] && rmdir "${made[i]}" 2>/dev/null
	done
}
trap '[ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null; cleanup_services; cleanup_lib' EXIT

svc_cg=$cg_root/system.slice/$svc
child_cg=$svc_cg/child
docker_cg=$cg_root/system.slice/docker-$docker_id.scope
pod_cg=$cg_root/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$pod_uid_.slice
kube_cg=$pod_cg/cri-containerd-$kube_id.scope
for d in "$child_cg" "$docker_cg" "$kube_cg"; do
	make_cg "$d" || { not_ok "cannot create $d"; exit 0; }
done

# start_fake SOCKET MODE ARGS...: the fake Docker API, until "ready".
start_fake() {
	python3 "$(dirname "$0")/fake_docker.py" "$@" >"$TMP/fake.log" 2>&1 &
	FAKE_PID=$!
	for _ in $(seq 100); do
		grep -q '^ready' "$TMP/fake.log" 2>/dev/null && return 0
		sleep 0.05
	done
	not_ok "fake docker did not start: $(tr '\n' ' ' <"$TMP/fake.log")"
	return 1
}
stop_fake() {
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
	FAKE_PID=
}

start_fake "$TMP/docker.sock" answer "$docker_id" fake-web web-0 shop || exit 0
# The CRI fake needs grpcio (Debian's python3-grpcio, for Debian's python3).
grpc_py=
for py in python3 /usr/bin/python3; do
	"$py" -c 'import grpc' 2>/dev/null && { grpc_py=$py; break; }
done
[ -n "$grpc_py" ] || { not_ok "no python3 with grpc (package python3-grpcio)"; exit 0; }
"$grpc_py" "$(dirname "$0")/fake_cri.py" "$TMP/containerd.sock" "$kube_id" app api-0 shop \
	>"$TMP/cri.log" 2>&1 &
CRI_PID=$!
for _ in $(seq 100); do
	grep -q '^ready' "$TMP/cri.log" 2>/dev/null && break
	sleep 0.05
done
grep -q '^ready' "$TMP/cri.log" || { not_ok "fake CRI did not start: $(tr '\n' ' ' <"$TMP/cri.log")"; exit 0; }
printf '[global]\n\tcgroups = yes\n\tseries retention = 2s\n\tdocker socket = %s\n\tcontainerd socket = %s\n\tcrio socket =\n' \
	"$TMP/docker.sock" "$TMP/containerd.sock" >"$TMP/svc.conf"
start_run --config "$TMP/svc.conf" --modules vfs || exit 0

# K writes of B bytes in each cgroup, by processes of a name of their own.
app=$(unique_name sv)
WORKLOAD_CGROUP=$svc_cg "$WORKLOAD" short "$app" 3 1000 >"$TMP/svc.truth" || not_ok "workload in the service failed"
WORKLOAD_CGROUP=$child_cg "$WORKLOAD" short "$app" 2 500 >"$TMP/child.truth" || not_ok "workload in the child failed"
WORKLOAD_CGROUP=$docker_cg "$WORKLOAD" short "$app" 4 100 >"$TMP/docker.truth" || not_ok "workload in the docker scope failed"
WORKLOAD_CGROUP=$kube_cg "$WORKLOAD" short "$app" 5 10 >"$TMP/kube.truth" || not_ok "workload in the pod failed"
truth() { awk -v m="$2" '$1 == m { print $2 }' "$TMP/$1.truth"; }

# Two collections after the workloads, one more for the name Docker gave.
sleep 3.2
snap=$TMP/svc.prom
scrape "$snap" || not_ok "scrape failed"

rel() { echo "${1#"$cg_root"}"; }
for what in calls bytes; do
	m=vfs_write_${what}_total
	expect_eq "service cgroup $m" \
		"$(metric "$snap" ebpfmon_cgroup_$m "cgroup=\"$(rel "$svc_cg")\",service=\"$svc\"")" "$(truth svc $m)"
	expect_eq "nested child cgroup $m, with its service" \
		"$(metric "$snap" ebpfmon_cgroup_$m "cgroup=\"$(rel "$child_cg")\",service=\"$svc\"")" "$(truth child $m)"
	expect_eq "docker scope $m, container_id, runtime and Docker's names" \
		"$(metric "$snap" ebpfmon_cgroup_$m "cgroup=\"$(rel "$docker_cg")\",container_id=\"$docker_id\",container_runtime=\"docker\",container_name=\"fake-web\",pod_name=\"web-0\",pod_namespace=\"shop\"")" \
		"$(truth docker $m)"
	expect_eq "pod's containerd scope $m, container_id, pod_uid with dashes and CRI's names" \
		"$(metric "$snap" ebpfmon_cgroup_$m "cgroup=\"$(rel "$kube_cg")\",container_id=\"$kube_id\",container_runtime=\"containerd\",container_name=\"app\",pod_uid=\"$pod_uid\",pod_name=\"api-0\",pod_namespace=\"shop\"")" \
		"$(truth kube $m)"
	sum=$(($(truth svc $m) + $(truth child $m)))
	expect_eq "ebpfmon_service_$m{service=\"$svc\"} (service + child)" \
		"$(metric "$snap" ebpfmon_service_$m "service=\"$svc\"")" "$sum"
done
grep -q "^ebpfmon_service_vfs_write_bytes_total{service=\"docker-" "$snap" &&
	not_ok "a docker scope is not a service" || ok "scopes are not services"
n=$(grep -c '^ebpfmon_service_' "$snap")
[ "$n" -gt 0 ] && ok "per-service series: $n samples" || not_ok "no ebpfmon_service_ series"
if promtool check metrics <"$snap" >"$TMP/lint" 2>&1; then
	ok "promtool check metrics accepts the labeled output"
else
	not_ok "promtool: $(head -3 "$TMP/lint" | tr '\n' ' ')"
fi
grep -q "GET /containers/$docker_id/json" "$TMP/fake.log" && ok "Docker was asked about the docker container" ||
	not_ok "Docker was not asked: $(tr '\n' ' ' <"$TMP/fake.log")"
grep -q "GET /containers/$kube_id/json" "$TMP/fake.log" &&
	not_ok "Docker was asked about a containerd container" || ok "containerd's container not asked of Docker"
grep -q "ContainerStatus $kube_id" "$TMP/cri.log" && ok "CRI was asked ContainerStatus of the containerd container" ||
	not_ok "CRI was not asked: $(tr '\n' ' ' <"$TMP/cri.log")"
grep -q "ContainerStatus $docker_id" "$TMP/cri.log" &&
	not_ok "CRI was asked about the docker container" || ok "the docker container not asked of CRI"

# The same in JSON.
curl -sf "http://127.0.0.1:$RUN_PORT/api/v1/metrics" -o "$TMP/svc.json" || not_ok "JSON fetch failed"
python3 - "$TMP/svc.json" "$(rel "$docker_cg")" "$(rel "$kube_cg")" "$svc" "$docker_id" "$pod_uid" \
	"$(truth docker vfs_write_bytes_total)" "$(($(truth svc vfs_write_bytes_total) + $(truth child vfs_write_bytes_total)))" <<'EOF' &&
import json, sys
doc, dpath, kpath, svc, did, uid, dbytes, sbytes = sys.argv[1:]
vfs = json.load(open(doc))["modules"]["vfs"]
d = vfs["cgroups"][dpath]
assert d["labels"] == {"container_id": did, "container_runtime": "docker", "container_name": "fake-web",
                       "pod_name": "web-0", "pod_namespace": "shop"}, d["labels"]
assert d["write_bytes_total"] == int(dbytes), d
k = vfs["cgroups"][kpath]["labels"]
assert k["pod_uid"] == uid and k["container_runtime"] == "containerd", k
assert k["container_name"] == "app" and k["pod_name"] == "api-0" and k["pod_namespace"] == "shop", k
assert vfs["services"][svc]["write_bytes_total"] == int(sbytes), vfs["services"]
EOF
	ok "JSON: cgroup labels, Docker's and CRI's names and the service sum" || not_ok "JSON labels or services wrong"

# The child cgroup goes; after the retention its row is dropped, the service keeps its count.
rmdir "$child_cg" || not_ok "cannot remove $child_cg"
sleep 4.5
scrape "$snap" || not_ok "scrape failed"
expect_eq "child row retired" \
	"$(metric "$snap" ebpfmon_cgroup_vfs_write_bytes_total "cgroup=\"$(rel "$child_cg")\",service=\"$svc\"")" missing
expect_eq "service bytes after its child cgroup was retired (never down)" \
	"$(metric "$snap" ebpfmon_service_vfs_write_bytes_total "service=\"$svc\"")" \
	"$(($(truth svc vfs_write_bytes_total) + $(truth child vfs_write_bytes_total)))"
stop_run || not_ok "run exited with an error"
stop_fake

# A Docker socket that accepts and never answers: collection goes on.
start_fake "$TMP/hang.sock" hang || exit 0
sed -i -e "s|docker socket = .*|docker socket = $TMP/hang.sock|" -e "s|containerd socket = .*|containerd socket =|" "$TMP/svc.conf"
start_run --config "$TMP/svc.conf" --modules vfs || exit 0
WORKLOAD_CGROUP=$docker_cg "$WORKLOAD" short "$app" 4 100 >"$TMP/docker2.truth" || not_ok "workload failed"
scrape "$snap" || not_ok "scrape failed"
c0=$(metric "$snap" ebpfmon_collections_total)
sleep 3.2
scrape "$snap" || not_ok "scrape failed while Docker hangs"
c1=$(metric "$snap" ebpfmon_collections_total)
if [ "$c0" != missing ] && [ "$c1" != missing ] && [ $((c1 - c0)) -ge 2 ]; then
	ok "collections go on while Docker hangs: $c0 -> $c1"
else
	not_ok "collections while Docker hangs: $c0 -> $c1"
fi
grep -q '^held' "$TMP/fake.log" && ok "the hanging socket was asked" || not_ok "the hanging socket was never asked"
expect_eq "docker scope counted, no name, while Docker hangs" \
	"$(metric "$snap" ebpfmon_cgroup_vfs_write_bytes_total "cgroup=\"$(rel "$docker_cg")\",container_id=\"$docker_id\",container_runtime=\"docker\"")" \
	"$(awk '$1 == "vfs_write_bytes_total" { print $2 }' "$TMP/docker2.truth")"
t0=$(date +%s%N)
stop_run || not_ok "run exited with an error"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_at_most "stop while a Docker request hangs (ms)" "$ms" 3000
stop_fake
