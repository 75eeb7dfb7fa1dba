/*
 * The JSON parser for hostile input (see jdoc.h for what the tree keeps).
 * It is a loop over an explicit stack, never recursion: values are pushed on
 * a work stack as they are read, and when a container closes its children
 * are copied in one piece into the arena, so every array and object ends up
 * contiguous and each node is copied once.  The input is first copied into
 * the arena (padded with NULs so that 8-byte loads never leave it), and
 * strings are validated and decoded in place there, 8 bytes at a time while
 * no byte needs a look: decoding never makes a string longer, and the
 * closing quote becomes the NUL.  It is not a general JSON library: no
 * writer, no mutation, no streaming.
 */
#include "core/lib.h"
#include "core/jdoc.h"
#include "core/codec.h"
#include "core/pyfloat.h"
#include "core/utf8.h"

#include <math.h>

#define JDOC_MAX_INT_DIGITS 4300 /* CPython's int_max_str_digits default */

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct frame {
	uint32_t work_start; /* first child on the work stack */
	uint32_t count;      /* elements, or members */
	bool is_obj;
};

struct jdoc {
	struct arena_block *blocks; /* newest first */
	size_t arena_total;         /* bytes of all blocks, for coalescing */
	struct jdoc_node *work;
	size_t work_len, work_cap;
	struct frame *frames;
	size_t frames_cap;
	struct jdoc_node root;
	bool has_root;
	size_t err_off;
	unsigned depth;     /* deepest nesting seen */
	unsigned depth_cur; /* open containers while parsing */
};

struct parser {
	struct jdoc *d;
	const char *start, *p, *end;
	struct jdoc_limits lim;
	char **why;
};

struct jdoc *jdoc_new(void)
{
	return r1_calloc(1, sizeof(struct jdoc));
}

static void arena_free_all(struct jdoc *d)
{
	struct arena_block *b = d->blocks;
	while (b) {
		struct arena_block *next = b->next;
		r1_free(b);
		b = next;
	}
	d->blocks = NULL;
}

void jdoc_free(struct jdoc **doc)
{
	if (!doc || !*doc)
		return;
	arena_free_all(*doc);
	r1_free((*doc)->work);
	r1_free((*doc)->frames);
	r1_free(*doc);
	*doc = NULL;
}

/*
 * Forget the previous tree.  When it needed several blocks they are replaced
 * by one block of their total size, so a steady stream of similar messages
 * parses without allocating.
 */
static enum r1_err arena_reset(struct jdoc *d, size_t want)
{
	if (d->blocks && !d->blocks->next && d->blocks->size >= want) {
		d->blocks->used = 0;
		return R1_OK;
	}
	size_t size = R1_MAX(want, d->arena_total);
	arena_free_all(d);
	d->arena_total = 0;
	struct arena_block *b = r1_malloc(sizeof(*b) + size);
	if (!b)
		return R1_ERR_NOMEM;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	d->blocks = b;
	d->arena_total = size;
	return R1_OK;
}

static void *arena_alloc(struct jdoc *d, size_t size, size_t align)
{
	struct arena_block *b = d->blocks;
	if (b) {
		size_t at = (b->used + align - 1) & ~(align - 1);
		if (at <= b->size && size <= b->size - at) {
			b->used = at + size;
			return (char *)b->data + at;
		}
	}
	size_t bsize = R1_MAX(size + align, b ? b->size * 2 : 4096);
	struct arena_block *nb = r1_malloc(sizeof(*nb) + bsize);
	if (!nb)
		return NULL;
	nb->next = b;
	nb->size = bsize;
	nb->used = size;
	d->blocks = nb;
	d->arena_total += bsize;
	return nb->data;
}

static enum r1_err fail_at(struct parser *ps, const char *at, enum r1_err err, const char *what)
{
	ps->d->err_off = (size_t)(at - ps->start);
	return r1_fail(ps->why, err, "json: %s at byte %zu", what, ps->d->err_off);
}

/*
 * A new slot on top of the work stack, or NULL on OOM.  Values are parsed
 * straight into their slot: building a node elsewhere and copying it costs a
 * store-forwarding stall per value, which was a third of the parse time.
 */
