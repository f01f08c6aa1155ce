// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault queues of /dev/ioasid.
 *
 * A fault queue receives the I/O page faults of the HWPTs allocated with
 * it: the page requests of devices that can wait for an answer, which the
 * IOMMU core hands to the domain's iopf_handler in groups, and the
 * unrecoverable faults the IOMMU driver reports through
 * report_iommu_fault().  Both become records in a ring that user space
 * maps, or reads with read(); page request groups wait in an xarray, by
 * cookie, until user space answers them (a response ring committed in one
 * call, or write()) or the kernel does, with failure, when the attachment
 * that raised them goes.
 *
 * The object and the file of a queue share &struct ioasid_fault, which
 * lives until both are gone.  A HWPT holds the object, and an attachment
 * its HWPT, so that a group is always answered before the queue can go.
 * See ioasid_private.h for the locking rules.
 */
#include <linux/anon_inodes.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "ioasid_private.h"

/* Unrecoverable faults recorded per queue: a burst of 64 per second. */
#define IOASID_FAULT_EVENT_BURST 64

/**
 * struct ioasid_fault - A fault queue, shared by its object and its file
 * @kref: One reference for the object, one for the file
 * @mutex: Serialises the consumers, see the locking rules
 * @groups: Cookie -> &struct iopf_group waiting for an answer.  Its lock
 *          is the queue's lock, see the locking rules
 * @next_cookie: Next cookie to try, so that cookies are not reused soon
 * @handles: Attach handles of the HWPTs that report here,
 *           &struct ioasid_attach_handle, under the queue's lock
 * @nr_entries: Entries of each ring, a power of two
 * @rec_tail: Records produced, written under the queue's lock; the
 *            header's copy is for user space only
 * @resp_head: Responses consumed, under @mutex
 * @overflow: Groups answered with failure for lack of room, under the
 *            queue's lock
 * @lost_events: Unrecoverable faults dropped, under the queue's lock
 * @ratelimit: Limit of the unrecoverable faults recorded
 * @pages: The pages of the mapping: header, records, responses
 * @nr_pages: Number of @pages
 * @ring: The header page, vmap()ed with the rest
 * @records: The record ring
 * @responses: The response ring
 * @wait: Readers and pollers waiting for a record
 * @eventfd: Signalled when the record ring goes from empty to non-empty,
 *           or NULL
 */
struct ioasid_fault {
	struct kref kref;
	struct mutex mutex; /* serialises consumers, see the locking rules */
	struct xarray groups;
	u32 next_cookie;
	struct list_head handles;
	u32 nr_entries;
	u32 rec_tail;
	u32 resp_head;
	u64 overflow;
	u64 lost_events;
	struct ratelimit_state ratelimit;
	struct page **pages;
	unsigned int nr_pages;
	struct ioasid_fault_ring *ring;
	struct ioasid_fault_record *records;
	struct ioasid_fault_response *responses;
	wait_queue_head_t wait;
	struct eventfd_ctx *eventfd;
};

/**
 * struct ioasid_fault_dev - A device of an attachment that reports faults
 * @node: Entry in &struct ioasid_attach_handle.fault_devs
 * @dev: The device, only compared with the one a fault names
 * @dev_id: Its id in the context
 */
struct ioasid_fault_dev {
	struct list_head node;
	struct device *dev;
	u32 dev_id;
};

/* Answer the groups of @list, taken out of the queue. */
static void ioasid_fault_answer_list(struct list_head *list,
				     enum iommu_page_response_code code)
{
	struct iopf_group *group, *next;

	list_for_each_entry_safe(group, next, list, node) {
		list_del(&group->node);
		iopf_group_response(group, code);
		iopf_free_group(group);
	}
}

/*
 * Answer with failure the groups waiting in @fault that came through
 * @handle (all of them if NULL), from @dev (any device if NULL).
 */
static void ioasid_fault_answer_all(struct ioasid_fault *fault,
				    struct ioasid_attach_handle *handle,
				    struct device *dev)
{
	struct iopf_group *group;
	unsigned long index;
	LIST_HEAD(list);

	xa_lock_irq(&fault->groups);
	xa_for_each(&fault->groups, index, group) {
		if (handle && group->attach_handle != &handle->handle)
			continue;
		if (dev && group->fault_param->dev != dev)
			continue;
		__xa_erase(&fault->groups, index);
		list_add_tail(&group->node, &list);
	}
	xa_unlock_irq(&fault->groups);
	ioasid_fault_answer_list(&list, IOMMU_PAGE_RESP_FAILURE);
}

