// SPDX-License-Identifier: GPL-2.0
/* Frame names as valgrind prints them: C++ and Rust symbols demangled
 * (libiberty's cplus_demangle, the demangler binutils and valgrind use), and
 * the functions inlined at an address as frames of their own, from the
 * DWARF scopes (libdw), each with its call site's line. */
#include "symbolize.h"
#include "symbolize_names.h"

#include <dwarf.h>
#include <libiberty/demangle.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void usym_names_free(struct intmap *names)
{
	uint64_t key;
	void *name;
	size_t pos;

	for (pos = 0; intmap_next(names, &pos, &key, &name);)
		free(name);
	intmap_free(names);
}

char *usym_demangle(const char *name)
{
	/* DMGL_AUTO: Rust (legacy and v0) first, then the C++ ABI; "main"
	 * and other C names come back NULL */
	if (!name || (name[0] != '_' || (name[1] != 'Z' && name[1] != 'R')))
		return NULL;
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}

/* Without the symbol version a .symtab built with versioning has (libc's
 * separate debuginfo names functions "clock_gettime@@GLIBC_2.17": where the
 * code is doesn't depend on it). One copy per name per snapshot, so it lives
 * as long as Dwfl's. */
const char *usym_display_name(struct intmap *names, const char *name)
{
	const char *at = strchr(name, '@');
	char *copy, *plain;

	copy = intmap_get(names, (uint64_t)(uintptr_t)name);
	if (copy)
		return copy;
	plain = at && at != name ? strndup(name, (size_t)(at - name)) : NULL;
	copy = usym_demangle(plain ? plain : name);
	if (copy)
		free(plain);
	else
		copy = plain;
	if (!copy)
		return name;	/* nothing to change (or no memory) */
	if (intmap_put(names, (uint64_t)(uintptr_t)name, copy) < 0) {
		free(copy);
		return name;
	}
	return copy;
}

/* --- inlined frames --------------------------------------------------------------- */

/* A DIE's name for a frame: its linkage name demangled (valgrind shows
 * "ns::f(int)"), else DW_AT_name; both followed through abstract_origin. */
static const char *die_function_name(struct intmap *names, Dwarf_Die *die)
{
	Dwarf_Attribute mem;
	Dwarf_Attribute *a = dwarf_attr_integrate(die, DW_AT_linkage_name, &mem);
	const char *name;

	if (!a)
		a = dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &mem);
	name = a ? dwarf_formstring(a) : NULL;
	if (!name)
		name = dwarf_diename(die);
	return name ? usym_display_name(names, name) : NULL;
}

/* Where an inlined call was made: DW_AT_call_file (an index into the CU's
 * file table) and DW_AT_call_line. */
static void call_site_of(Dwarf_Die *inlined, Dwarf_Die *cu, struct usym *out)
{
	Dwarf_Attribute mem;
	Dwarf_Word file_idx = 0, line = 0;
	Dwarf_Files *files;
	size_t nfiles;
	const char *file;

	out->file = NULL;
	out->line = 0;
	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &mem), &file_idx) != 0 ||
	    dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &mem), &line) != 0 ||
	    dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || file_idx >= nfiles)
		return;
	file = dwarf_filesrc(files, file_idx, NULL, NULL);
	if (file && line > 0 && line <= INT_MAX) {
		out->file = file;
		out->line = (int)line;
	}
}

Dwarf_Die *usym_cu_at(Dwfl_Module *mod, uint64_t addr, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, bias);

	if (cu)
		return cu;
	while ((cu = dwfl_module_nextcu(mod, cu, bias)))
		if (dwarf_haspc(cu, addr - *bias) > 0)
			return cu;
	return NULL;
}

#define SCOPE_DEPTH_MAX 64

static bool holds_code_only_below(int tag)
{
	return tag == DW_TAG_namespace || tag == DW_TAG_module;
}

/* The deepest DIE in the CU whose code holds pc, looking through
 * namespaces: rustc nests every function in the namespaces of its path
 * (leak::open_session is a subprogram inside DW_TAG_namespace "leak"), and
 * libdw's dwarf_getscopes (0.188, Debian 12) prunes any DIE without
 * addresses of its own, so for Rust it finds nothing and no inlined frame
 * would be shown (valgrind shows six in a Box::new). C and C++ put their
 * code at the CU's top level and never get here. */
static bool innermost_die_at(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *out)
{
	Dwarf_Die at[SCOPE_DEPTH_MAX];	/* per level: the DIE being looked at */
	int depth = 0;
	bool found = false;

	if (dwarf_child(cu, &at[0]) != 0)
		return false;
	while (depth >= 0) {
		int tag = dwarf_tag(&at[depth]);
		bool code = !holds_code_only_below(tag) && dwarf_haspc(&at[depth], pc) > 0;

		if (code) {
			*out = at[depth];
			found = true;
		}
		if ((code || holds_code_only_below(tag)) && depth + 1 < SCOPE_DEPTH_MAX &&
		    dwarf_child(&at[depth], &at[depth + 1]) == 0) {
			if (code) {	/* only its children can be deeper: forget the rest */
				at[0] = at[depth + 1];
				depth = 0;
			} else {
				depth++;
			}
			continue;
		}
		if (code)
			return true;	/* nothing below it */
		/* the next sibling, back out of namespaces that are done */
		while (depth >= 0 && dwarf_siblingof(&at[depth], &at[depth]) != 0)
			depth--;
	}
	return found;
}

/* The DIEs containing addr in the concrete tree, innermost first.
 * dwarf_getscopes alone stops at the first inlined_subroutine (it goes on
 * with its abstract origin's scopes); dwarf_getscopes_die on the innermost
 * DIE walks its real parents: every inlined level, then the subprogram
 * (what eu-addr2line -i does). */
static int concrete_scopes(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die **out)
{
	Dwarf_Die *scopes = NULL, innermost;
	int n = dwarf_getscopes(cu, pc, &scopes);
	bool found = n > 0 && dwarf_tag(&scopes[0]) != DW_TAG_compile_unit;

	*out = NULL;
	if (found)
		innermost = scopes[0];
	free(scopes);
	if (!found && !innermost_die_at(cu, pc, &innermost))
		return 0;
	n = dwarf_getscopes_die(&innermost, out);
	return n > 0 ? n : 0;
}

int usym_expand_inlined(struct intmap *names, Dwfl_Module *mod, uint64_t addr,
			struct usym *out, int max)
{
	struct usym outer = out[0];
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = usym_cu_at(mod, addr, &bias);
	Dwarf_Die *scopes = NULL;
	int nscopes = cu ? concrete_scopes(cu, addr - bias, &scopes) : 0;
	int n = 0;

	/* the last slot stays the function the code is in: with more inlined
	 * levels than max, the outermost ones go, never the real function */
	for (int i = 0; i < nscopes && n < max - 1; i++) {
		const char *name;

		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		name = die_function_name(names, &scopes[i]);
		if (!name)
			break;	/* nameless: keep the frames we have */
		out[n].func = name;
		out[n].func_offset = 0;
		out[n].inlined = true;
		out[++n] = outer;
		call_site_of(&scopes[i], cu, &out[n]);
	}
	/* cut short: the function's line is still where it made the
	 * outermost inlined call, not a line of a level left out */
	for (int i = nscopes; n == max - 1 && i-- > 0;) {
		if (dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine) {
			call_site_of(&scopes[i], cu, &out[n]);
			break;
		}
	}
	free(scopes);
	return n + 1;
}
