/* A leak three calls below main, built the way distributions build code:
 * -O2 -fomit-frame-pointer, no debug info (see the Makefile's nofp rules).
 * Only CFI can find level2, level1 and main above the malloc in level3.
 * Linked twice: with glibc's malloc (nofp_deep) and with jemalloc
 * (nofp_deep_jemalloc). usage: deep [LEAKS [stop]] — stop: raise(SIGSTOP)
 * first, so a tracer can attach with -p before the leaks. */
#include <signal.h>
#include <stdlib.h>

/* stores after each call keep the calls real calls, not tail jumps, so
 * every level has a frame (valgrind loses a tail-called frame as well) */
void *volatile deep_sink;

__attribute__((noipa)) void *level3(size_t n)
{
	void *p = malloc(n);

	deep_sink = p;
	return p;
}

__attribute__((noipa)) void *level2(size_t n)
{
	void *p = level3(n + 16);

	deep_sink = p;
	return p;
}

__attribute__((noipa)) void *level1(size_t n)
{
	void *p = level2(n * 2);

	deep_sink = p;
	return p;
}

int main(int argc, char **argv)
{
	long leaks = argc > 1 ? strtol(argv[1], NULL, 10) : 10;

	if (argc > 2)
		raise(SIGSTOP);

	for (long i = 0; i < leaks; i++)
		level1(100);
	deep_sink = NULL;
	return 0;
}
