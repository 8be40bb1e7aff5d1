// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP endpoint over real sockets on 127.0.0.1, and parse_listen().
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "export/http.h"
#include "export/prometheus.h"
#include "export/text_cache.h"
#include "fixture.h"

#include <crypt.h>

/* A port nobody listens on right now: the kernel picks it for a probe socket. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Send @request to 127.0.0.1:@port and return the whole response (the server closes). */
static char *http_raw(int port, const char *request)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };
	char *buf = NULL, chunk[4096];
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		fwrite(chunk, 1, n, mem);
	assert_int_equal(n, 0); /* EOF, not a timeout */
	close(fd);
	fclose(mem);
	return buf;
}

static char *http_get(int port, const char *path)
{
	char *req, *resp;

	assert_true(asprintf(&req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path) > 0);
	resp = http_raw(port, req);
	free(req);
	return resp;
}

static int status_of(const char *resp)
{
	int code = 0;

	if (sscanf(resp, "HTTP/1.%*d %d", &code) != 1)
		fail_msg("not an HTTP response: %s", resp);
	return code;
}

static const char *body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");

	assert_non_null(b);
	return b + 4;
}


struct server_fixture {
	struct store s;
	struct http_server *h;
	int port;
};

static int setup(void **state)
{
	struct server_fixture *f = calloc(1, sizeof(*f));
	char addr[64], err[256] = "";

	fx_store(&f->s, true, true, true);
	f->port = free_port();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", f->port);
	f->h = http_start(addr, NULL, &f->s, err, sizeof(err));
	if (!f->h) {
		fprintf(stderr, "http_start %s: %s\n", addr, err);
		return -1;
	}
	/* What the agent does after each collection: the server renders once. */
	pthread_mutex_lock(&f->s.lock);
	store_published(&f->s);
	pthread_mutex_unlock(&f->s.lock);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct server_fixture *f = *state;

	http_stop(f->h);
	store_free(&f->s);
	free(f);
	return 0;
}

static void test_metrics(void **state)
{
	struct server_fixture *f = *state;
	char *resp = http_get(f->port, "/metrics"), *want = fx_render_prometheus(&f->s);

	assert_int_equal(status_of(resp), 200);
	assert_non_null(strcasestr(resp, "\r\nContent-Type: text/plain; version=0.0.4; "
					 "charset=utf-8\r\n"));
	assert_string_equal(body_of(resp), want);
	free(want);
	free(resp);
}

/*
 * A scrape serves the text rendered when the last collection was published:
 * a change shows once it is published, not before (the scrape never reads the
 * store itself).
 */
static void test_metrics_follow_store(void **state)
{
	struct server_fixture *f = *state;
	char *resp;

	pthread_mutex_lock(&f->s.lock);
	f->s.collections = 4242;
	pthread_mutex_unlock(&f->s.lock);
	resp = http_get(f->port, "/metrics");
	assert_null(strstr(body_of(resp), "\nebpfmon_collections_total 4242\n"));
	free(resp);
	pthread_mutex_lock(&f->s.lock);
	store_published(&f->s);
	pthread_mutex_unlock(&f->s.lock);
	resp = http_get(f->port, "/metrics");
	assert_non_null(strstr(body_of(resp), "\nebpfmon_collections_total 4242\n"));
	free(resp);
}

static void test_head(void **state)
{
	struct server_fixture *f = *state;
	char *resp = http_raw(f->port, "HEAD /metrics HTTP/1.0\r\n\r\n");

	assert_int_equal(status_of(resp), 200);
	assert_string_equal(body_of(resp), "");
	free(resp);
}

static void test_index(void **state)
{
	struct server_fixture *f = *state;
	char *resp = http_get(f->port, "/");

	assert_int_equal(status_of(resp), 200);
	assert_non_null(strcasestr(resp, "\r\nContent-Type: text/html"));
	assert_non_null(strstr(body_of(resp), "<a href=\"/metrics\">"));
	free(resp);
}