static inline struct jdoc_node *work_slot(struct parser *ps)
{
	struct jdoc *d = ps->d;
	if (d->work_len == d->work_cap) {
		size_t cap = d->work_cap ? d->work_cap * 2 : 256;
		struct jdoc_node *w = r1_reallocarray(d->work, cap, sizeof(*w));
		if (!w)
			return NULL;
		d->work = w;
		d->work_cap = cap;
	}
	return &d->work[d->work_len++];
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* Bytes of input copied past its end, so that 8-byte loads never leave the
 * copy; they are NUL, which stops every scan. */
#define INPUT_PAD 8

static inline uint64_t load8(const char *p)
{
	uint64_t x;
	memcpy(&x, p, sizeof(x));
	return x;
}

/*
 * Which of the 8 bytes need a closer look: >= 0x80, < 0x20, '"' or '\\'.
 * Each flagged byte has its top bit set in the result; borrows can flag a
 * byte above a flagged one, never below, so the lowest flag is exact.
 */
static inline uint64_t special8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	return (x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
}

/* How many leading (lowest-address) bytes of the chunk are plain. */
static inline unsigned plain_prefix(uint64_t mask)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (unsigned)__builtin_ctzll(mask) >> 3;
#else
	return (unsigned)__builtin_clzll(mask) >> 3;
#endif
}

/*
 * ps->p is at the opening quote of a string in the document's own copy of
 * the input.  Decode it in place (decoding never makes a string longer) and
 * NUL-terminate it where it ends; on success ps->p is past the closing quote.
 */
static enum r1_err parse_string(struct parser *ps, struct jdoc_node *out)
{
	char *start = (char *)ps->p + 1;
	const char *r = start, *end = ps->end;
	char *o = start; /* o < r once an escape has shortened the text */
	bool plain = true;
	for (;;) {
		uint64_t x = load8(r), m = special8(x);
		if (!m) {
			if (o != r)
				memmove(o, r, 8);
			o += 8;
			r += 8;
			continue;
		}
		unsigned k = plain_prefix(m);
		if (o != r)
			memmove(o, r, k);
		o += k;
		r += k;
		unsigned char c = (unsigned char)*r;
		if (c == '"' && r < end)
			break;
		if (c >= 0x80) {
			size_t n = r1_utf8_seq_len((const unsigned char *)r, (size_t)(end - r));
			if (!n)
				return fail_at(ps, r, R1_ERR_PROTO, "invalid UTF-8 in string");
			memmove(o, r, n);
			o += n;
			r += n;
			continue;
		}
		if (r >= end || (c == '\\' && r + 1 >= end))
			return fail_at(ps, ps->p, R1_ERR_PROTO, "unterminated string");
		if (c < 0x20)
			return fail_at(ps, r, R1_ERR_PROTO, "control character in string");
		/* an escape */
		static const char simple_from[] = "\"\\/bfnrt";
		static const char simple_to[] = "\"\\/\b\f\n\r\t";
		char e = r[1];
		const char *hit = e ? strchr(simple_from, e) : NULL;
		if (hit) {
			char d = simple_to[hit - simple_from];
			plain &= d != '"' && d != '\\' && (unsigned char)d >= 0x20;
			*o++ = d;
			r += 2;
			continue;
		}
		if (e != 'u')
			return fail_at(ps, r, R1_ERR_PROTO, "invalid escape in string");
		long cp = end - r >= 6 ? hex_quad(r + 2) : -1;
		if (cp < 0)
			return fail_at(ps, r, R1_ERR_PROTO, "invalid \\u escape in string");
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return fail_at(ps, r, R1_ERR_PROTO, "lone low surrogate escape in string");
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			long lo =
			    end - r >= 12 && r[6] == '\\' && r[7] == 'u' ? hex_quad(r + 8) : -1;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return fail_at(ps, r, R1_ERR_PROTO,
				               "lone high surrogate escape in string");
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			r += 6;
		}
		plain &= cp >= 0x20 && cp != '"' && cp != '\\';
		o += r1_utf8_encode((uint32_t)cp, o);
		r += 6;
	}
	*o = '\0';
	size_t len = (size_t)(o - start);
	if (len > ps->lim.max_string)
		return fail_at(ps, ps->p, R1_ERR_TOOBIG, "string longer than the limit");
	*out = (struct jdoc_node){.type = JDOC_STRING,
	                          .flags = plain ? JDOC_F_PLAIN : 0,
	                          .len = (uint32_t)len,
	                          .u.str = start};
	ps->p = r + 1;
	return R1_OK;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static enum r1_err token_node(struct parser *ps, const char *tok, size_t len, enum jdoc_type type,
                              struct jdoc_node *out)
{
	char *dst = arena_alloc(ps->d, len + 1, 1);
	if (!dst)
		return fail_at(ps, tok, R1_ERR_NOMEM, "out of memory");
	memcpy(dst, tok, len);
	dst[len] = '\0';
	*out = (struct jdoc_node){.type = (uint8_t)type, .len = (uint32_t)len, .u.str = dst};
	return R1_OK;
}

