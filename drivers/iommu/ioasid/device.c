// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices bound to /dev/ioasid.
 *
 * The subsystem that owns a device (VFIO, vhost-vdpa) binds it to the
 * context user space handed it: the context becomes the DMA owner of the
 * device's IOMMU group, and the device an object of the context.  Its RID
 * is then attached to a HWPT, or to an IOAS through a compatible HWPT the
 * IOAS shares between the devices attached to it.  The devices of one IOMMU
 * group cannot be told apart by the IOMMU, so they share one attachment.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/ioasid.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "../iommu-priv.h"
#include "ioasid_private.h"

static struct ioasid_group *ioasid_group_get(struct ioasid_ctx *ctx,
					     struct device *dev)
{
	struct ioasid_group *igroup, *new;
	struct iommu_group *group;
	unsigned long id;
	int rc;

	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-ENODEV);
	id = iommu_group_id(group);

	/* A group whose count is zero is no longer in the table. */
	xa_lock(&ctx->groups);
	igroup = xa_load(&ctx->groups, id);
	if (igroup)
		kref_get(&igroup->kref);
	xa_unlock(&ctx->groups);
	if (igroup) {
		iommu_group_put(group);
		return igroup;
	}

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new) {
		iommu_group_put(group);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&new->kref);
	mutex_init(&new->lock);
	new->ctx = ctx;
	new->group = group;

	xa_lock(&ctx->groups);
	igroup = xa_load(&ctx->groups, id);
	if (igroup) {
		kref_get(&igroup->kref);
		rc = 0;
	} else {
		rc = __xa_insert(&ctx->groups, id, new, GFP_KERNEL_ACCOUNT);
	}
	xa_unlock(&ctx->groups);
	if (igroup || rc) {
		mutex_destroy(&new->lock);
		iommu_group_put(group);
		kfree(new);
		return igroup ?: ERR_PTR(rc);
	}
	return new;
}

static void ioasid_group_unpublish(struct kref *kref)
{
	struct ioasid_group *igroup =
		container_of(kref, struct ioasid_group, kref);

	__xa_erase(&igroup->ctx->groups, iommu_group_id(igroup->group));
}

static void ioasid_group_put(struct ioasid_group *igroup)
{
	struct ioasid_ctx *ctx = igroup->ctx;
	bool last;

	xa_lock(&ctx->groups);
	last = kref_put(&igroup->kref, ioasid_group_unpublish);
	xa_unlock(&ctx->groups);
	if (!last)
		return;
	WARN_ON(igroup->hwpt);
	mutex_destroy(&igroup->lock);
	iommu_group_put(igroup->group);
	kfree(igroup);
}

/**
 * ioasid_device_bind() - Bind a device to a context
 * @ctx: Context from ioasid_ctx_from_fd(); the caller keeps that reference
 *       until ioasid_device_unbind()
 * @dev: Device the caller owns; its driver must not use the DMA API
 *       (driver_managed_dma) and must not start DMA before this succeeds
 * @out_id: Output, the device's id in @ctx, to report to user space
 *
 * Makes @ctx the DMA owner of the device's IOMMU group, so that no kernel
 * driver, VFIO container, iommufd or other context can use the group, and
 * adds the device to @ctx.  The device stays blocked until it is attached.
 * User space cannot destroy the device object; only the caller unbinds it.
 * May sleep.
 *
 * Return: the bound device, or ERR_PTR(): -ENODEV when no IOMMU translates
 * @dev; -EINVAL when its IOMMU cannot enforce cache coherency; -EPERM when
 * the MSIs of its group are not isolated (no interrupt remapping); -EBUSY
 * when another owner holds the group; -ENOMEM.
 */
struct ioasid_device *ioasid_device_bind(struct ioasid_ctx *ctx,
					 struct device *dev, u32 *out_id)
{
	struct ioasid_group *igroup;
	struct ioasid_device *idev;
	int rc;

