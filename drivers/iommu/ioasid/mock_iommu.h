/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The software IOMMU model of the test driver: what its files share.
 *
 * selftest.c is the test IOMMU driver; selftest_nested.c its nested
 * domains, their IOTLB and the translation of a DMA through two stages;
 * selftest_vtd.c and selftest_smmuv3.c each model one hardware format of
 * stage 1, as a small specification of it: how the IOMMU validates what a
 * guest programs, walks its tables and reads its invalidations.
 *
 * A format file never sees the stage 2: it reads and updates the guest's
 * tables through mock_s1_read64() and mock_s1_update64(), which translate
 * the stage-1 table address through the parent domain's IOPTEs and report
 * a stage-2 fault as the hardware would.
 */
#ifndef __IOASID_MOCK_IOMMU_H
#define __IOASID_MOCK_IOMMU_H

#include <linux/bitfield.h>
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "ioasid_test.h"

struct mock_domain;

/**
 * enum mock_access - What a DMA asks, and what a stage-1 leaf grants
 * @MOCK_ACC_READ: Read (always part of an execute request)
 * @MOCK_ACC_WRITE: Write
 * @MOCK_ACC_EXEC: Instruction fetch
 * @MOCK_ACC_PRIV: Privileged (supervisor) request; in a grant, the leaf
 *                 is reachable by privileged requests only
 */
enum mock_access {
	MOCK_ACC_READ = 1 << 0,
	MOCK_ACC_WRITE = 1 << 1,
	MOCK_ACC_EXEC = 1 << 2,
	MOCK_ACC_PRIV = 1 << 3,
};

/**
 * struct mock_fault - A refused translation, as IOASID_TEST_MOCK_DMA reports
 * @stage: 1 or 2
 * @reason: &enum ioasid_test_fault_reason
 * @level: Level of the walk in the format's numbering, 0 outside a walk
 * @flags: &enum ioasid_test_fault_flags
 * @addr: Input address of @stage
 */
struct mock_fault {
	u32 stage;
	u32 reason;
	u32 level;
	u32 flags;
	u64 addr;
};

/**
 * struct mock_walk - One stage-1 translation by the model
 * @s2: Stage 2 the tables are read through (opaque to the format files)
 * @iova: In, the input address of the DMA
 * @pasid: In, the PASID (VT-d) or substream ID (SMMUv3) of the DMA, or
 *         %IOMMU_NO_PASID for none
 * @access: In, &enum mock_access the DMA asks
 * @oa: Out, the stage-1 output address of @iova itself (a stage-2 input)
 * @leaf_size: Out, bytes the leaf maps (4 KiB, 2 MiB or 1 GiB)
 * @tag: Out, what the IOTLB tags the translation with: the ASID (SMMUv3),
 *       the PASID (VT-d)
 * @fault: Out, why the translation failed
 */
struct mock_walk {
	struct mock_domain *s2;
	u64 iova;
	u32 pasid;
	u32 access;
	u64 oa;
	u64 leaf_size;
	u32 tag;
	struct mock_fault fault;
};

/*
 * Fill @w->fault and return the errno IOASID_TEST_MOCK_DMA reports for it:
 * -EACCES for a permission fault, -ENXIO for any other.
 */
static inline int mock_walk_fault(struct mock_walk *w, u32 stage, u32 reason,
				  u32 level, u32 flags, u64 addr)
{
	w->fault = (struct mock_fault){ .stage = stage, .reason = reason,
					.level = level, .flags = flags,
					.addr = addr };
	return reason == IOASID_TEST_FAULT_PERMISSION ? -EACCES : -ENXIO;
}

/**
 * mock_s1_read64() - Fetch a 64-bit stage-1 table entry through stage 2
 * @w: The walk, for its stage 2; its fault is filled on failure
 * @addr: Stage-2 input address of the entry, 8-byte aligned
 * @level: Level of the walk fetching it, for the fault report
 * @val: Out, the entry, in CPU order (the formats are little endian)
 *
 * Return: 0, or the errno of a stage-2 fault (flagged
 * %IOASID_TEST_FAULT_TABLE_FETCH).
 */
