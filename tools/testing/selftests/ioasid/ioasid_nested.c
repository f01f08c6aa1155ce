// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid selftests of nested translation: a stage 1 that user space
 * owns, in the real Intel VT-d first-stage and Arm SMMUv3 formats, on a
 * stage 2 the kernel keeps from an IOAS, walked by the mock VT-d and the
 * mock SMMUv3 of the test IOMMU driver when a mock device does DMA
 * (IOASID_TEST_MOCK_DMA).
 *
 * Each test plays a VMM with a vIOMMU.  "Guest RAM" is a buffer mapped into
 * an IOAS at guest-physical address GPA_BASE; the guest's stage-1 tables
 * are built in it with the builders of ioasid_vtd.h and ioasid_smmuv3.h; a
 * nesting-parent HWPT comes from the IOAS and a nested HWPT on it is
 * attached to the mock device, whose DMA is compared with the buffer.
 *
 * Guest RAM (RAM_SIZE at GPA_BASE, 1 GiB so that a 1 GiB leaf can map it):
 *
 *	[0, TBL_END)		the main stage-1 tables (and SMMUv3 CD table)
 *	[ALT_OFF, ALT_END)	a second set of tables, for a second HWPT
 *	[DATA_OFF, RAM_SIZE)	data pages, filled with random bytes
 *
 * HOLE_GPA is a guest-physical address nothing maps (a stage-2 fault);
 * tests that need their own stage-2 mappings (read-only ones, or ones they
 * unmap) add them at EXTRA_GPA.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ioasid.h>

#include "../kselftest_harness.h"
#include "ioasid_util.h"
#include "ioasid_vtd.h"
#include "ioasid_smmuv3.h"
#include "../../../../drivers/iommu/ioasid/ioasid_test.h"

#define SZ_4K		0x1000ULL
#define SZ_2M		0x200000ULL
#define SZ_1G		0x40000000ULL

#define GPA_BASE	SZ_1G
#define RAM_SIZE	(16ULL << 20)
#define TBL_END		(3ULL << 20)
#define ALT_OFF		(3ULL << 20)
#define ALT_END		(4ULL << 20)
#define DATA_OFF	(4ULL << 20)
#define HOLE_GPA	(GPA_BASE + (256ULL << 20))
#define EXTRA_GPA	(2 * SZ_1G)
#define MAX_EXTRA	8

/*
 * VT-d: PASIDs 1 to NEST_PASIDS - 1 allow nested and paging HWPTs.
 * SMMUv3: the nested HWPT's STE has S1CDMax SMMU_CDMAX (16 substreams).
 */
#define NEST_PASIDS	16
#define SMMU_CDMAX	4
#define MAIN_ASID	1

#define DMA_W		IOASID_TEST_MOCK_DMA_WRITE
#define DMA_X		IOASID_TEST_MOCK_DMA_EXEC
#define DMA_P		IOASID_TEST_MOCK_DMA_PRIV
#define TF		IOASID_TEST_FAULT_TABLE_FETCH
#define F_NP		IOASID_TEST_FAULT_NOT_PRESENT
#define F_PERM		IOASID_TEST_FAULT_PERMISSION
#define F_RSVD		IOASID_TEST_FAULT_RESERVED
#define F_AF		IOASID_TEST_FAULT_ACCESS_FLAG
#define F_SIZE		IOASID_TEST_FAULT_ADDRESS_SIZE
#define F_CFG		IOASID_TEST_FAULT_BAD_CONFIG
#define F_ABORT		IOASID_TEST_FAULT_ABORT

#define INV_VTD		IOASID_HWPT_INVALIDATE_DATA_VTD_S1
#define INV_SMMU	IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3

enum { PERM_RO, PERM_RW };

/* ---- Plumbing ----------------------------------------------------------- */

static bool have_nesting(int fd)
{
	__u64 want = IOASID_FEATURE_TEST | IOASID_FEATURE_NESTING |
		     IOASID_FEATURE_PASID;
	struct ioasid_info info = { .size = sizeof(info) };

	if (ioctl(fd, IOASID_GET_INFO, &info))
		return false;
	return (info.features & want) == want;
}

static int destroy(int fd, __u32 id)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl_err(fd, IOASID_DESTROY, &cmd);
}

static int ioas_alloc(int fd, __u32 *ioas)
{
	struct ioasid_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &cmd);

	*ioas = rc ? 0 : cmd.out_ioas_id;
	return rc;
}

/* Map @len bytes at @va to IOVA (GPA) @iova; @rw false maps read-only. */
static int ioas_map_at(int fd, __u32 ioas, void *va, __u64 len, __u64 iova,
		       bool rw)
{
	struct ioasid_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ |
			 (rw ? IOASID_IOAS_MAP_WRITE : 0),
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl_err(fd, IOASID_IOAS_MAP, &cmd);
}

static int ioas_unmap_at(int fd, __u32 ioas, __u64 iova, __u64 len)
{
	struct ioasid_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return ioctl_err(fd, IOASID_IOAS_UNMAP, &cmd);
}

/* The slot of the model's IOTLB (selftest_nested.c, hash_64()). */
static unsigned int iotlb_slot(__u32 key, __u64 iova)
{
	__u64 val = (iova >> 12) ^ ((__u64)key << 40);

	return (val * 0x61C8864680B583EBULL) >> (64 - 6);
}

static void fill_random(void *p, size_t len, __u64 *rng)
{
	__u8 *b = p;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		__u64 v = ioasid_rng_next(rng);

		memcpy(b + i, &v, 8);
	}
	for (; i < len; i++)
		b[i] = ioasid_rng_next(rng);
}

/* ---- The environment: guest RAM, IOAS, device, parent and stage 1 ------- */

/**
 * struct s1 - One set of stage-1 tables in guest RAM
 * @smmu: SMMUv3 format, else VT-d
 * @v: VT-d tables
 * @s: SMMUv3 tables
 * @cd: SMMUv3: GPA of the linear CD table (16 CDs) of these tables
 */
struct s1 {
	bool smmu;
	struct vtd_pt v;
	struct smmu_pt s;
	__u64 cd;
};

struct nenv {
	int fd;
	bool smmu;
	__u32 ioas, mock, dev, parent, hwpt;
	__u8 *ram;
	struct s1 pt;
	__u64 data_next;
	__u64 rng;
	long pinned_kb;
	void *extra[MAX_EXTRA];
	__u64 extra_len[MAX_EXTRA];
	int nextra;
};

static void *gp(struct nenv *e, __u64 gpa)
{
	return e->ram + (gpa - GPA_BASE);
}

/* The next unused data page of guest RAM, or 2 MiB of them, aligned. */
static __u64 data_pages(struct nenv *e, __u64 size)
{
	__u64 off = (e->data_next + size - 1) & ~(size - 1);

	if (off + size > RAM_SIZE)
		return 0;
	e->data_next = off + size;
	return GPA_BASE + off;
}

static __u64 data_page(struct nenv *e)
{
	return data_pages(e, SZ_4K);
}

/* Write the SMMUv3 CD of substream @ssid of @t, translating with @t. */
static void s1_cd(struct nenv *e, struct s1 *t, __u32 ssid, __u16 asid,
		  __u32 flags)
{
	smmu_cd_write(gp(e, t->cd + ssid * SMMU_CD_BYTES), t->s.ttb0,
		      t->s.t0sz, asid, flags);
}

/*
 * Start tables of @geom (VT-d levels, or SMMUv3 T0SZ) in guest RAM from
 * offset @off up to @end; on SMMUv3 with a CD table whose CD 0 uses them.
 */
static void s1_init(struct __test_metadata *_metadata, struct nenv *e,
		    struct s1 *t, __u64 off, __u64 end, int geom)
{
	memset(t, 0, sizeof(*t));
	t->smmu = e->smmu;
	if (!e->smmu) {
		ASSERT_EQ(0, vtd_pt_init(&t->v, e->ram, GPA_BASE, end, off,
					 geom));
		return;
	}
	ASSERT_EQ(0, smmu_pt_init(&t->s, e->ram, GPA_BASE, end, off, geom));
	t->cd = smmu_pt_alloc(&t->s);
	ASSERT_NE(0, t->cd);
	s1_cd(e, t, 0, MAIN_ASID, 0);
}

#define GEOM(e)	((e)->smmu ? 16 : 4)

static __u32 smmu_hwpt_fmt(struct __test_metadata *_metadata,
			   struct nenv *e, __u64 cd_gpa, int cdmax, int s1dss,
			   int fmt)
{
	struct ioasid_hwpt_arm_smmuv3 data;
	__u64 ste[2];
	__u32 id = 0;

	smmu_ste_s1_fmt(ste, cd_gpa, cdmax, s1dss, fmt);
	data.ste[0] = ste[0];
	data.ste[1] = ste[1];
	ASSERT_EQ(0, ioasid_nest_alloc(e->fd, e->dev, e->parent,
				       IOASID_HWPT_DATA_ARM_SMMUV3, &data,
				       sizeof(data), &id));
	return id;
}

static __u32 smmu_hwpt_ste(struct __test_metadata *_metadata,
			   struct nenv *e, __u64 ste[2])
{
	struct ioasid_hwpt_arm_smmuv3 data = { .ste = { ste[0], ste[1] } };
	__u32 id = 0;

	ASSERT_EQ(0, ioasid_nest_alloc(e->fd, e->dev, e->parent,
				       IOASID_HWPT_DATA_ARM_SMMUV3, &data,
				       sizeof(data), &id));
	return id;
}

static __u32 vtd_hwpt(struct __test_metadata *_metadata, struct nenv *e,
		      struct s1 *t, __u64 flags)
{
	struct ioasid_hwpt_vtd_s1 data;
	__u32 id = 0;

	vtd_pt_hwpt_data(&t->v, &data, flags);
	ASSERT_EQ(0, ioasid_nest_alloc(e->fd, e->dev, e->parent,
				       IOASID_HWPT_DATA_VTD_S1, &data,
				       sizeof(data), &id));
	return id;
}

/*
 * A nested HWPT translating with @t: VT-d with @vtd_flags; SMMUv3 an STE
 * with @t's linear CD table of 16 CDs, CD 0 for DMA without a substream.
 */
static __u32 s1_hwpt(struct __test_metadata *_metadata, struct nenv *e,
		     struct s1 *t, __u64 vtd_flags)
{
	if (!e->smmu)
		return vtd_hwpt(_metadata, e, t, vtd_flags);
	return smmu_hwpt_fmt(_metadata, e, t->cd, SMMU_CDMAX,
			     SMMU_STE_S1DSS_SSID0, SMMU_STE0_S1FMT_LINEAR);
}

static void env_setup(struct __test_metadata *_metadata, struct nenv *e,
		      bool smmu)
{
	__u32 flags = IOASID_TEST_MOCK_DEV_PASID |
		      (smmu ? IOASID_TEST_MOCK_DEV_SMMUV3 :
			      IOASID_TEST_MOCK_DEV_VTD);

	e->ram = MAP_FAILED;
	e->smmu = smmu;
	e->rng = 1;
	e->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, e->fd);
	if (!have_nesting(e->fd))
		SKIP(return, "kernel without CONFIG_IOASID_TEST or nesting");
	e->pinned_kb = vm_pinned_kb();
	e->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, e->ram);
	memset(e->ram, 0, DATA_OFF);
	fill_random(e->ram + DATA_OFF, RAM_SIZE - DATA_OFF, &e->rng);
	e->data_next = DATA_OFF;

	ASSERT_EQ(0, ioas_alloc(e->fd, &e->ioas));
	ASSERT_EQ(0, ioas_map_at(e->fd, e->ioas, e->ram, RAM_SIZE, GPA_BASE,
				 true));
	ASSERT_EQ(0, ioasid_mock_dev_add(e->fd, flags, 0, 0, &e->mock));
	ASSERT_EQ(0, ioasid_device_bind(e->fd, e->mock, &e->dev));
	ASSERT_EQ(0, ioasid_nest_parent_alloc(e->fd, e->dev, e->ioas, true,
					      &e->parent));
	if (!smmu)
		ASSERT_EQ(0, ioasid_allow_pasid(e->fd, e->mock, 1,
						NEST_PASIDS - 1,
						IOASID_PASID_CFG_NESTED |
						IOASID_PASID_CFG_PAGING));
	s1_init(_metadata, e, &e->pt, 0, TBL_END, GEOM(e));
	e->hwpt = s1_hwpt(_metadata, e, &e->pt, 0);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, e->hwpt, false));
}

static void env_teardown(struct __test_metadata *_metadata, struct nenv *e)
{
	int i;

	close(e->fd);
	if (e->ram != MAP_FAILED) {
		/* Closing the context gives back every pin. */
		EXPECT_EQ(e->pinned_kb, vm_pinned_kb());
		munmap(e->ram, RAM_SIZE);
	}
	for (i = 0; i < e->nextra; i++)
		munmap(e->extra[i], e->extra_len[i]);
}

/*
 * More guest memory: @len bytes of random content mapped at @gpa, writable
 * by DMA with @rw.  The host memory stays until the test ends.
 */
static __u8 *env_extra(struct __test_metadata *_metadata, struct nenv *e,
		       __u64 gpa, __u64 len, bool rw)
{
	__u8 *p;

	ASSERT_GT(MAX_EXTRA, e->nextra);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	e->extra[e->nextra] = p;
	e->extra_len[e->nextra++] = len;
	fill_random(p, len, &e->rng);
	ASSERT_EQ(0, ioas_map_at(e->fd, e->ioas, p, len, gpa, rw));
	return p;
}

/* ---- Stage-1 tables, either format ------------------------------------- */

static int leaf_level(bool smmu, __u64 size)
{
	if (size == SZ_4K)
		return smmu ? 3 : 1;
	if (size == SZ_2M)
		return 2;
	return smmu ? 1 : 3;
}

static int top_level(struct s1 *t)
{
	return t->smmu ? t->s.start_level : t->v.levels;
}

static int next_level(bool smmu, int level)
{
	return smmu ? level + 1 : level - 1;
}

static unsigned int level_shift(bool smmu, int level)
{
	return smmu ? smmu_level_shift(level) : vtd_pt_shift(level);
}

/* GPA of the entry of @level translating @iova in the table at @table. */
static __u64 entry_gpa(bool smmu, __u64 table, __u64 iova, int level)
{
	return table + ((iova >> level_shift(smmu, level)) & 511) * 8;
}

static __u64 *s1_entry(struct s1 *t, __u64 iova, int level)
{
	if (t->smmu)
		return smmu_pt_entry(&t->s, iova, level);
	return vtd_pt_entry(&t->v, iova, level);
}

static __u64 *s1_leaf(struct s1 *t, __u64 iova, __u64 size)
{
	return s1_entry(t, iova, leaf_level(t->smmu, size));
}

static __u64 addr_mask(bool smmu)
{
	return smmu ? SMMU_PTE_ADDR_MASK : VTD_PTE_ADDR_MASK;
}

/* Point the entry @ent (a leaf or a table entry) at @gpa. */
static void s1_set_addr(bool smmu, __u64 *ent, __u64 gpa)
{
	*ent = htole64((le64toh(*ent) & ~addr_mask(smmu)) | gpa);
}

static __u64 s1_get_addr(bool smmu, __u64 *ent)
{
	return le64toh(*ent) & addr_mask(smmu);
}

/*
 * Map a leaf for requests without privilege: read-only or read-write.
 * VT-d: U/S and R/W; SMMUv3: AP 0b11 or 0b01, AF set.
 */
static int s1_map(struct s1 *t, __u64 iova, __u64 gpa, __u64 size, int perm)
{
	if (t->smmu)
		return smmu_pt_map(&t->s, iova, gpa, size,
				   perm == PERM_RW ? SMMU_PTE_RW : SMMU_PTE_RO);
	return vtd_pt_map(&t->v, iova, gpa, size,
			  VTD_PTE_US | (perm == PERM_RW ? VTD_PTE_RW : 0));
}

/* ---- DMA ---------------------------------------------------------------- */

static int dma(struct nenv *e, __u32 flags, __u32 pasid, __u64 iova,
	       void *buf, __u64 len, struct ioasid_test_mock_dma *d)
{
	*d = (struct ioasid_test_mock_dma) {
		.size = sizeof(*d),
		.flags = flags | (pasid ? IOASID_TEST_MOCK_DMA_PASID : 0),
		.dev_id = e->mock,
		.pasid = pasid,
		.iova = iova,
		.length = len,
		.data = (uintptr_t)buf,
	};
	return ioctl_err(e->fd, IOASID_TEST_MOCK_DMA, d);
}

#define DMA_LOG(d)							\
	"DMA flags 0x%x pasid %u at 0x%llx: done %llu, stage %u reason %u " \
	"level %u flags 0x%x addr 0x%llx", (d).flags, (d).pasid,	\
	(unsigned long long)(d).iova, (unsigned long long)(d).out_done,	\
	(d).out_fault_stage, (d).out_fault_reason, (d).out_fault_level,	\
	(d).out_fault_flags, (unsigned long long)(d).out_fault_addr

/*
 * Read @len bytes at @iova (with @flags, tagged @pasid unless 0): they
 * must be those at @expect.  Returns the IOTLB hits.
 */
static __u64 read_ok(struct __test_metadata *_metadata, struct nenv *e,
		     __u32 flags, __u32 pasid, __u64 iova, const void *expect,
		     __u64 len)
{
	struct ioasid_test_mock_dma d;
	__u8 buf[3 * SZ_4K];
	int rc;

	ASSERT_GE(sizeof(buf), len);
	memset(buf, 0xa5, len);
	rc = dma(e, flags, pasid, iova, buf, len, &d);
	ASSERT_EQ(0, rc) TH_LOG(DMA_LOG(d));
	EXPECT_EQ(len, d.out_done);
	EXPECT_EQ(0, memcmp(buf, expect, len)) TH_LOG(DMA_LOG(d));
	return d.out_iotlb_hits;
}

/* Write @len random bytes at @iova: they must land at @target. */
static void write_ok(struct __test_metadata *_metadata, struct nenv *e,
		     __u32 flags, __u32 pasid, __u64 iova, void *target,
		     __u64 len)
{
	struct ioasid_test_mock_dma d;
	__u8 buf[3 * SZ_4K];
	int rc;

	ASSERT_GE(sizeof(buf), len);
	fill_random(buf, len, &e->rng);
	rc = dma(e, flags | DMA_W, pasid, iova, buf, len, &d);
	ASSERT_EQ(0, rc) TH_LOG(DMA_LOG(d));
	EXPECT_EQ(len, d.out_done);
	EXPECT_EQ(0, memcmp(buf, target, len)) TH_LOG(DMA_LOG(d));
}

/*
 * A DMA of @len bytes that must move @done of them and fail with @err at
 * the fault described.  A write's bytes are random.
 */
static void dma_fails(struct __test_metadata *_metadata, struct nenv *e,
		      __u32 flags, __u32 pasid, __u64 iova, __u64 len,
		      __u64 done, int err, __u32 stage, __u32 reason,
		      __u32 level, __u32 fflags, __u64 addr)
{
	struct ioasid_test_mock_dma d;
	__u8 buf[3 * SZ_4K];
	int rc;

	ASSERT_GE(sizeof(buf), len);
	fill_random(buf, len, &e->rng);
	rc = dma(e, flags, pasid, iova, buf, len, &d);
	ASSERT_EQ(err, rc) TH_LOG(DMA_LOG(d));
	EXPECT_EQ(done, d.out_done) TH_LOG(DMA_LOG(d));
	EXPECT_EQ(stage, d.out_fault_stage) TH_LOG(DMA_LOG(d));
	EXPECT_EQ(reason, d.out_fault_reason) TH_LOG(DMA_LOG(d));
	EXPECT_EQ(level, d.out_fault_level) TH_LOG(DMA_LOG(d));
	EXPECT_EQ(fflags, d.out_fault_flags) TH_LOG(DMA_LOG(d));
	EXPECT_EQ(addr, d.out_fault_addr) TH_LOG(DMA_LOG(d));
}

/* A refused stage-1 access of one page: EACCES, permission, at @level. */
static void s1_refused(struct __test_metadata *_metadata, struct nenv *e,
		       __u32 flags, __u32 pasid, __u64 iova, __u32 level)
{
	dma_fails(_metadata, e, flags, pasid, iova, 16, 0, EACCES, 1, F_PERM,
		  level, 0, iova);
}

/* ---- Invalidation ------------------------------------------------------- */

