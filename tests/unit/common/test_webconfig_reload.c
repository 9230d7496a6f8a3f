/* http_server_web_config_reload: swapping basic_auth_users on a running
 * server, over real HTTP on loopback.  8 client threads keep making requests
 * while the main thread rewrites the file and reloads it 200 times: a user
 * present in every version always gets 200, a user present in every other
 * version gets 200 or 401 and nothing else, no request is lost; also under
 * ASan and TSan (the old config is freed while readers run).  Plus: a broken
 * file keeps the running config, TLS cannot be switched on, and a server
 * without a web config refuses to reload.  TLS: 4 GnuTLS clients handshake
 * while the certificate files alternate over 40 reloads (each handshake gets
 * one of the two, none fails); a mismatched key or turning TLS off is
 * refused; replaced certificates are kept while a connection accepted before
 * is open and freed by the first reload after it closes. */
#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "../harness.h"
/* the glue itself, to reach the server's live config (s->live) */
#include "../../../common/http.c"
#include "webconfig_util.h"

#define NTHREADS 8
#define NRELOADS 200

static char dir[] = "/tmp/prism-test-wcreload.XXXXXX";
static char path[256], err[512];
static char hash_stable[128], hash_a[128], hash_b[128];
static char auth_stable[128], auth_a[128], auth_b[128];
static int port;
static atomic_bool stop;
static _Atomic long n_ok, n_bad, n_flip_ok, n_flip_401;

static void hello(struct http_request *r, void *ctx)
{
	(void)ctx;
	http_respond(r, 200, "text/plain", "hi\n", 3);
}

static const struct http_route routes[] = {
	{ "GET", "/x", hello, NULL },
};

static void put(const char *text)
{
	char tmp[300];
	FILE *f;

	/* write then rename: a reader never sees half a file */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	fputs(text, f);
	fclose(f);
	rename(tmp, path);
}

static void put_users(bool a)
{
	char text[512];

	snprintf(text, sizeof(text), "basic_auth_users:\n  stable: '%s'\n  %s: '%s'\n", hash_stable,
		 a ? "a" : "b", a ? hash_a : hash_b);
	put(text);
}

