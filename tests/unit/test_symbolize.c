// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/lib/symbolize.c and ksyms.c: functions and lines in
 * this (PIE) binary and in libc, a child that exits before we resolve, a
 * file visible only in another mount namespace, a deleted file, dlopen +
 * refresh, the formats, and the kallsyms parser on sample, garbage and
 * truncated text, and on the real /proc/kallsyms. */
#define _GNU_SOURCE	/* dl_iterate_phdr, unshare */
#include "unit.h"
#include "symbolize.h"
#include "procfs.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- a function whose name, file and line we know ------------------------ */

/* noipa: no inlining, cloning (".constprop.0") or tail calls, so the symbol
 * is exactly "known_caller" and the call really happens. */
static __attribute__((noipa)) uint64_t return_address(void)
{
	return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

static int known_caller_line;

/* Returns the address after its call to return_address(). The call and the
 * __LINE__ share a line, so (address - 1) resolves to known_caller_line. */
static __attribute__((noipa)) uint64_t known_caller(void)
{
	uint64_t ret = return_address(); known_caller_line = __LINE__;

	return ret;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n, m;

	if (!s)
		return false;
	n = strlen(s);
	m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Checks that addr (a return address in known_caller) resolves to it. */
static void check_known_caller(struct usym_snapshot *s, uint64_t addr)
{
	char buf[256], want[256];
	struct usym sym;

	CHECK(usym_resolve(s, addr - 1, &sym) == 0);
	CHECK_STR(sym.func, "known_caller");
	CHECK(ends_with(sym.file, "test_symbolize.c"));
	CHECK_U64(sym.line, known_caller_line);
	usym_format(&sym, addr - 1, buf, sizeof(buf));
	snprintf(want, sizeof(want), "known_caller (test_symbolize.c:%d)",
		 known_caller_line);
	CHECK_STR(buf, want);
}

/* --- helpers ----------------------------------------------------------------- */

static int first_object_bias(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uint64_t *)data = info->dlpi_addr;
	return 1;	/* the first object is the executable */
}

/* known_caller's return address as an address inside our ELF file. */
static uint64_t known_caller_file_address(void)
{
	uint64_t bias = 0;

	dl_iterate_phdr(first_object_bias, &bias);
	return known_caller() - bias;
}

static bool copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	bool ok = in >= 0 && out >= 0;
	ssize_t got;

	while (ok && (got = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, (size_t)got) == got;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ok;
}

static bool self_exe_path(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Maps a whole file executable, at offset 0, as ld.so maps the first
 * segment. Returns the address or MAP_FAILED. */
static void *map_file_exec(const char *path, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return MAP_FAILED;
	}
	*len = (size_t)st.st_size;
	p = mmap(NULL, *len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	close(fd);
	return p;
}

static pid_t fork_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* --- user space ---------------------------------------------------------------- */

static void test_resolve_own_function_and_line(void)
{
	struct usym_snapshot *s = usym_snapshot_take(getpid());

	CHECK(s != NULL);
	if (!s)
		return;
	check_known_caller(s, known_caller());
	usym_snapshot_free(s);
}

/* libc's own address of a function: sanitizers and valgrind replace qsort,
 * malloc and clock_gettime in the program's namespace, not in libc's. */
static uint64_t libc_address(const char *name)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *sym = libc ? dlsym(libc, name) : NULL;

	if (libc)
		dlclose(libc);
	return (uint64_t)(uintptr_t)sym;
}

static void test_resolve_libc(void)
{
	struct usym_snapshot *s = usym_snapshot_take(getpid());
	uint64_t qsort_addr = libc_address("qsort");
	struct usym sym;
	char buf[256];

	CHECK(s != NULL && qsort_addr != 0);
	if (!s || !qsort_addr)
		return;
	CHECK(usym_resolve(s, qsort_addr, &sym) == 0);
	CHECK(sym.module && strstr(sym.module, "libc"));
	CHECK(sym.func && strstr(sym.func, "qsort"));
	CHECK_U64(sym.func_offset, 0);
	usym_format(&sym, qsort_addr, buf, sizeof(buf));
	CHECK(strstr(buf, "qsort") == buf);

	CHECK(usym_resolve(s, libc_address("malloc") + 1, &sym) == 0);
	CHECK(sym.func && strstr(sym.func, "malloc"));
	/* Versioned in libc's debug .symtab ("clock_gettime@@GLIBC_2.17"). */
	CHECK(usym_resolve(s, libc_address("clock_gettime"), &sym) == 0);
	CHECK(sym.func && strstr(sym.func, "clock_gettime") && !strchr(sym.func, '@'));
	usym_snapshot_free(s);
}

static void test_unmapped_address(void)
{
	struct usym_snapshot *s = usym_snapshot_take(getpid());
	void *heap = malloc(64);
	struct usym sym;
	char buf[64];

	CHECK(s != NULL);
	if (!s) {
		free(heap);
		return;
	}
	/* Page 0 is never mapped. */
	CHECK(usym_resolve(s, 0x10, &sym) == -ENOENT);
	CHECK(sym.module == NULL && sym.func == NULL);
	CHECK_STR(usym_format(&sym, 0x10, buf, sizeof(buf)), "0x10");
	CHECK(usym_resolve(s, (uint64_t)(uintptr_t)heap, &sym) == -ENOENT);
	CHECK_STR(usym_format(NULL, 0x7f0012345678ULL, buf, sizeof(buf)),
		  "0x7f0012345678");
	free(heap);
	usym_snapshot_free(s);
}

static int count_open_fds(void);

/* A snapshot taken (by take) of a child still resolves once the child is
 * gone; freeing it closes what it opened. A lazy one opens symbols and
 * DWARF only then, through the fd it holds on the child's root. */
static void check_resolved_after_exit(struct usym_snapshot *(*take)(pid_t))
{
	uint64_t addr = known_caller();	/* a fork shares our layout */
	int before = count_open_fds();
	struct usym_snapshot *s;
	pid_t pid = fork_sleeper();

	CHECK(pid > 0);
	if (pid <= 0)
		return;
	s = take(pid);
	kill_and_reap(pid);
	CHECK(s != NULL);
	CHECK(!procfs_pid_exists(pid));
	if (!s)
		return;
	check_known_caller(s, addr);
	CHECK(usym_snapshot_refresh(s) < 0);	/* gone, and says so */
	check_known_caller(s, addr);		/* but keeps what it had */
	usym_snapshot_free(s);
	CHECK_U64(count_open_fds(), before);
}

static void test_child_resolved_after_exit(void)
{
	check_resolved_after_exit(usym_snapshot_take);
}

static void test_lazy_child_resolved_after_exit(void)
{
	check_resolved_after_exit(usym_snapshot_take_lazy);
}

static void test_gone_process(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	errno = 0;
	CHECK(usym_snapshot_take(pid) == NULL);
	CHECK(errno == ENOENT || errno == ESRCH);
	CHECK(usym_snapshot_take(0) == NULL);
}

/* The child, in its own mount namespace, mounts a tmpfs on dir, copies our
 * binary there and maps it: the file exists only in the child's namespace,
 * at a path that is empty in ours. Sends the mapping's address (0 on
 * failure) and sleeps. */
static void namespace_child(const char *dir, const char *exe, int pipe_fd)
{
	char copy[PATH_MAX];
	uint64_t addr = 0;
	size_t len;
	void *p;

	snprintf(copy, sizeof(copy), "%s/copy", dir);
	if (unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("tmpfs", dir, "tmpfs", 0, NULL) == 0 && copy_file(exe, copy) &&
	    (p = map_file_exec(copy, &len)) != MAP_FAILED)
		addr = (uint64_t)(uintptr_t)p;
	if (write(pipe_fd, &addr, sizeof(addr)) != sizeof(addr))
		_exit(1);
	for (;;)
		pause();
}

static void test_other_mount_namespace(void)
{
	char dir[] = "/tmp/symbolize-ns-XXXXXX", exe[PATH_MAX], copy[PATH_MAX + 8];
	uint64_t file_addr = known_caller_file_address(), base = 0;
	struct usym_snapshot *s;
	int fds[2];
	pid_t pid;

	CHECK(self_exe_path(exe, sizeof(exe)));
	CHECK(mkdtemp(dir) != NULL);
	CHECK(pipe(fds) == 0);
	pid = fork();
	if (pid == 0)
		namespace_child(dir, exe, fds[1]);
	close(fds[1]);
	CHECK(read(fds[0], &base, sizeof(base)) == sizeof(base));
	close(fds[0]);
	CHECK(base != 0);
	/* The file must be invisible from here for the test to mean anything. */
	snprintf(copy, sizeof(copy), "%s/copy", dir);
	CHECK(access(copy, F_OK) != 0);
	s = base ? usym_snapshot_take(pid) : NULL;
	kill_and_reap(pid);
	rmdir(dir);
	CHECK(s != NULL);
	if (!s)
		return;
	check_known_caller(s, base + file_addr);
	usym_snapshot_free(s);
}

static void test_deleted_file(void)
{
	char path[] = "/tmp/symbolize-del-XXXXXX", exe[PATH_MAX];
	uint64_t file_addr = known_caller_file_address();
	struct usym_snapshot *s;
	struct usym sym;
	size_t len = 0;
	void *p;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && self_exe_path(exe, sizeof(exe)));
	if (fd >= 0)
		close(fd);
	CHECK(copy_file(exe, path));
	p = map_file_exec(path, &len);
	unlink(path);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	s = usym_snapshot_take(getpid());
	CHECK(s != NULL);
	if (s) {
		uint64_t addr = (uint64_t)(uintptr_t)p + file_addr;

		check_known_caller(s, addr);
		CHECK(usym_resolve(s, addr, &sym) == 0);
		CHECK_STR(sym.module, path);	/* no " (deleted)" */
		usym_snapshot_free(s);
	}
	munmap(p, len);
}

