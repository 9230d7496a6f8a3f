/*
 * http_webconfig: exporter-toolkit's web config file (TLS, basic auth),
 * parsed with libyaml's document API; passwords checked with crypt_r(3)
 * (libxcrypt's bcrypt, the "$2b$" hashes exporter-toolkit accepts).
 */
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <yaml.h>

#include "http_webconfig.h"
#include "http_webconfig_int.h"

#define PEM_MAX (1u << 20)
#define PASSWORD_MAX 128
#define AUTH_HEADER_MAX 1024

/* A loaded config gets a generation number, so per-thread caches of
 * verified passwords can never apply to a later config at the same address. */
struct web_config_full {
	struct web_config pub;
	uint64_t gen;
};
static _Atomic uint64_t next_gen = 1;

void web_config_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void web_config_free(struct web_config *c)
{
	if (!c)
		return;
	free(c->cert_pem);
	free(c->key_pem);
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free(c->users[i].hash);
	}
	free(c->users);
	free(c);
}

/* Paths in the file are relative to the file's directory (exporter-toolkit). */
static char *resolve_path(const char *cfgpath, const char *p)
{
	const char *slash = strrchr(cfgpath, '/');
	char *out;

	if (p[0] == '/' || !slash)
		return strdup(p);
	if (asprintf(&out, "%.*s/%s", (int)(slash - cfgpath), cfgpath, p) < 0)
		return NULL;
	return out;
}

