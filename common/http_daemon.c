/*
 * http_daemon: what every daemon does with its HTTP server around the
 * flags — bind the --web.listen-address list and use --web.config.file —
 * done once, logged the same way everywhere (see http.h); app.c drives them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "log.h"

int http_server_web_config_apply(struct http_server *s, const char *path, bool reload)
{
	char err[512] = "";
	int r;

	if (!path || !path[0])
		return 0;
	r = reload ? http_server_web_config_reload(s, err, sizeof(err))
		   : http_server_web_config(s, path, err, sizeof(err));
	if (r < 0) {
		log_error(reload ? "web config reload failed" : "cannot load the web configuration",
			  "file", path, "err", err[0] ? err : strerror(-r), NULL);
		return r;
	}
	if (reload)
		log_info("web config reloaded", "file", path, NULL);
	return 0;
}

int http_server_listen_all(struct http_server *s, const char *const *addrs, size_t n,
			   const char *name)
{
	size_t base;
	int r;

	/* http_server_port() counts every address bound so far on s. */
	for (base = 0; http_server_port(s, base) >= 0; base++)
		;
	for (size_t i = 0; i < n; i++) {
		char port[16];

		r = http_server_listen(s, addrs[i]);
		if (r < 0) {
			log_error("cannot listen", "listener", name ? name : "http", "address",
				  addrs[i], "err", strerror(-r), NULL);
			return r;
		}
		snprintf(port, sizeof(port), "%d", http_server_port(s, base + i));
		log_info("Listening on", "listener", name ? name : "http", "address", addrs[i],
			 "port", port, NULL);
	}
	return 0;
}
