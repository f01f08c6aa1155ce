// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hardware page tables of /dev/ioasid.
 *
 * A paging HWPT is one iommu_domain attached to an IOAS: it holds exactly
 * the IOAS's mappings.  User space allocates one with IOASID_HWPT_ALLOC to
 * decide which devices share a page table; an attach to an IOAS picks a
 * compatible HWPT the IOAS created earlier or creates one, which goes away
 * with its last attachment.
 */
#include <linux/iommu.h>
#include <linux/slab.h>

#include "ioasid_private.h"

/**
 * ioasid_hwpt_alloc() - Allocate a paging HWPT filled from an IOAS
 * @ctx: Context
 * @ioas: IOAS, referenced by the caller; the HWPT takes its own reference
 * @dev: Device whose IOMMU the page table is for
 *
 * Return: the HWPT, not yet published (the caller finalizes or aborts it),
 * or ERR_PTR(): -EADDRINUSE when the IOAS has mappings the domain cannot
 * translate, -ENOMEM, or the error of the IOMMU driver.
 */
struct ioasid_hwpt *ioasid_hwpt_alloc(struct ioasid_ctx *ctx,
				      struct ioasid_ioas *ioas,
				      struct device *dev)
{
	struct iommu_domain *domain;
	struct ioasid_hwpt *hwpt;
	int rc;

	hwpt = ioasid_object_alloc(ctx, struct ioasid_hwpt,
				   IOASID_OBJ_HWPT_PAGING);
	if (IS_ERR(hwpt))
		return hwpt;
	INIT_LIST_HEAD(&hwpt->auto_node);

	domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(domain)) {
		ioasid_object_abort(ctx, &hwpt->obj);
		return ERR_CAST(domain);
	}
	rc = ioasid_ioas_attach_domain(ioas, domain);
	if (rc) {
		iommu_domain_free(domain);
		ioasid_object_abort(ctx, &hwpt->obj);
		return ERR_PTR(rc);
	}
	hwpt->domain = domain;
	refcount_inc(&ioas->obj.users);
	hwpt->ioas = ioas;
	return hwpt;
}

void ioasid_hwpt_destroy(struct ioasid_object *obj)
{
	struct ioasid_hwpt *hwpt = container_of(obj, struct ioasid_hwpt, obj);
	struct ioasid_ioas *ioas = hwpt->ioas;

	if (hwpt->auto_domain) {
		mutex_lock(&ioas->hwpt_lock);
		list_del_init(&hwpt->auto_node);
		mutex_unlock(&ioas->hwpt_lock);
	}
	ioasid_ioas_detach_domain(ioas, hwpt->domain);
	iommu_domain_free(hwpt->domain);
	ioasid_put_object(&ioas->obj);
}

int ioasid_hwpt_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_hwpt_alloc *cmd = ucmd->cmd;
	struct ioasid_object *dev_obj;
	struct ioasid_device *idev;
	struct ioasid_hwpt *hwpt;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	dev_obj = ioasid_get_object(ucmd->ctx, cmd->dev_id, IOASID_OBJ_DEVICE);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	idev = container_of(dev_obj, struct ioasid_device, obj);
	ioas = ioasid_get_ioas(ucmd->ctx, cmd->pt_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_put_dev;
	}

	hwpt = ioasid_hwpt_alloc(ucmd->ctx, ioas, idev->dev);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_put_ioas;
	}
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		ioasid_object_abort_and_destroy(ucmd->ctx, &hwpt->obj);
	else
		ioasid_object_finalize(ucmd->ctx, &hwpt->obj);
out_put_ioas:
	ioasid_put_object(&ioas->obj);
out_put_dev:
	ioasid_put_object(dev_obj);
	return rc;
}
