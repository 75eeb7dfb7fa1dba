/*
 * The ncursesw backend (see screen_curses.h).  It turns grids into curses
 * calls and curses keys into tui keys, and nothing else: no layout, no
 * widget, no view.  It keeps a copy of the last frame so a flush writes only
 * what changed (curses diffs again against the terminal, but this keeps
 * our cost per frame proportional to the change, not to the screen).
 *
 * The terminal-restoring signal handler needs state outside any object: the
 * escape sequences and terminal modes to put back.  That is the one piece of
 * file-level mutable state here, written before the handlers are installed
 * and only read (with async-signal-safe calls) inside them.
 */
#include "tui/lib.h"
#include "tui/screen_curses.h"
#include "tui/keys.h"

#include <langinfo.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <wchar.h>

#include <curses.h>
#include <term.h>

struct screen {
	SCREEN *scr;
	FILE *in, *out;
	int colours;
	bool utf8;
	struct grid last;	 /* what the terminal shows */
	bool full;		 /* repaint everything at the next flush */
	attr_t role_attr[TUI_ROLE__COUNT];
	short role_pair[TUI_ROLE__COUNT];
	size_t flushed;		 /* cells written by the last flush */
	bool cursor_shown;
	bool mouse_on;
	bool have_mouse;	 /* `mouse` holds the event of the last TUI_KEY_MOUSE */
	struct tui_mouse mouse;
};

/* ---------------------------------------------- restoring on fatal signals */

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT};

static struct {
	volatile sig_atomic_t active; /* a screen is open */
	int fd;			      /* the terminal's output fd */
	struct termios modes;	      /* as they were before screen_open */
	bool have_modes;
	char reset[256];	      /* rmcup, cnorm, sgr0, rmkx */
	size_t reset_len;
	struct sigaction old[R1_ARRAY_LEN(fatal_signals)];
	bool atexit_done;
} restore;

static void restore_terminal(void)
{
	if (!restore.active)
		return;
	restore.active = 0;
	ssize_t r = write(restore.fd, restore.reset, restore.reset_len);
	(void)r;
	if (restore.have_modes)
		tcsetattr(restore.fd, TCSANOW, &restore.modes);
}

static void fatal_signal(int sig)
{
	restore_terminal();
	for (size_t i = 0; i < R1_ARRAY_LEN(fatal_signals); i++)
		if (fatal_signals[i] == sig)
			sigaction(sig, &restore.old[i], NULL);
	raise(sig); /* delivered to the previous handler once this one returns */
}

static void add_text(const char *cap)
{
	size_t n = strlen(cap);
	if (restore.reset_len + n > sizeof(restore.reset))
		return;
	memcpy(restore.reset + restore.reset_len, cap, n);
	restore.reset_len += n;
}

static void add_cap(const char *name)
{
	char *cap = tigetstr(name);
	if (cap && cap != (char *)-1)
		add_text(cap);
}

static void install_restore(int fd)
{
	restore.fd = fd;
	restore.reset_len = 0;
	add_cap("sgr0");
	add_cap("cnorm");
	add_cap("rmkx");
	add_cap("rmcup");
	restore.active = 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < R1_ARRAY_LEN(fatal_signals); i++)
		sigaction(fatal_signals[i], &sa, &restore.old[i]);
	if (!restore.atexit_done)
		restore.atexit_done = atexit(restore_terminal) == 0;
}

static void remove_restore(void)
{
	restore.active = 0;
	for (size_t i = 0; i < R1_ARRAY_LEN(fatal_signals); i++)
		sigaction(fatal_signals[i], &restore.old[i], NULL);
}

/* ------------------------------------------------------------ open, close */

enum r1_err screen_open(struct screen **out, const struct screen_opts *opts, char **why)
{
	*out = NULL;
	if (restore.active)
		return r1_fail(why, R1_ERR_STATE, _("the terminal is already in use"));
	struct screen_opts o = {0};
	if (opts)
		o = *opts;
	FILE *in = o.in ? o.in : stdin, *outf = o.out ? o.out : stdout;
	if (!isatty(fileno(outf)) || !isatty(fileno(in)))
		return r1_fail(why, R1_ERR_IO, _("not a terminal"));
	struct screen *s = r1_calloc(1, sizeof(*s));
	if (!s)
		return R1_ERR_NOMEM;
	s->in = in;
	s->out = outf;
	restore.have_modes = tcgetattr(fileno(outf), &restore.modes) == 0;
	s->scr = newterm(NULL, outf, in);
	if (!s->scr) {
		const char *term = getenv("TERM");
		r1_free(s);
		return r1_fail(why, R1_ERR_IO, _("cannot use the terminal type '%s'"),
			       term ? term : "");
	}
	set_term(s->scr);
	install_restore(fileno(outf));
	cbreak();
	{
		/* ^S is a key (submit a form), not XOFF */
		struct termios tio;
		if (tcgetattr(fileno(in), &tio) == 0) {
			tio.c_iflag &= ~(tcflag_t)IXON;
			tcsetattr(fileno(in), TCSANOW, &tio);
			def_prog_mode();
		}
	}
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	s->cursor_shown = false;
	if (has_colors() && !o.no_colour) {
		start_color();
		use_default_colors();
		s->colours = COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : COLORS >= 8 ? 8 : 0;
	}
	if (o.mouse) {
		mmask_t want = BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED;
#ifdef BUTTON5_PRESSED
		want |= BUTTON5_PRESSED;
#endif
		s->mouse_on = mousemask(want, NULL) != 0;
		mouseinterval(200);
		if (s->mouse_on) /* xterm mouse reporting off, if we die */
			add_text("\033[?1000l\033[?1002l\033[?1006l");
	}
	const char *codeset = nl_langinfo(CODESET);
	s->utf8 = !o.ascii && codeset && strcmp(codeset, "UTF-8") == 0;
	if (grid_init(&s->last, 0, 0, !s->utf8) != R1_OK) {
		screen_close(&s);
		return R1_ERR_NOMEM;
	}
	s->full = true;
	struct theme mono;
	theme_init_mono(&mono);
	screen_apply_theme(s, &mono);
	*out = s;
	return R1_OK;
}

