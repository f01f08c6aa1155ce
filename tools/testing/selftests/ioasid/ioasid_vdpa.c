// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-vdpa on /dev/ioasid: a small user-space virtio-net driver over
 * /dev/vhost-vdpa-N of a vdpa_sim_net device, which the fixture creates
 * with the "vdpa" generic netlink family (there is no iproute2 in the
 * guest).  The simulator loops every packet sent on TX back to RX when its
 * destination is the device's MAC, and drops the others; its control
 * virtqueue sets that MAC (VIRTIO_NET_CTRL_MAC_ADDR_SET).  The data
 * virtqueues (group 0) use ASID 0 and the control virtqueue (group 1) uses
 * ASID 1, which this driver always maps with vhost's own IOTLB messages.
 *
 * ASID 0 is mapped by one of two backends: "iotlb", vhost's IOTLB messages
 * as a VMM does today, or "ioasid", an IOAS of /dev/ioasid that ASID 0 is
 * attached to (include/uapi/linux/vhost_ioasid.h).  The ioasid cases skip
 * when the kernel lacks those ioctls.
 *
 * Memory: a data region (the RX and TX rings, RX buffers, TX buffers, three
 * mappings) at IOVA_DATA in ASID 0 and a control region (the control ring
 * and its command buffer) at IOVA_CTRL in ASID 1, both shared memfd pages:
 * with vdpa_sim.use_va=1 (its default) the simulator works on user virtual
 * addresses, which vhost-vdpa maps only for shared file-backed memory; with
 * use_va=0 (the guest's, for /dev/ioasid) vhost-vdpa pins what it maps, so
 * the pinned-memory checks count from after the cvq's mapping.  IOVA_CTRL
 * is not mapped in ASID 0 nor IOVA_DATA in ASID 1, so a virtqueue in the
 * wrong address space fails.
 *
 * Packets: a virtio_net_hdr_v1, then an Ethernet frame to a destination
 * MAC with a sequence number and seeded random bytes (IOASID_VDPA_SEED
 * replays a run).  Every wait is bounded by WAIT_MS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/if_ether.h>
#include <linux/ioasid.h>
#include <linux/netlink.h>
#include <linux/vdpa.h>
#include <linux/vhost.h>
#include <linux/vhost_ioasid.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../kselftest_harness.h"
#include "ioasid_util.h"
#include "ioasid_vdpa.h"

#define PAGE		0x1000UL
/* Bound of every wait for the device, in milliseconds. */
#define WAIT_MS		5000
/* How long a packet that must not arrive is waited for. */
#define NO_RX_MS	1000

#define VDPA_DEV_NAME	"vdpa-ioasid0"

/* The simulator's virtqueues, and the ASID this driver gives the cvq. */
#define RXQ		0
#define TXQ		1
#define CVQ		2
#define NVQS		3
#define CVQ_ASID	1

/* Entries of each virtqueue and bytes of each packet buffer. */
#define QSZ		64
#define BUF_SZ		2048
#define HDR_LEN		sizeof(struct virtio_net_hdr_v1)

/* Offsets in a ring page: descriptors, then the avail and used rings. */
#define DESC_OFF	0
#define AVAIL_OFF	1024
#define USED_OFF	2048

/* Data region: ring pages (RXQ, TXQ), RX buffers, TX buffers. */
#define RINGS_OFF	0UL
#define RINGS_SIZE	0x10000UL
#define RX_OFF		(RINGS_OFF + RINGS_SIZE)
#define RX_SIZE		((unsigned long)QSZ * BUF_SZ)
#define TX_OFF		(RX_OFF + RX_SIZE)
#define TX_SIZE		((unsigned long)QSZ * BUF_SZ)
#define DATA_SIZE	(TX_OFF + TX_SIZE)
#define DATA_KB		(DATA_SIZE / 1024)
#define RX_KB		(RX_SIZE / 1024)
/* Control region: the cvq's ring page, then its command and ack. */
#define CTRL_RING_OFF	0UL
#define CTRL_CMD_OFF	PAGE
#define CTRL_ACK_OFF	(PAGE + 64)
#define CTRL_SIZE	(2 * PAGE)

#define IOVA_DATA	0x1000000ULL
#define IOVA_CTRL	0x40000000ULL

#define NET_FEATURES	((1ULL << VIRTIO_F_VERSION_1) | \
			 (1ULL << VIRTIO_F_ACCESS_PLATFORM) | \
			 (1ULL << VIRTIO_NET_F_MAC) | \
			 (1ULL << VIRTIO_NET_F_CTRL_VQ) | \
			 (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR))
#define NEED_BACKEND	((1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) | \
			 (1ULL << VHOST_BACKEND_F_IOTLB_ASID) | \
			 (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST))

/*
 * No zero byte in the MACs: the simulator's receive filter compares them
 * with strncmp().  The device's first MAC and the one the cvq sets differ
 * in their fourth byte.
 */
static const unsigned char mac_dev[ETH_ALEN] = { 0x02, 0x5a, 0xa5, 0x11, 0x22, 0x33 };
static const unsigned char mac_new[ETH_ALEN] = { 0x02, 0x5a, 0xa5, 0x44, 0x55, 0x66 };
static const unsigned char mac_src[ETH_ALEN] = { 0x02, 0x5a, 0xa5, 0x77, 0x88, 0x99 };

/* ---- /dev/ioasid and the vhost-vdpa ioasid ioctls -------------------- */

/* ---- The driver ------------------------------------------------------- */

/**
 * struct vnet_vq - A split virtqueue of the driver
 * @ring: The ring page
 * @iova: IOVA of the ring page
 * @desc: Descriptor table
 * @avail: Available ring
 * @used: Used ring
 * @avail_idx: Next index of the available ring, not yet published
 * @used_idx: Next used entry to consume
 * @kick: Kick eventfd
 * @call: Call eventfd, non-blocking
 * @calls: Count of the calls read from @call
 */
struct vnet_vq {
	unsigned char *ring;
	__u64 iova;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	__u16 avail_idx;
	__u16 used_idx;
	int kick;
	int call;
	__u64 calls;
};

struct vnet;

/**
 * struct vnet_backend - How ASID 0, the data virtqueues', is mapped
 * @name: Its name, for the logs
 * @map: Map @len bytes at @va to @iova: 0 or an errno
 * @unmap: Unmap what @map mapped at @iova: 0 or an errno
 */
struct vnet_backend {
	const char *name;
	int (*map)(struct vnet *n, __u64 iova, void *va, __u64 len);
	int (*unmap)(struct vnet *n, __u64 iova, __u64 len);
};

/**
 * struct vnet - The driver of one open vhost-vdpa file
 * @fd: The /dev/vhost-vdpa-N file
 * @be: The backend of ASID 0
 * @ioasid: The /dev/ioasid file (ioasid backend), or -1
 * @ioas: The IOAS ASID 0 is attached to (ioasid backend)
 * @dev_id: The device's id in @ioasid's context, once bound
 * @data_fd: memfd of the data region
 * @ctrl_fd: memfd of the control region
 * @data: The data region (ASID 0)
 * @ctrl: The control region (ASID 1)
 * @nas: Address spaces of the device
 * @group: Virtqueue group of each virtqueue
 * @mac: The device's MAC, from its config space
 * @vq: The virtqueues
 */
struct vnet {
	int fd;
	const struct vnet_backend *be;
	int ioasid;
	__u32 ioas;
	__u32 dev_id;
	int data_fd;
	int ctrl_fd;
	unsigned char *data;
	unsigned char *ctrl;
	__u32 nas;
	__u32 group[NVQS];
	unsigned char mac[ETH_ALEN];
	struct vnet_vq vq[NVQS];
};

static int iotlb_be_map(struct vnet *n, __u64 iova, void *va, __u64 len)
{
	return vdpa_iotlb_msg(n->fd, 0, VHOST_IOTLB_UPDATE, iova, len, va);
}

static int iotlb_be_unmap(struct vnet *n, __u64 iova, __u64 len)
{
	return vdpa_iotlb_msg(n->fd, 0, VHOST_IOTLB_INVALIDATE, iova, len, NULL);
}

static int ioasid_be_map(struct vnet *n, __u64 iova, void *va, __u64 len)
{
	return ioasid_ioas_map_at(n->ioasid, n->ioas, va, len, iova);
}

static int ioasid_be_unmap(struct vnet *n, __u64 iova, __u64 len)
{
	return ioasid_ioas_unmap_range(n->ioasid, n->ioas, iova, len, NULL);
}

static const struct vnet_backend iotlb_backend = {
	.name = "iotlb",
	.map = iotlb_be_map,
	.unmap = iotlb_be_unmap,
};

static const struct vnet_backend ioasid_backend = {
	.name = "ioasid",
	.map = ioasid_be_map,
	.unmap = ioasid_be_unmap,
};

static unsigned char *rx_buf(struct vnet *n, unsigned int id)
{
	return n->data + RX_OFF + (size_t)id * BUF_SZ;
}

