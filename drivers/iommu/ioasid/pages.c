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
 *
 * Every loop here can run for a long time on a large range of small pages:
 * each reschedules, and those that a user starts (pinning, mapping into a
 * domain) stop on a fatal signal and undo what they did.
 */
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/iommu.h>
#include <linux/memfd.h>
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
/*
 * The runs are kept in page-sized chunks: their memory grows with the
 * number of runs alone, one order-0 allocation at a time, and no run is
 * ever copied (see ioasid_pages_add_range()).
 */
#define IOASID_RUNS_PER_CHUNK	(PAGE_SIZE / sizeof(struct ioasid_pfn_run))
/*
 * Bound on the IOVA one iommu_unmap() call of ioasid_pages_unmap() covers,
 * and so on the IOPTEs it removes and the time it takes.
 */
#define IOASID_UNMAP_BATCH	SZ_64M

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

static struct ioasid_pfn_run *ioasid_run(struct ioasid_pages *pages,
					 unsigned long i)
{
	if (!pages->chunks)
		return &pages->run0;
	return &pages->chunks[i / IOASID_RUNS_PER_CHUNK]
			     [i % IOASID_RUNS_PER_CHUNK];
}

static unsigned long ioasid_run_npages(struct ioasid_pages *pages,
				       unsigned long i)
{
	unsigned long end = i + 1 < pages->nr_runs ?
			    ioasid_run(pages, i + 1)->index : pages->npages;

	return end - ioasid_run(pages, i)->index;
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
	unsigned long i;

	for (i = 0; i < pages->nr_runs; i++) {
		struct ioasid_pfn_run *run = ioasid_run(pages, i);
		unsigned long n = ioasid_run_npages(pages, i);

		/* A failed pin may leave runs beyond what stays pinned. */
		if (run->index >= npinned)
			break;
		if (run->index + n > npinned)
			n = npinned - run->index;
		if (pages->file)
			ioasid_pages_unpin_folios(pages, run->pfn, n);
		else
			unpin_user_page_range_dirty_lock(pfn_to_page(run->pfn),
							 n, pages->writable);
		cond_resched();
	}
}

/*
 * Append @n pinned pages starting at @pfn, the pages at @index on, to the
 * runs, extending the last run when they continue it physically.
 *
 * A range of scattered small pages needs one run per page.  Rather than in
 * one array grown by reallocation, which would need twice its size at
 * each step, be copied again and again, and end up as one large vmalloc
 * area, the runs are kept in page-sized chunks: the memory is 16 bytes per
 * run plus one partly used page and the array of chunk pointers (8 bytes
 * per 256 runs, the only thing that is reallocated).  All of it is charged
 * to the caller's memory cgroup.
 */
static int ioasid_pages_add_range(struct ioasid_pages *pages,
				  unsigned long pfn, unsigned long n,
				  unsigned long index)
{
	unsigned long i = pages->nr_runs;
	struct ioasid_pfn_run *run;

	if (!i) {
		/* Most pinned ranges are one run: no allocation for it. */
		pages->run0.pfn = pfn;
		pages->run0.index = index;
		pages->nr_runs = 1;
		return 0;
	}
	run = ioasid_run(pages, i - 1);
	if (run->pfn + (index - run->index) == pfn)
		return 0;

	if (!pages->chunks || i % IOASID_RUNS_PER_CHUNK == 0) {
		unsigned long chunk = pages->chunks ?
				      i / IOASID_RUNS_PER_CHUNK : 0;
		struct ioasid_pfn_run *new;

		new = (void *)__get_free_page(GFP_KERNEL_ACCOUNT);
		if (!new)
			return -ENOMEM;
		if (chunk >= pages->max_chunks) {
			unsigned long grow = max(pages->max_chunks * 2, 4UL);
			struct ioasid_pfn_run **chunks;

			chunks = kvrealloc(pages->chunks,
					   array_size(grow, sizeof(*chunks)),
					   GFP_KERNEL_ACCOUNT);
			if (!chunks) {
				free_page((unsigned long)new);
				return -ENOMEM;
			}
			pages->chunks = chunks;
			pages->max_chunks = grow;
		}
		/* The first chunk takes over the inline run. */
		if (!chunk)
			new[0] = pages->run0;
		pages->chunks[chunk] = new;
	}
	run = &pages->chunks[i / IOASID_RUNS_PER_CHUNK]
			    [i % IOASID_RUNS_PER_CHUNK];
	run->pfn = pfn;
	run->index = index;
	pages->nr_runs++;
	return 0;
}

