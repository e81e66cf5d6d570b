/* Known leaks through whatever allocator the program is linked with (or
 * preloaded): built -O2 -fomit-frame-pointer without debug info, the way
 * distributions build programs. Function names come from the symbol table.
 * usage: alloc_leak N [THREADS [wait]]
 *   leaks N blocks of 1000 bytes from leak_one(), one block of 5000 bytes
 *   from leak_grow() (malloc + realloc), THREADS threads each leaking one
 *   block of 3000 bytes from leak_in_thread() and staying alive until the
 *   end (their stacks are live mappings); everything else is freed.
 *   With "wait" it reads a byte from stdin before it starts (for -p). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef USE_JEMALLOC_API
#include <jemalloc/jemalloc.h>
#endif

void *volatile sink;
static pthread_barrier_t started, finish;

/* each touches its block after the call: no tail call, so the function
 * is the allocation's first frame */
__attribute__((noinline)) void *leak_one(size_t n)
{
	char *p = malloc(n);

	if (p)
		p[0] = 1;
	return p;
}

__attribute__((noinline)) void *leak_grow(void)
{
	char *p = malloc(10);

	if (p)
		p[0] = 1;
	p = realloc(p, 5000);
	if (p)
		p[1] = 1;
	return p;
}

__attribute__((noinline)) void *leak_in_thread(void)
{
	char *p = malloc(3000);

	if (p)
		p[0] = 1;
	return p;
}

__attribute__((noinline)) void churn(int n)
{
	for (int i = 0; i < n; i++) {
		char *p = malloc((size_t)(i % 700) + 1);
		char *q = calloc(10, (size_t)(i % 50) + 1);

		if (!p || !q)
			abort();
		p[0] = q[0];
		p = realloc(p, 900);
		free(q);
		free(p);
#ifdef USE_JEMALLOC_API
		void *x = mallocx(256, 0);

		x = rallocx(x, 512, 0);
		sdallocx(x, 512, 0);
		dallocx(mallocx(64, 0), 0);
#endif
	}
}

static void *thread_main(void *arg)
{
	(void)arg;
	sink = leak_in_thread();
	churn(100);
	pthread_barrier_wait(&started);
	pthread_barrier_wait(&finish);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	int threads = argc > 2 ? atoi(argv[2]) : 0;
	pthread_t t[16];

	if (threads > 16)
		threads = 16;
	if (argc > 3 && !strcmp(argv[3], "wait")) {
		char c;

		if (read(0, &c, 1) != 1)
			return 1;
	}
	pthread_barrier_init(&started, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&finish, NULL, (unsigned)threads + 1);
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, thread_main, NULL))
			abort();
	churn(2000);
	for (int i = 0; i < n; i++)
		sink = leak_one(1000);
	sink = leak_grow();
	pthread_barrier_wait(&started);
	/* the process exits with its threads alive, stacks mapped */
	_exit(0);
}
