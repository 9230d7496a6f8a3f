/* http_webconfig: parsing exporter-toolkit's web config and basic auth
 * against bcrypt hashes made here with libxcrypt's crypt_gensalt/crypt_r. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"
#include "../../../common/http_webconfig.c"
#include "webconfig_util.h"

static char dir[] = "/tmp/prism-test-webconfig.XXXXXX";
static char path[256], err[512];

static void put(const char *name, const char *text)
{
	char p[300];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static int load(const char *yaml, struct web_config **c)
{
	put("web.yml", yaml);
	err[0] = '\0';
	*c = NULL;
	return web_config_load(path, c, err, sizeof(err));
}

/* valid until the next call */
static char *bcrypt(const char *pw)
{
	static char hash[64];	/* "$2b$04$" + 53 characters */

	wc_bcrypt(pw, hash, sizeof(hash));
	return hash;
}

/* The Authorization header for "user:password"; valid until the next call. */
static char *basic(const char *user_pass)
{
	static char out[512];

	memcpy(out, "Basic ", 6);
	wc_base64(user_pass, out + 6);
	return out;
}

static void test_empty_and_errors(void)
{
	struct web_config *c;

	CHECK_INT(load("", &c), 0);	/* an empty file: plain HTTP, no auth */
	CHECK(c && !c->cert_pem && c->nusers == 0);
	web_config_free(c);
	CHECK_INT(load("basic_auth_users:\n", &c), 0);
	CHECK(c && c->nusers == 0);
	web_config_free(c);
	CHECK_INT(load("- a\n- b\n", &c), -EINVAL);
	CHECK(strstr(err, "expected a mapping") != NULL);
	CHECK_INT(load("foo: 1\n", &c), -EINVAL);
	CHECK(strstr(err, "foo is not supported") != NULL);
	CHECK_INT(load("tls_server_config: {cert_file: a}\n", &c), -EINVAL);
	CHECK(strstr(err, "needs both cert_file and key_file") != NULL);
	CHECK_INT(load("tls_server_config: {cert_file: a, key_file: b, min_version: TLS13}\n", &c), -EINVAL);
	CHECK(strstr(err, "tls_server_config.min_version is not supported") != NULL);
	CHECK_INT(load("tls_server_config: {cert_file: nothere.crt, key_file: b}\n", &c), -ENOENT);
	CHECK(strstr(err, "nothere.crt") != NULL && strstr(err, dir) != NULL);	/* resolved next to the file */
	CHECK_INT(load("tls_server_config: [1]\n", &c), -EINVAL);
	CHECK_INT(load("basic_auth_users: {u: notbcrypt}\n", &c), -EINVAL);
	CHECK(strstr(err, "basic_auth_users.u: not a bcrypt hash") != NULL);
	CHECK_INT(load("basic_auth_users: [a]\n", &c), -EINVAL);
	CHECK_INT(load("basic_auth_users: {a: [\n", &c), -EINVAL);
	CHECK(strstr(err, "web.yml:") != NULL);
	CHECK(web_config_load("/nonexistent/web.yml", &c, err, sizeof(err)) == -ENOENT);
	CHECK(strstr(err, "/nonexistent/web.yml") != NULL);
	web_config_free(NULL);
}

static void test_tls_files(void)
{
	struct web_config *c;

	put("s.crt", "-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n");
	put("s.key", "-----BEGIN PRIVATE KEY-----\nMII=\n-----END PRIVATE KEY-----\n");
	CHECK_INT(load("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n", &c), 0);
	CHECK(c && c->cert_pem && strstr(c->cert_pem, "BEGIN CERTIFICATE"));
	CHECK(c && c->key_pem && strstr(c->key_pem, "PRIVATE KEY"));
	web_config_free(c);
	CHECK_INT(load("tls_server_config:\n  cert_file: s.key\n  key_file: s.key\n", &c), -EINVAL);
	CHECK(strstr(err, "not a PEM certificate") != NULL);
	CHECK_INT(load("tls_server_config:\n  cert_file: s.crt\n  key_file: s.crt\n", &c), -EINVAL);
	CHECK(strstr(err, "not a PEM private key") != NULL);
}

static void test_basic_auth(void)
{
	struct web_config *c;
	char yaml[512], hb[80];
	uint64_t gen;

	snprintf(hb, sizeof(hb), "%s", bcrypt("pw of bob"));
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  alice: '%s'\n  bob: '%s'\n", bcrypt("wonder:land"), hb);
	CHECK_INT(load(yaml, &c), 0);
	if (!c)
		return;
	CHECK_INT(c->nusers, 2);
	CHECK(web_config_check_basic(c, basic("alice:wonder:land")));	/* ':' in a password */
	CHECK(web_config_check_basic(c, basic("alice:wonder:land")));	/* cached */
	CHECK(web_config_check_basic(c, basic("bob:pw of bob")));
	CHECK(!web_config_check_basic(c, basic("bob:pw of bo")));
	CHECK(!web_config_check_basic(c, basic("bob:pw of bobx")));
	CHECK(!web_config_check_basic(c, basic("alice:pw of bob")));
	CHECK(!web_config_check_basic(c, basic("carol:x")));
	CHECK(!web_config_check_basic(c, basic("alice")));
	CHECK(!web_config_check_basic(c, basic(":")));
	CHECK(!web_config_check_basic(c, "Bearer abc"));
	CHECK(!web_config_check_basic(c, "Basic !!!!"));
	CHECK(!web_config_check_basic(c, "Basic YWxpY2U6d29uZGVyOmxhbmQ=x"));
	CHECK(!web_config_check_basic(c, NULL));
	CHECK(web_config_check_basic(c, "basic   YWxpY2U6d29uZGVyOmxhbmQ="));	/* scheme is case-insensitive */
	gen = ((struct web_config_full *)c)->gen;
	web_config_free(c);
	/* a new config: the cached password of the old one must not apply */
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  alice: '%s'\n", bcrypt("new"));
	CHECK_INT(load(yaml, &c), 0);
	CHECK(((struct web_config_full *)c)->gen != gen);
	CHECK(!web_config_check_basic(c, basic("alice:wonder:land")));
	CHECK(web_config_check_basic(c, basic("alice:new")));
	web_config_free(c);
}

