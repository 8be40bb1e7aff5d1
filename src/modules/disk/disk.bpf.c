// SPDX-License-Identifier: GPL-2.0
/*
 * disk: latency of block requests, from issue (block_rq_issue: handed to
 * the driver) to completion (block_rq_complete), in Netdata's 24 log2
 * microsecond bins per disk (disk.latency_io).
 *
 * Two rungs, chosen in user space by autoload: tp_btf, keyed by the request
 * pointer (exact: two requests never share it while in flight); the classic
 * tracepoints, whose events carry no request pointer, keyed by disk and
 * first sector as Netdata and biolatency do.
 *
 * Tables are shared by all CPUs, none per CPU but the small stats array:
 * their memory does not grow with the CPU count. Histogram slots are added
 * with atomics, so concurrent completions on one disk all count.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modules/disk/disk.h"

#define EEXIST 17
#define MINORBITS 20

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DISK_INFLIGHT_MAX);
	__type(key, struct dlat_key);
	__type(value, __u64);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DISK_DEVICES_MAX);
	__type(key, __u32);
	__type(value, struct dlat_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dlat_stats);
} stats SEC(".maps");

/* Kernels before 5.17 have the disk in the request itself. */
struct request___old {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline struct dlat_stats *stats_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline void issue(const struct dlat_key *k)
{
	__u64 ts = bpf_ktime_get_ns();
	struct dlat_stats *st;

	/* BPF_ANY: a request issued again (requeued) restarts its clock. */
	if (bpf_map_update_elem(&inflight, k, &ts, BPF_ANY)) {
		st = stats_here();
		if (st)
			st->inflight_full++;
	}
}

/* Count a completion of @k on disk @dev (name from @disk when it is known). */
static __always_inline void complete(const struct dlat_key *k, __u32 dev, struct gendisk *disk)
{
	__u64 now = bpf_ktime_get_ns(), *tsp, delta;
	struct dlat_stats *st;
	struct dlat_hist *h;
	__u32 slot;

	tsp = bpf_map_lookup_elem(&inflight, k);
	if (!tsp) {
		st = stats_here();
		if (st)
			st->unmatched++;
		return;
	}
	delta = now > *tsp ? now - *tsp : 0;
	bpf_map_delete_elem(&inflight, k);
	slot = dlat_slot(delta);

	h = bpf_map_lookup_elem(&hists, &dev);
	if (!h) {
		/* First completion on this disk: a zeroed histogram (once per disk). */
		struct dlat_hist zero = {};
		long err;

		if (disk)
			BPF_CORE_READ_STR_INTO(&zero.name, disk, disk_name);
		err = bpf_map_update_elem(&hists, &dev, &zero, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			st = stats_here();
			if (st)
				st->devices_full++;
			return;
		}
		h = bpf_map_lookup_elem(&hists, &dev);
		if (!h)
			return;
	}
	if (slot < DISK_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->sum_ns, delta);
}

/*
 * tp_btf hands us a trusted request pointer: plain loads (CO-RE relocated,
 * checked by the verifier) instead of bpf_probe_read_kernel() calls, which
 * cost a helper call each on the completion path.
 */
static __always_inline struct gendisk *rq_disk(struct request *rq)
{
	struct request___old *old = (void *)rq;

	if (bpf_core_field_exists(old->rq_disk))
		return BPF_CORE_READ(old, rq_disk);
	return rq->q->disk;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(disk_issue_btf, struct request *rq)
{
	struct dlat_key k = { .id = (__u64)rq };

	issue(&k);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(disk_complete_btf, struct request *rq, int error, unsigned int nr_bytes)
{
	struct dlat_key k = { .id = (__u64)rq };
	struct gendisk *disk = rq_disk(rq);
	__u32 dev = 0;

	if (disk)
		dev = ((__u32)disk->major << MINORBITS) | (__u32)disk->first_minor;
	complete(&k, dev, disk);
	return 0;
}

SEC("tracepoint/block/block_rq_issue")
int disk_issue_tp(struct trace_event_raw_block_rq *ctx)
{
	struct dlat_key k = { .id = ctx->dev, .sector = ctx->sector };

	issue(&k);
	return 0;
}

SEC("tracepoint/block/block_rq_complete")
int disk_complete_tp(struct trace_event_raw_block_rq_completion *ctx)
{
	struct dlat_key k = { .id = ctx->dev, .sector = ctx->sector };

	complete(&k, ctx->dev, NULL);
	return 0;
}
