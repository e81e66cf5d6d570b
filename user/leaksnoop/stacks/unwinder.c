// SPDX-License-Identifier: GPL-2.0
/* Feeding the BPF CFI unwinder (see unwind.h).
 *
 * The row pool is an mmap-able BPF array: a file's table goes in with one
 * memcpy, not one syscall per row (libc alone has 28,000 rows). Files are
 * keyed by device and inode, so a library mapped by many processes, or
 * re-read at every sync, is built once. A process's mapping list is
 * written into the half of its uw_maps slots BPF isn't reading, then the
 * uw_procs value naming it is replaced: BPF sees one list or the other.
 *
 * Tables are built before the BPF object is loaded when the process is
 * already running (-p), so the pool is sized for what it maps, and on up to
 * four threads: a process mapping 250 of Debian's libraries (1.3 million
 * rows) takes ~1 s of table building on one core here. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "feature_probe.h"
#include "intmap.h"
#include "procfs.h"
#include "symbolize.h"
#include "unwinder.h"
#include "unwind_cache.h"
#include "unwind_table.h"
#include "uprobe_multi.h"
#include "vec.h"
#include "leaksnoop.h"
#include "leaksnoop.skel.h"

#define MAX_LOADS 16

/* One file's table in the pool, and its segments (for the load bias). */
struct file_entry {
	uint64_t inode;
	unsigned int dev_major, dev_minor;
	int fd;				/* open until built; -1 after */
	uint64_t size;			/* the file's, to build the biggest first */
	bool built, placed;		/* table built; copied into the pool */
	bool cached, stored;		/* read from / written to the table cache */
	struct uw_table table;		/* until placed */
	uint32_t row_start, row_count;	/* row_count 0: no table (yet) */
	int nloads;
	struct uw_load loads[MAX_LOADS];
};

/* One traced process: its mapping list, in its slot of uw_maps (two
 * halves of UW_MAX_MAPPINGS, see publish). */
struct uw_proc_state {
	pid_t pid;
	bool gone;			/* its maps could not be read: exited */
	struct uw_mapping *list;	/* the list being built */
	size_t n;
	unsigned half;			/* which half of its slot BPF reads now */
};

struct unwinder {
	struct uw_proc_state procs[UW_MAX_PROCS];
	int nr_procs;
	struct leaksnoop_bpf *skel;	/* NULL until bound */
	struct uw_row *pool;		/* the mmap'ed uw_rows map */
	size_t pool_bytes;
	uint32_t rows_used, rows_max;
	struct intmap files;		/* file_key() -> struct file_entry * */
	struct uw_cache cache;		/* tables kept between runs */
	bool has_cache;
	struct unwind_stats st;
};

void unwind_configure(struct leaksnoop_bpf *skel, bool cfi, bool stop_on_dl, size_t rows_needed)
{
	size_t rows = UNWIND_DEFAULT_ROWS;

	/* room for what the process maps now and for a quarter more loaded later */
	if (rows_needed + rows_needed / 4 > rows)
		rows = rows_needed + rows_needed / 4;
	if (rows > UW_MAX_ROWS)
		rows = UW_MAX_ROWS;
	skel->rodata->cfi_unwind = cfi;
	skel->rodata->stop_on_dl_change = cfi && stop_on_dl;
	bpf_map__set_max_entries(skel->maps.uw_rows, cfi ? (__u32)rows : 1);
	bpf_map__set_max_entries(skel->maps.uw_procs, cfi ? UW_MAX_PROCS : 1);
	bpf_map__set_max_entries(skel->maps.uw_maps, cfi ? 2 * UW_MAX_PROCS * UW_MAX_MAPPINGS : 1);
	if (!cfi)
		bpf_program__set_autoload(skel->progs.on_dl_debug_state, false);
	bpf_program__set_autoattach(skel->progs.on_dl_debug_state, false);
}

int unwinder_add(struct unwinder *u, pid_t pid)
{
	struct uw_proc_state *p;

	if (!u || !pid)
		return -EINVAL;
	for (int i = 0; i < u->nr_procs; i++)
		if (u->procs[i].pid == pid)
			return 0;
	if (u->nr_procs == UW_MAX_PROCS) {
		u->st.procs_dropped++;
		return -ENOSPC;
	}
	p = &u->procs[u->nr_procs];
	p->list = calloc(UW_MAX_MAPPINGS, sizeof(*p->list));
	if (!p->list)
		return -ENOMEM;
	p->pid = pid;
	u->nr_procs++;
	return 0;
}

