// SPDX-License-Identifier: GPL-2.0
/* Unit tests for probe_site.c: small synthetic byte sequences with known
 * answers, then the real allocators installed on this machine (glibc,
 * jemalloc, tcmalloc, mimalloc), whose chosen sites are checked against
 * an independent linear decode: every instruction before the site falls
 * through, no branch of the function lands between the entry and the
 * site, the site instruction is one the kernel emulates, and the
 * argument registers it reports are not written on the way. */
#include "unit.h"
#include "allocators.h"
#include "leaksnoop.h"
#include "probe_site.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <stdlib.h>

static struct site_choice pick(const uint8_t *code, size_t len, unsigned args, bool keep_stack)
{
	struct site_req r = { .machine = EM_X86_64, .code = code, .len = len, .addr = 0x1000,
			      .args = args, .keep_stack = keep_stack };
	struct site_choice c;

	CHECK(probe_site_choose(&r, &c) == 0);
	return c;
}

static void test_emulated_opcodes(void)
{
	CHECK(x86_insn_is_emulated((const uint8_t[]){ 0x55 }, 1));			/* push rbp */
	CHECK(x86_insn_is_emulated((const uint8_t[]){ 0x41, 0x54 }, 2));		/* push r12 */
	CHECK(x86_insn_is_emulated((const uint8_t[]){ 0x90 }, 1));			/* nop */
	CHECK(x86_insn_is_emulated((const uint8_t[]){ 0x74, 0x05 }, 2));		/* je rel8 */
	CHECK(x86_insn_is_emulated((const uint8_t[]){ 0x0f, 0x84, 0, 0, 0, 0 }, 6));	/* je rel32 */
	CHECK(x86_insn_is_emulated((const uint8_t[]){ 0xe8, 0, 0, 0, 0 }, 5));	/* call */
	CHECK(x86_insn_is_emulated((const uint8_t[]){ 0xe9, 0, 0, 0, 0 }, 5));	/* jmp */
	CHECK(!x86_insn_is_emulated((const uint8_t[]){ 0x48, 0x85, 0xff }, 3));	/* test rdi,rdi */
	CHECK(!x86_insn_is_emulated((const uint8_t[]){ 0x48, 0x89, 0xf8 }, 3));	/* mov rax,rdi */
	CHECK(!x86_insn_is_emulated((const uint8_t[]){ 0xc3 }, 1));			/* ret */
	CHECK(!x86_insn_is_emulated((const uint8_t[]){ 0x66, 0x90 }, 2));		/* xchg ax,ax */
}

static void test_entry_already_emulated(void)
{
	static const uint8_t code[] = { 0x55, 0x48, 0x89, 0xe5, 0xc3 };	/* push rbp; mov rbp,rsp; ret */
	struct site_choice c = pick(code, sizeof(code), 1, true);

	CHECK_U64(c.offset, 0);
	CHECK(c.reason == SITE_AT_ENTRY);
	CHECK(c.emulated);
	CHECK_U64(c.arg_reg[0], PTR_DI);
}

/* glibc 2.36's free: test rdi,rdi; je ...; push rbp */
static void test_after_null_check(void)
{
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x74, 0x10, 0x55, 0xc3 };
	struct site_choice c = pick(code, sizeof(code), 1, false);

	CHECK_U64(c.offset, 3);
	CHECK(c.reason == SITE_MOVED);
	CHECK_U64(c.arg_reg[0], PTR_DI);
}

/* mov rax,rdi; xor rdi,rdi; je: the pointer is read from the copy */
static void test_register_copy(void)
{
	static const uint8_t code[] = { 0x48, 0x89, 0xf8, 0x48, 0x31, 0xff, 0x74, 0x05, 0xc3 };
	struct site_choice c = pick(code, sizeof(code), 1, false);

	CHECK_U64(c.offset, 6);
	CHECK_U64(c.arg_reg[0], PTR_AX);
}

/* r8..r15 and their low halves are one register each: a copy into r11
 * carries the argument, a write to r11d or r8b takes it away */