static int read_file(const char *path, char **ret, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char *data;
	size_t n;
	int r;

	if (!f) {
		r = -errno;
		web_config_errf(err, errlen, "cannot open %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fileno(f), &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > PEM_MAX) {
		fclose(f);
		web_config_errf(err, errlen, "%s: empty or larger than %u bytes", path, PEM_MAX);
		return -EINVAL;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(data, 1, (size_t)st.st_size, f);
	fclose(f);
	data[n] = '\0';
	*ret = data;
	return 0;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int parse_tls(yaml_document_t *doc, yaml_node_t *m, const char *path,
		     struct web_config *c, char *err, size_t errlen)
{
	const char *cert = NULL, *key = NULL;
	char *p;
	int r;

	if (m->type != YAML_MAPPING_NODE) {
		web_config_errf(err, errlen, "%s: tls_server_config must be a mapping", path);
		return -EINVAL;
	}
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		const char *k = scalar(yaml_document_get_node(doc, pr->key));
		const char *v = scalar(yaml_document_get_node(doc, pr->value));

		if (!k || !v) {
			web_config_errf(err, errlen,
					"%s: tls_server_config: keys and values must be strings",
					path);
			return -EINVAL;
		}
		if ((strcmp(k, "cert_file") == 0 && cert) || (strcmp(k, "key_file") == 0 && key)) {
			web_config_errf(err, errlen, "%s: tls_server_config.%s given twice", path,
					k);
			return -EINVAL;
		}
		if (strcmp(k, "cert_file") == 0) {
			cert = v;
		} else if (strcmp(k, "key_file") == 0) {
			key = v;
		} else {
			web_config_errf(err, errlen,
					"%s: tls_server_config.%s is not supported by prism", path,
					k);
			return -EINVAL;
		}
	}
	if (!cert || !*cert || !key || !*key) {
		web_config_errf(err, errlen,
				"%s: tls_server_config needs both cert_file and key_file", path);
		return -EINVAL;
	}
	if (!(p = resolve_path(path, cert)))
		return -ENOMEM;
	r = read_file(p, &c->cert_pem, err, errlen);
	free(p);
	if (r < 0)
		return r;
	if (!(p = resolve_path(path, key)))
		return -ENOMEM;
	r = read_file(p, &c->key_pem, err, errlen);
	free(p);
	if (r < 0)
		return r;
	if (!strstr(c->cert_pem, "-----BEGIN CERTIFICATE-----")) {
		web_config_errf(err, errlen, "%s: cert_file %s is not a PEM certificate", path,
				cert);
		return -EINVAL;
	}
	if (!strstr(c->key_pem, "PRIVATE KEY-----")) {
		web_config_errf(err, errlen, "%s: key_file %s is not a PEM private key", path, key);
		return -EINVAL;
	}
	return 0;
}

static int parse_users(yaml_document_t *doc, yaml_node_t *m, const char *path,
		       struct web_config *c, char *err, size_t errlen)
{
	size_t n;

	if (m->type == YAML_SCALAR_NODE && scalar(m)[0] == '\0')
		return 0;	/* "basic_auth_users:" with nothing: no users */
	if (m->type != YAML_MAPPING_NODE) {
		web_config_errf(err, errlen,
				"%s: basic_auth_users must be a mapping of user: bcrypt hash",
				path);
		return -EINVAL;
	}
	n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	c->users = calloc(n ? n : 1, sizeof(*c->users));
	if (!c->users)
		return -ENOMEM;
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		const char *u = scalar(yaml_document_get_node(doc, pr->key));
		const char *h = scalar(yaml_document_get_node(doc, pr->value));

		if (!u || !*u || !h) {
			web_config_errf(
			    err, errlen,
			    "%s: basic_auth_users: user names and hashes must be strings", path);
			return -EINVAL;
		}
		/* bcrypt only ($2a$, $2b$, $2y$), as exporter-toolkit */
		if (strncmp(h, "$2", 2) != 0 || strlen(h) != 60 || h[3] != '$') {
			web_config_errf(err, errlen, "%s: basic_auth_users.%s: not a bcrypt hash",
					path, u);
			return -EINVAL;
		}
		for (size_t i = 0; i < c->nusers; i++) {
			if (strcmp(c->users[i].name, u) == 0) {
				web_config_errf(err, errlen, "%s: basic_auth_users.%s given twice",
						path, u);
				return -EINVAL;
			}
		}
		c->users[c->nusers].name = strdup(u);
		c->users[c->nusers].hash = strdup(h);
		if (!c->users[c->nusers].name || !c->users[c->nusers].hash) {
			free(c->users[c->nusers].name);
			free(c->users[c->nusers].hash);
			return -ENOMEM;
		}
		c->nusers++;
	}
	return 0;
}

int web_config_load(const char *path, struct web_config **ret, char *err, size_t errlen)
{
	struct web_config_full *full = calloc(1, sizeof(*full));
	struct web_config *c = full ? &full->pub : NULL;
	yaml_parser_t parser;
	yaml_document_t doc;
	bool parser_ok = false, doc_ok = false, seen_tls = false, seen_users = false;
	yaml_node_t *root;
	FILE *f = NULL;
	int r = -EINVAL;

	if (!full)
		return -ENOMEM;
	full->gen = atomic_fetch_add(&next_gen, 1);
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		web_config_errf(err, errlen, "cannot open %s: %s", path, strerror(-r));
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		r = -ENOMEM;
		goto out;
	}
	parser_ok = true;
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		web_config_errf(err, errlen, "%s:%zu: %s", path, parser.problem_mark.line + 1,
				parser.problem ? parser.problem : "invalid YAML");
		goto out;
	}
	doc_ok = true;
	root = yaml_document_get_root_node(&doc);
	if (root && !(root->type == YAML_SCALAR_NODE && scalar(root)[0] == '\0')) {
		if (root->type != YAML_MAPPING_NODE) {
			web_config_errf(err, errlen, "%s: expected a mapping at the top level",
					path);
			goto out;
		}
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
		     pr < root->data.mapping.pairs.top; pr++) {
			const char *k = scalar(yaml_document_get_node(&doc, pr->key));
			yaml_node_t *v = yaml_document_get_node(&doc, pr->value);

			if (!k || !v) {
				/* r may hold a previous section's 0: this is an error */
				web_config_errf(err, errlen, "%s: top-level keys must be strings",
						path);
				r = -EINVAL;
				goto out;
			}
			/*
			 * libyaml keeps both pairs of a repeated key; exporter-toolkit's
			 * strict YAML refuses it, and parsing a section twice would
			 * overwrite (and leak or overrun) what the first one filled.
			 */
			if ((strcmp(k, "tls_server_config") == 0 && seen_tls) ||
			    (strcmp(k, "basic_auth_users") == 0 && seen_users)) {
				web_config_errf(err, errlen, "%s: %s given twice", path, k);
				r = -EINVAL;
			} else if (strcmp(k, "tls_server_config") == 0) {
				seen_tls = true;
				r = parse_tls(&doc, v, path, c, err, errlen);
			} else if (strcmp(k, "basic_auth_users") == 0) {
				seen_users = true;
				r = parse_users(&doc, v, path, c, err, errlen);
			} else {
				web_config_errf(err, errlen, "%s: %s is not supported by prism",
						path, k);
				r = -EINVAL;
			}
			if (r < 0)
				goto out;
		}
	}
	r = 0;
	*ret = c;
	c = NULL;
out:
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	if (f)
		fclose(f);
	web_config_free(c);
	return r;
}

/* ---- basic auth (RFC 7617) ---- */

static int b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z') return ch - 'A';
	if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9') return ch - '0' + 52;
	if (ch == '+') return 62;
	if (ch == '/') return 63;
	return -1;
}

