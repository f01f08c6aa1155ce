/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /dev/ioasid in-kernel API, for the subsystems that own devices (VFIO,
 * vhost-vdpa) and bind them to a user's /dev/ioasid context.
 */
#ifndef __LINUX_IOASID_H
#define __LINUX_IOASID_H

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/types.h>
#include <uapi/linux/ioasid.h>

struct device;
struct ioasid_access;
struct ioasid_ctx;
struct ioasid_device;
struct page;

/**
 * struct ioasid_access_ops - Callbacks of an in-kernel access
 * @unmap: User space is unmapping IOVA [@iova, @iova + @length - 1] of the
 *         IOAS, and the access holds pins in that range.  The callback must
 *         stop using the range and release every pin it holds there with
 *         ioasid_access_unpin_pages() before it returns.  It may sleep and
 *         may call ioasid_access_unpin_pages() and ioasid_access_rw(), but
 *         not ioasid_access_pin_pages() on the same range nor
 *         ioasid_access_destroy().  It is called for every access of the
 *         IOAS, so it ignores ranges it holds nothing in.
 * @map: Optional.  User space mapped IOVA [@iova, @iova + @length - 1] of
 *       the IOAS (one mapping of a map, copy or file map), or
 *       ioasid_access_populate() reports a mapping the IOAS holds.  For a
 *       user that mirrors the IOAS, e.g. into a vDPA device's own IOTLB: it
 *       may pin the range with ioasid_access_pin_pages(), which fails with
 *       -ENOENT when an unmap took the range meanwhile.  A range may be
 *       reported more than once.  Same context and rules as @unmap.
 */
struct ioasid_access_ops {
	void (*unmap)(void *data, unsigned long iova, unsigned long length);
	void (*map)(void *data, unsigned long iova, unsigned long length);
};

/* The access writes the memory (pin for writing, or copy into it). */
#define IOASID_ACCESS_WRITE	BIT(0)

/* Every configuration of &enum ioasid_pasid_config. */
#define IOASID_PASID_CFG_ALL                                                 \
	(IOASID_PASID_CFG_PAGING | IOASID_PASID_CFG_NESTED |                 \
	 IOASID_PASID_CFG_SVA)

#if IS_ENABLED(CONFIG_IOASID)
struct ioasid_ctx *ioasid_ctx_from_fd(int fd);
void ioasid_ctx_put(struct ioasid_ctx *ctx);

/*
 * Devices: see Documentation/driver-api/ioasid.rst.  The caller keeps its
 * context reference (ioasid_ctx_from_fd()) until ioasid_device_unbind().
 */
struct ioasid_device *ioasid_device_bind(struct ioasid_ctx *ctx,
					 struct device *dev, u32 *out_id);
void ioasid_device_unbind(struct ioasid_device *idev);
u32 ioasid_device_id(struct ioasid_device *idev);
int ioasid_device_attach(struct ioasid_device *idev, u32 *pt_id);
int ioasid_device_replace(struct ioasid_device *idev, u32 *pt_id);
void ioasid_device_detach(struct ioasid_device *idev);

int ioasid_device_allow_pasid(struct ioasid_device *idev, ioasid_t first,
			      ioasid_t last, u32 configs);
void ioasid_device_revoke_pasid(struct ioasid_device *idev, ioasid_t first,
				ioasid_t last);
int ioasid_device_pasid_attach(struct ioasid_device *idev, ioasid_t pasid,
			       u32 *pt_id);
int ioasid_device_pasid_replace(struct ioasid_device *idev, ioasid_t pasid,
				u32 *pt_id);
void ioasid_device_pasid_detach(struct ioasid_device *idev, ioasid_t pasid);

int ioasid_kernel_pasid_alloc(struct device *dev, ioasid_t *pasid);
void ioasid_kernel_pasid_free(struct device *dev, ioasid_t pasid);

struct ioasid_access *ioasid_access_create(struct ioasid_ctx *ctx,
					   u32 ioas_id,
					   const struct ioasid_access_ops *ops,
					   void *data);
void ioasid_access_destroy(struct ioasid_access *access);
int ioasid_access_populate(struct ioasid_access *access);
u32 ioasid_access_id(struct ioasid_access *access);
u32 ioasid_access_ioas_id(struct ioasid_access *access);

struct ioasid_device *ioasid_device_bind_emulated(struct ioasid_ctx *ctx,
						  struct device *dev,
						  u32 nr_pasids, u32 *out_id);
