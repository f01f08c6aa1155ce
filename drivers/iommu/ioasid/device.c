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

static struct ioasid_group *ioasid_group_alloc(struct ioasid_ctx *ctx,
					       struct iommu_group *group)
{
	struct ioasid_group *new;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return NULL;
	kref_init(&new->kref);
	mutex_init(&new->lock);
	xa_init(&new->pasid_attach);
	new->ctx = ctx;
	new->group = group;
	return new;
}

static void ioasid_group_free(struct ioasid_group *igroup)
{
	WARN_ON(!xa_empty(&igroup->pasid_attach));
	xa_destroy(&igroup->pasid_attach);
	mutex_destroy(&igroup->lock);
	iommu_group_put(igroup->group);
	kfree(igroup);
}

static struct ioasid_group *ioasid_group_get(struct ioasid_ctx *ctx,
					     struct device *dev)
{
	struct ioasid_group *igroup, *new = NULL;
	struct iommu_group *group;
	unsigned long id;
	int rc;

	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-ENODEV);
	id = iommu_group_id(group);

	for (;;) {
		/* A group whose count is zero is no longer in the table. */
		xa_lock(&ctx->groups);
		igroup = xa_load(&ctx->groups, id);
		if (igroup) {
			kref_get(&igroup->kref);
			rc = 0;
		} else if (new) {
			rc = __xa_insert(&ctx->groups, id, new,
					 GFP_KERNEL_ACCOUNT);
		}
		xa_unlock(&ctx->groups);
		if (igroup) {
			if (new)
				ioasid_group_free(new);
			else
				iommu_group_put(group);
			return igroup;
		}
		if (new) {
			/*
			 * __xa_insert() may drop the lock to allocate, and a
			 * bind of another device of the group may insert
			 * meanwhile: then use that one.
			 */
			if (rc == -EBUSY)
				continue;
			if (rc) {
				ioasid_group_free(new);
				return ERR_PTR(rc);
			}
			return new;
		}
		new = ioasid_group_alloc(ctx, group);
		if (!new) {
			iommu_group_put(group);
			return ERR_PTR(-ENOMEM);
		}
	}
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
	if (last)
		ioasid_group_free(igroup);
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
 * User space cannot destroy the device object (IOASID_DESTROY fails with
 * EPERM); only the caller unbinds it.
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

	/*
	 * A device can sit in an IOMMU group that no IOMMU translates: VFIO
	 * puts its mediated devices in groups of their own.
	 */
	if (!dev->iommu || !dev->iommu->iommu_dev)
		return ERR_PTR(-ENODEV);
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
	idev->enforce_cache_coherency =
		device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
	mt_init(&idev->pasid_policy);
	xa_init(&idev->accesses);
	/* Only ioasid_device_unbind() removes it: IOASID_DESTROY gets EPERM. */
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

/**
 * ioasid_device_bind_emulated() - Bind a device whose DMA software does
 * @ctx: Context from ioasid_ctx_from_fd(); the caller keeps that reference
 *       until ioasid_device_unbind()
 * @dev: Device the caller owns, which no IOMMU translates: a vDPA
 *       simulator, a mediated device
 * @nr_pasids: How many address spaces the device tells apart, as PASIDs 1
 *             to @nr_pasids - 1 (a vDPA device's ASID a is PASID a + 1);
 *             at least 2
 * @out_id: Output, the device's id in @ctx, to report to user space
 *
 * Adds the device to @ctx, so that its owner can declare its policy with
 * ioasid_device_allow_pasid() and user space can read it with
 * %IOASID_DEVICE_GET_PASID_INFO.  No IOMMU group is claimed.  The device is
 * never attached to a page table: its owner serves each permitted PASID
 * through an access, ioasid_device_access_create().  User space cannot
 * destroy the device object (EPERM).  May sleep.
 *
 * Return: the bound device, or ERR_PTR(): -EINVAL for @nr_pasids below 2
 * or above %IOASID_PASID_MAX + 1; -ENOMEM.
 */
