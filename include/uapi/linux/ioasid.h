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
 * The minimum size is one rule for every ioctl: the whole first published
 * struct, sizeof() as the header first defined it, padding included (every
 * struct is padded explicitly to a multiple of 8 bytes, the same on 32 and
 * 64-bit).  A struct that grows later keeps that first size as its minimum.
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
	IOASID_CMD_IOAS_ALLOC,
	IOASID_CMD_IOAS_MAP,
	IOASID_CMD_IOAS_UNMAP,
	IOASID_CMD_IOAS_IOVA_RANGES,
	IOASID_CMD_IOAS_COPY,
	IOASID_CMD_OPTION,
	IOASID_CMD_IOAS_MAP_FILE,
	IOASID_CMD_IOAS_ALLOW_IOVAS,
	IOASID_CMD_IOAS_RESERVE,
	IOASID_CMD_HWPT_ALLOC,
	IOASID_CMD_DEVICE_GET_HW_INFO,
	IOASID_CMD_DEVICE_GET_PASID_INFO,
	IOASID_CMD_PASID_ALLOC,
	IOASID_CMD_PASID_FREE,
	IOASID_CMD_HWPT_INVALIDATE,
	IOASID_CMD_FAULT_QUEUE_ALLOC,
	IOASID_CMD_FAULT_QUEUE_RESPOND,
};

/**
 * struct ioasid_destroy - ioctl(IOASID_DESTROY)
 * @size: sizeof(struct ioasid_destroy)
 * @flags: Must be 0
 * @id: Id of the object to destroy; any kind of object
 * @__reserved: Must be 0
 *
 * Destroy an object of the context.  An object that another object or an
 * attached device still uses cannot be destroyed, nor one that is in use
 * by another call at that moment.  Objects the kernel creates on behalf of
 * their owner, such as devices bound by the subsystem that owns them, are
 * destroyed only by that owner.
 *
 * Errors: %ENOENT if @id names no object; %EBUSY if the object is in use;
 * %EPERM if only the kernel may destroy it (a bound device).
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
 * @IOASID_FEATURE_IOAS: IO address spaces: %IOASID_IOAS_ALLOC,
 *                       %IOASID_IOAS_MAP, %IOASID_IOAS_UNMAP,
 *                       %IOASID_IOAS_IOVA_RANGES and %IOASID_IOAS_COPY.
 * @IOASID_FEATURE_ACCOUNT_MODE: %IOASID_OPTION_ACCOUNT_MODE of
 *                               %IOASID_OPTION.
 * @IOASID_FEATURE_MAP_FILE: %IOASID_IOAS_MAP_FILE.
 * @IOASID_FEATURE_ALLOW_IOVAS: %IOASID_IOAS_ALLOW_IOVAS and
 *                              %IOASID_IOAS_RESERVE.
 * @IOASID_FEATURE_HWPT: Devices bound by their owning subsystem, attached
 *                       to an IOAS or a HWPT; %IOASID_HWPT_ALLOC.
 * @IOASID_FEATURE_HW_INFO: %IOASID_DEVICE_GET_HW_INFO.
 * @IOASID_FEATURE_PASID: PASID attachments of bound devices, within the
 *                        policy their owner declares, and
 *                        %IOASID_DEVICE_GET_PASID_INFO.
 * @IOASID_FEATURE_GLOBAL_PASID: %IOASID_PASID_ALLOC and %IOASID_PASID_FREE.
 * @IOASID_FEATURE_FAULT: Fault queues: %IOASID_FAULT_QUEUE_ALLOC,
 *                        %IOASID_FAULT_QUEUE_RESPOND and
 *                        &struct ioasid_hwpt_alloc.fault_id.
 * @IOASID_FEATURE_NESTING: Nesting-parent and nested HWPTs
 *                          (%IOASID_HWPT_ALLOC with
 *                          %IOASID_HWPT_ALLOC_NEST_PARENT or a @data_type)
 *                          and %IOASID_HWPT_INVALIDATE, where a device's
 *                          IOMMU driver implements them.
 */
enum ioasid_feature {
	IOASID_FEATURE_TEST = 1 << 0,
	IOASID_FEATURE_IOAS = 1 << 1,
	IOASID_FEATURE_ACCOUNT_MODE = 1 << 2,
	IOASID_FEATURE_MAP_FILE = 1 << 3,
	IOASID_FEATURE_ALLOW_IOVAS = 1 << 4,
	IOASID_FEATURE_HWPT = 1 << 5,
	IOASID_FEATURE_HW_INFO = 1 << 6,
	IOASID_FEATURE_PASID = 1 << 7,
	IOASID_FEATURE_GLOBAL_PASID = 1 << 8,
	IOASID_FEATURE_NESTING = 1 << 9,
	IOASID_FEATURE_FAULT = 1 << 10,
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

/**
 * struct ioasid_ioas_alloc - ioctl(IOASID_IOAS_ALLOC)
 * @size: sizeof(struct ioasid_ioas_alloc)
 * @flags: Must be 0
 * @out_ioas_id: Output, id of the new IO address space
 * @__reserved: Must be 0
 *
 * Create an empty IO address space (IOAS): a kernel-managed set of
 * mappings from IOVA to user memory, kept in every page table attached to
 * it.
 */
struct ioasid_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
	__u32 __reserved;
};

#define IOASID_IOAS_ALLOC _IO(IOASID_TYPE, IOASID_CMD_IOAS_ALLOC)

/**
 * enum ioasid_ioas_map_flags - Flags of &struct ioasid_ioas_map
 * @IOASID_IOAS_MAP_FIXED_IOVA: Map at &struct ioasid_ioas_map.iova; without
 *                              it the kernel chooses the IOVA
 * @IOASID_IOAS_MAP_READ: Devices may read the memory
 * @IOASID_IOAS_MAP_WRITE: Devices may write the memory
 */
enum ioasid_ioas_map_flags {
	IOASID_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOASID_IOAS_MAP_READ = 1 << 1,
	IOASID_IOAS_MAP_WRITE = 1 << 2,
};

