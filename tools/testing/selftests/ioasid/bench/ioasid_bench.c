// SPDX-License-Identifier: GPL-2.0-only
/*
 * Map and unmap throughput of /dev/ioasid, compared with iommufd, VFIO
 * type1 and the floor every such API stands on: pinning the pages
 * (pin_user_pages() with FOLL_LONGTERM, timed by CONFIG_GUP_TEST's
 * PIN_LONGTERM_BENCHMARK); and, in the mock guest, the round trip and the
 * rate of I/O page faults through /dev/ioasid's fault queues (the mapped
 * ring, and read()/write()) and iommufd's fault fd (see "page faults"
 * below); and, for information, packets per second through a vdpa_sim_net
 * device whose data address space is mapped by vhost-vdpa's IOTLB or by
 * an IOAS of /dev/ioasid (see "vDPA" below).
 *
 * Two sets of APIs, one per guest (-m):
 *
 * mock: /dev/ioasid and iommufd each on an IOAS with a mock paging domain
 *   of its test driver attached, so that a map goes through iommu_map() as
 *   it would with a real device; /dev/ioasid also on an IOAS without a
 *   domain ("domain": "none": pinning and bookkeeping alone, which tells
 *   the domain's share); and the gup pin floor.  For each buffer the APIs
 *   take turns, round by round.
 *
 * vtd: /dev/ioasid, iommufd and VFIO type1 on the same real VT-d paging
 *   domain type: QEMU's edu PCI device (1234:11e8) behind the emulated
 *   intel-iommu, bound to vfio-pci.  Only one of them can own the device,
 *   so for each buffer each API in turn binds it, maps and unmaps the
 *   buffer once untimed -- making the edu DMA through the mapping and
 *   checking the data, which proves the domain translates, and again after
 *   the unmap, where it must not arrive -- then RUNS times timed, and lets
 *   the device go (every file closed).  The order rotates by buffer.
 *
 * For each buffer size and backing (4 KiB pages, THP, 2 MiB hugetlbfs) one
 * buffer is allocated and faulted in; every API maps and unmaps it (gup
 * pins and unpins it) once untimed and RUNS times timed.  Each ioctl is
 * timed with CLOCK_MONOTONIC; gup_test times the pinning itself, in
 * microseconds.
 *
 * Every line for the host starts with "ioasid-bench: " and is one JSON
 * object ("result" for map and unmap, "fault" for the page fault figures,
 * "vdpa" for the packets per second);
 * vm/bench_report.py reads them from the guest console.  Any
 * failure prints an object of type "error" and exits 1.  Not a selftest:
 * `make bench` builds it and runs it in guests of its own.
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/ioasid.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <linux/vfio_ioasid.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../../../../../drivers/iommu/ioasid/ioasid_test.h"
#include "../../../../../drivers/iommu/iommufd/iommufd_test.h"
#include "../../../../../mm/gup_test.h"
#include "../edu.h"
#include "../ioasid_vdpa.h"

#define PFX		"ioasid-bench: "
#define SZ_4K		0x1000ULL
#define SZ_2M		0x200000ULL
#define SZ_1M		0x100000ULL
/*
 * Inside both mock domains' apertures and VT-d's, below its interrupt
 * window, and aligned for any IOPTE size.
 */
#define BENCH_IOVA	(1ULL << 30)
#define MAX_RUNS	101
#define FOLL_WRITE_FLAG	0x1	/* FOLL_WRITE in include/linux/mm_types.h */

enum backing { BACKING_4K, BACKING_THP, BACKING_HUGETLB, NR_BACKINGS };
static const char *const backing_name[NR_BACKINGS] = { "4k", "thp", "hugetlb" };

/*
 * What is measured: the API as results name it, the domain the mappings go
 * into, and the name -a selects it by.
 */
enum api {
	API_GUP, API_IOASID, API_IOASID_NODOM, API_IOMMUFD,
	API_IOASID_VTD, API_IOMMUFD_VTD, API_TYPE1_VTD, NR_APIS
};
static const struct {
	const char *api;
	const char *domain;
	const char *option;
} api_desc[NR_APIS] = {
	[API_GUP] = { "gup", "none", "gup" },
	[API_IOASID] = { "ioasid", "mock", "ioasid" },
	[API_IOASID_NODOM] = { "ioasid", "none", "ioasid-nodomain" },
	[API_IOMMUFD] = { "iommufd", "mock", "iommufd" },
	[API_IOASID_VTD] = { "ioasid", "vtd", "ioasid-vtd" },
	[API_IOMMUFD_VTD] = { "iommufd", "vtd", "iommufd-vtd" },
	[API_TYPE1_VTD] = { "type1", "vtd", "type1-vtd" },
};
static const char *api_option[NR_APIS];

static bool is_vtd(enum api api)
{
	return api >= API_IOASID_VTD;
}

/* -m: the guest's role, and the APIs it measures unless -a says. */
enum mode { MODE_MOCK, MODE_VTD, NR_MODES };
static const char *const mode_name[NR_MODES] = { "mock", "vtd" };

static int runs = 7;
static enum mode mode = MODE_MOCK;
static bool want_api[NR_APIS];
static bool want_backing[NR_BACKINGS] = { true, true, true };
static unsigned long long sizes[8] = { 64 * SZ_1M, 512 * SZ_1M };
static int nr_sizes = 2;
static int nr_results;

/* ---- output ------------------------------------------------------------ */

/* Print @s as a JSON string. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void emit_msg(const char *type, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	printf(PFX "{\"type\": \"%s\", \"msg\": ", type);
	json_str(msg);
	printf("}\n");
	fflush(stdout);
}

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit_msg("note", fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit_msg("error", fmt, ap);
	va_end(ap);
	exit(1);
}

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg))
		die("%s: %s (errno %d)", what, strerror(errno), errno);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime: %s", strerror(errno));
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- /proc and /sys ---------------------------------------------------- */

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v;

	if (!f)
		die("open %s: %s", path, strerror(errno));
	if (fscanf(f, "%ld", &v) != 1)
		die("read %s: no number", path);
	fclose(f);
	return v;
}

static void write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die("open %s: %s", path, strerror(errno));
	if (fprintf(f, "%ld\n", v) < 0 || fclose(f))
		die("write %s: %s", path, strerror(errno));
}

/* A "Key:   N kB" field of /proc/meminfo. */
static long meminfo(const char *key)
{
	char line[256], k[64];
	FILE *f = fopen("/proc/meminfo", "r");
	long v = -1, n;

	if (!f)
		die("open /proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %ld", k, &n) == 2 && !strcmp(k, key)) {
			v = n;
			break;
		}
	fclose(f);
	if (v < 0)
		die("/proc/meminfo has no %s", key);
	return v;
}

/* A "Key:   N kB" field of the /proc/self/smaps entry of the VMA at @va. */
static long smaps_kb(void *va, const char *key)
{
	unsigned long start, end, addr = (unsigned long)va;
	char line[512], k[64];
	bool in = false;
	long v = -1, n;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		die("open /proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			if (in)
				break;
			in = start <= addr && addr < end;
			continue;
		}
		if (in && sscanf(line, "%63[^:]: %ld", k, &n) == 2 &&
		    !strcmp(k, key)) {
			v = n;
			break;
		}
	}
	fclose(f);
	if (v < 0)
		die("/proc/self/smaps: no %s for the VMA at %p", key, va);
	return v;
}

/* ---- buffers ----------------------------------------------------------- */

struct buffer {
	enum backing backing;
	void *va;
	size_t len;
};

static void ensure_hugetlb_pages(size_t len)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	long want = len / SZ_2M;

	if (meminfo("Hugepagesize") != 2048)
		die("the default huge page size is %ld kB, not 2048 kB",
		    meminfo("Hugepagesize"));
	if (meminfo("HugePages_Free") < want) {
		write_long(nr, read_long(nr) + want - meminfo("HugePages_Free"));
		if (meminfo("HugePages_Free") < want)
			die("%ld free 2 MiB huge pages, %ld needed (%s is %ld)",
			    meminfo("HugePages_Free"), want, nr, read_long(nr));
	}
}

static void thp_check_enabled(void)
{
	const char *path = "/sys/kernel/mm/transparent_hugepage/enabled";
	char line[128] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		die("open %s: %s (kernel without THP?)", path, strerror(errno));
	if (!fgets(line, sizeof(line), f))
		die("read %s: empty", path);
	fclose(f);
	if (!strstr(line, "[always]") && !strstr(line, "[madvise]"))
		die("THP is off (%s: %s)", path, line);
}

static void *map_anon(size_t len, int extra_flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);

	if (p == MAP_FAILED)
		die("mmap of %zu bytes: %s", len, strerror(errno));
	return p;
}

/* Allocate @len bytes with @backing and fault every page in. */
static void buffer_alloc(struct buffer *b, enum backing backing, size_t len)
{
	unsigned long head, p;
	long kb = len / 1024;

	b->backing = backing;
	b->len = len;
	switch (backing) {
	case BACKING_4K:
		b->va = map_anon(len, 0);
		if (madvise(b->va, len, MADV_NOHUGEPAGE))
			die("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
		break;
	case BACKING_THP:
		thp_check_enabled();
		/* Map 2 MiB more, keep the aligned middle. */
		p = (unsigned long)map_anon(len + SZ_2M, 0);
		head = ((p + SZ_2M - 1) & ~(SZ_2M - 1)) - p;
		if (head && munmap((void *)p, head))
			die("munmap: %s", strerror(errno));
		if (munmap((void *)(p + head + len), SZ_2M - head))
			die("munmap: %s", strerror(errno));
		b->va = (void *)(p + head);
		if (madvise(b->va, len, MADV_HUGEPAGE))
			die("madvise(MADV_HUGEPAGE): %s", strerror(errno));
		break;
	case BACKING_HUGETLB:
		ensure_hugetlb_pages(len);
		b->va = map_anon(len, MAP_HUGETLB);
		break;
	default:
		die("unknown backing %d", backing);
	}

	/* Pre-fault: every API below pins pages that are present. */
	memset(b->va, 0x5a, len);

	/* Check that the backing is what it claims to be. */
	switch (backing) {
	case BACKING_4K:
		if (smaps_kb(b->va, "Rss") != kb ||
		    smaps_kb(b->va, "AnonHugePages") != 0)
			die("4k buffer: Rss %ld kB, AnonHugePages %ld kB, expected %ld and 0",
			    smaps_kb(b->va, "Rss"),
			    smaps_kb(b->va, "AnonHugePages"), kb);
		break;
	case BACKING_THP:
		if (smaps_kb(b->va, "AnonHugePages") != kb)
			die("thp buffer: AnonHugePages %ld kB of %ld kB; not all of it got huge pages",
			    smaps_kb(b->va, "AnonHugePages"), kb);
		break;
	case BACKING_HUGETLB:
		if (smaps_kb(b->va, "KernelPageSize") != 2048 ||
		    smaps_kb(b->va, "Private_Hugetlb") != kb)
			die("hugetlb buffer: KernelPageSize %ld kB, Private_Hugetlb %ld kB of %ld kB",
			    smaps_kb(b->va, "KernelPageSize"),
			    smaps_kb(b->va, "Private_Hugetlb"), kb);
		break;
	default:
		break;
	}
}

static void buffer_free(struct buffer *b)
{
	if (munmap(b->va, b->len))
		die("munmap: %s", strerror(errno));
	b->va = NULL;
}

/* ---- the APIs ---------------------------------------------------------- */

struct ioasid_side {
	int fd;
	__u32 ioas_id;
	__u32 dev_id;
	__u32 domain_id;
	__u32 bare_ioas_id;	/* no domain attached */
};

struct iommufd_side {
	int fd;
	__u32 ioas_id;
	__u32 hwpt_id;
};

static struct ioasid_side ioasid;
static struct iommufd_side iommufd;
static int gup_fd = -1;

static void ioasid_setup(void)
{
	struct ioasid_info info = { .size = sizeof(info) };
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_test_mock_dev_add dev = { .size = sizeof(dev) };
	struct ioasid_test_mock_domain_alloc dom = { .size = sizeof(dom) };
	struct ioasid_test_ioas_attach attach = { .size = sizeof(attach) };
	const __u64 need = IOASID_FEATURE_IOAS | IOASID_FEATURE_TEST;

	ioasid.fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (ioasid.fd < 0)
		die("open /dev/ioasid: %s", strerror(errno));
	xioctl(ioasid.fd, IOASID_GET_INFO, &info, "IOASID_GET_INFO");
	if ((info.features & need) != need)
		die("/dev/ioasid features 0x%llx lack IOAS or TEST (CONFIG_IOASID_TEST)",
		    (unsigned long long)info.features);
	xioctl(ioasid.fd, IOASID_IOAS_ALLOC, &alloc, "IOASID_IOAS_ALLOC");
	ioasid.ioas_id = alloc.out_ioas_id;
	alloc.out_ioas_id = 0;
	xioctl(ioasid.fd, IOASID_IOAS_ALLOC, &alloc, "IOASID_IOAS_ALLOC");
	ioasid.bare_ioas_id = alloc.out_ioas_id;
	xioctl(ioasid.fd, IOASID_TEST_MOCK_DEV_ADD, &dev,
	       "IOASID_TEST_MOCK_DEV_ADD");
	ioasid.dev_id = dev.out_dev_id;
	dom.dev_id = ioasid.dev_id;
	xioctl(ioasid.fd, IOASID_TEST_MOCK_DOMAIN_ALLOC, &dom,
	       "IOASID_TEST_MOCK_DOMAIN_ALLOC");
	ioasid.domain_id = dom.out_domain_id;
	attach.domain_id = ioasid.domain_id;
	attach.ioas_id = ioasid.ioas_id;
	xioctl(ioasid.fd, IOASID_TEST_IOAS_ATTACH, &attach,
	       "IOASID_TEST_IOAS_ATTACH");
}

static void ioasid_map(int fd, __u32 ioas_id, struct buffer *b)
{
	struct ioasid_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ |
			 IOASID_IOAS_MAP_WRITE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)b->va,
		.length = b->len,
		.iova = BENCH_IOVA,
	};

	xioctl(fd, IOASID_IOAS_MAP, &cmd, "IOASID_IOAS_MAP");
	if (cmd.iova != BENCH_IOVA)
		die("IOASID_IOAS_MAP moved a fixed IOVA to 0x%llx",
		    (unsigned long long)cmd.iova);
}