static int inv_vtd(struct nenv *e, __u32 hwpt, __u64 addr, __u64 npages,
		   __u32 flags)
{
	struct ioasid_hwpt_vtd_s1_invalidate inv = {
		.addr = addr,
		.npages = npages,
		.flags = flags,
	};
	__u32 num = 1;

	return ioasid_nest_invalidate(e->fd, hwpt, INV_VTD, &inv, sizeof(inv),
				      &num);
}

static int inv_cmd(struct nenv *e, __u32 hwpt, __u64 cmd[2])
{
	struct ioasid_hwpt_arm_smmuv3_invalidate inv = {
		.cmd = { cmd[0], cmd[1] },
	};
	__u32 num = 1;

	return ioasid_nest_invalidate(e->fd, hwpt, INV_SMMU, &inv, sizeof(inv),
				      &num);
}

/*
 * Invalidate the stage-1 translations of [@iova, @iova + @size) of @hwpt:
 * VT-d a page range; SMMUv3 TLBI_NH_VA of @asid (range form above 4 KiB,
 * @size a power of two).
 */
static int inv_range(struct nenv *e, __u32 hwpt, __u16 asid, __u64 iova,
		     __u64 size)
{
	__u64 cmd[2];

	if (!e->smmu)
		return inv_vtd(e, hwpt, iova, size / SZ_4K, 0);
	if (size == SZ_4K)
		smmu_cmd_tlbi_va(cmd, asid, iova, 1);
	else
		smmu_cmd_tlbi_va_range(cmd, asid, iova, 0,
				       __builtin_ctzll(size / SZ_4K), 0, 1);
	return inv_cmd(e, hwpt, cmd);
}

/* ---- Fixtures ----------------------------------------------------------- */

/* Tests that hold for both formats. */
FIXTURE(nest)
{
	struct nenv e;
};

FIXTURE_VARIANT(nest)
{
	bool smmu;
};

FIXTURE_VARIANT_ADD(nest, vtd)
{
	.smmu = false,
};

FIXTURE_VARIANT_ADD(nest, smmuv3)
{
	.smmu = true,
};

FIXTURE_SETUP(nest)
{
	env_setup(_metadata, &self->e, variant->smmu);
}

FIXTURE_TEARDOWN(nest)
{
	env_teardown(_metadata, &self->e);
}

/* The mock VT-d's own rules. */
FIXTURE(vtd)
{
	struct nenv e;
};

FIXTURE_SETUP(vtd)
{
	env_setup(_metadata, &self->e, false);
}

FIXTURE_TEARDOWN(vtd)
{
	env_teardown(_metadata, &self->e);
}

/* The mock SMMUv3's own rules. */
FIXTURE(smmu)
{
	struct nenv e;
};

FIXTURE_SETUP(smmu)
{
	env_setup(_metadata, &self->e, true);
}

FIXTURE_TEARDOWN(smmu)
{
	env_teardown(_metadata, &self->e);
}

/* ---- Leaves of each size ------------------------------------------------ */

TEST_F(nest, leaf_4k)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x10000000, g1, g2, far = 0x700000000000ULL;
	int leaf = leaf_level(e->smmu, SZ_4K);
	__u8 expect[2 * SZ_4K];

	g1 = data_page(e);
	data_page(e);
	g2 = data_page(e);
	ASSERT_EQ(0, s1_map(&e->pt, iova, g1, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&e->pt, iova + SZ_4K, g2, SZ_4K, PERM_RW));

	/* Each page from its own leaf, however far apart their pages are. */
	memcpy(expect, gp(e, g1), SZ_4K);
	memcpy(expect + SZ_4K, gp(e, g2), SZ_4K);
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, expect, 2 * SZ_4K));
	/* The second time from the IOTLB. */
	EXPECT_EQ(2, read_ok(_metadata, e, 0, 0, iova, expect, 2 * SZ_4K));
	EXPECT_EQ(2, read_ok(_metadata, e, 0, 0, iova + SZ_4K - 50,
			     expect + SZ_4K - 50, 100));

	/* Writes land in the leaves' pages, across the boundary too. */
	write_ok(_metadata, e, 0, 0, iova + SZ_4K, gp(e, g2), SZ_4K);
	write_ok(_metadata, e, 0, 0, iova + 100, gp(e, g1) + 100, 200);
	{
		__u8 buf[200];
		struct ioasid_test_mock_dma d;

		fill_random(buf, sizeof(buf), &e->rng);
		ASSERT_EQ(0, dma(e, DMA_W, 0, iova + SZ_4K - 96, buf,
				 sizeof(buf), &d));
		EXPECT_EQ(0, memcmp(buf, gp(e, g1) + SZ_4K - 96, 96));
		EXPECT_EQ(0, memcmp(buf + 96, gp(e, g2), 104));
	}

	/* A missing leaf in an existing table; a missing first-level entry. */
	dma_fails(_metadata, e, 0, 0, iova + 2 * SZ_4K, 8, 0, ENXIO, 1, F_NP,
		  leaf, 0, iova + 2 * SZ_4K);
	dma_fails(_metadata, e, 0, 0, far + 0x10, 8, 0, ENXIO, 1, F_NP,
		  top_level(&e->pt), 0, far + 0x10);
	/* The 2 MiB next door has no table: the PD (level 2) entry. */
	dma_fails(_metadata, e, 0, 0, iova + SZ_2M, 8, 0, ENXIO, 1, F_NP, 2, 0,
		  iova + SZ_2M);
	/* A DMA stops at the first page that does not translate. */
	dma_fails(_metadata, e, 0, 0, iova + SZ_4K + 8, 2 * SZ_4K,
		  SZ_4K - 8, ENXIO, 1, F_NP, leaf, 0, iova + 2 * SZ_4K);
	dma_fails(_metadata, e, DMA_W, 0, iova + SZ_4K, 2 * SZ_4K, SZ_4K,
		  ENXIO, 1, F_NP, leaf, 0, iova + 2 * SZ_4K);
}

TEST_F(nest, leaf_2m)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x20200000, g = data_pages(e, SZ_2M);
	__u8 *p = gp(e, g);

	ASSERT_NE(0, g);
	ASSERT_EQ(0, s1_map(&e->pt, iova, g, SZ_2M, PERM_RW));
	/* The leaf is at level 2: there is no 4 KiB table under it. */
	EXPECT_EQ(NULL, s1_entry(&e->pt, iova, leaf_level(e->smmu, SZ_4K)));

	read_ok(_metadata, e, 0, 0, iova, p, SZ_4K);
	read_ok(_metadata, e, 0, 0, iova + 0x12345, p + 0x12345, 300);
	read_ok(_metadata, e, 0, 0, iova + 0x100000 - 100, p + 0x100000 - 100,
		200);
	read_ok(_metadata, e, 0, 0, iova + SZ_2M - 64, p + SZ_2M - 64, 64);
	write_ok(_metadata, e, 0, 0, iova + 0x1ff008, p + 0x1ff008, 64);
	write_ok(_metadata, e, 0, 0, iova + 0xabc00, p + 0xabc00, 2 * SZ_4K);

	/* Past its end: the next PD entry is not present. */
	dma_fails(_metadata, e, 0, 0, iova + SZ_2M - 64, 128, 64, ENXIO, 1,
		  F_NP, 2, 0, iova + SZ_2M);

	/* A read-only 2 MiB leaf refuses writes at level 2. */
	ASSERT_EQ(0, s1_map(&e->pt, iova + 2 * SZ_2M, g, SZ_2M, PERM_RO));
	read_ok(_metadata, e, 0, 0, iova + 2 * SZ_2M + 0x5000, p + 0x5000, 64);
	s1_refused(_metadata, e, DMA_W, 0, iova + 2 * SZ_2M + 0x5000, 2);
}

TEST_F(nest, leaf_1g)
{
	struct nenv *e = &self->e;
	__u64 iova = 4 * SZ_1G, off;
	__u8 *p = gp(e, GPA_BASE);
	int i;

	/* One leaf for all of guest RAM, and much that is not backed. */
	ASSERT_EQ(0, s1_map(&e->pt, iova, GPA_BASE, SZ_1G, PERM_RW));
	EXPECT_EQ(NULL, s1_entry(&e->pt, iova, 2));

	for (i = 0; i < 8; i++) {
		off = DATA_OFF + ioasid_rng_below(&e->rng,
						  RAM_SIZE - DATA_OFF - 512);
		read_ok(_metadata, e, 0, 0, iova + off, p + off, 512);
	}
	read_ok(_metadata, e, 0, 0, iova + RAM_SIZE - SZ_4K,
		p + RAM_SIZE - SZ_4K, SZ_4K);
	write_ok(_metadata, e, 0, 0, iova + DATA_OFF + 0x3005,
		 p + DATA_OFF + 0x3005, 3000);

	/*
	 * Touching beyond the backed pages: stage 1 translates, stage 2 has
	 * nothing at that GPA.  The output, not a table fetch: level 0.
	 */
	dma_fails(_metadata, e, 0, 0, iova + RAM_SIZE - SZ_4K, 2 * SZ_4K,
		  SZ_4K, ENXIO, 2, F_NP, 0, 0, GPA_BASE + RAM_SIZE);
	dma_fails(_metadata, e, 0, 0, iova + (512ULL << 20) + 0x10, 8, 0,
		  ENXIO, 2, F_NP, 0, 0, GPA_BASE + (512ULL << 20) + 0x10);
	dma_fails(_metadata, e, DMA_W, 0, iova + SZ_1G - 8, 8, 0, ENXIO, 2,
		  F_NP, 0, 0, GPA_BASE + SZ_1G - 8);

	/* A read-only 1 GiB leaf. */
	ASSERT_EQ(0, s1_map(&e->pt, iova + SZ_1G, GPA_BASE, SZ_1G, PERM_RO));
	read_ok(_metadata, e, 0, 0, iova + SZ_1G + DATA_OFF, p + DATA_OFF, 64);
	s1_refused(_metadata, e, DMA_W, 0, iova + SZ_1G + DATA_OFF,
		   leaf_level(e->smmu, SZ_1G));
}

TEST_F(nest, read_only_leaf)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x11000000, g1 = data_page(e), g2 = data_page(e);
	__u8 before[SZ_4K], buf[2 * SZ_4K];
	struct ioasid_test_mock_dma d;

	ASSERT_EQ(0, s1_map(&e->pt, iova, g1, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&e->pt, iova + SZ_4K, g2, SZ_4K, PERM_RO));
	read_ok(_metadata, e, 0, 0, iova + SZ_4K, gp(e, g2), SZ_4K);

	memcpy(before, gp(e, g2), SZ_4K);
	s1_refused(_metadata, e, DMA_W, 0, iova + SZ_4K,
		   leaf_level(e->smmu, SZ_4K));
	EXPECT_EQ(0, memcmp(before, gp(e, g2), SZ_4K));

	/* A write across both: the first page is written, not the second. */
	fill_random(buf, sizeof(buf), &e->rng);
	EXPECT_EQ(EACCES, dma(e, DMA_W, 0, iova, buf, sizeof(buf), &d));
	EXPECT_EQ(SZ_4K, d.out_done);
	EXPECT_EQ(1, d.out_fault_stage);
	EXPECT_EQ(F_PERM, d.out_fault_reason);
	EXPECT_EQ(iova + SZ_4K, d.out_fault_addr);
	EXPECT_EQ(0, memcmp(buf, gp(e, g1), SZ_4K));
	EXPECT_EQ(0, memcmp(before, gp(e, g2), SZ_4K));
}

/* ---- VT-d: 5-level tables, canonical addresses -------------------------- */

TEST_F(vtd, five_level)
{
	struct nenv *e = &self->e;
	__u64 hi = 0x0012345678000000ULL, neg = 0xff00000000001000ULL;
	__u64 g1 = data_page(e), g2 = data_page(e);
	struct s1 t5;
	__u32 hwpt;
	int l;

	/* 57-bit input: a PML5 above the PML4. */
	s1_init(_metadata, e, &t5, ALT_OFF, ALT_END, 5);
	ASSERT_EQ(0, vtd_pt_map(&t5.v, hi, g1, SZ_4K, VTD_PTE_US | VTD_PTE_RW));
	ASSERT_EQ(0, vtd_pt_map(&t5.v, neg, g2, SZ_4K, VTD_PTE_US));
	hwpt = vtd_hwpt(_metadata, e, &t5, 0);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, hwpt, true));

	read_ok(_metadata, e, 0, 0, hi + 0x10, gp(e, g1) + 0x10, 256);
	write_ok(_metadata, e, 0, 0, hi + 0x800, gp(e, g1) + 0x800, 256);
	/* The upper half of the canonical space: PML5 entry 256. */
	read_ok(_metadata, e, 0, 0, neg, gp(e, g2), SZ_4K);
	/* The walk went through five levels, each accessed. */
	for (l = 5; l >= 1; l--) {
		__u64 *ent = vtd_pt_entry(&t5.v, hi, l);

		ASSERT_NE(NULL, ent);
		EXPECT_TRUE(*ent & VTD_PTE_A) TH_LOG("level %d", l);
	}
	/* Nothing at another PML5 entry: not present at level 5. */
	dma_fails(_metadata, e, 0, 0, 0x0022000000000000ULL, 8, 0, ENXIO, 1,
		  F_NP, 5, 0, 0x0022000000000000ULL);
	/* Bits 63:56 must copy bit 56. */
	dma_fails(_metadata, e, 0, 0, 0x0100000000000000ULL, 8, 0, ENXIO, 1,
		  F_SIZE, 5, 0, 0x0100000000000000ULL);
	dma_fails(_metadata, e, 0, 0, 0x8000000000001000ULL, 8, 0, ENXIO, 1,
		  F_SIZE, 5, 0, 0x8000000000001000ULL);

	/* 4-level tables take 48 bits: the same addresses are not canonical. */
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, e->hwpt, true));
	dma_fails(_metadata, e, 0, 0, hi, 8, 0, ENXIO, 1, F_SIZE, 4, 0, hi);
	dma_fails(_metadata, e, 0, 0, 1ULL << 47, 8, 0, ENXIO, 1, F_SIZE, 4,
		  0, 1ULL << 47);
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, 0xffff800000002000ULL, g2, SZ_4K,
				VTD_PTE_US));
	read_ok(_metadata, e, 0, 0, 0xffff800000002000ULL, gp(e, g2), 64);
}

/* ---- VT-d: access rights ------------------------------------------------ */

/*
 * User and supervisor requests (VT-d 3.6.1): user needs U/S in every
 * entry, and R/W to write; supervisor (with SRE) reads anything and needs
 * R/W to write only with WPE; without SRE it is refused outright.
 */
TEST_F(vtd, user_supervisor)
{
	struct nenv *e = &self->e;
	__u64 u = 0x100000, s = 0x101000, sr = 0x102000, ur = 0x103000;
	__u64 n = 0x400000;
	__u64 g[5];
	__u32 h0, hs, hsw;
	int i;

	for (i = 0; i < 5; i++)
		g[i] = data_page(e);
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, u, g[0], SZ_4K,
				VTD_PTE_US | VTD_PTE_RW));
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, s, g[1], SZ_4K, VTD_PTE_RW));
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, sr, g[2], SZ_4K, 0));
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, ur, g[3], SZ_4K, VTD_PTE_US));
	/* A user leaf under a supervisor-only PD entry. */
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, n, g[4], SZ_4K,
				VTD_PTE_US | VTD_PTE_RW));
	*vtd_pt_entry(&e->pt.v, n, 2) &= ~VTD_PTE_US;

	h0 = vtd_hwpt(_metadata, e, &e->pt, 0);
	hs = vtd_hwpt(_metadata, e, &e->pt, IOASID_VTD_S1_SRE);
	hsw = vtd_hwpt(_metadata, e, &e->pt,
		       IOASID_VTD_S1_SRE | IOASID_VTD_S1_WPE);
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 1, h0, false, NULL));
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 2, hs, false, NULL));
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 3, hsw, false, NULL));

	/* User requests, on each configuration. */
	for (i = 1; i <= 3; i++) {
		read_ok(_metadata, e, 0, i, u, gp(e, g[0]), 64);
		write_ok(_metadata, e, 0, i, u + 64, gp(e, g[0]) + 64, 64);
		read_ok(_metadata, e, 0, i, ur, gp(e, g[3]), 64);
		s1_refused(_metadata, e, DMA_W, i, ur, 1);
		s1_refused(_metadata, e, 0, i, s, 1);
		s1_refused(_metadata, e, DMA_W, i, s, 1);
		s1_refused(_metadata, e, 0, i, sr, 1);
		s1_refused(_metadata, e, 0, i, n, 1);
	}

	/* Without SRE a supervisor request is blocked before any walk. */
	dma_fails(_metadata, e, DMA_P, 1, u, 8, 0, ENXIO, 1, F_CFG, 0, 0, u);
	dma_fails(_metadata, e, DMA_P, 1, 0x7000000000ULL, 8, 0, ENXIO, 1,
		  F_CFG, 0, 0, 0x7000000000ULL);

	/* SRE: supervisor reads anything, and writes anything without WPE. */
	read_ok(_metadata, e, DMA_P, 2, u, gp(e, g[0]), 64);
	read_ok(_metadata, e, DMA_P, 2, s, gp(e, g[1]), 64);
	read_ok(_metadata, e, DMA_P, 2, sr, gp(e, g[2]), 64);
	read_ok(_metadata, e, DMA_P, 2, n, gp(e, g[4]), 64);
	write_ok(_metadata, e, DMA_P, 2, s, gp(e, g[1]), 64);
	write_ok(_metadata, e, DMA_P, 2, sr, gp(e, g[2]), 64);
	write_ok(_metadata, e, DMA_P, 2, ur + 8, gp(e, g[3]) + 8, 64);

	/* WPE: supervisor writes need R/W too. */
	read_ok(_metadata, e, DMA_P, 3, sr, gp(e, g[2]), 64);
	write_ok(_metadata, e, DMA_P, 3, s + 8, gp(e, g[1]) + 8, 64);
	write_ok(_metadata, e, DMA_P, 3, u + 8, gp(e, g[0]) + 8, 64);
	s1_refused(_metadata, e, DMA_P | DMA_W, 3, sr, 1);
	s1_refused(_metadata, e, DMA_P | DMA_W, 3, ur, 1);
	/* An R/W clear in a table entry counts too. */
	*vtd_pt_entry(&e->pt.v, n, 3) &= ~VTD_PTE_RW;
	s1_refused(_metadata, e, DMA_P | DMA_W, 3, n, 1);
	write_ok(_metadata, e, DMA_P, 2, n, gp(e, g[4]), 64);
}

/*
 * The IOTLB may keep a translation, not widen it: what a supervisor request
 * was allowed does not make a user request allowed.
 */
TEST_F(vtd, iotlb_keeps_user_and_supervisor_apart)
{
	struct nenv *e = &self->e;
	__u64 s = 0x200000, sr = 0x201000;
	__u64 g1 = data_page(e), g2 = data_page(e);
	__u8 before[SZ_4K];
	__u32 hs;

	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, s, g1, SZ_4K, VTD_PTE_RW));
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, sr, g2, SZ_4K, 0));
	hs = vtd_hwpt(_metadata, e, &e->pt, IOASID_VTD_S1_SRE);
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 1, hs, false, NULL));

	/* Supervisor-only page: a user read after a supervisor read. */
	read_ok(_metadata, e, DMA_P, 1, s, gp(e, g1), 64);
	s1_refused(_metadata, e, 0, 1, s, 1);
	/* Read-only page a supervisor may write (no WPE): not a user. */
	write_ok(_metadata, e, DMA_P, 1, sr, gp(e, g2), 64);
	memcpy(before, gp(e, g2), SZ_4K);
	s1_refused(_metadata, e, DMA_W, 1, sr, 1);
	EXPECT_EQ(0, memcmp(before, gp(e, g2), SZ_4K));
}

