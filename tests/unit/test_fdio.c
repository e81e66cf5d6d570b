// SPDX-License-Identifier: GPL-2.0
/* fdio: whole reads through a pipe that hands data over in pieces (and
 * under a timer signal every 100 us: EINTR restarts), a short
 * file said to be short, whole writes, errors as -errno, reads to the end
 * that grow the buffer and keep room free. Leaks show under check-asan. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fdio.h"
#include "unit.h"

/* A child writes n bytes (byte i is i % 251) in pieces of piece bytes,
 * pausing between them, so that the reader sees short reads. */
static int piecewise_pipe(size_t n, size_t piece, pid_t *child)
{
	int p[2];

	if (pipe(p))
		return -1;
	*child = fork();
	if (*child == 0) {
		char *b = malloc(n);

		close(p[0]);
		for (size_t i = 0; b && i < n; i++)
			b[i] = (char)(i % 251);
		for (size_t off = 0; b && off < n; off += piece) {
			size_t k = n - off < piece ? n - off : piece;

			if (write(p[1], b + off, k) != (ssize_t)k)
				_exit(1);
			usleep(200);
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static int pattern_ok(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != (char)(i % 251))
			return 0;
	return 1;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A timer signal every 100 us whose handler does not restart system calls:
 * reads and writes that wait are interrupted (EINTR) many times. */
static void interrupt_often(int on)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { { 0, on ? 100 : 0 }, { 0, on ? 100 : 0 } };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void reap(pid_t child)
{
	int st;

	waitpid(child, &st, 0);
}

static void test_read_full_joins_short_reads(void)
{
	pid_t child;
	int fd = piecewise_pipe(100000, 777, &child);
	char *b = malloc(100000);

	CHECK(fd >= 0 && b);
	if (fd >= 0 && b) {
		interrupt_often(1);
		CHECK_U64(fd_read_full(fd, b, 100000), 100000);
		interrupt_often(0);
		CHECK(pattern_ok(b, 100000));
	}
	if (fd >= 0) {
		close(fd);
		reap(child);
	}
	free(b);
}

static void test_read_full_says_the_file_was_short(void)
{
	pid_t child;
	int fd = piecewise_pipe(1000, 300, &child);
	char b[4096];

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_U64(fd_read_full(fd, b, sizeof(b)), 1000);
	CHECK(pattern_ok(b, 1000));
	CHECK_U64(fd_read_full(fd, b, sizeof(b)), 0);	/* at the end: nothing */
	close(fd);
	reap(child);
}

static void test_errors_are_negative_errno(void)
{
	char b[16] = "0123456789abcdef";
	int fd = open("/dev/null", O_WRONLY);

	CHECK(fd_read_full(-1, b, sizeof(b)) == -EBADF);
	CHECK(fd_write_full(-1, b, sizeof(b)) == -EBADF);
	CHECK(fd >= 0);
	CHECK(fd_read_full(fd, b, sizeof(b)) == -EBADF);	/* opened write-only */
	CHECK(fd_write_full(fd, b, sizeof(b)) == 0);
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	CHECK(fd >= 0);
	CHECK(fd_write_full(fd, b, sizeof(b)) == -ENOSPC);
	close(fd);
}

static void test_write_full_writes_everything(void)
{
	size_t n = 300000;	/* more than a pipe holds: the writer waits */
	char *b = malloc(n), *got = malloc(n);
	int p[2];
	pid_t child;

	CHECK(b && got && !pipe(p));
	if (!b || !got)
		goto out;
	for (size_t i = 0; i < n; i++)
		b[i] = (char)(i % 251);
	child = fork();
	if (child == 0) {
		close(p[0]);
		interrupt_often(1);
		_exit(fd_write_full(p[1], b, n) ? 1 : 0);
	}
	close(p[1]);
	usleep(20000);		/* the writer fills the pipe and waits */
	CHECK_U64(fd_read_full(p[0], got, n), n);
	CHECK(pattern_ok(got, n));
	close(p[0]);
	{
		int st = 0;

		waitpid(child, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
out:
	free(b);
	free(got);
}

static void test_read_to_end_grows_and_terminates(void)
{
	pid_t child;
	int fd = piecewise_pipe(50000, 1000, &child);
	char *buf = NULL;
	size_t cap = 0, len = 99;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	interrupt_often(1);
	CHECK(fd_read_to_end(fd, &buf, &cap, &len, 16, 1) == 0);
	interrupt_often(0);
	CHECK_U64(len, 50000);
	CHECK(buf && pattern_ok(buf, 50000) && buf[50000] == '\0');
	CHECK(cap > len);
	CHECK_U64(cap & (cap - 1), 0);	/* 16 doubled */
	close(fd);
	reap(child);
	free(buf);
}

static void test_read_to_end_reuses_and_keeps_room(void)
{
	pid_t child;
	int fd = piecewise_pipe(10, 10, &child);
	char *buf = malloc(64);
	size_t cap = 64, len = 0;

	CHECK(fd >= 0 && buf);
	if (fd < 0 || !buf) {
		free(buf);
		return;
	}
	/* 64 bytes but 100 asked free: doubled to 128 before the first read */
	CHECK(fd_read_to_end(fd, &buf, &cap, &len, 1 << 20, 100) == 0);
	CHECK_U64(cap, 128);
	CHECK_U64(len, 10);
	CHECK(pattern_ok(buf, 10) && buf[10] == '\0');
	close(fd);
	reap(child);
	/* an empty file: an empty string */
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd_read_to_end(fd, &buf, &cap, &len, 1 << 20, 100) == 0);
	CHECK_U64(len, 0);
	CHECK_U64(cap, 128);
	CHECK(buf[0] == '\0');
	close(fd);
	CHECK(fd_read_to_end(-1, &buf, &cap, &len, 1 << 20, 100) == -EBADF);
	free(buf);
}

int main(void)
{
	RUN(test_read_full_joins_short_reads);
	RUN(test_read_full_says_the_file_was_short);
	RUN(test_errors_are_negative_errno);
	RUN(test_write_full_writes_everything);
	RUN(test_read_to_end_grows_and_terminates);
	RUN(test_read_to_end_reuses_and_keeps_room);
	UNIT_EXIT();
}