static void ioasid_unmap(int fd, __u32 ioas_id, struct buffer *b)
{
	struct ioasid_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = BENCH_IOVA,
		.length = b->len,
	};

	xioctl(fd, IOASID_IOAS_UNMAP, &cmd, "IOASID_IOAS_UNMAP");
	if (cmd.out_unmapped != b->len)
		die("IOASID_IOAS_UNMAP unmapped %llu of %zu bytes",
		    (unsigned long long)cmd.out_unmapped, b->len);
}

/* The mock domain's IOPTE count while @b is mapped; checks its bytes. */
static unsigned long long ioasid_domain_ioptes(struct buffer *b)
{
	struct ioasid_test_domain_info info = {
		.size = sizeof(info),
		.domain_id = ioasid.domain_id,
	};

	xioctl(ioasid.fd, IOASID_TEST_DOMAIN_INFO, &info,
	       "IOASID_TEST_DOMAIN_INFO");
	if (info.out_mapped_bytes != b->len)
		die("the mock domain translates %llu bytes, %zu mapped",
		    (unsigned long long)info.out_mapped_bytes, b->len);
	return info.out_nr_ioptes;
}

/* Whether the Intel IOMMU driver registered DMAR units. */
static bool have_vtd(void)
{
	glob_t g;
	bool found;

	found = !glob("/sys/class/iommu/dmar*", GLOB_NOSORT, NULL, &g);
	if (found)
		globfree(&g);
	return found;
}

/*
 * Returns false, with the reason printed, if iommufd's mock domain cannot
 * be had because VT-d is present; any other failure is fatal.
 *
 * iommufd's mock devices have no fwspec, so the IOMMU core probes them with
 * the first IOMMU registered without a fwnode: VT-d's, registered at boot.
 * It finds no DMAR unit for them and refuses; the device is left without
 * an IOMMU and iommufd_device_bind() fails its IOMMU_CAP_CACHE_COHERENCY
 * check with EINVAL.  See the README's Benchmark section.
 */
static bool iommufd_setup(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};

	iommufd.fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd.fd < 0)
		die("open /dev/iommu: %s", strerror(errno));
	xioctl(iommufd.fd, IOMMU_IOAS_ALLOC, &alloc, "IOMMU_IOAS_ALLOC");
	iommufd.ioas_id = alloc.out_ioas_id;
	mock.id = iommufd.ioas_id;
	if (ioctl(iommufd.fd, IOMMU_TEST_CMD, &mock)) {
		char msg[512];
		int err = errno;

		if (!have_vtd())
			die("IOMMU_TEST_CMD(IOMMU_TEST_OP_MOCK_DOMAIN): %s (errno %d)",
			    strerror(err), err);
		snprintf(msg, sizeof(msg),
			 "IOMMU_TEST_OP_MOCK_DOMAIN failed with %s (errno %d) while VT-d is present: iommufd's mock device has no fwspec, so the IOMMU core probes it with VT-d's ops, which refuse it, and the device has no IOMMU; the mock guest of make bench (no VT-d) measures iommufd",
			 strerror(err), err);
		printf(PFX "{\"type\": \"skip\", \"api\": \"iommufd\", \"msg\": ");
		json_str(msg);
		printf("}\n");
		fflush(stdout);
		close(iommufd.fd);
		iommufd.fd = -1;
		return false;
	}
	iommufd.hwpt_id = mock.mock_domain.out_hwpt_id;
	return true;
}

static void iommufd_map(int fd, __u32 ioas_id, struct buffer *b)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)b->va,
		.length = b->len,
		.iova = BENCH_IOVA,
	};

	xioctl(fd, IOMMU_IOAS_MAP, &cmd, "IOMMU_IOAS_MAP");
}

static void iommufd_unmap(int fd, __u32 ioas_id, struct buffer *b)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = BENCH_IOVA,
		.length = b->len,
	};

	xioctl(fd, IOMMU_IOAS_UNMAP, &cmd, "IOMMU_IOAS_UNMAP");
	if (cmd.length != b->len)
		die("IOMMU_IOAS_UNMAP unmapped %llu of %zu bytes",
		    (unsigned long long)cmd.length, b->len);
}

static void gup_setup(void)
{
	const char *path = "/sys/kernel/debug/gup_test";

	gup_fd = open(path, O_RDWR | O_CLOEXEC);
	if (gup_fd < 0)
		die("open %s: %s (CONFIG_GUP_TEST, debugfs mounted?)", path,
		    strerror(errno));
}

/* Pin and unpin @b once; returns the pinning time in ns. */
static unsigned long long gup_pin(struct buffer *b)
{
	struct gup_test cmd = {
		.addr = (uintptr_t)b->va,
		.size = b->len,
		.nr_pages_per_call = b->len / SZ_4K,
		.gup_flags = FOLL_WRITE_FLAG,
	};

	xioctl(gup_fd, PIN_LONGTERM_BENCHMARK, &cmd,
	       "gup_test PIN_LONGTERM_BENCHMARK");
	if (cmd.size != b->len)
		die("PIN_LONGTERM_BENCHMARK pinned %llu of %zu bytes",
		    (unsigned long long)cmd.size, b->len);
	return cmd.get_delta_usec * 1000ULL;
}

/* ---- the VT-d domain: QEMU's edu device through VFIO --------------------- */

/* The edu device: its PCI address, VFIO cdev and VFIO group nodes. */
static struct {
	char bdf[NAME_MAX + 1];
	char cdev[PATH_MAX];
	char group[PATH_MAX];
} edu;

/* One API owning the edu: every file it holds, the IOAS, BAR0. */
struct vtd_session {
	enum api api;
	int ctx_fd;		/* /dev/ioasid, /dev/iommu or the container */
	int group_fd;		/* type1 only */
	int dev_fd;		/* the cdev file, or the group's device file */
	__u32 ioas_id;
	__u32 pt_id;		/* the HWPT the device was attached to */
	volatile void *bar;
	size_t bar_size;
};

/* Find the edu, bind it to vfio-pci, and find its VFIO nodes. */
static void edu_setup(void)
{
	int rc;

	if (!edu_find(edu.bdf, sizeof(edu.bdf)))
		die("no edu device (1234:11e8): QEMU started without -device edu");
	rc = edu_vfio_group(edu.bdf, edu.group, sizeof(edu.group));
	if (rc)
		die("edu %s has no IOMMU group: %s", edu.bdf, strerror(-rc));
	rc = edu_bind_vfio_pci(edu.bdf);
	if (rc)
		die("binding edu %s to vfio-pci: %s", edu.bdf, strerror(-rc));
	rc = edu_vfio_cdev(edu.bdf, edu.cdev, sizeof(edu.cdev));
	if (rc)
		die("edu %s has no VFIO cdev: %s (no CONFIG_VFIO_DEVICE_CDEV?)",
		    edu.bdf, strerror(-rc));
	note("edu %s bound to vfio-pci: cdev %s, group %s", edu.bdf, edu.cdev,
	     edu.group);
}

static int xopen(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s (errno %d)", path, strerror(errno), errno);
	return fd;
}

static void vtd_open_ioasid(struct vtd_session *s)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_ioasid bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_ioasid_pt attach = { .argsz = sizeof(attach) };

	s->ctx_fd = xopen("/dev/ioasid");
	s->dev_fd = xopen(edu.cdev);
	bind.ioasid_fd = s->ctx_fd;
	xioctl(s->dev_fd, VFIO_DEVICE_BIND_IOASID, &bind,
	       "VFIO_DEVICE_BIND_IOASID");
	xioctl(s->ctx_fd, IOASID_IOAS_ALLOC, &alloc, "IOASID_IOAS_ALLOC");
	s->ioas_id = alloc.out_ioas_id;
	attach.pt_id = s->ioas_id;
	xioctl(s->dev_fd, VFIO_DEVICE_ATTACH_IOASID_PT, &attach,
	       "VFIO_DEVICE_ATTACH_IOASID_PT");
	s->pt_id = attach.pt_id;
}

static void vtd_open_iommufd(struct vtd_session *s)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };

	s->ctx_fd = xopen("/dev/iommu");
	s->dev_fd = xopen(edu.cdev);
	bind.iommufd = s->ctx_fd;
	xioctl(s->dev_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind,
	       "VFIO_DEVICE_BIND_IOMMUFD");
	xioctl(s->ctx_fd, IOMMU_IOAS_ALLOC, &alloc, "IOMMU_IOAS_ALLOC");
	s->ioas_id = alloc.out_ioas_id;
	attach.pt_id = s->ioas_id;
	xioctl(s->dev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach,
	       "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	s->pt_id = attach.pt_id;
}

static void vtd_open_type1(struct vtd_session *s)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int rc;

	s->group_fd = xopen(edu.group);
	xioctl(s->group_fd, VFIO_GROUP_GET_STATUS, &status,
	       "VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("VFIO group %s is not viable (a device of the group is not bound to vfio-pci)",
		    edu.group);
	s->ctx_fd = xopen("/dev/vfio/vfio");
	rc = ioctl(s->ctx_fd, VFIO_GET_API_VERSION);
	if (rc != VFIO_API_VERSION)
		die("VFIO_GET_API_VERSION: %d, expected %d", rc,
		    VFIO_API_VERSION);
	if (ioctl(s->ctx_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		die("the VFIO container lacks VFIO_TYPE1v2_IOMMU");
	xioctl(s->group_fd, VFIO_GROUP_SET_CONTAINER, &s->ctx_fd,
	       "VFIO_GROUP_SET_CONTAINER");
	if (ioctl(s->ctx_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU): %s (errno %d)",
		    strerror(errno), errno);
	s->dev_fd = ioctl(s->group_fd, VFIO_GROUP_GET_DEVICE_FD, edu.bdf);
	if (s->dev_fd < 0)
		die("VFIO_GROUP_GET_DEVICE_FD(%s): %s (errno %d)", edu.bdf,
		    strerror(errno), errno);
}

/* Map BAR0, check the edu's identification, turn on bus mastering. */
static void vtd_enable_edu(struct vtd_session *s)
{
	struct vfio_region_info bar0 = {
		.argsz = sizeof(bar0),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	void *p;
	__u32 id;

	xioctl(s->dev_fd, VFIO_DEVICE_GET_REGION_INFO, &bar0,
	       "VFIO_DEVICE_GET_REGION_INFO(BAR0)");
	if (!(bar0.flags & VFIO_REGION_INFO_FLAG_MMAP))
		die("edu BAR0 cannot be mmapped (flags 0x%x)", bar0.flags);
	p = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 s->dev_fd, bar0.offset);
	if (p == MAP_FAILED)
		die("mmap of edu BAR0: %s", strerror(errno));
	s->bar = p;
	s->bar_size = bar0.size;

	xioctl(s->dev_fd, VFIO_DEVICE_GET_REGION_INFO, &cfg,
	       "VFIO_DEVICE_GET_REGION_INFO(config)");
	if (edu_set_bus_master(s->dev_fd, cfg.offset, true))
		die("access to the edu's PCI command register: %s",
		    strerror(errno));
	id = edu_read32(s->bar, EDU_ID);
	if ((id & 0xff) != 0xed)
		die("edu identification register reads 0x%08x", id);
}

/* Set @api up on the edu. */
static void vtd_open(struct vtd_session *s, enum api api)
{
	memset(s, 0, sizeof(*s));
	s->api = api;
	s->ctx_fd = -1;
	s->group_fd = -1;
	s->dev_fd = -1;
	switch (api) {
	case API_IOASID_VTD:
		vtd_open_ioasid(s);
		break;
	case API_IOMMUFD_VTD:
		vtd_open_iommufd(s);
		break;
	case API_TYPE1_VTD:
		vtd_open_type1(s);
		break;
	default:
		die("%s is no VT-d API", api_option[api]);
	}
	vtd_enable_edu(s);
}

/* Let the device go: every file closed, the device file first. */
static void vtd_close(struct vtd_session *s)
{
	if (s->bar && munmap((void *)s->bar, s->bar_size))
		die("munmap of edu BAR0: %s", strerror(errno));
	if (close(s->dev_fd))
		die("close of the edu device file: %s", strerror(errno));
	if (s->group_fd >= 0 && close(s->group_fd))
		die("close of %s: %s", edu.group, strerror(errno));
	if (close(s->ctx_fd))
		die("close of the %s file: %s", api_desc[s->api].api,
		    strerror(errno));
	s->bar = NULL;
}

static void type1_map(int fd, struct buffer *b)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)b->va,
		.iova = BENCH_IOVA,
		.size = b->len,
	};

	xioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd, "VFIO_IOMMU_MAP_DMA");
}

