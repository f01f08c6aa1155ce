// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-vdpa on /dev/ioasid.
 *
 * VHOST_VDPA_BIND_IOASID binds the vDPA device of a vhost-vdpa file to a
 * /dev/ioasid context and declares, through the ALLOW_PASID interface, what
 * user space may do with each of its address spaces (ASID a is PASID a + 1):
 * the ASIDs of the data virtqueues are handed to /dev/ioasid, where they may
 * be attached to an IOAS; the ASID of a virtio-net control virtqueue in a
 * group of its own stays with vhost-vdpa, whose IOTLB messages keep serving
 * it, as a VMM that shadows the control virtqueue needs.
 *
 * A parent whose DMA is done by software or by the device's own
 * translation (vdpa_sim, and parents with set_map) is bound to the context
 * as an emulated device, and each attached ASID is served by an in-kernel
 * access to the IOAS.  The access mirrors the IOAS
 * into the device: every mapping is pinned through the access (the pages
 * the IOAS pinned already: nothing is pinned or charged twice) and given to
 * the device with its physical addresses; an unmap first takes the range
 * out of the device, then unpins it.  Attaching an attached ASID builds the
 * new mirror beside the old one, switches the device over in one set_map()
 * and only then lets the old one go.
 *
 * A parent behind a platform IOMMU (no set_map, no dma_map: vhost-vdpa
 * gives it an IOMMU domain of its own, and it has a single ASID) is bound
 * as VFIO binds a device: the device that does its DMA is bound to the
 * context, vhost-vdpa's domain is detached and freed first, and ASID 0 is
 * the device's RID, attached to an IOAS or a HWPT of the context.  After
 * the unbind, vhost-vdpa gets a new domain of its own; when that fails, the
 * binding stays, unbound and with no domain, so that vhost's IOTLB keeps
 * away from the device, until an unbind succeeds or the file is closed.
 *
 * Locking: the ioctls run under the vhost device's mutex.  The access
 * callbacks of an ASID run under the IOAS's access lock and take the
 * ASID's lock (&struct vdpa_ioasid_as.lock), inside which they pin, unpin
 * and call the parent's map operations; the ioctls take the ASID's lock
 * only around switching the device, never while creating or destroying an
 * access.
 */
#include <linux/ioasid.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <linux/vdpa.h>
#include <linux/vhost_iotlb.h>
#include <uapi/linux/virtio_ids.h>

#include "vdpa_ioasid.h"

MODULE_IMPORT_NS(IOASID);

/* The granule of one pin: a range of at most this size, aligned to it. */
#define VDPA_IOASID_CHUNK	SZ_2M
#define VDPA_IOASID_NONE	U32_MAX
/* A vhost_iotlb takes no entry without a limit: the mirrors have none. */
#define VDPA_IOASID_NO_LIMIT	UINT_MAX

struct vdpa_ioasid_as;

/**
 * struct vdpa_ioasid_mirror - What one access of an ASID holds
 * @as: The ASID
 * @access: The access; NULL until its creation returned, when its
 *          callbacks have nothing to do yet
 * @pins: The IOVA ranges pinned through @access, one pin call each
 * @pa: The IOVA to physical address runs of the pinned pages, with their
 *      permission: what the device translates with while the mirror is the
 *      ASID's current one
 */
struct vdpa_ioasid_mirror {
	struct vdpa_ioasid_as *as;
	struct ioasid_access *access;
	struct vhost_iotlb pins;
	struct vhost_iotlb pa;
};

/**
 * struct vdpa_ioasid_as - An ASID of a bound device
 * @vi: The binding
 * @asid: The ASID
 * @lock: Serialises the callbacks of the ASID's mirrors and what the device
 *        is given
 * @cur: The mirror the device translates the ASID with, or NULL: nothing
 *       translates
 * @pages: Room for the pages of one pin, under @lock
 */
struct vdpa_ioasid_as {
	struct vhost_vdpa_ioasid *vi;
	u32 asid;
	struct mutex lock; /* see above */
	struct vdpa_ioasid_mirror *cur;
	struct page **pages;
};

