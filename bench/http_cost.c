// SPDX-License-Identifier: GPL-2.0
/*
 * ns per call, for bench/http.sh, in one thread on loopback:
 *   getppid  a syscall httpflow does not look at (the syscall hooks' toll)
 *   devzero  read(2) of 64 bytes from /dev/zero (a read that is no socket)
 *   tcp      write(2) of 64 bytes that are not HTTP, then read(2) of them
 *   http     write(2) of a 64-byte HTTP request line and headers, read(2) of
 *            it: two messages that start like HTTP (two ring buffer events)
 * Per call (a write and a read are two); the best of a few batches (the
 * least disturbed on a shared machine).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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
	char plain[64], req[64], buf[64];
	double best[4] = { 1e18, 1e18, 1e18, 1e18 };
	int l, c, s, z, one = 1;

	memset(plain, 'x', sizeof(plain));
	memset(req, ' ', sizeof(req));
	memcpy(req, "GET /bench HTTP/1.1\r\nHost: b\r\n", 30);
	memcpy(req + 60, "\r\n\r\n", 4);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		die("listen");
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	s = accept(l, NULL, NULL);
	z = open("/dev/zero", O_RDONLY);
	if (s < 0 || z < 0)
		die("accept, /dev/zero");
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int batch = 0; batch < 5; batch++) {
		double t0 = now_ns(), t;

		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		t = (now_ns() - t0) / n;
		best[0] = t < best[0] ? t : best[0];
		t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (read(z, buf, sizeof(buf)) != sizeof(buf))
				die("read /dev/zero");
		t = (now_ns() - t0) / n;
		best[1] = t < best[1] ? t : best[1];
		for (int k = 2; k < 4; k++) {
			const char *msg = k == 2 ? plain : req;

			t0 = now_ns();
			for (long i = 0; i < n; i++) {
				if (write(c, msg, 64) != 64)
					die("write");
				if (read(s, buf, sizeof(buf)) != sizeof(buf))
					die("read");
			}
			t = (now_ns() - t0) / (2.0 * n);
			best[k] = t < best[k] ? t : best[k];
		}
	}
	printf("getppid %.1f\ndevzero %.1f\ntcp %.1f\nhttp %.1f\n", best[0], best[1], best[2], best[3]);
	return 0;
}
