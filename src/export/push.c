// SPDX-License-Identifier: GPL-2.0
/* The pusher: a bounded queue of line-protocol bodies and a thread that POSTs them (push.h). */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "export/influx.h"
#include "export/push.h"
#include "modules/bash/bash_api.h"
#include "modules/dnsflow/dnsflow_api.h"
#include "modules/httpflow/httpflow_api.h"
#include "modules/socket/socket_api.h"

#define DATAKIT_METRIC	"/v1/write/metric"
#define DATAKIT_NETWORK "/v1/write/network"
#define DATAKIT_LOGGING "/v1/write/logging"

enum target { TARGET_METRICS, TARGET_NETWORK, TARGET_LOGGING };

struct body {
	enum target target;
	char *text;
	size_t len;
};

struct pusher {
	struct store *store;
	char *url, *net_url; /* net_url: DataKit's network endpoint, else NULL */
	char *log_url;	     /* DataKit's logging endpoint (bash lines), else NULL */
	uint64_t bash_seq;   /* the newest bash line queued */
	struct curl_slist *headers;
	CURL *curl;
	unsigned int every, count;
	char host[256];

	pthread_t thread;
	pthread_mutex_t lock; /* the queue and stop */
	pthread_cond_t cond;
	struct body q[PUSH_QUEUE_BODIES]; /* a ring: oldest at head */
	size_t head, nr, bytes;
	size_t queue_max; /* PUSH_QUEUE_BODIES, or fewer for tests */
	atomic_bool stop;
	bool failing; /* the last attempt failed (said once, not per attempt) */

	atomic_uint_least64_t sent, failed, dropped;
};

static void seterr(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

int push_check_url(const char *url, char *err, size_t errlen)
{
	CURLU *u;
	char *host = NULL;
	int rc = -1;

	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) {
		seterr(err, errlen,
		       "the push URL must start with http:// or https:// (e.g. "
		       "http://127.0.0.1:8086/write?db=ebpfmon)");
		return -1;
	}
	/* curl reads "http:///path" as host "path": a host must follow the "//" itself. */
	if (url[strcspn(url, ":") + 3] == '/' || !url[strcspn(url, ":") + 3]) {
		seterr(err, errlen, "the push URL has no host; write http://HOST[:PORT]/PATH");
		return -1;
	}
	u = curl_url();
	if (!u) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0))
		seterr(err, errlen,
		       "the push URL is malformed; write http://HOST[:PORT]/PATH[?QUERY] (e.g. "
		       "http://127.0.0.1:8086/write?db=ebpfmon)");
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) || !host || !*host)
		seterr(err, errlen, "the push URL has no host; write http://HOST[:PORT]/PATH");
	else
		rc = 0;
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* The URL's path, or NULL (curl_free() it). */
static char *url_path(const char *url)
{
	CURLU *u = curl_url();
	char *path = NULL;

	if (u && !curl_url_set(u, CURLUPART_URL, url, 0))
		curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_cleanup(u);
	return path;
}

bool push_is_datakit(const char *url)
{
	char *path = url_path(url);
	size_t n = path ? strlen(path) : 0, k = strlen(DATAKIT_METRIC);
	bool yes = n >= k && !strcmp(path + n - k, DATAKIT_METRIC);

	curl_free(path);
	return yes;
}

/* @url with its path's /v1/write/metric replaced by @endpoint (query kept). */
static char *datakit_url(const char *url, const char *endpoint)
{
	CURLU *u = curl_url();
	char *path = NULL, *out = NULL, *copy = NULL;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0))
		goto done;
	copy = malloc(strlen(path) + strlen(endpoint) + 1);
	if (!copy)
		goto done;
	strcpy(copy, path);
	strcpy(copy + strlen(copy) - strlen(DATAKIT_METRIC), endpoint);
	if (!curl_url_set(u, CURLUPART_PATH, copy, 0))
		curl_url_get(u, CURLUPART_URL, &out, 0);
done:
	free(copy);
	curl_free(path);
	curl_url_cleanup(u);
	if (out) {
		copy = strdup(out);
		curl_free(out);
		return copy;
	}
	return NULL;
}

/* ---- the queue -------------------------------------------------------------- */

static void drop_head(struct pusher *p)
{
	struct body *b = &p->q[p->head];

	p->bytes -= b->len;
	free(b->text);
	p->head = (p->head + 1) % PUSH_QUEUE_BODIES;
	p->nr--;
	atomic_fetch_add(&p->dropped, 1);
}

