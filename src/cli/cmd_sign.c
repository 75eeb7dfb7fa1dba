/*
 * r1console sign / verify: one JSON message on stdin, so a person can sign a
 * message or check one by hand exactly as a node would.  `sign` writes the
 * signed wire text (SIGN_CANON_V "v2", EE_HASH, EE_SIGN, EE_SENDER and, with
 * ETH on, EE_ETH_SENDER/EE_ETH_SIGN) to stdout; `verify` prints the verdict
 * with its reason and exits 0 only when the message verifies.  --no-eth acts
 * as a peer whose ETH flag is off (EE_ETH_* are then hashed like data).
 * The work is envelope.c's; this file is argv and stdin.
 */
#include "cli/cli.h"
#include "core/envelope.h"
#include "core/identity.h"
#include "core/jdoc.h"

/* Read all of stdin, refusing more than the protocol's message limit. */
static int read_stdin(struct buf *in)
{
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (in->len + n > R1_MAX_MESSAGE_LEN) {
			cli_error(_("the message is larger than %u bytes"), R1_MAX_MESSAGE_LEN);
			return EXIT_FAIL;
		}
		buf_add(in, chunk, n);
	}
	if (ferror(stdin)) {
		cli_error(_("cannot read standard input: %s"), strerror(errno));
		return EXIT_FAIL;
	}
	if (!buf_ok(in)) {
		cli_error(_("out of memory"));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* The verdicts as a person reads them (envelope_status_name, translatable). */
static const char *const status_text[ENVELOPE__COUNT] = {
    [ENVELOPE_OK] = N_("valid"),
    [ENVELOPE_MALFORMED] = N_("malformed"),
    [ENVELOPE_MISSING_SENDER] = N_("missing sender"),
    [ENVELOPE_MISSING_SIGNATURE] = N_("missing signature"),
    [ENVELOPE_BAD_SENDER_ADDRESS] = N_("bad sender address"),
    [ENVELOPE_UNKNOWN_CANON_VERSION] = N_("unknown canon version"),
    [ENVELOPE_HASH_MISMATCH] = N_("hash mismatch"),
    [ENVELOPE_BAD_SIGNATURE] = N_("bad signature"),
    [ENVELOPE_NO_RESOURCES] = N_("out of memory"),
};

struct sign_args {
	const char *key;
	const char *data;
	bool eth;
};

/* Parse the flags shared by both commands; returns EXIT_OK or EXIT_USAGE. */
static int parse_args(const struct cmd_entry *e, int argc, char **argv, struct sign_args *a,
                      bool takes_key)
{
	a->eth = true;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--no-eth") == 0) {
			a->eth = false;
		} else if (takes_key && (strcmp(arg, "--key") == 0 || strcmp(arg, "--data") == 0)) {
			if (i + 1 >= argc) {
				cli_error(_("%s needs an argument"), arg);
				cli_usage(e, stderr);
				return EXIT_USAGE;
			}
			*(arg[2] == 'k' ? &a->key : &a->data) = argv[++i];
		} else {
			cli_error(_("unexpected argument '%s'"), arg);
			cli_usage(e, stderr);
			return EXIT_USAGE;
		}
	}
	if (takes_key && a->key && a->data) {
		cli_error(_("give --key or --data, not both"));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int cmd_sign(int argc, char **argv);
static int cmd_verify(int argc, char **argv);

const struct cmd_entry cmd_sign_entries[] = {
    {"sign", N_("sign [--key PEM | --data DIR] [--no-eth]"),
     N_("sign one JSON message from stdin and print the signed message"), cmd_sign},
    {"verify", N_("verify [--no-eth]"), N_("check the signature of one JSON message from stdin"),
     cmd_verify},
    {NULL, NULL, NULL, NULL},
};

static int cmd_sign(int argc, char **argv)
{
	const struct cmd_entry *e = &cmd_sign_entries[0];
	if (cli_wants_help(e, argc, argv))
		return EXIT_OK;
	struct sign_args a = {0};
	int rc = parse_args(e, argc, argv, &a, true);
	if (rc)
		return rc;
	if (!a.key && !a.data) {
		/* TRANSLATORS: --key and --data are options; keep them as they are. */
		cli_error(_("no key: give --key FILE (a PEM key) or --data DIR (a node's data "
		            "directory, with e2.pem)"));
		cli_usage(e, stderr);
		return EXIT_USAGE;
	}
	char path[4096];
	if (a.data)
		snprintf(path, sizeof(path), "%s/e2.pem", a.data);
	else
		snprintf(path, sizeof(path), "%s", a.key);

	struct r1_identity id;
	char *why = NULL;
	if (identity_load(&id, path, &why)) {
		cli_error(_("cannot load the key: %s"), why ? why : path);
		r1_free(why);
		return EXIT_FAIL;
	}
	struct buf in = BUF_INIT, wire = BUF_INIT;
	struct jdoc *doc = jdoc_new();
	rc = doc ? read_stdin(&in) : EXIT_FAIL;
	if (!rc && jdoc_parse(doc, buf_cstr(&in), in.len, NULL, &why)) {
		cli_error(_("the message is not valid JSON: %s"), why);
		rc = EXIT_FAIL;
	}
	if (!rc && envelope_sign_jdoc(jdoc_root(doc), &id, a.eth, &wire, &why)) {
		cli_error(_("cannot sign: %s"), why);
		rc = EXIT_FAIL;
	}
	if (!rc) {
		fwrite(wire.data, 1, wire.len, stdout);
		fputc('\n', stdout);
		if (fflush(stdout) != 0) {
			cli_error(_("cannot write the signed message: %s"), strerror(errno));
			rc = EXIT_FAIL;
		}
	}
	identity_wipe(&id);
	jdoc_free(&doc);
	buf_release(&in);
	buf_release(&wire);
	r1_free(why);
	return rc;
}

static int cmd_verify(int argc, char **argv)
{
	const struct cmd_entry *e = &cmd_sign_entries[1];
	if (cli_wants_help(e, argc, argv))
		return EXIT_OK;
	struct sign_args a = {0};
	int rc = parse_args(e, argc, argv, &a, false);
	if (rc)
		return rc;
	struct buf in = BUF_INIT;
	struct envelope_ctx ctx;
	if (envelope_ctx_init(&ctx, NULL)) {
		cli_error(_("out of memory"));
		envelope_ctx_release(&ctx);
		return EXIT_FAIL;
	}
	rc = read_stdin(&in);
	if (!rc) {
		struct envelope_verdict v;
		envelope_verify_wire(&ctx, buf_cstr(&in), in.len, a.eth, &v);
		if (v.status == ENVELOPE_OK) {
			/* TRANSLATORS: "valid (canon v2) signed by 0xai_..., over EE_HASH" */
			printf(_("valid (canon %s) signed by %s, %s\n"),
			       envelope_canon_name(v.canon), v.sender,
			       v.hashed ? _("signature over EE_HASH")
			                : _("signature over the canonical text (no EE_HASH)"));
		} else {
			/* TRANSLATORS: "invalid: hash mismatch: <reason>" */
			printf(_("invalid: %s: %s\n"), _(status_text[v.status]), v.reason);
			rc = EXIT_FAIL;
		}
	}
	envelope_ctx_release(&ctx);
	buf_release(&in);
	return rc;
}
