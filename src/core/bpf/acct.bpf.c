// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting core, kernel half (layout and design: core/acct.h).
 *
 * One object serves every counting module (process, fd, vfs): one program on
 * the raw sys_exit tracepoint for all of their syscalls (so an untraced
 * syscall pays for one program, not one per module), and one per-thread
 * record that all of them count into. What a module counts for a syscall is
 * data (the `syscalls` table, filled by user space from the modules' rules),
 * not code.
 *
 * Hooks, each with its ladder (user space picks the rung, core/accounting.c):
 *   syscall results  tp_btf/sys_exit > syscalls:sys_exit_<name> > kretsyscall
 *   create requests  (read at sys_exit) > syscalls:sys_enter_<name> > ksyscall
 *   task creation    tp_btf/task_newtask > task:task_newtask
 *   thread exit      tp_btf/sched_process_exit > sched:sched_process_exit
 *   task freed       tp_btf/sched_process_free > sched:sched_process_free
 *                    (the classic one has no task pointer: released counts
 *                    for the host only)
 *   rename           tp_btf/task_rename (light mode: splits I/O accounting)
 *   cgroup removal   tp_btf/cgroup_rmdir (names short-lived cgroups)
 *   reading          iter/bpf_map_elem on the dirty set (records that
 *                    counted), iter/task (every task: records, zombies;
 *                    light mode's baseline)
 */
#include "vmlinux.h"
#include <asm/unistd.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core/acct.h"

char LICENSE[] SEC("license") = "GPL";

#ifndef EEXIST
#define EEXIST 17 /* errno values are not in vmlinux.h */
#endif
#define CLONE_THREAD_FLAG 0x00010000
#define O_CREAT_FLAG 0100 /* octal, as in the uapi headers of every arch we build for */
#define PF_KTHREAD_FLAG 0x00200000

/* Set by user space before load; the verifier drops what they switch off. */
const volatile bool track_apps = true;
const volatile bool track_cgroups = false;
const volatile bool count_errors = true;
const volatile bool count_process = true; /* the process module's created/exits/released */
const volatile bool light_mode = false;	  /* no syscall hooks: I/O from task->ioac */

/* Light mode: tasks started before this (CLOCK_MONOTONIC ns) got their baseline from the seed. */
__u64 attach_ns;
/* Written by iter_live for the collection that runs it (user space zeroes them). */
__u64 iter_zombies;
__u64 iter_records;
/*
 * The collection round (user space steps it before reading the dirty set):
 * a record that counts puts itself in the set once per round.
 */
__u32 cur_round;
/* Set when the dirty set or the folds ring buffer was full: user space walks every task. */
__u32 resync;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct acct_rec);
} records SEC(".maps");

/*
 * Per thread that made a TCP or UDP send or receive (the socket module): its
 * counts since its record last folded, an extension of the record (same
 * owner, same folds), so a send costs plain adds. Made on first use.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_rec);
} sock_recs SEC(".maps");

/* Set by user space before load: the socket module runs (it keeps sock_recs). */
const volatile bool sock_on = false;

/* max_entries is `pid table size`, set before load. Entries come and go with epochs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 32768);
	__type(key, struct acct_key);
	__type(value, struct acct_epoch);
} epochs SEC(".maps");

/* max_entries is `cgroup table size`. User space deletes removed cgroups. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct acct_counts);
} cgroups SEC(".maps");

struct percpu_counts {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct acct_counts);
};

/* Counts that left the records (host = host + live records). */
struct percpu_counts host SEC(".maps");
/* Of those, the ones that had no epoch to go to. */
struct percpu_counts unattributed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct acct_lost);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ACCT_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct acct_syscall);
} syscalls SEC(".maps");

/* Retired epochs' totals. When full, user space retires epochs from the table instead. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} retired SEC(".maps");

/*
 * Counts that come after their epoch retired (releases: a task is freed an
 * RCU grace period after its exit). When full, they count for the host
 * only, as unattributed.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} late SEC(".maps");

/* Threads whose record changed since user space last read it (value: the round). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 32768);
	__type(key, struct acct_tid);
	__type(value, __u32);
} dirty SEC(".maps");

/* Records whose counts moved to the tables: user space drops its copy (when full: a resync). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 << 10);
} folds SEC(".maps");

/* Paths of removed cgroups: a cgroup that lived less than a collection has no other. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} cgroups_gone SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct acct_gens);
} gens SEC(".maps");

/* Map values to initialise new entries from (the stack is too small to spare). */
const struct acct_epoch epoch_joined = { .refs = 1 };
const struct acct_counts zero_counts;

static __always_inline void *percpu(void *map)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(map, &zero);
}

/*
 * Per-CPU slots take atomic adds too: on a preemptible kernel a program can
 * be preempted, or interrupted by another, between the load and the store.
 */
#define LOST(field)                                                 \
	do {                                                        \
		struct acct_lost *l_ = percpu(&lost);               \
		if (l_)                                             \
			__sync_fetch_and_add(&l_->field, 1);        \
	} while (0)

