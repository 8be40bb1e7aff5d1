/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bash rows for the rest of ebpfmon: the line-protocol pusher and the JSON
 * API. A row is one command line an interactive bash read with readline().
 *
 * DataKit's `bash` measurement (logging, /v1/write/logging), as its eBPF
 * input writes it:
 *
 *   bash,host=web1 cmd="ls -l",message="2026-11-23T22:40:01Z pid:`4242` user:`root` cmd:`ls -l`",pid="4242",user="root",truncated=false 1795...
 *
 * tags    host (the caller's; left out when empty), as DataKit's global tags
 * fields  cmd (the line, cut at BASH_LINE_MAX bytes), pid (a string, as in
 *         DataKit), user (login name of the shell's uid, else the uid in
 *         decimal), message ("<RFC3339 local time> pid:`<pid>`
 *         user:`<user>` cmd:`<cmd>`", DataKit's format with its
 *         backquotes), and truncated (ours: true when cmd was cut)
 * time    when readline returned, nanoseconds since the epoch
 */
#ifndef EBPFMON_BASH_API_H
#define EBPFMON_BASH_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "modules/bash/bash.h"

struct bash_row {
	uint64_t seq;	  /* 1, 2, ... in the order the module read them */
	uint64_t time_ns; /* CLOCK_REALTIME, ns since the epoch */
	uint32_t pid, uid;
	bool truncated;
	char user[64];
	char comm[16];
	char cmd[BASH_LINE_MAX + 1];
};

/* The login name of @uid into @buf, else the uid in decimal. */
void bash_user_name(uint32_t uid, char *buf, size_t len);
/* RFC 3339 local time with its offset ("...T22:40:01+01:00", "Z" for UTC). */
void bash_format_time(uint64_t time_ns, char *buf, size_t len);
/* DataKit's message field. Returns what snprintf returns. */
int bash_format_message(const struct bash_row *r, char *buf, size_t len);
/* One line of line protocol for @r (see above), ending in '\n'. */
void bash_row_influx(FILE *out, const struct bash_row *r, const char *host);
/* One JSON object for @r (no newline). */
void bash_row_json(FILE *out, const struct bash_row *r);

/*
 * The bash module's recent lines (the last BASH_LOG_ROWS it read in `run`),
 * as DataKit `bash` lines: those with seq > @after_seq, oldest first, with
 * tag host=@host. *@last_seq gets the seq of the newest row written (or
 * @after_seq when none). Returns how many were written; rows overwritten
 * before the caller came back are gone (a gap in seq says how many).
 * Thread-safe; nothing when the module is not running.
 */
#define BASH_LOG_ROWS 1000
size_t bash_rows_influx(FILE *out, const char *host, uint64_t after_seq, uint64_t *last_seq);
/*
 * The same rows as a JSON list of bash_row_json() objects (served at
 * /api/v1/bash); -ENODEV, and nothing written, when the module is not
 * running, else how many rows.
 */
long bash_rows_json(FILE *out, uint64_t after_seq);

#endif
