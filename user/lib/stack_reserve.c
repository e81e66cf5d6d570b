// SPDX-License-Identifier: GPL-2.0
#include "stack_reserve.h"

__attribute__((noinline)) void stack_reserve(size_t bytes)
{
	volatile char stack[bytes];	/* a VLA: the stack pointer moves down by bytes */

	/* one write per page, from the top down, as the stack grows */
	for (size_t i = bytes; i >= 4096; i -= 4096)
		stack[i - 1] = 0;
	stack[0] = 0;
	(void)stack[0];	/* a read: GCC calls a VLA only written to unused */
}
