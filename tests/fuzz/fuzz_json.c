/*
 * fuzz_json: any bytes through json_check (common/json.c), the RFC 8259
 * validator in front of every request body orderd reads.  Invariants, each
 * a consequence of the grammar (RFC 8259 section 2), not of the code:
 *  - a refusal names an offset inside the text and a message; its errno is
 *    -EINVAL, -EILSEQ or -ELOOP;
 *  - an accepted text is valid UTF-8 (harness's own oracle), has no byte
 *    below 0x20 other than the four whitespace characters, and stays
 *    accepted inside an array with whitespace around (one level deeper);
 *  - an accepted text followed by a letter is refused;
 *  - a deeper limit never refuses what a shallower one accepted, and
 *    the member count does not depend on the limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct json_check_error e = { 0, NULL };
	size_t members = 0, m2 = 0;
	char *c, *wrapped;
	int r;

	r = json_check(s, size, 8, &members, &e);
	if (r < 0) {
		if (r != -EINVAL && r != -EILSEQ && r != -ELOOP)
			abort();
		if (!e.msg || e.offset > size)
			abort();
		if (r != -ELOOP && json_check(s, size, 1000, NULL, NULL) == 0)
			abort();	/* only depth depends on the limit */
		return 0;
	}
	c = fuzz_cstr(data, size);
	if (strlen(c) != size || !fuzz_utf8_valid(c))
		abort();	/* no NUL, and well-formed UTF-8 */
	for (size_t i = 0; i < size; i++)
		if ((unsigned char)c[i] < 0x20 && c[i] != ' ' && c[i] != '\t' && c[i] != '\n' &&
		    c[i] != '\r')
			abort();
	if (json_check(s, size, 1000, &m2, NULL) != 0 || m2 != members)
		abort();
	wrapped = malloc(size + 4);
	if (!wrapped)
		abort();
	wrapped[0] = '[';
	wrapped[1] = ' ';
	memcpy(wrapped + 2, s, size);
	wrapped[size + 2] = '\n';
	wrapped[size + 3] = ']';
	if (json_check(wrapped, size + 4, 9, &m2, NULL) != 0 || m2 != members)
		abort();
	wrapped[size + 3] = 'x';
	if (json_check(wrapped + 2, size + 2, 9, NULL, NULL) == 0)
		abort();
	free(wrapped);
	free(c);
	return 0;
}
