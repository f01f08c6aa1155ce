// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-vdpa on /dev/ioasid with a vDPA parent behind a platform IOMMU.
 *
 * The parent is the test IOMMU driver's management device
 * IOASID_TEST_VDPA_MGMTDEV: each of its vDPA devices sits on a device of
 * the mock bus, behind the test IOMMU, and has no map operation of its
 * own, so vhost-vdpa gives it an IOMMU domain, and /dev/ioasid binds it as
 * VFIO binds a device: ASID 0 is its RID.  The device moves bytes with a
 * DMA engine in its config space (struct ioasid_test_vdpa_config), driven
 * here through VHOST_VDPA_SET_CONFIG / VHOST_VDPA_GET_CONFIG: whatever it
 * reads or writes went through the domain attached to its RID.
 */
#include <stddef.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "ioasid_vdpa.h"

#define DEV_NAME	"ioasid-vdpa-iommu0"
#define PG		4096UL
#define IOVA		0x100000UL

/* ---- The device ------------------------------------------------------- */

static int dma_read(int fd, __u64 iova, void *buf, __u32 len)
{
	return vdpa_mock_dma(fd, IOASID_TEST_VDPA_DMA_READ, iova, buf, len,
			     NULL);
}

static int dma_write(int fd, __u64 iova, const void *buf, __u32 len)
{
	return vdpa_mock_dma(fd, IOASID_TEST_VDPA_DMA_WRITE, iova, (void *)buf,
			     len, NULL);
}

/* One vhost IOTLB message for ASID 0: 0 or the errno. */
static int iotlb(int fd, __u8 type, __u64 iova, __u64 size, void *va)
{
	return vdpa_iotlb_msg(fd, 0, type, iova, size, va);
}

static void *pages(size_t len, __u8 fill)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, fill, len);
	return p;
}

static __u64 test_seed(struct __test_metadata *_metadata)
{
	__u64 seed = ioasid_env_seed("IOASID_VDPA_IOMMU_SEED");

	TH_LOG("seed 0x%llx (IOASID_VDPA_IOMMU_SEED)", (unsigned long long)seed);
	return seed;
}

/* ---- The tests -------------------------------------------------------- */

FIXTURE(vdpa_iommu) {
	int family;
	char path[sizeof("/dev/") + NAME_MAX];
	int fd;
	int ioasid;
};

FIXTURE_SETUP(vdpa_iommu)
{
	__u32 dev_id;
	int rc;

	self->fd = -1;
	self->ioasid = -1;
	/* A device a killed run left behind is removed first. */
	rc = vdpa_test_dev_create_on(IOASID_TEST_VDPA_MGMTDEV, DEV_NAME, NULL,
				     &self->family, self->path,
				     sizeof(self->path));
	if (rc == -ENOENT)
		SKIP(return, "no vdpa netlink family or no vhost-vdpa char device");
	if (rc == -ENODEV)
		SKIP(return, "no %s vdpa management device (needs CONFIG_IOASID_TEST_VDPA)",
		     IOASID_TEST_VDPA_MGMTDEV);
	ASSERT_EQ(0, rc) TH_LOG("VDPA_CMD_DEV_NEW: %s", strerror(-rc));
	self->fd = vdpa_test_open(self->path);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", self->path,
				      strerror(-self->fd));
	self->ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ioasid);
	rc = vdpa_bind(self->fd, self->ioasid, &dev_id);
	if (vhost_ioasid_missing(rc))
		SKIP(return, "the kernel lacks VHOST_VDPA_BIND_IOASID");
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, vdpa_unbind(self->fd));
}

/*
 * In the parent, once the test's process and its files are gone: the
 * device goes even when the test was killed.
 */
FIXTURE_TEARDOWN_PARENT(vdpa_iommu)
{
	EXPECT_EQ(0, vdpa_dev_del(self->family, DEV_NAME));
}

