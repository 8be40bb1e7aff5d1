/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the httpflow module offers outside the module interface: the rows of
 * its last collection (the exchanges that ended since the one before:
 * DataKit's httpflow rows per interval), for /api/v1/http and the push code.
 */
#ifndef EBPFMON_HTTPFLOW_API_H
#define EBPFMON_HTTPFLOW_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The last collection's rows as a JSON list (http_rows_json()), in a
 * malloc'd @text of @len bytes. 0; -ENODEV when the module is not running;
 * -EAGAIN before its first collection; -ENOMEM.
 */
int httpflow_rows_json(char **text, size_t *len);

/*
 * The same rows as DataKit's `httpflow` measurement in line protocol on
 * @out (http_rows_influx(): tags src_ip, src_port, dst_ip, dst_port, pid,
 * process_name, direction, transport, family, method, path, status_code,
 * http_version, tls, and host=@host unless NULL; fields count, latency (ns,
 * average), bytes_read, bytes_written, truncated), stamped @ts_ns. DataKit
 * takes them at /v1/write/network. 0 or -errno as above.
 */
int httpflow_influx(FILE *out, const char *host, uint64_t ts_ns);

#endif
