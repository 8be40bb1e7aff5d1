// SPDX-License-Identifier: GPL-2.0
/*
 * dnsflow: DNS header and first question (RFC 1035 4.1). Every length in
 * the packet is checked against the bytes we have: a name's labels against
 * the end of the message and 63 bytes, the name against 255 bytes, and
 * compression pointers must point strictly backwards (so they cannot loop)
 * and are followed DNS_MAX_HOPS times at most. Counts (qdcount, ...) are
 * only reported, never used to size anything.
 */
#include <stdio.h>
#include <string.h>

#include "modules/dnsflow/dns_parse.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int dns_read_name(const uint8_t *p, size_t len, size_t off, char *out, size_t *next)
{
	size_t pos = off, wire = 0, o = 0, lowest = off;
	unsigned int hops = 0;
	bool jumped = false;

	out[0] = '\0';
	for (;;) {
		uint8_t l;

		if (pos >= len)
			return DNS_ETRUNC;
		l = p[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= len)
				return DNS_ETRUNC;
			to = (size_t)(l & 0x3f) << 8 | p[pos + 1];
			/* Strictly before every label read so far: no loop possible. */
			if (to >= lowest || ++hops > DNS_MAX_HOPS)
				return DNS_ELOOP;
			if (!jumped)
				*next = pos + 2;
			jumped = true;
			pos = lowest = to;
			continue;
		}
		if (l & 0xc0)
			return DNS_ELABEL; /* 01 and 10: extended and reserved label types */
		wire += 1u + l;
		if (wire > 255)
			return DNS_ETOOLONG;
		if (l == 0)
			break;
		if (pos + 1 + l > len)
			return DNS_ETRUNC;
		if (o)
			out[o++] = '.';
		for (size_t i = 0; i < l; i++) {
			uint8_t c = p[pos + 1 + i];

			/* Names are case-blind; bytes outside the printable set (and dots
			 * inside a label) would make ambiguous text: '?' instead. */
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			else if (c <= 0x20 || c >= 0x7f || c == '.')
				c = '?';
			out[o++] = (char)c;
		}
		pos += 1u + l;
	}
	if (!jumped)
		*next = pos + 1;
	if (!o)
		out[o++] = '.';
	out[o] = '\0';
	return DNS_OK;
}

int dns_parse(const uint8_t *p, size_t len, struct dns_msg *m)
{
	size_t next = 0;
	int err;

	memset(m, 0, sizeof(*m));
	if (!p || len < DNS_HDR_LEN)
		return DNS_ESHORT;
	m->id = be16(p);
	m->qr = p[2] >> 7;
	m->opcode = (p[2] >> 3) & 0xf;
	m->rcode = p[3] & 0xf;
	m->qdcount = be16(p + 4);
	m->ancount = be16(p + 6);
	if (!m->qdcount)
		return DNS_OK;
	err = dns_read_name(p, len, DNS_HDR_LEN, m->qname, &next);
	if (err) {
		m->qname[0] = '\0';
		return err;
	}
	if (next + 4 > len) {
		m->qname[0] = '\0';
		return DNS_ETRUNC;
	}
	m->qtype = be16(p + next);
	m->qclass = be16(p + next + 2);
	m->has_question = true;
	return DNS_OK;
}

const char *dns_parse_strerror(int err)
{
	switch (err) {
	case DNS_OK: return "ok";
	case DNS_ESHORT: return "shorter than a DNS header";
	case DNS_ETRUNC: return "question cut short";
	case DNS_ELOOP: return "compression pointer loop or forward pointer";
	case DNS_ELABEL: return "label over 63 bytes or of a reserved type";
	case DNS_ETOOLONG: return "name over 255 bytes";
	}
	return "unknown error";
}

const char *dns_qtype_name(uint16_t qtype, char *buf, size_t len)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {
		{ 1, "A" },	 { 2, "NS" },	 { 5, "CNAME" }, { 6, "SOA" },	 { 12, "PTR" },
		{ 15, "MX" },	 { 16, "TXT" },	 { 28, "AAAA" }, { 33, "SRV" },	 { 35, "NAPTR" },
		{ 43, "DS" },	 { 46, "RRSIG" }, { 48, "DNSKEY" }, { 64, "SVCB" }, { 65, "HTTPS" },
		{ 255, "ANY" }, { 257, "CAA" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == qtype)
			return names[i].n;
	snprintf(buf, len, "TYPE%u", qtype);
	return buf;
}
