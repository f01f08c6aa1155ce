/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vDPA for the /dev/ioasid selftests: devices created on a management
 * device (vdpa_sim_net, vdpa_sim_blk, the test IOMMU's ioasid_mock_vdpa)
 * with the "vdpa" generic netlink family (no iproute2 in the test guest),
 * the path of their vhost-vdpa char device, the vhost-vdpa ioctls of
 * <linux/vhost_ioasid.h>, vhost's IOTLB messages, and the DMA engine of
 * the test IOMMU's vDPA devices.
 */
#ifndef __SELFTESTS_IOASID_VDPA_H
#define __SELFTESTS_IOASID_VDPA_H

#include <dirent.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/vdpa.h>
#include <linux/vhost.h>
#include <linux/vhost_ioasid.h>

#include "ioasid_util.h"

/* Every wait on the device is bounded by this. */
#define VDPA_WAIT_MS		5000
#define VDPA_MGMTDEV		"vdpasim_net"

/**
 * struct genl_req - A generic netlink request and room for its attributes
 * @nh: Netlink header
 * @gh: Generic netlink header
 * @attrs: Attributes, appended by genl_put()
 */
struct genl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[256];
};

static inline void genl_init(struct genl_req *req, __u16 family, __u8 cmd,
			     __u16 flags)
{
	memset(req, 0, sizeof(*req));
	req->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req->nh.nlmsg_type = family;
	req->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	req->nh.nlmsg_seq = 1;
	req->gh.cmd = cmd;
	req->gh.version = family == GENL_ID_CTRL ? 1 : VDPA_GENL_VERSION;
}

/* Append attribute @type of @len bytes: false when it does not fit. */
static inline bool genl_put(struct genl_req *req, __u16 type,
			    const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(req->nh.nlmsg_len);
	struct nlattr *nla = (struct nlattr *)((char *)req + off);

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(*req))
		return false;
	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	memcpy((char *)nla + NLA_HDRLEN, data, len);
	req->nh.nlmsg_len = off + NLA_ALIGN(nla->nla_len);
	return true;
}

static inline bool genl_put_str(struct genl_req *req, __u16 type, const char *s)
{
	return genl_put(req, type, s, strlen(s) + 1);
}

/*
 * Send @req and read the answer into @resp: 0 with the reply message (or
 * the ack), or the negative errno of the NLMSG_ERROR, or of the socket.
 */
static inline int genl_talk(struct genl_req *req, void *resp, size_t resp_len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = VDPA_WAIT_MS / 1000 };
	__u32 buf[2048];
	struct nlmsghdr *nh;
	int sock, rc = -EPROTO;
	ssize_t len;

	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (sock < 0)
		return -errno;
	if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    sendto(sock, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	len = recv(sock, buf, sizeof(buf), 0);
	if (len < 0) {
		rc = -errno;
		goto out;
	}
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
	     nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_seq != req->nh.nlmsg_seq)
			continue;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *err = NLMSG_DATA(nh);

			rc = err->error;
			break;
		}
		if (resp)
			memcpy(resp, nh, nh->nlmsg_len < resp_len ?
					 nh->nlmsg_len : resp_len);
		rc = 0;
		break;
	}
out:
	close(sock);
	return rc;
}

