/*
 * fuzz_negotiate: an Accept header (client-controlled) through
 * metrics_negotiate().  Invariants: the answer is one of the two formats,
 * text whenever OpenMetrics is not allowed, and text whenever the header
 * does not even name application/openmetrics-text.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	enum metrics_format f = metrics_negotiate(s, true);

	if (f != METRICS_FORMAT_TEXT && f != METRICS_FORMAT_OPENMETRICS)
		abort();
	if (metrics_negotiate(s, false) != METRICS_FORMAT_TEXT)
		abort();
	if (f == METRICS_FORMAT_OPENMETRICS && !strcasestr(s, "application/openmetrics-text"))
		abort();
	if (!metrics_content_type(f))
		abort();
	free(s);
	return 0;
}