/* Execute requests need XD clear in every entry, user or supervisor. */
TEST_F(vtd, execute_disable)
{
	struct nenv *e = &self->e;
	__u64 x = 0x300000, xd = 0x301000, xdt = 0x600000, big = 0x800000;
	__u64 g = data_page(e), g2m = data_pages(e, SZ_2M);
	__u32 h0, hs;

	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, x, g, SZ_4K, VTD_PTE_US));
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, xd, g, SZ_4K,
				VTD_PTE_US | VTD_PTE_XD));
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, xdt, g, SZ_4K, VTD_PTE_US));
	*vtd_pt_entry(&e->pt.v, xdt, 2) |= VTD_PTE_XD;
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, big, g2m, SZ_2M,
				VTD_PTE_US | VTD_PTE_XD));

	h0 = vtd_hwpt(_metadata, e, &e->pt, 0);
	hs = vtd_hwpt(_metadata, e, &e->pt, IOASID_VTD_S1_SRE);
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 1, h0, false, NULL));
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 2, hs, false, NULL));

	read_ok(_metadata, e, DMA_X, 1, x, gp(e, g), 64);
	/* XD pages are read, not executed; XD in a table entry counts. */
	read_ok(_metadata, e, 0, 1, xd, gp(e, g), 64);
	s1_refused(_metadata, e, DMA_X, 1, xd, 1);
	read_ok(_metadata, e, 0, 1, xdt, gp(e, g), 64);
	s1_refused(_metadata, e, DMA_X, 1, xdt, 1);
	read_ok(_metadata, e, 0, 1, big + 0x1000, gp(e, g2m) + 0x1000, 64);
	s1_refused(_metadata, e, DMA_X, 1, big + 0x1000, 2);
	/* Supervisor: the same, and no SMEP: a user page executes. */
	read_ok(_metadata, e, DMA_X | DMA_P, 2, x, gp(e, g), 64);
	s1_refused(_metadata, e, DMA_X | DMA_P, 2, xd, 1);
	s1_refused(_metadata, e, DMA_X | DMA_P, 2, xdt, 1);
	/* Execute comes only with a PASID, and never with a write. */
	{
		struct ioasid_test_mock_dma d;
		__u8 buf[8];

		EXPECT_EQ(EINVAL, dma(e, DMA_X, 0, x, buf, 8, &d));
		EXPECT_EQ(EINVAL, dma(e, DMA_X | DMA_W, 1, x, buf, 8, &d));
		EXPECT_EQ(EINVAL, dma(e, DMA_P, 0, x, buf, 8, &d));
	}
}

/* ---- VT-d: accessed, dirty and extended-accessed flags ------------------ */

static void vtd_flags_on_path(struct __test_metadata *_metadata,
			      struct vtd_pt *pt, __u64 iova, int leaf,
			      __u64 set, __u64 clear)
{
	int l;

	for (l = pt->levels; l >= leaf; l--) {
		__u64 *ent = vtd_pt_entry(pt, iova, l);

		ASSERT_NE(NULL, ent);
		EXPECT_EQ(set, *ent & set) TH_LOG("iova 0x%llx level %d: 0x%llx",
						  (unsigned long long)iova, l,
						  (unsigned long long)*ent);
		EXPECT_EQ(0, *ent & clear) TH_LOG("iova 0x%llx level %d: 0x%llx",
						  (unsigned long long)iova, l,
						  (unsigned long long)*ent);
	}
}

TEST_F(vtd, accessed_dirty)
{
	struct nenv *e = &self->e;
	__u64 i4k = 0x100000, ro = 0x101000, i2m = 0x400000, i1g = 5 * SZ_1G;
	__u64 iea = 3ULL << 39;
	__u64 g = data_page(e), g2m = data_pages(e, SZ_2M);
	__u64 ad = VTD_PTE_A | VTD_PTE_D | VTD_PTE_EA;
	__u64 *leaf;
	__u32 hea;

	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, i4k, g, SZ_4K,
				VTD_PTE_US | VTD_PTE_RW));
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, ro, g, SZ_4K, VTD_PTE_US));
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, i2m, g2m, SZ_2M,
				VTD_PTE_US | VTD_PTE_RW));
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, i1g, GPA_BASE, SZ_1G,
				VTD_PTE_US | VTD_PTE_RW));
	ASSERT_EQ(0, vtd_pt_map(&e->pt.v, iea, g, SZ_4K,
				VTD_PTE_US | VTD_PTE_RW));

	/* A refused access sets nothing, not even in the upper levels. */
	s1_refused(_metadata, e, DMA_W, 0, ro, 1);
	vtd_flags_on_path(_metadata, &e->pt.v, ro, 1, 0, ad);

	/* A read sets A in every entry it used, and D nowhere. */
	read_ok(_metadata, e, 0, 0, i4k, gp(e, g), 64);
	vtd_flags_on_path(_metadata, &e->pt.v, i4k, 1, VTD_PTE_A,
			  VTD_PTE_D | VTD_PTE_EA);
	/* The read-only leaf next to it was not used. */
	EXPECT_EQ(0, *vtd_pt_entry(&e->pt.v, ro, 1) & ad);
	/* A write sets D in the leaf only (D of a table entry is ignored). */
	write_ok(_metadata, e, 0, 0, i4k, gp(e, g), 64);
	leaf = vtd_pt_entry(&e->pt.v, i4k, 1);
	EXPECT_TRUE(*leaf & VTD_PTE_D);
	vtd_flags_on_path(_metadata, &e->pt.v, i4k, 2, VTD_PTE_A,
			  VTD_PTE_D | VTD_PTE_EA);

	/* Large leaves: A, then D, in the PD or PDPT entry. */
	read_ok(_metadata, e, 0, 0, i2m + 0x1234, gp(e, g2m) + 0x1234, 64);
	vtd_flags_on_path(_metadata, &e->pt.v, i2m, 2, VTD_PTE_A, VTD_PTE_D);
	write_ok(_metadata, e, 0, 0, i2m + 0x1234, gp(e, g2m) + 0x1234, 64);
	EXPECT_TRUE(*vtd_pt_entry(&e->pt.v, i2m, 2) & VTD_PTE_D);
	read_ok(_metadata, e, 0, 0, i1g + DATA_OFF, gp(e, GPA_BASE + DATA_OFF),
		64);
	vtd_flags_on_path(_metadata, &e->pt.v, i1g, 3, VTD_PTE_A, VTD_PTE_D);
	write_ok(_metadata, e, 0, 0, i1g + DATA_OFF,
		 gp(e, GPA_BASE + DATA_OFF), 64);
	EXPECT_TRUE(*vtd_pt_entry(&e->pt.v, i1g, 3) & VTD_PTE_D);

	/* A guest that clears A sees it set again by the next walk. */
	*leaf &= ~(VTD_PTE_A | VTD_PTE_D);
	ASSERT_EQ(0, inv_vtd(e, e->hwpt, i4k, 1, IOASID_VTD_INV_FLAGS_LEAF));
	read_ok(_metadata, e, 0, 0, i4k, gp(e, g), 64);
	EXPECT_EQ(VTD_PTE_A, *leaf & (VTD_PTE_A | VTD_PTE_D));

	/* EAFE: EA with A in every entry of the walk; none before. */
	vtd_flags_on_path(_metadata, &e->pt.v, iea, 1, 0, ad);
	hea = vtd_hwpt(_metadata, e, &e->pt, IOASID_VTD_S1_EAFE);
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 4, hea, false, NULL));
	read_ok(_metadata, e, 0, 4, iea, gp(e, g), 64);
	vtd_flags_on_path(_metadata, &e->pt.v, iea, 1,
			  VTD_PTE_A | VTD_PTE_EA, VTD_PTE_D);
	write_ok(_metadata, e, 0, 4, iea, gp(e, g), 64);
	vtd_flags_on_path(_metadata, &e->pt.v, iea, 1,
			  VTD_PTE_A | VTD_PTE_EA, 0);
	EXPECT_TRUE(*vtd_pt_entry(&e->pt.v, iea, 1) & VTD_PTE_D);
	/* The path walked without EAFE has no EA. */
	vtd_flags_on_path(_metadata, &e->pt.v, i4k, 1, VTD_PTE_A, VTD_PTE_EA);
}

/* ---- SMMUv3: access permissions ----------------------------------------- */

#define SMMU_AP(ap)	((__u64)(ap) << 6)	/* AP[2:1] */

static __u64 smmu_desc(__u64 *ent)
{
	return le64toh(*ent);
}

static void smmu_desc_set(__u64 *ent, __u64 bits)
{
	*ent = htole64(le64toh(*ent) | bits);
}

static void smmu_desc_clear(__u64 *ent, __u64 bits)
{
	*ent = htole64(le64toh(*ent) & ~bits);
}

/*
 * AP[2:1] for unprivileged (EL0) and privileged (EL1, DMA_P) requests of
 * substream 1, and PAN on substream 2.
 */
TEST_F(smmu, access_permissions)
{
	static const struct {
		bool ur, uw, pr, pw;
	} allowed[4] = {
		{ false, false, true, true },	/* 0b00: privileged RW */
		{ true, true, true, true },	/* 0b01: RW for both */
		{ false, false, true, false },	/* 0b10: privileged RO */
		{ true, false, true, false },	/* 0b11: RO for both */
	};
	struct nenv *e = &self->e;
	__u64 base = 0x100000, g = data_page(e);
	int ap;

	for (ap = 0; ap < 4; ap++)
		ASSERT_EQ(0, smmu_pt_map(&e->pt.s, base + ap * SZ_4K, g, SZ_4K,
					 SMMU_PTE_AF | SMMU_PTE_SH_IS |
					 SMMU_AP(ap)));
	s1_cd(e, &e->pt, 1, MAIN_ASID, 0);
	s1_cd(e, &e->pt, 2, MAIN_ASID + 1, SMMU_CD_PAN);

	/* Unprivileged first: without a PASID, and on substream 1. */
	for (ap = 0; ap < 4; ap++) {
		__u64 iova = base + ap * SZ_4K;
		__u32 pasid;

		for (pasid = 0; pasid <= 1; pasid++) {
			if (allowed[ap].ur)
				read_ok(_metadata, e, 0, pasid, iova, gp(e, g),
					64);
			else
				s1_refused(_metadata, e, 0, pasid, iova, 3);
			if (allowed[ap].uw)
				write_ok(_metadata, e, 0, pasid, iova + 64,
					 gp(e, g) + 64, 64);
			else
				s1_refused(_metadata, e, DMA_W, pasid, iova, 3);
		}
	}
	for (ap = 0; ap < 4; ap++) {
		__u64 iova = base + ap * SZ_4K;

		if (allowed[ap].pr)
			read_ok(_metadata, e, DMA_P, 1, iova, gp(e, g), 64);
		else
			s1_refused(_metadata, e, DMA_P, 1, iova, 3);
		if (allowed[ap].pw)
			write_ok(_metadata, e, DMA_P, 1, iova + 128,
				 gp(e, g) + 128, 64);
		else
			s1_refused(_metadata, e, DMA_P | DMA_W, 1, iova, 3);
	}

	/* PAN: privileged data accesses to EL0 pages fault. */
	read_ok(_metadata, e, DMA_P, 2, base, gp(e, g), 64);
	s1_refused(_metadata, e, DMA_P, 2, base + SZ_4K, 3);
	s1_refused(_metadata, e, DMA_P, 2, base + 3 * SZ_4K, 3);
	read_ok(_metadata, e, 0, 2, base + SZ_4K, gp(e, g), 64);
}

/*
 * The IOTLB may keep a translation, not widen it: what a privileged request
 * was allowed does not make an unprivileged request allowed.
 */
TEST_F(smmu, iotlb_keeps_privileged_and_unprivileged_apart)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x100000, g = data_page(e);

	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, iova, g, SZ_4K,
				 SMMU_PTE_AF | SMMU_PTE_SH_IS | SMMU_AP(0)));
	s1_cd(e, &e->pt, 1, MAIN_ASID, 0);
	read_ok(_metadata, e, DMA_P, 1, iova, gp(e, g), 64);
	s1_refused(_metadata, e, 0, 1, iova, 3);
	write_ok(_metadata, e, DMA_P, 1, iova, gp(e, g), 64);
	s1_refused(_metadata, e, DMA_W, 1, iova, 3);
}

/* APTable restricts everything below a table descriptor; HAD0 ignores it. */
TEST_F(smmu, table_permissions)
{
	struct nenv *e = &self->e;
	__u64 r1 = 0x200000, r2 = 0x400000, r3 = SZ_1G, g = data_page(e);

	ASSERT_EQ(0, s1_map(&e->pt, r1, g, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&e->pt, r2, g, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&e->pt, r3, g, SZ_4K, PERM_RW));
	smmu_desc_set(smmu_pt_entry(&e->pt.s, r1, 2), SMMU_TBL_AP_NO_EL0);
	smmu_desc_set(smmu_pt_entry(&e->pt.s, r2, 2), SMMU_TBL_AP_RO);
	smmu_desc_set(smmu_pt_entry(&e->pt.s, r3, 1), SMMU_TBL_AP_NO_EL0);
	s1_cd(e, &e->pt, 1, MAIN_ASID, 0);
	smmu_cd_write(gp(e, e->pt.cd + 2 * SMMU_CD_BYTES), e->pt.s.ttb0,
		      e->pt.s.t0sz, MAIN_ASID + 1, SMMU_CD_HAD0);

	/* APTable[0]: no EL0 access below. */
	s1_refused(_metadata, e, 0, 1, r1, 3);
	s1_refused(_metadata, e, 0, 0, r1, 3);
	s1_refused(_metadata, e, 0, 1, r3, 3);
	read_ok(_metadata, e, DMA_P, 1, r1, gp(e, g), 64);
	write_ok(_metadata, e, DMA_P, 1, r1, gp(e, g), 64);
	/* APTable[1]: no write access below, for anyone. */
	read_ok(_metadata, e, 0, 1, r2, gp(e, g), 64);
	s1_refused(_metadata, e, DMA_W, 1, r2, 3);
	s1_refused(_metadata, e, DMA_W | DMA_P, 1, r2, 3);
	/* HAD0: the table attributes do not count. */
	read_ok(_metadata, e, 0, 2, r1, gp(e, g), 64);
	read_ok(_metadata, e, 0, 2, r3, gp(e, g), 64);
	write_ok(_metadata, e, 0, 2, r2, gp(e, g), 64);
}

/*
 * Instruction fetches: UXN for unprivileged, PXN for privileged ones, a
 * page writable at EL0 is never executed privileged, UXNTable and
 * PXNTable add to the leaf's, WXN makes writable pages execute-never.
 * Unprivileged requests come first on each page.
 */
TEST_F(smmu, execute_never)
{
	struct nenv *e = &self->e;
	__u64 a = 0x100000, b = a + SZ_4K, c = a + 2 * SZ_4K, d = a + 3 * SZ_4K;
	__u64 p = a + 4 * SZ_4K, ut = 0x400000, pt = 0x600000;
	__u64 g = data_page(e);
	void *gv = gp(e, g);

	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, a, g, SZ_4K, SMMU_PTE_RO));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, b, g, SZ_4K,
				 SMMU_PTE_RO | SMMU_PTE_UXN));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, c, g, SZ_4K,
				 SMMU_PTE_RO | SMMU_PTE_PXN));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, d, g, SZ_4K, SMMU_PTE_RW));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, p, g, SZ_4K,
				 SMMU_PTE_AF | SMMU_PTE_SH_IS | SMMU_AP(2)));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, ut, g, SZ_4K, SMMU_PTE_RO));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, pt, g, SZ_4K, SMMU_PTE_RO));
	smmu_desc_set(smmu_pt_entry(&e->pt.s, ut, 2), SMMU_TBL_UXN);
	smmu_desc_set(smmu_pt_entry(&e->pt.s, pt, 2), SMMU_TBL_PXN);
	s1_cd(e, &e->pt, 1, MAIN_ASID, 0);
	s1_cd(e, &e->pt, 2, MAIN_ASID + 1, SMMU_CD_WXN);

	read_ok(_metadata, e, DMA_X, 1, a, gv, 64);
	read_ok(_metadata, e, DMA_X | DMA_P, 1, a, gv, 64);
	s1_refused(_metadata, e, DMA_X, 1, b, 3);
	read_ok(_metadata, e, 0, 1, b, gv, 64);
	read_ok(_metadata, e, DMA_X | DMA_P, 1, b, gv, 64);
	read_ok(_metadata, e, DMA_X, 1, c, gv, 64);
	s1_refused(_metadata, e, DMA_X | DMA_P, 1, c, 3);
	/* Writable at EL0: implicitly PXN. */
	read_ok(_metadata, e, DMA_X, 1, d, gv, 64);
	s1_refused(_metadata, e, DMA_X | DMA_P, 1, d, 3);
	/* Privileged-only page: fetched privileged only. */
	s1_refused(_metadata, e, DMA_X, 1, p, 3);
	read_ok(_metadata, e, DMA_X | DMA_P, 1, p, gv, 64);
	/* The table descriptors' XN. */
	s1_refused(_metadata, e, DMA_X, 1, ut, 3);
	read_ok(_metadata, e, DMA_X | DMA_P, 1, ut, gv, 64);
	read_ok(_metadata, e, DMA_X, 1, pt, gv, 64);
	s1_refused(_metadata, e, DMA_X | DMA_P, 1, pt, 3);
	/* WXN: writable means execute-never; read-only still executes. */
	s1_refused(_metadata, e, DMA_X, 2, d, 3);
	read_ok(_metadata, e, 0, 2, d, gv, 64);
	read_ok(_metadata, e, DMA_X, 2, a, gv, 64);
}

/* ---- SMMUv3: Access flag and dirty state -------------------------------- */

TEST_F(smmu, access_flag)
{
	struct nenv *e = &self->e;
	__u64 no_af = SMMU_PTE_SH_IS | SMMU_AP(1);
	__u64 a = 0x100000, b = a + SZ_4K, d = a + 2 * SZ_4K, f = a + 3 * SZ_4K;
	__u64 h = a + 4 * SZ_4K, blk = 0x400000;
	__u64 g = data_page(e), g2m = data_pages(e, SZ_2M);
	void *gv = gp(e, g);

	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, a, g, SZ_4K, no_af));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, b, g, SZ_4K,
				 SMMU_PTE_SH_IS | SMMU_AP(3)));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, d, g, SZ_4K, no_af));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, f, g, SZ_4K,
				 SMMU_PTE_SH_IS | SMMU_AP(3)));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, h, g, SZ_4K, no_af));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, blk, g2m, SZ_2M, no_af));
	s1_cd(e, &e->pt, 1, MAIN_ASID, SMMU_CD_HA);
	s1_cd(e, &e->pt, 2, MAIN_ASID, SMMU_CD_AFFD);

	/* CD 0 has neither HA nor AFFD: an Access flag fault. */
	dma_fails(_metadata, e, 0, 0, a + 8, 8, 0, ENXIO, 1, F_AF, 3, 0, a + 8);
	dma_fails(_metadata, e, DMA_W, 0, a, 8, 0, ENXIO, 1, F_AF, 3, 0, a);
	dma_fails(_metadata, e, 0, 0, blk + 0x3000, 8, 0, ENXIO, 1, F_AF, 2, 0,
		  blk + 0x3000);
	/* It comes before the permission fault of a read-only page. */
	dma_fails(_metadata, e, DMA_W, 0, b, 8, 0, ENXIO, 1, F_AF, 3, 0, b);
	EXPECT_EQ(0, smmu_desc(smmu_pt_entry(&e->pt.s, a, 3)) & SMMU_PTE_AF);

	/* HA: the SMMU sets AF, on success only. */
	read_ok(_metadata, e, 0, 1, d, gv, 64);
	EXPECT_TRUE(smmu_desc(smmu_pt_entry(&e->pt.s, d, 3)) & SMMU_PTE_AF);
	s1_refused(_metadata, e, DMA_W, 1, f, 3);
	EXPECT_EQ(0, smmu_desc(smmu_pt_entry(&e->pt.s, f, 3)) & SMMU_PTE_AF);
	read_ok(_metadata, e, 0, 1, f, gv, 64);
	EXPECT_TRUE(smmu_desc(smmu_pt_entry(&e->pt.s, f, 3)) & SMMU_PTE_AF);
	read_ok(_metadata, e, 0, 1, blk + 0x3000, gp(e, g2m) + 0x3000, 64);
	EXPECT_TRUE(smmu_desc(smmu_pt_entry(&e->pt.s, blk, 2)) & SMMU_PTE_AF);
	/* Now set, CD 0 translates it too. */
	read_ok(_metadata, e, 0, 0, d, gv, 64);

	/* AFFD: no fault, and AF is not written. */
	read_ok(_metadata, e, 0, 2, h, gv, 64);
	write_ok(_metadata, e, 0, 2, h, gv, 64);
	EXPECT_EQ(0, smmu_desc(smmu_pt_entry(&e->pt.s, h, 3)) & SMMU_PTE_AF);
	dma_fails(_metadata, e, 0, 0, h, 8, 0, ENXIO, 1, F_AF, 3, 0, h);
}

