// SPDX-License-Identifier: GPL-2.0
/* User-space symbolization with elfutils' libdwfl.
 *
 * We don't use dwfl_linux_proc_report + dwfl_linux_proc_find_elf: that pair
 * opens the path printed in /proc/PID/maps in OUR mount namespace, which is
 * the wrong file (or none) for a process in a container, and fails for
 * deleted files. Instead each mapped ELF file is opened here, through
 * /proc/PID/root, or /proc/PID/map_files/START-END when the file was deleted
 * or replaced, and handed to dwfl_report_elf with the load bias computed from
 * the mapping. Every module's ELF, symbol table and DWARF are opened at
 * snapshot time, so the process may exit before we resolve. */
#define _GNU_SOURCE	/* memfd_create */
#include "symbolize.h"
#include "intmap.h"
#include "procfs.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <libiberty/demangle.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DELETED_SUFFIX " (deleted)"

struct usym_snapshot {
	pid_t pid;
	Dwfl *dwfl;
	Dwfl_Callbacks callbacks;	/* Dwfl keeps a pointer to it */
	char *debuginfo_path;		/* callbacks.debuginfo_path points here */
	/* Every distinct maps listing seen, newest last: addresses in files
	 * Dwfl doesn't hold (not ELF, unreadable) are still named from these,
	 * and the names stay valid until the snapshot is freed. */
	struct vma_list *maps;
	size_t n_maps;
	/* Symbol name as Dwfl gives it -> our copy without "@@VERSION",
	 * demangled (see display_name). */
	struct intmap names;
};

/* --- opening the mapped files ---------------------------------------------- */

/* Every module is reported with its ELF already open, so libdwfl never asks;
 * if it does, refuse rather than open a path in the wrong namespace. */
static int refuse_find_elf(Dwfl_Module *mod, void **userdata, const char *name,
			   Dwarf_Addr base, char **file_name, Elf **elfp)
{
	(void)mod, (void)userdata, (void)name, (void)base;
	*file_name = NULL;
	*elfp = NULL;
	return -1;
}

static bool has_deleted_suffix(const char *path)
{
	size_t len = strlen(path), slen = strlen(DELETED_SUFFIX);

	return len > slen && strcmp(path + len - slen, DELETED_SUFFIX) == 0;
}

/* The path as the process named it, without the kernel's " (deleted)". */
static char *module_name_of(const char *path)
{
	size_t len = strlen(path);

	if (has_deleted_suffix(path))
		len -= strlen(DELETED_SUFFIX);
	return strndup(path, len);
}

/* Opens a regular file only: mappings of devices could block or have side
 * effects on open and are never ELF files anyway. */
static int open_regular_file(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The file behind /proc/PID/map_files/START-END is exactly the one mapped,
 * deleted or not, in whatever namespace. It needs CAP_SYS_ADMIN. */
static int open_map_file(pid_t pid, const struct vma *v)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)pid, v->start, v->end);
	return open_regular_file(path, &st);
}

/* Opens the file mapped by v, as the process sees it. *root_path gets the
 * /proc/PID/root path, which is also where separate debuginfo is looked for
 * (its directory's .debug/). Returns an fd or -1. */
static int open_mapped_file(pid_t pid, const struct vma *v, const char *name,
			    char *root_path, size_t size)
{
	struct stat st;
	int fd = -1;

	snprintf(root_path, size, "/proc/%d/root%s", (int)pid, name);
	if (!has_deleted_suffix(v->path)) {
		fd = open_regular_file(root_path, &st);
		/* A different inode: the path now names another file than the
		 * one mapped (something mounted over it since, or a chroot in
		 * our namespace, whose maps paths are printed from OUR root). */
		if (fd >= 0 && st.st_ino == v->inode)
			return fd;
	}
	if (fd >= 0) {
		int exact = open_map_file(pid, v);

		if (exact < 0)
			return fd;	/* better a likely match than nothing */
		close(fd);
		return exact;
	}
	return open_map_file(pid, v);
}