static unsigned char *tx_buf(struct vnet *n, unsigned int id)
{
	return n->data + TX_OFF + (size_t)id * BUF_SZ;
}

/* A shared memfd mapping of @len bytes: the mapping or MAP_FAILED. */
static void *shared_mem(int *fd, size_t len)
{
	void *p;

	*fd = memfd_create("ioasid_vdpa", MFD_CLOEXEC);
	if (*fd < 0)
		return MAP_FAILED;
	if (ftruncate(*fd, len))
		return MAP_FAILED;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p != MAP_FAILED)
		memset(p, 0, len);
	return p;
}

static int vnet_status(struct vnet *n, __u8 status)
{
	return ioctl_err(n->fd, VHOST_VDPA_SET_STATUS, &status);
}

static __u8 vnet_get_status(struct vnet *n)
{
	__u8 status = 0xff;

	ioctl(n->fd, VHOST_VDPA_GET_STATUS, &status);
	return status;
}

/* The MAC in the device's config space: 0 or an errno. */
static int vnet_get_mac(struct vnet *n, unsigned char *mac)
{
	struct {
		struct vhost_vdpa_config hdr;
		unsigned char buf[ETH_ALEN];
	} cfg = {
		.hdr = {
			.off = offsetof(struct virtio_net_config, mac),
			.len = ETH_ALEN,
		},
	};
	int rc = ioctl_err(n->fd, VHOST_VDPA_GET_CONFIG, &cfg);

	if (!rc)
		memcpy(mac, cfg.buf, ETH_ALEN);
	return rc;
}

/* Close what vnet_open() and the test opened; safe to call twice. */
static void vnet_close(struct vnet *n)
{
	int q;

	if (n->fd >= 0)
		close(n->fd);
	if (n->ioasid >= 0)
		close(n->ioasid);
	n->fd = -1;
	n->ioasid = -1;
	for (q = 0; q < NVQS; q++) {
		if (n->vq[q].kick >= 0)
			close(n->vq[q].kick);
		if (n->vq[q].call >= 0)
			close(n->vq[q].call);
		n->vq[q].kick = -1;
		n->vq[q].call = -1;
	}
	if (n->data && n->data != MAP_FAILED)
		munmap(n->data, DATA_SIZE);
	if (n->ctrl && n->ctrl != MAP_FAILED)
		munmap(n->ctrl, CTRL_SIZE);
	n->data = NULL;
	n->ctrl = NULL;
	if (n->data_fd >= 0)
		close(n->data_fd);
	if (n->ctrl_fd >= 0)
		close(n->ctrl_fd);
	n->data_fd = -1;
	n->ctrl_fd = -1;
}

/*
 * Open @path as a VMM does: the memory and eventfds, VHOST_SET_OWNER, the
 * backend features (IOTLB_MSG_V2, IOTLB_ASID, IOTLB_PERSIST so that a
 * reset keeps the cvq's mappings, IOTLB_BATCH when offered), and the
 * virtqueue groups: the data virtqueues share one, the cvq has its own.
 */
static void vnet_open(struct __test_metadata *_metadata, struct vnet *n,
		      const char *path, const struct vnet_backend *be)
{
	__u64 bf = 0;
	int q;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	n->ioasid = -1;
	n->data_fd = -1;
	n->ctrl_fd = -1;
	for (q = 0; q < NVQS; q++) {
		n->vq[q].kick = -1;
		n->vq[q].call = -1;
	}
	n->be = be;
	n->data = shared_mem(&n->data_fd, DATA_SIZE);
	ASSERT_NE(MAP_FAILED, n->data);
	n->ctrl = shared_mem(&n->ctrl_fd, CTRL_SIZE);
	ASSERT_NE(MAP_FAILED, n->ctrl);
	for (q = 0; q < NVQS; q++) {
		n->vq[q].kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		n->vq[q].call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, n->vq[q].kick);
		ASSERT_LE(0, n->vq[q].call);
	}
	n->fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, n->fd) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(0, ioctl_err(n->fd, VHOST_SET_OWNER, NULL));
	ASSERT_EQ(0, ioctl_err(n->fd, VHOST_GET_BACKEND_FEATURES, &bf));
	ASSERT_EQ(NEED_BACKEND, bf & NEED_BACKEND)
		TH_LOG("backend features 0x%llx", (unsigned long long)bf);
	bf &= NEED_BACKEND | (1ULL << VHOST_BACKEND_F_IOTLB_BATCH);
	ASSERT_EQ(0, ioctl_err(n->fd, VHOST_SET_BACKEND_FEATURES, &bf));
	ASSERT_EQ(0, ioctl_err(n->fd, VHOST_VDPA_GET_AS_NUM, &n->nas));
	ASSERT_LE(2, n->nas);
	for (q = 0; q < NVQS; q++) {
		struct vhost_vring_state s = { .index = q };

		ASSERT_EQ(0, ioctl_err(n->fd, VHOST_VDPA_GET_VRING_GROUP, &s));
		ASSERT_EQ(q, s.index);
		n->group[q] = s.num;
	}
	ASSERT_EQ(n->group[RXQ], n->group[TXQ]);
	ASSERT_NE(n->group[RXQ], n->group[CVQ]);
}

/* Map the control region in ASID 1 with vhost's IOTLB: 0 or the errno. */
static int vnet_map_ctrl(struct vnet *n)
{
	return vdpa_iotlb_msg(n->fd, CVQ_ASID, VHOST_IOTLB_UPDATE, IOVA_CTRL,
			 CTRL_SIZE, n->ctrl);
}

/* Map the data region in ASID 0, as three mappings: 0 or the errno. */
static int vnet_map_data(struct vnet *n)
{
	int rc;

	rc = n->be->map(n, IOVA_DATA + RINGS_OFF, n->data + RINGS_OFF,
			RINGS_SIZE);
	if (!rc)
		rc = n->be->map(n, IOVA_DATA + RX_OFF, n->data + RX_OFF,
				RX_SIZE);
	if (!rc)
		rc = n->be->map(n, IOVA_DATA + TX_OFF, n->data + TX_OFF,
				TX_SIZE);
	return rc;
}

/* Make RX buffer @id available, filled with a poison first (unpublished). */
static void vnet_rx_post(struct vnet *n, __u16 id)
{
	struct vnet_vq *vq = &n->vq[RXQ];

	memset(rx_buf(n, id), 0x5a, BUF_SZ);
	vq->desc[id] = (struct vring_desc) {
		.addr = IOVA_DATA + RX_OFF + (__u64)id * BUF_SZ,
		.len = BUF_SZ,
		.flags = VRING_DESC_F_WRITE,
	};
	vq->avail->ring[vq->avail_idx % QSZ] = id;
	vq->avail_idx++;
}

/* Publish the available entries of @q and kick the device. */
static void vnet_kick(struct vnet *n, int q)
{
	struct vnet_vq *vq = &n->vq[q];

	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	eventfd_write(vq->kick, 1);
}

/*
 * Reset the device and set it up: status ACKNOWLEDGE and DRIVER, the
 * features, FEATURES_OK, the cvq's group in ASID 1 (a reset puts every
 * group back in ASID 0), the three virtqueues in their memory, DRIVER_OK,
 * the MAC from the config space, and every RX buffer posted.
 */
