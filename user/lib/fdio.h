/* SPDX-License-Identifier: GPL-2.0 */
/* Whole reads and writes on a file descriptor: the loops that restart after
 * a signal (EINTR) and after short transfers, written once. /proc files,
 * pipes and BPF iterators hand data over in pieces; a table file is written
 * in one piece only if nothing interrupts the write. */
#ifndef MMSCOPE_FDIO_H
#define MMSCOPE_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* Reads until len bytes are in buf or the end of the file. Returns how many
 * were read (less than len: the file ended), or -errno. */
ssize_t fd_read_full(int fd, void *buf, size_t len);

/* Writes all len bytes. Returns 0, or -errno (-EIO if the file took none). */
int fd_write_full(int fd, const void *buf, size_t len);

/* Reads to the end of the file into *buf (malloc'd, grown by doubling from
 * first_cap, NUL-terminated), keeping at least room bytes free before each
 * read (a BPF iterator hands over whole records only when there is room for
 * them). *buf and *cap may come from an earlier call and are reused; *len
 * gets the length. Returns 0 or -errno (-ENOMEM); on error *buf stays valid
 * (the caller frees it) and its content is undefined. */
int fd_read_to_end(int fd, char **buf, size_t *cap, size_t *len, size_t first_cap, size_t room);

#endif