/**
 * struct ioasid_ioas_map - ioctl(IOASID_IOAS_MAP)
 * @size: sizeof(struct ioasid_ioas_map)
 * @flags: Bitmap of &enum ioasid_ioas_map_flags; READ, WRITE or both
 * @ioas_id: IO address space to map into
 * @__reserved: Must be 0
 * @user_va: Page aligned start of the caller's memory
 * @length: Page aligned, non-zero length in bytes
 * @iova: With %IOASID_IOAS_MAP_FIXED_IOVA the IOVA to map at; otherwise an
 *        output, the IOVA the kernel chose
 * @iova_alignment: Without %IOASID_IOAS_MAP_FIXED_IOVA, the alignment the
 *                  chosen IOVA must have, a power of two of at most 2^62;
 *                  0 lets the kernel pick one that allows the largest
 *                  IOMMU pages: the largest power of two that divides
 *                  @user_va, is not above @length and is at most 1 GiB.
 *                  Either way it is raised to the IOAS's IOVA alignment
 *                  (see %IOASID_IOAS_IOVA_RANGES), so one below the page
 *                  size is accepted and means the page size.  Must be 0
 *                  with %IOASID_IOAS_MAP_FIXED_IOVA.
 *
 * Pin the memory and map it into the IOAS, and so into every page table
 * attached to it, readable and/or writable as asked, always cache
 * coherent.  The pages are charged to the caller's RLIMIT_MEMLOCK unless
 * it has CAP_IPC_LOCK; they stay pinned until unmapped.  Each map pins and
 * charges its own pages: the same memory mapped twice is pinned and
 * charged twice (%IOASID_IOAS_COPY shares pins instead).  A kernel-chosen
 * IOVA is the lowest suitably aligned free range.  When @iova cannot be
 * written back (%EFAULT), the mapping is undone.
 *
 * Errors: %EINVAL for a zero length, a misaligned address or length, an
 * alignment that is not a power of two or above 2^62, or neither READ nor
 * WRITE; %EOVERFLOW for a range that wraps; %EADDRINUSE for a fixed range
 * outside the usable windows (see %IOASID_IOAS_IOVA_RANGES); %EEXIST when
 * a fixed range overlaps a mapping; %ENOSPC when no free, suitably aligned
 * IOVA range fits in the usable windows; %ENOMEM when the memory lock
 * limit would be exceeded; %EFAULT when the memory is not mapped, or is
 * read-only and WRITE is asked for; %EINTR when a fatal signal stopped the
 * pinning or the mapping (nothing stays pinned or mapped).
 */
struct ioasid_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
	__aligned_u64 iova_alignment;
};

#define IOASID_IOAS_MAP _IO(IOASID_TYPE, IOASID_CMD_IOAS_MAP)

/**
 * enum ioasid_ioas_unmap_flags - Flags of &struct ioasid_ioas_unmap
 * @IOASID_IOAS_UNMAP_ALL: Unmap everything; iova and length must be 0
 */
enum ioasid_ioas_unmap_flags {
	IOASID_IOAS_UNMAP_ALL = 1 << 0,
};

/**
 * struct ioasid_ioas_unmap - ioctl(IOASID_IOAS_UNMAP)
 * @size: sizeof(struct ioasid_ioas_unmap)
 * @flags: Bitmap of &enum ioasid_ioas_unmap_flags
 * @ioas_id: IO address space
 * @__reserved: Must be 0
 * @iova: Start of the range
 * @length: Length of the range in bytes
 * @out_unmapped: Output, bytes unmapped
 *
 * Unmap every mapping inside the range and unpin its memory.  The range
 * must cover whole mappings: nothing is unmapped if it cuts one.  With
 * %IOASID_IOAS_UNMAP_ALL an IOAS without mappings is no error:
 * @out_unmapped is then 0.  When in-kernel accesses (devices whose DMA is
 * done in software) hold pages of the range pinned, their drivers are
 * asked to release them, again and again as long as they do release some.
 * The reply is written after the unmap: %EFAULT then means that the
 * mappings are gone but @out_unmapped could not be written.
 *
 * Errors: %EINVAL for a zero length, a misaligned range or a range that
 * cuts a mapping; %EOVERFLOW for a range that wraps; %ENOENT when a range
 * (not %IOASID_IOAS_UNMAP_ALL) holds no mapping; %EBUSY when an in-kernel
 * access keeps pages of the range pinned after it was asked to release
 * them; %EINTR when a fatal signal arrived while waiting for the accesses.
 * On %EBUSY and %EINTR nothing is unmapped.
 */
struct ioasid_ioas_unmap {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 out_unmapped;
};

#define IOASID_IOAS_UNMAP _IO(IOASID_TYPE, IOASID_CMD_IOAS_UNMAP)

/**
 * struct ioasid_iova_range - An inclusive range of IOVA
 * @start: First IOVA
 * @last: Last IOVA
 */
struct ioasid_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct ioasid_ioas_iova_ranges - ioctl(IOASID_IOAS_IOVA_RANGES)
 * @size: sizeof(struct ioasid_ioas_iova_ranges)
 * @flags: Must be 0
 * @ioas_id: IO address space
 * @num_ranges: Input, capacity of @ranges in entries; output, the number of
 *              usable windows
 * @ranges: User pointer to an array of &struct ioasid_iova_range
 * @out_iova_alignment: Output, the alignment every IOVA and length must
 *                      have
 *
 * Report the usable IOVA windows of the IOAS, in ascending order: the
 * intersection of the apertures of the page tables attached to it, minus
 * the reserved regions of the attached devices (such as the interrupt
 * window), within the allowed ranges if %IOASID_IOAS_ALLOW_IOVAS or
 * %IOASID_IOAS_RESERVE set some.  With nothing attached or allowed every
 * page aligned IOVA is usable.  Cheap: no page table is walked.
 *
 * Errors: %EMSGSIZE when @num_ranges is too small; @num_ranges is then set
 * to the number needed and nothing is written to @ranges.
 */
struct ioasid_ioas_iova_ranges {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 num_ranges;
	__aligned_u64 ranges;
	__aligned_u64 out_iova_alignment;
};

#define IOASID_IOAS_IOVA_RANGES _IO(IOASID_TYPE, IOASID_CMD_IOAS_IOVA_RANGES)

/**
 * struct ioasid_ioas_copy - ioctl(IOASID_IOAS_COPY)
 * @size: sizeof(struct ioasid_ioas_copy)
 * @flags: Bitmap of &enum ioasid_ioas_map_flags; READ, WRITE or both
 * @dst_ioas_id: IO address space to map into
 * @src_ioas_id: IO address space whose mappings are copied; may be
 *               @dst_ioas_id
 * @src_iova: Start of the source range
 * @length: Length of the source range in bytes
 * @dst_iova: With %IOASID_IOAS_MAP_FIXED_IOVA the IOVA the source range
 *            lands at; otherwise an output, the IOVA the kernel chose
 * @iova_alignment: As in &struct ioasid_ioas_map, where 0 aligns like
 *                  @src_iova
 *
 * Map again, at @dst_iova, every mapping of the source range, at the same
 * offsets, readable and/or writable as asked and cache coherent.  The new
 * mappings share the pinned pages of the originals: nothing is pinned or
 * charged again, and the pages stay pinned until the last mapping of them
 * is gone.  The source range must cover whole mappings.  When @dst_iova
 * cannot be written back (%EFAULT), the copies are undone.
 *
 * Errors: as %IOASID_IOAS_MAP for the destination, and %EINVAL when the
 * source range cuts a mapping; %ENOENT when it holds none; %EPERM when
 * WRITE is asked for memory that was mapped read-only.
 */
struct ioasid_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 src_iova;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 iova_alignment;
};

#define IOASID_IOAS_COPY _IO(IOASID_TYPE, IOASID_CMD_IOAS_COPY)

/**
 * enum ioasid_option_id - Options of a context
 * @IOASID_OPTION_ACCOUNT_MODE: How pinned memory is charged, an
 *                              &enum ioasid_account_mode.  Setting it needs
 *                              CAP_SYS_RESOURCE and a context that holds no
 *                              pinned memory.
 */
enum ioasid_option_id {
	IOASID_OPTION_ACCOUNT_MODE = 1,
};

