#ifndef R1_TUI_WIDGETS_CMDLINE_H
#define R1_TUI_WIDGETS_CMDLINE_H
/*
 * The ':' command line (and the '/' filter prompt): a prompt, a lineedit,
 * a history and Tab completion, like k9s's command bar.
 *
 * Completion works on the word under the cursor.  The caller's complete
 * function returns every candidate for that word position (view names for
 * the first word, node aliases after "node", ...); the command line keeps
 * those that start with what was typed (ignoring ASCII case).  Tab then
 * completes a single match (adding a space), or extends the word to the
 * matches' common prefix; when there is nothing to extend, Tab and
 * Shift-Tab cycle through the matches.  While typing, the rest of the first
 * match shows after the cursor as a dim hint.
 *
 * Keys: the lineedit's, plus Enter (TUI_SUBMIT; the line enters the
 * history), Esc and ^C (TUI_CANCEL), Up/^P and Down/^N (history), Tab and
 * Shift-Tab (completion).
 */
#include "core/common.h"
#include "tui/grid.h"
#include "tui/widgets/lineedit.h"

/*
 * Candidates for word number `word_index` (0 = the first) of `line`, in
 * *out (owned by the callee, valid until the next call); returns how many.
 */
typedef size_t (*cmdline_complete_fn)(void *ctx, const char *line, size_t word_index,
				      const char *const **out);

struct cmdline {
	char prompt[16];	 /* ":" or "/" */
	struct lineedit edit;
	char **history;		 /* oldest first, owned */
	size_t nhistory, history_max;
	size_t history_pos;	 /* == nhistory when not browsing */
	char *draft;		 /* the line being typed before browsing began */
	cmdline_complete_fn complete;
	void *complete_ctx;
	const char *const *words; /* cmdline_set_words()'s list */
	size_t nwords;
	const char **matches;	 /* candidates matching the current word */
	size_t nmatches, matches_cap;
	size_t cycle;		 /* next match Tab shows; SIZE_MAX = not cycling */
	size_t word_start;	 /* where the word being completed begins */
};

/* history_max 0 = 100 lines. */
void cmdline_init(struct cmdline *cl, const char *prompt, size_t history_max);
void cmdline_release(struct cmdline *cl);
/* Start a fresh entry with `text` (may be NULL) and the cursor at its end. */
void cmdline_open(struct cmdline *cl, const char *text);
/* The current text (see lineedit_text()). */
const char *cmdline_text(struct cmdline *cl);
/* Use fn for completion (NULL: none). */
void cmdline_set_completion(struct cmdline *cl, cmdline_complete_fn fn, void *ctx);
/*
 * Complete every word from one fixed list (the caller keeps it alive);
 * replaces any completion function.
 */
void cmdline_set_words(struct cmdline *cl, const char *const *words, size_t n);
/* Add a line to the history (skipped when empty or equal to the newest). */
void cmdline_history_add(struct cmdline *cl, const char *line);

unsigned cmdline_key(struct cmdline *cl, int key);

/*
 * The candidates that match the word at the cursor now (pointers owned by
 * the completion source); for a suggestion list under the prompt.
 */
size_t cmdline_matches(struct cmdline *cl, const char *const **out);

/* The prompt, the text and the hint on row y of a (the whole width). */
void cmdline_draw(struct cmdline *cl, struct grid_area a, int y);

#endif
