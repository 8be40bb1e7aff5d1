/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DataKit's netlog blacklist: rules that drop network rows (connections,
 * DNS and HTTP flows) from what ebpfmon shows and pushes.
 *
 *   rules      separated by ';' or a line break; a row any rule matches is
 *              dropped; a line may break after an operator, a '(' or a ','
 *   bool       tcp udp ipv4 ipv6
 *   int        src_port dst_port (the local side is the source)
 *   string     ip_saddr ip_daddr (IPv4 rows; "" for IPv6 ones), ip6_saddr
 *              ip6_daddr (IPv6 rows), k8s_src_pod k8s_dst_pod ("" where no
 *              pod name is known)
 *   literals   123, "text" (with \" and \\), true, false
 *   operators  ( )  then !  then == != < <= > >=  then && || (one level,
 *              left to right, as DataKit's table has them: a || b && c is
 *              (a || b) && c)
 *   functions  ipnet_contains("10.0.0.0/8", ip_saddr), has_prefix(s, "p")
 *
 * Types are checked when the text is compiled: ints compare with all six
 * operators, strings and bools with == and != only. A compiled blacklist
 * is a postfix program per rule, run on a small fixed stack.
 */
#ifndef EBPFMON_BLACKLIST_H
#define EBPFMON_BLACKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a rule can look at in one row. */
struct bl_row {
	bool tcp, udp, ipv4, ipv6;
	uint16_t src_port, dst_port;
	uint8_t saddr[16], daddr[16]; /* network order; IPv4 in the first 4 bytes */
	const char *k8s_src_pod, *k8s_dst_pod; /* NULL: "" */
};

struct blacklist;

/* Limits: what a text may hold, so a hostile one costs bounded memory and time. */
#define BL_MAX_TEXT 4096
#define BL_MAX_DEPTH 32
#define BL_MAX_OPS 1024

/*
 * Compile @text; NULL with @err set to one line ("@name: line L, column C:
 * expected X, found Y") when it is not a blacklist. An empty text (or only
 * separators) compiles to a blacklist that matches nothing.
 */
struct blacklist *blacklist_compile(const char *text, const char *name, char *err, size_t errlen);
/* Whether any rule of @b matches @r; false for NULL @b. */
bool blacklist_match(const struct blacklist *b, const struct bl_row *r);
/* How many rules @b has. */
unsigned int blacklist_rules(const struct blacklist *b);
void blacklist_free(struct blacklist *b);

#endif
