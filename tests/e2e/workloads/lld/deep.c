/* A leak three calls below main, built by clang -O2 -fomit-frame-pointer
 * -g and linked by lld (see the Makefile's lld rules): lld packs the code's
 * first page into the read-only segment's last, like rustc's programs.
 * usage: lld_deep [LEAKS] */
#include <stdlib.h>

/* stores after each call keep the calls real calls, not tail jumps */
void *volatile deep_sink;

__attribute__((noinline)) void *level3(size_t n)
{
	void *p = malloc(n); /* @level3 */

	deep_sink = p;
	return p;
}

__attribute__((noinline)) void *level2(size_t n)
{
	void *p = level3(n + 16); /* @level2 */

	deep_sink = p;
	return p;
}

__attribute__((noinline)) void *level1(size_t n)
{
	void *p = level2(n * 2); /* @level1 */

	deep_sink = p;
	return p;
}

int main(int argc, char **argv)
{
	long leaks = argc > 1 ? strtol(argv[1], NULL, 10) : 7;

	for (long i = 0; i < leaks; i++)
		level1(100); /* @main */
	deep_sink = NULL;
	return 0;
}
