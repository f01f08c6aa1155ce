// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid structure-aware ioctl fuzzer.
 *
 * Every ioctl of <linux/ioasid.h> and of the test uAPI is called with
 * structs built field by field: sizes (0, short, the first layout, exact,
 * longer with a zero or a non-zero tail, huge), flags, reserved fields, ids
 * (of the right kind, of another kind, 0, huge, recently destroyed), user
 * addresses (valid buffers, unmapped, kernel), lengths, IOVAs and
 * alignments (0, tiny, huge, unaligned, wrapping), PASIDs (0, within and
 * beyond a device's width, global ones held here), interleaved with valid
 * calls that build state: IOASes and their mappings, mock devices bound and
 * attached by RID and PASID, HWPTs, mock domains attached to IOASes,
 * accesses and their pins, PASID policies, global and kernel PASIDs, and
 * nesting: mock VT-d and SMMUv3 devices, nesting parents, nested HWPTs
 * (whose stage-1 tables are whatever the fuzzer's buffer holds) attached
 * by RID and PASID, their invalidations and DMA through them.
 *
 * Pass: no kernel splat, every errno is one the documentation lists for
 * that ioctl (the table below), and nothing is left pinned once the files
 * are closed.  Each round (IOASID_FUZZ_ROUND_SECONDS, default 5) uses fresh
 * files; the run lasts IOASID_FUZZ_SECONDS (default 30) with
 * IOASID_FUZZ_THREADS threads (default 3).  The seed is printed and
 * replayed with IOASID_FUZZ_SEED: with one thread the calls replay exactly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ioasid.h>

#include "../kselftest_harness.h"
#include "ioasid_util.h"
#include "ioasid_vdpa.h"
#include "../../../../drivers/iommu/ioasid/ioasid_test.h"

#ifndef offsetofend
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#endif

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL

#define MAX_THREADS	8
#define FUZZ_TIMEOUT	600
#define MAX_SECONDS	(FUZZ_TIMEOUT - 120)
#define MAX_REPORTS	40

/* The memory the fuzzer hands the kernel. */
#define DBUF_LEN	(4 * 1024 * 1024ULL)	/* backs IOAS_MAP */
#define MEMFD_LEN	(4 * 1024 * 1024ULL)	/* backs IOAS_MAP_FILE */
#define ARG_LEN		0x10000ULL		/* per thread, for the struct */
#define OUT_LEN		0x10000ULL		/* per thread, for user buffers */

/* ---- Errnos the documentation allows ------------------------------------ */

/*
 * For every ioctl (Documentation/userspace-api/ioasid.rst, "Sizes and
 * errors", and the header of <linux/ioasid.h>).
 */
static const int errs_common[] = {
	EINVAL, E2BIG, EOPNOTSUPP, ENOTTY, EFAULT, ENOENT, EBUSY, ENOMEM, 0
};

/* Each ioctl's own, from the kernel-doc of its struct and the .rst. */
static const int errs_none[] = { 0 };
/* EPERM: an object only the kernel removes (a bound device, an access). */
static const int errs_destroy[] = { EPERM, 0 };
static const int errs_map[] = { EOVERFLOW, EADDRINUSE, EEXIST, ENOSPC, 0 };
static const int errs_unmap[] = { EOVERFLOW, 0 };
static const int errs_iova_ranges[] = { EMSGSIZE, 0 };
static const int errs_copy[] = { EOVERFLOW, EADDRINUSE, EEXIST, ENOSPC,
				 EPERM, 0 };
static const int errs_option[] = { EPERM, 0 };
static const int errs_map_file[] = { EOVERFLOW, EADDRINUSE, EEXIST, ENOSPC,
				     EBADF, EPERM, 0 };
static const int errs_allow_iovas[] = { EADDRINUSE, 0 };
static const int errs_reserve[] = { ENOSPC, EADDRINUSE, 0 };
static const int errs_hwpt_alloc[] = { EADDRINUSE, 0 };
static const int errs_mock_dev_add[] = { ENODEV, 0 };
/* ENODEV: a mock device without an IOMMU. */
static const int errs_mock_domain_alloc[] = { ENODEV, 0 };
static const int errs_domain_map[] = { EOVERFLOW, ERANGE, EEXIST, 0 };
static const int errs_domain_unmap[] = { EOVERFLOW, 0 };
static const int errs_ctx_from_fd[] = { EBADF, EBADFD, 0 };
static const int errs_ioas_attach[] = { EADDRINUSE, 0 };
static const int errs_access_pin[] = { EOVERFLOW, EPERM, 0 };
/* "those of ioasid_device_bind()": its kernel-doc in device.c. */
static const int errs_device_bind[] = { EBADF, EBADFD, ENODEV, EPERM, 0 };
/*
 * "those of ioasid_device_attach(), ioasid_device_replace(),
 * ioasid_device_pasid_attach() and ioasid_device_pasid_replace()": EPERM
 * where the owner's policy does not permit a PASID attachment.
 */
static const int errs_device_attach[] = { EADDRINUSE, EPERM, 0 };
/* ENODEV: a device without PASID; ENOSPC: the quota or the width. */
static const int errs_pasid_alloc[] = { ENODEV, ENOSPC, 0 };
/*
 * ENXIO: no translation; EACCES: the IOPTE does not permit it; with page
 * requests EAGAIN (one left pending) and ETIMEDOUT (no answer in time).
 */
static const int errs_mock_dma[] = { ENXIO, EACCES, EAGAIN, ETIMEDOUT, 0 };
/*
 * EIO: the DMA missed the buffer; "those of ioasid_kernel_pasid_alloc()":
 * ENODEV without PASID, ENOSPC when the pool is exhausted.
 */
static const int errs_kernel_pasid[] = { EIO, ENODEV, ENOSPC, 0 };
/*
 * ENOENT, EOPNOTSUPP, EINVAL, E2BIG and EFAULT, all common ones; EINTR
 * only on a fatal signal, which the fuzzer never gets.
 */
static const int errs_hwpt_invalidate[] = { 0 };
/* EBADF: @eventfd is not an open file; EMFILE: no descriptor left. */
static const int errs_fault_alloc[] = { EBADF, EMFILE, 0 };
/* ESRCH: a cookie that names no group waiting for an answer. */
static const int errs_fault_respond[] = { ESRCH, 0 };
/* ETIMEDOUT: not every group answered in time; EINTR never here. */
static const int errs_iopf_inject[] = { ETIMEDOUT, 0 };
/*
 * The fault queue's file: read() EAGAIN (non-blocking and empty), EINVAL
 * (shorter than a record, or a bad head); write() EINVAL (not whole
 * responses, a bad code, a bad tail) and ESRCH; mmap() EINVAL (an offset,
 * too long, or private).  EFAULT for all of them.
 */
static const int errs_fault_read[] = { EAGAIN, EINVAL, EFAULT, 0 };
static const int errs_fault_write[] = { EINVAL, ESRCH, EFAULT, 0 };
static const int errs_fault_mmap[] = { EINVAL, 0 };
/*
 * The vhost-vdpa ioctls (<linux/vhost_ioasid.h>): EBADF and EBADFD for a
 * descriptor that is not /dev/ioasid; EPERM for the ASID vhost-vdpa keeps;
 * ENOSPC when the device's own table cannot hold the IOAS's mappings;
 * EADDRINUSE when the IOAS maps a reserved region of a parent behind a
 * platform IOMMU.
 */
static const int errs_vdpa_bind[] = { EBADF, EBADFD, 0 };
static const int errs_vdpa_attach[] = { EPERM, ENOSPC, EADDRINUSE, 0 };
static const int errs_vdpa_detach[] = { EPERM, 0 };

/* ---- The ioctls, field by field ----------------------------------------- */

enum fz_kind {
	K_NONE,
	K_IOAS,
	K_HWPT,
	K_DEVICE,	/* a bound device */
	K_MOCK,
	K_DOMAIN,
	K_ACCESS,
	K_PARENT,	/* a nesting-parent HWPT */
	K_NESTED,	/* a nested HWPT */
	K_FAULT,	/* a fault queue */
	K_PIN,
	K_ANY,
	K_PT,		/* an IOAS or a HWPT of any kind */
	K_MAX,
};

enum fz_field {
	F_END,
	F_FLAGS,	/* mask: the known flags */
	F_RSVD,
	F_ID,		/* kind: the expected kind */
	F_OUT,		/* kind: the kind of the id returned, or K_NONE */
	F_UVA,		/* user memory to map */
	F_LEN,		/* a length of IOVA or of memory */
	F_DLEN,		/* TEST_DOMAIN_MAP's length, bounded (see below) */
	F_PLEN,		/* a length of an access pin or copy */
	F_IOVA,
	F_ALIGN,
	F_FD,
	F_BIND_FD,
	F_OUTPTR,	/* a user buffer the kernel writes */
	F_INPTR,	/* a user array of ranges the kernel reads */
	F_NUM,		/* a number of entries or of bytes */
	F_PADDR,
	F_PROT,
	F_OPTION,
	F_VAL,
	F_FOFF,		/* an offset in a file */
	F_PASID,	/* a PASID, 0 for the RID */
	F_CONFIGS,	/* a bitmap of enum ioasid_pasid_config */
	F_KOP,		/* an enum ioasid_test_kernel_pasid_op */
	F_DMALEN,	/* a length of mock DMA */
	F_BITS,		/* a PASID width */
	F_DTYPE,	/* an enum ioasid_hwpt_data_type */
	F_NDATA,	/* a nested HWPT's stage 1, in the out buffer */
	F_NDLEN,	/* its length */
	F_ITYPE,	/* an enum ioasid_hwpt_invalidate_data_type */
	F_IDATA,	/* an array of invalidation entries */
	F_ELEN,		/* the length of one entry */
	F_ENUM,		/* a number of entries */
	F_NENT,		/* entries of a fault queue */
	F_EFD,		/* an eventfd, or another file descriptor */
	F_ICOUNT,	/* requests of IOPF_INJECT */
	F_PERM,		/* a bitmap of enum ioasid_fault_perm */
	F_TMO,		/* a timeout in ms, never a long one */
	F_CTX_FD,	/* mostly the context under test, else any fd */
	F_ASID,		/* a vDPA address space: mostly 0 or 1 */
};

struct fz_fieldspec {
	unsigned short off;
	unsigned char width;
	unsigned char type;
	unsigned char kind;
	__u64 mask;
};

struct fz_op {
	const char *name;
	unsigned long cmd;
	unsigned int size;
	/* The first published layout: what the dispatcher accepts. */
	unsigned int min_size;
	const int *errs;
	/* Issued on the vhost-vdpa file, not on /dev/ioasid. */
	bool vhost;
	struct fz_fieldspec f[20];
};

#define FLD(_s, _m, _t, _k, _mask)                                      \
	{ .off = offsetof(_s, _m), .width = sizeof(((_s *)0)->_m),      \
	  .type = _t, .kind = _k, .mask = _mask }

/*
 * The one minimum-size rule of <linux/ioasid.h>: the whole struct as first
 * published.  @_last only documents where the struct ends.
 */
#define OP(_name, _s, _last, _errs, ...)                                \
	{ .name = #_name, .cmd = IOASID_##_name, .size = sizeof(_s),     \
	  .min_size = sizeof(_s), .errs = _errs,                         \
	  .f = { __VA_ARGS__ } }
/* An ioctl of vhost-vdpa's, on its file. */
#define VOP(_name, _s, _last, _errs, ...)                               \
	{ .name = #_name, .cmd = VHOST_VDPA_##_name, .size = sizeof(_s), \
	  .min_size = sizeof(_s), .errs = _errs, .vhost = true,          \
	  .f = { __VA_ARGS__ } }
/* A struct that grew: its first layout ended with @_first_last. */
#define OP_GREW(_name, _s, _first_last, _errs, ...)                     \
	{ .name = #_name, .cmd = IOASID_##_name, .size = sizeof(_s),     \
	  .min_size = offsetofend(_s, _first_last), .errs = _errs,       \
	  .f = { __VA_ARGS__ } }

#define MAP_FLAGS (IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ | \
		   IOASID_IOAS_MAP_WRITE)
#define MOCK_FLAGS (IOASID_TEST_MOCK_DEV_OTHER_IOMMU | \
		    IOASID_TEST_MOCK_DEV_GROUP | IOASID_TEST_MOCK_DEV_PASID | \
		    IOASID_TEST_MOCK_DEV_SW_MSI | \
		    IOASID_TEST_MOCK_DEV_NO_ENFORCE_CC | \
		    IOASID_TEST_MOCK_DEV_NO_IOMMU | \
		    IOASID_TEST_MOCK_DEV_PASID_BITS | IOASID_TEST_MOCK_DEV_PRI | \
		    IOASID_TEST_MOCK_DEV_KERNEL_DMA | \
		    IOASID_TEST_MOCK_DEV_VTD | IOASID_TEST_MOCK_DEV_SMMUV3)
#define ATTACH_FLAGS (IOASID_TEST_DEVICE_ATTACH_REPLACE | \
		      IOASID_TEST_DEVICE_ATTACH_PASID)
#define DMA_FLAGS (IOASID_TEST_MOCK_DMA_WRITE | IOASID_TEST_MOCK_DMA_PASID | \
		   IOASID_TEST_MOCK_DMA_EXEC | IOASID_TEST_MOCK_DMA_PRIV | \
		   IOASID_TEST_MOCK_DMA_FAULT_WAIT | \
		   IOASID_TEST_MOCK_DMA_FAULT_NOWAIT)
#define IOPF_FLAGS (IOASID_TEST_IOPF_PASID | IOASID_TEST_IOPF_WAIT)

/* The last command of the API: the hole after it up to 0x3f is unused. */
#define LAST_API_CMD IOASID_CMD_FAULT_QUEUE_RESPOND
/* The last command of the test driver: the hole after it up to 0x63. */
#define LAST_TEST_CMD IOASID_CMD_TEST_IOPF_STATS

enum {
	OP_DESTROY, OP_GET_INFO, OP_IOAS_ALLOC, OP_IOAS_MAP, OP_IOAS_UNMAP,
	OP_IOVA_RANGES, OP_IOAS_COPY, OP_OPTION, OP_MAP_FILE,
	OP_ALLOW_IOVAS, OP_RESERVE, OP_HWPT_ALLOC, OP_HW_INFO,
	OP_MOCK_DEV_ADD, OP_MOCK_DOMAIN_ALLOC, OP_DOMAIN_MAP,
	OP_DOMAIN_UNMAP, OP_IOPTE_GET, OP_DOMAIN_INFO, OP_CTX_FROM_FD,
	OP_IOAS_ATTACH, OP_IOAS_DETACH, OP_ACCESS_CREATE, OP_ACCESS_PIN,
	OP_ACCESS_UNPIN, OP_ACCESS_RW, OP_ACCESS_INFO, OP_DEVICE_BIND,
	OP_DEVICE_UNBIND, OP_DEVICE_ATTACH, OP_DEVICE_DETACH,
	OP_DEVICE_DOMAIN, OP_ACCESS_REPLACE, OP_PASID_INFO, OP_PASID_ALLOC,
	OP_PASID_FREE, OP_ALLOW_PASID, OP_MOCK_DMA, OP_KERNEL_PASID,
	OP_HWPT_INVALIDATE, OP_FAULT_QUEUE_ALLOC, OP_FAULT_QUEUE_RESPOND,
	OP_IOPF_INJECT, OP_IOPF_STATS, OP_VDPA_BIND, OP_VDPA_UNBIND,
	OP_VDPA_ATTACH, OP_VDPA_DETACH, NR_OPS
};

