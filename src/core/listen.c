// SPDX-License-Identifier: GPL-2.0
/*
 * parse_listen(): the listen address of the HTTP endpoint. Numeric addresses
 * only, plus "localhost": a name lookup at start-up could block or resolve to
 * an address nobody meant to expose.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/config.h"

/*
 * 1..65535, at most 5 decimal digits (no sign, no spaces): leading zeros
 * would otherwise let a value of any length through.
 */
static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return -1;
	}
	if (!v)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "[V6]:PORT"; @s starts after the '['. */
static int parse_v6(const char *s, struct sockaddr_storage *ss, unsigned int *sslen)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	const char *end = strchr(s, ']');
	char host[INET6_ADDRSTRLEN];
	uint16_t port;

	if (!end || end[1] != ':' || (size_t)(end - s) >= sizeof(host))
		return -1;
	memcpy(host, s, end - s);
	host[end - s] = '\0';
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 || parse_port(end + 2, &port))
		return -1;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	*sslen = sizeof(*sin6);
	return 0;
}

/* "ADDR:PORT", "localhost:PORT" or ":PORT" (all IPv4 addresses). */
static int parse_v4(const char *s, struct sockaddr_storage *ss, unsigned int *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	const char *colon = strchr(s, ':');
	char host[INET_ADDRSTRLEN];
	size_t len;
	uint16_t port;

	/* A second colon means an IPv6 address without brackets. */
	if (!colon || strchr(colon + 1, ':') || parse_port(colon + 1, &port))
		return -1;
	len = colon - s;
	if (len >= sizeof(host))
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	if (!len)
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (!strcasecmp(host, "localhost"))
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*sslen = sizeof(*sin);
	return 0;
}

int parse_listen(const char *s, struct sockaddr_storage *ss, unsigned int *sslen)
{
	if (!s || !ss || !sslen)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[')
		return parse_v6(s + 1, ss, sslen);
	return parse_v4(s, ss, sslen);
}
