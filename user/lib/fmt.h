/* SPDX-License-Identifier: GPL-2.0 */
/* Human-readable formatting shared by the tools' text views. */
#ifndef MMSCOPE_FMT_H
#define MMSCOPE_FMT_H

#include <stddef.h>
#include <stdint.h>

/* 1536 -> "1.5K", 0 -> "0", like top/htop: K/M/G/T with at most 4 chars of
 * number. Returns buf. */
char *fmt_bytes(char *buf, size_t size, uint64_t bytes);
/* Counts and rates: 12345 -> "12.3k", 999 -> "999"; rates keep one decimal
 * under 10 ("2.5"). */
char *fmt_count(char *buf, size_t size, double v);
/* Copies s into buf with every byte that is not printable ASCII replaced by
 * '?', so a hostile comm or path can't drive the terminal. Returns buf. */
char *fmt_printable(char *buf, size_t size, const char *s);

#endif
