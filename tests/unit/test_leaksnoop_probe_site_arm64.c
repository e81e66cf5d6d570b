// SPDX-License-Identifier: GPL-2.0
/* Unit tests for probe_site.c's arm64 rules (probe_site_arm64.c), run on
 * any machine: encodings with known answers (from aarch64-linux-gnu-as),
 * then Debian's arm64 C and C++ libraries (libc6-arm64-cross,
 * libstdc++6-arm64-cross), every chosen site checked against an
 * independent decode, aarch64-linux-gnu-objdump's: the instruction at the
 * site is one the kernel simulates for a uprobe, none before it branches
 * or is a branch's target, an argument read from its ABI register was not
 * written on the way, and a return probe's site comes before anything
 * touches x30 or moves sp. */
#include "unit.h"
#include "allocators.h"
#include "probe_site.h"

#include <ctype.h>
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#define A64(w) (uint8_t)(w), (uint8_t)((w) >> 8), (uint8_t)((w) >> 16), (uint8_t)((w) >> 24)

#define CBZ_X0_FWD	0xb40003a0	/* cbz x0, +0x74 */
#define STP_FP_LR	0xa9bf7bfd	/* stp x29, x30, [sp, #-16]! */
#define MOV_FP_SP	0x910003fd	/* mov x29, sp */
#define MOV_X19_X0	0xaa0003f3
#define MOV_X9_X0	0xaa0003e9
#define MOV_X0_0	0xd2800000	/* mov x0, #0 */
#define MOV_W9_W0	0x2a0003e9
#define PACIASP		0xd503233f
#define BTI_C		0xd503245f
#define NOP		0xd503201f
#define LDR_LIT		0x58000001	/* ldr x1, . */
#define LDRSW_LIT	0x98000001
#define LDR_X1_X2	0xf9400041	/* ldr x1, [x2] */
#define ADR		0x10000001
#define ADRP		0x90000001
#define B_SELF		0x14000000
#define BL_SELF		0x94000000
#define BEQ_SELF	0x54000000
#define CBNZ_W1		0x35000001
#define TBZ_W0		0x36180000
#define TBNZ_W1		0x37f80001
#define BR_X16		0xd61f0200
#define BLR_X1		0xd63f0020
#define RET		0xd65f03c0
#define RETAA		0xd65f0bff
#define MRS_TPIDR	0xd53bd054
#define STR_LR		0xf90007fe	/* str x30, [sp, #8] */
#define SUB_SP		0xd10083ff	/* sub sp, sp, #32 */
#define SVC		0xd4000001
#define MOV_LR_X0	0xaa0003fe	/* mov x30, x0 */

static struct site_choice pick(const uint8_t *code, size_t len, unsigned args, bool keep_stack)
{
	struct site_req r = { .machine = EM_AARCH64, .code = code, .len = len, .addr = 0x1000,
			      .args = args, .keep_stack = keep_stack };
	struct site_choice c;

	CHECK(probe_site_choose(&r, &c) == 0);
	return c;
}

