/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Test-only uAPI of /dev/ioasid, present only with CONFIG_IOASID_TEST.
 *
 * These ioctls drive the test IOMMU driver: a software IOMMU on a private
 * "ioasid_mock" bus whose paging domains record every IOPTE, so that the
 * selftests can check exactly what the IOMMU core asked the driver to map.
 * They follow the conventions of the main uAPI (size first, unknown flags
 * EOPNOTSUPP, reserved fields EINVAL).  The layout may change at any time.
 */
#ifndef _UAPI_IOASID_TEST_H
#define _UAPI_IOASID_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/ioasid.h>

enum {
	IOASID_CMD_TEST_MOCK_DEV_ADD = IOASID_TEST_CMD_BASE,
	IOASID_CMD_TEST_MOCK_DOMAIN_ALLOC,
	IOASID_CMD_TEST_DOMAIN_MAP,
	IOASID_CMD_TEST_DOMAIN_UNMAP,
	IOASID_CMD_TEST_IOPTE_GET,
	IOASID_CMD_TEST_DOMAIN_INFO,
	IOASID_CMD_TEST_CTX_FROM_FD,
	IOASID_CMD_TEST_IOAS_ATTACH,
	IOASID_CMD_TEST_IOAS_DETACH,
	IOASID_CMD_TEST_ACCESS_CREATE,
	IOASID_CMD_TEST_ACCESS_PIN,
	IOASID_CMD_TEST_ACCESS_UNPIN,
	IOASID_CMD_TEST_ACCESS_RW,
	IOASID_CMD_TEST_ACCESS_INFO,
	IOASID_CMD_TEST_DEVICE_BIND,
	IOASID_CMD_TEST_DEVICE_UNBIND,
	IOASID_CMD_TEST_DEVICE_ATTACH,
	IOASID_CMD_TEST_DEVICE_DETACH,
	IOASID_CMD_TEST_DEVICE_DOMAIN,
	IOASID_CMD_TEST_ACCESS_REPLACE,
	IOASID_CMD_TEST_DEVICE_ALLOW_PASID,
	IOASID_CMD_TEST_MOCK_DMA,
	IOASID_CMD_TEST_KERNEL_PASID,
	IOASID_CMD_TEST_IOPF_INJECT,
	IOASID_CMD_TEST_IOPF_STATS,
};

/*
 * Every mock device reserves this IOVA range, as the MSI window of x86
 * does: attaching one to an IOAS takes it out of the usable windows.
 */
#define IOASID_TEST_MOCK_MSI_START	0xfee00000UL
#define IOASID_TEST_MOCK_MSI_LENGTH	0x100000UL

/*
 * A mock device made with %IOASID_TEST_MOCK_DEV_SW_MSI also reserves this
 * range as its software MSI window (IOMMU_RESV_SW_MSI), as the IOMMUs that
 * translate MSI writes do.
 */
#define IOASID_TEST_MOCK_SW_MSI_START	0x8000000UL
#define IOASID_TEST_MOCK_SW_MSI_LENGTH	0x100000UL

/* PASID width of a device made with %IOASID_TEST_MOCK_DEV_PASID. */
#define IOASID_TEST_MOCK_PASID_BITS	20

/**
 * enum ioasid_test_mock_dev_flags - Flags of IOASID_TEST_MOCK_DEV_ADD
 * @IOASID_TEST_MOCK_DEV_OTHER_IOMMU: The device sits behind another
 *                                    instance of the test IOMMU: domains
 *                                    of either kind cannot be attached to
 *                                    devices of the other kind
 * @IOASID_TEST_MOCK_DEV_GROUP: The device joins the IOMMU group of the mock
 *                              device @group_dev_id instead of getting a
 *                              group of its own
 * @IOASID_TEST_MOCK_DEV_PASID: The device supports
 *                              %IOASID_TEST_MOCK_PASID_BITS of PASID
 * @IOASID_TEST_MOCK_DEV_SW_MSI: The device has a software MSI window
 * @IOASID_TEST_MOCK_DEV_NO_ENFORCE_CC: The device's IOMMU cannot make its
 *                                      DMA snoop the CPU caches
 *                                      (no IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
 *                                      the other devices' can, so their
 *                                      page tables enforce it
 * @IOASID_TEST_MOCK_DEV_NO_IOMMU: The device sits in an IOMMU group of its
 *                                 own that no IOMMU translates, as VFIO's
 *                                 mediated devices do; binding it fails
 * @IOASID_TEST_MOCK_DEV_PASID_BITS: The device supports @pasid_bits (1 to
 *                                   %IOASID_TEST_MOCK_PASID_BITS) of PASID
 * @IOASID_TEST_MOCK_DEV_PRI: The device can raise page requests (it has
 *                            the "dma-can-stall" property)
 * @IOASID_TEST_MOCK_DEV_KERNEL_DMA: The device has a kernel driver that
 *                                   uses the DMA API, which
 *                                   %IOASID_TEST_KERNEL_PASID plays.  (Every
 *                                   mock device that is not bound uses the
 *                                   identity domain, as behind an IOMMU in
 *                                   passthrough mode.)  Not with
 *                                   %IOASID_TEST_MOCK_DEV_GROUP
 * @IOASID_TEST_MOCK_DEV_VTD: The device sits behind the mock VT-d: its IOMMU
 *                            reports VT-d hardware information, can be a
 *                            nesting parent and accepts nested HWPTs of
 *                            %IOASID_HWPT_DATA_VTD_S1, walked as VT-d
 *                            walks first-stage tables
 * @IOASID_TEST_MOCK_DEV_SMMUV3: The device sits behind the mock SMMUv3, the
 *                               same for %IOASID_HWPT_DATA_ARM_SMMUV3.  Not
 *                               with %IOASID_TEST_MOCK_DEV_VTD.  Either
 *                               flavour is an IOMMU instance of its own:
 *                               its domains suit its devices alone
 */
enum ioasid_test_mock_dev_flags {
	IOASID_TEST_MOCK_DEV_OTHER_IOMMU = 1 << 0,
	IOASID_TEST_MOCK_DEV_GROUP = 1 << 1,
	IOASID_TEST_MOCK_DEV_PASID = 1 << 2,
	IOASID_TEST_MOCK_DEV_SW_MSI = 1 << 3,
	IOASID_TEST_MOCK_DEV_NO_ENFORCE_CC = 1 << 4,
	IOASID_TEST_MOCK_DEV_NO_IOMMU = 1 << 5,
	IOASID_TEST_MOCK_DEV_PASID_BITS = 1 << 6,
	IOASID_TEST_MOCK_DEV_PRI = 1 << 7,
	IOASID_TEST_MOCK_DEV_KERNEL_DMA = 1 << 8,
	IOASID_TEST_MOCK_DEV_VTD = 1 << 9,
	IOASID_TEST_MOCK_DEV_SMMUV3 = 1 << 10,
};

