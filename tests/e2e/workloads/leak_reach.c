/* leaksnoop's leak-kinds workload: heaps whose blocks valgrind calls
 * definitely, indirectly or possibly lost, or still reachable, each shape
 * at its own lines (@markers) and with its own block sizes. After setting
 * a shape up it writes "ready" to stderr and waits for a signal (or, for
 * "exit", returns from main).
 * usage: leak_reach notes ROUNDS    the user's notes' leak-example
 *        leak_reach list NODES      a linked list whose head is lost
 *        leak_reach interior        a block only pointed into
 *        leak_reach roots           blocks held only by another thread's
 *                                   stack, a register, TLS, a global
 *        leak_reach exit            some of each, then exit
 *        leak_reach pre             for -p: a table allocated before
 *                                   leaksnoop attaches (stops itself),
 *                                   then blocks only that table holds */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <valgrind/memcheck.h>
#include "workload.h"

struct node {
	struct node *next;
	char payload[56];	/* 64 bytes a node */
};

static char *interior_ref;
static void *global_ref;
static __thread void *tls_ref;
static void **table;
static volatile int threads_ready;

static const char ready_msg[];

static void ready(void)
{
	if (write(2, ready_msg, 6) < 0)
		_exit(98);
}

/* Dead frames of the setup functions sit where the next calls' frames go;
 * bytes those frames never write would still hold the old pointers
 * (valgrind treats them as uninitialised; a live scan can't tell). */
static void __attribute__((noinline)) scrub_stack(void)
{
	volatile char junk[16384];

	memset((char *)junk, 0, sizeof(junk));
}

static void wait_for_signal(void)
{
	for (;;)
		pause();
}

static void __attribute__((noinline)) lost_list(int nodes)
{
	struct node *head = NULL, *n;

	for (int i = 0; i < nodes; i++) {
		n = malloc(sizeof(*n));			/* @list_node */
		memset(n, 0, sizeof(*n));
		n->payload[0] = (char)i;
		n->next = head;
		head = n;
	}
	/* no copy of a node's address is left in this frame */
	// cppcheck-suppress unreadVariable ; clearing it is the point
	head = n = NULL;
}

static void __attribute__((noinline)) pointed_into(void)
{
	char *p = malloc(256);				/* @interior */
	void *q = malloc(128);				/* @interior_child */

	memset(p, 0, 256);
	memset(q, 0, 128);
	memcpy(p, &q, sizeof(q));
	interior_ref = p + 64;
	p = q = NULL;
}

static void __attribute__((noinline)) lost_block(size_t size)
{
	void *p = malloc(size);				/* @definite */

	memset(p, 3, size);
	p = NULL;
}

static void *stack_holder(void *arg)
{
	void *volatile local = malloc(1120);		/* @on_stack */

	(void)arg;
	memset(local, 0, 1120);
	__atomic_add_fetch(&threads_ready, 1, __ATOMIC_SEQ_CST);
	wait_for_signal();
	return NULL;
}

static void __attribute__((noinline)) set_tls(void)
{
	tls_ref = malloc(1152);				/* @in_tls */
	memset(tls_ref, 0, 1152);
}

static void *tls_holder(void *arg)
{
	(void)arg;
	set_tls();
	scrub_stack();
	__atomic_add_fetch(&threads_ready, 1, __ATOMIC_SEQ_CST);
	wait_for_signal();
	return NULL;
}

static const char ready_msg[] = "ready\n";

/* Allocates a block whose only pointer is in r12, says ready and waits
 * with it there. Written in assembly so that no copy of the pointer
 * reaches memory; malloc's dead frame below the stack pointer (the red
 * zone a scan still reads) is zeroed. Under valgrind it asks for a leak
 * check first (VALGRIND_DO_LEAK_CHECK, a no-op natively): valgrind's
 * check at exit no longer sees any thread's registers, this one does. */
