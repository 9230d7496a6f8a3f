/*
 * probe: /probe?target=host:port[&auth_module=client.NAME] (mysqld_exporter
 * 0.15's multi-target mode), for the targets --probe.target allows.
 *
 * Thread-safety: handle_probe runs on any HTTP thread; the table of probe
 * exporters is guarded by a mutex.  Ownership: probe_setup borrows base
 * (copied); probe_free frees every probe exporter (after the server stopped).
 */
#ifndef MYSQL_EXPORTER_PROBE_H
#define MYSQL_EXPORTER_PROBE_H

#include "flags.h"
#include "http.h"
#include "scrape.h"

/* --probe.target.  0 or negative errno. */
int probe_add_flags(struct flagset *fs);
void probe_setup(const struct exporter_config *base);
void handle_probe(struct http_request *r, void *ctx);
void probe_free(void);

#endif