static void test_simulated_encodings(void)
{
	static const uint32_t yes[] = { CBZ_X0_FWD, ADR, ADRP, B_SELF, BL_SELF, BEQ_SELF, CBNZ_W1,
					TBZ_W0, TBNZ_W1, BR_X16, BLR_X1, RET };
	/* single-stepped, or (ldr/ldrsw literal since CVE-2024-50099's fix,
	 * retaa, mrs) refused outright */
	static const uint32_t no[] = { STP_FP_LR, MOV_FP_SP, MOV_X19_X0, PACIASP, BTI_C, NOP,
				       LDR_LIT, LDRSW_LIT, LDR_X1_X2, RETAA, MRS_TPIDR, SVC, SUB_SP };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(arm64_insn_is_emulated(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(!arm64_insn_is_emulated(no[i]));
}

/* glibc 2.36's free: cbz x0 first */
static void test_entry_cbz(void)
{
	static const uint8_t code[] = { A64(CBZ_X0_FWD), A64(STP_FP_LR), A64(RET) };
	struct site_choice c = pick(code, sizeof(code), 1, true);

	CHECK_U64(c.offset, 0);
	CHECK(c.reason == SITE_AT_ENTRY);
	CHECK_U64(c.arg_reg[0], 0);
	CHECK_STR(pt_reg_name(EM_AARCH64, c.arg_reg[0]), "x0");
}

/* the prologue's stp is stepped: an entry probe moves past it, a return
 * probe cannot (x30 is saved, sp moved: a hijack after it is lost) */
static void test_after_prologue(void)
{
	static const uint8_t code[] = { A64(STP_FP_LR), A64(MOV_FP_SP), A64(ADRP), A64(RET) };
	struct site_choice c = pick(code, sizeof(code), 1, false);

	CHECK_U64(c.offset, 8);
	CHECK(c.reason == SITE_MOVED);
	CHECK_U64(c.arg_reg[0], 0);
	c = pick(code, sizeof(code), 1, true);
	CHECK_U64(c.offset, 0);
	CHECK(c.reason == SITE_SINGLE_STEP);
	CHECK(!c.emulated);
}

/* anything that reads or writes x30, or signs it, ends a return probe's
 * search: str x30, mov x30, paciasp, sub sp */
static void test_return_address_moves(void)
{
	static const uint32_t first[] = { STR_LR, MOV_LR_X0, PACIASP, SUB_SP };

	for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
		const uint8_t code[] = { A64(first[i]), A64(CBZ_X0_FWD), A64(RET) };

		CHECK_U64(pick(code, sizeof(code), 1, true).offset, 0);
		CHECK_U64(pick(code, sizeof(code), 1, false).offset, 4);
	}
	/* bti c touches nothing */
	{
		const uint8_t code[] = { A64(BTI_C), A64(CBZ_X0_FWD), A64(RET) };

		CHECK_U64(pick(code, sizeof(code), 1, true).offset, 4);
	}
}

/* mov x9, x0; mov x0, #0; cbz: the argument is read from x9. A copy to
 * x19 is past what BPF loads (x0-x14); a w copy drops the upper half. */
static void test_register_copy(void)
{
	static const uint8_t low[] = { A64(MOV_X9_X0), A64(MOV_X0_0), A64(CBZ_X0_FWD), A64(RET) };
	static const uint8_t high[] = { A64(MOV_X19_X0), A64(MOV_X0_0), A64(CBZ_X0_FWD), A64(RET) };
	static const uint8_t narrow[] = { A64(MOV_W9_W0), A64(MOV_X0_0), A64(CBZ_X0_FWD), A64(RET) };
	struct site_choice c = pick(low, sizeof(low), 1, false);

	CHECK_U64(c.offset, 8);
	CHECK_U64(c.arg_reg[0], 9);
	c = pick(high, sizeof(high), 1, false);
	CHECK(c.reason == SITE_SINGLE_STEP);
	CHECK_U64(c.arg_reg[0], 0);
	c = pick(narrow, sizeof(narrow), 1, false);
	CHECK(c.reason == SITE_SINGLE_STEP);
	/* an argument nobody needs does not hold the site back */
	CHECK_U64(pick(narrow, sizeof(narrow), 2, false).offset, 8);
}

/* cmp x0, #0x1000; b.hi: cmp writes only the flags (Capstone 4 says it
 * writes x0) */
static void test_compare(void)
{
	static const uint8_t code[] = { A64(0xf140041f), A64(0x54000088), A64(RET) };
	struct site_choice c = pick(code, sizeof(code), 1, true);

	CHECK_U64(c.offset, 4);
	CHECK_U64(c.arg_reg[0], 0);
}

/* ldr (literal) is no site (refused since CVE-2024-50099's fix): the
 * search goes on to the cbz */
static void test_literal_load_skipped(void)
{
	static const uint8_t code[] = { A64(LDR_LIT), A64(LDRSW_LIT), A64(NOP), A64(CBZ_X0_FWD),
					A64(RET) };
	struct site_choice c = pick(code, sizeof(code), 1, true);

	CHECK_U64(c.offset, 12);
	CHECK(c.emulated);
}

/* b at the entry: a wrapper (libstdc++'s operator delete) */
static void test_tail_jump(void)
{
	static const uint8_t code[] = { A64(0x17ffe714), A64(NOP) };	/* b -0x63b0 */
	struct site_choice c = pick(code, sizeof(code), 1, false);

	CHECK(c.reason == SITE_TAIL_JUMP);
	CHECK_U64(c.jump_target, 0x1000 - 0x63b0);
	CHECK(c.emulated);
	/* bl is a call, not a wrapper */
	{
		static const uint8_t call[] = { A64(BL_SELF), A64(RET) };

		CHECK(pick(call, sizeof(call), 1, true).reason == SITE_AT_ENTRY);
	}
}

/* ldr x1, [x2]; nop; cbz at +8; b.ne back to +8 at +12: +8 can be
 * reached without the entry; with the b.ne going to +4, +8 is fine */
static void test_branch_into_prefix(void)
{
	uint8_t code[] = { A64(LDR_X1_X2), A64(NOP), A64(CBZ_X0_FWD), A64(0x54ffffe1), A64(RET) };
	struct site_choice c = pick(code, sizeof(code), 1, false);

	CHECK_U64(c.offset, 0);
	CHECK(c.reason == SITE_SINGLE_STEP);
	memcpy(&code[12], (const uint8_t[]){ A64(0x54ffffc1) }, 4);	/* b.ne -8 = +4 */
	c = pick(code, sizeof(code), 1, false);
	CHECK_U64(c.offset, 0);
	memcpy(&code[12], (const uint8_t[]){ A64(0x54000041) }, 4);	/* b.ne +8, past */
	c = pick(code, sizeof(code), 1, false);
	CHECK_U64(c.offset, 8);
}

static void test_empty_and_garbage(void)
{
	static const uint8_t bad[] = { 0xff, 0xff, 0xff, 0xff, 0x00 };
	struct site_choice c = pick(bad, 0, 1, true);

	CHECK_U64(c.offset, 0);
	CHECK_U64(c.arg_reg[0], 0);
	c = pick(bad, sizeof(bad), 1, true);
	CHECK_U64(c.offset, 0);
	CHECK(!c.emulated);
}

static void test_unknown_machine(void)
{
	static const uint8_t code[] = { A64(RET) };
	struct site_req r = { .machine = EM_RISCV, .code = code, .len = sizeof(code), .args = 1 };
	struct site_choice c;

	CHECK(probe_site_choose(&r, &c) == -1);
	CHECK_U64(c.offset, 0);
	CHECK(!site_machine_known(EM_RISCV));
	CHECK(site_machine_known(EM_AARCH64) && site_machine_known(EM_X86_64));
}

/* ---- Debian's arm64 libraries, against aarch64-linux-gnu-objdump ------------------ */

#define ARM64_LIBDIR "/usr/aarch64-linux-gnu/lib/"
#define OBJDUMP "aarch64-linux-gnu-objdump"

/* one line of objdump -d --no-show-raw-insn */
struct dis {
	uint64_t addr;
	char mn[12];
	char ops[52];
};

struct listing {
	struct dis *v;
	size_t n, cap;
};

/* objdump's disassembly of path's [lo, hi); 0, or -1 if objdump failed */
static int objdump(const char *path, uint64_t lo, uint64_t hi, struct listing *l)
{
	char cmd[PATH_MAX + 160], line[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), OBJDUMP " -d --no-show-raw-insn --start-address=0x%llx "
		 "--stop-address=0x%llx '%s' 2>/dev/null", (unsigned long long)lo,
		 (unsigned long long)hi, path);
	f = popen(cmd, "r");	// NOLINT(cert-env33-c): the test's fixed objdump command
	if (!f)
		return -1;
	memset(l, 0, sizeof(*l));
	while (fgets(line, sizeof(line), f)) {
		struct dis d = { 0 };
		char *cut = strchr(line, '<'), *end;

		if (cut)
			*cut = 0;	/* "b 9a8b0 <free@plt>": the symbol goes */
		line[strcspn(line, "\n")] = 0;
		/* "   8f5d4:\tcbz\tx0, 8f6e4 " */
		d.addr = strtoull(line, &end, 16);
		if (end == line || end[0] != ':' || end[1] != '\t' || !end[2])
			continue;
		end += 2;
		snprintf(d.mn, sizeof(d.mn), "%.*s", (int)strcspn(end, "\t "), end);
		end += strcspn(end, "\t");
		snprintf(d.ops, sizeof(d.ops), "%s", *end ? end + 1 : "");
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 4096;
			l->v = realloc(l->v, l->cap * sizeof(*l->v));
		}
		l->v[l->n++] = d;
	}
	return pclose(f) == 0 && l->n ? 0 : -1;
}