/* Decode standard base64 (RFC 4648 section 4, padding optional); -1 if malformed. */
static ssize_t b64decode(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	for (; *in && *in != '='; in++) {
		int v = b64val((unsigned char)*in);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	while (*in == '=')
		in++;
	if (*in)
		return -1;
	out[o] = '\0';
	return (ssize_t)o;
}

struct auth_cache {
	uint64_t gen;
	size_t n;
	struct cached_pw {
		size_t len;
		bool ok;
		char pw[PASSWORD_MAX];
	} *e;
	struct crypt_data *cd;
};

static pthread_key_t auth_key;
static pthread_once_t auth_once = PTHREAD_ONCE_INIT;
static __thread struct auth_cache *acache;

static void auth_cache_free(void *p)
{
	struct auth_cache *a = p;

	if (!a)
		return;
	if (a->e)
		explicit_bzero(a->e, a->n * sizeof(*a->e));
	free(a->e);
	free(a->cd);
	free(a);
	acache = NULL;
}

static void auth_key_init(void)
{
	(void)pthread_key_create(&auth_key, auth_cache_free);
}

static struct auth_cache *auth_cache_get(const struct web_config *c)
{
	const struct web_config_full *full = (const struct web_config_full *)c;
	struct auth_cache *a = acache;

	if (!a) {
		pthread_once(&auth_once, auth_key_init);
		a = calloc(1, sizeof(*a));
		if (!a)
			return NULL;
		a->cd = calloc(1, sizeof(*a->cd));	/* crypt_r wants it zeroed once */
		if (!a->cd) {
			free(a);
			return NULL;
		}
		acache = a;
		(void)pthread_setspecific(auth_key, a);
	}
	if (a->gen != full->gen || a->n != c->nusers) {
		if (a->e)
			explicit_bzero(a->e, a->n * sizeof(*a->e));
		free(a->e);
		a->e = calloc(c->nusers ? c->nusers : 1, sizeof(*a->e));
		a->n = a->e ? c->nusers : 0;
		a->gen = a->e ? full->gen : 0;
		if (!a->e)
			return NULL;
	}
	return a;
}

/* Constant-time equality of two byte strings of known lengths. */
static bool ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char d = (unsigned char)(alen != blen);
	size_t n = alen < blen ? alen : blen;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

bool web_config_check_basic(const struct web_config *c, const char *authorization)
{
	char dec[AUTH_HEADER_MAX], *colon, *pw;
	const struct web_user *u = NULL;
	struct auth_cache *a;
	struct cached_pw *e;
	const char *h;
	size_t idx = 0, pwlen;
	ssize_t n;
	bool ok;

	if (!c || !authorization)
		return false;
	h = authorization;
	while (*h == ' ')
		h++;
	if (strncasecmp(h, "Basic ", 6) != 0)
		return false;
	h += 6;
	while (*h == ' ')
		h++;
	n = b64decode(h, dec, sizeof(dec));
	if (n < 0 || memchr(dec, '\0', (size_t)n))
		return false;
	colon = strchr(dec, ':');
	if (!colon)
		return false;
	*colon = '\0';
	pw = colon + 1;
	pwlen = strlen(pw);
	for (idx = 0; idx < c->nusers; idx++) {
		if (strcmp(c->users[idx].name, dec) == 0) {
			u = &c->users[idx];
			break;
		}
	}
	a = auth_cache_get(c);
	if (!a) {
		explicit_bzero(dec, sizeof(dec));
		return false;
	}
	if (!u || pwlen >= PASSWORD_MAX) {
		/*
		 * An unknown user costs a bcrypt too (against the first user's
		 * hash, so the same cost), as exporter-toolkit does with its fixed
		 * "fakepassword" hash: otherwise the answer's speed tells which
		 * user names exist.
		 */
		if (c->nusers)
			(void)crypt_r(pwlen < PASSWORD_MAX ? pw : "", c->users[0].hash, a->cd);
		explicit_bzero(dec, sizeof(dec));
		return false;
	}
	e = &a->e[idx];
	if (e->ok && ct_equal(e->pw, e->len, pw, pwlen)) {
		explicit_bzero(dec, sizeof(dec));
		return true;
	}
	h = crypt_r(pw, u->hash, a->cd);
	ok = h && h[0] != '*' && ct_equal(h, strlen(h), u->hash, strlen(u->hash));
	if (ok) {
		memcpy(e->pw, pw, pwlen);
		e->len = pwlen;
		e->ok = true;
	}
	explicit_bzero(dec, sizeof(dec));
	return ok;
}
