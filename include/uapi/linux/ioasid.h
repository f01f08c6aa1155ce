/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/ioasid: IO address spaces and hardware page tables for user space.
 *
 * Every ioctl takes a pointer to a struct that starts with its size in
 * bytes.  The kernel accepts any size from the first published layout of
 * the struct up: fields the caller does not know about are treated as
 * zero, and fields the kernel does not know about must be zero.  Outputs
 * are written back up to the caller's size.
 *
 * Errors common to every ioctl: %ENOTTY for an unknown ioctl number;
 * %EFAULT for a bad pointer; %EINVAL for a size below the first layout or
 * a non-zero reserved field; %E2BIG for a larger size whose extra bytes
 * are not zero; %EOPNOTSUPP for an unknown flag; %ENOENT for an id that
 * names no object of the expected kind.  Object ids are never 0.
 */
#ifndef _UAPI_LINUX_IOASID_H
#define _UAPI_LINUX_IOASID_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOASID_TYPE (';')

/*
 * The ';' 0x00-0x63 ioctl range belongs to /dev/ioasid: 0x00-0x3f for the
 * API below, 0x40-0x63 for test-only commands that exist only in kernels
 * built with CONFIG_IOASID_TEST.
 */
#define IOASID_CMD_BASE 0x00
#define IOASID_TEST_CMD_BASE 0x40

/**
 * DOC: IOASID_API_VERSION
 *
 * Version of the ioctl interface reported by %IOASID_GET_INFO.  It changes
 * only on an incompatible change, which the interface is designed never to
 * need: new capabilities are announced in &struct ioasid_info.features.
 */
#define IOASID_API_VERSION 1

enum {
	IOASID_CMD_DESTROY = IOASID_CMD_BASE,
	IOASID_CMD_GET_INFO,
};

/**
 * struct ioasid_destroy - ioctl(IOASID_DESTROY)
 * @size: sizeof(struct ioasid_destroy)
 * @flags: Must be 0
 * @id: Id of the object to destroy; any kind of object
 * @__reserved: Must be 0
 *
 * Destroy an object of the context.  An object that another object or an
 * attached device still uses cannot be destroyed.
 *
 * Errors: %ENOENT if @id names no object; %EBUSY if the object is in use.
 */
struct ioasid_destroy {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 __reserved;
};

#define IOASID_DESTROY _IO(IOASID_TYPE, IOASID_CMD_DESTROY)

/**
 * enum ioasid_feature - Capabilities reported in &struct ioasid_info.features
 * @IOASID_FEATURE_TEST: The test-only ioctls and the test IOMMU driver are
 *                       built in (CONFIG_IOASID_TEST).  Never set on a
 *                       production kernel.
 */
enum ioasid_feature {
	IOASID_FEATURE_TEST = 1 << 0,
};

/**
 * struct ioasid_info - ioctl(IOASID_GET_INFO)
 * @size: sizeof(struct ioasid_info)
 * @flags: Must be 0
 * @api_version: Output, %IOASID_API_VERSION
 * @__reserved: Must be 0
 * @features: Output, bitmap of &enum ioasid_feature
 *
 * Report what this kernel's /dev/ioasid supports, so that user space can
 * probe before it relies on a capability.
 */
struct ioasid_info {
	__u32 size;
	__u32 flags;
	__u32 api_version;
	__u32 __reserved;
	__aligned_u64 features;
};

#define IOASID_GET_INFO _IO(IOASID_TYPE, IOASID_CMD_GET_INFO)

#endif /* _UAPI_LINUX_IOASID_H */
