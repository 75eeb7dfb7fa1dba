/*
 * CStore values as the reference keeps them (see jvalue.h): one normal text
 * per value, so that a get hands back the stored bytes without building
 * anything, and Python's equality, which the write rules (same value,
 * confirmation of the current value, token checks) are written in.  This
 * is not a general JSON library: parsing is jansson's, writing pyjson.h's
 * (json.dumps compact with ensure_ascii=False), this file adds the limits
 * and the comparison.
 */
#include "node/lib.h"
#include "node/cstore/jvalue.h"
#include "core/pyjson.h"

#include <math.h>

enum r1_err jvalue_parse(const char *text, size_t len, json_t **out, char **why)
{
	json_error_t err;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!v) {
		if (json_error_code(&err) == json_error_out_of_memory)
			return r1_fail(why, R1_ERR_NOMEM, "value: out of memory");
		return r1_fail(why, R1_ERR_INVAL, "value: not JSON (%s at byte %d)", err.text,
		               err.position);
	}
	if (jvalue_depth(v, JVALUE_MAX_DEPTH) > JVALUE_MAX_DEPTH) {
		json_decref(v);
		return r1_fail(why, R1_ERR_INVAL, "value: nested deeper than %d", JVALUE_MAX_DEPTH);
	}
	*out = v;
	return R1_OK;
}

unsigned jvalue_depth(const json_t *v, unsigned limit)
{
	if (!json_is_array(v) && !json_is_object(v))
		return 0;
	if (limit == 0)
		return 1;
	unsigned deepest = 0;
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			unsigned d = jvalue_depth(json_array_get(v, i), limit - 1);
			deepest = R1_MAX(deepest, d);
			if (deepest >= limit)
				break;
		}
	} else {
		const char *k;
		json_t *m;
		json_object_foreach((json_t *)v, k, m)
		{
			unsigned d = jvalue_depth(m, limit - 1);
			deepest = R1_MAX(deepest, d);
			if (deepest >= limit)
				break;
		}
	}
	return deepest + 1;
}

enum r1_err jvalue_dump(const json_t *v, struct buf *out, char **why)
{
	if (!v)
		return r1_fail(why, R1_ERR_INVAL, "value: missing");
	struct pyjson_opts o = {.compact = true, .utf8 = true, .max_depth = JVALUE_MAX_DEPTH};
	enum r1_err e = pyjson_dump(out, v, &o, why);
	if (e == R1_ERR_TOOBIG)
		e = R1_ERR_INVAL; /* this header's contract: too deep is an invalid value */
	if (e)
		r1_why_prefix(why, "value");
	return e;
}

enum r1_err jvalue_normalize(const char *text, size_t len, struct buf *out, char **why)
{
	json_t *v = NULL;
	enum r1_err e = jvalue_parse(text, len, &v, why);
	if (e)
		return e;
	e = jvalue_dump(v, out, why);
	json_decref(v);
	return e;
}

/* The number Python sees in an int, float or bool; false for other types. */
static bool as_number(const json_t *v, bool *is_int, json_int_t *i, double *d)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		*is_int = true;
		*i = json_integer_value(v);
		return true;
	case JSON_TRUE:
	case JSON_FALSE:
		*is_int = true;
		*i = json_is_true(v);
		return true;
	case JSON_REAL:
		*is_int = false;
		*d = json_real_value(v);
		return true;
	default:
		return false;
	}
}

/* Exact comparison of an int and a double, as Python does it. */
static bool int_equals_double(json_int_t i, double d)
{
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return false;
	if (d != floor(d))
		return false;
	return (json_int_t)d == i;
}

static bool equal(const json_t *a, const json_t *b)
{
	bool ai, bi;
	json_int_t an = 0, bn = 0;
	double ad = 0, bd = 0;
	if (as_number(a, &ai, &an, &ad)) {
		if (!as_number(b, &bi, &bn, &bd))
			return false;
		if (ai && bi)
			return an == bn;
		if (!ai && !bi)
			return ad == bd;
		return ai ? int_equals_double(an, bd) : int_equals_double(bn, ad);
	}
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_NULL:
		return true;
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) ==
		           0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return false;
		for (void *it = json_object_iter((json_t *)a); it;
		     it = json_object_iter_next((json_t *)a, it)) {
			json_t *other = json_object_getn(b, json_object_iter_key(it),
			                                 json_object_iter_key_len(it));
			if (!other || !equal(json_object_iter_value(it), other))
				return false;
		}
		return true;
	default:
		return false;
	}
}

bool jvalue_equal(const json_t *a, const json_t *b)
{
	if (!a)
		a = json_null();
	if (!b)
		b = json_null();
	return equal(a, b);
}

bool jvalue_text_equal(const char *a, const char *b)
{
	if (!a || !b)
		return (!a || strcmp(a, "null") == 0) && (!b || strcmp(b, "null") == 0);
	if (strcmp(a, b) == 0)
		return true;
	json_t *va = NULL, *vb = NULL;
	bool eq = false;
	if (jvalue_parse(a, strlen(a), &va, NULL) == R1_OK &&
	    jvalue_parse(b, strlen(b), &vb, NULL) == R1_OK)
		eq = equal(va, vb);
	json_decref(va);
	json_decref(vb);
	return eq;
}

bool jvalue_text_equal_value(const char *text, const json_t *v)
{
	if (!text)
		return !v || json_is_null(v);
	if (!v)
		return strcmp(text, "null") == 0;
	json_t *parsed = NULL;
	if (jvalue_parse(text, strlen(text), &parsed, NULL) != R1_OK)
		return false;
	bool eq = equal(parsed, v);
	json_decref(parsed);
	return eq;
}
