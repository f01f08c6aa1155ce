// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test IOMMU driver of /dev/ioasid and its test-only ioctls.
 *
 * A software IOMMU registered on a private "ioasid_mock" bus.  Mock devices
 * are created on demand and probed by the IOMMU core like any device; their
 * paging domains keep a record of every IOPTE the core asks for, so that the
 * selftests can check exactly what is mapped.  Nothing ever performs DMA
 * through a mock domain.
 */
#define pr_fmt(fmt) "ioasid-test: " fmt

#include <linux/bitfield.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/fwnode.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/ioasid.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/property.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>

#include "../iommu-priv.h"
#include "ioasid_private.h"
#include "mock_iommu.h"

/**
 * struct ioasid_mock_dev - Context object owning one mock device
 * @obj: Object header
 * @mdev: The device, removed when the object is destroyed
 * @lock: Serialises binding and unbinding the device
 * @idev: The device bound to a context, or NULL
 * @bound_ctx: The context of @idev when it is not the object's own,
 *             referenced, or NULL
 * @kernel_pasid: PASID the device's kernel driver holds
 *                (%IOASID_TEST_KERNEL_PASID), or %IOMMU_PASID_INVALID
 */
struct ioasid_mock_dev {
	struct ioasid_object obj;
	struct mock_dev *mdev;
	struct mutex lock; /* protects @idev, @bound_ctx and @kernel_pasid */
	struct ioasid_device *idev;
	struct ioasid_ctx *bound_ctx;
	ioasid_t kernel_pasid;
};

/**
 * struct ioasid_mock_domain - Context object owning one mock paging domain
 * @obj: Object header
 * @dev_obj: Device object the domain was allocated for, referenced
 * @domain: The domain
 * @lock: Serialises changes of @ioas
 * @ioas: IOAS the domain is attached to, referenced, or NULL
 */
struct ioasid_mock_domain {
	struct ioasid_object obj;
	struct ioasid_mock_dev *dev_obj;
	struct iommu_domain *domain;
	struct mutex lock; /* serialises changes of @ioas */
	struct ioasid_ioas *ioas;
};

/**
 * struct ioasid_mock_access - Context object owning one in-kernel access
 * @obj: Object header
 * @access: The access
 * @flags: &enum ioasid_test_access_flags
 * @ioas_lock: Serialises pins and copies with ioasid_access_replace(), as
 *             a driver must; never taken by the unmap callback, so that a
 *             replace may wait for a callback in progress
 * @lock: Protects @pins and @unmap_calls
 * @pins: Pin id -> &struct mock_access_pin
 * @unmap_calls: Calls of the unmap callback
 * @mirror_paused: A mirror's map callback pins nothing while set: during
 *                 a replace, under @lock
 */
struct ioasid_mock_access {
	struct ioasid_object obj;
	struct ioasid_access *access;
	u32 flags;
	struct mutex ioas_lock; /* serialises pin, copy and replace */
	struct mutex lock; /* protects @pins and @unmap_calls */
	struct xarray pins;
	u64 unmap_calls;
	bool mirror_paused;
};

/**
 * struct mock_access_pin - One pin of a mock access
 * @iova: First IOVA
 * @length: Bytes
 */
struct mock_access_pin {
	unsigned long iova;
	unsigned long length;
};

static const struct bus_type mock_bus = {
	.name = "ioasid_mock",
};

static struct notifier_block mock_bus_nb;
static const struct fwnode_operations mock_fwnode_ops;
static struct fwnode_handle mock_fwnode;
static struct iommu_device mock_iommu;
static struct device *mock_iommu_parent;
static DEFINE_IDA(mock_dev_ida);
static struct lock_class_key mock_pasids_lock_key;
static struct lock_class_key mock_iopf_groups_lock_key;
static struct iopf_queue *mock_iopf_queue;

/* The longest wait for page responses a test may ask for. */
#define MOCK_TIMEOUT_MS_MAX	60000

static const struct iommu_ops mock_ops;
static const struct iommu_domain_ops mock_domain_ops;

/* Is @iova translated by an IOPTE larger than @pgsize? */
static bool mock_iopte_find_larger(struct mock_domain *mock,
				   unsigned long iova, size_t pgsize)
{
	unsigned long pgsize_bitmap = mock->domain.pgsize_bitmap;
	unsigned int bit;

	lockdep_assert_held(&mock->ioptes.xa_lock);
	if (!mock->nr_large)
		return false;
	for_each_set_bit(bit, &pgsize_bitmap, BITS_PER_LONG) {
		unsigned long head = iova & ~((1UL << bit) - 1);
		void *iopte;

		if ((1UL << bit) <= pgsize)
			continue;
		iopte = xa_load(&mock->ioptes, head >> MOCK_PAGE_SHIFT);
		if (iopte && head + mock_iopte_size(iopte) > iova)
			return true;
	}
	return false;
}

static int mock_map_one(struct mock_domain *mock, unsigned long iova,
			phys_addr_t paddr, size_t pgsize, int prot, gfp_t gfp)
{
	unsigned long index = iova >> MOCK_PAGE_SHIFT;
	int rc;

	xa_lock(&mock->ioptes);
	/*
	 * A larger IOPTE covering @iova, or any IOPTE inside the range.  The
	 * insert itself finds one at @iova, which is all a base page needs.
	 */
	if (mock_iopte_find_larger(mock, iova, pgsize) ||
	    (pgsize > MOCK_PAGE_SIZE &&
	     xa_find(&mock->ioptes, &index,
		     (iova + pgsize - 1) >> MOCK_PAGE_SHIFT, XA_PRESENT))) {
		rc = -EEXIST;
		goto out_unlock;
	}
	if (mock->nr_ioptes >= MOCK_MAX_IOPTES) {
		rc = -ENOSPC;
		goto out_unlock;
	}
	rc = __xa_insert(&mock->ioptes, iova >> MOCK_PAGE_SHIFT,
			 mock_iopte_mk(paddr, pgsize, prot), gfp);
	if (rc == -EBUSY)
		rc = -EEXIST;
	if (!rc)
		mock->nr_ioptes++;
	if (!rc && pgsize > MOCK_PAGE_SIZE)
		mock->nr_large++;
out_unlock:
	xa_unlock(&mock->ioptes);
	return rc;
}

static int mock_domain_map_pages(struct iommu_domain *domain,
				 unsigned long iova, phys_addr_t paddr,
				 size_t pgsize, size_t pgcount, int prot,
				 gfp_t gfp, size_t *mapped)
{
	struct mock_domain *mock = to_mock_domain(domain);
	int rc;

	if (iova + pgsize * pgcount - 1 > domain->geometry.aperture_end ||
	    paddr + pgsize * pgcount - 1 >= BIT_ULL(MOCK_PADDR_BITS))
		return -ERANGE;
	/* Like a domain whose every IOPTE must have its snoop bit. */
	if (READ_ONCE(mock->enforce_cc) && !(prot & IOMMU_CACHE))
		return -EINVAL;

	for (; pgcount; pgcount--) {
		rc = mock_map_one(mock, iova, paddr, pgsize, prot, gfp);
		if (rc)
			return rc;
		iova += pgsize;
		paddr += pgsize;
		*mapped += pgsize;
		/* A long run of small pages: let others run when we may. */
		if (gfpflags_allow_blocking(gfp) && !(pgcount % 256))
			cond_resched();
	}
	return 0;
}

/*
 * Remove whole IOPTEs starting at @iova, like a hardware page table: an
 * IOPTE larger than @pgsize is removed entirely and its size reported.
 * Stops at the first IOVA where no IOPTE starts.
 */
static size_t mock_domain_unmap_pages(struct iommu_domain *domain,
				      unsigned long iova, size_t pgsize,
				      size_t pgcount,
				      struct iommu_iotlb_gather *gather)
{
	struct mock_domain *mock = to_mock_domain(domain);
	size_t unmapped = 0;

	xa_lock(&mock->ioptes);
	while (unmapped < pgsize * pgcount) {
		void *iopte = __xa_erase(&mock->ioptes, iova >> MOCK_PAGE_SHIFT);

		if (!iopte)
			break;
		/* The nested domains' IOTLBs, flushed as the driver does. */
		mock->s2_gen++;
		if (mock_iopte_size(iopte) > MOCK_PAGE_SIZE)
			mock->nr_large--;
		mock->nr_ioptes--;
		unmapped += mock_iopte_size(iopte);
		iova += mock_iopte_size(iopte);
	}
	xa_unlock(&mock->ioptes);
	return unmapped;
}

static phys_addr_t mock_domain_iova_to_phys(struct iommu_domain *domain,
					    dma_addr_t iova)
{
	struct mock_domain *mock = to_mock_domain(domain);
	phys_addr_t phys = 0;
	unsigned long start;
	void *iopte;

	xa_lock(&mock->ioptes);
	iopte = mock_iopte_find(mock, iova, &start);
	if (iopte)
		phys = mock_iopte_paddr(iopte) + (iova - start);
	xa_unlock(&mock->ioptes);
	return phys;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *mock = to_mock_domain(domain);

	/* A device still translating through it would use freed memory. */
	WARN_ON(atomic_read(&mock->nr_devs));
	WARN_ON(atomic_read(&mock->nr_nested));
	xa_destroy(&mock->ioptes);
	kfree(mock);
}

static atomic64_t mock_domain_serial = ATOMIC64_INIT(0);

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);
	struct mock_domain *mock;

	mock = kzalloc(sizeof(*mock), GFP_KERNEL_ACCOUNT);
	if (!mock)
		return ERR_PTR(-ENOMEM);
	xa_init(&mock->ioptes);
	mock->serial = atomic64_inc_return(&mock_domain_serial);
	mock->other_iommu = mdev->other_iommu;
	mock->flavour = mdev->flavour;
	mock->domain.pgsize_bitmap = MOCK_PGSIZE_BITMAP;
	mock->domain.geometry.aperture_start = 0;
	mock->domain.geometry.aperture_end = MOCK_APERTURE_LAST;
	mock->domain.geometry.force_aperture = true;
	return &mock->domain;
}

/*
 * The allocation of domains for user space: a paging domain, which the
 * mock VT-d and SMMUv3 can make a nesting parent, or a nested domain.
 */
static struct iommu_domain *
mock_domain_alloc_user(struct device *dev, u32 flags,
		       struct iommu_domain *parent,
		       const struct iommu_user_data *user_data)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	struct iommu_domain *domain;

	if (parent)
		return mock_nested_alloc(dev, parent, flags, user_data);
	if (user_data || (flags & ~IOMMU_HWPT_ALLOC_NEST_PARENT))
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_NEST_PARENT) &&
	    mdev->flavour == MOCK_GENERIC)
		return ERR_PTR(-EOPNOTSUPP);
	domain = mock_domain_alloc_paging(dev);
	if (IS_ERR(domain))
		return domain;
	/* What the core sets for the domains it allocates itself. */
	domain->type = IOMMU_DOMAIN_UNMANAGED;
	domain->ops = &mock_domain_ops;
	to_mock_domain(domain)->nest_parent =
		flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	return domain;
}

/* The attachment count of a paging or nested domain. */
static atomic_t *mock_domain_nr_devs(struct iommu_domain *domain)
{
	if (domain->type == IOMMU_DOMAIN_NESTED)
		return &to_mock_nested(domain)->nr_devs;
	return &to_mock_domain(domain)->nr_devs;
}

/**
 * mock_dev_set_rid() - Record what the RID of a mock device is attached to
 * @dev: The device
 * @domain: A paging or nested domain, or NULL (blocked or identity)
 * @identity: The identity domain
 */
void mock_dev_set_rid(struct device *dev, struct iommu_domain *domain,
		      bool identity)
{
	struct mock_dev *mdev = to_mock_dev(dev);

	/* No fault report may be in flight on the old domain once we return. */
	mutex_lock(&mdev->iopf_lock);
	if (domain)
		atomic_inc(mock_domain_nr_devs(domain));
	spin_lock(&mdev->lock);
	if (mdev->domain)
		atomic_dec(&mdev->domain->nr_devs);
	if (mdev->nested)
		atomic_dec(&mdev->nested->nr_devs);
	mdev->domain = NULL;
	mdev->nested = NULL;
	if (domain && domain->type == IOMMU_DOMAIN_NESTED)
		mdev->nested = to_mock_nested(domain);
	else if (domain)
		mdev->domain = to_mock_domain(domain);
	mdev->identity = identity;
	spin_unlock(&mdev->lock);
	mutex_unlock(&mdev->iopf_lock);
}

static int mock_blocking_attach_dev(struct iommu_domain *domain,
				    struct device *dev)
{
	mock_dev_set_rid(dev, NULL, false);
	return 0;
}

static int mock_identity_attach_dev(struct iommu_domain *domain,
				    struct device *dev)
{
	mock_dev_set_rid(dev, NULL, true);
	return 0;
}

/**
 * mock_set_dev_pasid() - Record what a PASID of a mock device uses
 * @dev: The device
 * @pasid: The PASID
 * @entry: A paging or nested &struct iommu_domain, or %MOCK_IDENTITY
 *
 * Replacing the previous domain needs no window of blocked DMA: the entry
 * changes in one store.
 *
 * Return: 0 or -ENOMEM.
 */
int mock_set_dev_pasid(struct device *dev, ioasid_t pasid, void *entry)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	void *prev;
	int rc = 0;

	/* No fault report may be in flight on the old domain once we return. */
	mutex_lock(&mdev->iopf_lock);
	if (!xa_is_value(entry))
		atomic_inc(mock_domain_nr_devs(entry));
	prev = xa_store(&mdev->pasids, pasid, entry, GFP_KERNEL_ACCOUNT);
	if (xa_is_err(prev)) {
		if (!xa_is_value(entry))
			atomic_dec(mock_domain_nr_devs(entry));
		rc = xa_err(prev);
	} else if (prev && !xa_is_value(prev)) {
		atomic_dec(mock_domain_nr_devs(prev));
	}
	mutex_unlock(&mdev->iopf_lock);
	return rc;
}