static const struct fz_op fz_ops[NR_OPS] = {
	[OP_DESTROY] = OP(DESTROY, struct ioasid_destroy, __reserved,
			  errs_destroy,
		FLD(struct ioasid_destroy, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_destroy, id, F_ID, K_ANY, 0),
		FLD(struct ioasid_destroy, __reserved, F_RSVD, 0, 0)),
	[OP_GET_INFO] = OP(GET_INFO, struct ioasid_info, features, errs_none,
		FLD(struct ioasid_info, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_info, api_version, F_OUT, K_NONE, 0),
		FLD(struct ioasid_info, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_info, features, F_OUT, K_NONE, 0)),
	[OP_IOAS_ALLOC] = OP(IOAS_ALLOC, struct ioasid_ioas_alloc, __reserved,
			     errs_none,
		FLD(struct ioasid_ioas_alloc, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_ioas_alloc, out_ioas_id, F_OUT, K_IOAS, 0),
		FLD(struct ioasid_ioas_alloc, __reserved, F_RSVD, 0, 0)),
	[OP_IOAS_MAP] = OP(IOAS_MAP, struct ioasid_ioas_map, iova_alignment,
			   errs_map,
		FLD(struct ioasid_ioas_map, flags, F_FLAGS, 0, MAP_FLAGS),
		FLD(struct ioasid_ioas_map, ioas_id, F_ID, K_IOAS, 0),
		FLD(struct ioasid_ioas_map, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_ioas_map, user_va, F_UVA, 0, 0),
		FLD(struct ioasid_ioas_map, length, F_LEN, 0, 0),
		FLD(struct ioasid_ioas_map, iova, F_IOVA, 0, 0),
		FLD(struct ioasid_ioas_map, iova_alignment, F_ALIGN, 0, 0)),
	[OP_IOAS_UNMAP] = OP(IOAS_UNMAP, struct ioasid_ioas_unmap, out_unmapped,
			     errs_unmap,
		FLD(struct ioasid_ioas_unmap, flags, F_FLAGS, 0,
		    IOASID_IOAS_UNMAP_ALL),
		FLD(struct ioasid_ioas_unmap, ioas_id, F_ID, K_IOAS, 0),
		FLD(struct ioasid_ioas_unmap, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_ioas_unmap, iova, F_IOVA, 0, 0),
		FLD(struct ioasid_ioas_unmap, length, F_LEN, 0, 0),
		FLD(struct ioasid_ioas_unmap, out_unmapped, F_OUT, K_NONE, 0)),
	[OP_IOVA_RANGES] = OP(IOAS_IOVA_RANGES, struct ioasid_ioas_iova_ranges,
			      out_iova_alignment, errs_iova_ranges,
		FLD(struct ioasid_ioas_iova_ranges, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_ioas_iova_ranges, ioas_id, F_ID, K_IOAS, 0),
		FLD(struct ioasid_ioas_iova_ranges, num_ranges, F_NUM, 0, 0),
		FLD(struct ioasid_ioas_iova_ranges, ranges, F_OUTPTR, 0, 0),
		FLD(struct ioasid_ioas_iova_ranges, out_iova_alignment, F_OUT,
		    K_NONE, 0)),
	[OP_IOAS_COPY] = OP(IOAS_COPY, struct ioasid_ioas_copy, iova_alignment,
			    errs_copy,
		FLD(struct ioasid_ioas_copy, flags, F_FLAGS, 0, MAP_FLAGS),
		FLD(struct ioasid_ioas_copy, dst_ioas_id, F_ID, K_IOAS, 0),
		FLD(struct ioasid_ioas_copy, src_ioas_id, F_ID, K_IOAS, 0),
		FLD(struct ioasid_ioas_copy, src_iova, F_IOVA, 0, 0),
		FLD(struct ioasid_ioas_copy, length, F_LEN, 0, 0),
		FLD(struct ioasid_ioas_copy, dst_iova, F_IOVA, 0, 0),
		FLD(struct ioasid_ioas_copy, iova_alignment, F_ALIGN, 0, 0)),
	[OP_OPTION] = OP(OPTION, struct ioasid_option, val64, errs_option,
		FLD(struct ioasid_option, flags, F_FLAGS, 0, IOASID_OPTION_SET),
		FLD(struct ioasid_option, option_id, F_OPTION, 0, 0),
		FLD(struct ioasid_option, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_option, val64, F_VAL, 0, 0)),
	[OP_MAP_FILE] = OP(IOAS_MAP_FILE, struct ioasid_ioas_map_file,
			   iova_alignment, errs_map_file,
		FLD(struct ioasid_ioas_map_file, flags, F_FLAGS, 0, MAP_FLAGS),
		FLD(struct ioasid_ioas_map_file, ioas_id, F_ID, K_IOAS, 0),
		FLD(struct ioasid_ioas_map_file, fd, F_FD, 0, 0),
		FLD(struct ioasid_ioas_map_file, start, F_FOFF, 0, 0),
		FLD(struct ioasid_ioas_map_file, length, F_LEN, 0, 0),
		FLD(struct ioasid_ioas_map_file, iova, F_IOVA, 0, 0),
		FLD(struct ioasid_ioas_map_file, iova_alignment, F_ALIGN, 0, 0)),
	[OP_ALLOW_IOVAS] = OP(IOAS_ALLOW_IOVAS, struct ioasid_ioas_allow_iovas,
			      allowed_iovas, errs_allow_iovas,
		FLD(struct ioasid_ioas_allow_iovas, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_ioas_allow_iovas, ioas_id, F_ID, K_IOAS, 0),
		FLD(struct ioasid_ioas_allow_iovas, num_iovas, F_NUM, 0, 0),
		FLD(struct ioasid_ioas_allow_iovas, allowed_iovas, F_INPTR, 0,
		    0)),
	[OP_RESERVE] = OP(IOAS_RESERVE, struct ioasid_ioas_reserve, out_iova,
			  errs_reserve,
		FLD(struct ioasid_ioas_reserve, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_ioas_reserve, ioas_id, F_ID, K_IOAS, 0),
		FLD(struct ioasid_ioas_reserve, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_ioas_reserve, length, F_LEN, 0, 0),
		FLD(struct ioasid_ioas_reserve, iova_alignment, F_ALIGN, 0, 0),
		FLD(struct ioasid_ioas_reserve, out_iova, F_OUT, K_NONE, 0)),
	/* The first layout ended where data_len begins: 24 bytes. */
	[OP_HWPT_ALLOC] = OP_GREW(HWPT_ALLOC, struct ioasid_hwpt_alloc,
				  data_type, errs_hwpt_alloc,
		FLD(struct ioasid_hwpt_alloc, flags, F_FLAGS, 0,
		    IOASID_HWPT_ALLOC_NEST_PARENT),
		FLD(struct ioasid_hwpt_alloc, dev_id, F_ID, K_DEVICE, 0),
		/* An IOAS (paging), or a nesting parent (nested). */
		FLD(struct ioasid_hwpt_alloc, pt_id, F_ID, K_PT, 0),
		FLD(struct ioasid_hwpt_alloc, out_hwpt_id, F_OUT, K_HWPT, 0),
		FLD(struct ioasid_hwpt_alloc, data_type, F_DTYPE, 0, 0),
		FLD(struct ioasid_hwpt_alloc, data_len, F_NDLEN, 0, 0),
		FLD(struct ioasid_hwpt_alloc, fault_id, F_ID, K_FAULT, 0),
		FLD(struct ioasid_hwpt_alloc, data_uptr, F_NDATA, 0, 0)),
	[OP_HW_INFO] = OP(DEVICE_GET_HW_INFO, struct ioasid_device_get_hw_info,
			  __reserved, errs_none,
		FLD(struct ioasid_device_get_hw_info, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_device_get_hw_info, dev_id, F_ID, K_DEVICE, 0),
		FLD(struct ioasid_device_get_hw_info, data_len, F_NUM, 0, 0),
		FLD(struct ioasid_device_get_hw_info, data_uptr, F_OUTPTR, 0, 0),
		FLD(struct ioasid_device_get_hw_info, out_data_type, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_device_get_hw_info, out_max_pasid_log2, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_device_get_hw_info, __reserved, F_RSVD, 0, 0)),
	[OP_MOCK_DEV_ADD] = OP_GREW(TEST_MOCK_DEV_ADD,
				    struct ioasid_test_mock_dev_add, __reserved,
				    errs_mock_dev_add,
		FLD(struct ioasid_test_mock_dev_add, flags, F_FLAGS, 0,
		    MOCK_FLAGS),
		FLD(struct ioasid_test_mock_dev_add, out_dev_id, F_OUT, K_MOCK,
		    0),
		FLD(struct ioasid_test_mock_dev_add, out_index, F_OUT, K_NONE, 0),
		FLD(struct ioasid_test_mock_dev_add, group_dev_id, F_ID, K_MOCK,
		    0),
		FLD(struct ioasid_test_mock_dev_add, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_test_mock_dev_add, pasid_bits, F_BITS, 0, 0),
		FLD(struct ioasid_test_mock_dev_add, __reserved2, F_RSVD, 0,
		    0)),
	[OP_MOCK_DOMAIN_ALLOC] = OP(TEST_MOCK_DOMAIN_ALLOC,
				    struct ioasid_test_mock_domain_alloc,
				    out_domain_id, errs_mock_domain_alloc,
		FLD(struct ioasid_test_mock_domain_alloc, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_mock_domain_alloc, dev_id, F_ID, K_MOCK,
		    0),
		FLD(struct ioasid_test_mock_domain_alloc, out_domain_id, F_OUT,
		    K_DOMAIN, 0)),
	[OP_DOMAIN_MAP] = OP(TEST_DOMAIN_MAP, struct ioasid_test_domain_map,
			     length, errs_domain_map,
		FLD(struct ioasid_test_domain_map, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_domain_map, domain_id, F_ID, K_DOMAIN, 0),
		FLD(struct ioasid_test_domain_map, prot, F_PROT, 0, 0),
		FLD(struct ioasid_test_domain_map, iova, F_IOVA, 0, 0),
		FLD(struct ioasid_test_domain_map, paddr, F_PADDR, 0, 0),
		FLD(struct ioasid_test_domain_map, length, F_DLEN, 0, 0)),
	[OP_DOMAIN_UNMAP] = OP(TEST_DOMAIN_UNMAP,
			       struct ioasid_test_domain_unmap, out_unmapped,
			       errs_domain_unmap,
		FLD(struct ioasid_test_domain_unmap, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_domain_unmap, domain_id, F_ID, K_DOMAIN,
		    0),
		FLD(struct ioasid_test_domain_unmap, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_test_domain_unmap, iova, F_IOVA, 0, 0),
		FLD(struct ioasid_test_domain_unmap, length, F_LEN, 0, 0),
		FLD(struct ioasid_test_domain_unmap, out_unmapped, F_OUT, K_NONE,
		    0)),
	[OP_IOPTE_GET] = OP(TEST_IOPTE_GET, struct ioasid_test_iopte_get,
			    out_phys, errs_none,
		FLD(struct ioasid_test_iopte_get, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_iopte_get, domain_id, F_ID, K_DOMAIN, 0),
		FLD(struct ioasid_test_iopte_get, out_prot, F_OUT, K_NONE, 0),
		FLD(struct ioasid_test_iopte_get, iova, F_IOVA, 0, 0),
		FLD(struct ioasid_test_iopte_get, out_iova, F_OUT, K_NONE, 0),
		FLD(struct ioasid_test_iopte_get, out_paddr, F_OUT, K_NONE, 0),
		FLD(struct ioasid_test_iopte_get, out_page_size, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_iopte_get, out_phys, F_OUT, K_NONE, 0)),
	[OP_DOMAIN_INFO] = OP(TEST_DOMAIN_INFO, struct ioasid_test_domain_info,
			      out_aperture_last, errs_none,
		FLD(struct ioasid_test_domain_info, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_domain_info, domain_id, F_ID, K_DOMAIN,
		    0),
		FLD(struct ioasid_test_domain_info, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_test_domain_info, out_nr_ioptes, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_domain_info, out_aperture_last, F_OUT,
		    K_NONE, 0)),
	[OP_CTX_FROM_FD] = OP(TEST_CTX_FROM_FD, struct ioasid_test_ctx_from_fd,
			      out_same, errs_ctx_from_fd,
		FLD(struct ioasid_test_ctx_from_fd, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_ctx_from_fd, fd, F_FD, 0, 0),
		FLD(struct ioasid_test_ctx_from_fd, out_same, F_OUT, K_NONE, 0)),
	[OP_IOAS_ATTACH] = OP(TEST_IOAS_ATTACH, struct ioasid_test_ioas_attach,
			      ioas_id, errs_ioas_attach,
		FLD(struct ioasid_test_ioas_attach, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_ioas_attach, domain_id, F_ID, K_DOMAIN, 0),
		FLD(struct ioasid_test_ioas_attach, ioas_id, F_ID, K_IOAS, 0)),
	[OP_IOAS_DETACH] = OP(TEST_IOAS_DETACH, struct ioasid_test_ioas_detach,
			      __reserved, errs_none,
		FLD(struct ioasid_test_ioas_detach, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_ioas_detach, domain_id, F_ID, K_DOMAIN, 0),
		FLD(struct ioasid_test_ioas_detach, __reserved, F_RSVD, 0, 0)),
	[OP_ACCESS_CREATE] = OP(TEST_ACCESS_CREATE,
				struct ioasid_test_access_create,
				out_access_id, errs_none,
		FLD(struct ioasid_test_access_create, flags, F_FLAGS, 0,
		    IOASID_TEST_ACCESS_KEEP_PINS | IOASID_TEST_ACCESS_MIRROR),
		FLD(struct ioasid_test_access_create, ioas_id, F_ID, K_IOAS, 0),
		FLD(struct ioasid_test_access_create, out_access_id, F_OUT,
		    K_ACCESS, 0)),
	[OP_ACCESS_PIN] = OP(TEST_ACCESS_PIN, struct ioasid_test_access_pin,
			     data, errs_access_pin,
		FLD(struct ioasid_test_access_pin, flags, F_FLAGS, 0,
		    IOASID_TEST_ACCESS_RW_WRITE),
		FLD(struct ioasid_test_access_pin, access_id, F_ID, K_ACCESS, 0),
		FLD(struct ioasid_test_access_pin, out_pin_id, F_OUT, K_PIN, 0),
		FLD(struct ioasid_test_access_pin, iova, F_IOVA, 0, 0),
		FLD(struct ioasid_test_access_pin, length, F_PLEN, 0, 0),
		FLD(struct ioasid_test_access_pin, data, F_OUTPTR, 0, 0)),
	[OP_ACCESS_UNPIN] = OP(TEST_ACCESS_UNPIN,
			       struct ioasid_test_access_unpin, pin_id,
			       errs_none,
		FLD(struct ioasid_test_access_unpin, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_access_unpin, access_id, F_ID, K_ACCESS,
		    0),
		FLD(struct ioasid_test_access_unpin, pin_id, F_ID, K_PIN, 0)),
	[OP_ACCESS_RW] = OP(TEST_ACCESS_RW, struct ioasid_test_access_rw, data,
			    errs_access_pin,
		FLD(struct ioasid_test_access_rw, flags, F_FLAGS, 0,
		    IOASID_TEST_ACCESS_RW_WRITE),
		FLD(struct ioasid_test_access_rw, access_id, F_ID, K_ACCESS, 0),
		FLD(struct ioasid_test_access_rw, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_test_access_rw, iova, F_IOVA, 0, 0),
		FLD(struct ioasid_test_access_rw, length, F_PLEN, 0, 0),
		FLD(struct ioasid_test_access_rw, data, F_OUTPTR, 0, 0)),
	[OP_ACCESS_INFO] = OP(TEST_ACCESS_INFO, struct ioasid_test_access_info,
			      out_unmap_calls, errs_none,
		FLD(struct ioasid_test_access_info, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_access_info, access_id, F_ID, K_ACCESS, 0),
		FLD(struct ioasid_test_access_info, out_nr_pins, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_access_info, out_unmap_calls, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_test_access_info, out_kernel_id, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_test_access_info, out_ioas_id, F_OUT, K_NONE,
		    0)),
	[OP_DEVICE_BIND] = OP(TEST_DEVICE_BIND, struct ioasid_test_device_bind,
			      out_device_id, errs_device_bind,
		FLD(struct ioasid_test_device_bind, flags, F_FLAGS, 0,
		    IOASID_TEST_DEVICE_BIND_FD),
		FLD(struct ioasid_test_device_bind, dev_id, F_ID, K_MOCK, 0),
		FLD(struct ioasid_test_device_bind, out_device_id, F_OUT,
		    K_DEVICE, 0),
		FLD(struct ioasid_test_device_bind, ioasid_fd, F_BIND_FD, 0, 0),
		FLD(struct ioasid_test_device_bind, __reserved, F_RSVD, 0, 0)),
	[OP_DEVICE_UNBIND] = OP(TEST_DEVICE_UNBIND,
				struct ioasid_test_device_unbind, __reserved,
				errs_none,
		FLD(struct ioasid_test_device_unbind, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_device_unbind, dev_id, F_ID, K_MOCK, 0),
		FLD(struct ioasid_test_device_unbind, __reserved, F_RSVD, 0, 0)),
	[OP_DEVICE_ATTACH] = OP_GREW(TEST_DEVICE_ATTACH,
				     struct ioasid_test_device_attach, pt_id,
				     errs_device_attach,
		FLD(struct ioasid_test_device_attach, flags, F_FLAGS, 0,
		    ATTACH_FLAGS),
		FLD(struct ioasid_test_device_attach, dev_id, F_ID, K_MOCK, 0),
		FLD(struct ioasid_test_device_attach, pt_id, F_ID, K_PT, 0),
		FLD(struct ioasid_test_device_attach, pasid, F_PASID, 0, 0),
		FLD(struct ioasid_test_device_attach, __reserved, F_RSVD, 0, 0)),
	[OP_DEVICE_DETACH] = OP_GREW(TEST_DEVICE_DETACH,
				     struct ioasid_test_device_detach,
				     __reserved, errs_none,
		FLD(struct ioasid_test_device_detach, flags, F_FLAGS, 0,
		    IOASID_TEST_DEVICE_DETACH_PASID),
		FLD(struct ioasid_test_device_detach, dev_id, F_ID, K_MOCK, 0),
		FLD(struct ioasid_test_device_detach, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_test_device_detach, pasid, F_PASID, 0, 0),
		FLD(struct ioasid_test_device_detach, __reserved2, F_RSVD, 0,
		    0)),
	[OP_DEVICE_DOMAIN] = OP_GREW(TEST_DEVICE_DOMAIN,
				     struct ioasid_test_device_domain,
				     __reserved2, errs_none,
		FLD(struct ioasid_test_device_domain, flags, F_FLAGS, 0,
		    IOASID_TEST_DEVICE_DOMAIN_PASID),
		FLD(struct ioasid_test_device_domain, dev_id, F_ID, K_MOCK, 0),
		FLD(struct ioasid_test_device_domain, __reserved, F_RSVD, 0, 0),
		FLD(struct ioasid_test_device_domain, out_serial, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_device_domain, out_flags, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_device_domain, __reserved2, F_RSVD, 0, 0),
		FLD(struct ioasid_test_device_domain, pasid, F_PASID, 0, 0),
		FLD(struct ioasid_test_device_domain, __reserved3, F_RSVD, 0,
		    0)),
	[OP_ACCESS_REPLACE] = OP(TEST_ACCESS_REPLACE,
				 struct ioasid_test_access_replace, ioas_id,
				 errs_none,
		FLD(struct ioasid_test_access_replace, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_access_replace, access_id, F_ID,
		    K_ACCESS, 0),
		FLD(struct ioasid_test_access_replace, ioas_id, F_ID, K_IOAS,
		    0)),
	[OP_PASID_INFO] = OP(DEVICE_GET_PASID_INFO,
			     struct ioasid_device_get_pasid_info, __reserved,
			     errs_none,
		FLD(struct ioasid_device_get_pasid_info, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_device_get_pasid_info, dev_id, F_ID, K_DEVICE,
		    0),
		FLD(struct ioasid_device_get_pasid_info, pasid, F_PASID, 0, 0),
		FLD(struct ioasid_device_get_pasid_info, out_flags, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_device_get_pasid_info, out_allowed, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_device_get_pasid_info, out_pt_kind, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_device_get_pasid_info, out_pt_id, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_device_get_pasid_info, out_dev_caps, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_device_get_pasid_info, out_pasid_bits, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_device_get_pasid_info, __reserved, F_RSVD, 0,
		    0)),
	[OP_PASID_ALLOC] = OP(PASID_ALLOC, struct ioasid_pasid_alloc,
			      out_pasid, errs_pasid_alloc,
		FLD(struct ioasid_pasid_alloc, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_pasid_alloc, dev_id, F_ID, K_DEVICE, 0),
		FLD(struct ioasid_pasid_alloc, out_pasid, F_OUT, K_NONE, 0)),
	[OP_PASID_FREE] = OP(PASID_FREE, struct ioasid_pasid_free, __reserved,
			     errs_none,
		FLD(struct ioasid_pasid_free, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_pasid_free, pasid, F_PASID, 0, 0),
		FLD(struct ioasid_pasid_free, __reserved, F_RSVD, 0, 0)),
	[OP_ALLOW_PASID] = OP(TEST_DEVICE_ALLOW_PASID,
			      struct ioasid_test_device_allow_pasid,
			      __reserved2, errs_none,
		FLD(struct ioasid_test_device_allow_pasid, flags, F_FLAGS, 0,
		    IOASID_TEST_ALLOW_PASID_REVOKE),
		FLD(struct ioasid_test_device_allow_pasid, dev_id, F_ID, K_MOCK,
		    0),
		FLD(struct ioasid_test_device_allow_pasid, first, F_PASID, 0, 0),
		FLD(struct ioasid_test_device_allow_pasid, last, F_PASID, 0, 0),
		FLD(struct ioasid_test_device_allow_pasid, configs, F_CONFIGS, 0,
		    0),
		FLD(struct ioasid_test_device_allow_pasid, __reserved, F_RSVD, 0,
		    0),
		FLD(struct ioasid_test_device_allow_pasid, __reserved2, F_RSVD,
		    0, 0)),
	[OP_MOCK_DMA] = OP_GREW(TEST_MOCK_DMA, struct ioasid_test_mock_dma,
				out_done, errs_mock_dma,
		FLD(struct ioasid_test_mock_dma, flags, F_FLAGS, 0, DMA_FLAGS),
		FLD(struct ioasid_test_mock_dma, dev_id, F_ID, K_MOCK, 0),
		FLD(struct ioasid_test_mock_dma, pasid, F_PASID, 0, 0),
		FLD(struct ioasid_test_mock_dma, iova, F_IOVA, 0, 0),
		FLD(struct ioasid_test_mock_dma, length, F_DMALEN, 0, 0),
		FLD(struct ioasid_test_mock_dma, data, F_OUTPTR, 0, 0),
		FLD(struct ioasid_test_mock_dma, out_done, F_OUT, K_NONE, 0),
		FLD(struct ioasid_test_mock_dma, out_fault_stage, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_mock_dma, out_fault_reason, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_test_mock_dma, out_fault_level, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_mock_dma, out_fault_flags, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_mock_dma, out_fault_addr, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_mock_dma, out_iotlb_hits, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_mock_dma, timeout_ms, F_TMO, 0, 0),
		FLD(struct ioasid_test_mock_dma, out_page_requests, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_test_mock_dma, out_response_code, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_test_mock_dma, out_grpid, F_OUT, K_NONE, 0)),
	[OP_KERNEL_PASID] = OP(TEST_KERNEL_PASID,
			       struct ioasid_test_kernel_pasid, __reserved,
			       errs_kernel_pasid,
		FLD(struct ioasid_test_kernel_pasid, flags, F_FLAGS, 0, 0),
		FLD(struct ioasid_test_kernel_pasid, op, F_KOP, 0, 0),
		FLD(struct ioasid_test_kernel_pasid, dev_id, F_ID, K_MOCK, 0),
		FLD(struct ioasid_test_kernel_pasid, pasid, F_PASID, 0, 0),
		FLD(struct ioasid_test_kernel_pasid, __reserved, F_RSVD, 0, 0)),
	[OP_HWPT_INVALIDATE] = OP(HWPT_INVALIDATE,
				  struct ioasid_hwpt_invalidate, __reserved,
				  errs_hwpt_invalidate,
		FLD(struct ioasid_hwpt_invalidate, hwpt_id, F_ID, K_NESTED, 0),
		FLD(struct ioasid_hwpt_invalidate, data_uptr, F_IDATA, 0, 0),
		FLD(struct ioasid_hwpt_invalidate, data_type, F_ITYPE, 0, 0),
		FLD(struct ioasid_hwpt_invalidate, entry_len, F_ELEN, 0, 0),
		FLD(struct ioasid_hwpt_invalidate, entry_num, F_ENUM, 0, 0),
		FLD(struct ioasid_hwpt_invalidate, __reserved, F_RSVD, 0, 0)),
	[OP_FAULT_QUEUE_ALLOC] = OP(FAULT_QUEUE_ALLOC,
				    struct ioasid_fault_queue_alloc,
				    out_responses_offset, errs_fault_alloc,
		FLD(struct ioasid_fault_queue_alloc, flags, F_FLAGS, 0,
		    IOASID_FAULT_QUEUE_EVENTFD),
		FLD(struct ioasid_fault_queue_alloc, nr_entries, F_NENT, 0, 0),
		FLD(struct ioasid_fault_queue_alloc, eventfd, F_EFD, 0, 0),
		FLD(struct ioasid_fault_queue_alloc, out_fault_id, F_OUT,
		    K_FAULT, 0),
		FLD(struct ioasid_fault_queue_alloc, out_fault_fd, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_fault_queue_alloc, out_mmap_size, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_fault_queue_alloc, out_records_offset, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_fault_queue_alloc, out_responses_offset, F_OUT,
		    K_NONE, 0)),
	[OP_FAULT_QUEUE_RESPOND] = OP(FAULT_QUEUE_RESPOND,
				      struct ioasid_fault_queue_respond,
				      __reserved, errs_fault_respond,
		FLD(struct ioasid_fault_queue_respond, fault_id, F_ID, K_FAULT,
		    0),
		FLD(struct ioasid_fault_queue_respond, out_done, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_fault_queue_respond, __reserved, F_RSVD, 0,
		    0)),
	[OP_IOPF_INJECT] = OP(TEST_IOPF_INJECT, struct ioasid_test_iopf_inject,
			      out_ns, errs_iopf_inject,
		FLD(struct ioasid_test_iopf_inject, flags, F_FLAGS, 0,
		    IOPF_FLAGS),
		FLD(struct ioasid_test_iopf_inject, dev_id, F_ID, K_MOCK, 0),
		FLD(struct ioasid_test_iopf_inject, pasid, F_PASID, 0, 0),
		FLD(struct ioasid_test_iopf_inject, addr, F_IOVA, 0, 0),
		FLD(struct ioasid_test_iopf_inject, count, F_ICOUNT, 0, 0),
		FLD(struct ioasid_test_iopf_inject, group_size, F_ICOUNT, 0, 0),
		FLD(struct ioasid_test_iopf_inject, perm, F_PERM, 0, 0),
		FLD(struct ioasid_test_iopf_inject, timeout_ms, F_TMO, 0, 0),
		FLD(struct ioasid_test_iopf_inject, out_first_grpid, F_OUT,
		    K_NONE, 0),
		FLD(struct ioasid_test_iopf_inject, out_answered, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_iopf_inject, out_ns, F_OUT, K_NONE, 0)),
	[OP_IOPF_STATS] = OP(TEST_IOPF_STATS, struct ioasid_test_iopf_stats,
			     out_events, errs_none,
		FLD(struct ioasid_test_iopf_stats, dev_id, F_ID, K_MOCK, 0),
		FLD(struct ioasid_test_iopf_stats, out_raised, F_OUT, K_NONE, 0),
		FLD(struct ioasid_test_iopf_stats, out_pending, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_iopf_stats, out_success, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_iopf_stats, out_invalid, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_iopf_stats, out_failure, F_OUT, K_NONE,
		    0),
		FLD(struct ioasid_test_iopf_stats, out_events, F_OUT, K_NONE,
		    0)),
	[OP_VDPA_BIND] = VOP(BIND_IOASID, struct vhost_vdpa_bind_ioasid,
			     out_dev_id, errs_vdpa_bind,
		FLD(struct vhost_vdpa_bind_ioasid, flags, F_FLAGS, 0, 0),
		FLD(struct vhost_vdpa_bind_ioasid, ioasid_fd, F_CTX_FD, 0, 0),
		FLD(struct vhost_vdpa_bind_ioasid, out_dev_id, F_OUT, K_NONE,
		    0)),
	[OP_VDPA_UNBIND] = VOP(UNBIND_IOASID, struct vhost_vdpa_unbind_ioasid,
			       flags, errs_none,
		FLD(struct vhost_vdpa_unbind_ioasid, flags, F_FLAGS, 0, 0)),
	[OP_VDPA_ATTACH] = VOP(ATTACH_IOASID, struct vhost_vdpa_attach_ioasid,
			       pt_id, errs_vdpa_attach,
		FLD(struct vhost_vdpa_attach_ioasid, flags, F_FLAGS, 0, 0),
		FLD(struct vhost_vdpa_attach_ioasid, asid, F_ASID, 0, 0),
		FLD(struct vhost_vdpa_attach_ioasid, pt_id, F_ID, K_IOAS, 0)),
	[OP_VDPA_DETACH] = VOP(DETACH_IOASID, struct vhost_vdpa_detach_ioasid,
			       __reserved, errs_vdpa_detach,
		FLD(struct vhost_vdpa_detach_ioasid, flags, F_FLAGS, 0, 0),
		FLD(struct vhost_vdpa_detach_ioasid, asid, F_ASID, 0, 0),
		FLD(struct vhost_vdpa_detach_ioasid, __reserved, F_RSVD, 0,
		    0)),
};

