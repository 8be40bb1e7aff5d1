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

struct entry {
	struct store_container c;
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
	char socket[256];
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

/* Ask Docker about @id; true with @c filled when it answered. */
static bool ask_docker(struct container_names *cn, CURL *h, const char *id,
		       struct store_container *c)
{
	struct reply r = { 0 };
	char url[160];
	long status = 0;
	bool ok = false;

	snprintf(url, sizeof(url), "http://localhost/containers/%s/json", id);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, cn->socket);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)cn->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)cn->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, cn);
	if (curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200 &&
	    r.buf)
		ok = !container_names_parse_docker(r.buf, r.len, c);
	free(r.buf);
	return ok;
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
			bool found, ok;
			size_t at;

			memcpy(id, cn->e[i].c.id, sizeof(id));
			/* No lock while asking: the collector only ever waits for the lock. */
			pthread_mutex_unlock(&cn->lock);
			memcpy(c.id, id, sizeof(id));
			ok = ask_docker(cn, h, id, &c);
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

struct container_names *container_names_new(const char *docker_socket, unsigned int timeout_ms)
{
	struct container_names *cn = calloc(1, sizeof(*cn));

	if (!cn)
		return NULL;
	snprintf(cn->socket, sizeof(cn->socket), "%s", docker_socket);
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

void container_names_want(struct container_names *cn, const char *id)
{
	double now = now_mono();
	bool found;
	size_t at;

	if (!cn || strlen(id) != CGROUP_META_ID_LEN - 1)
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