static int mock_domain_set_dev_pasid(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid,
				     struct iommu_domain *old)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);
	struct mock_domain *mock = to_mock_domain(domain);

	/* Like a page table in another IOMMU's format. */
	if (mock->other_iommu != mdev->other_iommu ||
	    mock->flavour != mdev->flavour)
		return -EINVAL;
	return mock_set_dev_pasid(dev, pasid, domain);
}

static int mock_identity_set_dev_pasid(struct iommu_domain *domain,
				       struct device *dev, ioasid_t pasid,
				       struct iommu_domain *old)
{
	return mock_set_dev_pasid(dev, pasid, MOCK_IDENTITY);
}

static void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid,
				  struct iommu_domain *domain)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);
	void *prev;

	/* No fault report may be in flight on the old domain once we return. */
	mutex_lock(&mdev->iopf_lock);
	prev = xa_erase(&mdev->pasids, pasid);
	if (prev && !xa_is_value(prev))
		atomic_dec(mock_domain_nr_devs(prev));
	mutex_unlock(&mdev->iopf_lock);
}

static int mock_domain_attach_dev(struct iommu_domain *domain,
				  struct device *dev)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);
	struct mock_domain *mock = to_mock_domain(domain);

	/* Like a page table in another IOMMU's format. */
	if (mock->other_iommu != mdev->other_iommu ||
	    mock->flavour != mdev->flavour)
		return -EINVAL;
	mock_dev_set_rid(dev, domain, false);
	return 0;
}

static void mock_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);
	struct iommu_resv_region *region;

	/* Like the interrupt window of x86. */
	region = iommu_alloc_resv_region(IOASID_TEST_MOCK_MSI_START,
					 IOASID_TEST_MOCK_MSI_LENGTH, 0,
					 IOMMU_RESV_MSI, GFP_KERNEL);
	if (region)
		list_add_tail(&region->list, head);
	if (!mdev->sw_msi)
		return;
	/* Like an IOMMU that translates MSI writes as DMA. */
	region = iommu_alloc_resv_region(IOASID_TEST_MOCK_SW_MSI_START,
					 IOASID_TEST_MOCK_SW_MSI_LENGTH,
					 IOMMU_WRITE | IOMMU_MMIO,
					 IOMMU_RESV_SW_MSI, GFP_KERNEL);
	if (region)
		list_add_tail(&region->list, head);
}

static void *mock_hw_info(struct device *dev, u32 *length, u32 *type)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);
	struct ioasid_test_hw_info *info;

	if (mdev->flavour == MOCK_VTD) {
		struct ioasid_hw_info_vtd *vtd;

		vtd = kzalloc(sizeof(*vtd), GFP_KERNEL);
		if (!vtd)
			return ERR_PTR(-ENOMEM);
		mock_vtd_hw_info(vtd, mdev->pasid_bits, mdev->pri);
		/* ECAP.SC, snoop control: enforcing cache coherency. */
		if (mdev->no_enforce_cc)
			vtd->ecap_reg &= ~BIT_ULL(7);
		*length = sizeof(*vtd);
		*type = IOASID_HW_INFO_TYPE_INTEL_VTD;
		return vtd;
	}
	if (mdev->flavour == MOCK_SMMUV3) {
		struct ioasid_hw_info_arm_smmuv3 *smmu;

		smmu = kzalloc(sizeof(*smmu), GFP_KERNEL);
		if (!smmu)
			return ERR_PTR(-ENOMEM);
		mock_smmuv3_hw_info(smmu, mdev->pasid_bits, mdev->pri);
		*length = sizeof(*smmu);
		*type = IOASID_HW_INFO_TYPE_ARM_SMMUV3;
		return smmu;
	}
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->instance = mdev->other_iommu;
	info->test_reg = IOASID_TEST_HW_INFO_REG;
	*length = sizeof(*info);
	*type = IOASID_TEST_HW_INFO_TYPE;
	return info;
}

static struct iommu_group *mock_device_group(struct device *dev)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);
	struct iommu_group *group;

	if (!mdev->group_with)
		return generic_device_group(dev);
	group = iommu_group_get(&mdev->group_with->dev);
	return group ?: ERR_PTR(-ENODEV);
}

static bool mock_domain_enforce_cc(struct iommu_domain *domain)
{
	struct mock_domain *mock = to_mock_domain(domain);

	/* Like a snoop bit in every IOPTE: chosen before the first map. */
	xa_lock(&mock->ioptes);
	if (xa_empty(&mock->ioptes))
		WRITE_ONCE(mock->enforce_cc, true);
	xa_unlock(&mock->ioptes);
	return mock->enforce_cc;
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);

	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_ENFORCE_CACHE_COHERENCY:
		return !mdev->no_enforce_cc;
	default:
		return false;
	}
}

/**
 * ioasid_test_is_mock_dev() - Is this a device of the test IOMMU driver?
 * @dev: Device
 *
 * Return: true for a device on the mock bus.
 */
bool ioasid_test_is_mock_dev(struct device *dev)
{
	return dev->bus == &mock_bus;
}

static struct iommu_domain mock_blocking_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &(const struct iommu_domain_ops) {
		.attach_dev = mock_blocking_attach_dev,
	},
};

static struct iommu_domain mock_identity_domain = {
	.type = IOMMU_DOMAIN_IDENTITY,
	/* The core checks the owner of a domain attached to a PASID. */
	.owner = &mock_ops,
	.ops = &(const struct iommu_domain_ops) {
		.attach_dev = mock_identity_attach_dev,
		.set_dev_pasid = mock_identity_set_dev_pasid,
	},
};

/*
 * A device leaving its IOMMU group leaves its PASID table behind, as the
 * real drivers free it: the IOMMU core keeps attaching the group's PASIDs
 * to the devices that stay, and removes them from those alone.
 */
static void mock_release_device(struct device *dev)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);
	unsigned long pasid;
	void *entry;

	xa_for_each(&mdev->pasids, pasid, entry)
		mock_remove_dev_pasid(dev, pasid, NULL);
}

static struct iommu_device *mock_probe_device(struct device *dev)
{
	if (dev->bus != &mock_bus || !dev_iommu_fwspec_get(dev))
		return ERR_PTR(-ENODEV);
	return &mock_iommu;
}

/**
 * struct mock_iopf_waiter - A call waiting for the answers to its page requests
 * @node: Entry in &struct mock_iopf.waiters
 * @id: Its id, recorded with each group it waits for
 * @expected: Groups whose answers complete @done
 * @answered: Groups answered so far
 * @code: &enum iommu_page_response_code of the last answer
 * @last_ns: ktime_get_ns() of the last answer
 * @done: Completed when @answered reaches @expected
 *
 * Lives on the stack of the call; the fields are under the xa_lock of
 * &struct mock_iopf.groups while it is on the list.
 */
struct mock_iopf_waiter {
	struct list_head node;
	u64 id;
	u32 expected;
	u32 answered;
	u32 code;
	u64 last_ns;
	struct completion done;
};

/**
 * mock_iopf_waiter_add() - Start waiting for the answers to page requests
 * @mdev: The device that raises them
 * @w: The waiter
 * @expected: How many groups it waits for
 */
static void mock_iopf_waiter_add(struct mock_dev *mdev,
				 struct mock_iopf_waiter *w, u32 expected)
{
	*w = (struct mock_iopf_waiter){ .expected = expected,
					.code = IOASID_TEST_NO_RESPONSE };
	init_completion(&w->done);
	xa_lock(&mdev->iopf.groups);
	w->id = mdev->iopf.next_waiter++;
	list_add_tail(&w->node, &mdev->iopf.waiters);
	xa_unlock(&mdev->iopf.groups);
}

/**
 * mock_iopf_waiter_del() - Stop waiting
 * @mdev: The device
 * @w: The waiter; its fields are final once this returns
 *
 * The answers to its groups that come later are only counted.
 */
static void mock_iopf_waiter_del(struct mock_dev *mdev,
				 struct mock_iopf_waiter *w)
{
	xa_lock(&mdev->iopf.groups);
	list_del(&w->node);
	xa_unlock(&mdev->iopf.groups);
}

/**
 * mock_iopf_wait() - Wait for the answers to the groups of a waiter
 * @mdev: The device
 * @w: The waiter, removed when this returns
 * @timeout: In jiffies
 *
 * Return: 0 when all came; -ETIMEDOUT; -EINTR on a fatal signal.
 */
static int mock_iopf_wait(struct mock_dev *mdev, struct mock_iopf_waiter *w,
			  unsigned long timeout)
{
	long left = wait_for_completion_killable_timeout(&w->done, timeout);

	mock_iopf_waiter_del(mdev, w);
	/* An answer may have come after the timeout: it counts. */
	if (w->answered >= w->expected)
		return 0;
	return left < 0 ? -EINTR : -ETIMEDOUT;
}

/**
 * mock_page_response() - iommu_ops.page_response of the test IOMMU
 * @dev: The mock device
 * @evt: The last request of the group answered, as the device raised it
 * @msg: The answer
 *
 * As a PCIe IOMMU sends a PRG Response Message to the device (PCIe r6.0,
 * 10.4.2): only the last request of a group is answered, naming the
 * group's index (and PASID).  The device matches the answer with its
 * group by the sequence number it put in the request's private data, and
 * wakes the call waiting for it; a call that gave up (timeout, fatal
 * signal) is gone, and the answer is only counted.  Called by the IOMMU
 * core under its fault locks, never in atomic context; may be called from
 * inside iommu_report_device_fault().
 */
static void mock_page_response(struct device *dev, struct iopf_fault *evt,
			       struct iommu_page_response *msg)
{
	struct iommu_fault_page_request *prm = &evt->fault.prm;
	struct mock_iopf *iopf = &to_mock_dev(dev)->iopf;
	struct mock_iopf_waiter *w;
	void *entry;
	u64 id;

	/* The core answers a partial request it cannot route: not on PCIe. */
	if (!(prm->flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE))
		return;
	xa_lock(&iopf->groups);
	entry = __xa_erase(&iopf->groups, prm->private_data[0]);
	/* A group is answered once, with its own index and PASID. */
	if (WARN_ONCE(!entry || msg->grpid != prm->grpid ||
		      msg->pasid != prm->pasid,
		      "ioasid-test: stray page response grpid %u pasid %u\n",
		      msg->grpid, msg->pasid))
		goto out_unlock;
	iopf->pending--;
	switch (msg->code) {
	case IOMMU_PAGE_RESP_SUCCESS:
		iopf->success++;
		break;
	case IOMMU_PAGE_RESP_INVALID:
		iopf->invalid++;
		break;
	default:
		iopf->failure++;
		break;
	}
	id = xa_to_value(entry);
	if (!id)
		goto out_unlock;
	list_for_each_entry(w, &iopf->waiters, node) {
		if (w->id != id)
			continue;
		w->code = msg->code;
		w->last_ns = ktime_get_ns();
		if (++w->answered == w->expected)
			complete(&w->done);
		break;
	}
out_unlock:
	xa_unlock(&iopf->groups);
}

/**
 * mock_iopf_translates() - Does a paging or nested domain translate the DMA?
 * @mdev: The device
 * @has_pasid: DMA tagged with @pasid, else of the RID
 * @pasid: The PASID
 *
 * Called with the device's iopf_lock held, which keeps the answer true.
 *
 * Return: false when the RID or PASID is blocked or untranslated.
 */
static bool mock_iopf_translates(struct mock_dev *mdev, bool has_pasid,
				 ioasid_t pasid)
{
	bool ret;

	lockdep_assert_held(&mdev->iopf_lock);
	if (has_pasid) {
		void *entry = xa_load(&mdev->pasids, pasid);

		if (entry)
			return entry != MOCK_IDENTITY;
	}
	spin_lock(&mdev->lock);
	if (has_pasid)
		/* The mock SMMUv3: substreams of the guest's CD table. */
		ret = mdev->nested && mdev->nested->flavour == MOCK_SMMUV3;
	else
		ret = mdev->domain || mdev->nested;
	spin_unlock(&mdev->lock);
	return ret;
}

/**
 * mock_iopf_raise() - Raise one page request group, as a PCIe PRI device does
 * @mdev: A device made with %IOASID_TEST_MOCK_DEV_PRI
 * @has_pasid: The requests carry @pasid
 * @pasid: The PASID
 * @perm: IOMMU_FAULT_PERM_* the requests ask
 * @addr: Address of the first request, page aligned; the next ones are a
 *        page further
 * @count: Requests in the group, the last one marked last-in-group
 * @w: Who waits for the group's answer, or NULL
 * @grpid: Out, the Page Request Group Index the group got
 *
 * The requests go to the IOMMU core's iommu_report_device_fault(), which
 * routes them by the attach handle of the RID or PASID to the handler of
 * the domain, or answers them itself.  Called in process context with
 * only the device's iopf_lock held, so that the attachment cannot change
 * under the report.  A request for a RID or PASID that translates nothing
 * (blocked, identity) is answered Invalid Request by the IOMMU at once,
 * without the core.
 *
 * Return: 0, or -ENOMEM before anything was raised.
 */
static int mock_iopf_raise(struct mock_dev *mdev, bool has_pasid,
			   ioasid_t pasid, u32 perm, u64 addr, u32 count,
			   struct mock_iopf_waiter *w, u32 *grpid)
{
	struct mock_iopf *iopf = &mdev->iopf;
	struct iopf_fault evt = {};
	unsigned long seq;
	u32 i;
	int rc;

