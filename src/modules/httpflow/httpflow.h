/* SPDX-License-Identifier: GPL-2.0 */
/*
 * httpflow: structs shared by httpflow.bpf.c (kernel) and httpflow.c (user).
 * Fixed-width fields and explicit padding only: both sides see the same bytes.
 */
#ifndef EBPFMON_HTTPFLOW_H
#define EBPFMON_HTTPFLOW_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Bytes of a message the kernel copies for the parser: the request line
 * (method, path, version) or the status line must fit in them. A longer
 * request line is reported with its path cut (truncated).
 */
#define HTTP_CAP 256

/* Bounds of the kernel tables. */
#define HTTP_ARGS_MAX	8192  /* threads inside SSL_read/SSL_write */
#define HTTP_CONNS_MAX	16384 /* connections that carried HTTP: byte counters (LRU) */
#define HTTP_SSL_MAX	16384 /* SSL objects -> their socket (LRU) */
#define HTTP_RINGBUF	(1 << 20)

enum http_op {
	HTTP_OP_WRITE = 0, /* the process sent the bytes */
	HTTP_OP_READ = 1,  /* the process received them */
};

/* How a syscall passes its buffer. */
enum http_buf_kind {
	HTTP_BUF_PLAIN = 0, /* read, write, sendto, recvfrom: (fd, buf, len) */
	HTTP_BUF_IOV = 1,   /* readv, writev: (fd, iov, iovcnt): the first iovec */
	HTTP_BUF_MSG = 2,   /* sendmsg, recvmsg: (fd, msghdr, flags): its first iovec */
};

/* A thread inside SSL_read / SSL_write. */
struct http_ssl_args {
	__u64 ssl;
	__u64 buf;
	__u64 ts;
	__u32 op;
	__u32 pad;
};

/* A connection: the socket (plain), or the SSL object in a process (TLS). */
struct http_conn_key {
	__u64 ptr;
	__u32 tgid; /* TLS: the process (an SSL pointer means nothing outside it); plain: 0 */
	__u32 tls;
};

/* Bytes on a connection since its first HTTP message (payload; TLS: plaintext). */
struct http_conn_bytes {
	__u64 rd;
	__u64 wr;
	__u64 ino; /* the socket's inode (plain; 0 for TLS): a new socket restarts the counts */
};

struct http_ssl_key {
	__u64 ssl;
	__u32 tgid;
	__u32 pad;
};

/*
 * One message that starts like HTTP (a request method or "HTTP/"): its
 * first HTTP_CAP bytes, the connection's counters before it, its 4-tuple.
 */
struct http_event {
	__u64 ts;	 /* CLOCK_MONOTONIC ns: the end of the call that sent or received it */
	__u64 conn;	 /* connection key's ptr */
	__u64 rd_before; /* connection's bytes before this message */
	__u64 wr_before;
	__u64 ino;	 /* the socket's inode (plain), 0 (TLS) */
	__u64 old_rd;	 /* a new socket at the address of an old one: the old one's bytes */
	__u64 old_wr;
	__u32 tgid;
	__u32 tid;
	__u32 len; /* bytes the call moved */
	__u32 cap; /* of them in data[] */
	__u8 saddr[16]; /* local address (IPv4: first 4 bytes) */
	__u8 daddr[16]; /* remote */
	__u16 sport;	/* local port, host order */
	__u16 dport;	/* remote port, host order */
	__u16 family;	/* AF_INET, AF_INET6; 0: socket unknown (TLS before its first syscall) */
	__u8 op;	/* enum http_op */
	__u8 tls;
	char comm[16];
	char data[HTTP_CAP];
};

/* Per CPU, summed in user space. */
struct http_stats {
	__u64 args_full;    /* unused (kept for the layout) */
	__u64 conns_full;   /* connections whose bytes are not counted: table full */
	__u64 ringbuf_full; /* messages lost: the ring buffer was full */
	__u64 ssl_full;	    /* SSL calls not seen: table full */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct http_event) == 128 + HTTP_CAP, "event layout");
_Static_assert(sizeof(struct http_ssl_args) == 32, "ssl args layout");
_Static_assert(sizeof(struct http_conn_key) == 16, "conn key layout");
#endif

#endif