/* vhost-vdpa's own domain: what its IOTLB maps, the device reaches. */
TEST_F(vdpa_iommu, vhost_domain)
{
	__u8 *mem = pages(2 * PG, 0x5a), buf[64];

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(ENXIO, dma_read(self->fd, IOVA, buf, sizeof(buf)));
	ASSERT_EQ(0, iotlb(self->fd, VHOST_IOTLB_UPDATE, IOVA, 2 * PG, mem));
	ASSERT_EQ(0, dma_read(self->fd, IOVA + 100, buf, sizeof(buf)));
	for (int i = 0; i < (int)sizeof(buf); i++)
		ASSERT_EQ(0x5a, buf[i]);
	memset(buf, 0xc3, sizeof(buf));
	/* Across the page boundary. */
	ASSERT_EQ(0, dma_write(self->fd, IOVA + PG - 32, buf, sizeof(buf)));
	ASSERT_EQ(0xc3, mem[PG - 32]);
	ASSERT_EQ(0xc3, mem[PG + 31]);
	ASSERT_EQ(0x5a, mem[PG + 32]);
	ASSERT_EQ(0, iotlb(self->fd, VHOST_IOTLB_INVALIDATE, IOVA, 2 * PG,
			   NULL));
	ASSERT_EQ(ENXIO, dma_read(self->fd, IOVA, buf, sizeof(buf)));
	munmap(mem, 2 * PG);
}

/*
 * Bound: the device's RID is /dev/ioasid's, blocked until attached, then
 * translated by the IOAS; vhost's IOTLB is refused meanwhile.
 */
TEST_F(vdpa_iommu, bind_attach)
{
	struct ioasid_device_get_pasid_info info;
	__u8 *mem = pages(4 * PG, 0x11), buf[200];
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} table = { .m.nregions = 1 };
	__u32 dev_id, ioas;
	__u32 done = ~0U;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, vdpa_bind(self->fd, self->ioasid, &dev_id));
	ASSERT_NE(0, dev_id);
	ASSERT_EQ(0, ioasid_pasid_info(self->ioasid, dev_id, 0, &info));
	ASSERT_EQ(0, info.out_flags & IOASID_PASID_INFO_ATTACHED);
	/* vhost-vdpa declares no PASID of the device. */
	ASSERT_EQ(0, ioasid_pasid_info(self->ioasid, dev_id, 1, &info));
	ASSERT_EQ(0, info.out_flags & IOASID_PASID_INFO_DECLARED);

	ASSERT_EQ(ENXIO, dma_read(self->fd, IOVA, buf, 8));
	ASSERT_EQ(EFAULT, iotlb(self->fd, VHOST_IOTLB_UPDATE, IOVA, PG, mem));
	table.r.guest_phys_addr = IOVA;
	table.r.memory_size = PG;
	table.r.userspace_addr = (uintptr_t)mem;
	ASSERT_EQ(EPERM, ioctl_err(self->fd, VHOST_SET_MEM_TABLE, &table));

	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
	/* Two mappings: the first page, and the three after it. */
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, mem, PG, IOVA));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, mem + PG, 3 * PG,
					IOVA + PG));
	ASSERT_EQ(ENXIO, dma_read(self->fd, IOVA, buf, 8));
	ASSERT_EQ(0, vdpa_attach(self->fd, 0, ioas));
	ASSERT_EQ(0, ioasid_pasid_info(self->ioasid, dev_id, 0, &info));
	ASSERT_NE(0, info.out_flags & IOASID_PASID_INFO_ATTACHED);
	ASSERT_EQ(IOASID_PT_HWPT_PAGING, info.out_pt_kind);

	mem[3 * PG + 7] = 0x77;
	ASSERT_EQ(0, dma_read(self->fd, IOVA + 3 * PG, buf, 8));
	ASSERT_EQ(0x11, buf[0]);
	ASSERT_EQ(0x77, buf[7]);
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(0, dma_write(self->fd, IOVA + 2 * PG - 100, buf,
			       sizeof(buf)));
	ASSERT_EQ(0xee, mem[2 * PG - 100]);
	ASSERT_EQ(0xee, mem[2 * PG + 99]);
	ASSERT_EQ(0x11, mem[2 * PG + 100]);
	/* Past the end of the mapping: part done, then no translation. */
	ASSERT_EQ(ENXIO, vdpa_mock_dma(self->fd, IOASID_TEST_VDPA_DMA_READ,
				       IOVA + 4 * PG - 64, buf, 128, &done));
	ASSERT_EQ(64, done);

	/* The IOAS is in use; an unmap takes the range from the device. */
	ASSERT_EQ(EBUSY, ioasid_obj_destroy(self->ioasid, ioas));
	ASSERT_EQ(0, ioasid_ioas_unmap_range(self->ioasid, ioas, IOVA, PG,
					     NULL));
	ASSERT_EQ(ENXIO, dma_read(self->fd, IOVA, buf, 8));
	ASSERT_EQ(0, dma_read(self->fd, IOVA + PG, buf, 8));

	ASSERT_EQ(0, vdpa_detach(self->fd, 0));
	ASSERT_EQ(ENXIO, dma_read(self->fd, IOVA + PG, buf, 8));
	/* Detaching what is not attached does nothing. */
	ASSERT_EQ(0, vdpa_detach(self->fd, 0));
	ASSERT_EQ(0, ioasid_obj_destroy(self->ioasid, ioas));
	ASSERT_EQ(0, vdpa_unbind(self->fd));
	munmap(mem, 4 * PG);
}