/* After a change to the epochs table: user space reads it again. */
static __always_inline void epochs_changed(void)
{
	struct acct_gens *g = percpu(&gens);

	if (g)
		__sync_fetch_and_add(&g->epochs, 1);
}

/* The key of @task's epoch as it is now: its process, under the leader's current name. */
static __always_inline void key_of(struct task_struct *task, struct acct_key *k)
{
	struct task_struct *leader = task->group_leader;

	k->start_ns = leader->start_time;
	k->tgid = task->tgid;
	k->zero = 0;
	*(__u64 *)&k->comm[0] = *(const __u64 *)&leader->comm[0];
	*(__u64 *)&k->comm[8] = *(const __u64 *)&leader->comm[8];
}

/* Whether the process was renamed (exec, prctl) since @r's counts began. */
static __always_inline bool renamed(const struct acct_rec *r, struct task_struct *task)
{
	struct task_struct *leader = task->group_leader;

	return *(const __u64 *)&r->key.comm[0] != *(const __u64 *)&leader->comm[0] ||
	       *(const __u64 *)&r->key.comm[8] != *(const __u64 *)&leader->comm[8];
}

static __always_inline __u64 cgroup_of(struct task_struct *task)
{
	return task->cgroups->dfl_cgrp->kn->id;
}

static __always_inline bool same_key(const struct acct_key *a, const struct acct_key *b)
{
	return a->start_ns == b->start_ns && a->tgid == b->tgid &&
	       *(const __u64 *)&a->comm[0] == *(const __u64 *)&b->comm[0] &&
	       *(const __u64 *)&a->comm[8] == *(const __u64 *)&b->comm[8];
}

/* Light mode: the kernel's own I/O accounting of @task for an I/O slot, else 0. */
static __always_inline __u64 ioac_of(struct task_struct *task, int slot)
{
	switch (slot) {
	case SL_READ_CALLS:
		return task->ioac.syscr;
	case SL_READ_BYTES:
		return task->ioac.rchar;
	case SL_WRITE_CALLS:
		return task->ioac.syscw;
	case SL_WRITE_BYTES:
		return task->ioac.wchar;
	}
	return 0;
}

static __always_inline bool io_slot(int slot)
{
	return slot == SL_READ_CALLS || slot == SL_READ_BYTES || slot == SL_WRITE_CALLS ||
	       slot == SL_WRITE_BYTES;
}

static __always_inline struct acct_counts *cgroup_counts(__u64 cgid)
{
	struct acct_counts *g = bpf_map_lookup_elem(&cgroups, &cgid);
	long err;

	if (g)
		return g;
	err = bpf_map_update_elem(&cgroups, &cgid, &zero_counts, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		LOST(cgroup_table_full);
		return NULL;
	}
	return bpf_map_lookup_elem(&cgroups, &cgid);
}

/*
 * Take a reference on epoch @k, creating it. -1 when there is no room (the
 * counts then go to the host only). An epoch at -1 is being retired by the
 * thread that dropped its last reference, which deletes it right after; a
 * joiner waits for that by retrying. When the retiring thread was preempted
 * in between (a loaded machine), waiting could last: the joiner then starts
 * the next generation of the epoch (k->zero, which the caller's record
 * keeps), a separate entry that user space adds to the same process and
 * application.
 */
static __noinline int join(struct acct_key *k)
{
	for (int gen = 0; gen < ACCT_EPOCH_GENERATIONS; gen++) {
		bool retiring = false;

		for (int i = 0; i < 16; i++) {
			struct acct_epoch *e = bpf_map_lookup_elem(&epochs, k);
			__s64 refs;
			long err;

			if (!e) {
				err = bpf_map_update_elem(&epochs, k, &epoch_joined, BPF_NOEXIST);
				if (!err) {
					epochs_changed();
					return 0;
				}
				if (err != -EEXIST) {
					LOST(epoch_table_full);
					return -1;
				}
				continue;
			}
			refs = e->refs;
			if (refs < 0) {
				retiring = true;
				continue;
			}
			if (__sync_val_compare_and_swap(&e->refs, refs, refs + 1) == refs) {
				epochs_changed();
				return 0;
			}
		}
		if (!retiring)
			break;
		k->zero++;
	}
	LOST(join_raced);
	return -1;
}

/* A reference on epoch @k if it exists and is not being retired; -1 otherwise. */
static __noinline int join_existing(const struct acct_key *k)
{
	struct acct_epoch *e = bpf_map_lookup_elem(&epochs, k);
	__s64 refs;

	for (int i = 0; e && i < 4; i++) {
		refs = e->refs;
		if (refs < 0)
			return -1;
		if (__sync_val_compare_and_swap(&e->refs, refs, refs + 1) == refs) {
			epochs_changed();
			return 0;
		}
	}
	return -1;
}

/*
 * Drop a reference on epoch @k. The last one retires it: nothing can count
 * into it any more, so its totals go to user space and the entry goes.
 */
