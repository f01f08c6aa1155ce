/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /dev/ioasid in-kernel API, for the subsystems that own devices (VFIO,
 * vhost-vdpa) and bind them to a user's /dev/ioasid context.
 */
#ifndef __LINUX_IOASID_H
#define __LINUX_IOASID_H

#include <linux/err.h>
#include <uapi/linux/ioasid.h>

struct ioasid_ctx;

#if IS_ENABLED(CONFIG_IOASID)
struct ioasid_ctx *ioasid_ctx_from_fd(int fd);
void ioasid_ctx_put(struct ioasid_ctx *ctx);
#else
static inline struct ioasid_ctx *ioasid_ctx_from_fd(int fd)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void ioasid_ctx_put(struct ioasid_ctx *ctx)
{
}
#endif

#endif /* __LINUX_IOASID_H */