static void ioasid_fault_release(struct kref *kref)
{
	struct ioasid_fault *fault = container_of(kref, struct ioasid_fault,
						  kref);
	unsigned int i;

	/* HWPTs hold the object: every attachment answered its groups. */
	WARN_ON(!list_empty(&fault->handles));
	ioasid_fault_answer_all(fault, NULL, NULL);
	xa_destroy(&fault->groups);
	if (fault->eventfd)
		eventfd_ctx_put(fault->eventfd);
	vunmap(fault->ring);
	for (i = 0; i < fault->nr_pages; i++)
		__free_page(fault->pages[i]);
	kfree(fault->pages);
	mutex_destroy(&fault->mutex);
	kfree(fault);
}

static void ioasid_fault_put(struct ioasid_fault *fault)
{
	kref_put(&fault->kref, ioasid_fault_release);
}

/* Allocate the rings, charged to the caller, and map them for the kernel. */
static int ioasid_fault_alloc_rings(struct ioasid_fault *fault,
				    u32 nr_entries, u64 *rec_off, u64 *resp_off)
{
	size_t rec_bytes = PAGE_ALIGN(nr_entries *
				      sizeof(struct ioasid_fault_record));
	size_t resp_bytes = PAGE_ALIGN(nr_entries *
				       sizeof(struct ioasid_fault_response));
	unsigned int nr_pages = 1 + (rec_bytes + resp_bytes) / PAGE_SIZE;
	struct page **pages;
	unsigned int i;
	void *va;

	pages = kcalloc(nr_pages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < nr_pages; i++) {
		pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!pages[i])
			goto err_free;
	}
	va = vmap(pages, nr_pages, VM_MAP, PAGE_KERNEL);
	if (!va)
		goto err_free;

	/* Only complete rings are for ioasid_fault_release() to free. */
	fault->pages = pages;
	fault->nr_pages = nr_pages;
	*rec_off = PAGE_SIZE;
	*resp_off = PAGE_SIZE + rec_bytes;
	fault->ring = va;
	fault->records = va + *rec_off;
	fault->responses = va + *resp_off;
	fault->nr_entries = nr_entries;
	fault->ring->nr_entries = nr_entries;
	fault->ring->record_size = sizeof(struct ioasid_fault_record);
	fault->ring->response_size = sizeof(struct ioasid_fault_response);
	return 0;

err_free:
	while (i--)
		__free_page(pages[i]);
	kfree(pages);
	return -ENOMEM;
}

/*
 * Records user space has not consumed, from its head in the header page;
 * more than the ring holds when it wrote a bad head.
 */
static u32 ioasid_fault_rec_used(struct ioasid_fault *fault, u32 tail)
{
	/* Pairs with the consumer's release: it is done with the slots. */
	return tail - smp_load_acquire(&fault->ring->rec_head);
}

/*
 * Publish the records written up to @tail, under the queue's lock, and
 * return whether the ring was empty before them (for the eventfd).
 */
static bool ioasid_fault_publish(struct ioasid_fault *fault, u32 tail)
{
	u32 old = fault->rec_tail;

	/* The records before the tail are visible to whoever reads it. */
	smp_store_release(&fault->rec_tail, tail);
	/* Likewise for user space, which reads the header's copy. */
	smp_store_release(&fault->ring->rec_tail, tail);
	/*
	 * Order the tail before reading the consumer's head: a consumer
	 * that caught up with @old and then reads the tail again either sees
	 * the new records, or is seen here as empty and signalled.
	 */
	smp_mb();
	return READ_ONCE(fault->ring->rec_head) == old;
}

/* Wake the readers and pollers; signal the eventfd if it was empty. */
static void ioasid_fault_notify(struct ioasid_fault *fault, bool was_empty)
{
	wake_up_interruptible_poll(&fault->wait, EPOLLIN | EPOLLRDNORM);
	if (was_empty && fault->eventfd)
		eventfd_signal(fault->eventfd);
}

/* The id of @dev among the devices of @handle, under the queue's lock. */
static u32 ioasid_fault_dev_id(struct ioasid_attach_handle *handle,
			       struct device *dev)
{
	struct ioasid_fault_dev *fdev;

