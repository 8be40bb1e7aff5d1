/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Push: every `push every` seconds the collection goes out as InfluxDB line
 * protocol (influx.h) in a POST to the push URL, from a thread of its own so
 * that a receiver that is down or slow never holds up collection or
 * /metrics.
 *
 * The collection hands a rendered body to a bounded queue (PUSH_QUEUE_BODIES
 * bodies, PUSH_QUEUE_BYTES bytes; when full the oldest waiting body is
 * dropped). The thread posts the oldest with a connect timeout and a total
 * timeout; a failed attempt is retried with exponential backoff (capped)
 * up to PUSH_ATTEMPTS attempts, then the body is dropped. A 4xx answer other
 * than 408 and 429 is not retried (the receiver refuses the body itself).
 * Counted: ebpfmon_push_sent_total (bodies a receiver accepted, 2xx),
 * ebpfmon_push_failed_total (attempts that failed), ebpfmon_push_dropped_total
 * (bodies given up: queue full, attempts exhausted, refused).
 *
 * Receivers, told apart by the URL:
 *   InfluxDB 1.x   http://HOST:8086/write?db=DB
 *   InfluxDB 2.x   http://HOST:8086/api/v2/write?org=O&bucket=B&precision=ns
 *                  with `Authorization: Token T` (push token, or the
 *                  environment's EBPFMON_PUSH_TOKEN)
 *   DataKit        http://HOST:9529/v1/write/metric: the metrics there, and
 *                  the network viewer's connections as DataKit's netflow
 *                  measurement to /v1/write/network on the same host
 */
#ifndef EBPFMON_PUSH_H
#define EBPFMON_PUSH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/store.h"

#define PUSH_QUEUE_BODIES	16
#define PUSH_QUEUE_BYTES	(32u << 20)
#define PUSH_ATTEMPTS		5
#define PUSH_CONNECT_TIMEOUT_MS 3000
#define PUSH_TIMEOUT_MS		10000
#define PUSH_BACKOFF_MS		500 /* before the first retry; doubled for each next one */
#define PUSH_BACKOFF_MAX_MS	8000

struct pusher;

/*
 * 0 when @url is an http or https URL with a host; else -1 and one line in
 * @err saying what is wrong (the URL itself is not quoted: it may hold a
 * password).
 */
int push_check_url(const char *url, char *err, size_t errlen);
/* Whether @url is DataKit's /v1/write/metric (connections then go to /v1/write/network). */
bool push_is_datakit(const char *url);

/*
 * Start pushing every @every collections of @s (under s->lock, from its
 * on_push hook). @token (NULL or "": none) goes in an Authorization header.
 * NULL with one line in @err when it cannot start.
 */
struct pusher *push_start(struct store *s, const char *url, const char *token, unsigned int every,
			  char *err, size_t errlen);
/*
 * Unhook from the store and stop the thread: a POST in flight is aborted
 * within about a second. Bodies still queued are dropped. NULL-safe.
 */
void push_stop(struct pusher *p);

#endif
