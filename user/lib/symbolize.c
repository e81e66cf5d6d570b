// SPDX-License-Identifier: GPL-2.0
/* User-space symbolization with elfutils' libdwfl.
 *
 * We don't use dwfl_linux_proc_report + dwfl_linux_proc_find_elf: that pair
 * opens the path printed in /proc/PID/maps in OUR mount namespace, which is
 * the wrong file (or none) for a process in a container, and fails for
 * deleted files. Instead each mapped ELF file is opened here, through
 * /proc/PID/root, or /proc/PID/map_files/START-END when the file was deleted
 * or replaced, and handed to dwfl_report_elf with the load bias computed from
 * the mapping (symbolize_modules.c). Every module's ELF is opened at
 * snapshot time, so the process may exit before we resolve; its symbol
 * table and DWARF too, or (a lazy snapshot) on first use, through an fd on
 * the process's root that outlives it. Names are demangled and inlined
 * frames split out in symbolize_names.c. */
#define _GNU_SOURCE	/* asprintf */
#include "symbolize.h"
#include "intmap.h"
#include "perfmap.h"
#include "procfs.h"
#include "symbolize_modules.h"
#include "symbolize_names.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct usym_snapshot {
	pid_t pid;
	Dwfl *dwfl;
	Dwfl_Callbacks callbacks;	/* Dwfl keeps a pointer to it */
	char *debuginfo_path;		/* callbacks.debuginfo_path points here */
	/* The process's root: "/proc/self/fd/N" on root_fd (an O_PATH fd on
	 * /proc/PID/root, valid after the process is gone), or /proc/PID/root
	 * when that can't be opened. */
	int root_fd;
	char root[64];
	bool lazy;		/* symbols and DWARF opened on first use */
	/* Every distinct maps listing seen, newest last: addresses in files
	 * Dwfl doesn't hold (not ELF, unreadable) are still named from these,
	 * and the names stay valid until the snapshot is freed. */
	struct vma_list *maps;
	size_t n_maps;
	/* Symbol name as Dwfl gives it -> our copy without "@@VERSION",
	 * demangled (see usym_display_name). */
	struct intmap names;
	/* The JIT's perf map, read at the first JIT frame after each refresh
	 * (a JIT appends to it as it compiles) */
	struct perfmap jit_map;
	bool jit_map_read;
};

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

/* Separate debuginfo: next to the file (".debug/", via its path under the
 * process's root), then the process's own /usr/lib/debug, then ours
 * (build-ids make a host copy safe to use). */
static char *make_debuginfo_path(const char *root)
{
	char *path;

	if (asprintf(&path, ":.debug:%s/usr/lib/debug:/usr/lib/debug", root) < 0)
		return NULL;
	return path;
}

/* The process's root directory, held by an fd so that what is under it can
 * still be opened once the process is gone (then /proc/PID/root is not). */
