/*
 * The console's glue (see app.h): owns the terminal, the view stack, the
 * chrome around the views (header, title, status and key bars, prompts,
 * modals) and the frame clock, on the core loop.  It does not know what a
 * view shows: views come from the registry and talk to the app through
 * app.h.  It does not know the network either: it reads the model struct
 * and listens to the netmap, the streams and the logs.
 *
 * Frames: a change marks the app dirty; the frame is drawn by a deferred
 * call (so all the events of one loop iteration make one frame) or, when
 * the previous frame is younger than frame_ms, by a one-shot timer.  The
 * frame clock is real time even when the loop runs faster (--speed).
 */
#include "tui/lib.h"
#include "tui/app.h"
#include "tui/fmt.h"
#include "tui/keys.h"
#include "tui/screen_curses.h"
#include "tui/theme.h"
#include "tui/widgets/bars.h"
#include "tui/widgets/cmdline.h"
#include "tui/widgets/dialog.h"
#include "tui/widgets/form.h"
#include "tui/widgets/help.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/netmap.h"
#include "core/sanitize.h"
#include "core/session.h"
#include "core/txn.h"
#include "core/utf8.h"

#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#define APP_STACK_MAX  16
#define APP_MODALS_MAX 4
#define APP_FRAME_MS   100
#define APP_TICK_MS    1000
#define APP_MESSAGE_MS 8000
#define APP_DEFAULT_W  80
#define APP_DEFAULT_H  24
#define APP_FORM_MAX_W 100

enum modal_kind { MODAL_CMD, MODAL_FILTER, MODAL_HELP, MODAL_DIALOG, MODAL_FORM };

struct modal {
	enum modal_kind kind;
	struct dialog *dialog;
	app_yes_fn yes;
	struct form *form;
	char *title;
	app_form_fn submit;
	void *ctx;
	void (*free_ctx)(void *ctx);
	char filter_before[256]; /* MODAL_FILTER: the text to restore on Esc */
};

struct app {
	struct loop *loop;
	struct tui_model *m;
	struct app_options opt;
	char *theme_name, *theme_dir, *start;
	struct screen *screen;
	struct grid grid;
	struct theme theme;
	struct statusbar sb;
	struct cmdline cmd, flt;
	struct help help;
	struct modal modals[APP_MODALS_MAX];
	size_t nmodals;
	struct view *stack[APP_STACK_MAX];
	size_t depth;
	/* views closed while one of them may still be running: freed later */
	struct view *dead[APP_STACK_MAX * 2];
	size_t ndead;

	struct loop_watch *input;
	struct loop_timer *frame_timer, *tick_timer;
	struct loop_call frame_call, log_call;
	atomic_bool log_pending;
	bool observing;
	bool frame_pending;
	bool dirty;
	bool started, quitting;
	uint64_t frames;
	uint64_t last_frame_real; /* CLOCK_MONOTONIC ms of the last frame */
	void (*on_quit)(void *ctx);
	void *quit_ctx;

	/* completion words (pointers into the registry), rebuilt per call */
	const char **words;
	size_t nwords, words_cap;
	/* operations on hosted engines still waiting for their answer */
	struct app_op *ops;
};

static void render(struct app *a);
static void dump_frame(struct app *a);

/* --------------------------------------------------------------- clocks */

static uint64_t real_ms(void)
{
	return r1_mono_ms();
}

static uint64_t loop_ms(const struct app *a, uint64_t real)
{
	return real * (a->opt.speed ? a->opt.speed : 1);
}

int64_t app_now(const struct app *a)
{
	return a->m->now_ms;
}

/* ---------------------------------------------------------- frame clock */

static void frame_due(struct app *a)
{
	a->frame_pending = false;
	if (a->dirty)
		render(a);
}

static void on_frame_call(void *ctx)
{
	frame_due(ctx);
}

static void on_frame_timer(void *ctx, struct loop_timer *t)
{
	(void)t;
	frame_due(ctx);
}

void app_dirty(struct app *a)
{
	a->dirty = true;
	if (!a->started || a->frame_pending || !a->loop)
		return;
	uint64_t now = real_ms(), frame = a->opt.frame_ms;
	a->frame_pending = true;
	if (a->frames == 0 || now >= a->last_frame_real + frame)
		loop_call_schedule(a->loop, &a->frame_call);
	else
		loop_timer_start(a->frame_timer, loop_ms(a, a->last_frame_real + frame - now), 0);
}

bool app_is_dirty(const struct app *a)
{
	return a->dirty;
}

uint64_t app_frames(const struct app *a)
{
	return a->frames;
}

/* ----------------------------------------------------------- the stack */

struct view *app_top(struct app *a)
{
	return a->depth ? a->stack[a->depth - 1] : NULL;
}

static void view_free(struct view *v)
{
	if (v && v->ops->free)
		v->ops->free(v);
}

/*
 * Close a view: it may be the one whose key action is running (it asked
 * for another view), so it is freed at the start of the next key, mouse
 * event or frame, never from under its own feet.
 */
static void retire(struct app *a, struct view *v)
{
	if (!v)
		return;
	if (a->ndead == R1_ARRAY_LEN(a->dead)) {
		view_free(v); /* cannot happen: at most a stack's worth per key */
		return;
	}
	a->dead[a->ndead++] = v;
}

static void bury(struct app *a)
{
	while (a->ndead)
		view_free(a->dead[--a->ndead]);
}

void app_push(struct app *a, struct view *v)
{
	if (!v)
		return;
	if (a->depth == APP_STACK_MAX) {
		/* drop the oldest view above the first: the stack stays usable */
		retire(a, a->stack[1]);
		memmove(&a->stack[1], &a->stack[2], (APP_STACK_MAX - 2) * sizeof(a->stack[0]));
		a->depth--;
	}
	a->stack[a->depth++] = v;
	app_dirty(a);
}

void app_pop(struct app *a)
{
	if (a->depth <= 1)
		return;
	retire(a, a->stack[--a->depth]);
	a->stack[a->depth] = NULL;
	struct view *top = app_top(a);
	if (top && top->ops->resume)
		top->ops->resume(top);
	app_dirty(a);
}

