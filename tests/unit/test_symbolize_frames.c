// SPDX-License-Identifier: GPL-2.0
/* Unit tests for symbolize.c's valgrind-like frames: demangled C++ and
 * Rust names, functions inlined at an address shown as their own frames
 * (this binary is built -O2 -g), and separate debug info found by build-id
 * under the target's own /usr/lib/debug (a mount namespace we can't see
 * into) and through .gnu_debuglink next to the file. The programs for the
 * debug-info tests are compiled here with gcc, then stripped of DWARF. */
#define _GNU_SOURCE
#include "unit.h"
#include "symbolize.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- demangling ------------------------------------------------------------- */

static void check_demangle(const char *mangled, const char *want)
{
	char *got = usym_demangle(mangled);

	if (want)
		CHECK_STR(got, want);
	else
		CHECK(got == NULL);
	free(got);
}

static void test_demangle(void)
{
	check_demangle("_Znwm", "operator new(unsigned long)");
	check_demangle("_ZN3foo3barEi", "foo::bar(int)");
	check_demangle("_ZSt13__invoke_implIvPFvvEJEET_St14__invoke_otherOT0_DpOT1_",
		       "void std::__invoke_impl<void, void (*)()>(std::__invoke_other, void (*&&)())");
	/* Rust: legacy (the hash suffix goes) and v0 */
	check_demangle("_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write");
	check_demangle("_RNvCs1234_7mycrate3foo", "mycrate::foo");
	check_demangle("main", NULL);
	check_demangle("_Zgarbage", NULL);
	check_demangle("", NULL);
}

/* --- inlined frames ------------------------------------------------------------ */