static void open_root(struct usym_snapshot *s, pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	s->root_fd = pid > 0 ? open(path, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (s->root_fd >= 0)
		snprintf(s->root, sizeof(s->root), "/proc/self/fd/%d", s->root_fd);
	else
		snprintf(s->root, sizeof(s->root), "%s", path);
}

static struct usym_snapshot *snapshot_alloc(pid_t pid, bool lazy)
{
	struct usym_snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pid = pid;
	s->lazy = lazy;
	intmap_init(&s->names);
	open_root(s, pid);
	s->debuginfo_path = make_debuginfo_path(s->root);
	if (!s->debuginfo_path) {
		if (s->root_fd >= 0)
			close(s->root_fd);
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
		if (s->root_fd >= 0)
			close(s->root_fd);
		free(s->debuginfo_path);
		free(s);
		return NULL;
	}
	return s;
}

static struct usym_snapshot *snapshot_take(pid_t pid, bool lazy)
{
	struct usym_snapshot *s;
	int err;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	s = snapshot_alloc(pid, lazy);
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

struct usym_snapshot *usym_snapshot_take(pid_t pid)
{
	return snapshot_take(pid, false);
}

/* Whether pid's mounts are ours: then they outlive it. A process in a
 * mount namespace of its own may be its last user, and the namespace's
 * mounts (where its debuginfo may be) go with it. */
static bool shares_our_mounts(pid_t pid)
{
	char path[64], theirs[64], ours[64];
	ssize_t a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	a = readlink(path, theirs, sizeof(theirs) - 1);
	b = readlink("/proc/self/ns/mnt", ours, sizeof(ours) - 1);
	return a > 0 && a == b && memcmp(theirs, ours, (size_t)a) == 0;
}

struct usym_snapshot *usym_snapshot_take_lazy(pid_t pid)
{
	return snapshot_take(pid, shares_our_mounts(pid));
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
	s->jit_map_read = false;	/* read again when next needed */
	/* An empty listing is a zombie or a kernel thread: nothing to map. */
	if (l.n == 0) {
		vma_list_free(&l);
		return -ESRCH;
	}
	err = usym_report_modules(s->dwfl, s->pid, s->root, &l, !s->lazy);
	if (err) {
		vma_list_free(&l);
		return err;
	}
	return keep_maps(s, &l);
}

void usym_snapshot_free(struct usym_snapshot *s)
{
	size_t i;

	if (!s)
		return;
	dwfl_end(s->dwfl);
	if (s->root_fd >= 0)
		close(s->root_fd);
	usym_names_free(&s->names);
	perfmap_free(&s->jit_map);
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
	const char *file = NULL;
	int lineno = 0;

	if (line) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	} else {	/* no .debug_aranges (clang): the CU by its ranges */
		Dwarf_Addr bias = 0;
		Dwarf_Die *cu = usym_cu_at(mod, addr, &bias);
		Dwarf_Line *l = cu ? dwarf_getsrc_die(cu, addr - bias) : NULL;

		file = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
		if (!l || dwarf_lineno(l, &lineno) != 0)
			lineno = 0;
	}
	if (file && lineno > 0) {
		out->file = file;
		out->line = lineno;
	}
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
		out->func = usym_display_name(&s->names, func);
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

/* The pid the process has in its own PID namespace (the last NSpid of
 * /proc/PID/status), which a JIT in a container names its map by; pid when
 * it can't be read. */
static pid_t pid_in_own_namespace(pid_t pid)
{
	char path[64], *text, *line;
	long ns = pid;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = procfs_slurp(path, NULL);
	line = text ? strstr(text, "\nNSpid:") : NULL;
	if (line) {
		char *end = strchr(line + 1, '\n'), *p = line + 7;

		if (end)
			*end = '\0';
		for (char *q; (q = strpbrk(p, " \t"));)
			p = q + 1;
		ns = strtol(p, NULL, 10);
	}
	free(text);
	return ns > 0 && ns <= INT_MAX ? (pid_t)ns : pid;
}

/* The JIT's /tmp/perf-PID.map as the process sees it (under its root, and
 * named by its own pid), once per refresh. None: the frames stay [JIT]. */
static const struct perfmap *jit_map(struct usym_snapshot *s)
{
	char path[PATH_MAX];
	pid_t ns;

	if (s->jit_map_read)
		return &s->jit_map;
	s->jit_map_read = true;
	perfmap_free(&s->jit_map);
	snprintf(path, sizeof(path), "%s/tmp/perf-%d.map", s->root, (int)s->pid);
	if (perfmap_read(path, &s->jit_map) == -ENOENT && (ns = pid_in_own_namespace(s->pid)) != s->pid) {
		snprintf(path, sizeof(path), "%s/tmp/perf-%d.map", s->root, (int)ns);
		perfmap_read(path, &s->jit_map);
	}
	return &s->jit_map;
}

/* Anonymous executable memory: code a JIT wrote (V8, the JVM, LuaJIT...),
 * or a kernel's label for it ([anon:NAME], 5.17+'s PR_SET_VMA_ANON_NAME). */
static bool is_jit_code(const struct vma *v)
{
	return v->exec && (v->kind == VMA_ANON ||
			   (v->kind == VMA_SPECIAL && strncmp(v->path, "[anon:", 6) == 0));
}

static void resolve_jit(struct usym_snapshot *s, uint64_t addr, struct usym *out)
{
	const struct perfmap_entry *e = perfmap_find(jit_map(s), addr);

	out->jit = true;
	if (e) {
		out->func = e->name;
		out->func_offset = addr - e->start;
	}
}

/* For mappings Dwfl doesn't hold: the file (or [label]) and the offset. */
static int resolve_in_maps(struct usym_snapshot *s, uint64_t addr, struct usym *out)
{
	const struct vma *v = vma_at(s, addr);

	if (v && is_jit_code(v)) {
		resolve_jit(s, addr, out);
		return 0;
	}
	if (!v || (v->kind != VMA_FILE && v->kind != VMA_SPECIAL))
		return -ENOENT;	/* heap, stack, anonymous: no module */
	out->module = v->path;
	out->module_offset = addr - v->start + (v->kind == VMA_FILE ? v->offset : 0);
	return 0;
}

/* A second mapping of a loaded file's code: V8 (node 20) maps a copy of
 * node's embedded builtins near its heap from the same file pages, so its
 * frames there were "node+0x14d1545". The address the same file offset has
 * in a mapping Dwfl holds, or addr itself. */
static uint64_t loaded_copy_of(const struct usym_snapshot *s, uint64_t addr)
{
	const struct vma *v = vma_at(s, addr);
	uint64_t off;

	if (!v || v->kind != VMA_FILE || !v->exec || dwfl_addrmodule(s->dwfl, addr))
		return addr;
	off = addr - v->start + v->offset;
	for (size_t i = s->n_maps; i-- > 0;) {
		for (size_t j = 0; j < s->maps[i].n; j++) {
			const struct vma *w = &s->maps[i].v[j];
			uint64_t at = w->start + (off - w->offset);

			if (w->kind != VMA_FILE || !w->exec || w->inode != v->inode ||
			    w->dev_major != v->dev_major || w->dev_minor != v->dev_minor ||
			    off < w->offset || off - w->offset >= w->end - w->start || at == addr)
				continue;
			if (dwfl_addrmodule(s->dwfl, at))
				return at;
		}
	}
	return addr;
}

int usym_resolve(struct usym_snapshot *s, uint64_t addr, struct usym *out)
{
	Dwfl_Module *mod;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EINVAL;
	addr = loaded_copy_of(s, addr);
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

int usym_resolve_frames(struct usym_snapshot *s, uint64_t addr, struct usym *out, int max)
{
	Dwfl_Module *mod;
	int err;

	if (max < 1)
		return -EINVAL;
	err = usym_resolve(s, addr, &out[0]);
	if (err)
		return err;
	addr = loaded_copy_of(s, addr);
	mod = dwfl_addrmodule(s->dwfl, addr);
	return mod ? usym_expand_inlined(&s->names, mod, addr, out, max) : 1;
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
	s = snapshot_alloc(0, false);	/* pid 0: no process, only the debuginfo path */
	if (!s) {
		close(own);
		return -ENOMEM;
	}
	dwfl_report_begin_add(s->dwfl);
	usym_report_fd(s->dwfl, "[file]", "[file]", own, &lowest);
	err = usym_report_end(s->dwfl, true);
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
	if (sym && sym->jit) {	/* never a bare address: say what it is */
		if (sym->func)
			snprintf(buf, size, "[JIT] %s+0x%" PRIx64, sym->func, sym->func_offset);
		else
			snprintf(buf, size, "[JIT] 0x%" PRIx64, addr);
		return buf;
	}
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
