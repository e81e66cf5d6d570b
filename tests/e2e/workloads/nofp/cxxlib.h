// The interface of nofp/lib/cxxlib.cpp.
#ifndef NOFP_CXXLIB_H
#define NOFP_CXXLIB_H
struct Record;
Record *lib_leak_once(int id);
void lib_keep_one(int id);
void lib_touch();
#endif
