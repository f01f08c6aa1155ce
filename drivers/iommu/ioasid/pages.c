// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinned user memory of /dev/ioasid.
 *
 * A struct ioasid_pages holds long-term pins on a range of user memory and
 * describes it as runs of physically contiguous pages, so that a 2 MiB or
 * 1 GiB folio reaches iommu_map() as one run and the IOMMU driver can use
 * large IOPTEs.  Every page of the range is pinned once and charged once,
 * however many areas, IOASes and domains use the object.
 */
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "ioasid_private.h"

/* Bound on the temporary page array of one pinning step: 64 KiB. */
#define IOASID_PIN_BATCH	(SZ_64K / sizeof(struct page *))

static int ioasid_pages_charge(struct ioasid_pages *pages)
{
	unsigned long limit, cur, new;
	int rc;

	if (pages->account_mode == IOASID_ACCOUNT_MM) {
		/*
		 * VFIO type1's accounting: always counted in the mm's
		 * locked_vm, limited unless the caller has CAP_IPC_LOCK.
		 */
		rc = account_locked_vm(pages->mm, pages->npages, true);
		if (rc)
			return rc;
		pages->charged = true;
		goto out;
	}

	if (capable(CAP_IPC_LOCK))
		goto out;

	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	cur = atomic_long_read(&pages->user->locked_vm);
	do {
		if (check_add_overflow(cur, pages->npages, &new) ||
		    new > limit)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&pages->user->locked_vm, &cur,
					  new));
	pages->charged = true;
out:
	atomic64_add(pages->npages, &pages->mm->pinned_vm);
	atomic_long_add(pages->npages, &pages->ctx->npinned);
	return 0;
}

static void ioasid_pages_uncharge(struct ioasid_pages *pages)
{
	atomic_long_sub(pages->npages, &pages->ctx->npinned);
	atomic64_sub(pages->npages, &pages->mm->pinned_vm);
	if (!pages->charged)
		return;
	if (pages->account_mode == IOASID_ACCOUNT_USER) {
		atomic_long_sub(pages->npages, &pages->user->locked_vm);
		return;
	}
	/* A process that is gone has no locked_vm left to give back. */
	if (mmget_not_zero(pages->mm)) {
		account_locked_vm(pages->mm, pages->npages, false);
		mmput(pages->mm);
	}
}

static unsigned long ioasid_run_npages(struct ioasid_pages *pages,
				       unsigned long i)
{
	unsigned long end = i + 1 < pages->nr_runs ? pages->runs[i + 1].index :
						     pages->npages;

	return end - pages->runs[i].index;
}

static void ioasid_pages_unpin(struct ioasid_pages *pages,
			       unsigned long npinned)
{
	unsigned long i;

	for (i = 0; i < pages->nr_runs; i++) {
		unsigned long n = ioasid_run_npages(pages, i);

		/* A failed pin may leave runs beyond what stays pinned. */
		if (pages->runs[i].index >= npinned)
			break;
		if (pages->runs[i].index + n > npinned)
			n = npinned - pages->runs[i].index;
		unpin_user_page_range_dirty_lock(pfn_to_page(pages->runs[i].pfn),
						 n, pages->writable);
	}
}

/* Append pinned pages to the runs, extending the last run when it can. */
static int ioasid_pages_add_runs(struct ioasid_pages *pages,
				 struct page **batch, unsigned long n,
				 unsigned long index, unsigned long *max_runs)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		unsigned long pfn = page_to_pfn(batch[i]);
		struct ioasid_pfn_run *last;

		if (pages->nr_runs) {
			last = &pages->runs[pages->nr_runs - 1];
			if (last->pfn + (index + i - last->index) == pfn)
				continue;
		}
		if (pages->nr_runs == *max_runs) {
			unsigned long grow = max(*max_runs * 2, 16UL);
			struct ioasid_pfn_run *runs;

			grow = min(grow, pages->npages);
			runs = kvrealloc(pages->runs, grow * sizeof(*runs),
					 GFP_KERNEL_ACCOUNT);
			if (!runs)
				return -ENOMEM;
			pages->runs = runs;
			*max_runs = grow;
		}
		pages->runs[pages->nr_runs].pfn = pfn;
		pages->runs[pages->nr_runs].index = index + i;
		pages->nr_runs++;
	}
	return 0;
}