/* Attached again, to another IOAS or a HWPT: one step, no window. */
TEST_F(vdpa_iommu, replace)
{
	__u8 *a = pages(PG, 0xa1), *b = pages(PG, 0xb2), buf[16];
	__u32 dev_id, ioas_a, ioas_b, hwpt;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vdpa_bind(self->fd, self->ioasid, &dev_id));
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas_a));
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas_b));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas_a, a, PG, IOVA));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas_b, b, PG, IOVA));

	ASSERT_EQ(0, vdpa_attach(self->fd, 0, ioas_a));
	ASSERT_EQ(0, dma_read(self->fd, IOVA, buf, sizeof(buf)));
	ASSERT_EQ(0xa1, buf[0]);
	ASSERT_EQ(0, vdpa_attach(self->fd, 0, ioas_b));
	ASSERT_EQ(0, dma_read(self->fd, IOVA, buf, sizeof(buf)));
	ASSERT_EQ(0xb2, buf[0]);
	/* The old IOAS is free again. */
	ASSERT_EQ(0, ioasid_obj_destroy(self->ioasid, ioas_a));

	/* A HWPT the user allocated for the device. */
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas_a));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas_a, a, PG, IOVA));
	ASSERT_EQ(0, ioasid_hwpt_new(self->ioasid, dev_id, ioas_a, &hwpt));
	ASSERT_EQ(0, vdpa_attach(self->fd, 0, hwpt));
	ASSERT_EQ(0, dma_read(self->fd, IOVA, buf, sizeof(buf)));
	ASSERT_EQ(0xa1, buf[0]);
	ASSERT_EQ(EBUSY, ioasid_obj_destroy(self->ioasid, hwpt));

	/* A bad id leaves the attachment alone. */
	ASSERT_EQ(ENOENT, vdpa_attach(self->fd, 0, 0x7fffffff));
	ASSERT_EQ(0, dma_read(self->fd, IOVA, buf, sizeof(buf)));
	ASSERT_EQ(0xa1, buf[0]);

	ASSERT_EQ(0, vdpa_unbind(self->fd));
	ASSERT_EQ(0, ioasid_obj_destroy(self->ioasid, hwpt));
	ASSERT_EQ(0, ioasid_obj_destroy(self->ioasid, ioas_a));
	ASSERT_EQ(0, ioasid_obj_destroy(self->ioasid, ioas_b));
	munmap(a, PG);
	munmap(b, PG);
}

