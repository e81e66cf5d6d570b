// SPDX-License-Identifier: GPL-2.0
/* Reads the books' files (memsample.h). */
#include "memsample.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procfs.h"

bool mem_kernel_vmap_stack(void)
{
#if defined(__x86_64__) || defined(__aarch64__)
	return true;
#else
	return false;	/* unknown here: stacks then stay inside vmalloc */
#endif
}

/* Reads path and hands its text to parse; -errno of the read or parse. */
static int read_parsed(const char *path, int (*parse)(const char *text, void *out), void *out)
{
	char *text = procfs_slurp(path, NULL);
	int err;

	if (!text)
		return -errno;
	err = parse(text, out);
	free(text);
	return err;
}

static int parse_meminfo(const char *t, void *o) { return procfs_parse_meminfo(t, o); }
static int parse_slabinfo(const char *t, void *o) { return memstat_parse_slabinfo(t, o); }
static int parse_buddyinfo(const char *t, void *o) { return memstat_parse_buddyinfo(t, o); }
static int parse_zoneinfo(const char *t, void *o) { return memstat_parse_zoneinfo(t, o); }
static int parse_zspages(const char *t, void *o) { return memstat_parse_vmstat_zspages(t, o); }

int mem_sample_read(struct mem_sample *s, double t)
{
	struct mem_env env = { .vmap_stack = mem_kernel_vmap_stack() };
	int err;

	memset(s, 0, sizeof(*s));
	s->t = t;
	s->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	env.page_size = s->page_size;
	/* vmstat first: the books need it, and meminfo is the reference */
	env.has_zspages = read_parsed("/proc/vmstat", parse_zspages, &env.zspages) == 0;
	err = read_parsed("/proc/meminfo", parse_meminfo, &s->mi);
	if (err)
		return err;
	/* right after meminfo: the per-CPU lists move fast */
	s->zones_err = read_parsed("/proc/zoneinfo", parse_zoneinfo, &s->zones);
	for (int i = 0; i < s->zones.n; i++)
		env.pcp_pages += s->zones.z[i].pcp;
	memacct_books(&s->mi, &env, &s->books);
	s->slab_err = read_parsed("/proc/slabinfo", parse_slabinfo, &s->slab);
	if (s->slab_err)
		slabinfo_free(&s->slab);
	s->buddy_err = read_parsed("/proc/buddyinfo", parse_buddyinfo, &s->buddy);
	return 0;
}