/**
 * enum ioasid_account_mode - Where pinned memory is charged
 * @IOASID_ACCOUNT_USER: To the user's locked_vm against its RLIMIT_MEMLOCK,
 *                       shared by all its processes (the default)
 * @IOASID_ACCOUNT_MM: To the process's locked_vm (VmLck) against its
 *                     RLIMIT_MEMLOCK, as VFIO type1 does
 *
 * In both modes a caller with CAP_IPC_LOCK is not limited (per user it is
 * not charged either, per mm it still counts in VmLck), and pinned memory
 * shows in the process's VmPin.
 */
enum ioasid_account_mode {
	IOASID_ACCOUNT_USER = 0,
	IOASID_ACCOUNT_MM = 1,
};

/**
 * enum ioasid_option_flags - Flags of &struct ioasid_option
 * @IOASID_OPTION_SET: Set the option to @val64; without it, read it into
 *                     @val64
 */
enum ioasid_option_flags {
	IOASID_OPTION_SET = 1 << 0,
};

/**
 * struct ioasid_option - ioctl(IOASID_OPTION)
 * @size: sizeof(struct ioasid_option)
 * @flags: Bitmap of &enum ioasid_option_flags
 * @option_id: An &enum ioasid_option_id
 * @__reserved: Must be 0
 * @val64: The value to set, or the value read
 *
 * Read or change an option of the context.
 *
 * Errors: %EOPNOTSUPP for an unknown option; %EINVAL for a value the
 * option does not take; %EPERM without the capability the option needs;
 * %EBUSY when the option cannot change any more.
 */
struct ioasid_option {
	__u32 size;
	__u32 flags;
	__u32 option_id;
	__u32 __reserved;
	__aligned_u64 val64;
};

#define IOASID_OPTION _IO(IOASID_TYPE, IOASID_CMD_OPTION)

/**
 * struct ioasid_ioas_map_file - ioctl(IOASID_IOAS_MAP_FILE)
 * @size: sizeof(struct ioasid_ioas_map_file)
 * @flags: As in &struct ioasid_ioas_map
 * @ioas_id: IO address space to map into
 * @fd: A memfd (shmem or hugetlbfs) or a hugetlbfs file
 * @start: Page aligned offset in the file
 * @length: Page aligned, non-zero length in bytes
 * @iova: As in &struct ioasid_ioas_map
 * @iova_alignment: As in &struct ioasid_ioas_map
 *
 * Like %IOASID_IOAS_MAP, but for the memory of a file: the kernel pins
 * whole folios through the page cache, without walking page tables, one
 * pin per folio however large.  Missing pages are allocated.  Without an
 * alignment, the IOVA is aligned like @start (as @user_va for a map).
 * A mapping with WRITE counts as a shared writable mapping of the file
 * until it is unmapped: meanwhile F_SEAL_WRITE cannot be added to the
 * memfd (F_ADD_SEALS fails with EBUSY).
 *
 * Errors: as %IOASID_IOAS_MAP, and %EBADF when @fd is not open, is not
 * open for reading, or WRITE is asked and it is not open for writing;
 * %EPERM when WRITE is asked and the memfd is sealed against writes
 * (F_SEAL_WRITE or F_SEAL_FUTURE_WRITE); %EINVAL when the file is neither
 * shmem nor hugetlbfs, or the range goes beyond its end.
 */
struct ioasid_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
	__aligned_u64 iova_alignment;
};

#define IOASID_IOAS_MAP_FILE _IO(IOASID_TYPE, IOASID_CMD_IOAS_MAP_FILE)

/**
 * struct ioasid_ioas_allow_iovas - ioctl(IOASID_IOAS_ALLOW_IOVAS)
 * @size: sizeof(struct ioasid_ioas_allow_iovas)
 * @flags: Must be 0
 * @ioas_id: IO address space
 * @num_iovas: Number of ranges in @allowed_iovas, at most 4096; 0 lifts
 *             the restriction
 * @allowed_iovas: User pointer to an array of &struct ioasid_iova_range,
 *                 page aligned (start, and last + 1), not overlapping, in
 *                 any order
 *
 * Declare the IOVA the IOAS needs: from now on it maps only inside these
 * ranges, and a page table whose aperture does not cover all of them can
 * no longer be attached (it fails with %EADDRINUSE) instead of silently
 * shrinking the usable space.  Replaces the previous set.
 *
 * Errors: %EINVAL for a misaligned, empty or overlapping range, or more
 * than 4096; %EADDRINUSE when an existing mapping lies outside the ranges,
 * or a range is outside the aperture of an attached page table.
 */
struct ioasid_ioas_allow_iovas {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 num_iovas;
	__aligned_u64 allowed_iovas;
};

#define IOASID_IOAS_ALLOW_IOVAS _IO(IOASID_TYPE, IOASID_CMD_IOAS_ALLOW_IOVAS)

/**
 * struct ioasid_ioas_reserve - ioctl(IOASID_IOAS_RESERVE)
 * @size: sizeof(struct ioasid_ioas_reserve)
 * @flags: Must be 0
 * @ioas_id: IO address space
 * @__reserved: Must be 0
 * @length: Page aligned, non-zero number of bytes of IOVA needed
 * @iova_alignment: Alignment of the window, a power of two of at most
 *                  2^62, raised to the IOAS's IOVA alignment; 0 lets the
 *                  kernel pick the largest power of two that is not above
 *                  @length and is at most 1 GiB
 * @out_iova: Output, first IOVA of the window
 *
 * The simple flow: the kernel picks a free window of @length in the usable
 * windows and makes it the only allowed range of the IOAS, as
 * %IOASID_IOAS_ALLOW_IOVAS would.  Every later %IOASID_IOAS_MAP without
 * %IOASID_IOAS_MAP_FIXED_IOVA lands inside it.  When @out_iova cannot be
 * written back (%EFAULT), the previous allowed ranges come back, unless
 * they changed meanwhile or a mapping made meanwhile lies outside them;
 * then the window stays, as %IOASID_IOAS_IOVA_RANGES reports.
 *
 * Errors: %EINVAL for a zero or misaligned length, or an alignment that is
 * not a power of two or above 2^62 (so 2^63 is refused);
 * %ENOSPC when no usable window is large enough; %EADDRINUSE when the IOAS
 * has mappings, which would fall outside the window.
 */
struct ioasid_ioas_reserve {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 length;
	__aligned_u64 iova_alignment;
	__aligned_u64 out_iova;
};

#define IOASID_IOAS_RESERVE _IO(IOASID_TYPE, IOASID_CMD_IOAS_RESERVE)

/**
 * enum ioasid_hwpt_alloc_flags - Flags of &struct ioasid_hwpt_alloc
 * @IOASID_HWPT_ALLOC_NEST_PARENT: The paging HWPT may be the stage 2 of
 *                                 nested HWPTs.  Only for a paging HWPT
 */
enum ioasid_hwpt_alloc_flags {
	IOASID_HWPT_ALLOC_NEST_PARENT = 1 << 0,
};

/**
 * enum ioasid_hwpt_data_type - Format of a nested HWPT's stage 1
 * @IOASID_HWPT_DATA_NONE: No data: a paging HWPT filled from an IOAS
 * @IOASID_HWPT_DATA_VTD_S1: Intel VT-d first-stage page table,
 *                           &struct ioasid_hwpt_vtd_s1
 * @IOASID_HWPT_DATA_ARM_SMMUV3: Arm SMMUv3 stage 1, described by the
 *                               guest's stream table entry,
 *                               &struct ioasid_hwpt_arm_smmuv3
 *
 * The values are those the IOMMU core gives the IOMMU drivers.
 */
