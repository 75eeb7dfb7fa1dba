/*
 * Signing and verifying the Ratio1 signature block (see envelope.h).  The
 * verification order is the SDK's (sender, signature, their decoding, canon
 * version, then per canon path: hash, then signature), so that when a message
 * has one fault our verdict names the same fault the SDK's reason does.  The
 * receive path reuses the context's document, canonical buffer, sort scratch
 * and a cache of parsed sender keys: after warm-up it does not allocate.
 * Deciding what to do with a verified message (allow-lists, decryption) is
 * not this module's business.
 */
#include "core/lib.h"
#include "core/envelope.h"
#include "core/codec.h"
#include "core/hash.h"
#include "core/proto.h"

#include <math.h>

/* DER ECDSA is at most 72 bytes; room for a little more so that an
 * overlong but valid base64 reaches the DER check and is named as such. */
#define SIG_BYTES_MAX 96

static const char *const status_names[ENVELOPE__COUNT] = {
    [ENVELOPE_OK] = "valid",
    [ENVELOPE_MALFORMED] = "malformed",
    [ENVELOPE_MISSING_SENDER] = "missing sender",
    [ENVELOPE_MISSING_SIGNATURE] = "missing signature",
    [ENVELOPE_BAD_SENDER_ADDRESS] = "bad sender address",
    [ENVELOPE_UNKNOWN_CANON_VERSION] = "unknown canon version",
    [ENVELOPE_HASH_MISMATCH] = "hash mismatch",
    [ENVELOPE_BAD_SIGNATURE] = "bad signature",
    [ENVELOPE_NO_RESOURCES] = "out of memory",
};

static const char *const canon_names[] = {
    [ENVELOPE_CANON_NONE] = "none",
    [ENVELOPE_CANON_V2] = "v2",
    [ENVELOPE_CANON_UNVERSIONED] = "unversioned",
    [ENVELOPE_CANON_V1] = "v1",
};

/* Fields left out of the hash: [eth][with SIGN_CANON_V hashed]. */
static const char *const EXCL_ETH_V2[] = {K_EE_SIGN,     K_EE_SENDER,     K_EE_HASH,
                                          K_EE_ETH_SIGN, K_EE_ETH_SENDER, NULL};
static const char *const EXCL_ETH_OLD[] = {
    K_EE_SIGN, K_EE_SENDER, K_EE_HASH, K_SIGN_CANON_V, K_EE_ETH_SIGN, K_EE_ETH_SENDER, NULL};
static const char *const EXCL_V2[] = {K_EE_SIGN, K_EE_SENDER, K_EE_HASH, NULL};
static const char *const EXCL_OLD[] = {K_EE_SIGN, K_EE_SENDER, K_EE_HASH, K_SIGN_CANON_V, NULL};

static const char *const *exclusions(bool eth, bool v2)
{
	if (eth)
		return v2 ? EXCL_ETH_V2 : EXCL_ETH_OLD;
	return v2 ? EXCL_V2 : EXCL_OLD;
}

const char *envelope_status_name(enum envelope_status s)
{
	return (unsigned)s < ENVELOPE__COUNT ? status_names[s] : "unknown";
}

const char *envelope_canon_name(enum envelope_canon c)
{
	return (unsigned)c < R1_ARRAY_LEN(canon_names) ? canon_names[c] : "none";
}

enum r1_err envelope_ctx_init(struct envelope_ctx *ctx, char **why)
{
	memset(ctx, 0, sizeof(*ctx));
	buf_init(&ctx->canon);
	canon_scratch_init(&ctx->scratch);
	ctx->doc = jdoc_new();
	if (!ctx->doc)
		return r1_fail(why, R1_ERR_NOMEM, "envelope: out of memory");
	return R1_OK;
}

void envelope_ctx_release(struct envelope_ctx *ctx)
{
	jdoc_free(&ctx->doc);
	buf_release(&ctx->canon);
	canon_scratch_release(&ctx->scratch);
	memset(ctx->keys, 0, sizeof(ctx->keys));
}

const struct jdoc_node *envelope_ctx_message(const struct envelope_ctx *ctx)
{
	return ctx->doc ? jdoc_root(ctx->doc) : NULL;
}

