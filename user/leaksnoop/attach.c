// SPDX-License-Identifier: GPL-2.0
/* Finds the allocator (the C library the target maps, or --lib), resolves
 * its functions' file offsets from the ELF symbol tables with libelf, and
 * attaches uprobes filtered to the target. Aliases (aligned_alloc and
 * memalign are one function in glibc) are probed once. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "config.h"
#include "feature_probe.h"
#include "fmt.h"
#include "procfs.h"
#include "leaksnoop.skel.h"

enum probe_kind { P_MALLOC, P_CALLOC, P_REALLOC, P_REALLOCARRAY, P_MEMALIGN, P_POSIX_MEMALIGN, P_FREE };

static const struct {
	const char *name;
	enum probe_kind kind;
} funcs[] = {
	/* free first: attaching a function's entry before free's could record
	 * blocks whose frees we don't see yet */
	{ "free", P_FREE },
	{ "malloc", P_MALLOC },
	{ "calloc", P_CALLOC },
	{ "realloc", P_REALLOC },
	{ "reallocarray", P_REALLOCARRAY },
	{ "posix_memalign", P_POSIX_MEMALIGN },
	{ "aligned_alloc", P_MEMALIGN },
	{ "memalign", P_MEMALIGN },
	{ "valloc", P_MALLOC },
	{ "pvalloc", P_MALLOC },
};
#define NR_FUNCS (sizeof(funcs) / sizeof(funcs[0]))

/* ---- ELF symbol offsets ---------------------------------------------------- */