enum ioasid_hwpt_data_type {
	IOASID_HWPT_DATA_NONE = 0,
	IOASID_HWPT_DATA_VTD_S1 = 1,
	IOASID_HWPT_DATA_ARM_SMMUV3 = 2,
};

/**
 * enum ioasid_hwpt_vtd_s1_flags - Flags of &struct ioasid_hwpt_vtd_s1
 * @IOASID_VTD_S1_SRE: Supervisor requests: DMA tagged as privileged is
 *                     translated (with supervisor rights) instead of
 *                     refused
 * @IOASID_VTD_S1_EAFE: Extended access flag: the walk also sets bit 10 of
 *                      each entry it uses
 * @IOASID_VTD_S1_WPE: Write protect: supervisor writes need R/W too
 */
enum ioasid_hwpt_vtd_s1_flags {
	IOASID_VTD_S1_SRE = 1 << 0,
	IOASID_VTD_S1_EAFE = 1 << 1,
	IOASID_VTD_S1_WPE = 1 << 2,
};

/**
 * struct ioasid_hwpt_vtd_s1 - Intel VT-d first-stage page table
 *                             (%IOASID_HWPT_DATA_VTD_S1)
 * @flags: Bitmap of &enum ioasid_hwpt_vtd_s1_flags
 * @pgtbl_addr: Address of the first-level table (PML4 or PML5), an
 *              address of the stage 2 (a guest physical address), 4 KiB
 *              aligned
 * @addr_width: Input address width: 48 (4-level) or 57 (5-level, where
 *              the IOMMU supports it)
 * @__reserved: Must be 0
 *
 * The fields of a scalable-mode PASID table entry that a guest programs
 * for first-stage translation.  The table itself stays in guest memory in
 * the x86-64 paging format, and is walked through the stage 2.
 */
struct ioasid_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/**
 * struct ioasid_hwpt_arm_smmuv3 - Arm SMMUv3 stage 1
 *                                 (%IOASID_HWPT_DATA_ARM_SMMUV3)
 * @ste: The guest's stream table entry, words 0 and 1, little endian
 *
 * Only the fields of stage 1 may be set: in word 0 V, Config (abort,
 * bypass or stage-1 translate), S1Fmt, S1ContextPtr (a stage-2 address)
 * and S1CDMax; in word 1 S1DSS, S1CIR, S1COR, S1CSH, S1STALLD and EATS.
 * The context descriptors stay in guest memory and are fetched through
 * the stage 2.  A nested HWPT of this format is a stream table entry: it
 * attaches to a device's RID, and the device's PASIDs are the substream
 * IDs of its context descriptor table.
 */
struct ioasid_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/**
 * struct ioasid_hwpt_alloc - ioctl(IOASID_HWPT_ALLOC)
 * @size: sizeof(struct ioasid_hwpt_alloc)
 * @flags: Bitmap of &enum ioasid_hwpt_alloc_flags
 * @dev_id: A device bound to the context; the page table is allocated in
 *          the format of the device's IOMMU
 * @pt_id: For a paging HWPT, the IOAS whose mappings the page table
 *         holds; for a nested HWPT, its parent: a paging HWPT allocated
 *         with %IOASID_HWPT_ALLOC_NEST_PARENT
 * @out_hwpt_id: Output, id of the new hardware page table (HWPT)
 * @data_type: &enum ioasid_hwpt_data_type: %IOASID_HWPT_DATA_NONE for a
 *             paging HWPT, else the format of a nested HWPT's stage 1
 * @data_len: Bytes at @data_uptr, 0 with %IOASID_HWPT_DATA_NONE: from
 *            the size of the format's first layout to the size of the
 *            layout the kernel knows
 * @fault_id: A fault queue (%IOASID_FAULT_QUEUE_ALLOC) that receives the
 *            page requests and the unrecoverable faults of DMA translated
 *            by this HWPT (its stage 1 for a nested HWPT), whichever
 *            device or PASID it is attached to; 0 for none
 * @data_uptr: The stage 1 in the format @data_type names
 *
 * Allocate a paging HWPT from an IOAS: an IOMMU page table that holds
 * exactly the IOAS's mappings, filled from its existing pins and kept in
 * step with every later map and unmap.  Devices of the same IOMMU attach
 * to it by id, which lets user space decide which devices share a page
 * table.  With %IOASID_HWPT_ALLOC_NEST_PARENT, the paging HWPT can also
 * be the stage 2 of nested HWPTs.
 *
 * Or allocate a nested HWPT: a stage-1 page table that user space
 * manages in the IOMMU's own format (for a guest, in guest memory),
 * whose every table fetch and output address the IOMMU translates through
 * the parent.  User space keeps the IOMMU's caches of it coherent with
 * %IOASID_HWPT_INVALIDATE.  The nested HWPT holds its parent, which
 * cannot be destroyed before it; an attachment holds the HWPT, which
 * cannot be destroyed before it is detached; a paging HWPT holds its IOAS.
 *
 * A structure that ends before @data_len (24 bytes, the first layout) is
 * accepted and allocates a paging HWPT.
 *
 * Errors: %ENOENT if @dev_id names no bound device, or @pt_id no IOAS
 * (paging) or no HWPT (nested), or @fault_id no fault queue;
 * %EOPNOTSUPP for an unknown flag, or when
 * the device's IOMMU cannot be a nesting parent or does not know the
 * format @data_type; %EINVAL for
 * %IOASID_HWPT_ALLOC_NEST_PARENT with a @data_type, for @data_len or
 * @data_uptr with %IOASID_HWPT_DATA_NONE, for a parent that is not a
 * nesting parent or not of the device's IOMMU, or for a malformed stage-1
 * description (reserved bits set, a bad address width, an unaligned
 * table address); %EFAULT if @data_uptr cannot be read; %EADDRINUSE if a
 * mapping or allowed range of the IOAS lies outside what the IOMMU can
 * translate; %ENOMEM; %EINTR when a fatal signal stopped the filling of
 * the page table (it is undone).
 */
struct ioasid_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 data_type;
	__u32 data_len;
	__u32 fault_id;
	__aligned_u64 data_uptr;
};

#define IOASID_HWPT_ALLOC _IO(IOASID_TYPE, IOASID_CMD_HWPT_ALLOC)

/**
 * struct ioasid_device_get_hw_info - ioctl(IOASID_DEVICE_GET_HW_INFO)
 * @size: sizeof(struct ioasid_device_get_hw_info)
 * @flags: Must be 0
 * @dev_id: A device bound to the context
 * @data_len: In: bytes at @data_uptr.  Out: bytes of the IOMMU driver's
 *            data, which may be more or less than what was copied
 * @data_uptr: Buffer for the IOMMU driver's data; may be 0 when
 *             @data_len is 0
 * @out_data_type: Output, the layout of the data, &enum
 *                 ioasid_hw_info_type; 0 when the driver reports none
 * @out_max_pasid_log2: Output, how many PASID bits the device and its
 *                      IOMMU support together; 0 means no PASID
 * @__reserved: Must be 0
 *
 * Report what the IOMMU behind a bound device can do, in the format its
 * driver defines, so that user space can build page tables the hardware
 * accepts (for a nested stage 1) or tell a guest about the IOMMU.  The
 * kernel copies min(@data_len, the driver's length) bytes and zeroes the
 * rest of the buffer; a call with @data_len 0 only reports the length and
 * the type.
 *
 * Errors: %ENOENT if @dev_id names no bound device; %EFAULT if the buffer
 * cannot be written; %ENOMEM.
 */
