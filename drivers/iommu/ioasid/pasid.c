// SPDX-License-Identifier: GPL-2.0-only
/*
 * PASIDs of devices bound to /dev/ioasid.
 *
 * A PASID is one more address dimension of a device: its attachments live
 * next to the RID's, per IOMMU group (device.c).  This file holds what is
 * particular to PASIDs:
 *
 *  - the policy of the subsystem that owns a device (ALLOW_PASID): which
 *    PASIDs user space may attach through /dev/ioasid, and to what kind of
 *    page table, kept per bound device in a maple tree of PASID ranges;
 *  - the per-PASID query of user space, IOASID_DEVICE_GET_PASID_INFO;
 *  - global PASIDs, from the IOMMU core's global pool, for user space
 *    (IOASID_PASID_ALLOC) and for kernel drivers that tag their DMA-API
 *    DMA with a PASID (ioasid_kernel_pasid_alloc()).  One table records
 *    who holds each global PASID taken through /dev/ioasid, so that no one
 *    else attaches that value as a device-local PASID.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/ioasid.h>
#include <linux/log2.h>
#include <linux/maple_tree.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "ioasid_private.h"

/*
 * Global PASID -> its holder: a &struct ioasid_ctx, or a tagged
 * &struct ioasid_kernel_pasid for a kernel PASID.  The one record of who
 * holds a value: a context's own table (&struct ioasid_ctx.pasids) only
 * counts the attachments of the values it holds, and has the entry before
 * this table does and until after this table drops it.
 */
static DEFINE_XARRAY(ioasid_global_pasids);

#define IOASID_PASID_TAG_KERNEL 1

/**
 * struct ioasid_kernel_pasid - A PASID a kernel driver tags its DMA with
 * @handle: Attach handle of the device's DMA-API domain at the PASID
 * @dev: The device
 */
struct ioasid_kernel_pasid {
	struct iommu_attach_handle handle;
	struct device *dev;
};

/**
 * ioasid_device_pasid_count() - How many PASIDs a bound device has
 * @idev: Bound device
 *
 * Return: the number of PASID values of the device and its IOMMU together
 * (PASIDs 1 to the count - 1 exist), 0 without PASID support.
 */
u32 ioasid_device_pasid_count(struct ioasid_device *idev)
{
	if (ioasid_device_is_emulated(idev))
		return idev->emulated_pasids;
	return min_t(u32, idev->dev->iommu->max_pasids, IOASID_PASID_MAX + 1);
}

/**
 * ioasid_pasid_check_attach() - May a PASID of a device use a page table
 * @idev: Bound device
 * @pasid: PASID, or %IOMMU_NO_PASID for the RID
 * @type: Kind of object user space attaches: an IOAS or a HWPT
 *
 * The RID keeps its own rules: it may be attached to any paging or nested
 * page table.
 * A PASID may be attached only as its owner's policy permits.  Called with
 * the device's group lock held, which protects the policy.
 *
 * Return: 0, or -EPERM when the owner's policy does not permit it.
 */
int ioasid_pasid_check_attach(struct ioasid_device *idev, ioasid_t pasid,
			      enum ioasid_object_type type)
{
	u32 need = 0;
	void *entry;

	lockdep_assert_held(&idev->igroup->lock);
	if (pasid == IOMMU_NO_PASID)
		return 0;
	if (type == IOASID_OBJ_IOAS || type == IOASID_OBJ_HWPT_PAGING)
		need = IOASID_PASID_CFG_PAGING;
	else if (type == IOASID_OBJ_HWPT_NESTED)
		need = IOASID_PASID_CFG_NESTED;
	entry = mtree_load(&idev->pasid_policy, pasid);
	if (!entry || !need || (xa_to_value(entry) & need) != need)
		return -EPERM;
	return 0;
}

/**
 * ioasid_pasid_claim() - Take a PASID value for a new attachment
 * @ctx: Context of the device
 * @pasid: PASID, or %IOMMU_NO_PASID for the RID
 * @global: Output, true when @pasid is a global PASID of @ctx, whose
 *          attachment count was taken; undo with ioasid_pasid_unclaim()
 *
 * A global PASID of another holder (another context, a kernel driver)
 * cannot be used as a device-local PASID.
 *
 * Return: 0, or -EBUSY when another holder has @pasid as a global PASID.
 */
