// SPDX-License-Identifier: GPL-2.0-only
/*
 * In-kernel accesses to an IO address space.
 *
 * A device whose DMA is done by software (a vDPA simulator, a mediated
 * device) has no IOMMU translation to attach.  Its driver reaches an IOAS
 * through an access instead: it pins the pages behind an IOVA range, or
 * copies to and from one.  The pages are the ones the IOAS already holds
 * pinned for its mappings, so an access neither pins nor charges memory a
 * second time.  While an access holds pins in a mapping, the mapping stays;
 * an unmap of it first calls the access's unmap callback, which must let go.
 */
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/ioasid.h>
#include <linux/maple_tree.h>
#include <linux/slab.h>

#include "ioasid_private.h"

/**
 * ioasid_access_create() - Create an in-kernel access to an IOAS
 * @ctx: Context owning the IOAS; the caller keeps its own reference on it
 *       (from ioasid_ctx_from_fd()) until ioasid_access_destroy()
 * @ioas_id: Id of the IOAS in @ctx
 * @ops: Callbacks; @ops->unmap is required
 * @data: Argument passed to the callbacks
 *
 * The access is an object of @ctx, with an id (ioasid_access_id()) that
 * user space can see but not destroy (IOASID_DESTROY fails with EPERM).
 * It holds the IOAS, which user space cannot destroy (EBUSY) until
 * ioasid_access_destroy() or ioasid_access_replace().  May sleep.
 *
 * Return: the access, or ERR_PTR(): -EINVAL without an unmap callback,
 * -ENOENT when @ioas_id names no IOAS, -ENOMEM.
 */
struct ioasid_access *ioasid_access_create(struct ioasid_ctx *ctx,
					   u32 ioas_id,
					   const struct ioasid_access_ops *ops,
					   void *data)
{
	struct ioasid_access *access;
	struct ioasid_ioas *ioas;

	if (!ops || !ops->unmap)
		return ERR_PTR(-EINVAL);

	access = ioasid_object_alloc(ctx, struct ioasid_access,
				     IOASID_OBJ_ACCESS);
	if (IS_ERR(access))
		return access;
	ioas = ioasid_get_ioas(ctx, ioas_id);
	if (IS_ERR(ioas)) {
		ioasid_object_abort(ctx, &access->obj);
		return ERR_CAST(ioas);
	}
	/* The access holds the IOAS until destroyed or replaced. */
	ioasid_object_hold(&ioas->obj);
	ioasid_put_object(&ioas->obj);
	access->ctx = ctx;
	access->ioas = ioas;
	access->ops = ops;
	access->data = data;
	atomic_set(&access->npins, 0);

	mutex_lock(&ioas->access_lock);
	list_add_tail(&access->node, &ioas->accesses);
	mutex_unlock(&ioas->access_lock);
	ioasid_object_finalize(ctx, &access->obj);
	return access;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_create, IOASID);

/**
 * ioasid_device_access_create() - Attach a PASID of an emulated device
 * @idev: Device bound with ioasid_device_bind_emulated()
 * @pasid: Its PASID, from 1 to its PASID count - 1
 * @ioas_id: Id of an IOAS of the device's context
 * @ops: As for ioasid_access_create()
 * @data: As for ioasid_access_create()
 *
 * Creates an access, as ioasid_access_create() does, for the software that
 * does the DMA of @pasid, once the owner's policy permits a paging page
 * table there.  %IOASID_DEVICE_GET_PASID_INFO reports @pasid attached to
 * the IOAS of the access last created for it, until that one is destroyed.
 * To move the PASID to another IOAS without a gap, the owner creates the
 * new access, switches its device over, then destroys the old one.  The
 * owner destroys every access of the device before unbinding it, and
 * before it narrows the policy of their PASIDs.  May sleep.
 *
 * Return: the access, or ERR_PTR(): -EINVAL for a device that is not
 * emulated or a PASID it does not have; -EPERM when the policy does not
 * permit a paging page table on @pasid; the errors of
 * ioasid_access_create().
 */
