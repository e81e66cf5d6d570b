/* SPDX-License-Identifier: GPL-2.0 */
/* A CFI stack unwinder for user space, in BPF (x86-64 and arm64: the
 * step to the caller is each one's, unwind_x86.bpf.h and unwind_arm64.bpf.h).
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

/* ---- the walk cache ----------------------------------------------------------
 * A walk is a function of where it starts (pc, sp; fp when a step used
 * the caller's fp before any was read back from the stack; arm64's x30
 * when the first step took the return address from it), of the stack
 * words it read and of the tables. The last walks are kept per CPU with
 * the words they read; a walk from the same pc and sp whose words still
 * hold the same values, under the same tables (uw_gen), is the same walk:
 * its stack id is reused, without the binary searches (two per frame) and
 * uw_store_stack's hash and compare. Any difference is a full walk, so the
 * stacks stay exactly what the walk gives. The ids stay valid because
 * nothing deletes from `stacks` (whatever ever does must bump uw_gen). */
#define UW_CACHE_SLOTS	128			/* per CPU, direct-mapped by (pc, sp) */
#define UW_CACHE_WORDS	(2 * UW_STACK_FRAMES)	/* a step reads two words at most */
#define UW_SPAN_MAX	4096	/* words this close above sp: checked with one read */

enum uw_walk_flags {
	UW_WALK_FP = 1,		/* the walk used the starting fp: compared too */
	UW_WALK_NOCACHE = 2,	/* a read failed or fell outside sp + 64 KiB, the
				 * first pc was in no mapping: not kept */
	UW_WALK_KEPT = 4,	/* the slot holds this walk (a zeroed one holds none) */
	UW_WALK_LR = 8,		/* the walk used the starting lr (arm64): compared too */
};

struct uw_walk {
	__u64 pc, sp, fp, lr;	/* where the walk started (lr: arm64's x30, x86-64 0) */
	__u32 tgid, gen;	/* the process, and uw_gen when it started */
	__s32 stack_id;		/* the walk's stack (UW_WALK_KEPT) */
	__u32 flags;		/* enum uw_walk_flags */
	__u32 nwords;		/* words read */
	__u32 span;		/* bytes from sp that hold all of them */
	/* while walking, in the slot rather than in registers, so that the
	 * verifier's states don't split on them: */
	__u32 fp_read;		/* fp has been read back from the stack */
	__u32 fp_used;		/* a step used the starting fp */
	__u32 lr_used;		/* a step used the starting lr */
	__u64 far;		/* nonzero: a word outside [sp, sp + 64 KiB) */
	/* the last fp read back, noted as a word only once a step uses it:
	 * -O2 code keeps data in rbp (a request's pointer), and a saved value
	 * no step uses would make every walk through its frame differ */
	__u64 fp_addr, fp_val;
	__u32 fp_pending;
	__u16 off[UW_CACHE_WORDS];	/* each word's offset from sp */
	__u64 val[UW_CACHE_WORDS];	/* and the value it had */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UW_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct uw_walk);
} uw_walks SEC(".maps");

/* Per CPU: the frames being captured (256 bytes don't belong on the BPF
 * stack), the bytes above sp a cached walk is checked against, and how
 * the cache did. busy: a program on this CPU is using the cache; one that
 * runs meanwhile (a uprobe program that preempted it) takes no stack,
 * so no slot or frame buffer is ever written by two. */
struct uw_percpu {
	struct uw_counts counts;	/* first: user space reads it there */
	struct uw_frames f;
	__u64 busy;
	__u8 span[UW_SPAN_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uw_percpu);
} uw_scratch SEC(".maps");

/* Bumped by user space each time it has published new tables for a
 * process (a new mapping list): every cached walk is stale then. */
__u32 uw_gen;
/* false (--no-walk-cache): every walk in full (and noted, as a miss) */
const volatile bool uw_walk_cache = true;

/* Set when the process's mappings may have changed under the tables (ld.so
 * loaded or unloaded something): user space re-reads them. */
__u32 uw_maps_changed;
/* The thread a stop was requested for (see uw_on_dl_debug_state), 0: none. */
__u32 uw_stop_tid;

/* The registers of one frame while walking: rip, rsp, rbp on x86-64; pc,
 * sp, x29 and (the first frame only, else 0) x30 on arm64. */
