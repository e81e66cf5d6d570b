// SPDX-License-Identifier: GPL-2.0
/* Finds the allocator (the C library the target maps, or --lib), resolves
 * its functions' file offsets from the ELF symbol tables with libelf, and
 * attaches uprobes filtered to the target. Aliases (aligned_alloc and
 * memalign are one function in glibc) are probed once. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "config.h"
#include "feature_probe.h"
#include "fmt.h"
#include "kfree_batch.h"
#include "procfs.h"
#include "symbolize.h"
#include "unwinder.h"
#include "uprobe_multi.h"
#include "leaksnoop.h"
#include "leaksnoop.skel.h"

/* ---- which file ------------------------------------------------------------- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* The mapped file of pid (self when 0) whose base name or path is want,
 * through /proc/PID/root for containers. */
int find_mapped(pid_t pid, const char *want, char *out, size_t size)
{
	struct vma_list maps = {};
	int err = pid ? procfs_read_pid_maps(pid, &maps) : 0;

	if (!pid) {
		char *text = procfs_slurp("/proc/self/maps", NULL);

		if (!text)
			return -errno;
		err = procfs_parse_maps(text, &maps);
		free(text);
	}
	if (err)
		return err;
	err = -ENOENT;
	for (size_t i = 0; i < maps.n; i++) {
		const char *p = maps.v[i].path;

		if (!p || p[0] != '/' || !maps.v[i].exec)
			continue;
		if (strcmp(base_name(p), want) != 0 && strcmp(p, want) != 0)
			continue;
		if (pid)
			snprintf(out, size, "/proc/%d/root%s", pid, p);
		else
			snprintf(out, size, "%s", p);
		err = 0;
		break;
	}
	vma_list_free(&maps);
	return err;
}

/* ---- BPF ---------------------------------------------------------------------- */

#define NR(a) ((int)(sizeof(a) / sizeof((a)[0])))

enum prog_group { PROGS_KERNEL, PROGS_SYSCALLS, PROGS_USER };
#define USER_FIXED 4

/* The i-th program of a group, NULL past its end. PROGS_KERNEL: every
 * variant of every kernel hook (bpf/compat.bpf.h), frees first: an
 * allocation seen before its free's hook is attached would look leaked.
 * Which variant loads is decided by pick_kernel_variants(). */
static struct bpf_program *group_prog(struct leaksnoop_bpf *s, enum prog_group g, int i)
{
	struct bpf_program *kernel[] = {
		s->progs.on_kfree, s->progs.on_kfree_raw,
		s->progs.on_kmem_cache_free, s->progs.on_kmem_cache_free_raw,
		s->progs.on_page_free, s->progs.on_page_free_raw,
		s->progs.on_page_free_batched, s->progs.on_page_free_batched_raw,
		s->progs.on_kmalloc, s->progs.on_kmalloc_raw,
		s->progs.on_kmem_cache_alloc, s->progs.on_kmem_cache_alloc_raw,
		s->progs.on_kmem_cache_alloc_nocache,
		s->progs.on_page_alloc, s->progs.on_page_alloc_raw,
	};
	struct bpf_program *syscalls[] = { s->progs.on_sys_enter, s->progs.on_sys_exit };
	/* the cookie-driven ones, then (from USER_FIXED on) the fixed-layout
	 * ones for kernels without uprobe cookies */
	struct bpf_program *user[] = {
		s->progs.uprobe_entry, s->progs.uprobe_return, s->progs.uprobe_multi_entry,
		s->progs.uprobe_multi_return, s->progs.fixed_malloc, s->progs.fixed_malloc_a,
		s->progs.fixed_calloc, s->progs.fixed_realloc, s->progs.fixed_reallocn,
		s->progs.fixed_posix_memalign, s->progs.fixed_free, s->progs.fixed_resize,
	};
	struct bpf_program **groups[] = { kernel, syscalls, user };
	const int sizes[] = { NR(kernel), NR(syscalls), NR(user) };

	return i < sizes[g] ? groups[g][i] : NULL;
}

