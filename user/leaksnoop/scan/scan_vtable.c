// SPDX-License-Identifier: GPL-2.0
/* memcheck's vtable test (mc_leakcheck.c aligned_ptr_above_page0_is_vtable_addr):
 * see scan_vtable.h. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "procfs.h"
#include "scan_vtable.h"

#define VTABLE_MAX_CHECK	20	/* memcheck's: words looked at past the first */
/* Verdicts kept by address: a heap holds many objects of few classes, so
 * the same few vtable addresses come again and again. */
#define CACHE_SLOTS		4096

struct verdict {
	uint64_t addr;		/* 0: empty (no vtable is in page 0) */
	bool yes;
};

struct vtables {
	pid_t pid;
	bool tried_maps;
	struct vma_list maps;
	struct verdict cache[CACHE_SLOTS];
};

struct vtables *vtables_new(pid_t pid)
{
	struct vtables *vt = calloc(1, sizeof(*vt));

	if (vt)
		vt->pid = pid;
	return vt;
}

void vtables_free(struct vtables *vt)
{
	if (!vt)
		return;
	vma_list_free(&vt->maps);
	free(vt);
}

/* The mapping addr is in, or NULL (maps are sorted by address). */
static const struct vma *mapping_of(const struct vtables *vt, uint64_t addr)
{
	size_t lo = 0, hi = vt->maps.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vma *v = &vt->maps.v[mid];

		if (addr < v->start)
			hi = mid;
		else if (addr >= v->end)
			lo = mid + 1;
		else
			return v;
	}
	return NULL;
}

/* A table whose first non-null words (two at least, of up to 21) all
 * point into a mapped file's executable code, itself in a mapped file. */
static bool is_vtable(const struct vtables *vt, uint64_t addr)
{
	const struct vma *seg = mapping_of(vt, addr);
	uint64_t words[VTABLE_MAX_CHECK + 1], last;
	struct iovec local = { words, 0 }, remote;
	ssize_t got;
	int fns = 0;

	if (!seg || seg->kind != VMA_FILE || !seg->read)
		return false;
	last = addr + VTABLE_MAX_CHECK * sizeof(uint64_t);
	if (last > seg->end - sizeof(uint64_t))
		last = seg->end - sizeof(uint64_t);
	local.iov_len = last - addr + sizeof(uint64_t);
	memcpy(&remote.iov_base, &addr, sizeof(addr));
	remote.iov_len = local.iov_len;
	got = process_vm_readv(vt->pid, &local, 1, &remote, 1, 0);
	for (ssize_t i = 0; i < got / (ssize_t)sizeof(uint64_t); i++) {
		const struct vma *fn;

		if (!words[i])
			continue;
		fn = mapping_of(vt, words[i]);
		if (!fn || fn->kind != VMA_FILE || !fn->exec)
			return false;
		if (++fns == 2)
			return true;
	}
	return false;
}

bool vtables_test(void *ctx, uint64_t addr)
{
	struct vtables *vt = ctx;
	struct verdict *v = &vt->cache[(addr >> 3) % CACHE_SLOTS];

	if (!vt->tried_maps) {
		vt->tried_maps = true;
		procfs_read_pid_maps(vt->pid, &vt->maps);	/* none: no vtables */
	}
	if (v->addr != addr) {
		v->addr = addr;
		v->yes = is_vtable(vt, addr);
	}
	return v->yes;
}
