/*
 * webconfig_util: what the web config tests (test_webconfig.c,
 * test_webconfig_reload.c) both need to write a basic_auth_users file and
 * the requests that should pass it.  Test-only; static, so each test binary
 * gets its own copy.
 */
#ifndef PRISM_TEST_WEBCONFIG_UTIL_H
#define PRISM_TEST_WEBCONFIG_UTIL_H

#include <crypt.h>
#include <stdio.h>
#include <string.h>

/* A "$2b$" bcrypt hash of pw, made with libxcrypt as htpasswd -B would
 * (cost 4, the lowest, to keep the tests fast). */
static void wc_bcrypt(const char *pw, char *out, size_t len)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd = { 0 };

	crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt));
	snprintf(out, len, "%s", crypt_r(pw, salt, &cd));
}

/* Base64 (RFC 4648 section 4, padded) of the string in, into out, which
 * has room for 4 * ((strlen(in) + 2) / 3) + 1 bytes: the credentials of an
 * "Authorization: Basic" header (RFC 7617). */
static void wc_base64(const char *in, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)in;
	size_t n = strlen(in), o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);

		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

#endif
