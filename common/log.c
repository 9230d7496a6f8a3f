/*
 * log: one line per event (logfmt or JSON) with a single write(2), or one
 * sd_journal_sendv() call when stderr is connected to the journal.
 *
 * The line is built in a stack buffer, so logging allocates nothing; an
 * event longer than LINE_MAX_BYTES is cut and marked with "..." (its
 * closing quote/brace kept so the line stays parseable).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"
#include "utf8.h"

#define LINE_MAX_BYTES 8192
#define JOURNAL_MAX_FIELDS 32

const char *const log_level_names[] = { "debug", "info", "warn", "error", NULL };
const char *const log_format_names[] = { "logfmt", "json", NULL };

static _Atomic int cur_level = LOGL_INFO;
static _Atomic int cur_format = LOG_FORMAT_LOGFMT;
static _Atomic int out_fd = 2;
static _Atomic int journal_on = -1;	/* -1: not decided yet */

/*
 * systemd sets JOURNAL_STREAM="<dev>:<ino>" for a service whose stdout or
 * stderr is a journal stream (systemd.exec(5)); it is only meaningful when
 * fd matches it, since a child may have redirected stderr elsewhere.
 */
static bool journal_detect(int fd)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int n = 0;

	if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &n) != 2 || e[n] != '\0')
		return false;
	if (fstat(fd, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static bool journal_active(void)
{
	int j = atomic_load_explicit(&journal_on, memory_order_relaxed);

	if (j < 0) {
		j = journal_detect(2);
		atomic_store_explicit(&journal_on, j, memory_order_relaxed);
	}
	return j == 1;
}

static int name_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int log_setup(const char *level, const char *format)
{
	int l = LOGL_INFO, f = LOG_FORMAT_LOGFMT;

	if (level && (l = name_index(log_level_names, level)) < 0)
		return -EINVAL;
	if (format && (f = name_index(log_format_names, format)) < 0)
		return -EINVAL;
	atomic_store(&cur_level, l);
	atomic_store(&cur_format, f);
	atomic_store(&journal_on, journal_detect(2));
	return 0;
}

void log_set_fd(int fd)
{
	atomic_store(&out_fd, fd);
}

void log_set_journal(bool on)
{
	atomic_store(&journal_on, on ? 1 : 0);
}

bool log_enabled(enum log_level lvl)
{
	return (int)lvl >= atomic_load_explicit(&cur_level, memory_order_relaxed);
}

/*
 * A bounded line writer.  Each put is all-or-nothing, so an escape sequence
 * is never split; once something does not fit the line is "cut" and every
 * later put is dropped.  in_quote tells the closer whether a quoted string
 * must be terminated to keep the line parseable.
 */
struct line {
	char *p;
	size_t len, cap;
	bool cut, in_quote;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (l->cut || l->len + n > l->cap) {
		l->cut = true;
		return;
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void putch(struct line *l, char c)
{
	put(l, &c, 1);
}

/*
 * go-logfmt quotes a value that is empty or has a space, '=', '"', a control
 * byte or invalid UTF-8 (which it writes as \ufffd, as encoding/json does).
 */
static bool logfmt_needs_quote(const char *v)
{
	if (*v == '\0')
		return true;
	for (const unsigned char *p = (const unsigned char *)v; *p;) {
		size_t n = utf8_seq_len_str(p);

		if (!n || *p <= ' ' || *p == '=' || *p == '"' || *p == 0x7f)
			return true;
		p += n;
	}
	return false;
}

/* One character as logfmt's quoted values and JSON strings escape it (RFC 8259 section 7). */
static void put_escaped_char(struct line *l, unsigned char c)
{
	char tmp[8];

	switch (c) {
	case '"': put(l, "\\\"", 2); break;
	case '\\': put(l, "\\\\", 2); break;
	case '\n': put(l, "\\n", 2); break;
	case '\r': put(l, "\\r", 2); break;
	case '\t': put(l, "\\t", 2); break;
	default:
		if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			put(l, tmp, 6);
		} else {
			putch(l, (char)c);
		}
	}
}

/* "value" with escapes; in_quote stays set if the line is cut inside. */
static void put_quoted(struct line *l, const char *v)
{
	putch(l, '"');
	if (l->cut)
		return;
	l->in_quote = true;
	for (const unsigned char *p = (const unsigned char *)v; *p && !l->cut;) {
		size_t n = utf8_seq_len_str(p);

		if (n == 1) {
			put_escaped_char(l, *p);
		} else if (n) {
			put(l, (const char *)p, n);	/* whole, never split by a cut */
		} else {
			/* JSON text must be UTF-8 (RFC 8259 section 8.1): replace the byte */
			put(l, "\\ufffd", 6);
			n = 1;
		}
		p += n;
	}
	putch(l, '"');
	if (!l->cut)
		l->in_quote = false;
}

static void put_logfmt_value(struct line *l, const char *v)
{
	if (logfmt_needs_quote(v)) {
		put_quoted(l, v);
		return;
	}
	/* valid UTF-8 here (checked above): whole characters, never split by a cut */
	for (const unsigned char *p = (const unsigned char *)v; *p && !l->cut;) {
		size_t n = utf8_seq_len_str(p);

		put(l, (const char *)p, n);
		p += n;
	}
}

/* " key=" in one piece.  Keys come from code, but keep them well-formed anyway. */
static void put_logfmt_key(struct line *l, const char *k)
{
	char tmp[80];
	size_t n = 0;

	tmp[n++] = ' ';
	if (*k == '\0')
		tmp[n++] = '_';
	/* bad bytes (invalid UTF-8 too) become '_'; a long key is cut between
	 * characters, never inside one */
	for (const unsigned char *p = (const unsigned char *)k; *p;) {
		size_t cl = utf8_seq_len_str(p);

		if (cl > 1) {
			if (n + cl > sizeof(tmp) - 1)
				break;
			memcpy(tmp + n, p, cl);
			n += cl;
			p += cl;
			continue;
		}
		if (n + 1 > sizeof(tmp) - 1)
			break;
		tmp[n++] = (!cl || *p <= ' ' || *p == '=' || *p == '"' || *p == 0x7f) ? '_' : (char)*p;
		p++;
	}
	tmp[n++] = '=';
	put(l, tmp, n);
}

/*
 * ,"key": in one piece, and only with room for the value's opening quote
 * after it: a cut never leaves a key without its value ("k":} is not JSON).
 */
static void put_json_key(struct line *l, const char *k)
{
	char tmp[400];
	struct line kl = { .p = tmp, .cap = sizeof(tmp) };

	putch(&kl, ',');
	put_quoted(&kl, k);
	putch(&kl, ':');
	if (kl.cut || l->cut || l->len + kl.len + 1 > l->cap) {
		l->cut = true;
		return;
	}
	put(l, tmp, kl.len);
}

static void format_ts(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ts.tv_nsec / 1000000));
}

/* Build one event; returns its length (the line always ends in '\n'). */
static size_t format_line(char *buf, size_t cap, int fmt, enum log_level lvl, const char *msg,
			  va_list ap)
{
	/* reserve room for the tail: "..." + closing '"' and '}' + '\n' */
	struct line l = { .p = buf, .cap = cap - 8 };
	char ts[96];
	const char *k, *v;
	bool cut;

	format_ts(ts, sizeof(ts));
	if (!msg)
		msg = "";
	if (fmt == LOG_FORMAT_JSON) {
		puts_(&l, "{\"ts\":\"");
		puts_(&l, ts);
		puts_(&l, "\",\"level\":\"");
		puts_(&l, log_level_names[lvl]);
		puts_(&l, "\",\"msg\":");
		put_quoted(&l, msg);
	} else {
		puts_(&l, "ts=");
		puts_(&l, ts);
		puts_(&l, " level=");
		puts_(&l, log_level_names[lvl]);
		puts_(&l, " msg=");
		put_logfmt_value(&l, msg);
	}
	while (!l.cut && (k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (!v)
			v = "";
		if (fmt == LOG_FORMAT_JSON) {
			put_json_key(&l, k);
			put_quoted(&l, v);
		} else {
			put_logfmt_key(&l, k);
			put_logfmt_value(&l, v);
		}
	}
	cut = l.cut;
	l.cap += 8;
	l.cut = false;
	if (l.in_quote)
		puts_(&l, "...\"");
	else if (cut && fmt != LOG_FORMAT_JSON)
		puts_(&l, "...");
	if (fmt == LOG_FORMAT_JSON)
		putch(&l, '}');
	putch(&l, '\n');
	return l.len;
}

static const char *const journal_prio_str[] = { "7", "6", "4", "3" };	/* syslog(3) DEBUG, INFO, WARNING, ERR */

/* Journal field names: uppercase letters, digits and '_', not starting with '_' or a digit. */
static size_t journal_field_name(char *out, size_t cap, const char *k)
{
	size_t n = 0;

	if (cap < 2)
		return 0;
	if (*k == '_' || (*k >= '0' && *k <= '9'))
		out[n++] = 'F';
	for (; *k && n < cap - 1 && n < 64; k++) {
		char c = *k;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		out[n++] = c;
	}
	if (n == 0)
		out[n++] = 'F';
	return n;
}

static int journal_send(enum log_level lvl, const char *msg, va_list ap)
{
	struct iovec iov[JOURNAL_MAX_FIELDS + 2];
	char scratch[LINE_MAX_BYTES];
	size_t niov = 0, used = 0;
	const char *k, *v;

	/*
	 * Journal fields are NAME=value with any bytes in the value (no
	 * escaping; sd_journal_sendv(3)), one iovec each, laid out one after
	 * another in scratch; a field that does not fit is dropped.
	 */
	for (int i = -2; niov < JOURNAL_MAX_FIELDS + 2; i++) {
		char name[72];
		size_t nl, vl;

		if (i == -2) {
			nl = strlen(strcpy(name, "MESSAGE"));
			v = msg ? msg : "";
		} else if (i == -1) {
			nl = strlen(strcpy(name, "PRIORITY"));
			v = journal_prio_str[lvl];
		} else {
			if ((k = va_arg(ap, const char *)) == NULL)
				break;
			v = va_arg(ap, const char *);
			if (!v)
				v = "";
			nl = journal_field_name(name, sizeof(name), k);
		}
		vl = strlen(v);
		if (used + nl + 1 + vl > sizeof(scratch))
			continue;
		memcpy(scratch + used, name, nl);
		scratch[used + nl] = '=';
		memcpy(scratch + used + nl + 1, v, vl);
		iov[niov++] = (struct iovec){ scratch + used, nl + 1 + vl };
		used += nl + 1 + vl;
	}
	return sd_journal_sendv(iov, (int)niov);
}

void log_kv(enum log_level lvl, const char *msg, ...)
{
	char buf[LINE_MAX_BYTES];
	va_list ap;
	size_t n;
	ssize_t w;
	int fd;

	if (!log_enabled(lvl) || (unsigned)lvl > LOGL_ERROR)
		return;
	va_start(ap, msg);
	if (journal_active()) {
		va_list ap2;
		int r;

		va_copy(ap2, ap);
		r = journal_send(lvl, msg, ap2);
		va_end(ap2);
		if (r >= 0) {
			va_end(ap);
			return;
		}
		/* a send error (sd_journal_sendv(3) returns 0 when no journald
		 * listens at all): the line still goes to stderr */
	}
	n = format_line(buf, sizeof(buf), atomic_load_explicit(&cur_format, memory_order_relaxed),
			lvl, msg, ap);
	va_end(ap);
	fd = atomic_load_explicit(&out_fd, memory_order_relaxed);
	/* One write(2) per event: a short write on a pipe/terminal is retried
	 * for the rest, which can only interleave if the kernel split it. */
	for (size_t off = 0; off < n; off += (size_t)w) {
		w = write(fd, buf + off, n - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
}
