/*
 * mysql.user: per-account limits from mysql.user, as mysqld_exporter 0.14's
 * collector/mysql_user.go:
 *   mysql_mysql_{max_questions,max_updates,max_connections,max_user_connections}{mysql_user,hostmask}
 * and with --collect.mysql.user.privileges one gauge per *_priv column,
 *   mysql_mysql_<column in lower case>{mysql_user,hostmask} (Y 1, N 0),
 * the 29 privilege columns 0.14 reads.  Off by default, as 0.14.  Needs
 * SELECT on mysql.user (MariaDB 10.4+: a view over mysql.global_priv).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scrape.h"

static const char *const privs[] = {
	"Select_priv", "Insert_priv", "Update_priv", "Delete_priv", "Create_priv", "Drop_priv",
	"Reload_priv", "Shutdown_priv", "Process_priv", "File_priv", "Grant_priv", "References_priv",
	"Index_priv", "Alter_priv", "Show_db_priv", "Super_priv", "Create_tmp_table_priv",
	"Lock_tables_priv", "Execute_priv", "Repl_slave_priv", "Repl_client_priv", "Create_view_priv",
	"Show_view_priv", "Create_routine_priv", "Alter_routine_priv", "Create_user_priv", "Event_priv",
	"Trigger_priv", "Create_tablespace_priv",
};
#define NPRIVS (sizeof(privs) / sizeof(privs[0]))
#define FIRST_LIMIT (2 + NPRIVS)	/* column of max_questions */

static const struct {
	const char *name, *help;
} limits[] = {
	{ "mysql_mysql_max_questions", "The number of max_questions by user." },
	{ "mysql_mysql_max_updates", "The number of max_updates by user." },
	{ "mysql_mysql_max_connections", "The number of max_connections by user." },
	{ "mysql_mysql_max_user_connections", "The number of max_user_connections by user." },
};

static int mu_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	buf_puts(sql, "SELECT user, host");
	for (size_t i = 0; i < NPRIVS; i++)
		buf_printf(sql, ", %s", privs[i]);
	return buf_puts(sql, ", max_questions, max_updates, max_connections, max_user_connections "
			     "FROM mysql.user");
}

static int mu_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "mysql_user", "hostmask", NULL };
	struct lazy_family f;
	bool failed = false;

	if (r->ncols < FIRST_LIMIT + 4)
		return -EPROTO;
#define C(i, c) (sqlres_cell(r, i, c) ? sqlres_cell(r, i, c) : "")
	if (o->user_privileges) {
		char name[96], help[96];

		for (unsigned p = 0; p < NPRIVS; p++) {
			size_t k = snprintf(name, sizeof(name), "mysql_mysql_");

			for (const char *s = privs[p]; *s && k + 1 < sizeof(name); s++)
				name[k++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
			name[k] = '\0';
			snprintf(help, sizeof(help), "%s by user.", privs[p]);
			lazy_init(&f, w, name, METRIC_GAUGE, help, labels);
			for (size_t i = 0; i < r->nrows; i++) {
				const char *v = C(i, 2 + p);

				/* as 0.14's parsePrivilege: Y or N, anything else skipped */
				if (!strcmp(v, "Y") || !strcmp(v, "N"))
					lazy_sample(&f, (const char *const[]){ C(i, 0), C(i, 1), NULL },
						    v[0] == 'Y');
			}
			failed |= f.failed;
		}
	}
	for (unsigned l = 0; l < 4; l++) {
		lazy_init(&f, w, limits[l].name, METRIC_GAUGE, limits[l].help, labels);
		for (size_t i = 0; i < r->nrows; i++)
			lazy_sample(&f, (const char *const[]){ C(i, 0), C(i, 1), NULL },
				    cell_u64(C(i, FIRST_LIMIT + l)));
		failed |= f.failed;
	}
#undef C
	return failed ? -EIO : 0;
}

static const struct flag mu_flags[] = {
	{ .name = "collect.mysql.user.privileges", .type = FLAG_BOOL,
	  .dst = &collector_opts.user_privileges, .def = "false",
	  .help = "Enable collecting user privileges from mysql.user" },
};

const struct collector collector_mysql_user = {
	.name = "mysql.user",
	.default_on = false,
	.help = "Collect data from mysql.user",
	.query = mu_query,
	.parse = mu_parse,
	COLLECTOR_FLAGS(mu_flags),
};