int ioasid_pasid_claim(struct ioasid_ctx *ctx, ioasid_t pasid, bool *global)
{
	struct ioasid_global_pasid *gp;
	int rc = 0;

	void *holder;

	*global = false;
	if (pasid == IOMMU_NO_PASID)
		return 0;
	xa_lock(&ctx->pasids);
	holder = xa_load(&ioasid_global_pasids, pasid);
	gp = xa_load(&ctx->pasids, pasid);
	if (holder == ctx && gp) {
		gp->nr_attached++;
		*global = true;
	} else if (holder) {
		/* Another holder's, or one of ours being freed. */
		rc = -EBUSY;
	}
	xa_unlock(&ctx->pasids);
	return rc;
}

/**
 * ioasid_pasid_unclaim() - Undo ioasid_pasid_claim()
 * @ctx: Context of the device
 * @pasid: The PASID
 * @global: What ioasid_pasid_claim() returned in *global
 */
void ioasid_pasid_unclaim(struct ioasid_ctx *ctx, ioasid_t pasid, bool global)
{
	struct ioasid_global_pasid *gp;

	if (!global)
		return;
	xa_lock(&ctx->pasids);
	gp = xa_load(&ctx->pasids, pasid);
	/* IOASID_PASID_FREE fails while there are attachments. */
	if (!WARN_ON(!gp || !gp->nr_attached))
		gp->nr_attached--;
	xa_unlock(&ctx->pasids);
}

static int ioasid_pasid_range_check(struct ioasid_device *idev,
				    ioasid_t first, ioasid_t last)
{
	if (first == IOMMU_NO_PASID || first > last ||
	    last >= ioasid_device_pasid_count(idev))
		return -EINVAL;
	return 0;
}

/**
 * ioasid_device_allow_pasid() - Declare what user space may do with PASIDs
 * @idev: Device the caller bound
 * @first: First PASID of the range, at least 1
 * @last: Last PASID of the range, below the device's PASID count
 * @configs: Bitmap of &enum ioasid_pasid_config permitted on every PASID of
 *           the range; 0 declares that the owner keeps them: nothing is
 *           attached to them through /dev/ioasid
 *
 * The subsystem that owns a device decides which of its PASIDs user space
 * may attach through /dev/ioasid, and to what kind of page table; user
 * space reads the policy back with %IOASID_DEVICE_GET_PASID_INFO.  Until
 * the owner declares a PASID, every attachment to it fails with -EPERM.
 * A later call over the same PASIDs replaces their policy; a PASID of the
 * device whose attachment the new policy does not permit is detached
 * (blocked) before this returns.  The RID is not concerned: it may always
 * be attached to a paging page table.  May sleep.
 *
 * Return: 0; -EINVAL for a range outside 1 to the device's PASID count - 1
 * (always, for a device without PASIDs) or an unknown configuration;
 * -ENOMEM.
 */
int ioasid_device_allow_pasid(struct ioasid_device *idev, ioasid_t first,
			      ioasid_t last, u32 configs)
{
	LIST_HEAD(done);
	int rc;

	rc = ioasid_pasid_range_check(idev, first, last);
	if (rc)
		return rc;
	if (configs & ~IOASID_PASID_CFG_ALL)
		return -EINVAL;

	/* One step: no one sees the new policy with what it forbids. */
	mutex_lock(&idev->igroup->lock);
	rc = mtree_store_range(&idev->pasid_policy, first, last,
			       xa_mk_value(configs), GFP_KERNEL_ACCOUNT);
	if (!rc)
		ioasid_device_detach_range_locked(idev, first, last, configs,
						  &done);
	mutex_unlock(&idev->igroup->lock);
	ioasid_attach_list_finish(idev->ctx, &done);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_allow_pasid, IOASID);

/**
 * ioasid_device_revoke_pasid() - Withdraw the policy of PASIDs
 * @idev: Device the caller bound
 * @first: First PASID of the range
 * @last: Last PASID of the range
 *
 * The PASIDs of the range go back to undeclared: attaching them fails with
 * -EPERM.  Those of the device that are attached are detached (blocked)
 * first.  Cannot fail.  May sleep.
 */