struct unwinder *unwinder_new(pid_t pid)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	elf_version(EV_CURRENT);	/* read_loads may be libelf's first user */
	if (pid && unwinder_add(u, pid)) {
		free(u);
		return NULL;
	}
	intmap_init(&u->files);
	u->has_cache = uw_cache_open(&u->cache);
	return u;
}

size_t unwinder_rows_built(const struct unwinder *u)
{
	uint64_t key;
	void *v;
	size_t rows = 0;

	for (size_t pos = 0; u && intmap_next(&u->files, &pos, &key, &v);)
		rows += ((const struct file_entry *)v)->table.n + ((const struct file_entry *)v)->row_count;
	return rows;
}

/* ---- the ld.so hook -------------------------------------------------------- */

static bool is_ld_so(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld-2.", 5) == 0 ||
	       strncmp(base, "ld-musl", 7) == 0;
}

/* The dynamic loader pid maps (pid 0: ours), as a path we can open. */
static int find_ld_so(pid_t pid, char *out, size_t size)
{
	struct vma_list maps = { 0 };
	int err = pid ? procfs_read_pid_maps(pid, &maps) : -ENOENT;

	if (!pid) {
		char *text = procfs_slurp("/proc/self/maps", NULL);

		err = text ? procfs_parse_maps(text, &maps) : -errno;
		free(text);
	}
	if (err)
		return err;
	err = -ENOENT;
	for (size_t i = 0; i < maps.n && err; i++) {
		const struct vma *v = &maps.v[i];

		if (v->kind != VMA_FILE || !v->exec || !v->path || v->path[0] != '/' ||
		    !is_ld_so(v->path))
			continue;
		if (pid)
			snprintf(out, size, "/proc/%d/root%s", (int)pid, v->path);
		else
			snprintf(out, size, "%s", v->path);
		err = 0;
	}
	vma_list_free(&maps);
	return err;
}

/* The file offset of the function name in the ELF file at path (its
 * .dynsym, else .symtab), from the PT_LOAD segment that holds it. */
static int func_file_offset(const char *path, const char *name, uint64_t *off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	Elf_Scn *scn = NULL;
	uint64_t vaddr = 0;
	size_t phnum = 0;
	int err = -ENOENT;

	while (elf && !vaddr && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && !vaddr; i++) {
			GElf_Sym sym;
			const char *n;

			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_value)
				continue;
			n = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (n && !strcmp(n, name))
				vaddr = sym.st_value;
		}
	}
	if (vaddr && elf_getphdrnum(elf, &phnum) == 0) {
		for (size_t i = 0; i < phnum && err; i++) {
			GElf_Phdr mem, *ph = gelf_getphdr(elf, (int)i, &mem);

			if (ph && ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
			    vaddr < ph->p_vaddr + ph->p_filesz) {
				*off = vaddr - ph->p_vaddr + ph->p_offset;
				err = 0;
			}
		}
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -errno : err;
}

int unwinder_attach_dl_hook_multi(struct unwinder *u, pid_t pid, pid_t filter)
{
	uint64_t off = 0, cookie = 0;
	char path[4096];
	int err = find_ld_so(pid, path, sizeof(path));

	if (!err)
		err = func_file_offset(path, "_dl_debug_state", &off);
	if (err)
		return err;
	return uprobe_multi_link(bpf_program__fd(u->skel->progs.on_dl_debug_state), path, &off,
				 &cookie, 1, filter, false);
}

int unwinder_attach_dl_hook(struct unwinder *u, pid_t pid, pid_t filter, struct bpf_link **link)
{
	struct bpf_uprobe_opts o = { .sz = sizeof(o), .func_name = "_dl_debug_state" };
	char path[4096];
	int err = find_ld_so(pid, path, sizeof(path));

	if (err)
		return err;
	*link = bpf_program__attach_uprobe_opts(u->skel->progs.on_dl_debug_state, filter,
						     path, 0, &o);
	if (!*link)
		return -errno;
	return 0;
}

/* ---- tables ------------------------------------------------------------------ */

static uint64_t file_key(const struct vma *v)
{
	return v->inode ^ ((uint64_t)v->dev_major << 52) ^ ((uint64_t)v->dev_minor << 40);
}