static void vnet_start(struct __test_metadata *_metadata, struct vnet *n)
{
	__u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	struct vhost_vring_state cvq_asid = {
		.index = n->group[CVQ],
		.num = CVQ_ASID,
	};
	__u64 features = 0;
	__u16 max = 0;
	int q;

	ASSERT_EQ(0, vnet_status(n, 0));
	ASSERT_EQ(0, vnet_status(n, status));
	status |= VIRTIO_CONFIG_S_DRIVER;
	ASSERT_EQ(0, vnet_status(n, status));
	ASSERT_EQ(0, ioctl_err(n->fd, VHOST_GET_FEATURES, &features));
	ASSERT_EQ(NET_FEATURES, features & NET_FEATURES)
		TH_LOG("device features 0x%llx", (unsigned long long)features);
	features = NET_FEATURES;
	ASSERT_EQ(0, ioctl_err(n->fd, VHOST_SET_FEATURES, &features));
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	ASSERT_EQ(0, vnet_status(n, status));
	ASSERT_EQ(status, vnet_get_status(n));
	ASSERT_EQ(0, ioctl_err(n->fd, VHOST_VDPA_GET_VRING_NUM, &max));
	ASSERT_LE(QSZ, max);
	ASSERT_EQ(0, ioctl_err(n->fd, VHOST_VDPA_SET_GROUP_ASID, &cvq_asid));

	for (q = 0; q < NVQS; q++) {
		struct vnet_vq *vq = &n->vq[q];
		struct vhost_vring_state num = { .index = q, .num = QSZ };
		struct vhost_vring_state base = { .index = q };
		struct vhost_vring_state enable = { .index = q, .num = 1 };
		struct vhost_vring_file kick = { .index = q, .fd = vq->kick };
		struct vhost_vring_file call = { .index = q, .fd = vq->call };
		struct vhost_vring_addr addr = { .index = q };
		eventfd_t v;

		if (q == CVQ) {
			vq->ring = n->ctrl + CTRL_RING_OFF;
			vq->iova = IOVA_CTRL + CTRL_RING_OFF;
		} else {
			vq->ring = n->data + RINGS_OFF + q * PAGE;
			vq->iova = IOVA_DATA + RINGS_OFF + q * PAGE;
		}
		memset(vq->ring, 0, PAGE);
		vq->desc = (void *)(vq->ring + DESC_OFF);
		vq->avail = (void *)(vq->ring + AVAIL_OFF);
		vq->used = (void *)(vq->ring + USED_OFF);
		vq->avail_idx = 0;
		vq->used_idx = 0;
		vq->calls = 0;
		eventfd_read(vq->call, &v);
		addr.desc_user_addr = vq->iova + DESC_OFF;
		addr.avail_user_addr = vq->iova + AVAIL_OFF;
		addr.used_user_addr = vq->iova + USED_OFF;

		ASSERT_EQ(0, ioctl_err(n->fd, VHOST_SET_VRING_NUM, &num));
		ASSERT_EQ(0, ioctl_err(n->fd, VHOST_SET_VRING_BASE, &base));
		ASSERT_EQ(0, ioctl_err(n->fd, VHOST_SET_VRING_ADDR, &addr));
		ASSERT_EQ(0, ioctl_err(n->fd, VHOST_SET_VRING_KICK, &kick));
		ASSERT_EQ(0, ioctl_err(n->fd, VHOST_SET_VRING_CALL, &call));
		ASSERT_EQ(0, ioctl_err(n->fd, VHOST_VDPA_SET_VRING_ENABLE,
				       &enable));
	}
	status |= VIRTIO_CONFIG_S_DRIVER_OK;
	ASSERT_EQ(0, vnet_status(n, status));
	ASSERT_EQ(status, vnet_get_status(n));
	ASSERT_EQ(0, vnet_get_mac(n, n->mac));

	for (q = 0; q < QSZ; q++)
		vnet_rx_post(n, q);
	vnet_kick(n, RXQ);
}

static __u16 vnet_used_idx(struct vnet_vq *vq)
{
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
}

/* Used entries of @vq not consumed yet. */
static __u16 vnet_used_pending(struct vnet_vq *vq)
{
	return (__u16)(vnet_used_idx(vq) - vq->used_idx);
}

/*
 * Wait on the call eventfd of @q until @want used entries are pending,
 * for at most @ms: whether they are.
 */
static bool vnet_wait_used(struct vnet *n, int q, unsigned int want, int ms)
{
	struct vnet_vq *vq = &n->vq[q];
	__u64 end = ioasid_now_ns() + ms * 1000000ULL;

	for (;;) {
		struct pollfd pfd = { .fd = vq->call, .events = POLLIN };
		eventfd_t v;
		__u64 now;

		if (!eventfd_read(vq->call, &v))
			vq->calls += v;
		if (vnet_used_pending(vq) >= want)
			return true;
		now = ioasid_now_ns();
		if (now >= end)
			return false;
		poll(&pfd, 1, (end - now + 999999) / 1000000);
	}
}

static struct vring_used_elem vnet_used_pop(struct vnet *n, int q)
{
	struct vnet_vq *vq = &n->vq[q];
	struct vring_used_elem e = vq->used->ring[vq->used_idx % QSZ];

	vq->used_idx++;
	return e;
}

/**
 * struct pkt - A packet as sent: a virtio_net_hdr_v1 and a frame
 * @len: Bytes of @data
 * @data: The header and the frame
 */
struct pkt {
	unsigned int len;
	unsigned char data[BUF_SZ];
};

/* Sent packets, by sequence number. */
static struct pkt pkts[QSZ];

/* Packet @seq to @dst, of a random frame size from 60 to 1514 bytes. */
static void pkt_make(struct pkt *p, __u64 *rng, const unsigned char *dst,
		     __u32 seq)
{
	unsigned int frame = ETH_ZLEN +
		ioasid_rng_below(rng, ETH_FRAME_LEN - ETH_ZLEN + 1);
	unsigned char *eth = p->data + HDR_LEN;
	unsigned int i;

	memset(p->data, 0, HDR_LEN);
	memcpy(eth, dst, ETH_ALEN);
	memcpy(eth + ETH_ALEN, mac_src, ETH_ALEN);
	eth[12] = 0x88;		/* ETH_P_802_EX1, local experimental */
	eth[13] = 0xb5;
	memcpy(eth + ETH_HLEN, &seq, sizeof(seq));
	for (i = ETH_HLEN + sizeof(seq); i < frame; i++)
		eth[i] = ioasid_rng_next(rng) >> 56;
	p->len = HDR_LEN + frame;
}

/* Put pkts[0..@count) on TX, one descriptor each, and kick. */
static void vnet_tx(struct __test_metadata *_metadata, struct vnet *n,
		    unsigned int count)
{
	struct vnet_vq *vq = &n->vq[TXQ];
	unsigned int i;

	ASSERT_GE(QSZ, count);
	ASSERT_EQ(0, (__u16)(vq->avail_idx - vq->used_idx))
		TH_LOG("TX descriptors still in use");
	for (i = 0; i < count; i++) {
		memcpy(tx_buf(n, i), pkts[i].data, pkts[i].len);
		vq->desc[i] = (struct vring_desc) {
			.addr = IOVA_DATA + TX_OFF + (__u64)i * BUF_SZ,
			.len = pkts[i].len,
		};
		vq->avail->ring[vq->avail_idx % QSZ] = i;
		vq->avail_idx++;
	}
	vnet_kick(n, TXQ);
}

/* Wait for the @count TX descriptors of vnet_tx() to come back. */
static void vnet_tx_done(struct __test_metadata *_metadata, struct vnet *n,
			 unsigned int count)
{
	bool seen[QSZ] = {};
	unsigned int i;

	ASSERT_TRUE(vnet_wait_used(n, TXQ, count, WAIT_MS))
		TH_LOG("%u of %u TX descriptors used in %d ms",
		       vnet_used_pending(&n->vq[TXQ]), count, WAIT_MS);
	for (i = 0; i < count; i++) {
		struct vring_used_elem e = vnet_used_pop(n, TXQ);

		ASSERT_GT(count, e.id);
		ASSERT_FALSE(seen[e.id]);
		seen[e.id] = true;
	}
	ASSERT_EQ(0, vnet_used_pending(&n->vq[TXQ]));
	ASSERT_LT(0, n->vq[TXQ].calls);
}

/*
 * Receive exactly the packets of sequence numbers @first to
 * @first + @count - 1, in any order, each byte for byte, and post their
 * buffers again.
 */
static void vnet_rx_check(struct __test_metadata *_metadata, struct vnet *n,
			  unsigned int first, unsigned int count)
{
	bool seen[QSZ] = {};
	unsigned int i;

	ASSERT_TRUE(vnet_wait_used(n, RXQ, count, WAIT_MS))
		TH_LOG("%u of %u packets received in %d ms",
		       vnet_used_pending(&n->vq[RXQ]), count, WAIT_MS);
	for (i = 0; i < count; i++) {
		struct vring_used_elem e = vnet_used_pop(n, RXQ);
		unsigned char *buf;
		__u32 seq;

		ASSERT_GT(QSZ, e.id);
		buf = rx_buf(n, e.id);
		memcpy(&seq, buf + HDR_LEN + ETH_HLEN, sizeof(seq));
		ASSERT_LE(first, seq) TH_LOG("unexpected packet %u", seq);
		ASSERT_GT(first + count, seq) TH_LOG("unexpected packet %u", seq);
		ASSERT_FALSE(seen[seq - first]) TH_LOG("packet %u twice", seq);
		seen[seq - first] = true;
		ASSERT_EQ(pkts[seq].len, e.len);
		ASSERT_EQ(0, memcmp(buf, pkts[seq].data, e.len))
			TH_LOG("packet %u differs", seq);
		vnet_rx_post(n, e.id);
	}
	ASSERT_EQ(0, vnet_used_pending(&n->vq[RXQ]));
	ASSERT_LT(0, n->vq[RXQ].calls);
	vnet_kick(n, RXQ);
}

/* @count packets of random sizes to @dst, all back on RX. */
static void vnet_roundtrip(struct __test_metadata *_metadata, struct vnet *n,
			   __u64 *rng, unsigned int count,
			   const unsigned char *dst)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		pkt_make(&pkts[i], rng, dst, i);
	vnet_tx(_metadata, n, count);
	vnet_tx_done(_metadata, n, count);
	vnet_rx_check(_metadata, n, 0, count);
}

/*
 * @count packets to @drop, which the receive filter must drop, then one to
 * the device's MAC: only that one arrives.  The simulator handles TX in
 * order, so once the last packet is back nothing more can come.
 */
