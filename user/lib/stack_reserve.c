// SPDX-License-Identifier: GPL-2.0
#include <alloca.h>
#include "stack_reserve.h"

__attribute__((noinline)) void stack_reserve(size_t bytes)
{
	volatile char *p = alloca(bytes);

	/* one write per page, from the top down, as the stack grows */
	for (size_t i = bytes; i >= 4096; i -= 4096)
		p[i - 1] = 0;
	p[0] = 0;
}