/**
 * struct vhost_vdpa_ioasid - The binding of a vhost-vdpa device
 * @vdpa: The vDPA device
 * @ctx: The context, referenced
 * @idev: The device in the context
 * @kept_asid: The ASID vhost-vdpa keeps, or %VDPA_IOASID_NONE
 * @cvq_group: The group of the control virtqueue, or %VDPA_IOASID_NONE
 * @cbs: vhost-vdpa's callbacks
 * @priv: Their argument
 * @platform: The parent is behind a platform IOMMU
 * @attached: For @platform: ASID 0, the RID, is attached
 * @nas: Number of ASIDs
 * @as: The ASIDs
 *
 * @ctx and @idev are NULL while a parent behind a platform IOMMU has no
 * IOMMU domain: after an unbind that could not give it one.
 */
struct vhost_vdpa_ioasid {
	struct vdpa_device *vdpa;
	struct ioasid_ctx *ctx;
	struct ioasid_device *idev;
	u32 kept_asid;
	u32 cvq_group;
	const struct vhost_vdpa_ioasid_cbs *cbs;
	void *priv;
	bool platform;
	bool attached;
	u32 nas;
	struct vdpa_ioasid_as as[] __counted_by(nas);
};

static const struct vdpa_config_ops *vdpa_ioasid_ops(struct vdpa_ioasid_as *as)
{
	return as->vi->vdpa->config;
}

/* Give the device the whole of @m, or nothing for NULL, in one step. */
static int vdpa_ioasid_dev_set(struct vdpa_ioasid_as *as,
			       struct vdpa_ioasid_mirror *m)
{
	struct vdpa_device *vdpa = as->vi->vdpa;
	struct vhost_iotlb empty;
	int rc;

	lockdep_assert_held(&as->lock);
	if (m)
		return vdpa->config->set_map(vdpa, as->asid, &m->pa);
	vhost_iotlb_init(&empty, 0, 0);
	rc = vdpa->config->set_map(vdpa, as->asid, &empty);
	vhost_iotlb_reset(&empty);
	return rc;
}

/* After a change of the current mirror, for a parent without dma_map. */
static void vdpa_ioasid_dev_sync(struct vdpa_ioasid_mirror *m)
{
	struct vdpa_ioasid_as *as = m->as;

	if (as->cur != m || vdpa_ioasid_ops(as)->dma_map)
		return;
	/* Only what @m holds pinned may stay in the device. */
	if (vdpa_ioasid_dev_set(as, m)) {
		vdpa_ioasid_dev_set(as, NULL);
		dev_warn_ratelimited(&as->vi->vdpa->dev,
				     "ASID %u: the device's map failed\n",
				     as->asid);
	}
}

static void vdpa_ioasid_pin_range(struct vdpa_ioasid_mirror *m,
				  unsigned long first, unsigned long last);

