// SPDX-License-Identifier: GPL-2.0
/*
 * closer N: N failed close(2) calls, then exit. Built static, so that exec'ing
 * it makes no call of its own before them (no dynamic loader opening and
 * closing libraries): the kernel tier execs it to check that counts stay with
 * the name they were made under.
 */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;

	for (long i = 0; i < n; i++)
		if (close(-1) == 0)
			return 1;
	return 0;
}
