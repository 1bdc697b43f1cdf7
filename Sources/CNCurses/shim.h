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
#endif