/* Pin one chunk [first, last] and give it to the device when current. */
static void vdpa_ioasid_pin_chunk(struct vdpa_ioasid_mirror *m,
				  unsigned long first, unsigned long last)
{
	struct vdpa_ioasid_as *as = m->as;
	const struct vdpa_config_ops *ops = vdpa_ioasid_ops(as);
	unsigned long npages, i, j, pfn, start, end;
	unsigned long length = last - first + 1;
	struct page **pages = as->pages;
	u32 perm = VHOST_MAP_RW;
	int rc;

	npages = length >> PAGE_SHIFT;
	rc = ioasid_access_pin_pages(m->access, first, length, pages,
				     IOASID_ACCESS_WRITE);
	if (rc == -EPERM) {
		perm = VHOST_MAP_RO;
		rc = ioasid_access_pin_pages(m->access, first, length, pages,
					     0);
	}
	if (rc) {
		/*
		 * Part of it is gone, being unmapped, or not readable: take
		 * the pages that can be taken.
		 */
		if (npages > 1)
			for (i = 0; i < npages; i++)
				vdpa_ioasid_pin_chunk(m,
						      first + (i << PAGE_SHIFT),
						      first + ((i + 1) << PAGE_SHIFT) - 1);
		return;
	}
	if (vhost_iotlb_add_range(&m->pins, first, last, 0, perm))
		goto err_unpin;
	for (i = 0; i < npages; i = j) {
		pfn = page_to_pfn(pages[i]);
		for (j = i + 1; j < npages; j++)
			if (page_to_pfn(pages[j]) != pfn + (j - i))
				break;
		start = first + (i << PAGE_SHIFT);
		end = first + (j << PAGE_SHIFT) - 1;
		if (vhost_iotlb_add_range(&m->pa, start, end, PFN_PHYS(pfn),
					  perm))
			goto err_pa;
		if (as->cur == m && ops->dma_map &&
		    ops->dma_map(as->vi->vdpa, as->asid, start, end - start + 1,
				 PFN_PHYS(pfn), perm, NULL))
			goto err_pa;
	}
	vdpa_ioasid_dev_sync(m);
	return;

err_pa:
	if (as->cur == m && ops->dma_map)
		ops->dma_unmap(as->vi->vdpa, as->asid, first, length);
	vhost_iotlb_del_range(&m->pa, first, last);
	vhost_iotlb_del_range(&m->pins, first, last);
err_unpin:
	ioasid_access_unpin_pages(m->access, first, length);
	dev_warn_ratelimited(&as->vi->vdpa->dev,
			     "ASID %u: IOVA 0x%lx-0x%lx left out\n",
			     as->asid, first, last);
}

/* Pin what is not pinned yet of [first, last], chunk by chunk. */
static void vdpa_ioasid_pin_range(struct vdpa_ioasid_mirror *m,
				  unsigned long first, unsigned long last)
{
	unsigned long pos = first, end, chunk_end;
	struct vhost_iotlb_map *pin;

	lockdep_assert_held(&m->as->lock);
	while (pos <= last) {
		pin = vhost_iotlb_itree_first(&m->pins, pos, last);
		if (pin && pin->start <= pos) {
			if (pin->last >= last)
				return;
			pos = pin->last + 1;
			continue;
		}
		end = pin ? pin->start - 1 : last;
		while (pos <= end) {
			chunk_end = ALIGN_DOWN(pos, VDPA_IOASID_CHUNK) +
				    VDPA_IOASID_CHUNK - 1;
			chunk_end = min(end, chunk_end);
			vdpa_ioasid_pin_chunk(m, pos, chunk_end);
			if (chunk_end == ULONG_MAX)
				return;
			pos = chunk_end + 1;
			cond_resched();
		}
	}
}

/* The map callback: user space mapped [iova, iova + length - 1]. */
static void vdpa_ioasid_map(void *data, unsigned long iova,
			    unsigned long length)
{
	struct vdpa_ioasid_mirror *m = data;

	mutex_lock(&m->as->lock);
	if (m->access)
		vdpa_ioasid_pin_range(m, iova, iova + length - 1);
	mutex_unlock(&m->as->lock);
}

/* Take [first, last] out of the device and unpin it; the lock is held. */
static void vdpa_ioasid_unpin_range(struct vdpa_ioasid_mirror *m,
				    unsigned long first, unsigned long last,
				    unsigned long *lo, unsigned long *hi)
{
	struct vdpa_ioasid_as *as = m->as;
	const struct vdpa_config_ops *ops = vdpa_ioasid_ops(as);
	struct vhost_iotlb_map *pin;

	*lo = first;
	*hi = last;
	/* The device lets go first: no DMA uses the pages once unpinned. */
	for (pin = vhost_iotlb_itree_first(&m->pins, first, last); pin;
	     pin = vhost_iotlb_itree_next(pin, first, last)) {
		*lo = min_t(unsigned long, *lo, pin->start);
		*hi = max_t(unsigned long, *hi, pin->last);
		if (as->cur == m && ops->dma_map)
			ops->dma_unmap(as->vi->vdpa, as->asid, pin->start,
				       pin->size);
		vhost_iotlb_del_range(&m->pa, pin->start, pin->last);
	}
	vdpa_ioasid_dev_sync(m);
	while ((pin = vhost_iotlb_itree_first(&m->pins, first, last))) {
		ioasid_access_unpin_pages(m->access, pin->start, pin->size);
		vhost_iotlb_map_free(&m->pins, pin);
	}
}

