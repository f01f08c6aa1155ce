// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid with a real IOMMU: QEMU's edu PCI device (1234:11e8) behind
 * the emulated VT-d, driven through its VFIO device cdev.  The tests bind
 * the device to /dev/ioasid, attach it to IO address spaces, and make the
 * device DMA: data must arrive through a mapping, and must not arrive (the
 * IOMMU logs a DMAR fault instead) once the mapping, the attachment or the
 * binding is gone.
 * The edu's registers and limits are described in edu.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <linux/vfio_ioasid.h>

#include "../kselftest_harness.h"
#include "edu.h"
#include "ioasid_util.h"

#define PAGE		0x1000UL
/* IOVA of the test buffers: source page, then destination page. */
#define IOVA_SRC	0x100000UL
#define IOVA_DST	0x101000UL

#ifndef offsetofend
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#endif

/*
 * PASID attachments through VFIO: the field that was __reserved is the
 * PASID, with VFIO_DEVICE_ATTACH_PASID.  Headers from before keep the old
 * name and lack the flag.
 */
#if defined(VFIO_DEVICE_ATTACH_IOASID_PASID)
#define VFIO_ATTACH_PASID VFIO_DEVICE_ATTACH_IOASID_PASID
#define VFIO_DETACH_PASID VFIO_DEVICE_DETACH_IOASID_PASID
#define ATTACH_PT_PASID pasid
#elif defined(VFIO_DEVICE_ATTACH_PASID)
#define VFIO_ATTACH_PASID VFIO_DEVICE_ATTACH_PASID
#define VFIO_DETACH_PASID VFIO_DEVICE_DETACH_PASID
#define ATTACH_PT_PASID pasid
#else
#define VFIO_ATTACH_PASID (1 << 0)
#define ATTACH_PT_PASID __reserved
#endif

static int bind_ioasid(int cdev, int ioasid_fd, __u32 *dev_id)
{
	struct vfio_device_bind_ioasid bind = {
		.argsz = sizeof(bind),
		.ioasid_fd = ioasid_fd,
	};
	int rc;

	rc = ioctl_err(cdev, VFIO_DEVICE_BIND_IOASID, &bind);
	if (!rc && dev_id)
		*dev_id = bind.out_dev_id;
	return rc;
}

static int attach_pt(int cdev, __u32 *pt_id)
{
	struct vfio_device_attach_ioasid_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = *pt_id,
	};
	int rc;

	rc = ioctl_err(cdev, VFIO_DEVICE_ATTACH_IOASID_PT, &attach);
	if (!rc)
		*pt_id = attach.pt_id;
	return rc;
}

static int detach_pt(int cdev)
{
	struct vfio_device_detach_ioasid_pt detach = {
		.argsz = sizeof(detach),
	};

	return ioctl_err(cdev, VFIO_DEVICE_DETACH_IOASID_PT, &detach);
}

/*
 * The kernel log from now on: open /dev/kmsg at its end.  The IOMMU's
 * fault interrupt is asynchronous, so wait_dmar_fault() polls.  The DMAR
 * driver prints at most 10 fault lines (two per fault) in 5 s: wait for
 * that window to pass, so that the faults of one test are all printed.
 */
static int kmsg_open(void)
{
	struct timespec ts = { .tv_sec = 5, .tv_nsec = 500 * 1000 * 1000 };
	int fd;

	nanosleep(&ts, NULL);
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Whether the DMAR driver logged a fault at page @iova within ~2 s. */
static bool wait_dmar_fault(int kmsg, __u64 iova)
{
	struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };
	char want[64], rec[1024];
	int i;

	snprintf(want, sizeof(want), "fault addr 0x%llx ",
		 (unsigned long long)iova);
	for (i = 0; i < 40; i++) {
		ssize_t n;

		while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
			rec[n] = 0;
			if (strstr(rec, "DMAR") && strstr(rec, want))
				return true;
		}
		if (n < 0 && errno != EAGAIN && errno != EPIPE)
			return false;
		nanosleep(&ts, NULL);
	}
	return false;
}

FIXTURE(vfio_edu) {
	char bdf[NAME_MAX + 1];
	char cdev_path[PATH_MAX];
	int cdev;
	int ioasid;
	__u32 dev_id;
	void *bar;
	size_t bar_size;
	/* src and dst, one page each, and a third page for a second IOAS. */
	unsigned char *buf;
};

FIXTURE_SETUP(vfio_edu)
{
	int rc;

	self->cdev = -1;
	self->ioasid = -1;
	self->bar = MAP_FAILED;
	self->buf = MAP_FAILED;
	if (access("/dev/ioasid", F_OK))
		SKIP(return, "no /dev/ioasid");
	if (!edu_find(self->bdf, sizeof(self->bdf)))
		SKIP(return, "no edu device (1234:11e8): QEMU started without -device edu");
	rc = edu_bind_vfio_pci(self->bdf);
	ASSERT_EQ(0, rc) TH_LOG("binding %s to vfio-pci: %s", self->bdf,
				strerror(-rc));
	ASSERT_EQ(0, edu_vfio_cdev(self->bdf, self->cdev_path,
				    sizeof(self->cdev_path)));
	self->cdev = open(self->cdev_path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->cdev) TH_LOG("%s: %s", self->cdev_path,
					strerror(errno));
	self->ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ioasid);
	self->buf = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, 3 * PAGE);
}

