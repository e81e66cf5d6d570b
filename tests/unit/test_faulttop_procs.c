// SPDX-License-Identifier: GPL-2.0
/* faulttop's aggregator on synthetic task records: what counts from zero,
 * what from the first sighting, what survives a thread's death. */
#include <errno.h>
#include <stdlib.h>
#include "config.h"
#include "procs.h"
#include "unit.h"


#define START_NS 1000000ULL	/* faulttop "started" here */

/* No /proc here: every process reads as gone, the clock stands still. */
static int no_maps(void *ctx, pid_t tgid, struct vma_list *maps, char *exe, size_t size)
{
	(void)ctx, (void)tgid, (void)maps, (void)size;
	exe[0] = '\0';
	return -ESRCH;
}

static int no_rollup(void *ctx, pid_t pid, struct mem_rollup *out)
{
	(void)ctx, (void)pid, (void)out;
	return -ESRCH;
}

static double fixed_clock(void *ctx)
{
	(void)ctx;
	return 1.0;
}

static const struct procs_reader no_proc = { .maps = no_maps, .rollup = no_rollup,
					     .now_s = fixed_clock };

static struct ft_task task(pid_t tid, pid_t tgid, uint64_t start_ns, uint64_t minflt, uint64_t majflt)
{
	struct ft_task t = { .tid = (uint32_t)tid, .tgid = (uint32_t)tgid, .start_ns = start_ns,
			     .min_flt = minflt, .maj_flt = majflt, .comm = "w" };
	return t;
}

static struct row *find(struct procs *p, bool threads, pid_t id)
{
	int n;
	struct row **rows = procs_rows(p, threads, &n);

	for (int i = 0; i < n; i++)
		if (rows[i]->id == id)
			return rows[i];
	return NULL;
}

static void test_born_after_start_counts_from_zero(void)
{
	struct procs *p = procs_new(START_NS, &no_proc);
	struct ft_task t = task(100, 100, START_NS + 5, 40, 2);
	struct row *r;

	procs_on_task(p, &t, 1);
	procs_end_interval(p, 1, 1.0, 1.0);
	r = find(p, false, 100);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(r->total.min_flt, 40);
		CHECK_U64(r->total.maj_flt, 2);
		CHECK_U64(r->delta.min_flt, 40);
	}
	procs_free(p);
}

static void test_preexisting_counts_from_first_sighting(void)
{
	struct procs *p = procs_new(START_NS, &no_proc);
	struct ft_task t = task(100, 100, START_NS - 5, 1000, 10);
	struct row *r;

	procs_on_task(p, &t, 1);
	procs_end_interval(p, 1, 1.0, 1.0);
	t.min_flt = 1300;
	procs_on_task(p, &t, 2);
	procs_end_interval(p, 2, 2.0, 1.0);
	r = find(p, false, 100);
	CHECK(r != NULL);
	if (r) {
		CHECK_U64(r->total.min_flt, 300);
		CHECK_U64(r->delta.min_flt, 300);
		CHECK_U64(r->total.maj_flt, 0);
	}
	procs_free(p);
}

/* A process is the sum of its threads, including one that died and was
 * folded in, and one that lived and died between two refreshes. */
