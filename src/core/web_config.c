// SPDX-License-Identifier: GPL-2.0
/*
 * The web configuration: YAML read with libyaml's document loader (nodes carry
 * their line for messages), the certificate and key checked with GnuTLS (the
 * TLS library libmicrohttpd serves with), passwords checked with libxcrypt's
 * bcrypt.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "core/text.h"
#include "core/web_config.h"

/* Certificates, keys and this file are small; a bigger file is a wrong path. */
#define WEB_FILE_MAX (1 << 20)

static const char *const top_keys = "tls_server_config, basic_auth_users";
static const char *const tls_keys = "cert_file, key_file, min_version, max_version";
/* exporter-toolkit keys with no counterpart here: refused with that reason. */
static const char *const toolkit_only[] = {
	"http_server_config", "client_auth_type",   "client_ca_file",
	"client_allowed_sans", "cipher_suites",	    "curve_preferences",
	"prefer_server_cipher_suites", "cert",	    "key",
	"rate_limit",
};

static const char *const tls_versions[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
static const char *const gnutls_versions[] = { "+VERS-TLS1.0", "+VERS-TLS1.1", "+VERS-TLS1.2",
					       "+VERS-TLS1.3" };

struct tls_settings {
	const yaml_node_t *cert, *key, *min, *max;
};

struct loader {
	const char *path;
	const char *dir; /* of path: relative file names start there */
	yaml_document_t doc;
	struct web_config *wc;
	struct tls_settings *tls; /* while reading tls_server_config */
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 3, 4)))
fail_at(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		seterr(l->err, l->errlen, "%s:%zu: %s", l->path, n->start_mark.line + 1, msg);
	else
		seterr(l->err, l->errlen, "%s: %s", l->path, msg);
	return -1;
}

/* The whole of a small regular file, NUL-terminated; NULL with errno (EFBIG: too big). */
static char *read_small_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t used = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	buf = malloc(WEB_FILE_MAX + 1);
	if (!buf)
		goto fail;
	for (;;) {
		ssize_t n = read(fd, buf + used, WEB_FILE_MAX + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (!n)
			break;
		used += (size_t)n;
		if (used > WEB_FILE_MAX) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[used] = 0;
	if (len)
		*len = used;
	/* Kept for the process' life (the certificate and key): give back the room not used. */
	return realloc(buf, used + 1) ?: buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

static const char *read_problem(int err)
{
	if (err == EFBIG)
		return "larger than 1 MiB";
	if (err == EINVAL)
		return "not a regular file";
	return strerror(err);
}

static bool is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* The text of a scalar node that names @what; NULL (and the error said) otherwise. */
static const char *scalar(struct loader *l, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail_at(l, n, "%s must be a single value, not a %s", what,
			n->type == YAML_MAPPING_NODE ? "mapping" : "list");
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		fail_at(l, n, "%s contains a NUL byte", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/*
 * Walk a mapping: @on_pair for each key, after checking the key is a scalar
 * met once. Returns 0 or -1 (error said).
 */
static int each_pair(struct loader *l, const yaml_node_t *map, const char *what,
		     int (*on_pair)(struct loader *l, const char *key, const yaml_node_t *k,
				    const yaml_node_t *v))
{
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(l, map, "%s must be a mapping of keys to values", what);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
		const char *key = scalar(l, k, "a key");

		if (!key)
			return -1;
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *prev = yaml_document_get_node(&l->doc, q->key);

			if (prev->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)prev->data.scalar.value, key))
				return fail_at(l, k, "duplicate key '%s' in %s (first on line %zu)",
					       key, what, prev->start_mark.line + 1);
		}
		if (on_pair(l, key, k, v))
			return -1;
	}
	return 0;
}

/* ---- tls_server_config --------------------------------------------------- */

static int on_tls_pair(struct loader *l, const char *key, const yaml_node_t *k,
		       const yaml_node_t *v)
{
	struct tls_settings *t = l->tls;

	if (!strcmp(key, "cert_file"))
		t->cert = v;
	else if (!strcmp(key, "key_file"))
		t->key = v;
	else if (!strcmp(key, "min_version"))
		t->min = v;
	else if (!strcmp(key, "max_version"))
		t->max = v;
	else if (in_list(key, toolkit_only, sizeof(toolkit_only) / sizeof(toolkit_only[0])))
		return fail_at(l, k, "tls_server_config: '%s' is not supported by ebpfmon (only %s)",
			       key, tls_keys);
	else
		return fail_at(l, k, "unknown key '%s' in tls_server_config; known keys: %s", key,
			       tls_keys);
	return 0;
}