static enum r1_err parse_number(struct parser *ps, struct jdoc_node *out)
{
	const char *t = ps->p, *p = t, *end = ps->end;
	bool is_float = false;
	if (*p == '-')
		p++;
	if (p < end && *p == 'I' && p > t) {
		if ((size_t)(end - p) >= 8 && memcmp(p, "Infinity", 8) == 0) {
			ps->p = p + 8;
			return token_node(ps, t, 9, JDOC_FLOAT, out);
		}
		return fail_at(ps, t, R1_ERR_PROTO, "invalid literal");
	}
	const char *digits = p;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && is_digit(*p))
			p++;
	else
		return fail_at(ps, t, R1_ERR_PROTO, "invalid number");
	size_t int_digits = (size_t)(p - digits);
	if (p < end && *p == '.') {
		const char *f = ++p;
		while (p < end && is_digit(*p))
			p++;
		if (p == f)
			return fail_at(ps, p, R1_ERR_PROTO, "invalid number: no digit after '.'");
		is_float = true;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		const char *x = p;
		while (p < end && is_digit(*p))
			p++;
		if (p == x)
			return fail_at(ps, p, R1_ERR_PROTO, "invalid number: no digit in exponent");
		is_float = true;
	}
	size_t len = (size_t)(p - t);
	if (len > ps->lim.max_number_len)
		return fail_at(ps, t, R1_ERR_TOOBIG, "number longer than the limit");
	if (!is_float && int_digits > JDOC_MAX_INT_DIGITS)
		return fail_at(ps, t, R1_ERR_TOOBIG, "integer with more than 4300 digits");
	ps->p = p;
	return token_node(ps, t, len, is_float ? JDOC_FLOAT : JDOC_INT, out);
}

/* A literal at ps->p?  The input copy is padded, so reading 8 bytes is safe. */
static bool literal(struct parser *ps, const char *text, size_t n)
{
	if (memcmp(ps->p, text, n) != 0 || (size_t)(ps->end - ps->p) < n)
		return false;
	ps->p += n;
	return true;
}

static enum r1_err parse_scalar(struct parser *ps, struct jdoc_node *out)
{
	const char *t = ps->p;
	out->flags = 0;
	out->len = 0;
	out->u.str = NULL;
	switch (*t) {
	case '"':
		return parse_string(ps, out);
	case '-':
	case '0' ... '9':
		return parse_number(ps, out);
	case 't':
		if (!literal(ps, "true", 4))
			break;
		out->type = JDOC_TRUE;
		return R1_OK;
	case 'f':
		if (!literal(ps, "false", 5))
			break;
		out->type = JDOC_FALSE;
		return R1_OK;
	case 'n':
		if (!literal(ps, "null", 4))
			break;
		out->type = JDOC_NULL;
		return R1_OK;
	case 'N':
		if (!literal(ps, "NaN", 3))
			break;
		return token_node(ps, t, 3, JDOC_FLOAT, out);
	case 'I':
		if (!literal(ps, "Infinity", 8))
			break;
		return token_node(ps, t, 8, JDOC_FLOAT, out);
	}
	if (ps->p >= ps->end)
		return fail_at(ps, ps->p, R1_ERR_PROTO,
		               "unexpected end of input, expected a value");
	return fail_at(ps, ps->p, R1_ERR_PROTO, "expected a value");
}

