/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dnsflow: a DNS message parser that trusts no length in the packet. Only
 * what dnsflow needs: the header and the first question.
 */
#ifndef EBPFMON_DNS_PARSE_H
#define EBPFMON_DNS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN 12
/* A name in text: at most 253 characters (255 bytes on the wire), and NUL. */
#define DNS_NAME_MAX 256
/* Compression pointers followed per name at most: real names need a few. */
#define DNS_MAX_HOPS 16

struct dns_msg {
	uint16_t id;
	bool qr;	   /* a response */
	uint8_t opcode;
	uint8_t rcode;	   /* the header's 4 bits */
	uint16_t qdcount, ancount;
	bool has_question; /* qdcount >= 1 and the first question parsed */
	char qname[DNS_NAME_MAX]; /* lower case, dotted, "." for the root */
	uint16_t qtype, qclass;
};

enum dns_parse_err {
	DNS_OK = 0,
	DNS_ESHORT = -1,    /* shorter than the 12-byte header */
	DNS_ETRUNC = -2,    /* the name or the question runs past the end */
	DNS_ELOOP = -3,     /* compression pointers loop or point forward */
	DNS_ELABEL = -4,    /* a label over 63 bytes or of a reserved type */
	DNS_ETOOLONG = -5,  /* the name exceeds 255 bytes */
};

/*
 * Parse the message @p of @len bytes into @m. A message whose question is
 * bad still has its header in @m (has_question false) and returns the
 * error; DNS_ESHORT leaves @m zeroed.
 */
int dns_parse(const uint8_t *p, size_t len, struct dns_msg *m);

/*
 * Read the name at @off of message @p (@len bytes) into @out (text, NUL
 * ended, DNS_NAME_MAX bytes); *@next: the offset after the name where it
 * started (before any pointer). Returns DNS_OK or an error.
 */
int dns_read_name(const uint8_t *p, size_t len, size_t off, char *out, size_t *next);

const char *dns_parse_strerror(int err);
/* "A", "AAAA", ... or the number in @buf. */
const char *dns_qtype_name(uint16_t qtype, char *buf, size_t len);

#endif