static void type1_unmap(int fd, struct buffer *b)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd),
		.iova = BENCH_IOVA,
		.size = b->len,
	};

	xioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd, "VFIO_IOMMU_UNMAP_DMA");
	if (cmd.size != b->len)
		die("VFIO_IOMMU_UNMAP_DMA unmapped %llu of %zu bytes",
		    (unsigned long long)cmd.size, b->len);
}

static void vtd_map(struct vtd_session *s, struct buffer *b)
{
	switch (s->api) {
	case API_IOASID_VTD:
		ioasid_map(s->ctx_fd, s->ioas_id, b);
		break;
	case API_IOMMUFD_VTD:
		iommufd_map(s->ctx_fd, s->ioas_id, b);
		break;
	default:
		type1_map(s->ctx_fd, b);
		break;
	}
}

static void vtd_unmap(struct vtd_session *s, struct buffer *b)
{
	switch (s->api) {
	case API_IOASID_VTD:
		ioasid_unmap(s->ctx_fd, s->ioas_id, b);
		break;
	case API_IOMMUFD_VTD:
		iommufd_unmap(s->ctx_fd, s->ioas_id, b);
		break;
	default:
		type1_unmap(s->ctx_fd, b);
		break;
	}
}

/* One edu DMA of EDU_LEN bytes between @iova and the device buffer. */
static void vtd_edu_dma(struct vtd_session *s, __u64 iova, bool to_ram)
{
	if (edu_dma(s->bar, iova, EDU_LEN, to_ram))
		die("%s: edu DMA %s IOVA 0x%llx did not complete in 10 s",
		    api_option[s->api], to_ram ? "to" : "from",
		    (unsigned long long)iova);
}

/*
 * With @b mapped at BENCH_IOVA: the edu copies the start of the buffer's
 * first page into its own buffer and from there into the buffer's last
 * page, both through the IOMMU.  The data arriving proves the domain
 * translates the range; a DMA the IOMMU refuses completes too, without the
 * data.
 */
static void vtd_check_dma(struct vtd_session *s, struct buffer *b)
{
	/* A new pattern each time: the edu's buffer holds the last one. */
	static unsigned char seed = 0x5b;
	__u64 last = b->len - SZ_4K;
	unsigned char *src = b->va, *dst = (unsigned char *)b->va + last;
	size_t i;

	seed += 0x25;
	for (i = 0; i < SZ_4K; i++) {
		src[i] = (unsigned char)(seed + i * 7);
		dst[i] = 0;
	}
	vtd_edu_dma(s, BENCH_IOVA, false);
	vtd_edu_dma(s, BENCH_IOVA + last, true);
	for (i = 0; i < EDU_LEN; i++)
		if (dst[i] != (unsigned char)(seed + i * 7))
			die("%s: edu DMA through the mapping did not arrive: byte %zu of the last page is 0x%02x, expected 0x%02x",
			    api_option[s->api], i, dst[i],
			    (unsigned char)(seed + i * 7));
}

/*
 * After vtd_check_dma() and the unmap of @b: the edu's DMA into the
 * buffer's last page must not arrive.  QEMU's VT-d caches translations,
 * so this also checks that the unmap invalidated the IOTLB.
 */
static void vtd_check_blocked(struct vtd_session *s, struct buffer *b)
{
	struct timespec settle = { .tv_nsec = 200 * 1000 * 1000 };
	__u64 last = b->len - SZ_4K;
	unsigned char *dst = (unsigned char *)b->va + last;
	size_t i;

	memset(dst, 0, SZ_4K);
	vtd_edu_dma(s, BENCH_IOVA + last, true);
	/* Let the kernel log the DMAR fault before we print on the console. */
	nanosleep(&settle, NULL);
	for (i = 0; i < SZ_4K; i++)
		if (dst[i])
			die("%s: edu DMA into IOVA 0x%llx arrived after the unmap: byte %zu is 0x%02x",
			    api_option[s->api],
			    (unsigned long long)(BENCH_IOVA + last), i, dst[i]);
	note("%s: edu DMA through the VT-d domain checked on the %s buffer: IOVA 0x%llx -> device -> IOVA 0x%llx arrives while mapped, not after the unmap",
	     api_option[s->api], backing_name[b->backing],
	     (unsigned long long)BENCH_IOVA,
	     (unsigned long long)(BENCH_IOVA + last));
}

/* ---- measuring --------------------------------------------------------- */

enum { OP_MAP, OP_UNMAP, NR_OPS };

struct samples {
	unsigned long long ns[NR_OPS][MAX_RUNS];
};

