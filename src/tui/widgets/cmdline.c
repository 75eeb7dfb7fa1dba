/*
 * The command line: prompt, history and completion around a lineedit (see
 * cmdline.h).  It does not know any command: what a line means is decided by
 * whoever receives TUI_SUBMIT, and what completes a word by the caller's
 * complete function.
 */
#include "tui/lib.h"
#include "tui/widgets/cmdline.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "core/utf8.h"

#define CMDLINE_HISTORY_DEFAULT 100

static size_t fixed_words(void *ctx, const char *line, size_t word_index,
			  const char *const **out)
{
	struct cmdline *cl = ctx;
	*out = cl->words;
	return cl->nwords;
}

void cmdline_init(struct cmdline *cl, const char *prompt, size_t history_max)
{
	memset(cl, 0, sizeof(*cl));
	snprintf(cl->prompt, sizeof(cl->prompt), "%s", prompt ? prompt : ":");
	lineedit_init(&cl->edit, 0);
	cl->history_max = history_max ? history_max : CMDLINE_HISTORY_DEFAULT;
	cl->cycle = SIZE_MAX;
}

void cmdline_release(struct cmdline *cl)
{
	lineedit_release(&cl->edit);
	for (size_t i = 0; i < cl->nhistory; i++)
		r1_free(cl->history[i]);
	r1_free(cl->history);
	r1_free(cl->draft);
	r1_free(cl->matches);
	memset(cl, 0, sizeof(*cl));
}

void cmdline_open(struct cmdline *cl, const char *text)
{
	lineedit_set(&cl->edit, text);
	cl->history_pos = cl->nhistory;
	r1_free(cl->draft);
	cl->draft = NULL;
	cl->cycle = SIZE_MAX;
}

const char *cmdline_text(struct cmdline *cl)
{
	return lineedit_text(&cl->edit);
}

void cmdline_set_completion(struct cmdline *cl, cmdline_complete_fn fn, void *ctx)
{
	cl->complete = fn;
	cl->complete_ctx = ctx;
}

void cmdline_set_words(struct cmdline *cl, const char *const *words, size_t n)
{
	cl->words = words;
	cl->nwords = n;
	cmdline_set_completion(cl, fixed_words, cl);
}

void cmdline_history_add(struct cmdline *cl, const char *line)
{
	if (!line || !*line)
		return;
	if (cl->nhistory && strcmp(cl->history[cl->nhistory - 1], line) == 0)
		return;
	char *copy = r1_strdup(line);
	if (!copy)
		return;
	if (cl->nhistory == cl->history_max) {
		r1_free(cl->history[0]);
		memmove(cl->history, cl->history + 1, (cl->nhistory - 1) * sizeof(*cl->history));
		cl->nhistory--;
	} else {
		char **h = r1_reallocarray(cl->history, cl->nhistory + 1, sizeof(*h));
		if (!h) {
			r1_free(copy);
			return;
		}
		cl->history = h;
	}
	cl->history[cl->nhistory++] = copy;
}

/* ------------------------------------------------------------ completion */

static bool is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t';
}

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool prefix_nocase(const char *word, const char *cand)
{
	for (; *word; word++, cand++)
		if (fold((unsigned char)*word) != fold((unsigned char)*cand))
			return false;
	return true;
}

/*
 * Find the word that ends at the cursor and the candidates matching it.
 * Leaves the word's text in *word (malloc'd; NULL on OOM).
 */
static void find_matches(struct cmdline *cl, char **word)
{
	struct lineedit *le = &cl->edit;
	size_t start = le->cursor, index = 0;
	while (start > 0 && !is_space(le->cps[start - 1]))
		start--;
	for (size_t i = 0; i < start; i++)
		if (!is_space(le->cps[i]) && (i == 0 || is_space(le->cps[i - 1])))
			index++;
	cl->word_start = start;
	cl->nmatches = 0;
	*word = NULL;

	const char *line = lineedit_text(le);
	/* the word's bytes: re-encode the code points [start, cursor) */
	struct buf w = BUF_INIT;
	for (size_t i = start; i < le->cursor; i++) {
		char u[4];
		buf_add(&w, u, r1_utf8_encode(le->cps[i], u));
	}
	if (!buf_ok(&w)) {
		buf_release(&w);
		return;
	}
	*word = buf_detach(&w, NULL);
	if (!cl->complete || !*word)
		return;
	const char *const *cands = NULL;
	size_t n = cl->complete(cl->complete_ctx, line, index, &cands);
	for (size_t i = 0; i < n; i++) {
		if (!cands[i] || !prefix_nocase(*word, cands[i]))
			continue;
		if (cl->nmatches == cl->matches_cap) {
			size_t cap = cl->matches_cap ? cl->matches_cap * 2 : 16;
			const char **m = r1_reallocarray(cl->matches, cap, sizeof(*m));
			if (!m)
				break;
			cl->matches = m;
			cl->matches_cap = cap;
		}
		cl->matches[cl->nmatches++] = cands[i];
	}
}

