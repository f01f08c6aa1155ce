// SPDX-License-Identifier: GPL-2.0-only
/*
 * A vDPA parent behind the test IOMMU.
 *
 * vDPA parents come in two kinds: those that translate DMA themselves (the
 * simulators, parents with set_map or dma_map), and hardware whose DMA the
 * platform IOMMU translates, for which vhost-vdpa allocates an IOMMU
 * domain and attaches it to the device that does the DMA.  The test guest
 * has no such hardware, so this models it: the management device
 * %IOASID_TEST_VDPA_MGMTDEV creates, for each "vdpa dev add", a device on
 * the mock bus (probed by the test IOMMU, in an IOMMU group of its own)
 * and a vDPA device on it with one address space, one virtqueue group and
 * no map operation.  What the device reads and writes goes through the
 * domain attached to its RID, as for every mock device (mock_dev_dma()).
 *
 * It needs no rings to do DMA: a small engine in its config space
 * (&struct ioasid_test_vdpa_config) moves up to %IOASID_TEST_VDPA_BUF
 * bytes between IOVAs and a buffer when VHOST_VDPA_SET_CONFIG writes a
 * command, and reports how far it got.  Its single virtqueue keeps the
 * state vhost-vdpa gives it and does nothing with it.
 */
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mod_devicetable.h>
#include <linux/slab.h>
#include <linux/vdpa.h>
#include <linux/virtio_config.h>

#include "mock_iommu.h"

#define MOCK_VDPA_VQ_NUM_MAX	256
#define MOCK_VDPA_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) | \
				 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM))

/**
 * struct mock_vdpa - A vDPA device behind the test IOMMU
 * @vdpa: The vDPA device
 * @mdev: The mock-bus device that does its DMA, its vDPA DMA device
 * @lock: Protects what follows
 * @status: Virtio device status
 * @features: Negotiated features
 * @config: Config space, with the DMA engine
 * @vq_ready: The virtqueue is enabled
 * @vq_num: Its size
 * @vq_desc: Its descriptor area
 * @vq_driver: Its driver area
 * @vq_device: Its device area
 * @vq_avail: Its next available index
 * @vq_cb: Its interrupt callback
 */
struct mock_vdpa {
	struct vdpa_device vdpa;
	struct mock_dev *mdev;
	struct mutex lock; /* protects what follows */
	u8 status;
	u64 features;
	struct ioasid_test_vdpa_config config;
	bool vq_ready;
	u32 vq_num;
	u64 vq_desc;
	u64 vq_driver;
	u64 vq_device;
	u16 vq_avail;
	struct vdpa_callback vq_cb;
};

static struct mock_vdpa *to_mock_vdpa(struct vdpa_device *vdpa)
{
	return container_of(vdpa, struct mock_vdpa, vdpa);
}

static int mock_vdpa_set_vq_address(struct vdpa_device *vdpa, u16 idx,
				    u64 desc, u64 driver, u64 device)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);

	mutex_lock(&mv->lock);
	mv->vq_desc = desc;
	mv->vq_driver = driver;
	mv->vq_device = device;
	mutex_unlock(&mv->lock);
	return 0;
}

static void mock_vdpa_set_vq_num(struct vdpa_device *vdpa, u16 idx, u32 num)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);

	mutex_lock(&mv->lock);
	mv->vq_num = num;
	mutex_unlock(&mv->lock);
}

/* The virtqueue carries no work: the DMA engine does. */
static void mock_vdpa_kick_vq(struct vdpa_device *vdpa, u16 idx)
{
}

static void mock_vdpa_set_vq_cb(struct vdpa_device *vdpa, u16 idx,
				struct vdpa_callback *cb)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);

	mutex_lock(&mv->lock);
	mv->vq_cb = *cb;
	mutex_unlock(&mv->lock);
}

static void mock_vdpa_set_vq_ready(struct vdpa_device *vdpa, u16 idx,
				   bool ready)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);

	mutex_lock(&mv->lock);
	mv->vq_ready = ready;
	mutex_unlock(&mv->lock);
}

static bool mock_vdpa_get_vq_ready(struct vdpa_device *vdpa, u16 idx)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);
	bool ready;

	mutex_lock(&mv->lock);
	ready = mv->vq_ready;
	mutex_unlock(&mv->lock);
	return ready;
}

static int mock_vdpa_set_vq_state(struct vdpa_device *vdpa, u16 idx,
				  const struct vdpa_vq_state *state)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);

	mutex_lock(&mv->lock);
	mv->vq_avail = state->split.avail_index;
	mutex_unlock(&mv->lock);
	return 0;
}

static int mock_vdpa_get_vq_state(struct vdpa_device *vdpa, u16 idx,
				  struct vdpa_vq_state *state)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);

	mutex_lock(&mv->lock);
	state->split.avail_index = mv->vq_avail;
	mutex_unlock(&mv->lock);
	return 0;
}