static __attribute__((noipa)) uint64_t return_address(void)
{
	return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

static int leaf_line, middle_line, outer_line;

/* The call to return_address() sits in inline_leaf, inlined into
 * inline_middle, inlined into frames_outer: three frames, one address. */
static inline __attribute__((always_inline)) uint64_t inline_leaf(void)
{
	uint64_t r = return_address(); leaf_line = __LINE__;

	return r;
}

static inline __attribute__((always_inline)) uint64_t inline_middle(void)
{
	uint64_t r = inline_leaf(); middle_line = __LINE__;

	return r;
}

static __attribute__((noipa)) uint64_t frames_outer(void)
{
	uint64_t r = inline_middle(); outer_line = __LINE__;

	return r;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return s && n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_inlined_frames(void)
{
	uint64_t ret = frames_outer();
	struct usym_snapshot *s = usym_snapshot_take(getpid());
	struct usym f[8];
	char buf[256], want[256];
	int n;

	CHECK(s != NULL);
	if (!s)
		return;
	n = usym_resolve_frames(s, ret - 1, f, 8);
	CHECK_U64(n, 3);
	if (n == 3) {
		CHECK_STR(f[0].func, "inline_leaf");
		CHECK(f[0].inlined && f[1].inlined && !f[2].inlined);
		CHECK_U64(f[0].line, leaf_line);
		CHECK_STR(f[1].func, "inline_middle");
		CHECK_U64(f[1].line, middle_line);
		CHECK_STR(f[2].func, "frames_outer");
		CHECK_U64(f[2].line, outer_line);
		CHECK(ends_with(f[2].file, "test_symbolize_frames.c"));
		usym_format(&f[1], ret, buf, sizeof(buf));
		snprintf(want, sizeof(want), "inline_middle (test_symbolize_frames.c:%d)", middle_line);
		CHECK_STR(buf, want);
	}
	/* room for one frame: the function the code is in, at the line of its
	 * outermost inlined call (never a line of a level left out) */
	CHECK_U64(usym_resolve_frames(s, ret - 1, f, 1), 1);
	CHECK_STR(f[0].func, "frames_outer");
	CHECK_U64(f[0].line, outer_line);
	CHECK(!f[0].inlined);
	/* room for two: the innermost, then the function, same line as above */
	CHECK_U64(usym_resolve_frames(s, ret - 1, f, 2), 2);
	CHECK_STR(f[0].func, "inline_leaf");
	CHECK_STR(f[1].func, "frames_outer");
	CHECK_U64(f[1].line, outer_line);
	/* is code: our text yes, our stack and the heap no */
	CHECK(usym_is_code(s, ret));
	CHECK(!usym_is_code(s, (uint64_t)(uintptr_t)&n));
	CHECK(!usym_is_code(s, 0));
	usym_snapshot_free(s);
}

/* --- separate debug info -------------------------------------------------------- */

static const char prog_src[] =
	"#include <stdio.h>\n"
	"#include <unistd.h>\n"
	"__attribute__((noinline)) int debug_known(int x)\n"
	"{\n"
	"\treturn x * 3;\n"	/* line 5 */
	"}\n"
	"int main(void)\n"
	"{\n"
	"\tprintf(\"%p\\n\", (void *)debug_known);\n"
	"\tfflush(stdout);\n"
	"\tfor (;;) pause();\n"
	"\treturn debug_known(1);\n"
	"}\n";
#define PROG_KNOWN_LINE 5

/* Builds dir/prog with -g, moves its DWARF to dir/prog.debug (linked by
 * .gnu_debuglink) and leaves prog without it. The build-id's hex goes to
 * id (40 characters). */
static bool build_prog(const char *dir, char *id, size_t size)
{
	char cmd[4 * PATH_MAX], path[PATH_MAX];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/prog.c", dir);
	f = fopen(path, "w");
	if (!f)
		return false;
	fputs(prog_src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && gcc -O1 -g -Wl,--build-id=sha1 prog.c -o prog && "
		 "objcopy --only-keep-debug prog prog.debug && strip --strip-debug prog && "
		 "objcopy --add-gnu-debuglink=prog.debug prog && "
		 "readelf -n prog | sed -n 's/.*Build ID: //p' > id", dir);
	if (system(cmd) != 0)	// NOLINT(cert-env33-c): the test drives gcc/objcopy, fixed commands
		return false;
	snprintf(path, sizeof(path), "%s/id", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fgets(id, (int)size, f) && strlen(id) >= 41;
	fclose(f);
	id[strcspn(id, "\n")] = 0;
	return ok;
}

/* Starts dir/prog; in_ns: in a new mount namespace with a tmpfs on
 * /usr/lib/debug holding only the build-id link to prog.debug (and the
 * file itself moved away from dir), so only /proc/PID/root reaches it.
 * Returns the pid; *addr gets debug_known's address. */
static pid_t start_prog(const char *dir, const char *id, bool in_ns, uint64_t *addr)
{
	int fds[2];
	pid_t pid;
	char line[64] = "";
	ssize_t got;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		char cmd[4 * PATH_MAX], prog[PATH_MAX];

		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		if (in_ns) {
			if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    mount("tmpfs", "/usr/lib/debug", "tmpfs", 0, NULL))
				_exit(1);
			snprintf(cmd, sizeof(cmd), "mkdir -p /usr/lib/debug/.build-id/%.2s && "
				 "mv %s/prog.debug /usr/lib/debug/.build-id/%.2s/%s.debug",
				 id, dir, id, id + 2);
			if (system(cmd) != 0)	// NOLINT(cert-env33-c): fixed command in the test's child
				_exit(1);
		}
		snprintf(prog, sizeof(prog), "%s/prog", dir);
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	got = read(fds[0], line, sizeof(line) - 1);
	close(fds[0]);
	*addr = got > 0 ? strtoull(line, NULL, 16) : 0;
	return pid;
}

static void check_debug_known(pid_t pid, uint64_t addr)
{
	struct usym_snapshot *s = usym_snapshot_take(pid);
	struct usym sym;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(usym_resolve(s, addr, &sym) == 0);
	CHECK_STR(sym.func, "debug_known");
	CHECK(ends_with(sym.file, "prog.c"));
	CHECK_U64(sym.line, PROG_KNOWN_LINE);
	usym_snapshot_free(s);
}

/* Ends the program (if it started) and removes its directory. */
static void stop_prog(pid_t pid, const char *dir)
{
	char cmd[PATH_MAX + 16];

	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);	// NOLINT(cert-env33-c): removing the test's own temp dir
}

/* Builds the program in dir (mkdtemp template), starts it with its debug
 * file where in_ns says (see start_prog), checks the file is found; with
 * in_ns, that it is nowhere else first. */
static void check_debuginfo_found(char *dir, bool in_ns)
{
	char id[128], moved[PATH_MAX];
	uint64_t addr = 0;
	pid_t pid;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(build_prog(dir, id, sizeof(id)));
	pid = start_prog(dir, id, in_ns, &addr);
	CHECK(pid > 0 && addr != 0);
	if (in_ns) {	/* gone from the directory and not under our /usr/lib/debug */
		snprintf(moved, sizeof(moved), "%s/prog.debug", dir);
		CHECK(access(moved, F_OK) != 0);
		snprintf(moved, sizeof(moved), "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
		CHECK(access(moved, F_OK) != 0);
	}
	if (pid > 0 && addr)
		check_debug_known(pid, addr);
	stop_prog(pid, dir);
}

/* The debug file only under the target's /usr/lib/debug/.build-id (a
 * tmpfs in its mount namespace): found through /proc/PID/root. */
static void test_debuginfo_build_id_in_target_root(void)
{
	char dir[] = "/tmp/symbolize-bid-XXXXXX";

	check_debuginfo_found(dir, true);
}

/* The debug file beside the binary, named by .gnu_debuglink. */
static void test_debuginfo_debuglink(void)
{
	char dir[] = "/tmp/symbolize-dl-XXXXXX";

	check_debuginfo_found(dir, false);
}

/* Without the debug file: the .symtab name, no line. */
static void test_no_debuginfo_symtab_name(void)
{
	char dir[] = "/tmp/symbolize-nodbg-XXXXXX", id[128], path[PATH_MAX];
	struct usym_snapshot *s;
	struct usym sym;
	uint64_t addr = 0;
	pid_t pid;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(build_prog(dir, id, sizeof(id)));
	snprintf(path, sizeof(path), "%s/prog.debug", dir);
	CHECK(unlink(path) == 0);
	pid = start_prog(dir, id, false, &addr);
	s = pid > 0 && addr ? usym_snapshot_take(pid) : NULL;
	CHECK(s != NULL);
	if (s) {
		CHECK(usym_resolve(s, addr, &sym) == 0);
		CHECK_STR(sym.func, "debug_known");
		CHECK(sym.file == NULL);
		usym_snapshot_free(s);
	}
	stop_prog(pid, dir);
}

int main(void)
{
	RUN(test_demangle);
	RUN(test_inlined_frames);
	RUN(test_debuginfo_build_id_in_target_root);
	RUN(test_debuginfo_debuglink);
	RUN(test_no_debuginfo_symtab_name);
	UNIT_EXIT();
}
