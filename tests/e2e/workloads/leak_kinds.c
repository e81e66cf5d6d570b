/* leaksnoop's allocator-semantics workload: one leak per API, each of a
 * distinct size, at a line marked "@name"; everything else is freed.
 * usage: leak_kinds [EXIT_STATUS] */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "workload.h"

static void *keep[16];
static int nkeep;

/* the leaked blocks stay referenced from here until exit */
static void hold(void *p)
{
	keep[nkeep++] = p;
}

int main(int argc, char **argv)
{
	int status = (int)arg_long(argc, argv, 1, 0);
	volatile size_t huge = (size_t)-4096;	/* volatile: gcc refuses it as a constant */
	char *p, *q;
	void *a;

	/* a realloc chain: the block ends at the last realloc, 3000 bytes */
	p = malloc(100);
	p = realloc(p, 200);
	p = realloc(p, 3000);			/* @realloc_chain */
	hold(p);

	/* realloc(NULL, n) is malloc */
	hold(realloc(NULL, 3100));		/* @realloc_null */

	/* realloc(p, 0) frees p (glibc returns NULL) */
	q = malloc(3200);
	q = realloc(q, 0);
	if (q)
		free(q);

	/* a failed realloc keeps the old block; the block is then freed */
	q = malloc(3300);
	if (realloc(q, huge) == NULL)
		free(q);

	/* a failed malloc is not a leak */
	if (malloc(huge))
		die("malloc of almost 2^64 bytes succeeded");

	hold(calloc(10, 340));			/* @calloc */

	if (posix_memalign(&a, 64, 3500))	/* @posix_memalign */
		die("posix_memalign");
	hold(a);

	hold(aligned_alloc(128, 3584));		/* @aligned_alloc */

	hold(memalign(256, 3700));		/* @memalign */

	hold(valloc(3800));			/* @valloc */

	hold(reallocarray(NULL, 10, 390));	/* @reallocarray */

	free(NULL);
	return status;
}