/* The PEM text of file key @what (node @v), relative to the web config's directory. */
static char *read_pem(struct loader *l, const yaml_node_t *v, const char *what)
{
	const char *name = scalar(l, v, what);
	char *path, *text;

	if (!name)
		return NULL;
	if (!*name || is_null(v)) {
		fail_at(l, v, "%s is empty; give the path of a PEM file", what);
		return NULL;
	}
	if (name[0] == '/' ? !(path = strdup(name)) : asprintf(&path, "%s/%s", l->dir, name) < 0) {
		fail_at(l, v, "out of memory");
		return NULL;
	}
	text = read_small_file(path, NULL);
	if (!text)
		fail_at(l, v, "%s '%s': cannot read: %s", what, path, read_problem(errno));
	free(path);
	return text;
}

static int tls_version(struct loader *l, const yaml_node_t *v, const char *what, int dflt)
{
	const char *s;

	if (!v)
		return dflt;
	s = scalar(l, v, what);
	if (!s)
		return -1;
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, tls_versions[i]))
			return i;
	return fail_at(l, v, "%s must be TLS10, TLS11, TLS12 or TLS13, not '%s'", what, s);
}

static int load_tls(struct loader *l, const yaml_node_t *node)
{
	struct web_config *wc = l->wc;
	struct tls_settings t = { 0 };
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert, key;
	int min, max, rc;
	size_t used = 0;

	/* "tls_server_config:" with nothing under it: no TLS, as in exporter-toolkit. */
	if (is_null(node))
		return 0;
	l->tls = &t;
	rc = each_pair(l, node, "tls_server_config", on_tls_pair);
	l->tls = NULL;
	if (rc)
		return -1;
	if (!t.cert || !t.key)
		return fail_at(l, node, "tls_server_config needs both cert_file and key_file (missing %s)",
			       t.cert ? "key_file" : "cert_file");
	/* exporter-toolkit's defaults: at least TLS 1.2. */
	min = tls_version(l, t.min, "min_version", 2);
	max = min < 0 ? -1 : tls_version(l, t.max, "max_version", 3);
	if (min < 0 || max < 0)
		return -1;
	if (min > max)
		return fail_at(l, t.max, "max_version %s is below min_version %s", tls_versions[max],
			       tls_versions[min]);
	wc->cert_pem = read_pem(l, t.cert, "cert_file");
	if (!wc->cert_pem)
		return -1;
	wc->key_pem = read_pem(l, t.key, "key_file");
	if (!wc->key_pem)
		return -1;
	/* Load them as the server will: a key of another certificate, or no PEM, shows now. */
	cert = (gnutls_datum_t){ (unsigned char *)wc->cert_pem, (unsigned int)strlen(wc->cert_pem) };
	key = (gnutls_datum_t){ (unsigned char *)wc->key_pem, (unsigned int)strlen(wc->key_pem) };
	if (gnutls_certificate_allocate_credentials(&cred))
		return fail_at(l, node, "out of memory");
	rc = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(cred);
	if (rc < 0) {
		const char *why = gnutls_strerror(rc);
		int n = (int)strlen(why);

		if (n && why[n - 1] == '.') /* GnuTLS ends its messages with one; ours go on */
			n--;
		return fail_at(l, node,
			       "cert_file and key_file cannot serve TLS: %.*s; give a PEM certificate and its unencrypted PEM key",
			       n, why);
	}
	wc->tls_priorities = malloc(128);
	if (!wc->tls_priorities)
		return fail_at(l, node, "out of memory");
	used = (size_t)snprintf(wc->tls_priorities, 128, "NORMAL:-VERS-ALL");
	for (int i = max; i >= min; i--)
		used += (size_t)snprintf(wc->tls_priorities + used, 128 - used, ":%s",
					 gnutls_versions[i]);
	wc->tls = true;
	return 0;
}