/**
 * ioasid_pages_pin_user() - Pin a range of the caller's memory
 * @ctx: Context pinning, whose account mode applies
 * @uaddr: Page aligned user address
 * @length: Page aligned, non-zero length in bytes
 * @writable: Pin for device writes too
 *
 * Charges the pages to the caller's RLIMIT_MEMLOCK as the context's
 * account mode says (unless it has CAP_IPC_LOCK), then pins them long term.
 *
 * Return: the pinned pages, or ERR_PTR(): -ENOMEM when the limit or memory
 * runs out, -EFAULT when part of the range is not mapped or not writable
 * while @writable is set.
 */
struct ioasid_pages *ioasid_pages_pin_user(struct ioasid_ctx *ctx,
					   unsigned long uaddr,
					   unsigned long length, bool writable)
{
	unsigned int gup_flags = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	unsigned long max_runs = 0, done = 0;
	struct ioasid_pages *pages;
	struct page **batch;
	int rc;

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	pages->ctx = ctx;
	pages->account_mode = READ_ONCE(ctx->account_mode);
	pages->npages = length >> PAGE_SHIFT;
	pages->writable = writable;
	pages->user = get_uid(current_user());
	mmgrab(current->mm);
	pages->mm = current->mm;

	rc = ioasid_pages_charge(pages);
	if (rc)
		goto err_free;

	batch = kmalloc_array(min(pages->npages, IOASID_PIN_BATCH),
			      sizeof(*batch), GFP_KERNEL_ACCOUNT);
	if (!batch) {
		rc = -ENOMEM;
		goto err_uncharge;
	}

	while (done < pages->npages) {
		unsigned long n = min(pages->npages - done, IOASID_PIN_BATCH);
		long pinned;

		pinned = pin_user_pages_fast(uaddr + (done << PAGE_SHIFT), n,
					     gup_flags, batch);
		if (pinned <= 0) {
			rc = pinned ? pinned : -EFAULT;
			goto err_unpin;
		}
		rc = ioasid_pages_add_runs(pages, batch, pinned, done,
					   &max_runs);
		if (rc) {
			unpin_user_pages(batch, pinned);
			goto err_unpin;
		}
		done += pinned;
		cond_resched();
	}
	kfree(batch);
	return pages;

err_unpin:
	ioasid_pages_unpin(pages, done);
	kfree(batch);
err_uncharge:
	ioasid_pages_uncharge(pages);
err_free:
	kvfree(pages->runs);
	mmdrop(pages->mm);
	free_uid(pages->user);
	kfree(pages);
	return ERR_PTR(rc);
}

static void ioasid_pages_release(struct kref *kref)
{
	struct ioasid_pages *pages =
		container_of(kref, struct ioasid_pages, kref);

	ioasid_pages_unpin(pages, pages->npages);
	ioasid_pages_uncharge(pages);
	kvfree(pages->runs);
	mmdrop(pages->mm);
	free_uid(pages->user);
	kfree(pages);
}

/**
 * ioasid_pages_put() - Drop a reference; the last one unpins and uncharges
 * @pages: Pinned pages
 */
void ioasid_pages_put(struct ioasid_pages *pages)
{
	kref_put(&pages->kref, ioasid_pages_release);
}

/**
 * ioasid_pages_map() - Map pinned pages into a domain
 * @pages: Pinned pages
 * @domain: Paging domain
 * @iova: IOVA of the first page
 * @prot: IOMMU_READ / IOMMU_WRITE
 *
 * Each physically contiguous run is one iommu_map() call.  On failure
 * nothing stays mapped.
 *
 * Return: 0 or the error of iommu_map().
 */
int ioasid_pages_map(struct ioasid_pages *pages, struct iommu_domain *domain,
		     unsigned long iova, int prot)
{
	unsigned long i;
	int rc;

	for (i = 0; i < pages->nr_runs; i++) {
		struct ioasid_pfn_run *run = &pages->runs[i];

		rc = iommu_map(domain, iova + (run->index << PAGE_SHIFT),
			       PFN_PHYS(run->pfn),
			       ioasid_run_npages(pages, i) << PAGE_SHIFT, prot,
			       GFP_KERNEL_ACCOUNT);
		if (rc) {
			if (run->index)
				iommu_unmap(domain, iova,
					    run->index << PAGE_SHIFT);
			return rc;
		}
	}
	return 0;
}

/**
 * ioasid_pages_unmap() - Undo ioasid_pages_map()
 * @pages: Pinned pages
 * @domain: Paging domain
 * @iova: IOVA of the first page
 */
void ioasid_pages_unmap(struct ioasid_pages *pages,
			struct iommu_domain *domain, unsigned long iova)
{
	size_t length = pages->npages << PAGE_SHIFT;

	WARN_ON(iommu_unmap(domain, iova, length) != length);
}
