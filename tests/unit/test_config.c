// SPDX-License-Identifier: GPL-2.0
/* Configuration: defaults, INI files, error messages, layering, parse helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/textfile.h"

static const char *const known[] = { "process", "fd", "vfs", "cachestat", "filesystem", "dcstat" };
static const bool known_on[] = { true, false, false, false, false, false };
#define NR_KNOWN (sizeof(known) / sizeof(known[0]))
#define KNOWN_LIST "process, fd, vfs, cachestat, filesystem, dcstat"
#define GLOBAL_KEYS                                                                     \
	"update every, ebpf load mode, apps, cgroups, pid table size, cgroup table size, " \
	"listen, apps groups file, maps per core, flows interface, apps max, series retention, " \
	"web config file, bandwidth table size, ipv4 connection table size, "              \
	"ipv6 connection table size, udp connection table size, ebpf type format, "      \
	"ebpf co-re tracing, btf path, lifetime, collect pid, ebpf object flavor, "       \
	"socket monitoring table size, netlog blacklist, container names, docker socket, "            \
	"containerd socket, crio socket, bash paths, dns port"

#define TMPFILES_PREFIX "ebpfmon-test-config"
#include "unit/tmpfiles.h"

static void init(struct config *c)
{
	assert_int_equal(config_init(c, known, known_on, NR_KNOWN), 0);
}

/* Load @text and expect the error "t.conf:<rest>". */
static void expect_error(const char *text, const char *want)
{
	struct config c, before;
	char err[1024] = "";

	init(&c);
	before = c;
	assert_int_equal(config_load_string(&c, text, "t.conf", err, sizeof(err)), -1);
	assert_string_equal(err, want);
	/* A failed load changes nothing, not even the keys before the bad line. */
	assert_memory_equal(&c, &before, sizeof(c));
}

static void expect_ok(struct config *c, const char *text)
{
	char err[512] = "";
	int rc;

	init(c);
	rc = config_load_string(c, text, "t.conf", err, sizeof(err));
	if (rc)
		fail_msg("unexpected error: %s", err);
	assert_string_equal(err, "");
}

static void test_init_defaults(void **state)
{
	struct config c;

	(void)state;
	init(&c);
	assert_int_equal(c.update_every, 1);
	assert_int_equal(c.load_mode, LOAD_MODE_RETURN);
	assert_true(c.apps);
	assert_false(c.cgroups);
	assert_int_equal(c.pid_table_size, 32768);
	assert_int_equal(c.cgroup_table_size, 1024);
	assert_string_equal(c.listen, "127.0.0.1:9435");
	assert_string_equal(c.apps_groups_file, "");
	assert_int_equal(c.nr_modules, NR_KNOWN);
	assert_string_equal(c.modules[1].name, "fd");
	assert_true(config_module_enabled(&c, "process"));
	assert_false(config_module_enabled(&c, "fd"));
	assert_false(config_module_enabled(&c, "nosuch"));
}

static void test_init_limits(void **state)
{
	static char text[CONFIG_MAX_MODULES + 1][8];
	const char *many[CONFIG_MAX_MODULES + 1];
	static const char *const long_name[] = { "a_module_name_of_thirty_two_char" };
	struct config c;

	(void)state;
	for (int i = 0; i <= CONFIG_MAX_MODULES; i++) {
		snprintf(text[i], sizeof(text[i]), "m%d", i);
		many[i] = text[i];
	}
	assert_int_equal(config_init(&c, many, NULL, CONFIG_MAX_MODULES), 0);
	assert_int_equal(c.nr_modules, CONFIG_MAX_MODULES);
	assert_false(config_module_enabled(&c, "m0"));
	assert_int_equal(config_init(&c, many, NULL, CONFIG_MAX_MODULES + 1), -1);
	assert_int_equal(config_init(&c, long_name, NULL, 1), -1);
}

/*
 * A config initialised with the modules the embedded default names (the
 * real registry's; `ebpfmon config | ebpfmon check --config -` in the kernel
 * tier checks the binary accepts its own default).
 */
static void init_embedded(struct config *c)
{
	static char text[CONFIG_MAX_MODULES][32];
	const char *names[CONFIG_MAX_MODULES];
	unsigned int n = 0;
	const char *p = strstr(config_embedded_default, "[ebpf programs]\n");

	assert_non_null(p);
	for (p = strchr(p, '\n'); p && p[1] == '\t' && n < CONFIG_MAX_MODULES;
	     p = strchr(p + 1, '\n')) {
		size_t len = strcspn(p + 2, " =");

		if (p[2] == '#' || len >= sizeof(text[n]))
			continue;
		memcpy(text[n], p + 2, len);
		text[n][len] = 0;
		names[n] = text[n];
		n++;
	}
	assert_true(n >= 3);
	assert_int_equal(config_init(c, names, NULL, n), 0);
}

static void test_embedded_default(void **state)
{
	static const char *const keys[] = {
		"update every",	  "ebpf load mode",    "apps",	 "cgroups",
		"pid table size", "cgroup table size", "listen", "apps groups file",
	};
	struct config c, defaults;
	char err[512] = "";

	(void)state;
	init_embedded(&defaults);
	c = defaults;
	if (config_load_string(&c, config_embedded_default, "(default)", err, sizeof(err)))
		fail_msg("the embedded default is refused: %s", err);
	/* The text restates the built-in values; only the module choice differs. */
	assert_int_equal(c.update_every, defaults.update_every);
	assert_int_equal(c.load_mode, defaults.load_mode);
	assert_int_equal(c.apps, defaults.apps);
	assert_int_equal(c.cgroups, defaults.cgroups);
	assert_int_equal(c.pid_table_size, defaults.pid_table_size);
	assert_int_equal(c.cgroup_table_size, defaults.cgroup_table_size);
	assert_string_equal(c.listen, defaults.listen);
	assert_string_equal(c.apps_groups_file, defaults.apps_groups_file);
	assert_true(config_module_enabled(&c, "process"));
	assert_true(config_module_enabled(&c, "fd"));
	assert_true(config_module_enabled(&c, "vfs"));

	/* Every key is documented (written out with its value). */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "\t%s =", keys[i]);
		if (!strstr(config_embedded_default, want))
			fail_msg("key '%s' missing from the embedded default", keys[i]);
	}
}