/* ---- basic_auth_users ---------------------------------------------------- */

/* $2a$, $2b$ or $2y$, a cost of 04 to 31, then 22 characters of salt and 31 of hash. */
static bool is_bcrypt(const char *h)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	int cost;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || !h[2] ||
	    h[3] != '$' || h[6] != '$' || h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return false;
	return strspn(h + 7, b64) == 53;
}

/* Whether this libcrypt computes the bcrypt variant of @hash (at the cheapest cost). */
static bool bcrypt_available(const char *hash)
{
	char prefix[5], salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	bool ok;

	if (!cd)
		return false;
	memcpy(prefix, hash, 4);
	prefix[4] = 0;
	ok = crypt_gensalt_rn(prefix, 4, NULL, 0, salt, sizeof(salt)) &&
	     (out = crypt_r("probe", salt, cd)) && out[0] == '$';
	free(cd);
	return ok;
}

static int on_user(struct loader *l, const char *name, const yaml_node_t *k,
		   const yaml_node_t *v)
{
	struct web_config *wc = l->wc;
	struct web_user *u;
	const char *hash;

	if (!*name)
		return fail_at(l, k, "basic_auth_users: a user name is empty");
	if (strchr(name, ':'))
		return fail_at(l, k, "basic_auth_users: user '%s' has a ':', which Basic auth cannot carry",
			       name);
	hash = scalar(l, v, "a password hash");
	if (!hash)
		return -1;
	if (!is_bcrypt(hash))
		return fail_at(l, v,
			       "basic_auth_users: the password of '%s' must be a bcrypt hash ($2y$..., e.g. from 'htpasswd -nBC 10 %s'), not a plain password",
			       name, name);
	if (!bcrypt_available(hash))
		return fail_at(l, v, "basic_auth_users: this system's crypt(3) cannot check %.4s bcrypt hashes",
			       hash);
	u = &wc->users[wc->nr_users];
	u->name = strdup(name);
	u->hash = strdup(hash);
	if (!u->name || !u->hash) {
		free(u->name);
		free(u->hash);
		return fail_at(l, k, "out of memory");
	}
	wc->nr_users++;
	return 0;
}

static int load_users(struct loader *l, const yaml_node_t *node)
{
	size_t n;

	if (is_null(node))
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return fail_at(l, node, "basic_auth_users must map user names to bcrypt hashes");
	n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
	l->wc->users = calloc(n ? n : 1, sizeof(*l->wc->users));
	if (!l->wc->users)
		return fail_at(l, node, "out of memory");
	return each_pair(l, node, "basic_auth_users", on_user);
}

/* ---- the file ------------------------------------------------------------ */

static int on_top_pair(struct loader *l, const char *key, const yaml_node_t *k,
		       const yaml_node_t *v)
{
	if (!strcmp(key, "tls_server_config"))
		return load_tls(l, v);
	if (!strcmp(key, "basic_auth_users"))
		return load_users(l, v);
	if (in_list(key, toolkit_only, sizeof(toolkit_only) / sizeof(toolkit_only[0])))
		return fail_at(l, k, "'%s' is not supported by ebpfmon (only %s); remove it", key,
			       top_keys);
	return fail_at(l, k, "unknown key '%s'; known keys: %s", key, top_keys);
}