struct ioasid_device *ioasid_device_bind_emulated(struct ioasid_ctx *ctx,
						  struct device *dev,
						  u32 nr_pasids, u32 *out_id)
{
	struct ioasid_group *igroup;
	struct ioasid_device *idev;

	if (nr_pasids < 2 || nr_pasids > IOASID_PASID_MAX + 1)
		return ERR_PTR(-EINVAL);
	/* A group of its own, for the lock of its policy, never published. */
	igroup = ioasid_group_alloc(ctx, NULL);
	if (!igroup)
		return ERR_PTR(-ENOMEM);
	idev = ioasid_object_alloc(ctx, struct ioasid_device,
				   IOASID_OBJ_DEVICE);
	if (IS_ERR(idev)) {
		ioasid_group_free(igroup);
		return idev;
	}
	idev->ctx = ctx;
	idev->dev = get_device(dev);
	idev->igroup = igroup;
	idev->emulated_pasids = nr_pasids;
	mt_init(&idev->pasid_policy);
	xa_init(&idev->accesses);
	*out_id = idev->obj.id;
	ioasid_object_finalize(ctx, &idev->obj);
	return idev;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_bind_emulated, IOASID);

void ioasid_device_destroy(struct ioasid_object *obj)
{
	struct ioasid_device *idev =
		container_of(obj, struct ioasid_device, obj);

	/* Unbinding detached it: its page requests are off. */
	WARN_ON(idev->iopf_users);
	mtree_destroy(&idev->pasid_policy);
	if (ioasid_device_is_emulated(idev)) {
		/* The owner destroys its accesses before it unbinds. */
		WARN_ON(!xa_empty(&idev->accesses));
		xa_destroy(&idev->accesses);
		ioasid_group_free(idev->igroup);
	} else {
		iommu_device_release_dma_owner(idev->dev);
		ioasid_group_put(idev->igroup);
	}
	put_device(idev->dev);
}

/**
 * ioasid_device_unbind() - Undo ioasid_device_bind()
 * @idev: Bound device
 *
 * Detaches the device, removes it from its context (waiting for the calls
 * of user space that are using it to end) and gives up DMA ownership.  The
 * caller then drops its context reference.  May sleep.
 */