/* The unmap callback: let go of [iova, iova + length - 1]. */
static void vdpa_ioasid_unmap(void *data, unsigned long iova,
			      unsigned long length)
{
	struct vdpa_ioasid_mirror *m = data;
	unsigned long last = iova + length - 1, lo, hi;

	mutex_lock(&m->as->lock);
	if (m->access) {
		vdpa_ioasid_unpin_range(m, iova, last, &lo, &hi);
		/* A pin that reached out of the range: take those parts back. */
		if (lo < iova)
			vdpa_ioasid_pin_range(m, lo, iova - 1);
		if (hi > last)
			vdpa_ioasid_pin_range(m, last + 1, hi);
	}
	mutex_unlock(&m->as->lock);
}

static const struct ioasid_access_ops vdpa_ioasid_access_ops = {
	.unmap = vdpa_ioasid_unmap,
	.map = vdpa_ioasid_map,
};

/* Unpin everything of a mirror the device no longer uses, and free it. */
static void vdpa_ioasid_mirror_free(struct vdpa_ioasid_mirror *m)
{
	struct ioasid_access *access = m->access;
	unsigned long lo, hi;

	if (access) {
		mutex_lock(&m->as->lock);
		WARN_ON(m->as->cur == m);
		vdpa_ioasid_unpin_range(m, 0, ULONG_MAX, &lo, &hi);
		/* A map callback until the destroy below pins nothing. */
		m->access = NULL;
		mutex_unlock(&m->as->lock);
		/* No callback comes after this. */
		ioasid_access_destroy(access);
	}
	vhost_iotlb_reset(&m->pa);
	vhost_iotlb_reset(&m->pins);
	kfree(m);
}

static int vdpa_ioasid_attach(struct vhost_vdpa_ioasid *vi, u32 asid,
			      u32 ioas_id)
{
	struct vdpa_ioasid_as *as = &vi->as[asid];
	struct vdpa_ioasid_mirror *m, *old;
	struct ioasid_access *access;
	int rc;

	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;
	m->as = as;
	vhost_iotlb_init(&m->pins, VDPA_IOASID_NO_LIMIT, 0);
	vhost_iotlb_init(&m->pa, VDPA_IOASID_NO_LIMIT, 0);
	access = ioasid_device_access_create(vi->idev, asid + 1, ioas_id,
					     &vdpa_ioasid_access_ops, m);
	if (IS_ERR(access)) {
		kfree(m);
		return PTR_ERR(access);
	}
	mutex_lock(&as->lock);
	m->access = access;
	mutex_unlock(&as->lock);
	/* Mappings made from now on were reported, or are in the IOAS. */
	rc = ioasid_access_populate(access);
	if (rc)
		goto err_free;

	/* The switch: the device goes from the old mirror to the new one. */
	mutex_lock(&as->lock);
	old = as->cur;
	as->cur = m;
	rc = vdpa_ioasid_dev_set(as, m);
	if (rc) {
		/*
		 * The device may hold part of @m, which is about to be
		 * unpinned: back to the old mirror, whose pins stay, or to
		 * nothing.
		 */
		as->cur = old;
		if (vdpa_ioasid_dev_set(as, old)) {
			vdpa_ioasid_dev_set(as, NULL);
			dev_warn_ratelimited(&vi->vdpa->dev,
					     "ASID %u: map lost\n", asid);
		}
	}
	mutex_unlock(&as->lock);
	if (rc)
		goto err_free;
	if (old)
		vdpa_ioasid_mirror_free(old);
	return 0;

err_free:
	vdpa_ioasid_mirror_free(m);
	return rc;
}