static __noinline void leave(const struct acct_key *k)
{
	struct acct_epoch *e = bpf_map_lookup_elem(&epochs, k);
	struct acct_retired *ev;

	if (!e)
		return;
	if (__sync_fetch_and_add(&e->refs, -1) != 1)
		goto out;
	/* A thread may join between the decrement and here: then it is not over. */
	if (__sync_val_compare_and_swap(&e->refs, 0, -1) != 0)
		goto out;
	ev = bpf_ringbuf_reserve(&retired, sizeof(*ev), 0);
	if (!ev) {
		LOST(ringbuf_full);
		__sync_fetch_and_or(&e->flags, ACCT_EPOCH_RETIRE_BY_USER);
		goto out;
	}
	__builtin_memcpy(&ev->key, k, sizeof(ev->key));
	__builtin_memcpy(ev->c, e->c, sizeof(ev->c));
	bpf_ringbuf_submit(ev, 0);
	bpf_map_delete_elem(&epochs, k);
out:
	epochs_changed();
}

static __always_inline void tid_of(struct task_struct *task, struct acct_tid *id)
{
	id->tid = task->pid;
	id->zero = 0;
	id->start_ns = task->start_time;
}

/* @r counted: once per round, tell user space to read it again. */
static __noinline void mark_dirty(struct acct_rec *r, struct task_struct *task)
{
	__u32 round = cur_round;
	struct acct_tid id;
	struct acct_gens *g;

	r->round = round;
	tid_of(task, &id);
	if (bpf_map_update_elem(&dirty, &id, &round, BPF_ANY))
		resync = 1;
	g = percpu(&gens);
	if (g)
		__sync_fetch_and_add(&g->dirty, 1);
}

/* socket.bpf.h: move @task's socket record to the socket tables, under @r's key. */
static __noinline void sock_rec_fold(struct acct_rec *r, struct task_struct *task);
/* socket.bpf.h: accept(2) returned @fd. */
static __noinline void sock_accepted(long fd);

/*
 * Move @r's counts to the tables: its epoch (or `unattributed`), its cgroup,
 * the host. With @reset the record starts again from zero (in light mode
 * from the task's current I/O accounting). The caller made r->seq odd.
 */
static __noinline void fold(struct acct_rec *r, struct task_struct *task, bool reset)
{
	struct acct_counts *h = percpu(&host), *u = NULL, *g = NULL;
	struct acct_epoch *e = NULL;
	struct acct_fold *ev;

	/* Light mode rereads every record each round: nothing to tell. */
	if (!light_mode) {
		ev = bpf_ringbuf_reserve(&folds, sizeof(*ev), 0);
		if (ev) {
			tid_of(task, &ev->id);
			ev->seq = r->seq;
			ev->pad = 0;
			bpf_ringbuf_submit(ev, 0);
		} else {
			resync = 1;
		}
	}

	if (r->key.tgid)
		e = bpf_map_lookup_elem(&epochs, &r->key);
	if (!e)
		u = percpu(&unattributed);
	if (track_cgroups && r->cgid)
		g = cgroup_counts(r->cgid);
	for (int i = 0; i < ACCT_REC_SLOTS; i++) {
		__u64 now = light_mode && io_slot(i) ? ioac_of(task, i) : 0;
		__u64 v = r->c[i] + now;

		if (v) {
			if (h)
				__sync_fetch_and_add(&h->c[i], v);
			if (e)
				__sync_fetch_and_add(&e->c[i], v);
			else if (u)
				__sync_fetch_and_add(&u->c[i], v);
			if (g)
				__sync_fetch_and_add(&g->c[i], v);
		}
		if (reset)
			r->c[i] = -now;
	}
	if (e)
		epochs_changed();
	if (sock_on)
		sock_rec_fold(r, task);
}

/* Fold @r and start it again under @task's current name and cgroup. */
static __noinline void rekey(struct acct_rec *r, struct task_struct *task)
{
	struct acct_key old;

	__sync_fetch_and_add(&r->seq, 1); /* odd: the iterator skips the record */
	fold(r, task, true);
	if (track_apps) {
		__builtin_memcpy(&old, &r->key, sizeof(old));
		key_of(task, &r->key);
		if (!same_key(&old, &r->key)) {
			if (r->flags & ACCT_REC_JOINED)
				leave(&old);
			r->flags &= ~ACCT_REC_JOINED;
			if (join(&r->key))
				r->key.tgid = 0;
			else
				r->flags |= ACCT_REC_JOINED;
		}
	}
	if (track_cgroups)
		r->cgid = cgroup_of(task);
	__sync_fetch_and_add(&r->seq, 1);
}

