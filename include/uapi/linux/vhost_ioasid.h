/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vhost-vdpa ioctls that bind a vDPA device to a /dev/ioasid context and
 * attach its address spaces (ASIDs) to the context's IO address spaces.
 *
 * They are issued on /dev/vhost-vdpa-N.  A vDPA device splits its
 * virtqueues into groups, and each group uses one address space, an ASID
 * (VHOST_VDPA_SET_GROUP_ASID).  Once the device is bound, each ASID is
 * either handed to /dev/ioasid, where user space attaches it to an IOAS, or
 * kept by vhost-vdpa, where user space maps it with vhost's own IOTLB
 * messages; vhost-vdpa decides which, and user space reads it with
 * IOASID_DEVICE_GET_PASID_INFO, where ASID a is PASID a + 1.
 *
 * A device behind a platform IOMMU (a vDPA parent without map operations
 * of its own, which vhost-vdpa gives an IOMMU domain) has one ASID: bound,
 * the device that does its DMA is bound to the context as VFIO binds a
 * device, ASID 0 is its RID (PASID 0 in IOASID_DEVICE_GET_PASID_INFO; no
 * PASID is declared), and it attaches to an IOAS or a HWPT; vhost's IOTLB
 * messages for it are refused until the unbind gives it a domain of
 * vhost-vdpa's own again.
 *
 * Every struct starts with its size in bytes, for growth: the kernel takes
 * the fields it knows from a larger struct whose extra bytes are zero.
 */
#ifndef _UAPI_LINUX_VHOST_IOASID_H
#define _UAPI_LINUX_VHOST_IOASID_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vhost.h>

/**
 * struct vhost_vdpa_bind_ioasid - ioctl(VHOST_VDPA_BIND_IOASID)
 * @size: sizeof(struct vhost_vdpa_bind_ioasid)
 * @flags: Must be 0
 * @ioasid_fd: An open /dev/ioasid file
 * @out_dev_id: Output, the id of the device in that context, for
 *              %IOASID_DEVICE_GET_PASID_INFO
 *
 * Bind the vDPA device of this vhost-vdpa file to the context of
 * @ioasid_fd and declare its policy there: every ASID is handed to
 * /dev/ioasid (%IOASID_PASID_CFG_PAGING on PASID ASID + 1), except, for a
 * virtio-net device whose control virtqueue has a group of its own and
 * that has more than one ASID, the last ASID, which vhost-vdpa keeps for
 * the control virtqueue (policy empty).  From then on vhost's IOTLB
 * messages for a handed ASID are refused (the write() fails with %EFAULT,
 * as vhost reports every refused message); those for the kept ASID
 * work as before, as does %VHOST_SET_MEM_TABLE unless ASID 0 is handed
 * (then %EPERM).  Binding moves the control virtqueue's group to the kept
 * ASID, and it cannot be moved to a handed one (%VHOST_VDPA_SET_GROUP_ASID
 * fails with %EPERM); a reset of the device keeps both.  The handed ASIDs
 * translate nothing until attached.
 *
 * Errors: %EINVAL for a bad @size, non-zero @flags or a negative
 * @ioasid_fd; %E2BIG for a larger struct with non-zero extra bytes;
 * %EBADF when @ioasid_fd is not an open file and %EBADFD when it is not
 * /dev/ioasid; %EBUSY when the device is bound already, or when vhost's
 * IOTLB holds mappings in an ASID to be handed; %EOPNOTSUPP for a device
 * that maps user virtual addresses (the vDPA simulator's use_va mode), or
 * one with a dma_map operation but no set_map; %ENOMEM; %EFAULT.  For a
 * device behind a platform IOMMU, also the errors of binding a device to
 * the context (%EBUSY when its IOMMU group has another owner), and those
 * of %VHOST_VDPA_UNBIND_IOASID when vhost-vdpa's own domain could not be
 * given back after a failure.
 */
struct vhost_vdpa_bind_ioasid {
	__u32 size;
	__u32 flags;
	__s32 ioasid_fd;
	__u32 out_dev_id;
};

#define VHOST_VDPA_BIND_IOASID		_IO(VHOST_VIRTIO, 0x90)