FIXTURE_TEARDOWN(vfio_edu)
{
	if (self->bar != MAP_FAILED)
		munmap(self->bar, self->bar_size);
	if (self->cdev >= 0)
		close(self->cdev);
	if (self->ioasid >= 0)
		close(self->ioasid);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, 3 * PAGE);
}

/* Map BAR0 and enable DMA; the device must be bound. */
static void edu_setup(struct __test_metadata *_metadata,
		      FIXTURE_DATA(vfio_edu) *self)
{
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	struct vfio_region_info bar0 = {
		.argsz = sizeof(bar0),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};

	ASSERT_EQ(0, ioctl_err(self->cdev, VFIO_DEVICE_GET_REGION_INFO, &bar0));
	ASSERT_TRUE(bar0.flags & VFIO_REGION_INFO_FLAG_MMAP);
	self->bar_size = bar0.size;
	self->bar = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->cdev, bar0.offset);
	ASSERT_NE(MAP_FAILED, self->bar);
	ASSERT_EQ(0, ioctl_err(self->cdev, VFIO_DEVICE_GET_REGION_INFO, &cfg));
	ASSERT_EQ(0, edu_set_bus_master(self->cdev, cfg.offset, true));
	/* The identification register, 0xRRrr00ed, read 32 bits wide. */
	ASSERT_EQ(0xed, edu_read32(self->bar, EDU_ID) & 0xff);
}

static void fill(unsigned char *p, unsigned char seed)
{
	size_t i;

	for (i = 0; i < PAGE; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

/* What a transfer of fill()ed memory left in a zeroed page. */
static bool is_filled(const unsigned char *p, unsigned char seed)
{
	size_t i;

	for (i = 0; i < EDU_LEN; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return false;
	for (; i < PAGE; i++)
		if (p[i])
			return false;
	return true;
}

static bool is_zero(const unsigned char *p)
{
	size_t i;

	for (i = 0; i < PAGE; i++)
		if (p[i])
			return false;
	return true;
}

TEST_F(vfio_edu, bind_errors)
{
	struct vfio_device_bind_ioasid bind = {
		.argsz = sizeof(bind),
		.ioasid_fd = self->ioasid,
	};
	struct vfio_device_attach_iommufd_pt iommufd_attach = {
		.argsz = sizeof(iommufd_attach),
	};
	struct vfio_device_detach_iommufd_pt iommufd_detach = {
		.argsz = sizeof(iommufd_detach),
	};
	struct vfio_device_bind_iommufd iommufd_bind = {
		.argsz = sizeof(iommufd_bind),
	};
	__u32 pt_id = 1;
	int null, iommufd;

	/* Not bound yet: every other ioctl is refused. */
	EXPECT_EQ(EINVAL, attach_pt(self->cdev, &pt_id));
	EXPECT_EQ(EINVAL, detach_pt(self->cdev));

	bind.argsz = offsetofend(struct vfio_device_bind_ioasid, out_dev_id) - 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_BIND_IOASID, &bind));
	bind.argsz = sizeof(bind);
	bind.flags = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_BIND_IOASID, &bind));
	bind.flags = 0;
	bind.ioasid_fd = -1;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_BIND_IOASID, &bind));
	bind.ioasid_fd = 1000;
	EXPECT_EQ(EBADF, ioctl_err(self->cdev, VFIO_DEVICE_BIND_IOASID, &bind));
	null = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null);
	bind.ioasid_fd = null;
	EXPECT_EQ(EBADFD, ioctl_err(self->cdev, VFIO_DEVICE_BIND_IOASID, &bind));
	close(null);
	EXPECT_EQ(EFAULT, ioctl_err(self->cdev, VFIO_DEVICE_BIND_IOASID, NULL));

	/* A failed bind left nothing behind: this one works. */
	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	EXPECT_NE(0, self->dev_id);

	/* Bound once, to one of /dev/ioasid and iommufd. */
	EXPECT_EQ(EINVAL, bind_ioasid(self->cdev, self->ioasid, NULL));
	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	iommufd_bind.iommufd = iommufd;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_BIND_IOMMUFD,
				    &iommufd_bind));
	close(iommufd);
	/* The iommufd attach ioctls do not apply to this binding. */
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
				    &iommufd_attach));
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_DETACH_IOMMUFD_PT,
				    &iommufd_detach));

	/* The binding owns the device object. */
	EXPECT_EQ(EPERM, ioasid_obj_destroy(self->ioasid, self->dev_id));
}

