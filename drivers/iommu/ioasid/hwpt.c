// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hardware page tables of /dev/ioasid.
 *
 * A HWPT is one iommu_domain.  Its kinds share &struct ioasid_hwpt:
 *
 * - the paging HWPT, a kernel-managed page table attached to an IOAS that
 *   holds exactly the IOAS's mappings.  User space allocates one with
 *   IOASID_HWPT_ALLOC to decide which devices share a page table; an attach
 *   to an IOAS picks a compatible HWPT the IOAS created earlier (an auto
 *   HWPT) or creates one, which goes away with its last attachment.  One
 *   allocated as a nesting parent can be the stage 2 of nested HWPTs;
 *
 * - the nested HWPT, a stage 1 that user space manages in the IOMMU's own
 *   format (a guest's page table in guest memory), translated by the IOMMU
 *   through its parent.  The IOMMU caches it: user space forwards the
 *   invalidations with IOASID_HWPT_INVALIDATE.  It holds its parent.
 */
#include <linux/iommu.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "../iommu-priv.h"
#include "ioasid_private.h"

/*
 * A paging domain for @dev: through the IOMMU driver's allocation for user
 * page tables where it has one, as that is the one that can be a nesting
 * parent; else through the plain paging allocation.
 */
static struct iommu_domain *
ioasid_paging_domain_alloc(struct device *dev, u32 flags)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_domain *domain;

	if (!ops->domain_alloc_user) {
		if (flags)
			return ERR_PTR(-EOPNOTSUPP);
		return iommu_paging_domain_alloc(dev);
	}
	domain = ops->domain_alloc_user(dev, flags, NULL, NULL);
	if (IS_ERR(domain))
		return domain;
	/* The driver's own domains are the ones its nested domains accept. */
	domain->owner = ops;
	return domain;
}

/**
 * ioasid_hwpt_paging_enforce_cc() - Make a paging HWPT enforce coherency
 * @hwpt_paging: Paging HWPT
 *
 * A device whose IOMMU can make its DMA snoop the CPU caches is told to
 * its owner (and by VFIO to KVM) as coherent, so every page table it is
 * attached to must do so.  Once set, it stays.
 *
 * Return: 0, or -EINVAL when the domain cannot enforce it.
 */
int ioasid_hwpt_paging_enforce_cc(struct ioasid_hwpt_paging *hwpt_paging)
{
	struct iommu_domain *domain = hwpt_paging->common.domain;

	if (hwpt_paging->enforce_cache_coherency)
		return 0;
	if (domain->ops->enforce_cache_coherency)
		hwpt_paging->enforce_cache_coherency =
			domain->ops->enforce_cache_coherency(domain);
	return hwpt_paging->enforce_cache_coherency ? 0 : -EINVAL;
}

/**
 * ioasid_hwpt_paging_alloc() - Allocate a paging HWPT filled from an IOAS
 * @ctx: Context
 * @ioas: IOAS, held by the caller; the HWPT takes its own reference
 * @idev: Device whose IOMMU the page table is for
 * @flags: IOMMU_HWPT_ALLOC_* flags for the IOMMU driver: 0, or
 *         IOMMU_HWPT_ALLOC_NEST_PARENT for the stage 2 of nested HWPTs
 *
 * For a device that needs cache coherency enforced, the domain enforces it
 * before the first mapping, as some IOMMUs choose it per IOPTE.
 *
 * Return: the HWPT, not yet published (the caller finalizes or aborts it),
 * or ERR_PTR(): -EOPNOTSUPP when the IOMMU cannot be a nesting parent,
 * -EADDRINUSE when the IOAS has mappings the domain cannot translate,
 * -ENOMEM, -EINTR on a fatal signal while filling it, or the error of the
 * IOMMU driver.
 */