TEST_F(smmu, dirty_state)
{
	struct nenv *e = &self->e;
	__u64 clean = SMMU_PTE_RO | SMMU_PTE_DBM;
	__u64 a = 0x100000, b = a + SZ_4K, c = a + 2 * SZ_4K, d = a + 3 * SZ_4K;
	__u64 t = 0x400000, g = data_page(e);
	void *gv = gp(e, g);

	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, a, g, SZ_4K, clean));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, b, g, SZ_4K, SMMU_PTE_RO));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, c, g, SZ_4K, clean));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, d, g, SZ_4K,
				 clean & ~SMMU_PTE_AF));
	ASSERT_EQ(0, smmu_pt_map(&e->pt.s, t, g, SZ_4K, clean));
	smmu_desc_set(smmu_pt_entry(&e->pt.s, t, 2), SMMU_TBL_AP_RO);
	s1_cd(e, &e->pt, 1, MAIN_ASID, SMMU_CD_HA | SMMU_CD_HD);
	s1_cd(e, &e->pt, 2, MAIN_ASID, SMMU_CD_HD);
	s1_cd(e, &e->pt, 3, MAIN_ASID, SMMU_CD_HA);

	/* Writable-clean: a read leaves it clean, a write makes it dirty. */
	read_ok(_metadata, e, 0, 1, a, gv, 64);
	EXPECT_TRUE(smmu_desc(smmu_pt_entry(&e->pt.s, a, 3)) & SMMU_PTE_AP_RO);
	write_ok(_metadata, e, 0, 1, a, gv, 64);
	EXPECT_EQ(0, smmu_desc(smmu_pt_entry(&e->pt.s, a, 3)) & SMMU_PTE_AP_RO);
	EXPECT_TRUE(smmu_desc(smmu_pt_entry(&e->pt.s, a, 3)) & SMMU_PTE_DBM);
	/* Without DBM a read-only page stays read-only. */
	s1_refused(_metadata, e, DMA_W, 1, b, 3);
	/* HD needs HA; HA alone does not manage dirty state. */
	s1_refused(_metadata, e, DMA_W, 2, c, 3);
	s1_refused(_metadata, e, DMA_W, 3, c, 3);
	EXPECT_TRUE(smmu_desc(smmu_pt_entry(&e->pt.s, c, 3)) & SMMU_PTE_AP_RO);
	/* AF and dirty in one update. */
	write_ok(_metadata, e, 0, 1, d, gv, 64);
	EXPECT_EQ(SMMU_PTE_AF, smmu_desc(smmu_pt_entry(&e->pt.s, d, 3)) &
			       (SMMU_PTE_AF | SMMU_PTE_AP_RO));
	/* APTable[1] above a writable-clean page: no write. */
	s1_refused(_metadata, e, DMA_W, 1, t, 3);
	EXPECT_TRUE(smmu_desc(smmu_pt_entry(&e->pt.s, t, 3)) & SMMU_PTE_AP_RO);
}

/* ---- Stage-2 faults of the walk and of the output ----------------------- */

/*
 * A table entry pointing outside the stage 2: the fetch of the next level
 * faults in stage 2, at the GPA of the entry it wanted to read.
 */
TEST_F(nest, s2_fault_on_table_fetch)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x30005000, g = data_page(e);
	int leaf = leaf_level(e->smmu, SZ_4K), l, n = 0;

	ASSERT_EQ(0, s1_map(&e->pt, iova, g, SZ_4K, PERM_RW));
	for (l = top_level(&e->pt); l != leaf; l = next_level(e->smmu, l)) {
		__u64 *ent = s1_entry(&e->pt, iova, l);
		__u64 saved, bad = HOLE_GPA + (++n) * 0x10000;
		int nl = next_level(e->smmu, l);

		ASSERT_NE(NULL, ent);
		saved = *ent;
		s1_set_addr(e->smmu, ent, bad);
		dma_fails(_metadata, e, 0, 0, iova + 0x10, 8, 0, ENXIO, 2,
			  F_NP, nl, TF, entry_gpa(e->smmu, bad, iova, nl));
		dma_fails(_metadata, e, DMA_W, 0, iova, 8, 0, ENXIO, 2, F_NP,
			  nl, TF, entry_gpa(e->smmu, bad, iova, nl));
		*ent = saved;
	}
	/* Failed walks cached nothing: the restored tables translate. */
	read_ok(_metadata, e, 0, 0, iova, gp(e, g), SZ_4K);
	EXPECT_EQ(3, n);
}

/* The first table, or the SMMUv3 CD table, outside the stage 2. */
TEST_F(nest, s2_fault_on_first_table)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x30005000, g = data_page(e);
	__u32 hwpt;

	ASSERT_EQ(0, s1_map(&e->pt, iova, g, SZ_4K, PERM_RW));
	if (!e->smmu) {
		struct s1 bad = e->pt;

		bad.v.root = HOLE_GPA;
		hwpt = vtd_hwpt(_metadata, e, &bad, 0);
		ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, hwpt, true));
		dma_fails(_metadata, e, 0, 0, iova, 8, 0, ENXIO, 2, F_NP, 4,
			  TF, entry_gpa(false, HOLE_GPA, iova, 4));
	} else {
		/* TTB0 of CD 1 outside. */
		smmu_cd_write(gp(e, e->pt.cd + SMMU_CD_BYTES), HOLE_GPA, 16,
			      MAIN_ASID, 0);
		dma_fails(_metadata, e, 0, 1, iova, 8, 0, ENXIO, 2, F_NP, 0,
			  TF, entry_gpa(true, HOLE_GPA, iova, 0));
		/* The CD table itself: the CD of the substream. */
		hwpt = smmu_hwpt_fmt(_metadata, e, HOLE_GPA, SMMU_CDMAX,
				     SMMU_STE_S1DSS_SSID0,
				     SMMU_STE0_S1FMT_LINEAR);
		ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, hwpt, true));
		dma_fails(_metadata, e, 0, 0, iova, 8, 0, ENXIO, 2, F_NP, 0,
			  TF, HOLE_GPA);
		dma_fails(_metadata, e, 0, 3, iova, 8, 0, ENXIO, 2, F_NP, 0,
			  TF, HOLE_GPA + 3 * SMMU_CD_BYTES);
	}
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, e->hwpt, true));
	read_ok(_metadata, e, 0, 0, iova, gp(e, g), 64);
	ASSERT_EQ(0, destroy(e->fd, hwpt));
}

/*
 * The output of stage 1 outside the stage 2, or in a read-only part of it:
 * a stage-2 fault at that GPA, not flagged as a table fetch.
 */
TEST_F(nest, s2_fault_on_output)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x31000000;
	__u8 *ro, before[SZ_4K];

	ro = env_extra(_metadata, e, EXTRA_GPA, SZ_4K, false);
	ASSERT_EQ(0, s1_map(&e->pt, iova, HOLE_GPA + 0x7000, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&e->pt, iova + SZ_4K, EXTRA_GPA, SZ_4K, PERM_RW));

	dma_fails(_metadata, e, 0, 0, iova + 0x123, 8, 0, ENXIO, 2, F_NP, 0, 0,
		  HOLE_GPA + 0x7123);
	dma_fails(_metadata, e, DMA_W, 0, iova, 8, 0, ENXIO, 2, F_NP, 0, 0,
		  HOLE_GPA + 0x7000);
	/* Stage 1 lets the device write; stage 2 maps the page read-only. */
	read_ok(_metadata, e, 0, 0, iova + SZ_4K + 8, ro + 8, 256);
	memcpy(before, ro, SZ_4K);
	dma_fails(_metadata, e, DMA_W, 0, iova + SZ_4K + 0x40, 8, 0, EACCES, 2,
		  F_PERM, 0, 0, EXTRA_GPA + 0x40);
	EXPECT_EQ(0, memcmp(before, ro, SZ_4K));
	/* A DMA running from a good page into the hole stops there. */
	ASSERT_EQ(0, s1_map(&e->pt, iova + 2 * SZ_4K, HOLE_GPA + 0x9000, SZ_4K,
			    PERM_RW));
	dma_fails(_metadata, e, 0, 0, iova + 2 * SZ_4K - 16, 32, 16, ENXIO, 2,
		  F_NP, 0, 0, HOLE_GPA + 0x9000);
}

/*
 * A table in a page stage 2 maps read-only: read through it as long as
 * the walk need not update an entry; an A/D (VT-d) or AF/dirty (SMMUv3)
 * update is a stage-2 permission fault on the table fetch.
 */
TEST_F(nest, s2_read_only_table)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x50000000, g1 = data_page(e), g2 = data_page(e);
	int leaf = leaf_level(e->smmu, SZ_4K);
	__u8 *ro, before[SZ_4K];
	__u64 *pe, *l0;

	ro = env_extra(_metadata, e, EXTRA_GPA, SZ_4K, false);
	if (e->smmu) {
		/* The walk must update: HA and HD, a writable-clean leaf. */
		s1_cd(e, &e->pt, 0, MAIN_ASID, SMMU_CD_HA | SMMU_CD_HD);
		ASSERT_EQ(0, smmu_pt_map(&e->pt.s, iova, g1, SZ_4K,
					 SMMU_PTE_RO | SMMU_PTE_DBM));
		ASSERT_EQ(0, smmu_pt_map(&e->pt.s, iova + SZ_4K, g2, SZ_4K,
					 SMMU_PTE_RW & ~SMMU_PTE_AF));
	} else {
		ASSERT_EQ(0, s1_map(&e->pt, iova, g1, SZ_4K, PERM_RW));
		ASSERT_EQ(0, s1_map(&e->pt, iova + SZ_4K, g2, SZ_4K, PERM_RW));
	}
	/* Move the last-level table into the read-only page. */
	pe = s1_entry(&e->pt, iova, 2);
	ASSERT_NE(NULL, pe);
	memcpy(ro, gp(e, s1_get_addr(e->smmu, pe)), SZ_4K);
	s1_set_addr(e->smmu, pe, EXTRA_GPA);
	l0 = (__u64 *)ro + ((iova >> 12) & 511);
	if (!e->smmu)
		*l0 |= VTD_PTE_A;	/* needs no update for a read */
	memcpy(before, ro, SZ_4K);

	read_ok(_metadata, e, 0, 0, iova, gp(e, g1), 64);
	/* A write must set D (VT-d) or clear AP[2] (SMMUv3). */
	dma_fails(_metadata, e, DMA_W, 0, iova + 8, 8, 0, EACCES, 2, F_PERM,
		  leaf, TF, EXTRA_GPA + ((iova >> 12) & 511) * 8);
	/* A read of a leaf without A/AF must set it. */
	dma_fails(_metadata, e, 0, 0, iova + SZ_4K, 8, 0, EACCES, 2, F_PERM,
		  leaf, TF, EXTRA_GPA + (((iova + SZ_4K) >> 12) & 511) * 8);
	EXPECT_EQ(0, memcmp(before, ro, SZ_4K));
}

/* ---- IOTLB: stale until invalidated ------------------------------------- */

/* One invalidation entry of either format. */
struct inv_entry {
	const char *what;
	struct ioasid_hwpt_vtd_s1_invalidate vtd;
	__u64 cmd[2];
};

static int inv_one(struct nenv *e, __u32 hwpt, const struct inv_entry *ie)
{
	if (!e->smmu) {
		__u32 num = 1;

		return ioasid_nest_invalidate(e->fd, hwpt, INV_VTD, &ie->vtd,
					      sizeof(ie->vtd), &num);
	}
	return inv_cmd(e, hwpt, (__u64 *)ie->cmd);
}

/*
 * Invalidations that match the page @iova (of ASID MAIN_ASID, substream 0)
 * and invalidations that do not: another range, another ASID, another
 * substream's configuration.
 */
static int inv_lists(struct nenv *e, __u64 iova, struct inv_entry *match,
		     struct inv_entry *other)
{
	int n = 0, m = 0;

	memset(match, 0, 8 * sizeof(*match));
	memset(other, 0, 8 * sizeof(*other));
	if (!e->smmu) {
		match[n].what = "the page";
		match[n++].vtd = (struct ioasid_hwpt_vtd_s1_invalidate){
			.addr = iova, .npages = 1 };
		match[n].what = "a range around it";
		match[n++].vtd = (struct ioasid_hwpt_vtd_s1_invalidate){
			.addr = iova - SZ_4K, .npages = 3 };
		match[n].what = "its 2 MiB, leaf only";
		match[n++].vtd = (struct ioasid_hwpt_vtd_s1_invalidate){
			.addr = iova & ~(SZ_2M - 1), .npages = 512,
			.flags = IOASID_VTD_INV_FLAGS_LEAF };
		match[n].what = "everything";
		match[n++].vtd = (struct ioasid_hwpt_vtd_s1_invalidate){
			.addr = 0, .npages = ~0ULL };
		other[m].what = "the next page";
		other[m++].vtd = (struct ioasid_hwpt_vtd_s1_invalidate){
			.addr = iova + SZ_4K, .npages = 1 };
		other[m].what = "the previous page";
		other[m++].vtd = (struct ioasid_hwpt_vtd_s1_invalidate){
			.addr = iova - SZ_4K, .npages = 1 };
		other[m].what = "a range above";
		other[m++].vtd = (struct ioasid_hwpt_vtd_s1_invalidate){
			.addr = iova + SZ_4K, .npages = 1000 };
		return n | m << 8;
	}
	match[n].what = "TLBI_NH_VA";
	smmu_cmd_tlbi_va(match[n++].cmd, MAIN_ASID, iova, 1);
	match[n].what = "TLBI_NH_VA range";
	smmu_cmd_tlbi_va_range(match[n++].cmd, MAIN_ASID, iova - SZ_4K, 2, 0,
			       0, 0);
	match[n].what = "TLBI_NH_VAA";
	smmu_cmd_tlbi_vaa(match[n++].cmd, iova, 0);
	match[n].what = "TLBI_NH_ASID";
	smmu_cmd_tlbi_asid(match[n++].cmd, MAIN_ASID);
	match[n].what = "TLBI_NH_ALL";
	smmu_cmd_tlbi_all(match[n++].cmd);
	other[m].what = "TLBI_NH_VA of another ASID";
	smmu_cmd_tlbi_va(other[m++].cmd, MAIN_ASID + 1, iova, 1);
	other[m].what = "TLBI_NH_VA of the next page";
	smmu_cmd_tlbi_va(other[m++].cmd, MAIN_ASID, iova + SZ_4K, 0);
	other[m].what = "TLBI_NH_VA range above";
	smmu_cmd_tlbi_va_range(other[m++].cmd, MAIN_ASID, iova + SZ_4K, 31, 3,
			       0, 0);
	other[m].what = "TLBI_NH_VAA of the previous page";
	smmu_cmd_tlbi_vaa(other[m++].cmd, iova - SZ_4K, 0);
	other[m].what = "TLBI_NH_ASID of another ASID";
	smmu_cmd_tlbi_asid(other[m++].cmd, MAIN_ASID + 1);
	other[m].what = "CFGI_CD of another substream";
	smmu_cmd_cfgi_cd(other[m++].cmd, 3, 1);
	return n | m << 8;
}

/*
 * Change a stage-1 leaf to point elsewhere: the IOTLB keeps the old
 * translation until an invalidation that covers it; one that does not
 * cover it changes nothing.
 */
TEST_F(nest, iotlb_stale_until_invalidated)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x12345000, ga = data_page(e), gb = data_page(e), cur;
	struct inv_entry match[8], other[8];
	int nm, no, i, j, lists;
	__u64 *leaf;

	lists = inv_lists(e, iova, match, other);
	nm = lists & 0xff;
	no = lists >> 8;
	ASSERT_EQ(0, s1_map(&e->pt, iova, ga, SZ_4K, PERM_RW));
	leaf = s1_leaf(&e->pt, iova, SZ_4K);
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, gp(e, ga), SZ_4K));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 0, iova, gp(e, ga), SZ_4K));
	cur = ga;
	for (i = 0; i < nm; i++) {
		__u64 next = cur == ga ? gb : ga;

		s1_set_addr(e->smmu, leaf, next);
		EXPECT_EQ(1, read_ok(_metadata, e, 0, 0, iova, gp(e, cur),
				     SZ_4K)) TH_LOG("stale, before %s",
						    match[i].what);
		for (j = 0; j < no; j++) {
			ASSERT_EQ(0, inv_one(e, e->hwpt, &other[j]))
				TH_LOG("%s", other[j].what);
			EXPECT_EQ(1, read_ok(_metadata, e, 0, 0, iova + 8,
					     gp(e, cur) + 8, 64))
				TH_LOG("still stale after %s", other[j].what);
		}
		ASSERT_EQ(0, inv_one(e, e->hwpt, &match[i]))
			TH_LOG("%s", match[i].what);
		EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, gp(e, next),
				     SZ_4K)) TH_LOG("fresh after %s",
						    match[i].what);
		cur = next;
	}
	/* A leaf is cached whole: a 2 MiB one goes with any of its pages. */
	{
		__u64 big = SZ_1G + 8 * SZ_2M;
		__u64 g1 = data_pages(e, SZ_2M), g2 = data_pages(e, SZ_2M);

		ASSERT_NE(0, g2);
		ASSERT_EQ(0, s1_map(&e->pt, big, g1, SZ_2M, PERM_RW));
		EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, big + 0x5000,
				     gp(e, g1) + 0x5000, 64));
		s1_set_addr(e->smmu, s1_leaf(&e->pt, big, SZ_2M), g2);
		EXPECT_EQ(1, read_ok(_metadata, e, 0, 0, big + 0x5000,
				     gp(e, g1) + 0x5000, 64));
		ASSERT_EQ(0, inv_range(e, e->hwpt, MAIN_ASID, big + 0x1ff000,
				       SZ_4K));
		EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, big + 0x5000,
				     gp(e, g2) + 0x5000, 64));
	}
}

/*
 * A stage-2 unmap flushes the nested translations made through it, as the
 * driver must (the page may be freed): a remap of the GPA to other memory
 * is seen without any stage-1 invalidation.
 */
TEST_F(nest, iotlb_flushed_by_stage2_unmap)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x13000000, other = 0x13001000, g = data_page(e);
	__u8 *b1, *b2, *b3;

	b1 = env_extra(_metadata, e, EXTRA_GPA, SZ_4K, true);
	ASSERT_EQ(0, s1_map(&e->pt, iova, EXTRA_GPA, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&e->pt, other, g, SZ_4K, PERM_RW));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, b1, SZ_4K));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 0, iova, b1, SZ_4K));

	/* Unmapped and mapped again to another buffer. */
	ASSERT_EQ(0, ioas_unmap_at(e->fd, e->ioas, EXTRA_GPA, SZ_4K));
	b2 = env_extra(_metadata, e, EXTRA_GPA, SZ_4K, true);
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, b2, SZ_4K));
	write_ok(_metadata, e, 0, 0, iova + 16, b2 + 16, 64);
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 0, iova, b2, SZ_4K));

	/* Unmapped: nothing is translated from the IOTLB any more. */
	ASSERT_EQ(0, ioas_unmap_at(e->fd, e->ioas, EXTRA_GPA, SZ_4K));
	dma_fails(_metadata, e, 0, 0, iova, 8, 0, ENXIO, 2, F_NP, 0, 0,
		  EXTRA_GPA);

	/* Any unmap of the parent flushes every nested translation. */
	read_ok(_metadata, e, 0, 0, other, gp(e, g), 64);
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 0, other, gp(e, g), 64));
	b3 = env_extra(_metadata, e, EXTRA_GPA + SZ_2M, SZ_4K, true);
	(void)b3;
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 0, other, gp(e, g), 64));
	ASSERT_EQ(0, ioas_unmap_at(e->fd, e->ioas, EXTRA_GPA + SZ_2M, SZ_4K));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, other, gp(e, g), 64));
}

/*
 * An IOTLB entry is one translation: the rights proven by an old walk do not
 * go with the page a newer walk found.  The guest moves a writable page to
 * another GPA, read-only, without invalidating; a request the IOTLB cannot
 * serve (an instruction fetch) walks again.  A later write may use the old
 * translation (stale, allowed) or the new one (refused): it must never
 * write the new, read-only page.
 */