/**
 * struct ioasid_test_mock_dev_add - ioctl(IOASID_TEST_MOCK_DEV_ADD)
 * @size: sizeof(struct ioasid_test_mock_dev_add)
 * @flags: Bitmap of &enum ioasid_test_mock_dev_flags
 * @out_dev_id: Output, id of the new mock device object
 * @out_index: Output, the device is /sys/bus/ioasid_mock/devices/mockN
 *             with N = @out_index
 * @group_dev_id: With %IOASID_TEST_MOCK_DEV_GROUP, a mock device object of
 *                this context behind the same test IOMMU instance
 * @__reserved: Must be 0
 * @pasid_bits: With %IOASID_TEST_MOCK_DEV_PASID_BITS, the PASID width;
 *              else 0
 * @__reserved2: Must be 0
 *
 * Create a device on the mock bus; the IOMMU core probes it with the test
 * IOMMU driver and puts it in an IOMMU group of its own, or in the group
 * of @group_dev_id.  Destroying the object, or closing the file, removes
 * the device, unbinding it first if %IOASID_TEST_DEVICE_BIND bound it.
 *
 * Errors: %ENOENT if @group_dev_id names no mock device; %EINVAL if it sits
 * behind the other IOMMU instance or behind none
 * (%IOASID_TEST_MOCK_DEV_NO_IOMMU), or if %IOASID_TEST_MOCK_DEV_NO_IOMMU
 * comes with another flag, or if @pasid_bits is out of range or given
 * without %IOASID_TEST_MOCK_DEV_PASID_BITS, or with
 * %IOASID_TEST_MOCK_DEV_PASID; %ENOMEM; %ENODEV if the IOMMU core failed to
 * probe the device.
 */
struct ioasid_test_mock_dev_add {
	__u32 size;
	__u32 flags;
	__u32 out_dev_id;
	__u32 out_index;
	__u32 group_dev_id;
	__u32 __reserved;
	__u32 pasid_bits;
	__u32 __reserved2;
};

#define IOASID_TEST_MOCK_DEV_ADD \
	_IO(IOASID_TYPE, IOASID_CMD_TEST_MOCK_DEV_ADD)

/**
 * struct ioasid_test_mock_domain_alloc - ioctl(IOASID_TEST_MOCK_DOMAIN_ALLOC)
 * @size: sizeof(struct ioasid_test_mock_domain_alloc)
 * @flags: Must be 0
 * @dev_id: Mock device object the domain is allocated for
 * @out_domain_id: Output, id of the new mock domain object
 *
 * Allocate a paging domain through iommu_paging_domain_alloc() for the mock
 * device.  The domain holds a reference on the device object, which cannot
 * be destroyed before the domain.
 *
 * Errors: %ENODEV for a mock device no IOMMU translates
 * (%IOASID_TEST_MOCK_DEV_NO_IOMMU).
 */
struct ioasid_test_mock_domain_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 out_domain_id;
};

#define IOASID_TEST_MOCK_DOMAIN_ALLOC \
	_IO(IOASID_TYPE, IOASID_CMD_TEST_MOCK_DOMAIN_ALLOC)

/**
 * enum ioasid_test_prot - Permissions and attributes of a mock IOPTE
 * @IOASID_TEST_PROT_READ: Device may read (IOMMU_READ)
 * @IOASID_TEST_PROT_WRITE: Device may write (IOMMU_WRITE)
 * @IOASID_TEST_PROT_CACHE: DMA is cache coherent (IOMMU_CACHE); every
 *                          mapping of an IOAS has it
 */
enum ioasid_test_prot {
	IOASID_TEST_PROT_READ = 1 << 0,
	IOASID_TEST_PROT_WRITE = 1 << 1,
	IOASID_TEST_PROT_CACHE = 1 << 2,
};

/**
 * struct ioasid_test_domain_map - ioctl(IOASID_TEST_DOMAIN_MAP)
 * @size: sizeof(struct ioasid_test_domain_map)
 * @flags: Must be 0
 * @domain_id: Mock domain object
 * @prot: Bitmap of &enum ioasid_test_prot
 * @iova: First IOVA
 * @paddr: First physical address; mock domains never perform DMA
 * @length: Bytes to map
 *
 * Map through iommu_map().  The IOMMU core splits the range into the
 * largest page sizes the domain supports.  A mock domain holds at most
 * 2^19 IOPTEs.  The range is mapped a step at a time (a 1 GiB IOPTE, or up
 * to the next 2 MiB boundary), rescheduling in between; a fatal signal
 * stops it.  On failure nothing of the range stays mapped.
 *
 * Errors: %EINVAL for a zero length or a range not aligned to the smallest
 * page size; %EOVERFLOW for a range that wraps; %ERANGE for a range outside
 * the domain's aperture; %EEXIST when part of the range is already mapped;
 * %ENOSPC when the domain would hold more than 2^19 IOPTEs; %EINTR on a
 * fatal signal.
 */
struct ioasid_test_domain_map {
	__u32 size;
	__u32 flags;
	__u32 domain_id;
	__u32 prot;
	__aligned_u64 iova;
	__aligned_u64 paddr;
	__aligned_u64 length;
};

#define IOASID_TEST_DOMAIN_MAP _IO(IOASID_TYPE, IOASID_CMD_TEST_DOMAIN_MAP)

/**
 * struct ioasid_test_domain_unmap - ioctl(IOASID_TEST_DOMAIN_UNMAP)
 * @size: sizeof(struct ioasid_test_domain_unmap)
 * @flags: Must be 0
 * @domain_id: Mock domain object
 * @__reserved: Must be 0
 * @iova: First IOVA
 * @length: Bytes to unmap
 * @out_unmapped: Output, bytes iommu_unmap() reported unmapped.  Unmapping
 *                stops at the first IOVA where no IOPTE starts, and an
 *                IOPTE is always removed whole, so this may be less or
 *                more than @length
 *
 * Errors: %EINVAL for a zero length or a misaligned range; %EOVERFLOW for a
 * range that wraps.
 */
struct ioasid_test_domain_unmap {
	__u32 size;
	__u32 flags;
	__u32 domain_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 out_unmapped;
};

#define IOASID_TEST_DOMAIN_UNMAP _IO(IOASID_TYPE, IOASID_CMD_TEST_DOMAIN_UNMAP)

/**
 * struct ioasid_test_iopte_get - ioctl(IOASID_TEST_IOPTE_GET)
 * @size: sizeof(struct ioasid_test_iopte_get)
 * @flags: Must be 0
 * @domain_id: Mock domain object
 * @out_prot: Output, the IOPTE's &enum ioasid_test_prot bits: read, write
 *            and cache coherence, as the IOMMU core asked for them
 * @iova: Any IOVA the IOPTE translates
 * @out_iova: Output, first IOVA of the IOPTE
 * @out_paddr: Output, physical address @out_iova translates to
 * @out_page_size: Output, size of the IOPTE in bytes
 * @out_phys: Output, what iommu_iova_to_phys() returns for @iova
 *
 * Read back the IOPTE that translates @iova.
 *
 * Errors: %ENOENT when nothing is mapped at @iova.
 */
struct ioasid_test_iopte_get {
	__u32 size;
	__u32 flags;
	__u32 domain_id;
	__u32 out_prot;
	__aligned_u64 iova;
	__aligned_u64 out_iova;
	__aligned_u64 out_paddr;
	__aligned_u64 out_page_size;
	__aligned_u64 out_phys;
};

#define IOASID_TEST_IOPTE_GET _IO(IOASID_TYPE, IOASID_CMD_TEST_IOPTE_GET)

