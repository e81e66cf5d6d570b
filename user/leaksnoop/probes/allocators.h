/* SPDX-License-Identifier: GPL-2.0 */
/* Which allocator a process really calls. The dynamic linker binds a call
 * to the first object in its search order that defines the symbol:
 * LD_PRELOAD objects, the executable, then the libraries in load order.
 * So a server linked with jemalloc calls jemalloc's malloc although libc
 * is mapped too, and probing libc would show an empty heap.
 *
 * Split along that: alloc_plan() is the pure decision (objects in search
 * order with their symbols -> which object's which functions to probe),
 * unit tested (allocators.c); the rest reads the objects: one object's
 * symbols from its ELF file (alloc_elf.c), the objects of a process or
 * command in search order from /proc or ld.so --list (alloc_search.c). */
#ifndef LEAKSNOOP_ALLOCATORS_H
#define LEAKSNOOP_ALLOCATORS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum alloc_family { FAM_GLIBC, FAM_JEMALLOC, FAM_TCMALLOC, FAM_MIMALLOC, FAM_OTHER };

/* An object whose allocator functions are probed: what the report names. */
struct allocator_info {
	const char *family;		/* "glibc", "jemalloc", ... */
	char path[PATH_MAX];		/* as the process names it */
	int nr_funcs;			/* functions probed in it */
};

/* What a function does, and in which argument (0..2, -1: none). */
struct alloc_fn {
	const char *name;
	uint8_t kind;		/* enum ls_kind (bpf/leaksnoop.h) */
	int8_t ptr_arg, n_arg, size_arg;
	bool cxx;		/* operator new/delete: probed only where the
				 * allocator itself defines it */
};

extern const struct alloc_fn alloc_fns[];
extern const size_t nr_alloc_fns;

struct obj_sym {
	const char *name;
	size_t name_off;	/* while loading: name's offset in strings */
	uint64_t vaddr, size, file_off;
};

/* One loaded object. dyn: defined functions it exports (default version);
 * local: defined functions of the executable's .symtab (its own calls bind
 * to them even when not exported). */
struct alloc_obj {
	char path[PATH_MAX];	/* to open (through /proc/PID/root) */
	char shown[PATH_MAX];	/* as the process names it */
	bool is_exe;
	uint16_t machine;	/* e_machine: EM_X86_64, EM_AARCH64, ... */
	struct obj_sym *dyn, *local;
	size_t n_dyn, n_local;
	uint64_t plt_lo, plt_hi;	/* .plt/.plt.sec vaddr range */
	char *strings;		/* owns the symbol names */
	size_t strings_len;
};

struct plan_probe {
	size_t obj;		/* index into the objects */
	size_t fn;		/* index into alloc_fns */
	struct obj_sym sym;
};

#define PLAN_MAX_PROBES	192

struct alloc_plan {
	struct plan_probe probes[PLAN_MAX_PROBES];
	size_t n;
	bool truncated;
};

/* The pure decision. objs in the dynamic linker's search order (the
 * executable among them where it stands). */
void alloc_plan(const struct alloc_obj *objs, size_t n, struct alloc_plan *out);

/* Drops probe i (a wrapper that only jumps on to another probed function). */
void alloc_plan_drop(struct alloc_plan *p, size_t i);

/* The family of an object, from the symbols only one family defines. */
enum alloc_family alloc_family_of(const struct alloc_obj *o);
const char *alloc_family_name(enum alloc_family f);

/* ---- reading (not pure) ---------------------------------------------------- */

/* alloc_elf.c. Loads one object's symbols. 0 or -errno. */
int alloc_obj_load(struct alloc_obj *o, const char *path, const char *shown, bool is_exe);
void alloc_obj_free(struct alloc_obj *o);

/* alloc_search.c. The objects of a running process in search order: its link map (r_debug
 * through DT_DEBUG, read from /proc/PID/mem), else /proc/PID/maps with the
 * executable first. Returns the count (>= 1) or -errno; *out is malloc'd. */
int alloc_objs_of_pid(pid_t pid, struct alloc_obj **out);

/* The objects a command will load, before it runs: its interpreter's
 * --list (which runs no code of the program, and honours LD_PRELOAD and
 * LD_LIBRARY_PATH as the exec will), or the file itself when static. */
int alloc_objs_of_cmd(const char *file, struct alloc_obj **out);

void alloc_objs_free(struct alloc_obj *objs, size_t n);

/* Parses `ld.so --list` output into paths in order; pure, for tests.
 * Returns the count, paths point into a malloc'd copy *buf. */
int parse_ld_list(const char *text, char ***paths, char **buf);

/* Reads up to len code bytes of a function from its file. */
int alloc_read_code(const char *path, uint64_t file_off, uint8_t *buf, size_t len);

#endif
