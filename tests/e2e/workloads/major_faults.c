/* Maps a file whose pages were dropped from the page cache and reads every
 * page: major faults. usage: major_faults PATH NPAGES */
#include <fcntl.h>
#include <string.h>
#include "workload.h"

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/mmscope-major";
	long n = arg_long(argc, argv, 2, 256), ps = page_size();
	char *buf = malloc(ps);
	volatile unsigned char sum = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || !buf)
		die("open");
	memset(buf, 'x', ps);
	for (long i = 0; i < n; i++)
		if (write(fd, buf, ps) != ps)
			die("write");
	if (fsync(fd))
		die("fsync");
	/* clean pages can be dropped; now the next touch must read the disk */
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		die("fadvise");
	char *p = mmap(NULL, n * ps, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	/* no read-ahead: one fault per page */
	if (madvise(p, n * ps, MADV_RANDOM))
		die("madvise");
	for (long i = 0; i < n; i++)
		sum = (unsigned char)(sum + p[i * ps]);
	close(fd);
	unlink(path);
	pause_for_test();
	return sum == 0;
}
