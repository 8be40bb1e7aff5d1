// SPDX-License-Identifier: GPL-2.0
/*
 * Per-service sums (services_update), Docker's inspect answer
 * (container_names_parse_docker), and what the exporters make of both:
 * cgroup series with service, container and pod labels, names where Docker
 * gave them, ebpfmon_service_* families, JSON labels and services.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/container_names.h"
#include "core/services.h"
#include "export/json.h"
#include "export/prometheus.h"
#include "golden.h" /* have_command(), run_with_input() */

static void (*const unused_golden)(const char *, const char *) __attribute__((unused)) = golden_check;

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static const struct counter_def defs[] = {
	{ "write_bytes_total", "Bytes written.", COUNTER_TOTAL },
	{ "open_files", "A gauge of the row.", GAUGE },
};

static void add_row(struct module_stats *m, uint64_t id, const char *path, uint64_t bytes,
		    uint64_t gauge)
{
	struct cgroup_row *r = store_cgroup_append(m);

	assert_non_null(r);
	r->id = id;
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->v[0] = bytes;
	r->v[1] = gauge;
}

static const struct service_row *find_service(const struct module_stats *m, const char *name)
{
	for (size_t i = 0; i < m->nr_services; i++)
		if (!strcmp(m->services[i].name, name))
			return &m->services[i];
	return NULL;
}

static void sums(void **state)
{
	struct store s;
	struct module_stats *live, next;
	struct services *sv = services_new();
	const struct service_row *r;

	(void)state;
	store_init(&s);
	live = store_add_module(&s, "vfs", defs, 2, 2);
	assert_non_null(live);
	store_stats_init_like(&next, live);

	/* Collection 1: a service and its nested child, a container, a user service. */
	add_row(&next, 1, "/system.slice/a.service", 100, 3);
	add_row(&next, 2, "/system.slice/a.service/child", 20, 4);
	add_row(&next, 3, "/system.slice/docker-" ID ".scope", 7, 1);
	add_row(&next, 4, "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service", 9, 1);
	add_row(&next, 5, "/system.slice/b.service", 1, 0);
	assert_int_equal(services_update(sv, live, &next), 0);
	store_swap(live, &next);
	assert_int_equal(live->nr_services, 2);
	r = find_service(live, "a.service");
	assert_non_null(r);
	assert_int_equal(r->v[0], 120);
	assert_int_equal(r->v[1], 7);
	assert_int_equal(find_service(live, "b.service")->v[0], 1);

	/* Collection 2: the child row is dropped (retired); its bytes stay, its gauge does not. */
	next.nr_cgroups = 0;
	add_row(&next, 1, "/system.slice/a.service", 150, 5);
	add_row(&next, 3, "/system.slice/docker-" ID ".scope", 8, 1);
	add_row(&next, 5, "/system.slice/b.service", 2, 0);
	assert_int_equal(services_update(sv, live, &next), 0);
	store_swap(live, &next);
	r = find_service(live, "a.service");
	assert_int_equal(r->v[0], 170);
	assert_int_equal(r->v[1], 5);

	/* Collection 3: a.service restarted: a new cgroup (new id) under the same path. */
	next.nr_cgroups = 0;
	add_row(&next, 6, "/system.slice/a.service", 4, 1);
	add_row(&next, 5, "/system.slice/b.service", 2, 0);
	assert_int_equal(services_update(sv, live, &next), 0);
	store_swap(live, &next);
	assert_int_equal(find_service(live, "a.service")->v[0], 174);

	/* Collection 4: a.service has no row left: it is gone, and forgotten. */
	next.nr_cgroups = 0;
	add_row(&next, 5, "/system.slice/b.service", 3, 0);
	assert_int_equal(services_update(sv, live, &next), 0);
	store_swap(live, &next);
	assert_null(find_service(live, "a.service"));
	assert_int_equal(live->nr_services, 1);

	/* Collection 5: a new a.service starts from its own count. */
	next.nr_cgroups = 0;
	add_row(&next, 7, "/system.slice/a.service", 2, 0);
	add_row(&next, 5, "/system.slice/b.service", 3, 0);
	assert_int_equal(services_update(sv, live, &next), 0);
	store_swap(live, &next);
	assert_int_equal(find_service(live, "a.service")->v[0], 2);

	services_free(sv);
	store_stats_free(&next);
	store_free(&s);
}

