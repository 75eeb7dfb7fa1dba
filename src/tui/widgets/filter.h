#ifndef R1_TUI_WIDGETS_FILTER_H
#define R1_TUI_WIDGETS_FILTER_H
/*
 * The '/' filter language, parsed into a plain struct and matched through
 * callbacks, so the parser knows no view and a view knows no syntax.
 *
 *     text                 rows where some field contains "text" (ASCII case ignored)
 *     key:value            field `key` contains value; the value may itself
 *                          hold ':' (tag:CT:RO is key "tag", value "CT:RO")
 *     key>N key<N key>=N key<=N   numeric comparisons (cpu>80, mem<=2048)
 *     !term                the term must not hold
 *     "two words"          quotes keep spaces; \" and \\ inside quotes
 *
 * Terms are separated by spaces and must all hold (AND).  A key is a
 * letter or '_' followed by letters, digits, '_', '-' or '.'; to search for
 * plain text that looks like key:value, quote it.  What "field `key`
 * contains value" means is the view's choice (it gets the whole term);
 * filter_text_matches() and filter_number_matches() give the usual meaning.
 */
#include "core/common.h"
#include "core/err.h"

#define FILTER_MAX_TEXT 1024
#define FILTER_MAX_TERMS 32

enum filter_op {
	FILTER_OP_HAS, /* key:value */
	FILTER_OP_GT,
	FILTER_OP_LT,
	FILTER_OP_GE,
	FILTER_OP_LE,
};

struct filter_term {
	char *key;	 /* NULL for plain text; lower-cased */
	char *value;	 /* unquoted, never NULL */
	enum filter_op op;
	bool negate;	 /* written with a leading '!' */
	bool has_number; /* value parsed as a number into `number` */
	double number;
};

struct filter {
	struct filter_term *terms;
	size_t n;
};

/* How filter_match() reads one row. */
struct filter_row {
	void *ctx;
	/*
	 * Text of the row's field number i for plain-text terms, or NULL past
	 * the last field.  May return scratch after writing into it.
	 */
	const char *(*text)(void *ctx, size_t i, char *scratch, size_t size);
	/* Whether the row satisfies key term t (ignoring t->negate). */
	bool (*field)(void *ctx, const struct filter_term *t);
};

void filter_init(struct filter *f);
void filter_release(struct filter *f);

/*
 * Parse text into f (replacing what f held).  An empty or blank text gives
 * no terms (everything matches).  Errors: R1_ERR_INVAL with *why naming the
 * problem ("unterminated quote", "expected a number after 'cpu>'", "empty
 * value for 'tag:'"); R1_ERR_TOOBIG past FILTER_MAX_TEXT bytes or
 * FILTER_MAX_TERMS terms; R1_ERR_NOMEM.  On error f is empty.
 */
enum r1_err filter_parse(struct filter *f, const char *text, char **why);

/*
 * R1_ERR_INVAL ("unknown filter key 'foo'") when a term uses a key not in
 * keys[0..n); checked once when the filter is set, not per row.
 */
enum r1_err filter_check_keys(const struct filter *f, const char *const *keys, size_t n,
			      char **why);

/*
 * What a view does with the text typed after '/': parse it, check its keys
 * against keys[0..n), and only then replace what f held.  On error f is
 * unchanged (the view keeps filtering as before) and *why says why.
 */
enum r1_err filter_set(struct filter *f, const char *text, const char *const *keys, size_t n,
                       char **why);

/* Whether the row satisfies every term; an empty filter matches all rows. */
bool filter_match(const struct filter *f, const struct filter_row *row);

/* Plain-text rule: value occurs in text, ASCII case ignored; NULL text fails. */
bool filter_contains(const char *text, const char *value);
/* key:value on a text field (contains); numeric ops compare text as a number. */
bool filter_text_matches(const struct filter_term *t, const char *text);
/* A numeric field: ':' is equality, the rest compare; false for NaN. */
bool filter_number_matches(const struct filter_term *t, double v);
/*
 * A yes/no field: the value yes/y/true/1/on or no/n/false/0/off (any case);
 * anything else falls back to filter_contains on "yes"/"no".
 */
bool filter_bool_matches(const struct filter_term *t, bool v);

#endif