	igroup = ioasid_group_get(ctx, dev);
	if (IS_ERR(igroup))
		return ERR_CAST(igroup);
	if (!device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY)) {
		rc = -EINVAL;
		goto err_group;
	}
	/* The test driver's devices never raise interrupts. */
	if (!ioasid_test_is_mock_dev(dev) &&
	    !iommu_group_has_isolated_msi(igroup->group)) {
		rc = -EPERM;
		goto err_group;
	}
	rc = iommu_device_claim_dma_owner(dev, ctx);
	/* -EPERM: another owner holds the group; -EPERM above is for MSIs. */
	if (rc == -EPERM)
		rc = -EBUSY;
	if (rc)
		goto err_group;

	idev = ioasid_object_alloc(ctx, struct ioasid_device,
				   IOASID_OBJ_DEVICE);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto err_owner;
	}
	idev->ctx = ctx;
	idev->dev = get_device(dev);
	idev->igroup = igroup;
	/* The binding's reference: IOASID_DESTROY fails with EBUSY. */
	refcount_inc(&idev->obj.users);
	*out_id = idev->obj.id;
	ioasid_object_finalize(ctx, &idev->obj);
	return idev;

err_owner:
	iommu_device_release_dma_owner(dev);
err_group:
	ioasid_group_put(igroup);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_bind, IOASID);

void ioasid_device_destroy(struct ioasid_object *obj)
{
	struct ioasid_device *idev =
		container_of(obj, struct ioasid_device, obj);

	WARN_ON(idev->attached);
	iommu_device_release_dma_owner(idev->dev);
	ioasid_group_put(idev->igroup);
	put_device(idev->dev);
}

/**
 * ioasid_device_unbind() - Undo ioasid_device_bind()
 * @idev: Bound device
 *
 * Detaches the device, removes it from its context and gives up DMA
 * ownership.  The caller then drops its context reference.  May sleep.
 */
void ioasid_device_unbind(struct ioasid_device *idev)
{
	ioasid_device_detach(idev);
	ioasid_object_remove_wait(idev->ctx, &idev->obj);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_unbind, IOASID);

/**
 * ioasid_device_id() - The id of a bound device in its context
 * @idev: Bound device
 *
 * Return: the id ioasid_device_bind() returned.
 */
u32 ioasid_device_id(struct ioasid_device *idev)
{
	return idev->obj.id;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_id, IOASID);

/* Drop an attachment's reference; an IOAS's own HWPT goes with its last. */
static void ioasid_hwpt_put_attachment(struct ioasid_ctx *ctx,
				       struct ioasid_hwpt *hwpt)
{
	if (hwpt->auto_domain)
		ioasid_object_put_and_remove(ctx, &hwpt->obj);
	else
		ioasid_put_object(&hwpt->obj);
}

/*
 * An IOMMU that cannot tell MSI writes from DMA (IOMMU_RESV_SW_MSI) needs the
 * doorbell pages mapped in the device's page table: the DMA layer maps them
 * at the window the driver names, on demand, once the domain has its cookie.
 * The window is reserved in the IOAS with the device's other regions.
 */
static int ioasid_hwpt_setup_sw_msi(struct ioasid_hwpt *hwpt,
				    struct device *dev)
{
	struct iommu_resv_region *region;
	phys_addr_t start = PHYS_ADDR_MAX;
	LIST_HEAD(regions);
	int rc;

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list)
		if (region->type == IOMMU_RESV_SW_MSI)
			start = region->start;
	iommu_put_resv_regions(dev, &regions);
	if (start == PHYS_ADDR_MAX)
		return 0;

	rc = iommu_get_msi_cookie(hwpt->domain, start);
	/* The devices of one IOMMU driver share its window. */
	return rc == -EEXIST ? 0 : rc;
}

/*
 * Attach the device's group to @hwpt, or move it there, reserving the
 * device's reserved regions in the IOAS of @hwpt.  On success the group
 * holds a reference on @hwpt, and *old is set to the HWPT whose reference
 * the caller must drop, outside any HWPT list lock.
 */
