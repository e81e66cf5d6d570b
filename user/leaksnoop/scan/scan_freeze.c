// SPDX-License-Identifier: GPL-2.0
/* Stopping and resuming every thread of a live process for the scan: see
 * scan_freeze.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "arch.h"
#include "procfs.h"
#include "scan_freeze.h"
#include "vec.h"

#ifndef __WALL
#define __WALL 0x40000000
#endif

#define STOP_TIMEOUT_MS	2000		/* a thread that takes longer: give up */

/* ---- stopping and resuming every thread ------------------------------------------------ */

static bool known(const struct freeze *f, pid_t tid)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].tid == tid)
			return true;
	return false;
}

static struct thr *add_thread(struct freeze *f, pid_t tid)
{
	struct thr *v = vec_reserve(f->v, &f->cap, f->n, sizeof(*v));

	if (!v)
		return NULL;
	f->v = v;
	memset(&f->v[f->n], 0, sizeof(f->v[0]));
	f->v[f->n].tid = tid;
	return &f->v[f->n++];
}

/* When the first thread was asked to stop: the process's stop starts there
 * at the earliest (seizing the first thread comes before it; the threads
 * seized next, and a busy machine's wait for a CPU to run each into its
 * stop, after). */
static void note_first_stop(struct freeze *f)
{
	if (!f->first_stop_ms)
		f->first_stop_ms = now_ms();
}

/* A thread we could not seize: gone or dying (fine), or refused. */
static bool thread_is_gone(pid_t pid, pid_t tid)
{
	char path[64];
	struct proc_stat ps;

	snprintf(path, sizeof(path), "/proc/%d/task/%d", pid, tid);
	if (access(path, F_OK))
		return true;
	return procfs_read_pid_stat(tid, &ps) == 0 && (ps.state == 'Z' || ps.state == 'X');
}

static int seize(struct freeze *f, struct thr *th)
{
	if (ptrace(PTRACE_SEIZE, th->tid, 0, 0) == 0) {
		th->seized = true;
		note_first_stop(f);
		if (ptrace(PTRACE_INTERRUPT, th->tid, 0, 0) && errno == ESRCH)
			th->gone = true;
		return 0;
	}
	if (errno == ESRCH || thread_is_gone(f->t->pid, th->tid) || f->t->traced_held) {
		/* at the exit hold, the other threads are dying: their
		 * stacks are still scanned, whole */
		th->gone = true;
		return 0;
	}
	snprintf(f->why, f->why_size, "ptrace(PTRACE_SEIZE, %d): %s (%s)", th->tid, strerror(errno),
		 errno == EPERM ? "another tracer such as a debugger holds it, or Yama's "
		 "kernel.yama.ptrace_scope forbids it" : "cannot stop it");
	return -errno;
}

/* Waits for a seized thread's first stop: the interrupt, a group stop, or
 * a signal it was about to take (passed on when we detach). */
static int wait_stop(struct freeze *f, struct thr *th, double deadline)
{
	while (!th->stopped && !th->gone) {
		int status;
		pid_t r = waitpid(th->tid, &status, __WALL | WNOHANG);

		if (r == th->tid) {
			if (WIFEXITED(status) || WIFSIGNALED(status)) {
				th->gone = true;
			} else if (WIFSTOPPED(status)) {
				th->stopped = true;
				if ((unsigned)status >> 16 == 0)
					th->sig = WSTOPSIG(status);
			}
			continue;
		}
		if (r < 0 && errno != EINTR) {
			th->gone = true;	/* ECHILD: reaped, gone */
			continue;
		}
		if (cancelled(f)) {
			snprintf(f->why, f->why_size, "cancelled by a signal");
			return -EINTR;
		}
		if (now_ms() > deadline) {
			snprintf(f->why, f->why_size, "thread %d did not stop within %d ms (%s)",
				 th->tid, STOP_TIMEOUT_MS, "uninterruptible sleep?");
			return -ETIMEDOUT;
		}
		usleep(50);
	}
	return 0;
}

