// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP endpoint: libmicrohttpd with a pool of epoll threads.
 *
 * It has to keep answering when someone local misbehaves: connections that
 * send nothing, headers trickled a byte at a time (slowloris), floods. So:
 *  - /metrics is rendered once per collection (the store's publish hook) and
 *    served from that text: a scrape never takes the store lock nor renders,
 *    and a slow reader keeps its own reference to the text it started with;
 *  - every connection has a deadline to deliver a complete request (from its
 *    accept or from the end of its previous answer) and one to take an answer;
 *    MHD's own timeout closes connections on which nothing moves;
 *  - past HTTP_CONN_LIMIT connections, each new one sheds the connection that
 *    has been idle longest instead of being refused: a crowd of idle
 *    connections cannot lock Prometheus out;
 *  - TLS and basic auth come from a web config file (core/web_config.h).
 *
 * We open the listening socket ourselves and hand it to MHD: MHD reports a
 * failed bind only through its log, and the user needs a clear reason (most
 * often another exporter on the port) before ebpfmon attaches anything.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/web_config.h"
#include "export/http.h"
#include "export/json.h"
#include "export/prometheus.h"
#include "export/text_cache.h"
#include "modules/bash/bash_api.h"
#include "modules/httpflow/httpflow_api.h"
#include "modules/socket/socket_api.h"
#include "modules/dnsflow/dnsflow_api.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define AUTH_REALM "ebpfmon"

/* MHD's hard limit sits above ours, so the shedding, not a refusal, keeps the count. */
#define CONN_HEADROOM 64
/* Threads answering requests: a TLS handshake or a bcrypt check in one leaves the other free. */
#define SERVER_THREADS 2
/*
 * Per-connection memory for the request headers and the answer's headers.
 * Above 32 KiB MHD maps each connection's pool on its own instead of taking
 * it from malloc: only the pages touched count, and they go back to the
 * system when the connection closes (a flood leaves no grown heap behind).
 */
#define CONN_MEMORY (36 * 1024)
/* Seconds between two looks at the deadlines. */
#define SWEEP_INTERVAL 0.5

/* One connection, from MHD's "started" notification to its "closed" one. */
struct conn {
	struct conn *prev, *next;
	int fd;
	double since; /* accept, end of the previous answer, or start of this request */
	bool busy;    /* a request is being answered */
	bool shed;    /* shut down by us; MHD closes it at its next look */
};

struct http_server {
	struct MHD_Daemon *daemon;
	int fd;
	struct store *store;
	struct web_config *web;
	struct text_slot metrics;
	struct text_slot json; /* /api/v1/metrics: snapshot --format json's document */
	char listen[128];

	pthread_mutex_t lock; /* the connection list and the sweeper's state */
	struct conn *first, *last;
	unsigned int live; /* connections not shed */
	pthread_t sweeper;
	pthread_cond_t wake;
	bool sweeper_running, stopping;
};

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>ebpfmon</title></head>\n"
	"<body><h1>ebpfmon</h1><p><a href=\"/metrics\">Metrics</a></p>\n"
	"<p><a href=\"/api/v1/metrics\">Metrics</a> (JSON)</p>\n"
	"<p><a href=\"/api/v1/connections\">Connections</a> (JSON)</p></body></html>\n";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- connections: limit, shedding, deadlines ------------------------------ */

/* Close @k from outside: MHD sees the end of the stream and cleans up. Under h->lock. */
static void shed(struct http_server *h, struct conn *k)
{
	/* The descriptor is still MHD's: it closes it only after telling us "closed". */
	shutdown(k->fd, SHUT_RDWR);
	k->shed = true;
	h->live--;
}

/* The connection idle longest (else the one busy longest), not @keep; NULL when none. */
static struct conn *shed_candidate(struct http_server *h, const struct conn *keep)
{
	struct conn *idle = NULL, *busy = NULL;

	for (struct conn *k = h->first; k; k = k->next) {
		if (k == keep || k->shed)
			continue;
		if (!k->busy && (!idle || k->since < idle->since))
			idle = k;
		if (k->busy && (!busy || k->since < busy->since))
			busy = k;
	}
	return idle ? idle : busy;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *h = cls;
	struct conn *k = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		k = calloc(1, sizeof(*k));
		*socket_context = k;
		if (!k || !ci)
			return; /* untracked: MHD's own timeout still closes it */
		k->fd = ci->connect_fd;
		k->since = now();
		pthread_mutex_lock(&h->lock);
		k->prev = h->last;
		if (h->last)
			h->last->next = k;
		else
			h->first = k;
		h->last = k;
		if (++h->live > HTTP_CONN_LIMIT) {
			struct conn *victim = shed_candidate(h, k);

			if (victim)
				shed(h, victim);
		}
		pthread_mutex_unlock(&h->lock);
		return;
	}
	if (!k)
		return;
	pthread_mutex_lock(&h->lock);
	if (k->prev)
		k->prev->next = k->next;
	else
		h->first = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else
		h->last = k->prev;
	if (!k->shed)
		h->live--;
	pthread_mutex_unlock(&h->lock);
	free(k);
	*socket_context = NULL;
}

