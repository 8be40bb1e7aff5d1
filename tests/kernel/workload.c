// SPDX-License-Identifier: GPL-2.0
/*
 * A workload whose numbers are known exactly, for the kernel test tier.
 *
 * Each scenario runs in a child renamed to NAME (prctl before its first
 * counted syscall), so ebpfmon's per-application series for NAME hold only
 * what the scenario did. It prints what it did as "metric value" lines, the
 * ground truth the tests compare with; every call's result is checked, so the
 * printed numbers are what happened, not what was meant to.
 *
 *   workload io NAME DIR        open/read/write/fsync/unlink/close, good and failing
 *   workload forks NAME F       F child processes
 *   workload threads NAME T     T threads
 *   workload short NAME N B     N processes in sequence, each writes B bytes to /dev/null
 *   workload clonefail NAME K   K clone(2) calls with invalid flags (EINVAL)
 *   workload pidsfail NAME K CGROUP_DIR   K forks refused by a pids cgroup (pids.max=1)
 *   workload spin SECONDS       read(2) 1 byte from /dev/zero in a loop (for ad-hoc use)
 *   workload churn NAME N       N processes one after another, each one failed close(2)
 *   workload movers NAME N FROM TO   in cgroup FROM, N children that each move to
 *                               cgroup TO and exit there (their creation is FROM's)
 *   workload names NAME N K     N processes one after another, the i-th renamed NAME<i>
 *                               (5 digits) before K failed close(2) calls
 *   workload execsplit NAME K PATH M   K failed closes, then exec PATH ("closer M")
 *   workload ia32 NAME N        N 32-bit read(2) calls (int $0x80) of 1 byte, nothing else
 *   workload rw NAME N B        N reads of B bytes from /dev/zero, N writes of B to /dev/null
 *   workload zombies K SECONDS  K children left unreaped for SECONDS (or until SIGTERM)
 *   workload live NAME K SECONDS   K children alive at once, each one write(2) of 1 byte
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

struct truth {
	long v[32];
};

enum {
	T_READ_CALLS, T_READ_BYTES, T_READ_ERRORS, T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS,
	T_UNLINK_CALLS, T_UNLINK_ERRORS, T_FSYNC_CALLS, T_FSYNC_ERRORS, T_VOPEN_CALLS,
	T_VOPEN_ERRORS, T_CREATE_CALLS, T_OPEN_CALLS, T_OPEN_ERRORS, T_CLOSE_CALLS,
	T_CLOSE_ERRORS, T_CREATED, T_THREADS, T_EXITS, T_PROC_ERRORS, T_NR
};

static const char *const names[T_NR] = {
	"vfs_read_calls_total", "vfs_read_bytes_total", "vfs_read_errors_total",
	"vfs_write_calls_total", "vfs_write_bytes_total", "vfs_write_errors_total",
	"vfs_unlink_calls_total", "vfs_unlink_errors_total", "vfs_fsync_calls_total",
	"vfs_fsync_errors_total", "vfs_open_calls_total", "vfs_open_errors_total",
	"vfs_create_calls_total", "fd_open_calls_total", "fd_open_errors_total",
	"fd_close_calls_total", "fd_close_errors_total", "process_created_total",
	"process_threads_created_total", "process_exits_total", "process_errors_total",
};

/* The truth lives in shared memory: the counting child reports to the parent. */
static struct truth *truth;

static struct truth *mmap_truth(void)
{
	void *p = mmap(NULL, sizeof(struct truth), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED) {
		perror("workload: mmap");
		exit(1);
	}
	return p;
}

