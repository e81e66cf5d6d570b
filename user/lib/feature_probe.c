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
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "feature_probe.h"

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

static struct btf *vmlinux_btf(void)
{
	static struct btf *btf;
	static bool tried;

	if (!tried) {
		tried = true;
		/* parsed from sysfs ourselves: libbpf's search reports any
		 * failure (even ENOMEM) as "not found" */
		btf = btf__parse("/sys/kernel/btf/vmlinux", NULL);	/* kept for life */
	}
	return btf;
}

int kernel_btf_load_error(void)
{
	return vmlinux_btf() ? 0 : -(errno ? errno : ENOENT);
}

bool tp_btf_exists(const char *name)
{
	char type_name[128];
	struct btf *btf = vmlinux_btf();

	if (!btf)
		return false;
	snprintf(type_name, sizeof(type_name), "btf_trace_%s", name);
	return btf__find_by_name_kind(btf, type_name, BTF_KIND_TYPEDEF) > 0;
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
