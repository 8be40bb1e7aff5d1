// SPDX-License-Identifier: GPL-2.0
/*
 * The web config (exporter-toolkit's format): what it accepts, and one line
 * naming the file, the line and the problem for what it refuses.
 */
#include <crypt.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define TMPFILES_PREFIX "ebpfmon-webcfg"
#include "tmpfiles.h"

#include "core/config.h"
#include "core/web_config.h"

static char hash[128]; /* bcrypt of "s3cret", cost 4 */

/* A certificate and its key, and another key: made with openssl for this run. */
static int setup(void **state)
{
	char cmd[1024], salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *h;

	if (group_setup(state))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-days 2 -subj /CN=localhost -keyout key.pem -out cert.pem 2>/dev/null && "
		 "openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:prime256v1 -out other.pem 2>/dev/null",
		 tmpdir);
	if (system(cmd)) {
		fprintf(stderr, "openssl could not make a test certificate\n");
		return -1;
	}
	/* Listed for removal with the directory. */
	snprintf(written[nr_written++], sizeof(written[0]), "%s/key.pem", tmpdir);
	snprintf(written[nr_written++], sizeof(written[0]), "%s/cert.pem", tmpdir);
	snprintf(written[nr_written++], sizeof(written[0]), "%s/other.pem", tmpdir);
	if (!crypt_gensalt_rn("$2y$", 4, NULL, 0, salt, sizeof(salt)) ||
	    !(h = crypt(("s3cret"), salt)) || h[0] != '$')
		return -1;
	snprintf(hash, sizeof(hash), "%s", h);
	return 0;
}

/* write_tmp(), reusing the file of a name written before. */
static const char *rewrite_tmp(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	for (unsigned int i = 0; i < nr_written; i++) {
		if (strcmp(written[i], path))
			continue;
		f = fopen(written[i], "w");
		assert_non_null(f);
		assert_true(fputs(text, f) >= 0);
		assert_int_equal(fclose(f), 0);
		return written[i];
	}
	return write_tmp(name, text);
}

/* Load @text as file @name; NULL and the message in @err when refused. */
static struct web_config *load(const char *name, const char *text, char *err, size_t errlen)
{
	return web_config_load(rewrite_tmp(name, text), err, errlen);
}

static void test_tls_and_users(void **state)
{
	char text[512], err[512] = "";
	struct web_config *wc;

	(void)state;
	snprintf(text, sizeof(text),
		 "# as in exporter-toolkit\n"
		 "tls_server_config:\n"
		 "  cert_file: cert.pem   # relative to this file\n"
		 "  key_file: %s/key.pem\n"
		 "basic_auth_users:\n"
		 "  prometheus: '%s'\n"
		 "  \"other user\": %s\n",
		 tmpdir, hash, hash);
	wc = load("good.yml", text, err, sizeof(err));
	if (!wc)
		fail_msg("refused: %s", err);
	assert_true(wc->tls);
	assert_non_null(strstr(wc->cert_pem, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(wc->key_pem, "PRIVATE KEY"));
	/* exporter-toolkit's default: TLS 1.2 at least. */
	assert_string_equal(wc->tls_priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	assert_int_equal(wc->nr_users, 2);
	assert_string_equal(wc->users[1].name, "other user");
	assert_true(web_config_authorized(wc, "prometheus", "s3cret"));
	assert_true(web_config_authorized(wc, "prometheus", "s3cret")); /* from the cache */
	assert_true(web_config_authorized(wc, "other user", "s3cret"));
	assert_false(web_config_authorized(wc, "prometheus", "s3cret "));
	assert_false(web_config_authorized(wc, "prometheus", ""));
	assert_false(web_config_authorized(wc, "Prometheus", "s3cret"));
	assert_false(web_config_authorized(wc, "nobody", "s3cret"));
	assert_false(web_config_authorized(wc, NULL, NULL));
	web_config_free(wc);
	web_config_free(NULL);
}

static void test_versions(void **state)
{
	char err[512] = "";
	struct web_config *wc;

	(void)state;
	wc = load("v.yml",
		  "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		  "  min_version: TLS13\n",
		  err, sizeof(err));
	if (!wc)
		fail_msg("refused: %s", err);
	assert_string_equal(wc->tls_priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	assert_int_equal(wc->nr_users, 0);
	assert_true(web_config_authorized(wc, NULL, NULL)); /* no users: no auth */
	web_config_free(wc);
}

/* Nothing configured is allowed, as in exporter-toolkit: plain HTTP, no auth. */
static void test_empty(void **state)
{
	static const char *const texts[] = { "", "# nothing yet\n", "---\n",
					     "tls_server_config:\nbasic_auth_users: ~\n" };
	char err[512] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct web_config *wc = load("empty.yml", texts[i], err, sizeof(err));

		if (!wc)
			fail_msg("'%s' refused: %s", texts[i], err);
		assert_false(wc->tls);
		assert_int_equal(wc->nr_users, 0);
		web_config_free(wc);
	}
}

struct bad_case {
	const char *text;
	const char *want; /* after "<tmpdir>/bad.yml" */
};

static const struct bad_case bad_cases[] = {
	{ "tls_server_config: [cert.pem\n", ":2:1: not valid YAML: did not find expected ',' or ']'" },
	{ "basic_auth_users:\n\tbob: x\n", ":2:1: not valid YAML: found character that cannot start any token" },
	{ "colour: blue\n", ":1: unknown key 'colour'; known keys: tls_server_config, basic_auth_users" },
	{ "- tls_server_config\n", ":1: the web config must be a mapping of keys to values" },
	{ "just text\n", ":1: the web config must be a mapping of keys to values" },
	{ "http_server_config:\n  http2: false\n",
	  ":1: 'http_server_config' is not supported by ebpfmon (only tls_server_config, basic_auth_users); remove it" },
	{ "tls_server_config:\n  cert_file: cert.pem\n  kee_file: key.pem\n",
	  ":3: unknown key 'kee_file' in tls_server_config; known keys: cert_file, key_file, min_version, max_version" },
	{ "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_ca_file: ca.pem\n",
	  ":4: tls_server_config: 'client_ca_file' is not supported by ebpfmon (only cert_file, key_file, min_version, max_version)" },
	{ "tls_server_config:\n  cert_file: cert.pem\n",
	  ":2: tls_server_config needs both cert_file and key_file (missing key_file)" },
	{ "tls_server_config:\n  cert_file: cert.pem\n  key_file: other.pem\n",
	  ":2: cert_file and key_file cannot serve TLS: " },
	{ "tls_server_config:\n  cert_file: key.pem\n  key_file: cert.pem\n",
	  ":2: cert_file and key_file cannot serve TLS: " },
	{ "tls_server_config:\n  cert_file: cert.pem\n  key_file:\n",
	  ":3: key_file is empty; give the path of a PEM file" },
	{ "tls_server_config:\n  cert_file: [cert.pem]\n  key_file: key.pem\n",
	  ":2: cert_file must be a single value, not a list" },
	{ "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: TLS14\n",
	  ":4: min_version must be TLS10, TLS11, TLS12 or TLS13, not 'TLS14'" },
	{ "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: TLS13\n  max_version: TLS12\n",
	  ":5: max_version TLS12 is below min_version TLS13" },
	{ "tls_server_config:\n  cert_file: cert.pem\n  cert_file: key.pem\n",
	  ":3: duplicate key 'cert_file' in tls_server_config (first on line 2)" },
	{ "basic_auth_users:\n  bob: hunter2\n",
	  ":2: basic_auth_users: the password of 'bob' must be a bcrypt hash ($2y$..., e.g. from 'htpasswd -nBC 10 bob'), not a plain password" },
	{ "basic_auth_users:\n  bob: \"$1$abc$defghijklmnopqrstuvwx\"\n",
	  ":2: basic_auth_users: the password of 'bob' must be a bcrypt hash" },
	{ "basic_auth_users:\n  \"a:b\": x\n",
	  ":2: basic_auth_users: user 'a:b' has a ':', which Basic auth cannot carry" },
	{ "basic_auth_users:\n  - bob\n", ":2: basic_auth_users must map user names to bcrypt hashes" },
	{ "basic_auth_users:\nbasic_auth_users:\n",
	  ":2: duplicate key 'basic_auth_users' in the web config (first on line 1)" },
	{ "basic_auth_users: {}\n---\ncolour: blue\n",
	  ":3: a second YAML document; the web config is one document" },
	{ "basic_auth_users:\n  \"bo\\0b\": x\n", ":2: a key contains a NUL byte" },
};

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char err[512] = "", want[512];
		struct web_config *wc = load("bad.yml", bad_cases[i].text, err, sizeof(err));

		if (wc)
			fail_msg("case %zu accepted:\n%s", i, bad_cases[i].text);
		snprintf(want, sizeof(want), "%s/bad.yml%s", tmpdir, bad_cases[i].want);
		if (strncmp(err, want, strlen(want)))
			fail_msg("case %zu:\n got  %s\n want %s", i, err, want);
		assert_null(strchr(err, '\n'));
	}
}

