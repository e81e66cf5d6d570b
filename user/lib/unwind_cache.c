// SPDX-License-Identifier: GPL-2.0
/* Unwind tables kept on disk between runs (see unwind_cache.h).
 *
 * A cached table is one file, DIR/<build id>.uwt: a header saying which
 * format wrote it and how many rows follow, then the rows as the pool holds
 * them. It is trusted only whole: written by this very binary (its build id
 * in the header), the size matching the header, the rows sorted and their
 * rules known, and the file ours (one someone else could have written is
 * never read). */
#define _GNU_SOURCE
#include "unwind_cache.h"
#include "fdio.h"

#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAGIC "mmsc-uwt"	/* 8 bytes, no terminator */

struct cache_header {
	char magic[8];
	uint32_t row_size, from_debug_frame;
	uint64_t rows, fdes, unsupported;
	char builder[UW_BUILD_ID_HEX];	/* see struct uw_cache */
	uint32_t machine;		/* struct uw_table's */
};

bool uw_cache_build_id(int fd, char *out, size_t size)
{
	const unsigned char *id = NULL;
	Elf *elf;
	ssize_t n;
	bool ok;

	elf_version(EV_CURRENT);	/* may be libelf's first user */
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	n = elf ? dwelf_elf_gnu_build_id(elf, (const void **)&id) : -1;
	ok = n > 0 && (size_t)n <= 64 && size >= 2 * (size_t)n + 1;

	for (ssize_t i = 0; ok && i < n; i++)
		snprintf(out + 2 * i, size - 2 * (size_t)i, "%02x", id[i]);
	if (elf)
		elf_end(elf);
	return ok;
}

bool uw_cache_open(struct uw_cache *c)
{
	const char *d = getenv("MMSCOPE_UNWIND_CACHE");
	int fd;
	bool ok;

	memset(c, 0, sizeof(*c));
	if (!d)
		d = UW_CACHE_DEFAULT_DIR;
	if (!*d || strcmp(d, "off") == 0 || strlen(d) >= sizeof(c->dir))
		return false;
	strcpy(c->dir, d);
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ok = fd >= 0 && uw_cache_build_id(fd, c->builder, sizeof(c->builder));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Hex digits only: a build id read from a file names a file of ours. */
static bool cache_path(const struct uw_cache *c, const char *build_id, char *out, size_t size)
{
	size_t n = strlen(build_id);

	if (!c || !c->builder[0] || !n || strspn(build_id, "0123456789abcdef") != n)
		return false;
	return (size_t)snprintf(out, size, "%s/%s.uwt", c->dir, build_id) < size;
}

/* All len bytes, or false: a file shorter than its header says is damaged. */
static bool read_all(int fd, void *buf, size_t len)
{
	return fd_read_full(fd, buf, len) == (ssize_t)len;
}

static bool rows_valid(const struct uw_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (rows[i].cfa > UW_CFA_END || rows[i].ra > UW_RA_MAX ||
		    (i && rows[i].pc < rows[i - 1].pc))
			return false;
	}
	return true;
}

/* The header is right for a file of st's size, written by builder. */
static bool header_valid(const struct cache_header *h, const struct stat *st, const char *builder)
{
	if (memcmp(h->magic, CACHE_MAGIC, sizeof(h->magic)) != 0 ||
	    strncmp(h->builder, builder, sizeof(h->builder)) != 0 ||
	    h->row_size != sizeof(struct uw_row) || !h->rows || h->rows > UINT32_MAX)
		return false;
	return (uint64_t)st->st_size == sizeof(*h) + h->rows * sizeof(struct uw_row);
}

static int load_fd(int fd, const char *builder, struct uw_table *t)
{
	struct cache_header h;
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) || !read_all(fd, &h, sizeof(h)) || !header_valid(&h, &st, builder))
		return -EINVAL;
	t->rows = malloc(h.rows * sizeof(*t->rows));
	if (!t->rows)
		return -ENOMEM;
	t->n = t->cap = h.rows;
	t->fdes = h.fdes;
	t->unsupported = h.unsupported;
	t->from_debug_frame = h.from_debug_frame != 0;
	t->machine = (uint16_t)h.machine;
	if (!read_all(fd, t->rows, h.rows * sizeof(*t->rows)) || !rows_valid(t->rows, t->n))
		return -EINVAL;
	return 0;
}

int uw_cache_load(const struct uw_cache *c, const char *build_id, struct uw_table *t)
{
	char path[PATH_MAX];
	int fd, err;

	memset(t, 0, sizeof(*t));
	if (!cache_path(c, build_id, path, sizeof(path)))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -ENOENT;
	err = load_fd(fd, c->builder, t);
	close(fd);
	if (err) {
		uw_table_free(t);
		if (err == -EINVAL)
			unlink(path);	/* rebuilt and stored again */
	}
	return err;
}

/* mkdir -p dir, each new level 0700. */
static int make_dirs(const char *dir)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (char *s = p + 1; ; s++) {
		bool end = *s == '\0';

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -errno;
		if (end)
			return 0;
		*s = '/';
	}
}

int uw_cache_store(const struct uw_cache *c, const char *build_id, const struct uw_table *t)
{
	struct cache_header h;
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, err;

	memset(&h, 0, sizeof(h));	/* the tail padding too: all of h is written */
	h.row_size = sizeof(struct uw_row);
	h.rows = t->n;
	h.fdes = t->fdes;
	h.unsupported = t->unsupported;
	h.from_debug_frame = t->from_debug_frame;
	h.machine = t->machine;

	if (!t->n || !cache_path(c, build_id, path, sizeof(path)) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return -EINVAL;
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	memcpy(h.builder, c->builder, sizeof(h.builder));
	err = make_dirs(c->dir);
	if (err)
		return err;
	fd = mkostemp(tmp, O_CLOEXEC);	/* mode 0600 */
	if (fd < 0)
		return -errno;
	err = fd_write_full(fd, &h, sizeof(h));
	if (!err)
		err = fd_write_full(fd, t->rows, t->n * sizeof(*t->rows));
	if (close(fd) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) != 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
