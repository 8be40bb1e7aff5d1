// SPDX-License-Identifier: GPL-2.0
#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/container_names.h"

/* A name is asked again after this long (a container can be renamed). */
#define TTL_OK 60.0
/* A failed request (no runtime, no such container, a timeout) is tried again after this long. */
#define TTL_FAIL 30.0
/* An id nobody asked for in this long is forgotten. */
#define FORGET_AFTER 600.0
/* At most this many ids are kept; more are not asked about. */
#define MAX_ENTRIES 4096
/* Docker's inspect answer is some kilobytes; more than this is not a container's. */
#define MAX_REPLY (1u << 20)

enum runtime { RT_UNKNOWN, RT_DOCKER, RT_CONTAINERD, RT_CRIO };

struct entry {
	struct store_container c;
	enum runtime rt;
	double asked_at;   /* last container_names_want() */
	double fetched_at; /* last answer or failure; 0: never */
	bool ok;	   /* answered once: c holds its names */
	bool last_ok;	   /* the last request was answered (which TTL applies) */
};

struct container_names {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool stop;
	struct entry *e; /* sorted by id */
	size_t nr, cap;
	char docker[108], containerd[108], crio[108];
	unsigned int timeout_ms;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Index of @id in cn->e, or where it would go (*found false). */
static size_t find(const struct container_names *cn, const char *id, bool *found)
{
	size_t lo = 0, hi = cn->nr;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, cn->e[mid].c.id);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* A label value we pass on: Docker's and Kubernetes' name characters only. */
static void copy_name(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	dst[0] = 0;
	if (!n || n >= size)
		return;
	for (size_t i = 0; i < n; i++) {
		char ch = src[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return;
	}
	memcpy(dst, src, n + 1);
}

int container_names_parse_docker(const char *json, size_t len, struct store_container *c)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root, *v, *cfg, *labels;
	const char *name = NULL;

	c->name[0] = c->pod_name[0] = c->pod_namespace[0] = 0;
	if (!tok)
		return -1;
	root = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return -1;
	}
	if (json_object_object_get_ex(root, "Name", &v) && json_object_is_type(v, json_type_string)) {
		name = json_object_get_string(v);
		if (name[0] == '/') /* Docker writes names as paths: "/web" */
			name++;
		copy_name(c->name, sizeof(c->name), name);
	}
	if (json_object_object_get_ex(root, "Config", &cfg) &&
	    json_object_object_get_ex(cfg, "Labels", &labels) &&
	    json_object_is_type(labels, json_type_object)) {
		if (json_object_object_get_ex(labels, "io.kubernetes.pod.name", &v) &&
		    json_object_is_type(v, json_type_string))
			copy_name(c->pod_name, sizeof(c->pod_name), json_object_get_string(v));
		if (json_object_object_get_ex(labels, "io.kubernetes.pod.namespace", &v) &&
		    json_object_is_type(v, json_type_string))
			copy_name(c->pod_namespace, sizeof(c->pod_namespace),
				  json_object_get_string(v));
	}
	json_object_put(root);
	return 0;
}

/* ---- protobuf, as much as a CRI answer needs --------------------------------- */

struct pb {
	const unsigned char *p, *end;
};

