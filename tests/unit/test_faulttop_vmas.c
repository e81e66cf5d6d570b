// SPDX-License-Identifier: GPL-2.0
/* The VMA view's model (vmas.c), its source's parsing and the process
 * screen's keys: faults binned by address, counts that survive re-readings,
 * totals, sorting, and SEGVs placed among the VMAs. */
#include <curses.h>
#include <signal.h>
#include <stdlib.h>
#include "tui_logic.h"
#include "unit.h"
#include "vma_source.h"
#include "view_vmas.h"
#include "vmas.h"

static const char smaps_a[] =
	"400000-401000 r--p 00000000 fe:00 11 /usr/bin/foo\n"
	"Size: 4 kB\nRss: 4 kB\nPss: 4 kB\nPrivate_Clean: 4 kB\n"
	"401000-402000 r-xp 00001000 fe:00 11 /usr/bin/foo\n"
	"Size: 4 kB\nRss: 4 kB\nPss: 2 kB\n"
	"5e01000-5e22000 rw-p 00000000 00:00 0 [heap]\n"
	"Size: 132 kB\nRss: 8 kB\nPss: 8 kB\nPrivate_Dirty: 8 kB\n"
	"7f0000000000-7f0000800000 rw-p 00000000 00:00 0\n"
	"Size: 8192 kB\nRss: 4000 kB\nPss: 4000 kB\nPrivate_Dirty: 4000 kB\nSwap: 12 kB\n";

/* lowest mapping at 94 MiB + 4 KiB */
static const char smaps_low[] = "5e01000-5e22000 rw-p 00000000 00:00 0 [heap]\n";

/* the heap grown, the executable's first page unmapped, a new mapping */
static const char smaps_b[] =
	"401000-402000 r-xp 00001000 fe:00 11 /usr/bin/foo\n"
	"Size: 4 kB\n"
	"5e01000-5e43000 rw-p 00000000 00:00 0 [heap]\n"
	"Size: 264 kB\n"
	"7eff00000000-7eff00001000 r--p 00000000 00:00 0\n"
	"Size: 4 kB\n"
	"7f0000000000-7f0000800000 rw-p 00000000 00:00 0\n"
	"Size: 8192 kB\n";

static struct vmas *model_with(const char *text)
{
	struct vmas *m = vmas_new(42);
	struct smaps_list l;

	if (!m || procfs_parse_smaps(text, &l) != 0) {
		printf("FAIL: out of memory\n");
		exit(1);
	}
	vmas_set_smaps(m, &l, 1.0, 0.5, 0.1);
	return m;
}

static void fault(struct vmas *m, uint64_t addr, uint32_t flags, uint32_t err)
{
	struct ft_ev_vma_fault e = { .type = EV_VMA_FAULT, .tid = 42, .tgid = 42,
				     .flags = flags, .error_code = err, .addr = addr };

	vmas_on_fault(m, &e);
}

static const struct vma_row *row_at(const struct vmas_snapshot *s, uint64_t start)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->rows[i].start == start)
			return &s->rows[i];
	return NULL;
}

#define W (FT_VMA_HAS_ACCESS)
#define PF_U_W (PF_USER | PF_WRITE)

