// SPDX-License-Identifier: GPL-2.0
/* The user heap's probes: which objects' functions (allocators.c), at which
 * site (probe_site.c), attached as uprobe_multi links (one per file for the
 * entries, one for the returns) or, on kernels before 6.6, one perf-event
 * link per probe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/libbpf.h>
#include "allocators.h"
#include "arch.h"
#include "clock.h"
#include "attach.h"
#include "config.h"
#include "fmt.h"
#include "leaksnoop.h"
#include "probe_site.h"
#include "procfs.h"
#include "uprobe_multi.h"
#include "leaksnoop.skel.h"

/* code read per function: the prefix decoded plus the body scanned for
 * branches back into it */
#define CODE_MAX 16384

struct usite {
	const struct alloc_fn *fn;
	size_t obj;
	const char *name;
	uint64_t off;		/* file offset of the probe */
	uint64_t cookie;
	bool ret;		/* a return probe too */
};

static const char *shown_path(const struct alloc_obj *o, char *buf, size_t size)
{
	return fmt_printable(buf, size, o->shown);
}

/* execvp's PATH search, to know which file the command will run. */
static int resolve_cmd(const char *cmd, char *out, size_t size)
{
	const char *path = getenv("PATH");

	if (strchr(cmd, '/')) {
		snprintf(out, size, "%s", cmd);
		return access(out, X_OK) ? -errno : 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(out, size, "%.*s%s%s", (int)n, path, n ? "/" : "", cmd);
		if (!access(out, X_OK))
			return 0;
		path += n + (path[n] == ':');
	}
	return -ENOENT;
}

/* A command that is not an ELF file (a #! script) runs an interpreter we
 * don't know yet: the system's C library, the one leaksnoop itself maps. */
static int system_libc(struct alloc_obj **objs)
{
	char path[PATH_MAX];
	struct alloc_obj *o;
	int err;

	if (find_mapped(0, "libc.so.6", path, sizeof(path)))
		return -ENOENT;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	err = alloc_obj_load(o, path, path, false);
	if (err) {
		free(o);
		return err;
	}
	*objs = o;
	return 1;
}

/* The objects to look in: --lib's alone, else the process's (or the
 * command's) in the dynamic linker's search order. */
static int user_objects(const struct leaksnoop_config *cfg, pid_t tgid, struct alloc_obj **objs)
{
	char path[PATH_MAX];
	int err;

	if (cfg->lib) {
		struct alloc_obj *o = calloc(1, sizeof(*o));

		if (!o)
			return -ENOMEM;
		if (strchr(cfg->lib, '/') || cfg->cmd)
			snprintf(path, sizeof(path), "%s", cfg->lib);
		else if (find_mapped(tgid, cfg->lib, path, sizeof(path))) {
			fprintf(stderr, "leaksnoop: %s is not mapped by process %d\n", cfg->lib, (int)tgid);
			free(o);
			return -ENOENT;
		}
		err = alloc_obj_load(o, path, strchr(cfg->lib, '/') ? cfg->lib : path, false);
		if (err) {
			fprintf(stderr, "leaksnoop: --lib %s: %s\n", cfg->lib, strerror(-err));
			free(o);
			return err;
		}
		*objs = o;
		return 1;
	}
	if (cfg->cmd) {
		err = resolve_cmd(cfg->cmd[0], path, sizeof(path));
		if (!err)
			err = alloc_objs_of_cmd(path, objs);
		if (err == -ENOEXEC)
			err = system_libc(objs);	/* a script: its interpreter's */
		return err;
	}
	if (!tgid)	/* --cgroup with no process yet: the system's C library */
		return system_libc(objs);
	return alloc_objs_of_pid(tgid, objs);
}

static unsigned args_of(const struct alloc_fn *f)
{
	unsigned m = 0;

	if (f->ptr_arg >= 0)
		m |= 1U << f->ptr_arg;
	if (f->n_arg >= 0)
		m |= 1U << f->n_arg;
	if (f->size_arg >= 0)
		m |= 1U << f->size_arg;
	return m;
}

static uint8_t reg_of(const struct site_choice *c, int arg)
{
	return arg < 0 ? LS_REG_NONE : c->arg_reg[arg];
}

/* A wrapper that is one jmp on through the PLT, or to another function
 * we probe in the same object, would count its call twice. */