void screen_close(struct screen **sp)
{
	struct screen *s = *sp;
	if (!s)
		return;
	if (s->scr) {
		if (s->mouse_on)
			mousemask(0, NULL);
		curs_set(1);
		endwin();
		delscreen(s->scr);
	}
	if (restore.have_modes)
		tcsetattr(restore.fd, TCSANOW, &restore.modes);
	remove_restore();
	grid_release(&s->last);
	r1_free(s);
	*sp = NULL;
}

int screen_colours(const struct screen *s)
{
	return s->colours;
}

bool screen_utf8(const struct screen *s)
{
	return s->utf8;
}

void screen_size(const struct screen *s, int *w, int *h)
{
	int y, x;
	getmaxyx(stdscr, y, x);
	*w = x;
	*h = y;
}

int screen_input_fd(const struct screen *s)
{
	return fileno(s->in);
}

void screen_invalidate(struct screen *s)
{
	s->full = true;
}

/* ----------------------------------------------------------------- styles */

static const struct {
	uint16_t grid;
	attr_t curses;
} attr_map[] = {
	{GRID_BOLD, A_BOLD},	       {GRID_DIM, A_DIM},     {GRID_UNDERLINE, A_UNDERLINE},
	{GRID_REVERSE, A_REVERSE}, {GRID_ITALIC, A_ITALIC}, {GRID_BLINK, A_BLINK},
};

static attr_t curses_attrs(uint16_t a)
{
	attr_t r = A_NORMAL;
	for (size_t i = 0; i < R1_ARRAY_LEN(attr_map); i++)
		if (a & attr_map[i].grid)
			r |= attr_map[i].curses;
	return r;
}

static short clamp_colour(const struct screen *s, int16_t c)
{
	if (c < 0)
		return -1;
	return c < s->colours ? c : (short)(c % 8);
}

void screen_apply_theme(struct screen *s, const struct theme *t)
{
	for (int r = 0; r < TUI_ROLE__COUNT; r++) {
		const struct theme_style *st = &t->style[r];
		s->role_attr[r] = curses_attrs(st->attr);
		s->role_pair[r] = 0;
		if (s->colours == 0 || r + 1 >= COLOR_PAIRS)
			continue;
		short fg = clamp_colour(s, st->fg), bg = clamp_colour(s, st->bg);
		if (fg < 0 && bg < 0)
			continue;
		if (init_pair((short)(r + 1), fg, bg) == OK)
			s->role_pair[r] = (short)(r + 1);
	}
	s->full = true;
}

/* ------------------------------------------------------------------ flush */

static bool same_cell(const struct grid_cell *a, const struct grid_cell *b)
{
	return a->cp == b->cp && a->mark == b->mark && a->role == b->role && a->attr == b->attr;
}

static void put_cell(struct screen *s, int x, int y, const struct grid_cell *c)
{
	uint16_t role = c->role < TUI_ROLE__COUNT ? c->role : 0;
	wchar_t wc[3] = {(wchar_t)c->cp, (wchar_t)c->mark, 0};
	if (c->cp < 0x20 || c->cp == 0x7F || (c->cp >= 0x80 && c->cp < 0xA0))
		wc[0] = L'?'; /* the grid never holds these; never emit one anyway */
	cchar_t cc;
	setcchar(&cc, wc, s->role_attr[role] | curses_attrs(c->attr), s->role_pair[role], NULL);
	mvwadd_wch(stdscr, y, x, &cc);
}

