/* A shared library that leaks, for leaksnoop's "leak inside a shared
 * library" test (built into build/tests/libleakshlib.so). */
#include <stdlib.h>
#include <string.h>

void *shlib_make_record(size_t n);

void *shlib_make_record(size_t n)
{
	char *p = malloc(n);	/* @shlib_leak */

	if (p)
		memset(p, 0, n);
	return p;
}
