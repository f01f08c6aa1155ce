// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid: the character device, its contexts, their object tables and
 * the ioctl dispatcher.
 *
 * Each open file is a context that owns objects by u32 id.  See
 * ioasid_private.h for the object lifetime and the locking rules.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ioasid.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioasid_private.h"

/**
 * struct ioasid_object_ops - Operations of one kind of object
 * @destroy: Release everything the object holds.  Called once the object
 *           is unreachable and its last reference is gone; the core frees
 *           the object itself afterwards.
 * @kernel_only: Only the kernel removes objects of this kind, on behalf of
 *               their owner: IOASID_DESTROY refuses them, and the close of
 *               the file leaves them to their owner
 */
struct ioasid_object_ops {
	void (*destroy)(struct ioasid_object *obj);
	bool kernel_only;
};

static const struct ioasid_object_ops ioasid_object_ops[IOASID_OBJ_MAX] = {
	[IOASID_OBJ_IOAS] = {
		.destroy = ioasid_ioas_destroy,
	},
	[IOASID_OBJ_DEVICE] = {
		.destroy = ioasid_device_destroy,
		.kernel_only = true,
	},
	[IOASID_OBJ_HWPT_PAGING] = {
		.destroy = ioasid_hwpt_paging_destroy,
	},
	[IOASID_OBJ_HWPT_NESTED] = {
		.destroy = ioasid_hwpt_nested_destroy,
	},
	[IOASID_OBJ_ACCESS] = {
		.destroy = ioasid_access_destroy_obj,
		.kernel_only = true,
	},
	[IOASID_OBJ_FAULT_QUEUE] = {
		.destroy = ioasid_fault_queue_destroy,
	},
#ifdef CONFIG_IOASID_TEST
	[IOASID_OBJ_MOCK_DEV] = {
		.destroy = ioasid_mock_dev_destroy,
	},
	[IOASID_OBJ_MOCK_DOMAIN] = {
		.destroy = ioasid_mock_domain_destroy,
	},
	[IOASID_OBJ_MOCK_ACCESS] = {
		.destroy = ioasid_mock_access_destroy,
	},
#endif
};

struct ioasid_object *_ioasid_object_alloc(struct ioasid_ctx *ctx,
					   size_t size,
					   enum ioasid_object_type type)
{
	struct ioasid_object *obj;
	int rc;

	obj = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->type = type;
	refcount_set(&obj->users, 1);
	refcount_set(&obj->shortterm, 1);

	/*
	 * Reserve the id with an empty entry: lookups do not see the object
	 * until ioasid_object_finalize() stores it.
	 */
	rc = xa_alloc(&ctx->objects, &obj->id, XA_ZERO_ENTRY, xa_limit_32b,
		      GFP_KERNEL_ACCOUNT);
	if (rc) {
		kfree(obj);
		return ERR_PTR(rc);
	}
	return obj;
}

/**
 * ioasid_object_finalize() - Publish a fully built object
 * @ctx: Context the object was allocated in
 * @obj: Object returned by ioasid_object_alloc()
 *
 * After this the object is visible to lookups and to IOASID_DESTROY; its
 * creator must not touch it again without a reference of its own.
 */
void ioasid_object_finalize(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	void *old;

	/*
	 * The id is reserved for this object alone.  Replacing the reserved
	 * entry never allocates, so this cannot fail, and the xarray reports
	 * the reserved entry it replaces as NULL.
	 */
	old = xa_store(&ctx->objects, obj->id, obj, GFP_KERNEL_ACCOUNT);
	WARN_ON(old);
}

/**
 * ioasid_object_abort() - Free an object that was never finalized
 * @ctx: Context the object was allocated in
 * @obj: Object returned by ioasid_object_alloc()
 *
 * For an object whose type-specific part holds nothing yet.
 */
void ioasid_object_abort(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	void *old;

	old = xa_erase(&ctx->objects, obj->id);
	WARN_ON(old);
	kfree(obj);
}