/* Queue @text (taken over); the oldest bodies make room. */
static void enqueue(struct pusher *p, enum target t, char *text, size_t len)
{
	pthread_mutex_lock(&p->lock);
	while (p->nr && (p->nr == p->queue_max || p->bytes + len > PUSH_QUEUE_BYTES))
		drop_head(p);
	p->q[(p->head + p->nr) % PUSH_QUEUE_BODIES] = (struct body){t, text, len};
	p->nr++;
	p->bytes += len;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* Render with @fn into a buffer and queue it; nothing queued when empty or on error. */
static void render_and_queue(struct pusher *p, enum target t, int rc, char *buf, size_t len)
{
	if (rc || !len) {
		free(buf);
		return;
	}
	enqueue(p, t, buf, len);
}

/* The store's on_push hook: under s->lock, in the collecting thread. */
static void on_push(struct store *s, void *arg)
{
	struct pusher *p = arg;
	uint64_t ts;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	s->push.on = true;
	s->push.sent = atomic_load(&p->sent);
	s->push.failed = atomic_load(&p->failed);
	s->push.dropped = atomic_load(&p->dropped);
	if (++p->count < p->every)
		return;
	p->count = 0;
	ts = influx_now_ns();
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	rc = influx_render(s, f, ts);
	rc |= fclose(f);
	render_and_queue(p, TARGET_METRICS, rc, buf, len);
	if (!p->net_url)
		return;
	buf = NULL;
	len = 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	/* -ENODEV: the socket module or its table is not running; nothing to send. */
	rc = socket_connections_influx(f, p->host, ts);
	rc |= fclose(f);
	render_and_queue(p, TARGET_NETWORK, rc, buf, len);
	/* The httpflow module's rows of its last collection (-ENODEV: not running). */
	buf = NULL;
	len = 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	rc = httpflow_influx(f, p->host, ts);
	rc |= fclose(f);
	render_and_queue(p, TARGET_NETWORK, rc, buf, len);
	/* The dnsflow module's rows of its last interval (it returns the lines written). */
	buf = NULL;
	len = 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	rc = dnsflow_last_influx(f, p->host, ts) < 0;
	rc |= fclose(f);
	render_and_queue(p, TARGET_NETWORK, rc, buf, len);
	/* The bash module's lines since the last push, as DataKit's bash log. */
	buf = NULL;
	len = 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	bash_rows_influx(f, p->host, p->bash_seq, &p->bash_seq);
	rc = fclose(f);
	render_and_queue(p, TARGET_LOGGING, rc, buf, len);
}

/* ---- the thread --------------------------------------------------------------- */

static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/* Called by curl about once a second even while nothing moves: aborts at stop. */
static int progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct pusher *p = arg;

	(void)a, (void)b, (void)c, (void)d;
	return atomic_load(&p->stop);
}

enum post_result { POST_OK, POST_RETRY, POST_REFUSED };

static enum post_result post(struct pusher *p, const struct body *b, char *why, size_t whylen)
{
	long code = 0;
	CURLcode rc;

	curl_easy_setopt(p->curl, CURLOPT_URL,
			 b->target == TARGET_NETWORK   ? p->net_url
			 : b->target == TARGET_LOGGING ? p->log_url
						       : p->url);
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, b->text);
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
	rc = curl_easy_perform(p->curl);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return POST_RETRY;
	}
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300)
		return POST_OK;
	snprintf(why, whylen, "HTTP status %ld", code);
	if (code >= 400 && code < 500 && code != 408 && code != 429)
		return POST_REFUSED;
	return POST_RETRY;
}

/* Wait @ms or until stop; true when stopping. */
static bool sleep_unless_stop(struct pusher *p, unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&p->lock);
	while (!atomic_load(&p->stop) &&
	       pthread_cond_timedwait(&p->cond, &p->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&p->lock);
	return atomic_load(&p->stop);
}

/* Send one body: retried with backoff, then given up. */
static void send_body(struct pusher *p, const struct body *b)
{
	unsigned int backoff = PUSH_BACKOFF_MS;
	const char *what = b->target == TARGET_NETWORK	 ? "connections"
			   : b->target == TARGET_LOGGING ? "bash lines"
							 : "metrics";
	char why[CURL_ERROR_SIZE + 64];

	for (int attempt = 1;; attempt++) {
		enum post_result r = post(p, b, why, sizeof(why));

		if (r == POST_OK) {
			atomic_fetch_add(&p->sent, 1);
			if (p->failing)
				fprintf(stderr, "ebpfmon: push: the receiver accepts %s again\n",
					what);
			p->failing = false;
			return;
		}
		if (atomic_load(&p->stop))
			return;
		atomic_fetch_add(&p->failed, 1);
		/* Said when pushing starts failing, not at every attempt; the URL may hold a
		 * password. */
		if (!p->failing)
			fprintf(stderr, "ebpfmon: push: posting %s failed: %s%s\n", what, why,
				r == POST_REFUSED ? " (refused: not retried)" : "; retrying");
		p->failing = true;
		if (r == POST_REFUSED || attempt == PUSH_ATTEMPTS) {
			atomic_fetch_add(&p->dropped, 1);
			return;
		}
		if (sleep_unless_stop(p, backoff))
			return;
		backoff = backoff * 2 > PUSH_BACKOFF_MAX_MS ? PUSH_BACKOFF_MAX_MS : backoff * 2;
	}
}