/**
 * struct ioasid_test_domain_info - ioctl(IOASID_TEST_DOMAIN_INFO)
 * @size: sizeof(struct ioasid_test_domain_info)
 * @flags: Must be 0
 * @domain_id: Mock domain object
 * @__reserved: Must be 0
 * @out_nr_ioptes: Output, number of IOPTEs present
 * @out_mapped_bytes: Output, bytes the present IOPTEs translate
 * @out_pgsize_bitmap: Output, page sizes the domain supports
 * @out_aperture_start: Output, first IOVA the domain translates
 * @out_aperture_last: Output, last IOVA the domain translates
 */
struct ioasid_test_domain_info {
	__u32 size;
	__u32 flags;
	__u32 domain_id;
	__u32 __reserved;
	__aligned_u64 out_nr_ioptes;
	__aligned_u64 out_mapped_bytes;
	__aligned_u64 out_pgsize_bitmap;
	__aligned_u64 out_aperture_start;
	__aligned_u64 out_aperture_last;
};

#define IOASID_TEST_DOMAIN_INFO _IO(IOASID_TYPE, IOASID_CMD_TEST_DOMAIN_INFO)

/**
 * struct ioasid_test_ctx_from_fd - ioctl(IOASID_TEST_CTX_FROM_FD)
 * @size: sizeof(struct ioasid_test_ctx_from_fd)
 * @flags: Must be 0
 * @fd: File descriptor to resolve with ioasid_ctx_from_fd(), the call a
 *      device-owning subsystem makes when user space hands it a context
 * @out_same: Output, 1 if @fd is the file this ioctl is issued on, else 0
 *
 * Errors: %EBADF if @fd is not open; %EBADFD if it is not /dev/ioasid.
 */
struct ioasid_test_ctx_from_fd {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 out_same;
};

#define IOASID_TEST_CTX_FROM_FD _IO(IOASID_TYPE, IOASID_CMD_TEST_CTX_FROM_FD)

/**
 * struct ioasid_test_ioas_attach - ioctl(IOASID_TEST_IOAS_ATTACH)
 * @size: sizeof(struct ioasid_test_ioas_attach)
 * @flags: Must be 0
 * @domain_id: Mock domain object
 * @ioas_id: IO address space
 *
 * Attach a mock domain to an IOAS, as a device attachment will: the domain
 * is filled with the IOAS's mappings and then follows every change.  The
 * domain holds the IOAS, which cannot be destroyed before it is detached.
 * While attached, %IOASID_TEST_DOMAIN_MAP and %IOASID_TEST_DOMAIN_UNMAP
 * refuse the domain with %EBUSY.
 *
 * Errors: %EBUSY if the domain is attached already, or holds IOPTEs of
 * its own (%IOASID_TEST_DOMAIN_MAP): an attached page table holds exactly
 * the IOAS's mappings; %EADDRINUSE if a mapping of the IOAS lies outside
 * the domain's aperture.
 */
struct ioasid_test_ioas_attach {
	__u32 size;
	__u32 flags;
	__u32 domain_id;
	__u32 ioas_id;
};

#define IOASID_TEST_IOAS_ATTACH _IO(IOASID_TYPE, IOASID_CMD_TEST_IOAS_ATTACH)

/**
 * struct ioasid_test_ioas_detach - ioctl(IOASID_TEST_IOAS_DETACH)
 * @size: sizeof(struct ioasid_test_ioas_detach)
 * @flags: Must be 0
 * @domain_id: Mock domain object
 * @__reserved: Must be 0
 *
 * Detach a mock domain from its IOAS; the domain is left empty.
 *
 * Errors: %ENOENT if the domain is not attached.
 */
struct ioasid_test_ioas_detach {
	__u32 size;
	__u32 flags;
	__u32 domain_id;
	__u32 __reserved;
};

#define IOASID_TEST_IOAS_DETACH _IO(IOASID_TYPE, IOASID_CMD_TEST_IOAS_DETACH)

/**
 * enum ioasid_test_access_flags - Flags of IOASID_TEST_ACCESS_CREATE
 * @IOASID_TEST_ACCESS_KEEP_PINS: The access's unmap callback only counts
 *                                the call and releases nothing, like a
 *                                broken driver, so that the unmap fails
 * @IOASID_TEST_ACCESS_MIRROR: The access mirrors the IOAS, as a vDPA
 *                             device served by /dev/ioasid does: it has a
 *                             map callback that pins every mapping user
 *                             space makes, in pins of at most 2 MiB, and it
 *                             pins those the IOAS holds at its creation and
 *                             at each replace (ioasid_access_populate())
 */
enum ioasid_test_access_flags {
	IOASID_TEST_ACCESS_KEEP_PINS = 1 << 0,
	IOASID_TEST_ACCESS_MIRROR = 1 << 1,
};

/**
 * struct ioasid_test_access_create - ioctl(IOASID_TEST_ACCESS_CREATE)
 * @size: sizeof(struct ioasid_test_access_create)
 * @flags: Bitmap of &enum ioasid_test_access_flags
 * @ioas_id: IO address space
 * @out_access_id: Output, id of the new mock access object
 *
 * Create an in-kernel access to an IOAS through ioasid_access_create(),
 * the way a driver of a software-DMA device does.  Its unmap callback
 * releases every pin of the access that overlaps the unmapped range and
 * counts the call.  The access holds the IOAS, which cannot be destroyed
 * before the access object; destroying the object releases its pins.
 *
 * Errors: %ENOENT if @ioas_id names no IOAS.
 */
struct ioasid_test_access_create {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 out_access_id;
};

#define IOASID_TEST_ACCESS_CREATE \
	_IO(IOASID_TYPE, IOASID_CMD_TEST_ACCESS_CREATE)

/**
 * enum ioasid_test_access_rw_flags - Flags of the access pin and copy ioctls
 * @IOASID_TEST_ACCESS_RW_WRITE: The access writes the IOAS's memory:
 *                               %IOASID_ACCESS_WRITE
 */
enum ioasid_test_access_rw_flags {
	IOASID_TEST_ACCESS_RW_WRITE = 1 << 0,
};

/**
 * struct ioasid_test_access_pin - ioctl(IOASID_TEST_ACCESS_PIN)
 * @size: sizeof(struct ioasid_test_access_pin)
 * @flags: Bitmap of &enum ioasid_test_access_rw_flags
 * @access_id: Mock access object
 * @out_pin_id: Output, number of the pin within the access
 * @iova: First IOVA, of any alignment
 * @length: Bytes to pin, at most 16 MiB
 * @data: User pointer to @length bytes, or 0.  If given, the bytes at
 *        @iova are read through the pinned pages into it
 *
 * Pin through ioasid_access_pin_pages() and keep the pin until
 * %IOASID_TEST_ACCESS_UNPIN, the unmap callback, or the object's end.
 *
 * Errors: %EINVAL for a zero @length; %E2BIG above 16 MiB; %EOVERFLOW for
 * a range that wraps; %ENOENT when part of the range is not mapped;
 * %EPERM when a mapping does not allow the access; %EFAULT for a bad
 * @data.
 */
struct ioasid_test_access_pin {
	__u32 size;
	__u32 flags;
	__u32 access_id;
	__u32 out_pin_id;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 data;
};

#define IOASID_TEST_ACCESS_PIN _IO(IOASID_TYPE, IOASID_CMD_TEST_ACCESS_PIN)