static void test_faults_binned_by_address_and_kind(void)
{
	struct vmas *m = model_with(smaps_a);
	struct vmas_snapshot s = { 0 };
	const struct vma_row *r;

	vmas_set_process(m, "foo", 100, 5);
	for (int i = 0; i < 1000; i++)
		fault(m, 0x7f0000000000ULL + i * 4096ULL, W, PF_U_W);
	fault(m, 0x401010, W | FT_VMA_MAJOR, PF_USER | PF_INSTR);
	fault(m, 0x5e01008, W, PF_U_W | PF_PROT);		/* copy-on-write */
	fault(m, 0x400000, FT_VMA_MAJOR, 0);			/* no access kind known */
	vmas_set_process(m, "foo", 1102, 7);
	CHECK(vmas_snapshot(m, &s, 2.0, VSORT_START, true) == 0);
	CHECK_U64(s.n, 4);
	r = row_at(&s, 0x7f0000000000ULL);
	CHECK(r && r->f.minor == 1000 && r->f.write == 1000 && r->f.major == 0);
	CHECK(r && r->rss == 4000 * 1024ULL && r->uss == 4000 * 1024ULL && r->swap == 12 * 1024ULL);
	CHECK_STR(r ? r->label : NULL, "[anon]");
	r = row_at(&s, 0x401000);
	CHECK(r && r->f.major == 1 && r->f.exec == 1 && r->f.minor == 0);
	CHECK_STR(r ? r->perm : NULL, "r-xp");
	r = row_at(&s, 0x5e01000);
	CHECK(r && r->f.write == 1 && r->f.prot == 1);
	r = row_at(&s, 0x400000);
	CHECK(r && r->f.major == 1 && r->f.read + r->f.write + r->f.exec == 0);
	/* totals: sums of the rows; the process's own count less them */
	CHECK_U64(s.total.f.minor, 1001);
	CHECK_U64(s.total.f.major, 2);
	CHECK_U64(s.total.rss, (4 + 4 + 8 + 4000) * 1024);
	CHECK_U64(s.proc_minor, 1002);
	CHECK_U64(s.proc_major, 2);
	CHECK(vmas_not_placed(&s, false) == 1 && vmas_not_placed(&s, true) == 0);
	CHECK_STR(s.comm, "foo");
	vmas_snapshot_free(&s);
	vmas_free(m);
}

/* arm64 (the perf events are the hook): minor/major binned as on x86, the
 * access columns "-" in every row, the header says why once, JSON has no
 * read/write/exec/prot. */
static void test_access_unknown_rows_say_dash(void)
{
	struct vmas *m = model_with(smaps_a);
	struct vmas_snapshot s = { 0 };
	struct view_frame f = { .sample_pct = 100, .no_access_why = "no page_fault_user tracepoint (x86-only)" };
	const struct vma_row *r;
	char cell[32], *text, *json;

	vmas_access_unknown(m);
	for (int i = 0; i < 10; i++)
		fault(m, 0x7f0000000000ULL + i * 4096ULL, 0, 0);
	CHECK(vmas_snapshot(m, &s, 2.0, VSORT_START, true) == 0);
	r = row_at(&s, 0x7f0000000000ULL);
	CHECK(r && r->f.minor == 10 && r->access_unknown && s.total.access_unknown);
	for (int c = 0; r && c < nr_vma_columns; c++) {
		vma_columns[c].cell(r, cell, sizeof(cell));
		if (strstr("READ WRITE EXEC PROT", vma_columns[c].name))
			CHECK_STR(cell, "-");
		else if (strcmp(vma_columns[c].name, "MINOR") == 0)
			CHECK_STR(cell, "10");
	}
	f.vmas = &s;
	text = RENDER_TO_STRING(view_vmas_text, &f);
	json = RENDER_TO_STRING(view_vmas_json, &f);
	CHECK(strstr(text, "access kinds -: no page_fault_user tracepoint (x86-only)") != NULL);
	CHECK(strstr(strstr(text, "access kinds -") + 1, "access kinds -") == NULL);
	CHECK(strstr(json, "\"access_unknown\":") != NULL);
	CHECK(strstr(json, "\"write\"") == NULL && strstr(json, "\"minor\":10") != NULL);
	free(text);
	free(json);
	vmas_snapshot_free(&s);
	vmas_free(m);
}

