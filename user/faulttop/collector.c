// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "collector.h"
#include "fdio.h"
#include "feature_probe.h"
#include "percpu_stats.h"
#include "faulttop.skel.h"

/* The per-fault hook's duty cycle: attached sample_pct % of each period. */
#define DUTY_PERIOD_MS 1000

/* The perf software events for minor and major faults on every CPU, each
 * with on_fault_min/_maj: the watched process's faults (filtered in BPF),
 * and the per-fault hook where page_fault_user is missing. */
struct fault_events {
	int nr_cpus;			/* 0: not open */
	struct bpf_link **links;	/* [2 * nr_cpus]: minor, then major */
	int *fds;			/* their perf event fds, owned by the links */
	bool minor_on;
};

/* The watched process (--maps, the TUI's process screen). */
struct watch {
	pid_t tgid;			/* 0: none */
	struct watch_sink sink;
};

/* Why the per-fault hook is the perf events, which carry no access kind. */
#define NO_TP_WHY "no page_fault_user tracepoint (x86-only)"
#define FORCED_WHY "MMSCOPE_NO_PAGE_FAULT_TP is set"

struct collector {
	struct faulttop_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *iter_link;
	struct bpf_link *fault_link;	/* NULL while the hook is off */
	struct bpf_program *fault_prog;	/* the page_fault_user variant loaded */
	struct bpf_program *event_prog[2];	/* the minor, major fault event variants loaded */
	const char *perf_hook_why;	/* NULL: page_fault_user is the hook; else the perf events are */
	bool hook_on;			/* the per-fault hook, in its duty cycle */
	struct fault_events events;	/* open while watching, or for good with perf_hook_why */
	struct procs *procs;
	int sample_pct;
	bool has_syscalls;
	double duty_started;		/* start of the current duty period */
	char *iter_buf;
	size_t iter_cap;
	struct watch watch;		/* the process whose faults go to its VMAs */
};

static int open_fault_events(struct collector *c);
static void close_fault_events(struct collector *c);

static int handle_event(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	__u32 type;

	if (size < sizeof(type))
		return 0;
	memcpy(&type, data, sizeof(type));
	switch (type) {
	case EV_FAULT:
		if (size >= sizeof(struct ft_ev_fault))
			procs_on_fault(c->procs, data);
		break;
	case EV_SIGNAL:
		if (size < sizeof(struct ft_ev_signal))
			break;
		procs_on_signal(c->procs, data);
		if (c->watch.tgid && ((struct ft_ev_signal *)data)->tgid == (__u32)c->watch.tgid)
			c->watch.sink.on_signal(c->watch.sink.ctx, data);
		break;
	case EV_VMA_FAULT:
		if (size >= sizeof(struct ft_ev_vma_fault) && c->watch.tgid)
			c->watch.sink.on_fault(c->watch.sink.ctx, data);
		break;
	case EV_TASK_FREE:
		if (size >= sizeof(struct ft_ev_task_free))
			procs_on_task_free(c->procs, &((struct ft_ev_task_free *)data)->task);
		break;
	}
	return 0;
}

static const char *const needed_tp_btf[] = { "signal_generate", "sched_process_free" };

/* The needed tracepoints, and which per-fault hook: page_fault_user where
 * the kernel has it (x86), else the perf fault events (arm64; on x86 too
 * with MMSCOPE_NO_PAGE_FAULT_TP set, which is how the tests run arm64's
 * path here). */
static int check_tracepoints(struct collector *c)
{
	if (check_kernel_btf("faulttop"))
		return -1;
	for (size_t i = 0; i < sizeof(needed_tp_btf) / sizeof(needed_tp_btf[0]); i++) {
		if (!tp_btf_exists(needed_tp_btf[i])) {
			fprintf(stderr, "faulttop: kernel has no tracepoint %s\n", needed_tp_btf[i]);
			return -1;
		}
	}
	if (getenv("MMSCOPE_NO_PAGE_FAULT_TP"))
		c->perf_hook_why = FORCED_WHY;
	else if (!tp_btf_exists("page_fault_user"))
		c->perf_hook_why = NO_TP_WHY;
	return 0;
}