/* The start of the first executable mapping whose path contains name. */
static uint64_t code_address_of(const char *name)
{
	struct vma_list l = { 0 };
	uint64_t addr = 0;
	size_t i;

	if (procfs_read_pid_maps(getpid(), &l) != 0)
		return 0;
	for (i = 0; i < l.n && !addr; i++)
		if (l.v[i].exec && l.v[i].path && strstr(l.v[i].path, name))
			addr = l.v[i].start;
	vma_list_free(&l);
	return addr;
}

/* Any small system library we aren't linked with will do. */
static void *dlopen_unmapped_library(const char **name)
{
	static const char *const candidates[] = {
		"libthread_db.so.1", "libresolv.so.2", "libanl.so.1",
	};
	size_t i;

	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		void *h;

		if (code_address_of(candidates[i]))
			continue;
		h = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
		if (h) {
			*name = candidates[i];
			return h;
		}
	}
	return NULL;
}

static void test_refresh_picks_up_dlopen(void)
{
	struct usym_snapshot *s = usym_snapshot_take(getpid());
	const char *name = NULL, *module_before;
	uint64_t lib_addr, own = known_caller();
	struct usym sym;
	void *handle;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(usym_resolve(s, own - 1, &sym) == 0);
	module_before = sym.module;
	handle = dlopen_unmapped_library(&name);
	CHECK(handle != NULL);
	lib_addr = handle ? code_address_of(name) : 0;
	CHECK(lib_addr != 0);
	CHECK(usym_resolve(s, lib_addr, &sym) == -ENOENT);
	CHECK(usym_snapshot_refresh(s) == 0);
	CHECK(usym_resolve(s, lib_addr, &sym) == 0);
	CHECK(sym.module && name && strstr(sym.module, name));
	/* What was there is kept, strings from before included. */
	check_known_caller(s, own);
	CHECK(module_before && strstr(module_before, "test_symbolize"));
	CHECK(usym_snapshot_refresh(s) == 0);	/* nothing new: no change */
	check_known_caller(s, own);
	usym_snapshot_free(s);
	if (handle)
		dlclose(handle);
}

