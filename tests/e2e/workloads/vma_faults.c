/* Faults in one known mapping between two stops, for faulttop --maps.
 * usage: vma_faults anon NPAGES     8 MiB anonymous, NPAGES written
 *        vma_faults file PATH NPAGES a file's pages dropped from the page
 *                                     cache, then read: major faults
 *        vma_faults many NMAPS       NMAPS one-page mappings, then idle
 * Prints "addr 0x..." (the mapping), stops, faults, stops again. */
#include <stdint.h>
#include <string.h>
#include "workload.h"

static char *anon(long bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	/* one fault per page: no transparent huge page for the range */
	if (madvise(p, bytes, MADV_NOHUGEPAGE))
		die("madvise");
	return p;
}

int main(int argc, char **argv)
{
	long ps = page_size();
	volatile unsigned char sum = 0;
	volatile char *p;
	long n;

	if (argc < 3)
		return 2;
	if (strcmp(argv[1], "many") == 0) {
		map_many_pages(arg_long(argc, argv, 2, 20000));
		pause_for_test();
		return 0;
	}
	if (strcmp(argv[1], "file") == 0) {
		n = arg_long(argc, argv, 3, 256);
		p = map_dropped_file(argv[2], n);
	} else {
		n = arg_long(argc, argv, 2, 1000);
		p = anon(8L << 20);
		if (n * ps > 8L << 20)
			return 2;
	}
	printf("addr 0x%lx\n", (unsigned long)(uintptr_t)p);
	pause_for_test();
	for (long i = 0; i < n; i++) {
		if (argv[1][0] == 'f')
			sum = (unsigned char)(sum + p[i * ps]);
		else
			p[i * ps] = 1;
	}
	pause_for_test();
	return sum == 1;
}
