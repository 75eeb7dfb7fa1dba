/*
 * CPython's float text, reproduced: the Ratio1 reference hashes Python's
 * view of a message, so a float must be printed exactly as repr() prints it
 * (and, for old signatures, as the SDK's legacy encoder mangles it).  The
 * shortest round-trip digits are found with the C library's correctly
 * rounded printf("%.*e") and strtod(): the shortest length p for which the
 * p-digit decimal nearest to x, or its neighbour on the other side of x,
 * reads back as x.  Having such a decimal is monotone in p (a p-digit
 * decimal is also a (p+1)-digit one), so p is found by bisection, or in two
 * probes when the caller knows how many digits the source token had.  This
 * is not a general float formatter: it only speaks Python's dialect.
 *
 * Locale: printf's decimal point follows LC_NUMERIC, so digits are taken out
 * of its output by skipping non-digits; strtod() is only ever given
 * "DIGITSe<exp>", which has no decimal point to misread.
 */
#include "core/lib.h"
#include "core/pyfloat.h"

#include <math.h>

/* A positive decimal d[0].d[1]...d[n-1] x 10^e, d[0] != '0'. */
struct dec {
	char d[24];
	int n;
	int e;
};

/* Significant digits kept when reading a token: every halfway point between
 * two doubles has at most 767, so 780 plus a sticky digit round the same. */
#define PARSE_KEEP 780

/* The p-digit decimal nearest to ax (> 0, finite), ties to even. */
static void dec_nearest(double ax, int p, struct dec *c)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%.*e", p - 1, ax);
	const char *s = tmp;
	int n = 0;
	for (; *s && *s != 'e' && *s != 'E'; s++)
		if (*s >= '0' && *s <= '9' && n < (int)sizeof(c->d))
			c->d[n++] = *s;
	int e = 0, sign = 1;
	if (*s)
		s++;
	if (*s == '-') {
		sign = -1;
		s++;
	} else if (*s == '+') {
		s++;
	}
	while (*s >= '0' && *s <= '9')
		e = e * 10 + (*s++ - '0');
	c->n = n;
	c->e = sign * e;
}

static double dec_value(const struct dec *c)
{
	char tmp[64];
	memcpy(tmp, c->d, (size_t)c->n);
	snprintf(tmp + c->n, sizeof(tmp) - (size_t)c->n, "e%d", c->e - (c->n - 1));
	return strtod(tmp, NULL);
}

/* The next p-digit decimal above c. */
static void dec_up(struct dec *c)
{
	int i = c->n - 1;
	while (i >= 0 && c->d[i] == '9')
		c->d[i--] = '0';
	if (i >= 0) {
		c->d[i]++;
		return;
	}
	c->d[0] = '1'; /* 9.99 -> 10.0: one digit longer, renormalise */
	c->e++;
}

/* The next p-digit decimal below c. */
static void dec_down(struct dec *c)
{
	int i = c->n - 1;
	while (i >= 0 && c->d[i] == '0')
		c->d[i--] = '9';
	c->d[i]--; /* c->d[0] != '0', so i >= 0 */
	if (c->d[0] == '0') {
		/* 1.000 -> 0.999: below a power of ten the grid is finer */
		memmove(c->d, c->d + 1, (size_t)c->n - 1);
		c->d[c->n - 1] = '9';
		c->e--;
	}
}

/* Is there a p-digit decimal that reads back as ax?  The nearest one wins. */
static bool probe(double ax, int p, struct dec *out)
{
	struct dec c;
	dec_nearest(ax, p, &c);
	double v = dec_value(&c);
	if (v == ax) {
		*out = c;
		return true;
	}
	if (v > ax)
		dec_down(&c);
	else
		dec_up(&c);
	if (dec_value(&c) == ax) {
		*out = c;
		return true;
	}
	return false;
}

static void strip_zeros(struct dec *c)
{
	while (c->n > 1 && c->d[c->n - 1] == '0')
		c->n--;
}

