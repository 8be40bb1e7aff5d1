/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The accounting core: what src/core/bpf/acct.bpf.c (kernel) and
 * src/core/accounting.c, src/core/acct_read.c (user) share. Fixed-width
 * fields, explicit padding.
 *
 * Every count belongs to an *epoch*: one process (thread group) under one
 * name. A process that execs, or renames itself, starts a new epoch; what it
 * did before stays with the old name. The kernel keeps
 *
 *   records  one per thread (task-local storage), written only by the thread
 *            itself with plain adds: the counts it made since its record was
 *            last folded. Nothing per CPU, nothing per table bound: memory
 *            follows the live threads, and one hot-path lookup serves every
 *            module.
 *   epochs   one entry per live epoch (hash, `pid table size`): what its
 *            threads folded in (at exit, at a rename, at a cgroup move) and
 *            the counts made for the process rather than by a thread
 *            (created, exits, released). `refs` counts the live threads
 *            whose record points here (a thread leaves at exit); the last
 *            one to leave retires the epoch: its totals go to user space
 *            through a ring buffer and the entry is deleted, so the table
 *            holds the epochs of processes with a live thread. A release
 *            (at the task's free, later) then goes through `late`.
 *   cgroups  the same folded counts per cgroup v2 id (`cgroup table size`).
 *   host     per-CPU folded totals: host = host + every live record.
 *
 * User space reads the ring buffers, then the tables, then the live records;
 * counts only move from records to tables, so a reading can only miss what
 * moved during it, never count it twice, and totals are kept monotonic (see
 * acct_read.c). It keeps a copy of every live record, and reads again only
 * those that changed: a record that counts puts itself, once per collection
 * round, in a `dirty` set (its thread id and start time), and one that folds
 * says so in the `folds` ring buffer. A full walk of every task (which also
 * counts the zombies) resynchronises the copy when either was full, and runs
 * on its own at a rate kept under a CPU budget.
 */
#ifndef EBPFMON_ACCT_H
#define EBPFMON_ACCT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define ACCT_COMM_LEN 16

/*
 * What the kernel counts, one slot each. Modules choose which slots they
 * export (fd and vfs both show the open(2) slots). Slots below
 * ACCT_REC_SLOTS are counted per thread, at syscall frequency; the others
 * are counted for the process directly, at fork/exit frequency.
 */
enum acct_slot {
	SL_OPEN_CALLS,	 /* open, openat, openat2, creat */
	SL_OPEN_ERRORS,
	SL_CLOSE_CALLS,
	SL_CLOSE_ERRORS,
	SL_READ_CALLS,	 /* read, readv, pread64, preadv, preadv2 (light: syscr) */
	SL_READ_BYTES,	 /* (light: rchar) */
	SL_READ_ERRORS,
	SL_WRITE_CALLS,	 /* write, writev, pwrite64, pwritev, pwritev2 (light: syscw) */
	SL_WRITE_BYTES,	 /* (light: wchar) */
	SL_WRITE_ERRORS,
	SL_UNLINK_CALLS, /* unlink, unlinkat */
	SL_UNLINK_ERRORS,
	SL_FSYNC_CALLS,	 /* fsync, fdatasync */
	SL_FSYNC_ERRORS,
	SL_CREATE_CALLS, /* creat, or an open with O_CREAT */
	SL_CLONE_ERRORS, /* clone, clone3, fork, vfork that failed */
	ACCT_REC_SLOTS,
	SL_CREATED = ACCT_REC_SLOTS, /* processes created, counted on the parent */
	SL_THREADS_CREATED,	     /* threads created, counted on the creating process */
	SL_EXITS,		     /* tasks that exited */
	SL_RELEASED,		     /* tasks freed after exit (sched_process_free) */
	/*
	 * Process slots of rare events: counted straight into the epoch, the
	 * cgroup and the host with atomic adds (the record has no room left,
	 * and a hash lookup is cheap next to a sync or a mount).
	 */
	SL_SYNC_SYNC,		     /* sync module: sync(2) */
	SL_SYNC_SYNCFS,
	SL_SYNC_FSYNC,
	SL_SYNC_FDATASYNC,
	SL_SYNC_MSYNC,
	SL_SYNC_FILE_RANGE,
	SL_SHM_GET,		     /* shm module: calls, failed ones included */
	SL_SHM_AT,
	SL_SHM_DT,
	SL_SHM_CTL,
	SL_MOUNT_CALLS,		     /* mount module: mount(2) and the new mount API */
	SL_MOUNT_ERRORS,
	SL_UMOUNT_CALLS,	     /* umount2(2) */
	SL_UMOUNT_ERRORS,
	SL_OOMKILL,		     /* oomkill module: the victim's process */
	SL_SWAP_READ,		     /* swap module */
	SL_SWAP_WRITE,
	SL_CACHE_ACCESSED,	     /* cachestat module, in pages */
	SL_CACHE_MISSES,
	SL_CACHE_DIRTIED,
	ACCT_SLOTS,
};

#define ACCT_NO_SLOT 0xff

/*
 * Socket slots (the socket module), counted in tables of their own: only
 * the processes and cgroups that use TCP or UDP sockets get an entry
 * (sock_procs, sock_cgroups; see src/modules/socket/socket.bpf.h). On the
 * epoch entry they would add 144 bytes to every process. User space lists
 * them after the core's slots: a module's slot for SK_X is ACCT_SLOTS + SK_X
 * (SL_SOCK(SK_X)). The first twelve are two blocks of six, TCP then UDP,
 * in the same order.
 */
enum sock_slot {
	SK_TCP_SENT_BYTES,	/* sock:sock_send_length, successful calls */
	SK_TCP_RECV_BYTES,	/* sock:sock_recv_length, MSG_PEEK aside */
	SK_TCP_SEND_CALLS,	/* every call, failed ones included */
	SK_TCP_RECV_CALLS,
	SK_TCP_SEND_ERRORS,	/* failed calls but "would block" (EAGAIN) */
	SK_TCP_RECV_ERRORS,
	SK_UDP_SENT_BYTES,
	SK_UDP_RECV_BYTES,
	SK_UDP_SEND_CALLS,
	SK_UDP_RECV_CALLS,
	SK_UDP_SEND_ERRORS,
	SK_UDP_RECV_ERRORS,	/* failed calls, and datagrams refused at queueing (udp_fail_queue_rcv_skb) */
	SK_TCP_OUT_V4,		/* connect(2) started: CLOSE -> SYN_SENT */
	SK_TCP_OUT_V6,
	SK_TCP_IN_V4,		/* accept(2) returned a connection */
	SK_TCP_IN_V6,
	SK_TCP_CLOSED,		/* connections that reached CLOSE (listeners aside) */
	SK_TCP_RETRANS,		/* tcp:tcp_retransmit_skb, for the connection's process */
	SOCK_SLOTS,
};

#define SOCK_UDP_BLOCK (SK_UDP_SENT_BYTES - SK_TCP_SENT_BYTES)
/*
 * The slots of sends and receives (SK_TCP_SENT_BYTES .. SK_UDP_RECV_ERRORS),
 * frequent: counted per thread, in the thread's socket record (struct
 * sock_rec), which moves to the socket tables whenever its main record
 * folds. The others (connections, closes, retransmits) go to the tables.
 */
#define SOCK_REC_SLOTS (SK_UDP_RECV_ERRORS + 1)
#define SL_SOCK(sk_slot) (ACCT_SLOTS + (sk_slot))
#define ACCT_ALL_SLOTS (ACCT_SLOTS + SOCK_SLOTS)

struct sock_counts {
	__u64 c[SOCK_SLOTS];
};

/* A thread's sends and receives since its record last folded (task-local storage). */
struct sock_rec {
	__u64 c[SOCK_REC_SLOTS];
};

/* What the socket module could not keep, summed over CPUs. */
struct sock_lost {
	__u64 proc_table_full;	 /* `bandwidth table size` processes at once: host totals only */
	__u64 cgroup_table_full; /* `cgroup table size` cgroups at once */
	__u64 conn_table_full;	 /* a connection table kind (ipv4, ipv6, udp) at its size: not shown */
	__u64 closed_lost;	 /* closed connections the ring buffer had no room for */
	__u64 unowned;		 /* softirq events (retransmit, close) of sockets not in the table */
};

/* Generations of an epoch a joiner may start while one is being retired (acct_key.zero). */
#define ACCT_EPOCH_GENERATIONS 4

/* An epoch: process @tgid (told apart from a reused pid by its start time) named @comm. */
struct acct_key {
	__u64 start_ns; /* the thread-group leader's start_time (CLOCK_MONOTONIC ns) */
	__u32 tgid;	/* 0: no epoch (table full or apps off): host totals only */
	/*
	 * The epoch's generation, 0 but when a thread joined while the entry
	 * was being retired (see join()): the next one is a separate entry
	 * of the same process under the same name.
	 */
	__u32 zero;
	char comm[ACCT_COMM_LEN]; /* the thread-group leader's name */
};

/* acct_rec.flags */
#define ACCT_REC_JOINED 0x1u /* holds a reference on epochs[key] */

/*
 * Per thread. 184 bytes: with the kernel's 72-byte storage header it fits
 * the 256-byte allocation class (one byte more would take 512).
 */
struct acct_rec {
	struct acct_key key;
	__u64 cgid;  /* cgroup v2 id the counts were made in (0: cgroups off) */
	__u32 seq;   /* odd while the counts move out; stays odd once the thread exited */
	__u32 flags; /* ACCT_REC_* */
	__u32 round; /* the collection round it last put itself in the dirty set for */
	__u32 pad;
	/*
	 * Counts since the last fold. In light mode the I/O slots hold minus
	 * the thread's I/O accounting at the last fold, so slot + ioac is what
	 * it did since.
	 */
	__u64 c[ACCT_REC_SLOTS];
};

/* acct_epoch.flags */
#define ACCT_EPOCH_RETIRE_BY_USER 0x1u /* the ring buffer was full: user space retires it */

struct acct_epoch {
	__s64 refs;  /* records pointing here; -1 once retired */
	__u32 flags; /* ACCT_EPOCH_* */
	__u32 pad;
	__u64 c[ACCT_SLOTS];
};

struct acct_counts {
	__u64 c[ACCT_SLOTS];
};

/* A thread, for as long as it lives: its id and start time (ids are reused). */
struct acct_tid {
	__u32 tid;
	__u32 zero;
	__u64 start_ns;
};

/* One live record, as the iterators write it. */
struct acct_live {
	struct acct_key key;
	__u64 cgid;
	struct acct_tid id;
	__u32 seq; /* even: the record's folds so far, times two */
	__u32 pad;
	__u64 c[ACCT_REC_SLOTS];
	__u64 sc[SOCK_REC_SLOTS]; /* its socket record (zeros when it has none) */
};

/* A record's counts moved to the tables (exit, rename, cgroup move): seq is odd. */
struct acct_fold {
	struct acct_tid id;
	__u32 seq;
	__u32 pad;
};

/* A retired epoch's totals, through the `retired` ring buffer. */
struct acct_retired {
	struct acct_key key;
	__u64 c[ACCT_SLOTS];
};

/* One count made after its epoch retired (a release), through the `late` ring buffer. */
struct acct_late {
	struct acct_key key;
	__u32 slot;
	__u32 pad;
	__u64 v;
};

/* A cgroup v2 directory removed (tp_btf/cgroup_rmdir): its path, which user space can no longer read. */
#define ACCT_CGROUP_PATH_LEN 248
struct acct_cgroup_gone {
	__u64 id;
	char path[ACCT_CGROUP_PATH_LEN];
};

/*
 * Per CPU: how often the epochs table and the dirty set changed. User space
 * reads a table again only when its generation moved (bumped after each
 * change, so a reader that sees the bump sees the change).
 */
struct acct_gens {
	__u64 epochs;
	__u64 dirty;
};

/* Events the breakdowns could not take; the host totals still count them. */
struct acct_lost {
	__u64 epoch_table_full;	 /* `pid table size` epochs live at once */
	__u64 cgroup_table_full; /* `cgroup table size` cgroups at once */
	__u64 record_failed;	 /* no per-thread record (out of memory, or nested) */
	__u64 join_raced;	 /* an epoch being retired while a thread joined it */
	__u64 ringbuf_full;	 /* not lost: retired by user space instead */
};

/* Which program kind counts a syscall. */
enum acct_rung {
	ACCT_RUNG_NONE,
	ACCT_RUNG_BTF,	   /* tp_btf/sys_exit, dispatching on the number */
	ACCT_RUNG_CLASSIC, /* syscalls:sys_exit_<name> (+ sys_enter_<name> for flags) */
	ACCT_RUNG_KPROBE,  /* kretsyscall/<name> (+ ksyscall/<name> for flags) */
};

/* Where the open flags of a syscall are, for create counting. */
enum acct_flags_arg {
	ACCT_FLAGS_NONE,
	ACCT_FLAGS_ARG1,    /* open(path, flags) */
	ACCT_FLAGS_ARG2,    /* openat(dfd, path, flags) */
	ACCT_FLAGS_OPENAT2, /* openat2(dfd, path, how): how->flags */
	ACCT_FLAGS_ALWAYS,  /* creat(2) always creates */
};

/*
 * What the BTF rung does for a syscall beyond its counting rules. The socket
 * module takes accept's return here rather than on syscalls:sys_exit_accept*:
 * any classic syscall tracepoint makes ftrace's own handler run at every
 * syscall's exit (measured: +45 ns on each read with the default modules).
 */
enum acct_action {
	ACCT_ACTION_NONE,
	ACCT_ACTION_ACCEPT, /* accept(2)/accept4(2): an inbound connection */
};

/* What one module counts for one syscall: record slots or ACCT_NO_SLOT. */
struct acct_rule {
	__u8 calls;  /* every call */
	__u8 bytes;  /* += the result when positive */
	__u8 errors; /* failed calls (return mode) */
	__u8 create; /* calls asking for O_CREAT (see flags_arg) */
};

#define ACCT_MAX_RULES 3

/* syscalls[nr]: filled by user space from the enabled modules. */
struct acct_syscall {
	__u8 rung;	/* enum acct_rung; 0: not counted */
	__u8 flags_arg; /* enum acct_flags_arg */
	__u8 nr_rules;
	__u8 action;	/* enum acct_action: more than counting, on the BTF rung */
	struct acct_rule rule[ACCT_MAX_RULES];
};

#define ACCT_MAX_SYSCALLS 1024

/* The kernel's exit_state values (#defines, so not in BTF). */
#define ACCT_EXIT_ZOMBIE 0x20

_Static_assert(sizeof(struct acct_key) == 32, "acct_key layout");
_Static_assert(sizeof(struct acct_rec) == 184, "acct_rec layout");
_Static_assert(72 + sizeof(struct acct_rec) <= 256, "a record fits the 256-byte class");
_Static_assert(sizeof(struct acct_epoch) == 16 + 8 * ACCT_SLOTS, "acct_epoch layout");
_Static_assert(sizeof(struct acct_live) == 64 + 8 * (ACCT_REC_SLOTS + SOCK_REC_SLOTS),
	       "acct_live layout");
_Static_assert(sizeof(struct acct_tid) == 16 && sizeof(struct acct_fold) == 24, "acct_tid layout");
_Static_assert(sizeof(struct acct_syscall) == 16, "acct_syscall layout");
_Static_assert(ACCT_SLOTS < ACCT_NO_SLOT, "slots fit a byte");

#endif