/* One round of @api on @b: fills @t[OP_MAP] and @t[OP_UNMAP] (gup: pin). */
static void one_round(enum api api, struct buffer *b, unsigned long long *t)
{
	unsigned long long t0;
	__u32 ioas_id;

	switch (api) {
	case API_GUP:
		t[OP_MAP] = gup_pin(b);
		t[OP_UNMAP] = 0;
		break;
	case API_IOASID:
	case API_IOASID_NODOM:
		ioas_id = api == API_IOASID ? ioasid.ioas_id :
					      ioasid.bare_ioas_id;
		t0 = now_ns();
		ioasid_map(ioasid.fd, ioas_id, b);
		t[OP_MAP] = now_ns() - t0;
		t0 = now_ns();
		ioasid_unmap(ioasid.fd, ioas_id, b);
		t[OP_UNMAP] = now_ns() - t0;
		break;
	case API_IOMMUFD:
		t0 = now_ns();
		iommufd_map(iommufd.fd, iommufd.ioas_id, b);
		t[OP_MAP] = now_ns() - t0;
		t0 = now_ns();
		iommufd_unmap(iommufd.fd, iommufd.ioas_id, b);
		t[OP_UNMAP] = now_ns() - t0;
		break;
	default:
		die("unknown api %d", api);
	}
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static void emit_result(enum api api, const char *op, struct buffer *b,
			unsigned long long *ns, long long ioptes)
{
	unsigned long long sorted[MAX_RUNS], median;
	double pages = (double)b->len / SZ_4K;
	int i;

	memcpy(sorted, ns, runs * sizeof(*ns));
	qsort(sorted, runs, sizeof(*sorted), cmp_ull);
	median = runs % 2 ? sorted[runs / 2] :
		 (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
	printf(PFX "{\"type\": \"result\", \"api\": \"%s\", \"op\": \"%s\", "
	       "\"backing\": \"%s\", \"bytes\": %zu, \"ns_per_4k_page\": %.3f, "
	       "\"runs\": %d, \"domain\": \"%s\", \"median_ns\": %llu, "
	       "\"min_ns\": %llu, \"max_ns\": %llu, \"samples_ns\": [",
	       api_desc[api].api, op, backing_name[b->backing], b->len,
	       median / pages, runs, api_desc[api].domain, median,
	       sorted[0], sorted[runs - 1]);
	for (i = 0; i < runs; i++)
		printf("%s%llu", i ? ", " : "", ns[i]);
	printf("]");
	if (ioptes >= 0)
		printf(", \"ioptes\": %lld", ioptes);
	printf("}\n");
	fflush(stdout);
	nr_results++;
}

/*
 * The VT-d APIs one after the other on @b: each sets itself up on the
 * edu, maps, checks DMA and unmaps once untimed, runs its timed rounds
 * and lets the device go.  The order rotates from one buffer to the next,
 * so that no API always runs first after a buffer was faulted in.
 */
static void bench_vtd(struct buffer *b, struct samples *s)
{
	const int n = NR_APIS - API_IOASID_VTD;
	static int first;
	unsigned long long t0;
	struct vtd_session v;
	int i, j, r;

	for (j = 0; j < n; j++) {
		i = API_IOASID_VTD + (first + j) % n;
		if (!want_api[i])
			continue;
		vtd_open(&v, i);
		vtd_map(&v, b);
		vtd_check_dma(&v, b);
		vtd_unmap(&v, b);
		vtd_check_blocked(&v, b);
		for (r = 0; r < runs; r++) {
			t0 = now_ns();
			vtd_map(&v, b);
			s[i].ns[OP_MAP][r] = now_ns() - t0;
			t0 = now_ns();
			vtd_unmap(&v, b);
			s[i].ns[OP_UNMAP][r] = now_ns() - t0;
		}
		vtd_close(&v);
	}
	first++;
}

static void bench_buffer(enum backing backing, size_t len)
{
	static struct samples s[NR_APIS];
	unsigned long long t[NR_OPS];
	long long ioptes = -1;
	struct buffer b;
	int r, i;

	buffer_alloc(&b, backing, len);
	note("%s buffer of %zu MiB at %p faulted in", backing_name[backing],
	     len / SZ_1M, b.va);

	/* One untimed round each, and a look at the mock domain. */
	for (i = 0; i < NR_APIS; i++) {
		if (!want_api[i] || is_vtd(i))
			continue;
		if (i == API_IOASID) {
			ioasid_map(ioasid.fd, ioasid.ioas_id, &b);
			ioptes = ioasid_domain_ioptes(&b);
			ioasid_unmap(ioasid.fd, ioasid.ioas_id, &b);
		} else {
			one_round(i, &b, t);
		}
	}

	/*
	 * The APIs without a device take turns, starting with a different
	 * one each round.
	 */
	for (r = 0; r < runs; r++) {
		for (i = 0; i < API_IOASID_VTD; i++) {
			enum api api = (r + i) % API_IOASID_VTD;

			if (!want_api[api])
				continue;
			one_round(api, &b, t);
			s[api].ns[OP_MAP][r] = t[OP_MAP];
			s[api].ns[OP_UNMAP][r] = t[OP_UNMAP];
		}
	}

	bench_vtd(&b, s);

	for (i = 0; i < NR_APIS; i++) {
		if (!want_api[i])
			continue;
		if (i == API_GUP) {
			emit_result(i, "pin", &b, s[i].ns[OP_MAP], -1);
			continue;
		}
		emit_result(i, "map", &b, s[i].ns[OP_MAP],
			    i == API_IOASID ? ioptes : -1);
		emit_result(i, "unmap", &b, s[i].ns[OP_UNMAP], -1);
	}
	buffer_free(&b);
}

/* ---- page faults ------------------------------------------------------- */

/*
 * Page requests, mock guest only: a mock device that can raise them (PRI)
 * is attached to a nested HWPT that reports to a fault queue, as with
 * vSVA.  Three consumers:
 *
 * ioasid-ring: /dev/ioasid's queue mapped: read() of its eventfd, the
 *   records taken from the ring, the answers put in the response ring and
 *   committed with one IOASID_FAULT_QUEUE_RESPOND;
 * ioasid-rw: the same kind of queue through poll(), read() of the records
 *   and one write() of the answers;
 * iommufd: iommufd's fault fd on its own mock device (a nested HWPT of
 *   IOMMU_HWPT_DATA_SELFTEST with IOMMU_HWPT_FAULT_ID_VALID on a nesting
 *   parent), through poll(), read() and one write().
 *
 * Both are measured the same way, by one thread, from user space: the
 * device's part is one test ioctl per page request group (one request in
 * each, last-in-group) -- IOASID_TEST_IOPF_INJECT of one request, without
 * WAIT, and IOMMU_TEST_OP_TRIGGER_IOPF, which can raise no more -- each
 * going through iommu_report_device_fault() into the queue; then the
 * consumer waits for its notification once, takes the records and answers
 * them all with one call.  A round trip (fault_rtt) is one such cycle of
 * one request: from the trigger ioctl to the answer accepted, which for
 * /dev/ioasid means the mock device has its response (the mock IOMMU's
 * page_response() is called from the commit); iommufd's mock drops the
 * response in page_response(), so for it the end is the same call
 * returning.  The rate (fault_rate) is the same cycle with batches of 1,
 * 16 and 256 groups, run back to back for a fixed time: groups answered
 * per second.  The APIs take turns, in rounds, starting with a different
 * one each round, so that a slow spell of the host hits all of them.
 *
 * Besides, "fault_info" lines tell where the time goes (raising, and
 * handling: waiting, taking, answering); the floor of the trigger itself
 * (trigger_floor: the same ioctl on a second device of the same test
 * driver, whose request the IOMMU refuses before it reaches any queue,
 * the device's bookkeeping and the ioctl being all that is left); and, for
 * /dev/ioasid, the rate when the device raises a whole batch in one
 * IOASID_TEST_IOPF_INJECT (iommufd's trigger has no such form):
 * informational, not the figures.
 *
 * Every record is checked (kind, last-in-group, device, HWPT), and at the
 * end the mock device's counters: every group raised was answered with
 * success, none overflowed.
 */
enum fault_api { FAPI_RING, FAPI_RW, FAPI_IOMMUFD, NR_FAPIS };
static const char *const fault_api_name[NR_FAPIS] = {
	[FAPI_RING] = "ioasid-ring",
	[FAPI_RW] = "ioasid-rw",
	[FAPI_IOMMUFD] = "iommufd",
};

static const int fault_batches[] = { 1, 16, 256 };
#define NR_FAULT_BATCHES	((int)(sizeof(fault_batches) / sizeof(int)))
#define FAULT_BATCH_MAX		256
/* Ring entries: a whole batch fits, so that nothing ever overflows. */
#define FAULT_ENTRIES		1024
#define FAULT_ROUNDS		4
#define FAULT_WAIT_MS		10000
#define FAULT_MAX_SAMPLES	(1 << 18)
/*
 * The stage 1's input addresses that fault: FAULT_PAGES pages from
 * FAULT_ADDR, and a burst's further ones; and where the table sits.
 */
#define FAULT_ADDR		0x40000000ULL
#define FAULT_PAGES		512
#define FAULT_S1_GPA		(1ULL << 30)
#define FAULT_PERM		(IOASID_FAULT_PERM_READ | IOASID_FAULT_PERM_WRITE)

static double fault_seconds = 2;

/* One consumer and the device it answers. */
struct fault_side {
	enum fault_api api;
	int fd;			/* /dev/ioasid or /dev/iommu */
	int qfd;		/* the fault queue's file */
	int efd;		/* ioasid-ring: the eventfd */
	__u32 queue_id;
	__u32 trigger_id;	/* ioasid: mock device; iommufd: its idev */
	__u32 floor_id;		/* the same, of a device with no queue */
	__u32 dev_id;		/* the device, as the records name it */
	__u32 hwpt_id;		/* the nested HWPT with the queue */
	__u32 grpid;		/* iommufd: the next group index */
	unsigned long long raised;
	/* ioasid-ring */
	struct ioasid_fault_ring *ring;
	struct ioasid_fault_record *recs;
	struct ioasid_fault_response *resps;
	size_t map_size;
	__u32 rec_head;
	__u32 resp_tail;
	/* the stage-1 table page (ioasid) */
	void *s1;
	__u32 cookies[FAULT_BATCH_MAX];
};

static struct fault_side fault_sides[NR_FAPIS];

/* A fault queue of /dev/ioasid, with an eventfd and mapped for the ring. */
static void fault_queue_ioasid(struct fault_side *f)
{
	struct ioasid_fault_queue_alloc cmd = {
		.size = sizeof(cmd),
		.nr_entries = FAULT_ENTRIES,
	};
	void *p;

	f->efd = -1;
	if (f->api == FAPI_RING) {
		f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (f->efd < 0)
			die("eventfd: %s", strerror(errno));
		cmd.flags = IOASID_FAULT_QUEUE_EVENTFD;
		cmd.eventfd = f->efd;
	}
	xioctl(f->fd, IOASID_FAULT_QUEUE_ALLOC, &cmd,
	       "IOASID_FAULT_QUEUE_ALLOC");
	f->queue_id = cmd.out_fault_id;
	f->qfd = cmd.out_fault_fd;
	if (f->api != FAPI_RING)
		return;
	p = mmap(NULL, cmd.out_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 f->qfd, 0);
	if (p == MAP_FAILED)
		die("mmap of the fault queue (%llu bytes): %s",
		    (unsigned long long)cmd.out_mmap_size, strerror(errno));
	f->map_size = cmd.out_mmap_size;
	f->ring = p;
	f->recs = (void *)((char *)p + cmd.out_records_offset);
	f->resps = (void *)((char *)p + cmd.out_responses_offset);
	if (f->ring->nr_entries != FAULT_ENTRIES ||
	    f->ring->record_size != sizeof(struct ioasid_fault_record) ||
	    f->ring->response_size != sizeof(struct ioasid_fault_response))
		die("fault ring header: %u entries of %u and %u bytes, expected %u of %zu and %zu",
		    f->ring->nr_entries, f->ring->record_size,
		    f->ring->response_size, FAULT_ENTRIES,
		    sizeof(struct ioasid_fault_record),
		    sizeof(struct ioasid_fault_response));
	f->rec_head = f->ring->rec_tail;
	f->resp_tail = f->ring->resp_head;
}

/*
 * /dev/ioasid: a PRI-capable mock device behind the mock VT-d, bound; a
 * nesting parent on an IOAS that maps the page of an empty stage-1 table;
 * a nested HWPT of that table reporting to a new fault queue; the
 * device's RID attached to it.
 */
static void fault_setup_ioasid(struct fault_side *f)
{
	const __u64 need = IOASID_FEATURE_TEST | IOASID_FEATURE_NESTING |
			   IOASID_FEATURE_FAULT;
	struct ioasid_info info = { .size = sizeof(info) };
	struct ioasid_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct ioasid_test_mock_dev_add mock = {
		.size = sizeof(mock),
		.flags = IOASID_TEST_MOCK_DEV_PRI | IOASID_TEST_MOCK_DEV_VTD,
	};
	struct ioasid_test_device_bind bind = { .size = sizeof(bind) };
	struct ioasid_hwpt_alloc parent = {
		.size = sizeof(parent),
		.flags = IOASID_HWPT_ALLOC_NEST_PARENT,
	};
	struct ioasid_hwpt_vtd_s1 s1 = {
		.pgtbl_addr = FAULT_S1_GPA,
		.addr_width = 48,
	};
	struct ioasid_hwpt_alloc nested = {
		.size = sizeof(nested),
		.data_type = IOASID_HWPT_DATA_VTD_S1,
		.data_len = sizeof(s1),
		.data_uptr = (uintptr_t)&s1,
	};
	struct ioasid_test_device_attach attach = { .size = sizeof(attach) };
	struct ioasid_ioas_map map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ |
			 IOASID_IOAS_MAP_WRITE,
		.length = SZ_4K,
		.iova = FAULT_S1_GPA,
	};

	f->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		die("open /dev/ioasid: %s", strerror(errno));
	xioctl(f->fd, IOASID_GET_INFO, &info, "IOASID_GET_INFO");
	if ((info.features & need) != need)
		die("/dev/ioasid features 0x%llx lack TEST, NESTING or FAULT",
		    (unsigned long long)info.features);
	fault_queue_ioasid(f);

	/* An empty table: every stage-1 address is not present. */
	f->s1 = map_anon(SZ_4K, 0);
	memset(f->s1, 0, SZ_4K);
	xioctl(f->fd, IOASID_IOAS_ALLOC, &ioas, "IOASID_IOAS_ALLOC");
	map.ioas_id = ioas.out_ioas_id;
	map.user_va = (uintptr_t)f->s1;
	xioctl(f->fd, IOASID_IOAS_MAP, &map, "IOASID_IOAS_MAP");

	xioctl(f->fd, IOASID_TEST_MOCK_DEV_ADD, &mock,
	       "IOASID_TEST_MOCK_DEV_ADD(PRI)");
	f->trigger_id = mock.out_dev_id;
	bind.dev_id = f->trigger_id;
	xioctl(f->fd, IOASID_TEST_DEVICE_BIND, &bind,
	       "IOASID_TEST_DEVICE_BIND");
	f->dev_id = bind.out_device_id;

	parent.dev_id = f->dev_id;
	parent.pt_id = ioas.out_ioas_id;
	xioctl(f->fd, IOASID_HWPT_ALLOC, &parent,
	       "IOASID_HWPT_ALLOC(NEST_PARENT)");
	nested.dev_id = f->dev_id;
	nested.pt_id = parent.out_hwpt_id;
	nested.fault_id = f->queue_id;
	xioctl(f->fd, IOASID_HWPT_ALLOC, &nested,
	       "IOASID_HWPT_ALLOC(VTD_S1, fault_id)");
	f->hwpt_id = nested.out_hwpt_id;

	attach.dev_id = f->trigger_id;
	attach.pt_id = f->hwpt_id;
	xioctl(f->fd, IOASID_TEST_DEVICE_ATTACH, &attach,
	       "IOASID_TEST_DEVICE_ATTACH");

	/* Not bound: its requests are refused without a queue. */
	mock.flags = IOASID_TEST_MOCK_DEV_PRI;
	xioctl(f->fd, IOASID_TEST_MOCK_DEV_ADD, &mock,
	       "IOASID_TEST_MOCK_DEV_ADD(PRI)");
	f->floor_id = mock.out_dev_id;
}

/*
 * iommufd, as its selftest does: a mock device on a new IOAS, a nesting
 * parent HWPT, a fault queue, a nested HWPT reporting to it, and the
 * mock device moved onto that.
 */
static void fault_setup_iommufd(struct fault_side *f)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	struct iommu_hwpt_alloc parent = {
		.size = sizeof(parent),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
	};
	struct iommu_fault_alloc queue = { .size = sizeof(queue) };
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc nested = {
		.size = sizeof(nested),
		.flags = IOMMU_HWPT_FAULT_ID_VALID,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	struct iommu_test_cmd replace = {
		.size = sizeof(replace),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	};

	f->efd = -1;
	f->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		die("open /dev/iommu: %s", strerror(errno));
	xioctl(f->fd, IOMMU_IOAS_ALLOC, &ioas, "IOMMU_IOAS_ALLOC");
	mock.id = ioas.out_ioas_id;
	xioctl(f->fd, IOMMU_TEST_CMD, &mock,
	       "IOMMU_TEST_CMD(IOMMU_TEST_OP_MOCK_DOMAIN)");
	f->trigger_id = mock.mock_domain.out_idev_id;
	f->dev_id = f->trigger_id;

	parent.dev_id = f->dev_id;
	parent.pt_id = ioas.out_ioas_id;
	xioctl(f->fd, IOMMU_HWPT_ALLOC, &parent,
	       "IOMMU_HWPT_ALLOC(NEST_PARENT)");
	xioctl(f->fd, IOMMU_FAULT_QUEUE_ALLOC, &queue,
	       "IOMMU_FAULT_QUEUE_ALLOC");
	f->queue_id = queue.out_fault_id;
	f->qfd = queue.out_fault_fd;
	nested.dev_id = f->dev_id;
	nested.pt_id = parent.out_hwpt_id;
	nested.fault_id = f->queue_id;
	xioctl(f->fd, IOMMU_HWPT_ALLOC, &nested,
	       "IOMMU_HWPT_ALLOC(SELFTEST, FAULT_ID_VALID)");
	f->hwpt_id = nested.out_hwpt_id;

	replace.id = mock.mock_domain.out_stdev_id;
	replace.mock_domain_replace.pt_id = f->hwpt_id;
	xioctl(f->fd, IOMMU_TEST_CMD, &replace,
	       "IOMMU_TEST_CMD(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE)");

	/* On a paging HWPT: no fault handler, the core refuses. */
	mock.id = ioas.out_ioas_id;
	xioctl(f->fd, IOMMU_TEST_CMD, &mock,
	       "IOMMU_TEST_CMD(IOMMU_TEST_OP_MOCK_DOMAIN)");
	f->floor_id = mock.mock_domain.out_idev_id;
}

/*
 * The device raises @n page request groups of one request each: one test
 * ioctl per group, or with @burst (ioasid only) one for all of them.
 */
static void fault_raise(struct fault_side *f, int n, bool burst)
{
	struct ioasid_test_iopf_inject inject = {
		.size = sizeof(inject),
		.dev_id = f->trigger_id,
		.addr = FAULT_ADDR,
		.count = burst ? n : 1,
		.group_size = 1,
		.perm = FAULT_PERM,
	};
	struct iommu_test_cmd trigger = {
		.size = sizeof(trigger),
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.dev_id = f->trigger_id,
			.perm = IOMMU_PGFAULT_PERM_READ |
				IOMMU_PGFAULT_PERM_WRITE,
		},
	};
	int i;

	if (f->api != FAPI_IOMMUFD) {
		for (i = 0; i < (burst ? 1 : n); i++) {
			inject.addr = FAULT_ADDR +
				      (f->raised % FAULT_PAGES) * SZ_4K;
			if (ioctl(f->fd, IOASID_TEST_IOPF_INJECT, &inject))
				die("%s: IOASID_TEST_IOPF_INJECT: %s (errno %d)",
				    fault_api_name[f->api], strerror(errno),
				    errno);
			f->raised += inject.count;
		}
		return;
	}
	for (i = 0; i < n; i++) {
		/* PCI PRI's 9-bit group index; no PASID. */
		trigger.trigger_iopf.grpid = f->grpid++ % 512;
		trigger.trigger_iopf.addr = FAULT_ADDR +
					    (f->raised % FAULT_PAGES) * SZ_4K;
		if (ioctl(f->fd, IOMMU_TEST_CMD, &trigger))
			die("iommufd: IOMMU_TEST_OP_TRIGGER_IOPF: %s (errno %d)",
			    strerror(errno), errno);
		f->raised++;
	}
}

