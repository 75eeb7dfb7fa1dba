#ifndef R1_CORE_I18N_H
#define R1_CORE_I18N_H
/*
 * gettext markers for the strings a person reads (CLI and TUI).  Core and
 * node do not translate: protocol keys, topics, log lines and config keys
 * stay as they are.
 */
#include <config.h> /* autoconf's, not core/config.h */

#if ENABLE_NLS
#include <libintl.h>
#define _(s) gettext(s)
#else
#define _(s) (s)
#define ngettext(s, p, n) ((n) == 1 ? (s) : (p))
#endif
#define N_(s) (s)

#endif
