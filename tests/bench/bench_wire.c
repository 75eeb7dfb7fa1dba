/*
 * Speed of the wire core, each figure beside its anchor measured in the same
 * run: signing and the full receive path (parse, canonicalize, hash, verify)
 * against raw libsecp256k1 secp256k1_ecdsa_sign / secp256k1_ecdsa_verify on
 * a fixed digest, and canonicalization throughput.  Rounds of the anchor
 * and of the measured path alternate and the best round of each is kept, so
 * a busy machine skews both alike.  Not a test: it asserts nothing; figures
 * that count are taken on a quiet machine.
 *
 * usage: bench_wire [SECONDS_PER_ROUND]   (vectors from $R1_VECTORS or the
 * source tree's ../shared/vectors)
 */
#include "core/lib.h"
#include "core/canon.h"
#include "core/envelope.h"
#include "core/hash.h"
#include "core/identity.h"
#include "core/jdoc.h"

#include <secp256k1.h>

#define ROUNDS 3

struct sample {
	const char *name;
	char *wire;
	size_t len;
	json_t *unsigned_msg; /* the message without its signature block */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *read_row(const char *file, const char *id)
{
	const char *dir = getenv("R1_VECTORS");
	char path[4096];
	if (dir)
		snprintf(path, sizeof(path), "%s/%s", dir, file);
	else
		snprintf(path, sizeof(path), "%s/../shared/vectors/%s", R1_SRCDIR, file);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bench_wire: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	char *line = NULL, *found = NULL;
	size_t cap = 0;
	char needle[64];
	snprintf(needle, sizeof(needle), "\"id\": \"%s\"", id);
	while (getline(&line, &cap, f) > 0)
		if (strstr(line, needle)) {
			found = strdup(line);
			break;
		}
	free(line);
	fclose(f);
	if (!found) {
		fprintf(stderr, "bench_wire: %s: no row %s\n", path, id);
		exit(2);
	}
	return found;
}

static void load_sample(struct sample *s, const char *name, const char *file, const char *id)
{
	char *row_text = read_row(file, id);
	json_t *row = json_loads(row_text, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
	json_t *w = json_object_get(row, "wire");
	s->name = name;
	s->len = json_string_length(w);
	s->wire = r1_memdup(json_string_value(w), s->len + 1);
	s->unsigned_msg = json_loadb(s->wire, s->len, JSON_ALLOW_NUL, NULL);
	static const char *const block[] = {"EE_SIGN",      "EE_SENDER",   "EE_HASH",
	                                    "SIGN_CANON_V", "EE_ETH_SIGN", "EE_ETH_SENDER"};
	for (size_t i = 0; i < R1_ARRAY_LEN(block); i++)
		json_object_del(s->unsigned_msg, block[i]);
	json_decref(row);
	free(row_text);
}

/* Run fn until `secs` have passed; return calls per second. */
#define RATE(secs, body)                                                                           \
	({                                                                                         \
		double t0_ = now(), t_;                                                            \
		long n_ = 0;                                                                       \
		do {                                                                               \
			for (int i_ = 0; i_ < 16; i_++) {                                          \
				body;                                                              \
			}                                                                          \
			n_ += 16;                                                                  \
		} while ((t_ = now()) - t0_ < (secs));                                             \
		(double)n_ / (t_ - t0_);                                                           \
	})

static void best(double *b, double v)
{
	if (v > *b)
		*b = v;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0.5;
	if (secs <= 0)
		secs = 0.5;
	r1_alloc_setup_jansson();

	struct r1_identity id;
	uint8_t secret[32];
	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)(i * 7 + 1);
	if (identity_from_secret(&id, secret, NULL)) {
		fprintf(stderr, "bench_wire: bad key\n");
		return 2;
	}

	/* raw libsecp256k1 anchors on a fixed digest */
	secp256k1_context *sctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
	uint8_t digest[32];
	sha256("r1console bench", 15, digest);
	secp256k1_pubkey pub;
	secp256k1_ecdsa_signature sig;
	if (!secp256k1_ec_pubkey_create(sctx, &pub, secret) ||
	    !secp256k1_ecdsa_sign(sctx, &sig, digest, secret, NULL, NULL)) {
		fprintf(stderr, "bench_wire: libsecp256k1 refused the fixed key\n");
		return 2;
	}

	struct sample samples[2];
	load_sample(&samples[0], "heartbeat (A-hb-002)", "heartbeat.jsonl", "A-hb-002");
	load_sample(&samples[1], "command (A-cmd-017)", "commands.jsonl", "A-cmd-017");

	struct envelope_ctx ctx;
	envelope_ctx_init(&ctx, NULL);
	struct buf wire = BUF_INIT, out = BUF_INIT;
	struct envelope_verdict v;
	volatile int sink = 0;

	const char *core = getenv("OPENBLAS_CORETYPE");
	printf("bench_wire: %.2f s per round, best of %d rounds; OPENBLAS_CORETYPE=%s\n", secs,
	       ROUNDS, core ? core : "unset");

	double raw_sign = 0, raw_verify = 0;
	for (size_t k = 0; k < R1_ARRAY_LEN(samples); k++) {
		struct sample *s = &samples[k];
		envelope_verify_wire(&ctx, s->wire, s->len, true, &v);
		if (v.status != ENVELOPE_OK) {
			fprintf(stderr, "bench_wire: %s does not verify: %s\n", s->name, v.reason);
			return 1;
		}
		double full_verify = 0, full_sign = 0, rs = 0, rv = 0;
		for (int r = 0; r < ROUNDS; r++) {
			best(&rv,
			     RATE(secs, sink += secp256k1_ecdsa_verify(sctx, &sig, digest, &pub)));
			best(&full_verify, RATE(secs, sink += envelope_verify_wire(
			                                  &ctx, s->wire, s->len, true, &v)));
			best(&rs, RATE(secs, sink += secp256k1_ecdsa_sign(sctx, &sig, digest,
			                                                  secret, NULL, NULL)));
			best(&full_sign, RATE(secs, {
				buf_reset(&wire);
				sink +=
				    envelope_sign(s->unsigned_msg, &id, true, &wire, NULL, NULL);
			}));
		}
		best(&raw_sign, rs);
		best(&raw_verify, rv);
		printf("\n%s, %zu bytes on the wire:\n", s->name, s->len);
		printf("  verify, full receive path  %9.0f /s   raw secp256k1_ecdsa_verify %9.0f /s"
		       "   ratio %.2f\n",
		       full_verify, rv, full_verify / rv);
		printf("  sign, envelope_sign        %9.0f /s   raw secp256k1_ecdsa_sign   %9.0f /s"
		       "   ratio %.2f\n",
		       full_sign, rs, full_sign / rs);

		/* canonicalization alone, and parse + canonicalization, in MB of wire */
		struct jdoc *d = jdoc_new();
		struct canon_scratch cs;
		canon_scratch_init(&cs);
		jdoc_parse(d, s->wire, s->len, NULL, NULL);
		double canon_rate = 0, parse_canon_rate = 0, sha_rate = 0;
		for (int r = 0; r < ROUNDS; r++) {
			best(&canon_rate, RATE(secs, {
				buf_reset(&out);
				sink += canon_jdoc(&out, jdoc_root(d), NULL, &cs, NULL);
			}));
			best(&parse_canon_rate, RATE(secs, {
				jdoc_parse(d, s->wire, s->len, NULL, NULL);
				buf_reset(&out);
				sink += canon_jdoc(&out, jdoc_root(d), NULL, &cs, NULL);
			}));
			uint8_t h[32];
			best(&sha_rate, RATE(secs, {
				sha256(s->wire, s->len, h);
				sink += h[0];
			}));
		}
		double mb = (double)s->len / 1e6;
		printf("  canonicalize               %9.1f MB/s   parse + canonicalize %9.1f MB/s"
		       "   (SHA-256 of the same bytes %.1f MB/s)\n",
		       canon_rate * mb, parse_canon_rate * mb, sha_rate * mb);
		canon_scratch_release(&cs);
		jdoc_free(&d);
	}
	printf("\nraw anchors, best over the run: sign %.0f /s, verify %.0f /s\n", raw_sign,
	       raw_verify);
	(void)sink;

	for (size_t k = 0; k < R1_ARRAY_LEN(samples); k++) {
		r1_free(samples[k].wire);
		json_decref(samples[k].unsigned_msg);
	}
	buf_release(&wire);
	buf_release(&out);
	envelope_ctx_release(&ctx);
	secp256k1_context_destroy(sctx);
	identity_wipe(&id);
	return 0;
}
