/*
 * probe: scrape another server with the option file's credentials
 * ([client], then [client.NAME]).  Only targets listed with --probe.target
 * are accepted: probing an arbitrary host would hand it the exporter's
 * login.  Each (target, auth_module) keeps its own persistent connection,
 * up to MAX_PROBES (then 503).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "probe.h"

#define MAX_PROBES 32
static struct probe {
	char key[320];
	struct exporter *e;
} probes[MAX_PROBES];
static size_t nprobes;
static pthread_mutex_t probes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct flag_list arg_probe_targets;
static struct exporter_config base_cfg;

static const struct flag probe_flags[] = {
	{ .name = "probe.target", .type = FLAG_LIST, .dst = &arg_probe_targets,
	  .help = "A host:port that /probe?target= may scrape (repeatable; none: /probe refuses "
		  "all)." },
};

int probe_add_flags(struct flagset *fs)
{
	return flagset_add(fs, probe_flags, sizeof(probe_flags) / sizeof(probe_flags[0]));
}

void probe_setup(const struct exporter_config *base)
{
	base_cfg = *base;
}

static bool target_allowed(const char *target)
{
	for (size_t i = 0; i < arg_probe_targets.n; i++)
		if (!strcmp(arg_probe_targets.v[i], target))
			return true;
	return false;
}

static bool auth_module_valid(const char *m)
{
	if (strncmp(m, "client.", 7) || !m[7] || strlen(m) > 64)
		return false;
	return strspn(m + 7, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
	       strlen(m + 7);
}

static struct exporter *probe_exporter(const char *target, const char *host, uint16_t port,
				       const char *module)
{
	char key[320];
	struct exporter *e = NULL;

	snprintf(key, sizeof(key), "%s|%s", target, module ? module : "");
	pthread_mutex_lock(&probes_lock);
	for (size_t i = 0; i < nprobes; i++)
		if (!strcmp(probes[i].key, key))
			e = probes[i].e;
	if (!e && nprobes < MAX_PROBES) {
		struct exporter_config cfg = base_cfg;

		cfg.conn.host = host;
		cfg.conn.port = port;
		cfg.conn.group = module;
		e = exporter_new(&cfg);
		if (e) {
			snprintf(probes[nprobes].key, sizeof(probes[nprobes].key), "%s", key);
			probes[nprobes++].e = e;
		}
	}
	pthread_mutex_unlock(&probes_lock);
	return e;
}

void handle_probe(struct http_request *r, void *ctx)
{
	const char *target = http_request_query(r, "target");
	const char *module = http_request_query(r, "auth_module");
	struct scrape_names only = { .n = 0 };
	struct scrape_req req;
	struct metrics_writer *w;
	struct exporter *e;
	struct buf *b;
	char host[256];
	uint16_t port;
	int rc;

	if (!target || !*target) {
		http_respond_json_error(r, 400, "target parameter is missing", "target");
		return;
	}
	if (http_parse_listen_address(target, host, sizeof(host), &port) < 0 || !host[0] || !port) {
		http_respond_json_error(r, 400, "target must be host:port", "target");
		return;
	}
	if (module && *module && !auth_module_valid(module)) {
		http_respond_json_error(r, 400, "auth_module must be client.NAME", "auth_module");
		return;
	}
	if (!target_allowed(target)) {
		http_respond_json_error(r, 403, "target not allowed (see --probe.target)", "target");
		return;
	}
	e = probe_exporter(target, host, port, module && *module ? module : NULL);
	if (!e) {
		http_respond_json_error(r, 503, "too many probe targets", NULL);
		return;
	}
	http_request_query_each(r, "collect[]", scrape_names_add, &only);
	if (only.overflow) {
		http_respond_json_error(r, 400, "too many collect[] parameters", "collect[]");
		return;
	}
	req = (struct scrape_req){
		.deadline_ns = exporter_deadline(e, http_request_header(
						       r, "X-Prometheus-Scrape-Timeout-Seconds"),
						 daemon_now_ns()),
		.only = only.v,
		.n_only = only.n,
		.fmt = METRICS_FORMAT_TEXT,
	};
	b = http_response_body(r);
	buf_reset(b);
	w = metrics_writer_new(b, METRICS_FORMAT_TEXT);
	if (!w) {
		http_respond_json_error(r, 503, "out of memory", NULL);
		return;
	}
	rc = exporter_scrape(e, &req, w);
	if (rc == 0)
		rc = metrics_writer_finish(w);
	metrics_writer_free(w);
	if (rc < 0 || buf_failed(b)) {
		http_respond_json_error(r, 503, "exposition failed", NULL);
		return;
	}
	http_respond_buf(r, 200, metrics_content_type(METRICS_FORMAT_TEXT), true);
}

void probe_free(void)
{
	for (size_t i = 0; i < nprobes; i++)
		exporter_free(probes[i].e);
	nprobes = 0;
}
