/* Grows its heap by STEP bytes (touched, so they are resident and its USS
 * grows) every PERIOD_US microseconds, for SECONDS seconds, then stops
 * itself. 64 KiB every 62,500 us is 1 MiB/s.
 * usage: grow_heap [SECONDS] [STEP] [PERIOD_US] */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "workload.h"

int main(int argc, char **argv)
{
	long secs = arg_long(argc, argv, 1, 10), step = arg_long(argc, argv, 2, 64L * 1024);
	long period = arg_long(argc, argv, 3, 62500);
	long rounds = secs * 1000000 / period;

	for (long i = 0; i < rounds; i++) {
		char *p = malloc((size_t)step);

		if (!p)
			die("malloc");
		memset(p, (int)i | 1, (size_t)step);	/* never freed: the leak */
		usleep((useconds_t)period);
	}
	pause_for_test();
	return 0;
}
