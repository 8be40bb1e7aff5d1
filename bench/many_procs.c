// SPDX-License-Identifier: GPL-2.0
/*
 * many_procs N [PIDFILE]: fork N idle children from this one process (no
 * exec), for the collection-time and idle-cost parts of make bench.
 *
 * Each child does one read(2) of /dev/zero and one write(2) to /dev/null (so
 * ebpfmon holds a per-thread record and an epoch for it), tells the parent
 * through a pipe, and sleeps in pause(). Once every child has done its I/O
 * the parent writes their pids to PIDFILE (one a line) and prints "ready N"
 * on stdout; "forked M of N" on stderr if fork failed after M.
 *
 * On SIGTERM, SIGINT or SIGHUP the parent kills each of its children by pid
 * and reaps them all before it exits. If the parent dies without doing that
 * (SIGKILL), the children die with it (PR_SET_PDEATHSIG). Built static when
 * the C library allows, so each child is a handful of pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void child(pid_t parent, int zero, int null, int ready)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	char c = 0;

	sigaction(SIGTERM, &dfl, NULL);
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGHUP, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(1); /* the parent is already gone */
	if (read(zero, &c, 1) != 1 || write(null, &c, 1) != 1)
		_exit(1);
	if (write(ready, &c, 1) != 1)
		_exit(1);
	close(ready);
	close(zero);
	close(null);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, forked = 0, done = 0;
	const char *pidfile = argc > 2 ? argv[2] : NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t self = getpid(), *pids;
	sigset_t block, old;
	int p[2];
	char buf[4096];

	if (n <= 0 || zero < 0 || null < 0 || pipe(p) != 0) {
		fprintf(stderr, "usage: many_procs N [PIDFILE] (N > 0; needs /dev/zero, /dev/null)\n");
		return 2;
	}
	pids = calloc((size_t)n, sizeof(*pids));
	if (!pids)
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Signals wait while forking: a child must not inherit a pending stop. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);

	while (forked < n) {
		pid_t pid = fork();

		if (pid == 0) {
			close(p[0]);
			child(self, zero, null, p[1]);
		}
		if (pid < 0) {
			fprintf(stderr, "many_procs: fork %ld of %ld: %s\n", forked + 1, n,
				strerror(errno));
			break;
		}
		pids[forked++] = pid;
		if (forked % 1024 == 0) { /* let a stop request in now and then */
			sigprocmask(SIG_SETMASK, &old, NULL);
			sigprocmask(SIG_BLOCK, &block, NULL);
			if (stop)
				break;
		}
	}
	close(p[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* Every child that is alive writes one byte once it did its I/O. */
	while (done < forked && !stop) {
		ssize_t r = read(p[0], buf, sizeof(buf));

		if (r > 0)
			done += r;
		else if (r == 0 || errno != EINTR)
			break;
	}
	if (!stop) {
		FILE *f = pidfile ? fopen(pidfile, "w") : NULL;

		if (f) {
			for (long i = 0; i < forked; i++)
				fprintf(f, "%d\n", (int)pids[i]);
			fclose(f);
		}
		if (forked < n)
			fprintf(stderr, "forked %ld of %ld\n", forked, n);
		printf("ready %ld\n", done);
		fflush(stdout);
	}
	sigprocmask(SIG_BLOCK, &block, NULL);
	while (!stop)
		sigsuspend(&old);

	for (long i = 0; i < forked; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
