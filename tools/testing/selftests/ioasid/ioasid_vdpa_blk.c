// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-vdpa on /dev/ioasid with vdpa_sim_blk: a small user-space
 * virtio-blk driver whose ring and buffers are mapped in an IOAS.
 *
 * A virtio-blk device has one ASID and no control virtqueue: the bind
 * hands everything to /dev/ioasid (PASID 1 paging, nothing kept).  The
 * requests are checked against a model of the disk; the simulator's disk
 * is its own memory (vdpa_sim_blk's buffer), not the IOAS.
 */
#include <poll.h>
#include <stddef.h>
#include <sys/eventfd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "../kselftest_harness.h"
#include "ioasid_vdpa.h"

#define BLK_MGMTDEV	"vdpasim_blk"
#define BLK_DEV_NAME	"ioasid-vdpa-blk0"
#define PG		4096UL
#define QSZ		16
#define SEGS		8		/* data descriptors of a request */
#define SEG_MAX		PG		/* vdpa_sim_blk's size_max */
#define DESC_OFF	0
#define AVAIL_OFF	0x400
#define USED_OFF	0x800
#define HDR_OFF		PG		/* QSZ headers, then QSZ status bytes */
#define STATUS_OFF	(HDR_OFF + 0x800)
#define DATA_OFF	(2 * PG)
#define DATA_LEN	(SEGS * SEG_MAX * 4)
#define REGION		(DATA_OFF + DATA_LEN)
#define IOVA		0x400000UL
/* The part of the disk the model covers, in sectors. */
#define DISK_SECTORS	4096
#define BLK_FEATURES	((1ULL << VIRTIO_F_VERSION_1) | \
			 (1ULL << VIRTIO_F_ACCESS_PLATFORM))

/**
 * struct vblk - The driver of one open vhost-vdpa file
 * @fd: The /dev/vhost-vdpa-N file
 * @mem: The region of the ring, headers and buffers
 * @desc: Descriptor table
 * @avail: Available ring
 * @used: Used ring
 * @avail_idx: Next available index
 * @used_idx: Next used entry to consume
 * @kick: Kick eventfd
 * @call: Call eventfd, non-blocking
 */
struct vblk {
	int fd;
	__u8 *mem;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	__u16 avail_idx;
	__u16 used_idx;
	int kick;
	int call;
};

static int vblk_status(struct vblk *b, __u8 status)
{
	return ioctl_err(b->fd, VHOST_VDPA_SET_STATUS, &status);
}

/* Set the device up with the ring at IOVA + DESC_OFF..USED_OFF. */
static void vblk_start(struct __test_metadata *_metadata, struct vblk *b)
{
	__u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	struct vhost_vring_state num = { .num = QSZ };
	struct vhost_vring_state base = { 0 };
	struct vhost_vring_state enable = { .num = 1 };
	struct vhost_vring_file kick = { .fd = b->kick };
	struct vhost_vring_file call = { .fd = b->call };
	struct vhost_vring_addr addr = {
		.desc_user_addr = IOVA + DESC_OFF,
		.avail_user_addr = IOVA + AVAIL_OFF,
		.used_user_addr = IOVA + USED_OFF,
	};
	__u64 features = 0;

	memset(b->mem, 0, DATA_OFF);
	b->avail_idx = 0;
	b->used_idx = 0;
	ASSERT_EQ(0, vblk_status(b, 0));
	ASSERT_EQ(0, vblk_status(b, status));
	ASSERT_EQ(0, ioctl_err(b->fd, VHOST_GET_FEATURES, &features));
	ASSERT_EQ(BLK_FEATURES, features & BLK_FEATURES);
	features = BLK_FEATURES;
	ASSERT_EQ(0, ioctl_err(b->fd, VHOST_SET_FEATURES, &features));
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	ASSERT_EQ(0, vblk_status(b, status));
	ASSERT_EQ(0, ioctl_err(b->fd, VHOST_SET_VRING_NUM, &num));
	ASSERT_EQ(0, ioctl_err(b->fd, VHOST_SET_VRING_BASE, &base));
	ASSERT_EQ(0, ioctl_err(b->fd, VHOST_SET_VRING_ADDR, &addr));
	ASSERT_EQ(0, ioctl_err(b->fd, VHOST_SET_VRING_KICK, &kick));
	ASSERT_EQ(0, ioctl_err(b->fd, VHOST_SET_VRING_CALL, &call));
	ASSERT_EQ(0, ioctl_err(b->fd, VHOST_VDPA_SET_VRING_ENABLE, &enable));
	status |= VIRTIO_CONFIG_S_DRIVER_OK;
	ASSERT_EQ(0, vblk_status(b, status));
}

