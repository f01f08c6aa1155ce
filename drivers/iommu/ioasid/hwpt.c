// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hardware page tables of /dev/ioasid.
 *
 * A HWPT is one iommu_domain.  Its kinds share &struct ioasid_hwpt; today
 * there is one kind, the paging HWPT, a kernel-managed page table attached
 * to an IOAS that holds exactly the IOAS's mappings.  User space allocates
 * one with IOASID_HWPT_ALLOC to decide which devices share a page table; an
 * attach to an IOAS picks a compatible HWPT the IOAS created earlier (an
 * auto HWPT) or creates one, which goes away with its last attachment.
 */
#include <linux/iommu.h>
#include <linux/slab.h>

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
 * @flags: IOMMU_HWPT_ALLOC_* flags for the IOMMU driver, 0 for now
 *
 * For a device that needs cache coherency enforced, the domain enforces it
 * before the first mapping, as some IOMMUs choose it per IOPTE.
 *
 * Return: the HWPT, not yet published (the caller finalizes or aborts it),
 * or ERR_PTR(): -EADDRINUSE when the IOAS has mappings the domain cannot
 * translate, -ENOMEM, -EINTR on a fatal signal while filling it, or the
 * error of the IOMMU driver.
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
	ioasid_object_unhold(&ioas->obj);
}

int ioasid_hwpt_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_hwpt_alloc *cmd = ucmd->cmd;
	struct ioasid_hwpt_paging *hwpt_paging;
	struct ioasid_object *dev_obj;
	struct ioasid_device *idev;
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

	hwpt_paging = ioasid_hwpt_paging_alloc(ucmd->ctx, ioas, idev, 0);
	if (IS_ERR(hwpt_paging)) {
		rc = PTR_ERR(hwpt_paging);
		goto out_put_ioas;
	}
	cmd->out_hwpt_id = hwpt_paging->common.obj.id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		ioasid_object_abort_and_destroy(ucmd->ctx,
						&hwpt_paging->common.obj);
	else
		ioasid_object_finalize(ucmd->ctx, &hwpt_paging->common.obj);
out_put_ioas:
	ioasid_put_object(&ioas->obj);
out_put_dev:
	ioasid_put_object(dev_obj);
	return rc;
}