static void test_good_file(void **state)
{
	const char *path = write_tmp("good.conf",
				     "\xEF\xBB\xBF# full-line comment\n"
				     "; another\n"
				     "\n"
				     "[global]\n"
				     "    update every = 5   \n"
				     "\tebpf load mode=entry\n"
				     "apps = no ; inline comment\n"
				     "cgroups = on # inline comment\n"
				     "pid table size: 65536\r\n"
				     "Cgroup Table Size = 16\n"
				     "listen = [::1]:9000\n"
				     "apps groups file = /etc/ebpfmon/apps_groups.conf\n"
				     "[ ebpf programs ]\n"
				     "fd = yes\n"
				     "process = false\n"
				     "VFS = 1\n"
				     "[global]\n"
				     "flows interface = eth0\n");
	struct config c;
	char err[512] = "";

	(void)state;
	init(&c);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* A section may come back, with other keys (see test_duplicate_keys). */
	assert_int_equal(c.update_every, 5);
	assert_string_equal(c.flows_interface, "eth0");
	assert_int_equal(c.load_mode, LOAD_MODE_ENTRY);
	assert_false(c.apps);
	assert_true(c.cgroups);
	assert_int_equal(c.pid_table_size, 65536);
	assert_int_equal(c.cgroup_table_size, 16);
	assert_string_equal(c.listen, "[::1]:9000");
	assert_string_equal(c.apps_groups_file, "/etc/ebpfmon/apps_groups.conf");
	assert_false(config_module_enabled(&c, "process"));
	assert_true(config_module_enabled(&c, "fd"));
	assert_true(config_module_enabled(&c, "vfs"));
}

static void test_empty_and_comment_only(void **state)
{
	struct config c, d;
	const char *path = write_tmp("empty.conf", "");
	char err[256] = "";

	(void)state;
	init(&d);
	expect_ok(&c, "");
	assert_memory_equal(&c, &d, sizeof(c));
	expect_ok(&c, "# nothing\n\n   \n; here\n[global]\n");
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), 0);
	/* Only the list of files read (for `ebpfmon config`) has changed. */
	assert_int_equal(c.nr_files, 1);
	assert_string_equal(c.files[0], path);
	c.nr_files = 0;
	memset(c.files, 0, sizeof(c.files));
	assert_memory_equal(&c, &d, sizeof(c));
	expect_ok(&c, "[global]\napps groups file =\n");
	assert_string_equal(c.apps_groups_file, "");
}

static void test_missing_file(void **state)
{
	struct config c;
	char err[512], want[512], path[300];

	(void)state;
	init(&c);
	snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmpdir);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, want);

	assert_int_equal(config_load_file(&c, tmpdir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s: is a directory, not a regular file; give the path of a text file", tmpdir);
	assert_string_equal(err, want);
}

/* "update every = 2\0junk = 5": inih's fgets-style reading would stop at the NUL. */
static void test_nul_byte(void **state)
{
	static const char text[] = "[global]\nupdate every = 2\0junk = 5\napps = no\n";
	const char *path = write_tmp_bytes("nul.conf", text, sizeof(text) - 1);
	struct config c, before;
	char err[512], want[600];

	(void)state;
	init(&c);
	before = c;
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s:2: the line contains a NUL byte; a configuration file is plain text: remove it",
		 path);
	assert_string_equal(err, want);
	assert_memory_equal(&c, &before, sizeof(c));

	assert_int_equal(config_load_buffer(&c, text, sizeof(text) - 1, "t.conf", err, sizeof(err)),
			 -1);
	assert_string_equal(err, "t.conf:2: the line contains a NUL byte; a configuration file is "
				 "plain text: remove it");
	/* A NUL as the very last byte is refused too (a text editor never writes one). */
	assert_int_equal(config_load_buffer(&c, "[global]\n\0", 10, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "(string):2: the line contains a NUL byte; a configuration file "
				 "is plain text: remove it");
	/* Without a NUL the buffer needs no terminator: only @len bytes are read. */
	assert_int_equal(config_load_buffer(&c, "[global]\napps = noXXXX", 18, "t.conf", err,
					    sizeof(err)),
			 0);
	assert_false(c.apps);
}

/* Devices, FIFOs and directories are refused before any byte is read from them. */
static void test_not_a_regular_file(void **state)
{
	struct config c, before;
	char err[512], want[600], fifo[300];

	(void)state;
	init(&c);
	before = c;
	assert_int_equal(config_load_file(&c, "/dev/zero", err, sizeof(err)), -1);
	assert_string_equal(err, "/dev/zero: is a character device, not a regular file; give the "
				 "path of a text file");
	assert_memory_equal(&c, &before, sizeof(c));

	/* Opening a FIFO nobody writes to must not wait for a writer. */
	snprintf(fifo, sizeof(fifo), "%s/fifo.conf", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10); /* a hang fails the test instead of blocking the suite */
	assert_int_equal(config_load_file(&c, fifo, err, sizeof(err)), -1);
	alarm(0);
	unlink(fifo);
	snprintf(want, sizeof(want), "%s: is a FIFO, not a regular file; give the path of a text file",
		 fifo);
	assert_string_equal(err, want);
}

static void test_too_big(void **state)
{
	size_t len = TEXT_FILE_MAX_BYTES + 1;
	char *text = malloc(len);
	const char *path;
	struct config c;
	char err[512], want[600];

	(void)state;
	assert_non_null(text);
	/* Comments only: valid text, just too much of it. */
	memset(text, '#', len);
	for (size_t i = 79; i < len; i += 80)
		text[i] = '\n';
	path = write_tmp_bytes("big.conf", text, len);
	init(&c);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s: is larger than 1024 KiB; give the path of a configuration file", path);
	assert_string_equal(err, want);
	/* One byte less is fine. */
	path = write_tmp_bytes("limit.conf", text, len - 1);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), 0);
	free(text);
}