static void ioasid_pages_free_runs(struct ioasid_pages *pages)
{
	unsigned long i;

	if (!pages->chunks)
		return;
	for (i = 0; i < DIV_ROUND_UP(pages->nr_runs, IOASID_RUNS_PER_CHUNK);
	     i++)
		free_page((unsigned long)pages->chunks[i]);
	kvfree(pages->chunks);
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
	ioasid_pages_free_runs(pages);
	if (pages->file) {
		if (pages->writable)
			mapping_unmap_writable(pages->file->f_mapping);
		fput(pages->file);
	}
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
 * Reschedules as it goes; a fatal signal stops it, and what was pinned is
 * unpinned again.
 *
 * Return: the pinned pages, or ERR_PTR(): -ENOMEM when the limit or memory
 * runs out, -EFAULT when part of the range is not mapped or not writable
 * while @writable is set, -EINTR on a fatal signal.
 */
struct ioasid_pages *ioasid_pages_pin_user(struct ioasid_ctx *ctx,
					   unsigned long uaddr,
					   unsigned long length, bool writable)
{
	unsigned int gup_flags = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	unsigned long done = 0;
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
			rc = ioasid_pages_add_range(pages, pfn, len, done);
			if (rc) {
				unpin_user_pages(batch + i, pinned - i);
				goto err;
			}
			done += len;
		}
		cond_resched();
		if (done < pages->npages && fatal_signal_pending(current)) {
			rc = -EINTR;
			goto err;
		}
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

/*
 * A writable pin of a file counts as a shared writable mapping of it: it
 * holds the mapping's i_mmap_writable, so F_SEAL_WRITE cannot be added
 * while the pin exists (F_ADD_SEALS fails with EBUSY, as with a shared
 * writable mmap), and the pin cannot be taken once the seal is there.
 * F_SEAL_FUTURE_WRITE refuses new writable mappings and leaves existing
 * ones: the seals are read after the count is taken, so a seal added
 * meanwhile finds this pin as an existing mapping.
 */
static int ioasid_file_map_writable(struct file *file)
{
	long seals;
	int rc;

	rc = mapping_map_writable(file->f_mapping);
	if (rc)
		return rc;
	seals = memfd_fcntl(file, F_GET_SEALS, 0);
	if (seals > 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))) {
		mapping_unmap_writable(file->f_mapping);
		return -EPERM;
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
 * writing.  The pages hold a reference on @file; with @writable they also
 * count as a shared writable mapping of it until they are unpinned, which
 * keeps a write seal off (see ioasid_file_map_writable()).  A fatal signal
 * stops the pinning, and what was pinned is unpinned again.
 *
 * Return: the pinned pages, or ERR_PTR(): -ENOMEM; -EINVAL when the file
 * is neither shmem nor hugetlbfs or the range ends beyond it; -EFAULT when
 * hugetlbfs pages are missing and the file is not open for writing;
 * -EPERM when @writable and the file is sealed against writes; -EINTR on
 * a fatal signal.
 */
struct ioasid_pages *ioasid_pages_pin_file(struct ioasid_ctx *ctx,
					   struct file *file, loff_t start,
					   unsigned long length, bool writable)
{
	bool hugetlb = is_file_hugepages(file);
	unsigned long done = 0;
	struct ioasid_pages *pages;
	struct folio **folios;
	unsigned int max;
	int rc = 0;

	if (start + length > i_size_read(file_inode(file)))
		return ERR_PTR(-EINVAL);

	pages = ioasid_pages_alloc(ctx, length, writable);
	if (IS_ERR(pages))
		return pages;
	if (writable) {
		rc = ioasid_file_map_writable(file);
		if (rc) {
			ioasid_pages_free(pages, 0);
			return ERR_PTR(rc);
		}
	}
	pages->file = get_file(file);

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
						    cnt, done);
			if (rc) {
				unpin_folios(folios + i, n - i);
				goto err;
			}
			done += cnt;
		}
		cond_resched();
		if (done < pages->npages && fatal_signal_pending(current)) {
			rc = -EINTR;
			goto err;
		}
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

/*
 * Bytes of the piece at @iova, mapped from @paddr, that one iommu_map()
 * call covers, out of @len.  Pieces end at the IOVA boundaries of the
 * largest page size the domain supports that @iova and @paddr can share
 * (2 MiB at least): no IOPTE straddles such a boundary, so splitting there
 * changes no IOPTE, yet it bounds the IOPTEs one call writes, and so the
 * time spent without rescheduling, for a long run that can only be mapped
 * with small pages.  The same pieces are unmapped in whole batches.
 */