static void read_loads(int fd, struct file_entry *f)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t phnum = 0;

	if (!elf)
		return;
	if (elf_getphdrnum(elf, &phnum) == 0) {
		for (size_t i = 0; i < phnum && f->nloads < MAX_LOADS; i++) {
			GElf_Phdr mem, *ph = gelf_getphdr(elf, (int)i, &mem);

			if (!ph || ph->p_type != PT_LOAD)
				continue;
			f->loads[f->nloads].vaddr = ph->p_vaddr;
			f->loads[f->nloads].offset = ph->p_offset;
			f->loads[f->nloads].filesz = ph->p_filesz;
			f->loads[f->nloads].exec = ph->p_flags & PF_X;
			f->nloads++;
		}
	}
	elf_end(elf);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The file's entry, opened on first sight (built later, see build_all).
 * NULL when memory is short or two files share a key. */
static struct file_entry *file_of(struct unwinder *u, pid_t pid, const struct vma *v)
{
	uint64_t key = file_key(v);
	struct file_entry *f = intmap_get(&u->files, key);

	if (f && f->inode == v->inode && f->dev_major == v->dev_major && f->dev_minor == v->dev_minor)
		return f;
	if (f)
		return NULL;	/* a key collision: that file goes without a table */
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->inode = v->inode;
	f->dev_major = v->dev_major;
	f->dev_minor = v->dev_minor;
	f->fd = usym_open_mapped_file(pid, v);
	if (f->fd >= 0) {
		struct stat st;

		read_loads(f->fd, f);
		f->size = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	}
	if (intmap_put(&u->files, key, f) < 0) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return NULL;
	}
	return f;
}

struct build_job {
	struct file_entry **todo;
	size_t n, next;
	pthread_mutex_t lock;
	const struct uw_cache *cache;	/* NULL: no table cache */
};

/* One file's table: read back when the cache has its build id, else built
 * (and stored for the next run). */
static void build_one(const struct build_job *j, struct file_entry *f)
{
	char id[UW_BUILD_ID_HEX];
	bool has_id = j->cache && uw_cache_build_id(f->fd, id, sizeof(id));

	if (has_id && uw_cache_load(j->cache, id, &f->table) == 0) {
		f->cached = true;
	} else if (uw_table_build_fd(f->fd, &f->table) != 0) {
		memset(&f->table, 0, sizeof(f->table));
		return;
	} else {
		f->stored = has_id && uw_cache_store(j->cache, id, &f->table) == 0;
	}
	/* another machine's code (mapped as data by an emulator, qemu-user):
	 * the BPF walk reads rows by its own machine's rules */
	if (f->table.machine != UW_NATIVE_MACHINE) {
		uw_table_free(&f->table);
		f->cached = f->stored = false;
	}
}

static void *build_worker(void *arg)
{
	struct build_job *j = arg;

	for (;;) {
		struct file_entry *f;

		pthread_mutex_lock(&j->lock);
		f = j->next < j->n ? j->todo[j->next++] : NULL;
		pthread_mutex_unlock(&j->lock);
		if (!f)
			return NULL;
		build_one(j, f);
		close(f->fd);
		f->fd = -1;
		f->built = true;
	}
}

#define BUILD_THREADS 4

/* Biggest file first: the time a table takes grows with the file (libLLVM,
 * 1 million rows, ~350 ms here; libc 7 ms), so starting the big ones first
 * keeps one thread from finishing alone on the last big file. */
static int bigger_first(const void *a, const void *b)
{
	uint64_t x = (*(struct file_entry *const *)a)->size, y = (*(struct file_entry *const *)b)->size;

	return x > y ? -1 : x < y;
}

/* Builds every table not built yet, on up to BUILD_THREADS threads. */
static void build_all(struct unwinder *u)
{
	struct build_job j = { .lock = PTHREAD_MUTEX_INITIALIZER,
			       .cache = u->has_cache ? &u->cache : NULL };
	pthread_t th[BUILD_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nth = cpus < 1 ? 1 : cpus > BUILD_THREADS ? BUILD_THREADS : (int)cpus, started = 0;
	double t0 = now_ms();
	uint64_t key;
	void *v;
	size_t cap = 0;

	for (size_t pos = 0; intmap_next(&u->files, &pos, &key, &v);) {
		struct file_entry *f = v, **g;

		if (f->built)
			continue;
		if (f->fd < 0) {	/* could not be opened */
			f->built = true;
			u->st.files_no_cfi++;
			continue;
		}
		g = vec_reserve(j.todo, &cap, j.n, sizeof(struct file_entry *));
		if (!g)
			break;	/* the rest waits for the next sync */
		j.todo = g;
		j.todo[j.n++] = f;
	}
	if (j.n > 1)	/* an array of pointers: sizeof one pointer is right */
		// NOLINTNEXTLINE(bugprone-sizeof-expression)
		qsort(j.todo, j.n, sizeof(*j.todo), bigger_first);
	for (int i = 0; i < nth - 1 && (size_t)i + 1 < j.n; i++)
		if (pthread_create(&th[started], NULL, build_worker, &j) == 0)
			started++;
	build_worker(&j);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; i < j.n; i++) {
		u->st.files_no_cfi += !j.todo[i]->table.n;
		u->st.tables_cached += j.todo[i]->cached;
		u->st.tables_stored += j.todo[i]->stored;
	}
	free(j.todo);
	if (j.n)
		u->st.build_ms += now_ms() - t0;
}

