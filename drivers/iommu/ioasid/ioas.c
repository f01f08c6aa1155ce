// SPDX-License-Identifier: GPL-2.0-only
/*
 * IO address spaces of /dev/ioasid.
 *
 * An IOAS is a set of areas, each mapping pinned user memory at a range of
 * IOVA, kept in a maple tree indexed by IOVA.  Every domain attached to the
 * IOAS holds exactly its areas: a map reaches every domain or none, and an
 * attached domain is filled from the existing pins.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "ioasid_private.h"

/*
 * Numbers of areas and tokens of unmaps in progress, unique for the life
 * of the kernel: see &struct ioasid_area.
 */
static atomic64_t ioasid_ioas_ids = ATOMIC64_INIT(0);

/*
 * The areas tree: an allocation tree, whose gap tracking the search for a
 * free IOVA range relies on (mas_empty_area()).
 */
static void ioasid_ioas_init_areas(struct ioasid_ioas *ioas)
{
	mt_init_flags(&ioas->areas, MT_FLAGS_ALLOC_RANGE);
}

/**
 * struct ioasid_ioas_domain - A domain attached to an IOAS
 * @node: Entry in &struct ioasid_ioas.domains
 * @domain: The domain, holding every area of the IOAS
 */
struct ioasid_ioas_domain {
	struct list_head node;
	struct iommu_domain *domain;
};

/*
 * Shrink [*start, *last] to whole multiples of @align; false if nothing is
 * left.  *last == ULONG_MAX stands for the end of the address space.
 */
static bool ioasid_align_window(unsigned long *start, unsigned long *last,
				unsigned long align)
{
	unsigned long s = ALIGN(*start, align);
	unsigned long end = ALIGN_DOWN(*last + 1, align);

	if (s < *start || (*last != ULONG_MAX && !end) || end - 1 < s)
		return false;
	*start = s;
	*last = end - 1;
	return true;
}

/*
 * The aperture window: the intersection of the attached apertures, and the
 * alignment they need.  An empty window has *start > *last.
 */
static void ioasid_ioas_window(struct ioasid_ioas *ioas, unsigned long *start,
			       unsigned long *last, unsigned long *align)
{
	struct ioasid_ioas_domain *idom;

	lockdep_assert_held(&ioas->rwsem);
	*start = 0;
	*last = ULONG_MAX;
	*align = PAGE_SIZE;
	list_for_each_entry(idom, &ioas->domains, node) {
		struct iommu_domain *domain = idom->domain;

		if (domain->geometry.force_aperture) {
			*start = max_t(unsigned long, *start,
				       domain->geometry.aperture_start);
			*last = min_t(unsigned long, *last,
				      domain->geometry.aperture_end);
		}
		*align = max(*align, 1UL << __ffs(domain->pgsize_bitmap));
	}
	if (!ioasid_align_window(start, last, *align)) {
		*start = 1;
		*last = 0;
	}
}

/* Bound on the allowed ranges of an IOAS, so copies stay within 64 KiB. */
#define IOASID_MAX_ALLOWED	4096

/**
 * struct ioasid_window - A usable IOVA window
 * @start: First IOVA
 * @last: Last IOVA
 */
struct ioasid_window {
	unsigned long start;
	unsigned long last;
};

/*
 * Iterate the usable windows: the aperture window intersected with each
 * allowed range, or the aperture window alone when nothing is allowed
 * explicitly.  Start with *@i = 0; returns false after the last.
 */
static bool ioasid_ioas_next_window(struct ioasid_ioas *ioas, unsigned int *i,
				    struct ioasid_window *win)
{
	unsigned long start, last, align;

	ioasid_ioas_window(ioas, &start, &last, &align);
	if (!ioas->allowed) {
		if (*i || start > last)
			return false;
		(*i)++;
		win->start = start;
		win->last = last;
		return true;
	}
	while (*i < ioas->nr_allowed) {
		struct ioasid_iova_range *range = &ioas->allowed[(*i)++];
		unsigned long s = max_t(unsigned long, range->start, start);
		unsigned long l = min_t(unsigned long, range->last, last);

		if (s <= l && ioasid_align_window(&s, &l, align)) {
			win->start = s;
			win->last = l;
			return true;
		}
	}
	return false;
}

/* The first reserved range overlapping [first, last], or NULL. */
static struct ioasid_resv *ioasid_ioas_find_resv(struct ioasid_ioas *ioas,
						 unsigned long first,
						 unsigned long last)
{
	unsigned int i;

	lockdep_assert_held(&ioas->rwsem);
	for (i = 0; i < ioas->nr_resv; i++)
		if (ioas->resv[i].start <= last && ioas->resv[i].last >= first)
			return &ioas->resv[i];
	return NULL;
}

/* Is [first, last] inside one usable window, clear of reserved ranges? */
static bool ioasid_ioas_usable(struct ioasid_ioas *ioas, unsigned long first,
			       unsigned long last)
{
	struct ioasid_window win;
	unsigned int i = 0;

	if (ioasid_ioas_find_resv(ioas, first, last))
		return false;
	while (ioasid_ioas_next_window(ioas, &i, &win))
		if (first >= win.start && last <= win.last)
			return true;
	return false;
}

static int ioasid_ioas_map_domains(struct ioasid_ioas *ioas,
				   struct ioasid_area *area)
{
	struct ioasid_ioas_domain *idom;
	int rc;

	lockdep_assert_held_write(&ioas->rwsem);
	list_for_each_entry(idom, &ioas->domains, node) {
		rc = ioasid_pages_map(area->pages, idom->domain, area->iova,
				      area->prot);
		if (rc)
			goto err_unmap;
	}
	return 0;

err_unmap:
	list_for_each_entry_continue_reverse(idom, &ioas->domains, node)
		ioasid_pages_unmap(area->pages, idom->domain, area->iova);
	return rc;
}

static void ioasid_ioas_unmap_domains(struct ioasid_ioas *ioas,
				      struct ioasid_area *area)
{
	struct ioasid_ioas_domain *idom;

	lockdep_assert_held_write(&ioas->rwsem);
	list_for_each_entry(idom, &ioas->domains, node)
		ioasid_pages_unmap(area->pages, idom->domain, area->iova);
}

