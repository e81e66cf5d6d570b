/* SPDX-License-Identifier: GPL-2.0 */
/* Loading leaksnoop's BPF object and attaching it: uprobes in the target's
 * allocator, kernel tracepoints, syscall tracepoints. */
#ifndef LEAKSNOOP_ATTACH_H
#define LEAKSNOOP_ATTACH_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "allocators.h"

struct leaksnoop_bpf;
struct bpf_link;
struct leaksnoop_config;
struct ksyms;

/* one perf-event link per probe when uprobe_multi is missing: two per
 * allocator function (entry and return), ~60 functions in the worst case;
 * a -p list has a set per process (glibc's 9 functions: 18 links each) */
#define MAX_LINKS 2048
#define MAX_MULTI_FDS 320
#define MAX_ALLOCATORS 8

/* A file, as /proc/PID/maps names it (device and inode). */
struct file_id {
	unsigned int major, minor;
	uint64_t ino;
};

/* the objects looked at for allocators (dlopen re-check: only new ones
 * start one) and the probes attached, by file and offset */
#define MAX_EXAMINED 1024
#define MAX_PROBED 256

struct probed_site {
	struct file_id file;
	uint64_t off;
};

/* Links being closed on threads of their own (detach.c): a bpf_link, or
 * (link NULL) a uprobe_multi link's fd. */
#define DETACH_THREADS 64
struct detach_item {
	struct bpf_link *link;
	int fd;
};
struct detacher;
struct detach_job {
	struct detacher *d;
	int from, to;		/* items */
};
struct detacher {
	struct detach_item items[MAX_LINKS + MAX_MULTI_FDS];
	int nr_items;
	pthread_t threads[DETACH_THREADS];
	struct detach_job jobs[DETACH_THREADS];
	int nr_threads;
};

struct loader {
	const struct leaksnoop_config *cfg;
	struct leaksnoop_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nr_links;
	int nr_kernel_links;		/* links[0, nr_kernel_links): tracepoints; the rest uprobes */
	int multi_fds[MAX_MULTI_FDS];	/* uprobe_multi links */
	int nr_multi;
	bool multi;			/* the kernel has uprobe_multi links (6.6+) */
	bool cookies;			/* uprobes get BPF cookies (5.15+) */
	bool task_storage;		/* in-flight state in task local storage */
	struct allocator_info allocs[MAX_ALLOCATORS];
	int nr_allocs;
	bool heap_traced;		/* some allocator's malloc and free are probed */
	char heap_why[160];		/* !heap_traced: why not */
	int nr_funcs;			/* allocator functions probed, all objects */
	struct file_id examined[MAX_EXAMINED];
	int nr_examined;		/* MAX_EXAMINED: full, every change re-checks */
	struct probed_site probed[MAX_PROBED];
	int nr_probed;
	int nr_rechecks;		/* dlopen re-checks that found new objects */
	bool has_syscalls;		/* mmap/brk tracepoints attached */
	bool has_pages;
	bool has_cache_names;		/* kmem_cache_alloc carries the cache (6.1+) */
	const struct ksyms *ksyms;	/* kallsyms, for the uprobe bookkeeping's ranges */
	/* a -p list without -f or --cgroup: each object's probes once per
	 * process, filtered by the kernel (no cost to any other process);
	 * NULL: once, for tgid (or for every process: -f, --cgroup) */
	const pid_t *probe_pids;
	int nr_probe_pids;
	int nr_own_ranges;		/* uprobe-bookkeeping text ranges filtered */
	bool batch_frees;		/* kfree_rcu's batched frees are watched */
	char batch_why[96];		/* --kernel and !batch_frees: why not */
	struct detacher detach;		/* links being closed (detach.c) */
	bool user_detached;		/* the uprobes are closing: none is attached again */
};

struct unwind_plan;

/* Opens and loads the BPF object for tgid (0: whole system) as cfg asks,
 * with the CFI unwinder as plan says (unwind.h). counting: allocations
 * count from the start (-p), not from the traced command's exec. Returns -1
 * after printing why. */
int loader_open(struct loader *l, const struct leaksnoop_config *cfg, pid_t tgid, bool counting,
		const struct unwind_plan *plan);
/* Attaches everything l->cfg asks for; ksyms (NULL: none) tells the uprobe
 * machinery's own kernel allocations apart. -1 after printing why. */
int loader_attach(struct loader *l, const struct ksyms *ksyms, pid_t tgid);
/* Takes a link attached elsewhere (the unwinder's ld.so probe), so that
 * loader_close detaches it with the others, in parallel. 0 or -ENOSPC (the
 * link is then destroyed). */
int loader_adopt_link(struct loader *l, struct bpf_link *link);
/* The same for a uprobe_multi link's fd (closed with the others). */
int loader_adopt_multi_fd(struct loader *l, int fd);
/* Starts closing the user heap's uprobes (the ld.so hook's too), each on a
 * thread of its own, and returns at once: for a process that will not run
 * user code again (stopped at its exit). Later rechecks attach nothing. */
void loader_detach_user(struct loader *l);
/* Starts closing every link not closing yet (the tracepoints: once the
 * final report has read the tables). Returns at once. */
void loader_detach_all(struct loader *l);
/* A process joins the set (-p list, -f, --cgroup: cfg->proc_set), named
 * comm until its own name is known. 0 or -errno (the map is full). */
int loader_add_proc(struct loader *l, pid_t pid, const char *comm);
/* --cgroup: the cgroup v2 directory (an absolute path) whose tasks join the
 * set at their first allocation. 0 or -errno. */
int loader_set_cgroup(struct loader *l, const char *dir);
/* Detaches everything (what was started above, the rest in parallel),
 * waits for every close, then frees the BPF object. */
void loader_close(struct loader *l);
/* -v: each user-heap program's runs and ns per run, when the kernel counts. */
void loader_print_prog_costs(const struct loader *l);
/* -v: the allocators probed, one line each. */
void loader_say_probed(const struct loader *l);

/* internal to attach*.c */
int add_link(struct loader *l, struct bpf_link *link, const char *what);
int find_mapped(pid_t pid, const char *want, char *out, size_t size);
/* Finds the allocators of tgid (or env.lib) and probes them (attach_user.c).
 * -1 only when --lib names something unusable; an allocator not found is
 * reported through heap_traced/heap_why. */
int attach_user(struct loader *l, pid_t tgid);
/* After the process's mappings changed (a dlopen): when an object not
 * looked at before is mapped, finds the allocators again and probes the
 * functions not probed yet (a new allocator's). Returns how many were
 * probed, or -1 after printing why. */
int attach_user_recheck(struct loader *l, pid_t tgid);

#endif
