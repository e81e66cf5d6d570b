// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/lib/procfs.c on captured /proc text: real samples,
 * hostile comms and paths, and every truncation of each sample. */
#include "unit.h"
#include "procfs.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

/* Captured from a Debian 12 box running 6.x (cat reading its own files). */
static const char stat_cat[] =
	"2781 (cat) R 2775 2775 2304 0 -1 4194304 99 0 3 0 7 2 0 0 20 0 1 0 "
	"567756 3133440 383 18446744073709551615 94847440216064 94847440235945 "
	"140732303086688 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94847440251952 "
	"94847440253568 94848501264384 140732303092354 140732303092374 "
	"140732303092374 140732303093739 0\n";

static const char smaps_rollup_cat[] =
	"56181aa22000-7ffc91506000 ---p 00000000 00:00 0                          [rollup]\n"
	"Rss:                1748 kB\n"
	"Pss:                 663 kB\n"
	"Pss_Dirty:           112 kB\n"
	"Pss_Anon:            112 kB\n"
	"Pss_File:            551 kB\n"
	"Pss_Shmem:             0 kB\n"
	"Shared_Clean:       1500 kB\n"
	"Shared_Dirty:          0 kB\n"
	"Private_Clean:       136 kB\n"
	"Private_Dirty:       112 kB\n"
	"Referenced:         1748 kB\n"
	"Anonymous:           112 kB\n"
	"KSM:                   0 kB\n"
	"LazyFree:              0 kB\n"
	"AnonHugePages:         0 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"FilePmdMapped:         0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"Private_Hugetlb:    2048 kB\n"
	"Swap:                 64 kB\n"
	"SwapPss:              64 kB\n"
	"Locked:                0 kB\n";

static const char status_cat[] =
	"Name:\tcat\n"
	"Umask:\t0022\n"
	"State:\tR (running)\n"
	"Tgid:\t2783\n"
	"Ngid:\t0\n"
	"Pid:\t2783\n"
	"PPid:\t2775\n"
	"TracerPid:\t0\n"
	"Uid:\t0\t0\t0\t0\n"
	"Gid:\t0\t0\t0\t0\n"
	"FDSize:\t256\n"
	"Groups:\t \n"
	"NStgid:\t2783\n"
	"NSpid:\t2783\n"
	"NSpgid:\t2775\n"
	"NSsid:\t2304\n"
	"Kthread:\t0\n"
	"VmPeak:\t    3060 kB\n"
	"VmSize:\t    3060 kB\n"
	"VmLck:\t       0 kB\n"
	"VmPin:\t       0 kB\n"
	"VmHWM:\t    1756 kB\n"
	"VmRSS:\t    1756 kB\n"
	"RssAnon:\t     112 kB\n"
	"RssFile:\t    1644 kB\n"
	"RssShmem:\t       0 kB\n"
	"VmData:\t     360 kB\n"
	"VmStk:\t     132 kB\n"
	"VmExe:\t      20 kB\n"
	"VmLib:\t    1528 kB\n"
	"VmPTE:\t      44 kB\n"
	"VmSwap:\t       0 kB\n"
	"HugetlbPages:\t       0 kB\n"
	"CoreDumping:\t0\n"
	"THP_enabled:\t1\n"
	"untag_mask:\t0xffffffffffffffff\n"
	"Threads:\t1\n"
	"SigQ:\t0/96365\n"
	"SigPnd:\t0000000000000000\n"
	"Cpus_allowed:\t3\n"
	"Cpus_allowed_list:\t0-1\n"
	"Mems_allowed_list:\t0\n"
	"voluntary_ctxt_switches:\t0\n"
	"nonvoluntary_ctxt_switches:\t0\n";