/* -------------------------------------------------------------- verdicts */

static enum envelope_status verdict(struct envelope_verdict *out, enum envelope_status s,
                                    const char *fmt, ...) R1_PRINTF(3, 4);

static enum envelope_status verdict(struct envelope_verdict *out, enum envelope_status s,
                                    const char *fmt, ...)
{
	out->status = s;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return s;
}

/* A peer's bytes made safe for a reason a person reads on a terminal. */
static const char *shown(const struct jdoc_node *n, char *tmp, size_t cap)
{
	if (jdoc_type(n) != JDOC_STRING) {
		static const char *const kinds[] = {
		    [JDOC_NULL] = "null",      [JDOC_FALSE] = "false",      [JDOC_TRUE] = "true",
		    [JDOC_INT] = "an integer", [JDOC_FLOAT] = "a float",    [JDOC_STRING] = "",
		    [JDOC_ARRAY] = "an array", [JDOC_OBJECT] = "an object",
		};
		snprintf(tmp, cap, "%s", kinds[jdoc_type(n)]);
		return tmp;
	}
	size_t o = 0, shown_max = R1_MIN(cap - 6, 72);
	tmp[o++] = '"';
	for (size_t i = 0; i < jdoc_len(n) && o < shown_max; i++) {
		unsigned char c = (unsigned char)jdoc_str(n)[i];
		tmp[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (jdoc_len(n) > shown_max - 1)
		tmp[o++] = '.', tmp[o++] = '.', tmp[o++] = '.';
	tmp[o++] = '"';
	tmp[o] = '\0';
	return tmp;
}

/* --------------------------------------------------------------- helpers */

struct fields {
	const struct jdoc_node *sender, *sign, *canon_v, *hash;
};

/* One pass over the members; a repeated key keeps its last value. */
static void find_fields(const struct jdoc_node *msg, struct fields *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < jdoc_len(msg); i++) {
		const struct jdoc_node *k = jdoc_obj_key(msg, i);
		if (jdoc_len(k) < 7 || (jdoc_str(k)[0] != 'E' && jdoc_str(k)[0] != 'S'))
			continue;
		const struct jdoc_node *v = jdoc_obj_val(msg, i);
		if (jdoc_str_eq(k, K_EE_SENDER, strlen(K_EE_SENDER)))
			f->sender = v;
		else if (jdoc_str_eq(k, K_EE_SIGN, strlen(K_EE_SIGN)))
			f->sign = v;
		else if (jdoc_str_eq(k, K_EE_HASH, strlen(K_EE_HASH)))
			f->hash = v;
		else if (jdoc_str_eq(k, K_SIGN_CANON_V, strlen(K_SIGN_CANON_V)))
			f->canon_v = v;
	}
}

/*
 * URL-safe base64 of a signature, table-driven: libsodium's decoder is
 * constant-time, which a public signature does not need, and it cost more
 * than the rest of the envelope bookkeeping.  Only canonical text (full
 * quads, '=' padding, zero unused bits) is taken here; anything else goes
 * to the codec, which decides and says why.
 */
static inline int b64url_value(char ch)
{
	unsigned char c = (unsigned char)ch;
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '_')
		return c == '-' ? 62 : 63;
	return c == '=' ? -2 : -1;
}

static bool b64url_fast(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	if (len == 0 || len % 4)
		return false;
	size_t pad = s[len - 1] == '=' ? (s[len - 2] == '=' ? 2 : 1) : 0;
	size_t n = len / 4 * 3 - pad;
	if (n > cap)
		return false;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		int a = b64url_value(s[i]), b = b64url_value(s[i + 1]);
		int c = b64url_value(s[i + 2]), d = b64url_value(s[i + 3]);
		bool last = i + 4 == len;
		if (a < 0 || b < 0 || (c < 0 && !(last && pad == 2 && c == -2)) ||
		    (d < 0 && !(last && pad >= 1 && d == -2)))
			return false;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 |
		             (uint32_t)(c < 0 ? 0 : c) << 6 | (uint32_t)(d < 0 ? 0 : d);
		if (last && pad == 2 && (v & 0xFFFF))
			return false; /* unused bits set: not canonical */
		if (last && pad == 1 && (v & 0xFF))
			return false;
		out[o++] = (uint8_t)(v >> 16);
		if (!(last && pad == 2))
			out[o++] = (uint8_t)(v >> 8);
		if (!(last && pad))
			out[o++] = (uint8_t)v;
	}
	*out_len = o;
	return true;
}