TEST_F(nest, iotlb_never_mixes_translations)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x1a000000, ga = data_page(e), gb = data_page(e);
	__u8 before[SZ_4K], buf[64];
	struct ioasid_test_mock_dma d;
	int rc;

	if (e->smmu)
		s1_cd(e, &e->pt, 1, MAIN_ASID, 0);
	else
		ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 1, e->hwpt,
						 false, NULL));
	ASSERT_EQ(0, s1_map(&e->pt, iova, ga, SZ_4K, PERM_RW));
	write_ok(_metadata, e, 0, 1, iova, gp(e, ga), 64);
	read_ok(_metadata, e, 0, 1, iova, gp(e, ga), SZ_4K);
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 1, iova, gp(e, ga), SZ_4K));

	/* Moved and made read-only, not invalidated. */
	s1_set_addr(e->smmu, s1_leaf(&e->pt, iova, SZ_4K), gb);
	if (e->smmu)
		smmu_desc_set(s1_leaf(&e->pt, iova, SZ_4K), SMMU_PTE_AP_RO);
	else
		*s1_leaf(&e->pt, iova, SZ_4K) &= ~VTD_PTE_RW;
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 1, iova, gp(e, ga), SZ_4K));
	/* A fetch: either translation may serve it. */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, dma(e, DMA_X, 1, iova, buf, sizeof(buf), &d));
	EXPECT_TRUE(!memcmp(buf, gp(e, ga), sizeof(buf)) ||
		    !memcmp(buf, gp(e, gb), sizeof(buf)));

	memcpy(before, gp(e, gb), SZ_4K);
	fill_random(buf, sizeof(buf), &e->rng);
	rc = dma(e, DMA_W, 1, iova, buf, sizeof(buf), &d);
	EXPECT_TRUE(rc == 0 || rc == EACCES) TH_LOG(DMA_LOG(d));
	if (!rc)
		EXPECT_EQ(0, memcmp(buf, gp(e, ga), sizeof(buf)));
	EXPECT_EQ(0, memcmp(before, gp(e, gb), SZ_4K))
		TH_LOG("the write went to the read-only page");
}

/* ---- Invalidation batches ----------------------------------------------- */

/* @n pages from @base whose IOTLB slots (substream/PASID 0) differ. */
static void distinct_pages(__u64 base, __u64 *iova, int n)
{
	__u64 used = 0, p = base;
	int i;

	for (i = 0; i < n; p += SZ_4K) {
		unsigned int slot = iotlb_slot(0, p);

		if (used & (1ULL << slot))
			continue;
		used |= 1ULL << slot;
		iova[i++] = p;
	}
}

/*
 * A batch with a bad entry in the middle: the entries before it are
 * carried out, the bad one and those after it not; the errno is the bad
 * entry's and entry_num counts those done.
 */
TEST_F(nest, invalidate_batch_stops_at_bad_entry)
{
	struct bad {
		const char *what;
		int err;
		struct ioasid_hwpt_vtd_s1_invalidate vtd;
		__u64 cmd[2];
	};
	static const struct bad vtd_bad[] = {
		{ "unknown flag", EINVAL, { .addr = 0, .npages = 1,
					    .flags = 1 << 7 } },
		{ "reserved", EINVAL, { .addr = 0, .npages = 1,
					.__reserved = 1 } },
		{ "no pages", EINVAL, { .addr = 0, .npages = 0 } },
		{ "misaligned", EINVAL, { .addr = 0x800, .npages = 1 } },
		{ "wraps", EINVAL, { .addr = 0xfffffffffffff000ULL,
				     .npages = 2 } },
	};
	static const struct bad smmu_bad[] = {
		{ "CMD_SYNC", EOPNOTSUPP, {}, { SMMU_CMD_SYNC, 0 } },
		{ "CMD_CFGI_STE", EOPNOTSUPP, {}, { SMMU_CMD_CFGI_STE, 0 } },
		{ "CMD_TLBI_S2_IPA", EOPNOTSUPP, {}, { SMMU_CMD_TLBI_S2_IPA, 0 } },
		{ "TLBI_NH_ALL with RES0 set", EINVAL, {},
		  { SMMU_CMD_TLBI_NH_ALL | (1ULL << 8), 0 } },
		{ "TLBI_NH_VA with a 16K granule", EINVAL, {},
		  { SMMU_CMD_TLBI_NH_VA, 2ULL << 10 } },
		{ "CFGI_CD_ALL with word 1", EINVAL, {},
		  { SMMU_CMD_CFGI_CD_ALL, 1 } },
	};
	const struct bad *bad = self->e.smmu ? smmu_bad : vtd_bad;
	int nbad = self->e.smmu ? ARRAY_SIZE(smmu_bad) : ARRAY_SIZE(vtd_bad);
	struct nenv *e = &self->e;
	__u64 iova[3], ga[3], gb[3];
	union {
		struct ioasid_hwpt_vtd_s1_invalidate vtd[4];
		struct ioasid_hwpt_arm_smmuv3_invalidate smmu[4];
	} batch;
	__u32 len = e->smmu ? sizeof(batch.smmu[0]) : sizeof(batch.vtd[0]);
	__u32 type = e->smmu ? INV_SMMU : INV_VTD;
	int i, k, pos;

	distinct_pages(0x14000000, iova, 3);
	for (i = 0; i < 3; i++) {
		ga[i] = data_page(e);
		gb[i] = data_page(e);
		ASSERT_EQ(0, s1_map(&e->pt, iova[i], ga[i], SZ_4K, PERM_RW));
	}
	/* An empty batch checks the format and does nothing. */
	{
		__u32 num = 0;

		EXPECT_EQ(0, ioasid_nest_invalidate(e->fd, e->hwpt, type,
						    &batch, len, &num));
		EXPECT_EQ(0, num);
	}

	for (k = 0; k < nbad; k++) {
		for (pos = 0; pos <= 3; pos += 2) {
			__u32 num = 4;
			int rc;

			/* All three cached, then all three changed. */
			for (i = 0; i < 3; i++)
				s1_set_addr(e->smmu,
					    s1_leaf(&e->pt, iova[i], SZ_4K),
					    ga[i]);
			ASSERT_EQ(0, ioasid_nest_invalidate_all(e->fd, e->hwpt,
								e->smmu));
			for (i = 0; i < 3; i++)
				read_ok(_metadata, e, 0, 0, iova[i],
					gp(e, ga[i]), 64);
			for (i = 0; i < 3; i++) {
				ASSERT_EQ(1, read_ok(_metadata, e, 0, 0,
						     iova[i], gp(e, ga[i]),
						     64));
				s1_set_addr(e->smmu,
					    s1_leaf(&e->pt, iova[i], SZ_4K),
					    gb[i]);
			}

			/*
			 * pos 2: [p0, p1, bad, p2]; pos 0: [bad, p0, p1, p2].
			 */
			for (i = 0, rc = 0; i < 4; i++) {
				int page = i < pos ? i : i - 1;

				if (i == pos) {
					if (!e->smmu)
						batch.vtd[i] = bad[k].vtd;
					if (e->smmu) {
						batch.smmu[i].cmd[0] =
							htole64(bad[k].cmd[0]);
						batch.smmu[i].cmd[1] =
							htole64(bad[k].cmd[1]);
					}
					continue;
				}
				if (e->smmu)
					smmu_cmd_tlbi_va(batch.smmu[i].cmd,
							 MAIN_ASID, iova[page],
							 1);
				else
					batch.vtd[i] =
						(struct ioasid_hwpt_vtd_s1_invalidate){
						.addr = iova[page], .npages = 1 };
			}
			rc = ioasid_nest_invalidate(e->fd, e->hwpt, type,
						    &batch, len, &num);
			EXPECT_EQ(bad[k].err, rc) TH_LOG("%s", bad[k].what);
			EXPECT_EQ(pos, num) TH_LOG("%s", bad[k].what);
			for (i = 0; i < 3; i++) {
				bool done = i < pos;

				EXPECT_EQ(done ? 0 : 1,
					  read_ok(_metadata, e, 0, 0, iova[i],
						  gp(e, done ? gb[i] : ga[i]),
						  64))
					TH_LOG("%s at %d: page %d", bad[k].what,
					       pos, i);
			}
		}
	}
}

/* ---- Replace, detach, destroy ------------------------------------------- */

static __u32 domain_flags(struct __test_metadata *_metadata, struct nenv *e,
			  __u32 pasid, __u64 *serial)
{
	__u32 flags = 0;

	EXPECT_EQ(0, ioasid_pasid_domain(e->fd, e->mock, pasid, serial,
					 &flags));
	return flags;
}

/*
 * The RID moves between two nested HWPTs on one parent, to the parent
 * itself and back; the parent cannot go while a nested HWPT holds it.
 */
TEST_F(nest, replace_and_destroy)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x15000000, ga = data_page(e), gb = data_page(e);
	__u64 serial, serial2;
	struct s1 alt;
	__u32 hb;

	s1_init(_metadata, e, &alt, ALT_OFF, ALT_END, GEOM(e));
	ASSERT_EQ(0, s1_map(&e->pt, iova, ga, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&alt, iova, gb, SZ_4K, PERM_RW));
	hb = s1_hwpt(_metadata, e, &alt, 0);

	read_ok(_metadata, e, 0, 0, iova, gp(e, ga), SZ_4K);
	EXPECT_EQ(IOASID_TEST_DOMAIN_NESTED,
		  domain_flags(_metadata, e, 0, &serial) &
		  IOASID_TEST_DOMAIN_NESTED);
	/* nested -> nested: the other tables, with an IOTLB of their own. */
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, hb, true));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, gp(e, gb), SZ_4K));
	EXPECT_EQ(IOASID_TEST_DOMAIN_NESTED,
		  domain_flags(_metadata, e, 0, &serial2) &
		  IOASID_TEST_DOMAIN_NESTED);
	/* Both on the same stage 2. */
	EXPECT_EQ(serial, serial2);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, e->hwpt, true));
	read_ok(_metadata, e, 0, 0, iova, gp(e, ga), SZ_4K);

	/* nested -> parent: stage 2 alone, the device's address is a GPA. */
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, e->parent, true));
	EXPECT_EQ(0, domain_flags(_metadata, e, 0, &serial2) &
		  IOASID_TEST_DOMAIN_NESTED);
	EXPECT_EQ(serial, serial2);
	read_ok(_metadata, e, 0, 0, gb, gp(e, gb), SZ_4K);
	write_ok(_metadata, e, 0, 0, ga + 8, gp(e, ga) + 8, 64);
	dma_fails(_metadata, e, 0, 0, iova, 8, 0, ENXIO, 1, F_NP, 0, 0, iova);
	/* and back. */
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, hb, true));
	read_ok(_metadata, e, 0, 0, iova, gp(e, gb), SZ_4K);

	/* Held: the parent by its nested HWPTs, an attached HWPT. */
	EXPECT_EQ(EBUSY, destroy(e->fd, e->parent));
	EXPECT_EQ(EBUSY, destroy(e->fd, hb));
	EXPECT_EQ(EBUSY, destroy(e->fd, e->ioas));
	ASSERT_EQ(0, destroy(e->fd, e->hwpt));
	EXPECT_EQ(EBUSY, destroy(e->fd, e->parent));
	/* Detached, DMA is blocked. */
	ASSERT_EQ(0, ioasid_rid_detach(e->fd, e->mock));
	dma_fails(_metadata, e, 0, 0, iova, 8, 0, ENXIO, 0, F_ABORT, 0, 0,
		  iova);
	ASSERT_EQ(0, destroy(e->fd, hb));
	ASSERT_EQ(0, destroy(e->fd, e->parent));
	ASSERT_EQ(0, destroy(e->fd, e->ioas));
}

/* ---- VT-d: PASIDs ------------------------------------------------------- */

/*
 * Two nested HWPTs on one parent, on two PASIDs (and the RID): each PASID
 * translates with its own tables, and each HWPT's invalidation drops only
 * what that HWPT cached, for every PASID it is attached to.
 */
TEST_F(vtd, two_pasids_one_parent)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x16000000, g[4];
	struct ioasid_device_get_pasid_info info;
	struct s1 alt;
	__u32 hb;
	int i;

	for (i = 0; i < 4; i++)
		g[i] = data_page(e);
	s1_init(_metadata, e, &alt, ALT_OFF, ALT_END, 4);
	ASSERT_EQ(0, s1_map(&e->pt, iova, g[0], SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&alt, iova, g[1], SZ_4K, PERM_RW));
	hb = s1_hwpt(_metadata, e, &alt, 0);
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 1, e->hwpt, false,
					 NULL));
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 2, hb, false, NULL));
	ASSERT_EQ(0, ioasid_pasid_info(e->fd, e->dev, 1, &info));
	EXPECT_EQ(IOASID_PT_HWPT_NESTED, info.out_pt_kind);
	EXPECT_EQ(e->hwpt, info.out_pt_id);
	ASSERT_EQ(0, ioasid_pasid_info(e->fd, e->dev, 2, &info));
	EXPECT_EQ(IOASID_PT_HWPT_NESTED, info.out_pt_kind);
	EXPECT_EQ(hb, info.out_pt_id);
	EXPECT_TRUE(domain_flags(_metadata, e, 2, NULL) &
		    IOASID_TEST_DOMAIN_NESTED);

	EXPECT_EQ(0, read_ok(_metadata, e, 0, 1, iova, gp(e, g[0]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 2, iova, gp(e, g[1]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, gp(e, g[0]), 64));
	/* The IOTLB is tagged by PASID: another PASID walks again. */
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 3, e->hwpt, false,
					 NULL));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 3, iova, gp(e, g[0]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 1, iova, gp(e, g[0]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 2, iova, gp(e, g[1]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 0, iova, gp(e, g[0]), 64));

	s1_set_addr(false, s1_leaf(&e->pt, iova, SZ_4K), g[2]);
	s1_set_addr(false, s1_leaf(&alt, iova, SZ_4K), g[3]);
	/* Invalidating B: PASID 2 sees its new page, A's users do not. */
	ASSERT_EQ(0, inv_vtd(e, hb, iova, 1, 0));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 2, iova, gp(e, g[3]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 1, iova, gp(e, g[0]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 3, iova, gp(e, g[0]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 0, iova, gp(e, g[0]), 64));
	/* Invalidating A: every PASID and the RID attached to it. */
	ASSERT_EQ(0, inv_vtd(e, e->hwpt, iova, 1, 0));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 1, iova, gp(e, g[2]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 3, iova, gp(e, g[2]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, gp(e, g[2]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 2, iova, gp(e, g[3]), 64));
	/* A PASID with nothing attached is blocked. */
	dma_fails(_metadata, e, 0, 4, iova, 8, 0, ENXIO, 0, F_ABORT, 0, 0,
		  iova);
}

/* A PASID moves between nested HWPTs and the parent. */
TEST_F(vtd, pasid_replace)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x17000000, ga = data_page(e), gb = data_page(e);
	struct ioasid_device_get_pasid_info info;
	struct s1 alt;
	__u32 hb, got;

	s1_init(_metadata, e, &alt, ALT_OFF, ALT_END, 4);
	ASSERT_EQ(0, s1_map(&e->pt, iova, ga, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&alt, iova, gb, SZ_4K, PERM_RW));
	hb = s1_hwpt(_metadata, e, &alt, 0);

	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 5, e->hwpt, false,
					 &got));
	EXPECT_EQ(e->hwpt, got);
	read_ok(_metadata, e, 0, 5, iova, gp(e, ga), 64);
	/* nested -> nested */
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 5, hb, true, &got));
	EXPECT_EQ(hb, got);
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 5, iova, gp(e, gb), 64));
	ASSERT_EQ(0, ioasid_pasid_info(e->fd, e->dev, 5, &info));
	EXPECT_EQ(hb, info.out_pt_id);
	EXPECT_EQ(IOASID_PT_HWPT_NESTED, info.out_pt_kind);
	/* nested -> parent: stage 2 only */
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 5, e->parent, true,
					 &got));
	EXPECT_EQ(e->parent, got);
	EXPECT_EQ(0, domain_flags(_metadata, e, 5, NULL) &
		  IOASID_TEST_DOMAIN_NESTED);
	read_ok(_metadata, e, 0, 5, gb, gp(e, gb), 64);
	dma_fails(_metadata, e, 0, 5, iova, 8, 0, ENXIO, 1, F_NP, 0, 0, iova);
	ASSERT_EQ(0, ioasid_pasid_info(e->fd, e->dev, 5, &info));
	EXPECT_EQ(IOASID_PT_HWPT_PAGING, info.out_pt_kind);
	/* parent -> nested */
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 5, e->hwpt, true,
					 NULL));
	read_ok(_metadata, e, 0, 5, iova, gp(e, ga), 64);
	/* The RID did not move. */
	read_ok(_metadata, e, 0, 0, iova, gp(e, ga), 64);

	EXPECT_EQ(EBUSY, destroy(e->fd, e->parent));
	ASSERT_EQ(0, ioasid_rid_detach(e->fd, e->mock));
	/* Still held by the PASID. */
	EXPECT_EQ(EBUSY, destroy(e->fd, e->hwpt));
	ASSERT_EQ(0, ioasid_pasid_detach(e->fd, e->mock, 5));
	dma_fails(_metadata, e, 0, 5, iova, 8, 0, ENXIO, 0, F_ABORT, 0, 0,
		  iova);
	EXPECT_EQ(EBUSY, destroy(e->fd, e->parent));
	ASSERT_EQ(0, destroy(e->fd, e->hwpt));
	ASSERT_EQ(0, destroy(e->fd, hb));
	ASSERT_EQ(0, destroy(e->fd, e->parent));

	/* The owner's policy decides: paging only refuses nested HWPTs. */
	ASSERT_EQ(0, ioasid_nest_parent_alloc(e->fd, e->dev, e->ioas, true,
					      &e->parent));
	e->hwpt = s1_hwpt(_metadata, e, &e->pt, 0);
	ASSERT_EQ(0, ioasid_allow_pasid(e->fd, e->mock, 20, 20,
					IOASID_PASID_CFG_PAGING));
	EXPECT_EQ(EPERM, ioasid_pasid_attach(e->fd, e->mock, 20, e->hwpt,
					     false, NULL));
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 20, e->parent, false,
					 NULL));
	EXPECT_EQ(EPERM, ioasid_pasid_attach(e->fd, e->mock, 20, e->hwpt,
					     true, NULL));
	read_ok(_metadata, e, 0, 20, ga, gp(e, ga), 64);
}

/* ---- SMMUv3: substreams, ASIDs and the CD cache ------------------------- */

/*
 * Substreams with CDs of different ASIDs on one STE: each translates with
 * its own tables; TLBI by ASID or by ASID and address drops only that
 * ASID; TLBI_NH_VAA and TLBI_NH_ALL drop all.
 */
TEST_F(smmu, asids)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x16000000, g[6];
	struct s1 alt;
	__u64 cmd[2];
	int i;

	for (i = 0; i < 6; i++)
		g[i] = data_page(e);
	s1_init(_metadata, e, &alt, ALT_OFF, ALT_END, 16);
	ASSERT_EQ(0, s1_map(&e->pt, iova, g[0], SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&alt, iova, g[1], SZ_4K, PERM_RW));
	/* Substreams 1 and 3: ASID 10 on the main tables; 2: ASID 20 on alt. */
	s1_cd(e, &e->pt, 1, 10, 0);
	s1_cd(e, &e->pt, 3, 10, 0);
	smmu_cd_write(gp(e, e->pt.cd + 2 * SMMU_CD_BYTES), alt.s.ttb0,
		      alt.s.t0sz, 20, 0);

	EXPECT_EQ(0, read_ok(_metadata, e, 0, 1, iova, gp(e, g[0]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 2, iova, gp(e, g[1]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 3, iova, gp(e, g[0]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 1, iova, gp(e, g[0]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 2, iova, gp(e, g[1]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 3, iova, gp(e, g[0]), 64));

	s1_set_addr(true, s1_leaf(&e->pt, iova, SZ_4K), g[2]);
	s1_set_addr(true, s1_leaf(&alt, iova, SZ_4K), g[3]);
	/* TLBI by address of ASID 20 drops substream 2 only. */
	smmu_cmd_tlbi_va(cmd, 20, iova, 1);
	ASSERT_EQ(0, inv_cmd(e, e->hwpt, cmd));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 2, iova, gp(e, g[3]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 1, iova, gp(e, g[0]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 3, iova, gp(e, g[0]), 64));
	/* TLBI by ASID 10: both its substreams, not ASID 20's. */
	s1_set_addr(true, s1_leaf(&alt, iova, SZ_4K), g[1]);
	smmu_cmd_tlbi_asid(cmd, 10);
	ASSERT_EQ(0, inv_cmd(e, e->hwpt, cmd));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 1, iova, gp(e, g[2]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 3, iova, gp(e, g[2]), 64));
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 2, iova, gp(e, g[3]), 64));
	/* TLBI_NH_VAA: that address, any ASID. */
	s1_set_addr(true, s1_leaf(&e->pt, iova, SZ_4K), g[4]);
	smmu_cmd_tlbi_vaa(cmd, iova, 1);
	ASSERT_EQ(0, inv_cmd(e, e->hwpt, cmd));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 1, iova, gp(e, g[4]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 2, iova, gp(e, g[1]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 3, iova, gp(e, g[4]), 64));
	/* TLBI_NH_ALL: everything. */
	s1_set_addr(true, s1_leaf(&e->pt, iova, SZ_4K), g[5]);
	s1_set_addr(true, s1_leaf(&alt, iova, SZ_4K), g[0]);
	EXPECT_EQ(1, read_ok(_metadata, e, 0, 1, iova, gp(e, g[4]), 64));
	smmu_cmd_tlbi_all(cmd);
	ASSERT_EQ(0, inv_cmd(e, e->hwpt, cmd));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 1, iova, gp(e, g[5]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 2, iova, gp(e, g[0]), 64));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 3, iova, gp(e, g[5]), 64));
}