static void die(const char *what)
{
	fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void rename_self(const char *name)
{
	if (prctl(PR_SET_NAME, name, 0, 0, 0))
		die("prctl");
}

static void rw_result(long ret, int calls, int bytes, int errors)
{
	truth->v[calls]++;
	if (ret < 0)
		truth->v[errors]++;
	else
		truth->v[bytes] += ret;
}

static void open_result(long ret, bool creates)
{
	truth->v[T_OPEN_CALLS]++;
	truth->v[T_VOPEN_CALLS]++;
	if (creates)
		truth->v[T_CREATE_CALLS]++;
	if (ret < 0) {
		truth->v[T_OPEN_ERRORS]++;
		truth->v[T_VOPEN_ERRORS]++;
	}
}

static void close_result(long ret)
{
	truth->v[T_CLOSE_CALLS]++;
	if (ret < 0)
		truth->v[T_CLOSE_ERRORS]++;
}

static void scenario_io(const char *dir)
{
	char path[4096], buf[4096];
	struct iovec iov[2] = { { buf, 100 }, { buf + 100, 28 } };
	struct open_how how = { .flags = O_RDONLY };
	long r;
	int fd, fd2;

	memset(buf, 'x', sizeof(buf));
	snprintf(path, sizeof(path), "%s/data", dir);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	open_result(fd, true);
	if (fd < 0)
		die("open");
	for (int i = 0; i < 7; i++)
		rw_result(write(fd, buf, 1000), T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS);
	rw_result(writev(fd, iov, 2), T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS);
	rw_result(pwrite(fd, buf, 300, 0), T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS);
	rw_result(pwritev(fd, iov, 2, 50), T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS);
	rw_result(pwritev2(fd, iov, 1, 10, 0), T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS);
	for (int i = 0; i < 3; i++)
		rw_result(write(-1, buf, 10), T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS);

	for (int i = 0; i < 4; i++) {
		r = fsync(fd);
		truth->v[T_FSYNC_CALLS]++;
		truth->v[T_FSYNC_ERRORS] += r < 0;
	}
	r = fdatasync(fd);
	truth->v[T_FSYNC_CALLS]++;
	truth->v[T_FSYNC_ERRORS] += r < 0;
	r = fsync(-1);
	truth->v[T_FSYNC_CALLS]++;
	truth->v[T_FSYNC_ERRORS] += r < 0;

	if (lseek(fd, 0, SEEK_SET) != 0)
		die("lseek");
	for (int i = 0; i < 11; i++)
		rw_result(read(fd, buf, 500), T_READ_CALLS, T_READ_BYTES, T_READ_ERRORS);
	rw_result(readv(fd, iov, 2), T_READ_CALLS, T_READ_BYTES, T_READ_ERRORS);
	rw_result(pread(fd, buf, 64, 0), T_READ_CALLS, T_READ_BYTES, T_READ_ERRORS);
	rw_result(preadv(fd, iov, 2, 0), T_READ_CALLS, T_READ_BYTES, T_READ_ERRORS);
	rw_result(preadv2(fd, iov, 1, 0, 0), T_READ_CALLS, T_READ_BYTES, T_READ_ERRORS);
	for (int i = 0; i < 5; i++)
		rw_result(read(-1, buf, 10), T_READ_CALLS, T_READ_BYTES, T_READ_ERRORS);
	/* Reading a write-only descriptor is an error from the VFS, not a bad fd. */

	/* Opens that fail, one of each flavour, and a second good one through openat2. */
	for (int i = 0; i < 6; i++)
		open_result(open("/nonexistent-ebpfmon/x", O_RDONLY), false);
	open_result(openat(AT_FDCWD, "/nonexistent-ebpfmon/y", O_CREAT | O_WRONLY, 0600), true);
	fd2 = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	open_result(fd2, false);
	if (fd2 >= 0)
		close_result(close(fd2));

	close_result(close(fd));
	for (int i = 0; i < 4; i++)
		close_result(close(-1));

	r = unlink(path);
	truth->v[T_UNLINK_CALLS]++;
	truth->v[T_UNLINK_ERRORS] += r < 0;
	for (int i = 0; i < 2; i++) {
		r = unlink(path);
		truth->v[T_UNLINK_CALLS]++;
		truth->v[T_UNLINK_ERRORS] += r < 0;
	}
}

static void scenario_forks(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0)
			die("fork");
		if (p == 0)
			_exit(0);
		truth->v[T_CREATED]++;
		truth->v[T_EXITS]++; /* the child's exit */
		if (waitpid(p, NULL, 0) != p)
			die("waitpid");
	}
}

static void *thread_fn(void *arg)
{
	return arg;
}

static void scenario_threads(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_fn, NULL))
			die("pthread_create");
		truth->v[T_THREADS]++;
		truth->v[T_EXITS]++;
		pthread_join(t, NULL);
	}
}

static void scenario_clonefail(long n)
{
	for (long i = 0; i < n; i++) {
		/* CLONE_SIGHAND without CLONE_VM is always EINVAL. */
		long r = syscall(SYS_clone, CLONE_SIGHAND, 0, NULL, NULL, 0);

		if (r == 0)
			_exit(0);
		if (r > 0)
			die("clone with bad flags succeeded");
		truth->v[T_PROC_ERRORS]++;
	}
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		die(path);
	close(fd);
}