/* Python's truth value of a JSON value (the SDK tests `if received_digest:`). */
static bool py_truthy(const struct jdoc_node *n)
{
	switch (jdoc_type(n)) {
	case JDOC_NULL:
	case JDOC_FALSE:
		return false;
	case JDOC_TRUE:
		return true;
	case JDOC_INT:
	case JDOC_FLOAT: {
		double x = 0;
		jdoc_double(n, &x, NULL);
		return x != 0 || isnan(x);
	}
	case JDOC_STRING:
	case JDOC_ARRAY:
	case JDOC_OBJECT:
		return jdoc_len(n) > 0;
	}
	return true;
}

static uint32_t body_slot(const char *body)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < R1_ADDR_BODY_LEN; i++)
		h = (h ^ (uint8_t)body[i]) * 16777619u;
	return h % ENVELOPE_PUBKEY_CACHE;
}

/* EE_SENDER to a verification key, through the cache. */
static enum envelope_status sender_key(struct envelope_ctx *ctx, const struct jdoc_node *n,
                                       const struct r1_pubkey **pk, struct envelope_verdict *out)
{
	char tmp[96];
	if (jdoc_type(n) != JDOC_STRING)
		return verdict(out, ENVELOPE_BAD_SENDER_ADDRESS, "EE_SENDER is %s, not a string",
		               shown(n, tmp, sizeof(tmp)));
	const char *s = jdoc_str(n);
	size_t len = jdoc_len(n);
	const char *body = s;
	if (len >= 5 &&
	    (memcmp(s, R1_ADDR_PREFIX, 5) == 0 || memcmp(s, R1_ADDR_PREFIX_LEGACY, 5) == 0))
		body += 5;
	struct envelope_cached_key *slot = NULL;
	if (len - (size_t)(body - s) == R1_ADDR_BODY_LEN) {
		slot = &ctx->keys[body_slot(body)];
		if (slot->used && memcmp(slot->body, body, R1_ADDR_BODY_LEN) == 0) {
			memcpy(out->sender_pub, slot->pub, R1_PUB_LEN);
			addr_format(slot->pub, out->sender);
			*pk = &slot->pk;
			return ENVELOPE_OK;
		}
	}
	char *why = NULL;
	struct r1_pubkey parsed;
	if (addr_parse(s, len, out->sender_pub, &why) ||
	    pubkey_parse(&parsed, out->sender_pub, &why)) {
		verdict(out, ENVELOPE_BAD_SENDER_ADDRESS, "EE_SENDER %s: %s",
		        shown(n, tmp, sizeof(tmp)), why ? why : "not a valid address");
		r1_free(why);
		return out->status;
	}
	addr_format(out->sender_pub, out->sender);
	if (!slot) /* cannot happen: addr_parse checked the length */
		slot = &ctx->keys[0];
	memcpy(slot->body, body, R1_ADDR_BODY_LEN);
	memcpy(slot->pub, out->sender_pub, R1_PUB_LEN);
	slot->pk = parsed;
	slot->used = true;
	*pk = &slot->pk;
	return ENVELOPE_OK;
}

struct check {
	const struct jdoc_node *msg;
	const struct fields *f;
	bool eth;
	bool hashed;
	const struct r1_pubkey *pk;
	uint8_t der[SIG_BYTES_MAX];
	size_t der_len;
};

/*
 * One reconstruction: canonical text, hash, EE_HASH comparison, signature.
 * Writes the reason (without the canon label) into reason[].
 */