	lockdep_assert_held(&mdev->iopf_lock);
	xa_lock(&iopf->groups);
	seq = iopf->next_seq;
	rc = __xa_insert(&iopf->groups, seq, xa_mk_value(w ? w->id : 0),
			 GFP_KERNEL_ACCOUNT);
	if (!rc) {
		iopf->next_seq++;
		iopf->raised++;
		iopf->pending++;
	}
	xa_unlock(&iopf->groups);
	if (rc)
		return rc;

	/* PCIe PRI: a 9-bit Page Request Group Index, reused in turn. */
	*grpid = mdev->iopf_grpid;
	mdev->iopf_grpid = (mdev->iopf_grpid + 1) & MOCK_PRI_GRPID_MASK;
	evt.fault.type = IOMMU_FAULT_PAGE_REQ;
	evt.fault.prm.grpid = *grpid;
	evt.fault.prm.perm = perm;
	evt.fault.prm.private_data[0] = seq;
	if (has_pasid) {
		evt.fault.prm.flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
		evt.fault.prm.pasid = pasid;
	}
	/*
	 * Page requests turned off (PCIe PRI Enable clear): the device
	 * cannot send them; the model answers the group Invalid Request, as
	 * for a RID or PASID that translates nothing.
	 */
	if (!mdev->iopf_enabled || !mock_iopf_translates(mdev, has_pasid, pasid)) {
		struct iommu_page_response resp = {
			.pasid = evt.fault.prm.pasid,
			.grpid = *grpid,
			.code = IOMMU_PAGE_RESP_INVALID,
		};

		evt.fault.prm.flags |= IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
		evt.fault.prm.addr = addr + (u64)(count - 1) * MOCK_PAGE_SIZE;
		mock_page_response(&mdev->dev, &evt, &resp);
		return 0;
	}
	for (i = 0; i < count; i++) {
		evt.fault.prm.addr = addr + (u64)i * MOCK_PAGE_SIZE;
		if (i == count - 1)
			evt.fault.prm.flags |= IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
		/*
		 * Whatever happens the core answers the group itself, or
		 * (a lost partial request) the group arrives without it.
		 */
		iommu_report_device_fault(&mdev->dev, &evt);
	}
	return 0;
}

/**
 * mock_dev_enable_feat() - iommu_ops.dev_enable_feat of the test IOMMU
 * @dev: The mock device
 * @feat: Only %IOMMU_DEV_FEAT_IOPF: page requests of a device made with
 *        %IOASID_TEST_MOCK_DEV_PRI go to the mock IOMMU's iopf_queue
 *
 * Return: 0; -ENODEV for another feature or a device without PRI; -EBUSY
 * if enabled already; those of iopf_queue_add_device().
 */
static int mock_dev_enable_feat(struct device *dev,
				enum iommu_dev_features feat)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	int rc;

	if (feat != IOMMU_DEV_FEAT_IOPF || !mdev->pri)
		return -ENODEV;
	mutex_lock(&mdev->iopf_lock);
	if (mdev->iopf_enabled)
		rc = -EBUSY;
	else
		rc = iopf_queue_add_device(mock_iopf_queue, dev);
	if (!rc)
		mdev->iopf_enabled = true;
	mutex_unlock(&mdev->iopf_lock);
	return rc;
}

/**
 * mock_dev_disable_feat() - iommu_ops.dev_disable_feat of the test IOMMU
 * @dev: The mock device
 * @feat: %IOMMU_DEV_FEAT_IOPF
 *
 * iopf_queue_remove_device() answers Invalid Request to every group the
 * core still has pending for the device.  No report is in flight: the
 * iopf_lock is held.
 *
 * Return: 0; -ENODEV for another feature or a device without PRI;
 * -EINVAL if not enabled.
 */
static int mock_dev_disable_feat(struct device *dev,
				 enum iommu_dev_features feat)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	int rc = 0;

	if (feat != IOMMU_DEV_FEAT_IOPF || !mdev->pri)
		return -ENODEV;
	mutex_lock(&mdev->iopf_lock);
	if (mdev->iopf_enabled)
		iopf_queue_remove_device(mock_iopf_queue, dev);
	else
		rc = -EINVAL;
	mdev->iopf_enabled = false;
	mutex_unlock(&mdev->iopf_lock);
	return rc;
}

static const struct iommu_domain_ops mock_domain_ops = {
	.attach_dev = mock_domain_attach_dev,
	.set_dev_pasid = mock_domain_set_dev_pasid,
	.enforce_cache_coherency = mock_domain_enforce_cc,
	.map_pages = mock_domain_map_pages,
	.unmap_pages = mock_domain_unmap_pages,
	.iova_to_phys = mock_domain_iova_to_phys,
	.free = mock_domain_free,
};

static const struct iommu_ops mock_ops = {
	.owner = THIS_MODULE,
	.pgsize_bitmap = MOCK_PGSIZE_BITMAP,
	/*
	 * Like an IOMMU in passthrough mode: the DMA API of a kernel driver
	 * (IOASID_TEST_KERNEL_PASID) is not translated.  Binding blocks.
	 */
	.default_domain = &mock_identity_domain,
	.identity_domain = &mock_identity_domain,
	.blocked_domain = &mock_blocking_domain,
	/* A device leaving its group stops using the group's domain. */
	.release_domain = &mock_blocking_domain,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.domain_alloc_user = mock_domain_alloc_user,
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.capable = mock_capable,
	.get_resv_regions = mock_get_resv_regions,
	.hw_info = mock_hw_info,
	.device_group = mock_device_group,
	.remove_dev_pasid = mock_remove_dev_pasid,
	.dev_enable_feat = mock_dev_enable_feat,
	.dev_disable_feat = mock_dev_disable_feat,
	.page_response = mock_page_response,
	/*
	 * A nested domain of the mock SMMUv3 at the RID owns the guest's CD
	 * table: page requests of its substreams go to it.
	 */
	.user_pasid_table = true,
	.default_domain_ops = &mock_domain_ops,
};

/**
 * mock_domain_is_paging() - Is this a paging domain of the test IOMMU?
 * @domain: Domain
 *
 * Return: true for a domain of mock_domain_alloc_paging().
 */
bool mock_domain_is_paging(struct iommu_domain *domain)
{
	return domain->ops == &mock_domain_ops;
}

/*
 * The firmware description of a mock device, as device tree or ACPI gives
 * one for a platform device: the PASID width ("pasid-num-bits"), read by
 * the IOMMU core when it probes the device, and whether its DMA can stall
 * on a fault to be resolved ("dma-can-stall").  Software nodes would do
 * the same, but the driver core drops a reference it did not take when a
 * software node's sysfs links fail to be created, which fault injection
 * makes happen.
 */
static bool mock_dev_property_present(const struct fwnode_handle *fwnode,
				      const char *propname)
{
	struct mock_dev *mdev = container_of(fwnode, struct mock_dev, fwnode);

	if (!strcmp(propname, "pasid-num-bits"))
		return mdev->pasid_bits;
	if (!strcmp(propname, "dma-can-stall"))
		return mdev->pri;
	return false;
}

static int mock_dev_property_read_int_array(const struct fwnode_handle *fwnode,
					    const char *propname,
					    unsigned int elem_size, void *val,
					    size_t nval)
{
	struct mock_dev *mdev = container_of(fwnode, struct mock_dev, fwnode);

	if (strcmp(propname, "pasid-num-bits") || !mdev->pasid_bits)
		return -EINVAL;
	if (elem_size != sizeof(u32))
		return -EPROTO;
	if (!val)
		return 1;
	if (!nval)
		return -EOVERFLOW;
	*(u32 *)val = mdev->pasid_bits;
	return 0;
}

static const struct fwnode_operations mock_dev_fwnode_ops = {
	.property_present = mock_dev_property_present,
	.property_read_int_array = mock_dev_property_read_int_array,
};

static void mock_dev_release(struct device *dev)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);

	/* Set by iommu_fwspec_init() when device_add() failed before probe. */
	if (dev->iommu)
		dev_iommu_free(dev);
	if (mdev->group_with)
		put_device(&mdev->group_with->dev);
	WARN_ON(!xa_empty(&mdev->pasids));
	xa_destroy(&mdev->pasids);
	/* Every page request was answered: nothing waits on a gone device. */
	WARN_ON(!xa_empty(&mdev->iopf.groups));
	xa_destroy(&mdev->iopf.groups);
	mutex_destroy(&mdev->iopf_lock);
	ida_free(&mock_dev_ida, mdev->index);
	kfree(mdev);
}

/*
 * Add a device that no IOMMU translates to an IOMMU group of its own, as
 * VFIO does for its mediated devices.
 */
static struct mock_dev *mock_dev_add_no_iommu(struct mock_dev *mdev)
{
	struct iommu_group *group;
	int rc;

	rc = device_add(&mdev->dev);
	if (rc) {
		put_device(&mdev->dev);
		return ERR_PTR(rc);
	}
	if (device_iommu_mapped(&mdev->dev)) {
		/* Some IOMMU driver took it after all: not what we want. */
		rc = -EEXIST;
		goto err_unregister;
	}
	group = iommu_group_alloc();
	if (IS_ERR(group)) {
		rc = PTR_ERR(group);
		goto err_unregister;
	}
	rc = iommu_group_add_device(group, &mdev->dev);
	iommu_group_put(group);
	if (rc)
		goto err_unregister;
	return mdev;

err_unregister:
	device_unregister(&mdev->dev);
	return ERR_PTR(rc);
}

static u32 mock_flavour(u32 flags)
{
	if (flags & IOASID_TEST_MOCK_DEV_VTD)
		return MOCK_VTD;
	if (flags & IOASID_TEST_MOCK_DEV_SMMUV3)
		return MOCK_SMMUV3;
	return MOCK_GENERIC;
}

/**
 * mock_dev_create() - Add a device to the mock bus
 * @flags: &enum ioasid_test_mock_dev_flags
 * @pasid_bits: PASID width with %IOASID_TEST_MOCK_DEV_PASID_BITS
 * @group_with: Device whose IOMMU group the new one joins, or NULL
 *
 * Return: the device, probed by the test IOMMU (unless
 * %IOASID_TEST_MOCK_DEV_NO_IOMMU), or an ERR_PTR.  device_unregister()
 * removes it.
 */
struct mock_dev *mock_dev_create(u32 flags, u32 pasid_bits,
				 struct mock_dev *group_with)
{
	struct mock_dev *mdev;
	int rc;

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL_ACCOUNT);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	rc = ida_alloc(&mock_dev_ida, GFP_KERNEL_ACCOUNT);
	if (rc < 0) {
		kfree(mdev);
		return ERR_PTR(rc);
	}
	mdev->index = rc;
	mdev->other_iommu = flags & IOASID_TEST_MOCK_DEV_OTHER_IOMMU;
	mdev->sw_msi = flags & IOASID_TEST_MOCK_DEV_SW_MSI;
	mdev->no_enforce_cc = flags & IOASID_TEST_MOCK_DEV_NO_ENFORCE_CC;
	mdev->no_iommu = flags & IOASID_TEST_MOCK_DEV_NO_IOMMU;
	mdev->kernel_dma = flags & IOASID_TEST_MOCK_DEV_KERNEL_DMA;
	mdev->flavour = mock_flavour(flags);
	spin_lock_init(&mdev->lock);
	xa_init(&mdev->pasids);
	/* Taken outside the xa_lock of a domain's IOPTEs: another class. */
	lockdep_set_class(&mdev->pasids.xa_lock, &mock_pasids_lock_key);
	mutex_init(&mdev->iopf_lock);
	xa_init(&mdev->iopf.groups);
	/* Taken inside the IOMMU core's fault locks: another class again. */
	lockdep_set_class(&mdev->iopf.groups.xa_lock,
			  &mock_iopf_groups_lock_key);
	INIT_LIST_HEAD(&mdev->iopf.waiters);
	mdev->iopf.next_seq = 1;
	mdev->iopf.next_waiter = 1;
	/* The DMA API of the kernel-driver role reaches all of memory. */
	mdev->dev.coherent_dma_mask = DMA_BIT_MASK(64);
	mdev->dev.dma_mask = &mdev->dev.coherent_dma_mask;

	device_initialize(&mdev->dev);
	mdev->dev.release = mock_dev_release;
	mdev->dev.bus = &mock_bus;
	if (group_with) {
		get_device(&group_with->dev);
		mdev->group_with = group_with;
	}
	rc = dev_set_name(&mdev->dev, "mock%u", mdev->index);
	if (rc)
		goto err_put;
	/* Read by the IOMMU core when it probes the device. */
	if (flags & IOASID_TEST_MOCK_DEV_PASID)
		pasid_bits = IOASID_TEST_MOCK_PASID_BITS;
	mdev->pasid_bits = pasid_bits;
	mdev->pri = flags & IOASID_TEST_MOCK_DEV_PRI;
	fwnode_init(&mdev->fwnode, &mock_dev_fwnode_ops);
	device_set_node(&mdev->dev, &mdev->fwnode);

	if (mdev->no_iommu)
		return mock_dev_add_no_iommu(mdev);

	/*
	 * Name the test IOMMU as the device's IOMMU, so that the core does not
	 * probe it with another driver registered without firmware nodes.
	 * Firmware code sets a fwspec under the probe lock; so do we.
	 */
	mutex_lock(&iommu_probe_device_lock);
	rc = iommu_fwspec_init(&mdev->dev, &mock_fwnode);
	mutex_unlock(&iommu_probe_device_lock);
	if (rc)
		goto err_put;

	rc = device_add(&mdev->dev);
	if (rc)
		goto err_put;

	/* The IOMMU core probes from the bus notifier and may have failed. */
	if (!device_iommu_mapped(&mdev->dev)) {
		device_unregister(&mdev->dev);
		return ERR_PTR(-ENODEV);
	}
	return mdev;

