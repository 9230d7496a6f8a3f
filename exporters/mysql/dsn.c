/*
 * dsn: DATA_SOURCE_NAME parsing (see dsn.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void dsn_done(struct dsn *d)
{
	if (!d)
		return;
	if (d->password)
		explicit_bzero(d->password, strlen(d->password));
	free(d->user);
	free(d->password);
	free(d->host);
	free(d->socket);
	free(d->dbname);
	*d = (struct dsn){ 0 };
}

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return -EINVAL;
}

/* "host", "host:port", "[v6]", "[v6]:port" -> host and port (default 3306). */
static int parse_tcp(const char *a, size_t n, struct dsn *d, char *err, size_t errlen)
{
	const char *host = a, *port = NULL;
	size_t hlen = n;

	if (n == 0) {
		d->host = strdup("127.0.0.1");
		d->port = 3306;
		return d->host ? 0 : -ENOMEM;
	}
	if (a[0] == '[') {
		const char *close = memchr(a, ']', n);

		if (!close)
			return fail(err, errlen, "tcp address: '[' without ']'");
		host = a + 1;
		hlen = (size_t)(close - a - 1);
		if ((size_t)(close - a) + 1 < n) {
			if (close[1] != ':')
				return fail(err, errlen, "tcp address: expected ':port' after ']'");
			port = close + 2;
		}
	} else {
		const char *colon = memchr(a, ':', n);

		if (colon) {
			if (memchr(colon + 1, ':', n - (size_t)(colon - a) - 1))
				return fail(err, errlen,
					    "tcp address: an IPv6 address needs brackets, [addr]:port");
			hlen = (size_t)(colon - a);
			port = colon + 1;
		}
	}
	if (hlen == 0)
		return fail(err, errlen, "tcp address: empty host");
	d->port = 3306;
	if (port) {
		size_t plen = n - (size_t)(port - a);
		unsigned long v = 0;

		if (plen == 0 || plen > 5 || strspn(port, "0123456789") < plen)
			return fail(err, errlen, "tcp address: the port is not a number");
		for (size_t i = 0; i < plen; i++)
			v = v * 10 + (unsigned long)(port[i] - '0');
		if (v == 0 || v > 65535)
			return fail(err, errlen, "tcp address: the port is not in 1..65535");
		d->port = (unsigned)v;
	}
	d->host = dup_n(host, hlen);
	return d->host ? 0 : -ENOMEM;
}

int dsn_parse(const char *s, struct dsn *ret, char *err, size_t errlen)
{
	struct dsn d = { 0 };
	const char *slash, *at = NULL, *addr;
	int r = -EINVAL;

	if (!s || !*s)
		return fail(err, errlen, "empty");
	if (strpbrk(s, "\r\n"))
		return fail(err, errlen, "contains a line break");
	slash = strrchr(s, '/');	/* the driver's rule: the last '/' of all */
	if (!slash)
		return fail(err, errlen,
			    "missing the '/' that ends the address (it ends in '/' or '/dbname')");
	for (const char *t = s; t < slash; t++)
		if (*t == '@')
			at = t;
	if (at) {
		const char *colon = memchr(s, ':', (size_t)(at - s));
		size_t ulen = colon ? (size_t)(colon - s) : (size_t)(at - s);

		d.user = dup_n(s, ulen);
		if (colon)
			d.password = dup_n(colon + 1, (size_t)(at - colon - 1));
		if (!d.user || (colon && !d.password)) {
			r = -ENOMEM;
			goto out;
		}
		addr = at + 1;
	} else {
		addr = s;
	}
	/* net[(addr)] */
	{
		size_t n = (size_t)(slash - addr);
		const char *open = memchr(addr, '(', n);
		size_t netlen = open ? (size_t)(open - addr) : n;
		const char *a = NULL;
		size_t alen = 0;

		if (open) {
			if (addr[n - 1] != ')') {
				r = fail(err, errlen, "the address is not closed by ')' before the '/'");
				goto out;
			}
			a = open + 1;
			alen = n - netlen - 2;
		}
		if (netlen == 0 && !open) {
			r = parse_tcp("", 0, &d, err, errlen);
		} else if (netlen == 3 && !strncmp(addr, "tcp", 3)) {
			r = parse_tcp(a ? a : "", alen, &d, err, errlen);
		} else if (netlen == 4 && !strncmp(addr, "unix", 4)) {
			d.socket = alen ? dup_n(a, alen) : strdup("/tmp/mysql.sock");
			r = d.socket ? 0 : -ENOMEM;
		} else {
			char what[160];

			snprintf(what, sizeof(what),
				 "unknown network '%.*s' (tcp or unix; was the '@' before it "
				 "lost? a password needs no escaping)",
				 (int)(netlen > 40 ? 40 : netlen), addr);
			r = fail(err, errlen, what);
		}
		if (r < 0)
			goto out;
	}
	/* /dbname?params */
	{
		const char *db = slash + 1, *qm = strchr(db, '?');
		size_t dblen = qm ? (size_t)(qm - db) : strlen(db);

		if (dblen) {
			d.dbname = dup_n(db, dblen);
			if (!d.dbname) {
				r = -ENOMEM;
				goto out;
			}
		}
		if (qm) {
			for (const char *p = qm + 1; *p;) {
				size_t n = strcspn(p, "&");
				const char *eq = memchr(p, '=', n);

				if (n && !eq) {
					r = fail(err, errlen, "a parameter without '=value'");
					goto out;
				}
				if (n && d.nparams++ == 0)
					snprintf(d.first_param, sizeof(d.first_param), "%.*s",
						 (int)(eq - p), p);
				p += n;
				if (*p == '&')
					p++;
			}
		}
	}
	*ret = d;
	return 0;
out:
	dsn_done(&d);
	return r;
}
