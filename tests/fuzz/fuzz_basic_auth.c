/*
 * fuzz_basic_auth: an Authorization header (client-controlled, read before
 * any handler) through web_config_check_basic(): scheme, base64 decoding,
 * user:password split, the per-thread cache of verified passwords.  The
 * config has users "u" and "v", both with a cost-4 bcrypt hash of "pw" (so
 * the fuzzer can afford reaching crypt).
 * Invariants: true only for exactly the right password of a known user,
 * however the header is spelled; never a crash or a read past the header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fuzz.h"
#include "http_webconfig.h"

static struct web_config *cfg;

static void cleanup(void)
{
	web_config_free(cfg);
}

/* What the header should mean, decoded independently of webconfig.c. */
static int b64v(int c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(t, c) : NULL;

	return p ? (int)(p - t) : -1;
}

static bool expected(const char *h)
{
	char dec[1100];
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	while (*h == ' ')
		h++;
	if (strncasecmp(h, "Basic ", 6) != 0)
		return false;
	for (h += 6; *h == ' '; h++)
		;
	for (; *h && *h != '='; h++) {
		int v = b64v((unsigned char)*h);

		if (v < 0)
			return false;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= 1024)
				return false;
			dec[o++] = (char)(acc >> bits & 0xff);
		}
	}
	while (*h == '=')
		h++;
	if (*h)
		return false;
	return o == 4 && (!memcmp(dec, "u:pw", 4) || !memcmp(dec, "v:pw", 4));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h;

	if (!cfg) {
		char path[] = "/tmp/prism-fuzz-auth.XXXXXX", err[256];
		int fd = mkstemp(path);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

		if (!f)
			abort();
		fputs("basic_auth_users:\n"
		      "  u: $2b$04$kqaDzGjmujXr6rJEvtkPLOkxbi8Nu1C7qHmo6OMdjkr67vR84E/ee\n"
		      "  v: $2b$04$kqaDzGjmujXr6rJEvtkPLOkxbi8Nu1C7qHmo6OMdjkr67vR84E/ee\n", f);
		fclose(f);
		if (web_config_load(path, &cfg, err, sizeof(err)) < 0)
			abort();
		unlink(path);
		atexit(cleanup);
	}
	h = fuzz_cstr(data, size);
	/* twice: the second answer may come from the cache of verified passwords */
	for (int i = 0; i < 2; i++)
		if (web_config_check_basic(cfg, h) != expected(h))
			abort();
	free(h);
	return 0;
}