static enum r1_err open_container(struct parser *ps, bool is_obj)
{
	struct jdoc *d = ps->d;
	unsigned depth = d->depth_cur + 1;
	if (depth > ps->lim.max_depth)
		return fail_at(ps, ps->p, R1_ERR_TOOBIG, "nesting deeper than the limit");
	if (depth > d->frames_cap) {
		size_t cap = R1_MAX(d->frames_cap * 2, 16);
		struct frame *f = r1_reallocarray(d->frames, cap, sizeof(*f));
		if (!f)
			return fail_at(ps, ps->p, R1_ERR_NOMEM, "out of memory");
		d->frames = f;
		d->frames_cap = cap;
	}
	d->frames[depth - 1] = (struct frame){(uint32_t)d->work_len, 0, is_obj};
	d->depth_cur = depth;
	if (depth > d->depth)
		d->depth = depth;
	ps->p++;
	return R1_OK;
}

/* Close the innermost container: its children move into the arena. */
static enum r1_err close_container(struct parser *ps)
{
	struct jdoc *d = ps->d;
	struct frame *f = &d->frames[d->depth_cur - 1];
	size_t n = d->work_len - f->work_start;
	struct jdoc_node *kids = NULL;
	if (n) {
		kids = arena_alloc(d, n * sizeof(*kids), _Alignof(struct jdoc_node));
		if (!kids)
			return fail_at(ps, ps->p, R1_ERR_NOMEM, "out of memory");
		memcpy(kids, d->work + f->work_start, n * sizeof(*kids));
	}
	/* the container takes the place of its first child (there is room) */
	d->work_len = f->work_start;
	struct jdoc_node *slot = work_slot(ps);
	if (!slot)
		return fail_at(ps, ps->p, R1_ERR_NOMEM, "out of memory");
	slot->type = f->is_obj ? JDOC_OBJECT : JDOC_ARRAY;
	slot->flags = 0;
	slot->len = f->count;
	slot->u.kids = kids;
	d->depth_cur--;
	ps->p++;
	return R1_OK;
}

static inline enum r1_err count_member(struct parser *ps)
{
	struct frame *f = &ps->d->frames[ps->d->depth_cur - 1];
	if (++f->count > ps->lim.max_members)
		return fail_at(ps, ps->p, R1_ERR_TOOBIG, "more members than the limit");
	return R1_OK;
}

enum state { S_VALUE, S_VALUE_OR_CLOSE, S_KEY, S_KEY_OR_CLOSE, S_AFTER };