static void test_not_found(void **state)
{
	struct server_fixture *f = *state;
	char *resp = http_get(f->port, "/nope");

	assert_int_equal(status_of(resp), 404);
	free(resp);
	resp = http_get(f->port, "/metrics/");
	assert_int_equal(status_of(resp), 404);
	free(resp);
}

static void test_method_not_allowed(void **state)
{
	struct server_fixture *f = *state;
	char *resp = http_raw(f->port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");

	assert_int_equal(status_of(resp), 405);
	assert_non_null(strcasestr(resp, "\r\nAllow: GET, HEAD\r\n"));
	free(resp);
}

static void test_address_in_use(void **state)
{
	struct server_fixture *f = *state;
	char addr[64], err[256] = "", want[256];

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", f->port);
	assert_null(http_start(addr, NULL, &f->s, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "%s: address already in use: another ebpfmon or exporter is listening; choose another with --listen ADDR:PORT",
		 addr);
	assert_string_equal(err, want);
}

static void test_bad_address(void **state)
{
	struct store s;
	char err[256] = "";

	(void)state;
	store_init(&s);
	assert_null(http_start("localhost:http", NULL, &s, err, sizeof(err)));
	assert_non_null(strstr(err, "localhost:http: not a listen address"));
	store_free(&s);
}

/* Stop closes the socket: no descriptor left behind, and the port is free again. */
static void test_stop_releases_port(void **state)
{
	struct store s;
	struct http_server *h;
	char addr[64], err[256] = "";
	int before = open_fds();

	(void)state;
	http_stop(NULL);
	store_init(&s);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", free_port());
	for (int i = 0; i < 2; i++) {
		h = http_start(addr, NULL, &s, err, sizeof(err));
		if (!h)
			fail_msg("round %d: %s", i, err);
		free(http_get(atoi(strchr(addr, ':') + 1), "/"));
		http_stop(h);
		assert_int_equal(open_fds(), before);
	}
	store_free(&s);
}

/* Before the first collection is published there is nothing to serve: say so, at once. */
static void test_before_first_collection(void **state)
{
	struct store s;
	struct http_server *h;
	char addr[64], err[256] = "", *resp;
	int port = free_port();

	(void)state;
	fx_store(&s, true, false, true);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	h = http_start(addr, NULL, &s, err, sizeof(err));
	if (!h)
		fail_msg("%s", err);
	resp = http_get(port, "/metrics");
	assert_int_equal(status_of(resp), 503);
	assert_non_null(strcasestr(resp, "\r\nRetry-After: 1\r\n"));
	free(resp);
	pthread_mutex_lock(&s.lock);
	store_published(&s);
	pthread_mutex_unlock(&s.lock);
	resp = http_get(port, "/metrics");
	assert_int_equal(status_of(resp), 200);
	free(resp);
	http_stop(h);
	/* Stopped: the store no longer calls into the server. */
	assert_null(s.on_publish);
	store_free(&s);
}

/* A reader keeps the text it took while newer ones are published; the last one out frees it. */
static void test_shared_text(void **state)
{
	struct text_slot slot;
	struct shared_text *a, *b, *held;

	(void)state;
	text_slot_init(&slot);
	assert_null(text_slot_get(&slot));
	a = shared_text_new(strdup("first"), 5);
	text_slot_publish(&slot, a);
	held = text_slot_get(&slot);
	assert_ptr_equal(held, a);
	b = shared_text_new(strdup("second"), 6);
	text_slot_publish(&slot, b); /* the slot lets "first" go; the reader still has it */
	assert_memory_equal(held->text, "first", 5);
	held = text_slot_get(&slot);
	assert_ptr_equal(held, b);
	shared_text_put(a); /* the last reference: ASan reports a leak or a use after free */
	text_slot_destroy(&slot);
	assert_memory_equal(held->text, "second", 6);
	shared_text_put(held);
	shared_text_put(NULL);
}

static void test_exposure_warning(void **state)
{
	static const struct {
		const char *listen;
		bool tls, auth;
		const char *want; /* NULL: no warning */
	} cases[] = {
		{ "127.0.0.1:9435", false, false, NULL },
		{ "127.1.2.3:9435", false, false, NULL },
		{ "localhost:9435", false, false, NULL },
		{ "[::1]:9435", false, false, NULL },
		{ "[::ffff:127.0.0.1]:9435", false, false, NULL },
		{ "0.0.0.0:9435", true, true, NULL },
		{ ":9435", false, false, "without TLS or basic auth" },
		{ "0.0.0.0:9435", false, false, "without TLS or basic auth" },
		{ "[::]:9435", false, false, "without TLS or basic auth" },
		{ "10.1.2.3:9435", true, false, "without basic auth" },
		{ "10.1.2.3:9435", false, true, "without TLS:" },
		{ "[::ffff:10.0.0.1]:9435", true, false, "without basic auth" },
		{ "nonsense", false, false, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[512] = "";
		int warned = http_exposure_warning(cases[i].listen, cases[i].tls, cases[i].auth, msg,
						   sizeof(msg));

		if (!cases[i].want && warned)
			fail_msg("%s: unexpected warning: %s", cases[i].listen, msg);
		if (cases[i].want && (!warned || !strstr(msg, cases[i].want)))
			fail_msg("%s: want '%s', got '%s'", cases[i].listen, cases[i].want, msg);
		if (warned)
			assert_non_null(strstr(msg, cases[i].listen));
	}
}

/* Basic auth over plain HTTP: every page asks for it; a wrong password is refused. */
static void test_basic_auth(void **state)
{
	char dir[] = "/tmp/ebpfmon-http-XXXXXX", path[64], salt[CRYPT_GENSALT_OUTPUT_SIZE];
	char addr[64], err[512] = "", *resp, req[256];
	const char *hash;
	struct http_server *h;
	struct store s;
	FILE *f;
	int port = free_port();

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	assert_non_null(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)));
	hash = crypt("open sesame", salt);
	assert_non_null(hash);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "basic_auth_users:\n  ali: '%s'\n", hash);
	fclose(f);

	fx_store(&s, true, false, true);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	h = http_start(addr, path, &s, err, sizeof(err));
	if (!h)
		fail_msg("%s", err);
	pthread_mutex_lock(&s.lock);
	store_published(&s);
	pthread_mutex_unlock(&s.lock);

	resp = http_get(port, "/metrics");
	assert_int_equal(status_of(resp), 401);
	assert_non_null(strcasestr(resp, "\r\nWWW-Authenticate: Basic realm=\"ebpfmon\""));
	free(resp);
	resp = http_get(port, "/");
	assert_int_equal(status_of(resp), 401);
	free(resp);
	/* ali:open sesame, then ali:open sesamE */
	snprintf(req, sizeof(req), "GET /metrics HTTP/1.0\r\nAuthorization: Basic %s\r\n\r\n",
		 "YWxpOm9wZW4gc2VzYW1l");
	resp = http_raw(port, req);
	assert_int_equal(status_of(resp), 200);
	assert_non_null(strstr(body_of(resp), "ebpfmon_build_info"));
	free(resp);
	snprintf(req, sizeof(req), "GET /metrics HTTP/1.0\r\nAuthorization: Basic %s\r\n\r\n",
		 "YWxpOm9wZW4gc2VzYW1F");
	resp = http_raw(port, req);
	assert_int_equal(status_of(resp), 401);
	free(resp);
	http_stop(h);
	store_free(&s);
	unlink(path);
	rmdir(dir);
}