static void vnet_filtered(struct __test_metadata *_metadata, struct vnet *n,
			  __u64 *rng, unsigned int count,
			  const unsigned char *drop)
{
	unsigned int i;

	ASSERT_GT(QSZ, count);
	for (i = 0; i < count; i++)
		pkt_make(&pkts[i], rng, drop, i);
	pkt_make(&pkts[count], rng, n->mac, count);
	vnet_tx(_metadata, n, count + 1);
	vnet_tx_done(_metadata, n, count + 1);
	vnet_rx_check(_metadata, n, count, 1);
}

/* VIRTIO_NET_CTRL_MAC_ADDR_SET of @mac through the cvq: the ack. */
static __u8 vnet_ctrl_mac(struct __test_metadata *_metadata, struct vnet *n,
			  const unsigned char *mac)
{
	struct virtio_net_ctrl_hdr hdr = {
		.class = VIRTIO_NET_CTRL_MAC,
		.cmd = VIRTIO_NET_CTRL_MAC_ADDR_SET,
	};
	struct vnet_vq *vq = &n->vq[CVQ];
	struct vring_used_elem e;

	memcpy(n->ctrl + CTRL_CMD_OFF, &hdr, sizeof(hdr));
	memcpy(n->ctrl + CTRL_CMD_OFF + sizeof(hdr), mac, ETH_ALEN);
	n->ctrl[CTRL_ACK_OFF] = 0xff;
	vq->desc[0] = (struct vring_desc) {
		.addr = IOVA_CTRL + CTRL_CMD_OFF,
		.len = sizeof(hdr) + ETH_ALEN,
		.flags = VRING_DESC_F_NEXT,
		.next = 1,
	};
	vq->desc[1] = (struct vring_desc) {
		.addr = IOVA_CTRL + CTRL_ACK_OFF,
		.len = 1,
		.flags = VRING_DESC_F_WRITE,
	};
	vq->avail->ring[vq->avail_idx % QSZ] = 0;
	vq->avail_idx++;
	vnet_kick(n, CVQ);
	if (!vnet_wait_used(n, CVQ, 1, WAIT_MS)) {
		TH_LOG("no answer on the cvq in %d ms", WAIT_MS);
		return 0xff;
	}
	e = vnet_used_pop(n, CVQ);
	EXPECT_EQ(0, e.id);
	EXPECT_EQ(1, e.len);
	return n->ctrl[CTRL_ACK_OFF];
}

/*
 * Change the MAC through the cvq, then check the receive filter: packets
 * to the new MAC arrive, those to the old one are dropped.
 */
static void vnet_mac_change(struct __test_metadata *_metadata,
			    struct vnet *n, __u64 *rng)
{
	unsigned char old[ETH_ALEN], mac[ETH_ALEN];

	memcpy(old, n->mac, ETH_ALEN);
	ASSERT_NE(0, memcmp(old, mac_new, ETH_ALEN));
	ASSERT_EQ(VIRTIO_NET_OK, vnet_ctrl_mac(_metadata, n, mac_new));
	ASSERT_EQ(0, vnet_get_mac(n, mac));
	ASSERT_EQ(0, memcmp(mac, mac_new, ETH_ALEN));
	memcpy(n->mac, mac, ETH_ALEN);
	vnet_roundtrip(_metadata, n, rng, 16, mac_new);
	vnet_filtered(_metadata, n, rng, 16, old);
}

/* A seed for this test, printed so that IOASID_VDPA_SEED replays it. */
static __u64 test_rng(struct __test_metadata *_metadata)
{
	__u64 seed = ioasid_env_seed("IOASID_VDPA_SEED");

	TH_LOG("seed %llu (IOASID_VDPA_SEED)", (unsigned long long)seed);
	return ioasid_rng_seed(seed, 0);
}

/*
 * Bind @n to a new /dev/ioasid context, or skip the test (return false)
 * when /dev/ioasid or the vhost-vdpa ioctls are missing.
 */
static bool vnet_bind_or_skip(struct __test_metadata *_metadata,
			      struct vnet *n)
{
	int rc;

	if (access("/dev/ioasid", F_OK))
		SKIP(return false, "no /dev/ioasid");
	n->ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (n->ioasid < 0) {
		ASSERT_LE(0, n->ioasid);
		return false;
	}
	rc = vdpa_bind(n->fd, n->ioasid, &n->dev_id);
	if (vhost_ioasid_missing(rc))
		SKIP(return false,
		     "VHOST_VDPA_BIND_IOASID not in this kernel (%s)",
		     strerror(rc));
	if (rc) {
		ASSERT_EQ(0, rc) TH_LOG("VHOST_VDPA_BIND_IOASID: %s",
					strerror(rc));
		return false;
	}
	return true;
}

/* A new IOAS with the data region, and ASID 0 attached to it. */
static void vnet_ioas_attach(struct __test_metadata *_metadata,
			     struct vnet *n)
{
	ASSERT_EQ(0, ioasid_ioas_new(n->ioasid, &n->ioas));
	ASSERT_EQ(0, vnet_map_data(n));
	ASSERT_EQ(0, vdpa_attach(n->fd, 0, n->ioas));
}

/* ---- The tests -------------------------------------------------------- */

FIXTURE(vdpa_net) {
	int family;
	char path[sizeof("/dev/") + NAME_MAX];
	/* A delete of the device never returned: the teardown leaves it. */
	bool stuck;
};

FIXTURE_SETUP(vdpa_net)
{
	int rc;

	self->family = genl_family(VDPA_GENL_NAME);
	if (self->family < 0)
		SKIP(return, "no \"%s\" generic netlink family: %s",
		     VDPA_GENL_NAME, strerror(-self->family));
	/* A device a killed run left behind. */
	vdpa_dev_del(self->family, VDPA_DEV_NAME);
	rc = vdpa_dev_new(self->family, VDPA_DEV_NAME, mac_dev);
	if (rc == -ENODEV)
		SKIP(return, "no %s vdpa management device", VDPA_MGMTDEV);
	ASSERT_EQ(0, rc) TH_LOG("VDPA_CMD_DEV_NEW: %s", strerror(-rc));
	rc = vhost_vdpa_path(VDPA_DEV_NAME, self->path, sizeof(self->path));
	if (rc) {
		vdpa_dev_del(self->family, VDPA_DEV_NAME);
		SKIP(return, "%s has no vhost-vdpa char device", VDPA_DEV_NAME);
	}
}

/* In the parent: the device goes even when the test was killed. */
FIXTURE_TEARDOWN_PARENT(vdpa_net)
{
	if (!self->stuck)
		EXPECT_EQ(0, vdpa_dev_del(self->family, VDPA_DEV_NAME));
}

/*
 * The whole driver through one backend: 64 packets of random sizes round
 * trip, then the cvq (ASID 1, vhost's IOTLB) changes the MAC.
 */
static void traffic(struct __test_metadata *_metadata, const char *path,
		    const struct vnet_backend *be)
{
	__u64 rng = test_rng(_metadata);
	struct vnet n;

	vnet_open(_metadata, &n, path, be);
	if (be == &ioasid_backend) {
		if (!vnet_bind_or_skip(_metadata, &n))
			return;
		vnet_ioas_attach(_metadata, &n);
	} else {
		ASSERT_EQ(0, vnet_map_data(&n));
	}
	ASSERT_EQ(0, vnet_map_ctrl(&n));
	vnet_start(_metadata, &n);
	ASSERT_EQ(0, memcmp(n.mac, mac_dev, ETH_ALEN));
	vnet_roundtrip(_metadata, &n, &rng, 64, n.mac);
	vnet_mac_change(_metadata, &n, &rng);
	vnet_close(&n);
}

TEST_F(vdpa_net, traffic_iotlb)
{
	traffic(_metadata, self->path, &iotlb_backend);
}

TEST_F(vdpa_net, traffic_ioasid)
{
	traffic(_metadata, self->path, &ioasid_backend);
}

/*
 * The policy vhost-vdpa declares at bind: ASID 0 (PASID 1) handed to
 * /dev/ioasid for paging, ASID 1 (PASID 2) kept for the cvq.
 */