static void test_numbered_registers(void)
{
	/* mov r11,rdi; xor edi,edi; je */
	static const uint8_t kept[] = { 0x49, 0x89, 0xfb, 0x31, 0xff, 0x74, 0x00, 0xc3 };
	/* mov r11,rdi; xor edi,edi; xor r11d,r11d; je */
	static const uint8_t lost32[] = { 0x49, 0x89, 0xfb, 0x31, 0xff, 0x45, 0x31, 0xdb,
					  0x74, 0x00, 0xc3 };
	/* mov r8,rdi; xor edi,edi; mov r8b,1; je */
	static const uint8_t lost8[] = { 0x49, 0x89, 0xf8, 0x31, 0xff, 0x41, 0xb0, 0x01,
					 0x74, 0x00, 0xc3 };
	/* mov r15,rdi; xor edi,edi; mov r15w,1; je */
	static const uint8_t lost16[] = { 0x49, 0x89, 0xff, 0x31, 0xff, 0x66, 0x41, 0xbf,
					  0x01, 0x00, 0x74, 0x00, 0xc3 };
	struct site_choice c = pick(kept, sizeof(kept), 1, false);

	CHECK_U64(c.offset, 5);
	CHECK_U64(c.arg_reg[0], PTR_R11);
	c = pick(lost32, sizeof(lost32), 1, false);
	CHECK(c.reason == SITE_SINGLE_STEP);
	CHECK_U64(c.arg_reg[0], PTR_DI);
	c = pick(lost8, sizeof(lost8), 1, false);
	CHECK(c.reason == SITE_SINGLE_STEP);
	c = pick(lost16, sizeof(lost16), 1, false);
	CHECK(c.reason == SITE_SINGLE_STEP);
}

/* xor edi,edi; je: the argument is gone before any emulated instruction */
static void test_argument_lost(void)
{
	static const uint8_t code[] = { 0x31, 0xff, 0x74, 0x00, 0xc3 };
	struct site_choice c = pick(code, sizeof(code), 1, false);

	CHECK_U64(c.offset, 0);
	CHECK(c.reason == SITE_SINGLE_STEP);
	CHECK(!c.emulated);
	CHECK_U64(c.arg_reg[0], PTR_DI);
	/* an argument nobody needs does not hold the site back */
	c = pick(code, sizeof(code), 2, false);
	CHECK_U64(c.offset, 2);
}

/* sub rsp,8; je: fine for an entry-only probe, not for a return probe
 * (the return address is no longer at [rsp]) */
static void test_stack_moved(void)
{
	static const uint8_t code[] = { 0x48, 0x83, 0xec, 0x08, 0x74, 0x02, 0xc3 };
	struct site_choice c = pick(code, sizeof(code), 1, false);

	CHECK_U64(c.offset, 4);
	c = pick(code, sizeof(code), 1, true);
	CHECK_U64(c.offset, 0);
	CHECK(c.reason == SITE_SINGLE_STEP);
}

/* test rdi,rdi; inc rax; jne -5 (back to +3): +6 can be reached twice */
static void test_branch_into_prefix(void)
{
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x48, 0xff, 0xc0, 0x75, 0xfb, 0xc3 };
	struct site_choice c = pick(code, sizeof(code), 1, false);

	CHECK_U64(c.offset, 0);
	CHECK(c.reason == SITE_SINGLE_STEP);
}

/* a branch far later in the body into the prefix counts too */
static void test_late_branch_into_prefix(void)
{
	uint8_t code[200];
	int32_t rel;

	memset(code, 0x90, sizeof(code));
	memcpy(code, (const uint8_t[]){ 0x48, 0x85, 0xff, 0x48, 0x89, 0xf8, 0x74, 0x10 }, 8);
	rel = 3 - 155;
	/* at 150: jmp rel32 back to +3 */
	code[150] = 0xe9;
	memcpy(&code[151], &rel, 4);
	CHECK_U64(pick(code, sizeof(code), 1, false).offset, 0);
	rel = 8 - 155;	/* to +8, past the site: harmless */
	memcpy(&code[151], &rel, 4);
	CHECK_U64(pick(code, sizeof(code), 1, false).offset, 6);
}

