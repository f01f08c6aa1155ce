// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO device cdev binding to /dev/ioasid.
 *
 * A device file opened through the cdev is bound either to an iommufd
 * (VFIO_DEVICE_BIND_IOMMUFD) or to a /dev/ioasid context
 * (VFIO_DEVICE_BIND_IOASID), once.  For /dev/ioasid the file keeps a
 * reference on the context in df->ioasid and the bound device in
 * df->ioasid_dev, both set and cleared under the device set's lock; the
 * device is opened with vfio_df_open(), which calls back into
 * vfio_df_ioasid_bind() before the driver's open_device, and closed with
 * vfio_df_close(), which calls vfio_df_ioasid_unbind() after the driver's
 * close_device, so the device never runs without a DMA owner.
 */
#include <linux/ioasid.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio.h"
#include "vfio_ioasid.h"

MODULE_IMPORT_NS(IOASID);

/* Called by vfio_df_device_first_open() with the device set's lock held. */
int vfio_df_ioasid_bind(struct vfio_device_file *df)
{
	struct vfio_device *device = df->device;
	struct ioasid_device *idev;

	lockdep_assert_held(&device->dev_set->lock);

	idev = ioasid_device_bind(df->ioasid, device->dev, &df->devid);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	/*
	 * User space owns the whole device: every PASID its PASID capability
	 * covers, to any kind of page table.
	 */
	if (device->dev->iommu->max_pasids > 1) {
		u32 last = min_t(u32, device->dev->iommu->max_pasids - 1,
				 IOASID_PASID_MAX);
		int ret;

		ret = ioasid_device_allow_pasid(idev, 1, last,
						IOASID_PASID_CFG_ALL);
		if (ret) {
			ioasid_device_unbind(idev);
			return ret;
		}
	}
	df->ioasid_dev = idev;
	return 0;
}

/* Called by vfio_df_device_last_close() with the device set's lock held. */
void vfio_df_ioasid_unbind(struct vfio_device_file *df)
{
	lockdep_assert_held(&df->device->dev_set->lock);

	ioasid_device_unbind(df->ioasid_dev);
	df->ioasid_dev = NULL;
}

/**
 * vfio_df_ioctl_bind_ioasid() - ioctl(VFIO_DEVICE_BIND_IOASID)
 * @df: Device file of the cdev
 * @arg: User pointer to &struct vfio_device_bind_ioasid
 *
 * Return: 0 or a negative errno, as documented in the uAPI header.
 */
