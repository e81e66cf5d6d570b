// SPDX-License-Identifier: GPL-2.0
/* faulttop's metrics view (view_prom.c), per-cgroup totals (cgstats.c),
 * content negotiation, and the listen-address and /proc/PID/cgroup
 * parsers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include "cgroup.h"
#include "cgstats.h"
#include "netaddr.h"
#include "view_prom.h"
#include "unit.h"

static struct row mk(pid_t pid, const char *comm, uint64_t cg, uint64_t minflt_delta,
		     uint64_t minflt_total)
{
	struct row r = { .id = pid, .tgid = pid, .cgroup_id = cg, .start_ns = 1000U + (uint64_t)pid };

	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	r.delta.min_flt = minflt_delta;
	r.total.min_flt = minflt_total;
	r.mem.vss = 4096;
	return r;
}

/* Renders f in fmt into a malloc'd string. */
static char *render(const struct prom_frame *f, enum prom_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	CHECK(out != NULL);
	CHECK(view_prom_write(out, f, fmt) == 0);
	fclose(out);
	return buf;
}

static int count_lines_starting(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += strncmp(p, prefix, strlen(prefix)) == 0;
	return n;
}

static const struct sys_totals sys0 = {
	.drops = 3, .map_full = 4,
	.mem = { .mem_available = 1000, .sreclaimable = 20, .sunreclaim = 30 },
};

static void test_negotiation_as_prometheus_sends_it(void)
{
	/* Prometheus 2.x's scrape Accept header */
	CHECK(prom_negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
			     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1") ==
	      PROM_OPENMETRICS);
	CHECK(prom_negotiate(NULL) == PROM_TEXT);
	CHECK(prom_negotiate("") == PROM_TEXT);
	CHECK(prom_negotiate("*/*") == PROM_TEXT);		/* curl */
	CHECK(prom_negotiate("text/plain;version=0.0.4") == PROM_TEXT);
	CHECK(prom_negotiate("Application/OpenMetrics-Text; version=1.0.0") == PROM_OPENMETRICS);
	/* weighed below text, or refused */
	CHECK(prom_negotiate("application/openmetrics-text;q=0.2, text/plain;q=0.9") == PROM_TEXT);
	CHECK(prom_negotiate("application/openmetrics-text;q=0") == PROM_TEXT);
	CHECK(prom_negotiate("text/plain;q=0.1, application/openmetrics-text") == PROM_OPENMETRICS);
	CHECK(prom_negotiate("application/openmetrics-text;q=nan") == PROM_TEXT);
	CHECK(prom_negotiate(",,;;q=,application/openmetrics-text;q=") == PROM_TEXT);
	CHECK(strstr(prom_content_type(PROM_TEXT), "text/plain; version=0.0.4") != NULL);
	CHECK(strstr(prom_content_type(PROM_OPENMETRICS), "application/openmetrics-text; version=1.0.0"));
}

static void test_select_top_n_plus_pids(void)
{
	struct row a = mk(1, "a", 1, 5, 5), b = mk(2, "b", 1, 50, 50), c = mk(3, "c", 1, 20, 20),
		   d = mk(4, "d", 1, 0, 9);
	struct row *rows[] = { &a, &b, &c, &d };
	const struct row *out[4];
	pid_t want[] = { 4, 2 };

	CHECK(prom_select(rows, 4, 2, NULL, 0, out) == 2);
	CHECK(out[0] == &b && out[1] == &c);
	/* -p 4,2: 2 is in the top already, 4 is added once */
	CHECK(prom_select(rows, 4, 2, want, 2, out) == 3);
	CHECK(out[0] == &b && out[1] == &c && out[2] == &d);
	CHECK(prom_select(rows, 4, 0, want, 2, out) == 2);
	CHECK(out[0] == &b && out[1] == &d);
	CHECK(prom_select(rows, 4, 100, NULL, 0, out) == 4);
	CHECK(prom_select(rows, 0, 100, NULL, 0, out) == 0);
	/* ties break by pid, so the set is stable from scrape to scrape */
	a.delta.min_flt = c.delta.min_flt = b.delta.min_flt = 7;
	CHECK(prom_select(rows, 4, 2, NULL, 0, out) == 2);
	CHECK(out[0] == &a && out[1] == &b);
}

static struct prom_frame frame_of(const struct row *const *procs, int n,
				  const struct cgroup_stat *const *cgs, int nr_cg)
{
	struct prom_frame f = {
		.procs = procs, .nr_procs = n, .nr_procs_seen = n + 5, .cgroups = cgs,
		.nr_cgroups = nr_cg, .sys = &sys0, .has_syscalls = true,
		.version = "0.1", .kernel = "6.18.0-test",
	};

	return f;
}