/**
 * struct ioasid_test_access_unpin - ioctl(IOASID_TEST_ACCESS_UNPIN)
 * @size: sizeof(struct ioasid_test_access_unpin)
 * @flags: Must be 0
 * @access_id: Mock access object
 * @pin_id: Pin to release, from %IOASID_TEST_ACCESS_PIN
 *
 * Errors: %ENOENT if the access holds no pin @pin_id.
 */
struct ioasid_test_access_unpin {
	__u32 size;
	__u32 flags;
	__u32 access_id;
	__u32 pin_id;
};

#define IOASID_TEST_ACCESS_UNPIN _IO(IOASID_TYPE, IOASID_CMD_TEST_ACCESS_UNPIN)

/**
 * struct ioasid_test_access_rw - ioctl(IOASID_TEST_ACCESS_RW)
 * @size: sizeof(struct ioasid_test_access_rw)
 * @flags: Bitmap of &enum ioasid_test_access_rw_flags
 * @access_id: Mock access object
 * @__reserved: Must be 0
 * @iova: First IOVA, of any alignment
 * @length: Bytes to copy, at most 64 KiB
 * @data: User pointer to @length bytes: copied into the IOAS's memory with
 *        %IOASID_TEST_ACCESS_RW_WRITE, else filled from it
 *
 * Copy through ioasid_access_rw().
 *
 * Errors: as %IOASID_TEST_ACCESS_PIN, with %E2BIG above 64 KiB.
 */
struct ioasid_test_access_rw {
	__u32 size;
	__u32 flags;
	__u32 access_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 data;
};

#define IOASID_TEST_ACCESS_RW _IO(IOASID_TYPE, IOASID_CMD_TEST_ACCESS_RW)

/**
 * struct ioasid_test_access_info - ioctl(IOASID_TEST_ACCESS_INFO)
 * @size: sizeof(struct ioasid_test_access_info)
 * @flags: Must be 0
 * @access_id: Mock access object
 * @out_nr_pins: Output, pins the access holds
 * @out_unmap_calls: Output, times the unmap callback was called
 * @out_kernel_id: Output, id of the in-kernel access object in the context
 *                 (which user space cannot destroy)
 * @out_ioas_id: Output, the IOAS the access uses
 */
struct ioasid_test_access_info {
	__u32 size;
	__u32 flags;
	__u32 access_id;
	__u32 out_nr_pins;
	__aligned_u64 out_unmap_calls;
	__u32 out_kernel_id;
	__u32 out_ioas_id;
};

#define IOASID_TEST_ACCESS_INFO _IO(IOASID_TYPE, IOASID_CMD_TEST_ACCESS_INFO)

/**
 * struct ioasid_test_access_replace - ioctl(IOASID_TEST_ACCESS_REPLACE)
 * @size: sizeof(struct ioasid_test_access_replace)
 * @flags: Must be 0
 * @access_id: Mock access object
 * @ioas_id: IOAS the access uses from now on, through
 *           ioasid_access_replace()
 *
 * Errors: %EBUSY while the access holds pins; %ENOENT when @ioas_id names
 * no IOAS.
 */
struct ioasid_test_access_replace {
	__u32 size;
	__u32 flags;
	__u32 access_id;
	__u32 ioas_id;
};

#define IOASID_TEST_ACCESS_REPLACE \
	_IO(IOASID_TYPE, IOASID_CMD_TEST_ACCESS_REPLACE)

/**
 * enum ioasid_test_device_bind_flags - Flags of IOASID_TEST_DEVICE_BIND
 * @IOASID_TEST_DEVICE_BIND_FD: Bind to the context of @ioasid_fd, as a
 *                              subsystem does with the fd user space hands
 *                              it, instead of this one
 */
enum ioasid_test_device_bind_flags {
	IOASID_TEST_DEVICE_BIND_FD = 1 << 0,
};

/**
 * struct ioasid_test_device_bind - ioctl(IOASID_TEST_DEVICE_BIND)
 * @size: sizeof(struct ioasid_test_device_bind)
 * @flags: Bitmap of &enum ioasid_test_device_bind_flags
 * @dev_id: Mock device object
 * @out_device_id: Output, id of the bound device in the context bound to
 * @ioasid_fd: With %IOASID_TEST_DEVICE_BIND_FD, a /dev/ioasid file
 * @__reserved: Must be 0
 *
 * Bind the mock device to this context, or to that of @ioasid_fd, through
 * ioasid_ctx_from_fd() and ioasid_device_bind(), as the subsystem owning a
 * device does.  The mock device object keeps the binding, and a reference
 * on the other context, until %IOASID_TEST_DEVICE_UNBIND or its
 * destruction.  The attach and detach commands act on that binding.
 *
 * Errors: %EBUSY if the mock device is bound already; %EBADF or %EBADFD
 * for a bad @ioasid_fd; %EINVAL when @ioasid_fd is this file (the mock
 * device would hold the file it lives in); those of ioasid_device_bind().
 */
struct ioasid_test_device_bind {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 out_device_id;
	__s32 ioasid_fd;
	__u32 __reserved;
};

#define IOASID_TEST_DEVICE_BIND _IO(IOASID_TYPE, IOASID_CMD_TEST_DEVICE_BIND)

/**
 * struct ioasid_test_device_unbind - ioctl(IOASID_TEST_DEVICE_UNBIND)
 * @size: sizeof(struct ioasid_test_device_unbind)
 * @flags: Must be 0
 * @dev_id: Mock device object
 * @__reserved: Must be 0
 *
 * Errors: %ENOENT if the mock device is not bound.
 */
struct ioasid_test_device_unbind {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 __reserved;
};

#define IOASID_TEST_DEVICE_UNBIND \
	_IO(IOASID_TYPE, IOASID_CMD_TEST_DEVICE_UNBIND)

/**
 * enum ioasid_test_device_attach_flags - Flags of IOASID_TEST_DEVICE_ATTACH
 * @IOASID_TEST_DEVICE_ATTACH_REPLACE: ioasid_device_replace() instead of
 *                                     ioasid_device_attach()
 * @IOASID_TEST_DEVICE_ATTACH_PASID: Attach PASID @pasid of the device
 *                                   (ioasid_device_pasid_attach() or
 *                                   ioasid_device_pasid_replace()) instead
 *                                   of its RID
 */
enum ioasid_test_device_attach_flags {
	IOASID_TEST_DEVICE_ATTACH_REPLACE = 1 << 0,
	IOASID_TEST_DEVICE_ATTACH_PASID = 1 << 1,
};

/**
 * struct ioasid_test_device_attach - ioctl(IOASID_TEST_DEVICE_ATTACH)
 * @size: sizeof(struct ioasid_test_device_attach)
 * @flags: Bitmap of &enum ioasid_test_device_attach_flags
 * @dev_id: Mock device object, bound
 * @pt_id: In: IOAS or HWPT.  Out: the HWPT the device is attached to
 * @pasid: With %IOASID_TEST_DEVICE_ATTACH_PASID, the PASID; else 0
 * @__reserved: Must be 0
 *
 * Errors: %ENOENT if the mock device is not bound; %EINVAL for a non-zero
 * @pasid without %IOASID_TEST_DEVICE_ATTACH_PASID; those of
 * ioasid_device_attach(), ioasid_device_replace(),
 * ioasid_device_pasid_attach() and ioasid_device_pasid_replace().
 */
struct ioasid_test_device_attach {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 pasid;
	__u32 __reserved;
};