static void docker_answer(void **state)
{
	struct store_container c;
	const char *good = "{\"Id\":\"" ID "\",\"Name\":\"/web\",\"Config\":{\"Labels\":{"
			   "\"io.kubernetes.pod.name\":\"web-0\","
			   "\"io.kubernetes.pod.namespace\":\"shop\",\"other\":\"x\"}}}";
	const char *hostile = "{\"Name\":\"/we\\\"b\",\"Config\":{\"Labels\":{"
			      "\"io.kubernetes.pod.name\":\"a b\","
			      "\"io.kubernetes.pod.namespace\":\"ok-ns\"}}}";
	char longname[400];

	(void)state;
	assert_int_equal(container_names_parse_docker(good, strlen(good), &c), 0);
	assert_string_equal(c.name, "web");
	assert_string_equal(c.pod_name, "web-0");
	assert_string_equal(c.pod_namespace, "shop");
	/* Names with a quote or a blank are dropped, the rest kept. */
	assert_int_equal(container_names_parse_docker(hostile, strlen(hostile), &c), 0);
	assert_string_equal(c.name, "");
	assert_string_equal(c.pod_name, "");
	assert_string_equal(c.pod_namespace, "ok-ns");
	/* Too long for the label: dropped, not cut. */
	snprintf(longname, sizeof(longname), "{\"Name\":\"/%0300d\"}", 0);
	assert_int_equal(container_names_parse_docker(longname, strlen(longname), &c), 0);
	assert_string_equal(c.name, "");
	/* No Labels, labels of the wrong type, not JSON, not an object. */
	assert_int_equal(container_names_parse_docker("{\"Name\":\"/a\",\"Config\":{\"Labels\":null}}", 38, &c), 0);
	assert_string_equal(c.name, "a");
	assert_int_equal(container_names_parse_docker("{\"Name\":5}", 10, &c), 0);
	assert_string_equal(c.name, "");
	assert_int_equal(container_names_parse_docker("not json", 8, &c), -1);
	assert_int_equal(container_names_parse_docker("[1,2]", 5, &c), -1);
	assert_int_equal(container_names_parse_docker("{\"Name\":\"/a\"", 12, &c), -1);
}

/* Protobuf by hand: a length-delimited field. */
static size_t pb_field(unsigned char *out, unsigned int num, const void *payload, size_t len)
{
	out[0] = (unsigned char)(num << 3 | 2);
	out[1] = (unsigned char)len; /* short payloads only */
	memcpy(out + 2, payload, len);
	return len + 2;
}

static size_t pb_label(unsigned char *out, const char *k, const char *v)
{
	unsigned char e[128];
	size_t n = pb_field(e, 1, k, strlen(k));

	n += pb_field(e + n, 2, v, strlen(v));
	return pb_field(out, 12, e, n);
}

/* ContainerStatusResponse{status{id, metadata{name, attempt}, state, labels...}}. */
static size_t cri_answer(unsigned char *out, const char *name, const char *pod, const char *ns)
{
	unsigned char st[512], md[64];
	size_t n = 0, m;

	n += pb_field(st + n, 1, ID, 64);
	m = pb_field(md, 1, name, strlen(name));
	md[m++] = 0x10; /* attempt = 3, a varint */
	md[m++] = 3;
	n += pb_field(st + n, 2, md, m);
	st[n++] = 0x18; /* state = RUNNING */
	st[n++] = 1;
	st[n++] = 0x21; /* a fixed64 field (1): skipped */
	memset(st + n, 0, 8);
	n += 8;
	n += pb_label(st + n, "io.kubernetes.pod.namespace", ns);
	n += pb_label(st + n, "other", "x y");
	n += pb_label(st + n, "io.kubernetes.pod.name", pod);
	out[0] = 0x0a;
	out[1] = 0x80 | (n & 0x7f); /* two-byte length */
	out[2] = (unsigned char)(n >> 7);
	memcpy(out + 3, st, n);
	return n + 3;
}

static void cri_answer_parse(void **state)
{
	unsigned char msg[600];
	struct store_container c;
	size_t n;

	(void)state;
	n = cri_answer(msg, "app", "api-0", "shop");
	assert_int_equal(container_names_parse_cri(msg, n, &c), 0);
	assert_string_equal(c.name, "app");
	assert_string_equal(c.pod_name, "api-0");
	assert_string_equal(c.pod_namespace, "shop");
	/* A name a label must not carry is dropped; the others stay. */
	n = cri_answer(msg, "a\"pp", "api 0", "shop");
	assert_int_equal(container_names_parse_cri(msg, n, &c), 0);
	assert_string_equal(c.name, "");
	assert_string_equal(c.pod_name, "");
	assert_string_equal(c.pod_namespace, "shop");
	/* Every truncation of the message is refused or parsed whole, never read past. */
	n = cri_answer(msg, "app", "api-0", "shop");
	for (size_t k = 0; k < n; k++) {
		unsigned char *cut = malloc(k ? k : 1);

		memcpy(cut, msg, k);
		assert_true(container_names_parse_cri(cut, k, &c) == -1 || k == 0);
		free(cut);
	}
	/* No status, a group wire type, a length beyond the end. */
	assert_int_equal(container_names_parse_cri((const unsigned char *)"", 0, &c), -1);
	assert_int_equal(container_names_parse_cri((const unsigned char *)"\x0b", 1, &c), -1);
	assert_int_equal(container_names_parse_cri((const unsigned char *)"\x0a\x05\x0a", 3, &c), -1);
}