/* A new record for @task: joins its epoch; in light mode, takes the I/O baseline. */
static __noinline struct acct_rec *record_new(struct task_struct *task)
{
	struct acct_rec init = {}, *r;

	if (track_apps) {
		key_of(task, &init.key);
		if (join(&init.key))
			init.key.tgid = 0;
		else
			init.flags = ACCT_REC_JOINED;
	}
	if (track_cgroups)
		init.cgid = cgroup_of(task);
	/*
	 * A task started after attach began its I/O accounting at zero with
	 * us; an older one is counted from now on.
	 */
	if (light_mode && task->start_time < attach_ns) {
		init.c[SL_READ_CALLS] = -task->ioac.syscr;
		init.c[SL_READ_BYTES] = -task->ioac.rchar;
		init.c[SL_WRITE_CALLS] = -task->ioac.syscw;
		init.c[SL_WRITE_BYTES] = -task->ioac.wchar;
	}
	r = bpf_task_storage_get(&records, task, &init, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (r)
		return r;
	/* Made at the same time by someone else (the seed), or no memory. */
	if (init.flags & ACCT_REC_JOINED)
		leave(&init.key);
	r = bpf_task_storage_get(&records, task, NULL, 0);
	if (!r)
		LOST(record_failed);
	return r;
}

/* The record of @task (current), ready to count into; NULL when none can be made. */
static __always_inline struct acct_rec *record_of(struct task_struct *task)
{
	struct acct_rec *r = bpf_task_storage_get(&records, task, NULL, 0);

	if (!r)
		return record_new(task);
	if ((track_apps && renamed(r, task)) || (track_cgroups && r->cgid != cgroup_of(task)))
		rekey(r, task);
	return r;
}

/*
 * A count made for the process rather than by a thread: created, exits,
 * released, and the process slots (sync, mount, ...), @v at a time.
 */
static __noinline void count_direct_n(struct acct_rec *r, __u32 slot, __u64 v)
{
	struct acct_counts *h = percpu(&host), *g = NULL;
	struct acct_epoch *e = NULL;

	if (slot >= ACCT_SLOTS)
		return;
	if (h)
		__sync_fetch_and_add(&h->c[slot], v);
	if (r && r->key.tgid)
		e = bpf_map_lookup_elem(&epochs, &r->key);
	if (e) {
		__sync_fetch_and_add(&e->c[slot], v);
		epochs_changed();
	} else {
		struct acct_counts *u = percpu(&unattributed);

		if (u)
			__sync_fetch_and_add(&u->c[slot], v);
	}
	if (track_cgroups && r && r->cgid)
		g = cgroup_counts(r->cgid);
	if (g)
		__sync_fetch_and_add(&g->c[slot], v);
}

static __always_inline void count_direct(struct acct_rec *r, __u32 slot)
{
	count_direct_n(r, slot, 1);
}

/*
 * For the modules whose kernel half lives in their own folder and is
 * included at the end of this file (cachestat, swap): count @v into process
 * slot @slot for the current task's process, its cgroup and the host.
 */
static __noinline void acct_count_current(__u32 slot, __u64 v)
{
	count_direct_n(record_of(bpf_get_current_task_btf()), slot, v);
}

/*
 * The same for another task (an OOM victim). Its record is made if it has
 * none; one it has is not re-keyed from here (only the thread itself
 * changes its record's key), so a rename since its last count is missed.
 */
static __noinline void acct_count_task(struct task_struct *task, __u32 slot, __u64 v)
{
	struct acct_rec *r = bpf_task_storage_get(&records, task, NULL, 0);

	if (!r)
		r = record_new(task);
	count_direct_n(r, slot, v);
}

/* A count for an epoch that has retired: to user space on its own, else unattributed. */
static __noinline void count_late(struct acct_rec *r, __u32 slot)
{
	struct acct_counts *h = percpu(&host), *u, *g;
	struct acct_late *ev;

	if (slot >= ACCT_SLOTS)
		return;
	if (h)
		__sync_fetch_and_add(&h->c[slot], 1);
	ev = bpf_ringbuf_reserve(&late, sizeof(*ev), 0);
	if (ev) {
		__builtin_memcpy(&ev->key, &r->key, sizeof(ev->key));
		ev->slot = slot;
		ev->pad = 0;
		ev->v = 1;
		bpf_ringbuf_submit(ev, 0);
	} else {
		LOST(ringbuf_full);
		u = percpu(&unattributed);
		if (u)
			__sync_fetch_and_add(&u->c[slot], 1);
	}
	if (track_cgroups && r->cgid && (g = cgroup_counts(r->cgid)))
		__sync_fetch_and_add(&g->c[slot], 1);
}

/* ---- syscalls ------------------------------------------------------------ */

/* A record slot takes a plain add (the thread's own); a process slot goes to the tables. */
static __always_inline void add_slot(struct acct_rec *r, __u8 slot, __u64 v)
{
	if (slot < ACCT_REC_SLOTS)
		r->c[slot] += v;
	else if (slot < ACCT_SLOTS)
		count_direct_n(r, slot, v);
}

/* No record (out of memory, or nested): host totals, as unattributed. */
static __always_inline void add_unrecorded(__u8 slot, __u64 v)
{
	struct acct_counts *h = percpu(&host), *u = percpu(&unattributed);

	if (slot >= ACCT_SLOTS || !v)
		return;
	if (h)
		__sync_fetch_and_add(&h->c[slot], v);
	if (u)
		__sync_fetch_and_add(&u->c[slot], v);
}

static __noinline void count_unrecorded(const struct acct_syscall *sc, long ret, bool at_exit,
					bool create)
{
	for (int i = 0; i < ACCT_MAX_RULES; i++) {
		const struct acct_rule *rule = &sc->rule[i];

		if (i >= sc->nr_rules)
			break;
		if (create)
			add_unrecorded(rule->create, 1);
		if (!at_exit)
			continue;
		add_unrecorded(rule->calls, 1);
		if (ret < 0 && count_errors)
			add_unrecorded(rule->errors, 1);
		else if (ret > 0)
			add_unrecorded(rule->bytes, ret);
	}
}

/*
 * Count one syscall of the current task by the rules of @sc: its result @ret
 * at exit (@at_exit), and @create (an O_CREAT request) at exit or entry.
 */
static __always_inline void count_syscall(const struct acct_syscall *sc, long ret, bool at_exit,
					  bool create)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct acct_rec *r = record_of(task);

	if (!r) {
		count_unrecorded(sc, ret, at_exit, create);
		return;
	}
	for (int i = 0; i < ACCT_MAX_RULES; i++) {
		const struct acct_rule *rule = &sc->rule[i];

		if (i >= sc->nr_rules)
			break;
		if (create)
			add_slot(r, rule->create, 1);
		if (!at_exit)
			continue;
		add_slot(r, rule->calls, 1);
		if (ret < 0) {
			if (count_errors)
				add_slot(r, rule->errors, 1);
		} else if (ret > 0) {
			add_slot(r, rule->bytes, ret);
		}
	}
	/* After the counts: a round that saw this check also sees them. */
	if (r->round != cur_round)
		mark_dirty(r, task);
}

