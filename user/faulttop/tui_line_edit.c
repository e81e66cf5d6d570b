// SPDX-License-Identifier: GPL-2.0
/* The bottom-line prompt's editor. */
#include <curses.h>
#include <string.h>
#include "fmt.h"
#include "tui_logic.h"

void line_edit_start(struct line_edit *e, const char *initial, size_t max)
{
	e->max = max < sizeof(e->buf) ? max : sizeof(e->buf) - 1;
	fmt_printable(e->buf, e->max + 1, initial ? initial : "");
}

enum line_edit_result line_edit_key(struct line_edit *e, int ch)
{
	size_t len = strlen(e->buf);

	if (ch == TUI_KEY_ESC)
		return LINE_CANCELLED;
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
		return LINE_ACCEPTED;
	if (ch == KEY_BACKSPACE || ch == 127 || ch == '\b') {
		if (len > 0)
			e->buf[len - 1] = '\0';
	} else if (ch == TUI_KEY_CTRL_U) {
		e->buf[0] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && len < e->max) {
		e->buf[len] = (char)ch;
		e->buf[len + 1] = '\0';
	}
	return LINE_EDITING;
}