void ioasid_device_unbind(struct ioasid_device *idev)
{
	LIST_HEAD(done);

	mutex_lock(&idev->igroup->lock);
	ioasid_device_detach_range_locked(idev, IOMMU_NO_PASID,
					  IOASID_PASID_MAX, 0, &done);
	mutex_unlock(&idev->igroup->lock);
	ioasid_attach_list_finish(idev->ctx, &done);
	ioasid_test_delay(IOASID_DELAY_UNBIND);
	/* Nothing holds a device long-term: this cannot fail. */
	ioasid_object_remove(idev->ctx, &idev->obj, idev->obj.id,
			     IOASID_REMOVE_WAIT);
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

/*
 * Take an attachment's reference on @hwpt.  An auto HWPT off its IOAS's
 * list is going away and takes no new attachment.
 */
static int ioasid_hwpt_get_attachment(struct ioasid_hwpt *hwpt)
{
	struct ioasid_hwpt_paging *hwpt_paging = ioasid_hwpt_stage2(hwpt);

	lockdep_assert_held(&hwpt_paging->ioas->hwpt_lock);
	/* A nested HWPT is never an auto HWPT, and its parent neither. */
	if (&hwpt_paging->common == hwpt && hwpt_paging->auto_domain) {
		if (list_empty(&hwpt_paging->auto_node))
			return -ENOENT;
		hwpt_paging->nr_attached++;
	}
	ioasid_object_hold(&hwpt->obj);
	return 0;
}

/* Undo ioasid_hwpt_get_attachment() for an attachment that failed. */
static void ioasid_hwpt_undo_attachment(struct ioasid_hwpt *hwpt)
{
	struct ioasid_hwpt_paging *hwpt_paging = ioasid_hwpt_stage2(hwpt);

	lockdep_assert_held(&hwpt_paging->ioas->hwpt_lock);
	if (&hwpt_paging->common == hwpt && hwpt_paging->auto_domain)
		hwpt_paging->nr_attached--;
	ioasid_object_unhold(&hwpt->obj);
}

/*
 * Drop an attachment's reference on a HWPT, outside the group's lock.  An
 * auto HWPT leaves its IOAS's list with its last attachment, so that no
 * attachment can find it any more, and is removed.
 */
static void ioasid_hwpt_put_attachment(struct ioasid_ctx *ctx,
				       struct ioasid_hwpt *hwpt)
{
	struct ioasid_hwpt_paging *hwpt_paging = ioasid_hwpt_stage2(hwpt);
	struct ioasid_ioas *ioas = hwpt_paging->ioas;
	bool last;

	if (&hwpt_paging->common != hwpt || !hwpt_paging->auto_domain) {
		ioasid_object_unhold(&hwpt->obj);
		return;
	}
	mutex_lock(&ioas->hwpt_lock);
	last = !--hwpt_paging->nr_attached;
	if (last)
		list_del_init(&hwpt_paging->auto_node);
	mutex_unlock(&ioas->hwpt_lock);
	if (!last) {
		ioasid_object_unhold(&hwpt->obj);
		return;
	}
	ioasid_test_delay(IOASID_DELAY_HWPT_LAST_PUT);
	/* Lookups in progress find it off the list and let go. */
	ioasid_object_remove(ctx, &hwpt->obj, hwpt->obj.id,
			     IOASID_REMOVE_WAIT | IOASID_REMOVE_HELD);
}

/*
 * An IOMMU that cannot tell MSI writes from DMA (IOMMU_RESV_SW_MSI) needs the
 * doorbell pages mapped in the device's page table: the DMA layer maps them
 * at the window the driver names, on demand, once the domain has its cookie.
 * The window is reserved in the IOAS with the device's other regions.
 */
static int ioasid_hwpt_setup_sw_msi(struct ioasid_hwpt_paging *hwpt_paging,
				    struct device *dev)
{
	struct iommu_resv_region *region;
	phys_addr_t start = PHYS_ADDR_MAX;
	LIST_HEAD(regions);
	int rc;

	if (hwpt_paging->msi_cookie)
		return 0;
	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list)
		if (region->type == IOMMU_RESV_SW_MSI)
			start = region->start;
	iommu_put_resv_regions(dev, &regions);
	if (start == PHYS_ADDR_MAX)
		return 0;

	rc = iommu_get_msi_cookie(hwpt_paging->common.domain, start);
	/* The devices of one IOMMU driver share its window. */
	if (rc && rc != -EEXIST)
		return rc;
	hwpt_paging->msi_cookie = true;
	return 0;
}

/* The attachment of the RID of the device's group, or NULL. */
/* What PASID @pasid of the device's group is attached to, or NULL. */
static struct ioasid_attach *ioasid_group_attachment(struct ioasid_group *igroup,
						     ioasid_t pasid)
{
	lockdep_assert_held(&igroup->lock);
	return xa_load(&igroup->pasid_attach, pasid);
}

/**
 * ioasid_device_pasid_attachment() - The attachment a device uses at a PASID
 * @idev: Bound device
 * @pasid: PASID, or %IOMMU_NO_PASID for the RID
 *
 * Called with the group's lock held.
 *
 * Return: the attachment of the device's group at @pasid if the device is
 * one of its devices, else NULL.
 */
struct ioasid_attach *ioasid_device_pasid_attachment(struct ioasid_device *idev,
						     ioasid_t pasid)
{
	struct ioasid_attach *attach;

	attach = ioasid_group_attachment(idev->igroup, pasid);
	if (attach && xa_load(&attach->devices, idev->obj.id))
		return attach;
	return NULL;
}

/*
 * Free an attachment whose handle the IOMMU core let go, or never took:
 * the page requests of the handle that wait for an answer get failure.
 */
static void ioasid_attach_free(struct ioasid_attach *attach)
{
	WARN_ON(attach->nr_devices);
	xa_destroy(&attach->devices);
	ioasid_attach_handle_free(attach->handle);
	kfree(attach);
}

/*
 * The IOMMU core's calls for the RID of a group and for one PASID of it.
 * A PASID is attached on every PASID-capable device of the group, as the
 * RID is on every device.
 */
static int ioasid_iommu_attach(struct ioasid_device *idev,
			       struct ioasid_attach *attach)
{
	struct iommu_domain *domain = attach->hwpt->domain;

