// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinned memory of /dev/ioasid.
 *
 * A struct ioasid_pages holds long-term pins on a range of user memory, or
 * of a memfd or hugetlbfs file, and describes it as runs of physically
 * contiguous pages, so that a 2 MiB or 1 GiB folio reaches iommu_map() as
 * one run and the IOMMU driver can use large IOPTEs.  Every page of the
 * range is pinned once and charged once, however many areas, IOASes and
 * domains use the object.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/falloc.h>

#include "ioasid_private.h"

/* Bound on the temporary page array of one pinning step: 64 KiB. */
#define IOASID_PIN_BATCH	(SZ_64K / sizeof(struct page *))
/* Small pins use an on-stack page array instead. */
#define IOASID_PIN_SMALL	16

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

/* File pins hold one pin per folio: drop each folio's pin once. */
static void ioasid_pages_unpin_folios(struct ioasid_pages *pages,
				      unsigned long pfn, unsigned long n)
{
	while (n) {
		struct page *page = pfn_to_page(pfn);
		struct folio *folio = page_folio(page);
		unsigned long in_folio;

		/* folio_page_idx() is signed with SPARSEMEM_VMEMMAP. */
		in_folio = min_t(unsigned long, n,
				 folio_nr_pages(folio) -
				 folio_page_idx(folio, page));
		if (pages->writable)
			set_page_dirty_lock(&folio->page);
		unpin_folio(folio);
		pfn += in_folio;
		n -= in_folio;
	}
}

static void ioasid_pages_unpin(struct ioasid_pages *pages,
			       unsigned long npinned)
{
	struct page *page;
	unsigned long i;

	for (i = 0; i < pages->nr_runs; i++) {
		unsigned long n = ioasid_run_npages(pages, i);

		/* A failed pin may leave runs beyond what stays pinned. */
		if (pages->runs[i].index >= npinned)
			break;
		if (pages->runs[i].index + n > npinned)
			n = npinned - pages->runs[i].index;
		page = pfn_to_page(pages->runs[i].pfn);
		if (pages->file)
			ioasid_pages_unpin_folios(pages, pages->runs[i].pfn, n);
		else
			unpin_user_page_range_dirty_lock(page, n,
							 pages->writable);
	}
}

/*
 * Append @n pinned pages starting at @pfn, the pages at @index on, to the
 * runs, extending the last run when they continue it physically.
 */
static int ioasid_pages_add_range(struct ioasid_pages *pages,
				  unsigned long pfn, unsigned long n,
				  unsigned long index, unsigned long *max_runs)
{
	struct ioasid_pfn_run *last;

	if (pages->nr_runs) {
		last = &pages->runs[pages->nr_runs - 1];
		if (last->pfn + (index - last->index) == pfn)
			return 0;
	}
	if (pages->nr_runs == *max_runs) {
		unsigned long grow = min(max(*max_runs * 2, 16UL),
					 pages->npages);
		struct ioasid_pfn_run *runs;

		if (pages->runs == &pages->run0) {
			/* Leave the inline first run for an array. */
			runs = kvmalloc_array(grow, sizeof(*runs),
					      GFP_KERNEL_ACCOUNT);
			if (runs)
				runs[0] = pages->run0;
		} else {
			runs = kvrealloc(pages->runs, grow * sizeof(*runs),
					 GFP_KERNEL_ACCOUNT);
		}
		if (!runs)
			return -ENOMEM;
		pages->runs = runs;
		*max_runs = grow;
	}
	pages->runs[pages->nr_runs].pfn = pfn;
	pages->runs[pages->nr_runs].index = index;
	pages->nr_runs++;
	return 0;
}

static struct ioasid_pages *ioasid_pages_alloc(struct ioasid_ctx *ctx,
					       unsigned long length,
					       bool writable)
{
	struct ioasid_pages *pages;
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
	/* Most pinned ranges are one run: no allocation for it. */
	pages->runs = &pages->run0;

	rc = ioasid_pages_charge(pages);
	if (rc) {
		mmdrop(pages->mm);
		free_uid(pages->user);
		kfree(pages);
		return ERR_PTR(rc);
	}
	return pages;
}

