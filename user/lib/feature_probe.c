// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include "feature_probe.h"
#include "procfs.h"

#define TRACEFS_MAGIC_NUMBER 0x74726163
#define TRACEFS_PATH "/sys/kernel/tracing"
#define DEBUGFS_TRACING_PATH "/sys/kernel/debug/tracing"

static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	if (level == LIBBPF_INFO && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void libbpf_log_setup(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_bpf_capabilities(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	bool sys_admin = data[CAP_SYS_ADMIN / 32].effective & (1U << (CAP_SYS_ADMIN % 32));
	bool bpf = data[CAP_BPF / 32].effective & (1U << (CAP_BPF % 32));
	bool perfmon = data[CAP_PERFMON / 32].effective & (1U << (CAP_PERFMON % 32));
	return sys_admin || (bpf && perfmon);
}

int check_bpf_prerequisites(const char *tool)
{
	if (geteuid() != 0 && !has_bpf_capabilities()) {
		fprintf(stderr, "%s: must run as root (or with CAP_BPF and CAP_PERFMON)\n", tool);
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fprintf(stderr, "%s: kernel BTF not found at /sys/kernel/btf/vmlinux "
			"(needs a kernel built with CONFIG_DEBUG_INFO_BTF=y)\n", tool);
		return -1;
	}
	return 0;
}

static int vmlinux_btf_error;	/* why vmlinux_btf() failed: errno moves on */

static struct btf *vmlinux_btf(void)
{
	static struct btf *btf;
	static bool tried;

	if (!tried) {
		tried = true;
		/* parsed from sysfs ourselves: libbpf's search reports any
		 * failure (even ENOMEM) as "not found" */
		errno = 0;
		btf = btf__parse("/sys/kernel/btf/vmlinux", NULL);	/* kept for life */
		if (!btf)
			vmlinux_btf_error = errno ? errno : ENOENT;
	}
	return btf;
}

int kernel_btf_load_error(void)
{
	return vmlinux_btf() ? 0 : -vmlinux_btf_error;
}

int check_kernel_btf(const char *tool)
{
	int err = kernel_btf_load_error();

	if (!err)
		return 0;
	fprintf(stderr, "%s: cannot load kernel BTF: %s\n", tool, strerror(-err));
	return -1;
}

/* The BTF id of tracepoint name's btf_trace_<name> typedef, or <= 0. */
static int tp_btf_id(const char *name)
{
	char type_name[128];
	struct btf *btf = vmlinux_btf();

	if (!btf)
		return -1;
	snprintf(type_name, sizeof(type_name), "btf_trace_%s", name);
	return btf__find_by_name_kind(btf, type_name, BTF_KIND_TYPEDEF);
}

bool tp_btf_exists(const char *name)
{
	return tp_btf_id(name) > 0;
}

#define PROBE_MAX_ARGS 12

bool tp_btf_usable(const char *name, int nargs, bool needs_task_btf)
{
	struct bpf_insn insns[PROBE_MAX_ARGS + 3];
	struct bpf_prog_load_opts opts = { .sz = sizeof(opts), .expected_attach_type = BPF_TRACE_RAW_TP };
	int n = 0, fd, id;

	if (nargs > PROBE_MAX_ARGS || kernel_btf_load_error() || !tp_btf_exists(name))
		return false;
	/* the btf_trace_<name> typedef, as libbpf_find_vmlinux_btf_id() finds
	 * it — from the BTF parsed once, not a parse per probe */
	id = tp_btf_id(name);
	if (id <= 0)
		return false;
	opts.attach_btf_id = (__u32)id;
	/* r0 = *(u64 *)(r1 + 8 * i): what BPF_PROG() does for each argument */
	for (int i = 0; i < nargs; i++)
		insns[n++] = (struct bpf_insn){ .code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_0,
						.src_reg = BPF_REG_1, .off = (__s16)(8 * i) };
	if (needs_task_btf)
		insns[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL,
						.imm = BPF_FUNC_get_current_task_btf };
	insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 };
	insns[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "mmscope_probe", "GPL", insns, (size_t)n, &opts);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The prototype of tracepoint name: btf_trace_<name> is a typedef of a
 * pointer to a FUNC_PROTO whose first parameter is the probe's data. */
static const struct btf_type *tp_proto(const struct btf *btf, const char *name)
{
	char type_name[128];
	const struct btf_type *t;
	int id;

	snprintf(type_name, sizeof(type_name), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, type_name, BTF_KIND_TYPEDEF);
	id = id > 0 ? btf__resolve_type(btf, (__u32)id) : -1;	/* the pointer */
	t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(btf, t->type);
	return t && btf_is_func_proto(t) ? t : NULL;
}

bool tp_btf_arg_is_struct_ptr(const char *name, int argno, const char *struct_name)
{
	struct btf *btf = vmlinux_btf();
	const struct btf_type *proto = btf ? tp_proto(btf, name) : NULL;
	const struct btf_param *params;
	const struct btf_type *t;
	int id;

	if (!proto || argno + 1 >= btf_vlen(proto))
		return false;
	params = btf_params(proto);
	id = btf__resolve_type(btf, params[argno + 1].type);	/* [0] is the data */
	t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	if (!t || !btf_is_ptr(t))
		return false;
	id = btf__resolve_type(btf, t->type);		/* through const */
	t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	return t && btf_is_struct(t) && !strcmp(btf__name_by_offset(btf, t->name_off), struct_name);
}

bool btf_member_is_array_of(const char *struct_name, const char *member, const char *elem_struct)
{
	struct btf *btf = vmlinux_btf();
	int id = btf ? btf__find_by_name_kind(btf, struct_name, BTF_KIND_STRUCT) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	const struct btf_member *m;

	if (!t)
		return false;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const struct btf_type *mt;

		if (strcmp(btf__name_by_offset(btf, m->name_off), member) != 0)
			continue;
		mt = btf__type_by_id(btf, m->type);
		if (!mt || !btf_is_array(mt))
			return false;
		id = btf__resolve_type(btf, btf_array(mt)->type);
		mt = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
		return mt && btf_is_struct(mt) &&
		       !strcmp(btf__name_by_offset(btf, mt->name_off), elem_struct);
	}
	return false;
}

bool bpf_helper_exists(int id)
{
	/* call id; r0 = 0; exit — as a tracepoint program: the tracing helpers
	 * are one set for kprobes, tracepoints and tp_btf. Not libbpf's
	 * libbpf_probe_bpf_helper(): it reads a log the kernel wrote without
	 * valgrind knowing (our buffer starts zeroed). */
	struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = id },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static char log[4096];
	struct bpf_prog_load_opts opts = { .sz = sizeof(opts), .log_buf = log,
					   .log_size = sizeof(log), .log_level = 1 };
	int fd, err;

	memset(log, 0, sizeof(log));
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "mmscope_probe", "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &opts);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	err = errno;
	/* "invalid func unknown#158": no such helper; "unknown func": not for
	 * this program type. Any other refusal is about the arguments this
	 * probe didn't set up — the helper is there. Not being allowed to load
	 * at all (EPERM) says nothing: assume the older kernel's way. */
	if (strstr(log, "invalid func ") || strstr(log, "unknown func "))
		return false;
	return err == EINVAL || err == EACCES;
}