/**
 * ioasid_object_abort_and_destroy() - Destroy an object never finalized
 * @ctx: Context the object was allocated in
 * @obj: Object returned by ioasid_object_alloc()
 *
 * For an object whose type-specific part is built far enough for its
 * destroy operation to undo it.
 */
void ioasid_object_abort_and_destroy(struct ioasid_ctx *ctx,
				     struct ioasid_object *obj)
{
	ioasid_object_ops[obj->type].destroy(obj);
	ioasid_object_abort(ctx, obj);
}

/**
 * ioasid_get_object() - Look up an object and take a reference on it
 * @ctx: Context to search
 * @id: Id of the object
 * @type: Expected kind, or %IOASID_OBJ_ANY
 *
 * The reference is short-term: the caller drops it with ioasid_put_object()
 * before returning to user space, or turns it into a long-term one with
 * ioasid_object_hold() first.
 *
 * Return: the object, or ERR_PTR(-ENOENT) when @id names no published
 * object of that kind, or one being removed.
 */
struct ioasid_object *ioasid_get_object(struct ioasid_ctx *ctx, u32 id,
					enum ioasid_object_type type)
{
	struct ioasid_object *obj;

	xa_lock(&ctx->objects);
	obj = xa_load(&ctx->objects, id);
	if (!obj || (type != IOASID_OBJ_ANY && obj->type != type) ||
	    !refcount_inc_not_zero(&obj->users)) {
		obj = ERR_PTR(-ENOENT);
	} else if (!refcount_inc_not_zero(&obj->shortterm)) {
		/* A kernel removal stopped lookups: the table holds @users. */
		refcount_dec(&obj->users);
		obj = ERR_PTR(-ENOENT);
	}
	xa_unlock(&ctx->objects);
	return obj;
}

/**
 * ioasid_put_object() - Drop a reference taken by ioasid_get_object()
 * @obj: Object to release
 *
 * Never frees the object: a removal waiting for this lookup to end does.
 */
void ioasid_put_object(struct ioasid_object *obj)
{
	/*
	 * @users first: a removal that saw @users drop to the table's
	 * reference then waits for @shortterm, never the other way round.
	 */
	refcount_dec(&obj->users);
	if (refcount_dec_and_test(&obj->shortterm)) {
		/* Order the count before the waiter check; @obj may be gone. */
		smp_mb__after_atomic();
		wake_up_var(&obj->shortterm);
	}
}

/* Drop the lookup count's base and wait for the lookups in progress. */
static void ioasid_object_wait_shortterm(struct ioasid_object *obj)
{
	if (refcount_dec_and_test(&obj->shortterm))
		return;
	wait_var_event(&obj->shortterm, !refcount_read(&obj->shortterm));
}

static void ioasid_object_destroy(struct ioasid_object *obj)
{
	/* Nothing may hold an object that is destroyed. */
	if (IS_ENABLED(CONFIG_IOASID_TEST))
		WARN_ON(refcount_read(&obj->users) ||
			refcount_read(&obj->shortterm));
	ioasid_object_ops[obj->type].destroy(obj);
	kfree(obj);
}

/**
 * ioasid_object_remove() - Take an object out of its context and destroy it
 * @ctx: Context of the object
 * @obj: The object, when the kernel removes one it knows, else NULL
 * @id: Id of the object
 * @flags: &enum ioasid_remove_flags
 *
 * The one way an object leaves its table: see "Object lifetime" in
 * ioasid_private.h.  Decides under the table lock that nothing but the
 * table holds the object, and erases it in the same step; then waits for
 * the lookups that were ending meanwhile, and destroys the object.
 *
 * Return: 0 when the object was destroyed; -ENOENT when @id names no
 * object (or not @obj); -EPERM with %IOASID_REMOVE_USER for an object only
 * the kernel may destroy; -EBUSY when something else holds it.  A kernel
 * removal (%IOASID_REMOVE_WAIT) that fails is a bug, and WARNs.
 */