TEST_F(vfio_edu, attach_errors)
{
	struct vfio_device_attach_ioasid_pt attach = {
		.argsz = sizeof(attach),
	};
	struct vfio_device_detach_ioasid_pt detach = {
		.argsz = sizeof(detach),
	};
	__u32 ioas, pt_id;

	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));

	attach.pt_id = ioas;
	attach.argsz = offsetofend(struct vfio_device_attach_ioasid_pt,
				   ATTACH_PT_PASID) - 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_ATTACH_IOASID_PT,
				    &attach));
	attach.argsz = sizeof(attach);
	attach.flags = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_ATTACH_IOASID_PT,
				    &attach));
	attach.flags = 1U << 31;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_ATTACH_IOASID_PT,
				    &attach));
	/* A PASID without the flag. */
	attach.flags = 0;
	attach.ATTACH_PT_PASID = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_ATTACH_IOASID_PT,
				    &attach));
	attach.ATTACH_PT_PASID = 0;
	/* Neither an IOAS nor a HWPT: unknown, and the device itself. */
	pt_id = 0xfffff;
	EXPECT_EQ(ENOENT, attach_pt(self->cdev, &pt_id));
	pt_id = self->dev_id;
	EXPECT_EQ(ENOENT, attach_pt(self->cdev, &pt_id));
	detach.flags = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_DETACH_IOASID_PT,
				    &detach));
	detach.argsz = 4;
	detach.flags = 0;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_DETACH_IOASID_PT,
				    &detach));
	/* Detaching a device that is not attached does nothing. */
	EXPECT_EQ(0, detach_pt(self->cdev));

	/* The attachment holds the IOAS's HWPT, which holds the IOAS. */
	pt_id = ioas;
	ASSERT_EQ(0, attach_pt(self->cdev, &pt_id));
	EXPECT_NE(ioas, pt_id);
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(self->ioasid, ioas));
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(self->ioasid, pt_id));
	EXPECT_EQ(0, detach_pt(self->cdev));
	/* The IOAS's own HWPT went with its last attachment. */
	EXPECT_EQ(ENOENT, ioasid_obj_destroy(self->ioasid, pt_id));
	EXPECT_EQ(0, ioasid_obj_destroy(self->ioasid, ioas));
}

/*
 * The group path and iommufd cannot use the device while it is bound to
 * /dev/ioasid, and the reverse.
 */
TEST_F(vfio_edu, exclusive_owner)
{
	struct vfio_device_bind_iommufd iommufd_bind = {
		.argsz = sizeof(iommufd_bind),
	};
	char group_path[PATH_MAX];
	int group, cdev2, iommufd;

	ASSERT_EQ(0, edu_vfio_group(self->bdf, group_path,
				     sizeof(group_path)));

	/* The group file is open: the cdev cannot be bound. */
	group = open(group_path, O_RDWR);
	ASSERT_LE(0, group) TH_LOG("%s: %s", group_path, strerror(errno));
	EXPECT_EQ(EBUSY, bind_ioasid(self->cdev, self->ioasid, NULL));
	close(group);

	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	/* Bound: the group file cannot be opened ... */
	group = open(group_path, O_RDWR);
	EXPECT_EQ(-1, group);
	EXPECT_EQ(EBUSY, errno);
	if (group >= 0)
		close(group);
	/* ... nor the device bound again through another cdev file. */
	cdev2 = open(self->cdev_path, O_RDWR);
	ASSERT_LE(0, cdev2);
	EXPECT_EQ(EINVAL, bind_ioasid(cdev2, self->ioasid, NULL));
	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	iommufd_bind.iommufd = iommufd;
	EXPECT_EQ(EINVAL, ioctl_err(cdev2, VFIO_DEVICE_BIND_IOMMUFD,
				    &iommufd_bind));

	/* Closing the cdev file unbinds: iommufd can have the device. */
	close(self->cdev);
	self->cdev = -1;
	ASSERT_EQ(0, ioctl_err(cdev2, VFIO_DEVICE_BIND_IOMMUFD, &iommufd_bind));
	/* And now /dev/ioasid cannot, through a third file. */
	self->cdev = open(self->cdev_path, O_RDWR);
	ASSERT_LE(0, self->cdev);
	EXPECT_EQ(EINVAL, bind_ioasid(self->cdev, self->ioasid, NULL));
	close(cdev2);
	close(iommufd);
	/* Everything closed: the device can be bound again. */
	EXPECT_EQ(0, bind_ioasid(self->cdev, self->ioasid, NULL));
}

/* Closing the /dev/ioasid file first: the binding keeps the context. */
TEST_F(vfio_edu, close_ioasid_first)
{
	__u32 ioas, pt_id;

	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, self->buf, 2 * PAGE,
					IOVA_SRC));
	pt_id = ioas;
	ASSERT_EQ(0, attach_pt(self->cdev, &pt_id));
	close(self->ioasid);
	self->ioasid = -1;
	/* The device is still attached, and can be detached and reattached. */
	EXPECT_EQ(0, detach_pt(self->cdev));
	pt_id = ioas;
	EXPECT_EQ(0, attach_pt(self->cdev, &pt_id));
	/* The teardown closes the cdev file: the context goes with it. */
}