static __always_inline const struct acct_syscall *syscall_rules(__u32 nr, __u8 rung)
{
	const struct acct_syscall *sc = bpf_map_lookup_elem(&syscalls, &nr);

	return sc && sc->rung == rung ? sc : NULL;
}

/* Whether open flags @flags (or the open_how at user address @how) ask for O_CREAT. */
static __always_inline bool wants_create(__u8 flags_arg, __u64 flags, __u64 how)
{
	struct open_how h = {};

	switch (flags_arg) {
	case ACCT_FLAGS_ALWAYS:
		return true;
	case ACCT_FLAGS_ARG1:
	case ACCT_FLAGS_ARG2:
		return flags & O_CREAT_FLAG;
	case ACCT_FLAGS_OPENAT2:
		return bpf_probe_read_user(&h, sizeof(h.flags), (void *)how) == 0 &&
		       (h.flags & O_CREAT_FLAG);
	}
	return false;
}

/* The syscall number and arguments, in the registers saved at entry. */
#if defined(__TARGET_ARCH_x86)
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#define SYSCALL_ARG1(regs) ((regs)->si)
#define SYSCALL_ARG2(regs) ((regs)->dx)
/* An ia32 syscall (int $0x80) numbers its calls differently (TS_COMPAT, cleared on return). */
#define COMPAT_SYSCALL(task) ((task)->thread_info.status & 0x0002)
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) ((regs)->syscallno)
#define SYSCALL_ARG1(regs) ((regs)->regs[1])
#define SYSCALL_ARG2(regs) ((regs)->regs[2])
#define COMPAT_SYSCALL(task) ((task)->thread_info.flags & (1UL << 22)) /* TIF_32BIT */
#else
#error "add this architecture's syscall registers"
#endif

/*
 * Rung 1: every syscall's exit. The number picks the rules; a syscall no
 * module counts costs this lookup only. 32-bit compat syscalls are skipped,
 * as the kernel's own per-syscall events skip them.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	const struct acct_syscall *sc = syscall_rules(SYSCALL_NR(regs), ACCT_RUNG_BTF);
	__u64 flags;

	if (!sc || COMPAT_SYSCALL(bpf_get_current_task_btf()))
		return 0;
	if (sc->action == ACCT_ACTION_ACCEPT && sock_on)
		sock_accepted(ret);
	if (!sc->nr_rules)
		return 0;
	flags = sc->flags_arg == ACCT_FLAGS_ARG1 ? SYSCALL_ARG1(regs) : SYSCALL_ARG2(regs);
	count_syscall(sc, ret, true,
		      sc->flags_arg && wants_create(sc->flags_arg, flags, SYSCALL_ARG2(regs)));
	return 0;
}

/* Rungs 2 and 3 have one program per syscall: at its exit, the result. */
static __always_inline void rung_exit(__u32 nr, __u8 rung, long ret)
{
	const struct acct_syscall *sc = syscall_rules(nr, rung);

	if (sc)
		count_syscall(sc, ret, true, false);
}

/*
 * ... and at its entry, a create request: @arg1 and @arg2 are the syscall's
 * second and third arguments, where the rules say the open flags are.
 */