	if (attach->pasid == IOMMU_NO_PASID)
		return iommu_attach_group_handle(domain, idev->igroup->group,
						 &attach->handle->handle);
	return iommu_attach_device_pasid(domain, idev->dev, attach->pasid,
					 &attach->handle->handle);
}

static int ioasid_iommu_replace(struct ioasid_device *idev,
				struct ioasid_attach *attach,
				struct ioasid_hwpt *hwpt,
				struct ioasid_attach_handle *handle)
{
	if (attach->pasid == IOMMU_NO_PASID)
		return iommu_replace_group_handle(idev->igroup->group,
						  hwpt->domain,
						  &handle->handle);
	return iommu_replace_device_pasid(hwpt->domain, idev->dev,
					  attach->pasid, &handle->handle);
}

static void ioasid_iommu_detach(struct ioasid_device *idev,
				struct ioasid_attach *attach)
{
	struct iommu_domain *domain = attach->hwpt->domain;

	if (attach->pasid == IOMMU_NO_PASID)
		iommu_detach_group_handle(domain, idev->igroup->group);
	else
		iommu_detach_device_pasid(domain, idev->dev, attach->pasid);
}

/*
 * Add a device to its group's attachment.  The device's reserved regions
 * are held in the IOAS on behalf of the attachment, for as long as it is
 * attached there.  With a fault queue on the HWPT, the device's page
 * requests are enabled, before the IOMMU core attaches a new attachment.
 */
static int ioasid_attach_add_device(struct ioasid_attach *attach,
				    struct ioasid_device *idev)
{
	struct ioasid_hwpt_paging *hwpt_paging = ioasid_hwpt_stage2(attach->hwpt);
	int rc;

	if (idev->enforce_cache_coherency) {
		rc = ioasid_hwpt_paging_enforce_cc(hwpt_paging);
		if (rc)
			return rc;
	}
	rc = ioasid_attach_handle_add_dev(attach->handle, idev);
	if (rc)
		return rc;
	/*
	 * The slot first: the regions are the attachment's, and once added
	 * they can only be given back all together.
	 */
	rc = xa_insert(&attach->devices, idev->obj.id, idev,
		       GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_del;
	/* Its regions stay until the group is detached: it shares them. */
	rc = ioasid_ioas_add_resv(hwpt_paging->ioas, idev->dev, attach);
	if (rc) {
		xa_erase(&attach->devices, idev->obj.id);
		goto err_del;
	}
	attach->nr_devices++;
	return 0;

err_del:
	ioasid_attach_handle_del_dev(attach->handle, idev);
	return rc;
}

/*
 * Move the group's attachment to @hwpt, atomically.  Only the device
 * itself may use the current one.
 */
static int ioasid_group_replace_hwpt(struct ioasid_device *idev,
				     struct ioasid_attach *attach,
				     struct ioasid_hwpt *hwpt,
				     struct ioasid_hwpt **old)
{
	struct ioasid_hwpt_paging *hwpt_paging = ioasid_hwpt_stage2(hwpt);
	struct ioasid_ioas *old_ioas = ioasid_hwpt_stage2(attach->hwpt)->ioas;
	struct ioasid_attach_handle *handle;
	int rc;

