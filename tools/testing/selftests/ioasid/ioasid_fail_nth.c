// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid error-path sweep: run each scenario with its Nth slab
 * allocation failing, for N = 1, 2, ... until the scenario runs without
 * reaching the injected failure.  Every failure must come back as a clean
 * errno, and closing the context must leave nothing behind: no mock device
 * here, and no leaked object for the kmemleak scan that ends the run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/ioasid.h>

#include "../kselftest_harness.h"
#include "ioasid_util.h"
#include "ioasid_vdpa.h"
#include "../../../../drivers/iommu/ioasid/ioasid_test.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL

static char fail_nth_path[64];
static int fail_nth_fd = -1;

static int count_mock_devices(void)
{
	DIR *dir = opendir("/sys/bus/ioasid_mock/devices");
	struct dirent *de;
	int n = 0;

	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* A scenario returns 0 or the errno of its first failed step. */
typedef int (*scenario_fn)(int fd);

static int scenario_dev(int fd)
{
	struct ioasid_test_mock_dev_add add = { .size = sizeof(add) };

	return ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &add);
}

static int scenario_domain(int fd)
{
	struct ioasid_test_mock_dev_add add = { .size = sizeof(add) };
	struct ioasid_test_mock_domain_alloc dom = { .size = sizeof(dom) };
	struct ioasid_destroy destroy = { .size = sizeof(destroy) };
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &add);
	if (rc)
		return rc;
	dom.dev_id = add.out_dev_id;
	rc = ioctl_err(fd, IOASID_TEST_MOCK_DOMAIN_ALLOC, &dom);
	if (rc)
		return rc;
	/* The device is busy until the domain goes. */
	destroy.id = add.out_dev_id;
	if (ioctl_err(fd, IOASID_DESTROY, &destroy) != EBUSY)
		return EPROTO;
	destroy.id = dom.out_domain_id;
	rc = ioctl_err(fd, IOASID_DESTROY, &destroy);
	if (rc)
		return rc;
	destroy.id = add.out_dev_id;
	return ioctl_err(fd, IOASID_DESTROY, &destroy);
}

static int scenario_map(int fd)
{
	struct ioasid_test_mock_dev_add add = { .size = sizeof(add) };
	struct ioasid_test_mock_domain_alloc dom = { .size = sizeof(dom) };
	struct ioasid_test_domain_map map = {
		.size = sizeof(map),
		.prot = IOASID_TEST_PROT_READ | IOASID_TEST_PROT_WRITE,
		.iova = SZ_2M - 4 * SZ_4K,
		.paddr = SZ_2M - 4 * SZ_4K,
		/* 4 KiB IOPTEs on both sides of a 2 MiB one. */
		.length = SZ_2M + 8 * SZ_4K,
	};
	struct ioasid_test_domain_info info = { .size = sizeof(info) };
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &add);
	if (rc)
		return rc;
	dom.dev_id = add.out_dev_id;
	rc = ioctl_err(fd, IOASID_TEST_MOCK_DOMAIN_ALLOC, &dom);
	if (rc)
		return rc;
	map.domain_id = dom.out_domain_id;
	info.domain_id = dom.out_domain_id;
	rc = ioctl_err(fd, IOASID_TEST_DOMAIN_MAP, &map);
	if (rc) {
		/* A failed map is undone entirely. */
		if (ioctl_err(fd, IOASID_TEST_DOMAIN_INFO, &info) ||
		    info.out_nr_ioptes)
			return EPROTO;
		return rc;
	}
	return 0;
}

static char *map_buf;

/* Map with one domain attached, then fill a second one, then unmap. */
static int scenario_ioas(int fd)
{
	struct ioasid_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct ioasid_test_mock_dev_add add = { .size = sizeof(add) };
	struct ioasid_test_mock_domain_alloc dom = { .size = sizeof(dom) };
	struct ioasid_test_ioas_attach attach = { .size = sizeof(attach) };
	struct ioasid_ioas_map map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE,
		.user_va = (uintptr_t)map_buf,
		.length = 16 * SZ_4K,
	};
	struct ioasid_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.flags = IOASID_IOAS_UNMAP_ALL,
	};
	struct ioasid_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOASID_IOAS_MAP_READ,
		.length = 16 * SZ_4K,
	};
	struct ioasid_test_domain_info info = { .size = sizeof(info) };
	int rc, i;

	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	rc = ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &add);
	if (rc)
		return rc;
	dom.dev_id = add.out_dev_id;
	attach.ioas_id = ioas.out_ioas_id;
	map.ioas_id = ioas.out_ioas_id;
	unmap.ioas_id = ioas.out_ioas_id;

	for (i = 0; i < 2; i++) {
		rc = ioctl_err(fd, IOASID_TEST_MOCK_DOMAIN_ALLOC, &dom);
		if (rc)
			return rc;
		attach.domain_id = dom.out_domain_id;
		info.domain_id = dom.out_domain_id;
		rc = ioctl_err(fd, IOASID_TEST_IOAS_ATTACH, &attach);
		if (rc) {
			/* A failed fill leaves the domain empty. */
			if (ioctl_err(fd, IOASID_TEST_DOMAIN_INFO, &info) ||
			    info.out_nr_ioptes)
				return EPROTO;
			return rc;
		}
		if (!i) {
			rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
			if (rc)
				return rc;
		}
		if (ioctl_err(fd, IOASID_TEST_DOMAIN_INFO, &info) ||
		    info.out_mapped_bytes != map.length)
			return EPROTO;
	}
	/* A copy inside the same IOAS reaches both domains. */
	copy.dst_ioas_id = ioas.out_ioas_id;
	copy.src_ioas_id = ioas.out_ioas_id;
	copy.src_iova = map.iova;
	rc = ioctl_err(fd, IOASID_IOAS_COPY, &copy);
	if (rc) {
		if (ioctl_err(fd, IOASID_TEST_DOMAIN_INFO, &info) ||
		    info.out_mapped_bytes != map.length)
			return EPROTO;
		return rc;
	}
	if (ioctl_err(fd, IOASID_TEST_DOMAIN_INFO, &info) ||
	    info.out_mapped_bytes != 2 * map.length)
		return EPROTO;
	return ioctl_err(fd, IOASID_IOAS_UNMAP, &unmap);
}