TEST_F(vdpa_net, ioasid_policy)
{
	struct vhost_vring_state s = { .index = 0 };
	struct ioasid_device_get_pasid_info info;
	struct vnet n;
	__u32 ioas;

	vnet_open(_metadata, &n, self->path, &ioasid_backend);
	if (!vnet_bind_or_skip(_metadata, &n))
		return;
	ASSERT_EQ(2, n.nas);

	ASSERT_EQ(0, ioasid_pasid_info(n.ioasid, n.dev_id, 1, &info));
	EXPECT_TRUE(info.out_flags & IOASID_PASID_INFO_DECLARED);
	EXPECT_EQ(IOASID_PASID_CFG_PAGING, info.out_allowed);
	EXPECT_FALSE(info.out_flags & IOASID_PASID_INFO_ATTACHED);
	ASSERT_EQ(0, ioasid_pasid_info(n.ioasid, n.dev_id, 2, &info));
	EXPECT_TRUE(info.out_flags & IOASID_PASID_INFO_DECLARED);
	EXPECT_EQ(0, info.out_allowed);

	ASSERT_EQ(0, ioasid_ioas_new(n.ioasid, &ioas));
	EXPECT_EQ(EPERM, vdpa_attach(n.fd, CVQ_ASID, ioas));
	EXPECT_EQ(EPERM, vdpa_detach(n.fd, CVQ_ASID));
	EXPECT_EQ(0, vdpa_attach(n.fd, 0, ioas));

	/*
	 * vhost's IOTLB: not for the handed ASID (vhost's write() reports
	 * every refused message as EFAULT), as before for the kept one.
	 */
	EXPECT_EQ(EFAULT, vdpa_iotlb_msg(n.fd, 0, VHOST_IOTLB_UPDATE, IOVA_DATA,
					 DATA_SIZE, n.data));
	EXPECT_EQ(0, vdpa_iotlb_msg(n.fd, CVQ_ASID, VHOST_IOTLB_UPDATE, IOVA_CTRL,
				    CTRL_SIZE, n.ctrl));
	EXPECT_EQ(0, vdpa_iotlb_msg(n.fd, CVQ_ASID, VHOST_IOTLB_INVALIDATE,
				    IOVA_CTRL, CTRL_SIZE, NULL));

	/* The cvq's group stays out of the handed ASID; the data group not. */
	s.index = n.group[CVQ];
	s.num = 0;
	EXPECT_EQ(EPERM, ioctl_err(n.fd, VHOST_VDPA_SET_GROUP_ASID, &s));
	s.num = CVQ_ASID;
	EXPECT_EQ(0, ioctl_err(n.fd, VHOST_VDPA_SET_GROUP_ASID, &s));
	s.index = n.group[RXQ];
	s.num = 0;
	EXPECT_EQ(0, ioctl_err(n.fd, VHOST_VDPA_SET_GROUP_ASID, &s));

	/* Unbound, ASID 0 is vhost's again, empty. */
	ASSERT_EQ(0, vdpa_unbind(n.fd));
	EXPECT_EQ(0, vdpa_iotlb_msg(n.fd, 0, VHOST_IOTLB_UPDATE, IOVA_DATA,
				    DATA_SIZE, n.data));
	EXPECT_EQ(0, vdpa_iotlb_msg(n.fd, 0, VHOST_IOTLB_INVALIDATE, IOVA_DATA,
				    DATA_SIZE, NULL));
	EXPECT_EQ(0, ioasid_obj_destroy(n.ioasid, ioas));
	vnet_close(&n);
}

/* Every documented errno of the four ioctls. */
TEST_F(vdpa_net, ioasid_errors)
{
	struct {
		struct vhost_vdpa_bind_ioasid cmd;
		__u64 extra;
	} bind = {};
	struct {
		struct vhost_vdpa_attach_ioasid cmd;
		__u64 extra;
	} attach = {};
	struct {
		struct vhost_vdpa_detach_ioasid cmd;
		__u64 extra;
	} detach = {};
	struct {
		struct vhost_vdpa_unbind_ioasid cmd;
		__u64 extra;
	} unbind = {};
	int other, closed, efd, rc, i;
	__u32 ioas, other_ioas;
	struct vnet n;

	vnet_open(_metadata, &n, self->path, &ioasid_backend);
	if (access("/dev/ioasid", F_OK))
		SKIP(return, "no /dev/ioasid");
	n.ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, n.ioasid);
	rc = vdpa_bind(n.fd, -1, NULL);
	if (vhost_ioasid_missing(rc))
		SKIP(return, "VHOST_VDPA_BIND_IOASID not in this kernel (%s)",
		     strerror(rc));
	EXPECT_EQ(EINVAL, rc);
	other = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioasid_ioas_new(n.ioasid, &ioas));
	/* The third IOAS of the other context: an id this one lacks. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, ioasid_ioas_new(other, &other_ioas));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	/* A number no file has: nothing is opened from here on. */
	closed = dup(n.ioasid);
	ASSERT_LE(0, closed);
	close(closed);

	/* Not bound: no unbind, attach nor detach. */
	EXPECT_EQ(EINVAL, vdpa_unbind(n.fd));
	EXPECT_EQ(EINVAL, vdpa_attach(n.fd, 0, ioas));
	EXPECT_EQ(EINVAL, vdpa_detach(n.fd, 0));

	/* BIND */
	bind.cmd = (struct vhost_vdpa_bind_ioasid) {
		.size = sizeof(bind.cmd),
		.ioasid_fd = n.ioasid,
	};
	bind.cmd.size = 0;
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_BIND_IOASID, &bind));
	bind.cmd.size = sizeof(bind.cmd) - 4;
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_BIND_IOASID, &bind));
	bind.cmd.size = sizeof(bind.cmd);
	bind.cmd.flags = 1;
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_BIND_IOASID, &bind));
	bind.cmd.flags = 0;
	bind.cmd.size = sizeof(bind);
	bind.extra = 1;
	EXPECT_EQ(E2BIG, ioctl_err(n.fd, VHOST_VDPA_BIND_IOASID, &bind));
	bind.extra = 0;
	EXPECT_EQ(EBADF, vdpa_bind(n.fd, closed, NULL));
	EXPECT_EQ(EBADFD, vdpa_bind(n.fd, efd, NULL));
	EXPECT_EQ(EBADFD, vdpa_bind(n.fd, n.fd, NULL));
	EXPECT_EQ(EFAULT, ioctl_err(n.fd, VHOST_VDPA_BIND_IOASID, (void *)8));
	/* vhost's IOTLB holds a mapping in ASID 0, to be handed. */
	ASSERT_EQ(0, vdpa_iotlb_msg(n.fd, 0, VHOST_IOTLB_UPDATE, IOVA_DATA,
				    DATA_SIZE, n.data));
	EXPECT_EQ(EBUSY, vdpa_bind(n.fd, n.ioasid, NULL));
	ASSERT_EQ(0, vdpa_iotlb_msg(n.fd, 0, VHOST_IOTLB_INVALIDATE, IOVA_DATA,
				    DATA_SIZE, NULL));
	/* A larger struct with zero extra bytes is fine. */
	ASSERT_EQ(0, ioctl_err(n.fd, VHOST_VDPA_BIND_IOASID, &bind));
	n.dev_id = bind.cmd.out_dev_id;
	EXPECT_NE(0, n.dev_id);
	EXPECT_EQ(EBUSY, vdpa_bind(n.fd, n.ioasid, NULL));
	EXPECT_EQ(EBUSY, vdpa_bind(n.fd, other, NULL));

	/* ATTACH */
	attach.cmd = (struct vhost_vdpa_attach_ioasid) {
		.size = 0,
		.pt_id = ioas,
	};
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_ATTACH_IOASID, &attach));
	attach.cmd.size = sizeof(attach.cmd) - 4;
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_ATTACH_IOASID, &attach));
	attach.cmd.size = sizeof(attach.cmd);
	attach.cmd.flags = 1;
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_ATTACH_IOASID, &attach));
	attach.cmd.flags = 0;
	attach.cmd.size = sizeof(attach);
	attach.extra = 1;
	EXPECT_EQ(E2BIG, ioctl_err(n.fd, VHOST_VDPA_ATTACH_IOASID, &attach));
	EXPECT_EQ(EINVAL, vdpa_attach(n.fd, n.nas, ioas));
	EXPECT_EQ(EINVAL, vdpa_attach(n.fd, ~0U, ioas));
	EXPECT_EQ(EPERM, vdpa_attach(n.fd, CVQ_ASID, ioas));
	EXPECT_EQ(ENOENT, vdpa_attach(n.fd, 0, 0));
	EXPECT_EQ(ENOENT, vdpa_attach(n.fd, 0, ioas + 1000));
	EXPECT_EQ(ENOENT, vdpa_attach(n.fd, 0, n.dev_id));
	/* An IOAS of another context is no IOAS of the bound one. */
	if (other_ioas != ioas && other_ioas != n.dev_id)
		EXPECT_EQ(ENOENT, vdpa_attach(n.fd, 0, other_ioas));
	attach.extra = 0;
	attach.cmd.asid = 0;
	EXPECT_EQ(0, ioctl_err(n.fd, VHOST_VDPA_ATTACH_IOASID, &attach));
	EXPECT_EQ(0, vdpa_attach(n.fd, 0, ioas));

	/* DETACH */
	detach.cmd = (struct vhost_vdpa_detach_ioasid) { .size = 0 };
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_DETACH_IOASID, &detach));
	detach.cmd.size = sizeof(detach.cmd) - 4;
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_DETACH_IOASID, &detach));
	detach.cmd.size = sizeof(detach.cmd);
	detach.cmd.flags = 1;
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_DETACH_IOASID, &detach));
	detach.cmd.flags = 0;
	detach.cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_DETACH_IOASID, &detach));
	detach.cmd.__reserved = 0;
	detach.cmd.size = sizeof(detach);
	detach.extra = 1;
	EXPECT_EQ(E2BIG, ioctl_err(n.fd, VHOST_VDPA_DETACH_IOASID, &detach));
	EXPECT_EQ(EINVAL, vdpa_detach(n.fd, n.nas));
	EXPECT_EQ(EINVAL, vdpa_detach(n.fd, ~0U));
	EXPECT_EQ(EPERM, vdpa_detach(n.fd, CVQ_ASID));
	/* Attached, the IOAS cannot go; detached (twice is fine), it can. */
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(n.ioasid, ioas));
	detach.extra = 0;
	EXPECT_EQ(0, ioctl_err(n.fd, VHOST_VDPA_DETACH_IOASID, &detach));
	EXPECT_EQ(0, vdpa_detach(n.fd, 0));
	EXPECT_EQ(0, ioasid_obj_destroy(n.ioasid, ioas));

	/* UNBIND */
	unbind.cmd = (struct vhost_vdpa_unbind_ioasid) { .size = 0 };
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_UNBIND_IOASID, &unbind));
	unbind.cmd.size = sizeof(unbind.cmd) - 4;
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_UNBIND_IOASID, &unbind));
	unbind.cmd.size = sizeof(unbind.cmd);
	unbind.cmd.flags = 1;
	EXPECT_EQ(EINVAL, ioctl_err(n.fd, VHOST_VDPA_UNBIND_IOASID, &unbind));
	unbind.cmd.flags = 0;
	unbind.cmd.size = sizeof(unbind);
	unbind.extra = 1;
	EXPECT_EQ(E2BIG, ioctl_err(n.fd, VHOST_VDPA_UNBIND_IOASID, &unbind));
	unbind.extra = 0;
	EXPECT_EQ(0, ioctl_err(n.fd, VHOST_VDPA_UNBIND_IOASID, &unbind));
	EXPECT_EQ(EINVAL, vdpa_unbind(n.fd));
	/* Unbound again, it binds again, to the other context too. */
	EXPECT_EQ(0, vdpa_bind(n.fd, other, NULL));
	EXPECT_EQ(0, vdpa_unbind(n.fd));

	close(efd);
	close(other);
	vnet_close(&n);
}

