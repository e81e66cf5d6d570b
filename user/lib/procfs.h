/* SPDX-License-Identifier: GPL-2.0 */
/* Parsers for the /proc files both tools read. Each parser takes the file's
 * text (NUL-terminated) so it can be unit-tested and fuzzed without /proc. */
#ifndef MMSCOPE_PROCFS_H
#define MMSCOPE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_COMM_LEN 16

/* Reads a whole (small) file into buf, NUL-terminated. Returns the length,
 * or -errno. A file longer than size-1 is truncated (and still returned). */
ssize_t procfs_read_file(const char *path, char *buf, size_t size);

/* Reads a whole file of any size into a malloc'd, NUL-terminated buffer.
 * Returns NULL and sets errno on failure. *len gets the length if len != NULL. */
char *procfs_slurp(const char *path, size_t *len);

/* /proc/PID/stat (and /proc/PID/task/TID/stat). */
struct proc_stat {
	pid_t pid;
	char comm[PROC_COMM_LEN + 1];	/* as the kernel gives it, may hold ' ', ')' */
	char state;
	pid_t ppid;
	uint64_t minflt, cminflt, majflt, cmajflt;
	uint64_t utime, stime;			/* clock ticks */
	uint64_t num_threads;
	uint64_t starttime;			/* clock ticks after boot */
	uint64_t vsize;				/* bytes */
	uint64_t rss_pages;
};
/* 0 on success, -EINVAL if the text is not a stat line. The comm is taken
 * between the first '(' and the LAST ')', as procps does. */
int procfs_parse_stat(const char *text, struct proc_stat *out);

/* /proc/meminfo, values in bytes; a field that is absent reads as 0 and
 * its bit (1 << MI_<FIELD>) is clear in present: older kernels lack some
 * (SecPageTables before 6.1, Zswap before 5.19, Unaccepted before 6.5). */
struct meminfo {
	uint64_t mem_total, mem_free, mem_available;
	uint64_t slab, sreclaimable, sunreclaim;
	uint64_t anon_pages, mapped, shmem, swap_total, swap_free;
	/* the summands of the books (memacct.h) */
	uint64_t buffers, cached, swap_cached, kreclaimable;
	uint64_t kernel_stack, page_tables, sec_page_tables, percpu;
	uint64_t vmalloc_used, hugetlb, hugepages_total, hugepage_size;
	uint64_t zswap, unaccepted;
	uint64_t present;
};
/* The fields' bits in meminfo.present, in meminfo_field_name's order. */
enum meminfo_field {
	MI_MEM_TOTAL, MI_MEM_FREE, MI_MEM_AVAILABLE, MI_SLAB, MI_SRECLAIMABLE,
	MI_SUNRECLAIM, MI_ANON_PAGES, MI_MAPPED, MI_SHMEM, MI_SWAP_TOTAL,
	MI_SWAP_FREE, MI_BUFFERS, MI_CACHED, MI_SWAP_CACHED, MI_KRECLAIMABLE,
	MI_KERNEL_STACK, MI_PAGE_TABLES, MI_SEC_PAGE_TABLES, MI_PERCPU,
	MI_VMALLOC_USED, MI_HUGETLB, MI_HUGEPAGES_TOTAL, MI_HUGEPAGE_SIZE,
	MI_ZSWAP, MI_UNACCEPTED, MI_NR_FIELDS,
};
/* The kernel's name of a field ("SecPageTables"). */
const char *meminfo_field_name(enum meminfo_field f);
int procfs_parse_meminfo(const char *text, struct meminfo *out);

/* /proc/PID/smaps_rollup, values in bytes. USS = Private_Clean +
 * Private_Dirty (+ Private_Hugetlb): the pages only this process maps. */
struct mem_rollup {
	uint64_t rss, pss, uss, swap, anon;
};
int procfs_parse_smaps_rollup(const char *text, struct mem_rollup *out);

/* /proc/PID/status: the fields faulttop and leaksnoop use, values in bytes. */
struct proc_status {
	char name[PROC_COMM_LEN + 1];
	pid_t tgid, ppid;
	uint64_t vm_size, vm_rss, vm_data, vm_stk, vm_exe;
	uint64_t threads;
};
int procfs_parse_status(const char *text, struct proc_status *out);

/* One line of /proc/PID/maps. */
enum vma_kind {
	VMA_ANON,	/* no file, no label */
	VMA_FILE,	/* file-backed */
	VMA_HEAP,	/* [heap] */
	VMA_STACK,	/* [stack] */
	VMA_SPECIAL,	/* [vdso], [vvar], [vsyscall], [anon:...] etc. */
};
struct vma {
	uint64_t start, end, offset;
	uint64_t inode;
	unsigned int dev_major, dev_minor;
	bool read, write, exec, shared;
	enum vma_kind kind;
	char *path;	/* owned; NULL when the line names nothing */
};
struct vma_list {
	struct vma *v;
	size_t n, cap;
};
/* Parses the whole maps text, sorted as the kernel gives it. Lines that
 * don't parse are skipped. Returns 0 or -ENOMEM. */
int procfs_parse_maps(const char *text, struct vma_list *out);
void vma_list_free(struct vma_list *l);
/* Binary search; NULL when addr is in no VMA. */
const struct vma *vma_list_find(const struct vma_list *l, uint64_t addr);

/* The pieces the smaps parser (smaps.h) shares with these: one maps line
 * [line, end) into *v (1; path malloc'd), 0 when it is not a maps line,
 * -ENOMEM; the value after "Key:" in bytes ("kB" scaled). */
int procfs_parse_maps_line(const char *line, const char *end, struct vma *v);
bool procfs_parse_kv_value(const char *p, uint64_t *out);

/* Convenience wrappers that read /proc/<pid>/<file> and parse it. They
 * return -errno (-ENOENT/-ESRCH when the process is gone). */
int procfs_read_pid_stat(pid_t pid, struct proc_stat *out);
int procfs_read_pid_rollup(pid_t pid, struct mem_rollup *out);
int procfs_read_pid_status(pid_t pid, struct proc_status *out);
int procfs_read_pid_maps(pid_t pid, struct vma_list *out);
int procfs_read_meminfo(struct meminfo *out);

/* The lexing the parsers share (memstat.c's too): blanks are ' ' and '\t';
 * a number is decimal digits only (no sign, no blanks, no overflow). */
const char *procfs_skip_blanks(const char *p);
const char *procfs_line_end(const char *p);
const char *procfs_next_line(const char *p);
bool procfs_parse_u64(const char **p, uint64_t *out);

/* True if /proc/<pid> exists (the process or a zombie). */
bool procfs_pid_exists(pid_t pid);

#endif