/* Map, then pin, copy and unmap through an in-kernel access. */
static int scenario_access(int fd)
{
	struct ioasid_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct ioasid_ioas_map map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE,
		.user_va = (uintptr_t)map_buf,
		.length = 16 * SZ_4K,
	};
	struct ioasid_test_access_create create = { .size = sizeof(create) };
	struct ioasid_test_access_pin pin = {
		.size = sizeof(pin),
		.length = 3 * SZ_4K,
	};
	struct ioasid_test_access_rw rw = {
		.size = sizeof(rw),
		.flags = IOASID_TEST_ACCESS_RW_WRITE,
		.length = 2 * SZ_4K,
		.data = (uintptr_t)(map_buf + 16 * SZ_4K),
	};
	struct ioasid_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.flags = IOASID_IOAS_UNMAP_ALL,
	};
	struct ioasid_test_access_info info = { .size = sizeof(info) };
	struct ioasid_test_access_replace replace = {
		.size = sizeof(replace),
	};
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	map.ioas_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	if (rc)
		return rc;
	create.ioas_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_TEST_ACCESS_CREATE, &create);
	if (rc)
		return rc;
	pin.access_id = create.out_access_id;
	pin.iova = map.iova + 100;
	pin.data = (uintptr_t)(map_buf + 16 * SZ_4K);
	rc = ioctl_err(fd, IOASID_TEST_ACCESS_PIN, &pin);
	if (rc)
		return rc;
	rw.access_id = create.out_access_id;
	rw.iova = map.iova + SZ_4K;
	rc = ioctl_err(fd, IOASID_TEST_ACCESS_RW, &rw);
	if (rc)
		return rc;
	rw.flags = 0;
	rc = ioctl_err(fd, IOASID_TEST_ACCESS_RW, &rw);
	if (rc)
		return rc;
	/* The unmap releases the pin through the callback. */
	unmap.ioas_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_UNMAP, &unmap);
	if (rc)
		return rc;
	info.access_id = create.out_access_id;
	if (ioctl_err(fd, IOASID_TEST_ACCESS_INFO, &info) ||
	    info.out_nr_pins || info.out_unmap_calls != 1)
		return EPROTO;
	/* Re-pointed to a second IOAS, then back. */
	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	replace.access_id = create.out_access_id;
	replace.ioas_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_TEST_ACCESS_REPLACE, &replace);
	if (rc)
		return rc;
	replace.ioas_id = map.ioas_id;
	return ioctl_err(fd, IOASID_TEST_ACCESS_REPLACE, &replace);
}

/*
 * A mirroring access: populated at creation, told of a new mapping, of an
 * unmap, re-pointed (unpin, replace, populate again), then destroyed.
 */
static int scenario_access_mirror(int fd)
{
	struct ioasid_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct ioasid_ioas_map map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE |
			 IOASID_IOAS_MAP_FIXED_IOVA,
		.user_va = (uintptr_t)map_buf,
		.length = 8 * SZ_4K,
		.iova = SZ_2M - 4 * SZ_4K,
	};
	struct ioasid_test_access_create create = {
		.size = sizeof(create),
		.flags = IOASID_TEST_ACCESS_MIRROR,
	};
	struct ioasid_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.length = 8 * SZ_4K,
	};
	struct ioasid_test_access_info info = { .size = sizeof(info) };
	struct ioasid_test_access_replace replace = {
		.size = sizeof(replace),
	};
	struct ioasid_destroy destroy = { .size = sizeof(destroy) };
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	map.ioas_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	if (rc)
		return rc;
	create.ioas_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_TEST_ACCESS_CREATE, &create);
	if (rc)
		return rc;
	map.iova = 4 * SZ_2M;
	rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	if (rc)
		return rc;
	unmap.ioas_id = ioas.out_ioas_id;
	unmap.iova = SZ_2M - 4 * SZ_4K;
	rc = ioctl_err(fd, IOASID_IOAS_UNMAP, &unmap);
	if (rc)
		return rc;
	/* The second mapping alone is left: one pin, none if it failed. */
	info.access_id = create.out_access_id;
	if (ioctl_err(fd, IOASID_TEST_ACCESS_INFO, &info) ||
	    info.out_nr_pins > 1)
		return EPROTO;
	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	replace.access_id = create.out_access_id;
	replace.ioas_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_TEST_ACCESS_REPLACE, &replace);
	if (rc)
		return rc;
	replace.ioas_id = map.ioas_id;
	rc = ioctl_err(fd, IOASID_TEST_ACCESS_REPLACE, &replace);
	if (rc)
		return rc;
	destroy.id = create.out_access_id;
	return ioctl_err(fd, IOASID_DESTROY, &destroy);
}

/* The vhost-vdpa file of a vdpa_sim_net device, opened before the sweep. */
static int vdpa_fd = -1;
/* Mock devices that live through a sweep (a vDPA parent's). */
static int kept_mock_devices;

/*
 * Bind the vDPA device to the context, attach its data ASID to an IOAS
 * (the mirror pins the mapping), map more (the map callback pins again),
 * move the ASID to a second IOAS, detach; always unbind, so that the next
 * round binds again.
 */
static int scenario_vdpa(int fd)
{
	struct ioasid_ioas_alloc a = { .size = sizeof(a) };
	struct ioasid_ioas_alloc b = { .size = sizeof(b) };
	struct ioasid_ioas_map map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE |
			 IOASID_IOAS_MAP_FIXED_IOVA,
		.user_va = (uintptr_t)map_buf,
		.length = 8 * SZ_4K,
		.iova = SZ_2M - 4 * SZ_4K,
	};
	__u32 dev_id;
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &a);
	if (!rc) {
		map.ioas_id = a.out_ioas_id;
		rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	}
	if (!rc)
		rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &b);
	if (!rc) {
		map.ioas_id = b.out_ioas_id;
		rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	}
	if (rc)
		return rc;
	rc = vdpa_bind(vdpa_fd, fd, &dev_id);
	if (rc)
		return rc;
	rc = vdpa_attach(vdpa_fd, 0, a.out_ioas_id);
	if (!rc) {
		map.ioas_id = a.out_ioas_id;
		map.iova = 4 * SZ_2M;
		rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	}
	if (!rc)
		rc = vdpa_attach(vdpa_fd, 0, b.out_ioas_id);
	if (!rc)
		rc = vdpa_detach(vdpa_fd, 0);
	/* Unbinding cannot fail: it only frees. */
	if (vdpa_unbind(vdpa_fd))
		return EPROTO;
	return rc;
}

/*
 * The same on a device of the test IOMMU's vDPA parent (behind the test
 * IOMMU): the bind drops vhost-vdpa's own domain and binds the device's
 * RID, the attachments are IOMMU attachments (an IOAS, a HWPT, another
 * IOAS), and the unbind allocates and attaches vhost-vdpa's domain again.
 * An unbind that failed to (ENOMEM) leaves the binding without a domain:
 * the next unbind must succeed, and must find nothing to do when the bind
 * failed cleanly (EINVAL).
 */