int ioasid_object_remove(struct ioasid_ctx *ctx, struct ioasid_object *obj,
			 u32 id, unsigned int flags)
{
	struct ioasid_object *found;
	int rc = 0;

	if (flags & IOASID_REMOVE_WAIT)
		ioasid_object_wait_shortterm(obj);

	xa_lock(&ctx->objects);
	found = xa_load(&ctx->objects, id);
	if (!found || (obj && found != obj)) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if ((flags & IOASID_REMOVE_USER) &&
	    ioasid_object_ops[found->type].kernel_only) {
		rc = -EPERM;
		goto out_unlock;
	}
	if (flags & IOASID_REMOVE_HELD)
		refcount_dec(&found->users);
	if (!refcount_dec_if_one(&found->users)) {
		if (flags & IOASID_REMOVE_HELD)
			refcount_inc(&found->users);
		rc = -EBUSY;
		goto out_unlock;
	}
	__xa_erase(&ctx->objects, id);
out_unlock:
	xa_unlock(&ctx->objects);

	if (rc) {
		if (flags & IOASID_REMOVE_WAIT) {
			/* Lookups may see the object again. */
			WARN_ON(1);
			refcount_set(&obj->shortterm, 1);
		}
		return rc;
	}
	/* Only puts that were racing the decision can be left. */
	if (!(flags & IOASID_REMOVE_WAIT))
		ioasid_object_wait_shortterm(found);
	ioasid_object_destroy(found);
	return 0;
}

static int ioasid_destroy(struct ioasid_ucmd *ucmd)
{
	struct ioasid_destroy *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!cmd->id)
		return -ENOENT;
	return ioasid_object_remove(ucmd->ctx, NULL, cmd->id,
				    IOASID_REMOVE_USER);
}

static u64 ioasid_features(void)
{
	u64 features = IOASID_FEATURE_IOAS | IOASID_FEATURE_ACCOUNT_MODE |
		       IOASID_FEATURE_MAP_FILE | IOASID_FEATURE_ALLOW_IOVAS |
		       IOASID_FEATURE_HWPT | IOASID_FEATURE_HW_INFO |
		       IOASID_FEATURE_PASID | IOASID_FEATURE_GLOBAL_PASID |
		       IOASID_FEATURE_NESTING | IOASID_FEATURE_FAULT;

	if (IS_ENABLED(CONFIG_IOASID_TEST))
		features |= IOASID_FEATURE_TEST;
	return features;
}

static int ioasid_get_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_info *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	cmd->api_version = IOASID_API_VERSION;
	cmd->features = ioasid_features();
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

static int ioasid_option(struct ioasid_ucmd *ucmd)
{
	struct ioasid_option *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx;

	if (cmd->flags & ~IOASID_OPTION_SET)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (cmd->option_id != IOASID_OPTION_ACCOUNT_MODE)
		return -EOPNOTSUPP;

	if (!(cmd->flags & IOASID_OPTION_SET)) {
		cmd->val64 = READ_ONCE(ctx->account_mode);
		return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	}
	if (cmd->val64 != IOASID_ACCOUNT_USER &&
	    cmd->val64 != IOASID_ACCOUNT_MM)
		return -EINVAL;
	if (!capable(CAP_SYS_RESOURCE))
		return -EPERM;
	/*
	 * Pins remember the mode they were charged in, so a map racing with
	 * this cannot be uncharged wrongly; the check only keeps a context
	 * from mixing modes by accident.
	 */
	if (atomic_long_read(&ctx->npinned))
		return -EBUSY;
	WRITE_ONCE(ctx->account_mode, cmd->val64);
	return 0;
}

/**
 * ioasid_ucmd_respond() - Copy a command's outputs back to user space
 * @ucmd: The call in progress
 * @cmd_len: Size of the kernel's command struct
 *
 * Writes at most the size the caller declared, so an older caller with a
 * shorter struct receives the fields it knows about.
 *
 * Return: 0 or -EFAULT.
 */