static bool is_redundant_wrapper(const struct alloc_obj *o, const struct alloc_plan *p,
				 size_t self, uint64_t target)
{
	if (o->plt_hi && target >= o->plt_lo && target < o->plt_hi)
		return true;
	for (size_t i = 0; i < p->n; i++)
		if (i != self && p->probes[i].sym.vaddr == target &&
		    p->probes[i].obj == p->probes[self].obj)
			return true;
	return false;
}

static void say_site(const struct leaksnoop_config *cfg, const struct alloc_obj *o,
		     const struct alloc_fn *f, const struct site_choice *c)
{
	char shown[PATH_MAX];

	if (!cfg->verbose)
		return;
	fprintf(stderr, "leaksnoop: probe %s in %s at +%u (%s: %s; %s)", f->name,
		shown_path(o, shown, sizeof(shown)), c->offset, c->insn[0] ? c->insn : "?",
		site_reason_name(c->reason), c->why);
	for (int a = 0; a < SITE_MAX_ARGS; a++)
		if (c->arg_reg[a] != PTR_NONE && c->arg_reg[a] != site_abi_reg(o->machine, a))
			fprintf(stderr, ", arg %d read from %s", a, pt_reg_name(o->machine, c->arg_reg[a]));
	fputc('\n', stderr);
}

/* An object of another instruction set (a binary run through qemu-user):
 * a breakpoint of this machine's in its code would corrupt it, and the
 * registers BPF reads are not its arguments. */
static void say_foreign(const struct alloc_obj *o)
{
	char shown[PATH_MAX];

	fprintf(stderr, "leaksnoop: %s: not probed: the file is for another machine "
		"(e_machine %u, this one is %u)\n", shown_path(o, shown, sizeof(shown)),
		(unsigned)o->machine, (unsigned)arch_elf_machine());
}

/* Chooses each planned probe's site; drops redundant wrappers. Returns
 * the number of sites. */
static size_t choose_sites(const struct leaksnoop_config *cfg, bool cookies,
			   const struct alloc_obj *objs, struct alloc_plan *p, struct usite *out)
{
	uint8_t *code = malloc(CODE_MAX);
	/* MMSCOPE_PROBE_AT_ENTRY: every probe at offset 0, to measure what the
	 * moved sites save (make bench) */
	bool at_entry = getenv("MMSCOPE_PROBE_AT_ENTRY") != NULL || !cookies;
	size_t n = 0, said_foreign = SIZE_MAX;

	if (!code)
		return 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_probe *pp = &p->probes[i];
		const struct alloc_obj *o = &objs[pp->obj];
		const struct alloc_fn *f = &alloc_fns[pp->fn];
		size_t want = pp->sym.size && pp->sym.size < CODE_MAX ? pp->sym.size : 64;
		struct site_choice c;
		int got = alloc_read_code(o->path, pp->sym.file_off, code, want);
		struct site_req req = {
			.machine = o->machine,
			.code = code, .len = got > 0 ? (size_t)got : 0, .addr = pp->sym.vaddr,
			.args = args_of(f), .keep_stack = f->kind != KIND_FREE,
		};

		if (o->machine != arch_elf_machine()) {
			if (pp->obj != said_foreign)
				say_foreign(o);
			said_foreign = pp->obj;
			continue;
		}
		probe_site_choose(&req, &c);
		if (at_entry && c.reason != SITE_TAIL_JUMP) {
			req.len = 0;	/* undecodable: offset 0, arguments where the ABI has them */
			probe_site_choose(&req, &c);
		}
		if (c.reason == SITE_TAIL_JUMP && is_redundant_wrapper(o, p, i, c.jump_target)) {
			if (cfg->verbose)
				fprintf(stderr, "leaksnoop: %s is a jmp to a function probed already: "
					"not probed\n", f->name);
			continue;
		}
		say_site(cfg, o, f, &c);
		out[n].obj = pp->obj;
		out[n].name = f->name;
		out[n].off = pp->sym.file_off + c.offset;
		out[n].ret = f->kind != KIND_FREE;
		out[n].fn = f;
		out[n].cookie = LS_COOKIE(f->kind, reg_of(&c, f->ptr_arg), reg_of(&c, f->n_arg),
					  reg_of(&c, f->size_arg));
		n++;
	}
	free(code);
	return n;
}

