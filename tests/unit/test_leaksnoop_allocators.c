// SPDX-License-Identifier: GPL-2.0
/* Unit tests for allocators.c: the binding decision on synthetic objects
 * (preload, executable, libraries in load order, static allocators,
 * aliases, C++ operators), ld.so --list parsing, and the real thing on
 * Debian's redis-server (linked with libjemalloc.so.2). */
#include "unit.h"
#include "allocators.h"
#include "leaksnoop.h"

#include <stdlib.h>
#include <unistd.h>

#define MAX_SYMS 16

struct fake {
	struct alloc_obj o;
	struct obj_sym dyn[MAX_SYMS], local[MAX_SYMS];
};

/* names: "name@offset" entries; local ones start with '.' */
static void fake_obj(struct fake *f, const char *path, bool exe, const char *const *names)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->o.path, sizeof(f->o.path), "%s", path);
	snprintf(f->o.shown, sizeof(f->o.shown), "%s", path);
	f->o.is_exe = exe;
	f->o.dyn = f->dyn;
	f->o.local = f->local;
	for (int i = 0; names && names[i]; i++) {
		const char *n = names[i];
		bool local = n[0] == '.';
		const char *at = strchr(n, '@');
		struct obj_sym *s = local ? &f->local[f->o.n_local++] : &f->dyn[f->o.n_dyn++];
		static char store[64][64];
		static int used;
		char *name = store[used++ % 64];

		snprintf(name, 64, "%.*s", (int)((at ? at : n + strlen(n)) - n - local), n + local);
		s->name = name;
		s->file_off = s->vaddr = at ? strtoull(at + 1, NULL, 0) : 0x1000 + (uint64_t)i * 0x10;
		s->size = 16;
	}
}

/* which object index probes fn name in the plan, -1 if none (-2: twice) */
static int probed_in(const struct alloc_plan *p, const char *name)
{
	int where = -1;

	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(alloc_fns[p->probes[i].fn].name, name) != 0)
			continue;
		where = where == -1 ? (int)p->probes[i].obj : -2;
	}
	return where;
}

static struct alloc_obj objs_of(struct fake *f, size_t n, struct alloc_obj *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = f[i].o;
	return out[0];
}

static void test_first_definer_wins(void)
{
	static const char *const exe[] = { NULL };
	static const char *const je[] = { "malloc", "free", "mallocx", "sdallocx", "_Znwm", "_ZdlPv", NULL };
	static const char *const libc[] = { "malloc", "free", "pvalloc", "__libc_malloc", NULL };
	static const char *const cxx[] = { "_Znwm", "_ZdlPv", NULL };
	struct fake f[4];
	struct alloc_obj o[4];
	struct alloc_plan p;

	fake_obj(&f[0], "/bin/server", true, exe);
	fake_obj(&f[1], "/lib/libjemalloc.so.2", false, je);
	fake_obj(&f[2], "/lib/libc.so.6", false, libc);
	fake_obj(&f[3], "/lib/libstdc++.so.6", false, cxx);
	objs_of(f, 4, o);
	alloc_plan(o, 4, &p);
	CHECK(probed_in(&p, "malloc") == 1);
	CHECK(probed_in(&p, "free") == 1);
	CHECK(probed_in(&p, "mallocx") == 1);
	CHECK(probed_in(&p, "sdallocx") == 1);
	CHECK(probed_in(&p, "_Znwm") == 1);	/* jemalloc's own, fast path inlined */
	CHECK(probed_in(&p, "pvalloc") == 2);	/* only libc has it */
	CHECK(alloc_family_of(&o[1]) == FAM_JEMALLOC);
	CHECK(alloc_family_of(&o[2]) == FAM_GLIBC);
	CHECK_STR(alloc_family_name(alloc_family_of(&o[3])), "allocator");

	/* libstdc++ first: its operator new only calls malloc, not probed */
	o[1] = f[3].o;
	o[3] = f[1].o;
	alloc_plan(o, 4, &p);
	CHECK(probed_in(&p, "_Znwm") == -1);
	CHECK(probed_in(&p, "malloc") == 2);	/* libc now comes before jemalloc */
}