int usym_open_mapped_file(pid_t pid, const struct vma *v)
{
	char root_path[PATH_MAX];
	char *name = v->path ? module_name_of(v->path) : NULL;
	int fd;

	if (!name)
		return -1;
	fd = open_mapped_file(pid, v, name, root_path, sizeof(root_path));
	free(name);
	return fd;
}

/* --- load bias ----------------------------------------------------------------- */

/* ld.so maps each PT_LOAD at bias + page_down(p_vaddr) from file offset
 * page_down(p_offset). Finding the segment the lowest mapping came from gives
 * the bias, right for PIE executables, shared libraries and ET_EXEC alike
 * (where it comes out as 0). */
static bool load_bias_from_elf(Elf *elf, const struct vma *lowest, uint64_t *bias)
{
	uint64_t page_mask = ~((uint64_t)sysconf(_SC_PAGESIZE) - 1);
	size_t phnum, i;

	if (elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &phnum) != 0)
		return false;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr mem, *ph = gelf_getphdr(elf, (int)i, &mem);

		if (!ph || ph->p_type != PT_LOAD)
			continue;
		if ((ph->p_offset & page_mask) == lowest->offset) {
			*bias = lowest->start - (ph->p_vaddr & page_mask);
			return true;
		}
	}
	return false;
}

static bool compute_load_bias(int fd, const struct vma *lowest, uint64_t *bias)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	bool ok;

	if (!elf)
		return false;
	ok = load_bias_from_elf(elf, lowest, bias);
	elf_end(elf);
	return ok;
}

/* --- reporting modules ------------------------------------------------------- */

/* The run of VMAs starting at i that map the same file. */
static size_t file_group_end(const struct vma_list *l, size_t i)
{
	const struct vma *first = &l->v[i];
	size_t j;

	for (j = i + 1; j < l->n; j++) {
		const struct vma *v = &l->v[j];

		if (v->kind != VMA_FILE || v->inode != first->inode ||
		    v->dev_major != first->dev_major ||
		    v->dev_minor != first->dev_minor ||
		    strcmp(v->path, first->path) != 0)
			break;
	}
	return j;
}

static bool group_has_code(const struct vma_list *l, size_t from, size_t to)
{
	for (; from < to; from++)
		if (l->v[from].exec)
			return true;
	return false;
}

/* True if Dwfl already has this file at this address (from an earlier
 * take/refresh): reporting it again would make a second, overlapping module. */
static bool already_reported(Dwfl *dwfl, uint64_t addr, const char *name)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	const char *have;

	if (!mod)
		return false;
	have = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	return have && strcmp(have, name) == 0;
}

/* Hands the open ELF file fd, whose lowest mapping is lowest, to Dwfl. On
 * success Dwfl owns fd and closes it in dwfl_end; otherwise it is closed. */
static void report_fd(struct usym_snapshot *s, const char *name,
		      const char *file_name, int fd, const struct vma *lowest)
{
	uint64_t bias;

	if (!compute_load_bias(fd, lowest, &bias) ||
	    !dwfl_report_elf(s->dwfl, name, file_name, fd, bias, true))
		close(fd);
}

/* Reports the file whose lowest mapping is v. Failures only mean its frames
 * fall back to "file+0xoff", so they are not errors. */
static void report_file(struct usym_snapshot *s, const struct vma *lowest)
{
	char file_name[PATH_MAX];
	char *name = module_name_of(lowest->path);
	int fd;

	if (!name)
		return;
	fd = open_mapped_file(s->pid, lowest, name, file_name, sizeof(file_name));
	if (fd >= 0)
		report_fd(s, name, file_name, fd, lowest);
	free(name);
}

/* A vDSO is a few pages; anything bigger is not one. */
#define VDSO_MAX_SIZE (1u << 20)

/* Copies the process's vDSO image into a memfd: it exists only in memory,
 * and Dwfl wants a file descriptor. Returns the fd or -1. */
