// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid concurrency stress: several threads race ioctls on one file.
 *
 * Each scenario runs for a bounded time (IOASID_STRESS_SECONDS, default
 * 20) with IOASID_STRESS_THREADS threads (default 4) from a seed printed
 * as a TAP comment and replayed with IOASID_STRESS_SEED.  The threads'
 * choices follow the seed; the interleaving does not.
 * IOASID_STRESS_ONLY=a,b runs only the named scenarios (like -t).
 *
 * Errors are expected where the calls race: each call checks only that its
 * errno is one that the documentation allows for that ioctl and that can
 * arise from the race, and that a success returns possible values.  At the
 * end of each scenario everything is closed and nothing may stay pinned;
 * the debug kernel (KASAN, lockdep, panic_on_warn) judges the rest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/ioasid.h>

#include "../kselftest_harness.h"
#include "ioasid_util.h"
#include "ioasid_vdpa.h"
#include "../../../../drivers/iommu/ioasid/ioasid_test.h"

#define SZ_4K	0x1000ULL
#define SZ_64K	0x10000ULL
#define SZ_1M	0x100000ULL

#define MAX_THREADS	8
/* The harness kills a scenario after this; the run time is capped below. */
#define SCENARIO_TIMEOUT	300
#define MAX_SECONDS		(SCENARIO_TIMEOUT - 60)
/* Print at most this many unexpected results per scenario. */
#define MAX_REPORTS		20

static int open_ioasid(void)
{
	return open("/dev/ioasid", O_RDWR | O_CLOEXEC);
}

static bool have_test_driver(int fd)
{
	struct ioasid_info info = { .size = sizeof(info) };

	if (ioctl(fd, IOASID_GET_INFO, &info))
		return false;
	return info.features & IOASID_FEATURE_TEST;
}

static bool have_feature_pasid(int fd)
{
	struct ioasid_info info = { .size = sizeof(info) };

	if (ioctl(fd, IOASID_GET_INFO, &info))
		return false;
	return info.features & IOASID_FEATURE_PASID;
}

/* ---- The run: time, seed, threads and the errno checks ----------------- */

struct stress;
typedef void (*stress_fn)(struct stress *s, int tid, __u64 *rng);

struct stress {
	const char *name;
	/* The shared file; the close scenario swaps it under the threads. */
	int fd;
	volatile int stop;
	/* Set while the file may be closed or replaced under the threads. */
	volatile int fd_unstable;
	__u64 seed;
	__u64 deadline;
	int nthreads;
	stress_fn fn[MAX_THREADS];
	unsigned long ops;
	unsigned long failed_ops;
	unsigned long unexpected;
	unsigned long reports;
	/* Failures by errno, to show what the races mostly ran into. */
	unsigned long by_errno[256];

	/* Memory the scenarios map. */
	void *buf;
	size_t buf_len;

	/* Object ids, read and written by all threads. */
	__u32 ioas[2];
	__u32 mock[8];
	__u32 dev[8];
	__u32 hwpt[16];
	__u64 user_hwpt[16];	/* tagged slots: see tslot_fill() */
	__u32 domain[4];
	__u32 access[4];
	__u32 pasids[8];	/* global PASIDs */
	int nmock;
	__u32 max_id;

	/*
	 * Nesting: parents and nested HWPTs, of the VT-d [0] and SMMUv3 [1];
	 * the threads use slots 0-7, the end slot 8.
	 */
	__u64 parent[2][9];
	__u64 nested[2][9];
	/* Objects made but never put in a slot, that could not be destroyed. */
	unsigned long lost;
	/*
	 * Held across a bind or unbind and the update of dev[] and bound[],
	 * so that under it dev[i] names mock i's device while bound[i].
	 */
	pthread_mutex_t bind_lock;
	bool bound[8];
	/* What the nested scenario made by id: 'p'arent, 'n'ested, or 0. */
	unsigned char made[4096];
	/* Destroys the nested scenario began and ended, of any id. */
	unsigned long destroys_begun;
	unsigned long destroys_ended;
};

static __u32 id_get(__u32 *slot)
{
	return __atomic_load_n(slot, __ATOMIC_RELAXED);
}

/* Keep the highest id seen, for the destroys of ids near those in use. */
static void id_seen(struct stress *s, __u32 id)
{
	__u32 max = __atomic_load_n(&s->max_id, __ATOMIC_RELAXED);

	while (id > max &&
	       !__atomic_compare_exchange_n(&s->max_id, &max, id, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void id_set(struct stress *s, __u32 *slot, __u32 id)
{
	__atomic_store_n(slot, id, __ATOMIC_RELAXED);
	id_seen(s, id);
}

/*
 * A slot that owns an object: its id in the low half, a tag in the high
 * half.  A thread that read a slot and then failed to destroy its id
 * (ENOENT: destroyed already) clears the slot only if it still holds what
 * it read: were the id reused by a new object put in the same slot in
 * between, the tag differs, and the new object stays in its slot.
 */
static __u64 tslot_tag;

static __u64 tslot_get(const __u64 *slot)
{
	return __atomic_load_n(slot, __ATOMIC_RELAXED);
}

static __u32 tslot_id(const __u64 *slot)
{
	return (__u32)tslot_get(slot);
}

static void id_seen(struct stress *s, __u32 id);

/* Put @id in @slot if it is empty; false if it is not. */
static bool tslot_fill(struct stress *s, __u64 *slot, __u32 id)
{
	__u64 old = 0;
	__u64 v = __atomic_add_fetch(&tslot_tag, 1, __ATOMIC_RELAXED) << 32 |
		  id;

	if (!__atomic_compare_exchange_n(slot, &old, v, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return false;
	id_seen(s, id);
	return true;
}

/* Empty @slot if it still holds @v, as read before. */
static void tslot_clear(__u64 *slot, __u64 v)
{
	__atomic_compare_exchange_n(slot, &v, 0, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

/*
 * Replace @old in @slot by @id; false if another thread changed it.  The
 * slot is not written again after the exchange: another thread may have
 * emptied and refilled it meanwhile.
 */
static bool id_replace(struct stress *s, __u32 *slot, __u32 old, __u32 id)
{
	if (!__atomic_compare_exchange_n(slot, &old, id, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return false;
	id_seen(s, id);
	return true;
}

static bool stress_running(struct stress *s)
{
	return !s->stop && ioasid_now_ns() < s->deadline;
}

static void stress_report(struct stress *s, const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned long n;
	va_list ap;

	__atomic_fetch_add(&s->unexpected, 1, __ATOMIC_RELAXED);
	n = __atomic_fetch_add(&s->reports, 1, __ATOMIC_RELAXED);
	if (n >= MAX_REPORTS)
		return;
	pthread_mutex_lock(&lock);
	fprintf(stderr, "# %s: ", s->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&lock);
}

/*
 * Check the result of one call: 0 or an errno of @errs.  While the file
 * may be closed or replaced (the close scenario), EBADF is allowed too.
 */
static bool stress_check(struct stress *s, const char *op, int rc,
			 const int *errs)
{
	__atomic_fetch_add(&s->ops, 1, __ATOMIC_RELAXED);
	if (!rc)
		return true;
	__atomic_fetch_add(&s->failed_ops, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->by_errno[rc & 255], 1, __ATOMIC_RELAXED);
	if (ioasid_errno_in(rc, errs))
		return false;
	/* A closed file, or one replaced by /dev/null. */
	if (s->fd_unstable && (rc == EBADF || rc == ENOTTY))
		return false;
	stress_report(s, "%s: unexpected errno %d (%s)", op, rc, strerror(rc));
	return false;
}

/* Which errnos each call may see in these races (all documented). */
/* EPERM: ids of bound devices and in-kernel accesses. */
static const int errs_destroy[] = { ENOENT, EBUSY, EPERM, 0 };
static const int errs_enoent[] = { ENOENT, 0 };
static const int errs_bind[] = { ENOENT, EBUSY, 0 };
static const int errs_attach[] = { ENOENT, EBUSY, EINVAL, EADDRINUSE, 0 };
static const int errs_hwpt_alloc[] = { ENOENT, EADDRINUSE, 0 };
static const int errs_map[] = { ENOENT, EEXIST, ENOSPC, EADDRINUSE, 0 };
static const int errs_copy[] = { ENOENT, EEXIST, ENOSPC, EADDRINUSE,
				 EINVAL, 0 };
static const int errs_unmap[] = { ENOENT, EBUSY, EINVAL, 0 };
static const int errs_ioas_attach[] = { ENOENT, EBUSY, EADDRINUSE, 0 };
static const int errs_ranges[] = { ENOENT, EMSGSIZE, 0 };
static const int errs_pin[] = { ENOENT, 0 };
static const int errs_replace[] = { ENOENT, EBUSY, 0 };
static const int errs_none[] = { 0 };

static void *stress_thread(void *arg);

struct stress_arg {
	struct stress *s;
	int tid;
};

static unsigned int stress_seconds(void)
{
	unsigned long long sec = ioasid_env_ull("IOASID_STRESS_SECONDS", 20);

	if (!sec)
		sec = 1;
	return sec > MAX_SECONDS ? MAX_SECONDS : sec;
}

static __u64 base_seed(void)
{
	static __u64 seed;

	if (!seed)
		seed = ioasid_env_seed("IOASID_STRESS_SEED");
	return seed;
}

static void stress_init(struct __test_metadata *_metadata, struct stress *s,
			const char *name)
{
	__u64 h = 0;
	const char *p;

	/* Each scenario gets streams of its own from the one seed. */
	for (p = name; *p; p++)
		h = h * 31 + *p;
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->seed = base_seed() ^ (h << 1);
	s->nthreads = ioasid_env_ull("IOASID_STRESS_THREADS", 4);
	if (s->nthreads < 2)
		s->nthreads = 2;
	if (s->nthreads > MAX_THREADS)
		s->nthreads = MAX_THREADS;
	s->buf_len = 2 * SZ_1M;
	s->buf = mmap(NULL, s->buf_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s->buf);
	memset(s->buf, 0x5a, s->buf_len);
	TH_LOG("%s: seed 0x%llx (replay with IOASID_STRESS_SEED=0x%llx), %u s, %d threads",
	       name, (unsigned long long)base_seed(),
	       (unsigned long long)base_seed(), stress_seconds(),
	       s->nthreads);
}

/* Run the threads until the deadline; thread i runs fn[i % nfn]. */
static void stress_run(struct __test_metadata *_metadata, struct stress *s,
		       unsigned int seconds)
{
	struct stress_arg args[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	int i;

	s->stop = 0;
	s->deadline = ioasid_now_ns() + seconds * 1000000000ULL;
	for (i = 0; i < s->nthreads; i++) {
		args[i].s = s;
		args[i].tid = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, stress_thread,
					    &args[i]));
	}
	for (i = 0; i < s->nthreads; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
}

static void *stress_thread(void *arg)
{
	struct stress_arg *a = arg;
	struct stress *s = a->s;
	__u64 rng = ioasid_rng_seed(s->seed, a->tid);
	stress_fn fn;
	int nfn;

	for (nfn = 0; nfn < MAX_THREADS && s->fn[nfn]; nfn++)
		;
	fn = s->fn[a->tid % nfn];
	while (stress_running(s))
		fn(s, a->tid, &rng);
	return NULL;
}

static void stress_summary(struct __test_metadata *_metadata,
			   struct stress *s)
{
	char line[256] = "";
	int e, n = 0;

	TH_LOG("%s: %lu calls, %lu failed as allowed by the races, %lu unexpected",
	       s->name, s->ops, s->failed_ops - s->unexpected, s->unexpected);
	for (e = 1; e < 256 && n < (int)sizeof(line) - 32; e++)
		if (s->by_errno[e])
			n += snprintf(line + n, sizeof(line) - n, " %s:%lu",
				      strerrorname_np(e) ?: "?",
				      s->by_errno[e]);
	TH_LOG("%s: failures by errno:%s", s->name, line);
	EXPECT_EQ(0, s->unexpected);
}

/* ---- ioctl wrappers (fd passed explicitly: it may be swapped) ---------- */

static int destroy(int fd, __u32 id)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl_err(fd, IOASID_DESTROY, &cmd);
}

static int ioas_alloc(int fd, __u32 *id)
{
	struct ioasid_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &cmd);

	*id = rc ? 0 : cmd.out_ioas_id;
	return rc;
}

static int ioas_map(int fd, __u32 ioas, void *va, __u64 len, __u64 *iova,
		    bool fixed)
{
	struct ioasid_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE |
			 (fixed ? IOASID_IOAS_MAP_FIXED_IOVA : 0),
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = fixed ? *iova : 0,
	};
	int rc = ioctl_err(fd, IOASID_IOAS_MAP, &cmd);

	*iova = rc ? 0 : cmd.iova;
	return rc;
}

static int ioas_unmap(int fd, __u32 ioas, __u64 iova, __u64 len,
		      __u64 *unmapped)
{
	struct ioasid_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.flags = len ? 0 : IOASID_IOAS_UNMAP_ALL,
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int rc = ioctl_err(fd, IOASID_IOAS_UNMAP, &cmd);

	if (!rc && unmapped)
		*unmapped = cmd.out_unmapped;
	return rc;
}

static int ioas_copy(int fd, __u32 dst, __u32 src, __u64 src_iova,
		     __u64 len, __u64 *dst_iova, bool fixed)
{
	struct ioasid_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE |
			 (fixed ? IOASID_IOAS_MAP_FIXED_IOVA : 0),
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.src_iova = src_iova,
		.length = len,
		.dst_iova = fixed ? *dst_iova : 0,
	};
	int rc = ioctl_err(fd, IOASID_IOAS_COPY, &cmd);

	*dst_iova = rc ? 0 : cmd.dst_iova;
	return rc;
}

static int iova_ranges(int fd, __u32 ioas, __u32 *num)
{
	struct ioasid_iova_range ranges[8];
	struct ioasid_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_ranges = *num,
		.ranges = (uintptr_t)ranges,
	};
	int rc = ioctl_err(fd, IOASID_IOAS_IOVA_RANGES, &cmd);

	*num = cmd.num_ranges;
	return rc;
}

static int mock_dev_add(int fd, __u32 flags, __u32 group_dev, __u32 *id)
{
	struct ioasid_test_mock_dev_add cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.group_dev_id = group_dev,
	};
	int rc = ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &cmd);

	*id = rc ? 0 : cmd.out_dev_id;
	return rc;
}

static int mock_domain_alloc(int fd, __u32 mock, __u32 *id)
{
	struct ioasid_test_mock_domain_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = mock,
	};
	int rc = ioctl_err(fd, IOASID_TEST_MOCK_DOMAIN_ALLOC, &cmd);

	*id = rc ? 0 : cmd.out_domain_id;
	return rc;
}

static int domain_info(int fd, __u32 domain,
		       struct ioasid_test_domain_info *info)
{
	*info = (struct ioasid_test_domain_info) {
		.size = sizeof(*info),
		.domain_id = domain,
	};
	return ioctl_err(fd, IOASID_TEST_DOMAIN_INFO, info);
}

static int iopte_get(int fd, __u32 domain, __u64 iova)
{
	struct ioasid_test_iopte_get cmd = {
		.size = sizeof(cmd),
		.domain_id = domain,
		.iova = iova,
	};

	return ioctl_err(fd, IOASID_TEST_IOPTE_GET, &cmd);
}

static int ioas_attach_domain(int fd, __u32 domain, __u32 ioas)
{
	struct ioasid_test_ioas_attach cmd = {
		.size = sizeof(cmd),
		.domain_id = domain,
		.ioas_id = ioas,
	};

	return ioctl_err(fd, IOASID_TEST_IOAS_ATTACH, &cmd);
}

static int ioas_detach_domain(int fd, __u32 domain)
{
	struct ioasid_test_ioas_detach cmd = {
		.size = sizeof(cmd),
		.domain_id = domain,
	};

	return ioctl_err(fd, IOASID_TEST_IOAS_DETACH, &cmd);
}

static int access_create(int fd, __u32 ioas, __u32 flags, __u32 *id)
{
	struct ioasid_test_access_create cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
	};
	int rc = ioctl_err(fd, IOASID_TEST_ACCESS_CREATE, &cmd);

	*id = rc ? 0 : cmd.out_access_id;
	return rc;
}

static int access_pin(int fd, __u32 access, __u64 iova, __u64 len,
		      void *data, bool write, __u32 *pin)
{
	struct ioasid_test_access_pin cmd = {
		.size = sizeof(cmd),
		.flags = write ? IOASID_TEST_ACCESS_RW_WRITE : 0,
		.access_id = access,
		.iova = iova,
		.length = len,
		.data = (uintptr_t)data,
	};
	int rc = ioctl_err(fd, IOASID_TEST_ACCESS_PIN, &cmd);

	*pin = rc ? 0 : cmd.out_pin_id;
	return rc;
}

