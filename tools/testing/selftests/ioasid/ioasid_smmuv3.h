/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Builders of an Arm SMMUv3 stage 1 for the selftests of the mock SMMUv3
 * (drivers/iommu/ioasid/selftest_smmuv3.c describes what it models): the
 * STE words of %IOASID_HWPT_DATA_ARM_SMMUV3, context descriptors, AArch64
 * (VMSAv8-64) stage-1 tables of the 4 KiB granule, and the commands of
 * %IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3.  Everything is written little
 * endian, as the SMMU reads it.
 *
 * The tables live in "guest RAM": a buffer @mem that the test maps at
 * stage-2 (guest physical) address @gpa_base, so that a table's GPA is
 * gpa_base + its offset in @mem.  Table pages come from a bump allocator
 * starting at @table_off:
 *
 *	struct smmu_pt pt;
 *	__u64 ste[2];
 *
 *	smmu_pt_init(&pt, mem, GPA, MEM_SIZE, TABLE_OFF, 25);
 *	smmu_pt_map(&pt, iova, gpa, SMMU_SZ_4K, SMMU_PTE_RW);
 *	cd = smmu_pt_alloc(&pt);
 *	smmu_cd_write(smmu_pt_ptr(&pt, cd), pt.ttb0, pt.t0sz, asid, 0);
 *	smmu_ste_s1(ste, cd, 0, SMMU_STE_S1DSS_SSID0);
 *
 * smmu_pt_init(), smmu_pt_map() and smmu_pt_alloc() (0 for a failure)
 * return 0 or -errno: -EINVAL for a misaligned or out-of-range argument,
 * -ENOMEM when @mem is full, -EEXIST when the mapping would replace a
 * different entry.  smmu_pt_entry() gives the descriptor of a level for
 * a test to read or corrupt, smmu_pt_ptr() the memory at a GPA.
 *
 * Leaf attributes (@attrs of smmu_pt_map()): SMMU_PTE_AP_EL0 (AP[1]:
 * unprivileged access), SMMU_PTE_AP_RO (AP[2]: read-only), SMMU_PTE_AF,
 * SMMU_PTE_UXN, SMMU_PTE_PXN, SMMU_PTE_DBM, SMMU_PTE_NG, SMMU_PTE_CONT,
 * SMMU_PTE_ATTRIDX(n), SMMU_PTE_SH_IS.  SMMU_PTE_RW (AF, inner
 * shareable, AP 0b01: read/write for privileged and unprivileged
 * requests) and SMMU_PTE_RO (AP 0b11) are what Linux's io-pgtable maps
 * for DMA.  Table attributes, to OR into smmu_pt_entry() of a
 * table level: SMMU_TBL_AP_NO_EL0, SMMU_TBL_AP_RO, SMMU_TBL_UXN,
 * SMMU_TBL_PXN.
 *
 * Context descriptor flags (@flags of smmu_cd_write()): SMMU_CD_HA,
 * SMMU_CD_HD, SMMU_CD_AFFD, SMMU_CD_EPD0, SMMU_CD_WXN, SMMU_CD_PAN,
 * SMMU_CD_TBI0, SMMU_CD_HAD0 and SMMU_CD_INVALID (V clear).  The CD is
 * otherwise V=1, AArch64, 4 KiB TG0, EPD1, IPS 48 bits, write-back inner
 * shareable walks and a MAIR whose index 0 is normal write-back memory.
 */
#ifndef __SELFTESTS_IOASID_SMMUV3_H
#define __SELFTESTS_IOASID_SMMUV3_H

#include <endian.h>
#include <errno.h>
#include <string.h>

#include <linux/types.h>

#ifndef BIT
#define BIT(nr)				(1UL << (nr))
#endif
#ifndef BIT_ULL
#define BIT_ULL(nr)			(1ULL << (nr))
#endif

#define SMMU_SZ_4K			0x1000ULL
#define SMMU_SZ_2M			0x200000ULL
#define SMMU_SZ_1G			0x40000000ULL