static void test_threads_sum_and_survive_death(void)
{
	struct procs *p = procs_new(START_NS, &no_proc);
	struct ft_task leader = task(200, 200, START_NS + 1, 10, 0);
	struct ft_task worker = task(201, 200, START_NS + 2, 20, 1);
	struct ft_task flash = task(202, 200, START_NS + 3, 7, 0);
	struct row *r;

	procs_on_task(p, &leader, 1);
	procs_on_task(p, &worker, 1);
	procs_end_interval(p, 1, 1.0, 1.0);
	CHECK_U64(find(p, false, 200)->total.min_flt, 30);

	worker.min_flt = 25;
	procs_on_task_free(p, &worker);		/* worker's last word */
	procs_on_task_free(p, &flash);		/* never seen alive */
	procs_on_task(p, &leader, 2);
	procs_end_interval(p, 2, 2.0, 1.0);
	r = find(p, false, 200);
	CHECK_U64(r->total.min_flt, 10 + 25 + 7);
	CHECK_U64(r->delta.min_flt, 5 + 7);
	CHECK_U64(r->total.maj_flt, 1);
	CHECK(!r->exited);
	CHECK(find(p, true, 201) && find(p, true, 201)->exited);

	/* next interval the dead threads are folded in: totals don't move */
	procs_on_task(p, &leader, 3);
	procs_end_interval(p, 3, 3.0, 1.0);
	r = find(p, false, 200);
	CHECK_U64(r->total.min_flt, 42);
	CHECK_U64(r->delta.min_flt, 0);
	CHECK(find(p, true, 201) == NULL);
	procs_free(p);
}

static void test_process_exit_is_shown_once(void)
{
	struct procs *p = procs_new(START_NS, &no_proc);
	struct ft_task t = task(300, 300, START_NS + 1, 5, 0);

	procs_on_task(p, &t, 1);
	procs_end_interval(p, 1, 1.0, 1.0);
	t.min_flt = 9;
	procs_on_task_free(p, &t);
	procs_end_interval(p, 2, 2.0, 1.0);
	CHECK(find(p, false, 300) && find(p, false, 300)->exited);
	CHECK_U64(find(p, false, 300)->total.min_flt, 9);
	procs_end_interval(p, 3, 3.0, 1.0);
	CHECK(find(p, false, 300) == NULL);
	procs_free(p);
}

/* A reused tid names a new task: the old one's counts stay with its process. */
static void test_tid_reuse(void)
{
	struct procs *p = procs_new(START_NS, &no_proc);
	struct ft_task old = task(401, 400, START_NS + 1, 50, 0);
	struct ft_task leader = task(400, 400, START_NS + 1, 1, 0);
	struct ft_task reborn = task(401, 400, START_NS + 99, 3, 0);

	procs_on_task(p, &leader, 1);
	procs_on_task(p, &old, 1);
	procs_end_interval(p, 1, 1.0, 1.0);
	procs_on_task(p, &leader, 2);
	procs_on_task(p, &reborn, 2);
	procs_on_task_free(p, &old);	/* late last word of the old task: ignored */
	procs_end_interval(p, 2, 2.0, 1.0);
	CHECK_U64(find(p, false, 400)->total.min_flt, 1 + 50 + 3);
	procs_free(p);
}

/* A PID handed out again, as the e2e test forces through ns_last_pid: the
 * first process (4053 faults) is reaped, the second (64 faults) is forked
 * under the same PID, and the iterator lists the second before (or after)
 * the first's last word arrives: sched_process_free runs an RCU grace period
 * after the reap. Either way the PID's series is the second's own 64, not
 * 4053 + 64 = 4117, and never shown exited. */
static void check_second_process_alone(struct procs *p, uint64_t gen, uint64_t start_ns)
{
	struct ft_task second = task(600, 600, start_ns, 64, 0);

	for (int i = 0; i < 3; i++, gen++) {
		struct row *r;

		procs_on_task(p, &second, gen);
		procs_end_interval(p, gen, (double)gen, 1.0);
		r = find(p, false, 600);
		CHECK(r != NULL);
		if (!r)
			return;
		CHECK_U64(r->start_ns, start_ns);
		CHECK_U64(r->total.min_flt, 64);
		CHECK(!r->exited);
	}
}