void ioasid_device_revoke_pasid(struct ioasid_device *idev, ioasid_t first,
				ioasid_t last)
{
	LIST_HEAD(done);

	if (first == IOMMU_NO_PASID || first > last)
		return;
	mutex_lock(&idev->igroup->lock);
	/*
	 * Splitting a range may need a node: a revoke is part of the owner's
	 * teardown, and must not fail.
	 */
	WARN_ON(mtree_store_range(&idev->pasid_policy, first, last, NULL,
				  GFP_KERNEL_ACCOUNT | __GFP_NOFAIL));
	ioasid_device_detach_range_locked(idev, first, last, 0, &done);
	mutex_unlock(&idev->igroup->lock);
	ioasid_attach_list_finish(idev->ctx, &done);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_revoke_pasid, IOASID);

static u32 ioasid_device_pasid_caps(struct device *dev)
{
	u32 caps = 0;

	if (dev_is_pci(dev)) {
		struct pci_dev *pdev = to_pci_dev(dev);
		int features = pci_pasid_features(pdev);

		if (pci_pri_supported(pdev))
			caps |= IOASID_DEVICE_PASID_PRI;
		if (features > 0 && (features & PCI_PASID_CAP_EXEC))
			caps |= IOASID_DEVICE_PASID_EXEC;
		if (features > 0 && (features & PCI_PASID_CAP_PRIV))
			caps |= IOASID_DEVICE_PASID_PRIV;
	} else if (device_property_read_bool(dev, "dma-can-stall")) {
		/* A platform device whose faults stall instead of failing. */
		caps |= IOASID_DEVICE_PASID_PRI;
	}
	return caps;
}

int ioasid_device_get_pasid_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_device_get_pasid_info *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx;
	struct ioasid_attach *attach;
	struct ioasid_object *obj;
	struct ioasid_device *idev;
	u32 count, flags = 0;
	void *entry;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (memchr_inv(cmd->__reserved, 0, sizeof(cmd->__reserved)))
		return -EINVAL;
	if (cmd->pasid > IOASID_PASID_MAX)
		return -EINVAL;

	obj = ioasid_get_object(ctx, cmd->dev_id, IOASID_OBJ_DEVICE);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	idev = container_of(obj, struct ioasid_device, obj);
	count = ioasid_device_pasid_count(idev);

	cmd->out_allowed = 0;
	cmd->out_pt_kind = IOASID_PT_NONE;
	cmd->out_pt_id = 0;
	mutex_lock(&idev->igroup->lock);
	if (cmd->pasid == IOMMU_NO_PASID) {
		flags |= IOASID_PASID_INFO_DECLARED;
		cmd->out_allowed = IOASID_PASID_CFG_PAGING |
				   IOASID_PASID_CFG_NESTED;
	} else if (cmd->pasid < count) {
		entry = mtree_load(&idev->pasid_policy, cmd->pasid);
		if (entry) {
			flags |= IOASID_PASID_INFO_DECLARED;
			cmd->out_allowed = xa_to_value(entry);
		}
	}
	attach = ioasid_device_pasid_attachment(idev, cmd->pasid);
	if (ioasid_device_is_emulated(idev)) {
		struct ioasid_access *access;

		access = xa_load(&idev->accesses, cmd->pasid);
		if (access) {
			flags |= IOASID_PASID_INFO_ATTACHED;
			cmd->out_pt_kind = IOASID_PT_IOAS;
			cmd->out_pt_id = access->ioas->obj.id;
		}
	} else if (attach) {
		flags |= IOASID_PASID_INFO_ATTACHED;
		cmd->out_pt_id = attach->hwpt->obj.id;
		if (ioasid_hwpt_config(attach->hwpt) == IOASID_PASID_CFG_PAGING)
			cmd->out_pt_kind = IOASID_PT_HWPT_PAGING;
		else if (ioasid_hwpt_config(attach->hwpt) ==
			 IOASID_PASID_CFG_NESTED)
			cmd->out_pt_kind = IOASID_PT_HWPT_NESTED;
	}
	mutex_unlock(&idev->igroup->lock);

	if (cmd->pasid != IOMMU_NO_PASID) {
		void *holder = xa_load(&ioasid_global_pasids, cmd->pasid);

		if (holder == ctx)
			flags |= IOASID_PASID_INFO_GLOBAL;
		else if (holder)
			flags |= IOASID_PASID_INFO_TAKEN;
	}
	cmd->out_flags = flags;
	cmd->out_dev_caps = count && !ioasid_device_is_emulated(idev) ?
			    ioasid_device_pasid_caps(idev->dev) : 0;
	cmd->out_pasid_bits = count ? ilog2(count) : 0;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	ioasid_put_object(obj);
	return rc;
}