struct uw_regs_ {
	__u64 pc, sp, fp, lr;
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

/* A word the walk depends on, noted in w. Everything is kept in the slot,
 * not in registers, and the one test is on values loaded from it: the
 * verifier's states don't split on what was noted, so the walk verifies
 * in about as many steps as without the cache (143k instructions, 122k).
 * A step notes two words at most: 2 * UW_STACK_FRAMES never overflow. */
static __always_inline void uw_note_word(struct uw_walk *w, __u64 addr, __u64 v)
{
	__u64 off = addr - w->sp;
	__u32 n = w->nwords & (UW_CACHE_WORDS - 1);

	w->off[n] = (__u16)off;
	w->val[n] = v;
	w->nwords = n + 1;
	w->far |= off >> 16;
	if ((__u32)off + sizeof(v) > w->span)
		w->span = (__u32)off + sizeof(v);
}

/* fp, read back from the stack at addr: noted when a step uses it. */
static __always_inline bool uw_read_fp(struct uw_walk *w, __u64 *v, __u64 addr)
{
	if (bpf_probe_read_user(v, sizeof(*v), (void *)addr)) {
		w->flags |= UW_WALK_NOCACHE;	/* it may not fault next time */
		return false;
	}
	w->fp_read = 1;
	w->fp_addr = addr;
	w->fp_val = *v;
	w->fp_pending = 1;
	return true;
}

/* The walk is about to depend on fp's value: the starting one, or the
 * one last read back from the stack. */
static __always_inline void uw_uses_fp(struct uw_walk *w)
{
	w->fp_used |= w->fp_read ^ 1;
	if (w->fp_pending) {
		uw_note_word(w, w->fp_addr, w->fp_val);
		w->fp_pending = 0;
	}
}

/* A return address for the walk, noted in w so that a later walk can
 * tell whether it still holds the same value. */
static __always_inline bool uw_read_word(struct uw_walk *w, __u64 *v, __u64 addr)
{
	if (bpf_probe_read_user(v, sizeof(*v), (void *)addr)) {
		w->flags |= UW_WALK_NOCACHE;	/* it may not fault next time */
		return false;
	}
	uw_note_word(w, addr, *v);
	return true;
}

/* uw_regs_of(ctx, r), uw_ctx_lr(ctx) and uw_step_bpf(row, r, w): one step
 * to the caller, exactly as unwind_x86.c's and unwind_arm64.c's steps
 * (which the unit tests check against libgcc's unwinder). */
#include "unwind_x86.bpf.h"
#include "unwind_arm64.bpf.h"

/* Walks the user stack from the registers in ctx (a uprobe's or
 * uretprobe's: the user's own) into f, zero-filled after the last frame,
 * noting in w what the walk read. Returns the number of frames. */
static __always_inline int uw_unwind(struct pt_regs *ctx, struct uw_frames *f, struct uw_walk *w)
{
	__u32 tgid = target_pid_tgid() >> 32;	/* user space's key */
	const struct uw_proc *p = bpf_map_lookup_elem(&uw_procs, &tgid);
	struct uw_regs_ r;
	int n = 0;

	uw_regs_of(ctx, &r);
	for (int i = 0; i < UW_STACK_FRAMES; i++) {
		const struct uw_row *row = NULL;
		const struct uw_mapping *m;

		/* a return address is one past its call: the call's row is at pc - 1 */
		m = p ? uw_find_mapping(p, r.pc - 1) : NULL;
		if (p && !m) {
			/* not in any executable mapping: not a return address
			 * (a stale frame pointer, data) and the stack ends here;
			 * or, as the first frame, code mapped since the last sync */
			if (i == 0) {
				f->pc[0] = r.pc;
				n = 1;
				uw_maps_changed = 1;
				w->flags |= UW_WALK_NOCACHE;	/* until the tables are in */
			}
			break;
		}
		f->pc[i] = r.pc;
		n = i + 1;
		if (m)
			row = uw_find_row(m, r.pc - 1);
		if (!uw_step_bpf(row, &r, w))
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

static __always_inline struct uw_percpu *uw_percpu_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&uw_scratch, &zero);
}

/* The cached walk for a start at (pc, sp) in this process: its slot. */
static __always_inline struct uw_walk *uw_walk_slot(__u64 pc, __u64 sp)
{
	__u32 slot = (__u32)(((pc ^ (sp * 0x9E3779B97F4A7C15ULL)) * 0x9E3779B97F4A7C15ULL) >> 40) &
		     (UW_CACHE_SLOTS - 1);

	return bpf_map_lookup_elem(&uw_walks, &slot);
}

/* Do the words w read still hold what they held? One read of the bytes
 * above sp when they are few, else each word again. */
static __always_inline bool uw_words_same(const struct uw_walk *w, struct uw_percpu *pc)
{
	__u32 n = w->nwords;
	__u64 span = w->span;	/* 64-bit: the bound is tested on the register passed */

	if (span <= UW_SPAN_MAX) {
		if (bpf_probe_read_user(pc->span, span, (void *)w->sp))
			return false;
		for (int i = 0; i < UW_CACHE_WORDS; i++) {
			__u32 off;

			if (i >= n)
				break;
			off = w->off[i];
			if (off > UW_SPAN_MAX - sizeof(__u64))
				return false;
			if (*(__u64 *)&pc->span[off] != w->val[i])
				return false;
		}
		return true;
	}
	for (int i = 0; i < UW_CACHE_WORDS; i++) {
		__u64 v;

		if (i >= n)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), (void *)(w->sp + w->off[i])) || v != w->val[i])
			return false;
	}
	return true;
}

