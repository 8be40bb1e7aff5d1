/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The web configuration file of Prometheus exporters (exporter-toolkit's
 * --web.config.file format): TLS and basic auth for the HTTP endpoint.
 *
 *   tls_server_config:
 *     cert_file: server.crt       # PEM; relative paths are relative to this file
 *     key_file: server.key
 *     min_version: TLS12          # optional: TLS10, TLS11, TLS12, TLS13
 *     max_version: TLS13          # optional
 *   basic_auth_users:
 *     prometheus: $2y$10$...      # bcrypt hashes ($2a$, $2b$, $2y$)
 *
 * Keys of exporter-toolkit that ebpfmon does not implement (client
 * certificates, cipher and curve choices, http_server_config) are refused,
 * not ignored: a setting that silently does nothing is a security hole.
 */
#ifndef EBPFMON_WEB_CONFIG_H
#define EBPFMON_WEB_CONFIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name;
	char *hash; /* bcrypt */
	/*
	 * The last password that matched, as a keyed hash: a scrape every few
	 * seconds must not cost a bcrypt each.
	 */
	unsigned char good_mac[32];
	bool has_mac;
};

struct web_config {
	char *path;
	bool tls;
	char *cert_pem, *key_pem; /* file contents, NUL-terminated */
	char *tls_priorities;	  /* GnuTLS priorities for min/max_version */
	struct web_user *users;
	size_t nr_users;
	pthread_mutex_t cache_lock; /* good_mac of every user */
	unsigned char mac_key[32];
};

/*
 * Read and check @path: YAML syntax, known keys, no duplicates, readable
 * certificate and key that belong together, bcrypt hashes. NULL with one line
 * in @err ("FILE:LINE: what is wrong; what to do") when anything is wrong.
 */
struct web_config *web_config_load(const char *path, char *err, size_t errlen);
void web_config_free(struct web_config *wc); /* NULL-safe */

/* Whether @user may come in with @password; in constant time as far as the password goes. */
bool web_config_authorized(struct web_config *wc, const char *user, const char *password);

#endif
