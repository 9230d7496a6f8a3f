/*
 * vmstat: node_vmstat_<field> (untyped) for /proc/vmstat fields matching
 * --collector.vmstat.fields, as node_exporter 1.5's vmstat_linux.go.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "util.h"

/*
 * The field memo: /proc/vmstat names its ~170 fields in the same order on
 * every read (the kernel's vmstat_text table) and the field regex is fixed
 * for the process, so which lines match is remembered: a later scrape
 * compares line i's name with the memo's name i (one strcmp) instead of a
 * PCRE2 match per line (perf: the regex was most of the collector's
 * user-space time).  A name that differs (another kernel behind
 * --path.procfs, a fixture changed between scrapes) asks the regex.  The
 * memo is built by the first scrape that read the whole file, published once
 * by compare-and-swap, immutable, kept for the process's life.
 */
#define VM_FIELDS 512u

struct vm_memo {
	size_t n;
	const char *name[VM_FIELDS];
	unsigned char match[VM_FIELDS];
	char text[];		/* the names, NUL-terminated, in order */
};

static _Atomic(struct vm_memo *) vm_memo;

/* Publish the memo from the n (name, match) records in rec (each: match
 * byte, name, NUL; len bytes). */
static void memo_publish(const char *rec, size_t len, size_t n)
{
	struct vm_memo *m = malloc(sizeof(*m) + len), *none = NULL;
	char *t;

	if (!m)
		return;
	m->n = n;
	t = m->text;
	for (size_t i = 0, off = 0; i < n; i++) {
		size_t l = strlen(rec + off + 1);

		m->match[i] = (unsigned char)rec[off];
		memcpy(t, rec + off + 1, l + 1);
		m->name[i] = t;
		t += l + 1;
		off += l + 2;
	}
	if (!atomic_compare_exchange_strong_explicit(&vm_memo, &none, m, memory_order_release,
						     memory_order_relaxed))
		free(m);	/* a concurrent scrape published first */
}

int collect_vmstat(struct collector_ctx *c, struct metrics_writer *w)
{
	const struct vm_memo *m = atomic_load_explicit(&vm_memo, memory_order_acquire);
	struct rbuf *b = c->rb[0], *rec = c->rb[1];
	size_t i = 0, rlen = 0;
	bool build = !m;
	char *cur, *line;
	int r;

	r = pf_read(c, b, c->cfg->procfs, "vmstat");
	if (r < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *f[3], name[160], help[192];
		uint64_t u = 0;
		double d = 0;
		bool isint, match;
		size_t n = pf_split(line, f, 3);

		if (n == 0)
			continue;
		if (n != 2)
			return ctx_error(c, -EINVAL, "invalid line in vmstat: %s", f[0]);
		isint = pf_u64(f[1], &u) == 0;
		if (!isint && pf_double(f[1], &d) < 0)
			return ctx_error(c, -EINVAL, "invalid value in vmstat: %s %s", f[0], f[1]);
		if (m && i < m->n && strcmp(m->name[i], f[0]) == 0)
			match = m->match[i];
		else
			match = host_regex_match(&c->cfg->vmstat_fields, f[0]);
		if (build) {
			size_t l = strlen(f[0]);

			if (i >= VM_FIELDS || rbuf_reserve(rec, rlen + l + 2) < 0) {
				build = false;
			} else {
				rec->data[rlen] = (char)match;
				memcpy(rec->data + rlen + 1, f[0], l + 1);
				rlen += l + 2;
			}
		}
		i++;
		if (!match)
			continue;
		str_join(name, sizeof(name), "node_vmstat_", f[0], (char *)NULL);
		str_join(help, sizeof(help), "/proc/vmstat information field ", f[0], ".", (char *)NULL);
		if (writer_family(w, name, METRIC_UNTYPED, help, no_labels) < 0)
			continue;
		r = isint ? writer_sample_u64(w, no_labels, u) : writer_sample(w, no_labels, d);
		if (r < 0)
			return r;
	}
	if (build && i > 0)
		memo_publish(rec->data, rlen, i);
	return 0;
}

static const struct flag vmstat_flags[] = {
	{ .name = "collector.vmstat.fields", .type = FLAG_STRING, .dst = &host_cfg.vmstat_fields.src,
	  .def = "^(oom_kill|pgpg|pswp|pg.*fault).*",
	  .help = "Regexp of fields to return for vmstat collector.",
	  .check = host_regex_flag_check },
};

static void vmstat_teardown(void)
{
	host_regex_free(&host_cfg.vmstat_fields);
}

const struct collector collector_vmstat = {
	.name = "vmstat", .default_on = true, .collect = collect_vmstat, .src = SRC_PROCFS,
	COLLECTOR_FLAGS(vmstat_flags), .teardown = vmstat_teardown,
};
