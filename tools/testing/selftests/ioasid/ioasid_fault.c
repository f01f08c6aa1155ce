// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid selftests of fault queues: I/O page faults and unrecoverable
 * faults delivered to the owner of the page table that faulted, through an
 * mmapped ring with an eventfd, or read() and write() of the queue's file.
 *
 * Page requests come from PRI-capable mock devices
 * (IOASID_TEST_MOCK_DEV_PRI) of the mock VT-d, through the IOMMU core's
 * real fault path: a mock DMA that hits a not-present stage-1 entry
 * (IOASID_TEST_MOCK_DMA_FAULT_WAIT / _NOWAIT), or a burst injected with
 * IOASID_TEST_IOPF_INJECT.  IOASID_TEST_IOPF_STATS says what the device
 * saw of the responses, which is how the tests check that the kernel
 * answered what it should, and nothing is left hanging.
 *
 * Guest RAM (RAM_SIZE at GPA_BASE) is mapped into the IOAS, as a VMM does:
 *
 *	[0, TBL_B)		stage-1 tables A (VT-d first stage)
 *	[TBL_B, DATA_OFF)	stage-1 tables B
 *	[DATA_OFF, RAM_SIZE)	data pages, random bytes
 *
 * FAULT_IOVA and above is mapped by no stage 1 and by no IOAS mapping: a
 * DMA there faults in the nested HWPTs' stage 1, or in a paging HWPT.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ioasid.h>

#include "../kselftest_harness.h"
#include "ioasid_util.h"
#include "ioasid_vtd.h"
#include "../../../../drivers/iommu/ioasid/ioasid_test.h"

#define SZ_4K		0x1000ULL
#define SZ_1G		0x40000000ULL

#define GPA_BASE	SZ_1G
#define RAM_SIZE	(4ULL << 20)
#define TBL_B		(1ULL << 20)
#define DATA_OFF	(2ULL << 20)
#define FAULT_IOVA	0x10000000ULL

/* PASIDs 1 to NR_PASIDS - 1 of the mock take nested and paging HWPTs. */
#define NR_PASIDS	64

/*
 * Bounds that keep a broken kernel from hanging the run (a DMA that waits
 * for an answer, a poll for a record): never a measure of speed.
 */
#define WAIT_MS		20000

#define PERM_R		IOASID_FAULT_PERM_READ
#define PERM_W		IOASID_FAULT_PERM_WRITE
#define PERM_X		IOASID_FAULT_PERM_EXEC
#define PERM_P		IOASID_FAULT_PERM_PRIV
#define RESP_OK		IOASID_FAULT_RESP_SUCCESS
#define RESP_INVAL	IOASID_FAULT_RESP_INVALID
#define RESP_FAIL	IOASID_FAULT_RESP_FAILURE
#define LAST		IOASID_FAULT_LAST_IN_GROUP
#define PASID_VALID	IOASID_FAULT_PASID_VALID
#define EVENTFD		IOASID_FAULT_QUEUE_EVENTFD
#define MAX_ENTRIES	IOASID_FAULT_QUEUE_MAX_ENTRIES

#define MOCK_PRI	(IOASID_TEST_MOCK_DEV_VTD | IOASID_TEST_MOCK_DEV_PASID | \
			 IOASID_TEST_MOCK_DEV_PRI)
#define MOCK_NOPRI	(IOASID_TEST_MOCK_DEV_VTD | IOASID_TEST_MOCK_DEV_PASID)

static_assert(sizeof(struct ioasid_fault_record) == 48, "record size");
static_assert(sizeof(struct ioasid_fault_response) == 8, "response size");
static_assert(sizeof(struct ioasid_fault_ring) == 128, "header size");
static_assert(offsetof(struct ioasid_fault_ring, rec_head) == 64,
	      "user indices in their own cache line");

static long page_size;

static __u64 page_align(__u64 v)
{
	return (v + page_size - 1) & ~(__u64)(page_size - 1);
}

/* ---- Plumbing ----------------------------------------------------------- */

static bool have_faults(int fd)
{
	__u64 want = IOASID_FEATURE_TEST | IOASID_FEATURE_NESTING |
		     IOASID_FEATURE_PASID | IOASID_FEATURE_FAULT;
	struct ioasid_info info = { .size = sizeof(info) };

	if (ioctl(fd, IOASID_GET_INFO, &info))
		return false;
	return (info.features & want) == want;
}

/* Attach @pt to the RID (@pasid 0) or to a PASID of @mock. */
static int attach(int fd, __u32 mock, __u32 pasid, __u32 pt, bool replace)
{
	if (!pasid)
		return ioasid_rid_attach(fd, mock, pt, replace);
	return ioasid_pasid_attach(fd, mock, pasid, pt, replace, NULL);
}

static int detach(int fd, __u32 mock, __u32 pasid)
{
	if (!pasid)
		return ioasid_rid_detach(fd, mock);
	return ioasid_pasid_detach(fd, mock, pasid);
}

static void fill_random(void *p, size_t len, __u64 *rng)
{
	__u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = ioasid_rng_next(rng) >> 56;
}

/* ---- The environment ---------------------------------------------------- */

/**
 * struct fenv - A context with guest RAM, a mock device and a parent
 * @fd: The /dev/ioasid file
 * @ram: Guest RAM, mapped at GPA_BASE in @ioas
 * @ioas: The IOAS
 * @mock: The mock device (VT-d, PASID, with or without PRI)
 * @dev: Its bound device id
 * @parent: A nesting-parent HWPT of @ioas
 * @pt: Two sets of stage-1 tables in guest RAM
 * @data_next: Offset of the next free data page in @ram
 * @rng: Random state
 */
struct fenv {
	int fd;
	__u8 *ram;
	__u32 ioas, mock, dev, parent;
	struct vtd_pt pt[2];
	__u64 data_next;
	__u64 rng;
};

static void *gp(struct fenv *e, __u64 gpa)
{
	return e->ram + (gpa - GPA_BASE);
}

static __u64 data_page(struct fenv *e)
{
	__u64 off = e->data_next;

	if (off + SZ_4K > RAM_SIZE)
		return 0;
	e->data_next += SZ_4K;
	return GPA_BASE + off;
}

static void env_setup(struct __test_metadata *_metadata, struct fenv *e,
		      __u32 mock_flags)
{
	struct ioasid_ioas_alloc ia = { .size = sizeof(ia) };

	page_size = sysconf(_SC_PAGESIZE);
	e->ram = MAP_FAILED;
	e->rng = 0x1234;
	e->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, e->fd);
	if (!have_faults(e->fd))
		SKIP(return, "kernel without CONFIG_IOASID_TEST or fault queues");
	e->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, e->ram);
	memset(e->ram, 0, DATA_OFF);
	fill_random(e->ram + DATA_OFF, RAM_SIZE - DATA_OFF, &e->rng);
	e->data_next = DATA_OFF;

	ASSERT_EQ(0, ioctl_err(e->fd, IOASID_IOAS_ALLOC, &ia));
	e->ioas = ia.out_ioas_id;
	ASSERT_EQ(0, ioasid_ioas_map_at(e->fd, e->ioas, e->ram, RAM_SIZE, GPA_BASE));
	ASSERT_EQ(0, ioasid_mock_dev_add(e->fd, mock_flags, 0, 0, &e->mock));
	ASSERT_EQ(0, ioasid_device_bind(e->fd, e->mock, &e->dev));
	ASSERT_EQ(0, ioasid_nest_parent_alloc(e->fd, e->dev, e->ioas, true,
					      &e->parent));
	ASSERT_EQ(0, ioasid_allow_pasid(e->fd, e->mock, 1, NR_PASIDS - 1,
					IOASID_PASID_CFG_NESTED |
					IOASID_PASID_CFG_PAGING));
	ASSERT_EQ(0, vtd_pt_init(&e->pt[0], e->ram, GPA_BASE, TBL_B, 0, 4));
	ASSERT_EQ(0, vtd_pt_init(&e->pt[1], e->ram, GPA_BASE, DATA_OFF,
				 TBL_B, 4));
}

static void env_teardown(struct __test_metadata *_metadata, struct fenv *e)
{
	if (e->fd >= 0)
		close(e->fd);
	if (e->ram != MAP_FAILED)
		munmap(e->ram, RAM_SIZE);
}

/* A nested HWPT on the parent translating with tables @t, to @fault_id. */
static __u32 nested(struct __test_metadata *_metadata, struct fenv *e, int t,
		    __u32 fault_id)
{
	struct ioasid_hwpt_vtd_s1 data;
	__u32 id = 0;

	vtd_pt_hwpt_data(&e->pt[t], &data, 0);
	EXPECT_EQ(0, ioasid_nest_alloc_fault(e->fd, e->dev, e->parent,
					     IOASID_HWPT_DATA_VTD_S1, &data,
					     sizeof(data), fault_id, &id));
	return id;
}

/* A paging HWPT of the IOAS, to @fault_id. */
static __u32 paging(struct __test_metadata *_metadata, struct fenv *e,
		    __u32 fault_id)
{
	__u32 id = 0;

	EXPECT_EQ(0, ioasid_hwpt_alloc_fault(e->fd, e->dev, e->ioas, fault_id,
					     &id));
	return id;
}

static void fq_open(struct __test_metadata *_metadata, struct fenv *e,
		    struct ioasid_fq *q, __u32 nr)
{
	ASSERT_EQ(0, ioasid_fq_open(e->fd, 0, nr, 0, q));
}

static struct ioasid_test_iopf_stats stats(struct __test_metadata *_metadata,
					   struct fenv *e)
{
	struct ioasid_test_iopf_stats st;

	EXPECT_EQ(0, ioasid_iopf_stats(e->fd, e->mock, &st));
	return st;
}

#define STATS_LOG(s)							\
	"stats: raised %u pending %u success %u invalid %u failure %u "	\
	"events %u", (s).out_raised, (s).out_pending, (s).out_success,	\
	(s).out_invalid, (s).out_failure, (s).out_events

/* The device's counters must be these. */
#define EXPECT_STATS(e, raised, pending, success, invalid, failure)	\
	do {								\
		struct ioasid_test_iopf_stats __s = stats(_metadata, e); \
									\
		EXPECT_EQ(raised, __s.out_raised) TH_LOG(STATS_LOG(__s)); \
		EXPECT_EQ(pending, __s.out_pending) TH_LOG(STATS_LOG(__s)); \
		EXPECT_EQ(success, __s.out_success) TH_LOG(STATS_LOG(__s)); \
		EXPECT_EQ(invalid, __s.out_invalid) TH_LOG(STATS_LOG(__s)); \
		EXPECT_EQ(failure, __s.out_failure) TH_LOG(STATS_LOG(__s)); \
	} while (0)

/* Inject @count requests in groups of @gsz; the first group index. */
static __u32 inject(struct __test_metadata *_metadata, struct fenv *e,
		    __u32 pasid, __u64 addr, __u32 count, __u32 gsz,
		    __u32 perm)
{
	struct ioasid_test_iopf_inject out;

	EXPECT_EQ(0, ioasid_iopf_inject(e->fd, e->mock, pasid, addr, count,
					gsz, perm, &out));
	return out.out_first_grpid;
}

/*
 * Wait (bounded by WAIT_MS, against a hang) until the queue is readable
 * and take up to @max records from the ring: how many.
 */