static int scenario_vdpa_iommu(int fd)
{
	struct ioasid_ioas_map map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE |
			 IOASID_IOAS_MAP_FIXED_IOVA,
		.user_va = (uintptr_t)map_buf,
		.length = 8 * SZ_4K,
		.iova = SZ_2M,
	};
	__u32 a, b, hwpt, dev_id;
	int rc, bound, rc2;

	rc = ioasid_ioas_new(fd, &a);
	if (!rc) {
		map.ioas_id = a;
		rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	}
	if (!rc)
		rc = ioasid_ioas_new(fd, &b);
	if (!rc) {
		map.ioas_id = b;
		rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	}
	if (rc)
		return rc;
	rc = vdpa_bind(vdpa_fd, fd, &dev_id);
	bound = !rc;
	if (!rc)
		rc = vdpa_attach(vdpa_fd, 0, a);
	if (!rc) {
		map.ioas_id = a;
		map.iova = 4 * SZ_2M;
		rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	}
	if (!rc)
		rc = ioasid_hwpt_new(fd, dev_id, b, &hwpt);
	if (!rc)
		rc = vdpa_attach(vdpa_fd, 0, hwpt);
	if (!rc)
		rc = vdpa_attach(vdpa_fd, 0, b);
	if (!rc)
		rc = vdpa_detach(vdpa_fd, 0);
	rc2 = vdpa_unbind(vdpa_fd);
	if (rc2 == ENOMEM) {
		rc = rc ?: rc2;
		rc2 = vdpa_unbind(vdpa_fd);
	}
	if (rc2 && !(rc2 == EINVAL && !bound))
		return EPROTO;
	return rc;
}

static int memfd = -1;

/* Map a memfd into one IOAS, copy it into another, allow, reserve. */
static int scenario_file_copy_allow(int fd)
{
	struct ioasid_ioas_alloc a = { .size = sizeof(a) };
	struct ioasid_ioas_alloc b = { .size = sizeof(b) };
	struct ioasid_ioas_map_file mapf = {
		.size = sizeof(mapf),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE |
			 IOASID_IOAS_MAP_FIXED_IOVA,
		.fd = memfd,
		.length = 8 * SZ_4K,
		.iova = SZ_2M,
	};
	struct ioasid_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOASID_IOAS_MAP_READ,
		.src_iova = SZ_2M,
		.length = 8 * SZ_4K,
	};
	struct ioasid_iova_range ranges[2] = {
		{ .start = 0, .last = 4 * SZ_2M - 1 },
		{ .start = 8 * SZ_2M, .last = 16 * SZ_2M - 1 },
	};
	struct ioasid_ioas_allow_iovas allow = {
		.size = sizeof(allow),
		.num_iovas = 2,
		.allowed_iovas = (uintptr_t)ranges,
	};
	struct ioasid_ioas_reserve reserve = {
		.size = sizeof(reserve),
		.length = SZ_2M,
	};
	struct ioasid_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.flags = IOASID_IOAS_UNMAP_ALL,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &a);
	if (rc)
		return rc;
	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &b);
	if (rc)
		return rc;
	mapf.ioas_id = a.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_MAP_FILE, &mapf);
	if (rc)
		return rc;
	copy.src_ioas_id = a.out_ioas_id;
	copy.dst_ioas_id = b.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_COPY, &copy);
	if (rc)
		return rc;
	allow.ioas_id = a.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_ALLOW_IOVAS, &allow);
	if (rc)
		return rc;
	/* The copy landed where the mapping is: inside the allowed ranges. */
	allow.ioas_id = b.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_ALLOW_IOVAS, &allow);
	if (rc)
		return rc;
	/* Reserving replaces the allowed set; the mapping blocks it here. */
	reserve.ioas_id = a.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_RESERVE, &reserve);
	if (rc != EADDRINUSE)
		return rc ? rc : EPROTO;
	/* Without mappings it succeeds. */
	unmap.ioas_id = b.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_UNMAP, &unmap);
	if (rc)
		return rc;
	reserve.ioas_id = b.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_RESERVE, &reserve);
	if (rc)
		return rc;
	copy.dst_ioas_id = a.out_ioas_id;
	copy.src_ioas_id = a.out_ioas_id;
	copy.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_FIXED_IOVA;
	copy.dst_iova = 8 * SZ_2M;
	rc = ioctl_err(fd, IOASID_IOAS_COPY, &copy);
	if (rc)
		return rc;
	return 0;
}

/* Attach the RID of bound mock device @mock to @pt_id. */
static int device_attach_rid(int fd, __u32 mock, __u32 pt_id)
{
	struct ioasid_test_device_attach attach = {
		.size = sizeof(attach),
		.dev_id = mock,
		.pt_id = pt_id,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_ATTACH, &attach);
}

static int device_attach_rid_replace(int fd, __u32 mock, __u32 pt_id)
{
	struct ioasid_test_device_attach attach = {
		.size = sizeof(attach),
		.flags = IOASID_TEST_DEVICE_ATTACH_REPLACE,
		.dev_id = mock,
		.pt_id = pt_id,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_ATTACH, &attach);
}

/* Bind two devices, attach them to an IOAS, move one to a new HWPT. */
static int scenario_device(int fd)
{
	struct ioasid_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct ioasid_ioas_map map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE,
		.user_va = (uintptr_t)map_buf,
		.length = 16 * SZ_4K,
	};
	struct ioasid_test_mock_dev_add add = { .size = sizeof(add) };
	struct ioasid_test_device_bind bind = { .size = sizeof(bind) };
	struct ioasid_test_device_attach attach = { .size = sizeof(attach) };
	struct ioasid_test_device_detach detach = { .size = sizeof(detach) };
	struct ioasid_test_device_unbind unbind = { .size = sizeof(unbind) };
	struct ioasid_hwpt_alloc hwpt = { .size = sizeof(hwpt) };
	struct ioasid_device_get_hw_info info = { .size = sizeof(info) };
	struct ioasid_test_hw_info hw;
	__u32 mock[2], hwpt_id = 0;
	int rc, i;

	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	map.ioas_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	if (rc)
		return rc;
	for (i = 0; i < 2; i++) {
		/* The second one needs an MSI cookie in the shared table. */
		if (i)
			add.flags = IOASID_TEST_MOCK_DEV_SW_MSI;
		rc = ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &add);
		if (rc)
			return rc;
		mock[i] = add.out_dev_id;
		bind.dev_id = mock[i];
		rc = ioctl_err(fd, IOASID_TEST_DEVICE_BIND, &bind);
		if (rc)
			return rc;
		attach.dev_id = mock[i];
		attach.pt_id = ioas.out_ioas_id;
		rc = ioctl_err(fd, IOASID_TEST_DEVICE_ATTACH, &attach);
		if (rc)
			return rc;
		/* Both share the page table the first attach made. */
		if (i && attach.pt_id != hwpt_id)
			return EPROTO;
		hwpt_id = attach.pt_id;
	}
	info.dev_id = bind.out_device_id;
	info.data_len = sizeof(hw);
	info.data_uptr = (uintptr_t)&hw;
	rc = ioctl_err(fd, IOASID_DEVICE_GET_HW_INFO, &info);
	if (rc)
		return rc;
	hwpt.dev_id = bind.out_device_id;
	hwpt.pt_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_HWPT_ALLOC, &hwpt);
	if (rc)
		return rc;
	attach.flags = IOASID_TEST_DEVICE_ATTACH_REPLACE;
	attach.pt_id = hwpt.out_hwpt_id;
	rc = ioctl_err(fd, IOASID_TEST_DEVICE_ATTACH, &attach);
	if (rc)
		return rc;
	detach.dev_id = mock[0];
	rc = ioctl_err(fd, IOASID_TEST_DEVICE_DETACH, &detach);
	if (rc)
		return rc;
	unbind.dev_id = mock[1];
	return ioctl_err(fd, IOASID_TEST_DEVICE_UNBIND, &unbind);
}

