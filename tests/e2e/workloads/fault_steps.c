/* Touches N fresh anonymous pages (THP off), stops, and does that STEPS
 * times: at each stop /proc/PID/stat holds still, so a test can compare a
 * window of faults with what a scraper recorded.
 * usage: fault_steps N STEPS */
#include "workload.h"

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 1000), steps = arg_long(argc, argv, 2, 2);
	long ps = page_size();

	for (long s = 0; s < steps; s++) {
		volatile char *p = mmap(NULL, n * ps, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		if (madvise((void *)p, n * ps, MADV_NOHUGEPAGE))
			die("madvise");
		for (long i = 0; i < n; i++)
			p[i * ps] = 1;
		pause_for_test();
	}
	return 0;
}
