// SPDX-License-Identifier: GPL-2.0
/* The objects a process calls into, in the dynamic linker's search order:
 * a running process's link map (else its maps), or what a command will
 * load before it runs (its interpreter's --list). Each object's symbols
 * are read by alloc_obj_load (alloc_elf.c). */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "allocators.h"
#include "fdio.h"
#include "procfs.h"
#include "vec.h"

/* ---- a list of paths -> objects ----------------------------------------------------- */

struct objlist {
	struct alloc_obj *v;
	size_t n, cap;
};

/* Adds an object once (a path seen twice is one object). Objects that are
 * not ELF or cannot be read are skipped: they cannot be probed anyway. */
static int objlist_add(struct objlist *l, const char *path, const char *shown, bool is_exe)
{
	struct alloc_obj *nv;

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].shown, shown))
			return 0;
	nv = vec_reserve(l->v, &l->cap, l->n, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	l->v = nv;
	if (alloc_obj_load(&l->v[l->n], path, shown, is_exe) == 0)
		l->n++;
	return 0;
}

static int objlist_done(struct objlist *l, struct alloc_obj **out)
{
	if (!l->n) {
		free(l->v);
		return -ENOENT;
	}
	*out = l->v;
	return (int)l->n;
}

/* ---- a running process: link map, else maps ---------------------------------------- */

static int read_mem(int fd, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len, (off_t)addr);

	return n == (ssize_t)len ? 0 : -EIO;
}

/* The r_debug address from the executable's DT_DEBUG, in memory. */
static uint64_t find_r_debug(pid_t pid, int mem)
{
	char path[64];
	Elf64_auxv_t aux[64];
	uint64_t phdr = 0, phnum = 0, bias = 0, dyn = 0, dynsz = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, aux, sizeof(aux));
	close(fd);
	for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(aux[0]); i++) {
		if (aux[i].a_type == AT_PHDR)
			phdr = aux[i].a_un.a_val;
		else if (aux[i].a_type == AT_PHNUM)
			phnum = aux[i].a_un.a_val;
	}
	if (!phdr || !phnum || phnum > 64)
		return 0;
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;

		if (read_mem(mem, phdr + i * sizeof(ph), &ph, sizeof(ph)))
			return 0;
		if (ph.p_type == PT_PHDR)
			bias = phdr - ph.p_vaddr;
		else if (ph.p_type == PT_DYNAMIC) {
			dyn = ph.p_vaddr;
			dynsz = ph.p_memsz;
		}
	}
	if (!dyn)
		return 0;	/* static: no dynamic linker, no link map */
	for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= dynsz && off < (uint64_t)64 * 1024; off += sizeof(Elf64_Dyn)) {
		Elf64_Dyn d;

		if (read_mem(mem, bias + dyn + off, &d, sizeof(d)) || d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_DEBUG)
			return d.d_un.d_ptr;
	}
	return 0;
}

static int exe_entry(pid_t pid, struct objlist *l)
{
	char exe[64], shown[PATH_MAX];
	ssize_t n;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	n = readlink(exe, shown, sizeof(shown) - 1);
	shown[n > 0 ? n : 0] = 0;
	return objlist_add(l, exe, n > 0 ? shown : exe, true);
}

static int add_mapped(pid_t pid, struct objlist *l, const char *name)
{
	char path[PATH_MAX];

	if (name[0] != '/')
		return 0;	/* the vdso, or the main program's empty name */
	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, name);
	return objlist_add(l, path, name, false);
}

#define MAX_LINK_MAPS 4096

/* struct link_map's first fields are ABI: l_addr, l_name, l_ld, l_next */
static int walk_link_map(pid_t pid, int mem, uint64_t r_debug, struct objlist *l)
{
	uint64_t rd[2];	/* struct r_debug: int r_version; struct link_map *r_map */
	uint64_t lm;
	int n = 0;

	if (read_mem(mem, r_debug, rd, sizeof(rd)) || !rd[1])
		return -ENOENT;
	for (lm = rd[1]; lm && n < MAX_LINK_MAPS; n++) {
		uint64_t f[4];
		char name[PATH_MAX];
		ssize_t got;

		if (read_mem(mem, lm, f, sizeof(f)))
			return -EIO;
		name[0] = 0;
		got = f[1] ? pread(mem, name, sizeof(name) - 1, (off_t)f[1]) : 0;
		name[got > 0 ? got : 0] = 0;
		name[strnlen(name, sizeof(name) - 1)] = 0;
		if (add_mapped(pid, l, name))
			return -ENOMEM;
		lm = f[3];
	}
	return 0;
}