/* tp_btf where this kernel lets the program read the hook's pointer
 * arguments (~6.16+: `const void *ptr`), raw_tp with CO-RE reads before. */
static void pick_kernel_variants(struct loader *l)
{
	struct leaksnoop_bpf *s = l->skel;

	prog_pick(s->progs.on_kfree, s->progs.on_kfree_raw, tp_btf_usable("kfree", 2, false));
	prog_pick(s->progs.on_kmem_cache_free, s->progs.on_kmem_cache_free_raw,
		  tp_btf_usable("kmem_cache_free", 2, false));
	prog_pick(s->progs.on_kmalloc, s->progs.on_kmalloc_raw, tp_btf_usable("kmalloc", 4, false));
	/* up to 6.0: kmem_cache_alloc(call_site, ptr, bytes_req, bytes_alloc,
	 * gfp), no cache; 6.1+: (call_site, ptr, struct kmem_cache *s, ...) */
	l->has_cache_names = tp_btf_arg_is_struct_ptr("kmem_cache_alloc", 2, "kmem_cache");
	prog_pick(s->progs.on_kmem_cache_alloc, s->progs.on_kmem_cache_alloc_raw,
		  tp_btf_usable("kmem_cache_alloc", 3, false));
	if (!l->has_cache_names) {
		bpf_program__set_autoload(s->progs.on_kmem_cache_alloc, false);
		bpf_program__set_autoload(s->progs.on_kmem_cache_alloc_raw, false);
	} else {
		bpf_program__set_autoload(s->progs.on_kmem_cache_alloc_nocache, false);
	}
	prog_pick(s->progs.on_page_alloc, s->progs.on_page_alloc_raw,
		  tp_btf_usable("mm_page_alloc", 2, false));
	prog_pick(s->progs.on_page_free, s->progs.on_page_free_raw,
		  tp_btf_usable("mm_page_free", 1, false));
	prog_pick(s->progs.on_page_free_batched, s->progs.on_page_free_batched_raw,
		  tp_btf_usable("mm_page_free_batched", 1, false));
}

/* The page hooks off: all of them, or only mm_page_free_batched's. */
static void disable_page_progs(struct leaksnoop_bpf *s, bool all)
{
	struct bpf_program *p[] = {
		s->progs.on_page_free_batched, s->progs.on_page_free_batched_raw,
		s->progs.on_page_alloc, s->progs.on_page_alloc_raw,
		s->progs.on_page_free, s->progs.on_page_free_raw,
	};

	for (size_t i = 0; i < (all ? 6 : 2); i++)
		bpf_program__set_autoload(p[i], false);
}


/* The end of the kernel function at start: where kallsyms names another. */
static uint64_t ksym_end(const struct ksyms *k, uint64_t start)
{
	uint64_t lo = 1, hi = 1 << 16, off;
	const char *name = ksyms_resolve(k, start, &off);

	while (name && lo < hi) {	/* the last byte still in name */
		uint64_t mid = (lo + hi + 1) / 2;
		const char *n = ksyms_resolve(k, start + mid, &off);

		if (n == name && off == mid)
			lo = mid;
		else
			hi = mid - 1;
	}
	return start + lo + 1;
}

/* The hull of one source file's functions (names[0] anchors it: a name
 * kallsyms places farther than a file's text from it, another file's
 * static function of the same name, is left out), the hot text and the
 * .cold parts, into own_ranges from slot first on. */
static void add_own_hull(struct loader *l, const char *const *names, size_t n, int first)
{
	struct ls_range r[2] = { { 0, 0 }, { 0, 0 } };
	uint64_t anchor = ksyms_address(l->ksyms, names[0]);
	char cold[64];

	for (size_t i = 0; i < n && anchor; i++) {
		for (int c = 0; c < 2; c++) {
			uint64_t a;

			snprintf(cold, sizeof(cold), "%s%s", names[i], c ? ".cold" : "");
			a = ksyms_address(l->ksyms, cold);
			if (!a || (!c && (a > anchor ? a - anchor : anchor - a) >= (1 << 18)))
				continue;
			if (!r[c].lo || a < r[c].lo)
				r[c].lo = a;
			if (ksym_end(l->ksyms, a) > r[c].hi)
				r[c].hi = ksym_end(l->ksyms, a);
		}
	}
	for (int c = 0; c < 2 && first + c < LS_OWN_RANGES; c++) {
		/* a hull wider than a source file's text would be a mistake */
		if (!r[c].lo || r[c].hi - r[c].lo > (1 << 18))
			continue;
		l->skel->bss->own_ranges[first + c] = r[c];
		l->nr_own_ranges++;
	}
}

