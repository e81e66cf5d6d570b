/* leaksnoop's address-space workload: N anonymous 64 KiB regions mapped and
 * never unmapped, one mapped and unmapped, and the brk heap grown by
 * N pages. usage: leak_mmap [N] */
#include <stdint.h>
#include <unistd.h>
#include "workload.h"

#define REGION ((size_t)64 << 10)

static void *__attribute__((noinline)) map_region(size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);	/* @mmap_leak */
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 10), ps = page_size();
	void *gone;

	for (long i = 0; i < n; i++)
		if (map_region(REGION) == MAP_FAILED)
			die("mmap");
	gone = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);	/* @mmap_freed */
	if (gone == MAP_FAILED || munmap(gone, REGION))
		die("munmap");
	if (sbrk((intptr_t)(n * ps)) == (void *)-1)
		die("sbrk");
	return 0;
}