static unsigned long ioasid_piece_len(struct iommu_domain *domain,
				      unsigned long iova, phys_addr_t paddr,
				      unsigned long len)
{
	unsigned long pgsizes = domain->pgsize_bitmap;
	unsigned long offset = iova ^ (unsigned long)paddr;
	unsigned long step = SZ_2M;

	if (offset)
		pgsizes &= GENMASK(__ffs(offset), 0);
	if (pgsizes)
		step = max(step, 1UL << __fls(pgsizes));
	return min(len, step - (iova & (step - 1)));
}

/*
 * Unmap the first @length bytes that ioasid_pages_map() mapped at @iova, in
 * batches of whole pieces of at most about %IOASID_UNMAP_BATCH bytes.
 */
static void ioasid_pages_unmap_len(struct ioasid_pages *pages,
				   struct iommu_domain *domain,
				   unsigned long iova, unsigned long length)
{
	unsigned long i, done = 0, batch = 0;

	for (i = 0; i < pages->nr_runs && done < length; i++) {
		phys_addr_t paddr = PFN_PHYS(ioasid_run(pages, i)->pfn);
		unsigned long len = min(ioasid_run_npages(pages, i) << PAGE_SHIFT,
					length - done);
		unsigned long off = 0;

		while (off < len) {
			unsigned long n = ioasid_piece_len(domain, iova + done,
							   paddr + off,
							   len - off);
			size_t size;

			off += n;
			done += n;
			if (done - batch < IOASID_UNMAP_BATCH && done < length)
				continue;
			size = done - batch;
			WARN_ON(iommu_unmap(domain, iova + batch, size) != size);
			batch = done;
			cond_resched();
		}
	}
}

/**
 * ioasid_pages_map() - Map pinned pages into a domain
 * @pages: Pinned pages
 * @domain: Paging domain
 * @iova: IOVA of the first page
 * @prot: IOMMU_READ / IOMMU_WRITE and IOMMU_CACHE
 *
 * Each physically contiguous run is one iommu_map() call, or a few for a
 * long run that cannot use large pages (see ioasid_piece_len()).
 * Reschedules between them, and stops on a fatal signal.  On failure
 * nothing stays mapped.
 *
 * Return: 0, -EINTR on a fatal signal, or the error of iommu_map().
 */
int ioasid_pages_map(struct ioasid_pages *pages, struct iommu_domain *domain,
		     unsigned long iova, int prot)
{
	unsigned long i, done = 0;
	int rc;

	for (i = 0; i < pages->nr_runs; i++) {
		phys_addr_t paddr = PFN_PHYS(ioasid_run(pages, i)->pfn);
		unsigned long len = ioasid_run_npages(pages, i) << PAGE_SHIFT;
		unsigned long off = 0;

		while (off < len) {
			unsigned long n = ioasid_piece_len(domain, iova + done,
							   paddr + off,
							   len - off);

			rc = iommu_map(domain, iova + done, paddr + off, n,
				       prot, GFP_KERNEL_ACCOUNT);
			if (rc)
				goto err_unmap;
			off += n;
			done += n;
			cond_resched();
			if (fatal_signal_pending(current)) {
				rc = -EINTR;
				goto err_unmap;
			}
		}
	}
	return 0;

err_unmap:
	ioasid_pages_unmap_len(pages, domain, iova, done);
	return rc;
}

/**
 * ioasid_pages_unmap() - Undo ioasid_pages_map()
 * @pages: Pinned pages
 * @domain: Paging domain
 * @iova: IOVA of the first page
 *
 * Unmaps in batches of bounded size, rescheduling between them.
 */
void ioasid_pages_unmap(struct ioasid_pages *pages,
			struct iommu_domain *domain, unsigned long iova)
{
	ioasid_pages_unmap_len(pages, domain, iova,
			       pages->npages << PAGE_SHIFT);
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

		if (ioasid_run(pages, mid)->index <= index)
			lo = mid;
		else
			hi = mid;
	}
	for (run = lo; n; run++) {
		struct ioasid_pfn_run *r = ioasid_run(pages, run);
		unsigned long end = r->index + ioasid_run_npages(pages, run);

		for (; n && index < end; n--, index++)
			*out++ = pfn_to_page(r->pfn + index - r->index);
	}
}
