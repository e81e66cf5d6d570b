// SPDX-License-Identifier: GPL-2.0
#include "fdio.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

ssize_t fd_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, p + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int fd_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Makes room for more bytes and the NUL after *len: doubles *cap (from
 * first_cap) until room + 1 bytes are free. */
static int reserve_room(char **buf, size_t *cap, size_t len, size_t first_cap, size_t room)
{
	size_t want = *cap ? *cap : first_cap;
	char *bigger;

	while (want - len < room + 1) {
		if (want > SIZE_MAX / 2)
			return -ENOMEM;
		want *= 2;
	}
	if (want == *cap)
		return 0;
	bigger = realloc(*buf, want);
	if (!bigger)
		return -ENOMEM;
	*buf = bigger;
	*cap = want;
	return 0;
}

int fd_read_to_end(int fd, char **buf, size_t *cap, size_t *len, size_t first_cap, size_t room)
{
	size_t want;
	ssize_t r;

	*len = 0;
	do {	/* until a read falls short of filling the buffer: the end */
		int err = reserve_room(buf, cap, *len, first_cap ? first_cap : 1, room ? room : 1);

		if (err)
			return err;
		want = *cap - *len - 1;
		r = fd_read_full(fd, *buf + *len, want);
		if (r < 0)
			return (int)r;
		*len += (size_t)r;
	} while ((size_t)r == want);
	(*buf)[*len] = '\0';
	return 0;
}
