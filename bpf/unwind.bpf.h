/* SPDX-License-Identifier: GPL-2.0 */
/* A CFI stack unwinder for user space, in BPF (x86-64).
 *
 * User space (user/leaksnoop/unwind.c) builds one table of rows per mapped
 * file from its .eh_frame (user/lib/unwind_table.c), puts the rows into one
 * pool shared by every process that maps the file (uw_rows), and gives each
 * traced process a sorted list of its executable mappings (uw_procs), each
 * naming its file's rows and load bias. Per frame the walk does two binary
 * searches (the mapping, then the row) and one or two reads of the user
 * stack; where no row covers a pc (no CFI, JIT code, a table that didn't
 * fit) it follows the frame pointer instead, as bpf_get_stack would, and a
 * pc outside every executable mapping ends the stack (so garbage never
 * splits one stack into several).
 *
 * Loops are bounded with constant trip counts and no helper beyond 5.5's
 * (bpf_probe_read_user), so the verifiers of 5.10 to 6.18 take it: no
 * bpf_loop, no kfuncs. Include after vmlinux.h and the libbpf headers;
 * define UW_STACK_FRAMES (frames per stack) and a `stacks` hash map of
 * __u32 -> __u64[UW_STACK_FRAMES] first. */
#ifndef MMSCOPE_UNWIND_BPF_H
#define MMSCOPE_UNWIND_BPF_H

#include "unwind.h"

/* Steps of each binary search: 2^10 > UW_MAX_MAPPINGS, 2^23 > UW_MAX_ROWS. */
#define UW_MAPPING_STEPS	10
#define UW_ROW_STEPS		23

/* Rows of every file: an mmap-able array user space writes directly
 * (one memcpy per file instead of a syscall per row); resized before load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct uw_row);
} uw_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UW_MAX_PROCS);
	__type(key, __u32);		/* tgid */
	__type(value, struct uw_proc);
} uw_procs SEC(".maps");

/* Every process's mappings, two lists of UW_MAX_MAPPINGS per process. The
 * searches index it through map lookups, not pointer arithmetic: the
 * verifier then needn't know each index exactly, and a search's states
 * prune (as pointer offsets, 32 frames x 10 steps blew its 1M budget). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * UW_MAX_PROCS * UW_MAX_MAPPINGS);
	__type(key, __u32);
	__type(value, struct uw_mapping);
} uw_maps SEC(".maps");

struct uw_frames {
	__u64 pc[UW_STACK_FRAMES];
};

/* The frames being captured, per CPU: 256 bytes don't belong on the BPF
 * stack next to the caller's. Uprobe and tracepoint programs don't nest on
 * one CPU, so one slot is enough. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uw_frames);
} uw_scratch SEC(".maps");

/* Set when the process's mappings may have changed under the tables (ld.so
 * loaded or unloaded something): user space re-reads them. */
__u32 uw_maps_changed;
/* The thread a stop was requested for (see uw_on_dl_debug_state), 0: none. */
__u32 uw_stop_tid;

struct uw_regs_ {
	__u64 rip, rsp, rbp;
};

/* Both lookups are binary searches over a sorted array map: narrows
 * [lo, hi) to the last element whose field is <= x, in at most steps
 * halvings (a bound the verifier can see). elem must point at element lo
 * on entry; it is NULL afterwards if a lookup failed. */
#define UW_BSEARCH(map, field, x, lo, hi, steps, elem)				\
	for (int i_ = 0; i_ < (steps) && (hi) - (lo) > 1; i_++) {		\
		__u32 mid_ = (lo) + ((hi) - (lo)) / 2;				\
										\
		(elem) = bpf_map_lookup_elem(&(map), &mid_);			\
		if (!(elem))							\
			break;							\
		if ((elem)->field <= (x))					\
			(lo) = mid_;						\
		else								\
			(hi) = mid_;						\
	}

/* The mapping holding pc, by binary search over the process's sorted list. */
static __always_inline const struct uw_mapping *uw_find_mapping(const struct uw_proc *p, __u64 pc)
{
	__u32 lo = p->base, hi = p->base + p->n;
	const struct uw_mapping *m;

	if (p->n > UW_MAX_MAPPINGS || !p->n)
		return NULL;
	m = bpf_map_lookup_elem(&uw_maps, &lo);
	if (!m || pc < m->start)
		return NULL;
	UW_BSEARCH(uw_maps, start, pc, lo, hi, UW_MAPPING_STEPS, m);	/* m[lo].start <= pc < m[hi].start */
	if (!m)
		return NULL;
	m = bpf_map_lookup_elem(&uw_maps, &lo);
	return m && pc < m->end ? m : NULL;
}

/* The row covering pc in mapping m, by binary search over its file's rows. */
static __always_inline const struct uw_row *uw_find_row(const struct uw_mapping *m, __u64 pc)
{
	__u32 lo = m->row_start, hi = m->row_start + m->row_count;
	__u64 fpc = pc - m->bias;
	const struct uw_row *r;

	if (!m->row_count || fpc > 0xffffffffULL)
		return NULL;
	r = bpf_map_lookup_elem(&uw_rows, &lo);
	if (!r || r->pc > fpc)
		return NULL;
	UW_BSEARCH(uw_rows, pc, fpc, lo, hi, UW_ROW_STEPS, r);	/* rows[lo].pc <= fpc < rows[hi].pc */
	if (!r)
		return NULL;
	return bpf_map_lookup_elem(&uw_rows, &lo);
}

/* One step to the caller, exactly as uw_step() in unwind_table.c (which the
 * unit tests check against libgcc's unwinder). false: the stack ends. */
