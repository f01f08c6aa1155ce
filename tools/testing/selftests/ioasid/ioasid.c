// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid selftests: the character device, the object table, the ioctl
 * dispatcher and the test IOMMU driver.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/ioasid.h>

#include "../kselftest_harness.h"
#include "ioasid_util.h"
#include "../../../../drivers/iommu/ioasid/ioasid_test.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL

#define MOCK_SYSFS "/sys/bus/ioasid_mock/devices"

#ifndef offsetofend
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#endif

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

static int destroy(int fd, __u32 id)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl_err(fd, IOASID_DESTROY, &cmd);
}

static int mock_dev_add(int fd, __u32 *dev_id, __u32 *index)
{
	struct ioasid_test_mock_dev_add cmd = { .size = sizeof(cmd) };
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &cmd);
	if (!rc) {
		*dev_id = cmd.out_dev_id;
		if (index)
			*index = cmd.out_index;
	}
	return rc;
}

static int mock_domain_alloc(int fd, __u32 dev_id, __u32 *domain_id)
{
	struct ioasid_test_mock_domain_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_MOCK_DOMAIN_ALLOC, &cmd);
	if (!rc)
		*domain_id = cmd.out_domain_id;
	return rc;
}

static int domain_map(int fd, __u32 domain_id, __u64 iova, __u64 paddr,
		      __u64 length, __u32 prot)
{
	struct ioasid_test_domain_map cmd = {
		.size = sizeof(cmd),
		.domain_id = domain_id,
		.prot = prot,
		.iova = iova,
		.paddr = paddr,
		.length = length,
	};

	return ioctl_err(fd, IOASID_TEST_DOMAIN_MAP, &cmd);
}

static int domain_unmap(int fd, __u32 domain_id, __u64 iova, __u64 length,
			__u64 *unmapped)
{
	struct ioasid_test_domain_unmap cmd = {
		.size = sizeof(cmd),
		.domain_id = domain_id,
		.iova = iova,
		.length = length,
		.out_unmapped = ~0ULL,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_DOMAIN_UNMAP, &cmd);
	if (!rc)
		*unmapped = cmd.out_unmapped;
	return rc;
}

static int iopte_get(int fd, __u32 domain_id, __u64 iova,
		     struct ioasid_test_iopte_get *out)
{
	*out = (struct ioasid_test_iopte_get) {
		.size = sizeof(*out),
		.domain_id = domain_id,
		.iova = iova,
	};
	return ioctl_err(fd, IOASID_TEST_IOPTE_GET, out);
}

static int domain_info(int fd, __u32 domain_id,
		       struct ioasid_test_domain_info *out)
{
	*out = (struct ioasid_test_domain_info) {
		.size = sizeof(*out),
		.domain_id = domain_id,
	};
	return ioctl_err(fd, IOASID_TEST_DOMAIN_INFO, out);
}

static bool mock_dev_present(__u32 index)
{
	char path[128];

	snprintf(path, sizeof(path), MOCK_SYSFS "/mock%u", index);
	return access(path, F_OK) == 0;
}

static bool mock_dev_has_group(__u32 index)
{
	char path[128];

	snprintf(path, sizeof(path), MOCK_SYSFS "/mock%u/iommu_group", index);
	return access(path, F_OK) == 0;
}

/* ---- The device node and the dispatcher -------------------------------- */

TEST(open_close)
{
	struct stat st;
	int fd1, fd2;

	fd1 = open_ioasid();
	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, fstat(fd1, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	fd2 = open_ioasid();
	ASSERT_LE(0, fd2);
	ASSERT_NE(fd1, fd2);
	ASSERT_EQ(0, close(fd1));
	ASSERT_EQ(0, close(fd2));
}

TEST(get_info)
{
	struct ioasid_info info = {
		.size = sizeof(info),
		.api_version = 0xdead,
		.features = ~0ULL,
	};
	int fd = open_ioasid();

	ASSERT_LE(0, fd);
	/* Outputs are fields the kernel overwrites; inputs stay as given. */
	info.api_version = 0;
	info.features = 0;
	ASSERT_EQ(0, ioctl_err(fd, IOASID_GET_INFO, &info));
	ASSERT_EQ(IOASID_API_VERSION, info.api_version);
	ASSERT_EQ(sizeof(info), info.size);
	ASSERT_EQ(0, info.flags);
	/* Only known feature bits are reported. */
	ASSERT_EQ(0, info.features & ~(__u64)(IOASID_FEATURE_TEST |
					     IOASID_FEATURE_IOAS |
					     IOASID_FEATURE_ACCOUNT_MODE |
					     IOASID_FEATURE_MAP_FILE |
					     IOASID_FEATURE_ALLOW_IOVAS |
					     IOASID_FEATURE_HWPT |
					     IOASID_FEATURE_HW_INFO |
					     IOASID_FEATURE_PASID |
					     IOASID_FEATURE_GLOBAL_PASID |
					     IOASID_FEATURE_NESTING |
					     IOASID_FEATURE_FAULT));
	/* Fault queues are part of every build. */
	EXPECT_TRUE(info.features & IOASID_FEATURE_FAULT);
	if (!(info.features & IOASID_FEATURE_TEST))
		TH_LOG("kernel built without CONFIG_IOASID_TEST");
	close(fd);
}

TEST(size_too_short)
{
	struct ioasid_info info = {};
	int fd = open_ioasid();

	ASSERT_LE(0, fd);
	info.size = 0;
	EXPECT_EQ(EINVAL, ioctl_err(fd, IOASID_GET_INFO, &info));
	info.size = offsetofend(struct ioasid_info, features) - 1;
	EXPECT_EQ(EINVAL, ioctl_err(fd, IOASID_GET_INFO, &info));
	info.size = sizeof(__u32);
	EXPECT_EQ(EINVAL, ioctl_err(fd, IOASID_GET_INFO, &info));
	close(fd);
}

TEST(size_longer)
{
	struct {
		struct ioasid_info info;
		__u64 tail[2];
	} buf = {};
	int fd = open_ioasid();

	ASSERT_LE(0, fd);
	/* A newer caller with a zero tail is served ... */
	buf.info.size = sizeof(buf);
	ASSERT_EQ(0, ioctl_err(fd, IOASID_GET_INFO, &buf));
	ASSERT_EQ(IOASID_API_VERSION, buf.info.api_version);
	ASSERT_EQ(0, buf.tail[0]);
	ASSERT_EQ(0, buf.tail[1]);

	/* ... but one asking for something this kernel lacks is refused. */
	buf.info.api_version = 0;
	buf.tail[1] = 1;
	ASSERT_EQ(E2BIG, ioctl_err(fd, IOASID_GET_INFO, &buf));
	ASSERT_EQ(0, buf.info.api_version);
	close(fd);
}

TEST(bad_user_pointer)
{
	int fd = open_ioasid();

	ASSERT_LE(0, fd);
	EXPECT_EQ(EFAULT, ioctl_err(fd, IOASID_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, ioctl_err(fd, IOASID_GET_INFO, (void *)8));
	EXPECT_EQ(EFAULT, ioctl_err(fd, IOASID_DESTROY, NULL));
	close(fd);
}

TEST(unknown_ioctl)
{
	struct ioasid_info info = { .size = sizeof(info) };
	int fd = open_ioasid();

	ASSERT_LE(0, fd);
	/* Unused numbers of the range, both halves. */
	EXPECT_EQ(ENOTTY, ioctl_err(fd, _IO(IOASID_TYPE, 0x3f), &info));
	EXPECT_EQ(ENOTTY, ioctl_err(fd, _IO(IOASID_TYPE, 0x63), &info));
	/* VFIO's and iommufd's numbers are not ours. */
	EXPECT_EQ(ENOTTY, ioctl_err(fd, _IO(IOASID_TYPE, 0x64), &info));
	EXPECT_EQ(ENOTTY, ioctl_err(fd, _IO(IOASID_TYPE, 0x80), &info));
	/* Another type with our number, and our number with size bits. */
	EXPECT_EQ(ENOTTY, ioctl_err(fd, _IO('x', IOASID_CMD_GET_INFO), &info));
	EXPECT_EQ(ENOTTY,
		  ioctl_err(fd, _IOWR(IOASID_TYPE, IOASID_CMD_GET_INFO,
				      struct ioasid_info), &info));
	close(fd);
}

TEST(unknown_flags)
{
	struct ioasid_info info = { .size = sizeof(info) };
	struct ioasid_destroy d = { .size = sizeof(d), .id = 1 };
	int fd = open_ioasid();

	ASSERT_LE(0, fd);
	info.flags = 1;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(fd, IOASID_GET_INFO, &info));
	info.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(fd, IOASID_GET_INFO, &info));
	d.flags = 1;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(fd, IOASID_DESTROY, &d));
	close(fd);
}

TEST(nonzero_reserved)
{
	struct ioasid_info info = { .size = sizeof(info), .__reserved = 1 };
	struct ioasid_destroy d = { .size = sizeof(d), .id = 1,
				    .__reserved = 1 };
	int fd = open_ioasid();

	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, ioctl_err(fd, IOASID_GET_INFO, &info));
	EXPECT_EQ(EINVAL, ioctl_err(fd, IOASID_DESTROY, &d));
	close(fd);
}

TEST(destroy_bad_id)
{
	int fd = open_ioasid();

	ASSERT_LE(0, fd);
	EXPECT_EQ(ENOENT, destroy(fd, 0));
	EXPECT_EQ(ENOENT, destroy(fd, 1));
	EXPECT_EQ(ENOENT, destroy(fd, 12345));
	EXPECT_EQ(ENOENT, destroy(fd, ~0U));
	close(fd);
}

TEST(test_ioctls_match_feature_bit)
{
	struct ioasid_test_mock_dev_add cmd = { .size = sizeof(cmd) };
	int fd = open_ioasid();
	int rc;

	ASSERT_LE(0, fd);
	rc = ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &cmd);
	if (have_test_driver(fd)) {
		ASSERT_EQ(0, rc);
		ASSERT_EQ(0, destroy(fd, cmd.out_dev_id));
	} else {
		ASSERT_EQ(ENOTTY, rc);
	}
	close(fd);
}

/* ---- The test IOMMU driver and the object table ------------------------ */

FIXTURE(mock)
{
	int fd;
};

FIXTURE_SETUP(mock)
{
	self->fd = open_ioasid();
	ASSERT_LE(0, self->fd);
	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
}

FIXTURE_TEARDOWN(mock)
{
	close(self->fd);
}

TEST_F(mock, dev_add_destroy)
{
	__u32 dev_id, index;

	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, &index));
	ASSERT_NE(0, dev_id);
	ASSERT_TRUE(mock_dev_present(index));
	/* The IOMMU core probed it with the test driver. */
	ASSERT_TRUE(mock_dev_has_group(index));

	ASSERT_EQ(0, destroy(self->fd, dev_id));
	ASSERT_FALSE(mock_dev_present(index));
	ASSERT_EQ(ENOENT, destroy(self->fd, dev_id));
}

TEST_F(mock, dev_add_dispatch_errors)
{
	struct ioasid_test_mock_dev_add cmd = { .size = sizeof(cmd) };

	cmd.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP,
		  ioctl_err(self->fd, IOASID_TEST_MOCK_DEV_ADD, &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_MOCK_DEV_ADD, &cmd));
	cmd.__reserved = 0;
	cmd.size = offsetofend(struct ioasid_test_mock_dev_add, out_index) - 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_MOCK_DEV_ADD, &cmd));
	/* Nothing was created by the failed calls. */
	EXPECT_EQ(ENOENT, destroy(self->fd, 1));
}

TEST_F(mock, ids_are_distinct)
{
	__u32 a, b, c;

	ASSERT_EQ(0, mock_dev_add(self->fd, &a, NULL));
	ASSERT_EQ(0, mock_dev_add(self->fd, &b, NULL));
	ASSERT_NE(a, b);
	ASSERT_EQ(0, destroy(self->fd, a));
	ASSERT_EQ(0, mock_dev_add(self->fd, &c, NULL));
	ASSERT_NE(b, c);
	ASSERT_EQ(0, destroy(self->fd, b));
	ASSERT_EQ(0, destroy(self->fd, c));
}

TEST_F(mock, destroy_busy)
{
	__u32 dev_id, domain_id;

	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));
	ASSERT_NE(dev_id, domain_id);

	/* The domain holds the device. */
	ASSERT_EQ(EBUSY, destroy(self->fd, dev_id));
	ASSERT_EQ(0, destroy(self->fd, domain_id));
	ASSERT_EQ(ENOENT, destroy(self->fd, domain_id));
	ASSERT_EQ(0, destroy(self->fd, dev_id));
	ASSERT_EQ(ENOENT, destroy(self->fd, dev_id));
}

TEST_F(mock, wrong_object_type)
{
	struct ioasid_test_domain_info info;
	__u32 dev_id, domain_id, id;

	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));
	/* A domain id where a device is expected, and the reverse. */
	EXPECT_EQ(ENOENT, mock_domain_alloc(self->fd, domain_id, &id));
	EXPECT_EQ(ENOENT, domain_info(self->fd, dev_id, &info));
	EXPECT_EQ(ENOENT, mock_domain_alloc(self->fd, 0, &id));
	EXPECT_EQ(ENOENT, mock_domain_alloc(self->fd, 9999, &id));
	ASSERT_EQ(0, destroy(self->fd, domain_id));
	ASSERT_EQ(0, destroy(self->fd, dev_id));
}

TEST_F(mock, close_with_live_objects)
{
	__u32 dev_id, domain_id, index[4];
	int fd, i;

	fd = open_ioasid();
	ASSERT_LE(0, fd);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, mock_dev_add(fd, &dev_id, &index[i]));
		ASSERT_EQ(0, mock_domain_alloc(fd, dev_id, &domain_id));
		ASSERT_EQ(0, domain_map(fd, domain_id, SZ_2M * i, SZ_1G,
					SZ_2M + SZ_4K,
					IOASID_TEST_PROT_READ));
	}
	/* Close destroys domains before the devices they hold. */
	ASSERT_EQ(0, close(fd));
	for (i = 0; i < 4; i++)
		ASSERT_FALSE(mock_dev_present(index[i]));
}

TEST_F(mock, many_contexts)
{
	enum { NR_CTX = 64 };
	__u32 dev_id[NR_CTX], index[NR_CTX];
	int fds[NR_CTX];
	int i;

	for (i = 0; i < NR_CTX; i++) {
		fds[i] = open_ioasid();
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, mock_dev_add(fds[i], &dev_id[i], &index[i]));
	}
	for (i = 0; i < NR_CTX; i++) {
		/* Every context has an id space of its own. */
		ASSERT_EQ(dev_id[0], dev_id[i]);
		ASSERT_TRUE(mock_dev_present(index[i]));
	}
	/* Objects of one context are not reachable from another. */
	ASSERT_EQ(0, destroy(fds[1], dev_id[1]));
	ASSERT_EQ(ENOENT, destroy(fds[1], dev_id[0]));
	ASSERT_TRUE(mock_dev_present(index[0]));
	ASSERT_FALSE(mock_dev_present(index[1]));
	for (i = 0; i < NR_CTX; i++)
		ASSERT_EQ(0, close(fds[i]));
	for (i = 0; i < NR_CTX; i++)
		ASSERT_FALSE(mock_dev_present(index[i]));
}

TEST_F(mock, ctx_from_fd)
{
	struct ioasid_test_ctx_from_fd cmd = { .size = sizeof(cmd) };
	int other, null;

	other = open_ioasid();
	ASSERT_LE(0, other);
	null = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null);

	cmd.fd = self->fd;
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_TEST_CTX_FROM_FD, &cmd));
	ASSERT_EQ(1, cmd.out_same);
	cmd.fd = other;
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_TEST_CTX_FROM_FD, &cmd));
	ASSERT_EQ(0, cmd.out_same);
	cmd.fd = null;
	ASSERT_EQ(EBADFD, ioctl_err(self->fd, IOASID_TEST_CTX_FROM_FD, &cmd));
	cmd.fd = -1;
	ASSERT_EQ(EBADF, ioctl_err(self->fd, IOASID_TEST_CTX_FROM_FD, &cmd));
	close(null);
	close(other);
}

/* A process that dies with live objects releases them like a close. */
TEST_F(mock, process_exit_releases)
{
	int pipefd[2];
	__u32 index;
	pid_t pid;
	int status;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 dev_id, domain_id, idx;
		int fd = open_ioasid();

		if (fd < 0 || mock_dev_add(fd, &dev_id, &idx) ||
		    mock_domain_alloc(fd, dev_id, &domain_id) ||
		    domain_map(fd, domain_id, 0, 0, SZ_2M,
			       IOASID_TEST_PROT_READ))
			_exit(1);
		if (write(pipefd[1], &idx, sizeof(idx)) != sizeof(idx))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(sizeof(index), read(pipefd[0], &index, sizeof(index)));
	ASSERT_FALSE(mock_dev_present(index));
	close(pipefd[0]);
	close(pipefd[1]);
}

/* ---- Mock paging domains: exactly what is mapped ----------------------- */

FIXTURE(mock_domain)
{
	int fd;
	__u32 dev_id;
	__u32 domain_id;
};

FIXTURE_SETUP(mock_domain)
{
	self->fd = open_ioasid();
	ASSERT_LE(0, self->fd);
	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	ASSERT_EQ(0, mock_dev_add(self->fd, &self->dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, self->dev_id,
				       &self->domain_id));
}

FIXTURE_TEARDOWN(mock_domain)
{
	close(self->fd);
}

#define RW (IOASID_TEST_PROT_READ | IOASID_TEST_PROT_WRITE)

static void check_iopte(struct __test_metadata *_metadata, int fd,
			__u32 domain_id, __u64 iova, __u64 exp_iova,
			__u64 exp_paddr, __u64 exp_size, __u32 exp_prot)
{
	struct ioasid_test_iopte_get pte;

	ASSERT_EQ(0, iopte_get(fd, domain_id, iova, &pte));
	EXPECT_EQ(exp_iova, pte.out_iova);
	EXPECT_EQ(exp_paddr, pte.out_paddr);
	EXPECT_EQ(exp_size, pte.out_page_size);
	EXPECT_EQ(exp_prot, pte.out_prot);
	/* The IOMMU core's translation agrees with the IOPTE. */
	EXPECT_EQ(exp_paddr + (iova - exp_iova), pte.out_phys);
}

TEST_F(mock_domain, info)
{
	struct ioasid_test_domain_info info;

	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(0, info.out_nr_ioptes);
	EXPECT_EQ(0, info.out_mapped_bytes);
	EXPECT_EQ(SZ_4K | SZ_2M | SZ_1G, info.out_pgsize_bitmap);
	EXPECT_EQ(0, info.out_aperture_start);
	EXPECT_EQ((1ULL << 48) - 1, info.out_aperture_last);
}

TEST_F(mock_domain, map_4k)
{
	struct ioasid_test_domain_info info;
	struct ioasid_test_iopte_get pte;
	__u64 unmapped;

	ASSERT_EQ(0, domain_map(self->fd, self->domain_id, 0x10000, 0x200000,
				2 * SZ_4K, RW));
	check_iopte(_metadata, self->fd, self->domain_id, 0x10000, 0x10000,
		    0x200000, SZ_4K, RW);
	check_iopte(_metadata, self->fd, self->domain_id, 0x11abc, 0x11000,
		    0x201000, SZ_4K, RW);
	ASSERT_EQ(ENOENT, iopte_get(self->fd, self->domain_id, 0xf000, &pte));
	ASSERT_EQ(ENOENT, iopte_get(self->fd, self->domain_id, 0x12000, &pte));
	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(2, info.out_nr_ioptes);
	EXPECT_EQ(2 * SZ_4K, info.out_mapped_bytes);

	ASSERT_EQ(0, domain_unmap(self->fd, self->domain_id, 0x10000,
				  2 * SZ_4K, &unmapped));
	EXPECT_EQ(2 * SZ_4K, unmapped);
	ASSERT_EQ(ENOENT, iopte_get(self->fd, self->domain_id, 0x10000, &pte));
	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(0, info.out_nr_ioptes);
}

TEST_F(mock_domain, map_large_pages)
{
	struct ioasid_test_domain_info info;
	__u64 unmapped;

	/* 1 GiB + 2 MiB + 4 KiB, all aligned: one IOPTE of each size. */
	ASSERT_EQ(0, domain_map(self->fd, self->domain_id, SZ_1G, 4 * SZ_1G,
				SZ_1G + SZ_2M + SZ_4K, IOASID_TEST_PROT_READ));
	check_iopte(_metadata, self->fd, self->domain_id, SZ_1G + 0x12345,
		    SZ_1G, 4 * SZ_1G, SZ_1G, IOASID_TEST_PROT_READ);
	check_iopte(_metadata, self->fd, self->domain_id,
		    2 * SZ_1G + SZ_2M - 1, 2 * SZ_1G, 5 * SZ_1G, SZ_2M,
		    IOASID_TEST_PROT_READ);
	check_iopte(_metadata, self->fd, self->domain_id, 2 * SZ_1G + SZ_2M,
		    2 * SZ_1G + SZ_2M, 5 * SZ_1G + SZ_2M, SZ_4K,
		    IOASID_TEST_PROT_READ);
	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(3, info.out_nr_ioptes);
	EXPECT_EQ(SZ_1G + SZ_2M + SZ_4K, info.out_mapped_bytes);

	ASSERT_EQ(0, domain_unmap(self->fd, self->domain_id, SZ_1G,
				  SZ_1G + SZ_2M + SZ_4K, &unmapped));
	EXPECT_EQ(SZ_1G + SZ_2M + SZ_4K, unmapped);
	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(0, info.out_nr_ioptes);
}

TEST_F(mock_domain, map_misaligned_phys_uses_small_pages)
{
	struct ioasid_test_domain_info info;

	/* The IOVA is 2 MiB aligned but the physical address is not. */
	ASSERT_EQ(0, domain_map(self->fd, self->domain_id, SZ_2M,
				SZ_2M + SZ_4K, SZ_2M, RW));
	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(SZ_2M / SZ_4K, info.out_nr_ioptes);
	check_iopte(_metadata, self->fd, self->domain_id, SZ_2M + SZ_4K,
		    SZ_2M + SZ_4K, SZ_2M + 2 * SZ_4K, SZ_4K, RW);
}

TEST_F(mock_domain, map_prot)
{
	static const __u32 prots[] = {
		0, IOASID_TEST_PROT_READ, IOASID_TEST_PROT_WRITE, RW,
	};
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, domain_map(self->fd, self->domain_id, i * SZ_4K,
					SZ_2M + i * SZ_4K, SZ_4K, prots[i]));
	for (i = 0; i < 4; i++)
		check_iopte(_metadata, self->fd, self->domain_id, i * SZ_4K,
			    i * SZ_4K, SZ_2M + i * SZ_4K, SZ_4K, prots[i]);
}

TEST_F(mock_domain, map_overlap)
{
	struct ioasid_test_domain_info info;

	ASSERT_EQ(0, domain_map(self->fd, self->domain_id, SZ_2M, 0, SZ_2M,
				RW));
	ASSERT_EQ(0, domain_map(self->fd, self->domain_id, 8 * SZ_4K, 0,
				SZ_4K, RW));

	/* Same range, a 4 KiB page inside the 2 MiB IOPTE, straddling it. */
	EXPECT_EQ(EEXIST, domain_map(self->fd, self->domain_id, SZ_2M, 0,
				     SZ_2M, RW));
	EXPECT_EQ(EEXIST, domain_map(self->fd, self->domain_id,
				     SZ_2M + 5 * SZ_4K, 0, SZ_4K, RW));
	EXPECT_EQ(EEXIST, domain_map(self->fd, self->domain_id,
				     SZ_2M - SZ_4K, 0, 2 * SZ_4K, RW));
	/* A 2 MiB IOPTE over an existing 4 KiB one. */
	EXPECT_EQ(EEXIST, domain_map(self->fd, self->domain_id, 0, 0, SZ_2M,
				     RW));
	/* A failed map leaves nothing behind. */
	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(2, info.out_nr_ioptes);
	EXPECT_EQ(SZ_2M + SZ_4K, info.out_mapped_bytes);
}

TEST_F(mock_domain, map_bad_ranges)
{
	struct ioasid_test_domain_info info;
	struct ioasid_test_domain_map cmd = {
		.size = sizeof(cmd),
		.domain_id = self->domain_id,
		.length = SZ_4K,
	};

	EXPECT_EQ(EINVAL, domain_map(self->fd, self->domain_id, 0x1001, 0,
				     SZ_4K, RW));
	EXPECT_EQ(EINVAL, domain_map(self->fd, self->domain_id, 0, 0x1001,
				     SZ_4K, RW));
	EXPECT_EQ(EINVAL, domain_map(self->fd, self->domain_id, 0, 0,
				     0x1001, RW));
	EXPECT_EQ(EINVAL, domain_map(self->fd, self->domain_id, 0, 0, 0, RW));
	EXPECT_EQ(EOVERFLOW, domain_map(self->fd, self->domain_id,
					~0ULL - SZ_4K + 2, 0, SZ_4K, RW));
	EXPECT_EQ(EOVERFLOW, domain_map(self->fd, self->domain_id, 0,
					~0ULL - SZ_4K + 2, SZ_4K, RW));
	/* Beyond the 48-bit aperture, entirely and partly. */
	EXPECT_EQ(ERANGE, domain_map(self->fd, self->domain_id, 1ULL << 48, 0,
				     SZ_4K, RW));
	EXPECT_EQ(ERANGE, domain_map(self->fd, self->domain_id,
				     (1ULL << 48) - SZ_4K, 0, 2 * SZ_4K, RW));
	EXPECT_EQ(ENOENT, domain_map(self->fd, 9999, 0, 0, SZ_4K, RW));

	cmd.prot = 1U << 3;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_TEST_DOMAIN_MAP, &cmd));
	cmd.prot = RW;
	cmd.flags = 1;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_TEST_DOMAIN_MAP, &cmd));

	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(0, info.out_nr_ioptes);
}

TEST_F(mock_domain, unmap)
{
	struct ioasid_test_domain_unmap cmd = {
		.size = sizeof(cmd),
		.domain_id = self->domain_id,
		.iova = 0,
		.length = SZ_4K,
	};
	struct ioasid_test_domain_info info;
	__u64 unmapped;

	ASSERT_EQ(0, domain_map(self->fd, self->domain_id, SZ_2M, 0, SZ_2M,
				RW));
	/* Nothing there. */
	ASSERT_EQ(0, domain_unmap(self->fd, self->domain_id, 0, SZ_4K,
				  &unmapped));
	EXPECT_EQ(0, unmapped);
	/* No IOPTE starts inside a large one: nothing is unmapped. */
	ASSERT_EQ(0, domain_unmap(self->fd, self->domain_id, SZ_2M + SZ_4K,
				  SZ_4K, &unmapped));
	EXPECT_EQ(0, unmapped);
	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(1, info.out_nr_ioptes);
	/* A request for its first 4 KiB removes the whole IOPTE. */
	ASSERT_EQ(0, domain_unmap(self->fd, self->domain_id, SZ_2M, SZ_4K,
				  &unmapped));
	EXPECT_EQ(SZ_2M, unmapped);
	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(0, info.out_nr_ioptes);

	EXPECT_EQ(EINVAL, domain_unmap(self->fd, self->domain_id, 0x800,
				       SZ_4K, &unmapped));
	EXPECT_EQ(EINVAL, domain_unmap(self->fd, self->domain_id, 0, 0,
				       &unmapped));
	EXPECT_EQ(EOVERFLOW, domain_unmap(self->fd, self->domain_id,
					  ~0ULL - SZ_4K + 2, SZ_4K,
					  &unmapped));
	cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_DOMAIN_UNMAP, &cmd));
}

/* ---- Concurrency: lookups, creation and destruction race --------------- */

struct race_args {
	int fd;
	volatile bool stop;
	int unexpected;
};

static void *race_destroyer(void *arg)
{
	struct race_args *args = arg;

	while (!args->stop) {
		__u32 id;

		for (id = 1; id < 16; id++) {
			__u32 domain_id;
			int rc;

			rc = mock_domain_alloc(args->fd, id, &domain_id);
			if (!rc)
				rc = destroy(args->fd, domain_id);
			if (rc && rc != ENOENT && rc != EBUSY)
				args->unexpected++;
			rc = destroy(args->fd, id);
			if (rc && rc != ENOENT && rc != EBUSY)
				args->unexpected++;
		}
	}
	return NULL;
}

/* Slow under an emulated CPU with KASAN: allow more than the default. */
TEST_F_TIMEOUT(mock, concurrent_create_destroy, 300)
{
	struct race_args args = { .fd = self->fd };
	pthread_t thread;
	int i, created = 0;

	ASSERT_EQ(0, pthread_create(&thread, NULL, race_destroyer, &args));
	for (i = 0; i < 200; i++) {
		__u32 dev_id;
		int rc;

		rc = mock_dev_add(self->fd, &dev_id, NULL);
		if (!rc)
			created++;
		else
			ASSERT_EQ(0, rc);
		rc = destroy(self->fd, dev_id);
		/* The other thread may have destroyed it or hold it. */
		if (rc && rc != ENOENT && rc != EBUSY)
			ASSERT_EQ(0, rc);
	}
	args.stop = true;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(200, created);
	ASSERT_EQ(0, args.unexpected);
}

/* ---- IO address spaces ------------------------------------------------- */

static int ioas_alloc(int fd, __u32 *ioas_id)
{
	struct ioasid_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_ALLOC, &cmd);
	if (!rc)
		*ioas_id = cmd.out_ioas_id;
	return rc;
}

static int ioas_map(int fd, __u32 ioas_id, void *va, __u64 length,
		    __u64 *iova, __u32 flags)
{
	struct ioasid_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)va,
		.length = length,
		.iova = *iova,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_MAP, &cmd);
	if (!rc)
		*iova = cmd.iova;
	return rc;
}

static int ioas_map_fixed(int fd, __u32 ioas_id, void *va, __u64 length,
			  __u64 iova)
{
	return ioas_map(fd, ioas_id, va, length, &iova,
			IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ |
			IOASID_IOAS_MAP_WRITE);
}

static int ioas_unmap(int fd, __u32 ioas_id, __u64 iova, __u64 length,
		      __u64 *unmapped)
{
	struct ioasid_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int rc;

	if (!iova && !length)
		cmd.flags = IOASID_IOAS_UNMAP_ALL;
	rc = ioctl_err(fd, IOASID_IOAS_UNMAP, &cmd);
	if (!rc && unmapped)
		*unmapped = cmd.out_unmapped;
	return rc;
}

static int ioas_attach(int fd, __u32 domain_id, __u32 ioas_id)
{
	struct ioasid_test_ioas_attach cmd = {
		.size = sizeof(cmd),
		.domain_id = domain_id,
		.ioas_id = ioas_id,
	};

	return ioctl_err(fd, IOASID_TEST_IOAS_ATTACH, &cmd);
}

static int ioas_detach(int fd, __u32 domain_id)
{
	struct ioasid_test_ioas_detach cmd = {
		.size = sizeof(cmd),
		.domain_id = domain_id,
	};

	return ioctl_err(fd, IOASID_TEST_IOAS_DETACH, &cmd);
}

#define BUF_SIZE (64 * SZ_4K)

FIXTURE(ioas)
{
	int fd;
	__u32 ioas_id;
	void *buf;
	long pinned_kb;
};

FIXTURE_SETUP(ioas)
{
	self->fd = open_ioasid();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x5a, BUF_SIZE);
	self->pinned_kb = vm_pinned_kb();
	ASSERT_LE(0, self->pinned_kb);
}

FIXTURE_TEARDOWN(ioas)
{
	close(self->fd);
	/* Closing the context gives every pin back. */
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
	munmap(self->buf, BUF_SIZE);
}

TEST_F(ioas, alloc_destroy)
{
	struct ioasid_ioas_alloc cmd = { .size = sizeof(cmd) };
	__u32 id;

	ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	ASSERT_NE(self->ioas_id, id);
	ASSERT_EQ(0, destroy(self->fd, id));
	ASSERT_EQ(ENOENT, destroy(self->fd, id));
	cmd.flags = 1;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_IOAS_ALLOC, &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_IOAS_ALLOC, &cmd));
}

TEST_F(ioas, feature_bit)
{
	struct ioasid_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_GET_INFO, &info));
	ASSERT_TRUE(info.features & IOASID_FEATURE_IOAS);
}

TEST_F(ioas, map_unmap_fixed)
{
	__u64 unmapped;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, 0x100000));
	/* Pinned once, and counted. */
	ASSERT_EQ(self->pinned_kb + BUF_SIZE / 1024, vm_pinned_kb());
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0x100000, BUF_SIZE,
				&unmapped));
	ASSERT_EQ(BUF_SIZE, unmapped);
	ASSERT_EQ(self->pinned_kb, vm_pinned_kb());
	ASSERT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas_id, 0x100000,
				     BUF_SIZE, &unmapped));
}

TEST_F(ioas, map_kernel_chosen_iova)
{
	struct ioasid_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_MAP_READ,
		.ioas_id = self->ioas_id,
		.user_va = (uintptr_t)self->buf,
		.length = 4 * SZ_4K,
	};
	__u64 a = 0, b = 0;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, BUF_SIZE,
			      &a, IOASID_IOAS_MAP_READ));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, BUF_SIZE,
			      &b, IOASID_IOAS_MAP_READ));
	ASSERT_EQ(0, a % SZ_4K);
	ASSERT_TRUE(b >= a + BUF_SIZE || a >= b + BUF_SIZE);

	/* An alignment hint is honoured, a bad one refused. */
	cmd.iova_alignment = SZ_2M;
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_IOAS_MAP, &cmd));
	ASSERT_EQ(0, cmd.iova % SZ_2M);
	cmd.iova_alignment = 3 * SZ_4K;
	ASSERT_EQ(EINVAL, ioctl_err(self->fd, IOASID_IOAS_MAP, &cmd));
	cmd.iova_alignment = SZ_4K;
	cmd.flags |= IOASID_IOAS_MAP_FIXED_IOVA;
	ASSERT_EQ(EINVAL, ioctl_err(self->fd, IOASID_IOAS_MAP, &cmd));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
}

TEST_F(ioas, map_overlap)
{
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, 0x100000));
	EXPECT_EQ(EEXIST, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					 BUF_SIZE, 0x100000));
	EXPECT_EQ(EEXIST, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					 SZ_4K, 0x100000 + BUF_SIZE - SZ_4K));
	EXPECT_EQ(EEXIST, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					 2 * SZ_4K, 0x100000 - SZ_4K));
	/* A failed map pins nothing. */
	EXPECT_EQ(self->pinned_kb + BUF_SIZE / 1024, vm_pinned_kb());
}

TEST_F(ioas, map_bad_arguments)
{
	struct ioasid_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_FIXED_IOVA,
		.ioas_id = self->ioas_id,
		.user_va = (uintptr_t)self->buf,
		.length = SZ_4K,
	};
	__u8 *buf = self->buf;

	EXPECT_EQ(EINVAL, ioas_map_fixed(self->fd, self->ioas_id, buf + 1,
					 SZ_4K, 0));
	EXPECT_EQ(EINVAL, ioas_map_fixed(self->fd, self->ioas_id, buf,
					 SZ_4K + 1, 0));
	EXPECT_EQ(EINVAL, ioas_map_fixed(self->fd, self->ioas_id, buf,
					 SZ_4K, 0x800));
	EXPECT_EQ(EINVAL, ioas_map_fixed(self->fd, self->ioas_id, buf, 0, 0));
	EXPECT_EQ(EOVERFLOW, ioas_map_fixed(self->fd, self->ioas_id, buf,
					    2 * SZ_4K, ~0ULL - SZ_4K + 1));
	EXPECT_EQ(ENOENT, ioas_map_fixed(self->fd, 9999, buf, SZ_4K, 0));

	cmd.flags = IOASID_IOAS_MAP_FIXED_IOVA;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_IOAS_MAP, &cmd));
	cmd.flags = IOASID_IOAS_MAP_READ | (1U << 7);
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_IOAS_MAP, &cmd));
	cmd.flags = IOASID_IOAS_MAP_READ;
	cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_IOAS_MAP, &cmd));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

TEST_F(ioas, map_unmapped_va)
{
	char *half = mmap(NULL, 2 * SZ_4K, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, half);
	half[0] = 1;
	ASSERT_EQ(0, munmap(half + SZ_4K, SZ_4K));
	EXPECT_EQ(EFAULT, ioas_map_fixed(self->fd, self->ioas_id,
					 half + SZ_4K, SZ_4K, 0));
	/* Partly mapped: the pinned part is given back. */
	EXPECT_EQ(EFAULT, ioas_map_fixed(self->fd, self->ioas_id, half,
					 2 * SZ_4K, 0));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
	munmap(half, SZ_4K);
}

TEST_F(ioas, map_read_only_memory)
{
	__u64 iova = 0;
	void *ro = mmap(NULL, SZ_4K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(EFAULT, ioas_map_fixed(self->fd, self->ioas_id, ro, SZ_4K,
					 0));
	EXPECT_EQ(0, ioas_map(self->fd, self->ioas_id, ro, SZ_4K, &iova,
			      IOASID_IOAS_MAP_READ));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	munmap(ro, SZ_4K);
}

TEST_F(ioas, unmap_rules)
{
	struct ioasid_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_UNMAP_ALL,
		.ioas_id = self->ioas_id,
		.length = SZ_4K,
	};
	__u64 unmapped;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    4 * SZ_4K, 0x10000));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    4 * SZ_4K, 0x20000));
	/* Cutting a mapping is refused and changes nothing. */
	EXPECT_EQ(EINVAL, ioas_unmap(self->fd, self->ioas_id, 0x10000,
				     SZ_4K, &unmapped));
	EXPECT_EQ(EINVAL, ioas_unmap(self->fd, self->ioas_id, 0x11000,
				     0x20000, &unmapped));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas_id, 0x30000,
				     SZ_4K, &unmapped));
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_IOAS_UNMAP, &cmd));
	/* A range covering both and the hole between them. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0x30000,
				&unmapped));
	EXPECT_EQ(8 * SZ_4K, unmapped);

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    4 * SZ_4K, 0x10000));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ(4 * SZ_4K, unmapped);
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ(0, unmapped);
}

TEST_F(ioas, iova_ranges)
{
	struct ioasid_iova_range ranges[2] = {};
	struct ioasid_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.ranges = (uintptr_t)ranges,
	};
	__u32 dev_id, domain_id;

	/* A too small array says how many are needed. */
	ASSERT_EQ(EMSGSIZE, ioctl_err(self->fd, IOASID_IOAS_IOVA_RANGES, &cmd));
	ASSERT_EQ(1, cmd.num_ranges);
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_IOAS_IOVA_RANGES, &cmd));
	ASSERT_EQ(1, cmd.num_ranges);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(~0ULL, ranges[0].last);
	EXPECT_EQ(SZ_4K, cmd.out_iova_alignment);

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));
	ASSERT_EQ(0, ioas_attach(self->fd, domain_id, self->ioas_id));
	cmd.num_ranges = 2;
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_IOAS_IOVA_RANGES, &cmd));
	ASSERT_EQ(1, cmd.num_ranges);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ((1ULL << 48) - 1, ranges[0].last);
	/* Outside the window now. */
	EXPECT_EQ(EADDRINUSE, ioas_map_fixed(self->fd, self->ioas_id,
					     self->buf, SZ_4K, 1ULL << 48));
	ASSERT_EQ(0, ioas_detach(self->fd, domain_id));
	ASSERT_EQ(ENOENT, ioas_detach(self->fd, domain_id));
}

TEST_F(ioas, domain_fill_and_follow)
{
	struct ioasid_test_domain_info info;
	struct ioasid_test_iopte_get pte;
	__u32 dev_id, domain_id;
	__u64 unmapped;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));

	/* Attach after map: the domain is filled from the pins. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE / 2, 0x100000));
	ASSERT_EQ(0, ioas_attach(self->fd, domain_id, self->ioas_id));
	ASSERT_EQ(self->pinned_kb + BUF_SIZE / 2 / 1024, vm_pinned_kb());
	ASSERT_EQ(0, domain_info(self->fd, domain_id, &info));
	EXPECT_EQ(BUF_SIZE / 2, info.out_mapped_bytes);
	ASSERT_EQ(0, iopte_get(self->fd, domain_id, 0x100000, &pte));
	EXPECT_EQ(IOASID_TEST_PROT_READ | IOASID_TEST_PROT_WRITE |
		  IOASID_TEST_PROT_CACHE, pte.out_prot);
	EXPECT_NE(0, pte.out_paddr);

	/* Map after attach reaches the domain. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    (char *)self->buf + BUF_SIZE / 2,
				    BUF_SIZE / 2, 0x200000));
	ASSERT_EQ(0, domain_info(self->fd, domain_id, &info));
	EXPECT_EQ(BUF_SIZE, info.out_mapped_bytes);
	ASSERT_EQ(0, iopte_get(self->fd, domain_id, 0x200000, &pte));

	/* The IOAS is busy while a domain holds it; the domain is managed. */
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas_id));
	EXPECT_EQ(EBUSY, ioas_attach(self->fd, domain_id, self->ioas_id));
	EXPECT_EQ(EBUSY, domain_map(self->fd, domain_id, 0, 0, SZ_4K,
				    IOASID_TEST_PROT_READ));
	EXPECT_EQ(EBUSY, domain_unmap(self->fd, domain_id, 0x100000, SZ_4K,
				      &unmapped));

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0x100000,
				BUF_SIZE / 2, &unmapped));
	ASSERT_EQ(0, domain_info(self->fd, domain_id, &info));
	EXPECT_EQ(BUF_SIZE / 2, info.out_mapped_bytes);
	EXPECT_EQ(ENOENT, iopte_get(self->fd, domain_id, 0x100000, &pte));

	/* Detach empties the domain; the IOAS keeps its mapping. */
	ASSERT_EQ(0, ioas_detach(self->fd, domain_id));
	ASSERT_EQ(0, domain_info(self->fd, domain_id, &info));
	EXPECT_EQ(0, info.out_nr_ioptes);
	EXPECT_EQ(self->pinned_kb + BUF_SIZE / 2 / 1024, vm_pinned_kb());

	/* A mapping outside the aperture keeps a domain out. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_4K,
				    1ULL << 50));
	EXPECT_EQ(EADDRINUSE, ioas_attach(self->fd, domain_id,
					  self->ioas_id));
	ASSERT_EQ(0, domain_info(self->fd, domain_id, &info));
	EXPECT_EQ(0, info.out_nr_ioptes);
}

TEST_F(ioas, two_domains)
{
	struct ioasid_test_iopte_get pte1, pte2;
	__u32 dev_id, d1, d2;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &d1));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &d2));
	ASSERT_EQ(0, ioas_attach(self->fd, d1, self->ioas_id));
	ASSERT_EQ(0, ioas_attach(self->fd, d2, self->ioas_id));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, 0x400000));
	/* Both domains translate to the same, once pinned, pages. */
	ASSERT_EQ(0, iopte_get(self->fd, d1, 0x400000 + 5 * SZ_4K, &pte1));
	ASSERT_EQ(0, iopte_get(self->fd, d2, 0x400000 + 5 * SZ_4K, &pte2));
	EXPECT_EQ(pte1.out_phys, pte2.out_phys);
	EXPECT_EQ(self->pinned_kb + BUF_SIZE / 1024, vm_pinned_kb());
	/* Closing with domains attached is fine too (teardown). */
}

TEST_F(ioas, hugetlb_backing_uses_huge_ioptes)
{
	struct ioasid_test_iopte_get pte;
	__u32 dev_id, domain_id;
	void *huge;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	huge = mmap(NULL, 2 * SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (huge == MAP_FAILED)
		SKIP(return, "no 2 MiB huge pages (vm.nr_hugepages)");
	memset(huge, 1, 2 * SZ_2M);
	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));
	ASSERT_EQ(0, ioas_attach(self->fd, domain_id, self->ioas_id));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, huge, 2 * SZ_2M,
				    SZ_1G));
	/* Each folio reached the driver as one physically contiguous run. */
	ASSERT_EQ(0, iopte_get(self->fd, domain_id, SZ_1G + SZ_4K, &pte));
	EXPECT_EQ(SZ_2M, pte.out_page_size);
	ASSERT_EQ(0, iopte_get(self->fd, domain_id, SZ_1G + SZ_2M, &pte));
	EXPECT_EQ(SZ_2M, pte.out_page_size);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	munmap(huge, 2 * SZ_2M);
}

/* AnonHugePages of the mapping that starts at @addr, in kB, or -1. */
static long anon_huge_kb(void *addr)
{
	char line[256], start[32];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' '))
			in = !strncmp(line, start, strlen(start));
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

TEST_F(ioas, thp_backing_uses_huge_ioptes)
{
	struct ioasid_test_iopte_get pte;
	__u32 dev_id, domain_id;
	char *area, *thp;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	/* 4 MiB at a 2 MiB boundary, inside a larger reservation. */
	area = mmap(NULL, 3 * SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	thp = (char *)(((uintptr_t)area + SZ_2M - 1) & ~(SZ_2M - 1));
	if (thp != area)
		ASSERT_EQ(0, munmap(area, thp - area));
	if (thp + 2 * SZ_2M != area + 3 * SZ_2M)
		ASSERT_EQ(0, munmap(thp + 2 * SZ_2M,
				    area + 3 * SZ_2M - (thp + 2 * SZ_2M)));
	if (madvise(thp, 2 * SZ_2M, MADV_HUGEPAGE))
		SKIP(return, "no transparent huge pages (madvise: %s)",
		     strerror(errno));
	memset(thp, 1, 2 * SZ_2M);
	if (anon_huge_kb(thp) < (long)(2 * SZ_2M / 1024))
		SKIP(return, "THP not used for the buffer (AnonHugePages %ld kB)",
		     anon_huge_kb(thp));

	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));
	ASSERT_EQ(0, ioas_attach(self->fd, domain_id, self->ioas_id));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, thp, 2 * SZ_2M,
				    SZ_1G));
	EXPECT_EQ(self->pinned_kb + 2 * SZ_2M / 1024, vm_pinned_kb());
	/* Each THP reached the driver as one physically contiguous run. */
	ASSERT_EQ(0, iopte_get(self->fd, domain_id, SZ_1G + SZ_4K, &pte));
	EXPECT_EQ(SZ_2M, pte.out_page_size);
	ASSERT_EQ(0, iopte_get(self->fd, domain_id, SZ_1G + SZ_2M + 5 * SZ_4K,
			       &pte));
	EXPECT_EQ(SZ_2M, pte.out_page_size);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
	munmap(thp, 2 * SZ_2M);
}

static long status_kb(const char *key)
{
	char line[256], fmt[32];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	snprintf(fmt, sizeof(fmt), "%s: %%ld kB", key);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &hdr, data);
}

static int set_account_mode(int fd, __u64 mode)
{
	struct ioasid_option cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_OPTION_SET,
		.option_id = IOASID_OPTION_ACCOUNT_MODE,
		.val64 = mode,
	};

	return ioctl_err(fd, IOASID_OPTION, &cmd);
}

/*
 * In a child without CAP_IPC_LOCK and an RLIMIT_MEMLOCK of 8 pages: pins
 * beyond the limit are refused and everything pinned counts.
 */
static int memlock_child(int fd, __u32 ioas_id, void *buf)
{
	struct rlimit rl = { .rlim_cur = 8 * SZ_4K, .rlim_max = 8 * SZ_4K };
	__u64 unmapped;

	if (drop_cap(CAP_IPC_LOCK))
		return 11;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return 12;
	if (ioas_map_fixed(fd, ioas_id, buf, 16 * SZ_4K, 0) != ENOMEM)
		return 13;
	if (vm_pinned_kb() != 0)
		return 14;
	if (ioas_map_fixed(fd, ioas_id, buf, 8 * SZ_4K, 0))
		return 15;
	/* The limit counts what is already pinned. */
	if (ioas_map_fixed(fd, ioas_id, buf, SZ_4K, 0x100000) != ENOMEM)
		return 16;
	if (ioas_unmap(fd, ioas_id, 0, 0, &unmapped) ||
	    unmapped != 8 * SZ_4K)
		return 17;
	if (ioas_map_fixed(fd, ioas_id, buf, SZ_4K, 0x100000))
		return 18;
	if (ioas_unmap(fd, ioas_id, 0, 0, &unmapped))
		return 19;
	return 0;
}

static void memlock_test(struct __test_metadata *_metadata, int fd,
			 __u32 ioas_id, void *buf)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(memlock_child(fd, ioas_id, buf));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* Without CAP_IPC_LOCK, pins count against RLIMIT_MEMLOCK. */
TEST_F(ioas, memlock_limit_per_user)
{
	memlock_test(_metadata, self->fd, self->ioas_id, self->buf);
}

TEST_F(ioas, memlock_limit_per_mm)
{
	ASSERT_EQ(0, set_account_mode(self->fd, IOASID_ACCOUNT_MM));
	memlock_test(_metadata, self->fd, self->ioas_id, self->buf);
}

TEST_F(ioas, account_mode_option)
{
	struct ioasid_option get = {
		.size = sizeof(get),
		.option_id = IOASID_OPTION_ACCOUNT_MODE,
		.val64 = 99,
	};
	long locked_kb = status_kb("VmLck");
	int status;
	pid_t pid;

	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_OPTION, &get));
	ASSERT_EQ(IOASID_ACCOUNT_USER, get.val64);

	/* Per user: the process's VmLck does not move. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, 0));
	EXPECT_EQ(locked_kb, status_kb("VmLck"));
	/* No change while pinned memory exists. */
	EXPECT_EQ(EBUSY, set_account_mode(self->fd, IOASID_ACCOUNT_MM));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));

	EXPECT_EQ(EINVAL, set_account_mode(self->fd, 2));
	get.option_id = 77;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_OPTION, &get));
	get.option_id = IOASID_OPTION_ACCOUNT_MODE;
	get.flags = 1U << 5;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_OPTION, &get));
	get.flags = 0;

	/* Changing it needs CAP_SYS_RESOURCE. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(drop_cap(CAP_SYS_RESOURCE) ? 10 :
		      set_account_mode(self->fd, IOASID_ACCOUNT_MM));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(EPERM, WEXITSTATUS(status));

	/* Per mm: counted in VmLck, even for a capable caller. */
	ASSERT_EQ(0, set_account_mode(self->fd, IOASID_ACCOUNT_MM));
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_OPTION, &get));
	ASSERT_EQ(IOASID_ACCOUNT_MM, get.val64);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, 0));
	EXPECT_EQ(locked_kb + BUF_SIZE / 1024, status_kb("VmLck"));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	EXPECT_EQ(locked_kb, status_kb("VmLck"));
	ASSERT_EQ(0, set_account_mode(self->fd, IOASID_ACCOUNT_USER));
}

static int ioas_copy(int fd, __u32 dst, __u32 src, __u64 src_iova,
		     __u64 length, __u64 *dst_iova, __u32 flags)
{
	struct ioasid_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.src_iova = src_iova,
		.length = length,
		.dst_iova = *dst_iova,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_COPY, &cmd);
	if (!rc)
		*dst_iova = cmd.dst_iova;
	return rc;
}

#define RW_FIXED (IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READ | \
		  IOASID_IOAS_MAP_WRITE)

TEST_F(ioas, copy_shares_pins)
{
	struct ioasid_test_iopte_get pte1, pte2;
	__u32 other, dev_id, d1, d2;
	__u64 dst = 0x800000, unmapped;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &d1));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &d2));
	ASSERT_EQ(0, ioas_attach(self->fd, d1, self->ioas_id));
	ASSERT_EQ(0, ioas_attach(self->fd, d2, other));

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE / 2, 0x100000));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    (char *)self->buf + BUF_SIZE / 2,
				    BUF_SIZE / 2, 0x200000));
	/* Both mappings and the hole between them, into another IOAS. */
	ASSERT_EQ(0, ioas_copy(self->fd, other, self->ioas_id, 0x100000,
			       0x100000 + BUF_SIZE / 2, &dst, RW_FIXED));
	EXPECT_EQ(self->pinned_kb + BUF_SIZE / 1024, vm_pinned_kb());
	ASSERT_EQ(0, iopte_get(self->fd, d1, 0x200000 + SZ_4K, &pte1));
	ASSERT_EQ(0, iopte_get(self->fd, d2, dst + 0x100000 + SZ_4K, &pte2));
	EXPECT_EQ(pte1.out_phys, pte2.out_phys);

	/* The copy keeps the pages pinned after the original goes. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
	EXPECT_EQ(self->pinned_kb + BUF_SIZE / 1024, vm_pinned_kb());
	ASSERT_EQ(0, iopte_get(self->fd, d2, dst, &pte2));
	ASSERT_EQ(0, ioas_unmap(self->fd, other, 0, 0, &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

TEST_F(ioas, copy_errors)
{
	__u64 dst = 0, ro_iova = 0x900000;
	void *ro;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    4 * SZ_4K, 0x100000));
	/* Same IOAS, kernel-chosen destination. */
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
			       0x100000, 4 * SZ_4K, &dst,
			       IOASID_IOAS_MAP_READ));
	EXPECT_NE(0x100000, dst);
	EXPECT_EQ(EEXIST, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
				    0x100000, 4 * SZ_4K, &dst, RW_FIXED));
	dst = 0x400000;
	EXPECT_EQ(EINVAL, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
				    0x101000, SZ_4K, &dst, RW_FIXED));
	EXPECT_EQ(ENOENT, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
				    0x300000, SZ_4K, &dst, RW_FIXED));
	EXPECT_EQ(ENOENT, ioas_copy(self->fd, 9999, self->ioas_id, 0x100000,
				    4 * SZ_4K, &dst, RW_FIXED));
	EXPECT_EQ(EINVAL, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
				    0x100000, 4 * SZ_4K, &dst,
				    IOASID_IOAS_MAP_FIXED_IOVA));

	/* Read-only memory cannot become writable through a copy. */
	ro = mmap(NULL, SZ_4K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, ro, SZ_4K, &ro_iova,
			      IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READ));
	EXPECT_EQ(EPERM, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
				   ro_iova, SZ_4K, &dst, RW_FIXED));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	munmap(ro, SZ_4K);
}

static int ioas_map_file(int fd, __u32 ioas_id, int mfd, __u64 start,
			 __u64 length, __u64 *iova, __u32 flags)
{
	struct ioasid_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.fd = mfd,
		.start = start,
		.length = length,
		.iova = *iova,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_MAP_FILE, &cmd);
	if (!rc)
		*iova = cmd.iova;
	return rc;
}

/* The file's pages are the ones its mapping in memory shows. */
TEST_F(ioas, map_file_memfd)
{
	struct ioasid_test_iopte_get by_file, by_va;
	__u32 dev_id, domain_id;
	__u64 iova = 0x1000000;
	int mfd;
	char *va;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	mfd = memfd_create("ioasid", MFD_ALLOW_SEALING);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 16 * SZ_4K));
	va = mmap(NULL, 16 * SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
		  0);
	ASSERT_NE(MAP_FAILED, va);
	memset(va, 7, 16 * SZ_4K);

	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));
	ASSERT_EQ(0, ioas_attach(self->fd, domain_id, self->ioas_id));
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, mfd, 4 * SZ_4K,
				   8 * SZ_4K, &iova, RW_FIXED));
	EXPECT_EQ(self->pinned_kb + 8 * SZ_4K / 1024, vm_pinned_kb());
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, va + 4 * SZ_4K,
				    8 * SZ_4K, 0x2000000));
	ASSERT_EQ(0, iopte_get(self->fd, domain_id, 0x1000000 + 3 * SZ_4K,
			       &by_file));
	ASSERT_EQ(0, iopte_get(self->fd, domain_id, 0x2000000 + 3 * SZ_4K,
			       &by_va));
	EXPECT_EQ(by_va.out_phys, by_file.out_phys);

	/* Beyond the end, misaligned, not a memfd, bad fd. */
	iova = 0;
	EXPECT_EQ(EINVAL, ioas_map_file(self->fd, self->ioas_id, mfd,
					12 * SZ_4K, 8 * SZ_4K, &iova,
					IOASID_IOAS_MAP_READ));
	EXPECT_EQ(EINVAL, ioas_map_file(self->fd, self->ioas_id, mfd, 100,
					SZ_4K, &iova, IOASID_IOAS_MAP_READ));
	EXPECT_EQ(EINVAL, ioas_map_file(self->fd, self->ioas_id, self->fd, 0,
					SZ_4K, &iova, IOASID_IOAS_MAP_READ));
	EXPECT_EQ(EBADF, ioas_map_file(self->fd, self->ioas_id, -1, 0, SZ_4K,
				       &iova, IOASID_IOAS_MAP_READ));

	/* A write seal keeps devices from writing, not from reading. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	ASSERT_EQ(0, munmap(va, 16 * SZ_4K));
	ASSERT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(EPERM, ioas_map_file(self->fd, self->ioas_id, mfd, 0, SZ_4K,
				       &iova, IOASID_IOAS_MAP_READ |
				       IOASID_IOAS_MAP_WRITE));
	EXPECT_EQ(0, ioas_map_file(self->fd, self->ioas_id, mfd, 0, SZ_4K,
				   &iova, IOASID_IOAS_MAP_READ));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
	close(mfd);
}

TEST_F(ioas, map_file_read_only_fd)
{
	char path[64];
	__u64 iova = 0;
	int mfd, ro;

	mfd = memfd_create("ioasid", 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, SZ_4K));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	ro = open(path, O_RDONLY);
	ASSERT_LE(0, ro);
	EXPECT_EQ(EBADF, ioas_map_file(self->fd, self->ioas_id, ro, 0, SZ_4K,
				       &iova, IOASID_IOAS_MAP_READ |
				       IOASID_IOAS_MAP_WRITE));
	EXPECT_EQ(0, ioas_map_file(self->fd, self->ioas_id, ro, 0, SZ_4K,
				   &iova, IOASID_IOAS_MAP_READ));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	close(ro);
	close(mfd);
}

/* One pin per 2 MiB folio, and 2 MiB IOPTEs, without page tables. */
TEST_F(ioas, map_file_hugetlb)
{
	struct ioasid_test_iopte_get pte;
	__u32 dev_id, domain_id;
	__u64 iova = 0;
	char path[64];
	int mfd, ro;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	mfd = memfd_create("ioasid", MFD_HUGETLB);
	if (mfd < 0)
		SKIP(return, "no hugetlbfs memfd");
	ASSERT_EQ(0, ftruncate(mfd, 2 * SZ_2M));
	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));
	ASSERT_EQ(0, ioas_attach(self->fd, domain_id, self->ioas_id));
	/* Nothing was faulted in: the pages are allocated by the pin. */
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, mfd, 0, 2 * SZ_2M,
				   &iova, IOASID_IOAS_MAP_READ |
				   IOASID_IOAS_MAP_WRITE));
	EXPECT_EQ(0, iova % SZ_2M);
	ASSERT_EQ(0, iopte_get(self->fd, domain_id, iova + SZ_2M + SZ_4K,
			       &pte));
	EXPECT_EQ(SZ_2M, pte.out_page_size);
	EXPECT_EQ(self->pinned_kb + 2 * SZ_2M / 1024, vm_pinned_kb());
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	close(mfd);

	/* A read-only file cannot have its missing huge pages allocated. */
	mfd = memfd_create("ioasid", MFD_HUGETLB);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, SZ_2M));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	ro = open(path, O_RDONLY);
	ASSERT_LE(0, ro);
	EXPECT_EQ(EFAULT, ioas_map_file(self->fd, self->ioas_id, ro, 0, SZ_2M,
					&iova, IOASID_IOAS_MAP_READ));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
	close(ro);
	close(mfd);
}

static int ioas_allow(int fd, __u32 ioas_id, struct ioasid_iova_range *r,
		      __u32 n)
{
	struct ioasid_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = n,
		.allowed_iovas = (uintptr_t)r,
	};

	return ioctl_err(fd, IOASID_IOAS_ALLOW_IOVAS, &cmd);
}

static int ioas_ranges(int fd, __u32 ioas_id, struct ioasid_iova_range *r,
		       __u32 *n)
{
	struct ioasid_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_ranges = *n,
		.ranges = (uintptr_t)r,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_IOVA_RANGES, &cmd);
	*n = cmd.num_ranges;
	return rc;
}

TEST_F(ioas, allow_iovas)
{
	struct ioasid_iova_range allow[2] = {
		{ .start = 0x400000, .last = 0x4fffff },
		{ .start = 0x100000, .last = 0x1fffff },
	};
	struct ioasid_iova_range bad[2], got[4];
	__u64 iova = 0;
	__u32 n = 4;

	ASSERT_EQ(0, ioas_allow(self->fd, self->ioas_id, allow, 2));
	ASSERT_EQ(0, ioas_ranges(self->fd, self->ioas_id, got, &n));
	ASSERT_EQ(2, n);
	EXPECT_EQ(0x100000, got[0].start);
	EXPECT_EQ(0x1fffff, got[0].last);
	EXPECT_EQ(0x400000, got[1].start);
	EXPECT_EQ(0x4fffff, got[1].last);

	EXPECT_EQ(EADDRINUSE, ioas_map_fixed(self->fd, self->ioas_id,
					     self->buf, SZ_4K, 0x300000));
	EXPECT_EQ(EADDRINUSE, ioas_map_fixed(self->fd, self->ioas_id,
					     self->buf, 2 * SZ_4K,
					     0x200000 - SZ_4K));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_4K, 0x100000));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, BUF_SIZE,
			      &iova, IOASID_IOAS_MAP_READ));
	EXPECT_TRUE((iova >= 0x100000 && iova + BUF_SIZE - 1 <= 0x1fffff) ||
		    (iova >= 0x400000 && iova + BUF_SIZE - 1 <= 0x4fffff));

	/* A set leaving out a mapping is refused. */
	EXPECT_EQ(EADDRINUSE, ioas_allow(self->fd, self->ioas_id, allow, 1));
	/* Bad sets. */
	bad[0] = (struct ioasid_iova_range){ 0x100000, 0x1fffff };
	bad[1] = (struct ioasid_iova_range){ 0x1ff000, 0x2fffff };
	EXPECT_EQ(EINVAL, ioas_allow(self->fd, self->ioas_id, bad, 2));
	bad[0] = (struct ioasid_iova_range){ 0x100800, 0x1fffff };
	EXPECT_EQ(EINVAL, ioas_allow(self->fd, self->ioas_id, bad, 1));
	bad[0] = (struct ioasid_iova_range){ 0x200000, 0x1fffff };
	EXPECT_EQ(EINVAL, ioas_allow(self->fd, self->ioas_id, bad, 1));
	EXPECT_EQ(EINVAL, ioas_allow(self->fd, self->ioas_id, bad, 4097));
	EXPECT_EQ(EFAULT, ioas_allow(self->fd, self->ioas_id, NULL, 1));

	/* No set: everything is usable again. */
	ASSERT_EQ(0, ioas_allow(self->fd, self->ioas_id, NULL, 0));
	n = 4;
	ASSERT_EQ(0, ioas_ranges(self->fd, self->ioas_id, got, &n));
	ASSERT_EQ(1, n);
	EXPECT_EQ(~0ULL, got[0].last);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
}

/* Allowed ranges keep a page table with a smaller aperture out. */
TEST_F(ioas, allow_iovas_blocks_attach)
{
	struct ioasid_iova_range high = {
		.start = 1ULL << 50, .last = (1ULL << 50) + SZ_2M - 1,
	};
	__u32 dev_id, domain_id;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));
	ASSERT_EQ(0, ioas_allow(self->fd, self->ioas_id, &high, 1));
	EXPECT_EQ(EADDRINUSE, ioas_attach(self->fd, domain_id,
					  self->ioas_id));
	ASSERT_EQ(0, ioas_allow(self->fd, self->ioas_id, NULL, 0));
	ASSERT_EQ(0, ioas_attach(self->fd, domain_id, self->ioas_id));
	/* And cannot be declared once such a page table is attached. */
	EXPECT_EQ(EADDRINUSE, ioas_allow(self->fd, self->ioas_id, &high, 1));
}

static int ioas_reserve(int fd, __u32 ioas_id, __u64 length, __u64 align,
			__u64 *iova)
{
	struct ioasid_ioas_reserve cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.length = length,
		.iova_alignment = align,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_RESERVE, &cmd);
	if (!rc)
		*iova = cmd.out_iova;
	return rc;
}

/* The simple flow: reserve N bytes, then map without choosing IOVAs. */
TEST_F(ioas, reserve_simple_flow)
{
	struct ioasid_iova_range got[2];
	__u64 base, iova;
	__u32 n = 2;
	int i;

	ASSERT_EQ(0, ioas_reserve(self->fd, self->ioas_id, 4 * BUF_SIZE, 0,
				  &base));
	EXPECT_EQ(0, base % (4 * BUF_SIZE));
	ASSERT_EQ(0, ioas_ranges(self->fd, self->ioas_id, got, &n));
	ASSERT_EQ(1, n);
	EXPECT_EQ(base, got[0].start);
	EXPECT_EQ(base + 4 * BUF_SIZE - 1, got[0].last);

	for (i = 0; i < 4; i++) {
		iova = 0;
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
				      BUF_SIZE, &iova, IOASID_IOAS_MAP_READ));
		EXPECT_TRUE(iova >= base &&
			    iova + BUF_SIZE - 1 <= base + 4 * BUF_SIZE - 1);
	}
	iova = 0;
	EXPECT_EQ(ENOSPC, ioas_map(self->fd, self->ioas_id, self->buf,
				   BUF_SIZE, &iova, IOASID_IOAS_MAP_READ));
	/* With mappings, a new window would leave them out. */
	EXPECT_EQ(EADDRINUSE, ioas_reserve(self->fd, self->ioas_id, SZ_4K, 0,
					   &iova));
	EXPECT_EQ(EINVAL, ioas_reserve(self->fd, self->ioas_id, 0, 0, &iova));
	EXPECT_EQ(EINVAL, ioas_reserve(self->fd, self->ioas_id, SZ_4K,
				       3 * SZ_4K, &iova));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	/* Empty again: a new window replaces the old one. */
	ASSERT_EQ(0, ioas_reserve(self->fd, self->ioas_id, SZ_1G, SZ_1G,
				  &iova));
	EXPECT_EQ(0, iova % SZ_1G);
}

/*
 * Many small mappings of one page: each is pinned, mapped and counted.  Up
 * to 100000 of them, bounded by time (20 s) past the first 10000.
 */
TEST_F_TIMEOUT(ioas, many_mappings, 900)
{
	struct ioasid_test_domain_info info;
	__u32 dev_id, domain_id;
	struct timespec ts;
	__u64 unmapped, end;
	int i, nr;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));
	ASSERT_EQ(0, ioas_attach(self->fd, domain_id, self->ioas_id));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec + 20;
	for (i = 0; i < 100000; i++) {
		if (i >= 10000 && !(i % 1000)) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			if (ts.tv_sec >= end)
				break;
		}
		ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					    SZ_4K, (__u64)i * 2 * SZ_4K));
	}
	nr = i;
	TH_LOG("%d mappings", nr);
	ASSERT_EQ(self->pinned_kb + nr * 4, vm_pinned_kb());
	ASSERT_EQ(0, domain_info(self->fd, domain_id, &info));
	EXPECT_EQ(nr, info.out_nr_ioptes);
	/* A range holding a thousand of them, then all the others. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 2000 * SZ_4K,
				&unmapped));
	EXPECT_EQ(1000 * SZ_4K, unmapped);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ((nr - 1000) * SZ_4K, unmapped);
	ASSERT_EQ(0, domain_info(self->fd, domain_id, &info));
	EXPECT_EQ(0, info.out_nr_ioptes);
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

/*
 * A child's mappings live in the context, not in the child: they survive
 * its exit in a context the parent shares, and are released with a
 * context only the child had.  A write seal on a memfd can only be added
 * while none of its pages is pinned, which makes the pins observable.
 */
TEST_F(ioas, fork_and_process_death)
{
	int to_child[2], to_parent[2];
	__u64 unmapped;
	int status, mfd;
	pid_t pid;
	char c;

	mfd = memfd_create("ioasid", MFD_ALLOW_SEALING);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 4 * SZ_4K));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u64 iova = 0x100000;
		int own = open_ioasid();
		__u32 ioas;

		/* Pins in the shared context and in a context of its own. */
		if (ioas_map_file(self->fd, self->ioas_id, mfd, 0, 2 * SZ_4K,
				  &iova, RW_FIXED) ||
		    own < 0 || ioas_alloc(own, &ioas) ||
		    ioas_map_file(own, ioas, mfd, 2 * SZ_4K, 2 * SZ_4K, &iova,
				  IOASID_IOAS_MAP_READ))
			_exit(1);
		if (write(to_parent[1], "m", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		_exit(0);	/* Without closing anything. */
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	/* Pinned by the child's mappings: no seal. */
	EXPECT_EQ(-1, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(1, write(to_child[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* The child's own context is gone, the shared one still pins. */
	EXPECT_EQ(-1, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ(2 * SZ_4K, unmapped);
	EXPECT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	close(mfd);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/* ---- In-kernel accesses ------------------------------------------------- */

static int access_create(int fd, __u32 ioas_id, __u32 flags, __u32 *id)
{
	struct ioasid_test_access_create cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_ACCESS_CREATE, &cmd);
	if (!rc)
		*id = cmd.out_access_id;
	return rc;
}

static int access_pin(int fd, __u32 id, __u64 iova, __u64 length,
		      __u32 flags, void *data, __u32 *pin_id)
{
	struct ioasid_test_access_pin cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.access_id = id,
		.iova = iova,
		.length = length,
		.data = (uintptr_t)data,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_ACCESS_PIN, &cmd);
	if (!rc && pin_id)
		*pin_id = cmd.out_pin_id;
	return rc;
}

static int access_unpin(int fd, __u32 id, __u32 pin_id)
{
	struct ioasid_test_access_unpin cmd = {
		.size = sizeof(cmd),
		.access_id = id,
		.pin_id = pin_id,
	};

	return ioctl_err(fd, IOASID_TEST_ACCESS_UNPIN, &cmd);
}

static int access_rw(int fd, __u32 id, __u64 iova, __u64 length,
		     __u32 flags, void *data)
{
	struct ioasid_test_access_rw cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.access_id = id,
		.iova = iova,
		.length = length,
		.data = (uintptr_t)data,
	};

	return ioctl_err(fd, IOASID_TEST_ACCESS_RW, &cmd);
}

static void access_info(struct __test_metadata *_metadata, int fd, __u32 id,
			__u32 *nr_pins, __u64 *unmap_calls)
{
	struct ioasid_test_access_info cmd = {
		.size = sizeof(cmd),
		.access_id = id,
	};

	ASSERT_EQ(0, ioctl_err(fd, IOASID_TEST_ACCESS_INFO, &cmd));
	*nr_pins = cmd.out_nr_pins;
	*unmap_calls = cmd.out_unmap_calls;
}

static void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + (i >> 12) + seed);
}

#define ACCESS_IOVA	0x100000ULL

FIXTURE(access)
{
	int fd;
	__u32 ioas_id;
	__u32 access_id;
	unsigned char *buf;
	long pinned_kb;
};

FIXTURE_SETUP(access)
{
	self->fd = open_ioasid();
	ASSERT_LE(0, self->fd);
	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	fill_pattern(self->buf, BUF_SIZE, 3);
	self->pinned_kb = vm_pinned_kb();
	ASSERT_LE(0, self->pinned_kb);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, ACCESS_IOVA));
	ASSERT_EQ(0, access_create(self->fd, self->ioas_id, 0,
				   &self->access_id));
}

FIXTURE_TEARDOWN(access)
{
	close(self->fd);
	if (self->buf && self->buf != MAP_FAILED) {
		/* Closing the context gives every pin back. */
		EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
		munmap(self->buf, BUF_SIZE);
	}
}

TEST_F(access, pin_reads_mapped_pages)
{
	unsigned char out[3 * SZ_4K + 5];
	__u64 calls;
	__u32 pin, n;

	/* Not page aligned at either end: three pages and a bit. */
	memset(out, 0, sizeof(out));
	ASSERT_EQ(0, access_pin(self->fd, self->access_id, ACCESS_IOVA + 100,
				sizeof(out), 0, out, &pin));
	EXPECT_EQ(0, memcmp(out, self->buf + 100, sizeof(out)));
	/* The pages are the mapping's: nothing is pinned or charged again. */
	EXPECT_EQ(self->pinned_kb + BUF_SIZE / 1024, vm_pinned_kb());
	access_info(_metadata, self->fd, self->access_id, &n, &calls);
	EXPECT_EQ(1, n);
	EXPECT_EQ(0, calls);

	ASSERT_EQ(0, access_unpin(self->fd, self->access_id, pin));
	EXPECT_EQ(ENOENT, access_unpin(self->fd, self->access_id, pin));
	access_info(_metadata, self->fd, self->access_id, &n, &calls);
	EXPECT_EQ(0, n);
	/* Without pins, an unmap does not call the access. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	access_info(_metadata, self->fd, self->access_id, &n, &calls);
	EXPECT_EQ(0, calls);
}

TEST_F(access, rw_copies_both_ways)
{
	unsigned char data[5000], back[5000];

	/* A device write lands in the user's memory. */
	fill_pattern(data, sizeof(data), 99);
	ASSERT_EQ(0, access_rw(self->fd, self->access_id, ACCESS_IOVA + 4000,
			       sizeof(data), IOASID_TEST_ACCESS_RW_WRITE,
			       data));
	EXPECT_EQ(0, memcmp(self->buf + 4000, data, sizeof(data)));
	/* And a device read sees what user space wrote. */
	self->buf[4000] ^= 0xff;
	ASSERT_EQ(0, access_rw(self->fd, self->access_id, ACCESS_IOVA + 4000,
			       sizeof(back), 0, back));
	EXPECT_EQ(0, memcmp(self->buf + 4000, back, sizeof(back)));
	EXPECT_EQ(self->pinned_kb + BUF_SIZE / 1024, vm_pinned_kb());
}

TEST_F(access, ranges_across_mappings)
{
	unsigned char out[2 * SZ_4K];
	__u64 iova = ACCESS_IOVA + BUF_SIZE;
	__u32 pin;

	/* A second mapping right after the first: one range spans both. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, iova));
	ASSERT_EQ(0, access_pin(self->fd, self->access_id, iova - SZ_4K,
				sizeof(out), 0, out, &pin));
	EXPECT_EQ(0, memcmp(out, self->buf + BUF_SIZE - SZ_4K, SZ_4K));
	EXPECT_EQ(0, memcmp(out + SZ_4K, self->buf, SZ_4K));
	ASSERT_EQ(0, access_rw(self->fd, self->access_id, iova - 10, 20, 0,
			       out));
	EXPECT_EQ(0, memcmp(out, self->buf + BUF_SIZE - 10, 10));
	EXPECT_EQ(0, memcmp(out + 10, self->buf, 10));
	ASSERT_EQ(0, access_unpin(self->fd, self->access_id, pin));

	/* A hole in the range: refused, nothing pinned or copied. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, BUF_SIZE,
				NULL));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, iova + SZ_4K));
	EXPECT_EQ(ENOENT, access_pin(self->fd, self->access_id, iova - SZ_4K,
				     3 * SZ_4K, 0, NULL, &pin));
	memset(out, 0xee, sizeof(out));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->access_id, iova - 10,
				    SZ_4K + 20, IOASID_TEST_ACCESS_RW_WRITE,
				    out));
	EXPECT_NE(0xee, self->buf[BUF_SIZE - 1]);
	/* Nothing is held: both mappings go without calling the access. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
}

TEST_F(access, bad_arguments)
{
	struct ioasid_test_access_rw rw = {
		.size = sizeof(rw),
		.__reserved = 1,
		.iova = ACCESS_IOVA,
		.length = 16,
	};
	unsigned char data[16];
	__u32 id;

	EXPECT_EQ(EINVAL, access_pin(self->fd, self->access_id, ACCESS_IOVA,
				     0, 0, NULL, NULL));
	EXPECT_EQ(EOVERFLOW, access_pin(self->fd, self->access_id,
					~0ULL - 10, 100, 0, NULL, NULL));
	EXPECT_EQ(E2BIG, access_pin(self->fd, self->access_id, ACCESS_IOVA,
				    16 * 1024 * 1024 + 1, 0, NULL, NULL));
	EXPECT_EQ(ENOENT, access_pin(self->fd, self->access_id, 0, SZ_4K, 0,
				     NULL, NULL));
	EXPECT_EQ(ENOENT, access_pin(self->fd, self->access_id,
				     ACCESS_IOVA + BUF_SIZE - 1, 2, 0, NULL,
				     NULL));
	EXPECT_EQ(EOPNOTSUPP, access_pin(self->fd, self->access_id,
					 ACCESS_IOVA, SZ_4K, 1U << 5, NULL,
					 NULL));
	EXPECT_EQ(ENOENT, access_pin(self->fd, 9999, ACCESS_IOVA, SZ_4K, 0,
				     NULL, NULL));
	/* An IOAS is not an access. */
	EXPECT_EQ(ENOENT, access_pin(self->fd, self->ioas_id, ACCESS_IOVA,
				     SZ_4K, 0, NULL, NULL));
	/* A bad output buffer undoes the pin. */
	EXPECT_EQ(EFAULT, access_pin(self->fd, self->access_id, ACCESS_IOVA,
				     SZ_4K, 0, (void *)8, NULL));

	EXPECT_EQ(EINVAL, access_rw(self->fd, self->access_id, ACCESS_IOVA, 0,
				    0, data));
	EXPECT_EQ(E2BIG, access_rw(self->fd, self->access_id, ACCESS_IOVA,
				   64 * 1024 + 1, 0, data));
	EXPECT_EQ(EFAULT, access_rw(self->fd, self->access_id, ACCESS_IOVA,
				    sizeof(data), 0, NULL));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->access_id, 0x10,
				    sizeof(data), 0, data));

	EXPECT_EQ(ENOENT, access_create(self->fd, 9999, 0, &id));
	EXPECT_EQ(EOPNOTSUPP, access_create(self->fd, self->ioas_id, 1U << 7,
					    &id));
	EXPECT_EQ(ENOENT, access_unpin(self->fd, self->access_id, 1));
	rw.access_id = self->access_id;
	rw.data = (uintptr_t)data;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_ACCESS_RW, &rw));
	/* Nothing was left pinned: the unmap goes without a callback. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
}

TEST_F(access, permissions)
{
	unsigned char data[16] = { 1 };
	__u64 ro = 0x10000000, wo = 0x20000000;
	__u32 pin;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, SZ_4K, &ro,
			      IOASID_IOAS_MAP_READ |
			      IOASID_IOAS_MAP_FIXED_IOVA));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, SZ_4K, &wo,
			      IOASID_IOAS_MAP_WRITE |
			      IOASID_IOAS_MAP_FIXED_IOVA));
	/* Read-only: readable, never written. */
	EXPECT_EQ(0, access_rw(self->fd, self->access_id, ro, sizeof(data), 0,
			       data));
	EXPECT_EQ(EPERM, access_rw(self->fd, self->access_id, ro,
				   sizeof(data), IOASID_TEST_ACCESS_RW_WRITE,
				   data));
	EXPECT_EQ(EPERM, access_pin(self->fd, self->access_id, ro, SZ_4K,
				    IOASID_TEST_ACCESS_RW_WRITE, NULL, &pin));
	ASSERT_EQ(0, access_pin(self->fd, self->access_id, ro, SZ_4K, 0, NULL,
				&pin));
	ASSERT_EQ(0, access_unpin(self->fd, self->access_id, pin));
	/* Write-only: written, never read. */
	EXPECT_EQ(0, access_rw(self->fd, self->access_id, wo, sizeof(data),
			       IOASID_TEST_ACCESS_RW_WRITE, data));
	EXPECT_EQ(EPERM, access_rw(self->fd, self->access_id, wo,
				   sizeof(data), 0, data));
	EXPECT_EQ(EPERM, access_pin(self->fd, self->access_id, wo, SZ_4K, 0,
				    NULL, &pin));
	/* Read-write allows a writing pin. */
	ASSERT_EQ(0, access_pin(self->fd, self->access_id, ACCESS_IOVA, SZ_4K,
				IOASID_TEST_ACCESS_RW_WRITE, NULL, &pin));
	ASSERT_EQ(0, access_unpin(self->fd, self->access_id, pin));
}

TEST_F(access, unmap_calls_the_access)
{
	__u32 pin, other, n, n2;
	__u64 calls, calls2, unmapped;

	ASSERT_EQ(0, access_create(self->fd, self->ioas_id, 0, &other));
	ASSERT_EQ(0, access_pin(self->fd, self->access_id, ACCESS_IOVA + SZ_4K,
				SZ_4K, 0, NULL, &pin));
	/* The unmap asks the accesses to let go, then succeeds. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
				BUF_SIZE, &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
	access_info(_metadata, self->fd, self->access_id, &n, &calls);
	EXPECT_EQ(0, n);
	EXPECT_EQ(1, calls);
	/* Every access of the IOAS hears of it, pins or not. */
	access_info(_metadata, self->fd, other, &n2, &calls2);
	EXPECT_EQ(0, n2);
	EXPECT_EQ(1, calls2);
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());

	/* Also for "unmap everything". */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, ACCESS_IOVA));
	ASSERT_EQ(0, access_pin(self->fd, self->access_id, ACCESS_IOVA,
				BUF_SIZE, 0, NULL, &pin));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
	access_info(_metadata, self->fd, self->access_id, &n, &calls);
	EXPECT_EQ(0, n);
	EXPECT_EQ(2, calls);
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

TEST_F(access, pins_kept_make_unmap_fail)
{
	__u32 keeper, pin, pin2, n;
	__u64 calls, unmapped;

	ASSERT_EQ(0, access_create(self->fd, self->ioas_id,
				   IOASID_TEST_ACCESS_KEEP_PINS, &keeper));
	ASSERT_EQ(0, access_pin(self->fd, keeper, ACCESS_IOVA, SZ_4K, 0, NULL,
				&pin));
	EXPECT_EQ(EBUSY, ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
				    BUF_SIZE, NULL));
	EXPECT_EQ(EBUSY, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	access_info(_metadata, self->fd, keeper, &n, &calls);
	EXPECT_EQ(1, n);
	EXPECT_EQ(2, calls);
	/* The mapping is intact, and open to new pins again. */
	EXPECT_EQ(0, access_rw(self->fd, self->access_id, ACCESS_IOVA, 8, 0,
			       &unmapped));
	ASSERT_EQ(0, access_pin(self->fd, self->access_id, ACCESS_IOVA,
				SZ_4K, 0, NULL, &pin2));
	ASSERT_EQ(0, access_unpin(self->fd, self->access_id, pin2));
	EXPECT_EQ(self->pinned_kb + BUF_SIZE / 1024, vm_pinned_kb());
	ASSERT_EQ(0, access_unpin(self->fd, keeper, pin));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
}

TEST_F(access, pins_follow_copies)
{
	__u64 dst = 0x40000000, unmapped, calls;
	__u32 pin, n;

	/* A pin in the copy holds the copy, not the original. */
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
			       ACCESS_IOVA, BUF_SIZE, &dst, RW_FIXED));
	ASSERT_EQ(0, access_pin(self->fd, self->access_id, dst, SZ_4K, 0,
				NULL, &pin));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
				BUF_SIZE, &unmapped));
	access_info(_metadata, self->fd, self->access_id, &n, &calls);
	EXPECT_EQ(1, n);
	EXPECT_EQ(0, calls);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, dst, BUF_SIZE,
				&unmapped));
	access_info(_metadata, self->fd, self->access_id, &n, &calls);
	EXPECT_EQ(0, n);
	EXPECT_EQ(1, calls);
}

TEST_F(access, holds_its_ioas)
{
	__u32 pin;

	ASSERT_EQ(0, access_pin(self->fd, self->access_id, ACCESS_IOVA, SZ_4K,
				0, NULL, &pin));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas_id));
	/* Destroying the access releases its pins and the IOAS. */
	ASSERT_EQ(0, destroy(self->fd, self->access_id));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

TEST_F(access, close_with_pins)
{
	__u32 ioas, acc, pin;
	int fd = open_ioasid();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, ioas_map_fixed(fd, ioas, self->buf, BUF_SIZE,
				    ACCESS_IOVA));
	ASSERT_EQ(0, access_create(fd, ioas, IOASID_TEST_ACCESS_KEEP_PINS,
				   &acc));
	ASSERT_EQ(0, access_pin(fd, acc, ACCESS_IOVA, BUF_SIZE, 0, NULL,
				&pin));
	EXPECT_EQ(self->pinned_kb + 2 * BUF_SIZE / 1024, vm_pinned_kb());
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(self->pinned_kb + BUF_SIZE / 1024, vm_pinned_kb());
}

struct access_race {
	int fd;
	__u32 ioas_id;
	__u32 access_id;
	void *buf;
	int errors;
};

static void *access_race_mapper(void *arg)
{
	struct access_race *r = arg;
	int i;

	for (i = 0; i < 300; i++) {
		if (ioas_map_fixed(r->fd, r->ioas_id, r->buf, BUF_SIZE,
				   ACCESS_IOVA) ||
		    ioas_unmap(r->fd, r->ioas_id, ACCESS_IOVA, BUF_SIZE,
			       NULL))
			r->errors++;
	}
	return NULL;
}

/* Pins racing with map and unmap: every unmap gets its pins back. */
TEST_F_TIMEOUT(access, race_pin_unmap, 300)
{
	struct access_race r = {
		.fd = self->fd,
		.ioas_id = self->ioas_id,
		.access_id = self->access_id,
		.buf = self->buf,
	};
	int i, pinned = 0, rc;
	pthread_t thread;
	__u32 pin;

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	ASSERT_EQ(0, pthread_create(&thread, NULL, access_race_mapper, &r));
	for (i = 0; i < 600; i++) {
		rc = access_pin(self->fd, self->access_id, ACCESS_IOVA, SZ_4K,
				0, NULL, &pin);
		if (rc == ENOENT)
			continue;
		ASSERT_EQ(0, rc);
		pinned++;
		/* The unmap callback may have released it already. */
		rc = access_unpin(self->fd, self->access_id, pin);
		ASSERT_TRUE(!rc || rc == ENOENT);
	}
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0, r.errors);
	TH_LOG("%d pins while mapped", pinned);
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

/* ---- Devices ------------------------------------------------------------ */

static int device_bind(int fd, __u32 mock_id, __u32 *device_id)
{
	struct ioasid_test_device_bind cmd = {
		.size = sizeof(cmd),
		.dev_id = mock_id,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_DEVICE_BIND, &cmd);
	if (!rc && device_id)
		*device_id = cmd.out_device_id;
	return rc;
}

static int device_unbind(int fd, __u32 mock_id)
{
	struct ioasid_test_device_unbind cmd = {
		.size = sizeof(cmd),
		.dev_id = mock_id,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_UNBIND, &cmd);
}

static int device_attach(int fd, __u32 mock_id, __u32 pt_id, __u32 *hwpt_id,
			 bool replace)
{
	struct ioasid_test_device_attach cmd = {
		.size = sizeof(cmd),
		.flags = replace ? IOASID_TEST_DEVICE_ATTACH_REPLACE : 0,
		.dev_id = mock_id,
		.pt_id = pt_id,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_DEVICE_ATTACH, &cmd);
	if (!rc && hwpt_id)
		*hwpt_id = cmd.pt_id;
	return rc;
}

static int device_detach(int fd, __u32 mock_id)
{
	struct ioasid_test_device_detach cmd = {
		.size = sizeof(cmd),
		.dev_id = mock_id,
	};

	return ioctl_err(fd, IOASID_TEST_DEVICE_DETACH, &cmd);
}

/* The domain the test IOMMU translates the device with: 0 when blocked. */
static __u64 device_domain(struct __test_metadata *_metadata, int fd,
			   __u32 mock_id, __u64 *mapped_bytes)
{
	struct ioasid_test_device_domain cmd = {
		.size = sizeof(cmd),
		.dev_id = mock_id,
	};

	EXPECT_EQ(0, ioctl_err(fd, IOASID_TEST_DEVICE_DOMAIN, &cmd));
	if (mapped_bytes)
		*mapped_bytes = cmd.out_mapped_bytes;
	return cmd.out_serial;
}

static int hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id, __u32 *hwpt_id)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.pt_id = pt_id,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_HWPT_ALLOC, &cmd);
	if (!rc)
		*hwpt_id = cmd.out_hwpt_id;
	return rc;
}

FIXTURE(device)
{
	int fd;
	__u32 ioas_id;
	__u32 mock[2];
	__u32 dev[2];
	void *buf;
	long pinned_kb;
};

FIXTURE_SETUP(device)
{
	int i;

	self->fd = open_ioasid();
	ASSERT_LE(0, self->fd);
	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x11, BUF_SIZE);
	self->pinned_kb = vm_pinned_kb();
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, 0x100000));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mock_dev_add(self->fd, &self->mock[i], NULL));
		ASSERT_EQ(0, device_bind(self->fd, self->mock[i],
					 &self->dev[i]));
	}
}

FIXTURE_TEARDOWN(device)
{
	close(self->fd);
	if (self->buf && self->buf != MAP_FAILED) {
		EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
		munmap(self->buf, BUF_SIZE);
	}
}

TEST_F(device, bind_unbind)
{
	__u32 id;

	/* Bound devices start blocked and belong to their owner. */
	EXPECT_EQ(0, device_domain(_metadata, self->fd, self->mock[0], NULL));
	EXPECT_NE(self->dev[0], self->dev[1]);
	/* Only the owner unbinds it: user space cannot destroy it. */
	EXPECT_EQ(EPERM, destroy(self->fd, self->dev[0]));
	EXPECT_EQ(EBUSY, device_bind(self->fd, self->mock[0], &id));
	ASSERT_EQ(0, device_unbind(self->fd, self->mock[0]));
	EXPECT_EQ(ENOENT, device_unbind(self->fd, self->mock[0]));
	EXPECT_EQ(ENOENT, destroy(self->fd, self->dev[0]));
	EXPECT_EQ(ENOENT, device_attach(self->fd, self->mock[0],
					self->ioas_id, NULL, false));
	/* Bound again, under a new id. */
	ASSERT_EQ(0, device_bind(self->fd, self->mock[0], &id));
	EXPECT_NE(self->dev[1], id);
	EXPECT_EQ(ENOENT, device_bind(self->fd, 9999, &id));
}

TEST_F(device, attach_ioas_fills_and_follows)
{
	__u64 mapped, serial;
	__u32 hwpt;

	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   &hwpt, false));
	EXPECT_NE(self->ioas_id, hwpt);
	serial = device_domain(_metadata, self->fd, self->mock[0], &mapped);
	EXPECT_NE(0, serial);
	EXPECT_EQ(BUF_SIZE, mapped);
	/* Later maps and unmaps reach the device's page table. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, 0x800000));
	device_domain(_metadata, self->fd, self->mock[0], &mapped);
	EXPECT_EQ(2 * BUF_SIZE, mapped);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0x100000, BUF_SIZE,
				NULL));
	device_domain(_metadata, self->fd, self->mock[0], &mapped);
	EXPECT_EQ(BUF_SIZE, mapped);

	/* The IOAS is held by the HWPT the attach made. */
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas_id));
	EXPECT_EQ(EBUSY, destroy(self->fd, hwpt));
	EXPECT_EQ(EBUSY, device_attach(self->fd, self->mock[0],
				       self->ioas_id, NULL, false));
	ASSERT_EQ(0, device_detach(self->fd, self->mock[0]));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, self->mock[0], NULL));
	/* That HWPT went with its last attachment. */
	EXPECT_EQ(ENOENT, destroy(self->fd, hwpt));
	EXPECT_EQ(0, destroy(self->fd, self->ioas_id));
}

TEST_F(device, compatible_devices_share_a_page_table)
{
	struct ioasid_test_mock_dev_add add = {
		.size = sizeof(add),
		.flags = IOASID_TEST_MOCK_DEV_OTHER_IOMMU,
	};
	__u32 h0, h1, other_mock, other_dev, h2;
	__u64 s0, s1, s2;

	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   &h0, false));
	ASSERT_EQ(0, device_attach(self->fd, self->mock[1], self->ioas_id,
				   &h1, false));
	EXPECT_EQ(h0, h1);
	s0 = device_domain(_metadata, self->fd, self->mock[0], NULL);
	s1 = device_domain(_metadata, self->fd, self->mock[1], NULL);
	EXPECT_EQ(s0, s1);

	/* A device behind another IOMMU gets a page table of its own. */
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_TEST_MOCK_DEV_ADD, &add));
	other_mock = add.out_dev_id;
	ASSERT_EQ(0, device_bind(self->fd, other_mock, &other_dev));
	EXPECT_EQ(EINVAL, device_attach(self->fd, other_mock, h0, NULL,
					false));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, other_mock, NULL));
	ASSERT_EQ(0, device_attach(self->fd, other_mock, self->ioas_id, &h2,
				   false));
	EXPECT_NE(h0, h2);
	s2 = device_domain(_metadata, self->fd, other_mock, NULL);
	EXPECT_NE(0, s2);
	EXPECT_NE(s0, s2);

	/* The shared one stays while a device uses it. */
	ASSERT_EQ(0, device_detach(self->fd, self->mock[0]));
	EXPECT_EQ(s1, device_domain(_metadata, self->fd, self->mock[1], NULL));
	EXPECT_EQ(EBUSY, destroy(self->fd, h1));
	ASSERT_EQ(0, device_detach(self->fd, self->mock[1]));
	EXPECT_EQ(ENOENT, destroy(self->fd, h1));
}

TEST_F(device, replace_moves_atomically)
{
	__u32 other, h0, h1, again;
	__u64 s0, s1, mapped;

	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, other, self->buf, SZ_4K,
				    0x400000));
	/* Replace without an attachment attaches. */
	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   &h0, true));
	s0 = device_domain(_metadata, self->fd, self->mock[0], NULL);
	/* To the same page table: nothing changes. */
	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   &again, true));
	EXPECT_EQ(h0, again);
	EXPECT_EQ(s0, device_domain(_metadata, self->fd, self->mock[0], NULL));

	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], other, &h1, true));
	EXPECT_NE(h0, h1);
	s1 = device_domain(_metadata, self->fd, self->mock[0], &mapped);
	EXPECT_NE(0, s1);
	EXPECT_NE(s0, s1);
	EXPECT_EQ(SZ_4K, mapped);
	/* The first IOAS lost its only user. */
	EXPECT_EQ(ENOENT, destroy(self->fd, h0));
	EXPECT_EQ(0, destroy(self->fd, self->ioas_id));
	EXPECT_EQ(EBUSY, destroy(self->fd, other));
}

TEST_F(device, hwpt_alloc)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->dev[0],
		.pt_id = self->ioas_id,
	};
	__u32 hwpt, got;
	__u64 mapped;

	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev[0], self->ioas_id, &hwpt));
	/* Filled at once, and held by nobody yet. */
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], hwpt, &got,
				   false));
	EXPECT_EQ(hwpt, got);
	ASSERT_EQ(0, device_attach(self->fd, self->mock[1], hwpt, &got,
				   false));
	EXPECT_EQ(device_domain(_metadata, self->fd, self->mock[0], &mapped),
		  device_domain(_metadata, self->fd, self->mock[1], NULL));
	EXPECT_EQ(BUF_SIZE, mapped);
	/* An attach to the IOAS does not pick a HWPT user space made. */
	ASSERT_EQ(0, device_attach(self->fd, self->mock[1], self->ioas_id,
				   &got, true));
	EXPECT_NE(hwpt, got);
	EXPECT_EQ(EBUSY, destroy(self->fd, hwpt));
	ASSERT_EQ(0, device_detach(self->fd, self->mock[0]));
	ASSERT_EQ(0, device_detach(self->fd, self->mock[1]));
	/* User space destroys its own HWPT. */
	EXPECT_EQ(0, destroy(self->fd, hwpt));
	EXPECT_EQ(0, destroy(self->fd, self->ioas_id));

	EXPECT_EQ(ENOENT, hwpt_alloc(self->fd, self->dev[0], self->ioas_id,
				     &hwpt));
	ASSERT_EQ(0, ioas_alloc(self->fd, &cmd.pt_id));
	EXPECT_EQ(ENOENT, hwpt_alloc(self->fd, self->mock[0], cmd.pt_id,
				     &hwpt));
	cmd.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
	/* The plain mock IOMMU cannot be a nesting parent. */
	cmd.flags = IOASID_HWPT_ALLOC_NEST_PARENT;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
	cmd.flags = 0;
	/* No fault queue has that id. */
	cmd.fault_id = cmd.pt_id;
	EXPECT_EQ(ENOENT, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
}

TEST_F(device, attach_errors)
{
	__u32 far_ioas, hwpt;
	__u64 iova = 1ULL << 50;

	EXPECT_EQ(ENOENT, device_attach(self->fd, self->mock[0], 9999, NULL,
					false));
	/* A device is not a page table. */
	EXPECT_EQ(ENOENT, device_attach(self->fd, self->mock[0], self->dev[1],
					NULL, false));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, self->mock[0], NULL));
	EXPECT_EQ(0, device_detach(self->fd, self->mock[0]));

	/* A mapping the IOMMU cannot translate keeps the device out. */
	ASSERT_EQ(0, ioas_alloc(self->fd, &far_ioas));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, far_ioas, self->buf, SZ_4K,
				    iova));
	EXPECT_EQ(EADDRINUSE, device_attach(self->fd, self->mock[0], far_ioas,
					    NULL, false));
	EXPECT_EQ(EADDRINUSE, hwpt_alloc(self->fd, self->dev[0], far_ioas,
					 &hwpt));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, self->mock[0], NULL));
	EXPECT_EQ(0, destroy(self->fd, far_ioas));
}

TEST_F(device, removal_and_close_while_attached)
{
	__u32 hwpt, ioas, mock, dev;
	int fd;

	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   &hwpt, false));
	/* The device goes away: its owner unbinds and so detaches it. */
	ASSERT_EQ(0, destroy(self->fd, self->mock[0]));
	EXPECT_EQ(ENOENT, destroy(self->fd, hwpt));
	EXPECT_EQ(0, destroy(self->fd, self->ioas_id));

	/* A context closed with an attached device leaves nothing behind. */
	fd = open_ioasid();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, ioas_map_fixed(fd, ioas, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0, mock_dev_add(fd, &mock, NULL));
	ASSERT_EQ(0, device_bind(fd, mock, &dev));
	ASSERT_EQ(0, device_attach(fd, mock, ioas, &hwpt, false));
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

static int iova_ranges(int fd, __u32 ioas_id, struct ioasid_iova_range *r,
		       __u32 *n)
{
	struct ioasid_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_ranges = *n,
		.ranges = (uintptr_t)r,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_IOAS_IOVA_RANGES, &cmd);
	*n = cmd.num_ranges;
	return rc;
}

TEST_F(device, reserved_regions)
{
	const __u64 msi = IOASID_TEST_MOCK_MSI_START;
	const __u64 msi_last = msi + IOASID_TEST_MOCK_MSI_LENGTH - 1;
	struct ioasid_iova_range r[4], allow = {
		.start = msi - SZ_2M,
		.last = msi + SZ_2M - 1,
	};
	struct ioasid_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)&allow,
	};
	__u32 n = 4, other;
	__u64 iova;

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	/* Attaching takes the device's MSI window out of the IOAS. */
	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   NULL, false));
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas_id, r, &n));
	ASSERT_EQ(2, n);
	EXPECT_EQ(0, r[0].start);
	EXPECT_EQ(msi - 1, r[0].last);
	EXPECT_EQ(msi_last + 1, r[1].start);
	EXPECT_EQ((1ULL << 48) - 1, r[1].last);
	n = 1;
	EXPECT_EQ(EMSGSIZE, iova_ranges(self->fd, self->ioas_id, r, &n));
	EXPECT_EQ(2, n);

	/* Nothing lands there, by request or by choice. */
	EXPECT_EQ(EADDRINUSE, ioas_map_fixed(self->fd, self->ioas_id,
					     self->buf, SZ_4K, msi_last & ~0xfffULL));
	EXPECT_EQ(EADDRINUSE, ioctl_err(self->fd, IOASID_IOAS_ALLOW_IOVAS,
					&cmd));
	allow.last = msi - 1;
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_IOAS_ALLOW_IOVAS, &cmd));
	/* Allowed just below the window: a kernel-chosen IOVA lands there. */
	iova = 0;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, SZ_4K,
			      &iova, IOASID_IOAS_MAP_READ));
	EXPECT_LE(msi - SZ_2M, iova);
	EXPECT_GT(msi, iova);
	cmd.num_iovas = 0;
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_IOAS_ALLOW_IOVAS, &cmd));

	/* A second device with the same window adds nothing new. */
	ASSERT_EQ(0, device_attach(self->fd, self->mock[1], self->ioas_id,
				   NULL, false));
	n = 4;
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas_id, r, &n));
	EXPECT_EQ(2, n);
	/* Still reserved while one of them is attached. */
	ASSERT_EQ(0, device_detach(self->fd, self->mock[0]));
	EXPECT_EQ(EADDRINUSE, ioas_map_fixed(self->fd, self->ioas_id,
					     self->buf, SZ_4K, msi));
	ASSERT_EQ(0, device_detach(self->fd, self->mock[1]));
	n = 4;
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas_id, r, &n));
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_4K,
				    msi));
	/* Now the mapping keeps the devices out. */
	EXPECT_EQ(EADDRINUSE, device_attach(self->fd, self->mock[0],
					    self->ioas_id, NULL, false));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, self->mock[0], NULL));

	/* Replace moves the reservation along with the device. */
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, device_attach(self->fd, self->mock[1], other, NULL,
				   false));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, msi, SZ_4K, NULL));
	ASSERT_EQ(0, device_attach(self->fd, self->mock[1], self->ioas_id,
				   NULL, true));
	EXPECT_EQ(0, ioas_map_fixed(self->fd, other, self->buf, SZ_4K, msi));
	EXPECT_EQ(EADDRINUSE, ioas_map_fixed(self->fd, self->ioas_id,
					     self->buf, SZ_4K, msi));
}

static int mock_dev_add_flags(int fd, __u32 flags, __u32 group_dev_id,
			      __u32 *dev_id)
{
	struct ioasid_test_mock_dev_add cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.group_dev_id = group_dev_id,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &cmd);
	if (!rc)
		*dev_id = cmd.out_dev_id;
	return rc;
}

/* Bind a mock device of @fd's context to the context of @ioasid_fd. */
static int device_bind_fd(int fd, __u32 mock_id, int ioasid_fd,
			  __u32 *device_id)
{
	struct ioasid_test_device_bind cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_TEST_DEVICE_BIND_FD,
		.dev_id = mock_id,
		.ioasid_fd = ioasid_fd,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_TEST_DEVICE_BIND, &cmd);
	if (!rc && device_id)
		*device_id = cmd.out_device_id;
	return rc;
}

static __u32 device_domain_flags(struct __test_metadata *_metadata, int fd,
				 __u32 mock_id)
{
	struct ioasid_test_device_domain cmd = {
		.size = sizeof(cmd),
		.dev_id = mock_id,
	};

	EXPECT_EQ(0, ioctl_err(fd, IOASID_TEST_DEVICE_DOMAIN, &cmd));
	return cmd.out_flags;
}

static int hw_info(int fd, __u32 dev_id, void *data, __u32 len,
		   struct ioasid_device_get_hw_info *out)
{
	struct ioasid_device_get_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	int rc;

	rc = ioctl_err(fd, IOASID_DEVICE_GET_HW_INFO, &cmd);
	if (out)
		*out = cmd;
	return rc;
}

TEST_F(device, hw_info)
{
	struct ioasid_device_get_hw_info cmd;
	struct ioasid_test_hw_info info;
	unsigned char big[64];
	__u32 mock, dev;
	size_t i;

	struct ioasid_info ginfo = { .size = sizeof(ginfo) };

	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_GET_INFO, &ginfo));
	ASSERT_TRUE(ginfo.features & IOASID_FEATURE_HW_INFO);
	/* With no buffer: the length and the type. */
	ASSERT_EQ(0, hw_info(self->fd, self->dev[0], NULL, 0, &cmd));
	EXPECT_EQ(sizeof(info), cmd.data_len);
	EXPECT_EQ(IOASID_TEST_HW_INFO_TYPE, cmd.out_data_type);
	EXPECT_EQ(0, cmd.out_max_pasid_log2);

	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, hw_info(self->fd, self->dev[0], &info, sizeof(info),
			     &cmd));
	EXPECT_EQ(sizeof(info), cmd.data_len);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(0, info.instance);
	EXPECT_EQ(IOASID_TEST_HW_INFO_REG, info.test_reg);

	/* A larger buffer is zeroed past the data. */
	memset(big, 0xff, sizeof(big));
	ASSERT_EQ(0, hw_info(self->fd, self->dev[0], big, sizeof(big), &cmd));
	EXPECT_EQ(sizeof(info), cmd.data_len);
	EXPECT_EQ(0, memcmp(big, &info, sizeof(info)));
	for (i = sizeof(info); i < sizeof(big); i++)
		EXPECT_EQ(0, big[i]);
	/* A shorter one gets the start of the data and nothing more. */
	memset(big, 0xff, sizeof(big));
	ASSERT_EQ(0, hw_info(self->fd, self->dev[0], big, 4, &cmd));
	EXPECT_EQ(sizeof(info), cmd.data_len);
	EXPECT_EQ(0, memcmp(big, &info, 4));
	EXPECT_EQ(0xff, big[4]);

	/* Each device reports its own IOMMU and PASID width. */
	ASSERT_EQ(0, mock_dev_add_flags(self->fd,
					IOASID_TEST_MOCK_DEV_OTHER_IOMMU |
					IOASID_TEST_MOCK_DEV_PASID, 0, &mock));
	ASSERT_EQ(0, device_bind(self->fd, mock, &dev));
	ASSERT_EQ(0, hw_info(self->fd, dev, &info, sizeof(info), &cmd));
	EXPECT_EQ(1, info.instance);
	EXPECT_EQ(IOASID_TEST_MOCK_PASID_BITS, cmd.out_max_pasid_log2);

	/* Errors. */
	EXPECT_EQ(ENOENT, hw_info(self->fd, 9999, NULL, 0, NULL));
	EXPECT_EQ(ENOENT, hw_info(self->fd, mock, NULL, 0, NULL));
	EXPECT_EQ(ENOENT, hw_info(self->fd, self->ioas_id, NULL, 0, NULL));
	EXPECT_EQ(EFAULT, hw_info(self->fd, dev, (void *)8, sizeof(info),
				  NULL));
	cmd = (struct ioasid_device_get_hw_info){
		.size = sizeof(cmd), .flags = 1, .dev_id = dev,
	};
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_DEVICE_GET_HW_INFO,
					&cmd));
	cmd.flags = 0;
	cmd.__reserved[2] = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_DEVICE_GET_HW_INFO,
				    &cmd));
	/* Gone with the binding. */
	ASSERT_EQ(0, device_unbind(self->fd, mock));
	EXPECT_EQ(ENOENT, hw_info(self->fd, dev, NULL, 0, NULL));
}

TEST_F(device, group_shares_one_attachment)
{
	__u32 gmock, gdev, other, h0, h1;
	__u64 s0, s1;

	/* A second device in the IOMMU group of mock[0]. */
	ASSERT_EQ(0, mock_dev_add_flags(self->fd, IOASID_TEST_MOCK_DEV_GROUP,
					self->mock[0], &gmock));
	ASSERT_EQ(0, device_bind(self->fd, gmock, &gdev));
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));

	/* The IOMMU translates the whole group with one page table. */
	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   &h0, false));
	s0 = device_domain(_metadata, self->fd, self->mock[0], NULL);
	EXPECT_NE(0, s0);
	EXPECT_EQ(s0, device_domain(_metadata, self->fd, gmock, NULL));
	/* So the other device cannot go elsewhere... */
	EXPECT_EQ(EBUSY, device_attach(self->fd, gmock, other, NULL, false));
	EXPECT_EQ(EBUSY, device_attach(self->fd, gmock, other, NULL, true));
	/* ...but joins the same page table. */
	ASSERT_EQ(0, device_attach(self->fd, gmock, self->ioas_id, &h1,
				   false));
	EXPECT_EQ(h0, h1);
	/* Neither moves alone while both are attached. */
	EXPECT_EQ(EBUSY, device_attach(self->fd, self->mock[0], other, NULL,
				       true));
	EXPECT_EQ(s0, device_domain(_metadata, self->fd, gmock, NULL));

	/* The group stays attached while one of them is. */
	ASSERT_EQ(0, device_detach(self->fd, self->mock[0]));
	EXPECT_EQ(s0, device_domain(_metadata, self->fd, self->mock[0], NULL));
	EXPECT_EQ(EBUSY, destroy(self->fd, h0));
	/* The last attached one moves the group. */
	ASSERT_EQ(0, device_attach(self->fd, gmock, other, &h1, true));
	s1 = device_domain(_metadata, self->fd, gmock, NULL);
	EXPECT_NE(s0, s1);
	EXPECT_EQ(s1, device_domain(_metadata, self->fd, self->mock[0], NULL));
	EXPECT_EQ(ENOENT, destroy(self->fd, h0));
	ASSERT_EQ(0, device_detach(self->fd, gmock));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, self->mock[0], NULL));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, gmock, NULL));

	/* One IOMMU group never spans two IOMMUs. */
	EXPECT_EQ(EINVAL, mock_dev_add_flags(self->fd,
					     IOASID_TEST_MOCK_DEV_GROUP |
					     IOASID_TEST_MOCK_DEV_OTHER_IOMMU,
					     self->mock[0], &gmock));
	EXPECT_EQ(ENOENT, mock_dev_add_flags(self->fd,
					     IOASID_TEST_MOCK_DEV_GROUP,
					     self->ioas_id, &gmock));
}

TEST_F(device, group_removal_and_hot_add)
{
	__u32 gmock, gdev, late;
	__u64 s0, mapped;

	ASSERT_EQ(0, mock_dev_add_flags(self->fd, IOASID_TEST_MOCK_DEV_GROUP,
					self->mock[0], &gmock));
	ASSERT_EQ(0, device_bind(self->fd, gmock, &gdev));
	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   NULL, false));
	ASSERT_EQ(0, device_attach(self->fd, gmock, self->ioas_id, NULL,
				   false));
	s0 = device_domain(_metadata, self->fd, self->mock[0], NULL);

	/* One device goes away; the other keeps its translation. */
	ASSERT_EQ(0, destroy(self->fd, gmock));
	EXPECT_EQ(s0, device_domain(_metadata, self->fd, self->mock[0],
				    &mapped));
	EXPECT_EQ(BUF_SIZE, mapped);
	EXPECT_EQ(ENOENT, hw_info(self->fd, gdev, NULL, 0, NULL));

	/* A device added to the group meanwhile joins its page table. */
	ASSERT_EQ(0, mock_dev_add_flags(self->fd, IOASID_TEST_MOCK_DEV_GROUP,
					self->mock[0], &late));
	EXPECT_EQ(s0, device_domain(_metadata, self->fd, late, NULL));
	ASSERT_EQ(0, device_bind(self->fd, late, NULL));
	/* With the last attached device, the group is blocked again. */
	ASSERT_EQ(0, destroy(self->fd, self->mock[0]));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, late, NULL));
	ASSERT_EQ(0, device_attach(self->fd, late, self->ioas_id, NULL,
				   false));
	EXPECT_NE(0, device_domain(_metadata, self->fd, late, NULL));
	ASSERT_EQ(0, device_detach(self->fd, late));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, late, NULL));
}

TEST_F(device, owner_is_one_context)
{
	__u32 gmock, dev2, ioas2, id;
	int fd2, nullfd;

	fd2 = open_ioasid();
	ASSERT_LE(0, fd2);
	nullfd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, nullfd);
	ASSERT_EQ(0, mock_dev_add_flags(self->fd, IOASID_TEST_MOCK_DEV_GROUP,
					self->mock[1], &gmock));

	/* This context owns the group of mock[1]: no other may bind it. */
	EXPECT_EQ(EBUSY, device_bind_fd(self->fd, gmock, fd2, &dev2));
	EXPECT_EQ(EBADF, device_bind_fd(self->fd, gmock, -1, &dev2));
	EXPECT_EQ(EBADFD, device_bind_fd(self->fd, gmock, nullfd, &dev2));
	ASSERT_EQ(0, device_unbind(self->fd, self->mock[1]));
	ASSERT_EQ(0, device_bind_fd(self->fd, gmock, fd2, &dev2));
	/* Now the other context owns it. */
	EXPECT_EQ(EBUSY, device_bind(self->fd, self->mock[1], &id));
	EXPECT_EQ(ENOENT, hw_info(self->fd, dev2, NULL, 0, NULL));
	EXPECT_EQ(0, hw_info(fd2, dev2, NULL, 0, NULL));
	/* Its user space cannot destroy the binding. */
	EXPECT_EQ(EPERM, destroy(fd2, dev2));

	/* Page tables of that context, not of this one. */
	ASSERT_EQ(0, ioas_alloc(fd2, &ioas2));
	ASSERT_EQ(0, ioas_map_fixed(fd2, ioas2, self->buf, BUF_SIZE, 0));
	if (ioas2 != self->ioas_id)
		EXPECT_EQ(ENOENT, device_attach(self->fd, gmock,
						self->ioas_id, NULL, false));
	ASSERT_EQ(0, device_attach(self->fd, gmock, ioas2, NULL, false));
	EXPECT_NE(0, device_domain(_metadata, self->fd, gmock, NULL));

	/* The binding keeps the closed context until the owner unbinds. */
	ASSERT_EQ(0, close(fd2));
	EXPECT_NE(0, device_domain(_metadata, self->fd, gmock, NULL));
	ASSERT_EQ(0, device_unbind(self->fd, gmock));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, gmock, NULL));
	ASSERT_EQ(0, device_bind(self->fd, self->mock[1], &id));
	close(nullfd);
}

TEST_F(device, software_msi_window)
{
	const __u64 sw_msi = IOASID_TEST_MOCK_SW_MSI_START;
	const __u64 sw_msi_last = sw_msi + IOASID_TEST_MOCK_SW_MSI_LENGTH - 1;
	struct ioasid_iova_range r[4];
	__u32 mock, dev, other, hwpt, n = 4;

	ASSERT_EQ(0, mock_dev_add_flags(self->fd, IOASID_TEST_MOCK_DEV_SW_MSI,
					0, &mock));
	ASSERT_EQ(0, device_bind(self->fd, mock, &dev));
	ASSERT_EQ(0, device_attach(self->fd, mock, self->ioas_id, NULL,
				   false));
	/* The page table can map MSI doorbells... */
	EXPECT_EQ(IOASID_TEST_DOMAIN_MSI_COOKIE,
		  device_domain_flags(_metadata, self->fd, mock) &
		  IOASID_TEST_DOMAIN_MSI_COOKIE);
	/* ...in a window user space cannot map. */
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas_id, r, &n));
	ASSERT_EQ(3, n);
	EXPECT_EQ(sw_msi - 1, r[0].last);
	EXPECT_EQ(sw_msi_last + 1, r[1].start);
	EXPECT_EQ(EADDRINUSE, ioas_map_fixed(self->fd, self->ioas_id,
					     self->buf, SZ_4K, sw_msi));

	/* Devices without a window get page tables without a cookie. */
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], other, NULL,
				   false));
	EXPECT_EQ(0, device_domain_flags(_metadata, self->fd, self->mock[0]) &
		     IOASID_TEST_DOMAIN_MSI_COOKIE);
	/* A window already mapped keeps the device out. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, other, self->buf, SZ_4K,
				    sw_msi_last & ~0xfffULL));
	EXPECT_EQ(EADDRINUSE, device_attach(self->fd, mock, other, NULL,
					    true));
	EXPECT_EQ(IOASID_TEST_DOMAIN_MSI_COOKIE,
		  device_domain_flags(_metadata, self->fd, mock) &
		  IOASID_TEST_DOMAIN_MSI_COOKIE);

	/* A HWPT user space made gets its cookie when the device comes. */
	ASSERT_EQ(0, hwpt_alloc(self->fd, dev, self->ioas_id, &hwpt));
	ASSERT_EQ(0, device_attach(self->fd, mock, hwpt, NULL, true));
	EXPECT_EQ(IOASID_TEST_DOMAIN_MSI_COOKIE,
		  device_domain_flags(_metadata, self->fd, mock) &
		  IOASID_TEST_DOMAIN_MSI_COOKIE);
	/* The window leaves the IOAS with the device. */
	ASSERT_EQ(0, device_detach(self->fd, mock));
	EXPECT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_4K, sw_msi));
}

/* ---- Object lifetime races, widened by the test driver's delays --------- */

#define DELAY_DIR "/sys/kernel/debug/ioasid/"

/* Make the kernel sleep @us at the points of @mask; 0 turns it off. */
static int set_delay(unsigned int mask, unsigned int us)
{
	char buf[32];
	int rc;

	snprintf(buf, sizeof(buf), "%u", us);
	rc = sysfs_write(DELAY_DIR "delay_us", buf);
	if (rc)
		return rc;
	snprintf(buf, sizeof(buf), "%u", mask);
	return sysfs_write(DELAY_DIR "delay_mask", buf);
}

#define DELAY_US 300000

struct dev_op {
	int fd;
	__u32 mock;
	__u32 pt_id;
	int rc;
};

static void *unbind_thread(void *arg)
{
	struct dev_op *op = arg;

	op->rc = device_unbind(op->fd, op->mock);
	return NULL;
}

static void *detach_thread(void *arg)
{
	struct dev_op *op = arg;

	op->rc = device_detach(op->fd, op->mock);
	return NULL;
}

static void *attach_thread(void *arg)
{
	struct dev_op *op = arg;

	op->rc = device_attach(op->fd, op->mock, op->pt_id, NULL, false);
	return NULL;
}

FIXTURE(lifetime)
{
	int fd;
	__u32 ioas_id;
	__u32 mock[2];
	__u32 dev[2];
	void *buf;
	long pinned_kb;
};

FIXTURE_SETUP(lifetime)
{
	int i;

	self->fd = open_ioasid();
	ASSERT_LE(0, self->fd);
	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	if (access(DELAY_DIR "delay_mask", W_OK))
		SKIP(return, "no " DELAY_DIR " (debugfs not mounted?)");
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->pinned_kb = vm_pinned_kb();
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, 0x100000));
	/* Two devices in IOMMU groups of their own. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mock_dev_add(self->fd, &self->mock[i], NULL));
		ASSERT_EQ(0, device_bind(self->fd, self->mock[i],
					 &self->dev[i]));
	}
}

FIXTURE_TEARDOWN(lifetime)
{
	set_delay(0, 0);
	close(self->fd);
	if (self->buf && self->buf != MAP_FAILED) {
		EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
		munmap(self->buf, BUF_SIZE);
	}
}

/*
 * IOASID_DESTROY of a device id while its owner unbinds it: refused all
 * along, and the lookups of other calls end before the device goes.
 */
TEST_F(lifetime, destroy_racing_unbind)
{
	struct dev_op op = { .fd = self->fd, .mock = self->mock[0] };
	pthread_t thread;
	int rc, hw = 0;

	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   NULL, false));
	ASSERT_EQ(0, set_delay(1 << IOASID_DELAY_UNBIND, DELAY_US));
	ASSERT_EQ(0, pthread_create(&thread, NULL, unbind_thread, &op));
	do {
		rc = destroy(self->fd, self->dev[0]);
		ASSERT_TRUE(rc == EPERM || rc == ENOENT);
		if (!hw_info(self->fd, self->dev[0], NULL, 0, NULL))
			hw++;
	} while (rc != ENOENT);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, op.rc);
	TH_LOG("%d lookups of the device while it was unbinding", hw);
	EXPECT_EQ(ENOENT, hw_info(self->fd, self->dev[0], NULL, 0, NULL));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, self->mock[0], NULL));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

/*
 * The last detach from an IOAS's own HWPT racing an attach of a device of
 * another group to the same IOAS: the attach never picks the HWPT going
 * away (the test driver WARNs when a domain is freed while attached).
 */
TEST_F(lifetime, auto_hwpt_teardown_racing_attach)
{
	struct dev_op op = { .fd = self->fd, .mock = self->mock[0] };
	__u64 serial0, serial1, mapped;
	pthread_t thread;
	__u32 h0, h1;

	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   &h0, false));
	serial0 = device_domain(_metadata, self->fd, self->mock[0], NULL);
	ASSERT_EQ(0, set_delay(1 << IOASID_DELAY_HWPT_LAST_PUT, DELAY_US));
	ASSERT_EQ(0, pthread_create(&thread, NULL, detach_thread, &op));
	usleep(DELAY_US / 3);
	/* While the HWPT of mock[0] is being removed. */
	ASSERT_EQ(0, device_attach(self->fd, self->mock[1], self->ioas_id,
				   &h1, false));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, op.rc);
	set_delay(0, 0);

	EXPECT_NE(h0, h1);
	serial1 = device_domain(_metadata, self->fd, self->mock[1], &mapped);
	EXPECT_NE(0, serial1);
	EXPECT_NE(serial0, serial1);
	EXPECT_EQ(BUF_SIZE, mapped);
	EXPECT_EQ(ENOENT, destroy(self->fd, h0));
	ASSERT_EQ(0, device_detach(self->fd, self->mock[1]));
	EXPECT_EQ(ENOENT, destroy(self->fd, h1));
	EXPECT_EQ(0, destroy(self->fd, self->ioas_id));
}

/*
 * An attach that has looked up an IOAS's own HWPT by id while the HWPT's
 * last attachment goes: the HWPT is removed all the same, never left
 * behind with nothing attached, holding its IOAS.
 */
TEST_F(lifetime, auto_hwpt_lookup_during_last_detach)
{
	struct dev_op op = { .fd = self->fd, .mock = self->mock[1] };
	pthread_t thread;
	__u32 h0;

	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   &h0, false));
	op.pt_id = h0;
	ASSERT_EQ(0, set_delay(1 << IOASID_DELAY_ATTACH_LOOKUP, DELAY_US));
	ASSERT_EQ(0, pthread_create(&thread, NULL, attach_thread, &op));
	usleep(DELAY_US / 3);
	/* Waits for the lookup, which then finds the HWPT going away. */
	ASSERT_EQ(0, device_detach(self->fd, self->mock[0]));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	set_delay(0, 0);
	EXPECT_EQ(ENOENT, op.rc);
	EXPECT_EQ(0, device_domain(_metadata, self->fd, self->mock[1], NULL));
	EXPECT_EQ(ENOENT, destroy(self->fd, h0));
	EXPECT_EQ(0, destroy(self->fd, self->ioas_id));
}

/*
 * A detach gives the device's reserved regions (the MSI window) back to
 * the IOAS only once the device no longer translates through its page
 * table: a MAP into the window succeeds only when the device is blocked.
 */
TEST_F(lifetime, detach_keeps_msi_window_until_blocked)
{
	struct dev_op op = { .fd = self->fd, .mock = self->mock[0] };
	pthread_t thread;
	int rc, tries = 0;

	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   NULL, false));
	EXPECT_EQ(EADDRINUSE, ioas_map_fixed(self->fd, self->ioas_id,
					     self->buf, SZ_4K,
					     IOASID_TEST_MOCK_MSI_START));
	ASSERT_EQ(0, set_delay(1 << IOASID_DELAY_DETACH, DELAY_US));
	ASSERT_EQ(0, pthread_create(&thread, NULL, detach_thread, &op));
	for (;;) {
		/* Read first: the map may succeed right after. */
		__u64 serial = device_domain(_metadata, self->fd,
					     self->mock[0], NULL);

		rc = ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_4K,
				    IOASID_TEST_MOCK_MSI_START);
		if (!rc) {
			EXPECT_EQ(0, serial);
			break;
		}
		ASSERT_EQ(EADDRINUSE, rc);
		tries++;
	}
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, op.rc);
	TH_LOG("%d maps refused while the device was detaching", tries);
	EXPECT_LT(0, tries);
}

struct bind_op {
	int fd;
	__u32 mock;
	pthread_barrier_t *barrier;
	int rc;
};

static void *bind_thread(void *arg)
{
	struct bind_op *op = arg;

	pthread_barrier_wait(op->barrier);
	op->rc = device_bind(op->fd, op->mock, NULL);
	return NULL;
}

/* Two devices of one IOMMU group bound at once both succeed. */
TEST_F(lifetime, concurrent_binds_of_one_group)
{
	pthread_barrier_t barrier;
	int i;

	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, 2));
	for (i = 0; i < 200; i++) {
		struct bind_op op[2] = {
			{ .fd = self->fd, .barrier = &barrier },
			{ .fd = self->fd, .barrier = &barrier },
		};
		pthread_t thread;

		ASSERT_EQ(0, mock_dev_add(self->fd, &op[0].mock, NULL));
		ASSERT_EQ(0, mock_dev_add_flags(self->fd,
						IOASID_TEST_MOCK_DEV_GROUP,
						op[0].mock, &op[1].mock));
		ASSERT_EQ(0, pthread_create(&thread, NULL, bind_thread,
					    &op[1]));
		bind_thread(&op[0]);
		ASSERT_EQ(0, pthread_join(thread, NULL));
		ASSERT_EQ(0, op[0].rc);
		ASSERT_EQ(0, op[1].rc);
		ASSERT_EQ(0, destroy(self->fd, op[1].mock));
		ASSERT_EQ(0, destroy(self->fd, op[0].mock));
	}
	pthread_barrier_destroy(&barrier);
}

/*
 * A device whose IOMMU can make its DMA snoop the CPU caches gets page
 * tables that do so; a page table made for a device that cannot is made
 * to when such a device joins it, which the test IOMMU (like VT-d's second
 * stage) can do only before the page table maps anything.
 */
TEST_F(lifetime, cache_coherency_enforced)
{
	__u32 nc_mock, nc_dev, hwpt, empty;

	ASSERT_EQ(0, device_attach(self->fd, self->mock[0], self->ioas_id,
				   NULL, false));
	EXPECT_TRUE(device_domain_flags(_metadata, self->fd, self->mock[0]) &
		    IOASID_TEST_DOMAIN_ENFORCE_CC);

	ASSERT_EQ(0, mock_dev_add_flags(self->fd,
					IOASID_TEST_MOCK_DEV_NO_ENFORCE_CC, 0,
					&nc_mock));
	ASSERT_EQ(0, device_bind(self->fd, nc_mock, &nc_dev));
	/* Its own page table does not enforce it, and cannot any more. */
	ASSERT_EQ(0, hwpt_alloc(self->fd, nc_dev, self->ioas_id, &hwpt));
	ASSERT_EQ(0, device_attach(self->fd, nc_mock, hwpt, NULL, false));
	EXPECT_FALSE(device_domain_flags(_metadata, self->fd, nc_mock) &
		     IOASID_TEST_DOMAIN_ENFORCE_CC);
	EXPECT_EQ(EINVAL, device_attach(self->fd, self->mock[1], hwpt, NULL,
					false));
	EXPECT_EQ(0, device_domain(_metadata, self->fd, self->mock[1], NULL));
	ASSERT_EQ(0, device_detach(self->fd, nc_mock));
	ASSERT_EQ(0, destroy(self->fd, hwpt));

	/* Before the first map it can, and is then made to. */
	ASSERT_EQ(0, ioas_alloc(self->fd, &empty));
	ASSERT_EQ(0, hwpt_alloc(self->fd, nc_dev, empty, &hwpt));
	ASSERT_EQ(0, device_attach(self->fd, nc_mock, hwpt, NULL, false));
	EXPECT_FALSE(device_domain_flags(_metadata, self->fd, nc_mock) &
		     IOASID_TEST_DOMAIN_ENFORCE_CC);
	ASSERT_EQ(0, device_attach(self->fd, self->mock[1], hwpt, NULL,
				   false));
	EXPECT_TRUE(device_domain_flags(_metadata, self->fd, self->mock[1]) &
		    IOASID_TEST_DOMAIN_ENFORCE_CC);
	EXPECT_TRUE(device_domain_flags(_metadata, self->fd, nc_mock) &
		    IOASID_TEST_DOMAIN_ENFORCE_CC);
	EXPECT_EQ(device_domain(_metadata, self->fd, self->mock[1], NULL),
		  device_domain(_metadata, self->fd, nc_mock, NULL));
	/* It maps like any page table. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, empty, self->buf, BUF_SIZE,
				    0x100000));
}

/* A device in an IOMMU group that no IOMMU translates cannot be bound. */
TEST_F(lifetime, bind_without_iommu)
{
	__u32 mock, dev;

	ASSERT_EQ(0, mock_dev_add_flags(self->fd, IOASID_TEST_MOCK_DEV_NO_IOMMU,
					0, &mock));
	EXPECT_EQ(ENODEV, device_bind(self->fd, mock, &dev));
	EXPECT_EQ(ENODEV, mock_domain_alloc(self->fd, mock, &dev));
	/* No device with an IOMMU joins its group. */
	EXPECT_EQ(EINVAL, mock_dev_add_flags(self->fd,
					     IOASID_TEST_MOCK_DEV_GROUP, mock,
					     &dev));
	EXPECT_EQ(0, destroy(self->fd, mock));
	EXPECT_EQ(EINVAL, mock_dev_add_flags(self->fd,
					     IOASID_TEST_MOCK_DEV_NO_IOMMU |
					     IOASID_TEST_MOCK_DEV_GROUP,
					     self->mock[0], &mock));
}

/* Test-driver inputs the fuzzer found mishandled. */
TEST_F(lifetime, test_driver_refusals)
{
	__u32 domain, access, dev;
	__u64 unmapped;

	/* A mock domain with IOPTEs of its own is not attached to an IOAS. */
	ASSERT_EQ(0, mock_domain_alloc(self->fd, self->mock[0], &domain));
	ASSERT_EQ(0, domain_map(self->fd, domain, 0x40000000, 0x1000, SZ_4K,
				IOASID_TEST_PROT_READ));
	EXPECT_EQ(EBUSY, ioas_attach(self->fd, domain, self->ioas_id));
	ASSERT_EQ(0, domain_unmap(self->fd, domain, 0x40000000, SZ_4K,
				  &unmapped));
	EXPECT_EQ(SZ_4K, unmapped);
	EXPECT_EQ(0, ioas_attach(self->fd, domain, self->ioas_id));
	EXPECT_EQ(0, ioas_detach(self->fd, domain));

	/* Pin ids start at 1. */
	ASSERT_EQ(0, access_create(self->fd, self->ioas_id, 0, &access));
	EXPECT_EQ(ENOENT, access_unpin(self->fd, access, 0));

	/* A mock device cannot hold the file it lives in. */
	ASSERT_EQ(0, device_unbind(self->fd, self->mock[1]));
	EXPECT_EQ(EINVAL, device_bind_fd(self->fd, self->mock[1], self->fd,
					 &dev));
}

/* ---- Accesses as objects that can be re-pointed ------------------------- */

static int access_replace(int fd, __u32 id, __u32 ioas_id)
{
	struct ioasid_test_access_replace cmd = {
		.size = sizeof(cmd),
		.access_id = id,
		.ioas_id = ioas_id,
	};

	return ioctl_err(fd, IOASID_TEST_ACCESS_REPLACE, &cmd);
}

static struct ioasid_test_access_info access_info2(int fd, __u32 id)
{
	struct ioasid_test_access_info cmd = {
		.size = sizeof(cmd),
		.access_id = id,
	};

	if (ioctl_err(fd, IOASID_TEST_ACCESS_INFO, &cmd))
		memset(&cmd, 0, sizeof(cmd));
	return cmd;
}

TEST_F(access, is_an_object_only_its_owner_destroys)
{
	struct ioasid_test_access_info info;

	info = access_info2(self->fd, self->access_id);
	ASSERT_NE(0, info.out_kernel_id);
	EXPECT_NE(self->access_id, info.out_kernel_id);
	EXPECT_EQ(self->ioas_id, info.out_ioas_id);
	EXPECT_EQ(EPERM, destroy(self->fd, info.out_kernel_id));
	/* Its owner (the mock access) takes it along. */
	ASSERT_EQ(0, destroy(self->fd, self->access_id));
	EXPECT_EQ(ENOENT, destroy(self->fd, info.out_kernel_id));
	EXPECT_EQ(0, destroy(self->fd, self->ioas_id));
}

TEST_F(access, replace_moves_to_another_ioas)
{
	unsigned char *buf2, out[SZ_4K];
	struct ioasid_test_access_info info;
	__u32 ioas2, pin;
	__u64 calls;
	__u32 n;

	buf2 = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf2);
	fill_pattern(buf2, BUF_SIZE, 7);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, buf2, BUF_SIZE,
				    ACCESS_IOVA));

	/* Not with pins held. */
	ASSERT_EQ(0, access_pin(self->fd, self->access_id, ACCESS_IOVA,
				SZ_4K, 0, out, &pin));
	EXPECT_EQ(EBUSY, access_replace(self->fd, self->access_id, ioas2));
	ASSERT_EQ(0, access_unpin(self->fd, self->access_id, pin));
	EXPECT_EQ(ENOENT, access_replace(self->fd, self->access_id, 9999));
	EXPECT_EQ(ENOENT, access_replace(self->fd, self->access_id,
					 self->access_id));
	EXPECT_EQ(self->ioas_id,
		  access_info2(self->fd, self->access_id).out_ioas_id);

	ASSERT_EQ(0, access_replace(self->fd, self->access_id, ioas2));
	info = access_info2(self->fd, self->access_id);
	EXPECT_EQ(ioas2, info.out_ioas_id);
	/* Copies now come from the new IOAS's memory. */
	ASSERT_EQ(0, access_rw(self->fd, self->access_id, ACCESS_IOVA,
			       64, 0, out));
	EXPECT_EQ(0, memcmp(out, buf2, 64));
	/* The old IOAS is free, the new one held. */
	EXPECT_EQ(EBUSY, destroy(self->fd, ioas2));
	ASSERT_EQ(0, access_pin(self->fd, self->access_id, ACCESS_IOVA,
				SZ_4K, 0, out, &pin));
	/* Unmaps of the old IOAS no longer call it; of the new one do. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	access_info(_metadata, self->fd, self->access_id, &n, &calls);
	EXPECT_EQ(1, n);
	EXPECT_EQ(0, calls);
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, 0, 0, NULL));
	access_info(_metadata, self->fd, self->access_id, &n, &calls);
	EXPECT_EQ(0, n);
	EXPECT_EQ(1, calls);
	EXPECT_EQ(0, destroy(self->fd, self->ioas_id));
	/* Back to the IOAS it came from is a replace like any other. */
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_EQ(0, access_replace(self->fd, self->access_id,
				    self->ioas_id));
	EXPECT_EQ(0, destroy(self->fd, ioas2));
	munmap(buf2, BUF_SIZE);
}

/* Pins a mirror access makes for a mapping: one per 2 MiB block it spans. */
static __u32 mirror_pins(__u64 iova, __u64 length)
{
	return (iova + length - 1) / SZ_2M - iova / SZ_2M + 1;
}

TEST_F(access, mirror_follows_maps_and_unmaps)
{
	struct ioasid_test_access_info info;
	__u64 unmapped, copy_iova = 0x10000000;
	unsigned char out[SZ_4K];
	__u32 mirror, n;

	/* The fixture's mapping is there at creation: populated. */
	ASSERT_EQ(0, access_create(self->fd, self->ioas_id,
				   IOASID_TEST_ACCESS_MIRROR, &mirror));
	info = access_info2(self->fd, mirror);
	n = mirror_pins(ACCESS_IOVA, BUF_SIZE);
	EXPECT_EQ(n, info.out_nr_pins);
	/* Its pins are the IOAS's pages: nothing is charged again. */
	EXPECT_EQ(self->pinned_kb + BUF_SIZE / 1024, vm_pinned_kb());

	/* A new mapping across a 2 MiB boundary: two more pins. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, 2 * SZ_2M - SZ_4K));
	n += mirror_pins(2 * SZ_2M - SZ_4K, BUF_SIZE);
	EXPECT_EQ(n, access_info2(self->fd, mirror).out_nr_pins);
	/* A copy is reported too. */
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
			       ACCESS_IOVA, BUF_SIZE, &copy_iova, RW_FIXED));
	n += mirror_pins(copy_iova, BUF_SIZE);
	EXPECT_EQ(n, access_info2(self->fd, mirror).out_nr_pins);
	EXPECT_EQ(self->pinned_kb + 2 * BUF_SIZE / 1024, vm_pinned_kb());

	/* The mirror does not stop the owner's own pins and copies. */
	ASSERT_EQ(0, access_rw(self->fd, self->access_id, ACCESS_IOVA, SZ_4K,
			       0, out));
	EXPECT_EQ(0, memcmp(out, self->buf, SZ_4K));

	/* An unmap makes it let go of that mapping only. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 2 * SZ_2M - SZ_4K,
				BUF_SIZE, &unmapped));
	n -= mirror_pins(2 * SZ_2M - SZ_4K, BUF_SIZE);
	info = access_info2(self->fd, mirror);
	EXPECT_EQ(n, info.out_nr_pins);
	EXPECT_EQ(1, info.out_unmap_calls);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ(0, access_info2(self->fd, mirror).out_nr_pins);
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
	ASSERT_EQ(0, destroy(self->fd, mirror));
}

TEST_F(access, mirror_replace_takes_the_new_ioas)
{
	__u32 mirror, ioas2;

	ASSERT_EQ(0, access_create(self->fd, self->ioas_id,
				   IOASID_TEST_ACCESS_MIRROR, &mirror));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, self->buf, SZ_4K,
				    0x40000000));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, self->buf, BUF_SIZE,
				    0x80000000 - SZ_4K));
	ASSERT_EQ(0, access_replace(self->fd, mirror, ioas2));
	/* One pin in the first, two across the 2 MiB boundary. */
	EXPECT_EQ(3, access_info2(self->fd, mirror).out_nr_pins);
	EXPECT_EQ(ioas2, access_info2(self->fd, mirror).out_ioas_id);
	/* The old IOAS is free: the mirror holds nothing there. */
	ASSERT_EQ(0, destroy(self->fd, self->access_id));
	EXPECT_EQ(0, destroy(self->fd, self->ioas_id));
	EXPECT_EQ(EBUSY, destroy(self->fd, ioas2));
	ASSERT_EQ(0, destroy(self->fd, mirror));
	EXPECT_EQ(0, destroy(self->fd, ioas2));
}

/*
 * Thousands of random maps, copies and unmaps with a mirror access: after
 * each, its pins are exactly those the model of the mappings predicts.
 */
TEST_F(access, mirror_against_a_model)
{
	enum { SLOTS = 64 };
	struct { __u64 iova, length; } map[SLOTS] = {};
	__u64 seed = ioasid_env_seed("IOASID_MIRROR_SEED");
	__u64 rng = seed, unmapped, deadline, iova;
	unsigned int ops = 0, i;
	__u32 mirror, expect;

	TH_LOG("seed 0x%llx (replay with IOASID_MIRROR_SEED)",
	       (unsigned long long)seed);
	ASSERT_EQ(0, access_create(self->fd, self->ioas_id,
				   IOASID_TEST_ACCESS_MIRROR, &mirror));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	deadline = ioasid_now_ns() + 10ULL * 1000000000ULL;
	while (ops < 4000 && ioasid_now_ns() < deadline) {
		i = ioasid_rng_below(&rng, SLOTS);
		if (map[i].length) {
			ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id,
						map[i].iova, map[i].length,
						&unmapped));
			ASSERT_EQ(map[i].length, unmapped);
			map[i].length = 0;
		} else {
			/* Slot i owns [i * 8 MiB, (i + 1) * 8 MiB). */
			map[i].length = (1 + ioasid_rng_below(&rng,
							      BUF_SIZE / SZ_4K)) * SZ_4K;
			map[i].iova = 0x40000000ULL + i * 4 * SZ_2M +
				      ioasid_rng_below(&rng, 2 * SZ_2M / SZ_4K) *
				      SZ_4K;
			if (ioasid_rng_below(&rng, 4) || !ops) {
				ASSERT_EQ(0, ioas_map_fixed(self->fd,
							    self->ioas_id,
							    self->buf,
							    map[i].length,
							    map[i].iova));
			} else {
				/* Copy another slot's whole mapping. */
				unsigned int j;

				for (j = 0; j < SLOTS; j++)
					if (j != i && map[j].length)
						break;
				if (j == SLOTS) {
					map[i].length = 0;
					continue;
				}
				map[i].length = map[j].length;
				iova = map[i].iova;
				ASSERT_EQ(0, ioas_copy(self->fd, self->ioas_id,
						       self->ioas_id,
						       map[j].iova,
						       map[i].length, &iova,
						       RW_FIXED));
			}
		}
		expect = 0;
		for (i = 0; i < SLOTS; i++)
			if (map[i].length)
				expect += mirror_pins(map[i].iova,
						      map[i].length);
		ASSERT_EQ(expect, access_info2(self->fd, mirror).out_nr_pins)
			TH_LOG("after %u operations", ops);
		ops++;
	}
	TH_LOG("%u maps, copies and unmaps, pins as the model says", ops);
	EXPECT_LE(100, ops);
	ASSERT_EQ(0, destroy(self->fd, mirror));
}

TEST_F(access, mirror_keeping_pins_makes_unmap_fail)
{
	__u64 unmapped;
	__u32 mirror;

	ASSERT_EQ(0, access_create(self->fd, self->ioas_id,
				   IOASID_TEST_ACCESS_MIRROR |
				   IOASID_TEST_ACCESS_KEEP_PINS, &mirror));
	EXPECT_EQ(mirror_pins(ACCESS_IOVA, BUF_SIZE),
		  access_info2(self->fd, mirror).out_nr_pins);
	EXPECT_EQ(EBUSY, ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
				    BUF_SIZE, &unmapped));
	/* Destroying the access gives them back: then the unmap works. */
	ASSERT_EQ(0, destroy(self->fd, mirror));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
				BUF_SIZE, &unmapped));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

/* ---- The one minimum-size rule ------------------------------------------ */

struct ioctl_size {
	const char *name;
	unsigned long cmd;
	__u32 size;
	/* The struct as this header knows it, when it grew since. */
	__u32 cur_size;
};

#define IOCTL_SIZE(_cmd, _struct) \
	{ #_cmd, _cmd, sizeof(struct _struct), sizeof(struct _struct) }
/* A struct that grew: its first layout ended with @_first_last. */
#define IOCTL_SIZE_GREW(_cmd, _struct, _first_last)                      \
	{ #_cmd, _cmd, offsetofend(struct _struct, _first_last),          \
	  sizeof(struct _struct) }

static const struct ioctl_size ioctl_sizes[] = {
	IOCTL_SIZE(IOASID_DESTROY, ioasid_destroy),
	IOCTL_SIZE(IOASID_GET_INFO, ioasid_info),
	IOCTL_SIZE(IOASID_IOAS_ALLOC, ioasid_ioas_alloc),
	IOCTL_SIZE(IOASID_IOAS_MAP, ioasid_ioas_map),
	IOCTL_SIZE(IOASID_IOAS_UNMAP, ioasid_ioas_unmap),
	IOCTL_SIZE(IOASID_IOAS_IOVA_RANGES, ioasid_ioas_iova_ranges),
	IOCTL_SIZE(IOASID_IOAS_COPY, ioasid_ioas_copy),
	IOCTL_SIZE(IOASID_OPTION, ioasid_option),
	IOCTL_SIZE(IOASID_IOAS_MAP_FILE, ioasid_ioas_map_file),
	IOCTL_SIZE(IOASID_IOAS_ALLOW_IOVAS, ioasid_ioas_allow_iovas),
	IOCTL_SIZE(IOASID_IOAS_RESERVE, ioasid_ioas_reserve),
	/* The first layout ended where data_len begins. */
	IOCTL_SIZE_GREW(IOASID_HWPT_ALLOC, ioasid_hwpt_alloc, data_type),
	IOCTL_SIZE(IOASID_DEVICE_GET_HW_INFO, ioasid_device_get_hw_info),
	IOCTL_SIZE_GREW(IOASID_TEST_MOCK_DEV_ADD, ioasid_test_mock_dev_add,
			__reserved),
	IOCTL_SIZE(IOASID_TEST_MOCK_DOMAIN_ALLOC,
		   ioasid_test_mock_domain_alloc),
	IOCTL_SIZE(IOASID_TEST_DOMAIN_MAP, ioasid_test_domain_map),
	IOCTL_SIZE(IOASID_TEST_DOMAIN_UNMAP, ioasid_test_domain_unmap),
	IOCTL_SIZE(IOASID_TEST_IOPTE_GET, ioasid_test_iopte_get),
	IOCTL_SIZE(IOASID_TEST_DOMAIN_INFO, ioasid_test_domain_info),
	IOCTL_SIZE(IOASID_TEST_CTX_FROM_FD, ioasid_test_ctx_from_fd),
	IOCTL_SIZE(IOASID_TEST_IOAS_ATTACH, ioasid_test_ioas_attach),
	IOCTL_SIZE(IOASID_TEST_IOAS_DETACH, ioasid_test_ioas_detach),
	IOCTL_SIZE(IOASID_TEST_ACCESS_CREATE, ioasid_test_access_create),
	IOCTL_SIZE(IOASID_TEST_ACCESS_PIN, ioasid_test_access_pin),
	IOCTL_SIZE(IOASID_TEST_ACCESS_UNPIN, ioasid_test_access_unpin),
	IOCTL_SIZE(IOASID_TEST_ACCESS_RW, ioasid_test_access_rw),
	IOCTL_SIZE(IOASID_TEST_ACCESS_INFO, ioasid_test_access_info),
	IOCTL_SIZE(IOASID_TEST_DEVICE_BIND, ioasid_test_device_bind),
	IOCTL_SIZE(IOASID_TEST_DEVICE_UNBIND, ioasid_test_device_unbind),
	IOCTL_SIZE_GREW(IOASID_TEST_DEVICE_ATTACH, ioasid_test_device_attach,
			pt_id),
	IOCTL_SIZE_GREW(IOASID_TEST_DEVICE_DETACH, ioasid_test_device_detach,
			__reserved),
	IOCTL_SIZE_GREW(IOASID_TEST_DEVICE_DOMAIN, ioasid_test_device_domain,
			__reserved2),
	IOCTL_SIZE(IOASID_TEST_ACCESS_REPLACE, ioasid_test_access_replace),
	IOCTL_SIZE(IOASID_DEVICE_GET_PASID_INFO, ioasid_device_get_pasid_info),
	IOCTL_SIZE(IOASID_PASID_ALLOC, ioasid_pasid_alloc),
	IOCTL_SIZE(IOASID_PASID_FREE, ioasid_pasid_free),
	IOCTL_SIZE(IOASID_TEST_DEVICE_ALLOW_PASID,
		   ioasid_test_device_allow_pasid),
	IOCTL_SIZE_GREW(IOASID_TEST_MOCK_DMA, ioasid_test_mock_dma, out_done),
	IOCTL_SIZE(IOASID_TEST_KERNEL_PASID, ioasid_test_kernel_pasid),
	IOCTL_SIZE(IOASID_HWPT_INVALIDATE, ioasid_hwpt_invalidate),
	IOCTL_SIZE(IOASID_FAULT_QUEUE_ALLOC, ioasid_fault_queue_alloc),
	IOCTL_SIZE(IOASID_FAULT_QUEUE_RESPOND, ioasid_fault_queue_respond),
	IOCTL_SIZE(IOASID_TEST_IOPF_INJECT, ioasid_test_iopf_inject),
	IOCTL_SIZE(IOASID_TEST_IOPF_STATS, ioasid_test_iopf_stats),
};

/*
 * Every ioctl refuses every size below its whole first published struct
 * with EINVAL, and checks the bytes past it; every struct is padded to 8
 * bytes.  A struct that grew still takes its first size.
 */
TEST(min_size_every_ioctl)
{
	__u64 buf[64] = {};
	unsigned int i;
	__u32 size;
	int fd;

	fd = open_ioasid();
	ASSERT_LE(0, fd);
	if (!have_test_driver(fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	for (i = 0; i < ARRAY_SIZE(ioctl_sizes); i++) {
		const struct ioctl_size *op = &ioctl_sizes[i];

		EXPECT_EQ(0, op->size % 8) TH_LOG("%s", op->name);
		EXPECT_EQ(0, op->cur_size % 8) TH_LOG("%s", op->name);
		ASSERT_GE(sizeof(buf) - 8, op->cur_size);
		for (size = 0; size < op->size; size++) {
			memset(buf, 0, sizeof(buf));
			memcpy(buf, &size, sizeof(size));
			EXPECT_EQ(EINVAL, ioctl_err(fd, op->cmd, buf))
				TH_LOG("%s: size %u", op->name, size);
		}
		/*
		 * The whole struct, and more with a non-zero tail: that is
		 * refused for the tail (E2BIG), so the size check passed.
		 */
		memset(buf, 0, sizeof(buf));
		size = op->cur_size + 8;
		memcpy(buf, &size, sizeof(size));
		((__u8 *)buf)[op->cur_size + 7] = 1;
		EXPECT_EQ(E2BIG, ioctl_err(fd, op->cmd, buf))
			TH_LOG("%s", op->name);
		/*
		 * A caller built against the first layout of a struct that
		 * grew passes the size check (zero ids: ENOENT, or a mock
		 * device that the close removes).
		 */
		if (op->cur_size == op->size)
			continue;
		memset(buf, 0, sizeof(buf));
		size = op->size;
		memcpy(buf, &size, sizeof(size));
		/* The DMA checks its length before the device: one byte. */
		if (op->cmd == IOASID_TEST_MOCK_DMA)
			((struct ioasid_test_mock_dma *)buf)->length = 1;
		EXPECT_NE(EINVAL, ioctl_err(fd, op->cmd, buf))
			TH_LOG("%s: first layout", op->name);
	}
	close(fd);
}

/* ---- Hardening: protections, seals, replies, long loops, IOVAs --------- */

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <linux/userfaultfd.h>

#define HD_PROT_R	(IOASID_TEST_PROT_READ | IOASID_TEST_PROT_CACHE)
#define HD_PROT_W	(IOASID_TEST_PROT_WRITE | IOASID_TEST_PROT_CACHE)
#define HD_PROT_RW	(RW | IOASID_TEST_PROT_CACHE)

static __u64 hd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static __u32 hd_prot(struct __test_metadata *_metadata, int fd,
		     __u32 domain_id, __u64 iova)
{
	struct ioasid_test_iopte_get pte;

	EXPECT_EQ(0, iopte_get(fd, domain_id, iova, &pte));
	return pte.out_prot;
}

/*
 * Every mapping reaches the IOMMU cache coherent, with the permissions
 * asked for: MAP, COPY, MAP_FILE, and the fill of a domain attached later.
 */
TEST_F(ioas, hd_mappings_are_cache_coherent)
{
	__u64 r = 0, w = 0, rw = 0, c = 0, cw = 0, f = 0;
	__u32 dev_id, d1, d2, d3;
	__u32 d[2];
	int mfd, i;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &d1));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &d2));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &d3));
	ASSERT_EQ(0, ioas_attach(self->fd, d1, self->ioas_id));

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, 4 * SZ_4K,
			      &r, IOASID_IOAS_MAP_READ));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, 4 * SZ_4K,
			      &w, IOASID_IOAS_MAP_WRITE));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, 4 * SZ_4K,
			      &rw, IOASID_IOAS_MAP_READ |
			      IOASID_IOAS_MAP_WRITE));
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas_id, self->ioas_id, rw,
			       4 * SZ_4K, &c, IOASID_IOAS_MAP_READ));
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas_id, self->ioas_id, rw,
			       4 * SZ_4K, &cw, IOASID_IOAS_MAP_WRITE));
	mfd = memfd_create("ioasid", 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 4 * SZ_4K));
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, mfd, 0, 4 * SZ_4K,
				   &f, IOASID_IOAS_MAP_READ |
				   IOASID_IOAS_MAP_WRITE));

	/* d1 was mapped to as it went, d2 is filled from the pins. */
	ASSERT_EQ(0, ioas_attach(self->fd, d2, self->ioas_id));
	d[0] = d1;
	d[1] = d2;
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(HD_PROT_R, hd_prot(_metadata, self->fd, d[i], r));
		EXPECT_EQ(HD_PROT_W, hd_prot(_metadata, self->fd, d[i], w));
		EXPECT_EQ(HD_PROT_RW, hd_prot(_metadata, self->fd, d[i],
					      rw + 3 * SZ_4K));
		EXPECT_EQ(HD_PROT_R, hd_prot(_metadata, self->fd, d[i], c));
		EXPECT_EQ(HD_PROT_W, hd_prot(_metadata, self->fd, d[i], cw));
		EXPECT_EQ(HD_PROT_RW, hd_prot(_metadata, self->fd, d[i], f));
	}

	/* The test ioctl records what it is asked, the cache bit too. */
	ASSERT_EQ(0, domain_map(self->fd, d3, 0, SZ_2M, SZ_4K,
				HD_PROT_R));
	ASSERT_EQ(0, domain_map(self->fd, d3, SZ_4K, SZ_2M, SZ_4K,
				IOASID_TEST_PROT_READ));
	EXPECT_EQ(HD_PROT_R, hd_prot(_metadata, self->fd, d3, 0));
	EXPECT_EQ(IOASID_TEST_PROT_READ, hd_prot(_metadata, self->fd, d3,
						 SZ_4K));
	EXPECT_EQ(EOPNOTSUPP, domain_map(self->fd, d3, SZ_2M, SZ_2M, SZ_4K,
					 1U << 3));
	close(mfd);
}

static int hd_reopen(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags);
}

/* Devices read only what the descriptor could read: EBADF otherwise. */
TEST_F(ioas, hd_map_file_needs_read_access)
{
	__u64 iova = 0;
	int mfd, wo;

	mfd = memfd_create("ioasid", 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, SZ_4K));
	wo = hd_reopen(mfd, O_WRONLY);
	ASSERT_LE(0, wo);
	EXPECT_EQ(EBADF, ioas_map_file(self->fd, self->ioas_id, wo, 0, SZ_4K,
				       &iova, IOASID_IOAS_MAP_READ));
	EXPECT_EQ(EBADF, ioas_map_file(self->fd, self->ioas_id, wo, 0, SZ_4K,
				       &iova, IOASID_IOAS_MAP_WRITE));
	EXPECT_EQ(EBADF, ioas_map_file(self->fd, self->ioas_id, wo, 0, SZ_4K,
				       &iova, IOASID_IOAS_MAP_READ |
				       IOASID_IOAS_MAP_WRITE));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
	/* The same file through a readable descriptor maps. */
	EXPECT_EQ(0, ioas_map_file(self->fd, self->ioas_id, mfd, 0, SZ_4K,
				   &iova, IOASID_IOAS_MAP_WRITE));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	close(wo);
	close(mfd);
}

/*
 * A writable file mapping counts as a shared writable mapping: the memfd
 * cannot be write-sealed until it is unmapped, and a sealed memfd can be
 * mapped for reading only.
 */
TEST_F(ioas, hd_map_file_write_seals)
{
	char page[SZ_4K];
	__u64 iova = 0x100000, unmapped;
	int mfd, seals;

	memset(page, 0x3c, sizeof(page));
	mfd = memfd_create("ioasid", MFD_ALLOW_SEALING);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 16 * SZ_4K));
	ASSERT_EQ(SZ_4K, pwrite(mfd, page, SZ_4K, 0));

	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, mfd, 0,
				   16 * SZ_4K, &iova, RW_FIXED));
	EXPECT_EQ(-1, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(EBUSY, errno);
	seals = fcntl(mfd, F_GET_SEALS);
	EXPECT_EQ(0, seals & F_SEAL_WRITE);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0x100000, 16 * SZ_4K,
				&unmapped));
	EXPECT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));

	/* Sealed: read-only mappings only. */
	iova = 0;
	EXPECT_EQ(EPERM, ioas_map_file(self->fd, self->ioas_id, mfd, 0, SZ_4K,
				       &iova, IOASID_IOAS_MAP_WRITE));
	EXPECT_EQ(EPERM, ioas_map_file(self->fd, self->ioas_id, mfd, 0, SZ_4K,
				       &iova, IOASID_IOAS_MAP_READ |
				       IOASID_IOAS_MAP_WRITE));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
	EXPECT_EQ(0, ioas_map_file(self->fd, self->ioas_id, mfd, 0, SZ_4K,
				   &iova, IOASID_IOAS_MAP_READ));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	close(mfd);

	/* A future-write seal refuses new writable mappings too. */
	mfd = memfd_create("ioasid", MFD_ALLOW_SEALING);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, SZ_4K));
	ASSERT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	iova = 0;
	EXPECT_EQ(EPERM, ioas_map_file(self->fd, self->ioas_id, mfd, 0, SZ_4K,
				       &iova, IOASID_IOAS_MAP_WRITE));
	EXPECT_EQ(0, ioas_map_file(self->fd, self->ioas_id, mfd, 0, SZ_4K,
				   &iova, IOASID_IOAS_MAP_READ));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	close(mfd);
}

struct hd_sealer {
	int mfd;
	unsigned int delay_us;
	int rc;
};

static void *hd_sealer(void *arg)
{
	struct hd_sealer *s = arg;

	usleep(s->delay_us);
	s->rc = fcntl(s->mfd, F_ADD_SEALS, F_SEAL_WRITE) ? errno : 0;
	return NULL;
}

/*
 * A write seal racing with a writable map of a hugetlbfs memfd, whose
 * missing pages the map allocates first, which takes a while: either the
 * seal wins and the map is refused, or the map wins and the seal is
 * refused, never both.
 */
TEST_F_TIMEOUT(ioas, hd_map_file_seal_race, 300)
{
	static const unsigned int delays[] = {
		0, 500, 1000, 2000, 5000, 10000, 20000, 50000,
	};
	unsigned int i, both = 0;

	for (i = 0; i < ARRAY_SIZE(delays); i++) {
		struct hd_sealer s = { .delay_us = delays[i] };
		pthread_t thread;
		__u64 iova = 0;
		int rc;

		s.mfd = memfd_create("ioasid", MFD_HUGETLB | MFD_ALLOW_SEALING);
		if (s.mfd < 0)
			SKIP(return, "no hugetlbfs memfd");
		ASSERT_EQ(0, ftruncate(s.mfd, 4 * SZ_2M));
		ASSERT_EQ(0, pthread_create(&thread, NULL, hd_sealer, &s));
		rc = ioas_map_file(self->fd, self->ioas_id, s.mfd, 0,
				   4 * SZ_2M, &iova, IOASID_IOAS_MAP_READ |
				   IOASID_IOAS_MAP_WRITE);
		ASSERT_EQ(0, pthread_join(thread, NULL));
		TH_LOG("delay %u us: map %d, seal %d", delays[i], rc, s.rc);
		if (rc == ENOMEM) {
			close(s.mfd);
			SKIP(return, "not enough huge pages");
		}
		EXPECT_TRUE(rc == 0 || rc == EPERM);
		EXPECT_TRUE(s.rc == 0 || s.rc == EBUSY);
		if (!rc && !s.rc)
			both++;
		if (!rc)
			ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0,
						NULL));
		close(s.mfd);
	}
	/* A device-writable pin on a write-sealed memfd. */
	EXPECT_EQ(0, both);
}

/* ---- Replies written without locks ---- */

struct hd_uffd {
	int uffd;
	char *page;
};

/* A page whose writes block in userfaultfd until hd_uffd_release(). */
static int hd_uffd_setup(struct hd_uffd *u)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };

	u->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u->uffd < 0)
		return -errno;
	if (ioctl(u->uffd, UFFDIO_API, &api))
		return -errno;
	u->page = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->page == MAP_FAILED)
		return -errno;
	memset(u->page, 0, SZ_4K);
	reg.range.start = (uintptr_t)u->page;
	reg.range.len = SZ_4K;
	if (ioctl(u->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

static int hd_uffd_protect(struct hd_uffd *u, bool wp)
{
	struct uffdio_writeprotect w = {
		.range = { .start = (uintptr_t)u->page, .len = SZ_4K },
		.mode = wp ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(u->uffd, UFFDIO_WRITEPROTECT, &w) ? -errno : 0;
}

/* Wait for a thread to block writing the page. */
static bool hd_uffd_wait_fault(struct hd_uffd *u, int timeout_ms)
{
	struct pollfd pfd = { .fd = u->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return false;
	if (read(u->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return false;
	return msg.event == UFFD_EVENT_PAGEFAULT &&
	       (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP);
}

struct hd_call {
	int fd;
	unsigned long request;
	void *arg;
	int rc;
};

static void *hd_call(void *arg)
{
	struct hd_call *c = arg;

	c->rc = ioctl_err(c->fd, c->request, c->arg);
	return NULL;
}

struct hd_other {
	int fd;
	__u32 ioas_id;
	void *buf;
	int (*fn)(struct hd_other *o);
	int rc;
	__u64 value;
	volatile int done;
};

static void *hd_other_run(void *arg)
{
	struct hd_other *o = arg;

	o->rc = o->fn(o);
	o->done = 1;
	return NULL;
}

/* Wait up to @ms for @o to finish. */
static bool hd_other_wait(struct hd_other *o, int ms)
{
	__u64 end = hd_now_ms() + ms;

	while (!o->done && hd_now_ms() < end)
		usleep(10000);
	return o->done;
}

/* Map, list the windows, unmap: everything else an IOAS user does. */
static int hd_other_uses_ioas(struct hd_other *o)
{
	struct ioasid_iova_range r[8];
	__u64 iova = 0, unmapped;
	__u32 n = 8;
	int rc;

	rc = ioas_map(o->fd, o->ioas_id, o->buf, 2 * SZ_4K, &iova,
		      IOASID_IOAS_MAP_READ);
	if (rc)
		return rc;
	rc = ioas_ranges(o->fd, o->ioas_id, r, &n);
	if (rc)
		return rc;
	rc = ioas_unmap(o->fd, o->ioas_id, iova, 2 * SZ_4K, &unmapped);
	if (rc)
		return rc;
	return unmapped == 2 * SZ_4K ? 0 : EIO;
}

/*
 * A reply whose page faults into userfaultfd blocks the caller, not the
 * IOAS: others map, query and unmap meanwhile.
 */
TEST_F_TIMEOUT(ioas, hd_reply_fault_blocks_no_one_else, 300)
{
	enum { OP_MAP, OP_COPY, OP_RESERVE, OP_UNMAP, NR_OPS };
	static const char * const names[] = { "map", "copy", "reserve",
					      "unmap" };
	int op;

	for (op = 0; op < NR_OPS; op++) {
		struct hd_other o = { .fd = self->fd, .buf = self->buf,
				      .fn = hd_other_uses_ioas };
		struct hd_call c = { .fd = self->fd };
		struct hd_uffd u;
		pthread_t tc, to;
		bool blocked, others_done;
		__u32 ioas;
		int rc;

		rc = hd_uffd_setup(&u);
		if (rc)
			SKIP(return, "userfaultfd: %s", strerror(-rc));
		ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
		o.ioas_id = ioas;
		if (op == OP_COPY || op == OP_UNMAP)
			ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas, self->buf,
						    4 * SZ_4K, 0x100000));
		switch (op) {
		case OP_MAP:
			*(struct ioasid_ioas_map *)u.page =
				(struct ioasid_ioas_map) {
				.size = sizeof(struct ioasid_ioas_map),
				.flags = IOASID_IOAS_MAP_READ,
				.ioas_id = ioas,
				.user_va = (uintptr_t)self->buf,
				.length = 4 * SZ_4K,
				.iova = ~0ULL,
			};
			c.request = IOASID_IOAS_MAP;
			break;
		case OP_COPY:
			*(struct ioasid_ioas_copy *)u.page =
				(struct ioasid_ioas_copy) {
				.size = sizeof(struct ioasid_ioas_copy),
				.flags = IOASID_IOAS_MAP_READ,
				.dst_ioas_id = ioas,
				.src_ioas_id = ioas,
				.src_iova = 0x100000,
				.length = 4 * SZ_4K,
				.dst_iova = ~0ULL,
			};
			c.request = IOASID_IOAS_COPY;
			break;
		case OP_RESERVE:
			*(struct ioasid_ioas_reserve *)u.page =
				(struct ioasid_ioas_reserve) {
				.size = sizeof(struct ioasid_ioas_reserve),
				.ioas_id = ioas,
				.length = SZ_1G,
				.out_iova = ~0ULL,
			};
			c.request = IOASID_IOAS_RESERVE;
			break;
		case OP_UNMAP:
			*(struct ioasid_ioas_unmap *)u.page =
				(struct ioasid_ioas_unmap) {
				.size = sizeof(struct ioasid_ioas_unmap),
				.ioas_id = ioas,
				.iova = 0x100000,
				.length = 4 * SZ_4K,
			};
			c.request = IOASID_IOAS_UNMAP;
			break;
		}
		c.arg = u.page;
		ASSERT_EQ(0, hd_uffd_protect(&u, true));
		ASSERT_EQ(0, pthread_create(&tc, NULL, hd_call, &c));
		blocked = hd_uffd_wait_fault(&u, 30000);
		ASSERT_EQ(0, pthread_create(&to, NULL, hd_other_run, &o));
		others_done = hd_other_wait(&o, 10000);
		/* Let the reply through, whatever happened. */
		ASSERT_EQ(0, hd_uffd_protect(&u, false));
		ASSERT_EQ(0, pthread_join(tc, NULL));
		ASSERT_EQ(0, pthread_join(to, NULL));
		TH_LOG("%s: reply blocked %d, others done meanwhile %d",
		       names[op], blocked, others_done);
		EXPECT_TRUE(blocked);
		EXPECT_TRUE(others_done);
		EXPECT_EQ(0, o.rc);
		EXPECT_EQ(0, c.rc);
		switch (op) {
		case OP_MAP:
			EXPECT_NE(~0ULL, ((struct ioasid_ioas_map *)u.page)->iova);
			break;
		case OP_COPY:
			EXPECT_NE(~0ULL,
				  ((struct ioasid_ioas_copy *)u.page)->dst_iova);
			break;
		case OP_RESERVE:
			EXPECT_NE(~0ULL,
				  ((struct ioasid_ioas_reserve *)u.page)->out_iova);
			break;
		case OP_UNMAP:
			EXPECT_EQ(4 * SZ_4K,
				  ((struct ioasid_ioas_unmap *)u.page)->out_unmapped);
			break;
		}
		EXPECT_EQ(0, ioas_unmap(self->fd, ioas, 0, 0, NULL));
		EXPECT_EQ(0, destroy(self->fd, ioas));
		close(u.uffd);
		munmap(u.page, SZ_4K);
	}
}

static int hd_other_unmap_all_and_map(struct hd_other *o)
{
	__u64 unmapped = 0, iova = 0;
	int rc;

	rc = ioas_unmap(o->fd, o->ioas_id, 0, 0, &unmapped);
	if (rc)
		return rc;
	/* What the blocked call mapped, removed by this unmap. */
	if (unmapped != 8 * SZ_4K)
		return EIO;
	rc = ioas_map(o->fd, o->ioas_id, o->buf, 8 * SZ_4K, &iova,
		      IOASID_IOAS_MAP_READ);
	o->value = iova;
	return rc;
}

/*
 * A map whose reply cannot be written is undone, but only the mapping it
 * made: here a concurrent unmap removed that already, and another map
 * took its IOVA, which stays.
 */
TEST_F_TIMEOUT(ioas, hd_reply_fault_undoes_only_its_own_map, 300)
{
	struct hd_other o = { .fd = self->fd, .ioas_id = self->ioas_id,
			      .buf = self->buf,
			      .fn = hd_other_unmap_all_and_map };
	struct hd_call c = { .fd = self->fd, .request = IOASID_IOAS_MAP };
	struct ioasid_ioas_map *cmd;
	__u64 first = 0, unmapped;
	bool blocked, others_done;
	struct hd_uffd u;
	pthread_t tc, to;
	int rc;

	rc = hd_uffd_setup(&u);
	if (rc)
		SKIP(return, "userfaultfd: %s", strerror(-rc));
	/* The IOVA a map of this buffer gets in the empty IOAS. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, 8 * SZ_4K,
			      &first, IOASID_IOAS_MAP_READ));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));

	cmd = (struct ioasid_ioas_map *)u.page;
	*cmd = (struct ioasid_ioas_map) {
		.size = sizeof(*cmd),
		.flags = IOASID_IOAS_MAP_READ,
		.ioas_id = self->ioas_id,
		.user_va = (uintptr_t)self->buf,
		.length = 8 * SZ_4K,
	};
	c.arg = cmd;
	ASSERT_EQ(0, hd_uffd_protect(&u, true));
	ASSERT_EQ(0, pthread_create(&tc, NULL, hd_call, &c));
	blocked = hd_uffd_wait_fault(&u, 30000);
	ASSERT_EQ(0, pthread_create(&to, NULL, hd_other_run, &o));
	others_done = hd_other_wait(&o, 10000);
	if (others_done) {
		/* Make the reply fail: the page is gone when it retries. */
		ASSERT_EQ(0, munmap(u.page, SZ_4K));
		close(u.uffd);
	} else {
		ASSERT_EQ(0, hd_uffd_protect(&u, false));
	}
	ASSERT_EQ(0, pthread_join(tc, NULL));
	ASSERT_EQ(0, pthread_join(to, NULL));
	ASSERT_TRUE(blocked);
	ASSERT_TRUE(others_done);
	EXPECT_EQ(EFAULT, c.rc);
	ASSERT_EQ(0, o.rc);
	EXPECT_EQ(first, o.value);
	/* The other map is intact, and the only one left. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ(8 * SZ_4K, unmapped);
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

/* ---- Long loops ---- */

struct hd_ticker {
	volatile int stop;
	__u64 max_gap_ms;
};

static void hd_pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * On the CPU of the thread that calls into the kernel, measure the longest
 * time it could not run: with a non-preemptible kernel that is how long
 * the kernel went without rescheduling.
 */
static void *hd_ticker(void *arg)
{
	struct hd_ticker *t = arg;
	__u64 last, now;

	hd_pin_cpu0();
	last = hd_now_ms();
	while (!t->stop) {
		usleep(1000);
		now = hd_now_ms();
		if (now - last > t->max_gap_ms)
			t->max_gap_ms = now - last;
		last = now;
	}
	return NULL;
}

static long hd_mem_available_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * Whether a call of @dur_ms let the ticker run: a kernel that never
 * rescheduled stalls it for the whole call.  Judged against the call's own
 * duration, not an absolute time, so that a slow or loaded machine (whose
 * host may stop the whole guest for a while) does not fail it; a stall of
 * up to a second is always allowed.
 */
static bool hd_stall_ok(__u64 gap_ms, __u64 dur_ms)
{
	return gap_ms <= 1000 || gap_ms <= dur_ms / 2;
}

/*
 * One large mapping of scattered 4 KiB pages: pinning it, mapping it into
 * a domain, filling a second domain, unmapping it and closing never keep
 * the CPU for long.
 */
TEST_F_TIMEOUT(ioas, hd_large_fragmented_mapping, 1200)
{
	struct hd_ticker t = {};
	struct ioasid_test_domain_info info;
	__u64 size = SZ_1G, iova = 0, unmapped, t0, dur;
	__u32 dev_id, d1, d2, ioas;
	pthread_t ticker;
	long avail;
	char *va, *p;
	int fd;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	avail = hd_mem_available_kb();
	if (avail >= 0 && avail < (long)(5 * SZ_1G / 4 / 1024))
		size = SZ_1G / 2;
	TH_LOG("%llu MiB of scattered pages (%ld MiB available)",
	       size >> 20, avail >> 10);
	va = mmap(NULL, size, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, va);
	madvise(va, size, MADV_NOHUGEPAGE);
	/* Backwards: neighbouring pages are not physically contiguous. */
	for (p = va + size - SZ_4K; p >= va; p -= SZ_4K)
		*p = 1;

	fd = open_ioasid();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, mock_dev_add(fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(fd, dev_id, &d1));
	ASSERT_EQ(0, mock_domain_alloc(fd, dev_id, &d2));
	ASSERT_EQ(0, ioas_attach(fd, d1, ioas));

	hd_pin_cpu0();
	ASSERT_EQ(0, pthread_create(&ticker, NULL, hd_ticker, &t));
	usleep(20000);

	t0 = hd_now_ms();
	t.max_gap_ms = 0;
	ASSERT_EQ(0, ioas_map(fd, ioas, va, size, &iova,
			      IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE));
	dur = hd_now_ms() - t0;
	TH_LOG("map: %llu ms, longest stall %llu ms", dur, t.max_gap_ms);
	EXPECT_TRUE(hd_stall_ok(t.max_gap_ms, dur));
	ASSERT_EQ(0, domain_info(fd, d1, &info));
	EXPECT_EQ(size, info.out_mapped_bytes);
	TH_LOG("%llu IOPTEs", info.out_nr_ioptes);
	EXPECT_LT(size / SZ_4K / 2, info.out_nr_ioptes);

	t0 = hd_now_ms();
	t.max_gap_ms = 0;
	ASSERT_EQ(0, ioas_attach(fd, d2, ioas));
	dur = hd_now_ms() - t0;
	TH_LOG("fill: %llu ms, longest stall %llu ms", dur, t.max_gap_ms);
	EXPECT_TRUE(hd_stall_ok(t.max_gap_ms, dur));

	t0 = hd_now_ms();
	t.max_gap_ms = 0;
	ASSERT_EQ(0, ioas_unmap(fd, ioas, iova, size, &unmapped));
	dur = hd_now_ms() - t0;
	TH_LOG("unmap: %llu ms, longest stall %llu ms", dur, t.max_gap_ms);
	EXPECT_TRUE(hd_stall_ok(t.max_gap_ms, dur));
	EXPECT_EQ(size, unmapped);

	/* And once more, for the close to tear down. */
	ASSERT_EQ(0, ioas_map(fd, ioas, va, size, &iova,
			      IOASID_IOAS_MAP_READ));
	t0 = hd_now_ms();
	t.max_gap_ms = 0;
	ASSERT_EQ(0, close(fd));
	dur = hd_now_ms() - t0;
	TH_LOG("close: %llu ms, longest stall %llu ms", dur, t.max_gap_ms);
	EXPECT_TRUE(hd_stall_ok(t.max_gap_ms, dur));

	t.stop = 1;
	ASSERT_EQ(0, pthread_join(ticker, NULL));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
	munmap(va, size);
}

/* Wait up to @ms for @pid to die; true if it did. */
/*
 * Wait for a killed child.  @ms only keeps a kernel that never lets go from
 * hanging the run: it is not a measure of speed, which the tests leave to
 * the log.
 */
static bool hd_reap(pid_t pid, int ms, int *status)
{
	__u64 end = hd_now_ms() + ms;

	do {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		usleep(10000);
	} while (hd_now_ms() < end);
	return false;
}

#ifndef HD_SKIP_UNBOUNDED
/*
 * The test driver's map ioctl is bounded (ENOSPC past 2^19 IOPTEs, nothing
 * left mapped) and stops on a fatal signal, undoing what it mapped.
 */
TEST_F_TIMEOUT(mock_domain, hd_domain_map_bounded_and_killable, 600)
{
	struct ioasid_test_domain_info info;
	__u64 t0, killed_ms;
	int status;
	pid_t pid;

	/* Only 4 KiB IOPTEs fit a 4 KiB-aligned IOVA. */
	EXPECT_EQ(ENOSPC, domain_map(self->fd, self->domain_id, SZ_4K,
				     2 * SZ_4K, SZ_1G * 1024ULL,
				     IOASID_TEST_PROT_READ));
	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(0, info.out_nr_ioptes);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		domain_map(self->fd, self->domain_id, SZ_4K, 2 * SZ_4K,
			   SZ_1G * 1024ULL, IOASID_TEST_PROT_READ);
		_exit(0);
	}
	usleep(300000);
	t0 = hd_now_ms();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_TRUE(hd_reap(pid, 120000, &status));
	killed_ms = hd_now_ms() - t0;
	TH_LOG("the child died %llu ms after SIGKILL", killed_ms);
	EXPECT_TRUE(WIFSIGNALED(status))
		TH_LOG("the child exited with %d", WEXITSTATUS(status));
	ASSERT_EQ(0, domain_info(self->fd, self->domain_id, &info));
	EXPECT_EQ(0, info.out_nr_ioptes);
}
#endif

/*
 * A map of a huge range is killed while it pins: the process dies without
 * waiting for the map to finish, and nothing stays pinned (a write seal needs the memfd free of pins).
 */
TEST_F_TIMEOUT(ioas, hd_huge_map_is_killable, 600)
{
	const __u64 chunk = SZ_2M, nr = 2048;
	__u64 t0, killed_ms, unmapped;
	int status, mfd, ready[2];
	pid_t pid;
	char c;

	mfd = memfd_create("ioasid", MFD_ALLOW_SEALING);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, chunk));
	ASSERT_EQ(0, fallocate(mfd, 0, 0, chunk));
	ASSERT_EQ(0, pipe(ready));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u64 iova = 0, i;
		char *va;

		/* The same 2 MiB, over and over: 4 GiB of pages to pin. */
		va = mmap(NULL, chunk * nr, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (va == MAP_FAILED)
			_exit(1);
		for (i = 0; i < nr; i++)
			if (mmap(va + i * chunk, chunk, PROT_READ,
				 MAP_SHARED | MAP_FIXED | MAP_POPULATE, mfd,
				 0) == MAP_FAILED)
				_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		i = ioas_map(self->fd, self->ioas_id, va, chunk * nr, &iova,
			     IOASID_IOAS_MAP_READ);
		_exit(i ? 10 + i : 0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	usleep(500000);
	t0 = hd_now_ms();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_TRUE(hd_reap(pid, 120000, &status));
	killed_ms = hd_now_ms() - t0;
	TH_LOG("the child died %llu ms after SIGKILL", killed_ms);
	/* 0: the map ended before the signal; 10 + errno: it failed. */
	EXPECT_TRUE(WIFSIGNALED(status))
		TH_LOG("the child exited with %d", WEXITSTATUS(status));
	/* Nothing was mapped, nothing stays pinned. */
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ(0, unmapped);
	EXPECT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE))
		TH_LOG("F_SEAL_WRITE: %s", strerror(errno));
	close(ready[0]);
	close(ready[1]);
	close(mfd);
}

/* ---- Unmap and accesses ---- */

struct hd_unmap_race {
	int fd;
	__u32 ioas_id;
	__u32 access_id;
	void *buf;
	__u64 other_first, other_last;
	volatile int stop;
	int unmap_busy, unmap_errors, kept_unmaps;
};

static void *hd_race_pinner(void *arg)
{
	struct hd_unmap_race *r = arg;
	__u32 pin;

	while (!r->stop) {
		if (!access_pin(r->fd, r->access_id, ACCESS_IOVA, SZ_4K, 0,
				NULL, &pin))
			access_unpin(r->fd, r->access_id, pin);
	}
	return NULL;
}

/* Unmaps that fail: an access keeps its pins in their range. */
static void *hd_race_failing_unmapper(void *arg)
{
	struct hd_unmap_race *r = arg;

	while (!r->stop) {
		if (ioas_unmap(r->fd, r->ioas_id, r->other_first,
			       r->other_last - r->other_first + 1, NULL) ==
		    EBUSY)
			r->kept_unmaps++;
	}
	return NULL;
}

/*
 * An unmap whose access lets go always succeeds, however often the access
 * pins again, and however many other unmaps fail meanwhile on the same
 * mapping: a failing unmap clears only the marks it set.
 */
TEST_F_TIMEOUT(access, hd_unmap_not_starved, 600)
{
	struct hd_unmap_race r = {
		.fd = self->fd,
		.ioas_id = self->ioas_id,
		.access_id = self->access_id,
		.buf = self->buf,
	};
	pthread_t pinner, failer;
	__u32 keeper, kpin;
	int i, rc;

	/* A mapping held by an access that never lets go. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_4K, 0x10000000));
	ASSERT_EQ(0, access_create(self->fd, self->ioas_id,
				   IOASID_TEST_ACCESS_KEEP_PINS, &keeper));
	ASSERT_EQ(0, access_pin(self->fd, keeper, 0x10000000, SZ_4K, 0, NULL,
				&kpin));
	/* The failing unmaps cover it and the mapping at ACCESS_IOVA. */
	r.other_first = ACCESS_IOVA;
	r.other_last = 0x10000000 + SZ_4K - 1;

	ASSERT_EQ(0, pthread_create(&pinner, NULL, hd_race_pinner, &r));
	ASSERT_EQ(0, pthread_create(&failer, NULL, hd_race_failing_unmapper,
				    &r));
	for (i = 0; i < 300; i++) {
		rc = ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA, BUF_SIZE,
				NULL);
		if (rc == EBUSY)
			r.unmap_busy++;
		else if (rc)
			r.unmap_errors++;
		else if (ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					BUF_SIZE, ACCESS_IOVA))
			r.unmap_errors++;
	}
	r.stop = 1;
	ASSERT_EQ(0, pthread_join(pinner, NULL));
	ASSERT_EQ(0, pthread_join(failer, NULL));
	TH_LOG("%d unmaps refused, %d kept-pin unmaps", r.unmap_busy,
	       r.kept_unmaps);
	EXPECT_EQ(0, r.unmap_busy);
	EXPECT_EQ(0, r.unmap_errors);
	EXPECT_LT(0, r.kept_unmaps);
	ASSERT_EQ(0, access_unpin(self->fd, keeper, kpin));
}

/* ---- Kernel-chosen IOVAs ---- */

struct hd_ival {
	__u64 start;
	__u64 last;
	__u64 src;	/* user VA, file offset or source IOVA */
};

struct hd_model {
	struct hd_ival *iv;
	unsigned int n;
	__u64 win_start, win_last;
};

static __u64 hd_rand64(void)
{
	return ((__u64)random() << 33) ^ ((__u64)random() << 11) ^ random();
}

static bool hd_overlaps(struct hd_model *m, __u64 start, __u64 last)
{
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (m->iv[i].start <= last && m->iv[i].last >= start)
			return true;
	return false;
}

/* The lowest IOVA aligned to @align where @len fits; false if none. */
static bool hd_lowest_fit(struct hd_model *m, __u64 len, __u64 align,
			  __u64 *out)
{
	__u64 cand = (m->win_start + align - 1) & ~(align - 1);
	unsigned int i = 0;

	if (cand < m->win_start)
		return false;
	for (;;) {
		if (cand > m->win_last || m->win_last - cand < len - 1)
			return false;
		/* Intervals are sorted: skip those wholly before cand. */
		while (i < m->n && m->iv[i].last < cand)
			i++;
		if (i == m->n || m->iv[i].start > cand + len - 1) {
			*out = cand;
			return true;
		}
		cand = m->iv[i].last + 1;
		if (!cand)
			return false;
		cand = (cand + align - 1) & ~(align - 1);
		if (!cand)
			return false;
	}
}

static void hd_insert(struct hd_model *m, __u64 start, __u64 len, __u64 src)
{
	unsigned int i = 0;

	while (i < m->n && m->iv[i].start < start)
		i++;
	memmove(&m->iv[i + 1], &m->iv[i], (m->n - i) * sizeof(*m->iv));
	m->iv[i] = (struct hd_ival){ start, start + len - 1, src };
	m->n++;
}

static void hd_remove(struct hd_model *m, unsigned int i)
{
	memmove(&m->iv[i], &m->iv[i + 1], (m->n - i - 1) * sizeof(*m->iv));
	m->n--;
}

/* The alignment the kernel picks without one from user space. */
static __u64 hd_default_align(__u64 hint, __u64 len)
{
	unsigned int order = hint ? __builtin_ctzll(hint) : 30;
	unsigned int lo = 63 - __builtin_clzll(len);

	if (lo < order)
		order = lo;
	if (order > 30)
		order = 30;
	return order < 12 ? SZ_4K : 1ULL << order;
}

#define HD_POOL		(8 * SZ_2M)

/*
 * Random non-fixed maps, copies and file maps of random sizes and
 * alignments, mixed with fixed maps and unmaps, checked against a model of
 * the IOAS: each IOVA is the lowest free one with the alignment asked for
 * (or picked as documented), inside the windows, and ENOSPC comes only
 * when no such range is left.
 */
static void hd_iova_model_run(struct __test_metadata *_metadata, int fd,
			      __u32 ioas, __u64 win_start, __u64 win_last,
			      unsigned int max_align_order, unsigned int seed)
{
	struct hd_model m = { .win_start = win_start, .win_last = win_last };
	unsigned int i, nospc = 0, maps = 0;
	__u64 unmapped, end;
	char *pool;
	int mfd;

	TH_LOG("seed %u, window [%#llx, %#llx]", seed, win_start, win_last);
	srandom(seed);
	m.iv = calloc(4096, sizeof(*m.iv));
	ASSERT_NE(NULL, m.iv);
	pool = mmap(NULL, HD_POOL + SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pool);
	/* 2 MiB aligned, so that user VAs of every alignment occur. */
	pool = (char *)(((uintptr_t)pool + SZ_2M - 1) & ~(SZ_2M - 1));
	memset(pool, 1, HD_POOL);
	mfd = memfd_create("ioasid", 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, HD_POOL));

	/* Bounded by time too (20 s), not by the slowest machine. */
	end = hd_now_ms() + 20000;
	for (i = 0; i < 3000 && (i < 300 || hd_now_ms() < end); i++) {
		unsigned int what = random() % 100, order;
		__u64 pages, len, align, off, iova, expect, a;
		struct ioasid_ioas_map_file fcmd;
		struct ioasid_ioas_map cmd;
		bool fits;
		int rc;

		pages = random() % 10 ? 1 + random() % 32 :
					1 + random() % 1024;
		len = pages * SZ_4K;
		off = (random() % (HD_POOL / SZ_4K - pages + 1)) * SZ_4K;
		order = random() % (max_align_order + 1);
		align = random() % 4 ? 1ULL << order : 0;

		if (what < 25 && m.n) {
			/* Unmap a random mapping. */
			unsigned int k = random() % m.n;

			ASSERT_EQ(0, ioas_unmap(fd, ioas, m.iv[k].start,
						m.iv[k].last - m.iv[k].start + 1,
						&unmapped));
			ASSERT_EQ(m.iv[k].last - m.iv[k].start + 1, unmapped);
			hd_remove(&m, k);
			continue;
		}
		if (m.n >= 4000)
			continue;
		if (what < 40) {
			/* Fixed: near a mapping (often overlapping) or not. */
			if (m.n && random() % 2) {
				unsigned int k = random() % m.n;

				iova = m.iv[k].start +
				       ((__u64)(random() % 64) - 32) * SZ_4K;
			} else {
				iova = win_start + (hd_rand64() %
						    ((win_last - win_start) /
						     SZ_4K)) * SZ_4K;
			}
			if (random() % 8 == 0)
				iova = win_last + 1 + (random() % 16) * SZ_4K;
			rc = ioas_map(fd, ioas, pool + off, len, &iova,
				      IOASID_IOAS_MAP_FIXED_IOVA |
				      IOASID_IOAS_MAP_READ);
			if (iova + len - 1 < iova) {
				ASSERT_EQ(EOVERFLOW, rc);
			} else if (iova < win_start ||
				   iova + len - 1 > win_last) {
				ASSERT_EQ(EADDRINUSE, rc);
			} else if (hd_overlaps(&m, iova, iova + len - 1)) {
				ASSERT_EQ(EEXIST, rc);
			} else {
				ASSERT_EQ(0, rc);
				hd_insert(&m, iova, len, 0);
			}
			continue;
		}

		iova = 0;
		if (what < 55 && m.n) {
			/* Copy a random mapping. */
			unsigned int k = random() % m.n;
			__u64 src = m.iv[k].start;

			len = m.iv[k].last - src + 1;
			a = align ? align : hd_default_align(src, len);
			if (a < SZ_4K)
				a = SZ_4K;
			fits = hd_lowest_fit(&m, len, a, &expect);
			{
				struct ioasid_ioas_copy c = {
					.size = sizeof(c),
					.flags = IOASID_IOAS_MAP_READ,
					.dst_ioas_id = ioas,
					.src_ioas_id = ioas,
					.src_iova = src,
					.length = len,
					.iova_alignment = align,
				};

				rc = ioctl_err(fd, IOASID_IOAS_COPY, &c);
				iova = c.dst_iova;
			}
		} else if (what < 70) {
			/* Map part of the memfd. */
			a = align ? align : hd_default_align(off, len);
			if (a < SZ_4K)
				a = SZ_4K;
			fits = hd_lowest_fit(&m, len, a, &expect);
			fcmd = (struct ioasid_ioas_map_file) {
				.size = sizeof(fcmd),
				.flags = IOASID_IOAS_MAP_READ,
				.ioas_id = ioas,
				.fd = mfd,
				.start = off,
				.length = len,
				.iova_alignment = align,
			};
			rc = ioctl_err(fd, IOASID_IOAS_MAP_FILE, &fcmd);
			iova = fcmd.iova;
		} else {
			/* Map part of the pool. */
			a = align ? align :
			    hd_default_align((uintptr_t)pool + off, len);
			if (a < SZ_4K)
				a = SZ_4K;
			fits = hd_lowest_fit(&m, len, a, &expect);
			cmd = (struct ioasid_ioas_map) {
				.size = sizeof(cmd),
				.flags = IOASID_IOAS_MAP_READ,
				.ioas_id = ioas,
				.user_va = (uintptr_t)pool + off,
				.length = len,
				.iova_alignment = align,
			};
			rc = ioctl_err(fd, IOASID_IOAS_MAP, &cmd);
			iova = cmd.iova;
		}
		if (!fits) {
			if (rc != ENOSPC)
				TH_LOG("op %u: no fit for %#llx aligned %#llx, got %d at %#llx",
				       i, len, a, rc, iova);
			ASSERT_EQ(ENOSPC, rc);
			nospc++;
			continue;
		}
		if (rc)
			TH_LOG("op %u: %#llx bytes aligned %#llx fit at %#llx, got %d",
			       i, len, a, expect, rc);
		ASSERT_EQ(0, rc);
		ASSERT_EQ(0, iova % a);
		ASSERT_LE(win_start, iova);
		ASSERT_GE(win_last, iova + len - 1);
		ASSERT_FALSE(hd_overlaps(&m, iova, iova + len - 1));
		if (expect != iova)
			TH_LOG("op %u: %#llx bytes aligned %#llx at %#llx, lowest fit %#llx",
			       i, len, a, iova, expect);
		ASSERT_EQ(expect, iova);
		hd_insert(&m, iova, len, 0);
		maps++;
	}
	TH_LOG("%u kernel-chosen IOVAs, %u ENOSPC, %u mappings left", maps,
	       nospc, m.n);
	EXPECT_LT(100, maps);
	ASSERT_EQ(0, ioas_unmap(fd, ioas, 0, 0, NULL));
	close(mfd);
	free(m.iv);
}

static unsigned int hd_seed(void)
{
	const char *env = getenv("IOASID_SEED");

	return env ? strtoul(env, NULL, 0) : (unsigned int)time(NULL);
}

TEST_F_TIMEOUT(ioas, hd_iova_alloc_after_reserve, 900)
{
	__u64 base;

	ASSERT_EQ(0, ioas_reserve(self->fd, self->ioas_id, SZ_1G, 0, &base));
	hd_iova_model_run(_metadata, self->fd, self->ioas_id, base,
			  base + SZ_1G - 1, 30, hd_seed());
}

TEST_F_TIMEOUT(ioas, hd_iova_alloc_in_an_aperture, 900)
{
	__u32 dev_id, domain_id;

	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	/* The 48-bit aperture of a mock domain, and its IOPTEs too. */
	ASSERT_EQ(0, mock_dev_add(self->fd, &dev_id, NULL));
	ASSERT_EQ(0, mock_domain_alloc(self->fd, dev_id, &domain_id));
	ASSERT_EQ(0, ioas_attach(self->fd, domain_id, self->ioas_id));
	hd_iova_model_run(_metadata, self->fd, self->ioas_id, 0,
			  (1ULL << 48) - 1, 47, hd_seed());
}

/* ---- Documented corner cases ---- */

/*
 * The default alignment is that of user_va, but no more than the largest
 * power of two in the length.
 */
TEST_F(ioas, hd_default_alignment)
{
	struct ioasid_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_MAP_READ,
		.ioas_id = self->ioas_id,
		.length = SZ_4K,
		.iova_alignment = 1,
	};
	__u64 a = 0, b = 0;
	char *va;

	va = mmap(NULL, 2 * SZ_2M, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, va);
	va = (char *)(((uintptr_t)va + SZ_2M - 1) & ~(SZ_2M - 1));
	memset(va, 1, SZ_2M);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, va, SZ_4K, 0));
	/* 12 KiB from a 2 MiB aligned address: aligned to 8 KiB. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, va, 3 * SZ_4K, &a,
			      IOASID_IOAS_MAP_READ));
	EXPECT_EQ(2 * SZ_4K, a);
	/* 2 MiB from a 4 KiB aligned address: aligned to 4 KiB. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, va + SZ_4K,
			      SZ_2M - SZ_4K, &b, IOASID_IOAS_MAP_READ));
	EXPECT_EQ(5 * SZ_4K, b);
	/* An alignment below the page size means the page size. */
	cmd.user_va = (uintptr_t)va;
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_IOAS_MAP, &cmd));
	EXPECT_EQ(SZ_4K, cmd.iova);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
}

TEST_F(ioas, hd_reserve_alignment_limits)
{
	__u64 iova = 1;

	EXPECT_EQ(EINVAL, ioas_reserve(self->fd, self->ioas_id, SZ_4K,
				       1ULL << 63, &iova));
	EXPECT_EQ(0, ioas_reserve(self->fd, self->ioas_id, SZ_4K, 1ULL << 62,
				  &iova));
	EXPECT_EQ(0, iova % (1ULL << 62));
	EXPECT_EQ(0, ioas_reserve(self->fd, self->ioas_id, SZ_4K, 1, &iova));
	EXPECT_EQ(0, iova % SZ_4K);
}

/* Unmapping everything of an empty IOAS succeeds with nothing unmapped. */
TEST_F(ioas, hd_unmap_all_of_empty_ioas)
{
	__u64 unmapped = ~0ULL;

	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, &unmapped));
	EXPECT_EQ(0, unmapped);
	/* A range without mappings is still ENOENT. */
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas_id, 0x100000,
				     SZ_4K, &unmapped));
}

/* The same memory mapped twice is pinned and charged twice. */
TEST_F(ioas, hd_same_memory_twice_is_pinned_twice)
{
	__u64 a = 0, b = 0;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, BUF_SIZE,
			      &a, IOASID_IOAS_MAP_READ));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, BUF_SIZE,
			      &b, IOASID_IOAS_MAP_READ));
	EXPECT_EQ(self->pinned_kb + 2 * BUF_SIZE / 1024, vm_pinned_kb());
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, 0, NULL));
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

/* ---- PASIDs: policy, attachments, global and kernel PASIDs ------------- */

#define PG		SZ_4K
/* Where every IOAS of the PASID tests maps its page. */
#define PASID_IOVA	0x100000ULL
#define CFG_ALL		(IOASID_PASID_CFG_PAGING | IOASID_PASID_CFG_NESTED | \
			 IOASID_PASID_CFG_SVA)
#define PASID_COUNT	(1U << IOASID_TEST_MOCK_PASID_BITS)

static bool have_feature(int fd, __u64 feature)
{
	struct ioasid_info info = { .size = sizeof(info) };

	if (ioctl(fd, IOASID_GET_INFO, &info))
		return false;
	return (info.features & feature) == feature;
}

/* The byte every page of IOAS @i holds, in the PASID tests. */
static unsigned char pattern(unsigned int i)
{
	return 0xa0 + i;
}

static bool all_bytes(const unsigned char *p, size_t len, unsigned char v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/*
 * What @mock reads at @iova through @pasid (0: the RID): the byte every
 * one of 64 bytes holds, -1 if they differ, or -errno.
 */
static int dma_read_byte(int fd, __u32 mock, __u32 pasid, __u64 iova)
{
	unsigned char data[64];
	int rc;

	memset(data, 0x5c, sizeof(data));
	rc = ioasid_mock_dma(fd, mock, pasid, iova, data, sizeof(data), false);
	if (rc)
		return -rc;
	return all_bytes(data, sizeof(data), data[0]) ? data[0] : -1;
}

static __u64 pasid_serial(struct __test_metadata *_metadata, int fd,
			  __u32 mock, __u32 pasid)
{
	__u64 serial = 0;

	EXPECT_EQ(0, ioasid_pasid_domain(fd, mock, pasid, &serial, NULL));
	return serial;
}

/*
 * Check IOASID_DEVICE_GET_PASID_INFO of @pasid: its flags, what is
 * allowed, and the HWPT it is attached to (0: none).
 */
#define CHECK_INFO(fd, dev, pasid, flags, allowed, hwpt)                    \
	check_info(_metadata, __LINE__, fd, dev, pasid, flags, allowed, hwpt)

static void check_info(struct __test_metadata *_metadata, int line, int fd,
		       __u32 dev, __u32 pasid, __u32 flags, __u32 allowed,
		       __u32 hwpt)
{
	struct ioasid_device_get_pasid_info info;

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, ioasid_pasid_info(fd, dev, pasid, &info))
		TH_LOG("line %d: pasid %u", line, pasid);
	EXPECT_EQ(flags, info.out_flags)
		TH_LOG("line %d: pasid %u", line, pasid);
	EXPECT_EQ(allowed, info.out_allowed)
		TH_LOG("line %d: pasid %u", line, pasid);
	EXPECT_EQ(hwpt, info.out_pt_id)
		TH_LOG("line %d: pasid %u", line, pasid);
	EXPECT_EQ(hwpt ? IOASID_PT_HWPT_PAGING : IOASID_PT_NONE,
		  info.out_pt_kind)
		TH_LOG("line %d: pasid %u", line, pasid);
	EXPECT_EQ(0, info.__reserved[0] | info.__reserved[1] |
		     info.__reserved[2]);
}

#define ATT	(IOASID_PASID_INFO_DECLARED | IOASID_PASID_INFO_ATTACHED)
#define DECL	IOASID_PASID_INFO_DECLARED
#define PAGING	IOASID_PASID_CFG_PAGING
/* The RID takes paging and nested HWPTs alike. */
#define RID_ALLOWED	(IOASID_PASID_CFG_PAGING | IOASID_PASID_CFG_NESTED)

FIXTURE(pasid)
{
	int fd;
	__u32 ioas[2];
	/* Page i is mapped by IOAS i at PASID_IOVA; pages 2 and 3 spare. */
	unsigned char *buf;
	__u32 mock;	/* 20 bits of PASID, bound */
	__u32 dev;
	long pinned_kb;
};

FIXTURE_SETUP(pasid)
{
	int i;

	self->fd = open_ioasid();
	ASSERT_LE(0, self->fd);
	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	if (!have_feature(self->fd, IOASID_FEATURE_PASID))
		SKIP(return, "kernel without IOASID_FEATURE_PASID");
	self->buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, 4 * PG);
	self->pinned_kb = vm_pinned_kb();
	ASSERT_LE(0, self->pinned_kb);
	for (i = 0; i < 2; i++) {
		memset(self->buf + i * PG, pattern(i), PG);
		ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas[i]));
		ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas[i],
					    self->buf + i * PG, PG,
					    PASID_IOVA));
	}
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, IOASID_TEST_MOCK_DEV_PASID,
					 0, 0, &self->mock));
	ASSERT_EQ(0, device_bind(self->fd, self->mock, &self->dev));
}

FIXTURE_TEARDOWN(pasid)
{
	close(self->fd);
	if (self->buf && self->buf != MAP_FAILED) {
		/* Closing the context gives back every pin. */
		EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
		munmap(self->buf, 4 * PG);
	}
}

/* A bound PASID device of @fd's context, with PASIDs 1-@last allowed. */
static void pasid_dev(struct __test_metadata *_metadata, int fd, __u32 flags,
		      __u32 bits, __u32 last, __u32 *mock, __u32 *dev)
{
	ASSERT_EQ(0, ioasid_mock_dev_add(fd, flags, 0, bits, mock));
	ASSERT_EQ(0, device_bind(fd, *mock, dev));
	if (last)
		ASSERT_EQ(0, ioasid_allow_pasid(fd, *mock, 1, last, PAGING));
}

TEST_F(pasid, feature_bits)
{
	struct ioasid_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_GET_INFO, &info));
	EXPECT_TRUE(info.features & IOASID_FEATURE_PASID);
	EXPECT_TRUE(info.features & IOASID_FEATURE_GLOBAL_PASID);
}

TEST_F(pasid, info_rid_and_errors)
{
	struct ioasid_device_get_pasid_info info;
	__u32 hwpt;

	/* The RID: always declared, paging and nested allowed. */
	ASSERT_EQ(0, ioasid_pasid_info(self->fd, self->dev, 0, &info));
	EXPECT_EQ(DECL, info.out_flags);
	EXPECT_EQ(RID_ALLOWED, info.out_allowed);
	EXPECT_EQ(IOASID_PT_NONE, info.out_pt_kind);
	EXPECT_EQ(0, info.out_pt_id);
	EXPECT_EQ(IOASID_TEST_MOCK_PASID_BITS, info.out_pasid_bits);
	EXPECT_EQ(0, info.out_dev_caps);
	ASSERT_EQ(0, device_attach(self->fd, self->mock, self->ioas[0], &hwpt,
				   false));
	CHECK_INFO(self->fd, self->dev, 0, ATT, RID_ALLOWED, hwpt);
	/* Nothing declared on a PASID. */
	CHECK_INFO(self->fd, self->dev, 1, 0, 0, 0);
	CHECK_INFO(self->fd, self->dev, IOASID_PASID_MAX, 0, 0, 0);
	ASSERT_EQ(0, device_detach(self->fd, self->mock));
	CHECK_INFO(self->fd, self->dev, 0, DECL, RID_ALLOWED, 0);

	EXPECT_EQ(EINVAL, ioasid_pasid_info(self->fd, self->dev,
					    IOASID_PASID_MAX + 1, &info));
	EXPECT_EQ(EINVAL, ioasid_pasid_info(self->fd, self->dev, ~0U, &info));
	EXPECT_EQ(ENOENT, ioasid_pasid_info(self->fd, 9999, 1, &info));
	EXPECT_EQ(ENOENT, ioasid_pasid_info(self->fd, 0, 1, &info));
	/* Neither an IOAS nor the mock device object is a bound device. */
	EXPECT_EQ(ENOENT, ioasid_pasid_info(self->fd, self->ioas[0], 1,
					    &info));
	EXPECT_EQ(ENOENT, ioasid_pasid_info(self->fd, self->mock, 1, &info));
	info = (struct ioasid_device_get_pasid_info) {
		.size = sizeof(info), .flags = 1, .dev_id = self->dev,
	};
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_DEVICE_GET_PASID_INFO,
					&info));
	info.flags = 0;
	info.__reserved[1] = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_DEVICE_GET_PASID_INFO,
				    &info));
	/* Gone with the binding. */
	ASSERT_EQ(0, device_unbind(self->fd, self->mock));
	EXPECT_EQ(ENOENT, ioasid_pasid_info(self->fd, self->dev, 0, &info));
}

TEST_F(pasid, mock_dev_add_flags)
{
	struct ioasid_test_mock_dev_add add = { .size = sizeof(add) };
	struct ioasid_device_get_hw_info hw;
	struct ioasid_device_get_pasid_info info;
	__u32 mock, dev;

	EXPECT_EQ(EINVAL, ioasid_mock_dev_add(self->fd,
					      IOASID_TEST_MOCK_DEV_PASID_BITS,
					      0, 0, &mock));
	EXPECT_EQ(EINVAL, ioasid_mock_dev_add(self->fd,
					      IOASID_TEST_MOCK_DEV_PASID_BITS,
					      0, 21, &mock));
	EXPECT_EQ(EINVAL, ioasid_mock_dev_add(self->fd,
					      IOASID_TEST_MOCK_DEV_PASID_BITS,
					      0, ~0U, &mock));
	EXPECT_EQ(EINVAL, ioasid_mock_dev_add(self->fd, 0, 0, 8, &mock));
	EXPECT_EQ(EINVAL, ioasid_mock_dev_add(self->fd,
					      IOASID_TEST_MOCK_DEV_PASID, 0, 8,
					      &mock));
	EXPECT_EQ(EINVAL, ioasid_mock_dev_add(self->fd,
					      IOASID_TEST_MOCK_DEV_PASID |
					      IOASID_TEST_MOCK_DEV_PASID_BITS,
					      0, 8, &mock));
	EXPECT_EQ(EINVAL, ioasid_mock_dev_add(self->fd,
					      IOASID_TEST_MOCK_DEV_NO_IOMMU |
					      IOASID_TEST_MOCK_DEV_PASID_BITS,
					      0, 8, &mock));
	EXPECT_EQ(EINVAL, ioasid_mock_dev_add(self->fd,
					      IOASID_TEST_MOCK_DEV_NO_IOMMU |
					      IOASID_TEST_MOCK_DEV_PRI, 0, 0,
					      &mock));
	EXPECT_EQ(EINVAL, ioasid_mock_dev_add(self->fd,
					      IOASID_TEST_MOCK_DEV_NO_IOMMU |
					      IOASID_TEST_MOCK_DEV_KERNEL_DMA,
					      0, 0, &mock));
	add.__reserved2 = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_MOCK_DEV_ADD, &add));
	add.__reserved2 = 0;
	add.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_TEST_MOCK_DEV_ADD,
					&add));

	/* Each width and PRI, as GET_PASID_INFO reports them. */
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd,
					 IOASID_TEST_MOCK_DEV_PASID_BITS |
					 IOASID_TEST_MOCK_DEV_PRI, 0, 1, &mock));
	ASSERT_EQ(0, device_bind(self->fd, mock, &dev));
	ASSERT_EQ(0, ioasid_pasid_info(self->fd, dev, 1, &info));
	EXPECT_EQ(1, info.out_pasid_bits);
	EXPECT_EQ(IOASID_DEVICE_PASID_PRI, info.out_dev_caps);
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd,
					 IOASID_TEST_MOCK_DEV_PASID_BITS, 0,
					 IOASID_TEST_MOCK_PASID_BITS, &mock));
	ASSERT_EQ(0, device_bind(self->fd, mock, &dev));
	ASSERT_EQ(0, ioasid_pasid_info(self->fd, dev, 0, &info));
	EXPECT_EQ(IOASID_TEST_MOCK_PASID_BITS, info.out_pasid_bits);
	EXPECT_EQ(0, info.out_dev_caps);
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, 0, 0, 0, &mock));
	ASSERT_EQ(0, device_bind(self->fd, mock, &dev));
	ASSERT_EQ(0, ioasid_pasid_info(self->fd, dev, 1, &info));
	EXPECT_EQ(0, info.out_pasid_bits);
	EXPECT_EQ(0, info.out_flags);
	/* The width is what GET_HW_INFO reports too. */
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd,
					 IOASID_TEST_MOCK_DEV_PASID_BITS, 0, 8,
					 &mock));
	ASSERT_EQ(0, device_bind(self->fd, mock, &dev));
	ASSERT_EQ(0, hw_info(self->fd, dev, NULL, 0, &hw));
	EXPECT_EQ(8, hw.out_max_pasid_log2);
}

TEST_F(pasid, allow_errors)
{
	struct ioasid_test_device_allow_pasid cmd = {
		.size = sizeof(cmd),
		.dev_id = self->mock,
		.first = 1,
		.last = 1,
	};
	__u32 plain, plain_dev, unbound;

	EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, self->mock, 0, 5,
					     PAGING));
	EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, self->mock, 0, 0,
					     PAGING));
	EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, self->mock, 6, 5,
					     PAGING));
	EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, self->mock, 1,
					     PASID_COUNT, PAGING));
	EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, self->mock,
					     PASID_COUNT, PASID_COUNT, PAGING));
	EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, self->mock, 1, ~0U,
					     PAGING));
	EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, self->mock, 1, 5,
					     CFG_ALL + 1));
	EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, self->mock, 1, 5,
					     PAGING | 1U << 31));
	EXPECT_EQ(EINVAL, ioasid_revoke_pasid(self->fd, self->mock, 0, 5));
	EXPECT_EQ(EINVAL, ioasid_revoke_pasid(self->fd, self->mock, 6, 5));
	cmd.flags = IOASID_TEST_ALLOW_PASID_REVOKE;
	cmd.configs = PAGING;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_DEVICE_ALLOW_PASID,
				    &cmd));
	cmd.configs = 0;
	cmd.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd,
					IOASID_TEST_DEVICE_ALLOW_PASID, &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_DEVICE_ALLOW_PASID,
				    &cmd));
	cmd.__reserved = 0;
	cmd.__reserved2 = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_DEVICE_ALLOW_PASID,
				    &cmd));
	/* None of that declared anything. */
	CHECK_INFO(self->fd, self->dev, 1, 0, 0, 0);
	CHECK_INFO(self->fd, self->dev, 5, 0, 0, 0);
	/* The largest range is fine. */
	EXPECT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1,
					PASID_COUNT - 1, CFG_ALL));
	CHECK_INFO(self->fd, self->dev, PASID_COUNT - 1, DECL, CFG_ALL, 0);
	EXPECT_EQ(0, ioasid_revoke_pasid(self->fd, self->mock, 1,
					 PASID_COUNT - 1));
	CHECK_INFO(self->fd, self->dev, 1, 0, 0, 0);
	/* Revoking what was never declared is no error. */
	EXPECT_EQ(0, ioasid_revoke_pasid(self->fd, self->mock, 7, 9));

	/* A device without PASID has none to allow. */
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, 0, 0, 0, &plain));
	ASSERT_EQ(0, device_bind(self->fd, plain, &plain_dev));
	EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, plain, 1, 1, PAGING));
	EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, plain, 1, 1, 0));
	/* Only for a bound mock device. */
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, IOASID_TEST_MOCK_DEV_PASID,
					 0, 0, &unbound));
	EXPECT_EQ(ENOENT, ioasid_allow_pasid(self->fd, unbound, 1, 1, PAGING));
	EXPECT_EQ(ENOENT, ioasid_revoke_pasid(self->fd, unbound, 1, 1));
	EXPECT_EQ(ENOENT, ioasid_allow_pasid(self->fd, 9999, 1, 1, PAGING));
	EXPECT_EQ(ENOENT, ioasid_allow_pasid(self->fd, self->ioas[0], 1, 1,
					     PAGING));
}

/*
 * Every policy, and none: an IOAS or a paging HWPT can be attached only
 * where the owner allowed PAGING.
 */
TEST_F(pasid, policy_matrix)
{
	__u32 user_hwpt, hwpt;
	int configs;

	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas[1],
				&user_hwpt));
	for (configs = -1; configs <= (int)CFG_ALL; configs++) {
		__u32 pasid = 10 + configs;
		int want = configs >= 0 && (configs & PAGING) ? 0 : EPERM;
		__u32 flags = configs >= 0 ? DECL : 0;
		__u32 allowed = configs >= 0 ? configs : 0;

		if (configs >= 0)
			ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock,
							pasid, pasid,
							configs));
		CHECK_INFO(self->fd, self->dev, pasid, flags, allowed, 0);

		/* An IOAS. */
		EXPECT_EQ(want, ioasid_pasid_attach(self->fd, self->mock,
						    pasid, self->ioas[0],
						    false, &hwpt))
			TH_LOG("configs %d", configs);
		if (!want) {
			EXPECT_NE(self->ioas[0], hwpt);
			CHECK_INFO(self->fd, self->dev, pasid,
				   flags | IOASID_PASID_INFO_ATTACHED, allowed,
				   hwpt);
			EXPECT_EQ(pattern(0),
				  dma_read_byte(self->fd, self->mock, pasid,
						PASID_IOVA));
		} else {
			EXPECT_EQ(0, pasid_serial(_metadata, self->fd,
						  self->mock, pasid));
		}
		/* Replace is checked the same way. */
		EXPECT_EQ(want, ioasid_pasid_attach(self->fd, self->mock,
						    pasid, user_hwpt, true,
						    &hwpt))
			TH_LOG("configs %d", configs);
		if (!want) {
			EXPECT_EQ(user_hwpt, hwpt);
			CHECK_INFO(self->fd, self->dev, pasid,
				   flags | IOASID_PASID_INFO_ATTACHED, allowed,
				   user_hwpt);
			EXPECT_EQ(pattern(1),
				  dma_read_byte(self->fd, self->mock, pasid,
						PASID_IOVA));
			ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock,
							 pasid));
		}
		/* A paging HWPT user space allocated. */
		EXPECT_EQ(want, ioasid_pasid_attach(self->fd, self->mock,
						    pasid, user_hwpt, false,
						    &hwpt))
			TH_LOG("configs %d", configs);
		if (!want)
			ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock,
							 pasid));
		CHECK_INFO(self->fd, self->dev, pasid, flags, allowed, 0);
		EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock,
					  pasid));
	}
	/* The RID needs no declaration. */
	EXPECT_EQ(0, device_attach(self->fd, self->mock, user_hwpt, &hwpt,
				   false));
	EXPECT_EQ(0, destroy(self->fd, self->ioas[0]));
}

/* PASIDs the device does not have, for 0, 1, 8 and 20 bits of width. */
TEST_F(pasid, outside_the_width)
{
	static const __u32 bits[] = { 0, 1, 8, 20 };
	unsigned char data[16];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		struct ioasid_device_get_pasid_info info;
		__u32 count = 1U << bits[i], mock, dev, flags = 0, hwpt;

		if (bits[i] == 20)
			flags = IOASID_TEST_MOCK_DEV_PASID;
		else if (bits[i])
			flags = IOASID_TEST_MOCK_DEV_PASID_BITS;
		ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, flags, 0,
						 bits[i] == 20 ? 0 : bits[i],
						 &mock));
		ASSERT_EQ(0, device_bind(self->fd, mock, &dev));
		ASSERT_EQ(0, ioasid_pasid_info(self->fd, dev, 1, &info));
		EXPECT_EQ(bits[i], info.out_pasid_bits);

		/* The last one it has, and the first it lacks. */
		if (bits[i]) {
			ASSERT_EQ(0, ioasid_allow_pasid(self->fd, mock, 1,
							count - 1, PAGING));
			ASSERT_EQ(0, ioasid_pasid_attach(self->fd, mock,
							 count - 1,
							 self->ioas[0], false,
							 &hwpt));
			CHECK_INFO(self->fd, dev, count - 1, ATT, PAGING,
				   hwpt);
			EXPECT_EQ(pattern(0),
				  dma_read_byte(self->fd, mock, count - 1,
						PASID_IOVA));
			ASSERT_EQ(0, ioasid_pasid_detach(self->fd, mock,
							 count - 1));
		}
		if (count > IOASID_PASID_MAX)
			continue;
		EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, mock, 1, count,
						     PAGING));
		EXPECT_EQ(EINVAL, ioasid_allow_pasid(self->fd, mock, count,
						     count, 0));
		/* EINVAL comes first, even for an unknown page table. */
		EXPECT_EQ(EINVAL, ioasid_pasid_attach(self->fd, mock, count,
						      self->ioas[0], false,
						      NULL));
		EXPECT_EQ(EINVAL, ioasid_pasid_attach(self->fd, mock, count,
						      9999, true, NULL));
		/* Reported, not refused: nothing declared, and the width. */
		CHECK_INFO(self->fd, dev, count, 0, 0, 0);
		ASSERT_EQ(0, ioasid_pasid_info(self->fd, dev, count, &info));
		EXPECT_EQ(bits[i], info.out_pasid_bits);
		EXPECT_EQ(EINVAL, ioasid_mock_dma(self->fd, mock, count,
						  PASID_IOVA, data,
						  sizeof(data), false));
	}
}

TEST_F(pasid, attach_errors)
{
	struct ioasid_test_device_attach cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_TEST_DEVICE_ATTACH_PASID,
		.dev_id = self->mock,
		.pt_id = self->ioas[0],
		.pasid = 5,
	};
	struct ioasid_test_device_detach det = {
		.size = sizeof(det),
		.dev_id = self->mock,
	};
	__u32 other, other_dev, other_hwpt, hwpt, unbound;

	/* The PASID first, ... */
	EXPECT_EQ(EINVAL, ioasid_pasid_attach(self->fd, self->mock, 0,
					      self->ioas[0], false, NULL));
	EXPECT_EQ(EINVAL, ioasid_pasid_attach(self->fd, self->mock, 0,
					      self->ioas[0], true, NULL));
	EXPECT_EQ(EINVAL, ioasid_pasid_attach(self->fd, self->mock,
					      IOASID_PASID_MAX + 1, 9999,
					      false, NULL));
	/* ... then the page table, ... */
	EXPECT_EQ(ENOENT, ioasid_pasid_attach(self->fd, self->mock, 5, 9999,
					      false, NULL));
	EXPECT_EQ(ENOENT, ioasid_pasid_attach(self->fd, self->mock, 5,
					      self->dev, false, NULL));
	EXPECT_EQ(ENOENT, ioasid_pasid_attach(self->fd, self->mock, 5, 0,
					      false, NULL));
	/* ... then the policy. */
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->mock, 5,
					     self->ioas[0], false, NULL));
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->mock, 5,
					     self->ioas[0], true, NULL));
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 100, PAGING));

	/* A PASID without the flag, unknown flags, reserved fields. */
	cmd.flags = 0;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_DEVICE_ATTACH, &cmd));
	cmd.flags = IOASID_TEST_DEVICE_ATTACH_REPLACE;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_DEVICE_ATTACH, &cmd));
	cmd.flags = IOASID_TEST_DEVICE_ATTACH_PASID | 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_TEST_DEVICE_ATTACH,
					&cmd));
	cmd.flags = IOASID_TEST_DEVICE_ATTACH_PASID;
	cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_DEVICE_ATTACH, &cmd));
	cmd.__reserved = 0;
	/* Nothing got attached by those, not even the RID. */
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 5));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 0));
	CHECK_INFO(self->fd, self->dev, 0, DECL, RID_ALLOWED, 0);

	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_TEST_DEVICE_ATTACH, &cmd));
	hwpt = cmd.pt_id;
	CHECK_INFO(self->fd, self->dev, 5, ATT, PAGING, hwpt);
	/* Attached already: only a replace moves it. */
	EXPECT_EQ(EBUSY, ioasid_pasid_attach(self->fd, self->mock, 5,
					     self->ioas[1], false, NULL));
	EXPECT_EQ(EBUSY, ioasid_pasid_attach(self->fd, self->mock, 5,
					     self->ioas[0], false, NULL));
	CHECK_INFO(self->fd, self->dev, 5, ATT, PAGING, hwpt);

	/* A page table of the other IOMMU does not fit. */
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd,
					 IOASID_TEST_MOCK_DEV_OTHER_IOMMU |
					 IOASID_TEST_MOCK_DEV_PASID, 0, 0,
					 &other));
	ASSERT_EQ(0, device_bind(self->fd, other, &other_dev));
	ASSERT_EQ(0, hwpt_alloc(self->fd, other_dev, self->ioas[1],
				&other_hwpt));
	EXPECT_EQ(EINVAL, ioasid_pasid_attach(self->fd, self->mock, 6,
					      other_hwpt, false, NULL));
	EXPECT_EQ(EINVAL, ioasid_pasid_attach(self->fd, self->mock, 5,
					      other_hwpt, true, NULL));
	/* The failed replace left PASID 5 where it was. */
	CHECK_INFO(self->fd, self->dev, 5, ATT, PAGING, hwpt);
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, 5,
					    PASID_IOVA));
	CHECK_INFO(self->fd, self->dev, 6, DECL, PAGING, 0);
	/* The other IOMMU's device gets an HWPT of its own for the IOAS. */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, other, 5, 5, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, other, 5, self->ioas[0],
					 false, &other_hwpt));
	EXPECT_NE(hwpt, other_hwpt);

	/* An unbound mock device. */
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, IOASID_TEST_MOCK_DEV_PASID,
					 0, 0, &unbound));
	EXPECT_EQ(ENOENT, ioasid_pasid_attach(self->fd, unbound, 5,
					      self->ioas[0], false, NULL));
	EXPECT_EQ(ENOENT, ioasid_pasid_detach(self->fd, unbound, 5));

	/* Detach: the PASID is checked, and must come with the flag. */
	EXPECT_EQ(EINVAL, ioasid_pasid_detach(self->fd, self->mock, 0));
	EXPECT_EQ(EINVAL, ioasid_pasid_detach(self->fd, self->mock,
					      IOASID_PASID_MAX + 1));
	det.pasid = 5;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_DEVICE_DETACH, &det));
	det.flags = IOASID_TEST_DEVICE_DETACH_PASID | 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_TEST_DEVICE_DETACH,
					&det));
	det.flags = IOASID_TEST_DEVICE_DETACH_PASID;
	det.__reserved2 = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_DEVICE_DETACH, &det));
	CHECK_INFO(self->fd, self->dev, 5, ATT, PAGING, hwpt);
	/* Not attached: nothing to do. */
	EXPECT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 6));
	EXPECT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 99));
	EXPECT_EQ(0, ioasid_pasid_detach(self->fd, self->mock,
					 IOASID_PASID_MAX));
	CHECK_INFO(self->fd, self->dev, 5, ATT, PAGING, hwpt);
	EXPECT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 5));
	CHECK_INFO(self->fd, self->dev, 5, DECL, PAGING, 0);
	EXPECT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 5));
}

TEST_F(pasid, replace_and_detach)
{
	__u32 h0, h1, again, h6, rid;
	__u64 s0, s1;

	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 100, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[0], false, &h0));
	s0 = pasid_serial(_metadata, self->fd, self->mock, 5);
	EXPECT_NE(0, s0);
	/* The RID and the other PASIDs stay blocked. */
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 0));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 6));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, 5,
					    PASID_IOVA));
	EXPECT_EQ(-ENXIO, dma_read_byte(self->fd, self->mock, 0, PASID_IOVA));
	EXPECT_EQ(-ENXIO, dma_read_byte(self->fd, self->mock, 6, PASID_IOVA));

	/* Replace by the same page table: nothing changes. */
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[0], true, &again));
	EXPECT_EQ(h0, again);
	EXPECT_EQ(s0, pasid_serial(_metadata, self->fd, self->mock, 5));
	/* To another IOAS: DMA follows, and the old HWPT lost its user. */
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[1], true, &h1));
	EXPECT_NE(h0, h1);
	s1 = pasid_serial(_metadata, self->fd, self->mock, 5);
	EXPECT_NE(0, s1);
	EXPECT_NE(s0, s1);
	CHECK_INFO(self->fd, self->dev, 5, ATT, PAGING, h1);
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, self->mock, 5,
					    PASID_IOVA));
	EXPECT_EQ(ENOENT, destroy(self->fd, h0));
	/* Replace of a PASID not attached attaches it. */
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 6,
					 self->ioas[0], true, &h6));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, 6,
					    PASID_IOVA));

	/* The RID and the PASIDs come and go independently. */
	ASSERT_EQ(0, device_attach(self->fd, self->mock, self->ioas[0], &rid,
				   false));
	EXPECT_EQ(h6, rid);
	ASSERT_EQ(0, device_detach(self->fd, self->mock));
	EXPECT_EQ(-ENXIO, dma_read_byte(self->fd, self->mock, 0, PASID_IOVA));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, 6,
					    PASID_IOVA));
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, self->mock, 5,
					    PASID_IOVA));
	ASSERT_EQ(0, device_attach(self->fd, self->mock, self->ioas[1], &rid,
				   false));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 6));
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, self->mock, 0,
					    PASID_IOVA));
	EXPECT_EQ(-ENXIO, dma_read_byte(self->fd, self->mock, 6, PASID_IOVA));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 6));
	CHECK_INFO(self->fd, self->dev, 6, DECL, PAGING, 0);

	/* Detach: blocked, and the info says so. */
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 5));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 5));
	EXPECT_EQ(-ENXIO, dma_read_byte(self->fd, self->mock, 5, PASID_IOVA));
	CHECK_INFO(self->fd, self->dev, 5, DECL, PAGING, 0);
	CHECK_INFO(self->fd, self->dev, 0, ATT, RID_ALLOWED, rid);
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, self->mock, 0,
					    PASID_IOVA));
	ASSERT_EQ(0, device_detach(self->fd, self->mock));
	EXPECT_EQ(0, destroy(self->fd, self->ioas[0]));
	EXPECT_EQ(0, destroy(self->fd, self->ioas[1]));
}

/*
 * The device reads and writes the memory of the page table of each PASID:
 * PASID 5 and the RID on IOAS 0, PASID 6 on IOAS 1, all at one IOVA.
 */
TEST_F(pasid, dma_reaches_each_pasids_page_table)
{
	unsigned char data[256], *big;
	__u64 max = IOASID_TEST_MOCK_DMA_MAX;
	__u64 iova;

	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 5, 6, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[0], false, NULL));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 6,
					 self->ioas[1], false, NULL));
	ASSERT_EQ(0, device_attach(self->fd, self->mock, self->ioas[0], NULL,
				   false));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, 5,
					    PASID_IOVA));
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, self->mock, 6,
					    PASID_IOVA));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, 0,
					    PASID_IOVA));

	/* A write through PASID 6 lands in the page of IOAS 1 only. */
	memset(data, 0x3c, sizeof(data));
	ASSERT_EQ(0, ioasid_mock_dma(self->fd, self->mock, 6,
				     PASID_IOVA + 100, data, sizeof(data),
				     true));
	EXPECT_TRUE(all_bytes(self->buf + PG + 100, sizeof(data), 0x3c));
	EXPECT_TRUE(all_bytes(self->buf + PG, 100, pattern(1)));
	EXPECT_TRUE(all_bytes(self->buf + PG + 356, PG - 356, pattern(1)));
	EXPECT_TRUE(all_bytes(self->buf, PG, pattern(0)));
	/* And a write by the RID in the page of IOAS 0. */
	memset(data, 0x4d, sizeof(data));
	ASSERT_EQ(0, ioasid_mock_dma(self->fd, self->mock, 0,
				     PASID_IOVA + PG - sizeof(data), data,
				     sizeof(data), true));
	EXPECT_TRUE(all_bytes(self->buf + PG - sizeof(data), sizeof(data),
			      0x4d));
	memset(data, 0, sizeof(data));
	ASSERT_EQ(0, ioasid_mock_dma(self->fd, self->mock, 5,
				     PASID_IOVA + PG - sizeof(data), data,
				     sizeof(data), false));
	EXPECT_TRUE(all_bytes(data, sizeof(data), 0x4d));

	/* Across pages, and read-only IOPTEs. */
	iova = PASID_IOVA + 16 * PG;
	memset(self->buf + 2 * PG, 0x61, PG);
	memset(self->buf + 3 * PG, 0x62, PG);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas[1], self->buf + 2 * PG,
			      2 * PG, &iova,
			      IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READ));
	memset(data, 0, sizeof(data));
	ASSERT_EQ(0, ioasid_mock_dma(self->fd, self->mock, 6,
				     iova + PG - 128, data, sizeof(data),
				     false));
	EXPECT_TRUE(all_bytes(data, 128, 0x61));
	EXPECT_TRUE(all_bytes(data + 128, 128, 0x62));
	EXPECT_EQ(EACCES, ioasid_mock_dma(self->fd, self->mock, 6, iova, data,
					  sizeof(data), true));
	EXPECT_TRUE(all_bytes(self->buf + 2 * PG, PG, 0x61));
	/* Not mapped in the other PASID's IOAS, nor anywhere. */
	EXPECT_EQ(ENXIO, ioasid_mock_dma(self->fd, self->mock, 5, iova, data,
					 sizeof(data), false));
	EXPECT_EQ(ENXIO, ioasid_mock_dma(self->fd, self->mock, 6,
					 PASID_IOVA + PG, data, sizeof(data),
					 false));
	/* Unmapped: gone from the PASID's page table. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas[1], iova, 2 * PG, NULL));
	EXPECT_EQ(ENXIO, ioasid_mock_dma(self->fd, self->mock, 6, iova, data,
					 sizeof(data), false));

	/* Lengths. */
	EXPECT_EQ(EINVAL, ioasid_mock_dma(self->fd, self->mock, 6, PASID_IOVA,
					  data, 0, false));
	big = mmap(NULL, max + PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, big);
	EXPECT_EQ(EINVAL, ioasid_mock_dma(self->fd, self->mock, 6, PASID_IOVA,
					  big, max + 1, false));
	/* The most, past the one page mapped: stops there. */
	EXPECT_EQ(ENXIO, ioasid_mock_dma(self->fd, self->mock, 6, PASID_IOVA,
					 big, max, false));
	/* The most, within the mappings. */
	iova = 1ULL << 32;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas[1], big, max, &iova,
			      IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READ | IOASID_IOAS_MAP_WRITE));
	memset(big + max - PG, 0x77, PG);
	EXPECT_EQ(0, ioasid_mock_dma(self->fd, self->mock, 6, iova, big, max,
				     false));
	EXPECT_TRUE(all_bytes(big + max - PG, PG, 0x77));
	munmap(big, max + PG);
}

TEST_F(pasid, mock_dma_errors)
{
	struct ioasid_test_mock_dma cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_TEST_MOCK_DMA_PASID,
		.dev_id = self->mock,
		.pasid = 5,
		.iova = PASID_IOVA,
		.length = 16,
	};
	unsigned char data[16];
	__u32 plain;

	cmd.data = (uintptr_t)data;
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 5, 5, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[0], false, NULL));
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_TEST_MOCK_DMA, &cmd));
	EXPECT_EQ(16, cmd.out_done);
	EXPECT_TRUE(all_bytes(data, 16, pattern(0)));
	cmd.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_TEST_MOCK_DMA, &cmd));
	/* A PASID without the flag, and PASID 0 with it. */
	cmd.flags = 0;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_MOCK_DMA, &cmd));
	cmd.flags = IOASID_TEST_MOCK_DMA_PASID;
	cmd.pasid = 0;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_MOCK_DMA, &cmd));
	cmd.pasid = PASID_COUNT;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_MOCK_DMA, &cmd));
	cmd.pasid = 5;
	cmd.data = 8;
	EXPECT_EQ(EFAULT, ioctl_err(self->fd, IOASID_TEST_MOCK_DMA, &cmd));
	cmd.data = (uintptr_t)data;
	cmd.dev_id = 9999;
	EXPECT_EQ(ENOENT, ioctl_err(self->fd, IOASID_TEST_MOCK_DMA, &cmd));
	cmd.dev_id = self->ioas[0];
	EXPECT_EQ(ENOENT, ioctl_err(self->fd, IOASID_TEST_MOCK_DMA, &cmd));

	/* A device without PASID has no PASID 1; its RID is blocked. */
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, 0, 0, 0, &plain));
	EXPECT_EQ(EINVAL, ioasid_mock_dma(self->fd, plain, 1, PASID_IOVA, data,
					  sizeof(data), false));
	EXPECT_EQ(ENXIO, ioasid_mock_dma(self->fd, plain, 0, PASID_IOVA, data,
					 sizeof(data), false));
	ASSERT_EQ(0, device_bind(self->fd, plain, NULL));
	EXPECT_EQ(ENXIO, ioasid_mock_dma(self->fd, plain, 0, PASID_IOVA, data,
					 sizeof(data), true));
}

/* The RID and PASIDs of compatible devices share the IOAS's HWPT. */
TEST_F(pasid, rid_and_pasid_share_a_hwpt)
{
	__u32 rid, h5, h7, mock2, dev2;

	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 10, PAGING));
	pasid_dev(_metadata, self->fd, IOASID_TEST_MOCK_DEV_PASID, 0, 10,
		  &mock2, &dev2);
	ASSERT_EQ(0, device_attach(self->fd, self->mock, self->ioas[0], &rid,
				   false));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[0], false, &h5));
	EXPECT_EQ(rid, h5);
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, mock2, 7, self->ioas[0],
					 false, &h7));
	EXPECT_EQ(rid, h7);
	EXPECT_EQ(pasid_serial(_metadata, self->fd, self->mock, 0),
		  pasid_serial(_metadata, self->fd, self->mock, 5));
	EXPECT_EQ(pasid_serial(_metadata, self->fd, self->mock, 0),
		  pasid_serial(_metadata, self->fd, mock2, 7));
	CHECK_INFO(self->fd, self->dev, 5, ATT, PAGING, rid);
	CHECK_INFO(self->fd, dev2, 7, ATT, PAGING, rid);
	/* The other device's RID is not attached by that. */
	CHECK_INFO(self->fd, dev2, 0, DECL, RID_ALLOWED, 0);
	CHECK_INFO(self->fd, dev2, 5, DECL, PAGING, 0);

	/* The HWPT and its IOAS stay while any of them uses it. */
	EXPECT_EQ(EBUSY, destroy(self->fd, rid));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas[0]));
	ASSERT_EQ(0, device_detach(self->fd, self->mock));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 5));
	EXPECT_EQ(EBUSY, destroy(self->fd, rid));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas[0]));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, mock2, 7, PASID_IOVA));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, mock2, 7));
	EXPECT_EQ(ENOENT, destroy(self->fd, rid));
	EXPECT_EQ(0, destroy(self->fd, self->ioas[0]));
}

/* A PASID attachment reserves the device's regions in the IOAS too. */
TEST_F(pasid, reserved_regions)
{
	const __u64 msi = IOASID_TEST_MOCK_MSI_START;
	struct ioasid_iova_range r[4];
	__u32 n = 4, other;

	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 10, PAGING));
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas[0], r, &n));
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[0], false, NULL));
	n = 4;
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas[0], r, &n));
	ASSERT_EQ(2, n);
	EXPECT_EQ(msi - 1, r[0].last);
	EXPECT_EQ(msi + IOASID_TEST_MOCK_MSI_LENGTH, r[1].start);
	EXPECT_EQ(EADDRINUSE, ioas_map_fixed(self->fd, self->ioas[0],
					     self->buf + 2 * PG, PG, msi));
	/* An IOAS that maps the window keeps the PASID out. */
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, other, self->buf + 2 * PG, PG,
				    msi));
	EXPECT_EQ(EADDRINUSE, ioasid_pasid_attach(self->fd, self->mock, 6,
						  other, false, NULL));
	EXPECT_EQ(EADDRINUSE, ioasid_pasid_attach(self->fd, self->mock, 5,
						  other, true, NULL));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, 5,
					    PASID_IOVA));
	CHECK_INFO(self->fd, self->dev, 6, DECL, PAGING, 0);
	/* Detached, the window is free again. */
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 5));
	n = 4;
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas[0], r, &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ(0, ioas_map_fixed(self->fd, self->ioas[0],
				    self->buf + 2 * PG, PG, msi));
}

TEST_F(pasid, destroy_busy)
{
	__u32 user_hwpt, auto_hwpt, hwpt;

	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 10, PAGING));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas[0],
				&user_hwpt));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 1, user_hwpt,
					 false, &hwpt));
	EXPECT_EQ(user_hwpt, hwpt);
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 2,
					 self->ioas[1], false, &auto_hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, user_hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas[0]));
	EXPECT_EQ(EBUSY, destroy(self->fd, auto_hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas[1]));
	/* Still working. */
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, 1,
					    PASID_IOVA));
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, self->mock, 2,
					    PASID_IOVA));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 1));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 2));
	EXPECT_EQ(ENOENT, destroy(self->fd, auto_hwpt));
	EXPECT_EQ(0, destroy(self->fd, self->ioas[1]));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas[0]));
	EXPECT_EQ(0, destroy(self->fd, user_hwpt));
	EXPECT_EQ(0, destroy(self->fd, self->ioas[0]));
}

/* Revoking a range detaches its attached PASIDs, and only those. */
TEST_F(pasid, revoke_while_attached)
{
	__u32 h3, h5;

	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 10, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 3,
					 self->ioas[0], false, &h3));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[1], false, &h5));
	ASSERT_EQ(0, ioasid_revoke_pasid(self->fd, self->mock, 2, 4));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 3));
	EXPECT_EQ(-ENXIO, dma_read_byte(self->fd, self->mock, 3, PASID_IOVA));
	CHECK_INFO(self->fd, self->dev, 3, 0, 0, 0);
	CHECK_INFO(self->fd, self->dev, 2, 0, 0, 0);
	CHECK_INFO(self->fd, self->dev, 4, 0, 0, 0);
	/* Its automatic HWPT went with it. */
	EXPECT_EQ(ENOENT, destroy(self->fd, h3));
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->mock, 3,
					     self->ioas[0], false, NULL));
	/* Around the range: untouched. */
	CHECK_INFO(self->fd, self->dev, 1, DECL, PAGING, 0);
	CHECK_INFO(self->fd, self->dev, 5, ATT, PAGING, h5);
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, self->mock, 5,
					    PASID_IOVA));
	/* Allowed again: attachable again. */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 3, 3, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 3,
					 self->ioas[0], false, &h3));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, 3,
					    PASID_IOVA));
	/* The whole width. */
	ASSERT_EQ(0, ioasid_revoke_pasid(self->fd, self->mock, 1,
					 IOASID_PASID_MAX));
	CHECK_INFO(self->fd, self->dev, 3, 0, 0, 0);
	CHECK_INFO(self->fd, self->dev, 5, 0, 0, 0);
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 5));
	EXPECT_EQ(0, destroy(self->fd, self->ioas[0]));
	EXPECT_EQ(0, destroy(self->fd, self->ioas[1]));
}

/* A new policy over attached PASIDs detaches those it no longer permits. */
TEST_F(pasid, narrowing_the_policy)
{
	__u32 h[8];
	__u64 s5;
	int i;

	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 10, PAGING));
	for (i = 3; i <= 7; i++)
		ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, i,
						 self->ioas[i & 1], false,
						 &h[i]));
	s5 = pasid_serial(_metadata, self->fd, self->mock, 5);
	/* The owner keeps PASID 3 now. */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 3, 3, 0));
	CHECK_INFO(self->fd, self->dev, 3, DECL, 0, 0);
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 3));
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->mock, 3,
					     self->ioas[0], false, NULL));
	/* PASID 4 keeps only nesting and SVA: no paging. */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 4, 4,
					IOASID_PASID_CFG_NESTED |
					IOASID_PASID_CFG_SVA));
	CHECK_INFO(self->fd, self->dev, 4,  DECL,
		   IOASID_PASID_CFG_NESTED | IOASID_PASID_CFG_SVA, 0);
	EXPECT_EQ(-ENXIO, dma_read_byte(self->fd, self->mock, 4, PASID_IOVA));
	/* PASID 5 keeps paging, with more: it stays, untouched. */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 5, 5, CFG_ALL));
	CHECK_INFO(self->fd, self->dev, 5, ATT, CFG_ALL, h[5]);
	EXPECT_EQ(s5, pasid_serial(_metadata, self->fd, self->mock, 5));
	/* Over a range: 6 and 7 go, 5 stays (it keeps paging). */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 6, 9,
					IOASID_PASID_CFG_SVA));
	CHECK_INFO(self->fd, self->dev, 6, DECL, IOASID_PASID_CFG_SVA, 0);
	CHECK_INFO(self->fd, self->dev, 7, DECL, IOASID_PASID_CFG_SVA, 0);
	CHECK_INFO(self->fd, self->dev, 10, DECL, PAGING, 0);
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, self->mock, 5,
					    PASID_IOVA));
	/* Only PASID 5 holds an automatic HWPT now: IOAS 0 is free. */
	EXPECT_EQ(0, destroy(self->fd, self->ioas[0]));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas[1]));
}

/* Unbind, device removal and close with PASIDs attached. */
TEST_F(pasid, unbind_and_close_with_pasids)
{
	struct ioasid_test_mock_dev_add add = {
		.size = sizeof(add),
		.flags = IOASID_TEST_MOCK_DEV_PASID,
	};
	__u32 user_hwpt, h1, h2, g, mock, dev, ioas, index;
	int fd;

	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 10, PAGING));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas[0],
				&user_hwpt));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 1,
					 self->ioas[0], false, &h1));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 2,
					 self->ioas[1], false, &h2));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 3, user_hwpt,
					 false, NULL));
	ASSERT_EQ(0, device_attach(self->fd, self->mock, self->ioas[0], NULL,
				   false));
	ASSERT_EQ(0, device_unbind(self->fd, self->mock));
	/* Every PASID was detached: the automatic HWPTs are gone. */
	EXPECT_EQ(ENOENT, destroy(self->fd, h1));
	EXPECT_EQ(ENOENT, destroy(self->fd, h2));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 1));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 3));
	EXPECT_EQ(-ENXIO, dma_read_byte(self->fd, self->mock, 2, PASID_IOVA));
	EXPECT_EQ(0, destroy(self->fd, user_hwpt));
	EXPECT_EQ(0, destroy(self->fd, self->ioas[1]));
	/* A new binding starts without a policy. */
	ASSERT_EQ(0, device_bind(self->fd, self->mock, &self->dev));
	CHECK_INFO(self->fd, self->dev, 1, 0, 0, 0);
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->mock, 1,
					     self->ioas[0], false, NULL));

	/* Removing the device unbinds it and detaches its PASIDs. */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 10, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 4,
					 self->ioas[0], false, &h1));
	ASSERT_EQ(0, destroy(self->fd, self->mock));
	EXPECT_EQ(ENOENT, destroy(self->fd, h1));
	EXPECT_EQ(0, destroy(self->fd, self->ioas[0]));

	/* A context closed with PASIDs attached leaves nothing behind. */
	fd = open_ioasid();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, ioas_map_fixed(fd, ioas, self->buf, 2 * PG, PASID_IOVA));
	ASSERT_EQ(0, ioctl_err(fd, IOASID_TEST_MOCK_DEV_ADD, &add));
	index = add.out_index;
	mock = add.out_dev_id;
	ASSERT_EQ(0, device_bind(fd, mock, &dev));
	ASSERT_EQ(0, ioasid_allow_pasid(fd, mock, 1, 100, PAGING));
	ASSERT_EQ(0, ioasid_pasid_alloc(fd, dev, &g));
	ASSERT_EQ(0, ioasid_allow_pasid(fd, mock, g, g, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(fd, mock, g, ioas, false, NULL));
	ASSERT_EQ(0, ioasid_pasid_attach(fd, mock, g == 7 ? 8 : 7, ioas,
					 false, NULL));
	ASSERT_EQ(0, device_attach(fd, mock, ioas, NULL, false));
	ASSERT_EQ(0, close(fd));
	EXPECT_FALSE(mock_dev_present(index));
	/* This context's IOASes are gone too: nothing stays pinned. */
	EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
}

/* Devices of one IOMMU group share the attachment of each PASID. */
/*
 * A device that leaves an IOMMU group while a PASID of the group is
 * attached takes nothing with it: the PASID stays for the devices that
 * stay, and the one that left holds no page table (which the test driver
 * would catch when the device, or the page table, is freed).
 */
TEST_F(pasid, group_member_leaves_with_a_pasid_attached)
{
	__u32 gmock, h0;
	__u64 s0;

	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, IOASID_TEST_MOCK_DEV_GROUP |
					 IOASID_TEST_MOCK_DEV_PASID,
					 self->mock, 0, &gmock));
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 10, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[0], false, &h0));
	s0 = pasid_serial(_metadata, self->fd, self->mock, 5);
	EXPECT_NE(0, s0);
	/* The IOMMU core gives the group's PASID to every device in it. */
	EXPECT_EQ(s0, pasid_serial(_metadata, self->fd, gmock, 5));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, gmock, 5, PASID_IOVA));

	ASSERT_EQ(0, destroy(self->fd, gmock));
	EXPECT_EQ(s0, pasid_serial(_metadata, self->fd, self->mock, 5));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, 5,
					    PASID_IOVA));
	CHECK_INFO(self->fd, self->dev, 5, ATT, PAGING, h0);
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 5));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 5));
	/* The HWPT went with its last attachment. */
	EXPECT_EQ(ENOENT, destroy(self->fd, h0));
}

TEST_F(pasid, group_shares_a_pasid)
{
	__u32 gmock, gdev, h0, h1, user_hwpt;
	__u64 s0, s1;

	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, IOASID_TEST_MOCK_DEV_GROUP |
					 IOASID_TEST_MOCK_DEV_PASID,
					 self->mock, 0, &gmock));
	ASSERT_EQ(0, device_bind(self->fd, gmock, &gdev));
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1, 10, PAGING));
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, gmock, 1, 10, PAGING));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas[0],
				&user_hwpt));

	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[0], false, &h0));
	s0 = pasid_serial(_metadata, self->fd, self->mock, 5);
	EXPECT_NE(0, s0);
	EXPECT_EQ(s0, pasid_serial(_metadata, self->fd, gmock, 5));
	/* Only this device's own attachment shows in its info. */
	CHECK_INFO(self->fd, gdev, 5, DECL, PAGING, 0);
	/* The other device cannot take PASID 5 elsewhere ... */
	EXPECT_EQ(EBUSY, ioasid_pasid_attach(self->fd, gmock, 5,
					     self->ioas[1], false, NULL));
	EXPECT_EQ(EBUSY, ioasid_pasid_attach(self->fd, gmock, 5,
					     self->ioas[1], true, NULL));
	/* (another HWPT of the same IOAS is another page table) */
	EXPECT_EQ(EBUSY, ioasid_pasid_attach(self->fd, gmock, 5, user_hwpt,
					     false, NULL));
	EXPECT_EQ(s0, pasid_serial(_metadata, self->fd, gmock, 5));
	/* ... but joins the same page table. */
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, gmock, 5, self->ioas[0],
					 false, &h1));
	EXPECT_EQ(h0, h1);
	CHECK_INFO(self->fd, gdev, 5, ATT, PAGING, h0);
	/* Neither moves alone while both are attached. */
	EXPECT_EQ(EBUSY, ioasid_pasid_attach(self->fd, self->mock, 5,
					     self->ioas[1], true, NULL));
	EXPECT_EQ(s0, pasid_serial(_metadata, self->fd, self->mock, 5));
	/* Other PASIDs of the group are free to differ. */
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, gmock, 6, self->ioas[1],
					 false, NULL));
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, gmock, 6, PASID_IOVA));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, gmock, 5, PASID_IOVA));

	/* The PASID stays attached while one device of the group is. */
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, 5));
	CHECK_INFO(self->fd, self->dev, 5, DECL, PAGING, 0);
	CHECK_INFO(self->fd, gdev, 5, ATT, PAGING, h0);
	EXPECT_EQ(s0, pasid_serial(_metadata, self->fd, gmock, 5));
	EXPECT_EQ(EBUSY, destroy(self->fd, h0));
	/* The last one attached moves it. */
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, gmock, 5, self->ioas[1],
					 true, &h1));
	s1 = pasid_serial(_metadata, self->fd, gmock, 5);
	EXPECT_NE(s0, s1);
	EXPECT_EQ(s1, pasid_serial(_metadata, self->fd, self->mock, 5));
	EXPECT_EQ(ENOENT, destroy(self->fd, h0));
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, gmock, 5, PASID_IOVA));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, gmock, 5));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, self->mock, 5));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, gmock, 5));
	/* Unbinding one detaches its PASIDs. */
	ASSERT_EQ(0, device_unbind(self->fd, gmock));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, gmock, 6));
}

TEST_F(pasid, global_alloc_free)
{
	struct ioasid_pasid_alloc alloc = {
		.size = sizeof(alloc),
		.dev_id = self->dev,
	};
	struct ioasid_pasid_free fr = { .size = sizeof(fr) };
	__u32 g, g2, plain, plain_dev;

	ASSERT_EQ(0, ioasid_pasid_alloc(self->fd, self->dev, &g));
	EXPECT_LE(1, g);
	EXPECT_GT(PASID_COUNT, g);
	CHECK_INFO(self->fd, self->dev, g, IOASID_PASID_INFO_GLOBAL, 0, 0);
	ASSERT_EQ(0, ioasid_pasid_alloc(self->fd, self->dev, &g2));
	EXPECT_NE(g, g2);
	/* A global PASID is attached within the device's policy. */
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->mock, g,
					     self->ioas[0], false, NULL));
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, g, g, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, g,
					 self->ioas[0], false, NULL));
	EXPECT_EQ(IOASID_PASID_INFO_GLOBAL | ATT,
		  ioasid_pasid_flags(self->fd, self->dev, g));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, g,
					    PASID_IOVA));
	/* Held while attached. */
	EXPECT_EQ(EBUSY, ioasid_pasid_free(self->fd, g));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, g));
	ASSERT_EQ(0, ioasid_pasid_free(self->fd, g));
	EXPECT_EQ(ENOENT, ioasid_pasid_free(self->fd, g));
	CHECK_INFO(self->fd, self->dev, g, DECL, PAGING, 0);
	/* A device-local PASID again, for its holder as for anyone. */
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, g,
					 self->ioas[0], false, NULL));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, g));

	/* Errors. */
	EXPECT_EQ(ENOENT, ioasid_pasid_free(self->fd, 0));
	EXPECT_EQ(ENOENT, ioasid_pasid_free(self->fd, g2 == 77 ? 78 : 77));
	EXPECT_EQ(ENOENT, ioasid_pasid_free(self->fd, ~0U));
	EXPECT_EQ(ENOENT, ioasid_pasid_alloc(self->fd, 9999, NULL));
	EXPECT_EQ(ENOENT, ioasid_pasid_alloc(self->fd, self->mock, NULL));
	EXPECT_EQ(ENOENT, ioasid_pasid_alloc(self->fd, self->ioas[0], NULL));
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, 0, 0, 0, &plain));
	ASSERT_EQ(0, device_bind(self->fd, plain, &plain_dev));
	EXPECT_EQ(ENODEV, ioasid_pasid_alloc(self->fd, plain_dev, NULL));
	alloc.flags = 1;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_PASID_ALLOC, &alloc));
	fr.pasid = g2;
	fr.flags = 1;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_PASID_FREE, &fr));
	fr.flags = 0;
	fr.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_PASID_FREE, &fr));
	/* None of those freed it. */
	CHECK_INFO(self->fd, self->dev, g2, IOASID_PASID_INFO_GLOBAL, 0, 0);
	/* Nor does an unbind: the context holds it. */
	ASSERT_EQ(0, device_unbind(self->fd, self->mock));
	ASSERT_EQ(0, device_bind(self->fd, self->mock, &self->dev));
	CHECK_INFO(self->fd, self->dev, g2, IOASID_PASID_INFO_GLOBAL, 0, 0);
	EXPECT_EQ(0, ioasid_pasid_free(self->fd, g2));
}

/* Values of [1, @count) that GET_PASID_INFO of @dev reports TAKEN. */
static unsigned int count_taken(int fd, __u32 dev, __u32 count)
{
	unsigned int n = 0;
	__u32 pasid;

	for (pasid = 1; pasid < count; pasid++)
		if (ioasid_pasid_flags(fd, dev, pasid) &
		    IOASID_PASID_INFO_TAKEN)
			n++;
	return n;
}

TEST_F(pasid, global_limit_per_context)
{
	enum { LIMIT = IOASID_GLOBAL_PASIDS_MAX };
	static unsigned char seen[PASID_COUNT];
	__u32 g, first = 0, mock2, dev2;
	unsigned int n;
	int rc = 0, fd2;

	memset(seen, 0, sizeof(seen));
	for (n = 0; n < LIMIT + 16; n++) {
		rc = ioasid_pasid_alloc(self->fd, self->dev, &g);
		if (rc)
			break;
		ASSERT_LE(1, g);
		ASSERT_GT(PASID_COUNT, g);
		ASSERT_EQ(0, seen[g]) TH_LOG("PASID %u twice", g);
		seen[g] = 1;
		if (!first)
			first = g;
	}
	EXPECT_EQ(ENOSPC, rc);
	EXPECT_EQ(LIMIT, n);
	/* One given back: one more. */
	ASSERT_EQ(0, ioasid_pasid_free(self->fd, first));
	ASSERT_EQ(0, ioasid_pasid_alloc(self->fd, self->dev, &g));
	EXPECT_EQ(ENOSPC, ioasid_pasid_alloc(self->fd, self->dev, NULL));
	/* Another context has a quota of its own. */
	fd2 = open_ioasid();
	ASSERT_LE(0, fd2);
	pasid_dev(_metadata, fd2, IOASID_TEST_MOCK_DEV_PASID, 0, 0, &mock2,
		  &dev2);
	EXPECT_EQ(0, ioasid_pasid_alloc(fd2, dev2, &g));
	close(fd2);
}

/* An 8-bit device: at most 255 global PASIDs, fewer if others hold some. */
TEST_F(pasid, global_exhaust_a_narrow_width)
{
	__u32 mock8, dev8, g, taken;
	unsigned char seen[256] = {};
	unsigned int n;
	int rc = 0;

	pasid_dev(_metadata, self->fd, IOASID_TEST_MOCK_DEV_PASID_BITS, 8, 0,
		  &mock8, &dev8);
	taken = count_taken(self->fd, dev8, 256);
	for (n = 0; n < 300; n++) {
		rc = ioasid_pasid_alloc(self->fd, dev8, &g);
		if (rc)
			break;
		ASSERT_LE(1, g);
		ASSERT_GT(256, g);
		ASSERT_EQ(0, seen[g]);
		seen[g] = 1;
		EXPECT_EQ(IOASID_PASID_INFO_GLOBAL,
			  ioasid_pasid_flags(self->fd, dev8, g));
	}
	EXPECT_EQ(ENOSPC, rc);
	EXPECT_EQ(255 - taken, n);
	/* The wide device still gets values beyond the narrow width. */
	ASSERT_EQ(0, ioasid_pasid_alloc(self->fd, self->dev, &g));
	EXPECT_LE(256, g);
	/* One freed within the width comes back. */
	for (g = 1; g < 256 && !seen[g]; g++)
		;
	ASSERT_GT(256, g);
	ASSERT_EQ(0, ioasid_pasid_free(self->fd, g));
	ASSERT_EQ(0, ioasid_pasid_alloc(self->fd, dev8, &n));
	EXPECT_EQ(g, n);
}

/* One global PASID of a context on two of its devices. */
TEST_F(pasid, global_shared_by_two_devices)
{
	__u32 mock2, dev2, g, ha, hb;

	pasid_dev(_metadata, self->fd, IOASID_TEST_MOCK_DEV_PASID, 0, 0,
		  &mock2, &dev2);
	ASSERT_EQ(0, ioasid_pasid_alloc(self->fd, self->dev, &g));
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, g, g, PAGING));
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, mock2, g, g, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, g,
					 self->ioas[0], false, &ha));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, mock2, g, self->ioas[1],
					 false, &hb));
	EXPECT_NE(ha, hb);
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, g,
					    PASID_IOVA));
	EXPECT_EQ(pattern(1), dma_read_byte(self->fd, mock2, g, PASID_IOVA));
	CHECK_INFO(self->fd, self->dev, g, ATT | IOASID_PASID_INFO_GLOBAL,
		   PAGING, ha);
	CHECK_INFO(self->fd, dev2, g, ATT | IOASID_PASID_INFO_GLOBAL, PAGING,
		   hb);
	EXPECT_EQ(EBUSY, ioasid_pasid_free(self->fd, g));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, g));
	EXPECT_EQ(EBUSY, ioasid_pasid_free(self->fd, g));
	/* A revoke detaches too. */
	ASSERT_EQ(0, ioasid_revoke_pasid(self->fd, mock2, g, g));
	CHECK_INFO(self->fd, dev2, g, IOASID_PASID_INFO_GLOBAL, 0, 0);
	EXPECT_EQ(0, ioasid_pasid_free(self->fd, g));
}

/* A global PASID of one context is taken for every other one. */
TEST_F(pasid, global_across_contexts)
{
	static __u32 held[IOASID_GLOBAL_PASIDS_MAX];
	__u32 mock_a, dev_a, mock_b, dev_b, g;
	unsigned int n;
	int fd_a;

	fd_a = open_ioasid();
	ASSERT_LE(0, fd_a);
	pasid_dev(_metadata, fd_a, IOASID_TEST_MOCK_DEV_PASID, 0, 0, &mock_a,
		  &dev_a);
	ASSERT_EQ(0, ioasid_pasid_alloc(fd_a, dev_a, &g));
	mock_b = self->mock;
	dev_b = self->dev;
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, mock_b, g, g, PAGING));

	CHECK_INFO(fd_a, dev_a, g, IOASID_PASID_INFO_GLOBAL, 0, 0);
	CHECK_INFO(self->fd, dev_b, g, DECL | IOASID_PASID_INFO_TAKEN, PAGING,
		   0);
	/* Policy first, then the holder. */
	EXPECT_EQ(EBUSY, ioasid_pasid_attach(self->fd, mock_b, g,
					     self->ioas[0], false, NULL));
	EXPECT_EQ(EBUSY, ioasid_pasid_attach(self->fd, mock_b, g,
					     self->ioas[0], true, NULL));
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, mock_b, g));
	EXPECT_EQ(ENOENT, ioasid_pasid_free(self->fd, g));
	/* This context never gets it. */
	for (n = 0; n < IOASID_GLOBAL_PASIDS_MAX; n++) {
		if (ioasid_pasid_alloc(self->fd, dev_b, &held[n]))
			break;
		ASSERT_NE(g, held[n]);
	}
	while (n--)
		ASSERT_EQ(0, ioasid_pasid_free(self->fd, held[n]));

	/* Once its holder closes, the value is free for anyone. */
	ASSERT_EQ(0, close(fd_a));
	CHECK_INFO(self->fd, dev_b, g, DECL, PAGING, 0);
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, mock_b, g, self->ioas[0],
					 false, NULL));
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, mock_b, g, PASID_IOVA));
}

/*
 * A device-local PASID attached by one context does not stop another from
 * allocating that value, nor is it detached by that.
 */
TEST_F(pasid, global_value_used_locally_elsewhere)
{
	__u32 mock_a, dev_a, g;
	int fd_a;

	fd_a = open_ioasid();
	ASSERT_LE(0, fd_a);
	pasid_dev(_metadata, fd_a, IOASID_TEST_MOCK_DEV_PASID, 0, 0, &mock_a,
		  &dev_a);
	ASSERT_EQ(0, ioasid_pasid_alloc(fd_a, dev_a, &g));
	ASSERT_EQ(0, ioasid_pasid_free(fd_a, g));
	/* Used as a device-local PASID here ... */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, g, g, PAGING));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, g,
					 self->ioas[0], false, NULL));
	/* ... it stays attached whatever the other context allocates. */
	while (!ioasid_pasid_alloc(fd_a, dev_a, NULL))
		;
	EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock, g,
					    PASID_IOVA));
	close(fd_a);
}

/* ---- Kernel PASIDs: a kernel driver's DMA-API PASID ---------------------- */

static int kpasid(int fd, __u32 op, __u32 mock, __u32 pasid)
{
	return ioasid_kernel_pasid(fd, op, mock, &pasid);
}

TEST_F(pasid, kernel_pasid)
{
	struct ioasid_test_kernel_pasid cmd = { .size = sizeof(cmd) };
	__u32 kmock, kp, kp2 = 0, mock_b, dev_b, v, dflags, index;
	unsigned char data[16];
	unsigned int n;
	__u64 serial;
	int fd_b, rc;

	{
		struct ioasid_test_mock_dev_add add = {
			.size = sizeof(add),
			.flags = IOASID_TEST_MOCK_DEV_KERNEL_DMA |
				 IOASID_TEST_MOCK_DEV_PASID,
		};

		ASSERT_EQ(0, ioctl_err(self->fd, IOASID_TEST_MOCK_DEV_ADD,
				       &add));
		kmock = add.out_dev_id;
		index = add.out_index;
	}
	/* Its default domain is the identity: no mock DMA through it. */
	ASSERT_EQ(0, ioasid_pasid_domain(self->fd, kmock, 0, &serial, &dflags));
	EXPECT_EQ(0, serial);
	EXPECT_TRUE(dflags & IOASID_TEST_DOMAIN_IDENTITY);
	EXPECT_EQ(ENXIO, ioasid_mock_dma(self->fd, kmock, 0, PASID_IOVA, data,
					 sizeof(data), false));

	kp = 0;
	ASSERT_EQ(0, ioasid_kernel_pasid(self->fd,
					 IOASID_TEST_KERNEL_PASID_ALLOC, kmock,
					 &kp));
	EXPECT_LE(1, kp);
	EXPECT_GT(PASID_COUNT, kp);
	EXPECT_EQ(EBUSY, ioasid_kernel_pasid(self->fd,
					     IOASID_TEST_KERNEL_PASID_ALLOC,
					     kmock, &kp2));
	EXPECT_EQ(0, kpasid(self->fd, IOASID_TEST_KERNEL_PASID_DMA, kmock, kp));
	ASSERT_EQ(0, ioasid_pasid_domain(self->fd, kmock, kp, &serial,
					 &dflags));
	EXPECT_EQ(0, serial);
	EXPECT_TRUE(dflags & IOASID_TEST_DOMAIN_IDENTITY);
	EXPECT_EQ(ENOENT, kpasid(self->fd, IOASID_TEST_KERNEL_PASID_DMA, kmock,
				 kp + 1));
	EXPECT_EQ(ENOENT, kpasid(self->fd, IOASID_TEST_KERNEL_PASID_FREE,
				 kmock, kp + 1));
	EXPECT_EQ(ENOENT, kpasid(self->fd, IOASID_TEST_KERNEL_PASID_DMA, 9999,
				 kp));

	/* Its device cannot be bound meanwhile. */
	EXPECT_EQ(EBUSY, device_bind(self->fd, kmock, NULL));
	/* The value is taken for every context, ... */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, kp, kp, PAGING));
	CHECK_INFO(self->fd, self->dev, kp, DECL | IOASID_PASID_INFO_TAKEN,
		   PAGING, 0);
	EXPECT_EQ(EBUSY, ioasid_pasid_attach(self->fd, self->mock, kp,
					     self->ioas[0], false, NULL));
	fd_b = open_ioasid();
	ASSERT_LE(0, fd_b);
	pasid_dev(_metadata, fd_b, IOASID_TEST_MOCK_DEV_PASID, 0, 0, &mock_b,
		  &dev_b);
	CHECK_INFO(fd_b, dev_b, kp, IOASID_PASID_INFO_TAKEN, 0, 0);
	/* ... and never allocated to one. */
	for (n = 0; n < IOASID_GLOBAL_PASIDS_MAX; n++) {
		if (ioasid_pasid_alloc(fd_b, dev_b, &v))
			break;
		ASSERT_NE(kp, v);
	}
	close(fd_b);

	/* Freed: the value is free again. */
	ASSERT_EQ(0, kpasid(self->fd, IOASID_TEST_KERNEL_PASID_FREE, kmock,
			    kp));
	EXPECT_EQ(ENOENT, kpasid(self->fd, IOASID_TEST_KERNEL_PASID_FREE,
				 kmock, kp));
	EXPECT_EQ(ENOENT, kpasid(self->fd, IOASID_TEST_KERNEL_PASID_DMA, kmock,
				 kp));
	CHECK_INFO(self->fd, self->dev, kp, DECL, PAGING, 0);
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, kp,
					 self->ioas[0], false, NULL));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock, kp));

	/* Destroying the device releases the kernel PASID it holds. */
	ASSERT_EQ(0, ioasid_kernel_pasid(self->fd,
					 IOASID_TEST_KERNEL_PASID_ALLOC, kmock,
					 &kp));
	EXPECT_TRUE(ioasid_pasid_flags(self->fd, self->dev, kp) &
		    IOASID_PASID_INFO_TAKEN);
	ASSERT_EQ(0, destroy(self->fd, kmock));
	EXPECT_FALSE(mock_dev_present(index));
	EXPECT_FALSE(ioasid_pasid_flags(self->fd, self->dev, kp) &
		     IOASID_PASID_INFO_TAKEN);

	/* Refused: a bound device, one without the DMA API, or no PASID. */
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd,
					 IOASID_TEST_MOCK_DEV_KERNEL_DMA |
					 IOASID_TEST_MOCK_DEV_PASID, 0, 0,
					 &kmock));
	ASSERT_EQ(0, device_bind(self->fd, kmock, NULL));
	EXPECT_EQ(EBUSY, ioasid_kernel_pasid(self->fd,
					     IOASID_TEST_KERNEL_PASID_ALLOC,
					     kmock, &kp));
	/* Bound, it is blocked like any other. */
	EXPECT_EQ(0, pasid_serial(_metadata, self->fd, kmock, 0));
	ASSERT_EQ(0, device_unbind(self->fd, kmock));
	rc = ioasid_kernel_pasid(self->fd, IOASID_TEST_KERNEL_PASID_ALLOC,
				 kmock, &kp);
	EXPECT_EQ(0, rc);
	if (!rc)
		EXPECT_EQ(0, kpasid(self->fd, IOASID_TEST_KERNEL_PASID_DMA,
				    kmock, kp));
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, IOASID_TEST_MOCK_DEV_PASID,
					 0, 0, &kmock));
	EXPECT_EQ(EOPNOTSUPP, ioasid_kernel_pasid(self->fd,
						  IOASID_TEST_KERNEL_PASID_ALLOC,
						  kmock, &kp));
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd,
					 IOASID_TEST_MOCK_DEV_KERNEL_DMA, 0, 0,
					 &kmock));
	EXPECT_EQ(ENODEV, ioasid_kernel_pasid(self->fd,
					      IOASID_TEST_KERNEL_PASID_ALLOC,
					      kmock, &kp));
	EXPECT_EQ(ENOENT, ioasid_kernel_pasid(self->fd,
					      IOASID_TEST_KERNEL_PASID_ALLOC,
					      9999, &kp));
	cmd.dev_id = kmock;
	cmd.flags = 1;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_TEST_KERNEL_PASID,
					&cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_TEST_KERNEL_PASID, &cmd));
}

/* ---- Replace is atomic: DMA is never blocked while a PASID moves -------- */

struct dma_reader {
	int fd;
	__u32 mock, pasid;
	volatile bool stop;
	unsigned long reads, blocked, wrong;
	int last_err;
};

static void *dma_reader_thread(void *arg)
{
	struct dma_reader *r = arg;
	int v;

	while (!r->stop) {
		v = dma_read_byte(r->fd, r->mock, r->pasid, PASID_IOVA);
		r->reads++;
		if (v == pattern(0) || v == pattern(1))
			continue;
		if (v == -ENXIO)
			r->blocked++;
		else
			r->wrong++;
		r->last_err = v;
	}
	return NULL;
}

TEST_F_TIMEOUT(pasid, replace_never_blocks_dma, 120)
{
	struct dma_reader r = {
		.fd = self->fd,
		.mock = self->mock,
		.pasid = 5,
	};
	__u64 end = ioasid_now_ns() + 2 * 1000000000ULL;
	unsigned long moves = 0;
	__u32 user_hwpt, pt;
	pthread_t thread;

	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 5, 5, PAGING));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas[1],
				&user_hwpt));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5,
					 self->ioas[0], false, NULL));
	ASSERT_EQ(0, pthread_create(&thread, NULL, dma_reader_thread, &r));
	while (ioasid_now_ns() < end) {
		/* IOAS 0, a user HWPT of IOAS 1, IOAS 1 (a new HWPT). */
		switch (moves++ % 3) {
		case 0:
			pt = user_hwpt;
			break;
		case 1:
			pt = self->ioas[1];
			break;
		default:
			pt = self->ioas[0];
			break;
		}
		ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, 5, pt,
						 true, NULL));
	}
	r.stop = true;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	TH_LOG("%lu replaces, %lu reads", moves, r.reads);
	EXPECT_EQ(0, r.blocked);
	EXPECT_EQ(0, r.wrong) TH_LOG("last result %d", r.last_err);
	EXPECT_LT(0, r.reads);
}

/* ---- A policy changing under attachments -------------------------------- */

struct policy_race {
	int fd;
	__u32 mock, dev, ioas;
	volatile bool stop;
	unsigned long attached, inconsistent, unexpected, after_return;
	__u32 bad_flags, bad_allowed;
};

/*
 * Attach PASID 5, look at it, detach it, again and again: whatever the
 * owner does meanwhile, an attached PASID is one its policy permits.
 */
static void *policy_race_attacher(void *arg)
{
	struct policy_race *r = arg;
	struct ioasid_device_get_pasid_info info;
	int rc;

	while (!r->stop) {
		rc = ioasid_pasid_attach(r->fd, r->mock, 5, r->ioas, false,
					 NULL);
		if (rc == EPERM)
			continue;
		if (rc) {
			r->unexpected++;
			continue;
		}
		r->attached++;
		if (ioasid_pasid_info(r->fd, r->dev, 5, &info)) {
			r->unexpected++;
		} else if ((info.out_flags & IOASID_PASID_INFO_ATTACHED) &&
			   (!(info.out_flags & IOASID_PASID_INFO_DECLARED) ||
			    !(info.out_allowed & PAGING))) {
			r->inconsistent++;
			r->bad_flags = info.out_flags;
			r->bad_allowed = info.out_allowed;
		}
		if (ioasid_pasid_detach(r->fd, r->mock, 5))
			r->unexpected++;
	}
	return NULL;
}

TEST_F_TIMEOUT(pasid, policy_change_racing_attach, 120)
{
	struct policy_race r = {
		.fd = self->fd,
		.mock = self->mock,
		.dev = self->dev,
		.ioas = self->ioas[0],
	};
	__u64 end = ioasid_now_ns() + 3 * 1000000000ULL;
	struct ioasid_device_get_pasid_info info;
	unsigned long rounds = 0;
	pthread_t thread;

	ASSERT_EQ(0, pthread_create(&thread, NULL, policy_race_attacher, &r));
	while (ioasid_now_ns() < end) {
		EXPECT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 4, 6,
						PAGING));
		usleep(100);
		switch (rounds++ % 3) {
		case 0:
			EXPECT_EQ(0, ioasid_revoke_pasid(self->fd, self->mock,
							 5, 5));
			break;
		case 1:
			EXPECT_EQ(0, ioasid_allow_pasid(self->fd, self->mock,
							5, 5, 0));
			break;
		default:
			EXPECT_EQ(0, ioasid_allow_pasid(self->fd, self->mock,
							1, 9,
							IOASID_PASID_CFG_SVA));
			break;
		}
		/* What the owner withdrew is not attached once it returns. */
		ASSERT_EQ(0, ioasid_pasid_info(self->fd, self->dev, 5, &info));
		if (info.out_flags & IOASID_PASID_INFO_ATTACHED)
			r.after_return++;
	}
	r.stop = true;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	TH_LOG("%lu policy changes, %lu attachments", rounds, r.attached);
	EXPECT_EQ(0, r.unexpected);
	/* Seen while the owner changed the policy: detached first. */
	EXPECT_EQ(0, r.inconsistent)
		TH_LOG("attached against the policy: flags 0x%x allowed 0x%x",
		       r.bad_flags, r.bad_allowed);
	/* Still attached after the owner's call returned. */
	EXPECT_EQ(0, r.after_return);
	EXPECT_LT(0, r.attached);
}

/* ---- At scale, against a model ------------------------------------------ */

#define MODEL_NONE	0xff	/* not declared */
#define MODEL_ATTACHED	64	/* PASIDs attached at most at a time */

static __u64 pasid_seed(struct __test_metadata *_metadata, const char *what)
{
	__u64 seed = ioasid_env_seed("IOASID_PASID_SEED");

	TH_LOG("%s: seed 0x%llx (replay with IOASID_PASID_SEED=0x%llx)", what,
	       (unsigned long long)seed, (unsigned long long)seed);
	return seed;
}

struct policy_model {
	unsigned char cfg[PASID_COUNT];		/* configs, or MODEL_NONE */
	__u32 att[MODEL_ATTACHED];		/* attached PASIDs */
	unsigned int natt;
	__u32 hwpt;				/* their HWPT, while natt */
};

static int model_att_index(struct policy_model *m, __u32 pasid)
{
	unsigned int i;

	for (i = 0; i < m->natt; i++)
		if (m->att[i] == pasid)
			return i;
	return -1;
}

static void model_check_pasid(struct __test_metadata *_metadata, int fd,
			      __u32 dev, struct policy_model *m, __u32 pasid,
			      unsigned int op)
{
	struct ioasid_device_get_pasid_info info;
	bool att = model_att_index(m, pasid) >= 0;
	__u32 flags = 0;

	if (!pasid || pasid >= PASID_COUNT)
		return;
	if (m->cfg[pasid] != MODEL_NONE)
		flags |= IOASID_PASID_INFO_DECLARED;
	if (att)
		flags |= IOASID_PASID_INFO_ATTACHED;
	ASSERT_EQ(0, ioasid_pasid_info(fd, dev, pasid, &info));
	ASSERT_EQ(flags, info.out_flags)
		TH_LOG("op %u: PASID %u", op, pasid);
	ASSERT_EQ(m->cfg[pasid] == MODEL_NONE ? 0 : m->cfg[pasid],
		  info.out_allowed)
		TH_LOG("op %u: PASID %u", op, pasid);
	ASSERT_EQ(att ? m->hwpt : 0, info.out_pt_id)
		TH_LOG("op %u: PASID %u", op, pasid);
}

/* PASIDs of [@first, @last] lose attachments the new @cfg does not permit. */
static void model_set(struct policy_model *m, __u32 first, __u32 last,
		      unsigned char cfg)
{
	unsigned int i;

	memset(m->cfg + first, cfg, last - first + 1);
	if (cfg != MODEL_NONE && (cfg & PAGING))
		return;
	for (i = 0; i < m->natt;) {
		if (m->att[i] >= first && m->att[i] <= last)
			m->att[i] = m->att[--m->natt];
		else
			i++;
	}
}

static void random_range(__u64 *rng, __u32 *first, __u32 *last)
{
	__u64 len, r = ioasid_rng_below(rng, 10);

	*first = 1 + ioasid_rng_below(rng, PASID_COUNT - 1);
	if (r < 5)
		len = 1 + ioasid_rng_below(rng, 16);
	else if (r < 8)
		len = 1 + ioasid_rng_below(rng, 4096);
	else
		len = 1 + ioasid_rng_below(rng, PASID_COUNT);
	*last = *first + len - 1 < PASID_COUNT ? *first + len - 1 :
		PASID_COUNT - 1;
}

/*
 * Random allow and revoke of random ranges, with PASIDs attached among
 * them, against a byte per PASID: every call's result and the info of the
 * range's edges and of random PASIDs.
 */
TEST_F_TIMEOUT(pasid, model_allow_revoke, 600)
{
	static struct policy_model m;
	__u64 rng = ioasid_rng_seed(pasid_seed(_metadata, "allow/revoke"), 1);
	__u64 deadline = ioasid_now_ns() + 20 * 1000000000ULL;
	unsigned int op, nops = 4000, calls[4] = {};
	__u32 first, last, pasid, hwpt;
	bool replace;
	int rc, i;

	memset(&m, 0, sizeof(m));
	memset(m.cfg, MODEL_NONE, sizeof(m.cfg));
	for (op = 0; op < nops && ioasid_now_ns() < deadline; op++) {
		unsigned int r = ioasid_rng_below(&rng, 100);
		__u32 cfg = ioasid_rng_below(&rng, CFG_ALL + 1);

		random_range(&rng, &first, &last);
		if (r < 40) {
			calls[0]++;
			ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock,
							first, last, cfg))
				TH_LOG("op %u: allow %u-%u", op, first, last);
			model_set(&m, first, last, cfg);
		} else if (r < 65) {
			calls[1]++;
			ASSERT_EQ(0, ioasid_revoke_pasid(self->fd, self->mock,
							 first, last))
				TH_LOG("op %u: revoke %u-%u", op, first, last);
			model_set(&m, first, last, MODEL_NONE);
		} else if (r < 75) {
			/* Refused, and changing nothing. */
			calls[2]++;
			switch (r % 5) {
			case 0:
				rc = ioasid_allow_pasid(self->fd, self->mock,
							0, last, cfg);
				break;
			case 1:
				rc = ioasid_allow_pasid(self->fd, self->mock,
							last + 1, last, cfg);
				break;
			case 2:
				rc = ioasid_allow_pasid(self->fd, self->mock,
							first, PASID_COUNT +
							(__u32)r, cfg);
				break;
			case 3:
				rc = ioasid_allow_pasid(self->fd, self->mock,
							first, last,
							cfg | (CFG_ALL + 1));
				break;
			default:
				rc = ioasid_revoke_pasid(self->fd, self->mock,
							 last + 1, last);
				break;
			}
			ASSERT_EQ(EINVAL, rc) TH_LOG("op %u", op);
		} else {
			/* Attach one: near the range, or one attached. */
			calls[3]++;
			pasid = ioasid_rng_below(&rng, 2) ? first : last;
			if (m.natt && ioasid_rng_below(&rng, 4) == 0)
				pasid = m.att[ioasid_rng_below(&rng, m.natt)];
			if (model_att_index(&m, pasid) < 0 &&
			    m.natt == MODEL_ATTACHED) {
				i = ioasid_rng_below(&rng, m.natt);
				ASSERT_EQ(0, ioasid_pasid_detach(self->fd,
								 self->mock,
								 m.att[i]));
				m.att[i] = m.att[--m.natt];
			}
			replace = ioasid_rng_below(&rng, 2);
			rc = ioasid_pasid_attach(self->fd, self->mock, pasid,
						 self->ioas[0], replace,
						 &hwpt);
			if (model_att_index(&m, pasid) >= 0) {
				/* Attached already: a replace is a no-op. */
				ASSERT_EQ(replace ? 0 : EBUSY, rc)
					TH_LOG("op %u: PASID %u", op, pasid);
				if (!rc)
					ASSERT_EQ(m.hwpt, hwpt);
			} else if (m.cfg[pasid] != MODEL_NONE &&
				   (m.cfg[pasid] & PAGING)) {
				ASSERT_EQ(0, rc)
					TH_LOG("op %u: PASID %u", op, pasid);
				if (m.natt)
					ASSERT_EQ(m.hwpt, hwpt);
				m.hwpt = hwpt;
				m.att[m.natt++] = pasid;
			} else {
				ASSERT_EQ(EPERM, rc)
					TH_LOG("op %u: PASID %u", op, pasid);
			}
		}
		model_check_pasid(_metadata, self->fd, self->dev, &m,
				  first - 1, op);
		model_check_pasid(_metadata, self->fd, self->dev, &m, first,
				  op);
		model_check_pasid(_metadata, self->fd, self->dev, &m, last,
				  op);
		model_check_pasid(_metadata, self->fd, self->dev, &m, last + 1,
				  op);
		for (i = 0; i < 2; i++)
			model_check_pasid(_metadata, self->fd, self->dev, &m,
					  1 + ioasid_rng_below(&rng,
							       PASID_COUNT - 1),
					  op);
		if (m.natt)
			model_check_pasid(_metadata, self->fd, self->dev, &m,
					  m.att[ioasid_rng_below(&rng, m.natt)],
					  op);
	}
	TH_LOG("%u ops: %u allow, %u revoke, %u refused, %u attach; %u attached",
	       op, calls[0], calls[1], calls[2], calls[3], m.natt);
	EXPECT_LE(1000, op);
	/* Everything attached, and a sample of everything else. */
	for (i = 0; i < (int)m.natt; i++) {
		model_check_pasid(_metadata, self->fd, self->dev, &m, m.att[i],
				  op);
		EXPECT_EQ(pattern(0), dma_read_byte(self->fd, self->mock,
						    m.att[i], PASID_IOVA));
	}
	for (i = 0; i < 4096; i++)
		model_check_pasid(_metadata, self->fd, self->dev, &m,
				  1 + ioasid_rng_below(&rng, PASID_COUNT - 1),
				  op);
	/* The whole width revoked: nothing declared, nothing attached. */
	ASSERT_EQ(0, ioasid_revoke_pasid(self->fd, self->mock, 1,
					 PASID_COUNT - 1));
	model_set(&m, 1, PASID_COUNT - 1, MODEL_NONE);
	for (i = 0; i < 256; i++)
		model_check_pasid(_metadata, self->fd, self->dev, &m,
				  1 + ioasid_rng_below(&rng, PASID_COUNT - 1),
				  op);
	EXPECT_EQ(0, destroy(self->fd, self->ioas[0]));
}

#define NR_MODEL_IOAS	8
#define NR_MODEL_PASIDS	1000

/*
 * 1000 PASIDs of one device on 8 IOASes that map pages of distinct
 * contents at one IOVA; random replace, detach and attach; then every
 * PASID's DMA must read the page of its IOAS in the model, or fail.
 */
TEST_F_TIMEOUT(pasid, model_attach_dma, 600)
{
	static signed char where[NR_MODEL_PASIDS + 1];
	__u64 rng = ioasid_rng_seed(pasid_seed(_metadata, "attach/dma"), 2);
	__u32 ioas[NR_MODEL_IOAS], hwpt[NR_MODEL_IOAS], h, pasid;
	unsigned int users[NR_MODEL_IOAS] = {}, steps = 0, i;
	unsigned char *pages;
	__u64 start, deadline;
	int rc, k;

	pages = mmap(NULL, NR_MODEL_IOAS * PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	for (i = 0; i < NR_MODEL_IOAS; i++) {
		memset(pages + i * PG, 0x30 + i, PG);
		ASSERT_EQ(0, ioas_alloc(self->fd, &ioas[i]));
		ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas[i], pages + i * PG,
					    PG, PASID_IOVA));
	}
	memset(hwpt, 0, sizeof(hwpt));
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->mock, 1,
					NR_MODEL_PASIDS, PAGING));
	ASSERT_EQ(0, device_attach(self->fd, self->mock, ioas[0], &hwpt[0],
				   false));
	users[0]++;

	start = ioasid_now_ns();
	for (pasid = 1; pasid <= NR_MODEL_PASIDS; pasid++) {
		k = ioasid_rng_below(&rng, NR_MODEL_IOAS);
		ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->mock, pasid,
						 ioas[k], false, &h))
			TH_LOG("PASID %u", pasid);
		if (users[k]++)
			ASSERT_EQ(hwpt[k], h);
		hwpt[k] = h;
		where[pasid] = k;
	}
	TH_LOG("1000 attachments in %llu ms",
	       (unsigned long long)(ioasid_now_ns() - start) / 1000000);

	/* Random steps for a few seconds. */
	deadline = ioasid_now_ns() + 3 * 1000000000ULL;
	while (steps < 20000 && ioasid_now_ns() < deadline) {
		unsigned int r = ioasid_rng_below(&rng, 10);
		int old;

		pasid = 1 + ioasid_rng_below(&rng, NR_MODEL_PASIDS);
		old = where[pasid];
		k = ioasid_rng_below(&rng, NR_MODEL_IOAS);
		steps++;
		if (r < 2) {
			ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->mock,
							 pasid));
			if (old >= 0 && !--users[old])
				hwpt[old] = 0;
			where[pasid] = -1;
			continue;
		}
		rc = ioasid_pasid_attach(self->fd, self->mock, pasid, ioas[k],
					 r >= 4, &h);
		if (r < 4 && old >= 0) {
			ASSERT_EQ(EBUSY, rc) TH_LOG("step %u", steps);
			continue;
		}
		ASSERT_EQ(0, rc) TH_LOG("step %u: PASID %u", steps, pasid);
		if (old == k) {
			ASSERT_EQ(hwpt[k], h) TH_LOG("step %u", steps);
			continue;
		}
		if (users[k]++)
			ASSERT_EQ(hwpt[k], h) TH_LOG("step %u", steps);
		hwpt[k] = h;
		if (old >= 0 && !--users[old])
			hwpt[old] = 0;
		where[pasid] = k;
	}
	TH_LOG("%u random steps", steps);

	/* Every PASID against the model. */
	for (pasid = 1; pasid <= NR_MODEL_PASIDS; pasid++) {
		k = where[pasid];
		if (k < 0) {
			ASSERT_EQ(-ENXIO, dma_read_byte(self->fd, self->mock,
							pasid, PASID_IOVA))
				TH_LOG("PASID %u", pasid);
			CHECK_INFO(self->fd, self->dev, pasid, DECL, PAGING,
				   0);
		} else {
			ASSERT_EQ(0x30 + k, dma_read_byte(self->fd, self->mock,
							  pasid, PASID_IOVA))
				TH_LOG("PASID %u", pasid);
			CHECK_INFO(self->fd, self->dev, pasid, ATT, PAGING,
				   hwpt[k]);
		}
	}
	EXPECT_EQ(0x30, dma_read_byte(self->fd, self->mock, 0, PASID_IOVA));
	CHECK_INFO(self->fd, self->dev, 0, ATT, RID_ALLOWED, hwpt[0]);

	/* Written through one PASID, read through all the others. */
	for (pasid = 1; pasid <= NR_MODEL_PASIDS && where[pasid] < 0; pasid++)
		;
	if (pasid <= NR_MODEL_PASIDS) {
		unsigned char data[64];
		__u32 p;

		k = where[pasid];
		memset(data, 0xee, sizeof(data));
		ASSERT_EQ(0, ioasid_mock_dma(self->fd, self->mock, pasid,
					     PASID_IOVA, data, sizeof(data),
					     true));
		EXPECT_TRUE(all_bytes(pages + k * PG, sizeof(data), 0xee));
		for (p = 1; p <= NR_MODEL_PASIDS; p++)
			if (where[p] == k)
				ASSERT_EQ(0xee, dma_read_byte(self->fd,
							      self->mock, p,
							      PASID_IOVA));
	}

	/* Unbound, every PASID goes, with the automatic HWPTs. */
	start = ioasid_now_ns();
	ASSERT_EQ(0, device_unbind(self->fd, self->mock));
	TH_LOG("unbind in %llu ms",
	       (unsigned long long)(ioasid_now_ns() - start) / 1000000);
	for (i = 0; i < NR_MODEL_IOAS; i++)
		EXPECT_EQ(0, destroy(self->fd, ioas[i]));
	munmap(pages, NR_MODEL_IOAS * PG);
}

/* ---- Nesting: the errors of nested HWPT_ALLOC and HWPT_INVALIDATE ------- */

/*
 * The documented errnos of the nesting uAPI on the mock VT-d and SMMUv3.
 * What the nested tables translate (the DMA walks) is ioasid_nested.c's.
 */

/* Where the IOAS, the stage 2 of the nested HWPTs, maps the fixture's page. */
#define NEST_GPA	0x100000ULL
#define NEST_VTD	(IOASID_TEST_MOCK_DEV_VTD | IOASID_TEST_MOCK_DEV_PASID)
#define NEST_SMMU	(IOASID_TEST_MOCK_DEV_SMMUV3 | \
			 IOASID_TEST_MOCK_DEV_PASID)
/* VT-d ECAP (VT-d spec 11.4.3) and SMMUv3 IDR0/IDR1 (SMMUv3 6.3.1, 6.3.2). */
#define VTD_ECAP_NEST		(1ULL << 26)
#define VTD_ECAP_PASID		(1ULL << 40)
#define VTD_ECAP_PSS(e)		(((e) >> 35) & 0x1f)
#define VTD_ECAP_SMTS		(1ULL << 43)
#define VTD_ECAP_FSTS		(1ULL << 47)
#define SMMU_IDR0_S2P		(1U << 0)
#define SMMU_IDR0_S1P		(1U << 1)
#define SMMU_IDR1_SSIDSIZE(r)	(((r) >> 6) & 0x1f)

FIXTURE(hwpt_nesting_errors)
{
	int fd;
	__u32 ioas;
	void *buf;
	/* A VT-d, an SMMUv3 and a plain mock device, each with PASIDs. */
	__u32 vtd_mock, vtd_dev, vtd_parent;
	__u32 smmu_mock, smmu_dev, smmu_parent;
	__u32 plain_mock, plain_dev;
	long pinned_kb;
};

FIXTURE_SETUP(hwpt_nesting_errors)
{
	self->buf = MAP_FAILED;
	self->fd = open_ioasid();
	ASSERT_LE(0, self->fd);
	if (!have_test_driver(self->fd))
		SKIP(return, "kernel built without CONFIG_IOASID_TEST");
	if (!have_feature(self->fd, IOASID_FEATURE_NESTING))
		SKIP(return, "kernel without IOASID_FEATURE_NESTING");
	self->pinned_kb = vm_pinned_kb();
	ASSERT_LE(0, self->pinned_kb);
	self->buf = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, PG);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas, self->buf, PG,
				    NEST_GPA));
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, NEST_VTD, 0, 0,
					 &self->vtd_mock));
	ASSERT_EQ(0, device_bind(self->fd, self->vtd_mock, &self->vtd_dev));
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, NEST_SMMU, 0, 0,
					 &self->smmu_mock));
	ASSERT_EQ(0, device_bind(self->fd, self->smmu_mock, &self->smmu_dev));
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, IOASID_TEST_MOCK_DEV_PASID,
					 0, 0, &self->plain_mock));
	ASSERT_EQ(0, device_bind(self->fd, self->plain_mock,
				 &self->plain_dev));
	ASSERT_EQ(0, ioasid_nest_parent_alloc(self->fd, self->vtd_dev,
					      self->ioas, true,
					      &self->vtd_parent));
	ASSERT_EQ(0, ioasid_nest_parent_alloc(self->fd, self->smmu_dev,
					      self->ioas, true,
					      &self->smmu_parent));
}

FIXTURE_TEARDOWN(hwpt_nesting_errors)
{
	close(self->fd);
	if (self->buf != MAP_FAILED) {
		/* Closing the context gives back every pin. */
		EXPECT_EQ(self->pinned_kb, vm_pinned_kb());
		munmap(self->buf, PG);
	}
}

/*
 * Nothing a failed call made is left: with no nested HWPT holding them,
 * the parents go, and then the IOAS.
 */
static void nest_check_clean(struct __test_metadata *_metadata,
			     FIXTURE_DATA(hwpt_nesting_errors) *self)
{
	EXPECT_EQ(0, destroy(self->fd, self->vtd_parent));
	EXPECT_EQ(0, destroy(self->fd, self->smmu_parent));
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
}

/* GET_PASID_INFO of @pasid (0: the RID) attached to the nested @hwpt. */
static void nest_check_pasid(struct __test_metadata *_metadata, int fd,
			     __u32 dev, __u32 pasid, __u32 hwpt)
{
	struct ioasid_device_get_pasid_info info;

	ASSERT_EQ(0, ioasid_pasid_info(fd, dev, pasid, &info));
	EXPECT_EQ(ATT, info.out_flags) TH_LOG("pasid %u", pasid);
	EXPECT_TRUE(info.out_allowed & IOASID_PASID_CFG_NESTED)
		TH_LOG("pasid %u", pasid);
	EXPECT_EQ(IOASID_PT_HWPT_NESTED, info.out_pt_kind)
		TH_LOG("pasid %u", pasid);
	EXPECT_EQ(hwpt, info.out_pt_id) TH_LOG("pasid %u", pasid);
}

TEST_F(hwpt_nesting_errors, nest_parent_alloc)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_HWPT_ALLOC_NEST_PARENT,
		.dev_id = self->vtd_dev,
		.pt_id = self->ioas,
	};
	struct ioasid_hwpt_vtd_s1 vtd = ioasid_nest_vtd_s1(NEST_GPA);
	__u32 hwpt, got;

	/* The plain mock IOMMU cannot nest. */
	EXPECT_EQ(EOPNOTSUPP, ioasid_nest_parent_alloc(self->fd,
						       self->plain_dev,
						       self->ioas, true,
						       &hwpt));
	/* But its ordinary paging HWPTs stay. */
	ASSERT_EQ(0, ioasid_nest_parent_alloc(self->fd, self->plain_dev,
					      self->ioas, false, &hwpt));
	EXPECT_EQ(0, destroy(self->fd, hwpt));

	cmd.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
	cmd.flags = IOASID_HWPT_ALLOC_NEST_PARENT;
	cmd.fault_id = 0xfffffff0;
	EXPECT_EQ(ENOENT, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
	cmd.fault_id = 0;
	/* A paging HWPT takes no data. */
	cmd.data_len = sizeof(vtd);
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
	cmd.data_len = 0;
	cmd.data_uptr = (uintptr_t)&vtd;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
	cmd.data_uptr = 0;
	/* The flag is for a paging HWPT only. */
	cmd.pt_id = self->vtd_parent;
	cmd.data_type = IOASID_HWPT_DATA_VTD_S1;
	cmd.data_len = sizeof(vtd);
	cmd.data_uptr = (uintptr_t)&vtd;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
	/* A paging HWPT is made from an IOAS, not from a HWPT. */
	EXPECT_EQ(ENOENT, ioasid_nest_parent_alloc(self->fd, self->vtd_dev,
						   self->vtd_parent, true,
						   &hwpt));
	EXPECT_EQ(ENOENT, ioasid_nest_parent_alloc(self->fd, 9999, self->ioas,
						   true, &hwpt));
	EXPECT_EQ(ENOENT, ioasid_nest_parent_alloc(self->fd, self->vtd_mock,
						   self->ioas, true, &hwpt));

	/* The first layout, whatever lies past it, is a paging HWPT. */
	memset(&cmd, 0xff, sizeof(cmd));
	cmd.size = offsetof(struct ioasid_hwpt_alloc, data_len);
	cmd.flags = 0;
	cmd.dev_id = self->vtd_dev;
	cmd.pt_id = self->ioas;
	cmd.data_type = IOASID_HWPT_DATA_NONE;
	ASSERT_EQ(0, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
	EXPECT_EQ(0, destroy(self->fd, cmd.out_hwpt_id));

	/* A nesting parent is a paging HWPT like any other. */
	ASSERT_EQ(0, device_attach(self->fd, self->vtd_mock, self->vtd_parent,
				   &got, false));
	EXPECT_EQ(self->vtd_parent, got);
	EXPECT_EQ(0, device_domain_flags(_metadata, self->fd, self->vtd_mock) &
		     IOASID_TEST_DOMAIN_NESTED);
	EXPECT_EQ(0, ioasid_mock_dma(self->fd, self->vtd_mock, 0, NEST_GPA,
				     self->buf, 16, false));
	/* Of its IOMMU only. */
	EXPECT_EQ(EINVAL, device_attach(self->fd, self->smmu_mock,
					self->vtd_parent, NULL, false));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->vtd_parent));
	ASSERT_EQ(0, device_detach(self->fd, self->vtd_mock));
	nest_check_clean(_metadata, self);
}

TEST_F(hwpt_nesting_errors, nested_alloc_errors)
{
	struct ioasid_hwpt_vtd_s1 vtd = ioasid_nest_vtd_s1(NEST_GPA), v;
	struct ioasid_hwpt_arm_smmuv3 ste = ioasid_nest_smmuv3_ste(false), st;
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->vtd_dev,
		.pt_id = self->vtd_parent,
		.data_type = IOASID_HWPT_DATA_VTD_S1,
		.data_len = sizeof(vtd),
		.data_uptr = (uintptr_t)&vtd,
	};
	static const __u32 widths[] = { 0, 32, 39, 47, 49, 52, 56, 58, 64 };
	struct {
		struct ioasid_hwpt_vtd_s1 s1;
		__u64 tail;
	} longer = { .s1 = vtd };
	struct {
		struct ioasid_hwpt_alloc cmd;
		__u64 tail;
	} big;
	__u32 nested, paging, auto_hwpt, other_mock, other_dev, other_parent;
	unsigned int i;

	/* ENOENT: the device, and a parent that is no paging HWPT. */
	EXPECT_EQ(ENOENT, ioasid_nest_alloc(self->fd, 9999, self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    sizeof(vtd), NULL));
	EXPECT_EQ(ENOENT, ioasid_nest_alloc(self->fd, self->vtd_mock,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    sizeof(vtd), NULL));
	EXPECT_EQ(ENOENT, ioasid_nest_alloc(self->fd, self->vtd_dev, 9999,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    sizeof(vtd), NULL));
	EXPECT_EQ(ENOENT, ioasid_nest_alloc(self->fd, self->vtd_dev, self->ioas,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    sizeof(vtd), NULL));
	EXPECT_EQ(ENOENT, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_dev,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    sizeof(vtd), NULL));
	ASSERT_EQ(0, ioasid_nest_alloc(self->fd, self->vtd_dev,
				       self->vtd_parent,
				       IOASID_HWPT_DATA_VTD_S1, &vtd,
				       sizeof(vtd), &nested));
	/* Nested HWPTs do not nest. */
	EXPECT_EQ(ENOENT, ioasid_nest_alloc(self->fd, self->vtd_dev, nested,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    sizeof(vtd), NULL));
	EXPECT_EQ(0, destroy(self->fd, nested));

	/* EOPNOTSUPP: the plain mock cannot nest, nor any IOMMU a format. */
	EXPECT_EQ(EOPNOTSUPP, ioasid_nest_alloc(self->fd, self->plain_dev,
						self->vtd_parent,
						IOASID_HWPT_DATA_VTD_S1, &vtd,
						sizeof(vtd), NULL));
	EXPECT_EQ(EOPNOTSUPP, ioasid_nest_alloc(self->fd, self->vtd_dev,
						self->vtd_parent,
						IOASID_HWPT_DATA_ARM_SMMUV3,
						&ste, sizeof(ste), NULL));
	EXPECT_EQ(EOPNOTSUPP, ioasid_nest_alloc(self->fd, self->smmu_dev,
						self->smmu_parent,
						IOASID_HWPT_DATA_VTD_S1, &vtd,
						sizeof(vtd), NULL));
	EXPECT_EQ(EOPNOTSUPP, ioasid_nest_alloc(self->fd, self->vtd_dev,
						self->vtd_parent, 3, &vtd,
						sizeof(vtd), NULL));
	EXPECT_EQ(EOPNOTSUPP, ioasid_nest_alloc(self->fd, self->vtd_dev,
						self->vtd_parent, ~0U, &vtd,
						sizeof(vtd), NULL));
	cmd.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));

	/* EINVAL: the struct, and a parent that is no nesting parent. */
	cmd.flags = IOASID_HWPT_ALLOC_NEST_PARENT;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
	cmd.flags = 0;
	/* ENOENT: a fault_id that names no fault queue. */
	cmd.fault_id = self->ioas;
	EXPECT_EQ(ENOENT, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &cmd));
	cmd.fault_id = 0;
	ASSERT_EQ(0, ioasid_nest_parent_alloc(self->fd, self->vtd_dev,
					      self->ioas, false, &paging));
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev, paging,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    sizeof(vtd), NULL));
	ASSERT_EQ(0, device_attach(self->fd, self->vtd_mock, self->ioas,
				   &auto_hwpt, false));
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev, auto_hwpt,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    sizeof(vtd), NULL));
	ASSERT_EQ(0, device_detach(self->fd, self->vtd_mock));
	EXPECT_EQ(0, destroy(self->fd, paging));
	/* The parent of another IOMMU: the SMMUv3, or another VT-d. */
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->smmu_parent,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    sizeof(vtd), NULL));
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->smmu_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_ARM_SMMUV3, &ste,
					    sizeof(ste), NULL));
	ASSERT_EQ(0, ioasid_mock_dev_add(self->fd, IOASID_TEST_MOCK_DEV_VTD |
					 IOASID_TEST_MOCK_DEV_OTHER_IOMMU, 0, 0,
					 &other_mock));
	ASSERT_EQ(0, device_bind(self->fd, other_mock, &other_dev));
	ASSERT_EQ(0, ioasid_nest_parent_alloc(self->fd, other_dev, self->ioas,
					      true, &other_parent));
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    other_parent,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    sizeof(vtd), NULL));
	EXPECT_EQ(0, destroy(self->fd, other_parent));
	EXPECT_EQ(0, device_unbind(self->fd, other_mock));

	/* EINVAL: a malformed VT-d stage 1. */
	v = vtd;
	v.flags = 1ULL << 3;
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &v,
					    sizeof(v), NULL));
	v.flags = 1ULL << 63;
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &v,
					    sizeof(v), NULL));
	v = vtd;
	v.__reserved = 1;
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &v,
					    sizeof(v), NULL));
	for (i = 0; i < ARRAY_SIZE(widths); i++) {
		v = vtd;
		v.addr_width = widths[i];
		EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
						    self->vtd_parent,
						    IOASID_HWPT_DATA_VTD_S1,
						    &v, sizeof(v), NULL))
			TH_LOG("address width %u", widths[i]);
	}
	v = vtd;
	v.pgtbl_addr = NEST_GPA + 0x800;
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &v,
					    sizeof(v), NULL));
	v.pgtbl_addr = NEST_GPA + 8;
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &v,
					    sizeof(v), NULL));
	/* Beyond any address width. */
	v.pgtbl_addr = 1ULL << 63;
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &v,
					    sizeof(v), NULL));
	/* Lengths the kernel does not know: short, 0, longer. */
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &vtd,
					    offsetof(struct ioasid_hwpt_vtd_s1,
						     addr_width), NULL));
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &vtd, 0,
					    NULL));
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &longer,
					    sizeof(longer), NULL));
	longer.tail = 1;
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, &longer,
					    sizeof(longer), NULL));

	/* EINVAL: a malformed SMMUv3 STE. */
	st = ste;
	st.ste[0] |= 1ULL << 55;	/* reserved, 58:52 */
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->smmu_dev,
					    self->smmu_parent,
					    IOASID_HWPT_DATA_ARM_SMMUV3, &st,
					    sizeof(st), NULL));
	st = ste;
	st.ste[0] = IOASID_NEST_STE0_V | 6ULL << 1;	/* stage-2 Config */
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->smmu_dev,
					    self->smmu_parent,
					    IOASID_HWPT_DATA_ARM_SMMUV3, &st,
					    sizeof(st), NULL));
	EXPECT_EQ(EINVAL, ioasid_nest_alloc(self->fd, self->smmu_dev,
					    self->smmu_parent,
					    IOASID_HWPT_DATA_ARM_SMMUV3, &ste,
					    sizeof(ste.ste[0]), NULL));

	/* EFAULT: the stage 1 cannot be read. */
	EXPECT_EQ(EFAULT, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, NULL,
					    sizeof(vtd), NULL));
	EXPECT_EQ(EFAULT, ioasid_nest_alloc(self->fd, self->vtd_dev,
					    self->vtd_parent,
					    IOASID_HWPT_DATA_VTD_S1, (void *)8,
					    sizeof(vtd), NULL));

	/* E2BIG: the ioctl's own struct, with a non-zero tail. */
	big.cmd = cmd;
	big.cmd.size = sizeof(big);
	big.tail = 1;
	EXPECT_EQ(E2BIG, ioctl_err(self->fd, IOASID_HWPT_ALLOC, &big));

	/* What is valid: each width, the flags, STE abort and bypass. */
	v = vtd;
	v.addr_width = 57;
	v.flags = IOASID_VTD_S1_SRE | IOASID_VTD_S1_EAFE | IOASID_VTD_S1_WPE;
	ASSERT_EQ(0, ioasid_nest_alloc(self->fd, self->vtd_dev,
				       self->vtd_parent,
				       IOASID_HWPT_DATA_VTD_S1, &v, sizeof(v),
				       &nested));
	EXPECT_EQ(0, destroy(self->fd, nested));
	st = ioasid_nest_smmuv3_ste(true);
	ASSERT_EQ(0, ioasid_nest_alloc(self->fd, self->smmu_dev,
				       self->smmu_parent,
				       IOASID_HWPT_DATA_ARM_SMMUV3, &st,
				       sizeof(st), &nested));
	EXPECT_EQ(0, destroy(self->fd, nested));
	ASSERT_EQ(0, ioasid_nest_alloc(self->fd, self->smmu_dev,
				       self->smmu_parent,
				       IOASID_HWPT_DATA_ARM_SMMUV3, &ste,
				       sizeof(ste), &nested));
	EXPECT_EQ(0, destroy(self->fd, nested));
	nest_check_clean(_metadata, self);
}

/* A nested HWPT holds its parent; an attachment holds the nested HWPT. */
TEST_F(hwpt_nesting_errors, parent_busy_and_rid_attach)
{
	__u32 nested, nested2, smmu_nested, got, flags;

	ASSERT_EQ(0, ioasid_nest_alloc_min(self->fd, self->vtd_dev,
					   self->vtd_parent, false, NEST_GPA,
					   &nested));
	ASSERT_EQ(0, ioasid_nest_alloc_min(self->fd, self->vtd_dev,
					   self->vtd_parent, false, NEST_GPA,
					   &nested2));
	ASSERT_EQ(0, ioasid_nest_alloc_min(self->fd, self->smmu_dev,
					   self->smmu_parent, true, NEST_GPA,
					   &smmu_nested));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->vtd_parent));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->smmu_parent));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));

	/* On the RID, whatever the PASID policy; replaced both ways. */
	ASSERT_EQ(0, device_attach(self->fd, self->vtd_mock, nested, &got,
				   false));
	EXPECT_EQ(nested, got);
	flags = device_domain_flags(_metadata, self->fd, self->vtd_mock);
	EXPECT_TRUE(flags & IOASID_TEST_DOMAIN_NESTED);
	EXPECT_EQ(EBUSY, device_attach(self->fd, self->vtd_mock, nested2,
				       NULL, false));
	ASSERT_EQ(0, device_attach(self->fd, self->vtd_mock, nested2, &got,
				   true));
	EXPECT_EQ(nested2, got);
	EXPECT_EQ(0, destroy(self->fd, nested));
	EXPECT_EQ(EBUSY, destroy(self->fd, nested2));
	ASSERT_EQ(0, device_attach(self->fd, self->vtd_mock, self->vtd_parent,
				   &got, true));
	flags = device_domain_flags(_metadata, self->fd, self->vtd_mock);
	EXPECT_FALSE(flags & IOASID_TEST_DOMAIN_NESTED);
	ASSERT_EQ(0, device_attach(self->fd, self->vtd_mock, nested2, &got,
				   true));
	EXPECT_EQ(nested2, got);
	nest_check_pasid(_metadata, self->fd, self->vtd_dev, 0, nested2);
	ASSERT_EQ(0, device_detach(self->fd, self->vtd_mock));
	EXPECT_EQ(0, destroy(self->fd, nested2));

	/* A stage 1 of the VT-d format suits no other IOMMU. */
	ASSERT_EQ(0, ioasid_nest_alloc_min(self->fd, self->vtd_dev,
					   self->vtd_parent, false, NEST_GPA,
					   &nested));
	EXPECT_EQ(EINVAL, device_attach(self->fd, self->plain_mock, nested,
					NULL, false));
	EXPECT_EQ(EINVAL, device_attach(self->fd, self->smmu_mock, nested,
					NULL, false));
	EXPECT_EQ(EINVAL, device_attach(self->fd, self->vtd_mock, smmu_nested,
					NULL, false));
	EXPECT_EQ(0, device_domain_flags(_metadata, self->fd, self->vtd_mock));
	/* The SMMUv3 one on its own device's RID. */
	ASSERT_EQ(0, device_attach(self->fd, self->smmu_mock, smmu_nested,
				   &got, false));
	EXPECT_EQ(smmu_nested, got);
	EXPECT_EQ(EBUSY, destroy(self->fd, smmu_nested));
	/* Unbound, the device lets go of it. */
	ASSERT_EQ(0, device_unbind(self->fd, self->smmu_mock));
	EXPECT_EQ(0, destroy(self->fd, smmu_nested));
	EXPECT_EQ(0, destroy(self->fd, nested));
	nest_check_clean(_metadata, self);
}

/* IOASID_HWPT_INVALIDATE of VT-d entries on @hwpt: the errno and the count. */
static int nest_inv_vtd(int fd, __u32 hwpt,
			const struct ioasid_hwpt_vtd_s1_invalidate *e,
			__u32 *num)
{
	return ioasid_nest_invalidate(fd, hwpt,
				      IOASID_HWPT_INVALIDATE_DATA_VTD_S1, e,
				      sizeof(*e), num);
}

TEST_F(hwpt_nesting_errors, invalidate_errors)
{
	struct ioasid_hwpt_vtd_s1_invalidate good = {
		.addr = NEST_GPA,
		.npages = 1,
	}, e[5], one;
	struct ioasid_hwpt_arm_smmuv3_invalidate c[8];
	struct ioasid_hwpt_invalidate cmd = { .size = sizeof(cmd) };
	static const __u8 smmu_ok[] = {
		IOASID_NEST_CMD_CFGI_CD, IOASID_NEST_CMD_CFGI_CD_ALL,
		IOASID_NEST_CMD_TLBI_NH_ALL, IOASID_NEST_CMD_TLBI_NH_ASID,
		IOASID_NEST_CMD_TLBI_NH_VA, IOASID_NEST_CMD_TLBI_NH_VAA,
	};
	/* CMD_PREFETCH_CONFIG, TLBI_EL2_ALL, TLBI_S12_VMALL, ATC_INV, SYNC */
	static const __u8 smmu_no[] = { 0x01, 0x20, 0x28, 0x40, 0x46, 0xff };
	struct ioasid_hwpt_vtd_s1_invalidate *end;
	struct {
		struct ioasid_hwpt_invalidate cmd;
		__u64 tail;
	} big;
	__u32 vtd, smmu, num, i, bad;
	char *pages;

	ASSERT_EQ(0, ioasid_nest_alloc_min(self->fd, self->vtd_dev,
					   self->vtd_parent, false, NEST_GPA,
					   &vtd));
	ASSERT_EQ(0, ioasid_nest_alloc_min(self->fd, self->smmu_dev,
					   self->smmu_parent, true, NEST_GPA,
					   &smmu));

	/* ENOENT: no HWPT; EOPNOTSUPP: not a nested one. */
	num = 1;
	EXPECT_EQ(ENOENT, nest_inv_vtd(self->fd, 9999, &good, &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_EQ(ENOENT, nest_inv_vtd(self->fd, self->ioas, &good, &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_EQ(ENOENT, nest_inv_vtd(self->fd, self->vtd_dev, &good, &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_EQ(EOPNOTSUPP, nest_inv_vtd(self->fd, self->vtd_parent, &good,
					   &num));
	EXPECT_EQ(0, num);

	/* EINVAL: the struct. */
	cmd.hwpt_id = vtd;
	cmd.data_uptr = (uintptr_t)&good;
	cmd.data_type = IOASID_HWPT_INVALIDATE_DATA_VTD_S1;
	cmd.entry_len = sizeof(good);
	cmd.entry_num = 1;
	cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_HWPT_INVALIDATE, &cmd));
	EXPECT_EQ(0, cmd.entry_num);
	cmd.__reserved = 0;
	cmd.entry_num = 1;
	cmd.entry_len = 0;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_HWPT_INVALIDATE, &cmd));
	EXPECT_EQ(0, cmd.entry_num);
	cmd.entry_num = 1;
	cmd.entry_len = IOASID_HWPT_INVALIDATE_ENTRY_MAX + 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_HWPT_INVALIDATE, &cmd));
	EXPECT_EQ(0, cmd.entry_num);
	cmd.entry_len = sizeof(good);
	cmd.entry_num = IOASID_HWPT_INVALIDATE_NUM_MAX + 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->fd, IOASID_HWPT_INVALIDATE, &cmd));
	EXPECT_EQ(0, cmd.entry_num);
	/* The format of the other IOMMU, even for no entry. */
	num = 1;
	EXPECT_EQ(EINVAL, ioasid_nest_invalidate(self->fd, vtd,
				IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3, c,
				sizeof(c[0]), &num));
	EXPECT_EQ(0, num);
	num = 0;
	EXPECT_EQ(EINVAL, ioasid_nest_invalidate(self->fd, smmu,
				IOASID_HWPT_INVALIDATE_DATA_VTD_S1, &good,
				sizeof(good), &num));
	num = 0;
	EXPECT_EQ(EINVAL, ioasid_nest_invalidate(self->fd, vtd, 7, &good,
						 sizeof(good), &num));
	/* Entry lengths the format does not know: short, longer. */
	num = 1;
	EXPECT_EQ(EINVAL, ioasid_nest_invalidate(self->fd, vtd,
				IOASID_HWPT_INVALIDATE_DATA_VTD_S1, &good,
				offsetof(struct ioasid_hwpt_vtd_s1_invalidate,
					 flags), &num));
	EXPECT_EQ(0, num);
	memset(e, 0, sizeof(e));
	e[0] = good;
	num = 1;
	EXPECT_EQ(EINVAL, ioasid_nest_invalidate(self->fd, vtd,
				IOASID_HWPT_INVALIDATE_DATA_VTD_S1, e,
				sizeof(e[0]) + 8, &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_EQ(EINVAL, ioasid_nest_invalidate(self->fd, smmu,
				IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3, e,
				sizeof(c[0]) + 8, &num));
	EXPECT_EQ(0, num);

	/* No entry: a valid call that checks the format, reads nothing. */
	num = 0;
	EXPECT_EQ(0, ioasid_nest_invalidate(self->fd, vtd,
				IOASID_HWPT_INVALIDATE_DATA_VTD_S1, NULL,
				sizeof(good), &num));
	EXPECT_EQ(0, num);
	num = 0;
	EXPECT_EQ(0, ioasid_nest_invalidate(self->fd, smmu,
				IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3, NULL,
				sizeof(c[0]), &num));
	EXPECT_EQ(0, num);

	/* Each malformed VT-d entry, alone. */
	for (i = 0; i < 6; i++) {
		one = good;
		switch (i) {
		case 0:
			one.flags = 2;
			break;
		case 1:
			one.flags = 1U << 31;
			break;
		case 2:
			one.__reserved = 1;
			break;
		case 3:
			one.addr = NEST_GPA + 0x200;
			break;
		case 4:
			one.npages = 0;
			break;
		default:
			/* Past the top of the address space. */
			one.addr = ~0ULL & ~(SZ_4K - 1);
			one.npages = 2;
			break;
		}
		num = 1;
		EXPECT_EQ(EINVAL, nest_inv_vtd(self->fd, vtd, &one, &num))
			TH_LOG("entry %u", i);
		EXPECT_EQ(0, num) TH_LOG("entry %u", i);
	}
	/* Valid: leaf, everything, up to the very top. */
	one = good;
	one.flags = IOASID_VTD_INV_FLAGS_LEAF;
	num = 1;
	EXPECT_EQ(0, nest_inv_vtd(self->fd, vtd, &one, &num));
	EXPECT_EQ(1, num);
	one = (struct ioasid_hwpt_vtd_s1_invalidate) { .npages = ~0ULL };
	num = 1;
	EXPECT_EQ(0, nest_inv_vtd(self->fd, vtd, &one, &num));
	EXPECT_EQ(1, num);
	one.addr = ~0ULL & ~(SZ_4K - 1);
	one.npages = 1;
	num = 1;
	EXPECT_EQ(0, nest_inv_vtd(self->fd, vtd, &one, &num));
	EXPECT_EQ(1, num);

	/* A batch stops at its bad entry and counts those before it. */
	for (bad = 0; bad <= 5; bad++) {
		for (i = 0; i < 5; i++) {
			e[i] = good;
			e[i].addr = NEST_GPA + i * SZ_4K;
		}
		if (bad < 5)
			e[bad].npages = 0;
		num = 5;
		EXPECT_EQ(bad < 5 ? EINVAL : 0,
			  nest_inv_vtd(self->fd, vtd, e, &num))
			TH_LOG("bad entry %u", bad);
		EXPECT_EQ(bad, num) TH_LOG("bad entry %u", bad);
	}

	/* SMMUv3: each supported command, then one that is not. */
	memset(c, 0, sizeof(c));
	for (i = 0; i < ARRAY_SIZE(smmu_ok); i++)
		c[i].cmd[0] = smmu_ok[i];
	num = ARRAY_SIZE(smmu_ok);
	EXPECT_EQ(0, ioasid_nest_invalidate(self->fd, smmu,
				IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3, c,
				sizeof(c[0]), &num));
	EXPECT_EQ(ARRAY_SIZE(smmu_ok), num);
	for (i = 0; i < ARRAY_SIZE(smmu_no); i++) {
		c[2].cmd[0] = smmu_no[i];
		num = ARRAY_SIZE(smmu_ok);
		EXPECT_EQ(EOPNOTSUPP, ioasid_nest_invalidate(self->fd, smmu,
				IOASID_HWPT_INVALIDATE_DATA_ARM_SMMUV3, c,
				sizeof(c[0]), &num))
			TH_LOG("opcode 0x%x", smmu_no[i]);
		EXPECT_EQ(2, num) TH_LOG("opcode 0x%x", smmu_no[i]);
	}

	/* EFAULT: at the first entry, and at an entry across a hole. */
	num = 1;
	EXPECT_EQ(EFAULT, nest_inv_vtd(self->fd, vtd, (void *)8, &num));
	EXPECT_EQ(0, num);
	pages = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, mprotect(pages + PG, PG, PROT_NONE));
	end = (void *)(pages + PG - 2 * sizeof(good) - 8);
	end[0] = good;
	end[1] = good;
	/* The third entry starts 8 bytes before the hole. */
	num = 3;
	EXPECT_EQ(EFAULT, nest_inv_vtd(self->fd, vtd, end, &num));
	EXPECT_EQ(2, num);
	munmap(pages, 2 * PG);

	/* E2BIG: the ioctl's own struct, with a non-zero tail. */
	big.cmd = cmd;
	big.cmd.size = sizeof(big);
	big.cmd.entry_num = 1;
	big.tail = 1;
	EXPECT_EQ(E2BIG, ioctl_err(self->fd, IOASID_HWPT_INVALIDATE, &big));
	EXPECT_EQ(1, big.cmd.entry_num);

	EXPECT_EQ(0, destroy(self->fd, vtd));
	EXPECT_EQ(0, destroy(self->fd, smmu));
	/* Gone: the ids name nothing now. */
	num = 1;
	EXPECT_EQ(ENOENT, nest_inv_vtd(self->fd, vtd, &good, &num));
	nest_check_clean(_metadata, self);
}

TEST_F(hwpt_nesting_errors, hw_info)
{
	struct ioasid_hw_info_vtd vtd;
	struct ioasid_hw_info_arm_smmuv3 smmu;
	struct ioasid_device_get_hw_info out;

	memset(&vtd, 0xa5, sizeof(vtd));
	ASSERT_EQ(0, hw_info(self->fd, self->vtd_dev, &vtd, sizeof(vtd),
			     &out));
	EXPECT_EQ(IOASID_HW_INFO_TYPE_INTEL_VTD, out.out_data_type);
	EXPECT_EQ(1, out.out_data_type);
	EXPECT_EQ(sizeof(vtd), out.data_len);
	EXPECT_EQ(IOASID_TEST_MOCK_PASID_BITS, out.out_max_pasid_log2);
	EXPECT_EQ(0, vtd.flags);
	EXPECT_EQ(0, vtd.__reserved);
	EXPECT_NE(0, vtd.cap_reg);
	EXPECT_TRUE(vtd.ecap_reg & VTD_ECAP_NEST);
	EXPECT_TRUE(vtd.ecap_reg & VTD_ECAP_FSTS);
	EXPECT_TRUE(vtd.ecap_reg & VTD_ECAP_SMTS);
	EXPECT_TRUE(vtd.ecap_reg & VTD_ECAP_PASID);
	EXPECT_EQ(IOASID_TEST_MOCK_PASID_BITS - 1, VTD_ECAP_PSS(vtd.ecap_reg));

	memset(&smmu, 0xa5, sizeof(smmu));
	ASSERT_EQ(0, hw_info(self->fd, self->smmu_dev, &smmu, sizeof(smmu),
			     &out));
	EXPECT_EQ(IOASID_HW_INFO_TYPE_ARM_SMMUV3, out.out_data_type);
	EXPECT_EQ(2, out.out_data_type);
	EXPECT_EQ(sizeof(smmu), out.data_len);
	EXPECT_EQ(IOASID_TEST_MOCK_PASID_BITS, out.out_max_pasid_log2);
	EXPECT_EQ(0, smmu.flags);
	EXPECT_EQ(0, smmu.__reserved);
	EXPECT_TRUE(smmu.idr[0] & SMMU_IDR0_S1P);
	EXPECT_TRUE(smmu.idr[0] & SMMU_IDR0_S2P);
	EXPECT_NE(0, SMMU_IDR1_SSIDSIZE(smmu.idr[1]));

	/* A length query, and the plain mock's own type. */
	ASSERT_EQ(0, hw_info(self->fd, self->vtd_dev, NULL, 0, &out));
	EXPECT_EQ(sizeof(vtd), out.data_len);
	EXPECT_EQ(IOASID_HW_INFO_TYPE_INTEL_VTD, out.out_data_type);
	ASSERT_EQ(0, hw_info(self->fd, self->plain_dev, NULL, 0, &out));
	EXPECT_NE(IOASID_HW_INFO_TYPE_INTEL_VTD, out.out_data_type);
	EXPECT_NE(IOASID_HW_INFO_TYPE_ARM_SMMUV3, out.out_data_type);
}

/* A nested HWPT on a PASID: only where the owner allows NESTED. */
TEST_F(hwpt_nesting_errors, pasid_policy)
{
	__u32 nested, smmu_nested, got;
	__u64 serial;
	__u32 flags;

	ASSERT_EQ(0, ioasid_nest_alloc_min(self->fd, self->vtd_dev,
					   self->vtd_parent, false, NEST_GPA,
					   &nested));
	ASSERT_EQ(0, ioasid_nest_alloc_min(self->fd, self->smmu_dev,
					   self->smmu_parent, true, NEST_GPA,
					   &smmu_nested));

	/* No policy, then paging only: EPERM, and nothing attached. */
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->vtd_mock, 5,
					     nested, false, NULL));
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->vtd_mock, 1, 15,
					PAGING));
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->vtd_mock, 5,
					     nested, false, NULL));
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->vtd_mock, 5,
					     nested, true, NULL));
	CHECK_INFO(self->fd, self->vtd_dev, 5, DECL, PAGING, 0);
	EXPECT_EQ(0, destroy(self->fd, nested));
	ASSERT_EQ(0, ioasid_nest_alloc_min(self->fd, self->vtd_dev,
					   self->vtd_parent, false, NEST_GPA,
					   &nested));
	/* A paging attachment stays when a replace by a nested is refused. */
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->vtd_mock, 5,
					 self->vtd_parent, false, &got));
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->vtd_mock, 5,
					     nested, true, NULL));
	CHECK_INFO(self->fd, self->vtd_dev, 5, ATT, PAGING, self->vtd_parent);

	/* Allowed: attached, replaced both ways, and detached. */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->vtd_mock, 5, 6,
					PAGING | IOASID_PASID_CFG_NESTED));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->vtd_mock, 5, nested,
					 true, &got));
	EXPECT_EQ(nested, got);
	nest_check_pasid(_metadata, self->fd, self->vtd_dev, 5, nested);
	ASSERT_EQ(0, ioasid_pasid_domain(self->fd, self->vtd_mock, 5, &serial,
					 &flags));
	EXPECT_TRUE(flags & IOASID_TEST_DOMAIN_NESTED);
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->vtd_mock, 6, nested,
					 false, NULL));
	EXPECT_EQ(EBUSY, destroy(self->fd, nested));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->vtd_parent));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->vtd_mock, 5,
					 self->ioas, true, &got));
	CHECK_INFO(self->fd, self->vtd_dev, 5, ATT,
		   PAGING | IOASID_PASID_CFG_NESTED, got);
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->vtd_mock, 5, nested,
					 true, NULL));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->vtd_mock, 5));
	ASSERT_EQ(0, ioasid_pasid_detach(self->fd, self->vtd_mock, 6));

	/* Nested only: no paging page table then. */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->vtd_mock, 7, 7,
					IOASID_PASID_CFG_NESTED));
	EXPECT_EQ(EPERM, ioasid_pasid_attach(self->fd, self->vtd_mock, 7,
					     self->vtd_parent, false, NULL));
	ASSERT_EQ(0, ioasid_pasid_attach(self->fd, self->vtd_mock, 7, nested,
					 false, NULL));
	/* Revoked: the nested attachment goes with the policy. */
	ASSERT_EQ(0, ioasid_revoke_pasid(self->fd, self->vtd_mock, 7, 7));
	CHECK_INFO(self->fd, self->vtd_dev, 7, 0, 0, 0);
	EXPECT_EQ(0, destroy(self->fd, nested));

	/* An SMMUv3 STE attaches to the RID only, whatever the policy. */
	ASSERT_EQ(0, ioasid_allow_pasid(self->fd, self->smmu_mock, 1, 15,
					PAGING | IOASID_PASID_CFG_NESTED));
	EXPECT_EQ(EOPNOTSUPP, ioasid_pasid_attach(self->fd, self->smmu_mock,
						  5, smmu_nested, false,
						  NULL));
	CHECK_INFO(self->fd, self->smmu_dev, 5, DECL,
		   PAGING | IOASID_PASID_CFG_NESTED, 0);
	/* A device without PASIDs has no PASID 5 to attach. */
	EXPECT_EQ(0, destroy(self->fd, smmu_nested));
	nest_check_clean(_metadata, self);
}

TEST_HARNESS_MAIN
