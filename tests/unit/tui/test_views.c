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
#include "tui/theme.h"
#include "tui/widgets/form.h"
#include "tui/views/views.h"
#include "core/netmap.h"
#include "node/cstore/cstore.h"
#include "tests/tap.h"
#include "tests/unit/tui/tui_check.h"
#include "tests/unit/tui/viewfix.h"
#include "tests/unit/tui/viewhost.h"

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
    {"cstore", "cstore"},     {"compute", "compute"},   {"r1fs", "r1fs node-01"},
    {"r1fs-local", "r1fs"},
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
	ok(contains(a, "replica of node-02"), ":cstore shows the first hosted node's replica");
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

/* Select the table row whose line holds `text` (moving down from the top). */
static bool select_row(struct app *a, const char *text)
{
	app_key(a, TUI_KEY_HOME);
	for (int i = 0; i < 40; i++) {
		char *s = screen_text(a);
		/* the selection is drawn in its own role: find the line by the dump of roles */
		struct buf roles = BUF_INIT;
		char legend[TUI_ROLE__COUNT + 1];
		memset(legend, '.', TUI_ROLE__COUNT);
		legend[TUI_ROLE__COUNT] = '\0';
		legend[TUI_ROLE_ROW_SELECTED] = 'S';
		grid_dump_roles(app_grid(a), &roles, legend);
		const char *line = s, *rline = buf_cstr(&roles);
		bool found = false;
		while (*line && *rline) {
			size_t n = strcspn(line, "\n"), rn = strcspn(rline, "\n");
			if (memmem(line, n, text, strlen(text)) && memchr(rline, 'S', rn))
				found = true;
			line += n + (line[n] == '\n');
			rline += rn + (rline[rn] == '\n');
		}
		buf_release(&roles);
		r1_free(s);
		if (found)
			return true;
		app_key(a, TUI_KEY_DOWN);
	}
	return false;
}

/* The model's send_payload in the tests: what the console would send. */
static char sent_to[R1_ADDR_LEN + 1];
static json_t *sent_fields;

static enum r1_err capture_send(void *ctx, const char *addr, const char *signature,
                                const json_t *fields, char **why)
{
	(void)ctx;
	(void)why;
	snprintf(sent_to, sizeof(sent_to), "%s", addr);
	json_decref(sent_fields);
	sent_fields = json_pack("{s:s,s:O}", "SIGNATURE", signature, "FIELDS", (json_t *)fields);
	return R1_OK;
}

/* node i answers the captured CSTORE_REQ with `value` (a payload to us, verified). */
static void answer_cstore_req(int node, const char *alias, json_t *value)
{
	const json_t *req =
	    json_object_get(json_object_get(json_object_get(sent_fields, "FIELDS"),
	                                    "CHAIN_STORE_DATA"),
	                    "request_id");
	json_t *body = json_pack(
	    "{s:[s,s,s,s],s:{s:s,s:O,s:b,s:o}}", "EE_PAYLOAD_PATH", alias, "admin_pipeline",
	    "CHAIN_STORE_BASE", "CHAIN_STORE_BASE_INST", "CHAIN_STORE_DATA", "op", "CSTORE_RESP",
	    "request_id", (json_t *)req, "ok", 1, "result", value);
	struct stream_msg sm = {.body = body,
	                        .sender = F.nodes[node].addr,
	                        .wire_len = 500,
	                        .verified = true,
	                        .encrypted = true,
	                        .decrypted = true};
	tui_model_add(&F.m, STREAM_PAYLOADS, &sm, F.now_ms);
	json_decref(body);
}