/* Kernel allocations in the target's context that are leaksnoop's own,
 * by the kernel function that makes them (see LS_OWN_RANGES):
 * - kernel/events/uprobes.c, the uprobe machinery's bookkeeping for the
 *   probes (utask, XOL area and its page, return instances, a fork's
 *   copies): the whole file's text is uprobe machinery;
 * - the BPF side's: the BPF memory allocator refilling its per-CPU caches
 *   from irq_work (alloc_bulk: ~650 kmalloc blocks in a 2,000-thread run),
 *   task local storage elements (leaksnoop's in-flight state), and the
 *   map allocation wrappers of kernel/bpf/syscall.c. */
static void set_own_ranges(struct loader *l)
{
	static const char *const uprobes[] = {
		"alloc_utask", "get_utask", "__create_xol_area", "get_xol_area", "xol_add_vma",
		"handler_chain", "prepare_uretprobe", "alloc_return_instance", "dup_utask",
		"dup_return_instance", "uprobe_copy_process", "handle_swbp", "uprobe_notify_resume",
		"xol_get_insn_slot",
	};
	static const char *const bpf_memalloc[] = {
		"alloc_bulk", "__alloc", "unit_alloc", "bpf_mem_refill", "bpf_mem_alloc",
		"bpf_mem_cache_alloc", "bpf_mem_cache_alloc_flags",
	};
	static const char *const bpf_storage[] = {
		"bpf_selem_alloc", "bpf_local_storage_alloc", "bpf_local_storage_update",
	};
	static const char *const bpf_map_alloc[] = {
		"bpf_map_kmalloc_node", "bpf_map_kmalloc_nolock", "bpf_map_kzalloc",
		"bpf_map_kvcalloc", "bpf_map_alloc_percpu",
	};

	if (!l->ksyms)
		return;
	add_own_hull(l, uprobes, sizeof(uprobes) / sizeof(uprobes[0]), 0);
	add_own_hull(l, bpf_memalloc, sizeof(bpf_memalloc) / sizeof(bpf_memalloc[0]), LS_OWN_BPF_FIRST);
	add_own_hull(l, bpf_storage, sizeof(bpf_storage) / sizeof(bpf_storage[0]), LS_OWN_BPF_FIRST + 2);
	add_own_hull(l, bpf_map_alloc, sizeof(bpf_map_alloc) / sizeof(bpf_map_alloc[0]),
		     LS_OWN_BPF_FIRST + 4);
	if (l->cfg->verbose)
		fprintf(stderr, "leaksnoop: leaksnoop's own kernel allocations (uprobe bookkeeping, "
			"BPF maps) filtered in %d kernel text ranges\n", l->nr_own_ranges);
}

/* Task local storage for the in-flight allocations where uprobe programs
 * may use it (6.x; MMSCOPE_NO_TASK_STORAGE: the fallback, for its tests),
 * else the tid-keyed hash: its storage map then becomes a one-slot hash
 * nothing uses, so the object loads on kernels without the map type. */
static void pick_inflight_store(struct loader *l)
{
	struct leaksnoop_bpf *s = l->skel;

	l->task_storage = l->cfg->user && !getenv("MMSCOPE_NO_TASK_STORAGE") &&
			  libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1 &&
			  libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_storage_get, NULL) == 1 &&
			  libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_current_task_btf,
						  NULL) == 1;
	s->rodata->task_storage = l->task_storage;
	if (l->cfg->verbose && l->cfg->user)
		fprintf(stderr, "leaksnoop: in-flight allocations kept in %s\n",
			l->task_storage ? "task local storage" : "a hash by thread id");
	if (l->task_storage) {
		bpf_map__set_max_entries(s->maps.inflight, 1);
		return;
	}
	bpf_map__set_type(s->maps.inflight_task, BPF_MAP_TYPE_HASH);
	bpf_map__set_max_entries(s->maps.inflight_task, 1);
}