static bool pb_varint(struct pb *b, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && b->p < b->end; shift += 7) {
		unsigned char c = *b->p++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

/*
 * The next field of @b: its number, and for a length-delimited one its
 * bytes in @sub (other wire types are skipped, @sub empty). 1: a field,
 * 0: the end, -1: malformed.
 */
static int pb_next(struct pb *b, uint64_t *field, struct pb *sub)
{
	uint64_t key, v;

	sub->p = sub->end = NULL;
	if (b->p == b->end)
		return 0;
	if (!pb_varint(b, &key))
		return -1;
	*field = key >> 3;
	switch (key & 7) {
	case 0:
		return pb_varint(b, &v) ? 1 : -1;
	case 1:
	case 5: {
		size_t n = (key & 7) == 1 ? 8 : 4;

		if ((size_t)(b->end - b->p) < n)
			return -1;
		b->p += n;
		return 1;
	}
	case 2:
		if (!pb_varint(b, &v) || v > (uint64_t)(b->end - b->p))
			return -1;
		sub->p = b->p;
		sub->end = b->p + v;
		b->p += v;
		return 1;
	}
	return -1; /* groups (3, 4) are not in proto3; 6, 7 do not exist */
}

/* A string field's bytes as a C string in @dst, when valid as a name (copy_name). */
static void pb_name(char *dst, size_t size, const struct pb *s)
{
	char tmp[256];
	size_t n = (size_t)(s->end - s->p);

	dst[0] = 0;
	if (!s->p || n >= sizeof(tmp) || memchr(s->p, 0, n))
		return;
	memcpy(tmp, s->p, n);
	tmp[n] = 0;
	copy_name(dst, size, tmp);
}

/* One labels entry (key 1, value 2): the pod's name and namespace. */
static int cri_label(struct pb e, struct store_container *c)
{
	struct pb sub, key = { 0 }, val = { 0 };
	uint64_t f;
	int r;

	while ((r = pb_next(&e, &f, &sub)) > 0) {
		if (f == 1 && sub.p)
			key = sub;
		else if (f == 2 && sub.p)
			val = sub;
	}
	if (r < 0)
		return -1;
	if (!key.p)
		return 0;
#define KEY_IS(s) ((size_t)(key.end - key.p) == strlen(s) && !memcmp(key.p, s, strlen(s)))
	if (KEY_IS("io.kubernetes.pod.name"))
		pb_name(c->pod_name, sizeof(c->pod_name), &val);
	else if (KEY_IS("io.kubernetes.pod.namespace"))
		pb_name(c->pod_namespace, sizeof(c->pod_namespace), &val);
#undef KEY_IS
	return 0;
}

int container_names_parse_cri(const unsigned char *msg, size_t len, struct store_container *c)
{
	struct pb resp = { msg, msg + len }, status = { 0 }, sub;
	uint64_t f;
	int r;

	c->name[0] = c->pod_name[0] = c->pod_namespace[0] = 0;
	/* ContainerStatusResponse: status = 1. */
	while ((r = pb_next(&resp, &f, &sub)) > 0)
		if (f == 1 && sub.p)
			status = sub;
	if (r < 0 || !status.p)
		return -1;
	/* ContainerStatus: metadata = 2 (ContainerMetadata: name = 1), labels = 12. */
	while ((r = pb_next(&status, &f, &sub)) > 0) {
		if (f == 2 && sub.p) {
			struct pb md = sub, name;
			uint64_t g;
			int q;

			while ((q = pb_next(&md, &g, &name)) > 0)
				if (g == 1 && name.p)
					pb_name(c->name, sizeof(c->name), &name);
			if (q < 0)
				return -1;
		} else if (f == 12 && sub.p && cri_label(sub, c)) {
			return -1;
		}
	}
	return r < 0 ? -1 : 0;
}

/* ---- asking the runtimes ------------------------------------------------------ */

struct reply {
	char *buf;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t add = size * n;
	char *nb;

	if (r->len + add > MAX_REPLY)
		return 0; /* curl fails the transfer */
	nb = realloc(r->buf, r->len + add + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->len, p, add);
	r->buf = nb;
	r->len += add;
	r->buf[r->len] = 0;
	return add;
}

/* Stopping: abort a transfer in flight instead of waiting for its timeout. */
static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct container_names *cn = arg;
	bool stop;

	(void)a, (void)b, (void)c, (void)d;
	pthread_mutex_lock(&cn->lock);
	stop = cn->stop;
	pthread_mutex_unlock(&cn->lock);
	return stop;
}

/* What every request sets: the socket, the time bounds, where the answer goes. */
static void common_opts(struct container_names *cn, CURL *h, const char *socket,
			struct reply *r)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)cn->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)cn->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, cn);
}

/* Ask Docker about @id; true with @c filled when it answered. */
static bool ask_docker(struct container_names *cn, CURL *h, const char *id,
		       struct store_container *c)
{
	struct reply r = { 0 };
	char url[160];
	long status = 0;
	bool ok = false;

	if (!cn->docker[0])
		return false;
	common_opts(cn, h, cn->docker, &r);
	snprintf(url, sizeof(url), "http://localhost/containers/%s/json", id);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200 &&
	    r.buf)
		ok = !container_names_parse_docker(r.buf, r.len, c);
	free(r.buf);
	return ok;
}

