/*
 * http_webconfig_int: private glue between common/http_webconfig.c (the
 * file's parser) and common/http_reload.c (live reload, TLS credentials),
 * which report failures the same way.  Not for use outside common/http_*.c.
 * Thread-safety: as the caller's err buffer.
 */
#ifndef PRISM_HTTP_WEBCONFIG_INT_H
#define PRISM_HTTP_WEBCONFIG_INT_H

#include <stddef.h>

/* printf into the caller's message buffer err[errlen]; nothing if err is
 * NULL or errlen 0 (both loaders take an optional err). */
void web_config_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