static bool mn_is(const struct dis *d, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(d->mn, *set))
			return true;
	return false;
}

/* what arch/arm64/kernel/probes/decode-insn.c simulates, by objdump's names */
static bool oracle_simulated(const struct dis *d)
{
	static const char *const set[] = { "b", "bl", "br", "blr", "ret", "cbz", "cbnz", "tbz",
					   "tbnz", "adr", "adrp", NULL };

	return mn_is(d, set) || !strncmp(d->mn, "b.", 2);
}

static bool oracle_branch(const struct dis *d)
{
	static const char *const set[] = { "svc", "brk", "hlt", "udf", "eret", "braa", "brab",
					   "blraa", "blrab", "retaa", "retab", "braaz", "brabz",
					   "blraaz", "blrabz", NULL };

	return (oracle_simulated(d) && strcmp(d->mn, "adr") != 0 && strcmp(d->mn, "adrp") != 0) ||
	       mn_is(d, set) || !strncmp(d->mn, "bc.", 3);
}

/* a direct branch's target: its last operand, hex without 0x */
static uint64_t oracle_target(const struct dis *d)
{
	const char *last = strrchr(d->ops, ',');

	if (!oracle_branch(d) || !strcmp(d->mn, "br") || !strcmp(d->mn, "blr") || !strcmp(d->mn, "ret"))
		return 0;
	return strtoull(last ? last + 1 : d->ops, NULL, 16);
}

