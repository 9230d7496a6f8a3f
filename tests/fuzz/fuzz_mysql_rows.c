/*
 * fuzz_mysql_rows: mysql-exporter's result parsing, i.e. every collector's
 * parse() (exporters/mysql/: SHOW GLOBAL STATUS / VARIABLES values,
 * SHOW ALL SLAVES STATUS, INNODB_METRICS, the processlist and the
 * performance_schema tables), fed a result decoded from the input -- the
 * same seam the unit tests use (struct sqlres), so no server is needed.
 *
 * Input: one byte choosing the collector, then text: the first line holds
 * the column names, each further line one row; cells are separated by a
 * tab, "\N" is SQL NULL, a missing cell is NULL, extra cells are dropped.
 * Invariants: parse() returns 0 or a negative errno; the exposition is
 * valid UTF-8 made of whole lines; and for every cell parse_status() and
 * prom_name() hold their contracts (a name of
 * [a-z0-9_] only, NUL-terminated inside the buffer); nothing crashes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../exporters/mysql/scrape.h"
#include "fuzz.h"

#define MAX_COLS 64
#define MAX_CELLS 4096

static const struct scrape_opts opts = {
	.statements_limit = 250, .statements_timelimit = 86400, .digest_text_limit = 120,
	.memory_remove_prefix = "memory/", .processes_by_user = true, .processes_by_host = true,
};

static void cell_contracts(const char *s)
{
	char name[32];
	double v;

	/* "nan"/"inf" are numbers to it, as to mysqld_exporter's ParseFloat */
	(void)parse_status(s, &v);
	prom_name(name, sizeof(name), s);
	if (!memchr(name, '\0', sizeof(name)))
		abort();
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			abort();
	(void)cell_u64(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[MAX_COLS], *cells[MAX_CELLS];
	const struct collector *col;
	struct metrics_writer *w;
	struct sqlres res = { 0 };
	char *text, *line, *cur;
	unsigned ncols = 0;
	size_t ncells = 0;
	struct buf b;
	int r;

	if (size < 1)
		return 0;
	col = collectors[data[0] % collectors_count];
	text = fuzz_cstr(data + 1, size - 1);
	cur = text;
	line = strsep(&cur, "\n");
	for (char *c; (c = strsep(&line, "\t")) && ncols < MAX_COLS;)
		names[ncols++] = c;
	while (cur && (line = strsep(&cur, "\n")) && ncells + ncols <= MAX_CELLS) {
		unsigned k = 0;

		for (char *c; k < ncols && (c = strsep(&line, "\t")); k++)
			cells[ncells + k] = strcmp(c, "\\N") == 0 ? NULL : c;
		for (; k < ncols; k++)
			cells[ncells + k] = NULL;
		ncells += ncols;
	}
	res.ncols = ncols;
	res.nrows = ncols ? ncells / ncols : 0;
	res.names = names;
	res.cells = cells;
	for (size_t i = 0; i < ncells; i++)
		if (cells[i])
			cell_contracts(cells[i]);

	buf_init(&b, 0);
	w = metrics_writer_new(&b, METRICS_FORMAT_TEXT);
	if (!w)
		abort();
	r = col->parse(&opts, &res, w);
	if (r > 0)
		abort();
	metrics_writer_finish(w);
	metrics_writer_free(w);
	if (b.data && b.len && (!fuzz_utf8_valid(b.data) || b.data[b.len - 1] != '\n'))
		abort();
	buf_done(&b);
	free(text);
	return 0;
}
