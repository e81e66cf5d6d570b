// SPDX-License-Identifier: GPL-2.0
/* Allocator detection: the pure binding decision (alloc_plan) and the
 * reading of objects from ELF files, link maps and ld.so --list. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "allocators.h"
#include "leaksnoop.h"
#include "procfs.h"
#include "vec.h"

/* ---- what each function is --------------------------------------------------- */

#define FN(n, k, p, c, s, x) { n, k, p, c, s, x }
#define MALLOC(n)	FN(n, KIND_MALLOC, -1, -1, 0, false)	/* (size) */
#define MALLOC_A(n)	FN(n, KIND_MALLOC, -1, -1, 1, false)	/* (align, size) */
#define CALLOC(n)	FN(n, KIND_MALLOC, -1, 0, 1, false)	/* (n, size) */
#define REALLOC(n)	FN(n, KIND_REALLOC, 0, -1, 1, false)	/* (ptr, size) */
#define REALLOCN(n)	FN(n, KIND_REALLOC, 0, 1, 2, false)	/* (ptr, n, size) */
#define POSIXMA(n)	FN(n, KIND_POSIX_MEMALIGN, 0, -1, 2, false)	/* (memptr, align, size) */
#define FREE(n)		FN(n, KIND_FREE, 0, -1, -1, false)	/* (ptr, ...) */
#define RESIZE(n)	FN(n, KIND_RESIZE, 0, -1, -1, false)	/* (ptr, ...) -> new size */
#define NEW(n)		FN(n, KIND_MALLOC, -1, -1, 0, true)
#define DELETE(n)	FN(n, KIND_FREE, 0, -1, -1, true)

/* The standard names, then each allocator's own API (prefixed jemalloc
 * builds rename the standard ones), then C++'s operators. Earlier entries
 * win when two names are one function (aliases are probed once). */
