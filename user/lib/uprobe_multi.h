/* SPDX-License-Identifier: GPL-2.0 */
/* uprobe_multi links (kernel 6.6+): many uprobes of one program in one
 * file as one link, through BPF_LINK_CREATE directly — Debian 12's libbpf
 * 1.1.2 predates bpf_program__attach_uprobe_multi.
 *
 * Why: each uprobe perf-event link waits for an RCU grace period when it
 * is closed (~100 ms here), so leaksnoop's ~20 of them made a one-shot
 * `leaksnoop -- /bin/true` take 2.4 s; a multi link waits once. */
#ifndef MMSCOPE_UPROBE_MULTI_H
#define MMSCOPE_UPROBE_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's enum values, missing from libbpf 1.1.2's headers. */
#define MMSCOPE_BPF_TRACE_UPROBE_MULTI	48
#define MMSCOPE_BPF_F_UPROBE_MULTI_RETURN	1U

/* True if this kernel creates uprobe_multi links (probed once: a program
 * of that attach type loads, and a link on "/" fails with EBADF, not
 * EINVAL). */
bool uprobe_multi_supported(void);

/* True if uprobe programs may call bpf_get_attach_cookie (5.15+). */
bool uprobe_cookie_supported(void);

/* One link of prog_fd (loaded with expected attach type
 * MMSCOPE_BPF_TRACE_UPROBE_MULTI) on cnt file offsets of path, each with
 * its cookie, for process pid (0: all). Returns the link fd or -errno. */
int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets,
		      const uint64_t *cookies, size_t cnt, pid_t pid, bool retprobe);

#endif