/* Stream table entry, words 0 and 1 */
#define SMMU_STE0_V			BIT_ULL(0)
#define SMMU_STE0_CONFIG(x)		((__u64)(x) << 1)
#define SMMU_STE0_CONFIG_ABORT		0
#define SMMU_STE0_CONFIG_BYPASS		4
#define SMMU_STE0_CONFIG_S1		5
#define SMMU_STE0_S1FMT(x)		((__u64)(x) << 4)
#define SMMU_STE0_S1FMT_LINEAR		0
#define SMMU_STE0_S1FMT_4K_L2		1
#define SMMU_STE0_S1FMT_64K_L2		2
#define SMMU_STE0_S1CTXPTR_MASK		0x000fffffffffffc0ULL
#define SMMU_STE0_S1CDMAX(x)		((__u64)(x) << 59)
#define SMMU_STE1_S1DSS(x)		((__u64)(x) << 0)
#define SMMU_STE_S1DSS_TERMINATE	0
#define SMMU_STE_S1DSS_BYPASS		1
#define SMMU_STE_S1DSS_SSID0		2
#define SMMU_STE1_S1CIR(x)		((__u64)(x) << 2)
#define SMMU_STE1_S1COR(x)		((__u64)(x) << 4)
#define SMMU_STE1_S1CSH(x)		((__u64)(x) << 6)
#define SMMU_STE1_S1STALLD		BIT_ULL(27)
#define SMMU_STE1_EATS(x)		((__u64)(x) << 28)

/* Level 1 context descriptor */
#define SMMU_L1CD_V			BIT_ULL(0)
#define SMMU_L1CD_L2PTR_MASK		0x000ffffffffff000ULL

/* Context descriptor, words 0 and 1 */
#define SMMU_CD_BYTES			64
#define SMMU_CD0_T0SZ(x)		((__u64)(x) << 0)
#define SMMU_CD0_TG0(x)			((__u64)(x) << 6)
#define SMMU_CD0_IR0(x)			((__u64)(x) << 8)
#define SMMU_CD0_OR0(x)			((__u64)(x) << 10)
#define SMMU_CD0_SH0(x)			((__u64)(x) << 12)
#define SMMU_CD0_EPD0			BIT_ULL(14)
#define SMMU_CD0_ENDI			BIT_ULL(15)
#define SMMU_CD0_EPD1			BIT_ULL(30)
#define SMMU_CD0_V			BIT_ULL(31)
#define SMMU_CD0_IPS(x)			((__u64)(x) << 32)
#define SMMU_CD0_IPS_MASK		(7ULL << 32)
#define SMMU_CD0_IPS_48			5
#define SMMU_CD0_AFFD			BIT_ULL(35)
#define SMMU_CD0_WXN			BIT_ULL(36)
#define SMMU_CD0_TBI0			BIT_ULL(38)
#define SMMU_CD0_PAN			BIT_ULL(40)
#define SMMU_CD0_AA64			BIT_ULL(41)
#define SMMU_CD0_HD			BIT_ULL(42)
#define SMMU_CD0_HA			BIT_ULL(43)
#define SMMU_CD0_ASID(x)		((__u64)(x) << 48)
#define SMMU_CD1_HAD0			BIT_ULL(1)
#define SMMU_CD1_TTB0_MASK		0x000ffffffffffff0ULL

/* Flags of smmu_cd_write() */
#define SMMU_CD_HA			BIT(0)
#define SMMU_CD_HD			BIT(1)
#define SMMU_CD_AFFD			BIT(2)
#define SMMU_CD_EPD0			BIT(3)
#define SMMU_CD_WXN			BIT(4)
#define SMMU_CD_PAN			BIT(5)
#define SMMU_CD_TBI0			BIT(6)
#define SMMU_CD_HAD0			BIT(7)
#define SMMU_CD_INVALID			BIT(8)

