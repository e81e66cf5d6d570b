// SPDX-License-Identifier: GPL-2.0
/* procfs_parse_smaps: a real smaps (shortened), hostile text, lookups. */
#include <errno.h>
#include "smaps.h"
#include "unit.h"

static const char smaps_sample[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 fe:00 247498                     /usr/bin/sleep\n"
	"Size:                  8 kB\n"
	"KernelPageSize:        4 kB\n"
	"Rss:                   8 kB\n"
	"Pss:                   4 kB\n"
	"Shared_Clean:          4 kB\n"
	"Private_Clean:         4 kB\n"
	"Private_Dirty:         0 kB\n"
	"Anonymous:             0 kB\n"
	"Swap:                  0 kB\n"
	"SwapPss:               0 kB\n"
	"VmFlags: rd mr mw me sd\n"
	"55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0                          [heap]\n"
	"Size:                132 kB\n"
	"Rss:                  16 kB\n"
	"Pss:                  16 kB\n"
	"Private_Dirty:        12 kB\n"
	"Private_Hugetlb:       2 kB\n"
	"Anonymous:            16 kB\n"
	"Swap:                 64 kB\n"
	"SwapPss:              32 kB\n"
	"THPeligible:    0\n"
	"7f0000000000-7f0000800000 rw-p 00000000 00:00 0 \n"
	"Size:               8192 kB\n"
	"Rss:                4000 kB\n"
	"ProtectionKey:         0\n";

static void test_smaps_fields(void)
{
	struct smaps_list l;

	CHECK(procfs_parse_smaps(smaps_sample, &l) == 0);
	CHECK_U64(l.n, 3);
	if (l.n != 3)
		return;
	CHECK_U64(l.v[0].vma.start, 0x55d0c0a00000ULL);
	CHECK_STR(l.v[0].vma.path, "/usr/bin/sleep");
	CHECK(l.v[0].vma.read && !l.v[0].vma.write && !l.v[0].vma.exec);
	CHECK_U64(l.v[0].size, 8192);
	CHECK_U64(l.v[0].rss, 8192);
	CHECK_U64(l.v[0].pss, 4096);
	CHECK_U64(smaps_uss(&l.v[0]), 4096);
	CHECK(l.v[1].vma.kind == VMA_HEAP);
	CHECK_U64(l.v[1].swap, 64 * 1024);	/* Swap, not SwapPss */
	CHECK_U64(smaps_uss(&l.v[1]), 14 * 1024);	/* + Private_Hugetlb */
	CHECK_U64(l.v[1].anonymous, 16 * 1024);
	CHECK(l.v[2].vma.kind == VMA_ANON && !l.v[2].vma.path);
	CHECK_U64(l.v[2].rss, 4000 * 1024);
	CHECK_U64(l.v[2].pss, 0);		/* absent: 0 */
	smaps_list_free(&l);
}

static void test_smaps_find(void)
{
	struct smaps_list l;

	CHECK(procfs_parse_smaps(smaps_sample, &l) == 0);
	CHECK(smaps_list_find(&l, 0x55d0c0a00000ULL) == &l.v[0]);
	CHECK(smaps_list_find(&l, 0x55d0c0a01fffULL) == &l.v[0]);
	CHECK(smaps_list_find(&l, 0x55d0c0a02000ULL) == NULL);	/* end is exclusive */
	CHECK(smaps_list_find(&l, 0x10) == NULL);
	CHECK(smaps_list_find(&l, 0x7f00007fffffULL) == &l.v[2]);
	CHECK_U64(smaps_list_index_above(&l, 0x10), 0);
	CHECK_U64(smaps_list_index_above(&l, 0x55d0c0a02000ULL), 1);
	CHECK_U64(smaps_list_index_above(&l, UINT64_MAX), 3);
	smaps_list_free(&l);
}

static void test_smaps_hostile(void)
{
	struct smaps_list l;

	/* keys before any header, a value past its line, a header that isn't */
	CHECK(procfs_parse_smaps("Rss: 4 kB\nnot a header\n", &l) == 0);
	CHECK_U64(l.n, 0);
	smaps_list_free(&l);
	CHECK(procfs_parse_smaps("1000-2000 rw-p 0 00:00 0\nRss:\n77 kB\nPss: 99999999999999999999 kB\n"
				 "Size: 18446744073709551615 kB\nSwap: 12", &l) == 0);
	CHECK_U64(l.n, 1);
	if (l.n == 1) {
		CHECK_U64(l.v[0].rss, 0);		/* the number is on the next line: not ours */
		CHECK_U64(l.v[0].pss, 0);		/* too large to parse: left at 0 */
		CHECK_U64(l.v[0].size, UINT64_MAX);	/* kB overflow saturates */
		CHECK_U64(l.v[0].swap, 12);		/* no unit, cut short */
	}
	smaps_list_free(&l);
	CHECK(procfs_parse_smaps("", &l) == 0);
	CHECK_U64(l.n, 0);
	smaps_list_free(&l);
}

int main(void)
{
	RUN(test_smaps_fields);
	RUN(test_smaps_find);
	RUN(test_smaps_hostile);
	UNIT_EXIT();
}