static unsigned int wait_pop(struct ioasid_fq *q,
			     struct ioasid_fault_record *out,
			     unsigned int max)
{
	struct pollfd p = { .fd = q->fd, .events = POLLIN };

	if (!ioasid_fq_pending(q) && poll(&p, 1, WAIT_MS) != 1)
		return 0;
	return ioasid_fq_pop(q, out, max);
}

#define REC_LOG(r)							\
	"record: type %u flags 0x%x dev %u pasid %u grpid %u perm 0x%x " \
	"addr 0x%llx cookie %u hwpt %u", (r).type, (r).flags, (r).dev_id, \
	(r).pasid, (r).grpid, (r).perm, (unsigned long long)(r).addr,	\
	(r).cookie, (r).hwpt_id

/* A page request of the test's device through @hwpt, PASID @pasid or 0. */
static void check_req(struct __test_metadata *_metadata, struct fenv *e,
		      const struct ioasid_fault_record *r, __u32 hwpt,
		      __u32 pasid, __u64 addr, __u32 perm)
{
	EXPECT_EQ(IOASID_FAULT_PAGE_REQ, r->type) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(e->dev, r->dev_id) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(hwpt, r->hwpt_id) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(addr, r->addr) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(perm, r->perm) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(!!pasid, !!(r->flags & PASID_VALID)) TH_LOG(REC_LOG(*r));
	if (pasid)
		EXPECT_EQ(pasid, r->pasid) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(0, r->__reserved);
}

/* ---- DMA that waits for its page requests, in a thread ----------------- */

struct dma_job {
	int fd;
	struct ioasid_test_mock_dma d;
	int rc;
	pthread_t th;
};

static void *dma_fn(void *arg)
{
	struct dma_job *j = arg;

	j->rc = ioctl_err(j->fd, IOASID_TEST_MOCK_DMA, &j->d);
	return NULL;
}

/* Start a DMA of @len bytes at @iova that waits for page responses. */
static int dma_start(struct dma_job *j, struct fenv *e, __u32 flags,
		     __u32 pasid, __u64 iova, void *buf, __u64 len)
{
	memset(j, 0, sizeof(*j));
	j->fd = e->fd;
	j->d = (struct ioasid_test_mock_dma) {
		.size = sizeof(j->d),
		.flags = flags | IOASID_TEST_MOCK_DMA_FAULT_WAIT |
			 (pasid ? IOASID_TEST_MOCK_DMA_PASID : 0),
		.dev_id = e->mock,
		.pasid = pasid,
		.iova = iova,
		.length = len,
		.data = (uintptr_t)buf,
		.timeout_ms = WAIT_MS,
	};
	return pthread_create(&j->th, NULL, dma_fn, j);
}

static int dma_join(struct dma_job *j)
{
	pthread_join(j->th, NULL);
	return j->rc;
}

#define DMA_LOG(d)							\
	"DMA at 0x%llx: done %llu, stage %u reason %u, requests %u, "	\
	"response %d, grpid %u", (unsigned long long)(d).iova,		\
	(unsigned long long)(d).out_done, (d).out_fault_stage,		\
	(d).out_fault_reason, (d).out_page_requests,			\
	(int)(d).out_response_code, (d).out_grpid

/*
 * One DMA in this thread, with its outputs in *@d: one that waits
 * (FAULT_WAIT) only where no page request can be raised.
 */
static int dma_now(struct fenv *e, __u32 flags, __u32 pasid, __u64 iova,
		   void *buf, __u64 len, struct ioasid_test_mock_dma *d)
{
	*d = (struct ioasid_test_mock_dma) {
		.size = sizeof(*d),
		.flags = flags | (pasid ? IOASID_TEST_MOCK_DMA_PASID : 0),
		.dev_id = e->mock,
		.pasid = pasid,
		.iova = iova,
		.length = len,
		.data = (uintptr_t)buf,
		.timeout_ms = WAIT_MS,
	};
	return ioctl_err(e->fd, IOASID_TEST_MOCK_DMA, d);
}

/* ---- Fixtures ----------------------------------------------------------- */

FIXTURE(fault) {
	struct fenv e;
};

FIXTURE_SETUP(fault)
{
	env_setup(_metadata, &self->e, MOCK_PRI);
}

FIXTURE_TEARDOWN(fault)
{
	env_teardown(_metadata, &self->e);
}

/* A device that cannot raise page requests: its faults are events. */
FIXTURE(event) {
	struct fenv e;
};

FIXTURE_SETUP(event)
{
	env_setup(_metadata, &self->e, MOCK_NOPRI);
}

FIXTURE_TEARDOWN(event)
{
	env_teardown(_metadata, &self->e);
}

/* ---- Allocation, layout, ids -------------------------------------------- */

TEST_F(fault, alloc_errors)
{
	struct ioasid_fault_queue_alloc cmd;
	struct {
		struct ioasid_fault_queue_alloc a;
		__u64 tail;
	} big;
	int fd = self->e.fd, efd, pfd[2], closed;
	struct rlimit rl, low;

	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe(pfd));
	closed = dup(efd);
	ASSERT_LE(0, closed);
	close(closed);

	EXPECT_EQ(EOPNOTSUPP, ioasid_fault_queue_alloc(fd, 1U << 1, 16, 0,
						       &cmd));
	EXPECT_EQ(EOPNOTSUPP, ioasid_fault_queue_alloc(fd, 1U << 31, 16, 0,
						       &cmd));
	/* Entries: a power of two from 1 to the maximum. */
	EXPECT_EQ(EINVAL, ioasid_fault_queue_alloc(fd, 0, 0, 0, &cmd));
	EXPECT_EQ(EINVAL, ioasid_fault_queue_alloc(fd, 0, 3, 0, &cmd));
	EXPECT_EQ(EINVAL, ioasid_fault_queue_alloc(fd, 0, 24, 0, &cmd));
	EXPECT_EQ(EINVAL, ioasid_fault_queue_alloc(fd, 0, MAX_ENTRIES - 1, 0,
						   &cmd));
	EXPECT_EQ(EINVAL, ioasid_fault_queue_alloc(fd, 0, MAX_ENTRIES * 2, 0,
						   &cmd));
	EXPECT_EQ(EINVAL, ioasid_fault_queue_alloc(fd, 0, 1U << 31, 0, &cmd));
	EXPECT_EQ(EINVAL, ioasid_fault_queue_alloc(fd, 0, ~0U, 0, &cmd));
	/* An eventfd without the flag. */
	EXPECT_EQ(EINVAL, ioasid_fault_queue_alloc(fd, 0, 16, efd, &cmd));
	/* Not an open file, or not an eventfd. */
	EXPECT_EQ(EBADF, ioasid_fault_queue_alloc(fd, EVENTFD, 16, -1, &cmd));
	EXPECT_EQ(EBADF, ioasid_fault_queue_alloc(fd, EVENTFD, 16, closed,
						  &cmd));
	EXPECT_EQ(EINVAL, ioasid_fault_queue_alloc(fd, EVENTFD, 16, pfd[0],
						   &cmd));
	EXPECT_EQ(EINVAL, ioasid_fault_queue_alloc(fd, EVENTFD, 16, fd, &cmd));

	/* The one size rule. */
	cmd = (struct ioasid_fault_queue_alloc) { .nr_entries = 16 };
	cmd.size = 0;
	EXPECT_EQ(EINVAL, ioctl_err(fd, IOASID_FAULT_QUEUE_ALLOC, &cmd));
	cmd.size = sizeof(cmd) - 1;
	EXPECT_EQ(EINVAL, ioctl_err(fd, IOASID_FAULT_QUEUE_ALLOC, &cmd));
	cmd.size = offsetof(struct ioasid_fault_queue_alloc, out_mmap_size);
	EXPECT_EQ(EINVAL, ioctl_err(fd, IOASID_FAULT_QUEUE_ALLOC, &cmd));
	memset(&big, 0, sizeof(big));
	big.a.size = sizeof(big);
	big.a.nr_entries = 16;
	big.tail = 1;
	EXPECT_EQ(E2BIG, ioctl_err(fd, IOASID_FAULT_QUEUE_ALLOC, &big));
	big.tail = 0;
	ASSERT_EQ(0, ioctl_err(fd, IOASID_FAULT_QUEUE_ALLOC, &big));
	EXPECT_NE(0, big.a.out_fault_id);
	EXPECT_LE(0, big.a.out_fault_fd);
	close(big.a.out_fault_fd);
	EXPECT_EQ(0, ioasid_obj_destroy(fd, big.a.out_fault_id));

	/* No descriptor left: EMFILE, and no object stays behind. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	closed = dup(efd);
	ASSERT_LE(0, closed);
	close(closed);
	low = rl;
	low.rlim_cur = closed;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	EXPECT_EQ(EMFILE, ioasid_fault_queue_alloc(fd, 0, 16, 0, &cmd));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));

	close(efd);
	close(pfd[0]);
	close(pfd[1]);
}

/* The outputs: a fresh id and file, and the documented layout. */
TEST_F(fault, alloc_layout)
{
	static const __u32 sizes[] = {
		1, 2, 16, 64, 85 + 43, 512, IOASID_FAULT_QUEUE_MAX_ENTRIES
	};
	struct ioasid_fault_queue_alloc cmd;
	int fd = self->e.fd;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		__u32 nr = sizes[i];
		__u64 rec = page_align(nr * sizeof(struct ioasid_fault_record));
		__u64 resp = page_align(nr *
					sizeof(struct ioasid_fault_response));
		struct ioasid_fault_ring *ring;

		ASSERT_EQ(0, ioasid_fault_queue_alloc(fd, 0, nr, 0, &cmd))
			TH_LOG("%u entries", nr);
		EXPECT_NE(0, cmd.out_fault_id);
		ASSERT_LE(0, cmd.out_fault_fd);
		EXPECT_EQ(FD_CLOEXEC, fcntl(cmd.out_fault_fd, F_GETFD));
		EXPECT_EQ(page_size, cmd.out_records_offset);
		EXPECT_EQ(page_size + rec, cmd.out_responses_offset);
		EXPECT_EQ(page_size + rec + resp, cmd.out_mmap_size);
		ring = mmap(NULL, cmd.out_mmap_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, cmd.out_fault_fd, 0);
		ASSERT_NE(MAP_FAILED, ring);
		EXPECT_EQ(nr, ring->nr_entries);
		EXPECT_EQ(sizeof(struct ioasid_fault_record), ring->record_size);
		EXPECT_EQ(sizeof(struct ioasid_fault_response),
			  ring->response_size);
		EXPECT_EQ(0, ring->rec_tail);
		EXPECT_EQ(0, ring->rec_head);
		EXPECT_EQ(0, ring->resp_head);
		EXPECT_EQ(0, ring->resp_tail);
		EXPECT_EQ(0, ring->overflow);
		EXPECT_EQ(0, ring->lost_events);
		munmap(ring, cmd.out_mmap_size);
		close(cmd.out_fault_fd);
		EXPECT_EQ(0, ioasid_obj_destroy(fd, cmd.out_fault_id));
	}
}

/*
 * mmap() beyond the queue, at an offset, or private (the indices would not
 * be shared) is refused; a part of it from offset 0 is fine.
 */