struct bpf_program *prog_pick(struct bpf_program *best, struct bpf_program *fallback,
			      bool use_best)
{
	bpf_program__set_autoload(best, use_best);
	bpf_program__set_autoload(fallback, !use_best);
	return use_best ? best : fallback;
}

static const char *line_value(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? p + strlen(key) : NULL;
}

int kernel_hz_from_timer_list(const char *text)
{
	static const int candidates[] = { 100, 250, 300, 1000, 24, 32, 48, 64, 128, 200, 256, 512, 1024 };
	const char *now = text ? line_value(text, "now at ") : NULL;
	const char *jif = text ? line_value(text, "jiffies: ") : NULL;
	double t, best_err = -1;
	unsigned long long j;
	int best = 0;

	if (!now || !jif)
		return 0;
	t = strtod(now, NULL) / 1e9 - 300.0;	/* seconds since jiffies was 2^32 */
	j = strtoull(jif, NULL, 10);
	/* 20 s around the 300th second every rate fits: can't tell */
	if (t > -10 && t < 10)
		return 0;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		double err = (double)j - 4294967296.0 - candidates[i] * t;

		err = err < 0 ? -err : err;
		if (best_err < 0 || err < best_err) {
			best_err = err;
			best = candidates[i];
		}
	}
	/* a tick or two late (NOHZ), never a rate off */
	return best_err <= 0.02 * (best * (t < 0 ? -t : t)) + 10 ? best : 0;
}

int kernel_hz(void)
{
	char *text = procfs_slurp("/proc/timer_list", NULL);
	int hz = kernel_hz_from_timer_list(text);

	free(text);
	return hz;
}

static bool is_tracefs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (unsigned long)st.f_type == TRACEFS_MAGIC_NUMBER;
}

int tracefs_ensure_mounted(void)
{
	if (is_tracefs(TRACEFS_PATH))
		return 0;
	if (mount("tracefs", TRACEFS_PATH, "tracefs", 0, NULL) == 0)
		return 0;
	return -errno;
}

bool syscall_tracepoints_usable(const char *tool, const char *what_is_off)
{
	int err = tracefs_ensure_mounted();

	if (err) {
		fprintf(stderr, "%s: warning: tracefs not mounted and mounting it failed (%s); %s\n",
			tool, strerror(-err), what_is_off);
		return false;
	}
	if (!tracepoint_exists("syscalls", "sys_enter_mmap")) {
		fprintf(stderr, "%s: warning: no syscall tracepoints (CONFIG_FTRACE_SYSCALLS off); %s\n",
			tool, what_is_off);
		return false;
	}
	return true;
}

bool tracepoint_exists(const char *category, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS_PATH "/events/%s/%s/id", category, name);
	if (access(path, R_OK) == 0)
		return true;
	snprintf(path, sizeof(path), DEBUGFS_TRACING_PATH "/events/%s/%s/id", category, name);
	return access(path, R_OK) == 0;
}