int mock_s1_read64(struct mock_walk *w, u64 addr, u32 level, u64 *val);

/**
 * mock_s1_update64() - Update a stage-1 entry atomically, as a walk that
 *                      sets accessed or dirty bits does
 * @w: The walk; its fault is filled on failure
 * @addr: Stage-2 input address of the entry, 8-byte aligned
 * @level: Level of the walk, for the fault report
 * @old: The value the walk read
 * @new: The value to store
 *
 * The write goes through stage 2 and needs its write permission.  A
 * compare-and-exchange: the entry is written only if it still holds @old.
 *
 * Return: 0 when stored; -EAGAIN when the entry changed since it was read
 * (the caller walks again from that entry); or the errno of a stage-2
 * fault.
 */
int mock_s1_update64(struct mock_walk *w, u64 addr, u32 level, u64 old,
		     u64 new);

/**
 * enum mock_inv_kind - What one invalidation entry drops from the caches
 * @MOCK_INV_NONE: Nothing (a command with no effect on this model)
 * @MOCK_INV_ALL: Every translation of the domain
 * @MOCK_INV_TAG: Every translation tagged @tag
 * @MOCK_INV_RANGE: Translations tagged @tag of [@first, @last]
 * @MOCK_INV_RANGE_ALL_TAGS: Translations of [@first, @last], any tag
 * @MOCK_INV_CFG: The cached configuration of substream @tag (SMMUv3 CD)
 * @MOCK_INV_CFG_ALL: Every cached configuration
 */
enum mock_inv_kind {
	MOCK_INV_NONE,
	MOCK_INV_ALL,
	MOCK_INV_TAG,
	MOCK_INV_RANGE,
	MOCK_INV_RANGE_ALL_TAGS,
	MOCK_INV_CFG,
	MOCK_INV_CFG_ALL,
};

/**
 * struct mock_inv - One invalidation, decoded from the user's entry
 * @kind: &enum mock_inv_kind
 * @tag: ASID, PASID or substream, per @kind
 * @first: First input address, per @kind
 * @last: Last input address, inclusive
 * @leaf: Only leaf entries changed
 */
struct mock_inv {
	u32 kind;
	u32 tag;
	u64 first;
	u64 last;
	bool leaf;
};

/* VT-d first stage: selftest_vtd.c */

/**
 * struct mock_vtd_s1 - The stage-1 part of a scalable-mode PASID entry
 * @flags: &enum ioasid_hwpt_vtd_s1_flags
 * @pgtbl: First-stage table pointer (FSPTPTR), a stage-2 address
 * @levels: 4 or 5 (FSPM)
 */
struct mock_vtd_s1 {
	u64 flags;
	u64 pgtbl;
	u32 levels;
};

int mock_vtd_s1_init(struct mock_vtd_s1 *s1,
		     const struct iommu_user_data *user_data);
int mock_vtd_s1_walk(const struct mock_vtd_s1 *s1, struct mock_walk *w);
int mock_vtd_inv_decode(const struct iommu_user_data_array *array, u32 index,
			struct mock_inv *inv);
void mock_vtd_hw_info(struct ioasid_hw_info_vtd *info, u32 pasid_bits,
		      bool pri);

/* SMMUv3 stage 1: selftest_smmuv3.c */

/* Context descriptors a nested SMMUv3 domain caches (CFGI_CD drops them). */
#define MOCK_SMMUV3_CD_CACHE	8

/**
 * struct mock_smmuv3_cd - A context descriptor as the SMMU caches it
 * @valid: The slot holds a CD
 * @ssid: Its substream ID
 * @cd: Its first four 64-bit words, in CPU order
 */