TEST_F(fault, bad_mmap)
{
	static const struct {
		__u64 len, off;
		int flags;
	} bad[] = {
		{ 1, 0, MAP_PRIVATE },
		{ 2, 0, MAP_SHARED },	/* a page more than the queue */
		{ 1, 1, MAP_SHARED },	/* the queue, from its second page */
		{ 0, 1, MAP_SHARED },	/* one page at the end */
		{ 0, 1ULL << 28, MAP_SHARED },
	};
	struct ioasid_fq q;
	unsigned int i;
	void *p;

	fq_open(_metadata, &self->e, &q, 16);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		__u64 len = bad[i].len == 1 ? q.map_len :
			    bad[i].len == 2 ? q.map_len + page_size : page_size;
		__u64 off = bad[i].off == 1 && bad[i].len == 1 ? page_size :
			    bad[i].off == 1 ? q.map_len :
			    bad[i].off * page_size;

		p = mmap(NULL, len, PROT_READ | PROT_WRITE, bad[i].flags, q.fd,
			 off);
		EXPECT_EQ(MAP_FAILED, p) TH_LOG("case %u", i);
		EXPECT_EQ(EINVAL, errno) TH_LOG("case %u", i);
		if (p != MAP_FAILED)
			munmap(p, len);
	}
	/* The header page alone. */
	p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, q.fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(16, ((struct ioasid_fault_ring *)p)->nr_entries);
	munmap(p, page_size);
	/* The good mapping still works. */
	EXPECT_EQ(16, q.ring->nr_entries);
	ioasid_fq_close(&q);
}

/* HWPT_ALLOC's fault_id, and a queue that a HWPT uses. */
TEST_F(fault, hwpt_fault_id)
{
	struct fenv *e = &self->e;
	struct ioasid_hwpt_vtd_s1 data;
	struct ioasid_fault_queue_respond rsp = { .size = sizeof(rsp) };
	struct pollfd pfd;
	struct ioasid_fq q;
	__u32 hp, hn, id;

	fq_open(_metadata, e, &q, 16);
	vtd_pt_hwpt_data(&e->pt[0], &data, 0);
	/* Ids that are no fault queue. */
	EXPECT_EQ(ENOENT, ioasid_hwpt_alloc_fault(e->fd, e->dev, e->ioas,
						  e->ioas, &id));
	EXPECT_EQ(ENOENT, ioasid_hwpt_alloc_fault(e->fd, e->dev, e->ioas,
						  e->parent, &id));
	EXPECT_EQ(ENOENT, ioasid_hwpt_alloc_fault(e->fd, e->dev, e->ioas,
						  e->dev, &id));
	EXPECT_EQ(ENOENT, ioasid_hwpt_alloc_fault(e->fd, e->dev, e->ioas,
						  0xfffffff0, &id));
	EXPECT_EQ(ENOENT, ioasid_nest_alloc_fault(e->fd, e->dev, e->parent,
						  IOASID_HWPT_DATA_VTD_S1,
						  &data, sizeof(data), e->ioas,
						  &id));
	EXPECT_EQ(ENOENT, ioasid_nest_alloc_fault(e->fd, e->dev, e->parent,
						  IOASID_HWPT_DATA_VTD_S1,
						  &data, sizeof(data),
						  q.id + 1000, &id));

	hp = paging(_metadata, e, q.id);
	hn = nested(_metadata, e, 0, q.id);
	ASSERT_NE(0, hp);
	ASSERT_NE(0, hn);
	/* Two HWPTs use it: it stays. */
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(e->fd, q.id));
	EXPECT_EQ(0, ioasid_obj_destroy(e->fd, hp));
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(e->fd, q.id));
	/* Attached or not. */
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, hn, false));
	EXPECT_EQ(EBUSY, ioasid_obj_destroy(e->fd, q.id));
	ASSERT_EQ(0, ioasid_rid_detach(e->fd, e->mock));
	EXPECT_EQ(0, ioasid_obj_destroy(e->fd, hn));
	EXPECT_EQ(0, ioasid_obj_destroy(e->fd, q.id));
	EXPECT_EQ(ENOENT, ioasid_obj_destroy(e->fd, q.id));
	/* The object is gone: its id with it. */
	EXPECT_EQ(ENOENT, ioasid_hwpt_alloc_fault(e->fd, e->dev, e->ioas,
						  q.id, &id));
	rsp.fault_id = q.id;
	EXPECT_EQ(ENOENT, ioctl_err(e->fd, IOASID_FAULT_QUEUE_RESPOND, &rsp));
	/* The file keeps working, with nothing in it. */
	pfd = (struct pollfd) { .fd = q.fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, ioasid_fq_pending(&q));
	EXPECT_EQ(ESRCH, ioasid_fq_write(&q, 1, RESP_OK));
	ioasid_fq_close(&q);
}

/* The test driver's trigger refuses what it documents. */
TEST_F(fault, inject_errors)
{
	struct fenv *e = &self->e;
	struct ioasid_test_iopf_inject cmd;
	__u32 other;

	EXPECT_EQ(EINVAL, ioasid_iopf_inject(e->fd, e->mock, 0, FAULT_IOVA, 0,
					     1, PERM_R, &cmd));
	EXPECT_EQ(EINVAL, ioasid_iopf_inject(e->fd, e->mock, 0, FAULT_IOVA, 4,
					     0, PERM_R, &cmd));
	EXPECT_EQ(EINVAL, ioasid_iopf_inject(e->fd, e->mock, 0, FAULT_IOVA, 4,
					     5, PERM_R, &cmd));
	EXPECT_EQ(EINVAL, ioasid_iopf_inject(e->fd, e->mock, 0, FAULT_IOVA,
					     IOASID_TEST_IOPF_MAX + 1, 1,
					     PERM_R, &cmd));
	/* Read or write; execute with read; both only with a PASID. */
	EXPECT_EQ(EINVAL, ioasid_iopf_inject(e->fd, e->mock, 0, FAULT_IOVA, 1,
					     1, 1U << 4, &cmd));
	EXPECT_EQ(EINVAL, ioasid_iopf_inject(e->fd, e->mock, 0, FAULT_IOVA, 1,
					     1, 0, &cmd));
	EXPECT_EQ(EINVAL, ioasid_iopf_inject(e->fd, e->mock, 1, FAULT_IOVA, 1,
					     1, PERM_X | PERM_W, &cmd));
	EXPECT_EQ(EINVAL, ioasid_iopf_inject(e->fd, e->mock, 0, FAULT_IOVA, 1,
					     1, PERM_R | PERM_X, &cmd));
	EXPECT_EQ(EINVAL, ioasid_iopf_inject(e->fd, e->mock, 0, FAULT_IOVA, 1,
					     1, PERM_R | PERM_P, &cmd));
	EXPECT_EQ(EINVAL, ioasid_iopf_inject(e->fd, e->mock,
					     1U << IOASID_TEST_MOCK_PASID_BITS,
					     FAULT_IOVA, 1, 1, PERM_R, &cmd));
	EXPECT_EQ(ENOENT, ioasid_iopf_inject(e->fd, e->ioas, 0, FAULT_IOVA, 1,
					     1, PERM_R, &cmd));
	cmd = (struct ioasid_test_iopf_inject) {
		.size = sizeof(cmd),
		.flags = 1U << 7,
		.dev_id = e->mock,
		.addr = FAULT_IOVA,
		.count = 1,
		.group_size = 1,
		.perm = PERM_R,
	};
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(e->fd, IOASID_TEST_IOPF_INJECT, &cmd));
	cmd.flags = IOASID_TEST_IOPF_WAIT;
	EXPECT_EQ(EINVAL, ioctl_err(e->fd, IOASID_TEST_IOPF_INJECT, &cmd));
	cmd.timeout_ms = 60001;
	EXPECT_EQ(EINVAL, ioctl_err(e->fd, IOASID_TEST_IOPF_INJECT, &cmd));
	/* A device that cannot raise page requests. */
	ASSERT_EQ(0, ioasid_mock_dev_add(e->fd, MOCK_NOPRI, 0, 0, &other));
	EXPECT_EQ(EOPNOTSUPP, ioasid_iopf_inject(e->fd, other, 0, FAULT_IOVA,
						 1, 1, PERM_R, &cmd));
	/* Nothing was raised. */
	EXPECT_STATS(e, 0, 0, 0, 0, 0);
}

/* ---- Routing ------------------------------------------------------------ */

/*
 * A stage-1 fault of a nested HWPT reaches its queue, not the queue of
 * another HWPT of the same device; the routing follows the attachment.
 */
TEST_F(fault, routing_nested)
{
	struct fenv *e = &self->e;
	struct ioasid_fault_record r[8];
	struct ioasid_test_mock_dma d;
	struct ioasid_fq qa, qb;
	__u32 ha, hb, n, i;
	__u8 buf[64];

	fq_open(_metadata, e, &qa, 16);
	fq_open(_metadata, e, &qb, 16);
	ha = nested(_metadata, e, 0, qa.id);
	hb = nested(_metadata, e, 1, qb.id);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, ha, false));
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 1, hb, false, NULL));

	/* Injected requests of the RID: A's queue only. */
	inject(_metadata, e, 0, FAULT_IOVA, 3, 1, PERM_R);
	EXPECT_EQ(0, ioasid_fq_pending(&qb));
	ASSERT_EQ(3, ioasid_fq_pop(&qa, r, 8));
	for (i = 0; i < 3; i++)
		check_req(_metadata, e, &r[i], ha, 0, FAULT_IOVA + i * SZ_4K,
			  PERM_R);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, ioasid_fq_respond(&qa, r[i].cookie, RESP_OK));

	/* Of PASID 1: B's queue only. */
	inject(_metadata, e, 1, FAULT_IOVA, 2, 1, PERM_W);
	EXPECT_EQ(0, ioasid_fq_pending(&qa));
	ASSERT_EQ(2, ioasid_fq_pop(&qb, r, 8));
	for (i = 0; i < 2; i++)
		check_req(_metadata, e, &r[i], hb, 1, FAULT_IOVA + i * SZ_4K,
			  PERM_W);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, ioasid_fq_respond(&qb, r[i].cookie, RESP_OK));

	/* A real stage-1 fault: the DMA stops with the request pending. */
	EXPECT_EQ(EAGAIN, dma_now(e, IOASID_TEST_MOCK_DMA_FAULT_NOWAIT, 0,
				  FAULT_IOVA + 0x5000 + 8, buf, 16, &d))
		TH_LOG(DMA_LOG(d));
	EXPECT_EQ(1, d.out_page_requests) TH_LOG(DMA_LOG(d));
	EXPECT_EQ(IOASID_TEST_NO_RESPONSE, d.out_response_code);
	EXPECT_EQ(0, ioasid_fq_pending(&qb));
	ASSERT_EQ(1, ioasid_fq_pop(&qa, r, 8));
	check_req(_metadata, e, &r[0], ha, 0, FAULT_IOVA + 0x5000, PERM_R);
	EXPECT_TRUE(r[0].flags & LAST);
	EXPECT_EQ(d.out_grpid, r[0].grpid);
	EXPECT_EQ(0, ioasid_fq_respond(&qa, r[0].cookie, RESP_OK));
	/* A write through PASID 1. */
	EXPECT_EQ(EAGAIN, dma_now(e, IOASID_TEST_MOCK_DMA_FAULT_NOWAIT |
				  IOASID_TEST_MOCK_DMA_WRITE, 1,
				  FAULT_IOVA + 0x7000, buf, 16, &d))
		TH_LOG(DMA_LOG(d));
	EXPECT_EQ(0, ioasid_fq_pending(&qa));
	ASSERT_EQ(1, ioasid_fq_pop(&qb, r, 8));
	EXPECT_EQ(hb, r[0].hwpt_id);
	EXPECT_EQ(1, r[0].pasid);
	EXPECT_TRUE(r[0].perm & PERM_W) TH_LOG(REC_LOG(r[0]));
	EXPECT_EQ(0, ioasid_fq_respond(&qb, r[0].cookie, RESP_OK));

	/* The RID moves to B: its requests follow it. */
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, hb, true));
	inject(_metadata, e, 0, FAULT_IOVA, 1, 1, PERM_R);
	EXPECT_EQ(0, ioasid_fq_pending(&qa));
	ASSERT_EQ(1, ioasid_fq_pop(&qb, r, 8));
	check_req(_metadata, e, &r[0], hb, 0, FAULT_IOVA, PERM_R);
	EXPECT_EQ(0, ioasid_fq_respond(&qb, r[0].cookie, RESP_OK));

	n = 3 + 2 + 1 + 1 + 1;
	EXPECT_STATS(e, n, 0, n, 0, 0);
	ioasid_fq_close(&qa);
	ioasid_fq_close(&qb);
}

