/*
 * Composed hash keys against values computed with the reference's formula
 * in Python (hashlib.sha256(hkey.encode()).hexdigest()[:10] and
 * base64.urlsafe_b64encode(field.encode()), padding kept).
 */
#include "node/lib.h"
#include "node/cstore/hkey.h"
#include "tests/tap.h"

static void compose_is(const char *hkey, const char *field, const char *want)
{
	struct buf b = BUF_INIT;
	char *why = NULL;
	enum r1_err e = hkey_compose(hkey, strlen(hkey), field, strlen(field), &b, &why);
	is_int(e, R1_OK, "compose(\"%s\", \"%s\") succeeds", hkey, field);
	is_str(buf_cstr(&b), want, "compose(\"%s\", \"%s\")", hkey, field);
	ok(hkey_is_composed(b.data, b.len), "the result looks composed");
	struct buf f = BUF_INIT;
	is_int(hkey_field(b.data, b.len, &f, &why), R1_OK, "its field decodes");
	is_str(buf_cstr(&f), field, "and gives the field back");
	buf_release(&f);
	buf_release(&b);
	r1_free(why);
}

int main(void)
{
	char prefix[HKEY_PREFIX_LEN + 1];
	char *why = NULL;

	/* degenerate inputs first */
	is_int(hkey_prefix("", 0, prefix, &why), R1_OK, "an empty hkey has a prefix");
	is_str(prefix, "hs:e3b0c44298:", "prefix of the empty string (sha256 of nothing)");
	compose_is("h", "", "hs:aaa9402664:");
	is_int(hkey_prefix("\xff", 1, prefix, &why), R1_ERR_INVAL, "a non-UTF-8 hkey is refused");
	ok(why && strstr(why, "UTF-8"), "reason: %s", why);
	struct buf b = BUF_INIT;
	is_int(hkey_compose("h", 1, "\xc3", 1, &b, &why), R1_ERR_INVAL,
	       "a truncated UTF-8 field is refused");
	is_int((int)b.len, 0, "nothing appended on failure");

	/* the formula, including padding and the URL-safe alphabet */
	compose_is("players", "alice", "hs:afc0d772a2:YWxpY2U=");
	compose_is("h", "\xc3\xa9", "hs:aaa9402664:w6k=");
	compose_is("\xe6\x97\xa5\xe6\x9c\xac", "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",
	           "hs:cf2abf0c5b:0LrQu9GO0Yc=");
	compose_is("x", "ab", "hs:2d711642b7:YWI=");
	compose_is("x", "abcd", "hs:2d711642b7:YWJjZA==");
	compose_is("cfg", "?>?", "hs:e67d23e782:Pz4_");
	compose_is("cfg", "~~~", "hs:e67d23e782:fn5-");
	compose_is("cfg", "a b/c?&=\xc3\xa9+", "hs:e67d23e782:YSBiL2M_Jj3DqSs=");

	/* recognising composed keys */
	ok(!hkey_is_composed("hs:", 3), "\"hs:\" is too short");
	ok(!hkey_is_composed("hs:AFC0D772A2:x", 15), "upper-case hex is not ours");
	ok(!hkey_is_composed("hx:afc0d772a2:x", 15), "wrong tag");
	ok(!hkey_is_composed("hs:afc0d772a2-x", 15), "missing colon");
	ok(hkey_is_composed("hs:afc0d772a2:", 14), "the empty field");
	struct buf f = BUF_INIT;
	is_int(hkey_field("hs:afc0d772a2:%%%", 17, &f, &why), R1_ERR_INVAL,
	       "a field that is not base64 is refused");
	is_int(hkey_field("hs:afc0d772a2:_w==", 18, &f, &why), R1_ERR_INVAL,
	       "a field that is not UTF-8 is refused");
	is_int(hkey_field("plain", 5, &f, &why), R1_ERR_INVAL, "a plain key has no field");
	buf_release(&f);
	buf_release(&b);
	r1_free(why);
	return tap_done();
}
