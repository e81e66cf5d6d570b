// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the arm64 unwind tables (user/lib/unwind_arm64.c), on
 * any machine, against arm64 ELF files built at test-build time
 * (tests/unit/arm64/frames.c, cross-compiled -O2 without frame pointers,
 * with -mbranch-protection=pac-ret, with frame pointers; Makefile) and
 * Debian's arm64 libc (its cross package), with two oracles independent
 * of libdw and of our code:
 * - every row `aarch64-linux-gnu-readelf --debug-dump=frames-interp` prints
 *   of a file's .eh_frame (FILE.frames, written by the Makefile) must mean
 *   what our row at that address means: the CFA, where x30 is, where x29
 *   is; or ours must be UW_CFA_NONE, and then the rule is one the rows
 *   can't express. (llvm-dwarfdump 14 is no oracle: it forgets the CFA
 *   across DW_CFA_remember_state/restore_state, which GCC emits for
 *   -O2 code with several exits);
 * - the walk of a stack the program dumped under qemu-aarch64 (FILE.walk)
 *   with uw_step must give the frames glibc's backtrace() gave (libgcc's
 *   unwinder), through a 70,000-byte frame and, with pac-ret, return
 *   addresses saved with pointer-authentication codes. */
#define _GNU_SOURCE
#include "unit.h"
#include "unwind_unit.h"

#include <elf.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#define CROSS_ROOT "/usr/aarch64-linux-gnu"	/* Debian's libc6-arm64-cross */

static char data_dir[PATH_MAX];	/* build/tests/arm64, next to this binary */

static void find_data_dir(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return;
	self[n] = 0;
	snprintf(data_dir, sizeof(data_dir), "%s/arm64", dirname(self));
}

/* --- what a row means --------------------------------------------------------- */

enum where { AT_NONE, AT_CFA, IN_LR, UNDEFINED, OTHER };

/* A row's rules as the oracle states them: the CFA from which register
 * plus how much, and for x30 and x29 where they are (AT_CFA: at CFA + k;
 * x29 AT_NONE: unchanged). */
struct meaning {
	char cfa_reg[8];	/* "sp", "x29" as readelf names them */
	long cfa_off;
	enum where ra, fp;
	long ra_k, fp_k;
};

/* What our row says, in the oracle's terms. false: UW_CFA_NONE. */
static bool meaning_of_row(const struct uw_row *r, struct meaning *m)
{
	long off = 8L * r->cfa_off, s = 8L * r->slot;

	memset(m, 0, sizeof(*m));
	if (r->cfa == UW_CFA_END) {
		m->ra = UNDEFINED;
		return true;
	}
	if (r->cfa != UW_CFA_SP && r->cfa != UW_CFA_FP)
		return false;
	strcpy(m->cfa_reg, r->cfa == UW_CFA_SP ? "sp" : "x29");
	m->cfa_off = off;
	m->ra = AT_CFA;
	switch (r->ra) {
	case UW_RA_CFA8:
	case UW_RA_LR:
		m->ra = r->ra == UW_RA_LR ? IN_LR : AT_CFA;
		m->ra_k = -8;
		m->fp = r->slot ? AT_CFA : AT_NONE;
		m->fp_k = s;
		break;
	case UW_RA_CFA_SLOT:
		m->ra_k = s;
		break;
	case UW_RA_BASE_SLOT:
		m->ra_k = s - off;
		break;
	case UW_RA_CFA_REC:
	case UW_RA_BASE_REC:
		m->fp = AT_CFA;
		m->fp_k = r->ra == UW_RA_CFA_REC ? s : s - off;
		m->ra_k = m->fp_k + 8;
		break;
	default:
		return false;
	}
	return true;
}

/* One column of readelf's: "c-24" (saved at CFA - 24), "u" (no rule in
 * this FDE, or undefined: readelf prints both so), "s" (same value); the
 * rest ("r19", "exp", "v+8") none the rows take. */
static enum where parse_rule(const char *v, long *k)
{
	char *end;