static void __attribute__((noreturn, noinline)) wait_holding_in_register(void)
{
	__asm__ volatile(
		"and $-16, %%rsp\n\t"
		"mov $1136, %%edi\n\t"
		"call malloc@PLT\n\t"			/* @in_register */
		"mov %%rax, %%r12\n\t"
		"lea -512(%%rsp), %%rdi\n\t"
		"xor %%eax, %%eax\n\t"
		"mov $64, %%ecx\n\t"
		"rep stosq\n\t"
		"sub $64, %%rsp\n\t"			/* VALGRIND_DO_LEAK_CHECK */
		"movq %[req], (%%rsp)\n\t"
		"movq $0, 8(%%rsp)\n\t"
		"movq $0, 16(%%rsp)\n\t"
		"movq $0, 24(%%rsp)\n\t"
		"movq $0, 32(%%rsp)\n\t"
		"movq $0, 40(%%rsp)\n\t"
		"mov %%rsp, %%rax\n\t"
		"xor %%edx, %%edx\n\t"
		"rolq $3, %%rdi\n\t"
		"rolq $13, %%rdi\n\t"
		"rolq $61, %%rdi\n\t"
		"rolq $51, %%rdi\n\t"
		"xchgq %%rbx, %%rbx\n\t"
		"add $64, %%rsp\n\t"
		"xor %%eax, %%eax\n\t"
		"xor %%ecx, %%ecx\n\t"
		"xor %%edx, %%edx\n\t"
		"xor %%esi, %%esi\n\t"
		"xor %%edi, %%edi\n\t"
		"xor %%r8d, %%r8d\n\t"
		"xor %%r9d, %%r9d\n\t"
		"xor %%r10d, %%r10d\n\t"
		"xor %%r11d, %%r11d\n\t"
		"mov $1, %%eax\n\t"			/* write(2, ready_msg, 6) */
		"mov $2, %%edi\n\t"
		"lea %[msg], %%rsi\n\t"
		"mov $6, %%edx\n\t"
		"syscall\n\t"
		"1: mov $34, %%eax\n\t"			/* pause() */
		"syscall\n\t"
		"jmp 1b\n\t"
		:
		: [msg] "m"(ready_msg), [req] "i"(VG_USERREQ__DO_LEAK_CHECK)
		: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "memory", "cc");
	__builtin_unreachable();
}

static void roots(void)
{
	pthread_t t;

	global_ref = malloc(1104);			/* @in_global */
	memset(global_ref, 0, 1104);
	if (pthread_create(&t, NULL, stack_holder, NULL) ||
	    pthread_create(&t, NULL, tls_holder, NULL))
		die("pthread_create");
	lost_block(1168);
	while (__atomic_load_n(&threads_ready, __ATOMIC_SEQ_CST) < 2)
		usleep(1000);
	scrub_stack();
	wait_holding_in_register();
}

static void __attribute__((noinline)) before_attach(void)
{
	table = malloc(16 * sizeof(void *));		/* @pre_table */
	memset(table, 0, 16 * sizeof(void *));
	lost_block(528);				/* @pre_lost */
}

static void __attribute__((noinline)) after_attach(void)
{
	void **chain;

	for (int i = 0; i < 8; i++)
		table[i] = malloc(544);			/* @pre_held */
	chain = malloc(560);				/* @pre_chain */
	chain[0] = malloc(576);				/* @pre_chain_child */
	table[8] = chain;
	chain = NULL;
	lost_block(592);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "notes";
	unsigned int *p1, *p2;

	if (!strcmp(mode, "notes")) {
		long rounds = arg_long(argc, argv, 2, 6);

		/* the notes' loop, line for line; the last p1 stays in main's
		 * frame while it waits */
		for (long i = 0; i < rounds; i++) {
			p1 = malloc(4096UL * 3);	/* @notes_p1 */
			p1[0] = 0;
			p1[1024] = 1;
			p1[1024UL * 2] = 2;
			p2 = malloc(1024);
			p2[0] = 1;
			free(p2);
			usleep(20000);
		}
	} else if (!strcmp(mode, "list")) {
		lost_list((int)arg_long(argc, argv, 2, 5));
	} else if (!strcmp(mode, "interior")) {
		pointed_into();
	} else if (!strcmp(mode, "roots")) {
		roots();
	} else if (!strcmp(mode, "exit")) {
		global_ref = malloc(2048);		/* @exit_reachable */
		lost_block(2064);
		lost_list(3);
		scrub_stack();
		return 0;
	} else if (!strcmp(mode, "pre")) {
		before_attach();
		scrub_stack();
		pause_for_test();			/* the test attaches leaksnoop */
		after_attach();
	} else {
		die("unknown mode");
	}
	scrub_stack();
	ready();
	wait_for_signal();
	return 0;
}