/* Seizes the threads of /proc/PID/task not yet known; *added says how
 * many there were. */
static int seize_new_threads(struct freeze *f, size_t *added)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int err = 0;

	*added = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", f->t->pid);
	d = opendir(path);
	if (!d) {
		snprintf(f->why, f->why_size, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (!err && (e = readdir(d))) {
		pid_t tid = (pid_t)strtol(e->d_name, NULL, 10);
		struct thr *th;

		if (tid <= 0 || known(f, tid))
			continue;
		th = add_thread(f, tid);
		if (!th) {
			err = -ENOMEM;
			break;
		}
		(*added)++;
		err = seize(f, th);
	}
	closedir(d);
	return err;
}

void thaw(struct freeze *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct thr *th = &f->v[i];

		/* a thread still running (its stop not seen yet) can't be
		 * detached from by PTRACE_DETACH; leaving the tracer's list
		 * on our exit resumes it then — wait for its stop instead */
		if (th->seized && !th->stopped && !th->gone)
			wait_stop(f, th, now_ms() + STOP_TIMEOUT_MS);
		if (th->seized && !th->gone)
			ptrace(PTRACE_DETACH, th->tid, 0, th->sig);
	}
	if (f->traced_stopped)
		f->t->resume_traced(f->t->ctx);
	f->traced_stopped = false;
}

/* Stops every thread, the ones that appear meanwhile too: a thread is
 * only created by a running one, so once every thread listed is stopped
 * and a listing finds none new, none can appear. */
int freeze(struct freeze *f)
{
	const struct scan_target *t = f->t;
	size_t added;
	int err;

	if (t->traced_tid) {
		struct thr *th = add_thread(f, t->traced_tid);

		if (!th)
			return -ENOMEM;
		if (!t->traced_held) {
			note_first_stop(f);
			err = t->stop_traced(t->ctx);
			if (err) {
				snprintf(f->why, f->why_size, "could not stop the command: %s",
					 strerror(-err));
				return err;
			}
			f->traced_stopped = true;
		}
		th->stopped = true;
	}
	do {
		double deadline = now_ms() + STOP_TIMEOUT_MS;

		err = seize_new_threads(f, &added);
		for (size_t i = 0; i < f->n && !err; i++)
			err = wait_stop(f, &f->v[i], deadline);
	} while (!err && added);
	return err;
}

/* During the stop leaksnoop's thread runs at nice -20: on a busy machine
 * (load 13 on 2 cores) at nice 0 it waits its turn between syscalls, and
 * the stop grows with it. Only this thread; returns the nice to restore. */
int stop_priority_raise(void)
{
	int before;

	errno = 0;
	before = getpriority(PRIO_PROCESS, (id_t)gettid());
	if (errno)
		return INT_MIN;
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), -20))
		return INT_MIN;
	return before;
}

void stop_priority_restore(int before)
{
	if (before != INT_MIN)
		setpriority(PRIO_PROCESS, (id_t)gettid(), before);
}

/* Every stopped thread's registers into *words (added to the reach once it
 * exists: after the resume when the memory is copied). They are roots, but
 * at the exit hold, where no code of the process runs again: there only
 * the stack pointers are read (where the live part of each stack starts). */
int freeze_read_registers(struct freeze *f, uint64_t **words, size_t *nr, size_t *cap,
			  struct scan_stats *st)
{
	st->registers_roots = !f->t->traced_held;
	for (size_t i = 0; i < f->n; i++) {
		struct thread_regs regs;
		uint64_t *v;

		if (f->v[i].gone || !f->v[i].stopped || arch_thread_regs(f->v[i].tid, &regs))
			continue;
		for (size_t k = 0; st->registers_roots && k < regs.n; k++) {
			v = vec_reserve(*words, cap, *nr, sizeof(*v));
			if (!v)
				return -ENOMEM;
			*words = v;
			(*words)[(*nr)++] = regs.w[k];
		}
		f->v[i].sp = regs.sp;
		st->threads++;
	}
	return 0;
}
