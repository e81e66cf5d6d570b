/* leaksnoop's workload for a process whose main thread exits first: main
 * starts THREADS threads and calls pthread_exit(); each thread waits until
 * main is gone (a zombie), then leaks PER_THREAD blocks of 3000 bytes and
 * ends; the last one to end ends the process (status 0). Every leak comes
 * after the main thread's exit.
 * usage: leak_after_main [THREADS] [PER_THREAD] */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "workload.h"

static long per_thread;
static pid_t main_tid;

/* The main thread's state in /proc/self/task/TID/stat ('Z' once it has
 * exited; leaksnoop holds it stopped at its exit for a moment first). */
static char main_state(void)
{
	char path[64], buf[512];
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)main_tid);
	f = fopen(path, "r");
	if (!f)
		return 'X';
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (!p || p[1] != ' ')
		return '?';
	return p[2];
}

static void *worker(void *arg)
{
	struct timespec pause = { 0, 1000000 };

	(void)arg;
	while (main_state() != 'Z' && main_state() != 'X')
		nanosleep(&pause, NULL);
	for (long i = 0; i < per_thread; i++) {
		char *leak = malloc(3000);	/* @after_main_leak */

		memset(leak, 0, 8);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = arg_long(argc, argv, 1, 4);
	pthread_t t;

	per_thread = arg_long(argc, argv, 2, 100);
	main_tid = getpid();
	for (long i = 0; i < threads; i++)
		if (pthread_create(&t, NULL, worker, NULL))
			die("pthread_create");
	pthread_exit(NULL);
}
