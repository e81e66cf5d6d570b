/* SPDX-License-Identifier: GPL-2.0 */
/* Run-time feature probes and the checks every tool makes before loading
 * BPF, each failing with one clear line. */
#ifndef MMSCOPE_FEATURE_PROBE_H
#define MMSCOPE_FEATURE_PROBE_H

#include <stdbool.h>

/* Routes libbpf's log to stderr: everything with verbose, warnings only
 * otherwise. */
void libbpf_log_setup(bool verbose);

/* 0, or -1 after printing "<tool>: <why>" to stderr: not root (nor
 * CAP_BPF+CAP_PERFMON), or no kernel BTF at /sys/kernel/btf/vmlinux. */
int check_bpf_prerequisites(const char *tool);

/* 0 if the kernel's BTF loads, else -errno (-ENOMEM when memory is short):
 * check it before tp_btf_exists, whose "no" would otherwise mislead. */
int kernel_btf_load_error(void);

/* True if the kernel's BTF has the tracepoint, i.e. tp_btf/<name> can
 * attach. */
bool tp_btf_exists(const char *name);

/* Makes sure tracefs is mounted (classic tracepoints need it to find an
 * event's id): 0 if it is or we mounted it, -errno otherwise. */
int tracefs_ensure_mounted(void);

/* The syscall tracepoints (syscalls:sys_enter_mmap & co.) can be attached:
 * tracefs is mounted (or we mounted it) and the kernel has them. If not,
 * prints "<tool>: warning: ...; <what_is_off>" and returns false. */
bool syscall_tracepoints_usable(const char *tool, const char *what_is_off);

/* True if the classic tracepoint category/name exists (needs tracefs). */
bool tracepoint_exists(const char *category, const char *name);

#endif