/* ---- Shared state: the files, the memory and the ids seen --------------- */

#define POOL	16

struct fz_mapping {
	__u32 ioas;
	__u64 iova;
	__u64 length;
};

/* A mock device bound to the context under test, and its device id. */
struct fz_bind {
	__u32 mock;
	__u32 dev;
};

/*
 * A nesting parent allocated for a bound device, and a nested HWPT on it
 * (0 until one is allocated) of the format that succeeded.
 */
struct fz_nest {
	__u32 mock;
	__u32 dev;
	__u32 parent;
	__u32 nested;
	bool smmuv3;
};

/* A fault queue's file (a descriptor of its own) and its mapping size. */
struct fz_qfd {
	int fd;
	__u64 map_len;
};

struct fz_undoc {
	int op;		/* NR_OPS: an unknown ioctl number */
	int err;
	unsigned long count;
};

struct fz {
	int fd;			/* the context under test */
	int vfd;		/* a vhost-vdpa file, or -1 when there is none */
	int vfds[2];		/* vdpa_sim_net's, the test IOMMU's parent's */
	int other_fd;		/* another context, for BIND_FD */
	int memfd, memfd_ro, null_fd;
	volatile int stop;
	__u64 seed;
	__u64 deadline;
	unsigned int round;
	int nthreads;

	char *dbuf;		/* DBUF_LEN, then a guard page */
	char *ro;		/* one read-only page */
	char *hole;		/* an inaccessible range */

	__u32 ids[K_MAX][POOL];
	__u32 destroyed[POOL];
	__u32 pasids[POOL];	/* global and kernel PASIDs returned */
	struct fz_mapping maps[POOL];
	struct fz_bind binds[POOL];
	struct fz_nest nests[POOL];
	struct fz_qfd qfds[POOL];	/* under @lock; fd -1 when empty */
	int efd;		/* an eventfd for the fault queues */
	pthread_mutex_t lock;	/* maps[], binds[], nests[], qfds[], reports */

	unsigned long calls, fuzzed, ok, unexpected, impossible;
	/* Successes of the nesting calls: how far the fuzzer got. */
	unsigned long nest_parents, nest_allocs, nest_attaches, nest_invs,
		      nest_dmas;
	/* Of the fault queues: queues, HWPTs with one, records, answers. */
	unsigned long fault_queues, fault_hwpts, fault_records,
		      fault_answers;
	unsigned long per_op[NR_OPS + 1];
	struct fz_undoc undoc[64];
	int nundoc;
};

struct fz_thread {
	struct fz *fz;
	int tid;
	__u64 rng;
	char *arg;		/* ARG_LEN, then a guard page */
	char *out;		/* OUT_LEN, then a guard page */
	int own_qfd;		/* the last queue made, a dup of its own, or -1 */
};

/* Addresses no user access can reach. */
static const __u64 kernel_addrs[] = {
	0xffff888000000000ULL,	/* the direct map */
	0xffffffff81000000ULL,	/* kernel text */
	0x8000000000000000ULL,	/* not canonical */
	0xfffffffffffff000ULL,
};

static __u64 rnd(struct fz_thread *t, __u64 n)
{
	return ioasid_rng_below(&t->rng, n);
}

static __u64 rnd64(struct fz_thread *t)
{
	return ioasid_rng_next(&t->rng);
}

static __u32 pool_get(struct fz_thread *t, int kind)
{
	return __atomic_load_n(&t->fz->ids[kind][rnd(t, POOL)],
			       __ATOMIC_RELAXED);
}

static void pool_put(struct fz_thread *t, int kind, __u32 id)
{
	if (kind > K_NONE && kind < K_ANY && id)
		__atomic_store_n(&t->fz->ids[kind][rnd(t, POOL)], id,
				 __ATOMIC_RELAXED);
}

/* A valid id of @kind if one is known; 0 otherwise. */
static __u32 pool_pick(struct fz_thread *t, int kind)
{
	int tries;

	if (kind == K_ANY)
		kind = K_IOAS + rnd(t, K_PIN - K_IOAS);
	if (kind == K_PT) {
		static const int pts[] = { K_IOAS, K_IOAS, K_HWPT, K_PARENT,
					   K_NESTED };

		kind = pts[rnd(t, 5)];
	}
	for (tries = 0; tries < 4; tries++) {
		__u32 id = pool_get(t, kind);

		if (id)
			return id;
	}
	return 0;
}

static void map_put(struct fz_thread *t, __u32 ioas, __u64 iova, __u64 len)
{
	struct fz *fz = t->fz;

	pthread_mutex_lock(&fz->lock);
	fz->maps[rnd(t, POOL)] = (struct fz_mapping) { ioas, iova, len };
	pthread_mutex_unlock(&fz->lock);
}

static void pasid_put(struct fz_thread *t, __u32 pasid)
{
	__atomic_store_n(&t->fz->pasids[rnd(t, POOL)], pasid,
			 __ATOMIC_RELAXED);
}

/* A PASID returned lately, or a small one. */
static __u32 pasid_get(struct fz_thread *t)
{
	__u32 pasid = __atomic_load_n(&t->fz->pasids[rnd(t, POOL)],
				      __ATOMIC_RELAXED);

	return pasid ?: 1 + rnd(t, 64);
}

static struct fz_mapping map_get(struct fz_thread *t)
{
	struct fz *fz = t->fz;
	struct fz_mapping m;

	pthread_mutex_lock(&fz->lock);
	m = fz->maps[rnd(t, POOL)];
	pthread_mutex_unlock(&fz->lock);
	return m;
}