static void *push_thread(void *arg)
{
	struct pusher *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!atomic_load(&p->stop)) {
		struct body b;

		if (!p->nr) {
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		b = p->q[p->head];
		p->head = (p->head + 1) % PUSH_QUEUE_BODIES;
		p->nr--;
		p->bytes -= b.len;
		pthread_mutex_unlock(&p->lock);
		send_body(p, &b);
		free(b.text);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* ---- start and stop ------------------------------------------------------------- */

static void pusher_free(struct pusher *p)
{
	if (p->curl)
		curl_easy_cleanup(p->curl);
	curl_slist_free_all(p->headers);
	while (p->nr) {
		struct body *b = &p->q[p->head];

		free(b->text);
		p->head = (p->head + 1) % PUSH_QUEUE_BODIES;
		p->nr--;
	}
	free(p->url);
	free(p->net_url);
	free(p->log_url);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}

static int setup_curl(struct pusher *p, const char *token)
{
	struct curl_slist *h;

	p->headers = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
	/* No "Expect: 100-continue" round trip for large bodies: receivers take them at once. */
	h = p->headers ? curl_slist_append(p->headers, "Expect:") : NULL;
	if (!h)
		return -1;
	if (token && *token) {
		char *auth;

		if (asprintf(&auth, "Authorization: Token %s", token) < 0)
			return -1;
		h = curl_slist_append(p->headers, auth);
		/* The token is not kept beyond the header list. */
		explicit_bzero(auth, strlen(auth));
		free(auth);
		if (!h)
			return -1;
	}
	p->curl = curl_easy_init();
	if (!p->curl)
		return -1;
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(p->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)PUSH_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS, (long)PUSH_TIMEOUT_MS);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(p->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(p->curl, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(p->curl, CURLOPT_XFERINFODATA, p);
	curl_easy_setopt(p->curl, CURLOPT_USERAGENT, "ebpfmon");
	return 0;
}

struct pusher *push_start(struct store *s, const char *url, const char *token, unsigned int every,
			  char *err, size_t errlen)
{
	struct pusher *p;

	if (push_check_url(url, err, errlen))
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		seterr(err, errlen, "push: libcurl could not be initialised");
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		seterr(err, errlen, "push: out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->store = s;
	p->every = every ? every : 1;
	/* EBPFMON_TEST_PUSH_QUEUE=N (1..16): a shorter queue, so tests see drops in seconds. */
	p->queue_max = PUSH_QUEUE_BODIES;
	if (getenv("EBPFMON_TEST_PUSH_QUEUE")) {
		long n = strtol(getenv("EBPFMON_TEST_PUSH_QUEUE"), NULL, 10);

		if (n >= 1 && n < PUSH_QUEUE_BODIES)
			p->queue_max = (size_t)n;
	}
	p->url = strdup(url);
	if (!p->url || setup_curl(p, token)) {
		seterr(err, errlen, "push: out of memory");
		pusher_free(p);
		return NULL;
	}
	if (push_is_datakit(url)) {
		p->net_url = datakit_url(url, DATAKIT_NETWORK);
		p->log_url = datakit_url(url, DATAKIT_LOGGING);
		if (!p->net_url || !p->log_url) {
			seterr(err, errlen, "push: cannot make DataKit's /v1/write/network and /v1/write/logging URLs");
			pusher_free(p);
			return NULL;
		}
	}
	if (gethostname(p->host, sizeof(p->host)))
		p->host[0] = 0;
	p->host[sizeof(p->host) - 1] = 0;
	if (pthread_create(&p->thread, NULL, push_thread, p)) {
		seterr(err, errlen, "push: cannot start its thread");
		pusher_free(p);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	s->push.on = true;
	s->on_push = on_push;
	s->on_push_arg = p;
	pthread_mutex_unlock(&s->lock);
	return p;
}

void push_stop(struct pusher *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->store->lock);
	p->store->on_push = NULL;
	p->store->on_push_arg = NULL;
	pthread_mutex_unlock(&p->store->lock);
	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stop, true);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pusher_free(p);
	curl_global_cleanup();
}