/**
 * struct vhost_vdpa_unbind_ioasid - ioctl(VHOST_VDPA_UNBIND_IOASID)
 * @size: sizeof(struct vhost_vdpa_unbind_ioasid)
 * @flags: Must be 0
 *
 * Detach every ASID, then unbind the device from its context: the handed
 * ASIDs go back to vhost-vdpa, empty.  Closing the vhost-vdpa file does the
 * same; closing the /dev/ioasid file does not (the binding keeps the
 * context).
 *
 * For a device behind a platform IOMMU, vhost-vdpa then allocates and
 * attaches an IOMMU domain of its own again.  When that fails, the device
 * stays unbound without a domain: vhost's IOTLB messages stay refused,
 * %VHOST_VDPA_ATTACH_IOASID and _DETACH_IOASID fail with %EINVAL, and
 * the unbind (or a bind) may be tried again.
 *
 * Errors: %EINVAL for a bad @size or non-zero @flags, or a device that is
 * not bound; %E2BIG; %EFAULT; for a device behind a platform IOMMU, the
 * errors of allocating and attaching its domain (%ENOMEM and others of the
 * IOMMU driver).
 */
struct vhost_vdpa_unbind_ioasid {
	__u32 size;
	__u32 flags;
};

#define VHOST_VDPA_UNBIND_IOASID	_IO(VHOST_VIRTIO, 0x91)

/**
 * struct vhost_vdpa_attach_ioasid - ioctl(VHOST_VDPA_ATTACH_IOASID)
 * @size: sizeof(struct vhost_vdpa_attach_ioasid)
 * @flags: Must be 0
 * @asid: The address space, below %VHOST_VDPA_GET_AS_NUM
 * @pt_id: An IOAS of the bound context (or, for a device behind a
 *         platform IOMMU, a HWPT of it)
 *
 * Make ASID @asid translate through the IOAS @pt_id: the virtqueues of the
 * groups in that ASID read and write the memory the IOAS maps, at its
 * IOVAs.  When @asid is attached already, it moves to @pt_id in one step.
 * A device whose DMA is done in software reaches the IOAS through an
 * in-kernel access: it uses the pages the IOAS has pinned for its
 * mappings, so nothing is pinned or charged a second time, and an unmap of
 * the IOAS makes it let go of them first.
 *
 * Errors: %EINVAL for a bad @size, non-zero @flags, @asid out of range or
 * a device not bound; %E2BIG; %EPERM for the ASID vhost-vdpa keeps;
 * %ENOENT when @pt_id names no IOAS (or HWPT); for a device behind a
 * platform IOMMU the errors of attaching a device (%EINVAL for a HWPT
 * of another device's IOMMU, %EBUSY, %EADDRINUSE when the IOAS maps one
 * of the device's reserved regions, such as its MSI window); %ENOSPC when
 * the device's own table cannot hold the IOAS's mappings (the ASID stays
 * as it was); %EINTR when a fatal signal stopped the pinning of the
 * IOAS's mappings (likewise); %ENOMEM; %EFAULT.
 */
struct vhost_vdpa_attach_ioasid {
	__u32 size;
	__u32 flags;
	__u32 asid;
	__u32 pt_id;
};

#define VHOST_VDPA_ATTACH_IOASID	_IO(VHOST_VIRTIO, 0x92)

/**
 * struct vhost_vdpa_detach_ioasid - ioctl(VHOST_VDPA_DETACH_IOASID)
 * @size: sizeof(struct vhost_vdpa_detach_ioasid)
 * @flags: Must be 0
 * @asid: The address space
 * @__reserved: Must be 0
 *
 * Detach ASID @asid: it translates nothing again.  Detaching an ASID that
 * is not attached does nothing.
 *
 * Errors: %EINVAL for a bad @size, non-zero @flags or @__reserved, @asid
 * out of range or a device not bound; %E2BIG; %EPERM for the ASID
 * vhost-vdpa keeps; %EFAULT.
 */
struct vhost_vdpa_detach_ioasid {
	__u32 size;
	__u32 flags;
	__u32 asid;
	__u32 __reserved;
};

#define VHOST_VDPA_DETACH_IOASID	_IO(VHOST_VIRTIO, 0x93)

#endif /* _UAPI_LINUX_VHOST_IOASID_H */
