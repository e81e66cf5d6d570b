// SPDX-License-Identifier: GPL-2.0
/* uprobe_multi links through the raw bpf(2) syscall. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "uprobe_multi.h"

/* bpf_attr.link_create as of 6.6 with the uprobe_multi member of its
 * union (libbpf 1.1.2's linux/bpf.h stops at kprobe_multi). The kernel's
 * layout. */
struct link_create_uprobe_multi {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t um_flags;
	uint32_t pid;
	uint32_t pad;
};

int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets,
		      const uint64_t *cookies, size_t cnt, pid_t pid, bool retprobe)
{
	struct link_create_uprobe_multi a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (uint32_t)prog_fd;
	a.target_fd = 0;		/* unused by this link type */
	a.flags = 0;
	a.ref_ctr_offsets = 0;		/* no USDT semaphores */
	a.pad = 0;
	a.attach_type = MMSCOPE_BPF_TRACE_UPROBE_MULTI;
	a.path = (uint64_t)(uintptr_t)path;
	a.offsets = (uint64_t)(uintptr_t)offsets;
	a.cookies = (uint64_t)(uintptr_t)cookies;
	a.cnt = (uint32_t)cnt;
	a.um_flags = retprobe ? MMSCOPE_BPF_F_UPROBE_MULTI_RETURN : 0;
	a.pid = pid > 0 ? (uint32_t)pid : 0;	/* -1 as libbpf's: every process */
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : (int)fd;
}

static int probe_once(void)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog_load_opts opts = {
		.sz = sizeof(opts),
		.expected_attach_type = (enum bpf_attach_type)MMSCOPE_BPF_TRACE_UPROBE_MULTI,
	};
	uint64_t off = 0;
	int pfd, lfd, ok;

	pfd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "probe_upm", "GPL", prog, 2, &opts);
	if (pfd < 0)
		return 0;
	/* "/" is a directory: a kernel that knows the link refuses it with
	 * EBADF after parsing the attributes; one that doesn't, EINVAL */
	lfd = uprobe_multi_link(pfd, "/", &off, NULL, 1, 0, false);
	ok = lfd == -EBADF;
	if (lfd >= 0)
		close(lfd);
	close(pfd);
	return ok;
}

static int probe_cookie(void)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_get_attach_cookie },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "probe_cookie", "GPL", prog, 3, NULL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

bool uprobe_cookie_supported(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = probe_cookie();
	return cached;
}

bool uprobe_multi_supported(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = probe_once();
	return cached;
}
