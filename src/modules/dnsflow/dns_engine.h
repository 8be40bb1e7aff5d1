/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dnsflow: the kernel half loaded and attached, its ring buffer read into
 * the query/answer tracker. Shared by the `run` module and `ebpfmon dns`.
 */
#ifndef EBPFMON_DNS_ENGINE_H
#define EBPFMON_DNS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "modules/dnsflow/dns_agg.h"

#define DNS_DEFAULT_PORT 53
#define DNS_DEFAULT_TIMEOUT_NS (5ULL * 1000000000ULL)
#define DNS_RING_BYTES (4u << 20)  /* about 7000 packets between two reads */
#define DNS_MAX_PENDING 16384	   /* queries waiting for their answer */

struct dnsflow_bpf;
struct bpf_link;
struct ring_buffer;

struct dns_engine {
	struct dnsflow_bpf *skel;
	struct bpf_link *links[10];
	unsigned int nr_links;
	struct ring_buffer *rb;
	struct dns_tracker tr;
	dns_done_fn fn;
	void *arg;
};

/* Load and attach (on the root of the cgroup v2 hierarchy); -errno and @err on failure. */
int dns_engine_open(struct dns_engine *e, uint16_t port, uint64_t timeout_ns, dns_done_fn fn,
		    void *arg, char *err, size_t errlen);
/* Read what the ring holds (waiting up to @timeout_ms), then time out old queries. */
int dns_engine_poll(struct dns_engine *e, int timeout_ms);
/* The kernel half's counters, summed over CPUs. */
void dns_engine_kstats(struct dns_engine *e, struct dns_kstats *out);
void dns_engine_close(struct dns_engine *e);
uint64_t dns_mono_ns(void);

#endif