static void vblk_open(struct __test_metadata *_metadata, struct vblk *b,
		      const char *path)
{
	/*
	 * IOTLB_PERSIST as well: vhost's own IOTLB maps survive the reset
	 * of vblk_start(), instead of the simulator going back to its
	 * default, the identity map.
	 */
	__u64 bf = (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
		   (1ULL << VHOST_BACKEND_F_IOTLB_ASID) |
		   (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST);

	b->fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, b->fd);
	ASSERT_EQ(0, ioctl_err(b->fd, VHOST_SET_OWNER, NULL));
	ASSERT_EQ(0, ioctl_err(b->fd, VHOST_SET_BACKEND_FEATURES, &bf));
	b->mem = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b->mem);
	b->desc = (void *)(b->mem + DESC_OFF);
	b->avail = (void *)(b->mem + AVAIL_OFF);
	b->used = (void *)(b->mem + USED_OFF);
	b->kick = eventfd(0, EFD_CLOEXEC);
	b->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, b->kick);
	ASSERT_LE(0, b->call);
}

static void vblk_close(struct vblk *b)
{
	close(b->fd);
	close(b->kick);
	close(b->call);
	munmap(b->mem, REGION);
}

/*
 * One request of @type on @nsec sectors from @sector, with the data at
 * @off of the region in SEG_MAX pieces.  The device's status byte, or -1
 * when the request did not complete within VDPA_WAIT_MS.
 */
static int vblk_rw(struct vblk *b, __u32 type, __u64 sector, __u32 nsec,
		   __u64 off)
{
	unsigned int slot = b->avail_idx % QSZ, head = 0, d = 0;
	struct virtio_blk_outhdr *hdr = (void *)(b->mem + HDR_OFF + slot * 16);
	__u8 *status = b->mem + STATUS_OFF + slot;
	__u64 len = (__u64)nsec * 512, done = 0;
	__u64 end = ioasid_now_ns() + VDPA_WAIT_MS * 1000000ULL;

	/* One request in flight: its descriptors start at 0. */
	hdr->type = type;
	hdr->ioprio = 0;
	hdr->sector = sector;
	*status = 0xff;
	b->desc[d] = (struct vring_desc){ .addr = IOVA + HDR_OFF + slot * 16,
					  .len = sizeof(*hdr),
					  .flags = VRING_DESC_F_NEXT,
					  .next = d + 1 };
	d++;
	while (done < len) {
		__u32 n = len - done > SEG_MAX ? SEG_MAX : len - done;

		b->desc[d] = (struct vring_desc){
			.addr = IOVA + off + done,
			.len = n,
			.flags = VRING_DESC_F_NEXT |
				 (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE :
							    0),
			.next = d + 1,
		};
		d++;
		done += n;
	}
	b->desc[d] = (struct vring_desc){ .addr = IOVA + STATUS_OFF + slot,
					  .len = 1,
					  .flags = VRING_DESC_F_WRITE };
	b->avail->ring[b->avail_idx % QSZ] = head;
	b->avail_idx++;
	__atomic_store_n(&b->avail->idx, b->avail_idx, __ATOMIC_RELEASE);
	eventfd_write(b->kick, 1);
	while (__atomic_load_n(&b->used->idx, __ATOMIC_ACQUIRE) == b->used_idx) {
		struct pollfd pfd = { .fd = b->call, .events = POLLIN };
		eventfd_t v;
		__u64 now = ioasid_now_ns();

		if (now >= end)
			return -1;
		poll(&pfd, 1, 10);
		eventfd_read(b->call, &v);
	}
	b->used_idx++;
	return *status;
}

static void *region_fill(__u8 *p, size_t len, __u64 *rng)
{
	for (size_t i = 0; i < len; i++)
		p[i] = ioasid_rng_next(rng);
	return p;
}