TEST_F(vfio_edu, hw_info_vtd)
{
	struct iommu_hw_info_vtd vtd;
	struct ioasid_device_get_hw_info info = {
		.size = sizeof(info),
		.data_len = sizeof(vtd),
		.data_uptr = (uintptr_t)&vtd,
	};
	char path[PATH_MAX], val[64];
	unsigned long long cap, ecap;

	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	info.dev_id = self->dev_id;
	memset(&vtd, 0xa5, sizeof(vtd));
	ASSERT_EQ(0, ioctl_err(self->ioasid, IOASID_DEVICE_GET_HW_INFO, &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_INTEL_VTD, info.out_data_type);
	EXPECT_EQ(sizeof(vtd), info.data_len);
	/* edu has no PASID capability. */
	EXPECT_EQ(0, info.out_max_pasid_log2);

	/* The registers as the DMAR driver shows them in sysfs. */
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu/intel-iommu/cap",
		 self->bdf);
	ASSERT_EQ(0, sysfs_read(path, val, sizeof(val)));
	cap = strtoull(val, NULL, 16);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu/intel-iommu/ecap",
		 self->bdf);
	ASSERT_EQ(0, sysfs_read(path, val, sizeof(val)));
	ecap = strtoull(val, NULL, 16);
	EXPECT_EQ(cap, vtd.cap_reg);
	EXPECT_EQ(ecap, vtd.ecap_reg);
	EXPECT_NE(0, cap);

	/* A short buffer gets what fits, and the full length. */
	memset(&vtd, 0xa5, sizeof(vtd));
	info.data_len = offsetof(struct iommu_hw_info_vtd, ecap_reg);
	ASSERT_EQ(0, ioctl_err(self->ioasid, IOASID_DEVICE_GET_HW_INFO, &info));
	EXPECT_EQ(sizeof(vtd), info.data_len);
	EXPECT_EQ(cap, vtd.cap_reg);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, vtd.ecap_reg);
}

/*
 * The IOVA windows of an IOAS with the device attached: inside VT-d's
 * 48-bit aperture, without its interrupt (MSI) window.
 */
TEST_F(vfio_edu, iova_ranges_vtd)
{
	struct {
		struct ioasid_ioas_iova_ranges cmd;
		struct ioasid_iova_range ranges[16];
	} r = { .cmd = { .size = sizeof(r.cmd), .num_ranges = 16 } };
	bool msi_reserved = true, below = false;
	__u32 ioas, pt_id, i;

	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
	pt_id = ioas;
	ASSERT_EQ(0, attach_pt(self->cdev, &pt_id));

	r.cmd.ioas_id = ioas;
	r.cmd.ranges = (uintptr_t)r.ranges;
	ASSERT_EQ(0, ioctl_err(self->ioasid, IOASID_IOAS_IOVA_RANGES, &r));
	ASSERT_LE(2, r.cmd.num_ranges);
	ASSERT_GE(16, r.cmd.num_ranges);
	for (i = 0; i < r.cmd.num_ranges; i++) {
		if (r.ranges[i].start <= 0xfee00000ULL &&
		    r.ranges[i].last >= 0xfee00000ULL)
			msi_reserved = false;
		if (r.ranges[i].start <= IOVA_SRC &&
		    r.ranges[i].last >= IOVA_DST + PAGE - 1)
			below = true;
	}
	EXPECT_TRUE(msi_reserved);
	EXPECT_TRUE(below);
	EXPECT_EQ((1ULL << 48) - 1, r.ranges[r.cmd.num_ranges - 1].last);

	/* The MSI window and what lies above the aperture cannot be mapped. */
	EXPECT_EQ(EADDRINUSE, ioasid_ioas_map_at(self->ioasid, ioas, self->buf, PAGE,
						 0xfee00000ULL));
	EXPECT_EQ(EADDRINUSE, ioasid_ioas_map_at(self->ioasid, ioas, self->buf, PAGE,
						 1ULL << 48));
	EXPECT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, self->buf, PAGE,
					(1ULL << 48) - PAGE));
}

/*
 * DMA end to end: data arrives through the mapping; after unmap, the next
 * DMA is blocked; replace moves the device to another IOAS and DMA
 * follows; after detach it is blocked again.
 */
TEST_F(vfio_edu, dma_map_unmap_replace_detach)
{
	unsigned char *src = self->buf, *dst = self->buf + PAGE;
	unsigned char *other = self->buf + 2 * PAGE;
	__u32 ioas, ioas2, pt_id, pt_id2;
	int kmsg;

	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, src, PAGE, IOVA_SRC));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, dst, PAGE, IOVA_DST));
	pt_id = ioas;
	ASSERT_EQ(0, attach_pt(self->cdev, &pt_id));
	edu_setup(_metadata, self);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);

	/* RAM -> device -> RAM, both through the IOMMU. */
	fill(src, 0x31);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_LEN, false));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_filled(dst, 0x31));

	/* Unmapped: the DMA is refused and the memory keeps its data. */
	memset(dst, 0, PAGE);
	ASSERT_EQ(0, ioasid_ioas_unmap_range(self->ioasid, ioas, IOVA_DST, PAGE,
					     NULL));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_zero(dst));
	EXPECT_TRUE(wait_dmar_fault(kmsg, IOVA_DST));

	/* Replace: a second IOAS maps another page at the same IOVA. */
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas2));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas2, other, PAGE, IOVA_DST));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, dst, PAGE, IOVA_DST));
	pt_id2 = ioas2;
	ASSERT_EQ(0, attach_pt(self->cdev, &pt_id2));
	EXPECT_NE(pt_id, pt_id2);
	/* The first IOAS's HWPT went with its only attachment. */
	EXPECT_EQ(ENOENT, ioasid_obj_destroy(self->ioasid, pt_id));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_filled(other, 0x31));
	EXPECT_TRUE(is_zero(dst));

	/* Detached: blocked again. */
	memset(other, 0, PAGE);
	ASSERT_EQ(0, detach_pt(self->cdev));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_zero(other));
	EXPECT_TRUE(is_zero(dst));
	EXPECT_TRUE(wait_dmar_fault(kmsg, IOVA_DST));
	close(kmsg);
}