static void test_duplicate_keys(void **state)
{
	struct config c;

	(void)state;
	expect_error("[global]\nupdate every = 2\napps = no\nupdate every = 3\n",
		     "t.conf:4: 'update every' in [global] is already set on line 2; give each key "
		     "once");
	/* Key names are case-insensitive, so these are the same key... */
	expect_error("[global]\nupdate every = 2\nUpdate Every = 2\n",
		     "t.conf:3: 'update every' in [global] is already set on line 2; give each key "
		     "once");
	/* ...even in a second [global] section. */
	expect_error("[global]\nlisten = :1\n[ebpf programs]\nfd = no\n[ global ]\nlisten = :2\n",
		     "t.conf:6: 'listen' in [global] is already set on line 2; give each key once");
	expect_error("[ebpf programs]\nprocess = yes\nfd = no\nPROCESS = no\n",
		     "t.conf:4: 'process' in [ebpf programs] is already set on line 2; give each "
		     "key once");
	/* The same name in two sections is two keys, and a later file may override an earlier one. */
	expect_ok(&c, "[global]\napps = no\n");
	assert_int_equal(config_load_string(&c, "[global]\napps = yes\n", "t2.conf", NULL, 0), 0);
	assert_true(c.apps);
}

/* A quoted value cannot put an escape sequence or a line break into the message. */
static void test_control_characters_in_messages(void **state)
{
	struct config c;
	char err[512];

	(void)state;
	expect_error("[global]\nupdate every = \x1b[2J\x07\n",
		     "t.conf:2: 'update every' must be a whole number of seconds from 1 to 3600 "
		     "(e.g. 1, 10s, 1m), not '?[2J?'");
	expect_error("[global]\n\x1b]0;title\x07\n",
		     "t.conf:2: expected '[section]' or 'key = value', not '?]0;title?'");
	init(&c);
	assert_int_equal(config_set(&c, "global", "listen", "a\nb:1", err, sizeof(err)), -1);
	assert_null(strchr(err, '\n'));
}

static void test_error_in_file_names_file_and_line(void **state)
{
	const char *path = write_tmp("bad.conf", "# ok\n[global]\napps = yes\nupdate every = 0\n");
	struct config c;
	char err[512], want[600];

	(void)state;
	init(&c);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s:4: 'update every' must be a whole number of seconds from 1 to 3600 "
		 "(e.g. 1, 10s, 1m), not '0'",
		 path);
	assert_string_equal(err, want);
}

