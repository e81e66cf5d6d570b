/* leaksnoop's accuracy workload: every iteration leaks a 12288-byte block
 * and allocates and frees a 1024-byte one.
 * usage: leak_loop [ITERATIONS] [START_DELAY_MS] [ITER_DELAY_US] */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "workload.h"

static void __attribute__((noinline)) iteration(void)
{
	char *p1, *p2;

	p1 = malloc(12288);	/* @leak */
	memset(p1, 1, 16);
	p2 = malloc(1024);	/* @freed */
	memset(p2, 2, 16);
	free(p2);
	p1 = NULL;		/* definitely lost, for valgrind too */
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 100);
	long start_ms = arg_long(argc, argv, 2, 0);
	long iter_us = arg_long(argc, argv, 3, 0);

	if (start_ms)
		usleep(start_ms * 1000);
	for (long i = 0; i < n; i++) {
		iteration();
		if (iter_us)
			usleep(iter_us);
	}
	return 0;
}
