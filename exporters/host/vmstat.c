/*
 * vmstat: node_vmstat_<field> (untyped) for /proc/vmstat fields matching
 * --collector.vmstat.fields, as node_exporter 1.5's vmstat_linux.go.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "util.h"

int collect_vmstat(struct collector_ctx *c, struct metrics_writer *w)
{
	struct rbuf *b = c->rb[0];
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
		bool isint;
		size_t n = pf_split(line, f, 3);

		if (n == 0)
			continue;
		if (n != 2)
			return ctx_error(c, -EINVAL, "invalid line in vmstat: %s", f[0]);
		isint = pf_u64(f[1], &u) == 0;
		if (!isint && pf_double(f[1], &d) < 0)
			return ctx_error(c, -EINVAL, "invalid value in vmstat: %s %s", f[0], f[1]);
		if (!host_regex_match(&c->cfg->vmstat_fields, f[0]))
			continue;
		str_join(name, sizeof(name), "node_vmstat_", f[0], (char *)NULL);
		str_join(help, sizeof(help), "/proc/vmstat information field ", f[0], ".", (char *)NULL);
		if (writer_family(w, name, METRIC_UNTYPED, help, no_labels) < 0)
			continue;
		r = isint ? writer_sample_u64(w, no_labels, u) : writer_sample(w, no_labels, d);
		if (r < 0)
			return r;
	}
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