static void test_vdso(void)
{
	uint64_t vdso = getauxval(AT_SYSINFO_EHDR);
	struct usym_snapshot *s;
	struct usym sym;

	if (!vdso)	/* valgrind hides it */
		return;
	s = usym_snapshot_take(getpid());
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(usym_resolve(s, vdso + 0x10, &sym) == 0);
	CHECK_STR(sym.module, "[vdso]");
	CHECK_U64(sym.module_offset, 0x10);
	usym_snapshot_free(s);
}

static int count_open_fds(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Dwfl owns the fds we hand it; freeing the snapshot must close them all. */
static void test_free_closes_files(void)
{
	int before = count_open_fds(), i;

	for (i = 0; i < 3; i++) {
		struct usym_snapshot *s = usym_snapshot_take(getpid());

		CHECK(s != NULL);
		CHECK(s == NULL || usym_snapshot_refresh(s) == 0);
		usym_snapshot_free(s);
	}
	usym_snapshot_free(NULL);
	CHECK_U64(count_open_fds(), before);
}

/* The single-file entry point the fuzzer uses: our own executable, placed
 * at 0x400000 (a PIE, so its vaddr 0 is there), resolves like a snapshot;
 * the caller's fd stays open and nothing else does. */
static void test_resolve_in_file(void)
{
	uint64_t addr = 0x400000 + known_caller_file_address() - 1;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int before = count_open_fds();
	char buf[256], want[128];

	CHECK(fd >= 0);
	CHECK_U64(usym_resolve_in_file(fd, addr, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "known_caller (test_symbolize.c:%d)",
		 known_caller_line);
	CHECK_STR(buf, want);
	CHECK_U64(usym_resolve_in_file(fd, 0x1000, buf, sizeof(buf)), -ENOENT);
	CHECK_U64(count_open_fds(), before);
	CHECK(fcntl(fd, F_GETFD) >= 0);
	close(fd);
}

static void test_format(void)
{
	struct usym with_line = {
		.module = "/usr/bin/app", .module_offset = 0x1234,
		.func = "main", .func_offset = 0x1a,
		.file = "/src/app/main.c", .line = 42,
	};
	struct usym no_line = {
		.module = "/usr/lib/libfoo.so", .module_offset = 0x1234,
		.func = "foo", .func_offset = 0x1a,
	};
	struct usym no_func = { .module = "/usr/lib/libfoo.so", .module_offset = 0x1234 };
	struct usym nothing = { 0 };
	char buf[128], tiny[8];

	CHECK_STR(usym_format(&with_line, 1, buf, sizeof(buf)), "main (main.c:42)");
	CHECK_STR(usym_format(&no_line, 1, buf, sizeof(buf)), "foo+0x1a (libfoo.so)");
	no_line.func_offset = 0;
	CHECK_STR(usym_format(&no_line, 1, buf, sizeof(buf)), "foo (libfoo.so)");
	CHECK_STR(usym_format(&no_func, 1, buf, sizeof(buf)), "libfoo.so+0x1234");
	CHECK_STR(usym_format(&nothing, 0x7fff0000abcdULL, buf, sizeof(buf)),
		  "0x7fff0000abcd");
	/* Truncated, still terminated. */
	CHECK_STR(usym_format(&no_func, 1, tiny, sizeof(tiny)), "libfoo.");
	CHECK(usym_format(&no_func, 1, NULL, 0) == NULL);
}

/* --- kernel ---------------------------------------------------------------- */

static const char kallsyms_sample[] =
	"ffffffff81001000 t do_one_initcall\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T _text\n"
	"garbage line without anything useful\n"
	"zzzzzzzzzzzzzzzz T not_hex\n"
	"ffffffff81002000 T\n"
	"ffffffff81002000 T \n"
	"ffffffff81002000TT glued\n"
	"1ffffffff81002000 T too_many_digits\n"
	"\n"
	"ffffffffc0a01000 t foo_mod_fn\t[foo_mod]\n"
	"ffffffff81003000 T last_sym";	/* no final newline */

static void test_kallsyms_parse(void)
{
	struct ksyms *k = ksyms_parse(kallsyms_sample);
	uint64_t off = 99;

	CHECK(k != NULL);
	if (!k)
		return;
	CHECK(ksyms_resolve(k, 0xffffffff80ffffffULL, &off) == NULL);
	CHECK_STR(ksyms_resolve(k, 0xffffffff81000010ULL, &off), "_stext");
	CHECK_U64(off, 0x10);
	CHECK_STR(ksyms_resolve(k, 0xffffffff81001000ULL, &off), "do_one_initcall");
	CHECK_U64(off, 0);
	CHECK_STR(ksyms_resolve(k, 0xffffffff81002fffULL, &off), "do_one_initcall");
	CHECK_STR(ksyms_resolve(k, 0xffffffff81003001ULL, &off), "last_sym");
	CHECK_STR(ksyms_resolve(k, 0xffffffffc0a01004ULL, &off), "foo_mod_fn");
	CHECK_U64(off, 4);
	CHECK_U64(ksyms_address(k, "foo_mod_fn"), 0xffffffffc0a01000ULL);
	CHECK_U64(ksyms_address(k, "_text"), 0xffffffff81000000ULL);
	CHECK_U64(ksyms_address(k, "last_sym"), 0xffffffff81003000ULL);
	CHECK_U64(ksyms_address(k, "not_hex"), 0);
	CHECK_U64(ksyms_address(k, "glued"), 0);
	CHECK_U64(ksyms_address(k, "too_many_digits"), 0);
	CHECK_U64(ksyms_address(k, "[foo_mod]"), 0);
	CHECK_U64(ksyms_address(k, "absent"), 0);
	ksyms_free(k);

	k = ksyms_parse("");
	CHECK(k != NULL && ksyms_resolve(k, 1, &off) == NULL);
	ksyms_free(k);
	CHECK(ksyms_parse(NULL) == NULL);
	CHECK(ksyms_resolve(NULL, 1, &off) == NULL);
	CHECK_U64(ksyms_address(NULL, "x"), 0);
	ksyms_free(NULL);
}

/* Every prefix of the sample: a file cut short anywhere must parse. */
static void test_kallsyms_truncated(void)
{
	size_t len = strlen(kallsyms_sample), cut;

	for (cut = 0; cut <= len; cut++) {
		char *text = strndup(kallsyms_sample, cut);
		struct ksyms *k = ksyms_parse(text);
		uint64_t off = 0;
		const char *name;

		CHECK(k != NULL);
		name = ksyms_resolve(k, 0xffffffffffffffffULL, &off);
		if (name)
			CHECK(ksyms_address(k, name) != 0 || off != 0);
		ksyms_free(k);
		free(text);
	}
}

/* Random text from the characters that matter; valgrind checks the reads. */
static void test_kallsyms_garbage(void)
{
	static const char alphabet[] = "0123456789abcdefxyzT t\t\n[]";
	unsigned int seed = 12345;
	int round;

	for (round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand_r(&seed) % 300), i;
		char *text = malloc(len + 1);
		struct ksyms *k;
		uint64_t addr, off = 0;
		const char *name;

		if (!text)
			return;
		for (i = 0; i < len; i++)
			text[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		text[len] = '\0';
		k = ksyms_parse(text);
		CHECK(k != NULL);
		addr = ((uint64_t)rand_r(&seed) << 33) ^ (uint64_t)rand_r(&seed);
		name = ksyms_resolve(k, addr, &off);
		if (name)
			CHECK(off <= addr && *name);
		ksyms_free(k);
		free(text);
	}
}

static void check_kernel_symbol(const struct ksyms *k, const char *name)
{
	uint64_t addr = ksyms_address(k, name), off = 99;

	CHECK(addr != 0);
	if (!addr) {
		printf("  %s not in /proc/kallsyms\n", name);
		return;
	}
	CHECK_STR(ksyms_resolve(k, addr, &off), name);
	CHECK_U64(off, 0);
	CHECK_STR(ksyms_resolve(k, addr + 1, &off), name);
	CHECK_U64(off, 1);
}

static void test_kallsyms_load(void)
{
	struct ksyms *k = ksyms_load();

	CHECK(k != NULL);
	if (!k) {
		printf("  ksyms_load: %s\n", strerror(errno));
		return;
	}
	check_kernel_symbol(k, "schedule");
	check_kernel_symbol(k, "do_sys_openat2");
	ksyms_free(k);
}

int main(void)
{
	RUN(test_format);
	RUN(test_resolve_own_function_and_line);
	RUN(test_resolve_libc);
	RUN(test_unmapped_address);
	RUN(test_vdso);
	RUN(test_child_resolved_after_exit);
	RUN(test_lazy_child_resolved_after_exit);
	RUN(test_gone_process);
	RUN(test_other_mount_namespace);
	RUN(test_deleted_file);
	RUN(test_refresh_picks_up_dlopen);
	RUN(test_free_closes_files);
	RUN(test_resolve_in_file);
	RUN(test_kallsyms_parse);
	RUN(test_kallsyms_truncated);
	RUN(test_kallsyms_garbage);
	RUN(test_kallsyms_load);
	UNIT_EXIT();
}
