/* SPDX-License-Identifier: GPL-2.0 */
/*
 * swap, kernel half: included at the end of src/core/bpf/acct.bpf.c; counts
 * into the process slots SL_SWAP_READ and SL_SWAP_WRITE of the task that
 * swaps (the faulting task for a swap-in, the reclaiming task, direct
 * reclaim or kswapd, for a swap-out), as Netdata's swap_readpage and
 * swap_writepage kprobes do. One call per folio.
 *
 * Swap-out: vmscan:mm_vmscan_write_folio fires in pageout() for every folio
 * reclaim writes; the swap-backed ones (anonymous and shmem, the event's
 * RECLAIM_WB_ANON) are the swap_writeout() calls. Measured here it equals
 * /proc/vmstat pswpout for a workload of small folios (pswpout counts pages;
 * a large folio is one call) plus the folios kept out of the device (zswap,
 * all-zero folios: swpout_zero, zswpout).
 * Swap-in has no tracepoint: kprobes only, on the function this kernel has
 * (swap_read_folio since 6.x, swap_readpage before).
 */
#ifndef EBPFMON_SWAP_BPF_H
#define EBPFMON_SWAP_BPF_H

#define SWAP_RECLAIM_WB_ANON 0x0001 /* trace_reclaim_flags(): not a file-LRU folio */

SEC("tp_btf/mm_vmscan_write_folio")
int BPF_PROG(swap_write_btf, struct folio *folio)
{
	/* flags is the folio's first word (unsigned long, or memdesc_flags_t since 6.18). */
	unsigned long flags = *(unsigned long *)folio;

	if (flags & (1UL << bpf_core_enum_value(enum pageflags, PG_swapbacked)))
		acct_count_current(SL_SWAP_WRITE, 1);
	return 0;
}

SEC("tracepoint/vmscan/mm_vmscan_write_folio")
int swap_write_tp(struct trace_event_raw_mm_vmscan_write_folio *ctx)
{
	if (ctx->reclaim_flags & SWAP_RECLAIM_WB_ANON)
		acct_count_current(SL_SWAP_WRITE, 1);
	return 0;
}

SEC("kprobe/swap_writeout")
int BPF_KPROBE(swap_kp_writeout)
{
	acct_count_current(SL_SWAP_WRITE, 1);
	return 0;
}

SEC("kprobe/swap_writepage")
int BPF_KPROBE(swap_kp_writepage)
{
	acct_count_current(SL_SWAP_WRITE, 1);
	return 0;
}

SEC("kprobe/swap_read_folio")
int BPF_KPROBE(swap_kp_read_folio)
{
	acct_count_current(SL_SWAP_READ, 1);
	return 0;
}

SEC("kprobe/swap_readpage")
int BPF_KPROBE(swap_kp_readpage)
{
	acct_count_current(SL_SWAP_READ, 1);
	return 0;
}

#endif