static enum r1_err parse_doc(struct parser *ps)
{
	struct jdoc *d = ps->d;
	enum state st = S_VALUE;
	enum r1_err err;
	for (;;) {
		ps->p = skip_ws(ps->p, ps->end);
		bool at_end = ps->p >= ps->end;
		char c = at_end ? '\0' : *ps->p;
		struct frame *f = d->depth_cur ? &d->frames[d->depth_cur - 1] : NULL;
		switch (st) {
		case S_VALUE_OR_CLOSE:
			if (c == ']') {
				if ((err = close_container(ps)))
					return err;
				st = S_AFTER;
				continue;
			}
			/* fall through */
		case S_VALUE:
			if (f && !f->is_obj && (err = count_member(ps)))
				return err;
			if (c == '{' || c == '[') {
				if ((err = open_container(ps, c == '{')))
					return err;
				st = c == '{' ? S_KEY_OR_CLOSE : S_VALUE_OR_CLOSE;
				continue;
			}
			if (at_end)
				return fail_at(ps, ps->p, R1_ERR_PROTO,
				               "unexpected end of input, expected a value");
			struct jdoc_node *v = work_slot(ps);
			if (!v)
				return fail_at(ps, ps->p, R1_ERR_NOMEM, "out of memory");
			if ((err = parse_scalar(ps, v)))
				return err;
			st = S_AFTER;
			continue;
		case S_KEY_OR_CLOSE:
			if (c == '}') {
				if ((err = close_container(ps)))
					return err;
				st = S_AFTER;
				continue;
			}
			/* fall through */
		case S_KEY: {
			if (c != '"')
				return fail_at(ps, ps->p, R1_ERR_PROTO,
				               at_end ? "unexpected end of input, expected a key"
				                      : "expected a string key");
			if ((err = count_member(ps)))
				return err;
			struct jdoc_node *k = work_slot(ps);
			if (!k)
				return fail_at(ps, ps->p, R1_ERR_NOMEM, "out of memory");
			if ((err = parse_string(ps, k)))
				return err;
			ps->p = skip_ws(ps->p, ps->end);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail_at(ps, ps->p, R1_ERR_PROTO, "expected ':' after key");
			ps->p++;
			st = S_VALUE;
			continue;
		}
		case S_AFTER:
			if (!f) {
				if (!at_end)
					return fail_at(ps, ps->p, R1_ERR_PROTO,
					               "extra data after the document");
				return R1_OK;
			}
			if (c == ',') {
				ps->p++;
				st = f->is_obj ? S_KEY : S_VALUE;
				continue;
			}
			if (c == (f->is_obj ? '}' : ']')) {
				if ((err = close_container(ps)))
					return err;
				continue;
			}
			if (at_end)
				return fail_at(ps, ps->p, R1_ERR_PROTO, "unexpected end of input");
			return fail_at(ps, ps->p, R1_ERR_PROTO,
			               f->is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
}

enum r1_err jdoc_parse(struct jdoc *d, const char *text, size_t len, const struct jdoc_limits *lim,
                       char **why)
{
	struct parser ps = {.d = d, .start = text, .p = text, .end = text + len, .why = why};
	if (lim)
		ps.lim = *lim;
	if (!ps.lim.max_input || ps.lim.max_input > UINT32_MAX / 2)
		ps.lim.max_input = ps.lim.max_input ? UINT32_MAX / 2 : R1_MAX_MESSAGE_LEN;
	if (!ps.lim.max_depth)
		ps.lim.max_depth = JDOC_DEPTH_DEFAULT;
	if (ps.lim.max_depth > JDOC_DEPTH_MAX)
		ps.lim.max_depth = JDOC_DEPTH_MAX;
	if (!ps.lim.max_string)
		ps.lim.max_string = ps.lim.max_input;
	if (!ps.lim.max_members)
		ps.lim.max_members = 1u << 20;
	if (!ps.lim.max_number_len)
		ps.lim.max_number_len = JDOC_MAX_INT_DIGITS + 1;

	d->has_root = false;
	d->err_off = 0;
	d->depth = 0;
	d->depth_cur = 0;
	d->work_len = 0;
	if (len > ps.lim.max_input) {
		d->err_off = ps.lim.max_input;
		return r1_fail(why, R1_ERR_TOOBIG,
		               "json: input of %zu bytes is over the limit of %zu", len,
		               ps.lim.max_input);
	}
	if (arena_reset(d, 2 * len + 1024))
		return r1_fail(why, R1_ERR_NOMEM, "json: out of memory");
	/* strings are decoded in place in this copy, so it is the tree's */
	char *copy = arena_alloc(d, len + INPUT_PAD, 8);
	if (!copy)
		return r1_fail(why, R1_ERR_NOMEM, "json: out of memory");
	memcpy(copy, text, len);
	memset(copy + len, 0, INPUT_PAD);
	ps.start = ps.p = copy;
	ps.end = copy + len;
	enum r1_err err = parse_doc(&ps);
	if (err) {
		d->depth = 0;
		return err;
	}
	d->root = d->work[0];
	d->has_root = true;
	return R1_OK;
}

const struct jdoc_node *jdoc_root(const struct jdoc *doc)
{
	return doc->has_root ? &doc->root : NULL;
}

size_t jdoc_error_offset(const struct jdoc *doc)
{
	return doc->err_off;
}

unsigned jdoc_depth(const struct jdoc *doc)
{
	return doc->depth;
}

bool jdoc_str_eq(const struct jdoc_node *n, const char *s, size_t len)
{
	return n->type == JDOC_STRING && n->len == len && memcmp(n->u.str, s, len) == 0;
}

const struct jdoc_node *jdoc_obj_getn(const struct jdoc_node *obj, const char *key, size_t len)
{
	if (!obj || obj->type != JDOC_OBJECT)
		return NULL;
	for (size_t i = obj->len; i-- > 0;)
		if (jdoc_str_eq(&obj->u.kids[2 * i], key, len))
			return &obj->u.kids[2 * i + 1];
	return NULL;
}

bool jdoc_is_nonfinite_token(const struct jdoc_node *n)
{
	if (n->type != JDOC_FLOAT)
		return false;
	const char *t = n->u.str[0] == '-' ? n->u.str + 1 : n->u.str;
	return t[0] == 'N' || t[0] == 'I';
}

enum r1_err jdoc_int64(const struct jdoc_node *n, int64_t *out, char **why)
{
	if (n->type != JDOC_INT)
		return r1_fail(why, R1_ERR_INVAL, "json: not an integer");
	const char *s = n->u.str;
	bool neg = *s == '-';
	if (neg)
		s++;
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s; s++) {
		unsigned dgt = (unsigned)(*s - '0');
		if (v > (limit - dgt) / 10)
			return r1_fail(why, R1_ERR_TOOBIG,
			               "json: integer %.40s%s out of 64-bit range", n->u.str,
			               n->len > 40 ? "..." : "");
		v = v * 10 + dgt;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return R1_OK;
}

enum r1_err jdoc_double(const struct jdoc_node *n, double *out, char **why)
{
	if (n->type != JDOC_INT && n->type != JDOC_FLOAT)
		return r1_fail(why, R1_ERR_INVAL, "json: not a number");
	if (jdoc_is_nonfinite_token(n)) {
		const char *t = n->u.str;
		*out = t[0] == 'N' ? NAN : t[0] == '-' ? -INFINITY : INFINITY;
		return R1_OK;
	}
	if (!pyfloat_parse(n->u.str, n->len, out, NULL))
		return r1_fail(why, R1_ERR_INVAL, "json: bad number token");
	return R1_OK;
}

static json_t *to_jansson(const struct jdoc_node *n, unsigned depth)
{
	if (depth > JDOC_DEPTH_MAX + 1)
		return NULL;
	switch ((enum jdoc_type)n->type) {
	case JDOC_NULL:
		return json_null();
	case JDOC_FALSE:
		return json_false();
	case JDOC_TRUE:
		return json_true();
	case JDOC_INT: {
		int64_t i;
		if (jdoc_int64(n, &i, NULL) == R1_OK)
			return json_integer((json_int_t)i);
		/* beyond int64: a real, or null beyond the range of a double */
		double x;
		jdoc_double(n, &x, NULL);
		return isfinite(x) ? json_real(x) : json_null();
	}
	case JDOC_FLOAT: {
		double x;
		jdoc_double(n, &x, NULL);
		return isfinite(x) ? json_real(x) : json_null();
	}
	case JDOC_STRING:
		return json_stringn_nocheck(n->u.str, n->len);
	case JDOC_ARRAY: {
		json_t *a = json_array();
		for (size_t i = 0; a && i < n->len; i++)
			if (json_array_append_new(a, to_jansson(&n->u.kids[i], depth + 1))) {
				json_decref(a);
				return NULL;
			}
		return a;
	}
	case JDOC_OBJECT: {
		json_t *o = json_object();
		for (size_t i = 0; o && i < n->len; i++) {
			const struct jdoc_node *k = &n->u.kids[2 * i];
			if (json_object_setn_new_nocheck(o, k->u.str, k->len,
			                                 to_jansson(k + 1, depth + 1))) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	}
	return NULL;
}

enum r1_err jdoc_to_jansson(const struct jdoc_node *n, json_t **out, char **why)
{
	*out = to_jansson(n, 0);
	if (!*out)
		return r1_fail(why, R1_ERR_NOMEM, "json: out of memory converting to jansson");
	return R1_OK;
}

enum r1_err jdoc_load_jansson(const char *text, size_t len, const struct jdoc_limits *lim,
                              json_t **out, char **why)
{
	*out = NULL;
	struct jdoc *doc = jdoc_new();
	if (!doc)
		return r1_fail(why, R1_ERR_NOMEM, "json: out of memory");
	enum r1_err e = jdoc_parse(doc, text, len, lim, why);
	if (!e)
		e = jdoc_to_jansson(jdoc_root(doc), out, why);
	jdoc_free(&doc);
	return e;
}