/* Free pages whose first @npinned pages are pinned. */
static void ioasid_pages_free(struct ioasid_pages *pages,
			      unsigned long npinned)
{
	ioasid_pages_unpin(pages, npinned);
	ioasid_pages_uncharge(pages);
	if (pages->runs != &pages->run0)
		kvfree(pages->runs);
	mmdrop(pages->mm);
	free_uid(pages->user);
	kfree(pages);
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
	unsigned long max_runs = 1, done = 0;
	struct page *small[IOASID_PIN_SMALL];
	struct ioasid_pages *pages;
	struct page **batch = small;
	int rc = 0;

	pages = ioasid_pages_alloc(ctx, length, writable);
	if (IS_ERR(pages))
		return pages;

	if (pages->npages > IOASID_PIN_SMALL) {
		batch = kmalloc_array(min(pages->npages, IOASID_PIN_BATCH),
				      sizeof(*batch), GFP_KERNEL_ACCOUNT);
		if (!batch) {
			rc = -ENOMEM;
			goto err;
		}
	}

	while (done < pages->npages) {
		unsigned long n = min(pages->npages - done, IOASID_PIN_BATCH);
		long pinned, i, len;

		pinned = pin_user_pages_fast(uaddr + (done << PAGE_SHIFT), n,
					     gup_flags, batch);
		if (pinned <= 0) {
			rc = pinned ? pinned : -EFAULT;
			goto err;
		}
		for (i = 0; i < pinned; i += len) {
			unsigned long pfn = page_to_pfn(batch[i]);

			/*
			 * The pages of a huge folio come back in order: take
			 * each physically contiguous stretch in one step.
			 */
			for (len = 1; i + len < pinned &&
			     page_to_pfn(batch[i + len]) == pfn + len; len++)
				;
			rc = ioasid_pages_add_range(pages, pfn, len, done,
						    &max_runs);
			if (rc) {
				unpin_user_pages(batch + i, pinned - i);
				goto err;
			}
			done += len;
		}
		cond_resched();
	}
	if (batch != small)
		kfree(batch);
	return pages;

err:
	if (batch != small)
		kfree(batch);
	ioasid_pages_free(pages, done);
	return ERR_PTR(rc);
}

/*
 * memfd_pin_folios() allocates a missing hugetlb folio without taking a
 * reservation for it, which the hugetlb code of this kernel does not allow
 * (alloc_hugetlb_folio_reserve() expects one).  So for hugetlbfs the range
 * is populated the regular way first, by fallocate(), and pinned under the
 * inode lock after checking that every folio is there: the lock keeps holes
 * from being punched and the file from being truncated meanwhile.  On
 * success the inode lock is held shared.
 */
static int ioasid_hugetlb_prepare(struct file *file, loff_t start,
				  unsigned long length)
{
	struct hstate *h = hstate_file(file);
	pgoff_t idx = start >> huge_page_shift(h);
	pgoff_t last = (start + length - 1) >> huge_page_shift(h);
	int rc;

	if (file->f_mode & FMODE_WRITE) {
		rc = vfs_fallocate(file, FALLOC_FL_KEEP_SIZE, start, length);
		if (rc)
			return rc == -ENOSPC ? -ENOMEM : rc;
	}

	inode_lock_shared(file_inode(file));
	for (; idx <= last; idx++) {
		struct folio *folio;

		folio = filemap_get_folio(file->f_mapping,
					  idx << huge_page_order(h));
		if (IS_ERR(folio)) {
			inode_unlock_shared(file_inode(file));
			return -EFAULT;
		}
		folio_put(folio);
	}
	return 0;
}