	*k = 0;
	if (v[0] == 'c' && (v[1] == '+' || v[1] == '-')) {
		*k = strtol(v + 1, &end, 10);
		return *end ? OTHER : AT_CFA;
	}
	if (strcmp(v, "u") == 0 || strcmp(v, "s") == 0)
		return AT_NONE;
	return OTHER;
}

/* readelf --debug-dump=frames-interp's table of one FDE: a header naming
 * the columns ("   LOC           CFA      x19   x29   ra    "), then a
 * row per address ("0000000000000b70 sp+608   c-608 c-600 u     c-560 ").
 * x30 is the column "ra"; "u" there: still in x30, or undefined (the
 * stack's end), which readelf doesn't tell apart. */
struct readelf_table {
	char cols[64][16];
	int ncols;
	bool in_cie;	/* the CIE's initial rows, not an FDE's */
	int ra_column;	/* the FDE's CIE's ("ra=30"): hand-written code may say another */
	struct {
		unsigned long off;
		int ra;
	} cies[256];
	int ncies;
};

/* Parses one line: true with *pc and *m for a row of an FDE. */
static bool parse_row_line(struct readelf_table *rt, char *line, unsigned long *pc,
			   struct meaning *m)
{
	char *save = NULL, *tok, *end;
	int col = 0;

	if (strstr(line, " CIE")) {
		const char *ra = strstr(line, " ra=");

		rt->in_cie = true;
		if (rt->ncies < 256) {
			rt->cies[rt->ncies].off = strtoul(line, NULL, 16);
			rt->cies[rt->ncies++].ra = ra ? (int)strtol(ra + 4, NULL, 10) : -1;
		}
		return false;
	}
	if (strstr(line, " FDE ")) {
		const char *cie = strstr(line, "cie=");
		unsigned long off = cie ? strtoul(cie + 4, NULL, 16) : ~0UL;

		rt->in_cie = false;
		rt->ra_column = -1;
		for (int i = 0; i < rt->ncies; i++)
			if (rt->cies[i].off == off)
				rt->ra_column = rt->cies[i].ra;
		return false;
	}
	if (strncmp(line, "   LOC", 6) == 0) {
		rt->ncols = 0;
		for (tok = strtok_r(line, " \n", &save); tok && rt->ncols < 64;
		     tok = strtok_r(NULL, " \n", &save))
			snprintf(rt->cols[rt->ncols++], sizeof(rt->cols[0]), "%s", tok);
		return false;
	}
	*pc = strtoul(line, &end, 16);
	if (rt->in_cie || end != line + 16 || *end != ' ')
		return false;
	memset(m, 0, sizeof(*m));
	m->ra = rt->ra_column == 30 ? IN_LR : OTHER;
	m->ra_k = -8;
	for (tok = strtok_r(end, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		const char *name = ++col < rt->ncols ? rt->cols[col] : "";
		long k;
		enum where w;

		if (strcmp(name, "CFA") == 0) {
			char *plus = strpbrk(tok, "+-");

			snprintf(m->cfa_reg, sizeof(m->cfa_reg), "%.*s",
				 plus ? (int)(plus - tok) : 7, tok);
			m->cfa_off = plus ? strtol(plus, NULL, 10) : 0;
			if (!plus)
				snprintf(m->cfa_reg, sizeof(m->cfa_reg), "?");
			continue;
		}
		w = parse_rule(tok, &k);
		if (strcmp(name, "ra") == 0 && rt->ra_column == 30) {
			m->ra = w == AT_NONE ? IN_LR : w;
			m->ra_k = w == AT_NONE ? -8 : k;
		} else if (strcmp(name, "x29") == 0) {
			m->fp = w;
			m->fp_k = k;
		}
	}
	return true;
}

/* want (readelf's) and got (ours) say the same. readelf's "u" for x30 is
 * our UW_RA_LR or UW_CFA_END. */
static bool same_meaning(const struct meaning *want, const struct meaning *got)
{
	const struct meaning *a = want, *b = got;

	if (b->ra == UNDEFINED)
		return a->ra == IN_LR;
	if (strcmp(a->cfa_reg, b->cfa_reg) != 0 || a->cfa_off != b->cfa_off || a->ra != b->ra ||
	    a->fp != b->fp)
		return false;
	return (a->ra != AT_CFA || a->ra_k == b->ra_k) && (a->fp != AT_CFA || a->fp_k == b->fp_k);
}

/* Whether the rows can say it at all (see enum uw_ra): CFA from sp or x29,
 * a multiple of 8 within +-256 KiB; x30 in x30, or saved at CFA - 8 (x29
 * anywhere within +-1 KiB), or right above x29 (a frame record), or alone
 * (x29 unchanged); slots within +-1 KiB of the CFA or of its register. */
static bool expressible(const struct meaning *m)
{
	long rec = m->fp == AT_CFA ? m->fp_k : m->ra_k;
	bool near_cfa = rec % 8 == 0 && rec >= -1024 && rec <= 1016;
	bool near_base = rec % 8 == 0 && rec + m->cfa_off >= -1024 && rec + m->cfa_off <= 1016;

	if ((strcmp(m->cfa_reg, "sp") != 0 && strcmp(m->cfa_reg, "x29") != 0) || m->cfa_off % 8 ||
	    labs(m->cfa_off) > 8L * 32767 || m->ra == OTHER || m->fp == OTHER || m->fp == UNDEFINED)
		return false;
	if (m->ra == IN_LR || m->ra_k == -8)
		return m->fp != AT_CFA || (m->fp_k && m->fp_k % 8 == 0 && labs(m->fp_k) <= 1016);
	if (m->fp == AT_CFA && m->fp_k + 8 != m->ra_k)
		return false;
	return near_cfa || near_base;
}

struct oracle_counts {
	size_t rows, agree, none_inexpressible, lr_rows, far_rows;
};

/* Checks every row the oracle file lists against t; counts in *c. */
static void check_against_oracle(const char *cfi_path, const struct uw_table *t,
				 struct oracle_counts *c)
{
	FILE *f = fopen(cfi_path, "r");
	struct readelf_table rt = { .ncols = 0 };
	char line[4096];
	int shown = 0;

