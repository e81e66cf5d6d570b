// SPDX-License-Identifier: GPL-2.0
/* A child started by leaksnoop waits on a pipe until the probes are
 * attached, then execs. It is ptrace-seized only to stop it at its exit
 * (PTRACE_O_TRACEEXIT) while its mappings still exist, so even a command
 * that runs for a millisecond is symbolized, and at each exec
 * (PTRACE_O_TRACEEXEC), before the new image runs a single instruction;
 * every other stop is passed straight on. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "procfs.h"
#include "target.h"

#ifndef __WALL
#define __WALL 0x40000000
#endif

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int target_spawn(struct target *t, char **argv)
{
	int go[2], err[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		fprintf(stderr, "leaksnoop: pipe: %s\n", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "leaksnoop: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(err[0]);
		signal(SIGPIPE, SIG_DFL);
		/* a Ctrl-C while leaksnoop loads ends the command as it would
		 * have without leaksnoop, not leaksnoop's handler in the copy */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (read(go[0], &c, 1) != 1)
			_exit(127);	/* leaksnoop gave up */
		execvp(argv[0], argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	t->pid = pid;
	t->child = true;
	t->go_fd = go[1];
	t->err_fd = err[0];
	t->pidfd = -1;
	/* only to hold it at exit; if ptrace is refused we lose nothing but
	 * the exit-time snapshot */
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC))
		fprintf(stderr, "leaksnoop: warning: ptrace: %s (symbols of a short-lived "
			"command may be missing)\n", strerror(errno));
	else
		t->traced = true;
	return 0;
}

static bool child_step(struct target *t, int status);

/* Waits for the child's exec: the error pipe closes on success, or carries
 * errno. The child is ptraced, so a signal it gets before the exec (a
 * SIGTERM sent to the group) stops it until we let it go on: serviced
 * here, or both would wait for each other forever. */
static ssize_t read_exec_result(struct target *t, int *e)
{
	for (;;) {
		struct pollfd p = { .fd = t->err_fd, .events = POLLIN };
		int status;

		if (poll(&p, 1, 20) > 0) {
			ssize_t n = read(t->err_fd, e, sizeof(*e));

			if (n >= 0 || errno != EINTR)
				return n;
			continue;
		}
		if (waitpid(t->pid, &status, WNOHANG | __WALL) == t->pid && child_step(t, status))
			return 0;	/* gone before its exec */
	}
}

int target_release(struct target *t)
{
	int e = 0;
	ssize_t n;

	if (write(t->go_fd, "x", 1) != 1) {
		fprintf(stderr, "leaksnoop: starting the command failed: %s\n", strerror(errno));
		return -1;
	}
	close(t->go_fd);
	t->go_fd = -1;
	/* the error pipe closes on a successful exec, or carries errno */
	n = read_exec_result(t, &e);
	close(t->err_fd);
	t->err_fd = -1;
	if (n == sizeof(e)) {
		fprintf(stderr, "leaksnoop: cannot run the command: %s\n", strerror(e));
		target_wait(t, 5000);
		return -1;
	}
	return 0;
}

int target_open_pid(struct target *t, pid_t pid)
{
	t->pid = pid;
	t->child = false;
	t->go_fd = t->err_fd = -1;
	t->pidfd = pidfd_open_(pid);
	if (t->pidfd < 0) {
		if (errno == ESRCH)
			fprintf(stderr, "leaksnoop: no process with PID %d\n", pid);
		else
			fprintf(stderr, "leaksnoop: pidfd_open(%d): %s\n", pid, strerror(errno));
		return -1;
	}
	return 0;
}

/* The signal to resume the child with after a stop: none after an event
 * (its exit, an interrupt: target_interrupt) or after leaksnoop's own
 * SIGSTOP (the unwinder's, swallowed); else the one it was about to take. */
static int signal_to_pass(struct target *t, int event, int sig)
{
	if (event)
		return 0;
	if (sig == SIGSTOP && t->on_sigstop && t->on_sigstop(t->ctx, t->pid))
		return 0;
	return sig;
}