/* VMSAv8-64 descriptors, 4 KiB granule */
#define SMMU_PTE_VALID			BIT_ULL(0)
#define SMMU_PTE_TABLE			BIT_ULL(1)	/* levels 0-2 */
#define SMMU_PTE_PAGE			BIT_ULL(1)	/* level 3 */
#define SMMU_PTE_ATTRIDX(n)		((__u64)(n) << 2)
#define SMMU_PTE_NS			BIT_ULL(5)
#define SMMU_PTE_AP_EL0			BIT_ULL(6)	/* AP[1] */
#define SMMU_PTE_AP_RO			BIT_ULL(7)	/* AP[2] */
#define SMMU_PTE_SH_IS			(3ULL << 8)
#define SMMU_PTE_AF			BIT_ULL(10)
#define SMMU_PTE_NG			BIT_ULL(11)
#define SMMU_PTE_DBM			BIT_ULL(51)
#define SMMU_PTE_CONT			BIT_ULL(52)
#define SMMU_PTE_PXN			BIT_ULL(53)
#define SMMU_PTE_UXN			BIT_ULL(54)
#define SMMU_PTE_ADDR_MASK		0x0000fffffffff000ULL
/* Read/write and read-only for any request, as Linux's io-pgtable maps */
#define SMMU_PTE_RW			(SMMU_PTE_AF | SMMU_PTE_SH_IS |	\
					 SMMU_PTE_AP_EL0)
#define SMMU_PTE_RO			(SMMU_PTE_RW | SMMU_PTE_AP_RO)
#define SMMU_TBL_PXN			BIT_ULL(59)
#define SMMU_TBL_UXN			BIT_ULL(60)
#define SMMU_TBL_AP_NO_EL0		BIT_ULL(61)	/* APTable[0] */
#define SMMU_TBL_AP_RO			BIT_ULL(62)	/* APTable[1] */

/* Commands */
#define SMMU_CMD_CFGI_CD		0x05
#define SMMU_CMD_CFGI_CD_ALL		0x06
#define SMMU_CMD_TLBI_NH_ALL		0x10
#define SMMU_CMD_TLBI_NH_ASID		0x11
#define SMMU_CMD_TLBI_NH_VA		0x12
#define SMMU_CMD_TLBI_NH_VAA		0x13
#define SMMU_CMD_CFGI_STE		0x03
#define SMMU_CMD_TLBI_S2_IPA		0x2a
#define SMMU_CMD_SYNC			0x46
#define SMMU_CMD0_SSID(x)		((__u64)(x) << 12)
#define SMMU_CMD0_SID(x)		((__u64)(x) << 32)
#define SMMU_CMD0_NUM(x)		((__u64)(x) << 12)
#define SMMU_CMD0_SCALE(x)		((__u64)(x) << 20)
#define SMMU_CMD0_VMID(x)		((__u64)(x) << 32)
#define SMMU_CMD0_ASID(x)		((__u64)(x) << 48)
#define SMMU_CMD1_LEAF			BIT_ULL(0)
#define SMMU_CMD1_TTL(x)		((__u64)(x) << 8)
#define SMMU_CMD1_TG(x)			((__u64)(x) << 10)
#define SMMU_CMD1_TG_4K			1
#define SMMU_CMD1_ADDR_MASK		(~0xfffULL)

/**
 * struct smmu_pt - AArch64 stage-1 tables built in guest RAM
 * @mem: The guest RAM, as the test sees it
 * @gpa_base: Its guest-physical (stage-2 input) address
 * @size: Its size in bytes
 * @next: Offset in @mem of the next free table page
 * @ttb0: GPA of the first table, for the CD's TTB0
 * @t0sz: The CD's T0SZ: 16 to 39, an input size of 64 - @t0sz bits
 * @start_level: Level of the first table (0, 1 or 2)
 */
struct smmu_pt {
	__u8 *mem;
	__u64 gpa_base;
	__u64 size;
	__u64 next;
	__u64 ttb0;
	int t0sz;
	int start_level;
};

/* The level a walk of 64 - @t0sz input bits starts at (4 KiB granule). */
static inline int smmu_start_level(int t0sz)
{
	return 4 - (64 - t0sz - 12 + 8) / 9;
}

/* Bit of the input address that level @level's index starts at. */
static inline int smmu_level_shift(int level)
{
	return 12 + 9 * (3 - level);
}

/* The memory at guest-physical @gpa, or NULL outside @mem. */
static inline void *smmu_pt_ptr(struct smmu_pt *pt, __u64 gpa)
{
	if (gpa < pt->gpa_base || gpa - pt->gpa_base >= pt->size)
		return NULL;
	return pt->mem + (gpa - pt->gpa_base);
}

/* Allocate a zeroed 4 KiB page of @mem: its GPA, or 0 when full. */
static inline __u64 smmu_pt_alloc(struct smmu_pt *pt)
{
	__u64 off = pt->next;

	if (off + SMMU_SZ_4K > pt->size)
		return 0;
	pt->next += SMMU_SZ_4K;
	memset(pt->mem + off, 0, SMMU_SZ_4K);
	return pt->gpa_base + off;
}