static void test_tail_jump(void)
{
	static const uint8_t code[] = { 0xe9, 0xfb, 0x0f, 0x00, 0x00 };	/* jmp +0x1000 */
	struct site_choice c = pick(code, sizeof(code), 1, false);

	CHECK(c.reason == SITE_TAIL_JUMP);
	CHECK_U64(c.jump_target, 0x1000 + 5 + 0xffb);
	CHECK_U64(c.offset, 0);
}

static void test_empty_and_garbage(void)
{
	static const uint8_t bad[] = { 0x0f, 0x0b, 0xff, 0xff };	/* ud2; garbage */
	struct site_choice c = pick(bad, 0, 1, true);

	CHECK_U64(c.offset, 0);
	c = pick(bad, sizeof(bad), 1, true);
	CHECK_U64(c.offset, 0);
	CHECK(!c.emulated);
}

/* ---- the real allocators ------------------------------------------------------- */

/* An independent check of a site on real code, with a plain Capstone
 * linear decode. */
static void check_dominating(const uint8_t *code, size_t len, uint64_t addr,
			     const struct site_choice *c, unsigned args, const char *what)
{
	csh cs;
	cs_insn *insn;
	size_t n;
	bool at_boundary = c->offset == 0;
	static const unsigned orig[3] = { X86_REG_RDI, X86_REG_RSI, X86_REG_RDX };

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		CHECK(!"cs_open");
		return;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(cs, code, len, addr, 0, &insn);
	for (size_t i = 0; i < n; i++) {
		uint64_t off = insn[i].address - addr;
		const cs_x86 *x = &insn[i].detail->x86;

		if (off == c->offset) {
			at_boundary = true;
			if (!x86_insn_is_emulated(insn[i].bytes, insn[i].size))
				printf("  %s: +%llu is not emulated\n", what, (unsigned long long)off);
			CHECK(x86_insn_is_emulated(insn[i].bytes, insn[i].size));
		}
		if (off < c->offset) {
			bool branch = cs_insn_group(cs, &insn[i], CS_GRP_JUMP) ||
				      cs_insn_group(cs, &insn[i], CS_GRP_CALL) ||
				      cs_insn_group(cs, &insn[i], CS_GRP_RET);

			CHECK(!branch);
			/* an argument read from its own register there was not
			 * written before */
			for (int a = 0; a < 3; a++) {
				if (!(args & (1U << a)) || c->arg_reg[a] != (uint8_t[]){ PTR_DI, PTR_SI, PTR_DX }[a])
					continue;
				for (int o = 0; o < x->op_count; o++)
					if (o == 0 && x->operands[o].type == X86_OP_REG &&
					    (x->operands[o].access & CS_AC_WRITE))
						CHECK(x->operands[o].reg != orig[a]);
			}
		}
		if ((cs_insn_group(cs, &insn[i], CS_GRP_JUMP) || cs_insn_group(cs, &insn[i], CS_GRP_CALL)) &&
		    x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
			uint64_t t = (uint64_t)x->operands[0].imm;

			if (t > addr && t <= addr + c->offset)
				printf("  %s: branch at +%llu lands on +%llu\n", what,
				       (unsigned long long)off, (unsigned long long)(t - addr));
			CHECK(!(t > addr && t <= addr + c->offset));
		}
	}
	CHECK(at_boundary);
	if (n)
		cs_free(insn, n);
	cs_close(&cs);
}

struct real_case {
	const char *lib, *fn;
	bool with_return;
	unsigned args;
	int min_offset;		/* 0: entry allowed */
};