struct ioasid_device_get_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 out_data_type;
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
};

#define IOASID_DEVICE_GET_HW_INFO \
	_IO(IOASID_TYPE, IOASID_CMD_DEVICE_GET_HW_INFO)

/**
 * enum ioasid_hw_info_type - Layout of %IOASID_DEVICE_GET_HW_INFO's data
 * @IOASID_HW_INFO_TYPE_NONE: The IOMMU driver reports nothing
 * @IOASID_HW_INFO_TYPE_INTEL_VTD: &struct ioasid_hw_info_vtd
 * @IOASID_HW_INFO_TYPE_ARM_SMMUV3: &struct ioasid_hw_info_arm_smmuv3
 *
 * The values are those of the IOMMU core; a driver may report another,
 * which its own documentation defines.
 */
enum ioasid_hw_info_type {
	IOASID_HW_INFO_TYPE_NONE = 0,
	IOASID_HW_INFO_TYPE_INTEL_VTD = 1,
	IOASID_HW_INFO_TYPE_ARM_SMMUV3 = 2,
};

/**
 * struct ioasid_hw_info_vtd - Intel VT-d hardware information
 * @flags: Must be 0 (for now)
 * @__reserved: Must be 0
 * @cap_reg: The Capability Register of the IOMMU (VT-d specification,
 *           section 11.4.2)
 * @ecap_reg: The Extended Capability Register (section 11.4.3)
 *
 * What a VMM needs to model a vIOMMU the guest's first-stage tables suit:
 * among others first-stage 1 GiB pages and 5-level tables (FS1GP,
 * FS5LP), nesting (NEST), first-stage translation (FSTS), PASID and its
 * width (PASID, PSS), and page requests (PRS).
 */
struct ioasid_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/**
 * struct ioasid_hw_info_arm_smmuv3 - Arm SMMUv3 hardware information
 * @flags: Must be 0 (for now)
 * @__reserved: Must be 0
 * @idr: The ID registers SMMU_IDR0 to SMMU_IDR5 (SMMUv3 architecture,
 *       section 6.3)
 * @iidr: SMMU_IIDR, implementation identification
 * @aidr: SMMU_AIDR, architecture version
 *
 * Among others IDR0 says which stages and table formats there are, IDR1
 * the substream ID width (SSIDSIZE), IDR5 the granules and the output
 * address size.
 */
struct ioasid_hw_info_arm_smmuv3 {
	__u32 flags;
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

/**
 * DOC: PASIDs
 *
 * A PASID is one more address dimension of a device: DMA tagged with a
 * PASID is translated by the page table attached to that PASID, DMA without
 * one by the page table attached to the device's RID.  PASID values run
 * from 1 up to the device's width (%IOASID_PASID_MAX at most); 0 stands for
 * the RID (no PASID) wherever a PASID is given.
 *
 * The subsystem that owns a device (VFIO, vhost-vdpa) decides which of its
 * PASIDs user space may attach through /dev/ioasid, and to what kind of page
 * table (&enum ioasid_pasid_config): it declares that policy once it has
 * bound the device, and may change or withdraw it later ("ALLOW_PASID");
 * user space reads it back for each PASID with
 * %IOASID_DEVICE_GET_PASID_INFO.  Attachments themselves go through
 * the owner's own interface (for VFIO, VFIO_DEVICE_ATTACH_IOASID_PT with a
 * PASID), which checks the policy.  The RID keeps its own rules: it may
 * always be attached to a paging page table.
 *
 * A PASID value is device-local by default: the same value names unrelated
 * address spaces on two devices.  A global PASID (%IOASID_PASID_ALLOC) is
 * one value that this context may attach on several of its devices, as
 * shared work queues need; kernel drivers take theirs from the same pool,
 * so the values never collide, and a value allocated globally cannot be
 * attached as a device-local PASID by anyone but its holder.
 */

/* The largest PASID value: PCIe and the IOMMUs have 20-bit PASIDs. */
#define IOASID_PASID_MAX ((1U << 20) - 1)

/**
 * enum ioasid_pasid_config - What a PASID may be attached to
 * @IOASID_PASID_CFG_PAGING: An IOAS or a paging HWPT: a page table the
 *                           kernel fills from an IOAS
 * @IOASID_PASID_CFG_NESTED: A nested HWPT: a stage-1 table user space
 *                           manages, on a paging stage-2, with its cache
 *                           invalidation and its page faults through
 *                           /dev/ioasid
 * @IOASID_PASID_CFG_SVA: The address space of a process (shared virtual
 *                        addressing), where the IOMMU supports it
 *
 * A policy is a bitmap of these; an empty one means the owner keeps the
 * PASID to itself and nothing may be attached to it through /dev/ioasid.
 */
enum ioasid_pasid_config {
	IOASID_PASID_CFG_PAGING = 1 << 0,
	IOASID_PASID_CFG_NESTED = 1 << 1,
	IOASID_PASID_CFG_SVA = 1 << 2,
};

/**
 * enum ioasid_pasid_info_flags - Flags of &struct ioasid_device_get_pasid_info
 * @IOASID_PASID_INFO_DECLARED: The owner declared a policy for this PASID:
 *                              @out_allowed is what it permits, possibly
 *                              nothing (the owner keeps the PASID).  Clear
 *                              when the owner declared nothing: then every
 *                              attach fails with %EPERM.  Always set for
 *                              the RID (PASID 0)
 * @IOASID_PASID_INFO_ATTACHED: The PASID of the device is attached now, to
 *                              @out_pt_id
 * @IOASID_PASID_INFO_GLOBAL: The value is a global PASID of this context
 *                            (%IOASID_PASID_ALLOC)
 * @IOASID_PASID_INFO_TAKEN: The value is a global PASID of another context
 *                           or of a kernel driver: it cannot be attached
 *                           here
 */
enum ioasid_pasid_info_flags {
	IOASID_PASID_INFO_DECLARED = 1 << 0,
	IOASID_PASID_INFO_ATTACHED = 1 << 1,
	IOASID_PASID_INFO_GLOBAL = 1 << 2,
	IOASID_PASID_INFO_TAKEN = 1 << 3,
};

/**
 * enum ioasid_pt_kind - Kind of page table a PASID is attached to
 * @IOASID_PT_NONE: Nothing: DMA with the PASID is blocked
 * @IOASID_PT_HWPT_PAGING: A paging HWPT (an attachment to an IOAS uses one
 *                         of the IOAS's HWPTs)
 * @IOASID_PT_HWPT_NESTED: A nested HWPT
 * @IOASID_PT_SVA: A process address space
 * @IOASID_PT_IOAS: An IOAS that the software of an emulated device (a vDPA
 *                  simulator) reaches through an in-kernel access; no
 *                  IOMMU translates such a device
 */
enum ioasid_pt_kind {
	IOASID_PT_NONE = 0,
	IOASID_PT_HWPT_PAGING = 1,
	IOASID_PT_HWPT_NESTED = 2,
	IOASID_PT_SVA = 3,
	IOASID_PT_IOAS = 4,
};

/**
 * enum ioasid_device_pasid_caps - PASID facts of a device
 * @IOASID_DEVICE_PASID_PRI: The device can raise page requests (PCIe PRI,
 *                           or a platform device that can stall its DMA):
 *                           its faults can be resolved instead of failing
 * @IOASID_DEVICE_PASID_EXEC: The device can ask for execute permission
 *                            with a PASID (PCIe PASID Execute Permission)
 * @IOASID_DEVICE_PASID_PRIV: The device can issue privileged-mode requests
 *                            with a PASID (PCIe PASID Privileged Mode)
 */
enum ioasid_device_pasid_caps {
	IOASID_DEVICE_PASID_PRI = 1 << 0,
	IOASID_DEVICE_PASID_EXEC = 1 << 1,
	IOASID_DEVICE_PASID_PRIV = 1 << 2,
};

/**
 * struct ioasid_device_get_pasid_info - ioctl(IOASID_DEVICE_GET_PASID_INFO)
 * @size: sizeof(struct ioasid_device_get_pasid_info)
 * @flags: Must be 0
 * @dev_id: A device bound to the context
 * @pasid: The PASID asked about, 0 for the RID
 * @out_flags: Output, bitmap of &enum ioasid_pasid_info_flags
 * @out_allowed: Output, bitmap of &enum ioasid_pasid_config: what the owner
 *               permits on this PASID; 0 when it declared nothing or keeps
 *               the PASID
 * @out_pt_kind: Output, &enum ioasid_pt_kind of what the PASID of this
 *               device is attached to (devices of one IOMMU group attached
 *               to one PASID share the page table)
 * @out_pt_id: Output, id of the HWPT the PASID of this device is attached
 *             to (of the IOAS, for %IOASID_PT_IOAS), or 0
 * @out_dev_caps: Output, bitmap of &enum ioasid_device_pasid_caps
 * @out_pasid_bits: Output, the PASID width of the device and its IOMMU
 *                  together: PASIDs 1 to 2^@out_pasid_bits - 1 exist; 0
 *                  means the device has no PASID
 * @__reserved: Must be 0
 *
 * Report what user space may do with one PASID of a device, and what it
 * does now.  This is cheap (no allocation, no IOMMU call): a VMM calls it
 * before each attachment of a guest PASID.  A PASID the device does not
 * have is reported, not refused: no flag but %IOASID_PASID_INFO_GLOBAL or
 * %IOASID_PASID_INFO_TAKEN, and @out_pasid_bits tells why.
 *
 * Errors: %ENOENT if @dev_id names no bound device; %EINVAL if @pasid is
 * above %IOASID_PASID_MAX.
 */
struct ioasid_device_get_pasid_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 out_flags;
	__u32 out_allowed;
	__u32 out_pt_kind;
	__u32 out_pt_id;
	__u32 out_dev_caps;
	__u8 out_pasid_bits;
	__u8 __reserved[3];
};

