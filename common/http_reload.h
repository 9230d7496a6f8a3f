/*
 * http_reload: the live web configuration of a running HTTP server, so
 * that --web.config.file can be re-read (SIGHUP) without a restart and
 * without dropping connections.
 *
 * The current configuration (basic_auth_users and parsed TLS credentials)
 * is one immutable state object published through an atomic pointer.  A
 * reader (the auth check of every request, the certificate choice of every
 * TLS handshake) brackets its use with an increment and a decrement of one
 * of two reader counters, picked by a parity bit (a two-phase grace period,
 * as userspace RCU's "flip and wait"): no lock on the request path.  A
 * reload publishes the new state, then flips the parity twice, each time
 * waiting for the counter of the old parity to drain; after that no reader
 * can still hold the old state and it is freed.  Readers that start during
 * the wait use the other counter, so a busy server cannot starve a reload.
 *
 * TLS: certificates are chosen per handshake through GnuTLS's
 * gnutls_certificate_retrieve_function2 (libmicrohttpd's
 * MHD_OPTION_HTTPS_CERT_CALLBACK).  GnuTLS does not copy or free what the
 * callback returns and a session may refer to it until it ends, so a
 * replaced certificate's parsed form (a few KB) is kept while a connection
 * accepted before the replacement is open (counted per connection through
 * MHD_OPTION_NOTIFY_CONNECTION, one atomic add at accept and close) and
 * freed by the first reload after they are all closed.  A reload with an
 * unchanged cert/key reuses the parsed one.  TLS cannot be turned on or off
 * on a running listener: such a reload is refused.
 *
 * Internal to common/ (http.c).  Thread-safety: web_live_authorized() and
 * the callbacks from any thread; web_live_reload() from one thread at a time
 * (serialised internally); web_live_free() once the server is stopped.
 */
#ifndef PRISM_HTTP_RELOAD_H
#define PRISM_HTTP_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

struct web_live;

/* Load path (web_config_load) and parse its TLS credentials.  0, or a
 * negative errno with a message in err. */
int web_live_new(const char *path, struct web_live **ret, char *err, size_t errlen);
void web_live_free(struct web_live *l);

/* Whether the loaded file asked for TLS (fixed for the server's life). */
bool web_live_tls(const struct web_live *l);

/*
 * Re-read the file given to web_live_new and switch to it.  On any error
 * (unreadable, invalid, a key that does not match its certificate, TLS
 * turned on or off) the running configuration stays as it was and err says
 * why.  Waits for readers of the old configuration (bounded by the longest
 * auth check in flight), then frees it.
 */
int web_live_reload(struct web_live *l, char *err, size_t errlen);

/* True when the request may proceed: no users configured, or the
 * Authorization header value names one with the right password. */
bool web_live_authorized(struct web_live *l, const char *authorization);

/* Parsed certificates still in memory, current and replaced (for tests). */
size_t web_live_tls_kept(struct web_live *l);

/* MHD_OPTION_NOTIFY_CONNECTION callback, cls = the struct web_live: counts
 * the connection on the current certificate and records that as the
 * connection's socket context for web_live_cert_cb. */
void web_live_notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
				enum MHD_ConnectionNotificationCode code);

/* MHD_OPTION_HTTPS_CERT_CALLBACK (gnutls_certificate_retrieve_function2). */
int web_live_cert_cb(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
		     const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
		     gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey);

#endif
