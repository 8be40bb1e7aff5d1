/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metric store: cumulative counters per module, for the host, per
 * application and per cgroup. Modules write it in collect(); exporters and
 * views read it under the lock and never touch BPF.
 */
#ifndef EBPFMON_STORE_H
#define EBPFMON_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cgroup_meta.h"
#include "core/kmem.h"

#define EBPFMON_COMM_LEN 16
/* The largest counter set of any module: fixed-size rows (a module asserts it fits). */
#define EBPFMON_MAX_COUNTERS 24

enum counter_kind {
	COUNTER_TOTAL, /* monotonic, rendered with _total */
	GAUGE_HOST,    /* a gauge with a host value only (e.g. zombies) */
	GAUGE,	       /* a gauge per host, application and cgroup (e.g. a derived ratio) */
	HISTOGRAM,     /* labeled rows only: buckets and sum in module_stats.hists */
};

/*
 * Histograms. A HISTOGRAM def is labeled (its series are the module's
 * labeled rows) and names its bucket bounds: le_ns[0 .. nr_le) are the
 * finite upper bounds in nanoseconds, ascending, inclusive (Prometheus `le`),
 * rendered in seconds; one more bucket, +Inf, takes the rest. Every labeled
 * row of the module has one struct hist_value per HISTOGRAM def, in
 * module_stats.hists (store_row_hist() finds it); its slot in the row's v[]
 * is unused. The count is the sum of the buckets, so _count and the +Inf
 * bucket can never disagree.
 */
#define EBPFMON_MAX_BUCKETS 32 /* finite bounds + the +Inf bucket */

struct hist_value {
	uint64_t sum_ns;			/* sum of the observations */
	uint64_t buckets[EBPFMON_MAX_BUCKETS]; /* per bucket, not cumulative; [nr_le] is +Inf */
};

/* One metric of a module, e.g. vfs "read_bytes_total". */
struct counter_def {
	const char *name;	  /* after ebpfmon_<module>_ ; counters end in _total */
	const char *help;
	enum counter_kind kind;
	bool is_error;		  /* needs the syscall's result: absent in `ebpf load mode = entry` */
	bool light;		  /* also counted in `ebpf load mode = light` (no syscall hooks) */
	const char *netdata_chart;     /* host chart id, for docs and the netdata output */
	const char *netdata_app_chart; /* per-application chart id */
	bool labeled;		  /* host value is module_stats.rows (labels of the module's own) */
	const uint64_t *le_ns;	  /* HISTOGRAM: finite bucket bounds (ns, ascending) */
	unsigned int nr_le;	  /* HISTOGRAM: how many; at most EBPFMON_MAX_BUCKETS - 1 */
	/*
	 * A label of the def's own. Defs side by side with the same name and
	 * fixed_label are one metric family, told apart by fixed_value:
	 * calls_total{call="sync"}, calls_total{call="fsync"}, ... Their
	 * family's help is the first one's. Values are plain lower-case words
	 * (nothing to escape).
	 */
	const char *fixed_label, *fixed_value;
	/* Stored in nanoseconds (exact integers), rendered in seconds (a _seconds metric). */
	bool ns_as_seconds;
	/*
	 * A derived def (after the kernel counters, defs[nr_counters ..]): its
	 * value for every row, host, application, cgroup and process alike, from
	 * that row's kernel counters @v.
	 */
	uint64_t (*derive)(const uint64_t *v);
};

/* A host series with labels of its module's own (e.g. iface, direction, proto). */
struct labeled_row {
	char labels[192]; /* rendered, escaped: iface="eth0",direction="ingress" */
	uint64_t v[EBPFMON_MAX_COUNTERS];
};

struct app_row {
	char name[64];
	uint64_t v[EBPFMON_MAX_COUNTERS];
};

struct cgroup_row {
	uint64_t id;
	char path[256];
	uint64_t v[EBPFMON_MAX_COUNTERS];
};

/*
 * A systemd service: the sum of every cgroup row of the module that its
 * path puts in the service (cgroup_meta.h), nested ones included, plus
 * what rows of the service that are gone had counted (so the sum never goes
 * down). Made at collection (core/services.c).
 */
struct service_row {
	char name[CGROUP_META_SERVICE_LEN];
	uint64_t v[EBPFMON_MAX_COUNTERS];
};