/**
 * smmu_pt_init() - Start empty stage-1 tables in guest RAM
 * @pt: Out
 * @mem: The guest RAM
 * @gpa_base: Its GPA, 4 KiB aligned
 * @size: Its size
 * @table_off: Offset in @mem where table pages start, 4 KiB aligned
 * @t0sz: 16 (48-bit input) to 39 (25-bit input)
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
static inline int smmu_pt_init(struct smmu_pt *pt, void *mem,
			       __u64 gpa_base, __u64 size,
			       __u64 table_off, int t0sz)
{
	if ((gpa_base | table_off) & (SMMU_SZ_4K - 1) || t0sz < 16 ||
	    t0sz > 39 || table_off > size)
		return -EINVAL;
	pt->mem = mem;
	pt->gpa_base = gpa_base;
	pt->size = size;
	pt->next = table_off;
	pt->t0sz = t0sz;
	pt->start_level = smmu_start_level(t0sz);
	pt->ttb0 = smmu_pt_alloc(pt);
	return pt->ttb0 ? 0 : -ENOMEM;
}

/**
 * smmu_pt_entry() - The descriptor of level @level that translates @iova
 * @pt: The tables
 * @iova: Input address
 * @level: From @pt->start_level to 3
 *
 * Return: A pointer to the descriptor (little endian) in @pt->mem, or NULL
 * when the walk to it does not go through valid table descriptors.
 */
static inline __u64 *smmu_pt_entry(struct smmu_pt *pt, __u64 iova, int level)
{
	__u64 table = pt->ttb0, desc;
	__u64 *entry = NULL;
	int l;

	if (level < pt->start_level || level > 3 ||
	    (iova >> (64 - pt->t0sz)))
		return NULL;
	for (l = pt->start_level; l <= level; l++) {
		if (l != pt->start_level) {
			desc = le64toh(*entry);
			if ((desc & 3) != 3)
				return NULL;
			table = desc & SMMU_PTE_ADDR_MASK;
		}
		entry = smmu_pt_ptr(pt, table);
		if (!entry)
			return NULL;
		entry += (iova >> smmu_level_shift(l)) & 511;
	}
	return entry;
}

/**
 * smmu_pt_map() - Map one page or block
 * @pt: The tables
 * @iova: Input address, aligned to @pgsize
 * @gpa: Output address (stage-2 input), aligned to @pgsize
 * @pgsize: SMMU_SZ_4K (page, level 3), SMMU_SZ_2M (block, level 2) or
 *          SMMU_SZ_1G (block, level 1)
 * @attrs: SMMU_PTE_* attributes of the leaf (not the address, valid and
 *         type bits)
 *
 * Table descriptors are made as needed, without attributes; mapping again
 * the same iova and size replaces the leaf.
 *
 * Return: 0; -EINVAL for a bad size, alignment or address; -ENOMEM;
 * -EEXIST when a block or a table is in the way.
 */
static inline int smmu_pt_map(struct smmu_pt *pt, __u64 iova,
			      __u64 gpa, __u64 pgsize, __u64 attrs)
{
	int level = pgsize == SMMU_SZ_4K ? 3 : pgsize == SMMU_SZ_2M ? 2 :
		    pgsize == SMMU_SZ_1G ? 1 : -1;
	__u64 *entry, desc, table;
	int l;

	if (level < pt->start_level || ((iova | gpa) & (pgsize - 1)) ||
	    (iova >> (64 - pt->t0sz)) || (gpa & ~SMMU_PTE_ADDR_MASK) ||
	    (attrs & (SMMU_PTE_ADDR_MASK | SMMU_PTE_VALID | SMMU_PTE_TABLE)))
		return -EINVAL;

	entry = (__u64 *)smmu_pt_ptr(pt, pt->ttb0) +
		((iova >> smmu_level_shift(pt->start_level)) & 511);
	for (l = pt->start_level; l < level; l++) {
		desc = le64toh(*entry);
		if (!(desc & SMMU_PTE_VALID)) {
			table = smmu_pt_alloc(pt);
			if (!table)
				return -ENOMEM;
			desc = table | SMMU_PTE_TABLE | SMMU_PTE_VALID;
			*entry = htole64(desc);
		} else if (!(desc & SMMU_PTE_TABLE)) {
			return -EEXIST;
		}
		entry = smmu_pt_ptr(pt, desc & SMMU_PTE_ADDR_MASK);
		if (!entry)
			return -EINVAL;
		entry += (iova >> smmu_level_shift(l + 1)) & 511;
	}
	desc = le64toh(*entry);
	if (level < 3 && (desc & 3) == 3)
		return -EEXIST;
	*entry = htole64(gpa | attrs | SMMU_PTE_VALID |
			 (level == 3 ? SMMU_PTE_PAGE : 0));
	return 0;
}

