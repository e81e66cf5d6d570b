// SPDX-License-Identifier: GPL-2.0
/* Parsers for /proc/PID/{stat,status,smaps_rollup,maps} and /proc/meminfo.
 *
 * Every parser works on NUL-terminated text and only ever advances a cursor
 * up to that NUL, so truncated or hostile input (a comm full of ')', a file
 * cut short by a dying process) yields -EINVAL or a partial result, never an
 * out-of-bounds read. Numbers are parsed by hand rather than with strtoull,
 * which would silently accept signs, leading blanks and overflow. */
#include "procfs.h"
#include "sorted.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- small lexing helpers -------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

static const char *line_end(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl : p + strlen(p);
}

static const char *next_line(const char *p)
{
	const char *end = line_end(p);

	return *end ? end + 1 : end;
}

static int digit_value(char c, int base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < base ? d : -1;
}

/* Parses an unsigned number at *p, advancing *p past it. Fails (false) on no
 * digits or overflow, so garbage can't masquerade as a huge value. */
static bool parse_unsigned(const char **p, int base, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;

	if (digit_value(*s, base) < 0)
		return false;
	while ((d = digit_value(*s, base)) >= 0) {
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
		s++;
	}
	*p = s;
	*out = v;
	return true;
}

const char *procfs_skip_blanks(const char *p)
{
	return skip_blanks(p);
}

const char *procfs_line_end(const char *p)
{
	return line_end(p);
}

const char *procfs_next_line(const char *p)
{
	return next_line(p);
}

bool procfs_parse_u64(const char **p, uint64_t *out)
{
	return parse_unsigned(p, 10, out);
}

static bool parse_pid(const char **p, pid_t *out)
{
	uint64_t v;

	if (!parse_unsigned(p, 10, &v) || v > INT_MAX)
		return false;
	*out = (pid_t)v;
	return true;
}