static int access_unpin(int fd, __u32 access, __u32 pin)
{
	struct ioasid_test_access_unpin cmd = {
		.size = sizeof(cmd),
		.access_id = access,
		.pin_id = pin,
	};

	return ioctl_err(fd, IOASID_TEST_ACCESS_UNPIN, &cmd);
}

static int access_rw(int fd, __u32 access, __u64 iova, void *data,
		     __u64 len, bool write)
{
	struct ioasid_test_access_rw cmd = {
		.size = sizeof(cmd),
		.flags = write ? IOASID_TEST_ACCESS_RW_WRITE : 0,
		.access_id = access,
		.iova = iova,
		.length = len,
		.data = (uintptr_t)data,
	};

	return ioctl_err(fd, IOASID_TEST_ACCESS_RW, &cmd);
}

static int access_info(int fd, __u32 access, __u32 *nr_pins)
{
	struct ioasid_test_access_info cmd = {
		.size = sizeof(cmd),
		.access_id = access,
	};
	int rc = ioctl_err(fd, IOASID_TEST_ACCESS_INFO, &cmd);

	*nr_pins = rc ? 0 : cmd.out_nr_pins;
	return rc;
}

static int device_attach(int fd, __u32 mock, __u32 pt, bool replace,
			 __u32 *hwpt)
{
	struct ioasid_test_device_attach cmd = {
		.size = sizeof(cmd),
		.flags = replace ? IOASID_TEST_DEVICE_ATTACH_REPLACE : 0,
		.dev_id = mock,
		.pt_id = pt,
	};
	int rc = ioctl_err(fd, IOASID_TEST_DEVICE_ATTACH, &cmd);

	*hwpt = rc ? 0 : cmd.pt_id;
	return rc;
}

static int device_detach(int fd, __u32 mock)
{
	struct ioasid_test_device_detach cmd = {
		.size = sizeof(cmd),
		.dev_id = mock,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_DETACH, &cmd);
}

static int device_domain(int fd, __u32 mock, __u64 *serial)
{
	struct ioasid_test_device_domain cmd = {
		.size = sizeof(cmd),
		.dev_id = mock,
	};
	int rc = ioctl_err(fd, IOASID_TEST_DEVICE_DOMAIN, &cmd);

	if (!rc && serial)
		*serial = cmd.out_serial;
	return rc;
}

static int hw_info(int fd, __u32 dev)
{
	struct ioasid_test_hw_info data;
	struct ioasid_device_get_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};

	return ioctl_err(fd, IOASID_DEVICE_GET_HW_INFO, &cmd);
}

static int hwpt_alloc(int fd, __u32 dev, __u32 ioas, __u32 *hwpt)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev,
		.pt_id = ioas,
	};
	int rc = ioctl_err(fd, IOASID_HWPT_ALLOC, &cmd);

	*hwpt = rc ? 0 : cmd.out_hwpt_id;
	return rc;
}

/* ---- Checked operations shared by the scenarios ------------------------ */

#define CHECK(s, op, rc, errs) stress_check(s, op, rc, errs)

/* A success must name a real object: ids are never 0. */
static void check_id(struct stress *s, const char *op, __u32 id)
{
	if (!id)
		stress_report(s, "%s: succeeded with id 0", op);
}

static void check_iova(struct stress *s, const char *op, __u64 iova,
		       __u64 len)
{
	if (iova % SZ_4K || iova + len < iova)
		stress_report(s, "%s: impossible IOVA 0x%llx length 0x%llx",
			      op, (unsigned long long)iova,
			      (unsigned long long)len);
}

/* Base of the fixed IOVAs: far from the MSI window of the mock devices. */
#define IOVA_BASE	0x10000000ULL
#define NR_SLOTS	32
#define SLOT_LEN	SZ_64K

static __u64 slot_iova(int slot)
{
	return IOVA_BASE + slot * SLOT_LEN;
}

static void *slot_va(struct stress *s, int slot)
{
	return (char *)s->buf + (slot * SLOT_LEN) % s->buf_len;
}

/* Map slot @k of @ioas at its fixed IOVA. */
static void op_map_slot(struct stress *s, int fd, __u32 ioas, int k)
{
	__u64 iova = slot_iova(k);
	int rc;

	rc = ioas_map(fd, ioas, slot_va(s, k), SLOT_LEN, &iova, true);
	if (CHECK(s, "IOAS_MAP fixed", rc, errs_map) && iova != slot_iova(k))
		stress_report(s, "IOAS_MAP fixed: moved to 0x%llx",
			      (unsigned long long)iova);
}

/* Map at a kernel-chosen IOVA and unmap it again. */
static void op_map_auto(struct stress *s, int fd, __u32 ioas, __u64 *rng)
{
	__u64 iova = 0, unmapped = 0;
	int k = ioasid_rng_below(rng, NR_SLOTS);
	int rc;

	rc = ioas_map(fd, ioas, slot_va(s, k), SLOT_LEN, &iova, false);
	if (!CHECK(s, "IOAS_MAP", rc, errs_map))
		return;
	check_iova(s, "IOAS_MAP", iova, SLOT_LEN);
	rc = ioas_unmap(fd, ioas, iova, SLOT_LEN, &unmapped);
	/* Another thread's unmap of a range may have taken it already. */
	if (CHECK(s, "IOAS_UNMAP", rc, errs_unmap) &&
	    (!unmapped || unmapped % SZ_4K))
		stress_report(s, "IOAS_UNMAP: unmapped 0x%llx",
			      (unsigned long long)unmapped);
}

/* Unmap @n slots from @k, or everything for n == 0. */
static void op_unmap_slots(struct stress *s, int fd, __u32 ioas, int k, int n)
{
	__u64 unmapped = 0;
	int rc;

	rc = ioas_unmap(fd, ioas, n ? slot_iova(k) : 0, n * SLOT_LEN,
			&unmapped);
	if (CHECK(s, "IOAS_UNMAP", rc, errs_unmap) &&
	    (unmapped % SZ_4K || (n && !unmapped) ||
	     (n && unmapped > n * SLOT_LEN)))
		stress_report(s, "IOAS_UNMAP of %d slots: unmapped 0x%llx", n,
			      (unsigned long long)unmapped);
}

static void op_destroy(struct stress *s, int fd, __u32 id)
{
	CHECK(s, "IOASID_DESTROY", destroy(fd, id), errs_destroy);
}

/* Destroy an id near the ones in use: any kind of object, or none. */
static void op_destroy_random(struct stress *s, int fd, __u64 *rng)
{
	__u32 max = __atomic_load_n(&s->max_id, __ATOMIC_RELAXED);

	op_destroy(s, fd, 1 + ioasid_rng_below(rng, max + 4));
}

static void op_ranges(struct stress *s, int fd, __u32 ioas, __u64 *rng)
{
	__u32 num = ioasid_rng_below(rng, 3);

	CHECK(s, "IOAS_IOVA_RANGES", iova_ranges(fd, ioas, &num), errs_ranges);
}

/* ---- Scenario 1: unbind racing IOASID_DESTROY of the device id --------- */

#define S1_MOCKS	4

/* Flags of mock i: 0 and 1 alone, 2 in the group of 0, 3 elsewhere. */
static int s1_mock_add(struct stress *s, int fd, int i, __u32 *id)
{
	__u32 flags = 0, group = 0;
	int rc;

	if (i == 2) {
		flags = IOASID_TEST_MOCK_DEV_GROUP;
		group = id_get(&s->mock[0]);
	} else if (i == 3) {
		flags = IOASID_TEST_MOCK_DEV_OTHER_IOMMU;
	}
	rc = mock_dev_add(fd, flags, group, id);
	/*
	 * The group's first device may be gone (ENOENT), or its id reused
	 * by the device behind the other IOMMU (EINVAL): then a group of
	 * its own.
	 */
	if ((rc == ENOENT || rc == EINVAL) && i == 2)
		rc = mock_dev_add(fd, 0, 0, id);
	return rc;
}

/* Replace a mock device that a random destroy removed. */
static void s1_mock_revive(struct stress *s, int i)
{
	__u32 old = id_get(&s->mock[i]), id;
	int rc;

	rc = s1_mock_add(s, s->fd, i, &id);
	if (!CHECK(s, "TEST_MOCK_DEV_ADD", rc, errs_enoent))
		return;
	if (!id_replace(s, &s->mock[i], old, id))
		destroy(s->fd, id);
}

static void s1_ioas_revive(struct stress *s, __u32 old)
{
	__u32 id;

	if (!CHECK(s, "IOAS_ALLOC", ioas_alloc(s->fd, &id), errs_none))
		return;
	if (!id_replace(s, &s->ioas[0], old, id))
		destroy(s->fd, id);
}

static void s1_binder(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S1_MOCKS);
	__u32 mock = id_get(&s->mock[i]), ioas = id_get(&s->ioas[0]);
	__u32 dev, hwpt;
	int rc;

	switch (ioasid_rng_below(rng, 6)) {
	case 0:
	case 1:
		rc = ioasid_device_bind(s->fd, mock, &dev);
		if (CHECK(s, "TEST_DEVICE_BIND", rc, errs_bind)) {
			check_id(s, "TEST_DEVICE_BIND", dev);
			id_set(s, &s->dev[i], dev);
		} else if (rc == ENOENT) {
			s1_mock_revive(s, i);
		}
		break;
	case 2:
		rc = device_attach(s->fd, mock, ioas, ioasid_rng_below(rng, 2),
				   &hwpt);
		if (CHECK(s, "TEST_DEVICE_ATTACH", rc, errs_attach))
			check_id(s, "TEST_DEVICE_ATTACH", hwpt);
		else if (rc == ENOENT && ioasid_rng_below(rng, 4) == 0)
			s1_ioas_revive(s, ioas);
		break;
	case 3:
		CHECK(s, "TEST_DEVICE_DETACH", device_detach(s->fd, mock),
		      errs_enoent);
		break;
	default:
		CHECK(s, "TEST_DEVICE_UNBIND", ioasid_device_unbind(s->fd, mock),
		      errs_enoent);
		break;
	}
}

static void s1_destroyer(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S1_MOCKS);

	/* Mostly the device ids; sometimes anything. */
	if (ioasid_rng_below(rng, 8))
		op_destroy(s, s->fd, id_get(&s->dev[i]));
	else
		op_destroy_random(s, s->fd, rng);
}

static void s1_user(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S1_MOCKS);
	__u32 dev = id_get(&s->dev[i]), hwpt;
	int rc;

	switch (ioasid_rng_below(rng, 4)) {
	case 0:
		CHECK(s, "DEVICE_GET_HW_INFO", hw_info(s->fd, dev),
		      errs_enoent);
		break;
	case 1:
		rc = hwpt_alloc(s->fd, dev, id_get(&s->ioas[0]), &hwpt);
		if (CHECK(s, "HWPT_ALLOC", rc, errs_hwpt_alloc)) {
			check_id(s, "HWPT_ALLOC", hwpt);
			/*
			 * Nothing attaches to it, but a random destroy may
			 * have taken it, and its id gone to another object.
			 */
			CHECK(s, "IOASID_DESTROY hwpt", destroy(s->fd, hwpt),
			      errs_destroy);
		}
		break;
	case 2:
		CHECK(s, "TEST_DEVICE_DOMAIN",
		      device_domain(s->fd, id_get(&s->mock[i]), NULL),
		      errs_enoent);
		break;
	default:
		s1_destroyer(s, tid, rng);
		break;
	}
}

FIXTURE(stress)
{
	int fd;
	long pinned_kb;
	struct stress s;
};

FIXTURE_SETUP(stress)
{
	self->fd = open_ioasid();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "no /dev/ioasid");
	ASSERT_LE(0, self->fd);
	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	self->pinned_kb = vm_pinned_kb();
	ASSERT_LE(0, self->pinned_kb);
}

FIXTURE_TEARDOWN(stress)
{
	if (self->fd >= 0)
		close(self->fd);
	/* Closing the file releases everything the scenario pinned. */
	if (self->pinned_kb >= 0)
		EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
	if (self->s.buf && self->s.buf != MAP_FAILED)
		munmap(self->s.buf, self->s.buf_len);
}

/* Close the scenario's file and check that nothing stays pinned. */
static void stress_close(struct __test_metadata *_metadata, int *fd,
			 long pinned_kb)
{
	ASSERT_EQ(0, close(*fd));
	*fd = -1;
	EXPECT_EQ(pinned_kb, vm_pinned_kb());
}

TEST_F_TIMEOUT(stress, unbind_destroy, SCENARIO_TIMEOUT)
{
	struct stress *s = &self->s;
	__u64 iova = IOVA_BASE;
	int i;

	stress_init(_metadata, s, "unbind_destroy");
	s->fd = self->fd;
	ASSERT_EQ(0, ioas_alloc(s->fd, &s->ioas[0]));
	id_set(s, &s->ioas[0], s->ioas[0]);
	ASSERT_EQ(0, ioas_map(s->fd, s->ioas[0], s->buf, SZ_1M, &iova, true));
	for (i = 0; i < S1_MOCKS; i++) {
		ASSERT_EQ(0, s1_mock_add(s, s->fd, i, &s->mock[i]));
		id_set(s, &s->mock[i], s->mock[i]);
	}
	s->fn[0] = s1_binder;
	s->fn[1] = s1_destroyer;
	s->fn[2] = s1_binder;
	s->fn[3] = s1_user;
	stress_run(_metadata, s, stress_seconds());
	stress_summary(_metadata, s);

	/* Unbinding what is left must work, and the file must close. */
	for (i = 0; i < S1_MOCKS; i++) {
		int rc = ioasid_device_unbind(s->fd, s->mock[i]);

		EXPECT_TRUE(!rc || rc == ENOENT);
	}
	stress_close(_metadata, &self->fd, self->pinned_kb);
}

/* What kind of object @id is, as HWPT_INVALIDATE of no entry tells. */
static const char *object_kind(int fd, __u32 id)
{
	__u32 num = 0;

	switch (ioasid_nest_invalidate(fd, id,
				       IOASID_HWPT_INVALIDATE_DATA_VTD_S1,
				       NULL, 24, &num)) {
	case 0:
		return "a nested HWPT of the VT-d";
	case EINVAL:
		return "a nested HWPT of the SMMUv3";
	case EOPNOTSUPP:
		return "a paging HWPT";
	default:
		return "not a HWPT";
	}
}

/*
 * At the end of a scenario, with every device unbound or detached and
 * every object the threads know of destroyed, something still holds an
 * IOAS: destroy every object but @keep (zero-terminated), children first,
 * and say what each was.  Returns how many went.
 */
static unsigned long sweep_objects(struct __test_metadata *_metadata,
				   struct stress *s, const __u32 *keep)
{
	__u32 max = __atomic_load_n(&s->max_id, __ATOMIC_RELAXED) + 8, id;
	unsigned long swept = 0;
	const __u32 *k;
	const char *what;
	int round;

	for (round = 0; round < 2; round++) {
		for (id = 1; id <= max; id++) {
			for (k = keep; *k && *k != id; k++)
				;
			if (*k)
				continue;
			what = object_kind(s->fd, id);
			if (destroy(s->fd, id))
				continue;
			swept++;
			TH_LOG("%s: swept object %u, %s", s->name, id, what);
		}
	}
	return swept;
}

/* ---- Scenario 2: attach, detach, replace racing destroy of HWPTs -------- */

#define S2_MOCKS	5

static void s2_ioas_revive(struct stress *s, __u32 old)
{
	__u64 iova = IOVA_BASE;
	__u32 id;

	if (!CHECK(s, "IOAS_ALLOC", ioas_alloc(s->fd, &id), errs_none))
		return;
	/*
	 * EEXIST: a thread holding the id of a destroyed IOAS, which the new
	 * one reuses, mapped there first.
	 */
	CHECK(s, "IOAS_MAP", ioas_map(s->fd, id, s->buf, SZ_1M, &iova, true),
	      errs_map);
	if (!id_replace(s, &s->ioas[0], old, id))
		destroy(s->fd, id);
}