/*
 * ASID 0 moves from IOAS A to IOAS B (the same memory at the same IOVAs)
 * in one step, with traffic before and after; A can be destroyed only
 * once nothing is attached to it.  Each IOAS pins and charges its own
 * pages, the device none of its own.
 */
TEST_F(vdpa_net, ioasid_replace)
{
	__u64 rng = test_rng(_metadata);
	long pinned = vm_pinned_kb(), base;
	struct vnet n;
	__u32 a, b;

	ASSERT_LE(0, pinned);
	vnet_open(_metadata, &n, self->path, &ioasid_backend);
	ASSERT_EQ(0, vnet_map_ctrl(&n));
	base = vm_pinned_kb();
	if (!vnet_bind_or_skip(_metadata, &n))
		return;
	vnet_ioas_attach(_metadata, &n);
	a = n.ioas;
	vnet_start(_metadata, &n);
	EXPECT_EQ(base + DATA_KB, vm_pinned_kb());
	vnet_roundtrip(_metadata, &n, &rng, 32, n.mac);
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(n.ioasid, a));

	ASSERT_EQ(0, ioasid_ioas_new(n.ioasid, &b));
	n.ioas = b;
	ASSERT_EQ(0, vnet_map_data(&n));
	EXPECT_EQ(base + 2 * DATA_KB, vm_pinned_kb());
	ASSERT_EQ(0, vdpa_attach(n.fd, 0, b));
	vnet_roundtrip(_metadata, &n, &rng, 32, n.mac);
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(n.ioasid, b));
	ASSERT_EQ(0, ioasid_obj_destroy(n.ioasid, a));
	EXPECT_EQ(base + DATA_KB, vm_pinned_kb());
	vnet_roundtrip(_metadata, &n, &rng, 32, n.mac);
	vnet_mac_change(_metadata, &n, &rng);
	vnet_close(&n);
	EXPECT_EQ(pinned, vm_pinned_kb());
}

/*
 * Unmapping the RX buffers under a running device: the unmap succeeds (with
 * an IOAS, the device lets go of the pages first), packets then find no RX
 * buffer to land in, and after a re-map and a device reset traffic and the
 * cvq work again.  Through an IOAS, the unmapped pages are unpinned.
 */
static void unmap_in_use(struct __test_metadata *_metadata, const char *path,
			 const struct vnet_backend *be)
{
	__u64 rng = test_rng(_metadata);
	long pinned = vm_pinned_kb(), base;
	bool ioasid = be == &ioasid_backend;
	__u64 unmapped = 0;
	unsigned int i;
	struct vnet n;

	ASSERT_LE(0, pinned);
	vnet_open(_metadata, &n, path, be);
	ASSERT_EQ(0, vnet_map_ctrl(&n));
	base = vm_pinned_kb();
	if (ioasid) {
		if (!vnet_bind_or_skip(_metadata, &n))
			return;
		vnet_ioas_attach(_metadata, &n);
	} else {
		ASSERT_EQ(0, vnet_map_data(&n));
	}
	vnet_start(_metadata, &n);
	vnet_roundtrip(_metadata, &n, &rng, 16, n.mac);

	if (ioasid) {
		ASSERT_EQ(0, ioasid_ioas_unmap_range(n.ioasid, n.ioas, IOVA_DATA + RX_OFF,
						     RX_SIZE, &unmapped));
		EXPECT_EQ(RX_SIZE, unmapped);
		EXPECT_EQ(base + DATA_KB - RX_KB, vm_pinned_kb());
	} else {
		ASSERT_EQ(0, be->unmap(&n, IOVA_DATA + RX_OFF, RX_SIZE));
	}
	for (i = 0; i < 4; i++)
		pkt_make(&pkts[i], &rng, n.mac, i);
	vnet_tx(_metadata, &n, 4);
	EXPECT_FALSE(vnet_wait_used(&n, RXQ, 1, NO_RX_MS))
		TH_LOG("a packet landed in an unmapped RX buffer");

	ASSERT_EQ(0, be->map(&n, IOVA_DATA + RX_OFF, n.data + RX_OFF,
			     RX_SIZE));
	if (ioasid)
		EXPECT_EQ(base + DATA_KB, vm_pinned_kb());
	vnet_start(_metadata, &n);
	vnet_roundtrip(_metadata, &n, &rng, 32, n.mac);
	vnet_mac_change(_metadata, &n, &rng);
	vnet_close(&n);
	EXPECT_EQ(pinned, vm_pinned_kb());
}

TEST_F(vdpa_net, unmap_in_use_iotlb)
{
	unmap_in_use(_metadata, self->path, &iotlb_backend);
}

TEST_F(vdpa_net, ioasid_unmap_in_use)
{
	unmap_in_use(_metadata, self->path, &ioasid_backend);
}

enum close_order {
	CLOSE_IOASID_FIRST,
	CLOSE_VHOST_FIRST,
	CLOSE_AFTER_UNBIND,
};

/*
 * Bound, attached, and 32 packets in flight, then the files go in @order;
 * every page the IOAS pinned is unpinned at the end.  False when the test
 * skipped.
 */
static bool close_order(struct __test_metadata *_metadata, const char *path,
			__u64 *rng, enum close_order order)
{
	long pinned = vm_pinned_kb(), base;
	unsigned int i;
	struct vnet n;

	ASSERT_LE(0, pinned);
	vnet_open(_metadata, &n, path, &ioasid_backend);
	ASSERT_EQ(0, vnet_map_ctrl(&n));
	base = vm_pinned_kb();
	if (!vnet_bind_or_skip(_metadata, &n))
		return false;
	vnet_ioas_attach(_metadata, &n);
	vnet_start(_metadata, &n);
	EXPECT_EQ(base + DATA_KB, vm_pinned_kb());
	for (i = 0; i < 32; i++)
		pkt_make(&pkts[i], rng, n.mac, i);
	vnet_tx(_metadata, &n, 32);

	switch (order) {
	case CLOSE_IOASID_FIRST:
		/* The binding keeps the context: the traffic goes on. */
		close(n.ioasid);
		n.ioasid = -1;
		vnet_tx_done(_metadata, &n, 32);
		vnet_rx_check(_metadata, &n, 0, 32);
		EXPECT_EQ(base + DATA_KB, vm_pinned_kb());
		break;
	case CLOSE_VHOST_FIRST:
		/* The cvq's pages, pinned by vhost-vdpa if at all, go. */
		close(n.fd);
		n.fd = -1;
		EXPECT_EQ(pinned + DATA_KB, vm_pinned_kb());
		break;
	case CLOSE_AFTER_UNBIND:
		EXPECT_EQ(0, vdpa_unbind(n.fd));
		EXPECT_EQ(base + DATA_KB, vm_pinned_kb());
		break;
	}
	vnet_close(&n);
	EXPECT_EQ(pinned, vm_pinned_kb());
	return true;
}

