// SPDX-License-Identifier: GPL-2.0
/* The files a process maps, opened as the process sees them and handed to
 * libdwfl (see symbolize.c for why not dwfl_linux_proc_report): through
 * /proc/PID/root, or /proc/PID/map_files/START-END for a deleted or replaced
 * file, with the load bias computed from the mapping; the vDSO from the
 * process's memory. Each module's symbol table and DWARF (separate
 * debuginfo by build-id or .gnu_debuglink, along the Dwfl's debuginfo path)
 * are opened at once (eager) or on first use; either way through the root
 * the caller names, which must lead to them then. */
#define _GNU_SOURCE	/* memfd_create */
#include "symbolize.h"
#include "symbolize_modules.h"

#include <errno.h>
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

/* --- opening the mapped files ---------------------------------------------- */

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

/* Opens the file mapped by v, as the process sees it. *root_path gets its
 * path under root (the process's root directory), which is also where
 * separate debuginfo is looked for (its directory's .debug/). Returns an fd
 * or -1. */
static int open_mapped_file(pid_t pid, const char *root, const struct vma *v, const char *name,
			    char *root_path, size_t size)
{
	struct stat st;
	int fd = -1;

	snprintf(root_path, size, "%s%s", root, name);
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
	char root_path[PATH_MAX], root[64];
	char *name = v->path ? module_name_of(v->path) : NULL;
	int fd;

	if (!name)
		return -1;
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	fd = open_mapped_file(pid, root, v, name, root_path, sizeof(root_path));
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

void usym_report_fd(Dwfl *dwfl, const char *name, const char *file_name, int fd,
		    const struct vma *lowest)
{
	uint64_t bias;

	if (!compute_load_bias(fd, lowest, &bias) ||
	    !dwfl_report_elf(dwfl, name, file_name, fd, bias, true))
		close(fd);
}

/* Reports the file whose lowest mapping is v. Failures only mean its frames
 * fall back to "file+0xoff", so they are not errors. */
static void report_file(Dwfl *dwfl, pid_t pid, const char *root, const struct vma *lowest)
{
	char file_name[PATH_MAX];
	char *name = module_name_of(lowest->path);
	int fd;

	if (!name)
		return;
	fd = open_mapped_file(pid, root, lowest, name, file_name, sizeof(file_name));
	if (fd >= 0)
		usym_report_fd(dwfl, name, file_name, fd, lowest);
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

static void report_vdso(Dwfl *dwfl, pid_t pid, const struct vma *v)
{
	int fd = copy_vdso_to_memfd(pid, v);

	if (fd < 0)
		return;
	/* add_p_vaddr=false: the image's first PT_LOAD sits at v->start. */
	if (!dwfl_report_elf(dwfl, "[vdso]", "[vdso]", fd, v->start, false))
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

int usym_report_end(Dwfl *dwfl, bool eager)
{
	if (dwfl_report_end(dwfl, NULL, NULL) != 0)
		return -EIO;
	if (eager)
		dwfl_getmodules(dwfl, open_module_eagerly, NULL, 0);
	return 0;
}

int usym_report_modules(Dwfl *dwfl, pid_t pid, const char *root, const struct vma_list *l,
			bool eager)
{
	const struct vma **todo;
	ssize_t n, i;

	/* Decided before dwfl_report_begin_add: already_reported() needs the
	 * address lookup, which is only consistent outside a report. */
	n = find_new_modules(dwfl, l, &todo);
	if (n < 0)
		return (int)n;
	dwfl_report_begin_add(dwfl);
	for (i = 0; i < n; i++) {
		if (is_vdso(todo[i]))
			report_vdso(dwfl, pid, todo[i]);
		else
			report_file(dwfl, pid, root, todo[i]);
	}
	free(todo);
	return usym_report_end(dwfl, eager);
}