err_put:
	put_device(&mdev->dev);
	return ERR_PTR(rc);
}

void ioasid_mock_dev_destroy(struct ioasid_object *obj)
{
	struct ioasid_mock_dev *dev_obj =
		container_of(obj, struct ioasid_mock_dev, obj);

	/* A device goes away: its owner unbinds it first. */
	if (dev_obj->idev)
		ioasid_device_unbind(dev_obj->idev);
	/* So does its kernel driver, giving back its PASID. */
	if (dev_obj->kernel_pasid != IOMMU_PASID_INVALID)
		ioasid_kernel_pasid_free(&dev_obj->mdev->dev,
					 dev_obj->kernel_pasid);
	if (dev_obj->bound_ctx)
		ioasid_ctx_put(dev_obj->bound_ctx);
	mutex_destroy(&dev_obj->lock);
	/*
	 * Unbinding answered what the device's owner had pending; what the
	 * iopf_queue still holds is answered Invalid Request here.
	 */
	mutex_lock(&dev_obj->mdev->iopf_lock);
	if (dev_obj->mdev->iopf_enabled)
		iopf_queue_remove_device(mock_iopf_queue, &dev_obj->mdev->dev);
	dev_obj->mdev->iopf_enabled = false;
	mutex_unlock(&dev_obj->mdev->iopf_lock);
	if (dev_obj->mdev->no_iommu)
		iommu_group_remove_device(&dev_obj->mdev->dev);
	device_unregister(&dev_obj->mdev->dev);
}

static struct ioasid_mock_dev *ioasid_get_mock_dev(struct ioasid_ucmd *ucmd,
						   u32 id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(ucmd->ctx, id, IOASID_OBJ_MOCK_DEV);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_mock_dev, obj);
}

int ioasid_test_mock_dev_add(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_mock_dev_add *cmd = ucmd->cmd;
	struct ioasid_mock_dev *dev_obj, *group_obj = NULL;
	struct mock_dev *mdev;
	int rc;

	if (cmd->flags & ~(IOASID_TEST_MOCK_DEV_OTHER_IOMMU |
			   IOASID_TEST_MOCK_DEV_GROUP |
			   IOASID_TEST_MOCK_DEV_PASID |
			   IOASID_TEST_MOCK_DEV_SW_MSI |
			   IOASID_TEST_MOCK_DEV_NO_ENFORCE_CC |
			   IOASID_TEST_MOCK_DEV_NO_IOMMU |
			   IOASID_TEST_MOCK_DEV_PASID_BITS |
			   IOASID_TEST_MOCK_DEV_PRI |
			   IOASID_TEST_MOCK_DEV_KERNEL_DMA |
			   IOASID_TEST_MOCK_DEV_VTD |
			   IOASID_TEST_MOCK_DEV_SMMUV3))
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2)
		return -EINVAL;
	if (cmd->flags & IOASID_TEST_MOCK_DEV_PASID_BITS) {
		if (!cmd->pasid_bits ||
		    cmd->pasid_bits > IOASID_TEST_MOCK_PASID_BITS ||
		    (cmd->flags & IOASID_TEST_MOCK_DEV_PASID))
			return -EINVAL;
	} else if (cmd->pasid_bits) {
		return -EINVAL;
	}

	if ((cmd->flags & IOASID_TEST_MOCK_DEV_NO_IOMMU) &&
	    (cmd->flags & ~IOASID_TEST_MOCK_DEV_NO_IOMMU))
		return -EINVAL;
	if ((cmd->flags & IOASID_TEST_MOCK_DEV_VTD) &&
	    (cmd->flags & IOASID_TEST_MOCK_DEV_SMMUV3))
		return -EINVAL;
	/* A kernel driver needs its group to itself. */
	if ((cmd->flags & IOASID_TEST_MOCK_DEV_KERNEL_DMA) &&
	    (cmd->flags & IOASID_TEST_MOCK_DEV_GROUP))
		return -EINVAL;
	if (cmd->flags & IOASID_TEST_MOCK_DEV_GROUP) {
		group_obj = ioasid_get_mock_dev(ucmd, cmd->group_dev_id);
		if (IS_ERR(group_obj))
			return PTR_ERR(group_obj);
		/*
		 * One IOMMU group never spans two IOMMUs, nor joins a device
		 * no IOMMU translates.
		 */
		if (group_obj->mdev->no_iommu ||
		    group_obj->mdev->other_iommu !=
		    !!(cmd->flags & IOASID_TEST_MOCK_DEV_OTHER_IOMMU) ||
		    group_obj->mdev->flavour != mock_flavour(cmd->flags)) {
			rc = -EINVAL;
			goto out_put_group;
		}
	}

	dev_obj = ioasid_object_alloc(ucmd->ctx, struct ioasid_mock_dev,
				      IOASID_OBJ_MOCK_DEV);
	if (IS_ERR(dev_obj)) {
		rc = PTR_ERR(dev_obj);
		goto out_put_group;
	}

	mdev = mock_dev_create(cmd->flags, cmd->pasid_bits,
			       group_obj ? group_obj->mdev : NULL);
	if (IS_ERR(mdev)) {
		ioasid_object_abort(ucmd->ctx, &dev_obj->obj);
		rc = PTR_ERR(mdev);
		goto out_put_group;
	}
	dev_obj->mdev = mdev;
	dev_obj->kernel_pasid = IOMMU_PASID_INVALID;
	mutex_init(&dev_obj->lock);

	cmd->out_dev_id = dev_obj->obj.id;
	cmd->out_index = mdev->index;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		ioasid_object_abort_and_destroy(ucmd->ctx, &dev_obj->obj);
	else
		ioasid_object_finalize(ucmd->ctx, &dev_obj->obj);
out_put_group:
	if (group_obj)
		ioasid_put_object(&group_obj->obj);
	return rc;
}

void ioasid_mock_domain_destroy(struct ioasid_object *obj)
{
	struct ioasid_mock_domain *dom_obj =
		container_of(obj, struct ioasid_mock_domain, obj);

	if (dom_obj->ioas) {
		ioasid_ioas_detach_domain(dom_obj->ioas, dom_obj->domain);
		ioasid_object_unhold(&dom_obj->ioas->obj);
	}
	mutex_destroy(&dom_obj->lock);
	iommu_domain_free(dom_obj->domain);
	ioasid_object_unhold(&dom_obj->dev_obj->obj);
}

int ioasid_test_mock_domain_alloc(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_mock_domain_alloc *cmd = ucmd->cmd;
	struct ioasid_mock_domain *dom_obj;
	struct ioasid_object *dev;
	struct iommu_domain *domain;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	dev = ioasid_get_object(ucmd->ctx, cmd->dev_id, IOASID_OBJ_MOCK_DEV);
	if (IS_ERR(dev))
		return PTR_ERR(dev);

	dom_obj = ioasid_object_alloc(ucmd->ctx, struct ioasid_mock_domain,
				      IOASID_OBJ_MOCK_DOMAIN);
	if (IS_ERR(dom_obj)) {
		rc = PTR_ERR(dom_obj);
		goto err_put_dev;
	}
	dom_obj->dev_obj = container_of(dev, struct ioasid_mock_dev, obj);
	mutex_init(&dom_obj->lock);

	domain = iommu_paging_domain_alloc(&dom_obj->dev_obj->mdev->dev);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		mutex_destroy(&dom_obj->lock);
		ioasid_object_abort(ucmd->ctx, &dom_obj->obj);
		goto err_put_dev;
	}
	dom_obj->domain = domain;
	/* The domain holds the device until destroyed. */
	ioasid_object_hold(dev);
	ioasid_put_object(dev);

	cmd->out_domain_id = dom_obj->obj.id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		/* Destroying the object also lets go of the device. */
		ioasid_object_abort_and_destroy(ucmd->ctx, &dom_obj->obj);
		return rc;
	}
	ioasid_object_finalize(ucmd->ctx, &dom_obj->obj);
	return 0;

err_put_dev:
	ioasid_put_object(dev);
	return rc;
}

static struct ioasid_mock_domain *ioasid_get_mock_domain(struct ioasid_ucmd *ucmd,
							 u32 id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(ucmd->ctx, id, IOASID_OBJ_MOCK_DOMAIN);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_mock_domain, obj);
}

/*
 * Bytes of [iova, iova + len) mapped from @paddr that one iommu_map() call
 * of the test ioctls covers: a whole 1 GiB IOPTE when one fits there, else
 * up to the next 2 MiB boundary of the IOVA.  No IOPTE straddles such a
 * boundary, so the IOPTEs are those one call for the whole range would
 * give, but a call writes at most 512 IOPTEs, and the ioctl can reschedule
 * and be killed in between.
 */
static u64 mock_map_step(u64 iova, u64 paddr, u64 len)
{
	if (IS_ALIGNED(iova | paddr, SZ_1G) && len >= SZ_1G)
		return SZ_1G;
	return min(len, SZ_2M - (iova & (SZ_2M - 1)));
}

/*
 * The same for iommu_unmap(): up to the next 2 MiB boundary.  A step that
 * starts at a 1 GiB IOPTE removes it whole and reports it all.
 */
static u64 mock_unmap_step(u64 iova, u64 len)
{
	return min(len, SZ_2M - (iova & (SZ_2M - 1)));
}

/* Unmap [iova, iova + len), all of it mapped, step by step. */
static void mock_unmap_steps(struct iommu_domain *domain, u64 iova, u64 len)
{
	while (len) {
		size_t n = iommu_unmap(domain, iova, mock_unmap_step(iova, len));

		if (WARN_ON(!n || n > len))
			return;
		iova += n;
		len -= n;
		cond_resched();
	}
}

int ioasid_test_domain_map(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_domain_map *cmd = ucmd->cmd;
	struct ioasid_mock_domain *dom_obj;
	u64 done = 0;
	int prot = 0;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->prot & ~(IOASID_TEST_PROT_READ | IOASID_TEST_PROT_WRITE |
			  IOASID_TEST_PROT_CACHE))
		return -EOPNOTSUPP;
	/* Alignment is the IOMMU core's to check. */
	rc = ioasid_check_range(cmd->iova, cmd->length, 1);
	if (rc)
		return rc;
	if (cmd->paddr + cmd->length < cmd->paddr)
		return -EOVERFLOW;

	if (cmd->prot & IOASID_TEST_PROT_READ)
		prot |= IOMMU_READ;
	if (cmd->prot & IOASID_TEST_PROT_WRITE)
		prot |= IOMMU_WRITE;
	if (cmd->prot & IOASID_TEST_PROT_CACHE)
		prot |= IOMMU_CACHE;

	dom_obj = ioasid_get_mock_domain(ucmd, cmd->domain_id);
	if (IS_ERR(dom_obj))
		return PTR_ERR(dom_obj);
	/* An attached domain holds exactly its IOAS's mappings. */
	mutex_lock(&dom_obj->lock);
	if (dom_obj->ioas) {
		rc = -EBUSY;
		goto out_unlock;
	}
	/*
	 * Step by step, so that a huge range neither hogs the CPU nor
	 * outlives a fatal signal; a failure undoes the steps mapped.
	 */
	while (done < cmd->length) {
		u64 n = mock_map_step(cmd->iova + done, cmd->paddr + done,
				      cmd->length - done);

		rc = iommu_map(dom_obj->domain, cmd->iova + done,
			       cmd->paddr + done, n, prot, GFP_KERNEL_ACCOUNT);
		if (rc)
			break;
		done += n;
		cond_resched();
		if (done < cmd->length && fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
	}
	if (rc)
		mock_unmap_steps(dom_obj->domain, cmd->iova, done);
out_unlock:
	mutex_unlock(&dom_obj->lock);
	ioasid_put_object(&dom_obj->obj);
	return rc;
}

int ioasid_test_domain_unmap(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_domain_unmap *cmd = ucmd->cmd;
	struct ioasid_mock_domain *dom_obj;
	u64 unmapped = 0;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	rc = ioasid_check_range(cmd->iova, cmd->length, 1);
	if (rc)
		return rc;

	dom_obj = ioasid_get_mock_domain(ucmd, cmd->domain_id);
	if (IS_ERR(dom_obj))
		return PTR_ERR(dom_obj);
	if (!IS_ALIGNED(cmd->iova | cmd->length,
			1UL << __ffs(dom_obj->domain->pgsize_bitmap))) {
		rc = -EINVAL;
		goto out_put;
	}
	mutex_lock(&dom_obj->lock);
	if (dom_obj->ioas) {
		mutex_unlock(&dom_obj->lock);
		rc = -EBUSY;
		goto out_put;
	}
	/*
	 * Step by step as the map does.  A step that unmaps less than asked
	 * met an IOVA where no IOPTE starts, where iommu_unmap() stops; one
	 * that unmaps more removed a larger IOPTE whole.
	 */
	while (unmapped < cmd->length) {
		u64 n = mock_unmap_step(cmd->iova + unmapped,
					cmd->length - unmapped);
		size_t got = iommu_unmap(dom_obj->domain, cmd->iova + unmapped,
					 n);

		unmapped += got;
		if (got < n)
			break;
		cond_resched();
	}
	cmd->out_unmapped = unmapped;
	mutex_unlock(&dom_obj->lock);
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	ioasid_put_object(&dom_obj->obj);
	return rc;
}