static void bind_put(struct fz_thread *t, __u32 mock, __u32 dev)
{
	struct fz *fz = t->fz;

	pthread_mutex_lock(&fz->lock);
	fz->binds[rnd(t, POOL)] = (struct fz_bind) { mock, dev };
	pthread_mutex_unlock(&fz->lock);
}

static struct fz_bind bind_get(struct fz_thread *t)
{
	struct fz *fz = t->fz;
	struct fz_bind b;

	pthread_mutex_lock(&fz->lock);
	b = fz->binds[rnd(t, POOL)];
	pthread_mutex_unlock(&fz->lock);
	return b;
}

static void nest_put(struct fz_thread *t, const struct fz_nest *n)
{
	struct fz *fz = t->fz;

	pthread_mutex_lock(&fz->lock);
	fz->nests[rnd(t, POOL)] = *n;
	pthread_mutex_unlock(&fz->lock);
}

/* A nesting parent recorded lately, with a nested HWPT if @nested. */
static struct fz_nest nest_get(struct fz_thread *t, bool nested)
{
	struct fz *fz = t->fz;
	struct fz_nest n = {};
	int tries;

	pthread_mutex_lock(&fz->lock);
	for (tries = 0; tries < 4; tries++) {
		n = fz->nests[rnd(t, POOL)];
		if (n.parent && (!nested || n.nested))
			break;
	}
	pthread_mutex_unlock(&fz->lock);
	return n;
}

/* Keep the file of a new fault queue, closing the one it replaces. */
static void qfd_put(struct fz_thread *t, int fd, __u64 map_len)
{
	struct fz *fz = t->fz;
	struct fz_qfd *q;
	int old;

	/* Never block in read(): nothing else in the fuzzer would wake it. */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	/*
	 * Once in the pool, another thread may close @fd and the number be
	 * reused by another queue: a chain that goes on with this queue uses
	 * a descriptor of its own, taken before.
	 */
	if (t->own_qfd >= 0)
		close(t->own_qfd);
	t->own_qfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_lock(&fz->lock);
	q = &fz->qfds[rnd(t, POOL)];
	old = q->fd;
	*q = (struct fz_qfd) { fd, map_len };
	pthread_mutex_unlock(&fz->lock);
	if (old >= 0)
		close(old);
}

/*
 * A fault queue's file, as a descriptor of the caller's own (to close),
 * which another thread's qfd_put() cannot close under it; -1 if none.
 */
static int qfd_get(struct fz_thread *t, __u64 *map_len)
{
	struct fz *fz = t->fz;
	struct fz_qfd *q;
	int fd = -1;

	pthread_mutex_lock(&fz->lock);
	q = &fz->qfds[rnd(t, POOL)];
	if (q->fd >= 0) {
		fd = fcntl(q->fd, F_DUPFD_CLOEXEC, 0);
		*map_len = q->map_len;
	}
	pthread_mutex_unlock(&fz->lock);
	return fd;
}

/* Close every kept fault queue file (between rounds). */
static void qfd_close_all(struct fz *fz)
{
	int i;

	for (i = 0; i < POOL; i++) {
		if (fz->qfds[i].fd >= 0)
			close(fz->qfds[i].fd);
		fz->qfds[i].fd = -1;
	}
}

/* ---- The call and its check --------------------------------------------- */

static const char *op_name(int op)
{
	return op < NR_OPS ? fz_ops[op].name : "(unknown ioctl number)";
}

static void record_undoc(struct fz *fz, int op, int err)
{
	int i;

	for (i = 0; i < fz->nundoc; i++) {
		if (fz->undoc[i].op == op && fz->undoc[i].err == err) {
			fz->undoc[i].count++;
			return;
		}
	}
	if (fz->nundoc < 64)
		fz->undoc[fz->nundoc++] = (struct fz_undoc) { op, err, 1 };
}

static void report(struct fz_thread *t, int op, unsigned long cmd, int err,
		   const void *arg, unsigned int size)
{
	struct fz *fz = t->fz;
	const unsigned char *p = arg;
	unsigned int i, n = size;
	char hex[3 * 96 + 1] = "";

	pthread_mutex_lock(&fz->lock);
	fz->unexpected++;
	record_undoc(fz, op, err);
	if (fz->unexpected <= MAX_REPORTS) {
		/* The struct as passed: the bytes up to its size, or less. */
		if (n > 96)
			n = 96;
		if ((uintptr_t)arg < 4096 ||
		    ((uintptr_t)arg >= (uintptr_t)fz->hole &&
		     (uintptr_t)arg < (uintptr_t)fz->hole + 2 * SZ_4K) ||
		    (uintptr_t)arg >= 0x800000000000ULL)
			n = 0;
		if ((uintptr_t)arg >= (uintptr_t)t->arg &&
		    (uintptr_t)arg + n > (uintptr_t)t->arg + ARG_LEN)
			n = (uintptr_t)t->arg + ARG_LEN - (uintptr_t)arg;
		for (i = 0; i < n; i++)
			sprintf(hex + 3 * i, "%02x ", p[i]);
		fprintf(stderr,
			"# UNEXPECTED %s (cmd 0x%lx): errno %d (%s), size %u, arg %p: %s\n",
			op_name(op), cmd, err, strerror(err), size, arg, hex);
	}
	pthread_mutex_unlock(&fz->lock);
}

/*
 * A success with outputs the documentation rules out (@fail), or that are
 * only odd.
 */
static void odd_result(struct fz_thread *t, int op, const void *arg,
		       unsigned int size, const char *what, bool fail)
{
	struct fz *fz = t->fz;

	const unsigned char *p = arg;
	char hex[3 * 96 + 1] = "";
	unsigned int i;

	pthread_mutex_lock(&fz->lock);
	if (fail)
		fz->impossible++;
	/* Only successful calls get here: @arg was readable. */
	for (i = 0; i < size && i < 96; i++)
		sprintf(hex + 3 * i, "%02x ", p[i]);
	if (fz->impossible <= MAX_REPORTS)
		fprintf(stderr, "# %s %s: %s, size %u, arg %p: %s\n",
			fail ? "IMPOSSIBLE" : "NOTE", op_name(op), what, size,
			arg, hex);
	pthread_mutex_unlock(&fz->lock);
}

/*
 * The outputs a call writes whatever its result: IOASID_HWPT_INVALIDATE's
 * count of entries carried out (never more than asked, all of them on
 * success), and the fault IOASID_TEST_MOCK_DMA reports with ENXIO and
 * EACCES.  @in_num is entry_num as passed.
 */
static void check_outputs(struct fz_thread *t, int op, void *arg,
			  unsigned int size, int err, __u32 in_num)
{
	switch (op) {
	case OP_HWPT_INVALIDATE: {
		struct ioasid_hwpt_invalidate *c = arg;

		if (c->entry_num > in_num || (!err && c->entry_num != in_num))
			odd_result(t, op, arg, size,
				   err ? "entry_num grew on an error" :
					 "entry_num is not all entries",
				   true);
		break;
	}
	case OP_MOCK_DMA: {
		struct ioasid_test_mock_dma *c = arg;

		if ((err != ENXIO && err != EACCES) || size < sizeof(*c))
			break;
		if (c->out_done >= c->length || c->out_fault_stage > 2 ||
		    c->out_fault_reason == IOASID_TEST_FAULT_NONE ||
		    c->out_fault_reason > IOASID_TEST_FAULT_ABORT ||
		    (c->out_fault_flags & ~IOASID_TEST_FAULT_TABLE_FETCH) ||
		    (err == EACCES) !=
		    (c->out_fault_reason == IOASID_TEST_FAULT_PERMISSION))
			odd_result(t, op, arg, size,
				   "impossible fault report", true);
		break;
	}
	}
}

/*
 * The vhost-vdpa file of a call: either device, so that both of them are
 * bound, attached and detached in the same round, from every thread.
 */
static int fz_vfd(struct fz_thread *t)
{
	int vfd = t->fz->vfds[rnd(t, 2)];

	return vfd >= 0 ? vfd : t->fz->vfd;
}

/*
 * Issue @op with the struct at @arg (whose first word the caller may have
 * mutated), check the errno against the table, and learn the ids and
 * mappings a success returned.
 */
static int fz_call(struct fz_thread *t, int op, void *arg)
{
	const struct fz_op *o = &fz_ops[op];
	struct fz *fz = t->fz;
	unsigned int size = 0;
	const struct fz_fieldspec *f;
	/* The whole struct is in the argument buffer: it can be read back. */
	bool whole = (char *)arg >= t->arg &&
		     (char *)arg + o->size <= t->arg + ARG_LEN;
	__u32 in_num = 0;
	int err;

	/* The size as the kernel will read it, for the report. */
	if ((char *)arg >= t->arg && (char *)arg + 4 <= t->arg + ARG_LEN)
		memcpy(&size, arg, 4);
	if (whole && op == OP_HWPT_INVALIDATE)
		in_num = ((struct ioasid_hwpt_invalidate *)arg)->entry_num;
	err = ioctl_err(o->vhost ? fz_vfd(t) : fz->fd, o->cmd, arg);
	__atomic_fetch_add(&fz->calls, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&fz->per_op[op], 1, __ATOMIC_RELAXED);
	if (whole)
		check_outputs(t, op, arg, size, err, in_num);
	if (err) {
		if (!ioasid_errno_in(err, errs_common) &&
		    !ioasid_errno_in(err, o->errs))
			report(t, op, o->cmd, err, arg, size);
		return err;
	}
	__atomic_fetch_add(&fz->ok, 1, __ATOMIC_RELAXED);

	/* Learn the ids the kernel returned within the caller's size. */
	for (f = o->f; f->type != F_END; f++) {
		__u32 id;

		if (f->type != F_OUT || f->kind == K_NONE ||
		    f->off + f->width > size)
			continue;
		memcpy(&id, (char *)arg + f->off, 4);
		/*
		 * Object ids are never 0.  A pin number is not an object id
		 * and the documentation says nothing of 0, though the test
		 * driver allocates them from 1: only tell.
		 */
		if (!id)
			odd_result(t, op, arg, size, "returned id 0",
				   f->kind != K_PIN);
		pool_put(t, f->kind, id);
	}
	switch (op) {
	case OP_DESTROY: {
		struct ioasid_destroy *c = arg;

		__atomic_store_n(&fz->destroyed[rnd(t, POOL)], c->id,
				 __ATOMIC_RELAXED);
		break;
	}
	case OP_IOAS_MAP: {
		struct ioasid_ioas_map *c = arg;

		if (size < offsetofend(struct ioasid_ioas_map, iova))
			break;
		if (c->iova % SZ_4K || !c->length || c->length % SZ_4K ||
		    c->iova + c->length - 1 < c->iova)
			odd_result(t, op, arg, size, "mapped a bad range",
				   true);
		map_put(t, c->ioas_id, c->iova, c->length);
		break;
	}
	case OP_IOAS_UNMAP: {
		struct ioasid_ioas_unmap *c = arg;

		if (size >= offsetofend(struct ioasid_ioas_unmap, out_unmapped) &&
		    c->out_unmapped % SZ_4K)
			odd_result(t, op, arg, size, "unmapped a partial page",
				   true);
		break;
	}
	case OP_GET_INFO: {
		struct ioasid_info *c = arg;

		if (c->api_version != IOASID_API_VERSION ||
		    !(c->features & IOASID_FEATURE_TEST))
			odd_result(t, op, arg, size, "bad version or features",
				   true);
		break;
	}
	case OP_MAP_FILE: {
		struct ioasid_ioas_map_file *c = arg;

		if (size >= offsetofend(struct ioasid_ioas_map_file, iova))
			map_put(t, c->ioas_id, c->iova, c->length);
		break;
	}
	case OP_IOAS_COPY: {
		struct ioasid_ioas_copy *c = arg;

		if (size >= offsetofend(struct ioasid_ioas_copy, dst_iova))
			map_put(t, c->dst_ioas_id, c->dst_iova, c->length);
		break;
	}
	case OP_DEVICE_ATTACH: {
		struct ioasid_test_device_attach *c = arg;

		pool_put(t, K_HWPT, c->pt_id);
		break;
	}
	case OP_DEVICE_BIND: {
		struct ioasid_test_device_bind *c = arg;

		/* A device of this context, not of the other file. */
		if (!(c->flags & IOASID_TEST_DEVICE_BIND_FD))
			bind_put(t, c->dev_id, c->out_device_id);
		break;
	}
	case OP_HWPT_ALLOC: {
		struct ioasid_hwpt_alloc *c = arg;
		bool grown = size >= offsetofend(struct ioasid_hwpt_alloc,
						 data_uptr);

		if (grown && c->fault_id)
			__atomic_fetch_add(&fz->fault_hwpts, 1,
					   __ATOMIC_RELAXED);
		/* The first layout allocates a paging HWPT. */
		if (c->data_type) {
			/* Nested: no flag, a length and a pointer. */
			if (c->flags || (grown && !c->data_len))
				odd_result(t, op, arg, size,
					   "allocated a nested HWPT from invalid input",
					   true);
			pool_put(t, K_NESTED, c->out_hwpt_id);
		} else {
			if (grown && (c->data_len || c->data_uptr))
				odd_result(t, op, arg, size,
					   "allocated a paging HWPT with data",
					   true);
			if (c->flags & IOASID_HWPT_ALLOC_NEST_PARENT)
				pool_put(t, K_PARENT, c->out_hwpt_id);
		}
		break;
	}
	case OP_PASID_ALLOC: {
		struct ioasid_pasid_alloc *c = arg;

		if (!c->out_pasid || c->out_pasid > IOASID_PASID_MAX)
			odd_result(t, op, arg, size, "impossible PASID", true);
		pasid_put(t, c->out_pasid);
		break;
	}
	case OP_KERNEL_PASID: {
		struct ioasid_test_kernel_pasid *c = arg;

		if (c->op != IOASID_TEST_KERNEL_PASID_ALLOC)
			break;
		if (!c->pasid || c->pasid > IOASID_PASID_MAX)
			odd_result(t, op, arg, size, "impossible PASID", true);
		pasid_put(t, c->pasid);
		break;
	}
	case OP_PASID_INFO: {
		struct ioasid_device_get_pasid_info *c = arg;
		bool att = c->out_flags & IOASID_PASID_INFO_ATTACHED;

		if (c->out_flags & ~0xfU || c->out_pt_kind > IOASID_PT_SVA ||
		    c->out_pasid_bits > 20 ||
		    c->out_allowed & ~(__u32)(IOASID_PASID_CFG_PAGING |
					      IOASID_PASID_CFG_NESTED |
					      IOASID_PASID_CFG_SVA) ||
		    c->out_dev_caps & ~(__u32)(IOASID_DEVICE_PASID_PRI |
					       IOASID_DEVICE_PASID_EXEC |
					       IOASID_DEVICE_PASID_PRIV) ||
		    att != !!c->out_pt_id ||
		    att != (c->out_pt_kind != IOASID_PT_NONE))
			odd_result(t, op, arg, size, "impossible PASID info",
				   true);
		break;
	}
	case OP_MOCK_DMA: {
		struct ioasid_test_mock_dma *c = arg;

		if (c->out_done != c->length)
			odd_result(t, op, arg, size, "moved a part", true);
		break;
	}
	case OP_FAULT_QUEUE_ALLOC: {
		struct ioasid_fault_queue_alloc *c = arg;
		__u64 pg = sysconf(_SC_PAGESIZE), nr = c->nr_entries;
		__u64 rec = (nr * sizeof(struct ioasid_fault_record) + pg - 1) &
			    ~(pg - 1);
		__u64 resp = (nr * sizeof(struct ioasid_fault_response) +
			      pg - 1) & ~(pg - 1);

		if (c->out_fault_fd < 0 || c->out_records_offset != pg ||
		    c->out_responses_offset != pg + rec ||
		    c->out_mmap_size != pg + rec + resp ||
		    !nr || (nr & (nr - 1)) ||
		    nr > IOASID_FAULT_QUEUE_MAX_ENTRIES)
			odd_result(t, op, arg, size,
				   "a fault queue with an impossible layout",
				   true);
		if (c->out_fault_fd >= 0)
			qfd_put(t, c->out_fault_fd, c->out_mmap_size);
		__atomic_fetch_add(&fz->fault_queues, 1, __ATOMIC_RELAXED);
		break;
	}
	case OP_FAULT_QUEUE_RESPOND: {
		struct ioasid_fault_queue_respond *c = arg;

		__atomic_fetch_add(&fz->fault_answers, c->out_done,
				   __ATOMIC_RELAXED);
		break;
	}
	case OP_IOPF_INJECT: {
		struct ioasid_test_iopf_inject *c = arg;
		__u32 groups = (c->count + c->group_size - 1) / c->group_size;

		if (c->out_answered > groups || c->out_first_grpid > 511 ||
		    ((c->flags & IOASID_TEST_IOPF_WAIT) &&
		     c->out_answered != groups))
			odd_result(t, op, arg, size,
				   "impossible count of groups answered", true);
		break;
	}
	}
	return 0;
}

/* A struct at the end of the thread's argument page, room for @len. */
static void *arg_at_end(struct fz_thread *t, unsigned int len)
{
	unsigned long long room = ((unsigned long long)len + 7) & ~7ULL;

	if (room > ARG_LEN)
		room = ARG_LEN;
	return t->arg + ARG_LEN - room;
}