/* mmap/brk tracking goes through the raw syscall tracepoints (see
 * on_sys_enter): no tracefs needed. */
static bool raw_syscall_tracepoints(void)
{
	if (tp_btf_exists("sys_enter") && tp_btf_exists("sys_exit"))
		return true;
	fprintf(stderr, "leaksnoop: warning: no raw syscall tracepoints in the kernel's BTF; "
		"mmap/brk tracking is off\n");
	return false;
}

/* Several processes (-p list, -f, --cgroup): BPF's tests of the set, and a
 * -p list's probes once per process. */
static void configure_set(struct loader *l, struct leaksnoop_bpf *s)
{
	const struct leaksnoop_config *cfg = l->cfg;

	s->rodata->proc_set = cfg->proc_set;
	if (cfg->nr_pids > 1 && !cfg->follow) {
		l->probe_pids = cfg->pids;
		l->nr_probe_pids = cfg->nr_pids;
	}
	s->rodata->follow_forks = cfg->follow;
	s->rodata->cgroup_filter = cfg->cgroup != NULL;
	s->rodata->self_tgid = (__u32)getpid();	/* run inside the cgroup it traces */
	if (!cfg->proc_set)
		bpf_map__set_max_entries(s->maps.procs, 1);
}

/* The user table's entries by default: what a quarter of MemAvailable
 * holds. Entries are allocated as blocks come (BPF_F_NO_PREALLOC), ~128
 * bytes each, plus a 16-byte bucket per entry up front; a preallocated
 * table would take all of it at load. */
#define UTABLE_ENTRY_BYTES	(128 + 16)
#define UTABLE_MIN		262144
#define UTABLE_MAX		(4U << 20)
#define KTABLE_DEFAULT		262144	/* preallocated: kmalloc can't wait for an entry */
#define SCAN_LOG_BYTES		(8U << 20)	/* ~130,000 frees during a scan's window */

static uint32_t user_table_entries(void)
{
	struct meminfo mi;
	uint64_t n;

	if (procfs_read_meminfo(&mi))
		return UTABLE_MIN;
	n = mi.mem_available / 4 / UTABLE_ENTRY_BYTES;
	return n < UTABLE_MIN ? UTABLE_MIN : n > UTABLE_MAX ? UTABLE_MAX : (uint32_t)n;
}

/* The allocation tables (--max-allocs, else by what the machine can
 * spare) and the scan's log of frees. */
static void size_tables(struct leaksnoop_bpf *s, const struct leaksnoop_config *cfg)
{
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE);

	if (cfg->user) {
		bpf_map__set_max_entries(s->maps.uallocs, cfg->max_allocs ? cfg->max_allocs
							     : user_table_entries());
		bpf_map__set_map_flags(s->maps.uallocs,
				       bpf_map__map_flags(s->maps.uallocs) | BPF_F_NO_PREALLOC);
	} else {
		bpf_map__set_max_entries(s->maps.uallocs, 1);
	}
	bpf_map__set_max_entries(s->maps.kallocs, !cfg->kernel ? 1 : cfg->max_allocs ? cfg->max_allocs
							      : KTABLE_DEFAULT);
	bpf_map__set_max_entries(s->maps.scan_log, cfg->user && cfg->scan && SCAN_LOG_BYTES > page
						    ? SCAN_LOG_BYTES : page);
	if (cfg->verbose && cfg->user)
		fprintf(stderr, "leaksnoop: user allocation table: %u entries, allocated as used\n",
			bpf_map__max_entries(s->maps.uallocs));
}

/* PROC_PID_INIT_INO (include/linux/proc_ns.h): the initial PID namespace's
 * inode, fixed by the kernel. */
#define PID_NS_INIT_INO 0xEFFFFFFCU