/**
 * smmu_cd_write() - Write a context descriptor for AArch64 stage-1 tables
 * @cd: 64 bytes in guest RAM (a CD table slot)
 * @ttb0: GPA of the first table
 * @t0sz: T0SZ
 * @asid: ASID
 * @flags: SMMU_CD_* flags
 */
static inline void smmu_cd_write(void *cd, __u64 ttb0, int t0sz,
				 __u16 asid, __u32 flags)
{
	__u64 w[SMMU_CD_BYTES / 8] = { 0 };

	w[0] = SMMU_CD0_T0SZ(t0sz) | SMMU_CD0_TG0(0) | SMMU_CD0_IR0(1) |
	       SMMU_CD0_OR0(1) | SMMU_CD0_SH0(3) | SMMU_CD0_EPD1 |
	       SMMU_CD0_IPS(SMMU_CD0_IPS_48) | SMMU_CD0_AA64 |
	       SMMU_CD0_ASID(asid);
	if (!(flags & SMMU_CD_INVALID))
		w[0] |= SMMU_CD0_V;
	if (flags & SMMU_CD_HA)
		w[0] |= SMMU_CD0_HA;
	if (flags & SMMU_CD_HD)
		w[0] |= SMMU_CD0_HD;
	if (flags & SMMU_CD_AFFD)
		w[0] |= SMMU_CD0_AFFD;
	if (flags & SMMU_CD_EPD0)
		w[0] |= SMMU_CD0_EPD0;
	if (flags & SMMU_CD_WXN)
		w[0] |= SMMU_CD0_WXN;
	if (flags & SMMU_CD_PAN)
		w[0] |= SMMU_CD0_PAN;
	if (flags & SMMU_CD_TBI0)
		w[0] |= SMMU_CD0_TBI0;
	w[1] = ttb0 & SMMU_CD1_TTB0_MASK;
	if (flags & SMMU_CD_HAD0)
		w[1] |= SMMU_CD1_HAD0;
	w[3] = 0xff;	/* MAIR: index 0 normal write-back */
	for (int i = 0; i < SMMU_CD_BYTES / 8; i++)
		w[i] = htole64(w[i]);
	memcpy(cd, w, sizeof(w));
}

/* A level-1 CD descriptor pointing at the level-2 table at @l2_gpa. */
static inline __u64 smmu_l1cd(__u64 l2_gpa)
{
	return htole64((l2_gpa & SMMU_L1CD_L2PTR_MASK) | SMMU_L1CD_V);
}

/**
 * smmu_ste_s1_fmt() - STE words for stage-1 translation
 * @ste: Out, words 0 and 1, little endian
 * @cd_gpa: S1ContextPtr: the CD (@s1cdmax 0), the linear CD table or the
 *          level-1 CD table
 * @s1cdmax: log2 of the substreams, 0 for a single CD
 * @s1dss: SMMU_STE_S1DSS_*: DMA without substream when @s1cdmax > 0
 * @s1fmt: SMMU_STE0_S1FMT_*
 */
static inline void smmu_ste_s1_fmt(__u64 ste[2], __u64 cd_gpa,
				   int s1cdmax, int s1dss, int s1fmt)
{
	ste[0] = htole64(SMMU_STE0_V | SMMU_STE0_CONFIG(SMMU_STE0_CONFIG_S1) |
			 SMMU_STE0_S1FMT(s1fmt) |
			 (cd_gpa & SMMU_STE0_S1CTXPTR_MASK) |
			 SMMU_STE0_S1CDMAX(s1cdmax));
	ste[1] = htole64(SMMU_STE1_S1DSS(s1dss) | SMMU_STE1_S1CIR(1) |
			 SMMU_STE1_S1COR(1) | SMMU_STE1_S1CSH(3));
}