#define IOASID_TEST_DEVICE_ATTACH \
	_IO(IOASID_TYPE, IOASID_CMD_TEST_DEVICE_ATTACH)

/**
 * struct ioasid_test_device_detach - ioctl(IOASID_TEST_DEVICE_DETACH)
 * @size: sizeof(struct ioasid_test_device_detach)
 * @flags: Must be 0
 * @dev_id: Mock device object, bound
 * @__reserved: Must be 0
 * @pasid: With %IOASID_TEST_DEVICE_DETACH_PASID, the PASID to detach
 *         (ioasid_device_pasid_detach()); else 0
 * @__reserved2: Must be 0
 *
 * Errors: %ENOENT if the mock device is not bound; %EINVAL for a non-zero
 * @pasid without %IOASID_TEST_DEVICE_DETACH_PASID, or a PASID of 0 or
 * above %IOASID_PASID_MAX with it.
 */
struct ioasid_test_device_detach {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 __reserved;
	__u32 pasid;
	__u32 __reserved2;
};

/**
 * enum ioasid_test_device_detach_flags - Flags of IOASID_TEST_DEVICE_DETACH
 * @IOASID_TEST_DEVICE_DETACH_PASID: Detach PASID @pasid instead of the RID
 */
enum ioasid_test_device_detach_flags {
	IOASID_TEST_DEVICE_DETACH_PASID = 1 << 0,
};

#define IOASID_TEST_DEVICE_DETACH \
	_IO(IOASID_TYPE, IOASID_CMD_TEST_DEVICE_DETACH)

/**
 * struct ioasid_test_device_domain - ioctl(IOASID_TEST_DEVICE_DOMAIN)
 * @size: sizeof(struct ioasid_test_device_domain)
 * @flags: Must be 0
 * @dev_id: Mock device object
 * @__reserved: Must be 0
 * @out_serial: Output, serial number of the paging domain the test IOMMU
 *              translates the device's DMA with, unique for the life of
 *              the kernel, or 0 when its DMA is blocked
 * @out_nr_ioptes: Output, IOPTEs in that domain
 * @out_mapped_bytes: Output, bytes they translate
 * @out_flags: Output, bitmap of &enum ioasid_test_device_domain_flags
 * @__reserved2: Must be 0
 * @pasid: With %IOASID_TEST_DEVICE_DOMAIN_PASID in @flags, the PASID
 *         asked about; else 0
 * @__reserved3: Must be 0
 *
 * What the IOMMU does with the device's DMA now (without a PASID, or with
 * @pasid), as the test driver saw the IOMMU core's attach and set_dev_pasid
 * calls.
 */
struct ioasid_test_device_domain {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 __reserved;
	__aligned_u64 out_serial;
	__aligned_u64 out_nr_ioptes;
	__aligned_u64 out_mapped_bytes;
	__u32 out_flags;
	__u32 __reserved2;
	__u32 pasid;
	__u32 __reserved3;
};

/**
 * enum ioasid_test_device_domain_query - Flags of IOASID_TEST_DEVICE_DOMAIN
 * @IOASID_TEST_DEVICE_DOMAIN_PASID: Report on the PASID @pasid instead of
 *                                   the RID
 */
enum ioasid_test_device_domain_query {
	IOASID_TEST_DEVICE_DOMAIN_PASID = 1 << 0,
};

/**
 * enum ioasid_test_device_domain_flags - Flags of
 *                                        &struct ioasid_test_device_domain
 * @IOASID_TEST_DOMAIN_MSI_COOKIE: The domain can map MSI doorbells in a
 *                                 software MSI window (it has the DMA
 *                                 layer's MSI cookie)
 * @IOASID_TEST_DOMAIN_ENFORCE_CC: The domain enforces cache coherency:
 *                                 every DMA through it snoops the CPU
 *                                 caches
 * @IOASID_TEST_DOMAIN_IDENTITY: The DMA is not translated (identity
 *                               domain; @out_serial is 0)
 * @IOASID_TEST_DOMAIN_NESTED: The domain is a nested domain; the other
 *                             outputs describe its parent (stage 2)
 */
enum ioasid_test_device_domain_flags {
	IOASID_TEST_DOMAIN_MSI_COOKIE = 1 << 0,
	IOASID_TEST_DOMAIN_ENFORCE_CC = 1 << 1,
	IOASID_TEST_DOMAIN_IDENTITY = 1 << 2,
	IOASID_TEST_DOMAIN_NESTED = 1 << 3,
};

/*
 * The test IOMMU's hardware information (IOASID_DEVICE_GET_HW_INFO):
 * &struct ioasid_test_hw_info, of this type.
 */
#define IOASID_TEST_HW_INFO_TYPE	0x10a5d0e5
#define IOASID_TEST_HW_INFO_REG		0x1234abcd5678ef00ULL

/**
 * struct ioasid_test_hw_info - Hardware information of the test IOMMU
 * @flags: 0
 * @instance: 1 behind the other instance of the test IOMMU
 *            (%IOASID_TEST_MOCK_DEV_OTHER_IOMMU), else 0
 * @test_reg: %IOASID_TEST_HW_INFO_REG
 */
struct ioasid_test_hw_info {
	__u32 flags;
	__u32 instance;
	__aligned_u64 test_reg;
};

#define IOASID_TEST_DEVICE_DOMAIN \
	_IO(IOASID_TYPE, IOASID_CMD_TEST_DEVICE_DOMAIN)

/**
 * enum ioasid_test_allow_pasid_flags - Flags of IOASID_TEST_DEVICE_ALLOW_PASID
 * @IOASID_TEST_ALLOW_PASID_REVOKE: ioasid_device_revoke_pasid() instead of
 *                                  ioasid_device_allow_pasid(); @configs
 *                                  must be 0
 */
enum ioasid_test_allow_pasid_flags {
	IOASID_TEST_ALLOW_PASID_REVOKE = 1 << 0,
};

/**
 * struct ioasid_test_device_allow_pasid - ioctl(IOASID_TEST_DEVICE_ALLOW_PASID)
 * @size: sizeof(struct ioasid_test_device_allow_pasid)
 * @flags: Bitmap of &enum ioasid_test_allow_pasid_flags
 * @dev_id: Mock device object, bound
 * @first: First PASID of the range
 * @last: Last PASID of the range
 * @configs: Bitmap of &enum ioasid_pasid_config permitted on each PASID of
 *           the range; 0 declares that the owner keeps them
 * @__reserved: Must be 0
 * @__reserved2: Must be 0
 *
 * Declare the owner's policy for PASIDs of the bound mock device, as the
 * subsystem owning a device does with ioasid_device_allow_pasid().
 *
 * Errors: %ENOENT if the mock device is not bound; those of
 * ioasid_device_allow_pasid() and ioasid_device_revoke_pasid().
 */
struct ioasid_test_device_allow_pasid {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 first;
	__u32 last;
	__u32 configs;
	__u32 __reserved;
	__u32 __reserved2;
};

#define IOASID_TEST_DEVICE_ALLOW_PASID \
	_IO(IOASID_TYPE, IOASID_CMD_TEST_DEVICE_ALLOW_PASID)

