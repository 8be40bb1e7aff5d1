/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The accounting core, user half: loads src/core/bpf/acct.bpf.c once for
 * every module built on it (process, fd, vfs), fills its syscall rules from
 * those modules, and turns each collection's kernel readings into host,
 * per-application, per-cgroup and per-process totals that the modules hand to
 * the store. Layout and kernel design: core/acct.h.
 */
#ifndef EBPFMON_ACCOUNTING_H
#define EBPFMON_ACCOUNTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/acct.h"
#include "core/module.h"

/* One syscall a module counts, by the rung its hook @hook chose. */
struct acct_syscall_def {
	int nr;
	unsigned char hook;	 /* index in the module's hooks */
	unsigned char flags_arg; /* enum acct_flags_arg, for create rules */
	struct acct_rule rule;
	unsigned char action; /* enum acct_action */
};

/* What a module built on the accounting core is made of. */
struct acct_desc {
	const unsigned char *slot_of; /* the slot of each kernel counter (nr_counters) */
	const struct acct_syscall_def *syscalls;
	unsigned int nr_syscalls;
	bool lifecycle; /* counts created, threads, exits, released (the process module) */
	unsigned int zombies_def; /* index of a GAUGE_HOST def showing zombies, or 0 */
	bool sockets;	/* counts into the socket tables (the socket module) */
};

/* Rule shorthands: ACCT_NO_SLOT where a module does not count that part. */
#define ACCT_RULE(calls, bytes, errors) { calls, bytes, errors, ACCT_NO_SLOT }
#define ACCT_CREATE_RULE(slot) { ACCT_NO_SLOT, ACCT_NO_SLOT, ACCT_NO_SLOT, slot }

/* The module ops of a module built on the core. */
int acct_module_probe(const struct module *m, const struct caps *caps, const struct config *cfg,
		      struct module_plan *plan);
int acct_module_load(struct module_inst *mi, const struct module_cfg *cfg);
int acct_module_collect(struct module_inst *mi, struct module_stats *next);
void acct_module_unload(struct module_inst *mi);
#define ACCT_MODULE_OPS                                                                    \
	.probe = acct_module_probe, .load = acct_module_load, .collect = acct_module_collect, \
	.unload = acct_module_unload

/*
 * The ladder of a syscall hook on the core: the one sys_exit program, the
 * classic syscalls:sys_exit_<name> tracepoint, a kretprobe on the syscall.
 */
#define ACCT_SYSCALL_IMPLS(var, name)                                             \
	static const struct hook_impl var[] = {                                   \
		ACCT_SYS_EXIT_BTF,                                                \
		SYSCALL_TRACEPOINTS("tp_exit_" name),                             \
		KRETSYSCALLS("kp_exit_" name),                                    \
	}
/* A rule that counts every call of syscall @nr (hook @hook) in slot @slot. */
#define ACCT_CALLS(nr, hook, slot) { nr, hook, 0, ACCT_RULE(slot, ACCT_NO_SLOT, ACCT_NO_SLOT) }

#define ACCT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* The tables of a module on the core whose defs are all kernel counters. */
#define ACCT_MODULE_TABLES(defs_, hooks_, acct_)                                         \
	.defs = defs_, .nr_defs = ACCT_ARRAY_LEN(defs_), .nr_counters = ACCT_ARRAY_LEN(defs_), \
	.hooks = hooks_, .nr_hooks = ACCT_ARRAY_LEN(hooks_), .acct = &acct_, ACCT_MODULE_OPS

/* Implementations of the syscall hooks: rung 1 is the one sys_exit program for all. */
#define ACCT_SYS_EXIT_BTF { "tp_btf", PROGS("sys_exit_btf"), IMPL_SYSCALL }
/* Light mode's read/write counting: the kernel's per-task I/O accounting, read at exit and live. */
#define ACCT_IOAC { "ioac", PROGS("exit_btf", "iter_live"), IMPL_LIGHT_ONLY }