static void s2_attacher(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S2_MOCKS);
	__u32 mock = s->mock[i], ioas = id_get(&s->ioas[0]), pt, hwpt = 0;
	bool user = false;
	int rc;

	/*
	 * Detach often, so that automatic HWPTs lose their last attachment
	 * while other groups attach to the IOAS or to the HWPT by id.
	 */
	switch (ioasid_rng_below(rng, 9)) {
	case 0:
	case 1:
		rc = device_attach(s->fd, mock, ioas, false, &hwpt);
		break;
	case 2:
	case 3:
		rc = device_attach(s->fd, mock, ioas, true, &hwpt);
		break;
	case 4:
	case 5:
		/* A HWPT: mostly the automatic one of another, or a user's. */
		if (!ioasid_rng_below(rng, 4)) {
			pt = tslot_id(&s->user_hwpt[ioasid_rng_below(rng, 16)]);
			user = true;
		} else {
			pt = id_get(&s->hwpt[ioasid_rng_below(rng, 16)]);
		}
		/* A stale id may name the IOAS now: any HWPT may come back. */
		rc = device_attach(s->fd, mock, pt, ioasid_rng_below(rng, 2),
				   &hwpt);
		break;
	default:
		CHECK(s, "TEST_DEVICE_DETACH", device_detach(s->fd, mock),
		      errs_none);
		return;
	}
	if (!CHECK(s, "TEST_DEVICE_ATTACH", rc, errs_attach))
		return;
	check_id(s, "TEST_DEVICE_ATTACH", hwpt);
	if (!user)
		id_set(s, &s->hwpt[ioasid_rng_below(rng, 16)], hwpt);
}

static void s2_destroyer(struct stress *s, int tid, __u64 *rng)
{
	__u32 ioas = id_get(&s->ioas[0]);
	int rc;

	switch (ioasid_rng_below(rng, 8)) {
	case 0:
		/* Busy while anything is attached or a HWPT holds it. */
		rc = destroy(s->fd, ioas);
		/* ENOENT: a destroy of a stale id that the IOAS reused. */
		if (CHECK(s, "IOASID_DESTROY ioas", rc, errs_destroy) ||
		    rc == ENOENT)
			s2_ioas_revive(s, ioas);
		break;
	case 1:
	case 2: {
		__u64 *slot = &s->user_hwpt[ioasid_rng_below(rng, 16)];
		__u64 v = tslot_get(slot);

		/* The slot frees up with the HWPT it names. */
		rc = destroy(s->fd, (__u32)v);
		if (CHECK(s, "IOASID_DESTROY hwpt", rc, errs_destroy) ||
		    rc == ENOENT)
			tslot_clear(slot, v);
		break;
	}
	default:
		op_destroy(s, s->fd,
			   id_get(&s->hwpt[ioasid_rng_below(rng, 16)]));
		break;
	}
}

static void s2_user(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S2_MOCKS);
	__u32 ioas = id_get(&s->ioas[0]), hwpt;
	int k = ioasid_rng_below(rng, NR_SLOTS);
	int rc;

	switch (ioasid_rng_below(rng, 6)) {
	case 0: {
		/*
		 * Every user HWPT stays in a slot until destroyed, so that
		 * the end can tell them from a leaked automatic one.
		 */
		__u64 *slot = &s->user_hwpt[ioasid_rng_below(rng, 16)];

		if (tslot_get(slot))
			break;
		rc = hwpt_alloc(s->fd, s->dev[i], ioas, &hwpt);
		if (!CHECK(s, "HWPT_ALLOC", rc, errs_hwpt_alloc))
			break;
		check_id(s, "HWPT_ALLOC", hwpt);
		if (!tslot_fill(s, slot, hwpt))
			destroy(s->fd, hwpt);
		break;
	}
	case 1:
		/* Keep the page tables busy: map and unmap. */
		op_map_slot(s, s->fd, ioas, 16 + k % 16);
		break;
	case 2:
		op_unmap_slots(s, s->fd, ioas, 16 + k % 16, 1);
		break;
	case 3:
		op_ranges(s, s->fd, ioas, rng);
		break;
	default:
		s2_destroyer(s, tid, rng);
		break;
	}
}

TEST_F_TIMEOUT(stress, attach_hwpt_destroy, SCENARIO_TIMEOUT)
{
	struct stress *s = &self->s;
	__u64 iova = IOVA_BASE;
	int i, rc;
	__u32 id;

	stress_init(_metadata, s, "attach_hwpt_destroy");
	s->fd = self->fd;
	ASSERT_EQ(0, ioas_alloc(s->fd, &s->ioas[0]));
	id_set(s, &s->ioas[0], s->ioas[0]);
	ASSERT_EQ(0, ioas_map(s->fd, s->ioas[0], s->buf, SZ_1M, &iova, true));
	/*
	 * Mocks 0-2 have groups of their own behind one IOMMU and so share
	 * the IOAS's automatic HWPT; 3 joins the group of 0; 4 sits behind
	 * the other IOMMU and gets an automatic HWPT of its own.
	 */
	for (i = 0; i < S2_MOCKS; i++) {
		__u32 flags = 0;

		if (i == 3)
			flags = IOASID_TEST_MOCK_DEV_GROUP;
		if (i == 4)
			flags = IOASID_TEST_MOCK_DEV_OTHER_IOMMU;
		ASSERT_EQ(0, mock_dev_add(s->fd, flags, s->mock[0],
					  &s->mock[i]));
		id_set(s, &s->mock[i], s->mock[i]);
		ASSERT_EQ(0, ioasid_device_bind(s->fd, s->mock[i], &s->dev[i]));
		id_set(s, &s->dev[i], s->dev[i]);
	}
	s->fn[0] = s2_attacher;
	s->fn[1] = s2_destroyer;
	s->fn[2] = s2_attacher;
	s->fn[3] = s2_user;
	stress_run(_metadata, s, stress_seconds());
	stress_summary(_metadata, s);

	/*
	 * With every device detached and the user HWPTs destroyed, nothing
	 * holds the IOAS any more: an automatic HWPT goes with its last
	 * attachment.
	 */
	for (i = 0; i < S2_MOCKS; i++)
		EXPECT_EQ(0, device_detach(s->fd, s->mock[i]));
	for (i = 0; i < 16; i++) {
		/* An id of a destroyed HWPT may name the IOAS now. */
		id = tslot_id(&s->user_hwpt[i]);
		if (!id || id == s->ioas[0])
			continue;
		rc = destroy(s->fd, id);
		EXPECT_TRUE(!rc || rc == ENOENT);
	}
	rc = destroy(s->fd, s->ioas[0]);
	if (rc == EBUSY) {
		__u32 keep[S2_MOCKS * 2 + 2] = { s->ioas[0] };

		for (i = 0; i < 16; i++)
			if (s->hwpt[i] && !destroy(s->fd, s->hwpt[i]))
				TH_LOG("automatic HWPT %u was left with nothing attached",
				       s->hwpt[i]);
		/* What else holds it: the bound devices stay. */
		for (i = 0; i < S2_MOCKS; i++) {
			keep[1 + 2 * i] = s->mock[i];
			keep[2 + 2 * i] = s->dev[i];
		}
		sweep_objects(_metadata, s, keep);
	}
	EXPECT_EQ(0, rc) TH_LOG("IOAS busy after every device detached");
	stress_close(_metadata, &self->fd, self->pinned_kb);
}

/* ---- Scenario 3: MAP/COPY racing attach-fill and UNMAP ------------------ */

#define S3_DOMAINS	3

static void s3_mapper(struct stress *s, int tid, __u64 *rng)
{
	__u32 a = s->ioas[0];
	int k = ioasid_rng_below(rng, NR_SLOTS);

	switch (ioasid_rng_below(rng, 8)) {
	case 0:
	case 1:
	case 2:
		op_map_slot(s, s->fd, a, k);
		break;
	case 3:
		op_map_auto(s, s->fd, a, rng);
		break;
	case 4:
	case 5:
		op_unmap_slots(s, s->fd, a, k, 1 + ioasid_rng_below(rng, 4));
		break;
	case 6:
		if (!ioasid_rng_below(rng, 8))
			op_unmap_slots(s, s->fd, a, 0, 0);
		else
			op_ranges(s, s->fd, a, rng);
		break;
	default:
		op_unmap_slots(s, s->fd, s->ioas[1], k, 1);
		break;
	}
}

static void s3_copier(struct stress *s, int tid, __u64 *rng)
{
	int k = ioasid_rng_below(rng, NR_SLOTS - 4);
	int n = 1 + ioasid_rng_below(rng, 4);
	bool fixed = ioasid_rng_below(rng, 4);
	__u64 dst = slot_iova(k);
	int rc;

	if (ioasid_rng_below(rng, 4) == 0) {
		op_unmap_slots(s, s->fd, s->ioas[1], k, n);
		return;
	}
	rc = ioas_copy(s->fd, s->ioas[1], s->ioas[0], slot_iova(k),
		       n * SLOT_LEN, &dst, fixed);
	/* EINVAL: a kernel-chosen mapping of A crosses the range. */
	if (!CHECK(s, "IOAS_COPY", rc, errs_copy))
		return;
	check_iova(s, "IOAS_COPY", dst, n * SLOT_LEN);
	if (!fixed)
		CHECK(s, "IOAS_UNMAP", ioas_unmap(s->fd, s->ioas[1], dst,
						  n * SLOT_LEN, NULL),
		      errs_unmap);
}

static void s3_filler(struct stress *s, int tid, __u64 *rng)
{
	struct ioasid_test_domain_info info;
	int d = ioasid_rng_below(rng, S3_DOMAINS);
	__u32 dom = s->domain[d];
	int rc;

	switch (ioasid_rng_below(rng, 6)) {
	case 0:
	case 1:
		rc = ioas_attach_domain(s->fd, dom,
					s->ioas[ioasid_rng_below(rng, 2)]);
		CHECK(s, "TEST_IOAS_ATTACH", rc, errs_ioas_attach);
		break;
	case 2:
	case 3:
		rc = ioas_detach_domain(s->fd, dom);
		CHECK(s, "TEST_IOAS_DETACH", rc, errs_enoent);
		break;
	case 4:
		rc = domain_info(s->fd, dom, &info);
		if (CHECK(s, "TEST_DOMAIN_INFO", rc, errs_none) &&
		    info.out_mapped_bytes % SZ_4K)
			stress_report(s, "domain %u maps 0x%llx bytes", dom,
				      (unsigned long long)info.out_mapped_bytes);
		break;
	default:
		CHECK(s, "TEST_IOPTE_GET",
		      iopte_get(s->fd, dom,
				slot_iova(ioasid_rng_below(rng, NR_SLOTS))),
		      errs_enoent);
		break;
	}
}

/*
 * With everything quiet: each domain attached to an IOAS holds exactly its
 * mappings, those that followed the races as well as a fresh fill, and is
 * left empty by UNMAP_ALL and by its detach.
 */
static void s3_check_domains(struct __test_metadata *_metadata,
			     struct stress *s)
{
	__u64 mapped[S3_DOMAINS], after_a[S3_DOMAINS], unmapped[2];
	struct ioasid_test_domain_info info;
	bool fresh[S3_DOMAINS];
	int d, rc;

	for (d = 0; d < S3_DOMAINS; d++) {
		/* EBUSY: attached to A or B since the race. */
		rc = ioas_attach_domain(s->fd, s->domain[d], s->ioas[0]);
		ASSERT_TRUE(!rc || rc == EBUSY);
		fresh[d] = !rc;
		ASSERT_EQ(0, domain_info(s->fd, s->domain[d], &info));
		mapped[d] = info.out_mapped_bytes;
	}
	rc = ioas_unmap(s->fd, s->ioas[0], 0, 0, &unmapped[0]);
	ASSERT_TRUE(!rc || rc == ENOENT);
	if (rc)
		unmapped[0] = 0;
	for (d = 0; d < S3_DOMAINS; d++) {
		ASSERT_EQ(0, domain_info(s->fd, s->domain[d], &info));
		after_a[d] = info.out_mapped_bytes;
		if (fresh[d]) {
			EXPECT_EQ(unmapped[0], mapped[d]);
			EXPECT_EQ(0, after_a[d]);
		}
	}
	rc = ioas_unmap(s->fd, s->ioas[1], 0, 0, &unmapped[1]);
	ASSERT_TRUE(!rc || rc == ENOENT);
	if (rc)
		unmapped[1] = 0;
	for (d = 0; d < S3_DOMAINS; d++) {
		bool of_a, of_b;

		ASSERT_EQ(0, domain_info(s->fd, s->domain[d], &info));
		EXPECT_EQ(0, info.out_mapped_bytes);
		of_a = mapped[d] == unmapped[0] && !after_a[d];
		of_b = mapped[d] == unmapped[1] && after_a[d] == mapped[d];
		EXPECT_TRUE(of_a || of_b)
			TH_LOG("domain %u held 0x%llx bytes, then 0x%llx; A unmapped 0x%llx, B 0x%llx",
			       s->domain[d], (unsigned long long)mapped[d],
			       (unsigned long long)after_a[d],
			       (unsigned long long)unmapped[0],
			       (unsigned long long)unmapped[1]);
		rc = ioas_detach_domain(s->fd, s->domain[d]);
		EXPECT_EQ(0, rc);
		ASSERT_EQ(0, domain_info(s->fd, s->domain[d], &info));
		EXPECT_EQ(0, info.out_nr_ioptes);
	}
}

TEST_F_TIMEOUT(stress, map_copy_fill, SCENARIO_TIMEOUT)
{
	struct stress *s = &self->s;
	__u32 mock[2];
	int i;

	stress_init(_metadata, s, "map_copy_fill");
	s->fd = self->fd;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, ioas_alloc(s->fd, &s->ioas[i]));
	ASSERT_EQ(0, mock_dev_add(s->fd, 0, 0, &mock[0]));
	ASSERT_EQ(0, mock_dev_add(s->fd, IOASID_TEST_MOCK_DEV_OTHER_IOMMU, 0,
				  &mock[1]));
	for (i = 0; i < S3_DOMAINS; i++)
		ASSERT_EQ(0, mock_domain_alloc(s->fd, mock[i == 2],
					       &s->domain[i]));
	for (i = 0; i < NR_SLOTS; i += 2)
		op_map_slot(s, s->fd, s->ioas[0], i);
	s->fn[0] = s3_mapper;
	s->fn[1] = s3_copier;
	s->fn[2] = s3_filler;
	s->fn[3] = s3_filler;
	stress_run(_metadata, s, stress_seconds());
	stress_summary(_metadata, s);
	s3_check_domains(_metadata, s);
	stress_close(_metadata, &self->fd, self->pinned_kb);
}

/* ---- Scenario 4: access pins racing unmap and IOAS destroy ------------- */

#define S4_ACCESSES	3

/* Access 1 mirrors the IOAS (map callbacks race the rest); 2 keeps pins. */
static __u32 s4_access_flags(int i)
{
	if (i == 1)
		return IOASID_TEST_ACCESS_MIRROR;
	return i == 2 ? IOASID_TEST_ACCESS_KEEP_PINS : 0;
}

/* A new IOAS with its mappings and accesses, after one was destroyed. */
static void s4_ioas_revive(struct stress *s, __u32 old)
{
	__u32 id, acc;
	int k, i;

	if (!CHECK(s, "IOAS_ALLOC", ioas_alloc(s->fd, &id), errs_none))
		return;
	for (k = 0; k < 8; k++)
		op_map_slot(s, s->fd, id, k);
	if (!id_replace(s, &s->ioas[0], old, id)) {
		destroy(s->fd, id);
		return;
	}
	for (i = 0; i < S4_ACCESSES; i++) {
		__u32 cur = id_get(&s->access[i]);

		if (!CHECK(s, "TEST_ACCESS_CREATE",
			   access_create(s->fd, id, 0, &acc), errs_enoent))
			continue;
		if (!id_replace(s, &s->access[i], cur, acc))
			destroy(s->fd, acc);
	}
}

static int access_replace(int fd, __u32 id, __u32 ioas_id)
{
	struct ioasid_test_access_replace cmd = {
		.size = sizeof(cmd),
		.access_id = id,
		.ioas_id = ioas_id,
	};

	return ioctl_err(fd, IOASID_TEST_ACCESS_REPLACE, &cmd);
}

static void s4_pinner(struct stress *s, int tid, __u64 *rng)
{
	__u32 acc = id_get(&s->access[ioasid_rng_below(rng, S4_ACCESSES)]);
	__u64 iova = slot_iova(0) + ioasid_rng_below(rng, 8 * SLOT_LEN);
	__u64 len = 1 + ioasid_rng_below(rng, 3 * SZ_4K);
	char data[3 * SZ_4K];
	__u32 pin, nr;
	int rc;

	switch (ioasid_rng_below(rng, 7)) {
	case 0:
	case 1:
	case 2:
		rc = access_pin(s->fd, acc, iova, len,
				ioasid_rng_below(rng, 2) ? data : NULL,
				ioasid_rng_below(rng, 2), &pin);
		if (!CHECK(s, "TEST_ACCESS_PIN", rc, errs_pin))
			break;
		if (ioasid_rng_below(rng, 4))
			CHECK(s, "TEST_ACCESS_UNPIN",
			      access_unpin(s->fd, acc, pin), errs_enoent);
		break;
	case 3:
		rc = access_rw(s->fd, acc, iova, data, len,
			       ioasid_rng_below(rng, 2));
		CHECK(s, "TEST_ACCESS_RW", rc, errs_pin);
		break;
	case 4:
		CHECK(s, "TEST_ACCESS_UNPIN",
		      access_unpin(s->fd, acc, 1 + ioasid_rng_below(rng, 8)),
		      errs_enoent);
		break;
	case 5:
		/* Re-point it, racing pins, unmaps and the IOAS's destroy. */
		CHECK(s, "TEST_ACCESS_REPLACE",
		      access_replace(s->fd, acc, id_get(&s->ioas[0])),
		      errs_replace);
		break;
	default:
		CHECK(s, "TEST_ACCESS_INFO", access_info(s->fd, acc, &nr),
		      errs_enoent);
		break;
	}
}