/* Fallback order: mapped objects by descending address, the way ld.so's
 * top-down mmaps lay them out in load order. */
static int add_from_maps(pid_t pid, struct objlist *l)
{
	struct vma_list maps = { 0 };
	int err = procfs_read_pid_maps(pid, &maps);

	if (err)
		return err;
	for (size_t i = maps.n; i-- > 0;) {
		if (maps.v[i].path && maps.v[i].exec && (err = add_mapped(pid, l, maps.v[i].path)))
			break;
	}
	vma_list_free(&maps);
	return err;
}

int alloc_objs_of_pid(pid_t pid, struct alloc_obj **out)
{
	struct objlist l = { 0 };
	char path[64];
	uint64_t r_debug = 0;
	int mem, err;

	if ((err = exe_entry(pid, &l)))
		goto fail;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (mem >= 0) {
		r_debug = find_r_debug(pid, mem);
		err = r_debug ? walk_link_map(pid, mem, r_debug, &l) : -ENOENT;
		close(mem);
	}
	if (mem < 0 || err)
		err = add_from_maps(pid, &l);
	if (err == -ENOMEM)
		goto fail;
	return objlist_done(&l, out);
fail:
	alloc_objs_free(l.v, l.n);
	return err;
}

/* ---- a command before it runs: ld.so --list ------------------------------------------ */

int parse_ld_list(const char *text, char ***paths, char **buf)
{
	char *copy = strdup(text), *line, *save = NULL;
	char **v = NULL;
	size_t cap = 0;
	int n = 0;

	*paths = NULL;
	*buf = copy;
	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, "=> "), *end;
		char **nv;

		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/')
			continue;	/* "not found", the vdso, statically linked */
		end = strstr(p, " (0x");
		if (end)
			*end = 0;
		nv = vec_reserve(v, &cap, (size_t)n, sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = p;
	}
	*paths = v;
	return n;
}

/* The file's PT_INTERP, "" when it has none (static). -errno if unreadable. */
static int elf_interp(const char *file, char *out, size_t size)
{
	Elf *elf;
	size_t n = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC), err = -ENOEXEC;

	out[0] = 0;
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && !elf_getphdrnum(elf, &n)) {
		err = 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;
			size_t len;
			char *raw = elf_rawfile(elf, &len);

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_INTERP)
				continue;
			if (raw && ph.p_offset + ph.p_filesz <= len && ph.p_filesz < size)
				snprintf(out, size, "%.*s", (int)ph.p_filesz, raw + ph.p_offset);
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

#define LD_LIST_MAX (1 << 20)

static char *run_ld_list(const char *interp, const char *file)
{
	int pfd[2];
	pid_t pid;
	char *buf = malloc(LD_LIST_MAX);
	ssize_t n = 0;
	int st;

	if (!buf || pipe2(pfd, O_CLOEXEC)) {
		free(buf);
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(pfd[1], STDOUT_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		execl(interp, interp, "--list", file, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	if (pid > 0)
		n = fd_read_full(pfd[0], buf, LD_LIST_MAX - 1);
	close(pfd[0]);
	buf[n > 0 ? n : 0] = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid < 0 || n < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int alloc_objs_of_cmd(const char *file, struct alloc_obj **out)
{
	struct objlist l = { 0 };
	char interp[PATH_MAX], *text, **paths = NULL, *buf = NULL;
	int n, err = elf_interp(file, interp, sizeof(interp));

	if (err)
		return err;
	if ((err = objlist_add(&l, file, file, true)))
		goto fail;
	if (!interp[0])
		return objlist_done(&l, out);	/* static */
	text = run_ld_list(interp, file);
	if (!text) {
		err = -ENOEXEC;
		goto fail;
	}
	n = parse_ld_list(text, &paths, &buf);
	free(text);
	for (int i = 0; i < n && !err; i++)
		err = objlist_add(&l, paths[i], paths[i], false);
	free(paths);
	free(buf);
	if (n < 0)
		err = n;
	if (err)
		goto fail;
	return objlist_done(&l, out);
fail:
	alloc_objs_free(l.v, l.n);
	return err;
}
