// SPDX-License-Identifier: GPL-2.0-only
/*
 * vsva-demo: shared virtual addressing in a guest (vSVA) on /dev/ioasid,
 * with a mock device of the test IOMMU driver (CONFIG_IOASID_TEST).
 *
 * The program plays three parts:
 *
 * - the VMM (QEMU): guest RAM is a memfd, mapped into an IO address space
 *   (IOAS) at guest-physical addresses: that is stage 2.  A nesting-parent
 *   HWPT holds it.  The guest's stage-1 table becomes a nested HWPT whose
 *   page faults go to a fault queue, and the device's PASID is attached to
 *   it;
 * - the guest kernel: it builds a process's page table in guest RAM, in
 *   the vIOMMU's format (VT-d first stage, or SMMUv3 with --smmuv3), and
 *   resolves the device's I/O page faults the way it resolves a CPU page
 *   fault: allocate a page, fill the entry, invalidate the IOTLB, answer;
 * - the device: two DMA engines (threads) that write to the process's
 *   buffer at virtual addresses nothing maps yet.  IOASID_TEST_MOCK_DMA
 *   with FAULT_WAIT raises a page request (PCI PRI) for each missing page
 *   and waits for its answer before it retries.
 *
 * In a real VMM the guest kernel sees the faults through the vIOMMU's page
 * request queue and answers through its invalidation queue; here both are
 * function calls.  Every step is printed:
 *
 *	fault -> fix-up -> invalidate -> response -> data
 *
 * The program is also a test (`make check`): its last line is
 * "vsva-demo: PASS <faults> faults, <bytes> bytes verified" with exit
 * status 0, or "vsva-demo: FAIL <why>" with exit status 1.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/compiler.h>	/* tools/include: __printf, __noreturn */
#include <linux/ioasid.h>

#include "../testing/selftests/ioasid/ioasid_util.h"
#include "../testing/selftests/ioasid/ioasid_vtd.h"
#include "../testing/selftests/ioasid/ioasid_smmuv3.h"

#define PAGE_SZ		4096ULL
#define GPA_BASE	0x40000000ULL	/* guest RAM starts at 1 GiB */
#define RAM_SIZE	(2ULL << 20)	/* 2 MiB of guest RAM */
#define PASID		5		/* the guest process's PASID */
#define ASID		1		/* SMMUv3: the process's ASID */
#define CDMAX		4		/* SMMUv3: 2^4 context descriptors */
#define BUF_VA		0x7f5a00000000ULL /* the process's DMA buffer */
#define ENGINES		2
#define ENGINE_PAGES	4
#define ENGINE_BYTES	(ENGINE_PAGES * PAGE_SZ)
#define BUF_SIZE	(ENGINES * ENGINE_BYTES)
#define QUEUE_ENTRIES	64
#define INV_VTD		IOASID_HWPT_INVALIDATE_DATA_VTD_S1
#define INV_SMMUV3	IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3
/* Bounds on a hang, not expectations: a fault takes far less. */
#define DMA_TIMEOUT_MS	30000
#define POLL_TIMEOUT_MS	60000

static struct {
	bool smmuv3;
	int fd;				/* /dev/ioasid */
	__u8 *ram;			/* guest RAM, as the VMM sees it */
	__u32 ioas, mock, dev, parent, hwpt, fault_id;
	int fault_fd, fault_efd, done_efd;
	/* The fault queue's mapping: header, record ring, response ring */
	struct ioasid_fault_ring *ring;
	struct ioasid_fault_record *records;
	struct ioasid_fault_response *responses;
	__u32 nr_entries, rec_head, resp_tail;
	/* The guest's page table, in one of the two formats */
	struct vtd_pt vtd;
	struct smmu_pt smmu;
	__u32 group_code;		/* answer of the group being read */
	unsigned int faults, groups, batches, wakeups, invalid;
} d;

/* ---- Output ------------------------------------------------------------ */

/* One line of the trace, as a TAP comment, in one piece across threads. */
static __printf(1, 2) void trace(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("# %s\n", line);
}

/*
 * The end of a failed run, from any thread: the first caller reports and
 * exits, and closing /dev/ioasid answers what is left with failure.
 */