const struct alloc_fn alloc_fns[] = {
	FREE("free"), MALLOC("malloc"), CALLOC("calloc"), REALLOC("realloc"),
	REALLOCN("reallocarray"), POSIXMA("posix_memalign"), MALLOC_A("aligned_alloc"),
	MALLOC_A("memalign"), MALLOC("valloc"), MALLOC("pvalloc"), FREE("cfree"),
	/* jemalloc */
	MALLOC("mallocx"), REALLOC("rallocx"), RESIZE("xallocx"), FREE("sdallocx"), FREE("dallocx"),
	FREE("je_free"), MALLOC("je_malloc"), CALLOC("je_calloc"), REALLOC("je_realloc"),
	POSIXMA("je_posix_memalign"), MALLOC_A("je_aligned_alloc"), MALLOC_A("je_memalign"),
	MALLOC("je_valloc"), MALLOC("je_mallocx"), REALLOC("je_rallocx"), RESIZE("je_xallocx"),
	FREE("je_sdallocx"), FREE("je_dallocx"),
	/* tcmalloc (gperftools) */
	FREE("tc_free"), FREE("tc_free_sized"), FREE("tc_cfree"), MALLOC("tc_malloc"),
	MALLOC("tc_malloc_skip_new_handler"), CALLOC("tc_calloc"), REALLOC("tc_realloc"),
	MALLOC_A("tc_memalign"), POSIXMA("tc_posix_memalign"), MALLOC("tc_valloc"),
	MALLOC("tc_pvalloc"), MALLOC("tc_new"), MALLOC("tc_newarray"), MALLOC("tc_new_nothrow"),
	MALLOC("tc_newarray_nothrow"), MALLOC("tc_new_aligned"), MALLOC("tc_newarray_aligned"),
	MALLOC("tc_new_aligned_nothrow"), MALLOC("tc_newarray_aligned_nothrow"),
	FREE("tc_delete"), FREE("tc_deletearray"), FREE("tc_delete_nothrow"),
	FREE("tc_deletearray_nothrow"), FREE("tc_delete_sized"), FREE("tc_deletearray_sized"),
	FREE("tc_delete_aligned"), FREE("tc_deletearray_aligned"), FREE("tc_delete_sized_aligned"),
	FREE("tc_deletearray_sized_aligned"), FREE("tc_delete_aligned_nothrow"),
	FREE("tc_deletearray_aligned_nothrow"),
	/* mimalloc */
	FREE("mi_free"), FREE("mi_free_size"), FREE("mi_free_aligned"), FREE("mi_free_size_aligned"),
	FREE("mi_cfree"), MALLOC("mi_malloc"), MALLOC("mi_zalloc"), MALLOC("mi_malloc_small"),
	MALLOC("mi_zalloc_small"), CALLOC("mi_calloc"), CALLOC("mi_mallocn"), REALLOC("mi_realloc"),
	REALLOC("mi_reallocf"), REALLOC("mi_rezalloc"), REALLOCN("mi_reallocn"),
	REALLOCN("mi_recalloc"), REALLOCN("mi_reallocarray"), MALLOC("mi_malloc_aligned"),
	MALLOC("mi_zalloc_aligned"), CALLOC("mi_calloc_aligned"), REALLOC("mi_realloc_aligned"),
	POSIXMA("mi_posix_memalign"), MALLOC_A("mi_memalign"), MALLOC_A("mi_aligned_alloc"),
	MALLOC("mi_valloc"), MALLOC("mi_pvalloc"), MALLOC("mi_new"), MALLOC("mi_new_aligned"),
	MALLOC("mi_new_nothrow"), MALLOC("mi_new_aligned_nothrow"), CALLOC("mi_new_n"),
	/* C++: new(size), new[](size), nothrow and aligned forms */
	NEW("_Znwm"), NEW("_Znam"), NEW("_ZnwmRKSt9nothrow_t"), NEW("_ZnamRKSt9nothrow_t"),
	NEW("_ZnwmSt11align_val_t"), NEW("_ZnamSt11align_val_t"),
	NEW("_ZnwmSt11align_val_tRKSt9nothrow_t"), NEW("_ZnamSt11align_val_tRKSt9nothrow_t"),
	/* delete(ptr), sized, aligned, nothrow */
	DELETE("_ZdlPv"), DELETE("_ZdaPv"), DELETE("_ZdlPvm"), DELETE("_ZdaPvm"),
	DELETE("_ZdlPvSt11align_val_t"), DELETE("_ZdaPvSt11align_val_t"),
	DELETE("_ZdlPvmSt11align_val_t"), DELETE("_ZdaPvmSt11align_val_t"),
	DELETE("_ZdlPvRKSt9nothrow_t"), DELETE("_ZdaPvRKSt9nothrow_t"),
	DELETE("_ZdlPvSt11align_val_tRKSt9nothrow_t"), DELETE("_ZdaPvSt11align_val_tRKSt9nothrow_t"),
};
const size_t nr_alloc_fns = sizeof(alloc_fns) / sizeof(alloc_fns[0]);

/* an object that defines one of these is an allocator (not libstdc++,
 * whose operator new only calls malloc) */
static const char *const core_names[] = { "malloc", "je_malloc", "tc_malloc", "mi_malloc" };

/* ---- the decision -------------------------------------------------------------- */

static const struct obj_sym *find_sym(const struct obj_sym *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static const struct obj_sym *obj_defines(const struct alloc_obj *o, const char *name, bool local)
{
	const struct obj_sym *s = find_sym(o->dyn, o->n_dyn, name);

	if (!s && local)
		s = find_sym(o->local, o->n_local, name);
	return s;
}

static bool is_allocator(const struct alloc_obj *o)
{
	for (size_t i = 0; i < sizeof(core_names) / sizeof(core_names[0]); i++)
		if (obj_defines(o, core_names[i], o->is_exe))
			return true;
	return false;
}

static void plan_add(struct alloc_plan *p, size_t obj, size_t fn, const struct obj_sym *s)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->probes[i].obj == obj && p->probes[i].sym.file_off == s->file_off)
			return;	/* an alias of one already planned */
	if (p->n == PLAN_MAX_PROBES) {
		p->truncated = true;
		return;
	}
	p->probes[p->n].obj = obj;
	p->probes[p->n].fn = fn;
	p->probes[p->n].sym = *s;
	p->n++;
}

/* The binding of one name: the first object in search order that exports
 * it. Besides, the executable's own calls bind to its local definition
 * (an allocator linked statically, not exported). */
