// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic with known counts for the flows tests and bench.
 *
 *   flows_send udp   DST PORT COUNT SIZE SRCPORT   exactly COUNT datagrams of SIZE bytes
 *   flows_send flood DST PORT SECONDS SIZE SRCPORT [NFLOWS]
 *                              sendmmsg as fast as possible; prints "sent N"
 *                              (datagrams). With NFLOWS > 1 each datagram goes
 *                              to the next of ports PORT..PORT+NFLOWS-1: a
 *                              new flow every packet, at the same rate
 *   flows_send sink  ADDR PORT SECONDS             receive UDP; prints "received N"
 *
 * DST may be IPv4 or IPv6. Exits non-zero when a send fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static socklen_t make_addr(const char *ip, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return sizeof(*in6);
	}
	fprintf(stderr, "flows_send: bad address %s\n", ip);
	exit(2);
}

/* A UDP socket bound to @srcport (any address of @dst's family), connected to @dst if @conn. */
static int udp_socket(const char *dst, int port, int srcport, bool conn)
{
	struct sockaddr_storage d, s;
	socklen_t len = make_addr(dst, port, &d);
	int fd = socket(d.ss_family, SOCK_DGRAM, 0);

	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	memset(&s, 0, sizeof(s));
	s.ss_family = d.ss_family;
	if (d.ss_family == AF_INET)
		((struct sockaddr_in *)&s)->sin_port = htons(srcport);
	else
		((struct sockaddr_in6 *)&s)->sin6_port = htons(srcport);
	if (bind(fd, (struct sockaddr *)&s, len) || (conn && connect(fd, (struct sockaddr *)&d, len))) {
		perror("bind/connect");
		exit(1);
	}
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int send_exact(int fd, long count, size_t size)
{
	char *buf = calloc(1, size ? size : 1);

	for (long i = 0; i < count; i++) {
		if (send(fd, buf, size, 0) != (ssize_t)size) {
			/*
			 * A full queue, or the error of an earlier datagram's ICMP
			 * port unreachable (connected UDP): this one was not sent,
			 * send it again.
			 */
			if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) {
				if (errno != ECONNREFUSED)
					usleep(1000);
				i--;
				continue;
			}
			perror("send");
			return 1;
		}
	}
	free(buf);
	printf("sent %ld\n", count);
	return 0;
}

/* @nflows > 1: @fd is not connected; datagram k goes to @dst's port + k % @nflows. */
static int flood(int fd, double seconds, size_t size, const char *dst, int port, long nflows)
{
	static char buf[BATCH][2048];
	static struct sockaddr_storage to[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	double end = now() + seconds;
	socklen_t len = 0;
	long sent = 0, k = 0;

	if (size > sizeof(buf[0]))
		size = sizeof(buf[0]);
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		if (nflows > 1) {
			len = make_addr(dst, port, &to[i]);
			msgs[i].msg_hdr.msg_name = &to[i];
			msgs[i].msg_hdr.msg_namelen = len;
		}
	}
	while (now() < end) {
		int n;

		for (int i = 0; nflows > 1 && i < BATCH; i++) {
			uint16_t p = htons(port + (k + i) % nflows);

			if (to[i].ss_family == AF_INET)
				((struct sockaddr_in *)&to[i])->sin_port = p;
			else
				((struct sockaddr_in6 *)&to[i])->sin6_port = p;
		}
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0)
			k += n;

		if (n < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)
				continue;
			perror("sendmmsg");
			return 1;
		}
		sent += n;
	}
	printf("sent %ld\n", sent);
	return 0;
}

static int sink(const char *ip, int port, double seconds)
{
	struct sockaddr_storage a;
	socklen_t len = make_addr(ip, port, &a);
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	int fd = socket(a.ss_family, SOCK_DGRAM, 0);
	int rcvbuf = 8 << 20;
	double end = now() + seconds;
	char buf[65536];
	long got = 0;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len)) {
		perror("sink");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (now() < end)
		if (recv(fd, buf, sizeof(buf), 0) >= 0)
			got++;
	printf("received %ld\n", got);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "udp"))
		return send_exact(udp_socket(argv[2], atoi(argv[3]), atoi(argv[6]), true), atol(argv[4]),
				  atol(argv[5]));
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "flood")) {
		long nflows = argc == 8 ? atol(argv[7]) : 1;
		int fd = udp_socket(argv[2], atoi(argv[3]), atoi(argv[6]), nflows <= 1);

		return flood(fd, atof(argv[4]), atol(argv[5]), argv[2], atoi(argv[3]), nflows);
	}
	if (argc == 5 && !strcmp(argv[1], "sink"))
		return sink(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: flows_send udp|flood DST PORT COUNT|SECONDS SIZE SRCPORT [NFLOWS]\n"
			"       flows_send sink ADDR PORT SECONDS\n");
	return 2;
}
