/* Shared bits of the e2e workloads: they do a known amount of memory work,
 * then stop themselves so the test can read /proc/PID/stat at rest. */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* Stops until the test sends SIGCONT. */
static inline void pause_for_test(void)
{
	fflush(stdout);
	raise(SIGSTOP);
}

static inline long arg_long(int argc, char **argv, int i, long dflt)
{
	return argc > i ? strtol(argv[i], NULL, 0) : dflt;
}

static inline void die(const char *what)
{
	perror(what);
	exit(99);
}

/* n fresh anonymous pages (THP off for the range), each touched once: n
 * minor faults. */
static inline void touch_fresh_pages(long n)
{
	long ps = page_size();
	volatile char *p = mmap(NULL, n * ps, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	if (madvise((void *)p, n * ps, MADV_NOHUGEPAGE))
		die("madvise");
	for (long i = 0; i < n; i++)
		p[i * ps] = 1;
}

/* n separate one-page anonymous mappings, each touched. Alternating
 * protections keep the kernel from merging neighbours. */
static inline void map_many_pages(long n)
{
	long ps = page_size();

	for (long i = 0; i < n; i++) {
		volatile char *p = mmap(NULL, ps, PROT_READ | PROT_WRITE | (i % 2 ? PROT_EXEC : 0),
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		p[0] = 1;
	}
}

/* A file of n pages written, synced and dropped from the page cache
 * (POSIX_FADV_DONTNEED), then mapped shared and read-only with no
 * read-ahead (MADV_RANDOM): every page's first touch reads the disk, a
 * major fault each. The file is unlinked; the mapping keeps it. */
static inline char *map_dropped_file(const char *path, long n)
{
	long ps = page_size();
	char *buf = malloc(ps), *p;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || !buf)
		die("open");
	memset(buf, 'x', ps);
	for (long i = 0; i < n; i++)
		if (write(fd, buf, ps) != ps)
			die("write");
	if (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		die("fadvise");
	p = mmap(NULL, n * ps, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	if (madvise(p, n * ps, MADV_RANDOM))
		die("madvise");
	close(fd);
	unlink(path);
	free(buf);
	return p;
}

/* Renames the calling thread to the bytes hex spells (at most 16), so a
 * test can pass ESC, newline or 0xff through a command line. */
static inline void set_comm_from_hex(const char *hex)
{
	char name[17] = { 0 };

	for (size_t i = 0; i < 16 && hex[2 * i] && hex[2 * i + 1]; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		name[i] = (char)strtol(byte, NULL, 16);
	}
	if (prctl(PR_SET_NAME, name))
		die("prctl");
}

#endif