/*
 * PASIDs of two bound devices: the policy, a global PASID on both, PASID
 * attach to an IOAS and a HWPT, the DMA through them, replace, detach,
 * revoke and the release of the global PASID.
 */
static int scenario_pasid(int fd)
{
	struct ioasid_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct ioasid_ioas_alloc ioas2 = { .size = sizeof(ioas2) };
	struct ioasid_ioas_map map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE |
			 IOASID_IOAS_MAP_FIXED_IOVA,
		.user_va = (uintptr_t)map_buf,
		.length = SZ_4K,
		.iova = SZ_2M,
	};
	struct ioasid_test_device_bind bind = { .size = sizeof(bind) };
	struct ioasid_hwpt_alloc hwpt = { .size = sizeof(hwpt) };
	struct ioasid_device_get_pasid_info info;
	__u32 mock[2], dev[2], g, p, h5, h;
	unsigned char data[64];
	int rc, i;

	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &ioas2);
	if (rc)
		return rc;
	map.ioas_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	if (rc)
		return rc;
	map.ioas_id = ioas2.out_ioas_id;
	map.user_va = (uintptr_t)(map_buf + SZ_4K);
	rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	if (rc)
		return rc;
	for (i = 0; i < 2; i++) {
		rc = ioasid_mock_dev_add(fd, i ? IOASID_TEST_MOCK_DEV_PASID :
					 IOASID_TEST_MOCK_DEV_PASID_BITS,
					 0, i ? 0 : 12, &mock[i]);
		if (rc)
			return rc;
		bind.dev_id = mock[i];
		rc = ioctl_err(fd, IOASID_TEST_DEVICE_BIND, &bind);
		if (rc)
			return rc;
		dev[i] = bind.out_device_id;
		rc = ioasid_allow_pasid(fd, mock[i], 1, 4095,
					IOASID_PASID_CFG_PAGING);
		if (rc)
			return rc;
	}
	/* A global PASID, within the narrower width. */
	rc = ioasid_pasid_alloc(fd, dev[0], &g);
	if (rc)
		return rc;
	if (!g || g > 4095)
		return EPROTO;
	/* A device-local PASID besides it. */
	p = g == 5 ? 6 : 5;
	rc = ioasid_pasid_attach(fd, mock[0], p, ioas.out_ioas_id, false,
				 &h5);
	if (rc)
		return rc;
	rc = ioasid_pasid_attach(fd, mock[0], g, ioas.out_ioas_id, false, &h);
	if (rc)
		return rc;
	if (h != h5)
		return EPROTO;
	hwpt.dev_id = dev[1];
	hwpt.pt_id = ioas2.out_ioas_id;
	rc = ioctl_err(fd, IOASID_HWPT_ALLOC, &hwpt);
	if (rc)
		return rc;
	rc = ioasid_pasid_attach(fd, mock[1], g, hwpt.out_hwpt_id, false,
				 NULL);
	if (rc)
		return rc;
	rc = ioasid_pasid_info(fd, dev[1], g, &info);
	if (rc)
		return rc;
	if (info.out_flags != (IOASID_PASID_INFO_DECLARED |
			       IOASID_PASID_INFO_ATTACHED |
			       IOASID_PASID_INFO_GLOBAL) ||
	    info.out_pt_id != hwpt.out_hwpt_id)
		return EPROTO;
	/* The DMA reaches each page table's page. */
	rc = ioasid_mock_dma(fd, mock[0], p, SZ_2M, data, sizeof(data), false);
	if (rc)
		return rc;
	if (data[0] != 0x11 || data[63] != 0x11)
		return EPROTO;
	rc = ioasid_mock_dma(fd, mock[1], g, SZ_2M, data, sizeof(data), false);
	if (rc)
		return rc;
	if (data[0] != 0x22 || data[63] != 0x22)
		return EPROTO;
	/* PASID p moves to the second IOAS, then comes back. */
	rc = ioasid_pasid_attach(fd, mock[0], p, ioas2.out_ioas_id, true, &h);
	if (rc)
		return rc;
	rc = ioasid_mock_dma(fd, mock[0], p, SZ_2M, data, sizeof(data), false);
	if (rc)
		return rc;
	if (data[0] != 0x22)
		return EPROTO;
	rc = ioasid_pasid_attach(fd, mock[0], p, hwpt.out_hwpt_id, true, &h);
	if (rc)
		return rc;
	rc = ioasid_pasid_detach(fd, mock[0], p);
	if (rc)
		return rc;
	/* Revoked on one device: it goes there; held for the other. */
	rc = ioasid_revoke_pasid(fd, mock[0], 1, 4095);
	if (rc)
		return rc;
	rc = ioasid_pasid_free(fd, g);
	if (rc != EBUSY)
		return rc ? rc : EPROTO;
	rc = ioasid_allow_pasid(fd, mock[1], g, g, 0);
	if (rc)
		return rc;
	rc = ioasid_pasid_free(fd, g);
	if (rc)
		return rc;
	/* Left attached for the close: a PASID and the RID. */
	rc = ioasid_pasid_attach(fd, mock[1], g == 7 ? 8 : 7,
				 ioas.out_ioas_id, true, NULL);
	if (rc)
		return rc;
	rc = ioasid_pasid_alloc(fd, dev[1], &g);
	if (rc)
		return rc;
	return device_attach_rid(fd, mock[1], ioas2.out_ioas_id);
}