static void test_preload_and_exe(void)
{
	static const char *const exe[] = { "malloc", "free", NULL };	/* interposes, exported */
	static const char *const tc[] = { "malloc", "free", "tc_malloc", "tc_free", NULL };
	static const char *const libc[] = { "malloc", "free", "__libc_malloc", NULL };
	struct fake f[3];
	struct alloc_obj o[3];
	struct alloc_plan p;

	fake_obj(&f[0], "/bin/prog", true, NULL);
	fake_obj(&f[1], "/lib/libtcmalloc.so.4", false, tc);
	fake_obj(&f[2], "/lib/libc.so.6", false, libc);
	objs_of(f, 3, o);
	alloc_plan(o, 3, &p);
	CHECK(probed_in(&p, "malloc") == 1);
	CHECK(probed_in(&p, "tc_malloc") == 1);
	CHECK(alloc_family_of(&o[1]) == FAM_TCMALLOC);

	/* an executable that exports its own malloc wins over everything */
	fake_obj(&f[0], "/bin/prog", true, exe);
	objs_of(f, 3, o);
	alloc_plan(o, 3, &p);
	CHECK(probed_in(&p, "malloc") == 0);
	CHECK(probed_in(&p, "free") == 0);
	CHECK(probed_in(&p, "tc_malloc") == 1);
}

/* jemalloc linked statically, not exported: the executable's own calls go
 * to it, libraries' calls to libc's */
static void test_static_allocator(void)
{
	static const char *const exe[] = { ".malloc", ".free", ".mallocx", NULL };
	static const char *const libc[] = { "malloc", "free", "__libc_malloc", NULL };
	struct fake f[2];
	struct alloc_obj o[2];
	struct alloc_plan p;
	int both = 0;

	fake_obj(&f[0], "/bin/static-je", true, exe);
	fake_obj(&f[1], "/lib/libc.so.6", false, libc);
	objs_of(f, 2, o);
	alloc_plan(o, 2, &p);
	for (size_t i = 0; i < p.n; i++)
		both += !strcmp(alloc_fns[p.probes[i].fn].name, "malloc");
	CHECK(both == 2);
	CHECK(probed_in(&p, "mallocx") == 0);
	CHECK(alloc_family_of(&o[0]) == FAM_JEMALLOC);

	/* a fully static program: one object */
	alloc_plan(o, 1, &p);
	CHECK(probed_in(&p, "malloc") == 0);
	CHECK(probed_in(&p, "free") == 0);
}

/* tcmalloc's free, tc_free, _ZdlPv and _ZdaPv are one function */
static void test_aliases_once(void)
{
	static const char *const tc[] = { "free@0x37a00", "tc_free@0x37a00", "_ZdlPv@0x37a00",
					  "_ZdaPv@0x37a00", "malloc@0x39b40", "tc_malloc@0x39b40", NULL };
	struct fake f[1];
	struct alloc_plan p;

	fake_obj(&f[0], "/lib/libtcmalloc.so.4", false, tc);
	alloc_plan(&f[0].o, 1, &p);
	CHECK_U64(p.n, 2);
	CHECK(probed_in(&p, "free") == 0);	/* the first name of the table wins */
	CHECK(probed_in(&p, "malloc") == 0);
	alloc_plan_drop(&p, 0);
	CHECK_U64(p.n, 1);
	CHECK(probed_in(&p, "malloc") == 0);
}

static void test_nothing_found(void)
{
	static const char *const none[] = { "printf", NULL };
	struct fake f[1];
	struct alloc_plan p;

	fake_obj(&f[0], "/bin/odd", true, none);
	alloc_plan(&f[0].o, 1, &p);
	CHECK_U64(p.n, 0);
	alloc_plan(NULL, 0, &p);
	CHECK_U64(p.n, 0);
}