/* the instruction writes register r (x or w) as its destination */
static bool oracle_writes(const struct dis *d, unsigned r)
{
	static const char *const no_dest[] = { "cmp", "cmn", "tst", "ccmp", "ccmn", "prfm", "fcmp",
					       "cbz", "cbnz", "tbz", "tbnz", "br", "blr", "ret", NULL };
	char x[8], w[8], first[16] = "", second[16] = "";

	if (!strncmp(d->mn, "st", 2) || mn_is(d, no_dest))
		return false;
	snprintf(x, sizeof(x), "x%u", r);
	snprintf(w, sizeof(w), "w%u", r);
	(void)sscanf(d->ops, "%15[^,], %15[^,]", first, second);
	if (!strcmp(first, x) || !strcmp(first, w))
		return true;
	return !strncmp(d->mn, "ldp", 3) && (!strcmp(second, x) || !strcmp(second, w));
}

/* the operands name register r (not as part of #0x30) */
static bool names_reg(const char *ops, const char *r)
{
	size_t n = strlen(r);

	for (const char *p = strstr(ops, r); p; p = strstr(p + 1, r))
		if ((p == ops || strchr(" [{,", p[-1])) && !isalnum((unsigned char)p[n]))
			return true;
	return false;
}

/* it reads or writes x30, or moves sp */
static bool oracle_moves_return(const struct dis *d)
{
	static const char *const pac[] = { "paciasp", "pacibsp", "autiasp", "autibsp", "xpaclri",
					   "paciaz", "pacibz", "autiaz", "autibz", NULL };

	return names_reg(d->ops, "x30") || names_reg(d->ops, "w30") || strstr(d->ops, "sp]!") ||
	       strstr(d->ops, "[sp], ") || !strncmp(d->ops, "sp,", 3) || mn_is(d, pac);
}

/* The checks the file's comment lists, of one choice; the number failed. */
static int oracle_check(const struct listing *l, uint64_t lo, uint64_t hi,
			const struct site_choice *c, unsigned args, bool keep_stack, const char *what)
{
	uint64_t site = lo + c->offset;
	const struct dis *at = NULL;
	int bad = 0;

#define ORACLE(cond) do { if (!(cond)) { bad++; printf("  %s +%u %s: %s\n", what, c->offset, c->insn, #cond); } } while (0)
	for (size_t i = 0; i < l->n; i++) {
		const struct dis *d = &l->v[i];
		uint64_t t = oracle_target(d);

		if (d->addr < lo || d->addr >= hi)
			continue;
		if (d->addr == site)
			at = d;
		if (c->reason != SITE_TAIL_JUMP)
			ORACLE(!(t > lo && t <= site));		/* no branch lands on the way */
		if (d->addr >= site)
			continue;
		ORACLE(!oracle_branch(d));
		if (keep_stack)
			ORACLE(!oracle_moves_return(d));
		for (unsigned a = 0; a < SITE_MAX_ARGS; a++)
			if ((args & (1U << a)) && c->arg_reg[a] == a)
				ORACLE(!oracle_writes(d, a));
	}
	ORACLE(at != NULL || l->n == 0);
	if (at && c->emulated)
		ORACLE(oracle_simulated(at));
	if (at && !c->emulated)
		ORACLE(!oracle_simulated(at) || c->reason == SITE_TAIL_JUMP);
	if (!c->emulated && c->reason != SITE_TAIL_JUMP)
		ORACLE(c->offset == 0);
	for (unsigned a = 0; a < SITE_MAX_ARGS; a++)
		if (args & (1U << a))
			ORACLE(c->arg_reg[a] < SITE_READABLE_SLOTS);
#undef ORACLE
	return bad;
}