/* A kernel driver's PASID: taken, used, given back, and released. */
static int scenario_kernel_pasid(int fd)
{
	__u32 mock, pasid = 0;
	int rc;

	rc = ioasid_mock_dev_add(fd, IOASID_TEST_MOCK_DEV_KERNEL_DMA |
				 IOASID_TEST_MOCK_DEV_PASID, 0, 0, &mock);
	if (rc)
		return rc;
	rc = ioasid_kernel_pasid(fd, IOASID_TEST_KERNEL_PASID_ALLOC, mock,
				 &pasid);
	if (rc)
		return rc;
	rc = ioasid_kernel_pasid(fd, IOASID_TEST_KERNEL_PASID_DMA, mock,
				 &pasid);
	if (rc)
		return rc;
	rc = ioasid_kernel_pasid(fd, IOASID_TEST_KERNEL_PASID_FREE, mock,
				 &pasid);
	if (rc)
		return rc;
	/* Held again: the close releases it with the device. */
	return ioasid_kernel_pasid(fd, IOASID_TEST_KERNEL_PASID_ALLOC, mock,
				   &pasid);
}

/* ---- Nesting ------------------------------------------------------------ */

/* Where the stage 2 maps map_buf's page. */
#define NEST_GPA	0x100000ULL

/*
 * A bound mock device of the flavour @flags with an IOAS mapping map_buf's
 * page at NEST_GPA, and a nesting parent of it: *@mock, *@dev, *@parent.
 */
static int nest_setup(int fd, __u32 flags, __u32 *mock, __u32 *dev,
		      __u32 *ioas_id, __u32 *parent)
{
	struct ioasid_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct ioasid_ioas_map map = {
		.size = sizeof(map),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE |
			 IOASID_IOAS_MAP_FIXED_IOVA,
		.user_va = (uintptr_t)map_buf,
		.length = SZ_4K,
		.iova = NEST_GPA,
	};
	struct ioasid_test_device_bind bind = { .size = sizeof(bind) };
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	*ioas_id = ioas.out_ioas_id;
	map.ioas_id = ioas.out_ioas_id;
	rc = ioctl_err(fd, IOASID_IOAS_MAP, &map);
	if (rc)
		return rc;
	rc = ioasid_mock_dev_add(fd, flags, 0, 0, mock);
	if (rc)
		return rc;
	bind.dev_id = *mock;
	rc = ioctl_err(fd, IOASID_TEST_DEVICE_BIND, &bind);
	if (rc)
		return rc;
	*dev = bind.out_device_id;
	return ioasid_nest_parent_alloc(fd, *dev, ioas.out_ioas_id, true,
					parent);
}

/* Whether the RID (@pasid 0) or a PASID of @mock is translated nested. */
static int nest_check_domain(int fd, __u32 mock, __u32 pasid, bool nested)
{
	__u32 flags;
	int rc;

	rc = ioasid_pasid_domain(fd, mock, pasid, NULL, &flags);
	if (rc)
		return rc;
	return !!(flags & IOASID_TEST_DOMAIN_NESTED) == nested ? 0 : EPROTO;
}

/*
 * Nested HWPTs of the mock VT-d (or SMMUv3 with @smmuv3): allocated on a
 * nesting parent, which they hold; invalidated in batches, one stopped by a
 * bad entry; one destroyed, the other left for the close.
 */
static int nested_alloc_invalidate(int fd, bool smmuv3)
{
	struct ioasid_hwpt_vtd_s1_invalidate vtd[3] = {
		{ .addr = NEST_GPA, .npages = 1 },
		{ .addr = 0, .npages = 0 },	/* bad: no pages */
		{ .npages = ~0ULL },
	};
	struct ioasid_hwpt_arm_smmuv3_invalidate cmd[3] = {
		{ .cmd = { IOASID_NEST_CMD_TLBI_NH_ALL, 0 } },
		{ .cmd = { 0x46, 0 } },		/* CMD_SYNC: not supported */
		{ .cmd = { IOASID_NEST_CMD_CFGI_CD_ALL, 0 } },
	};
	__u32 type = smmuv3 ? IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3 :
			      IOASID_HWPT_INVALIDATE_DATA_VTD_S1;
	__u32 len = smmuv3 ? sizeof(cmd[0]) : sizeof(vtd[0]);
	void *entries = smmuv3 ? (void *)cmd : (void *)vtd;
	__u32 mock, dev, ioas, parent, nested[2], num;
	int rc, i;

	rc = nest_setup(fd, smmuv3 ? IOASID_TEST_MOCK_DEV_SMMUV3 :
			IOASID_TEST_MOCK_DEV_VTD, &mock, &dev, &ioas, &parent);
	if (rc)
		return rc;
	for (i = 0; i < 2; i++) {
		rc = ioasid_nest_alloc_min(fd, dev, parent, smmuv3, NEST_GPA,
					   &nested[i]);
		if (rc)
			return rc;
	}
	/* Held by its children, and they by nothing yet. */
	rc = ioctl_err(fd, IOASID_DESTROY, &(struct ioasid_destroy) {
			.size = sizeof(struct ioasid_destroy),
			.id = parent });
	if (rc != EBUSY)
		return rc == ENOMEM ? rc : EPROTO;
	/* The whole batch; then one that stops at its second entry. */
	rc = ioasid_nest_invalidate_all(fd, nested[0], smmuv3);
	if (rc)
		return rc;
	num = 3;
	rc = ioasid_nest_invalidate(fd, nested[1], type, entries, len, &num);
	if (rc == ENOMEM)
		return rc;
	if (rc != (smmuv3 ? EOPNOTSUPP : EINVAL) || num != 1)
		return EPROTO;
	rc = ioctl_err(fd, IOASID_DESTROY, &(struct ioasid_destroy) {
			.size = sizeof(struct ioasid_destroy),
			.id = nested[0] });
	if (rc)
		return rc;
	/* The other one goes with the context, before its parent. */
	return 0;
}

static int scenario_nested_vtd(int fd)
{
	return nested_alloc_invalidate(fd, false);
}

static int scenario_nested_smmuv3(int fd)
{
	return nested_alloc_invalidate(fd, true);
}

/*
 * A nested HWPT of the mock VT-d on the RID and on PASIDs: attached,
 * replaced by its parent and by another nested HWPT and back, detached;
 * left attached for the close.
 */