struct mock_smmuv3_cd {
	bool valid;
	u32 ssid;
	u64 cd[4];
};

/**
 * struct mock_smmuv3_s1 - The stage-1 part of a guest's STE, and its CD cache
 * @ste: STE words 0 and 1, in CPU order, validated
 * @cd_cache: Context descriptors fetched and not yet invalidated; the
 *            caller of mock_smmuv3_s1_walk() serialises access to it
 */
struct mock_smmuv3_s1 {
	u64 ste[2];
	struct mock_smmuv3_cd cd_cache[MOCK_SMMUV3_CD_CACHE];
};

int mock_smmuv3_s1_init(struct mock_smmuv3_s1 *s1,
			const struct iommu_user_data *user_data);
int mock_smmuv3_s1_walk(struct mock_smmuv3_s1 *s1, struct mock_walk *w);
int mock_smmuv3_inv_decode(const struct iommu_user_data_array *array,
			   u32 index, struct mock_inv *inv);
void mock_smmuv3_cd_invalidate(struct mock_smmuv3_s1 *s1,
			       const struct mock_inv *inv);
void mock_smmuv3_hw_info(struct ioasid_hw_info_arm_smmuv3 *info,
			 u32 pasid_bits, bool pri);

/* The test IOMMU driver: selftest.c and selftest_nested.c */

#define MOCK_PAGE_SHIFT		12
#define MOCK_PAGE_SIZE		BIT(MOCK_PAGE_SHIFT)
#define MOCK_PGSIZE_BITMAP	(SZ_4K | SZ_2M | SZ_1G)
#define MOCK_APERTURE_LAST	(BIT_ULL(48) - 1)
#define MOCK_PADDR_BITS		52

/*
 * A mock IOPTE is an xarray value entry stored at the index of the first
 * IOVA page it translates: the output page frame, log2 of its size above
 * the base page, and its &enum ioasid_test_prot bits (read, write, cache
 * coherent).
 */
#define MOCK_IOPTE_PROT		GENMASK(2, 0)
#define MOCK_IOPTE_ORDER	GENMASK(7, 3)
#define MOCK_IOPTE_PFN_SHIFT	8

/*
 * Bound on the IOPTEs of one mock domain, 2 GiB of base pages, so that no
 * map can make the record grow without limit: a map beyond it fails with
 * ENOSPC.
 */
#define MOCK_MAX_IOPTES		SZ_512K

/**
 * struct mock_domain - A paging domain of the test IOMMU driver
 * @domain: The IOMMU core's domain
 * @ioptes: IOVA page index -> IOPTE, at the first page of each IOPTE.  Its
 *          xa_lock serialises changes, so the IOMMU core may call map and
 *          unmap concurrently on disjoint ranges.
 * @nr_large: IOPTEs larger than a base page, under the xa_lock: while there
 *            are none, a base page cannot overlap one
 * @nr_ioptes: IOPTEs present, under the xa_lock, at most %MOCK_MAX_IOPTES
 * @serial: Number of the domain, unique for the life of the kernel
 * @other_iommu: Belongs to the other instance of the test IOMMU
 * @nr_devs: Devices attached, so that freeing an attached domain is caught
 * @enforce_cc: Every IOPTE must snoop the CPU caches (IOMMU_CACHE)
 * @flavour: &enum mock_flavour of the IOMMU it belongs to
 * @nest_parent: May be the stage 2 of nested domains
 * @nr_nested: Nested domains on it, so that freeing a parent is caught
 * @s2_gen: Changed, under the xa_lock, by every unmap: the IOTLB entries of
 *          its nested domains made before are stale, as the driver flushes
 *          the nested domains' caches with a stage-2 unmap
 */
struct mock_domain {
	struct iommu_domain domain;
	struct xarray ioptes;
	unsigned long nr_large;
	unsigned long nr_ioptes;
	u64 serial;
	bool other_iommu;
	atomic_t nr_devs;
	bool enforce_cc;
	u32 flavour;
	bool nest_parent;
	atomic_t nr_nested;
	u64 s2_gen;
};