/* Give back a global PASID the context no longer holds. */
static void ioasid_global_pasid_release(ioasid_t pasid)
{
	xa_erase(&ioasid_global_pasids, pasid);
	iommu_free_global_pasid(pasid);
}

/*
 * Give a global PASID of @ctx back, unless a device of @ctx is attached
 * with it.  It stops being the context's (and can no longer be claimed) in
 * the global table first.
 */
static int ioasid_pasid_release(struct ioasid_ctx *ctx, ioasid_t pasid)
{
	struct ioasid_global_pasid *gp;
	int rc = 0;

	xa_lock(&ctx->pasids);
	gp = xa_load(&ctx->pasids, pasid);
	if (!gp || xa_load(&ioasid_global_pasids, pasid) != ctx) {
		rc = -ENOENT;
	} else if (gp->nr_attached) {
		rc = -EBUSY;
	} else {
		/* Under the lock of claims: none can take it from now on. */
		xa_erase(&ioasid_global_pasids, pasid);
		__xa_erase(&ctx->pasids, pasid);
		ctx->nr_pasids--;
	}
	xa_unlock(&ctx->pasids);
	if (rc)
		return rc;
	iommu_free_global_pasid(pasid);
	kfree(gp);
	return 0;
}

int ioasid_pasid_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_pasid_alloc *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx;
	struct ioasid_global_pasid *gp;
	struct ioasid_object *obj;
	struct ioasid_device *idev;
	ioasid_t pasid;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	obj = ioasid_get_object(ctx, cmd->dev_id, IOASID_OBJ_DEVICE);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	idev = container_of(obj, struct ioasid_device, obj);
	/* Global PASIDs are the IOMMU's: an emulated device has none. */
	if (!ioasid_device_pasid_count(idev) ||
	    ioasid_device_is_emulated(idev)) {
		rc = -ENODEV;
		goto out_put;
	}

	gp = kzalloc(sizeof(*gp), GFP_KERNEL_ACCOUNT);
	if (!gp) {
		rc = -ENOMEM;
		goto out_put;
	}
	/* Count it first, so that racing calls cannot pass the limit. */
	rc = 0;
	xa_lock(&ctx->pasids);
	if (ctx->nr_pasids >= IOASID_GLOBAL_PASIDS_MAX)
		rc = -ENOSPC;
	else
		ctx->nr_pasids++;
	xa_unlock(&ctx->pasids);
	if (rc)
		goto out_free;

	pasid = iommu_alloc_global_pasid(idev->dev);
	if (pasid == IOMMU_PASID_INVALID) {
		rc = -ENOSPC;
		goto out_uncount;
	}
	/* The context's entry first: the value is ours from the next step. */
	rc = xa_insert(&ctx->pasids, pasid, gp, GFP_KERNEL_ACCOUNT);
	if (rc)
		goto out_free_pasid;
	rc = xa_insert(&ioasid_global_pasids, pasid, ctx, GFP_KERNEL_ACCOUNT);
	if (rc)
		goto out_erase;

	cmd->out_pasid = pasid;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	/*
	 * Not reported: give it back as IOASID_PASID_FREE would.  A racing
	 * attach may have guessed the value; then the context keeps it
	 * until the close.
	 */
	if (rc)
		ioasid_pasid_release(ctx, pasid);
	goto out_put;
out_erase:
	xa_erase(&ctx->pasids, pasid);
out_free_pasid:
	iommu_free_global_pasid(pasid);
out_uncount:
	xa_lock(&ctx->pasids);
	ctx->nr_pasids--;
	xa_unlock(&ctx->pasids);
out_free:
	kfree(gp);
out_put:
	ioasid_put_object(obj);
	return rc;
}

int ioasid_pasid_free_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_pasid_free *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	return ioasid_pasid_release(ucmd->ctx, cmd->pasid);
}

/**
 * ioasid_ctx_free_pasids() - Give back the global PASIDs of a context
 * @ctx: Context whose file is released; no device is bound to it any more
 */