static int scenario_nested_attach(int fd)
{
	__u32 mock, dev, ioas, parent, nested[2], h;
	int rc, i;

	rc = nest_setup(fd, IOASID_TEST_MOCK_DEV_VTD |
			IOASID_TEST_MOCK_DEV_PASID, &mock, &dev, &ioas,
			&parent);
	if (rc)
		return rc;
	for (i = 0; i < 2; i++) {
		rc = ioasid_nest_alloc_min(fd, dev, parent, false, NEST_GPA,
					   &nested[i]);
		if (rc)
			return rc;
	}
	rc = ioasid_allow_pasid(fd, mock, 1, 8,
				IOASID_PASID_CFG_PAGING |
				IOASID_PASID_CFG_NESTED);
	if (rc)
		return rc;

	/* The RID: nested, its parent, the other nested, detached. */
	rc = device_attach_rid(fd, mock, nested[0]);
	if (rc)
		return rc;
	rc = nest_check_domain(fd, mock, 0, true);
	if (rc)
		return rc;
	rc = ioasid_pasid_attach(fd, mock, 3, nested[0], false, &h);
	if (rc)
		return rc;
	rc = nest_check_domain(fd, mock, 3, true);
	if (rc)
		return rc;
	rc = ioctl_err(fd, IOASID_TEST_DEVICE_ATTACH,
		       &(struct ioasid_test_device_attach) {
			       .size = sizeof(struct ioasid_test_device_attach),
			       .flags = IOASID_TEST_DEVICE_ATTACH_REPLACE,
			       .dev_id = mock,
			       .pt_id = parent,
		       });
	if (rc)
		return rc;
	rc = nest_check_domain(fd, mock, 0, false);
	if (rc)
		return rc;
	rc = ioctl_err(fd, IOASID_TEST_DEVICE_ATTACH,
		       &(struct ioasid_test_device_attach) {
			       .size = sizeof(struct ioasid_test_device_attach),
			       .flags = IOASID_TEST_DEVICE_ATTACH_REPLACE,
			       .dev_id = mock,
			       .pt_id = nested[1],
		       });
	if (rc)
		return rc;
	rc = nest_check_domain(fd, mock, 0, true);
	if (rc)
		return rc;

	/* PASID 3: to the parent's IOAS, to the other nested, and back. */
	rc = ioasid_pasid_attach(fd, mock, 3, ioas, true, &h);
	if (rc)
		return rc;
	rc = nest_check_domain(fd, mock, 3, false);
	if (rc)
		return rc;
	rc = ioasid_pasid_attach(fd, mock, 3, nested[1], true, &h);
	if (rc)
		return rc;
	rc = ioasid_pasid_attach(fd, mock, 3, nested[0], true, &h);
	if (rc)
		return rc;
	rc = nest_check_domain(fd, mock, 3, true);
	if (rc)
		return rc;
	/* Not allowed at PASID 9: refused, whatever failed before. */
	rc = ioasid_pasid_attach(fd, mock, 9, nested[0], false, &h);
	if (rc != EPERM)
		return rc == ENOMEM ? rc : EPROTO;
	rc = ioasid_pasid_detach(fd, mock, 3);
	if (rc)
		return rc;
	rc = nest_check_domain(fd, mock, 3, false);
	if (rc)
		return rc;
	rc = ioctl_err(fd, IOASID_TEST_DEVICE_DETACH,
		       &(struct ioasid_test_device_detach) {
			       .size = sizeof(struct ioasid_test_device_detach),
			       .dev_id = mock,
		       });
	if (rc)
		return rc;
	rc = ioctl_err(fd, IOASID_DESTROY, &(struct ioasid_destroy) {
			.size = sizeof(struct ioasid_destroy),
			.id = nested[0] });
	if (rc)
		return rc;
	/* Left for the close: the RID and a PASID on the other nested. */
	rc = device_attach_rid(fd, mock, nested[1]);
	if (rc)
		return rc;
	return ioasid_pasid_attach(fd, mock, 5, nested[1], false, &h);
}

static int fault_efd = -1;

/*
 * The page requests of @mock seen so far must add up: each raised group is
 * pending, or answered; the pending ones are exactly @delivered (those in
 * a queue, waiting for us).
 */
static int fault_check(int fd, __u32 mock, __u32 delivered)
{
	struct ioasid_test_iopf_stats st;
	int rc;

	rc = ioasid_iopf_stats(fd, mock, &st);
	if (rc)
		return rc;
	if (st.out_raised != st.out_pending + st.out_success +
			     st.out_invalid + st.out_failure ||
	    st.out_pending != delivered)
		return EPROTO;
	return 0;
}

/* Answer every complete group in the ring with @code: how many. */
static __u32 fault_answer_all(struct ioasid_fq *q, __u32 code, int *rc)
{
	struct ioasid_fault_record r[16];
	__u32 tail = q->ring->resp_tail, n, i, groups = 0;

	*rc = 0;
	while ((n = ioasid_fq_pop(q, r, 16))) {
		for (i = 0; i < n; i++) {
			if (!(r[i].flags & IOASID_FAULT_LAST_IN_GROUP))
				continue;
			if (!ioasid_fq_push(q, &tail, r[i].cookie, code)) {
				*rc = EPROTO;
				return groups;
			}
			groups++;
		}
	}
	*rc = ioasid_fq_commit(q, tail, NULL);
	return groups;
}

/* Groups of complete requests waiting in the ring. */
static __u32 fault_groups_waiting(struct ioasid_fq *q)
{
	__u32 head = q->ring->rec_head, tail = q->ring->rec_tail, n = 0;

	for (; head != tail; head++)
		if (q->rec[head % q->nr].flags & IOASID_FAULT_LAST_IN_GROUP)
			n++;
	return n;
}

/*
 * Fault queues: one with an eventfd, a paging and a nested HWPT that use
 * it, attached to the RID and a PASID of a PRI-capable device; bursts of
 * page requests delivered (an allocation that fails on the way answers the
 * group with failure), answered through the ring, and outstanding ones
 * answered by a replace and by a detach.
 */