#define IOASID_DEVICE_GET_PASID_INFO \
	_IO(IOASID_TYPE, IOASID_CMD_DEVICE_GET_PASID_INFO)

/*
 * The most global PASIDs one context may hold.  Each costs the context a
 * small allocation, charged to its memory cgroup.
 */
#define IOASID_GLOBAL_PASIDS_MAX 1024

/**
 * struct ioasid_pasid_alloc - ioctl(IOASID_PASID_ALLOC)
 * @size: sizeof(struct ioasid_pasid_alloc)
 * @flags: Must be 0
 * @dev_id: A device bound to the context: the PASID fits in its width
 *          (give the device with the narrowest width among those that will
 *          use the PASID)
 * @out_pasid: Output, the global PASID
 *
 * Allocate a global PASID: a value no kernel driver and no other context
 * uses as a global PASID, which this context may attach on any of its
 * devices whose width covers it, within the policy of each device's owner.
 * The context holds it until %IOASID_PASID_FREE or the close of the file.
 *
 * Errors: %ENOENT if @dev_id names no bound device; %ENODEV if the device
 * has no PASID; %ENOSPC if the context holds %IOASID_GLOBAL_PASIDS_MAX
 * global PASIDs, or none is free within the device's width; %ENOMEM.
 */
struct ioasid_pasid_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 out_pasid;
};

#define IOASID_PASID_ALLOC _IO(IOASID_TYPE, IOASID_CMD_PASID_ALLOC)

/**
 * struct ioasid_pasid_free - ioctl(IOASID_PASID_FREE)
 * @size: sizeof(struct ioasid_pasid_free)
 * @flags: Must be 0
 * @pasid: A global PASID of this context
 * @__reserved: Must be 0
 *
 * Give a global PASID back to the pool.
 *
 * Errors: %ENOENT if the context does not hold @pasid; %EBUSY while a
 * device of the context is attached with it.
 */
struct ioasid_pasid_free {
	__u32 size;
	__u32 flags;
	__u32 pasid;
	__u32 __reserved;
};

#define IOASID_PASID_FREE _IO(IOASID_TYPE, IOASID_CMD_PASID_FREE)

/**
 * enum ioasid_hwpt_invalidate_data_type - Format of invalidation entries
 * @IOASID_HWPT_INVALIDATE_DATA_VTD_S1: &struct ioasid_hwpt_vtd_s1_invalidate,
 *                                      for %IOASID_HWPT_DATA_VTD_S1
 * @IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3: &struct
 *                                          ioasid_hwpt_arm_smmuv3_invalidate,
 *                                          for %IOASID_HWPT_DATA_ARM_SMMUV3
 *
 * The values are those the IOMMU core gives the IOMMU drivers.
 */