/* Unbound, the device is vhost-vdpa's again, with an empty domain. */
TEST_F(vdpa_iommu, unbind_gives_back)
{
	__u8 *mem = pages(PG, 0x3c), buf[8];
	__u32 dev_id, ioas;

	ASSERT_NE(NULL, mem);
	for (int round = 0; round < 3; round++) {
		ASSERT_EQ(0, vdpa_bind(self->fd, self->ioasid, &dev_id));
		ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
		ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, mem, PG,
						IOVA));
		ASSERT_EQ(0, vdpa_attach(self->fd, 0, ioas));
		ASSERT_EQ(0, dma_read(self->fd, IOVA, buf, sizeof(buf)));
		ASSERT_EQ(0, vdpa_unbind(self->fd));
		/* Nothing of the IOAS is left in the device. */
		ASSERT_EQ(ENXIO, dma_read(self->fd, IOVA, buf, sizeof(buf)));
		ASSERT_EQ(0, ioasid_obj_destroy(self->ioasid, ioas));
		ASSERT_EQ(0, iotlb(self->fd, VHOST_IOTLB_UPDATE, IOVA, PG,
				   mem));
		ASSERT_EQ(0, dma_read(self->fd, IOVA, buf, sizeof(buf)));
		ASSERT_EQ(0x3c, buf[0]);
		/* A mapping in vhost's IOTLB keeps the device from binding. */
		ASSERT_EQ(EBUSY, vdpa_bind(self->fd, self->ioasid, &dev_id));
		ASSERT_EQ(0, iotlb(self->fd, VHOST_IOTLB_INVALIDATE, IOVA, PG,
				   NULL));
	}
	munmap(mem, PG);
}

TEST_F(vdpa_iommu, errors)
{
	const __u64 msi = IOASID_TEST_MOCK_MSI_START;
	__u8 *page = pages(PG, 0x6d);
	__u32 dev_id, ioas, bad;
	int other;

	ASSERT_EQ(EINVAL, vdpa_unbind(self->fd));
	ASSERT_EQ(EINVAL, vdpa_attach(self->fd, 0, 1));
	ASSERT_EQ(EINVAL, vdpa_detach(self->fd, 0));
	ASSERT_EQ(EBADF, vdpa_bind(self->fd, 1000, &dev_id));
	ASSERT_EQ(EINVAL, vdpa_bind(self->fd, -1, &dev_id));
	ASSERT_EQ(0, vdpa_bind(self->fd, self->ioasid, &dev_id));
	ASSERT_EQ(EBUSY, vdpa_bind(self->fd, self->ioasid, &dev_id));
	/* One ASID: ASID 1 is out of range. */
	ASSERT_EQ(EINVAL, vdpa_attach(self->fd, 1, 1));
	ASSERT_EQ(EINVAL, vdpa_detach(self->fd, 1));
	ASSERT_EQ(ENOENT, vdpa_attach(self->fd, 0, 0x7fffffff));
	/*
	 * An IOAS that maps the parent's MSI window cannot be attached;
	 * once attached, the window cannot be mapped.
	 */
	ASSERT_NE(NULL, page);
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &bad));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, bad, page, PG, msi));
	ASSERT_EQ(EADDRINUSE, vdpa_attach(self->fd, 0, bad));
	ASSERT_EQ(0, ioasid_ioas_unmap_range(self->ioasid, bad, msi, PG, NULL));
	ASSERT_EQ(0, vdpa_attach(self->fd, 0, bad));
	ASSERT_EQ(EADDRINUSE,
		  ioasid_ioas_map_at(self->ioasid, bad, page, PG, msi));
	ASSERT_EQ(0, vdpa_detach(self->fd, 0));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, bad, page, PG, msi));
	munmap(page, PG);
	/* The device of another context cannot be bound here meanwhile. */
	other = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioasid_ioas_new(other, &ioas));
	ASSERT_EQ(ENOENT, vdpa_attach(self->fd, 0, ioas + 1000));
	ASSERT_EQ(0, vdpa_unbind(self->fd));
	ASSERT_EQ(0, vdpa_bind(self->fd, other, &dev_id));
	ASSERT_EQ(0, vdpa_attach(self->fd, 0, ioas));
	close(other);
	/* The binding holds the context: still attached. */
	ASSERT_EQ(0, vdpa_unbind(self->fd));
}