struct listen_case {
	const char *in;
	int family;	  /* 0: must be rejected */
	const char *addr; /* as inet_ntop prints it */
	int port;
};

static const struct listen_case listen_cases[] = {
	{ "127.0.0.1:9435", AF_INET, "127.0.0.1", 9435 },
	{ ":9435", AF_INET, "0.0.0.0", 9435 },
	{ "0.0.0.0:1", AF_INET, "0.0.0.0", 1 },
	{ "localhost:65535", AF_INET, "127.0.0.1", 65535 },
	{ "LocalHost:80", AF_INET, "127.0.0.1", 80 },
	{ "10.1.2.3:09435", AF_INET, "10.1.2.3", 9435 },
	{ "[::1]:9435", AF_INET6, "::1", 9435 },
	{ "[::]:9435", AF_INET6, "::", 9435 },
	{ "[fe80::1:2]:8080", AF_INET6, "fe80::1:2", 8080 },
	{ "[::ffff:127.0.0.1]:9435", AF_INET6, "::ffff:127.0.0.1", 9435 },
	{ "", 0 },
	{ ":", 0 },
	{ "9435", 0 },
	{ "127.0.0.1", 0 },
	{ "127.0.0.1:", 0 },
	{ "127.0.0.1:0", 0 },
	{ "127.0.0.1:65536", 0 },
	{ "127.0.0.1:99999999999999999999", 0 },
	{ "127.0.0.1:-1", 0 },
	{ "127.0.0.1:+80", 0 },
	{ "127.0.0.1: 80", 0 },
	{ "127.0.0.1:80 ", 0 },
	{ "127.0.0.1:80x", 0 },
	{ "127.1:80", 0 },
	{ "256.0.0.1:80", 0 },
	{ " 127.0.0.1:80", 0 },
	{ "example.com:80", 0 },
	{ "localhost.:80", 0 },
	{ "::1:9435", 0 },
	{ "[::1]9435", 0 },
	{ "[::1]:", 0 },
	{ "[::1", 0 },
	{ "[127.0.0.1]:80", 0 },
	{ "[::1]:0", 0 },
	{ "[fe80::1%eth0]:80", 0 },
	{ "[0000:0000:0000:0000:0000:0000:0000:0000:0000]:80", 0 },
};