/* Wait at most FAULT_WAIT_MS for @fd to be readable. */
static void fault_poll(struct fault_side *f, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc = poll(&p, 1, FAULT_WAIT_MS);

	if (rc < 0)
		die("%s: poll: %s", fault_api_name[f->api], strerror(errno));
	if (!rc)
		die("%s: no fault record in %d ms (%llu raised)",
		    fault_api_name[f->api], FAULT_WAIT_MS, f->raised);
	if (p.revents & (POLLERR | POLLNVAL))
		die("%s: poll: revents 0x%x", fault_api_name[f->api],
		    p.revents);
}

static void fault_check_ioasid(struct fault_side *f,
			       const struct ioasid_fault_record *r)
{
	if (r->type != IOASID_FAULT_PAGE_REQ ||
	    !(r->flags & IOASID_FAULT_LAST_IN_GROUP) ||
	    (r->flags & IOASID_FAULT_PASID_VALID) || r->dev_id != f->dev_id ||
	    r->hwpt_id != f->hwpt_id || r->perm != FAULT_PERM ||
	    r->addr < FAULT_ADDR ||
	    r->addr >= FAULT_ADDR + (FAULT_PAGES + FAULT_BATCH_MAX) * SZ_4K)
		die("%s: record type %u flags 0x%x dev %u/%u hwpt %u/%u perm 0x%x at 0x%llx",
		    fault_api_name[f->api], r->type, r->flags, r->dev_id,
		    f->dev_id, r->hwpt_id, f->hwpt_id, r->perm,
		    (unsigned long long)r->addr);
}

/* ioasid-ring: the eventfd, then the records up to the kernel's tail. */
static void fault_take_ring(struct fault_side *f, int n)
{
	const __u32 mask = FAULT_ENTRIES - 1;
	bool notified = false;
	__u64 count;
	__u32 tail;
	int got = 0;

	while (got < n) {
		if (!notified) {
			/* What a consumer asleep on the eventfd does. */
			if (read(f->efd, &count, sizeof(count)) < 0 &&
			    errno != EAGAIN)
				die("ioasid-ring: read of the eventfd: %s",
				    strerror(errno));
			notified = true;
		}
		tail = __atomic_load_n(&f->ring->rec_tail, __ATOMIC_ACQUIRE);
		if (tail == f->rec_head) {
			/*
			 * Our rec_head is published: a record produced from
			 * now on finds the ring empty and signals.
			 */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__atomic_load_n(&f->ring->rec_tail,
					    __ATOMIC_ACQUIRE) == tail)
				fault_poll(f, f->efd);
			notified = false;
			continue;
		}
		if (tail - f->rec_head > FAULT_ENTRIES)
			die("ioasid-ring: rec_tail %u is %u records ahead of rec_head",
			    tail, tail - f->rec_head);
		while (f->rec_head != tail && got < n) {
			const struct ioasid_fault_record *r =
				&f->recs[f->rec_head & mask];

			fault_check_ioasid(f, r);
			f->cookies[got++] = r->cookie;
			f->rec_head++;
		}
		__atomic_store_n(&f->ring->rec_head, f->rec_head,
				 __ATOMIC_RELEASE);
	}
}

/* ioasid-rw and iommufd: poll(), then read() what there is. */
static void fault_take_fd(struct fault_side *f, int n)
{
	static struct ioasid_fault_record recs[FAULT_BATCH_MAX];
	static struct iommu_hwpt_pgfault pgf[FAULT_BATCH_MAX];
	size_t size = f->api == FAPI_IOMMUFD ? sizeof(pgf[0]) :
					       sizeof(recs[0]);
	void *buf = f->api == FAPI_IOMMUFD ? (void *)pgf : (void *)recs;
	ssize_t rc;
	int got = 0, i, k;

	while (got < n) {
		fault_poll(f, f->qfd);
		rc = read(f->qfd, buf, (n - got) * size);
		if (rc < 0 && errno == EAGAIN)
			continue;
		if (rc <= 0 || rc % size)
			die("%s: read of %zu bytes from the fault queue: %zd (%s)",
			    fault_api_name[f->api], (n - got) * size, rc,
			    rc < 0 ? strerror(errno) : "not whole records");
		k = rc / size;
		for (i = 0; i < k; i++) {
			if (f->api != FAPI_IOMMUFD) {
				fault_check_ioasid(f, &recs[i]);
				f->cookies[got++] = recs[i].cookie;
				continue;
			}
			if (!(pgf[i].flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE) ||
			    (pgf[i].flags & IOMMU_PGFAULT_FLAGS_PASID_VALID) ||
			    pgf[i].dev_id != f->dev_id)
				die("iommufd: unexpected record: flags 0x%x dev %u (expected %u)",
				    pgf[i].flags, pgf[i].dev_id, f->dev_id);
			f->cookies[got++] = pgf[i].cookie;
		}
	}
}

/* Answer the @n groups taken, with success, in one call. */
static void fault_respond(struct fault_side *f, int n)
{
	static struct ioasid_fault_response resps[FAULT_BATCH_MAX];
	static struct iommu_hwpt_page_response pgr[FAULT_BATCH_MAX];
	struct ioasid_fault_queue_respond cmd = {
		.size = sizeof(cmd),
		.fault_id = f->queue_id,
	};
	const __u32 mask = FAULT_ENTRIES - 1;
	size_t len;
	ssize_t rc;
	void *buf;
	int i;

	switch (f->api) {
	case FAPI_RING:
		for (i = 0; i < n; i++) {
			f->resps[(f->resp_tail + i) & mask].cookie =
				f->cookies[i];
			f->resps[(f->resp_tail + i) & mask].code =
				IOASID_FAULT_RESP_SUCCESS;
		}
		f->resp_tail += n;
		__atomic_store_n(&f->ring->resp_tail, f->resp_tail,
				 __ATOMIC_RELEASE);
		xioctl(f->fd, IOASID_FAULT_QUEUE_RESPOND, &cmd,
		       "IOASID_FAULT_QUEUE_RESPOND");
		if (cmd.out_done != (__u32)n)
			die("IOASID_FAULT_QUEUE_RESPOND carried out %u of %d responses",
			    cmd.out_done, n);
		return;
	case FAPI_RW:
		for (i = 0; i < n; i++)
			resps[i] = (struct ioasid_fault_response) {
				.cookie = f->cookies[i],
				.code = IOASID_FAULT_RESP_SUCCESS,
			};
		buf = resps;
		len = n * sizeof(resps[0]);
		break;
	default:
		for (i = 0; i < n; i++)
			pgr[i] = (struct iommu_hwpt_page_response) {
				.cookie = f->cookies[i],
				.code = IOMMUFD_PAGE_RESP_SUCCESS,
			};
		buf = pgr;
		len = n * sizeof(pgr[0]);
		break;
	}
	rc = write(f->qfd, buf, len);
	if (rc != (ssize_t)len)
		die("%s: write of %zu bytes of responses: %zd (%s)",
		    fault_api_name[f->api], len, rc,
		    rc < 0 ? strerror(errno) : "short");
}

static void fault_take(struct fault_side *f, int n)
{
	if (f->api == FAPI_RING)
		fault_take_ring(f, n);
	else
		fault_take_fd(f, n);
}

/* One cycle: raise @n groups, take them, answer them. */
static void fault_cycle(struct fault_side *f, int n, bool burst)
{
	fault_raise(f, n, burst);
	fault_take(f, n);
	fault_respond(f, n);
}

/*
 * /dev/ioasid: the mock device saw every group it raised answered with
 * success, and nothing overflowed.
 */
static void fault_check_done(struct fault_side *f)
{
	struct ioasid_test_iopf_stats st = {
		.size = sizeof(st),
		.dev_id = f->trigger_id,
	};

	if (f->api == FAPI_IOMMUFD)
		return;
	xioctl(f->fd, IOASID_TEST_IOPF_STATS, &st, "IOASID_TEST_IOPF_STATS");
	/* The counters are u32: compare modulo 2^32. */
	if (st.out_raised != (__u32)f->raised ||
	    st.out_success != (__u32)f->raised || st.out_pending ||
	    st.out_invalid || st.out_failure)
		die("%s: raised %u/%llu groups; %u success, %u invalid, %u failure, %u pending",
		    fault_api_name[f->api], st.out_raised, f->raised,
		    st.out_success, st.out_invalid, st.out_failure,
		    st.out_pending);
	if (f->ring && (f->ring->overflow || f->ring->lost_events))
		die("ioasid-ring: overflow %llu, lost events %llu",
		    (unsigned long long)f->ring->overflow,
		    (unsigned long long)f->ring->lost_events);
}

/* What one (API, figure) collected over the rounds. */
struct fault_acc {
	unsigned long long faults;
	unsigned long long ns;		/* cycles, end to end */
	unsigned long long raise_ns;	/* of which raising */
	unsigned long long *samples;	/* fault_rtt: each cycle */
	int nr_samples;
	bool floor;			/* only the trigger, of floor_id */
};

/*
 * Cycles of @n groups for @budget_ns: with @acc->samples, each one timed;
 * else the raising and the whole cycle timed apart.  With @acc->floor,
 * only the trigger of one group, on the device without a queue.
 */
static void fault_run(struct fault_side *f, int n, bool burst,
		      unsigned long long budget_ns, struct fault_acc *acc)
{
	unsigned long long start = now_ns(), t0, t1, t2;
	struct fault_side floor;

	if (acc->floor) {
		/* A copy, so that the real device's count stays right. */
		floor = *f;
		floor.trigger_id = f->floor_id;
		f = &floor;
	}
	do {
		t0 = now_ns();
		if (acc->floor) {
			fault_raise(f, 1, false);
			t2 = now_ns();
			if (acc->nr_samples < FAULT_MAX_SAMPLES)
				acc->samples[acc->nr_samples++] = t2 - t0;
		} else if (acc->samples) {
			fault_cycle(f, n, burst);
			t2 = now_ns();
			if (acc->nr_samples < FAULT_MAX_SAMPLES)
				acc->samples[acc->nr_samples++] = t2 - t0;
		} else {
			fault_raise(f, n, burst);
			t1 = now_ns();
			fault_take(f, n);
			fault_respond(f, n);
			t2 = now_ns();
			acc->raise_ns += t1 - t0;
		}
		acc->ns += t2 - t0;
		acc->faults += n;
	} while (t2 - start < budget_ns);
}

static unsigned long long percentile(unsigned long long *sorted, int n,
				     int pct)
{
	/* Nearest rank. */
	int rank = (int)(((long long)n * pct + 99) / 100);

	return sorted[rank < 1 ? 0 : rank - 1];
}