/* A HWPT allocated by user space for the device, attached by id. */
TEST_F(vfio_edu, dma_through_hwpt)
{
	unsigned char *src = self->buf, *dst = self->buf + PAGE;
	struct ioasid_hwpt_alloc hwpt = { .size = sizeof(hwpt) };
	__u32 ioas, pt_id;

	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
	/* Mapped before the HWPT exists: it is filled on allocation. */
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, src, PAGE, IOVA_SRC));
	hwpt.dev_id = self->dev_id;
	hwpt.pt_id = ioas;
	ASSERT_EQ(0, ioctl_err(self->ioasid, IOASID_HWPT_ALLOC, &hwpt));
	/* Mapped after: kept in step. */
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, dst, PAGE, IOVA_DST));
	pt_id = hwpt.out_hwpt_id;
	ASSERT_EQ(0, attach_pt(self->cdev, &pt_id));
	EXPECT_EQ(hwpt.out_hwpt_id, pt_id);
	edu_setup(_metadata, self);

	fill(src, 0x77);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_LEN, false));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_filled(dst, 0x77));

	EXPECT_EQ(EBUSY, ioasid_obj_destroy(self->ioasid, hwpt.out_hwpt_id));
	EXPECT_EQ(0, detach_pt(self->cdev));
	EXPECT_EQ(0, ioasid_obj_destroy(self->ioasid, hwpt.out_hwpt_id));
	EXPECT_EQ(0, ioasid_obj_destroy(self->ioasid, ioas));
}

/*
 * QEMU 7.2's VT-d has no page requests and the edu no PRI: a fault queue
 * can be allocated and given to the edu's HWPT, the DMA works through it,
 * and nothing arrives, not even for a DMA the VT-d refuses (its driver
 * logs DMAR faults, it does not report them to the domain's owner).
 */
TEST_F(vfio_edu, fault_queue_nothing_arrives)
{
	unsigned char *src = self->buf, *dst = self->buf + PAGE;
	struct ioasid_info ginfo = { .size = sizeof(ginfo) };
	struct ioasid_fault_record rec;
	struct ioasid_fq q;
	__u32 ioas, hwpt, pt_id;
	__u64 count;
	int efd, kmsg;

	ASSERT_EQ(0, ioctl_err(self->ioasid, IOASID_GET_INFO, &ginfo));
	if (!(ginfo.features & IOASID_FEATURE_FAULT))
		SKIP(return, "kernel without IOASID_FEATURE_FAULT");
	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, src, PAGE, IOVA_SRC));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, dst, PAGE, IOVA_DST));
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ioasid_fq_open(self->ioasid, IOASID_FAULT_QUEUE_EVENTFD,
				    16, efd, &q));
	ASSERT_EQ(0, ioasid_hwpt_alloc_fault(self->ioasid, self->dev_id, ioas,
					     q.id, &hwpt));
	pt_id = hwpt;
	ASSERT_EQ(0, attach_pt(self->cdev, &pt_id));
	EXPECT_EQ(hwpt, pt_id);
	edu_setup(_metadata, self);

	fill(src, 0x3c);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_LEN, false));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_filled(dst, 0x3c));
	/* Refused by the VT-d: logged, not delivered. */
	ASSERT_EQ(0, ioasid_ioas_unmap_range(self->ioasid, ioas, IOVA_DST, PAGE,
					     NULL));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(wait_dmar_fault(kmsg, IOVA_DST));

	EXPECT_EQ(0, ioasid_fq_pending(&q));
	ASSERT_EQ(0, fcntl(q.fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, ioasid_fq_read(&q, &rec, 1));
	EXPECT_EQ(-1, read(efd, &count, sizeof(count)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, q.ring->overflow);
	EXPECT_EQ(0, q.ring->lost_events);

	/* The HWPT holds the queue until it goes. */
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(self->ioasid, q.id));
	EXPECT_EQ(0, detach_pt(self->cdev));
	EXPECT_EQ(0, ioasid_obj_destroy(self->ioasid, hwpt));
	EXPECT_EQ(0, ioasid_obj_destroy(self->ioasid, q.id));
	ioasid_fq_close(&q);
	EXPECT_EQ(0, ioasid_obj_destroy(self->ioasid, ioas));
	close(efd);
	close(kmsg);
}