	list_for_each_entry(fdev, &handle->fault_devs, node)
		if (fdev->dev == dev)
			return fdev->dev_id;
	return 0;
}

static u32 ioasid_fault_record_flags(u32 prm_flags)
{
	u32 flags = 0;

	if (prm_flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID)
		flags |= IOASID_FAULT_PASID_VALID;
	if (prm_flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE)
		flags |= IOASID_FAULT_LAST_IN_GROUP;
	if (prm_flags & IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID)
		flags |= IOASID_FAULT_RESPONSE_NEEDS_PASID;
	return flags;
}

static u32 ioasid_fault_record_perm(u32 prm_perm)
{
	u32 perm = 0;

	if (prm_perm & IOMMU_FAULT_PERM_READ)
		perm |= IOASID_FAULT_PERM_READ;
	if (prm_perm & IOMMU_FAULT_PERM_WRITE)
		perm |= IOASID_FAULT_PERM_WRITE;
	if (prm_perm & IOMMU_FAULT_PERM_EXEC)
		perm |= IOASID_FAULT_PERM_EXEC;
	if (prm_perm & IOMMU_FAULT_PERM_PRIV)
		perm |= IOASID_FAULT_PERM_PRIV;
	return perm;
}

/* Write @rec at index @tail of the record ring. */
static void ioasid_fault_write_record(struct ioasid_fault *fault, u32 tail,
				      const struct ioasid_fault_record *rec)
{
	memcpy(&fault->records[tail & (fault->nr_entries - 1)], rec,
	       sizeof(*rec));
}

/**
 * ioasid_fault_iopf_handler() - The iopf_handler of a HWPT's domain
 * @group: A group of page requests, the last one complete
 *
 * Called by the IOMMU core from iommu_report_device_fault(), in process
 * context, with none of our locks held.  Writes one record per request of
 * the group if all of them fit, and keeps the group until it is answered;
 * else answers it with failure at once.
 *
 * Return: 0: the group is always answered, now or later.
 */
static int ioasid_fault_iopf_handler(struct iopf_group *group)
{
	struct ioasid_attach_handle *handle =
		container_of(group->attach_handle, struct ioasid_attach_handle,
			     handle);
	struct ioasid_hwpt *hwpt = handle->hwpt;
	struct ioasid_fault *fault = hwpt->fault->fault;
	struct ioasid_fault_record rec = {
		.type = IOASID_FAULT_PAGE_REQ,
		.hwpt_id = hwpt->obj.id,
	};
	bool delivered = false, was_empty = false;
	struct iopf_fault *iopf;
	u32 cookie, tail, used;
	int rc;

	/* Ours now: a removal of the device's page requests leaves it. */
	iopf_group_dequeue(group);

	xa_lock_irq(&fault->groups);
	/*
	 * Stored and published in one hold of the lock, which the allocation
	 * only drops before storing: a response cannot find the group until
	 * its records are complete.
	 */
	rc = __xa_alloc_cyclic(&fault->groups, &cookie, group,
			       XA_LIMIT(1, U32_MAX), &fault->next_cookie,
			       GFP_KERNEL_ACCOUNT);
	if (rc < 0) {
		fault->overflow++;
		WRITE_ONCE(fault->ring->overflow, fault->overflow);
		goto out_unlock;
	}
	group->cookie = cookie;
	rec.dev_id = ioasid_fault_dev_id(handle, group->fault_param->dev);
	/* A device that left the attachment: its requests are refused. */
	if (!rec.dev_id) {
		__xa_erase(&fault->groups, cookie);
		goto out_unlock;
	}
	tail = fault->rec_tail;
	used = ioasid_fault_rec_used(fault, tail);
	if (used > fault->nr_entries ||
	    group->fault_count > fault->nr_entries - used) {
		__xa_erase(&fault->groups, cookie);
		fault->overflow++;
		WRITE_ONCE(fault->ring->overflow, fault->overflow);
		goto out_unlock;
	}
	rec.cookie = cookie;
	list_for_each_entry(iopf, &group->faults, list) {
		struct iommu_fault_page_request *prm = &iopf->fault.prm;

		rec.flags = ioasid_fault_record_flags(prm->flags);
		rec.pasid = rec.flags & IOASID_FAULT_PASID_VALID ?
			    prm->pasid : 0;
		rec.grpid = prm->grpid;
		rec.perm = ioasid_fault_record_perm(prm->perm);
		rec.addr = prm->addr;
		ioasid_fault_write_record(fault, tail++, &rec);
	}
	was_empty = ioasid_fault_publish(fault, tail);
	delivered = true;
out_unlock:
	xa_unlock_irq(&fault->groups);

	if (!delivered) {
		iopf_group_response(group, IOMMU_PAGE_RESP_FAILURE);
		iopf_free_group(group);
		return 0;
	}
	ioasid_fault_notify(fault, was_empty);
	return 0;
}

