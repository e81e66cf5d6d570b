/* A known number of address-space syscalls between two stops, for
 * faulttop's mmap/munmap/mremap/brk counters: N anonymous 64 KiB mmaps,
 * N/2 of them unmapped, N/4 of the rest grown to 128 KiB by mremap, and
 * the break moved up N/4 times by one page (one brk syscall each).
 * usage: addr_space_calls [N] */
#define _GNU_SOURCE
#include <stdint.h>
#include "workload.h"

#define REGION ((size_t)64 << 10)
#define MAX_N 1024

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 64), ps = page_size();
	static void *v[MAX_N];

	if (n < 4 || n > MAX_N)
		die("N must be 4..1024");
	if (sbrk(0) == (void *)-1)	/* libc knows the break before the first stop */
		die("sbrk");
	pause_for_test();
	for (long i = 0; i < n; i++) {
		v[i] = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (v[i] == MAP_FAILED)
			die("mmap");
	}
	for (long i = 0; i < n / 2; i++)
		if (munmap(v[i], REGION))
			die("munmap");
	for (long i = n / 2; i < n / 2 + n / 4; i++)
		if (mremap(v[i], REGION, 2 * REGION, MREMAP_MAYMOVE) == MAP_FAILED)
			die("mremap");
	for (long i = 0; i < n / 4; i++)
		if (sbrk((intptr_t)ps) == (void *)-1)
			die("sbrk");
	pause_for_test();
	return 0;
}
