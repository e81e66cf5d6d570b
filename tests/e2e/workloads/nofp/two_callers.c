/* The walk cache's hard case (bpf/unwind.bpf.h): one allocation site,
 * site(), reached from two callers, via_a() and via_b(), with frames of the
 * same size, called from the same frame of main. At malloc's return rip and
 * rsp are then the same on both paths; only the return address stored in
 * site's frame tells them apart. Built -O2 -fomit-frame-pointer, no debug
 * info. Runs of RUN calls through via_a, then RUN through via_b, ROUNDS
 * times; every block leaks (24 bytes through via_a, 40 through via_b).
 * usage: two_callers RUN ROUNDS; prints "rsp_a=0x... rsp_b=0x..." (rsp in
 * site, the last call of each path) on stderr. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void *volatile sink_a, *volatile sink_b, *volatile sink;
static volatile uintptr_t site_rsp;

/* the store after each call keeps it a call, not a tail jump */
__attribute__((noipa)) void *site(size_t n)
{
	uintptr_t sp;
	void *p = malloc(n);

	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	site_rsp = sp;
	sink = p;
	return p;
}

__attribute__((noipa)) void *via_a(size_t n)
{
	void *p = site(n);

	sink_a = p;
	return p;
}

__attribute__((noipa)) void *via_b(size_t n)
{
	void *p = site(n);

	sink_b = p;
	return p;
}

int main(int argc, char **argv)
{
	long run = argc > 1 ? strtol(argv[1], NULL, 10) : 50;
	long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 3;
	uintptr_t rsp_a = 0, rsp_b = 0;

	for (long r = 0; r < rounds; r++) {
		for (long i = 0; i < run; i++)
			via_a(24);
		rsp_a = site_rsp;
		for (long i = 0; i < run; i++)
			via_b(40);
		rsp_b = site_rsp;
	}
	sink = sink_a = sink_b = NULL;
	fprintf(stderr, "rsp_a=%#lx rsp_b=%#lx\n", (unsigned long)rsp_a, (unsigned long)rsp_b);
	return 0;
}