	handle = ioasid_attach_handle_alloc(hwpt);
	if (!handle)
		return -ENOMEM;
	/* The device is the only one of the attachment. */
	rc = ioasid_attach_handle_add_dev(handle, idev);
	if (rc)
		goto err_free;
	if (hwpt_paging->ioas != old_ioas) {
		rc = ioasid_ioas_add_resv(hwpt_paging->ioas, idev->dev, attach);
		if (rc)
			goto err_del;
	}
	if (attach->pasid == IOMMU_NO_PASID) {
		rc = ioasid_hwpt_setup_sw_msi(hwpt_paging, idev->dev);
		if (rc)
			goto err_resv;
	}
	/* A fault looks the handle up: the old one is freed only after. */
	rc = ioasid_iommu_replace(idev, attach, hwpt, handle);
	if (rc)
		goto err_resv;
	if (hwpt_paging->ioas != old_ioas)
		ioasid_ioas_remove_resv(old_ioas, attach);
	/* No page request comes through the old handle any more. */
	ioasid_attach_handle_del_dev(attach->handle, idev);
	ioasid_attach_handle_free(attach->handle);
	attach->handle = handle;
	*old = attach->hwpt;
	attach->hwpt = hwpt;
	return 0;

err_resv:
	/* Only the new IOAS's ranges: the old IOAS keeps its own. */
	if (hwpt_paging->ioas != old_ioas)
		ioasid_ioas_remove_resv(hwpt_paging->ioas, attach);
err_del:
	ioasid_attach_handle_del_dev(handle, idev);
err_free:
	ioasid_attach_handle_free(handle);
	return rc;
}

/* Attach the group at @pasid, not attached yet, to @hwpt with this device. */
static int ioasid_group_attach_hwpt(struct ioasid_device *idev,
				    ioasid_t pasid, struct ioasid_hwpt *hwpt)
{
	struct ioasid_hwpt_paging *hwpt_paging = ioasid_hwpt_stage2(hwpt);
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_attach *attach;
	int rc;

	attach = kzalloc(sizeof(*attach), GFP_KERNEL_ACCOUNT);
	if (!attach)
		return -ENOMEM;
	xa_init(&attach->devices);
	attach->pasid = pasid;
	attach->hwpt = hwpt;
	attach->handle = ioasid_attach_handle_alloc(hwpt);
	if (!attach->handle) {
		rc = -ENOMEM;
		goto err_free;
	}
	rc = ioasid_pasid_claim(idev->ctx, pasid, &attach->global);
	if (rc)
		goto err_free;
	rc = xa_insert(&igroup->pasid_attach, pasid, attach,
		       GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_unclaim;
	rc = ioasid_attach_add_device(attach, idev);
	if (rc)
		goto err_erase;
	/* MSIs carry no PASID: only the RID's page table maps doorbells. */
	if (pasid == IOMMU_NO_PASID) {
		rc = ioasid_hwpt_setup_sw_msi(hwpt_paging, idev->dev);
		if (rc)
			goto err_remove;
	}
	rc = ioasid_iommu_attach(idev, attach);
	if (rc)
		goto err_remove;
	return 0;

err_remove:
	xa_erase(&attach->devices, idev->obj.id);
	attach->nr_devices--;
	ioasid_attach_handle_del_dev(attach->handle, idev);
	ioasid_ioas_remove_resv(hwpt_paging->ioas, attach);
err_erase:
	xa_erase(&igroup->pasid_attach, pasid);
err_unclaim:
	ioasid_pasid_unclaim(idev->ctx, pasid, attach->global);
err_free:
	ioasid_attach_free(attach);
	return rc;
}

/*
 * Attach the device at @pasid to @hwpt: attach its group there, move the
 * group's attachment (@replace), or add the device to the group's
 * attachment to @hwpt.  Called under the group's lock and the hwpt_lock of
 * the IOAS of @hwpt.  On success *old is the HWPT whose attachment
 * reference the caller drops once unlocked.
 */
static int ioasid_group_set_hwpt(struct ioasid_device *idev, ioasid_t pasid,
				 struct ioasid_hwpt *hwpt, bool replace,
				 struct ioasid_hwpt **old)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_attach *attach;
	bool attached;
	int rc;

	lockdep_assert_held(&igroup->lock);
	*old = NULL;
	attach = ioasid_group_attachment(igroup, pasid);
	attached = attach && xa_load(&attach->devices, idev->obj.id);
	if (attached && !replace)
		return -EBUSY;
	if (attach && attach->hwpt == hwpt)
		return attached ? 0 : ioasid_attach_add_device(attach, idev);
	/* Other devices of the group use the current page table. */
	if (attach && (!attached || attach->nr_devices > 1))
		return -EBUSY;

	if (idev->enforce_cache_coherency) {
		rc = ioasid_hwpt_paging_enforce_cc(ioasid_hwpt_stage2(hwpt));
		if (rc)
			return rc;
	}
	rc = ioasid_hwpt_get_attachment(hwpt);
	if (rc)
		return rc;
	if (attach)
		rc = ioasid_group_replace_hwpt(idev, attach, hwpt, old);
	else
		rc = ioasid_group_attach_hwpt(idev, pasid, hwpt);
	if (rc)
		ioasid_hwpt_undo_attachment(hwpt);
	return rc;
}

/*
 * Attach to an auto HWPT of @ioas: the first one the device's IOMMU
 * accepts, or a new one.  Returns the HWPT through *out.
 */
static int ioasid_device_attach_ioas(struct ioasid_device *idev,
				     ioasid_t pasid, struct ioasid_ioas *ioas,
				     bool replace, struct ioasid_hwpt **out,
				     struct ioasid_hwpt **old)
{
	struct ioasid_hwpt_paging *hwpt_paging;
	int rc;