/**
 * ioasid_fault_domain_handler() - The fault handler of a HWPT's domain
 * @domain: The domain that refused a DMA
 * @dev: The device that did it
 * @iova: The address it accessed, in the domain's input space
 * @flags: IOMMU_FAULT_READ or IOMMU_FAULT_WRITE
 * @token: The HWPT
 *
 * Called by the IOMMU driver through report_iommu_fault() for a fault no
 * page request answers, possibly in atomic context: records it without
 * allocating, within the rate limit, or counts it as lost.
 *
 * Return: 0, the fault was reported.
 */
static int ioasid_fault_domain_handler(struct iommu_domain *domain,
				       struct device *dev, unsigned long iova,
				       int flags, void *token)
{
	struct ioasid_hwpt *hwpt = token;
	struct ioasid_fault *fault = hwpt->fault->fault;
	struct ioasid_fault_record rec = {
		.type = IOASID_FAULT_EVENT,
		.perm = flags & IOMMU_FAULT_WRITE ? IOASID_FAULT_PERM_WRITE :
						    IOASID_FAULT_PERM_READ,
		.addr = iova,
		.hwpt_id = hwpt->obj.id,
	};
	struct ioasid_attach_handle *handle;
	bool was_empty = false, recorded = false;
	unsigned long irqflags;
	u32 tail;

	xa_lock_irqsave(&fault->groups, irqflags);
	tail = fault->rec_tail;
	if (!__ratelimit(&fault->ratelimit) ||
	    ioasid_fault_rec_used(fault, tail) >= fault->nr_entries) {
		fault->lost_events++;
		WRITE_ONCE(fault->ring->lost_events, fault->lost_events);
		goto out_unlock;
	}
	list_for_each_entry(handle, &fault->handles, fault_node) {
		if (handle->hwpt != hwpt)
			continue;
		rec.dev_id = ioasid_fault_dev_id(handle, dev);
		if (rec.dev_id)
			break;
	}
	ioasid_fault_write_record(fault, tail++, &rec);
	was_empty = ioasid_fault_publish(fault, tail);
	recorded = true;
out_unlock:
	xa_unlock_irqrestore(&fault->groups, irqflags);
	if (recorded)
		ioasid_fault_notify(fault, was_empty);
	return 0;
}

/**
 * ioasid_attach_handle_alloc() - Allocate the attach handle of an attachment
 * @hwpt: The HWPT it attaches
 *
 * With a fault queue on @hwpt, the handle joins the queue's handles, so
 * that the queue's unrecoverable faults find the devices of the
 * attachment; ioasid_attach_handle_add_dev() adds them.
 *
 * Return: the handle, or NULL.
 */
struct ioasid_attach_handle *ioasid_attach_handle_alloc(struct ioasid_hwpt *hwpt)
{
	struct ioasid_attach_handle *handle;
	struct ioasid_fault *fault;

	handle = kzalloc(sizeof(*handle), GFP_KERNEL_ACCOUNT);
	if (!handle)
		return NULL;
	handle->hwpt = hwpt;
	INIT_LIST_HEAD(&handle->fault_node);
	INIT_LIST_HEAD(&handle->fault_devs);
	if (hwpt->fault) {
		fault = hwpt->fault->fault;
		xa_lock_irq(&fault->groups);
		list_add_tail(&handle->fault_node, &fault->handles);
		xa_unlock_irq(&fault->groups);
	}
	return handle;
}

/**
 * ioasid_attach_handle_free() - Free an attach handle the IOMMU core let go
 * @handle: Handle of ioasid_attach_handle_alloc(), or NULL
 *
 * Called once the IOMMU core detached or replaced it, or never attached
 * it: no page request comes through it any more.  Every group that came
 * through it and waits for an answer is answered with failure.
 */
