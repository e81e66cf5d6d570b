// SPDX-License-Identifier: GPL-2.0
/* The unwind table cache (user/lib/unwind_cache.c): a table comes back row
 * for row as the builder made it, and a cached file that is cut short,
 * altered, written by another binary, or writable by others is never used. */
#define _GNU_SOURCE
#include "unit.h"
#include "unwind_cache.h"
#include "unwind_table.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	struct uw_cache cache;
	struct uw_table built;	/* this test binary's own table */
	char id[UW_BUILD_ID_HEX];
	char path[PATH_MAX];
};

static bool fixture_setup(struct fixture *f)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	bool ok;

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/uwcache-XXXXXX");
	if (fd < 0 || !mkdtemp(f->dir))
		return false;
	/* a directory below the temporary one: uw_cache_store creates it */
	strcat(f->dir, "/sub");
	setenv("MMSCOPE_UNWIND_CACHE", f->dir, 1);
	ok = uw_cache_open(&f->cache) && uw_cache_build_id(fd, f->id, sizeof(f->id)) &&
	     uw_table_build_fd(fd, &f->built) == 0;
	close(fd);
	snprintf(f->path, sizeof(f->path), "%s/%s.uwt", f->dir, f->id);
	return ok;
}

static void fixture_teardown(struct fixture *f)
{
	char *slash;

	unlink(f->path);
	rmdir(f->dir);
	slash = strrchr(f->dir, '/');
	if (slash) {
		*slash = '\0';
		rmdir(f->dir);
	}
	uw_table_free(&f->built);
	unsetenv("MMSCOPE_UNWIND_CACHE");
}

static bool same_table(const struct uw_table *a, const struct uw_table *b)
{
	return a->n == b->n && a->fdes == b->fdes && a->unsupported == b->unsupported &&
	       a->from_debug_frame == b->from_debug_frame && a->machine == b->machine &&
	       memcmp(a->rows, b->rows, a->n * sizeof(*a->rows)) == 0;
}

static void test_round_trip(void)
{
	struct fixture f;
	struct uw_table back;
	struct stat st;

	CHECK(fixture_setup(&f));
	CHECK(uw_cache_load(&f.cache, f.id, &back) == -ENOENT);
	CHECK(uw_cache_store(&f.cache, f.id, &f.built) == 0);
	CHECK(stat(f.path, &st) == 0 && (st.st_mode & 077) == 0);
	CHECK(uw_cache_load(&f.cache, f.id, &back) == 0);
	CHECK(back.n > 100 && same_table(&back, &f.built));
	printf("  %zu rows back from %s\n", back.n, f.path);
	uw_table_free(&back);
	fixture_teardown(&f);
}

/* Overwrites len bytes at off in the cached file. */
static void poke(const char *path, off_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	CHECK(fd >= 0 && pwrite(fd, buf, len, off) == (ssize_t)len);
	if (fd >= 0)
		close(fd);
}

/* Each damaged file is refused (and removed), never half-read. */
static void test_damaged_files_refused(void)
{
	struct fixture f;
	struct uw_table back;
	struct stat st;
	const char other[] = "ffffffff";
	struct uw_row bad = { .pc = 0, .cfa = 15 }, bad_ra = { .pc = 0, .ra = 15 };

	CHECK(fixture_setup(&f));
	/* cut short */
	CHECK(uw_cache_store(&f.cache, f.id, &f.built) == 0);
	CHECK(stat(f.path, &st) == 0 && truncate(f.path, st.st_size - 4) == 0);
	CHECK(uw_cache_load(&f.cache, f.id, &back) == -EINVAL && back.n == 0);
	CHECK(access(f.path, F_OK) != 0);
	/* written by another build of the builder (its id, at header offset 40) */
	CHECK(uw_cache_store(&f.cache, f.id, &f.built) == 0);
	poke(f.path, 40, other, sizeof(other) - 1);
	CHECK(uw_cache_load(&f.cache, f.id, &back) == -EINVAL);
	/* a row with an unknown rule, at the end */
	CHECK(uw_cache_store(&f.cache, f.id, &f.built) == 0);
	CHECK(stat(f.path, &st) == 0);
	poke(f.path, st.st_size - (off_t)sizeof(bad), &bad, sizeof(bad));
	CHECK(uw_cache_load(&f.cache, f.id, &back) == -EINVAL);
	CHECK(uw_cache_store(&f.cache, f.id, &f.built) == 0);
	CHECK(stat(f.path, &st) == 0);
	poke(f.path, st.st_size - (off_t)sizeof(bad_ra), &bad_ra, sizeof(bad_ra));
	CHECK(uw_cache_load(&f.cache, f.id, &back) == -EINVAL);
	/* writable by others: not trusted */
	CHECK(uw_cache_store(&f.cache, f.id, &f.built) == 0);
	CHECK(chmod(f.path, 0666) == 0);
	CHECK(uw_cache_load(&f.cache, f.id, &back) == -EINVAL);
	/* a build id that isn't hex never names a path */
	CHECK(uw_cache_load(&f.cache, "../../etc/passwd", &back) == -ENOENT);
	CHECK(uw_cache_store(&f.cache, "../x", &f.built) == -EINVAL);
	fixture_teardown(&f);
}

static void test_turned_off(void)
{
	struct uw_cache c;

	setenv("MMSCOPE_UNWIND_CACHE", "off", 1);
	CHECK(!uw_cache_open(&c));
	setenv("MMSCOPE_UNWIND_CACHE", "", 1);
	CHECK(!uw_cache_open(&c));
	unsetenv("MMSCOPE_UNWIND_CACHE");
	CHECK(uw_cache_open(&c));
	CHECK_STR(c.dir, UW_CACHE_DEFAULT_DIR);
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_damaged_files_refused);
	RUN(test_turned_off);
	UNIT_EXIT();
}
