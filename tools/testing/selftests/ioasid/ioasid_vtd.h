/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Build Intel VT-d first-stage page tables for the mock VT-d's nested
 * HWPTs (%IOASID_HWPT_DATA_VTD_S1), as a guest builds them in its memory.
 *
 * The "guest RAM" is a buffer @mem that the test maps into an IOAS at the
 * guest-physical (stage-2) address @gpa_base, so that the nested HWPT's
 * parent translates it.  The tables live in it: struct vtd_pt hands out
 * zeroed 4 KiB table pages from an offset up (a bump allocator, never
 * freed), and every entry holds a guest-physical address.
 *
 *	struct vtd_pt pt;
 *	struct ioasid_hwpt_vtd_s1 s1;
 *
 *	vtd_pt_init(&pt, mem, gpa_base, size, table_off, 4);
 *	vtd_pt_map(&pt, iova, gpa_base + data_off, VTD_PAGE_4K,
 *		   VTD_PTE_RW | VTD_PTE_US);
 *	vtd_pt_hwpt_data(&pt, &s1, 0);	// IOASID_HWPT_ALLOC's data
 *	*vtd_pt_entry(&pt, iova, 2) &= ~VTD_PTE_P;	// break the PD entry
 *
 * vtd_pt_init()	the root (PML4 or PML5) at @table_off
 * vtd_pt_map()		one 4 KiB, 2 MiB or 1 GiB leaf, making the tables
 *			above it (their entries P | R/W | U/S, so that the
 *			leaf decides the rights)
 * vtd_pt_unmap()	clear one leaf
 * vtd_pt_entry()	the entry of a level, to read or corrupt it
 * vtd_pt_ptr()		the host address of a guest-physical address
 * vtd_pt_alloc()	one more zeroed page from the allocator
 * vtd_pt_hwpt_data()	the &struct ioasid_hwpt_vtd_s1 of the table
 *
 * Entries are written with plain stores: the host is little endian, as
 * the format is (x86, arm64).  Levels are numbered as in the uAPI: 5
 * (PML5), 4 (PML4), 3 (PDPT), 2 (PD), 1 (PT).
 */
#ifndef __SELFTESTS_IOASID_VTD_H
#define __SELFTESTS_IOASID_VTD_H

#include <errno.h>
#include <string.h>
#include <linux/const.h>
#include <linux/ioasid.h>
#include <linux/types.h>

/* First-stage paging entry bits (VT-d spec 9.7 "First-Stage Paging Entries") */
#define VTD_PTE_P	_BITULL(0)	/* present */
#define VTD_PTE_RW	_BITULL(1)	/* writes allowed */
#define VTD_PTE_US	_BITULL(2)	/* user requests allowed */
#define VTD_PTE_PWT	_BITULL(3)
#define VTD_PTE_PCD	_BITULL(4)
#define VTD_PTE_A	_BITULL(5)	/* accessed, set by the walk */
#define VTD_PTE_D	_BITULL(6)	/* dirty (leaf), set by a write */
#define VTD_PTE_PS	_BITULL(7)	/* 1 GiB (PDPT) or 2 MiB (PD) leaf */
#define VTD_PTE_G	_BITULL(8)
#define VTD_PTE_EA	_BITULL(10)	/* extended accessed, with EAFE */
#define VTD_PTE_XD	_BITULL(63)	/* execute disable */
/* Address field of the format: bits 51:12 (the mock reserves 51:48) */
#define VTD_PTE_ADDR_MASK	0x000ffffffffff000ULL

#define VTD_PAGE_4K	_BITULL(12)
#define VTD_PAGE_2M	_BITULL(21)
#define VTD_PAGE_1G	_BITULL(30)

/**
 * struct vtd_pt - A first-stage table under construction
 * @mem: Host address of the guest RAM
 * @gpa_base: Guest-physical address of @mem[0]
 * @size: Bytes of @mem
 * @next: Offset in @mem of the next free table page
 * @levels: 4 or 5
 * @root: Guest-physical address of the PML4 (or PML5): FSPTPTR
 */