void ioasid_attach_handle_free(struct ioasid_attach_handle *handle)
{
	struct ioasid_fault *fault;

	if (!handle)
		return;
	if (handle->hwpt->fault) {
		fault = handle->hwpt->fault->fault;
		WARN_ON(!list_empty(&handle->fault_devs));
		xa_lock_irq(&fault->groups);
		list_del(&handle->fault_node);
		xa_unlock_irq(&fault->groups);
		ioasid_fault_answer_all(fault, handle, NULL);
	}
	kfree(handle);
}

/*
 * Count an attachment of @idev to a HWPT with a fault queue, and enable
 * the device's page requests with the first.  A device that cannot raise
 * them is attached all the same: its faults are unrecoverable ones.
 */
static int ioasid_fault_iopf_get(struct ioasid_device *idev)
{
	int rc;

	lockdep_assert_held(&idev->igroup->lock);
	if (idev->iopf_users) {
		idev->iopf_users++;
		return 0;
	}
	rc = iommu_dev_enable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
	/* What drivers answer for a device without page requests. */
	if (rc && rc != -ENODEV && rc != -EOPNOTSUPP && rc != -EINVAL)
		return rc;
	idev->iopf_enabled = !rc;
	idev->iopf_users = 1;
	return 0;
}

/* Undo ioasid_fault_iopf_get(), once the device's groups are answered. */
static void ioasid_fault_iopf_put(struct ioasid_device *idev)
{
	lockdep_assert_held(&idev->igroup->lock);
	if (WARN_ON(!idev->iopf_users) || --idev->iopf_users)
		return;
	if (idev->iopf_enabled)
		iommu_dev_disable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
	idev->iopf_enabled = false;
}

/**
 * ioasid_attach_handle_add_dev() - A device joins an attachment
 * @handle: The attachment's handle
 * @idev: The device, under its group's lock
 *
 * With a fault queue on the HWPT, enables the device's page requests
 * (before the IOMMU core attaches the handle) and lets its faults through.
 *
 * Return: 0, -ENOMEM, or the IOMMU driver's error enabling page requests.
 */
int ioasid_attach_handle_add_dev(struct ioasid_attach_handle *handle,
				 struct ioasid_device *idev)
{
	struct ioasid_fault_dev *fdev;
	struct ioasid_fault *fault;
	int rc;

	if (!handle->hwpt->fault)
		return 0;
	fault = handle->hwpt->fault->fault;
	fdev = kzalloc(sizeof(*fdev), GFP_KERNEL_ACCOUNT);
	if (!fdev)
		return -ENOMEM;
	fdev->dev = idev->dev;
	fdev->dev_id = idev->obj.id;
	rc = ioasid_fault_iopf_get(idev);
	if (rc) {
		kfree(fdev);
		return rc;
	}
	xa_lock_irq(&fault->groups);
	list_add_tail(&fdev->node, &handle->fault_devs);
	xa_unlock_irq(&fault->groups);
	return 0;
}

/**
 * ioasid_attach_handle_del_dev() - A device leaves an attachment
 * @handle: The attachment's handle
 * @idev: The device, under its group's lock
 *
 * With a fault queue on the HWPT: the device's page requests that come
 * through @handle from now on are refused, those waiting are answered with
 * failure, and the device's page requests are disabled with its last such
 * attachment.  For the last device of an attachment, called after the
 * IOMMU core detached the handle.
 */
void ioasid_attach_handle_del_dev(struct ioasid_attach_handle *handle,
				  struct ioasid_device *idev)
{
	struct ioasid_fault_dev *fdev, *found = NULL;
	struct ioasid_fault *fault;

	if (!handle->hwpt->fault)
		return;
	fault = handle->hwpt->fault->fault;
	xa_lock_irq(&fault->groups);
	list_for_each_entry(fdev, &handle->fault_devs, node) {
		if (fdev->dev_id == idev->obj.id) {
			found = fdev;
			list_del(&fdev->node);
			break;
		}
	}
	xa_unlock_irq(&fault->groups);
	if (WARN_ON(!found))
		return;
	kfree(found);
	/* No group of it can be stored any more: answer those waiting. */
	ioasid_fault_answer_all(fault, handle, idev->dev);
	ioasid_fault_iopf_put(idev);
}

/**
 * ioasid_get_fault_queue() - Look up a fault queue
 * @ctx: Context
 * @id: Its id
 *
 * Return: the queue, with a lookup reference (ioasid_put_object()), or
 * ERR_PTR(-ENOENT).
 */
