/*
 * http_reload: live web configuration with a lock-free read side (see
 * http_reload.h for the scheme and its reasoning).
 *
 * Why the two-counter grace period is safe: every atomic below is
 * sequentially consistent.  A reader increments readers[p] and only then
 * loads the state pointer.  The writer stores the new pointer and only
 * then reads readers[p] == 0 (for both parities in turn).  If that read
 * happened before the reader's increment, the reader's later load of the
 * pointer comes after the store in the single total order and sees the new
 * state; if it happened after, the reader had already decremented, i.e.
 * finished with the old state.  Either way the old state is unreachable.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_reload.h"
#include "http_webconfig.h"
#include "http_webconfig_int.h"

#define TLS_CHAIN_MAX 16

/*
 * Parsed certificate chain and key.  conns counts the open TLS connections
 * accepted while this was the current one: such a connection may use this
 * certificate or any later one (the callback picks the current one at
 * handshake time), never an earlier one.  So a replaced web_tls may be freed
 * once it and every older one have no connections left (see tls_collect).
 */
struct web_tls {
	struct web_tls *next;	/* older ones; the list head is the current one */
	struct web_live *live;
	_Atomic long conns;
	char *cert_pem, *key_pem;	/* to recognise an unchanged pair */
	gnutls_pcert_st certs[TLS_CHAIN_MAX];
	unsigned ncerts;
	gnutls_privkey_t key;
};

/* One published configuration; immutable once published. */
struct web_state {
	struct web_config *cfg;
	struct web_tls *tls;	/* borrowed from web_live.tls_all; NULL without TLS */
};

struct web_live {
	_Atomic(struct web_state *) cur;
	_Atomic unsigned parity;
	_Atomic unsigned long readers[2];
	pthread_mutex_t wlock;	/* one reload at a time (never taken by readers) */
	char *path;
	bool tls;
	struct web_tls *tls_all;
};

static void tls_free(struct web_tls *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->ncerts; i++)
		gnutls_pcert_deinit(&t->certs[i]);
	if (t->key)
		gnutls_privkey_deinit(t->key);
	free(t->cert_pem);
	if (t->key_pem)
		explicit_bzero(t->key_pem, strlen(t->key_pem));
	free(t->key_pem);
	free(t);
}

/* Key id (SHA-256 of the public key) of a public key. */
static int pubkey_id(gnutls_pubkey_t pub, unsigned char *id, size_t *len)
{
	return gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, id, len);
}

/*
 * Parse a PEM chain and key as GnuTLS will use them, and check that the key
 * belongs to the first certificate (Go's tls.X509KeyPair, which
 * exporter-toolkit uses, refuses a mismatched pair too).
 */