/* Runs as the renamed child; the cgroup setup's own syscalls happen before the rename. */
static void scenario_pidsfail(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		if (p > 0) {
			fprintf(stderr, "workload: fork succeeded in a pids.max=1 cgroup\n");
			exit(1);
		}
		truth->v[T_PROC_ERRORS]++;
	}
}

/* Run @fn in a child named @name; the child's own exit counts as one more exit. */
static int in_child(const char *name, void (*fn)(long, const char *), long arg, const char *sarg,
		    const char *cgroup)
{
	pid_t p = fork();
	int status;

	if (p < 0)
		die("fork");
	if (p == 0) {
		if (cgroup) {
			char path[4096], pid[32];

			snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
			snprintf(pid, sizeof(pid), "%d", getpid());
			write_file(path, pid);
		}
		rename_self(name);
		fn(arg, sarg);
		truth->v[T_EXITS]++;
		_exit(0);
	}
	if (waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	return 0;
}

static void run_io(long arg, const char *dir) { (void)arg; scenario_io(dir); }
static void run_forks(long n, const char *s) { (void)s; scenario_forks(n); }
static void run_threads(long n, const char *s) { (void)s; scenario_threads(n); }
static void run_clonefail(long n, const char *s) { (void)s; scenario_clonefail(n); }
static void run_pidsfail(long n, const char *s) { (void)s; scenario_pidsfail(n); }
static void scenario_churn(long n);
static void scenario_names(long n, long k);
static void scenario_movers(long n, const char *to);
static void scenario_execsplit(long k, const char *path_and_m);
static void scenario_ia32(long n);
static void scenario_rw(long n, const char *bytes_arg);
static void run_churn(long n, const char *s) { (void)s; scenario_churn(n); }
static void run_names(long n, const char *k) { scenario_names(n, atol(k)); }
static void run_movers(long n, const char *to) { scenario_movers(n, to); }
static void run_execsplit(long k, const char *s) { scenario_execsplit(k, s); }
static void run_ia32(long n, const char *s) { (void)s; scenario_ia32(n); }
static void run_rw(long n, const char *s) { scenario_rw(n, s); }

/*
 * Move the calling process into @cgroup. Counted after the move: the write
 * to cgroup.procs returns there, and the close runs there.
 */
static void join_cgroup(const char *cgroup)
{
	char path[4096], pid[32];
	int fd, len;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	len = snprintf(pid, sizeof(pid), "%d", getpid());
	fd = open(path, O_WRONLY);
	open_result(fd, false);
	if (fd < 0)
		die(path);
	rw_result(write(fd, pid, len), T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS);
	close_result(close(fd));
}

/* With WORKLOAD_CGROUP set, each process joins that cgroup first. */
static int scenario_short(const char *name, long n, long bytes)
{
	const char *cgroup = getenv("WORKLOAD_CGROUP");

	static char buf[65536];

	if (bytes > (long)sizeof(buf))
		bytes = sizeof(buf);
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		int status;

		if (p < 0)
			die("fork");
		if (p == 0) {
			int fd;

			rename_self(name);
			if (cgroup)
				join_cgroup(cgroup);
			fd = open("/dev/null", O_WRONLY);
			open_result(fd, false);
			rw_result(write(fd, buf, bytes), T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS);
			truth->v[T_EXITS]++;
			_exit(0);
		}
		if (waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
	}
	return 0;
}

/*
 * @n children one after another: each runs @child(i, @arg) and exits 0, and
 * is counted created (here) and exited (there).
 */
static void sequential_children(long n, void (*child)(long i, const void *arg), const void *arg)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		int status;

		if (p < 0)
			die("fork");
		if (p == 0) {
			child(i, arg);
			truth->v[T_EXITS]++;
			_exit(0);
		}
		truth->v[T_CREATED]++;
		if (waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status))
			die("child");
	}
}

static void one_failed_close(long i, const void *arg)
{
	(void)i;
	(void)arg;
	close_result(close(-1));
}

/* Each of @n processes, one after another, makes one failed close(2) and exits. */
static void scenario_churn(long n)
{
	sequential_children(n, one_failed_close, NULL);
}

static void move_to(long i, const void *procs_path)
{
	char pid[32];

	(void)i;
	snprintf(pid, sizeof(pid), "%d", getpid());
	write_file(procs_path, pid);
}

/* @n children, one after another, each moved to cgroup @to before it exits. */
static void scenario_movers(long n, const char *to)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/cgroup.procs", to);
	sequential_children(n, move_to, path);
}