/*
 * PCIe PRI (PCIe r6.0, 10.4.1 "Page Request Message"): the Page Request
 * Group Index is 9 bits wide; the device reuses the indices in turn.
 */
#define MOCK_PRI_GRPID_MASK	GENMASK(8, 0)

/**
 * struct mock_iopf - The page requests of one mock device, and their answers
 * @groups: Sequence number -> xa_mk_value(id of the waiter, or 0) of every
 *          group raised and not answered yet.  The sequence number travels
 *          in the request's private data (as VT-d's page request
 *          descriptors carry theirs), so that each answer finds its group
 *          even when more than 512 are outstanding and group indices
 *          repeat.  Its xa_lock protects everything below.
 * @waiters: &struct mock_iopf_waiter of the calls waiting for answers
 * @next_seq: Sequence number of the next group
 * @next_waiter: Id of the next waiter, from 1
 * @raised: Groups raised
 * @pending: Groups not answered yet
 * @success: Groups answered %IOMMU_PAGE_RESP_SUCCESS
 * @invalid: Groups answered %IOMMU_PAGE_RESP_INVALID
 * @failure: Groups answered %IOMMU_PAGE_RESP_FAILURE
 * @events: Unrecoverable faults reported through report_iommu_fault()
 */
struct mock_iopf {
	struct xarray groups;
	struct list_head waiters;
	unsigned long next_seq;
	u64 next_waiter;
	u32 raised;
	u32 pending;
	u32 success;
	u32 invalid;
	u32 failure;
	u32 events;
};

/**
 * struct mock_dev - A device on the mock bus
 * @dev: The device
 * @index: Number in the device name, mock<index>
 * @other_iommu: Behind the other instance of the test IOMMU: it accepts
 *               only that instance's domains
 * @sw_msi: Has a software MSI window
 * @no_enforce_cc: Its IOMMU cannot enforce cache coherency
 * @no_iommu: In an IOMMU group no IOMMU translates
 * @kernel_dma: It has a kernel driver that uses the DMA API: the test
 *              driver plays it (%IOASID_TEST_KERNEL_PASID)
 * @pasid_bits: PASID width its firmware node reports, or 0
 * @pri: Its firmware node says that it can raise page requests
 * @fwnode: Its firmware node, with the properties the IOMMU core reads
 * @group_with: Device whose IOMMU group it joins, referenced, or NULL
 * @flavour: &enum mock_flavour of the IOMMU it sits behind
 * @lock: Protects @domain, @nested and @identity
 * @domain: Paging domain the RID is attached to, or NULL
 * @nested: Nested domain the RID is attached to, or NULL
 * @identity: The RID is attached to the identity domain
 * @pasids: PASID -> &struct iommu_domain (paging or nested), or
 *          %MOCK_IDENTITY, as the IOMMU core set them with set_dev_pasid;
 *          its xa_lock is held while a mock DMA translates through a
 *          PASID's domain, which the core frees only after removing it
 *          from the PASID
 * @iopf_lock: Serialises raising page requests and unrecoverable fault
 *             reports with every change of what the RID and the PASIDs
 *             are attached to, and with enabling and disabling
 *             %IOMMU_DEV_FEAT_IOPF: once an attach, set_dev_pasid or
 *             remove_dev_pasid returns, no report made through the old
 *             domain is in flight (as VT-d drains its page request queue)
 * @iopf_enabled: In the mock IOMMU's iopf_queue, under @iopf_lock
 * @iopf_grpid: Page request group index of the next group, under
 *              @iopf_lock
 * @iopf: What became of the device's page requests
 */