struct vtd_pt {
	__u8 *mem;
	__u64 gpa_base;
	__u64 size;
	__u64 next;
	int levels;
	__u64 root;
};

/* The host address of @len bytes at guest-physical @gpa, NULL if outside. */
static inline void *vtd_pt_ptr(struct vtd_pt *pt, __u64 gpa, __u64 len)
{
	if (gpa < pt->gpa_base || gpa - pt->gpa_base > pt->size ||
	    len > pt->size - (gpa - pt->gpa_base))
		return NULL;
	return pt->mem + (gpa - pt->gpa_base);
}

/* Hand out a zeroed table page at guest-physical *@gpa: 0, or -ENOMEM. */
static inline int vtd_pt_alloc(struct vtd_pt *pt, __u64 *gpa)
{
	__u64 off = pt->next;

	if (off > pt->size || pt->size - off < VTD_PAGE_4K)
		return -ENOMEM;
	pt->next = off + VTD_PAGE_4K;
	memset(pt->mem + off, 0, VTD_PAGE_4K);
	*gpa = pt->gpa_base + off;
	return 0;
}

/*
 * Start a table of @levels (4 or 5) in @mem: the root at @table_off, the
 * other tables after it.  0, or -EINVAL for bad levels or alignment,
 * -ENOMEM if the root does not fit.
 */
static inline int vtd_pt_init(struct vtd_pt *pt, void *mem, __u64 gpa_base,
			      __u64 size, __u64 table_off, int levels)
{
	if ((levels != 4 && levels != 5) || (gpa_base & (VTD_PAGE_4K - 1)) ||
	    (table_off & (VTD_PAGE_4K - 1)))
		return -EINVAL;
	pt->mem = mem;
	pt->gpa_base = gpa_base;
	pt->size = size;
	pt->next = table_off;
	pt->levels = levels;
	return vtd_pt_alloc(pt, &pt->root);
}

/* Address bits below the index of @level: a leaf there maps 1 << that. */
static inline unsigned int vtd_pt_shift(int level)
{
	return 12 + 9 * (level - 1);
}

/* Is @iova canonical for the table (bits 63:47, or 63:56, all equal)? */
static inline int vtd_pt_canonical(struct vtd_pt *pt, __u64 iova)
{
	unsigned int width = vtd_pt_shift(pt->levels) + 9;
	__u64 top = iova >> (width - 1);

	return !top || top == (~0ULL >> (width - 1));
}

/* The level whose leaf maps @pgsize bytes, 0 for another size. */
static inline int vtd_pt_leaf_level(__u64 pgsize)
{
	switch (pgsize) {
	case VTD_PAGE_4K:
		return 1;
	case VTD_PAGE_2M:
		return 2;
	case VTD_PAGE_1G:
		return 3;
	}
	return 0;
}

/* The entry of @iova in the table at guest-physical @table, or NULL. */
static inline __u64 *vtd_pt_slot(struct vtd_pt *pt, __u64 table, __u64 iova,
				 int level)
{
	__u64 *t = vtd_pt_ptr(pt, table, VTD_PAGE_4K);

	if (!t)
		return NULL;
	return &t[(iova >> vtd_pt_shift(level)) & 511];
}

/* Does the present entry @pte of @level map a page? */
static inline int vtd_pt_is_leaf(__u64 pte, int level)
{
	return level == 1 || ((level == 2 || level == 3) && (pte & VTD_PTE_PS));
}

/*
 * The entry of level @level (@pt->levels down to 1) that translates @iova:
 * a pointer into @mem, to read or change it.  NULL when @level is out of
 * range, or an entry above it is not present, is a leaf, or points
 * outside @mem.
 */
