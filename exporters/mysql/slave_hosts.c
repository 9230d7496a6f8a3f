/*
 * slave_hosts: SHOW SLAVE HOSTS (the replicas registered with this
 * primary), as mysqld_exporter 0.14's collector/slave_hosts.go:
 *   mysql_heartbeat_mysql_slave_hosts_info{server_id,slave_host,port,master_id,slave_uuid} 1
 * (0.14's name, "heartbeat" subsystem included).  MariaDB answers four
 * columns (Server_id, Host, Port, Master_id): slave_uuid is "".  MySQL
 * answers five; the fifth is the replica's UUID when it parses as one (then
 * master_id is the fourth column), else it is the master id and slave_uuid
 * is "" -- 0.14's rule.  Off by default, as 0.14.  Needs REPLICATION MASTER
 * ADMIN on MariaDB 10.5.2+ (REPLICATION SLAVE on MySQL).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "scrape.h"

/* What Go's github.com/google/uuid Parse() accepts: 8-4-4-4-12 hex digits,
 * optionally as urn:uuid:... or {...}, or 32 hex digits without hyphens. */
bool slave_hosts_is_uuid(const char *s)
{
	size_t n = strlen(s);

	if (n == 45 && !strncasecmp(s, "urn:uuid:", 9)) {
		s += 9;
		n = 36;
	} else if (n == 38 && s[0] == '{' && s[37] == '}') {
		s++;
		n = 36;
	} else if (n == 32) {
		for (size_t i = 0; i < 32; i++)
			if (!isxdigit((unsigned char)s[i]))
				return false;
		return true;
	}
	if (n != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

static int sh_query(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		    struct buf *sql)
{
	return buf_puts(sql, "SHOW SLAVE HOSTS");
}

static int sh_parse(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w)
{
	static const char *const labels[] = { "server_id", "slave_host", "port", "master_id", "slave_uuid", NULL };
	struct lazy_family f;

	if (r->ncols < 4)
		return -EPROTO;
	lazy_init(&f, w, "mysql_heartbeat_mysql_slave_hosts_info", METRIC_GAUGE,
		  "Information about running slaves", labels);
#define C(i, c) (sqlres_cell(r, i, c) ? sqlres_cell(r, i, c) : "")
	for (size_t i = 0; i < r->nrows; i++) {
		const char *master = C(i, 3), *uuid = "";

		if (r->ncols == 5) {
			if (slave_hosts_is_uuid(C(i, 4)))
				uuid = C(i, 4);
			else
				master = C(i, 4);
		}
		lazy_sample(&f, (const char *const[]){ C(i, 0), C(i, 1), C(i, 2), master, uuid, NULL }, 1);
	}
#undef C
	return f.failed ? -EIO : 0;
}

const struct collector collector_slave_hosts = {
	.name = "slave_hosts",
	.default_on = false,
	.help = "Scrape information from 'SHOW SLAVE HOSTS'",
	.query = sh_query,
	.parse = sh_parse,
};
