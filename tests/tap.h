#ifndef R1_TESTS_TAP_H
#define R1_TESTS_TAP_H
/*
 * A small TAP producer for the C unit tests (Git's and NeoMutt's idea: plain
 * programs, one line per case, counted by automake's tap-driver).  Every
 * check prints "ok N - name" or "not ok N - name" plus a diagnostic with the
 * values; main ends with `return tap_done();`.
 */
#include "core/common.h"

void tap_plan(int n);
int tap_done(void);	/* prints the plan if none was given; returns the exit code */
bool tap_ok(bool cond, const char *file, int line, const char *fmt, ...) R1_PRINTF(4, 5);
bool tap_is_int(long long got, long long want, const char *file, int line, const char *fmt, ...)
	R1_PRINTF(5, 6);
bool tap_is_str(const char *got, const char *want, const char *file, int line, const char *fmt,
		...) R1_PRINTF(5, 6);
bool tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen, const char *file,
		int line, const char *fmt, ...) R1_PRINTF(7, 8);
void tap_diag(const char *fmt, ...) R1_PRINTF(1, 2);
void tap_bail(const char *fmt, ...) R1_PRINTF(1, 2) __attribute__((noreturn));
int tap_failures(void);

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_mem(got, glen, want, wlen, ...) \
	tap_is_mem((got), (glen), (want), (wlen), __FILE__, __LINE__, __VA_ARGS__)

/*
 * Test data helpers.  They bail out (a failed run, never a skip) when the
 * file is missing: a test that cannot find its vectors has not passed.
 */
/* $R1_VECTORS/<name>, falling back to <srcdir>/../shared/vectors/<name>. */
char *tap_vector_path(const char *name);
/* Whole file, NUL-terminated; *len may be NULL. */
char *tap_read_file(const char *path, size_t *len);
/* Lines of a .jsonl file (NULL-terminated array, each malloc'd). */
char **tap_read_lines(const char *path, size_t *count);
void tap_free_lines(char **lines);
/* A fresh private directory under $TMPDIR, removed by tap_done(). */
const char *tap_tmpdir(void);
/* Decode lowercase/uppercase hex into a malloc'd buffer; bails on bad hex. */
uint8_t *tap_unhex(const char *hex, size_t *len);

#endif