/* Close the files in either order while attached: nothing is left behind. */
TEST_F(vdpa_iommu, close_orders)
{
	__u8 *mem = pages(PG, 0x42), buf[8];
	__u32 dev_id, ioas;

	ASSERT_NE(NULL, mem);
	for (int order = 0; order < 2; order++) {
		int fd = self->fd, ioasid = self->ioasid;

		ASSERT_EQ(0, vdpa_bind(fd, ioasid, &dev_id));
		ASSERT_EQ(0, ioasid_ioas_new(ioasid, &ioas));
		ASSERT_EQ(0, ioasid_ioas_map_at(ioasid, ioas, mem, PG, IOVA));
		ASSERT_EQ(0, vdpa_attach(fd, 0, ioas));
		if (order) {
			close(ioasid);
			/* The binding keeps the context and the IOAS. */
			ASSERT_EQ(0, dma_read(fd, IOVA, buf, sizeof(buf)));
			ASSERT_EQ(0x42, buf[0]);
			close(fd);
		} else {
			close(fd);
			ASSERT_EQ(0, ioasid_obj_destroy(ioasid, ioas));
			close(ioasid);
		}
		self->fd = vdpa_test_open(self->path);
		ASSERT_LE(0, self->fd);
		self->ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, self->ioasid);
		/* vhost-vdpa's domain again, empty. */
		ASSERT_EQ(ENXIO, dma_read(self->fd, IOVA, buf, sizeof(buf)));
	}
	munmap(mem, PG);
}

/*
 * The same memory for the vDPA device and for another device of the
 * context (a mock device bound as VFIO binds one), through one IOAS: the
 * pages are pinned and charged once, and both devices reach them.
 */
TEST_F(vdpa_iommu, shared_no_double_pin)
{
	__u8 *mem = pages(16 * PG, 0x69), buf[16];
	long base = vm_pinned_kb();
	__u32 dev_id, ioas, mock, mock_dev;

	ASSERT_NE(NULL, mem);
	ASSERT_LE(0, base);
	ASSERT_EQ(0, vdpa_bind(self->fd, self->ioasid, &dev_id));
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, mem, 16 * PG,
					IOVA));
	ASSERT_EQ(0, vdpa_attach(self->fd, 0, ioas));
	ASSERT_EQ(base + 16 * PG / 1024, vm_pinned_kb());

	ASSERT_EQ(0, ioasid_mock_dev_add(self->ioasid, 0, 0, 0, &mock));
	ASSERT_EQ(0, ioasid_device_bind(self->ioasid, mock, &mock_dev));
	ASSERT_EQ(0, ioasid_rid_attach(self->ioasid, mock, ioas, false));
	ASSERT_EQ(base + 16 * PG / 1024, vm_pinned_kb());

	/* Each device writes a page, the other reads it back. */
	memset(buf, 0xd1, sizeof(buf));
	ASSERT_EQ(0, dma_write(self->fd, IOVA + 5 * PG, buf, sizeof(buf)));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, ioasid_mock_dma(self->ioasid, mock, 0, IOVA + 5 * PG,
				     buf, sizeof(buf), false));
	ASSERT_EQ(0xd1, buf[15]);
	memset(buf, 0xd2, sizeof(buf));
	ASSERT_EQ(0, ioasid_mock_dma(self->ioasid, mock, 0, IOVA + 9 * PG,
				     buf, sizeof(buf), true));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, dma_read(self->fd, IOVA + 9 * PG, buf, sizeof(buf)));
	ASSERT_EQ(0xd2, buf[15]);
	ASSERT_EQ(0xd2, mem[9 * PG]);

	/* Either one leaving leaves the pages pinned once for the other. */
	ASSERT_EQ(0, vdpa_unbind(self->fd));
	ASSERT_EQ(base + 16 * PG / 1024, vm_pinned_kb());
	ASSERT_EQ(0, ioasid_obj_destroy(self->ioasid, mock));
	ASSERT_EQ(0, ioasid_obj_destroy(self->ioasid, ioas));
	ASSERT_EQ(base, vm_pinned_kb());
	munmap(mem, 16 * PG);
}