static int copy_vdso_to_memfd(pid_t pid, const struct vma *v)
{
	size_t len = (size_t)(v->end - v->start);
	char mem_path[64];
	char *image = NULL;
	int mem_fd = -1, memfd = -1;

	if (len == 0 || len > VDSO_MAX_SIZE || !(image = malloc(len)))
		goto out;
	snprintf(mem_path, sizeof(mem_path), "/proc/%d/mem", (int)pid);
	mem_fd = open(mem_path, O_RDONLY | O_CLOEXEC);
	if (mem_fd < 0 || pread(mem_fd, image, len, (off_t)v->start) != (ssize_t)len)
		goto out;
	memfd = memfd_create("vdso", MFD_CLOEXEC);
	if (memfd >= 0 && write(memfd, image, len) != (ssize_t)len) {
		close(memfd);
		memfd = -1;
	}
out:
	if (mem_fd >= 0)
		close(mem_fd);
	free(image);
	return memfd;
}

static void report_vdso(struct usym_snapshot *s, const struct vma *v)
{
	int fd = copy_vdso_to_memfd(s->pid, v);

	if (fd < 0)
		return;
	/* add_p_vaddr=false: the image's first PT_LOAD sits at v->start. */
	if (!dwfl_report_elf(s->dwfl, "[vdso]", "[vdso]", fd, v->start, false))
		close(fd);
}

static bool is_vdso(const struct vma *v)
{
	return v->kind == VMA_SPECIAL && v->path && strcmp(v->path, "[vdso]") == 0;
}

/* True if the file group starting at i holds code and isn't in Dwfl yet.
 * Data-only files (locale archives, fonts) are skipped. */
static bool file_group_is_new_code(Dwfl *dwfl, const struct vma_list *l,
				   size_t i, size_t end)
{
	char *name;
	bool is_new;

	if (!group_has_code(l, i, end))
		return false;
	name = module_name_of(l->v[i].path);
	if (!name)
		return false;
	is_new = !already_reported(dwfl, l->v[i].start, name);
	free(name);
	return is_new;
}

/* Lists (in *out, malloc'd) the VMAs to report: the lowest mapping of every
 * new ELF file with code, and a new vDSO. Returns the count or -ENOMEM. */
static ssize_t find_new_modules(Dwfl *dwfl, const struct vma_list *l,
				const struct vma ***out)
{
	const struct vma **todo = calloc(l->n ? l->n : 1, sizeof(const struct vma *));
	size_t i = 0, n = 0;

	if (!todo)
		return -ENOMEM;
	while (i < l->n) {
		const struct vma *v = &l->v[i];
		size_t end = i + 1;

		if (is_vdso(v) && !already_reported(dwfl, v->start, "[vdso]"))
			todo[n++] = v;
		if (v->kind == VMA_FILE) {
			end = file_group_end(l, i);
			if (file_group_is_new_code(dwfl, l, i, end))
				todo[n++] = v;
		}
		i = end;
	}
	*out = todo;
	return (ssize_t)n;
}

/* Opens symbol tables and DWARF (separate debuginfo included) now, while
 * /proc/PID/root still leads to them. */
static int open_module_eagerly(Dwfl_Module *mod, void **userdata,
			       const char *name, Dwarf_Addr start, void *arg)
{
	Dwarf_Addr bias;

	(void)userdata, (void)name, (void)start, (void)arg;
	if (dwfl_module_getelf(mod, &bias)) {
		dwfl_module_getsymtab(mod);
		dwfl_module_getdwarf(mod, &bias);
	}
	return DWARF_CB_OK;
}

/* Closes a dwfl_report_begin_add and opens what was added. */
static int end_report(struct usym_snapshot *s)
{
	if (dwfl_report_end(s->dwfl, NULL, NULL) != 0)
		return -EIO;
	dwfl_getmodules(s->dwfl, open_module_eagerly, NULL, 0);
	return 0;
}

