/* Known leaks through C++'s operator new in its forms (plain, array,
 * nothrow, aligned), everything else deleted (sized, aligned): built -O2
 * -fomit-frame-pointer without debug info, linked with an allocator that
 * defines the operators itself (jemalloc, tcmalloc, mimalloc).
 * usage: alloc_leak_cxx N
 *   leaks N objects of 1024 bytes from leak_obj(), N arrays of 2000 bytes
 *   from leak_array(), one nothrow block of 700 bytes and one 256-aligned
 *   object of 512 bytes. */
#include <cstdlib>
#include <new>
#include <unistd.h>

struct Obj { char b[1024]; };
struct alignas(256) Aligned { char b[512]; };

void *volatile sink;

/* each touches its object after new: no tail call, so the function is
 * the allocation's first frame */
__attribute__((noinline)) Obj *leak_obj() { Obj *o = new Obj(); o->b[1] = 1; return o; }
__attribute__((noinline)) char *leak_array() { char *a = new char[2000]; a[1] = 1; return a; }
__attribute__((noinline)) char *leak_nothrow()
{
	char *a = new (std::nothrow) char[700];

	if (a)
		a[1] = 1;
	return a;
}
__attribute__((noinline)) Aligned *leak_aligned() { Aligned *a = new Aligned(); a->b[1] = 1; return a; }

__attribute__((noinline)) void churn(int n)
{
	for (int i = 0; i < n; i++) {
		Obj *o = new Obj();
		char *a = new char[(size_t)(i % 300) + 1];
		Aligned *al = new Aligned();

		o->b[0] = a[0];
		delete o;		/* sized delete */
		delete[] a;
		delete al;		/* aligned, sized delete */
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;

	churn(2000);
	for (int i = 0; i < n; i++) {
		sink = leak_obj();
		sink = leak_array();
	}
	sink = leak_nothrow();
	sink = leak_aligned();
	_exit(0);
}
