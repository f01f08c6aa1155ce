/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /dev/ioasid internal definitions.
 *
 * Locking rules
 * =============
 *
 * Lock order, outermost first:
 *
 *   1. ioasid_mock_domain->lock, ioasid_mock_dev->lock (test IOMMU driver,
 *      mutexes): serialise attaching one mock domain object to an IOAS and
 *      detaching it, and binding one mock device and unbinding it.
 *
 *   1a. igroup->lock (mutex): the attachment of the devices of one IOMMU
 *      group bound to a context: which HWPT the group is attached to and
 *      how many of its devices use it.  The IOMMU core's group mutex is
 *      taken inside it (iommu_attach_group() and friends).
 *
 *   1b. ioas->hwpt_lock (mutex): the list of HWPTs the IOAS created for
 *      device attachments, searched for a compatible one on attach.
 *
 *   2. ioas->access_lock (mutex): protects the list of in-kernel accesses
 *      of an IOAS and serialises the calls of their unmap callbacks, so
 *      that an access is never called after ioasid_access_destroy().  Never
 *      taken while holding ioas->rwsem: an unmap that finds pinned pages
 *      drops the rwsem, calls the callbacks under this lock, and starts
 *      over.
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
 *   5. mock_domain->ioptes.xa_lock (test IOMMU driver, spinlock): protects
 *      the IOPTE record of one mock paging domain.  Taken inside the IOMMU
 *      core's map and unmap paths.
 *
 * Outside that order:
 *
 *   ctx->objects.xa_lock (spinlock, via xa_lock()): protects the id ->
 *   object table of a context and every change of an object's @users count
 *   that decides its lifetime: a lookup takes a reference only under this
 *   lock, and IOASID_DESTROY (or the close of the file) removes an object
 *   only under this lock and only while the table holds the sole reference.
 *   No other lock is taken under it and nothing under it sleeps, so it may
 *   be taken while holding any of the above.
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
 * @users counts the table's reference (1) plus one for every lookup in
 * progress and every long-term holder (an object that depends on another
 * holds a reference on it).  An object is destroyed when the table's
 * reference is the last one: on IOASID_DESTROY, which otherwise fails with
 * EBUSY, or when the file is closed.
 */
#ifndef __IOASID_PRIVATE_H
#define __IOASID_PRIVATE_H

#include <linux/ioasid.h>
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
#ifdef CONFIG_IOASID_TEST
	IOASID_OBJ_MOCK_DEV,
	IOASID_OBJ_MOCK_DOMAIN,
	IOASID_OBJ_MOCK_ACCESS,
#endif
	IOASID_OBJ_MAX,
};

/**
 * struct ioasid_object - Header of every object owned by a context
 * @users: Table reference plus lookups and long-term holders
 * @type: Kind of object, selects its destroy operation
 * @id: Id of the object in its context, never 0
 */
struct ioasid_object {
	refcount_t users;
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
 */
struct ioasid_ctx {
	struct file *file;
	struct xarray objects;
	u32 account_mode;
	atomic_long_t npinned;
	struct xarray groups;
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

/**
 * ioasid_put_object() - Drop a reference taken by ioasid_get_object()
 * @obj: Object to release
 *
 * The table always holds its own reference while an object is reachable,
 * so this never frees the object.
 */
static inline void ioasid_put_object(struct ioasid_object *obj)
{
	refcount_dec(&obj->users);
	/* For ioasid_object_remove_wait(): order the count before the wake. */
	smp_mb__after_atomic();
	wake_up_var(&obj->users);
}

void ioasid_object_remove_wait(struct ioasid_ctx *ctx,
			       struct ioasid_object *obj);
void ioasid_object_put_and_remove(struct ioasid_ctx *ctx,
				  struct ioasid_object *obj);

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
 * struct ioasid_hwpt - A hardware page table: one paging iommu_domain
 * @obj: Object header
 * @ioas: IOAS whose mappings the domain holds, referenced
 * @domain: The domain, attached to @ioas
 * @auto_node: Entry in &struct ioasid_ioas.hwpts while it may be picked
 *             for another device (it was created by an attach to the IOAS)
 * @auto_domain: Created by an attach to the IOAS, destroyed with its last
 *               attachment
 */
struct ioasid_hwpt {
	struct ioasid_object obj;
	struct ioasid_ioas *ioas;
	struct iommu_domain *domain;
	struct list_head auto_node;
	bool auto_domain;
};

struct ioasid_hwpt *ioasid_hwpt_alloc(struct ioasid_ctx *ctx,
				      struct ioasid_ioas *ioas,
				      struct device *dev);
void ioasid_hwpt_destroy(struct ioasid_object *obj);
int ioasid_hwpt_alloc_ioctl(struct ioasid_ucmd *ucmd);

/**
 * struct ioasid_group - The devices of one IOMMU group bound to a context
 * @kref: One reference per bound device
 * @ctx: The context
 * @group: The IOMMU group, referenced
 * @lock: See the locking rules
 * @hwpt: HWPT the group is attached to, referenced, or NULL (blocked)
 * @nr_attached: Devices of the group attached to @hwpt
 */
struct ioasid_group {
	struct kref kref;
	struct ioasid_ctx *ctx;
	struct iommu_group *group;
	struct mutex lock; /* protects @hwpt and @nr_attached */
	struct ioasid_hwpt *hwpt;
	unsigned int nr_attached;
};

/**
 * struct ioasid_device - A device bound to a context
 * @obj: Object header
 * @ctx: The context
 * @dev: The device, referenced
 * @igroup: Its group in the context, referenced
 * @attached: The device's RID is attached to @igroup->hwpt
 */
struct ioasid_device {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	struct device *dev;
	struct ioasid_group *igroup;
	bool attached;
};

void ioasid_device_destroy(struct ioasid_object *obj);
int ioasid_device_get_hw_info(struct ioasid_ucmd *ucmd);

/**
 * struct ioasid_access - An in-kernel user of an IOAS
 * @ioas: The IOAS, referenced
 * @ops: Callbacks of the user
 * @data: Argument of the callbacks
 * @node: Entry in &struct ioasid_ioas.accesses
 * @npins: Pin calls not yet undone, to catch a user that leaks them
 */
struct ioasid_access {
	struct ioasid_ioas *ioas;
	const struct ioasid_access_ops *ops;
	void *data;
	struct list_head node;
	atomic_t npins;
};

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

#ifdef CONFIG_IOASID_TEST
#include "ioasid_test.h"

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
int ioasid_test_device_bind(struct ioasid_ucmd *ucmd);
int ioasid_test_device_unbind(struct ioasid_ucmd *ucmd);
int ioasid_test_device_attach(struct ioasid_ucmd *ucmd);
int ioasid_test_device_detach(struct ioasid_ucmd *ucmd);
int ioasid_test_device_domain(struct ioasid_ucmd *ucmd);
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
#endif

#endif /* __IOASID_PRIVATE_H */