static __u64 test_seed(struct __test_metadata *_metadata)
{
	__u64 seed = ioasid_env_seed("IOASID_VDPA_BLK_SEED");

	TH_LOG("seed 0x%llx (IOASID_VDPA_BLK_SEED)", (unsigned long long)seed);
	return seed;
}

FIXTURE(vdpa_blk) {
	int family;
	char path[sizeof("/dev/") + NAME_MAX];
};

FIXTURE_SETUP(vdpa_blk)
{
	int rc, fd, ioasid;

	rc = vdpa_test_dev_create_on(BLK_MGMTDEV, BLK_DEV_NAME, NULL,
				     &self->family, self->path,
				     sizeof(self->path));
	if (rc == -ENOENT)
		SKIP(return, "no vdpa netlink family or no vhost-vdpa char device");
	if (rc == -ENODEV)
		SKIP(return, "no %s vdpa management device (CONFIG_VDPA_SIM_BLK)",
		     BLK_MGMTDEV);
	ASSERT_EQ(0, rc) TH_LOG("VDPA_CMD_DEV_NEW: %s", strerror(-rc));
	fd = vdpa_test_open(self->path);
	ASSERT_LE(0, fd);
	ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ioasid);
	rc = vdpa_bind(fd, ioasid, NULL);
	close(fd);
	close(ioasid);
	if (vhost_ioasid_missing(rc))
		SKIP(return, "the kernel lacks VHOST_VDPA_BIND_IOASID");
	ASSERT_EQ(0, rc);
}

/* In the parent: the device goes even when the test was killed. */
FIXTURE_TEARDOWN_PARENT(vdpa_blk)
{
	EXPECT_EQ(0, vdpa_dev_del(self->family, BLK_DEV_NAME));
}

/* One ASID, no control virtqueue: everything is handed over. */
TEST_F(vdpa_blk, policy)
{
	struct ioasid_device_get_pasid_info info;
	int fd = vdpa_test_open(self->path);
	int ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	__u32 dev_id, ioas;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, ioasid);
	ASSERT_EQ(0, vdpa_bind(fd, ioasid, &dev_id));
	ASSERT_EQ(0, ioasid_pasid_info(ioasid, dev_id, 1, &info));
	ASSERT_NE(0, info.out_flags & IOASID_PASID_INFO_DECLARED);
	ASSERT_EQ(IOASID_PASID_CFG_PAGING, info.out_allowed);
	ASSERT_EQ(0, info.out_flags & IOASID_PASID_INFO_ATTACHED);
	ASSERT_EQ(0, ioasid_ioas_new(ioasid, &ioas));
	ASSERT_EQ(0, vdpa_attach(fd, 0, ioas));
	ASSERT_EQ(0, ioasid_pasid_info(ioasid, dev_id, 1, &info));
	ASSERT_NE(0, info.out_flags & IOASID_PASID_INFO_ATTACHED);
	ASSERT_EQ(IOASID_PT_IOAS, info.out_pt_kind);
	ASSERT_EQ(ioas, info.out_pt_id);
	ASSERT_EQ(EINVAL, vdpa_attach(fd, 1, ioas));
	ASSERT_EQ(EINVAL, vdpa_detach(fd, 1));
	/* Nothing is kept: SET_MEM_TABLE is refused, ASID 0 is handed. */
	ASSERT_EQ(EFAULT, vdpa_iotlb_msg(fd, 0, VHOST_IOTLB_UPDATE, IOVA, PG,
					 &info));
	ASSERT_EQ(0, vdpa_unbind(fd));
	ASSERT_EQ(0, ioasid_obj_destroy(ioasid, ioas));
	close(fd);
	close(ioasid);
}

