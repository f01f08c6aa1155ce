// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mock SMMUv3's stage 1: a software model of how an Arm SMMUv3 finds,
 * checks and walks a guest's stage-1 configuration, and of the commands
 * that invalidate what it caches of it.  The references are the SMMUv3
 * architecture specification (IHI 0070) and the Arm Architecture Reference
 * Manual (DDI 0487), "The AArch64 Virtual Memory System Architecture"
 * (chapter D8 of recent issues, D5 of older ones).
 *
 * Stream table entry (SMMUv3 5.2), the two words a nested HWPT carries.
 * Only these fields may be set; any other bit refuses the STE (-EINVAL):
 *
 *   word 0: V [0], Config [3:1], S1Fmt [5:4], S1ContextPtr [51:6],
 *           S1CDMax [63:59]
 *   word 1: S1DSS [1:0], S1CIR [3:2], S1COR [5:4], S1CSH [7:6],
 *           S1STALLD [27], EATS [29:28]
 *
 * V=0, or Config abort (0b000), aborts every DMA.  Config bypass (0b100)
 * leaves the DMA untranslated by stage 1.  Config stage-1 translate
 * (0b101) walks a context descriptor (CD); any other Config is refused.
 * With stage-1 translate, S1CDMax may be up to the mock's SSIDSIZE (20);
 * S1CDMax 0 means a single CD at S1ContextPtr (S1Fmt and S1DSS are then
 * ignored).  Otherwise the CD table is linear (S1Fmt 0b00: 2^S1CDMax CDs
 * of 64 bytes) or two-level (5.3 "Level 1 Context Descriptor"; S1Fmt 0b01
 * with level-2 tables of 64 CDs, 4 KiB, or 0b10 with 1024 CDs, 64 KiB):
 * 8-byte level-1 descriptors of V [0] and L2Ptr [51:12], bits [11:1] and
 * [63:52] RES0.  S1Fmt 0b11 and S1DSS 0b11 are reserved and refused.  A
 * linear or level-1 table must be aligned to its size (at least 64
 * bytes), which the architecture leaves CONSTRAINED UNPREDICTABLE and this
 * model, as a hypervisor would, refuses.  EATS is ignored (IDR0.ATS is 0);
 * the cache attributes and S1STALLD have no effect on the model.
 *
 * Substreams (5.2, S1DSS): a DMA without a substream uses CD 0 when
 * S1CDMax is 0; with S1CDMax > 0 it follows S1DSS: terminate (0b00, a
 * BAD_CONFIG fault), bypass (0b01) or CD 0 (0b10).  A DMA with substream
 * S needs S1CDMax > 0 and S < 2^S1CDMax, else it is C_BAD_SUBSTREAMID:
 * BAD_CONFIG.  (Substream 0 cannot be asked for: %IOMMU_NO_PASID is 0,
 * which is also why S1DSS 0b10's refusal of substream 0 never shows.)  An
 * invalid or malformed level-1 descriptor is also BAD_CONFIG.
 *
 * Context descriptor (5.4), words 0 to 3 fetched (64 bytes in memory):
 *
 *   word 0: T0SZ [5:0], TG0 [7:6], IR0/OR0/SH0 [13:8], EPD0 [14],
 *           ENDI [15], T1SZ/TG1/IR1/OR1/SH1/EPD1 [30:16], V [31],
 *           IPS [34:32], AFFD [35], WXN [36], UWXN [37], TBI [39:38],
 *           PAN [40], AA64 [41], HD [42], HA [43], S/R/A/ASET [47:44],
 *           ASID [63:48]
 *   word 1: NSCFG0 [0], HAD0 [1], TTB0 [51:4]; [3:2] and [63:52] RES0
 *   word 2: TTB1 (not used), word 3: MAIR (no effect on the model)
 *
 * A CD with V=0, AA64=0, ENDI=1 (the tables are little endian), TG0 other
 * than 4 KiB (0b00), T0SZ outside 16..39, RES0 bits of word 1 set, or a
 * TTB0 not aligned to the size of its first table (at least 64 bytes) is
 * C_BAD_CD: BAD_CONFIG.  The input size is 64 - T0SZ bits; the walk
 * starts at level 0 (T0SZ 16..24), 1 (25..33) or 2 (34..39).  IPS gives
 * the output size: 32, 36, 40, 42, 44 or 48 bits, and 48 (the OAS) for
 * anything larger.  TBI0 ignores bits [63:56] of the input address.
 *
 * TTB1 is not modelled: T1SZ, TG1, EPD1 and TTB1 are ignored, and any
 * input address at or above 2^(64 - T0SZ) (after TBI0) is an
 * ADDRESS_SIZE fault at level 0, as an address outside TTB0's range.
 * EPD0=1 makes every address in that range a translation fault
 * (NOT_PRESENT) at level 0.  A TTB0 beyond the output size is an
 * ADDRESS_SIZE fault at level 0, as the Arm ARM reports a table base
 * address size fault.
 *
 * The CD cache (configuration cache, invalidated by CMD_CFGI_CD and
 * CMD_CFGI_CD_ALL): MOCK_SMMUV3_CD_CACHE slots, direct mapped by the low
 * bits of the substream ID (CD 0 for DMA without a substream).  A CD is
 * cached only when it is valid and well formed (one that faults is
 * fetched again next time); a cached CD is used without a fetch until
 * mock_smmuv3_cd_invalidate() drops it, or a CD of another substream
 * sharing the slot replaces it.  Level-1 descriptors are not cached on
 * their own: one fetched to reach a CD lives as long as that CD.
 *
 * VMSAv8-64 stage 1, 4 KiB granule ("Translation table descriptor
 * formats"): a level holds 512 descriptors indexed by 9 bits of the input
 * address, [47:39] at level 0 down to [20:12] at level 3.  Bit 0 clear:
 * invalid, NOT_PRESENT at that level.  Bit 1 at levels 0 to 2: set for a
 * table descriptor, clear for a block; a block at level 0 is a
 * translation fault (NOT_PRESENT), as is bit 1 clear (reserved) at level
 * 3.
 *
 *   table: next table [47:12], PXNTable [59], UXNTable [60],
 *          APTable [62:61]; bits [11:2] and [58:51] ignored
 *   block or page: AttrIndx [4:2], NS [5], AP [7:6], SH [9:8], AF [10],
 *          nG [11], OA [47:12] (page, level 3), [47:21] (2 MiB block,
 *          level 2) or [47:30] (1 GiB block, level 1), DBM [51],
 *          Contiguous [52], PXN [53], UXN [54]; [63:55] ignored
 *
 * Without 52-bit addresses, bits [50:48] of a descriptor are RES0: this
 * model takes them as address bits, so that a table or output address
 * with them set, or beyond the IPS output size, is an ADDRESS_SIZE fault
 * at the level of the descriptor.  The RES0 bits between bit 12 and a
 * block's OA ([20:12], [29:12]) set are a RESERVED fault (FEAT_BBM's nT
 * is not implemented).  AttrIndx, NS, SH, nG and Contiguous do not change
 * the translation: the IOTLB tags every entry with the ASID (nG clear is
 * not shared between ASIDs, which caching allows) and caches it at the
 * size of its descriptor.
 *
 * Permissions ("Memory access control"): a DMA with the PRIV attribute is
 * privileged (EL1), else unprivileged (EL0); one with INST (MOCK_ACC_EXEC)
 * is an instruction fetch, which also needs read permission.  AP[2:1]:
 * 0b00 privileged read/write, 0b01 read/write for both, 0b10 privileged
 * read-only, 0b11 read-only for both.  APTable[0] (bit 61) takes EL0
 * access away below the table, APTable[1] (bit 62) write access;
 * UXNTable and PXNTable add UXN and PXN below it; CD.HAD0 makes the walk
 * ignore these table attributes.  An unprivileged fetch needs UXN clear,
 * a privileged one PXN clear, and a page writable by EL0 is implicitly
 * PXN; with CD.WXN any writable page is execute-never.  "Writable" here
 * is AP[2] and APTable[1] alone, not DBM.  With CD.PAN a privileged data
 * access to a page accessible to EL0 faults.  Any refusal is a PERMISSION
 * fault at the level of the leaf.
 *
 * Access flag and dirty state (SMMUv3 "Translation table entries and
 * Access/Dirty flags"; Arm ARM "Hardware management of the Access flag
 * and dirty state"): a leaf with AF=0 is an ACCESS_FLAG fault, which
 * comes before permission checks, unless CD.HA is set (the SMMU sets AF)
 * or CD.AFFD is (the fault is disabled: AF is taken as set, not written).
 * CD.HD takes effect only with CD.HA: a write to a page with AP[2]=1 and
 * DBM=1 (writable-clean) is then permitted, and the SMMU clears AP[2]
 * (dirty).  The walk writes AF and AP[2] together, once the access is
 * known to be permitted (a refused access changes nothing), with
 * mock_s1_update64().  When that finds the descriptor changed (-EAGAIN),
 * the walk starts again from the first table, at most
 * MOCK_SMMUV3_WALK_TRIES times in all; a descriptor that keeps changing
 * under the walk beyond that ends it with a NOT_PRESENT fault at the
 * leaf's level, as if the DMA had been aborted.
 *
 * Commands (SMMUv3 4.3 "Configuration structure invalidation", 4.4 "TLB
 * invalidation"), opcode in bits [7:0] of word 0:
 *
 *   CMD_CFGI_CD (0x05): SSID [31:12], Leaf (word 1 [0])
 *   CMD_CFGI_CD_ALL (0x06)
 *   CMD_TLBI_NH_ALL (0x10)
 *   CMD_TLBI_NH_ASID (0x11): ASID [63:48]
 *   CMD_TLBI_NH_VA (0x12): NUM [16:12], SCALE [24:20], ASID [63:48];
 *                          word 1: Leaf [0], TTL [9:8], TG [11:10],
 *                          Address [63:12]
 *   CMD_TLBI_NH_VAA (0x13): as NH_VA without ASID
 *
 * StreamID [63:32] and VMID [47:32] are ignored; other bits are RES0 and
 * refused (-EINVAL).  A non-range NH_VA or NH_VAA (TG 0b00; NUM, SCALE
 * and TTL must then be 0) invalidates the 4 KiB page at Address; the IOTLB
 * drops every entry whose leaf covers it.  The range form (SMMUv3.2, TG
 * 0b01 for 4 KiB, the only granule of the mock) invalidates
 * (NUM + 1) * 2^SCALE pages from Address; TTL is a hint.  TG 16 KiB or
 * 64 KiB, and a range that wraps, are refused.  Any other opcode
 * (CMD_CFGI_STE, CMD_TLBI_S2_IPA, CMD_SYNC, ...) is -EOPNOTSUPP.
 */
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "mock_iommu.h"

/* Stream table entry, words 0 and 1 (SMMUv3 5.2) */
#define MOCK_SMMUV3_STE0_V		BIT_ULL(0)
#define MOCK_SMMUV3_STE0_CONFIG		GENMASK_ULL(3, 1)
#define MOCK_SMMUV3_STE0_CONFIG_ABORT	0
#define MOCK_SMMUV3_STE0_CONFIG_BYPASS	4
#define MOCK_SMMUV3_STE0_CONFIG_S1	5
#define MOCK_SMMUV3_STE0_S1FMT		GENMASK_ULL(5, 4)
#define MOCK_SMMUV3_STE0_S1FMT_LINEAR	0
#define MOCK_SMMUV3_STE0_S1FMT_4K_L2	1
#define MOCK_SMMUV3_STE0_S1FMT_64K_L2	2
#define MOCK_SMMUV3_STE0_S1CTXPTR	GENMASK_ULL(51, 6)
#define MOCK_SMMUV3_STE0_S1CDMAX	GENMASK_ULL(63, 59)

#define MOCK_SMMUV3_STE1_S1DSS		GENMASK_ULL(1, 0)
#define MOCK_SMMUV3_STE1_S1DSS_TERMINATE 0
#define MOCK_SMMUV3_STE1_S1DSS_BYPASS	1
#define MOCK_SMMUV3_STE1_S1DSS_SSID0	2
#define MOCK_SMMUV3_STE1_S1CIR		GENMASK_ULL(3, 2)
#define MOCK_SMMUV3_STE1_S1COR		GENMASK_ULL(5, 4)
#define MOCK_SMMUV3_STE1_S1CSH		GENMASK_ULL(7, 6)
#define MOCK_SMMUV3_STE1_S1STALLD	BIT_ULL(27)
#define MOCK_SMMUV3_STE1_EATS		GENMASK_ULL(29, 28)

#define MOCK_SMMUV3_STE0_ALLOWED					\
	(MOCK_SMMUV3_STE0_V | MOCK_SMMUV3_STE0_CONFIG |			\
	 MOCK_SMMUV3_STE0_S1FMT | MOCK_SMMUV3_STE0_S1CTXPTR |		\
	 MOCK_SMMUV3_STE0_S1CDMAX)
#define MOCK_SMMUV3_STE1_ALLOWED					\
	(MOCK_SMMUV3_STE1_S1DSS | MOCK_SMMUV3_STE1_S1CIR |		\
	 MOCK_SMMUV3_STE1_S1COR | MOCK_SMMUV3_STE1_S1CSH |		\
	 MOCK_SMMUV3_STE1_S1STALLD | MOCK_SMMUV3_STE1_EATS)

/* The mock's SMMU_IDR1.SSIDSIZE: the most S1CDMax may be. */
#define MOCK_SMMUV3_SSIDSIZE		IOASID_TEST_MOCK_PASID_BITS

/* Level 1 context descriptor (SMMUv3 5.3) */
#define MOCK_SMMUV3_L1CD_V		BIT_ULL(0)
#define MOCK_SMMUV3_L1CD_L2PTR		GENMASK_ULL(51, 12)
#define MOCK_SMMUV3_L1CD_RES0		(GENMASK_ULL(11, 1) | GENMASK_ULL(63, 52))
/* log2 of the CDs in a level-2 table: S1Fmt 0b01 (4 KiB), 0b10 (64 KiB) */
#define MOCK_SMMUV3_L2_SPLIT_4K		6
#define MOCK_SMMUV3_L2_SPLIT_64K	10

/* Context descriptor (SMMUv3 5.4) */
#define MOCK_SMMUV3_CD_SIZE		64
#define MOCK_SMMUV3_CD_WORDS		4
#define MOCK_SMMUV3_CD0_T0SZ		GENMASK_ULL(5, 0)
#define MOCK_SMMUV3_CD0_TG0		GENMASK_ULL(7, 6)
#define MOCK_SMMUV3_CD0_TG0_4K		0
#define MOCK_SMMUV3_CD0_EPD0		BIT_ULL(14)
#define MOCK_SMMUV3_CD0_ENDI		BIT_ULL(15)
#define MOCK_SMMUV3_CD0_V		BIT_ULL(31)
#define MOCK_SMMUV3_CD0_IPS		GENMASK_ULL(34, 32)
#define MOCK_SMMUV3_CD0_AFFD		BIT_ULL(35)
#define MOCK_SMMUV3_CD0_WXN		BIT_ULL(36)
#define MOCK_SMMUV3_CD0_UWXN		BIT_ULL(37)
#define MOCK_SMMUV3_CD0_TBI0		BIT_ULL(38)
#define MOCK_SMMUV3_CD0_TBI1		BIT_ULL(39)
#define MOCK_SMMUV3_CD0_PAN		BIT_ULL(40)
#define MOCK_SMMUV3_CD0_AA64		BIT_ULL(41)
#define MOCK_SMMUV3_CD0_HD		BIT_ULL(42)
#define MOCK_SMMUV3_CD0_HA		BIT_ULL(43)
#define MOCK_SMMUV3_CD0_ASID		GENMASK_ULL(63, 48)
#define MOCK_SMMUV3_CD1_NSCFG0		BIT_ULL(0)
#define MOCK_SMMUV3_CD1_HAD0		BIT_ULL(1)
#define MOCK_SMMUV3_CD1_TTB0		GENMASK_ULL(51, 4)
#define MOCK_SMMUV3_CD1_RES0		(GENMASK_ULL(3, 2) | GENMASK_ULL(63, 52))

/* T0SZ for the 4 KiB granule, without 52-bit VAs or small tables */
#define MOCK_SMMUV3_T0SZ_MIN		16
#define MOCK_SMMUV3_T0SZ_MAX		39
/* SMMU_IDR5.OAS of the mock, and so the largest IPS */
#define MOCK_SMMUV3_OAS_BITS		48

/* VMSAv8-64 descriptors, 4 KiB granule */
#define MOCK_SMMUV3_PTE_VALID		BIT_ULL(0)
#define MOCK_SMMUV3_PTE_TABLE		BIT_ULL(1)	/* levels 0-2 */
#define MOCK_SMMUV3_PTE_PAGE		BIT_ULL(1)	/* level 3 */
#define MOCK_SMMUV3_PTE_AP_EL0		BIT_ULL(6)	/* AP[1] */
#define MOCK_SMMUV3_PTE_AP_RO		BIT_ULL(7)	/* AP[2] */
#define MOCK_SMMUV3_PTE_AF		BIT_ULL(10)
#define MOCK_SMMUV3_PTE_DBM		BIT_ULL(51)
#define MOCK_SMMUV3_PTE_PXN		BIT_ULL(53)
#define MOCK_SMMUV3_PTE_UXN		BIT_ULL(54)
/* Address field, with the RES0 bits [50:48] taken as address bits */
#define MOCK_SMMUV3_PTE_ADDR		GENMASK_ULL(50, 12)
#define MOCK_SMMUV3_TBL_PXN		BIT_ULL(59)
#define MOCK_SMMUV3_TBL_UXN		BIT_ULL(60)
#define MOCK_SMMUV3_TBL_AP_NO_EL0	BIT_ULL(61)	/* APTable[0] */
#define MOCK_SMMUV3_TBL_AP_RO		BIT_ULL(62)	/* APTable[1] */

#define MOCK_SMMUV3_LEVELS		4
#define MOCK_SMMUV3_LEVEL_BITS		9
#define MOCK_SMMUV3_PAGE_SHIFT		12

/* Walks of one translation, when setting AF or dirty races with the table */
#define MOCK_SMMUV3_WALK_TRIES		8

/* Commands (SMMUv3 chapter 4) */
#define MOCK_SMMUV3_CMD0_OP		GENMASK_ULL(7, 0)
#define MOCK_SMMUV3_OP_CFGI_CD		0x05
#define MOCK_SMMUV3_OP_CFGI_CD_ALL	0x06
#define MOCK_SMMUV3_OP_TLBI_NH_ALL	0x10
#define MOCK_SMMUV3_OP_TLBI_NH_ASID	0x11
#define MOCK_SMMUV3_OP_TLBI_NH_VA	0x12
#define MOCK_SMMUV3_OP_TLBI_NH_VAA	0x13
#define MOCK_SMMUV3_CMD0_SSID		GENMASK_ULL(31, 12)
#define MOCK_SMMUV3_CMD0_SID		GENMASK_ULL(63, 32)
#define MOCK_SMMUV3_CMD0_NUM		GENMASK_ULL(16, 12)
#define MOCK_SMMUV3_CMD0_SCALE		GENMASK_ULL(24, 20)
#define MOCK_SMMUV3_CMD0_VMID		GENMASK_ULL(47, 32)
#define MOCK_SMMUV3_CMD0_ASID		GENMASK_ULL(63, 48)
#define MOCK_SMMUV3_CMD1_LEAF		BIT_ULL(0)
#define MOCK_SMMUV3_CMD1_TTL		GENMASK_ULL(9, 8)
#define MOCK_SMMUV3_CMD1_TG		GENMASK_ULL(11, 10)
#define MOCK_SMMUV3_CMD1_TG_4K		1
#define MOCK_SMMUV3_CMD1_ADDR		GENMASK_ULL(63, 12)

/* ID registers (SMMUv3 6.3) */
#define MOCK_SMMUV3_IDR0_S2P		BIT(0)
#define MOCK_SMMUV3_IDR0_S1P		BIT(1)
#define MOCK_SMMUV3_IDR0_TTF		GENMASK(3, 2)
#define MOCK_SMMUV3_IDR0_TTF_AARCH64	2
#define MOCK_SMMUV3_IDR0_COHACC		BIT(4)
#define MOCK_SMMUV3_IDR0_HTTU		GENMASK(7, 6)
#define MOCK_SMMUV3_IDR0_HTTU_AD	2
#define MOCK_SMMUV3_IDR0_ASID16		BIT(12)
#define MOCK_SMMUV3_IDR0_MSI		BIT(13)
#define MOCK_SMMUV3_IDR0_PRI		BIT(16)
#define MOCK_SMMUV3_IDR0_VMID16		BIT(18)
#define MOCK_SMMUV3_IDR0_CD2L		BIT(19)
#define MOCK_SMMUV3_IDR0_TTENDIAN	GENMASK(22, 21)
#define MOCK_SMMUV3_IDR0_TTENDIAN_LE	2
#define MOCK_SMMUV3_IDR0_STALL_MODEL	GENMASK(25, 24)
#define MOCK_SMMUV3_IDR0_STALL_BOTH	0
#define MOCK_SMMUV3_IDR0_STALL_NONE	1
#define MOCK_SMMUV3_IDR0_TERM_MODEL	BIT(26)
#define MOCK_SMMUV3_IDR0_ST_LVL		GENMASK(28, 27)
#define MOCK_SMMUV3_IDR0_ST_LVL_2LVL	1
#define MOCK_SMMUV3_IDR1_SIDSIZE	GENMASK(5, 0)
#define MOCK_SMMUV3_IDR1_SSIDSIZE	GENMASK(10, 6)
#define MOCK_SMMUV3_IDR1_PRIQS		GENMASK(15, 11)
#define MOCK_SMMUV3_IDR1_EVTQS		GENMASK(20, 16)
#define MOCK_SMMUV3_IDR1_CMDQS		GENMASK(25, 21)
#define MOCK_SMMUV3_IDR3_HAD		BIT(2)
#define MOCK_SMMUV3_IDR3_RIL		BIT(10)
#define MOCK_SMMUV3_IDR5_OAS		GENMASK(2, 0)
#define MOCK_SMMUV3_IDR5_OAS_48_BIT	5
#define MOCK_SMMUV3_IDR5_GRAN4K		BIT(4)
#define MOCK_SMMUV3_IDR5_STALL_MAX	GENMASK(31, 16)
#define MOCK_SMMUV3_AIDR_V3_2		0x02

/**
 * struct mock_smmuv3_tt - The stage-1 translation a context descriptor sets
 * @ttb: TTB0, the address of the first table
 * @ia_bits: Input address size, 64 - T0SZ
 * @oa_bits: Output address size, from IPS
 * @start: Level of the first table
 * @asid: ASID
 * @epd0: TTB0 walks are disabled
 * @tbi: Top byte ignored (TBI0)
 * @had: Table attributes ignored (HAD0)
 * @ha: Hardware sets the Access flag
 * @hd: Hardware sets the dirty state (HD, in effect with HA only)
 * @affd: Access flag faults disabled
 * @wxn: Writable means execute-never
 * @pan: Privileged data accesses to EL0 pages fault
 */
struct mock_smmuv3_tt {
	u64 ttb;
	u32 ia_bits;
	u32 oa_bits;
	u32 start;
	u16 asid;
	bool epd0;
	bool tbi;
	bool had;
	bool ha;
	bool hd;
	bool affd;
	bool wxn;
	bool pan;
};

/*
 * mock_smmuv3_ste_check() - Validate STE words 0 and 1 as the SMMU and a
 * hypervisor do: 0 or -EINVAL.
 */
static int mock_smmuv3_ste_check(u64 ste0, u64 ste1)
{
	u32 cdmax, split;
	u64 size;

	if ((ste0 & ~MOCK_SMMUV3_STE0_ALLOWED) ||
	    (ste1 & ~MOCK_SMMUV3_STE1_ALLOWED))
		return -EINVAL;
	if (!(ste0 & MOCK_SMMUV3_STE0_V))
		return 0;

	switch (FIELD_GET(MOCK_SMMUV3_STE0_CONFIG, ste0)) {
	case MOCK_SMMUV3_STE0_CONFIG_ABORT:
	case MOCK_SMMUV3_STE0_CONFIG_BYPASS:
		return 0;
	case MOCK_SMMUV3_STE0_CONFIG_S1:
		break;
	default:
		return -EINVAL;
	}

	cdmax = FIELD_GET(MOCK_SMMUV3_STE0_S1CDMAX, ste0);
	if (cdmax > MOCK_SMMUV3_SSIDSIZE)
		return -EINVAL;
	/* A single CD: S1ContextPtr is 64-byte aligned by its encoding. */
	if (!cdmax)
		return 0;
	if (FIELD_GET(MOCK_SMMUV3_STE1_S1DSS, ste1) >
	    MOCK_SMMUV3_STE1_S1DSS_SSID0)
		return -EINVAL;

	switch (FIELD_GET(MOCK_SMMUV3_STE0_S1FMT, ste0)) {
	case MOCK_SMMUV3_STE0_S1FMT_LINEAR:
		size = (u64)MOCK_SMMUV3_CD_SIZE << cdmax;
		break;
	case MOCK_SMMUV3_STE0_S1FMT_4K_L2:
		split = MOCK_SMMUV3_L2_SPLIT_4K;
		size = sizeof(u64) << (cdmax > split ? cdmax - split : 0);
		break;
	case MOCK_SMMUV3_STE0_S1FMT_64K_L2:
		split = MOCK_SMMUV3_L2_SPLIT_64K;
		size = sizeof(u64) << (cdmax > split ? cdmax - split : 0);
		break;
	default:
		return -EINVAL;
	}
	size = max_t(u64, size, MOCK_SMMUV3_CD_SIZE);
	if ((ste0 & MOCK_SMMUV3_STE0_S1CTXPTR) & (size - 1))
		return -EINVAL;
	return 0;
}

/**
 * mock_smmuv3_s1_init() - Take the stage 1 of a nested SMMUv3 domain
 * @s1: Out, the validated STE and an empty CD cache
 * @user_data: &struct ioasid_hwpt_arm_smmuv3 of %IOASID_HWPT_DATA_ARM_SMMUV3
 *
 * Copy the guest's STE words 0 and 1 and validate them as the file header
 * describes: only the stage-1 fields, a known Config, and with stage-1
 * translate a supported S1Fmt and S1DSS, S1CDMax up to the mock's
 * SSIDSIZE and a CD table aligned to its size.  The CDs themselves stay in
 * guest memory, fetched by the walks.  @s1 is written only on success.
 *
 * Return: 0; -EINVAL for a refused STE, or as
 * iommu_copy_struct_from_user() refuses: another data type, or a length
 * other than the structure's; -EFAULT.
 */
int mock_smmuv3_s1_init(struct mock_smmuv3_s1 *s1,
			const struct iommu_user_data *user_data)
{
	struct ioasid_hwpt_arm_smmuv3 data;
	u64 ste0, ste1;
	int ret;

	ret = iommu_copy_struct_from_user(&data, user_data,
					  IOASID_HWPT_DATA_ARM_SMMUV3, ste);
	if (ret)
		return ret;
	ste0 = le64_to_cpu(data.ste[0]);
	ste1 = le64_to_cpu(data.ste[1]);
	ret = mock_smmuv3_ste_check(ste0, ste1);
	if (ret)
		return ret;

	memset(s1, 0, sizeof(*s1));
	s1->ste[0] = ste0;
	s1->ste[1] = ste1;
	return 0;
}

/* A fault of the configuration, outside the table walk: level 0. */
static int mock_smmuv3_cfg_fault(struct mock_walk *w, u32 reason)
{
	return mock_walk_fault(w, 1, reason, 0, 0, w->iova);
}

/* Stage 1 bypassed: the DMA's address goes on to stage 2 as it is. */
static int mock_smmuv3_bypass(struct mock_walk *w)
{
	w->oa = w->iova;
	w->leaf_size = SZ_4K;
	w->tag = 0;
	return 0;
}

/*
 * mock_smmuv3_cd_addr() - Where the CD of substream @ssid is: through the
 * level-1 descriptor for a two-level table.
 */
static int mock_smmuv3_cd_addr(const struct mock_smmuv3_s1 *s1,
			       struct mock_walk *w, u32 ssid, u64 *addr)
{
	u64 ste0 = s1->ste[0];
	u64 base = ste0 & MOCK_SMMUV3_STE0_S1CTXPTR;
	u32 fmt = FIELD_GET(MOCK_SMMUV3_STE0_S1FMT, ste0);
	u64 l1, l2;
	u32 split;
	int ret;

	if (!FIELD_GET(MOCK_SMMUV3_STE0_S1CDMAX, ste0) ||
	    fmt == MOCK_SMMUV3_STE0_S1FMT_LINEAR) {
		*addr = base + (u64)ssid * MOCK_SMMUV3_CD_SIZE;
		return 0;
	}

	/* mock_smmuv3_ste_check() let no other format through. */
	split = fmt == MOCK_SMMUV3_STE0_S1FMT_4K_L2 ?
		MOCK_SMMUV3_L2_SPLIT_4K : MOCK_SMMUV3_L2_SPLIT_64K;
	ret = mock_s1_read64(w, base + (u64)(ssid >> split) * sizeof(u64), 0,
			     &l1);
	if (ret)
		return ret;
	l2 = l1 & MOCK_SMMUV3_L1CD_L2PTR;
	/* Invalid: C_BAD_SUBSTREAMID; RES0 or a misaligned table: C_BAD_CD */
	if (!(l1 & MOCK_SMMUV3_L1CD_V) || (l1 & MOCK_SMMUV3_L1CD_RES0) ||
	    (l2 & (((u64)MOCK_SMMUV3_CD_SIZE << split) - 1)))
		return mock_smmuv3_cfg_fault(w, IOASID_TEST_FAULT_BAD_CONFIG);
	*addr = l2 + (u64)(ssid & (BIT(split) - 1)) * MOCK_SMMUV3_CD_SIZE;
	return 0;
}

/* The size in bits of an IPS encoding, at most the mock's OAS. */
static u32 mock_smmuv3_ips_bits(u32 ips)
{
	static const u8 bits[] = { 32, 36, 40, 42, 44, 48 };

	return ips < ARRAY_SIZE(bits) ? bits[ips] : MOCK_SMMUV3_OAS_BITS;
}

/*
 * mock_smmuv3_cd_parse() - Check a fetched CD (C_BAD_CD: false) and
 * decode the translation it sets.
 */
static bool mock_smmuv3_cd_parse(const u64 *cd, struct mock_smmuv3_tt *tt)
{
	u64 cd0 = cd[0], cd1 = cd[1];
	u32 t0sz = FIELD_GET(MOCK_SMMUV3_CD0_T0SZ, cd0);
	u64 table_size;

	if (!(cd0 & MOCK_SMMUV3_CD0_V) || !(cd0 & MOCK_SMMUV3_CD0_AA64) ||
	    (cd0 & MOCK_SMMUV3_CD0_ENDI) ||
	    FIELD_GET(MOCK_SMMUV3_CD0_TG0, cd0) != MOCK_SMMUV3_CD0_TG0_4K ||
	    t0sz < MOCK_SMMUV3_T0SZ_MIN || t0sz > MOCK_SMMUV3_T0SZ_MAX ||
	    (cd1 & MOCK_SMMUV3_CD1_RES0))
		return false;

	tt->ia_bits = 64 - t0sz;
	tt->start = MOCK_SMMUV3_LEVELS -
		    DIV_ROUND_UP(tt->ia_bits - MOCK_SMMUV3_PAGE_SHIFT,
				 MOCK_SMMUV3_LEVEL_BITS);
	/* The first table holds the descriptors the remaining bits index. */
	table_size = sizeof(u64) <<
		     (tt->ia_bits - MOCK_SMMUV3_PAGE_SHIFT -
		      MOCK_SMMUV3_LEVEL_BITS * (MOCK_SMMUV3_LEVELS - 1 -
						tt->start));
	table_size = max_t(u64, table_size, 64);
	tt->ttb = cd1 & MOCK_SMMUV3_CD1_TTB0;
	if (tt->ttb & (table_size - 1))
		return false;

	tt->oa_bits = mock_smmuv3_ips_bits(FIELD_GET(MOCK_SMMUV3_CD0_IPS, cd0));
	tt->asid = FIELD_GET(MOCK_SMMUV3_CD0_ASID, cd0);
	tt->epd0 = cd0 & MOCK_SMMUV3_CD0_EPD0;
	tt->tbi = cd0 & MOCK_SMMUV3_CD0_TBI0;
	tt->had = cd1 & MOCK_SMMUV3_CD1_HAD0;
	tt->ha = cd0 & MOCK_SMMUV3_CD0_HA;
	tt->hd = tt->ha && (cd0 & MOCK_SMMUV3_CD0_HD);
	tt->affd = cd0 & MOCK_SMMUV3_CD0_AFFD;
	tt->wxn = cd0 & MOCK_SMMUV3_CD0_WXN;
	tt->pan = cd0 & MOCK_SMMUV3_CD0_PAN;
	return true;
}

/*
 * mock_smmuv3_cd_get() - The CD of substream @ssid, from the CD cache or
 * fetched (and cached when well formed), decoded into @tt.
 */
static int mock_smmuv3_cd_get(struct mock_smmuv3_s1 *s1, struct mock_walk *w,
			      u32 ssid, struct mock_smmuv3_tt *tt)
{
	struct mock_smmuv3_cd *slot =
		&s1->cd_cache[ssid % MOCK_SMMUV3_CD_CACHE];
	u64 cd[MOCK_SMMUV3_CD_WORDS];
	u64 addr;
	int ret, i;

	/* Only a well-formed CD is cached: it decodes again as it did. */
	if (slot->valid && slot->ssid == ssid &&
	    mock_smmuv3_cd_parse(slot->cd, tt))
		return 0;

	ret = mock_smmuv3_cd_addr(s1, w, ssid, &addr);
	if (ret)
		return ret;
	for (i = 0; i < MOCK_SMMUV3_CD_WORDS; i++) {
		ret = mock_s1_read64(w, addr + i * sizeof(u64), 0, &cd[i]);
		if (ret)
			return ret;
	}
	if (!mock_smmuv3_cd_parse(cd, tt))
		return mock_smmuv3_cfg_fault(w, IOASID_TEST_FAULT_BAD_CONFIG);

	slot->valid = true;
	slot->ssid = ssid;
	memcpy(slot->cd, cd, sizeof(cd));
	return 0;
}

/*
 * mock_smmuv3_leaf() - Check a block or page descriptor @desc at @addr,
 * @level, against the access, set AF and dirty state as the CD asks, and
 * fill the translation.  @el0_tbl, @ro_tbl, @uxn_tbl and @pxn_tbl are the
 * restrictions the table descriptors above it add.  -EAGAIN when the
 * descriptor changed before its update.
 */
static int mock_smmuv3_leaf(struct mock_walk *w,
			    const struct mock_smmuv3_tt *tt, u64 ia, u64 addr,
			    u32 level, u64 desc, bool no_el0_tbl, bool ro_tbl,
			    bool uxn_tbl, bool pxn_tbl)
{
	u32 shift = MOCK_SMMUV3_PAGE_SHIFT +
		    MOCK_SMMUV3_LEVEL_BITS * (MOCK_SMMUV3_LEVELS - 1 - level);
	bool priv = w->access & MOCK_ACC_PRIV;
	bool el0, writable, xn;
	u64 oa, new = desc;
	int ret;

	/* Bits between the granule and the block's OA are RES0. */
	oa = desc & MOCK_SMMUV3_PTE_ADDR;
	if (oa & (BIT_ULL(shift) - 1))
		return mock_walk_fault(w, 1, IOASID_TEST_FAULT_RESERVED,
				       level, 0, w->iova);
	if (oa >> tt->oa_bits)
		return mock_walk_fault(w, 1, IOASID_TEST_FAULT_ADDRESS_SIZE,
				       level, 0, w->iova);

	/* An Access flag fault comes before a Permission fault. */
	if (!(desc & MOCK_SMMUV3_PTE_AF)) {
		if (tt->ha)
			new |= MOCK_SMMUV3_PTE_AF;
		else if (!tt->affd)
			return mock_walk_fault(w, 1,
					       IOASID_TEST_FAULT_ACCESS_FLAG,
					       level, 0, w->iova);
	}

	el0 = (desc & MOCK_SMMUV3_PTE_AP_EL0) && !no_el0_tbl;
	writable = !(desc & MOCK_SMMUV3_PTE_AP_RO) && !ro_tbl;
	if (!priv && !el0)
		goto permission;
	if (priv && tt->pan && el0 && !(w->access & MOCK_ACC_EXEC))
		goto permission;
	if ((w->access & MOCK_ACC_WRITE) && !writable) {
		/* Writable-clean: the SMMU marks it dirty. */
		if (ro_tbl || !tt->hd || !(desc & MOCK_SMMUV3_PTE_DBM))
			goto permission;
		new &= ~MOCK_SMMUV3_PTE_AP_RO;
	}
	if (w->access & MOCK_ACC_EXEC) {
		if (priv)
			xn = (desc & MOCK_SMMUV3_PTE_PXN) || pxn_tbl ||
			     (el0 && writable);
		else
			xn = (desc & MOCK_SMMUV3_PTE_UXN) || uxn_tbl;
		if (xn || (tt->wxn && writable))
			goto permission;
	}

	if (new != desc) {
		ret = mock_s1_update64(w, addr, level, desc, new);
		if (ret)
			return ret;
	}
	w->leaf_size = BIT_ULL(shift);
	w->oa = oa | (ia & (w->leaf_size - 1));
	w->tag = tt->asid;
	return 0;

permission:
	return mock_walk_fault(w, 1, IOASID_TEST_FAULT_PERMISSION, level, 0,
			       w->iova);
}

/*
 * mock_smmuv3_tt_walk() - One walk of the VMSAv8-64 tables of @tt for
 * input address @ia, from the first table.  @leaf_level is where it
 * stopped.  -EAGAIN when an update of the leaf raced with a change of it.
 */
static int mock_smmuv3_tt_walk(struct mock_walk *w,
			       const struct mock_smmuv3_tt *tt, u64 ia,
			       u32 *leaf_level)
{
	bool no_el0_tbl = false, ro_tbl = false;
	bool uxn_tbl = false, pxn_tbl = false;
	u64 table = tt->ttb, addr, desc;
	u32 level, shift;
	int ret;

	for (level = tt->start; level < MOCK_SMMUV3_LEVELS; level++) {
		*leaf_level = level;
		shift = MOCK_SMMUV3_PAGE_SHIFT +
			MOCK_SMMUV3_LEVEL_BITS *
			(MOCK_SMMUV3_LEVELS - 1 - level);
		addr = table + ((ia >> shift) & GENMASK_ULL(8, 0)) *
			       sizeof(u64);
		ret = mock_s1_read64(w, addr, level, &desc);
		if (ret)
			return ret;
		if (!(desc & MOCK_SMMUV3_PTE_VALID))
			break;

		if (level == MOCK_SMMUV3_LEVELS - 1 ?
		    desc & MOCK_SMMUV3_PTE_PAGE :
		    !(desc & MOCK_SMMUV3_PTE_TABLE)) {
			/* A block at level 0 translates nothing. */
			if (!level)
				break;
			return mock_smmuv3_leaf(w, tt, ia, addr, level, desc,
						no_el0_tbl, ro_tbl, uxn_tbl,
						pxn_tbl);
		}
		/* Bit 1 clear at level 3 is reserved: a translation fault. */
		if (level == MOCK_SMMUV3_LEVELS - 1)
			break;

		table = desc & MOCK_SMMUV3_PTE_ADDR;
		if (table >> tt->oa_bits)
			return mock_walk_fault(w, 1,
					       IOASID_TEST_FAULT_ADDRESS_SIZE,
					       level, 0, w->iova);
		if (!tt->had) {
			no_el0_tbl |= !!(desc & MOCK_SMMUV3_TBL_AP_NO_EL0);
			ro_tbl |= !!(desc & MOCK_SMMUV3_TBL_AP_RO);
			uxn_tbl |= !!(desc & MOCK_SMMUV3_TBL_UXN);
			pxn_tbl |= !!(desc & MOCK_SMMUV3_TBL_PXN);
		}
	}
	return mock_walk_fault(w, 1, IOASID_TEST_FAULT_NOT_PRESENT, level, 0,
			       w->iova);
}

/**
 * mock_smmuv3_s1_walk() - Translate a DMA through the guest's stage 1
 * @s1: The nested domain's STE and CD cache; the caller serialises walks
 *      and invalidations of it
 * @w: The walk: @w->iova, @w->pasid (the substream, %IOMMU_NO_PASID for
 *     none) and @w->access in; @w->oa, @w->leaf_size and @w->tag (the
 *     ASID, 0 when stage 1 is bypassed) out
 *
 * Select the CD from the STE and the substream, take it from the CD
 * cache or fetch and check it, and walk its AArch64 tables, setting the
 * Access flag and dirty state as the CD asks, all as the file header
 * describes.  Every table and CD access goes through mock_s1_read64() and
 * mock_s1_update64(), whose stage-2 faults are passed on.
 *
 * Return: 0, or the errno of the fault filled in @w->fault: -EACCES for
 * a permission fault, -ENXIO for the others.
 */
int mock_smmuv3_s1_walk(struct mock_smmuv3_s1 *s1, struct mock_walk *w)
{
	u64 ste0 = s1->ste[0];
	u32 cdmax = FIELD_GET(MOCK_SMMUV3_STE0_S1CDMAX, ste0);
	u32 s1dss = FIELD_GET(MOCK_SMMUV3_STE1_S1DSS, s1->ste[1]);
	struct mock_smmuv3_tt tt;
	u32 ssid, level = 0;
	int ret, try;
	u64 ia;

	if (!(ste0 & MOCK_SMMUV3_STE0_V))
		return mock_smmuv3_cfg_fault(w, IOASID_TEST_FAULT_ABORT);
	switch (FIELD_GET(MOCK_SMMUV3_STE0_CONFIG, ste0)) {
	case MOCK_SMMUV3_STE0_CONFIG_S1:
		break;
	case MOCK_SMMUV3_STE0_CONFIG_BYPASS:
		return mock_smmuv3_bypass(w);
	default:
		return mock_smmuv3_cfg_fault(w, IOASID_TEST_FAULT_ABORT);
	}

	if (w->pasid == IOMMU_NO_PASID) {
		ssid = 0;
		if (cdmax && s1dss == MOCK_SMMUV3_STE1_S1DSS_BYPASS)
			return mock_smmuv3_bypass(w);
		if (cdmax && s1dss != MOCK_SMMUV3_STE1_S1DSS_SSID0)
			return mock_smmuv3_cfg_fault(w,
						     IOASID_TEST_FAULT_BAD_CONFIG);
	} else {
		ssid = w->pasid;
		if (!cdmax || ssid >= BIT(cdmax))
			return mock_smmuv3_cfg_fault(w,
						     IOASID_TEST_FAULT_BAD_CONFIG);
	}

	ret = mock_smmuv3_cd_get(s1, w, ssid, &tt);
	if (ret)
		return ret;

	ia = w->iova;
	if (tt.tbi)
		ia &= GENMASK_ULL(55, 0);
	if (ia >> tt.ia_bits)
		return mock_smmuv3_cfg_fault(w,
					     IOASID_TEST_FAULT_ADDRESS_SIZE);
	if (tt.epd0)
		return mock_smmuv3_cfg_fault(w, IOASID_TEST_FAULT_NOT_PRESENT);
	if (tt.ttb >> tt.oa_bits)
		return mock_smmuv3_cfg_fault(w,
					     IOASID_TEST_FAULT_ADDRESS_SIZE);

	for (try = 0; try < MOCK_SMMUV3_WALK_TRIES; try++) {
		ret = mock_smmuv3_tt_walk(w, &tt, ia, &level);
		if (ret != -EAGAIN)
			return ret;
	}
	return mock_walk_fault(w, 1, IOASID_TEST_FAULT_NOT_PRESENT, level, 0,
			       w->iova);
}

/* RES0 bits of each supported command, words 0 and 1 */
#define MOCK_SMMUV3_CFGI_CD_RES0_0	GENMASK_ULL(11, 8)
#define MOCK_SMMUV3_CFGI_CD_RES0_1	GENMASK_ULL(63, 1)
#define MOCK_SMMUV3_CFGI_ALL_RES0_0	GENMASK_ULL(31, 8)
#define MOCK_SMMUV3_NH_ALL_RES0_0	(GENMASK_ULL(31, 8) | GENMASK_ULL(63, 48))
#define MOCK_SMMUV3_NH_ASID_RES0_0	GENMASK_ULL(31, 8)
#define MOCK_SMMUV3_NH_VA_RES0_0					\
	(GENMASK_ULL(11, 8) | GENMASK_ULL(19, 17) | GENMASK_ULL(31, 25))
#define MOCK_SMMUV3_NH_VA_RES0_1	GENMASK_ULL(7, 1)

/* Decode CMD_TLBI_NH_VA and CMD_TLBI_NH_VAA into @inv's range. */
static int mock_smmuv3_inv_va(u64 cmd0, u64 cmd1, struct mock_inv *inv)
{
	u32 num = FIELD_GET(MOCK_SMMUV3_CMD0_NUM, cmd0);
	u32 scale = FIELD_GET(MOCK_SMMUV3_CMD0_SCALE, cmd0);
	u64 size;

	if ((cmd0 & MOCK_SMMUV3_NH_VA_RES0_0) ||
	    (cmd1 & MOCK_SMMUV3_NH_VA_RES0_1))
		return -EINVAL;
	inv->first = cmd1 & MOCK_SMMUV3_CMD1_ADDR;
	inv->leaf = cmd1 & MOCK_SMMUV3_CMD1_LEAF;

	switch (FIELD_GET(MOCK_SMMUV3_CMD1_TG, cmd1)) {
	case 0:
		/* Not a range: the last-level entry at Address. */
		if (num || scale || FIELD_GET(MOCK_SMMUV3_CMD1_TTL, cmd1))
			return -EINVAL;
		size = SZ_4K;
		break;
	case MOCK_SMMUV3_CMD1_TG_4K:
		/* (NUM + 1) * 2^SCALE granules; TTL is only a hint. */
		size = ((u64)num + 1) << (scale + MOCK_SMMUV3_PAGE_SHIFT);
		break;
	default:
		/* A granule the mock does not have */
		return -EINVAL;
	}
	if (inv->first + (size - 1) < inv->first)
		return -EINVAL;
	inv->last = inv->first + (size - 1);
	return 0;
}

/**
 * mock_smmuv3_inv_decode() - Read one command of a guest's command queue
 * @array: The user's array of &struct ioasid_hwpt_arm_smmuv3_invalidate
 * @index: The entry to read
 * @inv: Out, what the command invalidates
 *
 * Decode the stage-1 invalidations the file header lists: CMD_CFGI_CD and
 * CMD_CFGI_CD_ALL into %MOCK_INV_CFG (@inv->tag the substream) and
 * %MOCK_INV_CFG_ALL; CMD_TLBI_NH_ALL into %MOCK_INV_ALL; CMD_TLBI_NH_ASID
 * into %MOCK_INV_TAG (@inv->tag the ASID); CMD_TLBI_NH_VA into
 * %MOCK_INV_RANGE and CMD_TLBI_NH_VAA into %MOCK_INV_RANGE_ALL_TAGS.
 * StreamID and VMID are ignored.
 *
 * Return: 0; -EOPNOTSUPP for another command; -EINVAL for RES0 bits set,
 * a granule other than 4 KiB or a wrapping range, or as
 * iommu_copy_struct_from_user_array() refuses: another data type, an
 * entry length other than the structure's, an index beyond the array;
 * -EFAULT.
 */
int mock_smmuv3_inv_decode(const struct iommu_user_data_array *array,
			   u32 index, struct mock_inv *inv)
{
	struct ioasid_hwpt_arm_smmuv3_invalidate e;
	u64 cmd0, cmd1;
	int ret;

	ret = iommu_copy_struct_from_user_array(&e, array,
						IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3,
						index, cmd);
	if (ret)
		return ret;
	cmd0 = le64_to_cpu(e.cmd[0]);
	cmd1 = le64_to_cpu(e.cmd[1]);
	memset(inv, 0, sizeof(*inv));

	switch (FIELD_GET(MOCK_SMMUV3_CMD0_OP, cmd0)) {
	case MOCK_SMMUV3_OP_CFGI_CD:
		if ((cmd0 & MOCK_SMMUV3_CFGI_CD_RES0_0) ||
		    (cmd1 & MOCK_SMMUV3_CFGI_CD_RES0_1))
			return -EINVAL;
		inv->kind = MOCK_INV_CFG;
		inv->tag = FIELD_GET(MOCK_SMMUV3_CMD0_SSID, cmd0);
		inv->leaf = cmd1 & MOCK_SMMUV3_CMD1_LEAF;
		return 0;
	case MOCK_SMMUV3_OP_CFGI_CD_ALL:
		if ((cmd0 & MOCK_SMMUV3_CFGI_ALL_RES0_0) || cmd1)
			return -EINVAL;
		inv->kind = MOCK_INV_CFG_ALL;
		return 0;
	case MOCK_SMMUV3_OP_TLBI_NH_ALL:
		if ((cmd0 & MOCK_SMMUV3_NH_ALL_RES0_0) || cmd1)
			return -EINVAL;
		inv->kind = MOCK_INV_ALL;
		return 0;
	case MOCK_SMMUV3_OP_TLBI_NH_ASID:
		if ((cmd0 & MOCK_SMMUV3_NH_ASID_RES0_0) || cmd1)
			return -EINVAL;
		inv->kind = MOCK_INV_TAG;
		inv->tag = FIELD_GET(MOCK_SMMUV3_CMD0_ASID, cmd0);
		return 0;
	case MOCK_SMMUV3_OP_TLBI_NH_VA:
		inv->kind = MOCK_INV_RANGE;
		inv->tag = FIELD_GET(MOCK_SMMUV3_CMD0_ASID, cmd0);
		return mock_smmuv3_inv_va(cmd0, cmd1, inv);
	case MOCK_SMMUV3_OP_TLBI_NH_VAA:
		if (cmd0 & MOCK_SMMUV3_CMD0_ASID)
			return -EINVAL;
		inv->kind = MOCK_INV_RANGE_ALL_TAGS;
		return mock_smmuv3_inv_va(cmd0, cmd1, inv);
	default:
		return -EOPNOTSUPP;
	}
}

/**
 * mock_smmuv3_cd_invalidate() - Drop cached context descriptors
 * @s1: The nested domain's CD cache; the caller serialises it with walks
 * @inv: A decoded command: %MOCK_INV_CFG drops the CD of substream
 *       @inv->tag (with the level-1 descriptor fetched for it, whatever
 *       Leaf says), %MOCK_INV_CFG_ALL every CD; other kinds are ignored
 */
void mock_smmuv3_cd_invalidate(struct mock_smmuv3_s1 *s1,
			       const struct mock_inv *inv)
{
	struct mock_smmuv3_cd *slot;

	switch (inv->kind) {
	case MOCK_INV_CFG:
		slot = &s1->cd_cache[inv->tag % MOCK_SMMUV3_CD_CACHE];
		if (slot->ssid == inv->tag)
			slot->valid = false;
		break;
	case MOCK_INV_CFG_ALL:
		for (slot = s1->cd_cache;
		     slot < s1->cd_cache + MOCK_SMMUV3_CD_CACHE; slot++)
			slot->valid = false;
		break;
	default:
		break;
	}
}

/**
 * mock_smmuv3_hw_info() - The mock SMMUv3's ID registers
 * @info: Out, filled whole
 * @pasid_bits: The device's PASID width: SMMU_IDR1.SSIDSIZE
 * @pri: The device can issue page requests: the SMMU has a PRI queue and
 *       supports stalls
 *
 * An SMMUv3.2 with both stages, AArch64 tables only, little endian,
 * coherent table walks, 16-bit ASIDs and VMIDs, hardware Access flag and
 * dirty state updates, two-level stream and CD tables, hierarchical
 * attribute disable, range invalidation, the 4 KiB granule only and a
 * 48-bit output size.  IIDR is 0: an implementation that names no
 * product, so that no erratum applies.
 */
void mock_smmuv3_hw_info(struct ioasid_hw_info_arm_smmuv3 *info,
			 u32 pasid_bits, bool pri)
{
	memset(info, 0, sizeof(*info));

	info->idr[0] = MOCK_SMMUV3_IDR0_S2P | MOCK_SMMUV3_IDR0_S1P |
		       FIELD_PREP(MOCK_SMMUV3_IDR0_TTF,
				  MOCK_SMMUV3_IDR0_TTF_AARCH64) |
		       MOCK_SMMUV3_IDR0_COHACC |
		       FIELD_PREP(MOCK_SMMUV3_IDR0_HTTU,
				  MOCK_SMMUV3_IDR0_HTTU_AD) |
		       MOCK_SMMUV3_IDR0_ASID16 | MOCK_SMMUV3_IDR0_MSI |
		       MOCK_SMMUV3_IDR0_VMID16 | MOCK_SMMUV3_IDR0_CD2L |
		       FIELD_PREP(MOCK_SMMUV3_IDR0_TTENDIAN,
				  MOCK_SMMUV3_IDR0_TTENDIAN_LE) |
		       FIELD_PREP(MOCK_SMMUV3_IDR0_STALL_MODEL,
				  pri ? MOCK_SMMUV3_IDR0_STALL_BOTH :
					MOCK_SMMUV3_IDR0_STALL_NONE) |
		       MOCK_SMMUV3_IDR0_TERM_MODEL |
		       FIELD_PREP(MOCK_SMMUV3_IDR0_ST_LVL,
				  MOCK_SMMUV3_IDR0_ST_LVL_2LVL);
	if (pri)
		info->idr[0] |= MOCK_SMMUV3_IDR0_PRI;

	info->idr[1] = FIELD_PREP(MOCK_SMMUV3_IDR1_SIDSIZE, 16) |
		       FIELD_PREP(MOCK_SMMUV3_IDR1_SSIDSIZE,
				  min_t(u32, pasid_bits,
					MOCK_SMMUV3_SSIDSIZE)) |
		       FIELD_PREP(MOCK_SMMUV3_IDR1_PRIQS, pri ? 7 : 0) |
		       FIELD_PREP(MOCK_SMMUV3_IDR1_EVTQS, 7) |
		       FIELD_PREP(MOCK_SMMUV3_IDR1_CMDQS, 8);
	info->idr[3] = MOCK_SMMUV3_IDR3_HAD | MOCK_SMMUV3_IDR3_RIL;
	info->idr[5] = FIELD_PREP(MOCK_SMMUV3_IDR5_OAS,
				  MOCK_SMMUV3_IDR5_OAS_48_BIT) |
		       MOCK_SMMUV3_IDR5_GRAN4K |
		       FIELD_PREP(MOCK_SMMUV3_IDR5_STALL_MAX, pri ? 64 : 0);
	info->aidr = MOCK_SMMUV3_AIDR_V3_2;
}
