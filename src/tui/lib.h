#ifndef R1_TUI_LIB_H
#define R1_TUI_LIB_H
/*
 * libr1tui: the ncurses console (app glue, grid, widgets, views, themes).
 * May include core and the public header of node; nothing below includes it.
 *
 * Rules for this directory:
 *  - views and widgets draw into a struct grid (grid.h), never into curses:
 *    only screen_curses.c (and the input/app glue) include <curses.h>, so
 *    every layout is tested by dumping a grid to text;
 *  - they draw in style roles (theme.h), never in colours;
 *  - text from the network is sanitized (core/sanitize.h) before it is
 *    drawn; the grid also refuses control characters as a second defence;
 *  - key handlers return enum tui_reaction flags (keys.h); a view's keys are
 *    a keymap table (keymap.h) that also feeds the key bar and the help;
 *  - widgets read their data through callbacks and never copy a model;
 *  - every string a person reads goes through _().
 *
 * Files:
 *   app             the glue on the core loop: view stack, chrome, frames,
 *                   prompts, modals (view.h: the view interface and registry)
 *   model           what views read (netmap, session, cache, streams, logs)
 *   stream          the live payload and notification rings
 *   consnet         the console's network: embedded, demo or a broker
 *   fmt             figures for cells (sizes, ages, percentages)
 *   views/          one file per view, views.def the registry, actions.c
 *                   the commands with their confirmations
 *   grid            the plain-data screen and drawing primitives
 *   wrap            word wrapping by display width
 *   theme           style roles, theme files, colour fallback
 *   keys, keymap    key codes and names, reactions, key tables
 *   screen_curses   the ncursesw backend: flush, colours, keys, restore
 *   widgets/        table, filter, lineedit, cmdline, form, sparkline (and
 *                   progress), dialog, bars (status and key bar), help,
 *                   heatmap, textview, textarea
 */
#include "core/lib.h"
#include "core/i18n.h"

#endif