/* ---- Valid calls that build state --------------------------------------- */

#define IOVA_BASE	0x1000000ULL
#define IOVA_SPAN	0x10000000ULL

/* Issue a well-formed call; @cmd gets what the kernel wrote back. */
static int build_call(struct fz_thread *t, int op, void *cmd,
		      unsigned int size)
{
	void *arg = arg_at_end(t, size);
	int err;

	memcpy(arg, cmd, size);
	err = fz_call(t, op, arg);
	memcpy(cmd, arg, size);
	return err;
}

/* ---- Nesting: stage-1 descriptions, invalidations, guest tables ---------- */

static __u64 fuzz_iova(struct fz_thread *t);

/* VT-d first-stage entry bits (the same in every level). */
#define VTD_P	(1ULL << 0)
#define VTD_RW	(1ULL << 1)
#define VTD_US	(1ULL << 2)
#define VTD_PS	(1ULL << 7)
#define VTD_XD	(1ULL << 63)
/* SMMUv3 STE word 0: S1ContextPtr in bits 51:6, S1CDMax in 63:59. */
#define STE0_CFG_S1	(5ULL << 1)
#define STE0_PTR	(((1ULL << 52) - 1) & ~0x3fULL)

/* A stage-2 address with memory behind it in some IOAS, or none. */
static __u64 fuzz_gpa(struct fz_thread *t)
{
	struct fz_mapping m = map_get(t);

	if (!m.length || !rnd(t, 8))
		return IOVA_BASE + rnd(t, IOVA_SPAN / SZ_4K) * SZ_4K;
	return (m.iova + rnd(t, m.length)) & ~(SZ_4K - 1);
}

/*
 * A VT-d stage 1 or an SMMUv3 STE at @d (64 bytes): valid, or with one
 * field wrong when @bad.
 */
static __u32 fill_nested_data(struct fz_thread *t, void *d, bool smmuv3,
			      bool bad)
{
	memset(d, 0, 64);
	if (smmuv3) {
		struct ioasid_hwpt_arm_smmuv3 *ste = d;
		static const __u64 cfg[] = { 0, 4ULL << 1, STE0_CFG_S1,
					     STE0_CFG_S1 };

		ste->ste[0] = IOASID_NEST_STE0_V | cfg[rnd(t, 4)] |
			      (fuzz_gpa(t) & STE0_PTR) |
			      (rnd(t, 2) ? rnd(t, 32) << 59 : 0);
		if (bad) {
			/* Reserved bits 58:52, or a stage-2 Config. */
			if (rnd(t, 2))
				ste->ste[0] |= 1ULL << (52 + rnd(t, 7));
			else
				ste->ste[0] = (ste->ste[0] & ~0xeULL) |
					      (6ULL + rnd(t, 2)) << 1;
		}
		return sizeof(*ste);
	} else {
		struct ioasid_hwpt_vtd_s1 *vtd = d;

		vtd->flags = rnd(t, 8);
		vtd->pgtbl_addr = fuzz_gpa(t);
		vtd->addr_width = rnd(t, 4) ? 48 : 57;
		if (bad) {
			switch (rnd(t, 4)) {
			case 0:
				vtd->flags |= 1ULL << (3 + rnd(t, 61));
				break;
			case 1:
				vtd->pgtbl_addr |= 1 + rnd(t, SZ_4K - 1);
				break;
			case 2:
				vtd->addr_width = rnd(t, 2) ? rnd(t, 65) : 39;
				if (vtd->addr_width == 48 ||
				    vtd->addr_width == 57)
					vtd->addr_width = 0;
				break;
			default:
				vtd->__reserved = 1 + rnd(t, 0xffff);
				break;
			}
		}
		return sizeof(*vtd);
	}
}

/*
 * One invalidation entry at @e in the format of a nested HWPT: valid, or
 * refused (EINVAL or, for an unsupported SMMUv3 command, EOPNOTSUPP).
 */
static void fill_inv_entry(struct fz_thread *t, void *e, bool smmuv3,
			   bool bad)
{
	if (smmuv3) {
		struct ioasid_hwpt_arm_smmuv3_invalidate *c = e;
		__u64 sid = rnd64(t) & 0xffffffff00000000ULL;
		__u64 vmid = rnd(t, 0x10000) << 32;
		__u64 asid = rnd(t, 0x10000) << 48;

		/*
		 * Each command with its fields in range and its RES0 bits
		 * clear (SMMUv3 4.4, 4.5): the StreamID and VMID are the
		 * guest's, ignored.
		 */
		switch (rnd(t, 6)) {
		case 0:
			c->cmd[0] = IOASID_NEST_CMD_CFGI_CD | sid |
				    rnd(t, 1 << 20) << 12;
			c->cmd[1] = rnd(t, 2);
			break;
		case 1:
			c->cmd[0] = IOASID_NEST_CMD_CFGI_CD_ALL | sid;
			c->cmd[1] = 0;
			break;
		case 2:
			c->cmd[0] = IOASID_NEST_CMD_TLBI_NH_ALL | vmid;
			c->cmd[1] = 0;
			break;
		case 3:
			c->cmd[0] = IOASID_NEST_CMD_TLBI_NH_ASID | vmid | asid;
			c->cmd[1] = 0;
			break;
		case 4:
			/* One address: TG, NUM, SCALE and TTL 0. */
			c->cmd[0] = IOASID_NEST_CMD_TLBI_NH_VA | vmid | asid;
			c->cmd[1] = fuzz_gpa(t) | rnd(t, 2);
			break;
		default:
			c->cmd[0] = IOASID_NEST_CMD_TLBI_NH_VAA | vmid;
			c->cmd[1] = fuzz_gpa(t) | rnd(t, 2);
			break;
		}
		/* CMD_SYNC, CMD_PREFETCH_CONFIG, stage-2 and EL2 ones. */
		if (bad) {
			static const __u8 other[] = { 0x46, 0x01, 0x2a, 0x20,
						      0x30, 0xff };

			c->cmd[0] = (c->cmd[0] & ~0xffULL) | other[rnd(t, 6)];
		}
	} else {
		struct ioasid_hwpt_vtd_s1_invalidate *v = e;

		v->addr = fuzz_gpa(t);
		v->npages = 1 + rnd(t, 512);
		v->flags = rnd(t, 2) ? IOASID_VTD_INV_FLAGS_LEAF : 0;
		v->__reserved = 0;
		if (!rnd(t, 8)) {
			v->addr = 0;
			v->npages = ~0ULL;
		}
		if (bad) {
			switch (rnd(t, 5)) {
			case 0:
				v->flags |= 2U << rnd(t, 31);
				break;
			case 1:
				v->__reserved = 1 + rnd(t, 0xffff);
				break;
			case 2:
				v->addr |= 1 + rnd(t, SZ_4K - 1);
				break;
			case 3:
				v->npages = 0;
				break;
			default:
				/* Wraps past the top of the address space. */
				v->addr = ~0ULL & ~(SZ_4K - 1);
				v->npages = 2 + rnd(t, 8);
				break;
			}
		}
	}
}

/*
 * What a guest writes into its memory: entries of VT-d first-stage tables
 * that point at other mapped pages (or anywhere), and random words, which
 * the SMMUv3 model reads as CDs and descriptors.  The model must report a
 * fault for any of it, never crash.
 */
static void scribble(struct fz_thread *t)
{
	__u64 *page = (__u64 *)(t->fz->dbuf +
				rnd(t, DBUF_LEN / SZ_4K) * SZ_4K);
	int i, n = 1 + rnd(t, 16);

	for (i = 0; i < n; i++) {
		__u64 v;

		switch (rnd(t, 4)) {
		case 0:
			v = rnd64(t);
			break;
		case 1:
			v = 0;
			break;
		default:
			v = fuzz_gpa(t) | VTD_P | (rnd(t, 4) ? VTD_RW : 0) |
			    (rnd(t, 4) ? VTD_US : 0) |
			    (rnd(t, 4) ? 0 : VTD_PS) |
			    (rnd(t, 8) ? 0 : VTD_XD);
			break;
		}
		__atomic_store_n(&page[rnd(t, SZ_4K / 8)], v,
				 __ATOMIC_RELAXED);
	}
}

/* Nesting parents, nested HWPTs, their attachments, invalidations, DMA. */
static void build_nesting(struct fz_thread *t, unsigned int what)
{
	struct fz_nest n = nest_get(t, what > 1);
	__u64 d[8];

	switch (what) {
	case 0: {
		struct fz_bind b = bind_get(t);
		struct ioasid_hwpt_alloc c = {
			.size = sizeof(c),
			.flags = IOASID_HWPT_ALLOC_NEST_PARENT,
			.dev_id = b.dev,
			.pt_id = pool_pick(t, K_IOAS),
		};

		if (build_call(t, OP_HWPT_ALLOC, &c, sizeof(c)))
			break;
		__atomic_fetch_add(&t->fz->nest_parents, 1, __ATOMIC_RELAXED);
		n = (struct fz_nest) { b.mock, b.dev, c.out_hwpt_id };
		nest_put(t, &n);
		break;
	}
	case 1: {
		bool smmuv3 = rnd(t, 2), bad = !rnd(t, 8);
		struct ioasid_hwpt_alloc c = {
			.size = sizeof(c),
			.dev_id = n.dev,
			.pt_id = n.parent,
			.data_type = smmuv3 ? IOASID_HWPT_DATA_ARM_SMMUV3 :
					      IOASID_HWPT_DATA_VTD_S1,
			.data_uptr = (uintptr_t)d,
		};

		c.data_len = fill_nested_data(t, d, smmuv3, bad);
		if (build_call(t, OP_HWPT_ALLOC, &c, sizeof(c)))
			break;
		if (bad)
			odd_result(t, OP_HWPT_ALLOC, &c, sizeof(c),
				   "allocated a malformed stage 1", true);
		__atomic_fetch_add(&t->fz->nest_allocs, 1, __ATOMIC_RELAXED);
		n.nested = c.out_hwpt_id;
		n.smmuv3 = smmuv3;
		nest_put(t, &n);
		break;
	}
	case 2: {
		struct ioasid_test_device_attach c = {
			.size = sizeof(c),
			.flags = rnd(t, 2) ? IOASID_TEST_DEVICE_ATTACH_REPLACE :
					     0,
			.dev_id = n.mock,
			.pt_id = n.nested,
		};

		if (rnd(t, 2)) {
			struct ioasid_test_device_allow_pasid a = {
				.size = sizeof(a),
				.dev_id = n.mock,
				.first = 1 + rnd(t, 16),
				.configs = IOASID_PASID_CFG_NESTED,
			};

			a.last = a.first;
			if (rnd(t, 2))
				build_call(t, OP_ALLOW_PASID, &a, sizeof(a));
			c.flags |= IOASID_TEST_DEVICE_ATTACH_PASID;
			c.pasid = a.first;
		}
		if (!build_call(t, OP_DEVICE_ATTACH, &c, sizeof(c)))
			__atomic_fetch_add(&t->fz->nest_attaches, 1,
					   __ATOMIC_RELAXED);
		break;
	}
	case 3: {
		__u64 e[8 * 3] = {};
		__u32 num = 1 + rnd(t, 8), bad = rnd(t, 3) ? num : rnd(t, num);
		__u32 len = n.smmuv3 ?
			sizeof(struct ioasid_hwpt_arm_smmuv3_invalidate) :
			sizeof(struct ioasid_hwpt_vtd_s1_invalidate);
		struct ioasid_hwpt_invalidate c = {
			.size = sizeof(c),
			.hwpt_id = n.nested,
			.data_uptr = (uintptr_t)e,
			.data_type = n.smmuv3 ?
				IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3 :
				IOASID_HWPT_INVALIDATE_DATA_VTD_S1,
			.entry_num = num,
		};
		__u32 i;
		int err;

		c.entry_len = len;
		for (i = 0; i < num; i++)
			fill_inv_entry(t, (char *)e + i * len, n.smmuv3,
				       i == bad);
		err = build_call(t, OP_HWPT_INVALIDATE, &c, sizeof(c));
		if (!err)
			__atomic_fetch_add(&t->fz->nest_invs, 1,
					   __ATOMIC_RELAXED);
		/*
		 * Whatever the id names now, a bad entry is never carried
		 * out, and a failure stops at it or before the first.
		 */
		if ((bad < num && !err) ||
		    (err && c.entry_num && c.entry_num != bad))
			odd_result(t, OP_HWPT_INVALIDATE, &c, sizeof(c),
				   "wrong count of entries carried out", true);
		break;
	}
	case 4:
		scribble(t);
		break;
	default: {
		struct ioasid_test_mock_dma c = {
			.size = sizeof(c),
			.flags = rnd(t, 3) ? 0 : IOASID_TEST_MOCK_DMA_WRITE,
			.dev_id = n.mock,
			.iova = rnd(t, 4) ? fuzz_gpa(t) + rnd(t, SZ_4K) :
					    fuzz_iova(t),
			.length = 1 + rnd(t, 2 * SZ_4K),
			.data = (uintptr_t)t->out,
		};

		if (rnd(t, 2)) {
			c.flags |= IOASID_TEST_MOCK_DMA_PASID;
			c.pasid = 1 + rnd(t, 16);
			if (!rnd(t, 4))
				c.flags |= IOASID_TEST_MOCK_DMA_PRIV;
			if (!(c.flags & IOASID_TEST_MOCK_DMA_WRITE) &&
			    !rnd(t, 4))
				c.flags |= IOASID_TEST_MOCK_DMA_EXEC;
		}
		/* Translated (all of it), or refused by a fault. */
		if (!build_call(t, OP_MOCK_DMA, &c, sizeof(c)) ||
		    (c.out_fault_stage && c.out_fault_reason))
			__atomic_fetch_add(&t->fz->nest_dmas, 1,
					   __ATOMIC_RELAXED);
		break;
	}
	}
}

/* ---- Fault queues: allocation, HWPTs that use them, delivery ------------- */

/* An errno of read(), write() or mmap() of a fault queue's file. */
static void fault_file_errno(struct fz_thread *t, const char *call, int err,
			     const int *errs)
{
	char what[64];

	if (ioasid_errno_in(err, errs))
		return;
	snprintf(what, sizeof(what), "%s of a fault queue: errno %d", call,
		 err);
	odd_result(t, OP_FAULT_QUEUE_ALLOC, NULL, 0, what, true);
}

/* Answer the complete groups of @n records with random codes, by write(). */
static void fault_answer(struct fz_thread *t, int fd,
			 const struct ioasid_fault_record *r, unsigned int n)
{
	struct ioasid_fault_response resp[16];
	unsigned int i, k = 0;
	ssize_t ret;

	for (i = 0; i < n && k < 16; i++) {
		if (r[i].type != IOASID_FAULT_PAGE_REQ ||
		    !(r[i].flags & IOASID_FAULT_LAST_IN_GROUP))
			continue;
		resp[k].cookie = rnd(t, 16) ? r[i].cookie : rnd64(t);
		resp[k++].code = rnd(t, 16) ? rnd(t, 3) : rnd64(t);
	}
	if (!k)
		return;
	ret = write(fd, resp, k * sizeof(resp[0]));
	if (ret < 0)
		fault_file_errno(t, "write()", errno, errs_fault_write);
	else
		__atomic_fetch_add(&t->fz->fault_answers,
				   ret / sizeof(resp[0]), __ATOMIC_RELAXED);
}

/* Consume a fault queue through read(), fuzzed or not, and answer. */
static void fault_read(struct fz_thread *t, int fd)
{
	struct ioasid_fault_record r[16];
	size_t len = sizeof(r);
	void *buf = r;
	ssize_t n;

	switch (rnd(t, 8)) {
	case 0:
		len = rnd(t, sizeof(r[0]));
		break;
	case 1:
		buf = t->fz->hole;
		break;
	case 2:
		/* Ends at the guard page: the second record faults. */
		buf = t->out + OUT_LEN - sizeof(r[0]) - rnd(t, 8);
		break;
	}
	n = read(fd, buf, len);
	if (n < 0) {
		fault_file_errno(t, "read()", errno, errs_fault_read);
		return;
	}
	if (n % sizeof(r[0]) || (size_t)n > len) {
		odd_result(t, OP_FAULT_QUEUE_ALLOC, NULL, 0,
			   "read() of part of a record", true);
		return;
	}
	if (buf != r)
		return;
	__atomic_fetch_add(&t->fz->fault_records, n / sizeof(r[0]),
			   __ATOMIC_RELAXED);
	fault_answer(t, fd, r, n / sizeof(r[0]));
}

/*
 * Map a fault queue (or try to, with fuzzed arguments), consume its
 * records, fill the response ring and commit it; now and then scribble on
 * the indices user space owns.
 */