static void test_cstore_view(void)
{
	static const int sizes[][2] = {{80, 24}, {200, 50}};
	for (size_t k = 0; k < R1_ARRAY_LEN(sizes); k++) {
		struct app *a = make_app(sizes[k][0], sizes[k][1], false);
		char name[64];
		app_type(a, ":cstore\n/\"demo:counter\"\n");
		app_key(a, TUI_KEY_ENTER);
		snprintf(name, sizeof(name), "cstore-record-%dx%d", sizes[k][0], sizes[k][1]);
		check_screen(a, name);
		check_safe(a, name);
		app_free(&a);
	}
	struct app *a = make_app(160, 40, false);
	app_type(a, ":cstore\n");
	ok(contains(a, "replica of node-02 (1/2)") && contains(a, "5 keys, 1 hash"),
	   ":cstore: the first hosted node's replica, counted");
	ok(contains(a, "hash jobs (2 fields)") && contains(a, "mm-42"),
	   "a hash is a group of its fields, by its name");
	ok(contains(a, "node-02 (CHAIN_STORE_BASE)"), "the owner: the node's own CStore");
	app_type(a, "/ro:yes\n");
	ok(contains(a, "config:model") && contains(a, "1 of 7 records match"),
	   "filter ro:yes: the readonly key");
	app_key(a, TUI_KEY_ESC);
	app_type(a, "/\"demo:counter\"\n");
	ok(contains(a, "0/1"), "demo:counter: no other hosted node holds this version");
	app_key(a, TUI_KEY_ENTER);
	ok(contains(a, "CStore node-02 › demo:counter"), "Enter: the record in full");
	ok(contains(a, "1 of 2 peers (1 needed)"), "... its confirmations, counted");
	ok(contains(a, "+ oracle-a  confirmed") && contains(a, "- node-01  not confirmed"),
	   "... peer by peer");
	ok(contains(a, "node-01              hosted   differs    1"),
	   "... node-01's copy differs, with its value");
	/* an edit: form, confirmation, the engine, the peers' confirmations */
	app_key(a, 'e');
	ok(contains(a, "Edit demo:counter on node-02") && contains(a, "Value (JSON)"),
	   "e: the value in an editor");
	app_key(a, TUI_KEY_CTRL('s'));
	ok(contains(a, "nothing changed"), "an unchanged value is not written");
	app_key(a, TUI_KEY_END);
	app_type(a, "x");
	app_key(a, TUI_KEY_CTRL('s'));
	ok(contains(a, "a string needs its quotes"), "a value that is not JSON is refused");
	app_key(a, TUI_KEY_BACKSPACE);
	app_key(a, TUI_KEY_BACKSPACE);
	app_type(a, "{\"n\": 3}");
	app_key(a, TUI_KEY_CTRL('s'));
	ok(contains(a, "Set demo:counter on node-02 to:") && contains(a, "{\"n\":3}"),
	   "the confirmation says what is written where");
	app_key(a, 'y');
	ok(contains(a, "stored, waiting for the peers' confirmations"),
	   "Yes: stored, waiting for confirmations");
	ok(viewhost_pump(&F) > 0, "the write went to the peers");
	ok(contains(a, "demo:counter on node-02: stored and confirmed"),
	   "a peer's confirmation completes it (status bar)");
	ok(contains(a, "node-01              hosted   same"), "node-01 now holds the same version");
	ok(contains(a, "2 of 2 peers (1 needed)"), "both peers confirmed");
	/* a plain key: y asks the peers outside the console for the value (CSTORE_REQ) */
	F.m.send_payload = capture_send;
	app_key(a, 'y');
	ok(contains(a, "asked 1 peer for its value (CSTORE_REQ)"), "y on a plain key: CSTORE_REQ");
	const json_t *data = json_object_get(json_object_get(sent_fields, "FIELDS"),
	                                     "CHAIN_STORE_DATA");
	ok(strcmp(sent_to, F.nodes[0].addr) == 0 &&
	       !strcmp(json_string_value(json_object_get(sent_fields, "SIGNATURE")),
	               "CHAIN_STORE_BASE") &&
	       !strcmp(json_string_value(json_object_get(data, "op")), "CSTORE_REQ") &&
	       !strcmp(json_string_value(json_object_get(data, "cmd")), "get") &&
	       !strcmp(json_string_value(json_object_get(data, "key")), "demo:counter"),
	   "... to oracle-a's CHAIN_STORE_BASE: get demo:counter");
	ok(contains(a, "oracle-a             peer     asking..."), "... waiting for its answer");
	answer_cstore_req(0, "oracle-a", json_integer(2));
	ok(contains(a, "oracle-a             peer     differs    2"),
	   "its CSTORE_RESP: an older value, highlighted");
	F.m.send_payload = NULL;
	json_decref(sent_fields);
	sent_fields = NULL;
	app_key(a, TUI_KEY_ESC);
	app_key(a, TUI_KEY_ESC);
	/* a hash field: its peers are asked (hsync, peek) */
	ok(select_row(a, "mm-42"), "the hash field mm-42 selected");
	app_key(a, TUI_KEY_ENTER);
	ok(contains(a, "hash           jobs") && contains(a, "field          mm-42"),
	   "a hash field in full: hash and field");
	app_key(a, 'y');
	ok(contains(a, "asked 1 peer for its copy") && contains(a, "asking..."),
	   "y asks the peer outside the console (oracle-a)");
	viewhost_pump(&F);
	ok(contains(a, "oracle-a             peer     absent"),
	   "oracle-a's snapshot lacks the field: shown, highlighted");
	struct cstore *cs02 = tui_host_cstore(&F.m.hosts[0]);
	ok(cstore_hget(cs02, "jobs", "mm-42", NULL) != NULL &&
	       cstore_counter(cs02, CSC_HSYNC_DONE) == 1 &&
	       cstore_counter(cs02, CSC_FIELDS_MERGED) == 0,
	   "peek: the answer taken, nothing merged into our replica");
	app_key(a, TUI_KEY_ESC);
	/* Tab: the other hosted node */
	app_key(a, TUI_KEY_TAB);
	ok(contains(a, "replica of node-01 (2/2)"), "Tab: node-01's replica");
	ok(contains(a, "CStore node-01"), "... in the breadcrumbs");
	/* delete, confirmed */
	ok(select_row(a, "node-01:status"), "node-01:status selected");
	app_key(a, 'd');
	ok(contains(a, "Delete node-01:status on node-01?"), "d asks first");
	app_key(a, 'y');
	ok(contains(a, "node-01:status on node-01: stored and confirmed"), "... then deletes");
	viewhost_pump(&F);
	ok(!contains(a, "\"busy\"") && contains(a, "4 keys, 1 hash"), "the key is gone");
	app_free(&a);

	a = make_app(120, 40, true);
	app_type(a, ":cstore\n");
	ok(!contains(a, "edit") && !contains(a, "delete"), "read-only: no edit or delete");
	app_key(a, 'e');
	ok(contains(a, "read-only"), "read-only: e is refused");
	app_type(a, ":cstore nobody\n");
	ok(contains(a, "nobody is not hosted by this console"),
	   ":cstore NODE: a node not hosted here is named");
	app_free(&a);
}