/* A function of an arm64 library: its code and symbol. */
struct arm64_fn {
	struct alloc_obj o;
	const struct obj_sym *s;
	uint8_t *code;
};

static bool load_fn(struct arm64_fn *f, const char *lib, const char *fn)
{
	memset(f, 0, sizeof(*f));
	if (alloc_obj_load(&f->o, lib, lib, false)) {
		printf("  %s: cannot load (install-deps installs gcc-aarch64-linux-gnu)\n", lib);
		return false;
	}
	CHECK_U64(f->o.machine, EM_AARCH64);
	for (size_t i = 0; i < f->o.n_dyn; i++)
		if (!strcmp(f->o.dyn[i].name, fn))
			f->s = &f->o.dyn[i];
	if (!f->s)
		return false;
	f->code = malloc(f->s->size + 16);
	return f->code && alloc_read_code(f->o.path, f->s->file_off, f->code, f->s->size) == (int)f->s->size;
}

static struct site_choice choose_in(const struct arm64_fn *f, unsigned args, bool keep_stack)
{
	struct site_req r = { .machine = f->o.machine, .code = f->code, .len = f->s->size,
			      .addr = f->s->vaddr, .args = args, .keep_stack = keep_stack };
	struct site_choice c;

	CHECK(probe_site_choose(&r, &c) == 0);
	return c;
}

struct real_case {
	const char *lib, *fn;
	bool with_return;
	unsigned args;
	enum site_reason want;
	uint32_t offset;
};

static void check_real(const struct real_case *rc)
{
	struct arm64_fn f;
	struct listing l = { 0 };
	struct site_choice c;
	char what[128];

	snprintf(what, sizeof(what), "%s:%s%s", rc->lib, rc->fn, rc->with_return ? " (return)" : "");
	CHECK(load_fn(&f, rc->lib, rc->fn));
	if (!f.s || !f.code) {
		free(f.code);
		alloc_obj_free(&f.o);
		return;
	}
	c = choose_in(&f, rc->args, rc->with_return);
	printf("  %s -> +%u %s (%s: %s)\n", what, c.offset, c.insn, site_reason_name(c.reason), c.why);
	CHECK(c.reason == rc->want);
	CHECK_U64(c.offset, rc->offset);
	CHECK(objdump(f.o.path, f.s->vaddr, f.s->vaddr + f.s->size, &l) == 0);
	CHECK(oracle_check(&l, f.s->vaddr, f.s->vaddr + f.s->size, &c, rc->args, rc->with_return,
			   what) == 0);
	if (c.reason == SITE_TAIL_JUMP)	/* into the PLT: attach_user.c drops it */
		CHECK(c.jump_target >= f.o.plt_lo && c.jump_target < f.o.plt_hi);
	free(l.v);
	free(f.code);
	alloc_obj_free(&f.o);
}

static void test_real_glibc(void)
{
	const char *libc = ARM64_LIBDIR "libc.so.6";

	/* free's first instruction is cbz x0 */
	check_real(&(struct real_case){ libc, "free", false, 1, SITE_AT_ENTRY, 0 });
	/* malloc, calloc, realloc open with stp x29, x30: a return probe
	 * stays at the entry; an entry-only one would move to adrp */
	check_real(&(struct real_case){ libc, "malloc", true, 1, SITE_SINGLE_STEP, 0 });
	check_real(&(struct real_case){ libc, "malloc", false, 1, SITE_MOVED, 12 });
	check_real(&(struct real_case){ libc, "calloc", true, 3, SITE_SINGLE_STEP, 0 });
	check_real(&(struct real_case){ libc, "realloc", true, 3, SITE_SINGLE_STEP, 0 });
}

static void test_real_libstdcxx(void)
{
	const char *lib = ARM64_LIBDIR "libstdc++.so.6";

	/* operator new: stp first; its argument is gone (mov x0, x19) before
	 * its first branch */
	check_real(&(struct real_case){ lib, "_Znwm", true, 1, SITE_SINGLE_STEP, 0 });
	check_real(&(struct real_case){ lib, "_Znwm", false, 1, SITE_SINGLE_STEP, 0 });
	/* sized delete is b to delete through the PLT */
	check_real(&(struct real_case){ lib, "_ZdlPvm", false, 1, SITE_TAIL_JUMP, 0 });
}

