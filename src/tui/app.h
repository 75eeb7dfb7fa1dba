#ifndef R1_TUI_APP_H
#define R1_TUI_APP_H
/*
 * The console's glue on the core loop: the terminal, the view stack, the
 * header, the status and key bars, the ':' command line, the '/' filter,
 * the help overlay, modal dialogs and forms, and the frame clock.
 *
 * Everything runs on the loop thread.  Input is one fd watcher on the
 * terminal (keys read until none is left), SIGWINCH a loop signal, model
 * changes arrive as netmap events, stream records and log lines.  Any of
 * them may mark the screen dirty; a dirty screen is drawn once, on the next
 * loop iteration, and never sooner than frame_ms after the previous frame
 * (a busy network costs at most 1000 / frame_ms frames a second).  With
 * nothing changing, the only timer left is a one-second tick, armed only
 * while the view on top shows ages or countdowns, or a message is due to
 * expire.
 *
 * Headless mode (tests, benchmarks) draws into the app's grid without a
 * terminal: feed keys with app_key, draw with app_render, read the grid.
 *
 * Global keys: ':' command line, '/' filter, '?' help, Esc back, 'q' back
 * (quit from the first view), ^C quit, ^L redraw.  Commands: the view
 * words of the registry, plus "quit"/"q", "back", "help", "theme NAME".
 */
#include "core/common.h"
#include "core/err.h"
#include "tui/grid.h"
#include "tui/model.h"
#include "tui/view.h"

struct loop;
struct app;
struct form;
struct session_call;
struct txn;

struct app_options {
	bool readonly;         /* no action that changes a node */
	bool headless;         /* no terminal: draw into the grid only */
	int width, height;     /* headless size (default 80 x 24) */
	const char *theme;     /* name or path; NULL = "default" */
	const char *theme_dir; /* NULL = the installed data/themes */
	bool no_colour;        /* NO_COLOR or --no-colour */
	bool ascii;            /* ASCII glyphs only */
	bool no_mouse;
	unsigned frame_ms; /* least time between frames; 0 = 100 */
	unsigned speed;    /* the loop's speed factor (loop_set_speed); 0 = 1 */
	const char *start; /* the first command ("nodes", "node oracle"); NULL = "nodes" */
	/*
	 * Tests: after every frame, the frame as text (grid_dump) replaces this
	 * file (borrowed; NULL = none), so a test can compare the terminal with
	 * what the console drew.
	 */
	const char *dump_path;
};

/*
 * A console on `loop` showing `model` (both borrowed, and they must
 * outlive the app).  Nothing is shown before app_start.  Errors:
 * R1_ERR_NOMEM, R1_ERR_TOOBIG (the netmap has no room for an observer).
 */
enum r1_err app_new(struct loop *loop, struct tui_model *model, const struct app_options *opt,
                    struct app **out, char **why);
/*
 * Take the terminal (unless headless), start input, signals and the
 * first view.  Errors: those of screen_open (not a terminal), R1_ERR_STATE.
 */
enum r1_err app_start(struct app *app, char **why);
/* Give the terminal back and free everything; NULLs *app. */
void app_free(struct app **app);
/* Whether the user asked to quit (the owner stops the loop on app_on_quit too). */
bool app_quitting(const struct app *app);
/* Called once when the user quits; the owner usually stops the loop. */
void app_on_quit(struct app *app, void (*fn)(void *ctx), void *ctx);

/* ---- for tests and benchmarks (headless) */

/* Feed one key as if typed; returns the reaction flags. */
unsigned app_key(struct app *app, int key);
/* Feed a mouse event. */
unsigned app_mouse(struct app *app, const struct tui_mouse *m);
/* Type a whole string (each byte or UTF-8 character as a key). */
void app_type(struct app *app, const char *text);
/* Draw a frame into the grid now. */
void app_render(struct app *app);
/* A new size (headless), then a full redraw at the next frame. */
void app_resize(struct app *app, int w, int h);
const struct grid *app_grid(const struct app *app);
/* Frames drawn so far. */
uint64_t app_frames(const struct app *app);
/* Whether a frame is owed (dirty). */
bool app_is_dirty(const struct app *app);

/* ---- for views */

struct tui_model *app_model(struct app *app);
bool app_readonly(const struct app *app);
struct loop *app_loop(struct app *app);
int64_t app_now(const struct app *app);
/* Something visible changed: draw a frame soon. */
void app_dirty(struct app *app);
/*
 * n pointer slots owned by the app, valid until the next call: storage
 * for completion candidates.  NULL on R1_ERR_NOMEM.
 */
const char **app_words(struct app *app, size_t n);
/* The view on top, or NULL. */
struct view *app_top(struct app *app);

/* Push a view made by the caller (owned by the app from here). */
void app_push(struct app *app, struct view *v);
/* Run a ':' command ("node oracle"): open a view, quit...  Errors go to the status bar. */
bool app_command(struct app *app, const char *line);
/* Close the view on top (never the last one). */
void app_pop(struct app *app);

/* A message in the status bar for a few seconds (role: TUI_ROLE_STATUS_*). */
void app_message(struct app *app, uint16_t role, const char *fmt, ...) R1_PRINTF(3, 4);

typedef void (*app_yes_fn)(struct app *app, void *ctx);
/*
 * Ask before doing something: a dialog with the title and the message
 * (what will be sent to whom), Yes/No with the focus on No.  On Yes,
 * yes(app, ctx) runs; free_ctx(ctx) runs either way when the dialog goes
 * (free_ctx may be NULL).
 */
void app_confirm(struct app *app, const char *title, const char *message, bool danger,
                 app_yes_fn yes, void *ctx, void (*free_ctx)(void *ctx));

/*
 * Show a form (taken by the app).  On submit, submit(app, form, ctx) runs;
 * it returns true to close the form, false to keep it (after setting a
 * field's error).  free_ctx(ctx) runs when the form goes.
 */
typedef bool (*app_form_fn)(struct app *app, struct form *form, void *ctx);
void app_form(struct app *app, const char *title, struct form *form, app_form_fn submit, void *ctx,
              void (*free_ctx)(void *ctx));

/*
 * A session call whose outcome (ok, failed with the node's reason, timed
 * out) shows in the status bar and the console log, with the transaction's
 * label ("RESTART node-03").
 */
void app_session_call(struct app *app, struct session_call *out);

#endif