static int parse(struct loader *l, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	const yaml_node_t *root;
	int rc = -1;

	if (!yaml_parser_initialize(&parser))
		return fail_at(l, NULL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &l->doc)) {
		seterr(l->err, l->errlen, "%s:%zu:%zu: not valid YAML: %s%s%s", l->path,
		       parser.problem_mark.line + 1, parser.problem_mark.column + 1,
		       parser.problem ? parser.problem : "syntax error",
		       parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	root = yaml_document_get_root_node(&l->doc);
	if (root) {
		if (!yaml_parser_load(&parser, &extra)) {
			seterr(l->err, l->errlen, "%s:%zu:%zu: not valid YAML: %s", l->path,
			       parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			       parser.problem ? parser.problem : "syntax error");
			goto out;
		}
		if (yaml_document_get_root_node(&extra)) {
			fail_at(l, yaml_document_get_root_node(&extra),
				"a second YAML document; the web config is one document");
			yaml_document_delete(&extra);
			goto out;
		}
		yaml_document_delete(&extra);
	}
	/* An empty file (or only comments) configures nothing, as in exporter-toolkit. */
	if (!root || is_null(root))
		rc = 0;
	else
		rc = each_pair(l, root, "the web config", on_top_pair);
out:
	yaml_parser_delete(&parser);
	return rc;
}

struct web_config *web_config_load(const char *path, char *err, size_t errlen)
{
	struct loader l = { .path = path, .err = err, .errlen = errlen };
	struct web_config *wc;
	char *text, *dir_copy;
	size_t len;
	int rc;

	text = read_small_file(path, &len);
	if (!text) {
		seterr(err, errlen, "%s: cannot read the web config: %s", path, read_problem(errno));
		return NULL;
	}
	wc = calloc(1, sizeof(*wc));
	dir_copy = strdup(path);
	if (!wc || !dir_copy || !(wc->path = strdup(path))) {
		seterr(err, errlen, "%s: out of memory", path);
		free(text);
		free(dir_copy);
		free(wc);
		return NULL;
	}
	pthread_mutex_init(&wc->cache_lock, NULL);
	l.wc = wc;
	l.dir = dirname(dir_copy);
	rc = parse(&l, text, len);
	yaml_document_delete(&l.doc);
	free(text);
	free(dir_copy);
	if (!rc && gnutls_rnd(GNUTLS_RND_KEY, wc->mac_key, sizeof(wc->mac_key)) < 0) {
		seterr(err, errlen, "%s: no random numbers for the password cache", path);
		rc = -1;
	}
	if (rc) {
		web_config_free(wc);
		return NULL;
	}
	return wc;
}

void web_config_free(struct web_config *wc)
{
	if (!wc)
		return;
	for (size_t i = 0; i < wc->nr_users; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	if (wc->key_pem) {
		/* The private key does not linger in freed memory. */
		gnutls_memset(wc->key_pem, 0, strlen(wc->key_pem));
		free(wc->key_pem);
	}
	free(wc->cert_pem);
	free(wc->tls_priorities);
	free(wc->path);
	pthread_mutex_destroy(&wc->cache_lock);
	free(wc);
}

/* ---- checking a password ------------------------------------------------- */

/* Equal bytes, in a time that depends on @n only. */
static bool same_bytes(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return !diff;
}

static bool bcrypt_matches(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	bool ok;

	if (!cd)
		return false;
	out = crypt_r(password, hash, cd);
	ok = out && strlen(out) == strlen(hash) && same_bytes(out, hash, strlen(hash));
	free(cd);
	return ok;
}

bool web_config_authorized(struct web_config *wc, const char *user, const char *password)
{
	struct web_user *found = NULL;
	unsigned char mac[32];
	bool have_mac, hit = false;

	if (!wc || !wc->nr_users)
		return true;
	if (!user || !password)
		return false;
	/* Look at every name, so the time taken does not tell where a name is. */
	for (size_t i = 0; i < wc->nr_users; i++) {
		size_t len = strlen(wc->users[i].name);

		if (strlen(user) == len && same_bytes(wc->users[i].name, user, len))
			found = &wc->users[i];
	}
	have_mac = !gnutls_hmac_fast(GNUTLS_MAC_SHA256, wc->mac_key, sizeof(wc->mac_key), password,
				     strlen(password), mac);
	if (found && have_mac) {
		pthread_mutex_lock(&wc->cache_lock);
		hit = found->has_mac && same_bytes(found->good_mac, mac, sizeof(mac));
		pthread_mutex_unlock(&wc->cache_lock);
	}
	if (hit)
		return true;
	/* An unknown user costs a bcrypt too (against a real hash): the time does not tell. */
	if (!bcrypt_matches(password, found ? found->hash : wc->users[0].hash) || !found)
		return false;
	if (have_mac) {
		pthread_mutex_lock(&wc->cache_lock);
		memcpy(found->good_mac, mac, sizeof(mac));
		found->has_mac = true;
		pthread_mutex_unlock(&wc->cache_lock);
	}
	return true;
}
