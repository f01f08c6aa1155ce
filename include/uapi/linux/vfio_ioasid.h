/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * VFIO device cdev ioctls that bind a device to a /dev/ioasid context and
 * attach it to the context's page tables.
 *
 * They are issued on a VFIO device cdev (/dev/vfio/devices/vfioN) in place
 * of VFIO_DEVICE_BIND_IOMMUFD and VFIO_DEVICE_{ATTACH,DETACH}_IOMMUFD_PT.  A
 * device file is bound either to an iommufd or to a /dev/ioasid context,
 * once, until it is closed.  The structs follow VFIO's convention: @argsz
 * is the size the caller passes, at least up to the last field of the
 * first layout.
 */
#ifndef _UAPI_LINUX_VFIO_IOASID_H
#define _UAPI_LINUX_VFIO_IOASID_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

/**
 * struct vfio_device_bind_ioasid - ioctl(VFIO_DEVICE_BIND_IOASID)
 * @argsz: sizeof(struct vfio_device_bind_ioasid)
 * @flags: Must be 0
 * @ioasid_fd: An open /dev/ioasid file
 * @out_dev_id: Output, the id of the device in that context, for
 *              %IOASID_DEVICE_GET_HW_INFO and the other device ioctls of
 *              /dev/ioasid
 *
 * Bind the device of this cdev file to the context of @ioasid_fd.  The
 * context becomes the DMA owner of the device's IOMMU group: the group can
 * then not be used through a VFIO container, iommufd, another context or
 * a kernel driver until the file is closed, and none of those may hold it
 * now.  The device is opened (its driver's open_device runs) and stays
 * blocked from DMA until it is attached.  Closing the cdev file detaches
 * and unbinds the device; closing @ioasid_fd does not, the binding keeps
 * the context alive.
 *
 * Errors: %EINVAL for a bad @argsz, non-zero @flags, a negative
 * @ioasid_fd, a file of the group path (VFIO_GROUP_GET_DEVICE_FD), or a
 * file already bound (to /dev/ioasid or iommufd) or a device open through
 * another file; %EBADF when @ioasid_fd is not an open file and %EBADFD
 * when it is not /dev/ioasid; %EBUSY when the device's VFIO group is open
 * or another owner holds the IOMMU group; %EPERM when the group's MSIs are
 * not isolated; %ENODEV for a device no IOMMU translates (mediated
 * devices); %EOPNOTSUPP in no-IOMMU mode; %EFAULT.
 */
struct vfio_device_bind_ioasid {
	__u32 argsz;
	__u32 flags;
	__s32 ioasid_fd;
	__u32 out_dev_id;
};

#define VFIO_DEVICE_BIND_IOASID _IO(VFIO_TYPE, VFIO_BASE + 25)

/*
 * Flag of &struct vfio_device_attach_ioasid_pt: attach PASID @pasid of the
 * device instead of its RID.
 */
#define VFIO_DEVICE_ATTACH_IOASID_PASID (1 << 0)

/**
 * struct vfio_device_attach_ioasid_pt - ioctl(VFIO_DEVICE_ATTACH_IOASID_PT)
 * @argsz: sizeof(struct vfio_device_attach_ioasid_pt)
 * @flags: 0 or %VFIO_DEVICE_ATTACH_IOASID_PASID
 * @pt_id: In: an IOAS or a HWPT of the bound context.  Out: the HWPT the
 *         device's RID (or PASID) now uses (for an IOAS, one the IOAS
 *         shares between compatible devices, or a new one)
 * @pasid: With %VFIO_DEVICE_ATTACH_IOASID_PASID, the PASID; else 0
 *
 * Attach the RID of the bound device, or one of its PASIDs, to @pt_id.
 * When it is attached already, it is moved atomically: each DMA is
 * translated by the old page table or the new one, never blocked in
 * between, and once the ioctl returns never by the old one.
 *
 * vfio-pci lets user space attach every PASID the device's PASID
 * capability covers, to any kind of page table (%IOASID_PASID_CFG_ALL of
 * <linux/ioasid.h>): user space owns the whole device.
 * %IOASID_DEVICE_GET_PASID_INFO reports it per PASID.
 *
 * Errors: %EINVAL for a bad @argsz, an unknown flag, a non-zero @pasid
 * without %VFIO_DEVICE_ATTACH_IOASID_PASID, a PASID the device does not have (0,
 * or beyond its PASID width: always for a device without PASID), a file
 * not bound to /dev/ioasid, or a HWPT the device's IOMMU cannot use;
 * %ENOENT when @pt_id names neither an IOAS nor a HWPT; %EPERM when the
 * PASID may not be attached to that kind of page table; %EBUSY when another
 * device of the IOMMU group uses the current page table, or @pasid is a
 * global PASID of another /dev/ioasid context or of a kernel driver;
 * %EADDRINUSE when a mapping of the IOAS lies in the device's reserved
 * regions or outside what its IOMMU translates; %EOPNOTSUPP when the IOMMU
 * cannot attach a PASID; %ENOMEM; %EFAULT, when @pt_id cannot be written
 * back after the attachment (the RID or PASID is then detached).
 */
struct vfio_device_attach_ioasid_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
	__u32 pasid;
};

#define VFIO_DEVICE_ATTACH_IOASID_PT _IO(VFIO_TYPE, VFIO_BASE + 26)

/*
 * Flag of &struct vfio_device_detach_ioasid_pt: detach PASID @pasid of the
 * device instead of its RID; @argsz must cover @pasid.
 */
#define VFIO_DEVICE_DETACH_IOASID_PASID (1 << 0)

/**
 * struct vfio_device_detach_ioasid_pt - ioctl(VFIO_DEVICE_DETACH_IOASID_PT)
 * @argsz: sizeof(struct vfio_device_detach_ioasid_pt); at least up to
 *         @flags, and up to @pasid with %VFIO_DEVICE_DETACH_IOASID_PASID
 * @flags: 0 or %VFIO_DEVICE_DETACH_IOASID_PASID
 * @pasid: With %VFIO_DEVICE_DETACH_IOASID_PASID, the PASID; else 0
 * @__reserved: Must be 0
 *
 * Detach the RID of the bound device, or one of its PASIDs: its DMA (with
 * that PASID) is blocked, with the last attached device of its IOMMU
 * group.  Detaching what is not attached does nothing.
 *
 * Errors: %EINVAL for a bad @argsz, an unknown flag, a PASID of 0 or above
 * %IOASID_PASID_MAX, non-zero @__reserved, or a file not bound to
 * /dev/ioasid; %EFAULT.
 */
struct vfio_device_detach_ioasid_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pasid;
	__u32 __reserved;
};

#define VFIO_DEVICE_DETACH_IOASID_PT _IO(VFIO_TYPE, VFIO_BASE + 27)

#endif /* _UAPI_LINUX_VFIO_IOASID_H */
