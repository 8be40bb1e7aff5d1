// SPDX-License-Identifier: GPL-2.0
/*
 * bench/bash.sh's workload: ns per call of a function named readline in
 * this binary, which returns LINE (default "echo hi!") as bash's readline
 * returns what was typed. The bash module attaches its uretprobe here with
 * --binary, found by the same symbol lookup as in bash. An empty LINE is
 * the probe's cheapest path (counted, no event).
 * Usage: readline_cost CALLS [LINE]; prints "readline <ns per call>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Not inlined, not static: the probe needs a real function and a symbol. */
static char *line = "echo hi!";

__attribute__((noinline, used)) char *readline(const char *prompt)
{
	__asm__ volatile("" : : "r"(prompt) : "memory");
	return line;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 100000;
	struct timespec a, b;
	volatile char sink = 0;

	if (argc > 2)
		line = argv[2];

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < calls; i++)
		sink ^= readline("$ ")[0] + 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("readline %.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / calls);
	return sink == 1;
}
