/* Dies of SIGSEGV in a known way and prints the address first.
 * usage: segv maperr|accerr [wait]  (wait: stop after printing, so that a
 * test can read the mappings, and fault on SIGCONT) */
#include <stdint.h>
#include <string.h>
#include "workload.h"

int main(int argc, char **argv)
{
	long ps = page_size();
	volatile char *p;

	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "maperr") == 0) {
		/* a page that was mapped and then unmapped: certainly no VMA */
		p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || munmap((void *)p, ps))
			die("mmap");
	} else {
		p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
	}
	printf("addr 0x%lx\n", (unsigned long)(uintptr_t)p);
	fflush(stdout);
	if (argc > 2 && strcmp(argv[2], "wait") == 0)
		pause_for_test();
	p[0] = 1;
	return 0;
}
