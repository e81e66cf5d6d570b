/* SPDX-License-Identifier: GPL-2.0 */
/* The VMA view's model (--maps, the TUI's process screen): one watched
 * process's mappings as /proc/PID/smaps gives them, each with the faults the
 * kernel accounted in it since the watch began (minor, major, and the access
 * kind: read, write, exec, protection). Pure: the source hands it smaps
 * lists, /proc/PID/stat counts and fault events; views read snapshots. */
#ifndef FAULTTOP_VMAS_H
#define FAULTTOP_VMAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "faulttop.h"
#include "smaps.h"

struct vma_faults {
	uint64_t minor, major;
	uint64_t read, write, exec;	/* the access kind, when the hook saw it */
	uint64_t prot;			/* of those, on a present page: copy-on-write, mprotect */
};

#define VMA_FAULTS_N (sizeof(struct vma_faults) / sizeof(uint64_t))

/* Sort keys of the VMA table; the order is the order of its columns. */
enum vma_sort {
	VSORT_START, VSORT_SIZE, VSORT_RSS, VSORT_PSS, VSORT_USS, VSORT_SWAP,
	VSORT_MINOR, VSORT_MAJOR, VSORT_READ, VSORT_WRITE, VSORT_EXEC, VSORT_PROT,
	VSORT_PATH, VSORT_MAX,
};

const char *vma_sort_name(enum vma_sort k);
int vma_sort_parse(const char *s);

/* One row of the table: a VMA and its faults. */
struct vma_row {
	uint64_t start, end, offset;
	char perm[5];			/* "r-xp" */
	char *label;			/* path, [heap], [stack], [stack:TID], [anon], [vdso]... */
	uint64_t size, rss, pss, uss, swap;	/* bytes, from smaps */
	struct vma_faults f;
	bool access_unknown;		/* f's read..prot mean nothing: see vmas_access_unknown */
};

/* What a view shows: a copy, valid until the next vmas_snapshot. */
struct vmas_snapshot {
	pid_t tgid;
	char comm[FT_COMM_LEN + 1];
	struct vma_row *rows;
	size_t n, cap;
	struct vma_row total;		/* sums; faults include the two below */
	struct vma_faults unmapped;	/* in VMAs unmapped since */
	struct vma_faults waiting;	/* in mappings made after the last smaps read */
	bool have_process;
	uint64_t proc_minor, proc_major;	/* /proc/PID/stat since the watch began */
	bool smaps_valid;
	int smaps_err;			/* the last read's -errno, 0 */
	double smaps_ms;		/* how long the last read (the kernel's part) took */
	double parse_ms;		/* ... and our parse */
	double smaps_age_s;
	bool gone;			/* the process exited */
	char segv[320];			/* the last SEGV placed among the VMAs, "" */
};

struct vmas;

struct vmas *vmas_new(pid_t tgid);
void vmas_free(struct vmas *m);
pid_t vmas_tgid(const struct vmas *m);

/* A new smaps reading (taken over; *list is left empty). Counts follow
 * their VMA by start address, so a VMA that grows, shrinks or merges keeps
 * them; faults waiting for a mapping are placed now. */
void vmas_set_smaps(struct vmas *m, struct smaps_list *list, double now_s, double read_ms,
		    double parse_ms);
void vmas_smaps_failed(struct vmas *m, int err, double now_s);
bool vmas_smaps_due(const struct vmas *m, double now_s, double cadence_s);
/* The process's name and own minflt/majflt: the first call is the baseline. */
void vmas_set_process(struct vmas *m, const char *comm, uint64_t minflt, uint64_t majflt);
/* A thread's stack pointer (from /proc/PID/task/TID/syscall): its VMA is
 * labelled [stack:TID]. Cleared by the next vmas_set_smaps. */
void vmas_set_thread_sp(struct vmas *m, pid_t tid, uint64_t sp);
void vmas_set_gone(struct vmas *m);
/* The fault events will carry no access kind (the perf events are the
 * per-fault hook: arm64): rows say "not known" rather than 0. */
void vmas_access_unknown(struct vmas *m);

void vmas_on_fault(struct vmas *m, const struct ft_ev_vma_fault *e);
/* A SIGSEGV/SIGBUS of the process: placed against the VMAs known now. */
void vmas_on_signal(struct vmas *m, int sig, int code, uint64_t addr, uint32_t error_code);

/* Copies the rows into s, sorted by key. */
int vmas_snapshot(const struct vmas *m, struct vmas_snapshot *s, double now_s,
		  enum vma_sort key, bool ascending);
void vmas_snapshot_free(struct vmas_snapshot *s);

/* Where addr lies among the VMAs of l, in words: "no VMA: 0x10, 94 MiB
 * below the lowest mapping (a NULL dereference + 0x10)", "ACCERR: write to
 * r-xp text of /usr/bin/foo at +0x1234". Pure; for the views and tests. */
void vmas_place_signal(const struct smaps_list *l, int sig, int code, uint64_t addr,
		       uint32_t error_code, char *buf, size_t size);

#endif