static void emit_fault_info(enum fault_api api, const char *op, int batch,
			    const char *raise, struct fault_acc *a)
{
	double per = a->faults ? (double)a->ns / a->faults : 0;

	printf(PFX
	       "{\"type\": \"fault_info\", \"api\": \"%s\", \"op\": \"%s\", \"batch\": %d, \"raise\": \"%s\", \"faults\": %llu, \"elapsed_ns\": %llu, \"faults_per_s\": %.0f, \"ns_per_fault\": %.1f",
	       fault_api_name[api], op, batch, raise, a->faults, a->ns,
	       a->ns ? a->faults * 1e9 / a->ns : 0.0, per);
	if (a->raise_ns && a->faults)
		printf(", \"raise_ns_per_fault\": %.1f, \"handle_ns_per_fault\": %.1f",
		       (double)a->raise_ns / a->faults,
		       (double)(a->ns - a->raise_ns) / a->faults);
	printf("}\n");
	fflush(stdout);
}

/* Print the sorted samples of @a: p50, p99 and the tail. */
static void emit_fault_tail(enum fault_api api, const char *op,
			    struct fault_acc *a)
{
	unsigned long long *v = a->samples;
	int n = a->nr_samples;

	printf(PFX
	       "{\"type\": \"fault_info\", \"api\": \"%s\", \"op\": \"%s\", \"batch\": 1, \"raise\": \"ioctl\", \"runs\": %d, \"min_ns\": %llu, \"p50_ns\": %llu, \"p90_ns\": %llu, \"p99_ns\": %llu, \"p999_ns\": %llu, \"max_ns\": %llu}\n",
	       fault_api_name[api], op, n, v[0], percentile(v, n, 50),
	       percentile(v, n, 90), percentile(v, n, 99),
	       v[n - 1 - (n - 1) / 1000], v[n - 1]);
	fflush(stdout);
}

static bool want_fault_api[NR_FAPIS];

/*
 * Figure @fig of the fault part: 0 the round trip, then the batches; with
 * @burst the ioasid APIs' batch rate with one IOPF_INJECT per batch.  The
 * APIs take turns, FAULT_ROUNDS rounds of a share of fault_seconds each.
 */
static void fault_figure(int fig, bool burst, struct fault_acc *acc)
{
	unsigned long long slice = fault_seconds * 1e9 / FAULT_ROUNDS;

	if (acc[0].floor)
		slice /= 2;
	int n = fig ? fault_batches[fig - 1] : 1;
	int r, i;

	for (r = 0; r < FAULT_ROUNDS; r++)
		for (i = 0; i < NR_FAPIS; i++) {
			enum fault_api api = (r + i) % NR_FAPIS;

			if (!want_fault_api[api] ||
			    (burst && api == FAPI_IOMMUFD))
				continue;
			fault_run(&fault_sides[api], n, burst, slice,
				  &acc[api]);
		}
}

static void bench_faults(void)
{
	struct fault_acc acc[NR_FAPIS];
	unsigned long long *sorted;
	int fig, i, j;

	for (i = 0; i < NR_FAPIS; i++) {
		if (!want_fault_api[i])
			continue;
		fault_sides[i].api = i;
		if (i == FAPI_IOMMUFD)
			fault_setup_iommufd(&fault_sides[i]);
		else
			fault_setup_ioasid(&fault_sides[i]);
		/* Untimed: the first cycles, and a batch of each size. */
		for (j = 0; j < 100; j++)
			fault_cycle(&fault_sides[i], 1, false);
		for (j = 0; j < NR_FAULT_BATCHES; j++)
			fault_cycle(&fault_sides[i], fault_batches[j], false);
		fault_check_done(&fault_sides[i]);
	}
	note("page faults: %g s per figure and API in %d rounds, a trigger ioctl per group",
	     fault_seconds, FAULT_ROUNDS);

	/* The round trip. */
	memset(acc, 0, sizeof(acc));
	for (i = 0; i < NR_FAPIS; i++) {
		acc[i].samples = calloc(FAULT_MAX_SAMPLES, sizeof(*sorted));
		if (!acc[i].samples)
			die("out of memory");
	}
	fault_figure(0, false, acc);
	for (i = 0; i < NR_FAPIS; i++) {
		struct fault_acc *a = &acc[i];

		if (!want_fault_api[i])
			continue;
		if (!a->nr_samples)
			die("%s: no round trip measured", fault_api_name[i]);
		sorted = a->samples;
		qsort(sorted, a->nr_samples, sizeof(*sorted), cmp_ull);
		printf(PFX
		       "{\"type\": \"fault\", \"api\": \"%s\", \"op\": \"fault_rtt\", \"p50_ns\": %llu, \"p99_ns\": %llu, \"runs\": %d}\n",
		       fault_api_name[i], percentile(sorted, a->nr_samples, 50),
		       percentile(sorted, a->nr_samples, 99), a->nr_samples);
		nr_results++;
		emit_fault_tail(i, "fault_rtt", a);
		fault_check_done(&fault_sides[i]);
	}

	/* The floor: the trigger alone, refused before any queue. */
	for (i = 0; i < NR_FAPIS; i++) {
		acc[i].nr_samples = 0;
		acc[i].floor = true;
	}
	fault_figure(0, false, acc);
	for (i = 0; i < NR_FAPIS; i++) {
		if (!want_fault_api[i])
			continue;
		if (!acc[i].nr_samples)
			die("%s: no trigger floor measured", fault_api_name[i]);
		qsort(acc[i].samples, acc[i].nr_samples, sizeof(*sorted),
		      cmp_ull);
		emit_fault_tail(i, "trigger_floor", &acc[i]);
	}
	for (i = 0; i < NR_FAPIS; i++)
		free(acc[i].samples);

	/* The rates, batch by batch. */
	for (fig = 1; fig <= NR_FAULT_BATCHES; fig++) {
		int batch = fault_batches[fig - 1];

		memset(acc, 0, sizeof(acc));
		fault_figure(fig, false, acc);
		for (i = 0; i < NR_FAPIS; i++) {
			if (!want_fault_api[i])
				continue;
			if (!acc[i].ns)
				die("%s: no rate measured", fault_api_name[i]);
			printf(PFX
			       "{\"type\": \"fault\", \"api\": \"%s\", \"op\": \"fault_rate\", \"batch\": %d, \"faults_per_s\": %.0f}\n",
			       fault_api_name[i], batch,
			       acc[i].faults * 1e9 / acc[i].ns);
			nr_results++;
			emit_fault_info(i, "fault_rate", batch, "ioctl",
					&acc[i]);
			fault_check_done(&fault_sides[i]);
		}
	}

	/* Informational: /dev/ioasid's device raising a batch at once. */
	memset(acc, 0, sizeof(acc));
	fault_figure(NR_FAULT_BATCHES, true, acc);
	for (i = 0; i < FAPI_IOMMUFD; i++) {
		if (!want_fault_api[i])
			continue;
		emit_fault_info(i, "fault_rate",
				fault_batches[NR_FAULT_BATCHES - 1], "burst",
				&acc[i]);
		fault_check_done(&fault_sides[i]);
	}
}

/* ---- vDPA: packets per second through vdpa_sim_net ----------------------- */

/*
 * Informational: a vdpa_sim_net device driven from user space through
 * /dev/vhost-vdpa-N, as in ../ioasid_vdpa.c, its data virtqueues' address
 * space (ASID 0) mapped either by vhost's own IOTLB messages
 * ("vhost-iotlb") or by an IOAS of /dev/ioasid that ASID 0 is attached to
 * ("ioasid").  The simulator loops a packet sent to the device's MAC back
 * to RX, translating both virtqueues' buffers through ASID 0; so packets
 * per second tell what the translation costs the device.  One device per
 * API, both up at once; they take turns, run by run, each run a loop of:
 * BATCH packets on TX, one kick, wait (poll() on the RX call eventfd) for
 * them all on RX, check and post the RX buffers again, reap TX.  No
 * control virtqueue: VIRTIO_NET_F_CTRL_VQ is not negotiated.
 */
#define VDPA_QSZ	256
#define VDPA_BUF_SZ	2048
#define VDPA_HDR_LEN	sizeof(struct virtio_net_hdr_v1)
#define VDPA_RXQ	0
#define VDPA_TXQ	1
#define VDPA_NVQS	2
/* Per virtqueue, three pages: descriptors, avail ring, used ring. */
#define VDPA_RING_SZ	(3 * SZ_4K)
#define VDPA_RX_OFF	(VDPA_NVQS * VDPA_RING_SZ)
#define VDPA_TX_OFF	(VDPA_RX_OFF + VDPA_QSZ * VDPA_BUF_SZ)
#define VDPA_MEM_SZ	(VDPA_TX_OFF + VDPA_QSZ * VDPA_BUF_SZ)
#define VDPA_IOVA	0x1000000ULL
#define VDPA_RUNS	3
#define VDPA_WARMUP	64	/* untimed batches per configuration and API */
#define VDPA_FEATURES	((1ULL << VIRTIO_F_VERSION_1) | \
			 (1ULL << VIRTIO_F_ACCESS_PLATFORM) | \
			 (1ULL << VIRTIO_NET_F_MAC))

enum vdpa_api { VAPI_IOTLB, VAPI_IOASID, NR_VAPIS };
static const char *const vdpa_api_name[NR_VAPIS] = { "vhost-iotlb", "ioasid" };

/* -V, -P, -B: seconds per run (< 0: by -m), frame sizes, batches. */
static double vdpa_seconds = -1;
static int vdpa_sizes[8] = { 64, 1500 };
static int nr_vdpa_sizes = 2;
static int vdpa_batches[8] = { 32 };
static int nr_vdpa_batches = 1;

struct vdpa_vq {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	__u16 avail_idx;
	__u16 used_idx;
	int kick;
	int call;
};

/**
 * struct vdpa_side - One vdpa_sim_net device and the driver of it
 * @api: How its ASID 0 is mapped
 * @up: Set up, measured
 * @name: The vdpa device's name
 * @mac: Its MAC, the destination of every packet
 * @family: The "vdpa" generic netlink family
 * @fd: /dev/vhost-vdpa-N
 * @ioasid: /dev/ioasid (ioasid API), or -1
 * @ioas_id: The IOAS ASID 0 is attached to (ioasid API)
 * @memfd: The memfd of @mem
 * @mem: The rings and buffers, at VDPA_IOVA
 * @vq: RX and TX
 * @tx_seq: The sequence number of the next packet sent
 * @rx_seq: The one expected next on RX
 * @frame: The frame size of the packets in the TX buffers
 */
struct vdpa_side {
	enum vdpa_api api;
	bool up;
	char name[32];
	unsigned char mac[ETH_ALEN];
	int family;
	int fd;
	int ioasid;
	__u32 ioas_id;
	int memfd;
	unsigned char *mem;
	struct vdpa_vq vq[VDPA_NVQS];
	__u32 tx_seq;
	__u32 rx_seq;
	int frame;
};

static struct vdpa_side vdpa_sides[NR_VAPIS];

/* No zero byte: the simulator's receive filter compares with strncmp(). */
static const unsigned char vdpa_mac_src[ETH_ALEN] = {
	0x02, 0x5a, 0xa5, 0x77, 0x88, 0x99
};

/* The first device's; the last byte counts the devices up. */
static const unsigned char vdpa_mac_dev[ETH_ALEN] = {
	0x02, 0x5a, 0xa5, 0x11, 0x22, 0x31
};

static void vdpa_skip(const char *api, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf(PFX "{\"type\": \"skip\", \"api\": ");
	json_str(api);
	printf(", \"msg\": ");
	json_str(msg);
	printf("}\n");
	fflush(stdout);
}

static void vdpa_xioctl(struct vdpa_side *v, unsigned long req, void *arg,
			const char *what)
{
	if (ioctl(v->fd, req, arg))
		die("%s: %s: %s (errno %d)", vdpa_api_name[v->api], what,
		    strerror(errno), errno);
}

static unsigned char *vdpa_rx_buf(struct vdpa_side *v, unsigned int id)
{
	return v->mem + VDPA_RX_OFF + (size_t)id * VDPA_BUF_SZ;
}

static unsigned char *vdpa_tx_buf(struct vdpa_side *v, unsigned int id)
{
	return v->mem + VDPA_TX_OFF + (size_t)id * VDPA_BUF_SZ;
}

