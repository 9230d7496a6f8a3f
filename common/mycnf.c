/*
 * mycnf: the placeholder check of an option file (see mycnf.h).  The
 * syntax is the client library's (MariaDB's "Option Files"): "[group]"
 * headers, "option = value" or a bare "option", '#' or ';' comment lines,
 * "!include"/"!includedir" directives, and '#' starting a comment after an
 * unquoted value.
 */
#include <ctype.h>
#include <errno.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mycnf.h"

/* The option's value of one line (NUL-terminated in place), or NULL. */
static char *option_value(char *line, char **ret_key)
{
	char *p = line + strspn(line, " \t"), *eq, *end;

	if (!*p || strchr("#;[!\r\n", *p))
		return NULL;
	eq = strchr(p, '=');
	if (!eq)
		return NULL;	/* a bare option ("skip-ssl") has no value */
	end = eq;
	while (end > p && strchr(" \t", end[-1]))
		end--;
	*end = '\0';
	*ret_key = p;
	p = eq + 1 + strspn(eq + 1, " \t");
	if (*p != '"' && *p != '\'' && (end = strchr(p, '#')))
		*end = '\0';
	return p;
}

int mycnf_placeholder(const char *path, char *ret_option, size_t keylen)
{
	char *line = NULL, *key, *val;
	size_t cap = 0;
	int r = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		val = option_value(line, &key);
		if (val && strstr(val, MYCNF_PLACEHOLDER)) {
			if (ret_option && keylen)
				snprintf(ret_option, keylen, "%s", key);
			r = 1;
			break;
		}
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	return r;
}

/* Lower-case "option" with '_' as '-' and without "loose-", into key. */
static void norm_key(const char *in, char *key, size_t len)
{
	size_t i;

	if (strncasecmp(in, "loose", 5) == 0 && (in[5] == '-' || in[5] == '_'))
		in += 6;
	for (i = 0; in[i] && i + 1 < len; i++)
		key[i] = in[i] == '_' ? '-' : (char)tolower((unsigned char)in[i]);
	key[i] = '\0';
}

/* Trim trailing blanks and one level of matching quotes, in place. */
static char *trim_value(char *v)
{
	size_t n = strlen(v);

	while (n && strchr(" \t\r\n", v[n - 1]))
		v[--n] = '\0';
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		v++;
	}
	return v;
}

/* A boolean option: bare (NULL) is true; 0/off/false/no are false. */
static bool truth(const char *v)
{
	return !v || !(strcmp(v, "0") == 0 || strcasecmp(v, "off") == 0 ||
		       strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0);
}

static bool group_wanted(const char *line, const char *group)
{
	const char *p = line + strspn(line, " \t") + 1, *end = strchr(p, ']');
	size_t n;

	if (!end)
		return false;
	while (p < end && strchr(" \t", *p))
		p++;
	n = (size_t)(end - p);
	while (n && strchr(" \t", p[n - 1]))
		n--;
#define IS(g) (strlen(g) == n && strncasecmp(p, g, n) == 0)
	return IS("client") || IS("client-server") || IS("client-mariadb") || (group && IS(group));
#undef IS
}

int mycnf_tls_read(const char *path, const char *group, struct mycnf_tls *ret)
{
	struct mycnf_tls t = { 0 };
	char *line = NULL, *p, *val, key[64], capath[sizeof(t.ca)] = "";
	bool in = false, off = false, any = false;
	size_t cap = 0;
	int r = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		p = line + strspn(line, " \t");
		if (*p == '[') {
			in = group_wanted(p, group);
			continue;
		}
		if (!in || !*p || strchr("#;!\r\n", *p))
			continue;
		val = strchr(p, '=');
		if (val) {
			char *e = val;

			while (e > p && strchr(" \t", e[-1]))
				e--;
			*e = '\0';
			val = val + 1 + strspn(val + 1, " \t");
			if (*val == '"' || *val == '\'') {
				/* a quoted value ends at its quote ('#' inside is kept) */
				if ((e = strchr(val + 1, *val)))
					e[1] = '\0';
			} else if ((e = strchr(val, '#'))) {
				*e = '\0';
			}
			val = trim_value(val);
		} else {
			p[strcspn(p, " \t\r\n#")] = '\0';
		}
		norm_key(p, key, sizeof(key));
		if (strcmp(key, "ssl") == 0) {
			off = !truth(val);
			any = !off;
		} else if (strcmp(key, "skip-ssl") == 0 || strcmp(key, "disable-ssl") == 0) {
			off = truth(val);
			any = !off;
		} else if (strcmp(key, "ssl-verify-server-cert") == 0) {
			t.verify = truth(val);
			any |= t.verify;
		} else if (strcmp(key, "ssl-ca") == 0 && val) {
			snprintf(t.ca, sizeof(t.ca), "%s", val);
			any = true;
		} else if (strcmp(key, "ssl-capath") == 0 && val) {
			snprintf(capath, sizeof(capath), "%s", val);
			any = true;
		} else if ((strcmp(key, "ssl-cert") == 0 || strcmp(key, "ssl-key") == 0 ||
			    strcmp(key, "ssl-cipher") == 0 || strcmp(key, "ssl-crl") == 0 ||
			    strcmp(key, "ssl-crlpath") == 0) && val) {
			any = true;
		}
	}
	if (ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	if (r < 0)
		return r;
	if (!t.ca[0])
		snprintf(t.ca, sizeof(t.ca), "%s", capath);
	t.enabled = any && !off;
	if (!t.enabled)
		t.verify = false;
	*ret = t;
	return 0;
}

void mycnf_tls_describe(const struct mycnf_tls *t, char *buf, size_t len)
{
	if (!t->enabled)
		snprintf(buf, len, "no TLS");
	else
		snprintf(buf, len, "TLS (CA %s, server certificate %s)",
			 t->ca[0] ? t->ca : "none given", t->verify ? "verified" : "NOT verified");
}

/* mysql_errno codes (errmsg.h, mysqld_error.h): kept here so common/ needs
 * no client library headers. */
#define CR_SSL_CONNECTION_ERROR_ 2026
#define ER_ACCESS_DENIED_ERROR_ 1045

void mycnf_tls_error(const struct mycnf_tls *t, const char *path, unsigned err, const char *msg,
		     char *buf, size_t len)
{
	char how[sizeof(t->ca) + 64];

	mycnf_tls_describe(t, how, sizeof(how));
	if (err == CR_SSL_CONNECTION_ERROR_)
		snprintf(buf, len, "%u: TLS connection to the server failed with %s from %s: %s", err,
			 how, path, msg);
	else if (err == ER_ACCESS_DENIED_ERROR_ && !t->enabled)
		snprintf(buf, len,
			 "%u: %s (no TLS asked for in %s: a server with require_secure_transport=ON "
			 "refuses clear-text logins with this same error; for TLS set ssl-ca and "
			 "ssl-verify-server-cert there)",
			 err, msg, path);
	else
		snprintf(buf, len, "%u: %s", err, msg);
}