static void vdpa_ioasid_detach(struct vhost_vdpa_ioasid *vi, u32 asid)
{
	struct vdpa_ioasid_as *as = &vi->as[asid];
	struct vdpa_ioasid_mirror *old;

	mutex_lock(&as->lock);
	old = as->cur;
	as->cur = NULL;
	/* An empty map needs no memory: it only fails for a broken parent. */
	if (old && vdpa_ioasid_dev_set(as, NULL))
		dev_warn(&vi->vdpa->dev, "ASID %u: detach failed\n", asid);
	mutex_unlock(&as->lock);
	if (old)
		vdpa_ioasid_mirror_free(old);
}

/* ASID 0 of a parent behind a platform IOMMU: its RID, to an IOAS or HWPT. */
static int vdpa_ioasid_attach_rid(struct vhost_vdpa_ioasid *vi, u32 pt_id)
{
	int rc;

	if (vi->attached)
		return ioasid_device_replace(vi->idev, &pt_id);
	rc = ioasid_device_attach(vi->idev, &pt_id);
	if (!rc)
		vi->attached = true;
	return rc;
}

/* The group of a virtio-net control virtqueue that has a group of its own. */
static u32 vdpa_ioasid_cvq_group(struct vdpa_device *vdpa)
{
	const struct vdpa_config_ops *ops = vdpa->config;
	u32 group;

	if (vdpa->nas < 2 || vdpa->ngroups < 2 || vdpa->nvqs < 2 ||
	    !ops->get_vq_group || !ops->set_group_asid ||
	    ops->get_device_id(vdpa) != VIRTIO_ID_NET)
		return VDPA_IOASID_NONE;
	/* The control virtqueue is a virtio-net device's last one. */
	group = ops->get_vq_group(vdpa, vdpa->nvqs - 1);
	if (group == ops->get_vq_group(vdpa, 0) || group >= vdpa->ngroups)
		return VDPA_IOASID_NONE;
	return group;
}

/* Each handed ASID translates nothing; the control group is kept apart. */
static void vdpa_ioasid_set_device(struct vhost_vdpa_ioasid *vi)
{
	const struct vdpa_config_ops *ops = vi->vdpa->config;
	u32 asid;

	/* A device reset does not touch the platform IOMMU. */
	if (vi->platform)
		return;
	for (asid = 0; asid < vi->nas; asid++) {
		struct vdpa_ioasid_as *as = &vi->as[asid];

		if (asid == vi->kept_asid)
			continue;
		mutex_lock(&as->lock);
		if (vdpa_ioasid_dev_set(as, as->cur))
			dev_warn(&vi->vdpa->dev, "ASID %u: map lost\n", asid);
		mutex_unlock(&as->lock);
	}
	if (vi->cvq_group != VDPA_IOASID_NONE &&
	    ops->set_group_asid(vi->vdpa, vi->cvq_group, vi->kept_asid))
		dev_warn(&vi->vdpa->dev, "control group not moved\n");
}

static void vdpa_ioasid_free(struct vhost_vdpa_ioasid *vi)
{
	u32 asid;

	for (asid = 0; asid < vi->nas; asid++) {
		kvfree(vi->as[asid].pages);
		mutex_destroy(&vi->as[asid].lock);
	}
	kfree(vi);
}

