/* leaksnoop's roots workload (issue 19): heaps where what counts as a root
 * decides the kinds. Each mode sets its shape up, writes "ready" to stderr
 * and waits for a signal. Built as C++ (-O0 -g) against glibc, and linked
 * to jemalloc (roots_je) and tcmalloc (roots_tc) for the "alloc" mode.
 * usage: leak_roots threads T N   T threads, each leaking N 208-byte blocks
 *                                 through operator new, then exiting (their
 *                                 stacks stay cached by glibc, full of the
 *                                 dropped pointers)
 *        leak_roots mi            an object held only through a pointer to
 *                                 its second base class (struct C : A, B),
 *                                 and one such object dropped
 *        leak_roots alloc         40 malloc'd blocks of 10 sizes (64 B ..
 *                                 32 KiB), 39 dropped, 1 kept in a global;
 *                                 then 10 100-byte blocks (zeroed: no stale
 *                                 allocator links in them) each held only by
 *                                 a 64-byte block that is then freed (its
 *                                 third word, which no allocator's free
 *                                 overwrites, still points to it)
 *        leak_roots exitreg       a 4,000-byte block held only in r12 when
 *                                 the process exits (exit_group, at once) */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void ready()
{
	if (write(2, "ready\n", 6) < 0)
		_exit(98);
}

/* Dead frames of the setup functions sit where the next calls' frames go
 * (valgrind treats what the next calls don't write as uninitialised; a
 * live scan can't tell): the main thread's are cleared before "ready",
 * and so are the caller-saved registers, where the allocator's last
 * return value may linger (tcmalloc's malloc leaves it in one that
 * memset, write and pause never touch: a root, as in valgrind). */
static void __attribute__((noinline)) scrub_stack()
{
	volatile char junk[16384];

	memset((char *)junk, 0, sizeof(junk));
	asm volatile("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
		     "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"
		     "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\txor %%r11d, %%r11d"
		     ::: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
}

/* ---- threads ---------------------------------------------------------------- */

struct session {
	long id;
	char name[200];		/* 208 bytes a session */
};

static long per_thread;

static void __attribute__((noinline)) open_session(long id)
{
	session *s = new session;			/* @thread_leak */

	s->id = id;
	snprintf(s->name, sizeof(s->name), "session %ld", id);
}

static void *worker(void *arg)
{
	long base = (long)arg;

	for (long i = 0; i < per_thread; i++)
		open_session(base + i);			/* @thread_call */
	return nullptr;
}

static void threads(long nthreads, long n)
{
	per_thread = n;
	for (long t = 0; t < nthreads; t++) {
		pthread_t th;

		/* one after another: each thread reuses the stack the last one
		 * left in glibc's cache */
		if (pthread_create(&th, nullptr, worker, (void *)(t * n)) || pthread_join(th, nullptr))
			_exit(97);
	}
}

/* ---- multiple inheritance --------------------------------------------------- */

struct A {
	virtual ~A() {}
	virtual long a() { return 1; }
	long x = 1;
};

struct B {
	virtual ~B() {}
	virtual long b() { return 2; }
	long y = 2;
};

struct C : A, B {
	long a() override { return 3; }
	long b() override { return 4; }
	char pad[40] = {};	/* 80 bytes a C */
};

static B *held_second_base;

static void __attribute__((noinline)) second_base()
{
	held_second_base = new C;			/* @mi_held */
	B *dropped = new C;				/* @mi_lost */

	(void)dropped->b();
}

/* ---- allocator caches ----------------------------------------------------------- */

static void *kept;

static void __attribute__((noinline)) alloc_some()
{
	void **holders[10];

	for (int i = 0; i < 40; i++) {
		char *p = (char *)malloc(64UL << (i % 10));	/* @alloc_block */

		memset(p, i, 64);
		if (i == 17)
			kept = p;
	}
	for (int i = 0; i < 10; i++) {
		holders[i] = (void **)calloc(8, sizeof(void *));
		holders[i][2] = calloc(1, 100);		/* @alloc_orphan */
	}
	for (int i = 0; i < 10; i++)
		free(holders[i]);
	memset(holders, 0, sizeof(holders));
}

/* ---- a register at the exit ---------------------------------------------------------- */

/* malloc(4000) into r12 (callee-saved: nothing clears it), the dead frames
 * malloc left below the stack pointer zeroed (the scan reads 128 bytes
 * below it, the red zone), then exit_group(0): at the exit the block's only
 * pointer is in a register. Written in assembly so that no stack slot
 * holds it. */
__attribute__((naked, noinline)) static void exit_holding_in_r12()
{
	/* the debug info gives the whole statement its first line */
	asm("sub $8, %rsp\n\t"			/* aligned for the call; @exitreg_block */
	    "mov $4000, %edi\n\t"
	    "call malloc@PLT\n\t"
	    "mov %rax, %r12\n\t"
	    "lea -1024(%rsp), %rdi\n\t"
	    "mov $128, %ecx\n\t"
	    "xor %eax, %eax\n\t"
	    "rep stosq\n\t"
	    "xor %ecx, %ecx\n\t"
	    "xor %edx, %edx\n\t"
	    "xor %esi, %esi\n\t"
	    "xor %edi, %edi\n\t"
	    "xor %r8d, %r8d\n\t"
	    "xor %r9d, %r9d\n\t"
	    "xor %r10d, %r10d\n\t"
	    "xor %r11d, %r11d\n\t"
	    "mov $231, %eax\n\t"			/* exit_group(0) */
	    "syscall");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "threads";

	if (!strcmp(mode, "threads"))
		threads(argc > 2 ? atol(argv[2]) : 10, argc > 3 ? atol(argv[3]) : 5);
	else if (!strcmp(mode, "mi"))
		second_base();					/* @mi_call */
	else if (!strcmp(mode, "exitreg"))
		exit_holding_in_r12();				/* @exitreg_call */
	else if (!strcmp(mode, "alloc"))
		alloc_some();
	else
		return 99;
	scrub_stack();
	ready();
	for (;;)
		pause();
}
