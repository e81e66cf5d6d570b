// SPDX-License-Identifier: GPL-2.0
/* Display names and inlined frames for the symbolizer (symbolize_names.c). */
#ifndef MMSCOPE_SYMBOLIZE_NAMES_H
#define MMSCOPE_SYMBOLIZE_NAMES_H

#include <elfutils/libdwfl.h>
#include <stdint.h>
#include "intmap.h"
#include "symbolize.h"

/* The name a frame shows for a symbol as Dwfl or libdw gives it: demangled
 * ("operator new(unsigned long)" for _Znwm), without a symbol version. The
 * copy is kept in names (raw name pointer -> copy), so it lives until
 * usym_names_free; if one can't be made, name itself. */
const char *usym_display_name(struct intmap *names, const char *name);
/* Frees every copy in names, and names. */
void usym_names_free(struct intmap *names);

/* The compile unit whose code holds addr (a runtime address) in mod, with
 * mod's bias in *bias; NULL when there is none. Through .debug_aranges when
 * the file has it, else by each CU's own ranges: clang (14) emits no
 * .debug_aranges, and libdw 0.188 looks nowhere else, so clang-built code
 * had names but no file:line. */
Dwarf_Die *usym_cu_at(Dwfl_Module *mod, uint64_t addr, Dwarf_Addr *bias);

/* Splits out[0] (the function and the line at addr in mod) into the chain
 * of functions inlined at addr, innermost first, then the function the code
 * belongs to, up to max frames; returns the frame count (at least 1). */
int usym_expand_inlined(struct intmap *names, Dwfl_Module *mod, uint64_t addr,
			struct usym *out, int max);

#endif
