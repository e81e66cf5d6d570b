// SPDX-License-Identifier: GPL-2.0
/* Unwind tables from CFI with libdw (see unwind_table.h).
 *
 * The FDEs are enumerated with dwarf_next_cfi (each one's initial location
 * decoded with its CIE's pointer encoding), then each FDE's rows are read
 * with dwarf_cfi_addrframe + dwarf_frame_info, which give a row's rule and
 * its [start, end): one call per row, never per address. Debian 12's libc:
 * 3,713 FDEs, 28,271 rows (331 KiB), built in ~9 ms (the unit test prints it). */
#include "unwind_arch.h"
#include "vec.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

/* --- encoded pointers (.eh_frame's DW_EH_PE_*) ---------------------------------- */

#define PE_OMIT		0xff
#define PE_FORMAT	0x0f
#define PE_APPL		0x70
#define PE_PCREL	0x10

/* Reads one value in format enc from *p (not past end), advancing *p.
 * false when it runs off the end or the format is unknown. */
static bool read_encoded(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t *v)
{
	const uint8_t *q = *p;
	size_t size;
	int64_t s;

	switch (enc & PE_FORMAT) {
	case 0x0: case 0x4: case 0xc: size = 8; break;	/* absptr, udata8, sdata8 */
	case 0x2: case 0xa: size = 2; break;
	case 0x3: case 0xb: size = 4; break;
	default: return false;	/* (s/u)leb128 never encode FDE addresses in practice */
	}
	if ((size_t)(end - q) < size)
		return false;
	if (size == 8) {
		memcpy(v, q, 8);
	} else if (size == 4) {
		uint32_t u;

		memcpy(&u, q, 4);
		s = (enc & 0x08) ? (int64_t)(int32_t)u : (int64_t)u;
		*v = (uint64_t)s;
	} else {
		uint16_t u;

		memcpy(&u, q, 2);
		s = (enc & 0x08) ? (int64_t)(int16_t)u : (int64_t)u;
		*v = (uint64_t)s;
	}
	*p = q + size;
	return true;
}

/* The FDE pointer encoding from a CIE's augmentation ("zR", "zPLR"...):
 * absptr when there is no 'R'. */
static uint8_t cie_fde_encoding(const Dwarf_CIE *cie)
{
	const uint8_t *p = cie->augmentation_data;
	const uint8_t *end = p ? p + cie->augmentation_data_size : NULL;
	const char *a = cie->augmentation;

	if (!a || a[0] != 'z' || !p)
		return 0;
	for (a++; *a; a++) {
		if (*a == 'R')
			return p < end ? *p : 0;
		if (*a == 'L' && p < end) {
			p++;
		} else if (*a == 'P' && p < end) {
			uint8_t enc = *p++;
			uint64_t ignored;

			if (!read_encoded(&p, end, enc & 0x7f, &ignored))
				return 0;
		} else if (*a != 'S' && *a != 'B') {
			return 0;	/* unknown letter: data after it can't be parsed */
		}
	}
	return 0;
}

/* --- the FDE list -------------------------------------------------------------------- */

struct cie_enc {
	Dwarf_Off offset;
	uint8_t enc;
};

struct fde_range {
	uint64_t start, end;
};

struct cfi_section {
	Elf_Data *data;
	uint64_t addr;		/* the section's address (for pcrel) */
	bool eh_frame;
	const unsigned char *ident;
};

static int cmp_cie(const void *a, const void *b)
{
	Dwarf_Off x = ((const struct cie_enc *)a)->offset, y = ((const struct cie_enc *)b)->offset;

	return x < y ? -1 : x > y;
}

static int cmp_fde(const void *a, const void *b)
{
	uint64_t x = ((const struct fde_range *)a)->start, y = ((const struct fde_range *)b)->start;

	return x < y ? -1 : x > y;
}