static void test_counts_follow_vmas_across_readings(void)
{
	struct vmas *m = model_with(smaps_a);
	struct vmas_snapshot s = { 0 };
	struct smaps_list l;

	fault(m, 0x400010, 0, 0);			/* its VMA will be unmapped */
	fault(m, 0x5e01000, 0, 0);			/* the heap, which will grow */
	fault(m, 0x5e30000, W, PF_U_W);			/* beyond the heap's end yet */
	fault(m, 0x7eff00000000ULL, FT_VMA_MAJOR, 0);	/* a mapping made since */
	CHECK(vmas_snapshot(m, &s, 2.0, VSORT_START, true) == 0);
	CHECK_U64(s.waiting.minor, 1);
	CHECK_U64(s.waiting.major, 1);
	CHECK_U64(s.total.f.minor, 3);			/* the waiting ones are in the totals */
	CHECK(procfs_parse_smaps(smaps_b, &l) == 0);
	vmas_set_smaps(m, &l, 3.0, 0.5, 0.1);
	CHECK(vmas_snapshot(m, &s, 3.0, VSORT_START, true) == 0);
	CHECK_U64(s.n, 4);
	CHECK_U64(s.unmapped.minor, 1);
	CHECK_U64(s.waiting.minor + s.waiting.major, 0);
	CHECK(row_at(&s, 0x5e01000) && row_at(&s, 0x5e01000)->f.minor == 2);
	CHECK(row_at(&s, 0x5e01000) && row_at(&s, 0x5e01000)->f.write == 1);
	CHECK(row_at(&s, 0x7eff00000000ULL) && row_at(&s, 0x7eff00000000ULL)->f.major == 1);
	CHECK_U64(s.total.f.minor, 3);
	CHECK_U64(s.total.f.major, 1);
	vmas_snapshot_free(&s);
	vmas_free(m);
}

static void test_sort_and_thread_stacks(void)
{
	struct vmas *m = model_with(smaps_a);
	struct vmas_snapshot s = { 0 };

	vmas_set_thread_sp(m, 77, 0x7f0000001000ULL);
	vmas_set_thread_sp(m, 78, 0x5e01000);		/* the heap keeps its own name */
	CHECK(vmas_snapshot(m, &s, 2.0, VSORT_RSS, false) == 0);
	CHECK(s.n == 4 && s.rows[0].start == 0x7f0000000000ULL);
	CHECK_STR(s.rows[0].label, "[stack:77]");
	CHECK(s.rows[3].rss == 4096);
	CHECK(vmas_snapshot(m, &s, 2.0, VSORT_START, true) == 0);
	CHECK(s.rows[0].start == 0x400000 && s.rows[3].start == 0x7f0000000000ULL);
	CHECK_STR(s.rows[2].label, "[heap]");
	CHECK(vmas_snapshot(m, &s, 2.0, VSORT_PATH, true) == 0);
	CHECK_STR(s.rows[0].label, "/usr/bin/foo");
	CHECK_U64(vma_sort_parse("RSS"), VSORT_RSS);
	CHECK(vma_sort_parse("nope") < 0);
	vmas_snapshot_free(&s);
	vmas_free(m);
}

static void place(const char *smaps, int sig, int code, uint64_t addr, uint32_t err, const char *want)
{
	struct smaps_list l;
	char buf[320];

	CHECK(procfs_parse_smaps(smaps, &l) == 0);
	vmas_place_signal(&l, sig, code, addr, err, buf, sizeof(buf));
	CHECK_STR(buf, want);
	smaps_list_free(&l);
}

static void test_segv_placed(void)
{
	place(smaps_low, SIGSEGV, SEGV_MAPERR, 0x10, PF_USER,
	      "no VMA: 0x10, 94 MiB below the lowest mapping (a NULL dereference + 0x10)");
	place(smaps_low, SIGSEGV, SEGV_MAPERR, 0x5e00f00, 0,
	      "no VMA: 0x5e00f00, 256 bytes below the lowest mapping");
	place(smaps_a, SIGSEGV, SEGV_ACCERR, 0x401234 - 0x1000 + 0x1000, PF_USER | PF_WRITE | PF_PROT,
	      "ACCERR: write to r-xp text of /usr/bin/foo at +0x1234 (0x401234)");
	place(smaps_a, SIGSEGV, SEGV_ACCERR, 0x400008, PF_USER | PF_INSTR | PF_PROT,
	      "ACCERR: exec to r--p read-only data of /usr/bin/foo at +0x8 (0x400008)");
	place(smaps_a, SIGSEGV, SEGV_MAPERR, 0x5e22000 + 8192, PF_USER,
	      "no VMA: 0x5e24000, in the gap between [heap] (8 KiB past its end) and "
	      "[anon] (126 TiB below its start)");
	place(smaps_a, SIGSEGV, SEGV_MAPERR, 0x7f0000800000ULL, PF_USER,
	      "no VMA: 0x7f0000800000, 0 bytes above the highest mapping");
	place(smaps_a, SIGSEGV, SEGV_MAPERR, 0x5e01000, PF_USER,
	      "no VMA: 0x5e01000 (the last smaps reading had [heap] there: unmapped since)");
	place(smaps_a, SIGSEGV, SEGV_ACCERR, 0x9000000, PF_USER | PF_WRITE,
	      "ACCERR: write at 0x9000000, in a mapping made after the last smaps reading");
	place("", SIGSEGV, SEGV_MAPERR, 0x10, PF_USER, "no VMA: 0x10 (no mappings known)");
	place(smaps_a, SIGBUS, 2, 0x7f0000000010ULL, 0,
	      "SIGBUS: access to rw-p [anon] at +0x10 (0x7f0000000010)");
}