/*
 * Two PASIDs on two paging HWPTs with their own queues; a HWPT without a
 * queue, and a PASID with nothing attached, get no record: the IOMMU core
 * answers those requests itself.
 */
TEST_F(fault, two_pasids_two_queues)
{
	struct fenv *e = &self->e;
	struct ioasid_fault_record r[4];
	struct ioasid_fq qa, qb;
	__u32 ha, hb, hn;

	fq_open(_metadata, e, &qa, 8);
	fq_open(_metadata, e, &qb, 8);
	ha = paging(_metadata, e, qa.id);
	hb = paging(_metadata, e, qb.id);
	hn = nested(_metadata, e, 0, 0);
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 1, ha, false, NULL));
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 2, hb, false, NULL));
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, hn, false));

	inject(_metadata, e, 2, FAULT_IOVA, 1, 1, PERM_R | PERM_W);
	inject(_metadata, e, 1, FAULT_IOVA + SZ_4K, 1, 1, PERM_R | PERM_X);
	ASSERT_EQ(1, ioasid_fq_pop(&qa, r, 4));
	check_req(_metadata, e, &r[0], ha, 1, FAULT_IOVA + SZ_4K,
		  PERM_R | PERM_X);
	ASSERT_EQ(1, ioasid_fq_pop(&qb, r + 1, 3));
	check_req(_metadata, e, &r[1], hb, 2, FAULT_IOVA, PERM_R | PERM_W);

	/* The RID's HWPT has no queue; PASID 3 has nothing attached. */
	inject(_metadata, e, 0, FAULT_IOVA, 1, 1, PERM_R);
	inject(_metadata, e, 3, FAULT_IOVA, 1, 1, PERM_R);
	EXPECT_EQ(0, ioasid_fq_pending(&qa));
	EXPECT_EQ(0, ioasid_fq_pending(&qb));
	EXPECT_STATS(e, 4, 2, 0, 2, 0);

	EXPECT_EQ(0, ioasid_fq_respond(&qa, r[0].cookie, RESP_OK));
	EXPECT_EQ(0, ioasid_fq_write(&qb, r[1].cookie, RESP_OK));
	EXPECT_STATS(e, 4, 0, 2, 2, 0);
	ioasid_fq_close(&qa);
	ioasid_fq_close(&qb);
}

/*
 * Two devices of one IOMMU group on one HWPT: each request names its own
 * device; a device that leaves the attachment has its requests answered,
 * the other's stay.
 */
TEST_F(fault, group_two_devices)
{
	struct fenv *e = &self->e;
	struct ioasid_test_iopf_stats sa, sb;
	struct ioasid_fault_record r[4];
	__u32 mock_b, dev_b, h;
	struct ioasid_fq q;

	ASSERT_EQ(0, ioasid_mock_dev_add(e->fd, IOASID_TEST_MOCK_DEV_VTD |
					 IOASID_TEST_MOCK_DEV_PRI |
					 IOASID_TEST_MOCK_DEV_GROUP, e->mock, 0,
					 &mock_b));
	ASSERT_EQ(0, ioasid_device_bind(e->fd, mock_b, &dev_b));
	fq_open(_metadata, e, &q, 8);
	h = paging(_metadata, e, q.id);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, false));
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, mock_b, h, false));

	inject(_metadata, e, 0, FAULT_IOVA, 1, 1, PERM_R);
	ASSERT_EQ(0, ioasid_iopf_inject(e->fd, mock_b, 0, FAULT_IOVA + SZ_4K,
					1, 1, PERM_W, NULL));
	ASSERT_EQ(2, ioasid_fq_pop(&q, r, 4));
	check_req(_metadata, e, &r[0], h, 0, FAULT_IOVA, PERM_R);
	EXPECT_EQ(dev_b, r[1].dev_id) TH_LOG(REC_LOG(r[1]));
	EXPECT_EQ(h, r[1].hwpt_id);
	EXPECT_EQ(FAULT_IOVA + SZ_4K, r[1].addr);

	/* A leaves: its group is answered, B's waits. */
	ASSERT_EQ(0, ioasid_rid_detach(e->fd, e->mock));
	EXPECT_STATS(e, 1, 0, 0, 0, 1);
	ASSERT_EQ(0, ioasid_iopf_stats(e->fd, mock_b, &sb));
	EXPECT_EQ(1, sb.out_pending);
	EXPECT_EQ(ESRCH, ioasid_fq_write(&q, r[0].cookie, RESP_OK));
	EXPECT_EQ(0, ioasid_fq_write(&q, r[1].cookie, RESP_OK));
	ASSERT_EQ(0, ioasid_iopf_stats(e->fd, mock_b, &sb));
	EXPECT_EQ(1, sb.out_success);
	EXPECT_EQ(0, sb.out_pending);

	/*
	 * A's page requests are turned off while the group's domain still
	 * translates A: A cannot raise one any more (the test IOMMU answers
	 * Invalid Request at once), and nothing reaches the queue.
	 */
	inject(_metadata, e, 0, FAULT_IOVA, 1, 1, PERM_R);
	EXPECT_EQ(0, ioasid_fq_pending(&q));
	ASSERT_EQ(0, ioasid_iopf_stats(e->fd, e->mock, &sa));
	EXPECT_EQ(2, sa.out_raised);
	EXPECT_EQ(0, sa.out_pending) TH_LOG(STATS_LOG(sa));
	EXPECT_EQ(1, sa.out_invalid) TH_LOG(STATS_LOG(sa));
	ioasid_fq_close(&q);
}

/* ---- Groups, responses -------------------------------------------------- */

/* Groups of several requests: one cookie, the last one marked. */
TEST_F(fault, groups_last_in_group)
{
	static const struct {
		__u32 count, gsz;
	} cases[] = {
		{ 10, 4 }, { 5, 5 }, { 3, 1 }, { 7, 2 }, { 16, 16 },
	};
	struct fenv *e = &self->e;
	struct ioasid_fault_record r[32];
	__u32 raised = 0, answered = 0, i, j, first, h;
	struct ioasid_fq q;

	fq_open(_metadata, e, &q, 32);
	h = nested(_metadata, e, 0, q.id);
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 5, h, false, NULL));

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		__u32 count = cases[i].count, gsz = cases[i].gsz;
		__u32 groups = (count + gsz - 1) / gsz;
		__u32 perm = i % 2 ? PERM_W | PERM_P : PERM_R;

		first = inject(_metadata, e, 5, FAULT_IOVA, count, gsz, perm);
		ASSERT_EQ(count, ioasid_fq_pop(&q, r, 32));
		for (j = 0; j < count; j++) {
			__u32 g = j / gsz;
			bool last = j % gsz == gsz - 1 || j == count - 1;

			check_req(_metadata, e, &r[j], h, 5,
				  FAULT_IOVA + j * SZ_4K, perm);
			EXPECT_EQ((first + g) % 512, r[j].grpid)
				TH_LOG("case %u, request %u", i, j);
			EXPECT_EQ(last, !!(r[j].flags & LAST))
				TH_LOG("case %u, request %u", i, j);
			/* One cookie per group, another for the next. */
			if (j)
				EXPECT_EQ(!!(j % gsz),
					  r[j - 1].cookie == r[j].cookie);
		}
		raised += groups;
		EXPECT_STATS(e, raised, groups, answered, 0, 0);
		/* Each group is answered once, by its cookie. */
		for (j = 0; j < count; j += gsz) {
			EXPECT_EQ(0, ioasid_fq_respond(&q, r[j].cookie,
						       RESP_OK));
			answered++;
			EXPECT_STATS(e, raised, raised - answered, answered, 0,
				     0);
		}
	}
	EXPECT_STATS(e, raised, 0, raised, 0, 0);
	ioasid_fq_close(&q);
}

/* Every code, in one batch of the ring; the kernel consumes it. */
TEST_F(fault, response_codes)
{
	struct fenv *e = &self->e;
	struct ioasid_fault_record r[4];
	struct ioasid_fq q;
	__u32 tail, done;

	fq_open(_metadata, e, &q, 4);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, paging(_metadata, e, q.id),
				       false));
	inject(_metadata, e, 0, FAULT_IOVA, 3, 1, PERM_R);
	ASSERT_EQ(3, ioasid_fq_pop(&q, r, 4));
	tail = q.ring->resp_tail;
	ASSERT_TRUE(ioasid_fq_push(&q, &tail, r[0].cookie, RESP_OK));
	ASSERT_TRUE(ioasid_fq_push(&q, &tail, r[1].cookie, RESP_INVAL));
	ASSERT_TRUE(ioasid_fq_push(&q, &tail, r[2].cookie, RESP_FAIL));
	EXPECT_EQ(0, ioasid_fq_commit(&q, tail, &done));
	EXPECT_EQ(3, done);
	EXPECT_EQ(3, ioasid_load_acquire(&q.ring->resp_head));
	EXPECT_STATS(e, 3, 0, 1, 1, 1);
	/* Through write() too. */
	inject(_metadata, e, 0, FAULT_IOVA, 3, 1, PERM_R);
	ASSERT_EQ(3, ioasid_fq_pop(&q, r, 4));
	EXPECT_EQ(0, ioasid_fq_write(&q, r[0].cookie, RESP_FAIL));
	EXPECT_EQ(0, ioasid_fq_write(&q, r[1].cookie, RESP_INVAL));
	EXPECT_EQ(0, ioasid_fq_write(&q, r[2].cookie, RESP_OK));
	EXPECT_STATS(e, 6, 0, 2, 2, 2);
	ioasid_fq_close(&q);
}

/*
 * A DMA through a paging HWPT that waits for its page requests: the
 * handler maps the page into the IOAS and answers; SUCCESS retries and
 * the data arrives, INVALID and FAILURE make the DMA fail.
 */