static void pid_reuse(bool last_word_first)
{
	struct procs *p = procs_new(START_NS, &no_proc);
	struct ft_task first = task(600, 600, START_NS + 1, 4053, 0);
	struct ft_task second = task(600, 600, START_NS + 2, 64, 0);
	struct row *r;

	procs_on_task(p, &first, 1);
	procs_end_interval(p, 1, 1.0, 1.0);
	if (last_word_first)
		procs_on_task_free(p, &first);
	procs_on_task(p, &second, 2);	/* the pass lists the second under that PID */
	if (!last_word_first)
		procs_on_task_free(p, &first);
	procs_end_interval(p, 2, 2.0, 1.0);
	r = find(p, false, 600);
	CHECK(r && !r->exited && r->total.min_flt == 64);
	check_second_process_alone(p, 3, START_NS + 2);
	procs_free(p);
}

static void test_pid_reuse_before_last_word(void)
{
	pid_reuse(false);
}

static void test_pid_reuse_after_last_word(void)
{
	pid_reuse(true);
}

static void test_signals_split_by_code(void)
{
	struct procs *p = procs_new(START_NS, &no_proc);
	struct ft_task t = task(500, 500, START_NS + 1, 1, 0);
	struct ft_ev_signal maperr = { .type = EV_SIGNAL, .tid = 500, .tgid = 500, .sig = 11,
				       .code = 1, .addr = 0x1000, .ip = 0x400000 };
	struct ft_ev_signal accerr = maperr, bus = maperr;
	struct row *r;

	accerr.code = 2;
	bus.sig = 7;
	bus.code = 2;
	procs_on_task(p, &t, 1);
	procs_on_signal(p, &maperr);
	procs_on_signal(p, &accerr);
	procs_on_signal(p, &bus);
	procs_end_interval(p, 1, 1.0, 1.0);
	r = find(p, false, 500);
	CHECK_U64(r->total.segv_maperr, 1);
	CHECK_U64(r->total.segv_accerr, 1);
	CHECK_U64(r->total.sigbus, 1);
	CHECK(r->last_sig.sig == 7 && r->last_sig.addr == 0x1000 && r->last_sig.ip == 0x400000);
	procs_free(p);
}

/* Events can name a task after its last word was processed and pruned:
 * the placeholder they create must age out, or a long run leaks memory. */
static void test_event_only_tasks_age_out(void)
{
	struct procs *p = procs_new(START_NS, &no_proc);
	struct ft_task live = task(700, 700, START_NS + 1, 1, 0);
	struct ft_ev_fault late = { .type = EV_FAULT, .tid = 801, .tgid = 800, .addr = 0x1000 };
	struct ft_ev_signal late_sig = { .type = EV_SIGNAL, .tid = 801, .tgid = 800, .sig = 11,
					 .code = 1, .comm = "gone" };
	uint64_t gen;

	procs_on_task(p, &live, 1);
	procs_end_interval(p, 1, 1.0, 1.0);
	procs_on_fault(p, &late);
	procs_on_signal(p, &late_sig);	/* names it, so its rows are visible */
	procs_end_interval(p, 1, 1.5, 0.5);
	CHECK(find(p, true, 801) != NULL && find(p, false, 800) != NULL);
	for (gen = 2; gen < 10; gen++) {
		procs_on_task(p, &live, gen);
		procs_end_interval(p, gen, (double)gen, 1.0);
	}
	CHECK(find(p, true, 801) == NULL);
	{
		int n;

		procs_rows(p, false, &n);
		CHECK(n == 1);	/* only the live process: the placeholder is gone */
		CHECK(find(p, false, 800) == NULL);
	}
	procs_free(p);
}

int main(void)
{
	RUN(test_born_after_start_counts_from_zero);
	RUN(test_preexisting_counts_from_first_sighting);
	RUN(test_threads_sum_and_survive_death);
	RUN(test_process_exit_is_shown_once);
	RUN(test_tid_reuse);
	RUN(test_pid_reuse_before_last_word);
	RUN(test_pid_reuse_after_last_word);
	RUN(test_signals_split_by_code);
	RUN(test_event_only_tasks_age_out);
	UNIT_EXIT();
}
