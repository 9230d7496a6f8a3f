/*
 * fuzz_route: the glue's routing (common/http.c's match_route, through
 * http_server_route) over a route table and a request written as
 *   "METHOD PATH\nMETHOD TEMPLATE\nMETHOD TEMPLATE..."   (at most 8 routes)
 * Each answer is compared with an oracle written here from http.h's
 * contract, independently of http.c:
 *   - a template is "/" or "/" segments (at most 16); ":name" matches one
 *     non-empty path segment, any other segment only itself (byte for byte);
 *     the path must have exactly as many segments;
 *   - a route with more than HTTP_MAX_PARAMS parameters, or whose values
 *     take more than 255 bytes with their NULs, matches nothing;
 *   - "GET" routes also allow HEAD; other methods only themselves;
 *   - the first route that matches and allows wins, with its parameters;
 *     else 405 when some route matched the path (Allow: their methods, each
 *     once, in table order, HEAD after GET, ", "-separated, at most 127
 *     bytes), else 404.
 * Headers are fuzzed by fuzz_http_head.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"
#include "log.h"

#define MAX_ROUTES 8
#define O_MAX_SEG 16

static void noop(struct http_request *r, void *ctx)
{
	(void)r;
	(void)ctx;
}

struct oseg {
	const char *s;
	size_t len;
};

/* Split "/a/b" into its segments after each '/'; -1 if not "/..." or too many. */
static int osplit(const char *p, struct oseg *seg, int max)
{
	int n = 0;

	if (*p != '/')
		return -1;
	while (*p == '/') {
		const char *e = strchr(p + 1, '/');

		if (!e)
			e = p + strlen(p);
		if (n == max)
			return -1;
		seg[n].s = p + 1;
		seg[n].len = (size_t)(e - p - 1);
		n++;
		p = e;
	}
	return n;
}

struct omatch {
	size_t nparams;
	struct oseg name[O_MAX_SEG], val[O_MAX_SEG];
};

static bool omatches(const char *tmpl, const char *path, struct omatch *m)
{
	struct oseg t[O_MAX_SEG], p[O_MAX_SEG + 1];
	int nt, np;
	size_t arena = 0;

	m->nparams = 0;
	if (strcmp(tmpl, "/") == 0)
		return strcmp(path, "/") == 0;
	nt = osplit(tmpl, t, O_MAX_SEG);
	if (nt < 0)
		return false;	/* an invalid template matches nothing */
	np = osplit(path, p, O_MAX_SEG + 1);
	if (np != nt)
		return false;
	for (int i = 0; i < nt; i++) {
		if (t[i].len && t[i].s[0] == ':') {
			if (p[i].len == 0)
				return false;
			m->name[m->nparams] = (struct oseg){ t[i].s + 1, t[i].len - 1 };
			m->val[m->nparams] = p[i];
			m->nparams++;
			arena += p[i].len + 1;
		} else if (t[i].len != p[i].len || memcmp(t[i].s, p[i].s, p[i].len) != 0) {
			return false;
		}
	}
	return m->nparams <= HTTP_MAX_PARAMS && arena <= 256;
}

static bool oallows(const char *rm, const char *m)
{
	return strcmp(rm, m) == 0 || (strcmp(rm, "GET") == 0 && strcmp(m, "HEAD") == 0);
}

/* Append method to the Allow list unless it is there already. */
static void oallow_add(char *allow, size_t cap, const char *m)
{
	size_t ml = strlen(m);

	for (const char *q = allow; *q;) {
		const char *c = strstr(q, ", ");
		size_t l = c ? (size_t)(c - q) : strlen(q);

		if (l == ml && memcmp(q, m, ml) == 0)
			return;
		q = c ? c + 2 : q + l;
	}
	if (strlen(allow) + ml + 3 > cap)
		abort();	/* cap is chosen so that this cannot happen */
	if (*allow)
		strcat(allow, ", ");
	strcat(allow, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct http_route routes[MAX_ROUTES];
	struct http_route_result res;
	char *text, *line, *next, *method, *path;
	char *allow = NULL;
	size_t allow_cap = 2 * size + 128;	/* every method once, plus "HEAD"s */
	struct omatch om = { 0 };
	int want = HTTP_ROUTE_UNKNOWN, nr = 0;
	bool known = false;
	struct http_server *s;

	if (!quiet) {
		log_setup("error", "logfmt");	/* invalid templates warn */
		quiet = true;
	}
	text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	/* the request line */
	next = strchr(text, '\n');
	if (next)
		*next++ = '\0';
	method = text;
	path = strchr(text, ' ');
	if (!path)
		goto out;
	*path++ = '\0';
	/* the route table */
	for (line = next; line && nr < MAX_ROUTES; line = next) {
		char *sp;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		/* route methods are tokens written in our code (RFC 9110 5.6.2) */
		if (!*line || line[strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					   "0123456789!#$%&'*+-.^_`|~")])
			continue;
		routes[nr++] = (struct http_route){ line, sp + 1, noop, NULL };
	}
	s = http_server_new(NULL, routes, (size_t)nr);
	if (!s)
		goto out;
	if (http_server_route(s, method, path, &res) != 0)
		abort();
	/* the oracle */
	allow = calloc(1, allow_cap);
	if (!allow)
		abort();
	for (int i = 0; i < nr; i++) {
		struct omatch m;

		if (!omatches(routes[i].path, path, &m))
			continue;
		if (want == HTTP_ROUTE_UNKNOWN && oallows(routes[i].method, method)) {
			want = i;
			om = m;
		}
		known = true;
		oallow_add(allow, allow_cap, routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			oallow_add(allow, allow_cap, "HEAD");
	}
	if (res.route != want)
		abort();
	if (want != HTTP_ROUTE_UNKNOWN) {
		if (res.status != 0 || res.nparams != om.nparams)
			abort();
		for (size_t k = 0; k < om.nparams; k++) {
			if (res.param_name_len[k] != om.name[k].len ||
			    memcmp(res.param_name[k], om.name[k].s, om.name[k].len) != 0)
				abort();
			if (strlen(res.param_val[k]) != om.val[k].len ||
			    memcmp(res.param_val[k], om.val[k].s, om.val[k].len) != 0)
				abort();
		}
	} else if (known) {
		if (res.status != 405)
			abort();
		/* build_allow keeps the first 127 bytes of the list */
		if (strlen(allow) >= sizeof(res.allow))
			allow[sizeof(res.allow) - 1] = '\0';
		if (strcmp(res.allow, allow) != 0)
			abort();
	} else if (res.status != 404) {
		abort();
	}
	http_server_free(s);
out:
	free(allow);
	free(text);
	return 0;
}