/* Copies at most PROC_COMM_LEN bytes of [s, s+len) into a comm buffer. */
static void copy_comm(char dst[PROC_COMM_LEN + 1], const char *s, size_t len)
{
	if (len > PROC_COMM_LEN)
		len = PROC_COMM_LEN;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* --- /proc/PID/stat -------------------------------------------------------- */

/* Field numbers as in proc(5), counting pid as 1 and comm as 2. */
enum {
	STAT_STATE = 3, STAT_PPID = 4, STAT_MINFLT = 10, STAT_CMINFLT = 11,
	STAT_MAJFLT = 12, STAT_CMAJFLT = 13, STAT_UTIME = 14, STAT_STIME = 15,
	STAT_NUM_THREADS = 20, STAT_STARTTIME = 22, STAT_VSIZE = 23,
	STAT_RSS = 24, STAT_LAST_NEEDED = STAT_RSS,
};

static uint64_t *stat_u64_field(struct proc_stat *st, int field)
{
	switch (field) {
	case STAT_MINFLT: return &st->minflt;
	case STAT_CMINFLT: return &st->cminflt;
	case STAT_MAJFLT: return &st->majflt;
	case STAT_CMAJFLT: return &st->cmajflt;
	case STAT_UTIME: return &st->utime;
	case STAT_STIME: return &st->stime;
	case STAT_NUM_THREADS: return &st->num_threads;
	case STAT_STARTTIME: return &st->starttime;
	case STAT_VSIZE: return &st->vsize;
	case STAT_RSS: return &st->rss_pages;
	default: return NULL;
	}
}

/* Parses one space-separated field after the comm. Fields we don't keep
 * may be negative (nice, priority), so they only need to be non-empty. */
static bool parse_stat_field(const char **p, int field, struct proc_stat *st)
{
	uint64_t *dst = stat_u64_field(st, field);
	const char *s = *p;

	if (field == STAT_STATE) {
		if (*s == '\0' || *s == ' ' || *s == '\n')
			return false;
		st->state = *s++;
	} else if (field == STAT_PPID) {
		if (!parse_pid(&s, &st->ppid))
			return false;
	} else if (dst) {
		if (!parse_unsigned(&s, 10, dst))
			return false;
	} else {
		while (*s && *s != ' ' && *s != '\n')
			s++;
		if (s == *p)
			return false;
	}
	/* A field must end at a separator, not run into garbage. */
	if (*s != ' ' && *s != '\n' && *s != '\0')
		return false;
	*p = s;
	return true;
}

int procfs_parse_stat(const char *text, struct proc_stat *out)
{
	const char *open, *close, *p;
	struct proc_stat st;
	int field;

	memset(&st, 0, sizeof(st));
	open = strchr(text, '(');
	close = strrchr(text, ')');
	if (!open || !close || close < open)
		return -EINVAL;

	p = skip_blanks(text);
	if (!parse_pid(&p, &st.pid) || skip_blanks(p) != open)
		return -EINVAL;
	copy_comm(st.comm, open + 1, (size_t)(close - open - 1));

	p = close + 1;
	for (field = STAT_STATE; field <= STAT_LAST_NEEDED; field++) {
		if (*p != ' ')
			return -EINVAL;
		p++;
		if (!parse_stat_field(&p, field, &st))
			return -EINVAL;
	}
	*out = st;
	return 0;
}

/* --- "Key:   value [kB]" files ------------------------------------------- */

/* Where one key's value goes. */
struct kv_field {
	const char *key;
	uint64_t *dst;
};

/* Parses the value after "Key:". A "kB" suffix (the kernel's KiB) is turned
 * into bytes; a value too large for bytes saturates rather than wraps. */
static bool parse_kv_value(const char *p, uint64_t *out)
{
	uint64_t v;

	p = skip_blanks(p);
	if (!parse_unsigned(&p, 10, &v))
		return false;
	p = skip_blanks(p);
	if (p[0] == 'k' && p[1] == 'B')
		v = v > UINT64_MAX / 1024 ? UINT64_MAX : v * 1024;
	*out = v;
	return true;
}

/* Looks up the line's key in fields; values of "Key: " lines that don't
 * parse are left at 0. Returns the index of the field the line filled, or
 * -1 when the key was none of ours. */
static int parse_kv_line(const char *line, const char *end,
			 const struct kv_field *fields, size_t nfields)
{
	const char *colon = memchr(line, ':', (size_t)(end - line));
	size_t keylen, i;

	if (!colon)
		return -1;
	keylen = (size_t)(colon - line);
	for (i = 0; i < nfields; i++) {
		if (strlen(fields[i].key) != keylen ||
		    memcmp(fields[i].key, line, keylen) != 0)
			continue;
		return parse_kv_value(colon + 1, fields[i].dst) ? (int)i : -1;
	}
	return -1;
}

/* Fills fields from every line; -EINVAL when none was found, i.e. the text
 * is not the file we expected. Bit i of *seen (when not NULL; nfields <= 64)
 * tells that fields[i] was there. */
static int parse_kv_text(const char *text, const struct kv_field *fields,
			 size_t nfields, uint64_t *seen)
{
	uint64_t found = 0;
	const char *p;

	for (p = text; *p; p = next_line(p)) {
		int i = parse_kv_line(p, line_end(p), fields, nfields);

		if (i >= 0 && i < 64)
			found |= 1ULL << i;
	}
	if (seen)
		*seen = found;
	return found ? 0 : -EINVAL;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const meminfo_names[MI_NR_FIELDS] = {
	[MI_MEM_TOTAL] = "MemTotal", [MI_MEM_FREE] = "MemFree",
	[MI_MEM_AVAILABLE] = "MemAvailable", [MI_SLAB] = "Slab",
	[MI_SRECLAIMABLE] = "SReclaimable", [MI_SUNRECLAIM] = "SUnreclaim",
	[MI_ANON_PAGES] = "AnonPages", [MI_MAPPED] = "Mapped", [MI_SHMEM] = "Shmem",
	[MI_SWAP_TOTAL] = "SwapTotal", [MI_SWAP_FREE] = "SwapFree",
	[MI_BUFFERS] = "Buffers", [MI_CACHED] = "Cached", [MI_SWAP_CACHED] = "SwapCached",
	[MI_KRECLAIMABLE] = "KReclaimable", [MI_KERNEL_STACK] = "KernelStack",
	[MI_PAGE_TABLES] = "PageTables", [MI_SEC_PAGE_TABLES] = "SecPageTables",
	[MI_PERCPU] = "Percpu", [MI_VMALLOC_USED] = "VmallocUsed", [MI_HUGETLB] = "Hugetlb",
	[MI_HUGEPAGES_TOTAL] = "HugePages_Total", [MI_HUGEPAGE_SIZE] = "Hugepagesize",
	[MI_ZSWAP] = "Zswap", [MI_UNACCEPTED] = "Unaccepted",
};

const char *meminfo_field_name(enum meminfo_field f)
{
	return (unsigned)f < MI_NR_FIELDS ? meminfo_names[f] : "?";
}

#define MI_OFF(m) offsetof(struct meminfo, m)

static uint64_t *meminfo_member(struct meminfo *mi, enum meminfo_field f)
{
	static const size_t offsets[MI_NR_FIELDS] = {
		MI_OFF(mem_total), MI_OFF(mem_free), MI_OFF(mem_available), MI_OFF(slab),
		MI_OFF(sreclaimable), MI_OFF(sunreclaim), MI_OFF(anon_pages), MI_OFF(mapped),
		MI_OFF(shmem), MI_OFF(swap_total), MI_OFF(swap_free), MI_OFF(buffers),
		MI_OFF(cached), MI_OFF(swap_cached), MI_OFF(kreclaimable), MI_OFF(kernel_stack),
		MI_OFF(page_tables), MI_OFF(sec_page_tables), MI_OFF(percpu), MI_OFF(vmalloc_used),
		MI_OFF(hugetlb), MI_OFF(hugepages_total), MI_OFF(hugepage_size), MI_OFF(zswap),
		MI_OFF(unaccepted),
	};

	return (uint64_t *)((char *)mi + offsets[f]);
}

int procfs_parse_meminfo(const char *text, struct meminfo *out)
{
	struct meminfo mi;
	struct kv_field fields[MI_NR_FIELDS];
	int err;

	memset(&mi, 0, sizeof(mi));
	for (int f = 0; f < MI_NR_FIELDS; f++) {
		fields[f].key = meminfo_names[f];
		fields[f].dst = meminfo_member(&mi, f);
	}
	err = parse_kv_text(text, fields, ARRAY_SIZE(fields), &mi.present);
	if (err)
		return err;
	*out = mi;
	return 0;
}

int procfs_parse_smaps_rollup(const char *text, struct mem_rollup *out)
{
	uint64_t rss = 0, pss = 0, swap = 0, anon = 0;
	uint64_t priv_clean = 0, priv_dirty = 0, priv_hugetlb = 0;
	const struct kv_field fields[] = {
		{ "Rss", &rss },
		{ "Pss", &pss },
		{ "Private_Clean", &priv_clean },
		{ "Private_Dirty", &priv_dirty },
		{ "Private_Hugetlb", &priv_hugetlb },
		{ "Swap", &swap },
		{ "Anonymous", &anon },
	};
	int err;

	err = parse_kv_text(text, fields, ARRAY_SIZE(fields), NULL);
	if (err)
		return err;
	out->rss = rss;
	out->pss = pss;
	out->uss = priv_clean + priv_dirty + priv_hugetlb;
	out->swap = swap;
	out->anon = anon;
	return 0;
}

/* "Name:" holds the comm with '\\' and '\n' escaped by the kernel; we keep
 * the escaped form, cut to PROC_COMM_LEN like the stat comm. */
static bool parse_status_name(const char *text, char name[PROC_COMM_LEN + 1])
{
	const char *p;

	for (p = text; *p; p = next_line(p)) {
		const char *end = line_end(p);

		if (strncmp(p, "Name:", 5) != 0)
			continue;
		p += 5;
		if (*p == '\t')	/* the kernel's separator, not part of the name */
			p++;
		copy_comm(name, p, (size_t)(end - p));
		return true;
	}
	return false;
}

static bool parse_pid_value(uint64_t v, pid_t *out)
{
	if (v > INT_MAX)
		return false;
	*out = (pid_t)v;
	return true;
}

int procfs_parse_status(const char *text, struct proc_status *out)
{
	struct proc_status ps;
	uint64_t tgid = 0, ppid = 0;
	const struct kv_field fields[] = {
		{ "Tgid", &tgid },
		{ "PPid", &ppid },
		{ "VmSize", &ps.vm_size },
		{ "VmRSS", &ps.vm_rss },
		{ "VmData", &ps.vm_data },
		{ "VmStk", &ps.vm_stk },
		{ "VmExe", &ps.vm_exe },
		{ "Threads", &ps.threads },
	};
	bool have_name;
	int err;

	memset(&ps, 0, sizeof(ps));
	have_name = parse_status_name(text, ps.name);
	err = parse_kv_text(text, fields, ARRAY_SIZE(fields), NULL);
	if (err && !have_name)
		return -EINVAL;
	if (!parse_pid_value(tgid, &ps.tgid) || !parse_pid_value(ppid, &ps.ppid))
		return -EINVAL;
	*out = ps;
	return 0;
}

/* --- /proc/PID/maps -------------------------------------------------------- */

static enum vma_kind classify_path(const char *path)
{
	size_t len;

	if (!path)
		return VMA_ANON;
	len = strlen(path);
	if (path[0] != '[' || path[len - 1] != ']')
		return VMA_FILE;
	if (strcmp(path, "[heap]") == 0)
		return VMA_HEAP;
	/* Kernels before 4.5 labelled thread stacks "[stack:TID]". */
	if (strcmp(path, "[stack]") == 0 || strncmp(path, "[stack:", 7) == 0)
		return VMA_STACK;
	return VMA_SPECIAL;
}

static bool expect_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Parses "rwxp": each position is its letter or '-'; the last is 's'/'p'. */
static bool parse_perms(const char **p, struct vma *v)
{
	const char *s = *p;

	if ((s[0] != 'r' && s[0] != '-') || (s[1] != 'w' && s[1] != '-') ||
	    (s[2] != 'x' && s[2] != '-') || (s[3] != 's' && s[3] != 'p'))
		return false;
	/* s[0..2] were checked non-NUL above, so s[3] is in bounds. */
	v->read = s[0] == 'r';
	v->write = s[1] == 'w';
	v->exec = s[2] == 'x';
	v->shared = s[3] == 's';
	*p = s + 4;
	return true;
}

static bool parse_dev(const char **p, struct vma *v)
{
	uint64_t major, minor;

	if (!parse_unsigned(p, 16, &major) || !expect_char(p, ':') ||
	    !parse_unsigned(p, 16, &minor) || major > UINT_MAX || minor > UINT_MAX)
		return false;
	v->dev_major = (unsigned int)major;
	v->dev_minor = (unsigned int)minor;
	return true;
}

/* Parses everything before the path: "start-end perms offset dev inode".
 * Leaves *p just after the inode. */
static bool parse_maps_fields(const char **p, struct vma *v)
{
	if (!parse_unsigned(p, 16, &v->start) || !expect_char(p, '-') ||
	    !parse_unsigned(p, 16, &v->end) || !expect_char(p, ' ') ||
	    !parse_perms(p, v) || !expect_char(p, ' ') ||
	    !parse_unsigned(p, 16, &v->offset) || !expect_char(p, ' ') ||
	    !parse_dev(p, v) || !expect_char(p, ' ') ||
	    !parse_unsigned(p, 10, &v->inode))
		return false;
	return v->start <= v->end;
}

/* Parses one line [line, end). Returns 1 if *v was filled (path malloc'd),
 * 0 if the line is not a maps line, -ENOMEM. */
static int parse_maps_line(const char *line, const char *end, struct vma *v)
{
	const char *p = line;
	size_t path_len;

	memset(v, 0, sizeof(*v));
	if (!parse_maps_fields(&p, v) || p > end || (p < end && !is_blank(*p)))
		return 0;
	/* The kernel pads to a column with spaces; the path is the rest of the
	 * line, spaces and any " (deleted)" suffix included. */
	p = skip_blanks(p);
	if (p > end)
		p = end;
	path_len = (size_t)(end - p);
	if (path_len > 0) {
		v->path = strndup(p, path_len);
		if (!v->path)
			return -ENOMEM;
	}
	v->kind = classify_path(v->path);
	return 1;
}

static int vma_list_push(struct vma_list *l, const struct vma *v)
{
	if (l->n == l->cap) {
		size_t new_cap = l->cap ? l->cap * 2 : 64;
		struct vma *nv;

		if (new_cap > SIZE_MAX / sizeof(*nv))
			return -ENOMEM;
		nv = realloc(l->v, new_cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = new_cap;
	}
	l->v[l->n++] = *v;
	return 0;
}

int procfs_parse_maps(const char *text, struct vma_list *out)
{
	struct vma_list l = { 0 };
	const char *p;

	for (p = text; *p; p = next_line(p)) {
		struct vma v;
		int got = parse_maps_line(p, line_end(p), &v);

		if (got == 0)
			continue;
		if (got < 0 || vma_list_push(&l, &v) < 0) {
			free(v.path);
			vma_list_free(&l);
			return -ENOMEM;
		}
	}
	*out = l;
	return 0;
}

void vma_list_free(struct vma_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* --- for the other parsers of /proc text (smaps.c) ------------------------ */

int procfs_parse_maps_line(const char *line, const char *end, struct vma *v)
{
	return parse_maps_line(line, end, v);
}

bool procfs_parse_kv_value(const char *p, uint64_t *out)
{
	return parse_kv_value(p, out);
}

const struct vma *vma_list_find(const struct vma_list *l, uint64_t addr)
{
	size_t lo;

	if (!l || !l->v)
		return NULL;
	/* the last VMA starting at or below addr */
	lo = sorted_count_at_or_below(l->v, l->n, sizeof(l->v[0]), offsetof(struct vma, start), addr);
	if (lo == 0)
		return NULL;
	return addr < l->v[lo - 1].end ? &l->v[lo - 1] : NULL;
}
