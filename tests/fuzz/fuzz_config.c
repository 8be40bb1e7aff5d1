// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration parser (config_load_buffer: what config_load_file hands
 * a file's bytes to). Beyond "no crash":
 *  - a refused text leaves the configuration untouched and says why in one
 *    printable line "f.conf:LINE: ..." with LINE within the text;
 *  - a text holding a NUL byte is always refused, naming the NUL;
 *  - an accepted text yields values in their documented ranges, and a
 *    listen address that the HTTP server's own parser takes (check and run
 *    agree);
 *  - loading is deterministic, and the same text as a C string gives the
 *    same result.
 */
#include <sys/socket.h>

#include "core/config.h"
#include "fuzz/fuzz.h"

static const char *const known[] = { "process", "fd", "vfs", "flows" };
static const bool known_on[] = { true, true, true, false };
#define NR_KNOWN 4

static void fresh(struct config *c)
{
	must(!config_init(c, known, known_on, NR_KNOWN), "config_init failed");
}

static void check_accepted(const struct config *c)
{
	struct sockaddr_storage ss;
	unsigned int sslen;

	must(c->update_every >= 1 && c->update_every <= 3600, "update every %u", c->update_every);
	must(c->load_mode == LOAD_MODE_RETURN || c->load_mode == LOAD_MODE_ENTRY ||
		     c->load_mode == LOAD_MODE_LIGHT,
	     "load mode %d", c->load_mode);
	must(c->pid_table_size >= 16 && c->pid_table_size <= 4194304, "pid table size %u",
	     c->pid_table_size);
	must(c->cgroup_table_size >= 16 && c->cgroup_table_size <= 1048576,
	     "cgroup table size %u", c->cgroup_table_size);
	must(memchr(c->listen, 0, sizeof(c->listen)) != NULL, "listen not terminated");
	must(!parse_listen(c->listen, &ss, &sslen),
	     "config accepted listen '%s', which the server's parser refuses", c->listen);
	must(memchr(c->flows_interface, 0, sizeof(c->flows_interface)) != NULL,
	     "flows interface not terminated");
	must(memchr(c->apps_groups_file, 0, sizeof(c->apps_groups_file)) != NULL,
	     "apps groups file not terminated");
	must(c->nr_modules == NR_KNOWN, "%u modules", c->nr_modules);
	for (unsigned int i = 0; i < NR_KNOWN; i++)
		must(!strcmp(c->modules[i].name, known[i]), "module %u renamed to '%s'", i,
		     c->modules[i].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c, before, again;
	char err[512] = "", err2[512] = "";
	bool has_nul = memchr(data, 0, size) != NULL;
	int rc, rc2;

	fresh(&c);
	before = c;
	rc = config_load_buffer(&c, (const char *)data, size, "f.conf", err, sizeof(err));
	if (rc) {
		unsigned long line = one_line_refusal(err, "f.conf");

		must(rc == -1, "rc %d", rc);
		must(!memcmp(&c, &before, sizeof(c)), "a refused text changed the configuration");
		must(line >= 1 && line <= count_lines(data, size),
		     "refusal names line %lu of a %lu-line text: '%s'", line,
		     count_lines(data, size), err);
		must(!has_nul || strstr(err, "NUL byte"), "a NUL byte refused as '%s'", err);
	} else {
		must(!has_nul, "a text with a NUL byte was accepted");
		check_accepted(&c);
	}

	/* Deterministic, and nothing kept between two loads. */
	fresh(&again);
	rc2 = config_load_buffer(&again, (const char *)data, size, "f.conf", err2, sizeof(err2));
	must(rc == rc2 && !strcmp(err, err2) && !memcmp(&c, &again, sizeof(c)),
	     "two loads of one text differ");

	if (!has_nul) {
		char *text = fuzz_cstring(data, size);

		fresh(&again);
		rc2 = config_load_string(&again, text, "f.conf", err2, sizeof(err2));
		must(rc == rc2 && !strcmp(err, err2) && !memcmp(&c, &again, sizeof(c)),
		     "config_load_string and config_load_buffer differ");
		free(text);
	}
	return 0;
}