static __always_inline bool uw_step_bpf(const struct uw_row *row, struct uw_regs_ *r)
{
	__u64 cfa, ra = 0, rbp = r->rbp;

	if (row && row->cfa == UW_CFA_END)
		return false;
	if (!row || row->cfa == UW_CFA_NONE) {
		if (!r->rbp || bpf_probe_read_user(&rbp, sizeof(rbp), (void *)r->rbp))
			return false;
		cfa = r->rbp + 16;
	} else {
		cfa = (row->cfa == UW_CFA_RBP ? r->rbp : r->rsp) + (__s64)row->cfa_off;
		if (row->cfa == UW_CFA_PLT) {
			if ((__s64)(r->rip & 15) >= row->rbp_off)
				cfa += 8;
		} else if (row->rbp_off &&
			   bpf_probe_read_user(&rbp, sizeof(rbp), (void *)(cfa + 8 * (__s64)row->rbp_off))) {
			return false;
		}
	}
	if (bpf_probe_read_user(&ra, sizeof(ra), (void *)(cfa - 8)) || !ra)
		return false;
	r->rip = ra;
	r->rsp = cfa;
	r->rbp = rbp;
	return true;
}

/* Walks the user stack from the registers in ctx (a uprobe's or
 * uretprobe's: the user's own) into f, zero-filled after the last frame.
 * Returns the number of frames. */
static __always_inline int uw_unwind(struct pt_regs *ctx, struct uw_frames *f)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	const struct uw_proc *p = bpf_map_lookup_elem(&uw_procs, &tgid);
	struct uw_regs_ r = {
		.rip = PT_REGS_IP(ctx), .rsp = PT_REGS_SP(ctx), .rbp = PT_REGS_FP(ctx),
	};
	int n = 0;

	for (int i = 0; i < UW_STACK_FRAMES; i++) {
		const struct uw_row *row = NULL;
		const struct uw_mapping *m;

		/* a return address is one past its call: the call's row is at rip - 1 */
		m = p ? uw_find_mapping(p, r.rip - 1) : NULL;
		if (p && !m) {
			/* not in any executable mapping: not a return address
			 * (a stale frame pointer, data) and the stack ends here;
			 * or, as the first frame, code mapped since the last sync */
			if (i == 0) {
				f->pc[0] = r.rip;
				n = 1;
				uw_maps_changed = 1;
			}
			break;
		}
		f->pc[i] = r.rip;
		n = i + 1;
		if (m)
			row = uw_find_row(m, r.rip - 1);
		if (!uw_step_bpf(row, &r))
			break;
	}
	for (int i = 0; i < UW_STACK_FRAMES; i++)
		if (i >= n)
			f->pc[i] = 0;
	return n;
}

/* FNV-1a over the frames, folded to a non-negative stack id. */
static __always_inline __u32 uw_hash(const struct uw_frames *f)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < UW_STACK_FRAMES; i++) {
		h ^= f->pc[i];
		h *= 0x100000001b3ULL;
	}
	return (__u32)(h ^ (h >> 32)) & 0x7fffffff;
}

static __always_inline bool uw_same(const __u64 *a, const struct uw_frames *f)
{
	for (int i = 0; i < UW_STACK_FRAMES; i++)
		if (a[i] != f->pc[i])
			return false;
	return true;
}

#define UW_ID_PROBES	4

/* Stores the stack once and returns its id (what bpf_get_stackid gives):
 * the frames' hash, or one of the next UW_ID_PROBES - 1 ids when another
 * stack has it. -1: the table is full, or every probe taken. */
static __always_inline __s32 uw_store_stack(const struct uw_frames *f)
{
	__u32 base = uw_hash(f);

	for (int i = 0; i < UW_ID_PROBES; i++) {
		__u32 id = (base + i) & 0x7fffffff;
		const __u64 *have = bpf_map_lookup_elem(&stacks, &id);

		if (!have) {
			if (!bpf_map_update_elem(&stacks, &id, f->pc, BPF_NOEXIST))
				return (__s32)id;
			have = bpf_map_lookup_elem(&stacks, &id);	/* another CPU, just now */
			if (!have)
				return -1;	/* full */
		}
		if (uw_same(have, f))
			return (__s32)id;
	}
	return -1;
}

static __always_inline struct uw_frames *uw_frames_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&uw_scratch, &zero);
}

/* The user stack of the current task from ctx's registers, by CFI (cfi) or
 * by frame pointers only; its id or -1. */
static __always_inline __s32 uw_stack_id(struct pt_regs *ctx, bool cfi)
{
	struct uw_frames *f = uw_frames_buf();

	if (!f)
		return -1;
	if (cfi) {
		uw_unwind(ctx, f);
	} else {
		long got = bpf_get_stack(ctx, f->pc, sizeof(f->pc), BPF_F_USER_STACK);

		if (got < 0)
			return -1;
		for (int i = 0; i < UW_STACK_FRAMES; i++)
			if ((long)i * 8 >= got)
				f->pc[i] = 0;
	}
	return uw_store_stack(f);
}

/* ld.so calls _dl_debug_state (the debuggers' breakpoint, r_brk) after it
 * maps or unmaps objects, before it runs their code. Our mappings are
 * stale: say so, and when it is the thread leaksnoop ptraces, stop it
 * until the tables are in (user space resumes it), so the first
 * allocations of the new code already unwind through them. */
static __always_inline void uw_on_dl_debug_state(bool stop_main_thread)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	uw_maps_changed = 1;
	if (stop_main_thread && (__u32)pid_tgid == (__u32)(pid_tgid >> 32)) {
		uw_stop_tid = (__u32)pid_tgid;
		bpf_send_signal_thread(19 /* SIGSTOP */);
	}
}

#endif
