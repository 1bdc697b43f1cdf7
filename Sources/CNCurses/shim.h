// Wide-character ncurses (Debian: libncursesw5-dev). SwiftPM drops pkg-config's -D_XOPEN_SOURCE,
// so the wide-character API is switched on here before curses.h is read.
#ifndef ATTNSCOPE_CNCURSES_SHIM_H
#define ATTNSCOPE_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>
#include <unistd.h>

// Swift cannot use curses' global variables and function-like macros directly: these wrap them.
static inline WINDOW *attn_stdscr(void) { return stdscr; }
static inline int attn_lines(void) { int y, x; getmaxyx(stdscr, y, x); (void)x; return y; }
static inline int attn_cols(void) { int y, x; getmaxyx(stdscr, y, x); (void)y; return x; }
static inline int attn_colors(void) { return tigetnum("colors"); }
static inline int attn_key_resize(void) { return KEY_RESIZE; }
static inline int attn_key_mouse(void) { return KEY_MOUSE; }
static inline int attn_key_btab(void) { return KEY_BTAB; }
static inline int attn_key_up(void) { return KEY_UP; }
static inline int attn_key_down(void) { return KEY_DOWN; }
static inline int attn_key_left(void) { return KEY_LEFT; }
static inline int attn_key_right(void) { return KEY_RIGHT; }
static inline int attn_key_npage(void) { return KEY_NPAGE; }
static inline int attn_key_ppage(void) { return KEY_PPAGE; }
static inline int attn_key_home(void) { return KEY_HOME; }
static inline int attn_key_end(void) { return KEY_END; }
static inline int attn_key_enter(void) { return KEY_ENTER; }
static inline int attn_key_backspace(void) { return KEY_BACKSPACE; }
static inline int attn_key_code_yes(void) { return KEY_CODE_YES; }

/// Turns on mouse reporting for presses and the wheel; returns 0 when the terminal has no mouse.
static inline int attn_enable_mouse(void) {
    mmask_t old = 0;
    mouseinterval(0);
    return mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, &old) != 0;
}

/// Reads the pending mouse event: kind 1 = press, 2 = wheel up, 3 = wheel down, 0 = other / none.
static inline int attn_get_mouse(int *x, int *y) {
    MEVENT ev;
    if (getmouse(&ev) != OK) return 0;
    *x = ev.x; *y = ev.y;
    if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) return 1;
    if (ev.bstate & BUTTON4_PRESSED) return 2;
    if (ev.bstate & BUTTON5_PRESSED) return 3;
    return 0;
}

/// wget_wch on stdscr: returns OK (character in *ch), KEY_CODE_YES (key code in *ch) or ERR.
static inline int attn_get_wch(unsigned int *ch) {
    wint_t w = 0;
    int r = wget_wch(stdscr, &w);
    *ch = (unsigned int)w;
    return r;
}
#endif