int ioasid_ucmd_respond(struct ioasid_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

/* Every command struct, so that the dispatcher has room for any of them. */
union ioasid_ucmd_buffer {
	struct ioasid_destroy destroy;
	struct ioasid_info info;
	struct ioasid_ioas_alloc ioas_alloc;
	struct ioasid_ioas_map ioas_map;
	struct ioasid_ioas_unmap ioas_unmap;
	struct ioasid_ioas_iova_ranges ioas_iova_ranges;
	struct ioasid_ioas_copy ioas_copy;
	struct ioasid_option option;
	struct ioasid_ioas_map_file ioas_map_file;
	struct ioasid_ioas_allow_iovas ioas_allow_iovas;
	struct ioasid_ioas_reserve ioas_reserve;
	struct ioasid_hwpt_alloc hwpt_alloc;
	struct ioasid_device_get_hw_info device_get_hw_info;
	struct ioasid_device_get_pasid_info device_get_pasid_info;
	struct ioasid_pasid_alloc pasid_alloc;
	struct ioasid_pasid_free pasid_free;
	struct ioasid_hwpt_invalidate hwpt_invalidate;
	struct ioasid_fault_queue_alloc fault_queue_alloc;
	struct ioasid_fault_queue_respond fault_queue_respond;
#ifdef CONFIG_IOASID_TEST
	struct ioasid_test_mock_dev_add mock_dev_add;
	struct ioasid_test_mock_domain_alloc mock_domain_alloc;
	struct ioasid_test_domain_map domain_map;
	struct ioasid_test_domain_unmap domain_unmap;
	struct ioasid_test_iopte_get iopte_get;
	struct ioasid_test_domain_info domain_info;
	struct ioasid_test_ctx_from_fd ctx_from_fd;
	struct ioasid_test_ioas_attach ioas_attach;
	struct ioasid_test_ioas_detach ioas_detach;
	struct ioasid_test_access_create access_create;
	struct ioasid_test_access_pin access_pin;
	struct ioasid_test_access_unpin access_unpin;
	struct ioasid_test_access_rw access_rw;
	struct ioasid_test_access_info access_info;
	struct ioasid_test_device_bind device_bind;
	struct ioasid_test_device_unbind device_unbind;
	struct ioasid_test_device_attach device_attach;
	struct ioasid_test_device_detach device_detach;
	struct ioasid_test_device_domain device_domain;
	struct ioasid_test_access_replace access_replace;
	struct ioasid_test_device_allow_pasid device_allow_pasid;
	struct ioasid_test_mock_dma mock_dma;
	struct ioasid_test_kernel_pasid kernel_pasid;
#endif
};

/**
 * struct ioasid_ioctl_op - One ioctl of the dispatch table
 * @size: Size of the command struct this kernel knows
 * @min_size: Size of the first published layout of the struct, the one
 *            minimum-size rule of the uAPI header; smaller sizes are
 *            refused with EINVAL
 * @ioctl_num: The full ioctl number
 * @execute: Handler, runs on a kernel copy of the struct
 */
struct ioasid_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct ioasid_ucmd *ucmd);
};

/*
 * @_name is the ioctl without its IOASID_ prefix, e.g. DESTROY.  The minimum
 * size is the whole struct as first published, padding included, always a
 * multiple of 8 bytes.  A struct that grew gives the size of its first
 * layout to IOCTL_OP_MIN().
 */
#define IOCTL_OP_MIN(_name, _fn, _struct, _min)                               \
	[IOASID_CMD_##_name - IOASID_CMD_BASE] = {                             \
		.size = sizeof(_struct) +                                      \
			BUILD_BUG_ON_ZERO(sizeof(union ioasid_ucmd_buffer) <   \
					  sizeof(_struct)) +                   \
			BUILD_BUG_ON_ZERO(sizeof(_struct) % 8),                \
		.min_size = _min,                                              \
		.ioctl_num = IOASID_##_name,                                   \
		.execute = _fn,                                                \
	}