static void ioasid_area_free(struct ioasid_area *area)
{
	/* Unmap waits for accesses, and they hold the IOAS. */
	WARN_ON(atomic_read(&area->num_accesses));
	ioasid_pages_put(area->pages);
	kfree(area);
}

/*
 * Choose a free IOVA range of @length in the usable windows, clear of the
 * reserved ranges.  Without an alignment from user space (@align 0), align
 * to the largest power of two that divides @uaddr (1 GiB when @uaddr is 0),
 * is not above @length and is at most 1 GiB, so that huge pages can become
 * huge IOPTEs.  Either way the alignment is raised to that of the windows
 * (the page size or the smallest IOMMU page).  The lowest fitting range is
 * taken: -ENOSPC means that no aligned free range of @length exists.
 */
static int ioasid_ioas_alloc_iova(struct ioasid_ioas *ioas,
				  unsigned long uaddr, unsigned long length,
				  unsigned long align, unsigned long *iova)
{
	MA_STATE(mas, &ioas->areas, 0, 0);
	unsigned long start, last, win_align;
	struct ioasid_window win;
	unsigned int i = 0;

	ioasid_ioas_window(ioas, &start, &last, &win_align);
	if (!align) {
		unsigned int order = min3(uaddr ? __ffs(uaddr) : 30U,
					  (unsigned int)ilog2(length), 30U);

		align = 1UL << order;
	}
	align = max(align, win_align);

	while (ioasid_ioas_next_window(ioas, &i, &win)) {
		unsigned long min = win.start;

		/* Each round skips at least one mapping: it terminates. */
		for (;;) {
			struct ioasid_area *area;
			struct ioasid_resv *resv;
			unsigned long cand, index;
			int rc;

			mas_reset(&mas);
			rcu_read_lock();
			rc = mas_empty_area(&mas, min, win.last, length);
			rcu_read_unlock();
			if (rc)
				break;
			cand = ALIGN(mas.index, align);
			if (cand < mas.index || cand > win.last ||
			    win.last - cand < length - 1)
				break;
			index = cand;
			area = mt_find(&ioas->areas, &index, cand + length - 1);
			resv = ioasid_ioas_find_resv(ioas, cand,
						     cand + length - 1);
			if (!area && !resv) {
				*iova = cand;
				return 0;
			}
			/* Anything below the end of either overlaps too. */
			min = area ? ioasid_area_last(area) + 1 : resv->last + 1;
			if (!min || min > win.last)
				break;
		}
	}
	return -ENOSPC;
}

int ioasid_ioas_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_alloc *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	ioas = ioasid_object_alloc(ucmd->ctx, struct ioasid_ioas,
				   IOASID_OBJ_IOAS);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	init_rwsem(&ioas->rwsem);
	ioasid_ioas_init_areas(ioas);
	INIT_LIST_HEAD(&ioas->domains);
	mutex_init(&ioas->access_lock);
	INIT_LIST_HEAD(&ioas->accesses);
	mutex_init(&ioas->hwpt_lock);
	INIT_LIST_HEAD(&ioas->hwpts);

	cmd->out_ioas_id = ioas->obj.id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		ioasid_object_abort_and_destroy(ucmd->ctx, &ioas->obj);
		return rc;
	}
	ioasid_object_finalize(ucmd->ctx, &ioas->obj);
	return 0;
}

static void ioasid_ioas_remove_area(struct ioasid_ioas *ioas,
				    struct ioasid_area *area)
{
	ioasid_ioas_unmap_domains(ioas, area);
	mtree_erase(&ioas->areas, area->iova);
	ioasid_area_free(area);
}

/* Remove every area in [first, last]; the caller checked they fit whole. */
static unsigned long ioasid_ioas_remove_areas(struct ioasid_ioas *ioas,
					      unsigned long first,
					      unsigned long last)
{
	unsigned long index = first, unmapped = 0;
	struct ioasid_area *area;

	lockdep_assert_held_write(&ioas->rwsem);
	if (first == 0 && last == ULONG_MAX) {
		/*
		 * Everything: free the areas, then the whole tree at once,
		 * rather than erasing entry by entry.  Every reader of the
		 * tree holds the rwsem, so nobody sees the freed areas.
		 */
		mt_for_each(&ioas->areas, area, index, ULONG_MAX) {
			unmapped += area->pages->npages << PAGE_SHIFT;
			ioasid_ioas_unmap_domains(ioas, area);
			ioasid_area_free(area);
			cond_resched();
		}
		mtree_destroy(&ioas->areas);
		ioasid_ioas_init_areas(ioas);
		return unmapped;
	}
	mt_for_each(&ioas->areas, area, index, last) {
		unmapped += area->pages->npages << PAGE_SHIFT;
		ioasid_ioas_remove_area(ioas, area);
		cond_resched();
	}
	return unmapped;
}

void ioasid_ioas_destroy(struct ioasid_object *obj)
{
	struct ioasid_ioas *ioas = container_of(obj, struct ioasid_ioas, obj);

	/* Attached domains and accesses hold a reference: none is left. */
	WARN_ON(!list_empty(&ioas->domains));
	WARN_ON(!list_empty(&ioas->accesses));
	WARN_ON(!list_empty(&ioas->hwpts));
	down_write(&ioas->rwsem);
	ioasid_ioas_remove_areas(ioas, 0, ULONG_MAX);
	up_write(&ioas->rwsem);
	mtree_destroy(&ioas->areas);
	mutex_destroy(&ioas->access_lock);
	mutex_destroy(&ioas->hwpt_lock);
	WARN_ON(ioas->nr_resv);
	kvfree(ioas->resv);
	kvfree(ioas->allowed);
}

/**
 * ioasid_get_ioas() - Look up an IOAS and take a reference on it
 * @ctx: Context
 * @id: Id of the IOAS
 *
 * Return: the IOAS, released with ioasid_put_object(), or ERR_PTR(-ENOENT).
 */
struct ioasid_ioas *ioasid_get_ioas(struct ioasid_ctx *ctx, u32 id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(ctx, id, IOASID_OBJ_IOAS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_ioas, obj);
}

