/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cachestat, kernel half: included at the end of src/core/bpf/acct.bpf.c, so
 * its programs are part of the accounting core's object and count into the
 * process slots SL_CACHE_* (host, process, cgroup) through
 * acct_count_current().
 *
 * This kernel has no hook on mark_page_accessed(), so "accessed" is what the
 * reads ask for (filemap:mm_filemap_get_pages gives each read's page range)
 * and a miss is an accessed page that the reading process itself brought into
 * the page cache (filemap:mm_filemap_add_to_page_cache) before asking for it:
 *
 *   accessed  pages of each read's range, each page once per read call (one
 *             read(2) of 1 MiB reports overlapping ranges as it loops over
 *             its batches; the thread's I/O call count, task->ioac.syscr,
 *             tells one call from the next)
 *   misses    of those, the pages the thread itself inserted and had not read
 *             yet (its readahead included): insertions go to a small
 *             per-thread "pending" count per file, which its reads take from
 *             and its own dirtying gives back (a buffered write inserts the
 *             page it then dirties: not a read miss, as in Netdata's
 *             arithmetic)
 *   dirtied   pages whose folio went from clean to dirty
 *             (writeback:writeback_dirty_folio, where Netdata hooks
 *             account_page_dirtied)
 *
 * so misses never exceed accessed and hits = accessed - misses only grows.
 * The kprobe rung is Netdata's hooks for kernels that have them:
 * folio_mark_accessed/mark_page_accessed for accessed,
 * filemap_add_folio/add_to_page_cache_lru for insertions,
 * folio_account_dirtied/account_page_dirtied/__folio_mark_dirty for dirtied.
 */
#ifndef EBPFMON_CACHESTAT_BPF_H
#define EBPFMON_CACHESTAT_BPF_H

/* Files per thread whose unread insertions are remembered (direct-mapped by inode). */
#define CS_PENDING 4

/*
 * Per thread (task-local storage: memory follows the live threads that use
 * the page cache, nothing per CPU), written by the thread alone: plain adds.
 * Per thread rather than per process because the thread that reads is the
 * one whose readahead inserts (a page another thread brought in is a hit).
 * 88 bytes: with the 72-byte storage header, the 192-byte allocation class.
 */
struct cs_task {
	__u64 ino;  /* the file of the read call being counted */
	__u64 call; /* its id: the thread's syscr during the call */
	__u64 last; /* the last page index counted for it */
	__u64 pend_ino[CS_PENDING];
	__u64 pend[CS_PENDING]; /* pages inserted and not read yet */
};
_Static_assert(72 + sizeof(struct cs_task) <= 192, "a cs_task fits the 192-byte class");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cs_task);
} cachestat_tasks SEC(".maps");

/*
 * Pages of @folio: 1, or 2^order for a large folio (PG_head set). Two
 * versions: typed tracepoints read the folio directly (a plain load), the
 * others through bpf_probe_read_kernel() (measured here: 30 ns a call).
 */