struct mock_dev {
	struct device dev;
	unsigned int index;
	bool other_iommu;
	bool sw_msi;
	bool no_enforce_cc;
	bool no_iommu;
	bool kernel_dma;
	u32 pasid_bits;
	bool pri;
	struct fwnode_handle fwnode;
	struct mock_dev *group_with;
	u32 flavour;
	spinlock_t lock; /* protects @domain, @nested and @identity */
	struct mock_domain *domain;
	struct mock_nested *nested;
	bool identity;
	struct xarray pasids;
	struct mutex iopf_lock; /* see above */
	bool iopf_enabled;
	u32 iopf_grpid;
	struct mock_iopf iopf;
};

/* The identity domain in &struct mock_dev.pasids. */
#define MOCK_IDENTITY xa_mk_value(0)

static inline struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static inline void *mock_iopte_mk(phys_addr_t paddr, size_t pgsize, int prot)
{
	unsigned long val;

	val = FIELD_PREP(MOCK_IOPTE_ORDER, ilog2(pgsize) - MOCK_PAGE_SHIFT);
	if (prot & IOMMU_READ)
		val |= FIELD_PREP(MOCK_IOPTE_PROT, IOASID_TEST_PROT_READ);
	if (prot & IOMMU_WRITE)
		val |= FIELD_PREP(MOCK_IOPTE_PROT, IOASID_TEST_PROT_WRITE);
	if (prot & IOMMU_CACHE)
		val |= FIELD_PREP(MOCK_IOPTE_PROT, IOASID_TEST_PROT_CACHE);
	val |= (unsigned long)(paddr >> MOCK_PAGE_SHIFT) << MOCK_IOPTE_PFN_SHIFT;
	return xa_mk_value(val);
}

static inline size_t mock_iopte_size(void *iopte)
{
	return 1UL << (FIELD_GET(MOCK_IOPTE_ORDER, xa_to_value(iopte)) +
		       MOCK_PAGE_SHIFT);
}

static inline phys_addr_t mock_iopte_paddr(void *iopte)
{
	return (phys_addr_t)(xa_to_value(iopte) >> MOCK_IOPTE_PFN_SHIFT)
	       << MOCK_PAGE_SHIFT;
}

static inline u32 mock_iopte_prot(void *iopte)
{
	return FIELD_GET(MOCK_IOPTE_PROT, xa_to_value(iopte));
}

/*
 * Find the IOPTE that translates @iova.  IOPTEs are naturally aligned, so
 * it starts at @iova rounded down to one of the supported page sizes.
 */
static inline void *mock_iopte_find(struct mock_domain *mock,
				    unsigned long iova, unsigned long *start)
{
	unsigned long pgsize_bitmap = mock->domain.pgsize_bitmap;
	unsigned int bit;

	lockdep_assert_held(&mock->ioptes.xa_lock);
	for_each_set_bit(bit, &pgsize_bitmap, BITS_PER_LONG) {
		unsigned long head = iova & ~((1UL << bit) - 1);
		void *iopte = xa_load(&mock->ioptes, head >> MOCK_PAGE_SHIFT);

		if (iopte && head + mock_iopte_size(iopte) > iova) {
			*start = head;
			return iopte;
		}
	}
	return NULL;
}

/**
 * enum mock_flavour - Which IOMMU a mock device sits behind
 * @MOCK_GENERIC: The plain test IOMMU: paging domains only
 * @MOCK_VTD: The mock VT-d: VT-d hardware information, nested domains with
 *            a first-stage table (%IOASID_HWPT_DATA_VTD_S1)
 * @MOCK_SMMUV3: The mock SMMUv3: SMMUv3 hardware information, nested
 *               domains with a guest STE (%IOASID_HWPT_DATA_ARM_SMMUV3)
 */
enum mock_flavour {
	MOCK_GENERIC,
	MOCK_VTD,
	MOCK_SMMUV3,
};