/**
 * ioasid_check_range() - Check a range from user space
 * @start: First address
 * @length: Length in bytes
 * @align: Alignment @start and @length must have
 *
 * Return: 0; -EINVAL for an empty or misaligned range; -EOVERFLOW for one
 * that wraps or does not fit an unsigned long.
 */
int ioasid_check_range(u64 start, u64 length, unsigned long align)
{
	u64 last;

	if (!length || !IS_ALIGNED(start | length, align))
		return -EINVAL;
	if (check_add_overflow(start, length - 1, &last) || last > ULONG_MAX)
		return -EOVERFLOW;
	return 0;
}

/*
 * Find where [iova, iova + length) goes: at @iova with FIXED_IOVA, else at
 * a free range the kernel chooses, aligned to @align or like @hint.
 */
static int ioasid_ioas_place(struct ioasid_ioas *ioas, u32 flags, u64 iova,
			     unsigned long length, unsigned long hint,
			     unsigned long align, unsigned long *out)
{
	unsigned long start, last, win_align;

	lockdep_assert_held_write(&ioas->rwsem);
	if (!(flags & IOASID_IOAS_MAP_FIXED_IOVA))
		return ioasid_ioas_alloc_iova(ioas, hint, length, align, out);

	ioasid_ioas_window(ioas, &start, &last, &win_align);
	if (!IS_ALIGNED(iova, win_align))
		return -EINVAL;
	if (!ioasid_ioas_usable(ioas, iova, iova + length - 1))
		return -EADDRINUSE;
	*out = iova;
	return 0;
}

/* Insert a placed area and map it into every attached domain. */
static int ioasid_ioas_insert_area(struct ioasid_ioas *ioas,
				   struct ioasid_area *area)
{
	int rc;

	lockdep_assert_held_write(&ioas->rwsem);
	area->id = atomic64_inc_return(&ioasid_ioas_ids);
	rc = mtree_insert_range(&ioas->areas, area->iova,
				ioasid_area_last(area), area,
				GFP_KERNEL_ACCOUNT);
	if (rc)
		return rc;

	rc = ioasid_ioas_map_domains(ioas, area);
	if (rc) {
		mtree_erase(&ioas->areas, area->iova);
		return rc;
	}
	return 0;
}

/* Check the flags, permissions and IOVA arguments shared by MAP and COPY. */
static int ioasid_check_map_args(u32 flags, u64 iova, u64 length,
				 u64 iova_alignment)
{
	const u32 known = IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ |
			  IOASID_IOAS_MAP_WRITE;

	if (flags & ~known)
		return -EOPNOTSUPP;
	if (!(flags & (IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE)))
		return -EINVAL;
	if (flags & IOASID_IOAS_MAP_FIXED_IOVA) {
		if (iova_alignment)
			return -EINVAL;
		return ioasid_check_range(iova, length, PAGE_SIZE);
	}
	if (iova_alignment && (!is_power_of_2(iova_alignment) ||
			       iova_alignment > ULONG_MAX / 2))
		return -EINVAL;
	return 0;
}

/*
 * Every mapping is cache coherent: devices are bound only behind an IOMMU
 * with IOMMU_CAP_CACHE_COHERENCY, and their DMA must snoop the CPU caches.
 */
static int ioasid_map_prot(u32 flags)
{
	int prot = IOMMU_CACHE;

	if (flags & IOASID_IOAS_MAP_READ)
		prot |= IOMMU_READ;
	if (flags & IOASID_IOAS_MAP_WRITE)
		prot |= IOMMU_WRITE;
	return prot;
}

static void ioasid_ioas_undo(struct ioasid_ioas *ioas, unsigned long first,
			     unsigned long last, u64 lo, u64 hi);

/*
 * Map newly pinned pages into the IOAS named by @ioas_id and report the
 * IOVA through @iova, a field of the command struct.  Consumes @pages.
 * The reply is written without any lock held, as it may fault; when it
 * cannot be written the map is undone, unless a concurrent unmap did it.
 */
static int ioasid_ioas_map_pages(struct ioasid_ucmd *ucmd, size_t cmd_len,
				 u32 ioas_id, u32 flags, u64 *iova,
				 unsigned long hint, u64 iova_alignment,
				 struct ioasid_pages *pages)
{
	unsigned long first, last;
	struct ioasid_area *area;
	struct ioasid_ioas *ioas;
	u64 id;
	int rc;

	area = kzalloc(sizeof(*area), GFP_KERNEL_ACCOUNT);
	if (!area) {
		ioasid_pages_put(pages);
		return -ENOMEM;
	}
	area->pages = pages;
	area->prot = ioasid_map_prot(flags);

	ioas = ioasid_get_ioas(ucmd->ctx, ioas_id);
	if (IS_ERR(ioas)) {
		ioasid_area_free(area);
		return PTR_ERR(ioas);
	}

	down_write(&ioas->rwsem);
	rc = ioasid_ioas_place(ioas, flags, *iova,
			       pages->npages << PAGE_SHIFT, hint,
			       iova_alignment, &area->iova);
	if (!rc)
		rc = ioasid_ioas_insert_area(ioas, area);
	if (rc) {
		up_write(&ioas->rwsem);
		ioasid_area_free(area);
		goto out_put;
	}
	/* The area belongs to the IOAS now: a concurrent unmap may free it. */
	first = area->iova;
	last = ioasid_area_last(area);
	id = area->id;
	up_write(&ioas->rwsem);

	*iova = first;
	rc = ioasid_ucmd_respond(ucmd, cmd_len);
	if (rc) {
		/* User space cannot learn the IOVA: undo the map. */
		ioasid_ioas_undo(ioas, first, last, id, id);
	} else {
		ioasid_ioas_notify_map(ioas, first, last);
	}
out_put:
	ioasid_put_object(&ioas->obj);
	return rc;
}

