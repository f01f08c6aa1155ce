/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the /dev/ioasid selftests: ioctl and sysfs access,
 * the process's pinned memory, fail-nth fault injection, and the PASID
 * ioctls with the test driver's PASID commands.
 */
#ifndef __SELFTESTS_IOASID_UTIL_H
#define __SELFTESTS_IOASID_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/types.h>
#include <linux/ioasid.h>
#include <unistd.h>

#include "../../../../drivers/iommu/ioasid/ioasid_test.h"

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

/* ---- PASIDs: the uAPI and the test driver's PASID commands ------------- */

/* IOASID_IOAS_ALLOC: 0 with *@id, or the errno. */
static inline int ioasid_ioas_new(int fd, __u32 *id)
{
	struct ioasid_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &cmd);

	*id = rc ? 0 : cmd.out_ioas_id;
	return rc;
}

/* IOASID_IOAS_MAP of @len bytes at @va, read-write, at the fixed @iova. */
static inline int ioasid_ioas_map_at(int fd, __u32 ioas, void *va, __u64 len,
				     __u64 iova)
{
	struct ioasid_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ |
			 IOASID_IOAS_MAP_WRITE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl_err(fd, IOASID_IOAS_MAP, &cmd);
}

/* IOASID_IOAS_UNMAP of [@iova, @iova + @len); *@unmapped optional. */
static inline int ioasid_ioas_unmap_range(int fd, __u32 ioas, __u64 iova,
					  __u64 len, __u64 *unmapped)
{
	struct ioasid_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int rc = ioctl_err(fd, IOASID_IOAS_UNMAP, &cmd);

	if (unmapped)
		*unmapped = rc ? 0 : cmd.out_unmapped;
	return rc;
}

/* IOASID_DESTROY of object @id. */
static inline int ioasid_obj_destroy(int fd, __u32 id)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl_err(fd, IOASID_DESTROY, &cmd);
}

/* IOASID_HWPT_ALLOC of a paging HWPT of @ioas for bound device @dev_id. */
static inline int ioasid_hwpt_new(int fd, __u32 dev_id, __u32 ioas,
				  __u32 *hwpt)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.pt_id = ioas,
	};
	int rc = ioctl_err(fd, IOASID_HWPT_ALLOC, &cmd);

	*hwpt = rc ? 0 : cmd.out_hwpt_id;
	return rc;
}

/* IOASID_DEVICE_GET_PASID_INFO of @pasid of bound device @dev_id. */
static inline int ioasid_pasid_info(int fd, __u32 dev_id, __u32 pasid,
				    struct ioasid_device_get_pasid_info *out)
{
	*out = (struct ioasid_device_get_pasid_info) {
		.size = sizeof(*out),
		.dev_id = dev_id,
		.pasid = pasid,
	};
	return ioctl_err(fd, IOASID_DEVICE_GET_PASID_INFO, out);
}

/* IOASID_DEVICE_GET_PASID_INFO's out_flags, or ~0U on failure. */
static inline __u32 ioasid_pasid_flags(int fd, __u32 dev_id, __u32 pasid)
{
	struct ioasid_device_get_pasid_info info;

	if (ioasid_pasid_info(fd, dev_id, pasid, &info))
		return ~0U;
	return info.out_flags;
}

static inline int ioasid_pasid_alloc(int fd, __u32 dev_id, __u32 *pasid)
{
	struct ioasid_pasid_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
	};
	int rc = ioctl_err(fd, IOASID_PASID_ALLOC, &cmd);

	if (pasid)
		*pasid = rc ? 0 : cmd.out_pasid;
	return rc;
}

static inline int ioasid_pasid_free(int fd, __u32 pasid)
{
	struct ioasid_pasid_free cmd = {
		.size = sizeof(cmd),
		.pasid = pasid,
	};

	return ioctl_err(fd, IOASID_PASID_FREE, &cmd);
}

/* A mock device with @flags and, for IOASID_TEST_MOCK_DEV_PASID_BITS, @bits. */
static inline int ioasid_mock_dev_add(int fd, __u32 flags, __u32 group_dev_id,
				      __u32 bits, __u32 *mock_id)
{
	struct ioasid_test_mock_dev_add cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.group_dev_id = group_dev_id,
		.pasid_bits = bits,
	};
	int rc = ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &cmd);

	if (mock_id)
		*mock_id = rc ? 0 : cmd.out_dev_id;
	return rc;
}