/*
 * The SMMU caches CDs: a CD the guest changes is used as it was until
 * CFGI_CD of its substream (or CFGI_CD_ALL), even once the TLB is empty.
 */
TEST_F(smmu, cd_cache)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x18000000, ga = data_page(e), gb = data_page(e);
	struct s1 alt;
	__u64 cmd[2], tlbi_all[2];

	s1_init(_metadata, e, &alt, ALT_OFF, ALT_END, 16);
	ASSERT_EQ(0, s1_map(&e->pt, iova, ga, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&alt, iova, gb, SZ_4K, PERM_RW));
	s1_cd(e, &e->pt, 5, MAIN_ASID, 0);
	smmu_cmd_tlbi_all(tlbi_all);

	read_ok(_metadata, e, 0, 0, iova, gp(e, ga), 64);
	read_ok(_metadata, e, 0, 5, iova, gp(e, ga), 64);
	/* CD 0 now points at the other tables. */
	smmu_cd_write(gp(e, e->pt.cd), alt.s.ttb0, 16, MAIN_ASID, 0);
	ASSERT_EQ(0, inv_cmd(e, e->hwpt, tlbi_all));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, gp(e, ga), 64));
	/* CFGI_CD of another substream: no change. */
	smmu_cmd_cfgi_cd(cmd, 5, 1);
	ASSERT_EQ(0, inv_cmd(e, e->hwpt, cmd));
	ASSERT_EQ(0, inv_cmd(e, e->hwpt, tlbi_all));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, gp(e, ga), 64));
	/* CFGI_CD of substream 0 (DMA without substream). */
	smmu_cmd_cfgi_cd(cmd, 0, 1);
	ASSERT_EQ(0, inv_cmd(e, e->hwpt, cmd));
	EXPECT_EQ(0, read_ok(_metadata, e, 0, 0, iova, gp(e, gb), 64));
	/* Substream 5 kept its CD. */
	read_ok(_metadata, e, 0, 5, iova, gp(e, ga), 64);

	/* CFGI_CD_ALL: every substream's. */
	smmu_cd_write(gp(e, e->pt.cd), e->pt.s.ttb0, 16, MAIN_ASID, 0);
	smmu_cd_write(gp(e, e->pt.cd + 5 * SMMU_CD_BYTES), alt.s.ttb0, 16,
		      MAIN_ASID, 0);
	ASSERT_EQ(0, inv_cmd(e, e->hwpt, tlbi_all));
	read_ok(_metadata, e, 0, 0, iova, gp(e, gb), 64);
	read_ok(_metadata, e, 0, 5, iova, gp(e, ga), 64);
	smmu_cmd_cfgi_cd_all(cmd);
	ASSERT_EQ(0, inv_cmd(e, e->hwpt, cmd));
	read_ok(_metadata, e, 0, 0, iova, gp(e, ga), 64);
	read_ok(_metadata, e, 0, 5, iova, gp(e, gb), 64);

	/* An invalid CD is not cached: its fix needs no CFGI_CD. */
	smmu_cd_write(gp(e, e->pt.cd + 6 * SMMU_CD_BYTES), e->pt.s.ttb0, 16,
		      MAIN_ASID, SMMU_CD_INVALID);
	dma_fails(_metadata, e, 0, 6, iova, 8, 0, ENXIO, 1, F_CFG, 0, 0, iova);
	s1_cd(e, &e->pt, 6, MAIN_ASID, 0);
	read_ok(_metadata, e, 0, 6, iova, gp(e, ga), 64);
}

/*
 * Which CD a DMA uses: STE S1CDMax, S1DSS and S1Fmt; substreams come from
 * the CD table, never from a PASID attachment.
 */
TEST_F(smmu, substreams)
{
	struct nenv *e = &self->e;
	__u64 iova = 0x19000000, g = data_page(e), l1, l2, ste[2];
	__u32 h;

	ASSERT_EQ(0, s1_map(&e->pt, iova, g, SZ_4K, PERM_RW));
	s1_cd(e, &e->pt, 15, MAIN_ASID, 0);
	read_ok(_metadata, e, 0, 15, iova, gp(e, g), 64);
	/* Beyond S1CDMax (16 substreams), and a CD left invalid. */
	dma_fails(_metadata, e, 0, 16, iova, 8, 0, ENXIO, 1, F_CFG, 0, 0, iova);
	dma_fails(_metadata, e, 0, 7, iova, 8, 0, ENXIO, 1, F_CFG, 0, 0, iova);
	/* A nested HWPT of the SMMUv3 is an STE: a RID's only. */
	ASSERT_EQ(0, ioasid_allow_pasid(e->fd, e->mock, 1, 15,
					IOASID_PASID_CFG_NESTED |
					IOASID_PASID_CFG_PAGING));
	EXPECT_EQ(EOPNOTSUPP, ioasid_pasid_attach(e->fd, e->mock, 7, e->hwpt,
						  false, NULL));
	/* A PASID attached to a paging HWPT is not a substream any more. */
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 15, e->parent, false,
					 NULL));
	read_ok(_metadata, e, 0, 15, g, gp(e, g), 64);
	ASSERT_EQ(0, ioasid_pasid_detach(e->fd, e->mock, 15));
	read_ok(_metadata, e, 0, 15, iova, gp(e, g), 64);

	/* S1CDMax 0: one CD, no substreams. */
	h = smmu_hwpt_fmt(_metadata, e, e->pt.cd, 0, SMMU_STE_S1DSS_TERMINATE,
			  SMMU_STE0_S1FMT_LINEAR);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, true));
	read_ok(_metadata, e, 0, 0, iova, gp(e, g), 64);
	dma_fails(_metadata, e, 0, 1, iova, 8, 0, ENXIO, 1, F_CFG, 0, 0, iova);
	/* S1DSS: DMA without substream terminated, or bypassing stage 1. */
	h = smmu_hwpt_fmt(_metadata, e, e->pt.cd, 2, SMMU_STE_S1DSS_TERMINATE,
			  SMMU_STE0_S1FMT_LINEAR);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, true));
	dma_fails(_metadata, e, 0, 0, iova, 8, 0, ENXIO, 1, F_CFG, 0, 0, iova);
	h = smmu_hwpt_fmt(_metadata, e, e->pt.cd, 2, SMMU_STE_S1DSS_BYPASS,
			  SMMU_STE0_S1FMT_LINEAR);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, true));
	read_ok(_metadata, e, 0, 0, g + 0x10, gp(e, g) + 0x10, 64);
	s1_cd(e, &e->pt, 3, MAIN_ASID, 0);
	read_ok(_metadata, e, 0, 3, iova, gp(e, g), 64);
	/* STE bypass and abort. */
	smmu_ste_bypass(ste);
	h = smmu_hwpt_ste(_metadata, e, ste);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, true));
	read_ok(_metadata, e, 0, 0, g, gp(e, g), 64);
	dma_fails(_metadata, e, 0, 0, HOLE_GPA, 8, 0, ENXIO, 2, F_NP, 0, 0,
		  HOLE_GPA);
	smmu_ste_abort(ste);
	h = smmu_hwpt_ste(_metadata, e, ste);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, true));
	dma_fails(_metadata, e, 0, 0, g, 8, 0, ENXIO, 1, F_ABORT, 0, 0, g);

	/* Two-level CD table, 4 KiB leaves of 64 CDs: substream 70 = 1:6. */
	l1 = smmu_pt_alloc(&e->pt.s);
	l2 = smmu_pt_alloc(&e->pt.s);
	ASSERT_NE(0, l2);
	*(__u64 *)gp(e, l1 + 8) = smmu_l1cd(l2);
	smmu_cd_write(gp(e, l2 + 6 * SMMU_CD_BYTES), e->pt.s.ttb0, 16,
		      MAIN_ASID, 0);
	h = smmu_hwpt_fmt(_metadata, e, l1, 8, SMMU_STE_S1DSS_SSID0,
			  SMMU_STE0_S1FMT_4K_L2);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, true));
	read_ok(_metadata, e, 0, 70, iova, gp(e, g), 64);
	/* Its level-1 descriptor 0 is invalid. */
	dma_fails(_metadata, e, 0, 6, iova, 8, 0, ENXIO, 1, F_CFG, 0, 0, iova);
	/* A level-1 descriptor outside the stage 2. */
	*(__u64 *)gp(e, l1 + 16) = smmu_l1cd(HOLE_GPA);
	dma_fails(_metadata, e, 0, 130, iova, 8, 0, ENXIO, 2, F_NP, 0, TF,
		  HOLE_GPA + 2 * SMMU_CD_BYTES);
	/* RES0 bits in a level-1 descriptor. */
	*(__u64 *)gp(e, l1 + 24) = smmu_l1cd(l2) | htole64(1ULL << 60);
	dma_fails(_metadata, e, 0, 3 * 64 + 6, iova, 8, 0, ENXIO, 1, F_CFG, 0,
		  0, iova);
}

/* The input range of TTB0 (T0SZ) and the top byte (TBI0). */
TEST_F(smmu, input_size)
{
	struct nenv *e = &self->e;
	__u64 g = data_page(e), tag = 0xab00000000000000ULL;
	__u64 top = (1ULL << 39) - SZ_4K;
	struct s1 small;

	/* 25-bit T0SZ: a 39-bit input, first table at level 1. */
	s1_init(_metadata, e, &small, ALT_OFF, ALT_END, 25);
	ASSERT_EQ(1, small.s.start_level);
	ASSERT_EQ(0, s1_map(&small, top, g, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&small, 0x1000, g, SZ_4K, PERM_RW));
	smmu_cd_write(gp(e, e->pt.cd + SMMU_CD_BYTES), small.s.ttb0, 25,
		      MAIN_ASID, 0);
	read_ok(_metadata, e, 0, 1, top, gp(e, g), 64);
	read_ok(_metadata, e, 0, 1, 0x1008, gp(e, g) + 8, 64);
	dma_fails(_metadata, e, 0, 1, 1ULL << 39, 8, 0, ENXIO, 1, F_SIZE, 0, 0,
		  1ULL << 39);
	dma_fails(_metadata, e, 0, 1, top + SZ_4K - 16, 32, 16, ENXIO, 1,
		  F_SIZE, 0, 0, 1ULL << 39);
	/* 48 bits: beyond is an address size fault; TBI0 ignores the tag. */
	ASSERT_EQ(0, s1_map(&e->pt, 0x1000, g, SZ_4K, PERM_RW));
	s1_cd(e, &e->pt, 2, MAIN_ASID, SMMU_CD_TBI0);
	dma_fails(_metadata, e, 0, 0, 1ULL << 48, 8, 0, ENXIO, 1, F_SIZE, 0, 0,
		  1ULL << 48);
	dma_fails(_metadata, e, 0, 0, tag | 0x1000, 8, 0, ENXIO, 1, F_SIZE, 0,
		  0, tag | 0x1000);
	read_ok(_metadata, e, 0, 2, tag | 0x1000, gp(e, g), 64);
	/* EPD0: nothing translates through TTB0. */
	s1_cd(e, &e->pt, 3, MAIN_ASID, SMMU_CD_EPD0);
	dma_fails(_metadata, e, 0, 3, 0x1000, 8, 0, ENXIO, 1, F_NP, 0, 0,
		  0x1000);
}

/* ---- Malformed entries -------------------------------------------------- */

TEST_F(vtd, malformed_entries)
{
	struct nenv *e = &self->e;
	struct vtd_pt *pt = &e->pt.v;
	__u64 us = VTD_PTE_US | VTD_PTE_RW, g = data_page(e);
	__u64 g2m = data_pages(e, SZ_2M);
	__u64 i, ign = 0x7ffULL << 52;
	struct ioasid_hwpt_vtd_s1 data;
	__u32 id;

	/* Address bits 51:48, beyond the host address width: reserved. */
	i = 8 * SZ_1G;
	ASSERT_EQ(0, vtd_pt_map(pt, i, g, SZ_4K, us | (1ULL << 48)));
	ASSERT_EQ(0, vtd_pt_map(pt, i + SZ_4K, g, SZ_4K, us | (1ULL << 51)));
	dma_fails(_metadata, e, 0, 0, i, 8, 0, ENXIO, 1, F_RSVD, 1, 0, i);
	dma_fails(_metadata, e, DMA_W, 0, i + SZ_4K, 8, 0, ENXIO, 1, F_RSVD, 1,
		  0, i + SZ_4K);
	/* In a table entry: at its level. */
	ASSERT_EQ(0, vtd_pt_map(pt, i + SZ_2M, g, SZ_4K, us));
	*vtd_pt_entry(pt, i + SZ_2M, 2) |= 1ULL << 49;
	dma_fails(_metadata, e, 0, 0, i + SZ_2M, 8, 0, ENXIO, 1, F_RSVD, 2, 0,
		  i + SZ_2M);
	/* Bits 62:52 are ignored; PAT (bit 7) of a 4 KiB leaf is not PS. */
	ASSERT_EQ(0, vtd_pt_map(pt, i + 2 * SZ_4K, g, SZ_4K, us | ign));
	ASSERT_EQ(0, vtd_pt_map(pt, i + 3 * SZ_4K, g, SZ_4K, us | VTD_PTE_PS));
	read_ok(_metadata, e, 0, 0, i + 2 * SZ_4K, gp(e, g), 64);
	read_ok(_metadata, e, 0, 0, i + 3 * SZ_4K, gp(e, g), 64);
	EXPECT_EQ(ign, *vtd_pt_entry(pt, i + 2 * SZ_4K, 1) & ign);

	/* PS in a PML4 entry is reserved. */
	i = 5ULL << 39;
	ASSERT_EQ(0, vtd_pt_map(pt, i, g, SZ_4K, us));
	*vtd_pt_entry(pt, i, 4) |= VTD_PTE_PS;
	dma_fails(_metadata, e, 0, 0, i, 8, 0, ENXIO, 1, F_RSVD, 4, 0, i);

	/* Bits 29:13 of a 1 GiB leaf, 20:13 of a 2 MiB one; bit 12 is PAT. */
	i = 9 * SZ_1G;
	ASSERT_EQ(0, vtd_pt_map(pt, i, GPA_BASE, SZ_1G, us | (1ULL << 13)));
	ASSERT_EQ(0, vtd_pt_map(pt, i + SZ_1G, GPA_BASE, SZ_1G,
				us | (1ULL << 29)));
	ASSERT_EQ(0, vtd_pt_map(pt, i + 2 * SZ_1G, GPA_BASE, SZ_1G,
				us | (1ULL << 12)));
	dma_fails(_metadata, e, 0, 0, i + DATA_OFF, 8, 0, ENXIO, 1, F_RSVD, 3,
		  0, i + DATA_OFF);
	dma_fails(_metadata, e, 0, 0, i + SZ_1G + DATA_OFF, 8, 0, ENXIO, 1,
		  F_RSVD, 3, 0, i + SZ_1G + DATA_OFF);
	read_ok(_metadata, e, 0, 0, i + 2 * SZ_1G + DATA_OFF,
		gp(e, GPA_BASE + DATA_OFF), 64);
	i = 12 * SZ_1G;
	ASSERT_EQ(0, vtd_pt_map(pt, i, g2m, SZ_2M, us | (1ULL << 20)));
	ASSERT_EQ(0, vtd_pt_map(pt, i + SZ_2M, g2m, SZ_2M, us | (1ULL << 12)));
	dma_fails(_metadata, e, 0, 0, i + 0x3000, 8, 0, ENXIO, 1, F_RSVD, 2, 0,
		  i + 0x3000);
	read_ok(_metadata, e, 0, 0, i + SZ_2M + 0x3000, gp(e, g2m) + 0x3000,
		64);

	/* P clear: in a table entry, or in the leaf. */
	i = 13 * SZ_1G;
	ASSERT_EQ(0, vtd_pt_map(pt, i, g, SZ_4K, us));
	ASSERT_EQ(0, vtd_pt_map(pt, i + SZ_4K, g, SZ_4K, us));
	*vtd_pt_entry(pt, i, 1) &= ~VTD_PTE_P;
	dma_fails(_metadata, e, 0, 0, i, 8, 0, ENXIO, 1, F_NP, 1, 0, i);
	read_ok(_metadata, e, 0, 0, i + SZ_4K, gp(e, g), 64);
	*vtd_pt_entry(pt, i, 3) &= ~VTD_PTE_P;
	ASSERT_EQ(0, inv_vtd(e, e->hwpt, 0, ~0ULL, 0));
	dma_fails(_metadata, e, 0, 0, i + SZ_4K, 8, 0, ENXIO, 1, F_NP, 3, 0,
		  i + SZ_4K);

	/* What the PASID entry takes is checked when the HWPT is made. */
	vtd_pt_hwpt_data(pt, &data, 0);
	data.pgtbl_addr = 1ULL << 48;
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(e->fd, e->dev, e->parent,
					    IOASID_HWPT_DATA_VTD_S1, &data,
					    sizeof(data), &id));
	data.pgtbl_addr = GPA_BASE + 0x800;
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(e->fd, e->dev, e->parent,
					    IOASID_HWPT_DATA_VTD_S1, &data,
					    sizeof(data), &id));
	vtd_pt_hwpt_data(pt, &data, 0);
	data.addr_width = 39;
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(e->fd, e->dev, e->parent,
					    IOASID_HWPT_DATA_VTD_S1, &data,
					    sizeof(data), &id));
	vtd_pt_hwpt_data(pt, &data, 1ULL << 3);
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(e->fd, e->dev, e->parent,
					    IOASID_HWPT_DATA_VTD_S1, &data,
					    sizeof(data), &id));
	/* A table outside the stage 2 is only found by a walk. */
	vtd_pt_hwpt_data(pt, &data, 0);
	data.pgtbl_addr = HOLE_GPA;
	EXPECT_EQ(0, ioasid_nest_alloc(e->fd, e->dev, e->parent,
				       IOASID_HWPT_DATA_VTD_S1, &data,
				       sizeof(data), &id));
}