static void mark(struct http_server *h, struct MHD_Connection *c, bool busy)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = ci ? ci->socket_context : NULL;

	if (!k)
		return;
	pthread_mutex_lock(&h->lock);
	k->busy = busy;
	k->since = now();
	pthread_mutex_unlock(&h->lock);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)con_cls;
	(void)toe;
	mark(cls, c, false);
}

/* Enforce the deadlines that MHD's inactivity timeout cannot: bytes trickled keep it alive. */
static void *sweep(void *arg)
{
	struct http_server *h = arg;
	struct timespec until;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		double t = now();

		for (struct conn *k = h->first; k; k = k->next) {
			if (k->shed)
				continue;
			if (t - k->since > (k->busy ? HTTP_ANSWER_DEADLINE : HTTP_REQUEST_DEADLINE))
				shed(h, k);
		}
		t += SWEEP_INTERVAL;
		until.tv_sec = (time_t)t;
		until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
		pthread_cond_timedwait(&h->wake, &h->lock, &until);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* ---- rendering, once per collection -------------------------------------- */

/* Render @s with @render into @slot; on failure readers keep the previous text. */
static void render_into(struct text_slot *slot, const struct store *s,
			int (*render)(const struct store *s, FILE *out))
{
	struct shared_text *t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return;
	err = render(s, f);
	if (fclose(f) || err) {
		free(buf);
		return;
	}
	t = shared_text_new(buf, len);
	if (t)
		text_slot_publish(slot, t);
}

static int render_json(const struct store *s, FILE *out)
{
	return json_render(s, out, false);
}

/* The store's publish hook: runs in the collecting thread, under the store lock. */
static void render_metrics(const struct store *s, void *arg)
{
	struct http_server *h = arg;

	render_into(&h->metrics, s, prometheus_render);
	render_into(&h->json, s, render_json);
}

/* ---- requests -------------------------------------------------------------- */

static enum MHD_Result queue(struct MHD_Connection *c, unsigned int status,
			     struct MHD_Response *r, const char *type)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (status == MHD_HTTP_UNAUTHORIZED)
		ret = MHD_queue_basic_auth_fail_response(c, AUTH_REALM, r);
	else
		ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status,
				  const char *text)
{
	return queue(c, status,
		     MHD_create_response_from_buffer(strlen(text), (void *)text,
						     MHD_RESPMEM_PERSISTENT),
		     "text/plain; charset=utf-8");
}

static void release_text(void *cls)
{
	shared_text_put(cls);
}

static enum MHD_Result reply_rendered(struct MHD_Connection *c, struct text_slot *slot,
				      const char *type)
{
	struct shared_text *t = text_slot_get(slot);
	struct MHD_Response *r;

	if (!t)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "no collection yet; try again in a second\n");
	/* The answer sends the shared text itself and lets it go when done. */
	r = MHD_create_response_from_buffer_with_free_callback_cls(t->len, t->text, release_text, t);
	if (!r) {
		shared_text_put(t);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_OK, r, type);
}

/* The bash module's recent lines (the last 1000), rendered per request. */
static enum MHD_Result reply_bash(struct MHD_Connection *c)
{
	struct MHD_Response *r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	long n = f ? bash_rows_json(f, 0) : -ENOMEM;

	if (f && fclose(f))
		n = -ENOMEM;
	if (n < 0) {
		free(buf);
		if (n == -ENODEV)
			return reply_text(c, MHD_HTTP_NOT_FOUND,
					  "the bash module is off ([ebpf programs] bash = yes)\n");
		return MHD_NO;
	}
	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_OK, r, "application/json");
}

/* The network viewer's rows, rendered at the last collection: a copy of the text. */
static enum MHD_Result reply_connections(struct MHD_Connection *c)
{
	struct shared_text *t = NULL;
	struct MHD_Response *r;
	int rc = socket_connections_json(&t);

	if (rc == -ENODEV)
		return reply_text(c, MHD_HTTP_NOT_FOUND,
				  "no connection table: the socket module is off, or [network connections] enabled = no\n");
	if (rc == -EAGAIN)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "no collection yet; try again in a second\n");
	if (rc)
		return MHD_NO;
	r = MHD_create_response_from_buffer_with_free_callback_cls(t->len, t->text, release_text, t);
	if (!r) {
		shared_text_put(t);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_OK, r, "application/json");
}