static const char meminfo_sample[] =
	"MemTotal:       24684096 kB\n"
	"MemFree:        24294496 kB\n"
	"MemAvailable:   24347676 kB\n"
	"Buffers:            3140 kB\n"
	"Cached:           238892 kB\n"
	"SwapCached:            0 kB\n"
	"Active:            19772 kB\n"
	"Inactive:         217820 kB\n"
	"Active(anon):       1512 kB\n"
	"Inactive(anon):     2744 kB\n"
	"Unevictable:       10984 kB\n"
	"Mlocked:           10032 kB\n"
	"SwapTotal:       2097148 kB\n"
	"SwapFree:        2097000 kB\n"
	"Zswap:                 0 kB\n"
	"Dirty:              3192 kB\n"
	"Writeback:             0 kB\n"
	"AnonPages:          6568 kB\n"
	"Mapped:            10476 kB\n"
	"Shmem:              8788 kB\n"
	"KReclaimable:      50812 kB\n"
	"Slab:              72192 kB\n"
	"SReclaimable:      50812 kB\n"
	"SUnreclaim:        21380 kB\n"
	"KernelStack:        1304 kB\n"
	"PageTables:         1888 kB\n"
	"CommitLimit:    12342048 kB\n"
	"Committed_AS:      49340 kB\n"
	"VmallocTotal:   34359738367 kB\n"
	"ShmemHugePages:        0 kB\n"
	"HugePages_Total:       0\n"
	"HugePages_Free:        0\n"
	"Hugepagesize:       2048 kB\n"
	"DirectMap1G:    25165824 kB\n";

/* Real lines plus the awkward cases: a path with spaces that was deleted,
 * a named anonymous mapping, the kernel's trailing space after inode 0, a
 * garbage line, and a last line with no newline. */
static const char maps_sample[] =
	"55eb1df65000-55eb1df67000 r--p 00000000 fe:00 247134                     /usr/bin/cat\n"
	"55eb1df67000-55eb1df6c000 r-xp 00002000 fe:00 247134                     /usr/bin/cat\n"
	"55eb4aa14000-55eb4aa35000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f92615e5000-7f9261607000 rw-p 00000000 00:00 0 \n"
	"7f9261620000-7f9261630000 rw-s 00000000 00:05 1234                       /dev/shm/my file (deleted)\n"
	"7f9261630000-7f9261640000 rw-p 00000000 00:00 0                          [anon:glibc malloc]\n"
	"this line is garbage\n"
	"\n"
	"7f926168e000-7f92617e4000 r-xp 00026000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f9261857000-7f926185b000 r--p 00000000 00:00 0                          [vvar]\n"
	"7f926185b000-7f926185d000 r-xp 00000000 00:00 0                          [vdso]\n"
	"7ffc914e5000-7ffc91506000 rw-p 00000000 00:00 0                          [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

/* A heap copy of exactly len bytes plus NUL, so ASan/valgrind catch any
 * read past the end of truncated input. */
