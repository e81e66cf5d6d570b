// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/lib/unwind_table.c: rows of hand-written functions
 * whose CFI we know (assembled into this binary), libc's entry rows, the
 * PLT expression, and a full walk of this process's own stack — built
 * -O2 without frame pointers — with uw_step, compared with glibc's
 * backtrace() (libgcc's unwinder, independent of ours). */
#define _GNU_SOURCE	/* dl_iterate_phdr */
#include "unit.h"
#include "unwind_unit.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <gelf.h>
#include <link.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* --- functions whose CFI we wrote ourselves --------------------------------- */

/* known_leaf: just ret. known_rbp: the classic frame-pointer prologue and
 * epilogue. known_rsp: pushes rbx and reserves 40 bytes, no frame pointer.
 * Byte offsets of each instruction are in the comments (checked below). */
__asm__(
	".text\n"
	".globl known_leaf\n.type known_leaf,@function\n"
	"known_leaf:\n .cfi_startproc\n"
	" ret\n"
	" .cfi_endproc\n.size known_leaf,.-known_leaf\n"
	".globl known_rbp\n.type known_rbp,@function\n"
	"known_rbp:\n .cfi_startproc\n"
	" push %rbp\n"			/* +0 (1 byte) */
	" .cfi_def_cfa_offset 16\n .cfi_offset %rbp, -16\n"
	" mov %rsp, %rbp\n"		/* +1 (3 bytes) */
	" .cfi_def_cfa_register %rbp\n"
	" sub $32, %rsp\n"		/* +4 (4 bytes) */
	" call known_leaf\n"		/* +8 (5 bytes) */
	" leave\n"			/* +13 (1 byte) */
	" .cfi_def_cfa %rsp, 8\n"
	" ret\n"			/* +14 */
	" .cfi_endproc\n.size known_rbp,.-known_rbp\n"
	".globl known_rsp\n.type known_rsp,@function\n"
	"known_rsp:\n .cfi_startproc\n"
	" push %rbx\n"			/* +0 (1 byte) */
	" .cfi_def_cfa_offset 16\n .cfi_offset %rbx, -16\n"
	" sub $40, %rsp\n"		/* +1 (4 bytes) */
	" .cfi_def_cfa_offset 56\n"
	" call known_leaf\n"		/* +5 (5 bytes) */
	" add $40, %rsp\n"		/* +10 (4 bytes) */
	" .cfi_def_cfa_offset 16\n"
	" pop %rbx\n"			/* +14 (1 byte) */
	" .cfi_def_cfa_offset 8\n"
	" ret\n"			/* +15 */
	" .cfi_endproc\n.size known_rsp,.-known_rsp\n"
	/* Writes the regs a return probe would see once the caller is back:
	 * rip = our return address, rsp = past it, rbp as it is. */ 
	".globl capture_regs\n.type capture_regs,@function\n"
	"capture_regs:\n .cfi_startproc\n"
	" mov (%rsp), %rax\n mov %rax, 0(%rdi)\n"
	" lea 8(%rsp), %rax\n mov %rax, 8(%rdi)\n"
	" mov %rbp, 16(%rdi)\n"
	" ret\n"
	" .cfi_endproc\n.size capture_regs,.-capture_regs\n");

void known_leaf(void);
void known_rbp(void);
void known_rsp(void);
void capture_regs(struct uw_regs *regs);

/* --- helpers ------------------------------------------------------------------ */

struct object {
	char path[4096];
	uint64_t bias, lo, hi;	/* [lo, hi): its executable segments at run time */
};

struct find_ctx {
	uint64_t addr;
	struct object *out;
	bool found;
};

static int find_object_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct find_ctx *c = data;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || c->addr < lo || c->addr >= hi)
			continue;
		if (info->dlpi_name && info->dlpi_name[0])
			snprintf(c->out->path, sizeof(c->out->path), "%s", info->dlpi_name);
		else
			snprintf(c->out->path, sizeof(c->out->path), "/proc/self/exe");
		c->out->bias = info->dlpi_addr;
		c->out->lo = lo;
		c->out->hi = hi;
		c->found = true;
		return 1;
	}
	return 0;
}

