#ifndef R1_CORE_PYFLOAT_H
#define R1_CORE_PYFLOAT_H
/*
 * Floats the way CPython writes and reads them, which is what the Ratio1
 * reference hashes: repr() (the shortest decimal that reads back to the same
 * double, laid out as CPython does), the SDK's legacy float encoder, and a
 * JSON number reader.  Everything here is locale independent (the console
 * runs under setlocale(LC_ALL, "")) and allocation free.
 */
#include "core/common.h"

/* Longest output: "-2.2250738585072014e-308" is 24 bytes; room for the NUL. */
#define PYFLOAT_REPR_MAX 32

/*
 * repr(x) as CPython 3 prints it: shortest round-trip digits, exponent form
 * when the decimal exponent is < -4 or >= 16 ("1e-05", "1e+16",
 * "1.5e+16"), otherwise positional with at least one fractional digit
 * ("1.0", "0.0001", "-0.0").  Non-finite values give "nan", "inf", "-inf".
 * `hint` is an upper bound on the number of significant digits the answer
 * can need (e.g. the digits of the token the value was read from), or 0 for
 * none; a wrong hint costs time, never correctness.  Writes a NUL-terminated
 * string into out and returns its length.
 */
size_t pyfloat_repr(double x, unsigned hint, char out[PYFLOAT_REPR_MAX]);

/*
 * repr() of the double that a JSON number token reads as, straight from the
 * token's digits, without converting: exact when the token has at most 15
 * significant digits and lies well inside the normal doubles (1e-307 ..
 * 1e308), because no other decimal that short reads as the same double.
 * Returns 0 when that does not apply (then use pyfloat_parse and
 * pyfloat_repr).  The token must be valid JSON number syntax.
 */
size_t pyfloat_repr_token(const char *tok, size_t len, char out[PYFLOAT_REPR_MAX]);

/*
 * What the SDK's legacy encoder (_LegacyComplexJsonEncoder) finally hashes
 * for a finite float: the text t = repr(x) with trailing '0's and then a
 * trailing '.' stripped (only when t contains a '.'; the exponent loses its
 * zeros too: "2.5e-300" -> "2.5e-3"), read back by json.loads (an int when t
 * has no '.', 'e' or 'E') and written again the same way.  So 1.0 -> "1",
 * -0.0 -> "0", 2.5e-300 -> "0.0025", 1.2e+50 -> "120000", 1e-05 -> "1e-05".
 * Non-finite values give "null".  Returns the length written.
 */
size_t pyfloat_repr_legacy(double x, char out[PYFLOAT_REPR_MAX]);
/* The same, given repr(x) (n bytes) instead of x. */
size_t pyfloat_legacy_of_repr(const char *repr, size_t n, char out[PYFLOAT_REPR_MAX]);

/*
 * Read a JSON number token (RFC 8259 grammar, no NaN/Infinity) of `len`
 * bytes into the correctly rounded double, as Python's float() does:
 * overflow gives +-inf, underflow +-0.0 or a subnormal.  `sig_digits`, when
 * not NULL, receives the count of significant digits of the token (leading
 * and trailing zeros of the digit string not counted, at most 9999), a
 * valid `hint` for pyfloat_repr.  Returns false when the token is not a JSON
 * number.
 */
bool pyfloat_parse(const char *tok, size_t len, double *out, unsigned *sig_digits);

#endif
