// SPDX-License-Identifier: GPL-2.0
/*
 * ns per socket call, for bench/socket.sh: on loopback, in one thread,
 *   udp  sendto(2) of 64 bytes to a socket of our own, then recv(2) of it;
 *   tcp  write(2) of 64 bytes on one end of a connection, read(2) on the other.
 * Each pair is two calls the socket module counts (a send and a receive);
 * prints "udp NS" and "tcp NS" per call: the best of a few batches (the least
 * disturbed on a shared machine).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	char buf[64] = { 0 };
	int u, l, c, s, one = 1;
	double best_udp = 1e18, best_tcp = 1e18;

	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0 || bind(u, (struct sockaddr *)&a, sizeof(a)) || getsockname(u, (struct sockaddr *)&a, &len))
		die("udp");
	l = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_port = 0;
	len = sizeof(a);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		die("tcp listen");
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	s = accept(l, NULL, NULL);
	if (s < 0)
		die("accept");
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	len = sizeof(a);
	getsockname(u, (struct sockaddr *)&a, &len);
	for (int batch = 0; batch < 5; batch++) {
		double t0 = now_ns(), t;

		for (long i = 0; i < n; i++) {
			if (sendto(u, buf, sizeof(buf), 0, (struct sockaddr *)&a, sizeof(a)) != sizeof(buf) ||
			    recv(u, buf, sizeof(buf), 0) != sizeof(buf))
				die("udp pair");
		}
		t = (now_ns() - t0) / n / 2;
		if (t < best_udp)
			best_udp = t;
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			if (write(c, buf, sizeof(buf)) != sizeof(buf) ||
			    read(s, buf, sizeof(buf)) != sizeof(buf))
				die("tcp pair");
		}
		t = (now_ns() - t0) / n / 2;
		if (t < best_tcp)
			best_tcp = t;
	}
	printf("udp %.1f\ntcp %.1f\n", best_udp, best_tcp);
	return 0;
}