TEST_F(vdpa_net, ioasid_close_orders)
{
	__u64 rng = test_rng(_metadata);

	if (close_order(_metadata, self->path, &rng, CLOSE_IOASID_FIRST) &&
	    close_order(_metadata, self->path, &rng, CLOSE_VHOST_FIRST))
		close_order(_metadata, self->path, &rng, CLOSE_AFTER_UNBIND);
}

/* ---- Processes killed in flight ---------------------------------------- */

/*
 * A vhost-vdpa file must be released, and its device deletable, however its
 * process dies.  Children set up the device and keep it busy until the
 * parent SIGKILLs them at a random moment; once a child is reaped its file
 * is released (exit runs the release before the parent is notified), so the
 * char device opens again at once, and a delete of the device, which waits
 * for every file of it, ends.  Each wait is bounded, and a delete runs in a
 * helper process: a blocked one fails the test instead of hanging it.
 */

/* How long the kill loops run, in milliseconds. */
#define KILL_LOOP_MS	15000
/* Bound of the wait for a SIGKILLed child. */
#define REAP_MS		10000
/* Bound of a delete of the device. */
#define DEL_MS		30000
/* The device is deleted and created again every this many kills. */
#define KILL_RECREATE	8

/* kill_in_flight: a second IOAS-mapped region, mapped and unmapped. */
#define IOVA_REMAP	0x10000000ULL
#define REMAP_SIZE	(4UL << 20)

/*
 * kill_in_attach: a 2 MiB mapping at IOVA_BIG and copies of it after it,
 * 1 GiB in all when it is a huge page, one physical run that the device's
 * table (2048 runs in vdpa_sim) holds 512 times.  Small pages may be as
 * many runs, which the device cannot hold (ENOSPC) and whose mirror takes
 * long to build and free: then 128 MiB.
 */
#define IOVA_BIG	0x100000000ULL
#define BIG_CHUNK	(2UL << 20)
#define BIG_COPIES	512
#define SMALL_COPIES	64

enum kill_mode {
	KILL_TRAFFIC,	/* packets round trip */
	KILL_REBIND,	/* bind, attach, replace, detach, unbind */
	KILL_REMAP,	/* map and unmap while attached and running */
	KILL_MODES,
};

static const char * const kill_mode_name[KILL_MODES] = {
	"traffic", "rebind", "remap",
};

/* IOASID_IOAS_COPY of [@src, @src + @len) to @dst, in one IOAS. */
static int ioas_copy(int fd, __u32 ioas, __u64 src, __u64 len, __u64 dst)
{
	struct ioasid_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ |
			 IOASID_IOAS_MAP_WRITE,
		.dst_ioas_id = ioas,
		.src_ioas_id = ioas,
		.src_iova = src,
		.length = len,
		.dst_iova = dst,
	};

	return ioctl_err(fd, IOASID_IOAS_COPY, &cmd);
}

/* waitpid() @pid for at most @ms: whether it was reaped, into *@status. */
static bool reap_within(pid_t pid, int *status, int ms)
{
	__u64 end = ioasid_now_ns() + ms * 1000000ULL;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
		if (ioasid_now_ns() >= end)
			return false;
		usleep(5000);
	}
}

/*
 * SIGKILL @pid and reap it, bounded: false (test failed, *@stuck set) when
 * it lingers.
 */
static bool kill_reap(struct __test_metadata *_metadata, pid_t pid,
		      bool *stuck)
{
	int status = 0;

	kill(pid, SIGKILL);
	if (!reap_within(pid, &status, REAP_MS)) {
		/* It holds the device: a delete would block. */
		*stuck = true;
		EXPECT_TRUE(false)
			TH_LOG("child %d not reaped %d ms after SIGKILL",
			       pid, REAP_MS);
		return false;
	}
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("child ended with status 0x%x before the SIGKILL",
		       status);
	return true;
}

/*
 * The char device opens, now that its only user was reaped: not EBUSY.
 * Retried for a while after a failure, to tell a late release (counted in
 * *@late) from a file that is never released.
 */
static void vdpa_reopen(struct __test_metadata *_metadata, const char *path,
			unsigned int *late)
{
	__u64 end = ioasid_now_ns() + WAIT_MS * 1000000ULL;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int err = errno;

	if (fd >= 0) {
		close(fd);
		return;
	}
	EXPECT_LE(0, fd) TH_LOG("%s after the reap: %s", path, strerror(err));
	while (fd < 0 && (err == EBUSY || err == EINTR) &&
	       ioasid_now_ns() < end) {
		usleep(10000);
		fd = open(path, O_RDWR | O_CLOEXEC);
		err = errno;
	}
	ASSERT_LE(0, fd) TH_LOG("%s: %s %d ms after the reap", path,
				strerror(err), WAIT_MS);
	(*late)++;
	close(fd);
}

/*
 * Delete the device in a helper process, waited for DEL_MS at most (else
 * *@stuck is set), then create it again and find its (maybe renumbered)
 * char device, into @path of @len bytes.
 */
static void vdpa_net_recreate(struct __test_metadata *_metadata, int family,
			      char *path, size_t len, bool *stuck)
{
	__u64 start = ioasid_now_ns();
	int status = 0, rc;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(-vdpa_dev_del(family, VDPA_DEV_NAME) & 0xff);
	if (!reap_within(pid, &status, DEL_MS)) {
		*stuck = true;
		ASSERT_TRUE(false)
			TH_LOG("VDPA_CMD_DEV_DEL blocked for %d ms", DEL_MS);
	}
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	ASSERT_EQ(0, WEXITSTATUS(status))
		TH_LOG("VDPA_CMD_DEV_DEL: %s", strerror(WEXITSTATUS(status)));
	if (ioasid_now_ns() - start > 5000000000ULL)
		TH_LOG("VDPA_CMD_DEV_DEL took %llu ms",
		       (unsigned long long)(ioasid_now_ns() - start) / 1000000);
	rc = vdpa_dev_new(family, VDPA_DEV_NAME, mac_dev);
	ASSERT_EQ(0, rc) TH_LOG("VDPA_CMD_DEV_NEW: %s", strerror(-rc));
	ASSERT_EQ(0, vhost_vdpa_path(VDPA_DEV_NAME, path, len));
}

/* Whether the device binds to /dev/ioasid; else the test skipped. */
static bool vdpa_can_bind(struct __test_metadata *_metadata, const char *path)
{
	struct vnet n;

	vnet_open(_metadata, &n, path, &ioasid_backend);
	if (!vnet_bind_or_skip(_metadata, &n))
		return false;
	vnet_close(&n);
	return true;
}

/*
 * The child of kill_in_flight: @mode until killed; *@rounds is 1 once it is
 * set up, then counts its rounds.  Never returns.
 */
static void kill_child(struct __test_metadata *_metadata, const char *path,
		       enum kill_mode mode, __u64 rng, unsigned int *rounds)
{
	unsigned char *remap;
	int remap_fd = -1;
	struct vnet n;
	__u32 a, b;

	vnet_open(_metadata, &n, path, &ioasid_backend);
	ASSERT_EQ(0, vnet_map_ctrl(&n));
	n.ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, n.ioasid);
	ASSERT_EQ(0, vdpa_bind(n.fd, n.ioasid, &n.dev_id));

	switch (mode) {
	case KILL_TRAFFIC:
		vnet_ioas_attach(_metadata, &n);
		vnet_start(_metadata, &n);
		__atomic_store_n(rounds, 1, __ATOMIC_RELAXED);
		for (;; __atomic_add_fetch(rounds, 1, __ATOMIC_RELAXED))
			vnet_roundtrip(_metadata, &n, &rng,
				       1 + ioasid_rng_below(&rng, QSZ / 2),
				       n.mac);
	case KILL_REBIND:
		ASSERT_EQ(0, ioasid_ioas_new(n.ioasid, &a));
		ASSERT_EQ(0, ioasid_ioas_new(n.ioasid, &b));
		n.ioas = a;
		ASSERT_EQ(0, vnet_map_data(&n));
		n.ioas = b;
		ASSERT_EQ(0, vnet_map_data(&n));
		__atomic_store_n(rounds, 1, __ATOMIC_RELAXED);
		for (;; __atomic_add_fetch(rounds, 1, __ATOMIC_RELAXED)) {
			ASSERT_EQ(0, vdpa_attach(n.fd, 0, a));
			ASSERT_EQ(0, vdpa_attach(n.fd, 0, b));
			if (ioasid_rng_below(&rng, 2))
				ASSERT_EQ(0, vdpa_detach(n.fd, 0));
			ASSERT_EQ(0, vdpa_unbind(n.fd));
			ASSERT_EQ(0, vdpa_bind(n.fd, n.ioasid, &n.dev_id));
		}
	case KILL_REMAP:
		remap = shared_mem(&remap_fd, REMAP_SIZE);
		ASSERT_NE(MAP_FAILED, remap);
		vnet_ioas_attach(_metadata, &n);
		vnet_start(_metadata, &n);
		__atomic_store_n(rounds, 1, __ATOMIC_RELAXED);
		for (;; __atomic_add_fetch(rounds, 1, __ATOMIC_RELAXED)) {
			ASSERT_EQ(0, ioasid_ioas_map_at(n.ioasid, n.ioas, remap,
							REMAP_SIZE, IOVA_REMAP));
			vnet_roundtrip(_metadata, &n, &rng, 4, n.mac);
			ASSERT_EQ(0, ioasid_ioas_unmap_range(n.ioasid, n.ioas, IOVA_REMAP,
							     REMAP_SIZE, NULL));
		}
	case KILL_MODES:
		break;
	}
	ASSERT_TRUE(false);
}