static enum envelope_status attempt(struct envelope_ctx *ctx, const struct check *c,
                                    enum canon_floats floats, bool v2, char *reason, size_t cap,
                                    size_t *floats_seen)
{
	struct canon_opts o = {floats, false, exclusions(c->eth, v2)};
	buf_reset(&ctx->canon);
	if (canon_jdoc(&ctx->canon, c->msg, &o, &ctx->scratch, NULL)) {
		snprintf(reason, cap, "out of memory building the canonical text");
		return ENVELOPE_NO_RESOURCES;
	}
	*floats_seen = ctx->scratch.floats;
	uint8_t h[SHA256_LEN], digest[SHA256_LEN];
	sha256(ctx->canon.data, ctx->canon.len, h);
	if (c->hashed) {
		char hex[2 * SHA256_LEN + 1];
		hex_format(hex, h, SHA256_LEN);
		const struct jdoc_node *eh = c->f->hash;
		if (!jdoc_str_eq(eh, hex, 2 * SHA256_LEN)) {
			char tmp[96];
			snprintf(reason, cap, "EE_HASH says %s, computed \"%s\"",
			         shown(eh, tmp, sizeof(tmp)), hex);
			return ENVELOPE_HASH_MISMATCH;
		}
		sha256(h, SHA256_LEN, digest); /* the SDK signs the 32 hash bytes */
	} else {
		memcpy(digest, h, SHA256_LEN); /* signed over the canonical bytes */
	}
	switch (sig_verify_digest(c->pk, digest, c->der, c->der_len, NULL)) {
	case R1_OK:
		reason[0] = '\0';
		return ENVELOPE_OK;
	case R1_ERR_INVAL:
		snprintf(reason, cap, "EE_SIGN is not a DER-encoded ECDSA signature");
		return ENVELOPE_MALFORMED;
	default:
		snprintf(reason, cap, "the signature does not verify for the key of EE_SENDER");
		return ENVELOPE_BAD_SIGNATURE;
	}
}

enum envelope_status envelope_verify(struct envelope_ctx *ctx, const struct jdoc_node *msg,
                                     bool eth_enabled, struct envelope_verdict *out)
{
	memset(out, 0, sizeof(*out));
	char tmp[96];
	if (!msg || jdoc_type(msg) != JDOC_OBJECT)
		return verdict(out, ENVELOPE_MALFORMED, "the message is not a JSON object");
	struct fields f;
	find_fields(msg, &f);
	if (!f.sender || jdoc_type(f.sender) == JDOC_NULL)
		return verdict(out, ENVELOPE_MISSING_SENDER, "EE_SENDER is %s",
		               f.sender ? "null" : "missing");
	if (!f.sign || jdoc_type(f.sign) == JDOC_NULL)
		return verdict(out, ENVELOPE_MISSING_SIGNATURE, "EE_SIGN is %s",
		               f.sign ? "null" : "missing");

	struct check c = {.msg = msg, .f = &f, .eth = eth_enabled};
	if (jdoc_type(f.sign) != JDOC_STRING)
		return verdict(out, ENVELOPE_MALFORMED, "EE_SIGN is %s, not a string",
		               shown(f.sign, tmp, sizeof(tmp)));
	char *why = NULL;
	if (!b64url_fast(jdoc_str(f.sign), jdoc_len(f.sign), c.der, sizeof(c.der), &c.der_len) &&
	    base64_decode_into(jdoc_str(f.sign), jdoc_len(f.sign), B64_URL, c.der, sizeof(c.der),
	                       &c.der_len, &why)) {
		verdict(out, ENVELOPE_MALFORMED,
		        "EE_SIGN is not a DER signature in URL-safe base64: %s",
		        why ? why : "bad encoding");
		r1_free(why);
		return out->status;
	}
	if (sender_key(ctx, f.sender, &c.pk, out))
		return out->status;

	enum envelope_canon path;
	if (!f.canon_v || jdoc_type(f.canon_v) == JDOC_NULL)
		path = ENVELOPE_CANON_UNVERSIONED;
	else if (jdoc_str_eq(f.canon_v, "v2", 2))
		path = ENVELOPE_CANON_V2;
	else if (jdoc_str_eq(f.canon_v, "v1", 2))
		path = ENVELOPE_CANON_V1;
	else
		return verdict(out, ENVELOPE_UNKNOWN_CANON_VERSION,
		               "unknown SIGN_CANON_V %s (known: \"v1\", \"v2\")",
		               shown(f.canon_v, tmp, sizeof(tmp)));
	c.hashed = f.hash && py_truthy(f.hash);
	out->hashed = c.hashed;

	char r1[ENVELOPE_REASON_MAX], r2[ENVELOPE_REASON_MAX];
	size_t floats = 0;
	enum envelope_status s;
	if (path == ENVELOPE_CANON_V2 || path == ENVELOPE_CANON_V1) {
		bool v2 = path == ENVELOPE_CANON_V2;
		s = attempt(ctx, &c, v2 ? CANON_FLOATS_REPR : CANON_FLOATS_LEGACY, v2, r1,
		            sizeof(r1), &floats);
		if (s == ENVELOPE_OK) {
			out->canon = path;
			return out->status = ENVELOPE_OK;
		}
		return verdict(out, s, "%s (canon %s)", r1, envelope_canon_name(path));
	}
	/* unversioned: the current encoder first, then the legacy one */
	s = attempt(ctx, &c, CANON_FLOATS_REPR, false, r1, sizeof(r1), &floats);
	if (s == ENVELOPE_OK) {
		out->canon = ENVELOPE_CANON_UNVERSIONED;
		return out->status = ENVELOPE_OK;
	}
	if (s == ENVELOPE_NO_RESOURCES)
		return verdict(out, s, "%s", r1);
	if (floats == 0) /* no float: the legacy text is the same text */
		return verdict(out, s, "%s (canon unversioned and v1: no floats, same text)", r1);
	enum envelope_status s2 =
	    attempt(ctx, &c, CANON_FLOATS_LEGACY, false, r2, sizeof(r2), &floats);
	if (s2 == ENVELOPE_OK) {
		out->canon = ENVELOPE_CANON_V1;
		return out->status = ENVELOPE_OK;
	}
	return verdict(out, s2, "%s (canon v1); %s (canon unversioned)", r2, r1);
}