static inline __u64 *vtd_pt_entry(struct vtd_pt *pt, __u64 iova, int level)
{
	__u64 table = pt->root;
	int l;

	if (level < 1 || level > pt->levels)
		return NULL;
	for (l = pt->levels; l > level; l--) {
		__u64 *e = vtd_pt_slot(pt, table, iova, l);

		if (!e || !(*e & VTD_PTE_P) || vtd_pt_is_leaf(*e, l))
			return NULL;
		table = *e & VTD_PTE_ADDR_MASK;
	}
	return vtd_pt_slot(pt, table, iova, level);
}

/*
 * Map @pgsize (4 KiB, 2 MiB or 1 GiB) at @iova to guest-physical @gpa:
 * the leaf is @gpa | @flags | P, with PS for a large page; @flags are
 * written as given (VTD_PTE_RW, VTD_PTE_US, VTD_PTE_XD, or any other bit,
 * reserved ones included).  Missing tables above it are allocated with
 * entries P | R/W | U/S.  0; -EINVAL for a bad size, misaligned or
 * non-canonical @iova, or @gpa misaligned or beyond the address field;
 * -EEXIST if a leaf is present there or above; -ENOMEM when @mem is full;
 * -EFAULT if an entry points outside @mem.
 */
static inline int vtd_pt_map(struct vtd_pt *pt, __u64 iova, __u64 gpa,
			     __u64 pgsize, __u64 flags)
{
	int leaf = vtd_pt_leaf_level(pgsize);
	__u64 table = pt->root;
	__u64 *e;
	int l;

	if (!leaf || (iova & (pgsize - 1)) || !vtd_pt_canonical(pt, iova) ||
	    (gpa & (pgsize - 1)) || (gpa & ~VTD_PTE_ADDR_MASK))
		return -EINVAL;
	for (l = pt->levels; l > leaf; l--) {
		e = vtd_pt_slot(pt, table, iova, l);
		if (!e)
			return -EFAULT;
		if (!(*e & VTD_PTE_P)) {
			__u64 next;

			if (vtd_pt_alloc(pt, &next))
				return -ENOMEM;
			*e = next | VTD_PTE_P | VTD_PTE_RW | VTD_PTE_US;
		} else if (vtd_pt_is_leaf(*e, l)) {
			return -EEXIST;
		}
		table = *e & VTD_PTE_ADDR_MASK;
	}
	e = vtd_pt_slot(pt, table, iova, leaf);
	if (!e)
		return -EFAULT;
	if (*e & VTD_PTE_P)
		return -EEXIST;
	*e = gpa | flags | VTD_PTE_P | (leaf > 1 ? VTD_PTE_PS : 0);
	return 0;
}

/*
 * Clear the leaf of @pgsize that maps @iova (the tables stay).  0, -EINVAL
 * for a bad size, -ENOENT if no leaf of that size is there.
 */
static inline int vtd_pt_unmap(struct vtd_pt *pt, __u64 iova,
			       __u64 pgsize)
{
	int leaf = vtd_pt_leaf_level(pgsize);
	__u64 *e;

	if (!leaf)
		return -EINVAL;
	e = vtd_pt_entry(pt, iova, leaf);
	if (!e || !(*e & VTD_PTE_P) || !vtd_pt_is_leaf(*e, leaf))
		return -ENOENT;
	*e = 0;
	return 0;
}

/*
 * Fill the data of IOASID_HWPT_ALLOC for this table, with @flags of
 * &enum ioasid_hwpt_vtd_s1_flags.
 */
static inline void vtd_pt_hwpt_data(struct vtd_pt *pt,
				    struct ioasid_hwpt_vtd_s1 *data,
				    __u64 flags)
{
	memset(data, 0, sizeof(*data));
	data->flags = flags;
	data->pgtbl_addr = pt->root;
	data->addr_width = pt->levels == 5 ? 57 : 48;
}

#endif /* __SELFTESTS_IOASID_VTD_H */