void ioasid_ctx_free_pasids(struct ioasid_ctx *ctx)
{
	struct ioasid_global_pasid *gp;
	unsigned long pasid;

	xa_for_each(&ctx->pasids, pasid, gp) {
		WARN_ON(gp->nr_attached);
		xa_erase(&ctx->pasids, pasid);
		ioasid_global_pasid_release(pasid);
		kfree(gp);
	}
	ctx->nr_pasids = 0;
	xa_destroy(&ctx->pasids);
}

/**
 * ioasid_kernel_pasid_alloc() - Tag a driver's DMA-API DMA with a PASID
 * @dev: Device whose bound driver calls, and uses the DMA API
 * @pasid: Output, the PASID
 *
 * For a kernel driver that submits work tagged with a PASID (a shared work
 * queue, for example): takes a global PASID from the IOMMU core's pool,
 * the one user space allocates from too, and attaches the device's DMA-API
 * domain to it, so that the addresses dma_map_*() returns for @dev are
 * valid with the PASID as without one.  No context can bind the device
 * while it holds a kernel PASID, nor attach the value anywhere as a
 * device-local PASID.  The driver releases it with
 * ioasid_kernel_pasid_free() when it unbinds.  May sleep.
 *
 * Return: 0; -ENODEV when the device has no PASID; -EBUSY when the device
 * does not use its DMA-API domain (it is bound to /dev/ioasid or another
 * DMA owner); -EOPNOTSUPP when the IOMMU cannot attach that domain to a
 * PASID; -ENOSPC when no global PASID is left within the device's width;
 * -ENOMEM.
 */
int ioasid_kernel_pasid_alloc(struct device *dev, ioasid_t *pasid)
{
	struct ioasid_kernel_pasid *kp;
	struct iommu_domain *domain;
	ioasid_t new;
	int rc;

	if (!dev->iommu || !dev->iommu->max_pasids)
		return -ENODEV;
	domain = iommu_get_domain_for_dev(dev);
	if (!domain || !(domain->type == IOMMU_DOMAIN_IDENTITY ||
			 (domain->type & __IOMMU_DOMAIN_DMA_API)))
		return -EBUSY;
	if (!domain->ops || !domain->ops->set_dev_pasid)
		return -EOPNOTSUPP;

	kp = kzalloc(sizeof(*kp), GFP_KERNEL);
	if (!kp)
		return -ENOMEM;
	kp->dev = dev;
	new = iommu_alloc_global_pasid(dev);
	if (new == IOMMU_PASID_INVALID) {
		rc = -ENOSPC;
		goto err_free;
	}
	rc = xa_insert(&ioasid_global_pasids, new,
		       xa_tag_pointer(kp, IOASID_PASID_TAG_KERNEL), GFP_KERNEL);
	if (rc)
		goto err_pasid;
	rc = iommu_attach_device_pasid(domain, dev, new, &kp->handle);
	if (rc)
		goto err_erase;
	*pasid = new;
	return 0;

err_erase:
	xa_erase(&ioasid_global_pasids, new);
err_pasid:
	iommu_free_global_pasid(new);
err_free:
	kfree(kp);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kernel_pasid_alloc, IOASID);

/**
 * ioasid_kernel_pasid_free() - Undo ioasid_kernel_pasid_alloc()
 * @dev: The device
 * @pasid: Its kernel PASID
 *
 * Detaches the DMA-API domain from the PASID (its DMA is blocked) and
 * gives the PASID back to the pool.  The driver has stopped the device's
 * work with the PASID before.  May sleep.
 */
void ioasid_kernel_pasid_free(struct device *dev, ioasid_t pasid)
{
	struct ioasid_kernel_pasid *kp;
	void *entry;

	entry = xa_load(&ioasid_global_pasids, pasid);
	if (WARN_ON(!entry ||
		    xa_pointer_tag(entry) != IOASID_PASID_TAG_KERNEL))
		return;
	kp = xa_untag_pointer(entry);
	if (WARN_ON(kp->dev != dev))
		return;
	iommu_detach_device_pasid(kp->handle.domain, dev, pasid);
	ioasid_global_pasid_release(pasid);
	kfree(kp);
}
EXPORT_SYMBOL_NS_GPL(ioasid_kernel_pasid_free, IOASID);
