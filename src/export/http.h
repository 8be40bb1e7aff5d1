/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_HTTP_H
#define EBPFMON_HTTP_H

#include <stddef.h>

#include "core/store.h"

struct http_server;

/*
 * Serve GET /metrics (Prometheus text rendered from @s under its lock) and a
 * short index at / on @listen (ADDR:PORT). NULL with one line in @err when the
 * address is malformed or in use.
 */
struct http_server *http_start(const char *listen, struct store *s, char *err, size_t errlen);
/*
 * The same in two steps: bind now (so a taken address is said before
 * anything is loaded), start the serving thread later (after the privilege
 * drop, which applies to the calling thread only). -1 + @err on failure.
 */
struct http_server *http_open(const char *listen, struct store *s, char *err, size_t errlen);
int http_serve(struct http_server *h, char *err, size_t errlen);
void http_stop(struct http_server *h); /* NULL-safe */

#endif