int ioasid_ioas_map(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_map *cmd = ucmd->cmd;
	struct ioasid_pages *pages;
	int rc;

	rc = ioasid_check_map_args(cmd->flags, cmd->iova, cmd->length,
				   cmd->iova_alignment);
	if (rc)
		return rc;
	if (cmd->__reserved)
		return -EINVAL;
	rc = ioasid_check_range(cmd->user_va, cmd->length, PAGE_SIZE);
	if (rc)
		return rc;

	/* Pin before taking any lock: it may take long and fault memory in. */
	pages = ioasid_pages_pin_user(ucmd->ctx, cmd->user_va, cmd->length,
				      cmd->flags & IOASID_IOAS_MAP_WRITE);
	if (IS_ERR(pages))
		return PTR_ERR(pages);
	return ioasid_ioas_map_pages(ucmd, sizeof(*cmd), cmd->ioas_id,
				     cmd->flags, &cmd->iova, cmd->user_va,
				     cmd->iova_alignment, pages);
}

int ioasid_ioas_map_file(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_map_file *cmd = ucmd->cmd;
	bool writable = cmd->flags & IOASID_IOAS_MAP_WRITE;
	struct ioasid_pages *pages;
	struct file *file;
	int rc;

	rc = ioasid_check_map_args(cmd->flags, cmd->iova, cmd->length,
				   cmd->iova_alignment);
	if (rc)
		return rc;
	rc = ioasid_check_range(cmd->start, cmd->length, PAGE_SIZE);
	if (rc)
		return rc;
	if (cmd->start + cmd->length - 1 > LLONG_MAX)
		return -EOVERFLOW;

	file = fget(cmd->fd);
	if (!file)
		return -EBADF;
	/*
	 * Devices must not read or write what the caller itself could not:
	 * as read(2) and write(2), a descriptor not open for it is EBADF.
	 * Write seals are checked as the pages are pinned, race-free.
	 */
	if (!(file->f_mode & FMODE_READ) ||
	    (writable && !(file->f_mode & FMODE_WRITE))) {
		rc = -EBADF;
		goto out_fput;
	}

	pages = ioasid_pages_pin_file(ucmd->ctx, file, cmd->start, cmd->length,
				      writable);
	if (IS_ERR(pages)) {
		rc = PTR_ERR(pages);
		goto out_fput;
	}
	rc = ioasid_ioas_map_pages(ucmd, sizeof(*cmd), cmd->ioas_id,
				   cmd->flags, &cmd->iova, cmd->start,
				   cmd->iova_alignment, pages);
out_fput:
	fput(file);
	return rc;
}

static void ioasid_free_copies(struct list_head *copies)
{
	struct ioasid_area *area, *next;

	list_for_each_entry_safe(area, next, copies, copy_node) {
		list_del(&area->copy_node);
		ioasid_area_free(area);
	}
}

/* New areas sharing the pages of every area in [first, last] of @src. */
static int ioasid_ioas_collect_copies(struct ioasid_ioas *src,
				      unsigned long first, unsigned long last,
				      int prot, struct list_head *copies)
{
	struct ioasid_area *area, *copy;
	unsigned long index = first;
	int rc = -ENOENT;

	down_read(&src->rwsem);
	mt_for_each(&src->areas, area, index, last) {
		if (area->iova < first || ioasid_area_last(area) > last) {
			rc = -EINVAL;
			break;
		}
		if ((prot & IOMMU_WRITE) && !area->pages->writable) {
			rc = -EPERM;
			break;
		}
		copy = kzalloc(sizeof(*copy), GFP_KERNEL_ACCOUNT);
		if (!copy) {
			rc = -ENOMEM;
			break;
		}
		kref_get(&area->pages->kref);
		copy->pages = area->pages;
		/* The offset in the range, until the copy is placed. */
		copy->iova = area->iova - first;
		copy->prot = prot;
		list_add_tail(&copy->copy_node, copies);
		rc = 0;
		cond_resched();
	}
	up_read(&src->rwsem);
	if (rc)
		ioasid_free_copies(copies);
	return rc;
}

int ioasid_ioas_copy(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_copy *cmd = ucmd->cmd;
	struct ioasid_area *copy, *done, *next;
	struct ioasid_ioas *ioas;
	unsigned long base;
	LIST_HEAD(copies);
	u64 lo = U64_MAX, hi = 0;
	int rc;

	rc = ioasid_check_map_args(cmd->flags, cmd->dst_iova, cmd->length,
				   cmd->iova_alignment);
	if (rc)
		return rc;
	rc = ioasid_check_range(cmd->src_iova, cmd->length, PAGE_SIZE);
	if (rc)
		return rc;

	ioas = ioasid_get_ioas(ucmd->ctx, cmd->src_ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = ioasid_ioas_collect_copies(ioas, cmd->src_iova,
					cmd->src_iova + cmd->length - 1,
					ioasid_map_prot(cmd->flags), &copies);
	ioasid_put_object(&ioas->obj);
	if (rc)
		return rc;

	ioas = ioasid_get_ioas(ucmd->ctx, cmd->dst_ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_free;
	}
	down_write(&ioas->rwsem);
	rc = ioasid_ioas_place(ioas, cmd->flags, cmd->dst_iova, cmd->length,
			       cmd->src_iova, cmd->iova_alignment, &base);
	if (rc)
		goto out_unlock;
	list_for_each_entry(copy, &copies, copy_node) {
		copy->iova += base;
		rc = ioasid_ioas_insert_area(ioas, copy);
		if (rc)
			break;
		lo = min(lo, copy->id);
		hi = max(hi, copy->id);
	}
	if (rc) {
		/*
		 * Take out the copies inserted before the one that failed;
		 * the rwsem was held throughout, so no access pins them.
		 * Those left on the list were never inserted and are freed
		 * below.
		 */
		list_for_each_entry_safe(done, next, &copies, copy_node) {
			if (done == copy)
				break;
			list_del(&done->copy_node);
			ioasid_ioas_remove_area(ioas, done);
		}
		up_write(&ioas->rwsem);
		goto out_put;
	}
	/*
	 * The IOAS owns the copies now, numbered @lo to @hi: only they were
	 * inserted in it while the rwsem was held.
	 */
	list_for_each_entry_safe(copy, next, &copies, copy_node)
		list_del(&copy->copy_node);
	up_write(&ioas->rwsem);

	/* Without any lock held: the reply may fault. */
	cmd->dst_iova = base;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		/* User space cannot learn the IOVA: undo the copy. */
		ioasid_ioas_undo(ioas, base, base + cmd->length - 1, lo, hi);
	} else {
		ioasid_ioas_notify_map(ioas, base, base + cmd->length - 1);
	}
	goto out_put;

out_unlock:
	up_write(&ioas->rwsem);
out_put:
	ioasid_put_object(&ioas->obj);
out_free:
	ioasid_free_copies(&copies);
	return rc;
}

