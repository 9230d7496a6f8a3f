/*
 * http_webconfig_apply: the daemons' one way to use --web.config.file —
 * load it at start, re-read it on SIGHUP, and log the outcome the same way
 * in every daemon (see http.h).
 */
#include <errno.h>
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
