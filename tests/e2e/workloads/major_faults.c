/* Maps a file whose pages were dropped from the page cache and reads every
 * page: major faults. usage: major_faults PATH NPAGES */
#include <fcntl.h>
#include <string.h>
#include "workload.h"

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/mmscope-major";
	long n = arg_long(argc, argv, 2, 256), ps = page_size();
	volatile unsigned char sum = 0;
	char *p = map_dropped_file(path, n);

	for (long i = 0; i < n; i++)
		sum = (unsigned char)(sum + p[i * ps]);
	pause_for_test();
	return sum == 0;
}