struct ioasid_access *
ioasid_device_access_create(struct ioasid_device *idev, ioasid_t pasid,
			    u32 ioas_id, const struct ioasid_access_ops *ops,
			    void *data)
{
	struct ioasid_access *access;
	void *old;
	int rc;

	if (!ioasid_device_is_emulated(idev) || pasid == IOMMU_NO_PASID ||
	    pasid >= idev->emulated_pasids)
		return ERR_PTR(-EINVAL);
	mutex_lock(&idev->igroup->lock);
	rc = ioasid_pasid_check_attach(idev, pasid, IOASID_OBJ_IOAS);
	mutex_unlock(&idev->igroup->lock);
	if (rc)
		return ERR_PTR(rc);
	access = ioasid_access_create(idev->ctx, ioas_id, ops, data);
	if (IS_ERR(access))
		return access;

	mutex_lock(&idev->igroup->lock);
	/* The policy may have changed meanwhile: check it where it counts. */
	rc = ioasid_pasid_check_attach(idev, pasid, IOASID_OBJ_IOAS);
	if (!rc) {
		old = xa_store(&idev->accesses, pasid, access,
			       GFP_KERNEL_ACCOUNT);
		rc = xa_err(old);
	}
	if (!rc) {
		access->idev = idev;
		access->pasid = pasid;
	}
	mutex_unlock(&idev->igroup->lock);
	if (rc) {
		ioasid_access_destroy(access);
		return ERR_PTR(rc);
	}
	return access;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_access_create, IOASID);

/* Take the access off its IOAS: no unmap callback comes after this. */
static void ioasid_access_unlink(struct ioasid_access *access)
{
	struct ioasid_ioas *ioas = access->ioas;

	/* Waits for a callback in progress. */
	mutex_lock(&ioas->access_lock);
	list_del(&access->node);
	mutex_unlock(&ioas->access_lock);
	ioasid_object_unhold(&ioas->obj);
}

void ioasid_access_destroy_obj(struct ioasid_object *obj)
{
	struct ioasid_access *access =
		container_of(obj, struct ioasid_access, obj);
	struct ioasid_device *idev = access->idev;

	if (idev) {
		/* A newer access of the PASID stays reported. */
		mutex_lock(&idev->igroup->lock);
		xa_cmpxchg(&idev->accesses, access->pasid, access, NULL, 0);
		mutex_unlock(&idev->igroup->lock);
	}
	ioasid_access_unlink(access);
}

/**
 * ioasid_access_destroy() - Destroy an in-kernel access
 * @access: Access from ioasid_access_create(), without pins
 *
 * Once this returns the unmap callback is not called any more.  May sleep.
 */
void ioasid_access_destroy(struct ioasid_access *access)
{
	/* Leaked pins would keep their mappings forever. */
	WARN_ON(atomic_read(&access->npins));
	/* Nothing holds an access long-term: this cannot fail. */
	ioasid_object_remove(access->ctx, &access->obj, access->obj.id,
			     IOASID_REMOVE_WAIT);
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_destroy, IOASID);

/**
 * ioasid_access_id() - The id of an access in its context
 * @access: The access
 *
 * Return: the id, to report to user space.
 */
u32 ioasid_access_id(struct ioasid_access *access)
{
	return access->obj.id;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_id, IOASID);

/**
 * ioasid_access_ioas_id() - The id of the IOAS an access uses
 * @access: The access
 *
 * Return: the id.
 */
u32 ioasid_access_ioas_id(struct ioasid_access *access)
{
	return access->ioas->obj.id;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_ioas_id, IOASID);

/**
 * ioasid_access_populate() - Report the mappings of the IOAS to an access
 * @access: An access whose ops have a map callback
 *
 * Calls the map callback for every mapping the IOAS holds, one mapping at a
 * time, as a user that mirrors the IOAS needs once after
 * ioasid_access_create() (or ioasid_access_replace()); mappings made from
 * the access's creation on are reported as they are made, and may be
 * reported twice.  Stops at a fatal signal.  May sleep.
 *
 * Return: 0; -EINVAL without a map callback; -EINTR on a fatal signal (the
 * mappings reported so far stay reported).
 */