/* Bind mock device @mock_id as its owning subsystem would: its device id. */
static inline int ioasid_device_bind(int fd, __u32 mock_id, __u32 *dev_id)
{
	struct ioasid_test_device_bind cmd = {
		.size = sizeof(cmd),
		.dev_id = mock_id,
	};
	int rc = ioctl_err(fd, IOASID_TEST_DEVICE_BIND, &cmd);

	*dev_id = rc ? 0 : cmd.out_device_id;
	return rc;
}

static inline int ioasid_device_unbind(int fd, __u32 mock_id)
{
	struct ioasid_test_device_unbind cmd = {
		.size = sizeof(cmd),
		.dev_id = mock_id,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_UNBIND, &cmd);
}

/* Attach (or replace) the RID of bound mock device @mock_id to @pt. */
static inline int ioasid_rid_attach(int fd, __u32 mock_id, __u32 pt,
				    bool replace)
{
	struct ioasid_test_device_attach cmd = {
		.size = sizeof(cmd),
		.flags = replace ? IOASID_TEST_DEVICE_ATTACH_REPLACE : 0,
		.dev_id = mock_id,
		.pt_id = pt,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_ATTACH, &cmd);
}

static inline int ioasid_rid_detach(int fd, __u32 mock_id)
{
	struct ioasid_test_device_detach cmd = {
		.size = sizeof(cmd),
		.dev_id = mock_id,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_DETACH, &cmd);
}

/* The owner's policy for PASIDs @first to @last of bound mock @mock_id. */
static inline int ioasid_allow_pasid(int fd, __u32 mock_id, __u32 first,
				     __u32 last, __u32 configs)
{
	struct ioasid_test_device_allow_pasid cmd = {
		.size = sizeof(cmd),
		.dev_id = mock_id,
		.first = first,
		.last = last,
		.configs = configs,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_ALLOW_PASID, &cmd);
}

static inline int ioasid_revoke_pasid(int fd, __u32 mock_id, __u32 first,
				      __u32 last)
{
	struct ioasid_test_device_allow_pasid cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_TEST_ALLOW_PASID_REVOKE,
		.dev_id = mock_id,
		.first = first,
		.last = last,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_ALLOW_PASID, &cmd);
}

/*
 * Attach PASID @pasid of bound mock @mock_id to @pt_id (an IOAS or a HWPT),
 * or move it there with @replace; *@hwpt_id gets the HWPT it uses.
 */
static inline int ioasid_pasid_attach(int fd, __u32 mock_id, __u32 pasid,
				      __u32 pt_id, bool replace,
				      __u32 *hwpt_id)
{
	struct ioasid_test_device_attach cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_TEST_DEVICE_ATTACH_PASID |
			 (replace ? IOASID_TEST_DEVICE_ATTACH_REPLACE : 0),
		.dev_id = mock_id,
		.pt_id = pt_id,
		.pasid = pasid,
	};
	int rc = ioctl_err(fd, IOASID_TEST_DEVICE_ATTACH, &cmd);

	if (hwpt_id)
		*hwpt_id = rc ? 0 : cmd.pt_id;
	return rc;
}

static inline int ioasid_pasid_detach(int fd, __u32 mock_id, __u32 pasid)
{
	struct ioasid_test_device_detach cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_TEST_DEVICE_DETACH_PASID,
		.dev_id = mock_id,
		.pasid = pasid,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_DETACH, &cmd);
}

/*
 * IOASID_TEST_DEVICE_DOMAIN of PASID @pasid (0: the RID) of mock @mock_id:
 * the serial of the domain, 0 when blocked, and its flags in *@flags.
 */
