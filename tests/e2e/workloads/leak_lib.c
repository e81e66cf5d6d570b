/* Leaks through a shared library the test builds (libleakshlib.so).
 * usage: leak_lib [COUNT] */
#include <stddef.h>
#include "workload.h"

void *shlib_make_record(size_t n);

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 5);

	for (long i = 0; i < n; i++)
		shlib_make_record(4321);	/* @shlib_call */
	return 0;
}