int ioasid_access_populate(struct ioasid_access *access)
{
	struct ioasid_ioas *ioas = access->ioas;
	unsigned long index = 0, first, last;
	struct ioasid_area *area;
	int rc = 0;

	if (!access->ops->map)
		return -EINVAL;
	/* Serialised with the unmap and map callbacks, like them. */
	mutex_lock(&ioas->access_lock);
	for (;;) {
		down_read(&ioas->rwsem);
		area = mt_find(&ioas->areas, &index, ULONG_MAX);
		if (area) {
			first = area->iova;
			last = ioasid_area_last(area);
		}
		up_read(&ioas->rwsem);
		/* The callback pins: it takes the rwsem itself. */
		if (!area)
			break;
		access->ops->map(access->data, first, last - first + 1);
		if (last == ULONG_MAX)
			break;
		index = last + 1;
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		cond_resched();
	}
	mutex_unlock(&ioas->access_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_populate, IOASID);

/**
 * ioasid_ioas_notify_map() - Report the new mappings of a range to the accesses
 * @ioas: The IOAS, whose rwsem the caller does not hold
 * @first: First IOVA of the mapping
 * @last: Its last IOVA
 */
void ioasid_ioas_notify_map(struct ioasid_ioas *ioas, unsigned long first,
			    unsigned long last)
{
	unsigned long index = first, start, end;
	struct ioasid_access *access;
	struct ioasid_area *area;

	mutex_lock(&ioas->access_lock);
	if (list_empty(&ioas->accesses))
		goto out_unlock;
	/* Mapping by mapping: a copy's range may hold large holes. */
	for (;;) {
		down_read(&ioas->rwsem);
		area = mt_find(&ioas->areas, &index, last);
		if (area) {
			start = max(first, area->iova);
			end = min(last, ioasid_area_last(area));
		}
		up_read(&ioas->rwsem);
		if (!area)
			break;
		list_for_each_entry(access, &ioas->accesses, node)
			if (access->ops->map)
				access->ops->map(access->data, start,
						 end - start + 1);
		if (end >= last)
			break;
		index = end + 1;
		cond_resched();
	}
out_unlock:
	mutex_unlock(&ioas->access_lock);
}

/**
 * ioasid_access_replace() - Point an access at another IOAS
 * @access: The access, without pins
 * @ioas_id: Id of the IOAS, in the access's context, to use from now on
 *
 * For a device whose address space user space switches, as a vDPA device
 * does per virtqueue group.  Copies and pins go to the new IOAS once this
 * returns, and the unmap callback is called for unmaps of the new IOAS
 * only; the old IOAS is no longer held.  The caller serialises this with
 * its own pin and copy calls on @access, and must not hold a lock its
 * unmap callback takes: this waits for a callback in progress.  A user
 * with a map callback keeps it from pinning until this returns: a map of
 * the old IOAS may still be reported until the access leaves it.  May
 * sleep.
 *
 * Return: 0; -EBUSY while the access holds pins; -ENOENT when @ioas_id
 * names no IOAS.
 */
int ioasid_access_replace(struct ioasid_access *access, u32 ioas_id)
{
	struct ioasid_ioas *ioas;

	if (atomic_read(&access->npins))
		return -EBUSY;
	ioas = ioasid_get_ioas(access->ctx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (ioas == access->ioas) {
		ioasid_put_object(&ioas->obj);
		return 0;
	}
	ioasid_object_hold(&ioas->obj);
	ioasid_put_object(&ioas->obj);

	ioasid_access_unlink(access);
	mutex_lock(&ioas->access_lock);
	access->ioas = ioas;
	list_add_tail(&access->node, &ioas->accesses);
	mutex_unlock(&ioas->access_lock);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_replace, IOASID);

/*
 * Check that IOVA [first, last] is mapped without a hole, with @prot
 * allowed everywhere.
 */
static int ioasid_access_check(struct ioasid_ioas *ioas, unsigned long first,
			       unsigned long last, int prot)
{
	unsigned long index = first, next = first;
	struct ioasid_area *area;

	lockdep_assert_held(&ioas->rwsem);
	mt_for_each(&ioas->areas, area, index, last) {
		if (area->iova > next || area->unmapping)
			return -ENOENT;
		if ((area->prot & prot) != prot)
			return -EPERM;
		next = ioasid_area_last(area) + 1;
		/* The area reaches the end of the address space. */
		if (!next)
			return 0;
	}
	return next > last ? 0 : -ENOENT;
}

/* Check the arguments of a pin or a copy; on success *last is set. */
static int ioasid_access_args(unsigned long iova, unsigned long length,
			      unsigned int flags, unsigned long *last)
{
	if (flags & ~IOASID_ACCESS_WRITE)
		return -EINVAL;
	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, last))
		return -EOVERFLOW;
	return 0;
}

/**
 * ioasid_access_pin_pages() - Pin the pages behind an IOVA range
 * @access: The access
 * @iova: First IOVA, of any alignment
 * @length: Bytes, not zero
 * @out_pages: Filled with the struct page of every page the range touches,
 *             from the one holding @iova on, in IOVA order
 * @flags: %IOASID_ACCESS_WRITE when the pages will be written
 *
 * The pages stay valid until ioasid_access_unpin_pages() with the same
 * @iova and @length, which the unmap callback calls at the latest.  They
 * are the pages pinned for the mappings, so nothing is charged again.
 * May sleep.
 *
 * Return: 0; -EINVAL for a zero @length or unknown @flags; -EOVERFLOW for a
 * range that wraps; -ENOENT when part of the range is not mapped, or is
 * being unmapped (the unmap callback is on its way); -EPERM
 * when a mapping does not allow reading, or writing with
 * %IOASID_ACCESS_WRITE.
 */