static inline int ioasid_pasid_domain(int fd, __u32 mock_id, __u32 pasid,
				      __u64 *serial, __u32 *flags)
{
	struct ioasid_test_device_domain cmd = {
		.size = sizeof(cmd),
		.flags = pasid ? IOASID_TEST_DEVICE_DOMAIN_PASID : 0,
		.dev_id = mock_id,
		.pasid = pasid,
	};
	int rc = ioctl_err(fd, IOASID_TEST_DEVICE_DOMAIN, &cmd);

	if (serial)
		*serial = rc ? 0 : cmd.out_serial;
	if (flags)
		*flags = rc ? 0 : cmd.out_flags;
	return rc;
}

/*
 * DMA by mock @mock_id at @iova, tagged with @pasid unless it is 0: the
 * device reads @len bytes of memory into @data, or with @write writes @data
 * into memory.
 */
static inline int ioasid_mock_dma(int fd, __u32 mock_id, __u32 pasid,
				  __u64 iova, void *data, __u64 len,
				  bool write)
{
	struct ioasid_test_mock_dma cmd = {
		.size = sizeof(cmd),
		.flags = (write ? IOASID_TEST_MOCK_DMA_WRITE : 0) |
			 (pasid ? IOASID_TEST_MOCK_DMA_PASID : 0),
		.dev_id = mock_id,
		.pasid = pasid,
		.iova = iova,
		.length = len,
		.data = (uintptr_t)data,
	};
	int rc = ioctl_err(fd, IOASID_TEST_MOCK_DMA, &cmd);

	if (!rc && cmd.out_done != len)
		return EPROTO;
	return rc;
}

/* IOASID_TEST_KERNEL_PASID @op on mock @mock_id; ALLOC sets *@pasid. */
static inline int ioasid_kernel_pasid(int fd, __u32 op, __u32 mock_id,
				      __u32 *pasid)
{
	struct ioasid_test_kernel_pasid cmd = {
		.size = sizeof(cmd),
		.op = op,
		.dev_id = mock_id,
		.pasid = *pasid,
	};
	int rc = ioctl_err(fd, IOASID_TEST_KERNEL_PASID, &cmd);

	if (!rc && op == IOASID_TEST_KERNEL_PASID_ALLOC)
		*pasid = cmd.pasid;
	return rc;
}

/* nesting */
/* ---- Nesting: nesting-parent and nested HWPTs, HWPT_INVALIDATE --------- */

/* SMMUv3 STE word 0: V, and Config in bits 3:1 (abort 0b000, bypass 0b100). */
#define IOASID_NEST_STE0_V		(1ULL << 0)
#define IOASID_NEST_STE0_CFG_ABORT	(0ULL << 1)
#define IOASID_NEST_STE0_CFG_BYPASS	(4ULL << 1)
/* SMMUv3 command opcodes of the stage-1 invalidations, in cmd[0] bits 7:0. */
#define IOASID_NEST_CMD_CFGI_CD		0x05
#define IOASID_NEST_CMD_CFGI_CD_ALL	0x06
#define IOASID_NEST_CMD_TLBI_NH_ALL	0x10
#define IOASID_NEST_CMD_TLBI_NH_ASID	0x11
#define IOASID_NEST_CMD_TLBI_NH_VA	0x12
#define IOASID_NEST_CMD_TLBI_NH_VAA	0x13

/*
 * IOASID_HWPT_ALLOC of a paging HWPT of IOAS @ioas_id for bound device
 * @dev_id, a nesting parent with @nest_parent.
 */
static inline int ioasid_nest_parent_alloc(int fd, __u32 dev_id,
					   __u32 ioas_id, bool nest_parent,
					   __u32 *hwpt_id)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = nest_parent ? IOASID_HWPT_ALLOC_NEST_PARENT : 0,
		.dev_id = dev_id,
		.pt_id = ioas_id,
	};
	int rc = ioctl_err(fd, IOASID_HWPT_ALLOC, &cmd);

	if (hwpt_id)
		*hwpt_id = rc ? 0 : cmd.out_hwpt_id;
	return rc;
}

/* IOASID_HWPT_ALLOC of a nested HWPT on @parent, @len bytes of @type. */
static inline int ioasid_nest_alloc(int fd, __u32 dev_id, __u32 parent,
				    __u32 type, const void *data, __u32 len,
				    __u32 *hwpt_id)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.pt_id = parent,
		.data_type = type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = ioctl_err(fd, IOASID_HWPT_ALLOC, &cmd);

	if (hwpt_id)
		*hwpt_id = rc ? 0 : cmd.out_hwpt_id;
	return rc;
}