struct ioasid_fault_queue *ioasid_get_fault_queue(struct ioasid_ctx *ctx,
						  u32 id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(ctx, id, IOASID_OBJ_FAULT_QUEUE);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_fault_queue, obj);
}

/**
 * ioasid_hwpt_set_fault() - Make a new HWPT report its faults to a queue
 * @hwpt: HWPT, not yet published nor attached
 * @fq: Fault queue, on which the caller holds a lookup; the HWPT holds it
 *
 * Installs the domain's page request and unrecoverable fault handlers.
 */
void ioasid_hwpt_set_fault(struct ioasid_hwpt *hwpt,
			   struct ioasid_fault_queue *fq)
{
	ioasid_object_hold(&fq->obj);
	hwpt->fault = fq;
	hwpt->domain->iopf_handler = ioasid_fault_iopf_handler;
	hwpt->domain->fault_data = hwpt;
	iommu_set_fault_handler(hwpt->domain, ioasid_fault_domain_handler,
				hwpt);
}

/**
 * ioasid_hwpt_put_fault() - Let go of a destroyed HWPT's fault queue
 * @hwpt: HWPT whose domain is freed
 */
void ioasid_hwpt_put_fault(struct ioasid_hwpt *hwpt)
{
	if (hwpt->fault)
		ioasid_object_unhold(&hwpt->fault->obj);
}

/* Carry out one response: 0, -EINVAL for a bad code, -ESRCH. */
static int ioasid_fault_respond_one(struct ioasid_fault *fault,
				    const struct ioasid_fault_response *resp)
{
	enum iommu_page_response_code code;
	struct iopf_group *group;

	switch (resp->code) {
	case IOASID_FAULT_RESP_SUCCESS:
		code = IOMMU_PAGE_RESP_SUCCESS;
		break;
	case IOASID_FAULT_RESP_INVALID:
		code = IOMMU_PAGE_RESP_INVALID;
		break;
	case IOASID_FAULT_RESP_FAILURE:
		code = IOMMU_PAGE_RESP_FAILURE;
		break;
	default:
		return -EINVAL;
	}

	xa_lock_irq(&fault->groups);
	group = xa_load(&fault->groups, resp->cookie);
	if (group)
		__xa_erase(&fault->groups, resp->cookie);
	xa_unlock_irq(&fault->groups);
	if (!group)
		return -ESRCH;
	iopf_group_response(group, code);
	iopf_free_group(group);
	return 0;
}

/*
 * Carry out the responses of the mapped ring, from the kernel's head to
 * the user's tail, stopping at a bad one, which is consumed.
 */
static int ioasid_fault_commit(struct ioasid_fault *fault, u32 *done)
{
	struct ioasid_fault_response resp, *slot;
	u32 head, tail;
	int rc = 0;

	lockdep_assert_held(&fault->mutex);
	*done = 0;
	head = fault->resp_head;
	/* Pairs with the producer's release: the entries are written. */
	tail = smp_load_acquire(&fault->ring->resp_tail);
	if (tail - head > fault->nr_entries)
		return -EINVAL;
	while (head != tail) {
		slot = &fault->responses[head & (fault->nr_entries - 1)];
		resp.cookie = READ_ONCE(slot->cookie);
		resp.code = READ_ONCE(slot->code);
		head++;
		rc = ioasid_fault_respond_one(fault, &resp);
		if (rc)
			break;
		(*done)++;
		cond_resched();
	}
	fault->resp_head = head;
	/* The slots before the head may be reused by user space. */
	smp_store_release(&fault->ring->resp_head, head);
	return rc;
}

/**
 * ioasid_fault_queue_respond_ioctl() - IOASID_FAULT_QUEUE_RESPOND
 * @ucmd: The call; &struct ioasid_fault_queue_respond
 *
 * Return: 0, or the errno of the uAPI doc; out_done is written back in
 * every case but the lookup's.
 */
int ioasid_fault_queue_respond_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_fault_queue_respond *cmd = ucmd->cmd;
	struct ioasid_fault_queue *fq;
	u32 done = 0;
	int rc, rc2;

	if (cmd->__reserved)
		return -EINVAL;
	fq = ioasid_get_fault_queue(ucmd->ctx, cmd->fault_id);
	if (IS_ERR(fq))
		return PTR_ERR(fq);
	mutex_lock(&fq->fault->mutex);
	rc = ioasid_fault_commit(fq->fault, &done);
	mutex_unlock(&fq->fault->mutex);
	ioasid_put_object(&fq->obj);
	cmd->out_done = done;
	rc2 = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	return rc ?: rc2;
}