/**
 * enum ioasid_test_mock_dma_flags - Flags of IOASID_TEST_MOCK_DMA
 * @IOASID_TEST_MOCK_DMA_WRITE: The device writes @data into memory, instead
 *                              of reading memory into @data
 * @IOASID_TEST_MOCK_DMA_PASID: The DMA is tagged with @pasid
 * @IOASID_TEST_MOCK_DMA_EXEC: The device asks for execute permission (an
 *                             instruction fetch); only with
 *                             %IOASID_TEST_MOCK_DMA_PASID, not with
 *                             %IOASID_TEST_MOCK_DMA_WRITE
 * @IOASID_TEST_MOCK_DMA_PRIV: The request is privileged (supervisor); only
 *                             with %IOASID_TEST_MOCK_DMA_PASID
 * @IOASID_TEST_MOCK_DMA_FAULT_WAIT: On a device made with
 *                                   %IOASID_TEST_MOCK_DEV_PRI, a page that
 *                                   does not translate (not present, or a
 *                                   permission fault, of stage 1) raises a
 *                                   page request through the IOMMU core;
 *                                   the DMA waits for the response (at most
 *                                   @timeout_ms) and, on success, walks
 *                                   again; at most
 *                                   %IOASID_TEST_MOCK_DMA_MAX_REQUESTS
 *                                   requests per call
 * @IOASID_TEST_MOCK_DMA_FAULT_NOWAIT: Likewise, but the DMA stops at the
 *                                     first such page with the request
 *                                     raised and left pending (%EAGAIN).
 *                                     Not with _WAIT
 */
enum ioasid_test_mock_dma_flags {
	IOASID_TEST_MOCK_DMA_WRITE = 1 << 0,
	IOASID_TEST_MOCK_DMA_PASID = 1 << 1,
	IOASID_TEST_MOCK_DMA_EXEC = 1 << 2,
	IOASID_TEST_MOCK_DMA_PRIV = 1 << 3,
	IOASID_TEST_MOCK_DMA_FAULT_WAIT = 1 << 4,
	IOASID_TEST_MOCK_DMA_FAULT_NOWAIT = 1 << 5,
};

/* The most page requests one IOASID_TEST_MOCK_DMA raises. */
#define IOASID_TEST_MOCK_DMA_MAX_REQUESTS 512

/* The most bytes one IOASID_TEST_MOCK_DMA moves. */
#define IOASID_TEST_MOCK_DMA_MAX 0x100000UL

/* Entries of the IOTLB of one nested mock domain (direct mapped). */
#define IOASID_TEST_IOTLB_ENTRIES 64

/**
 * enum ioasid_test_fault_reason - Why the model refused a translation
 * @IOASID_TEST_FAULT_NONE: No fault
 * @IOASID_TEST_FAULT_NOT_PRESENT: An entry of the walk is not present (VT-d
 *                                 P clear, SMMUv3 invalid descriptor), or
 *                                 the stage-2 address has no IOPTE
 * @IOASID_TEST_FAULT_PERMISSION: The entries do not grant the access
 * @IOASID_TEST_FAULT_RESERVED: An entry has reserved bits set or an
 *                              encoding the format forbids
 * @IOASID_TEST_FAULT_ACCESS_FLAG: SMMUv3: the descriptor's AF is clear and
 *                                 the CD does not let the SMMU set it
 * @IOASID_TEST_FAULT_ADDRESS_SIZE: The input address is beyond what the
 *                                  table translates (VT-d: not canonical;
 *                                  SMMUv3: beyond T0SZ), or an output
 *                                  address beyond the output size
 * @IOASID_TEST_FAULT_BAD_CONFIG: The configuration is unusable: SMMUv3 a
 *                                substream beyond S1CDMax or an invalid or
 *                                malformed CD (C_BAD_CD, C_BAD_SUBSTREAMID);
 *                                VT-d a privileged request without
 *                                %IOASID_VTD_S1_SRE
 * @IOASID_TEST_FAULT_ABORT: The configuration aborts the DMA (SMMUv3 STE
 *                           Config abort, or V clear); with stage 0,
 *                           nothing translates it (blocked, or identity
 *                           which the test refuses)
 */
enum ioasid_test_fault_reason {
	IOASID_TEST_FAULT_NONE,
	IOASID_TEST_FAULT_NOT_PRESENT,
	IOASID_TEST_FAULT_PERMISSION,
	IOASID_TEST_FAULT_RESERVED,
	IOASID_TEST_FAULT_ACCESS_FLAG,
	IOASID_TEST_FAULT_ADDRESS_SIZE,
	IOASID_TEST_FAULT_BAD_CONFIG,
	IOASID_TEST_FAULT_ABORT,
};

/**
 * enum ioasid_test_fault_flags - Flags of a fault reported by IOASID_TEST_MOCK_DMA
 * @IOASID_TEST_FAULT_TABLE_FETCH: Stage 2 failed to translate the address
 *                                 of a stage-1 table entry or descriptor
 *                                 (to read it, or to update its A/D bits),
 *                                 not the output of stage 1
 */
enum ioasid_test_fault_flags {
	IOASID_TEST_FAULT_TABLE_FETCH = 1 << 0,
};