static void test_kinds_and_args(void)
{
	for (size_t i = 0; i < nr_alloc_fns; i++) {
		const struct alloc_fn *f = &alloc_fns[i];

		if (f->kind == KIND_FREE || f->kind == KIND_REALLOC || f->kind == KIND_RESIZE ||
		    f->kind == KIND_POSIX_MEMALIGN)
			CHECK(f->ptr_arg == 0);
		if (f->kind == KIND_MALLOC || f->kind == KIND_REALLOC || f->kind == KIND_POSIX_MEMALIGN)
			CHECK(f->size_arg >= 0 && f->size_arg < 3);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(alloc_fns[j].name, f->name) != 0);	/* no name twice */
	}
	CHECK_U64(LS_COOKIE_KIND(LS_COOKIE(KIND_FREE, 10, 31, 31)), KIND_FREE);
	CHECK_U64(LS_COOKIE_PTR(LS_COOKIE(KIND_FREE, 10, 31, 31)), 10);
	CHECK_U64(LS_COOKIE_N(LS_COOKIE(KIND_MALLOC, 31, 14, 13)), 14);
	CHECK_U64(LS_COOKIE_SIZE(LS_COOKIE(KIND_MALLOC, 31, 14, 13)), 13);
}

static void test_parse_ld_list(void)
{
	static const char text[] =
		"\tlinux-vdso.so.1 (0x00007ffd3a5f2000)\n"
		"\t/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 (0x00007f0a1c000000)\n"
		"\tlibatomic.so.1 => /lib/x86_64-linux-gnu/libatomic.so.1 (0x00007f0a1c5e0000)\n"
		"\tlibmissing.so => not found\n"
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0a1bc1e000)\n"
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f0a1c61a000)\n";
	char **paths, *buf;
	int n = parse_ld_list(text, &paths, &buf);

	CHECK(n == 4);
	if (n == 4) {
		CHECK_STR(paths[0], "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2");
		CHECK_STR(paths[1], "/lib/x86_64-linux-gnu/libatomic.so.1");
		CHECK_STR(paths[2], "/lib/x86_64-linux-gnu/libc.so.6");
		CHECK_STR(paths[3], "/lib64/ld-linux-x86-64.so.2");
	}
	free(paths);
	free(buf);
	n = parse_ld_list("\tstatically linked\n", &paths, &buf);
	CHECK(n == 0);
	free(paths);
	free(buf);
	n = parse_ld_list("", &paths, &buf);
	CHECK(n == 0);
	free(paths);
	free(buf);
}

static int index_of(const struct alloc_obj *o, int n, const char *base)
{
	for (int i = 0; i < n; i++) {
		const char *s = strrchr(o[i].shown, '/');

		if (s && !strncmp(s + 1, base, strlen(base)))
			return i;
	}
	return -1;
}

/* Debian's redis-server: libjemalloc.so.2 is loaded before libc, so its
 * malloc is the one called */
static void test_real_redis(void)
{
	struct alloc_obj *o = NULL;
	struct alloc_plan p;
	int n = alloc_objs_of_cmd("/usr/bin/redis-server", &o), je, libc;

	CHECK(n > 3);
	if (n <= 3)
		return;
	CHECK(o[0].is_exe);
	je = index_of(o, n, "libjemalloc.so");
	libc = index_of(o, n, "libc.so");
	CHECK(je > 0 && libc > je);
	alloc_plan(o, (size_t)n, &p);
	CHECK(probed_in(&p, "malloc") == je);
	CHECK(probed_in(&p, "free") == je);
	CHECK(probed_in(&p, "mallocx") == je);
	CHECK(probed_in(&p, "_Znwm") == je);
	CHECK(alloc_family_of(&o[je]) == FAM_JEMALLOC);
	alloc_objs_free(o, (size_t)n);
}

/* this test binary's own process, through its link map */
static void test_real_link_map(void)
{
	struct alloc_obj *o = NULL;
	int n = alloc_objs_of_pid(getpid(), &o), libc;

	CHECK(n >= 2);
	if (n < 2)
		return;
	CHECK(o[0].is_exe);
	libc = index_of(o, n, "libc.so");
	CHECK(libc > 0);
	if (libc > 0)
		CHECK(alloc_family_of(&o[libc]) == FAM_GLIBC);
	alloc_objs_free(o, (size_t)n);
	CHECK(alloc_objs_of_cmd("/nonexistent/prog", &o) < 0);
}

int main(void)
{
	RUN(test_first_definer_wins);
	RUN(test_preload_and_exe);
	RUN(test_static_allocator);
	RUN(test_aliases_once);
	RUN(test_nothing_found);
	RUN(test_kinds_and_args);
	RUN(test_parse_ld_list);
	RUN(test_real_redis);
	RUN(test_real_link_map);
	UNIT_EXIT();
}