/*
 * Rows a module renders on request (httpflow's and dnsflow's of their last
 * collection, DataKit's rows per interval): @rows gives a malloc'd JSON text.
 */
static enum MHD_Result reply_module_rows(struct MHD_Connection *c,
					 int (*rows)(char **text, size_t *len), const char *off)
{
	struct MHD_Response *r;
	char *text = NULL;
	size_t len = 0;
	int rc = rows(&text, &len);

	if (rc == -ENODEV)
		return reply_text(c, MHD_HTTP_NOT_FOUND, off);
	if (rc == -EAGAIN)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no collection yet; try again in a second\n");
	if (rc)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_OK, r, "application/json");
}

static bool authorized(struct http_server *h, struct MHD_Connection *c)
{
	char *password = NULL, *user;
	bool ok;

	if (!h->web || !h->web->nr_users)
		return true;
	user = MHD_basic_auth_get_username_password(c, &password);
	ok = user && password && web_config_authorized(h->web, user, password);
	if (password) {
		memset(password, 0, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *h = cls;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	if (!*con_cls) {
		*con_cls = h; /* the request has started: its answer deadline runs */
		mark(h, c, true);
	}
	if (!authorized(h, c))
		return reply_text(c, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	/* MHD sends the headers of a GET response without its body for HEAD. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (!strcmp(url, "/metrics"))
		return reply_rendered(c, &h->metrics, METRICS_TYPE);
	if (!strcmp(url, "/api/v1/metrics"))
		return reply_rendered(c, &h->json, "application/json");
	if (!strcmp(url, "/api/v1/connections"))
		return reply_connections(c);
	if (!strcmp(url, "/api/v1/bash"))
		return reply_bash(c);
	if (!strcmp(url, "/api/v1/http"))
		return reply_module_rows(c, httpflow_rows_json,
					 "the httpflow module is off ([ebpf programs] httpflow = yes)\n");
	if (!strcmp(url, "/api/v1/dns"))
		return reply_module_rows(c, dnsflow_last_json,
					 "the dnsflow module is off ([ebpf programs] dnsflow = yes)\n");
	if (!strcmp(url, "/"))
		return queue(c, MHD_HTTP_OK,
			     MHD_create_response_from_buffer(sizeof(index_page) - 1,
							     (void *)index_page,
							     MHD_RESPMEM_PERSISTENT),
			     "text/html; charset=utf-8");
	return reply_text(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics, /api/v1/metrics or /api/v1/connections\n");
}

/* ---- start and stop ---------------------------------------------------------- */

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24 == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

int http_exposure_warning(const char *listen_addr, bool tls, bool auth, char *msg, size_t len)
{
	struct sockaddr_storage ss;
	unsigned int sslen;
	const char *missing;

	if (parse_listen(listen_addr, &ss, &sslen) || is_loopback(&ss) || (tls && auth))
		return 0;
	missing = !tls && !auth ? "without TLS or basic auth: anyone who can reach it reads the metrics"
		  : !tls	? "without TLS: passwords and metrics cross the network in clear"
				: "without basic auth: anyone who can reach it reads the metrics";
	snprintf(msg, len,
		 "warning: %s is reachable beyond this host %s; see --web-config (tls_server_config, basic_auth_users)",
		 listen_addr, missing);
	return 1;
}

/* A bound, listening, non-blocking socket for @listen_addr, or -1 with @err set. */
static int open_listener(const char *listen_addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	unsigned int sslen;
	int fd, one = 1;

	if (parse_listen(listen_addr, &ss, &sslen)) {
		snprintf(err, errlen,
			 "%s: not a listen address; use ADDR:PORT, [IPV6]:PORT or :PORT with a port 1-65535",
			 listen_addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", listen_addr, strerror(errno));
		return -1;
	}
	/* Restart at once on the same port, despite connections in TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A deep backlog: a burst of connections waits for accept rather than being reset. */
	if (bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, SOMAXCONN)) {
		if (errno == EADDRINUSE)
			snprintf(err, errlen,
				 "%s: address already in use: another ebpfmon or exporter is listening; choose another with --listen ADDR:PORT",
				 listen_addr);
		else if (errno == EADDRNOTAVAIL)
			snprintf(err, errlen,
				 "%s: address not available: no interface has it; choose another with --listen ADDR:PORT",
				 listen_addr);
		else
			snprintf(err, errlen, "%s: cannot listen: %s", listen_addr,
				 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * MHD's threads inherit our signal mask: block every signal while creating
 * them so SIGINT, SIGTERM and SIGHUP always reach the thread that handles them.
 */
static struct MHD_Daemon *start_daemon(struct http_server *h)
{
	struct web_config *web = h->web;
	bool tls = web && web->tls;
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_LISTEN_SOCKET, h->fd, NULL },
		{ MHD_OPTION_THREAD_POOL_SIZE, SERVER_THREADS, NULL },
		/*
		 * MHD splits this among its threads, and a connection may land
		 * on either: let each hold them all. The shedding keeps the
		 * total at HTTP_CONN_LIMIT.
		 */
		{ MHD_OPTION_CONNECTION_LIMIT, (HTTP_CONN_LIMIT + CONN_HEADROOM) * SERVER_THREADS, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_TIMEOUT, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY, NULL },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, h },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h },
		{ tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, tls ? web->cert_pem : NULL },
		{ tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, tls ? web->key_pem : NULL },
		{ tls ? MHD_OPTION_HTTPS_PRIORITIES : MHD_OPTION_END, 0,
		  tls ? web->tls_priorities : NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	/* MHD_USE_ITC lets MHD_quiesce_daemon() give the socket back at stop. */
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | (tls ? MHD_USE_TLS : 0);
	sigset_t all, old;
	struct MHD_Daemon *d = NULL;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!pthread_create(&h->sweeper, NULL, sweep, h)) {
		h->sweeper_running = true;
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_ARRAY, opts,
				     MHD_OPTION_END);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

static void stop_sweeper(struct http_server *h)
{
	if (!h->sweeper_running)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->sweeper, NULL);
	h->sweeper_running = false;
}

static void free_server(struct http_server *h)
{
	stop_sweeper(h);
	if (h->fd >= 0)
		close(h->fd);
	text_slot_destroy(&h->metrics);
	text_slot_destroy(&h->json);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	web_config_free(h->web);
	free(h);
}

struct http_server *http_open(const char *listen_addr, const char *web_config_file,
			      struct store *s, char *err, size_t errlen)
{
	struct http_server *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;
	char warning[512];

	if (!h) {
		snprintf(err, errlen, "%s: out of memory", listen_addr);
		return NULL;
	}
	h->fd = -1;
	h->store = s;
	text_slot_init(&h->metrics);
	text_slot_init(&h->json);
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (web_config_file && *web_config_file) {
		h->web = web_config_load(web_config_file, err, errlen);
		if (!h->web)
			goto fail;
		if (h->web->tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen,
				 "%s: this libmicrohttpd was built without TLS; remove tls_server_config",
				 web_config_file);
			goto fail;
		}
	}
	h->fd = open_listener(listen_addr, err, errlen);
	if (h->fd < 0)
		goto fail;
	snprintf(h->listen, sizeof(h->listen), "%s", listen_addr);
	if (http_exposure_warning(listen_addr, h->web && h->web->tls, h->web && h->web->nr_users,
				  warning, sizeof(warning)))
		fprintf(stderr, "ebpfmon: %s\n", warning);
	pthread_mutex_lock(&s->lock);
	s->on_publish = render_metrics;
	s->on_publish_arg = h;
	pthread_mutex_unlock(&s->lock);
	return h;
fail:
	free_server(h);
	return NULL;
}

int http_serve(struct http_server *h, char *err, size_t errlen)
{
	h->daemon = start_daemon(h);
	if (!h->daemon) {
		snprintf(err, errlen, "%s: cannot start the HTTP server (libmicrohttpd)", h->listen);
		return -1;
	}
	return 0;
}

struct http_server *http_start(const char *listen_addr, const char *web_config_file,
			       struct store *s, char *err, size_t errlen)
{
	struct http_server *h = http_open(listen_addr, web_config_file, s, err, errlen);

	if (h && http_serve(h, err, errlen)) {
		http_stop(h);
		return NULL;
	}
	return h;
}

void http_stop(struct http_server *h)
{
	MHD_socket fd;

	if (!h)
		return;
	pthread_mutex_lock(&h->store->lock);
	h->store->on_publish = NULL;
	h->store->on_publish_arg = NULL;
	pthread_mutex_unlock(&h->store->lock);
	if (!h->daemon) { /* opened, never served */
		free_server(h);
		return;
	}
	/*
	 * Take the socket back before stopping: MHD would otherwise close it
	 * itself, and closing it here as well could close an unrelated descriptor.
	 */
	fd = MHD_quiesce_daemon(h->daemon);
	MHD_stop_daemon(h->daemon); /* closes every connection: the list empties */
	h->fd = fd != MHD_INVALID_SOCKET ? fd : -1;
	free_server(h);
}
