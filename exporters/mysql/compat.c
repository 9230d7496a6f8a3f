/*
 * compat: the flags of mysqld_exporter 0.14's collectors that mysql-exporter
 * does not implement, accepted so that an existing ARGS= line keeps working
 * (as Debian's /etc/default/prometheus-mysqld-exporter may carry them).
 * Enabling one (or setting one of its options) logs one warning naming it
 * and collects nothing; --no-collect.X is silent.  A flag no 0.14 version
 * has is still an unknown flag (exit 2).  The list is mysqld_exporter
 * 0.14.0's --help minus what scrape.c's table has.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "scrape.h"

#define NCOMPAT 12
static bool compat_on[NCOMPAT];
static const char *compat_str[3];
static bool compat_privileges;

static int warn_given(const struct flag *f, const struct flagset *fs, char *err, size_t errlen)
{
	if (!fs || !flagset_given(fs, f->dst))
		return 0;
	if (f->type == FLAG_BOOL && !*(const bool *)f->dst)
		return 0;	/* --no-collect.X: nothing to say */
	log_warn("mysqld_exporter 0.14 flag accepted but not implemented by mysql-exporter: "
		 "ignored (see mysql-exporter(8), DEFAULTS AND MYSQLD_EXPORTER 0.14)",
		 "flag", f->name, NULL);
	return 0;
}

#define C(i, n, h) { .name = "collect." n, .type = FLAG_BOOL, .dst = &compat_on[i], .def = "false", \
		     .help = "Not implemented (accepted for mysqld_exporter 0.14 compatibility): " h, \
		     .check = warn_given }
static const struct flag compat_flags[] = {
	C(0, "info_schema.clientstats", "If running with userstat=1, set to true to collect client statistics."),
	C(1, "info_schema.userstats", "If running with userstat=1, set to true to collect user statistics."),
	C(2, "info_schema.tablestats", "If running with userstat=1, set to true to collect table statistics."),
	C(3, "info_schema.schemastats", "If running with userstat=1, set to true to collect schema statistics."),
	C(4, "info_schema.innodb_tablespaces", "Collect metrics from information_schema.innodb_sys_tablespaces."),
	C(5, "mysql.user", "Collect data from mysql.user."),
	C(6, "perf_schema.eventsstatementssum", "Collect metrics of grand sums from performance_schema.events_statements_summary_by_digest."),
	C(7, "perf_schema.file_instances", "Collect metrics from performance_schema.file_summary_by_instance."),
	C(8, "perf_schema.replication_group_members", "Collect metrics from performance_schema.replication_group_members."),
	C(9, "perf_schema.replication_group_member_stats", "Collect metrics from performance_schema.replication_group_member_stats."),
	C(10, "perf_schema.replication_applier_status_by_worker", "Collect metrics from performance_schema.replication_applier_status_by_worker."),
	C(11, "slave_hosts", "Scrape information from 'SHOW SLAVE HOSTS'."),
	{ .name = "collect.mysql.user.privileges", .type = FLAG_BOOL, .dst = &compat_privileges,
	  .def = "false", .help = "Not implemented (0.14 compatibility): collect mysql.user privileges.",
	  .check = warn_given },
	{ .name = "collect.perf_schema.file_instances.filter", .type = FLAG_STRING,
	  .dst = &compat_str[0], .def = ".*",
	  .help = "Not implemented (0.14 compatibility): RegEx file_name filter for "
		  "performance_schema.file_summary_by_instance.", .check = warn_given },
	{ .name = "collect.perf_schema.file_instances.remove_prefix", .type = FLAG_STRING,
	  .dst = &compat_str[1], .def = "/var/lib/mysql/",
	  .help = "Not implemented (0.14 compatibility): remove path prefix in "
		  "performance_schema.file_summary_by_instance.", .check = warn_given },
};
_Static_assert(sizeof(compat_flags) / sizeof(compat_flags[0]) == NCOMPAT + 3, "one flag per slot");

int compat_add_flags(struct flagset *fs)
{
	return flagset_add(fs, compat_flags, sizeof(compat_flags) / sizeof(compat_flags[0]));
}
