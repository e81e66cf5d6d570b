// A C++ program whose shared library leaks through operator new from two
// threads, built -O2 -fomit-frame-pointer without debug info (the library
// keeps its debug info in a separate file, as distributions ship it).
// libstdc++'s operator new keeps no frame pointer: only CFI finds the
// library function that called new. usage: cxx [PER_THREAD]
#include <cstdlib>
#include <thread>
#include "cxxlib.h"

__attribute__((noipa)) static void worker(int id, long n)
{
	for (long i = 0; i < n; i++) {
		lib_leak_once(id);	// leaked: the caller drops it
		lib_keep_one(id);	// kept: reachable from the library's list
	}
	lib_touch();
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 25;
	std::thread a(worker, 0, n), b(worker, 1, n);

	a.join();
	b.join();
	return 0;
}
