// SPDX-License-Identifier: GPL-2.0
/* arm64 code for test_unwind_arm64.c, cross-compiled at test-build time
 * three ways (Makefile: frames_nofp, frames_pac, frames_fp): a leaf, a
 * function with a 70,000-byte frame, one with a 300-byte frame, one that
 * saves many registers, each kept a call of its own (noipa).
 *
 * Run (under qemu-aarch64, at test-build time), it writes what a return
 * probe would see once capture_regs returns into chain_end: the registers,
 * the stack from sp up to past __libc_stack_end, each loaded object's bias
 * and code range, and glibc's backtrace() (libgcc's unwinder: the oracle
 * the x86-64 unit test walks the same stack against). */
#define _GNU_SOURCE
#include <execinfo.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_stack_end;

struct regs {
	uint64_t pc, sp, fp, lr;
};

/* A leaf with its own CFI: pc = the return address (x30), sp unchanged. */
__asm__(".text\n.globl capture_regs\n.type capture_regs, %function\ncapture_regs:\n"
	" .cfi_startproc\n"
	" str x30, [x0]\n mov x1, sp\n str x1, [x0, #8]\n"
	" str x29, [x0, #16]\n str x30, [x0, #24]\n ret\n"
	" .cfi_endproc\n.size capture_regs, .-capture_regs\n");
void capture_regs(struct regs *r);

static int print_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X))
			printf("object %#lx %#lx %#lx %s\n", (unsigned long)info->dlpi_addr,
			       (unsigned long)(info->dlpi_addr + ph->p_vaddr),
			       (unsigned long)(info->dlpi_addr + ph->p_vaddr + ph->p_memsz),
			       info->dlpi_name[0] ? info->dlpi_name : "-");
	}
	return 0;
}

__attribute__((noipa)) int leaf(int x)
{
	return x * 3 + 1;
}

__attribute__((noipa)) int chain_end(int x)
{
	struct regs r;
	void *bt[64];
	int n;

	capture_regs(&r);
	n = backtrace(bt, 64);
	printf("regs %#lx %#lx %#lx %#lx\n", (unsigned long)r.pc, (unsigned long)r.sp,
	       (unsigned long)r.fp, (unsigned long)r.lr);
	for (int i = 0; i < n; i++)
		printf("backtrace %p\n", bt[i]);
	dl_iterate_phdr(print_object, NULL);
	/* everything the walk may read: argv and the environment are above */
	printf("stack %#lx %#lx\n", (unsigned long)r.sp,
	       (unsigned long)((uintptr_t)__libc_stack_end + 256 - r.sp));
	fflush(stdout);
	if (write(1, (void *)(uintptr_t)r.sp, (uintptr_t)__libc_stack_end + 256 - r.sp) < 0)
		return -1;
	return leaf(x) + n;
}

__attribute__((noipa)) int small(int x)
{
	return chain_end(x) + leaf(x + 1);
}

__attribute__((noipa)) int big(int x)
{
	volatile char buf[70000];

	buf[x % 70000] = 1;
	return small(buf[x]) + 1;
}

__attribute__((noipa)) int mid(int x)
{
	volatile char buf[300];

	buf[x % 300] = 1;
	return big(buf[x] + x) + 2;
}

__attribute__((noipa)) long saves(long a, long b, long c)
{
	long r = 0;

	for (long i = 0; i < a; i++)
		r += mid((int)(i * b + c)) * (b ^ i) + c;
	return r * b + leaf((int)r);
}

int main(int argc, char **argv)
{
	(void)argv;
	return saves(argc, 2, 3) < 0;
}