static u32 mock_vdpa_get_vq_align(struct vdpa_device *vdpa)
{
	return PAGE_SIZE;
}

static u64 mock_vdpa_get_device_features(struct vdpa_device *vdpa)
{
	return MOCK_VDPA_FEATURES;
}

static int mock_vdpa_set_driver_features(struct vdpa_device *vdpa,
					 u64 features)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);

	mutex_lock(&mv->lock);
	mv->features = features & MOCK_VDPA_FEATURES;
	mutex_unlock(&mv->lock);
	return 0;
}

static u64 mock_vdpa_get_driver_features(struct vdpa_device *vdpa)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);
	u64 features;

	mutex_lock(&mv->lock);
	features = mv->features;
	mutex_unlock(&mv->lock);
	return features;
}

static void mock_vdpa_set_config_cb(struct vdpa_device *vdpa,
				    struct vdpa_callback *cb)
{
}

static u16 mock_vdpa_get_vq_num_max(struct vdpa_device *vdpa)
{
	return MOCK_VDPA_VQ_NUM_MAX;
}

/* No virtio device type: a test device that vhost-vdpa alone drives. */
static u32 mock_vdpa_get_device_id(struct vdpa_device *vdpa)
{
	return 0;
}

static u32 mock_vdpa_get_vendor_id(struct vdpa_device *vdpa)
{
	return 0;
}

static u8 mock_vdpa_get_status(struct vdpa_device *vdpa)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);
	u8 status;

	mutex_lock(&mv->lock);
	status = mv->status;
	mutex_unlock(&mv->lock);
	return status;
}

static void mock_vdpa_set_status(struct vdpa_device *vdpa, u8 status)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);

	mutex_lock(&mv->lock);
	mv->status = status;
	mutex_unlock(&mv->lock);
}

static int mock_vdpa_reset(struct vdpa_device *vdpa)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);

	mutex_lock(&mv->lock);
	mv->status = 0;
	mv->features = 0;
	mv->vq_ready = false;
	mv->vq_num = 0;
	mv->vq_desc = 0;
	mv->vq_driver = 0;
	mv->vq_device = 0;
	mv->vq_avail = 0;
	mv->vq_cb = (struct vdpa_callback){};
	memset(&mv->config, 0, sizeof(mv->config));
	mutex_unlock(&mv->lock);
	return 0;
}

static size_t mock_vdpa_get_config_size(struct vdpa_device *vdpa)
{
	return sizeof(struct ioasid_test_vdpa_config);
}

static void mock_vdpa_get_config(struct vdpa_device *vdpa,
				 unsigned int offset, void *buf,
				 unsigned int len)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);

	if (offset > sizeof(mv->config) || len > sizeof(mv->config) - offset)
		return;
	mutex_lock(&mv->lock);
	memcpy(buf, (u8 *)&mv->config + offset, len);
	mutex_unlock(&mv->lock);
}

/* Run the command of the config space, page by page. */
static void mock_vdpa_run(struct mock_vdpa *mv)
{
	struct ioasid_test_vdpa_config *c = &mv->config;
	bool write = c->cmd == IOASID_TEST_VDPA_DMA_WRITE;
	u32 done = 0;
	int rc = 0;

	lockdep_assert_held(&mv->lock);
	if ((c->cmd != IOASID_TEST_VDPA_DMA_READ && !write) || !c->length ||
	    c->length > sizeof(c->buf) || c->iova + c->length - 1 < c->iova)
		rc = -EINVAL;
	while (!rc && done < c->length) {
		u64 iova = c->iova + done;
		size_t len = min_t(u64, c->length - done,
				   PAGE_SIZE - offset_in_page(iova));
		struct iommu_domain *refused;
		struct mock_fault fault;
		bool hit;

		/* A write to memory takes the bytes from the buffer. */
		rc = mock_dev_dma(mv->mdev, false, IOMMU_NO_PASID, iova,
				  c->buf + done, len,
				  write ? MOCK_ACC_WRITE : MOCK_ACC_READ,
				  &fault, &hit, &refused);
		if (!rc)
			done += len;
	}
	c->done = done;
	c->result = -rc;
	c->cmd = IOASID_TEST_VDPA_IDLE;
}

static void mock_vdpa_set_config(struct vdpa_device *vdpa,
				 unsigned int offset, const void *buf,
				 unsigned int len)
{
	struct mock_vdpa *mv = to_mock_vdpa(vdpa);
	unsigned int cmd = offsetof(struct ioasid_test_vdpa_config, cmd);

	if (offset > sizeof(mv->config) || len > sizeof(mv->config) - offset)
		return;
	mutex_lock(&mv->lock);
	memcpy((u8 *)&mv->config + offset, buf, len);
	if (offset <= cmd && offset + len >= cmd + sizeof(mv->config.cmd))
		mock_vdpa_run(mv);
	mutex_unlock(&mv->lock);
}