/*
 * Ask a CRI runtime at @socket about @id: one unary gRPC call, HTTP/2 with
 * prior knowledge (no TLS on a unix socket). True with @c filled when it
 * answered with the container's status.
 */
static bool ask_cri(struct container_names *cn, CURL *h, const char *socket, const char *id,
		    struct store_container *c)
{
	/* gRPC frame: not compressed, 4-byte length; ContainerStatusRequest{container_id = 1}. */
	unsigned char req[5 + 2 + 64] = { 0, 0, 0, 0, 2 + 64, 0x0a, 64 };
	struct curl_slist *hdr = NULL;
	struct reply r = { 0 };
	long status = 0;
	bool ok = false;

	if (!socket[0])
		return false;
	memcpy(req + 7, id, 64);
	common_opts(cn, h, socket, &r);
	curl_easy_setopt(h, CURLOPT_URL, "http://localhost/runtime.v1.RuntimeService/ContainerStatus");
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	hdr = curl_slist_append(hdr, "Content-Type: application/grpc");
	hdr = curl_slist_append(hdr, "TE: trailers");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)sizeof(req));
	/*
	 * A gRPC error (no such container) is HTTP 200 without a message (the
	 * status is in the trailers): only a whole, uncompressed message counts.
	 */
	if (hdr && curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200 &&
	    r.len >= 5 && r.buf[0] == 0) {
		const unsigned char *b = (const unsigned char *)r.buf;
		size_t n = (size_t)b[1] << 24 | (size_t)b[2] << 16 | (size_t)b[3] << 8 | b[4];

		ok = n <= r.len - 5 && !container_names_parse_cri(b + 5, n, c);
	}
	curl_slist_free_all(hdr);
	free(r.buf);
	return ok;
}

/* Ask the runtime of @rt about @id; an unknown one: each in turn. */
static bool ask(struct container_names *cn, CURL *h, enum runtime rt, const char *id,
		struct store_container *c)
{
	switch (rt) {
	case RT_DOCKER:
		return ask_docker(cn, h, id, c);
	case RT_CONTAINERD:
		return ask_cri(cn, h, cn->containerd, id, c);
	case RT_CRIO:
		return ask_cri(cn, h, cn->crio, id, c);
	case RT_UNKNOWN:
		break;
	}
	return ask_cri(cn, h, cn->containerd, id, c) || ask_cri(cn, h, cn->crio, id, c) ||
	       ask_docker(cn, h, id, c);
}

/* The entry most in need of an answer: never asked first, then the stalest due. -1: none. */
static long next_due(const struct container_names *cn, double now)
{
	double best_due = 0;
	long best = -1;

	for (size_t i = 0; i < cn->nr; i++) {
		const struct entry *e = &cn->e[i];
		double due = e->fetched_at ? e->fetched_at + (e->last_ok ? TTL_OK : TTL_FAIL) : 0;

		if (due <= now && (best < 0 || due < best_due)) {
			best = (long)i;
			best_due = due;
		}
	}
	return best;
}

/* Drop ids nobody asked about lately. Under the lock. */
static void forget_old(struct container_names *cn, double now)
{
	size_t kept = 0;

	for (size_t i = 0; i < cn->nr; i++)
		if (now - cn->e[i].asked_at <= FORGET_AFTER)
			cn->e[kept++] = cn->e[i];
	cn->nr = kept;
}

static void *run(void *arg)
{
	struct container_names *cn = arg;
	CURL *h = curl_easy_init();

	pthread_mutex_lock(&cn->lock);
	while (!cn->stop) {
		double now = now_mono();
		long i;

		forget_old(cn, now);
		i = h ? next_due(cn, now) : -1;
		if (i < 0) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&cn->wake, &cn->lock, &ts);
			continue;
		}
		{
			char id[CGROUP_META_ID_LEN];
			struct store_container c = { 0 };
			enum runtime rt = cn->e[i].rt;
			bool found, ok;
			size_t at;

			memcpy(id, cn->e[i].c.id, sizeof(id));
			/* No lock while asking: the collector only ever waits for the lock. */
			pthread_mutex_unlock(&cn->lock);
			memcpy(c.id, id, sizeof(id));
			ok = ask(cn, h, rt, id, &c);
			pthread_mutex_lock(&cn->lock);
			at = find(cn, id, &found); /* forget_old() may have moved it */
			if (!found)
				continue;
			cn->e[at].fetched_at = now_mono();
			cn->e[at].last_ok = ok;
			/* A failure keeps the names known: labels do not flap with the runtime. */
			if (ok) {
				cn->e[at].ok = true;
				cn->e[at].c = c;
			}
		}
	}
	pthread_mutex_unlock(&cn->lock);
	if (h)
		curl_easy_cleanup(h);
	return NULL;
}