#define IOCTL_OP(_name, _fn, _struct)                                         \
	IOCTL_OP_MIN(_name, _fn, _struct, sizeof(_struct))

static const struct ioasid_ioctl_op ioasid_ioctl_ops[] = {
	IOCTL_OP(DESTROY, ioasid_destroy, struct ioasid_destroy),
	IOCTL_OP(GET_INFO, ioasid_get_info, struct ioasid_info),
	IOCTL_OP(IOAS_ALLOC, ioasid_ioas_alloc_ioctl, struct ioasid_ioas_alloc),
	IOCTL_OP(IOAS_MAP, ioasid_ioas_map, struct ioasid_ioas_map),
	IOCTL_OP(IOAS_UNMAP, ioasid_ioas_unmap, struct ioasid_ioas_unmap),
	IOCTL_OP(IOAS_IOVA_RANGES, ioasid_ioas_iova_ranges,
		 struct ioasid_ioas_iova_ranges),
	IOCTL_OP(IOAS_COPY, ioasid_ioas_copy, struct ioasid_ioas_copy),
	IOCTL_OP(OPTION, ioasid_option, struct ioasid_option),
	IOCTL_OP(IOAS_MAP_FILE, ioasid_ioas_map_file,
		 struct ioasid_ioas_map_file),
	IOCTL_OP(IOAS_ALLOW_IOVAS, ioasid_ioas_allow_iovas,
		 struct ioasid_ioas_allow_iovas),
	IOCTL_OP(IOAS_RESERVE, ioasid_ioas_reserve, struct ioasid_ioas_reserve),
	IOCTL_OP_MIN(HWPT_ALLOC, ioasid_hwpt_alloc_ioctl,
		     struct ioasid_hwpt_alloc,
		     offsetof(struct ioasid_hwpt_alloc, data_len)),
	IOCTL_OP(DEVICE_GET_HW_INFO, ioasid_device_get_hw_info,
		 struct ioasid_device_get_hw_info),
	IOCTL_OP(DEVICE_GET_PASID_INFO, ioasid_device_get_pasid_info,
		 struct ioasid_device_get_pasid_info),
	IOCTL_OP(PASID_ALLOC, ioasid_pasid_alloc_ioctl, struct ioasid_pasid_alloc),
	IOCTL_OP(PASID_FREE, ioasid_pasid_free_ioctl, struct ioasid_pasid_free),
	IOCTL_OP(HWPT_INVALIDATE, ioasid_hwpt_invalidate_ioctl,
		 struct ioasid_hwpt_invalidate),
	IOCTL_OP(FAULT_QUEUE_ALLOC, ioasid_fault_queue_alloc_ioctl,
		 struct ioasid_fault_queue_alloc),
	IOCTL_OP(FAULT_QUEUE_RESPOND, ioasid_fault_queue_respond_ioctl,
		 struct ioasid_fault_queue_respond),
#ifdef CONFIG_IOASID_TEST
	IOCTL_OP_MIN(TEST_MOCK_DEV_ADD, ioasid_test_mock_dev_add,
		     struct ioasid_test_mock_dev_add,
		     offsetofend(struct ioasid_test_mock_dev_add, __reserved)),
	IOCTL_OP(TEST_MOCK_DOMAIN_ALLOC, ioasid_test_mock_domain_alloc,
		 struct ioasid_test_mock_domain_alloc),
	IOCTL_OP(TEST_DOMAIN_MAP, ioasid_test_domain_map,
		 struct ioasid_test_domain_map),
	IOCTL_OP(TEST_DOMAIN_UNMAP, ioasid_test_domain_unmap,
		 struct ioasid_test_domain_unmap),
	IOCTL_OP(TEST_IOPTE_GET, ioasid_test_iopte_get,
		 struct ioasid_test_iopte_get),
	IOCTL_OP(TEST_DOMAIN_INFO, ioasid_test_domain_info,
		 struct ioasid_test_domain_info),
	IOCTL_OP(TEST_CTX_FROM_FD, ioasid_test_ctx_from_fd,
		 struct ioasid_test_ctx_from_fd),
	IOCTL_OP(TEST_IOAS_ATTACH, ioasid_test_ioas_attach,
		 struct ioasid_test_ioas_attach),
	IOCTL_OP(TEST_IOAS_DETACH, ioasid_test_ioas_detach,
		 struct ioasid_test_ioas_detach),
	IOCTL_OP(TEST_ACCESS_CREATE, ioasid_test_access_create,
		 struct ioasid_test_access_create),
	IOCTL_OP(TEST_ACCESS_PIN, ioasid_test_access_pin,
		 struct ioasid_test_access_pin),
	IOCTL_OP(TEST_ACCESS_UNPIN, ioasid_test_access_unpin,
		 struct ioasid_test_access_unpin),
	IOCTL_OP(TEST_ACCESS_RW, ioasid_test_access_rw,
		 struct ioasid_test_access_rw),
	IOCTL_OP(TEST_ACCESS_INFO, ioasid_test_access_info,
		 struct ioasid_test_access_info),
	IOCTL_OP(TEST_DEVICE_BIND, ioasid_test_device_bind,
		 struct ioasid_test_device_bind),
	IOCTL_OP(TEST_DEVICE_UNBIND, ioasid_test_device_unbind,
		 struct ioasid_test_device_unbind),
	IOCTL_OP_MIN(TEST_DEVICE_ATTACH, ioasid_test_device_attach,
		     struct ioasid_test_device_attach,
		     offsetofend(struct ioasid_test_device_attach, pt_id)),
	IOCTL_OP_MIN(TEST_DEVICE_DETACH, ioasid_test_device_detach,
		     struct ioasid_test_device_detach,
		     offsetofend(struct ioasid_test_device_detach, __reserved)),
	IOCTL_OP_MIN(TEST_DEVICE_DOMAIN, ioasid_test_device_domain,
		     struct ioasid_test_device_domain,
		     offsetofend(struct ioasid_test_device_domain, __reserved2)),
	IOCTL_OP(TEST_ACCESS_REPLACE, ioasid_test_access_replace,
		 struct ioasid_test_access_replace),
	IOCTL_OP(TEST_DEVICE_ALLOW_PASID, ioasid_test_device_allow_pasid,
		 struct ioasid_test_device_allow_pasid),
	IOCTL_OP_MIN(TEST_MOCK_DMA, ioasid_test_mock_dma,
		     struct ioasid_test_mock_dma,
		     offsetofend(struct ioasid_test_mock_dma, out_done)),
	IOCTL_OP(TEST_KERNEL_PASID, ioasid_test_kernel_pasid,
		 struct ioasid_test_kernel_pasid),
	IOCTL_OP(TEST_IOPF_INJECT, ioasid_test_iopf_inject,
		 struct ioasid_test_iopf_inject),
	IOCTL_OP(TEST_IOPF_STATS, ioasid_test_iopf_stats,
		 struct ioasid_test_iopf_stats),
#endif
};