static void fault_ring(struct fz_thread *t, int fd, __u64 map_len,
		       __u32 fault_id)
{
	__u64 pg = sysconf(_SC_PAGESIZE), len = map_len, off = 0;
	int flags = MAP_SHARED, err;
	struct ioasid_fault_response *resp;
	struct ioasid_fault_record *rec;
	struct ioasid_fault_ring *ring;
	__u32 head, tail, rtail, nr;
	char *p;

	switch (rnd(t, 8)) {
	case 0:
		len += pg * (1 + rnd(t, 4));
		break;
	case 1:
		off = pg * (1 + rnd(t, 4));
		break;
	case 2:
		flags = MAP_PRIVATE;
		break;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
	if (p == MAP_FAILED) {
		fault_file_errno(t, "mmap()", errno, errs_fault_mmap);
		return;
	}
	if (len != map_len || off || flags != MAP_SHARED) {
		odd_result(t, OP_FAULT_QUEUE_ALLOC, NULL, 0,
			   "mmap() beyond the queue, or private", true);
		munmap(p, len);
		return;
	}
	ring = (void *)p;
	nr = ring->nr_entries;
	if (!nr || (nr & (nr - 1)) || nr > IOASID_FAULT_QUEUE_MAX_ENTRIES) {
		odd_result(t, OP_FAULT_QUEUE_ALLOC, NULL, 0,
			   "a ring header without its size", true);
		munmap(p, len);
		return;
	}
	rec = (void *)(p + pg);
	resp = (void *)(p + pg + ((nr * sizeof(*rec) + pg - 1) & ~(pg - 1)));
	head = ring->rec_head;
	tail = __atomic_load_n(&ring->rec_tail, __ATOMIC_ACQUIRE);
	rtail = ring->resp_tail;
	while (head != tail && tail - head <= nr) {
		struct ioasid_fault_record r = rec[head % nr];

		head++;
		__atomic_fetch_add(&t->fz->fault_records, 1, __ATOMIC_RELAXED);
		if (r.type != IOASID_FAULT_PAGE_REQ ||
		    !(r.flags & IOASID_FAULT_LAST_IN_GROUP) ||
		    rtail - __atomic_load_n(&ring->resp_head,
					    __ATOMIC_ACQUIRE) >= nr)
			continue;
		resp[rtail % nr] = (struct ioasid_fault_response) {
			.cookie = rnd(t, 16) ? r.cookie : rnd64(t),
			.code = rnd(t, 16) ? rnd(t, 3) : rnd64(t),
		};
		rtail++;
	}
	/* Other threads consume too: the indices are the user's to botch. */
	switch (rnd(t, 16)) {
	case 0:
		head = rnd64(t);
		break;
	case 1:
		rtail = rnd64(t);
		break;
	}
	__atomic_store_n(&ring->rec_head, head, __ATOMIC_RELEASE);
	__atomic_store_n(&ring->resp_tail, rtail, __ATOMIC_RELEASE);
	if (rnd(t, 2)) {
		struct ioasid_fault_queue_respond c = {
			.size = sizeof(c),
			.fault_id = fault_id,
		};

		build_call(t, OP_FAULT_QUEUE_RESPOND, &c, sizeof(c));
	} else if (write(fd, NULL, 0) < 0) {
		err = errno;
		fault_file_errno(t, "write() of 0 bytes", err,
				 errs_fault_write);
	}
	munmap(p, len);
}

/*
 * A whole chain, racing the other threads: a PRI-capable mock device,
 * bound, a fault queue, a paging or nested HWPT with it attached to the
 * RID or a PASID, a burst of page requests, and their answers.
 */
static void fault_chain(struct fz_thread *t)
{
	struct ioasid_test_mock_dev_add m = {
		.size = sizeof(m),
		.flags = IOASID_TEST_MOCK_DEV_PRI | IOASID_TEST_MOCK_DEV_PASID |
			 (rnd(t, 2) ? IOASID_TEST_MOCK_DEV_VTD : 0),
	};
	struct ioasid_test_device_bind b = { .size = sizeof(b) };
	struct ioasid_fault_queue_alloc q = {
		.size = sizeof(q),
		.nr_entries = 1U << rnd(t, 7),
	};
	struct ioasid_hwpt_alloc h = { .size = sizeof(h) };
	struct ioasid_test_device_attach a = { .size = sizeof(a) };
	struct ioasid_test_iopf_inject inj = { .size = sizeof(inj) };
	int fd;

	if (build_call(t, OP_MOCK_DEV_ADD, &m, sizeof(m)))
		return;
	b.dev_id = m.out_dev_id;
	if (build_call(t, OP_DEVICE_BIND, &b, sizeof(b)))
		return;
	if (rnd(t, 2)) {
		q.flags = IOASID_FAULT_QUEUE_EVENTFD;
		q.eventfd = t->fz->efd;
	}
	if (build_call(t, OP_FAULT_QUEUE_ALLOC, &q, sizeof(q)))
		return;
	h.dev_id = b.out_device_id;
	h.pt_id = pool_pick(t, K_IOAS);
	h.fault_id = q.out_fault_id;
	if ((m.flags & IOASID_TEST_MOCK_DEV_VTD) && rnd(t, 2)) {
		__u64 d[8];

		h.flags = IOASID_HWPT_ALLOC_NEST_PARENT;
		h.fault_id = 0;
		if (build_call(t, OP_HWPT_ALLOC, &h, sizeof(h)))
			return;
		h.flags = 0;
		h.pt_id = h.out_hwpt_id;
		h.fault_id = q.out_fault_id;
		h.data_type = IOASID_HWPT_DATA_VTD_S1;
		h.data_len = fill_nested_data(t, d, false, false);
		h.data_uptr = (uintptr_t)d;
	}
	if (build_call(t, OP_HWPT_ALLOC, &h, sizeof(h)))
		return;
	a.dev_id = m.out_dev_id;
	a.pt_id = h.out_hwpt_id;
	if (rnd(t, 2)) {
		struct ioasid_test_device_allow_pasid ap = {
			.size = sizeof(ap),
			.dev_id = m.out_dev_id,
			.first = 1 + rnd(t, 16),
			.configs = IOASID_PASID_CFG_PAGING |
				   IOASID_PASID_CFG_NESTED,
		};

		ap.last = ap.first;
		build_call(t, OP_ALLOW_PASID, &ap, sizeof(ap));
		a.flags = IOASID_TEST_DEVICE_ATTACH_PASID;
		a.pasid = ap.first;
	}
	if (build_call(t, OP_DEVICE_ATTACH, &a, sizeof(a)))
		return;
	inj.flags = a.pasid ? IOASID_TEST_IOPF_PASID : 0;
	inj.dev_id = m.out_dev_id;
	inj.pasid = a.pasid;
	inj.addr = fuzz_iova(t);
	inj.count = 1 + rnd(t, 2 * q.nr_entries);
	inj.group_size = 1 + rnd(t, inj.count < 4 ? inj.count : 4);
	inj.perm = IOASID_FAULT_PERM_READ;
	build_call(t, OP_IOPF_INJECT, &inj, sizeof(inj));
	/* This queue's records, through the descriptor qfd_put() took. */
	fd = t->own_qfd;
	t->own_qfd = -1;
	if (fd < 0)
		return;
	if (rnd(t, 2))
		fault_read(t, fd);
	else
		fault_ring(t, fd, q.out_mmap_size, q.out_fault_id);
	close(fd);
}

/* Fault queues and their files, alone or in a chain. */
static void build_fault(struct fz_thread *t, unsigned int what)
{
	__u64 map_len;
	int fd;

	switch (what) {
	case 0: {
		struct ioasid_fault_queue_alloc c = {
			.size = sizeof(c),
			.nr_entries = 1U << rnd(t, 9),
		};

		if (rnd(t, 2)) {
			c.flags = IOASID_FAULT_QUEUE_EVENTFD;
			c.eventfd = t->fz->efd;
		}
		build_call(t, OP_FAULT_QUEUE_ALLOC, &c, sizeof(c));
		break;
	}
	case 1: {
		struct fz_bind b = bind_get(t);
		struct ioasid_hwpt_alloc c = {
			.size = sizeof(c),
			.dev_id = b.dev,
			.pt_id = pool_pick(t, K_IOAS),
			.fault_id = pool_pick(t, K_FAULT),
		};

		build_call(t, OP_HWPT_ALLOC, &c, sizeof(c));
		break;
	}
	case 2: {
		struct ioasid_test_iopf_inject c = {
			.size = sizeof(c),
			.dev_id = pool_pick(t, K_MOCK),
			.addr = fuzz_iova(t),
			.count = 1 + rnd(t, 64),
			.perm = IOASID_FAULT_PERM_READ |
				(rnd(t, 2) ? IOASID_FAULT_PERM_WRITE : 0),
		};

		c.group_size = 1 + rnd(t, c.count);
		if (rnd(t, 2)) {
			c.flags = IOASID_TEST_IOPF_PASID;
			c.pasid = 1 + rnd(t, 16);
		}
		if (!rnd(t, 4)) {
			c.flags |= IOASID_TEST_IOPF_WAIT;
			c.timeout_ms = 1 + rnd(t, 10);
		}
		build_call(t, OP_IOPF_INJECT, &c, sizeof(c));
		break;
	}
	case 3:
		fd = qfd_get(t, &map_len);
		if (fd < 0)
			break;
		fault_read(t, fd);
		close(fd);
		break;
	case 4:
		fd = qfd_get(t, &map_len);
		if (fd < 0)
			break;
		fault_ring(t, fd, map_len, pool_pick(t, K_FAULT));
		close(fd);
		break;
	case 5: {
		struct ioasid_test_iopf_stats c = {
			.size = sizeof(c),
			.dev_id = pool_pick(t, K_MOCK),
		};

		build_call(t, OP_IOPF_STATS, &c, sizeof(c));
		break;
	}
	default:
		fault_chain(t);
		break;
	}
}

static void build_one(struct fz_thread *t)
{
	struct fz *fz = t->fz;
	__u32 ioas = pool_pick(t, K_IOAS), mock = pool_pick(t, K_MOCK);

	switch (rnd(t, 31)) {
	case 0: {
		struct ioasid_ioas_alloc c = { .size = sizeof(c) };

		build_call(t, OP_IOAS_ALLOC, &c, sizeof(c));
		break;
	}
	case 1:
	case 2: {
		__u64 pages = DBUF_LEN / SZ_4K, off = rnd(t, pages);
		__u64 n = 1 + rnd(t, pages - off < 64 ? pages - off : 64);
		struct ioasid_ioas_map c = {
			.size = sizeof(c),
			.flags = IOASID_IOAS_MAP_READ |
				 (rnd(t, 4) ? IOASID_IOAS_MAP_WRITE : 0),
			.ioas_id = ioas,
			.user_va = (uintptr_t)fz->dbuf + off * SZ_4K,
			.length = n * SZ_4K,
		};

		if (rnd(t, 2)) {
			c.flags |= IOASID_IOAS_MAP_FIXED_IOVA;
			c.iova = IOVA_BASE + rnd(t, IOVA_SPAN / SZ_4K) * SZ_4K;
		}
		build_call(t, OP_IOAS_MAP, &c, sizeof(c));
		break;
	}
	case 3: {
		struct fz_mapping m = map_get(t);
		struct ioasid_ioas_unmap c = {
			.size = sizeof(c),
			.ioas_id = m.ioas,
			.iova = m.iova,
			.length = m.length,
		};

		if (!rnd(t, 8))
			c = (struct ioasid_ioas_unmap) {
				.size = sizeof(c),
				.flags = IOASID_IOAS_UNMAP_ALL,
				.ioas_id = ioas,
			};
		build_call(t, OP_IOAS_UNMAP, &c, sizeof(c));
		break;
	}
	case 4: {
		static const __u32 flags[] = {
			0, 0, IOASID_TEST_MOCK_DEV_OTHER_IOMMU,
			IOASID_TEST_MOCK_DEV_GROUP, IOASID_TEST_MOCK_DEV_PASID,
			IOASID_TEST_MOCK_DEV_SW_MSI,
			IOASID_TEST_MOCK_DEV_PASID_BITS,
			IOASID_TEST_MOCK_DEV_PASID | IOASID_TEST_MOCK_DEV_PRI,
			IOASID_TEST_MOCK_DEV_PASID |
			IOASID_TEST_MOCK_DEV_KERNEL_DMA,
			IOASID_TEST_MOCK_DEV_PASID | IOASID_TEST_MOCK_DEV_GROUP,
			IOASID_TEST_MOCK_DEV_VTD,
			IOASID_TEST_MOCK_DEV_VTD | IOASID_TEST_MOCK_DEV_PASID,
			IOASID_TEST_MOCK_DEV_SMMUV3,
			IOASID_TEST_MOCK_DEV_SMMUV3 |
			IOASID_TEST_MOCK_DEV_PASID,
			IOASID_TEST_MOCK_DEV_VTD | IOASID_TEST_MOCK_DEV_GROUP,
		};
		struct ioasid_test_mock_dev_add c = {
			.size = sizeof(c),
			.flags = flags[rnd(t, 15)],
			.group_dev_id = mock,
		};

		if (c.flags & IOASID_TEST_MOCK_DEV_PASID_BITS)
			c.pasid_bits = 1 + rnd(t, 20);
		build_call(t, OP_MOCK_DEV_ADD, &c, sizeof(c));
		break;
	}
	case 5: {
		struct ioasid_test_device_bind c = {
			.size = sizeof(c),
			.dev_id = mock,
		};

		/* Never to this very file: see fuzz_fd(). */
		if (!rnd(t, 4)) {
			c.flags = IOASID_TEST_DEVICE_BIND_FD;
			c.ioasid_fd = fz->other_fd;
		}
		build_call(t, OP_DEVICE_BIND, &c, sizeof(c));
		break;
	}
	case 6:
	case 7: {
		struct ioasid_test_device_attach c = {
			.size = sizeof(c),
			.flags = rnd(t, 2) ? IOASID_TEST_DEVICE_ATTACH_REPLACE :
					     0,
			.dev_id = mock,
			.pt_id = rnd(t, 3) ? ioas : pool_pick(t, K_HWPT),
		};

		build_call(t, OP_DEVICE_ATTACH, &c, sizeof(c));
		break;
	}
	case 8: {
		struct ioasid_hwpt_alloc c = {
			.size = sizeof(c),
			.dev_id = pool_pick(t, K_DEVICE),
			.pt_id = ioas,
		};

		build_call(t, OP_HWPT_ALLOC, &c, sizeof(c));
		break;
	}
	case 9: {
		struct ioasid_test_mock_domain_alloc c = {
			.size = sizeof(c),
			.dev_id = mock,
		};

		build_call(t, OP_MOCK_DOMAIN_ALLOC, &c, sizeof(c));
		break;
	}
	case 10: {
		struct ioasid_test_ioas_attach c = {
			.size = sizeof(c),
			.domain_id = pool_pick(t, K_DOMAIN),
			.ioas_id = ioas,
		};

		build_call(t, OP_IOAS_ATTACH, &c, sizeof(c));
		break;
	}
	case 11: {
		struct ioasid_test_access_create c = {
			.size = sizeof(c),
			.flags = (rnd(t, 8) ? 0 : IOASID_TEST_ACCESS_KEEP_PINS) |
				 (rnd(t, 4) ? 0 : IOASID_TEST_ACCESS_MIRROR),
			.ioas_id = ioas,
		};

		build_call(t, OP_ACCESS_CREATE, &c, sizeof(c));
		break;
	}
	case 12: {
		struct fz_mapping m = map_get(t);
		struct ioasid_test_access_pin c = {
			.size = sizeof(c),
			.access_id = pool_pick(t, K_ACCESS),
			.iova = m.iova + rnd(t, m.length | 1),
			.length = 1 + rnd(t, 2 * SZ_4K),
		};

		build_call(t, OP_ACCESS_PIN, &c, sizeof(c));
		break;
	}
	case 13: {
		__u64 pages = MEMFD_LEN / SZ_4K, off = rnd(t, pages);
		struct ioasid_ioas_map_file c = {
			.size = sizeof(c),
			.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE,
			.ioas_id = ioas,
			.fd = fz->memfd,
			.start = off * SZ_4K,
			.length = (1 + rnd(t, pages - off < 32 ?
					      pages - off : 32)) * SZ_4K,
		};

		build_call(t, OP_MAP_FILE, &c, sizeof(c));
		break;
	}
	case 14: {
		struct ioasid_test_device_detach c = {
			.size = sizeof(c),
			.dev_id = mock,
		};

		if (rnd(t, 2)) {
			build_call(t, OP_DEVICE_UNBIND, &c,
				   sizeof(struct ioasid_test_device_unbind));
			break;
		}
		if (rnd(t, 2)) {
			c.flags = IOASID_TEST_DEVICE_DETACH_PASID;
			c.pasid = pasid_get(t);
		}
		build_call(t, OP_DEVICE_DETACH, &c, sizeof(c));
		break;
	}
	case 16: {
		__u32 first = rnd(t, 4) ? 1 + rnd(t, 64) : pasid_get(t);
		struct ioasid_test_device_allow_pasid c = {
			.size = sizeof(c),
			.dev_id = mock,
			.first = first,
			.last = first + (rnd(t, 2) ? 0 : rnd(t, 64)),
			.configs = rnd(t, 2) ? IOASID_PASID_CFG_PAGING :
					       rnd(t, 8),
		};

		if (!rnd(t, 4)) {
			c.flags = IOASID_TEST_ALLOW_PASID_REVOKE;
			c.configs = 0;
		}
		build_call(t, OP_ALLOW_PASID, &c, sizeof(c));
		break;
	}
	case 17: {
		struct ioasid_test_device_attach c = {
			.size = sizeof(c),
			.flags = IOASID_TEST_DEVICE_ATTACH_PASID |
				 (rnd(t, 2) ? IOASID_TEST_DEVICE_ATTACH_REPLACE :
					      0),
			.dev_id = mock,
			.pt_id = rnd(t, 3) ? ioas : pool_pick(t, K_HWPT),
			.pasid = rnd(t, 2) ? 1 + rnd(t, 64) : pasid_get(t),
		};

		build_call(t, OP_DEVICE_ATTACH, &c, sizeof(c));
		break;
	}
	case 18: {
		struct ioasid_pasid_alloc c = {
			.size = sizeof(c),
			.dev_id = pool_pick(t, K_DEVICE),
		};
		struct ioasid_pasid_free f = {
			.size = sizeof(f),
			.pasid = pasid_get(t),
		};

		if (rnd(t, 2))
			build_call(t, OP_PASID_ALLOC, &c, sizeof(c));
		else
			build_call(t, OP_PASID_FREE, &f, sizeof(f));
		break;
	}
	case 19: {
		struct ioasid_test_kernel_pasid c = {
			.size = sizeof(c),
			.op = rnd(t, 3),
			.dev_id = mock,
			.pasid = pasid_get(t),
		};

		build_call(t, OP_KERNEL_PASID, &c, sizeof(c));
		break;
	}
	case 20: {
		struct fz_mapping m = map_get(t);
		__u32 pasid = rnd(t, 2) ? 1 + rnd(t, 64) : pasid_get(t);
		struct ioasid_test_mock_dma c = {
			.size = sizeof(c),
			.flags = rnd(t, 2) ? IOASID_TEST_MOCK_DMA_WRITE : 0,
			.dev_id = mock,
			.iova = m.iova + rnd(t, m.length | 1),
			.length = 1 + rnd(t, 2 * SZ_4K),
			.data = (uintptr_t)t->out,
		};

		if (rnd(t, 4)) {
			c.flags |= IOASID_TEST_MOCK_DMA_PASID;
			c.pasid = pasid;
			if (!rnd(t, 8))
				c.flags |= IOASID_TEST_MOCK_DMA_PRIV;
		}
		build_call(t, OP_MOCK_DMA, &c, sizeof(c));
		break;
	}
	case 21:
	case 22:
	case 23:
	case 24:
	case 25:
	case 26:
		build_nesting(t, rnd(t, 6));
		break;
	case 27:
	case 28:
	case 29:
		build_fault(t, rnd(t, 8));
		break;
	default: {
		struct ioasid_destroy c = {
			.size = sizeof(c),
			.id = pool_pick(t, K_ANY),
		};

		build_call(t, OP_DESTROY, &c, sizeof(c));
		break;
	}
	}
}

/* ---- Fuzzed values ------------------------------------------------------ */

static __u64 fuzz_id(struct fz_thread *t, int kind)
{
	switch (rnd(t, 16)) {
	case 0:
		return 0;
	case 1:
		return rnd(t, 2) ? 0xffffffffU : 0x80000000U;
	case 2:
		return 1 + rnd(t, 64);
	case 3:
	case 4:
		/* An id of another kind. */
		return pool_pick(t, K_IOAS + rnd(t, K_PIN - K_IOAS));
	case 5:
	case 6:
		return __atomic_load_n(&t->fz->destroyed[rnd(t, POOL)],
				       __ATOMIC_RELAXED);
	default:
		return pool_pick(t, kind);
	}
}

/* A user address: of the mapped buffer, unaligned, unmapped or kernel. */
static __u64 fuzz_uva(struct fz_thread *t)
{
	struct fz *fz = t->fz;

	switch (rnd(t, 12)) {
	case 0:
		return 0;
	case 1:
		return kernel_addrs[rnd(t, 4)];
	case 2:
		return (uintptr_t)fz->hole + rnd(t, 2) * SZ_4K;
	case 3:
		/* Read-only memory: WRITE must fail with EFAULT. */
		return (uintptr_t)fz->ro;
	case 4:
		return (uintptr_t)fz->dbuf + rnd(t, DBUF_LEN);
	case 5:
		/* The end of the buffer: the guard page follows it. */
		return (uintptr_t)fz->dbuf + DBUF_LEN - SZ_4K * (1 + rnd(t, 2));
	default:
		return (uintptr_t)fz->dbuf + rnd(t, DBUF_LEN / SZ_4K) * SZ_4K;
	}
}

/* Lengths: 0, tiny, pages, the whole buffer and beyond, huge, wrapping. */
static __u64 fuzz_len(struct fz_thread *t)
{
	switch (rnd(t, 16)) {
	case 0:
		return 0;
	case 1:
		return 1 + rnd(t, SZ_4K - 1);
	case 2:
		return rnd64(t);
	case 3:
		return ~0ULL - rnd(t, 2) * (SZ_4K - 1);
	case 4:
		return 1ULL << (12 + rnd(t, 52));
	case 5:
		return DBUF_LEN + SZ_4K * rnd(t, 4);
	case 6:
		return (1 + rnd(t, 64)) * SZ_4K + 1 + rnd(t, SZ_4K - 1);
	case 7:
		return SZ_2M * (1 + rnd(t, 2));
	default:
		return (1 + rnd(t, 64)) * SZ_4K;
	}
}

static __u64 fuzz_iova(struct fz_thread *t)
{
	struct fz_mapping m;

	switch (rnd(t, 14)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL - rnd(t, 2) * (SZ_4K - 1);
	case 2:
		return rnd64(t);
	case 3:
		/* The MSI window every mock device reserves. */
		return IOASID_TEST_MOCK_MSI_START + rnd(t, 4) * SZ_4K;
	case 4:
		return IOASID_TEST_MOCK_SW_MSI_START;
	case 5:
		/* Around the end of a 48-bit aperture. */
		return (1ULL << 48) - SZ_4K * rnd(t, 3);
	case 6:
		return IOVA_BASE + rnd(t, IOVA_SPAN);
	case 7:
	case 8:
	case 9:
		m = map_get(t);
		return m.iova + (rnd(t, 4) ? 0 : rnd(t, m.length | 1));
	default:
		return IOVA_BASE + rnd(t, IOVA_SPAN / SZ_4K) * SZ_4K;
	}
}

static __u64 fuzz_align(struct fz_thread *t)
{
	switch (rnd(t, 8)) {
	case 0:
	case 1:
	case 2:
		return 0;
	case 3:
		return 1ULL << rnd(t, 64);
	case 4:
		return rnd64(t);
	case 5:
		return SZ_4K + 1 + rnd(t, SZ_4K);
	default:
		return 1ULL << (12 + rnd(t, 19));
	}
}

/*
 * Never the context's own file for TEST_DEVICE_BIND_FD: the mock device
 * object of a context would then hold its own file, which is then never
 * released (a reference cycle: reported, not a uAPI errno question).
 */
static __s32 fuzz_fd(struct fz_thread *t, bool bind)
{
	struct fz *fz = t->fz;

	switch (rnd(t, 9)) {
	case 0:
		return -1;
	case 1:
		return 0x7fffffff;
	case 2:
		return fz->null_fd;
	case 3:
		return fz->memfd_ro;
	case 4:
		return fz->other_fd;
	case 5:
		return bind ? fz->other_fd : fz->fd;
	case 6:
		return 1000 + rnd(t, 1000);
	default:
		return bind ? fz->other_fd : fz->memfd;
	}
}

/* A user buffer the kernel writes: one that ends at a guard page. */
static __u64 fuzz_outptr(struct fz_thread *t)
{
	switch (rnd(t, 10)) {
	case 0:
		return 0;
	case 1:
		return kernel_addrs[rnd(t, 4)];
	case 2:
		return (uintptr_t)t->fz->hole;
	case 3:
		return (uintptr_t)t->fz->ro;
	case 4:
		return (uintptr_t)t->out + OUT_LEN - rnd(t, 64);
	default:
		return (uintptr_t)t->out + rnd(t, OUT_LEN);
	}
}

/* An array of ranges for ALLOW_IOVAS, valid or not, in the out buffer. */
static __u64 fuzz_inptr(struct fz_thread *t)
{
	struct ioasid_iova_range *r = (void *)t->out;
	unsigned int i, n = OUT_LEN / sizeof(*r);

	if (rnd(t, 5) == 0)
		return fuzz_outptr(t);
	for (i = 0; i < n && i < 64; i++) {
		__u64 start = fuzz_iova(t), len = fuzz_len(t);

		r[i].start = start;
		r[i].last = rnd(t, 4) ? start + len - 1 : fuzz_iova(t);
	}
	return (uintptr_t)r;
}

static __u64 fuzz_num(struct fz_thread *t)
{
	switch (rnd(t, 8)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return 4096 + rnd(t, 2);
	case 3:
		return rnd64(t) & 0xffffffff;
	case 4:
		return 0x80000000U;
	default:
		return rnd(t, 64);
	}
}

/*
 * TEST_DOMAIN_MAP: iommu_map() walks the range page by page, and the
 * current kernel has no bound on it (a known defect, being fixed): keep
 * lengths at most 1 GiB for this ioctl alone, and rarely above 16 MiB so
 * that one call stays short on the emulated guest.
 */
static __u64 fuzz_domain_len(struct fz_thread *t)
{
	switch (rnd(t, 10)) {
	case 0:
		return 0;
	case 1:
		return 1 + rnd(t, SZ_4K - 1);
	case 2:
		return rnd(t, 2) ? SZ_1G : SZ_2M;
	case 3:
		return 1 + rnd(t, 16 * 1024 * 1024);
	default:
		return (1 + rnd(t, 64)) * SZ_4K;
	}
}

/* PASIDs: the RID, small, the edges of widths, held ones, huge. */
static __u64 fuzz_pasid(struct fz_thread *t)
{
	switch (rnd(t, 12)) {
	case 0:
		return 0;
	case 1:
		return 255 + rnd(t, 2);
	case 2:
		return IOASID_PASID_MAX + rnd(t, 2);
	case 3:
		return rnd(t, 2) ? rnd64(t) : 0x80000000U;
	case 4:
	case 5:
	case 6:
		return pasid_get(t);
	case 7:
		return 1 + rnd(t, IOASID_PASID_MAX);
	default:
		return 1 + rnd(t, 64);
	}
}

/*
 * A nested HWPT's stage 1 for a fuzzed IOASID_HWPT_ALLOC: in the out
 * buffer, of either format, valid or not, with a zero or non-zero tail;
 * or a pointer the kernel cannot read.
 */
static __u64 fuzz_nested_ptr(struct fz_thread *t)
{
	char *p = t->out + rnd(t, OUT_LEN / 128 - 1) * 128;
	unsigned int i, len;

	if (!rnd(t, 4))
		return fuzz_outptr(t);
	len = fill_nested_data(t, p, rnd(t, 2), !rnd(t, 3));
	memset(p + len, 0, 128 - len);
	if (!rnd(t, 4))
		p[len + rnd(t, 128 - len)] = 1 + rnd(t, 255);
	if (!rnd(t, 8))
		for (i = 0; i < len; i++)
			p[i] = rnd(t, 256);
	return (uintptr_t)p;
}

/* An array of invalidation entries, of some format and stride. */
static __u64 fuzz_inv_ptr(struct fz_thread *t)
{
	static const unsigned int strides[] = { 16, 24, 32, 64 };
	unsigned int stride = strides[rnd(t, 4)], i, n = 1 + rnd(t, 64);
	char *p = t->out + rnd(t, 16) * 64;
	bool smmuv3 = rnd(t, 2);

	if (!rnd(t, 5))
		return fuzz_outptr(t);
	for (i = 0; i < n && p + (i + 1) * stride <= t->out + OUT_LEN; i++) {
		memset(p + i * stride, 0, stride);
		fill_inv_entry(t, p + i * stride, smmuv3, !rnd(t, 16));
		/* A non-zero tail, beyond what the kernel knows. */
		if (stride > 24 && !rnd(t, 16))
			p[i * stride + 24 + rnd(t, stride - 24)] = 1;
	}
	return (uintptr_t)p;
}

static __u64 fuzz_field(struct fz_thread *t, const struct fz_fieldspec *f)
{
	switch (f->type) {
	case F_FLAGS:
		switch (rnd(t, 8)) {
		case 0:
			return 0;
		case 1:
			return rnd64(t);
		case 2:
			return f->mask | 1ULL << rnd(t, 32);
		default:
			return rnd64(t) & f->mask;
		}
	case F_RSVD:
		return rnd(t, 8) ? 0 : rnd64(t) | 1;
	case F_ID:
		return fuzz_id(t, f->kind);
	case F_OUT:
		return rnd(t, 2) ? 0 : rnd64(t);
	case F_UVA:
		return fuzz_uva(t);
	case F_LEN:
		return fuzz_len(t);
	case F_DLEN:
		return fuzz_domain_len(t);
	case F_PLEN:
		switch (rnd(t, 6)) {
		case 0:
			return fuzz_len(t);
		case 1:
			/* Around the limits: 64 KiB and 16 MiB. */
			return (rnd(t, 2) ? 0x10000 : 0x1000000) + rnd(t, 3) - 1;
		default:
			return 1 + rnd(t, 3 * SZ_4K);
		}
	case F_IOVA:
		return fuzz_iova(t);
	case F_ALIGN:
		return fuzz_align(t);
	case F_FD:
		return (__u32)fuzz_fd(t, false);
	case F_BIND_FD:
		return (__u32)fuzz_fd(t, true);
	case F_CTX_FD:
		return (__u32)(rnd(t, 3) ? t->fz->fd : fuzz_fd(t, false));
	case F_ASID:
		return rnd(t, 8) ? rnd(t, 2) : rnd(t, 4) ? 2 + rnd(t, 3) :
		       (__u32)rnd64(t);
	case F_OUTPTR:
		return fuzz_outptr(t);
	case F_INPTR:
		return fuzz_inptr(t);
	case F_NUM:
		return fuzz_num(t);
	case F_PADDR:
		switch (rnd(t, 4)) {
		case 0:
			return rnd64(t);
		case 1:
			return ~0ULL - rnd(t, SZ_4K);
		default:
			return rnd(t, 1ULL << 40) & ~(SZ_4K - 1);
		}
	case F_PROT:
		return rnd(t, 6) ? rnd(t, 4) : rnd64(t);
	case F_OPTION:
		return rnd(t, 4) ? IOASID_OPTION_ACCOUNT_MODE : rnd(t, 4);
	case F_VAL:
		return rnd(t, 4) ? rnd(t, 2) : rnd64(t);
	case F_FOFF:
		switch (rnd(t, 4)) {
		case 0:
			return rnd64(t);
		case 1:
			return MEMFD_LEN - SZ_4K * rnd(t, 2);
		default:
			return rnd(t, MEMFD_LEN / SZ_4K) * SZ_4K;
		}
	case F_PASID:
		return fuzz_pasid(t);
	case F_CONFIGS:
		return rnd(t, 6) ? rnd(t, 8) : rnd64(t);
	case F_KOP:
		return rnd(t, 6) ? rnd(t, 3) : rnd64(t);
	case F_DMALEN:
		switch (rnd(t, 8)) {
		case 0:
			return 0;
		case 1:
			return rnd64(t);
		case 2:
			/* Around the limit. */
			return IOASID_TEST_MOCK_DMA_MAX + rnd(t, 3) - 1;
		case 3:
			return 1 + rnd(t, OUT_LEN + SZ_4K);
		default:
			return 1 + rnd(t, 2 * SZ_4K);
		}
	case F_BITS:
		switch (rnd(t, 4)) {
		case 0:
			return rnd64(t);
		case 1:
			return 0;
		default:
			return rnd(t, 23);
		}
	case F_DTYPE:
		switch (rnd(t, 8)) {
		case 0:
			return rnd64(t);
		case 1:
			return 3 + rnd(t, 8);
		case 2:
		case 3:
		case 4:
			return IOASID_HWPT_DATA_NONE;
		default:
			return rnd(t, 2) ? IOASID_HWPT_DATA_VTD_S1 :
					   IOASID_HWPT_DATA_ARM_SMMUV3;
		}
	case F_NDATA:
		return fuzz_nested_ptr(t);
	case F_NDLEN:
		switch (rnd(t, 8)) {
		case 0:
			return 0;
		case 1:
			return rnd64(t);
		case 2:
			return rnd(t, 129);
		case 3:
			return 1 + rnd(t, 15);
		case 4:
			/* Longer than the struct. */
			return 24 + 8 * (1 + rnd(t, 12));
		default:
			return rnd(t, 2) ? sizeof(struct ioasid_hwpt_vtd_s1) :
				sizeof(struct ioasid_hwpt_arm_smmuv3);
		}
	case F_ITYPE:
		switch (rnd(t, 6)) {
		case 0:
			return rnd64(t);
		case 1:
			return 2 + rnd(t, 8);
		default:
			return rnd(t, 2) ? IOASID_HWPT_INVALIDATE_DATA_VTD_S1 :
				IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3;
		}
	case F_IDATA:
		return fuzz_inv_ptr(t);
	case F_ELEN:
		switch (rnd(t, 10)) {
		case 0:
			return 0;
		case 1:
			return rnd64(t);
		case 2:
			return 1 + rnd(t, 15);
		case 3:
			return IOASID_HWPT_INVALIDATE_ENTRY_MAX + rnd(t, 2);
		case 4:
			return 32 + rnd(t, 64);
		default:
			return rnd(t, 2) ? 16 : 24;
		}
	case F_ENUM:
		switch (rnd(t, 10)) {
		case 0:
			return 0;
		case 1:
			return rnd64(t);
		case 2:
			return IOASID_HWPT_INVALIDATE_NUM_MAX + rnd(t, 2);
		case 3:
			return rnd(t, 5000);
		default:
			return 1 + rnd(t, 8);
		}
	case F_NENT:
		switch (rnd(t, 8)) {
		case 0:
			return rnd(t, 2) ? 0 : rnd64(t);
		case 1:
			/* Around the limit. */
			return IOASID_FAULT_QUEUE_MAX_ENTRIES +
			       rnd(t, 2) * IOASID_FAULT_QUEUE_MAX_ENTRIES - 1 +
			       rnd(t, 2);
		case 2:
			return 3 + rnd(t, 100);
		default:
			return 1U << rnd(t, 9);
		}
	case F_EFD:
		switch (rnd(t, 6)) {
		case 0:
			return 0;
		case 1:
			return rnd(t, 2) ? -1 : rnd64(t);
		case 2:
			return fuzz_fd(t, false);
		default:
			return t->fz->efd;
		}
	case F_ICOUNT:
		switch (rnd(t, 10)) {
		case 0:
			return rnd(t, 2) ? 0 : rnd64(t);
		case 1:
			return IOASID_TEST_IOPF_MAX + rnd(t, 2);
		case 2:
			return 1 + rnd(t, 1024);
		default:
			return 1 + rnd(t, 16);
		}
	case F_PERM:
		return rnd(t, 8) ? 1 + rnd(t, 15) : rnd64(t);
	case F_TMO:
		/* Long enough to be answered, never long enough to stall. */
		switch (rnd(t, 6)) {
		case 0:
			return 0;
		case 1:
			return 60001 + rnd(t, 0x7fffffff);
		default:
			return 1 + rnd(t, 20);
		}
	}
	return 0;
}

static void put_field(void *p, unsigned int width, __u64 v)
{
	switch (width) {
	case 1:
		*(__u8 *)p = v;
		break;
	case 2:
		*(__u16 *)p = v;
		break;
	case 3:
		/* __u8 __reserved[3]: one byte set, or none. */
		memset(p, 0, 3);
		if (v)
			((__u8 *)p)[v % 3] = (v >> 8) | 1;
		break;
	case 4:
		*(__u32 *)p = v;
		break;
	case 8:
		*(__u64 *)p = v;
		break;
	}
}

/* A struct size: 0, short, the first layout, exact, longer, huge. */
static unsigned int fuzz_size(struct fz_thread *t, const struct fz_op *o,
			      bool *nonzero_tail)
{
	unsigned int r = rnd(t, 100);

	*nonzero_tail = false;
	if (r < 3)
		return 0;
	if (r < 9)
		return 1 + rnd(t, o->min_size - 1);
	if (r < 15)
		return o->min_size + rnd(t, o->size - o->min_size + 1);
	if (r < 70)
		return o->size;
	if (r < 82)
		return o->size + 1 + rnd(t, 64);
	if (r < 92) {
		*nonzero_tail = true;
		return o->size + 1 + rnd(t, 64);
	}
	if (r < 97)
		return o->size + rnd(t, ARG_LEN - o->size);
	/* Longer than the memory behind it: the tail check faults. */
	return rnd(t, 2) ? 0xffffffffU : ARG_LEN + rnd(t, 1 << 20);
}

static void fuzz_one(struct fz_thread *t)
{
	const struct fz_fieldspec *f;
	const struct fz_op *o;
	unsigned int size, span;
	bool nonzero_tail;
	char *arg;
	int op;

	/* Now and then an ioctl number that is not one. */
	if (!rnd(t, 40)) {
		static const unsigned long bad[] = {
			_IO(IOASID_TYPE, 0x3f), _IO(IOASID_TYPE, 0x63),
			_IO(IOASID_TYPE, 0x64), _IO(IOASID_TYPE, 0xff),
			_IOWR(IOASID_TYPE, IOASID_CMD_DESTROY, __u32),
			_IOR(IOASID_TYPE, IOASID_CMD_IOAS_MAP, __u64),
			_IO('a', IOASID_CMD_GET_INFO),
		};
		unsigned long cmd = bad[rnd(t, 7)];
		struct ioasid_info info = { .size = sizeof(info) };
		int err;

		/* The holes after the API's and the test commands. */
		if (cmd == _IO(IOASID_TYPE, 0x3f))
			cmd = _IO(IOASID_TYPE, rnd(t, 2) ?
				  LAST_API_CMD + 1 +
				  rnd(t, 0x3f - LAST_API_CMD) :
				  LAST_TEST_CMD + 1 +
				  rnd(t, 0x63 - LAST_TEST_CMD));
		err = ioctl_err(t->fz->fd, cmd, &info);
		__atomic_fetch_add(&t->fz->calls, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&t->fz->per_op[NR_OPS], 1,
				   __ATOMIC_RELAXED);
		if (err != ENOTTY)
			report(t, NR_OPS, cmd, err, &info, sizeof(info));
		return;
	}

	op = rnd(t, NR_OPS);
	/* Without a vDPA device, the vhost-vdpa ioctls have no file. */
	if (fz_ops[op].vhost && t->fz->vfd < 0)
		op = OP_GET_INFO;
	o = &fz_ops[op];
	size = fuzz_size(t, o, &nonzero_tail);
	span = size > o->size ? size : o->size;
	arg = arg_at_end(t, span);
	memset(arg, 0, t->arg + ARG_LEN - arg);
	for (f = o->f; f->type != F_END; f++)
		put_field(arg + f->off, f->width, fuzz_field(t, f));
	memcpy(arg, &size, 4);
	if (nonzero_tail && size > o->size)
		arg[o->size + rnd(t, size - o->size)] = 1 + rnd(t, 255);

	/* Now and then the struct itself is out of reach. */
	switch (rnd(t, 50)) {
	case 0:
		arg = (char *)(uintptr_t)kernel_addrs[rnd(t, 4)];
		break;
	case 1:
		arg = t->fz->hole;
		break;
	case 2:
		/* The size is readable, the rest is not. */
		memcpy(t->arg + ARG_LEN - 4, &size, 4);
		arg = t->arg + ARG_LEN - 4;
		break;
	case 3:
		arg = NULL;
		break;
	}
	__atomic_fetch_add(&t->fz->fuzzed, 1, __ATOMIC_RELAXED);
	fz_call(t, op, arg);
}

static void *fz_thread_fn(void *p)
{
	struct fz_thread *t = p;

	t->own_qfd = -1;
	while (!t->fz->stop && ioasid_now_ns() < t->fz->deadline) {
		if (rnd(t, 100) < 35)
			build_one(t);
		else
			fuzz_one(t);
	}
	if (t->own_qfd >= 0)
		close(t->own_qfd);
	t->own_qfd = -1;
	return NULL;
}

/* Memory with an inaccessible page after it. */
static void *map_guarded(size_t len)
{
	char *p = mmap(NULL, len + SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + len, SZ_4K, PROT_NONE)) {
		munmap(p, len + SZ_4K);
		return NULL;
	}
	memset(p, 0, len);
	return p;
}