enum envelope_status envelope_verify_wire(struct envelope_ctx *ctx, const char *wire, size_t len,
                                          bool eth_enabled, struct envelope_verdict *out)
{
	char *why = NULL;
	enum r1_err e = jdoc_parse(ctx->doc, wire, len, NULL, &why);
	if (e) {
		memset(out, 0, sizeof(*out));
		verdict(out, e == R1_ERR_NOMEM ? ENVELOPE_NO_RESOURCES : ENVELOPE_MALFORMED, "%s",
		        why ? why : "json: cannot parse");
		r1_free(why);
		return out->status;
	}
	return envelope_verify(ctx, jdoc_root(ctx->doc), eth_enabled, out);
}

/* --------------------------------------------------------------- signing */

/*
 * `u` is the message to sign as compact JSON text, SIGN_CANON_V "v2"
 * included and no signature block.  Hash it the way a receiver will (by
 * parsing it), sign, and append u plus the signature block to `wire`.
 */
#define SIG_B64_MAX 100 /* base64 of 72 bytes is 96 characters */

struct sign_out {
	char hash_hex[2 * SHA256_LEN + 1];
	char sig_b64[SIG_B64_MAX];
};

static enum r1_err sign_text(const struct buf *u, const struct r1_identity *id, bool eth,
                             struct buf *wire, struct sign_out *so, char **why)
{
	struct jdoc *d = jdoc_new();
	struct buf canon = BUF_INIT;
	enum r1_err e = d ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "sign: out of memory");
	struct jdoc_limits lim = {.max_input = u->len, .max_depth = JDOC_DEPTH_MAX};
	struct canon_opts o = {CANON_FLOATS_REPR, false, exclusions(eth, true)};
	if (!e && (e = jdoc_parse(d, u->data, u->len, &lim, why)))
		r1_why_prefix(why, "sign");
	if (!e)
		e = canon_jdoc(&canon, jdoc_root(d), &o, NULL, why);
	uint8_t h[SHA256_LEN], digest[SHA256_LEN], der[R1_SIG_DER_MAX];
	size_t der_len = 0;
	if (!e) {
		sha256(canon.data, canon.len, h);
		sha256(h, SHA256_LEN, digest);
		e = identity_sign_digest(id, digest, der, &der_len, why);
	}
	if (!e) {
		hex_format(so->hash_hex, h, SHA256_LEN);
		struct buf b64 = BUF_INIT;
		base64_encode(&b64, der, der_len, B64_URL);
		snprintf(so->sig_b64, sizeof(so->sig_b64), "%s", buf_cstr(&b64));
		if (!buf_ok(&b64))
			wire->oom = true;
		buf_release(&b64);
		buf_add(wire, u->data, u->len - 1); /* without the closing brace */
		buf_addf(wire, ",\"" K_EE_SIGN "\":\"%s\"", so->sig_b64);
		buf_addf(wire, ",\"" K_EE_SENDER "\":\"%s\"", id->addr);
		if (eth)
			buf_addf(wire,
			         ",\"" K_EE_ETH_SENDER "\":\"%s\",\"" K_EE_ETH_SIGN "\":\"%s\"",
			         id->eth, EE_ETH_SIGN_PLACEHOLDER);
		buf_addf(wire, ",\"" K_EE_HASH "\":\"%s\"}", so->hash_hex);
		if (!buf_ok(wire))
			e = r1_fail(why, R1_ERR_NOMEM, "sign: out of memory");
	}
	buf_release(&canon);
	jdoc_free(&d);
	return e;
}

