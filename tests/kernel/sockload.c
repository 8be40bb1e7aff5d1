// SPDX-License-Identifier: GPL-2.0
/*
 * Socket workload with known numbers, for the socket module's kernel tests.
 * It names itself first (prctl), so its counts are under that name, then:
 *
 *   sockload NAME tcp-server PORT CONNS [6]    accept CONNS connections, read each to EOF
 *   sockload NAME tcp-client ADDR PORT CONNS BYTES CHUNK
 *                                              CONNS connections, each writes BYTES in
 *                                              CHUNK-byte write(2)s, then closes
 *   sockload NAME udp-server PORT COUNT [6]    receive COUNT datagrams (recv(2))
 *   sockload NAME udp-client ADDR PORT COUNT SIZE
 *                                              send COUNT datagrams of SIZE bytes (sendto)
 *   sockload NAME udp-many ADDR PORT SOCKETS   SOCKETS sockets, open at once, each sending
 *                                              one 10-byte datagram (a table that fills)
 *
 * A server prints "ready" once it listens (on stdout, flushed). Every mode
 * ends with what it did, one "key value" line each: the truth the test
 * compares with (calls and bytes as the system calls returned them).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "sockload: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ADDR (v4 or v6) and PORT into @ss. */
static socklen_t addr_of(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return sizeof(*a6);
	}
	fprintf(stderr, "sockload: bad address %s\n", addr);
	exit(2);
}

static int bound(int type, int port, int v6)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(v6 ? "::" : "0.0.0.0", port, &ss);
	int one = 1, fd = socket(ss.ss_family, type, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	return fd;
}

static void tcp_server(int port, int conns, int v6)
{
	unsigned long long bytes = 0, calls = 0;
	static char buf[65536];
	int lfd = bound(SOCK_STREAM, port, v6);

	if (listen(lfd, 64))
		die("listen");
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < conns; i++) {
		int fd = accept(lfd, NULL, NULL);
		ssize_t n;

		if (fd < 0)
			die("accept");
		do {
			n = read(fd, buf, sizeof(buf));
			calls++;
			if (n > 0)
				bytes += (unsigned long long)n;
		} while (n > 0);
		if (n < 0)
			die("read");
		close(fd);
	}
	close(lfd);
	printf("accepted %d\nreceived_bytes %llu\nreceive_calls %llu\n", conns, bytes, calls);
}

static void tcp_client(const char *addr, int port, int conns, long bytes_each, int chunk)
{
	unsigned long long bytes = 0, calls = 0;
	struct sockaddr_storage ss;
	socklen_t len = addr_of(addr, port, &ss);
	char *buf = calloc(1, (size_t)chunk);

	if (!buf)
		die("calloc");
	for (int i = 0; i < conns; i++) {
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);
		long left = bytes_each;

		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)&ss, len))
			die("connect");
		while (left > 0) {
			ssize_t n = write(fd, buf, left < chunk ? (size_t)left : (size_t)chunk);

			calls++;
			if (n < 0)
				die("write");
			left -= n;
			bytes += (unsigned long long)n;
		}
		close(fd);
	}
	printf("connected %d\nsent_bytes %llu\nsend_calls %llu\n", conns, bytes, calls);
}

static void udp_server(int port, int count, int v6)
{
	unsigned long long bytes = 0, calls = 0;
	static char buf[65536];
	int fd = bound(SOCK_DGRAM, port, v6);

	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < count; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		calls++;
		if (n < 0)
			die("recv");
		bytes += (unsigned long long)n;
	}
	close(fd);
	printf("received_bytes %llu\nreceive_calls %llu\n", bytes, calls);
}

static void udp_client(const char *addr, int port, int count, int size)
{
	unsigned long long bytes = 0, calls = 0;
	struct sockaddr_storage ss;
	socklen_t len = addr_of(addr, port, &ss);
	char *buf = calloc(1, (size_t)size);
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);

	if (fd < 0 || !buf)
		die("socket");
	for (int i = 0; i < count; i++) {
		ssize_t n = sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&ss, len);

		calls++;
		if (n < 0)
			die("sendto");
		bytes += (unsigned long long)n;
		/* Paced: the receiver's queue never overflows, so every datagram arrives. */
		if (i % 10 == 9)
			usleep(1000);
	}
	close(fd);
	printf("sent_bytes %llu\nsend_calls %llu\n", bytes, calls);
}

static void udp_many(const char *addr, int port, int sockets)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(addr, port, &ss);
	int *fds = calloc((size_t)sockets, sizeof(*fds));

	if (!fds)
		die("calloc");
	for (int i = 0; i < sockets; i++) {
		fds[i] = socket(ss.ss_family, SOCK_DGRAM, 0);
		if (fds[i] < 0)
			die("socket");
		if (sendto(fds[i], "0123456789", 10, 0, (struct sockaddr *)&ss, len) != 10)
			die("sendto");
	}
	/* Held open while ebpfmon looks: the entries stay. */
	printf("sockets %d\n", sockets);
	fflush(stdout);
	sleep(3);
	for (int i = 0; i < sockets; i++)
		close(fds[i]);
}

int main(int argc, char **argv)
{
	const char *mode;

	if (argc < 4) {
		fprintf(stderr, "usage: sockload NAME MODE ARGS... (see the source)\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[1]);
	mode = argv[2];
	if (!strcmp(mode, "tcp-server"))
		tcp_server(atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 1, argc > 5 && !strcmp(argv[5], "6"));
	else if (!strcmp(mode, "udp-server"))
		udp_server(atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 1, argc > 5 && !strcmp(argv[5], "6"));
	else if (!strcmp(mode, "tcp-client") && argc == 8)
		tcp_client(argv[3], atoi(argv[4]), atoi(argv[5]), atol(argv[6]), atoi(argv[7]));
	else if (!strcmp(mode, "udp-many") && argc == 6)
		udp_many(argv[3], atoi(argv[4]), atoi(argv[5]));
	else if (!strcmp(mode, "udp-client") && argc == 7)
		udp_client(argv[3], atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
	else {
		fprintf(stderr, "sockload: bad mode or arguments\n");
		return 2;
	}
	return 0;
}