/* Write, then read back into other buffers, through the IOAS or the IOTLB. */
static void io(struct __test_metadata *_metadata, const char *path,
	       bool ioasid_be)
{
	__u64 rng = ioasid_rng_seed(test_seed(_metadata), 2);
	int ioasid = -1;
	struct vblk b;
	__u32 ioas;

	vblk_open(_metadata, &b, path);
	if (ioasid_be) {
		ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, ioasid);
		ASSERT_EQ(0, vdpa_bind(b.fd, ioasid, NULL));
		ASSERT_EQ(0, ioasid_ioas_new(ioasid, &ioas));
		ASSERT_EQ(0, ioasid_ioas_map_at(ioasid, ioas, b.mem, REGION,
						IOVA));
		ASSERT_EQ(0, vdpa_attach(b.fd, 0, ioas));
	} else {
		ASSERT_EQ(0, vdpa_iotlb_msg(b.fd, 0, VHOST_IOTLB_UPDATE, IOVA,
					    REGION, b.mem));
	}
	vblk_start(_metadata, &b);
	for (int i = 0; i < 16; i++) {
		__u32 nsec = 1 + ioasid_rng_below(&rng, SEGS * SEG_MAX / 512);
		__u64 sector = ioasid_rng_below(&rng, DISK_SECTORS - nsec);
		__u8 *w = b.mem + DATA_OFF, *r = w + SEGS * SEG_MAX;

		region_fill(w, nsec * 512, &rng);
		memset(r, 0, nsec * 512);
		ASSERT_EQ(VIRTIO_BLK_S_OK,
			  vblk_rw(&b, VIRTIO_BLK_T_OUT, sector, nsec, DATA_OFF));
		ASSERT_EQ(VIRTIO_BLK_S_OK,
			  vblk_rw(&b, VIRTIO_BLK_T_IN, sector, nsec,
				  DATA_OFF + SEGS * SEG_MAX));
		ASSERT_EQ(0, memcmp(w, r, nsec * 512));
	}
	/* Beyond the disk: an I/O error, reported in the status. */
	ASSERT_EQ(VIRTIO_BLK_S_IOERR,
		  vblk_rw(&b, VIRTIO_BLK_T_IN, 0x40000, 1, DATA_OFF));
	vblk_close(&b);
	if (ioasid >= 0)
		close(ioasid);
}

TEST_F(vdpa_blk, io_iotlb)
{
	io(_metadata, self->path, false);
}

TEST_F(vdpa_blk, io_ioasid)
{
	io(_metadata, self->path, true);
}

/*
 * At scale, against a model of the disk: requests of random sizes at
 * random sectors, from buffers at random places of an IOAS made of
 * mappings of random sizes; now and then the ASID moves to a second IOAS
 * that maps the same memory with other mappings.  Bounded by time.
 */
TEST_F(vdpa_blk, model)
{
	__u64 rng = ioasid_rng_seed(test_seed(_metadata), 3);
	__u64 end = ioasid_now_ns() + 8000000000ULL;
	__u8 *disk = calloc(DISK_SECTORS, 512);
	unsigned long reqs = 0, replaces = 0;
	int ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	__u32 ioas[2];
	struct vblk b;
	int cur = 0;

	ASSERT_NE(NULL, disk);
	ASSERT_LE(0, ioasid);
	vblk_open(_metadata, &b, self->path);
	ASSERT_EQ(0, vdpa_bind(b.fd, ioasid, NULL));
	for (int k = 0; k < 2; k++) {
		__u64 off = 0;

		ASSERT_EQ(0, ioasid_ioas_new(ioasid, &ioas[k]));
		while (off < REGION) {
			__u64 len = PG * (1 + ioasid_rng_below(&rng, 8));

			if (len > REGION - off)
				len = REGION - off;
			ASSERT_EQ(0, ioasid_ioas_map_at(ioasid, ioas[k],
							b.mem + off, len,
							IOVA + off));
			off += len;
		}
	}
	ASSERT_EQ(0, vdpa_attach(b.fd, 0, ioas[cur]));
	vblk_start(_metadata, &b);
	/* The model starts from what the disk holds now. */
	for (int s = 0; s < DISK_SECTORS; s += SEGS * SEG_MAX / 512) {
		ASSERT_EQ(VIRTIO_BLK_S_OK,
			  vblk_rw(&b, VIRTIO_BLK_T_IN, s, SEGS * SEG_MAX / 512,
				  DATA_OFF));
		memcpy(disk + s * 512, b.mem + DATA_OFF, SEGS * SEG_MAX);
	}
	while (ioasid_now_ns() < end && reqs < 5000) {
		__u32 nsec = 1 + ioasid_rng_below(&rng, SEGS * SEG_MAX / 512);
		__u64 sector = ioasid_rng_below(&rng, DISK_SECTORS - nsec + 1);
		__u64 off = DATA_OFF + 512 * ioasid_rng_below(&rng,
					(DATA_LEN - nsec * 512) / 512 + 1);
		bool write = ioasid_rng_below(&rng, 2);

		if (!ioasid_rng_below(&rng, 50)) {
			cur = !cur;
			ASSERT_EQ(0, vdpa_attach(b.fd, 0, ioas[cur]));
			replaces++;
		}
		if (write) {
			region_fill(b.mem + off, nsec * 512, &rng);
			ASSERT_EQ(VIRTIO_BLK_S_OK,
				  vblk_rw(&b, VIRTIO_BLK_T_OUT, sector, nsec,
					  off));
			memcpy(disk + sector * 512, b.mem + off, nsec * 512);
		} else {
			memset(b.mem + off, 0, nsec * 512);
			ASSERT_EQ(VIRTIO_BLK_S_OK,
				  vblk_rw(&b, VIRTIO_BLK_T_IN, sector, nsec,
					  off));
			ASSERT_EQ(0, memcmp(disk + sector * 512, b.mem + off,
					    nsec * 512))
				TH_LOG("request %lu: %u sectors from %llu",
				       reqs, nsec, (unsigned long long)sector);
		}
		reqs++;
	}
	TH_LOG("%lu requests, %lu replaces", reqs, replaces);
	ASSERT_LT(100, reqs);
	vblk_close(&b);
	for (int k = 0; k < 2; k++)
		ASSERT_EQ(0, ioasid_obj_destroy(ioasid, ioas[k]));
	close(ioasid);
	free(disk);
}