int ioasid_test_iopte_get(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_iopte_get *cmd = ucmd->cmd;
	struct ioasid_mock_domain *dom_obj;
	struct mock_domain *mock;
	unsigned long start;
	void *iopte;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->iova > ULONG_MAX)
		return -ENOENT;

	dom_obj = ioasid_get_mock_domain(ucmd, cmd->domain_id);
	if (IS_ERR(dom_obj))
		return PTR_ERR(dom_obj);
	mock = to_mock_domain(dom_obj->domain);

	xa_lock(&mock->ioptes);
	iopte = mock_iopte_find(mock, cmd->iova, &start);
	if (iopte) {
		cmd->out_iova = start;
		cmd->out_paddr = mock_iopte_paddr(iopte);
		cmd->out_page_size = mock_iopte_size(iopte);
		cmd->out_prot = mock_iopte_prot(iopte);
	}
	xa_unlock(&mock->ioptes);

	if (iopte) {
		cmd->out_phys = iommu_iova_to_phys(dom_obj->domain, cmd->iova);
		rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	} else {
		rc = -ENOENT;
	}
	ioasid_put_object(&dom_obj->obj);
	return rc;
}

int ioasid_test_domain_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_domain_info *cmd = ucmd->cmd;
	struct ioasid_mock_domain *dom_obj;
	struct mock_domain *mock;
	unsigned long index;
	void *iopte;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	dom_obj = ioasid_get_mock_domain(ucmd, cmd->domain_id);
	if (IS_ERR(dom_obj))
		return PTR_ERR(dom_obj);
	mock = to_mock_domain(dom_obj->domain);

	cmd->out_nr_ioptes = 0;
	cmd->out_mapped_bytes = 0;
	xa_lock(&mock->ioptes);
	xa_for_each(&mock->ioptes, index, iopte) {
		cmd->out_nr_ioptes++;
		cmd->out_mapped_bytes += mock_iopte_size(iopte);
	}
	xa_unlock(&mock->ioptes);
	cmd->out_pgsize_bitmap = dom_obj->domain->pgsize_bitmap;
	cmd->out_aperture_start = dom_obj->domain->geometry.aperture_start;
	cmd->out_aperture_last = dom_obj->domain->geometry.aperture_end;

	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	ioasid_put_object(&dom_obj->obj);
	return rc;
}

int ioasid_test_ctx_from_fd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_ctx_from_fd *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ctx = ioasid_ctx_from_fd(cmd->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	cmd->out_same = ctx == ucmd->ctx;
	ioasid_ctx_put(ctx);
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

int ioasid_test_ioas_attach(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_ioas_attach *cmd = ucmd->cmd;
	struct ioasid_mock_domain *dom_obj;
	struct ioasid_object *ioas_obj;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	dom_obj = ioasid_get_mock_domain(ucmd, cmd->domain_id);
	if (IS_ERR(dom_obj))
		return PTR_ERR(dom_obj);
	ioas_obj = ioasid_get_object(ucmd->ctx, cmd->ioas_id, IOASID_OBJ_IOAS);
	if (IS_ERR(ioas_obj)) {
		rc = PTR_ERR(ioas_obj);
		goto out_put_domain;
	}

	mutex_lock(&dom_obj->lock);
	/* IOPTEs of its own would stay where the IOAS maps nothing. */
	if (dom_obj->ioas ||
	    !xa_empty(&to_mock_domain(dom_obj->domain)->ioptes)) {
		rc = -EBUSY;
	} else {
		struct ioasid_ioas *ioas =
			container_of(ioas_obj, struct ioasid_ioas, obj);

		rc = ioasid_ioas_attach_domain(ioas, dom_obj->domain);
		if (!rc) {
			/* The attachment holds the IOAS. */
			ioasid_object_hold(ioas_obj);
			dom_obj->ioas = ioas;
		}
	}
	mutex_unlock(&dom_obj->lock);
	ioasid_put_object(ioas_obj);
out_put_domain:
	ioasid_put_object(&dom_obj->obj);
	return rc;
}

int ioasid_test_ioas_detach(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_ioas_detach *cmd = ucmd->cmd;
	struct ioasid_mock_domain *dom_obj;
	struct ioasid_ioas *ioas;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	dom_obj = ioasid_get_mock_domain(ucmd, cmd->domain_id);
	if (IS_ERR(dom_obj))
		return PTR_ERR(dom_obj);
	mutex_lock(&dom_obj->lock);
	ioas = dom_obj->ioas;
	if (ioas) {
		ioasid_ioas_detach_domain(ioas, dom_obj->domain);
		dom_obj->ioas = NULL;
	}
	mutex_unlock(&dom_obj->lock);
	if (ioas)
		ioasid_object_unhold(&ioas->obj);
	ioasid_put_object(&dom_obj->obj);
	return ioas ? 0 : -ENOENT;
}

/* Release pins overlapping [iova, last], or all with last == ULONG_MAX. */
static void mock_access_unpin_range(struct ioasid_mock_access *acc,
				    unsigned long iova, unsigned long last)
{
	struct mock_access_pin *pin;
	unsigned long id;

	lockdep_assert_held(&acc->lock);
	xa_for_each(&acc->pins, id, pin) {
		if (pin->iova > last || pin->iova + pin->length - 1 < iova)
			continue;
		ioasid_access_unpin_pages(acc->access, pin->iova, pin->length);
		xa_erase(&acc->pins, id);
		kfree(pin);
	}
}

static void mock_access_unmap(void *data, unsigned long iova,
			      unsigned long length)
{
	struct ioasid_mock_access *acc = data;

	mutex_lock(&acc->lock);
	acc->unmap_calls++;
	if (!(acc->flags & IOASID_TEST_ACCESS_KEEP_PINS))
		mock_access_unpin_range(acc, iova, iova + length - 1);
	mutex_unlock(&acc->lock);
}

static const struct ioasid_access_ops mock_access_ops = {
	.unmap = mock_access_unmap,
};

#define MOCK_MIRROR_CHUNK	SZ_2M

/* Pin [iova, last] in pieces aligned to 2 MiB; skip what cannot be pinned. */
static void mock_access_mirror(void *data, unsigned long iova,
			       unsigned long length)
{
	unsigned long last = iova + length - 1, pos = iova, end;
	struct ioasid_mock_access *acc = data;
	struct mock_access_pin *pin;
	struct page **pages;
	u32 id;

	pages = kvmalloc_array(MOCK_MIRROR_CHUNK >> PAGE_SHIFT, sizeof(*pages),
			       GFP_KERNEL_ACCOUNT);
	if (!pages)
		return;
	mutex_lock(&acc->lock);
	/* Until the creation returns there is nothing to pin with. */
	while (acc->access && !acc->mirror_paused) {
		end = min(last, ALIGN_DOWN(pos, MOCK_MIRROR_CHUNK) +
				MOCK_MIRROR_CHUNK - 1);
		pin = kzalloc(sizeof(*pin), GFP_KERNEL_ACCOUNT);
		if (!pin)
			break;
		pin->iova = pos;
		pin->length = end - pos + 1;
		if (ioasid_access_pin_pages(acc->access, pos, pin->length,
					    pages, 0)) {
			kfree(pin);
		} else if (xa_alloc(&acc->pins, &id, pin, xa_limit_32b,
				    GFP_KERNEL_ACCOUNT)) {
			ioasid_access_unpin_pages(acc->access, pos,
						  pin->length);
			kfree(pin);
		}
		if (end == last || fatal_signal_pending(current))
			break;
		pos = end + 1;
		cond_resched();
	}
	mutex_unlock(&acc->lock);
	kvfree(pages);
}

static const struct ioasid_access_ops mock_access_mirror_ops = {
	.unmap = mock_access_unmap,
	.map = mock_access_mirror,
};

void ioasid_mock_access_destroy(struct ioasid_object *obj)
{
	struct ioasid_mock_access *acc =
		container_of(obj, struct ioasid_mock_access, obj);
	struct ioasid_access *access;

	mutex_lock(&acc->lock);
	mock_access_unpin_range(acc, 0, ULONG_MAX);
	/* A mirror's map callback until the destroy below pins nothing. */
	access = acc->access;
	acc->access = NULL;
	mutex_unlock(&acc->lock);
	/* Waits for a callback in progress; none comes after it. */
	ioasid_access_destroy(access);
	xa_destroy(&acc->pins);
	mutex_destroy(&acc->lock);
	mutex_destroy(&acc->ioas_lock);
}

int ioasid_test_access_create(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_access_create *cmd = ucmd->cmd;
	struct ioasid_mock_access *acc;
	struct ioasid_access *access;
	int rc;

	if (cmd->flags & ~(IOASID_TEST_ACCESS_KEEP_PINS |
			   IOASID_TEST_ACCESS_MIRROR))
		return -EOPNOTSUPP;

	acc = ioasid_object_alloc(ucmd->ctx, struct ioasid_mock_access,
				  IOASID_OBJ_MOCK_ACCESS);
	if (IS_ERR(acc))
		return PTR_ERR(acc);
	acc->flags = cmd->flags;
	mutex_init(&acc->ioas_lock);
	mutex_init(&acc->lock);
	xa_init_flags(&acc->pins, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);

	access = ioasid_access_create(ucmd->ctx, cmd->ioas_id,
				      cmd->flags & IOASID_TEST_ACCESS_MIRROR ?
				      &mock_access_mirror_ops :
				      &mock_access_ops, acc);
	if (IS_ERR(access)) {
		mutex_destroy(&acc->lock);
		mutex_destroy(&acc->ioas_lock);
		ioasid_object_abort(ucmd->ctx, &acc->obj);
		return PTR_ERR(access);
	}
	mutex_lock(&acc->lock);
	acc->access = access;
	mutex_unlock(&acc->lock);
	if (cmd->flags & IOASID_TEST_ACCESS_MIRROR) {
		rc = ioasid_access_populate(access);
		if (rc) {
			ioasid_object_abort_and_destroy(ucmd->ctx, &acc->obj);
			return rc;
		}
	}

	cmd->out_access_id = acc->obj.id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		ioasid_object_abort_and_destroy(ucmd->ctx, &acc->obj);
		return rc;
	}
	ioasid_object_finalize(ucmd->ctx, &acc->obj);
	return 0;
}

static struct ioasid_mock_access *ioasid_get_mock_access(struct ioasid_ucmd *ucmd,
							 u32 id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(ucmd->ctx, id, IOASID_OBJ_MOCK_ACCESS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_mock_access, obj);
}

static unsigned int mock_access_flags(u32 flags)
{
	return flags & IOASID_TEST_ACCESS_RW_WRITE ? IOASID_ACCESS_WRITE : 0;
}

/* Read [iova, iova + length) through the pages a pin returned. */
static int mock_access_read_pages(struct page **pages, unsigned long iova,
				  unsigned long length, void __user *data)
{
	unsigned long offset = offset_in_page(iova), done = 0;

	while (done < length) {
		size_t n = min(PAGE_SIZE - offset, length - done);
		void *va = kmap_local_page(*pages++);
		unsigned long left;

		left = copy_to_user(data + done, va + offset, n);
		kunmap_local(va);
		if (left)
			return -EFAULT;
		done += n;
		offset = 0;
	}
	return 0;
}

#define MOCK_ACCESS_MAX_PIN	SZ_16M
#define MOCK_ACCESS_MAX_RW	SZ_64K

int ioasid_test_access_pin(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_access_pin *cmd = ucmd->cmd;
	struct ioasid_mock_access *acc;
	struct mock_access_pin *pin;
	struct page **pages;
	unsigned long npages;
	u32 id;
	int rc;

	if (cmd->flags & ~IOASID_TEST_ACCESS_RW_WRITE)
		return -EOPNOTSUPP;
	rc = ioasid_check_range(cmd->iova, cmd->length, 1);
	if (rc)
		return rc;
	if (cmd->length > MOCK_ACCESS_MAX_PIN)
		return -E2BIG;
	npages = DIV_ROUND_UP(offset_in_page(cmd->iova) + cmd->length,
			      PAGE_SIZE);

	pin = kzalloc(sizeof(*pin), GFP_KERNEL_ACCOUNT);
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pin || !pages) {
		rc = -ENOMEM;
		goto out_free;
	}
	pin->iova = cmd->iova;
	pin->length = cmd->length;

	acc = ioasid_get_mock_access(ucmd, cmd->access_id);
	if (IS_ERR(acc)) {
		rc = PTR_ERR(acc);
		goto out_free;
	}
	mutex_lock(&acc->ioas_lock);
	mutex_lock(&acc->lock);
	rc = ioasid_access_pin_pages(acc->access, cmd->iova, cmd->length,
				     pages, mock_access_flags(cmd->flags));
	if (rc)
		goto out_unlock;
	rc = xa_alloc(&acc->pins, &id, pin, xa_limit_32b, GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_unpin;
	if (cmd->data) {
		rc = mock_access_read_pages(pages, cmd->iova, cmd->length,
					    u64_to_user_ptr(cmd->data));
		if (rc)
			goto err_erase;
	}
	cmd->out_pin_id = id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_erase;
	/* The access owns the pin now. */
	pin = NULL;
	goto out_unlock;

err_erase:
	xa_erase(&acc->pins, id);
err_unpin:
	ioasid_access_unpin_pages(acc->access, cmd->iova, cmd->length);
out_unlock:
	mutex_unlock(&acc->lock);
	mutex_unlock(&acc->ioas_lock);
	ioasid_put_object(&acc->obj);
out_free:
	kvfree(pages);
	kfree(pin);
	return rc;
}

int ioasid_test_access_unpin(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_access_unpin *cmd = ucmd->cmd;
	struct ioasid_mock_access *acc;
	struct mock_access_pin *pin;

	if (cmd->flags)
		return -EOPNOTSUPP;

	acc = ioasid_get_mock_access(ucmd, cmd->access_id);
	if (IS_ERR(acc))
		return PTR_ERR(acc);
	mutex_lock(&acc->lock);
	/* Pin ids start at 1: erasing 0 would free it for xa_alloc(). */
	pin = cmd->pin_id ? xa_erase(&acc->pins, cmd->pin_id) : NULL;
	if (pin)
		ioasid_access_unpin_pages(acc->access, pin->iova, pin->length);
	mutex_unlock(&acc->lock);
	ioasid_put_object(&acc->obj);
	kfree(pin);
	return pin ? 0 : -ENOENT;
}

