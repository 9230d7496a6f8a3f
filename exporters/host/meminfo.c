/*
 * meminfo: node_memory_<Field>[_bytes] for every line of /proc/meminfo, as
 * node_exporter 1.5's meminfo_linux.go: "Key: value kB" becomes
 * node_memory_Key_bytes (value * 1024), "Key: value" (HugePages_*) keeps the
 * plain name; "Active(anon)" becomes "Active_anon".  Every line is exported,
 * so fields newer than libproc2's item list (Zswap, Zswapped, SecPageTables,
 * Unaccepted, ...) appear as the kernel adds them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "util.h"

/* "Active(anon)" -> "Active_anon": Go's `\((.*)\)` replaced by "_${1}"
 * (greedy: from the first '(' to the last ')'). */
static int meminfo_key(const char *raw, size_t len, char *out, size_t outlen)
{
	const char *open = memchr(raw, '(', len), *close = NULL;
	size_t i, o = 0;

	for (i = len; open && i > (size_t)(open - raw); i--)
		if (raw[i - 1] == ')') {
			close = raw + i - 1;
			break;
		}
	for (i = 0; i < len; i++) {
		char ch = raw[i];

		if (open && close && raw + i == open)
			ch = '_';
		else if (open && close && raw + i == close)
			continue;
		if (o + 1 >= outlen)
			return -ENAMETOOLONG;
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}

int collect_meminfo(struct collector_ctx *c, struct metrics_writer *w)
{
	struct rbuf *b = c->rb[0];
	char *cur, *line;
	int r;

	r = pf_read(c, b, c->cfg->procfs, "meminfo");
	if (r < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *f[4], key[128], name[192], help[192];
		size_t n = pf_split(line, f, 4), kl;
		uint64_t u;
		double d;
		bool isint;

		if (n == 0)
			continue;	/* node_exporter skips empty lines */
		if (n < 2 || n > 3)
			return ctx_error(c, -EINVAL, "invalid line in meminfo: %s", f[0]);
		kl = strlen(f[0]);
		if (kl < 2 || f[0][kl - 1] != ':')
			return ctx_error(c, -EINVAL, "invalid key in meminfo: %s", f[0]);
		isint = pf_u64(f[1], &u) == 0;
		if (!isint && pf_double(f[1], &d) < 0)
			return ctx_error(c, -EINVAL, "invalid value in meminfo: %s", f[1]);
		if (meminfo_key(f[0], kl - 1, key, sizeof(key)) < 0)
			continue;
		if (n == 3) {
			/* the unit is always kB (fs/proc/meminfo.c) */
			str_join(name, sizeof(name), "node_memory_", key, "_bytes", (char *)NULL);
			str_join(help, sizeof(help), "Memory information field ", key, "_bytes.", (char *)NULL);
			if (isint && u > UINT64_MAX / 1024) {
				isint = false;
				d = (double)u;
			}
			u *= 1024;
			d *= 1024;
		} else {
			str_join(name, sizeof(name), "node_memory_", key, (char *)NULL);
			str_join(help, sizeof(help), "Memory information field ", key, ".", (char *)NULL);
		}
		kl = strlen(key);
		/* A name the exposition cannot carry, or a key repeated by an odd
		 * kernel, is skipped rather than failing the collector. */
		if (writer_family(w, name, kl > 6 && strcmp(key + kl - 6, "_total") == 0 ?
				  METRIC_COUNTER : METRIC_GAUGE, help, no_labels) < 0)
			continue;
		r = isint ? writer_sample_u64(w, no_labels, u) : writer_sample(w, no_labels, d);
		if (r < 0)
			return r;
	}
	return 0;
}

const struct collector collector_meminfo = {
	.name = "meminfo", .default_on = true, .collect = collect_meminfo, .src = SRC_PROCFS,
};