static int scenario_fault(int fd)
{
	__u32 mock, dev, ioas, parent, paging, nested;
	struct ioasid_fq q;
	int rc, rc2;

	rc = ioasid_fq_open(fd, IOASID_FAULT_QUEUE_EVENTFD, 16, fault_efd,
			    &q);
	if (rc)
		goto out;
	rc = nest_setup(fd, IOASID_TEST_MOCK_DEV_VTD |
			IOASID_TEST_MOCK_DEV_PASID | IOASID_TEST_MOCK_DEV_PRI,
			&mock, &dev, &ioas, &parent);
	if (rc)
		goto out;
	rc = ioasid_hwpt_alloc_fault(fd, dev, ioas, q.id, &paging);
	if (rc)
		goto out;
	rc = ioasid_nest_alloc_fault(fd, dev, parent, IOASID_HWPT_DATA_VTD_S1,
				     &(struct ioasid_hwpt_vtd_s1) {
					.pgtbl_addr = NEST_GPA,
					.addr_width = 48,
				     }, sizeof(struct ioasid_hwpt_vtd_s1), q.id,
				     &nested);
	if (rc)
		goto out;
	rc = ioasid_allow_pasid(fd, mock, 1, 1, IOASID_PASID_CFG_PAGING);
	if (rc)
		goto out;
	rc = device_attach_rid(fd, mock, nested);
	if (rc)
		goto out;
	rc = ioasid_pasid_attach(fd, mock, 1, paging, false, NULL);
	if (rc)
		goto out;

	/* Delivery. */
	rc = ioasid_iopf_inject(fd, mock, 0, NEST_GPA, 3, 1,
				IOASID_FAULT_PERM_READ, NULL);
	if (rc)
		goto out;
	rc = ioasid_iopf_inject(fd, mock, 1, NEST_GPA, 4, 2,
				IOASID_FAULT_PERM_WRITE, NULL);
	if (rc)
		goto out;
	rc = fault_check(fd, mock, fault_groups_waiting(&q));
	if (rc)
		goto out;
	fault_answer_all(&q, IOASID_FAULT_RESP_SUCCESS, &rc);
	if (rc)
		goto out;
	rc = fault_check(fd, mock, 0);
	if (rc)
		goto out;

	/* Outstanding ones, answered by a replace, then by a detach. */
	rc = ioasid_iopf_inject(fd, mock, 0, NEST_GPA, 2, 1,
				IOASID_FAULT_PERM_READ, NULL);
	if (rc)
		goto out;
	rc = device_attach_rid_replace(fd, mock, paging);
	if (rc)
		goto out;
	rc = fault_check(fd, mock, 0);
	if (rc)
		goto out;
	rc = ioasid_iopf_inject(fd, mock, 1, NEST_GPA, 2, 1,
				IOASID_FAULT_PERM_READ, NULL);
	if (rc)
		goto out;
	rc = ioasid_pasid_detach(fd, mock, 1);
	if (rc)
		goto out;
	rc = fault_check(fd, mock, 0);
	if (rc)
		goto out;
	/* Those answered already: the ring's answers find nothing. */
	fault_answer_all(&q, IOASID_FAULT_RESP_SUCCESS, &rc2);
	if (rc2 && rc2 != ESRCH)
		rc = EPROTO;
out:
	ioasid_fq_close(&q);
	return rc;
}

static int scenario_get_info(int fd)
{
	struct ioasid_info info = { .size = sizeof(info) };

	return ioctl_err(fd, IOASID_GET_INFO, &info);
}

FIXTURE(fail_nth)
{
	int unused;
};

FIXTURE_SETUP(fail_nth)
{
	struct ioasid_info info = { .size = sizeof(info) };
	int fd;

	snprintf(fail_nth_path, sizeof(fail_nth_path),
		 "/proc/self/task/%ld/fail-nth", (long)syscall(SYS_gettid));
	fail_nth_fd = open(fail_nth_path, O_RDWR);
	if (fail_nth_fd < 0)
		SKIP(return, "no %s (CONFIG_FAULT_INJECTION)", fail_nth_path);
	/*
	 * Count sleeping slab allocations too, and keep quiet: an injected
	 * failure is expected here, not a report.
	 */
	if (sysfs_write("/sys/kernel/debug/failslab/ignore-gfp-wait", "N") ||
	    sysfs_write("/sys/kernel/debug/failslab/verbose", "0"))
		SKIP(return, "no failslab in debugfs (CONFIG_FAILSLAB)");

	fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, fd);
	if (ioctl(fd, IOASID_GET_INFO, &info) ||
	    !(info.features & IOASID_FEATURE_TEST)) {
		close(fd);
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	}
	close(fd);
	ASSERT_EQ(0, count_mock_devices());
}

FIXTURE_TEARDOWN(fail_nth)
{
	if (fail_nth_fd >= 0) {
		fail_nth_set(fail_nth_fd, 0);
		close(fail_nth_fd);
	}
	sysfs_write("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y");
}

static void sweep(struct __test_metadata *_metadata, scenario_fn fn)
{
	unsigned int nth, injected = 0;
	long pinned = vm_pinned_kb();

	ASSERT_LE(0, pinned);

	for (nth = 1; nth < 10000; nth++) {
		bool fired;
		int fd, rc;

		/* The open is part of the scenario: it allocates the context. */
		ASSERT_TRUE(fail_nth_set(fail_nth_fd, nth));
		fd = open("/dev/ioasid", O_RDWR);
		rc = fd < 0 ? errno : fn(fd);
		fired = fail_nth_fired(fail_nth_fd);
		ASSERT_TRUE(fail_nth_set(fail_nth_fd, 0));

		/* Only allocation failures may surface, never a wrong state. */
		if (rc && rc != ENOMEM && rc != ENOSPC && rc != ENODEV)
			TH_LOG("nth %u: unexpected errno %d (%s)", nth, rc,
			       strerror(rc));
		ASSERT_TRUE(!rc || rc == ENOMEM || rc == ENOSPC ||
			    rc == ENODEV);
		/* An error with no injected failure is a bug. */
		ASSERT_TRUE(fired || !rc);

		if (fd >= 0)
			ASSERT_EQ(0, close(fd));
		ASSERT_EQ(kept_mock_devices, count_mock_devices());
		/* Every pin is given back with the context. */
		ASSERT_EQ(pinned, vm_pinned_kb());
		if (fired)
			injected++;
		if (!fired)
			break;
	}
	/* The sweep reached the end: the scenario ran without a failure. */
	ASSERT_GT(10000, nth);
	ASSERT_LT(0, injected);
	TH_LOG("%u injected failures", injected);
}

/*
 * The timeouts are generous: a slow or loaded machine must not turn a
 * sweep into a failure.
 */
TEST_F_TIMEOUT(fail_nth, mock_dev_add, 900)
{
	sweep(_metadata, scenario_dev);
}

TEST_F_TIMEOUT(fail_nth, mock_domain, 900)
{
	sweep(_metadata, scenario_domain);
}

TEST_F_TIMEOUT(fail_nth, domain_map, 900)
{
	sweep(_metadata, scenario_map);
}

TEST_F_TIMEOUT(fail_nth, ioas_map_fill_unmap, 900)
{
	map_buf = mmap(NULL, 16 * SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map_buf);
	memset(map_buf, 0, 16 * SZ_4K);
	sweep(_metadata, scenario_ioas);
	munmap(map_buf, 16 * SZ_4K);
}

TEST_F_TIMEOUT(fail_nth, access_pin_rw_unmap, 900)
{
	map_buf = mmap(NULL, 18 * SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map_buf);
	memset(map_buf, 0, 18 * SZ_4K);
	sweep(_metadata, scenario_access);
	munmap(map_buf, 18 * SZ_4K);
}