static int ioasid_group_set_hwpt(struct ioasid_device *idev,
				 struct ioasid_hwpt *hwpt,
				 struct ioasid_hwpt **old)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_ioas *old_ioas;
	int rc;

	lockdep_assert_held(&igroup->lock);
	*old = NULL;
	if (igroup->hwpt == hwpt) {
		if (idev->attached)
			return 0;
		rc = ioasid_ioas_add_resv(hwpt->ioas, idev->dev, idev);
		if (rc)
			return rc;
		goto out_attached;
	}
	/* Other devices of the group use the current page table. */
	if (igroup->hwpt && (!idev->attached || igroup->nr_attached > 1))
		return -EBUSY;
	old_ioas = igroup->hwpt ? igroup->hwpt->ioas : NULL;
	if (hwpt->ioas != old_ioas) {
		rc = ioasid_ioas_add_resv(hwpt->ioas, idev->dev, idev);
		if (rc)
			return rc;
	}
	rc = ioasid_hwpt_setup_sw_msi(hwpt, idev->dev);
	if (rc)
		goto err_resv;
	if (igroup->hwpt)
		rc = iommu_group_replace_domain(igroup->group, hwpt->domain);
	else
		rc = iommu_attach_group(hwpt->domain, igroup->group);
	if (rc)
		goto err_resv;
	if (old_ioas && old_ioas != hwpt->ioas)
		ioasid_ioas_remove_resv(old_ioas, idev);
	refcount_inc(&hwpt->obj.users);
	*old = igroup->hwpt;
	igroup->hwpt = hwpt;
out_attached:
	if (!idev->attached) {
		idev->attached = true;
		igroup->nr_attached++;
	}
	return 0;

err_resv:
	if (hwpt->ioas != old_ioas)
		ioasid_ioas_remove_resv(hwpt->ioas, idev);
	return rc;
}

/*
 * Attach to a HWPT of @ioas made for attachments: the first one the device's
 * IOMMU accepts, or a new one.  Returns the HWPT through *out.
 */
static int ioasid_device_attach_ioas(struct ioasid_device *idev,
				     struct ioasid_ioas *ioas,
				     struct ioasid_hwpt **out,
				     struct ioasid_hwpt **old)
{
	struct ioasid_hwpt *hwpt;
	int rc;

	mutex_lock(&ioas->hwpt_lock);
	list_for_each_entry(hwpt, &ioas->hwpts, auto_node) {
		/* Skip one that user space is destroying. */
		if (!refcount_inc_not_zero(&hwpt->obj.users))
			continue;
		rc = ioasid_group_set_hwpt(idev, hwpt, old);
		ioasid_put_object(&hwpt->obj);
		/* -EINVAL: this domain does not suit the device's IOMMU. */
		if (rc != -EINVAL)
			goto out_unlock;
	}

	hwpt = ioasid_hwpt_alloc(idev->ctx, ioas, idev->dev);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_unlock;
	}
	rc = ioasid_group_set_hwpt(idev, hwpt, old);
	if (rc) {
		ioasid_object_abort_and_destroy(idev->ctx, &hwpt->obj);
		goto out_unlock;
	}
	hwpt->auto_domain = true;
	list_add_tail(&hwpt->auto_node, &ioas->hwpts);
	ioasid_object_finalize(idev->ctx, &hwpt->obj);
out_unlock:
	mutex_unlock(&ioas->hwpt_lock);
	if (!rc)
		*out = hwpt;
	return rc;
}

static int ioasid_device_do_attach(struct ioasid_device *idev, u32 *pt_id,
				   bool replace)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_hwpt *hwpt = NULL, *old = NULL;
	struct ioasid_object *obj;
	int rc;

	obj = ioasid_get_object(idev->ctx, *pt_id, IOASID_OBJ_ANY);
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	mutex_lock(&igroup->lock);
	if (idev->attached && !replace) {
		rc = -EBUSY;
		goto out_unlock;
	}
	switch (obj->type) {
	case IOASID_OBJ_HWPT_PAGING:
		hwpt = container_of(obj, struct ioasid_hwpt, obj);
		rc = ioasid_group_set_hwpt(idev, hwpt, &old);
		break;
	case IOASID_OBJ_IOAS:
		rc = ioasid_device_attach_ioas(idev,
					       container_of(obj,
							    struct ioasid_ioas,
							    obj),
					       &hwpt, &old);
		break;
	default:
		rc = -ENOENT;
		break;
	}
	if (!rc)
		*pt_id = hwpt->obj.id;
out_unlock:
	mutex_unlock(&igroup->lock);
	if (old)
		ioasid_hwpt_put_attachment(idev->ctx, old);
	ioasid_put_object(obj);
	return rc;
}

