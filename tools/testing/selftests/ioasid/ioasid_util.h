/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the /dev/ioasid selftests: ioctl and sysfs access,
 * the process's pinned memory, and fail-nth fault injection.
 */
#ifndef __SELFTESTS_IOASID_UTIL_H
#define __SELFTESTS_IOASID_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <linux/types.h>
#include <unistd.h>

/* Issue an ioctl and return 0 or the errno it failed with. */
static inline int ioctl_err(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) ? errno : 0;
}

/* Read a sysfs (or procfs) value without its trailing newline. */
static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

/* Write @val to a sysfs (or debugfs) file: 0 or -errno. */
static inline int sysfs_write(const char *path, const char *val)
{
	ssize_t n, len = strlen(val);
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	close(fd);
	if (n < 0)
		return -errno;
	return n == len ? 0 : -EIO;
}

/* VmPin of this process in kB, or -1. */
static inline long vm_pinned_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * Arm the Nth fault-injection point of this thread through its open
 * /proc/self/task/TID/fail-nth file @fd; 0 disarms.  The file stays open
 * so that arming and reading it allocate nothing themselves.
 */
static inline bool fail_nth_set(int fd, unsigned int nth)
{
	char buf[16];
	int len;

	len = snprintf(buf, sizeof(buf), "%u", nth);
	return pwrite(fd, buf, len, 0) == len;
}

/* True if the armed failure was reached (the countdown ran out). */
static inline bool fail_nth_fired(int fd)
{
	char buf[16] = {};
	ssize_t len;

	len = pread(fd, buf, sizeof(buf) - 1, 0);
	return len > 0 && atoi(buf) == 0;
}

/*
 * Seeded pseudo-random numbers for the stress and fuzz tests (xorshift64*):
 * one state per thread, so that a seed replays each thread's choices.
 */
static inline __u64 ioasid_rng_next(__u64 *state)
{
	__u64 x = *state ?: 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* A number in [0, n); 0 for n == 0. */
static inline __u64 ioasid_rng_below(__u64 *state, __u64 n)
{
	return n ? ioasid_rng_next(state) % n : 0;
}

/* A per-thread state derived from a seed and a stream number. */
static inline __u64 ioasid_rng_seed(__u64 seed, __u64 stream)
{
	__u64 state = seed ^ (stream + 1) * 0x9e3779b97f4a7c15ULL;
	int i;

	for (i = 0; i < 4; i++)
		ioasid_rng_next(&state);
	return state;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline __u64 ioasid_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* An unsigned number from the environment, or @def if unset or invalid. */
static inline unsigned long long ioasid_env_ull(const char *name,
						unsigned long long def)
{
	const char *val = getenv(name);
	unsigned long long v;
	char *end;

	if (!val || !*val)
		return def;
	errno = 0;
	v = strtoull(val, &end, 0);
	if (errno || *end)
		return def;
	return v;
}

/* A seed from the environment variable @name, or a fresh one. */
static inline __u64 ioasid_env_seed(const char *name)
{
	const char *val = getenv(name);

	if (val && *val)
		return strtoull(val, NULL, 0);
	return ioasid_now_ns() ^ ((__u64)getpid() << 32);
}

/* True if @err is one of the zero-terminated list @errs. */
static inline bool ioasid_errno_in(int err, const int *errs)
{
	for (; *errs; errs++)
		if (*errs == err)
			return true;
	return false;
}

#endif /* __SELFTESTS_IOASID_UTIL_H */
