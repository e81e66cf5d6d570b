// SPDX-License-Identifier: GPL-2.0
/* Per-cgroup totals, added up from each process's interval deltas. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "intmap.h"
#include "vec.h"
#include "cgstats.h"

struct cgstats {
	struct intmap by_id;		/* id -> struct cgroup_stat */
	const struct cgroup_stat **list;
	size_t list_cap;
	int nr_list;
	bool list_stale;
};

struct cgstats *cgstats_new(void)
{
	struct cgstats *s = calloc(1, sizeof(*s));

	if (s)
		intmap_init(&s->by_id);
	return s;
}

static void stat_free(void *val)
{
	struct cgroup_stat *c = val;

	free(c->name);
	free(c);
}

void cgstats_free(struct cgstats *s)
{
	if (!s)
		return;
	intmap_free_all(&s->by_id, stat_free);
	free(s->list);
	free(s);
}

static struct cgroup_stat *stat_get(struct cgstats *s, uint64_t id)
{
	struct cgroup_stat *c = intmap_get(&s->by_id, id);

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c || intmap_put(&s->by_id, id, c)) {
		free(c);
		return NULL;
	}
	c->id = id;
	s->list_stale = true;
	return c;
}

static void add_memory(struct cgroup_stat *c, const struct row *r)
{
	c->vss += r->mem.vss;
	if (!r->mem.valid)
		return;
	c->rss += r->mem.rss;
	c->pss += r->mem.pss;
	c->uss += r->mem.uss;
}

int cgstats_update(struct cgstats *s, struct row *const *rows, int n)
{
	uint64_t key;
	void *val;
	int err = 0;

	for (size_t i = 0; intmap_next(&s->by_id, &i, &key, &val);) {
		struct cgroup_stat *c = val;

		c->vss = c->rss = c->pss = c->uss = 0;
		c->nr_procs = 0;
	}
	for (int i = 0; i < n; i++) {
		const struct row *r = rows[i];
		struct cgroup_stat *c = stat_get(s, r->cgroup_id);

		if (!c) {
			err = -ENOMEM;
			continue;
		}
		counters_add(&c->total, &r->delta);
		c->idle_intervals = -1;		/* a process was in it */
		if (r->exited)
			continue;
		c->nr_procs++;
		add_memory(c, r);
	}
	for (size_t i = 0; intmap_next(&s->by_id, &i, &key, &val);) {
		struct cgroup_stat *c = val;

		c->idle_intervals++;
	}
	return err;
}

static int by_id(const void *a, const void *b)
{
	const struct cgroup_stat *x = *(const struct cgroup_stat *const *)a;
	const struct cgroup_stat *y = *(const struct cgroup_stat *const *)b;

	return (x->id > y->id) - (x->id < y->id);
}

static int rebuild_list(struct cgstats *s)
{
	uint64_t key;
	void *val;

	s->nr_list = 0;
	for (size_t i = 0; intmap_next(&s->by_id, &i, &key, &val);) {
		const struct cgroup_stat **l = vec_reserve(s->list, &s->list_cap, (size_t)s->nr_list,
							   sizeof(const struct cgroup_stat *));

		if (!l)
			return -ENOMEM;
		s->list = l;
		s->list[s->nr_list++] = val;
	}
	if (s->nr_list)
		qsort(s->list, (size_t)s->nr_list, sizeof(const struct cgroup_stat *), by_id);
	s->list_stale = false;
	return 0;
}

const struct cgroup_stat *const *cgstats_list(struct cgstats *s, int *n)
{
	if (s->list_stale && rebuild_list(s))
		s->list_stale = true;	/* short of memory: a partial list, try again next time */
	*n = s->nr_list;
	return s->list;
}

int cgstats_set_name(struct cgstats *s, uint64_t id, const char *name)
{
	struct cgroup_stat *c = stat_get(s, id);
	char *copy;

	if (!c)
		return -ENOMEM;
	if (c->name && strcmp(c->name, name) == 0)
		return 0;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	free(c->name);
	c->name = copy;
	return 0;
}

void cgstats_prune(struct cgstats *s, bool (*gone)(uint64_t id, const char *name, void *ctx),
		   void *ctx)
{
	uint64_t key, *doomed;
	void *val;
	size_t n = 0;

	doomed = calloc(s->by_id.len ? s->by_id.len : 1, sizeof(*doomed));
	if (!doomed)
		return;
	for (size_t i = 0; intmap_next(&s->by_id, &i, &key, &val);) {
		const struct cgroup_stat *c = val;

		if (c->idle_intervals >= 2 && gone(c->id, c->name, ctx))
			doomed[n++] = key;
	}
	for (size_t k = 0; k < n; k++)
		stat_free(intmap_del(&s->by_id, doomed[k]));
	if (n)
		s->list_stale = true;
	free(doomed);
}