/* Every function libc exports, each argument mask, with and without a
 * return probe: the oracle agrees with every choice. */
struct fn_sym {
	uint64_t vaddr, off, size;
	const char *name;
};

/* libc's exported functions (an Elf on *fd it keeps open for the names) */
static size_t exported_functions(const char *path, int *fd, Elf **e, struct fn_sym **out)
{
	Elf_Scn *scn = NULL;
	size_t n = 0;

	*out = NULL;
	elf_version(EV_CURRENT);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	*e = *fd < 0 ? NULL : elf_begin(*fd, ELF_C_READ, NULL);
	while (*e && !*out && (scn = elf_nextscn(*e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d = elf_getdata(scn, NULL);

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !d || !sh.sh_entsize)
			continue;
		*out = calloc(sh.sh_size / sh.sh_entsize, sizeof(**out));
		for (size_t i = 0; *out && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			GElf_Shdr t;
			Elf_Scn *ts;

			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    !s.st_size || !(ts = elf_getscn(*e, s.st_shndx)) || !gelf_getshdr(ts, &t))
				continue;
			(*out)[n++] = (struct fn_sym){ s.st_value, s.st_value - t.sh_addr + t.sh_offset,
						       s.st_size, elf_strptr(*e, sh.sh_link, s.st_name) };
		}
	}
	return n;
}

static void test_every_libc_function(void)
{
	const char *path = ARM64_LIBDIR "libc.so.6";
	struct listing l = { 0 };
	struct fn_sym *fns;
	Elf *e;
	int fd;
	size_t nf = exported_functions(path, &fd, &e, &fns);
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t n = 0, moved = 0, entry = 0, bad = 0;
	uint8_t *code = malloc(16384);

	CHECK(nf > 1000 && code);
	for (size_t i = 0; i < nf; i++) {
		lo = fns[i].vaddr < lo ? fns[i].vaddr : lo;
		hi = fns[i].vaddr + fns[i].size > hi ? fns[i].vaddr + fns[i].size : hi;
	}
	CHECK(nf && objdump(path, lo, hi, &l) == 0);
	for (size_t i = 0; code && i < nf && l.n; i++) {
		const struct fn_sym *s = &fns[i];
		size_t len = s->size < 16384 ? s->size : 16384, at = 0;
		struct listing one = { 0 };

		if (alloc_read_code(path, s->off, code, len) != (int)len)
			continue;
		while (at < l.n && l.v[at].addr < s->vaddr)	/* l is sorted by address */
			at++;
		one.v = &l.v[at];
		for (one.n = 0; at + one.n < l.n && l.v[at + one.n].addr < s->vaddr + len; one.n++)
			;
		for (unsigned args = 1; args < 8; args += 2)
			for (int keep = 0; keep < 2; keep++) {
				struct site_req r = { .machine = EM_AARCH64, .code = code, .len = len,
						      .addr = s->vaddr, .args = args, .keep_stack = keep };
				struct site_choice c;

				CHECK(probe_site_choose(&r, &c) == 0);
				n++;
				moved += c.reason == SITE_MOVED;
				entry += c.reason == SITE_AT_ENTRY;
				bad += oracle_check(&one, s->vaddr, s->vaddr + len, &c, args, keep,
						    s->name) != 0;
			}
	}
	printf("  %zu choices in %zu functions: %zu at an emulated entry, %zu moved, %zu wrong\n",
	       n, n / 8, entry, moved, bad);
	CHECK(n > 8000);
	CHECK(moved > n / 10);
	CHECK_U64(bad, 0);
	free(l.v);
	free(code);
	free(fns);
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	RUN(test_simulated_encodings);
	RUN(test_entry_cbz);
	RUN(test_after_prologue);
	RUN(test_return_address_moves);
	RUN(test_register_copy);
	RUN(test_compare);
	RUN(test_literal_load_skipped);
	RUN(test_tail_jump);
	RUN(test_branch_into_prefix);
	RUN(test_empty_and_garbage);
	RUN(test_unknown_machine);
	RUN(test_real_glibc);
	RUN(test_real_libstdcxx);
	RUN(test_every_libc_function);
	UNIT_EXIT();
}
