// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_meta_parse(): the service, container and pod a cgroup path names,
 * for every layout systemd, docker, containerd, cri-o, podman and the
 * kubelet make, and nothing for odd or hostile names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/cgroup_meta.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID "1234abcd-5678-90ab-cdef-1234567890ab"
#define UID_ "1234abcd_5678_90ab_cdef_1234567890ab"

struct want {
	const char *path, *service, *id, *runtime, *pod;
};

static void check(const struct want *w)
{
	struct cgroup_meta m;
	bool any = cgroup_meta_parse(w->path, &m);

	if (strcmp(m.service, w->service) || strcmp(m.container_id, w->id) ||
	    strcmp(m.runtime, w->runtime) || strcmp(m.pod_uid, w->pod))
		fail_msg("%s: got service '%s' id '%s' runtime '%s' pod '%s', want '%s' '%s' '%s' '%s'",
			 w->path, m.service, m.container_id, m.runtime, m.pod_uid, w->service,
			 w->id, w->runtime, w->pod);
	assert_int_equal(any, w->service[0] || w->id[0] || w->pod[0]);
}

static void check_all(const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check(&w[i]);
}

static void services(void **state)
{
	static const struct want w[] = {
		{ "/system.slice/ssh.service", "ssh.service", "", "", "" },
		{ "/system.slice/ebpfmon-test-42.service/child", "ebpfmon-test-42.service", "", "", "" },
		{ "/system.slice/a.service/b/c.service", "a.service", "", "", "" },
		{ "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", "", "", "" },
		{ "/system.slice/system-systemd\\x2dfsck.slice/systemd-fsck@dev-sda1.service",
		  "systemd-fsck@dev-sda1.service", "", "", "" },
		/* User services: not labeled (see cgroup_meta.h). */
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service", "", "", "", "" },
		{ "/user.slice/user-1000.slice/session-3.scope", "", "", "", "" },
		/* Not services: scopes, slices, a bare ".service", a service outside system.slice. */
		{ "/system.slice/session-1.scope", "", "", "", "" },
		{ "/system.slice", "", "", "", "" },
		{ "/system.slice/.service", "", "", "", "" },
		{ "/x.service", "", "", "", "" },
		{ "/system.slice/init.scope/x.service", "", "", "", "" },
		{ "/", "", "", "", "" },
		{ "id:12345", "", "", "", "" },
		{ "", "", "", "", "" },
		/* Names a label must not carry: quote, blank, newline, UTF-8. */
		{ "/system.slice/a\"b.service", "", "", "", "" },
		{ "/system.slice/a b.service", "", "", "", "" },
		{ "/system.slice/a\nb.service", "", "", "", "" },
		{ "/system.slice/caf\xc3\xa9.service", "", "", "", "" },
		/* Doubled slashes are one separator. */
		{ "//system.slice//cron.service//", "cron.service", "", "", "" },
	};

	(void)state;
	check_all(w, sizeof(w) / sizeof(w[0]));
}

static void long_service(void **state)
{
	char path[400], name[300];
	struct cgroup_meta m;

	(void)state;
	/* 127 bytes with ".service" fit; 128 do not (no truncated label that could collide). */
	memset(name, 'a', 119);
	strcpy(name + 119, ".service");
	snprintf(path, sizeof(path), "/system.slice/%s", name);
	assert_true(cgroup_meta_parse(path, &m));
	assert_int_equal(strlen(m.service), 127);
	memset(name, 'a', 120);
	strcpy(name + 120, ".service");
	snprintf(path, sizeof(path), "/system.slice/%s", name);
	assert_false(cgroup_meta_parse(path, &m));
	assert_string_equal(m.service, "");
}

static void containers(void **state)
{
	static const struct want w[] = {
		{ "/system.slice/docker-" ID ".scope", "", ID, "docker", "" },
		{ "/system.slice/docker-" ID ".scope/init", "", ID, "docker", "" },
		{ "/docker/" ID, "", ID, "docker", "" },
		{ "/system.slice/cri-containerd-" ID ".scope", "", ID, "containerd", "" },
		{ "/system.slice/crio-" ID ".scope", "", ID, "cri-o", "" },
		{ "/machine.slice/libpod-" ID ".scope", "", ID, "podman", "" },
		{ "/machine.slice/libpod-" ID ".scope/container", "", ID, "podman", "" },
		{ "/libpod_parent/libpod-" ID, "", ID, "podman", "" },
		{ "/machine.slice/libpod-payload-" ID, "", ID, "podman", "" },
		/* The monitors are not their containers. */
		{ "/machine.slice/libpod-conmon-" ID ".scope", "", "", "", "" },
		{ "/system.slice/crio-conmon-" ID ".scope", "", "", "", "" },
		/* The outermost container wins: a container cannot rename itself from inside. */
		{ "/system.slice/docker-" ID ".scope/docker/" ID2, "", ID, "docker", "" },
		{ "/system.slice/docker-" ID ".scope/system.slice/crio-" ID2 ".scope", "", ID,
		  "docker", "" },
	};

	(void)state;
	check_all(w, sizeof(w) / sizeof(w[0]));
}

