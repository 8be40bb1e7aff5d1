/* SPDX-License-Identifier: GPL-2.0 */
/*
 * httpflow: the engine shared by the module (run) and `ebpfmon http`: the
 * BPF object, its syscall links, the uprobes on every libssl found, the
 * ring buffer and the aggregation.
 */
#ifndef EBPFMON_HTTPFLOW_INT_H
#define EBPFMON_HTTPFLOW_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "modules/httpflow/httpflow_parse.h"

#define HTTP_MAX_LIBS 64

struct httpflow_bpf;
struct bpf_link;
struct ring_buffer;

struct http_lib {
	dev_t dev;
	ino_t ino;
	bool ok; /* its uprobes are attached */
	struct bpf_link *links[4];
};

struct http_engine {
	struct httpflow_bpf *skel;
	struct bpf_link *sys_links[2];
	struct ring_buffer *rb;
	bool tls;
	struct http_lib libs[HTTP_MAX_LIBS];
	unsigned int nr_libs, nr_attached;
	uint64_t libs_full;
	char tls_note[256]; /* the last libssl the uprobes could not attach to, and why */
	struct http_agg agg;
};

struct http_kstats {
	uint64_t args_full, conns_full, ringbuf_full, ssl_full;
};

/* Load and attach (syscalls; libssl uprobes when @tls). 0, or -errno with @err. */
int http_engine_open(struct http_engine *e, bool tls, char *err, size_t errlen);
/* Look for libssl in every process's maps and the library directories; attach once per file. */
void http_engine_scan(struct http_engine *e);
/* Hand the waiting events to the aggregation (waits up to @timeout_ms, 0: none). */
int http_engine_poll(struct http_engine *e, int timeout_ms);
void http_engine_kstats(struct http_engine *e, struct http_kstats *k);
uint64_t http_now_ns(void);
void http_engine_close(struct http_engine *e);

#endif
