/*
 * collect: the per-collector outcome families and logging both exporters
 * share (see scrape.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "collect.h"

void scrape_names_add(void *ctx, const char *value)
{
	struct scrape_names *c = ctx;

	if (c->n < SCRAPE_MAX_COLLECT)
		c->v[c->n++] = value;
	else
		c->overflow = true;
}

bool scrape_req_selects(const struct scrape_req *req, const char *name)
{
	if (!req || !req->n_only)
		return true;
	for (size_t i = 0; i < req->n_only; i++)
		if (req->only[i] && strcmp(req->only[i], name) == 0)
			return true;
	return false;
}

static const char *label(const struct scrape_meta *m, const struct scrape_outcome *o, char *buf,
			 size_t len)
{
	if (o->raw_label || !m->label_prefix || !*m->label_prefix)
		return o->name;
	snprintf(buf, len, "%s%s", m->label_prefix, o->name);
	return buf;
}

int collect_write_outcomes(struct metrics_writer *w, const struct scrape_meta *m,
			  const struct scrape_outcome *o, size_t n)
{
	static const char *const cl[] = { "collector", NULL };
	char name[128], lab[128];
	int r;

	if (!n)
		return 0;
	snprintf(name, sizeof(name), "%s_duration_seconds", m->prefix);
	r = writer_family(w, name, METRIC_GAUGE, m->duration_help, cl);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = writer_sample(w, (const char *const[]){ label(m, &o[i], lab, sizeof(lab)), NULL },
				  o[i].seconds);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "%s_success", m->prefix);
	r = writer_family(w, name, METRIC_GAUGE, m->success_help, cl);
	for (size_t i = 0; i < n && r >= 0; i++)
		if (!o[i].duration_only)
			r = writer_sample(w,
					  (const char *const[]){ label(m, &o[i], lab, sizeof(lab)), NULL },
					  o[i].ok ? 1 : 0);
	return r < 0 ? r : 0;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h | 1;	/* never 0: 0 means "nothing logged" */
}

void collect_log_outcome(const struct scrape_meta *m, _Atomic uint64_t *last, const char *name,
			int rc, const char *err)
{
	char errbuf[128];
	uint64_t h;

	if (rc >= 0) {
		atomic_store_explicit(last, 0, memory_order_relaxed);
		return;
	}
	if (!err || !*err) {
		snprintf(errbuf, sizeof(errbuf), "%s", strerror(-rc));
		err = errbuf;
	}
	h = fnv(err);
	if (atomic_exchange_explicit(last, h, memory_order_relaxed) == h)
		return;	/* already logged */
	if (rc == -ENODATA)
		log_debug("collector returned no data", m->log_key, name, "err", err, NULL);
	else
		log_error(m->log_msg, m->log_key, name, "err", err, NULL);
}