int ioasid_access_pin_pages(struct ioasid_access *access, unsigned long iova,
			    unsigned long length, struct page **out_pages,
			    unsigned int flags)
{
	struct ioasid_ioas *ioas = access->ioas;
	unsigned long last, index, first_page;
	int prot = IOMMU_READ;
	struct ioasid_area *area;
	int rc;

	rc = ioasid_access_args(iova, length, flags, &last);
	if (rc)
		return rc;
	if (flags & IOASID_ACCESS_WRITE)
		prot |= IOMMU_WRITE;

	first_page = iova & PAGE_MASK;
	down_read(&ioas->rwsem);
	rc = ioasid_access_check(ioas, iova, last, prot);
	if (rc)
		goto out_unlock;
	index = iova;
	mt_for_each(&ioas->areas, area, index, last) {
		unsigned long start = max(first_page, area->iova);
		unsigned long end = min(last, ioasid_area_last(area));
		unsigned long n = ((end - start) >> PAGE_SHIFT) + 1;

		ioasid_pages_get_pages(area->pages,
				       (start - area->iova) >> PAGE_SHIFT, n,
				       out_pages + ((start - first_page) >>
						    PAGE_SHIFT));
		atomic_inc(&area->num_accesses);
	}
	atomic_inc(&access->npins);
out_unlock:
	up_read(&ioas->rwsem);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_pin_pages, IOASID);

/**
 * ioasid_access_unpin_pages() - Undo ioasid_access_pin_pages()
 * @access: The access
 * @iova: @iova of the pin
 * @length: @length of the pin
 *
 * May sleep.
 */
void ioasid_access_unpin_pages(struct ioasid_access *access,
			       unsigned long iova, unsigned long length)
{
	struct ioasid_ioas *ioas = access->ioas;
	struct ioasid_area *area;
	unsigned long last;

	if (WARN_ON(ioasid_access_args(iova, length, 0, &last)))
		return;
	/* The pinned areas cannot go away, so the same ones are found. */
	down_read(&ioas->rwsem);
	mt_for_each(&ioas->areas, area, iova, last)
		WARN_ON(!atomic_add_unless(&area->num_accesses, -1, 0));
	up_read(&ioas->rwsem);
	WARN_ON(atomic_dec_if_positive(&access->npins) < 0);
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_unpin_pages, IOASID);

/**
 * ioasid_access_rw() - Copy to or from an IOVA range
 * @access: The access
 * @iova: First IOVA, of any alignment
 * @data: Kernel buffer of @length bytes
 * @length: Bytes to copy, not zero
 * @flags: %IOASID_ACCESS_WRITE to copy @data into the IOAS's memory, as a
 *         device write; else the memory is read into @data
 *
 * Nothing is copied unless the whole range is mapped with the permission
 * the copy needs.  May sleep.
 *
 * Return: 0; -EINVAL for a zero @length or unknown @flags; -EOVERFLOW for a
 * range that wraps; -ENOENT when part of the range is not mapped, or is
 * being unmapped (the unmap callback is on its way); -EPERM
 * when a mapping does not allow the device to read (or, with
 * %IOASID_ACCESS_WRITE, to write) it.
 */
int ioasid_access_rw(struct ioasid_access *access, unsigned long iova,
		     void *data, size_t length, unsigned int flags)
{
	struct ioasid_ioas *ioas = access->ioas;
	bool write = flags & IOASID_ACCESS_WRITE;
	struct ioasid_area *area;
	unsigned long last, index;
	int rc;

	rc = ioasid_access_args(iova, length, flags, &last);
	if (rc)
		return rc;

	down_read(&ioas->rwsem);
	rc = ioasid_access_check(ioas, iova, last,
				 write ? IOMMU_WRITE : IOMMU_READ);
	if (rc)
		goto out_unlock;
	index = iova;
	mt_for_each(&ioas->areas, area, index, last) {
		unsigned long pos = max(iova, area->iova);
		unsigned long end = min(last, ioasid_area_last(area));

		while (pos <= end) {
			size_t offset = offset_in_page(pos);
			size_t n = min_t(size_t, PAGE_SIZE - offset,
					 end - pos + 1);
			struct page *page;

			ioasid_pages_get_pages(area->pages,
					       (pos - area->iova) >> PAGE_SHIFT,
					       1, &page);
			if (write)
				memcpy_to_page(page, offset,
					       data + (pos - iova), n);
			else
				memcpy_from_page(data + (pos - iova), page,
						 offset, n);
			pos += n;
			/* @end may be the last address: stop before wrapping. */
			if (!pos)
				break;
			cond_resched();
		}
	}
out_unlock:
	up_read(&ioas->rwsem);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_rw, IOASID);