static void disable_syscall_programs(struct faulttop_bpf *skel)
{
	struct bpf_program *progs[] = {
		skel->progs.on_enter_mmap, skel->progs.on_exit_mmap,
		skel->progs.on_enter_munmap, skel->progs.on_exit_munmap,
		skel->progs.on_enter_mremap, skel->progs.on_exit_mremap,
		skel->progs.on_enter_brk, skel->progs.on_exit_brk,
	};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_autoload(progs[i], false);
}

/* The best variant of each hook this kernel accepts (bpf/compat.bpf.h):
 * tp_btf, else raw_tp with CO-RE reads (5.10: no BTF task helper, no
 * bpf_task_pt_regs). Same numbers either way. */
static void pick_variants(struct collector *c)
{
	struct faulttop_bpf *s = c->skel;
	bool task_btf = bpf_helper_exists(BPF_FUNC_get_current_task_btf);

	if (c->perf_hook_why) {
		bpf_program__set_autoload(s->progs.on_page_fault_user, false);
		bpf_program__set_autoload(s->progs.on_page_fault_user_raw, false);
		s->rodata->perf_hook = true;
	} else {
		c->fault_prog = prog_pick(s->progs.on_page_fault_user,
					  s->progs.on_page_fault_user_raw,
					  tp_btf_usable("page_fault_user", 3, true));
	}
	c->event_prog[0] = prog_pick(s->progs.on_fault_min, s->progs.on_fault_min_raw, task_btf);
	c->event_prog[1] = prog_pick(s->progs.on_fault_maj, s->progs.on_fault_maj_raw, task_btf);
	prog_pick(s->progs.on_signal_generate, s->progs.on_signal_generate_raw,
		  tp_btf_usable("signal_generate", 5, false) && bpf_helper_exists(BPF_FUNC_task_pt_regs));
}