static void check_real(const struct real_case *rc)
{
	struct alloc_obj o;
	const struct obj_sym *s = NULL;
	uint8_t *code;
	int got;
	struct site_choice c;
	char what[128];

	snprintf(what, sizeof(what), "%s:%s", rc->lib, rc->fn);
	if (alloc_obj_load(&o, rc->lib, rc->lib, false)) {
		printf("  %s: cannot load (install-deps installs it)\n", rc->lib);
		CHECK(!"library missing");
		return;
	}
	for (size_t i = 0; i < o.n_dyn; i++)
		if (!strcmp(o.dyn[i].name, rc->fn))
			s = &o.dyn[i];
	CHECK(s != NULL);
	if (!s) {
		alloc_obj_free(&o);
		return;
	}
	code = malloc(s->size + 16);
	got = alloc_read_code(o.path, s->file_off, code, s->size);
	CHECK(got == (int)s->size);
	{
		struct site_req r = { .machine = o.machine, .code = code, .len = (size_t)got,
				      .addr = s->vaddr, .args = rc->args, .keep_stack = rc->with_return };

		CHECK(probe_site_choose(&r, &c) == 0);
	}
	printf("  %s -> +%u %s (%s)\n", what, c.offset, c.insn, c.why);
	CHECK(c.emulated);
	CHECK((int)c.offset >= rc->min_offset);
	check_dominating(code, (size_t)got, s->vaddr, &c, rc->args, what);
	for (int a = 0; a < 3; a++)
		if (rc->args & (1U << a))
			CHECK(c.arg_reg[a] != PTR_NONE);
	free(code);
	alloc_obj_free(&o);
}

#define LIBDIR "/usr/lib/x86_64-linux-gnu/"

static void test_real_glibc(void)
{
	/* free's entry is `test %rdi,%rdi`: moved to the je after it */
	check_real(&(struct real_case){ LIBDIR "libc.so.6", "free", false, 1, 3 });
	check_real(&(struct real_case){ LIBDIR "libc.so.6", "malloc", true, 1, 0 });
	check_real(&(struct real_case){ LIBDIR "libc.so.6", "calloc", true, 3, 0 });
	check_real(&(struct real_case){ LIBDIR "libc.so.6", "realloc", true, 3, 0 });
}

static void test_real_jemalloc(void)
{
	/* malloc: cmp $0x1000,%rdi first, the ja after it */
	check_real(&(struct real_case){ LIBDIR "libjemalloc.so.2", "free", false, 1, 1 });
	check_real(&(struct real_case){ LIBDIR "libjemalloc.so.2", "malloc", true, 1, 1 });
	check_real(&(struct real_case){ LIBDIR "libjemalloc.so.2", "sdallocx", false, 1, 1 });
	check_real(&(struct real_case){ LIBDIR "libjemalloc.so.2", "_Znwm", true, 1, 1 });
	check_real(&(struct real_case){ LIBDIR "libjemalloc.so.2", "_ZdlPvm", false, 1, 1 });
}

static void test_real_tcmalloc(void)
{
	check_real(&(struct real_case){ LIBDIR "libtcmalloc.so.4", "free", false, 1, 1 });
	check_real(&(struct real_case){ LIBDIR "libtcmalloc.so.4", "malloc", true, 1, 1 });
	check_real(&(struct real_case){ LIBDIR "libtcmalloc.so.4", "_Znwm", true, 1, 1 });
	check_real(&(struct real_case){ LIBDIR "libtcmalloc.so.4", "_ZdlPvm", false, 1, 1 });
}

static void test_real_mimalloc(void)
{
	check_real(&(struct real_case){ LIBDIR "libmimalloc.so.2", "free", false, 1, 1 });
	/* malloc copies rdi to rsi and overwrites rdi before its first branch */
	check_real(&(struct real_case){ LIBDIR "libmimalloc.so.2", "malloc", true, 1, 1 });
	check_real(&(struct real_case){ LIBDIR "libmimalloc.so.2", "_Znwm", true, 1, 0 });
}

int main(void)
{
	RUN(test_emulated_opcodes);
	RUN(test_entry_already_emulated);
	RUN(test_after_null_check);
	RUN(test_register_copy);
	RUN(test_argument_lost);
	RUN(test_numbered_registers);
	RUN(test_stack_moved);
	RUN(test_branch_into_prefix);
	RUN(test_late_branch_into_prefix);
	RUN(test_tail_jump);
	RUN(test_empty_and_garbage);
	RUN(test_real_glibc);
	RUN(test_real_jemalloc);
	RUN(test_real_tcmalloc);
	RUN(test_real_mimalloc);
	UNIT_EXIT();
}
