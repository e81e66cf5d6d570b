// The C++ library of nofp/cxx.cpp: one leak through new, one block kept.
#include <mutex>
#include <vector>
#include "../cxxlib.h"

struct Record {
	char payload[208];
};

static std::vector<Record *> kept;
static std::mutex kept_lock;
Record *volatile lib_sink;

__attribute__((noipa)) Record *lib_leak_once(int id)
{
	Record *r = new Record();	// @cxx_leak

	r->payload[0] = static_cast<char>(id);
	lib_sink = r;
	return r;
}

__attribute__((noipa)) void lib_keep_one(int id)
{
	Record *r = new Record();	// @cxx_keep

	r->payload[0] = static_cast<char>(id);
	std::lock_guard<std::mutex> g(kept_lock);
	kept.push_back(r);
}

void lib_touch()
{
	lib_sink = nullptr;
}