struct ioasid_hwpt_paging *ioasid_hwpt_paging_alloc(struct ioasid_ctx *ctx,
						    struct ioasid_ioas *ioas,
						    struct ioasid_device *idev,
						    u32 flags)
{
	struct ioasid_hwpt_paging *hwpt_paging;
	struct iommu_domain *domain;
	struct ioasid_object *obj;
	int rc;

	/* Its object header comes first, through its common part. */
	static_assert(offsetof(struct ioasid_hwpt_paging, common.obj) == 0);
	obj = _ioasid_object_alloc(ctx, sizeof(*hwpt_paging),
				   IOASID_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	hwpt_paging = container_of(obj, struct ioasid_hwpt_paging, common.obj);
	INIT_LIST_HEAD(&hwpt_paging->auto_node);

	domain = ioasid_paging_domain_alloc(idev->dev, flags);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto err_abort;
	}
	hwpt_paging->common.domain = domain;
	hwpt_paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	if (idev->enforce_cache_coherency) {
		/* The driver said it could: failing is its bug. */
		rc = ioasid_hwpt_paging_enforce_cc(hwpt_paging);
		if (WARN_ON(rc))
			goto err_free;
	}
	rc = ioasid_ioas_attach_domain(ioas, domain);
	if (rc)
		goto err_free;
	ioasid_object_hold(&ioas->obj);
	hwpt_paging->ioas = ioas;
	return hwpt_paging;

err_free:
	iommu_domain_free(domain);
err_abort:
	ioasid_object_abort(ctx, &hwpt_paging->common.obj);
	return ERR_PTR(rc);
}

void ioasid_hwpt_paging_destroy(struct ioasid_object *obj)
{
	struct ioasid_hwpt_paging *hwpt_paging =
		container_of(obj, struct ioasid_hwpt_paging, common.obj);
	struct ioasid_ioas *ioas = hwpt_paging->ioas;

	/* An auto HWPT leaves the list with its last attachment. */
	WARN_ON(!list_empty(&hwpt_paging->auto_node));
	ioasid_ioas_detach_domain(ioas, hwpt_paging->common.domain);
	iommu_domain_free(hwpt_paging->common.domain);
	ioasid_hwpt_put_fault(&hwpt_paging->common);
	ioasid_object_unhold(&ioas->obj);
}

/**
 * ioasid_hwpt_nested_alloc() - Allocate a nested HWPT on a nesting parent
 * @ctx: Context
 * @parent: The stage 2, held by the caller; the HWPT takes its own hold
 * @idev: Device whose IOMMU the stage 1 is for
 * @data_type: &enum ioasid_hwpt_data_type of @data
 * @data_len: Bytes at @data
 * @data: The stage 1, as user space describes it in the IOMMU's format
 *
 * Return: the HWPT, not yet published, or ERR_PTR(): -EINVAL when @parent
 * is not a nesting parent, or not of the device's IOMMU, or the driver
 * finds the description malformed; -EOPNOTSUPP when the IOMMU cannot nest
 * or does not know the format; -EFAULT; -ENOMEM.
 */
static struct ioasid_hwpt_nested *
ioasid_hwpt_nested_alloc(struct ioasid_ctx *ctx,
			 struct ioasid_hwpt_paging *parent,
			 struct ioasid_device *idev, u32 data_type,
			 u32 data_len, void __user *data)
{
	const struct iommu_ops *ops = dev_iommu_ops(idev->dev);
	const struct iommu_user_data user_data = {
		.type = data_type,
		.uptr = data,
		.len = data_len,
	};
	struct ioasid_hwpt_nested *hwpt_nested;
	struct iommu_domain *domain;
	struct ioasid_object *obj;
	int rc;

	if (!parent->nest_parent ||
	    parent->common.domain->owner != ops)
		return ERR_PTR(-EINVAL);
	if (!ops->domain_alloc_user)
		return ERR_PTR(-EOPNOTSUPP);

	static_assert(offsetof(struct ioasid_hwpt_nested, common.obj) == 0);
	obj = _ioasid_object_alloc(ctx, sizeof(*hwpt_nested),
				   IOASID_OBJ_HWPT_NESTED);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	hwpt_nested = container_of(obj, struct ioasid_hwpt_nested, common.obj);

	domain = ops->domain_alloc_user(idev->dev, 0, parent->common.domain,
					&user_data);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto err_abort;
	}
	/* A driver that gives something else broke its contract. */
	if (WARN_ON_ONCE(domain->type != IOMMU_DOMAIN_NESTED)) {
		rc = -EINVAL;
		goto err_free;
	}
	domain->owner = ops;
	hwpt_nested->common.domain = domain;
	hwpt_nested->data_type = data_type;
	ioasid_object_hold(&parent->common.obj);
	hwpt_nested->parent = parent;
	return hwpt_nested;