/* Fills off[i] with the file offset of funcs[i] (0 if absent). */
static int elf_func_offsets(const char *path, long off[NR_FUNCS])
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	int fd, found = 0;

	memset(off, 0, sizeof(long) * NR_FUNCS);
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf) {
		close(fd);
		return -EINVAL;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			GElf_Shdr tsh;
			Elf_Scn *tscn;
			const char *name;
			size_t nlen;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			if (GELF_ST_TYPE(sym.st_info) != STT_FUNC && GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name)
				continue;
			nlen = strcspn(name, "@");
			for (size_t f = 0; f < NR_FUNCS; f++) {
				if (off[f] || strlen(funcs[f].name) != nlen || strncmp(name, funcs[f].name, nlen) != 0)
					continue;
				tscn = elf_getscn(elf, sym.st_shndx);
				if (!tscn || !gelf_getshdr(tscn, &tsh) || sym.st_value < tsh.sh_addr)
					continue;
				off[f] = (long)(sym.st_value - tsh.sh_addr + tsh.sh_offset);
				found++;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

/* ---- which file ------------------------------------------------------------- */

static bool is_libc_name(const char *base)
{
	return !strncmp(base, "libc.so", 7) || (!strncmp(base, "libc-", 5) && strstr(base, ".so"));
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* The mapped file of pid (self when 0) whose base name is want, or the C
 * library when want is NULL; through /proc/PID/root for containers. */
static int find_mapped(pid_t pid, const char *want, char *out, size_t size)
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
		if (want ? strcmp(base_name(p), want) != 0 && strcmp(p, want) != 0 : !is_libc_name(base_name(p)))
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

static int find_allocator(const struct leaksnoop_config *cfg, pid_t tgid, char *out, size_t size)
{
	int err;

	/* -- CMD: the child has not exec'd yet; the system's C library is the
	 * one it will load (a different one needs --lib) */
	pid_t where = cfg->cmd ? 0 : tgid;

	if (cfg->lib && (strchr(cfg->lib, '/') || cfg->cmd)) {
		snprintf(out, size, "%s", cfg->lib);
		if (access(out, R_OK)) {
			fprintf(stderr, "leaksnoop: --lib %s: %s\n", cfg->lib, strerror(errno));
			return -1;
		}
		return 0;
	}
	err = find_mapped(where, cfg->lib, out, size);
	if (err == 0)
		return 0;
	if (!cfg->lib && where) {
		/* a static executable carries its own malloc */
		snprintf(out, size, "/proc/%d/exe", where);
		return 0;
	}
	fprintf(stderr, "leaksnoop: %s is not mapped by process %d%s\n",
		cfg->lib ? cfg->lib : "no C library", (int)tgid,
		cfg->lib ? "" : " (give the allocator with --lib PATH)");
	return -1;
}

/* ---- BPF ---------------------------------------------------------------------- */

#define NR(a) ((int)(sizeof(a) / sizeof((a)[0])))

enum prog_group { PROGS_KERNEL, PROGS_SYSCALLS, PROGS_USER };

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
	struct bpf_program *syscalls[] = {
		s->progs.on_enter_mmap, s->progs.on_exit_mmap, s->progs.on_enter_munmap,
		s->progs.on_enter_mremap, s->progs.on_exit_mremap, s->progs.on_enter_brk,
		s->progs.on_exit_brk,
	};
	struct bpf_program *user[] = {
		s->progs.malloc_enter, s->progs.calloc_enter, s->progs.realloc_enter,
		s->progs.reallocarray_enter, s->progs.memalign_enter, s->progs.posix_memalign_enter,
		s->progs.alloc_return, s->progs.free_enter,
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

int loader_open(struct loader *l, const struct leaksnoop_config *cfg, pid_t tgid, bool counting)
{
	struct leaksnoop_bpf *s;
	struct bpf_program *p;
	int err, hz;

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
	l->has_syscalls = l->cfg->user && l->cfg->mmap && tgid &&
			  syscall_tracepoints_usable("leaksnoop", "mmap/brk tracking is off");
	l->has_pages = l->cfg->kernel && l->cfg->pages && tp_btf_exists("mm_page_alloc") &&
		       tp_btf_exists("mm_page_free");

	s = l->skel = leaksnoop_bpf__open();
	if (!s) {
		fprintf(stderr, "leaksnoop: opening the BPF object failed: %s\n", strerror(errno));
		return -1;
	}
	s->rodata->targ_tgid = (__u32)tgid;
	s->rodata->kernel_stacks = l->cfg->kernel_stacks;
	s->rodata->user_stacks = true;
	s->rodata->page_size = (__u64)sysconf(_SC_PAGESIZE);
	hz = kernel_hz();
	s->rodata->jiffy_ns = hz ? 1000000000ULL / (__u64)hz : 0;
	s->bss->counting = counting;
	bpf_map__set_max_entries(s->maps.uallocs, l->cfg->user ? l->cfg->max_allocs : 1);
	bpf_map__set_max_entries(s->maps.kallocs, l->cfg->kernel ? l->cfg->max_allocs : 1);
	if (!l->has_syscalls)
		bpf_map__set_max_entries(s->maps.regions, 1);
	for (int i = 0; (p = group_prog(s, PROGS_USER, i)); i++) {
		bpf_program__set_autoattach(p, false);
		if (!l->cfg->user)
			bpf_program__set_autoload(p, false);
	}
	if (l->cfg->kernel)
		pick_kernel_variants(l);
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
	if (!tgid) {
		bpf_program__set_autoload(s->progs.on_exec, false);
		bpf_program__set_autoload(s->progs.on_exit, false);
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

static int add_link(struct loader *l, struct bpf_link *link, const char *what)
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

static struct bpf_program *entry_prog(struct leaksnoop_bpf *s, enum probe_kind k)
{
	switch (k) {
	case P_MALLOC: return s->progs.malloc_enter;
	case P_CALLOC: return s->progs.calloc_enter;
	case P_REALLOC: return s->progs.realloc_enter;
	case P_REALLOCARRAY: return s->progs.reallocarray_enter;
	case P_MEMALIGN: return s->progs.memalign_enter;
	case P_POSIX_MEMALIGN: return s->progs.posix_memalign_enter;
	case P_FREE: return s->progs.free_enter;
	}
	return NULL;
}

static int attach_user(struct loader *l, pid_t tgid)
{
	struct leaksnoop_bpf *s = l->skel;
	long off[NR_FUNCS];
	int n;

	if (find_allocator(l->cfg, tgid, l->lib_path, sizeof(l->lib_path)))
		return -1;
	n = elf_func_offsets(l->lib_path, off);
	if (n < 0 || !off[0] || !off[1]) {
		char shown[sizeof(l->lib_path)];

		/* a path the target mapped: never print its bytes raw */
		fprintf(stderr, "leaksnoop: %s has no malloc/free symbols%s\n",
			fmt_printable(shown, sizeof(shown), l->lib_path),
			n < 0 ? "" : " (stripped, or not an allocator: try --lib)");
		return -1;
	}
	/* returns first, then entries (free's above all): an entry without its
	 * return probe would leave a thread's state dangling */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < NR_FUNCS; i++) {
			bool dup = false;
			char what[64];

			if (!off[i])
				continue;
			for (size_t j = 0; j < i; j++)
				dup |= off[j] == off[i];
			if (dup)
				continue;	/* an alias of one already probed */
			if (pass == 0) {
				if (funcs[i].kind == P_FREE)
					continue;
				snprintf(what, sizeof(what), "uretprobe %s", funcs[i].name);
				if (add_link(l, bpf_program__attach_uprobe(s->progs.alloc_return, true,
						tgid, l->lib_path, off[i]), what))
					return -1;
			} else {
				snprintf(what, sizeof(what), "uprobe %s", funcs[i].name);
				if (add_link(l, bpf_program__attach_uprobe(entry_prog(s, funcs[i].kind), false,
						tgid, l->lib_path, off[i]), what))
					return -1;
				l->nr_funcs++;
			}
		}
	}
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

int loader_attach(struct loader *l, pid_t tgid)
{
	struct leaksnoop_bpf *s = l->skel;
	struct bpf_program *p;

	if (tgid) {
		if (add_link(l, bpf_program__attach(s->progs.on_exit), "sched_process_exit") ||
		    add_link(l, bpf_program__attach(s->progs.on_exec), "sched_process_exec"))
			return -1;
	}
	/* frees before allocations, here too: PROGS_KERNEL is in that order */
	if (l->cfg->kernel) {
		for (int i = 0; (p = group_prog(s, PROGS_KERNEL, i)); i++) {
			if (!bpf_program__autoload(p))
				continue;
			if (add_link(l, bpf_program__attach(p), bpf_program__name(p)))
				return -1;
		}
		if (attach_node_variants(l))
			return -1;
	}
	if (l->has_syscalls) {
		for (int i = 0; (p = group_prog(s, PROGS_SYSCALLS, i)); i++)
			if (add_link(l, bpf_program__attach(p), bpf_program__name(p)))
				return -1;
	}
	if (l->cfg->user && attach_user(l, tgid))
		return -1;
	return 0;
}

struct detach_job {
	struct bpf_link **links;
	int n;
};

static void *detach_some(void *arg)
{
	struct detach_job *j = arg;

	for (int i = 0; i < j->n; i++)
		bpf_link__destroy(j->links[i]);
	return NULL;
}

/* Each uprobe detach waits for an RCU grace period (~100 ms here): done
 * one after another, 17 of them hold the exit up for seconds. Detached in
 * parallel they share grace periods. */
void loader_close(struct loader *l)
{
	enum { THREADS = 8 };
	pthread_t th[THREADS];
	struct detach_job jobs[THREADS];
	int started = 0, per = (l->nr_links + THREADS - 1) / THREADS;

	for (int i = 0; i < THREADS && per; i++) {
		int from = i * per, to = from + per > l->nr_links ? l->nr_links : from + per;

		if (from >= to)
			break;
		jobs[i].links = &l->links[from];
		jobs[i].n = to - from;
		if (pthread_create(&th[i], NULL, detach_some, &jobs[i])) {
			detach_some(&jobs[i]);
			continue;
		}
		started |= 1 << i;
	}
	for (int i = 0; i < THREADS; i++)
		if (started & (1 << i))
			pthread_join(th[i], NULL);
	l->nr_links = 0;
	leaksnoop_bpf__destroy(l->skel);
	l->skel = NULL;
}