/*
 * Children bound and attached, moving packets, re-binding or re-mapping,
 * each SIGKILLed after a random delay: mostly from when it is set up, else
 * from its fork, to hit its set-up too; the device stays openable and
 * deletable.
 */
TEST_F_TIMEOUT(vdpa_net, kill_in_flight, 120)
{
	__u64 rng = test_rng(_metadata);
	unsigned int kills[KILL_MODES] = {}, busy[KILL_MODES] = {};
	__u64 end = ioasid_now_ns() + KILL_LOOP_MS * 1000000ULL;
	unsigned int iter, late = 0, recreated = 0, *rounds;
	enum kill_mode mode;
	__u64 child_rng;
	pid_t pid;

	if (!vdpa_can_bind(_metadata, self->path))
		return;
	rounds = mmap(NULL, sizeof(*rounds), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rounds);
	for (iter = 0; ioasid_now_ns() < end; iter++) {
		mode = ioasid_rng_below(&rng, KILL_MODES);
		child_rng = ioasid_rng_next(&rng);
		*rounds = 0;
		fflush(NULL);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			kill_child(_metadata, self->path, mode, child_rng,
				   rounds);
			_exit(KSFT_FAIL);
		}
		if (ioasid_rng_below(&rng, 4)) {
			__u64 ready = ioasid_now_ns() + WAIT_MS * 1000000ULL;

			while (!__atomic_load_n(rounds, __ATOMIC_RELAXED) &&
			       ioasid_now_ns() < ready)
				usleep(1000);
		}
		usleep(ioasid_rng_below(&rng, 300000));
		ASSERT_TRUE(kill_reap(_metadata, pid, &self->stuck));
		kills[mode]++;
		/* Killed once set up. */
		if (__atomic_load_n(rounds, __ATOMIC_RELAXED))
			busy[mode]++;
		vdpa_reopen(_metadata, self->path, &late);
		if ((iter + 1) % KILL_RECREATE == 0) {
			vdpa_net_recreate(_metadata, self->family, self->path,
					  sizeof(self->path), &self->stuck);
			recreated++;
		}
	}
	vdpa_net_recreate(_metadata, self->family, self->path,
			  sizeof(self->path), &self->stuck);
	recreated++;
	munmap(rounds, sizeof(*rounds));
	for (mode = 0; mode < KILL_MODES; mode++)
		TH_LOG("%s: %u kills, %u of them once set up",
		       kill_mode_name[mode], kills[mode], busy[mode]);
	TH_LOG("%u kills, %u late opens, %u deletes", iter, late, recreated);
}

/* A shared 2 MiB huge page (*@huge set), else small pages; or MAP_FAILED. */
static void *big_chunk(int *fd, bool *huge)
{
	void *p;

	*huge = false;
	*fd = memfd_create("ioasid_vdpa_huge", MFD_CLOEXEC | MFD_HUGETLB);
	if (*fd >= 0 && !ftruncate(*fd, BIG_CHUNK)) {
		p = mmap(NULL, BIG_CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED,
			 *fd, 0);
		if (p != MAP_FAILED) {
			memset(p, 0, BIG_CHUNK);
			*huge = true;
			return p;
		}
	}
	if (*fd >= 0)
		close(*fd);
	return shared_mem(fd, BIG_CHUNK);
}

/*
 * The child of kill_in_attach: an IOAS of copies of a 2 MiB mapping, then,
 * once it wrote to @ready how many ('h' for BIG_COPIES of a huge page, 's'
 * for SMALL_COPIES), an attach of ASID 0 to it, which pins them mapping by
 * mapping; then its errno as an int to @ready.
 */
static void attach_child(struct __test_metadata *_metadata, const char *path,
			 int ready)
{
	unsigned int i, copies;
	unsigned char *chunk;
	int chunk_fd, rc;
	struct vnet n;
	bool huge;
	char c;

	vnet_open(_metadata, &n, path, &ioasid_backend);
	n.ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, n.ioasid);
	ASSERT_EQ(0, vdpa_bind(n.fd, n.ioasid, &n.dev_id));
	chunk = big_chunk(&chunk_fd, &huge);
	ASSERT_NE(MAP_FAILED, chunk);
	copies = huge ? BIG_COPIES : SMALL_COPIES;
	c = huge ? 'h' : 's';
	ASSERT_EQ(0, ioasid_ioas_new(n.ioasid, &n.ioas));
	ASSERT_EQ(0, ioasid_ioas_map_at(n.ioasid, n.ioas, chunk, BIG_CHUNK, IOVA_BIG));
	for (i = 1; i < copies; i++)
		ASSERT_EQ(0, ioas_copy(n.ioasid, n.ioas, IOVA_BIG, BIG_CHUNK,
				       IOVA_BIG + (__u64)i * BIG_CHUNK));
	ASSERT_EQ(1, write(ready, &c, 1));
	rc = vdpa_attach(n.fd, 0, n.ioas);
	ASSERT_EQ(sizeof(rc), write(ready, &rc, sizeof(rc)));
	for (;;)
		pause();
}

/* Read @len bytes from @fd within @ms: whether they came. */
static bool read_within(int fd, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && read(fd, buf, len) == (ssize_t)len;
}

/*
 * Children SIGKILLed while VHOST_VDPA_ATTACH_IOASID pins a 1 GiB IOAS (a
 * first one, not killed, times the attach), so that the pinning stops at
 * the fatal signal and the half-built mirror goes; the device stays
 * openable and deletable.  A huge page makes the IOAS 512 mappings of one
 * physical run each, which the device holds: the attach succeeds.
 */
TEST_F_TIMEOUT(vdpa_net, kill_in_attach, 240)
{
	__u64 rng = test_rng(_metadata);
	__u64 end = ioasid_now_ns() + KILL_LOOP_MS * 1000000ULL;
	unsigned int iter, in_attach = 0, late = 0;
	__u64 start, attach_us = 0;
	int pipefd[2], rc;
	char c;
	pid_t pid;

	if (!vdpa_can_bind(_metadata, self->path))
		return;
	for (iter = 0; !iter || ioasid_now_ns() < end; iter++) {
		ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
		fflush(NULL);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(pipefd[0]);
			attach_child(_metadata, self->path, pipefd[1]);
			_exit(KSFT_FAIL);
		}
		close(pipefd[1]);
		if (!read_within(pipefd[0], &c, 1, 60000)) {
			kill_reap(_metadata, pid, &self->stuck);
			ASSERT_TRUE(false) TH_LOG("no IOAS built in 60 s");
		}
		start = ioasid_now_ns();
		if (!iter) {
			/* Time an attach that runs to its end. */
			if (!read_within(pipefd[0], &rc, sizeof(rc), 60000)) {
				kill_reap(_metadata, pid, &self->stuck);
				ASSERT_TRUE(false) TH_LOG("attach: over 60 s");
			}
			attach_us = (ioasid_now_ns() - start) / 1000;
			/* The simulator's table holds 2048 runs at most. */
			EXPECT_TRUE(!rc || (c != 'h' && rc == ENOSPC))
				TH_LOG("attach: %s", strerror(rc));
			TH_LOG("attach of %u MiB (%s pages): %s in %llu ms",
			       (unsigned int)((c == 'h' ? BIG_COPIES :
					       SMALL_COPIES) *
					      (BIG_CHUNK >> 20)),
			       c == 'h' ? "huge" : "small", strerror(rc),
			       (unsigned long long)attach_us / 1000);
		} else {
			usleep(ioasid_rng_below(&rng, attach_us + 1));
		}
		ASSERT_TRUE(kill_reap(_metadata, pid, &self->stuck));
		/* No answer: killed inside the attach. */
		if (iter && !read_within(pipefd[0], &rc, sizeof(rc), 0))
			in_attach++;
		close(pipefd[0]);
		vdpa_reopen(_metadata, self->path, &late);
	}
	vdpa_net_recreate(_metadata, self->family, self->path,
			  sizeof(self->path), &self->stuck);
	TH_LOG("%u kills, %u inside the attach, %u late opens", iter,
	       in_attach, late);
}

TEST_HARNESS_MAIN