/* The core's own hooks (thread exit, task free, reading), planned like a module's. */
struct acct_plan {
	struct module_plan plan;
	bool usable;
};
extern const struct hook_def acct_core_hooks[];
extern const unsigned int acct_nr_core_hooks;
void acct_plan_core(const struct caps *caps, const struct config *cfg, struct acct_plan *p);

struct acct;

/*
 * Open, size, load and attach the core for the modules of @insts that are
 * planned (state MODULE_FAILED = planned, not loaded yet) and built on it.
 * NULL with a one-line reason in @err when the core cannot run.
 */
struct acct *acct_start(const struct acct_plan *core, struct module_inst *insts,
			unsigned int nr_insts, const struct module_cfg *cfg, char *err,
			size_t errlen);
void acct_stop(struct acct *a); /* NULL-safe: links first, then the object */

/*
 * For the verifier tier: load every program of the core (every rung, kprobes
 * too) configured as @mc says, attach nothing. 0 or -errno with @err set.
 */
int acct_verify(const struct module_cfg *mc, unsigned int *nr_progs, char *err, size_t errlen);

/*
 * One collection: read the ring buffer, the tables and the live records into
 * private buffers. Holds no lock the exporters need. 0 or -errno.
 */
int acct_collect(struct acct *a);

/* Kernel memory of the core's maps: bytes now, and projected to @cpus CPUs. */
struct acct_mem {
	char map[32];
	uint64_t bytes, bytes_at;
	uint32_t id, max_entries; /* see struct map_mem */
};
size_t acct_kernel_memory(struct acct *a, struct acct_mem *out, size_t max, int cpus);

/* Runs of each attached program of the core that the kernel skipped (recursion). */
size_t acct_program_misses(struct acct *a, struct store_prog *out, size_t max);

/* Numbers about the core itself, for self-metrics. */
struct acct_stats {
	uint64_t records;	   /* live threads with a record, at the last collection */
	uint64_t epochs;	   /* epochs in the kernel table */
	uint64_t retired;	   /* epochs retired since start */
	uint64_t walks;		   /* full walks of every task since start */
	double walk_seconds;	   /* the last one's duration */
	struct acct_lost lost;	   /* summed over CPUs */
	double collect_seconds;	   /* the last collection's duration */
	uint64_t apps;		   /* application rows held */
	uint64_t apps_overflow;	   /* process names counted into "other" (apps max reached) */
	uint64_t apps_retired;	   /* application rows dropped after the series retention */
};
void acct_get_stats(const struct acct *a, struct acct_stats *st);
/* Run iterator program @prog (loaded as a module's hook) once to its end, output discarded. 0 or -errno. */
int acct_run_iter(struct acct *a, const char *prog);
/* A map of the core's object by name (the socket module's connection table), or -1. */
int acct_map_fd(const struct acct *a, const char *name);
/* The kernel's count of connection-table entries by kind (socket.bpf.h conn_used[]). */
__s64 *acct_conn_used(struct acct *a);
/* What the socket module's tables could not take, as last read. */
void acct_get_sock_lost(const struct acct *a, struct sock_lost *out);

/*
 * Kernel memory of the core's maps from their definitions, without loading:
 * bytes allocated at start on this machine and on @cpus CPUs, and what each
 * live thread and process adds. For `ebpfmon check`.
 */
struct acct_mem_estimate {
	uint64_t fixed_here, fixed_at; /* allocated at load */
	uint64_t per_thread, per_process;
	/*
	 * The socket module (when on): per thread and per process that use
	 * sockets, per connection; their bounds.
	 */
	uint64_t per_socket_thread, per_socket_process, per_connection;
	uint64_t max_socket_processes, max_connections;
};
int acct_estimate_memory(const struct config *cfg, int cpus, struct acct_mem_estimate *e);

#endif