static void s4_mapper(struct stress *s, int tid, __u64 *rng)
{
	__u32 ioas = id_get(&s->ioas[0]);
	int k = ioasid_rng_below(rng, 8);

	switch (ioasid_rng_below(rng, 4)) {
	case 0:
	case 1:
		op_map_slot(s, s->fd, ioas, k);
		break;
	case 2:
		op_unmap_slots(s, s->fd, ioas, k, 1 + ioasid_rng_below(rng, 2));
		break;
	default:
		s4_pinner(s, tid, rng);
		break;
	}
}

static void s4_destroyer(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S4_ACCESSES);
	__u32 ioas = id_get(&s->ioas[0]), acc = id_get(&s->access[i]), id;
	int rc;

	switch (ioasid_rng_below(rng, 4)) {
	case 0:
		rc = destroy(s->fd, ioas);
		if (CHECK(s, "IOASID_DESTROY ioas", rc, errs_destroy) ||
		    rc == ENOENT)
			s4_ioas_revive(s, ioas);
		break;
	case 1:
		/* Destroy an access, then make it again on the IOAS. */
		rc = destroy(s->fd, acc);
		if (!CHECK(s, "IOASID_DESTROY access", rc, errs_destroy))
			break;
		rc = access_create(s->fd, ioas, s4_access_flags(i), &id);
		if (CHECK(s, "TEST_ACCESS_CREATE", rc, errs_enoent) &&
		    !id_replace(s, &s->access[i], acc, id))
			destroy(s->fd, id);
		break;
	default:
		s4_pinner(s, tid, rng);
		break;
	}
}

TEST_F_TIMEOUT(stress, access_pin_unmap_destroy, SCENARIO_TIMEOUT)
{
	struct stress *s = &self->s;
	__u64 unmapped;
	int i, k;

	stress_init(_metadata, s, "access_pin_unmap_destroy");
	s->fd = self->fd;
	ASSERT_EQ(0, ioas_alloc(s->fd, &s->ioas[0]));
	id_set(s, &s->ioas[0], s->ioas[0]);
	for (k = 0; k < 8; k++)
		op_map_slot(s, s->fd, s->ioas[0], k);
	/*
	 * The last access keeps its pins, so unmaps of them fail; the second
	 * mirrors the IOAS, pinning every mapping the mapper makes.
	 */
	for (i = 0; i < S4_ACCESSES; i++) {
		ASSERT_EQ(0, access_create(s->fd, s->ioas[0],
					   s4_access_flags(i), &s->access[i]));
		id_set(s, &s->access[i], s->access[i]);
	}
	s->fn[0] = s4_pinner;
	s->fn[1] = s4_mapper;
	s->fn[2] = s4_destroyer;
	s->fn[3] = s4_pinner;
	stress_run(_metadata, s, stress_seconds());
	stress_summary(_metadata, s);

	/* Destroying the accesses releases their pins; then unmap all. */
	for (i = 0; i < S4_ACCESSES; i++) {
		int rc = destroy(s->fd, s->access[i]);

		EXPECT_TRUE(!rc || rc == ENOENT);
	}
	k = ioas_unmap(s->fd, s->ioas[0], 0, 0, &unmapped);
	EXPECT_TRUE(!k || k == ENOENT);
	stress_close(_metadata, &self->fd, self->pinned_kb);
}

/* ---- Scenario 5: close of the file racing all of the above ------------- */

static void s5_any(struct stress *s, int tid, __u64 *rng)
{
	int fd = __atomic_load_n(&s->fd, __ATOMIC_RELAXED);
	int i = ioasid_rng_below(rng, 3);
	__u32 ioas = s->ioas[0], mock = s->mock[i], acc = s->access[0];
	__u64 iova = slot_iova(0) + ioasid_rng_below(rng, 4 * SLOT_LEN);
	__u32 hwpt, pin, dom;
	int k = ioasid_rng_below(rng, 8);
	int rc;

	/*
	 * After a dup2() the same number names an empty context: every id
	 * is then unknown (ENOENT).  After a close(), EBADF.
	 */
	switch (ioasid_rng_below(rng, 12)) {
	case 0:
		op_map_slot(s, fd, ioas, k);
		break;
	case 1:
		op_unmap_slots(s, fd, ioas, k, 1);
		break;
	case 2:
		rc = device_attach(fd, mock, ioas, ioasid_rng_below(rng, 2),
				   &hwpt);
		CHECK(s, "TEST_DEVICE_ATTACH", rc, errs_attach);
		break;
	case 3:
		CHECK(s, "TEST_DEVICE_DETACH", device_detach(fd, mock),
		      errs_enoent);
		break;
	case 4:
		rc = ioasid_device_bind(fd, mock, &hwpt);
		CHECK(s, "TEST_DEVICE_BIND", rc, errs_bind);
		break;
	case 5:
		CHECK(s, "TEST_DEVICE_UNBIND", ioasid_device_unbind(fd, mock),
		      errs_enoent);
		break;
	case 6:
		rc = access_pin(fd, acc, iova, 1 + ioasid_rng_below(rng, SZ_4K),
				NULL, false, &pin);
		if (CHECK(s, "TEST_ACCESS_PIN", rc, errs_pin) &&
		    ioasid_rng_below(rng, 2))
			CHECK(s, "TEST_ACCESS_UNPIN", access_unpin(fd, acc, pin),
			      errs_enoent);
		break;
	case 7:
		dom = s->domain[ioasid_rng_below(rng, 2)];
		if (ioasid_rng_below(rng, 2))
			CHECK(s, "TEST_IOAS_ATTACH",
			      ioas_attach_domain(fd, dom, ioas),
			      errs_ioas_attach);
		else
			CHECK(s, "TEST_IOAS_DETACH", ioas_detach_domain(fd, dom),
			      errs_enoent);
		break;
	case 8:
		rc = hwpt_alloc(fd, s->dev[i], ioas, &hwpt);
		if (CHECK(s, "HWPT_ALLOC", rc, errs_hwpt_alloc))
			CHECK(s, "IOASID_DESTROY hwpt", destroy(fd, hwpt),
			      errs_destroy);
		break;
	case 9:
		rc = ioas_copy(fd, s->ioas[1], ioas, slot_iova(k), SLOT_LEN,
			       &iova, false);
		CHECK(s, "IOAS_COPY", rc, errs_copy);
		break;
	case 10:
		op_destroy_random(s, fd, rng);
		break;
	default:
		op_ranges(s, fd, ioas, rng);
		break;
	}
}

/* Everything at once on a fresh file: the threads then race its close. */
static void s5_build(struct __test_metadata *_metadata, struct stress *s,
		     int fd)
{
	__u64 iova;
	__u32 hwpt, pin;
	int i, k;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, ioas_alloc(fd, &s->ioas[i]));
	for (k = 0; k < 4; k++) {
		iova = slot_iova(k);
		ASSERT_EQ(0, ioas_map(fd, s->ioas[0], slot_va(s, k), SLOT_LEN,
				      &iova, true));
	}
	/* Mock 2 shares the group of mock 0. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, mock_dev_add(fd, i == 2 ?
					  IOASID_TEST_MOCK_DEV_GROUP : 0,
					  s->mock[0], &s->mock[i]));
		ASSERT_EQ(0, ioasid_device_bind(fd, s->mock[i], &s->dev[i]));
		ASSERT_EQ(0, device_attach(fd, s->mock[i], s->ioas[0], false,
					   &hwpt));
		id_set(s, &s->mock[i], s->mock[i]);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mock_domain_alloc(fd, s->mock[0], &s->domain[i]));
		ASSERT_EQ(0, ioas_attach_domain(fd, s->domain[i],
						s->ioas[i]));
	}
	ASSERT_EQ(0, access_create(fd, s->ioas[0], 0, &s->access[0]));
	ASSERT_EQ(0, access_pin(fd, s->access[0], slot_iova(1), SZ_4K, NULL,
				false, &pin));
	id_set(s, &s->access[0], s->access[0]);
}

TEST_F_TIMEOUT(stress, close_race, SCENARIO_TIMEOUT)
{
	struct stress *s = &self->s;
	unsigned long rounds = 0, closes = 0, dups = 0;
	__u64 end, rng;
	int fd, nfd;

	stress_init(_metadata, s, "close_race");
	rng = ioasid_rng_seed(s->seed, MAX_THREADS);
	s->fn[0] = s5_any;
	s->fd_unstable = 1;
	end = ioasid_now_ns() + stress_seconds() * 1000000000ULL;
	while (ioasid_now_ns() < end) {
		struct stress_arg args[MAX_THREADS];
		pthread_t th[MAX_THREADS];
		int i;

		fd = open_ioasid();
		ASSERT_LE(0, fd);
		s->fd = fd;
		s5_build(_metadata, s, fd);
		s->stop = 0;
		s->deadline = end + 1000000000ULL;
		for (i = 0; i < s->nthreads; i++) {
			args[i].s = s;
			args[i].tid = rounds * MAX_THREADS + i;
			ASSERT_EQ(0, pthread_create(&th[i], NULL, stress_thread,
						    &args[i]));
		}
		/* Let the threads work on the live file first. */
		usleep(ioasid_rng_below(&rng, 50000));
		if (ioasid_rng_below(&rng, 2)) {
			/* Replace the file under the threads. */
			nfd = ioasid_rng_below(&rng, 2) ?
			      open_ioasid() : open("/dev/null", O_RDWR);
			ASSERT_LE(0, nfd);
			ASSERT_EQ(fd, dup2(nfd, fd));
			ASSERT_EQ(0, close(nfd));
			dups++;
		} else {
			ASSERT_EQ(0, close(fd));
			fd = -1;
			closes++;
		}
		usleep(ioasid_rng_below(&rng, 2000));
		s->stop = 1;
		for (i = 0; i < s->nthreads; i++)
			ASSERT_EQ(0, pthread_join(th[i], NULL));
		if (fd >= 0)
			ASSERT_EQ(0, close(fd));
		/* The old file is gone with everything it pinned. */
		EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
		rounds++;
	}
	TH_LOG("close_race: %lu rounds, %lu closes, %lu dup2s", rounds, closes,
	       dups);
	stress_summary(_metadata, s);
}

/* ---- Scenario 6: PASIDs: attach, policy, global PASIDs, unbind --------- */

/*
 * Mocks 0 and 1 have 20 bits of PASID, 2 shares the group of 0, 3 has 8
 * bits.  IOAS 0 and IOAS 1 map pages of different contents at IOVA_BASE:
 * whatever a PASID is attached to, its DMA reads one of them, or nothing.
 */
#define S6_MOCKS	4
#define S6_PATTERN0	0x5a
#define S6_PATTERN1	0xa5
#define S6_LAST		16	/* the device-local PASIDs: 1 to S6_LAST */

static const int errs_pasid_attach[] = { ENOENT, EBUSY, EINVAL, EPERM,
					 EADDRINUSE, 0 };
static const int errs_pasid_alloc[] = { ENOENT, ENOSPC, 0 };
static const int errs_pasid_free[] = { ENOENT, EBUSY, 0 };
/* EINVAL: a global PASID beyond the 8-bit device's width. */
static const int errs_mock_dma[] = { ENXIO, EINVAL, 0 };
static const int errs_einval[] = { EINVAL, 0 };

static __u32 s6_pasid(struct stress *s, __u64 *rng)
{
	__u32 pasid = 0;

	if (!ioasid_rng_below(rng, 4))
		pasid = id_get(&s->pasids[ioasid_rng_below(rng, 8)]);
	return pasid ?: 1 + ioasid_rng_below(rng, S6_LAST);
}

/* A HWPT a user made or an attach returned, or an IOAS. */
static __u32 s6_pt(struct stress *s, __u64 *rng)
{
	__u32 id = 0;

	switch (ioasid_rng_below(rng, 4)) {
	case 0:
		id = tslot_id(&s->user_hwpt[ioasid_rng_below(rng, 16)]);
		break;
	case 1:
		id = id_get(&s->hwpt[ioasid_rng_below(rng, 16)]);
		break;
	}
	return id ?: id_get(&s->ioas[ioasid_rng_below(rng, 2)]);
}

/* What GET_PASID_INFO may report in this scenario, whatever the race. */
static void s6_info(struct stress *s, __u32 dev, __u32 pasid)
{
	struct ioasid_device_get_pasid_info info;
	bool att;
	int rc;

	rc = ioasid_pasid_info(s->fd, dev, pasid, &info);
	if (!CHECK(s, "DEVICE_GET_PASID_INFO", rc, errs_enoent))
		return;
	att = info.out_flags & IOASID_PASID_INFO_ATTACHED;
	if (info.out_flags & ~0xfU ||
	    /*
	     * One context and no kernel PASID: nothing is taken, not even
	     * while another thread allocates or frees a global PASID.
	     */
	    info.out_flags & IOASID_PASID_INFO_TAKEN ||
	    att != !!info.out_pt_id ||
	    (att ? info.out_pt_kind != IOASID_PT_HWPT_PAGING :
		   info.out_pt_kind != IOASID_PT_NONE) ||
	    (!(info.out_flags & IOASID_PASID_INFO_DECLARED) &&
	     info.out_allowed) ||
	    (att && !(info.out_allowed & IOASID_PASID_CFG_PAGING)) ||
	    (info.out_pasid_bits != 20 && info.out_pasid_bits != 8))
		stress_report(s, "GET_PASID_INFO of %u: flags 0x%x allowed 0x%x kind %u pt %u bits %u",
			      pasid, info.out_flags, info.out_allowed,
			      info.out_pt_kind, info.out_pt_id,
			      info.out_pasid_bits);
}

static void s6_dma(struct stress *s, __u32 mock, __u32 pasid, __u64 *rng)
{
	unsigned char data[64];
	int rc, i;

	memset(data, 0, sizeof(data));
	rc = ioasid_mock_dma(s->fd, mock, pasid,
			     IOVA_BASE + ioasid_rng_below(rng, SZ_4K - 64),
			     data, sizeof(data), false);
	if (!CHECK(s, "TEST_MOCK_DMA", rc, errs_mock_dma))
		return;
	for (i = 0; i < 64; i++)
		if (data[i] != data[0])
			break;
	if (i < 64 || (data[0] != S6_PATTERN0 && data[0] != S6_PATTERN1))
		stress_report(s, "TEST_MOCK_DMA of PASID %u read 0x%x at byte %d",
			      pasid, data[i < 64 ? i : 0], i < 64 ? i : 0);
}

static void s6_attacher(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S6_MOCKS);
	__u32 mock = s->mock[i], pasid = s6_pasid(s, rng), hwpt;
	__u64 serial;
	int rc;

	switch (ioasid_rng_below(rng, 10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		rc = ioasid_pasid_attach(s->fd, mock, pasid, s6_pt(s, rng),
					 ioasid_rng_below(rng, 2), &hwpt);
		if (!CHECK(s, "TEST_DEVICE_ATTACH pasid", rc,
			   errs_pasid_attach))
			break;
		check_id(s, "TEST_DEVICE_ATTACH pasid", hwpt);
		id_set(s, &s->hwpt[ioasid_rng_below(rng, 16)], hwpt);
		break;
	case 4:
		CHECK(s, "TEST_DEVICE_DETACH pasid",
		      ioasid_pasid_detach(s->fd, mock, pasid), errs_enoent);
		break;
	case 5:
	case 6:
		s6_dma(s, mock, ioasid_rng_below(rng, 8) ? pasid : 0, rng);
		break;
	case 7:
	case 8:
		s6_info(s, id_get(&s->dev[i]), ioasid_rng_below(rng, 8) ?
			pasid : 0);
		break;
	default:
		/* EINVAL: beyond the width of the 8-bit device. */
		CHECK(s, "TEST_DEVICE_DOMAIN pasid",
		      ioasid_pasid_domain(s->fd, mock, pasid, &serial, NULL),
		      errs_einval);
		break;
	}
}