/* Before 5.15: the program for the function's argument layout (the probe
 * is at its entry, arguments where the ABI has them). */
static struct bpf_program *fixed_prog(struct leaksnoop_bpf *s, const struct alloc_fn *f)
{
	switch (f->kind) {
	case KIND_FREE: return s->progs.fixed_free;
	case KIND_RESIZE: return s->progs.fixed_resize;
	case KIND_POSIX_MEMALIGN: return s->progs.fixed_posix_memalign;
	case KIND_REALLOC: return f->n_arg >= 0 ? s->progs.fixed_reallocn : s->progs.fixed_realloc;
	default:
		if (f->n_arg >= 0)
			return s->progs.fixed_calloc;
		return f->size_arg == 1 ? s->progs.fixed_malloc_a : s->progs.fixed_malloc;
	}
}

static int attach_perf(struct loader *l, const char *path, pid_t pid, const struct usite *v,
		       size_t n, bool ret)
{
	struct leaksnoop_bpf *s = l->skel;

	for (size_t i = 0; i < n; i++) {
		/* no cookie at all before 5.15: libbpf refuses to pass one */
		struct bpf_uprobe_opts o = { .sz = sizeof(o), .bpf_cookie = l->cookies ? v[i].cookie : 0,
					     .retprobe = ret };
		struct bpf_program *prog = ret ? s->progs.uprobe_return :
					   l->cookies ? s->progs.uprobe_entry : fixed_prog(s, v[i].fn);
		char what[96];

		if (ret && !v[i].ret)
			continue;
		snprintf(what, sizeof(what), "%s %s", ret ? "uretprobe" : "uprobe", v[i].name);
		if (add_link(l, bpf_program__attach_uprobe_opts(prog, pid, path, v[i].off, &o), what))
			return -1;
	}
	return 0;
}

/* One link for all of the object's probes of one kind. */
static int attach_multi(struct loader *l, const char *path, pid_t pid, const struct usite *v,
			size_t n, bool ret)
{
	struct bpf_program *prog = ret ? l->skel->progs.uprobe_multi_return :
					 l->skel->progs.uprobe_multi_entry;
	uint64_t *offs = calloc(n ? n : 1, sizeof(*offs)), *cookies = calloc(n ? n : 1, sizeof(*cookies));
	size_t k = 0;
	int fd = -ENOMEM;

	for (size_t i = 0; offs && cookies && i < n; i++) {
		if (ret && !v[i].ret)
			continue;
		offs[k] = v[i].off;
		cookies[k++] = v[i].cookie;
	}
	if (offs && cookies && !k)
		fd = 0;	/* nothing of this kind */
	else if (offs && cookies && l->nr_multi == MAX_MULTI_FDS)
		fd = -E2BIG;
	else if (offs && cookies)
		fd = uprobe_multi_link(bpf_program__fd(prog), path, offs, cookies, k, pid, ret);
	free(offs);
	free(cookies);
	if (fd > 0)
		l->multi_fds[l->nr_multi++] = fd;
	return fd < 0 ? fd : 0;
}

/* Returns first, then entries: an entry without its return probe would
 * leave a thread's in-flight state dangling. */
static int attach_object(struct loader *l, const struct alloc_obj *o, pid_t pid,
			 const struct usite *v, size_t n)
{
	int err;

	if (l->multi) {
		err = attach_multi(l, o->path, pid, v, n, true);
		if (!err)
			err = attach_multi(l, o->path, pid, v, n, false);
		if (!err)
			return 0;
		/* the kernel has the link (a probed fact): the per-probe
		 * programs were not even loaded, see loader_open */
		fprintf(stderr, "leaksnoop: attaching the uprobe_multi link in %s failed: %s\n",
			o->shown, strerror(-err));
		return -1;
	}
	if (attach_perf(l, o->path, pid, v, n, true) || attach_perf(l, o->path, pid, v, n, false))
		return -1;
	return 0;
}

/* The object's probes for tgid alone; for each process of a -p list; or,
 * -f and --cgroup, for every process: a set's processes come and go (a fork
 * runs before anyone could attach to it), so their probes are on the file
 * for all, and BPF's first test is whether the process is one of ours. */