/* A new TCP connection to the server on loopback; its fd, or -1. */
static int connect_server(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* One GET /x on a new connection; the status, or -1. */
static int get(const char *auth)
{
	char req[512], resp[512];
	size_t got = 0;
	ssize_t n;
	int fd, status = -1;

	fd = connect_server();
	if (fd < 0)
		return -1;
	n = snprintf(req, sizeof(req),
		     "GET /x HTTP/1.1\r\nHost: t\r\nAuthorization: Basic %s\r\nConnection: close\r\n\r\n",
		     auth);
	if (write(fd, req, (size_t)n) != n)
		goto out;
	while (got < sizeof(resp) - 1 && (n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
out:
	close(fd);
	return status;
}

static void *client(void *arg)
{
	long i = (long)(intptr_t)arg;

	while (!atomic_load(&stop)) {
		int st;

		st = get(auth_stable);
		if (st == 200)
			atomic_fetch_add(&n_ok, 1);
		else
			atomic_fetch_add(&n_bad, 1);
		/* a or b: present in every other version */
		st = get(i++ % 2 ? auth_a : auth_b);
		if (st == 200)
			atomic_fetch_add(&n_flip_ok, 1);
		else if (st == 401)
			atomic_fetch_add(&n_flip_401, 1);
		else
			atomic_fetch_add(&n_bad, 1);
	}
	return NULL;
}

static struct http_server *server(void)
{
	struct http_config cfg;
	struct http_server *s;

	http_config_defaults(&cfg);
	cfg.threads = 4;
	s = http_server_new(&cfg, routes, 1);
	if (!s)
		return NULL;
	err[0] = '\0';
	if (http_server_web_config(s, path, err, sizeof(err)) < 0 ||
	    http_server_listen(s, "127.0.0.1:0") < 0 || http_server_start(s) < 0) {
		printf("# setup: %s\n", err);
		http_server_free(s);
		return NULL;
	}
	port = http_server_port(s, 0);
	return s;
}

static void test_reload_under_load(void)
{
	struct http_server *s;
	pthread_t th[NTHREADS];
	char cmd[600];
	int failures = 0;

	put_users(true);
	s = server();
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(get(auth_stable), 200);
	CHECK_INT(get(auth_a), 200);
	CHECK_INT(get(auth_b), 401);
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, client, (void *)(intptr_t)i);
	for (int i = 1; i <= NRELOADS; i++) {
		put_users(i % 2 == 0);
		if (http_server_web_config_reload(s, err, sizeof(err)) < 0) {
			printf("# reload %d: %s\n", i, err);
			failures++;
		}
	}
	atomic_store(&stop, true);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(failures, 0);
	CHECK_INT(atomic_load(&n_bad), 0);
	CHECK(atomic_load(&n_ok) > 0);
	printf("# %ld stable 200s, %ld flip 200s, %ld flip 401s during %d reloads\n",
	       atomic_load(&n_ok), atomic_load(&n_flip_ok), atomic_load(&n_flip_401), NRELOADS);
	/* NRELOADS is even: the last version has a, not b */
	CHECK_INT(get(auth_a), 200);
	CHECK_INT(get(auth_b), 401);
	CHECK_INT(get(auth_stable), 200);

	/* a broken file: error with the parser's message, old users stay */
	put("basic_auth_users:\n  b: [\n");
	err[0] = '\0';
	CHECK(http_server_web_config_reload(s, err, sizeof(err)) < 0);
	CHECK(strstr(err, "web.yml:") != NULL);
	CHECK_INT(get(auth_a), 200);
	CHECK_INT(get(auth_b), 401);
	/* an unreadable file: same */
	unlink(path);
	err[0] = '\0';
	CHECK_INT(http_server_web_config_reload(s, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "cannot open") != NULL);
	CHECK_INT(get(auth_a), 200);
	/* TLS cannot be switched on on a plain listener */
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-days 2 -subj /CN=localhost -keyout %s/k.pem -out %s/c.pem >/dev/null 2>&1",
		 dir, dir);
	CHECK_INT(system(cmd), 0);
	put("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n");
	err[0] = '\0';
	CHECK_INT(http_server_web_config_reload(s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "cannot turn TLS on") != NULL);
	CHECK_INT(get(auth_a), 200);
	/* an empty file: no users, everyone in */
	put("\n");
	CHECK_INT(http_server_web_config_reload(s, err, sizeof(err)), 0);
	CHECK_INT(get(auth_b), 200);
	http_server_quiesce(s);
	http_server_drain(s, 2000);
	http_server_free(s);
}

/* ---- TLS: handshakes while the certificate files rotate ---- */

#define TLS_THREADS 4
#define TLS_RELOADS 40

static _Atomic long n_tls_ok, n_tls_bad, n_tls_cert[2];
static gnutls_datum_t der[2];	/* the two certificates, DER */

/* One HTTPS GET /x on a new connection; which certificate it saw (0 or 1),
 * or -1 on any failure. */
static int tls_get(void)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t ss = NULL;
	const gnutls_datum_t *peer;
	unsigned npeer = 0;
	char resp[256];
	static const char req[] = "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	int fd, g, which = -1;
	ssize_t n;

	fd = connect_server();
	if (fd < 0)
		return -1;
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_init(&ss, GNUTLS_CLIENT) < 0 || gnutls_set_default_priority(ss) < 0 ||
	    gnutls_credentials_set(ss, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		goto out;
	gnutls_transport_set_int(ss, fd);
	gnutls_handshake_set_timeout(ss, 5000);
	do {
		g = gnutls_handshake(ss);
	} while (g < 0 && !gnutls_error_is_fatal(g));
	if (g < 0)
		goto out;
	/* no verification: which of the two certificates did it get? */
	peer = gnutls_certificate_get_peers(ss, &npeer);
	if (!peer || npeer < 1)
		goto out;
	if (gnutls_record_send(ss, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		goto out;
	n = gnutls_record_recv(ss, resp, sizeof(resp) - 1);
	if (n < 12 || memcmp(resp, "HTTP/1.1 200", 12) != 0)
		goto out;
	for (int i = 0; i < 2; i++)
		if (peer[0].size == der[i].size && memcmp(peer[0].data, der[i].data, der[i].size) == 0)
			which = i;
out:
	if (ss)
		gnutls_deinit(ss);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	close(fd);
	return which;
}

static void *tls_client(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		int w = tls_get();

		if (w < 0) {
			atomic_fetch_add(&n_tls_bad, 1);
		} else {
			atomic_fetch_add(&n_tls_ok, 1);
			atomic_fetch_add(&n_tls_cert[w], 1);
		}
	}
	return NULL;
}

static int load_der(const char *pem_path, gnutls_datum_t *out)
{
	gnutls_datum_t pem;
	int g;

	if (gnutls_load_file(pem_path, &pem) < 0)
		return -1;
	g = gnutls_pem_base64_decode2("CERTIFICATE", &pem, out);
	gnutls_free(pem.data);
	return g < 0 ? -1 : 0;
}

/* A TCP connection to the TLS port, left open (counted from its accept). */
static int tls_hold_open(void)
{
	int fd = connect_server();

	/* the count is taken when libmicrohttpd accepts: make sure it did */
	if (fd >= 0 && tls_get() < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Reload (same files) until at most want parsed certificates are kept: the
 * server sees closed connections asynchronously.  5 s at most. */
static size_t tls_kept_settled(struct http_server *s, size_t want)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	size_t n = 0;

	for (int i = 0; i < 250; i++) {
		if (http_server_web_config_reload(s, err, sizeof(err)) < 0)
			return 0;
		if ((n = web_live_tls_kept(s->live)) <= want)
			break;
		nanosleep(&nap, NULL);
	}
	return n;
}

static void use_cert(int i)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "cp %s/c%d.pem %s/cert.pem && cp %s/k%d.pem %s/key.pem", dir, i,
		 dir, dir, i, dir);
	if (system(cmd) != 0)
		printf("# cannot copy certificate %d\n", i);
}

static void test_tls_rotation_under_load(void)
{
	struct http_server *s;
	pthread_t th[TLS_THREADS];
	char cmd[700], p[300];
	int failures = 0;

	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd),
			 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
			 "-days 2 -subj /CN=c%d -keyout %s/k%d.pem -out %s/c%d.pem >/dev/null 2>&1",
			 i, dir, i, dir, i);
		CHECK_INT(system(cmd), 0);
		snprintf(p, sizeof(p), "%s/c%d.pem", dir, i);
		CHECK_INT(load_der(p, &der[i]), 0);
	}
	use_cert(0);
	put("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n");
	atomic_store(&stop, false);
	s = server();
	CHECK(s != NULL);
	if (!s)
		goto out;
	CHECK_INT(tls_get(), 0);
	for (int i = 0; i < TLS_THREADS; i++)
		pthread_create(&th[i], NULL, tls_client, NULL);
	for (int i = 1; i <= TLS_RELOADS; i++) {
		struct timespec nap = { 0, 5 * 1000 * 1000 };

		use_cert(i % 2);
		if (http_server_web_config_reload(s, err, sizeof(err)) < 0) {
			printf("# TLS reload %d: %s\n", i, err);
			failures++;
		}
		nanosleep(&nap, NULL);	/* let handshakes see each certificate */
	}
	atomic_store(&stop, true);
	for (int i = 0; i < TLS_THREADS; i++)
		pthread_join(th[i], NULL);
	printf("# %ld handshakes (%ld with cert 0, %ld with cert 1), %ld failed, %d reloads\n",
	       atomic_load(&n_tls_ok), atomic_load(&n_tls_cert[0]), atomic_load(&n_tls_cert[1]),
	       atomic_load(&n_tls_bad), TLS_RELOADS);
	CHECK_INT(failures, 0);
	CHECK_INT(atomic_load(&n_tls_bad), 0);
	CHECK(atomic_load(&n_tls_cert[0]) > 0);
	CHECK(atomic_load(&n_tls_cert[1]) > 0);
	/* TLS_RELOADS is even: certificate 0 is the current one */
	CHECK_INT(tls_get(), 0);
	use_cert(1);
	CHECK_INT(http_server_web_config_reload(s, err, sizeof(err)), 0);
	CHECK_INT(tls_get(), 1);
	/* turning TLS off is refused; still certificate 1 */
	put("basic_auth_users:\n");
	err[0] = '\0';
	CHECK_INT(http_server_web_config_reload(s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "cannot turn TLS off") != NULL);
	/* a key that is not the certificate's: refused */
	snprintf(cmd, sizeof(cmd), "cp %s/k0.pem %s/key.pem", dir, dir);
	CHECK_INT(system(cmd), 0);
	put("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n");
	err[0] = '\0';
	CHECK(http_server_web_config_reload(s, err, sizeof(err)) < 0);
	CHECK(strstr(err, "does not match") != NULL);
	CHECK_INT(tls_get(), 1);
	snprintf(cmd, sizeof(cmd), "cp %s/k1.pem %s/key.pem", dir, dir);
	CHECK_INT(system(cmd), 0);

	/* Replaced certificates: kept while a connection accepted before the
	 * replacement is open, freed by a reload once it is closed. */
	CHECK_INT(tls_kept_settled(s, 1), 1);
	{
		int fd = tls_hold_open();

		CHECK(fd >= 0);
		use_cert(0);
		CHECK_INT(http_server_web_config_reload(s, err, sizeof(err)), 0);
		use_cert(1);
		CHECK_INT(http_server_web_config_reload(s, err, sizeof(err)), 0);
		/* 1 (held open) -> 0 -> 1: all three parsed ones are kept */
		CHECK_INT(web_live_tls_kept(s->live), 3);
		CHECK_INT(tls_get(), 1);
		close(fd);
		CHECK_INT(tls_kept_settled(s, 1), 1);
		CHECK_INT(tls_get(), 1);
	}
	http_server_quiesce(s);
	http_server_drain(s, 2000);
	http_server_free(s);
out:
	gnutls_free(der[0].data);
	gnutls_free(der[1].data);
}

static void test_no_web_config(void)
{
	struct http_config cfg;
	struct http_server *s;

	http_config_defaults(&cfg);
	s = http_server_new(&cfg, routes, 1);
	CHECK(s != NULL);
	err[0] = '\0';
	CHECK_INT(http_server_web_config_reload(s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "no web config file") != NULL);
	CHECK_INT(http_server_web_config_reload(NULL, err, sizeof(err)), -EINVAL);
	http_server_free(s);
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	wc_bcrypt("stable pw", hash_stable, sizeof(hash_stable));
	wc_bcrypt("a pw", hash_a, sizeof(hash_a));
	wc_bcrypt("b pw", hash_b, sizeof(hash_b));
	wc_base64("stable:stable pw", auth_stable);
	wc_base64("a:a pw", auth_a);
	wc_base64("b:b pw", auth_b);
	RUN(test_reload_under_load);
	RUN(test_tls_rotation_under_load);
	RUN(test_no_web_config);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return harness_done();
}