static void s6_policy(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S6_MOCKS);
	__u32 mock = s->mock[i], first = s6_pasid(s, rng), last, hwpt;
	__u32 configs = ioasid_rng_below(rng, 8);
	int rc;

	last = first + ioasid_rng_below(rng, 4);
	/* Within the width: up to 255 for the 8-bit device. */
	if (last > (i == 3 ? 255U : IOASID_PASID_MAX))
		last = i == 3 ? 255U : IOASID_PASID_MAX;
	if (first > last)
		first = last;
	switch (ioasid_rng_below(rng, 8)) {
	case 0:
	case 1:
		CHECK(s, "TEST_DEVICE_ALLOW_PASID",
		      ioasid_allow_pasid(s->fd, mock, first, last,
					 IOASID_PASID_CFG_PAGING |
					 (configs & ~IOASID_PASID_CFG_PAGING)),
		      errs_enoent);
		break;
	case 2:
		CHECK(s, "TEST_DEVICE_ALLOW_PASID",
		      ioasid_allow_pasid(s->fd, mock, first, last, configs),
		      errs_enoent);
		break;
	case 3:
		CHECK(s, "TEST_DEVICE_ALLOW_PASID revoke",
		      ioasid_revoke_pasid(s->fd, mock, first, last),
		      errs_enoent);
		break;
	case 4:
		/* The RID too, sharing the HWPTs of the PASIDs. */
		rc = device_attach(s->fd, mock, s6_pt(s, rng),
				   ioasid_rng_below(rng, 2), &hwpt);
		if (CHECK(s, "TEST_DEVICE_ATTACH", rc, errs_attach))
			id_set(s, &s->hwpt[ioasid_rng_below(rng, 16)], hwpt);
		break;
	case 5:
		CHECK(s, "TEST_DEVICE_DETACH", device_detach(s->fd, mock),
		      errs_enoent);
		break;
	default:
		s6_info(s, id_get(&s->dev[i]), first);
		break;
	}
}

static void s6_global(struct stress *s, int tid, __u64 *rng)
{
	__u32 *slot = &s->pasids[ioasid_rng_below(rng, 8)];
	__u32 old = id_get(slot), pasid;
	int i = ioasid_rng_below(rng, S6_MOCKS);
	int rc;

	switch (ioasid_rng_below(rng, 6)) {
	case 0:
	case 1:
		rc = ioasid_pasid_alloc(s->fd, id_get(&s->dev[i]), &pasid);
		if (!CHECK(s, "PASID_ALLOC", rc, errs_pasid_alloc))
			break;
		/* (a stale device id may name another device now) */
		if (!pasid || pasid > IOASID_PASID_MAX)
			stress_report(s, "PASID_ALLOC: PASID %u", pasid);
		if (!id_replace(s, slot, old, pasid))
			CHECK(s, "PASID_FREE", ioasid_pasid_free(s->fd, pasid),
			      errs_pasid_free);
		else if (old)
			CHECK(s, "PASID_FREE", ioasid_pasid_free(s->fd, old),
			      errs_pasid_free);
		break;
	case 2:
		if (old)
			CHECK(s, "PASID_FREE", ioasid_pasid_free(s->fd, old),
			      errs_pasid_free);
		break;
	case 3:
		/* Let the global PASIDs be attached on every device. */
		if (old && (i != 3 || old < 256))
			CHECK(s, "TEST_DEVICE_ALLOW_PASID",
			      ioasid_allow_pasid(s->fd, s->mock[i], old, old,
						 IOASID_PASID_CFG_PAGING),
			      errs_enoent);
		break;
	default:
		s6_attacher(s, tid, rng);
		break;
	}
}

static void s6_ioas_revive(struct stress *s, int k, __u32 old)
{
	__u64 iova = IOVA_BASE;
	__u32 id;

	if (!CHECK(s, "IOAS_ALLOC", ioas_alloc(s->fd, &id), errs_none))
		return;
	/* EEXIST: a stale id of the old one, now this one's, mapped first. */
	CHECK(s, "IOAS_MAP",
	      ioas_map(s->fd, id, (char *)s->buf + k * SZ_1M, SZ_4K, &iova,
		       true), errs_map);
	if (!id_replace(s, &s->ioas[k], old, id))
		destroy(s->fd, id);
}

static void s6_lifecycle(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S6_MOCKS), k = ioasid_rng_below(rng, 2);
	__u32 ioas = id_get(&s->ioas[k]), dev, hwpt;
	__u64 *slot = &s->user_hwpt[ioasid_rng_below(rng, 16)];
	__u64 v = tslot_get(slot);
	__u32 id = (__u32)v;
	int rc;

	switch (ioasid_rng_below(rng, 10)) {
	case 0:
		CHECK(s, "TEST_DEVICE_UNBIND",
		      ioasid_device_unbind(s->fd, s->mock[i]), errs_enoent);
		break;
	case 1:
	case 2:
		rc = ioasid_device_bind(s->fd, s->mock[i], &dev);
		if (!CHECK(s, "TEST_DEVICE_BIND", rc, errs_bind))
			break;
		id_set(s, &s->dev[i], dev);
		CHECK(s, "TEST_DEVICE_ALLOW_PASID",
		      ioasid_allow_pasid(s->fd, s->mock[i], 1, S6_LAST,
					 IOASID_PASID_CFG_PAGING),
		      errs_enoent);
		break;
	case 3:
		rc = destroy(s->fd, ioas);
		/* ENOENT: a destroy of a stale id that the IOAS reused. */
		if (CHECK(s, "IOASID_DESTROY ioas", rc, errs_destroy) ||
		    rc == ENOENT)
			s6_ioas_revive(s, k, ioas);
		break;
	case 4:
	case 5:
		rc = destroy(s->fd, id);
		if (CHECK(s, "IOASID_DESTROY hwpt", rc, errs_destroy) ||
		    rc == ENOENT)
			tslot_clear(slot, v);
		break;
	case 6:
		if (id)
			break;
		rc = hwpt_alloc(s->fd, id_get(&s->dev[i]), ioas, &hwpt);
		if (!CHECK(s, "HWPT_ALLOC", rc, errs_hwpt_alloc))
			break;
		check_id(s, "HWPT_ALLOC", hwpt);
		if (!tslot_fill(s, slot, hwpt))
			destroy(s->fd, hwpt);
		break;
	default:
		s6_attacher(s, tid, rng);
		break;
	}
}

TEST_F_TIMEOUT(stress, pasid, SCENARIO_TIMEOUT)
{
	struct stress *s = &self->s;
	__u64 iova;
	int i, k, rc;

	stress_init(_metadata, s, "pasid");
	if (!have_feature_pasid(self->fd))
		SKIP(return, "kernel without IOASID_FEATURE_PASID");
	s->fd = self->fd;
	memset((char *)s->buf + SZ_1M, S6_PATTERN1, SZ_4K);
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, ioas_alloc(s->fd, &s->ioas[k]));
		id_set(s, &s->ioas[k], s->ioas[k]);
		iova = IOVA_BASE;
		ASSERT_EQ(0, ioas_map(s->fd, s->ioas[k],
				      (char *)s->buf + k * SZ_1M, SZ_4K, &iova,
				      true));
	}
	for (i = 0; i < S6_MOCKS; i++) {
		static const __u32 flags[S6_MOCKS] = {
			IOASID_TEST_MOCK_DEV_PASID, IOASID_TEST_MOCK_DEV_PASID,
			IOASID_TEST_MOCK_DEV_PASID | IOASID_TEST_MOCK_DEV_GROUP,
			IOASID_TEST_MOCK_DEV_PASID_BITS,
		};

		ASSERT_EQ(0, ioasid_mock_dev_add(s->fd, flags[i], s->mock[0],
						 i == 3 ? 8 : 0, &s->mock[i]));
		id_set(s, &s->mock[i], s->mock[i]);
		ASSERT_EQ(0, ioasid_device_bind(s->fd, s->mock[i], &s->dev[i]));
		id_set(s, &s->dev[i], s->dev[i]);
		ASSERT_EQ(0, ioasid_allow_pasid(s->fd, s->mock[i], 1, S6_LAST,
						IOASID_PASID_CFG_PAGING));
	}
	s->fn[0] = s6_attacher;
	s->fn[1] = s6_policy;
	s->fn[2] = s6_global;
	s->fn[3] = s6_lifecycle;
	stress_run(_metadata, s, stress_seconds());
	/* Quiet now: every PASID left attached is one its policy permits. */
	for (i = 0; i < S6_MOCKS; i++) {
		__u32 pasid;

		for (pasid = 0; pasid <= S6_LAST; pasid++)
			s6_info(s, s->dev[i], pasid);
		for (k = 0; k < 8; k++)
			if (s->pasids[k])
				s6_info(s, s->dev[i], s->pasids[k]);
	}
	stress_summary(_metadata, s);

	/*
	 * Unbound, the devices hold nothing: once the user HWPTs are gone,
	 * both IOASes can be destroyed, and every global PASID freed.
	 */
	for (i = 0; i < S6_MOCKS; i++) {
		rc = ioasid_device_unbind(s->fd, s->mock[i]);
		EXPECT_TRUE(!rc || rc == ENOENT);
	}
	for (i = 0; i < 16; i++) {
		__u32 id = tslot_id(&s->user_hwpt[i]);

		if (!id || id == s->ioas[0] || id == s->ioas[1])
			continue;
		rc = destroy(s->fd, id);
		EXPECT_TRUE(!rc || rc == ENOENT);
	}
	/* ENOENT: a stale id destroyed it, and it was not revived yet. */
	for (k = 0; k < 2; k++) {
		rc = destroy(s->fd, s->ioas[k]);
		EXPECT_TRUE(!rc || rc == ENOENT)
			TH_LOG("IOAS %d: %s after every device unbound", k,
			       strerror(rc));
	}
	for (i = 0; i < 8; i++) {
		rc = s->pasids[i] ? ioasid_pasid_free(s->fd, s->pasids[i]) : 0;
		EXPECT_TRUE(!rc || rc == ENOENT);
	}
	stress_close(_metadata, &self->fd, self->pinned_kb);
}

/* ---- Scenario 7: nesting parents, nested HWPTs, their attachments ------- */

/*
 * Mocks 0, 1 and 3 sit behind the mock VT-d (3 in the group of 0), 2 behind
 * the mock SMMUv3; all with 20 bits of PASID and PASIDs 1 to S7_LAST allowed
 * paging and nested page tables.  IOAS k maps, at S7_GPA, a guest's memory:
 * a VT-d 4-level stage 1 that maps S7_S1_IOVA to the data page, filled with
 * the pattern of IOAS k.  Every nested VT-d HWPT uses that table, every
 * SMMUv3 one is a bypass STE: whatever a device or PASID is attached to,
 * its DMA reads one of the two patterns, or nothing.
 */
#define S7_MOCKS	4
#define S7_LAST		8
#define S7_GPA		IOVA_BASE
#define S7_PAGES	5	/* PML4, PDPT, PD, PT, data */
#define S7_DATA		(S7_GPA + 4 * SZ_4K)
#define S7_S1_IOVA	0x200000ULL	/* PML4[0] PDPT[0] PD[1] PT[0] */
#define S7_PTE		0x7ULL		/* P | R/W | U/S */

static const int errs_nest_alloc[] = { ENOENT, EINVAL, EOPNOTSUPP, 0 };
static const int errs_nest_attach[] = { ENOENT, EBUSY, EINVAL, EPERM,
					EOPNOTSUPP, EADDRINUSE, 0 };
static const int errs_invalidate[] = { ENOENT, EINVAL, EOPNOTSUPP, 0 };
static const int errs_nest_dma[] = { ENXIO, 0 };

/* 0: the mock VT-d, 1: the mock SMMUv3. */
static int s7_flavour(int i)
{
	return i == 2;
}

/* The invalidation format of flavour @f. */
static __u32 s7_inv_type(int f)
{
	return f ? IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3 :
		   IOASID_HWPT_INVALIDATE_DATA_VTD_S1;
}

/* Where a device of flavour @f attached to a @nested page table reads. */
static __u64 s7_iova(int f, bool nested)
{
	return nested && !f ? S7_S1_IOVA : S7_DATA;
}

static void s7_fill(struct stress *s, int k)
{
	__u64 *t = (__u64 *)((char *)s->buf + k * SZ_1M);

	memset(t, 0, 4 * SZ_4K);
	t[0] = (S7_GPA + 1 * SZ_4K) | S7_PTE;
	t[512] = (S7_GPA + 2 * SZ_4K) | S7_PTE;
	t[1024 + 1] = (S7_GPA + 3 * SZ_4K) | S7_PTE;
	t[1536] = S7_DATA | S7_PTE;
	memset((char *)t + 4 * SZ_4K, k ? S6_PATTERN1 : S6_PATTERN0, SZ_4K);
}

/* Record what this scenario made, for the report of what is left. */
static void s7_made(struct stress *s, __u32 id, unsigned char what)
{
	if (id < sizeof(s->made))
		__atomic_store_n(&s->made[id], what, __ATOMIC_RELAXED);
}

/* Every destroy of the scenario goes through here, and is counted. */
static int s7_destroy(struct stress *s, __u32 id)
{
	int rc;

	__atomic_add_fetch(&s->destroys_begun, 1, __ATOMIC_SEQ_CST);
	rc = destroy(s->fd, id);
	__atomic_add_fetch(&s->destroys_ended, 1, __ATOMIC_SEQ_CST);
	if (!rc)
		s7_made(s, id, 0);
	return rc;
}

/*
 * Whether, since @begun and @ended were read with no destroy under way,
 * the only destroy was the caller's own, just ended: then every object
 * that existed at that read still exists, but what the caller destroyed.
 */
static bool s7_quiet(struct stress *s, unsigned long begun,
		     unsigned long ended)
{
	return begun == ended &&
	       __atomic_load_n(&s->destroys_begun, __ATOMIC_SEQ_CST) ==
	       begun + 1 &&
	       __atomic_load_n(&s->destroys_ended, __ATOMIC_SEQ_CST) ==
	       ended + 1;
}

/* A new object with no slot to go to: destroy it, or count it lost. */
static void s7_drop(struct stress *s, __u32 id)
{
	if (s7_destroy(s, id))
		__atomic_fetch_add(&s->lost, 1, __ATOMIC_RELAXED);
}

static void s7_dma(struct stress *s, int i, __u32 pasid, __u64 *rng)
{
	int f = s7_flavour(i);
	unsigned char data[64];
	int rc, n;

	memset(data, 0, sizeof(data));
	rc = ioasid_mock_dma(s->fd, s->mock[i], pasid,
			     s7_iova(f, ioasid_rng_below(rng, 2)) +
			     ioasid_rng_below(rng, SZ_4K - 64), data,
			     sizeof(data), false);
	if (!CHECK(s, "TEST_MOCK_DMA", rc, errs_nest_dma))
		return;
	for (n = 0; n < 64; n++)
		if (data[n] != data[0])
			break;
	if (n < 64 || (data[0] != S6_PATTERN0 && data[0] != S6_PATTERN1))
		stress_report(s, "TEST_MOCK_DMA of mock %d PASID %u read 0x%x at byte %d",
			      i, pasid, data[n < 64 ? n : 0], n < 64 ? n : 0);
}

/*
 * GET_PASID_INFO of mock @i's @pasid, under the bind lock so that the
 * device id is the mock's: 0, ENOENT when the mock is not bound, or the
 * errno of the call.
 */
static int s7_pasid_info(struct stress *s, int i, __u32 pasid,
			 struct ioasid_device_get_pasid_info *info)
{
	int rc = ENOENT;

	pthread_mutex_lock(&s->bind_lock);
	if (s->bound[i])
		rc = ioasid_pasid_info(s->fd, s->dev[i], pasid, info);
	pthread_mutex_unlock(&s->bind_lock);
	return rc;
}

/* What GET_PASID_INFO may report of mock @i, whatever the race. */
static void s7_info(struct stress *s, int i, __u32 pasid)
{
	struct ioasid_device_get_pasid_info info;
	bool att;
	int rc;

	rc = s7_pasid_info(s, i, pasid, &info);
	if (rc == ENOENT)
		return;
	if (!CHECK(s, "DEVICE_GET_PASID_INFO", rc, errs_none))
		return;
	att = info.out_flags & IOASID_PASID_INFO_ATTACHED;
	if (att != !!info.out_pt_id ||
	    (att && info.out_pt_kind != IOASID_PT_HWPT_PAGING &&
	     info.out_pt_kind != IOASID_PT_HWPT_NESTED) ||
	    (!att && info.out_pt_kind != IOASID_PT_NONE) ||
	    /* An SMMUv3 STE is never attached to a PASID. */
	    (pasid && s7_flavour(i) &&
	     info.out_pt_kind == IOASID_PT_HWPT_NESTED) ||
	    (!pasid && info.out_allowed != (IOASID_PASID_CFG_PAGING |
					    IOASID_PASID_CFG_NESTED)))
		stress_report(s, "GET_PASID_INFO of mock %d PASID %u: flags 0x%x allowed 0x%x kind %u pt %u",
			      i, pasid, info.out_flags, info.out_allowed,
			      info.out_pt_kind, info.out_pt_id);
}

