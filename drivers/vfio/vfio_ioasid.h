/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VFIO device cdev binding to /dev/ioasid: the hooks vfio_main.c calls.
 */
#ifndef __VFIO_VFIO_IOASID_H
#define __VFIO_VFIO_IOASID_H

#include <linux/errno.h>
#include <linux/types.h>
#include <linux/vfio_ioasid.h>

struct vfio_device_file;

#if IS_ENABLED(CONFIG_VFIO_IOASID)
long vfio_df_ioctl_bind_ioasid(struct vfio_device_file *df, void __user *arg);
void vfio_df_unbind_ioasid(struct vfio_device_file *df);
long vfio_df_ioctl_ioasid_pt(struct vfio_device_file *df, unsigned int cmd,
			     void __user *arg);
int vfio_df_ioasid_bind(struct vfio_device_file *df);
void vfio_df_ioasid_unbind(struct vfio_device_file *df);
#else
static inline long vfio_df_ioctl_bind_ioasid(struct vfio_device_file *df,
					     void __user *arg)
{
	return -ENOTTY;
}

static inline void vfio_df_unbind_ioasid(struct vfio_device_file *df)
{
}

static inline long vfio_df_ioctl_ioasid_pt(struct vfio_device_file *df,
					   unsigned int cmd, void __user *arg)
{
	return -ENOTTY;
}

static inline int vfio_df_ioasid_bind(struct vfio_device_file *df)
{
	return -EOPNOTSUPP;
}

static inline void vfio_df_ioasid_unbind(struct vfio_device_file *df)
{
}
#endif

#endif /* __VFIO_VFIO_IOASID_H */