int ioasid_test_access_rw(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_access_rw *cmd = ucmd->cmd;
	bool write = cmd->flags & IOASID_TEST_ACCESS_RW_WRITE;
	void __user *data = u64_to_user_ptr(cmd->data);
	struct ioasid_mock_access *acc;
	void *buf;
	int rc;

	if (cmd->flags & ~IOASID_TEST_ACCESS_RW_WRITE)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	rc = ioasid_check_range(cmd->iova, cmd->length, 1);
	if (rc)
		return rc;
	if (cmd->length > MOCK_ACCESS_MAX_RW)
		return -E2BIG;

	buf = kvmalloc(cmd->length, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (write && copy_from_user(buf, data, cmd->length)) {
		rc = -EFAULT;
		goto out_free;
	}
	acc = ioasid_get_mock_access(ucmd, cmd->access_id);
	if (IS_ERR(acc)) {
		rc = PTR_ERR(acc);
		goto out_free;
	}
	/* Serialised with replace, as a driver does. */
	mutex_lock(&acc->ioas_lock);
	rc = ioasid_access_rw(acc->access, cmd->iova, buf, cmd->length,
			      mock_access_flags(cmd->flags));
	mutex_unlock(&acc->ioas_lock);
	ioasid_put_object(&acc->obj);
	if (!rc && !write && copy_to_user(data, buf, cmd->length))
		rc = -EFAULT;
out_free:
	kvfree(buf);
	return rc;
}

int ioasid_test_access_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_access_info *cmd = ucmd->cmd;
	struct ioasid_mock_access *acc;
	struct mock_access_pin *pin;
	unsigned long id;

	if (cmd->flags)
		return -EOPNOTSUPP;

	acc = ioasid_get_mock_access(ucmd, cmd->access_id);
	if (IS_ERR(acc))
		return PTR_ERR(acc);
	cmd->out_nr_pins = 0;
	mutex_lock(&acc->lock);
	xa_for_each(&acc->pins, id, pin)
		cmd->out_nr_pins++;
	cmd->out_unmap_calls = acc->unmap_calls;
	cmd->out_kernel_id = ioasid_access_id(acc->access);
	mutex_unlock(&acc->lock);
	mutex_lock(&acc->ioas_lock);
	cmd->out_ioas_id = acc->access->ioas->obj.id;
	mutex_unlock(&acc->ioas_lock);
	ioasid_put_object(&acc->obj);
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

int ioasid_test_access_replace(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_access_replace *cmd = ucmd->cmd;
	struct ioasid_mock_access *acc;
	int rc, err;

	if (cmd->flags)
		return -EOPNOTSUPP;

	acc = ioasid_get_mock_access(ucmd, cmd->access_id);
	if (IS_ERR(acc))
		return PTR_ERR(acc);
	/* Not under @lock: the unmap callback takes it. */
	mutex_lock(&acc->ioas_lock);
	if (acc->flags & IOASID_TEST_ACCESS_MIRROR) {
		/*
		 * A mirror lets go of the old IOAS, then takes the new one; a
		 * map callback of the old IOAS until the replace unlinks the
		 * access must not pin again, or the pin would be undone in the
		 * new IOAS.
		 */
		mutex_lock(&acc->lock);
		mock_access_unpin_range(acc, 0, ULONG_MAX);
		acc->mirror_paused = true;
		mutex_unlock(&acc->lock);
	}
	rc = ioasid_access_replace(acc->access, cmd->ioas_id);
	if (acc->flags & IOASID_TEST_ACCESS_MIRROR) {
		mutex_lock(&acc->lock);
		acc->mirror_paused = false;
		mutex_unlock(&acc->lock);
		/* On the new IOAS, or still on the old one if it failed. */
		err = ioasid_access_populate(acc->access);
		rc = rc ?: err;
	}
	mutex_unlock(&acc->ioas_lock);
	ioasid_put_object(&acc->obj);
	return rc;
}

int ioasid_test_device_bind(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_device_bind *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx, *other = NULL;
	struct ioasid_mock_dev *dev_obj;
	struct ioasid_device *idev;
	u32 id;
	int rc;

	if (cmd->flags & ~IOASID_TEST_DEVICE_BIND_FD)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	dev_obj = ioasid_get_mock_dev(ucmd, cmd->dev_id);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	mutex_lock(&dev_obj->lock);
	if (dev_obj->idev) {
		rc = -EBUSY;
		goto out_unlock;
	}
	if (cmd->flags & IOASID_TEST_DEVICE_BIND_FD) {
		other = ioasid_ctx_from_fd(cmd->ioasid_fd);
		if (IS_ERR(other)) {
			rc = PTR_ERR(other);
			goto out_unlock;
		}
		/*
		 * The mock device would hold its own file, which then never
		 * closes.  (Two files bound to each other still can: a test
		 * driver's limit.)
		 */
		if (other == ucmd->ctx) {
			ioasid_ctx_put(other);
			other = NULL;
			rc = -EINVAL;
			goto out_unlock;
		}
		ctx = other;
	}
	idev = ioasid_device_bind(ctx, &dev_obj->mdev->dev, &id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_put_ctx;
	}
	cmd->out_device_id = id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		ioasid_device_unbind(idev);
		goto out_put_ctx;
	}
	dev_obj->idev = idev;
	dev_obj->bound_ctx = other;
	goto out_unlock;

out_put_ctx:
	if (other)
		ioasid_ctx_put(other);
out_unlock:
	mutex_unlock(&dev_obj->lock);
	ioasid_put_object(&dev_obj->obj);
	return rc;
}

int ioasid_test_device_unbind(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_device_unbind *cmd = ucmd->cmd;
	struct ioasid_mock_dev *dev_obj;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	dev_obj = ioasid_get_mock_dev(ucmd, cmd->dev_id);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	mutex_lock(&dev_obj->lock);
	if (dev_obj->idev) {
		ioasid_device_unbind(dev_obj->idev);
		dev_obj->idev = NULL;
		if (dev_obj->bound_ctx)
			ioasid_ctx_put(dev_obj->bound_ctx);
		dev_obj->bound_ctx = NULL;
	} else {
		rc = -ENOENT;
	}
	mutex_unlock(&dev_obj->lock);
	ioasid_put_object(&dev_obj->obj);
	return rc;
}

int ioasid_test_device_attach(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_device_attach *cmd = ucmd->cmd;
	struct ioasid_mock_dev *dev_obj;
	int rc;

	if (cmd->flags & ~(IOASID_TEST_DEVICE_ATTACH_REPLACE |
			   IOASID_TEST_DEVICE_ATTACH_PASID))
		return -EOPNOTSUPP;
	if (cmd->__reserved ||
	    (cmd->pasid && !(cmd->flags & IOASID_TEST_DEVICE_ATTACH_PASID)))
		return -EINVAL;

	dev_obj = ioasid_get_mock_dev(ucmd, cmd->dev_id);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	mutex_lock(&dev_obj->lock);
	if (!dev_obj->idev)
		rc = -ENOENT;
	else if (cmd->flags & IOASID_TEST_DEVICE_ATTACH_PASID)
		rc = (cmd->flags & IOASID_TEST_DEVICE_ATTACH_REPLACE) ?
		     ioasid_device_pasid_replace(dev_obj->idev, cmd->pasid,
						 &cmd->pt_id) :
		     ioasid_device_pasid_attach(dev_obj->idev, cmd->pasid,
						&cmd->pt_id);
	else if (cmd->flags & IOASID_TEST_DEVICE_ATTACH_REPLACE)
		rc = ioasid_device_replace(dev_obj->idev, &cmd->pt_id);
	else
		rc = ioasid_device_attach(dev_obj->idev, &cmd->pt_id);
	mutex_unlock(&dev_obj->lock);
	ioasid_put_object(&dev_obj->obj);
	return rc ?: ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

int ioasid_test_device_detach(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_device_detach *cmd = ucmd->cmd;
	struct ioasid_mock_dev *dev_obj;
	bool pasid = cmd->flags & IOASID_TEST_DEVICE_DETACH_PASID;
	int rc = 0;

	if (cmd->flags & ~IOASID_TEST_DEVICE_DETACH_PASID)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2 || (!pasid && cmd->pasid))
		return -EINVAL;
	if (pasid && (!cmd->pasid || cmd->pasid > IOASID_PASID_MAX))
		return -EINVAL;

	dev_obj = ioasid_get_mock_dev(ucmd, cmd->dev_id);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	mutex_lock(&dev_obj->lock);
	if (dev_obj->idev && pasid)
		ioasid_device_pasid_detach(dev_obj->idev, cmd->pasid);
	else if (dev_obj->idev)
		ioasid_device_detach(dev_obj->idev);
	else
		rc = -ENOENT;
	mutex_unlock(&dev_obj->lock);
	ioasid_put_object(&dev_obj->obj);
	return rc;
}

int ioasid_test_device_domain(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_device_domain *cmd = ucmd->cmd;
	struct ioasid_mock_dev *dev_obj;
	struct mock_dev *mdev;
	struct mock_domain *mock;
	unsigned long index;
	void *iopte;
	int rc;

	if (cmd->flags & ~IOASID_TEST_DEVICE_DOMAIN_PASID)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2 || cmd->__reserved3 ||
	    (cmd->pasid && !(cmd->flags & IOASID_TEST_DEVICE_DOMAIN_PASID)))
		return -EINVAL;

	dev_obj = ioasid_get_mock_dev(ucmd, cmd->dev_id);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	mdev = dev_obj->mdev;
	cmd->out_serial = 0;
	cmd->out_nr_ioptes = 0;
	cmd->out_mapped_bytes = 0;
	cmd->out_flags = 0;
	/* An attached domain is not freed: it stays while we look. */
	if (cmd->flags & IOASID_TEST_DEVICE_DOMAIN_PASID) {
		struct iommu_domain *domain;

		xa_lock(&mdev->pasids);
		domain = xa_load(&mdev->pasids, cmd->pasid);
		mock = NULL;
		if (domain == MOCK_IDENTITY) {
			cmd->out_flags |= IOASID_TEST_DOMAIN_IDENTITY;
		} else if (domain && domain->type == IOMMU_DOMAIN_NESTED) {
			cmd->out_flags |= IOASID_TEST_DOMAIN_NESTED;
			mock = to_mock_nested(domain)->parent;
		} else if (domain) {
			mock = to_mock_domain(domain);
		}
	} else {
		spin_lock(&mdev->lock);
		mock = mdev->domain;
		if (mdev->nested) {
			cmd->out_flags |= IOASID_TEST_DOMAIN_NESTED;
			mock = mdev->nested->parent;
		}
		if (mdev->identity)
			cmd->out_flags |= IOASID_TEST_DOMAIN_IDENTITY;
	}
	if (mock) {
		cmd->out_serial = mock->serial;
		if (mock->domain.iova_cookie)
			cmd->out_flags |= IOASID_TEST_DOMAIN_MSI_COOKIE;
		if (mock->enforce_cc)
			cmd->out_flags |= IOASID_TEST_DOMAIN_ENFORCE_CC;
		xa_lock(&mock->ioptes);
		xa_for_each(&mock->ioptes, index, iopte) {
			cmd->out_nr_ioptes++;
			cmd->out_mapped_bytes += mock_iopte_size(iopte);
		}
		xa_unlock(&mock->ioptes);
	}
	if (cmd->flags & IOASID_TEST_DEVICE_DOMAIN_PASID)
		xa_unlock(&mdev->pasids);
	else
		spin_unlock(&mdev->lock);
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	ioasid_put_object(&dev_obj->obj);
	return rc;
}

int ioasid_test_device_allow_pasid(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_device_allow_pasid *cmd = ucmd->cmd;
	bool revoke = cmd->flags & IOASID_TEST_ALLOW_PASID_REVOKE;
	struct ioasid_mock_dev *dev_obj;
	int rc = 0;

	if (cmd->flags & ~IOASID_TEST_ALLOW_PASID_REVOKE)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2)
		return -EINVAL;
	/* The kernel call cannot fail: check what it would ignore. */
	if (revoke && (cmd->configs || !cmd->first || cmd->first > cmd->last))
		return -EINVAL;

	dev_obj = ioasid_get_mock_dev(ucmd, cmd->dev_id);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	mutex_lock(&dev_obj->lock);
	if (!dev_obj->idev)
		rc = -ENOENT;
	else if (revoke)
		ioasid_device_revoke_pasid(dev_obj->idev, cmd->first,
					   cmd->last);
	else
		rc = ioasid_device_allow_pasid(dev_obj->idev, cmd->first,
					       cmd->last, cmd->configs);
	mutex_unlock(&dev_obj->lock);
	ioasid_put_object(&dev_obj->obj);
	return rc;
}

/*
 * One page's worth of a mock DMA: translate @iova through @mock's IOPTEs
 * and copy between the page and @buf.  Called with the lock that keeps
 * @mock attached to the device held, so that the domain and, through its
 * IOPTE (the IOAS unmaps the domain before it unpins), the page stay.  A
 * paging domain is the only stage of the translation: its faults are
 * reported as stage 1.
 */
static int mock_dma_page(struct mock_domain *mock, unsigned long iova,
			 void *buf, size_t len, bool write,
			 struct mock_fault *fault)
{
	u32 reason = IOASID_TEST_FAULT_NOT_PRESENT;
	unsigned long start;
	phys_addr_t paddr;
	void *iopte, *va;
	u32 prot;
	int rc = -ENXIO;