static __always_inline __u64 cs_folio_pages_btf(struct folio *folio)
{
	/* flags is the folio's first word (unsigned long, or memdesc_flags_t since 6.18). */
	unsigned long flags = *(unsigned long *)folio;

	if (!(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 1;
	if (!bpf_core_field_exists(folio->_flags_1))
		return 1;
	return 1ULL << (folio->_flags_1 & 0xff);
}

static __always_inline __u64 cs_folio_pages(struct folio *folio)
{
	unsigned long flags = 0, f1 = 0;

	/* flags is the folio's first word (unsigned long, or memdesc_flags_t since 6.18). */
	bpf_probe_read_kernel(&flags, sizeof(flags), folio);
	if (!(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 1;
	if (!bpf_core_field_exists(folio->_flags_1))
		return 1;
	f1 = BPF_CORE_READ(folio, _flags_1);
	return 1ULL << (f1 & 0xff);
}

/* 0 for no mapping (tp_btf arguments may be NULL, and must be checked before use). */
static __always_inline __u64 cs_mapping_ino(struct address_space *mapping)
{
	if (!mapping)
		return 0;
	return BPF_CORE_READ(mapping, host, i_ino);
}

/* The same with plain loads, for typed tracepoints. */
static __always_inline __u64 cs_mapping_ino_btf(struct address_space *mapping)
{
	struct inode *host;

	if (!mapping)
		return 0;
	host = mapping->host;
	return host ? host->i_ino : 0;
}

static __always_inline struct cs_task *cs_state(struct task_struct *task)
{
	return bpf_task_storage_get(&cachestat_tasks, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/* The current thread brought @pages of file @ino into the page cache. */
static __noinline void cs_inserted(__u64 ino, __u64 pages)
{
	struct cs_task *p = cs_state(bpf_get_current_task_btf());
	__u32 i = ino % CS_PENDING;

	if (!p) {
		/* No memory for the state: count it as Netdata would, a miss. */
		acct_count_current(SL_CACHE_MISSES, pages);
		return;
	}
	if (p->pend_ino[i] != ino) {
		/* Another file's unread pages are forgotten: they become hits if read. */
		p->pend_ino[i] = ino;
		p->pend[i] = pages;
		return;
	}
	p->pend[i] += pages;
}

/* Take up to @want of the thread's pending insertions of @ino: the misses among @want pages. */
static __always_inline __u64 cs_take(struct cs_task *p, __u64 ino, __u64 want)
{
	__u32 i = ino % CS_PENDING;
	__u64 have, take;

	if (!p || p->pend_ino[i] != ino)
		return 0;
	have = p->pend[i];
	take = have < want ? have : want;
	p->pend[i] = have - take;
	return take;
}

/* @pages pages of @ino read by the thread whose state is @t: count them, with the misses among them. */
static __always_inline void cs_count_read(struct cs_task *t, __u64 ino, __u64 pages)
{
	__u64 misses;

	if (!pages)
		return;
	misses = cs_take(t, ino, pages);
	acct_count_current(SL_CACHE_ACCESSED, pages);
	if (misses)
		acct_count_current(SL_CACHE_MISSES, misses);
}

/* A read asks for pages [index, last] of @ino (mm_filemap_get_pages). */
static __noinline void cs_read_range(__u64 ino, __u64 index, __u64 last)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct cs_task *t = cs_state(task);
	__u64 call, lo = index;

	if (last < index)
		return;
	/* A call's own id: its syscr is the thread's count of read calls before it. */
	call = bpf_core_field_exists(task->ioac.syscr) ? task->ioac.syscr : bpf_ktime_get_ns();
	if (t) {
		if (t->ino == ino && t->call == call) {
			/* The same call again (its next batch): only pages beyond those counted. */
			if (lo <= t->last)
				lo = t->last + 1;
			if (last > t->last)
				t->last = last;
		} else {
			t->ino = ino;
			t->call = call;
			t->last = last;
		}
	}
	if (last >= lo)
		cs_count_read(t, ino, last - lo + 1);
}

/* @pages of @ino went from clean to dirty: a write's own insertions are not read misses. */
static __noinline void cs_dirtied(__u64 ino, __u64 pages)
{
	struct task_struct *task = bpf_get_current_task_btf();

	acct_count_current(SL_CACHE_DIRTIED, pages);
	cs_take(bpf_task_storage_get(&cachestat_tasks, task, NULL, 0), ino, pages);
}

/* ---- insertions --------------------------------------------------------- */

SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(cachestat_add_btf, struct folio *folio)
{
	cs_inserted(cs_mapping_ino_btf(folio->mapping), cs_folio_pages_btf(folio));
	return 0;
}

SEC("tracepoint/filemap/mm_filemap_add_to_page_cache")
int cachestat_add_tp(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	cs_inserted(ctx->i_ino, 1ULL << (ctx->order & 0x3f));
	return 0;
}

SEC("kprobe/filemap_add_folio")
int BPF_KPROBE(cachestat_kp_add_folio, struct address_space *mapping, struct folio *folio)
{
	cs_inserted(cs_mapping_ino(mapping), cs_folio_pages(folio));
	return 0;
}

SEC("kprobe/add_to_page_cache_lru")
int BPF_KPROBE(cachestat_kp_add_lru, struct page *page, struct address_space *mapping)
{
	cs_inserted(cs_mapping_ino(mapping), 1);
	return 0;
}

/* ---- reads -------------------------------------------------------------- */

SEC("tp_btf/mm_filemap_get_pages")
int BPF_PROG(cachestat_read_btf, struct address_space *mapping, unsigned long index,
	     unsigned long last_index)
{
	cs_read_range(cs_mapping_ino_btf(mapping), index, last_index);
	return 0;
}

SEC("tracepoint/filemap/mm_filemap_get_pages")
int cachestat_read_tp(struct trace_event_raw_mm_filemap_op_page_cache_range *ctx)
{
	cs_read_range(ctx->i_ino, ctx->index, ctx->last_index);
	return 0;
}

/* Netdata's rung: each folio a read (or a write to a cached page) marks accessed. */
static __always_inline void cs_accessed(struct folio *folio, __u64 pages)
{
	struct address_space *mapping = BPF_CORE_READ(folio, mapping);

	/* Anonymous folios (mapping tagged in bit 0) are not the page cache. */
	if (!mapping || ((unsigned long)mapping & 1))
		return;
	cs_count_read(cs_state(bpf_get_current_task_btf()), cs_mapping_ino(mapping), pages);
}

SEC("kprobe/folio_mark_accessed")
int BPF_KPROBE(cachestat_kp_accessed_folio, struct folio *folio)
{
	cs_accessed(folio, cs_folio_pages(folio));
	return 0;
}

/* Before folios, a page (its struct page starts like a folio). */
SEC("kprobe/mark_page_accessed")
int BPF_KPROBE(cachestat_kp_accessed_page, struct page *page)
{
	cs_accessed((struct folio *)page, 1);
	return 0;
}

/* ---- dirtying ----------------------------------------------------------- */

SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(cachestat_dirty_btf, struct folio *folio, struct address_space *mapping)
{
	cs_dirtied(cs_mapping_ino_btf(mapping), cs_folio_pages_btf(folio));
	return 0;
}

/* The classic event has no folio size: one page per folio. */
SEC("tracepoint/writeback/writeback_dirty_folio")
int cachestat_dirty_tp(struct trace_event_raw_writeback_folio_template *ctx)
{
	cs_dirtied(ctx->ino, 1);
	return 0;
}

SEC("kprobe/folio_account_dirtied")
int BPF_KPROBE(cachestat_kp_account_folio, struct folio *folio, struct address_space *mapping)
{
	cs_dirtied(cs_mapping_ino(mapping), cs_folio_pages(folio));
	return 0;
}

SEC("kprobe/account_page_dirtied")
int BPF_KPROBE(cachestat_kp_account_page, struct page *page, struct address_space *mapping)
{
	cs_dirtied(cs_mapping_ino(mapping), 1);
	return 0;
}

/* Where folio_account_dirtied() is inlined (6.18): the clean-to-dirty transition it runs in. */
SEC("kprobe/__folio_mark_dirty")
int BPF_KPROBE(cachestat_kp_mark_dirty, struct folio *folio, struct address_space *mapping)
{
	cs_dirtied(cs_mapping_ino(mapping), cs_folio_pages(folio));
	return 0;
}

#endif