/* ASID 0 with the rings and buffers, through vhost's IOTLB. */
static void vdpa_map_iotlb(struct vdpa_side *v)
{
	struct vhost_msg_v2 msg = {
		.type = VHOST_IOTLB_MSG_V2,
		.asid = 0,
		.iotlb = {
			.iova = VDPA_IOVA,
			.size = VDPA_MEM_SZ,
			.uaddr = (uintptr_t)v->mem,
			.perm = VHOST_ACCESS_RW,
			.type = VHOST_IOTLB_UPDATE,
		},
	};
	ssize_t n = write(v->fd, &msg, sizeof(msg));

	if (n != sizeof(msg))
		die("vhost-iotlb: VHOST_IOTLB_UPDATE of ASID 0: %s",
		    n < 0 ? strerror(errno) : "short write");
}

/*
 * ASID 0 attached to a new IOAS with the rings and buffers: false, with
 * the reason printed, when /dev/ioasid or the vhost-vdpa ioctls are
 * missing.
 */
static bool vdpa_map_ioasid(struct vdpa_side *v)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_ioas_map map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ |
			 IOASID_IOAS_MAP_WRITE,
		.user_va = (uintptr_t)v->mem,
		.length = VDPA_MEM_SZ,
		.iova = VDPA_IOVA,
	};
	int rc;

	v->ioasid = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (v->ioasid < 0) {
		vdpa_skip("vdpa ioasid", "open /dev/ioasid: %s",
			  strerror(errno));
		return false;
	}
	rc = vdpa_bind(v->fd, v->ioasid, NULL);
	if (vhost_ioasid_missing(rc)) {
		vdpa_skip("vdpa ioasid", "no VHOST_VDPA_BIND_IOASID in this kernel (%s)",
			  strerror(rc));
		return false;
	}
	if (rc)
		die("ioasid: VHOST_VDPA_BIND_IOASID: %s", strerror(rc));
	xioctl(v->ioasid, IOASID_IOAS_ALLOC, &alloc, "IOASID_IOAS_ALLOC");
	v->ioas_id = alloc.out_ioas_id;
	map.ioas_id = v->ioas_id;
	xioctl(v->ioasid, IOASID_IOAS_MAP, &map, "IOASID_IOAS_MAP");
	rc = vdpa_attach(v->fd, 0, v->ioas_id);
	if (rc)
		die("ioasid: VHOST_VDPA_ATTACH_IOASID of ASID 0: %s",
		    strerror(rc));
	return true;
}

static void vdpa_status(struct vdpa_side *v, __u8 status)
{
	__u8 got = 0;

	vdpa_xioctl(v, VHOST_VDPA_SET_STATUS, &status, "VHOST_VDPA_SET_STATUS");
	vdpa_xioctl(v, VHOST_VDPA_GET_STATUS, &got, "VHOST_VDPA_GET_STATUS");
	if (got != status)
		die("%s: device status 0x%x, 0x%x set", vdpa_api_name[v->api],
		    got, status);
}

/* Publish the available entries of @q and kick the device. */
static void vdpa_kick(struct vdpa_side *v, int q)
{
	struct vdpa_vq *vq = &v->vq[q];

	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	if (eventfd_write(vq->kick, 1))
		die("%s: kick: %s", vdpa_api_name[v->api], strerror(errno));
}

/*
 * The virtio status and feature flow, the two data virtqueues in their
 * memory (the open reset the device, and ASID 0 is mapped already),
 * DRIVER_OK, and every RX buffer posted.
 */
static void vdpa_start(struct vdpa_side *v)
{
	__u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	__u64 features = 0;
	__u16 max = 0;
	int q, i;

	vdpa_status(v, status);
	status |= VIRTIO_CONFIG_S_DRIVER;
	vdpa_status(v, status);
	vdpa_xioctl(v, VHOST_GET_FEATURES, &features, "VHOST_GET_FEATURES");
	if ((features & VDPA_FEATURES) != VDPA_FEATURES)
		die("%s: device features 0x%llx lack 0x%llx",
		    vdpa_api_name[v->api], (unsigned long long)features,
		    (unsigned long long)VDPA_FEATURES);
	features = VDPA_FEATURES;
	vdpa_xioctl(v, VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES");
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	vdpa_status(v, status);
	vdpa_xioctl(v, VHOST_VDPA_GET_VRING_NUM, &max,
		    "VHOST_VDPA_GET_VRING_NUM");
	if (max < VDPA_QSZ)
		die("%s: virtqueues of at most %u entries, %d needed",
		    vdpa_api_name[v->api], max, VDPA_QSZ);

	for (q = 0; q < VDPA_NVQS; q++) {
		struct vdpa_vq *vq = &v->vq[q];
		unsigned char *ring = v->mem + q * VDPA_RING_SZ;
		__u64 iova = VDPA_IOVA + q * VDPA_RING_SZ;
		struct vhost_vring_state num = { .index = q, .num = VDPA_QSZ };
		struct vhost_vring_state base = { .index = q };
		struct vhost_vring_state enable = { .index = q, .num = 1 };
		struct vhost_vring_file kick = { .index = q };
		struct vhost_vring_file call = { .index = q };
		struct vhost_vring_addr addr = {
			.index = q,
			.desc_user_addr = iova,
			.avail_user_addr = iova + SZ_4K,
			.used_user_addr = iova + 2 * SZ_4K,
		};

		vq->desc = (void *)ring;
		vq->avail = (void *)(ring + SZ_4K);
		vq->used = (void *)(ring + 2 * SZ_4K);
		vq->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		vq->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vq->kick < 0 || vq->call < 0)
			die("eventfd: %s", strerror(errno));
		kick.fd = vq->kick;
		call.fd = vq->call;
		vdpa_xioctl(v, VHOST_SET_VRING_NUM, &num, "VHOST_SET_VRING_NUM");
		vdpa_xioctl(v, VHOST_SET_VRING_BASE, &base,
			    "VHOST_SET_VRING_BASE");
		vdpa_xioctl(v, VHOST_SET_VRING_ADDR, &addr,
			    "VHOST_SET_VRING_ADDR");
		vdpa_xioctl(v, VHOST_SET_VRING_KICK, &kick,
			    "VHOST_SET_VRING_KICK");
		vdpa_xioctl(v, VHOST_SET_VRING_CALL, &call,
			    "VHOST_SET_VRING_CALL");
		vdpa_xioctl(v, VHOST_VDPA_SET_VRING_ENABLE, &enable,
			    "VHOST_VDPA_SET_VRING_ENABLE");
	}
	status |= VIRTIO_CONFIG_S_DRIVER_OK;
	vdpa_status(v, status);

	/* RX buffer i in descriptor i, TX buffer i in descriptor i. */
	for (i = 0; i < VDPA_QSZ; i++) {
		v->vq[VDPA_RXQ].desc[i] = (struct vring_desc) {
			.addr = VDPA_IOVA + VDPA_RX_OFF +
				(__u64)i * VDPA_BUF_SZ,
			.len = VDPA_BUF_SZ,
			.flags = VRING_DESC_F_WRITE,
		};
		v->vq[VDPA_RXQ].avail->ring[i] = i;
		v->vq[VDPA_TXQ].desc[i].addr = VDPA_IOVA + VDPA_TX_OFF +
					       (__u64)i * VDPA_BUF_SZ;
	}
	v->vq[VDPA_RXQ].avail_idx = VDPA_QSZ;
	vdpa_kick(v, VDPA_RXQ);
}

/*
 * Device @name on the vdpasim_net management device, opened, mapped as
 * its API says and started: false, with the reason printed, when the API
 * (or vDPA altogether) cannot be had.
 */
static bool vdpa_setup(struct vdpa_side *v, enum vdpa_api api)
{
	char path[sizeof("/dev/") + NAME_MAX];

	int q, rc;

	memset(v, 0, sizeof(*v));
	v->api = api;
	v->fd = -1;
	v->ioasid = -1;
	v->memfd = -1;
	for (q = 0; q < VDPA_NVQS; q++) {
		v->vq[q].kick = -1;
		v->vq[q].call = -1;
	}
	snprintf(v->name, sizeof(v->name), "vdpa-bench%d", api);
	memcpy(v->mac, vdpa_mac_dev, ETH_ALEN);
	v->mac[ETH_ALEN - 1] += api;
	rc = vdpa_test_dev_create(v->name, v->mac, &v->family, path,
				  sizeof(path));
	if (rc) {
		v->family = -1;	/* nothing to delete */
		vdpa_skip("vdpa", "no vdpa_sim_net device, the vDPA figures are skipped: %s (%s)",
			  rc == -ENOENT ? "no vdpa netlink family or no vhost-vdpa device" :
			  rc == -ENODEV ? "no vdpasim_net management device" :
			  "VDPA_CMD_DEV_NEW failed", strerror(-rc));
		return false;
	}
	v->fd = vdpa_test_open(path);
	if (v->fd < 0)
		die("%s: open %s as a VMM does: %s", vdpa_api_name[api], path,
		    strerror(-v->fd));
	/* Shared memfd pages, as ../ioasid_vdpa.c and a VMM's guest RAM. */
	v->memfd = memfd_create("ioasid_bench_vdpa", MFD_CLOEXEC);
	if (v->memfd < 0 || ftruncate(v->memfd, VDPA_MEM_SZ))
		die("memfd of %llu bytes: %s", VDPA_MEM_SZ, strerror(errno));
	v->mem = mmap(NULL, VDPA_MEM_SZ, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->memfd, 0);
	if (v->mem == MAP_FAILED)
		die("mmap of the memfd: %s", strerror(errno));
	memset(v->mem, 0, VDPA_MEM_SZ);
	if (api == VAPI_IOTLB)
		vdpa_map_iotlb(v);
	else if (!vdpa_map_ioasid(v))
		return false;
	vdpa_start(v);
	v->up = true;
	return true;
}

static void vdpa_teardown(struct vdpa_side *v)
{
	int q, rc;

	if (!v->name[0])
		return;		/* never set up, or torn down */
	if (v->fd >= 0)
		close(v->fd);
	if (v->ioasid >= 0)
		close(v->ioasid);
	for (q = 0; q < VDPA_NVQS; q++) {
		if (v->vq[q].kick >= 0)
			close(v->vq[q].kick);
		if (v->vq[q].call >= 0)
			close(v->vq[q].call);
	}
	if (v->mem && munmap(v->mem, VDPA_MEM_SZ))
		die("munmap: %s", strerror(errno));
	if (v->memfd >= 0)
		close(v->memfd);
	if (v->family > 0) {
		rc = vdpa_dev_del(v->family, v->name);
		if (rc && rc != -ENODEV)
			die("VDPA_CMD_DEV_DEL of %s: %s", v->name,
			    strerror(-rc));
	}
	memset(v, 0, sizeof(*v));
}

/* Fill every TX buffer with a packet whose frame has @frame bytes. */
static void vdpa_fill(struct vdpa_side *v, int frame)
{
	int i, j;

	for (i = 0; i < VDPA_QSZ; i++) {
		unsigned char *p = vdpa_tx_buf(v, i);
		unsigned char *eth = p + VDPA_HDR_LEN;

		memset(p, 0, VDPA_HDR_LEN);
		memcpy(eth, v->mac, ETH_ALEN);
		memcpy(eth + ETH_ALEN, vdpa_mac_src, ETH_ALEN);
		eth[12] = 0x88;		/* ETH_P_802_EX1, local experimental */
		eth[13] = 0xb5;
		for (j = ETH_HLEN + 4; j < frame; j++)
			eth[j] = j;
		v->vq[VDPA_TXQ].desc[i].len = VDPA_HDR_LEN + frame;
		v->vq[VDPA_TXQ].desc[i].flags = 0;
	}
	v->frame = frame;
}

/* Wait until @want used entries of @q are pending, for VDPA_WAIT_MS. */
static void vdpa_wait(struct vdpa_side *v, int q, unsigned int want)
{
	struct vdpa_vq *vq = &v->vq[q];
	unsigned long long end = 0;
	struct pollfd p = { .fd = vq->call, .events = POLLIN };
	eventfd_t count;

	for (;;) {
		if ((__u16)(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) -
			    vq->used_idx) >= want)
			return;
		if (!end)
			end = now_ns() + VDPA_WAIT_MS * 1000000ULL;
		else if (now_ns() > end)
			die("%s: %u of %u packets back on %s in %d ms (%u sent)",
			    vdpa_api_name[v->api],
			    (__u16)(vq->used->idx - vq->used_idx), want,
			    q == VDPA_RXQ ? "RX" : "TX", VDPA_WAIT_MS,
			    v->tx_seq);
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		eventfd_read(vq->call, &count);
	}
}

/*
 * Send @batch packets, take them back from RX (each of the size sent, in
 * order), post the RX buffers again, and reap TX.
 */