/* Reports what's new in l, keeping every module reported before. */
static int report_modules(struct usym_snapshot *s, const struct vma_list *l)
{
	const struct vma **todo;
	ssize_t n, i;

	/* Decided before dwfl_report_begin_add: already_reported() needs the
	 * address lookup, which is only consistent outside a report. */
	n = find_new_modules(s->dwfl, l, &todo);
	if (n < 0)
		return (int)n;
	dwfl_report_begin_add(s->dwfl);
	for (i = 0; i < n; i++) {
		if (is_vdso(todo[i]))
			report_vdso(s, todo[i]);
		else
			report_file(s, todo[i]);
	}
	free(todo);
	return end_report(s);
}

/* --- maps generations ------------------------------------------------------ */

static bool same_maps(const struct vma_list *a, const struct vma_list *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct vma *x = &a->v[i], *y = &b->v[i];

		if (x->start != y->start || x->end != y->end ||
		    x->offset != y->offset || x->inode != y->inode ||
		    !x->path != !y->path || (x->path && strcmp(x->path, y->path) != 0))
			return false;
	}
	return true;
}

/* Keeps l (taking ownership) unless it equals the newest listing. */
static int keep_maps(struct usym_snapshot *s, struct vma_list *l)
{
	struct vma_list *grown;

	if (s->n_maps && same_maps(&s->maps[s->n_maps - 1], l)) {
		vma_list_free(l);
		return 0;
	}
	grown = realloc(s->maps, (s->n_maps + 1) * sizeof(*grown));
	if (!grown) {
		vma_list_free(l);
		return -ENOMEM;
	}
	s->maps = grown;
	s->maps[s->n_maps++] = *l;
	return 0;
}

/* --- snapshots --------------------------------------------------------------- */

/* Separate debuginfo: next to the file (".debug/", via its /proc/PID/root
 * path), then the process's own /usr/lib/debug, then ours (build-ids make a
 * host copy safe to use). */
static char *make_debuginfo_path(pid_t pid)
{
	char *path;

	if (asprintf(&path, ":.debug:/proc/%d/root/usr/lib/debug:/usr/lib/debug",
		     (int)pid) < 0)
		return NULL;
	return path;
}

static struct usym_snapshot *snapshot_alloc(pid_t pid)
{
	struct usym_snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pid = pid;
	intmap_init(&s->names);
	s->debuginfo_path = make_debuginfo_path(pid);
	if (!s->debuginfo_path) {
		free(s);
		return NULL;
	}
	s->callbacks.find_elf = refuse_find_elf;
	s->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
	s->callbacks.section_address = dwfl_offline_section_address;
	s->callbacks.debuginfo_path = &s->debuginfo_path;
	elf_version(EV_CURRENT);
	s->dwfl = dwfl_begin(&s->callbacks);
	if (!s->dwfl) {
		free(s->debuginfo_path);
		free(s);
		return NULL;
	}
	return s;
}