enum ioasid_hwpt_invalidate_data_type {
	IOASID_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

/**
 * enum ioasid_hwpt_vtd_s1_invalidate_flags - Flags of a VT-d invalidation
 * @IOASID_VTD_INV_FLAGS_LEAF: Only leaf entries changed: the IOMMU may keep
 *                             its caches of the upper levels
 */
enum ioasid_hwpt_vtd_s1_invalidate_flags {
	IOASID_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/**
 * struct ioasid_hwpt_vtd_s1_invalidate - One VT-d stage-1 cache invalidation
 * @addr: First address, 4 KiB aligned
 * @npages: Number of 4 KiB pages; with @addr 0 and @npages U64_MAX, the
 *          whole address space
 * @flags: Bitmap of &enum ioasid_hwpt_vtd_s1_invalidate_flags
 * @__reserved: Must be 0
 *
 * What a guest's PASID-based IOTLB invalidation descriptor says: the
 * IOMMU drops what it cached of the nested HWPT's translations in the
 * range, for every PASID and device the HWPT is attached to.
 */
struct ioasid_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct ioasid_hwpt_arm_smmuv3_invalidate - One SMMUv3 command
 * @cmd: A command of the SMMUv3 command queue, two little-endian words
 *
 * The stage-1 invalidations a guest's command queue may hold: CMD_CFGI_CD
 * and CMD_CFGI_CD_ALL (context descriptors), CMD_TLBI_NH_ALL,
 * CMD_TLBI_NH_ASID, CMD_TLBI_NH_VA and CMD_TLBI_NH_VAA (TLB entries of
 * stage 1).  Their StreamID and VMID fields are ignored: the HWPT is the
 * stream, and the VMID is the kernel's.
 */
struct ioasid_hwpt_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/**
 * struct ioasid_hwpt_invalidate - ioctl(IOASID_HWPT_INVALIDATE)
 * @size: sizeof(struct ioasid_hwpt_invalidate)
 * @hwpt_id: A nested HWPT
 * @data_uptr: Array of @entry_num entries of @entry_len bytes each
 * @data_type: &enum ioasid_hwpt_invalidate_data_type, the one of the
 *             HWPT's format
 * @entry_len: Bytes of one entry: from the size of the format's first
 *             layout to the size of the layout the kernel knows, so that
 *             a newer kernel with longer entries accepts older user space
 * @entry_num: In: number of entries.  Out: entries processed, fully and
 *             in order, before the one that failed (all on success)
 * @__reserved: Must be 0
 *
 * Forward the cache invalidations of a user-managed stage 1 (a guest's
 * invalidation queue) to the IOMMU, in a batch.  The entries are carried
 * out in order; the first that fails stops the batch, its errno is the
 * ioctl's, and @entry_num says how many went before it.  @entry_num 0 is
 * a valid call that does nothing, with which user space can check the
 * format.
 *
 * Errors: %ENOENT if @hwpt_id names no HWPT; %EOPNOTSUPP if it is not a
 * nested HWPT, or for an entry holding a command the format does not
 * support; %EINVAL if @__reserved is set, for a @data_type that is not
 * the HWPT's, an @entry_len of 0, above %IOASID_HWPT_INVALIDATE_ENTRY_MAX
 * or (at the first entry) outside the sizes the kernel accepts for the
 * format, @entry_num above %IOASID_HWPT_INVALIDATE_NUM_MAX, or an entry
 * with reserved bits set, an unaligned or wrapping range or unknown flags;
 * %EFAULT when the array cannot be read; %EINTR when a fatal signal
 * stopped the batch.  Whatever the errno, @entry_num is written.
 */
struct ioasid_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};

#define IOASID_HWPT_INVALIDATE_ENTRY_MAX 4096
#define IOASID_HWPT_INVALIDATE_NUM_MAX 65536

#define IOASID_HWPT_INVALIDATE _IO(IOASID_TYPE, IOASID_CMD_HWPT_INVALIDATE)

/**
 * DOC: Fault queues
 *
 * A fault queue receives the I/O page faults of the HWPTs allocated with
 * its id in &struct ioasid_hwpt_alloc.fault_id: a fault goes to the owner
 * of the page table that faulted, whichever device or PASID raised it.
 * It holds two kinds of &struct ioasid_fault_record:
 *
 * - page requests (%IOASID_FAULT_PAGE_REQ) of devices that can wait for
 *   the answer (PCI PRI, stall).  Requests arrive in groups; the last of a
 *   group carries %IOASID_FAULT_LAST_IN_GROUP and all of them the group's
 *   @cookie.  Each group is answered once, with one
 *   &struct ioasid_fault_response naming the cookie;
 * - unrecoverable faults (%IOASID_FAULT_EVENT): a DMA the page table
 *   refused, of a device that cannot wait.  They need no answer, and are
 *   rate limited: those dropped are counted in
 *   &struct ioasid_fault_ring.lost_events.
 *
 * The records are consumed, and the answers given, in either of two ways,
 * which can be mixed on one queue by one consumer at a time:
 *
 * - read() of whole records from the queue's file descriptor, write() of
 *   whole responses, and poll() (%EPOLLIN while a record waits);
 * - mmap() of the file descriptor: a header page (&struct
 *   ioasid_fault_ring), a ring of records and a ring of responses, at the
 *   offsets %IOASID_FAULT_QUEUE_ALLOC returns.  The indices are free
 *   running u32 counters, taken modulo the number of entries.  The kernel
 *   produces records at @rec_tail and consumes responses at @resp_head;
 *   user space consumes records at @rec_head and produces responses at
 *   @resp_tail.  Each side reads the other side's index with an acquire
 *   load and publishes its own with a release store (as io_uring does),
 *   so that the entries before an index are visible to whoever reads it.
 *   A batch of responses is handed to the kernel with one
 *   %IOASID_FAULT_QUEUE_RESPOND, or a write() of 0 bytes.
 *
 * The eventfd given at allocation is signalled when the record ring goes
 * from empty to non-empty.
 *
 * Nothing waits forever: when a HWPT is detached from a device or PASID,
 * or destroyed, when the queue's file and object are both gone, when a
 * device is unbound and when the context is closed, the kernel answers
 * every outstanding page request concerned with %IOASID_FAULT_RESP_FAILURE.
 * A group that finds the record ring full is answered with failure at
 * once and counted in &struct ioasid_fault_ring.overflow.
 */

/**
 * enum ioasid_fault_queue_flags - Flags of IOASID_FAULT_QUEUE_ALLOC
 * @IOASID_FAULT_QUEUE_EVENTFD: &struct ioasid_fault_queue_alloc.eventfd is
 *                              an eventfd to signal
 */
enum ioasid_fault_queue_flags {
	IOASID_FAULT_QUEUE_EVENTFD = 1 << 0,
};

/* Largest ring of a fault queue, in records (and in responses). */
#define IOASID_FAULT_QUEUE_MAX_ENTRIES 4096

/**
 * struct ioasid_fault_queue_alloc - ioctl(IOASID_FAULT_QUEUE_ALLOC)
 * @size: sizeof(struct ioasid_fault_queue_alloc)
 * @flags: Bitmap of &enum ioasid_fault_queue_flags
 * @nr_entries: Records the ring holds, and responses: a power of two
 *              from 1 to %IOASID_FAULT_QUEUE_MAX_ENTRIES
 * @eventfd: With %IOASID_FAULT_QUEUE_EVENTFD, an eventfd; else 0
 * @out_fault_id: Output, id of the fault queue object
 * @out_fault_fd: Output, a new file descriptor of the queue (close on exec)
 * @out_mmap_size: Output, bytes to mmap() from offset 0 of @out_fault_fd
 * @out_records_offset: Output, offset of the record ring in the mapping
 * @out_responses_offset: Output, offset of the response ring
 *
 * Create a fault queue.  Its rings take (48 + 8) * @nr_entries bytes plus
 * a page, charged to the caller's memory cgroup.  The queue lives while
 * its object or its file descriptor does: %IOASID_DESTROY of the object
 * fails with %EBUSY while a HWPT uses it, and the file keeps working after
 * the object is destroyed until it is closed (nothing new arrives).
 *
 * Errors: %EOPNOTSUPP for an unknown flag; %EINVAL for @nr_entries that
 * is not a power of two or is above the maximum, or for @eventfd without
 * %IOASID_FAULT_QUEUE_EVENTFD; %EBADF if @eventfd is not an open file,
 * %EINVAL if it is not an eventfd; %EMFILE; %ENOMEM.
 */
struct ioasid_fault_queue_alloc {
	__u32 size;
	__u32 flags;
	__u32 nr_entries;
	__s32 eventfd;
	__u32 out_fault_id;
	__s32 out_fault_fd;
	__aligned_u64 out_mmap_size;
	__aligned_u64 out_records_offset;
	__aligned_u64 out_responses_offset;
};

#define IOASID_FAULT_QUEUE_ALLOC _IO(IOASID_TYPE, IOASID_CMD_FAULT_QUEUE_ALLOC)

/**
 * enum ioasid_fault_type - Kinds of &struct ioasid_fault_record
 * @IOASID_FAULT_PAGE_REQ: A page request, to be answered
 * @IOASID_FAULT_EVENT: An unrecoverable fault, for information
 */
enum ioasid_fault_type {
	IOASID_FAULT_PAGE_REQ = 1,
	IOASID_FAULT_EVENT = 2,
};

/**
 * enum ioasid_fault_record_flags - Flags of &struct ioasid_fault_record
 * @IOASID_FAULT_PASID_VALID: @pasid is set: the DMA was tagged with it
 * @IOASID_FAULT_LAST_IN_GROUP: The last request of its group: the group
 *                              is complete and may be answered
 * @IOASID_FAULT_RESPONSE_NEEDS_PASID: The device expects the PASID in the
 *                                     response (informational: the kernel
 *                                     sends the response)
 */
enum ioasid_fault_record_flags {
	IOASID_FAULT_PASID_VALID = 1 << 0,
	IOASID_FAULT_LAST_IN_GROUP = 1 << 1,
	IOASID_FAULT_RESPONSE_NEEDS_PASID = 1 << 2,
};

/**
 * enum ioasid_fault_perm - Access a fault asks for
 * @IOASID_FAULT_PERM_READ: Read
 * @IOASID_FAULT_PERM_WRITE: Write
 * @IOASID_FAULT_PERM_EXEC: Instruction fetch
 * @IOASID_FAULT_PERM_PRIV: Privileged (supervisor) access
 */
enum ioasid_fault_perm {
	IOASID_FAULT_PERM_READ = 1 << 0,
	IOASID_FAULT_PERM_WRITE = 1 << 1,
	IOASID_FAULT_PERM_EXEC = 1 << 2,
	IOASID_FAULT_PERM_PRIV = 1 << 3,
};

/**
 * struct ioasid_fault_record - A fault, in the ring or from read()
 * @type: &enum ioasid_fault_type
 * @flags: Bitmap of &enum ioasid_fault_record_flags
 * @dev_id: The bound device that raised it, as the context names it
 * @pasid: With %IOASID_FAULT_PASID_VALID, the PASID of the DMA
 * @grpid: Page requests: the page request group index the device gave
 * @perm: Bitmap of &enum ioasid_fault_perm asked
 * @addr: The faulting address (page aligned for a page request), in the
 *        HWPT's input space: for a nested HWPT, a stage-1 input address
 * @cookie: Page requests: the group's cookie, which the response names;
 *          0 for an event
 * @hwpt_id: The HWPT that refused the translation
 * @__reserved: 0
 */
struct ioasid_fault_record {
	__u32 type;
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__aligned_u64 addr;
	__u32 cookie;
	__u32 hwpt_id;
	__aligned_u64 __reserved;
};

/**
 * enum ioasid_fault_response_code - The answer to a page request group
 * @IOASID_FAULT_RESP_SUCCESS: The page tables are fixed: retry the access
 *                             ("Success" in PCI PRI)
 * @IOASID_FAULT_RESP_INVALID: Could not be handled: do not retry
 *                             ("Invalid Request")
 * @IOASID_FAULT_RESP_FAILURE: Failure: the device stops raising requests
 *                             for this PASID ("Response Failure")
 */
enum ioasid_fault_response_code {
	IOASID_FAULT_RESP_SUCCESS = 0,
	IOASID_FAULT_RESP_INVALID = 1,
	IOASID_FAULT_RESP_FAILURE = 2,
};

/**
 * struct ioasid_fault_response - An answer, in the ring or to write()
 * @cookie: &struct ioasid_fault_record.cookie of the group
 * @code: &enum ioasid_fault_response_code
 */
struct ioasid_fault_response {
	__u32 cookie;
	__u32 code;
};

/**
 * struct ioasid_fault_ring - Header page of a mapped fault queue
 * @rec_tail: Records produced (kernel)
 * @resp_head: Responses consumed (kernel)
 * @nr_entries: Entries of each ring
 * @record_size: sizeof(struct ioasid_fault_record)
 * @response_size: sizeof(struct ioasid_fault_response)
 * @__pad0: 0
 * @overflow: Page request groups answered with failure because the record
 *            ring was full (kernel)
 * @lost_events: Unrecoverable faults dropped by the rate limit or a full
 *               ring (kernel)
 * @__pad1: 0
 * @rec_head: Records consumed (user space, and read())
 * @resp_tail: Responses produced (user space)
 * @__pad2: 0
 *
 * The fields the kernel writes and those user space writes are in
 * separate cache lines.  The kernel keeps its own copy of what it writes:
 * a user that overwrites them only misleads itself.  Indices user space
 * writes that are more than @nr_entries apart from the kernel's make the
 * queue treat the ring as full (records) or fail the commit with %EINVAL
 * (responses).
 */
struct ioasid_fault_ring {
	__u32 rec_tail;
	__u32 resp_head;
	__u32 nr_entries;
	__u32 record_size;
	__u32 response_size;
	__u32 __pad0;
	__aligned_u64 overflow;
	__aligned_u64 lost_events;
	__u8 __pad1[24];
	__u32 rec_head;
	__u32 resp_tail;
	__u8 __pad2[56];
};

/**
 * struct ioasid_fault_queue_respond - ioctl(IOASID_FAULT_QUEUE_RESPOND)
 * @size: sizeof(struct ioasid_fault_queue_respond)
 * @fault_id: The fault queue
 * @out_done: Output, responses carried out
 * @__reserved: Must be 0
 *
 * Commit the responses user space put in the mapped response ring, from
 * the kernel's @resp_head to @resp_tail, in order.  A bad response stops
 * the batch: it is consumed but changes nothing, the ioctl fails with its
 * errno, and @out_done says how many went before it.  write() of zero
 * bytes on the queue's file does the same, without @out_done.
 *
 * Errors: %ENOENT if @fault_id names no fault queue; %EINVAL if
 * @__reserved is set, if @resp_tail is more than @nr_entries ahead of
 * @resp_head, or for a response with an unknown code; %ESRCH for a
 * response whose cookie names no group waiting for an answer (unknown,
 * or answered already).
 */
struct ioasid_fault_queue_respond {
	__u32 size;
	__u32 fault_id;
	__u32 out_done;
	__u32 __reserved;
};

#define IOASID_FAULT_QUEUE_RESPOND \
	_IO(IOASID_TYPE, IOASID_CMD_FAULT_QUEUE_RESPOND)

#endif /* _UAPI_LINUX_IOASID_H */
