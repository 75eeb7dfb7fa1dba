#ifndef R1_TUI_LIB_H
#define R1_TUI_LIB_H
/*
 * libr1tui: the ncurses console (app glue, grid, widgets, views, themes).
 * May include core and the public header of node; nothing below includes it.
 */
#include "core/lib.h"
#include "core/i18n.h"

#endif