/*
 * A bound device that is not attached is blocked; and once every file is
 * closed the device is back with no owner: its DMA goes to the kernel's
 * default domain, where nothing of ours is mapped.
 */
TEST_F(vfio_edu, blocked_before_attach_and_after_close)
{
	unsigned char *src = self->buf, *dst = self->buf + PAGE;
	char path[PATH_MAX];
	__u32 ioas, pt_id;
	void *res0;
	int kmsg, cfg;

	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	edu_setup(_metadata, self);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, src, PAGE, IOVA_SRC));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, dst, PAGE, IOVA_DST));

	/* Bound, not attached: blocked although the IOAS maps the page. */
	fill(src, 0x55);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_LEN, false));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_FALSE(is_filled(dst, 0x55));
	EXPECT_TRUE(is_zero(dst));
	EXPECT_TRUE(wait_dmar_fault(kmsg, IOVA_DST));

	/* Attached: the data arrives. */
	pt_id = ioas;
	ASSERT_EQ(0, attach_pt(self->cdev, &pt_id));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_LEN, false));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_filled(dst, 0x55));

	/* Close everything, then drive the device through sysfs. */
	munmap(self->bar, self->bar_size);
	self->bar = MAP_FAILED;
	close(self->cdev);
	self->cdev = -1;
	close(self->ioasid);
	self->ioasid = -1;
	memset(dst, 0, PAGE);

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource0", self->bdf);
	cfg = open(path, O_RDWR | O_SYNC);
	ASSERT_LE(0, cfg) TH_LOG("%s: %s", path, strerror(errno));
	res0 = mmap(NULL, self->bar_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    cfg, 0);
	close(cfg);
	ASSERT_NE(MAP_FAILED, res0);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", self->bdf);
	cfg = open(path, O_RDWR);
	ASSERT_LE(0, cfg);
	ASSERT_EQ(0, edu_set_bus_master(cfg, 0, true));
	EXPECT_EQ(0, edu_dma(res0, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_zero(dst));
	EXPECT_TRUE(wait_dmar_fault(kmsg, IOVA_DST));
	/* Leave the device as vfio-pci left it: no bus mastering. */
	EXPECT_EQ(0, edu_set_bus_master(cfg, 0, false));
	close(cfg);
	munmap(res0, self->bar_size);
	close(kmsg);
}

/*
 * The edu has no PASID capability: /dev/ioasid reports no PASID for it,
 * VFIO refuses a PASID attachment, which leaves the RID's alone, and no
 * global PASID can be allocated for it.
 */
TEST_F(vfio_edu, no_pasid)
{
	unsigned char *src = self->buf, *dst = self->buf + PAGE;
	struct vfio_device_attach_ioasid_pt attach = {
		.argsz = sizeof(attach),
	};
	struct ioasid_info ginfo = { .size = sizeof(ginfo) };
	struct ioasid_device_get_pasid_info info;
	__u32 ioas, pt_id;

	ASSERT_EQ(0, ioctl_err(self->ioasid, IOASID_GET_INFO, &ginfo));
	if (!(ginfo.features & IOASID_FEATURE_PASID))
		SKIP(return, "kernel without IOASID_FEATURE_PASID");
	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, src, PAGE, IOVA_SRC));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, dst, PAGE, IOVA_DST));

	/* Not attached: declared and blocked. */
	ASSERT_EQ(0, ioasid_pasid_info(self->ioasid, self->dev_id, 0, &info));
	EXPECT_EQ(IOASID_PASID_INFO_DECLARED, info.out_flags);
	/* The RID takes paging and nested HWPTs, as the IOMMU can. */
	EXPECT_EQ(IOASID_PASID_CFG_PAGING | IOASID_PASID_CFG_NESTED,
		  info.out_allowed);
	EXPECT_EQ(0, info.out_pt_id);
	EXPECT_EQ(0, info.out_pasid_bits);

	pt_id = ioas;
	ASSERT_EQ(0, attach_pt(self->cdev, &pt_id));
	edu_setup(_metadata, self);

	/* PASID 1: reported, with no width and no flag. */
	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, ioasid_pasid_info(self->ioasid, self->dev_id, 1, &info));
	EXPECT_EQ(0, info.out_flags);
	EXPECT_EQ(0, info.out_allowed);
	EXPECT_EQ(IOASID_PT_NONE, info.out_pt_kind);
	EXPECT_EQ(0, info.out_pt_id);
	EXPECT_EQ(0, info.out_pasid_bits);
	EXPECT_EQ(0, info.out_dev_caps);
	EXPECT_EQ(EINVAL, ioasid_pasid_info(self->ioasid, self->dev_id,
					    IOASID_PASID_MAX + 1, &info));

	/* No PASID to attach, by IOAS or by HWPT. */
	attach.flags = VFIO_ATTACH_PASID;
	attach.ATTACH_PT_PASID = 1;
	attach.pt_id = ioas;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_ATTACH_IOASID_PT,
				    &attach));
	attach.pt_id = pt_id;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_ATTACH_IOASID_PT,
				    &attach));
	EXPECT_EQ(pt_id, attach.pt_id);
	attach.ATTACH_PT_PASID = 0;
	EXPECT_EQ(EINVAL, ioctl_err(self->cdev, VFIO_DEVICE_ATTACH_IOASID_PT,
				    &attach));

	/* The RID's attachment is untouched: same HWPT, and DMA works. */
	ASSERT_EQ(0, ioasid_pasid_info(self->ioasid, self->dev_id, 0, &info));
	EXPECT_EQ(IOASID_PASID_INFO_DECLARED | IOASID_PASID_INFO_ATTACHED,
		  info.out_flags);
	EXPECT_EQ(IOASID_PASID_CFG_PAGING | IOASID_PASID_CFG_NESTED,
		  info.out_allowed);
	EXPECT_EQ(IOASID_PT_HWPT_PAGING, info.out_pt_kind);
	EXPECT_EQ(pt_id, info.out_pt_id);
	fill(src, 0x42);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_LEN, false));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_filled(dst, 0x42));

	/* Nor a global PASID. */
	EXPECT_EQ(ENODEV, ioasid_pasid_alloc(self->ioasid, self->dev_id,
					     NULL));