long vfio_df_ioctl_bind_ioasid(struct vfio_device_file *df, void __user *arg)
{
	struct vfio_device_bind_ioasid __user *uarg = arg;
	struct vfio_device *device = df->device;
	struct vfio_device_bind_ioasid bind;
	struct ioasid_ctx *ctx;
	unsigned long minsz;
	int ret;

	minsz = offsetofend(struct vfio_device_bind_ioasid, out_dev_id);
	if (copy_from_user(&bind, uarg, minsz))
		return -EFAULT;
	if (bind.argsz < minsz || bind.flags || bind.ioasid_fd < 0)
		return -EINVAL;
	/* The group path has its container or iommufd already. */
	if (df->group)
		return -EINVAL;
	if (vfio_device_is_noiommu(device))
		return -EOPNOTSUPP;

	ctx = ioasid_ctx_from_fd(bind.ioasid_fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	/* Keeps the group file closed while the cdev file is bound. */
	ret = vfio_device_block_group(device);
	if (ret)
		goto out_put_ctx;

	mutex_lock(&device->dev_set->lock);
	/* Bound already, to /dev/ioasid or to an iommufd. */
	if (df->access_granted) {
		ret = -EINVAL;
		goto out_unlock;
	}
	df->ioasid = ctx;

	spin_lock(&df->kvm_ref_lock);
	vfio_device_get_kvm_safe(device, df->kvm);
	spin_unlock(&df->kvm_ref_lock);

	/* -EINVAL when the device is open through another file. */
	ret = vfio_df_open(df);
	if (ret)
		goto out_put_kvm;
	/* The device may not issue DMA before it is attached: it is blocked. */
	if (put_user(df->devid, &uarg->out_dev_id)) {
		ret = -EFAULT;
		goto out_close;
	}
	device->cdev_opened = true;
	/* Paired with smp_load_acquire() in the vfio_device_fops callbacks. */
	smp_store_release(&df->access_granted, true);
	mutex_unlock(&device->dev_set->lock);
	return 0;

out_close:
	vfio_df_close(df);
out_put_kvm:
	vfio_device_put_kvm(device);
	df->ioasid = NULL;
out_unlock:
	mutex_unlock(&device->dev_set->lock);
	vfio_device_unblock_group(device);
out_put_ctx:
	ioasid_ctx_put(ctx);
	return ret;
}

/**
 * vfio_df_unbind_ioasid() - Close a device file bound to /dev/ioasid
 * @df: Device file being released, bound to a context
 *
 * Closes the device (its driver stops it), detaches and unbinds it, and
 * drops the context reference.
 */
void vfio_df_unbind_ioasid(struct vfio_device_file *df)
{
	struct vfio_device *device = df->device;
	struct ioasid_ctx *ctx;

	/* Nothing else uses a file being released. */
	if (!df->access_granted)
		return;

	mutex_lock(&device->dev_set->lock);
	vfio_df_close(df);
	vfio_device_put_kvm(device);
	ctx = df->ioasid;
	df->ioasid = NULL;
	device->cdev_opened = false;
	mutex_unlock(&device->dev_set->lock);
	vfio_device_unblock_group(device);
	ioasid_ctx_put(ctx);
}

static long vfio_df_ioctl_attach_ioasid_pt(struct vfio_device_file *df,
					   void __user *arg)
{
	struct vfio_device_attach_ioasid_pt __user *uarg = arg;
	struct vfio_device *device = df->device;
	struct vfio_device_attach_ioasid_pt attach;
	unsigned long minsz;
	bool pasid;
	int ret;

	minsz = offsetofend(struct vfio_device_attach_ioasid_pt, pasid);
	if (copy_from_user(&attach, uarg, minsz))
		return -EFAULT;
	if (attach.argsz < minsz || attach.flags & ~VFIO_DEVICE_ATTACH_IOASID_PASID)
		return -EINVAL;
	if (!(attach.flags & VFIO_DEVICE_ATTACH_IOASID_PASID) && attach.pasid)
		return -EINVAL;
	pasid = attach.flags & VFIO_DEVICE_ATTACH_IOASID_PASID;

	mutex_lock(&device->dev_set->lock);
	if (!df->ioasid_dev) {
		ret = -EINVAL;
		goto out_unlock;
	}
	/* Atomic replace when attached already, as for iommufd. */
	if (pasid)
		ret = ioasid_device_pasid_replace(df->ioasid_dev, attach.pasid,
						  &attach.pt_id);
	else
		ret = ioasid_device_replace(df->ioasid_dev, &attach.pt_id);
	if (ret)
		goto out_unlock;
	/* The old page table may be gone: an attachment not reported ends. */
	if (put_user(attach.pt_id, &uarg->pt_id)) {
		if (pasid)
			ioasid_device_pasid_detach(df->ioasid_dev,
						   attach.pasid);
		else
			ioasid_device_detach(df->ioasid_dev);
		ret = -EFAULT;
	}
out_unlock:
	mutex_unlock(&device->dev_set->lock);
	return ret;
}

static long vfio_df_ioctl_detach_ioasid_pt(struct vfio_device_file *df,
					   void __user *arg)
{
	struct vfio_device *device = df->device;
	struct vfio_device_detach_ioasid_pt detach;
	unsigned long minsz;
	int ret = 0;

	minsz = offsetofend(struct vfio_device_detach_ioasid_pt, flags);
	if (copy_from_user(&detach, arg, minsz))
		return -EFAULT;
	if (detach.argsz < minsz || detach.flags & ~VFIO_DEVICE_DETACH_IOASID_PASID)
		return -EINVAL;
	if (detach.flags & VFIO_DEVICE_DETACH_IOASID_PASID) {
		minsz = offsetofend(struct vfio_device_detach_ioasid_pt,
				    __reserved);
		if (detach.argsz < minsz)
			return -EINVAL;
		if (copy_from_user(&detach, arg, minsz))
			return -EFAULT;
		if (!detach.pasid || detach.pasid > IOASID_PASID_MAX ||
		    detach.__reserved)
			return -EINVAL;
	}

	mutex_lock(&device->dev_set->lock);
	if (!df->ioasid_dev)
		ret = -EINVAL;
	else if (detach.flags & VFIO_DEVICE_DETACH_IOASID_PASID)
		ioasid_device_pasid_detach(df->ioasid_dev, detach.pasid);
	else
		ioasid_device_detach(df->ioasid_dev);
	mutex_unlock(&device->dev_set->lock);
	return ret;
}

/**
 * vfio_df_ioctl_ioasid_pt() - VFIO_DEVICE_{ATTACH,DETACH}_IOASID_PT
 * @df: Device file of the cdev, access granted
 * @cmd: The ioctl
 * @arg: User pointer to its struct
 *
 * Return: 0 or a negative errno, as documented in the uAPI header.
 */
long vfio_df_ioctl_ioasid_pt(struct vfio_device_file *df, unsigned int cmd,
			     void __user *arg)
{
	switch (cmd) {
	case VFIO_DEVICE_ATTACH_IOASID_PT:
		return vfio_df_ioctl_attach_ioasid_pt(df, arg);
	case VFIO_DEVICE_DETACH_IOASID_PT:
		return vfio_df_ioctl_detach_ioasid_pt(df, arg);
	}
	return -ENOTTY;
}
