// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "core/cgroup_meta.h"

/* One component of a path: not NUL-terminated. */
struct comp {
	const char *s;
	size_t n;
};

#define MAX_COMPS 64

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool has_prefix(struct comp c, const char *p)
{
	size_t n = strlen(p);

	return c.n >= n && !memcmp(c.s, p, n);
}

static bool has_suffix(struct comp c, const char *p)
{
	size_t n = strlen(p);

	return c.n >= n && !memcmp(c.s + c.n - n, p, n);
}

static bool is(struct comp c, const char *p)
{
	return c.n == strlen(p) && !memcmp(c.s, p, c.n);
}

/*
 * What systemd allows in a unit name (and its \x escapes): no quote,
 * blank, control character or byte above ASCII can reach a label.
 */
static bool unit_chars(struct comp c)
{
	for (size_t i = 0; i < c.n; i++) {
		char ch = c.s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr(":-_.\\@", ch)))
			return false;
	}
	return true;
}

/*
 * The service of @comp[0..n): the first *.service component under
 * system.slice, below slices only (system-getty.slice/getty@tty1.service).
 */
static void find_service(const struct comp *comp, size_t n, struct cgroup_meta *m)
{
	if (n < 2 || !is(comp[0], "system.slice"))
		return;
	for (size_t i = 1; i < n; i++) {
		if (has_suffix(comp[i], ".service")) {
			if (comp[i].n > strlen(".service") && comp[i].n < CGROUP_META_SERVICE_LEN &&
			    unit_chars(comp[i])) {
				memcpy(m->service, comp[i].s, comp[i].n);
				m->service[comp[i].n] = 0;
			}
			return;
		}
		if (!has_suffix(comp[i], ".slice"))
			return;
	}
}

/* @s (@n bytes) is prefix + 64 hex + optional suffix: copy the id. */
static bool id_between(struct comp c, const char *prefix, const char *suffix, char *id)
{
	size_t p = strlen(prefix), sfx = suffix ? strlen(suffix) : 0;

	if (!has_prefix(c, prefix) || c.n != p + 64 + sfx)
		return false;
	if (suffix && memcmp(c.s + p + 64, suffix, sfx))
		return false;
	if (!is_hex(c.s + p, 64))
		return false;
	memcpy(id, c.s + p, 64);
	id[64] = 0;
	return true;
}

struct ctr_layout {
	const char *prefix, *suffix, *runtime;
};

static const struct ctr_layout layouts[] = {
	{ "docker-", ".scope", "docker" },
	{ "cri-containerd-", ".scope", "containerd" },
	{ "cri-containerd-", NULL, "containerd" },
	{ "crio-", ".scope", "cri-o" },
	{ "crio-", NULL, "cri-o" },
	{ "libpod-payload-", NULL, "podman" },
	{ "libpod-", ".scope", "podman" },
	{ "libpod-", NULL, "podman" },
};

/* A pod uid as it appears in a path: UUID with '-' (cgroupfs) or '_' (systemd), or 32 hex. */
static bool pod_uid(const char *s, size_t n, char sep, char *out)
{
	static const unsigned char dash_at[] = { 8, 13, 18, 23 };

	if (n == 32 && is_hex(s, 32)) {
		memcpy(out, s, 32);
		out[32] = 0;
		return true;
	}
	if (n != 36)
		return false;
	for (size_t i = 0, d = 0; i < 36; i++) {
		if (d < sizeof(dash_at) && i == dash_at[d]) {
			if (s[i] != sep)
				return false;
			out[i] = '-';
			d++;
		} else if (!is_hex(s + i, 1)) {
			return false;
		} else {
			out[i] = s[i];
		}
	}
	out[36] = 0;
	return true;
}

/*
 * systemd: a pod slice is named after its parent slice, as systemd names
 * every slice: kubepods.slice/kubepods-pod<uid>.slice,
 * kubepods-besteffort.slice/kubepods-besteffort-pod<uid>.slice (also kind's
 * kubelet-kubepods-...). A look-alike deeper down is not a pod.
 */