static void test_syscall_sp(void)
{
	uint64_t sp = 0;

	CHECK(vma_source_parse_syscall_sp("7 0x7ffc 0x1 0x3e8 0x0 0x0 0x0 0x7ffd1230 0x7f00aa\n", &sp) == 0);
	CHECK_U64(sp, 0x7ffd1230);
	CHECK(vma_source_parse_syscall_sp("-1 0x7ffc00 0x401000\n", &sp) == 0);
	CHECK_U64(sp, 0x7ffc00);
	CHECK(vma_source_parse_syscall_sp("running\n", &sp) < 0);
	CHECK(vma_source_parse_syscall_sp("", &sp) < 0);
	CHECK(vma_source_parse_syscall_sp("1 2 3\n", &sp) < 0);
	CHECK(vma_source_parse_syscall_sp("-1 0x12zz 0x4\n", &sp) < 0);
}

static void test_screen_keys(void)
{
	struct tui_ui ui = { .vmas_n = 10, .vmas_page = 5 };
	struct view_state vs = { .vmas_pid = 42, .vma_sort = VSORT_START, .vma_ascending = true };
	struct tui_intent in;

	CHECK(tui_vmas_key(&ui, '>', &vs, &in) && in.kind == TUI_SET_VMA_SORT && in.vma_sort == VSORT_SIZE);
	CHECK(view_state_apply(&vs, &in) && vs.vma_sort == VSORT_SIZE && !vs.vma_ascending);
	CHECK(tui_vmas_key(&ui, '<', &vs, &in) && in.vma_sort == VSORT_START);
	CHECK(view_state_apply(&vs, &in) && vs.vma_ascending);
	CHECK(tui_vmas_key(&ui, '<', &vs, &in) && in.kind == TUI_NONE);	/* leftmost */
	CHECK(tui_vmas_key(&ui, 'r', &vs, &in) && in.kind == TUI_REVERSE_VMA_SORT);
	CHECK(tui_vmas_key(&ui, KEY_NPAGE, &vs, &in) && ui.vmas_sel == 4);
	CHECK(tui_vmas_key(&ui, KEY_END, &vs, &in) && ui.vmas_sel == 9);
	CHECK(!tui_vmas_key(&ui, 'q', &vs, &in));		/* the list's: quits */
	CHECK(tui_vmas_key(&ui, TUI_KEY_ESC, &vs, &in) && in.kind == TUI_HIDE_VMAS);
	CHECK(view_state_apply(&vs, &in) && vs.vmas_pid == 0 && ui.vmas_sel == 0);
	in.kind = TUI_SHOW_VMAS;
	in.nr_pids = 1;
	in.pids[0] = 7;
	CHECK(view_state_apply(&vs, &in) && vs.vmas_pid == 7);
}

int main(void)
{
	RUN(test_faults_binned_by_address_and_kind);
	RUN(test_access_unknown_rows_say_dash);
	RUN(test_counts_follow_vmas_across_readings);
	RUN(test_sort_and_thread_stacks);
	RUN(test_segv_placed);
	RUN(test_syscall_sp);
	RUN(test_screen_keys);
	UNIT_EXIT();
}