static __noreturn __printf(1, 2) void fail(const char *fmt, ...)
{
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	char why[256];
	va_list ap;

	pthread_mutex_lock(&once);	/* never unlocked */
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("not ok 1 vsva-demo - %s\n", why);
	printf("vsva-demo: FAIL %s\n", why);
	exit(1);
}

#define CHECK(call, what)						\
	do {								\
		int __rc = (call);					\
		if (__rc)						\
			fail("%s: %s", what, strerror(abs(__rc)));	\
	} while (0)

static void *gpa_ptr(__u64 gpa)
{
	return d.ram + (gpa - GPA_BASE);
}

/* ---- The guest kernel's page table of the process ---------------------- */

/* A zeroed page of guest RAM (tables and data share one allocator). */
static __u64 guest_alloc_page(void)
{
	__u64 gpa = 0;

	if (d.smmuv3)
		gpa = smmu_pt_alloc(&d.smmu);
	else if (vtd_pt_alloc(&d.vtd, &gpa))
		gpa = 0;
	if (!gpa)
		fail("guest RAM is full");
	return gpa;
}

/* The leaf entry that maps @va, or NULL when no table holds one. */
static __u64 *s1_leaf(__u64 va)
{
	if (d.smmuv3)
		return smmu_pt_entry(&d.smmu, va, 3);
	return vtd_pt_entry(&d.vtd, va, 1);
}

/* The GPA @va maps to, 0 if none (VT-d P and SMMUv3 valid are bit 0). */
static __u64 s1_lookup(__u64 va)
{
	__u64 *leaf = s1_leaf(va);
	__u64 pte = leaf ? le64toh(*leaf) : 0;

	if (!(pte & 1))
		return 0;
	return pte & (d.smmuv3 ? SMMU_PTE_ADDR_MASK : VTD_PTE_ADDR_MASK);
}

/* Map @va to @gpa, readable and writable by the process. */
static int s1_map(__u64 va, __u64 gpa)
{
	if (d.smmuv3)
		return smmu_pt_map(&d.smmu, va, gpa, SMMU_SZ_4K, SMMU_PTE_RW);
	return vtd_pt_map(&d.vtd, va, gpa, VTD_PAGE_4K,
			  VTD_PTE_US | VTD_PTE_RW);
}

/* ---- The VMM: guest RAM, device, HWPTs, fault queue ------------------- */

static void vmm_setup(void)
{
	const __u64 want = IOASID_FEATURE_TEST | IOASID_FEATURE_MAP_FILE |
			   IOASID_FEATURE_PASID | IOASID_FEATURE_NESTING |
			   IOASID_FEATURE_FAULT;
	struct ioasid_info info = { .size = sizeof(info) };
	struct ioasid_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct ioasid_test_device_bind bind = { .size = sizeof(bind) };
	struct ioasid_ioas_map_file map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ |
			 IOASID_IOAS_MAP_WRITE,
		.length = RAM_SIZE,
		.iova = GPA_BASE,
	};
	__u32 flags = IOASID_TEST_MOCK_DEV_PRI | IOASID_TEST_MOCK_DEV_PASID |
		      (d.smmuv3 ? IOASID_TEST_MOCK_DEV_SMMUV3 :
				  IOASID_TEST_MOCK_DEV_VTD);
	int memfd;

	d.fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (d.fd < 0)
		fail("cannot open /dev/ioasid: %s", strerror(errno));
	CHECK(ioctl_err(d.fd, IOASID_GET_INFO, &info), "IOASID_GET_INFO");
	if ((info.features & want) != want)
		fail("/dev/ioasid lacks features 0x%llx (needs the test driver)",
		     (unsigned long long)(want & ~info.features));

	/* Guest RAM: a memfd, mapped at its guest-physical address. */
	memfd = memfd_create("guest-ram", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, RAM_SIZE))
		fail("memfd: %s", strerror(errno));
	d.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		     memfd, 0);
	if (d.ram == MAP_FAILED)
		fail("mmap of guest RAM: %s", strerror(errno));
	CHECK(ioctl_err(d.fd, IOASID_IOAS_ALLOC, &ioas), "IOASID_IOAS_ALLOC");
	d.ioas = ioas.out_ioas_id;
	map.ioas_id = d.ioas;
	map.fd = memfd;
	CHECK(ioctl_err(d.fd, IOASID_IOAS_MAP_FILE, &map),
	      "IOASID_IOAS_MAP_FILE");
	close(memfd);	/* the mapping and the IOAS keep the memory */
	trace("[vmm]   guest RAM: %llu MiB memfd at GPA 0x%llx, in IOAS %u (stage 2)",
	      RAM_SIZE >> 20, GPA_BASE, d.ioas);

	/*
	 * The device, as the subsystem that owns it (VFIO) would bind it.
	 * The RID's DMA goes through stage 2 alone: the guest kernel's own
	 * DMA with guest-physical addresses.
	 */
	CHECK(ioasid_mock_dev_add(d.fd, flags, 0, 0, &d.mock),
	      "IOASID_TEST_MOCK_DEV_ADD");
	bind.dev_id = d.mock;
	CHECK(ioctl_err(d.fd, IOASID_TEST_DEVICE_BIND, &bind),
	      "IOASID_TEST_DEVICE_BIND");
	d.dev = bind.out_device_id;
	CHECK(ioasid_nest_parent_alloc(d.fd, d.dev, d.ioas, true, &d.parent),
	      "IOASID_HWPT_ALLOC (nesting parent)");
	trace("[vmm]   mock %s device (PRI, PASID) bound as device %u",
	      d.smmuv3 ? "SMMUv3" : "VT-d", d.dev);
	trace("[vmm]   nesting-parent HWPT %u: the stage 2, from IOAS %u",
	      d.parent, d.ioas);
}