	xa_lock(&mock->ioptes);
	iopte = mock_iopte_find(mock, iova, &start);
	if (!iopte)
		goto out_fault;
	prot = mock_iopte_prot(iopte);
	if (!(prot & (write ? IOASID_TEST_PROT_WRITE :
			      IOASID_TEST_PROT_READ))) {
		reason = IOASID_TEST_FAULT_PERMISSION;
		rc = -EACCES;
		goto out_fault;
	}
	paddr = mock_iopte_paddr(iopte) + (iova - start);
	/* Test domains may name any address: only RAM is copied. */
	if (!pfn_valid(PHYS_PFN(paddr)))
		goto out_fault;
	va = kmap_local_page(pfn_to_page(PHYS_PFN(paddr)));
	if (write)
		memcpy(va + offset_in_page(paddr), buf, len);
	else
		memcpy(buf, va + offset_in_page(paddr), len);
	kunmap_local(va);
	xa_unlock(&mock->ioptes);
	return 0;

out_fault:
	xa_unlock(&mock->ioptes);
	*fault = (struct mock_fault){ .stage = 1, .reason = reason,
				      .addr = iova };
	return rc;
}

/*
 * What translates DMA of the device with @pasid: under the pasids lock.
 * @refused is set to the domain that translated, if any.
 */
static int mock_dev_dma_pasid(struct mock_dev *mdev, ioasid_t pasid,
			      unsigned long iova, void *buf, size_t len,
			      u32 access, struct mock_fault *fault, bool *hit,
			      struct iommu_domain **refused)
{
	struct iommu_domain *domain = xa_load(&mdev->pasids, pasid);
	bool write = access & MOCK_ACC_WRITE;
	int rc = -ENXIO;

	if (domain && domain != MOCK_IDENTITY) {
		*refused = domain;
		if (domain->type == IOMMU_DOMAIN_NESTED)
			return mock_nested_dma_page(to_mock_nested(domain),
						    pasid, iova, access, buf,
						    len, fault, hit);
		return mock_dma_page(to_mock_domain(domain), iova, buf, len,
				     write, fault);
	}
	/*
	 * Nothing at the PASID: on the mock SMMUv3, a nested domain at the
	 * RID translates the substream through the guest's CD table.
	 */
	spin_lock(&mdev->lock);
	if (!domain && mdev->nested && mdev->nested->flavour == MOCK_SMMUV3) {
		*refused = &mdev->nested->domain;
		rc = mock_nested_dma_page(mdev->nested, pasid, iova, access,
					  buf, len, fault, hit);
	} else {
		/* Blocked, or untranslated: never copied from a test. */
		*fault = (struct mock_fault){ .reason = IOASID_TEST_FAULT_ABORT,
					      .addr = iova };
	}
	spin_unlock(&mdev->lock);
	return rc;
}

/**
 * mock_dev_dma() - A DMA of a mock device within one page
 * @mdev: The device
 * @has_pasid: The DMA carries @pasid
 * @pasid: Its PASID
 * @iova: Address the device uses
 * @buf: Bytes read from memory, or written to it
 * @len: Bytes, not crossing a page of @iova
 * @access: &enum mock_access
 * @fault: Output, why the translation failed
 * @hit: Output, translated from a nested domain's IOTLB
 * @refused: Output, the domain that translated it, NULL if none did: the
 *           one that refused when the DMA fails, a nested domain for
 *           either stage
 *
 * Return: 0, -ENXIO (no translation) or -EACCES (permission).
 */
int mock_dev_dma(struct mock_dev *mdev, bool has_pasid, ioasid_t pasid,
		 unsigned long iova, void *buf, size_t len, u32 access,
		 struct mock_fault *fault, bool *hit,
		 struct iommu_domain **refused)
{
	int rc = -ENXIO;

	*hit = false;
	*refused = NULL;
	if (has_pasid) {
		xa_lock(&mdev->pasids);
		rc = mock_dev_dma_pasid(mdev, pasid, iova, buf, len, access,
					fault, hit, refused);
		xa_unlock(&mdev->pasids);
		return rc;
	}
	spin_lock(&mdev->lock);
	if (mdev->nested) {
		*refused = &mdev->nested->domain;
		rc = mock_nested_dma_page(mdev->nested, IOMMU_NO_PASID, iova,
					  access, buf, len, fault, hit);
	} else if (mdev->domain) {
		*refused = &mdev->domain->domain;
		rc = mock_dma_page(mdev->domain, iova, buf, len,
				   access & MOCK_ACC_WRITE, fault);
	} else {
		*fault = (struct mock_fault){ .reason = IOASID_TEST_FAULT_ABORT,
					      .addr = iova };
	}
	spin_unlock(&mdev->lock);
	return rc;
}

/**
 * struct mock_dma_pri - The page requests of one IOASID_TEST_MOCK_DMA
 * @wait: %IOASID_TEST_MOCK_DMA_FAULT_WAIT, else _NOWAIT
 * @timeout: With @wait, jiffies to wait for each response
 * @nr_requests: Requests raised
 * @response_code: Code of the last response, or %IOASID_TEST_NO_RESPONSE
 * @grpid: Group index of the last request
 */
struct mock_dma_pri {
	bool wait;
	unsigned long timeout;
	u32 nr_requests;
	u32 response_code;
	u32 grpid;
};

/**
 * mock_iopf_perm() - What a page request asks, for a DMA
 * @access: &enum mock_access of the DMA
 *
 * Return: the IOMMU_FAULT_PERM_* bits (PCIe PRI: Read, Write, Execute and
 * Privileged Mode Requested).
 */
static u32 mock_iopf_perm(u32 access)
{
	u32 perm = 0;

	if (access & MOCK_ACC_READ)
		perm |= IOMMU_FAULT_PERM_READ;
	if (access & MOCK_ACC_WRITE)
		perm |= IOMMU_FAULT_PERM_WRITE;
	if (access & MOCK_ACC_EXEC)
		perm |= IOMMU_FAULT_PERM_EXEC;
	if (access & MOCK_ACC_PRIV)
		perm |= IOMMU_FAULT_PERM_PRIV;
	return perm;
}

/**
 * mock_dev_dma_fault() - One page of a mock DMA that reports its faults
 * @mdev: The device
 * @pri: The page requests of the DMA so far
 * @has_pasid: The DMA is tagged with @pasid
 * @pasid: The PASID
 * @iova: Address, within one page with @len
 * @buf: Bytes to write, or room for those read
 * @len: Bytes
 * @access: &enum mock_access
 * @fault: Out, why the translation failed
 * @hit: Out, translated from an IOTLB
 *
 * The walk and the report of its fault happen under the device's
 * iopf_lock, so that the domain that refused is still attached when it is
 * reported.  A not-present or permission fault of stage 1 (the single
 * stage of a paging domain) on a device with PRI raises a page request
 * (PCIe r6.0, 10.4.1), unless %IOASID_TEST_MOCK_DMA_MAX_REQUESTS were
 * raised already; any other fault that a domain refused is reported to
 * that domain's owner with report_iommu_fault(): the nested domain for
 * stage 1, its parent for stage 2.  With @pri->wait, the response is
 * waited for after the lock is dropped.
 *
 * Return: 0 when the page was moved; 1 to walk it again (a response
 * Success came); -EAGAIN when a request was left pending (NOWAIT);
 * -ETIMEDOUT, -EINTR while waiting; the errno of the fault otherwise
 * (-ENXIO, -EACCES), also after a response Invalid Request or Response
 * Failure; -ENOMEM.
 */
static int mock_dev_dma_fault(struct mock_dev *mdev, struct mock_dma_pri *pri,
			      bool has_pasid, ioasid_t pasid,
			      unsigned long iova, void *buf, size_t len,
			      u32 access, struct mock_fault *fault, bool *hit)
{
	struct iommu_domain *refused;
	struct mock_iopf_waiter w;
	u32 grpid;
	int rc, rc2;

	mutex_lock(&mdev->iopf_lock);
	rc = mock_dev_dma(mdev, has_pasid, pasid, iova, buf, len, access,
			  fault, hit, &refused);
	if (!rc)
		goto out_unlock;
	/* Without page requests turned on, the fault cannot wait. */
	if (!mdev->pri || !mdev->iopf_enabled || fault->stage != 1 ||
	    (fault->reason != IOASID_TEST_FAULT_NOT_PRESENT &&
	     fault->reason != IOASID_TEST_FAULT_PERMISSION)) {
		if (!refused)
			goto out_unlock;
		if (fault->stage == 2 && refused->type == IOMMU_DOMAIN_NESTED)
			refused = &to_mock_nested(refused)->parent->domain;
		/* Still attached (iopf_lock): the owner may look at it. */
		report_iommu_fault(refused, &mdev->dev, fault->addr,
				   (access & MOCK_ACC_WRITE) ? IOMMU_FAULT_WRITE :
							       IOMMU_FAULT_READ);
		xa_lock(&mdev->iopf.groups);
		mdev->iopf.events++;
		xa_unlock(&mdev->iopf.groups);
		goto out_unlock;
	}
	if (pri->nr_requests >= IOASID_TEST_MOCK_DMA_MAX_REQUESTS)
		goto out_unlock;

	mock_iopf_waiter_add(mdev, &w, 1);
	rc2 = mock_iopf_raise(mdev, has_pasid, pasid, mock_iopf_perm(access),
			      ALIGN_DOWN(iova, MOCK_PAGE_SIZE), 1, &w, &grpid);
	if (rc2) {
		mock_iopf_waiter_del(mdev, &w);
		rc = rc2;
		goto out_unlock;
	}
	pri->nr_requests++;
	pri->grpid = grpid;
	if (!pri->wait) {
		/* What was answered at once (no handler, a full queue). */
		mock_iopf_waiter_del(mdev, &w);
		pri->response_code = w.code;
		rc = -EAGAIN;
		goto out_unlock;
	}
	mutex_unlock(&mdev->iopf_lock);

	rc2 = mock_iopf_wait(mdev, &w, pri->timeout);
	if (rc2)
		return rc2;
	pri->response_code = w.code;
	return w.code == IOMMU_PAGE_RESP_SUCCESS ? 1 : rc;

out_unlock:
	mutex_unlock(&mdev->iopf_lock);
	return rc;
}

int ioasid_test_mock_dma(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_mock_dma *cmd = ucmd->cmd;
	bool write = cmd->flags & IOASID_TEST_MOCK_DMA_WRITE;
	bool has_pasid = cmd->flags & IOASID_TEST_MOCK_DMA_PASID;
	u32 fault_flags = cmd->flags & (IOASID_TEST_MOCK_DMA_FAULT_WAIT |
					IOASID_TEST_MOCK_DMA_FAULT_NOWAIT);
	void __user *data = u64_to_user_ptr(cmd->data);
	struct mock_dma_pri pri = {
		.wait = fault_flags == IOASID_TEST_MOCK_DMA_FAULT_WAIT,
		.timeout = msecs_to_jiffies(cmd->timeout_ms),
		.response_code = IOASID_TEST_NO_RESPONSE,
	};
	struct ioasid_mock_dev *dev_obj;
	struct iommu_domain *refused;
	struct mock_fault fault = {};
	u32 access;
	u64 done = 0;
	void *buf;
	int rc = 0;

	if (cmd->flags & ~(IOASID_TEST_MOCK_DMA_WRITE |
			   IOASID_TEST_MOCK_DMA_PASID |
			   IOASID_TEST_MOCK_DMA_EXEC |
			   IOASID_TEST_MOCK_DMA_PRIV |
			   IOASID_TEST_MOCK_DMA_FAULT_WAIT |
			   IOASID_TEST_MOCK_DMA_FAULT_NOWAIT))
		return -EOPNOTSUPP;
	if (fault_flags == (IOASID_TEST_MOCK_DMA_FAULT_WAIT |
			    IOASID_TEST_MOCK_DMA_FAULT_NOWAIT) ||
	    (pri.wait && (!cmd->timeout_ms ||
			  cmd->timeout_ms > MOCK_TIMEOUT_MS_MAX)))
		return -EINVAL;
	if (!cmd->length || cmd->length > IOASID_TEST_MOCK_DMA_MAX ||
	    cmd->iova + cmd->length - 1 < cmd->iova ||
	    (cmd->pasid && !has_pasid) ||
	    (has_pasid && (!cmd->pasid || cmd->pasid > IOASID_PASID_MAX)))
		return -EINVAL;
	/* PCIe carries the execute and privileged bits in the PASID prefix. */
	if (!has_pasid && (cmd->flags & (IOASID_TEST_MOCK_DMA_EXEC |
					 IOASID_TEST_MOCK_DMA_PRIV)))
		return -EINVAL;
	if (write && (cmd->flags & IOASID_TEST_MOCK_DMA_EXEC))
		return -EINVAL;
	access = write ? MOCK_ACC_WRITE : MOCK_ACC_READ;
	if (cmd->flags & IOASID_TEST_MOCK_DMA_EXEC)
		access |= MOCK_ACC_EXEC;
	if (cmd->flags & IOASID_TEST_MOCK_DMA_PRIV)
		access |= MOCK_ACC_PRIV;

	dev_obj = ioasid_get_mock_dev(ucmd, cmd->dev_id);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	if (has_pasid && (!dev_obj->mdev->dev.iommu ||
			  cmd->pasid >= dev_obj->mdev->dev.iommu->max_pasids)) {
		rc = -EINVAL;
		goto out_put;
	}
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!buf) {
		rc = -ENOMEM;
		goto out_put;
	}
	cmd->out_iotlb_hits = 0;
	while (done < cmd->length) {
		unsigned long iova = cmd->iova + done;
		size_t len = min_t(u64, cmd->length - done,
				   PAGE_SIZE - offset_in_page(iova));
		bool hit;

		if (write && copy_from_user(buf, data + done, len)) {
			rc = -EFAULT;
			break;
		}
		if (fault_flags) {
			for (;;) {
				rc = mock_dev_dma_fault(dev_obj->mdev, &pri,
							has_pasid, cmd->pasid,
							iova, buf, len, access,
							&fault, &hit);
				if (rc != 1)
					break;
				/* A response Success: walk the page again. */
				fault = (struct mock_fault){};
			}
		} else {
			rc = mock_dev_dma(dev_obj->mdev, has_pasid, cmd->pasid,
					  iova, buf, len, access, &fault, &hit,
					  &refused);
		}
		if (rc)
			break;
		cmd->out_iotlb_hits += hit;
		if (!write && copy_to_user(data + done, buf, len)) {
			rc = -EFAULT;
			break;
		}
		done += len;
		cond_resched();
	}
	kfree(buf);
	cmd->out_done = done;
	cmd->out_fault_stage = fault.stage;
	cmd->out_fault_reason = fault.reason;
	cmd->out_fault_level = fault.level;
	cmd->out_fault_flags = fault.flags;
	cmd->out_fault_addr = fault.addr;
	cmd->out_page_requests = pri.nr_requests;
	cmd->out_response_code = pri.response_code;
	cmd->out_grpid = pri.grpid;
	/* The count and the fault are reported with a failed translation. */
	if (!rc || rc == -ENXIO || rc == -EACCES || rc == -EAGAIN ||
	    rc == -ETIMEDOUT) {
		int rc2 = ioasid_ucmd_respond(ucmd, sizeof(*cmd));

		rc = rc ?: rc2;
	}