static int attach_for_each(struct loader *l, const struct alloc_obj *o, pid_t tgid,
			   const struct usite *v, size_t n)
{
	if (!l->cfg->proc_set)
		return attach_object(l, o, tgid, v, n);
	if (!l->nr_probe_pids)
		return attach_object(l, o, -1, v, n);
	for (int i = 0; i < l->nr_probe_pids; i++)
		if (attach_object(l, o, l->probe_pids[i], v, n))
			return -1;
	return 0;
}

static void note_allocator(struct loader *l, const struct alloc_obj *o, int nr)
{
	struct allocator_info *a;

	for (int i = 0; i < l->nr_allocs; i++) {
		if (!strcmp(l->allocs[i].path, o->shown)) {
			l->allocs[i].nr_funcs += nr;	/* more of one seen before */
			return;
		}
	}
	if (l->nr_allocs == MAX_ALLOCATORS)
		return;
	a = &l->allocs[l->nr_allocs++];
	a->family = alloc_family_name(alloc_family_of(o));
	snprintf(a->path, sizeof(a->path), "%s", o->shown);
	a->nr_funcs = nr;
}

/* with_return: an allocating function's probe, else a freeing one's */
static bool has_probe(const struct usite *v, size_t n, bool with_return)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].ret == with_return)
			return true;
	return false;
}

static void not_traced(struct loader *l, const char *why)
{
	snprintf(l->heap_why, sizeof(l->heap_why), "%s", why);
	fprintf(stderr, "leaksnoop: WARNING: the user heap is NOT traced: %s (give the allocator "
		"with --lib PATH)\n", why);
}

/* ---- what is probed already ------------------------------------------------- */

static bool file_id_of(const char *path, struct file_id *id)
{
	struct stat st;

	if (stat(path, &st))
		return false;
	*id = (struct file_id){ major(st.st_dev), minor(st.st_dev), st.st_ino };
	return true;
}

static bool same_file(const struct file_id *a, const struct file_id *b)
{
	return a->major == b->major && a->minor == b->minor && a->ino == b->ino;
}

static bool was_examined(const struct loader *l, const struct file_id *id)
{
	for (int i = 0; i < l->nr_examined; i++)
		if (same_file(&l->examined[i], id))
			return true;
	return false;
}

static void note_examined(struct loader *l, const struct file_id *id)
{
	if (l->nr_examined < MAX_EXAMINED && !was_examined(l, id))
		l->examined[l->nr_examined++] = *id;
}

static void mark_examined(struct loader *l, const struct alloc_obj *objs, size_t n)
{
	struct file_id id;

	for (size_t i = 0; i < n; i++)
		if (file_id_of(objs[i].path, &id))
			note_examined(l, &id);
}

static bool is_probed(const struct loader *l, const struct file_id *f, uint64_t off)
{
	for (int i = 0; i < l->nr_probed; i++)
		if (same_file(&l->probed[i].file, f) && l->probed[i].off == off)
			return true;
	return false;
}

/* Attaches, object by object, the sites not probed before. Returns how
 * many were attached, or -1. */
static int attach_sites(struct loader *l, const struct alloc_obj *objs, size_t n,
			const struct usite *sites, size_t ns, pid_t tgid)
{
	struct usite *mine = malloc((ns ? ns : 1) * sizeof(*mine));
	int total = 0;

	if (!mine)
		return -1;
	for (size_t o = 0; o < n; o++) {
		struct file_id f = { 0, 0, 0 };
		bool known = file_id_of(objs[o].path, &f);
		size_t cnt = 0;

		for (size_t i = 0; i < ns; i++)
			if (sites[i].obj == o && !(known && is_probed(l, &f, sites[i].off)))
				mine[cnt++] = sites[i];
		if (!cnt)
			continue;
		if (attach_for_each(l, &objs[o], tgid, mine, cnt)) {
			free(mine);
			return -1;
		}
		for (size_t i = 0; known && i < cnt && l->nr_probed < MAX_PROBED; i++)
			l->probed[l->nr_probed++] = (struct probed_site){ f, mine[i].off };
		note_allocator(l, &objs[o], (int)cnt);
		l->nr_funcs += (int)cnt;
		total += (int)cnt;
	}
	free(mine);
	return total;
}

/* ---- the user heap's probes --------------------------------------------------- */