/* The guest kernel starts the process's page table: nothing mapped. */
static void guest_setup(void)
{
	if (!d.smmuv3) {
		CHECK(vtd_pt_init(&d.vtd, d.ram, GPA_BASE, RAM_SIZE, 0, 4),
		      "vtd_pt_init");
		trace("[guest] process page table: 4-level, PML4 at GPA 0x%llx, empty",
		      d.vtd.root);
		return;
	}
	CHECK(smmu_pt_init(&d.smmu, d.ram, GPA_BASE, RAM_SIZE, 0, 16),
	      "smmu_pt_init");
	trace("[guest] process page table: 48-bit AArch64, TTB0 at GPA 0x%llx, empty",
	      d.smmu.ttb0);
}

/*
 * A fault queue: the kernel writes fault records into a ring that we map,
 * and signals an eventfd when the ring goes from empty to non-empty.
 */
static void vmm_fault_queue(void)
{
	struct ioasid_fault_queue_alloc cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_FAULT_QUEUE_EVENTFD,
		.nr_entries = QUEUE_ENTRIES,
	};
	__u8 *map;

	d.fault_efd = eventfd(0, EFD_CLOEXEC);
	d.done_efd = eventfd(0, EFD_CLOEXEC);
	if (d.fault_efd < 0 || d.done_efd < 0)
		fail("eventfd: %s", strerror(errno));
	cmd.eventfd = d.fault_efd;
	CHECK(ioctl_err(d.fd, IOASID_FAULT_QUEUE_ALLOC, &cmd),
	      "IOASID_FAULT_QUEUE_ALLOC");
	d.fault_id = cmd.out_fault_id;
	d.fault_fd = cmd.out_fault_fd;
	map = mmap(NULL, cmd.out_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   d.fault_fd, 0);
	if (map == MAP_FAILED)
		fail("mmap of the fault queue: %s", strerror(errno));
	d.ring = (struct ioasid_fault_ring *)map;
	d.records = (void *)(map + cmd.out_records_offset);
	d.responses = (void *)(map + cmd.out_responses_offset);
	d.nr_entries = d.ring->nr_entries;
	if (d.nr_entries != QUEUE_ENTRIES ||
	    d.ring->record_size != sizeof(struct ioasid_fault_record) ||
	    d.ring->response_size != sizeof(struct ioasid_fault_response))
		fail("fault ring header: %u entries of %u and %u bytes",
		     d.nr_entries, d.ring->record_size,
		     d.ring->response_size);
	d.rec_head = d.ring->rec_head;
	d.resp_tail = d.ring->resp_tail;
	trace("[vmm]   fault queue %u: %u records, ring mmapped (%llu bytes), eventfd",
	      d.fault_id, d.nr_entries, (unsigned long long)cmd.out_mmap_size);
}