/*
 * Which areas of a range an unmap removes: all of them (@lo 0, @hi
 * U64_MAX), or only those numbered @lo to @hi, which the call undoing its
 * own map or copy inserted.
 */
struct ioasid_unmap_sel {
	u64 lo;
	u64 hi;
};

static bool ioasid_area_selected(struct ioasid_area *area,
				 const struct ioasid_unmap_sel *sel)
{
	return area->id >= sel->lo && area->id <= sel->hi;
}

/*
 * Mark the selected areas of [first, last] that no other unmap marked as
 * being unmapped by the unmap @token, or clear the marks of @token.
 */
static void ioasid_ioas_mark_unmapping(struct ioasid_ioas *ioas,
				       unsigned long first, unsigned long last,
				       const struct ioasid_unmap_sel *sel,
				       u64 token, bool mark)
{
	unsigned long index = first;
	struct ioasid_area *area;

	lockdep_assert_held_write(&ioas->rwsem);
	mt_for_each(&ioas->areas, area, index, last) {
		if (!ioasid_area_selected(area, sel))
			continue;
		if (mark && !area->unmapping)
			area->unmapping = token;
		else if (!mark && area->unmapping == token)
			area->unmapping = 0;
		cond_resched();
	}
}

/* Tell every access of @ioas that [first, last] is being unmapped. */
static void ioasid_ioas_notify_accesses(struct ioasid_ioas *ioas,
					unsigned long first,
					unsigned long last)
{
	struct ioasid_access *access;

	mutex_lock(&ioas->access_lock);
	list_for_each_entry(access, &ioas->accesses, node)
		access->ops->unmap(access->data, first, last - first + 1);
	mutex_unlock(&ioas->access_lock);
}

/* Remove the selected areas of [first, last], which hold no access pins. */
static unsigned long ioasid_ioas_remove_selected(struct ioasid_ioas *ioas,
						 unsigned long first,
						 unsigned long last,
						 const struct ioasid_unmap_sel *sel)
{
	unsigned long index = first, unmapped = 0;
	struct ioasid_area *area;

	if (sel->lo == 0 && sel->hi == U64_MAX)
		return ioasid_ioas_remove_areas(ioas, first, last);
	mt_for_each(&ioas->areas, area, index, last) {
		if (!ioasid_area_selected(area, sel))
			continue;
		unmapped += area->pages->npages << PAGE_SHIFT;
		ioasid_ioas_remove_area(ioas, area);
		cond_resched();
	}
	return unmapped;
}

/*
 * ioasid_ioas_unmap_range() - Remove the selected areas of [first, last]
 * @ioas: IO address space
 * @first: First IOVA
 * @last: Last IOVA
 * @sel: Which areas of the range
 * @strict: User space's unmap: refuse a range that cuts a selected area
 *          (-EINVAL), or that holds none (-ENOENT) unless it is the whole
 *          address space
 * @unmapped: Output, bytes unmapped
 *
 * When in-kernel accesses hold pins in the areas, they are asked to let go
 * through their unmap callback, without the rwsem, which they need to
 * unpin; the areas are marked first so that no new pin is taken there
 * meanwhile (a mark another unmap set is left to it).  This repeats as long
 * as the accesses make progress, that is while the number of their pins in
 * the range keeps going down: it ends, in -EBUSY when an access keeps its
 * pins.  A fatal signal ends it too, in -EINTR.  On failure nothing is
 * unmapped and the marks this call set are cleared.
 *
 * Another unmap that fails clears the marks it set, which may be on areas
 * this one waits for too: accesses may pin there again meanwhile.  Such
 * pins are new, not pins an access refused to release, so finding an area
 * unmarked starts the count of progress over.
 *
 * Return: 0 or a negative errno as above.
 */
static int ioasid_ioas_unmap_range(struct ioasid_ioas *ioas,
				   unsigned long first, unsigned long last,
				   const struct ioasid_unmap_sel *sel,
				   bool strict, unsigned long *unmapped)
{
	u64 token = atomic64_inc_return(&ioasid_ioas_ids);
	unsigned long least = ULONG_MAX;
	bool marked = false;
	int rc = 0;

	*unmapped = 0;
	for (;;) {
		unsigned long index = first, busy_first = ULONG_MAX;
		unsigned long busy_last = 0, nbusy = 0;
		bool found = false, lost = false;
		struct ioasid_area *area;

		down_write(&ioas->rwsem);
		/* Refuse before changing anything if the range cuts a mapping. */
		mt_for_each(&ioas->areas, area, index, last) {
			unsigned int pins;

			if (!ioasid_area_selected(area, sel))
				continue;
			if (strict && (area->iova < first ||
				       ioasid_area_last(area) > last)) {
				rc = -EINVAL;
				goto out_unlock;
			}
			if (marked && !area->unmapping)
				lost = true;
			pins = atomic_read(&area->num_accesses);
			if (pins) {
				nbusy += pins;
				busy_first = min(busy_first, area->iova);
				busy_last = max(busy_last,
						ioasid_area_last(area));
			}
			found = true;
			cond_resched();
		}
		if (!found) {
			/* Unmapping everything of an empty IOAS is no error. */
			if (strict && (first || last != ULONG_MAX))
				rc = -ENOENT;
			goto out_unlock;
		}
		if (!nbusy)
			break;
		if (lost)
			least = ULONG_MAX;
		if (nbusy >= least) {
			rc = -EBUSY;
			goto out_unlock;
		}
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			goto out_unlock;
		}
		least = nbusy;
		ioasid_ioas_mark_unmapping(ioas, first, last, sel, token, true);
		marked = true;
		up_write(&ioas->rwsem);
		ioasid_ioas_notify_accesses(ioas, busy_first, busy_last);
		cond_resched();
	}
	*unmapped = ioasid_ioas_remove_selected(ioas, first, last, sel);
