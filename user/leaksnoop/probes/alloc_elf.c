// SPDX-License-Identifier: GPL-2.0
/* One object's allocator symbols, read from its ELF file: the defined
 * functions it exports (default version) and, for the executable, those of
 * its .symtab; where its .plt lies; the code bytes of a function. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "allocators.h"
#include "vec.h"

static int alloc_fn_index(const char *name)
{
	for (size_t i = 0; i < nr_alloc_fns; i++)
		if (!strcmp(alloc_fns[i].name, name))
			return (int)i;
	return -1;
}

/* Keeps the name if it is one of ours, or a family marker. */
static bool wanted_name(const char *name)
{
	if (!strcmp(name, "__libc_malloc"))
		return true;
	return alloc_fn_index(name) >= 0;
}

struct symvec {
	struct obj_sym *v;
	size_t n, cap;
};

static int symvec_push(struct symvec *sv, const struct obj_sym *s)
{
	struct obj_sym *nv = vec_reserve(sv->v, &sv->cap, sv->n, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	sv->v = nv;
	sv->v[sv->n++] = *s;
	return 0;
}

/* Names are copied into one growing buffer; obj_sym.name_off holds their
 * offsets until load_elf points the names into it. */
struct strbuf {
	char *b;
	size_t n, cap;
};

static long strbuf_add(struct strbuf *sb, const char *s)
{
	size_t l = strlen(s) + 1;

	while (sb->n + l > sb->cap) {
		char *nb = vec_reserve(sb->b, &sb->cap, sb->cap, 1);

		if (!nb)
			return -ENOMEM;
		sb->b = nb;
	}
	memcpy(sb->b + sb->n, s, l);
	sb->n += l;
	return (long)(sb->n - l);
}

static bool sym_is_func(const GElf_Sym *sym)
{
	int bind = GELF_ST_BIND(sym->st_info);

	/* not STT_GNU_IFUNC: its value is the resolver, not the function */
	return GELF_ST_TYPE(sym->st_info) == STT_FUNC && sym->st_shndx != SHN_UNDEF &&
	       sym->st_value && (bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE);
}

static int read_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, Elf_Data *versym,
		       struct symvec *sv, struct strbuf *sb)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; data && i < n; i++) {
		GElf_Sym sym;
		GElf_Shdr tsh;
		GElf_Versym vs;
		Elf_Scn *tscn;
		const char *name;
		struct obj_sym os;
		long at;

		if (!gelf_getsym(data, (int)i, &sym) || !sym_is_func(&sym))
			continue;
		/* a hidden (non-default) version is not what an unversioned
		 * or current reference binds to */
		if (versym && gelf_getversym(versym, (int)i, &vs) && (vs & 0x8000))
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !wanted_name(name))
			continue;
		tscn = elf_getscn(elf, sym.st_shndx);
		if (!tscn || !gelf_getshdr(tscn, &tsh) || sym.st_value < tsh.sh_addr ||
		    tsh.sh_type == SHT_NOBITS)
			continue;
		at = strbuf_add(sb, name);
		if (at < 0)
			return (int)at;
		os.name = NULL;
		os.name_off = (size_t)at;
		os.vaddr = sym.st_value;
		os.size = sym.st_size;
		os.file_off = sym.st_value - tsh.sh_addr + tsh.sh_offset;
		if (symvec_push(sv, &os))
			return -ENOMEM;
	}
	return 0;
}

static void note_plt(struct alloc_obj *o, const char *name, const GElf_Shdr *sh)
{
	if (!name || strncmp(name, ".plt", 4) != 0)
		return;
	if (!o->plt_lo || sh->sh_addr < o->plt_lo)
		o->plt_lo = sh->sh_addr;
	if (sh->sh_addr + sh->sh_size > o->plt_hi)
		o->plt_hi = sh->sh_addr + sh->sh_size;
}

static void fix_names(struct obj_sym *v, size_t n, const char *base)
{
	for (size_t i = 0; i < n; i++)
		v[i].name = base + v[i].name_off;
}

static int load_elf(struct alloc_obj *o, Elf *elf)
{
	struct symvec dyn = { 0 }, local = { 0 };
	struct strbuf sb = { 0 };
	Elf_Scn *scn = NULL, *dynsym = NULL, *symtab = NULL;
	Elf_Data *versym = NULL;
	size_t shstrndx;
	int err = 0;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		note_plt(o, elf_strptr(elf, shstrndx, sh.sh_name), &sh);
		if (sh.sh_type == SHT_DYNSYM)
			dynsym = scn;
		else if (sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		else if (sh.sh_type == SHT_GNU_versym)
			versym = elf_getdata(scn, NULL);
	}
	if (dynsym) {
		GElf_Shdr sh;

		if (gelf_getshdr(dynsym, &sh))
			err = read_symtab(elf, dynsym, &sh, versym, &dyn, &sb);
	}
	if (!err && symtab && o->is_exe) {
		GElf_Shdr sh;

		if (gelf_getshdr(symtab, &sh))
			err = read_symtab(elf, symtab, &sh, NULL, &local, &sb);
	}
	if (err) {
		free(dyn.v);
		free(local.v);
		free(sb.b);
		return err;
	}
	fix_names(dyn.v, dyn.n, sb.b);
	fix_names(local.v, local.n, sb.b);
	o->dyn = dyn.v;
	o->n_dyn = dyn.n;
	o->local = local.v;
	o->n_local = local.n;
	o->strings = sb.b;
	o->strings_len = sb.n;
	return 0;
}

int alloc_obj_load(struct alloc_obj *o, const char *path, const char *shown, bool is_exe)
{
	GElf_Ehdr eh;
	Elf *elf;
	int fd, err;

	memset(o, 0, sizeof(*o));
	snprintf(o->path, sizeof(o->path), "%s", path);
	snprintf(o->shown, sizeof(o->shown), "%s", shown);
	o->is_exe = is_exe;
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	o->machine = gelf_getehdr(elf, &eh) ? eh.e_machine : EM_NONE;
	err = load_elf(o, elf);
	elf_end(elf);
	close(fd);
	return err;
}

void alloc_obj_free(struct alloc_obj *o)
{
	free(o->dyn);
	free(o->local);
	free(o->strings);
	o->dyn = o->local = NULL;
	o->strings = NULL;
	o->n_dyn = o->n_local = 0;
}

void alloc_objs_free(struct alloc_obj *objs, size_t n)
{
	for (size_t i = 0; objs && i < n; i++)
		alloc_obj_free(&objs[i]);
	free(objs);
}

int alloc_read_code(const char *path, uint64_t file_off, uint8_t *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, (off_t)file_off);
	close(fd);
	return n < 0 ? -errno : (int)n;
}
