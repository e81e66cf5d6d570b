/* Leaks through an allocator loaded after start: dlopen()s Debian's
 * libjemalloc and calls jemalloc's own API, which no other object defines
 * (so the calls go there whatever was loaded first): leak_dl() leaks N
 * blocks of 1000 bytes through mallocx, and as many more are allocated
 * and freed again (dallocx). Nothing is allocated through it before the
 * dlopen: a tracer that looked for allocators only at the start misses all.
 * Debian's jemalloc uses initial-exec TLS: dlopen() needs room in the static
 * TLS block, GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384 (as
 * jemalloc's own documentation says for dlopen).
 * usage: leak_dlopen N [wait]
 *   With "wait" (for a tracer attached with -p in between) it reads a byte
 *   from stdin before the dlopen, another before the allocations, and
 *   waits for the end of stdin before it exits. */
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>
#include "workload.h"

typedef void *(*mallocx_fn)(size_t size, int flags);
typedef void (*dallocx_fn)(void *ptr, int flags);

void *volatile sink;

__attribute__((noinline)) static void *leak_dl(mallocx_fn mallocx, size_t n)
{
	char *p = mallocx(n, 0);

	if (p)
		p[0] = 1;
	return p;
}

/* With "wait": one byte from stdin (or its end), else nothing. */
static void wait_for_test(int on)
{
	char c;

	if (on && read(STDIN_FILENO, &c, 1) < 0)
		die("read stdin");
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 10);
	int stepwise = argc > 2 && !strcmp(argv[2], "wait");
	mallocx_fn mallocx;
	dallocx_fn dallocx;
	void *h;

	wait_for_test(stepwise);
	h = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "leak_dlopen: %s\n", dlerror());
		return 99;
	}
	mallocx = (mallocx_fn)dlsym(h, "mallocx");
	dallocx = (dallocx_fn)dlsym(h, "dallocx");
	if (!mallocx || !dallocx)
		die("dlsym mallocx/dallocx");
	wait_for_test(stepwise);
	for (long i = 0; i < n; i++) {
		void *kept = mallocx(2000, 0);

		sink = leak_dl(mallocx, 1000);
		dallocx(kept, 0);
	}
	if (stepwise) {
		char c;

		while (read(STDIN_FILENO, &c, 1) > 0)
			;
	}
	return 0;
}