static char *exact_copy(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		abort();
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static void test_stat_real(void)
{
	struct proc_stat st;

	CHECK(procfs_parse_stat(stat_cat, &st) == 0);
	CHECK_U64(st.pid, 2781);
	CHECK_STR(st.comm, "cat");
	CHECK(st.state == 'R');
	CHECK_U64(st.ppid, 2775);
	CHECK_U64(st.minflt, 99);
	CHECK_U64(st.cminflt, 0);
	CHECK_U64(st.majflt, 3);
	CHECK_U64(st.cmajflt, 0);
	CHECK_U64(st.utime, 7);
	CHECK_U64(st.stime, 2);
	CHECK_U64(st.num_threads, 1);
	CHECK_U64(st.starttime, 567756);
	CHECK_U64(st.vsize, 3133440);
	CHECK_U64(st.rss_pages, 383);
}

static void test_stat_hostile_comm(void)
{
	struct proc_stat st;

	/* The comm "(a) b)" fools anyone who stops at the first ')'. */
	CHECK(procfs_parse_stat("42 ((a) b)) S 1 42 42 0 -1 4194560 5 6 7 8 9 10 "
				"0 0 20 0 3 0 100 4096 2 18446744073709551615\n", &st) == 0);
	CHECK_U64(st.pid, 42);
	CHECK_STR(st.comm, "(a) b)");
	CHECK(st.state == 'S');
	CHECK_U64(st.ppid, 1);
	CHECK_U64(st.minflt, 5);
	CHECK_U64(st.cmajflt, 8);
	CHECK_U64(st.utime, 9);
	CHECK_U64(st.stime, 10);
	CHECK_U64(st.num_threads, 3);
	CHECK_U64(st.rss_pages, 2);

	CHECK(procfs_parse_stat("7 ( x ) Z 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n",
				&st) == 0);
	CHECK_STR(st.comm, " x ");
	CHECK(st.state == 'Z');

	/* Longer kthread-style names are cut to PROC_COMM_LEN. */
	CHECK(procfs_parse_stat("9 (kworker/u8:3-events_unbound) I 2 0 0 0 -1 0 0 0 0 0 "
				"0 0 0 0 20 0 1 0 1 0 0\n", &st) == 0);
	CHECK_STR(st.comm, "kworker/u8:3-eve");
}

static void test_stat_garbage(void)
{
	static const char *const bad[] = {
		"", "\n", "hello", ")(", "12 (x", "12 x)", "(x) S 1 2 3",
		"-5 (x) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n",
		"5 (x) S -1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n",
		"5 (x) S 1 0 0 0 -1 0 0x10 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n",
		"5 (x) S 1 0 0 0 -1 0 99999999999999999999 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n",
		"5 (x) S 1 0 0 0 -1 0  0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n",
		"99999999999 (x) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n",
	};
	struct proc_stat st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (procfs_parse_stat(bad[i], &st) != -EINVAL)
			printf("  unexpectedly parsed: \"%s\"\n", bad[i]);
		CHECK(procfs_parse_stat(bad[i], &st) == -EINVAL);
	}
}

static void test_stat_truncated(void)
{
	/* Everything up to and including rss (field 24) is needed. */
	const char *rss_end = strstr(stat_cat, " 383 ") + 4;
	size_t need = (size_t)(rss_end - stat_cat);
	size_t len;

	for (len = 0; len <= sizeof(stat_cat) - 1; len++) {
		char *text = exact_copy(stat_cat, len);
		struct proc_stat st;
		int err = procfs_parse_stat(text, &st);

		if (len < need - 3)	/* "38", "3" would still parse */
			CHECK(err == -EINVAL);
		else if (len >= need)
			CHECK(err == 0 && st.rss_pages == 383);
		free(text);
	}
}

static void test_smaps_rollup(void)
{
	struct mem_rollup r;

	CHECK(procfs_parse_smaps_rollup(smaps_rollup_cat, &r) == 0);
	CHECK_U64(r.rss, 1748 * 1024ULL);
	CHECK_U64(r.pss, 663 * 1024ULL);
	CHECK_U64(r.uss, (136 + 112 + 2048) * 1024ULL);
	CHECK_U64(r.swap, 64 * 1024ULL);	/* not SwapPss */
	CHECK_U64(r.anon, 112 * 1024ULL);

	CHECK(procfs_parse_smaps_rollup("", &r) == -EINVAL);
	CHECK(procfs_parse_smaps_rollup("not a rollup\n", &r) == -EINVAL);
}

static void test_meminfo(void)
{
	struct meminfo mi;

	memset(&mi, 0xff, sizeof(mi));
	CHECK(procfs_parse_meminfo(meminfo_sample, &mi) == 0);
	CHECK_U64(mi.mem_total, 24684096 * 1024ULL);
	CHECK_U64(mi.mem_free, 24294496 * 1024ULL);
	CHECK_U64(mi.mem_available, 24347676 * 1024ULL);
	CHECK_U64(mi.slab, 72192 * 1024ULL);
	CHECK_U64(mi.sreclaimable, 50812 * 1024ULL);
	CHECK_U64(mi.sunreclaim, 21380 * 1024ULL);
	CHECK_U64(mi.anon_pages, 6568 * 1024ULL);
	CHECK_U64(mi.mapped, 10476 * 1024ULL);
	CHECK_U64(mi.shmem, 8788 * 1024ULL);	/* not ShmemHugePages */
	CHECK_U64(mi.swap_total, 2097148 * 1024ULL);
	CHECK_U64(mi.swap_free, 2097000 * 1024ULL);

	/* Absent fields read as 0. */
	CHECK(procfs_parse_meminfo("MemTotal: 1000 kB\n", &mi) == 0);
	CHECK_U64(mi.mem_total, 1024000);
	CHECK_U64(mi.mem_available, 0);
	CHECK_U64(mi.swap_free, 0);

	/* Values too big for bytes saturate instead of wrapping. */
	CHECK(procfs_parse_meminfo("MemTotal: 18446744073709551615 kB", &mi) == 0);
	CHECK_U64(mi.mem_total, UINT64_MAX);

	CHECK(procfs_parse_meminfo("", &mi) == -EINVAL);
	CHECK(procfs_parse_meminfo("garbage\nmore: garbage\n", &mi) == -EINVAL);
}