static void fill_counters_and_memory(struct row *r)
{
	r->total.maj_flt = 3;
	r->total.segv_accerr = 2;
	r->total.sigbus = 1;
	r->total.mmap = 8;
	r->total.bytes_mapped = 65536;
	r->mem.valid = true;
	r->mem.rss = 8192;
	r->mem.pss = 6000;
	r->mem.uss = 5000;
	r->mem.uss_trend.n = 3;
	r->mem.uss_slope = 1536.5;
}

static void test_text_format_exact_lines(void)
{
	struct row a = mk(42, "nginx", 7, 10, 1234);
	const struct row *procs[] = { &a };
	struct cgroup_stat cg = { .id = 7, .name = "/system.slice/nginx.service",
				  .total = { .min_flt = 99999, .maj_flt = 2, .segv_maperr = 1 },
				  .vss = 4096, .pss = 100, .nr_procs = 1 };
	const struct cgroup_stat *cgs[] = { &cg };
	struct prom_frame f;
	char *t;

	fill_counters_and_memory(&a);
	f = frame_of(procs, 1, cgs, 1);
	t = render(&f, PROM_TEXT);
	CHECK(strstr(t, "# TYPE mmscope_page_faults_total counter\n") != NULL);
	CHECK(strstr(t, "\nmmscope_page_faults_total{kind=\"minor\",pid=\"42\",comm=\"nginx\","
		      "cgroup=\"/system.slice/nginx.service\",start=\"1042\"} 1234\n") != NULL);
	CHECK(strstr(t, "\nmmscope_page_faults_total{kind=\"major\",pid=\"42\",") != NULL);
	CHECK(strstr(t, "\nmmscope_segv_total{code=\"accerr\",pid=\"42\",comm=\"nginx\",cgroup=\"/system.slice/nginx.service\",start=\"1042\"} 2\n"));
	CHECK(strstr(t, "\nmmscope_sigbus_total{pid=\"42\",") != NULL);
	CHECK(strstr(t, "\nmmscope_memory_bytes{kind=\"uss\",pid=\"42\",") != NULL);
	CHECK(strstr(t, "} 5000\n") != NULL);
	CHECK(strstr(t, "\nmmscope_uss_growth_bytes_per_second{pid=\"42\",comm=\"nginx\",cgroup=\"/system.slice/nginx.service\",start=\"1042\"} 1536.5\n"));
	CHECK(strstr(t, "\nmmscope_mmap_calls_total{call=\"mmap\",pid=\"42\",") != NULL);
	CHECK(strstr(t, "\nmmscope_mapped_bytes_total{direction=\"mapped\",pid=\"42\",") != NULL);
	CHECK(strstr(t, "\nmmscope_cgroup_page_faults_total{kind=\"minor\",cgroup=\"/system.slice/nginx.service\"} 99999\n"));
	CHECK(strstr(t, "\nmmscope_cgroup_segv_total{code=\"maperr\",cgroup=\"/system.slice/nginx.service\"} 1\n"));
	CHECK(strstr(t, "\nmmscope_cgroup_memory_bytes{kind=\"pss\",cgroup=\"/system.slice/nginx.service\"} 100\n"));
	CHECK(strstr(t, "\nmmscope_lost_events_total{reason=\"ringbuf\"} 3\n") != NULL);
	CHECK(strstr(t, "\nmmscope_lost_events_total{reason=\"map_full\"} 4\n") != NULL);
	CHECK(strstr(t, "\nmmscope_slab_bytes{kind=\"unreclaimable\"} 30\n") != NULL);
	CHECK(strstr(t, "\nmmscope_mem_available_bytes 1000\n") != NULL);
	CHECK(strstr(t, "\nmmscope_processes{set=\"all\"} 6\n") != NULL);
	CHECK(strstr(t, "\nmmscope_processes{set=\"exported\"} 1\n") != NULL);
	CHECK(strstr(t, "# TYPE mmscope_build_info gauge\nmmscope_build_info{version=\"0.1\",kernel=\"6.18.0-test\"} 1\n"));
	CHECK(strstr(t, "# EOF") == NULL);
	/* one HELP and one TYPE per family, every family once */
	CHECK(count_lines_starting(t, "# TYPE mmscope_page_faults_total ") == 1);
	CHECK(count_lines_starting(t, "# HELP ") == count_lines_starting(t, "# TYPE "));
	CHECK(count_lines_starting(t, "# TYPE ") == 16);
	free(t);
}

