// SPDX-License-Identifier: GPL-2.0
/*
 * ns per TLS round trip for bench/ssl.sh: a client and a forked echo server
 * over loopback TCP with OpenSSL; each round trip is an SSL_write and an
 * SSL_read on each side (4 calls httpflow's uprobes see). Arguments: N,
 * CERT, KEY. Prints the best of 5 batches of N round trips, in ns.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	char buf[64] = { 0 };
	double best = 1e18;
	int l, c;
	pid_t child;

	if (argc < 4)
		return 2;
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return 1;
	child = fork();
	if (child == 0) { /* the echo server */
		SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
		SSL *s;
		int fd = accept(l, NULL, NULL);

		if (!sctx || SSL_CTX_use_certificate_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_PrivateKey_file(sctx, argv[3], SSL_FILETYPE_PEM) != 1)
			_exit(1);
		s = SSL_new(sctx);
		SSL_set_fd(s, fd);
		if (SSL_accept(s) != 1)
			_exit(1);
		while (SSL_read(s, buf, sizeof(buf)) > 0)
			if (SSL_write(s, buf, sizeof(buf)) <= 0)
				break;
		_exit(0);
	}
	{
		SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
		SSL *s = cctx ? SSL_new(cctx) : NULL;

		c = socket(AF_INET, SOCK_STREAM, 0);
		if (!s || c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			return 1;
		SSL_set_fd(s, c);
		if (SSL_connect(s) != 1)
			return 1;
		for (int b = 0; b < 5; b++) {
			double t0 = now_ns(), ns;

			for (long i = 0; i < n; i++)
				if (SSL_write(s, buf, sizeof(buf)) <= 0 ||
				    SSL_read(s, buf, sizeof(buf)) <= 0)
					return 1;
			ns = (now_ns() - t0) / n;
			if (ns < best)
				best = ns;
		}
		SSL_shutdown(s);
		close(c);
	}
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	printf("%.1f\n", best);
	return 0;
}