/**
 * ioasid_device_attach() - Attach a device's RID to a page table
 * @idev: Bound device
 * @pt_id: In: an IOAS or a HWPT of the device's context.  Out: the HWPT
 *         used.  For an IOAS, that is the first HWPT the IOAS created for
 *         an earlier attachment that the device's IOMMU accepts, or a new
 *         one, filled with the IOAS's mappings
 *
 * The devices of one IOMMU group share one attachment: attaching a second
 * device of a group to the page table of the first only counts it.  May
 * sleep.
 *
 * Return: 0; -EBUSY when the device, or another device of its IOMMU group,
 * is attached already (use ioasid_device_replace()); -ENOENT when @pt_id
 * names neither an IOAS nor a HWPT; -EINVAL when the HWPT does not suit the
 * device's IOMMU; -EADDRINUSE when a mapping of the IOAS lies outside what
 * a new page table can translate; -ENOMEM.
 */
int ioasid_device_attach(struct ioasid_device *idev, u32 *pt_id)
{
	return ioasid_device_do_attach(idev, pt_id, false);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_attach, IOASID);

/**
 * ioasid_device_replace() - Move a device's RID to another page table
 * @idev: Bound device
 * @pt_id: As for ioasid_device_attach()
 *
 * Switches atomically: every DMA of the device is translated either by the
 * old page table or by the new one, never blocked in between, and once this
 * returns never by the old one.  Like ioasid_device_attach() if the device
 * is not attached.  May sleep.
 *
 * Return: as ioasid_device_attach(); -EBUSY when other devices of the IOMMU
 * group use the current page table.
 */
int ioasid_device_replace(struct ioasid_device *idev, u32 *pt_id)
{
	return ioasid_device_do_attach(idev, pt_id, true);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_replace, IOASID);

/**
 * ioasid_device_detach() - Detach a device's RID
 * @idev: Bound device, attached or not
 *
 * With the last attached device of its IOMMU group, the group is blocked.
 * May sleep.
 */
void ioasid_device_detach(struct ioasid_device *idev)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_hwpt *old = NULL;

	mutex_lock(&igroup->lock);
	if (idev->attached) {
		idev->attached = false;
		ioasid_ioas_remove_resv(igroup->hwpt->ioas, idev);
		if (!--igroup->nr_attached) {
			old = igroup->hwpt;
			iommu_detach_group(old->domain, igroup->group);
			igroup->hwpt = NULL;
		}
	}
	mutex_unlock(&igroup->lock);
	if (old)
		ioasid_hwpt_put_attachment(idev->ctx, old);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_detach, IOASID);

int ioasid_device_get_hw_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_device_get_hw_info *cmd = ucmd->cmd;
	void __user *buf = u64_to_user_ptr(cmd->data_uptr);
	const struct iommu_ops *ops;
	struct ioasid_object *obj;
	struct ioasid_device *idev;
	u32 len = 0, type = 0;
	void *data = NULL;
	u32 copy;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (memchr_inv(cmd->__reserved, 0, sizeof(cmd->__reserved)))
		return -EINVAL;

	obj = ioasid_get_object(ucmd->ctx, cmd->dev_id, IOASID_OBJ_DEVICE);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	idev = container_of(obj, struct ioasid_device, obj);

	ops = dev_iommu_ops(idev->dev);
	if (ops->hw_info) {
		data = ops->hw_info(idev->dev, &len, &type);
		if (IS_ERR(data)) {
			rc = PTR_ERR(data);
			goto out_put;
		}
		/* Data without a type could not be told apart from none. */
		if (WARN_ON_ONCE(type == IOMMU_HW_INFO_TYPE_NONE)) {
			rc = -ENODEV;
			goto out_free;
		}
	}

	copy = min(cmd->data_len, len);
	if (copy_to_user(buf, data, copy) ||
	    clear_user(buf + copy, cmd->data_len - copy)) {
		rc = -EFAULT;
		goto out_free;
	}
	cmd->data_len = len;
	cmd->out_data_type = type;
	cmd->out_max_pasid_log2 = 0;
	if (idev->dev->iommu->max_pasids)
		cmd->out_max_pasid_log2 = ilog2(idev->dev->iommu->max_pasids);
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	kfree(data);
out_put:
	ioasid_put_object(obj);
	return rc;
}