/*
 * At scale, against a model: hundreds of mappings of random sizes at
 * random IOVAs, random unmaps and an IOAS replace, and thousands of DMAs
 * of the device at random places, each checked against what the model
 * says the IOVA maps (or that it faults).  Bounded by time.
 */
#define MODEL_PAGES	4096
#define MODEL_SPAN	(MODEL_PAGES * PG)

struct model {
	__u32 ioas;
	unsigned int next_id;
	/* Per IOVA page: the page of @mem it maps, or -1. */
	int map[MODEL_PAGES];
	/* Per IOVA page: which mapping holds it. */
	unsigned int id[MODEL_PAGES];
};

static void model_map(struct __test_metadata *_metadata, int fd,
		      struct model *m, __u8 *mem, __u64 *rng)
{
	unsigned int npg = 1 + ioasid_rng_below(rng, 32);
	unsigned int at = ioasid_rng_below(rng, MODEL_PAGES - npg);
	unsigned int src = ioasid_rng_below(rng, MODEL_PAGES - npg);
	unsigned int i;

	for (i = 0; i < npg; i++)
		if (m->map[at + i] >= 0)
			return;
	ASSERT_EQ(0, ioasid_ioas_map_at(fd, m->ioas, mem + src * PG, npg * PG,
					IOVA + at * PG));
	m->next_id++;
	for (i = 0; i < npg; i++) {
		m->map[at + i] = src + i;
		m->id[at + i] = m->next_id;
	}
}

/* Does [at, at + npg) cut a mapping of the model? */
static bool model_cuts(struct model *m, unsigned int at, unsigned int npg)
{
	unsigned int last = at + npg - 1;

	if (at && m->map[at] >= 0 && m->map[at - 1] >= 0 &&
	    m->id[at] == m->id[at - 1])
		return true;
	return last + 1 < MODEL_PAGES && m->map[last] >= 0 &&
	       m->map[last + 1] >= 0 && m->id[last] == m->id[last + 1];
}

static void model_unmap(struct __test_metadata *_metadata, int fd,
			struct model *m, __u64 *rng)
{
	unsigned int at = ioasid_rng_below(rng, MODEL_PAGES);
	unsigned int npg = 1 + ioasid_rng_below(rng, 64);
	__u64 unmapped = 0, want = 0;
	unsigned int i;
	int rc;

	if (at + npg > MODEL_PAGES)
		npg = MODEL_PAGES - at;
	rc = ioasid_ioas_unmap_range(fd, m->ioas, IOVA + at * PG, npg * PG,
				     &unmapped);
	/* An unmap may not cut a mapping. */
	if (model_cuts(m, at, npg)) {
		ASSERT_EQ(EINVAL, rc);
		return;
	}
	if (rc == ENOENT) {
		for (i = 0; i < npg; i++)
			ASSERT_GT(0, m->map[at + i]);
		return;
	}
	ASSERT_EQ(0, rc);
	for (i = 0; i < npg; i++) {
		want += m->map[at + i] >= 0 ? PG : 0;
		m->map[at + i] = -1;
	}
	ASSERT_EQ(want, unmapped);
}