	memset(c, 0, sizeof(*c));
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		struct meaning want, got;
		unsigned long pc;
		const struct uw_row *r;

		if (!parse_row_line(&rt, line, &pc, &want))
			continue;
		c->rows++;
		r = uw_table_find(t, pc);
		if (r && !meaning_of_row(r, &got)) {
			if (!expressible(&want)) {
				c->none_inexpressible++;
				continue;
			}
			if (shown++ < 10)
				printf("  %s: ours UW_CFA_NONE at %#lx, expressible\n", cfi_path, pc);
			CHECK(false);
			continue;
		}
		if (!r || !same_meaning(&want, &got)) {
			if (shown++ < 10 && r)
				printf("  %s: row at %#lx differs, ours: cfa %u off %d ra %u slot %d\n",
				       cfi_path, pc, r->cfa, r->cfa_off, r->ra, r->slot);
			CHECK(false);
			continue;
		}
		c->agree++;
		c->lr_rows += want.ra == IN_LR;
		c->far_rows += want.ra == AT_CFA && labs(want.ra_k) > 1024;
	}
	if (f)
		fclose(f);
}

static void check_file(const char *elf_path, const char *cfi_path, bool all_expressible)
{
	struct uw_table t;
	struct oracle_counts c;
	size_t ends = 0;

	CHECK(build_for(elf_path, &t));
	CHECK_U64(t.machine, EM_AARCH64);
	check_against_oracle(cfi_path, &t, &c);
	for (size_t i = 0; i < t.n; i++)
		ends += t.rows[i].cfa == UW_CFA_END;
	printf("  %s: %zu FDEs, %zu rows (%zu end the stack); the oracle's %zu rows: %zu agree (%zu with x30 in x30, "
	       "%zu with x30 beyond 1 KiB of the CFA), %zu UW_CFA_NONE (inexpressible)\n",
	       elf_path, t.fdes, t.n, ends, c.rows, c.agree, c.lr_rows, c.far_rows,
	       c.none_inexpressible);
	CHECK(c.rows > 10);
	CHECK_U64(c.agree + c.none_inexpressible, c.rows);
	if (all_expressible) {
		CHECK_U64(c.none_inexpressible, 0);
		/* readelf's "u" doesn't tell x30 undefined from unsaved: only
		 * _start says undefined (glibc's start.S: .cfi_undefined x30) */
		CHECK_U64(ends, 1);
	}
	else
		CHECK(c.none_inexpressible * 1000 <= c.rows);
	uw_table_free(&t);
}