static void test_parse_listen(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(listen_cases) / sizeof(listen_cases[0]); i++) {
		const struct listen_case *c = &listen_cases[i];
		struct sockaddr_storage ss;
		unsigned int len = 0;
		char got[INET6_ADDRSTRLEN] = "";
		int rc = parse_listen(c->in, &ss, &len), port = 0;

		if (!c->family) {
			if (rc != -1)
				fail_msg("parse_listen(\"%s\") accepted a malformed address", c->in);
			continue;
		}
		if (rc)
			fail_msg("parse_listen(\"%s\") failed", c->in);
		assert_int_equal(ss.ss_family, c->family);
		if (c->family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			assert_int_equal(len, sizeof(*a));
			inet_ntop(AF_INET, &a->sin_addr, got, sizeof(got));
			port = ntohs(a->sin_port);
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			assert_int_equal(len, sizeof(*a));
			inet_ntop(AF_INET6, &a->sin6_addr, got, sizeof(got));
			port = ntohs(a->sin6_port);
		}
		if (strcmp(got, c->addr) || port != c->port)
			fail_msg("parse_listen(\"%s\"): %s port %d", c->in, got, port);
	}
	assert_int_equal(parse_listen(NULL, NULL, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest server_tests[] = {
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_metrics_follow_store),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_address_in_use),
	};
	const struct CMUnitTest other_tests[] = {
		cmocka_unit_test(test_bad_address),
		cmocka_unit_test(test_stop_releases_port),
		cmocka_unit_test(test_before_first_collection),
		cmocka_unit_test(test_shared_text),
		cmocka_unit_test(test_exposure_warning),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_parse_listen),
	};
	int failed;

	failed = cmocka_run_group_tests_name("http server", server_tests, setup, teardown);
	failed += cmocka_run_group_tests_name("listen", other_tests, NULL, NULL);
	return failed ? 1 : 0;
}