static int attach_all(struct collector *c)
{
	struct faulttop_bpf *skel = c->skel;
	int err;

	/* the fault hook is attached by the duty cycle, not here */
	if (c->fault_prog)
		bpf_program__set_autoattach(c->fault_prog, false);
	bpf_program__set_autoattach(skel->progs.dump_task, false);
	err = faulttop_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "faulttop: attaching BPF programs failed: %s\n", strerror(-err));
		return err;
	}
	c->iter_link = bpf_program__attach_iter(skel->progs.dump_task, NULL);
	if (!c->iter_link) {
		err = -errno;
		fprintf(stderr, "faulttop: attaching the task iterator failed: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

struct collector *collector_open(const struct collector_opts *o, struct procs *procs)
{
	struct collector *c = calloc(1, sizeof(*c));
	int err;

	if (!c) {
		fprintf(stderr, "faulttop: out of memory\n");
		return NULL;
	}
	c->procs = procs;
	c->sample_pct = o->sample_pct;
	if (check_tracepoints(c))
		goto fail;
	/* without them faulttop still runs, with those columns off */
	c->has_syscalls = syscall_tracepoints_usable("faulttop", "mmap/brk columns are off");

	c->skel = faulttop_bpf__open();
	if (!c->skel) {
		fprintf(stderr, "faulttop: opening the BPF object failed: %s\n", strerror(errno));
		goto fail;
	}
	if (o->ringbuf_bytes)
		bpf_map__set_max_entries(c->skel->maps.events, o->ringbuf_bytes);
	if (o->max_threads) {
		bpf_map__set_max_entries(c->skel->maps.fault_counts, o->max_threads);
		bpf_map__set_max_entries(c->skel->maps.sys_counts, o->max_threads);
		bpf_map__set_max_entries(c->skel->maps.syscall_inflight, o->max_threads);
	}
	if (!c->has_syscalls)
		disable_syscall_programs(c->skel);
	pick_variants(c);
	err = faulttop_bpf__load(c->skel);
	if (err) {
		fprintf(stderr, "faulttop: loading BPF programs failed: %s (run with -v for the verifier log)\n",
			strerror(-err));
		goto fail;
	}
	if (attach_all(c))
		goto fail;
	if (c->perf_hook_why && (err = open_fault_events(c))) {
		fprintf(stderr, "faulttop: opening the fault perf events failed (%s): %s\n",
			c->perf_hook_why, strerror(-err));
		goto fail;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), handle_event, c, NULL);
	if (!c->rb) {
		fprintf(stderr, "faulttop: creating the ring buffer reader failed: %s\n", strerror(errno));
		goto fail;
	}
	c->duty_started = monotonic_s() - DUTY_PERIOD_MS / 1000.0;	/* start a period now */
	return c;
fail:
	collector_close(c);
	return NULL;
}

void collector_close(struct collector *c)
{
	if (!c)
		return;
	collector_unwatch(c);
	close_fault_events(c);
	ring_buffer__free(c->rb);
	bpf_link__destroy(c->fault_link);
	bpf_link__destroy(c->iter_link);
	faulttop_bpf__destroy(c->skel);
	free(c->iter_buf);
	free(c);
}

static void minor_events(struct collector *c, bool on);

/* page_fault_user attached, or the perf fault events' hook opened (in BPF,
 * and the minor-fault events enabled). The minor events follow it either
 * way: a watched process's minor faults are sampled like the rest. */
static void set_fault_hook(struct collector *c, bool on)
{
	minor_events(c, on);
	if (c->perf_hook_why) {
		c->skel->bss->hook_on = on;
		c->hook_on = on;
		return;
	}
	if (on && !c->fault_link) {
		c->fault_link = bpf_program__attach(c->fault_prog);
		if (!c->fault_link)
			fprintf(stderr, "faulttop: attaching page_fault_user failed: %s\n", strerror(errno));
	} else if (!on && c->fault_link) {
		bpf_link__destroy(c->fault_link);
		c->fault_link = NULL;
	}
	c->hook_on = c->fault_link != NULL;
}

/* Attached for the first sample_pct % of every period: a hook that runs on
 * every fault costs ~5.5%, and one attached a tenth of the time a tenth of
 * that. */
static int duty_cycle(struct collector *c, double now)
{
	double on_s = DUTY_PERIOD_MS / 1000.0 * c->sample_pct / 100.0;
	double period_s = DUTY_PERIOD_MS / 1000.0;

	if (c->sample_pct >= 100) {
		set_fault_hook(c, true);
		return 1000;
	}
	if (c->sample_pct <= 0)
		return 1000;
	if (now - c->duty_started >= period_s)
		c->duty_started = now;
	if (now - c->duty_started < on_s) {
		set_fault_hook(c, true);
		return (int)((on_s - (now - c->duty_started)) * 1000) + 1;
	}
	set_fault_hook(c, false);
	return (int)((period_s - (now - c->duty_started)) * 1000) + 1;
}

int collector_poll(struct collector *c, int timeout_ms)
{
	int until_toggle = duty_cycle(c, monotonic_s());
	int err;

	if (timeout_ms > until_toggle)
		timeout_ms = until_toggle;
	err = ring_buffer__poll(c->rb, timeout_ms);
	if (err < 0)
		return err;
	/* fault samples don't wake us: drain them here */
	collector_drain(c);
	duty_cycle(c, monotonic_s());
	return 0;
}

void collector_drain(struct collector *c)
{
	ring_buffer__consume(c->rb);
}

/* Every task's record, into a buffer kept between refreshes: 1 MiB to start,
 * 64 KiB free before each read so that one read takes many records. */
static int read_iterator(struct collector *c, size_t *len)
{
	int fd = bpf_iter_create(bpf_link__fd(c->iter_link));
	int err;

	if (fd < 0)
		return -errno;
	err = fd_read_to_end(fd, &c->iter_buf, &c->iter_cap, len, 1 << 20, 65536);
	close(fd);
	return err;
}

int collector_read_tasks(struct collector *c, uint64_t generation)
{
	size_t len = 0;
	int err = read_iterator(c, &len);

	if (err)
		return err;
	for (size_t off = 0; off + sizeof(struct ft_task) <= len; off += sizeof(struct ft_task)) {
		struct ft_task rec;

		memcpy(&rec, c->iter_buf + off, sizeof(rec));
		procs_on_task(c->procs, &rec, generation);
	}
	return 0;
}

void collector_loss(struct collector *c, uint64_t *drops, uint64_t *map_full)
{
	uint64_t sums[STAT_MAX] = {};

	percpu_array_sum(bpf_map__fd(c->skel->maps.stats), STAT_MAX, sums);
	*drops = sums[STAT_RINGBUF_DROPS];
	*map_full = sums[STAT_MAP_FULL];
}

bool collector_has_syscalls(const struct collector *c)
{
	return c->has_syscalls;
}

int collector_sample_pct(const struct collector *c)
{
	return c->sample_pct;
}

/* ---- the fault perf events ---------------------------------------------------- */

/* Minor faults are hooked with the per-fault hook's duty cycle (sampled
 * unless --precise): the event runs BPF on every minor fault of every
 * process. Major faults are rare enough (each waits on I/O) to be always on. */
static void minor_events(struct collector *c, bool on)
{
	struct fault_events *ev = &c->events;

	if (!ev->nr_cpus || ev->minor_on == on)
		return;
	for (int i = 0; i < ev->nr_cpus; i++)
		if (ev->links[i])
			ioctl(ev->fds[i], on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0);
	ev->minor_on = on;
}

static struct bpf_link *open_fault_event(struct bpf_program *prog, int cpu, bool major, int *fd)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE, .size = sizeof(attr),
		.config = major ? PERF_COUNT_SW_PAGE_FAULTS_MAJ : PERF_COUNT_SW_PAGE_FAULTS_MIN,
		.sample_period = 1, .disabled = 1,
	};
	struct bpf_link *link;

	*fd = (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (*fd < 0)
		return NULL;
	link = bpf_program__attach_perf_event(prog, *fd);	/* enables it */
	if (!link)
		close(*fd);
	return link;
}