/*
 * A key given twice is refused (exporter-toolkit reads the file with
 * yaml.UnmarshalStrict: "mapping key already defined").  libyaml's document
 * API keeps both pairs; a second basic_auth_users used to reallocate the
 * user array while keeping the first one's count (heap overflow / NULL
 * strcmp), a second tls_server_config leaked the first PEMs.
 */
static void test_duplicate_keys(void)
{
	struct web_config *c;
	char yaml[1024], h[80];

	snprintf(h, sizeof(h), "%s", bcrypt("pw"));
	snprintf(yaml, sizeof(yaml),
		 "basic_auth_users:\n  a: '%s'\n  b: '%s'\nbasic_auth_users:\n  c: '%s'\n", h, h, h);
	CHECK_INT(load(yaml, &c), -EINVAL);
	CHECK(c == NULL);
	CHECK(strstr(err, "basic_auth_users given twice") != NULL);
	put("s.crt", "-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n");
	put("s.key", "-----BEGIN PRIVATE KEY-----\nMII=\n-----END PRIVATE KEY-----\n");
	CHECK_INT(load("tls_server_config: {cert_file: s.crt, key_file: s.key}\n"
		       "tls_server_config: {cert_file: s.crt, key_file: s.key}\n", &c), -EINVAL);
	CHECK(strstr(err, "tls_server_config given twice") != NULL);
	CHECK_INT(load("tls_server_config: {cert_file: s.crt, key_file: s.key, cert_file: s.key}\n",
		       &c), -EINVAL);
	CHECK(strstr(err, "tls_server_config.cert_file given twice") != NULL);
}

/*
 * A non-string top-level key after a section that parsed: it used to return
 * 0 with the message set and no config (found by fuzz_webconfig), and
 * http_server_web_config() then dereferenced the NULL config.
 */
static void test_bad_key_after_section(void)
{
	struct web_config *c;

	CHECK_INT(load("basic_auth_users:\n? [a]\n: b\n", &c), -EINVAL);
	CHECK(c == NULL);
	CHECK(strstr(err, "top-level keys must be strings") != NULL);
	CHECK_INT(load("basic_auth_users:\n? {a: b}\n", &c), -EINVAL);
	CHECK(c == NULL);
}

/* CPU seconds of this thread (bcrypt is CPU work; wall time would also
 * count preemption on a loaded machine and make the comparison flaky). */
static double secs_of(const struct web_config *c, const char *header, int reps)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (int i = 0; i < reps; i++)
		(void)web_config_check_basic(c, header);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/*
 * An unknown user takes as long as a known user with a wrong password (one
 * bcrypt), as in exporter-toolkit: it used to be refused in microseconds,
 * which told an attacker which user names exist.
 */
static void test_no_user_enumeration(void)
{
	struct web_config *c;
	char yaml[512], salt[CRYPT_GENSALT_OUTPUT_SIZE], hash[CRYPT_OUTPUT_SIZE];
	struct crypt_data cd = { 0 };
	double known, unknown;
	char *h;

	/* cost 7: ~10 ms a check, far above the timer and the base64 work */
	crypt_gensalt_rn("$2b$", 7, NULL, 0, salt, sizeof(salt));
	snprintf(hash, sizeof(hash), "%s", crypt_r("right", salt, &cd));
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  alice: '%s'\n", hash);
	CHECK_INT(load(yaml, &c), 0);
	if (!c)
		return;
	h = strdup(basic("alice:wrong"));
	known = secs_of(c, h, 5);
	free(h);
	h = strdup(basic("mallory:wrong"));
	unknown = secs_of(c, h, 5);
	free(h);
	if (unknown < known * 0.3)
		printf("# unknown user %.4f s, known user %.4f s\n", unknown, known);
	CHECK(unknown >= known * 0.3);
	CHECK(!web_config_check_basic(c, basic("mallory:right")));
	CHECK(web_config_check_basic(c, basic("alice:right")));
	web_config_free(c);
}

static void test_b64(void)
{
	char out[16];

	CHECK_INT(b64decode("YWJj", out, sizeof(out)), 3);
	CHECK_STR(out, "abc");
	CHECK_INT(b64decode("YWI=", out, sizeof(out)), 2);
	CHECK_STR(out, "ab");
	CHECK_INT(b64decode("YQ", out, sizeof(out)), 1);
	CHECK_INT(b64decode("Y Q", out, sizeof(out)), -1);
	CHECK_INT(b64decode("YWJjZGVmZ2hpamtsbW5vcHFy", out, sizeof(out)), -1);	/* too long */
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	RUN(test_empty_and_errors);
	RUN(test_tls_files);
	RUN(test_basic_auth);
	RUN(test_duplicate_keys);
	RUN(test_bad_key_after_section);
	RUN(test_no_user_enumeration);
	RUN(test_b64);
	auth_cache_free(acache);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return harness_done();
}