static void s7_builder(struct stress *s, int tid, __u64 *rng)
{
	int f = ioasid_rng_below(rng, 2), k = ioasid_rng_below(rng, 2);
	int i = f ? 2 : (ioasid_rng_below(rng, 2) ? 0 : 1);
	__u64 *pslot = &s->parent[f][ioasid_rng_below(rng, 8)];
	__u64 *nslot = &s->nested[f][ioasid_rng_below(rng, 8)];
	__u64 pv = tslot_get(pslot), nv = tslot_get(nslot);
	__u32 parent = (__u32)pv, nested = (__u32)nv, id;
	unsigned long begun, ended;
	int rc;

	switch (ioasid_rng_below(rng, 6)) {
	case 0:
		if (parent)
			break;
		rc = ioasid_nest_parent_alloc(s->fd, id_get(&s->dev[i]),
					      s->ioas[k], true, &id);
		if (!CHECK(s, "HWPT_ALLOC nest parent", rc, errs_enoent))
			break;
		check_id(s, "HWPT_ALLOC nest parent", id);
		s7_made(s, id, 'p');
		if (!tslot_fill(s, pslot, id))
			s7_drop(s, id);
		break;
	case 1:
	case 2:
		if (nested || !parent)
			break;
		/* Before the allocation: see below. */
		begun = __atomic_load_n(&s->destroys_begun, __ATOMIC_SEQ_CST);
		ended = __atomic_load_n(&s->destroys_ended, __ATOMIC_SEQ_CST);
		rc = ioasid_nest_alloc_min(s->fd, id_get(&s->dev[i]), parent,
					   f, S7_GPA, &id);
		if (!CHECK(s, "HWPT_ALLOC nested", rc, errs_nest_alloc))
			break;
		check_id(s, "HWPT_ALLOC nested", id);
		s7_made(s, id, 'n');
		/*
		 * It holds its parent: a destroy of the parent fails.  Judged
		 * only when no other destroy ran since before the allocation:
		 * one of a stale id may have taken the new HWPT already.
		 */
		if (!ioasid_rng_below(rng, 2)) {
			rc = s7_destroy(s, parent);
			if (!rc) {
				tslot_clear(pslot, pv);
				if (s7_quiet(s, begun, ended))
					stress_report(s, "parent %u destroyed under its nested HWPT %u",
						      parent, id);
			} else if (rc != EBUSY && s7_quiet(s, begun, ended)) {
				stress_report(s, "IOASID_DESTROY of parent %u of %u: errno %d",
					      parent, id, rc);
			}
		}
		if (!tslot_fill(s, nslot, id))
			s7_drop(s, id);
		break;
	case 3:
		/* EBUSY while nested HWPTs hold it, or devices use it. */
		rc = s7_destroy(s, parent);
		if (CHECK(s, "IOASID_DESTROY parent", rc, errs_destroy) ||
		    rc == ENOENT)
			tslot_clear(pslot, pv);
		break;
	default:
		rc = s7_destroy(s, nested);
		if (CHECK(s, "IOASID_DESTROY nested", rc, errs_destroy) ||
		    rc == ENOENT)
			tslot_clear(nslot, nv);
		break;
	}
}

static void s7_attacher(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S7_MOCKS), f = s7_flavour(i);
	__u32 mock = s->mock[i], pasid = 1 + ioasid_rng_below(rng, S7_LAST);
	__u32 pt, hwpt;
	int rc;

	/* Mostly a nested HWPT of the device's IOMMU; else anything. */
	switch (ioasid_rng_below(rng, 8)) {
	case 0:
		pt = tslot_id(&s->parent[f][ioasid_rng_below(rng, 8)]);
		break;
	case 1:
		pt = id_get(&s->ioas[ioasid_rng_below(rng, 2)]);
		break;
	case 2:
		pt = tslot_id(&s->nested[!f][ioasid_rng_below(rng, 8)]);
		break;
	default:
		pt = tslot_id(&s->nested[f][ioasid_rng_below(rng, 8)]);
		break;
	}
	switch (ioasid_rng_below(rng, 8)) {
	case 0:
	case 1:
		rc = device_attach(s->fd, mock, pt, ioasid_rng_below(rng, 2),
				   &hwpt);
		if (CHECK(s, "TEST_DEVICE_ATTACH", rc, errs_nest_attach))
			check_id(s, "TEST_DEVICE_ATTACH", hwpt);
		break;
	case 2:
	case 3:
		rc = ioasid_pasid_attach(s->fd, mock, pasid, pt,
					 ioasid_rng_below(rng, 2), &hwpt);
		if (CHECK(s, "TEST_DEVICE_ATTACH pasid", rc, errs_nest_attach))
			check_id(s, "TEST_DEVICE_ATTACH pasid", hwpt);
		break;
	case 4:
		CHECK(s, "TEST_DEVICE_DETACH", device_detach(s->fd, mock),
		      errs_enoent);
		break;
	case 5:
		CHECK(s, "TEST_DEVICE_DETACH pasid",
		      ioasid_pasid_detach(s->fd, mock, pasid), errs_enoent);
		break;
	default:
		s7_info(s, i, ioasid_rng_below(rng, 2) ? pasid : 0);
		break;
	}
}

/* A batch of invalidations, with a bad entry now and then. */
static void s7_invalidate(struct stress *s, __u64 *rng)
{
	int f = ioasid_rng_below(rng, 2);
	__u32 hwpt = tslot_id(&s->nested[f][ioasid_rng_below(rng, 8)]);
	__u32 n = 1 + ioasid_rng_below(rng, 4), num = n, bad, j;
	struct ioasid_hwpt_vtd_s1_invalidate vtd[4];
	struct ioasid_hwpt_arm_smmuv3_invalidate cmd[4];
	static const __u8 ops[] = {
		IOASID_NEST_CMD_CFGI_CD, IOASID_NEST_CMD_CFGI_CD_ALL,
		IOASID_NEST_CMD_TLBI_NH_ALL, IOASID_NEST_CMD_TLBI_NH_ASID,
		IOASID_NEST_CMD_TLBI_NH_VA, IOASID_NEST_CMD_TLBI_NH_VAA,
	};
	int rc;

	bad = ioasid_rng_below(rng, 4) ? n : ioasid_rng_below(rng, n);
	for (j = 0; j < n; j++) {
		vtd[j] = (struct ioasid_hwpt_vtd_s1_invalidate) {
			.addr = S7_S1_IOVA,
			.npages = j == bad ? 0 : 1 + ioasid_rng_below(rng, 4),
		};
		cmd[j].cmd[0] = j == bad ? 0x46 :
				ops[ioasid_rng_below(rng, 6)];
		cmd[j].cmd[1] = 0;
	}
	if (f)
		rc = ioasid_nest_invalidate(s->fd, hwpt, s7_inv_type(f), cmd,
					    sizeof(cmd[0]), &num);
	else
		rc = ioasid_nest_invalidate(s->fd, hwpt, s7_inv_type(f), vtd,
					    sizeof(vtd[0]), &num);
	CHECK(s, "HWPT_INVALIDATE", rc, errs_invalidate);
	/*
	 * Whatever the id names now (destroyed, reused): all on success,
	 * none or those before the bad entry on failure, never a bad one.
	 */
	if ((!rc && (bad < n || num != n)) || (rc && num && num != bad))
		stress_report(s, "HWPT_INVALIDATE of %u entries, bad %u: errno %d, %u carried out",
			      n, bad, rc, num);
}

static void s7_user(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S7_MOCKS);
	__u32 pasid = 1 + ioasid_rng_below(rng, S7_LAST);

	switch (ioasid_rng_below(rng, 5)) {
	case 0:
	case 1:
		s7_invalidate(s, rng);
		break;
	case 2:
	case 3:
		s7_dma(s, i, ioasid_rng_below(rng, 2) ? pasid : 0, rng);
		break;
	default:
		s7_info(s, i, ioasid_rng_below(rng, 2) ? pasid : 0);
		break;
	}
}

static void s7_lifecycle(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S7_MOCKS);
	__u32 dev;
	int rc;

	switch (ioasid_rng_below(rng, 12)) {
	case 0:
		/* Its attachments go; the HWPTs made for it stay. */
		pthread_mutex_lock(&s->bind_lock);
		rc = ioasid_device_unbind(s->fd, s->mock[i]);
		if (!rc)
			s->bound[i] = false;
		pthread_mutex_unlock(&s->bind_lock);
		CHECK(s, "TEST_DEVICE_UNBIND", rc, errs_enoent);
		break;
	case 1:
		pthread_mutex_lock(&s->bind_lock);
		rc = ioasid_device_bind(s->fd, s->mock[i], &dev);
		if (!rc) {
			id_set(s, &s->dev[i], dev);
			s->bound[i] = true;
		}
		pthread_mutex_unlock(&s->bind_lock);
		if (!CHECK(s, "TEST_DEVICE_BIND", rc, errs_bind))
			break;
		CHECK(s, "TEST_DEVICE_ALLOW_PASID",
		      ioasid_allow_pasid(s->fd, s->mock[i], 1, S7_LAST,
					 IOASID_PASID_CFG_PAGING |
					 IOASID_PASID_CFG_NESTED),
		      errs_enoent);
		break;
	case 2:
		/* Paging only for a while: nested attachments there go. */
		CHECK(s, "TEST_DEVICE_ALLOW_PASID",
		      ioasid_allow_pasid(s->fd, s->mock[i], 1, S7_LAST / 2,
					 ioasid_rng_below(rng, 2) ?
					 IOASID_PASID_CFG_PAGING :
					 IOASID_PASID_CFG_PAGING |
					 IOASID_PASID_CFG_NESTED),
		      errs_enoent);
		break;
	case 3:
	case 4:
	case 5:
		s7_builder(s, tid, rng);
		break;
	default:
		s7_attacher(s, tid, rng);
		break;
	}
}

/*
 * Quiet now: every attachment the kernel reports translates as it says,
 * a nested one through the guest's table, and reads a pattern.
 */
static unsigned int s7_check(struct __test_metadata *_metadata,
			     struct stress *s)
{
	struct ioasid_device_get_pasid_info info;
	unsigned int checked[2] = {};
	unsigned char data[64];
	__u32 pasid, flags;
	int i, rc, f;

	for (i = 0; i < S7_MOCKS; i++) {
		f = s7_flavour(i);
		for (pasid = 0; pasid <= S7_LAST; pasid++) {
			bool nested;

			s7_info(s, i, pasid);
			if (s7_pasid_info(s, i, pasid, &info) ||
			    !(info.out_flags & IOASID_PASID_INFO_ATTACHED))
				continue;
			nested = info.out_pt_kind == IOASID_PT_HWPT_NESTED;
			checked[nested]++;
			EXPECT_EQ(0, ioasid_pasid_domain(s->fd, s->mock[i],
							 pasid, NULL, &flags));
			EXPECT_EQ(nested,
				  !!(flags & IOASID_TEST_DOMAIN_NESTED))
				TH_LOG("mock %d PASID %u", i, pasid);
			memset(data, 0, sizeof(data));
			rc = ioasid_mock_dma(s->fd, s->mock[i], pasid,
					     s7_iova(f, nested), data,
					     sizeof(data), false);
			EXPECT_EQ(0, rc)
				TH_LOG("mock %d PASID %u on %s HWPT %u", i,
				       pasid, nested ? "nested" : "paging",
				       info.out_pt_id);
			EXPECT_TRUE(!rc && (data[0] == S6_PATTERN0 ||
					    data[0] == S6_PATTERN1) &&
				    data[63] == data[0])
				TH_LOG("mock %d PASID %u read 0x%x", i, pasid,
				       data[0]);
		}
	}
	TH_LOG("nested: %u attachments to paging and %u to nested HWPTs translate as reported",
	       checked[0], checked[1]);
	return checked[1];
}

/*
 * Which of the paging HWPTs left are nesting parents (the threads made
 * those) and which are not (automatic HWPTs): a nested HWPT is tried on
 * each, for a device of each flavour, bound again for that.
 */
static void s7_probe_parents(struct __test_metadata *_metadata,
			     struct stress *s)
{
	__u32 max = __atomic_load_n(&s->max_id, __ATOMIC_RELAXED) + 8;
	__u32 dev[2], id, nested, num;
	int f, rc[2];

	if (ioasid_device_bind(s->fd, s->mock[0], &dev[0]))
		return;
	if (ioasid_device_bind(s->fd, s->mock[2], &dev[1])) {
		ioasid_device_unbind(s->fd, s->mock[0]);
		return;
	}
	for (id = 1; id <= max; id++) {
		num = 0;
		if (id == s->ioas[0] || id == s->ioas[1] ||
		    ioasid_nest_invalidate(s->fd, id, s7_inv_type(0), NULL,
					   24, &num) != EOPNOTSUPP)
			continue;
		for (f = 0; f < 2; f++) {
			rc[f] = ioasid_nest_alloc_min(s->fd, dev[f], id, f,
						      S7_GPA, &nested);
			if (!rc[f])
				s7_destroy(s, nested);
		}
		TH_LOG("nested: paging HWPT %u left: %s (%s, %s)", id,
		       !rc[0] || !rc[1] ? "a nesting parent" :
		       "not a nesting parent: an automatic HWPT",
		       strerror(rc[0]), strerror(rc[1]));
	}
	ioasid_device_unbind(s->fd, s->mock[0]);
	ioasid_device_unbind(s->fd, s->mock[2]);
}

/* Whether @id names a nested HWPT of flavour @f (a slot may be stale). */
static bool s7_is_nested(struct stress *s, int f, __u32 id)
{
	__u32 num = 0;

	return id && !ioasid_nest_invalidate(s->fd, id, s7_inv_type(f), NULL,
					     f ? 16 : 24, &num);
}

/* Attach mock @i's RID, or @pasid, to @pt; first out of its group's way. */
static int s7_attach(struct stress *s, int i, __u32 pasid, __u32 pt)
{
	/* Mock 3 shares the attachments of the group of mock 0. */
	if (i == 0) {
		if (pasid)
			ioasid_pasid_detach(s->fd, s->mock[3], pasid);
		else
			device_detach(s->fd, s->mock[3]);
	}
	if (pasid)
		return ioasid_pasid_attach(s->fd, s->mock[i], pasid, pt, true,
					   NULL);
	return device_attach(s->fd, s->mock[i], pt, true, &pt);
}

/*
 * After the race: every device bound again, its RID moved to a nested
 * HWPT that outlived the race (or, if none, a new one), and PASID 1 of
 * the VT-d ones too.  Returns how many were attached so.
 */
static unsigned int s7_settle(struct __test_metadata *_metadata,
			      struct stress *s)
{
	unsigned int attached = 0;
	int i, f, j, rc;
	__u32 pasid, id;

	for (i = 0; i < S7_MOCKS; i++) {
		if (!s->bound[i]) {
			ASSERT_EQ(0, ioasid_device_bind(s->fd, s->mock[i],
							&s->dev[i]));
			s->bound[i] = true;
		}
		/* A thread may have left the device with paging only. */
		ASSERT_EQ(0, ioasid_allow_pasid(s->fd, s->mock[i], 1, S7_LAST,
						IOASID_PASID_CFG_PAGING |
						IOASID_PASID_CFG_NESTED));
	}
	/* Mock 3 after mock 0: it joins the attachments of mock 0. */
	for (i = 0; i < S7_MOCKS; i++) {
		f = s7_flavour(i);
		for (pasid = 0; pasid <= (f ? 0 : 1); pasid++) {
			rc = ENOENT;
			for (j = 0; j < 8 && rc; j++) {
				id = tslot_id(&s->nested[f][j]);
				if (s7_is_nested(s, f, id))
					rc = s7_attach(s, i, pasid, id);
			}
			if (rc && !s->nested[f][8]) {
				ASSERT_EQ(0, ioasid_nest_parent_alloc(s->fd,
						s->dev[i], s->ioas[f], true,
						&id));
				ASSERT_TRUE(tslot_fill(s, &s->parent[f][8],
						       id));
				s7_made(s, id, 'p');
				ASSERT_EQ(0, ioasid_nest_alloc_min(s->fd,
						s->dev[i], id, f, S7_GPA,
						&id));
				ASSERT_TRUE(tslot_fill(s, &s->nested[f][8],
						       id));
				s7_made(s, id, 'n');
			}
			if (rc)
				rc = s7_attach(s, i, pasid,
					       tslot_id(&s->nested[f][8]));
			EXPECT_EQ(0, rc) TH_LOG("mock %d PASID %u", i, pasid);
			attached += !rc;
		}
	}
	return attached;
}