struct usym_snapshot *usym_snapshot_take(pid_t pid)
{
	struct usym_snapshot *s;
	int err;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	s = snapshot_alloc(pid);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	err = usym_snapshot_refresh(s);
	if (err) {
		usym_snapshot_free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

int usym_snapshot_refresh(struct usym_snapshot *s)
{
	struct vma_list l = { 0 };
	int err;

	if (!s)
		return -EINVAL;
	err = procfs_read_pid_maps(s->pid, &l);
	if (err)
		return err;
	/* An empty listing is a zombie or a kernel thread: nothing to map. */
	if (l.n == 0) {
		vma_list_free(&l);
		return -ESRCH;
	}
	err = report_modules(s, &l);
	if (err) {
		vma_list_free(&l);
		return err;
	}
	return keep_maps(s, &l);
}

static void free_display_names(struct intmap *m)
{
	uint64_t key;
	void *name;
	size_t pos;

	for (pos = 0; intmap_next(m, &pos, &key, &name);)
		free(name);
	intmap_free(m);
}

void usym_snapshot_free(struct usym_snapshot *s)
{
	size_t i;

	if (!s)
		return;
	dwfl_end(s->dwfl);
	free_display_names(&s->names);
	for (i = 0; i < s->n_maps; i++)
		vma_list_free(&s->maps[i]);
	free(s->maps);
	free(s->debuginfo_path);
	free(s);
}

/* --- resolving --------------------------------------------------------------- */

static void resolve_line(Dwfl_Module *mod, uint64_t addr, struct usym *out)
{
	Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
	const char *file;
	int lineno = 0;

	if (!line)
		return;
	file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (file && lineno > 0) {
		out->file = file;
		out->line = lineno;
	}
}

char *usym_demangle(const char *name)
{
	/* DMGL_AUTO: Rust (legacy and v0) first, then the C++ ABI; "main"
	 * and other C names come back NULL */
	if (!name || (name[0] != '_' || (name[1] != 'Z' && name[1] != 'R')))
		return NULL;
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}

/* The name a frame shows for a symbol as Dwfl or libdw gives it: demangled
 * ("operator new(unsigned long)" for _Znwm), and without the symbol version
 * a .symtab built with versioning has (libc's separate debuginfo names
 * functions "clock_gettime@@GLIBC_2.17": where the code is doesn't depend on
 * it). One copy per name per snapshot, so it lives as long as Dwfl's; if one
 * can't be made, the raw name will do. */
static const char *display_name(struct usym_snapshot *s, const char *name)
{
	const char *at = strchr(name, '@');
	char *copy, *plain;

	copy = intmap_get(&s->names, (uint64_t)(uintptr_t)name);
	if (copy)
		return copy;
	plain = at && at != name ? strndup(name, (size_t)(at - name)) : NULL;
	copy = usym_demangle(plain ? plain : name);
	if (copy)
		free(plain);
	else
		copy = plain;
	if (!copy)
		return name;	/* nothing to change (or no memory) */
	if (intmap_put(&s->names, (uint64_t)(uintptr_t)name, copy) < 0) {
		free(copy);
		return name;
	}
	return copy;
}

static void resolve_in_module(struct usym_snapshot *s, Dwfl_Module *mod,
			      uint64_t addr, struct usym *out)
{
	Dwarf_Addr low = 0, bias = 0;
	GElf_Off offset = 0;
	GElf_Sym sym;
	const char *func;

	out->module = dwfl_module_info(mod, NULL, &low, NULL, NULL, NULL, NULL, NULL);
	/* addr - bias is the address in the file's own terms, the one
	 * addr2line -e takes; for PIE and .so it is the offset from the load
	 * address of the file's start. */
	if (!dwfl_module_getelf(mod, &bias))
		bias = low;
	out->module_offset = addr - bias;
	func = dwfl_module_addrinfo(mod, addr, &offset, &sym, NULL, NULL, NULL);
	if (func && *func) {
		out->func = display_name(s, func);
		out->func_offset = offset;
	}
	resolve_line(mod, addr, out);
}

/* The newest mapping that covers addr, NULL if none. */
static const struct vma *vma_at(const struct usym_snapshot *s, uint64_t addr)
{
	for (size_t i = s->n_maps; i-- > 0;) {
		const struct vma *v = vma_list_find(&s->maps[i], addr);

		if (v)
			return v;
	}
	return NULL;
}

/* For mappings Dwfl doesn't hold: the file (or [label]) and the offset. */
static int resolve_in_maps(const struct usym_snapshot *s, uint64_t addr,
			   struct usym *out)
{
	const struct vma *v = vma_at(s, addr);

	if (!v || (v->kind != VMA_FILE && v->kind != VMA_SPECIAL))
		return -ENOENT;	/* heap, stack, anonymous: no module */
	out->module = v->path;
	out->module_offset = addr - v->start + (v->kind == VMA_FILE ? v->offset : 0);
	return 0;
}

int usym_resolve(struct usym_snapshot *s, uint64_t addr, struct usym *out)
{
	Dwfl_Module *mod;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EINVAL;
	mod = dwfl_addrmodule(s->dwfl, addr);
	if (mod) {
		resolve_in_module(s, mod, addr, out);
		if (out->module)
			return 0;
	}
	return resolve_in_maps(s, addr, out);
}

static void build_id_hex(Dwfl_Module *mod, char *buf, size_t size)
{
	const unsigned char *bits = NULL;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);

	buf[0] = '\0';
	for (size_t i = 0; n > 0 && i < (size_t)n && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, size - 2 * i, "%02x", bits[i]);
}

int usym_module_of(struct usym_snapshot *s, uint64_t addr, struct usym_module *out)
{
	Dwfl_Module *mod;
	const struct vma *v;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EINVAL;
	mod = dwfl_addrmodule(s->dwfl, addr);
	if (mod) {
		Dwarf_Addr low = 0, high = 0;

		out->path = dwfl_module_info(mod, NULL, &low, &high, NULL, NULL, NULL, NULL);
		out->start = low;
		out->limit = high;
		v = vma_at(s, low);
		out->file_offset = v && v->kind == VMA_FILE ? v->offset : 0;
		build_id_hex(mod, out->build_id, sizeof(out->build_id));
		if (out->path)
			return 0;
	}
	v = vma_at(s, addr);	/* a file Dwfl doesn't hold: the one mapping */
	if (!v || (v->kind != VMA_FILE && v->kind != VMA_SPECIAL))
		return -ENOENT;
	out->path = v->path;
	out->start = v->start;
	out->limit = v->end;
	out->file_offset = v->kind == VMA_FILE ? v->offset : 0;
	return 0;
}

/* --- inlined frames --------------------------------------------------------------- */

/* A DIE's name for a frame: its linkage name demangled (valgrind shows
 * "ns::f(int)"), else DW_AT_name; both followed through abstract_origin. */
static const char *die_function_name(struct usym_snapshot *s, Dwarf_Die *die)
{
	Dwarf_Attribute mem;
	Dwarf_Attribute *a = dwarf_attr_integrate(die, DW_AT_linkage_name, &mem);
	const char *name;

	if (!a)
		a = dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &mem);
	name = a ? dwarf_formstring(a) : NULL;
	if (!name)
		name = dwarf_diename(die);
	return name ? display_name(s, name) : NULL;
}

