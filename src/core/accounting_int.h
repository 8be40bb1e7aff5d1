/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The accounting core's private state, shared by its loader
 * (core/accounting.c) and its reader (core/acct_read.c).
 */
#ifndef EBPFMON_ACCOUNTING_INT_H
#define EBPFMON_ACCOUNTING_INT_H

#include "core/accounting.h" /* before the skeleton: its .rodata has our types */
#include "acct.skel.h"

/* Open addressing over array indexes (+1; 0 is empty); linear probing. */
struct index {
	uint32_t *slot;
	uint32_t cap; /* power of two */
};

/*
 * An application. Its total at a collection is what its retired epochs
 * handed over, plus its epochs in the kernel table, plus its threads' live
 * records; what is shown is the largest total seen so far.
 */
struct app_acc {
	char name[64];
	__u64 retired[ACCT_ALL_SLOTS];
	__u64 table[ACCT_ALL_SLOTS]; /* this collection's epochs table (and socket table) */
	__u64 live[ACCT_ALL_SLOTS];  /* kept up to date as records change (their slots only) */
	__u64 shown[ACCT_ALL_SLOTS];
	uint32_t nlive;	  /* live records counting in it */
	bool in_table;	  /* has epochs in the kernel table, as last read */
	bool in_sock;	  /* has entries in the socket module's process table */
	double active_at; /* when it last had a process or a count */
};

struct cg_acc {
	uint64_t id;
	char path[256];
	__u64 retired[ACCT_ALL_SLOTS], table[ACCT_ALL_SLOTS], live[ACCT_ALL_SLOTS];
	__u64 shown[ACCT_ALL_SLOTS];
	uint32_t nlive; /* live records counting in it */
	bool in_table;	/* in the kernel table at this collection */
	double gone_at; /* when the cgroup was found removed (0: not) */
};

/* User space's copy of one thread's record. */
struct live_entry {
	struct acct_tid id; /* tid 0: a free slot */
	uint32_t seq;	    /* the record's seq when copied */
	int32_t app;	    /* index in apps, -1 for none */
	struct acct_key key;
	uint64_t cgid;
	__u64 c[ACCT_REC_SLOTS];
	__u64 sc[SOCK_REC_SLOTS]; /* its socket record */
};

/* An epoch at this collection (only when per-process rows are wanted). */
struct ep_row {
	struct acct_key key;
	__u64 c[ACCT_ALL_SLOTS];
};

/* Which application a process name goes to, remembered while the name is in use. */
struct comm_app {
	char comm[ACCT_COMM_LEN];
	uint32_t app;
	double used_at;
};

struct acct {
	struct acct_bpf *skel;
	struct bpf_link **links;
	const char **link_names;
	unsigned int nr_links, cap_links;
	struct bpf_link *live_link, *dirty_link;
	struct module_inst *up[STORE_MAX_MODULES];
	unsigned int nr_up;
	struct acct_syscall table[ACCT_MAX_SYSCALLS];

	bool apps, cgroups, light, pids;
	int nr_cpus;
	unsigned int cgroup_table_size;
	unsigned int apps_max;	/* application rows at most, "other" aside */
	double retention;	/* seconds rows of gone applications and cgroups stay */
	const struct apps_groups *groups;
	struct cgroup_names *cgnames;
	const struct caps *caps;

	/* reading (core/acct_read.c) */
	struct ring_buffer *rb;	      /* retired epochs, removed cgroups */
	struct ring_buffer *rb_folds; /* records that folded */
	struct app_acc *apps_v;
	size_t nr_apps, cap_apps;
	long other_app;		/* index of "other" while it exists, else -1 */
	uint64_t apps_overflow; /* names counted into "other" because apps_max was reached */
	uint64_t apps_retired;	/* application rows dropped after the retention */
	double now;		/* the current collection's start */
	struct index app_ix;
	struct comm_app *comms;
	size_t nr_comms, cap_comms;
	struct index comm_ix;
	struct cg_acc *cgs;
	size_t nr_cgs, cap_cgs;
	struct index cg_ix;
	struct live_entry *live;
	size_t nr_live, cap_live; /* slots used (some free), and allocated */
	uint32_t *free_live;	  /* free slots of live[] */
	size_t nr_free, cap_free;
	struct index live_ix;
	__u64 host_table[ACCT_ALL_SLOTS], unattr_table[ACCT_ALL_SLOTS];
	__u64 host_live[ACCT_ALL_SLOTS], unattr_live[ACCT_ALL_SLOTS];
	__u64 host_shown[ACCT_ALL_SLOTS], unattr_shown[ACCT_ALL_SLOTS];
	struct acct_cgroup_gone gone[64]; /* paths of recently removed cgroups, a ring */
	unsigned int nr_gone;
	struct acct_lost lost;
	uint32_t round;		/* the dirty set's round (cur_round in the kernel) */
	struct acct_gens gens;	/* the generations the tables were last read at */
	bool read_once;		/* the epochs table was read at least once */
	size_t dirty_kept;	/* dirty-set entries the last pass kept */
	double next_walk;	/* when a full walk of the tasks is due */
	double walk_seconds;	/* the last one's duration */
	uint64_t walks, retired_epochs, zombies, epochs_in_table;
	struct ep_row *eps;
	size_t nr_eps, cap_eps;
	struct index ep_ix;
	struct acct_key *tkeys; /* table read buffers */
	struct acct_epoch *tvals;
	size_t tcap;
	uint64_t *cg_keys;
	struct acct_counts *cg_vals;
	size_t cg_cap;
	struct acct_tid *dkeys;
	uint32_t *dvals;
	size_t dcap;
	/* The socket module's tables (when it runs: sockets). */
	bool sockets;
	struct acct_key *sk_keys;
	struct sock_counts *sk_vals;
	size_t sk_cap;
	uint64_t *skcg_keys;
	struct sock_counts *skcg_vals;
	struct sock_lost sock_lost;
	__u64 sock_retired_total[SOCK_SLOTS]; /* counts of retired process entries, for the host */
	void *percpu_buf;
	char *iter_buf;
	double collect_seconds;
};

/* acct_read.c: buffers and ring buffers, once the object is loaded. 0 or -errno. */
int acct_read_init(struct acct *a, const struct config *cfg);
void acct_read_free(struct acct *a);
/* Run iterator @link to its end, handing each record to @each (NULL: discard). */
int acct_drain_iter(struct acct *a, struct bpf_link *link,
		    void (*each)(struct acct *a, const struct acct_live *l));

#endif