static int tls_parse(const struct web_config *c, const char *path, struct web_tls **ret,
		     char *err, size_t errlen)
{
	struct web_tls *t = calloc(1, sizeof(*t));
	gnutls_datum_t d;
	gnutls_pubkey_t pub = NULL;
	unsigned char id1[64], id2[64];
	size_t l1 = sizeof(id1), l2 = sizeof(id2);
	unsigned n = TLS_CHAIN_MAX;
	int g, r = -EINVAL;

	if (!t)
		return -ENOMEM;
	t->cert_pem = strdup(c->cert_pem);
	t->key_pem = strdup(c->key_pem);
	if (!t->cert_pem || !t->key_pem) {
		r = -ENOMEM;
		goto fail;
	}
	d.data = (unsigned char *)t->cert_pem;
	d.size = (unsigned)strlen(t->cert_pem);
	g = gnutls_pcert_list_import_x509_raw(t->certs, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (g < 0) {
		web_config_errf(err, errlen, "%s: cert_file: %s", path, gnutls_strerror(g));
		goto fail;
	}
	t->ncerts = n;
	if ((g = gnutls_privkey_init(&t->key)) < 0) {
		t->key = NULL;
		r = -ENOMEM;
		goto fail;
	}
	d.data = (unsigned char *)t->key_pem;
	d.size = (unsigned)strlen(t->key_pem);
	g = gnutls_privkey_import_x509_raw(t->key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (g < 0) {
		web_config_errf(err, errlen, "%s: key_file: %s", path, gnutls_strerror(g));
		goto fail;
	}
	if (gnutls_pubkey_init(&pub) < 0) {
		pub = NULL;
		r = -ENOMEM;
		goto fail;
	}
	if (gnutls_pubkey_import_privkey(pub, t->key, 0, 0) < 0 ||
	    pubkey_id(pub, id1, &l1) < 0 || pubkey_id(t->certs[0].pubkey, id2, &l2) < 0 ||
	    l1 != l2 || memcmp(id1, id2, l1) != 0) {
		web_config_errf(err, errlen,
				"%s: key_file does not match the certificate in cert_file", path);
		goto fail;
	}
	gnutls_pubkey_deinit(pub);
	*ret = t;
	return 0;
fail:
	if (pub)
		gnutls_pubkey_deinit(pub);
	tls_free(t);
	return r;
}

static void state_free(struct web_state *st)
{
	if (!st)
		return;
	web_config_free(st->cfg);	/* st->tls belongs to web_live.tls_all */
	free(st);
}

/*
 * Build a state from a loaded config (takes ownership of c): reuse the
 * current TLS credentials when cert and key are unchanged.
 */
static int state_build(struct web_live *l, struct web_config *c, const struct web_state *old,
		       struct web_state **ret, char *err, size_t errlen)
{
	struct web_state *st = calloc(1, sizeof(*st));
	int r;

	if (!st) {
		web_config_free(c);
		return -ENOMEM;
	}
	st->cfg = c;
	if (c->cert_pem) {
		if (old && old->tls && strcmp(old->tls->cert_pem, c->cert_pem) == 0 &&
		    strcmp(old->tls->key_pem, c->key_pem) == 0) {
			st->tls = old->tls;
		} else {
			r = tls_parse(c, l->path, &st->tls, err, errlen);
			if (r < 0) {
				state_free(st);
				return r;
			}
			st->tls->live = l;
			st->tls->next = l->tls_all;
			l->tls_all = st->tls;
		}
	}
	*ret = st;
	return 0;
}

int web_live_new(const char *path, struct web_live **ret, char *err, size_t errlen)
{
	struct web_live *l = calloc(1, sizeof(*l));
	struct web_config *c = NULL;
	struct web_state *st = NULL;
	int r;

	if (!l)
		return -ENOMEM;
	pthread_mutex_init(&l->wlock, NULL);
	if (!(l->path = strdup(path))) {
		r = -ENOMEM;
		goto fail;
	}
	r = web_config_load(path, &c, err, errlen);
	if (r < 0)
		goto fail;
	if (c->cert_pem && (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES ||
			    MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) != MHD_YES)) {
		web_config_errf(err, errlen,
				"%s: TLS requested but libmicrohttpd was built without it", path);
		web_config_free(c);
		r = -ENOTSUP;
		goto fail;
	}
	l->tls = c->cert_pem != NULL;
	r = state_build(l, c, NULL, &st, err, errlen);
	if (r < 0)
		goto fail;
	atomic_store(&l->cur, st);
	*ret = l;
	return 0;
fail:
	web_live_free(l);
	return r;
}

void web_live_free(struct web_live *l)
{
	if (!l)
		return;
	state_free(atomic_load(&l->cur));
	while (l->tls_all) {
		struct web_tls *t = l->tls_all;

		l->tls_all = t->next;
		tls_free(t);
	}
	pthread_mutex_destroy(&l->wlock);
	free(l->path);
	free(l);
}

bool web_live_tls(const struct web_live *l)
{
	return l && l->tls;
}

size_t web_live_tls_kept(struct web_live *l)
{
	size_t n = 0;

	pthread_mutex_lock(&l->wlock);
	for (struct web_tls *t = l->tls_all; t; t = t->next)
		n++;
	pthread_mutex_unlock(&l->wlock);
	return n;
}

/* ---- read side: one counter increment and decrement ---- */

static struct web_state *read_lock(struct web_live *l, unsigned *ret_p)
{
	unsigned p = atomic_load(&l->parity) & 1;

	atomic_fetch_add(&l->readers[p], 1);
	*ret_p = p;
	return atomic_load(&l->cur);
}

static void read_unlock(struct web_live *l, unsigned p)
{
	atomic_fetch_sub_explicit(&l->readers[p], 1, memory_order_release);
}

bool web_live_authorized(struct web_live *l, const char *authorization)
{
	struct web_state *st;
	unsigned p;
	bool ok;

	st = read_lock(l, &p);
	ok = st->cfg->nusers == 0 || web_config_check_basic(st->cfg, authorization);
	read_unlock(l, p);
	return ok;
}

void web_live_notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
				enum MHD_ConnectionNotificationCode code)
{
	struct web_live *l = cls;
	struct web_state *st;
	struct web_tls *t;
	unsigned p;