/**
 * struct mock_iotlb_entry - One cached translation of a nested domain
 * @valid: The slot holds a translation
 * @key: PASID (VT-d) or substream (SMMUv3) of the DMA that made it,
 *       %IOMMU_NO_PASID for none
 * @priv: Made by a privileged request: it serves those alone
 * @tag: What invalidations match: the PASID (VT-d), the ASID (SMMUv3)
 * @iova_pfn: Input page it translates
 * @leaf_first: First input address of the stage-1 leaf it came from
 * @leaf_last: Last input address of that leaf
 * @s2_gen: &struct mock_domain.s2_gen of the parent when it was made
 * @access: &enum mock_access its walks proved allowed, for the same
 *          translation; a request for more walks again, as a CPU
 *          re-walks before it reports a fault (Intel SDM Vol. 3, 4.10.4.3
 *          "Optional Invalidation")
 * @oa: Stage-1 output of the page
 * @hpa: Host physical address of the page
 */
struct mock_iotlb_entry {
	bool valid;
	u32 key;
	bool priv;
	u32 tag;
	u64 iova_pfn;
	u64 leaf_first;
	u64 leaf_last;
	u64 s2_gen;
	u32 access;
	u64 oa;
	phys_addr_t hpa;
};

/**
 * struct mock_nested - A nested domain of the mock VT-d or SMMUv3
 * @domain: The IOMMU core's domain, %IOMMU_DOMAIN_NESTED
 * @parent: Its stage 2, a nesting parent of the same IOMMU; the HWPT above
 *          holds the parent's HWPT, which keeps it
 * @flavour: %MOCK_VTD or %MOCK_SMMUV3
 * @nr_devs: RIDs and PASIDs attached, so that freeing an attached domain
 *           is caught
 * @lock: Serialises walks, which fill @iotlb and the SMMUv3 CD cache, with
 *        invalidations
 * @vtd: The VT-d first-stage configuration
 * @smmu: The SMMUv3 STE and its CD cache
 * @iotlb: The IOTLB, direct mapped
 */
struct mock_nested {
	struct iommu_domain domain;
	struct mock_domain *parent;
	u32 flavour;
	atomic_t nr_devs;
	spinlock_t lock; /* protects @iotlb and @smmu.cd_cache */
	union {
		struct mock_vtd_s1 vtd;
		struct mock_smmuv3_s1 smmu;
	};
	struct mock_iotlb_entry iotlb[IOASID_TEST_IOTLB_ENTRIES];
};

static inline struct mock_nested *to_mock_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_nested, domain);
}

static inline struct mock_dev *to_mock_dev(struct device *dev)
{
	return container_of(dev, struct mock_dev, dev);
}

bool mock_domain_is_paging(struct iommu_domain *domain);
void mock_dev_set_rid(struct device *dev, struct iommu_domain *domain,
		      bool identity);
int mock_set_dev_pasid(struct device *dev, ioasid_t pasid, void *entry);
struct mock_dev *mock_dev_create(u32 flags, u32 pasid_bits,
				 struct mock_dev *group_with);
int mock_dev_dma(struct mock_dev *mdev, bool has_pasid, ioasid_t pasid,
		 unsigned long iova, void *buf, size_t len, u32 access,
		 struct mock_fault *fault, bool *hit,
		 struct iommu_domain **refused);

#ifdef CONFIG_IOASID_TEST_VDPA
int mock_vdpa_init(void);
void mock_vdpa_exit(void);
#else
static inline int mock_vdpa_init(void)
{
	return 0;
}

static inline void mock_vdpa_exit(void)
{
}
#endif

struct iommu_domain *mock_nested_alloc(struct device *dev,
				       struct iommu_domain *parent, u32 flags,
				       const struct iommu_user_data *user_data);
int mock_nested_dma_page(struct mock_nested *nested, u32 pasid, u64 iova,
			 u32 access, void *buf, size_t len,
			 struct mock_fault *fault, bool *hit);

#endif /* __IOASID_MOCK_IOMMU_H */
