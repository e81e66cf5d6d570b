// SPDX-License-Identifier: GPL-2.0
/* arm64's ESR of a user fault as faulttop's access bits (bpf/esr_arm64.h,
 * which the arm64 BPF program runs on task->thread.fault_code): ESR values
 * as arm64 kernels print them ("ESR = 0x0000000092000047" in an oops, and
 * the Arm ARM's encodings), and the words the VMA view then prints. */
#include <signal.h>
#include "esr_arm64.h"
#include "unit.h"
#include "vmas.h"

/* EC=0x24 data abort from EL0, IL=1, WnR=1, DFSC=0x07 level-3 translation
 * fault: a write to a page not present (a read-only mapping never touched) */
#define ESR_WRITE_NOT_PRESENT	0x92000047ULL
/* WnR=0, DFSC=0x06 level-2 translation fault: a read of an unmapped address */
#define ESR_READ_NOT_PRESENT	0x92000006ULL
/* WnR=1, DFSC=0x0f level-3 permission fault: a write to a present read-only page */
#define ESR_WRITE_PERMISSION	0x9200004fULL
/* EC=0x20 instruction abort from EL0, IFSC=0x0f permission: executing a
 * present non-executable page */
#define ESR_EXEC_PERMISSION	0x8200000fULL
/* ... IFSC=0x07 translation: jumping to an address with no page */
#define ESR_EXEC_NOT_PRESENT	0x82000007ULL
/* WnR=1 with CM=1: DC CIVAC on a read-only page, a cache maintenance
 * instruction, which the kernel does not count as a write */
#define ESR_CACHE_MAINTENANCE	0x9200014fULL
/* EC=0x22 PC alignment fault (SIGBUS, no abort); EC=0x15 an SVC */
#define ESR_PC_ALIGNMENT	0x8a000000ULL
#define ESR_SVC			0x56000000ULL

static void test_data_aborts_read_write_and_protection(void)
{
	CHECK_U64(esr_access_bits(ESR_WRITE_NOT_PRESENT), PF_USER | PF_WRITE);
	CHECK_U64(esr_access_bits(ESR_READ_NOT_PRESENT), PF_USER);
	CHECK_U64(esr_access_bits(ESR_WRITE_PERMISSION), PF_USER | PF_WRITE | PF_PROT);
	CHECK_U64(esr_access_bits(ESR_CACHE_MAINTENANCE), PF_USER | PF_PROT);
}

static void test_instruction_aborts_are_exec(void)
{
	CHECK_U64(esr_access_bits(ESR_EXEC_PERMISSION), PF_USER | PF_INSTR | PF_PROT);
	CHECK_U64(esr_access_bits(ESR_EXEC_NOT_PRESENT), PF_USER | PF_INSTR);
	/* WnR means nothing in an instruction abort's ISS */
	CHECK_U64(esr_access_bits(ESR_EXEC_NOT_PRESENT | ESR_WNR), PF_USER | PF_INSTR);
}

static void test_other_exceptions_are_not_known(void)
{
	CHECK_U64(esr_access_bits(ESR_PC_ALIGNMENT), 0);
	CHECK_U64(esr_access_bits(ESR_SVC), 0);
	CHECK_U64(esr_access_bits(0), 0);
	/* the ISS2 bits above 31 don't change the class */
	CHECK_U64(esr_access_bits(ESR_WRITE_NOT_PRESENT | (1ULL << 32)), PF_USER | PF_WRITE);
}

/* What an arm64 user reads for a SEGV in a read-only mapping: the same
 * sentence as on x86, from the ESR instead of the error code. */
static void test_vma_view_words_from_an_esr(void)
{
	static const char text[] = "7f0000000000-7f0000001000 r--p 00000000 00:00 0\n"
			     "7f0000010000-7f0000011000 rw-p 00000000 00:00 0\n";
	struct smaps_list l = {};
	char buf[320];

	CHECK(procfs_parse_smaps(text, &l) == 0);
	vmas_place_signal(&l, SIGSEGV, SEGV_ACCERR, 0x7f0000000010,
			  esr_access_bits(ESR_WRITE_NOT_PRESENT), buf, sizeof(buf));
	CHECK_STR(buf, "ACCERR: write to r--p [anon] at +0x10 (0x7f0000000010)");
	vmas_place_signal(&l, SIGSEGV, SEGV_ACCERR, 0x7f0000010000,
			  esr_access_bits(ESR_EXEC_PERMISSION), buf, sizeof(buf));
	CHECK_STR(buf, "ACCERR: exec to rw-p [anon] at +0x0 (0x7f0000010000)");
	vmas_place_signal(&l, SIGSEGV, SEGV_ACCERR, 0x7f0000000000,
			  esr_access_bits(ESR_PC_ALIGNMENT), buf, sizeof(buf));
	CHECK_STR(buf, "ACCERR: access to r--p [anon] at +0x0 (0x7f0000000000)");
	smaps_list_free(&l);
}

int main(void)
{
	RUN(test_data_aborts_read_write_and_protection);
	RUN(test_instruction_aborts_are_exec);
	RUN(test_other_exceptions_are_not_known);
	RUN(test_vma_view_words_from_an_esr);
	UNIT_EXIT();
}