static void fz_summary(struct __test_metadata *_metadata, struct fz *fz)
{
	char line[512];
	int i, n = 0;

	TH_LOG("%lu calls (%lu fuzzed), %lu succeeded, %lu unexpected errnos, %u rounds",
	       fz->calls, fz->fuzzed, fz->ok, fz->unexpected, fz->round);
	for (i = 0; i <= NR_OPS; i++)
		n += snprintf(line + n, sizeof(line) - n, "%s%lu",
			      i ? "," : "", fz->per_op[i]);
	TH_LOG("calls per ioctl (table order): %s", line);
	TH_LOG("nesting: %lu parents, %lu nested HWPTs, %lu attachments, %lu invalidations, %lu DMAs walked",
	       fz->nest_parents, fz->nest_allocs, fz->nest_attaches,
	       fz->nest_invs, fz->nest_dmas);
	TH_LOG("faults: %lu queues, %lu HWPTs with one, %lu records consumed, %lu answers",
	       fz->fault_queues, fz->fault_hwpts, fz->fault_records,
	       fz->fault_answers);
	for (i = 0; i < fz->nundoc; i++)
		TH_LOG("undocumented: %s %s (errno %d), %lu times",
		       op_name(fz->undoc[i].op),
		       strerrorname_np(fz->undoc[i].err) ?: "?",
		       fz->undoc[i].err, fz->undoc[i].count);
}

