// SPDX-License-Identifier: GPL-2.0
/*
 * Rare calls whose numbers are known exactly, for the sync, shm and mount
 * modules: `rarecalls NAME DIR` renames itself NAME (before its first
 * counted call), then makes sync, shm and mount calls, good and failing,
 * and prints what happened as "metric labels value" lines:
 *
 *   sync_calls_total call="fsync" 6
 *
 * Every call's result is checked, so the lines say what the kernel did.
 * DIR is an empty directory to mount on. `rarecalls hog NAME MIB` instead
 * renames itself NAME and touches MIB MiB of memory, one page at a time (for
 * an OOM kill in a memory cgroup).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
	SYNC, SYNCFS, FSYNC, FDATASYNC, MSYNC, SFR,
	SHMGET, SHMAT, SHMDT, SHMCTL,
	MOUNT, UMOUNT, MOUNT_ERR, UMOUNT_ERR, NR
};

static const char *const lines[NR] = {
	"sync_calls_total call=\"sync\"",	"sync_calls_total call=\"syncfs\"",
	"sync_calls_total call=\"fsync\"",	"sync_calls_total call=\"fdatasync\"",
	"sync_calls_total call=\"msync\"",	"sync_calls_total call=\"sync_file_range\"",
	"shm_calls_total call=\"shmget\"",	"shm_calls_total call=\"shmat\"",
	"shm_calls_total call=\"shmdt\"",	"shm_calls_total call=\"shmctl\"",
	"mount_calls_total call=\"mount\"",	"mount_calls_total call=\"umount\"",
	"mount_errors_total call=\"mount\"",	"mount_errors_total call=\"umount\"",
};

static long n[NR];

/* A call that counts as @call, failing when it returned -1 (@err: the error slot or -1). */
static void did(int call, int err, long ret)
{
	n[call]++;
	if (ret == -1 && err >= 0)
		n[err]++;
}

static void flushes(void)
{
	char path[] = "/tmp/rarecalls.XXXXXX";
	int fd = mkstemp(path);
	void *map;

	if (fd < 0 || ftruncate(fd, 8192)) {
		perror("rarecalls: temporary file");
		exit(1);
	}
	unlink(path);
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("rarecalls: mmap");
		exit(1);
	}
	for (int i = 0; i < 3; i++) {
		sync();
		did(SYNC, -1, 0);
	}
	for (int i = 0; i < 4; i++)
		did(SYNCFS, -1, syncfs(fd));
	did(SYNCFS, -1, syncfs(-1)); /* EBADF: counts as a call */
	for (int i = 0; i < 5; i++)
		did(FSYNC, -1, fsync(fd));
	did(FSYNC, -1, fsync(-1));
	for (int i = 0; i < 6; i++)
		did(FDATASYNC, -1, fdatasync(fd));
	for (int i = 0; i < 7; i++)
		did(MSYNC, -1, msync(map, 8192, MS_SYNC));
	did(MSYNC, -1, msync((char *)map + 1, 10, MS_SYNC)); /* EINVAL: not page aligned */
	for (int i = 0; i < 8; i++)
		did(SFR, -1, sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
	did(SFR, -1, sync_file_range(fd, -1, 0, 0)); /* EINVAL */
	munmap(map, 8192);
	close(fd);
}

static void shm(void)
{
	int id;
	void *at;

	for (int i = 0; i < 3; i++) {
		id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		did(SHMGET, -1, id);
		if (id < 0)
			continue;
		at = shmat(id, NULL, 0);
		did(SHMAT, -1, at == (void *)-1 ? -1 : 0);
		if (at != (void *)-1)
			did(SHMDT, -1, shmdt(at));
		did(SHMCTL, -1, shmctl(id, IPC_RMID, NULL));
	}
	did(SHMGET, -1, shmget(IPC_PRIVATE, 0, 0)); /* EINVAL: size 0 */
	did(SHMAT, -1, shmat(-1, NULL, 0) == (void *)-1 ? -1 : 0);
	did(SHMDT, -1, shmdt((void *)4096));
	did(SHMCTL, -1, shmctl(-1, IPC_STAT, NULL));
}

static void mounts(const char *dir)
{
	long fs, mnt;

	/* mount(2) and umount2(2), good and failing. */
	for (int i = 0; i < 2; i++) {
		did(MOUNT, MOUNT_ERR, mount("rarecalls", dir, "tmpfs", 0, "size=1m"));
		did(UMOUNT, UMOUNT_ERR, umount2(dir, 0));
	}
	did(MOUNT, MOUNT_ERR, mount("rarecalls", "/nonexistent/rarecalls", "tmpfs", 0, NULL));
	did(UMOUNT, UMOUNT_ERR, umount2(dir, 0)); /* EINVAL: not a mount point */
	/* The new mount API: fsopen, fsmount and move_mount each count; fsconfig does not. */
	fs = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	did(MOUNT, MOUNT_ERR, fs);
	if (fs >= 0 && syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0) {
		mnt = syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
		did(MOUNT, MOUNT_ERR, mnt);
		if (mnt >= 0) {
			did(MOUNT, MOUNT_ERR,
			    syscall(SYS_move_mount, mnt, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH));
			close((int)mnt);
			did(UMOUNT, UMOUNT_ERR, umount2(dir, 0));
		}
	}
	if (fs >= 0)
		close((int)fs);
	did(MOUNT, MOUNT_ERR, syscall(SYS_fsopen, "no-such-fs", 0)); /* ENODEV */
	did(MOUNT, MOUNT_ERR, syscall(SYS_open_tree, AT_FDCWD, "/nonexistent", 0)); /* ENOENT */
}

static int hog(long mib)
{
	size_t len = (size_t)mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("rarecalls: mmap");
		return 1;
	}
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	return 0; /* not reached when the limit is below @mib */
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "hog")) {
		prctl(PR_SET_NAME, argv[2]);
		return hog(atol(argv[3]));
	}
	if (argc != 3 || strlen(argv[1]) > 15) {
		fprintf(stderr, "usage: rarecalls NAME DIR | rarecalls hog NAME MIB\n");
		return 2;
	}
	if (prctl(PR_SET_NAME, argv[1])) {
		perror("rarecalls: prctl");
		return 1;
	}
	flushes();
	shm();
	mounts(argv[2]);
	for (int i = 0; i < NR; i++)
		printf("%s %ld\n", lines[i], n[i]);
	return 0;
}
