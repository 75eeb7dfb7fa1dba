/*
 * TAP producer for unit tests (see tap.h).  Test code may print and exit;
 * it is the only C code in the project that does.
 */
#include "tap.h"

#include <ftw.h>
#include <sys/stat.h>

static int tests_run;
static int tests_failed;
static int planned = -1;
static char tmpdir_path[256];

void tap_plan(int n)
{
	planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int tap_done(void)
{
	if (planned < 0)
		printf("1..%d\n", tests_run);
	else if (planned != tests_run)
		printf("# planned %d tests but ran %d\n", planned, tests_run);
	fflush(stdout);
	if (tmpdir_path[0] && !getenv("R1_KEEP_TMP"))
		nftw(tmpdir_path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (planned >= 0 && planned != tests_run)
		return 1;
	return tests_failed ? 1 : 0;
}

int tap_failures(void)
{
	return tests_failed;
}

static bool report(bool cond, const char *file, int line, const char *fmt, va_list ap)
{
	tests_run++;
	printf("%sok %d - ", cond ? "" : "not ", tests_run);
	vprintf(fmt, ap);
	printf("\n");
	if (!cond) {
		tests_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

bool tap_ok(bool cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(cond, file, line, fmt, ap);
	va_end(ap);
	return cond;
}

bool tap_is_int(long long got, long long want, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool cond = report(got == want, file, line, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#        got: %lld\n#   expected: %lld\n", got, want);
	return cond;
}

bool tap_is_str(const char *got, const char *want, const char *file, int line, const char *fmt,
		...)
{
	bool same = (got && want) ? strcmp(got, want) == 0 : got == want;
	va_list ap;
	va_start(ap, fmt);
	report(same, file, line, fmt, ap);
	va_end(ap);
	if (!same)
		printf("#        got: '%s'\n#   expected: '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return same;
}

static void print_hex_prefix(const char *label, const uint8_t *p, size_t n)
{
	printf("#   %s (%zu bytes): ", label, n);
	for (size_t i = 0; i < n && i < 48; i++)
		printf("%02x", p[i]);
	printf(n > 48 ? "...\n" : "\n");
}

bool tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen, const char *file,
		int line, const char *fmt, ...)
{
	bool same = glen == wlen && (glen == 0 || (got && want && memcmp(got, want, glen) == 0));
	va_list ap;
	va_start(ap, fmt);
	report(same, file, line, fmt, ap);
	va_end(ap);
	if (!same) {
		size_t i = 0;
		while (got && want && i < glen && i < wlen &&
		       ((const uint8_t *)got)[i] == ((const uint8_t *)want)[i])
			i++;
		printf("#   first difference at byte %zu\n", i);
		if (got)
			print_hex_prefix("got", (const uint8_t *)got + (i > 8 ? i - 8 : 0),
					 glen - (i > 8 ? i - 8 : 0));
		if (want)
			print_hex_prefix("expected", (const uint8_t *)want + (i > 8 ? i - 8 : 0),
					 wlen - (i > 8 ? i - 8 : 0));
	}
	return same;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("Bail out! ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	exit(1);
}

char *tap_vector_path(const char *name)
{
	const char *dir = getenv("R1_VECTORS");
	char path[4096];
	if (dir && *dir)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s/../shared/vectors/%s", R1_SRCDIR, name);
	if (access(path, R_OK) != 0)
		tap_bail("test vector %s not found (set R1_VECTORS)", path);
	return strdup(path);
}

char *tap_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		tap_bail("cannot open %s: %s", path, strerror(errno));
	size_t cap = 1 << 16, n = 0;
	char *data = malloc(cap);
	size_t got;
	while (data && (got = fread(data + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 == 0) {
			cap *= 2;
			data = realloc(data, cap);
		}
	}
	fclose(f);
	if (!data)
		tap_bail("out of memory reading %s", path);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

char **tap_read_lines(const char *path, size_t *count)
{
	char *all = tap_read_file(path, NULL);
	size_t n = 0, cap = 64;
	char **lines = malloc(cap * sizeof(*lines));
	char *save = NULL;
	for (char *l = strtok_r(all, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!*l)
			continue;
		if (n + 2 > cap) {
			cap *= 2;
			lines = realloc(lines, cap * sizeof(*lines));
		}
		lines[n++] = strdup(l);
	}
	lines[n] = NULL;
	free(all);
	if (count)
		*count = n;
	return lines;
}

void tap_free_lines(char **lines)
{
	if (!lines)
		return;
	for (char **l = lines; *l; l++)
		free(*l);
	free(lines);
}

const char *tap_tmpdir(void)
{
	if (!tmpdir_path[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir_path, sizeof(tmpdir_path), "%s/r1test.XXXXXX",
			 base && *base ? base : "/tmp");
		if (!mkdtemp(tmpdir_path))
			tap_bail("mkdtemp: %s", strerror(errno));
	}
	return tmpdir_path;
}

uint8_t *tap_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2)
		tap_bail("odd-length hex: %.40s", hex);
	uint8_t *out = malloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			tap_bail("bad hex: %.40s", hex);
		out[i] = (uint8_t)v;
	}
	if (len)
		*len = n / 2;
	return out;
}
