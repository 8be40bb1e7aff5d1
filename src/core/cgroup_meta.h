/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a cgroup v2 path says about its cgroup: the systemd service, the
 * container and the Kubernetes pod. A pure function of the path, so every
 * exporter derives the same labels from the same row and tests need no
 * kernel.
 *
 * Layouts (paths relative to the cgroup2 root):
 *   systemd service  /system.slice/foo.service, /system.slice/foo.service/sub
 *                    (nested cgroups belong to their service),
 *                    /system.slice/system-getty.slice/getty@tty1.service.
 *                    Only under system.slice: Netdata's systemd.service.*
 *                    charts cover system services, and a user's
 *                    user.slice/user-1000.slice/user@1000.service/app.slice/x.service
 *                    would merge with every other user's x.service.
 *   docker           docker-<id>.scope (systemd driver), docker/<id> (cgroupfs)
 *   containerd       cri-containerd-<id>.scope
 *   cri-o            crio-<id>.scope; crio-conmon-<id>.scope is the monitor
 *                    process next to the container, not the container: no
 *                    container_id (its pod still applies)
 *   podman           libpod-<id>.scope, libpod-<id>, libpod-payload-<id>;
 *                    libpod-conmon-<id>.scope is the monitor, as for cri-o
 *   kubernetes pods  kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid>.slice
 *                    (the uid's dashes written as '_'), kubepods-pod<uid>.slice
 *                    for guaranteed pods (no qos level), and cgroupfs
 *                    kubepods/<qos>/pod<uid>, kubepods/pod<uid>; a container
 *                    under a cgroupfs pod is a bare <id> (runtime unknown).
 * A container id is 64 lower-case hex digits; a pod uid is a UUID
 * (8-4-4-4-12 hex, given with dashes) or, for a static pod, 32 hex digits.
 * Anything else (too short, not hex, "docker-../x.scope") gives no label, so
 * a directory name cannot make up a label value. The outermost match wins,
 * and a pod slice must be named after its parent slice, so what a container
 * creates inside its own (delegated) cgroup cannot give it another id or pod
 * (so under kind's node container, the node is the container and no pod is
 * named).
 */
#ifndef EBPFMON_CGROUP_META_H
#define EBPFMON_CGROUP_META_H

#include <stdbool.h>

/* Longest service name kept (with its ".service"); a longer one gets no label. */
#define CGROUP_META_SERVICE_LEN 128
#define CGROUP_META_ID_LEN 65	/* 64 hex digits */
#define CGROUP_META_POD_LEN 37	/* 36: UUID with dashes */

struct cgroup_meta {
	char service[CGROUP_META_SERVICE_LEN]; /* "foo.service", or "" */
	char container_id[CGROUP_META_ID_LEN]; /* or "" */
	const char *runtime;		       /* "docker", "containerd", "cri-o", "podman", or "" */
	char pod_uid[CGROUP_META_POD_LEN];     /* with dashes, or "" */
};

/* Fill @m from cgroup path @path ("/a/b", as the store keeps it); false when nothing applies. */
bool cgroup_meta_parse(const char *path, struct cgroup_meta *m);

/*
 * Netdata's systemd.service.* context for the numbers whose per-application
 * context is @app_context (app.ebpf_call_vfs_write -> systemd.service.vfs_write)
 * or, with none, whose host chart is @host_chart (filesystem.dc_reference ->
 * systemd.service.dc_reference); "" when Netdata has no per-service chart.
 */
const char *cgroup_meta_service_context(const char *app_context, const char *host_chart);

#endif