/* A container's names from its runtime (core/container_names.h), for labels. */
struct store_container {
	char id[CGROUP_META_ID_LEN];
	char name[128], pod_name[128], pod_namespace[64]; /* "" when not known */
};

struct pid_row {
	uint32_t pid;
	char comm[EBPFMON_COMM_LEN];
	uint64_t v[EBPFMON_MAX_COUNTERS]; /* since the process was first seen */
};

enum module_state {
	MODULE_DISABLED,    /* switched off in the configuration */
	MODULE_UNAVAILABLE, /* the kernel lacks what it needs */
	MODULE_FAILED,	    /* load or attach failed */
	MODULE_UP,
};

#define STORE_MAX_HOOKS 16

struct module_stats {
	const char *name;
	const struct counter_def *defs;
	unsigned int nr_defs;	  /* including derived gauges */
	unsigned int nr_counters; /* kernel counters: defs[0 .. nr_counters) */
	enum module_state state;
	char reason[256];

	uint64_t host[EBPFMON_MAX_COUNTERS];
	struct app_row *apps;
	size_t nr_apps, cap_apps;
	struct cgroup_row *cgroups;
	size_t nr_cgroups, cap_cgroups;
	struct service_row *services; /* rebuilt at each collection */
	size_t nr_services, cap_services;
	struct pid_row *pids; /* live processes, rebuilt at each collection */
	size_t nr_pids, cap_pids;

	struct labeled_row *rows; /* rebuilt at each collection */
	size_t nr_rows, cap_rows;
	/* nr_hist_defs per labeled row, row-major: grown by store_row_append(). */
	struct hist_value *hists;
	size_t cap_hists;
	unsigned int nr_hist_defs; /* HISTOGRAM defs among defs[] */

	uint64_t lost_pid_table_full;
	uint64_t lost_cgroup_table_full;
	/*
	 * A table of the module's own that can fill (the socket module's
	 * connections): its name in ebpfmon_lost_events_total{table}, NULL for
	 * none, and the entries it could not take.
	 */
	const char *own_table;
	uint64_t lost_own_table_full;

	/*
	 * What the configuration turns off for this module alone (Netdata's
	 * ebpf.d/<module>.conf): its per-application or per-cgroup series, its
	 * error series, and dimensions by their fixed label's value.
	 */
	bool apps_off, cgroups_off, errors_off;
	const char (*hidden)[24];
	unsigned int nr_hidden;

	/* The implementation each hook runs on (ebpfmon_hook_info), set at attach. */
	struct store_hook {
		const char *hook, *impl;
	} hooks[STORE_MAX_HOOKS];
	unsigned int nr_hooks;
};

#define STORE_MAX_MODULES 32
#define STORE_MAX_MAPS 48

#define STORE_MAX_PROGS 32

/* Upper bounds of ebpfmon_collection_duration_seconds' buckets, then +Inf. */
#define STORE_DURATION_BUCKETS 12
extern const double store_duration_bounds[STORE_DURATION_BUCKETS - 1];
/* Count one collection of @seconds into @s's histogram. */
struct store;
void store_collection_observed(struct store *s, double seconds);

/* A BPF program and the runs of it the kernel skipped (recursion on a CPU). */
struct store_prog {
	char module[16];
	char name[32];
	uint64_t misses;
};

/* The accounting core's own numbers (see core/accounting.h). */
struct store_acct {
	bool running;
	uint64_t records, epochs, retired;
	uint64_t epoch_table_full, record_failed, join_raced, ringbuf_full;
	uint64_t apps, apps_overflow, apps_retired;
};

/* The pusher's counters (export/push.h), as of the last collection. */
struct store_push {
	bool on; /* a push URL is set */
	uint64_t sent, failed, dropped;
};

