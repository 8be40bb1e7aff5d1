// SPDX-License-Identifier: GPL-2.0
/*
 * mdflush: flush requests handed to MD (software RAID) arrays, per array
 * (Netdata's mdstat.mdstat_flush). The kernel has no tracepoint for them:
 * only a kprobe or fentry on md_flush_request(mddev, bio) sees them, so on
 * kernels without both (or without MD) the module is unavailable; its
 * programs still go through the verifier in the bpf test tier.
 *
 * struct mddev lives in drivers/md (absent from vmlinux BTF when MD is off
 * or a module): it is read with CO-RE against a local definition, each
 * field only when the running kernel has it.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modules/mdflush/mdflush.h"

#define EEXIST 17

char LICENSE[] SEC("license") = "GPL";

struct mddev___ebpfmon {
	dev_t unit;
	char md_name[32];
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MDFLUSH_DEVICES_MAX);
	__type(key, __u32);
	__type(value, struct mdflush_val);
} flushes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mdflush_stats);
} stats SEC(".maps");

static __always_inline int count_flush(struct mddev___ebpfmon *mddev)
{
	struct mdflush_val *v;
	__u32 unit = 0, zero = 0;

	if (bpf_core_field_exists(mddev->unit))
		unit = BPF_CORE_READ(mddev, unit);
	v = bpf_map_lookup_elem(&flushes, &unit);
	if (!v) {
		struct mdflush_val init = {};
		long err;

		if (bpf_core_field_exists(mddev->md_name))
			BPF_CORE_READ_STR_INTO(&init.name, mddev, md_name);
		err = bpf_map_update_elem(&flushes, &unit, &init, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			struct mdflush_stats *st = bpf_map_lookup_elem(&stats, &zero);

			if (st)
				st->devices_full++;
			return 0;
		}
		v = bpf_map_lookup_elem(&flushes, &unit);
		if (!v)
			return 0;
	}
	__sync_fetch_and_add(&v->flushes, 1);
	return 0;
}

SEC("fentry/md_flush_request")
int BPF_PROG(mdflush_fentry, struct mddev___ebpfmon *mddev)
{
	return count_flush(mddev);
}

SEC("kprobe/md_flush_request")
int BPF_KPROBE(mdflush_kprobe, struct mddev___ebpfmon *mddev)
{
	return count_flush(mddev);
}