static struct vhost_vdpa_ioasid *
vdpa_ioasid_alloc(struct vdpa_device *vdpa,
		  const struct vhost_vdpa_ioasid_cbs *cbs, void *priv)
{
	struct vhost_vdpa_ioasid *vi;
	u32 asid;

	vi = kzalloc(struct_size(vi, as, vdpa->nas), GFP_KERNEL_ACCOUNT);
	if (!vi)
		return NULL;
	vi->nas = vdpa->nas;
	vi->vdpa = vdpa;
	vi->cbs = cbs;
	vi->priv = priv;
	vi->platform = !vdpa->config->set_map && !vdpa->config->dma_map;
	vi->kept_asid = VDPA_IOASID_NONE;
	vi->cvq_group = VDPA_IOASID_NONE;
	for (asid = 0; asid < vi->nas; asid++) {
		struct vdpa_ioasid_as *as = &vi->as[asid];

		as->vi = vi;
		as->asid = asid;
		mutex_init(&as->lock);
		as->pages = kvmalloc_array(VDPA_IOASID_CHUNK >> PAGE_SHIFT,
					   sizeof(*as->pages),
					   GFP_KERNEL_ACCOUNT);
		if (!as->pages) {
			vdpa_ioasid_free(vi);
			return NULL;
		}
	}
	return vi;
}

/*
 * A parent behind a platform IOMMU gets a domain of vhost-vdpa's own again
 * and the binding goes; or, when that fails, the binding stays, unbound.
 */
static int vdpa_ioasid_restore(struct vhost_vdpa_ioasid **pvi,
			       struct vhost_vdpa_ioasid *vi)
{
	int rc = vi->cbs->restore_domain(vi->priv);

	if (rc) {
		*pvi = vi;
		dev_warn(&vi->vdpa->dev,
			 "no IOMMU domain for vhost-vdpa: unbind again\n");
		return rc;
	}
	*pvi = NULL;
	vdpa_ioasid_free(vi);
	return 0;
}

/*
 * Detach every ASID and unbind.  The ASIDs go back to vhost-vdpa empty, not
 * to the parent's default map: the device may be running, with IOVAs in
 * its rings, and a simulator's default is the identity map.  A parent
 * behind a platform IOMMU gets a domain of vhost-vdpa's own, unless the
 * file is closing (@restore false).
 */
static int vdpa_ioasid_unbind(struct vhost_vdpa_ioasid **pvi, bool restore)
{
	struct vhost_vdpa_ioasid *vi = *pvi;
	u32 asid;

	if (vi->idev && vi->platform) {
		if (vi->attached)
			ioasid_device_detach(vi->idev);
		vi->attached = false;
	} else if (vi->idev) {
		for (asid = 0; asid < vi->nas; asid++)
			if (asid != vi->kept_asid)
				vdpa_ioasid_detach(vi, asid);
		ioasid_device_revoke_pasid(vi->idev, 1, vi->nas);
	}
	if (vi->idev) {
		ioasid_device_unbind(vi->idev);
		vi->idev = NULL;
		ioasid_ctx_put(vi->ctx);
		vi->ctx = NULL;
	}
	if (vi->platform && restore)
		return vdpa_ioasid_restore(pvi, vi);
	*pvi = NULL;
	vdpa_ioasid_free(vi);
	return 0;
}