/*
 * A request whose buffer the IOAS no longer maps: the device lost the
 * translation first, so the request fails (no completion, or an error)
 * without touching the memory; unbind and close work after it.
 */
TEST_F(vdpa_blk, unmap_in_use)
{
	int ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	long pinned = vm_pinned_kb();
	__u64 unmapped = 0;
	struct vblk b;
	__u32 ioas;
	int st;

	ASSERT_LE(0, ioasid);
	vblk_open(_metadata, &b, self->path);
	ASSERT_EQ(0, vdpa_bind(b.fd, ioasid, NULL));
	ASSERT_EQ(0, ioasid_ioas_new(ioasid, &ioas));
	ASSERT_EQ(0, ioasid_ioas_map_at(ioasid, ioas, b.mem, DATA_OFF, IOVA));
	ASSERT_EQ(0, ioasid_ioas_map_at(ioasid, ioas, b.mem + DATA_OFF,
					DATA_LEN, IOVA + DATA_OFF));
	ASSERT_EQ(0, vdpa_attach(b.fd, 0, ioas));
	vblk_start(_metadata, &b);
	ASSERT_EQ(VIRTIO_BLK_S_OK, vblk_rw(&b, VIRTIO_BLK_T_IN, 0, 8,
					   DATA_OFF));
	ASSERT_EQ(0, ioasid_ioas_unmap_range(ioasid, ioas, IOVA + DATA_OFF,
					     DATA_LEN, &unmapped));
	ASSERT_EQ(DATA_LEN, unmapped);
	memset(b.mem + DATA_OFF, 0x5a, PG);
	st = vblk_rw(&b, VIRTIO_BLK_T_IN, 0, 8, DATA_OFF);
	TH_LOG("a read into an unmapped buffer: %s",
	       st < 0 ? "no completion" : st == VIRTIO_BLK_S_OK ? "OK" :
	       "an error status");
	ASSERT_NE(VIRTIO_BLK_S_OK, st);
	/* The device wrote nothing into the memory it lost. */
	for (unsigned long i = 0; i < PG; i++)
		ASSERT_EQ(0x5a, b.mem[DATA_OFF + i]);
	ASSERT_EQ(0, vdpa_unbind(b.fd));
	vblk_close(&b);
	ASSERT_EQ(0, ioasid_obj_destroy(ioasid, ioas));
	close(ioasid);
	ASSERT_EQ(pinned, vm_pinned_kb());
}

TEST_HARNESS_MAIN