/* The loaded object whose code holds addr. */
static bool object_of(uint64_t addr, struct object *o)
{
	struct find_ctx c = { .addr = addr, .out = o };

	dl_iterate_phdr(find_object_cb, &c);
	return c.found;
}

/* The row covering a function of ours, at offset off from its start. */
static const struct uw_row *row_at(const struct uw_table *t, const struct object *o,
				   void (*fn)(void), uint64_t off)
{
	return uw_table_find(t, (uint64_t)(uintptr_t)fn - o->bias + off);
}

/* --- tests ----------------------------------------------------------------------- */

static void check_row(const struct uw_row *r, int cfa, int off, int slot)
{
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_U64(r->cfa, cfa);
	CHECK_U64(r->cfa_off, off);
	CHECK_U64(8 * r->slot, slot);
}

static void test_known_functions(void)
{
	struct object o = { .bias = 0 };
	struct uw_table t = { .n = 0 };

	CHECK(object_of((uint64_t)(uintptr_t)known_rbp, &o));
	CHECK(build_for(o.path, &t));
	/* known_leaf: CFA = rsp + 8 throughout */
	check_row(row_at(&t, &o, known_leaf, 0), UW_CFA_SP, 8, 0);
	/* known_rbp: entry, after push rbp, after mov rsp->rbp, after leave */
	check_row(row_at(&t, &o, known_rbp, 0), UW_CFA_SP, 8, 0);
	check_row(row_at(&t, &o, known_rbp, 1), UW_CFA_SP, 16, -16);
	check_row(row_at(&t, &o, known_rbp, 3), UW_CFA_SP, 16, -16);
	check_row(row_at(&t, &o, known_rbp, 4), UW_CFA_FP, 16, -16);
	check_row(row_at(&t, &o, known_rbp, 13), UW_CFA_FP, 16, -16);
	check_row(row_at(&t, &o, known_rbp, 14), UW_CFA_SP, 8, -16);
	/* known_rsp: rbx saved (not our business), rbp never touched */
	check_row(row_at(&t, &o, known_rsp, 0), UW_CFA_SP, 8, 0);
	check_row(row_at(&t, &o, known_rsp, 1), UW_CFA_SP, 16, 0);
	check_row(row_at(&t, &o, known_rsp, 5), UW_CFA_SP, 56, 0);
	check_row(row_at(&t, &o, known_rsp, 9), UW_CFA_SP, 56, 0);
	check_row(row_at(&t, &o, known_rsp, 14), UW_CFA_SP, 16, 0);
	check_row(row_at(&t, &o, known_rsp, 15), UW_CFA_SP, 8, 0);
	printf("  %s: %zu FDEs, %zu rows, %zu unsupported\n", o.path, t.fdes, t.n, t.unsupported);
	uw_table_free(&t);
}

/* Rows are sorted, strictly increasing, and no two neighbours say the same. */
static void check_table_shape(const struct uw_table *t)
{
	size_t bad_order = 0, dup = 0;

	for (size_t i = 1; i < t->n; i++) {
		const struct uw_row *a = &t->rows[i - 1], *b = &t->rows[i];

		if (a->pc >= b->pc)
			bad_order++;
		if (a->cfa == b->cfa && a->cfa_off == b->cfa_off && a->slot == b->slot)
			dup++;
	}
	CHECK_U64(bad_order, 0);
	CHECK_U64(dup, 0);
}

/* Every function libc exports starts with CFA = rsp + 8: the call just
 * pushed the return address. Checked on its .dynsym. */
static void test_libc_entry_rows(void)
{
	struct object o = { .bias = 0 };
	struct uw_table t = { .n = 0 };
	struct timespec a, b;
	size_t funcs = 0, ok = 0;
	int fd;
	Elf *elf;
	Elf_Scn *scn = NULL;

	CHECK(object_of((uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "malloc"), &o));
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(build_for(o.path, &t));
	clock_gettime(CLOCK_MONOTONIC, &b);
	check_table_shape(&t);
	fd = open(o.path, O_RDONLY | O_CLOEXEC);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const struct uw_row *r;

			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    !s.st_value || !s.st_size)
				continue;
			funcs++;
			r = uw_table_find(&t, s.st_value);
			if (r && r->cfa == UW_CFA_SP && r->cfa_off == 8)
				ok++;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	printf("  %s: %zu FDEs, %zu rows (%zu KiB), %zu unsupported, built in %.1f ms; "
	       "%zu of %zu exported functions start at rsp+8\n", o.path, t.fdes, t.n,
	       t.n * sizeof(struct uw_row) / 1024, t.unsupported,
	       (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6, ok, funcs);
	CHECK(funcs > 1000);
	/* a handful are assembly aliases of a function's middle (none today) */
	CHECK(ok * 100 >= funcs * 99);
	uw_table_free(&t);
}