/**
 * struct ioasid_test_mock_dma - ioctl(IOASID_TEST_MOCK_DMA)
 * @size: sizeof(struct ioasid_test_mock_dma)
 * @flags: Bitmap of &enum ioasid_test_mock_dma_flags
 * @dev_id: Mock device object (bound or not)
 * @pasid: With %IOASID_TEST_MOCK_DMA_PASID, the PASID; else 0
 * @iova: Address the device uses
 * @length: Bytes, at most %IOASID_TEST_MOCK_DMA_MAX
 * @data: User buffer of @length bytes
 * @out_done: Output, bytes moved before a translation failed (all of
 *            @length on success)
 * @out_fault_stage: Output, 1 or 2: the stage that refused the
 *                   translation (a paging domain is a single stage 1);
 *                   0 when none did, or nothing translates
 * @out_fault_reason: Output, &enum ioasid_test_fault_reason
 * @out_fault_level: Output, the level of the stage-1 walk where it
 *                   stopped, in the format's numbering (VT-d: 5 or 4 for
 *                   the first table down to 1 for the 4 KiB table;
 *                   SMMUv3: 0 to 3), also for a stage-2 fault on a table
 *                   fetch; 0 for a fault outside a walk
 * @out_fault_flags: Output, &enum ioasid_test_fault_flags
 * @out_fault_addr: Output, the input address of the stage that refused:
 *                  the device's address for stage 1, the stage-2 address
 *                  for stage 2
 * @out_iotlb_hits: Output, pages of a nested domain translated from its
 *                  IOTLB without a walk
 * @timeout_ms: With %IOASID_TEST_MOCK_DMA_FAULT_WAIT, how long to wait for
 *              each response, 1 to 60000; ignored without it
 * @out_page_requests: Output, page requests raised
 * @out_response_code: Output, with a page request: the code of the last
 *                     response (&enum ioasid_fault_response_code), or
 *                     %IOASID_TEST_NO_RESPONSE if none came (with _NOWAIT,
 *                     one that came at once, as when nothing handles page
 *                     requests of the domain, is reported)
 * @out_grpid: Output, with a page request: the group index of the last
 *             request raised
 *
 * With %IOASID_TEST_MOCK_DMA_FAULT_WAIT or _NOWAIT, each page request is a
 * group of one, marked last-in-group, with the PASID of the DMA if it has
 * one, the permissions it asks and its page-aligned address; its group
 * index is the device's next one (modulo 512, as PCI PRI's 9-bit index).
 * The IOMMU core routes it to the handler of the domain attached to the
 * RID or the PASID, or answers it Invalid Request itself when the domain
 * has none; the IOMMU answers Invalid Request at once a request of a RID
 * or PASID that translates nothing.  A response Success makes the DMA walk
 * the page again (it may fault again and raise another request); Invalid
 * Request or Response Failure stops it with the errno of the fault
 * (%ENXIO, %EACCES).  So does a fault after
 * %IOASID_TEST_MOCK_DMA_MAX_REQUESTS requests.  A response that comes
 * after the DMA gave up (%ETIMEDOUT, fatal signal) is only counted
 * (%IOASID_TEST_IOPF_STATS).
 *
 * With either flag, a fault that is not answered by a page request (one
 * of stage 2, another reason than not present or permission, or on a
 * device that cannot raise requests) is recorded by the IOMMU as an
 * unrecoverable fault, through report_iommu_fault() on the domain that
 * refused (the nested domain for stage 1, its parent for stage 2; none
 * for a blocked or untranslated DMA), with the input address of that
 * stage; without them, the DMA behaves as before page requests existed
 * (the fault is only reported to the caller).
 *
 * The mock device does DMA as the hardware would: each page is translated
 * by the domain the test IOMMU has attached to the device's RID or to its
 * PASID @pasid, and the bytes are copied from or to the page that comes
 * out.  A paging domain translates with the IOPTEs the IOMMU core wrote.
 * A nested domain of the mock VT-d or SMMUv3 walks the user's stage-1
 * table in its real format, every table fetch and the output address
 * translated through the parent's IOPTEs, setting accessed and dirty
 * bits as the hardware does, and caches the result in its IOTLB until an
 * invalidation or a stage-2 unmap.  On the mock SMMUv3, @pasid is the
 * substream ID of the DMA, through the CD table of the nested domain
 * attached to the RID.  Untranslated (identity) DMA is refused, so that
 * the test cannot reach arbitrary memory.
 *
 * Errors: %ENOENT if @dev_id names no mock device; %EOPNOTSUPP for an
 * unknown flag; %EINVAL for a zero or too large @length, a PASID the
 * device does not have, or EXEC or PRIV without a PASID, or EXEC with
 * WRITE, or both _FAULT_WAIT and _FAULT_NOWAIT, or _FAULT_WAIT with a
 * @timeout_ms out of range; %ENXIO when an address has no translation
 * (blocked, identity, or a fault other than a permission fault); %EACCES
 * for a permission fault; %EAGAIN (_FAULT_NOWAIT) when a page request was
 * raised and the DMA stopped there; %ETIMEDOUT (_FAULT_WAIT) when a
 * response did not come within @timeout_ms (the request stays pending);
 * %EINTR on a fatal signal while waiting; %ENOMEM.  With %ENXIO, %EACCES,
 * %EAGAIN and %ETIMEDOUT the outputs are written and say where and why.
 * %EFAULT.
 */
struct ioasid_test_mock_dma {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 data;
	__aligned_u64 out_done;
	__u32 out_fault_stage;
	__u32 out_fault_reason;
	__u32 out_fault_level;
	__u32 out_fault_flags;
	__aligned_u64 out_fault_addr;
	__aligned_u64 out_iotlb_hits;
	__u32 timeout_ms;
	__u32 out_page_requests;
	__u32 out_response_code;
	__u32 out_grpid;
};

/* &struct ioasid_test_mock_dma.out_response_code when no response came. */
#define IOASID_TEST_NO_RESPONSE 0xffffffffU

#define IOASID_TEST_MOCK_DMA _IO(IOASID_TYPE, IOASID_CMD_TEST_MOCK_DMA)

/**
 * enum ioasid_test_kernel_pasid_op - What IOASID_TEST_KERNEL_PASID does
 * @IOASID_TEST_KERNEL_PASID_ALLOC: Take a kernel PASID for the device with
 *                                  ioasid_kernel_pasid_alloc(), as a kernel
 *                                  driver using the DMA API does
 * @IOASID_TEST_KERNEL_PASID_DMA: Check that a buffer mapped with
 *                                dma_map_single() for the device is reached
 *                                by mock DMA tagged with the kernel PASID:
 *                                the device reads a pattern and writes it
 *                                back inverted
 * @IOASID_TEST_KERNEL_PASID_FREE: ioasid_kernel_pasid_free()
 */
enum ioasid_test_kernel_pasid_op {
	IOASID_TEST_KERNEL_PASID_ALLOC,
	IOASID_TEST_KERNEL_PASID_DMA,
	IOASID_TEST_KERNEL_PASID_FREE,
};

/**
 * struct ioasid_test_kernel_pasid - ioctl(IOASID_TEST_KERNEL_PASID)
 * @size: sizeof(struct ioasid_test_kernel_pasid)
 * @flags: Must be 0
 * @op: &enum ioasid_test_kernel_pasid_op
 * @dev_id: Mock device object made with %IOASID_TEST_MOCK_DEV_KERNEL_DMA,
 *          not bound
 * @pasid: In for DMA and FREE, out for ALLOC: the kernel PASID
 * @__reserved: Must be 0
 *
 * Plays a kernel driver of the mock device that submits work tagged with
 * a PASID.  The mock device object releases the kernel PASID when it is
 * destroyed, as the end of a driver's binding does.
 *
 * Errors: %ENOENT if @dev_id names no mock device, or (DMA, FREE) if the
 * device holds no kernel PASID @pasid; %EOPNOTSUPP (ALLOC) if the device
 * was made without %IOASID_TEST_MOCK_DEV_KERNEL_DMA; %EBUSY if it holds
 * one already (ALLOC) or is bound to a context; %EINVAL for an unknown
 * @op; %EIO if the DMA did not reach the buffer; those of
 * ioasid_kernel_pasid_alloc().
 */
struct ioasid_test_kernel_pasid {
	__u32 size;
	__u32 flags;
	__u32 op;
	__u32 dev_id;
	__u32 pasid;
	__u32 __reserved;
};

#define IOASID_TEST_KERNEL_PASID _IO(IOASID_TYPE, IOASID_CMD_TEST_KERNEL_PASID)

/**
 * enum ioasid_test_iopf_flags - Flags of IOASID_TEST_IOPF_INJECT
 * @IOASID_TEST_IOPF_PASID: The requests carry @pasid
 * @IOASID_TEST_IOPF_WAIT: Wait until every group is answered (at most
 *                         @timeout_ms in all)
 */
enum ioasid_test_iopf_flags {
	IOASID_TEST_IOPF_PASID = 1 << 0,
	IOASID_TEST_IOPF_WAIT = 1 << 1,
};

/* The most page requests one IOASID_TEST_IOPF_INJECT raises. */
#define IOASID_TEST_IOPF_MAX 65536