struct store {
	pthread_mutex_t lock;
	bool apps;	   /* per-application series */
	bool cgroups;	   /* per-cgroup series */
	bool errors;	   /* error counters (return mode) */
	bool light;	   /* light mode: only defs marked light */
	double started;	   /* unix time of attach */
	uint64_t collections;
	double collect_seconds; /* the last collection's duration */
	/* Every collection's duration: counts per bucket (not cumulative), the last +Inf. */
	uint64_t collect_hist[STORE_DURATION_BUCKETS];
	double collect_sum;
	/* The agent itself, at the last collection. */
	double cpu_user_seconds, cpu_system_seconds;
	uint64_t rss_bytes;
	struct store_acct acct;
	struct map_mem kmem[STORE_MAX_MAPS]; /* kernel memory of every map, at the last collection */
	unsigned int nr_kmem;
	struct store_prog progs[STORE_MAX_PROGS]; /* runs the kernel skipped, per program */
	unsigned int nr_progs;
	unsigned int nr_modules;
	struct module_stats mods[STORE_MAX_MODULES];
	/* Containers whose runtime named them, sorted by id; swapped in at collection. */
	struct store_container *containers;
	size_t nr_containers;
	/*
	 * Called under the lock once a collection is swapped in, so a reader can
	 * render the store once per collection instead of once per request (the
	 * HTTP server does). NULL when nobody listens.
	 */
	void (*on_publish)(const struct store *s, void *arg);
	void *on_publish_arg;
	/*
	 * Called under the lock before on_publish: the pusher refreshes @push
	 * and takes the collection. NULL when not pushing.
	 */
	struct store_push push;
	void (*on_push)(struct store *s, void *arg);
	void *on_push_arg;
};

void store_init(struct store *s);
void store_free(struct store *s);
/* NULL when STORE_MAX_MODULES are there already. */
struct module_stats *store_add_module(struct store *s, const char *name,
				      const struct counter_def *defs, unsigned int nr_defs,
				      unsigned int nr_counters);
/* Row for application @name, created zeroed; NULL only when out of memory. */
struct app_row *store_app(struct module_stats *m, const char *name);
struct cgroup_row *store_cgroup(struct module_stats *m, uint64_t id);
struct pid_row *store_pid_append(struct module_stats *m);
struct service_row *store_service_append(struct module_stats *m);
/* The names of container @id (64 hex), NULL when none are known. */
const struct store_container *store_container_find(const struct store *s, const char *id);
/* A new zeroed row, for a collector whose rows are unique already (no search). */
struct app_row *store_app_append(struct module_stats *m);
struct cgroup_row *store_cgroup_append(struct module_stats *m);
struct labeled_row *store_row_append(struct module_stats *m);
/*
 * The histogram of HISTOGRAM def @def for labeled row @row (zeroed when the
 * row was appended); NULL when @def is not a histogram.
 */
struct hist_value *store_row_hist(const struct module_stats *m, size_t row, unsigned int def);
/* Observations in @h (the sum of its buckets). */
uint64_t store_hist_count(const struct counter_def *d, const struct hist_value *h);
/* Append name="value" (escaped for Prometheus) to a row's labels. */
void store_row_label(struct labeled_row *r, const char *name, const char *value);
/* Value of def @i for counters @v. */
uint64_t store_value(const struct module_stats *m, unsigned int i, const uint64_t *v);
/* Whether def @d of module @m is exported (load mode, and the module's own settings). */
bool store_def_visible(const struct store *s, const struct module_stats *m,
		       const struct counter_def *d);
/* Whether module @m has per-application / per-cgroup series. */
bool store_module_apps(const struct store *s, const struct module_stats *m);
bool store_module_cgroups(const struct store *s, const struct module_stats *m);
/* Whether def @d has per-application and per-cgroup series (not a host-only gauge). */
bool store_def_broken_down(const struct counter_def *d);
/* Whether def @b continues the metric family of def @a (the same name and fixed label). */
bool store_def_same_family(const struct counter_def *a, const struct counter_def *b);
/* The end of the family that starts at def @i: the first def of @m after it that is not of it. */
unsigned int store_family_end(const struct module_stats *m, unsigned int i);
/*
 * Give @live what @next collected (host values, rows, lost counts) and @next
 * the arrays @live had, for reuse. Under the store lock; O(1).
 */
void store_swap(struct module_stats *live, struct module_stats *next);
/* A private module_stats for collect(): same identity as @m, empty arrays. */
void store_stats_init_like(struct module_stats *next, const struct module_stats *m);
void store_stats_free(struct module_stats *m);
/* A new collection is in the store: call its on_push and on_publish hooks. The caller holds s->lock. */
void store_published(struct store *s);

#endif