static void close_fault_events(struct collector *c)
{
	struct fault_events *ev = &c->events;

	for (int i = 0; ev->links && i < 2 * ev->nr_cpus; i++)
		bpf_link__destroy(ev->links[i]);
	free(ev->links);
	free(ev->fds);
	memset(ev, 0, sizeof(*ev));
}

/* Every CPU's minor and major events, the minor ones as the hook is now.
 * 0 or -errno. */
static int open_fault_events(struct collector *c)
{
	struct fault_events *ev = &c->events;
	int n = libbpf_num_possible_cpus(), opened = 0;

	if (n <= 0)
		return -EINVAL;
	/* an array of pointers, sized as one */
	// NOLINTNEXTLINE(bugprone-sizeof-expression)
	ev->links = calloc(2 * (size_t)n, sizeof(*ev->links));
	ev->fds = calloc(2 * (size_t)n, sizeof(*ev->fds));
	if (!ev->links || !ev->fds) {
		close_fault_events(c);
		return -ENOMEM;
	}
	ev->nr_cpus = n;
	errno = 0;
	for (int i = 0; i < 2 * n; i++) {
		bool major = i >= n;

		/* an offline CPU refuses the event: it has no faults either */
		ev->links[i] = open_fault_event(c->event_prog[major], i % n, major, &ev->fds[i]);
		opened += ev->links[i] != NULL;
	}
	if (!opened) {
		int err = errno ? -errno : -EINVAL;

		close_fault_events(c);
		return err;
	}
	ev->minor_on = true;
	minor_events(c, c->hook_on);
	return 0;
}

const char *collector_no_access_why(const struct collector *c)
{
	return c->perf_hook_why;
}

/* ---- the watched process ----------------------------------------------------- */

/* With page_fault_user as the hook the events are opened for the watch;
 * with the perf events as the hook they are open already. */
int collector_watch(struct collector *c, pid_t tgid, const struct watch_sink *sink)
{
	struct watch *w = &c->watch;
	int err;

	collector_unwatch(c);
	if (!c->perf_hook_why && (err = open_fault_events(c))) {
		fprintf(stderr, "faulttop: opening the fault perf events failed: %s\n", strerror(-err));
		return err;
	}
	w->sink = *sink;
	w->tgid = tgid;
	c->skel->bss->watch_tgid = (__u32)tgid;
	return 0;
}

/* What page_fault_user left for the watched threads. */
static void clear_watch_last(struct collector *c)
{
	int fd = bpf_map__fd(c->skel->maps.watch_last);
	__u32 key, next;

	while (bpf_map_get_next_key(fd, NULL, &next) == 0) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
}

void collector_unwatch(struct collector *c)
{
	struct watch *w = &c->watch;

	if (c->skel && c->skel->bss)
		c->skel->bss->watch_tgid = 0;
	if (!c->perf_hook_why)
		close_fault_events(c);
	if (w->tgid && c->skel)
		clear_watch_last(c);
	memset(w, 0, sizeof(*w));
}

uint64_t collector_vma_drops(struct collector *c)
{
	uint64_t sums[STAT_MAX] = {};

	percpu_array_sum(bpf_map__fd(c->skel->maps.stats), STAT_MAX, sums);
	return sums[STAT_VMA_DROPS];
}