/* Close the unsigned text: SIGN_CANON_V last, then the brace. */
static void add_canon_v(struct buf *u)
{
	u->len--; /* drop '}' */
	if (u->len > 1)
		buf_addc(u, ',');
	buf_adds(u, "\"" K_SIGN_CANON_V "\":\"v2\"}");
}

enum r1_err envelope_sign(const json_t *msg, const struct r1_identity *id, bool eth_enabled,
                          struct buf *wire, json_t **signed_msg, char **why)
{
	if (signed_msg)
		*signed_msg = NULL;
	if (!json_is_object(msg))
		return r1_fail(why, R1_ERR_INVAL, "sign: the message is not a JSON object");
	struct buf u = BUF_INIT;
	struct canon_opts o = {CANON_FLOATS_REPR, true, exclusions(eth_enabled, false)};
	enum r1_err e = canon_json(&u, msg, &o, NULL, why);
	struct sign_out so;
	if (!e) {
		add_canon_v(&u);
		e = buf_ok(&u) ? sign_text(&u, id, eth_enabled, wire, &so, why)
		               : r1_fail(why, R1_ERR_NOMEM, "sign: out of memory");
	}
	buf_release(&u);
	if (e || !signed_msg)
		return e;
	/* the same message as a jansson object: a copy with the block set */
	json_t *m = json_deep_copy(msg);
	bool okay = m != NULL;
	if (okay) {
		for (const char *const *k = exclusions(eth_enabled, false); *k; k++)
			json_object_del(m, *k);
		okay = !json_object_set_new(m, K_SIGN_CANON_V, json_string("v2")) &&
		       !json_object_set_new(m, K_EE_SIGN, json_string(so.sig_b64)) &&
		       !json_object_set_new(m, K_EE_SENDER, json_string(id->addr)) &&
		       (!eth_enabled ||
		        (!json_object_set_new(m, K_EE_ETH_SENDER, json_string(id->eth)) &&
		         !json_object_set_new(m, K_EE_ETH_SIGN,
		                              json_string(EE_ETH_SIGN_PLACEHOLDER)))) &&
		       !json_object_set_new(m, K_EE_HASH, json_string(so.hash_hex));
	}
	if (!okay) {
		json_decref(m);
		return r1_fail(why, R1_ERR_NOMEM, "sign: out of memory");
	}
	*signed_msg = m;
	return R1_OK;
}

enum r1_err envelope_sign_jdoc(const struct jdoc_node *msg, const struct r1_identity *id,
                               bool eth_enabled, struct buf *wire, char **why)
{
	if (!msg || jdoc_type(msg) != JDOC_OBJECT)
		return r1_fail(why, R1_ERR_INVAL, "sign: the message is not a JSON object");
	struct buf u = BUF_INIT;
	struct canon_opts o = {CANON_FLOATS_REPR, true, exclusions(eth_enabled, false)};
	struct sign_out so;
	enum r1_err e = canon_jdoc(&u, msg, &o, NULL, why);
	if (!e) {
		add_canon_v(&u);
		e = buf_ok(&u) ? sign_text(&u, id, eth_enabled, wire, &so, why)
		               : r1_fail(why, R1_ERR_NOMEM, "sign: out of memory");
	}
	buf_release(&u);
	return e;
}
