// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mock VT-d: first-stage translation of the Intel VT-d Architecture
 * Specification, as the test IOMMU driver walks a guest's tables.
 *
 * A nested HWPT of %IOASID_HWPT_DATA_VTD_S1 stands for the first-stage half
 * of a scalable-mode PASID table entry (VT-d spec 9.6 "Scalable-Mode PASID
 * Table Entry"): the first-stage table pointer (FSPTPTR), the paging mode
 * (FSPM: 4 or 5 levels) and the SRE, EAFE and WPE controls.  The table
 * itself is in guest memory, in the x86-64 paging format that VT-d calls
 * first-stage (VT-d spec 3.6 "First-Stage Translation", Intel SDM Vol. 3A
 * 4.5 "4-Level Paging and 5-Level Paging"), and every fetch goes through
 * the stage 2 (mock_s1_read64()).
 *
 * The walk, for an input address IA and a request (read, write, execute,
 * user or supervisor):
 *
 * - A supervisor (privileged) request is blocked unless SRE is set
 *   (%IOASID_TEST_FAULT_BAD_CONFIG, level 0).
 * - IA must be canonical: bits 63:47 equal with 4 levels, 63:56 with 5,
 *   else %IOASID_TEST_FAULT_ADDRESS_SIZE at the top level.
 * - Each table is 4 KiB of 512 little-endian 64-bit entries.  Level 5
 *   (PML5, 5-level only) is indexed by IA[56:48], level 4 (PML4) by
 *   IA[47:39], 3 (PDPT) by IA[38:30], 2 (PD) by IA[29:21], 1 (PT) by
 *   IA[20:12].  A PDPT entry with PS maps 1 GiB (the mock reports FS1GP), a
 *   PD entry with PS 2 MiB, a PT entry 4 KiB.
 * - Entry format (VT-d spec 9.7 "First-Stage Paging Entries")::
 *
 *     bit  0     P     present; clear: %IOASID_TEST_FAULT_NOT_PRESENT
 *     bit  1     R/W   writes allowed
 *     bit  2     U/S   user requests allowed
 *     bit  3     PWT   } memory type, ignored by the model
 *     bit  4     PCD   }
 *     bit  5     A     accessed, set by the walk
 *     bit  6     D     dirty, set by a write (leaf); ignored (non-leaf)
 *     bit  7     PS    page size (PDPT, PD); PAT (PT); reserved (PML5,
 *                      PML4)
 *     bit  8     G     global (leaf), ignored by the model
 *     bit  10    EA    extended accessed, set by the walk with EAFE
 *     bit  12    PAT   of a 1 GiB or 2 MiB leaf
 *     bits 47:12 ADDR  next table, or the page (a stage-2 address)
 *     bits 51:48       reserved: beyond the mock's host address width
 *     bits 62:52       ignored (available to software, as on the CPU)
 *     bit  63    XD    execute disable
 *
 *   Bits 29:13 of a 1 GiB leaf and 20:13 of a 2 MiB leaf are reserved.  A
 *   present entry with a reserved bit set faults with
 *   %IOASID_TEST_FAULT_RESERVED at its level.
 * - Access rights (VT-d spec 3.6.1 "Access Rights", as Intel SDM Vol. 3A
 *   4.6 "Access Rights"), checked once the leaf is found, faulting with
 *   %IOASID_TEST_FAULT_PERMISSION at the leaf's level: a user request
 *   needs U/S in every entry of the walk, and R/W in every entry to write;
 *   a supervisor request may read anything, and needs R/W in every entry
 *   to write only with WPE; an execute request needs XD clear in every
 *   entry.
 * - Accessed flags (VT-d spec 3.6.2 "Accessed, Extended Accessed, and Dirty
 *   Flags"): a translation that succeeds sets A (and EA with EAFE) in every
 *   entry it used, and D in the leaf for a write, each with an atomic
 *   update through the stage 2 (mock_s1_update64()).
 *
 * Invalidation (VT-d spec 6.5.2.4 "PASID-based-IOTLB Invalidate
 * Descriptor"): a range of 4 KiB pages, or everything, of every PASID the
 * HWPT is attached to.
 */
#include <linux/bitfield.h>
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/sizes.h>

#include "mock_iommu.h"

/*
 * Host address width of the mock VT-d (the HAW of an ACPI DMAR table): as
 * wide as its stage 2 translates (48 bits, MGAW).  Address bits from it
 * up to 51 are reserved in the first-stage entries and in FSPTPTR.
 */
#define MOCK_VTD_HAW		48
#define MOCK_VTD_MAX_LEVELS	5

/* First-stage paging entry (VT-d spec 9.7) */
#define MOCK_VTD_PTE_P		BIT_ULL(0)
#define MOCK_VTD_PTE_RW		BIT_ULL(1)
#define MOCK_VTD_PTE_US		BIT_ULL(2)
#define MOCK_VTD_PTE_A		BIT_ULL(5)
#define MOCK_VTD_PTE_D		BIT_ULL(6)
#define MOCK_VTD_PTE_PS		BIT_ULL(7)
#define MOCK_VTD_PTE_EA		BIT_ULL(10)
#define MOCK_VTD_PTE_XD		BIT_ULL(63)
#define MOCK_VTD_PTE_ADDR	GENMASK_ULL(MOCK_VTD_HAW - 1, 12)
/* Address bits beyond the host address width (none if HAW is 52) */
#define MOCK_VTD_PTE_RSVD_HAW	(GENMASK_ULL(51, 12) & ~MOCK_VTD_PTE_ADDR)
#define MOCK_VTD_PTE_RSVD_1G	GENMASK_ULL(29, 13)
#define MOCK_VTD_PTE_RSVD_2M	GENMASK_ULL(20, 13)

#define MOCK_VTD_S1_FLAGS \
	(IOASID_VTD_S1_SRE | IOASID_VTD_S1_EAFE | IOASID_VTD_S1_WPE)

/*
 * Walks that the guest's concurrent rewriting of an entry makes start
 * over, before the model gives up on the translation.
 */
#define MOCK_VTD_WALK_TRIES	16

/* Capability Register (VT-d spec 11.4.2) */
#define MOCK_VTD_CAP_ND		GENMASK_ULL(2, 0)
#define MOCK_VTD_CAP_SAGAW	GENMASK_ULL(12, 8)
#define MOCK_VTD_CAP_MGAW	GENMASK_ULL(21, 16)
#define MOCK_VTD_CAP_ZLR	BIT_ULL(22)
#define MOCK_VTD_CAP_FRO	GENMASK_ULL(33, 24)
#define MOCK_VTD_CAP_SSLPS	GENMASK_ULL(37, 34)
#define MOCK_VTD_CAP_PSI	BIT_ULL(39)
#define MOCK_VTD_CAP_NFR	GENMASK_ULL(47, 40)
#define MOCK_VTD_CAP_MAMV	GENMASK_ULL(53, 48)
#define MOCK_VTD_CAP_DWD	BIT_ULL(54)
#define MOCK_VTD_CAP_DRD	BIT_ULL(55)
#define MOCK_VTD_CAP_FS1GP	BIT_ULL(56)
#define MOCK_VTD_CAP_FS5LP	BIT_ULL(60)

/* Extended Capability Register (VT-d spec 11.4.3) */
#define MOCK_VTD_ECAP_C		BIT_ULL(0)
#define MOCK_VTD_ECAP_QI	BIT_ULL(1)
#define MOCK_VTD_ECAP_PT	BIT_ULL(6)
#define MOCK_VTD_ECAP_SC	BIT_ULL(7)
#define MOCK_VTD_ECAP_IRO	GENMASK_ULL(17, 8)
#define MOCK_VTD_ECAP_NEST	BIT_ULL(26)
#define MOCK_VTD_ECAP_PRS	BIT_ULL(29)
#define MOCK_VTD_ECAP_ERS	BIT_ULL(30)
#define MOCK_VTD_ECAP_SRS	BIT_ULL(31)
#define MOCK_VTD_ECAP_EAFS	BIT_ULL(34)
#define MOCK_VTD_ECAP_PSS	GENMASK_ULL(39, 35)
#define MOCK_VTD_ECAP_PASID	BIT_ULL(40)
#define MOCK_VTD_ECAP_PDS	BIT_ULL(42)
#define MOCK_VTD_ECAP_SMTS	BIT_ULL(43)
#define MOCK_VTD_ECAP_SSTS	BIT_ULL(46)
#define MOCK_VTD_ECAP_FSTS	BIT_ULL(47)
#define MOCK_VTD_ECAP_SMPWC	BIT_ULL(48)

/* SAGAW bit 2: 48-bit, 4-level second-stage tables */
#define MOCK_VTD_SAGAW_4LEVEL	BIT(2)
/* Widest PASID of PCIe (PSS is the width minus one) */
#define MOCK_VTD_PASID_BITS_MAX	20

/**
 * struct mock_vtd_path - The entries one walk used
 * @addr: Stage-2 address of the entry of each level (index = level)
 * @pte: The value read at @addr
 * @leaf: Level of the leaf, 1 to 3
 */
struct mock_vtd_path {
	u64 addr[MOCK_VTD_MAX_LEVELS + 1];
	u64 pte[MOCK_VTD_MAX_LEVELS + 1];
	u32 leaf;
};

/**
 * mock_vtd_s1_init() - Validate and take a guest's first-stage configuration
 * @s1: Out, the configuration the walks use
 * @user_data: &struct ioasid_hwpt_vtd_s1 from user space
 *
 * What a scalable-mode PASID table entry accepts (VT-d spec 9.6): flags
 * among SRE, EAFE and WPE (the mock reports SRS and EAFS, so it takes all;
 * WPE without SRE is accepted and changes nothing, only supervisor
 * requests look at it), a 4- or 5-level table (FSPM, the mock reports
 * FS5LP), and a 4 KiB aligned FSPTPTR within the host address width.  The
 * table is not read: what it holds is checked by each walk, as on the
 * hardware.
 *
 * Return: 0; -EINVAL for an unknown flag, a nonzero @__reserved, an
 * address width other than 48 or 57, or a misaligned or too wide table
 * address; or the errors of iommu_copy_struct_from_user(): -EINVAL for
 * the wrong type or a length other than the structure's, -EFAULT.
 */
int mock_vtd_s1_init(struct mock_vtd_s1 *s1,
		     const struct iommu_user_data *user_data)
{
	struct ioasid_hwpt_vtd_s1 data;
	u32 levels;
	int rc;

	rc = iommu_copy_struct_from_user(&data, user_data,
					 IOASID_HWPT_DATA_VTD_S1, __reserved);
	if (rc)
		return rc;
	if ((data.flags & ~MOCK_VTD_S1_FLAGS) || data.__reserved)
		return -EINVAL;
	switch (data.addr_width) {
	case 48:
		levels = 4;
		break;
	case 57:
		levels = 5;
		break;
	default:
		return -EINVAL;
	}
	if (data.pgtbl_addr & ~MOCK_VTD_PTE_ADDR)
		return -EINVAL;

	s1->flags = data.flags;
	s1->pgtbl = data.pgtbl_addr;
	s1->levels = levels;
	return 0;
}

/**
 * mock_vtd_shift() - Address bits below the index of a level
 * @level: 1 (PT) to 5 (PML5)
 *
 * Return: 12 for the PT, then 9 more per level: a level-@level entry
 * that is a leaf maps 1 << mock_vtd_shift(@level) bytes.
 */
static unsigned int mock_vtd_shift(u32 level)
{
	return 12 + 9 * (level - 1);
}

/**
 * mock_vtd_canonical() - Is an input address canonical for the table?
 * @iova: The input address
 * @levels: 4 or 5
 *
 * VT-d spec 3.6: first-stage translation only takes canonical addresses,
 * bits 63:N-1 all equal, with N = 48 (4-level) or 57 (5-level).
 *
 * Return: true if it is.
 */
static bool mock_vtd_canonical(u64 iova, u32 levels)
{
	unsigned int width = mock_vtd_shift(levels) + 9;

	return sign_extend64(iova, width - 1) == (s64)iova;
}

/**
 * mock_vtd_is_leaf() - Does a present entry map a page?
 * @pte: The entry
 * @level: Its level
 *
 * A PT entry always does, a PD or PDPT entry when PS is set; a PML4 or
 * PML5 entry never does (its PS is reserved, mock_vtd_reserved()).
 *
 * Return: true for a leaf.
 */
static bool mock_vtd_is_leaf(u64 pte, u32 level)
{
	if (level == 1)
		return true;
	return (level == 2 || level == 3) && (pte & MOCK_VTD_PTE_PS);
}

/**
 * mock_vtd_reserved() - Reserved bits of a present entry
 * @pte: The entry
 * @level: Its level
 *
 * VT-d spec 9.7, as Intel SDM Vol. 3A 4.5: address bits 51:HAW in every
 * entry; PS in a PML5 or PML4 entry; bits 29:13 of a 1 GiB leaf and bits
 * 20:13 of a 2 MiB leaf (bit 12 is their PAT).  Bits 62:52 are ignored,
 * and XD is always allowed: the PASID entry of the current specification
 * has no NXE control to make it reserved.
 *
 * Return: the reserved bits that are set, 0 for none.
 */
static u64 mock_vtd_reserved(u64 pte, u32 level)
{
	u64 rsvd = MOCK_VTD_PTE_RSVD_HAW;

	switch (level) {
	case 5:
	case 4:
		rsvd |= MOCK_VTD_PTE_PS;
		break;
	case 3:
		if (pte & MOCK_VTD_PTE_PS)
			rsvd |= MOCK_VTD_PTE_RSVD_1G;
		break;
	case 2:
		if (pte & MOCK_VTD_PTE_PS)
			rsvd |= MOCK_VTD_PTE_RSVD_2M;
		break;
	}
	return pte & rsvd;
}

/**
 * mock_vtd_fetch() - Read the entries that translate an address
 * @s1: The first-stage configuration
 * @w: The walk: @w->iova, canonical
 * @path: Out, the entries read, down to the leaf
 *
 * Each table address comes from the entry above (FSPTPTR for the top
 * one), each entry is read through the stage 2; the loop is bounded by
 * the levels whatever the tables hold.
 *
 * Return: 0 with @path->leaf set; or the errno of a stage-1 fault (an
 * entry not present or with reserved bits, at its level) or of a stage-2
 * fault fetching an entry, with @w->fault filled.
 */
static int mock_vtd_fetch(const struct mock_vtd_s1 *s1, struct mock_walk *w,
			  struct mock_vtd_path *path)
{
	u64 table = s1->pgtbl;
	u32 level;
	int rc;

	for (level = s1->levels; level; level--) {
		u64 index = (w->iova >> mock_vtd_shift(level)) & 511;
		u64 addr = table + index * sizeof(u64);
		u64 pte;

		rc = mock_s1_read64(w, addr, level, &pte);
		if (rc)
			return rc;
		path->addr[level] = addr;
		path->pte[level] = pte;
		if (!(pte & MOCK_VTD_PTE_P))
			return mock_walk_fault(w, 1,
					       IOASID_TEST_FAULT_NOT_PRESENT,
					       level, 0, w->iova);
		if (mock_vtd_reserved(pte, level))
			return mock_walk_fault(w, 1, IOASID_TEST_FAULT_RESERVED,
					       level, 0, w->iova);
		if (mock_vtd_is_leaf(pte, level)) {
			path->leaf = level;
			return 0;
		}
		table = pte & MOCK_VTD_PTE_ADDR;
	}
	/* Not reached: a PT entry is always a leaf. */
	return mock_walk_fault(w, 1, IOASID_TEST_FAULT_RESERVED, 1, 0, w->iova);
}

/**
 * mock_vtd_check_access() - Do the entries of a walk grant the request?
 * @s1: The first-stage configuration
 * @w: The walk: @w->access
 * @path: The entries, from the top level down to @path->leaf
 *
 * VT-d spec 3.6.1 "Access Rights", as Intel SDM Vol. 3A 4.6 "Access
 * Rights", with the rights of all the entries combined:
 *
 * - user request: U/S must be set in every entry; a write also needs R/W
 *   in every entry;
 * - supervisor request (with SRE, checked before the walk): reads are
 *   allowed; a write needs R/W in every entry only with WPE;
 * - execute request, either privilege: XD must be clear in every entry.
 *
 * The model has no supervisor-mode execute protection: the scalable-mode
 * PASID entry this configuration stands for has no SMEP control (the
 * Linux driver never asks for it), so a supervisor may fetch from a user
 * page.  Execute requests follow the specification revisions that had
 * them; later revisions removed Execute-Requested and deprecated XD.
 *
 * Return: 0, or -EACCES with a %IOASID_TEST_FAULT_PERMISSION fault at
 * the leaf's level.
 */
static int mock_vtd_check_access(const struct mock_vtd_s1 *s1,
				 struct mock_walk *w,
				 const struct mock_vtd_path *path)
{
	bool priv = w->access & MOCK_ACC_PRIV;
	u64 all = ~0ULL, any = 0;
	bool ok = true;
	u32 level;

	for (level = s1->levels; level >= path->leaf; level--) {
		all &= path->pte[level];
		any |= path->pte[level];
	}
	if (!priv && !(all & MOCK_VTD_PTE_US))
		ok = false;
	if ((w->access & MOCK_ACC_WRITE) && !(all & MOCK_VTD_PTE_RW) &&
	    (!priv || (s1->flags & IOASID_VTD_S1_WPE)))
		ok = false;
	if ((w->access & MOCK_ACC_EXEC) && (any & MOCK_VTD_PTE_XD))
		ok = false;
	if (!ok)
		return mock_walk_fault(w, 1, IOASID_TEST_FAULT_PERMISSION,
				       path->leaf, 0, w->iova);
	return 0;
}

/**
 * mock_vtd_set_flags() - Set the accessed and dirty flags of a translation
 * @s1: The first-stage configuration
 * @w: The walk: @w->access
 * @path: The entries of the successful walk
 * @level: Out, on -EAGAIN, the level of the entry that changed
 *
 * VT-d spec 3.6.2 "Accessed, Extended Accessed, and Dirty Flags", as Intel
 * SDM Vol. 3A 4.8 "Accessed and Dirty Flags": A in every entry used, EA
 * too when EAFE is set, D in the leaf for a write, each entry that lacks
 * one updated atomically from the value the walk read, top level first.
 * The model sets them only for a translation that succeeds, as Intel
 * processors do (they walk first, then update the flags of a successful
 * walk); a later failure leaves the flags already set in the upper levels.
 *
 * Return: 0; -EAGAIN when an entry no longer held what the walk read; or
 * the errno of a stage-2 fault writing an entry (the stage 2 must let the
 * table be written), with @w->fault filled.
 */
static int mock_vtd_set_flags(const struct mock_vtd_s1 *s1,
			      struct mock_walk *w,
			      const struct mock_vtd_path *path, u32 *level)
{
	u64 flags = MOCK_VTD_PTE_A;
	int rc;

	if (s1->flags & IOASID_VTD_S1_EAFE)
		flags |= MOCK_VTD_PTE_EA;
	for (*level = s1->levels; *level >= path->leaf; (*level)--) {
		u64 old = path->pte[*level];
		u64 new = old | flags;

		if (*level == path->leaf && (w->access & MOCK_ACC_WRITE))
			new |= MOCK_VTD_PTE_D;
		if (new == old)
			continue;
		rc = mock_s1_update64(w, path->addr[*level], *level, old, new);
		if (rc)
			return rc;
	}
	return 0;
}

/**
 * mock_vtd_s1_walk() - Translate an address through a first-stage table
 * @s1: The first-stage configuration, from mock_vtd_s1_init()
 * @w: The walk: in @w->iova, @w->pasid and @w->access; out the result
 *
 * VT-d spec 3.6 "First-Stage Translation", in this order: a supervisor
 * request without SRE is blocked; the input address must be canonical;
 * the entries are fetched from the top level down to the leaf, each
 * present and without reserved bits (mock_vtd_fetch()); the request must
 * be granted (mock_vtd_check_access()); then the accessed and dirty flags
 * are set (mock_vtd_set_flags()).
 *
 * Should an entry change between its read and the update of its flags,
 * the walk starts again from the top level, re-reading everything, at
 * most %MOCK_VTD_WALK_TRIES times; a guest that keeps rewriting an entry
 * that long gets %IOASID_TEST_FAULT_NOT_PRESENT at its level, as if the
 * walk had read it in the middle of the change.
 *
 * Return: 0 with @w->oa the output address of @w->iova (a stage-2 input),
 * @w->leaf_size 4 KiB, 2 MiB or 1 GiB, and @w->tag the PASID; or -ENXIO
 * or -EACCES with @w->fault filled: stage 1 for a fault of the table
 * (level 0 for a blocked supervisor request, the top level for a
 * non-canonical address, the faulting entry's level for a missing entry
 * or reserved bits, the leaf's level for the access rights), stage 2 for
 * an entry the stage 2 does not let the walk read or update.
 */
int mock_vtd_s1_walk(const struct mock_vtd_s1 *s1, struct mock_walk *w)
{
	struct mock_vtd_path path;
	unsigned int tries;
	u64 size;
	u32 level;
	int rc;

	if ((w->access & MOCK_ACC_PRIV) && !(s1->flags & IOASID_VTD_S1_SRE))
		return mock_walk_fault(w, 1, IOASID_TEST_FAULT_BAD_CONFIG, 0, 0,
				       w->iova);
	if (WARN_ON_ONCE(s1->levels != 4 && s1->levels != 5))
		return mock_walk_fault(w, 1, IOASID_TEST_FAULT_BAD_CONFIG, 0, 0,
				       w->iova);
	if (!mock_vtd_canonical(w->iova, s1->levels))
		return mock_walk_fault(w, 1, IOASID_TEST_FAULT_ADDRESS_SIZE,
				       s1->levels, 0, w->iova);

	for (tries = 0; tries < MOCK_VTD_WALK_TRIES; tries++) {
		rc = mock_vtd_fetch(s1, w, &path);
		if (rc)
			return rc;
		rc = mock_vtd_check_access(s1, w, &path);
		if (rc)
			return rc;
		rc = mock_vtd_set_flags(s1, w, &path, &level);
		if (rc != -EAGAIN)
			break;
	}
	if (rc == -EAGAIN)
		return mock_walk_fault(w, 1, IOASID_TEST_FAULT_NOT_PRESENT,
				       level, 0, w->iova);
	if (rc)
		return rc;

	size = 1ULL << mock_vtd_shift(path.leaf);
	w->oa = (path.pte[path.leaf] & MOCK_VTD_PTE_ADDR & ~(size - 1)) |
		(w->iova & (size - 1));
	w->leaf_size = size;
	w->tag = w->pasid;
	return 0;
}

/**
 * mock_vtd_inv_decode() - Decode one VT-d stage-1 invalidation
 * @array: The user's array of &struct ioasid_hwpt_vtd_s1_invalidate
 * @index: Entry to decode
 * @inv: Out, what it drops
 *
 * What a PASID-based IOTLB invalidation says (VT-d spec 6.5.2.4
 * "PASID-based-IOTLB Invalidate Descriptor"), for every PASID and device
 * the HWPT is attached to: @addr 0 with @npages U64_MAX drops everything
 * (%MOCK_INV_ALL); otherwise the @npages 4 KiB pages from @addr
 * (%MOCK_INV_RANGE_ALL_TAGS), which must not wrap past the top of the
 * address space.  %IOASID_VTD_INV_FLAGS_LEAF gives @inv->leaf.
 *
 * Return: 0; -EINVAL for an unknown flag, a nonzero @__reserved, a
 * misaligned @addr, a zero @npages or a range that wraps; or the errors
 * of iommu_copy_struct_from_user_array().
 */
int mock_vtd_inv_decode(const struct iommu_user_data_array *array, u32 index,
			struct mock_inv *inv)
{
	struct ioasid_hwpt_vtd_s1_invalidate e;
	int rc;

	rc = iommu_copy_struct_from_user_array(&e, array,
					       IOASID_HWPT_INVALIDATE_DATA_VTD_S1,
					       index, __reserved);
	if (rc)
		return rc;
	if ((e.flags & ~IOASID_VTD_INV_FLAGS_LEAF) || e.__reserved)
		return -EINVAL;
	if (!IS_ALIGNED(e.addr, SZ_4K) || !e.npages)
		return -EINVAL;

	*inv = (struct mock_inv){
		.leaf = e.flags & IOASID_VTD_INV_FLAGS_LEAF,
	};
	if (!e.addr && e.npages == U64_MAX) {
		inv->kind = MOCK_INV_ALL;
		return 0;
	}
	/* Pages from @addr to the top of the address space, at most 2^52. */
	if (e.npages - 1 > (U64_MAX - e.addr) / SZ_4K)
		return -EINVAL;
	inv->kind = MOCK_INV_RANGE_ALL_TAGS;
	inv->first = e.addr;
	inv->last = e.addr + (e.npages - 1) * SZ_4K + (SZ_4K - 1);
	return 0;
}

/**
 * mock_vtd_hw_info() - The registers a mock VT-d reports
 * @info: Out, the capability and extended capability registers
 * @pasid_bits: PASID width of the device, 0 for none (at most 20 count)
 * @pri: The device can raise page requests
 *
 * A scalable-mode VT-d that can nest (VT-d spec 11.4.2 "Capability
 * Register", 11.4.3 "Extended Capability Register"):
 *
 * - CAP: 64K domain IDs (ND 6), 4-level second stage (SAGAW) of 48 bits
 *   (MGAW 47), zero-length reads, fault recording at 0x400 (FRO) with 8
 *   registers (NFR), 2 MiB and 1 GiB second-stage pages (SSLPS),
 *   page-selective invalidation (PSI) of up to 2^18 pages (MAMV), write
 *   and read draining, first-stage 1 GiB pages (FS1GP) and 5-level first
 *   stage (FS5LP);
 * - ECAP: coherent walks (C, SMPWC), queued invalidation, pass-through,
 *   snoop control, IOTLB registers at 0x500 (IRO), nesting, execute and
 *   supervisor requests (ERS, SRS), extended accessed flag (EAFS),
 *   scalable mode, first- and second-stage translation (FSTS, SSTS),
 *   PASID with PSS = @pasid_bits - 1 when @pasid_bits, page requests
 *   with drain support (PRS, PDS) when @pri.
 *
 * No interrupt remapping, device TLB or second-stage dirty tracking: the
 * mock does none.
 */
void mock_vtd_hw_info(struct ioasid_hw_info_vtd *info, u32 pasid_bits,
		      bool pri)
{
	u64 ecap;

	info->flags = 0;
	info->__reserved = 0;
	info->cap_reg = FIELD_PREP(MOCK_VTD_CAP_ND, 6) |
			FIELD_PREP(MOCK_VTD_CAP_SAGAW, MOCK_VTD_SAGAW_4LEVEL) |
			FIELD_PREP(MOCK_VTD_CAP_MGAW, 48 - 1) |
			MOCK_VTD_CAP_ZLR |
			FIELD_PREP(MOCK_VTD_CAP_FRO, 0x40) |
			FIELD_PREP(MOCK_VTD_CAP_SSLPS, 0x3) |
			MOCK_VTD_CAP_PSI |
			FIELD_PREP(MOCK_VTD_CAP_NFR, 8 - 1) |
			FIELD_PREP(MOCK_VTD_CAP_MAMV, 18) |
			MOCK_VTD_CAP_DWD | MOCK_VTD_CAP_DRD |
			MOCK_VTD_CAP_FS1GP | MOCK_VTD_CAP_FS5LP;

	ecap = MOCK_VTD_ECAP_C | MOCK_VTD_ECAP_QI | MOCK_VTD_ECAP_PT |
	       MOCK_VTD_ECAP_SC | FIELD_PREP(MOCK_VTD_ECAP_IRO, 0x50) |
	       MOCK_VTD_ECAP_NEST | MOCK_VTD_ECAP_ERS | MOCK_VTD_ECAP_SRS |
	       MOCK_VTD_ECAP_EAFS | MOCK_VTD_ECAP_SMTS | MOCK_VTD_ECAP_SSTS |
	       MOCK_VTD_ECAP_FSTS | MOCK_VTD_ECAP_SMPWC;
	if (pasid_bits) {
		pasid_bits = min(pasid_bits, MOCK_VTD_PASID_BITS_MAX);
		ecap |= MOCK_VTD_ECAP_PASID |
			FIELD_PREP(MOCK_VTD_ECAP_PSS, pasid_bits - 1);
	}
	if (pri)
		ecap |= MOCK_VTD_ECAP_PRS | MOCK_VTD_ECAP_PDS;
	info->ecap_reg = ecap;
}