/* Every CIE's FDE encoding, sorted by offset. -ENOMEM or the count. */
static ssize_t collect_cies(const struct cfi_section *sec, struct cie_enc **out)
{
	struct cie_enc *v = NULL;
	size_t n = 0, cap = 0;
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry e;
	int r;

	while ((r = dwarf_next_cfi(sec->ident, sec->data, sec->eh_frame, off, &next, &e)) != 1) {
		if (r == 0 && dwarf_cfi_cie_p(&e)) {
			struct cie_enc *g = vec_reserve(v, &cap, n, sizeof(*v));

			if (!g) {
				free(v);
				return -ENOMEM;
			}
			v = g;
			v[n].offset = off;
			v[n].enc = sec->eh_frame ? cie_fde_encoding(&e.cie) : 0;
			n++;
		}
		if (next == (Dwarf_Off)-1 || next <= off)
			break;
		off = next;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_cie);
	*out = v;
	return (ssize_t)n;
}

/* Decodes an FDE's [initial_location, +address_range). */
static bool fde_range_of(const struct cfi_section *sec, const Dwarf_FDE *fde, uint8_t enc,
			 struct fde_range *r)
{
	const uint8_t *p = fde->start, *base = sec->data->d_buf;
	uint64_t loc, len;

	if (!read_encoded(&p, fde->end, enc, &loc))
		return false;
	if ((enc & PE_APPL) == PE_PCREL)
		loc += sec->addr + (uint64_t)(fde->start - base);
	else if ((enc & PE_APPL) != 0)
		return false;	/* datarel/textrel/funcrel: not used for FDEs on x86-64 */
	if (!read_encoded(&p, fde->end, enc & PE_FORMAT, &len) || len == 0)
		return false;
	r->start = loc;
	r->end = loc + len;
	return true;
}

/* Every FDE's address range, sorted. -ENOMEM or the count. */
static ssize_t collect_fdes(const struct cfi_section *sec, struct fde_range **out)
{
	struct cie_enc *cies = NULL;
	struct fde_range *v = NULL;
	size_t n = 0, cap = 0;
	ssize_t ncies = collect_cies(sec, &cies);
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry e;
	int r;

	if (ncies < 0)
		return ncies;
	while ((r = dwarf_next_cfi(sec->ident, sec->data, sec->eh_frame, off, &next, &e)) != 1) {
		if (r == 0 && !dwarf_cfi_cie_p(&e)) {
			struct cie_enc want = { .offset = e.fde.CIE_pointer };
			const struct cie_enc *c = ncies ? bsearch(&want, cies, (size_t)ncies,
								  sizeof(*cies), cmp_cie) : NULL;
			struct fde_range *g = vec_reserve(v, &cap, n, sizeof(*v));

			if (!g) {
				free(v);
				free(cies);
				return -ENOMEM;
			}
			v = g;
			if (c && fde_range_of(sec, &e.fde, c->enc, &v[n]))
				n++;
		}
		if (next == (Dwarf_Off)-1 || next <= off)
			break;
		off = next;
	}
	free(cies);
	if (n)
		qsort(v, n, sizeof(*v), cmp_fde);
	*out = v;
	return (ssize_t)n;
}

/* --- one row's rules (the architecture's, unwind_arch.h) ------------------------- */

/* "CFA + k" as libdw spells a register's save slot: DW_OP_call_frame_cfa,
 * then nothing, DW_OP_plus_uconst k, or DW_OP_consts k + DW_OP_plus. A
 * trailing DW_OP_stack_value (val_offset: a value, not a slot) doesn't match. */