TEST_F_TIMEOUT(stress, nested, SCENARIO_TIMEOUT)
{
	struct stress *s = &self->s;
	unsigned long swept = 0, held = 0;
	int i, k, f, rc, round;
	unsigned int n;
	__u32 id;

	stress_init(_metadata, s, "nested");
	pthread_mutex_init(&s->bind_lock, NULL);
	{
		struct ioasid_info info = { .size = sizeof(info) };

		ASSERT_EQ(0, ioctl_err(self->fd, IOASID_GET_INFO, &info));
		if (!(info.features & IOASID_FEATURE_NESTING))
			SKIP(return, "kernel without IOASID_FEATURE_NESTING");
	}
	s->fd = self->fd;
	for (k = 0; k < 2; k++) {
		__u64 iova = S7_GPA;

		s7_fill(s, k);
		ASSERT_EQ(0, ioas_alloc(s->fd, &s->ioas[k]));
		id_set(s, &s->ioas[k], s->ioas[k]);
		ASSERT_EQ(0, ioas_map(s->fd, s->ioas[k],
				      (char *)s->buf + k * SZ_1M,
				      S7_PAGES * SZ_4K, &iova, true));
	}
	for (i = 0; i < S7_MOCKS; i++) {
		static const __u32 flags[S7_MOCKS] = {
			IOASID_TEST_MOCK_DEV_VTD | IOASID_TEST_MOCK_DEV_PASID,
			IOASID_TEST_MOCK_DEV_VTD | IOASID_TEST_MOCK_DEV_PASID,
			IOASID_TEST_MOCK_DEV_SMMUV3 |
			IOASID_TEST_MOCK_DEV_PASID,
			IOASID_TEST_MOCK_DEV_VTD | IOASID_TEST_MOCK_DEV_PASID |
			IOASID_TEST_MOCK_DEV_GROUP,
		};

		ASSERT_EQ(0, ioasid_mock_dev_add(s->fd, flags[i], s->mock[0],
						 0, &s->mock[i]));
		id_set(s, &s->mock[i], s->mock[i]);
		ASSERT_EQ(0, ioasid_device_bind(s->fd, s->mock[i], &s->dev[i]));
		id_set(s, &s->dev[i], s->dev[i]);
		s->bound[i] = true;
		ASSERT_EQ(0, ioasid_allow_pasid(s->fd, s->mock[i], 1, S7_LAST,
						IOASID_PASID_CFG_PAGING |
						IOASID_PASID_CFG_NESTED));
	}
	/* A parent and a nested HWPT of each flavour to start with. */
	for (f = 0; f < 2; f++) {
		__u32 parent, nested;

		ASSERT_EQ(0, ioasid_nest_parent_alloc(s->fd, s->dev[f ? 2 : 0],
						      s->ioas[f], true,
						      &parent));
		ASSERT_TRUE(tslot_fill(s, &s->parent[f][0], parent));
		ASSERT_EQ(0, ioasid_nest_alloc_min(s->fd, s->dev[f ? 2 : 0],
						   parent, f, S7_GPA, &nested));
		ASSERT_TRUE(tslot_fill(s, &s->nested[f][0], nested));
		s7_made(s, parent, 'p');
		s7_made(s, nested, 'n');
	}
	/* The tables are the guest's: the walk reads them as they are. */
	ASSERT_EQ(0, device_attach(s->fd, s->mock[0],
				   tslot_id(&s->nested[0][0]), false, &id));
	ASSERT_EQ(0, ioasid_mock_dma(s->fd, s->mock[0], 0, S7_S1_IOVA,
				     (char *)s->buf + SZ_1M + 5 * SZ_4K, 64,
				     false));
	EXPECT_EQ(S6_PATTERN0, ((unsigned char *)s->buf)[SZ_1M + 5 * SZ_4K]);

	s->fn[0] = s7_builder;
	s->fn[1] = s7_attacher;
	s->fn[2] = s7_user;
	s->fn[3] = s7_lifecycle;
	stress_run(_metadata, s, stress_seconds());
	/* What the race left, then what outlived it, attached again. */
	s7_check(_metadata, s);
	n = s7_settle(_metadata, s);
	EXPECT_LE(n, s7_check(_metadata, s));
	stress_summary(_metadata, s);

	/*
	 * Unbound, the devices hold nothing: the nested HWPTs go, then their
	 * parents, and then nothing holds the IOASes.
	 */
	for (i = 0; i < S7_MOCKS; i++) {
		rc = ioasid_device_unbind(s->fd, s->mock[i]);
		EXPECT_TRUE(!rc || rc == ENOENT);
	}
	for (round = 0; round < 3; round++) {
		for (f = 0; f < 2; f++) {
			for (i = 0; i < 9; i++) {
				id = tslot_id(&s->nested[f][i]);
				rc = id ? s7_destroy(s, id) : 0;
				if (!rc || rc == ENOENT)
					s->nested[f][i] = 0;
				else if (round == 2)
					TH_LOG("nested %u: %s", id,
					       strerror(rc));
			}
		}
		for (f = 0; f < 2; f++) {
			for (i = 0; i < 9; i++) {
				id = tslot_id(&s->parent[f][i]);
				rc = id ? s7_destroy(s, id) : 0;
				if (!rc || rc == ENOENT)
					s->parent[f][i] = 0;
				else if (round == 2)
					TH_LOG("parent %u: %s", id,
					       strerror(rc));
			}
		}
	}
	/*
	 * A parent still in its slot is held by a nested HWPT the threads lost
	 * track of: each such child holds one parent, so the sweep may take
	 * as many parents as there are lost objects, beside those objects.
	 */
	for (f = 0; f < 2; f++)
		for (i = 0; i < 9; i++)
			held += !!tslot_id(&s->parent[f][i]);
	for (k = 0; k < 2; k++) {
		rc = s7_destroy(s, s->ioas[k]);
		if (rc == EBUSY) {
			/*
			 * Held: by HWPTs the threads lost track of (allowed,
			 * counted), or by some the kernel kept (a leak).
			 */
			__u32 keep[S7_MOCKS + 3] = { s->ioas[0], s->ioas[1] };

			for (i = 0; i < S7_MOCKS; i++)
				keep[2 + i] = s->mock[i];
			s7_probe_parents(_metadata, s);
			for (id = 0; id < sizeof(s->made); id++)
				if (s->made[id])
					TH_LOG("nested: %u made (%c) and never destroyed",
					       id, s->made[id]);
			swept += sweep_objects(_metadata, s, keep);
			rc = s7_destroy(s, s->ioas[k]);
		}
		EXPECT_EQ(0, rc) TH_LOG("IOAS %d: %s", k, strerror(rc));
	}
	TH_LOG("nested: %lu objects lost by the races, %lu swept at the end, %lu of them parents those held",
	       s->lost, swept, held);
	EXPECT_GE(s->lost, held);
	ASSERT_GE(swept, held);
	EXPECT_GE(s->lost, swept - held);
	stress_close(_metadata, &self->fd, self->pinned_kb);
}

/* ---- Scenario 8: fault queues ------------------------------------------- */

/*
 * Threads race the allocation, destruction and closing of fault queues,
 * HWPTs allocated with them, their attachment to the RID and PASIDs of
 * PRI-capable mock devices, and the delivery and answering of page
 * requests: injected bursts, and DMA that waits for its answers.  The
 * queues' files are closed under the delivery; a queue's object goes when
 * no HWPT uses it.  At the end, once every attachment is gone, no request
 * of any device waits for an answer.
 */
#define S8_MOCKS	2
#define S8_QUEUES	4
#define S8_HWPTS	8
#define S8_LAST		4	/* PASIDs 1 to S8_LAST */
#define S8_SECONDS	15
#define S8_FAULT_IOVA	0x40000000ULL

static const int errs_s8_fault_alloc[] = { 0 };
/* A queue destroyed under the call. */
static const int errs_s8_respond[] = { ENOENT, ESRCH, 0 };
/* ETIMEDOUT: the answer came too late, or never (a queue nobody reads). */
static const int errs_s8_inject[] = { ETIMEDOUT, 0 };
static const int errs_s8_dma[] = { ENXIO, EACCES, ETIMEDOUT, 0 };
static const int errs_s8_read[] = { EAGAIN, 0 };
static const int errs_s8_write[] = { ESRCH, 0 };
/* EINVAL: a detach with nothing attached. */
static const int errs_s8_detach[] = { ENOENT, EINVAL, 0 };

/**
 * struct s8_queue - A fault queue of the scenario
 * @id: Its object id, 0 when the slot is free
 * @fd: Its file, -1 once closed
 */
struct s8_queue {
	__u32 id;
	int fd;
};

static struct {
	pthread_mutex_t lock;	/* @q */
	struct s8_queue q[S8_QUEUES];
	__u64 hwpt[S8_HWPTS];	/* tagged slots, see tslot_fill() */
	__u32 efd;
	unsigned long delivered, answered, injected;
} s8;

/* A queue id, and its file as a descriptor of the caller's own, or -1. */
static __u32 s8_queue_get(__u64 *rng, int *fd)
{
	struct s8_queue *q;
	__u32 id;

	pthread_mutex_lock(&s8.lock);
	q = &s8.q[ioasid_rng_below(rng, S8_QUEUES)];
	id = q->id;
	*fd = q->fd >= 0 ? fcntl(q->fd, F_DUPFD_CLOEXEC, 0) : -1;
	pthread_mutex_unlock(&s8.lock);
	return id;
}

/* Allocate, destroy, close: the queues' lifetimes. */
static void s8_queues(struct stress *s, int tid, __u64 *rng)
{
	int rc, k = ioasid_rng_below(rng, S8_QUEUES);
	struct ioasid_fault_queue_alloc c;
	struct s8_queue *q;
	bool placed;

	/* Mostly the queues live: records have time to arrive. */
	switch (ioasid_rng_below(rng, 16)) {
	case 0:
	case 1:
	case 2:
	case 3: {
		bool efd = ioasid_rng_below(rng, 2);

		rc = ioasid_fault_queue_alloc(s->fd, efd ?
					      IOASID_FAULT_QUEUE_EVENTFD : 0,
					      1U << ioasid_rng_below(rng, 7),
					      efd ? s8.efd : 0, &c);
		if (!stress_check(s, "fault queue alloc", rc,
				  errs_s8_fault_alloc))
			break;
		check_id(s, "fault queue alloc", c.out_fault_id);
		fcntl(c.out_fault_fd, F_SETFL, O_NONBLOCK);
		pthread_mutex_lock(&s8.lock);
		q = &s8.q[k];
		placed = !q->id && q->fd < 0;
		if (placed)
			*q = (struct s8_queue) { c.out_fault_id,
						 c.out_fault_fd };
		pthread_mutex_unlock(&s8.lock);
		if (placed)
			break;
		/* The slot is taken: this one goes at once. */
		close(c.out_fault_fd);
		stress_check(s, "destroy", destroy(s->fd, c.out_fault_id),
			     errs_destroy);
		break;
	}
	case 4: {
		/* The object, if no HWPT uses it. */
		__u32 id;

		pthread_mutex_lock(&s8.lock);
		id = s8.q[k].id;
		pthread_mutex_unlock(&s8.lock);
		if (!id)
			break;
		rc = destroy(s->fd, id);
		stress_check(s, "destroy", rc, errs_destroy);
		if (rc && rc != ENOENT)
			break;
		pthread_mutex_lock(&s8.lock);
		if (s8.q[k].id == id)
			s8.q[k].id = 0;
		pthread_mutex_unlock(&s8.lock);
		break;
	}
	case 5: {
		/*
		 * The file, under whatever is delivered to it; mostly once
		 * the object is gone (a closed file leaves a queue that HWPTs
		 * hold, to which records still go, unread).
		 */
		int fd = -1;

		pthread_mutex_lock(&s8.lock);
		if (!s8.q[k].id || !ioasid_rng_below(rng, 4)) {
			fd = s8.q[k].fd;
			s8.q[k].fd = -1;
		}
		pthread_mutex_unlock(&s8.lock);
		if (fd >= 0)
			close(fd);
		break;
	}
	default: {
		/* A look at a queue, which its file's close may race. */
		struct pollfd p = { .events = POLLIN };

		s8_queue_get(rng, &p.fd);
		if (p.fd < 0)
			break;
		if (poll(&p, 1, 0) < 0)
			stress_report(s, "poll of a fault queue: %s",
				      strerror(errno));
		close(p.fd);
		break;
	}
	}
}

/* HWPTs with a queue; their attachment to the RID and the PASIDs. */
static void s8_hwpts(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S8_MOCKS);
	int k = ioasid_rng_below(rng, S8_HWPTS);
	__u32 pasid = ioasid_rng_below(rng, S8_LAST + 1);
	__u64 v = tslot_get(&s8.hwpt[k]);
	__u32 id, hwpt;
	int fd, rc;

	/* Mostly attached: the requests have somewhere to go. */
	switch (ioasid_rng_below(rng, 8)) {
	case 0: {
		__u32 q = s8_queue_get(rng, &fd);

		if (fd >= 0)
			close(fd);
		rc = ioasid_hwpt_alloc_fault(s->fd, s->dev[i], s->ioas[0], q,
					     &id);
		if (!stress_check(s, "hwpt alloc", rc, errs_hwpt_alloc))
			break;
		check_id(s, "hwpt alloc", id);
		if (!tslot_fill(s, &s8.hwpt[k], id)) {
			rc = destroy(s->fd, id);
			if (stress_check(s, "destroy", rc, errs_destroy))
				break;
			__atomic_fetch_add(&s->lost, 1, __ATOMIC_RELAXED);
		}
		break;
	}
	case 1:
		id = (__u32)v;
		if (!id)
			break;
		rc = destroy(s->fd, id);
		stress_check(s, "destroy", rc, errs_destroy);
		if (!rc || rc == ENOENT)
			tslot_clear(&s8.hwpt[k], v);
		break;
	case 2:
	case 3:
	case 4:
	case 5:
		id = (__u32)v;
		if (!id)
			break;
		if (pasid)
			rc = ioasid_pasid_attach(s->fd, s->mock[i], pasid, id,
						 ioasid_rng_below(rng, 2),
						 NULL);
		else
			rc = device_attach(s->fd, s->mock[i], id,
					   ioasid_rng_below(rng, 2), &hwpt);
		stress_check(s, "attach", rc, errs_pasid_attach);
		break;
	case 6:
		if (pasid)
			rc = ioasid_pasid_detach(s->fd, s->mock[i], pasid);
		else
			rc = device_detach(s->fd, s->mock[i]);
		stress_check(s, "detach", rc, errs_s8_detach);
		break;
	default:
		break;
	}
}

/* Page requests: injected bursts, and DMA that waits for its answers. */
static void s8_inject(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, S8_MOCKS);
	__u32 pasid = ioasid_rng_below(rng, S8_LAST + 1);
	struct ioasid_test_iopf_inject c;
	struct ioasid_test_mock_dma d;
	__u8 buf[64];
	int rc;

	if (ioasid_rng_below(rng, 4)) {
		__u32 count = 1 + ioasid_rng_below(rng, 32);

		c = (struct ioasid_test_iopf_inject) {
			.size = sizeof(c),
			.flags = pasid ? IOASID_TEST_IOPF_PASID : 0,
			.dev_id = s->mock[i],
			.pasid = pasid,
			.addr = S8_FAULT_IOVA +
				ioasid_rng_below(rng, 1024) * SZ_4K,
			.count = count,
			.group_size = 1 + ioasid_rng_below(rng, count < 4 ?
							     count : 4),
			.perm = IOASID_FAULT_PERM_READ,
		};
		if (!ioasid_rng_below(rng, 4)) {
			c.flags |= IOASID_TEST_IOPF_WAIT;
			c.timeout_ms = 20;
		}
		rc = ioctl_err(s->fd, IOASID_TEST_IOPF_INJECT, &c);
		if (stress_check(s, "iopf inject", rc, errs_s8_inject) &&
		    c.out_answered > (count + c.group_size - 1) / c.group_size)
			stress_report(s, "iopf inject: %u groups answered of %u",
				      c.out_answered, count);
		__atomic_fetch_add(&s8.injected, count, __ATOMIC_RELAXED);
		return;
	}
	d = (struct ioasid_test_mock_dma) {
		.size = sizeof(d),
		.flags = IOASID_TEST_MOCK_DMA_FAULT_WAIT |
			 (pasid ? IOASID_TEST_MOCK_DMA_PASID : 0),
		.dev_id = s->mock[i],
		.pasid = pasid,
		.iova = S8_FAULT_IOVA + ioasid_rng_below(rng, 1024) * SZ_4K,
		.length = sizeof(buf),
		.data = (uintptr_t)buf,
		.timeout_ms = 20,
	};
	rc = ioctl_err(s->fd, IOASID_TEST_MOCK_DMA, &d);
	stress_check(s, "mock dma", rc, errs_s8_dma);
}