/* The smallest valid VT-d stage 1: a 4-level table at @pgtbl_addr. */
static inline struct ioasid_hwpt_vtd_s1 ioasid_nest_vtd_s1(__u64 pgtbl_addr)
{
	return (struct ioasid_hwpt_vtd_s1) {
		.pgtbl_addr = pgtbl_addr,
		.addr_width = 48,
	};
}

/* A valid SMMUv3 STE that needs no CD: Config bypass, or abort. */
static inline struct ioasid_hwpt_arm_smmuv3 ioasid_nest_smmuv3_ste(bool abort)
{
	return (struct ioasid_hwpt_arm_smmuv3) {
		.ste = { IOASID_NEST_STE0_V |
			 (abort ? IOASID_NEST_STE0_CFG_ABORT :
				  IOASID_NEST_STE0_CFG_BYPASS), 0 },
	};
}

/*
 * A nested HWPT of the mock VT-d (@smmuv3 false: its 4-level table at
 * @pgtbl_addr) or SMMUv3 (a bypass STE) on @parent.
 */
static inline int ioasid_nest_alloc_min(int fd, __u32 dev_id, __u32 parent,
					bool smmuv3, __u64 pgtbl_addr,
					__u32 *hwpt_id)
{
	struct ioasid_hwpt_vtd_s1 vtd = ioasid_nest_vtd_s1(pgtbl_addr);
	struct ioasid_hwpt_arm_smmuv3 ste = ioasid_nest_smmuv3_ste(false);

	if (smmuv3)
		return ioasid_nest_alloc(fd, dev_id, parent,
					 IOASID_HWPT_DATA_ARM_SMMUV3, &ste,
					 sizeof(ste), hwpt_id);
	return ioasid_nest_alloc(fd, dev_id, parent, IOASID_HWPT_DATA_VTD_S1,
				 &vtd, sizeof(vtd), hwpt_id);
}

/*
 * IOASID_HWPT_INVALIDATE of @*num entries of @entry_len bytes at @data;
 * *@num gets the kernel's count of the entries carried out.
 */
static inline int ioasid_nest_invalidate(int fd, __u32 hwpt_id, __u32 type,
					 const void *data, __u32 entry_len,
					 __u32 *num)
{
	struct ioasid_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.data_uptr = (uintptr_t)data,
		.data_type = type,
		.entry_len = entry_len,
		.entry_num = *num,
	};
	int rc = ioctl_err(fd, IOASID_HWPT_INVALIDATE, &cmd);

	*num = cmd.entry_num;
	return rc;
}

/* Invalidate everything a nested HWPT of the mock VT-d or SMMUv3 cached. */
static inline int ioasid_nest_invalidate_all(int fd, __u32 hwpt_id,
					     bool smmuv3)
{
	struct ioasid_hwpt_vtd_s1_invalidate vtd = { .npages = ~0ULL };
	struct ioasid_hwpt_arm_smmuv3_invalidate cmd[2] = {
		{ .cmd = { IOASID_NEST_CMD_CFGI_CD_ALL, 0 } },
		{ .cmd = { IOASID_NEST_CMD_TLBI_NH_ALL, 0 } },
	};
	__u32 num = smmuv3 ? 2 : 1;

	if (smmuv3)
		return ioasid_nest_invalidate(fd, hwpt_id,
				IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3, cmd,
				sizeof(cmd[0]), &num);
	return ioasid_nest_invalidate(fd, hwpt_id,
				      IOASID_HWPT_INVALIDATE_DATA_VTD_S1, &vtd,
				      sizeof(vtd), &num);
}
/* end of nesting */

/* ---- Fault queues, and the test driver's page requests ----------------- */

/*
 * The indices of a mapped fault queue: each side reads the other's with an
 * acquire load and publishes its own with a release store.
 */