static void test_status(void)
{
	struct proc_status ps;

	CHECK(procfs_parse_status(status_cat, &ps) == 0);
	CHECK_STR(ps.name, "cat");
	CHECK_U64(ps.tgid, 2783);
	CHECK_U64(ps.ppid, 2775);
	CHECK_U64(ps.vm_size, 3060 * 1024ULL);
	CHECK_U64(ps.vm_rss, 1756 * 1024ULL);
	CHECK_U64(ps.vm_data, 360 * 1024ULL);
	CHECK_U64(ps.vm_stk, 132 * 1024ULL);
	CHECK_U64(ps.vm_exe, 20 * 1024ULL);
	CHECK_U64(ps.threads, 1);

	/* The kernel escapes '\n' and '\\' in Name; we keep its escaped form
	 * and cut it to PROC_COMM_LEN. Spaces and ')' are plain bytes. */
	CHECK(procfs_parse_status("Name:\ta) b\\nc\nTgid:\t5\n", &ps) == 0);
	CHECK_STR(ps.name, "a) b\\nc");
	CHECK_U64(ps.tgid, 5);
	CHECK(procfs_parse_status("Name:\t0123456789abcdefXYZ\n", &ps) == 0);
	CHECK_STR(ps.name, "0123456789abcdef");

	/* A kernel thread has no Vm* lines: those read as 0. */
	CHECK(procfs_parse_status("Name:\tkthreadd\nTgid:\t2\nPPid:\t0\nThreads:\t1\n",
				  &ps) == 0);
	CHECK_U64(ps.vm_rss, 0);
	CHECK_U64(ps.threads, 1);

	CHECK(procfs_parse_status("", &ps) == -EINVAL);
	CHECK(procfs_parse_status("Tgid:\t99999999999\n", &ps) == -EINVAL);
}