static bool systemd_pod(struct comp parent, struct comp c, char *out)
{
	size_t base = parent.n - strlen(".slice");

	if (!has_suffix(parent, ".slice") || !has_suffix(c, ".slice"))
		return false;
	if (!memmem(parent.s, base, "kubepods", 8))
		return false;
	if (c.n <= base + 4 + 6 || memcmp(c.s, parent.s, base) || memcmp(c.s + base, "-pod", 4))
		return false;
	return pod_uid(c.s + base + 4, c.n - base - 4 - 6, '_', out);
}

/* cgroupfs: kubepods/pod<uid> or kubepods/<qos>/pod<uid>. */
static bool cgroupfs_pod(const struct comp *comp, size_t i, char *out)
{
	bool under = (i >= 1 && is(comp[i - 1], "kubepods")) ||
		     (i >= 2 && is(comp[i - 2], "kubepods") &&
		      (is(comp[i - 1], "besteffort") || is(comp[i - 1], "burstable")));

	return under && has_prefix(comp[i], "pod") &&
	       pod_uid(comp[i].s + 3, comp[i].n - 3, '-', out);
}

bool cgroup_meta_parse(const char *path, struct cgroup_meta *m)
{
	struct comp comp[MAX_COMPS];
	size_t n = 0, pod_at = 0;
	bool pod = false, ctr = false;

	memset(m, 0, sizeof(*m));
	m->runtime = "";
	if (!path || path[0] != '/')
		return false; /* "id:N": a cgroup whose path is not known */
	for (const char *p = path; *p;) {
		const char *e;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		if (n == MAX_COMPS)
			break;
		comp[n++] = (struct comp){ p, (size_t)(e - p) };
		p = e;
	}
	find_service(comp, n, m);
	/*
	 * The outermost match wins: what a container does inside its own
	 * (delegated) cgroup cannot rename it nor move it to another pod.
	 */
	for (size_t i = 0; i < n && !ctr; i++) {
		char uid[CGROUP_META_POD_LEN];

		if (!pod && ((i > 0 && systemd_pod(comp[i - 1], comp[i], uid)) ||
			     cgroupfs_pod(comp, i, uid))) {
			memcpy(m->pod_uid, uid, sizeof(uid));
			pod = true;
			pod_at = i;
			continue;
		}
		/* A monitor (conmon) is not its container, nor is what is under it. */
		if (has_prefix(comp[i], "crio-conmon-") || has_prefix(comp[i], "libpod-conmon-"))
			break;
		for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]) && !ctr; l++) {
			if (id_between(comp[i], layouts[l].prefix, layouts[l].suffix,
				       m->container_id)) {
				m->runtime = layouts[l].runtime;
				ctr = true;
			}
		}
		/* cgroupfs: docker/<id>, or <id> right under a pod (runtime unknown). */
		if (!ctr && comp[i].n == 64 && is_hex(comp[i].s, 64) && i > 0 &&
		    (is(comp[i - 1], "docker") || (pod && pod_at == i - 1))) {
			memcpy(m->container_id, comp[i].s, 64);
			m->container_id[64] = 0;
			m->runtime = is(comp[i - 1], "docker") ? "docker" : "";
			ctr = true;
		}
	}
	return m->service[0] || m->container_id[0] || m->pod_uid[0];
}