static inline __u32 ioasid_load_acquire(const __u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void ioasid_store_release(__u32 *p, __u32 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* IOASID_FAULT_QUEUE_ALLOC with @flags, @nr entries and eventfd @efd. */
static inline int ioasid_fault_queue_alloc(int fd, __u32 flags, __u32 nr,
					   int efd,
					   struct ioasid_fault_queue_alloc *out)
{
	*out = (struct ioasid_fault_queue_alloc) {
		.size = sizeof(*out),
		.flags = flags,
		.nr_entries = nr,
		.eventfd = efd,
	};
	return ioctl_err(fd, IOASID_FAULT_QUEUE_ALLOC, out);
}

/**
 * struct ioasid_fq - A fault queue, its file and its mapping
 * @ctx: The /dev/ioasid file it belongs to
 * @id: Its object id
 * @fd: Its file descriptor, -1 once closed
 * @nr: Entries of each ring
 * @map_len: Bytes mapped
 * @map: The mapping, or MAP_FAILED
 * @ring: The header page
 * @rec: The record ring
 * @resp: The response ring
 */
struct ioasid_fq {
	int ctx;
	__u32 id;
	int fd;
	__u32 nr;
	size_t map_len;
	void *map;
	struct ioasid_fault_ring *ring;
	struct ioasid_fault_record *rec;
	struct ioasid_fault_response *resp;
};

/* Allocate a fault queue and map it: 0 or an errno. */
static inline int ioasid_fq_open(int fd, __u32 flags, __u32 nr, int efd,
				 struct ioasid_fq *q)
{
	struct ioasid_fault_queue_alloc cmd;
	int rc;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->map = MAP_FAILED;
	rc = ioasid_fault_queue_alloc(fd, flags, nr, efd, &cmd);
	if (rc)
		return rc;
	q->ctx = fd;
	q->id = cmd.out_fault_id;
	q->fd = cmd.out_fault_fd;
	q->nr = nr;
	q->map_len = cmd.out_mmap_size;
	q->map = mmap(NULL, q->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      q->fd, 0);
	if (q->map == MAP_FAILED)
		return errno;
	q->ring = q->map;
	q->rec = (void *)((char *)q->map + cmd.out_records_offset);
	q->resp = (void *)((char *)q->map + cmd.out_responses_offset);
	return 0;
}

/* Unmap and close the queue's file (its object stays). */
static inline void ioasid_fq_close(struct ioasid_fq *q)
{
	if (q->map != MAP_FAILED)
		munmap(q->map, q->map_len);
	q->map = MAP_FAILED;
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

/* Records waiting in the ring. */
static inline __u32 ioasid_fq_pending(struct ioasid_fq *q)
{
	return ioasid_load_acquire(&q->ring->rec_tail) - q->ring->rec_head;
}

/* Take up to @max records from the ring into @out: how many. */
static inline unsigned int ioasid_fq_pop(struct ioasid_fq *q,
					 struct ioasid_fault_record *out,
					 unsigned int max)
{
	__u32 head = q->ring->rec_head;
	__u32 tail = ioasid_load_acquire(&q->ring->rec_tail);
	unsigned int n = 0;

	while (head != tail && n < max) {
		out[n++] = q->rec[head % q->nr];
		head++;
	}
	ioasid_store_release(&q->ring->rec_head, head);
	return n;
}

/* Put a response in the ring, unpublished: false if it is full. */
static inline bool ioasid_fq_push(struct ioasid_fq *q, __u32 *tail,
				  __u32 cookie, __u32 code)
{
	if (*tail - ioasid_load_acquire(&q->ring->resp_head) >= q->nr)
		return false;
	q->resp[*tail % q->nr] = (struct ioasid_fault_response) {
		.cookie = cookie,
		.code = code,
	};
	(*tail)++;
	return true;
}

/*
 * Publish the responses up to @tail and commit them with
 * IOASID_FAULT_QUEUE_RESPOND; *@done gets its out_done.
 */
static inline int ioasid_fq_commit(struct ioasid_fq *q, __u32 tail,
				   __u32 *done)
{
	struct ioasid_fault_queue_respond cmd = {
		.size = sizeof(cmd),
		.fault_id = q->id,
	};
	int rc;

	ioasid_store_release(&q->ring->resp_tail, tail);
	rc = ioctl_err(q->ctx, IOASID_FAULT_QUEUE_RESPOND, &cmd);
	if (done)
		*done = cmd.out_done;
	return rc;
}

/* One response through the ring and IOASID_FAULT_QUEUE_RESPOND. */
static inline int ioasid_fq_respond(struct ioasid_fq *q, __u32 cookie,
				    __u32 code)
{
	__u32 tail = q->ring->resp_tail;

	/* ENOSPC: the ring is full of uncommitted responses. */
	return ioasid_fq_push(q, &tail, cookie, code) ?
	       ioasid_fq_commit(q, tail, NULL) : ENOSPC;
}

/* read() of up to @max records: how many, or -errno. */
static inline int ioasid_fq_read(struct ioasid_fq *q,
				 struct ioasid_fault_record *out,
				 unsigned int max)
{
	ssize_t n = read(q->fd, out, max * sizeof(*out));

	if (n < 0)
		return -errno;
	if (n % sizeof(*out))
		return -EPROTO;
	return n / sizeof(*out);
}

/* write() of one response: 0 or the errno. */
static inline int ioasid_fq_write(struct ioasid_fq *q, __u32 cookie,
				  __u32 code)
{
	struct ioasid_fault_response resp = { .cookie = cookie, .code = code };
	ssize_t n = write(q->fd, &resp, sizeof(resp));

	if (n < 0)
		return errno;
	return n == sizeof(resp) ? 0 : EPROTO;
}

/* IOASID_HWPT_ALLOC of a paging HWPT of @ioas_id reporting to @fault_id. */
static inline int ioasid_hwpt_alloc_fault(int fd, __u32 dev_id, __u32 ioas_id,
					  __u32 fault_id, __u32 *hwpt_id)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.pt_id = ioas_id,
		.fault_id = fault_id,
	};
	int rc = ioctl_err(fd, IOASID_HWPT_ALLOC, &cmd);

	if (hwpt_id)
		*hwpt_id = rc ? 0 : cmd.out_hwpt_id;
	return rc;
}

/* IOASID_HWPT_ALLOC of a nested HWPT on @parent reporting to @fault_id. */
static inline int ioasid_nest_alloc_fault(int fd, __u32 dev_id, __u32 parent,
					  __u32 type, const void *data,
					  __u32 len, __u32 fault_id,
					  __u32 *hwpt_id)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.pt_id = parent,
		.data_type = type,
		.data_len = len,
		.fault_id = fault_id,
		.data_uptr = (uintptr_t)data,
	};
	int rc = ioctl_err(fd, IOASID_HWPT_ALLOC, &cmd);

	if (hwpt_id)
		*hwpt_id = rc ? 0 : cmd.out_hwpt_id;
	return rc;
}