/* A DMA at a random place, checked against the model. */
static void model_dma(struct __test_metadata *_metadata, int fd,
		      struct model *m, __u8 *mem, __u64 *rng)
{
	__u64 off = ioasid_rng_below(rng, MODEL_SPAN - IOASID_TEST_VDPA_BUF);
	__u32 len = 1 + ioasid_rng_below(rng, IOASID_TEST_VDPA_BUF);
	bool write = ioasid_rng_below(rng, 2);
	__u8 buf[IOASID_TEST_VDPA_BUF], want[IOASID_TEST_VDPA_BUF];
	__u32 ok = 0, done = ~0U, i;
	int rc;

	/* The model: how far the DMA gets, and the bytes there. */
	while (ok < len && m->map[(off + ok) / PG] >= 0) {
		__u64 o = off + ok;
		__u32 n = PG - o % PG;

		if (n > len - ok)
			n = len - ok;
		memcpy(want + ok, mem + m->map[o / PG] * PG + o % PG, n);
		ok += n;
	}
	for (i = 0; i < len; i++)
		buf[i] = ioasid_rng_next(rng);
	rc = vdpa_mock_dma(fd, write ? IOASID_TEST_VDPA_DMA_WRITE :
				       IOASID_TEST_VDPA_DMA_READ,
			   IOVA + off, buf, len, &done);
	ASSERT_EQ(ok == len ? 0 : ENXIO, rc);
	ASSERT_EQ(ok, done);
	if (write) {
		for (i = 0; i < ok; i++) {
			__u64 o = off + i;

			ASSERT_EQ(buf[i], mem[m->map[o / PG] * PG + o % PG]);
		}
	} else if (!rc) {
		ASSERT_EQ(0, memcmp(buf, want, len));
	}
}

TEST_F(vdpa_iommu, model)
{
	__u64 rng = ioasid_rng_seed(test_seed(_metadata), 1);
	__u64 end = ioasid_now_ns() + 8000000000ULL;
	unsigned long dmas = 0, maps = 0, replaces = 0;
	struct model *m = calloc(2, sizeof(*m)), *cur;
	__u8 *mem = pages(MODEL_SPAN, 0);
	__u32 dev_id;
	int k;

	ASSERT_NE(NULL, m);
	ASSERT_NE(NULL, mem);
	for (__u64 i = 0; i < MODEL_SPAN; i++)
		mem[i] = ioasid_rng_next(&rng);
	ASSERT_EQ(0, vdpa_bind(self->fd, self->ioasid, &dev_id));
	for (k = 0; k < 2; k++) {
		memset(m[k].map, 0xff, sizeof(m[k].map));
		ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &m[k].ioas));
		for (int i = 0; i < 300; i++)
			model_map(_metadata, self->ioasid, &m[k], mem, &rng);
	}
	cur = &m[0];
	ASSERT_EQ(0, vdpa_attach(self->fd, 0, cur->ioas));
	while (ioasid_now_ns() < end || dmas < 1000) {
		unsigned int op = ioasid_rng_below(&rng, 100);

		if (op < 70) {
			model_dma(_metadata, self->fd, cur, mem, &rng);
			dmas++;
		} else if (op < 85) {
			model_map(_metadata, self->ioasid,
				  &m[ioasid_rng_below(&rng, 2)], mem, &rng);
			maps++;
		} else if (op < 98) {
			model_unmap(_metadata, self->ioasid,
				    &m[ioasid_rng_below(&rng, 2)], &rng);
		} else {
			cur = cur == &m[0] ? &m[1] : &m[0];
			ASSERT_EQ(0, vdpa_attach(self->fd, 0, cur->ioas));
			replaces++;
		}
		if (dmas >= 20000)
			break;
	}
	TH_LOG("%lu DMAs, %lu maps, %lu replaces", dmas, maps, replaces);
	ASSERT_EQ(0, vdpa_unbind(self->fd));
	for (k = 0; k < 2; k++)
		ASSERT_EQ(0, ioasid_obj_destroy(self->ioasid, m[k].ioas));
	munmap(mem, MODEL_SPAN);
	free(m);
}

TEST_HARNESS_MAIN