enum r1_err screen_flush(struct screen *s, const struct grid *g)
{
	if (g->w != s->last.w || g->h != s->last.h) {
		enum r1_err err = grid_resize(&s->last, g->w, g->h);
		if (err)
			return err;
		s->full = true;
	}
	if (s->full) {
		wclear(stdscr);
		clearok(stdscr, TRUE);
	}
	size_t written = 0;
	for (int y = 0; y < g->h; y++) {
		bool prev_written = false;
		for (int x = 0; x < g->w; x++) {
			const struct grid_cell *c = grid_cell_at(g, x, y);
			size_t at = (size_t)y * (size_t)g->w + (size_t)x;
			struct grid_cell *was = &s->last.cells[at];
			bool changed = s->full || !same_cell(c, was);
			*was = *c;
			if (!changed) {
				prev_written = false;
				continue;
			}
			if (c->cp != GRID_CP_CONT) {
				put_cell(s, x, y, c);
				written++;
				prev_written = true;
			} else if (!prev_written && x > 0) {
				/* the right half changed alone: redraw the whole character */
				put_cell(s, x - 1, y, grid_cell_at(g, x - 1, y));
				written++;
			}
		}
	}
	s->full = false;
	s->flushed = written;
	if (g->cursor_on) {
		if (!s->cursor_shown)
			curs_set(1);
		wmove(stdscr, g->cursor_y, g->cursor_x);
	} else if (s->cursor_shown) {
		curs_set(0);
	}
	s->cursor_shown = g->cursor_on;
	wnoutrefresh(stdscr);
	doupdate();
	return R1_OK;
}

size_t screen_last_flush_cells(const struct screen *s)
{
	return s->flushed;
}

void screen_resized(struct screen *s)
{
	struct winsize ws;
	if (ioctl(fileno(s->out), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	s->full = true;
}

/* ------------------------------------------------------------------- keys */

static const struct {
	int curses;
	int key;
} key_map[] = {
	{KEY_UP, TUI_KEY_UP},	      {KEY_DOWN, TUI_KEY_DOWN},	  {KEY_LEFT, TUI_KEY_LEFT},
	{KEY_RIGHT, TUI_KEY_RIGHT},   {KEY_HOME, TUI_KEY_HOME},	  {KEY_END, TUI_KEY_END},
	{KEY_PPAGE, TUI_KEY_PGUP},    {KEY_NPAGE, TUI_KEY_PGDN},  {KEY_IC, TUI_KEY_INSERT},
	{KEY_DC, TUI_KEY_DELETE},     {KEY_BACKSPACE, TUI_KEY_BACKSPACE},
	{KEY_BTAB, TUI_KEY_BTAB},     {KEY_ENTER, TUI_KEY_ENTER}, {KEY_RESIZE, TUI_KEY_RESIZE},
	{KEY_A1, TUI_KEY_HOME},	      {KEY_C1, TUI_KEY_END},	  {KEY_A3, TUI_KEY_PGUP},
	{KEY_C3, TUI_KEY_PGDN},
};

static const struct {
	mmask_t mask;
	enum tui_mouse_kind kind;
} mouse_map[] = {
	{BUTTON1_DOUBLE_CLICKED, TUI_MOUSE_DOUBLE},
	{BUTTON1_CLICKED, TUI_MOUSE_CLICK},
	{BUTTON4_PRESSED, TUI_MOUSE_WHEEL_UP},
#ifdef BUTTON5_PRESSED
	{BUTTON5_PRESSED, TUI_MOUSE_WHEEL_DOWN},
#endif
};

static int read_mouse(struct screen *s)
{
	MEVENT ev;
	s->have_mouse = false;
	if (!s->mouse_on || getmouse(&ev) != OK)
		return TUI_KEY_NONE;
	for (size_t i = 0; i < R1_ARRAY_LEN(mouse_map); i++)
		if (ev.bstate & mouse_map[i].mask) {
			s->mouse = (struct tui_mouse){mouse_map[i].kind, ev.x, ev.y};
			s->have_mouse = true;
			return TUI_KEY_MOUSE;
		}
	return TUI_KEY_NONE;
}

bool screen_mouse(struct screen *s, struct tui_mouse *out)
{
	if (!s->have_mouse)
		return false;
	*out = s->mouse;
	return true;
}

int screen_read_key(struct screen *s, int timeout_ms)
{
	wtimeout(stdscr, timeout_ms);
	wint_t wc;
	int r = wget_wch(stdscr, &wc);
	if (r == ERR)
		return TUI_KEY_NONE;
	if (r == KEY_CODE_YES) {
		if (wc == KEY_MOUSE)
			return read_mouse(s);
		if (wc >= (wint_t)KEY_F(1) && wc <= (wint_t)KEY_F(12))
			return TUI_KEY_F1 + (int)(wc - KEY_F(1));
		for (size_t i = 0; i < R1_ARRAY_LEN(key_map); i++)
			if ((wint_t)key_map[i].curses == wc) {
				if (key_map[i].key == TUI_KEY_RESIZE)
					s->full = true;
				return key_map[i].key;
			}
		return TUI_KEY_NONE;
	}
	if (wc == 127 || wc == 8)
		return TUI_KEY_BACKSPACE;
	if (wc == '\n' || wc == '\r')
		return TUI_KEY_ENTER;
	if (wc > 0x10FFFF)
		return TUI_KEY_NONE;
	return (int)wc;
}
