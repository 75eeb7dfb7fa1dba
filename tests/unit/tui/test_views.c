/*
 * Layout tests of every view of the console, headless (the app drawing
 * into its grid, no terminal) on a fixed network (viewfix.h): each view at
 * 80x24 and 200x50 compared with its expected screen in
 * tests/unit/tui/screens/ (R1_UPDATE_SCREENS=1 rewrites them after a
 * deliberate change: review the diff), plus what must hold whatever the
 * layout: the hostile alias never reaches the screen as an escape
 * sequence, narrow screens drop columns and wide ones show them, key
 * handling (drill-down, back, filter, sort, help, confirmations, forms) and
 * read-only mode.
 */
#include "tui/lib.h"
#include "tui/app.h"
#include "tui/keys.h"
#include "tui/widgets/form.h"
#include "core/netmap.h"
#include "tests/tap.h"
#include "tests/unit/tui/tui_check.h"
#include "tests/unit/tui/viewfix.h"

#include <sys/stat.h>

static struct viewfix F;

static struct app *make_app(int w, int h, bool readonly)
{
	struct app_options o = {.headless = true, .width = w, .height = h, .readonly = readonly};
	struct app *a = NULL;
	char *why = NULL;
	if (app_new(NULL, &F.m, &o, &a, &why) || app_start(a, &why))
		tap_bail("app: %s", why ? why : "?");
	return a;
}

static char *screen_text(struct app *a)
{
	app_render(a);
	struct buf b = BUF_INIT;
	grid_dump(app_grid(a), &b);
	return buf_detach(&b, NULL);
}

static const char *screens_dir(void)
{
	static char dir[600];
	const char *src = getenv("R1_SRCDIR");
	snprintf(dir, sizeof(dir), "%s/tests/unit/tui/screens", src ? src : R1_SRCDIR);
	return dir;
}