	mutex_lock(&ioas->hwpt_lock);
	list_for_each_entry(hwpt_paging, &ioas->hwpts, auto_node) {
		rc = ioasid_group_set_hwpt(idev, pasid, &hwpt_paging->common,
					   replace, old);
		/* -EINVAL: this domain does not suit the device's IOMMU. */
		if (rc != -EINVAL)
			goto out_unlock;
	}

	hwpt_paging = ioasid_hwpt_paging_alloc(idev->ctx, ioas, idev, 0);
	if (IS_ERR(hwpt_paging)) {
		rc = PTR_ERR(hwpt_paging);
		goto out_unlock;
	}
	hwpt_paging->auto_domain = true;
	list_add_tail(&hwpt_paging->auto_node, &ioas->hwpts);
	rc = ioasid_group_set_hwpt(idev, pasid, &hwpt_paging->common, replace,
				   old);
	if (rc) {
		list_del_init(&hwpt_paging->auto_node);
		ioasid_object_abort_and_destroy(idev->ctx,
						&hwpt_paging->common.obj);
		goto out_unlock;
	}
	ioasid_object_finalize(idev->ctx, &hwpt_paging->common.obj);
out_unlock:
	mutex_unlock(&ioas->hwpt_lock);
	if (!rc)
		*out = &hwpt_paging->common;
	return rc;
}

static int ioasid_device_do_attach(struct ioasid_device *idev, ioasid_t pasid,
				   u32 *pt_id, bool replace)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_hwpt *hwpt = NULL, *old = NULL;
	struct ioasid_object *obj;
	struct ioasid_ioas *ioas;
	int rc;

	/* Accesses serve an emulated device: no page table is attached. */
	if (ioasid_device_is_emulated(idev))
		return -EOPNOTSUPP;
	if (pasid != IOMMU_NO_PASID &&
	    (pasid > IOASID_PASID_MAX ||
	     pasid >= ioasid_device_pasid_count(idev)))
		return -EINVAL;
	obj = ioasid_get_object(idev->ctx, *pt_id, IOASID_OBJ_ANY);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ioasid_test_delay(IOASID_DELAY_ATTACH_LOOKUP);

