/*
 * uname: node_uname_info{domainname,machine,nodename,release,sysname,version}
 * from uname(2), as node_exporter 1.5's uname_linux.go.
 */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "collector.h"
#include "util.h"

int collect_uname(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const labels[] = { "domainname", "machine", "nodename", "release",
					      "sysname", "version", NULL };
	struct utsname u;
	int r;

	if (uname(&u) < 0)
		return ctx_error(c, -errno, "uname: %s", strerror(errno));
	const char *lv[] = { u.domainname, u.machine, u.nodename, u.release, u.sysname, u.version };

	r = writer_family(w, "node_uname_info", METRIC_GAUGE,
			  "Labeled system information as provided by the uname system call.", labels);
	if (r >= 0)
		r = writer_sample(w, lv, 1);
	return r;
}

const struct collector collector_uname = {
	.name = "uname", .default_on = true, .collect = collect_uname, .src = SRC_PROCFS,
};