static void test_rows_match_readelf(void)
{
	static const char *const variants[] = { "nofp", "pac", "fp" };
	char elf[PATH_MAX + 32], cfi[PATH_MAX + 40];

	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		snprintf(elf, sizeof(elf), "%s/frames_%s", data_dir, variants[i]);
		snprintf(cfi, sizeof(cfi), "%s.frames", elf);
		check_file(elf, cfi, true);
	}
	snprintf(cfi, sizeof(cfi), "%s/libc.so.6.frames", data_dir);
	check_file(CROSS_ROOT "/lib/libc.so.6", cfi, false);
}

/* --- walking a stack dumped under qemu-aarch64 ---------------------------------- */

#define MAX_OBJECTS 8
#define MAX_FRAMES 64

struct dumped_walk {
	struct uw_regs regs;
	uint64_t backtrace[MAX_FRAMES];
	int n_backtrace;
	struct {
		uint64_t bias, lo, hi;
		char path[PATH_MAX];
		struct uw_table table;
	} obj[MAX_OBJECTS];
	int n_obj;
	uint64_t stack_at;
	uint8_t *stack;
	size_t stack_len;
	size_t signed_reads;	/* return addresses read with a PAC in their top bits */
};

/* The guest's path of a library (qemu -L maps /lib/x onto the cross root's). */
static void host_path(const char *guest, const char *exe, char *out, size_t size)
{
	if (strcmp(guest, "-") == 0)
		snprintf(out, size, "%s", exe);
	else
		snprintf(out, size, CROSS_ROOT "%s", guest);
}

/* "KEY 0x1 0x2 ...": n numbers after key into v; *rest after them. */
static bool hex_fields(char *line, const char *key, unsigned long *v, int n, char **rest)
{
	char *p = line + strlen(key), *end;

	if (strncmp(line, key, strlen(key)) != 0)
		return false;
	for (int i = 0; i < n; i++, p = end) {
		v[i] = strtoul(p, &end, 16);
		if (end == p)
			return false;
	}
	*rest = p;
	return true;
}

static bool load_walk(const char *exe, struct dumped_walk *w)
{
	char path[PATH_MAX + 8], line[PATH_MAX + 128], name[1024];
	bool ok = false;
	FILE *f;

	memset(w, 0, sizeof(*w));
	snprintf(path, sizeof(path), "%s.walk", exe);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long v[4];
		char *rest = NULL;

		if (hex_fields(line, "regs ", v, 4, &rest)) {
			w->regs = (struct uw_regs){ .pc = v[0], .sp = v[1], .fp = v[2], .lr = v[3] };
		} else if (hex_fields(line, "backtrace ", v, 1, &rest) && w->n_backtrace < MAX_FRAMES) {
			w->backtrace[w->n_backtrace++] = v[0];
		} else if (hex_fields(line, "object ", v, 3, &rest) && w->n_obj < MAX_OBJECTS &&
			   sscanf(rest, " %1023s", name) == 1) {
			w->obj[w->n_obj].bias = v[0];
			w->obj[w->n_obj].lo = v[1];
			w->obj[w->n_obj].hi = v[2];
			host_path(name, exe, w->obj[w->n_obj].path, sizeof(w->obj[0].path));
			w->n_obj++;
		} else if (hex_fields(line, "stack ", v, 2, &rest) && v[1] < (64UL << 20)) {
			w->stack_at = v[0];
			w->stack_len = v[1];
			w->stack = malloc(v[1]);
			ok = w->stack && fread(w->stack, 1, v[1], f) == v[1];
			break;
		}
	}
	if (f)
		fclose(f);
	for (int i = 0; ok && i < w->n_obj; i++)
		ok = build_for(w->obj[i].path, &w->obj[i].table);
	return ok;
}