struct container_names *container_names_new(const struct container_sockets *sockets,
					     unsigned int timeout_ms)
{
	struct container_names *cn = calloc(1, sizeof(*cn));

	if (!cn)
		return NULL;
	snprintf(cn->docker, sizeof(cn->docker), "%s", sockets->docker ? sockets->docker : "");
	snprintf(cn->containerd, sizeof(cn->containerd), "%s",
		 sockets->containerd ? sockets->containerd : "");
	snprintf(cn->crio, sizeof(cn->crio), "%s", sockets->crio ? sockets->crio : "");
	cn->timeout_ms = timeout_ms;
	pthread_mutex_init(&cn->lock, NULL);
	pthread_cond_init(&cn->wake, NULL);
	if (pthread_create(&cn->thread, NULL, run, cn)) {
		pthread_cond_destroy(&cn->wake);
		pthread_mutex_destroy(&cn->lock);
		free(cn);
		return NULL;
	}
	return cn;
}

void container_names_free(struct container_names *cn)
{
	if (!cn)
		return;
	pthread_mutex_lock(&cn->lock);
	cn->stop = true;
	pthread_cond_signal(&cn->wake);
	pthread_mutex_unlock(&cn->lock);
	pthread_join(cn->thread, NULL);
	pthread_cond_destroy(&cn->wake);
	pthread_mutex_destroy(&cn->lock);
	free(cn->e);
	free(cn);
}

void container_names_want(struct container_names *cn, const char *id, const char *runtime)
{
	enum runtime rt = !strcmp(runtime, "docker")	   ? RT_DOCKER
			  : !strcmp(runtime, "containerd") ? RT_CONTAINERD
			  : !strcmp(runtime, "cri-o")	   ? RT_CRIO
							   : RT_UNKNOWN;
	double now = now_mono();
	bool found;
	size_t at;

	/* Podman has no CRI, and answers Docker's API only on a socket of its own. */
	if (!cn || strlen(id) != CGROUP_META_ID_LEN - 1 || !strcmp(runtime, "podman"))
		return;
	pthread_mutex_lock(&cn->lock);
	at = find(cn, id, &found);
	if (found) {
		cn->e[at].asked_at = now;
	} else if (cn->nr < MAX_ENTRIES) {
		if (cn->nr == cn->cap) {
			size_t ncap = cn->cap ? 2 * cn->cap : 16;
			struct entry *p = realloc(cn->e, ncap * sizeof(*p));

			if (!p)
				goto out;
			cn->e = p;
			cn->cap = ncap;
		}
		memmove(&cn->e[at + 1], &cn->e[at], (cn->nr - at) * sizeof(*cn->e));
		memset(&cn->e[at], 0, sizeof(*cn->e));
		memcpy(cn->e[at].c.id, id, CGROUP_META_ID_LEN);
		cn->e[at].rt = rt;
		cn->e[at].asked_at = now;
		cn->nr++;
		pthread_cond_signal(&cn->wake);
	}
out:
	pthread_mutex_unlock(&cn->lock);
}

int container_names_snapshot(struct container_names *cn, struct store_container **out,
			     size_t *nr)
{
	size_t n = 0;

	*out = NULL;
	*nr = 0;
	if (!cn)
		return 0;
	pthread_mutex_lock(&cn->lock);
	*out = malloc((cn->nr ? cn->nr : 1) * sizeof(**out));
	if (!*out) {
		pthread_mutex_unlock(&cn->lock);
		return -1;
	}
	/* Already sorted by id. */
	for (size_t i = 0; i < cn->nr; i++)
		if (cn->e[i].ok && (cn->e[i].c.name[0] || cn->e[i].c.pod_name[0]))
			(*out)[n++] = cn->e[i].c;
	pthread_mutex_unlock(&cn->lock);
	*nr = n;
	return 0;
}