TEST_F_TIMEOUT(fault, dma_paging, 120)
{
	static const struct {
		__u32 code;
		bool write;
	} cases[] = {
		{ RESP_OK, true }, { RESP_OK, false },
		{ RESP_INVAL, false }, { RESP_FAIL, true },
	};
	struct fenv *e = &self->e;
	struct ioasid_fault_record r;
	struct dma_job j;
	struct ioasid_fq q;
	__u8 *host, *buf;
	unsigned int c, k;
	__u64 iova, len = 2 * SZ_4K - 0x800;

	host = mmap(NULL, 8 * SZ_4K, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, host);
	fill_random(host, 8 * SZ_4K, &e->rng);
	buf = malloc(2 * SZ_4K);
	ASSERT_NE(NULL, buf);
	fq_open(_metadata, e, &q, 8);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, paging(_metadata, e, q.id),
				       false));

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		bool write = cases[c].write, ok = cases[c].code == RESP_OK;
		__u8 *page = host + c * 2 * SZ_4K;

		iova = FAULT_IOVA + c * 2 * SZ_4K;
		fill_random(buf, 2 * SZ_4K, &e->rng);
		ASSERT_EQ(0, dma_start(&j, e, write ?
				       IOASID_TEST_MOCK_DMA_WRITE : 0, 0,
				       iova + 0x800, buf, len));
		/* Two pages, two requests, one after the other. */
		for (k = 0; k < (ok ? 2 : 1); k++) {
			ASSERT_EQ(1, wait_pop(&q, &r, 1));
			check_req(_metadata, e, &r, r.hwpt_id, 0,
				  iova + k * SZ_4K, r.perm);
			EXPECT_EQ(write ? PERM_W : PERM_R,
				  r.perm & (PERM_R | PERM_W))
				TH_LOG(REC_LOG(r));
			EXPECT_TRUE(r.flags & LAST);
			if (ok)
				ASSERT_EQ(0, ioasid_ioas_map_at(e->fd, e->ioas,
								page + k * SZ_4K,
								SZ_4K,
								iova + k * SZ_4K));
			EXPECT_EQ(0, ioasid_fq_respond(&q, r.cookie,
						       cases[c].code));
		}
		dma_join(&j);
		EXPECT_EQ(cases[c].code, j.d.out_response_code)
			TH_LOG(DMA_LOG(j.d));
		EXPECT_EQ(k, j.d.out_page_requests) TH_LOG(DMA_LOG(j.d));
		if (ok) {
			EXPECT_EQ(0, j.rc) TH_LOG(DMA_LOG(j.d));
			EXPECT_EQ(len, j.d.out_done);
			EXPECT_EQ(0, memcmp(page + 0x800, buf, len));
		} else {
			EXPECT_EQ(ENXIO, j.rc) TH_LOG(DMA_LOG(j.d));
			EXPECT_EQ(0, j.d.out_done);
		}
	}
	EXPECT_STATS(e, 6, 0, 4, 1, 1);
	ioasid_fq_close(&q);
	free(buf);
	munmap(host, 8 * SZ_4K);
}

/*
 * The vSVA flow on a nested HWPT: the handler fills the stage-1 entry in
 * guest RAM, invalidates, answers; the DMA completes with the guest's data.
 */
TEST_F_TIMEOUT(fault, dma_nested, 120)
{
	struct fenv *e = &self->e;
	struct ioasid_fault_record r;
	__u64 g[3], iova = FAULT_IOVA + SZ_1G;
	__u8 buf[3 * SZ_4K];
	struct ioasid_fq q;
	struct dma_job j;
	__u32 h, pasid;
	int k;

	fq_open(_metadata, e, &q, 8);
	h = nested(_metadata, e, 0, q.id);
	for (pasid = 0; pasid < 2; pasid++) {
		ASSERT_EQ(0, attach(e->fd, e->mock, pasid, h, false));
		for (k = 0; k < 3; k++)
			g[k] = data_page(e);
		ASSERT_EQ(0, dma_start(&j, e, 0, pasid, iova, buf,
				       sizeof(buf)));
		for (k = 0; k < 3; k++) {
			ASSERT_EQ(1, wait_pop(&q, &r, 1));
			check_req(_metadata, e, &r, h, pasid,
				  iova + k * SZ_4K, PERM_R);
			ASSERT_EQ(0, vtd_pt_map(&e->pt[0], r.addr, g[k], SZ_4K,
						VTD_PTE_US | VTD_PTE_RW));
			ASSERT_EQ(0, ioasid_nest_invalidate_all(e->fd, h,
								false));
			EXPECT_EQ(0, ioasid_fq_respond(&q, r.cookie, RESP_OK));
		}
		ASSERT_EQ(0, dma_join(&j)) TH_LOG(DMA_LOG(j.d));
		EXPECT_EQ(3, j.d.out_page_requests);
		EXPECT_EQ(RESP_OK, j.d.out_response_code);
		for (k = 0; k < 3; k++)
			EXPECT_EQ(0, memcmp(buf + k * SZ_4K, gp(e, g[k]),
					    SZ_4K));
		iova += 4 * SZ_4K;
	}
	EXPECT_STATS(e, 6, 0, 6, 0, 0);
	ioasid_fq_close(&q);
}

/*
 * A second answer, an unknown cookie, a bad code, a bad batch: each fails
 * with its errno and changes nothing.
 */
TEST_F(fault, bad_responses)
{
	struct ioasid_fault_queue_respond rsp = { .size = sizeof(rsp) };
	struct fenv *e = &self->e;
	struct ioasid_fault_record r[2];
	struct ioasid_fq q;
	__u32 tail, done, bogus;

	fq_open(_metadata, e, &q, 4);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, nested(_metadata, e, 0, q.id),
				       false));
	inject(_metadata, e, 0, FAULT_IOVA, 2, 1, PERM_R);
	ASSERT_EQ(2, ioasid_fq_pop(&q, r, 2));
	ASSERT_NE(r[0].cookie, r[1].cookie);
	bogus = r[0].cookie + r[1].cookie + 7919;

	/* The ioctl's own errors. */
	rsp.fault_id = e->ioas;
	EXPECT_EQ(ENOENT, ioctl_err(e->fd, IOASID_FAULT_QUEUE_RESPOND, &rsp));
	rsp.fault_id = 0;
	EXPECT_EQ(ENOENT, ioctl_err(e->fd, IOASID_FAULT_QUEUE_RESPOND, &rsp));
	rsp.fault_id = q.id;
	rsp.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(e->fd, IOASID_FAULT_QUEUE_RESPOND, &rsp));
	rsp.__reserved = 0;
	/* Nothing to commit. */
	EXPECT_EQ(0, ioctl_err(e->fd, IOASID_FAULT_QUEUE_RESPOND, &rsp));
	EXPECT_EQ(0, rsp.out_done);

	/* An unknown cookie: consumed, nothing done. */
	EXPECT_EQ(ESRCH, ioasid_fq_respond(&q, bogus, RESP_OK));
	EXPECT_EQ(1, ioasid_load_acquire(&q.ring->resp_head));
	/* An unknown code. */
	EXPECT_EQ(EINVAL, ioasid_fq_respond(&q, r[0].cookie, 3));
	EXPECT_EQ(EINVAL, ioasid_fq_respond(&q, r[0].cookie, ~0U));
	EXPECT_EQ(3, ioasid_load_acquire(&q.ring->resp_head));
	EXPECT_STATS(e, 2, 2, 0, 0, 0);

	/* A batch stops at its bad response; the rest stays in the ring. */
	tail = q.ring->resp_tail;
	ASSERT_TRUE(ioasid_fq_push(&q, &tail, r[0].cookie, RESP_OK));
	ASSERT_TRUE(ioasid_fq_push(&q, &tail, bogus, RESP_OK));
	ASSERT_TRUE(ioasid_fq_push(&q, &tail, r[1].cookie, RESP_INVAL));
	EXPECT_EQ(ESRCH, ioasid_fq_commit(&q, tail, &done));
	EXPECT_EQ(1, done);
	EXPECT_EQ(tail - 1, ioasid_load_acquire(&q.ring->resp_head));
	EXPECT_STATS(e, 2, 1, 1, 0, 0);
	EXPECT_EQ(0, ioasid_fq_commit(&q, tail, &done));
	EXPECT_EQ(1, done);
	EXPECT_EQ(tail, ioasid_load_acquire(&q.ring->resp_head));
	EXPECT_STATS(e, 2, 0, 1, 1, 0);

	/* Answered already, through either way. */
	EXPECT_EQ(ESRCH, ioasid_fq_respond(&q, r[0].cookie, RESP_OK));
	EXPECT_EQ(ESRCH, ioasid_fq_write(&q, r[1].cookie, RESP_FAIL));
	EXPECT_EQ(ESRCH, ioasid_fq_write(&q, bogus, RESP_OK));
	EXPECT_EQ(EINVAL, ioasid_fq_write(&q, r[0].cookie, 3));
	/* Cookie 0 is an event's: never a group's. */
	EXPECT_EQ(ESRCH, ioasid_fq_write(&q, 0, RESP_OK));

	/* A tail more than the ring ahead of the head. */
	tail = ioasid_load_acquire(&q.ring->resp_head);
	EXPECT_EQ(EINVAL, ioasid_fq_commit(&q, tail + q.nr + 1, &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(tail, ioasid_load_acquire(&q.ring->resp_head));
	EXPECT_EQ(0, ioasid_fq_commit(&q, tail, &done));
	EXPECT_EQ(0, done);
	EXPECT_STATS(e, 2, 0, 1, 1, 0);

	/* A write() of 0 bytes commits the ring. */
	inject(_metadata, e, 0, FAULT_IOVA, 1, 1, PERM_R);
	ASSERT_EQ(1, ioasid_fq_pop(&q, r, 1));
	tail = q.ring->resp_tail;
	ASSERT_TRUE(ioasid_fq_push(&q, &tail, r[0].cookie, RESP_OK));
	ioasid_store_release(&q.ring->resp_tail, tail);
	EXPECT_EQ(0, write(q.fd, r, 0));
	EXPECT_EQ(tail, ioasid_load_acquire(&q.ring->resp_head));
	EXPECT_STATS(e, 3, 0, 2, 1, 0);
	ioasid_fq_close(&q);
}

/* A ring too small: what does not fit is answered with failure, counted. */
TEST_F(fault, overflow)
{
	struct fenv *e = &self->e;
	struct ioasid_test_iopf_inject out;
	struct ioasid_fault_record r[4];
	struct ioasid_fq q;
	__u32 i, h;

	fq_open(_metadata, e, &q, 4);
	h = paging(_metadata, e, q.id);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, false));
	ASSERT_EQ(0, ioasid_iopf_inject(e->fd, e->mock, 0, FAULT_IOVA, 10, 1,
					PERM_R, &out));
	EXPECT_EQ(6, out.out_answered);
	EXPECT_EQ(4, ioasid_fq_pending(&q));
	EXPECT_EQ(6, q.ring->overflow);
	EXPECT_STATS(e, 10, 4, 0, 0, 6);
	/* The first four made it, in order. */
	ASSERT_EQ(4, ioasid_fq_pop(&q, r, 4));
	for (i = 0; i < 4; i++) {
		check_req(_metadata, e, &r[i], h, 0, FAULT_IOVA + i * SZ_4K,
			  PERM_R);
		EXPECT_EQ(0, ioasid_fq_respond(&q, r[i].cookie, RESP_OK));
	}
	EXPECT_STATS(e, 10, 0, 4, 0, 6);

	/* Whole groups: two of two requests fit, the third does not. */
	ASSERT_EQ(0, ioasid_iopf_inject(e->fd, e->mock, 0, FAULT_IOVA, 6, 2,
					PERM_R, &out));
	EXPECT_EQ(1, out.out_answered);
	EXPECT_EQ(7, q.ring->overflow);
	ASSERT_EQ(4, ioasid_fq_pop(&q, r, 4));
	EXPECT_EQ(r[0].cookie, r[1].cookie);
	EXPECT_EQ(r[2].cookie, r[3].cookie);
	EXPECT_TRUE(r[1].flags & LAST);
	EXPECT_TRUE(r[3].flags & LAST);
	EXPECT_EQ(0, ioasid_fq_write(&q, r[0].cookie, RESP_OK));
	EXPECT_EQ(0, ioasid_fq_write(&q, r[2].cookie, RESP_OK));
	EXPECT_STATS(e, 13, 0, 6, 0, 7);
	/* The ring works again once emptied. */
	inject(_metadata, e, 0, FAULT_IOVA, 4, 4, PERM_R);
	EXPECT_EQ(7, q.ring->overflow);
	ASSERT_EQ(4, ioasid_fq_pop(&q, r, 4));
	EXPECT_EQ(0, ioasid_fq_respond(&q, r[3].cookie, RESP_OK));
	EXPECT_STATS(e, 14, 0, 7, 0, 7);
	ioasid_fq_close(&q);
}

