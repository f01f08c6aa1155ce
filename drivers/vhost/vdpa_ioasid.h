/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost-vdpa binding to /dev/ioasid: the hooks drivers/vhost/vdpa.c calls.
 * Each is called with the vhost device's mutex held.
 */
#ifndef __VHOST_VDPA_IOASID_H
#define __VHOST_VDPA_IOASID_H

#include <linux/errno.h>
#include <linux/types.h>
#include <linux/vhost_ioasid.h>

struct vdpa_device;
struct vhost_vdpa_ioasid;

/**
 * struct vhost_vdpa_ioasid_cbs - What the binding asks of vhost-vdpa
 * @as_mapped: Whether vhost-vdpa's own IOTLB holds a mapping in an ASID
 * @drop_domain: For a parent behind a platform IOMMU: detach and free
 *               vhost-vdpa's own IOMMU domain (whose IOTLB is empty)
 * @restore_domain: For such a parent: allocate and attach a new domain of
 *                  vhost-vdpa's own; 0 or a negative errno
 *
 * Each is called with the vhost device's mutex held and gets the @priv of
 * vhost_vdpa_ioasid_ioctl().
 */
struct vhost_vdpa_ioasid_cbs {
	bool (*as_mapped)(void *priv, u32 asid);
	void (*drop_domain)(void *priv);
	int (*restore_domain)(void *priv);
};

#if IS_ENABLED(CONFIG_VHOST_VDPA_IOASID)
long vhost_vdpa_ioasid_ioctl(struct vhost_vdpa_ioasid **pvi,
			     struct vdpa_device *vdpa, unsigned int cmd,
			     void __user *argp,
			     const struct vhost_vdpa_ioasid_cbs *cbs,
			     void *priv);
bool vhost_vdpa_ioasid_handed(struct vhost_vdpa_ioasid *vi, u32 asid);
int vhost_vdpa_ioasid_check_group_asid(struct vhost_vdpa_ioasid *vi,
				       u32 group, u32 asid);
void vhost_vdpa_ioasid_reset_done(struct vhost_vdpa_ioasid *vi);
void vhost_vdpa_ioasid_release(struct vhost_vdpa_ioasid **pvi);
#else
static inline long vhost_vdpa_ioasid_ioctl(struct vhost_vdpa_ioasid **pvi,
					   struct vdpa_device *vdpa,
					   unsigned int cmd, void __user *argp,
					   const struct vhost_vdpa_ioasid_cbs *cbs,
					   void *priv)
{
	return -ENOTTY;
}

static inline bool vhost_vdpa_ioasid_handed(struct vhost_vdpa_ioasid *vi,
					    u32 asid)
{
	return false;
}

static inline int
vhost_vdpa_ioasid_check_group_asid(struct vhost_vdpa_ioasid *vi, u32 group,
				   u32 asid)
{
	return 0;
}

static inline void vhost_vdpa_ioasid_reset_done(struct vhost_vdpa_ioasid *vi)
{
}

static inline void vhost_vdpa_ioasid_release(struct vhost_vdpa_ioasid **pvi)
{
}
#endif

#endif /* __VHOST_VDPA_IOASID_H */