#ifdef VFIO_DETACH_PASID
	{
		struct vfio_device_detach_ioasid_pt detach = {
			.argsz = sizeof(detach),
			.flags = VFIO_DETACH_PASID,
		};

		/* PASID 0 is refused; a PASID not attached is no error. */
		EXPECT_EQ(EINVAL, ioctl_err(self->cdev,
					    VFIO_DEVICE_DETACH_IOASID_PT,
					    &detach));
		detach.pasid = 1;
		EXPECT_EQ(0, ioctl_err(self->cdev,
				       VFIO_DEVICE_DETACH_IOASID_PT, &detach));
		detach.pasid = IOASID_PASID_MAX + 1;
		EXPECT_EQ(EINVAL, ioctl_err(self->cdev,
					    VFIO_DEVICE_DETACH_IOASID_PT,
					    &detach));
	}
	/* The RID stayed attached. */
	ASSERT_EQ(0, ioasid_pasid_info(self->ioasid, self->dev_id, 0, &info));
	EXPECT_EQ(pt_id, info.out_pt_id);
	memset(dst, 0, PAGE);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_filled(dst, 0x42));
#endif
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(self->ioasid, pt_id));
	EXPECT_EQ(0, detach_pt(self->cdev));
	EXPECT_EQ(ENOENT, ioasid_obj_destroy(self->ioasid, pt_id));
}

/* ---- allocation failures ----------------------------------------------- */

/*
 * On a bound device: map, attach, replace, detach.  0 or the errno of the
 * first step that failed.
 */
/*
 * QEMU 7.2's VT-d does not nest (no ECAP.NEST): a nesting parent is refused
 * as the IOMMU driver refuses it, and a nested HWPT on an ordinary paging
 * HWPT as the uAPI does; neither leaves anything behind, and the device
 * goes on doing DMA through the paging HWPT.
 */
TEST_F(vfio_edu, nesting_unsupported)
{
	unsigned char *src = self->buf, *dst = self->buf + PAGE;
	struct ioasid_info ginfo = { .size = sizeof(ginfo) };
	struct ioasid_hwpt_vtd_s1 s1 = ioasid_nest_vtd_s1(IOVA_SRC);
	struct ioasid_hwpt_vtd_s1_invalidate inv = { .npages = ~0ULL };
	struct ioasid_hw_info_vtd vtd;
	struct ioasid_device_get_hw_info hw = {
		.size = sizeof(hw),
		.data_len = sizeof(vtd),
		.data_uptr = (uintptr_t)&vtd,
	};
	__u32 ioas, hwpt, pt_id, id, num;

	ASSERT_EQ(0, ioctl_err(self->ioasid, IOASID_GET_INFO, &ginfo));
	if (!(ginfo.features & IOASID_FEATURE_NESTING))
		SKIP(return, "kernel without IOASID_FEATURE_NESTING");
	ASSERT_EQ(0, bind_ioasid(self->cdev, self->ioasid, &self->dev_id));
	hw.dev_id = self->dev_id;
	ASSERT_EQ(0, ioctl_err(self->ioasid, IOASID_DEVICE_GET_HW_INFO, &hw));
	ASSERT_EQ(IOASID_HW_INFO_TYPE_INTEL_VTD, hw.out_data_type);
	/* ECAP.NEST, bit 26: what the refusals below follow from. */
	if (vtd.ecap_reg & (1ULL << 26))
		SKIP(return, "this VT-d can nest (ecap 0x%llx)",
		     (unsigned long long)vtd.ecap_reg);
	ASSERT_EQ(0, ioasid_ioas_new(self->ioasid, &ioas));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, src, PAGE, IOVA_SRC));
	ASSERT_EQ(0, ioasid_ioas_map_at(self->ioasid, ioas, dst, PAGE, IOVA_DST));

	/* No nesting parent on this IOMMU. */
	EXPECT_EQ(EOPNOTSUPP, ioasid_nest_parent_alloc(self->ioasid,
						       self->dev_id, ioas,
						       true, &id));
	/* An ordinary paging HWPT is no parent; an IOAS is no HWPT. */
	ASSERT_EQ(0, ioasid_nest_parent_alloc(self->ioasid, self->dev_id, ioas,
					      false, &hwpt));
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->ioasid, self->dev_id, hwpt,
					    IOASID_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &id));
	EXPECT_EQ(ENOENT, ioasid_nest_alloc(self->ioasid, self->dev_id, ioas,
					    IOASID_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &id));
	/* Nothing nested to invalidate. */
	num = 1;
	EXPECT_EQ(EOPNOTSUPP, ioasid_nest_invalidate(self->ioasid, hwpt,
				IOASID_HWPT_INVALIDATE_DATA_VTD_S1, &inv,
				sizeof(inv), &num));
	EXPECT_EQ(0, num);

	/* Nothing holds the paging HWPT: the device uses it as before. */
	pt_id = hwpt;
	ASSERT_EQ(0, attach_pt(self->cdev, &pt_id));
	EXPECT_EQ(hwpt, pt_id);
	edu_setup(_metadata, self);
	fill(src, 0x5d);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_LEN, false));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_DST, EDU_LEN, true));
	EXPECT_TRUE(is_filled(dst, 0x5d));
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(self->ioasid, hwpt));
	ASSERT_EQ(0, detach_pt(self->cdev));
	EXPECT_EQ(0, ioasid_obj_destroy(self->ioasid, hwpt));
	/* And the IOAS is held by nothing. */
	EXPECT_EQ(0, ioasid_obj_destroy(self->ioasid, ioas));
}