static bool cfa_slot(const Dwarf_Op *ops, size_t nops, int64_t *k)
{
	if (nops == 0 || ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (nops == 1) {
		*k = 0;
		return true;
	}
	if (nops == 2 && ops[1].atom == DW_OP_plus_uconst) {
		*k = (int64_t)ops[1].number;
		return true;
	}
	if (nops == 3 && ops[1].atom == DW_OP_consts && ops[2].atom == DW_OP_plus) {
		*k = (int64_t)ops[1].number;
		return true;
	}
	return false;
}

bool uw_cfa_register(Dwarf_Frame *frame, int *reg, int64_t *off, Dwarf_Op **ops, size_t *nops)
{
	*nops = 0;
	if (dwarf_frame_cfa(frame, ops, nops) != 0 || *nops == 0) {
		*nops = 0;
		return false;
	}
	if (*nops == 1 && (*ops)[0].atom == DW_OP_bregx) {
		*reg = (int)(*ops)[0].number;
		*off = (int64_t)(*ops)[0].number2;
		return true;
	}
	if (*nops == 1 && (*ops)[0].atom >= DW_OP_breg0 && (*ops)[0].atom <= DW_OP_breg31) {
		*reg = (*ops)[0].atom - DW_OP_breg0;
		*off = (int64_t)(*ops)[0].number;
		return true;
	}
	return false;
}

enum uw_reg_rule uw_register_rule(Dwarf_Frame *frame, int regno, int64_t *k)
{
	Dwarf_Op mem[3], *ops = NULL;
	size_t nops = 0;

	if (dwarf_frame_register(frame, regno, mem, &ops, &nops) != 0)
		return UW_REG_OTHER;
	if (nops == 0)
		return ops == mem ? UW_REG_UNDEFINED : UW_REG_SAME;
	return cfa_slot(ops, nops, k) ? UW_REG_AT_CFA : UW_REG_OTHER;
}

const struct uw_arch *uw_arch_of(uint16_t machine)
{
	if (machine == uw_arch_x86_64.machine)
		return &uw_arch_x86_64;
	if (machine == uw_arch_arm64.machine)
		return &uw_arch_arm64;
	return NULL;
}

/* --- building --------------------------------------------------------------------- */

static bool same_rule(const struct uw_row *a, const struct uw_row *b)
{
	return a->cfa == b->cfa && a->ra == b->ra && a->cfa_off == b->cfa_off && a->slot == b->slot;
}

/* Appends row unless the last one already says the same. */
static int push_row(struct uw_table *t, const struct uw_row *row)
{
	struct uw_row *g;

	if (t->n && same_rule(&t->rows[t->n - 1], row))
		return 0;
	if (t->n && t->rows[t->n - 1].pc == row->pc) {
		t->rows[t->n - 1] = *row;	/* an empty row: the later one wins */
		return 0;
	}
	g = vec_reserve(t->rows, &t->cap, t->n, sizeof(*t->rows));
	if (!g)
		return -ENOMEM;
	t->rows = g;
	t->rows[t->n++] = *row;
	return 0;
}

/* Rows of the FDE covering [r->start, r->end), then a UW_CFA_NONE row at its
 * end unless the next FDE starts right there. pc beyond 4 GiB can't be a
 * row (the pool's pcs are 32-bit); such files are rare and get none. */
static int add_fde_rows(struct uw_table *t, const struct uw_arch *arch, Dwarf_CFI *cfi,
			const struct fde_range *r, uint64_t next_start)
{
	uint64_t pc = r->start;
	int err;

	if (r->end > UINT32_MAX)
		return 0;
	while (pc < r->end) {
		Dwarf_Frame *frame = NULL;
		Dwarf_Addr start, end;
		struct uw_row row = { .pc = (uint32_t)pc };
		bool sig;
		int ra;

		if (dwarf_cfi_addrframe(cfi, pc, &frame) != 0)
			break;
		ra = dwarf_frame_info(frame, &start, &end, &sig);
		if (!arch->row_of_frame(frame, ra, &row))
			t->unsupported++;
		free(frame);
		err = push_row(t, &row);
		if (err)
			return err;
		if (end <= pc)
			break;
		pc = end;
	}
	if (r->end < next_start) {
		struct uw_row gap = { .pc = (uint32_t)r->end, .cfa = UW_CFA_NONE };

		return push_row(t, &gap);
	}
	return 0;
}

static int build_from(struct uw_table *t, const struct cfi_section *sec, Dwarf_CFI *cfi)
{
	const struct uw_arch *arch = uw_arch_of(t->machine);
	struct fde_range *fdes = NULL;
	ssize_t n = collect_fdes(sec, &fdes);
	int err = 0;

	if (n < 0)
		return (int)n;
	for (ssize_t i = 0; i < n && !err; i++) {
		uint64_t next = i + 1 < n ? fdes[i + 1].start : UINT64_MAX;

		/* overlapping FDEs (rare, broken files): the later one starts
		 * where it says, the earlier one is cut there */
		struct fde_range r = fdes[i];

		if (r.end > next)
			r.end = next;
		err = add_fde_rows(t, arch, cfi, &r, next);
	}
	t->fdes = (size_t)n;
	free(fdes);
	return err;
}

static Elf_Scn *find_section(Elf *elf, const char *name, GElf_Shdr *shdr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, shdr) || shdr->sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(elf, shstrndx, shdr->sh_name);
		if (n && strcmp(n, name) == 0)
			return scn;
	}
	return NULL;
}