	mutex_lock(&igroup->lock);
	if (obj->type != IOASID_OBJ_IOAS && !ioasid_obj_is_hwpt(obj)) {
		rc = -ENOENT;
		goto out_unlock;
	}
	rc = ioasid_pasid_check_attach(idev, pasid, obj->type);
	if (rc)
		goto out_unlock;
	if (!replace && ioasid_device_pasid_attachment(idev, pasid)) {
		rc = -EBUSY;
		goto out_unlock;
	}
	if (ioasid_obj_is_hwpt(obj)) {
		hwpt = container_of(obj, struct ioasid_hwpt, obj);
		ioas = ioasid_hwpt_stage2(hwpt)->ioas;
		mutex_lock(&ioas->hwpt_lock);
		rc = ioasid_group_set_hwpt(idev, pasid, hwpt, replace, &old);
		mutex_unlock(&ioas->hwpt_lock);
	} else {
		ioas = container_of(obj, struct ioasid_ioas, obj);
		rc = ioasid_device_attach_ioas(idev, pasid, ioas, replace,
					       &hwpt, &old);
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
 * device of a group to the page table of the first only adds it.  The
 * attachment goes through the IOMMU core with an attach handle that leads
 * from the domain back to its HWPT.  A device whose IOMMU can enforce cache
 * coherency makes the page table enforce it.  May sleep.
 *
 * Return: 0; -EBUSY when the device, or another device of its IOMMU group,
 * is attached already (use ioasid_device_replace()); -ENOENT when @pt_id
 * names neither an IOAS nor a HWPT, or a HWPT being destroyed; -EINVAL
 * when the HWPT does not suit the device's IOMMU, or cannot enforce the
 * cache coherency the device needs; -EADDRINUSE when a mapping of the IOAS
 * lies outside what a new page table can translate, or in a reserved
 * region of the device; -ENOMEM; -EINTR when a fatal signal stopped the
 * filling of a new page table.
 */
int ioasid_device_attach(struct ioasid_device *idev, u32 *pt_id)
{
	return ioasid_device_do_attach(idev, IOMMU_NO_PASID, pt_id, false);
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
	return ioasid_device_do_attach(idev, IOMMU_NO_PASID, pt_id, true);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_replace, IOASID);

/**
 * ioasid_device_pasid_attach() - Attach a PASID of a device to a page table
 * @idev: Bound device
 * @pasid: PASID, from 1 to the device's PASID count - 1: a device-local
 *         PASID, or a global PASID of the device's context
 * @pt_id: As for ioasid_device_attach(); an IOAS shares its HWPTs between
 *         the RIDs and the PASIDs attached to it
 *
 * DMA the device tags with @pasid is translated by the page table, within
 * the policy the device's owner declared with ioasid_device_allow_pasid().
 * The devices of one IOMMU group share one attachment per PASID.  May
 * sleep.
 *
 * Return: 0; -EINVAL when the device has no PASID @pasid; -ENOENT as for
 * ioasid_device_attach(); -EPERM when the owner's policy does not permit
 * this attachment; -EBUSY when @pasid is a global PASID of another context
 * or of a kernel driver, or the device or its group is attached at @pasid
 * already; the other errors of ioasid_device_attach(); -EOPNOTSUPP when
 * the IOMMU cannot attach a PASID.
 */
int ioasid_device_pasid_attach(struct ioasid_device *idev, ioasid_t pasid,
			       u32 *pt_id)
{
	if (pasid == IOMMU_NO_PASID)
		return -EINVAL;
	return ioasid_device_do_attach(idev, pasid, pt_id, false);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_pasid_attach, IOASID);

/**
 * ioasid_device_pasid_replace() - Move a PASID of a device to a page table
 * @idev: Bound device
 * @pasid: As for ioasid_device_pasid_attach()
 * @pt_id: As for ioasid_device_attach()
 *
 * Switches atomically, as ioasid_device_replace() does for the RID; like
 * ioasid_device_pasid_attach() if the PASID is not attached.  May sleep.
 *
 * Return: as ioasid_device_pasid_attach(); -EBUSY when other devices of the
 * IOMMU group use the current page table of @pasid.
 */
int ioasid_device_pasid_replace(struct ioasid_device *idev, ioasid_t pasid,
				u32 *pt_id)
{
	if (pasid == IOMMU_NO_PASID)
		return -EINVAL;
	return ioasid_device_do_attach(idev, pasid, pt_id, true);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_pasid_replace, IOASID);

/*
 * Take the device out of its group's attachment; with the last device,
 * detach the group there (blocking its DMA at the PASID), give back the
 * reserved regions and unlist the attachment.  Returns the attachment then,
 * for ioasid_attach_finish() once the group's lock is dropped, else NULL.
 */
static struct ioasid_attach *ioasid_detach_locked(struct ioasid_device *idev,
						  struct ioasid_attach *attach)
{
	struct ioasid_group *igroup = idev->igroup;

	lockdep_assert_held(&igroup->lock);
	if (!xa_erase(&attach->devices, idev->obj.id))
		return NULL;
	if (--attach->nr_devices) {
		/* The group stays attached: the device's requests are refused. */
		ioasid_attach_handle_del_dev(attach->handle, idev);
		return NULL;
	}
	ioasid_iommu_detach(idev, attach);
	/* After the detach: no page request of the device is in flight. */
	ioasid_attach_handle_del_dev(attach->handle, idev);
	ioasid_test_delay(IOASID_DELAY_DETACH);
	ioasid_ioas_remove_resv(ioasid_hwpt_stage2(attach->hwpt)->ioas, attach);
	xa_erase(&igroup->pasid_attach, attach->pasid);
	ioasid_pasid_unclaim(idev->ctx, attach->pasid, attach->global);
	return attach;
}

/*
 * Free a detached attachment and drop its HWPT reference, outside the
 * group's lock: an auto HWPT's last put waits for the lookups in
 * progress, which may be attaches waiting for that lock.  The handle goes
 * first, as its page requests still lead to the HWPT's fault queue.
 */
static void ioasid_attach_finish(struct ioasid_ctx *ctx,
				 struct ioasid_attach *attach)
{
	struct ioasid_hwpt *hwpt = attach->hwpt;

	ioasid_attach_free(attach);
	ioasid_hwpt_put_attachment(ctx, hwpt);
}

static void ioasid_device_do_detach(struct ioasid_device *idev,
				    ioasid_t pasid)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_attach *attach, *done = NULL;

	mutex_lock(&igroup->lock);
	attach = ioasid_group_attachment(igroup, pasid);
	if (attach)
		done = ioasid_detach_locked(idev, attach);
	mutex_unlock(&igroup->lock);
	if (done)
		ioasid_attach_finish(idev->ctx, done);
}

/**
 * ioasid_device_detach() - Detach a device's RID
 * @idev: Bound device, attached or not
 *
 * With the last attached device of its IOMMU group, the group is blocked;
 * only then are the reserved regions the group held in the IOAS given
 * back, as until then the device still translates through the page table.
 * The PASIDs of the device stay attached.  May sleep.
 */
void ioasid_device_detach(struct ioasid_device *idev)
{
	ioasid_device_do_detach(idev, IOMMU_NO_PASID);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_detach, IOASID);

/**
 * ioasid_device_pasid_detach() - Detach a PASID of a device
 * @idev: Bound device
 * @pasid: PASID, attached or not
 *
 * As ioasid_device_detach(), for the PASID: with the last device of the
 * IOMMU group attached there, DMA tagged with @pasid is blocked.  May
 * sleep.
 */
void ioasid_device_pasid_detach(struct ioasid_device *idev, ioasid_t pasid)
{
	if (WARN_ON(pasid == IOMMU_NO_PASID))
		return;
	ioasid_device_do_detach(idev, pasid);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_pasid_detach, IOASID);

/**
 * ioasid_device_detach_range_locked() - Detach a device from PASIDs of a range
 * @idev: Bound device
 * @first: First PASID, %IOMMU_NO_PASID to include the RID
 * @last: Last PASID
 * @keep: Bitmap of &enum ioasid_pasid_config: attachments of these kinds
 *        stay
 * @done: List the detached attachments are added to, for
 *        ioasid_attach_list_finish() once the group's lock is dropped
 *
 * Called with the group's lock held, so that a change of the owner's policy
 * and the detachments it implies are one step for every other caller.
 */
void ioasid_device_detach_range_locked(struct ioasid_device *idev,
				       ioasid_t first, ioasid_t last, u32 keep,
				       struct list_head *done)
{
	struct ioasid_attach *attach, *last_one;
	unsigned long index;

	lockdep_assert_held(&idev->igroup->lock);
	xa_for_each_range(&idev->igroup->pasid_attach, index, attach, first,
			  last) {
		if (!xa_load(&attach->devices, idev->obj.id) ||
		    (keep & ioasid_hwpt_config(attach->hwpt)))
			continue;
		last_one = ioasid_detach_locked(idev, attach);
		if (last_one)
			list_add_tail(&last_one->done_node, done);
		cond_resched();
	}
}

/**
 * ioasid_attach_list_finish() - Release detached attachments
 * @ctx: Their context
 * @done: List filled by ioasid_device_detach_range_locked()
 */
void ioasid_attach_list_finish(struct ioasid_ctx *ctx, struct list_head *done)
{
	struct ioasid_attach *attach, *next;

	list_for_each_entry_safe(attach, next, done, done_node) {
		list_del(&attach->done_node);
		ioasid_attach_finish(ctx, attach);
	}
}

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
	/* No IOMMU translates an emulated device. */
	if (ioasid_device_is_emulated(idev)) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}

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