static void plan_fn(const struct alloc_obj *objs, size_t n, size_t fn, struct alloc_plan *out)
{
	const char *name = alloc_fns[fn].name;

	for (size_t o = 0; o < n; o++) {
		const struct obj_sym *s = obj_defines(&objs[o], name, false);

		if (!s)
			continue;
		if (!alloc_fns[fn].cxx || is_allocator(&objs[o]))
			plan_add(out, o, fn, s);
		break;
	}
	for (size_t o = 0; o < n; o++) {
		const struct obj_sym *s;

		if (!objs[o].is_exe || !(s = find_sym(objs[o].local, objs[o].n_local, name)))
			continue;
		if (!alloc_fns[fn].cxx || is_allocator(&objs[o]))
			plan_add(out, o, fn, s);
	}
}

void alloc_plan(const struct alloc_obj *objs, size_t n, struct alloc_plan *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t fn = 0; fn < nr_alloc_fns; fn++)
		plan_fn(objs, n, fn, out);
}

void alloc_plan_drop(struct alloc_plan *p, size_t i)
{
	if (i >= p->n)
		return;
	memmove(&p->probes[i], &p->probes[i + 1], (p->n - i - 1) * sizeof(p->probes[0]));
	p->n--;
}

enum alloc_family alloc_family_of(const struct alloc_obj *o)
{
	static const struct {
		const char *marker;
		enum alloc_family fam;
	} markers[] = {
		{ "mallocx", FAM_JEMALLOC }, { "je_malloc", FAM_JEMALLOC }, { "je_mallocx", FAM_JEMALLOC },
		{ "tc_malloc", FAM_TCMALLOC }, { "mi_malloc", FAM_MIMALLOC },
		/* tcmalloc and mimalloc define __libc_malloc too: checked after them */
		{ "__libc_malloc", FAM_GLIBC },
	};

	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (obj_defines(o, markers[i].marker, true))
			return markers[i].fam;
	return FAM_OTHER;
}

const char *alloc_family_name(enum alloc_family f)
{
	switch (f) {
	case FAM_GLIBC: return "glibc";
	case FAM_JEMALLOC: return "jemalloc";
	case FAM_TCMALLOC: return "tcmalloc";
	case FAM_MIMALLOC: return "mimalloc";
	case FAM_OTHER: break;
	}
	return "allocator";
}

/* ---- ELF symbols ------------------------------------------------------------------- */

static int alloc_fn_index(const char *name)
{
	for (size_t i = 0; i < nr_alloc_fns; i++)
		if (!strcmp(alloc_fns[i].name, name))
			return (int)i;
	return -1;
}

/* Keeps the name if it is one of ours, or a family marker. */
static bool wanted_name(const char *name)
{
	if (!strcmp(name, "__libc_malloc"))
		return true;
	return alloc_fn_index(name) >= 0;
}

struct symvec {
	struct obj_sym *v;
	size_t n, cap;
};

static int symvec_push(struct symvec *sv, const struct obj_sym *s)
{
	struct obj_sym *nv = vec_reserve(sv->v, &sv->cap, sv->n, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	sv->v = nv;
	sv->v[sv->n++] = *s;
	return 0;
}

/* Names are copied into one growing buffer; obj_sym.name_off holds their
 * offsets until load_elf points the names into it. */
struct strbuf {
	char *b;
	size_t n, cap;
};

static long strbuf_add(struct strbuf *sb, const char *s)
{
	size_t l = strlen(s) + 1;

	while (sb->n + l > sb->cap) {
		char *nb = vec_reserve(sb->b, &sb->cap, sb->cap, 1);

		if (!nb)
			return -ENOMEM;
		sb->b = nb;
	}
	memcpy(sb->b + sb->n, s, l);
	sb->n += l;
	return (long)(sb->n - l);
}

static bool sym_is_func(const GElf_Sym *sym)
{
	int bind = GELF_ST_BIND(sym->st_info);

	/* not STT_GNU_IFUNC: its value is the resolver, not the function */
	return GELF_ST_TYPE(sym->st_info) == STT_FUNC && sym->st_shndx != SHN_UNDEF &&
	       sym->st_value && (bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE);
}

static int read_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, Elf_Data *versym,
		       struct symvec *sv, struct strbuf *sb)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; data && i < n; i++) {
		GElf_Sym sym;
		GElf_Shdr tsh;
		GElf_Versym vs;
		Elf_Scn *tscn;
		const char *name;
		struct obj_sym os;
		long at;

		if (!gelf_getsym(data, (int)i, &sym) || !sym_is_func(&sym))
			continue;
		/* a hidden (non-default) version is not what an unversioned
		 * or current reference binds to */
		if (versym && gelf_getversym(versym, (int)i, &vs) && (vs & 0x8000))
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !wanted_name(name))
			continue;
		tscn = elf_getscn(elf, sym.st_shndx);
		if (!tscn || !gelf_getshdr(tscn, &tsh) || sym.st_value < tsh.sh_addr ||
		    tsh.sh_type == SHT_NOBITS)
			continue;
		at = strbuf_add(sb, name);
		if (at < 0)
			return (int)at;
		os.name = NULL;
		os.name_off = (size_t)at;
		os.vaddr = sym.st_value;
		os.size = sym.st_size;
		os.file_off = sym.st_value - tsh.sh_addr + tsh.sh_offset;
		if (symvec_push(sv, &os))
			return -ENOMEM;
	}
	return 0;
}