out_unlock:
	/* The range stays mapped: accesses may pin it again. */
	if (rc && marked)
		ioasid_ioas_mark_unmapping(ioas, first, last, sel, token,
					   false);
	up_write(&ioas->rwsem);
	return rc;
}

/*
 * Undo a map or copy whose result could not be reported: remove the areas
 * of [first, last] numbered @lo to @hi that the call inserted, unless a
 * concurrent unmap removed them already.  Any other area stays.
 */
static void ioasid_ioas_undo(struct ioasid_ioas *ioas, unsigned long first,
			     unsigned long last, u64 lo, u64 hi)
{
	struct ioasid_unmap_sel sel = { .lo = lo, .hi = hi };
	unsigned long unmapped;

	/*
	 * Nothing else can fail: user space did not learn the IOVA, so no
	 * access of a well-behaved driver pins there, and one that does is
	 * asked to let go.  Failing that, the mapping stays, as if the reply
	 * had been lost after the call.
	 */
	ioasid_ioas_unmap_range(ioas, first, last, &sel, false, &unmapped);
}

int ioasid_ioas_unmap(struct ioasid_ucmd *ucmd)
{
	struct ioasid_unmap_sel all = { .lo = 0, .hi = U64_MAX };
	struct ioasid_ioas_unmap *cmd = ucmd->cmd;
	unsigned long first, last, unmapped;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->flags & ~IOASID_IOAS_UNMAP_ALL)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (cmd->flags & IOASID_IOAS_UNMAP_ALL) {
		if (cmd->iova || cmd->length)
			return -EINVAL;
		first = 0;
		last = ULONG_MAX;
	} else {
		rc = ioasid_check_range(cmd->iova, cmd->length, PAGE_SIZE);
		if (rc)
			return rc;
		first = cmd->iova;
		last = cmd->iova + cmd->length - 1;
	}

	ioas = ioasid_get_ioas(ucmd->ctx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = ioasid_ioas_unmap_range(ioas, first, last, &all, true, &unmapped);
	ioasid_put_object(&ioas->obj);
	if (rc)
		return rc;
	/* Without any lock held: the reply may fault. */
	cmd->out_unmapped = unmapped;
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * Append to @ranges the pieces of @win that the reserved ranges (sorted)
 * leave, aligned to @align; returns the new count.
 */
static unsigned int ioasid_ioas_window_pieces(struct ioasid_ioas *ioas,
					      struct ioasid_window *win,
					      unsigned long align,
					      struct ioasid_iova_range *ranges,
					      unsigned int n)
{
	unsigned long start = win->start, s, l;
	unsigned int i;

	lockdep_assert_held(&ioas->rwsem);
	for (i = 0; i < ioas->nr_resv; i++) {
		struct ioasid_resv *r = &ioas->resv[i];

		if (r->last < start || r->start > win->last)
			continue;
		if (r->start > start) {
			s = start;
			l = r->start - 1;
			if (ioasid_align_window(&s, &l, align)) {
				ranges[n].start = s;
				ranges[n].last = l;
				n++;
			}
		}
		if (r->last >= win->last)
			return n;
		start = max(start, r->last + 1);
	}
	s = start;
	l = win->last;
	if (ioasid_align_window(&s, &l, align)) {
		ranges[n].start = s;
		ranges[n].last = l;
		n++;
	}
	return n;
}

int ioasid_ioas_iova_ranges(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_iova_ranges *cmd = ucmd->cmd;
	unsigned long start, last, align;
	struct ioasid_iova_range *ranges;
	struct ioasid_window win;
	struct ioasid_ioas *ioas;
	unsigned int i = 0, n = 0;
	u32 capacity;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ioas = ioasid_get_ioas(ucmd->ctx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	down_read(&ioas->rwsem);
	/*
	 * At most one window per allowed range, each reserved range splitting
	 * one more off: a bounded array.
	 */
	ranges = kvmalloc_array((ioas->allowed ? ioas->nr_allowed : 1) +
				ioas->nr_resv, sizeof(*ranges),
				GFP_KERNEL_ACCOUNT);
	if (!ranges) {
		up_read(&ioas->rwsem);
		ioasid_put_object(&ioas->obj);
		return -ENOMEM;
	}
	ioasid_ioas_window(ioas, &start, &last, &align);
	while (ioasid_ioas_next_window(ioas, &i, &win))
		n = ioasid_ioas_window_pieces(ioas, &win, align, ranges, n);
	up_read(&ioas->rwsem);
	ioasid_put_object(&ioas->obj);

	capacity = cmd->num_ranges;
	cmd->num_ranges = n;
	cmd->out_iova_alignment = align;
	if (capacity < n)
		rc = -EMSGSIZE;
	else if (copy_to_user(u64_to_user_ptr(cmd->ranges), ranges,
			      n * sizeof(*ranges)))
		rc = -EFAULT;
	kvfree(ranges);
	if (rc == -EFAULT)
		return rc;
	/* With -EMSGSIZE too, so that user space learns the number. */
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd)) ?: rc;
}

static int ioasid_range_cmp(const void *a, const void *b)
{
	const struct ioasid_iova_range *ra = a, *rb = b;

	if (ra->start == rb->start)
		return 0;
	return ra->start < rb->start ? -1 : 1;
}

/* Does every mapping lie inside @ranges, and every range inside the window? */
static int ioasid_ioas_check_allowed(struct ioasid_ioas *ioas,
				     struct ioasid_iova_range *ranges,
				     unsigned int n)
{
	unsigned long start, last, align, index = 0;
	struct ioasid_area *area;
	unsigned int i;

	lockdep_assert_held_write(&ioas->rwsem);
	ioasid_ioas_window(ioas, &start, &last, &align);
	for (i = 0; i < n; i++)
		if (ranges[i].start < start || ranges[i].last > last ||
		    ioasid_ioas_find_resv(ioas, ranges[i].start,
					  ranges[i].last))
			return -EADDRINUSE;
	if (!n)
		return 0;
	/* Both are sorted: walk them together. */
	i = 0;
	mt_for_each(&ioas->areas, area, index, ULONG_MAX) {
		while (i < n && ranges[i].last < area->iova)
			i++;
		if (i == n || area->iova < ranges[i].start ||
		    ioasid_area_last(area) > ranges[i].last)
			return -EADDRINUSE;
		cond_resched();
	}
	return 0;
}

