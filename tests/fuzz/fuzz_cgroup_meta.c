// SPDX-License-Identifier: GPL-2.0
/*
 * What a cgroup path and a runtime's answer may put in a label. Input: a
 * cgroup path, or (first byte '{') a Docker inspect answer, or (first byte
 * 0x0a) a CRI ContainerStatusResponse. Beyond "no
 * crash", every label value must be one the documented grammar allows,
 * whatever the directory names:
 *  - service: systemd's unit characters, ends in ".service", shorter than
 *    CGROUP_META_SERVICE_LEN, and a component of the path;
 *  - container_id: 64 lower-case hex digits found in the path;
 *  - container_runtime: one of the known runtimes, set exactly with an id;
 *  - pod_uid: 32 hex digits, or a UUID (dashes at 8, 13, 18, 23);
 *  - the runtimes' names: only [A-Za-z0-9_.-], shorter than their fields.
 */
#include "core/cgroup_meta.h"
#include "core/container_names.h"
#include "fuzz/fuzz.h"

static bool only(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]) || !s[i])
			return false;
	return true;
}

static void check_path(const char *path)
{
	struct cgroup_meta m;
	bool any = cgroup_meta_parse(path, &m);
	size_t n;

	must(any == (m.service[0] || m.container_id[0] || m.pod_uid[0]), "'%s': return value", path);
	if (m.service[0]) {
		char comp[CGROUP_META_SERVICE_LEN + 2];

		n = strlen(m.service);
		must(n > 8 && n < CGROUP_META_SERVICE_LEN && !strcmp(m.service + n - 8, ".service"),
		     "'%s': service '%s'", path, m.service);
		must(only(m.service, ":-_.\\@"), "'%s': service '%s' characters", path, m.service);
		snprintf(comp, sizeof(comp), "/%s", m.service);
		must(strstr(path, comp) != NULL, "'%s': service '%s' not in the path", path, m.service);
	}
	must(!m.container_id[0] == !m.runtime[0] || !m.runtime[0],
	     "'%s': runtime '%s' without an id", path, m.runtime);
	if (m.container_id[0]) {
		must(strlen(m.container_id) == 64 && lower_hex(m.container_id, 64),
		     "'%s': container id '%s'", path, m.container_id);
		must(strstr(path, m.container_id) != NULL, "'%s': id not in the path", path);
	}
	must(!m.runtime[0] || !strcmp(m.runtime, "docker") || !strcmp(m.runtime, "containerd") ||
		     !strcmp(m.runtime, "cri-o") || !strcmp(m.runtime, "podman"),
	     "'%s': runtime '%s'", path, m.runtime);
	if (m.pod_uid[0]) {
		n = strlen(m.pod_uid);
		if (n == 32) {
			must(lower_hex(m.pod_uid, 32), "'%s': pod uid '%s'", path, m.pod_uid);
		} else {
			must(n == 36, "'%s': pod uid '%s'", path, m.pod_uid);
			for (size_t i = 0; i < 36; i++) {
				bool dash = i == 8 || i == 13 || i == 18 || i == 23;

				must(dash ? m.pod_uid[i] == '-' : lower_hex(m.pod_uid + i, 1),
				     "'%s': pod uid '%s'", path, m.pod_uid);
			}
		}
	}
}

static void check_names(const struct store_container *c)
{
	must(strlen(c->name) < sizeof(c->name) && only(c->name, "_.-"), "name '%s'", c->name);
	must(strlen(c->pod_name) < sizeof(c->pod_name) && only(c->pod_name, "_.-"),
	     "pod name '%s'", c->pod_name);
	must(strlen(c->pod_namespace) < sizeof(c->pod_namespace) && only(c->pod_namespace, "_.-"),
	     "pod namespace '%s'", c->pod_namespace);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	struct store_container c;

	if (size && data[0] == '{') {
		if (!container_names_parse_docker((const char *)data, size, &c))
			check_names(&c);
	} else if (size && data[0] == 0x0a) {
		/* An exact-size copy, so ASan sees any read past the end. */
		unsigned char *msg = malloc(size);

		must(msg != NULL, "out of memory");
		memcpy(msg, data, size);
		if (!container_names_parse_cri(msg, size, &c))
			check_names(&c);
		free(msg);
	} else {
		check_path(s);
	}
	free(s);
	return 0;
}