/* ---- Nothing left hanging ----------------------------------------------- */

enum cleanup {
	CLEAN_DETACH,
	CLEAN_REPLACE,
	CLEAN_REPLACE_QUEUE,
	CLEAN_DESTROY,
	CLEAN_QUEUE_CLOSE,
	CLEAN_UNBIND,
};

/*
 * Requests outstanding on a HWPT attached to the RID or a PASID (injected
 * ones, and a DMA that waits), then @how: every one of them is answered
 * FAILURE by the kernel, the waiting DMA returns, nothing stays pending,
 * and a late answer finds nothing.
 */
static void cleanup_case(struct __test_metadata *_metadata, struct fenv *e,
			 __u32 pasid, bool nest, enum cleanup how)
{
	struct ioasid_fault_record r[8];
	struct ioasid_fq q, q2;
	__u32 h, h2 = 0, i, n;
	struct dma_job j;
	__u8 buf[64];

	fq_open(_metadata, e, &q, 8);
	fq_open(_metadata, e, &q2, 8);
	h = nest ? nested(_metadata, e, 0, q.id) : paging(_metadata, e, q.id);
	ASSERT_EQ(0, attach(e->fd, e->mock, pasid, h, false));
	inject(_metadata, e, pasid, FAULT_IOVA, 5, 2, PERM_R);
	ASSERT_EQ(0, dma_start(&j, e, 0, pasid, FAULT_IOVA + SZ_1G, buf,
			       sizeof(buf)));
	/* Five requests in three groups, and the DMA's. */
	n = 0;
	while (n < 6) {
		i = wait_pop(&q, r + n, 8 - n);
		ASSERT_NE(0, i);
		n += i;
	}
	EXPECT_STATS(e, 4, 4, 0, 0, 0);

	switch (how) {
	case CLEAN_DETACH:
		ASSERT_EQ(0, detach(e->fd, e->mock, pasid));
		break;
	case CLEAN_REPLACE:
		h2 = nest ? nested(_metadata, e, 1, 0) : paging(_metadata, e, 0);
		ASSERT_EQ(0, attach(e->fd, e->mock, pasid, h2, true));
		break;
	case CLEAN_REPLACE_QUEUE:
		h2 = nest ? nested(_metadata, e, 1, q2.id) :
			    paging(_metadata, e, q2.id);
		ASSERT_EQ(0, attach(e->fd, e->mock, pasid, h2, true));
		break;
	case CLEAN_DESTROY:
		/* Attached, it stays, and nothing is answered. */
		EXPECT_EQ(EBUSY, ioasid_obj_destroy(e->fd, h));
		EXPECT_STATS(e, 4, 4, 0, 0, 0);
		ASSERT_EQ(0, detach(e->fd, e->mock, pasid));
		EXPECT_EQ(0, ioasid_obj_destroy(e->fd, h));
		break;
	case CLEAN_QUEUE_CLOSE:
		/* The object lives on: its requests wait for the HWPT. */
		ioasid_fq_close(&q);
		EXPECT_EQ(EBUSY, ioasid_obj_destroy(e->fd, q.id));
		EXPECT_STATS(e, 4, 4, 0, 0, 0);
		ASSERT_EQ(0, detach(e->fd, e->mock, pasid));
		EXPECT_EQ(0, ioasid_obj_destroy(e->fd, h));
		EXPECT_EQ(0, ioasid_obj_destroy(e->fd, q.id));
		break;
	case CLEAN_UNBIND:
		ASSERT_EQ(0, ioasid_device_unbind(e->fd, e->mock));
		break;
	}
	dma_join(&j);
	EXPECT_EQ(RESP_FAIL, j.d.out_response_code) TH_LOG(DMA_LOG(j.d));
	EXPECT_NE(0, j.rc);
	EXPECT_STATS(e, 4, 0, 0, 0, 4);
	if (q.fd >= 0) {
		for (i = 0; i < n; i++)
			EXPECT_EQ(ESRCH, ioasid_fq_write(&q, r[i].cookie,
							 RESP_OK));
	}
	/* A replacement with its own queue gets the next requests. */
	if (how == CLEAN_REPLACE_QUEUE) {
		EXPECT_EQ(0, ioasid_fq_pending(&q2));
		inject(_metadata, e, pasid, FAULT_IOVA, 1, 1, PERM_R);
		EXPECT_EQ(0, ioasid_fq_pending(&q));
		ASSERT_EQ(1, ioasid_fq_pop(&q2, r, 1));
		check_req(_metadata, e, &r[0], h2, pasid, FAULT_IOVA, PERM_R);
		EXPECT_EQ(0, ioasid_fq_respond(&q2, r[0].cookie, RESP_OK));
		EXPECT_STATS(e, 5, 0, 1, 0, 4);
	}
	if (how == CLEAN_REPLACE) {
		/* No queue now: the core answers at once. */
		inject(_metadata, e, pasid, FAULT_IOVA, 1, 1, PERM_R);
		EXPECT_STATS(e, 5, 0, 0, 1, 4);
	}
	EXPECT_EQ(0, ioasid_fq_pending(&q2));
	ioasid_fq_close(&q);
	ioasid_fq_close(&q2);
}

TEST_F_TIMEOUT(fault, cleanup_detach_rid, 60)
{
	cleanup_case(_metadata, &self->e, 0, true, CLEAN_DETACH);
}

TEST_F_TIMEOUT(fault, cleanup_detach_pasid, 60)
{
	cleanup_case(_metadata, &self->e, 7, false, CLEAN_DETACH);
}

TEST_F_TIMEOUT(fault, cleanup_replace_rid, 60)
{
	cleanup_case(_metadata, &self->e, 0, false, CLEAN_REPLACE);
}

TEST_F_TIMEOUT(fault, cleanup_replace_pasid_queue, 60)
{
	cleanup_case(_metadata, &self->e, 3, true, CLEAN_REPLACE_QUEUE);
}

TEST_F_TIMEOUT(fault, cleanup_replace_rid_queue, 60)
{
	cleanup_case(_metadata, &self->e, 0, true, CLEAN_REPLACE_QUEUE);
}

TEST_F_TIMEOUT(fault, cleanup_hwpt_destroy, 60)
{
	cleanup_case(_metadata, &self->e, 2, true, CLEAN_DESTROY);
}

TEST_F_TIMEOUT(fault, cleanup_queue_close, 60)
{
	cleanup_case(_metadata, &self->e, 0, false, CLEAN_QUEUE_CLOSE);
}

TEST_F_TIMEOUT(fault, cleanup_unbind, 60)
{
	cleanup_case(_metadata, &self->e, 4, true, CLEAN_UNBIND);
}

/*
 * The queue's object goes first, then its file: records delivered stay
 * readable in between; the object's id is gone.
 */
TEST_F(fault, cleanup_object_then_file)
{
	struct fenv *e = &self->e;
	struct ioasid_fault_record r[2];
	struct ioasid_fq q;
	__u32 h;

	fq_open(_metadata, e, &q, 4);
	h = paging(_metadata, e, q.id);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, false));
	inject(_metadata, e, 0, FAULT_IOVA, 2, 1, PERM_R);
	ASSERT_EQ(0, ioasid_rid_detach(e->fd, e->mock));
	EXPECT_STATS(e, 2, 0, 0, 0, 2);
	ASSERT_EQ(0, ioasid_obj_destroy(e->fd, h));
	ASSERT_EQ(0, ioasid_obj_destroy(e->fd, q.id));
	/* What was delivered is still there, answered already. */
	ASSERT_EQ(2, ioasid_fq_read(&q, r, 2));
	EXPECT_EQ(FAULT_IOVA + SZ_4K, r[1].addr);
	EXPECT_EQ(ESRCH, ioasid_fq_write(&q, r[0].cookie, RESP_OK));
	ioasid_fq_close(&q);
	EXPECT_STATS(e, 2, 0, 0, 0, 2);
}

/*
 * A child's context closes with requests outstanding and its queue's file
 * still open: the context goes (the requests with it, answered), and the
 * file stays safe to use.
 */
static int context_close_child(void)
{
	struct ioasid_ioas_alloc ia = { .size = sizeof(ia) };
	struct ioasid_fault_record r[4];
	struct pollfd p;
	struct ioasid_fq q;
	__u32 mock, dev, h;
	int fd;

	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl_err(fd, IOASID_IOAS_ALLOC, &ia) ||
	    ioasid_mock_dev_add(fd, MOCK_PRI, 0, 0, &mock) ||
	    ioasid_device_bind(fd, mock, &dev))
		return 1;
	if (ioasid_fq_open(fd, 0, 4, 0, &q) ||
	    ioasid_hwpt_alloc_fault(fd, dev, ia.out_ioas_id, q.id, &h) ||
	    ioasid_rid_attach(fd, mock, h, false) ||
	    ioasid_iopf_inject(fd, mock, 0, FAULT_IOVA, 3, 1, PERM_R, NULL))
		return 2;
	close(fd);
	p = (struct pollfd) { .fd = q.fd, .events = POLLIN };
	if (poll(&p, 1, 0) != 1)
		return 3;
	if (ioasid_fq_read(&q, r, 4) != 3 ||
	    r[2].addr != FAULT_IOVA + 2 * SZ_4K)
		return 4;
	/* The context is gone, with every group of it: answered. */
	if (ioasid_fq_write(&q, r[0].cookie, RESP_OK) != ESRCH)
		return 5;
	ioasid_fq_close(&q);
	return 0;
}

TEST_F_TIMEOUT(fault, cleanup_context_close, 60)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(context_close_child());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* ---- Consuming ---------------------------------------------------------- */

