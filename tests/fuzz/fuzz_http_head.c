/*
 * fuzz_http_head: the request checks of common/http.c (issue 14) over a
 * request head written as "target\nname:value\nname:value...": the
 * request-target check, each field name and value check, and the framing
 * verdict on the facts of those fields.  Each answer is compared with an
 * oracle written here from the RFCs, independently of http.c:
 *   target: RFC 3986 / RFC 9112 section 3.2 visible ASCII, %XX escapes
 *           well-formed and not decoding to a control character;
 *   name:   a token (RFC 9110 section 5.6.2);
 *   value:  no control character but HTAB (RFC 9110 section 5.5);
 *   verdict: served only with at most one Host (exactly one on HTTP/1.1),
 *           at most one Content-Length, not both CL and TE, TE only as one
 *           "chunked"; refused as 400 or 501 with a reason.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "http.h"

static bool oracle_target(const unsigned char *t, size_t n)
{
	char dec[3] = { 0 };

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isgraph(t[i]) || t[i] > 0x7e)
			return false;
		if (t[i] != '%')
			continue;
		if (i + 2 >= n || !isxdigit(t[i + 1]) || !isxdigit(t[i + 2]))
			return false;
		dec[0] = (char)t[i + 1];
		dec[1] = (char)t[i + 2];
		if (iscntrl((int)strtol(dec, NULL, 16)))
			return false;
		i += 2;
	}
	return true;
}

static bool oracle_name(const unsigned char *s, size_t n)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] < 0x80 && isalnum(s[i])) && !(s[i] && memchr(extra, s[i], sizeof(extra) - 1)))
			return false;
	return true;
}

static bool oracle_value(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == 0x7f || (s[i] < 0x20 && s[i] != '\t'))
			return false;
	return true;
}

static bool ieq(const unsigned char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && strncasecmp((const char *)s, lit, n) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data, *end = data + size, *nl;
	struct http_head_facts f = { 0 };
	const char *msg = NULL;
	size_t tl;
	int st;

	if (size == 0)
		return 0;
	f.http11 = data[0] & 1;
	p++;
	nl = memchr(p, '\n', (size_t)(end - p));
	tl = (size_t)((nl ? nl : end) - p);
	if ((http_check_target((const char *)p, tl) == 0) != oracle_target(p, tl))
		abort();
	p = nl ? nl + 1 : end;
	while (p < end) {
		const unsigned char *colon, *v;
		size_t ln, nn, vn;

		nl = memchr(p, '\n', (size_t)(end - p));
		ln = (size_t)((nl ? nl : end) - p);
		colon = memchr(p, ':', ln);
		nn = colon ? (size_t)(colon - p) : ln;
		v = colon ? colon + 1 : p + ln;
		vn = colon ? ln - nn - 1 : 0;
		if ((http_check_field_name((const char *)p, nn) == 0) != oracle_name(p, nn))
			abort();
		if ((http_check_field_value((const char *)v, vn) == 0) != oracle_value(v, vn))
			abort();
		if (ieq(p, nn, "host")) {
			f.n_host++;
		} else if (ieq(p, nn, "content-length")) {
			f.n_content_length++;
		} else if (ieq(p, nn, "transfer-encoding")) {
			f.n_transfer_encoding++;
			f.te_chunked = ieq(v, vn, "chunked");
		}
		p = nl ? nl + 1 : end;
	}
	st = http_head_verdict(&f, &msg);
	if (st == 0) {
		if (f.n_host > 1 || (f.http11 && f.n_host != 1) || f.n_content_length > 1 ||
		    (f.n_content_length && f.n_transfer_encoding) ||
		    (f.n_transfer_encoding && (f.n_transfer_encoding != 1 || !f.te_chunked)))
			abort();
	} else {
		if ((st != 400 && st != 501) || !msg || !*msg)
			abort();
		if (f.n_host <= 1 && (!f.http11 || f.n_host == 1) && f.n_content_length <= 1 &&
		    !(f.n_content_length && f.n_transfer_encoding) &&
		    (!f.n_transfer_encoding || (f.n_transfer_encoding == 1 && f.te_chunked)))
			abort();	/* refused a head the RFCs allow */
	}
	return 0;
}