static long ioasid_fops_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	const struct ioasid_ioctl_op *op;
	union ioasid_ucmd_buffer buf;
	struct ioasid_ucmd ucmd = {
		.ctx = filp->private_data,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	unsigned int nr = _IOC_NR(cmd);
	int rc;

	/* Unsigned: a number below the base wraps and is refused too. */
	if (nr - IOASID_CMD_BASE >= ARRAY_SIZE(ioasid_ioctl_ops))
		return -ENOTTY;
	op = &ioasid_ioctl_ops[nr - IOASID_CMD_BASE];
	/* Also rejects the holes of the table, whose ioctl_num is 0. */
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	rc = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (rc)
		return rc;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	rc = copy_struct_from_user(&buf, op->size, ucmd.ubuffer,
				   ucmd.user_size);
	if (rc)
		return rc;
	return op->execute(&ucmd);
}

static int ioasid_fops_open(struct inode *inode, struct file *filp)
{
	struct ioasid_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	xa_init_flags(&ctx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	ctx->account_mode = IOASID_ACCOUNT_USER;
	atomic_long_set(&ctx->npinned, 0);
	xa_init(&ctx->groups);
	xa_init(&ctx->pasids);
	ctx->file = filp;
	filp->private_data = ctx;
	return 0;
}

/*
 * Destroy every object of a context whose file is being released, as
 * IOASID_DESTROY would.  Objects that others depend on are held by their
 * dependents, so they are skipped until those are gone; each pass destroys
 * at least one object unless a reference leaked.  Objects only the kernel
 * removes go with their owners (a mock device unbinds its device): bound
 * devices of other owners hold the file, so none is left here.
 */
static void ioasid_ctx_destroy_objects(struct ioasid_ctx *ctx)
{
	struct ioasid_object *obj;
	unsigned long index;
	bool progress;

	do {
		progress = false;
		xa_for_each(&ctx->objects, index, obj) {
			if (!ioasid_object_remove(ctx, NULL, index,
						  IOASID_REMOVE_USER))
				progress = true;
			cond_resched();
		}
	} while (progress);

	/* A remaining object means a reference was leaked: keep it alive. */
	WARN_ON(!xa_empty(&ctx->objects));
}

static int ioasid_fops_release(struct inode *inode, struct file *filp)
{
	struct ioasid_ctx *ctx = filp->private_data;

	ioasid_ctx_destroy_objects(ctx);
	/* Bound devices hold the file: none is left, nor any group. */
	WARN_ON(!xa_empty(&ctx->groups));
	xa_destroy(&ctx->groups);
	/* With the devices, every attachment of a global PASID is gone. */
	ioasid_ctx_free_pasids(ctx);
	if (xa_empty(&ctx->objects))
		kfree(ctx);
	return 0;
}

static const struct file_operations ioasid_fops;

/**
 * ioasid_ctx_from_fd() - Get the context of an open /dev/ioasid file
 * @fd: File descriptor user space passed in
 *
 * For device-owning subsystems that bind their devices to a context.  The
 * reference keeps the context alive; release it with ioasid_ctx_put().
 *
 * Return: the context, ERR_PTR(-EBADF) when @fd is not an open file, or
 * ERR_PTR(-EBADFD) when it is not a /dev/ioasid file.
 */
struct ioasid_ctx *ioasid_ctx_from_fd(int fd)
{
	struct file *file;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op != &ioasid_fops) {
		fput(file);
		return ERR_PTR(-EBADFD);
	}
	/* The file reference keeps the context alive. */
	return file->private_data;
}
EXPORT_SYMBOL_NS_GPL(ioasid_ctx_from_fd, IOASID);

