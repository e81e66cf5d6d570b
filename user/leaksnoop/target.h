/* SPDX-License-Identifier: GPL-2.0 */
/* The traced process: one started by leaksnoop (-- CMD) or one already
 * running (-p PID), and noticing when it exits. */
#ifndef LEAKSNOOP_TARGET_H
#define LEAKSNOOP_TARGET_H

#include <stdbool.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	bool child;		/* we started it (and ptrace it to catch its exit) */
	bool traced;		/* child: the ptrace seize worked */
	bool exited;		/* gone (reaped, for a child) */
	int status;		/* child: the wait status */
	int pidfd;		/* -p: readable when the process exits */
	int go_fd;		/* child: write end of the "exec now" pipe */
	int err_fd;		/* child: read end of the exec-error pipe */
	/* called with the process stopped at its exit, mappings still there */
	void (*on_exit_hold)(void *ctx);
	bool held_at_exit;	/* child: it stopped at its exit (it is ending) */
	/* called with the process stopped right after an exec: the new image
	 * is mapped and has not run yet */
	void (*on_exec)(void *ctx);
	/* called when the traced thread stops with SIGSTOP: true if it was
	 * ours to take (then it is resumed without the signal) */
	bool (*on_sigstop)(void *ctx, pid_t tid);
	void *ctx;
	/* child, between target_interrupt() and target_resume(): how to let
	 * it go, and a stop it reported meanwhile for target_wait() */
	enum { RESUME_NONE, RESUME_CONT, RESUME_LISTEN } resume;
	int resume_sig;
	bool has_pending;
	int pending_status;
};

/* Forks a child that waits until target_release(), then execvp()s argv.
 * 0 or -1 after printing why. */
int target_spawn(struct target *t, char **argv);
/* Lets the child exec. 0, or -1 after printing why (exec failed: t->status
 * then says 127). */
int target_release(struct target *t);
/* An already running process. 0 or -1 after printing why. */
int target_open_pid(struct target *t, pid_t pid);
/* Waits up to timeout_ms for the process to end (serving ptrace stops).
 * Returns true once it has exited. */
bool target_wait(struct target *t, int timeout_ms);
/* Stops the running child (it is ptraced already) so that a scan can read
 * it: 0 once stopped, -ESRCH once gone, -ETIMEDOUT. A signal or its exit
 * that races with the stop is kept for target_resume()/target_wait(). */
int target_interrupt(struct target *t);
/* Lets the child go on after target_interrupt(). */
void target_resume(struct target *t);
/* Ends a child we started (SIGTERM, then reaps it). */
void target_kill(struct target *t, int sig);
/* The exit status to pass through: 0-255, 128+signal. */
int target_exit_code(const struct target *t);
void target_close(struct target *t);
/* Whether the process has one thread left: then, stopped at its exit, it
 * will never run user code again. A thread that is exiting still counts
 * (it is in /proc/PID/status's Threads until reaped): never too few. */
bool target_single_threaded(pid_t pid);

#endif