/* In a PID namespace of its own (a container, unshare --pid), the PIDs
 * leaksnoop holds are that namespace's: BPF compares the ids it sees in
 * it (bpf_get_ns_current_pid_tgid) instead of the global ones. */
static void pidns_configure(struct leaksnoop_bpf *s)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) || st.st_ino == PID_NS_INIT_INO)
		return;
	s->rodata->pidns_dev = (__u64)st.st_dev;
	s->rodata->pidns_ino = (__u64)st.st_ino;
}

int loader_open(struct loader *l, const struct leaksnoop_config *cfg, pid_t tgid, bool counting,
		const struct unwind_plan *plan)
{
	struct leaksnoop_bpf *s;
	struct bpf_program *p;
	int err, hz;
	bool per_proc;

	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	if (l->cfg->kernel) {
		static const char *const need[] = { "kmalloc", "kfree", "kmem_cache_alloc", "kmem_cache_free" };

		if (check_kernel_btf("leaksnoop"))
			return -1;
		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
			if (!tp_btf_exists(need[i])) {
				fprintf(stderr, "leaksnoop: kernel has no tracepoint kmem:%s\n", need[i]);
				return -1;
			}
		}
	}
	per_proc = tgid || cfg->proc_set;
	l->has_syscalls = l->cfg->user && l->cfg->mmap && per_proc && raw_syscall_tracepoints();
	l->has_pages = l->cfg->kernel && l->cfg->pages && tp_btf_exists("mm_page_alloc") &&
		       tp_btf_exists("mm_page_free");

	s = l->skel = leaksnoop_bpf__open();
	if (!s) {
		fprintf(stderr, "leaksnoop: opening the BPF object failed: %s\n", strerror(errno));
		return -1;
	}
	s->rodata->targ_tgid = (__u32)tgid;
	configure_set(l, s);
	pidns_configure(s);
	s->rodata->kernel_stacks = l->cfg->kernel_stacks;
	s->rodata->user_stacks = true;
	s->rodata->page_size = (__u64)sysconf(_SC_PAGESIZE);
	hz = kernel_hz();
	s->rodata->jiffy_ns = hz ? 1000000000ULL / (__u64)hz : 0;
	s->bss->counting = counting;
	size_tables(s, l->cfg);
	if (!l->has_syscalls)
		bpf_map__set_max_entries(s->maps.regions, 1);
	unwind_configure(s, cfg->user && per_proc && !cfg->frame_pointers, plan->stop_on_dl,
			 plan->rows);
	s->rodata->uw_walk_cache = !cfg->no_walk_cache;
	for (int i = 0; (p = group_prog(s, PROGS_USER, i)); i++) {
		bpf_program__set_autoattach(p, false);
		if (!l->cfg->user)
			bpf_program__set_autoload(p, false);
	}
	if (l->cfg->kernel)
		pick_kernel_variants(l);
	kfree_batch_configure(l);
	/* MMSCOPE_NO_UPROBE_COOKIE / _MULTI: the paths of kernels before 5.15 /
	 * 6.6, for their tests on kernels that have both */
	l->cookies = l->cfg->user && !getenv("MMSCOPE_NO_UPROBE_COOKIE") && uprobe_cookie_supported();
	l->multi = l->cookies && !getenv("MMSCOPE_NO_UPROBE_MULTI") && uprobe_multi_supported();
	pick_inflight_store(l);
	/* before 5.15 (no cookies): the fixed-layout programs, at entries */
	for (int i = USER_FIXED; (p = group_prog(s, PROGS_USER, i)); i++)
		if (l->cookies)
			bpf_program__set_autoload(p, false);
	/* with uprobe_multi the per-probe programs are not loaded: verifying
	 * the return program (its CFI unwinder) takes ~0.35 s of start-up */
	if (!l->cookies || l->multi)
		bpf_program__set_autoload(s->progs.uprobe_entry, false);
	if (l->multi) {
		bpf_program__set_autoload(s->progs.uprobe_return, false);
		/* the ld.so hook too: unwinder_attach_dl_hook_multi */
		bpf_program__set_expected_attach_type(s->progs.on_dl_debug_state,
			(enum bpf_attach_type)MMSCOPE_BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(s->progs.uprobe_multi_entry,
			(enum bpf_attach_type)MMSCOPE_BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(s->progs.uprobe_multi_return,
			(enum bpf_attach_type)MMSCOPE_BPF_TRACE_UPROBE_MULTI);
	} else {
		bpf_program__set_autoload(s->progs.uprobe_multi_entry, false);
		bpf_program__set_autoload(s->progs.uprobe_multi_return, false);
	}
	for (int i = 0; (p = group_prog(s, PROGS_KERNEL, i)); i++)
		if (!l->cfg->kernel)
			bpf_program__set_autoload(p, false);
	if (l->cfg->kernel && !l->has_cache_names)
		fprintf(stderr, "leaksnoop: warning: this kernel's kmem_cache_alloc tracepoint carries "
			"no cache (before 6.1): kmem_cache blocks are reported without cache names\n");
	if (!l->has_pages || !tp_btf_exists("mm_page_free_batched"))
		disable_page_progs(s, !l->has_pages);
	for (int i = 0; (p = group_prog(s, PROGS_SYSCALLS, i)); i++)
		if (!l->has_syscalls)
			bpf_program__set_autoload(p, false);
	if (!per_proc) {
		bpf_program__set_autoload(s->progs.on_exec, false);
		bpf_program__set_autoload(s->progs.on_exit, false);
	}
	if (!l->has_syscalls && !cfg->follow) {
		bpf_program__set_autoload(s->progs.on_fork, false);
		bpf_map__set_max_entries(s->maps.thread_sps, 1);
	}
	if (getenv("MMSCOPE_VERIFIER_STATS")) {
		/* the verifier's time and states per program, in libbpf's log
		 * (-v): what make bench prints for the load phase */
		for (p = bpf_object__next_program(s->obj, NULL); p;
		     p = bpf_object__next_program(s->obj, p))
			bpf_program__set_log_level(p, 4);
	}
	err = leaksnoop_bpf__load(s);
	if (err == -ESRCH) {
		/* libbpf's word for a kernel BTF it could not load (even for
		 * ENOMEM): never "No such process", with a process at hand */
		int berr = kernel_btf_load_error();

		fprintf(stderr, "leaksnoop: loading BPF programs failed: cannot load kernel BTF: %s\n",
			berr ? strerror(-berr) : "libbpf could not (out of memory?)");
		return -1;
	}
	if (err) {
		fprintf(stderr, "leaksnoop: loading BPF programs failed: %s (run with -v for the verifier log)\n",
			strerror(-err));
		return -1;
	}
	return 0;
}

int add_link(struct loader *l, struct bpf_link *link, const char *what)
{
	if (!link) {
		fprintf(stderr, "leaksnoop: attaching %s failed: %s\n", what, strerror(errno));
		return -1;
	}
	if (l->nr_links == MAX_LINKS) {
		bpf_link__destroy(link);
		return -1;
	}
	l->links[l->nr_links++] = link;
	return 0;
}

int loader_adopt_link(struct loader *l, struct bpf_link *link)
{
	return add_link(l, link, "the ld.so probe") ? -ENOSPC : 0;
}

int loader_adopt_multi_fd(struct loader *l, int fd)
{
	if (l->nr_multi == MAX_MULTI_FDS) {
		close(fd);
		return -ENOSPC;
	}
	l->multi_fds[l->nr_multi++] = fd;
	return 0;
}
/* Before 6.1, kmalloc_node and kmem_cache_alloc_node are tracepoints of
 * their own, with the arguments of kmalloc and of the old kmem_cache_alloc
 * plus a node: the same raw_tp programs serve them. */
static int attach_node_variants(struct loader *l)
{
	struct leaksnoop_bpf *s = l->skel;
	struct {
		const char *tp;
		struct bpf_program *prog;
	} node[] = {
		{ "kmalloc_node", s->progs.on_kmalloc_raw },
		{ "kmem_cache_alloc_node", s->progs.on_kmem_cache_alloc_nocache },
	};

	for (size_t i = 0; i < sizeof(node) / sizeof(node[0]); i++) {
		if (!tp_btf_exists(node[i].tp))
			continue;
		if (!bpf_program__autoload(node[i].prog)) {
			/* a kernel with both kmalloc_node and a tp_btf-readable
			 * kmalloc has yet to be seen: say so rather than miss it */
			fprintf(stderr, "leaksnoop: warning: kmem:%s not traced on this kernel\n",
				node[i].tp);
			continue;
		}
		if (add_link(l, bpf_program__attach_raw_tracepoint(node[i].prog, node[i].tp), node[i].tp))
			return -1;
	}
	return 0;
}

int loader_attach(struct loader *l, const struct ksyms *ksyms, pid_t tgid)
{
	struct leaksnoop_bpf *s = l->skel;
	struct bpf_program *p;

	l->ksyms = ksyms;
	if (l->cfg->kernel)
		set_own_ranges(l);	/* before the first kernel hook */

	if (tgid || l->cfg->proc_set) {
		if (add_link(l, bpf_program__attach(s->progs.on_exit), "sched_process_exit") ||
		    add_link(l, bpf_program__attach(s->progs.on_exec), "sched_process_exec"))
			return -1;
	}
	/* frees before allocations, here too: PROGS_KERNEL is in that order */
	if (l->cfg->kernel) {
		if (kfree_batch_attach(l))
			return -1;
		for (int i = 0; (p = group_prog(s, PROGS_KERNEL, i)); i++) {
			if (!bpf_program__autoload(p))
				continue;
			if (add_link(l, bpf_program__attach(p), bpf_program__name(p)))
				return -1;
		}
		if (attach_node_variants(l))
			return -1;
	}
	if (l->has_syscalls || l->cfg->follow) {
		if (add_link(l, bpf_program__attach(s->progs.on_fork), "sched_process_fork"))
			return -1;
	}
	if (l->has_syscalls) {
		for (int i = 0; (p = group_prog(s, PROGS_SYSCALLS, i)); i++)
			if (add_link(l, bpf_program__attach(p), bpf_program__name(p)))
				return -1;
	}
	l->nr_kernel_links = l->nr_links;	/* from here on, uprobes */
	if (l->cfg->user && attach_user(l, tgid))
		return -1;
	return 0;
}

int loader_add_proc(struct loader *l, pid_t pid, const char *comm)
{
	struct ls_proc p = { 0 };
	__u32 key = (__u32)pid;

	snprintf(p.comm, sizeof(p.comm), "%s", comm ? comm : "");
	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.procs), &key, &p, BPF_ANY))
		return -errno;
	return 0;
}

