/* SPDX-License-Identifier: GPL-2.0 */
/* Loading leaksnoop's BPF object and attaching it: uprobes in the target's
 * allocator, kernel tracepoints, syscall tracepoints. */
#ifndef LEAKSNOOP_ATTACH_H
#define LEAKSNOOP_ATTACH_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct leaksnoop_bpf;
struct bpf_link;
struct leaksnoop_config;

#define MAX_LINKS 64

struct loader {
	const struct leaksnoop_config *cfg;
	struct leaksnoop_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nr_links;
	char lib_path[PATH_MAX];	/* the allocator probed (user mode) */
	int nr_funcs;			/* allocator functions found and probed */
	bool has_syscalls;		/* mmap/brk tracepoints attached */
	bool has_pages;
	bool has_cache_names;		/* kmem_cache_alloc carries the cache (6.1+) */
};

/* Opens and loads the BPF object for tgid (0: whole system) as cfg asks.
 * counting: allocations count from the start (-p), not from the traced
 * command's exec. Returns -1 after printing why. */
int loader_open(struct loader *l, const struct leaksnoop_config *cfg, pid_t tgid, bool counting);
/* Attaches everything l->cfg asks for. -1 after printing why. */
int loader_attach(struct loader *l, pid_t tgid);
void loader_close(struct loader *l);

#endif
