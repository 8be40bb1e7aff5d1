/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the dnsflow module of `run` offers outside the module interface:
 * DataKit's dnsflow rows of the last collection interval (requests that
 * finished in it: answered, or timed out).
 */
#ifndef EBPFMON_DNSFLOW_API_H
#define EBPFMON_DNSFLOW_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The rows as a JSON list (dns_rows_json()'s fields) in a malloc()ed
 * buffer (*@text, *@len; the caller frees it). 0; -ENODEV when the module
 * is not running; -EAGAIN before its first collection; -ENOMEM.
 */
int dnsflow_last_json(char **text, size_t *len);

/*
 * The rows as DataKit's `dnsflow` measurement, line protocol
 * (dns_rows_influx(): tags, fields, @host, @ts_ns in unix nanoseconds), for
 * the push to DataKit or InfluxDB. The lines written, or -ENODEV / -EAGAIN
 * as above, -1 on a write error.
 */
int dnsflow_last_influx(FILE *out, const char *host, uint64_t ts_ns);

#endif