/* The id of generic netlink family @name, or a negative errno. */
static inline int genl_family(const char *name)
{
	__u32 resp[256];
	struct nlmsghdr *nh = (struct nlmsghdr *)resp;
	struct genl_req req;
	struct nlattr *nla;
	int rc, len;

	genl_init(&req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	if (!genl_put_str(&req, CTRL_ATTR_FAMILY_NAME, name))
		return -E2BIG;
	memset(resp, 0, sizeof(resp));
	rc = genl_talk(&req, resp, sizeof(resp));
	if (rc)
		return rc;
	len = nh->nlmsg_len < sizeof(resp) ? nh->nlmsg_len : sizeof(resp);
	len -= NLMSG_LENGTH(GENL_HDRLEN);
	nla = (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
	while (len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN &&
	       nla->nla_len <= len) {
		if ((nla->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
			return *(__u16 *)((char *)nla + NLA_HDRLEN);
		len -= NLA_ALIGN(nla->nla_len);
		nla = (struct nlattr *)((char *)nla + NLA_ALIGN(nla->nla_len));
	}
	return -EPROTO;
}

/*
 * VDPA_CMD_DEV_NEW of @name on management device @mgmtdev, with MAC @mac
 * unless NULL.
 */
static inline int vdpa_dev_new_on(int family, const char *mgmtdev,
				  const char *name, const unsigned char *mac)
{
	struct genl_req req;

	genl_init(&req, family, VDPA_CMD_DEV_NEW, NLM_F_ACK);
	if (!genl_put_str(&req, VDPA_ATTR_MGMTDEV_DEV_NAME, mgmtdev) ||
	    !genl_put_str(&req, VDPA_ATTR_DEV_NAME, name) ||
	    (mac && !genl_put(&req, VDPA_ATTR_DEV_NET_CFG_MACADDR, mac,
			      ETH_ALEN)))
		return -E2BIG;
	return genl_talk(&req, NULL, 0);
}

/* VDPA_CMD_DEV_NEW of @name on the vdpasim_net management device. */
static inline int vdpa_dev_new(int family, const char *name,
			       const unsigned char *mac)
{
	return vdpa_dev_new_on(family, VDPA_MGMTDEV, name, mac);
}

/* VDPA_CMD_DEV_DEL of @name: 0, or a negative errno (-ENODEV: none). */
static inline int vdpa_dev_del(int family, const char *name)
{
	struct genl_req req;

	genl_init(&req, family, VDPA_CMD_DEV_DEL, NLM_F_ACK);
	if (!genl_put_str(&req, VDPA_ATTR_DEV_NAME, name))
		return -E2BIG;
	return genl_talk(&req, NULL, 0);
}

/*
 * The /dev path of the vhost-vdpa char device of vdpa device @name: its
 * child vhost-vdpa-N in sysfs (drivers/vhost/vdpa.c names it so), waited
 * for up to VDPA_WAIT_MS with its /dev node.  0 or a negative errno.
 */
static inline int vhost_vdpa_path(const char *name, char *path, size_t len)
{
	__u64 end = ioasid_now_ns() + VDPA_WAIT_MS * 1000000ULL;
	struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
	char dir[128];

	snprintf(dir, sizeof(dir), "/sys/bus/vdpa/devices/%s", name);
	do {
		struct dirent *de;
		DIR *d = opendir(dir);

		path[0] = 0;
		while (d && (de = readdir(d)))
			if (!strncmp(de->d_name, "vhost-vdpa-", 11))
				snprintf(path, len, "/dev/%s", de->d_name);
		if (d)
			closedir(d);
		if (path[0] && !access(path, F_OK))
			return 0;
		nanosleep(&ts, NULL);
	} while (ioasid_now_ns() < end);
	return -ENOENT;
}

static inline int vdpa_bind(int fd, int ioasid_fd, __u32 *dev_id)
{
	struct vhost_vdpa_bind_ioasid cmd = {
		.size = sizeof(cmd),
		.ioasid_fd = ioasid_fd,
	};
	int rc = ioctl_err(fd, VHOST_VDPA_BIND_IOASID, &cmd);

	if (dev_id)
		*dev_id = rc ? 0 : cmd.out_dev_id;
	return rc;
}

static inline int vdpa_unbind(int fd)
{
	struct vhost_vdpa_unbind_ioasid cmd = { .size = sizeof(cmd) };

	return ioctl_err(fd, VHOST_VDPA_UNBIND_IOASID, &cmd);
}

static inline int vdpa_attach(int fd, __u32 asid, __u32 pt_id)
{
	struct vhost_vdpa_attach_ioasid cmd = {
		.size = sizeof(cmd),
		.asid = asid,
		.pt_id = pt_id,
	};

	return ioctl_err(fd, VHOST_VDPA_ATTACH_IOASID, &cmd);
}

static inline int vdpa_detach(int fd, __u32 asid)
{
	struct vhost_vdpa_detach_ioasid cmd = {
		.size = sizeof(cmd),
		.asid = asid,
	};

	return ioctl_err(fd, VHOST_VDPA_DETACH_IOASID, &cmd);
}

/*
 * The kernel lacks VHOST_VDPA_BIND_IOASID: an unknown ioctl of an owned
 * vhost-vdpa file ends up in its vring ioctls, which read the first
 * u32 (our size, 16) as a virtqueue index and fail with ENOBUFS; ENOTTY
 * where nothing claims the number at all.
 */
static inline bool vhost_ioasid_missing(int rc)
{
	return rc == ENOTTY || rc == ENOBUFS;
}

/*
 * Create device @name on vdpa management device @mgmtdev, with MAC @mac
 * unless NULL, and find its vhost-vdpa char device: 0 with *@family and
 * @path set, or a negative errno: -ENOENT no vdpa netlink family or no
 * char device, -ENODEV no such management device.  A device a killed run
 * left is removed first.
 */
static inline int vdpa_test_dev_create_on(const char *mgmtdev,
					  const char *name,
					  const unsigned char *mac,
					  int *family, char *path, size_t len)
{
	int rc;

	*family = genl_family(VDPA_GENL_NAME);
	if (*family < 0)
		return -ENOENT;
	vdpa_dev_del(*family, name);
	rc = vdpa_dev_new_on(*family, mgmtdev, name, mac);
	if (rc)
		return rc;
	rc = vhost_vdpa_path(name, path, len);
	if (rc)
		vdpa_dev_del(*family, name);
	return rc;
}

/* The same on vdpa_sim_net's management device. */
static inline int vdpa_test_dev_create(const char *name,
				       const unsigned char *mac, int *family,
				       char *path, size_t len)
{
	return vdpa_test_dev_create_on(VDPA_MGMTDEV, name, mac, family, path,
				       len);
}

/*
 * Open a vhost-vdpa char device as a VMM does before mapping: owner set,
 * IOTLB_MSG_V2 and IOTLB_ASID acked.  The fd, or -errno.
 */
static inline int vdpa_test_open(const char *path)
{
	__u64 bf = (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
		   (1ULL << VHOST_BACKEND_F_IOTLB_ASID);
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, VHOST_SET_OWNER, NULL) ||
	    ioctl(fd, VHOST_SET_BACKEND_FEATURES, &bf)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* One vhost IOTLB message (VHOST_IOTLB_MSG_V2) for @asid: 0 or the errno. */
static inline int vdpa_iotlb_msg(int fd, __u32 asid, __u8 type, __u64 iova,
				 __u64 size, void *va)
{
	struct vhost_msg_v2 msg = {
		.type = VHOST_IOTLB_MSG_V2,
		.asid = asid,
		.iotlb = {
			.iova = iova,
			.size = size,
			.uaddr = (uintptr_t)va,
			.perm = VHOST_ACCESS_RW,
			.type = type,
		},
	};
	ssize_t n = write(fd, &msg, sizeof(msg));

	if (n < 0)
		return errno;
	return n == sizeof(msg) ? 0 : EIO;
}

/*
 * One command of the DMA engine of a device of the test IOMMU's vDPA
 * parent (IOASID_TEST_VDPA_MGMTDEV), through its config space: @len bytes
 * between @iova and @buf (written to memory for IOASID_TEST_VDPA_DMA_WRITE,
 * read into @buf for _READ).  The engine's result (0 or a positive errno),
 * or -errno of the config ioctls; *@done (optional) gets the bytes moved.
 */
static inline int vdpa_mock_dma(int fd, __u32 cmd, __u64 iova, void *buf,
				__u32 len, __u32 *done)
{
	struct {
		struct vhost_vdpa_config hdr;
		struct ioasid_test_vdpa_config cfg;
	} c = {
		.hdr = { .off = 0, .len = sizeof(c.cfg) },
		.cfg = { .iova = iova, .length = len, .cmd = cmd },
	};

	if (len > sizeof(c.cfg.buf))
		return -EINVAL;
	if (cmd == IOASID_TEST_VDPA_DMA_WRITE)
		memcpy(c.cfg.buf, buf, len);
	if (ioctl(fd, VHOST_VDPA_SET_CONFIG, &c))
		return -errno;
	memset(&c.cfg, 0, sizeof(c.cfg));
	if (ioctl(fd, VHOST_VDPA_GET_CONFIG, &c))
		return -errno;
	if (c.cfg.cmd != IOASID_TEST_VDPA_IDLE)
		return -EPROTO;
	if (done)
		*done = c.cfg.done;
	if (cmd == IOASID_TEST_VDPA_DMA_READ && !c.cfg.result)
		memcpy(buf, c.cfg.buf, len);
	return c.cfg.result;
}

#endif /* __SELFTESTS_IOASID_VDPA_H */