/**
 * ioasid_ctx_put() - Release a context reference
 * @ctx: Context returned by ioasid_ctx_from_fd()
 */
void ioasid_ctx_put(struct ioasid_ctx *ctx)
{
	fput(ctx->file);
}
EXPORT_SYMBOL_NS_GPL(ioasid_ctx_put, IOASID);

static const struct file_operations ioasid_fops = {
	.owner = THIS_MODULE,
	.open = ioasid_fops_open,
	.release = ioasid_fops_release,
	.unlocked_ioctl = ioasid_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice ioasid_misc_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioasid",
	.fops = &ioasid_fops,
	.mode = 0660,
};

static int __init ioasid_init(void)
{
	int rc;

	rc = ioasid_test_init();
	if (rc)
		return rc;

	rc = misc_register(&ioasid_misc_dev);
	if (rc)
		goto err_test;
	return 0;

err_test:
	ioasid_test_exit();
	return rc;
}

static void __exit ioasid_exit(void)
{
	misc_deregister(&ioasid_misc_dev);
	ioasid_test_exit();
}

module_init(ioasid_init);
module_exit(ioasid_exit);

MODULE_DESCRIPTION("/dev/ioasid: IO address spaces for user space");
/* The attach-handle calls of the IOMMU core, for attach and replace. */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
MODULE_LICENSE("GPL");