static void test_compute_view(void)
{
	struct app *a = make_app(200, 50, false);
	app_type(a, ":compute\n");
	ok(contains(a, "ChainDist mm-42 (MATMUL, 4096 rows) by node-01: DISTRIBUTE_JOBS 35%"),
	   "a ChainDist job from its master's payloads, with its state and progress");
	ok(contains(a, "WAITING_START_CONFIMATION") && contains(a, "attempt 2"),
	   "the re-assigned part: the reference's state name, its second attempt");
	ok(contains(a, "worker lost: out of memory"), "... and why it moved");
	ok(contains(a, "FINISHED 100%"), "the finished job");
	ok(contains(a, "ChainDist vs-43 (SEARCH, 1000 rows) by node-02: DISTRIBUTE_JOBS 40%") &&
	       !contains(a, "SPLIT_INPUT"),
	   "a job mastered by a hosted node: read from its machine, its older payload ignored");
	ok(contains(a, "non-conforming dimensions"), "a failed product, with its reason");
	ok(contains(a, "jobs on node-02") && contains(a, "#2 bench n=128 f64"),
	   "the hosted node's queue");
	ok(contains(a, "SkylakeX (SKYLAKEX)") && contains(a, "1210") && contains(a, "2451"),
	   "node figures: OpenBLAS core type and GFLOP/s from heartbeats");
	/* progress bars: eighths of a block */
	ok(contains(a, "\xe2\x96\x88") && contains(a, " 70%"), "parts have progress bars");
	/* cancel: the queued job */
	ok(select_row(a, "#2 bench"), "the queued job selected");
	app_key(a, 'x');
	ok(contains(a, "Cancel job #2 bench n=128 f64 on node-02?"), "x asks first");
	app_key(a, 'y');
	ok(contains(a, "job #2 on node-02: cancelled"), "Yes: cancelled");
	app_key(a, 'x');
	ok(contains(a, "that job has ended"), "x on an ended job says so");
	app_key(a, 'b');
	ok(contains(a, "Measure node-02's speed"), "b: a benchmark on the hosted node, asked first");
	app_key(a, 'y');
	ok(contains(a, "node-02: measuring"), "... queued behind the running job");
	app_key(a, TUI_KEY_TAB);
	app_key(a, TUI_KEY_HOME);
	app_key(a, TUI_KEY_ENTER);
	ok(contains(a, "Network › Compute › node-05"), "Tab, Enter: the fastest node opens");
	app_free(&a);
	a = make_app(200, 50, false);
	ok(contains(a, "GFLOP/S") && contains(a, "1210"), "the Network view shows GFLOP/s");
	app_type(a, "/gflops>400\n");
	ok(contains(a, "2 of 6 nodes match"), "... and filters by it");
	app_free(&a);
}

