/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /dev/ioasid internal definitions.
 *
 * Locking rules
 * =============
 *
 * Lock order, outermost first:
 *
 *   1. ioasid_mock_domain->lock, ioasid_mock_dev->lock,
 *      ioasid_mock_access->ioas_lock (test IOMMU driver, mutexes):
 *      serialise attaching one mock domain object to an IOAS and detaching
 *      it, binding one mock device and unbinding it, and the pins, copies
 *      and replace of one mock access.  A driver's lock that serialises
 *      ioasid_access_replace() belongs here: replace waits for the unmap
 *      callbacks of the old IOAS (ioas->access_lock).
 *
 *   1a. igroup->lock (mutex): the attachments of the devices of one IOMMU
 *      group bound to a context (&struct ioasid_attach, per PASID): which
 *      HWPT each is attached to and which devices use it.  The IOMMU
 *      core's group mutex is taken inside it (iommu_attach_group_handle()
 *      and friends).
 *
 *   1b. ioas->hwpt_lock (mutex): the list of HWPTs the IOAS created for
 *      device attachments (auto HWPTs), searched for a compatible one on
 *      attach, and how many attachments each has.  Every attach, replace
 *      and detach of a group holds the lock of the target HWPT's IOAS
 *      while it changes the group's attachment, so that an auto HWPT
 *      leaves the list exactly when its last attachment goes.
 *
 *   2. ioas->access_lock (mutex): protects the list of in-kernel accesses
 *      of an IOAS and serialises the calls of their unmap and map
 *      callbacks, so that an access is never called after
 *      ioasid_access_destroy().  Never taken while holding ioas->rwsem: an
 *      unmap that finds pinned pages drops the rwsem, calls the callbacks
 *      under this lock, and starts over; a map or copy reports the new
 *      mappings after dropping the rwsem.
 *
 *   3. Locks of access users, e.g. ioasid_mock_access->lock (test IOMMU
 *      driver, mutex): held around ioasid_access_pin_pages() and
 *      ioasid_access_unpin_pages(), including inside the unmap callback.
 *
 *   4. ioas->rwsem (rw_semaphore): protects the mappings of an IOAS (its
 *      areas maple tree, whose own spinlock only guards the tree's nodes),
 *      the list of domains attached to it, its allowed ranges and the
 *      ranges its attached devices reserve.  Held for writing while
 *      mappings or domains change, so that every attached domain always
 *      holds exactly the IOAS's mappings; held for reading to report them
 *      and for access pins and copies.  Pinning user memory happens before
 *      it is taken.  An area with access pins (area->num_accesses) is
 *      never removed; an unmap that waits for them marks the area
 *      (area->unmapping) so that no new access pin can starve it, and
 *      clears only the marks it set.  Replies to user space are written
 *      after it is released.
 *
 *   3a. mock_dev->iopf_lock (test IOMMU driver, mutex): serialises the
 *      page requests and unrecoverable fault reports of a mock device with
 *      every change of its RID's and PASIDs' domains.  Taken inside the
 *      IOMMU core's group mutex (the mock's attach_dev, set_dev_pasid and
 *      remove_dev_pasid), hence inside igroup->lock (1a); a mock DMA or
 *      IOASID_TEST_IOPF_INJECT takes it with none of ours held, walks
 *      under it (4a inside), and reports under it through the IOMMU core:
 *      the core's fault parameter lock and the fault queue's lock (below)
 *      nest inside it.
 *
 *   4a. mock_dev->lock, mock_dev->pasids.xa_lock (test IOMMU driver,
 *      spinlocks): the domain of a mock device's RID, and of each of its
 *      PASIDs.  A mock DMA holds one of them while it translates, so that
 *      the domain stays attached.
 *
 *   4b. mock_nested->lock (test IOMMU driver, spinlock): the IOTLB of a
 *      nested mock domain (and its SMMUv3 CD cache).  A DMA through it
 *      holds it, inside 4a, for the walk and the copy; an invalidation
 *      takes it alone, never while copying from user space.
 *
 *   5. mock_domain->ioptes.xa_lock (test IOMMU driver, spinlock): protects
 *      the IOPTE record of one mock paging domain and its stage-2
 *      generation.  Taken inside the IOMMU core's map and unmap paths, and
 *      inside 4a (and 4b for the parent of a nested domain) by a mock DMA,
 *      which walks the stage-1 tables and copies the page under it (the
 *      IOAS unmaps before it unpins).
 *
 * PASIDs (pasid.c):
 *
 *   The owner's policy of a bound device (idev->pasid_policy, a maple tree
 *   with its own spinlock) is changed and read under igroup->lock (1a).
 *   Under igroup->lock too, an attachment claims a global PASID under
 *   ctx->pasids.xa_lock (spinlock: the context's global PASIDs and their
 *   attachment counts), inside which the global table of holders
 *   (ioasid_global_pasids.xa_lock) is read and, on release, erased.
 *   Nothing is taken inside that one.
 *
 * Fault queues (fault.c):
 *
 *   fault->mutex (mutex): serialises the consumers of one fault queue:
 *   read(), write() and IOASID_FAULT_QUEUE_RESPOND, which move the user's
 *   record head (read()) and the kernel's response head.  Taken with no
 *   other lock of ours held; the page responses it sends take the IOMMU
 *   core's fault parameter lock inside it.
 *
 *   fault->groups.xa_lock (spinlock, IRQ-safe, via xa_lock_irq()): the
 *   queue's lock.  Protects the page request groups waiting for an answer
 *   (the xarray itself), the production of records (the ring, the kernel's
 *   record tail and counters), and the attach handles of the HWPTs that
 *   report to the queue with the devices of each.  Taken by the page
 *   request handler (process context, under the IOMMU driver's report
 *   locks) and by the unrecoverable fault handler (any context, possibly
 *   under the test IOMMU driver's 4a locks); also under igroup->lock (1a)
 *   when an attachment changes.  Nothing is taken inside it, and no page
 *   response is sent under it.  The page request handler never takes
 *   igroup->lock, nor any lock held around iommu_attach_*(): the IOMMU
 *   driver may hold a lock of its own that its attach paths take.
 *
 *   idev->iopf_users, idev->iopf_enabled: under igroup->lock (1a), around
 *   the IOMMU driver's IOMMU_DEV_FEAT_IOPF calls.
 *
 * Outside that order:
 *
 *   ctx->objects.xa_lock (spinlock, via xa_lock()): protects the id ->
 *   object table of a context.  A lookup takes its references under it,
 *   and an object leaves the table only under it, in ioasid_object_remove()
 *   (see below).  No other lock is taken under it and nothing under it
 *   sleeps, so it may be taken while holding any of the above.
 *
 * Object lifetime
 * ===============
 *
 * An object is created in two steps.  ioasid_object_alloc() reserves an id
 * (the table entry stays empty, so lookups cannot see it) and returns the
 * object to its creator alone.  Once fully built, ioasid_object_finalize()
 * publishes it; on failure ioasid_object_abort() or
 * ioasid_object_abort_and_destroy() releases the id.  A half-built object
 * is therefore never visible to another thread.
 *
 * A published object has two counts:
 *
 *   @users: 1 for the table, plus 1 for every long-term holder, plus 1 for
 *   every lookup in progress.  A long-term holder is anything that keeps
 *   a pointer to the object beyond one call: a paging HWPT holds its
 *   IOAS, a nested HWPT its parent, an attachment its HWPT, an access its
 *   IOAS.  It takes its reference with
 *   ioasid_object_hold() while it holds a lookup (or another long-term
 *   reference) on the object, and drops it with ioasid_object_unhold().
 *
 *   @shortterm: 1 while the object can be looked up, plus 1 for every
 *   lookup in progress.  ioasid_get_object() takes one on each count under
 *   the table lock; ioasid_put_object() drops both, @users first.
 *
 * Neither count frees the object when it drops.  The object is destroyed
 * only by ioasid_object_remove(), the one way out of the table, which
 * decides under the table lock, atomically, that the table holds the last
 * @users reference (taking it to zero and erasing the entry), and after
 * that waits for the puts that were racing it to drop @shortterm to zero.
 * It then calls the type's destroy operation and frees the object.  It
 * comes in two flavours:
 *
 *   - IOASID_DESTROY and the close of the file (user-initiated): fail with
 *     EBUSY while anything holds the object, and with EPERM for the kinds
 *     of object only the kernel may destroy (bound devices);
 *
 *   - the kernel removing an object it created (a device on unbind, an
 *     IOAS's own HWPT with its last attachment): first drops the lookup
 *     count's base, so that no new lookup succeeds, and waits for the
 *     lookups in progress to end; the caller has made sure beforehand that
 *     no long-term holder can appear, so the removal then cannot fail.
 *
 * With CONFIG_IOASID_TEST, destroying an object that anything still holds
 * is caught with a WARN.
 *
 * What an object shares with something that is not an object has a kref
 * of its own, as pinned pages (&struct ioasid_pages) do: a fault queue's
 * rings (&struct ioasid_fault) are shared with the queue's file, which
 * keeps them after IOASID_DESTROY of the object.  The object's destroy
 * operation drops its reference; nothing but the file reaches the rings
 * after that.
 */
#ifndef __IOASID_PRIVATE_H
#define __IOASID_PRIVATE_H

#include <linux/ioasid.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/wait_bit.h>
#include <linux/xarray.h>

struct file;
struct iommu_domain;
struct mm_struct;
struct user_struct;

enum ioasid_object_type {
	IOASID_OBJ_NONE,
	IOASID_OBJ_ANY = IOASID_OBJ_NONE,
	IOASID_OBJ_IOAS,
	IOASID_OBJ_DEVICE,
	IOASID_OBJ_HWPT_PAGING,
	IOASID_OBJ_HWPT_NESTED,
	IOASID_OBJ_ACCESS,
	IOASID_OBJ_FAULT_QUEUE,
#ifdef CONFIG_IOASID_TEST
	IOASID_OBJ_MOCK_DEV,
	IOASID_OBJ_MOCK_DOMAIN,
	IOASID_OBJ_MOCK_ACCESS,
#endif
	IOASID_OBJ_MAX,
};

/**
 * struct ioasid_object - Header of every object owned by a context
 * @users: Table reference, long-term holders and lookups in progress
 * @shortterm: 1 while the object can be looked up, plus lookups in progress
 * @type: Kind of object, selects its operations
 * @id: Id of the object in its context, never 0
 */
struct ioasid_object {
	refcount_t users;
	refcount_t shortterm;
	enum ioasid_object_type type;
	u32 id;
};

/**
 * struct ioasid_ctx - A context: one per open /dev/ioasid file
 * @file: The file the context belongs to
 * @objects: Object table, id -> &struct ioasid_object, ids from 1
 * @account_mode: &enum ioasid_account_mode for new pins
 * @npinned: Pages pinned through this context, to refuse a mode change
 * @groups: IOMMU group id -> &struct ioasid_group of its bound devices
 * @pasids: Global PASIDs the context holds (%IOASID_PASID_ALLOC), PASID ->
 *          &struct ioasid_global_pasid
 * @nr_pasids: Number of entries in @pasids, under its xa_lock
 */
struct ioasid_ctx {
	struct file *file;
	struct xarray objects;
	u32 account_mode;
	atomic_long_t npinned;
	struct xarray groups;
	struct xarray pasids;
	unsigned int nr_pasids;
};

/**
 * struct ioasid_global_pasid - A global PASID of a context
 * @nr_attached: Attachments of devices of the context with this PASID,
 *               under the xa_lock of &struct ioasid_ctx.pasids
 */
struct ioasid_global_pasid {
	unsigned int nr_attached;
};

/**
 * struct ioasid_ucmd - One ioctl call in progress
 * @ctx: Context the call operates on
 * @ubuffer: User pointer to the command struct
 * @user_size: Size the caller gave in the struct's size field
 * @cmd: Kernel copy of the command struct, zero-extended to the full size
 */
struct ioasid_ucmd {
	struct ioasid_ctx *ctx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int ioasid_ucmd_respond(struct ioasid_ucmd *ucmd, size_t cmd_len);

struct ioasid_object *_ioasid_object_alloc(struct ioasid_ctx *ctx,
					   size_t size,
					   enum ioasid_object_type type);
/* Allocate a @_struct whose first member is its struct ioasid_object obj. */
#define ioasid_object_alloc(ctx, _struct, type)                               \
	container_of(_ioasid_object_alloc(ctx, sizeof(_struct) +               \
					  BUILD_BUG_ON_ZERO(offsetof(_struct,  \
								     obj)),    \
					  type),                               \
		     _struct, obj)

void ioasid_object_finalize(struct ioasid_ctx *ctx, struct ioasid_object *obj);
void ioasid_object_abort(struct ioasid_ctx *ctx, struct ioasid_object *obj);
void ioasid_object_abort_and_destroy(struct ioasid_ctx *ctx,
				     struct ioasid_object *obj);

struct ioasid_object *ioasid_get_object(struct ioasid_ctx *ctx, u32 id,
					enum ioasid_object_type type);
void ioasid_put_object(struct ioasid_object *obj);

/**
 * ioasid_object_hold() - Take a long-term reference
 * @obj: Object on which the caller holds a lookup or a long-term reference
 *
 * For an object that keeps a pointer to @obj; IOASID_DESTROY of @obj fails
 * with EBUSY until ioasid_object_unhold().
 */
static inline void ioasid_object_hold(struct ioasid_object *obj)
{
	refcount_inc(&obj->users);
}

/**
 * ioasid_object_unhold() - Drop a reference taken by ioasid_object_hold()
 * @obj: Object
 *
 * The table always holds its own reference while the object is published,
 * so this never frees it.
 */
static inline void ioasid_object_unhold(struct ioasid_object *obj)
{
	refcount_dec(&obj->users);
}

/**
 * enum ioasid_remove_flags - How ioasid_object_remove() removes
 * @IOASID_REMOVE_USER: On behalf of user space: fail with EPERM for objects
 *                      only the kernel may destroy, and with EBUSY while
 *                      anything holds the object
 * @IOASID_REMOVE_WAIT: The kernel removes an object no long-term holder can
 *                      reach any more: stop new lookups first and wait for
 *                      those in progress
 * @IOASID_REMOVE_HELD: The caller gives up a long-term reference of its own
 *                      in the same step
 */
enum ioasid_remove_flags {
	IOASID_REMOVE_USER = BIT(0),
	IOASID_REMOVE_WAIT = BIT(1),
	IOASID_REMOVE_HELD = BIT(2),
};

int ioasid_object_remove(struct ioasid_ctx *ctx, struct ioasid_object *obj,
			 u32 id, unsigned int flags);

/**
 * struct ioasid_pfn_run - Physically contiguous pinned pages
 * @pfn: First page frame
 * @index: Index of its page within the &struct ioasid_pages; the run
 *         extends to the next run's index
 */
struct ioasid_pfn_run {
	unsigned long pfn;
	unsigned long index;
};

/**
 * struct ioasid_pages - Long-term pinned range of user memory
 * @kref: One reference per area that maps the pages
 * @ctx: Context the pages were pinned through
 * @mm: Address space the pages were pinned from, for pinned_vm accounting
 * @user: User charged for the pages in locked_vm
 * @npages: Number of pages
 * @writable: Pinned for device writes
 * @account_mode: Where the pages are charged, &enum ioasid_account_mode
 * @charged: Charged to the locked_vm of @user or @mm (per user, not with
 *           CAP_IPC_LOCK)
 * @file: The file the pages were pinned from, one pin per folio, or NULL
 *        for user memory.  Referenced; a writable pin also holds the
 *        writable count of its mapping (mapping_map_writable()), as a
 *        shared writable mmap does, so that the file cannot be sealed
 *        against writes while devices may write it
 * @chunks: Page-sized chunks of %IOASID_RUNS_PER_CHUNK runs each, covering
 *          the pages in order; NULL while there is only @run0
 * @max_chunks: Capacity of @chunks
 * @nr_runs: Number of runs
 * @run0: Storage for the only run, so that a physically contiguous range
 *        needs no allocation
 */
struct ioasid_pages {
	struct kref kref;
	struct ioasid_ctx *ctx;
	struct mm_struct *mm;
	struct user_struct *user;
	unsigned long npages;
	bool writable;
	u32 account_mode;
	bool charged;
	struct file *file;
	struct ioasid_pfn_run **chunks;
	unsigned long max_chunks;
	unsigned long nr_runs;
	struct ioasid_pfn_run run0;
};

struct ioasid_pages *ioasid_pages_pin_user(struct ioasid_ctx *ctx,
					   unsigned long uaddr,
					   unsigned long length, bool writable);
struct ioasid_pages *ioasid_pages_pin_file(struct ioasid_ctx *ctx,
					   struct file *file, loff_t start,
					   unsigned long length, bool writable);
void ioasid_pages_put(struct ioasid_pages *pages);
int ioasid_pages_map(struct ioasid_pages *pages, struct iommu_domain *domain,
		     unsigned long iova, int prot);
void ioasid_pages_unmap(struct ioasid_pages *pages,
			struct iommu_domain *domain, unsigned long iova);
void ioasid_pages_get_pages(struct ioasid_pages *pages, unsigned long index,
			    unsigned long n, struct page **out);

/**
 * struct ioasid_area - One mapping of an IOAS
 * @pages: The pinned memory, referenced
 * @iova: First IOVA
 * @prot: IOMMU_READ / IOMMU_WRITE, and IOMMU_CACHE
 * @id: Number of the area, unique for the life of the kernel, so that a
 *      call that inserted it can tell it from another area at the same
 *      IOVA after dropping the IOAS's rwsem
 * @num_accesses: Pins of in-kernel accesses in the area; the area is not
 *                removed while there are any
 * @unmapping: Non-zero while an unmap is asking the accesses to release
 *             their pins in the area: the token of that unmap, which
 *             alone clears it.  Accesses see the area as unmapped
 *             already.  Protected by the IOAS's rwsem
 * @copy_node: Entry in the private list of an IOASID_IOAS_COPY building
 *             the area, before it is inserted
 */
struct ioasid_area {
	struct ioasid_pages *pages;
	unsigned long iova;
	int prot;
	u64 id;
	atomic_t num_accesses;
	u64 unmapping;
	struct list_head copy_node;
};

static inline unsigned long ioasid_area_last(struct ioasid_area *area)
{
	return area->iova + (area->pages->npages << PAGE_SHIFT) - 1;
}

/**
 * struct ioasid_ioas - An IO address space
 * @obj: Object header
 * @rwsem: See the locking rules
 * @areas: IOVA range -> &struct ioasid_area
 * @domains: Attached domains, &struct ioasid_ioas_domain
 * @allowed: Allowed IOVA ranges, sorted, or NULL for no restriction
 * @nr_allowed: Number of entries in @allowed
 * @allowed_seq: Bumped whenever @allowed changes, so that a call that set
 *               it can tell, after dropping @rwsem, whether it still holds
 * @access_lock: See the locking rules
 * @accesses: In-kernel accesses, &struct ioasid_access
 * @hwpt_lock: See the locking rules
 * @hwpts: HWPTs created for device attachments, &struct ioasid_hwpt
 * @resv: IOVA ranges the attached devices cannot use, sorted by start
 * @nr_resv: Number of entries in @resv
 */
struct ioasid_ioas {
	struct ioasid_object obj;
	struct rw_semaphore rwsem;
	struct maple_tree areas;
	struct list_head domains;
	struct ioasid_iova_range *allowed;
	unsigned int nr_allowed;
	u64 allowed_seq;
	struct mutex access_lock; /* protects @accesses, see the locking rules */
	struct list_head accesses;
	struct mutex hwpt_lock; /* protects @hwpts, see the locking rules */
	struct list_head hwpts;
	struct ioasid_resv *resv;
	unsigned int nr_resv;
};

/**
 * struct ioasid_resv - An IOVA range reserved by an attached device
 * @start: First IOVA
 * @last: Last IOVA
 * @owner: The device whose attachment reserved it
 */
struct ioasid_resv {
	unsigned long start;
	unsigned long last;
	const void *owner;
};

int ioasid_ioas_add_resv(struct ioasid_ioas *ioas, struct device *dev,
			 const void *owner);
void ioasid_ioas_remove_resv(struct ioasid_ioas *ioas, const void *owner);

/**
 * struct ioasid_hwpt - A hardware page table: the part common to its kinds
 * @obj: Object header; its type tells the kind
 * @domain: The iommu_domain
 * @fault: The fault queue its page requests and unrecoverable faults go
 *         to, held, or NULL.  Set before the HWPT is published, never
 *         changed
 */
struct ioasid_hwpt {
	struct ioasid_object obj;
	struct iommu_domain *domain;
	struct ioasid_fault_queue *fault;
};

/**
 * struct ioasid_hwpt_paging - A kernel-managed page table filled from an IOAS
 * @common: Common part, type %IOASID_OBJ_HWPT_PAGING
 * @ioas: IOAS whose mappings the domain holds, held
 * @auto_node: Entry in &struct ioasid_ioas.hwpts while another attachment
 *             to the IOAS may pick it (auto HWPTs only); an auto HWPT off
 *             the list is going away.  Protected by the IOAS's hwpt_lock
 * @nr_attached: Attachments of an auto HWPT, under the IOAS's hwpt_lock
 * @auto_domain: Created by an attach to the IOAS, removed with its last
 *               attachment
 * @nest_parent: May be the stage 2 of nested HWPTs
 * @enforce_cache_coherency: The domain makes every DMA snoop the CPU
 *                           caches; set once, before the first attach of a
 *                           device that needs it, never cleared
 * @msi_cookie: The domain has its software MSI window
 */
struct ioasid_hwpt_paging {
	struct ioasid_hwpt common;
	struct ioasid_ioas *ioas;
	struct list_head auto_node;
	unsigned int nr_attached;
	bool auto_domain;
	bool nest_parent;
	bool enforce_cache_coherency;
	bool msi_cookie;
};

/**
 * struct ioasid_hwpt_nested - A user-managed stage 1 on a paging stage 2
 * @common: Common part, type %IOASID_OBJ_HWPT_NESTED
 * @parent: The stage 2, a paging HWPT made a nesting parent, held
 * @data_type: &enum ioasid_hwpt_data_type of the stage 1
 */
struct ioasid_hwpt_nested {
	struct ioasid_hwpt common;
	struct ioasid_hwpt_paging *parent;
	u32 data_type;
};

static inline struct ioasid_hwpt_paging *
to_hwpt_paging(struct ioasid_hwpt *hwpt)
{
	return container_of(hwpt, struct ioasid_hwpt_paging, common);
}

static inline struct ioasid_hwpt_nested *
to_hwpt_nested(struct ioasid_hwpt *hwpt)
{
	return container_of(hwpt, struct ioasid_hwpt_nested, common);
}

/*
 * The paging HWPT that holds the mappings of @hwpt's DMA: itself, or a
 * nested HWPT's parent.  Its IOAS is the one the attachments of @hwpt
 * reserve their regions in, and whose hwpt_lock they take.
 */
static inline struct ioasid_hwpt_paging *
ioasid_hwpt_stage2(struct ioasid_hwpt *hwpt)
{
	if (hwpt->obj.type == IOASID_OBJ_HWPT_NESTED)
		return to_hwpt_nested(hwpt)->parent;
	return to_hwpt_paging(hwpt);
}

static inline bool ioasid_obj_is_hwpt(struct ioasid_object *obj)
{
	return obj->type == IOASID_OBJ_HWPT_PAGING ||
	       obj->type == IOASID_OBJ_HWPT_NESTED;
}

/* The &enum ioasid_pasid_config a PASID attached to @hwpt uses. */
static inline u32 ioasid_hwpt_config(struct ioasid_hwpt *hwpt)
{
	switch (hwpt->obj.type) {
	case IOASID_OBJ_HWPT_PAGING:
		return IOASID_PASID_CFG_PAGING;
	case IOASID_OBJ_HWPT_NESTED:
		return IOASID_PASID_CFG_NESTED;
	default:
		return 0;
	}
}

struct ioasid_hwpt_paging *ioasid_hwpt_paging_alloc(struct ioasid_ctx *ctx,
						    struct ioasid_ioas *ioas,
						    struct ioasid_device *idev,
						    u32 flags);
int ioasid_hwpt_paging_enforce_cc(struct ioasid_hwpt_paging *hwpt_paging);
void ioasid_hwpt_paging_destroy(struct ioasid_object *obj);
void ioasid_hwpt_nested_destroy(struct ioasid_object *obj);
int ioasid_hwpt_alloc_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_hwpt_invalidate_ioctl(struct ioasid_ucmd *ucmd);

/**
 * struct ioasid_attach_handle - A domain attached to a RID or a PASID
 * @handle: The IOMMU core's handle, stored with the attachment, through
 *          which a fault raised on the domain finds @hwpt
 * @hwpt: The HWPT attached
 * @fault_node: With a fault queue on @hwpt, entry in the queue's list of
 *              handles, under the queue's lock
 * @fault_devs: With a fault queue on @hwpt, the devices of the attachment
 *              (&struct ioasid_fault_dev), under the queue's lock: the
 *              device ids of the fault records, and whose page requests
 *              are delivered
 */
struct ioasid_attach_handle {
	struct iommu_attach_handle handle;
	struct ioasid_hwpt *hwpt;
	struct list_head fault_node;
	struct list_head fault_devs;
};

struct ioasid_attach_handle *ioasid_attach_handle_alloc(struct ioasid_hwpt *hwpt);
void ioasid_attach_handle_free(struct ioasid_attach_handle *handle);
int ioasid_attach_handle_add_dev(struct ioasid_attach_handle *handle,
				 struct ioasid_device *idev);
void ioasid_attach_handle_del_dev(struct ioasid_attach_handle *handle,
				  struct ioasid_device *idev);

/**
 * struct ioasid_attach - What one PASID of an IOMMU group is attached to
 * @pasid: The PASID, %IOMMU_NO_PASID for the RID
 * @hwpt: The HWPT, held by the attachment
 * @handle: Its attach handle in the IOMMU core
 * @devices: Device id -> &struct ioasid_device of the bound devices of the
 *           group attached there (all of them share the translation)
 * @nr_devices: Number of entries in @devices
 * @global: The PASID is a global PASID of the context, whose attachment
 *          count this attachment holds
 * @done_node: Entry in a list of detached attachments whose HWPT reference
 *             is dropped once the group's lock is released
 *
 * The attachment is also the owner of the reserved regions it holds in the
 * IOAS of @hwpt.
 */
struct ioasid_attach {
	ioasid_t pasid;
	struct ioasid_hwpt *hwpt;
	struct ioasid_attach_handle *handle;
	struct xarray devices;
	unsigned int nr_devices;
	bool global;
	struct list_head done_node;
};

/**
 * struct ioasid_group - The devices of one IOMMU group bound to a context
 * @kref: One reference per bound device
 * @ctx: The context
 * @group: The IOMMU group, referenced
 * @lock: See the locking rules
 * @pasid_attach: PASID -> &struct ioasid_attach; the RID is
 *                %IOMMU_NO_PASID
 */
struct ioasid_group {
	struct kref kref;
	struct ioasid_ctx *ctx;
	struct iommu_group *group;
	struct mutex lock; /* protects @pasid_attach and what it points to */
	struct xarray pasid_attach;
};

/**
 * struct ioasid_device - A device bound to a context
 * @obj: Object header
 * @ctx: The context
 * @dev: The device, referenced
 * @igroup: Its group in the context, referenced
 * @enforce_cache_coherency: Its IOMMU can make every DMA of the device
 *                           snoop the CPU caches; then every page table it
 *                           is attached to does so
 * @pasid_policy: The owner's policy: PASID range -> xa_mk_value() of a
 *                bitmap of &enum ioasid_pasid_config.  Changed and read
 *                under the group's lock (the tree's own lock only guards
 *                its nodes)
 * @iopf_users: Attachments of the device to HWPTs with a fault queue,
 *              under the group's lock
 * @iopf_enabled: The IOMMU driver enabled the device's page requests
 *                (IOMMU_DEV_FEAT_IOPF) for them, under the group's lock
 * @emulated_pasids: Non-zero for an emulated device (its DMA is done by
 *                   software, no IOMMU translates it): its PASID count.  Its
 *                   group is its own, in no IOMMU group, and it is attached
 *                   through in-kernel accesses only
 * @accesses: Of an emulated device: PASID -> the &struct ioasid_access
 *            that serves it last created, under the group's lock
 */
struct ioasid_device {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	struct device *dev;
	struct ioasid_group *igroup;
	bool enforce_cache_coherency;
	struct maple_tree pasid_policy;
	unsigned int iopf_users;
	bool iopf_enabled;
	u32 emulated_pasids;
	struct xarray accesses;
};

static inline bool ioasid_device_is_emulated(struct ioasid_device *idev)
{
	return idev->emulated_pasids;
}

void ioasid_device_destroy(struct ioasid_object *obj);
int ioasid_device_get_hw_info(struct ioasid_ucmd *ucmd);
struct ioasid_attach *ioasid_device_pasid_attachment(struct ioasid_device *idev,
						     ioasid_t pasid);
void ioasid_device_detach_range_locked(struct ioasid_device *idev,
				       ioasid_t first, ioasid_t last, u32 keep,
				       struct list_head *done);
void ioasid_attach_list_finish(struct ioasid_ctx *ctx, struct list_head *done);

/* PASIDs: pasid.c */
u32 ioasid_device_pasid_count(struct ioasid_device *idev);
int ioasid_pasid_check_attach(struct ioasid_device *idev, ioasid_t pasid,
			      enum ioasid_object_type type);
int ioasid_pasid_claim(struct ioasid_ctx *ctx, ioasid_t pasid, bool *global);
void ioasid_pasid_unclaim(struct ioasid_ctx *ctx, ioasid_t pasid,
			  bool global);
void ioasid_ctx_free_pasids(struct ioasid_ctx *ctx);
int ioasid_device_get_pasid_info(struct ioasid_ucmd *ucmd);
int ioasid_pasid_alloc_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_pasid_free_ioctl(struct ioasid_ucmd *ucmd);

/**
 * struct ioasid_access - An in-kernel user of an IOAS
 * @obj: Object header; only its owner destroys it
 * @ctx: The context
 * @ioas: The IOAS, held; changed by ioasid_access_replace(), which the
 *        owner serialises with its own calls
 * @ops: Callbacks of the user
 * @data: Argument of the callbacks
 * @node: Entry in &struct ioasid_ioas.accesses
 * @npins: Pin calls not yet undone, to catch a user that leaks them
 * @idev: For an access of an emulated device (ioasid_device_access_create()),
 *        the device, which outlives it; else NULL
 * @pasid: The PASID of @idev the access serves
 */
struct ioasid_access {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	struct ioasid_ioas *ioas;
	const struct ioasid_access_ops *ops;
	void *data;
	struct list_head node;
	atomic_t npins;
	struct ioasid_device *idev;
	ioasid_t pasid;
};

void ioasid_access_destroy_obj(struct ioasid_object *obj);
void ioasid_ioas_notify_map(struct ioasid_ioas *ioas, unsigned long first,
			    unsigned long last);

/* Fault queues: fault.c */
struct ioasid_fault;

/**
 * struct ioasid_fault_queue - A fault queue object
 * @obj: Object header, type %IOASID_OBJ_FAULT_QUEUE
 * @fault: The queue itself, which its file shares: it outlives the object
 *         while the file is open
 */
struct ioasid_fault_queue {
	struct ioasid_object obj;
	struct ioasid_fault *fault;
};

int ioasid_fault_queue_alloc_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_fault_queue_respond_ioctl(struct ioasid_ucmd *ucmd);
void ioasid_fault_queue_destroy(struct ioasid_object *obj);
struct ioasid_fault_queue *ioasid_get_fault_queue(struct ioasid_ctx *ctx,
						  u32 id);
void ioasid_hwpt_set_fault(struct ioasid_hwpt *hwpt,
			   struct ioasid_fault_queue *fq);
void ioasid_hwpt_put_fault(struct ioasid_hwpt *hwpt);

int ioasid_check_range(u64 start, u64 length, unsigned long align);
struct ioasid_ioas *ioasid_get_ioas(struct ioasid_ctx *ctx, u32 id);
int ioasid_ioas_alloc_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_ioas_map(struct ioasid_ucmd *ucmd);
int ioasid_ioas_unmap(struct ioasid_ucmd *ucmd);
int ioasid_ioas_iova_ranges(struct ioasid_ucmd *ucmd);
int ioasid_ioas_copy(struct ioasid_ucmd *ucmd);
int ioasid_ioas_map_file(struct ioasid_ucmd *ucmd);
int ioasid_ioas_allow_iovas(struct ioasid_ucmd *ucmd);
int ioasid_ioas_reserve(struct ioasid_ucmd *ucmd);
void ioasid_ioas_destroy(struct ioasid_object *obj);
int ioasid_ioas_attach_domain(struct ioasid_ioas *ioas,
			      struct iommu_domain *domain);
void ioasid_ioas_detach_domain(struct ioasid_ioas *ioas,
			       struct iommu_domain *domain);

/* The test-only uAPI; also names the delay points of ioasid_test_delay(). */
#include "ioasid_test.h"

#ifdef CONFIG_IOASID_TEST

void ioasid_test_delay(enum ioasid_test_delay_point point);

int ioasid_test_init(void);
void ioasid_test_exit(void);

void ioasid_mock_dev_destroy(struct ioasid_object *obj);
void ioasid_mock_domain_destroy(struct ioasid_object *obj);
void ioasid_mock_access_destroy(struct ioasid_object *obj);
bool ioasid_test_is_mock_dev(struct device *dev);

int ioasid_test_mock_dev_add(struct ioasid_ucmd *ucmd);
int ioasid_test_mock_domain_alloc(struct ioasid_ucmd *ucmd);
int ioasid_test_domain_map(struct ioasid_ucmd *ucmd);
int ioasid_test_domain_unmap(struct ioasid_ucmd *ucmd);
int ioasid_test_iopte_get(struct ioasid_ucmd *ucmd);
int ioasid_test_domain_info(struct ioasid_ucmd *ucmd);
int ioasid_test_ctx_from_fd(struct ioasid_ucmd *ucmd);
int ioasid_test_ioas_attach(struct ioasid_ucmd *ucmd);
int ioasid_test_ioas_detach(struct ioasid_ucmd *ucmd);
int ioasid_test_access_create(struct ioasid_ucmd *ucmd);
int ioasid_test_access_pin(struct ioasid_ucmd *ucmd);
int ioasid_test_access_unpin(struct ioasid_ucmd *ucmd);
int ioasid_test_access_rw(struct ioasid_ucmd *ucmd);
int ioasid_test_access_info(struct ioasid_ucmd *ucmd);
int ioasid_test_access_replace(struct ioasid_ucmd *ucmd);
int ioasid_test_device_bind(struct ioasid_ucmd *ucmd);
int ioasid_test_device_unbind(struct ioasid_ucmd *ucmd);
int ioasid_test_device_attach(struct ioasid_ucmd *ucmd);
int ioasid_test_device_detach(struct ioasid_ucmd *ucmd);
int ioasid_test_device_domain(struct ioasid_ucmd *ucmd);
int ioasid_test_device_allow_pasid(struct ioasid_ucmd *ucmd);
int ioasid_test_mock_dma(struct ioasid_ucmd *ucmd);
int ioasid_test_kernel_pasid(struct ioasid_ucmd *ucmd);
int ioasid_test_iopf_inject(struct ioasid_ucmd *ucmd);
int ioasid_test_iopf_stats(struct ioasid_ucmd *ucmd);
#else
static inline int ioasid_test_init(void)
{
	return 0;
}

static inline void ioasid_test_exit(void)
{
}

static inline bool ioasid_test_is_mock_dev(struct device *dev)
{
	return false;
}

static inline void ioasid_test_delay(enum ioasid_test_delay_point point)
{
}
#endif

#endif /* __IOASID_PRIVATE_H */