/*
 * IOASID_TEST_IOPF_INJECT: @count page requests of mock @mock_id from
 * @addr on, in groups of @group_size, tagged with @pasid unless it is 0.
 * @out (optional) gets the outputs.
 */
static inline int ioasid_iopf_inject(int fd, __u32 mock_id, __u32 pasid,
				     __u64 addr, __u32 count,
				     __u32 group_size, __u32 perm,
				     struct ioasid_test_iopf_inject *out)
{
	struct ioasid_test_iopf_inject cmd = {
		.size = sizeof(cmd),
		.flags = pasid ? IOASID_TEST_IOPF_PASID : 0,
		.dev_id = mock_id,
		.pasid = pasid,
		.addr = addr,
		.count = count,
		.group_size = group_size,
		.perm = perm,
	};
	int rc = ioctl_err(fd, IOASID_TEST_IOPF_INJECT, &cmd);

	if (out)
		*out = cmd;
	return rc;
}

/* IOASID_TEST_IOPF_STATS of mock @mock_id. */
static inline int ioasid_iopf_stats(int fd, __u32 mock_id,
				    struct ioasid_test_iopf_stats *st)
{
	*st = (struct ioasid_test_iopf_stats) {
		.size = sizeof(*st),
		.dev_id = mock_id,
	};
	return ioctl_err(fd, IOASID_TEST_IOPF_STATS, st);
}

/* end of fault queues */

#endif /* __SELFTESTS_IOASID_UTIL_H */
