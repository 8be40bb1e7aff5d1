// SPDX-License-Identifier: GPL-2.0
/* The module registry: an explicit list, in the order outputs show them. */
#include <string.h>

#include "core/module.h"

extern const struct module process_module;
extern const struct module fd_module;
extern const struct module vfs_module;
extern const struct module sync_module;
extern const struct module mount_module;
extern const struct module shm_module;
extern const struct module oomkill_module;
extern const struct module cachestat_module;
extern const struct module swap_module;
extern const struct module flows_module;
extern const struct module hardirq_module;
extern const struct module softirq_module;
extern const struct module disk_module;
extern const struct module mdflush_module;
extern const struct module filesystem_module;
extern const struct module dcstat_module;
extern const struct module socket_module;
extern const struct module conntrack_module;
extern const struct module bash_module;
extern const struct module httpflow_module;
extern const struct module dnsflow_module;

const struct module *const modules[] = {
	&process_module,
	&fd_module,
	&vfs_module,
	&sync_module,
	&mount_module,
	&shm_module,
	&oomkill_module,
	&cachestat_module,
	&swap_module,
	&flows_module,
	&hardirq_module,
	&softirq_module,
	&disk_module,
	&mdflush_module,
	&filesystem_module,
	&dcstat_module,
	&socket_module,
	&conntrack_module,
	&bash_module,
	&httpflow_module,
	&dnsflow_module,
};
const unsigned int nr_modules = sizeof(modules) / sizeof(modules[0]);

const struct module *module_find(const char *name)
{
	for (unsigned int i = 0; i < nr_modules; i++)
		if (!strcmp(modules[i]->name, name))
			return modules[i];
	return NULL;
}