static int vfio_scenario(int cdev, int ioasid, unsigned char *buf)
{
	__u32 ioas, ioas2, pt_id;
	int rc;

	rc = ioasid_ioas_new(ioasid, &ioas);
	if (rc)
		return rc;
	rc = ioasid_ioas_map_at(ioasid, ioas, buf, 2 * PAGE, IOVA_SRC);
	if (rc)
		return rc;
	pt_id = ioas;
	rc = attach_pt(cdev, &pt_id);
	if (rc)
		return rc;
	rc = ioasid_ioas_new(ioasid, &ioas2);
	if (rc)
		return rc;
	rc = ioasid_ioas_map_at(ioasid, ioas2, buf + 2 * PAGE, PAGE, IOVA_DST);
	if (rc)
		return rc;
	pt_id = ioas2;
	rc = attach_pt(cdev, &pt_id);
	if (rc)
		return rc;
	return detach_pt(cdev);
}

/*
 * The Nth slab allocation of the scenario fails, for N = 1, 2, ... until
 * it runs through: each failure comes back as ENOMEM, and closing the two
 * files gives everything back (the pins here, leaks for the kmemleak scan
 * that ends the run).  The bind itself is left out of the sweep: it opens
 * the PCI device, whose ACPI interrupt routing does not survive failed
 * allocations in this kernel; its unwinding is the close path's.
 */
TEST_F_TIMEOUT(vfio_edu, fail_nth_attach_replace, 900)
{
	char path[64];
	unsigned int nth, injected = 0;
	int fail_nth_fd;
	long pinned;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	fail_nth_fd = open(path, O_RDWR);
	if (fail_nth_fd < 0)
		SKIP(return, "no %s (CONFIG_FAULT_INJECTION)", path);
	ASSERT_EQ(0, sysfs_write("/sys/kernel/debug/failslab/ignore-gfp-wait",
				 "N"));
	ASSERT_EQ(0, sysfs_write("/sys/kernel/debug/failslab/verbose", "0"));
	/* Each round binds files of its own. */
	close(self->cdev);
	self->cdev = -1;
	pinned = vm_pinned_kb();
	ASSERT_LE(0, pinned);

	for (nth = 1; nth < 10000; nth++) {
		int cdev, ioasid, rc;
		bool fired;

		cdev = open(self->cdev_path, O_RDWR);
		ASSERT_LE(0, cdev);
		ioasid = open("/dev/ioasid", O_RDWR);
		ASSERT_LE(0, ioasid);
		ASSERT_EQ(0, bind_ioasid(cdev, ioasid, NULL));

		ASSERT_TRUE(fail_nth_set(fail_nth_fd, nth));
		rc = vfio_scenario(cdev, ioasid, self->buf);
		fired = fail_nth_fired(fail_nth_fd);
		ASSERT_TRUE(fail_nth_set(fail_nth_fd, 0));
		if (rc && rc != ENOMEM)
			TH_LOG("nth %u: errno %d (%s)", nth, rc, strerror(rc));
		ASSERT_TRUE(!rc || rc == ENOMEM);
		ASSERT_TRUE(fired || !rc);

		ASSERT_EQ(0, close(cdev));
		ASSERT_EQ(0, close(ioasid));
		ASSERT_EQ(pinned, vm_pinned_kb());
		if (!fired)
			break;
		injected++;
	}
	sysfs_write("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y");
	close(fail_nth_fd);
	ASSERT_GT(10000, nth);
	ASSERT_LT(0, injected);
	TH_LOG("%u injected failures", injected);
}

TEST_HARNESS_MAIN
