/*
 * fuzz_webconfig: a --web.config.file (YAML) through web_config_load(),
 * written to a temp file as the daemon would read it; and, from the same
 * input, an Authorization header through the base64 decoding of
 * web_config_check_basic() against the loaded users (a header that is also
 * YAML cannot be pure base64, so this stops before bcrypt: the header
 * parser has its own harness, fuzz_basic_auth).
 * Invariants: load returns 0 with a config, or a negative errno with a
 * message and no config; no leak (ASan's leak check at exit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "http_webconfig.h"

static char path[64];

static void cleanup(void)
{
	if (path[0])
		unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_config *c = NULL;
	char err[256];
	FILE *f;
	int r;

	if (!path[0]) {
		int fd;

		snprintf(path, sizeof(path), "/tmp/prism-fuzz-webconfig.XXXXXX");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(cleanup);
	}
	f = fopen(path, "we");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	err[0] = '\0';
	r = web_config_load(path, &c, err, sizeof(err));
	if (r == 0) {
		if (!c)
			abort();
		if (c->nusers) {
			/* a header from the input: "Basic " + the file's text */
			char *h = malloc(size + 7);

			if (!h)
				abort();
			memcpy(h, "Basic ", 6);
			memcpy(h + 6, data, size);
			h[size + 6] = '\0';
			(void)web_config_check_basic(c, h);
			free(h);
		}
		web_config_free(c);
	} else if (r >= 0 || c || (r == -EINVAL && !err[0])) {
		abort();
	}
	return 0;
}
