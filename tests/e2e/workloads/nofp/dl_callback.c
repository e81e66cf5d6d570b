/* The walk cache across a change of the tables (bpf/unwind.bpf.h): with -p
 * leaksnoop learns of a dlopen() only when ld.so's hook has told user space
 * and it has re-read the mappings (up to 0.2 s later); until then a walk
 * ends at the library's frame. The same allocation, from the same rip and
 * rsp with the same stack words, is made before and after the tables know
 * the library: after, the stack must be whole (cb, lib_call, run, main).
 * usage: dl_callback N [stop]: N leaks of 32 bytes right after the dlopen,
 * a second, then N of 48 bytes; stop: SIGSTOP itself first (for -p).
 * dl_callback MS timed: SIGSTOP itself, 0.7 s (past the trace loop's
 * first look at the maps, at its start: only ld.so's hook can tell), dlopen,
 * then a leak through the library every 5 ms: of 4096 bytes for MS ms after
 * the dlopen began, of 8192 for MS ms more. */
#include <dlfcn.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef void *(*lib_call_fn)(void *(*cb)(void));

void *volatile sink;
static volatile size_t leak_size;

__attribute__((noipa)) void *cb(void)
{
	void *p = malloc(leak_size);

	sink = p;
	return p;
}

__attribute__((noipa)) void *run(lib_call_fn lib_call)
{
	void *p = lib_call(cb);

	sink = p;
	return p;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Leaks through the library every 5 ms: 4096 bytes until ms after t0,
 * 8192 until 2 * ms. */
static void timed_leaks(lib_call_fn lib_call, double t0, long ms)
{
	const struct timespec tick = { 0, 5000000 };

	double t = 0;

	while (t < 2.0 * (double)ms) {
		leak_size = t < (double)ms ? 4096 : 8192;
		run(lib_call);
		nanosleep(&tick, NULL);
		t = now_ms() - t0;
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
	static const size_t sizes[2] = { 32, 48 };
	char path[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - 32);
	lib_call_fn lib_call;
	void *h;

	if (len <= 0)
		return 99;
	path[len] = 0;
	strcpy(strrchr(path, '/') + 1, "libnofp_cblib.so");
	bool timed = argc > 2 && !strcmp(argv[2], "timed");
	double t0;

	if (argc > 2)
		kill(getpid(), SIGSTOP);	/* until the tracer has attached */
	if (timed)
		usleep(700000);
	t0 = now_ms();
	h = dlopen(path, RTLD_NOW);
	lib_call = h ? (lib_call_fn)dlsym(h, "lib_call") : NULL;
	if (!lib_call) {
		fprintf(stderr, "dl_callback: %s\n", dlerror());
		return 99;
	}
	if (timed) {
		timed_leaks(lib_call, t0, n);
		return 0;
	}
	for (int phase = 0; phase < 2; phase++) {
		leak_size = sizes[phase];
		for (long i = 0; i < n; i++)
			run(lib_call);
		if (!phase)
			sleep(1);
	}
	sink = NULL;
	return 0;
}