err_free:
	iommu_domain_free(domain);
err_abort:
	ioasid_object_abort(ctx, &hwpt_nested->common.obj);
	return ERR_PTR(rc);
}

void ioasid_hwpt_nested_destroy(struct ioasid_object *obj)
{
	struct ioasid_hwpt_nested *hwpt_nested =
		container_of(obj, struct ioasid_hwpt_nested, common.obj);

	iommu_domain_free(hwpt_nested->common.domain);
	ioasid_hwpt_put_fault(&hwpt_nested->common);
	ioasid_object_unhold(&hwpt_nested->parent->common.obj);
}

/* Allocate a paging HWPT of @ioas_id, possibly a nesting parent. */
static struct ioasid_hwpt *ioasid_hwpt_alloc_paging(struct ioasid_ucmd *ucmd,
						    struct ioasid_device *idev)
{
	struct ioasid_hwpt_alloc *cmd = ucmd->cmd;
	struct ioasid_hwpt_paging *hwpt_paging;
	struct ioasid_ioas *ioas;
	u32 flags = 0;

	if (cmd->data_len || cmd->data_uptr)
		return ERR_PTR(-EINVAL);
	if (cmd->flags & IOASID_HWPT_ALLOC_NEST_PARENT)
		flags |= IOMMU_HWPT_ALLOC_NEST_PARENT;
	ioas = ioasid_get_ioas(ucmd->ctx, cmd->pt_id);
	if (IS_ERR(ioas))
		return ERR_CAST(ioas);
	hwpt_paging = ioasid_hwpt_paging_alloc(ucmd->ctx, ioas, idev, flags);
	ioasid_put_object(&ioas->obj);
	if (IS_ERR(hwpt_paging))
		return ERR_CAST(hwpt_paging);
	return &hwpt_paging->common;
}

/* Allocate a nested HWPT on the nesting parent @pt_id. */
static struct ioasid_hwpt *ioasid_hwpt_alloc_nested(struct ioasid_ucmd *ucmd,
						    struct ioasid_device *idev)
{
	struct ioasid_hwpt_alloc *cmd = ucmd->cmd;
	struct ioasid_hwpt_nested *hwpt_nested;
	struct ioasid_hwpt_paging *parent;
	struct ioasid_object *obj;

	if (cmd->flags)
		return ERR_PTR(-EINVAL);
	obj = ioasid_get_object(ucmd->ctx, cmd->pt_id,
				IOASID_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	parent = container_of(obj, struct ioasid_hwpt_paging, common.obj);
	hwpt_nested = ioasid_hwpt_nested_alloc(ucmd->ctx, parent, idev,
					       cmd->data_type, cmd->data_len,
					       u64_to_user_ptr(cmd->data_uptr));
	ioasid_put_object(obj);
	if (IS_ERR(hwpt_nested))
		return ERR_CAST(hwpt_nested);
	return &hwpt_nested->common;
}

int ioasid_hwpt_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_hwpt_alloc *cmd = ucmd->cmd;
	struct ioasid_fault_queue *fq = NULL;
	struct ioasid_object *dev_obj;
	struct ioasid_device *idev;
	struct ioasid_hwpt *hwpt;
	int rc;

