/* A big heap for timing leaksnoop's scan (make bench): MIB MiB in blocks
 * of BLOCK_KIB KiB, each a node of a random graph — one word in 16 points
 * to another block, the rest are small integers — held by an index that
 * leaves every tenth block out (lost, and what only it points to with it).
 * Writes "ready" to stderr and waits. Built a second time with
 * AddressSanitizer (leak_bigheap_lsan): there it also times LeakSanitizer's
 * own check of the same heap and prints "lsan_ms N".
 * usage: leak_bigheap MIB [BLOCK_KIB] */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "workload.h"
#ifdef WITH_LSAN
#include <sanitizer/lsan_interface.h>
#endif

static void **index_table;

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill(uint64_t **blocks, size_t n, size_t words, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		for (size_t w = 0; w < words; w++)
			blocks[i][w] = w % 16 == 1 ? (uint64_t)blocks[next_random(seed) % n]
						   : next_random(seed) & 0xffff;
}

int main(int argc, char **argv)
{
	size_t mib = (size_t)arg_long(argc, argv, 1, 1024);
	size_t block = (size_t)arg_long(argc, argv, 2, 64) * 1024;
	size_t n = mib * 1024 * 1024 / block, words = block / 8;
	uint64_t **blocks = malloc(n * sizeof(*blocks)), seed = 88172645463325252ULL;

	index_table = malloc(n * sizeof(*index_table));
	if (!blocks || !index_table)
		die("malloc");
	for (size_t i = 0; i < n; i++) {
		blocks[i] = malloc(block);
		if (!blocks[i])
			die("malloc");
	}
	fill(blocks, n, words, &seed);
	for (size_t i = 0; i < n; i++)
		index_table[i] = i % 10 ? blocks[i] : NULL;
	memset(blocks, 0, n * sizeof(*blocks));
	free(blocks);
#ifdef WITH_LSAN
	{
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		__lsan_do_recoverable_leak_check();
		clock_gettime(CLOCK_MONOTONIC, &b);
		fprintf(stderr, "lsan_ms %.1f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
	}
#endif
	fprintf(stderr, "ready\n");
	for (;;)
		pause();
}