/* Copies built tables into the pool (once bound), as far as they fit. */
static void place_all(struct unwinder *u)
{
	uint64_t key;
	void *v;

	for (size_t pos = 0; u->pool && intmap_next(&u->files, &pos, &key, &v);) {
		struct file_entry *f = v;

		if (!f->built || f->placed)
			continue;
		f->placed = true;
		if (!f->table.n)
			continue;
		if (f->table.n > u->rows_max - u->rows_used) {
			u->st.files_too_big++;
		} else {
			memcpy(&u->pool[u->rows_used], f->table.rows, f->table.n * sizeof(*f->table.rows));
			f->row_start = u->rows_used;
			f->row_count = (uint32_t)f->table.n;
			u->rows_used += (uint32_t)f->table.n;
			u->st.rows = u->rows_used;
			u->st.files++;
		}
		uw_table_free(&f->table);
	}
}

static void add_mapping(struct unwinder *u, struct uw_proc_state *p, const struct vma *v)
{
	struct uw_mapping *m;
	struct file_entry *f = NULL;
	uint64_t bias = 0;

	if (p->n == UW_MAX_MAPPINGS) {
		u->st.mappings_dropped++;
		return;
	}
	m = &p->list[p->n++];
	memset(m, 0, sizeof(*m));
	m->start = v->start;
	m->end = v->end;
	/* anonymous code (JIT), [vdso]: in the list, so the walk knows it is
	 * code, but without rows */
	if (v->kind == VMA_FILE)
		f = intmap_get(&u->files, file_key(v));
	if (f && f->row_count &&
	    uw_load_bias(f->loads, f->nloads, v->start, v->offset, v->exec,
			 (uint64_t)sysconf(_SC_PAGESIZE), &bias)) {
		m->bias = bias;
		m->row_start = f->row_start;
		m->row_count = f->row_count;
	}
}

/* Writes list[0..n) at uw_maps[base..]: one syscall where the kernel has
 * batch updates for arrays (5.6+), one per mapping where it hasn't (a
 * process mapping 300 objects has ~330 executable mappings). */
static int write_list(int fd, __u32 base, const struct uw_mapping *list, size_t n)
{
	__u32 keys[UW_MAX_MAPPINGS], count = (__u32)n;

	for (size_t i = 0; i < n; i++)
		keys[i] = base + (__u32)i;
	/* no options: BPF_ANY */
	if (!n || !bpf_map_update_batch(fd, keys, list, &count, NULL))
		return 0;
	/* before 5.6 the command is unknown (EINVAL); a map without batch
	 * operations answers the kernel's own ENOTSUPP */
	if (errno != EINVAL && errno != EOPNOTSUPP && errno != KERNEL_ENOTSUPP)
		return -errno;
	for (size_t i = 0; i < n; i++)	/* rewrites what the batch may have done */
		if (bpf_map_update_elem(fd, &keys[i], &list[i], BPF_ANY))
			return -errno;
	return 0;
}

/* Writes the list into the half of the process's slot BPF isn't reading,
 * then points its tgid at it. */