static int open_ioasid(void)
{
	return open("/dev/ioasid", O_RDWR | O_CLOEXEC);
}

static bool have_nesting(int fd)
{
	struct ioasid_info info = { .size = sizeof(info) };

	return !ioctl(fd, IOASID_GET_INFO, &info) &&
	       (info.features & IOASID_FEATURE_NESTING);
}

FIXTURE(fuzz)
{
	int fd;
	long pinned_kb;
};

FIXTURE_SETUP(fuzz)
{
	struct ioasid_info info = { .size = sizeof(info) };

	self->fd = open_ioasid();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "no /dev/ioasid");
	ASSERT_LE(0, self->fd);
	if (ioctl(self->fd, IOASID_GET_INFO, &info) ||
	    !(info.features & IOASID_FEATURE_TEST))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	self->pinned_kb = vm_pinned_kb();
	ASSERT_LE(0, self->pinned_kb);
}

FIXTURE_TEARDOWN(fuzz)
{
	close(self->fd);
}

TEST_F_TIMEOUT(fuzz, ioctls, FUZZ_TIMEOUT)
{
	static const unsigned char vdpa_mac[ETH_ALEN] = {
		2, 0x5a, 0xa5, 0, 0, 0x0f
	};
	struct fz_thread th[MAX_THREADS];
	static const char * const vdpa_mgmt[2] = {
		VDPA_MGMTDEV, IOASID_TEST_VDPA_MGMTDEV
	};
	static const char * const vdpa_name[2] = {
		"vdpa-ioasid-fz", "vdpa-ioasid-fz-iommu"
	};
	char vpath[300];
	int family, vdpa[2];
	pthread_t pt[MAX_THREADS];
	unsigned long long seconds, round_seconds;
	char path[64];
	__u64 end;
	bool nesting;
	struct fz *fz;
	int i;

	nesting = have_nesting(self->fd);
	fz = calloc(1, sizeof(*fz));
	ASSERT_NE(NULL, fz);
	pthread_mutex_init(&fz->lock, NULL);
	seconds = ioasid_env_ull("IOASID_FUZZ_SECONDS", 30);
	if (!seconds)
		seconds = 1;
	if (seconds > MAX_SECONDS)
		seconds = MAX_SECONDS;
	round_seconds = ioasid_env_ull("IOASID_FUZZ_ROUND_SECONDS", 5);
	if (!round_seconds)
		round_seconds = 1;
	fz->nthreads = ioasid_env_ull("IOASID_FUZZ_THREADS", 3);
	if (fz->nthreads < 1)
		fz->nthreads = 1;
	if (fz->nthreads > MAX_THREADS)
		fz->nthreads = MAX_THREADS;
	fz->seed = ioasid_env_seed("IOASID_FUZZ_SEED");
	TH_LOG("seed 0x%llx (replay with IOASID_FUZZ_SEED=0x%llx), %llu s in rounds of %llu s, %d threads",
	       (unsigned long long)fz->seed, (unsigned long long)fz->seed,
	       seconds, round_seconds, fz->nthreads);

	fz->dbuf = map_guarded(DBUF_LEN);
	ASSERT_NE(NULL, fz->dbuf);
	memset(fz->dbuf, 0x5a, DBUF_LEN);
	fz->ro = mmap(NULL, SZ_4K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	ASSERT_NE(MAP_FAILED, fz->ro);
	fz->hole = mmap(NULL, 2 * SZ_4K, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fz->hole);
	fz->memfd = memfd_create("ioasid_fuzz", MFD_CLOEXEC);
	ASSERT_LE(0, fz->memfd);
	ASSERT_EQ(0, ftruncate(fz->memfd, MEMFD_LEN));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fz->memfd);
	fz->memfd_ro = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fz->memfd_ro);
	fz->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fz->null_fd);
	fz->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, fz->efd);
	for (i = 0; i < POOL; i++)
		fz->qfds[i].fd = -1;
	for (i = 0; i < fz->nthreads; i++) {
		th[i].fz = fz;
		th[i].tid = i;
		th[i].arg = map_guarded(ARG_LEN);
		th[i].out = map_guarded(OUT_LEN);
		ASSERT_NE(NULL, th[i].arg);
		ASSERT_NE(NULL, th[i].out);
	}

	/*
	 * vDPA devices, for the vhost-vdpa ioctls, when the kernel has them:
	 * a simulator's (an emulated device) and one behind the test IOMMU;
	 * each call goes to either.
	 */
	for (i = 0; i < 2; i++) {
		fz->vfds[i] = -1;
		vdpa[i] = vdpa_test_dev_create_on(vdpa_mgmt[i], vdpa_name[i],
						  i ? NULL : vdpa_mac, &family,
						  vpath, sizeof(vpath));
		if (vdpa[i])
			continue;
		fz->vfds[i] = vdpa_test_open(vpath);
		if (fz->vfds[i] >= 0 &&
		    vhost_ioasid_missing(vdpa_bind(fz->vfds[i], -1, NULL))) {
			close(fz->vfds[i]);
			fz->vfds[i] = -1;
		}
		if (fz->vfds[i] >= 0)
			TH_LOG("vhost-vdpa ioctls on %s (%s)", vpath,
			       vdpa_mgmt[i]);
		else
			TH_LOG("no %s device or VHOST_VDPA_BIND_IOASID: not fuzzed",
			       vdpa_mgmt[i]);
	}

	fz->vfd = fz->vfds[0] >= 0 ? fz->vfds[0] : fz->vfds[1];

	/* Fresh files each round: state stays bounded, leaks show early. */
	end = ioasid_now_ns() + seconds * 1000000000ULL;
	while (ioasid_now_ns() < end) {
		__u64 now = ioasid_now_ns();

		fz->fd = open_ioasid();
		ASSERT_LE(0, fz->fd);
		fz->other_fd = open_ioasid();
		ASSERT_LE(0, fz->other_fd);
		memset(fz->ids, 0, sizeof(fz->ids));
		memset(fz->destroyed, 0, sizeof(fz->destroyed));
		memset(fz->maps, 0, sizeof(fz->maps));
		memset(fz->pasids, 0, sizeof(fz->pasids));
		memset(fz->binds, 0, sizeof(fz->binds));
		memset(fz->nests, 0, sizeof(fz->nests));
		fz->deadline = now + round_seconds * 1000000000ULL;
		if (fz->deadline > end)
			fz->deadline = end;
		for (i = 0; i < fz->nthreads; i++) {
			th[i].rng = ioasid_rng_seed(fz->seed,
						    fz->round * MAX_THREADS + i);
			ASSERT_EQ(0, pthread_create(&pt[i], NULL, fz_thread_fn,
						    &th[i]));
		}
		for (i = 0; i < fz->nthreads; i++)
			ASSERT_EQ(0, pthread_join(pt[i], NULL));
		/* A binding keeps its context: end them first. */
		for (i = 0; i < 2; i++)
			if (fz->vfds[i] >= 0)
				vdpa_unbind(fz->vfds[i]);
		ASSERT_EQ(0, close(fz->fd));
		ASSERT_EQ(0, close(fz->other_fd));
		qfd_close_all(fz);
		/* Closing the files released every pin. */
		EXPECT_EQ(self->pinned_kb, vm_pinned_kb())
			TH_LOG("pinned after round %u", fz->round);
		fz->round++;
	}
	for (i = 0; i < 2; i++) {
		if (fz->vfds[i] >= 0)
			close(fz->vfds[i]);
		if (!vdpa[i])
			EXPECT_EQ(0, vdpa_dev_del(family, vdpa_name[i]));
	}
	fz_summary(_metadata, fz);
	EXPECT_EQ(0, fz->unexpected);
	EXPECT_EQ(0, fz->impossible);
	/* The nested paths were reached, not only their first checks. */
	if (nesting) {
		EXPECT_LT(0, fz->nest_allocs);
		EXPECT_LT(0, fz->nest_invs);
	}
	/* And the fault queues delivered records. */
	EXPECT_LT(0, fz->fault_hwpts);
	EXPECT_LT(0, fz->fault_records);
}

TEST_HARNESS_MAIN