static void shortest(double ax, unsigned hint, struct dec *best)
{
	struct dec c;
	int lo = 1, hi = 17;
	bool have = false;
	/*
	 * A normal double's rounding interval is narrower (relatively, 2^-52)
	 * than the gap between two decimals of at most 15 significant digits
	 * (10^-15), so it holds at most one of them: if a 15-digit decimal reads
	 * back as x, it is the shortest one, padded with zeros.
	 */
	if ((hint == 0 || hint >= 15) && isnormal(ax)) {
		if (probe(ax, 15, best)) {
			strip_zeros(best);
			return;
		}
		lo = 16;
	}
	if (hint >= 1 && hint < 17 && (int)hint >= lo) {
		int h = (int)hint;
		if (probe(ax, h, &c)) {
			*best = c;
			if (h == 1 || !probe(ax, h - 1, &c))
				return;
			*best = c;
			hi = h - 1;
			have = true;
		} else {
			lo = h + 1;
		}
	}
	if (!have && !probe(ax, hi, best))
		dec_nearest(ax, 17, best); /* 17 digits always round-trip */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (probe(ax, mid, &c)) {
			*best = c;
			hi = mid;
		} else {
			lo = mid + 1;
		}
	}
	strip_zeros(best);
}

static size_t put(char *out, size_t at, const char *s, size_t n)
{
	memcpy(out + at, s, n);
	return at + n;
}

/* CPython's float_repr_style 'short' layout of +-0.d1d2...dn x 10^decpt. */
static size_t layout(bool neg, const char *d, int n, int decpt, char out[PYFLOAT_REPR_MAX])
{
	size_t o = 0;
	if (neg)
		out[o++] = '-';
	if (decpt <= -4 || decpt > 16) {
		int e = decpt - 1;
		out[o++] = d[0];
		if (n > 1) {
			out[o++] = '.';
			o = put(out, o, d + 1, (size_t)n - 1);
		}
		o += (size_t)snprintf(out + o, PYFLOAT_REPR_MAX - o, "e%c%02d", e < 0 ? '-' : '+',
		                      e < 0 ? -e : e);
		return o;
	}
	if (decpt <= 0) {
		o = put(out, o, "0.", 2);
		for (int i = 0; i < -decpt; i++)
			out[o++] = '0';
		o = put(out, o, d, (size_t)n);
	} else if (decpt < n) {
		o = put(out, o, d, (size_t)decpt);
		out[o++] = '.';
		o = put(out, o, d + decpt, (size_t)(n - decpt));
	} else {
		o = put(out, o, d, (size_t)n);
		for (int i = n; i < decpt; i++)
			out[o++] = '0';
		o = put(out, o, ".0", 2);
	}
	out[o] = '\0';
	return o;
}

size_t pyfloat_repr(double x, unsigned hint, char out[PYFLOAT_REPR_MAX])
{
	if (isnan(x))
		return (size_t)snprintf(out, PYFLOAT_REPR_MAX, "nan");
	if (isinf(x))
		return (size_t)snprintf(out, PYFLOAT_REPR_MAX, "%s", x < 0 ? "-inf" : "inf");
	if (x == 0)
		return (size_t)snprintf(out, PYFLOAT_REPR_MAX, "%s", signbit(x) ? "-0.0" : "0.0");
	struct dec c;
	shortest(fabs(x), hint, &c);
	return layout(signbit(x), c.d, c.n, c.e + 1, out);
}

size_t pyfloat_repr_token(const char *tok, size_t len, char out[PYFLOAT_REPR_MAX])
{
	const char *p = tok, *end = tok + len;
	bool neg = p < end && *p == '-';
	p += neg;
	char d[16];
	int n = 0, zeros = 0; /* significant digits kept, and zeros pending */
	long point = 0;       /* digits before the decimal point, leading zeros excluded */
	bool seen = false, frac = false;
	for (; p < end && ((*p >= '0' && *p <= '9') || *p == '.'); p++) {
		if (*p == '.') {
			if (frac)
				return 0;
			frac = true;
			continue;
		}
		if (!seen && *p == '0') {
			if (frac)
				point--;
			continue;
		}
		seen = true;
		if (!frac)
			point++;
		if (*p == '0') {
			zeros++;
			continue;
		}
		if (n + zeros + 1 > 15)
			return 0;
		for (; zeros; zeros--)
			d[n++] = '0';
		d[n++] = *p;
	}
	long exp = 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		bool eneg = p < end && *p == '-';
		if (p < end && (*p == '-' || *p == '+'))
			p++;
		if (p == end)
			return 0;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return 0;
			if (exp < 100000)
				exp = exp * 10 + (*p - '0');
		}
		exp = eneg ? -exp : exp;
	}
	if (p != end)
		return 0;
	if (n == 0) /* a zero of either sign */
		return (size_t)snprintf(out, PYFLOAT_REPR_MAX, "%s", neg ? "-0.0" : "0.0");
	long decpt = point + exp;
	/* 0.1 x 10^-306 .. 10^308: safely inside the normal doubles */
	if (decpt < -306 || decpt > 308)
		return 0;
	return layout(neg, d, n, (int)decpt, out);
}