out_put:
	ioasid_put_object(&dev_obj->obj);
	return rc;
}

/*
 * Groups an inject raises under one hold of the device's iopf_lock, so that
 * an attach waits for little.
 */
#define MOCK_IOPF_INJECT_BATCH	64

/**
 * ioasid_test_iopf_inject() - IOASID_TEST_IOPF_INJECT
 * @ucmd: The command, &struct ioasid_test_iopf_inject
 *
 * Raises the groups a few dozen at a time under the device's iopf_lock,
 * all waited for by one &struct mock_iopf_waiter.  See ioasid_test.h.
 *
 * Return: 0 or an errno of the uAPI documentation.
 */
int ioasid_test_iopf_inject(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_iopf_inject *cmd = ucmd->cmd;
	bool has_pasid = cmd->flags & IOASID_TEST_IOPF_PASID;
	bool wait = cmd->flags & IOASID_TEST_IOPF_WAIT;
	u64 addr = ALIGN_DOWN(cmd->addr, MOCK_PAGE_SIZE);
	struct ioasid_mock_dev *dev_obj;
	struct mock_iopf_waiter w;
	u32 nr_groups, raised = 0, first = 0;
	struct mock_dev *mdev;
	u64 start;
	int rc = 0;

	if (cmd->flags & ~(IOASID_TEST_IOPF_PASID | IOASID_TEST_IOPF_WAIT))
		return -EOPNOTSUPP;
	if (!cmd->count || cmd->count > IOASID_TEST_IOPF_MAX ||
	    !cmd->group_size || cmd->group_size > cmd->count)
		return -EINVAL;
	if (wait && (!cmd->timeout_ms || cmd->timeout_ms > MOCK_TIMEOUT_MS_MAX))
		return -EINVAL;
	if ((cmd->pasid && !has_pasid) ||
	    (has_pasid && (!cmd->pasid || cmd->pasid > IOASID_PASID_MAX)))
		return -EINVAL;
	/*
	 * PCIe PRI: a request asks for read or write (neither is a Stop
	 * Marker, which IOMMU drivers drop); execute goes with read, and
	 * execute and privileged travel in the PASID prefix.
	 */
	if (cmd->perm & ~(IOASID_FAULT_PERM_READ | IOASID_FAULT_PERM_WRITE |
			  IOASID_FAULT_PERM_EXEC | IOASID_FAULT_PERM_PRIV) ||
	    !(cmd->perm & (IOASID_FAULT_PERM_READ | IOASID_FAULT_PERM_WRITE)) ||
	    ((cmd->perm & IOASID_FAULT_PERM_EXEC) &&
	     !(cmd->perm & IOASID_FAULT_PERM_READ)) ||
	    (!has_pasid && (cmd->perm & (IOASID_FAULT_PERM_EXEC |
					 IOASID_FAULT_PERM_PRIV))))
		return -EINVAL;

	dev_obj = ioasid_get_mock_dev(ucmd, cmd->dev_id);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	mdev = dev_obj->mdev;
	if (!mdev->pri) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	if (has_pasid && (!mdev->dev.iommu ||
			  cmd->pasid >= mdev->dev.iommu->max_pasids)) {
		rc = -EINVAL;
		goto out_put;
	}

	nr_groups = DIV_ROUND_UP(cmd->count, cmd->group_size);
	mock_iopf_waiter_add(mdev, &w, nr_groups);
	start = ktime_get_ns();
	while (raised < nr_groups) {
		u32 batch = min(nr_groups - raised, MOCK_IOPF_INJECT_BATCH);

		mutex_lock(&mdev->iopf_lock);
		for (; batch; batch--, raised++) {
			u32 i = raised * cmd->group_size, grpid;

			rc = mock_iopf_raise(mdev, has_pasid, cmd->pasid,
					     cmd->perm,
					     addr + (u64)i * MOCK_PAGE_SIZE,
					     min(cmd->group_size,
						 cmd->count - i), &w, &grpid);
			if (rc)
				break;
			if (!raised)
				first = grpid;
		}
		mutex_unlock(&mdev->iopf_lock);
		if (!rc && fatal_signal_pending(current))
			rc = -EINTR;
		if (rc)
			break;
		cond_resched();
	}

	if (!rc && wait)
		rc = mock_iopf_wait(mdev, &w,
				    msecs_to_jiffies(cmd->timeout_ms));
	else
		mock_iopf_waiter_del(mdev, &w);
	if (rc && rc != -ETIMEDOUT)
		goto out_put;
	cmd->out_first_grpid = first;
	cmd->out_answered = w.answered;
	cmd->out_ns = wait && w.answered ? w.last_ns - start : 0;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd)) ?: rc;
out_put:
	ioasid_put_object(&dev_obj->obj);
	return rc;
}

/**
 * ioasid_test_iopf_stats() - IOASID_TEST_IOPF_STATS
 * @ucmd: The command, &struct ioasid_test_iopf_stats
 *
 * Return: 0, -ENOENT or -EFAULT.
 */
int ioasid_test_iopf_stats(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_iopf_stats *cmd = ucmd->cmd;
	struct ioasid_mock_dev *dev_obj;
	struct mock_iopf *iopf;
	int rc;

	dev_obj = ioasid_get_mock_dev(ucmd, cmd->dev_id);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	iopf = &dev_obj->mdev->iopf;
	xa_lock(&iopf->groups);
	cmd->out_raised = iopf->raised;
	cmd->out_pending = iopf->pending;
	cmd->out_success = iopf->success;
	cmd->out_invalid = iopf->invalid;
	cmd->out_failure = iopf->failure;
	cmd->out_events = iopf->events;
	xa_unlock(&iopf->groups);
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	ioasid_put_object(&dev_obj->obj);
	return rc;
}

/*
 * The kernel-driver role: a buffer mapped with the DMA API must be what the
 * device reaches with its kernel PASID.  The identity domain translates
 * nothing, so the device's address is the DMA address the API returned.
 */
static int mock_kernel_pasid_dma(struct mock_dev *mdev, ioasid_t pasid)
{
	const size_t len = 256;
	u8 *cpu, *dev_buf = NULL;
	dma_addr_t dma;
	void *entry;
	int rc = 0;
	size_t i;

	cpu = kmalloc(len, GFP_KERNEL_ACCOUNT);
	dev_buf = kmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!cpu || !dev_buf) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < len; i++)
		cpu[i] = i ^ pasid;
	dma = dma_map_single(&mdev->dev, cpu, len, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(&mdev->dev, dma)) {
		rc = -ENOMEM;
		goto out_free;
	}
	xa_lock(&mdev->pasids);
	entry = xa_load(&mdev->pasids, pasid);
	if (entry == MOCK_IDENTITY && pfn_valid(PHYS_PFN(dma))) {
		/* The device reads the buffer and writes it back inverted. */
		memcpy(dev_buf, phys_to_virt(dma), len);
		for (i = 0; i < len; i++)
			dev_buf[i] = ~dev_buf[i];
		memcpy(phys_to_virt(dma), dev_buf, len);
	} else {
		rc = -EIO;
	}
	xa_unlock(&mdev->pasids);
	dma_unmap_single(&mdev->dev, dma, len, DMA_BIDIRECTIONAL);
	for (i = 0; !rc && i < len; i++)
		if (cpu[i] != (u8)~(i ^ pasid))
			rc = -EIO;
out_free:
	kfree(dev_buf);
	kfree(cpu);
	return rc;
}

int ioasid_test_kernel_pasid(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_kernel_pasid *cmd = ucmd->cmd;
	struct ioasid_mock_dev *dev_obj;
	ioasid_t pasid;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->op > IOASID_TEST_KERNEL_PASID_FREE)
		return -EINVAL;

	dev_obj = ioasid_get_mock_dev(ucmd, cmd->dev_id);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	/* Binding takes the lock too: the device has one owner at a time. */
	mutex_lock(&dev_obj->lock);
	if (cmd->op == IOASID_TEST_KERNEL_PASID_ALLOC) {
		/* No kernel driver to play. */
		if (!dev_obj->mdev->kernel_dma) {
			rc = -EOPNOTSUPP;
			goto out_unlock;
		}
		if (dev_obj->idev ||
		    dev_obj->kernel_pasid != IOMMU_PASID_INVALID) {
			rc = -EBUSY;
			goto out_unlock;
		}
		rc = ioasid_kernel_pasid_alloc(&dev_obj->mdev->dev, &pasid);
		if (rc)
			goto out_unlock;
		cmd->pasid = pasid;
		rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
		if (rc)
			ioasid_kernel_pasid_free(&dev_obj->mdev->dev, pasid);
		else
			dev_obj->kernel_pasid = pasid;
		goto out_unlock;
	}
	if (dev_obj->kernel_pasid == IOMMU_PASID_INVALID ||
	    dev_obj->kernel_pasid != cmd->pasid) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if (cmd->op == IOASID_TEST_KERNEL_PASID_DMA) {
		rc = mock_kernel_pasid_dma(dev_obj->mdev, cmd->pasid);
	} else {
		ioasid_kernel_pasid_free(&dev_obj->mdev->dev, cmd->pasid);
		dev_obj->kernel_pasid = IOMMU_PASID_INVALID;
	}
out_unlock:
	mutex_unlock(&dev_obj->lock);
	ioasid_put_object(&dev_obj->obj);
	return rc;
}

static struct dentry *ioasid_debugfs;
static u32 ioasid_delay_mask;
static u32 ioasid_delay_us;

/**
 * ioasid_test_delay() - Sleep at a named point if a test asked for it
 * @point: The point reached
 *
 * See &enum ioasid_test_delay_point.  Only for widening race windows in
 * tests; the caller may hold mutexes, never a spinlock.
 */
void ioasid_test_delay(enum ioasid_test_delay_point point)
{
	might_sleep();
	if (READ_ONCE(ioasid_delay_mask) & BIT(point))
		fsleep(min_t(u32, READ_ONCE(ioasid_delay_us), USEC_PER_SEC));
}

int __init ioasid_test_init(void)
{
	int rc;

	ioasid_debugfs = debugfs_create_dir("ioasid", NULL);
	debugfs_create_u32("delay_mask", 0600, ioasid_debugfs,
			   &ioasid_delay_mask);
	debugfs_create_u32("delay_us", 0600, ioasid_debugfs, &ioasid_delay_us);

	fwnode_init(&mock_fwnode, &mock_fwnode_ops);
	mock_iommu.fwnode = &mock_fwnode;
	mock_iommu.max_pasids = 1U << IOASID_TEST_MOCK_PASID_BITS;

	/* Where the page requests of the PRI-capable mock devices go. */
	mock_iopf_queue = iopf_queue_alloc("ioasid_mock");
	if (!mock_iopf_queue) {
		rc = -ENOMEM;
		goto err_debugfs;
	}

	mock_iommu_parent = root_device_register("ioasid_mock_iommu");
	if (IS_ERR(mock_iommu_parent)) {
		rc = PTR_ERR(mock_iommu_parent);
		goto err_iopf;
	}

	rc = bus_register(&mock_bus);
	if (rc)
		goto err_parent;

	rc = iommu_device_sysfs_add(&mock_iommu, mock_iommu_parent, NULL,
				    "ioasid_mock");
	if (rc)
		goto err_bus;

	rc = iommu_device_register_bus(&mock_iommu, &mock_ops, &mock_bus,
				       &mock_bus_nb);
	if (rc)
		goto err_sysfs;

	rc = mock_vdpa_init();
	if (rc)
		goto err_iommu;
	return 0;

err_iommu:
	iommu_device_unregister_bus(&mock_iommu, &mock_bus, &mock_bus_nb);
err_sysfs:
	iommu_device_sysfs_remove(&mock_iommu);
err_bus:
	bus_unregister(&mock_bus);
err_parent:
	root_device_unregister(mock_iommu_parent);
err_iopf:
	iopf_queue_free(mock_iopf_queue);
	mock_iopf_queue = NULL;
err_debugfs:
	debugfs_remove_recursive(ioasid_debugfs);
	return rc;
}

void ioasid_test_exit(void)
{
	mock_vdpa_exit();
	iommu_device_unregister_bus(&mock_iommu, &mock_bus, &mock_bus_nb);
	iommu_device_sysfs_remove(&mock_iommu);
	bus_unregister(&mock_bus);
	root_device_unregister(mock_iommu_parent);
	iopf_queue_free(mock_iopf_queue);
	mock_iopf_queue = NULL;
	debugfs_remove_recursive(ioasid_debugfs);
}