static __always_inline bool uw_walk_same(const struct uw_walk *w, struct pt_regs *ctx, __u32 tgid,
					 __u32 gen, struct uw_percpu *pc)
{
	return (w->flags & UW_WALK_KEPT) && w->tgid == tgid && w->gen == gen &&
	       w->pc == PT_REGS_IP(ctx) && w->sp == PT_REGS_SP(ctx) &&
	       (!(w->flags & UW_WALK_FP) || w->fp == PT_REGS_FP(ctx)) &&
	       (!(w->flags & UW_WALK_LR) || w->lr == uw_ctx_lr(ctx)) && uw_words_same(w, pc);
}

/* After a walk: its span, and whether the slot may keep it. */
static __always_inline void uw_keep(struct uw_walk *w, __s32 id)
{
	if (w->fp_used)
		w->flags |= UW_WALK_FP;
	if (w->lr_used)
		w->flags |= UW_WALK_LR;
	if (id >= 0 && !w->far && !(w->flags & UW_WALK_NOCACHE))
		w->flags |= UW_WALK_KEPT;
}

/* The CFI walk's stack id, from the cache when the same walk is there;
 * else walked, stored, and kept in the slot. */
static __always_inline __s32 uw_cfi_stack_id(struct pt_regs *ctx, struct uw_percpu *pc)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, gen = uw_gen;
	struct uw_walk *w = uw_walk_slot(PT_REGS_IP(ctx), PT_REGS_SP(ctx));
	__s32 id;

	barrier();	/* gen before the tables: a walk is never newer than its gen */
	if (!w)
		return -1;
	if (uw_walk_cache && uw_walk_same(w, ctx, tgid, gen, pc)) {
		pc->counts.hits++;
		return w->stack_id;
	}
	pc->counts.misses++;
	w->flags = 0;
	w->tgid = tgid;
	w->gen = gen;
	w->pc = PT_REGS_IP(ctx);
	w->sp = PT_REGS_SP(ctx);
	w->fp = PT_REGS_FP(ctx);
	w->lr = uw_ctx_lr(ctx);
	w->nwords = 0;
	w->fp_read = 0;
	w->fp_used = 0;
	w->lr_used = 0;
	w->fp_pending = 0;
	w->far = 0;
	w->span = 0;
	uw_unwind(ctx, &pc->f, w);
	id = uw_store_stack(&pc->f);
	w->stack_id = id;
	uw_keep(w, id);
	return id;
}

static __always_inline __s32 uw_fp_stack_id(struct pt_regs *ctx, struct uw_frames *f)
{
	long got = bpf_get_stack(ctx, f->pc, sizeof(f->pc), BPF_F_USER_STACK);

	if (got < 0)
		return -1;
	for (int i = 0; i < UW_STACK_FRAMES; i++)
		if ((long)i * 8 >= got)
			f->pc[i] = 0;
	return uw_store_stack(f);
}

/* The user stack of the current task from ctx's registers, by CFI (cfi) or
 * by frame pointers only; its id or -1. -1 too when a program this one
 * preempted on this CPU is using the buffers (a preemptible kernel's
 * uprobe programs may interleave): counted by the caller as a failed
 * capture, never a stack made of two. */
static __always_inline __s32 uw_stack_id(struct pt_regs *ctx, bool cfi)
{
	struct uw_percpu *pc = uw_percpu_buf();
	__s32 id;

	if (!pc || pc->busy)
		return -1;
	pc->busy = 1;
	barrier();
	id = cfi ? uw_cfi_stack_id(ctx, pc) : uw_fp_stack_id(ctx, &pc->f);
	barrier();
	pc->busy = 0;
	return id;
}

/* ld.so calls _dl_debug_state (the debuggers' breakpoint, r_brk) after it
 * maps or unmaps objects, before it runs their code. Our mappings are
 * stale: say so, and when it is the thread leaksnoop ptraces, stop it
 * until the tables are in (user space resumes it), so the first
 * allocations of the new code already unwind through them. */
static __always_inline void uw_on_dl_debug_state(bool stop_main_thread)
{
	__u64 pid_tgid = target_pid_tgid();	/* the tid waitpid will name */

	uw_maps_changed = 1;
	if (stop_main_thread && (__u32)pid_tgid == (__u32)(pid_tgid >> 32)) {
		uw_stop_tid = (__u32)pid_tgid;
		bpf_send_signal_thread(19 /* SIGSTOP */);
	}
}

#endif