static void test_r1fs_view(void)
{
	struct app *a = make_app(120, 40, false);
	app_type(a, ":r1fs\n");
	ok(contains(a, "store of node-02 (1/2)") && contains(a, "2 pins"),
	   ":r1fs: the first hosted node's store");
	ok(contains(a, "weights.bin") && contains(a, "report.pdf"),
	   "the files' names, known to the node that added them");
	app_key(a, TUI_KEY_ENTER);
	ok(contains(a, "stored as  directory, 1 links") && contains(a, ".bin"),
	   "Enter: the file as stored (a directory around the encrypted file)");
	app_key(a, TUI_KEY_ESC);
	app_key(a, TUI_KEY_TAB);
	ok(contains(a, "store of node-01 (2/2)") && contains(a, "report.pdf"),
	   "Tab: node-01, names known");
	ok(contains(a, "2: node-02, node-05"),
	   "who holds a file: a hosted node that pins it, a peer that announces it");
	ok(contains(a, "Transfers") && contains(a, "3.00 MiB / 7.00 MiB") && contains(a, " 42%"),
	   "a transfer under way, with its progress");
	ok(contains(a, "no peer has it"), "a failed transfer, with its reason");
	ok(contains(a, "Peers' stores") && contains(a, "50.0 MiB"), "the peers' announced stores");
	app_key(a, 't');
	ok(contains(a, "2 pinned files") || contains(a, "3 pinned files"), "t: the tables");
	ok(contains(a, "R1FS node-01"), "the breadcrumbs name the node after Tab");
	app_key(a, TUI_KEY_TAB);
	ok(contains(a, "store of node-02 (1/2)") && contains(a, "R1FS node-02"),
	   "Tab again: round the list to node-02");
	app_type(a, ":r1fs node-01\n");
	ok(contains(a, "store of node-01 (2/2)"), ":r1fs NODE: the hosted node by its alias");
	app_type(a, ":r1fs nobody\n");
	ok(contains(a, "nobody is not hosted by this console: its files are listed with"),
	   ":r1fs NODE: a node not hosted here is named, with the command that lists it");
	app_free(&a);
}

static void test_reason(void)
{
	char out[160];
	is_str(view_clean_reason("A (QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB): not in R1FS", out,
	                         sizeof(out)),
	       "A (QmPZ9gcCEp\xe2\x80\xa6): not in R1FS", "a reason's CID is cut short");
	is_str(view_clean_reason("gemm QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB x "
	                         "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
	                         out, sizeof(out)),
	       "gemm QmPZ9gcCEp\xe2\x80\xa6 x bafybeigdy\xe2\x80\xa6", "CIDv0 and CIDv1 alike");
	is_str(view_clean_reason("xQmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB Qmshort", out,
	                         sizeof(out)),
	       "xQmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB Qmshort",
	       "only whole CIDs: not inside a word, not a short Qm word");
	is_str(view_clean_reason("\x1b]0;pwned\x07 QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB", out,
	                         sizeof(out)),
	       view_clean("\x1b]0;pwned\x07 QmPZ9gcCEp\xe2\x80\xa6", (char[160]){0}, 160),
	       "sanitized as every cell");
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
	test_cstore_view();
	test_compute_view();
	test_r1fs_view();
	test_reason();
	test_resize();
	viewfix_release(&F);
	return tap_done();
}