static void free_walk(struct dumped_walk *w)
{
	for (int i = 0; i < w->n_obj; i++)
		uw_table_free(&w->obj[i].table);
	free(w->stack);
}

static bool read_dumped(void *ctx, uint64_t addr, uint64_t *v)
{
	struct dumped_walk *w = ctx;

	if (addr < w->stack_at || addr + 8 > w->stack_at + w->stack_len)
		return false;
	memcpy(v, w->stack + (addr - w->stack_at), 8);
	for (int i = 0; i < w->n_obj; i++)
		if (*v >> 48 && (*v & UW_ARM64_PC_MASK) >= w->obj[i].lo &&
		    (*v & UW_ARM64_PC_MASK) < w->obj[i].hi)
			w->signed_reads++;
	return true;
}

/* Walks as the BPF program does: each pc looked up at pc - 1 (a return
 * address is one past its call), ending outside every object. tables
 * false: no rows at all, frame records only. */
static int walk_dumped(struct dumped_walk *w, bool tables, uint64_t *pcs, int max)
{
	struct uw_regs regs = w->regs;
	int n = 0;

	while (n < max) {
		const struct uw_row *row = NULL;
		int i;

		for (i = 0; i < w->n_obj; i++)
			if (regs.pc - 1 >= w->obj[i].lo && regs.pc - 1 < w->obj[i].hi)
				break;
		if (i == w->n_obj)
			break;
		pcs[n++] = regs.pc;
		if (tables)
			row = uw_table_find(&w->obj[i].table, regs.pc - 1 - w->obj[i].bias);
		if (uw_step(EM_AARCH64, row, &regs, read_dumped, w) != UW_STEP_OK)
			break;
	}
	return n;
}

/* ours[0] is chain_end's return from capture_regs, backtrace's first its
 * return from backtrace(): from the next frame on both must be the same,
 * to the end (_start, whose x30 is undefined). Returns how many agreed. */
static int compare_with_backtrace(const struct dumped_walk *w, const uint64_t *ours, int n)
{
	int same = 0;

	CHECK(n == w->n_backtrace);
	for (int i = 1; i < n && i < w->n_backtrace; i++) {
		if (ours[i] == w->backtrace[i])
			same++;
		else
			printf("  frame %d: ours %#lx, backtrace %#lx\n", i, (unsigned long)ours[i],
			       (unsigned long)w->backtrace[i]);
	}
	return same;
}

static void test_walk_like_backtrace(void)
{
	static const char *const variants[] = { "nofp", "pac", "fp" };

	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		char exe[PATH_MAX + 32];
		struct dumped_walk w;
		uint64_t ours[MAX_FRAMES];
		int n, same;

		snprintf(exe, sizeof(exe), "%s/frames_%s", data_dir, variants[v]);
		CHECK(load_walk(exe, &w));
		n = walk_dumped(&w, true, ours, MAX_FRAMES);
		same = compare_with_backtrace(&w, ours, n);
		printf("  %s: walked %d frames, backtrace %d, %d of %d callers equal; "
		       "%zu return addresses read signed\n", variants[v], n, w.n_backtrace, same,
		       n - 1, w.signed_reads);
		CHECK(n >= 9);	/* chain_end small big mid saves main, libc's two, _start */
		CHECK_U64(same, n - 1);
		if (strcmp(variants[v], "pac") == 0)
			CHECK(w.signed_reads >= 4);	/* small big mid saves sign theirs */
		else
			CHECK_U64(w.signed_reads, 0);
		free_walk(&w);
	}
}

/* Without tables, by frame records alone: code built with frame pointers
 * (-O2's default on arm64) walks the same as with them, up to libc. */
