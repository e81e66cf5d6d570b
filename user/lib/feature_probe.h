/* SPDX-License-Identifier: GPL-2.0 */
/* Run-time feature probes and the checks every tool makes before loading
 * BPF, each failing with one clear line. */
#ifndef MMSCOPE_FEATURE_PROBE_H
#define MMSCOPE_FEATURE_PROBE_H

#include <stdbool.h>

/* The kernel's own ENOTSUPP (include/linux/errno.h, not in uapi): what a
 * map answers for an operation it lacks (5.10's arrays: batch lookups),
 * where newer kernels say EINVAL or EOPNOTSUPP. */
#define KERNEL_ENOTSUPP 524

/* Routes libbpf's log to stderr: everything with verbose, warnings only
 * otherwise. */
void libbpf_log_setup(bool verbose);

/* 0, or -1 after printing "<tool>: <why>" to stderr: not root (nor
 * CAP_BPF+CAP_PERFMON), or no kernel BTF at /sys/kernel/btf/vmlinux. */
int check_bpf_prerequisites(const char *tool);

/* 0 if the kernel's BTF loads, else -errno (-ENOMEM when memory is short):
 * check it before tp_btf_exists, whose "no" would otherwise mislead. */
int kernel_btf_load_error(void);

/* 0, or -1 after printing "<tool>: cannot load kernel BTF: <why>": the
 * check before tp_btf_exists (an unreadable BTF, memory short, is not a
 * missing tracepoint). */
int check_kernel_btf(const char *tool);

/* True if the kernel's BTF has the tracepoint, i.e. tp_btf/<name> can
 * attach. */
bool tp_btf_exists(const char *name);

/* True if a tp_btf program on tracepoint name may read its first nargs
 * arguments — before ~6.16 the verifier refuses to let one read a
 * `const void *` argument (kmem:kmalloc's ptr) — and, with
 * needs_task_btf, call bpf_get_current_task_btf() (5.11+). Loads a
 * two-instruction probe program; false if the tracepoint is missing. */
bool tp_btf_usable(const char *name, int nargs, bool needs_task_btf);

/* True if argument argno (from 0) of tracepoint name is a pointer to
 * struct struct_name, per the kernel's BTF: tracepoint prototypes change
 * between kernels (kmem_cache_alloc gained its cache in 6.1). */
bool tp_btf_arg_is_struct_ptr(const char *name, int argno, const char *struct_name);

/* True if the kernel's struct struct_name has a member that is an array of
 * struct elem_struct: kernel-internal layouts change between versions
 * (kfree_rcu's lists became list_heads in 6.2). */
bool btf_member_is_array_of(const char *struct_name, const char *member, const char *elem_struct);

/* True if the kernel knows BPF helper id (enum bpf_func_id) for tracing
 * programs. */
bool bpf_helper_exists(int id);

struct bpf_program;

/* Of two variants of one hook, loads best if use_best and fallback
 * otherwise (the other's autoload off); returns the one loaded. */
struct bpf_program *prog_pick(struct bpf_program *best, struct bpf_program *fallback,
			      bool use_best);

/* The kernel's tick rate, derived from the "now at N nsecs" and "jiffies:"
 * lines of /proc/timer_list (jiffies starts 300 s before boot, wrapped to
 * 32 bits), so no kernel config file is needed. 0 if text doesn't tell. */
int kernel_hz_from_timer_list(const char *text);

/* kernel_hz_from_timer_list() of this kernel; 0 if it can't be told. */
int kernel_hz(void);

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
