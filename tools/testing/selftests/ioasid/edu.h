/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU's edu PCI device (1234:11e8) as the selftests and the benchmark use
 * it: find it, bind it to vfio-pci, find its VFIO nodes, and make it DMA.
 *
 * BAR0: 0x00 identification (0xRRrr00ed, 32-bit reads only: edu answers
 * wider reads below 0x80 with all ones), 0x80 DMA source, 0x88 destination,
 * 0x90 count, 0x98 command (bit 0 start, bit 1 direction: device to RAM).
 * Its buffer is 4 KiB at device address 0x40000.  A DMA touching device
 * addresses outside that buffer aborts QEMU, and QEMU 7.2 also refuses one
 * that ends exactly at its end, so every transfer is the first EDU_LEN
 * bytes of it.
 */
#ifndef __SELFTESTS_IOASID_EDU_H
#define __SELFTESTS_IOASID_EDU_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/types.h>

#include "ioasid_util.h"

#define EDU_ID		0x00
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF		0x40000UL
#define EDU_LEN		0x800UL

#define PCI_DEVICES	"/sys/bus/pci/devices"

/* Find the edu; fills @bdf ("0000:00:03.0"). */
static inline bool edu_find(char *bdf, size_t len)
{
	char path[PATH_MAX], val[64];
	struct dirent *d;
	bool found = false;
	DIR *dir;

	dir = opendir(PCI_DEVICES);
	if (!dir)
		return false;
	while (!found && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", d->d_name);
		if (sysfs_read(path, val, sizeof(val)) || strcmp(val, "0x1234"))
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", d->d_name);
		if (sysfs_read(path, val, sizeof(val)) || strcmp(val, "0x11e8"))
			continue;
		snprintf(bdf, len, "%s", d->d_name);
		found = true;
	}
	closedir(dir);
	return found;
}

/* Bind the device to vfio-pci if it is not: 0 or -errno. */
static inline int edu_bind_vfio_pci(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	int rc;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = 0;
		if (!strcmp(strrchr(link, '/') + 1, "vfio-pci"))
			return 0;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind",
			 bdf);
		rc = sysfs_write(path, bdf);
		if (rc)
			return rc;
	}
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	rc = sysfs_write(path, "vfio-pci");
	if (rc)
		return rc;
	return sysfs_write("/sys/bus/pci/drivers_probe", bdf);
}

/* The VFIO cdev of the device, "/dev/vfio/devices/vfioN": 0 or -errno. */
static inline int edu_vfio_cdev(const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX];
	struct dirent *d;
	int rc = -ENOENT;
	DIR *dir;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "vfio", 4))
			continue;
		snprintf(out, len, "/dev/vfio/devices/%s", d->d_name);
		rc = 0;
		break;
	}
	closedir(dir);
	return rc;
}

/* The VFIO group node of the device, "/dev/vfio/N": 0 or -errno. */
static inline int edu_vfio_group(const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	snprintf(out, len, "/dev/vfio/%s", strrchr(link, '/') + 1);
	return 0;
}

static inline void edu_write(volatile void *bar, unsigned int reg, __u64 v)
{
	*(volatile __u64 *)((volatile char *)bar + reg) = v;
}

static inline __u64 edu_read(volatile void *bar, unsigned int reg)
{
	return *(volatile __u64 *)((volatile char *)bar + reg);
}

/* Registers below 0x80 take 32-bit accesses only. */
static inline __u32 edu_read32(volatile void *bar, unsigned int reg)
{
	return *(volatile __u32 *)((volatile char *)bar + reg);
}

/*
 * One edu DMA of @len bytes between IOVA @iova and the device buffer.
 * Returns 0 once the device reports it done, -ETIMEDOUT after 10 s.  The
 * device completes a DMA the IOMMU refused as well: it only drops the data.
 */
static inline int edu_dma(volatile void *bar, __u64 iova, __u64 len,
			  bool to_ram)
{
	struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
	int i;

	edu_write(bar, EDU_DMA_SRC, to_ram ? EDU_BUF : iova);
	edu_write(bar, EDU_DMA_DST, to_ram ? iova : EDU_BUF);
	edu_write(bar, EDU_DMA_CNT, len);
	edu_write(bar, EDU_DMA_CMD,
		  EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	/* edu runs a DMA from a 100 ms timer. */
	for (i = 0; i < 1000; i++) {
		if (!(edu_read(bar, EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/*
 * Turn memory decoding and bus mastering on, or bus mastering off, through
 * the config space file @fd, where the config space starts at @off.
 */
static inline int edu_set_bus_master(int fd, off_t off, bool on)
{
	__u16 cmd;

	if (pread(fd, &cmd, sizeof(cmd), off + PCI_COMMAND) != sizeof(cmd))
		return -EIO;
	if (on)
		cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	else
		cmd &= ~PCI_COMMAND_MASTER;
	if (pwrite(fd, &cmd, sizeof(cmd), off + PCI_COMMAND) != sizeof(cmd))
		return -EIO;
	return 0;
}

#endif /* __SELFTESTS_IOASID_EDU_H */
