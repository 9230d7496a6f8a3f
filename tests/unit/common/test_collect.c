/* collect: the per-collector outcome families (prefix as a parameter), the
 * collect[] selection, and the log-once of collector errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "../harness.h"
#include "buf.h"
#include "collect.h"
#include "log.h"

static const struct scrape_meta node = {
	.prefix = "node_scrape_collector",
	.duration_help = "node_exporter: Duration of a collector scrape.",
	.success_help = "node_exporter: Whether a collector succeeded.",
	.label_prefix = "",
	.log_msg = "collector failed",
	.log_key = "collector",
};

static const struct scrape_meta mysql = {
	.prefix = "mysql_exporter_collector",
	.duration_help = "Collector time duration.",
	.success_help = "mysql_exporter: Whether a collector succeeded.",
	.label_prefix = "collect.",
	.log_msg = "Error from scraper",
	.log_key = "scraper",
};

static void expose(const struct scrape_meta *m, const struct scrape_outcome *o, size_t n,
		   struct buf *b)
{
	struct metrics_writer *w;

	buf_init(b, 0);
	w = metrics_writer_new(b, METRICS_FORMAT_TEXT);
	CHECK(w != NULL);
	CHECK_INT(collect_write_outcomes(w, m, o, n), 0);
	CHECK_INT(metrics_writer_finish(w), 0);
	metrics_writer_free(w);
}

static void test_outcomes(void)
{
	const struct scrape_outcome host[] = {
		{ .name = "cpu", .seconds = 0.25, .ok = true },
		{ .name = "textfile", .seconds = 0.5, .ok = false },
	};
	const struct scrape_outcome my[] = {
		{ .name = "connection", .seconds = 0.125, .duration_only = true, .raw_label = true },
		{ .name = "global_status", .seconds = 0.5, .ok = true },
	};
	struct buf b;

	expose(&node, host, 2, &b);
	CHECK_STR(b.data,
		  "# HELP node_scrape_collector_duration_seconds node_exporter: Duration of a collector scrape.\n"
		  "# TYPE node_scrape_collector_duration_seconds gauge\n"
		  "node_scrape_collector_duration_seconds{collector=\"cpu\"} 0.25\n"
		  "node_scrape_collector_duration_seconds{collector=\"textfile\"} 0.5\n"
		  "# HELP node_scrape_collector_success node_exporter: Whether a collector succeeded.\n"
		  "# TYPE node_scrape_collector_success gauge\n"
		  "node_scrape_collector_success{collector=\"cpu\"} 1\n"
		  "node_scrape_collector_success{collector=\"textfile\"} 0\n");
	buf_done(&b);
	expose(&mysql, my, 2, &b);
	CHECK_STR(b.data,
		  "# HELP mysql_exporter_collector_duration_seconds Collector time duration.\n"
		  "# TYPE mysql_exporter_collector_duration_seconds gauge\n"
		  "mysql_exporter_collector_duration_seconds{collector=\"connection\"} 0.125\n"
		  "mysql_exporter_collector_duration_seconds{collector=\"collect.global_status\"} 0.5\n"
		  "# HELP mysql_exporter_collector_success mysql_exporter: Whether a collector succeeded.\n"
		  "# TYPE mysql_exporter_collector_success gauge\n"
		  "mysql_exporter_collector_success{collector=\"collect.global_status\"} 1\n");
	buf_done(&b);
	/* nothing selected: no families at all */
	expose(&node, host, 0, &b);
	CHECK_INT(b.len, 0);
	buf_done(&b);
}

static void test_selection(void)
{
	const char *only[] = { "cpu", "meminfo" };
	struct scrape_req all = { .n_only = 0 }, some = { .only = only, .n_only = 2 };
	struct scrape_names names = { .n = 0 };

	CHECK(scrape_req_selects(&all, "cpu"));
	CHECK(scrape_req_selects(NULL, "cpu"));
	CHECK(scrape_req_selects(&some, "meminfo"));
	CHECK(!scrape_req_selects(&some, "textfile"));
	for (int i = 0; i < SCRAPE_MAX_COLLECT; i++)
		scrape_names_add(&names, "cpu");
	CHECK(!names.overflow && names.n == SCRAPE_MAX_COLLECT);
	scrape_names_add(&names, "one too many");
	CHECK(names.overflow && names.n == SCRAPE_MAX_COLLECT);	/* bounded, and says so */
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_log_once(void)
{
	char path[] = "/tmp/prism-test-collect.XXXXXX", text[4096];
	int fd = mkstemp(path);
	_Atomic uint64_t last = 0;
	ssize_t n;

	CHECK(fd >= 0);
	unlink(path);
	log_setup("info", "logfmt");
	log_set_journal(false);
	log_set_fd(fd);
	collect_log_outcome(&node, &last, "loadavg", -EIO, "read failed");
	collect_log_outcome(&node, &last, "loadavg", -EIO, "read failed");	/* same: quiet */
	collect_log_outcome(&node, &last, "loadavg", -EIO, "parse failed");	/* changed: logged */
	collect_log_outcome(&node, &last, "loadavg", 0, NULL);			/* recovered */
	collect_log_outcome(&node, &last, "loadavg", -EIO, "parse failed");	/* again: logged */
	collect_log_outcome(&mysql, &last, "global_status", -EACCES, NULL);	/* strerror */
	collect_log_outcome(&node, &last, "pressure", -ENODATA, "no PSI");	/* debug: not at info */
	log_set_fd(2);
	n = pread(fd, text, sizeof(text) - 1, 0);
	CHECK(n > 0);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	CHECK_INT(count(text, "level=error msg=\"collector failed\" collector=loadavg err=\"read failed\""), 1);
	CHECK_INT(count(text, "level=error msg=\"collector failed\" collector=loadavg err=\"parse failed\""), 2);
	CHECK_INT(count(text, "level=error msg=\"Error from scraper\" scraper=global_status err=\"Permission denied\""), 1);
	CHECK_INT(count(text, "pressure"), 0);
	CHECK_INT(count(text, "\n"), 4);
}

int main(void)
{
	RUN(test_outcomes);
	RUN(test_selection);
	RUN(test_log_once);
	return harness_done();
}