/**
 * ioasid_pages_pin_file() - Pin a range of a memfd or hugetlbfs file
 * @ctx: Context pinning, whose account mode applies
 * @file: The file
 * @start: Page aligned offset in the file
 * @length: Page aligned, non-zero length in bytes
 * @writable: Pin for device writes too
 *
 * Pins whole folios through the page cache, without walking page tables:
 * one pin per folio, however large.  Charges like ioasid_pages_pin_user().
 * Missing pages are allocated; for hugetlbfs only through a file open for
 * writing.
 *
 * Return: the pinned pages, or ERR_PTR(): -ENOMEM; -EINVAL when the file
 * is neither shmem nor hugetlbfs or the range ends beyond it; -EFAULT when
 * hugetlbfs pages are missing and the file is not open for writing.
 */
struct ioasid_pages *ioasid_pages_pin_file(struct ioasid_ctx *ctx,
					   struct file *file, loff_t start,
					   unsigned long length, bool writable)
{
	bool hugetlb = is_file_hugepages(file);
	unsigned long max_runs = 1, done = 0;
	struct ioasid_pages *pages;
	struct folio **folios;
	unsigned int max;
	int rc = 0;

	if (start + length > i_size_read(file_inode(file)))
		return ERR_PTR(-EINVAL);

	pages = ioasid_pages_alloc(ctx, length, writable);
	if (IS_ERR(pages))
		return pages;
	pages->file = true;

	if (hugetlb) {
		rc = ioasid_hugetlb_prepare(file, start, length);
		if (rc) {
			ioasid_pages_free(pages, 0);
			return ERR_PTR(rc);
		}
	}

	max = min(pages->npages, IOASID_PIN_BATCH);
	folios = kmalloc_array(max, sizeof(*folios), GFP_KERNEL_ACCOUNT);
	if (!folios) {
		rc = -ENOMEM;
		goto err;
	}

	while (done < pages->npages) {
		loff_t pos = start + ((loff_t)done << PAGE_SHIFT);
		pgoff_t offset = 0;
		long n, i;

		n = memfd_pin_folios(file, pos, start + length - 1, folios, max,
				     &offset);
		if (n <= 0) {
			rc = n ? n : -EFAULT;
			goto err;
		}
		for (i = 0; i < n; i++) {
			unsigned long first = i ? 0 : offset >> PAGE_SHIFT;
			unsigned long cnt;

			cnt = min(folio_nr_pages(folios[i]) - first,
				  pages->npages - done);
			rc = ioasid_pages_add_range(pages,
						    folio_pfn(folios[i]) + first,
						    cnt, done, &max_runs);
			if (rc) {
				unpin_folios(folios + i, n - i);
				goto err;
			}
			done += cnt;
		}
		cond_resched();
	}
	if (hugetlb)
		inode_unlock_shared(file_inode(file));
	kfree(folios);
	return pages;

err:
	if (hugetlb)
		inode_unlock_shared(file_inode(file));
	kfree(folios);
	ioasid_pages_free(pages, done);
	return ERR_PTR(rc);
}

static void ioasid_pages_release(struct kref *kref)
{
	struct ioasid_pages *pages =
		container_of(kref, struct ioasid_pages, kref);

	ioasid_pages_free(pages, pages->npages);
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

/**
 * ioasid_pages_get_pages() - The struct pages behind part of the range
 * @pages: Pinned pages
 * @index: First page, counted from the start of the range
 * @n: Number of pages, @index + @n <= @pages->npages
 * @out: Array of @n entries to fill
 *
 * The pages stay pinned as long as @pages lives; no reference is taken.
 */
void ioasid_pages_get_pages(struct ioasid_pages *pages, unsigned long index,
			    unsigned long n, struct page **out)
{
	unsigned long lo = 0, hi = pages->nr_runs, run;

	/* The last run starting at or before @index. */
	while (hi - lo > 1) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (pages->runs[mid].index <= index)
			lo = mid;
		else
			hi = mid;
	}
	for (run = lo; n; run++) {
		unsigned long end = run + 1 < pages->nr_runs ?
				    pages->runs[run + 1].index : pages->npages;

		for (; n && index < end; n--, index++)
			*out++ = pfn_to_page(pages->runs[run].pfn + index -
					     pages->runs[run].index);
	}
}