TEST_F_TIMEOUT(fail_nth, access_mirror, 900)
{
	map_buf = mmap(NULL, 8 * SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map_buf);
	memset(map_buf, 0, 8 * SZ_4K);
	sweep(_metadata, scenario_access_mirror);
	munmap(map_buf, 8 * SZ_4K);
}

TEST_F_TIMEOUT(fail_nth, vdpa_bind_attach_replace, 900)
{
	static const unsigned char mac[ETH_ALEN] = { 2, 0x5a, 0xa5, 0, 0, 1 };
	char path[300];
	int family, rc;

	rc = vdpa_test_dev_create("vdpa-ioasid-fn", mac, &family, path,
				  sizeof(path));
	if (rc)
		SKIP(return, "no vdpa_sim_net device: %s", strerror(-rc));
	vdpa_fd = vdpa_test_open(path);
	ASSERT_LE(0, vdpa_fd);
	map_buf = mmap(NULL, 8 * SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map_buf);
	memset(map_buf, 0, 8 * SZ_4K);
	if (vhost_ioasid_missing(vdpa_bind(vdpa_fd, -1, NULL)))
		SKIP(goto out, "no VHOST_VDPA_BIND_IOASID in this kernel");
	sweep(_metadata, scenario_vdpa);
out:
	munmap(map_buf, 8 * SZ_4K);
	close(vdpa_fd);
	vdpa_fd = -1;
	EXPECT_EQ(0, vdpa_dev_del(family, "vdpa-ioasid-fn"));
}

TEST_F_TIMEOUT(fail_nth, vdpa_iommu_bind_attach_replace, 900)
{
	char path[300];
	int family, rc;
	__u8 byte;

	rc = vdpa_test_dev_create_on(IOASID_TEST_VDPA_MGMTDEV,
				     "vdpa-ioasid-fn-iommu", NULL, &family,
				     path, sizeof(path));
	if (rc)
		SKIP(return, "no %s device: %s", IOASID_TEST_VDPA_MGMTDEV,
		     strerror(-rc));
	kept_mock_devices = 1;
	vdpa_fd = vdpa_test_open(path);
	ASSERT_LE(0, vdpa_fd);
	map_buf = mmap(NULL, 8 * SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map_buf);
	memset(map_buf, 0, 8 * SZ_4K);
	if (vhost_ioasid_missing(vdpa_bind(vdpa_fd, -1, NULL)))
		SKIP(goto out, "no VHOST_VDPA_BIND_IOASID in this kernel");
	sweep(_metadata, scenario_vdpa_iommu);
	/* vhost-vdpa's own domain is back and translates its IOTLB. */
	ASSERT_EQ(0, vdpa_iotlb_msg(vdpa_fd, 0, VHOST_IOTLB_UPDATE, SZ_2M,
				    SZ_4K, map_buf));
	ASSERT_EQ(0, vdpa_mock_dma(vdpa_fd, IOASID_TEST_VDPA_DMA_READ, SZ_2M,
				   &byte, 1, NULL));
out:
	munmap(map_buf, 8 * SZ_4K);
	close(vdpa_fd);
	vdpa_fd = -1;
	kept_mock_devices = 0;
	EXPECT_EQ(0, vdpa_dev_del(family, "vdpa-ioasid-fn-iommu"));
}

TEST_F_TIMEOUT(fail_nth, map_file_copy_allow, 900)
{
	memfd = memfd_create("ioasid-fail-nth", 0);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, 8 * SZ_4K));
	sweep(_metadata, scenario_file_copy_allow);
	close(memfd);
}

TEST_F_TIMEOUT(fail_nth, device_bind_attach_replace, 900)
{
	map_buf = mmap(NULL, 16 * SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map_buf);
	memset(map_buf, 0, 16 * SZ_4K);
	sweep(_metadata, scenario_device);
	munmap(map_buf, 16 * SZ_4K);
}

TEST_F_TIMEOUT(fail_nth, pasid_attach_replace_detach, 900)
{
	map_buf = mmap(NULL, 2 * SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map_buf);
	memset(map_buf, 0x11, SZ_4K);
	memset(map_buf + SZ_4K, 0x22, SZ_4K);
	sweep(_metadata, scenario_pasid);
	munmap(map_buf, 2 * SZ_4K);
}

TEST_F_TIMEOUT(fail_nth, kernel_pasid, 900)
{
	sweep(_metadata, scenario_kernel_pasid);
}

static bool have_nesting(void)
{
	struct ioasid_info info = { .size = sizeof(info) };
	int fd = open("/dev/ioasid", O_RDWR);
	bool ok;

	if (fd < 0)
		return false;
	ok = !ioctl(fd, IOASID_GET_INFO, &info) &&
	     (info.features & IOASID_FEATURE_NESTING);
	close(fd);
	return ok;
}

static void nest_sweep(struct __test_metadata *_metadata, scenario_fn fn)
{
	map_buf = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map_buf);
	memset(map_buf, 0, SZ_4K);
	sweep(_metadata, fn);
	munmap(map_buf, SZ_4K);
}

TEST_F_TIMEOUT(fail_nth, nested_alloc_invalidate_vtd, 900)
{
	if (!have_nesting())
		SKIP(return, "kernel without IOASID_FEATURE_NESTING");
	nest_sweep(_metadata, scenario_nested_vtd);
}

TEST_F_TIMEOUT(fail_nth, nested_alloc_invalidate_smmuv3, 900)
{
	if (!have_nesting())
		SKIP(return, "kernel without IOASID_FEATURE_NESTING");
	nest_sweep(_metadata, scenario_nested_smmuv3);
}

TEST_F_TIMEOUT(fail_nth, nested_attach_replace_detach, 900)
{
	if (!have_nesting())
		SKIP(return, "kernel without IOASID_FEATURE_NESTING");
	nest_sweep(_metadata, scenario_nested_attach);
}

TEST_F_TIMEOUT(fail_nth, fault_queue_attach_deliver, 900)
{
	struct ioasid_info info = { .size = sizeof(info) };
	int fd = open("/dev/ioasid", O_RDWR);

	ASSERT_LE(0, fd);
	if (ioctl(fd, IOASID_GET_INFO, &info) ||
	    !(info.features & IOASID_FEATURE_FAULT) ||
	    !(info.features & IOASID_FEATURE_NESTING)) {
		close(fd);
		SKIP(return, "kernel without fault queues or nesting");
	}
	close(fd);
	fault_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, fault_efd);
	nest_sweep(_metadata, scenario_fault);
	close(fault_efd);
}

TEST_F_TIMEOUT(fail_nth, open_get_info, 900)
{
	sweep(_metadata, scenario_get_info);
}

TEST_HARNESS_MAIN