	(void)c;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		/* count the connection on the current certificate, inside the
		 * read section: a reload's grace wait covers the increment */
		st = read_lock(l, &p);
		t = st->tls;
		if (t)
			atomic_fetch_add(&t->conns, 1);
		read_unlock(l, p);
		*socket_context = t;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && (t = *socket_context)) {
		atomic_fetch_sub_explicit(&t->conns, 1, memory_order_release);
		*socket_context = NULL;
	}
}

int web_live_cert_cb(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
		     const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
		     gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	/* libmicrohttpd 0.9.75 sets the session pointer to the connection
	 * (gnutls_session_set_ptr in new_connection_prepare_), whose socket
	 * context web_live_notify_connection set when it was accepted: the
	 * web_tls it was counted on, which stays alive while it is open. */
	struct MHD_Connection *conn = gnutls_session_get_ptr(session);
	const union MHD_ConnectionInfo *ci;
	struct web_tls *t0, *t;
	struct web_live *l;
	struct web_state *st;
	unsigned p;

	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (!conn || !(ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT)) ||
	    !(t0 = ci->socket_context))
		return -1;
	l = t0->live;
	st = read_lock(l, &p);
	/* the current one: not older than t0, so this connection's count on
	 * t0 keeps it alive (tls_collect) after the unlock */
	t = st->tls;
	read_unlock(l, p);
	if (!t)
		return -1;
	*pcert = t->certs;
	*pcert_length = t->ncerts;
	*pkey = t->key;
	return 0;
}

/* ---- write side ---- */

/*
 * Free the replaced certificates no connection can use any more: walking
 * from the oldest, each one whose connections (and every older one's) are
 * all closed.  Called after a grace wait, so no new connection can be
 * counted on a replaced one.  Under wlock.
 */
static void tls_collect(struct web_live *l)
{
	struct web_tls *keep, *t, *next;

	if (!l->tls_all)
		return;
	/* newest first: the head is current and always kept; everything
	 * older than the oldest one still in use goes.  A replaced one's
	 * count only falls, so a zero read here stays zero. */
	keep = l->tls_all;
	for (t = keep->next; t; t = t->next)
		if (atomic_load(&t->conns) != 0)
			keep = t;
	for (t = keep->next; t; t = next) {
		next = t->next;
		tls_free(t);
	}
	keep->next = NULL;
}

/* Wait until no reader can hold a state published before this call. */
static void grace_wait(struct web_live *l)
{
	struct timespec nap = { 0, 200 * 1000 };

	for (int i = 0; i < 2; i++) {
		unsigned p = atomic_load(&l->parity) & 1;

		/* new readers go to the other counter; the old one drains */
		atomic_store(&l->parity, p ^ 1);
		while (atomic_load(&l->readers[p]) != 0)
			nanosleep(&nap, NULL);
	}
}

int web_live_reload(struct web_live *l, char *err, size_t errlen)
{
	struct web_config *c = NULL;
	struct web_state *st = NULL, *old;
	int r;

	if (!l)
		return -EINVAL;
	pthread_mutex_lock(&l->wlock);
	old = atomic_load(&l->cur);
	r = web_config_load(l->path, &c, err, errlen);
	if (r < 0)
		goto out;
	if ((c->cert_pem != NULL) != l->tls) {
		web_config_errf(err, errlen,
				"%s: cannot turn TLS %s on a running server (restart to do that)",
				l->path, l->tls ? "off" : "on");
		web_config_free(c);
		r = -EINVAL;
		goto out;
	}
	r = state_build(l, c, old, &st, err, errlen);
	if (r < 0)
		goto out;
	atomic_store(&l->cur, st);
	grace_wait(l);
	state_free(old);
	tls_collect(l);
out:
	pthread_mutex_unlock(&l->wlock);
	return r;
}
