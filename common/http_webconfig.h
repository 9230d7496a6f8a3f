/*
 * http_webconfig: the subset of Prometheus exporter-toolkit's web
 * configuration file (--web.config.file) that prism's daemons support:
 *
 *   tls_server_config:
 *     cert_file: server.crt      # PEM; relative paths are relative to the file
 *     key_file: server.key
 *   basic_auth_users:
 *     alice: $2b$10$...          # bcrypt, as crypt(3) / htpasswd -B make them
 *
 * Keys exporter-toolkit knows but prism does not implement (client_ca_file,
 * client_auth_type, min_version, cipher_suites, http_server_config, ...) are
 * refused with a message rather than ignored: silently dropping a security
 * setting would be worse than failing to start.
 *
 * Internal to common/ (http.c uses it through http_server_web_config()).
 * A loaded config is immutable; web_config_check_basic() is thread-safe.
 */
#ifndef PRISM_HTTP_WEBCONFIG_H
#define PRISM_HTTP_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name;
	char *hash;
};

struct web_config {
	char *cert_pem;		/* NULL without TLS */
	char *key_pem;
	struct web_user *users;
	size_t nusers;
};

/* Parse path; on failure a message naming the problem goes to err. */
int web_config_load(const char *path, struct web_config **ret, char *err, size_t errlen);
void web_config_free(struct web_config *c);

/*
 * Check an Authorization header value against basic_auth_users.  Returns
 * true when it names a user and the password matches the bcrypt hash.
 * bcrypt is slow by design, so a thread remembers the last password that
 * verified for each user (compared in constant time) and skips crypt then.
 * An unknown user name costs a bcrypt as well (no user enumeration by timing).
 */
bool web_config_check_basic(const struct web_config *c, const char *authorization);

#endif