static void vdpa_batch(struct vdpa_side *v, int batch)
{
	struct vdpa_vq *tx = &v->vq[VDPA_TXQ], *rx = &v->vq[VDPA_RXQ];
	int i;

	for (i = 0; i < batch; i++) {
		__u16 slot = tx->avail_idx % VDPA_QSZ;

		memcpy(vdpa_tx_buf(v, slot) + VDPA_HDR_LEN + ETH_HLEN,
		       &v->tx_seq, sizeof(v->tx_seq));
		v->tx_seq++;
		tx->avail->ring[slot] = slot;
		tx->avail_idx++;
	}
	vdpa_kick(v, VDPA_TXQ);

	vdpa_wait(v, VDPA_RXQ, batch);
	for (i = 0; i < batch; i++) {
		struct vring_used_elem e = rx->used->ring[rx->used_idx %
							  VDPA_QSZ];
		__u32 seq;

		rx->used_idx++;
		if (e.id >= VDPA_QSZ ||
		    e.len != VDPA_HDR_LEN + (__u32)v->frame)
			die("%s: RX used entry id %u len %u, %zu expected",
			    vdpa_api_name[v->api], e.id, e.len,
			    VDPA_HDR_LEN + v->frame);
		memcpy(&seq, vdpa_rx_buf(v, e.id) + VDPA_HDR_LEN + ETH_HLEN,
		       sizeof(seq));
		if (seq != v->rx_seq)
			die("%s: packet %u received, %u expected",
			    vdpa_api_name[v->api], seq, v->rx_seq);
		v->rx_seq++;
		rx->avail->ring[rx->avail_idx % VDPA_QSZ] = e.id;
		rx->avail_idx++;
	}
	/* The device reads the RX avail index when a packet comes. */
	__atomic_store_n(&rx->avail->idx, rx->avail_idx, __ATOMIC_RELEASE);

	vdpa_wait(v, VDPA_TXQ, batch);
	tx->used_idx += batch;
}

/* Batches of @batch for @budget_ns: the packets per second. */
static double vdpa_run(struct vdpa_side *v, int batch,
		       unsigned long long budget_ns)
{
	unsigned long long start = now_ns(), t;
	unsigned long long pkts = 0;

	do {
		vdpa_batch(v, batch);
		pkts += batch;
		t = now_ns();
	} while (t - start < budget_ns);
	return pkts * 1e9 / (t - start);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The samples of @api, in run order, then their median as the figure. */
static void vdpa_emit(enum vdpa_api api, int frame, int batch, double *pps)
{
	int r;

	printf(PFX
	       "{\"type\": \"vdpa_info\", \"api\": \"%s\", \"op\": \"vdpa_pps\", \"pkt_bytes\": %d, \"batch\": %d, \"samples_pps\": [",
	       vdpa_api_name[api], frame, batch);
	for (r = 0; r < VDPA_RUNS; r++)
		printf("%s%.0f", r ? ", " : "", pps[r]);
	printf("]}\n");
	qsort(pps, VDPA_RUNS, sizeof(pps[0]), cmp_double);
	printf(PFX
	       "{\"type\": \"vdpa\", \"api\": \"%s\", \"op\": \"vdpa_pps\", \"pkt_bytes\": %d, \"batch\": %d, \"pps\": %.0f, \"runs\": %d}\n",
	       vdpa_api_name[api], frame, batch, pps[VDPA_RUNS / 2],
	       VDPA_RUNS);
	fflush(stdout);
	nr_results++;
}

/* One configuration: each API warmed up, then the runs, taking turns. */
static void vdpa_config(int frame, int batch)
{
	double pps[NR_VAPIS][VDPA_RUNS];
	int r, i, k;

	for (i = 0; i < NR_VAPIS; i++) {
		if (!vdpa_sides[i].up)
			continue;
		vdpa_fill(&vdpa_sides[i], frame);
		for (k = 0; k < VDPA_WARMUP; k++)
			vdpa_batch(&vdpa_sides[i], batch);
	}
	for (r = 0; r < VDPA_RUNS; r++)
		for (k = 0; k < NR_VAPIS; k++) {
			i = (r + k) % NR_VAPIS;
			if (vdpa_sides[i].up)
				pps[i][r] = vdpa_run(&vdpa_sides[i], batch,
						     vdpa_seconds * 1e9);
		}
	for (i = 0; i < NR_VAPIS; i++)
		if (vdpa_sides[i].up)
			vdpa_emit(i, frame, batch, pps[i]);
}

/*
 * Without a vdpa_sim_net device, one "skip" line and nothing measured;
 * without the vhost-vdpa ioasid ioctls, a "skip" line and vhost-iotlb
 * alone.
 */
static void bench_vdpa(void)
{
	int s, b, i;

	if (vdpa_setup(&vdpa_sides[VAPI_IOTLB], VAPI_IOTLB) &&
	    !vdpa_setup(&vdpa_sides[VAPI_IOASID], VAPI_IOASID))
		vdpa_teardown(&vdpa_sides[VAPI_IOASID]);
	if (vdpa_sides[VAPI_IOTLB].up) {
		note("vdpa: vdpa_sim_net, TX to RX: %d runs of %g s per API, in turns",
		     VDPA_RUNS, vdpa_seconds);
		for (s = 0; s < nr_vdpa_sizes; s++)
			for (b = 0; b < nr_vdpa_batches; b++)
				vdpa_config(vdpa_sizes[s], vdpa_batches[b]);
	}
	for (i = 0; i < NR_VAPIS; i++)
		vdpa_teardown(&vdpa_sides[i]);
}

/* ---- main -------------------------------------------------------------- */

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-m mock|vtd] [-r RUNS] [-s MIB[,MIB...]]\n"
		"       [-b 4k,thp,hugetlb] [-a API[,API...]] [-F SECONDS]\n"
		"       [-f API[,API...]] [-V SECONDS] [-P BYTES[,BYTES...]]\n"
		"       [-B BATCH[,BATCH...]]\n"
		"  -m  mock: gup,ioasid,ioasid-nodomain,iommufd (the default);\n"
		"      vtd: ioasid-vtd,iommufd-vtd,type1-vtd on QEMU's edu behind\n"
		"      the emulated VT-d\n"
		"  -r  timed rounds per API and buffer (default 7, at most %d)\n"
		"  -s  buffer sizes in MiB, multiples of 2 (default 64,512)\n"
		"  -b  backings to measure (default all)\n"
		"  -a  APIs to measure, of gup, ioasid, ioasid-nodomain, iommufd,\n"
		"      ioasid-vtd, iommufd-vtd, type1-vtd (default: those of -m)\n"
		"  -F  seconds per page fault figure and API (default 2, at\n"
		"      most 60; 0: no page faults)\n"
		"  -f  page fault APIs, of ioasid-ring, ioasid-rw, iommufd\n"
		"      (default: all of them with -m mock, none with -m vtd)\n"
		"  -V  seconds per vDPA run, %d runs per API and configuration\n"
		"      (default 2 with -m mock, 0 with -m vtd; 0: no vDPA)\n"
		"  -P  vDPA frame sizes in bytes, 60 to 1514 (default 64,1500)\n"
		"  -B  vDPA packets per kick, 1 to %d (default 32)\n",
		argv0, MAX_RUNS, VDPA_RUNS, VDPA_QSZ);
	exit(2);
}

/* Parse a comma-separated subset of @names into @want. */
static void parse_set(char *arg, const char *const *names, int n, bool *want,
		      const char *argv0)
{
	char *tok, *save = NULL;
	int i;

	for (i = 0; i < n; i++)
		want[i] = false;
	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n; i++)
			if (!strcmp(tok, names[i]))
				break;
		if (i == n)
			usage(argv0);
		want[i] = true;
	}
}

static void parse_sizes(char *arg, const char *argv0)
{
	char *tok, *end, *save = NULL;
	unsigned long mib;

	nr_sizes = 0;
	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		errno = 0;
		mib = strtoul(tok, &end, 10);
		if (errno || *end || !mib || mib % 2 || mib > 65536 ||
		    nr_sizes == (int)(sizeof(sizes) / sizeof(sizes[0])))
			usage(argv0);
		sizes[nr_sizes++] = mib * SZ_1M;
	}
	if (!nr_sizes)
		usage(argv0);
}

/* A comma-separated list of at most 8 integers from @min to @max. */
static int parse_ints(char *arg, int *out, int min, int max,
		      const char *argv0)
{
	char *tok, *end, *save = NULL;
	int n = 0;
	long x;

	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		errno = 0;
		x = strtol(tok, &end, 10);
		if (errno || *end || end == tok || x < min || x > max ||
		    n == 8)
			usage(argv0);
		out[n++] = x;
	}
	if (!n)
		usage(argv0);
	return n;
}

int main(int argc, char **argv)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	bool apis_given = false, vtd_wanted = false, faults_given = false;
	bool faults_wanted = false;
	char *end;
	struct utsname u;
	int opt, i, b;

	for (i = 0; i < NR_APIS; i++)
		api_option[i] = api_desc[i].option;
	while ((opt = getopt(argc, argv, "m:r:s:b:a:F:f:V:P:B:h")) != -1) {
		switch (opt) {
		case 'm':
			for (i = 0; i < NR_MODES; i++)
				if (!strcmp(optarg, mode_name[i]))
					break;
			if (i == NR_MODES)
				usage(argv[0]);
			mode = i;
			break;
		case 'r':
			runs = atoi(optarg);
			if (runs < 1 || runs > MAX_RUNS)
				usage(argv[0]);
			break;
		case 's':
			parse_sizes(optarg, argv[0]);
			break;
		case 'b':
			parse_set(optarg, backing_name, NR_BACKINGS,
				  want_backing, argv[0]);
			break;
		case 'a':
			parse_set(optarg, api_option, NR_APIS, want_api,
				  argv[0]);
			apis_given = true;
			break;
		case 'F':
			errno = 0;
			fault_seconds = strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !(fault_seconds >= 0 && fault_seconds <= 60))
				usage(argv[0]);
			break;
		case 'f':
			parse_set(optarg, fault_api_name, NR_FAPIS,
				  want_fault_api, argv[0]);
			faults_given = true;
			break;
		case 'V':
			errno = 0;
			vdpa_seconds = strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !(vdpa_seconds >= 0 && vdpa_seconds <= 60))
				usage(argv[0]);
			break;
		case 'P':
			nr_vdpa_sizes = parse_ints(optarg, vdpa_sizes, ETH_ZLEN,
						   ETH_FRAME_LEN, argv[0]);
			break;
		case 'B':
			nr_vdpa_batches = parse_ints(optarg, vdpa_batches, 1,
						     VDPA_QSZ, argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	if (!apis_given)
		for (i = 0; i < NR_APIS; i++)
			want_api[i] = is_vtd(i) == (mode == MODE_VTD);
	for (i = 0; i < NR_APIS; i++)
		vtd_wanted |= want_api[i] && is_vtd(i);
	for (i = 0; i < NR_FAPIS; i++) {
		if (!faults_given)
			want_fault_api[i] = mode == MODE_MOCK;
		if (!fault_seconds)
			want_fault_api[i] = false;
		faults_wanted |= want_fault_api[i];
	}

	if (vdpa_seconds < 0)
		vdpa_seconds = mode == MODE_MOCK ? 2 : 0;

	if (uname(&u))
		die("uname: %s", strerror(errno));
	printf(PFX "{\"type\": \"kernel\", \"release\": ");
	json_str(u.release);
	printf(", \"version\": ");
	json_str(u.version);
	printf(", \"runs\": %d, \"mode\": \"%s\"}\n", runs, mode_name[mode]);
	fflush(stdout);

	/* Pins are charged to RLIMIT_MEMLOCK; take that out of the picture. */
	if (setrlimit(RLIMIT_MEMLOCK, &unlimited))
		die("setrlimit(RLIMIT_MEMLOCK): %s", strerror(errno));

	if (want_api[API_GUP])
		gup_setup();
	if (want_api[API_IOASID] || want_api[API_IOASID_NODOM])
		ioasid_setup();
	if (want_api[API_IOMMUFD] && !iommufd_setup())
		want_api[API_IOMMUFD] = false;
	if (vtd_wanted) {
		if (!have_vtd())
			die("no DMAR unit in /sys/class/iommu: the VT-d APIs need QEMU's intel-iommu and intel_iommu=on");
		edu_setup();
	}

	for (i = 0; i < nr_sizes; i++)
		for (b = 0; b < NR_BACKINGS; b++)
			if (want_backing[b])
				bench_buffer(b, sizes[i]);
	if (faults_wanted)
		bench_faults();
	if (vdpa_seconds)
		bench_vdpa();

	printf(PFX "{\"type\": \"done\", \"results\": %d}\n", nr_results);
	fflush(stdout);
	return 0;
}
