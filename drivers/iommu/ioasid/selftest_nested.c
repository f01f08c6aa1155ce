// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested domains of the test IOMMU driver: a stage 1 that user space owns,
 * in the format of the mock VT-d or the mock SMMUv3, on a paging domain of
 * the same IOMMU that is its stage 2.
 *
 * A DMA through a nested domain is translated as the hardware translates
 * it: the format's walker (selftest_vtd.c, selftest_smmuv3.c) reads the
 * user's stage-1 tables, each fetch translated through the parent's
 * IOPTEs; the stage-1 output is translated through them again; the bytes
 * are copied to or from the page that comes out.  The result goes into a
 * small IOTLB that only an invalidation (IOASID_HWPT_INVALIDATE, through
 * cache_invalidate_user) or a stage-2 unmap empties, so that a forgotten
 * invalidation shows as a stale translation, exactly as on the hardware.
 */
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "mock_iommu.h"

/*
 * Translate the stage-2 input @addr for a read, or a write with @write, on
 * behalf of @w.  @flags and @level describe the fault to report: a table
 * fetch of stage-1 level @level, or (0, 0) the output of stage 1.
 */
static int mock_s2_translate(struct mock_walk *w, u64 addr, bool write,
			     u32 level, u32 flags, phys_addr_t *hpa)
{
	struct mock_domain *s2 = w->s2;
	unsigned long start;
	void *iopte;
	u32 prot;

	lockdep_assert_held(&s2->ioptes.xa_lock);
	if (addr > s2->domain.geometry.aperture_end)
		return mock_walk_fault(w, 2, IOASID_TEST_FAULT_ADDRESS_SIZE,
				       level, flags, addr);
	iopte = mock_iopte_find(s2, addr, &start);
	if (!iopte)
		return mock_walk_fault(w, 2, IOASID_TEST_FAULT_NOT_PRESENT,
				       level, flags, addr);
	prot = mock_iopte_prot(iopte);
	if (!(prot & (write ? IOASID_TEST_PROT_WRITE : IOASID_TEST_PROT_READ)))
		return mock_walk_fault(w, 2, IOASID_TEST_FAULT_PERMISSION,
				       level, flags, addr);
	*hpa = mock_iopte_paddr(iopte) + (addr - start);
	/* Test domains may name any address: only RAM is reached. */
	if (!pfn_valid(PHYS_PFN(*hpa)))
		return mock_walk_fault(w, 2, IOASID_TEST_FAULT_NOT_PRESENT,
				       level, flags, addr);
	return 0;
}

int mock_s1_read64(struct mock_walk *w, u64 addr, u32 level, u64 *val)
{
	phys_addr_t hpa;
	void *va;
	int rc;

	if (WARN_ON_ONCE(addr & 7))
		return mock_walk_fault(w, 1, IOASID_TEST_FAULT_RESERVED, level,
				       0, w->iova);
	rc = mock_s2_translate(w, addr, false, level,
			       IOASID_TEST_FAULT_TABLE_FETCH, &hpa);
	if (rc)
		return rc;
	va = kmap_local_page(pfn_to_page(PHYS_PFN(hpa)));
	*val = le64_to_cpu(READ_ONCE(*(__le64 *)(va + offset_in_page(hpa))));
	kunmap_local(va);
	return 0;
}

int mock_s1_update64(struct mock_walk *w, u64 addr, u32 level, u64 old,
		     u64 new)
{
	u64 expected = (__force u64)cpu_to_le64(old);
	phys_addr_t hpa;
	void *va;
	bool done;
	int rc;

	if (WARN_ON_ONCE(addr & 7))
		return mock_walk_fault(w, 1, IOASID_TEST_FAULT_RESERVED, level,
				       0, w->iova);
	rc = mock_s2_translate(w, addr, true, level,
			       IOASID_TEST_FAULT_TABLE_FETCH, &hpa);
	if (rc)
		return rc;
	va = kmap_local_page(pfn_to_page(PHYS_PFN(hpa)));
	/* As the hardware does: an atomic update of the entry it read. */
	done = try_cmpxchg64((u64 *)(va + offset_in_page(hpa)), &expected,
			     (__force u64)cpu_to_le64(new));
	kunmap_local(va);
	return done ? 0 : -EAGAIN;
}

static unsigned int mock_iotlb_slot(u32 key, u64 iova_pfn)
{
	return hash_64(iova_pfn ^ ((u64)key << 40),
		       ilog2(IOASID_TEST_IOTLB_ENTRIES));
}

/* Does @inv drop @e?  Called under the nested domain's lock. */
static bool mock_iotlb_match(const struct mock_iotlb_entry *e,
			     const struct mock_inv *inv)
{
	switch (inv->kind) {
	case MOCK_INV_ALL:
	case MOCK_INV_CFG_ALL:
		return true;
	case MOCK_INV_TAG:
		return e->tag == inv->tag;
	case MOCK_INV_RANGE:
		if (e->tag != inv->tag)
			return false;
		fallthrough;
	case MOCK_INV_RANGE_ALL_TAGS:
		/* A leaf is cached whole: any address of it drops it. */
		return e->leaf_first <= inv->last && inv->first <= e->leaf_last;
	case MOCK_INV_CFG:
		/*
		 * What a substream translated through its old configuration
		 * goes with it: caching less is always allowed.
		 */
		return e->key == inv->tag;
	default:
		return false;
	}
}