int loader_set_cgroup(struct loader *l, const char *dir)
{
	__u32 zero = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.cgroup_map), &zero, &fd, BPF_ANY))
		err = -errno;
	close(fd);	/* the map holds the cgroup */
	return err;
}

/* -v: what each user-heap program cost per run, when the kernel counts it
 * (sysctl kernel.bpf_stats_enabled=1; make bench turns it on). */
void loader_print_prog_costs(const struct loader *l)
{
	const struct bpf_program *progs[] = {
		/* uprobe_multi links (6.6+) or one perf-event link per probe */
		l->skel->progs.uprobe_multi_return, l->skel->progs.uprobe_return,
		l->skel->progs.uprobe_multi_entry, l->skel->progs.uprobe_entry,
	};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(progs[i]);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.run_cnt)
			continue;
		fprintf(stderr, "leaksnoop: program %s: %llu runs, %.0f ns per run\n",
			bpf_program__name(progs[i]), (unsigned long long)info.run_cnt,
			(double)info.run_time_ns / (double)info.run_cnt);
	}
}

/* -v: each allocator probed, and how. */
void loader_say_probed(const struct loader *l)
{
	for (int i = 0; i < l->nr_allocs; i++) {
		char shown[PATH_MAX];

		fprintf(stderr, "leaksnoop: probing %d %s functions in %s%s\n", l->allocs[i].nr_funcs,
			l->allocs[i].family, fmt_printable(shown, sizeof(shown), l->allocs[i].path),
			l->multi ? " (uprobe_multi)" : "");
	}
}