static void note_plt(struct alloc_obj *o, const char *name, const GElf_Shdr *sh)
{
	if (!name || strncmp(name, ".plt", 4) != 0)
		return;
	if (!o->plt_lo || sh->sh_addr < o->plt_lo)
		o->plt_lo = sh->sh_addr;
	if (sh->sh_addr + sh->sh_size > o->plt_hi)
		o->plt_hi = sh->sh_addr + sh->sh_size;
}

static void fix_names(struct obj_sym *v, size_t n, const char *base)
{
	for (size_t i = 0; i < n; i++)
		v[i].name = base + v[i].name_off;
}

static int load_elf(struct alloc_obj *o, Elf *elf)
{
	struct symvec dyn = { 0 }, local = { 0 };
	struct strbuf sb = { 0 };
	Elf_Scn *scn = NULL, *dynsym = NULL, *symtab = NULL;
	Elf_Data *versym = NULL;
	size_t shstrndx;
	int err = 0;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		note_plt(o, elf_strptr(elf, shstrndx, sh.sh_name), &sh);
		if (sh.sh_type == SHT_DYNSYM)
			dynsym = scn;
		else if (sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		else if (sh.sh_type == SHT_GNU_versym)
			versym = elf_getdata(scn, NULL);
	}
	if (dynsym) {
		GElf_Shdr sh;

		if (gelf_getshdr(dynsym, &sh))
			err = read_symtab(elf, dynsym, &sh, versym, &dyn, &sb);
	}
	if (!err && symtab && o->is_exe) {
		GElf_Shdr sh;

		if (gelf_getshdr(symtab, &sh))
			err = read_symtab(elf, symtab, &sh, NULL, &local, &sb);
	}
	if (err) {
		free(dyn.v);
		free(local.v);
		free(sb.b);
		return err;
	}
	fix_names(dyn.v, dyn.n, sb.b);
	fix_names(local.v, local.n, sb.b);
	o->dyn = dyn.v;
	o->n_dyn = dyn.n;
	o->local = local.v;
	o->n_local = local.n;
	o->strings = sb.b;
	o->strings_len = sb.n;
	return 0;
}

int alloc_obj_load(struct alloc_obj *o, const char *path, const char *shown, bool is_exe)
{
	Elf *elf;
	int fd, err;

	memset(o, 0, sizeof(*o));
	snprintf(o->path, sizeof(o->path), "%s", path);
	snprintf(o->shown, sizeof(o->shown), "%s", shown);
	o->is_exe = is_exe;
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	err = load_elf(o, elf);
	elf_end(elf);
	close(fd);
	return err;
}

void alloc_obj_free(struct alloc_obj *o)
{
	free(o->dyn);
	free(o->local);
	free(o->strings);
	o->dyn = o->local = NULL;
	o->strings = NULL;
	o->n_dyn = o->n_local = 0;
}

void alloc_objs_free(struct alloc_obj *objs, size_t n)
{
	for (size_t i = 0; objs && i < n; i++)
		alloc_obj_free(&objs[i]);
	free(objs);
}