/* Whether a record waits for the reader, or its head is bad. */
static bool ioasid_fault_readable(struct ioasid_fault *fault)
{
	/* Pairs with ioasid_fault_publish(): the records are written. */
	return smp_load_acquire(&fault->rec_tail) !=
	       READ_ONCE(fault->ring->rec_head);
}

static ssize_t ioasid_fault_fops_read(struct file *filep, char __user *buf,
				      size_t count, loff_t *ppos)
{
	const size_t rec_size = sizeof(struct ioasid_fault_record);
	struct ioasid_fault *fault = filep->private_data;
	u32 head, tail, avail, n, i;
	size_t done = 0;
	int rc;

	if (count < rec_size)
		return -EINVAL;

	mutex_lock(&fault->mutex);
	for (;;) {
		head = READ_ONCE(fault->ring->rec_head);
		/* Pairs with ioasid_fault_publish(): the records are written. */
		tail = smp_load_acquire(&fault->rec_tail);
		avail = tail - head;
		if (avail)
			break;
		mutex_unlock(&fault->mutex);
		if (filep->f_flags & O_NONBLOCK)
			return -EAGAIN;
		rc = wait_event_interruptible(fault->wait,
					      ioasid_fault_readable(fault));
		if (rc)
			return rc;
		mutex_lock(&fault->mutex);
	}
	if (avail > fault->nr_entries) {
		rc = -EINVAL;
		goto out_unlock;
	}

	n = min_t(size_t, avail, count / rec_size);
	for (i = 0; i < n; i++) {
		if (copy_to_user(buf + done,
				 &fault->records[(head + i) &
						 (fault->nr_entries - 1)],
				 rec_size))
			break;
		done += rec_size;
	}
	rc = done ? 0 : -EFAULT;
	/* The slots before the head may be reused by the kernel. */
	smp_store_release(&fault->ring->rec_head, head + i);
out_unlock:
	mutex_unlock(&fault->mutex);
	return done ?: rc;
}

static ssize_t ioasid_fault_fops_write(struct file *filep,
				       const char __user *buf, size_t count,
				       loff_t *ppos)
{
	const size_t resp_size = sizeof(struct ioasid_fault_response);
	struct ioasid_fault *fault = filep->private_data;
	struct ioasid_fault_response resp;
	size_t done = 0;
	u32 nr_done;
	int rc = 0;

	if (count % resp_size)
		return -EINVAL;

	mutex_lock(&fault->mutex);
	if (!count) {
		rc = ioasid_fault_commit(fault, &nr_done);
		goto out_unlock;
	}
	while (done < count) {
		if (copy_from_user(&resp, buf + done, resp_size)) {
			rc = -EFAULT;
			break;
		}
		rc = ioasid_fault_respond_one(fault, &resp);
		if (rc)
			break;
		done += resp_size;
		cond_resched();
	}
out_unlock:
	mutex_unlock(&fault->mutex);
	return done ?: rc;
}

static __poll_t ioasid_fault_fops_poll(struct file *filep,
				       struct poll_table_struct *wait)
{
	struct ioasid_fault *fault = filep->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(filep, &fault->wait, wait);
	if (ioasid_fault_readable(fault))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static int ioasid_fault_fops_mmap(struct file *filep,
				  struct vm_area_struct *vma)
{
	struct ioasid_fault *fault = filep->private_data;
	unsigned long size = vma->vm_end - vma->vm_start;

	if (vma->vm_pgoff || size > (unsigned long)fault->nr_pages << PAGE_SHIFT)
		return -EINVAL;
	/* Both sides see the indices: a private copy would not be seen. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return vm_map_pages(vma, fault->pages, fault->nr_pages);
}

static int ioasid_fault_fops_release(struct inode *inode, struct file *filep)
{
	ioasid_fault_put(filep->private_data);
	return 0;
}

static const struct file_operations ioasid_fault_fops = {
	.owner = THIS_MODULE,
	.read = ioasid_fault_fops_read,
	.write = ioasid_fault_fops_write,
	.poll = ioasid_fault_fops_poll,
	.mmap = ioasid_fault_fops_mmap,
	.release = ioasid_fault_fops_release,
};

/**
 * ioasid_fault_queue_alloc_ioctl() - IOASID_FAULT_QUEUE_ALLOC
 * @ucmd: The call; &struct ioasid_fault_queue_alloc
 *
 * Creates the object and its file, which share the queue; the file
 * descriptor is installed only once everything else succeeded.
 *
 * Return: 0, or the errno of the uAPI doc.
 */
int ioasid_fault_queue_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_fault_queue_alloc *cmd = ucmd->cmd;
	struct ioasid_fault_queue *fq;
	struct ioasid_fault *fault;
	u64 rec_off, resp_off;
	struct file *filep;
	int fdno, rc;