/* STE words for stage-1 translation with a linear CD table. */
static inline void smmu_ste_s1(__u64 ste[2], __u64 cd_table_gpa,
			       int s1cdmax, int s1dss)
{
	smmu_ste_s1_fmt(ste, cd_table_gpa, s1cdmax, s1dss,
			SMMU_STE0_S1FMT_LINEAR);
}

/* STE words with stage 1 bypassed. */
static inline void smmu_ste_bypass(__u64 ste[2])
{
	ste[0] = htole64(SMMU_STE0_V |
			 SMMU_STE0_CONFIG(SMMU_STE0_CONFIG_BYPASS));
	ste[1] = 0;
}

/* STE words that abort every DMA (V=1, Config abort). */
static inline void smmu_ste_abort(__u64 ste[2])
{
	ste[0] = htole64(SMMU_STE0_V |
			 SMMU_STE0_CONFIG(SMMU_STE0_CONFIG_ABORT));
	ste[1] = 0;
}

/* Commands, two little-endian words each */
static inline void smmu_cmd(__u64 cmd[2], __u64 cmd0, __u64 cmd1)
{
	cmd[0] = htole64(cmd0);
	cmd[1] = htole64(cmd1);
}

/* CMD_CFGI_CD: the CD of substream @ssid (0 for DMA without one). */
static inline void smmu_cmd_cfgi_cd(__u64 cmd[2], __u32 ssid,
				    int leaf)
{
	smmu_cmd(cmd, SMMU_CMD_CFGI_CD | SMMU_CMD0_SSID(ssid),
		 leaf ? SMMU_CMD1_LEAF : 0);
}

static inline void smmu_cmd_cfgi_cd_all(__u64 cmd[2])
{
	smmu_cmd(cmd, SMMU_CMD_CFGI_CD_ALL, 0);
}

static inline void smmu_cmd_tlbi_all(__u64 cmd[2])
{
	smmu_cmd(cmd, SMMU_CMD_TLBI_NH_ALL, 0);
}

static inline void smmu_cmd_tlbi_asid(__u64 cmd[2], __u16 asid)
{
	smmu_cmd(cmd, SMMU_CMD_TLBI_NH_ASID | SMMU_CMD0_ASID(asid), 0);
}

/* CMD_TLBI_NH_VA, not a range: the entry translating @addr, for @asid. */
static inline void smmu_cmd_tlbi_va(__u64 cmd[2], __u16 asid,
				    __u64 addr, int leaf)
{
	smmu_cmd(cmd, SMMU_CMD_TLBI_NH_VA | SMMU_CMD0_ASID(asid),
		 (addr & SMMU_CMD1_ADDR_MASK) | (leaf ? SMMU_CMD1_LEAF : 0));
}

/* CMD_TLBI_NH_VAA, not a range: the entry translating @addr, any ASID. */
static inline void smmu_cmd_tlbi_vaa(__u64 cmd[2], __u64 addr,
				     int leaf)
{
	smmu_cmd(cmd, SMMU_CMD_TLBI_NH_VAA,
		 (addr & SMMU_CMD1_ADDR_MASK) | (leaf ? SMMU_CMD1_LEAF : 0));
}

/*
 * CMD_TLBI_NH_VA, range form (4 KiB granule): (@num + 1) * 2^@scale pages
 * from @addr; @ttl the level hint (0 for none).
 */
static inline void smmu_cmd_tlbi_va_range(__u64 cmd[2], __u16 asid,
					  __u64 addr, int num, int scale,
					  int ttl, int leaf)
{
	smmu_cmd(cmd, SMMU_CMD_TLBI_NH_VA | SMMU_CMD0_ASID(asid) |
		 SMMU_CMD0_NUM(num) | SMMU_CMD0_SCALE(scale),
		 (addr & SMMU_CMD1_ADDR_MASK) | SMMU_CMD1_TG(SMMU_CMD1_TG_4K) |
		 SMMU_CMD1_TTL(ttl) | (leaf ? SMMU_CMD1_LEAF : 0));
}

#endif /* __SELFTESTS_IOASID_SMMUV3_H */