/* Read what arrives, answer it; map and unmap the rings under it all. */
static void s8_respond(struct stress *s, int tid, __u64 *rng)
{
	struct ioasid_fault_queue_respond cmd = { .size = sizeof(cmd) };
	struct ioasid_fault_record r[16];
	int fd, rc, n, i;
	__u32 id;

	id = s8_queue_get(rng, &fd);
	if (fd < 0)
		return;
	switch (ioasid_rng_below(rng, 8)) {
	case 0: {
		/* The mapping outlives anything but its own munmap(). */
		struct ioasid_fault_ring *ring;

		ring = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			    fd, 0);
		if (ring == MAP_FAILED) {
			stress_report(s, "mmap of a fault queue: %s",
				      strerror(errno));
			break;
		}
		if (!ring->nr_entries || ring->nr_entries > 64)
			stress_report(s, "fault ring of %u entries",
				      ring->nr_entries);
		/* Nothing in the response ring: a commit of nothing. */
		cmd.fault_id = id;
		rc = ioctl_err(s->fd, IOASID_FAULT_QUEUE_RESPOND, &cmd);
		stress_check(s, "fault respond", rc, errs_s8_respond);
		munmap(ring, 4096);
		break;
	}
	default:
		n = read(fd, r, sizeof(r));
		rc = n < 0 ? errno : 0;
		if (!stress_check(s, "fault read", rc, errs_s8_read))
			break;
		if (n % sizeof(r[0])) {
			stress_report(s, "fault read: %d bytes", n);
			break;
		}
		n /= sizeof(r[0]);
		__atomic_fetch_add(&s8.delivered, n, __ATOMIC_RELAXED);
		for (i = 0; i < n; i++) {
			struct ioasid_fault_response resp = {
				.cookie = r[i].cookie,
				.code = ioasid_rng_below(rng, 3),
			};

			if (r[i].type != IOASID_FAULT_PAGE_REQ ||
			    !(r[i].flags & IOASID_FAULT_LAST_IN_GROUP))
				continue;
			rc = write(fd, &resp, sizeof(resp)) < 0 ? errno : 0;
			/* ESRCH: answered already by a detach. */
			if (stress_check(s, "fault write", rc, errs_s8_write))
				__atomic_fetch_add(&s8.answered, 1,
						   __ATOMIC_RELAXED);
		}
		break;
	}
	close(fd);
}

TEST_F_TIMEOUT(stress, fault_queues, SCENARIO_TIMEOUT)
{
	struct stress *s = &self->s;
	struct ioasid_test_iopf_stats st;
	unsigned int seconds = stress_seconds();
	__u64 iova = S8_FAULT_IOVA - SZ_1M;
	int i, k, rc;
	__u32 pasid;

	stress_init(_metadata, s, "fault_queues");
	{
		struct ioasid_info info = { .size = sizeof(info) };

		ASSERT_EQ(0, ioctl_err(self->fd, IOASID_GET_INFO, &info));
		if (!(info.features & IOASID_FEATURE_FAULT))
			SKIP(return, "kernel without IOASID_FEATURE_FAULT");
	}
	s->fd = self->fd;
	memset(&s8, 0, sizeof(s8));
	pthread_mutex_init(&s8.lock, NULL);
	for (k = 0; k < S8_QUEUES; k++)
		s8.q[k].fd = -1;
	s8.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, (int)s8.efd);
	ASSERT_EQ(0, ioas_alloc(s->fd, &s->ioas[0]));
	id_set(s, &s->ioas[0], s->ioas[0]);
	/* Mapped below the faulting addresses: those stay unmapped. */
	ASSERT_EQ(0, ioas_map(s->fd, s->ioas[0], s->buf, SZ_1M, &iova, true));
	for (i = 0; i < S8_MOCKS; i++) {
		ASSERT_EQ(0, ioasid_mock_dev_add(s->fd,
						 IOASID_TEST_MOCK_DEV_VTD |
						 IOASID_TEST_MOCK_DEV_PASID |
						 IOASID_TEST_MOCK_DEV_PRI, 0, 0,
						 &s->mock[i]));
		id_set(s, &s->mock[i], s->mock[i]);
		ASSERT_EQ(0, ioasid_device_bind(s->fd, s->mock[i], &s->dev[i]));
		id_set(s, &s->dev[i], s->dev[i]);
		ASSERT_EQ(0, ioasid_allow_pasid(s->fd, s->mock[i], 1, S8_LAST,
						IOASID_PASID_CFG_PAGING));
	}

	s->fn[0] = s8_queues;
	s->fn[1] = s8_hwpts;
	s->fn[2] = s8_inject;
	s->fn[3] = s8_respond;
	stress_run(_metadata, s, seconds < S8_SECONDS ? seconds : S8_SECONDS);
	TH_LOG("fault_queues: %lu requests injected, %lu records read, %lu groups answered",
	       s8.injected, s8.delivered, s8.answered);
	stress_summary(_metadata, s);

	/* With every attachment gone, nothing waits for an answer. */
	for (i = 0; i < S8_MOCKS; i++) {
		rc = device_detach(s->fd, s->mock[i]);
		EXPECT_TRUE(!rc || rc == EINVAL || rc == ENOENT)
			TH_LOG("detach: %s", strerror(rc));
		for (pasid = 1; pasid <= S8_LAST; pasid++) {
			rc = ioasid_pasid_detach(s->fd, s->mock[i], pasid);
			EXPECT_TRUE(!rc || rc == EINVAL || rc == ENOENT)
				TH_LOG("detach PASID %u: %s", pasid,
				       strerror(rc));
		}
		ASSERT_EQ(0, ioasid_iopf_stats(s->fd, s->mock[i], &st));
		EXPECT_EQ(0, st.out_pending)
			TH_LOG("mock %d: %u raised, %u pending, answered %u/%u/%u",
			       i, st.out_raised, st.out_pending, st.out_success,
			       st.out_invalid, st.out_failure);
		EXPECT_EQ(st.out_raised, st.out_success + st.out_invalid +
					 st.out_failure);
	}
	/* Then the HWPTs go, and with them every queue. */
	for (k = 0; k < S8_HWPTS; k++) {
		__u32 id = tslot_id(&s8.hwpt[k]);

		rc = id ? destroy(s->fd, id) : 0;
		EXPECT_TRUE(!rc || rc == ENOENT) TH_LOG("HWPT %u: %s", id,
							strerror(rc));
	}
	for (k = 0; k < S8_QUEUES; k++) {
		if (s8.q[k].id) {
			rc = destroy(s->fd, s8.q[k].id);
			EXPECT_TRUE(!rc || rc == ENOENT)
				TH_LOG("queue %u: %s", s8.q[k].id,
				       strerror(rc));
		}
		if (s8.q[k].fd >= 0)
			close(s8.q[k].fd);
	}
	close(s8.efd);
	stress_close(_metadata, &self->fd, self->pinned_kb);
}

/* ---- Scenario 9: vhost-vdpa bound to the context ------------------------ */

/*
 * A vdpa_sim_net device's vhost-vdpa file is bound to the context and
 * unbound, its data ASID attached to one of two IOASes, moved between them
 * and detached, its kept ASID tried, while the IOASes are mapped, unmapped,
 * destroyed and made again, and the vhost-vdpa file is closed and opened
 * again (which unbinds).  Each attachment mirrors its IOAS: every map and
 * unmap reaches its callbacks.  The file is swapped under a lock that the
 * vhost-vdpa calls hold, so that no call reaches a reused descriptor.
 *
 * The same runs on a device of the test IOMMU's vDPA parent, behind the
 * test IOMMU (stress.vdpa_iommu): there the bind takes the device's RID
 * from vhost-vdpa's own domain, the attachments are IOMMU attachments,
 * and the device's DMA engine reads the slots meanwhile: a read either
 * finds no translation or returns the bytes of the slot.
 */
struct s9 {
	char path[300];
	const char *name;
	bool iommu;
	int family;
	int vfd;
	pthread_rwlock_t lock;	/* write: @vfd is being swapped */
	unsigned long binds, attaches, reopens, dmas;
};

static struct s9 s9;

static const int errs_vdpa_bind[] = { EBUSY, 0 };
static const int errs_vdpa_attach[] = { EINVAL, ENOENT, EPERM, 0 };
static const int errs_vdpa_detach[] = { EINVAL, EPERM, 0 };
static const int errs_vdpa_dma[] = { ENXIO, 0 };

/* The device of the test IOMMU's vDPA parent reads part of a slot. */
static void s9_dma(struct stress *s, __u64 *rng)
{
	int k = ioasid_rng_below(rng, 8);
	__u32 off = ioasid_rng_below(rng, SLOT_LEN - IOASID_TEST_VDPA_BUF);
	__u8 buf[IOASID_TEST_VDPA_BUF];
	int rc;

	rc = vdpa_mock_dma(s9.vfd, IOASID_TEST_VDPA_DMA_READ,
			   slot_iova(k) + off, buf, sizeof(buf), NULL);
	if (!CHECK(s, "vDPA DMA", rc, errs_vdpa_dma) || rc)
		return;
	__atomic_fetch_add(&s9.dmas, 1, __ATOMIC_RELAXED);
	/* Both IOASes map slot k to the same memory. */
	if (memcmp(buf, slot_va(s, k) + off, sizeof(buf)))
		stress_report(s, "vDPA DMA read other bytes than slot %d's", k);
}

static void s9_binder(struct stress *s, int tid, __u64 *rng)
{
	__u32 dev_id;
	int rc;

	pthread_rwlock_rdlock(&s9.lock);
	if (ioasid_rng_below(rng, 3)) {
		rc = vdpa_bind(s9.vfd, s->fd, &dev_id);
		if (CHECK(s, "VHOST_VDPA_BIND_IOASID", rc, errs_vdpa_bind)) {
			__atomic_fetch_add(&s9.binds, 1, __ATOMIC_RELAXED);
			/* The policy: ASID 0 handed, ASID 1 kept. */
			if (ioasid_pasid_flags(s->fd, dev_id, 2) &
			    IOASID_PASID_INFO_ATTACHED)
				stress_report(s, "the kept ASID is attached");
		}
	} else {
		CHECK(s, "VHOST_VDPA_UNBIND_IOASID", vdpa_unbind(s9.vfd),
		      errs_einval);
	}
	pthread_rwlock_unlock(&s9.lock);
}

static void s9_attacher(struct stress *s, int tid, __u64 *rng)
{
	__u32 asid = ioasid_rng_below(rng, 8) ? 0 : 1;
	__u32 ioas = id_get(&s->ioas[ioasid_rng_below(rng, 2)]);
	int rc;

	pthread_rwlock_rdlock(&s9.lock);
	if (s9.iommu && !ioasid_rng_below(rng, 3)) {
		s9_dma(s, rng);
	} else if (ioasid_rng_below(rng, 4)) {
		rc = vdpa_attach(s9.vfd, asid, ioas);
		if (CHECK(s, "VHOST_VDPA_ATTACH_IOASID", rc,
			  errs_vdpa_attach))
			__atomic_fetch_add(&s9.attaches, 1, __ATOMIC_RELAXED);
		if (!rc && asid)
			stress_report(s, "the kept ASID was attached");
	} else {
		CHECK(s, "VHOST_VDPA_DETACH_IOASID", vdpa_detach(s9.vfd, asid),
		      errs_vdpa_detach);
	}
	pthread_rwlock_unlock(&s9.lock);
}

static void s9_mapper(struct stress *s, int tid, __u64 *rng)
{
	int i = ioasid_rng_below(rng, 2), k = ioasid_rng_below(rng, 8);
	__u32 ioas = id_get(&s->ioas[i]), id;
	int rc;

	switch (ioasid_rng_below(rng, 8)) {
	case 0:
		/* An attached IOAS is held: EBUSY. */
		rc = destroy(s->fd, ioas);
		if (!CHECK(s, "IOASID_DESTROY ioas", rc, errs_destroy) ||
		    rc == ENOENT)
			break;
		if (CHECK(s, "IOAS_ALLOC", ioas_alloc(s->fd, &id), errs_none) &&
		    !id_replace(s, &s->ioas[i], ioas, id))
			destroy(s->fd, id);
		break;
	case 1:
	case 2:
		op_unmap_slots(s, s->fd, ioas, k, 1 + ioasid_rng_below(rng, 2));
		break;
	default:
		op_map_slot(s, s->fd, ioas, k);
		break;
	}
}

static void s9_lifecycle(struct stress *s, int tid, __u64 *rng)
{
	int fd;

	if (ioasid_rng_below(rng, 4)) {
		s9_attacher(s, tid, rng);
		return;
	}
	/* Closing the file resets the device, then detaches and unbinds. */
	pthread_rwlock_wrlock(&s9.lock);
	close(s9.vfd);
	fd = vdpa_test_open(s9.path);
	if (fd < 0)
		stress_report(s, "reopen %s: %s", s9.path, strerror(-fd));
	s9.vfd = fd;
	pthread_rwlock_unlock(&s9.lock);
	__atomic_fetch_add(&s9.reopens, 1, __ATOMIC_RELAXED);
}

static void s9_run(struct __test_metadata *_metadata,
		   FIXTURE_DATA(stress) *self, const char *mgmtdev)
{
	static const unsigned char mac[ETH_ALEN] = { 2, 0x5a, 0xa5, 0, 0, 9 };
	struct stress *s = &self->s;
	pthread_rwlockattr_t attr;
	__u32 dev_id;
	int i, k, rc;

	s9.iommu = !strcmp(mgmtdev, IOASID_TEST_VDPA_MGMTDEV);
	s9.name = s9.iommu ? "vdpa-ioasid-st-iommu" : "vdpa-ioasid-st";
	rc = vdpa_test_dev_create_on(mgmtdev, s9.name, s9.iommu ? NULL : mac,
				     &s9.family, s9.path, sizeof(s9.path));
	if (rc)
		SKIP(return, "no %s device: %s", mgmtdev, strerror(-rc));
	s9.vfd = vdpa_test_open(s9.path);
	ASSERT_LE(0, s9.vfd);
	if (vhost_ioasid_missing(vdpa_bind(s9.vfd, -1, NULL))) {
		close(s9.vfd);
		vdpa_dev_del(s9.family, s9.name);
		SKIP(return, "no VHOST_VDPA_BIND_IOASID in this kernel");
	}
	/* The swap must not starve behind the calls. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s9.lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	stress_init(_metadata, s, s9.iommu ? "vdpa_iommu" : "vdpa");
	s->fd = self->fd;
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ioas_alloc(s->fd, &s->ioas[i]));
		id_set(s, &s->ioas[i], s->ioas[i]);
		for (k = 0; k < 8; k += 2)
			op_map_slot(s, s->fd, s->ioas[i], k);
	}
	/* Bound and attached from the start: the first unmaps mirror. */
	ASSERT_EQ(0, vdpa_bind(s9.vfd, s->fd, &dev_id));
	ASSERT_EQ(0, vdpa_attach(s9.vfd, 0, s->ioas[0]));
	s->fn[0] = s9_binder;
	s->fn[1] = s9_attacher;
	s->fn[2] = s9_mapper;
	s->fn[3] = s9_lifecycle;
	stress_run(_metadata, s, stress_seconds());
	stress_summary(_metadata, s);
	TH_LOG("%s: %lu binds, %lu attaches, %lu reopens, %lu DMAs", s9.name,
	       s9.binds, s9.attaches, s9.reopens, s9.dmas);
	if (s9.iommu)
		EXPECT_LT(0, s9.dmas);

	/* Unbound, the device holds nothing: both IOASes go. */
	if (s9.vfd >= 0)
		EXPECT_EQ(0, close(s9.vfd));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, destroy(s->fd, s->ioas[i]));
	pthread_rwlock_destroy(&s9.lock);
	EXPECT_EQ(0, vdpa_dev_del(s9.family, s9.name));
	stress_close(_metadata, &self->fd, self->pinned_kb);
}

TEST_F_TIMEOUT(stress, vdpa, SCENARIO_TIMEOUT)
{
	s9_run(_metadata, self, VDPA_MGMTDEV);
}

TEST_F_TIMEOUT(stress, vdpa_iommu, SCENARIO_TIMEOUT)
{
	s9_run(_metadata, self, IOASID_TEST_VDPA_MGMTDEV);
}

/*
 * IOASID_STRESS_ONLY=name,name runs only those scenarios, as -t would;
 * arguments on the command line take precedence.
 */
int main(int argc, char **argv)
{
	const char *only = getenv("IOASID_STRESS_ONLY");
	char *list, *name, *args[64];
	int n = 0;

	/* One seed for the run: each scenario runs in a child of this. */
	base_seed();
	if (argc > 1 || !only || !*only)
		return test_harness_run(argc, argv);
	list = strdup(only);
	args[n++] = argv[0];
	for (name = strtok(list, ","); name && n < 62;
	     name = strtok(NULL, ",")) {
		args[n++] = "-t";
		args[n++] = name;
	}
	args[n] = NULL;
	return test_harness_run(n, args);
}