struct names_arg {
	char base[16];
	long k;
};

static void rename_and_close(long i, const void *arg)
{
	const struct names_arg *a = arg;
	char name[32];

	snprintf(name, sizeof(name), "%s%05ld", a->base, i % 100000);
	rename_self(name);
	for (long j = 0; j < a->k; j++)
		close_result(close(-1));
}

/* Process names that never repeat: @n processes, each with @k failed closes under its own. */
static void scenario_names(long n, long k)
{
	struct names_arg a = { .k = k };

	if (prctl(PR_GET_NAME, a.base, 0, 0, 0))
		die("prctl");
	a.base[10] = 0; /* room for 5 digits in the 15 characters of a name */
	sequential_children(n, rename_and_close, &a);
}

/*
 * @k failed closes under our name, then exec @path, which makes its own (the
 * closer helper): what came before the exec must stay with this name.
 */
static void scenario_execsplit(long k, const char *path_and_m)
{
	char path[4096], m[32];
	const char *sep = strchr(path_and_m, ' ');

	if (!sep)
		die("execsplit arguments");
	snprintf(path, sizeof(path), "%.*s", (int)(sep - path_and_m), path_and_m);
	snprintf(m, sizeof(m), "%s", sep + 1);
	for (long i = 0; i < k; i++)
		close_result(close(-1));
	execl(path, path, m, (char *)NULL);
	die("exec");
}

#if defined(__x86_64__)
/* One ia32 read(2) (32-bit syscall 3, which is close(2) in the 64-bit table). */
static long ia32_read(int fd, void *buf32, long len)
{
	long ret = 3;

	__asm__ volatile("int $0x80"
			 : "+a"(ret)
			 : "b"((long)fd), "c"(buf32), "d"(len)
			 : "r8", "r9", "r10", "r11", "memory");
	return ret;
}

static void scenario_ia32(long n)
{
	/* A 32-bit syscall takes 32-bit pointers: the buffer lives below 4 GiB. */
	char *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			 -1, 0);
	int fd = open("/dev/zero", O_RDONLY);

	if (buf == MAP_FAILED || fd < 0)
		die("ia32 setup");
	/* The setup's own open and mmap are 64-bit calls and counted: open is in the truth. */
	open_result(fd, false);
	for (long i = 0; i < n; i++)
		if (ia32_read(fd, buf, 1) != 1)
			die("ia32 read");
	close_result(close(fd));
}
#else
static void scenario_ia32(long n)
{
	(void)n;
	fprintf(stderr, "workload: ia32 needs x86_64\n");
	exit(2);
}
#endif

static void scenario_rw(long n, const char *bytes_arg)
{
	static char buf[65536];
	long bytes = atol(bytes_arg);
	int in = open("/dev/zero", O_RDONLY), out = open("/dev/null", O_WRONLY);

	open_result(in, false);
	open_result(out, false);
	if (in < 0 || out < 0 || bytes <= 0 || bytes > (long)sizeof(buf))
		die("rw setup");
	for (long i = 0; i < n; i++) {
		rw_result(read(in, buf, bytes), T_READ_CALLS, T_READ_BYTES, T_READ_ERRORS);
		rw_result(write(out, buf, bytes), T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS);
	}
	close_result(close(in));
	close_result(close(out));
}

static volatile sig_atomic_t stop_zombies;

static void on_term(int sig)
{
	(void)sig;
	stop_zombies = 1;
}