static void pods(void **state)
{
	static const struct want w[] = {
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
		  ".slice/cri-containerd-" ID ".scope",
		  "", ID, "containerd", UID },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/crio-" ID ".scope",
		  "", ID, "cri-o", UID },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/crio-conmon-" ID ".scope",
		  "", "", "", UID },
		/* Guaranteed pods have no qos level. */
		{ "/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID ".scope", "", ID, "docker",
		  UID },
		{ "/kubepods.slice/kubepods-pod" UID_ ".slice", "", "", "", UID },
		/* kind's node: kubelet-kubepods-... slices. */
		{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
		  "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID ".scope",
		  "", ID, "containerd", UID },
		/*
		 * Under a container, what its own cgroups say is not believed: the
		 * node container is the container, no pod (a container could claim any).
		 */
		{ "/system.slice/docker-" ID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
		  "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_ ".slice",
		  "", ID2, "docker", "" },
		/* cgroupfs. */
		{ "/kubepods/besteffort/pod" UID "/" ID, "", ID, "", UID },
		{ "/kubepods/burstable/pod" UID "/" ID, "", ID, "", UID },
		{ "/kubepods/pod" UID "/" ID, "", ID, "", UID },
		{ "/kubepods/pod" UID "/crio-" ID, "", ID, "cri-o", UID },
		/* Static pods: 32 hex digits. */
		{ "/kubepods/pod0123456789abcdef0123456789abcdef/" ID, "", ID, "",
		  "0123456789abcdef0123456789abcdef" },
		/* Not pods: a pod slice not named after its parent, a pod dir not under kubepods. */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-burstable-pod" UID_ ".slice", "",
		  "", "", "" },
		{ "/system.slice/kubepods-pod" UID_ ".slice", "", "", "", "" },
		{ "/other/pod" UID "/" ID, "", "", "", "" },
		/* A bare id outside a pod or docker/ is nothing. */
		{ "/other/" ID, "", "", "", "" },
		/* Dashes in the systemd layout, underscores in cgroupfs: wrong separator. */
		{ "/kubepods.slice/kubepods-pod" UID ".slice", "", "", "", "" },
		{ "/kubepods/pod" UID_ "/" ID, "", "", "", "" },
	};

	(void)state;
	check_all(w, sizeof(w) / sizeof(w[0]));
}

static void hostile(void **state)
{
	static const struct want w[] = {
		{ "/system.slice/docker-../x.scope", "", "", "", "" },
		{ "/system.slice/docker-0123.scope", "", "", "", "" },
		/* 63 and 65 digits, upper case, a non-hex letter. */
		{ "/system.slice/docker-" "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		  ".scope",
		  "", "", "", "" },
		{ "/system.slice/docker-" ID "0.scope", "", "", "", "" },
		{ "/system.slice/docker-" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
		  ".scope",
		  "", "", "", "" },
		{ "/system.slice/docker-" "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		  ".scope",
		  "", "", "", "" },
		{ "/system.slice/docker-" ID ".scope\"x", "", "", "", "" },
		{ "/system.slice/docker-" ID ".scopex", "", "", "", "" },
		{ "/docker/" ID "/../x", "", ID, "docker", "" },
		/* Pod uids: short, not hex, dashes misplaced, a quote. */
		{ "/kubepods/pod1234/" ID, "", "", "", "" },
		{ "/kubepods/pod1234abcd-5678-90ab-cdef-1234567890ag/" ID, "", "", "", "" },
		{ "/kubepods/pod1234abcd5-678-90ab-cdef-1234567890ab/" ID, "", "", "", "" },
		{ "/kubepods.slice/kubepods-pod1234abcd_5678_90ab_cdef_1234567890a\".slice", "", "", "",
		  "" },
		{ "/kubepods.slice/kubepods-pod.slice", "", "", "", "" },
		{ "/kubepods.slice/kubepods-pod" UID_ "x.slice", "", "", "", "" },
	};

	(void)state;
	check_all(w, sizeof(w) / sizeof(w[0]));
}

/* Very long and very deep paths: no overrun, the first components still count. */
static void long_paths(void **state)
{
	static char path[70000];
	struct cgroup_meta m;
	size_t n;

	(void)state;
	n = (size_t)snprintf(path, sizeof(path), "/system.slice/docker-" ID ".scope");
	while (n + 3 < sizeof(path) - 1) {
		memcpy(path + n, "/ab", 3);
		n += 3;
	}
	path[n] = 0;
	assert_true(cgroup_meta_parse(path, &m));
	assert_string_equal(m.container_id, ID);
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = 0;
	assert_false(cgroup_meta_parse(path, &m));
}

static void service_contexts(void **state)
{
	(void)state;
	assert_string_equal(cgroup_meta_service_context("app.ebpf_call_vfs_write_bytes", "x"),
			    "systemd.service.vfs_write_bytes");
	assert_string_equal(cgroup_meta_service_context("app.ebpf_file_open", NULL),
			    "systemd.service.fd_open");
	assert_string_equal(cgroup_meta_service_context("", "filesystem.dc_reference"),
			    "systemd.service.dc_reference");
	assert_string_equal(cgroup_meta_service_context("", "system.hardirq_latency"), "");
	assert_string_equal(cgroup_meta_service_context(NULL, NULL), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(services),   cmocka_unit_test(long_service),
		cmocka_unit_test(containers), cmocka_unit_test(pods),
		cmocka_unit_test(hostile),    cmocka_unit_test(long_paths),
		cmocka_unit_test(service_contexts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
