/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_HTTP_H
#define EBPFMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/store.h"

/* Connections held at once; past it, each new one sheds the connection idle longest. */
#define HTTP_CONN_LIMIT 512
/* Seconds a connection has to deliver a complete request, from its accept or its last answer. */
#define HTTP_REQUEST_DEADLINE 10
/* Seconds a client has to take an answer. */
#define HTTP_ANSWER_DEADLINE 60
/* Seconds without a byte either way before a connection is closed. */
#define HTTP_IDLE_TIMEOUT 10

struct http_server;

/*
 * Serve GET /metrics (Prometheus text, rendered from @s once per collection:
 * see store_published()) and a short index at / on @listen (ADDR:PORT), with
 * TLS and basic auth when @web_config_file (NULL or "" for none) asks for
 * them. Warns on stderr when the address reaches beyond loopback without both.
 * NULL with one line in @err when the address is malformed or in use, or the
 * web config cannot be read.
 */
struct http_server *http_start(const char *listen, const char *web_config_file, struct store *s,
			       char *err, size_t errlen);
/*
 * The same in two steps: bind and read the web config now (so a taken
 * address or a bad file is said before anything is loaded), start the
 * serving threads later (after the privilege drop, which applies to the
 * calling thread only, so threads made before it would keep everything).
 * http_serve: 0, or -1 with @err.
 */
struct http_server *http_open(const char *listen, const char *web_config_file, struct store *s,
			      char *err, size_t errlen);
int http_serve(struct http_server *h, char *err, size_t errlen);
void http_stop(struct http_server *h); /* NULL-safe */

/*
 * 1 and a warning in @msg when @listen reaches beyond loopback without TLS
 * and basic auth both; 0 otherwise (also for a malformed address).
 */
int http_exposure_warning(const char *listen, bool tls, bool auth, char *msg, size_t len);

#endif