/* Where an inlined call was made: DW_AT_call_file (an index into the CU's
 * file table) and DW_AT_call_line. */
static void call_site_of(Dwarf_Die *inlined, Dwarf_Die *cu, struct usym *out)
{
	Dwarf_Attribute mem;
	Dwarf_Word file_idx = 0, line = 0;
	Dwarf_Files *files;
	size_t nfiles;
	const char *file;

	out->file = NULL;
	out->line = 0;
	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &mem), &file_idx) != 0 ||
	    dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &mem), &line) != 0 ||
	    dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || file_idx >= nfiles)
		return;
	file = dwarf_filesrc(files, file_idx, NULL, NULL);
	if (file && line > 0 && line <= INT_MAX) {
		out->file = file;
		out->line = (int)line;
	}
}

/* The DIEs containing addr in the concrete tree, innermost first.
 * dwarf_getscopes alone stops at the first inlined_subroutine (it goes on
 * with its abstract origin's scopes); dwarf_getscopes_die on the innermost
 * DIE walks its real parents: every inlined level, then the subprogram
 * (what eu-addr2line -i does). */
static int concrete_scopes(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die **out)
{
	Dwarf_Die *scopes = NULL, innermost;
	int n = dwarf_getscopes(cu, pc, &scopes);

	*out = NULL;
	if (n <= 0) {
		free(scopes);
		return 0;
	}
	innermost = scopes[0];
	free(scopes);
	n = dwarf_getscopes_die(&innermost, out);
	return n > 0 ? n : 0;
}

/* Splits out[0] (the function and the line at addr) into the chain of
 * functions inlined at addr, innermost first, up to max frames; returns
 * the frame count. */
static int expand_inlined(struct usym_snapshot *s, Dwfl_Module *mod, uint64_t addr,
			  struct usym *out, int max)
{
	struct usym outer = out[0];
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	Dwarf_Die *scopes = NULL;
	int nscopes = cu ? concrete_scopes(cu, addr - bias, &scopes) : 0;
	int n = 0;

