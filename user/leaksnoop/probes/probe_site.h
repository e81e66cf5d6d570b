/* SPDX-License-Identifier: GPL-2.0 */
/* Where in a function to put its uprobe: the first instruction the kernel
 * emulates instead of single-stepping, on the path every call takes, with
 * the arguments still in (or copied to) registers. Pure: code bytes in, a
 * choice out. Both instruction sets are always built (probe_site_x86.c,
 * probe_site_arm64.c): the request names the ELF's e_machine, so the
 * arm64 rules are unit-tested against arm64 files on an x86-64 machine. */
#ifndef LEAKSNOOP_PROBE_SITE_H
#define LEAKSNOOP_PROBE_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Registers as indices into the kernel's struct pt_regs read as an array
 * of u64, the numbering the BPF side reads them by (LS_COOKIE). x86-64: */
enum pt_reg {
	PTR_R15, PTR_R14, PTR_R13, PTR_R12, PTR_BP, PTR_BX, PTR_R11, PTR_R10,
	PTR_R9, PTR_R8, PTR_AX, PTR_CX, PTR_DX, PTR_SI, PTR_DI, PTR_ORIG_AX,
	PTR_IP, PTR_CS, PTR_FLAGS, PTR_SP, PTR_SS,
	PTR_NONE = 31,
};
/* arm64: slot n is xn (struct user_pt_regs' regs[31] come first). The BPF
 * side loads the slots below SITE_READABLE_SLOTS only (bpf/leaksnoop.bpf.c,
 * uregs_load): an argument copied higher (x15..x30) counts as lost. */
#define SITE_READABLE_SLOTS	15

#define SITE_MAX_ARGS 3

struct site_req {
	uint16_t machine;	/* the ELF's e_machine: EM_X86_64 or EM_AARCH64 */
	const uint8_t *code;	/* the function's bytes, from its start */
	size_t len;		/* its size (st_size); at least the prefix */
	uint64_t addr;		/* the address of code[0] (for branch targets) */
	unsigned args;		/* bitmask of arguments (0..2) that must be readable */
	bool keep_stack;	/* a return probe shares the site: the return
				 * address still where the kernel hijacks it
				 * ([rsp] on x86-64, x30 on arm64), the stack
				 * pointer untouched */
};

enum site_reason {
	SITE_AT_ENTRY,		/* offset 0 is emulated already */
	SITE_MOVED,		/* a later emulated instruction */
	SITE_SINGLE_STEP,	/* no better site: offset 0, single-stepped */
	SITE_TAIL_JUMP,		/* the function is one jmp: a wrapper */
	SITE_UNDECODABLE,	/* Capstone could not decode it: offset 0 */
};

struct site_choice {
	uint32_t offset;		/* from the function's start */
	enum site_reason reason;
	bool emulated;			/* the instruction at offset */
	uint8_t arg_reg[SITE_MAX_ARGS];	/* pt_regs slot holding each argument there */
	uint64_t jump_target;		/* SITE_TAIL_JUMP: where it goes */
	char insn[48];			/* the instruction probed, for -v */
	char why[96];			/* what stopped the search, for -v */
};

/* The x86-64 kernel (arch/x86/kernel/uprobes.c) emulates these instead of
 * single-stepping them out of line: push reg, jmp/jcc/call rel, nop.
 * Measured here: ~0.85-1.0 us a hit emulated, ~6.5 us single-stepped. */
bool x86_insn_is_emulated(const uint8_t *b, size_t n);
/* The arm64 kernel (arch/arm64/kernel/probes/decode-insn.c) simulates
 * these for a uprobe: b, bl, b.cond, cbz/cbnz, tbz/tbnz, br, blr, ret,
 * adr, adrp. Not LDR (literal): since 6.1.114/6.6.58/6.11.5 a uprobe on it
 * is refused (CVE-2024-50099); nor nop (stepped on 6.1 and 6.12). */
bool arm64_insn_is_emulated(uint32_t insn);

/* Whether the chooser knows the instruction set. */
bool site_machine_known(uint16_t machine);
/* The slot where the ABI passes argument arg (0..2) at a function's entry. */
uint8_t site_abi_reg(uint16_t machine, int arg);

/* Chooses the site. Returns 0, or -1 when Capstone itself fails or the
 * machine is unknown (then *out is offset 0). */
int probe_site_choose(const struct site_req *req, struct site_choice *out);

const char *pt_reg_name(uint16_t machine, unsigned reg);
const char *site_reason_name(enum site_reason r);

#endif
