// SPDX-License-Identifier: GPL-2.0
/* Allocator detection, the pure part: what each function is (alloc_fns)
 * and the binding decision (alloc_plan). Reading the objects is elsewhere:
 * alloc_elf.c reads one object's symbols, alloc_search.c finds the objects
 * of a process or command in the dynamic linker's search order. */
#include <string.h>
#include "allocators.h"
#include "leaksnoop.h"

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
