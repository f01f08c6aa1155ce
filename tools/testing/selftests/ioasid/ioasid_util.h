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

#endif /* __SELFTESTS_IOASID_UTIL_H */