/**
 * struct ioasid_test_iopf_inject - ioctl(IOASID_TEST_IOPF_INJECT)
 * @size: sizeof(struct ioasid_test_iopf_inject)
 * @flags: Bitmap of &enum ioasid_test_iopf_flags
 * @dev_id: Mock device object made with %IOASID_TEST_MOCK_DEV_PRI
 * @pasid: With %IOASID_TEST_IOPF_PASID, the PASID
 * @addr: Address of the first request; each next one is a page further
 * @count: Requests, 1 to %IOASID_TEST_IOPF_MAX
 * @group_size: Requests per page request group, 1 to @count: the last of
 *              each group (and the last of all) is marked last-in-group
 * @perm: Bitmap of &enum ioasid_fault_perm the requests ask for: read or
 *        write or both (neither would be a PCI PRI Stop Marker); execute
 *        only with read; execute and privileged only with a PASID
 * @timeout_ms: With %IOASID_TEST_IOPF_WAIT, 1 to 60000; ignored without it
 * @out_first_grpid: Output, the group index of the first group; the next
 *                   groups take the next indices (modulo 512, as PCI PRI's
 *                   9-bit index)
 * @out_answered: Output, groups of this call answered when it returned
 * @out_ns: Output, with %IOASID_TEST_IOPF_WAIT, nanoseconds from the first
 *          request raised to the last response received (0 if none was)
 *
 * Raise page requests as the device would, through the IOMMU core's
 * iommu_report_device_fault(), without DMA: for benchmarks, bursts and
 * overflow tests.  Responses arrive at the mock IOMMU's page_response().
 * As for %IOASID_TEST_MOCK_DMA, the requests of a RID or PASID that
 * translates nothing (blocked, identity: not attached to a paging or
 * nested HWPT) are answered Invalid Request by the IOMMU at once, and
 * those of a domain without a fault queue by the IOMMU core.  Without
 * %IOASID_TEST_IOPF_WAIT the call returns once every request is raised,
 * answered or not.
 *
 * Errors: %ENOENT if @dev_id names no mock device; %EOPNOTSUPP for an
 * unknown flag or a device without %IOASID_TEST_MOCK_DEV_PRI; %EINVAL for
 * a @count or @group_size out of range, a bad @timeout_ms, bad @perm
 * bits, or a PASID the device does not have; %ETIMEDOUT if not every group
 * was answered in time (the others stay pending; the outputs are
 * written); %EINTR on a fatal signal; %ENOMEM (the groups raised before
 * stay pending).
 */
struct ioasid_test_iopf_inject {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__aligned_u64 addr;
	__u32 count;
	__u32 group_size;
	__u32 perm;
	__u32 timeout_ms;
	__u32 out_first_grpid;
	__u32 out_answered;
	__aligned_u64 out_ns;
};

#define IOASID_TEST_IOPF_INJECT _IO(IOASID_TYPE, IOASID_CMD_TEST_IOPF_INJECT)

/**
 * struct ioasid_test_iopf_stats - ioctl(IOASID_TEST_IOPF_STATS)
 * @size: sizeof(struct ioasid_test_iopf_stats)
 * @dev_id: Mock device object
 * @out_raised: Output, page request groups the device raised
 * @out_pending: Output, groups not answered yet
 * @out_success: Output, groups answered %IOASID_FAULT_RESP_SUCCESS
 * @out_invalid: Output, groups answered %IOASID_FAULT_RESP_INVALID
 * @out_failure: Output, groups answered %IOASID_FAULT_RESP_FAILURE
 * @out_events: Output, unrecoverable faults the IOMMU recorded for the
 *              device (reported through report_iommu_fault())
 *
 * What the mock device has seen of its page requests, since it was made.
 * Every group is answered once: @out_raised is @out_pending plus the
 * three answered counts.
 *
 * Errors: %ENOENT if @dev_id names no mock device.
 */
struct ioasid_test_iopf_stats {
	__u32 size;
	__u32 dev_id;
	__u32 out_raised;
	__u32 out_pending;
	__u32 out_success;
	__u32 out_invalid;
	__u32 out_failure;
	__u32 out_events;
};

#define IOASID_TEST_IOPF_STATS _IO(IOASID_TYPE, IOASID_CMD_TEST_IOPF_STATS)

/**
 * enum ioasid_test_delay_point - Where the test driver can widen a race
 * @IOASID_DELAY_ATTACH_LOOKUP: An attach holds the lookup of its target
 * @IOASID_DELAY_HWPT_LAST_PUT: The last attachment of an auto HWPT is gone
 *                              and the HWPT is off its IOAS's list, not yet
 *                              removed
 * @IOASID_DELAY_UNBIND: An unbind detached the device, which is not yet
 *                       removed
 * @IOASID_DELAY_DETACH: A detach blocked the group, whose reserved regions
 *                       are not yet given back
 *
 * Bit N of /sys/kernel/debug/ioasid/delay_mask makes point N sleep for
 * /sys/kernel/debug/ioasid/delay_us (at most a second), so that a test can
 * make another thread run right there.
 */
enum ioasid_test_delay_point {
	IOASID_DELAY_ATTACH_LOOKUP,
	IOASID_DELAY_HWPT_LAST_PUT,
	IOASID_DELAY_UNBIND,
	IOASID_DELAY_DETACH,
};

/* The vDPA management device of the test IOMMU driver (netlink "vdpa"). */
#define IOASID_TEST_VDPA_MGMTDEV	"ioasid_mock_vdpa"
/* Bytes of the buffer of its devices' DMA engine. */
#define IOASID_TEST_VDPA_BUF		256

/**
 * enum ioasid_test_vdpa_cmd - A command of the mock vDPA DMA engine
 * @IOASID_TEST_VDPA_IDLE: Nothing to do
 * @IOASID_TEST_VDPA_DMA_READ: The device reads @length bytes at @iova into
 *                             its buffer
 * @IOASID_TEST_VDPA_DMA_WRITE: The device writes the first @length bytes
 *                              of its buffer at @iova
 */
enum ioasid_test_vdpa_cmd {
	IOASID_TEST_VDPA_IDLE,
	IOASID_TEST_VDPA_DMA_READ,
	IOASID_TEST_VDPA_DMA_WRITE,
};

/**
 * struct ioasid_test_vdpa_config - Config space of a mock vDPA device
 * @iova: Address of the next DMA, as the device issues it (translated by
 *        the IOMMU domain attached to the device's RID)
 * @length: Bytes of the next DMA, 1 to %IOASID_TEST_VDPA_BUF
 * @cmd: &enum ioasid_test_vdpa_cmd; a VHOST_VDPA_SET_CONFIG that writes
 *       this field runs the command once the whole write is in the config
 *       space, then the field reads back %IOASID_TEST_VDPA_IDLE
 * @result: Output, 0 or the positive errno the last command ended with:
 *          %EINVAL for a bad @length or @cmd, %ENXIO when an address had
 *          no translation (nothing attached, or not mapped), %EACCES when
 *          the translation did not allow the access
 * @done: Output, bytes the last command moved before it stopped
 * @buf: The device's buffer
 *
 * The devices of the management device %IOASID_TEST_VDPA_MGMTDEV are vDPA
 * devices of a parent behind a platform IOMMU: each sits on its own
 * device of the mock bus, whose IOMMU is the test IOMMU, and has no
 * set_map or dma_map operation, so vhost-vdpa programs the IOMMU (its own
 * domain, or /dev/ioasid's once bound).  They have one virtqueue that
 * does nothing: the DMA engine in the config space is what moves data.
 */
struct ioasid_test_vdpa_config {
	__aligned_u64 iova;
	__u32 length;
	__u32 cmd;
	__u32 result;
	__u32 done;
	__u8 buf[IOASID_TEST_VDPA_BUF];
};

#endif /* _UAPI_IOASID_TEST_H */