/* Netdata's layout: ebpf.d.conf, then ebpf.d/<module>.conf, each module's [global] its own. */
static void test_netdata_module_files(void **state)
{
	char dir[300], main_path[300], err[512] = "";
	struct config c;
	const char *p;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/ebpf.d", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	p = write_tmp("ebpf.d.conf", "[global]\n    ebpf load mode = entry\n    apps = yes\n"
				     "    update every = 5\n    btf path = /sys/kernel/btf/\n"
				     "    lifetime = 300\n"
				     "[ebpf programs]\n    vfs = yes\n    filesystem = yes\n"
				     "    network connections = no\n"
				     "[ipc]\n    integration = disabled\n    backlog = 20\n");
	snprintf(main_path, sizeof(main_path), "%s", p);
	write_tmp("ebpf.d/process.conf", "[global]\n    apps = no\n    collect pid = real parent\n");
	write_tmp("ebpf.d/vfs.conf", "[global]\n    ebpf load mode = return\n    cgroups = yes\n"
				     "    update every = 10\n    ebpf type format = auto\n");
	write_tmp("ebpf.d/filesystem.conf", "[filesystem]\n    ext4dist = no\n    xfsdist = yes\n");
	init(&c);
	assert_int_equal(config_load_file(&c, main_path, err, sizeof(err)), 0);
	assert_int_equal(config_load_module_files(&c, main_path, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.update_every, 5);
	assert_false(c.net.enabled); /* [ebpf programs] network connections = no */
	assert_false(config_module_apps(&c, "process"));
	assert_true(config_module_apps(&c, "vfs"));
	assert_true(config_module_cgroups(&c, "vfs"));
	assert_false(config_module_cgroups(&c, "fd"));
	assert_int_equal(config_module_load_mode(&c, "vfs"), LOAD_MODE_RETURN);
	assert_int_equal(config_module_load_mode(&c, "fd"), LOAD_MODE_ENTRY);
	assert_true(config_any_errors(&c)); /* vfs wants its errors */
	assert_int_equal(c.modules[4].nr_hidden, 1);
	assert_string_equal(c.modules[4].hidden[0], "ext4");
	/* Four files read; every ignored key named with its file and line, and why. */
	assert_int_equal(c.nr_files, 4);
	assert_int_equal(c.nr_ignored, 7);
	assert_string_equal(c.ignored[0].key, "[global] btf path = /sys/kernel/btf/");
	assert_non_null(strstr(c.ignored[0].where, "ebpf.d.conf:5"));
	assert_non_null(strstr(c.ignored[1].key, "lifetime"));
	assert_non_null(strstr(c.ignored[2].key, "[ipc] integration"));
	assert_non_null(strstr(c.ignored[4].key, "collect pid = real parent"));
	assert_non_null(strstr(c.ignored[4].where, "ebpf.d/process.conf:3"));
	assert_non_null(strstr(c.ignored[5].reason, "collects every module at once"));
	assert_non_null(strstr(c.ignored[6].key, "ebpf type format = auto"));

	/* A module's file may not set what only the whole agent can. */
	write_tmp("ebpf.d/fd.conf", "[global]\n    listen = :1\n");
	init(&c);
	assert_int_equal(config_load_module_files(&c, main_path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ebpf.d/fd.conf:2: 'listen' is not a per-module key"));
	write_tmp("ebpf.d/fd.conf", "[global]\n    ebpf load mode = light\n");
	init(&c);
	assert_int_equal(config_load_module_files(&c, main_path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fd.conf:2: 'ebpf load mode = light' applies to every module"));
	write_tmp("ebpf.d/fd.conf", "[syscalls]\n    close = no\n");
	init(&c);
	assert_int_equal(config_load_module_files(&c, main_path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fd.conf:2: [syscalls] belongs in a module's file of Netdata's ebpf.d/ (sync.conf or shm.conf)"));
	expect_error("[filesystem]\nntfsdist = no\n",
		     "t.conf:2: unknown key 'ntfsdist' in [filesystem]; known keys: ext4dist, xfsdist, btrfsdist, nfsdist, zfsdist");
	init(&c);
	assert_false(c.httpflow_tls);
	assert_int_equal(config_load_string(&c, "[ebpf programs]\nhttpflow tls = yes\n", "t.conf", err,
					    sizeof(err)),
			 0);
	assert_true(c.httpflow_tls);
	expect_error("[ebpf programs]\nhttpflow tls = maybe\n",
		     "t.conf:2: 'httpflow tls' in [ebpf programs] must be yes or no, not 'maybe'");
	expect_error("[global]\ncollect pid = grandparent\n",
		     "t.conf:2: 'collect pid' must be real parent, parent or all, not 'grandparent'");
	expect_error("[ipc]\nintegration = pipe\n",
		     "t.conf:2: 'integration' in [ipc] must be shm, socket or disabled, not 'pipe'");

	/* No ebpf.d/ beside the file: nothing more to read. */
	init(&c);
	assert_int_equal(config_load_module_files(&c, "/nonexistent/ebpf.d.conf", err, sizeof(err)), 0);
	for (unsigned int i = 0; i < nr_written; i++)
		if (strstr(written[i], "/ebpf.d/"))
			unlink(written[i]);
	assert_int_equal(rmdir(dir), 0);
}

/* Netdata's network.conf: table sizes, [network connections], [service name]. */
static void test_network_conf(void **state)
{
	struct config c;
	char err[512] = "";

	(void)state;
	init(&c);
	assert_int_equal(c.bandwidth_table_size, 16384);
	assert_int_equal(c.udp_conn_table_size, 4096);
	assert_true(c.net.enabled);
	assert_int_equal(config_load_string(&c,
					    "[global]\nbandwidth table size = 100\n"
					    "udp connection table size = 32\n"
					    "[network connections]\nmaximum dimensions = 7\n"
					    "ips = !127.0.0.1/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7 !::1/128\n"
					    "ports = 22 1000-2000 !8080 *\nephemeral port = 32768\n"
					    "resolve service names = yes\n"
					    "[service name]\n19999 = Netdata\n8125 = statsd\n",
					    "t.conf", err, sizeof(err)),
			 0);
	assert_int_equal(c.bandwidth_table_size, 100);
	assert_int_equal(c.udp_conn_table_size, 32);
	assert_int_equal(c.net.maximum_dimensions, 7);
	assert_int_equal(c.net.ephemeral_port, 32768);
	assert_true(c.net.resolve_service_names);
	assert_string_equal(c.net.ports, "22 1000-2000 !8080 *");
	/* 19999 named again (the default already has it): still one entry. */
	assert_int_equal(c.net.nr_services, 2);
	assert_string_equal(c.net.services[1].name, "statsd");

	/* The [global] of Netdata's network.conf, as it ships, loads. */
	init(&c);
	assert_int_equal(config_load_string(&c,
					    "[global]\n    bandwidth table size = 16384\n"
					    "    ipv4 connection table size = 16384\n"
					    "    ipv6 connection table size = 16384\n"
					    "    udp connection table size = 4096\n"
					    "    ebpf type format = auto\n"
					    "    ebpf co-re tracing = trampoline\n",
					    "network.conf", err, sizeof(err)),
			 0);
	assert_string_equal(c.core_tracing, "trampoline");
	expect_error("[global]\nebpf co-re tracing = kprobe\n",
		     "t.conf:2: 'ebpf co-re tracing' must be trampoline, probe or tracepoint, not 'kprobe'");
	expect_error("[global]\nipv4 connection table size = 8\n",
		     "t.conf:2: 'ipv4 connection table size' must be a whole number from 16 to 4194304, not '8'");
	expect_error("[network connections]\nports = 5001-\n",
		     "t.conf:2: ports: bad pattern '5001-': expected a port (22), a range (1000-2000), a service name (ssh) or *, each optionally after '!'");
	expect_error("[network connections]\nmaximum dimensions = 0\n",
		     "t.conf:2: 'maximum dimensions' must be a whole number from 1 to 100000, not '0'");
	expect_error("[network connections]\nenabled = maybe\n",
		     "t.conf:2: 'enabled' in [network connections] must be yes or no, not 'maybe'");
	expect_error("[network connections]\nips = *\nips = *\n",
		     "t.conf:3: 'ips' in [network connections] is already set on line 2; give each key once");
	expect_error("[network connections]\nfilter = x\n",
		     "t.conf:2: unknown key 'filter' in [network connections]; known keys: enabled, maximum dimensions, resolve hostnames, resolve service names, ports, ips, hostnames, ephemeral port");
	expect_error("[service name]\nhttp = 80\n",
		     "t.conf:2: 'http' in [service name] is not a port: write PORT = NAME (e.g. 19999 = Netdata)");
	expect_error("[service name]\n80 = a b\n",
		     "t.conf:2: service name 'a b' for port 80 must be 1 to 31 characters without blanks, quotes or backslashes");
}

static void test_unknown_section(void **state)
{
	(void)state;
	expect_error("[global]\napps = no\n\n[gloabl]\n",
		     "t.conf:4: unknown section [gloabl]; known sections: [global], "
		     "[ebpf programs], [network connections], [service name], [output], [ipc], [filesystem], [syscalls]");
	expect_error("[foo]\nx = 1\n",
		     "t.conf:1: unknown section [foo]; known sections: [global], [ebpf programs], [network connections], [service name], [output], [ipc], [filesystem], [syscalls]");
	expect_error("apps = no\n",
		     "t.conf:1: 'apps' is outside any section; put it under [global] or "
		     "[ebpf programs]");
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_error("[global]\napps = yes\nupdate_every = 1\n",
		     "t.conf:3: unknown key 'update_every' in [global]; known keys: " GLOBAL_KEYS);
}

static void test_bad_bool(void **state)
{
	(void)state;
	expect_error("[global]\napps = maybe\n",
		     "t.conf:2: 'apps' must be yes or no, not 'maybe'");
	expect_error("[global]\ncgroups =\n", "t.conf:2: 'cgroups' must be yes or no, not ''");
	expect_error("[ebpf programs]\nfd = yes please\n",
		     "t.conf:2: 'fd' in [ebpf programs] must be yes or no, not 'yes please'");
}

static void test_out_of_range(void **state)
{
	(void)state;
	expect_error("[global]\npid table size = 8\n",
		     "t.conf:2: 'pid table size' must be a whole number from 16 to 4194304, not '8'");
	expect_error("[global]\npid table size = 4194305\n",
		     "t.conf:2: 'pid table size' must be a whole number from 16 to 4194304, "
		     "not '4194305'");
	expect_error("[global]\npid table size = -1\n",
		     "t.conf:2: 'pid table size' must be a whole number from 16 to 4194304, not '-1'");
	expect_error("[global]\npid table size = 99999999999999999999999\n",
		     "t.conf:2: 'pid table size' must be a whole number from 16 to 4194304, "
		     "not '99999999999999999999999'");
	expect_error("[global]\ncgroup table size = 1048577\n",
		     "t.conf:2: 'cgroup table size' must be a whole number from 16 to 1048576, "
		     "not '1048577'");
	expect_error("[global]\ncgroup table size = 64k\n",
		     "t.conf:2: 'cgroup table size' must be a whole number from 16 to 1048576, "
		     "not '64k'");
	expect_error("[global]\nupdate every = 3601\n",
		     "t.conf:2: 'update every' must be a whole number of seconds from 1 to 3600 "
		     "(e.g. 1, 10s, 1m), not '3601'");
	expect_error("[global]\nupdate every = 1.5s\n",
		     "t.conf:2: 'update every' must be a whole number of seconds from 1 to 3600 "
		     "(e.g. 1, 10s, 1m), not '1.5s'");
	expect_error("[global]\ndns port = 65536\n",
		     "t.conf:2: 'dns port' must be a port number from 1 to 65535, not '65536'");
}

/* Bounds on application rows: defaults, units, and refusals. */
static void test_apps_bounds(void **state)
{
	struct config c;

	(void)state;
	init(&c);
	assert_int_equal(c.apps_max, 1000);
	assert_true(c.series_retention == 300);
	expect_ok(&c, "[global]\napps max = 50\nseries retention = 90s\n");
	assert_int_equal(c.apps_max, 50);
	assert_true(c.series_retention == 90);
	expect_ok(&c, "[global]\nseries retention = 2m\n");
	assert_true(c.series_retention == 120);
	expect_error("[global]\napps max = 0\n",
		     "t.conf:2: 'apps max' must be a whole number from 1 to 1000000, not '0'");
	expect_error("[global]\nseries retention = forever\n",
		     "t.conf:2: 'series retention' must be a duration up to 168h (e.g. 300, 5m, 1h), "
		     "not 'forever'");
	expect_error("[global]\nseries retention = 169h\n",
		     "t.conf:2: 'series retention' must be a duration up to 168h (e.g. 300, 5m, 1h), "
		     "not '169h'");
}

static void test_update_every_units(void **state)
{
	struct config c;

	(void)state;
	expect_ok(&c, "[global]\nupdate every = 1m\n");
	assert_int_equal(c.update_every, 60);
	expect_ok(&c, "[global]\nupdate every = 10s\n");
	assert_int_equal(c.update_every, 10);
	expect_ok(&c, "[global]\nupdate every = 1h\n");
	assert_int_equal(c.update_every, 3600);
	expect_ok(&c, "[global]\nupdate every = 3600\n");
	assert_int_equal(c.update_every, 3600);
}

static void test_bad_load_mode(void **state)
{
	struct config c;

	(void)state;
	expect_error("[global]\nebpf load mode = foo\n",
		     "t.conf:2: 'ebpf load mode' must be return, entry or light, not 'foo'");
	expect_ok(&c, "[global]\nebpf load mode = ENTRY\n");
	assert_int_equal(c.load_mode, LOAD_MODE_ENTRY);
	expect_ok(&c, "[global]\nebpf load mode = return\n");
	assert_int_equal(c.load_mode, LOAD_MODE_RETURN);
	expect_ok(&c, "[global]\nebpf load mode = light\n");
	assert_int_equal(c.load_mode, LOAD_MODE_LIGHT);
}

static void test_unknown_module(void **state)
{
	(void)state;
	expect_error("[ebpf programs]\nfd = yes\nnope = yes\n",
		     "t.conf:3: unknown module 'nope' in [ebpf programs]; known modules: " KNOWN_LIST);
}

/* [output]: the push URL checked at load (with its line), push every, the token. */
static void test_output(void **state)
{
	struct config c;

	(void)state;
	init(&c);
	assert_string_equal(c.push_url, "");
	assert_int_equal(c.push_every, 0);
	expect_ok(&c, "[output]\npush url = http://127.0.0.1:8086/write?db=x\npush every = 10\n"
		      "push token = abc\n");
	assert_string_equal(c.push_url, "http://127.0.0.1:8086/write?db=x");
	assert_int_equal(c.push_every, 10);
	assert_string_equal(c.push_token, "abc");
	expect_ok(&c, "[output]\npush url = https://[::1]:9529/v1/write/metric\n");
	expect_error("[output]\n\npush url = ftp://host/x\n",
		     "t.conf:3: 'push url': the push URL must start with http:// or https:// (e.g. http://127.0.0.1:8086/write?db=ebpfmon)");
	expect_error("[output]\npush url = http:///write\n",
		     "t.conf:2: 'push url': the push URL has no host; write http://HOST[:PORT]/PATH");
	expect_error("[output]\npush every = -1\n",
		     "t.conf:2: 'push every' must be whole seconds from 0 to 86400 (0: every collection), not '-1'");
	expect_error("[output]\npush url = http://a/\npush url = http://b/\n",
		     "t.conf:3: 'push url' in [output] is already set on line 2; give each key once");
	expect_error("[output]\npush interval = 1\n",
		     "t.conf:2: unknown key 'push interval' in [output]; known keys: push url, push every, push token");
}

static void test_listen(void **state)
{
	static const char *const good[] = {
		"127.0.0.1:9435", ":9435", "[::1]:80", "[::]:65535", "localhost:1", "0.0.0.0:8080",
	};
	static const struct {
		const char *value, *why;
	} bad[] = {
		{ "", "is empty" },
		{ "127.0.0.1", "has no ':PORT'" },
		{ "127.0.0.1:", "needs a port from 1 to 65535" },
		{ "127.0.0.1:0", "needs a port from 1 to 65535" },
		{ ":65536", "needs a port from 1 to 65535" },
		{ "host:http", "needs a port from 1 to 65535" },
		{ "::1:80", "has an IPv6 address without brackets (write [ADDR]:PORT)" },
		{ "[::1]80", "needs ':PORT' after ']'" },
		{ "[::1", "has '[' without ']'" },
		{ "[]:80", "has no IPv6 address between '[' and ']'" },
		/* The right shape, but not an address the server could bind: `run` refuses it. */
		{ "999.1.1.1:80", "needs a numeric IPv4 address or 'localhost' before ':PORT' "
				  "(names are not looked up)" },
		{ "example.com:80", "needs a numeric IPv4 address or 'localhost' before ':PORT' "
				    "(names are not looked up)" },
		{ "1.2.3:80", "needs a numeric IPv4 address or 'localhost' before ':PORT' "
			      "(names are not looked up)" },
		{ "[fe80::zz]:80", "has no valid IPv6 address between '[' and ']'" },
		{ "[1.2.3.4]:80", "has no valid IPv6 address between '[' and ']'" },
		/* Found by fuzz_listen: leading zeros let a port of any length through the server. */
		{ ":000080", "needs a port from 1 to 65535" },
	};
	struct sockaddr_storage ss;
	unsigned int sslen;
	struct config c;
	char err[512], want[512];

	(void)state;
	init(&c);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (config_set(&c, "global", "listen", good[i], err, sizeof(err)))
			fail_msg("'%s' rejected: %s", good[i], err);
		assert_string_equal(c.listen, good[i]);
		/* What `check` accepts, `run` binds. */
		assert_int_equal(parse_listen(good[i], &ss, &sslen), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(config_set(&c, "global", "listen", bad[i].value, err, sizeof(err)),
				 -1);
		snprintf(want, sizeof(want),
			 "'listen' %s: give ADDR:PORT, [IPv6]:PORT or :PORT, not '%s'", bad[i].why,
			 bad[i].value);
		assert_string_equal(err, want);
		/* ...and what it refuses, `run` would refuse too. */
		if (!parse_listen(bad[i].value, &ss, &sslen))
			fail_msg("parse_listen accepts '%s', which the configuration refuses",
				 bad[i].value);
	}
	assert_int_equal(config_set(&c, "global", "listen", "a b:1", err, sizeof(err)), -1);
	assert_string_equal(c.listen, "0.0.0.0:8080");
	expect_error("[global]\nlisten = 127.0.0.1\n",
		     "t.conf:2: 'listen' has no ':PORT': give ADDR:PORT, [IPv6]:PORT or :PORT, "
		     "not '127.0.0.1'");
}

static void test_syntax_errors(void **state)
{
	char text[600];

	(void)state;
	expect_error("[global]\njunk line\n",
		     "t.conf:2: expected '[section]' or 'key = value', not 'junk line'");
	expect_error("[global\napps = no\n",
		     "t.conf:1: expected '[section]' or 'key = value', not '[global'");
	/* The first problem is reported, whatever its kind. */
	expect_error("[global]\njunk\napps = maybe\n",
		     "t.conf:2: expected '[section]' or 'key = value', not 'junk'");
	expect_error("[global]\napps = maybe\njunk\nfoo = 1\n",
		     "t.conf:2: 'apps' must be yes or no, not 'maybe'");
	expect_error("[global]\napps = maybe\n[nope]\n",
		     "t.conf:2: 'apps' must be yes or no, not 'maybe'");
	/* Indented text is not a continuation of the previous value. */
	expect_error("[global]\napps = no\n   more\n",
		     "t.conf:3: expected '[section]' or 'key = value', not 'more'");

	/* A line too long for inih is an error at its own line; later numbers stay right. */
	snprintf(text, sizeof(text), "[global]\napps groups file = /%0400d\ncgroups = x\n", 0);
	{
		struct config c;
		char err[512];

		init(&c);
		assert_int_equal(config_load_string(&c, text, "t.conf", err, sizeof(err)), -1);
		assert_non_null(strstr(err, "t.conf:2: line is longer than "));
		assert_non_null(strstr(err, " characters; shorten it"));
	}
	/* ...unless it is a comment. */
	snprintf(text, sizeof(text), "[global]\n# %0400d\ncgroups = x\n", 0);
	expect_error(text, "t.conf:3: 'cgroups' must be yes or no, not 'x'");
}

static void test_origin_null(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	init(&c);
	assert_int_equal(config_load_string(&c, "[x]\n", NULL, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "(string):1: unknown section [x]; known sections: [global], [ebpf programs], [network connections], [service name], [output], [ipc], [filesystem], [syscalls]");
	/* A NULL or short error buffer is not written past. */
	assert_int_equal(config_load_string(&c, "[x]\n", NULL, NULL, 0), -1);
	memset(err, 'z', sizeof(err));
	assert_int_equal(config_load_string(&c, "[x]\n", "o", err, 5), -1);
	assert_string_equal(err, "o:1:");
	assert_int_equal(err[5], 'z');
}

static void test_layering(void **state)
{
	const char *f1 = write_tmp("layer1.conf", "[global]\nupdate every = 5\napps = no\n"
						  "[ebpf programs]\nfd = yes\n");
	const char *f2 = write_tmp("layer2.conf", "[global]\nupdate every = 3\n");
	struct config c;
	char err[512] = "";

	(void)state;
	init_embedded(&c);
	assert_int_equal(config_load_string(&c, config_embedded_default, "(default)", err,
					    sizeof(err)),
			 0);
	assert_int_equal(c.update_every, 1);
	assert_int_equal(config_load_file(&c, f1, err, sizeof(err)), 0);
	assert_int_equal(c.update_every, 5);
	assert_false(c.apps);
	/* The embedded default enabled vfs; the file did not mention it. */
	assert_true(config_module_enabled(&c, "vfs"));
	assert_int_equal(config_load_file(&c, f2, err, sizeof(err)), 0);
	assert_int_equal(c.update_every, 3);
	assert_false(c.apps); /* untouched by the second file */

	/* Command-line flags come last. */
	assert_int_equal(config_set(&c, "global", "update every", "10", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "global", "apps", "yes", err, sizeof(err)), 0);
	assert_int_equal(config_set_module_list(&c, "vfs", err, sizeof(err)), 0);
	assert_int_equal(c.update_every, 10);
	assert_true(c.apps);
	assert_false(config_module_enabled(&c, "process"));
	assert_false(config_module_enabled(&c, "fd"));
	assert_true(config_module_enabled(&c, "vfs"));
	assert_int_equal(c.pid_table_size, 32768);
}

static void test_config_set_errors(void **state)
{
	struct config c;
	char err[1024];

	(void)state;
	init(&c);
	assert_int_equal(config_set(&c, "global", "nope", "1", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown key 'nope' in [global]; known keys: " GLOBAL_KEYS);
	assert_int_equal(config_set(&c, "ebpf programs", "nope", "yes", err, sizeof(err)), -1);
	assert_string_equal(err,
			    "unknown module 'nope' in [ebpf programs]; known modules: " KNOWN_LIST);
	assert_int_equal(config_set(&c, "other", "x", "1", err, sizeof(err)), -1);
	assert_string_equal(err,
			    "unknown section [other]; known sections: [global], [ebpf programs], [network connections], [service name], [output], [ipc], [filesystem], [syscalls]");
	assert_int_equal(config_set(&c, NULL, "x", "1", err, sizeof(err)), -1);
	assert_string_equal(err,
			    "'x' is outside any section; put it under [global] or [ebpf programs]");
	assert_int_equal(config_set(&c, "global", "apps", NULL, err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "ebpf programs", "cachestat", "yes", err, sizeof(err)),
			 0);
	assert_true(config_module_enabled(&c, "cachestat"));
}

static void test_module_list(void **state)
{
	struct config c;
	char err[512];

	(void)state;
	init(&c);
	assert_int_equal(config_set_module_list(&c, "fd,vfs", err, sizeof(err)), 0);
	assert_false(config_module_enabled(&c, "process"));
	assert_true(config_module_enabled(&c, "fd"));
	assert_true(config_module_enabled(&c, "vfs"));

	assert_int_equal(config_set_module_list(&c, " cachestat , process,", err, sizeof(err)),
			 0);
	assert_true(config_module_enabled(&c, "process"));
	assert_false(config_module_enabled(&c, "fd"));
	assert_false(config_module_enabled(&c, "vfs"));
	assert_true(config_module_enabled(&c, "cachestat"));

	/* An unknown name changes nothing. */
	assert_int_equal(config_set_module_list(&c, "fd,bogus", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown module 'bogus'; known modules: " KNOWN_LIST);
	assert_true(config_module_enabled(&c, "process"));
	assert_false(config_module_enabled(&c, "fd"));

	assert_int_equal(config_set_module_list(&c, " , ", err, sizeof(err)), -1);
	assert_string_equal(err, "empty module list; name one or more of: " KNOWN_LIST);
	assert_int_equal(config_set_module_list(&c, "", err, sizeof(err)), -1);
	assert_int_equal(config_set_module_list(&c, "fdx", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown module 'fdx'; known modules: " KNOWN_LIST);
	assert_int_equal(config_set_module_list(&c, "f", err, sizeof(err)), -1);
}

static void test_parse_bool(void **state)
{
	static const char *const yes[] = { "yes", "YES", "true", "True", "on", "1" };
	static const char *const no[] = { "no", "No", "false", "FALSE", "off", "0" };
	static const char *const bad[] = { "", "y", "n", "2", "yes ", " no", "yesno", "enable" };
	bool b;

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		assert_int_equal(parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		assert_int_equal(parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = true;
		if (parse_bool(bad[i], &b) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(b); /* untouched */
	}
	assert_int_equal(parse_bool(NULL, &b), -1);
}

static void test_parse_uint(void **state)
{
	static const struct {
		const char *s;
		unsigned long long min, max, want;
		int err; /* 0: accepted */
	} cases[] = {
		{ "0", 0, 10, 0, 0 },
		{ "10", 0, 10, 10, 0 },
		{ "007", 0, 10, 7, 0 },
		{ "18446744073709551615", 0, ULLONG_MAX, ULLONG_MAX, 0 },
		{ "18446744073709551616", 0, ULLONG_MAX, 0, ERANGE },
		{ "99999999999999999999999", 0, ULLONG_MAX, 0, ERANGE },
		{ "11", 0, 10, 0, ERANGE },
		{ "4", 5, 10, 0, ERANGE },
		{ "", 0, 10, 0, EINVAL },
		{ "-1", 0, 10, 0, EINVAL },
		{ "+1", 0, 10, 0, EINVAL },
		{ " 1", 0, 10, 0, EINVAL },
		{ "1 ", 0, 10, 0, EINVAL },
		{ "1k", 0, 10000, 0, EINVAL },
		{ "0x10", 0, 100, 0, EINVAL },
		{ "1.0", 0, 10, 0, EINVAL },
	};
	unsigned long long v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		v = 12345;
		errno = 0;
		rc = parse_uint(cases[i].s, cases[i].min, cases[i].max, &v);
		if (cases[i].err) {
			if (rc != -1 || errno != cases[i].err)
				fail_msg("'%s': rc %d errno %d", cases[i].s, rc, errno);
			assert_int_equal(v, 12345);
		} else {
			if (rc != 0)
				fail_msg("'%s' rejected", cases[i].s);
			assert_int_equal(v, cases[i].want);
		}
	}
	assert_int_equal(parse_uint(NULL, 0, 1, &v), -1);
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *s;
		double want;
	} good[] = {
		{ "10", 10 },	    { "10s", 10 },     { "500ms", 0.5 },   { "2m", 120 },
		{ "1h", 3600 },	    { "1.5s", 1.5 },   { "1.5", 1.5 },	   { "0.25", 0.25 },
		{ ".5s", 0.5 },	    { "1.5h", 5400 },  { "250ms", 0.25 },  { "0010", 10 },
		{ "0.5m", 30 },
	};
	static const char *const bad[] = {
		"",	"0",   "0s",   "0.0", "0ms", "-1",  "+1",    "1x",   "s",	  "ms",
		"1 s",	" 1",  "1 ",   "1.",  ".",   "1e3", "inf",   "nan",  "0x10", "1ms2",
		"1.5.2", "10S", "1sec", "1d",  "1,5", "1:00", "1.5ss",
		"9999999999999999999999999999999999999999h",
	};
	double d;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		d = -1;
		if (parse_duration(good[i].s, &d))
			fail_msg("'%s' rejected", good[i].s);
		if (d != good[i].want)
			fail_msg("'%s' gave %g, want %g", good[i].s, d, good[i].want);
	}
	/* Not exact in binary: compare within a bound. */
	assert_int_equal(parse_duration("100ms", &d), 0);
	assert_true(d > 0.0999999 && d < 0.1000001);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = -1;
		if (parse_duration(bad[i], &d) != -1)
			fail_msg("'%s' accepted as %g", bad[i], d);
		assert_true(d == -1);
	}
	assert_int_equal(parse_duration(NULL, &d), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_defaults),
		cmocka_unit_test(test_init_limits),
		cmocka_unit_test(test_embedded_default),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_empty_and_comment_only),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_not_a_regular_file),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_control_characters_in_messages),
		cmocka_unit_test(test_error_in_file_names_file_and_line),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_network_conf),
		cmocka_unit_test(test_netdata_module_files),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_bool),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_update_every_units),
		cmocka_unit_test(test_apps_bounds),
		cmocka_unit_test(test_bad_load_mode),
		cmocka_unit_test(test_unknown_module),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_origin_null),
		cmocka_unit_test(test_layering),
		cmocka_unit_test(test_config_set_errors),
		cmocka_unit_test(test_module_list),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_parse_duration),
	};

	return cmocka_run_group_tests_name("config", tests, group_setup, group_teardown);
}