static void test_openmetrics_names_and_eof(void)
{
	struct row a = mk(42, "nginx", 7, 10, 1234);
	const struct row *procs[] = { &a };
	struct prom_frame f = frame_of(procs, 1, NULL, 0);
	char *t = render(&f, PROM_OPENMETRICS);
	size_t len = strlen(t);

	CHECK(strstr(t, "# TYPE mmscope_page_faults counter\n") != NULL);
	CHECK(strstr(t, "# TYPE mmscope_page_faults_total") == NULL);
	CHECK(strstr(t, "\nmmscope_page_faults_total{kind=\"minor\",pid=\"42\"") != NULL);
	CHECK(strstr(t, "# TYPE mmscope_memory_bytes gauge\n") != NULL);
	CHECK(strstr(t, "# TYPE mmscope_build info\nmmscope_build_info{") != NULL);
	CHECK(len > 6 && strcmp(t + len - 6, "# EOF\n") == 0);
	free(t);
}

static void test_hostile_labels_are_escaped(void)
{
	struct row a = mk(5, "a\"b\\c\nd\x1b\xff", 9, 1, 1);
	const struct row *procs[] = { &a };
	struct cgroup_stat cg = { .id = 9, .name = "/we\"ird\\\n\xc3\xa9" };
	const struct cgroup_stat *cgs[] = { &cg };
	struct prom_frame f = frame_of(procs, 1, cgs, 1);
	char *t = render(&f, PROM_TEXT);

	CHECK(strstr(t, "comm=\"a\\\"b\\\\c?d??\"") != NULL);
	CHECK(strstr(t, "cgroup=\"/we\\\"ird\\\\???\"") != NULL);
	for (const unsigned char *p = (const unsigned char *)t; *p; p++)
		CHECK(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
	free(t);
}

static void test_no_processes_no_process_families(void)
{
	struct prom_frame f = frame_of(NULL, 0, NULL, 0);
	char *t = render(&f, PROM_TEXT);

	CHECK(strstr(t, "mmscope_page_faults_total") == NULL);
	CHECK(strstr(t, "mmscope_build_info{") != NULL);
	free(t);
	f.has_syscalls = false;
	{
		struct row a = mk(1, "x", 0, 1, 1);
		const struct row *procs[] = { &a };

		f.procs = procs;
		f.nr_procs = 1;
		t = render(&f, PROM_TEXT);
		CHECK(strstr(t, "mmscope_mmap_calls_total") == NULL);	/* tracepoints off: absent, not 0 */
		CHECK(strstr(t, "mmscope_memory_bytes{kind=\"vss\"") != NULL);
		CHECK(strstr(t, "mmscope_memory_bytes{kind=\"rss\"") == NULL);	/* never read */
		free(t);
	}
}

static const struct cgroup_stat *find_cg(struct cgstats *s, uint64_t id)
{
	int n;
	const struct cgroup_stat *const *l = cgstats_list(s, &n);

	for (int i = 0; i < n; i++)
		if (l[i]->id == id)
			return l[i];
	return NULL;
}

static bool always_gone(uint64_t id, const char *name, void *ctx)
{
	(void)id, (void)name;
	(*(int *)ctx)++;
	return true;
}

static void test_cgstats_complete_and_monotonic(void)
{
	struct cgstats *s = cgstats_new();
	struct row a = mk(1, "a", 7, 100, 100), b = mk(2, "b", 7, 50, 50), c = mk(3, "c", 8, 1, 1);
	struct row *rows[] = { &a, &b, &c };
	const struct cgroup_stat *cg;
	int n, asked = 0;

	a.mem.valid = true;
	a.mem.pss = 10;
	CHECK(cgstats_update(s, rows, 3) == 0);
	cg = find_cg(s, 7);
	CHECK(cg && cg->total.min_flt == 150 && cg->nr_procs == 2 && cg->pss == 10 && cg->vss == 8192);
	/* b exits with 5 more faults in its last interval, then is gone */
	a.delta.min_flt = 0;
	b.delta.min_flt = 5;
	b.exited = true;
	CHECK(cgstats_update(s, rows, 2) == 0);
	cg = find_cg(s, 7);
	CHECK(cg && cg->total.min_flt == 155 && cg->nr_procs == 1);
	CHECK(cgstats_update(s, rows, 1) == 0);
	cg = find_cg(s, 7);
	CHECK(cg && cg->total.min_flt == 155 && cg->nr_procs == 1);
	/* cgroup 8 has been empty for two intervals: asked, and dropped */
	CHECK(find_cg(s, 8) != NULL);
	cgstats_prune(s, always_gone, &asked);
	CHECK(asked == 1);
	CHECK(find_cg(s, 8) == NULL && find_cg(s, 7) != NULL);
	CHECK(cgstats_set_name(s, 7, "/x") == 0);
	CHECK_STR(find_cg(s, 7)->name, "/x");
	cgstats_list(s, &n);
	CHECK(n == 1);
	cgstats_free(s);
}

static void test_cgstats_list_sorted_for_lookup(void)
{
	struct cgstats *s = cgstats_new();
	struct row r[5];
	struct row *rows[5];
	const struct cgroup_stat *const *l;
	int n;

	for (int i = 0; i < 5; i++) {
		r[i] = mk(i + 1, "p", (uint64_t)(50 - i * 10), 1, 1);
		rows[i] = &r[i];
	}
	CHECK(cgstats_update(s, rows, 5) == 0);
	l = cgstats_list(s, &n);
	CHECK(n == 5);
	for (int i = 1; i < n; i++)
		CHECK(l[i - 1]->id < l[i]->id);
	cgstats_free(s);
}

static void test_listen_address_parse(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[64];

	CHECK(netaddr_parse("127.0.0.1:9464", &ss, &len) == 0);
	CHECK(ss.ss_family == AF_INET && len == sizeof(struct sockaddr_in));
	CHECK(ntohs(((struct sockaddr_in *)&ss)->sin_port) == 9464);
	CHECK_STR(netaddr_format((struct sockaddr *)&ss, buf, sizeof(buf)), "127.0.0.1:9464");
	CHECK(netaddr_parse("[::1]:0", &ss, &len) == 0 && ss.ss_family == AF_INET6);
	CHECK_STR(netaddr_format((struct sockaddr *)&ss, buf, sizeof(buf)), "[::1]:0");
	CHECK(netaddr_parse("localhost:80", &ss, &len) == 0 && ss.ss_family == AF_INET);
	CHECK(netaddr_parse("0.0.0.0:65535", &ss, &len) == 0);
	CHECK(netaddr_parse("9464", &ss, &len) != 0);
	CHECK(netaddr_parse(":9464", &ss, &len) != 0);
	CHECK(netaddr_parse("127.0.0.1:", &ss, &len) != 0);
	CHECK(netaddr_parse("127.0.0.1:65536", &ss, &len) != 0);
	CHECK(netaddr_parse("127.0.0.1:-1", &ss, &len) != 0);
	CHECK(netaddr_parse("127.0.0.1:80x", &ss, &len) != 0);
	CHECK(netaddr_parse("::1:80", &ss, &len) != 0);
	CHECK(netaddr_parse("[::1]80", &ss, &len) != 0);
	CHECK(netaddr_parse("[127.0.0.1]:80", &ss, &len) != 0);
	CHECK(netaddr_parse("example.com:80", &ss, &len) != 0);	/* no DNS */
}

static void test_proc_cgroup_parse(void)
{
	char buf[64];

	CHECK(cgroup2_parse_proc_cgroup("0::/system.slice/a.service\n", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "/system.slice/a.service");
	/* hybrid: v1 lines first */
	CHECK(cgroup2_parse_proc_cgroup("4:memory:/x\n1:cpu:/\n0::/\n", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "/");
	CHECK(cgroup2_parse_proc_cgroup("0::/no-newline", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "/no-newline");
	CHECK(cgroup2_parse_proc_cgroup("1:name=systemd:/\n", buf, sizeof(buf)) != 0);
	CHECK(cgroup2_parse_proc_cgroup("", buf, sizeof(buf)) != 0);
	CHECK(cgroup2_parse_proc_cgroup("0::relative\n", buf, sizeof(buf)) != 0);
	CHECK(cgroup2_parse_proc_cgroup("0::/this-path-is-far-too-long-for-the-buffer-given-here-"
					"really-it-is\n", buf, 16) != 0);
}

int main(void)
{
	RUN(test_negotiation_as_prometheus_sends_it);
	RUN(test_select_top_n_plus_pids);
	RUN(test_text_format_exact_lines);
	RUN(test_openmetrics_names_and_eof);
	RUN(test_hostile_labels_are_escaped);
	RUN(test_no_processes_no_process_families);
	RUN(test_cgstats_complete_and_monotonic);
	RUN(test_cgstats_list_sorted_for_lookup);
	RUN(test_listen_address_parse);
	RUN(test_proc_cgroup_parse);
	UNIT_EXIT();
}