static __always_inline void rung_enter(__u32 nr, __u8 rung, __u64 arg1, __u64 arg2)
{
	const struct acct_syscall *sc = syscall_rules(nr, rung);

	if (sc && sc->flags_arg &&
	    wants_create(sc->flags_arg, sc->flags_arg == ACCT_FLAGS_ARG1 ? arg1 : arg2, arg2))
		count_syscall(sc, 0, false, true);
}

/*
 * Rung 2: the classic per-syscall tracepoints; the event carries the number.
 * A classic program may not read past its event's record (attach fails with
 * EACCES): creat(2) has two arguments, the open family at least three.
 */
#define CLASSIC_EXIT(name)                                                 \
	SEC("tracepoint/syscalls/sys_exit_" #name)                         \
	int tp_exit_##name(struct trace_event_raw_sys_exit *ctx)           \
	{                                                                  \
		rung_exit(ctx->id, ACCT_RUNG_CLASSIC, ctx->ret);           \
		return 0;                                                  \
	}

#define CLASSIC_ENTER(name)                                                \
	SEC("tracepoint/syscalls/sys_enter_" #name)                        \
	int tp_enter_##name(struct trace_event_raw_sys_enter *ctx)         \
	{                                                                  \
		rung_enter(ctx->id, ACCT_RUNG_CLASSIC, ctx->args[1], ctx->args[2]); \
		return 0;                                                  \
	}

#define CLASSIC_ENTER_NO_FLAGS(name)                                       \
	SEC("tracepoint/syscalls/sys_enter_" #name)                        \
	int tp_enter_##name(struct trace_event_raw_sys_enter *ctx)         \
	{                                                                  \
		rung_enter(ctx->id, ACCT_RUNG_CLASSIC, 0, 0);              \
		return 0;                                                  \
	}

/*
 * Rung 3: kprobes on the syscall entry points themselves (libbpf resolves
 * the arch wrapper, e.g. __x64_sys_read), for kernels without syscall
 * tracepoints. They only see native syscalls, like the other rungs.
 */
#define KPROBE_EXIT(name)                                                  \
	SEC("kretsyscall/" #name)                                          \
	int BPF_KRETPROBE(kp_exit_##name, long ret)                        \
	{                                                                  \
		rung_exit(__NR_##name, ACCT_RUNG_KPROBE, ret);             \
		return 0;                                                  \
	}

#define SYSCALL_RUNGS(name) CLASSIC_EXIT(name) KPROBE_EXIT(name)

SYSCALL_RUNGS(read)
SYSCALL_RUNGS(readv)
SYSCALL_RUNGS(pread64)
SYSCALL_RUNGS(preadv)
SYSCALL_RUNGS(preadv2)
SYSCALL_RUNGS(write)
SYSCALL_RUNGS(writev)
SYSCALL_RUNGS(pwrite64)
SYSCALL_RUNGS(pwritev)
SYSCALL_RUNGS(pwritev2)
SYSCALL_RUNGS(openat)
SYSCALL_RUNGS(openat2)
SYSCALL_RUNGS(close)
SYSCALL_RUNGS(unlinkat)
SYSCALL_RUNGS(fsync)
SYSCALL_RUNGS(fdatasync)
SYSCALL_RUNGS(clone)
SYSCALL_RUNGS(clone3)
/* sync module (fsync and fdatasync are above) */
SYSCALL_RUNGS(sync)
SYSCALL_RUNGS(syncfs)
SYSCALL_RUNGS(msync)
SYSCALL_RUNGS(sync_file_range)
/* shm module */
SYSCALL_RUNGS(shmget)
SYSCALL_RUNGS(shmat)
SYSCALL_RUNGS(shmdt)
SYSCALL_RUNGS(shmctl)
/* mount module: mount(2), umount2(2) and the new mount API */
SYSCALL_RUNGS(mount)
SYSCALL_RUNGS(fsopen)
SYSCALL_RUNGS(fsmount)
SYSCALL_RUNGS(fspick)
SYSCALL_RUNGS(move_mount)
SYSCALL_RUNGS(open_tree)
SYSCALL_RUNGS(mount_setattr)
/* umount2's tracepoints are named sys_*_umount; the event carries __NR_umount2. */
CLASSIC_EXIT(umount)

SEC("kretsyscall/umount2")
int BPF_KRETPROBE(kp_exit_umount2, long ret)
{
	rung_exit(__NR_umount2, ACCT_RUNG_KPROBE, ret);
	return 0;
}
CLASSIC_ENTER(openat)
CLASSIC_ENTER(openat2)

SEC("ksyscall/openat")
int BPF_KSYSCALL(kp_enter_openat, int dfd, const char *path, int flags)
{
	rung_enter(__NR_openat, ACCT_RUNG_KPROBE, 0, flags);
	return 0;
}

SEC("ksyscall/openat2")
int BPF_KSYSCALL(kp_enter_openat2, int dfd, const char *path, struct open_how *how)
{
	rung_enter(__NR_openat2, ACCT_RUNG_KPROBE, 0, (__u64)how);
	return 0;
}

/* Not on every architecture (arm64 has only the *at forms and clone). */
#ifdef __NR_open
SYSCALL_RUNGS(open)
SYSCALL_RUNGS(creat)
SYSCALL_RUNGS(unlink)
SYSCALL_RUNGS(fork)
SYSCALL_RUNGS(vfork)
CLASSIC_ENTER(open)
CLASSIC_ENTER_NO_FLAGS(creat)

SEC("ksyscall/open")
int BPF_KSYSCALL(kp_enter_open, const char *path, int flags)
{
	rung_enter(__NR_open, ACCT_RUNG_KPROBE, flags, 0);
	return 0;
}

SEC("ksyscall/creat")
int BPF_KSYSCALL(kp_enter_creat, const char *path)
{
	rung_enter(__NR_creat, ACCT_RUNG_KPROBE, 0, 0);
	return 0;
}
#endif

/* ---- task lifecycle ---------------------------------------------------- */

static __always_inline void on_newtask(__u64 clone_flags)
{
	struct task_struct *parent = bpf_get_current_task_btf();

	if (count_process)
		count_direct(record_of(parent),
			     clone_flags & CLONE_THREAD_FLAG ? SL_THREADS_CREATED : SL_CREATED);
}

/* Creation counts for the creating process (current), whose record the child does not share. */
SEC("tp_btf/task_newtask")
int BPF_PROG(newtask_btf, struct task_struct *task, __u64 clone_flags)
{
	on_newtask(clone_flags);
	return 0;
}

/* Classic layout of task:task_newtask (see its format file). */
struct newtask_args {
	__u64 common;
	int pid;
	char comm[16];
	__u64 clone_flags;
};

SEC("tracepoint/task/task_newtask")
int newtask_tp(struct newtask_args *ctx)
{
	on_newtask(ctx->clone_flags);
	return 0;
}

/*
 * A thread exits: count it, move its record's counts out for good (the
 * record stays, odd, so the iterators skip it, until the task is freed) and
 * leave its epoch.
 */
static __always_inline void on_exit(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct acct_rec *r;

	if (track_apps || track_cgroups || light_mode)
		r = record_of(task);
	else
		r = bpf_task_storage_get(&records, task, NULL, 0);
	if (count_process)
		count_direct(r, SL_EXITS);
	if (!r)
		return;
	__sync_fetch_and_add(&r->seq, 1);
	fold(r, task, false);
	/*
	 * References drop at exit, not when the task is freed: this kernel does
	 * not emit sched_process_free for every task (under parallel exits a few
	 * in ten thousand are freed without it, measured), and an epoch must not
	 * wait for an event that may never come.
	 */
	if (r->flags & ACCT_REC_JOINED) {
		r->flags &= ~ACCT_REC_JOINED;
		leave(&r->key);
	}
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf)
{
	on_exit();
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int exit_tp(void *ctx)
{
	on_exit();
	return 0;
}

/*
 * The task is freed (after release_task and an RCU grace period): count the
 * release for its epoch. The task left the epoch at exit, which may be
 * retired since: joining for the count re-creates it then, and leaving
 * hands the one count to user space as a retired epoch of its own.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(free_btf, struct task_struct *task)
{
	struct acct_rec *r = bpf_task_storage_get(&records, task, NULL, 0);
	struct acct_key k;

	if (!count_process)
		return 0;
	if (!r || !r->key.tgid) {
		count_direct(NULL, SL_RELEASED);
		return 0;
	}
	__builtin_memcpy(&k, &r->key, sizeof(k));
	if (!join_existing(&k)) {
		count_direct(r, SL_RELEASED);
		leave(&k);
		return 0;
	}
	/* The epoch retired (its threads all exited): the release goes on its own. */
	count_late(r, SL_RELEASED);
	return 0;
}

/* Only a thread id here, no task: the release counts for the host alone. */
SEC("tracepoint/sched/sched_process_free")
int free_tp(void *ctx)
{
	if (count_process)
		count_direct(NULL, SL_RELEASED);
	return 0;
}

/*
 * Light mode has no per-syscall check of the name: a process that renames
 * itself (exec, prctl) folds what it did so far under the old name here,
 * before the name changes. A thread renaming itself does not rename its
 * process; a rename through /proc/PID/comm (another task) is caught at the
 * next fold.
 */
SEC("tp_btf/task_rename")
int BPF_PROG(rename_btf, struct task_struct *task, const char *comm)
{
	struct task_struct *current = bpf_get_current_task_btf();
	struct acct_rec *r;
	struct acct_key k;

	if ((unsigned long)task != (unsigned long)current || task->pid != task->tgid)
		return 0;
	r = record_of(task);
	if (!r)
		return 0;
	__sync_fetch_and_add(&r->seq, 1);
	fold(r, task, true);
	if (track_apps && r->key.tgid) {
		__builtin_memcpy(&k, &r->key, sizeof(k));
		k.zero = 0; /* a new name starts at generation 0 */
		__builtin_memset(k.comm, 0, sizeof(k.comm));
		bpf_probe_read_kernel_str(k.comm, sizeof(k.comm), comm);
		if (!same_key(&k, &r->key)) {
			if (r->flags & ACCT_REC_JOINED)
				leave(&r->key);
			r->flags &= ~ACCT_REC_JOINED;
			__builtin_memcpy(&r->key, &k, sizeof(k));
			if (join(&r->key))
				r->key.tgid = 0;
			else
				r->flags |= ACCT_REC_JOINED;
		}
	}
	__sync_fetch_and_add(&r->seq, 1);
	return 0;
}

/* A cgroup v2 directory (hierarchy 0) is removed: keep its path for its row. */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir_btf, struct cgroup *cgrp, const char *path)
{
	struct acct_cgroup_gone *ev;

	if (!track_cgroups || cgrp->root->hierarchy_id != 0)
		return 0;
	ev = bpf_ringbuf_reserve(&cgroups_gone, sizeof(*ev), 0);
	if (!ev)
		return 0; /* the row keeps its id for a name: nothing is lost but a label */
	ev->id = cgrp->kn->id;
	bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), path);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

/*
 * Every live record, for one collection, and the zombies. A record whose
 * counts are moving out (odd seq, or seq changed while copied) is skipped:
 * they are in a table a moment later, and user space reads the tables first.
 */
/*
 * Copy @r into @out, unless its counts are moving out (odd seq, or seq
 * changed during the copy): they are in a table a moment later.
 */
static __always_inline bool copy_record(struct acct_rec *r, struct task_struct *task,
					struct acct_live *out)
{
	__u32 s1 = __sync_fetch_and_add(&r->seq, 0), s2;
	struct sock_rec *sr = sock_on ? bpf_task_storage_get(&sock_recs, task, NULL, 0) : NULL;

	if (s1 & 1)
		return false;
	__builtin_memcpy(&out->key, &r->key, sizeof(out->key));
	out->cgid = r->cgid;
	__builtin_memcpy(out->c, r->c, sizeof(out->c));
	/* Folded with the record (seq odd meanwhile): the same seq covers both. */
	if (sr)
		__builtin_memcpy(out->sc, sr->c, sizeof(out->sc));
	else
		__builtin_memset(out->sc, 0, sizeof(out->sc));
	s2 = __sync_fetch_and_add(&r->seq, 0);
	out->seq = s1;
	out->pad = 0;
	return s1 == s2;
}

SEC("iter/task")
int iter_live(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct acct_live out;
	struct acct_rec *r;
	bool any = false;

	if (!task)
		return 0;
	if (task->exit_state == ACCT_EXIT_ZOMBIE)
		iter_zombies++;
	r = bpf_task_storage_get(&records, task, NULL, 0);
	if (!r) {
		/* Light mode: a task younger than the agent need not have a record. */
		if (!light_mode || (task->flags & PF_KTHREAD_FLAG) || task->start_time < attach_ns)
			return 0;
		__builtin_memset(&out, 0, sizeof(out));
		if (track_apps)
			key_of(task, &out.key);
		if (track_cgroups)
			out.cgid = cgroup_of(task);
	} else {
		iter_records++;
		if (!copy_record(r, task, &out))
			return 0;
	}
	tid_of(task, &out.id);
	for (int i = 0; i < ACCT_REC_SLOTS; i++) {
		if (light_mode && io_slot(i))
			out.c[i] += ioac_of(task, i);
		any |= out.c[i] != 0;
	}
	for (int i = 0; i < SOCK_REC_SLOTS; i++)
		any |= out.sc[i] != 0;
	if (any)
		bpf_seq_write(ctx->meta->seq, &out, sizeof(out));
	return 0;
}

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

/* The records of the dirty set's threads (user space empties the set after). */
SEC("iter/bpf_map_elem")
int iter_dirty(struct bpf_iter__bpf_map_elem *ctx)
{
	struct acct_tid *id = ctx->key;
	struct task_struct *task;
	struct acct_live out;
	struct acct_rec *r;

	if (!id)
		return 0;
	task = bpf_task_from_pid(id->tid);
	if (!task)
		return 0; /* gone: its exit fold told user space */
	r = task->start_time == id->start_ns ? bpf_task_storage_get(&records, task, NULL, 0)
					     : NULL;
	if (r && copy_record(r, task, &out)) {
		out.id = *id;
		bpf_seq_write(ctx->meta->seq, &out, sizeof(out));
	}
	bpf_task_release(task);
	return 0;
}

/* Light mode, once at start: a record (the I/O baseline) for every task alive before us. */
SEC("iter/task")
int iter_seed(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (!task || (task->flags & PF_KTHREAD_FLAG))
		return 0;
	if (!bpf_task_storage_get(&records, task, NULL, 0))
		record_new(task);
	return 0;
}

/*
 * The kernel halves of modules that count on the core through hooks of
 * their own (not syscall rules), kept in their module folders.
 */
#include "modules/oomkill/oomkill.bpf.h"
#include "modules/cachestat/cachestat.bpf.h"
#include "modules/swap/swap.bpf.h"
#include "modules/socket/socket.bpf.h"