/* The ring and read()/write() on one queue: the same records, in order. */
TEST_F(fault, ring_and_rw_mixed)
{
	struct fenv *e = &self->e;
	struct ioasid_fault_record r[8];
	struct ioasid_fq q;
	__u32 tail, done, h, i;

	fq_open(_metadata, e, &q, 8);
	h = nested(_metadata, e, 0, q.id);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, false));
	inject(_metadata, e, 0, FAULT_IOVA, 4, 1, PERM_R);
	/* read() consumes at rec_head, as the ring does. */
	ASSERT_EQ(1, ioasid_fq_read(&q, r, 1));
	EXPECT_EQ(1, ioasid_load_acquire(&q.ring->rec_head));
	EXPECT_EQ(3, ioasid_fq_pending(&q));
	ASSERT_EQ(2, ioasid_fq_pop(&q, r + 1, 2));
	ASSERT_EQ(1, ioasid_fq_read(&q, r + 3, 4));
	EXPECT_EQ(4, ioasid_load_acquire(&q.ring->rec_head));
	for (i = 0; i < 4; i++)
		check_req(_metadata, e, &r[i], h, 0, FAULT_IOVA + i * SZ_4K,
			  PERM_R);
	/* Answers by either way. */
	EXPECT_EQ(0, ioasid_fq_write(&q, r[0].cookie, RESP_OK));
	tail = q.ring->resp_tail;
	ASSERT_TRUE(ioasid_fq_push(&q, &tail, r[1].cookie, RESP_OK));
	ASSERT_TRUE(ioasid_fq_push(&q, &tail, r[2].cookie, RESP_INVAL));
	EXPECT_EQ(0, ioasid_fq_commit(&q, tail, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(0, ioasid_fq_write(&q, r[3].cookie, RESP_OK));
	EXPECT_STATS(e, 4, 0, 3, 1, 0);

	/* Around the end of the ring, by both ways. */
	for (i = 0; i < 3; i++) {
		inject(_metadata, e, 0, FAULT_IOVA + i * 8 * SZ_4K, 6, 3,
		       PERM_W);
		ASSERT_EQ(2, ioasid_fq_read(&q, r, 2));
		ASSERT_EQ(4, ioasid_fq_pop(&q, r + 2, 8));
		check_req(_metadata, e, &r[0], h, 0, FAULT_IOVA + i * 8 * SZ_4K,
			  PERM_W);
		check_req(_metadata, e, &r[5], h, 0,
			  FAULT_IOVA + (i * 8 + 5) * SZ_4K, PERM_W);
		EXPECT_EQ(r[0].cookie, r[2].cookie);
		EXPECT_TRUE(r[2].flags & LAST);
		EXPECT_EQ(0, ioasid_fq_respond(&q, r[2].cookie, RESP_OK));
		EXPECT_EQ(0, ioasid_fq_write(&q, r[5].cookie, RESP_OK));
	}
	EXPECT_STATS(e, 10, 0, 9, 1, 0);
	ioasid_fq_close(&q);
}

/* A read() shorter than one record reads nothing. */
TEST_F(fault, read_sizes)
{
	struct fenv *e = &self->e;
	struct ioasid_fault_record r[2];
	struct ioasid_fq q;
	ssize_t n;

	fq_open(_metadata, e, &q, 4);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, paging(_metadata, e, q.id),
				       false));
	inject(_metadata, e, 0, FAULT_IOVA, 2, 1, PERM_R);
	n = read(q.fd, r, sizeof(r[0]) - 1);
	EXPECT_GE(0, n);
	EXPECT_EQ(2, ioasid_fq_pending(&q));
	/* One and a half: one whole record. */
	n = read(q.fd, r, sizeof(r[0]) + sizeof(r[0]) / 2);
	EXPECT_EQ(sizeof(r[0]), n);
	EXPECT_EQ(1, ioasid_fq_pending(&q));
	ASSERT_EQ(1, ioasid_fq_read(&q, r + 1, 1));
	EXPECT_EQ(FAULT_IOVA + SZ_4K, r[1].addr);
	ioasid_fq_close(&q);
}

/* The eventfd is signalled when the ring goes from empty to non-empty. */
TEST_F(fault, eventfd)
{
	struct fenv *e = &self->e;
	struct ioasid_fault_record r[4];
	struct ioasid_fq q;
	__u64 cnt;
	int efd;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ioasid_fq_open(e->fd, IOASID_FAULT_QUEUE_EVENTFD, 4, efd,
				    &q));
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, nested(_metadata, e, 0, q.id),
				       false));
	EXPECT_EQ(-1, read(efd, &cnt, sizeof(cnt)));
	EXPECT_EQ(EAGAIN, errno);

	inject(_metadata, e, 0, FAULT_IOVA, 1, 1, PERM_R);
	ASSERT_EQ(sizeof(cnt), read(efd, &cnt, sizeof(cnt)));
	EXPECT_LE(1, cnt);
	/* Not empty: no new signal. */
	inject(_metadata, e, 0, FAULT_IOVA, 1, 1, PERM_R);
	EXPECT_EQ(-1, read(efd, &cnt, sizeof(cnt)));
	EXPECT_EQ(EAGAIN, errno);
	/* Emptied through the ring: the next record signals. */
	ASSERT_EQ(2, ioasid_fq_pop(&q, r, 4));
	inject(_metadata, e, 0, FAULT_IOVA, 2, 2, PERM_R);
	ASSERT_EQ(sizeof(cnt), read(efd, &cnt, sizeof(cnt)));
	EXPECT_EQ(1, cnt);
	/* Emptied through read(). */
	ASSERT_EQ(2, ioasid_fq_read(&q, r + 2, 2));
	inject(_metadata, e, 0, FAULT_IOVA, 1, 1, PERM_R);
	ASSERT_EQ(sizeof(cnt), read(efd, &cnt, sizeof(cnt)));
	EXPECT_EQ(1, cnt);
	/* The queue holds its own reference to the eventfd. */
	close(efd);
	ASSERT_EQ(1, ioasid_fq_pop(&q, r + 3, 1));
	inject(_metadata, e, 0, FAULT_IOVA, 1, 1, PERM_R);
	EXPECT_EQ(1, ioasid_fq_pending(&q));
	ioasid_fq_close(&q);
}

struct inject_job {
	struct fenv *e;
	int rc;
};

static void *inject_fn(void *arg)
{
	struct inject_job *j = arg;

	usleep(100000);
	j->rc = ioasid_iopf_inject(j->e->fd, j->e->mock, 0, FAULT_IOVA, 1, 1,
				   PERM_R, NULL);
	return NULL;
}

/* poll(): readable while a record waits; a sleeper is woken by one. */
TEST_F_TIMEOUT(fault, poll, 60)
{
	struct fenv *e = &self->e;
	struct ioasid_fault_record r[2];
	struct inject_job j = { .e = e };
	struct pollfd p;
	struct ioasid_fq q;
	pthread_t th;

	fq_open(_metadata, e, &q, 4);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, paging(_metadata, e, q.id),
				       false));
	p = (struct pollfd) { .fd = q.fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&p, 1, 0));
	inject(_metadata, e, 0, FAULT_IOVA, 1, 1, PERM_R);
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & POLLIN);
	ASSERT_EQ(1, ioasid_fq_pop(&q, r, 2));
	EXPECT_EQ(0, poll(&p, 1, 0));

	/* Sleep in poll() until another thread's request arrives. */
	ASSERT_EQ(0, pthread_create(&th, NULL, inject_fn, &j));
	p.revents = 0;
	EXPECT_EQ(1, poll(&p, 1, WAIT_MS));
	EXPECT_TRUE(p.revents & POLLIN);
	pthread_join(th, NULL);
	EXPECT_EQ(0, j.rc);
	ASSERT_EQ(1, ioasid_fq_read(&q, r + 1, 1));
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, ioasid_fq_write(&q, r[0].cookie, RESP_OK));
	EXPECT_EQ(0, ioasid_fq_write(&q, r[1].cookie, RESP_OK));
	EXPECT_STATS(e, 2, 0, 2, 0, 0);
	ioasid_fq_close(&q);
}

/* 64 queues: the RID and 63 PASIDs, each on a HWPT with its own. */
TEST_F_TIMEOUT(fault, many_queues, 60)
{
	struct fenv *e = &self->e;
	struct ioasid_fault_record r;
	struct ioasid_fq q[NR_PASIDS];
	__u32 h[NR_PASIDS], i;

	for (i = 0; i < NR_PASIDS; i++) {
		fq_open(_metadata, e, &q[i], 2);
		h[i] = i % 2 ? paging(_metadata, e, q[i].id) :
			       nested(_metadata, e, 0, q[i].id);
		ASSERT_EQ(0, attach(e->fd, e->mock, i, h[i], false));
	}
	for (i = 0; i < NR_PASIDS; i++)
		inject(_metadata, e, i, FAULT_IOVA + i * SZ_4K, 1, 1, PERM_R);
	for (i = 0; i < NR_PASIDS; i++) {
		EXPECT_EQ(1, ioasid_fq_pending(&q[i])) TH_LOG("queue %u", i);
		ASSERT_EQ(1, ioasid_fq_pop(&q[i], &r, 1));
		check_req(_metadata, e, &r, h[i], i, FAULT_IOVA + i * SZ_4K,
			  PERM_R);
		EXPECT_EQ(0, ioasid_fq_respond(&q[i], r.cookie, RESP_OK));
	}
	EXPECT_STATS(e, NR_PASIDS, 0, NR_PASIDS, 0, 0);
	/* Half of them detached with a request each outstanding. */
	for (i = 0; i < NR_PASIDS; i++)
		inject(_metadata, e, i, FAULT_IOVA, 1, 1, PERM_R);
	for (i = 0; i < NR_PASIDS; i += 2)
		ASSERT_EQ(0, detach(e->fd, e->mock, i));
	EXPECT_STATS(e, 2 * NR_PASIDS, NR_PASIDS / 2, NR_PASIDS, 0,
		     NR_PASIDS / 2);
	for (i = 0; i < NR_PASIDS; i++) {
		ASSERT_EQ(1, ioasid_fq_pop(&q[i], &r, 1));
		EXPECT_EQ(i % 2 ? 0 : ESRCH,
			  ioasid_fq_respond(&q[i], r.cookie, RESP_INVAL));
		ioasid_fq_close(&q[i]);
	}
	EXPECT_STATS(e, 2 * NR_PASIDS, 0, NR_PASIDS, NR_PASIDS / 2,
		     NR_PASIDS / 2);
}

/* ---- Unrecoverable faults ----------------------------------------------- */

static void check_event(struct __test_metadata *_metadata, struct fenv *e,
			const struct ioasid_fault_record *r, __u32 hwpt,
			__u32 pasid, __u64 addr, __u32 perm)
{
	EXPECT_EQ(IOASID_FAULT_EVENT, r->type) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(e->dev, r->dev_id) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(hwpt, r->hwpt_id) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(addr, r->addr) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(perm, r->perm & (PERM_R | PERM_W)) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(0, r->cookie) TH_LOG(REC_LOG(*r));
	EXPECT_EQ(0, r->flags & LAST) TH_LOG(REC_LOG(*r));
	/*
	 * report_iommu_fault() does not say which PASID: a record that
	 * names one must name the right one.
	 */
	EXPECT_EQ(r->flags & PASID_VALID ? pasid : 0, r->pasid)
		TH_LOG(REC_LOG(*r));
}

/*
 * A device without page requests: a DMA that stage 1 refuses is reported
 * as an event to the HWPT's queue; none is answered; past the ring, they
 * are counted as lost.
 */