size_t cmdline_matches(struct cmdline *cl, const char *const **out)
{
	char *word;
	find_matches(cl, &word);
	r1_free(word);
	*out = cl->matches;
	return cl->nmatches;
}

/* Replace [word_start, cursor) with s, plus a space after a final match. */
static void replace_word(struct cmdline *cl, const char *s, bool final)
{
	struct lineedit *le = &cl->edit;
	lineedit_delete(le, cl->word_start, le->cursor);
	lineedit_insert(le, s);
	if (final && (le->cursor == le->len || !is_space(le->cps[le->cursor])))
		lineedit_insert(le, " ");
}

/* Length in bytes of the prefix all matches share (ASCII case ignored). */
static size_t common_prefix(const char *const *m, size_t n)
{
	size_t len = strlen(m[0]);
	for (size_t i = 1; i < n; i++) {
		size_t k = 0;
		while (k < len && m[i][k] &&
		       fold((unsigned char)m[i][k]) == fold((unsigned char)m[0][k]))
			k++;
		len = k;
	}
	/* never stop inside a UTF-8 sequence */
	while (len && ((unsigned char)m[0][len] & 0xC0) == 0x80)
		len--;
	return len;
}

static unsigned complete_key(struct cmdline *cl, bool backwards)
{
	const unsigned done = TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
	if (cl->cycle != SIZE_MAX && cl->nmatches) {
		size_t n = cl->nmatches;
		cl->cycle = backwards ? (cl->cycle + n - 2) % n : cl->cycle;
		replace_word(cl, cl->matches[cl->cycle], false);
		cl->cycle = (cl->cycle + 1) % n;
		return done;
	}
	char *word;
	find_matches(cl, &word);
	if (!word || cl->nmatches == 0) {
		r1_free(word);
		return TUI_CONSUMED;
	}
	if (cl->nmatches == 1) {
		replace_word(cl, cl->matches[0], true);
		r1_free(word);
		return done;
	}
	size_t plen = common_prefix(cl->matches, cl->nmatches);
	if (plen > strlen(word)) {
		char *prefix = r1_strndup(cl->matches[0], plen);
		if (prefix)
			replace_word(cl, prefix, false);
		r1_free(prefix);
	} else {
		size_t first = backwards ? cl->nmatches - 1 : 0;
		replace_word(cl, cl->matches[first], false);
		cl->cycle = (first + 1) % cl->nmatches;
	}
	r1_free(word);
	return done;
}

/* ---------------------------------------------------------------- history */

static unsigned history_move(struct cmdline *cl, bool older)
{
	if (older ? cl->history_pos == 0 : cl->history_pos >= cl->nhistory)
		return TUI_CONSUMED;
	if (cl->history_pos == cl->nhistory) {
		r1_free(cl->draft);
		cl->draft = r1_strdup(lineedit_text(&cl->edit));
	}
	cl->history_pos += older ? (size_t)-1 : 1;
	const char *text =
		cl->history_pos == cl->nhistory ? cl->draft : cl->history[cl->history_pos];
	lineedit_set(&cl->edit, text ? text : "");
	return TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
}

unsigned cmdline_key(struct cmdline *cl, int key)
{
	if (key != TUI_KEY_TAB && key != TUI_KEY_BTAB)
		cl->cycle = SIZE_MAX;
	switch (key) {
	case TUI_KEY_ENTER:
		cmdline_history_add(cl, cmdline_text(cl));
		cl->history_pos = cl->nhistory;
		return TUI_CONSUMED | TUI_SUBMIT;
	case TUI_KEY_ESC:
	case TUI_KEY_CTRL('c'):
		cl->history_pos = cl->nhistory;
		return TUI_CONSUMED | TUI_CANCEL;
	case TUI_KEY_UP:
	case TUI_KEY_CTRL('p'):
		return history_move(cl, true);
	case TUI_KEY_DOWN:
	case TUI_KEY_CTRL('n'):
		return history_move(cl, false);
	case TUI_KEY_TAB:
		return complete_key(cl, false);
	case TUI_KEY_BTAB:
		return complete_key(cl, true);
	default:
		return lineedit_key(&cl->edit, key);
	}
}

void cmdline_draw(struct cmdline *cl, struct grid_area a, int y)
{
	grid_fill(a, 0, y, a.w, 1, ' ', TUI_ROLE_PROMPT, 0);
	int x = grid_text(a, 0, y, cl->prompt, TUI_ROLE_PROMPT, GRID_BOLD);
	int end = lineedit_draw(&cl->edit, a, x, y, a.w - x, TUI_ROLE_PROMPT, true);
	if (cl->edit.cursor != cl->edit.len || cl->cycle != SIZE_MAX || cl->edit.len == 0)
		return;
	char *word;
	find_matches(cl, &word);
	if (word && cl->nmatches > 0 && cl->edit.cursor > cl->word_start) {
		const char *rest = cl->matches[0] + strlen(word);
		grid_textn(a, end, y, rest, strlen(rest), TUI_ROLE_PROMPT_HINT, 0);
	}
	r1_free(word);
}