/* Our own .plt (calls into libc go through it) is described by the
 * DW_OP expression binutils emits: it must come out as UW_CFA_PLT. */
static void test_plt_rows(void)
{
	struct object o = { .bias = 0 };
	struct uw_table t = { .n = 0 };
	size_t plt = 0;

	CHECK(object_of((uint64_t)(uintptr_t)known_leaf, &o));
	CHECK(build_for(o.path, &t));
	for (size_t i = 0; i < t.n; i++)
		if (t.rows[i].cfa == UW_CFA_PLT) {
			plt++;
			CHECK_U64(t.rows[i].cfa_off, 8);
			CHECK(t.rows[i].slot == 10 || t.rows[i].slot == 11);	/* the threshold */
		}
	CHECK(plt >= 1);
	uw_table_free(&t);
}

static void test_no_cfi(void)
{
	struct uw_table t;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	CHECK(uw_table_build_fd(fd, &t) < 0);
	CHECK_U64(t.n, 0);
	close(fd);
}

/* --- walking our own stack ---------------------------------------------------- */

#define MAX_OBJECTS 16

struct walker {
	struct object obj[MAX_OBJECTS];
	struct uw_table tab[MAX_OBJECTS];
	int n;
};

static const struct uw_row *walker_row(struct walker *w, uint64_t pc, bool *known)
{
	struct object o;
	int i;

	for (i = 0; i < w->n; i++)
		if (pc >= w->obj[i].lo && pc < w->obj[i].hi)
			break;
	if (i == w->n) {
		if (w->n == MAX_OBJECTS || !object_of(pc, &o)) {
			*known = false;
			return NULL;
		}
		w->obj[i] = o;
		if (!build_for(o.path, &w->tab[i]))
			w->tab[i].n = 0;
		w->n++;
	}
	*known = true;
	return uw_table_find(&w->tab[i], pc - w->obj[i].bias);
}

static bool read_own(void *ctx, uint64_t addr, uint64_t *v)
{
	(void)ctx;
	/* our own stack, addresses the walk computed from it */
	*v = *(const uint64_t *)(uintptr_t)addr;	// NOLINT(performance-no-int-to-ptr): reading memory at an address is the point
	return true;
}

/* Walks from regs as the BPF program does: each pc looked up at pc - 1
 * (a return address is one past its call), stopping outside any object. */
static int walk(struct walker *w, struct uw_regs regs, uint64_t *pcs, int max)
{
	int n = 0;

	while (n < max) {
		bool known;
		const struct uw_row *row = walker_row(w, regs.pc - 1, &known);

		if (!known)
			break;
		pcs[n++] = regs.pc;
		if (uw_step(EM_X86_64, row, &regs, read_own, NULL) != UW_STEP_OK)
			break;
	}
	return n;
}

struct chain_out {
	uint64_t ours[64];
	void *theirs[64];
	int n_ours, n_theirs;
	int sink;
	struct walker *w;
};

static __attribute__((noipa)) void chain3(struct chain_out *c)
{
	struct uw_regs regs = { .lr = 0 };

	capture_regs(&regs);
	c->n_theirs = backtrace(c->theirs, 64);
	c->n_ours = walk(c->w, regs, c->ours, 64);
}

/* Some stack traffic, so the frames have real CFA offsets. */
#define CHAIN_LINK(name, next, pad_size)				\
static __attribute__((noipa)) void name(struct chain_out *c)		\
{									\
	volatile unsigned char pad[pad_size];					\
									\
	pad[c->n_ours % (pad_size)] = 1;				\
	next(c);							\
	pad[0] = 2;							\
	c->sink = pad[0];						\
}
CHAIN_LINK(chain2e, chain3, 24)
CHAIN_LINK(chain2d, chain2e, 200)
CHAIN_LINK(chain2c, chain2d, 8)
CHAIN_LINK(chain2b, chain2c, 4000)
CHAIN_LINK(chain2a, chain2b, 48)