/*
 * The guest programs its vIOMMU for the process: the VMM turns that into
 * a nested HWPT on the parent, with the fault queue, and attaches the
 * device's PASID.  VT-d: a PASID table entry pointing at the PML4, and
 * the device owner's policy must allow nested tables on the PASID.
 * SMMUv3: a stream table entry whose CD table holds the process's context
 * descriptor at substream PASID; DMA without substream bypasses stage 1.
 */
static void vmm_nested_hwpt(void)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = d.dev,
		.pt_id = d.parent,
		.fault_id = d.fault_id,
	};
	struct ioasid_test_device_attach at = {
		.size = sizeof(at),
		.dev_id = d.mock,
	};
	struct ioasid_hwpt_arm_smmuv3 ste;
	struct ioasid_hwpt_vtd_s1 vtd;
	__u64 cd_table = 0, words[2];

	if (d.smmuv3) {
		cd_table = guest_alloc_page();
		smmu_cd_write((__u8 *)gpa_ptr(cd_table) + PASID * SMMU_CD_BYTES,
			      d.smmu.ttb0, d.smmu.t0sz, ASID, 0);
		smmu_ste_s1(words, cd_table, CDMAX, SMMU_STE_S1DSS_BYPASS);
		ste.ste[0] = words[0];
		ste.ste[1] = words[1];
		cmd.data_type = IOASID_HWPT_DATA_ARM_SMMUV3;
		cmd.data_len = sizeof(ste);
		cmd.data_uptr = (uintptr_t)&ste;
	} else {
		vtd_pt_hwpt_data(&d.vtd, &vtd, 0);
		cmd.data_type = IOASID_HWPT_DATA_VTD_S1;
		cmd.data_len = sizeof(vtd);
		cmd.data_uptr = (uintptr_t)&vtd;
	}
	CHECK(ioctl_err(d.fd, IOASID_HWPT_ALLOC, &cmd),
	      "IOASID_HWPT_ALLOC (nested, with a fault queue)");
	d.hwpt = cmd.out_hwpt_id;
	trace("[vmm]   nested HWPT %u: the guest's table on HWPT %u, faults to queue %u",
	      d.hwpt, d.parent, d.fault_id);

	if (d.smmuv3) {
		at.pt_id = d.hwpt;
		CHECK(ioctl_err(d.fd, IOASID_TEST_DEVICE_ATTACH, &at),
		      "attach of the RID to the nested HWPT");
		trace("[vmm]   RID attached to HWPT %u: PASID %u is CD %u at GPA 0x%llx",
		      d.hwpt, PASID, PASID, cd_table + PASID * SMMU_CD_BYTES);
		return;
	}
	at.pt_id = d.parent;
	CHECK(ioctl_err(d.fd, IOASID_TEST_DEVICE_ATTACH, &at),
	      "attach of the RID to the nesting parent");
	CHECK(ioasid_allow_pasid(d.fd, d.mock, PASID, PASID,
				 IOASID_PASID_CFG_NESTED),
	      "IOASID_TEST_DEVICE_ALLOW_PASID");
	CHECK(ioasid_pasid_attach(d.fd, d.mock, PASID, d.hwpt, false, NULL),
	      "attach of the PASID to the nested HWPT");
	trace("[vmm]   RID attached to HWPT %u; PASID %u allowed (nested) and attached to HWPT %u",
	      d.parent, PASID, d.hwpt);
}

/* ---- The device: DMA engines ------------------------------------------- */

struct engine {
	int id;
	pthread_t thread;
	__u64 va;
	__u8 data[ENGINE_BYTES];
};

static struct engine engines[ENGINES];

/* What engine @e writes: a line of text per page, repeated. */
static void engine_fill(struct engine *e)
{
	char line[64];
	unsigned int i;
	int p, len;

	for (p = 0; p < ENGINE_PAGES; p++) {
		len = snprintf(line, sizeof(line),
			       "[engine %d, page %d] hello from the device! ",
			       e->id, p);
		for (i = 0; i < PAGE_SZ; i++)
			e->data[p * PAGE_SZ + i] = line[i % len];
	}
}