TEST_F(smmu, malformed_descriptors)
{
	struct nenv *e = &self->e;
	struct smmu_pt *pt = &e->pt.s;
	__u64 g = data_page(e), g2m = data_pages(e, SZ_2M), i;
	__u64 *l0 = smmu_pt_ptr(pt, pt->ttb0);
	int k;

	/* A level-3 descriptor with bit 1 clear: a translation fault. */
	i = 0x100000;
	ASSERT_EQ(0, s1_map(&e->pt, i, g, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&e->pt, i + SZ_4K, g, SZ_4K, PERM_RW));
	smmu_desc_clear(smmu_pt_entry(pt, i, 3), SMMU_PTE_PAGE);
	dma_fails(_metadata, e, 0, 0, i, 8, 0, ENXIO, 1, F_NP, 3, 0, i);
	read_ok(_metadata, e, 0, 0, i + SZ_4K, gp(e, g), 64);
	/* A block at level 0 translates nothing. */
	i = 3ULL << 39;
	l0[3] = htole64(GPA_BASE | SMMU_PTE_RW | SMMU_PTE_VALID);
	dma_fails(_metadata, e, 0, 0, i + 0x1000, 8, 0, ENXIO, 1, F_NP, 0, 0,
		  i + 0x1000);
	/* RES0 bits below a block's output address. */
	i = 4 * SZ_1G;
	ASSERT_EQ(0, s1_map(&e->pt, i, g2m, SZ_2M, PERM_RW));
	ASSERT_EQ(0, s1_map(&e->pt, i + SZ_1G, GPA_BASE, SZ_1G, PERM_RW));
	smmu_desc_set(smmu_pt_entry(pt, i, 2), 1ULL << 13);
	smmu_desc_set(smmu_pt_entry(pt, i + SZ_1G, 1), 1ULL << 21);
	dma_fails(_metadata, e, 0, 0, i + 0x3000, 8, 0, ENXIO, 1, F_RSVD, 2, 0,
		  i + 0x3000);
	dma_fails(_metadata, e, 0, 0, i + SZ_1G + DATA_OFF, 8, 0, ENXIO, 1,
		  F_RSVD, 1, 0, i + SZ_1G + DATA_OFF);
	/* Output and table addresses beyond the 48-bit output size. */
	i = 6 * SZ_1G;
	ASSERT_EQ(0, s1_map(&e->pt, i, g, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&e->pt, i + SZ_2M, g, SZ_4K, PERM_RW));
	smmu_desc_set(smmu_pt_entry(pt, i, 3), 1ULL << 48);
	smmu_desc_set(smmu_pt_entry(pt, i + SZ_2M, 2), 1ULL << 49);
	dma_fails(_metadata, e, 0, 0, i, 8, 0, ENXIO, 1, F_SIZE, 3, 0, i);
	dma_fails(_metadata, e, 0, 0, i + SZ_2M, 8, 0, ENXIO, 1, F_SIZE, 2, 0,
		  i + SZ_2M);
	/* IPS 32 bits: an output at 4 GiB is too wide. */
	i = 7 * SZ_1G;
	ASSERT_EQ(0, s1_map(&e->pt, i, 4 * SZ_1G, SZ_4K, PERM_RW));
	ASSERT_EQ(0, s1_map(&e->pt, i + SZ_4K, g, SZ_4K, PERM_RW));
	s1_cd(e, &e->pt, 1, MAIN_ASID, 0);
	smmu_desc_clear(gp(e, e->pt.cd + SMMU_CD_BYTES), SMMU_CD0_IPS_MASK);
	dma_fails(_metadata, e, 0, 1, i, 8, 0, ENXIO, 1, F_SIZE, 3, 0, i);
	read_ok(_metadata, e, 0, 1, i + SZ_4K, gp(e, g), 64);

	/* Context descriptors the SMMU refuses (C_BAD_CD), on substream 2. */
	i = 0x100000 + SZ_4K;
	for (k = 0; k < 8; k++) {
		__u64 *w = gp(e, e->pt.cd + 2 * SMMU_CD_BYTES);

		s1_cd(e, &e->pt, 2, MAIN_ASID, 0);
		switch (k) {
		case 0:
			smmu_desc_clear(w, SMMU_CD0_V);
			break;
		case 1:
			smmu_desc_set(w, SMMU_CD0_ENDI);
			break;
		case 2:
			smmu_desc_clear(w, SMMU_CD0_AA64);
			break;
		case 3:
			smmu_desc_set(w, SMMU_CD0_TG0(1));
			break;
		case 4:
			smmu_desc_clear(w, SMMU_CD0_T0SZ(0x3f));
			smmu_desc_set(w, SMMU_CD0_T0SZ(15));
			break;
		case 5:
			smmu_desc_clear(w, SMMU_CD0_T0SZ(0x3f));
			smmu_desc_set(w, SMMU_CD0_T0SZ(40));
			break;
		case 6:
			smmu_desc_set(w + 1, 1ULL << 2);
			break;
		case 7:
			smmu_desc_set(w + 1, 1ULL << 6);	/* TTB0 + 64 */
			break;
		}
		dma_fails(_metadata, e, 0, 2, i, 8, 0, ENXIO, 1, F_CFG, 0, 0,
			  i);
	}
	/* Fixed, it translates: a bad CD was not cached. */
	s1_cd(e, &e->pt, 2, MAIN_ASID, 0);
	read_ok(_metadata, e, 0, 2, i, gp(e, g), 64);

	/* STEs the hypervisor refuses. */
	{
		static const struct {
			const char *what;
			__u64 w0, w1;
		} bad[] = {
			{ "Config 0b111", SMMU_STE0_CONFIG(6), 0 },
			{ "S1Fmt 0b11", SMMU_STE0_S1FMT(3) | SMMU_STE0_S1CDMAX(4),
			  0 },
			{ "S1DSS 0b11", SMMU_STE0_S1CDMAX(4), SMMU_STE1_S1DSS(3) },
			{ "S1CDMax 21", SMMU_STE0_S1CDMAX(21), 0 },
			{ "misaligned table", SMMU_STE0_S1CDMAX(4) | 0x40, 0 },
			{ "word 0 bit 52", 1ULL << 52, 0 },
			{ "word 1 bit 8", 0, 1ULL << 8 },
		};
		__u64 ste[2];
		__u32 id;

		for (k = 0; k < (int)ARRAY_SIZE(bad); k++) {
			struct ioasid_hwpt_arm_smmuv3 data;

			smmu_ste_s1(ste, e->pt.cd, 0, 0);
			data.ste[0] = ste[0] | htole64(bad[k].w0);
			data.ste[1] = ste[1] | htole64(bad[k].w1);
			EXPECT_EQ(EINVAL, ioasid_nest_alloc(e->fd, e->dev,
							    e->parent,
							    IOASID_HWPT_DATA_ARM_SMMUV3,
							    &data, sizeof(data),
							    &id))
				TH_LOG("%s", bad[k].what);
		}
	}
}

/* ---- Garbage in the tables ---------------------------------------------- */

static __u64 test_seed(const char *what)
{
	__u64 seed = ioasid_env_seed("IOASID_NESTED_SEED");

	ksft_print_msg("%s: seed 0x%llx (IOASID_NESTED_SEED=0x%llx replays it)\n",
		       what, (unsigned long long)seed,
		       (unsigned long long)seed);
	return seed;
}

static __u64 tables_end(struct nenv *e)
{
	return e->smmu ? e->pt.s.next : e->pt.v.next;
}

/* A random GPA: in the tables, in the data, in the hole, or anywhere. */
static __u64 random_gpa(struct nenv *e, __u64 *rng)
{
	switch (ioasid_rng_below(rng, 4)) {
	case 0:
		return GPA_BASE + ioasid_rng_below(rng, tables_end(e) / SZ_4K) *
				  SZ_4K;
	case 1:
		return GPA_BASE + DATA_OFF +
		       ioasid_rng_below(rng, (RAM_SIZE - DATA_OFF) / SZ_4K) *
		       SZ_4K;
	case 2:
		return HOLE_GPA + ioasid_rng_below(rng, 1024) * SZ_4K;
	}
	return ioasid_rng_next(rng) & 0x000ffffffffff000ULL;
}

/*
 * Random bytes in the table pages (and, on the SMMUv3, in the CDs, which
 * live there too) while the device does random DMA: every DMA either
 * succeeds or reports a fault, ENXIO or EACCES, coherently; never a crash
 * or a splat.
 */
TEST_F_TIMEOUT(nest, fuzz_garbage_tables, 120)
{
	struct nenv *e = &self->e;
	__u64 seed = test_seed("fuzz_garbage_tables");
	__u64 rng = ioasid_rng_seed(seed, 0), iovas[64], start, tend;
	__u64 ndma = 0, nok = 0, nfault[8] = {}, nmut = 0, ninv = 0;
	__u32 npasid = e->smmu ? 15 : 3;
	static __u8 buf[3 * SZ_4K];
	int i;

	for (i = 0; i < 64; i++) {
		__u64 size = i % 4 == 3 ? SZ_2M : SZ_4K;
		__u64 gpa = GPA_BASE + DATA_OFF;

		if (size == SZ_2M)
			gpa += ioasid_rng_below(&rng, 6) * SZ_2M;
		else
			gpa += ioasid_rng_below(&rng, (RAM_SIZE - DATA_OFF) /
						      SZ_4K) * SZ_4K;

		iovas[i] = ioasid_rng_below(&rng, 1 << 14) * SZ_2M;
		if (size == SZ_4K)
			iovas[i] += ioasid_rng_below(&rng, 512) * SZ_4K;
		s1_map(&e->pt, iovas[i], gpa, size,
		       ioasid_rng_below(&rng, 2) ? PERM_RW : PERM_RO);
	}
	if (e->smmu) {
		static const __u32 cdf[] = {
			SMMU_CD_HA, SMMU_CD_HD, SMMU_CD_AFFD, SMMU_CD_WXN,
			SMMU_CD_PAN, SMMU_CD_TBI0, SMMU_CD_HAD0, SMMU_CD_EPD0,
		};

		for (i = 1; i <= (int)npasid; i++) {
			__u32 flags = 0;
			int b;

			for (b = 0; b < 8; b++)
				if (ioasid_rng_below(&rng, 4) == 0)
					flags |= cdf[b];
			s1_cd(e, &e->pt, i, ioasid_rng_below(&rng, 4), flags);
		}
	} else {
		static const __u64 vf[] = {
			IOASID_VTD_S1_SRE | IOASID_VTD_S1_EAFE,
			IOASID_VTD_S1_SRE | IOASID_VTD_S1_WPE, 0,
		};

		for (i = 1; i <= (int)npasid; i++) {
			__u32 h = vtd_hwpt(_metadata, e, &e->pt, vf[i - 1]);

			ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, i, h,
							 false, NULL));
		}
	}
	tend = tables_end(e);

	start = ioasid_now_ns();
	while (ioasid_now_ns() - start < 5000000000ULL) {
		__u64 r = ioasid_rng_below(&rng, 100);
		struct ioasid_test_mock_dma d;
		__u32 flags = 0, pasid = 0;
		__u64 iova, len;
		int rc;

		if (r < 30) {
			__u64 *slot = (__u64 *)(e->ram +
				ioasid_rng_below(&rng, tend / 8) * 8);
			__u64 low = ioasid_rng_next(&rng);

			switch (ioasid_rng_below(&rng, 4)) {
			case 0:
				*slot = ioasid_rng_next(&rng);
				break;
			case 1:
				*slot ^= 1ULL << ioasid_rng_below(&rng, 64);
				break;
			default:
				/* Plausible: present/valid, random flags. */
				*slot = random_gpa(e, &rng) |
					(low & 0xfff0000000000ffeULL) | 1 |
					(ioasid_rng_below(&rng, 2) << 1);
				break;
			}
			nmut++;
			continue;
		}
		if (r < 35) {
			if (ioasid_rng_below(&rng, 2)) {
				ASSERT_EQ(0, ioasid_nest_invalidate_all(e->fd,
								e->hwpt,
								e->smmu));
			} else {
				__u64 at = iovas[ioasid_rng_below(&rng, 64)];

				ASSERT_EQ(0, inv_range(e, e->hwpt,
						       ioasid_rng_below(&rng, 4),
						       at & ~(SZ_4K - 1),
						       SZ_4K));
			}
			ninv++;
			continue;
		}

		if (ioasid_rng_below(&rng, 2))
			flags |= DMA_W;
		if (ioasid_rng_below(&rng, 2)) {
			pasid = 1 + ioasid_rng_below(&rng, npasid);
			if (!(flags & DMA_W) && ioasid_rng_below(&rng, 4) == 0)
				flags |= DMA_X;
			if (ioasid_rng_below(&rng, 4) == 0)
				flags |= DMA_P;
		}
		switch (ioasid_rng_below(&rng, 5)) {
		case 0:
			iova = ioasid_rng_next(&rng);
			break;
		case 1:
			iova = ioasid_rng_next(&rng) & ((1ULL << 48) - 1);
			break;
		default:
			iova = iovas[ioasid_rng_below(&rng, 64)] +
			       ioasid_rng_below(&rng, SZ_2M);
			break;
		}
		len = 1 + ioasid_rng_below(&rng, ioasid_rng_below(&rng, 2) ?
						 64 : sizeof(buf) - 1);
		if (iova + len < iova)
			iova -= len;
		if (flags & DMA_W)
			fill_random(buf, len, &rng);
		rc = dma(e, flags, pasid, iova, buf, len, &d);
		ndma++;
		if (rc != 0 && rc != ENXIO && rc != EACCES) {
			TH_LOG(DMA_LOG(d));
			ASSERT_EQ(0, rc);
		}
		if (!rc) {
			EXPECT_EQ(len, d.out_done);
			nok++;
			continue;
		}
		ASSERT_GT(len, d.out_done) TH_LOG(DMA_LOG(d));
		ASSERT_GE(2, d.out_fault_stage) TH_LOG(DMA_LOG(d));
		ASSERT_LT(IOASID_TEST_FAULT_NONE, d.out_fault_reason)
			TH_LOG(DMA_LOG(d));
		ASSERT_GE(IOASID_TEST_FAULT_ABORT, d.out_fault_reason)
			TH_LOG(DMA_LOG(d));
		ASSERT_EQ(rc == EACCES,
			  d.out_fault_reason == IOASID_TEST_FAULT_PERMISSION)
			TH_LOG(DMA_LOG(d));
		ASSERT_EQ(0, d.out_fault_flags & ~TF) TH_LOG(DMA_LOG(d));
		if (d.out_fault_flags & TF) {
			ASSERT_EQ(2, d.out_fault_stage) TH_LOG(DMA_LOG(d));
		}
		if (!d.out_fault_stage) {
			ASSERT_EQ(F_ABORT, d.out_fault_reason)
				TH_LOG(DMA_LOG(d));
		}
		if (d.out_fault_stage == 1) {
			ASSERT_EQ(iova + d.out_done, d.out_fault_addr)
				TH_LOG(DMA_LOG(d));
		}
		ASSERT_GE(e->smmu ? 3 : 5, d.out_fault_level)
			TH_LOG(DMA_LOG(d));
		nfault[d.out_fault_reason]++;
	}
	ksft_print_msg("%llu DMAs (%llu translated; faults: %llu not present, %llu permission, %llu reserved, %llu access flag, %llu address size, %llu bad config, %llu abort), %llu mutations, %llu invalidations\n",
		       (unsigned long long)ndma, (unsigned long long)nok,
		       (unsigned long long)nfault[1], (unsigned long long)nfault[2],
		       (unsigned long long)nfault[3], (unsigned long long)nfault[4],
		       (unsigned long long)nfault[5], (unsigned long long)nfault[6],
		       (unsigned long long)nfault[7], (unsigned long long)nmut,
		       (unsigned long long)ninv);
	EXPECT_LT(100, ndma);
	/* Still usable: fresh tables translate. */
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, e->parent, true));
	read_ok(_metadata, e, 0, 0, GPA_BASE + DATA_OFF,
		gp(e, GPA_BASE + DATA_OFF), 64);
}

/* ---- At scale, against a model ------------------------------------------ */

#define MODEL_SLOTS	256			/* 2 MiB each: [0, 512 MiB) */
#define MODEL_PAGES	(MODEL_SLOTS * 512)
#define MODEL_LEAVES	8192
#define MODEL_NS	10000000000ULL

enum { SLOT_NONE, SLOT_BIG, SLOT_TABLE };

/* Leaf permissions: 0 read/write, 1 read-only, 2 and 3 no user access. */
static const __u64 model_vtd_perm[4] = {
	VTD_PTE_US | VTD_PTE_RW, VTD_PTE_US, VTD_PTE_RW, 0,
};
static const __u64 model_smmu_perm[4] = {
	SMMU_PTE_RW, SMMU_PTE_RO,
	SMMU_PTE_AF | SMMU_PTE_SH_IS | SMMU_AP(0),
	SMMU_PTE_AF | SMMU_PTE_SH_IS | SMMU_AP(2),
};

struct mleaf {
	__u64 gpa;	/* 0: not mapped */
	__u8 perm;
};

struct model {
	__u8 kind[MODEL_SLOTS];
	bool has_pt[MODEL_SLOTS];
	struct mleaf big[MODEL_SLOTS];
	struct mleaf page[MODEL_PAGES];
	__u64 leaves[MODEL_LEAVES];	/* iovas once mapped, to aim at */
	int nleaves;
	__u8 shadow[RAM_SIZE - DATA_OFF];
};

static __u8 model_perm(__u64 *rng)
{
	__u64 r = ioasid_rng_below(rng, 100);

	return r < 55 ? 0 : r < 85 ? 1 : r < 93 ? 2 : 3;
}

static __u64 model_gpa(__u64 *rng, __u64 size)
{
	if (ioasid_rng_below(rng, 100) < 3)
		return HOLE_GPA + ioasid_rng_below(rng, 64) * size;
	return GPA_BASE + DATA_OFF +
	       ioasid_rng_below(rng, (RAM_SIZE - DATA_OFF) / size) * size;
}

/* Write the model's leaf of @iova (@size) into the tables: 0 or -errno. */
static int model_write_leaf(struct nenv *e, __u64 iova, __u64 size,
			    const struct mleaf *l)
{
	if (e->smmu) {
		if (!l->gpa) {
			__u64 *ent = s1_leaf(&e->pt, iova, size);

			if (ent)
				*ent = 0;
			return 0;
		}
		return smmu_pt_map(&e->pt.s, iova, l->gpa, size,
				   model_smmu_perm[l->perm]);
	}
	if (s1_leaf(&e->pt, iova, size) &&
	    (*s1_leaf(&e->pt, iova, size) & VTD_PTE_P))
		vtd_pt_unmap(&e->pt.v, iova, size);
	if (!l->gpa)
		return 0;
	return vtd_pt_map(&e->pt.v, iova, l->gpa, size,
			  model_vtd_perm[l->perm]);
}

/*
 * What the model says of one page's worth of DMA at @iova: 0 with the GPA,
 * or the errno with the fault.
 */
static int model_translate(struct nenv *e, struct model *m, __u64 iova,
			   bool write, __u64 *gpa, struct ioasid_test_mock_dma *f)
{
	__u64 slot = iova / SZ_2M;
	const struct mleaf *l = NULL;
	__u32 level;

	memset(f, 0, sizeof(*f));
	if (m->kind[slot] == SLOT_BIG && m->big[slot].gpa) {
		l = &m->big[slot];
		level = 2;
		*gpa = l->gpa + (iova & (SZ_2M - 1));
	} else if (m->kind[slot] == SLOT_TABLE && m->has_pt[slot]) {
		level = leaf_level(e->smmu, SZ_4K);
		l = &m->page[iova / SZ_4K];
		if (l->gpa)
			*gpa = l->gpa + (iova & (SZ_4K - 1));
		else
			l = NULL;
	} else {
		level = 2;
	}
	f->out_fault_stage = 1;
	f->out_fault_level = level;
	f->out_fault_addr = iova;
	if (!l) {
		f->out_fault_reason = F_NP;
		return ENXIO;
	}
	if (l->perm > 1 || (write && l->perm)) {
		f->out_fault_reason = F_PERM;
		return EACCES;
	}
	if (*gpa >= GPA_BASE + RAM_SIZE) {
		f->out_fault_stage = 2;
		f->out_fault_reason = F_NP;
		f->out_fault_level = 0;
		f->out_fault_addr = *gpa;
		return ENXIO;
	}
	return 0;
}

/* Change up to 8 leaves, and invalidate them, in one batch or one by one. */
static void model_remap(struct __test_metadata *_metadata, struct nenv *e,
			struct model *m, __u64 *rng)
{
	struct ioasid_hwpt_vtd_s1_invalidate vtd[8];
	struct ioasid_hwpt_arm_smmuv3_invalidate cmd[8];
	int n = 1 + ioasid_rng_below(rng, 8), i, k = 0;
	bool batch = ioasid_rng_below(rng, 2);
	__u32 num;

	for (i = 0; i < n; i++) {
		__u64 slot = ioasid_rng_below(rng, MODEL_SLOTS), iova, size;
		struct mleaf *l;

		if (m->kind[slot] == SLOT_TABLE) {
			/* Mostly a page that is mapped, sometimes a new one. */
			iova = slot * SZ_2M + ioasid_rng_below(rng, 512) * SZ_4K;
			if (ioasid_rng_below(rng, 4) && m->nleaves) {
				iova = m->leaves[ioasid_rng_below(rng,
								  m->nleaves)];
				slot = iova / SZ_2M;
			}
		} else {
			iova = slot * SZ_2M;
		}
		if (m->kind[slot] == SLOT_TABLE) {
			size = SZ_4K;
			l = &m->page[iova / SZ_4K];
		} else {
			size = SZ_2M;
			l = &m->big[slot];
			m->kind[slot] = SLOT_BIG;
		}
		switch (ioasid_rng_below(rng, 4)) {
		case 0:
			l->gpa = 0;
			break;
		case 1:
			if (l->gpa) {
				l->perm = model_perm(rng);
				break;
			}
			/* fallthrough */
		default:
			if (!l->gpa && m->nleaves < MODEL_LEAVES)
				m->leaves[m->nleaves++] = iova;
			l->gpa = model_gpa(rng, size);
			l->perm = model_perm(rng);
			break;
		}
		ASSERT_EQ(0, model_write_leaf(e, iova, size, l));
		if (size == SZ_4K && l->gpa)
			m->has_pt[slot] = true;
		if (e->smmu) {
			if (size == SZ_4K)
				smmu_cmd_tlbi_va(cmd[k].cmd, MAIN_ASID, iova, 1);
			else
				smmu_cmd_tlbi_va_range(cmd[k].cmd, MAIN_ASID,
						       iova, 0, 9, 2, 1);
		} else {
			vtd[k] = (struct ioasid_hwpt_vtd_s1_invalidate){
				.addr = iova, .npages = size / SZ_4K,
				.flags = IOASID_VTD_INV_FLAGS_LEAF };
		}
		k++;
		if (!batch || i == n - 1) {
			num = k;
			ASSERT_EQ(0, ioasid_nest_invalidate(e->fd, e->hwpt,
						e->smmu ? INV_SMMU : INV_VTD,
						e->smmu ? (void *)cmd :
							  (void *)vtd,
						e->smmu ? sizeof(cmd[0]) :
							  sizeof(vtd[0]),
						&num));
			ASSERT_EQ(k, num);
			k = 0;
		}
	}
}

