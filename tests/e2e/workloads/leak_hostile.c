/* leaksnoop's odd targets for the hardening tests.
 * usage: leak_hostile leak NAME_HEX N STOPS — renames itself (NAME_HEX: the
 *            bytes in hex, so a test can pass ESC, newline, 0xff; "-" keeps
 *            the name), stops itself if STOPS >= 1 (the test attaches),
 *            leaks N blocks of 777 bytes, stops again if STOPS >= 2 (the
 *            test deletes or replaces the binary), waits 0.6 s, exits 0
 *        leak_hostile threads T PER — T threads alive at once, each leaking
 *            PER blocks of 1000 bytes (and freeing as many), then exits
 *        leak_hostile maps M N — M separate anonymous mappings kept, then N
 *            leaked blocks of 777 bytes, then exits */
#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include "workload.h"

static pthread_barrier_t all_started, all_leaked;
static long per_thread;

static void __attribute__((noinline)) hostile_leak(long n)
{
	for (long i = 0; i < n; i++) {
		char *p = malloc(777);	/* @hostile_leak */

		if (!p)
			die("malloc");
		memset(p, 1, 8);
	}
}

static void *thread_main(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&all_started);	/* every thread leaks at once */
	for (long i = 0; i < per_thread; i++) {
		char *tmp = malloc(64);
		char *leak = malloc(1000);	/* @threads_leak */

		if (!tmp || !leak)
			die("malloc");
		memset(leak, 0, 8);
		free(tmp);
	}
	pthread_barrier_wait(&all_leaked);	/* and all are alive till the end */
	return NULL;
}

static void many_threads(long n)
{
	pthread_attr_t attr;
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	if (!t)
		die("calloc");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, (size_t)64 * 1024);
	pthread_barrier_init(&all_started, NULL, (unsigned)n);
	pthread_barrier_init(&all_leaked, NULL, (unsigned)n);
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], &attr, thread_main, NULL))
			die("pthread_create");
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
}

static void rename_self(const char *hex)
{
	if (strcmp(hex, "-") != 0)	/* "-": keep the name */
		set_comm_from_hex(hex);
}

/* The STOPS-th stop of a run: the test attaches, or touches the binary. */
static void stop_at(long stops, long which)
{
	if (stops >= which)
		pause_for_test();
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	if (!strcmp(argv[1], "leak")) {
		long stops = arg_long(argc, argv, 4, 0);

		rename_self(argv[2]);
		stop_at(stops, 1);
		hostile_leak(strtol(argv[3], NULL, 0));
		stop_at(stops, 2);
		usleep(600 * 1000);	/* the tracer reads the new name */
	} else if (!strcmp(argv[1], "threads")) {
		per_thread = strtol(argv[3], NULL, 0);
		many_threads(strtol(argv[2], NULL, 0));
	} else if (!strcmp(argv[1], "maps")) {
		map_many_pages(strtol(argv[2], NULL, 0));
		hostile_leak(strtol(argv[3], NULL, 0));
	} else {
		return 2;
	}
	return 0;
}