/* DMA by the device, tagged with the process's PASID. */
static int device_dma(__u64 va, void *buf, __u64 len, bool write,
		      struct ioasid_test_mock_dma *cmd)
{
	*cmd = (struct ioasid_test_mock_dma) {
		.size = sizeof(*cmd),
		.flags = IOASID_TEST_MOCK_DMA_PASID |
			 IOASID_TEST_MOCK_DMA_FAULT_WAIT |
			 (write ? IOASID_TEST_MOCK_DMA_WRITE : 0),
		.dev_id = d.mock,
		.pasid = PASID,
		.iova = va,
		.length = len,
		.data = (uintptr_t)buf,
		.timeout_ms = DMA_TIMEOUT_MS,
	};
	return ioctl_err(d.fd, IOASID_TEST_MOCK_DMA, cmd);
}

/*
 * One DMA engine: a write of ENGINE_PAGES pages.  Each page that does not
 * translate stops it with a page request until the guest answers.
 */
static void *engine_run(void *arg)
{
	struct engine *e = arg;
	struct ioasid_test_mock_dma cmd;
	int rc;

	rc = device_dma(e->va, e->data, ENGINE_BYTES, true, &cmd);
	if (rc || cmd.out_done != ENGINE_BYTES)
		fail("engine %d: DMA %s after %llu bytes, fault %u/%u at 0x%llx, %u PRs, answer %d",
		     e->id, strerror(rc), (unsigned long long)cmd.out_done,
		     cmd.out_fault_stage, cmd.out_fault_reason,
		     (unsigned long long)cmd.out_fault_addr,
		     cmd.out_page_requests, (int)cmd.out_response_code);
	trace("[dev]   engine %d: DMA write done, %llu bytes, after %u page requests",
	      e->id, ENGINE_BYTES, cmd.out_page_requests);
	if (eventfd_write(d.done_efd, 1))
		fail("eventfd_write: %s", strerror(errno));
	return NULL;
}

/* ---- The guest kernel: I/O page fault handler --------------------------- */

static const char *perm_str(__u32 perm)
{
	static const char * const names[] = {
		"none", "read", "write", "read+write",
	};

	return names[perm & 3];
}

/*
 * Resolve one page request as the guest's fault handler would: the
 * address must lie in a mapping of the process that allows the access
 * (here: the DMA buffer, read/write).  Then a page is allocated, zeroed,
 * and its entry filled; what changed is added to the invalidation batch.
 * Returns the response code for the request's group.
 */
static __u32 guest_fix(const struct ioasid_fault_record *r,
		       struct ioasid_hwpt_vtd_s1_invalidate *vtd_inv,
		       struct ioasid_hwpt_arm_smmuv3_invalidate *smmu_inv,
		       unsigned int *ninv)
{
	__u64 va = r->addr, gpa, tables;
	__u64 *leaf;

	if (va < BUF_VA || va - BUF_VA >= BUF_SIZE ||
	    (r->perm & ~(IOASID_FAULT_PERM_READ | IOASID_FAULT_PERM_WRITE))) {
		trace("[fixup] VA 0x%llx (%s) is no mapping of the process: INVALID",
		      (unsigned long long)va, perm_str(r->perm));
		d.invalid++;
		return IOASID_FAULT_RESP_INVALID;
	}
	gpa = s1_lookup(va);
	if (gpa) {
		/* Another request of the same page was here first. */
		trace("[fixup] VA 0x%llx is mapped already (GPA 0x%llx)",
		      (unsigned long long)va, (unsigned long long)gpa);
		return IOASID_FAULT_RESP_SUCCESS;
	}
	gpa = guest_alloc_page();
	tables = d.smmuv3 ? d.smmu.next : d.vtd.next;
	CHECK(s1_map(va, gpa), "stage-1 map");
	tables = ((d.smmuv3 ? d.smmu.next : d.vtd.next) - tables) / PAGE_SZ;
	leaf = s1_leaf(va);
	trace("[fixup] VA 0x%llx -> new page at GPA 0x%llx: entry 0x%llx%s",
	      (unsigned long long)va, (unsigned long long)gpa,
	      (unsigned long long)le64toh(*leaf),
	      tables ? " (and new tables above it)" : "");

	/*
	 * The invalidation the guest queues: only the leaf changed, unless
	 * tables were added above it.
	 */
	if (d.smmuv3) {
		__u64 cmd[2];

		smmu_cmd_tlbi_va(cmd, ASID, va, !tables);
		smmu_inv[*ninv].cmd[0] = cmd[0];
		smmu_inv[*ninv].cmd[1] = cmd[1];
	} else {
		vtd_inv[*ninv] = (struct ioasid_hwpt_vtd_s1_invalidate) {
			.addr = va,
			.npages = 1,
			.flags = tables ? 0 : IOASID_VTD_INV_FLAGS_LEAF,
		};
	}
	(*ninv)++;
	return IOASID_FAULT_RESP_SUCCESS;
}