static void test_maps(void)
{
	struct vma_list l;
	const struct vma *v;

	CHECK(procfs_parse_maps(maps_sample, &l) == 0);
	CHECK_U64(l.n, 11);
	if (l.n != 11) {
		vma_list_free(&l);
		return;
	}
	v = &l.v[0];
	CHECK_U64(v->start, 0x55eb1df65000ULL);
	CHECK_U64(v->end, 0x55eb1df67000ULL);
	CHECK_U64(v->offset, 0);
	CHECK_U64(v->dev_major, 0xfe);
	CHECK_U64(v->dev_minor, 0);
	CHECK_U64(v->inode, 247134);
	CHECK(v->read && !v->write && !v->exec && !v->shared);
	CHECK(v->kind == VMA_FILE);
	CHECK_STR(v->path, "/usr/bin/cat");

	CHECK(l.v[1].exec && l.v[1].offset == 0x2000);
	CHECK(l.v[2].kind == VMA_HEAP);
	CHECK_STR(l.v[2].path, "[heap]");

	v = &l.v[3];	/* "... 00:00 0 " with the kernel's trailing space */
	CHECK(v->kind == VMA_ANON);
	CHECK(v->path == NULL);
	CHECK(v->read && v->write && !v->shared);

	v = &l.v[4];
	CHECK(v->kind == VMA_FILE);
	CHECK(v->shared);
	CHECK_U64(v->dev_minor, 5);
	CHECK_STR(v->path, "/dev/shm/my file (deleted)");

	CHECK(l.v[5].kind == VMA_SPECIAL);
	CHECK_STR(l.v[5].path, "[anon:glibc malloc]");
	CHECK_STR(l.v[6].path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	CHECK(l.v[7].kind == VMA_SPECIAL);
	CHECK(l.v[8].kind == VMA_SPECIAL);
	CHECK(l.v[9].kind == VMA_STACK);

	v = &l.v[10];	/* last line, no newline */
	CHECK_U64(v->start, 0xffffffffff600000ULL);
	CHECK(!v->read && v->exec);
	CHECK(v->kind == VMA_SPECIAL);
	CHECK_STR(v->path, "[vsyscall]");
	vma_list_free(&l);
	CHECK(l.v == NULL && l.n == 0);
}

static void test_maps_find(void)
{
	struct vma_list l;
	const struct vma *v;

	CHECK(procfs_parse_maps(maps_sample, &l) == 0);
	CHECK(vma_list_find(&l, 0) == NULL);
	CHECK(vma_list_find(&l, 0x55eb1df64fffULL) == NULL);
	v = vma_list_find(&l, 0x55eb1df65000ULL);
	CHECK(v == &l.v[0]);
	v = vma_list_find(&l, 0x55eb1df67000ULL);	/* end is exclusive */
	CHECK(v == &l.v[1]);
	v = vma_list_find(&l, 0x55eb4aa20000ULL);
	CHECK(v && v->kind == VMA_HEAP);
	CHECK(vma_list_find(&l, 0x55eb4aa35000ULL) == NULL);	/* a gap */
	v = vma_list_find(&l, 0x7f9261630abcULL);
	CHECK(v && v->kind == VMA_SPECIAL);
	v = vma_list_find(&l, 0xffffffffff600800ULL);
	CHECK(v == &l.v[l.n - 1]);
	CHECK(vma_list_find(&l, UINT64_MAX) == NULL);
	vma_list_free(&l);

	/* An empty list finds nothing and frees cleanly (twice, too). */
	CHECK(procfs_parse_maps("", &l) == 0);
	CHECK_U64(l.n, 0);
	CHECK(vma_list_find(&l, 0x1000) == NULL);
	vma_list_free(&l);
	vma_list_free(&l);
	vma_list_free(NULL);
}

static void test_maps_garbage(void)
{
	static const char *const bad[] = {
		"zzzz-1000 r--p 0 00:00 0\n",
		"2000-1000 r--p 00000000 00:00 0\n",		/* start > end */
		"1000-2000 rwzp 00000000 00:00 0\n",
		"1000-2000 r--p 00000000 0000 0\n",
		"1000-2000 r--p 00000000 00:00\n",
		"1000-2000 r--p 00000000 00:00 12x /bin/sh\n",
		"1000-2000 r--\n",
		"10000000000000000000-2000 r--p 00000000 00:00 0\n",
		"1000-2000 r--p 00000000 100000000:00 0\n",
	};
	struct vma_list l;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(procfs_parse_maps(bad[i], &l) == 0);
		if (l.n != 0)
			printf("  unexpectedly parsed: \"%s\"\n", bad[i]);
		CHECK_U64(l.n, 0);
		vma_list_free(&l);
	}
}

/* Cuts each sample at every length: nothing may crash, read past the NUL
 * or leak, and a parse that succeeds must be a prefix of the real answer. */
static void test_all_truncations(void)
{
	size_t len;

	for (len = 0; len < sizeof(maps_sample); len++) {
		char *text = exact_copy(maps_sample, len);
		struct vma_list l;

		CHECK(procfs_parse_maps(text, &l) == 0);
		CHECK(l.n <= 11);
		vma_list_free(&l);
		free(text);
	}
	for (len = 0; len < sizeof(status_cat); len++) {
		char *text = exact_copy(status_cat, len);
		struct proc_status ps;

		if (procfs_parse_status(text, &ps) == 0)
			CHECK(strncmp(ps.name, "cat", strlen(ps.name)) == 0);
		free(text);
	}
	for (len = 0; len < sizeof(meminfo_sample); len++) {
		char *text = exact_copy(meminfo_sample, len);
		struct meminfo mi;

		if (procfs_parse_meminfo(text, &mi) == 0)
			CHECK(mi.mem_total <= 24684096 * 1024ULL);
		free(text);
	}
	for (len = 0; len < sizeof(smaps_rollup_cat); len++) {
		char *text = exact_copy(smaps_rollup_cat, len);
		struct mem_rollup r;

		if (procfs_parse_smaps_rollup(text, &r) == 0)
			CHECK(r.rss <= 1748 * 1024ULL);
		free(text);
	}
}

