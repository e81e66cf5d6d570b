/* Odd targets for the hardening tests.
 * usage: hostile comm NAME_HEX   — renames itself (bytes given in hex, so a
 *                                  test can pass ESC, newline, 0xff), faults
 *        hostile threads N       — N threads, each touches one fresh page
 *        hostile maps N          — N separate anonymous mappings, each touched
 * then stops itself for the test. */
#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include "workload.h"

static pthread_barrier_t all_touched;

static void touch_fresh_page(void)
{
	volatile char *p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	p[0] = 1;
}

static void *thread_main(void *arg)
{
	(void)arg;
	touch_fresh_page();
	pthread_barrier_wait(&all_touched);	/* all alive when the test looks */
	pause();
	return NULL;
}

static void many_threads(long n)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, (size_t)64 * 1024);
	pthread_barrier_init(&all_touched, NULL, (unsigned)n + 1);
	for (long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, &attr, thread_main, NULL))
			die("pthread_create");
	}
	pthread_barrier_wait(&all_touched);
}

static void rename_self(const char *hex)
{
	set_comm_from_hex(hex);
	for (int i = 0; i < 100; i++)
		touch_fresh_page();
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	if (!strcmp(argv[1], "comm"))
		rename_self(argv[2]);
	else if (!strcmp(argv[1], "threads"))
		many_threads(strtol(argv[2], NULL, 0));
	else if (!strcmp(argv[1], "maps"))
		map_many_pages(strtol(argv[2], NULL, 0));
	else
		return 2;
	pause_for_test();
	return 0;
}