static __attribute__((noipa)) void chain1(struct chain_out *c)
{
	chain2a(c);
	__asm__ volatile("" ::: "memory");
}

static void test_walk_own_stack_like_backtrace(void)
{
	static struct walker w;
	struct chain_out c = { .w = &w };
	int same = 0, j = 0;

	chain1(&c);
	/* ours[0] is chain3's return from capture_regs, theirs[0] the one
	 * from backtrace (under ASan its interceptor's frame comes first):
	 * from chain2e's return address on, both list the same callers */
	while (j < c.n_theirs && c.n_ours > 1 && (uint64_t)(uintptr_t)c.theirs[j] != c.ours[1])
		j++;
	CHECK(c.n_ours >= 10);
	CHECK(j < c.n_theirs);
	for (int i = 1; i < c.n_ours && j < c.n_theirs; i++, j++) {
		if (c.ours[i] == (uint64_t)(uintptr_t)c.theirs[j])
			same++;
		else
			printf("  frame %d: ours 0x%llx, backtrace %p\n", i,
			       (unsigned long long)c.ours[i], c.theirs[j]);
	}
	printf("  walked %d frames, backtrace %d, %d equal\n", c.n_ours, c.n_theirs, same);
	/* both stop at _start, whose return address is undefined */
	CHECK_U64(same, c.n_ours - 1);
	CHECK(j == c.n_theirs);
	for (int i = 0; i < w.n; i++)
		uw_table_free(&w.tab[i]);
}

/* lld's layout (rustc's default linker): the read-only segment's last page
 * is the code's first, so the code's mapping (offset 0x12000, r-x) lies in
 * both segments' file ranges; the segment mapped there is the executable
 * one. Numbers from a rustc 1.95 binary (readelf -l). */
static void test_load_bias_lld_shared_page(void)
{
	const struct uw_load lld[] = {
		{ .vaddr = 0, .offset = 0, .filesz = 0x12860, .exec = false },
		{ .vaddr = 0x13860, .offset = 0x12860, .filesz = 0x3ca40, .exec = true },
		{ .vaddr = 0x512a0, .offset = 0x4f2a0, .filesz = 0x2628, .exec = false },
	};
	const struct uw_load gnu_ld[] = {	/* page-aligned segments (GNU ld) */
		{ .vaddr = 0, .offset = 0, .filesz = 0x5e0, .exec = false },
		{ .vaddr = 0x1000, .offset = 0x1000, .filesz = 0x1d5, .exec = true },
	};
	const uint64_t base = 0x555555554000ULL;
	uint64_t bias = 0;

	CHECK(uw_load_bias(lld, 3, base + 0x13000, 0x12000, true, 4096, &bias));
	CHECK_U64(bias, base);
	CHECK(uw_load_bias(lld, 3, base, 0, false, 4096, &bias));
	CHECK_U64(bias, base);
	/* the data segment, mapped from its own page */
	CHECK(uw_load_bias(lld, 3, base + 0x51000, 0x4f000, false, 4096, &bias));
	CHECK_U64(bias, base);
	CHECK(uw_load_bias(gnu_ld, 2, base + 0x1000, 0x1000, true, 4096, &bias));
	CHECK_U64(bias, base);
	/* made executable since (mprotect): the one segment holding it */
	CHECK(uw_load_bias(gnu_ld, 2, base, 0, true, 4096, &bias));
	CHECK_U64(bias, base);
	/* an offset no segment holds */
	CHECK(!uw_load_bias(gnu_ld, 2, base + 0x9000, 0x9000, true, 4096, &bias));
}

int main(void)
{
	RUN(test_known_functions);
	RUN(test_libc_entry_rows);
	RUN(test_plt_rows);
	RUN(test_no_cfi);
	RUN(test_walk_own_stack_like_backtrace);
	RUN(test_load_bias_lld_shared_page);
	UNIT_EXIT();
}