static void mock_iotlb_invalidate(struct mock_nested *nested,
				  const struct mock_inv *inv)
{
	unsigned int i;

	lockdep_assert_held(&nested->lock);
	for (i = 0; i < ARRAY_SIZE(nested->iotlb); i++) {
		struct mock_iotlb_entry *e = &nested->iotlb[i];

		if (e->valid && mock_iotlb_match(e, inv))
			e->valid = false;
	}
}

static int mock_nested_walk(struct mock_nested *nested, struct mock_walk *w)
{
	if (nested->flavour == MOCK_VTD)
		return mock_vtd_s1_walk(&nested->vtd, w);
	return mock_smmuv3_s1_walk(&nested->smmu, w);
}

/**
 * mock_nested_dma_page() - One page's worth of DMA through a nested domain
 * @nested: The domain, attached to the device's RID or to @pasid
 * @pasid: PASID (VT-d) or substream ID (SMMUv3) of the DMA, or
 *         %IOMMU_NO_PASID
 * @iova: Input address
 * @access: &enum mock_access
 * @buf: Bytes to write, or room for those read
 * @len: Bytes, within the page of @iova
 * @fault: Out, why the translation failed
 * @hit: Out, translated from the IOTLB
 *
 * Called with the lock that keeps @nested attached held, so that neither
 * it nor its parent can go; the parent's IOPTE lock is held for the whole
 * copy, so that the page cannot be unmapped and unpinned under it.
 *
 * Return: 0, or -ENXIO or -EACCES with @fault filled.
 */
int mock_nested_dma_page(struct mock_nested *nested, u32 pasid, u64 iova,
			 u32 access, void *buf, size_t len,
			 struct mock_fault *fault, bool *hit)
{
	struct mock_domain *s2 = nested->parent;
	struct mock_walk w = {
		.s2 = s2,
		.iova = iova,
		.pasid = pasid,
		.access = access,
	};
	bool priv = access & MOCK_ACC_PRIV;
	struct mock_iotlb_entry *e;
	phys_addr_t hpa;
	bool same;
	void *va;
	int rc = 0;

	*hit = false;
	spin_lock(&nested->lock);
	xa_lock(&s2->ioptes);
	e = &nested->iotlb[mock_iotlb_slot(pasid, iova >> PAGE_SHIFT)];
	/* Rights proven for one privilege level say nothing of the other. */
	same = e->valid && e->key == pasid && e->priv == priv &&
	       e->iova_pfn == iova >> PAGE_SHIFT && e->s2_gen == s2->s2_gen;
	if (same && !(access & ~e->access)) {
		hpa = e->hpa + offset_in_page(iova);
		*hit = true;
	} else {
		rc = mock_nested_walk(nested, &w);
		if (!rc)
			rc = mock_s2_translate(&w, w.oa,
					       access & MOCK_ACC_WRITE, 0, 0,
					       &hpa);
		if (rc) {
			*fault = w.fault;
			goto out_unlock;
		}
		/*
		 * The rights of the old walk add up only for the very same
		 * translation: a new one replaces it whole.
		 */
		same = same && e->tag == w.tag && e->hpa == (hpa & PAGE_MASK) &&
		       e->oa == (w.oa & PAGE_MASK) &&
		       e->leaf_first == (iova & ~(w.leaf_size - 1)) &&
		       e->leaf_last == e->leaf_first + w.leaf_size - 1;
		e->access = access | (same ? e->access : 0);
		e->valid = true;
		e->priv = priv;
		e->key = pasid;
		e->tag = w.tag;
		e->iova_pfn = iova >> PAGE_SHIFT;
		e->leaf_first = iova & ~(w.leaf_size - 1);
		e->leaf_last = e->leaf_first + w.leaf_size - 1;
		e->s2_gen = s2->s2_gen;
		e->oa = w.oa & PAGE_MASK;
		e->hpa = hpa & PAGE_MASK;
	}
	va = kmap_local_page(pfn_to_page(PHYS_PFN(hpa)));
	if (access & MOCK_ACC_WRITE)
		memcpy(va + offset_in_page(hpa), buf, len);
	else
		memcpy(buf, va + offset_in_page(hpa), len);
	kunmap_local(va);
out_unlock:
	xa_unlock(&s2->ioptes);
	spin_unlock(&nested->lock);
	return rc;
}

static int mock_nested_attach_dev(struct iommu_domain *domain,
				  struct device *dev)
{
	struct mock_nested *nested = to_mock_nested(domain);
	struct mock_dev *mdev = to_mock_dev(dev);

	/* Like a stage 1 of another IOMMU's format, or of another IOMMU. */
	if (nested->flavour != mdev->flavour ||
	    nested->parent->other_iommu != mdev->other_iommu)
		return -EINVAL;
	mock_dev_set_rid(dev, domain, false);
	return 0;
}

