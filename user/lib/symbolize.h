/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stack symbolization with elfutils' libdw: function and
 * file:LINE per frame, right for PIE executables and shared libraries,
 * reading files through /proc/PID/root so processes in containers work.
 *
 * A snapshot is taken while the process is alive (its mappings, and the
 * ELF files opened), so a process that exits before the report is still
 * symbolized. */
#ifndef MMSCOPE_SYMBOLIZE_H
#define MMSCOPE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct usym_snapshot;
struct vma;

/* Opens the file behind one mapping of pid as the process sees it (through
 * /proc/PID/root, or /proc/PID/map_files for a deleted or replaced file).
 * Returns an fd (the caller closes it) or -1. */
int usym_open_mapped_file(pid_t pid, const struct vma *v);

/* Reads /proc/PID/maps and opens every mapped ELF file now, with its
 * symbol table and DWARF. NULL and errno set when the process is gone. */
struct usym_snapshot *usym_snapshot_take(pid_t pid);
/* The same, but the symbol tables and DWARF (libc's alone: ~55 ms of
 * decompressing here) are opened when first resolved in, through an fd on
 * the process's root that stays valid after it is gone: for a report that
 * follows at once (a debuginfo file replaced in between is not seen). Only
 * for a process in our mount namespace, whose mounts outlive it; else the
 * same as usym_snapshot_take. */
struct usym_snapshot *usym_snapshot_take_lazy(pid_t pid);
/* Picks up mappings added since (dlopen); keeps what was there. 0 or -errno. */
int usym_snapshot_refresh(struct usym_snapshot *s);
void usym_snapshot_free(struct usym_snapshot *s);

struct usym {
	const char *module;	/* path of the mapped file, or NULL */
	uint64_t module_offset;	/* addr's offset in that file's mapping (for module+0xoff) */
	const char *func;	/* NULL when no symbol covers addr */
	uint64_t func_offset;
	const char *file;	/* source file, NULL without DWARF line info */
	int line;
	bool inlined;		/* a function inlined into the next frame's */
	bool jit;		/* in anonymous executable memory (code a JIT made):
				 * func from the JIT's perf map, NULL without one */
};

/* Resolves one address. Returns 0 when at least the module is known (or
 * addr is JIT code: jit set, named from /tmp/perf-PID.map under the
 * process's root when there is one), -ENOENT when addr is in no mapping. Strings stay valid until the snapshot is
 * freed. For return addresses of stack frames (all but the first), pass
 * addr - 1 so the line is the call's, not the next statement's. */
int usym_resolve(struct usym_snapshot *s, uint64_t addr, struct usym *out);

/* The mapped file an address is in, as profile formats describe it (pprof's
 * Mapping): its address range in the process, the file offset mapped at
 * start, its path and its GNU build id in hex ("" when it has none). */
struct usym_module {
	uint64_t start, limit, file_offset;
	const char *path;	/* valid until the snapshot is freed */
	char build_id[2 * 64 + 1];
};

/* 0, or -ENOENT when addr is in no file mapping (heap, stack, anonymous). */
int usym_module_of(struct usym_snapshot *s, uint64_t addr, struct usym_module *out);

/* Resolves one address into its frames, valgrind's way: with debug info,
 * first the functions inlined at addr (innermost first, each with the line
 * in it), then the function the code belongs to, with the line of the
 * outermost inlined call. With more levels than max, the outermost inlined
 * ones are left out, never the function itself (max 1: the function alone).
 * Names are demangled (C++, Rust). Returns the
 * number of frames written (at least 1, at most max), or -ENOENT when addr
 * is in no mapping. */
int usym_resolve_frames(struct usym_snapshot *s, uint64_t addr, struct usym *out, int max);

/* True if addr is inside an executable mapping of the process: a return
 * address anywhere else is not code, and ends a stack. */
bool usym_is_code(const struct usym_snapshot *s, uint64_t addr);

/* The demangled form of a C++ or Rust symbol (libiberty, as binutils and
 * valgrind do), malloc'd; NULL when name isn't mangled. */
char *usym_demangle(const char *name);

/* Resolves addr in the one ELF file open at fd (the caller keeps fd), as
 * if the file's first page were mapped at 0x400000, and formats the result
 * into buf as usym_format does. 0, -ENOENT (addr not in the file: buf
 * untouched) or -errno. For fuzzing the ELF and DWARF handling. */
int usym_resolve_in_file(int fd, uint64_t addr, char *buf, size_t size);

/* "func (file.c:LINE)", "func+0x1a (libfoo.so)", "libfoo.so+0x1234", JIT
 * code as "[JIT] name+0x1a" (from its perf map) or "[JIT] 0x7f...", or
 * "0x7f..." — a frame never vanishes. Returns buf. */
char *usym_format(const struct usym *sym, uint64_t addr, char *buf, size_t size);

/* Kernel symbols from /proc/kallsyms. */
struct ksyms;

struct ksyms *ksyms_load(void);				/* NULL and errno on failure */
struct ksyms *ksyms_parse(const char *text);		/* for tests and fuzzing */
void ksyms_free(struct ksyms *k);
/* The symbol at or below addr, NULL if none; *offset gets addr - its start. */
const char *ksyms_resolve(const struct ksyms *k, uint64_t addr, uint64_t *offset);
/* The address of a symbol by name, 0 if absent. */
uint64_t ksyms_address(const struct ksyms *k, const char *name);

#endif