int alloc_read_code(const char *path, uint64_t file_off, uint8_t *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, (off_t)file_off);
	close(fd);
	return n < 0 ? -errno : (int)n;
}

/* ---- a list of paths -> objects ----------------------------------------------------- */

struct objlist {
	struct alloc_obj *v;
	size_t n, cap;
};

/* Adds an object once (a path seen twice is one object). Objects that are
 * not ELF or cannot be read are skipped: they cannot be probed anyway. */
static int objlist_add(struct objlist *l, const char *path, const char *shown, bool is_exe)
{
	struct alloc_obj *nv;

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].shown, shown))
			return 0;
	nv = vec_reserve(l->v, &l->cap, l->n, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	l->v = nv;
	if (alloc_obj_load(&l->v[l->n], path, shown, is_exe) == 0)
		l->n++;
	return 0;
}

static int objlist_done(struct objlist *l, struct alloc_obj **out)
{
	if (!l->n) {
		free(l->v);
		return -ENOENT;
	}
	*out = l->v;
	return (int)l->n;
}

/* ---- a running process: link map, else maps ---------------------------------------- */

static int read_mem(int fd, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len, (off_t)addr);

	return n == (ssize_t)len ? 0 : -EIO;
}

/* The r_debug address from the executable's DT_DEBUG, in memory. */
static uint64_t find_r_debug(pid_t pid, int mem)
{
	char path[64];
	Elf64_auxv_t aux[64];
	uint64_t phdr = 0, phnum = 0, bias = 0, dyn = 0, dynsz = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, aux, sizeof(aux));
	close(fd);
	for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(aux[0]); i++) {
		if (aux[i].a_type == AT_PHDR)
			phdr = aux[i].a_un.a_val;
		else if (aux[i].a_type == AT_PHNUM)
			phnum = aux[i].a_un.a_val;
	}
	if (!phdr || !phnum || phnum > 64)
		return 0;
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;

		if (read_mem(mem, phdr + i * sizeof(ph), &ph, sizeof(ph)))
			return 0;
		if (ph.p_type == PT_PHDR)
			bias = phdr - ph.p_vaddr;
		else if (ph.p_type == PT_DYNAMIC) {
			dyn = ph.p_vaddr;
			dynsz = ph.p_memsz;
		}
	}
	if (!dyn)
		return 0;	/* static: no dynamic linker, no link map */
	for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= dynsz && off < (uint64_t)64 * 1024; off += sizeof(Elf64_Dyn)) {
		Elf64_Dyn d;

		if (read_mem(mem, bias + dyn + off, &d, sizeof(d)) || d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_DEBUG)
			return d.d_un.d_ptr;
	}
	return 0;
}

static int exe_entry(pid_t pid, struct objlist *l)
{
	char exe[64], shown[PATH_MAX];
	ssize_t n;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	n = readlink(exe, shown, sizeof(shown) - 1);
	shown[n > 0 ? n : 0] = 0;
	return objlist_add(l, exe, n > 0 ? shown : exe, true);
}

static int add_mapped(pid_t pid, struct objlist *l, const char *name)
{
	char path[PATH_MAX];

	if (name[0] != '/')
		return 0;	/* the vdso, or the main program's empty name */
	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, name);
	return objlist_add(l, path, name, false);
}

#define MAX_LINK_MAPS 4096

/* struct link_map's first fields are ABI: l_addr, l_name, l_ld, l_next */
static int walk_link_map(pid_t pid, int mem, uint64_t r_debug, struct objlist *l)
{
	uint64_t rd[2];	/* struct r_debug: int r_version; struct link_map *r_map */
	uint64_t lm;
	int n = 0;

	if (read_mem(mem, r_debug, rd, sizeof(rd)) || !rd[1])
		return -ENOENT;
	for (lm = rd[1]; lm && n < MAX_LINK_MAPS; n++) {
		uint64_t f[4];
		char name[PATH_MAX];
		ssize_t got;

		if (read_mem(mem, lm, f, sizeof(f)))
			return -EIO;
		name[0] = 0;
		got = f[1] ? pread(mem, name, sizeof(name) - 1, (off_t)f[1]) : 0;
		name[got > 0 ? got : 0] = 0;
		name[strnlen(name, sizeof(name) - 1)] = 0;
		if (add_mapped(pid, l, name))
			return -ENOMEM;
		lm = f[3];
	}
	return 0;
}