struct ioasid_access *
ioasid_device_access_create(struct ioasid_device *idev, ioasid_t pasid,
			    u32 ioas_id, const struct ioasid_access_ops *ops,
			    void *data);
int ioasid_access_replace(struct ioasid_access *access, u32 ioas_id);
int ioasid_access_pin_pages(struct ioasid_access *access, unsigned long iova,
			    unsigned long length, struct page **out_pages,
			    unsigned int flags);
void ioasid_access_unpin_pages(struct ioasid_access *access,
			       unsigned long iova, unsigned long length);
int ioasid_access_rw(struct ioasid_access *access, unsigned long iova,
		     void *data, size_t length, unsigned int flags);
#else
static inline struct ioasid_ctx *ioasid_ctx_from_fd(int fd)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void ioasid_ctx_put(struct ioasid_ctx *ctx)
{
}

static inline struct ioasid_device *
ioasid_device_bind(struct ioasid_ctx *ctx, struct device *dev, u32 *out_id)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void ioasid_device_unbind(struct ioasid_device *idev)
{
}

static inline u32 ioasid_device_id(struct ioasid_device *idev)
{
	return 0;
}

static inline int ioasid_device_attach(struct ioasid_device *idev,
				       u32 *pt_id)
{
	return -EOPNOTSUPP;
}

static inline int ioasid_device_replace(struct ioasid_device *idev,
					u32 *pt_id)
{
	return -EOPNOTSUPP;
}

static inline void ioasid_device_detach(struct ioasid_device *idev)
{
}

static inline int ioasid_device_allow_pasid(struct ioasid_device *idev,
					    ioasid_t first, ioasid_t last,
					    u32 configs)
{
	return -EOPNOTSUPP;
}

static inline void ioasid_device_revoke_pasid(struct ioasid_device *idev,
					      ioasid_t first, ioasid_t last)
{
}

static inline int ioasid_device_pasid_attach(struct ioasid_device *idev,
					     ioasid_t pasid, u32 *pt_id)
{
	return -EOPNOTSUPP;
}

static inline int ioasid_device_pasid_replace(struct ioasid_device *idev,
					      ioasid_t pasid, u32 *pt_id)
{
	return -EOPNOTSUPP;
}

static inline void ioasid_device_pasid_detach(struct ioasid_device *idev,
					      ioasid_t pasid)
{
}

static inline int ioasid_kernel_pasid_alloc(struct device *dev,
					    ioasid_t *pasid)
{
	return -EOPNOTSUPP;
}

static inline void ioasid_kernel_pasid_free(struct device *dev,
					    ioasid_t pasid)
{
}

static inline struct ioasid_access *
ioasid_access_create(struct ioasid_ctx *ctx, u32 ioas_id,
		     const struct ioasid_access_ops *ops, void *data)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void ioasid_access_destroy(struct ioasid_access *access)
{
}

static inline int ioasid_access_populate(struct ioasid_access *access)
{
	return -EOPNOTSUPP;
}

static inline u32 ioasid_access_id(struct ioasid_access *access)
{
	return 0;
}

static inline u32 ioasid_access_ioas_id(struct ioasid_access *access)
{
	return 0;
}

static inline struct ioasid_device *
ioasid_device_bind_emulated(struct ioasid_ctx *ctx, struct device *dev,
			    u32 nr_pasids, u32 *out_id)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline struct ioasid_access *
ioasid_device_access_create(struct ioasid_device *idev, ioasid_t pasid,
			    u32 ioas_id, const struct ioasid_access_ops *ops,
			    void *data)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline int ioasid_access_replace(struct ioasid_access *access,
					u32 ioas_id)
{
	return -EOPNOTSUPP;
}

static inline int ioasid_access_pin_pages(struct ioasid_access *access,
					  unsigned long iova,
					  unsigned long length,
					  struct page **out_pages,
					  unsigned int flags)
{
	return -EOPNOTSUPP;
}

static inline void ioasid_access_unpin_pages(struct ioasid_access *access,
					     unsigned long iova,
					     unsigned long length)
{
}

static inline int ioasid_access_rw(struct ioasid_access *access,
				   unsigned long iova, void *data,
				   size_t length, unsigned int flags)
{
	return -EOPNOTSUPP;
}
#endif

#endif /* __LINUX_IOASID_H */