/*
 * Thousands of random stage-1 mappings (4 KiB and 2 MiB, random GPAs,
 * random permissions, a few outside the stage 2) and thousands of random
 * DMAs, each compared with what a model in this test says: the bytes read,
 * where the bytes written land, the errno and the fault.  Leaves change as
 * the test goes, each change invalidated.  Bounded in time; the seed is
 * printed, IOASID_NESTED_SEED replays it.
 */
TEST_F_TIMEOUT(nest, model_random_dma, 180)
{
	struct nenv *e = &self->e;
	__u64 seed = test_seed("model_random_dma");
	__u64 rng = ioasid_rng_seed(seed, 1), start, ndma = 0, nremap = 0;
	__u64 nres[4] = {};
	static __u8 buf[3 * SZ_4K];
	struct model *m;
	int i;

	m = calloc(1, sizeof(*m));
	ASSERT_NE(NULL, m);
	memcpy(m->shadow, e->ram + DATA_OFF, sizeof(m->shadow));

	/* The slots: 20% 2 MiB leaves, 10% nothing, the rest 4 KiB tables. */
	for (i = 0; i < MODEL_SLOTS; i++) {
		__u64 r = ioasid_rng_below(&rng, 10);

		m->kind[i] = r < 2 ? SLOT_BIG : r < 3 ? SLOT_NONE : SLOT_TABLE;
		if (m->kind[i] != SLOT_BIG)
			continue;
		m->big[i].gpa = model_gpa(&rng, SZ_2M);
		m->big[i].perm = model_perm(&rng);
		ASSERT_EQ(0, model_write_leaf(e, i * SZ_2M, SZ_2M, &m->big[i]));
		m->leaves[m->nleaves++] = i * SZ_2M;
	}
	/* 4000 random 4 KiB leaves in the table slots. */
	while (m->nleaves < 4000) {
		__u64 slot = ioasid_rng_below(&rng, MODEL_SLOTS);
		__u64 iova = slot * SZ_2M + ioasid_rng_below(&rng, 512) * SZ_4K;
		struct mleaf *l = &m->page[iova / SZ_4K];

		if (m->kind[slot] != SLOT_TABLE || l->gpa)
			continue;
		l->gpa = model_gpa(&rng, SZ_4K);
		l->perm = model_perm(&rng);
		ASSERT_EQ(0, model_write_leaf(e, iova, SZ_4K, l));
		m->has_pt[slot] = true;
		m->leaves[m->nleaves++] = iova;
	}

	start = ioasid_now_ns();
	while (ioasid_now_ns() - start < MODEL_NS) {
		struct ioasid_test_mock_dma d, f;
		bool write = ioasid_rng_below(&rng, 2);
		__u64 iova, len, done = 0, gpa = 0;
		int rc, want = 0;

		if (ioasid_rng_below(&rng, 100) < 5) {
			model_remap(_metadata, e, m, &rng);
			nremap++;
			continue;
		}
		if (ioasid_rng_below(&rng, 100) < 85)
			iova = m->leaves[ioasid_rng_below(&rng, m->nleaves)] +
			       ioasid_rng_below(&rng, SZ_4K);
		else
			iova = ioasid_rng_below(&rng, MODEL_SLOTS * SZ_2M);
		len = 1 + ioasid_rng_below(&rng, ioasid_rng_below(&rng, 2) ?
						 128 : sizeof(buf) - 1);
		if (iova + len > MODEL_SLOTS * SZ_2M)
			len = MODEL_SLOTS * SZ_2M - iova;
		if (write)
			fill_random(buf, len, &rng);
		else
			memset(buf, 0x5a, len);

		rc = dma(e, write ? DMA_W : 0, 0, iova, buf, len, &d);
		ndma++;

		/* The model, page by page. */
		memset(&f, 0, sizeof(f));
		while (done < len) {
			__u64 chunk = SZ_4K - ((iova + done) & (SZ_4K - 1));
			__u64 off;

			if (chunk > len - done)
				chunk = len - done;
			want = model_translate(e, m, iova + done, write, &gpa,
					       &f);
			if (want)
				break;
			off = gpa - GPA_BASE - DATA_OFF;
			if (write)
				memcpy(m->shadow + off, buf + done, chunk);
			else if (memcmp(m->shadow + off, buf + done, chunk))
				break;
			done += chunk;
		}
		if (want != rc || done != d.out_done)
			TH_LOG("seed 0x%llx op %llu: the model says errno %d after %llu bytes (fault stage %u reason %u level %u addr 0x%llx)",
			       (unsigned long long)seed,
			       (unsigned long long)ndma, want,
			       (unsigned long long)done, f.out_fault_stage,
			       f.out_fault_reason, f.out_fault_level,
			       (unsigned long long)f.out_fault_addr);
		ASSERT_EQ(want, rc) TH_LOG(DMA_LOG(d));
		ASSERT_EQ(done, d.out_done) TH_LOG(DMA_LOG(d));
		if (want) {
			ASSERT_EQ(f.out_fault_stage, d.out_fault_stage)
				TH_LOG(DMA_LOG(d));
			ASSERT_EQ(f.out_fault_reason, d.out_fault_reason)
				TH_LOG(DMA_LOG(d));
			ASSERT_EQ(f.out_fault_level, d.out_fault_level)
				TH_LOG(DMA_LOG(d));
			ASSERT_EQ(0, d.out_fault_flags) TH_LOG(DMA_LOG(d));
			ASSERT_EQ(f.out_fault_addr, d.out_fault_addr)
				TH_LOG(DMA_LOG(d));
		}
		nres[!want ? 0 : want == EACCES ? 1 :
		     f.out_fault_stage == 2 ? 3 : 2]++;
		if (ndma % 512 == 0) {
			ASSERT_EQ(0, memcmp(m->shadow, e->ram + DATA_OFF,
					    sizeof(m->shadow)))
				TH_LOG("seed 0x%llx op %llu",
				       (unsigned long long)seed,
				       (unsigned long long)ndma);
		}
	}
	ASSERT_EQ(0, memcmp(m->shadow, e->ram + DATA_OFF, sizeof(m->shadow)));
	ksft_print_msg("%d leaves, %llu DMAs (%llu translated, %llu permission, %llu not present, %llu stage 2), %llu remaps\n",
		       m->nleaves, (unsigned long long)ndma,
		       (unsigned long long)nres[0], (unsigned long long)nres[1],
		       (unsigned long long)nres[2], (unsigned long long)nres[3],
		       (unsigned long long)nremap);
	/* Enough of each outcome that the comparison meant something. */
	EXPECT_LT(1000, ndma);
	EXPECT_LT(0, nres[0]);
	EXPECT_LT(0, nres[1]);
	EXPECT_LT(0, nres[2]);
	EXPECT_LT(0, nres[3]);
	free(m);
}

/* ---- The userspace-api document's QEMU flow ----------------------------- */

#define QEMU_RAM_SIZE	(16ULL << 20)	/* guest RAM at GPA 0 */
#define QEMU_PASID	7

/*
 * "A VMM with a vIOMMU: nested stage 1 (QEMU)" of
 * Documentation/userspace-api/ioasid.rst, step by step, with the mock
 * VT-d: the test is the VMM, the guest's writes to its RAM are the test's
 * writes to the memfd.
 */
TEST(qemu_flow)
{
	struct ioasid_info info = { .size = sizeof(info) };
	struct ioasid_hw_info_vtd vtd = {};
	struct ioasid_device_get_hw_info hw = { .size = sizeof(hw) };
	struct ioasid_iova_range ranges[8];
	struct ioasid_ioas_iova_ranges rcmd = { .size = sizeof(rcmd) };
	struct ioasid_ioas_map_file mcmd = { .size = sizeof(mcmd) };
	struct ioasid_device_get_pasid_info pinfo;
	struct ioasid_hwpt_vtd_s1 s1;
	struct ioasid_hwpt_vtd_s1_invalidate inv[3];
	struct vtd_pt rid_pt, pasid_pt, rid_pt2;
	struct nenv env = {}, *e = &env;
	__u32 ioas, mock, dev, parent, h_rid, h_pasid, h_rid2, num;
	__u64 iova = 0x7000, gpa_a = 0x400000, gpa_b = 0x500000;
	__u64 gpa_c = 0x600000;
	bool covered = false;
	__u8 *ram;
	int fd, memfd;
	__u32 i;

	/* 1. Open /dev/ioasid; IOASID_GET_INFO has IOASID_FEATURE_NESTING. */
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl_err(fd, IOASID_GET_INFO, &info));
	if (!(info.features & IOASID_FEATURE_TEST))
		SKIP(return, "kernel without CONFIG_IOASID_TEST");
	ASSERT_TRUE(info.features & IOASID_FEATURE_NESTING);
	/*    IOASID_IOAS_ALLOC for the guest physical address space. */
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));

	/*
	 * 2. Bind the assigned device through its owning subsystem (here the
	 *    test driver plays it, a device behind the mock VT-d), which also
	 *    declares what its PASIDs may be attached to.
	 */
	ASSERT_EQ(0, ioasid_mock_dev_add(fd, IOASID_TEST_MOCK_DEV_VTD |
					 IOASID_TEST_MOCK_DEV_PASID, 0, 0,
					 &mock));
	ASSERT_EQ(0, ioasid_device_bind(fd, mock, &dev));
	ASSERT_EQ(0, ioasid_allow_pasid(fd, mock, 1, NEST_PASIDS - 1,
					IOASID_PASID_CFG_NESTED |
					IOASID_PASID_CFG_PAGING));

	/* 3. IOASID_DEVICE_GET_HW_INFO: model a VT-d that can nest. */
	hw.dev_id = dev;
	hw.data_len = sizeof(vtd);
	hw.data_uptr = (uintptr_t)&vtd;
	ASSERT_EQ(0, ioctl_err(fd, IOASID_DEVICE_GET_HW_INFO, &hw));
	ASSERT_EQ(IOASID_HW_INFO_TYPE_INTEL_VTD, hw.out_data_type);
	EXPECT_EQ(sizeof(vtd), hw.data_len);
	EXPECT_TRUE(vtd.ecap_reg & (1ULL << 26));	/* NEST */
	EXPECT_TRUE(vtd.ecap_reg & (1ULL << 47));	/* FSTS */
	EXPECT_TRUE(vtd.ecap_reg & (1ULL << 40));	/* PASID */
	EXPECT_TRUE(vtd.cap_reg & (1ULL << 56));	/* FS1GP */
	EXPECT_EQ(20, hw.out_max_pasid_log2);

	/* 4. IOASID_IOAS_IOVA_RANGES: guest RAM must fit in the windows. */
	rcmd.ioas_id = ioas;
	rcmd.num_ranges = 8;
	rcmd.ranges = (uintptr_t)ranges;
	ASSERT_EQ(0, ioctl_err(fd, IOASID_IOAS_IOVA_RANGES, &rcmd));
	for (i = 0; i < rcmd.num_ranges; i++)
		if (ranges[i].start <= 0 &&
		    ranges[i].last >= QEMU_RAM_SIZE - 1)
			covered = true;
	ASSERT_TRUE(covered);

	/* 5. IOASID_IOAS_MAP_FILE guest RAM from its memfd, IOVA = GPA. */
	memfd = memfd_create("guest-ram", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, QEMU_RAM_SIZE));
	ram = mmap(NULL, QEMU_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   memfd, 0);
	ASSERT_NE(MAP_FAILED, ram);
	env.rng = 7;
	fill_random(ram + SZ_2M, QEMU_RAM_SIZE - SZ_2M, &env.rng);
	mcmd.flags = IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ |
		     IOASID_IOAS_MAP_WRITE;
	mcmd.ioas_id = ioas;
	mcmd.fd = memfd;
	mcmd.start = 0;
	mcmd.length = QEMU_RAM_SIZE;
	mcmd.iova = 0;
	ASSERT_EQ(0, ioctl_err(fd, IOASID_IOAS_MAP_FILE, &mcmd));

	/*
	 * 6. IOASID_HWPT_ALLOC a nesting parent from the IOAS, attach the
	 *    RID to it: the guest DMAs with its vIOMMU off, at GPAs.
	 */
	ASSERT_EQ(0, ioasid_nest_parent_alloc(fd, dev, ioas, true, &parent));
	ASSERT_EQ(0, ioasid_rid_attach(fd, mock, parent, false));
	env.fd = fd;
	env.mock = mock;
	env.ram = ram;
	read_ok(_metadata, e, 0, 0, gpa_a, ram + gpa_a, SZ_4K);
	write_ok(_metadata, e, 0, 0, gpa_b + 0x10, ram + gpa_b + 0x10, 256);

	/*
	 * 7. The guest enables translation: it builds a first-stage table in
	 *    its RAM and writes the PASID table entry of the RID (RID_PASID).
	 *    Allocate a nested HWPT with what it wrote, replace the RID's
	 *    attachment with it.
	 */
	ASSERT_EQ(0, vtd_pt_init(&rid_pt, ram, 0, SZ_2M, 0x100000, 4));
	ASSERT_EQ(0, vtd_pt_map(&rid_pt, iova, gpa_a, SZ_4K,
				VTD_PTE_RW | VTD_PTE_US));
	vtd_pt_hwpt_data(&rid_pt, &s1, 0);
	ASSERT_EQ(0, ioasid_nest_alloc(fd, dev, parent,
				       IOASID_HWPT_DATA_VTD_S1, &s1,
				       sizeof(s1), &h_rid));
	ASSERT_EQ(0, ioasid_rid_attach(fd, mock, h_rid, true));
	read_ok(_metadata, e, 0, 0, iova, ram + gpa_a, SZ_4K);
	dma_fails(_metadata, e, 0, 0, gpa_a, 8, 0, ENXIO, 1, F_NP, 2, 0,
		  gpa_a);
	/*
	 *    A PASID entry of another PASID (a process address space): check
	 *    IOASID_DEVICE_GET_PASID_INFO (declared for nested HWPTs, not
	 *    taken), then attach RID+PASID to a nested HWPT of it.
	 */
	ASSERT_EQ(0, vtd_pt_init(&pasid_pt, ram, 0, SZ_2M, 0x140000, 4));
	ASSERT_EQ(0, vtd_pt_map(&pasid_pt, iova, gpa_b, SZ_4K,
				VTD_PTE_RW | VTD_PTE_US));
	ASSERT_EQ(0, ioasid_pasid_info(fd, dev, QEMU_PASID, &pinfo));
	EXPECT_TRUE(pinfo.out_flags & IOASID_PASID_INFO_DECLARED);
	EXPECT_TRUE(pinfo.out_allowed & IOASID_PASID_CFG_NESTED);
	EXPECT_FALSE(pinfo.out_flags & IOASID_PASID_INFO_TAKEN);
	EXPECT_FALSE(pinfo.out_flags & IOASID_PASID_INFO_ATTACHED);
	EXPECT_LT(QEMU_PASID, 1U << pinfo.out_pasid_bits);
	vtd_pt_hwpt_data(&pasid_pt, &s1, IOASID_VTD_S1_SRE);
	ASSERT_EQ(0, ioasid_nest_alloc(fd, dev, parent,
				       IOASID_HWPT_DATA_VTD_S1, &s1,
				       sizeof(s1), &h_pasid));
	ASSERT_EQ(0, ioasid_pasid_attach(fd, mock, QEMU_PASID, h_pasid, false,
					 NULL));
	read_ok(_metadata, e, 0, QEMU_PASID, iova, ram + gpa_b, SZ_4K);
	read_ok(_metadata, e, DMA_P, QEMU_PASID, iova, ram + gpa_b, SZ_4K);

	/*
	 * 8. The guest changes its mappings and queues PASID-based IOTLB
	 *    invalidations: forward them with IOASID_HWPT_INVALIDATE, in a
	 *    batch.  Until then the IOMMU may use what it cached.
	 */
	ASSERT_EQ(0, vtd_pt_unmap(&rid_pt, iova, SZ_4K));
	ASSERT_EQ(0, vtd_pt_map(&rid_pt, iova, gpa_c, SZ_4K,
				VTD_PTE_RW | VTD_PTE_US));
	ASSERT_EQ(0, vtd_pt_map(&rid_pt, iova + SZ_4K, gpa_a, SZ_4K,
				VTD_PTE_US));
	read_ok(_metadata, e, 0, 0, iova, ram + gpa_a, SZ_4K);
	inv[0] = (struct ioasid_hwpt_vtd_s1_invalidate){ .addr = iova,
							 .npages = 1 };
	inv[1] = (struct ioasid_hwpt_vtd_s1_invalidate){
		.addr = iova + SZ_4K, .npages = 1,
		.flags = IOASID_VTD_INV_FLAGS_LEAF };
	num = 2;
	ASSERT_EQ(0, ioasid_nest_invalidate(fd, h_rid, INV_VTD, inv,
					    sizeof(inv[0]), &num));
	EXPECT_EQ(2, num);
	read_ok(_metadata, e, 0, 0, iova, ram + gpa_c, SZ_4K);
	read_ok(_metadata, e, 0, 0, iova + SZ_4K, ram + gpa_a, SZ_4K);
	/*
	 *    A batch with a bad descriptor: report the error to the guest at
	 *    the entry entry_num names; the ones before it were done.
	 */
	ASSERT_EQ(0, vtd_pt_unmap(&rid_pt, iova + SZ_4K, SZ_4K));
	ASSERT_EQ(0, vtd_pt_map(&rid_pt, iova + SZ_4K, gpa_b, SZ_4K,
				VTD_PTE_US));
	inv[0] = (struct ioasid_hwpt_vtd_s1_invalidate){
		.addr = iova + SZ_4K, .npages = 1 };
	inv[1] = (struct ioasid_hwpt_vtd_s1_invalidate){
		.addr = iova + 0x800, .npages = 1 };
	inv[2] = inv[0];
	num = 3;
	EXPECT_EQ(EINVAL, ioasid_nest_invalidate(fd, h_rid, INV_VTD, inv,
						 sizeof(inv[0]), &num));
	EXPECT_EQ(1, num);
	read_ok(_metadata, e, 0, 0, iova + SZ_4K, ram + gpa_b, SZ_4K);

	/*
	 * 9. The guest changes the RID's PASID entry again (another table):
	 *    allocate the new nested HWPT and replace; destroy the one no
	 *    longer attached.
	 */
	ASSERT_EQ(0, vtd_pt_init(&rid_pt2, ram, 0, SZ_2M, 0x180000, 4));
	ASSERT_EQ(0, vtd_pt_map(&rid_pt2, iova, gpa_b, SZ_4K,
				VTD_PTE_RW | VTD_PTE_US));
	vtd_pt_hwpt_data(&rid_pt2, &s1, 0);
	ASSERT_EQ(0, ioasid_nest_alloc(fd, dev, parent,
				       IOASID_HWPT_DATA_VTD_S1, &s1,
				       sizeof(s1), &h_rid2));
	ASSERT_EQ(0, ioasid_rid_attach(fd, mock, h_rid2, true));
	read_ok(_metadata, e, 0, 0, iova, ram + gpa_b, SZ_4K);
	ASSERT_EQ(0, destroy(fd, h_rid));
	/*    The guest disables translation: replace with the parent. */
	ASSERT_EQ(0, ioasid_rid_attach(fd, mock, parent, true));
	read_ok(_metadata, e, 0, 0, gpa_c, ram + gpa_c, SZ_4K);
	ASSERT_EQ(0, destroy(fd, h_rid2));
	/*    The guest's process goes: its PASID is detached, its HWPT goes. */
	ASSERT_EQ(0, ioasid_pasid_detach(fd, mock, QEMU_PASID));
	ASSERT_EQ(0, destroy(fd, h_pasid));
	/*    At the end, the parent and the IOAS. */
	EXPECT_EQ(EBUSY, destroy(fd, parent));
	ASSERT_EQ(0, ioasid_rid_detach(fd, mock));
	ASSERT_EQ(0, destroy(fd, parent));
	ASSERT_EQ(0, destroy(fd, ioas));

	close(fd);
	munmap(ram, QEMU_RAM_SIZE);
	close(memfd);
}

TEST_HARNESS_MAIN