/* Netdata's systemd.service.* charts (ebpf.plugin), by the app.* context of the same numbers. */
static const char *const service_contexts[][2] = {
	{ "app.ebpf_call_vfs_read", "systemd.service.vfs_read" },
	{ "app.ebpf_call_vfs_read_bytes", "systemd.service.vfs_read_bytes" },
	{ "app.ebpf_call_vfs_read_error", "systemd.service.vfs_read_error" },
	{ "app.ebpf_call_vfs_write", "systemd.service.vfs_write" },
	{ "app.ebpf_call_vfs_write_bytes", "systemd.service.vfs_write_bytes" },
	{ "app.ebpf_call_vfs_write_error", "systemd.service.vfs_write_error" },
	{ "app.ebpf_call_vfs_unlink", "systemd.service.vfs_unlink" },
	{ "app.ebpf_call_vfs_fsync", "systemd.service.vfs_fsync" },
	{ "app.ebpf_call_vfs_fsync_error", "systemd.service.vfs_fsync_error" },
	{ "app.ebpf_call_vfs_open", "systemd.service.vfs_open" },
	{ "app.ebpf_call_vfs_open_error", "systemd.service.vfs_open_error" },
	{ "app.ebpf_call_vfs_create", "systemd.service.vfs_create" },
	{ "app.ebpf_call_vfs_create_error", "systemd.service.vfs_create_error" },
	{ "app.ebpf_file_open", "systemd.service.fd_open" },
	{ "app.ebpf_file_open_error", "systemd.service.fd_open_error" },
	{ "app.ebpf_file_closed", "systemd.service.fd_close" },
	{ "app.ebpf_file_close_error", "systemd.service.fd_close_error" },
	{ "app.ebpf_process_start", "systemd.service.process_create" },
	{ "app.ebpf_thread_start", "systemd.service.thread_create" },
	{ "app.ebpf_task_exit", "systemd.service.task_exit" },
	{ "app.ebpf_task_released", "systemd.service.task_close" },
	{ "app.ebpf_task_error", "systemd.service.task_error" },
	{ "app.oomkill", "systemd.oomkills" },
	{ "app.ebpf_shmget_call", "systemd.service.shmget" },
	{ "app.ebpf_shmat_call", "systemd.service.shmat" },
	{ "app.ebpf_shmdt_call", "systemd.service.shmdt" },
	{ "app.ebpf_shmctl_call", "systemd.service.shmctl" },
	{ "app.ebpf_call_swap_readpage", "systemd.service.swap_read" },
	{ "app.ebpf_call_swap_writepage", "systemd.service.swap_write" },
	{ "app.ebpf_cachestat_hit_ratio", "systemd.service.cachestat_ratio" },
	{ "app.ebpf_cachestat_dirties", "systemd.service.cachestat_dirties" },
	{ "app.ebpf_cachestat_hits", "systemd.service.cachestat_hits" },
	{ "app.ebpf_cachestat_misses", "systemd.service.cachestat_misses" },
	{ "app.ebpf_call_tcp_v4_connection", "systemd.service.net_conn_ipv4" },
	{ "app.ebpf_call_tcp_v6_connection", "systemd.service.net_conn_ipv6" },
	{ "app.ebpf_sock_bytes_sent", "systemd.service.net_total_bandwidth" },
	{ "app.ebpf_sock_bytes_received", "systemd.service.net_total_bandwidth" },
	{ "app.ebpf_call_tcp_sendmsg", "systemd.service.net_tcp_send" },
	{ "app.ebpf_call_tcp_cleanup_rbuf", "systemd.service.net_tcp_recv" },
	{ "app.ebpf_call_tcp_retransmit", "systemd.service.net_retransmit" },
	{ "app.ebpf_call_udp_sendmsg", "systemd.service.net_udp_send" },
	{ "app.ebpf_call_udp_recvmsg", "systemd.service.net_udp_recv" },
	/* dcstat has no app.* context here: by its host chart. */
	{ "filesystem.dc_reference", "systemd.service.dc_reference" },
};

const char *cgroup_meta_service_context(const char *app_context, const char *host_chart)
{
	const char *key = app_context && *app_context ? app_context : host_chart;

	if (!key)
		return "";
	for (size_t i = 0; i < sizeof(service_contexts) / sizeof(service_contexts[0]); i++)
		if (!strcmp(service_contexts[i][0], key))
			return service_contexts[i][1];
	return "";
}