/*
 * Take the records the kernel produced, at most @max.  The acquire load
 * of rec_tail pairs with the kernel's release: the records before it are
 * complete.  They are copied out before rec_head is published, since the
 * kernel may reuse their slots from then on.
 */
static unsigned int ring_fetch(struct ioasid_fault_record *out,
			       unsigned int max)
{
	__u32 tail = __atomic_load_n(&d.ring->rec_tail, __ATOMIC_ACQUIRE);
	unsigned int n = 0;

	if (tail - d.rec_head > d.nr_entries)
		fail("fault ring: tail %u is beyond head %u + %u", tail,
		     d.rec_head, d.nr_entries);
	while (d.rec_head != tail && n < max)
		out[n++] = d.records[d.rec_head++ & (d.nr_entries - 1)];
	__atomic_store_n(&d.ring->rec_head, d.rec_head, __ATOMIC_RELEASE);
	return n;
}

/* Queue the answer to a group in the response ring (committed later). */
static void respond(__u32 cookie, __u32 code)
{
	d.responses[d.resp_tail++ & (d.nr_entries - 1)] =
		(struct ioasid_fault_response) {
			.cookie = cookie,
			.code = code,
		};
}

/* Hand the queued answers to the kernel: one release store, one call. */
static void respond_commit(unsigned int n)
{
	struct ioasid_fault_queue_respond cmd = {
		.size = sizeof(cmd),
		.fault_id = d.fault_id,
	};

	__atomic_store_n(&d.ring->resp_tail, d.resp_tail, __ATOMIC_RELEASE);
	CHECK(ioctl_err(d.fd, IOASID_FAULT_QUEUE_RESPOND, &cmd),
	      "IOASID_FAULT_QUEUE_RESPOND");
	if (cmd.out_done != n)
		fail("IOASID_FAULT_QUEUE_RESPOND did %u of %u", cmd.out_done, n);
}

/* One batch: fix every page, one invalidation call, one response call. */
static void guest_handle_batch(const struct ioasid_fault_record *recs,
			       unsigned int n)
{
	struct ioasid_hwpt_vtd_s1_invalidate vtd_inv[QUEUE_ENTRIES];
	struct ioasid_hwpt_arm_smmuv3_invalidate smmu_inv[QUEUE_ENTRIES];
	unsigned int i, ninv = 0, nresp = 0, good = 0;
	__u32 code, num;
	int rc;

	for (i = 0; i < n; i++) {
		const struct ioasid_fault_record *r = &recs[i];

		if (r->type != IOASID_FAULT_PAGE_REQ)
			fail("unrecoverable fault at 0x%llx (type %u, flags 0x%x)",
			     (unsigned long long)r->addr, r->type, r->flags);
		d.faults++;
		trace("[fault] device %u PASID %u HWPT %u: %s at VA 0x%llx (group %u, cookie %u%s)",
		      r->dev_id, r->pasid, r->hwpt_id, perm_str(r->perm),
		      (unsigned long long)r->addr, r->grpid, r->cookie,
		      r->flags & IOASID_FAULT_LAST_IN_GROUP ? ", last" : "");
		/* The routing: our device, our PASID, our page table. */
		if (r->dev_id != d.dev || !(r->flags & IOASID_FAULT_PASID_VALID) ||
		    r->pasid != PASID || r->hwpt_id != d.hwpt)
			fail("fault of device %u PASID %u (0x%x) HWPT %u, not %u, %u, %u",
			     r->dev_id, r->pasid, r->flags, r->hwpt_id, d.dev,
			     PASID, d.hwpt);

		code = guest_fix(r, vtd_inv, smmu_inv, &ninv);
		if (code != IOASID_FAULT_RESP_SUCCESS)
			d.group_code = code;
		/*
		 * The kernel delivers a group's requests together, the last
		 * one flagged; the group gets one answer, the worst code of
		 * its requests.
		 */
		if (r->flags & IOASID_FAULT_LAST_IN_GROUP) {
			respond(r->cookie, d.group_code);
			good += d.group_code == IOASID_FAULT_RESP_SUCCESS;
			d.group_code = IOASID_FAULT_RESP_SUCCESS;
			d.groups++;
			nresp++;
		}
	}

	/* The IOTLB must not keep what the device saw before the fix. */
	if (ninv) {
		num = ninv;
		if (d.smmuv3)
			rc = ioasid_nest_invalidate(d.fd, d.hwpt, INV_SMMUV3,
						    smmu_inv,
						    sizeof(smmu_inv[0]), &num);
		else
			rc = ioasid_nest_invalidate(d.fd, d.hwpt, INV_VTD,
						    vtd_inv, sizeof(vtd_inv[0]),
						    &num);
		CHECK(rc, "IOASID_HWPT_INVALIDATE");
		trace("[inval] HWPT %u: %u page%s (%s) in one IOASID_HWPT_INVALIDATE",
		      d.hwpt, ninv, ninv == 1 ? "" : "s",
		      d.smmuv3 ? "CMD_TLBI_NH_VA" : "PASID-based IOTLB invalidation");
	}
	/* Printed first: the device resumes as soon as the answers land. */
	if (nresp) {
		trace("[resp]  %u answer%s (%u SUCCESS) in one IOASID_FAULT_QUEUE_RESPOND",
		      nresp, nresp == 1 ? "" : "s", good);
		respond_commit(nresp);
	}
	d.batches++;
}

