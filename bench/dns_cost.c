// SPDX-License-Identifier: GPL-2.0
/*
 * bench/dns.sh's workload: a DNS query (33 bytes, "www.example.com" A) sent
 * over loopback UDP to PORT and received, N times; prints the ns per query
 * (two packet hook runs: the sender's egress, the receiver's ingress).
 * With "connected", both sockets are connected to each other first (the
 * hooks then know the ports from the socket, without reading the packet).
 * Usage: dns_cost N PORT [connected]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const unsigned char q[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
					 "\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01";
	struct sockaddr_in a = { .sin_family = AF_INET };
	long n = argc > 2 ? atol(argv[1]) : 0;
	int rx, tx, port = argc > 2 ? atoi(argv[2]) : 0;
	int connected = argc > 3 && !strcmp(argv[3], "connected");
	struct sockaddr_in b;
	socklen_t blen = sizeof(b);
	char buf[512];
	double t0;

	if (n <= 0 || port <= 0 || port > 65535) {
		fprintf(stderr, "usage: dns_cost N PORT\n");
		return 2;
	}
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&a, sizeof(a))) {
		perror("dns_cost: socket/bind");
		return 1;
	}
	if (connected && (connect(tx, (struct sockaddr *)&a, sizeof(a)) ||
			  getsockname(tx, (struct sockaddr *)&b, &blen) ||
			  connect(rx, (struct sockaddr *)&b, blen))) {
		perror("dns_cost: connect");
		return 1;
	}
	for (long i = 0; i < 1000; i++) { /* warm up */
		if (connected)
			send(tx, q, sizeof(q) - 1, 0);
		else
			sendto(tx, q, sizeof(q) - 1, 0, (struct sockaddr *)&a, sizeof(a));
		recv(rx, buf, sizeof(buf), 0);
	}
	t0 = now();
	for (long i = 0; i < n; i++) {
		if ((connected ? send(tx, q, sizeof(q) - 1, 0)
			       : sendto(tx, q, sizeof(q) - 1, 0, (struct sockaddr *)&a, sizeof(a))) < 0 ||
		    recv(rx, buf, sizeof(buf), 0) < 0) {
			perror("dns_cost");
			return 1;
		}
	}
	printf("%.1f\n", (now() - t0) / n);
	return 0;
}