static bool section_of(Elf *elf, const char *name, bool eh, struct cfi_section *sec)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(elf, name, &shdr);

	if (!scn)
		return false;
	sec->data = elf_getdata(scn, NULL);
	sec->addr = shdr.sh_addr;
	sec->eh_frame = eh;
	sec->ident = (const unsigned char *)elf_getident(elf, NULL);
	return sec->data && sec->data->d_buf && sec->data->d_size && sec->ident;
}

static int build_from_elf(Elf *elf, struct uw_table *t)
{
	struct cfi_section sec;
	int err = -ENOENT;

	if (section_of(elf, ".eh_frame", true, &sec)) {
		Dwarf_CFI *cfi = dwarf_getcfi_elf(elf);

		if (cfi) {
			err = build_from(t, &sec, cfi);
			dwarf_cfi_end(cfi);
		}
	} else if (section_of(elf, ".debug_frame", false, &sec)) {
		Dwarf *dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
		Dwarf_CFI *cfi = dw ? dwarf_getcfi(dw) : NULL;

		if (cfi) {
			t->from_debug_frame = true;
			err = build_from(t, &sec, cfi);
		}
		if (dw)
			dwarf_end(dw);
	}
	if (!err && t->n == 0)
		err = -ENOENT;
	return err;
}

int uw_table_build_fd(int fd, struct uw_table *t)
{
	GElf_Ehdr eh;
	Elf *elf;
	int err;

	memset(t, 0, sizeof(*t));
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	if (elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 || !gelf_getehdr(elf, &eh)) {
		elf_end(elf);
		return -EINVAL;
	}
	t->machine = eh.e_machine;
	err = uw_arch_of(t->machine) ? build_from_elf(elf, t) : -ENOTSUP;
	elf_end(elf);
	if (err)
		uw_table_free(t);
	return err;
}

void uw_table_free(struct uw_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

const struct uw_row *uw_table_find(const struct uw_table *t, uint64_t pc)
{
	size_t lo = 0, hi = t->n;

	if (!t->n || pc < t->rows[0].pc)
		return NULL;
	while (hi - lo > 1) {	/* rows[lo].pc <= pc < rows[hi].pc */
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return &t->rows[lo];
}

/* --- the load bias ----------------------------------------------------------------- */

/* The kernel maps each PT_LOAD at bias + page_down(p_vaddr) from file offset
 * page_down(p_offset). lld (rustc's linker, clang -fuse-ld=lld) packs
 * segments without padding: the last page of the read-only segment is the
 * first of the code's (Rust: .rodata ends at 0x12860, .text starts there at
 * vaddr 0x13860), so the code's mapping from offset 0x12000 lies inside
 * both. Taking the first (read-only) segment put the bias 0x1000 off, every
 * row lookup missed, and stacks ended after one frame. The segment with the
 * mapping's permission, and of those the last starting at or below its
 * offset, is the one mapped there. */
bool uw_load_bias(const struct uw_load *loads, int n, uint64_t start, uint64_t offset, bool exec,
		  uint64_t page_size, uint64_t *bias)
{
	uint64_t mask = ~(page_size - 1);
	int best = -1, best_any = -1;

	for (int i = 0; i < n; i++) {
		uint64_t off = loads[i].offset & mask;

		if (offset < off || offset >= loads[i].offset + loads[i].filesz)
			continue;
		best_any = i;
		if (loads[i].exec == exec)
			best = i;
	}
	if (best < 0)
		best = best_any;	/* permissions changed since (mprotect) */
	if (best < 0)
		return false;
	*bias = start - (loads[best].vaddr & mask) - (offset - (loads[best].offset & mask));
	return true;
}

/* --- one step, as the BPF unwinder does it -------------------------------------------- */

enum uw_step_result uw_step(uint16_t machine, const struct uw_row *row, struct uw_regs *regs,
			    uw_read_fn read, void *ctx)
{
	const struct uw_arch *arch = uw_arch_of(machine);

	return arch ? arch->step(row, regs, read, ctx) : UW_STEP_FAIL;
}