/*
 * Drain the record ring.  After publishing rec_head, look at rec_tail
 * again: a record the kernel added meanwhile found the ring non-empty and
 * signalled nothing.  The full fence orders our store of rec_head before
 * that load, as the kernel orders its store of rec_tail before its load
 * of rec_head.
 */
static void guest_iopf_handler(void)
{
	struct ioasid_fault_record batch[QUEUE_ENTRIES];
	unsigned int n;

	for (;;) {
		n = ring_fetch(batch, QUEUE_ENTRIES);
		if (n) {
			guest_handle_batch(batch, n);
			continue;
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&d.ring->rec_tail, __ATOMIC_ACQUIRE) ==
		    d.rec_head)
			break;
	}
}

/* Wait for faults and serve them until every engine is done. */
static void guest_run(void)
{
	unsigned int done = 0;
	eventfd_t val;
	int i;

	for (i = 0; i < ENGINES; i++) {
		engines[i].id = i;
		engines[i].va = BUF_VA + i * ENGINE_BYTES;
		engine_fill(&engines[i]);
		trace("[dev]   engine %d: DMA write of %llu bytes at VA 0x%llx, PASID %u",
		      i, ENGINE_BYTES, (unsigned long long)engines[i].va, PASID);
		if (pthread_create(&engines[i].thread, NULL, engine_run,
				   &engines[i]))
			fail("pthread_create failed");
	}
	while (done < ENGINES) {
		struct pollfd pfd[2] = {
			{ .fd = d.fault_efd, .events = POLLIN },
			{ .fd = d.done_efd, .events = POLLIN },
		};
		int rc = poll(pfd, 2, POLL_TIMEOUT_MS);

		if (rc < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
		if (!rc)
			fail("stuck: no fault and no DMA end in %d s (%u records waiting)",
			     POLL_TIMEOUT_MS / 1000,
			     __atomic_load_n(&d.ring->rec_tail, __ATOMIC_ACQUIRE) -
			     d.rec_head);
		if (rc > 0 && (pfd[0].revents & POLLIN)) {
			if (eventfd_read(d.fault_efd, &val))
				fail("eventfd_read: %s", strerror(errno));
			d.wakeups++;
			guest_iopf_handler();
		}
		if (rc > 0 && (pfd[1].revents & POLLIN)) {
			if (eventfd_read(d.done_efd, &val))
				fail("eventfd_read: %s", strerror(errno));
			done += val;
		}
	}
	for (i = 0; i < ENGINES; i++)
		pthread_join(engines[i].thread, NULL);
	guest_iopf_handler();	/* nothing may be left */
}

/* ---- The result --------------------------------------------------------- */

/* The process reads its buffer: every page holds what the device wrote. */
static __u64 check_data(void)
{
	static __u8 all[BUF_SIZE], back[BUF_SIZE];
	struct ioasid_test_mock_dma cmd;
	int i, p, rc;

	for (i = 0; i < ENGINES; i++) {
		for (p = 0; p < ENGINE_PAGES; p++) {
			__u64 va = engines[i].va + p * PAGE_SZ;
			__u8 *want = engines[i].data + p * PAGE_SZ;
			__u64 gpa = s1_lookup(va);

			if (!gpa)
				fail("VA 0x%llx is not mapped after the DMA",
				     (unsigned long long)va);
			if (memcmp(gpa_ptr(gpa), want, PAGE_SZ))
				fail("VA 0x%llx (GPA 0x%llx) does not hold what engine %d wrote",
				     (unsigned long long)va,
				     (unsigned long long)gpa, i);
			if (!p)
				trace("[data]  VA 0x%llx -> GPA 0x%llx: \"%.42s\"...",
				      (unsigned long long)va,
				      (unsigned long long)gpa,
				      (char *)gpa_ptr(gpa));
		}
		memcpy(all + i * ENGINE_BYTES, engines[i].data, ENGINE_BYTES);
	}
	trace("[data]  all %d pages of the process hold what the device wrote",
	      ENGINES * ENGINE_PAGES);

	/* Now that everything is mapped, the device reads without a fault. */
	rc = device_dma(BUF_VA, back, BUF_SIZE, false, &cmd);
	if (rc || cmd.out_done != BUF_SIZE || cmd.out_page_requests)
		fail("read-back DMA: %s, %llu bytes, %u page requests",
		     strerror(rc), (unsigned long long)cmd.out_done,
		     cmd.out_page_requests);
	if (memcmp(all, back, BUF_SIZE))
		fail("the device read back other data than it wrote");
	trace("[data]  the device reads the %llu bytes back: no fault, same data",
	      BUF_SIZE);
	return BUF_SIZE;
}

/* What the device and the queue counted must match what we handled. */
static void check_counts(void)
{
	struct ioasid_test_iopf_stats st = {
		.size = sizeof(st),
		.dev_id = d.mock,
	};

	CHECK(ioctl_err(d.fd, IOASID_TEST_IOPF_STATS, &st),
	      "IOASID_TEST_IOPF_STATS");
	trace("[stats] %u faults (%u groups) in %u batches, %u eventfd wakeups",
	      d.faults, d.groups, d.batches, d.wakeups);
	trace("[stats] the device: %u groups raised, %u answered SUCCESS, %u pending",
	      st.out_raised, st.out_success, st.out_pending);
	if (d.invalid)
		fail("%u page requests were not for the process's buffer",
		     d.invalid);
	if (d.faults != ENGINES * ENGINE_PAGES)
		fail("%u faults for %d pages touched once each", d.faults,
		     ENGINES * ENGINE_PAGES);
	if (st.out_raised != d.groups || st.out_success != d.groups ||
	    st.out_pending || st.out_invalid || st.out_failure || st.out_events)
		fail("device: raised %u success %u pending %u invalid %u failure %u events %u",
		     st.out_raised, st.out_success, st.out_pending,
		     st.out_invalid, st.out_failure, st.out_events);
	if (d.ring->overflow || d.ring->lost_events)
		fail("fault ring: %llu overflows, %llu lost events",
		     (unsigned long long)d.ring->overflow,
		     (unsigned long long)d.ring->lost_events);
}

int main(int argc, char **argv)
{
	__u64 bytes;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--smmuv3"))) {
		fprintf(stderr, "usage: %s [--smmuv3]\n", argv[0]);
		return 2;
	}
	d.smmuv3 = argc == 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..1\n");
	trace("vSVA demo: a guest process's page table in %s format, PASID %u",
	      d.smmuv3 ? "the SMMUv3 stage-1" : "the VT-d first-stage", PASID);

	vmm_setup();
	guest_setup();
	vmm_fault_queue();
	vmm_nested_hwpt();
	guest_run();
	bytes = check_data();
	check_counts();

	/* Closing /dev/ioasid detaches and frees everything. */
	munmap(d.ram, RAM_SIZE);
	close(d.fault_fd);
	close(d.fd);
	printf("ok 1 vsva-demo\n");
	printf("vsva-demo: PASS %u faults, %llu bytes verified\n", d.faults,
	       (unsigned long long)bytes);
	return 0;
}