static long vdpa_ioasid_bind(struct vhost_vdpa_ioasid **pvi,
			     struct vdpa_device *vdpa, void __user *argp,
			     u32 usize, const struct vhost_vdpa_ioasid_cbs *cbs,
			     void *priv)
{
	struct vhost_vdpa_bind_ioasid __user *uarg = argp;
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vhost_vdpa_bind_ioasid cmd;
	struct vhost_vdpa_ioasid *vi = *pvi;
	struct ioasid_device *idev;
	bool dropped = vi; /* a binding without a domain is left */
	struct ioasid_ctx *ctx;
	u32 asid, dev_id;
	int rc;

	if (usize < offsetofend(struct vhost_vdpa_bind_ioasid, out_dev_id))
		return -EINVAL;
	rc = copy_struct_from_user(&cmd, sizeof(cmd), argp, usize);
	if (rc)
		return rc;
	if (cmd.flags || cmd.ioasid_fd < 0)
		return -EINVAL;
	if (vi && vi->idev)
		return -EBUSY;
	/*
	 * The device must take physical addresses in set_map(), or be behind
	 * a platform IOMMU: one translating user virtual addresses is not
	 * served, nor one with dma_map() alone.
	 */
	if (vdpa->use_va || !vdpa->nas || (!ops->set_map && ops->dma_map))
		return -EOPNOTSUPP;

	if (!vi) {
		vi = vdpa_ioasid_alloc(vdpa, cbs, priv);
		if (!vi)
			return -ENOMEM;
	}
	if (!vi->platform) {
		vi->cvq_group = vdpa_ioasid_cvq_group(vdpa);
		if (vi->cvq_group != VDPA_IOASID_NONE)
			vi->kept_asid = vdpa->nas - 1;
	}
	for (asid = 0; asid < vi->nas; asid++) {
		if (asid != vi->kept_asid && cbs->as_mapped(priv, asid)) {
			rc = -EBUSY;
			goto err_free;
		}
	}

	ctx = ioasid_ctx_from_fd(cmd.ioasid_fd);
	if (IS_ERR(ctx)) {
		rc = PTR_ERR(ctx);
		goto err_free;
	}
	if (vi->platform) {
		/* DMA ownership is refused while vhost-vdpa's domain is on. */
		if (!dropped)
			cbs->drop_domain(priv);
		dropped = true;
		idev = ioasid_device_bind(ctx, vdpa_get_dma_dev(vdpa), &dev_id);
	} else {
		idev = ioasid_device_bind_emulated(ctx, &vdpa->dev,
						   vi->nas + 1, &dev_id);
	}
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto err_ctx;
	}
	if (!vi->platform) {
		rc = ioasid_device_allow_pasid(idev, 1, vi->nas,
					       IOASID_PASID_CFG_PAGING);
		if (!rc && vi->kept_asid != VDPA_IOASID_NONE)
			rc = ioasid_device_allow_pasid(idev, vi->kept_asid + 1,
						       vi->kept_asid + 1, 0);
		if (rc)
			goto err_unbind;
	}
	if (put_user(dev_id, &uarg->out_dev_id)) {
		rc = -EFAULT;
		goto err_unbind;
	}
	vi->ctx = ctx;
	vi->idev = idev;
	vdpa_ioasid_set_device(vi);
	*pvi = vi;
	return 0;

err_unbind:
	if (!vi->platform)
		ioasid_device_revoke_pasid(idev, 1, vi->nas);
	ioasid_device_unbind(idev);
err_ctx:
	ioasid_ctx_put(ctx);
err_free:
	/* A binding without a domain stays when none can be given again. */
	if (dropped && vdpa_ioasid_restore(pvi, vi))
		return rc;
	if (!dropped)
		vdpa_ioasid_free(vi);
	return rc;
}

/**
 * vhost_vdpa_ioasid_ioctl() - The vhost-vdpa ioctls of /dev/ioasid
 * @pvi: The binding of the vhost-vdpa file, NULL when not bound
 * @vdpa: Its vDPA device
 * @cmd: %VHOST_VDPA_BIND_IOASID, %VHOST_VDPA_UNBIND_IOASID,
 *       %VHOST_VDPA_ATTACH_IOASID or %VHOST_VDPA_DETACH_IOASID
 * @argp: User pointer to the ioctl's struct, which starts with its size
 * @cbs: What the binding asks of vhost-vdpa
 * @priv: Argument of @cbs
 *
 * Called with the vhost device's mutex held.
 *
 * Return: 0 or a negative errno, as documented in
 * include/uapi/linux/vhost_ioasid.h.
 */