static void test_read_self(void)
{
	struct proc_stat st;
	struct proc_status ps;
	struct mem_rollup r;
	struct meminfo mi;
	struct vma_list l;
	const struct vma *v;
	int err;

	CHECK(procfs_read_pid_stat(getpid(), &st) == 0);
	CHECK_U64(st.pid, getpid());
	CHECK_U64(st.ppid, getppid());
	CHECK(st.vsize > 0);

	/* Not "test_procfs" under valgrind, whose tool binary is the comm. */
	CHECK(procfs_read_pid_status(getpid(), &ps) == 0);
	CHECK(st.comm[0] != '\0');
	CHECK_STR(ps.name, st.comm);
	CHECK_U64(ps.tgid, getpid());
	CHECK(ps.vm_rss > 0 && ps.threads >= 1);

	/* smaps_rollup exists since Linux 4.14. */
	err = procfs_read_pid_rollup(getpid(), &r);
	CHECK(err == 0 || err == -ENOENT);
	if (err == 0)
		CHECK(r.rss > 0 && r.pss > 0 && r.uss > 0);

	CHECK(procfs_read_meminfo(&mi) == 0);
	CHECK(mi.mem_total > 0 && mi.mem_free <= mi.mem_total);

	CHECK(procfs_read_pid_maps(getpid(), &l) == 0);
	v = vma_list_find(&l, (uint64_t)(uintptr_t)&test_read_self);
	CHECK(v && v->exec && v->kind == VMA_FILE);
	v = vma_list_find(&l, (uint64_t)(uintptr_t)&st);
	CHECK(v && v->write);
	vma_list_free(&l);
}

static void test_read_missing(void)
{
	struct proc_stat st;
	struct vma_list l;
	char buf[16];
	size_t len = 0;
	char *text;

	CHECK(procfs_pid_exists(getpid()));
	CHECK(!procfs_pid_exists(0));
	CHECK(!procfs_pid_exists(-1));
	CHECK(!procfs_pid_exists(INT_MAX));
	CHECK(procfs_read_pid_stat(INT_MAX, &st) == -ENOENT);
	CHECK(procfs_read_pid_maps(INT_MAX, &l) == -ENOENT);

	/* procfs_read_file truncates to size-1 and says how much it kept. */
	CHECK(procfs_read_file("/proc/self/status", buf, sizeof(buf)) == 15);
	CHECK(strncmp(buf, "Name:\t", 6) == 0 && strlen(buf) == 15);
	CHECK(procfs_read_file("/nonexistent/file", buf, sizeof(buf)) == -ENOENT);
	CHECK(procfs_read_file("/proc/self/status", buf, 0) == -EINVAL);

	text = procfs_slurp("/proc/self/maps", &len);
	CHECK(text && len > 0 && strlen(text) == len);
	free(text);
	errno = 0;
	CHECK(procfs_slurp("/nonexistent/file", NULL) == NULL && errno == ENOENT);
}

int main(void)
{
	RUN(test_stat_real);
	RUN(test_stat_hostile_comm);
	RUN(test_stat_garbage);
	RUN(test_stat_truncated);
	RUN(test_smaps_rollup);
	RUN(test_meminfo);
	RUN(test_status);
	RUN(test_maps);
	RUN(test_maps_find);
	RUN(test_maps_garbage);
	RUN(test_all_truncations);
	RUN(test_read_self);
	RUN(test_read_missing);
	UNIT_EXIT();
}