	if (cmd->flags & ~IOASID_HWPT_ALLOC_NEST_PARENT)
		return -EOPNOTSUPP;

	dev_obj = ioasid_get_object(ucmd->ctx, cmd->dev_id, IOASID_OBJ_DEVICE);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	idev = container_of(dev_obj, struct ioasid_device, obj);
	/* No IOMMU translates an emulated device: it has no page table. */
	if (ioasid_device_is_emulated(idev)) {
		rc = -EOPNOTSUPP;
		goto out_put_dev;
	}
	if (cmd->fault_id) {
		fq = ioasid_get_fault_queue(ucmd->ctx, cmd->fault_id);
		if (IS_ERR(fq)) {
			rc = PTR_ERR(fq);
			fq = NULL;
			goto out_put_dev;
		}
	}
	if (cmd->data_type == IOASID_HWPT_DATA_NONE)
		hwpt = ioasid_hwpt_alloc_paging(ucmd, idev);
	else
		hwpt = ioasid_hwpt_alloc_nested(ucmd, idev);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_put_fault;
	}
	/* Before it is published, so before any attachment. */
	if (fq)
		ioasid_hwpt_set_fault(hwpt, fq);
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		ioasid_object_abort_and_destroy(ucmd->ctx, &hwpt->obj);
	else
		ioasid_object_finalize(ucmd->ctx, &hwpt->obj);
out_put_fault:
	if (fq)
		ioasid_put_object(&fq->obj);
out_put_dev:
	ioasid_put_object(dev_obj);
	return rc;
}

/* The invalidation format of each stage-1 format. */
static const u32 ioasid_hwpt_invalidate_types[] = {
	[IOASID_HWPT_DATA_VTD_S1] = IOASID_HWPT_INVALIDATE_DATA_VTD_S1,
	[IOASID_HWPT_DATA_ARM_SMMUV3] = IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3,
};

int ioasid_hwpt_invalidate_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array array = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	u32 entry_num = cmd->entry_num;
	struct ioasid_hwpt_nested *hwpt_nested;
	struct iommu_domain *domain;
	struct ioasid_object *obj;
	int rc, rc2;

	/* Until the driver says otherwise, nothing was carried out. */
	cmd->entry_num = 0;
	if (cmd->__reserved || !cmd->entry_len ||
	    cmd->entry_len > IOASID_HWPT_INVALIDATE_ENTRY_MAX ||
	    entry_num > IOASID_HWPT_INVALIDATE_NUM_MAX) {
		rc = -EINVAL;
		goto out_respond;
	}
	obj = ioasid_get_object(ucmd->ctx, cmd->hwpt_id, IOASID_OBJ_ANY);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_respond;
	}
	if (!ioasid_obj_is_hwpt(obj)) {
		rc = -ENOENT;
		goto out_put;
	}
	if (obj->type != IOASID_OBJ_HWPT_NESTED) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	hwpt_nested = container_of(obj, struct ioasid_hwpt_nested, common.obj);
	domain = hwpt_nested->common.domain;
	if (hwpt_nested->data_type < ARRAY_SIZE(ioasid_hwpt_invalidate_types) &&
	    cmd->data_type !=
	    ioasid_hwpt_invalidate_types[hwpt_nested->data_type]) {
		rc = -EINVAL;
		goto out_put;
	}
	if (!domain->ops->cache_invalidate_user) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	if (!entry_num) {
		rc = 0;
		goto out_put;
	}
	rc = domain->ops->cache_invalidate_user(domain, &array);
	/* The driver says how many entries it carried out. */
	cmd->entry_num = min(array.entry_num, entry_num);
out_put:
	ioasid_put_object(obj);
out_respond:
	rc2 = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	return rc ?: rc2;
}