static u32 mock_vdpa_get_generation(struct vdpa_device *vdpa)
{
	return 0;
}

static void mock_vdpa_free(struct vdpa_device *vdpa)
{
	mutex_destroy(&to_mock_vdpa(vdpa)->lock);
}

static const struct vdpa_config_ops mock_vdpa_ops = {
	.set_vq_address = mock_vdpa_set_vq_address,
	.set_vq_num = mock_vdpa_set_vq_num,
	.kick_vq = mock_vdpa_kick_vq,
	.set_vq_cb = mock_vdpa_set_vq_cb,
	.set_vq_ready = mock_vdpa_set_vq_ready,
	.get_vq_ready = mock_vdpa_get_vq_ready,
	.set_vq_state = mock_vdpa_set_vq_state,
	.get_vq_state = mock_vdpa_get_vq_state,
	.get_vq_align = mock_vdpa_get_vq_align,
	.get_device_features = mock_vdpa_get_device_features,
	.set_driver_features = mock_vdpa_set_driver_features,
	.get_driver_features = mock_vdpa_get_driver_features,
	.set_config_cb = mock_vdpa_set_config_cb,
	.get_vq_num_max = mock_vdpa_get_vq_num_max,
	.get_device_id = mock_vdpa_get_device_id,
	.get_vendor_id = mock_vdpa_get_vendor_id,
	.get_status = mock_vdpa_get_status,
	.set_status = mock_vdpa_set_status,
	.reset = mock_vdpa_reset,
	.get_config_size = mock_vdpa_get_config_size,
	.get_config = mock_vdpa_get_config,
	.set_config = mock_vdpa_set_config,
	.get_generation = mock_vdpa_get_generation,
	.free = mock_vdpa_free,
};

static int mock_vdpa_dev_add(struct vdpa_mgmt_dev *mgmt, const char *name,
			     const struct vdpa_dev_set_config *config)
{
	struct mock_dev *mdev;
	struct mock_vdpa *mv;
	int rc;

	mdev = mock_dev_create(0, 0, NULL);
	if (IS_ERR(mdev))
		return PTR_ERR(mdev);
	mv = vdpa_alloc_device(struct mock_vdpa, vdpa, &mdev->dev,
			       &mock_vdpa_ops, 1, 1, name, false);
	if (IS_ERR(mv)) {
		rc = PTR_ERR(mv);
		goto err_mdev;
	}
	/* From here on, the last put frees through mock_vdpa_free(). */
	mutex_init(&mv->lock);
	mv->mdev = mdev;
	mv->vdpa.dma_dev = &mdev->dev;
	mv->vdpa.mdev = mgmt;
	rc = _vdpa_register_device(&mv->vdpa, 1);
	if (rc) {
		put_device(&mv->vdpa.dev);
		goto err_mdev;
	}
	return 0;

err_mdev:
	device_unregister(&mdev->dev);
	return rc;
}

static void mock_vdpa_dev_del(struct vdpa_mgmt_dev *mgmt,
			      struct vdpa_device *vdpa)
{
	struct mock_dev *mdev = to_mock_vdpa(vdpa)->mdev;

	/* Waits for vhost-vdpa's files of the device to be released. */
	_vdpa_unregister_device(vdpa);
	device_unregister(&mdev->dev);
}

static const struct vdpa_mgmtdev_ops mock_vdpa_mgmt_ops = {
	.dev_add = mock_vdpa_dev_add,
	.dev_del = mock_vdpa_dev_del,
};

static struct virtio_device_id mock_vdpa_id_table[] = {
	{ 0 },
};

static struct vdpa_mgmt_dev mock_vdpa_mgmt = {
	.id_table = mock_vdpa_id_table,
	.ops = &mock_vdpa_mgmt_ops,
	.supported_features = MOCK_VDPA_FEATURES,
	.max_supported_vqs = 1,
};

/**
 * mock_vdpa_init() - Register the management device
 *
 * Return: 0 or a negative errno.
 */
int mock_vdpa_init(void)
{
	struct device *root;
	int rc;

	root = root_device_register(IOASID_TEST_VDPA_MGMTDEV);
	if (IS_ERR(root))
		return PTR_ERR(root);
	mock_vdpa_mgmt.device = root;
	rc = vdpa_mgmtdev_register(&mock_vdpa_mgmt);
	if (rc) {
		mock_vdpa_mgmt.device = NULL;
		root_device_unregister(root);
	}
	return rc;
}

/**
 * mock_vdpa_exit() - Remove the management device and its devices
 */
void mock_vdpa_exit(void)
{
	struct device *root = mock_vdpa_mgmt.device;

	vdpa_mgmtdev_unregister(&mock_vdpa_mgmt);
	mock_vdpa_mgmt.device = NULL;
	root_device_unregister(root);
}