int attach_user(struct loader *l, pid_t tgid)
{
	struct alloc_obj *objs = NULL;
	struct alloc_plan *plan = malloc(sizeof(*plan));
	struct usite *sites = malloc(PLAN_MAX_PROBES * sizeof(*sites));
	int n = plan && sites ? user_objects(l->cfg, tgid, &objs) : -ENOMEM;
	size_t ns = 0;
	int rc = 0;

	if (n < 0) {
		rc = l->cfg->lib ? -1 : 0;
		if (!l->cfg->lib)
			not_traced(l, n == -ENOENT ? "no loaded object found" : strerror(-n));
		goto out;
	}
	alloc_plan(objs, (size_t)n, plan);
	if (plan->truncated)
		fprintf(stderr, "leaksnoop: warning: more than %d allocator functions: some are "
			"not probed\n", PLAN_MAX_PROBES);
	ns = choose_sites(l->cfg, l->cookies, objs, plan, sites);
	if (!has_probe(sites, ns, true) || !has_probe(sites, ns, false)) {
		if (l->cfg->lib) {
			char shown[PATH_MAX];

			fprintf(stderr, "leaksnoop: %s has no malloc/free symbols (stripped, or not "
				"an allocator)\n", fmt_printable(shown, sizeof(shown), l->cfg->lib));
			rc = -1;
		} else {
			not_traced(l, "no object defines malloc and free");
		}
		goto out;
	}
	if (attach_sites(l, objs, (size_t)n, sites, ns, tgid) < 0) {
		rc = -1;
		goto out;
	}
	l->heap_traced = true;
out:
	if (n > 0)
		mark_examined(l, objs, (size_t)n);
	alloc_objs_free(objs, n > 0 ? (size_t)n : 0);
	free(plan);
	free(sites);
	return rc;
}

/* ---- a dlopen: new allocators ---------------------------------------------------- */

/* Whether an executable file mapped now was not looked at before (its
 * identity is noted either way, so that one which is no allocator does
 * not start a re-check each time). */
static bool maps_have_new_object(struct loader *l, pid_t tgid)
{
	struct vma_list maps = { 0 };
	bool found = l->nr_examined == MAX_EXAMINED;

	if (procfs_read_pid_maps(tgid, &maps))
		return false;	/* gone */
	for (size_t i = 0; i < maps.n; i++) {
		const struct vma *v = &maps.v[i];
		struct file_id id = { v->dev_major, v->dev_minor, v->inode };

		if (v->kind != VMA_FILE || !v->exec || !v->inode || was_examined(l, &id))
			continue;
		found = true;
		note_examined(l, &id);
	}
	vma_list_free(&maps);
	return found;
}

/* Cost: one read of /proc/PID/maps per change; with a new object, the
 * search of every object's symbols again (a few ms per object). */
int attach_user_recheck(struct loader *l, pid_t tgid)
{
	struct alloc_obj *objs = NULL;
	struct alloc_plan *plan;
	struct usite *sites;
	size_t ns = 0;
	int n, got = 0;

	double t0 = monotonic_s();

	/* --lib: the allocator is the one named; detached: the process is
	 * at its exit */
	if (!l->cfg->user || l->cfg->lib || !tgid || l->user_detached ||
	    !maps_have_new_object(l, tgid))
		return 0;
	plan = malloc(sizeof(*plan));
	sites = malloc(PLAN_MAX_PROBES * sizeof(*sites));
	n = plan && sites ? alloc_objs_of_pid(tgid, &objs) : -ENOMEM;
	if (n > 0) {
		alloc_plan(objs, (size_t)n, plan);
		ns = choose_sites(l->cfg, l->cookies, objs, plan, sites);
		got = attach_sites(l, objs, (size_t)n, sites, ns, tgid);
		mark_examined(l, objs, (size_t)n);
		l->nr_rechecks++;
	}
	if (got > 0 && has_probe(sites, ns, true) && has_probe(sites, ns, false))
		l->heap_traced = true;
	if (l->cfg->verbose)
		fprintf(stderr, "leaksnoop: new objects mapped: %d more allocator functions probed "
			"(%.1f ms)\n", got, (monotonic_s() - t0) * 1e3);
	alloc_objs_free(objs, n > 0 ? (size_t)n : 0);
	free(plan);
	free(sites);
	return got < 0 ? -1 : got;
}
