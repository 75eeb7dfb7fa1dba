#ifndef R1_TUI_WIDGETS_FORM_H
#define R1_TUI_WIDGETS_FORM_H
/*
 * Form fields and the form that holds them: what the deployment wizards
 * are made of (a wizard page is a form; plugin config schemas will build
 * forms field by field).
 *
 * Field kinds:
 *   text      a lineedit; optionally masked (tokens, passwords)
 *   number    a lineedit taking a number, checked against [min, max] and,
 *             for integer fields, for a fractional part
 *   checkbox  Space toggles
 *   select    one of a list: Left/Right or Space step through it, a letter
 *             jumps to the next option starting with it
 *   multi     a list of options, each on or off: Up/Down move inside the
 *             list, Space toggles
 *   textarea  several lines of text (a JSON config): the textarea's keys,
 *             so Enter, Up and Down edit; its label sits on a row of its
 *             own and the text takes the form's whole width
 *
 * The form moves the focus with Tab/Shift-Tab (and Up/Down outside a multi
 * list or a textarea), checks a field when the focus leaves it, and on
 * Enter (outside a textarea) or ^S (anywhere) checks every field: all valid
 * gives TUI_SUBMIT, else the focus goes to the first bad field and its
 * message shows under it.  Esc gives TUI_CANCEL.
 *
 * Checks are built in (required, number range) plus one callback per field
 * that can refuse a value with a message a person reads.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "tui/grid.h"
#include "tui/widgets/lineedit.h"
#include "tui/widgets/textarea.h"

enum field_kind {
	FIELD_TEXT,
	FIELD_NUMBER,
	FIELD_CHECKBOX,
	FIELD_SELECT,
	FIELD_MULTI,
	FIELD_TEXTAREA,
};

struct field;

/*
 * A field's own check: return false and append a message (translated) to
 * msg to refuse the value.  ctx is the one given to field_set_check().
 */
typedef bool (*field_check_fn)(void *ctx, struct field *f, struct buf *msg);

struct field {
	enum field_kind kind;
	char *id;		/* the caller's name for it (a config key) */
	char *label;		/* shown, already translated */
	struct lineedit edit;	/* text and number */
	struct textarea area;	/* textarea */
	bool required;		/* text and number: may not be empty */
	double min, max;	/* number */
	bool integer;		/* number: no fractional part */
	bool checked;		/* checkbox */
	char **options;		/* select and multi: n_options labels, owned */
	size_t n_options;
	size_t selected;	/* select: the choice; multi: the cursor */
	bool *chosen;		/* multi: which options are on */
	int rows;		/* multi: list height; textarea: text rows */
	size_t top;		/* multi: first option shown */
	field_check_fn check;
	void *check_ctx;
	char *error;		/* the message shown under the field, or NULL */
};

struct form {
	struct field **fields;
	size_t n, cap;
	size_t focus;
	int scroll;	/* first form row shown */
	int label_max;	/* cap on the label column's width (default 24) */
};

/* NULL on R1_ERR_NOMEM. */
struct form *form_new(void);
void form_free(struct form **f);

/*
 * Add fields; ids and labels are copied.  Each returns the new field (owned
 * by the form) or NULL on R1_ERR_NOMEM.  max_len 0 = 1024 code points.
 */
struct field *form_add_text(struct form *f, const char *id, const char *label,
			    const char *initial, size_t max_len);
struct field *form_add_number(struct form *f, const char *id, const char *label, double initial,
			      double min, double max, bool integer);
struct field *form_add_checkbox(struct form *f, const char *id, const char *label, bool initial);
struct field *form_add_select(struct form *f, const char *id, const char *label,
			      const char *const *options, size_t n, size_t initial);
struct field *form_add_multi(struct form *f, const char *id, const char *label,
			     const char *const *options, size_t n, int rows);

/* A textarea of `rows` rows (0 = 10) holding up to max_len code points (0 = 256 Ki). */
struct field *form_add_textarea(struct form *f, const char *id, const char *label,
				const char *initial, int rows, size_t max_len);

void field_set_check(struct field *fl, field_check_fn fn, void *ctx);
/* The field with this id, or NULL. */
struct field *form_find(const struct form *f, const char *id);

/* Values.  field_text: text, number and textarea fields (owned by the field). */
const char *field_text(struct field *fl);
/* A number field's value; false when it does not parse. */
bool field_number(struct field *fl, double *out);
/* The option label chosen in a select field (owned by the field). */
const char *field_choice(const struct field *fl);
/* Run a field's checks now: true when valid (its message is cleared). */
bool field_validate(struct field *fl);

/* Check every field; false and focus on the first bad one otherwise. */
bool form_validate(struct form *f);
/* Move the focus to field i (clamped). */
void form_focus(struct form *f, size_t i);

unsigned form_key(struct form *f, int key);
void form_draw(struct form *f, struct grid_area a);

#endif