void view_init(struct view *v, const struct view_class *cls, const struct view_ops *ops,
               struct app *app, const char *crumb)
{
	v->cls = cls;
	v->ops = ops;
	v->app = app;
	const char *c = crumb ? crumb : _(cls->title);
	r1_sanitize_into(v->crumb, sizeof(v->crumb), c, strlen(c), 0);
	v->filter[0] = '\0';
	v->preset[0] = '\0';
}

/* ------------------------------------------------------------- registry */

static const struct view_class *const registry[] = {
#define TUI_VIEW(c) &c,
#include "tui/views/views.def"
#undef TUI_VIEW
};

size_t view_classes(const struct view_class *const **out)
{
	*out = registry;
	return R1_ARRAY_LEN(registry);
}

const struct view_class *view_class_find(const char *word)
{
	for (size_t i = 0; i < R1_ARRAY_LEN(registry); i++) {
		const struct view_class *c = registry[i];
		if (c->hidden)
			continue;
		if (strcmp(c->name, word) == 0 || (c->alias && strcmp(c->alias, word) == 0))
			return c;
	}
	return NULL;
}

/* --------------------------------------------------------------- status */

void app_message(struct app *a, uint16_t role, const char *fmt, ...)
{
	char text[STATUSBAR_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	char clean[STATUSBAR_TEXT_MAX];
	r1_sanitize_into(clean, sizeof(clean), text, strlen(text), 0);
	statusbar_message(&a->sb, role, clean, app_now(a) + APP_MESSAGE_MS);
	if (a->m->log)
		r1_log(a->m->log,
		       role == TUI_ROLE_STATUS_ERROR  ? R1_LOG_ERROR
		       : role == TUI_ROLE_STATUS_WARN ? R1_LOG_WARN
		                                      : R1_LOG_INFO,
		       "console", "%s", clean);
	app_dirty(a);
}

/* --------------------------------------------------------------- modals */

static struct modal *top_modal(struct app *a)
{
	return a->nmodals ? &a->modals[a->nmodals - 1] : NULL;
}

static struct modal *push_modal(struct app *a, enum modal_kind kind)
{
	if (a->nmodals == APP_MODALS_MAX)
		return NULL;
	struct modal *md = &a->modals[a->nmodals++];
	memset(md, 0, sizeof(*md));
	md->kind = kind;
	app_dirty(a);
	return md;
}

static void release_modal(struct modal *md)
{
	dialog_free(&md->dialog);
	form_free(&md->form);
	r1_free(md->title);
	if (md->free_ctx)
		md->free_ctx(md->ctx);
	memset(md, 0, sizeof(*md));
}

/* Close modal i (not necessarily the top one). */
static void close_modal(struct app *a, size_t i)
{
	if (i >= a->nmodals)
		return;
	struct modal gone = a->modals[i];
	memmove(&a->modals[i], &a->modals[i + 1], (a->nmodals - i - 1) * sizeof(a->modals[0]));
	a->nmodals--;
	release_modal(&gone);
	app_dirty(a);
}

void app_confirm(struct app *a, const char *title, const char *message, bool danger, app_yes_fn yes,
                 void *ctx, void (*free_ctx)(void *ctx))
{
	struct dialog *d = dialog_confirm(title, message, danger);
	struct modal *md = d ? push_modal(a, MODAL_DIALOG) : NULL;
	if (!md) {
		dialog_free(&d);
		if (free_ctx)
			free_ctx(ctx);
		app_message(a, TUI_ROLE_STATUS_ERROR, "%s", _("out of memory"));
		return;
	}
	md->dialog = d;
	md->yes = yes;
	md->ctx = ctx;
	md->free_ctx = free_ctx;
}

void app_form(struct app *a, const char *title, struct form *form, app_form_fn submit, void *ctx,
              void (*free_ctx)(void *ctx))
{
	struct modal *md = form ? push_modal(a, MODAL_FORM) : NULL;
	char *t = r1_strdup(title ? title : "");
	if (!md || !t) {
		if (md)
			a->nmodals--;
		r1_free(t);
		form_free(&form);
		if (free_ctx)
			free_ctx(ctx);
		app_message(a, TUI_ROLE_STATUS_ERROR, "%s", _("out of memory"));
		return;
	}
	md->form = form;
	md->title = t;
	md->submit = submit;
	md->ctx = ctx;
	md->free_ctx = free_ctx;
}

/* ------------------------------------------------------------ commands */

static void quit(struct app *a)
{
	if (a->quitting)
		return;
	a->quitting = true;
	if (a->on_quit)
		a->on_quit(a->quit_ctx);
}

bool app_quitting(const struct app *a)
{
	return a->quitting;
}

void app_on_quit(struct app *a, void (*fn)(void *ctx), void *ctx)
{
	a->on_quit = fn;
	a->quit_ctx = ctx;
}

static void open_help(struct app *a);

/* Split "word rest" into the first word and what follows (trimmed). */
static void split_command(const char *line, char *word, size_t wsize, const char **rest)
{
	while (*line == ' ')
		line++;
	size_t n = strcspn(line, " ");
	snprintf(word, wsize, "%.*s", (int)R1_MIN(n, wsize - 1), line);
	line += n;
	while (*line == ' ')
		line++;
	*rest = line;
}

static bool set_theme(struct app *a, const char *name);

bool app_command(struct app *a, const char *line)
{
	char word[64];
	const char *rest;
	if (line[0] == ':')
		line++;
	split_command(line, word, sizeof(word), &rest);
	if (!word[0])
		return false;
	if (strcmp(word, "q") == 0 || strcmp(word, "quit") == 0 || strcmp(word, "q!") == 0) {
		quit(a);
		return true;
	}
	if (strcmp(word, "back") == 0) {
		app_pop(a);
		return true;
	}
	if (strcmp(word, "help") == 0) {
		open_help(a);
		return true;
	}
	if (strcmp(word, "theme") == 0)
		return set_theme(a, rest);
	const struct view_class *c = view_class_find(word);
	if (!c) {
		app_message(a, TUI_ROLE_STATUS_ERROR, _("unknown command '%s' (Tab completes)"),
		            word);
		return false;
	}
	if (c->arg && !c->arg_optional && !*rest) {
		app_message(a, TUI_ROLE_STATUS_ERROR, _(":%s needs %s"), c->name, _(c->arg));
		return false;
	}
	struct view *v = NULL;
	char *why = NULL;
	if (c->open(a, *rest ? rest : NULL, &v, &why) != R1_OK || !v) {
		app_message(a, TUI_ROLE_STATUS_ERROR, "%s", why ? why : _("cannot open that view"));
		r1_free(why);
		return false;
	}
	/* a ':' view replaces the stack above the first view, as k9s does */
	while (a->depth > 1)
		retire(a, a->stack[--a->depth]);
	if (a->depth == 1 && a->stack[0]->cls == c) {
		retire(a, a->stack[0]);
		a->depth = 0;
	}
	app_push(a, v);
	return true;
}

const char **app_words(struct app *a, size_t n)
{
	if (n > a->words_cap) {
		const char **w = r1_reallocarray(a->words, n, sizeof(*w));
		if (!w)
			return NULL;
		a->words = w;
		a->words_cap = n;
	}
	return a->words;
}

static size_t complete(void *ctx, const char *line, size_t word_index, const char *const **out)
{
	struct app *a = ctx;
	a->nwords = 0;
	static const char *const builtins[] = {"quit", "back", "help", "theme"};
	size_t need = R1_ARRAY_LEN(registry) * 2 + R1_ARRAY_LEN(builtins);
	if (word_index == 0) {
		if (!app_words(a, need))
			return 0;
		for (size_t i = 0; i < R1_ARRAY_LEN(registry); i++)
			if (!registry[i]->hidden)
				a->words[a->nwords++] = registry[i]->name;
		for (size_t i = 0; i < R1_ARRAY_LEN(builtins); i++)
			a->words[a->nwords++] = builtins[i];
		*out = a->words;
		return a->nwords;
	}
	if (word_index != 1)
		return 0;
	char word[64];
	const char *rest;
	split_command(line, word, sizeof(word), &rest);
	if (strcmp(word, "theme") == 0) {
		static const char *const themes[] = {"default", "light", "16color", "high-contrast",
		                                     "mono"};
		*out = themes;
		return R1_ARRAY_LEN(themes);
	}
	const struct view_class *c = view_class_find(word);
	if (!c || !c->complete)
		return 0;
	return c->complete(a, out);
}

/* ------------------------------------------------------------------ help */

static unsigned g_command(void *ctx);
static unsigned g_filter(void *ctx);
static unsigned g_help(void *ctx);
static unsigned g_back(void *ctx);
static unsigned g_quit(void *ctx);
static unsigned g_redraw(void *ctx);

static const struct keymap_entry global_keys[] = {
    {':', N_("cmd"), N_("command line: switch view (Tab completes)"), KEYMAP_BAR, g_command},
    {'/', N_("filter"), N_("filter the table: text, key:value, cpu>50, !term"), KEYMAP_BAR,
     g_filter},
    {'?', N_("help"), N_("this help"), KEYMAP_BAR, g_help},
    {TUI_KEY_ESC, N_("back"), N_("back (or clear the filter)"), 0, g_back},
    {'q', N_("quit"), N_("back; quit from the first view"), KEYMAP_BAR, g_back},
    {TUI_KEY_CTRL('c'), NULL, N_("quit"), 0, g_quit},
    {TUI_KEY_CTRL('l'), NULL, N_("redraw the screen"), 0, g_redraw},
};

/* The table keys every list view has, for the help only. */
static const struct keymap_entry table_keys[] = {
    {TUI_KEY_UP, NULL, N_("move up (k); PgUp, Home (g) for more"), 0, NULL},
    {TUI_KEY_DOWN, NULL, N_("move down (j); PgDn, End (G) for more"), 0, NULL},
    {TUI_KEY_ENTER, NULL, N_("open the selected row"), 0, NULL},
    {'<', NULL, N_("sort by the previous column"), 0, NULL},
    {'>', NULL, N_("sort by the next column (or click a title)"), 0, NULL},
    {'I', NULL, N_("invert the sort order"), 0, NULL},
    {TUI_KEY_SPACE, NULL, N_("mark the row"), 0, NULL},
};

static void open_help(struct app *a)
{
	struct view *v = app_top(a);
	if (!push_modal(a, MODAL_HELP))
		return;
	help_init(&a->help, _("Keys"), a->opt.readonly);
	if (v && v->nkeys)
		help_add_section(&a->help, v->crumb, v->keys, v->nkeys);
	if (v && v->ops->key)
		help_add_section(&a->help, _("Lists"), table_keys, R1_ARRAY_LEN(table_keys));
	help_add_section(&a->help, _("Everywhere"), global_keys, R1_ARRAY_LEN(global_keys));
}

/* ---------------------------------------------------------- global keys */

static unsigned g_command(void *ctx)
{
	struct app *a = ctx;
	if (!push_modal(a, MODAL_CMD))
		return TUI_CONSUMED;
	cmdline_open(&a->cmd, NULL);
	return TUI_CONSUMED | TUI_REDRAW;
}

static enum r1_err apply_filter(struct app *a, struct view *v, const char *text, bool quiet)
{
	char *why = NULL;
	enum r1_err e = v->ops->filter(v, text, &why);
	if (e == R1_OK)
		snprintf(v->filter, sizeof(v->filter), "%s", text);
	else if (!quiet)
		app_message(a, TUI_ROLE_STATUS_ERROR, "%s", why ? why : _("bad filter"));
	r1_free(why);
	app_dirty(a);
	return e;
}

static unsigned g_filter(void *ctx)
{
	struct app *a = ctx;
	struct view *v = app_top(a);
	if (!v || !v->ops->filter) {
		app_message(a, TUI_ROLE_STATUS_INFO, "%s", _("this view has no filter"));
		return TUI_CONSUMED;
	}
	struct modal *md = push_modal(a, MODAL_FILTER);
	if (!md)
		return TUI_CONSUMED;
	snprintf(md->filter_before, sizeof(md->filter_before), "%s", v->filter);
	cmdline_open(&a->flt, v->filter);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned g_help(void *ctx)
{
	open_help(ctx);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned g_back(void *ctx)
{
	struct app *a = ctx;
	struct view *v = app_top(a);
	if (v && v->ops->filter && strcmp(v->filter, v->preset) != 0) {
		apply_filter(a, v, v->preset, true);
		return TUI_CONSUMED | TUI_REDRAW;
	}
	if (a->depth > 1)
		app_pop(a);
	else
		quit(a);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned g_quit(void *ctx)
{
	quit(ctx);
	return TUI_CONSUMED;
}

static unsigned g_redraw(void *ctx)
{
	struct app *a = ctx;
	if (a->screen)
		screen_invalidate(a->screen);
	return TUI_CONSUMED | TUI_REDRAW;
}

/* ------------------------------------------------------------------ keys */

static unsigned modal_key(struct app *a, struct modal *md, int key)
{
	size_t idx = (size_t)(md - a->modals);
	switch (md->kind) {
	case MODAL_CMD: {
		unsigned r = cmdline_key(&a->cmd, key);
		if (r & TUI_SUBMIT) {
			char line[512];
			snprintf(line, sizeof(line), "%s", cmdline_text(&a->cmd));
			cmdline_history_add(&a->cmd, line);
			close_modal(a, idx);
			app_command(a, line);
		} else if (r & TUI_CANCEL) {
			close_modal(a, idx);
		}
		return r | TUI_CONSUMED;
	}
	case MODAL_FILTER: {
		struct view *v = app_top(a);
		unsigned r = cmdline_key(&a->flt, key);
		if (!v || !v->ops->filter) {
			close_modal(a, idx);
			return TUI_CONSUMED;
		}
		if (r & TUI_SUBMIT) {
			char text[256];
			snprintf(text, sizeof(text), "%s", cmdline_text(&a->flt));
			cmdline_history_add(&a->flt, text);
			/* typing applied it already; only a refused text needs Enter's message */
			if (strcmp(text, v->filter) == 0 ||
			    apply_filter(a, v, text, false) == R1_OK)
				close_modal(a, idx);
		} else if (r & TUI_CANCEL) {
			apply_filter(a, v, md->filter_before, true);
			close_modal(a, idx);
		} else if (r & TUI_CHANGED) {
			/* live: the table follows the typing; errors wait for Enter */
			apply_filter(a, v, cmdline_text(&a->flt), true);
		}
		return r | TUI_CONSUMED;
	}
	case MODAL_HELP: {
		unsigned r = help_key(&a->help, key);
		if (r & TUI_CANCEL)
			close_modal(a, idx);
		return r | TUI_CONSUMED;
	}
	case MODAL_DIALOG: {
		unsigned r = dialog_key(md->dialog, key);
		if (r & (TUI_SUBMIT | TUI_CANCEL)) {
			bool yes = (r & TUI_SUBMIT) && md->dialog->chosen == 0;
			app_yes_fn fn = md->yes;
			void *ctx = md->ctx;
			void (*free_ctx)(void *) = md->free_ctx;
			md->free_ctx = NULL; /* run after yes */
			close_modal(a, idx);
			if (yes && fn)
				fn(a, ctx);
			if (free_ctx)
				free_ctx(ctx);
		}
		return r | TUI_CONSUMED;
	}
	case MODAL_FORM: {
		unsigned r = form_key(md->form, key);
		if (r & TUI_SUBMIT) {
			struct form *f = md->form;
			/* the callback may push a confirmation above the form */
			bool close = !md->submit || md->submit(a, f, md->ctx);
			if (close) {
				for (size_t i = 0; i < a->nmodals; i++)
					if (a->modals[i].form == f) {
						close_modal(a, i);
						break;
					}
			}
		} else if (r & TUI_CANCEL) {
			close_modal(a, idx);
		}
		return r | TUI_CONSUMED;
	}
	}
	return TUI_CONSUMED;
}

unsigned app_key(struct app *a, int key)
{
	unsigned r;
	bury(a);
	if (key == TUI_KEY_NONE)
		return TUI_IGNORED;
	if (key == TUI_KEY_RESIZE) {
		app_dirty(a);
		return TUI_CONSUMED | TUI_REDRAW;
	}
	struct modal *md = top_modal(a);
	if (md) {
		r = modal_key(a, md, key);
		app_dirty(a);
		return r;
	}
	struct view *v = app_top(a);
	if (v) {
		r = keymap_dispatch(v->keys, v->nkeys, key, a->opt.readonly, v);
		if (r == TUI_IGNORED && v->ops->key)
			r = v->ops->key(v, key);
		if (r != TUI_IGNORED) {
			if (r & (TUI_REDRAW | TUI_CHANGED | TUI_RECALC | TUI_ACTION))
				app_dirty(a);
			return r;
		}
		if (a->opt.readonly && keymap_find(v->keys, v->nkeys, key, false)) {
			app_message(a, TUI_ROLE_STATUS_WARN, "%s",
			            _("read-only: actions that change nodes are off"));
			return TUI_CONSUMED;
		}
	}
	r = keymap_dispatch(global_keys, R1_ARRAY_LEN(global_keys), key, false, a);
	if (r & TUI_REDRAW)
		app_dirty(a);
	return r;
}

void app_type(struct app *a, const char *text)
{
	size_t len = strlen(text), i = 0;
	while (i < len) {
		uint32_t cp;
		i += r1_utf8_decode(text + i, len - i, &cp);
		app_key(a, cp == '\n' ? TUI_KEY_ENTER : (int)cp);
	}
}

/* ------------------------------------------------------------- layout */

struct layout {
	struct grid_area header, title, body, status, bottom;
	int header_rows;
};

static void lay_out(struct app *a, struct layout *l)
{
	struct grid_area all = grid_whole(&a->grid);
	l->header_rows = all.h >= 16 ? 2 : 1;
	int sizes[5] = {l->header_rows, 1, 0, 1, 1};
	struct grid_area parts[5];
	grid_split(all, false, sizes, 5, parts);
	l->header = parts[0];
	l->title = parts[1];
	l->body = parts[2];
	l->status = parts[3];
	l->bottom = parts[4];
}

unsigned app_mouse(struct app *a, const struct tui_mouse *m)
{
	bury(a);
	if (top_modal(a))
		return TUI_CONSUMED; /* modals are keyboard only */
	struct view *v = app_top(a);
	if (!v || !v->ops->mouse)
		return TUI_IGNORED;
	struct layout l;
	lay_out(a, &l);
	if (m->x < l.body.x || m->y < l.body.y || m->x >= l.body.x + l.body.w ||
	    m->y >= l.body.y + l.body.h)
		return TUI_IGNORED;
	struct tui_mouse rel = *m;
	rel.x -= l.body.x;
	rel.y -= l.body.y;
	unsigned r = v->ops->mouse(v, &rel);
	if (r != TUI_IGNORED)
		app_dirty(a);
	return r;
}

/* ------------------------------------------------------------- drawing */

struct hitem {
	const char *label; /* translated, or "" */
	char value[TUI_MODEL_TEXT_MAX + 64];
	uint16_t role; /* of the value */
};

/* Items left to right, each dropped when it no longer fits. */
static void draw_items(struct grid_area a, int y, const struct hitem *it, size_t n)
{
	grid_fill(a, 0, y, a.w, 1, ' ', TUI_ROLE_HEADER, 0);
	int x = 1;
	for (size_t i = 0; i < n; i++) {
		if (!it[i].value[0])
			continue;
		int w = grid_text_width(it[i].label) + (it[i].label[0] ? 1 : 0) +
		        grid_text_width(it[i].value);
		if (x + w > a.w && i > 0)
			continue;
		if (it[i].label[0]) {
			x = grid_text(a, x, y, it[i].label, TUI_ROLE_HEADER_LABEL, 0);
			x++;
		}
		x = grid_text(a, x, y, it[i].value, it[i].role, 0);
		x += 2;
	}
}

static void draw_header(struct app *a, const struct layout *l)
{
	struct tui_model *m = a->m;
	char buf[64], left[32];
	size_t online = netmap_online_count(m->nm), total = netmap_count(m->nm);
	int64_t now_us = m->now_ms * 1000;
	int64_t epoch = epoch_id_at(&m->epochs, now_us);
	fmt_duration(left, sizeof(left), (double)epoch_time_to_next_us(&m->epochs, now_us) / 1e6);
	/* line 1: where we are and who we are; line 2: the network now */
	struct hitem line1[] = {
	    {"", "r1console", TUI_ROLE_HEADER_VALUE},
	    {_("net"), "", TUI_ROLE_HEADER_VALUE},
	    {_("me"), "", TUI_ROLE_HEADER_VALUE},
	    {"", "", TUI_ROLE_STATUS_WARN},
	};
	snprintf(line1[1].value, sizeof(line1[1].value), "%s", m->network);
	size_t alen = strlen(m->self_addr);
	if (alen > 16)
		snprintf(line1[2].value, sizeof(line1[2].value), "%s (%.7s..%s)", m->self_alias,
		         m->self_addr, m->self_addr + alen - 4);
	else
		snprintf(line1[2].value, sizeof(line1[2].value), "%s", m->self_alias);
	if (a->opt.readonly)
		snprintf(line1[3].value, sizeof(line1[3].value), "%s", _("READ-ONLY"));
	struct hitem line2[] = {
	    {_("nodes"), "", TUI_ROLE_HEADER_VALUE},   {_("epoch"), "", TUI_ROLE_HEADER_VALUE},
	    {_("next in"), "", TUI_ROLE_HEADER_VALUE}, {_("broker"), "", TUI_ROLE_HEADER_VALUE},
	    {_("msgs"), "", TUI_ROLE_HEADER_VALUE},    {_("pending"), "", TUI_ROLE_STATUS_WARN},
	    {_("oracles"), "", TUI_ROLE_HEADER_VALUE},
	};
	snprintf(line2[0].value, sizeof(line2[0].value), _("%zu/%zu online"), online, total);
	if (total && online < total)
		line2[0].role = TUI_ROLE_STATUS_WARN;
	snprintf(line2[1].value, sizeof(line2[1].value), "%" PRId64, epoch);
	snprintf(line2[2].value, sizeof(line2[2].value), "%s", left);
	snprintf(line2[3].value, sizeof(line2[3].value), "%s", m->broker);
	uint64_t msgs = m->streams[STREAM_PAYLOADS].total + m->streams[STREAM_NOTIFICATIONS].total;
	snprintf(line2[4].value, sizeof(line2[4].value), "%s", fmt_count(buf, sizeof(buf), msgs));
	size_t pending = m->sess ? session_pending(m->sess) : 0;
	if (pending)
		snprintf(line2[5].value, sizeof(line2[5].value), "%zu", pending);
	size_t oracles = 0;
	for (size_t i = 0; i < netmap_oracle_count(m->nm); i++)
		oracles += netmap_oracle_at(m->nm, i)->trusted;
	snprintf(line2[6].value, sizeof(line2[6].value), "%zu", oracles);
	if (l->header_rows >= 2) {
		draw_items(l->header, 0, line1, R1_ARRAY_LEN(line1));
		draw_items(l->header, 1, line2, R1_ARRAY_LEN(line2));
	} else {
		struct hitem one[] = {line1[0], line2[0], line2[1], line2[2], line1[3]};
		draw_items(l->header, 0, one, R1_ARRAY_LEN(one));
	}
}

static void draw_title(struct app *a, const struct layout *l)
{
	struct grid_area t = l->title;
	grid_fill(t, 0, 0, t.w, 1, ' ', TUI_ROLE_DEFAULT, 0);
	int x = 1;
	uint32_t sep = grid_glyph(&a->grid, 0x203A, '>');
	for (size_t i = 0; i < a->depth; i++) {
		if (i) {
			x++;
			x += grid_put(t, x, 0, sep, TUI_ROLE_BORDER, 0);
			x++;
		}
		uint16_t role = i + 1 == a->depth ? TUI_ROLE_TITLE : TUI_ROLE_LABEL;
		x = grid_text(t, x, 0, a->stack[i]->crumb, role, i + 1 == a->depth ? GRID_BOLD : 0);
	}
	struct view *v = app_top(a);
	if (v && v->filter[0]) {
		char f[300];
		snprintf(f, sizeof(f), "/%s", v->filter);
		int w = R1_MIN(grid_text_width(f), t.w - x - 2);
		if (w > 0)
			grid_field(t, t.w - w - 1, 0, w, GRID_ALIGN_RIGHT, f, TUI_ROLE_PROMPT_HINT,
			           0);
	}
}

static void draw_bottom(struct app *a, const struct layout *l, struct modal *md)
{
	if (md && md->kind == MODAL_CMD) {
		cmdline_draw(&a->cmd, l->bottom, 0);
		return;
	}
	if (md && md->kind == MODAL_FILTER) {
		cmdline_draw(&a->flt, l->bottom, 0);
		return;
	}
	struct view *v = app_top(a);
	const struct keymap_entry *maps[2] = {v ? v->keys : NULL, global_keys};
	size_t counts[2] = {v ? v->nkeys : 0, R1_ARRAY_LEN(global_keys)};
	keybar_draw(l->bottom, 0, maps, counts, 2, a->opt.readonly);
}

static void draw_modal(struct app *a, const struct layout *l, struct modal *md)
{
	struct grid_area over =
	    grid_sub(grid_whole(&a->grid), 0, l->title.y, a->grid.w, l->status.y - l->title.y);
	switch (md->kind) {
	case MODAL_CMD:
	case MODAL_FILTER:
		break;
	case MODAL_HELP:
		help_draw(&a->help, over);
		break;
	case MODAL_DIALOG:
		dialog_draw(md->dialog, over);
		break;
	case MODAL_FORM: {
		int w = R1_MIN(over.w - 2, APP_FORM_MAX_W);
		int need = 0;
		for (size_t i = 0; i < md->form->n; i++) {
			const struct field *f = md->form->fields[i];
			need += (f->kind == FIELD_MULTI      ? f->rows
			         : f->kind == FIELD_TEXTAREA ? 1 + f->rows
			                                     : 1) +
			        1;
		}
		int h = R1_MIN(over.h, need + 4);
		struct grid_area box = grid_sub(over, (over.w - w) / 2, (over.h - h) / 2, w, h);
		grid_fill(box, 0, 0, box.w, box.h, ' ', TUI_ROLE_DIALOG, 0);
		struct grid_area in = grid_frame(box, md->title, GRID_LINE_LIGHT, TUI_ROLE_BORDER,
		                                 TUI_ROLE_DIALOG_TITLE);
		form_draw(md->form, grid_sub(in, 0, 0, in.w, in.h - 1));
		grid_field(in, 0, in.h - 1, in.w, GRID_ALIGN_RIGHT,
		           _("Enter or ^S: send  Tab: next field  Esc: cancel"),
		           TUI_ROLE_PROMPT_HINT, 0);
		break;
	}
	}
}

static void render(struct app *a)
{
	bury(a);
	if (!a->m->clock_fixed)
		a->m->now_ms = tui_wall_ms();
	if (a->screen) {
		int w, h;
		screen_size(a->screen, &w, &h);
		if (w != a->grid.w || h != a->grid.h)
			grid_resize(&a->grid, R1_MAX(w, 1), R1_MAX(h, 1));
	}
	grid_clear(&a->grid, TUI_ROLE_DEFAULT);
	struct layout l;
	lay_out(a, &l);
	draw_header(a, &l);
	draw_title(a, &l);
	struct view *v = app_top(a);
	if (v)
		v->ops->draw(v, l.body);
	struct buf left = BUF_INIT;
	if (v && v->ops->status)
		v->ops->status(v, &left);
	char clock[16];
	statusbar_set(&a->sb, buf_ok(&left) && left.data ? buf_cstr(&left) : "",
	              fmt_clock(clock, sizeof(clock), a->m->now_ms));
	buf_release(&left);
	statusbar_draw(&a->sb, l.status, 0, a->m->now_ms);
	struct modal *md = top_modal(a);
	for (size_t i = 0; i < a->nmodals; i++)
		draw_modal(a, &l, &a->modals[i]);
	draw_bottom(a, &l, md);
	if (a->screen)
		screen_flush(a->screen, &a->grid);
	if (a->opt.dump_path)
		dump_frame(a);
	a->frames++;
	a->last_frame_real = real_ms();
	a->dirty = false;
}

/* The frame as text into opt.dump_path, replaced atomically (tests). */
static void dump_frame(struct app *a)
{
	struct buf b = BUF_INIT, tmp = BUF_INIT;
	grid_dump(&a->grid, &b);
	buf_addf(&tmp, "%s.tmp", a->opt.dump_path);
	FILE *f = buf_ok(&tmp) ? fopen(buf_cstr(&tmp), "we") : NULL;
	if (f) {
		bool good = b.len == 0 || fwrite(b.data, 1, b.len, f) == b.len;
		if (fclose(f) == 0 && good)
			rename(buf_cstr(&tmp), a->opt.dump_path);
	}
	buf_release(&b);
	buf_release(&tmp);
}

void app_render(struct app *a)
{
	render(a);
}

void app_resize(struct app *a, int w, int h)
{
	if (grid_resize(&a->grid, R1_MAX(w, 1), R1_MAX(h, 1)) == R1_OK)
		app_dirty(a);
}

const struct grid *app_grid(const struct app *a)
{
	return &a->grid;
}

/* ---------------------------------------------------------------- theme */

/*
 * The installed themes, or, for a binary run from its build tree before
 * `make install`, the source tree's: the first of the two holding the
 * default theme.
 */
static const char *default_theme_dir(void)
{
	static const char *const dirs[] = {PKGDATADIR "/themes", R1_SRCDIR "/data/themes"};
	for (size_t i = 0; i < R1_ARRAY_LEN(dirs); i++) {
		char probe[1024];
		snprintf(probe, sizeof(probe), "%s/default.theme", dirs[i]);
		if (access(probe, R_OK) == 0)
			return dirs[i];
	}
	return dirs[0];
}

static bool set_theme(struct app *a, const char *name)
{
	if (a->opt.headless)
		return true; /* roles are drawn, colours are the terminal's business */
	if (!name || !*name)
		name = "default";
	int colours = a->screen ? screen_colours(a->screen) : 256;
	if (a->opt.no_colour)
		colours = 0;
	char *why = NULL;
	enum r1_err e = theme_pick(&a->theme, a->theme_dir, name, colours, &why);
	if (e)
		app_message(a, TUI_ROLE_STATUS_WARN, _("theme %s: %s"), name, why ? why : "");
	r1_free(why);
	if (a->screen)
		screen_apply_theme(a->screen, &a->theme);
	app_dirty(a);
	return e == R1_OK;
}

/* --------------------------------------------------------------- events */

static void on_nm_event(void *ctx, const struct nm_event *ev)
{
	struct app *a = ctx;
	struct view *v = app_top(a);
	bool dirty = ev->type == NM_EV_NODE_NEW || ev->type == NM_EV_NODE_ONLINE ||
	             ev->type == NM_EV_NODE_LOST || ev->type == NM_EV_ORACLE_REPORT;
	if (v && v->ops->event && v->ops->event(v, ev))
		dirty = true;
	if (dirty)
		app_dirty(a);
}

static void on_stream(void *ctx, enum stream_kind k, const struct stream_entry *e)
{
	struct app *a = ctx;
	struct view *v = app_top(a);
	if (v && v->ops->message && v->ops->message(v, k, e))
		app_dirty(a);
}

static void on_host(void *ctx, struct tui_host *h)
{
	struct app *a = ctx;
	struct view *v = app_top(a);
	if (v && v->ops->host && v->ops->host(v, h))
		app_dirty(a);
}

static void on_log_call(void *ctx)
{
	struct app *a = ctx;
	atomic_store(&a->log_pending, false);
	struct view *v = app_top(a);
	if (v && v->ops->log && v->ops->log(v))
		app_dirty(a);
}

static void on_log_posted(void *ctx)
{
	struct app *a = ctx;
	loop_call_schedule(a->loop, &a->log_call);
}

/* Any thread: a log line was kept. */
static void on_log_line(void *ctx, const struct r1_log_line *line)
{
	(void)line;
	struct app *a = ctx;
	if (!atomic_exchange(&a->log_pending, true))
		loop_post(a->loop, on_log_posted, a);
}

static void on_tick(void *ctx, struct loop_timer *t)
{
	(void)t;
	struct app *a = ctx;
	struct view *v = app_top(a);
	/* the header's countdown and the clock move every second */
	bool dirty = true;
	if (v && v->ops->tick)
		dirty = v->ops->tick(v) || dirty;
	if (dirty)
		app_dirty(a);
}

static void on_input(void *ctx, int fd, unsigned revents)
{
	(void)fd;
	(void)revents;
	struct app *a = ctx;
	for (int i = 0; i < 4096 && !a->quitting; i++) {
		int key = screen_read_key(a->screen, 0);
		if (key == TUI_KEY_NONE)
			break;
		if (key == TUI_KEY_MOUSE) {
			struct tui_mouse m;
			if (screen_mouse(a->screen, &m))
				app_mouse(a, &m);
			continue;
		}
		app_key(a, key);
	}
}

static void on_signal(void *ctx, int signo)
{
	struct app *a = ctx;
	if (signo == SIGWINCH) {
		screen_resized(a->screen);
		app_dirty(a);
		return;
	}
	quit(a);
}

/* ------------------------------------------------------------ lifetime */

enum r1_err app_new(struct loop *loop, struct tui_model *model, const struct app_options *opt,
                    struct app **out, char **why)
{
	*out = NULL;
	struct app *a = r1_calloc(1, sizeof(*a));
	if (!a)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	a->loop = loop;
	a->m = model;
	if (opt)
		a->opt = *opt;
	if (!a->opt.frame_ms)
		a->opt.frame_ms = APP_FRAME_MS;
	a->theme_name = r1_strdup(a->opt.theme ? a->opt.theme : "default");
	a->theme_dir = r1_strdup(a->opt.theme_dir ? a->opt.theme_dir : default_theme_dir());
	a->start = r1_strdup(a->opt.start ? a->opt.start : "nodes");
	a->opt.theme = a->opt.theme_dir = a->opt.start = NULL;
	statusbar_init(&a->sb);
	cmdline_init(&a->cmd, ":", 0);
	cmdline_init(&a->flt, "/", 0);
	cmdline_set_completion(&a->cmd, complete, a);
	theme_init_mono(&a->theme);
	loop_call_init(&a->frame_call, on_frame_call, a);
	loop_call_init(&a->log_call, on_log_call, a);
	atomic_init(&a->log_pending, false);
	int w = a->opt.width > 0 ? a->opt.width : APP_DEFAULT_W;
	int h = a->opt.height > 0 ? a->opt.height : APP_DEFAULT_H;
	enum r1_err e = R1_OK;
	if (!a->theme_name || !a->theme_dir || !a->start)
		e = R1_ERR_NOMEM;
	if (!e)
		e = grid_init(&a->grid, w, h, a->opt.ascii);
	if (!e && loop) {
		a->frame_timer = loop_timer_new(loop, on_frame_timer, a);
		a->tick_timer = loop_timer_new(loop, on_tick, a);
		if (!a->frame_timer || !a->tick_timer)
			e = R1_ERR_NOMEM;
	}
	if (e) {
		app_free(&a);
		return r1_fail(why, e, "%s", _("out of memory"));
	}
	if (model->nm) {
		e = netmap_observe(model->nm, on_nm_event, a);
		if (e) {
			app_free(&a);
			return r1_fail(why, e, "%s",
			               _("the network model has no room for the console"));
		}
		a->observing = true;
	}
	model->on_stream = on_stream;
	model->on_stream_ctx = a;
	model->on_host = on_host;
	model->on_host_ctx = a;
	if (loop) {
		if (model->log)
			r1_log_set_observer(model->log, on_log_line, a);
		if (model->node_log && model->node_log != model->log)
			r1_log_set_observer(model->node_log, on_log_line, a);
	}
	*out = a;
	return R1_OK;
}

static void open_start(struct app *a)
{
	if (app_command(a, a->start) && a->depth)
		return;
	/* a bad start command: fall back to the network view */
	const struct view_class *c = view_class_find("nodes");
	struct view *v = NULL;
	if (c && c->open(a, NULL, &v, NULL) == R1_OK)
		app_push(a, v);
}

enum r1_err app_start(struct app *a, char **why)
{
	if (a->started)
		return r1_fail(why, R1_ERR_STATE, "app already started");
	if (!a->opt.headless) {
		struct screen_opts so = {
		    .no_colour = a->opt.no_colour,
		    .ascii = a->opt.ascii,
		    .mouse = !a->opt.no_mouse,
		};
		enum r1_err e = screen_open(&a->screen, &so, why);
		if (e)
			return e;
		int w, h;
		screen_size(a->screen, &w, &h);
		grid_release(&a->grid);
		e = grid_init(&a->grid, R1_MAX(w, 1), R1_MAX(h, 1), !screen_utf8(a->screen));
		if (e)
			return r1_fail(why, e, "%s", _("out of memory"));
		a->input =
		    loop_watch_add(a->loop, screen_input_fd(a->screen), LOOP_READ, on_input, a);
		if (!a->input)
			return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
		static const int sigs[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
		for (size_t i = 0; i < R1_ARRAY_LEN(sigs); i++) {
			e = loop_signal(a->loop, sigs[i], on_signal, a, why);
			if (e)
				return e;
		}
	}
	set_theme(a, a->theme_name);
	a->started = true;
	open_start(a);
	if (a->tick_timer)
		loop_timer_start(a->tick_timer, loop_ms(a, APP_TICK_MS), loop_ms(a, APP_TICK_MS));
	app_dirty(a);
	return R1_OK;
}

void app_free(struct app **ap)
{
	struct app *a = *ap;
	if (!a)
		return;
	while (a->nmodals)
		close_modal(a, a->nmodals - 1);
	while (a->depth)
		view_free(a->stack[--a->depth]);
	bury(a);
	/* their answers would come to nobody: the owners cancel them */
	while (a->ops) {
		struct app_op *op = a->ops;
		app_op_end(a, op);
		op->cancel(op->ctx);
	}
	if (a->m->on_host_ctx == a) {
		a->m->on_host = NULL;
		a->m->on_host_ctx = NULL;
	}
	if (a->observing)
		netmap_unobserve(a->m->nm, on_nm_event, a);
	if (a->m->on_stream_ctx == a) {
		a->m->on_stream = NULL;
		a->m->on_stream_ctx = NULL;
	}
	if (a->loop) {
		if (a->m->log)
			r1_log_set_observer(a->m->log, NULL, NULL);
		if (a->m->node_log)
			r1_log_set_observer(a->m->node_log, NULL, NULL);
		loop_call_cancel(a->loop, &a->frame_call);
		loop_call_cancel(a->loop, &a->log_call);
	}
	loop_watch_remove(a->loop, &a->input);
	loop_timer_free(&a->frame_timer);
	loop_timer_free(&a->tick_timer);
	screen_close(&a->screen);
	grid_release(&a->grid);
	cmdline_release(&a->cmd);
	cmdline_release(&a->flt);
	r1_free(a->words);
	r1_free(a->theme_name);
	r1_free(a->theme_dir);
	r1_free(a->start);
	r1_free(a);
	*ap = NULL;
}

/* ------------------------------------------------------------- accessors */

struct tui_model *app_model(struct app *a)
{
	return a->m;
}

bool app_readonly(const struct app *a)
{
	return a->opt.readonly;
}

struct loop *app_loop(struct app *a)
{
	return a->loop;
}

/* ---------------------------------------------------- engine operations */

void app_op_start(struct app *a, struct app_op *op)
{
	op->prev = NULL;
	op->next = a->ops;
	if (a->ops)
		a->ops->prev = op;
	a->ops = op;
}

void app_op_end(struct app *a, struct app_op *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else if (a->ops == op)
		a->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	op->prev = op->next = NULL;
}

/* --------------------------------------------------------- transactions */

static void on_txn_done(void *ctx, struct session *s, const struct txn *t)
{
	(void)s;
	struct app *a = ctx;
	const char *label = t->label ? t->label : "";
	switch (t->state) {
	case TXN_OK:
		app_message(a, TUI_ROLE_STATUS_OK, _("%s: confirmed by the node"), label);
		break;
	case TXN_FAILED:
		app_message(a, TUI_ROLE_STATUS_ERROR, _("%s: failed: %s"), label,
		            t->reason ? t->reason : "");
		break;
	case TXN_TIMEOUT:
		app_message(a, TUI_ROLE_STATUS_WARN, _("%s: no answer: %s"), label,
		            t->reason ? t->reason : "");
		break;
	case TXN_PENDING:
		break;
	}
}

void app_session_call(struct app *a, struct session_call *out)
{
	memset(out, 0, sizeof(*out));
	out->done = on_txn_done;
	out->ctx = a;
}
