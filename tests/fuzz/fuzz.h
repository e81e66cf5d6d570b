/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the libFuzzer harnesses in tests/fuzz/fuzz_*.c. */
#ifndef MMSCOPE_FUZZ_H
#define MMSCOPE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every parser takes NUL-terminated text, as the /proc readers hand it
 * over; the fuzz input is a byte buffer without one. A NUL inside the input
 * just ends the text early, as it would in a file read from /proc. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

/* A property the parser promises; breaking it is a crash like any other,
 * so libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#endif