/* Make @ranges (sorted, owned) the allowed set; frees the old one. */
static int ioasid_ioas_set_allowed(struct ioasid_ioas *ioas,
				   struct ioasid_iova_range *ranges,
				   unsigned int n)
{
	int rc;

	rc = ioasid_ioas_check_allowed(ioas, ranges, n);
	if (rc)
		return rc;
	kvfree(ioas->allowed);
	ioas->allowed = n ? ranges : NULL;
	ioas->nr_allowed = n;
	ioas->allowed_seq++;
	if (!n)
		kvfree(ranges);
	return 0;
}

int ioasid_ioas_allow_iovas(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_allow_iovas *cmd = ucmd->cmd;
	struct ioasid_iova_range *ranges = NULL;
	struct ioasid_ioas *ioas;
	unsigned int i;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->num_iovas > IOASID_MAX_ALLOWED)
		return -EINVAL;

	if (cmd->num_iovas) {
		ranges = kvmalloc_array(cmd->num_iovas, sizeof(*ranges),
					GFP_KERNEL_ACCOUNT);
		if (!ranges)
			return -ENOMEM;
		if (copy_from_user(ranges, u64_to_user_ptr(cmd->allowed_iovas),
				   cmd->num_iovas * sizeof(*ranges))) {
			rc = -EFAULT;
			goto out_free;
		}
	}
	sort(ranges, cmd->num_iovas, sizeof(*ranges), ioasid_range_cmp, NULL);
	for (i = 0; i < cmd->num_iovas; i++) {
		rc = -EINVAL;
		if (ranges[i].start > ranges[i].last ||
		    ranges[i].last > ULONG_MAX ||
		    !IS_ALIGNED(ranges[i].start, PAGE_SIZE) ||
		    !IS_ALIGNED(ranges[i].last + 1, PAGE_SIZE))
			goto out_free;
		if (i && ranges[i].start <= ranges[i - 1].last)
			goto out_free;
	}

	ioas = ioasid_get_ioas(ucmd->ctx, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_free;
	}
	down_write(&ioas->rwsem);
	rc = ioasid_ioas_set_allowed(ioas, ranges, cmd->num_iovas);
	up_write(&ioas->rwsem);
	ioasid_put_object(&ioas->obj);
	if (!rc)
		return 0;
out_free:
	kvfree(ranges);
	return rc;
}

int ioasid_ioas_reserve(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_reserve *cmd = ucmd->cmd;
	struct ioasid_iova_range *range, *old;
	unsigned int old_nr;
	struct ioasid_ioas *ioas;
	unsigned long iova;
	u64 seq;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	rc = ioasid_check_range(0, cmd->length, PAGE_SIZE);
	if (rc)
		return rc;
	if (cmd->iova_alignment && (!is_power_of_2(cmd->iova_alignment) ||
				    cmd->iova_alignment > ULONG_MAX / 2))
		return -EINVAL;

	range = kzalloc(sizeof(*range), GFP_KERNEL_ACCOUNT);
	if (!range)
		return -ENOMEM;
	ioas = ioasid_get_ioas(ucmd->ctx, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		kfree(range);
		return PTR_ERR(ioas);
	}

	down_write(&ioas->rwsem);
	/*
	 * The window replaces the allowed set, so it is searched for in the
	 * apertures alone.  Keep the old set until the new one is in place
	 * for good.
	 */
	old = ioas->allowed;
	old_nr = ioas->nr_allowed;
	ioas->allowed = NULL;
	ioas->nr_allowed = 0;
	rc = ioasid_ioas_alloc_iova(ioas, 0, cmd->length, cmd->iova_alignment,
				    &iova);
	if (rc)
		goto err_restore;
	range->start = iova;
	range->last = iova + cmd->length - 1;
	rc = ioasid_ioas_check_allowed(ioas, range, 1);
	if (rc)
		goto err_restore;
	ioas->allowed = range;
	ioas->nr_allowed = 1;
	seq = ++ioas->allowed_seq;
	up_write(&ioas->rwsem);

	/* Without any lock held: the reply may fault. */
	cmd->out_iova = iova;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		/*
		 * User space cannot learn the window: bring the old allowed
		 * set back, unless the set changed meanwhile or a mapping
		 * made since would fall outside it; then the window stays,
		 * as IOASID_IOAS_IOVA_RANGES reports.
		 */
		down_write(&ioas->rwsem);
		if (ioas->allowed_seq == seq &&
		    !ioasid_ioas_check_allowed(ioas, old, old_nr)) {
			ioas->allowed = old;
			ioas->nr_allowed = old_nr;
			ioas->allowed_seq++;
			old = range;
		}
		up_write(&ioas->rwsem);
	}
	ioasid_put_object(&ioas->obj);
	kvfree(old);
	return rc;

err_restore:
	ioas->allowed = old;
	ioas->nr_allowed = old_nr;
	up_write(&ioas->rwsem);
	ioasid_put_object(&ioas->obj);
	kfree(range);
	return rc;
}

/**
 * ioasid_ioas_attach_domain() - Make a domain hold the IOAS's mappings
 * @ioas: IO address space
 * @domain: Paging domain not attached to any IOAS
 *
 * Fills @domain from the existing pins.  On failure @domain and the IOAS
 * are as they were.
 *
 * Return: 0; -EADDRINUSE when a mapping lies outside the domain's
 * aperture or is not aligned to its smallest page; -ENOMEM or another
 * error of iommu_map().
 */
int ioasid_ioas_attach_domain(struct ioasid_ioas *ioas,
			      struct iommu_domain *domain)
{
	struct ioasid_ioas_domain *idom;
	struct ioasid_area *area, *done;
	unsigned long index = 0;
	unsigned int i;
	int rc = 0;