static char *render(const struct store *s, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(json ? json_render(s, f, false) : prometheus_render(s, f), 0);
	fclose(f);
	return text;
}

static void fill(struct store *s, struct services *sv)
{
	struct module_stats *m, next;

	store_init(s);
	s->apps = false;
	s->cgroups = true;
	m = store_add_module(s, "vfs", defs, 1, 1);
	m->state = MODULE_UP;
	store_stats_init_like(&next, m);
	add_row(&next, 1, "/system.slice/a.service", 100, 0);
	add_row(&next, 2, "/system.slice/a.service/child", 20, 0);
	add_row(&next, 3, "/system.slice/docker-" ID ".scope", 7, 0);
	add_row(&next, 4,
		"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		"1234abcd_5678_90ab_cdef_1234567890ab.slice/cri-containerd-" ID2 ".scope",
		5, 0);
	assert_int_equal(services_update(sv, m, &next), 0);
	store_swap(m, &next);
	store_stats_free(&next);
	s->containers = calloc(1, sizeof(*s->containers));
	s->nr_containers = 1;
	memcpy(s->containers[0].id, ID, sizeof(ID));
	strcpy(s->containers[0].name, "web");
	strcpy(s->containers[0].pod_name, "web-0");
	strcpy(s->containers[0].pod_namespace, "shop");
}

static void prometheus(void **state)
{
	struct services *sv = services_new();
	struct store s;
	char *text;

	(void)state;
	fill(&s, sv);
	text = render(&s, false);
	assert_non_null(strstr(
		text,
		"# TYPE ebpfmon_cgroup_vfs_write_bytes_total counter\n"
		"ebpfmon_cgroup_vfs_write_bytes_total{cgroup=\"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234abcd_5678_90ab_cdef_1234567890ab.slice/cri-containerd-" ID2
		".scope\",container_id=\"" ID2
		"\",container_runtime=\"containerd\",pod_uid=\"1234abcd-5678-90ab-cdef-1234567890ab\"} 5\n"
		"ebpfmon_cgroup_vfs_write_bytes_total{cgroup=\"/system.slice/a.service\",service=\"a.service\"} 100\n"
		"ebpfmon_cgroup_vfs_write_bytes_total{cgroup=\"/system.slice/a.service/child\",service=\"a.service\"} 20\n"
		"ebpfmon_cgroup_vfs_write_bytes_total{cgroup=\"/system.slice/docker-" ID
		".scope\",container_id=\"" ID
		"\",container_runtime=\"docker\",container_name=\"web\",pod_name=\"web-0\",pod_namespace=\"shop\"} 7\n"
		"# HELP ebpfmon_service_vfs_write_bytes_total Bytes written. (per systemd service)\n"
		"# TYPE ebpfmon_service_vfs_write_bytes_total counter\n"
		"ebpfmon_service_vfs_write_bytes_total{service=\"a.service\"} 120\n"));
	if (have_command("promtool")) {
		char *out = NULL;

		assert_int_equal(run_with_input("promtool check metrics", text, &out), 0);
		assert_string_equal(out, "");
		free(out);
	}
	free(text);
	services_free(sv);
	store_free(&s);
}

static void json(void **state)
{
	struct services *sv = services_new();
	struct store s;
	char *text;

	(void)state;
	fill(&s, sv);
	text = render(&s, true);
	assert_non_null(strstr(text, "\"/system.slice/a.service/child\":{\"labels\":{\"service\":\"a.service\"},\"write_bytes_total\":20}"));
	assert_non_null(strstr(text, "\"/system.slice/docker-" ID ".scope\":{\"labels\":{\"container_id\":\"" ID
				     "\",\"container_runtime\":\"docker\",\"container_name\":\"web\",\"pod_name\":\"web-0\",\"pod_namespace\":\"shop\"},\"write_bytes_total\":7}"));
	assert_non_null(strstr(text, "\"services\":{\"a.service\":{\"write_bytes_total\":120}}"));
	if (have_command("python3")) {
		char *out = NULL;

		assert_int_equal(run_with_input("python3 -c 'import json,sys; json.load(sys.stdin)'", text, &out), 0);
		free(out);
	}
	free(text);
	services_free(sv);
	store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sums),
		cmocka_unit_test(docker_answer),
		cmocka_unit_test(cri_answer_parse),
		cmocka_unit_test(prometheus),
		cmocka_unit_test(json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