TEST_F(event, unrecoverable)
{
	struct fenv *e = &self->e;
	struct ioasid_test_iopf_stats st;
	struct ioasid_fault_record r[8];
	struct ioasid_test_mock_dma d;
	__u64 ro = FAULT_IOVA + 0x100000, lost;
	struct ioasid_fq q;
	__u32 h, hp, i, n;
	__u8 buf[16];

	fq_open(_metadata, e, &q, 8);
	h = nested(_metadata, e, 0, q.id);
	hp = paging(_metadata, e, q.id);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, false));
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 9, hp, false, NULL));
	ASSERT_EQ(0, vtd_pt_map(&e->pt[0], ro, data_page(e), SZ_4K,
				VTD_PTE_US));

	/* Without the fault flags, the DMA fails and nothing is reported. */
	EXPECT_EQ(ENXIO, dma_now(e, 0, 0, FAULT_IOVA, buf, 8, &d));
	EXPECT_EQ(0, ioasid_fq_pending(&q));
	st = stats(_metadata, e);
	EXPECT_EQ(0, st.out_events);

	/* Not present, by stage 1 of the nested HWPT. */
	EXPECT_EQ(ENXIO, dma_now(e, IOASID_TEST_MOCK_DMA_FAULT_NOWAIT, 0,
				 FAULT_IOVA + 0x2010, buf, 8, &d))
		TH_LOG(DMA_LOG(d));
	EXPECT_EQ(0, d.out_page_requests);
	ASSERT_EQ(1, ioasid_fq_pop(&q, r, 8));
	check_event(_metadata, e, &r[0], h, 0, FAULT_IOVA + 0x2010, PERM_R);
	/* A write to a read-only page. */
	EXPECT_EQ(EACCES, dma_now(e, IOASID_TEST_MOCK_DMA_FAULT_WAIT |
				  IOASID_TEST_MOCK_DMA_WRITE, 0, ro + 8, buf, 8,
				  &d)) TH_LOG(DMA_LOG(d));
	ASSERT_EQ(1, ioasid_fq_pop(&q, r, 8));
	check_event(_metadata, e, &r[0], h, 0, ro + 8, PERM_W);
	/* A paging HWPT on a PASID. */
	EXPECT_EQ(ENXIO, dma_now(e, IOASID_TEST_MOCK_DMA_FAULT_NOWAIT, 9,
				 FAULT_IOVA, buf, 8, &d)) TH_LOG(DMA_LOG(d));
	ASSERT_EQ(1, ioasid_fq_pop(&q, r, 8));
	check_event(_metadata, e, &r[0], hp, 9, FAULT_IOVA, PERM_R);
	/* Events are not answered. */
	EXPECT_EQ(ESRCH, ioasid_fq_write(&q, r[0].cookie, RESP_OK));
	st = stats(_metadata, e);
	EXPECT_EQ(3, st.out_events);
	EXPECT_EQ(0, st.out_raised);
	EXPECT_EQ(0, q.ring->lost_events);

	/* More than the ring holds: the rest is lost, and counted. */
	for (i = 0; i < 40; i++)
		EXPECT_EQ(ENXIO, dma_now(e, IOASID_TEST_MOCK_DMA_FAULT_NOWAIT,
					 0, FAULT_IOVA + i * SZ_4K, buf, 8,
					 &d));
	n = ioasid_fq_pop(&q, r, 8);
	EXPECT_GE(8, n);
	lost = q.ring->lost_events;
	EXPECT_LE(32, lost);
	EXPECT_EQ(40, n + lost);
	for (i = 0; i < n; i++)
		EXPECT_EQ(IOASID_FAULT_EVENT, r[i].type);
	st = stats(_metadata, e);
	EXPECT_EQ(43, st.out_events);
	EXPECT_EQ(0, q.ring->overflow);
	ioasid_fq_close(&q);
}

/*
 * A burst of unrecoverable faults into a ring with room for all of them:
 * the rate limit lets the first ones through (a burst of 64) and counts
 * the rest as lost; nothing is both, nothing is neither.
 */
TEST_F(event, rate_limit)
{
	struct fenv *e = &self->e;
	struct ioasid_test_iopf_stats st;
	struct ioasid_test_mock_dma d;
	struct ioasid_fault_record *r;
	__u32 h, i, n, nr = 256, burst = 200;
	struct ioasid_fq q;
	__u8 buf[8];

	r = calloc(nr, sizeof(*r));
	ASSERT_NE(NULL, r);
	fq_open(_metadata, e, &q, nr);
	h = nested(_metadata, e, 0, q.id);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h, false));
	for (i = 0; i < burst; i++)
		ASSERT_EQ(ENXIO, dma_now(e, IOASID_TEST_MOCK_DMA_FAULT_NOWAIT,
					 0, FAULT_IOVA + i * SZ_4K, buf, 8,
					 &d));
	n = ioasid_fq_pop(&q, r, nr);
	TH_LOG("%u events recorded, %llu lost", n,
	       (unsigned long long)q.ring->lost_events);
	EXPECT_LE(64, n);
	EXPECT_EQ(burst, n + q.ring->lost_events);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(IOASID_FAULT_EVENT, r[i].type);
		EXPECT_EQ(h, r[i].hwpt_id);
	}
	/* In order: each a page further than one before it. */
	for (i = 1; i < n; i++)
		EXPECT_LT(r[i - 1].addr, r[i].addr);
	st = stats(_metadata, e);
	EXPECT_EQ(burst, st.out_events);
	EXPECT_EQ(0, q.ring->overflow);
	ioasid_fq_close(&q);
	free(r);
}

/* ---- At scale, against a model ------------------------------------------ */

/**
 * struct model - What the device must have seen
 * @raised: Groups raised
 * @success: Groups answered SUCCESS
 * @invalid: Groups answered INVALID
 * @failure: Groups answered FAILURE (overflow included)
 * @overflow: Groups that found the ring full
 */
struct model {
	__u32 raised, success, invalid, failure;
	__u64 overflow;
};

/*
 * Thousands of page requests in random groups, from the RID and a PASID
 * on two HWPTs sharing one queue, consumed by the ring or read(), answered
 * with random codes in batches or one by one, sometimes too many for the
 * ring: every record is checked, and the device's counters against the
 * model.  IOASID_FAULT_SEED replays a run.
 */
TEST_F_TIMEOUT(fault, scale_model, 120)
{
	struct fenv *e = &self->e;
	__u64 seed = ioasid_env_seed("IOASID_FAULT_SEED"), rng;
	struct ioasid_fault_record *r;
	struct ioasid_test_iopf_inject out;
	struct model m = {};
	/* A ring small enough for the bursts to overflow it now and then. */
	__u32 h[2], total = 0, nr = 64;
	struct ioasid_fq q;

	TH_LOG("seed 0x%llx", (unsigned long long)seed);
	rng = ioasid_rng_seed(seed, 0);
	r = calloc(nr, sizeof(*r));
	ASSERT_NE(NULL, r);
	fq_open(_metadata, e, &q, nr);
	h[0] = nested(_metadata, e, 0, q.id);
	h[1] = paging(_metadata, e, q.id);
	ASSERT_EQ(0, ioasid_rid_attach(e->fd, e->mock, h[0], false));
	ASSERT_EQ(0, ioasid_pasid_attach(e->fd, e->mock, 11, h[1], false,
					 NULL));

	while (total < 6000) {
		__u32 count = 1 + ioasid_rng_below(&rng, 64);
		/* Small groups mostly, up to one group of all of them. */
		__u32 gsz = 1 + ioasid_rng_below(&rng,
				ioasid_rng_below(&rng, 2) && count > 4 ?
				4 : count);
		__u32 side = ioasid_rng_below(&rng, 2), pasid = side ? 11 : 0;
		/* Read, write or both; execute and privileged with a PASID. */
		__u32 perm = 1 + ioasid_rng_below(&rng, 3);
		__u64 addr = FAULT_IOVA + ioasid_rng_below(&rng, 1 << 20) *
			     SZ_4K;
		__u32 free_recs = nr - ioasid_fq_pending(&q);
		__u32 delivered = 0, groups = 0, over = 0, i, k, got, tail;
		__u32 cookie = 0, code;

		if (pasid && (perm & PERM_R) && ioasid_rng_below(&rng, 2))
			perm |= PERM_X;
		if (pasid && ioasid_rng_below(&rng, 2))
			perm |= PERM_P;
		/* The model: whole groups, in order, while they fit. */
		for (i = 0; i < count; i += gsz) {
			__u32 g = count - i < gsz ? count - i : gsz;

			groups++;
			if (g <= free_recs) {
				free_recs -= g;
				delivered += g;
			} else {
				over++;
			}
		}
		ASSERT_EQ(0, ioasid_iopf_inject(e->fd, e->mock, pasid, addr,
						count, gsz, perm, &out));
		m.raised += groups;
		m.overflow += over;
		m.failure += over;
		total += count;
		EXPECT_EQ(over, out.out_answered);
		ASSERT_EQ(m.overflow, q.ring->overflow)
			TH_LOG("seed 0x%llx", (unsigned long long)seed);

		/* Sometimes leave the records for later. */
		if (ioasid_rng_below(&rng, 4) == 0)
			continue;
		if (ioasid_rng_below(&rng, 2)) {
			got = ioasid_fq_pop(&q, r, nr);
		} else {
			int rd = ioasid_fq_read(&q, r, nr);

			ASSERT_LE(0, rd);
			got = rd;
		}
		ASSERT_EQ(got, nr - free_recs);
		tail = q.ring->resp_tail;
		for (k = 0; k < got; k++) {
			EXPECT_EQ(IOASID_FAULT_PAGE_REQ, r[k].type);
			EXPECT_EQ(e->dev, r[k].dev_id);
			EXPECT_EQ(0, r[k].addr & (SZ_4K - 1));
			if (r[k].flags & PASID_VALID) {
				EXPECT_EQ(11, r[k].pasid);
				EXPECT_EQ(h[1], r[k].hwpt_id);
			} else {
				EXPECT_EQ(h[0], r[k].hwpt_id);
			}
			if (k && !(r[k - 1].flags & LAST)) {
				EXPECT_EQ(cookie, r[k].cookie);
				EXPECT_EQ(r[k - 1].grpid, r[k].grpid);
				EXPECT_EQ(r[k - 1].addr + SZ_4K, r[k].addr);
				EXPECT_EQ(r[k - 1].perm, r[k].perm);
			}
			cookie = r[k].cookie;
			if (!(r[k].flags & LAST))
				continue;
			code = ioasid_rng_below(&rng, 3);
			if (code == RESP_OK)
				m.success++;
			else if (code == RESP_INVAL)
				m.invalid++;
			else
				m.failure++;
			if (ioasid_rng_below(&rng, 8) == 0) {
				EXPECT_EQ(0, ioasid_fq_write(&q, cookie,
							     code));
				continue;
			}
			ASSERT_TRUE(ioasid_fq_push(&q, &tail, cookie, code));
			if (tail - ioasid_load_acquire(&q.ring->resp_head) ==
			    nr)
				EXPECT_EQ(0, ioasid_fq_commit(&q, tail, NULL));
		}
		ASSERT_TRUE(!got || (r[got - 1].flags & LAST));
		EXPECT_EQ(0, ioasid_fq_commit(&q, tail, NULL));
		/* Now and then, a bogus answer: it changes nothing. */
		if (got && ioasid_rng_below(&rng, 8) == 0)
			EXPECT_EQ(ESRCH, ioasid_fq_write(&q, cookie, RESP_OK));
		if (_metadata->exit_code)
			break;
	}
	/* Drain. */
	while (ioasid_fq_pending(&q)) {
		__u32 got = ioasid_fq_pop(&q, r, nr), k;

		for (k = 0; k < got; k++) {
			if (!(r[k].flags & LAST))
				continue;
			EXPECT_EQ(0, ioasid_fq_write(&q, r[k].cookie, RESP_OK));
			m.success++;
		}
	}
	EXPECT_STATS(e, m.raised, 0, m.success, m.invalid, m.failure);
	EXPECT_EQ(m.overflow, q.ring->overflow);
	TH_LOG("%u requests, %u groups, %llu overflowed", total, m.raised,
	       (unsigned long long)m.overflow);
	ioasid_fq_close(&q);
	free(r);
}

TEST_HARNESS_MAIN
