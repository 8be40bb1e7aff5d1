// SPDX-License-Identifier: GPL-2.0
/*
 * Listen addresses: parse_listen() (what the HTTP server binds) and the
 * `listen` key of the configuration (what `check` validates). Beyond
 * "no crash":
 *  - the two accept exactly the same strings, so `check` and `run` agree;
 *  - an accepted address is IPv4 or IPv6 with the matching length and a
 *    port from 1 to 65535, and printing it back and parsing that gives the
 *    same socket address;
 *  - a refusal is one printable line.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/config.h"
#include "fuzz/fuzz.h"

static const char *const known[] = { "process" };
static const bool known_on[] = { true };

static void round_trip(const struct sockaddr_storage *ss, unsigned int sslen)
{
	struct sockaddr_storage again;
	char host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 16];
	unsigned int len2;
	uint16_t port;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		must(sslen == sizeof(*sin), "IPv4 address of length %u", sslen);
		port = ntohs(sin->sin_port);
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(text, sizeof(text), "%s:%u", host, port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		must(ss->ss_family == AF_INET6, "address family %d", ss->ss_family);
		must(sslen == sizeof(*sin6), "IPv6 address of length %u", sslen);
		port = ntohs(sin6->sin6_port);
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(text, sizeof(text), "[%s]:%u", host, port);
	}
	must(port >= 1, "port 0 accepted");
	must(!parse_listen(text, &again, &len2), "'%s' (printed back) refused", text);
	must(len2 == sslen && !memcmp(&again, ss, sslen), "'%s' parses to another address", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size), err[512] = "";
	struct sockaddr_storage ss;
	unsigned int sslen = 0;
	struct config c;
	int server, config;

	must(!config_init(&c, known, known_on, 1), "config_init failed");
	server = parse_listen(s, &ss, &sslen);
	config = config_set(&c, "global", "listen", s, err, sizeof(err));
	must(!server == !config, "'%s': the server's parser says %d, the configuration %d (%s)", s,
	     server, config, err);
	if (!server) {
		round_trip(&ss, sslen);
		must(!strcmp(c.listen, s), "the configuration keeps '%s' for '%s'", c.listen, s);
	} else {
		for (const char *p = err; *p; p++)
			must((unsigned char)*p >= 0x20 && *p != 0x7f, "control character in '%s'", err);
		must(strstr(err, "'listen'") != NULL, "refusal '%s' does not name the key", err);
	}
	free(s);
	return 0;
}
