/*
 * The flag parser shared by every command (see args.h): global flags first,
 * then the command's own table.  It only parses; commands decide.
 */
#include "core/lib.h"
#include "cli/args.h"

#include <math.h>

static const struct cli_flag global_flags[] = {
    {"profile", CLI_STR, offsetof(struct cli_global, cfg.profile)},
    {"broker", CLI_STR, offsetof(struct cli_global, cfg.broker)},
    {"root", CLI_STR, offsetof(struct cli_global, cfg.root)},
    {"identity", CLI_STR, offsetof(struct cli_global, cfg.identity)},
    {"alias", CLI_STR, offsetof(struct cli_global, cfg.alias)},
    {"timeout", CLI_SECONDS, offsetof(struct cli_global, cfg.timeout_s)},
    {"online-timeout", CLI_SECONDS, offsetof(struct cli_global, cfg.online_timeout_s)},
    {"json", CLI_BOOL, offsetof(struct cli_global, json)},
    CLI_FLAGS_END,
};

static const struct cli_flag *find(const struct cli_flag *t, const char *name, size_t len)
{
	for (; t && t->name; t++)
		if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
			return t;
	return NULL;
}

static bool set_err(char **err, const char *fmt, ...) R1_PRINTF(2, 3);
static bool set_err(char **err, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r1_free(*err);
	*err = buf_detach(&b, NULL);
	return false;
}

static bool store(const struct cli_flag *f, void *base, const char *value, char **err)
{
	char *at = (char *)base + f->offset;
	switch (f->type) {
	case CLI_BOOL:
		*(bool *)at = true;
		return true;
	case CLI_STR:
		*(const char **)at = value;
		return true;
	case CLI_SECONDS: {
		char *end = NULL;
		errno = 0;
		double v = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(v) || v <= 0 || v > 86400)
			return set_err(err, "--%s '%s': expected a number of seconds above 0",
			               f->name, value);
		*(double *)at = v;
		return true;
	}
	case CLI_INT: {
		char *end = NULL;
		errno = 0;
		long long v = strtoll(value, &end, 10);
		if (errno || end == value || *end)
			return set_err(err, "--%s '%s': expected a whole number", f->name, value);
		*(long long *)at = v;
		return true;
	}
	}
	return false;
}

bool cli_parse(int argc, char **argv, const struct cli_flag *flags, void *opts,
               struct cli_global *g, struct cli_args *out, char **err)
{
	out->n_pos = 0;
	bool flags_done = false;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (flags_done || a[0] != '-' || a[1] == '\0') {
			if (out->n_pos >= CLI_POS_MAX)
				return set_err(err, "too many arguments");
			out->pos[out->n_pos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			flags_done = true;
			continue;
		}
		if (a[1] != '-')
			return set_err(err, "unknown option '%s'", a);
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct cli_flag *f = find(flags, name, len);
		void *base = opts;
		if (!f) {
			f = find(global_flags, name, len);
			base = g;
		}
		if (!f)
			return set_err(err, "unknown option '--%.*s'", (int)len, name);
		const char *value = NULL;
		if (f->type == CLI_BOOL) {
			if (eq)
				return set_err(err, "--%s takes no value", f->name);
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			return set_err(err, "--%s needs a value", f->name);
		}
		if (!store(f, base, value, err))
			return false;
	}
	return true;
}
