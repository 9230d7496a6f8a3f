/*
 * mycnf: the placeholder check of an option file (see mycnf.h).  The
 * syntax is the client library's (MariaDB's "Option Files"): "[group]"
 * headers, "option = value" or a bare "option", '#' or ';' comment lines,
 * "!include"/"!includedir" directives, and '#' starting a comment after an
 * unquoted value.
 */
#include <errno.h>
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