/* repr(o).rstrip('0').rstrip('.') if '.' in repr(o) else repr(o) */
static size_t legacy_strip(char *t, size_t n)
{
	if (!memchr(t, '.', n))
		return n;
	while (n > 0 && t[n - 1] == '0')
		n--;
	while (n > 0 && t[n - 1] == '.')
		n--;
	t[n] = '\0';
	return n;
}

size_t pyfloat_legacy_of_repr(const char *repr, size_t n, char out[PYFLOAT_REPR_MAX])
{
	char t[PYFLOAT_REPR_MAX];
	n = R1_MIN(n, sizeof(t) - 1);
	memcpy(t, repr, n);
	t[n] = '\0';
	n = legacy_strip(t, n);
	if (!memchr(t, '.', n) && !memchr(t, 'e', n)) {
		/* json.loads reads it back as an int: "-0" becomes 0 */
		if (strcmp(t, "-0") == 0)
			n = 1, t[0] = '0', t[1] = '\0';
		memcpy(out, t, n + 1);
		return n;
	}
	size_t m = pyfloat_repr_token(t, n, out);
	if (!m) {
		double y;
		unsigned sig;
		if (!pyfloat_parse(t, n, &y, &sig)) { /* cannot happen: t came from repr */
			memcpy(out, t, n + 1);
			return n;
		}
		m = pyfloat_repr(y, sig, out);
	}
	return legacy_strip(out, m);
}

size_t pyfloat_repr_legacy(double x, char out[PYFLOAT_REPR_MAX])
{
	if (!isfinite(x)) {
		memcpy(out, "null", 5);
		return 4;
	}
	char r[PYFLOAT_REPR_MAX];
	size_t n = pyfloat_repr(x, 0, r);
	return pyfloat_legacy_of_repr(r, n, out);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool pyfloat_parse(const char *tok, size_t len, double *out, unsigned *sig_digits)
{
	const char *p = tok, *end = tok + len;
	bool neg = false;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	const char *int_start = p;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && is_digit(*p))
			p++;
	else
		return false;
	const char *int_end = p, *frac_start = p, *frac_end = p;
	if (p < end && *p == '.') {
		frac_start = ++p;
		while (p < end && is_digit(*p))
			p++;
		if (p == frac_start)
			return false;
		frac_end = p;
	}
	long long exp = 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		bool eneg = false;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		const char *es = p;
		while (p < end && is_digit(*p)) {
			if (exp < 1000000000000LL)
				exp = exp * 10 + (*p - '0');
			p++;
		}
		if (p == es)
			return false;
		if (eneg)
			exp = -exp;
	}
	if (p != end)
		return false;

	/* value = (all digits as an integer) x 10^(exp - fraction digits) */
	char buf[PARSE_KEEP + 32];
	size_t n = 0;
	long long dexp = exp - (frac_end - frac_start);
	bool sticky = false;
	unsigned long sig = 0, zeros = 0;
	for (int part = 0; part < 2; part++) {
		const char *s = part ? frac_start : int_start;
		const char *e = part ? frac_end : int_end;
		for (; s < e; s++) {
			if (n == 0 && sig == 0 && *s == '0')
				continue; /* leading zero */
			sig++;
			zeros = *s == '0' ? zeros + 1 : 0;
			if (n < PARSE_KEEP) {
				buf[n++] = *s;
			} else {
				dexp++;
				sticky |= *s != '0';
			}
		}
	}
	if (sig_digits)
		*sig_digits = (unsigned)R1_MIN(sig - zeros, 9999ul);
	if (n == 0) {
		*out = neg ? -0.0 : 0.0;
		return true;
	}
	if (sticky) {
		buf[n++] = '1';
		dexp--;
	}
	if (dexp > 99999)
		dexp = 99999;
	if (dexp < -99999)
		dexp = -99999;
	snprintf(buf + n, sizeof(buf) - n, "e%lld", dexp);
	double v = strtod(buf, NULL);
	*out = neg ? -v : v;
	return true;
}