static int publish(struct unwinder *u, int slot)
{
	struct uw_proc_state *ps = &u->procs[slot];
	unsigned half = ps->half ^ 1;
	struct uw_proc p = { .base = ((unsigned)slot * 2 + half) * UW_MAX_MAPPINGS, .n = (__u32)ps->n };
	__u32 key = (__u32)ps->pid;
	int err = write_list(bpf_map__fd(u->skel->maps.uw_maps), p.base, ps->list, ps->n);

	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(u->skel->maps.uw_procs), &key, &p, BPF_ANY))
		return -errno;
	ps->half = half;
	/* after the list is in: BPF's cached walks of the old one are stale */
	__atomic_add_fetch(&u->skel->bss->uw_gen, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Every live process's mappings: their files' tables built (all at once,
 * on several threads), then each process's list published. 0 when one
 * process at least was synced, else -errno (every one gone). */
int unwinder_sync(struct unwinder *u)
{
	struct vma_list *maps;
	int err = -ESRCH, first_err = 0;

	if (!u)
		return -EINVAL;
	if (u->skel)	/* before reading: a change after it is seen */
		u->skel->bss->uw_maps_changed = 0;
	maps = calloc(u->nr_procs ? (size_t)u->nr_procs : 1, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	for (int p = 0; p < u->nr_procs; p++) {
		int e = u->procs[p].gone ? -ESRCH : procfs_read_pid_maps(u->procs[p].pid, &maps[p]);

		if (e) {
			u->procs[p].gone = true;
			first_err = first_err ? first_err : e;
			continue;
		}
		for (size_t i = 0; i < maps[p].n; i++)
			if (maps[p].v[i].exec && maps[p].v[i].kind == VMA_FILE)
				file_of(u, u->procs[p].pid, &maps[p].v[i]);
	}
	build_all(u);
	place_all(u);
	u->st.mappings_dropped = 0;
	u->st.mappings = 0;
	for (int p = 0; p < u->nr_procs; p++) {
		struct uw_proc_state *ps = &u->procs[p];

		if (ps->gone)
			continue;
		ps->n = 0;
		for (size_t i = 0; i < maps[p].n; i++)
			if (maps[p].v[i].exec)
				add_mapping(u, ps, &maps[p].v[i]);
		vma_list_free(&maps[p]);
		u->st.mappings += ps->n;
		err = u->skel ? publish(u, p) : 0;
	}
	free(maps);
	u->st.syncs++;
	return err == -ESRCH && first_err ? first_err : err;
}

int unwinder_bind(struct unwinder *u, struct leaksnoop_bpf *skel)
{
	long page = sysconf(_SC_PAGESIZE);

	u->rows_max = bpf_map__max_entries(skel->maps.uw_rows);
	u->pool_bytes = ((size_t)u->rows_max * sizeof(struct uw_row) + (size_t)page - 1) &
			~((size_t)page - 1);
	u->pool = mmap(NULL, u->pool_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(skel->maps.uw_rows), 0);
	if (u->pool == MAP_FAILED) {
		u->pool = NULL;
		return -errno;
	}
	u->skel = skel;
	u->st.rows_max = u->rows_max;
	return 0;
}

bool unwinder_take_stop(struct unwinder *u, pid_t tid)
{
	if (!u || !u->skel || !tid || u->skel->bss->uw_stop_tid != (__u32)tid)
		return false;
	u->skel->bss->uw_stop_tid = 0;
	unwinder_sync(u);
	return true;
}

bool unwinder_maps_changed(const struct unwinder *u)
{
	return u && u->skel && u->skel->bss->uw_maps_changed;
}

/* The walk cache's counts, summed over the CPUs' uw_scratch values. */
static void read_walk_counts(const struct unwinder *u, struct unwind_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t stride = (bpf_map__value_size(u->skel->maps.uw_scratch) + 7) & ~(size_t)7;
	__u32 zero = 0;
	char *v;

	if (ncpu <= 0)
		return;
	v = calloc((size_t)ncpu, stride);
	if (v && !bpf_map_lookup_elem(bpf_map__fd(u->skel->maps.uw_scratch), &zero, v)) {
		for (int c = 0; c < ncpu; c++) {
			struct uw_counts n;

			memcpy(&n, v + (size_t)c * stride, sizeof(n));
			out->walks_cached += n.hits;
			out->walks_full += n.misses;
		}
	}
	free(v);
}

void unwinder_get_stats(const struct unwinder *u, struct unwind_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!u)
		return;
	*out = u->st;
	if (u->skel)
		read_walk_counts(u, out);
}

void unwinder_free(struct unwinder *u)
{
	uint64_t key;
	void *f;

	if (!u)
		return;
	for (size_t pos = 0; intmap_next(&u->files, &pos, &key, &f);) {
		struct file_entry *e = f;

		if (e->fd >= 0)
			close(e->fd);
		uw_table_free(&e->table);
		free(e);
	}
	intmap_free(&u->files);
	if (u->pool)
		munmap(u->pool, u->pool_bytes);
	for (int i = 0; i < u->nr_procs; i++)
		free(u->procs[i].list);
	free(u);
}