/* Sleep @seconds, or until SIGTERM (on_term). */
static void wait_term(double seconds)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		usleep(20000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!stop_zombies && (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

/* @k exited children left unreaped for @seconds; "zombies K" on stdout once they are. */
static int zombies(long k, double seconds)
{
	pid_t *pids = calloc((size_t)k, sizeof(*pids));

	if (!pids)
		die("calloc");
	signal(SIGTERM, on_term);
	for (long i = 0; i < k; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i] == 0)
			_exit(0);
	}
	for (long i = 0; i < k; i++) {
		siginfo_t si;

		/* Wait for the exit without reaping. */
		if (waitid(P_PID, pids[i], &si, WEXITED | WNOWAIT))
			die("waitid");
	}
	printf("zombies %ld\n", k);
	fflush(stdout);
	wait_term(seconds);
	for (long i = 0; i < k; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
	return 0;
}

/*
 * @k processes named @name alive at the same time, each after one write(2)
 * of 1 byte to /dev/null; "live K" on stdout once they all did it; killed
 * (by pid) and reaped after @seconds or on SIGTERM. Prints the truth.
 */
static int live(const char *name, long k, double seconds)
{
	pid_t *pids = calloc((size_t)k, sizeof(*pids));
	int ready[2];
	char c = 'x';

	if (!pids || pipe(ready))
		die("live setup");
	truth = mmap_truth();
	signal(SIGTERM, on_term);
	for (long i = 0; i < k; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i] == 0) {
			int fd;

			signal(SIGTERM, SIG_DFL);
			rename_self(name);
			fd = open("/dev/null", O_WRONLY);
			open_result(fd, false);
			rw_result(write(fd, &c, 1), T_WRITE_CALLS, T_WRITE_BYTES, T_WRITE_ERRORS);
			if (write(ready[1], &c, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
	}
	for (long i = 0; i < k; i++)
		if (read(ready[0], &c, 1) != 1)
			die("live children");
	printf("live %ld\n", k);
	fflush(stdout);
	wait_term(seconds);
	for (long i = 0; i < k; i++)
		kill(pids[i], SIGKILL);
	for (long i = 0; i < k; i++)
		waitpid(pids[i], NULL, 0);
	truth->v[T_EXITS] = k;
	for (int i = 0; i < T_NR; i++)
		printf("%s %ld\n", names[i], truth->v[i]);
	free(pids);
	return 0;
}

static int spin(double seconds)
{
	int fd = open("/dev/zero", O_RDONLY);
	char c;
	long n = 0;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 10000; i++)
			n += read(fd, &c, 1);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
	printf("reads %ld\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	const char *name = argc > 2 ? argv[2] : "";
	int rc;

	if (!strcmp(cmd, "spin") && argc == 3)
		return spin(atof(argv[2]));
	if (!strcmp(cmd, "zombies") && argc == 4)
		return zombies(atol(argv[2]), atof(argv[3]));
	if (!strcmp(cmd, "live") && argc == 5 && strlen(name) <= 15)
		return live(name, atol(argv[3]), atof(argv[4]));
	if (argc < 4 || strlen(name) > 15) {
		fprintf(stderr, "usage: workload io|forks|threads|short|clonefail|pidsfail|churn|names|movers|execsplit|ia32|rw NAME ARGS "
				"(NAME at most 15 characters)\n");
		return 2;
	}
	truth = mmap_truth();
	if (!strcmp(cmd, "io"))
		rc = in_child(name, run_io, 0, argv[3], NULL);
	else if (!strcmp(cmd, "forks"))
		rc = in_child(name, run_forks, atol(argv[3]), NULL, NULL);
	else if (!strcmp(cmd, "threads"))
		rc = in_child(name, run_threads, atol(argv[3]), NULL, NULL);
	else if (!strcmp(cmd, "clonefail"))
		rc = in_child(name, run_clonefail, atol(argv[3]), NULL, NULL);
	else if (!strcmp(cmd, "pidsfail") && argc == 5)
		rc = in_child(name, run_pidsfail, atol(argv[3]), NULL, argv[4]);
	else if (!strcmp(cmd, "short") && argc == 5)
		rc = scenario_short(name, atol(argv[3]), atol(argv[4]));
	else if (!strcmp(cmd, "churn"))
		rc = in_child(name, run_churn, atol(argv[3]), NULL, NULL);
	else if (!strcmp(cmd, "movers") && argc > 5)
		rc = in_child(name, run_movers, atol(argv[3]), argv[5], argv[4]);
	else if (!strcmp(cmd, "names") && argc > 4)
		rc = in_child(name, run_names, atol(argv[3]), argv[4], NULL);
	else if (!strcmp(cmd, "ia32"))
		rc = in_child(name, run_ia32, atol(argv[3]), NULL, NULL);
	else if (!strcmp(cmd, "rw") && argc == 5)
		rc = in_child(name, run_rw, atol(argv[3]), argv[4], NULL);
	else if (!strcmp(cmd, "execsplit") && argc == 6) {
		char arg[4096 + 32];

		snprintf(arg, sizeof(arg), "%s %s", argv[4], argv[5]);
		rc = in_child(name, run_execsplit, atol(argv[3]), arg, NULL);
	}
	else {
		fprintf(stderr, "workload: unknown scenario '%s'\n", cmd);
		return 2;
	}
	if (rc)
		return 1;
	for (int i = 0; i < T_NR; i++)
		printf("%s %ld\n", names[i], truth->v[i]);
	return 0;
}