long vhost_vdpa_ioasid_ioctl(struct vhost_vdpa_ioasid **pvi,
			     struct vdpa_device *vdpa, unsigned int cmd,
			     void __user *argp,
			     const struct vhost_vdpa_ioasid_cbs *cbs,
			     void *priv)
{
	struct vhost_vdpa_ioasid *vi = *pvi;
	union {
		struct vhost_vdpa_unbind_ioasid unbind;
		struct vhost_vdpa_attach_ioasid attach;
		struct vhost_vdpa_detach_ioasid detach;
	} u;
	size_t min;
	u32 usize;
	int rc;

	if (get_user(usize, (u32 __user *)argp))
		return -EFAULT;
	switch (cmd) {
	case VHOST_VDPA_BIND_IOASID:
		return vdpa_ioasid_bind(pvi, vdpa, argp, usize, cbs, priv);
	case VHOST_VDPA_UNBIND_IOASID:
		min = offsetofend(struct vhost_vdpa_unbind_ioasid, flags);
		break;
	case VHOST_VDPA_ATTACH_IOASID:
		min = offsetofend(struct vhost_vdpa_attach_ioasid, pt_id);
		break;
	case VHOST_VDPA_DETACH_IOASID:
		min = offsetofend(struct vhost_vdpa_detach_ioasid, __reserved);
		break;
	default:
		return -ENOTTY;
	}
	if (usize < min)
		return -EINVAL;
	rc = copy_struct_from_user(&u, min, argp, usize);
	if (rc)
		return rc;
	/* Every struct has flags at the same place. */
	if (u.unbind.flags || !vi)
		return -EINVAL;
	/* Unbound, without a domain: only the unbind may be tried again. */
	if (cmd == VHOST_VDPA_UNBIND_IOASID)
		return vdpa_ioasid_unbind(pvi, true);
	if (!vi->idev)
		return -EINVAL;

	switch (cmd) {
	case VHOST_VDPA_ATTACH_IOASID:
		if (u.attach.asid >= vi->nas)
			return -EINVAL;
		if (vi->platform)
			return vdpa_ioasid_attach_rid(vi, u.attach.pt_id);
		/* The policy of the kept ASID refuses it: -EPERM. */
		return vdpa_ioasid_attach(vi, u.attach.asid, u.attach.pt_id);
	case VHOST_VDPA_DETACH_IOASID:
		if (u.detach.asid >= vi->nas || u.detach.__reserved)
			return -EINVAL;
		if (u.detach.asid == vi->kept_asid)
			return -EPERM;
		if (vi->platform && vi->attached)
			ioasid_device_detach(vi->idev);
		else if (!vi->platform)
			vdpa_ioasid_detach(vi, u.detach.asid);
		vi->attached = false;
		return 0;
	}
	return -ENOTTY;
}

/**
 * vhost_vdpa_ioasid_handed() - Is an ASID /dev/ioasid's
 * @vi: The binding, or NULL
 * @asid: The ASID
 *
 * Return: true when vhost-vdpa's own IOTLB must leave @asid alone.
 */
bool vhost_vdpa_ioasid_handed(struct vhost_vdpa_ioasid *vi, u32 asid)
{
	return vi && asid < vi->nas && asid != vi->kept_asid;
}

/**
 * vhost_vdpa_ioasid_check_group_asid() - May a group move to an ASID
 * @vi: The binding, or NULL
 * @group: The virtqueue group
 * @asid: The ASID it would use
 *
 * Return: 0, or -EPERM for the control virtqueue's group to an ASID
 * handed to /dev/ioasid.
 */
int vhost_vdpa_ioasid_check_group_asid(struct vhost_vdpa_ioasid *vi,
				       u32 group, u32 asid)
{
	if (vi && group == vi->cvq_group && asid != vi->kept_asid)
		return -EPERM;
	return 0;
}

/**
 * vhost_vdpa_ioasid_reset_done() - The device was reset
 * @vi: The binding, or NULL
 *
 * A reset may give the parent its default maps and group ASIDs back: give
 * it the attached IOASes and the kept ASID's control group again.
 */
void vhost_vdpa_ioasid_reset_done(struct vhost_vdpa_ioasid *vi)
{
	if (vi)
		vdpa_ioasid_set_device(vi);
}

/**
 * vhost_vdpa_ioasid_release() - The vhost-vdpa file is closing
 * @pvi: The binding, or NULL
 *
 * Called once the device is reset: detach and unbind.
 */
void vhost_vdpa_ioasid_release(struct vhost_vdpa_ioasid **pvi)
{
	if (!*pvi)
		return;
	vdpa_ioasid_unbind(pvi, false);
}
