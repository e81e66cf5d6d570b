/* Faults N pages in one region. usage: regions heap|stack|file|anon N
 * heap: brk growth (sbrk); stack: deep recursion on the main stack;
 * file: a private writable file mapping; anon: an anonymous mapping. */
#include <fcntl.h>
#include <string.h>
#include "workload.h"

static long stack_pages_left;

static int recurse(void)
{
	volatile char frame[4096];

	frame[0] = 1;
	if (--stack_pages_left > 0)
		return recurse() + frame[0];
	return frame[0];
}

static void touch(volatile char *p, long n, long ps)
{
	for (long i = 0; i < n; i++)
		p[i * ps] = 1;
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 2, 512), ps = page_size();
	const char *what = argc > 1 ? argv[1] : "anon";
	char *p;

	if (strcmp(what, "heap") == 0) {
		p = sbrk(n * ps);
		if (p == (void *)-1)
			die("sbrk");
		touch(p, n, ps);
	} else if (strcmp(what, "stack") == 0) {
		stack_pages_left = n;
		recurse();
	} else if (strcmp(what, "file") == 0) {
		char path[] = "/tmp/mmscope-regionXXXXXX";
		int fd = mkstemp(path);

		if (fd < 0 || ftruncate(fd, n * ps))
			die("file");
		unlink(path);
		p = mmap(NULL, n * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap");
		touch(p, n, ps);
	} else {
		p = mmap(NULL, n * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		madvise(p, n * ps, MADV_NOHUGEPAGE);
		touch(p, n, ps);
	}
	pause_for_test();
	return 0;
}