	for (int i = 0; i < nscopes && n < max; i++) {
		const char *name;

		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		name = die_function_name(s, &scopes[i]);
		if (!name)
			break;	/* nameless: keep the frames we have */
		out[n].func = name;
		out[n].func_offset = 0;
		out[n].inlined = true;
		if (++n == max)
			break;
		out[n] = outer;
		call_site_of(&scopes[i], cu, &out[n]);
	}
	free(scopes);
	return n < max ? n + 1 : n;
}

int usym_resolve_frames(struct usym_snapshot *s, uint64_t addr, struct usym *out, int max)
{
	Dwfl_Module *mod;
	int err;

	if (max < 1)
		return -EINVAL;
	err = usym_resolve(s, addr, &out[0]);
	if (err)
		return err;
	mod = dwfl_addrmodule(s->dwfl, addr);
	return mod ? expand_inlined(s, mod, addr, out, max) : 1;
}

bool usym_is_code(const struct usym_snapshot *s, uint64_t addr)
{
	/* the newest listing that has addr decides (a library unmapped
	 * since still counts: the frame was taken while it was there) */
	for (size_t i = s ? s->n_maps : 0; i-- > 0;) {
		const struct vma *v = vma_list_find(&s->maps[i], addr);

		if (v)
			return v->exec;
	}
	return false;
}

/* --- one file, for fuzzing ---------------------------------------------------- */

/* Where usym_resolve_in_file pretends the file's first page is mapped. */
#define FILE_MAP_BASE 0x400000ULL

/* A snapshot that holds only fd's file, reported as if mapped at
 * FILE_MAP_BASE from offset 0: the load bias, ELF, symbol table and DWARF
 * all go through the code a live snapshot uses, so a corrupt file exercises
 * exactly what a hostile process's mapped file would. */
int usym_resolve_in_file(int fd, uint64_t addr, char *buf, size_t size)
{
	const struct vma lowest = { .start = FILE_MAP_BASE, .end = FILE_MAP_BASE + 1,
				    .exec = true, .kind = VMA_FILE };
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);	/* Dwfl closes its fd */
	struct usym_snapshot *s;
	struct usym sym;
	int err;

	if (own < 0)
		return -errno;
	s = snapshot_alloc(0);	/* pid 0: no process, only the debuginfo path */
	if (!s) {
		close(own);
		return -ENOMEM;
	}
	dwfl_report_begin_add(s->dwfl);
	report_fd(s, "[file]", "[file]", own, &lowest);
	err = end_report(s);
	if (!err)
		err = usym_resolve(s, addr, &sym);
	if (!err)
		usym_format(&sym, addr, buf, size);
	usym_snapshot_free(s);
	return err;
}

/* --- formatting -------------------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

char *usym_format(const struct usym *sym, uint64_t addr, char *buf, size_t size)
{
	const char *module;

	if (!buf || size == 0)
		return buf;
	if (!sym || (!sym->module && !sym->func)) {
		snprintf(buf, size, "0x%" PRIx64, addr);
		return buf;
	}
	module = sym->module ? base_name(sym->module) : "?";
	if (sym->func && sym->file)
		snprintf(buf, size, "%s (%s:%d)", sym->func, base_name(sym->file),
			 sym->line);
	else if (sym->func && sym->func_offset)
		snprintf(buf, size, "%s+0x%" PRIx64 " (%s)", sym->func,
			 sym->func_offset, module);
	else if (sym->func)
		snprintf(buf, size, "%s (%s)", sym->func, module);
	else if (sym->file)	/* line info but no symbol: keep both */
		snprintf(buf, size, "%s+0x%" PRIx64 " (%s:%d)", module,
			 sym->module_offset, base_name(sym->file), sym->line);
	else
		snprintf(buf, size, "%s+0x%" PRIx64, module, sym->module_offset);
	return buf;
}
