/* leaksnoop's multithreaded workload: THREADS threads, each leaking
 * PER_THREAD blocks of 2000 bytes while churning malloc/free.
 * usage: leak_threads [THREADS] [PER_THREAD] */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "workload.h"

static long per_thread;

static void *worker(void *arg)
{
	(void)arg;
	for (long i = 0; i < per_thread; i++) {
		char *tmp = malloc(64 + i % 512);
		char *leak;

		memset(tmp, 0, 8);
		leak = malloc(2000);		/* @thread_leak */
		memset(leak, 0, 8);
		free(tmp);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = arg_long(argc, argv, 1, 8);
	pthread_t t[64];

	per_thread = arg_long(argc, argv, 2, 200);
	if (threads > 64)
		threads = 64;
	for (long i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, worker, NULL))
			die("pthread_create");
	for (long i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return 0;
}