static void test_walk_frame_records(void)
{
	char exe[PATH_MAX + 32];
	struct dumped_walk w;
	uint64_t ours[MAX_FRAMES];
	int n, same = 0;

	snprintf(exe, sizeof(exe), "%s/frames_fp", data_dir);
	CHECK(load_walk(exe, &w));
	n = walk_dumped(&w, false, ours, MAX_FRAMES);
	for (int i = 1; i < n && i < w.n_backtrace && ours[i] == w.backtrace[i]; i++)
		same++;
	printf("  frame records: walked %d frames, the first %d callers equal to backtrace's\n",
	       n, same);
	CHECK(same >= 5);	/* small big mid saves main */
	free_walk(&w);
}

/* --- steps by hand: what the dumped walks don't reach -------------------------- */

static uint64_t fake_stack[64];	/* "addresses" 0x1000 + 8 * i */

static bool read_fake(void *ctx, uint64_t addr, uint64_t *v)
{
	(void)ctx;
	if (addr < 0x1000 || addr >= 0x1000 + sizeof(fake_stack) || addr % 8)
		return false;
	*v = fake_stack[(addr - 0x1000) / 8];
	return true;
}

static void test_steps(void)
{
	const struct uw_row leaf = { .cfa = UW_CFA_SP, .ra = UW_RA_LR };
	const struct uw_row saved = { .cfa = UW_CFA_SP, .cfa_off = 4, .ra = UW_RA_CFA_REC, .slot = -4 };
	struct uw_regs r = { .pc = 0x400100, .sp = 0x1000, .fp = 0x1080, .lr = 0x400204 };

	/* a leaf, first frame: the caller's pc is x30, sp and x29 unchanged */
	CHECK_U64(uw_step(EM_AARCH64, &leaf, &r, read_fake, NULL), UW_STEP_OK);
	CHECK_U64(r.pc, 0x400204);
	CHECK_U64(r.sp, 0x1000);
	CHECK_U64(r.fp, 0x1080);
	CHECK_U64(r.lr, 0);
	/* past the first frame x30 is gone: a row saying "in x30" ends it */
	CHECK_U64(uw_step(EM_AARCH64, &leaf, &r, read_fake, NULL), UW_STEP_FAIL);
	/* a frame record at sp (stp x29, x30, [sp, #-32]!): x29, and x30
	 * signed (a PAC in bits 48 and up), stripped */
	r = (struct uw_regs){ .pc = 0x400100, .sp = 0x1000, .fp = 0x1080 };
	fake_stack[0] = 0x10f0;
	fake_stack[1] = 0x3a00000000400300ULL;
	CHECK_U64(uw_step(EM_AARCH64, &saved, &r, read_fake, NULL), UW_STEP_OK);
	CHECK_U64(r.pc, 0x400300);
	CHECK_U64(r.sp, 0x1020);
	CHECK_U64(r.fp, 0x10f0);
	/* no row: the frame record at x29; the caller's sp is then unknown,
	 * and a row from sp falls back to the record too */
	fake_stack[30] = 0x1100;	/* at 0x10f0 */
	fake_stack[31] = 0x400400;
	fake_stack[32] = 0;		/* at 0x1100: the outermost record */
	fake_stack[33] = 0x400500;
	CHECK_U64(uw_step(EM_AARCH64, NULL, &r, read_fake, NULL), UW_STEP_OK);
	CHECK_U64(r.pc, 0x400400);
	CHECK_U64(r.sp, 0);
	CHECK_U64(r.fp, 0x1100);
	CHECK_U64(uw_step(EM_AARCH64, &saved, &r, read_fake, NULL), UW_STEP_OK);
	CHECK_U64(r.pc, 0x400500);
	CHECK_U64(r.fp, 0);
	CHECK_U64(uw_step(EM_AARCH64, NULL, &r, read_fake, NULL), UW_STEP_FAIL);
	/* a machine without rules */
	CHECK_U64(uw_step(EM_RISCV, NULL, &r, read_fake, NULL), UW_STEP_FAIL);
}

int main(void)
{
	find_data_dir();
	RUN(test_rows_match_readelf);
	RUN(test_walk_like_backtrace);
	RUN(test_walk_frame_records);
	RUN(test_steps);
	UNIT_EXIT();
}