	if (cmd->flags & ~IOASID_FAULT_QUEUE_EVENTFD)
		return -EOPNOTSUPP;
	if (!is_power_of_2(cmd->nr_entries) ||
	    cmd->nr_entries > IOASID_FAULT_QUEUE_MAX_ENTRIES)
		return -EINVAL;
	if (!(cmd->flags & IOASID_FAULT_QUEUE_EVENTFD) && cmd->eventfd)
		return -EINVAL;

	fq = ioasid_object_alloc(ucmd->ctx, struct ioasid_fault_queue,
				 IOASID_OBJ_FAULT_QUEUE);
	if (IS_ERR(fq))
		return PTR_ERR(fq);
	fault = kzalloc(sizeof(*fault), GFP_KERNEL_ACCOUNT);
	if (!fault) {
		rc = -ENOMEM;
		goto err_abort;
	}
	kref_init(&fault->kref);
	mutex_init(&fault->mutex);
	xa_init_flags(&fault->groups, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ |
				      XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&fault->handles);
	init_waitqueue_head(&fault->wait);
	ratelimit_state_init(&fault->ratelimit, HZ, IOASID_FAULT_EVENT_BURST);
	/* Count the dropped ones, do not log them. */
	ratelimit_set_flags(&fault->ratelimit, RATELIMIT_MSG_ON_RELEASE);
	/* From here on the object's destroy operation frees the queue. */
	fq->fault = fault;

	rc = ioasid_fault_alloc_rings(fault, cmd->nr_entries, &rec_off,
				      &resp_off);
	if (rc)
		goto err_destroy;
	if (cmd->flags & IOASID_FAULT_QUEUE_EVENTFD) {
		fault->eventfd = eventfd_ctx_fdget(cmd->eventfd);
		if (IS_ERR(fault->eventfd)) {
			rc = PTR_ERR(fault->eventfd);
			fault->eventfd = NULL;
			goto err_destroy;
		}
	}

	fdno = get_unused_fd_flags(O_CLOEXEC);
	if (fdno < 0) {
		rc = fdno;
		goto err_destroy;
	}
	filep = anon_inode_getfile("[ioasid-fault]", &ioasid_fault_fops, fault,
				   O_RDWR);
	if (IS_ERR(filep)) {
		rc = PTR_ERR(filep);
		goto err_put_fd;
	}
	/* A stream: no file position, no pread() nor pwrite(). */
	stream_open(file_inode(filep), filep);
	kref_get(&fault->kref);

	cmd->out_fault_id = fq->obj.id;
	cmd->out_fault_fd = fdno;
	cmd->out_mmap_size = (u64)fault->nr_pages << PAGE_SHIFT;
	cmd->out_records_offset = rec_off;
	cmd->out_responses_offset = resp_off;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_fput;
	ioasid_object_finalize(ucmd->ctx, &fq->obj);
	fd_install(fdno, filep);
	return 0;

err_fput:
	/* Drops the file's reference on the queue. */
	fput(filep);
err_put_fd:
	put_unused_fd(fdno);
err_destroy:
	ioasid_object_abort_and_destroy(ucmd->ctx, &fq->obj);
	return rc;
err_abort:
	ioasid_object_abort(ucmd->ctx, &fq->obj);
	return rc;
}

/**
 * ioasid_fault_queue_destroy() - Destroy operation of a fault queue object
 * @obj: The object; no HWPT holds it any more
 *
 * Drops the object's reference on the queue, which the file may keep.
 */
void ioasid_fault_queue_destroy(struct ioasid_object *obj)
{
	struct ioasid_fault_queue *fq =
		container_of(obj, struct ioasid_fault_queue, obj);

	ioasid_fault_put(fq->fault);
}
