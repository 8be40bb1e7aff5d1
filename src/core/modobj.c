// SPDX-License-Identifier: GPL-2.0
/* Shared by the modules with a BPF object of their own (core/modobj.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/kmem.h"
#include "core/modobj.h"

bool modobj_prog_ok(struct bpf_object *obj, const struct caps *caps, const char *name, char *why,
		    size_t len)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);

	if (!prog) {
		snprintf(why, len, "program %s missing from the object", name);
		return false;
	}
	return caps_attach_point_ok(caps, bpf_program__section_name(prog), why, len);
}

/* Whether @impl's programs attach here by @rule; @why says what is missing. */
static bool impl_usable(struct bpf_object *obj, const struct caps *caps,
			const struct hook_impl *impl, enum modobj_rule rule, char *why, size_t len)
{
	bool any = false;

	for (const char *const *p = impl->progs; *p; p++) {
		bool ok = modobj_prog_ok(obj, caps, *p, why, len);

		if (!ok && rule == MODOBJ_ALL_PROGS)
			return false;
		any |= ok;
	}
	return any;
}

unsigned int modobj_plan(const struct hook_def *hooks, unsigned int n, struct bpf_object *obj,
			 const struct caps *caps, enum modobj_rule rule, bool light,
			 struct module_plan *plan)
{
	unsigned int usable = 0;

	for (unsigned int h = 0; h < n; h++) {
		char *why = plan->why[h];

		plan->chosen[h] = -1;
		why[0] = 0;
		for (unsigned int i = 0; i < hooks[h].nr_impls && plan->chosen[h] < 0; i++) {
			const struct hook_impl *impl = &hooks[h].impls[i];
			size_t used = strlen(why);
			char reason[160] = "";

			if (light && impl->modes == IMPL_SYSCALL)
				snprintf(reason, sizeof(reason),
					 "a syscall hook, not used in ebpf load mode = light");
			else if (impl_usable(obj, caps, impl, rule, reason, sizeof(reason)))
				plan->chosen[h] = (int)i;
			if (plan->chosen[h] < 0)
				snprintf(why + used, sizeof(plan->why[h]) - used, "%s%s: %s",
					 used ? "; " : "", impl->label, reason);
		}
		usable += plan->chosen[h] >= 0;
	}
	return usable;
}

int modobj_probe(struct bpf_object *obj, const struct hook_def *hooks, unsigned int n,
		 const struct caps *caps, enum modobj_rule rule, bool light,
		 struct module_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	if (!obj) {
		snprintf(plan->reason, sizeof(plan->reason), "cannot open BPF object: %s",
			 strerror(errno));
		return -EINVAL;
	}
	if (modobj_plan(hooks, n, obj, caps, rule, light, plan))
		return 0;
	snprintf(plan->reason, sizeof(plan->reason), "no hook can be attached on this kernel: %s",
		 plan->why[0]);
	return -EOPNOTSUPP;
}

size_t modobj_memory(struct bpf_object *obj, struct map_mem *out, size_t max, int cpus)
{
	struct bpf_map *map;
	size_t n = 0;

	bpf_object__for_each_map(map, obj) {
		if (n == max)
			break;
		if (bpf_map__fd(map) < 0)
			continue;
		kmem_project(map, kmem_memlock(bpf_map__fd(map)), cpus, &out[n++]);
	}
	return n;
}

uint64_t modobj_prog_misses(struct bpf_object *obj)
{
	struct bpf_program *p;
	uint64_t n = 0;

	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info = {};
		uint32_t len = sizeof(info);

		if (bpf_program__fd(p) >= 0 && !bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

int modobj_fail(struct module_inst *mi, int err, const char *what)
{
	snprintf(mi->stats->reason, sizeof(mi->stats->reason), "%s: %s", what, strerror(-err));
	return err;
}