/* Fallback order: mapped objects by descending address, the way ld.so's
 * top-down mmaps lay them out in load order. */
static int add_from_maps(pid_t pid, struct objlist *l)
{
	struct vma_list maps = { 0 };
	int err = procfs_read_pid_maps(pid, &maps);

	if (err)
		return err;
	for (size_t i = maps.n; i-- > 0;) {
		if (maps.v[i].path && maps.v[i].exec && (err = add_mapped(pid, l, maps.v[i].path)))
			break;
	}
	vma_list_free(&maps);
	return err;
}

int alloc_objs_of_pid(pid_t pid, struct alloc_obj **out)
{
	struct objlist l = { 0 };
	char path[64];
	uint64_t r_debug = 0;
	int mem, err;

	if ((err = exe_entry(pid, &l)))
		goto fail;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (mem >= 0) {
		r_debug = find_r_debug(pid, mem);
		err = r_debug ? walk_link_map(pid, mem, r_debug, &l) : -ENOENT;
		close(mem);
	}
	if (mem < 0 || err)
		err = add_from_maps(pid, &l);
	if (err == -ENOMEM)
		goto fail;
	return objlist_done(&l, out);
fail:
	alloc_objs_free(l.v, l.n);
	return err;
}

/* ---- a command before it runs: ld.so --list ------------------------------------------ */

int parse_ld_list(const char *text, char ***paths, char **buf)
{
	char *copy = strdup(text), *line, *save = NULL;
	char **v = NULL;
	size_t cap = 0;
	int n = 0;

	*paths = NULL;
	*buf = copy;
	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, "=> "), *end;
		char **nv;

		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/')
			continue;	/* "not found", the vdso, statically linked */
		end = strstr(p, " (0x");
		if (end)
			*end = 0;
		nv = vec_reserve(v, &cap, (size_t)n, sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = p;
	}
	*paths = v;
	return n;
}

/* The file's PT_INTERP, "" when it has none (static). -errno if unreadable. */
static int elf_interp(const char *file, char *out, size_t size)
{
	Elf *elf;
	size_t n = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC), err = -ENOEXEC;

	out[0] = 0;
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && !elf_getphdrnum(elf, &n)) {
		err = 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;
			size_t len;
			char *raw = elf_rawfile(elf, &len);

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_INTERP)
				continue;
			if (raw && ph.p_offset + ph.p_filesz <= len && ph.p_filesz < size)
				snprintf(out, size, "%.*s", (int)ph.p_filesz, raw + ph.p_offset);
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

#define LD_LIST_MAX (1 << 20)

static char *run_ld_list(const char *interp, const char *file)
{
	int pfd[2];
	pid_t pid;
	char *buf = malloc(LD_LIST_MAX);
	size_t n = 0;
	int st;

	if (!buf || pipe2(pfd, O_CLOEXEC)) {
		free(buf);
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(pfd[1], STDOUT_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		execl(interp, interp, "--list", file, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (pid > 0 && n < LD_LIST_MAX - 1) {
		ssize_t r = read(pfd[0], buf + n, LD_LIST_MAX - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(pfd[0]);
	buf[n] = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int alloc_objs_of_cmd(const char *file, struct alloc_obj **out)
{
	struct objlist l = { 0 };
	char interp[PATH_MAX], *text, **paths = NULL, *buf = NULL;
	int n, err = elf_interp(file, interp, sizeof(interp));

	if (err)
		return err;
	if ((err = objlist_add(&l, file, file, true)))
		goto fail;
	if (!interp[0])
		return objlist_done(&l, out);	/* static */
	text = run_ld_list(interp, file);
	if (!text) {
		err = -ENOEXEC;
		goto fail;
	}
	n = parse_ld_list(text, &paths, &buf);
	free(text);
	for (int i = 0; i < n && !err; i++)
		err = objlist_add(&l, paths[i], paths[i], false);
	free(paths);
	free(buf);
	if (n < 0)
		err = n;
	if (err)
		goto fail;
	return objlist_done(&l, out);
fail:
	alloc_objs_free(l.v, l.n);
	return err;
}