static void test_missing_files(void **state)
{
	char err[512] = "", want[512];

	(void)state;
	assert_null(load("nokey.yml",
			 "tls_server_config:\n  cert_file: cert.pem\n  key_file: nowhere.pem\n", err,
			 sizeof(err)));
	snprintf(want, sizeof(want),
		 "%s/nokey.yml:3: key_file '%s/nowhere.pem': cannot read: No such file or directory",
		 tmpdir, tmpdir);
	assert_string_equal(err, want);

	assert_null(web_config_load("/nonexistent/web.yml", err, sizeof(err)));
	assert_string_equal(err,
			    "/nonexistent/web.yml: cannot read the web config: No such file or directory");
	assert_null(web_config_load(tmpdir, err, sizeof(err)));
	assert_non_null(strstr(err, ": cannot read the web config: Is a directory"));
	assert_null(web_config_load("/dev/zero", err, sizeof(err)));
	assert_string_equal(err, "/dev/zero: cannot read the web config: not a regular file");
}

/* The configuration key reads the file at once: `check` and `run` refuse a bad one alike. */
static void test_config_key(void **state)
{
	struct config c;
	char err[512] = "", text[256];
	const char *good, *bad;

	(void)state;
	snprintf(text, sizeof(text), "basic_auth_users:\n  bob: '%s'\n", hash);
	good = rewrite_tmp("key-good.yml", text);
	bad = rewrite_tmp("key-bad.yml", "basic_auth_users:\n  bob: hunter2\n");
	assert_int_equal(config_init(&c, NULL, NULL, 0), 0);
	assert_int_equal(config_set(&c, "global", "web config file", good, err, sizeof(err)), 0);
	assert_string_equal(c.web_config_file, good);
	assert_int_equal(config_set(&c, "global", "web config file", bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "key-bad.yml:2: basic_auth_users: the password of 'bob'"));
	assert_string_equal(c.web_config_file, good);
	assert_int_equal(config_set(&c, "global", "web config file", "", err, sizeof(err)), 0);
	assert_string_equal(c.web_config_file, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_and_users), cmocka_unit_test(test_versions),
		cmocka_unit_test(test_empty),	      cmocka_unit_test(test_refused),
		cmocka_unit_test(test_missing_files), cmocka_unit_test(test_config_key),
	};

	return cmocka_run_group_tests_name("web config", tests, setup, group_teardown);
}
