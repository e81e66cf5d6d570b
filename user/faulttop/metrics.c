// SPDX-License-Identifier: GPL-2.0
/* The metrics source and glue: everything --listen reads from /proc and
 * /sys lives here; view_prom.c only serializes, cgstats.c only adds up. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "cgroup.h"
#include "cgstats.h"
#include "exporter.h"
#include "netaddr.h"
#include "view_prom.h"
#include "metrics.h"

struct metrics {
	struct metrics_opts o;
	struct exporter *http;
	struct cgstats *cgroups;
	char cgroup_mount[PATH_MAX];	/* "" when cgroup v2 is not mounted */
	struct utsname uts;
	const struct row **picked;
	size_t picked_cap;
	bool warned_nomem;
};

static const char *bound_address(const struct metrics_opts *o, uint16_t port, char *buf,
				 size_t size)
{
	struct sockaddr_storage ss = { 0 };

	memcpy(&ss, o->addr, o->addr_len < sizeof(ss) ? o->addr_len : sizeof(ss));
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	return netaddr_format((const struct sockaddr *)&ss, buf, size);
}

struct metrics *metrics_start(const struct metrics_opts *o)
{
	struct metrics *m = calloc(1, sizeof(*m));
	char where[64];

	if (!m || !(m->cgroups = cgstats_new())) {
		fprintf(stderr, "faulttop: out of memory\n");
		free(m);
		return NULL;
	}
	m->o = *o;
	if (cgroup2_mount_point(m->cgroup_mount, sizeof(m->cgroup_mount)))
		m->cgroup_mount[0] = '\0';
	if (uname(&m->uts))
		snprintf(m->uts.release, sizeof(m->uts.release), "unknown");
	m->http = exporter_start(o->addr, o->addr_len);
	if (!m->http) {
		cgstats_free(m->cgroups);
		free(m);
		return NULL;
	}
	/* with the port the kernel chose when asked for 0: tests read it here */
	fprintf(stderr, "faulttop: serving metrics at http://%s/metrics (no authentication)\n",
		bound_address(o, exporter_port(m->http), where, sizeof(where)));
	return m;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	exporter_stop(m->http);
	cgstats_free(m->cgroups);
	free(m->picked);
	free(m);
}

/* ---- cgroup names -------------------------------------------------------- */

static bool cgroup_is(const struct metrics *m, const char *path, uint64_t id)
{
	char full[PATH_MAX * 2];
	uint64_t found;

	if (!m->cgroup_mount[0])
		return false;
	snprintf(full, sizeof(full), "%s%s", m->cgroup_mount, path);
	return cgroup2_id(full, &found) == 0 && found == id;
}

/* A cgroup is named after what /proc/PID/cgroup says for one of its
 * processes, once that path is confirmed to be the cgroup with this id
 * (the process may have moved since the task record). */
static void name_cgroup(struct metrics *m, const struct row *r)
{
	char path[PATH_MAX], fallback[32];

	if (!r->exited && cgroup2_path_of_pid(r->tgid, path, sizeof(path)) == 0 &&
	    cgroup_is(m, path, r->cgroup_id)) {
		cgstats_set_name(m->cgroups, r->cgroup_id, path);
		return;
	}
	snprintf(fallback, sizeof(fallback), "id:%llu", (unsigned long long)r->cgroup_id);
	cgstats_set_name(m->cgroups, r->cgroup_id, fallback);
}

static void name_cgroups(struct metrics *m, struct row *const *rows, int n)
{
	int nr;
	const struct cgroup_stat *const *list = cgstats_list(m->cgroups, &nr);

	for (int i = 0; i < n; i++) {
		const struct row *r = rows[i];
		int lo = 0, hi = nr - 1;
		const struct cgroup_stat *c = NULL;

		while (lo <= hi && !c) {
			int mid = lo + (hi - lo) / 2;

			if (list[mid]->id == r->cgroup_id)
				c = list[mid];
			else if (list[mid]->id < r->cgroup_id)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		/* named, unless only a fallback so far and this one can do better */
		if (c && c->name && strncmp(c->name, "id:", 3) != 0)
			continue;
		if (c && c->name && r->exited)
			continue;
		name_cgroup(m, r);
		list = cgstats_list(m->cgroups, &nr);
	}
}

static bool cgroup_gone(uint64_t id, const char *name, void *ctx)
{
	const struct metrics *m = ctx;

	/* a cgroup only known by id can't be checked: it goes once it's empty */
	return !name || strncmp(name, "id:", 3) == 0 || !cgroup_is(m, name, id);
}

/* ---- one interval ------------------------------------------------------------ */

static char *render(const struct prom_frame *f, enum prom_format fmt, size_t *len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);

	if (!out)
		return NULL;
	if (view_prom_write(out, f, fmt)) {
		fclose(out);
		free(buf);
		return NULL;
	}
	if (fclose(out)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void nomem(struct metrics *m)
{
	if (!m->warned_nomem)
		fprintf(stderr, "faulttop: out of memory: metrics are incomplete\n");
	m->warned_nomem = true;
}

/* Room for n picks: prom_select fills up to one per row. */
static int reserve_picked(struct metrics *m, size_t n)
{
	const struct row **v;

	if (n < m->picked_cap)
		return 0;
	v = realloc(m->picked, (n + 64) * sizeof(const struct row *));
	if (!v)
		return -ENOMEM;
	m->picked = v;
	m->picked_cap = n + 64;
	return 0;
}

void metrics_interval(struct metrics *m, struct procs *procs, const struct sys_totals *sys,
		      bool has_syscalls, double now_s)
{
	int n, nr_cg;
	struct row **rows = procs_rows(procs, false, &n);
	struct prom_frame f = { 0 };
	size_t text_len = 0, om_len = 0;
	char *text, *om;

	if (reserve_picked(m, (size_t)n)) {
		nomem(m);
		return;
	}
	/* every process's memory, so that the cgroup sums are complete;
	 * smaps_rollup is read at most every --mem-interval per process */
	for (int i = 0; i < n; i++)
		procs_refresh_memory(procs, rows[i], now_s, m->o.mem_interval_s);
	if (cgstats_update(m->cgroups, rows, n))
		nomem(m);
	name_cgroups(m, rows, n);
	cgstats_prune(m->cgroups, cgroup_gone, m);

	f.nr_procs = prom_select(rows, n, m->o.top_n, m->o.pids, m->o.nr_pids, m->picked);
	f.procs = m->picked;
	f.nr_procs_seen = n;
	f.cgroups = cgstats_list(m->cgroups, &nr_cg);
	f.nr_cgroups = nr_cg;
	f.sys = sys;
	f.has_syscalls = has_syscalls;
	f.version = m->o.version;
	f.kernel = m->uts.release;
	text = render(&f, PROM_TEXT, &text_len);
	om = render(&f, PROM_OPENMETRICS, &om_len);
	if (!text || !om) {
		free(text);
		free(om);
		nomem(m);
		return;
	}
	exporter_publish(m->http, text, text_len, om, om_len);
}