/* One ptrace/wait event of the child; true once it is gone. */
static bool child_step(struct target *t, int status)
{
	int sig, event;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		t->exited = true;
		t->status = status;
		return true;
	}
	if (!WIFSTOPPED(status))
		return false;
	sig = WSTOPSIG(status);
	event = (unsigned)status >> 16;
	if (event == PTRACE_EVENT_EXIT) {
		t->held_at_exit = true;
		if (t->on_exit_hold)
			t->on_exit_hold(t->ctx);
	}
	if (event == PTRACE_EVENT_EXEC && t->on_exec)
		t->on_exec(t->ctx);
	if (event == PTRACE_EVENT_STOP && sig != SIGTRAP)
		/* group stop (SIGSTOP, SIGTSTP): stay stopped like an untraced process */
		ptrace(PTRACE_LISTEN, t->pid, 0, 0);
	else	/* a SIGTRAP event stop: an interrupt that came after another stop */
		ptrace(PTRACE_CONT, t->pid, 0, signal_to_pass(t, event, sig));
	return false;
}

static double now_ms(void)
{
	return monotonic_s() * 1e3;
}

bool target_wait(struct target *t, int timeout_ms)
{
	double deadline = now_ms() + timeout_ms;

	if (t->exited)
		return true;
	if (!t->child) {
		struct pollfd p = { .fd = t->pidfd, .events = POLLIN };

		if (poll(&p, 1, timeout_ms) > 0)
			t->exited = true;
		return t->exited;
	}
	if (t->has_pending) {
		t->has_pending = false;
		if (child_step(t, t->pending_status))
			return true;
	}
	for (;;) {
		int status;
		pid_t r = waitpid(t->pid, &status, WNOHANG | __WALL);

		if (r == t->pid) {
			if (child_step(t, status))
				return true;
			continue;
		}
		if (r < 0 && errno == ECHILD) {
			t->exited = true;
			return true;
		}
		if (now_ms() >= deadline)
			return false;
		/* SIGCHLD interrupts this early */
		usleep(deadline - now_ms() > 20 ? 20000 : 1000);
	}
}

int target_interrupt(struct target *t)
{
	double deadline = now_ms() + 2000;

	t->resume = RESUME_NONE;
	t->resume_sig = 0;
	if (!t->child || t->exited)
		return -ESRCH;
	if (ptrace(PTRACE_INTERRUPT, t->pid, 0, 0))
		return -errno;
	for (;;) {
		int status, event;
		pid_t r = waitpid(t->pid, &status, WNOHANG | __WALL);

		if (r < 0 && errno != EINTR)
			return -errno;
		if (r != t->pid) {
			if (now_ms() > deadline)
				return -ETIMEDOUT;
			usleep(50);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			child_step(t, status);
			return -ESRCH;
		}
		if (!WIFSTOPPED(status))
			continue;
		event = (unsigned)status >> 16;
		if (event == PTRACE_EVENT_STOP) {
			/* our interrupt, or a group stop (then it stays stopped) */
			t->resume = WSTOPSIG(status) == SIGTRAP ? RESUME_CONT : RESUME_LISTEN;
		} else if (event == 0) {
			/* about to take a signal: pass it on (as child_step
			 * would); our interrupt then arrives later, and
			 * child_step lets it go */
			t->resume = RESUME_CONT;
			t->resume_sig = signal_to_pass(t, 0, WSTOPSIG(status));
		} else {
			/* its exit (or another event): target_wait handles it */
			t->has_pending = true;
			t->pending_status = status;
		}
		return 0;
	}
}

void target_resume(struct target *t)
{
	if (t->resume == RESUME_CONT)
		ptrace(PTRACE_CONT, t->pid, 0, t->resume_sig);
	else if (t->resume == RESUME_LISTEN)
		ptrace(PTRACE_LISTEN, t->pid, 0, 0);
	t->resume = RESUME_NONE;
}

void target_kill(struct target *t, int sig)
{
	if (!t->child || t->exited)
		return;
	kill(t->pid, sig);
	if (!target_wait(t, 3000)) {
		kill(t->pid, SIGKILL);
		target_wait(t, 3000);
	}
}

int target_exit_code(const struct target *t)
{
	if (WIFEXITED(t->status))
		return WEXITSTATUS(t->status);
	if (WIFSIGNALED(t->status))
		return 128 + WTERMSIG(t->status);
	return 1;
}

void target_close(struct target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->go_fd >= 0)
		close(t->go_fd);
	if (t->err_fd >= 0)
		close(t->err_fd);
	t->pidfd = t->go_fd = t->err_fd = -1;
}

bool target_single_threaded(pid_t pid)
{
	struct proc_status ps;

	return !procfs_read_pid_status(pid, &ps) && ps.threads == 1;
}