/* The screen compared with (or, with R1_UPDATE_SCREENS, written to) its file. */
static void check_screen(struct app *a, const char *name)
{
	char *got = screen_text(a);
	char path[700];
	snprintf(path, sizeof(path), "%s/%s.txt", screens_dir(), name);
	if (getenv("R1_UPDATE_SCREENS")) {
		mkdir(screens_dir(), 0755);
		FILE *fp = fopen(path, "w");
		if (fp) {
			fputs(got, fp);
			fclose(fp);
		}
	}
	size_t len = 0;
	char *want = tap_read_file(path, &len);
	ok(want && strcmp(got, want) == 0, "%s matches %s.txt", name, name);
	if (!want || strcmp(got, want) != 0) {
		tap_diag("got (R1_UPDATE_SCREENS=1 rewrites the file):");
		for (const char *p = got; *p;) {
			size_t n = strcspn(p, "\n");
			tap_diag("|%.*s|", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
	r1_free(want);
	r1_free(got);
}

static bool contains(struct app *a, const char *what)
{
	char *s = screen_text(a);
	bool r = strstr(s, what) != NULL;
	r1_free(s);
	return r;
}

/* No cell of the grid holds a control character; the attack's payload is gone. */
static void check_safe(struct app *a, const char *name)
{
	app_render(a);
	const struct grid *g = app_grid(a);
	bool clean = true;
	for (int y = 0; y < g->h; y++)
		for (int x = 0; x < g->w; x++) {
			uint32_t cp = grid_cell_at(g, x, y)->cp;
			if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
				clean = false;
		}
	ok(clean, "%s: no control character on screen", name);
	ok(!contains(a, "pwned") && !contains(a, "[2J") && !contains(a, "]0;"),
	   "%s: the escape sequences' payload is not shown", name);
}

static const struct {
	const char *name;
	const char *command;
} views[] = {
    {"nodes", "nodes"},       {"node", "node node-02"}, {"apps", "apps"},
    {"payloads", "payloads"}, {"notif", "notif"},       {"epochs", "epochs"},
};

static void test_screens(void)
{
	static const int sizes[][2] = {{80, 24}, {200, 50}};
	for (size_t s = 0; s < R1_ARRAY_LEN(sizes); s++) {
		struct app *a = make_app(sizes[s][0], sizes[s][1], false);
		for (size_t v = 0; v < R1_ARRAY_LEN(views); v++) {
			char name[64];
			snprintf(name, sizeof(name), "%s-%dx%d", views[v].name, sizes[s][0],
			         sizes[s][1]);
			ok(app_command(a, views[v].command), "%s: :%s opens", name,
			   views[v].command);
			check_screen(a, name);
			check_safe(a, name);
		}
		app_free(&a);
	}
}

static void test_network_view(void)
{
	struct app *a = make_app(80, 24, false);
	ok(contains(a, "5/6 online"), "header: five of six nodes online");
	ok(contains(a, "epoch 7932"), "header: the running epoch");
	ok(contains(a, "next in 30m00s"), "header: time to the next epoch");
	ok(!contains(a, "ADDRESS"), "80 columns: no address column");
	ok(contains(a, "evil"), "the hostile alias shows as its harmless text");
	app_free(&a);
	a = make_app(200, 50, false);
	ok(contains(a, "ADDRESS") && contains(a, "VERSION") && contains(a, "GPU") &&
	       contains(a, "UPTIME"),
	   "200 columns: address, version, GPU and uptime columns");
	ok(contains(a, "NVIDIA RTX 4090"), "... the GPU's name");
	/* sort by CPU: '>' steps through the sortable columns */
	app_type(a, "/cpu>50\n");
	ok(contains(a, "node-01") && contains(a, "node-05") && !contains(a, "node-02"),
	   "filter cpu>50: the busy nodes only");
	ok(contains(a, "2 of 6 nodes match"), "status: how many match");
	app_key(a, TUI_KEY_ESC);
	ok(contains(a, "node-02"), "Esc clears the filter");
	app_type(a, "/online:no\n");
	ok(contains(a, "node-03") && !contains(a, "oracle-a"), "online:no: the offline node");
	app_key(a, TUI_KEY_ESC);
	app_type(a, "/tag:CT:SG\n");
	ok(contains(a, "node-05") && !contains(a, "node-01"), "tag:CT:SG: by country tag");
	app_key(a, TUI_KEY_ESC);
	app_type(a, "/bogus:1\n");
	ok(contains(a, "unknown filter key 'bogus'"), "a bad filter key is reported");
	app_key(a, TUI_KEY_ESC);
	/* a mouse click on the CPU% title sorts by CPU, descending on a second click */
	struct tui_mouse m = {TUI_MOUSE_CLICK, 0, 3};
	char *s = screen_text(a);
	const char *line = s;
	for (int i = 0; i < 3; i++)
		line = strchr(line, '\n') + 1;
	const char *cpu = strstr(line, "CPU%");
	m.x = cpu ? (int)(cpu - line) : 0;
	r1_free(s);
	app_mouse(a, &m);
	app_mouse(a, &m);
	ok(contains(a, "CPU%\xE2\x86\x93"), "a click on CPU%%, twice: sorted by it, descending");
	s = screen_text(a);
	const char *n1 = strstr(s, "node-01"), *n2 = strstr(s, "node-02");
	ok(n1 && n2 && n1 < n2, "descending: the busiest node first");
	r1_free(s);
	app_free(&a);
}

static void test_navigation(void)
{
	struct app *a = make_app(100, 30, false);
	app_type(a, "/node-02\n");
	app_key(a, TUI_KEY_ENTER);
	ok(contains(a, "Network") && contains(a, "node-02") && contains(a, "ECHO_01"),
	   "Enter opens the node: its pipelines and instances");
	ok(contains(a, "42"), "... the instance's payload count");
	ok(contains(a, "error"), "... the instance with an error");
	app_key(a, TUI_KEY_ENTER);
	ok(contains(a, "echo-1 payloads"), "Enter on an instance: its payload stream");
	ok(contains(a, "COUNTER=41") && !contains(a, "CPU_USED"),
	   "the stream shows that instance's payloads only");
	ok(contains(a, "signature: verified"), "the detail pane says it was verified");
	app_key(a, TUI_KEY_ESC);
	ok(contains(a, "LAST EXEC"), "Esc: back to the node");
	app_key(a, 'v');
	ok(contains(a, "\"PROCESS_DELAY\": 2"), "v: the instance's config as JSON");
	app_key(a, TUI_KEY_ESC);
	app_key(a, TUI_KEY_ESC);
	ok(contains(a, "/node-02") && !contains(a, "oracle-a"), "Esc again: the network, filtered");
	app_key(a, TUI_KEY_ESC);
	ok(contains(a, "oracle-a"), "Esc once more: the filter cleared");
	/* ':' with completion */
	app_key(a, ':');
	app_type(a, "ap");
	app_key(a, TUI_KEY_TAB);
	app_key(a, TUI_KEY_ENTER);
	ok(contains(a, "Apps") && contains(a, "demo-echo"), ":ap<Tab> completes to apps");
	app_type(a, ":node nod");
	app_key(a, TUI_KEY_ESC);
	app_type(a, ":nonsense\n");
	ok(contains(a, "unknown command 'nonsense'"), "an unknown command is reported");
	app_type(a, ":node nobody\n");
	ok(contains(a, "no node 'nobody'"), ":node with an unknown alias is reported");
	app_type(a, ":log\n");
	ok(contains(a, "node-03 lost"), ":log shows the console's log");
	app_key(a, TUI_KEY_TAB);
	ok(contains(a, "this console hosts no node"), "Tab: the hosted nodes' log (none here)");
	app_type(a, ":cstore\n");
	ok(contains(a, "not built yet"), ":cstore is a placeholder for now");
	app_key(a, '?');
	ok(contains(a, "command line") && contains(a, "help"), "? shows the keys");
	app_key(a, TUI_KEY_ESC);
	app_type(a, ":q\n");
	ok(app_quitting(a), ":q quits");
	app_free(&a);
}

static void test_actions(void)
{
	struct app *a = make_app(100, 30, false);
	app_type(a, ":node node-02\n");
	app_key(a, 'R');
	ok(contains(a, "Restart node") && contains(a, "Send RESTART to node 'node-02'"),
	   "R asks, naming what is sent to whom");
	app_key(a, TUI_KEY_ENTER); /* the focus is on No */
	ok(!contains(a, "Restart node"), "Enter on No: nothing sent, dialog gone");
	app_key(a, 'c');
	ok(contains(a, "Command for ECHO_01/echo-1 on node-02"), "c opens the command form");
	app_type(a, "PING");
	app_key(a, TUI_KEY_TAB);
	app_type(a, "{\"X\": ");
	app_key(a, TUI_KEY_CTRL('s'));
	ok(contains(a, "line 1, column"), "bad JSON parameters are refused with where");
	app_type(a, "1}");
	app_key(a, TUI_KEY_CTRL('s'));
	ok(contains(a, "Send INSTANCE_COMMAND to ECHO_01 'echo-1' of pipeline 'demo-echo'") &&
	       contains(a, "command: PING") && contains(a, "parameters: {\"X\":1}"),
	   "the confirmation says what goes where");
	app_key(a, 'y');
	ok(contains(a, "INSTANCE_COMMAND sent to node-02; waiting for the node"),
	   "Yes: sent, and the wait for the node's answer begins");
	ok(contains(a, "pending 1"), "the header counts the pending command");
	app_key(a, 'e');
	ok(contains(a, "Instance config (JSON)") && contains(a, "\"MESSAGE\": \"hello\""),
	   "e opens the JSON editor with the config");
	app_key(a, TUI_KEY_CTRL('s'));
	ok(contains(a, "nothing changed"), "unchanged config: nothing to send");
	/* PROCESS_DELAY 2 -> 5: down from the '{' (the line under the label) to its line */
	char *cfg = screen_text(a);
	int line = 0, label = -1, target = -1;
	for (const char *p = cfg; *p; line++) {
		size_t n = strcspn(p, "\n");
		if (label < 0 && memmem(p, n, "Instance config (JSON)", 22))
			label = line;
		if (target < 0 && memmem(p, n, "\"PROCESS_DELAY\"", 15))
			target = line;
		p += n + (p[n] == '\n');
	}
	r1_free(cfg);
	int down = label >= 0 && target > label ? target - label - 1 : 0;
	for (int i = 0; i < down; i++)
		app_key(a, TUI_KEY_DOWN);
	app_key(a, TUI_KEY_END);
	app_key(a, TUI_KEY_LEFT); /* before the comma */
	app_key(a, TUI_KEY_BACKSPACE);
	app_type(a, "5");
	app_key(a, TUI_KEY_CTRL('s'));
	ok(contains(a, "Send UPDATE_PIPELINE_INSTANCE to ECHO_01 'echo-1'") &&
	       contains(a, "changed keys: {\"PROCESS_DELAY\":5}"),
	   "an edited key: the confirmation shows only what changed");
	app_key(a, 'y');
	ok(contains(a, "UPDATE_PIPELINE_INSTANCE sent to node-02"), "... and it is sent");
	app_key(a, 'x');
	ok(contains(a, "Close pipeline") && contains(a, "ARCHIVE_CONFIG for pipeline 'demo-echo'"),
	   "x asks before closing the pipeline, naming it");
	app_key(a, TUI_KEY_ESC);
	app_free(&a);

	a = make_app(100, 30, true);
	ok(contains(a, "READ-ONLY"), "read-only: said in the header");
	ok(!contains(a, "restart"), "read-only: no restart in the key bar");
	app_type(a, ":node node-02\n");
	app_key(a, 'R');
	ok(contains(a, "read-only: actions that change nodes are off"),
	   "read-only: R is refused with a reason");
	app_key(a, 'c');
	ok(!contains(a, "Command for"), "read-only: no command form");
	app_free(&a);
}

static void test_resize(void)
{
	struct app *a = make_app(200, 50, false);
	app_type(a, ":node node-02\n");
	char *wide = screen_text(a);
	app_resize(a, 80, 24);
	char *narrow = screen_text(a);
	ok(strstr(narrow, "node-02") && strstr(narrow, "ECHO_01"), "80x24 after 200x50: reflowed");
	int lines = 0;
	for (const char *p = narrow; *p; p++)
		lines += *p == '\n';
	is_int(lines, 24, "24 rows");
	app_resize(a, 200, 50);
	char *again = screen_text(a);
	is_str(again, wide, "back to 200x50: the same screen as before");
	r1_free(wide);
	r1_free(narrow);
	r1_free(again);
	app_free(&a);
}

int main(void)
{
	tui_check_locale();
	viewfix_init(&F);
	test_screens();
	test_network_view();
	test_navigation();
	test_actions();
	test_resize();
	viewfix_release(&F);
	return tap_done();
}