/*
 * A VT-d PASID table entry points at the first-stage table: any PASID may
 * use a nested domain.  An SMMUv3 nested domain is a stream table entry:
 * the guest's CD table gives its substreams, no PASID is attached alone.
 */
static int mock_nested_set_dev_pasid(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid,
				     struct iommu_domain *old)
{
	struct mock_nested *nested = to_mock_nested(domain);
	struct mock_dev *mdev = to_mock_dev(dev);

	if (nested->flavour != MOCK_VTD)
		return -EOPNOTSUPP;
	if (nested->flavour != mdev->flavour ||
	    nested->parent->other_iommu != mdev->other_iommu)
		return -EINVAL;
	return mock_set_dev_pasid(dev, pasid, domain);
}

static int mock_nested_cache_invalidate_user(struct iommu_domain *domain,
					     struct iommu_user_data_array *array)
{
	struct mock_nested *nested = to_mock_nested(domain);
	u32 type = nested->flavour == MOCK_VTD ?
		   IOASID_HWPT_INVALIDATE_DATA_VTD_S1 :
		   IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3;
	struct mock_inv inv;
	int rc = 0;
	u32 i;

	if (array->type != type) {
		array->entry_num = 0;
		return -EINVAL;
	}
	for (i = 0; i < array->entry_num; i++) {
		if (nested->flavour == MOCK_VTD)
			rc = mock_vtd_inv_decode(array, i, &inv);
		else
			rc = mock_smmuv3_inv_decode(array, i, &inv);
		if (rc)
			break;
		spin_lock(&nested->lock);
		mock_iotlb_invalidate(nested, &inv);
		if (nested->flavour == MOCK_SMMUV3)
			mock_smmuv3_cd_invalidate(&nested->smmu, &inv);
		spin_unlock(&nested->lock);
		if (fatal_signal_pending(current)) {
			/* This one is done: it counts. */
			i++;
			rc = -EINTR;
			break;
		}
		cond_resched();
	}
	array->entry_num = i;
	return rc;
}

static void mock_nested_free(struct iommu_domain *domain)
{
	struct mock_nested *nested = to_mock_nested(domain);

	/* A device still translating through it would use freed memory. */
	WARN_ON(atomic_read(&nested->nr_devs));
	atomic_dec(&nested->parent->nr_nested);
	kfree(nested);
}

static const struct iommu_domain_ops mock_nested_ops = {
	.attach_dev = mock_nested_attach_dev,
	.set_dev_pasid = mock_nested_set_dev_pasid,
	.cache_invalidate_user = mock_nested_cache_invalidate_user,
	.free = mock_nested_free,
};

/**
 * mock_nested_alloc() - domain_alloc_user() of a nested domain
 * @dev: Mock device it is for
 * @parent: The stage 2
 * @flags: IOMMU_HWPT_ALLOC_* flags, none valid here
 * @user_data: The stage 1, in the format of the device's IOMMU
 *
 * Return: the domain, or ERR_PTR(): -EOPNOTSUPP when the device's IOMMU
 * cannot nest, for flags, or for another IOMMU's format; -EINVAL for a
 * parent that is not a nesting parent of this IOMMU, or a malformed
 * stage 1; -EFAULT; -ENOMEM.
 */
struct iommu_domain *mock_nested_alloc(struct device *dev,
				       struct iommu_domain *parent, u32 flags,
				       const struct iommu_user_data *user_data)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	struct mock_nested *nested;
	struct mock_domain *s2;
	u32 type;
	int rc;

	if (mdev->flavour == MOCK_GENERIC || flags || !user_data)
		return ERR_PTR(-EOPNOTSUPP);
	type = mdev->flavour == MOCK_VTD ? IOASID_HWPT_DATA_VTD_S1 :
					   IOASID_HWPT_DATA_ARM_SMMUV3;
	if (user_data->type != type)
		return ERR_PTR(-EOPNOTSUPP);
	if (!mock_domain_is_paging(parent))
		return ERR_PTR(-EINVAL);
	s2 = to_mock_domain(parent);
	if (!s2->nest_parent || s2->flavour != mdev->flavour ||
	    s2->other_iommu != mdev->other_iommu)
		return ERR_PTR(-EINVAL);

	nested = kzalloc(sizeof(*nested), GFP_KERNEL_ACCOUNT);
	if (!nested)
		return ERR_PTR(-ENOMEM);
	if (mdev->flavour == MOCK_VTD)
		rc = mock_vtd_s1_init(&nested->vtd, user_data);
	else
		rc = mock_smmuv3_s1_init(&nested->smmu, user_data);
	if (rc) {
		kfree(nested);
		return ERR_PTR(rc);
	}
	nested->flavour = mdev->flavour;
	nested->parent = s2;
	spin_lock_init(&nested->lock);
	nested->domain.type = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &mock_nested_ops;
	atomic_inc(&s2->nr_nested);
	return &nested->domain;
}