	idom = kzalloc(sizeof(*idom), GFP_KERNEL_ACCOUNT);
	if (!idom)
		return -ENOMEM;
	idom->domain = domain;

	down_write(&ioas->rwsem);
	/* Every mapping must stay usable through the new domain. */
	mt_for_each(&ioas->areas, area, index, ULONG_MAX) {
		unsigned long len = area->pages->npages << PAGE_SHIFT;

		if ((domain->geometry.force_aperture &&
		     (area->iova < domain->geometry.aperture_start ||
		      ioasid_area_last(area) > domain->geometry.aperture_end)) ||
		    !IS_ALIGNED(area->iova | len,
				1UL << __ffs(domain->pgsize_bitmap))) {
			rc = -EADDRINUSE;
			goto out_unlock;
		}
		cond_resched();
	}
	/* So must every allowed range. */
	for (i = 0; domain->geometry.force_aperture && i < ioas->nr_allowed;
	     i++) {
		if (ioas->allowed[i].start < domain->geometry.aperture_start ||
		    ioas->allowed[i].last > domain->geometry.aperture_end) {
			rc = -EADDRINUSE;
			goto out_unlock;
		}
	}

	index = 0;
	mt_for_each(&ioas->areas, area, index, ULONG_MAX) {
		rc = ioasid_pages_map(area->pages, domain, area->iova,
				      area->prot);
		if (rc)
			goto err_unmap;
		cond_resched();
	}
	list_add_tail(&idom->node, &ioas->domains);
	up_write(&ioas->rwsem);
	return 0;

err_unmap:
	index = 0;
	mt_for_each(&ioas->areas, done, index, ULONG_MAX) {
		if (done == area)
			break;
		ioasid_pages_unmap(done->pages, domain, done->iova);
		cond_resched();
	}
out_unlock:
	up_write(&ioas->rwsem);
	kfree(idom);
	return rc;
}

/**
 * ioasid_ioas_detach_domain() - Undo ioasid_ioas_attach_domain()
 * @ioas: IO address space
 * @domain: Attached domain; left without any mapping
 */
void ioasid_ioas_detach_domain(struct ioasid_ioas *ioas,
			       struct iommu_domain *domain)
{
	struct ioasid_ioas_domain *idom;
	struct ioasid_area *area;
	unsigned long index = 0;

	down_write(&ioas->rwsem);
	list_for_each_entry(idom, &ioas->domains, node) {
		if (idom->domain == domain)
			break;
	}
	if (WARN_ON(list_entry_is_head(idom, &ioas->domains, node)))
		goto out_unlock;
	list_del(&idom->node);
	mt_for_each(&ioas->areas, area, index, ULONG_MAX) {
		ioasid_pages_unmap(area->pages, domain, area->iova);
		cond_resched();
	}
	kfree(idom);
out_unlock:
	up_write(&ioas->rwsem);
}

static int ioasid_resv_cmp(const void *a, const void *b)
{
	const struct ioasid_resv *ra = a, *rb = b;

	if (ra->start == rb->start)
		return 0;
	return ra->start < rb->start ? -1 : 1;
}

/**
 * ioasid_ioas_add_resv() - Reserve the IOVA ranges a device cannot use
 * @ioas: IOAS the device is being attached to
 * @dev: The device
 * @owner: Tag to remove them by, with ioasid_ioas_remove_resv()
 *
 * Takes the device's reserved regions (such as the MSI window) out of the
 * usable IOVA of @ioas, unless a mapping or an allowed range lies there.
 *
 * Return: 0; -EADDRINUSE when a region collides with a mapping or an
 * allowed range; -ENOMEM.
 */
int ioasid_ioas_add_resv(struct ioasid_ioas *ioas, struct device *dev,
			 const void *owner)
{
	struct iommu_resv_region *region;
	struct ioasid_resv *resv, *old;
	unsigned int n = 0, i;
	LIST_HEAD(regions);
	int rc = 0;

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list)
		n++;
	if (!n)
		goto out_put;

	down_write(&ioas->rwsem);
	resv = kvmalloc_array(ioas->nr_resv + n, sizeof(*resv),
			      GFP_KERNEL_ACCOUNT);
	if (!resv) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	memcpy(resv, ioas->resv, ioas->nr_resv * sizeof(*resv));
	n = ioas->nr_resv;
	list_for_each_entry(region, &regions, list) {
		unsigned long first = region->start;
		unsigned long last = region->start + region->length - 1;
		unsigned long index = first;

		/* Only a hint: the device works without the identity map. */
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE || !region->length)
			continue;
		if (mt_find(&ioas->areas, &index, last)) {
			rc = -EADDRINUSE;
			break;
		}
		for (i = 0; i < ioas->nr_allowed; i++) {
			if (ioas->allowed[i].start <= last &&
			    ioas->allowed[i].last >= first) {
				rc = -EADDRINUSE;
				break;
			}
		}
		if (rc)
			break;
		resv[n].start = first;
		resv[n].last = last;
		resv[n].owner = owner;
		n++;
	}
	if (rc) {
		kvfree(resv);
		goto out_unlock;
	}
	sort(resv, n, sizeof(*resv), ioasid_resv_cmp, NULL);
	old = ioas->resv;
	ioas->resv = resv;
	ioas->nr_resv = n;
	kvfree(old);
out_unlock:
	up_write(&ioas->rwsem);
out_put:
	iommu_put_resv_regions(dev, &regions);
	return rc;
}

/**
 * ioasid_ioas_remove_resv() - Give back what ioasid_ioas_add_resv() took
 * @ioas: IOAS
 * @owner: Tag given to ioasid_ioas_add_resv()
 */
void ioasid_ioas_remove_resv(struct ioasid_ioas *ioas, const void *owner)
{
	unsigned int i, n = 0;

	down_write(&ioas->rwsem);
	for (i = 0; i < ioas->nr_resv; i++)
		if (ioas->resv[i].owner != owner)
			ioas->resv[n++] = ioas->resv[i];
	ioas->nr_resv = n;
	up_write(&ioas->rwsem);
}
