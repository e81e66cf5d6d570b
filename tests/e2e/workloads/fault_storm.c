/* The benchmark's fault storm: ROUNDS x MIB of fresh anonymous pages, each
 * touched once (THP off), then unmapped. Prints the elapsed seconds on
 * stdout, and "cpu_s=S" on stderr: this process's own CPU time (user +
 * system, where the kernel's fault handling and any probe on it count).
 * usage: fault_storm [MIB [ROUNDS]] */
#include <stdio.h>
#include <time.h>
#include "workload.h"

int main(int argc, char **argv)
{
	long mib = arg_long(argc, argv, 1, 256), rounds = arg_long(argc, argv, 2, 8);
	long ps = page_size(), len = mib << 20;
	struct timespec a, b, ca, cb;

	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	for (long r = 0; r < rounds; r++) {
		volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		madvise((void *)p, len, MADV_NOHUGEPAGE);
		for (long off = 0; off < len; off += ps)
			p[off] = 1;
		munmap((void *)p, len);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	fprintf(stderr, "cpu_s=%.6f\n", (cb.tv_sec - ca.tv_sec) + (cb.tv_nsec - ca.tv_nsec) / 1e9);
	printf("%.6f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
