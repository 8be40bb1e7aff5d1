// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP endpoint: libmicrohttpd with one internal polling thread.
 *
 * We open the listening socket ourselves and hand it to MHD: MHD reports a
 * failed bind only through its log, and the user needs a clear reason (most
 * often another exporter on the port) before ebpfmon attaches anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "export/http.h"
#include "export/prometheus.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct http_server {
	struct MHD_Daemon *daemon;
	int fd;
	struct store *store;
	char listen[128];
};

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>ebpfmon</title></head>\n"
	"<body><h1>ebpfmon</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status,
				  const char *text)
{
	return reply(c, status, "text/plain; charset=utf-8", (void *)text, strlen(text),
		     MHD_RESPMEM_PERSISTENT);
}

/* Render under the store lock into memory, so the lock is not held while sending. */
static enum MHD_Result reply_metrics(struct MHD_Connection *c, struct store *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	pthread_mutex_lock(&s->lock);
	err = prometheus_render(s, f);
	pthread_mutex_unlock(&s->lock);
	if (fclose(f) || err) {
		free(buf);
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "rendering failed\n");
	}
	return reply(c, MHD_HTTP_OK, METRICS_TYPE, buf, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *h = cls;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	/* MHD sends the headers of a GET response without its body for HEAD. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (!strcmp(url, "/metrics"))
		return reply_metrics(c, h->store);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", (void *)index_page,
			     sizeof(index_page) - 1, MHD_RESPMEM_PERSISTENT);
	return reply_text(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n");
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
	if (bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, 64)) {
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
 * MHD's thread inherits our signal mask: block every signal while creating it
 * so SIGINT, SIGTERM and SIGHUP always reach the thread that handles them.
 */
static struct MHD_Daemon *start_daemon(struct http_server *h)
{
	sigset_t all, old;
	struct MHD_Daemon *d;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* MHD_USE_ITC lets MHD_quiesce_daemon() give the socket back at stop. */
	d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC, 0, NULL, NULL,
			     on_request, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 64u,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

struct http_server *http_open(const char *listen_addr, struct store *s, char *err, size_t errlen)
{
	struct http_server *h = calloc(1, sizeof(*h));

	if (!h) {
		snprintf(err, errlen, "%s: out of memory", listen_addr);
		return NULL;
	}
	h->store = s;
	h->fd = open_listener(listen_addr, err, errlen);
	if (h->fd < 0) {
		free(h);
		return NULL;
	}
	snprintf(h->listen, sizeof(h->listen), "%s", listen_addr);
	return h;
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

struct http_server *http_start(const char *listen_addr, struct store *s, char *err,
			       size_t errlen)
{
	struct http_server *h = http_open(listen_addr, s, err, errlen);

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
	if (!h->daemon) { /* opened, never served */
		close(h->fd);
		free(h);
		return;
	}
	/*
	 * Take the socket back before stopping: MHD would otherwise close it
	 * itself, and closing it here as well could close an unrelated descriptor.
	 */
	fd = MHD_quiesce_daemon(h->daemon);
	MHD_stop_daemon(h->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	free(h);
}
