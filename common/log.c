/*
 * log: one line per event (logfmt or JSON) with a single write(2), or, when
 * stderr is connected to the journal, one datagram of journald's native
 * protocol (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/) written here:
 *
 *   MESSAGE=level=info msg="Enabled collector" collector=cpu\n
 *   PRIORITY=6\n
 *   SYSLOG_IDENTIFIER=host-exporter\n
 *   COLLECTOR=cpu\n
 *
 * MESSAGE is the same line --log.format gives on a terminal, without its
 * ts=: journald stamps each entry itself (_SOURCE_REALTIME_TIMESTAMP, the
 * datagram's arrival to the microsecond) and every journalctl output mode
 * shows that stamp, so ts= would say the same thing twice on every line.  Each field also goes as a journal field of its own,
 * upper-cased and made a valid journal field name, so `journalctl
 * COLLECTOR=cpu` selects.  PRIORITY is syslog(3)'s level.  No CODE_FILE/
 * CODE_LINE/CODE_FUNC: from here they would name this file, not the caller.
 *
 * The line is built in a stack buffer, so logging allocates nothing; an
 * event longer than LINE_MAX_BYTES is cut and marked with "..." (its
 * closing quote/brace kept so the line stays parseable).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "utf8.h"

#define LINE_MAX_BYTES 8192
/* One journal entry: MESSAGE (a line) and room for the fields' raw values. */
#define JOURNAL_ENTRY_MAX (LINE_MAX_BYTES + 8192)
#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define JOURNAL_SEND_TIMEOUT_MS 100

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

/*
 * "value", escaped by json.h (logfmt's quoted values use JSON's escapes, as
 * go-logfmt does); in_quote stays set if the line is cut inside.  The
 * escaper stops before a character that does not fit whole, so a cut never
 * splits an escape or a UTF-8 sequence.
 */
static void put_quoted(struct line *l, const char *v)
{
	size_t len = strlen(v), used;

	putch(l, '"');
	if (l->cut)
		return;
	l->in_quote = true;
	l->len += json_escape(l->p + l->len, l->cap - l->len, v, len, &used);
	if (used < len) {
		l->cut = true;
		return;
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

/*
 * Build one event; returns its length (the line always ends in '\n' and has
 * no other raw control byte).  with_ts: lead with ts= (not for the journal).
 */
static size_t format_line(char *buf, size_t cap, int fmt, bool with_ts, enum log_level lvl,
			  const char *msg, va_list ap)
{
	/* reserve room for the tail: "..." + closing '"' and '}' + '\n' */
	struct line l = { .p = buf, .cap = cap - 8 };
	char ts[96];
	const char *k, *v;
	bool cut;

	if (with_ts)
		format_ts(ts, sizeof(ts));
	if (!msg)
		msg = "";
	if (fmt == LOG_FORMAT_JSON) {
		putch(&l, '{');
		if (with_ts) {
			puts_(&l, "\"ts\":\"");
			puts_(&l, ts);
			puts_(&l, "\",");
		}
		puts_(&l, "\"level\":\"");
		puts_(&l, log_level_names[lvl]);
		puts_(&l, "\",\"msg\":");
		put_quoted(&l, msg);
	} else {
		if (with_ts) {
			puts_(&l, "ts=");
			puts_(&l, ts);
			putch(&l, ' ');
		}
		puts_(&l, "level=");
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

/* ---------------------------------------------------------------- */
/* journald's native protocol */

static const char *const journal_prio_str[] = { "7", "6", "4", "3" };	/* syslog(3) DEBUG, INFO, WARNING, ERR */
static const char *const journal_stream_prefix[] = { "<7>", "<6>", "<4>", "<3>" };

/*
 * Names journald or journalctl give a meaning to (systemd.journal-fields(7))
 * that an event's own field must not claim: ours (MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER) would be doubled, the others would say something
 * false (ERRNO is a positive errno, CODE_* a source location).
 */
static const char *const journal_reserved[] = {
	"MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY",
	"SYSLOG_PID", "SYSLOG_TIMESTAMP", "SYSLOG_RAW", "CODE_FILE", "CODE_LINE",
	"CODE_FUNC", "ERRNO", "TID", "DOCUMENTATION", "INVOCATION_ID", "UNIT", "USER_UNIT",
	"OBJECT_PID", NULL,
};

#define JOURNAL_NAME_MAX 64	/* journald drops a field with a longer name */

/*
 * A journal field name for key k (journald's rule, journal_field_valid():
 * 1 to 64 of A-Z, 0-9 and '_', not starting with a digit, and not with '_',
 * which marks fields only journald itself may set).  Lower case is raised,
 * any other byte becomes '_'; a name that would start with '_' or a digit,
 * or is empty, or is a reserved one, gets "F" / "F_" in front.  out has
 * room for JOURNAL_NAME_MAX bytes; returns the length (no NUL).
 */
static size_t journal_field_name(char out[JOURNAL_NAME_MAX], const char *k)
{
	char tmp[JOURNAL_NAME_MAX];
	size_t n = 0, pre = 0;

	for (; *k && n < sizeof(tmp); k++) {
		char c = *k;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		tmp[n++] = c;
	}
	if (n == 0 || tmp[0] == '_' || (tmp[0] >= '0' && tmp[0] <= '9')) {
		out[pre++] = 'F';
	} else {
		for (int i = 0; journal_reserved[i]; i++)
			if (strlen(journal_reserved[i]) == n && memcmp(journal_reserved[i], tmp, n) == 0) {
				memcpy(out, "F_", 2);
				pre = 2;
				break;
			}
	}
	if (n > JOURNAL_NAME_MAX - pre)
		n = JOURNAL_NAME_MAX - pre;
	memcpy(out + pre, tmp, n);
	return pre + n;
}

/*
 * NAME=value\n, or for a value with a newline the binary-safe form
 * NAME\n<64-bit little-endian length>value\n.  All or nothing: false when
 * it does not fit in the cap bytes at e + *len.
 */
static bool journal_put_field(char *e, size_t *len, size_t cap, const char *name, size_t nl,
			      const char *v, size_t vl)
{
	bool binary = memchr(v, '\n', vl) != NULL;
	size_t need = nl + 1 + (binary ? 8 : 0) + vl + 1;
	char *p = e + *len;

	if (need > cap - *len)
		return false;
	memcpy(p, name, nl);
	p += nl;
	if (binary) {
		uint64_t x = vl;

		*p++ = '\n';
		for (int i = 0; i < 8; i++, x >>= 8)
			*p++ = (char)(x & 0xff);
	} else {
		*p++ = '=';
	}
	memcpy(p, v, vl);
	p[vl] = '\n';
	*len += need;
	return true;
}

/*
 * Where entries go: journald's socket, or a test's (log_set_journal_socket).
 * Set before threads log; the socket itself is made on first use.
 */
static struct sockaddr_un journal_addr = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
static _Atomic int journal_fd = -1;

static int journal_socket(void)
{
	int fd = atomic_load_explicit(&journal_fd, memory_order_acquire), expect = -1;
	int sz = 8 << 20;

	if (fd >= 0)
		return fd;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* as libsystemd does: an entry of a few KiB must go as one datagram
	 * (the kernel caps this at net.core.wmem_max) */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	/*
	 * A send waits while journald's queue is full (net.unix.max_dgram_qlen
	 * entries: 10 by the kernel's default, 512 under systemd), so a burst
	 * is paced by journald rather than spilled, as sd_journal_send does;
	 * but a journald stuck for JOURNAL_SEND_TIMEOUT_MS costs each event
	 * that long at most (then its line goes to stderr), not forever.
	 */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO,
			 &(struct timeval){ 0, JOURNAL_SEND_TIMEOUT_MS * 1000 }, sizeof(struct timeval));
	if (!atomic_compare_exchange_strong(&journal_fd, &expect, fd)) {
		close(fd);	/* another thread made one first */
		fd = expect;
	}
	return fd;
}

int log_set_journal_socket(const char *path)
{
	size_t n = strlen(path);
	int fd;

	if (n == 0 || n >= sizeof(journal_addr.sun_path))
		return -EINVAL;
	memcpy(journal_addr.sun_path, path, n + 1);
	/* a fresh socket: a test may have changed the old one's options */
	fd = atomic_exchange(&journal_fd, -1);
	if (fd >= 0)
		close(fd);
	atomic_store(&journal_on, 1);
	return 0;
}

/*
 * An entry too big for one datagram goes as an empty datagram carrying a
 * sealed memfd with the entry in it (the protocol's second form).
 */
static int journal_send_memfd(int sock, const char *e, size_t len)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = {
		.msg_name = &journal_addr,
		.msg_namelen = sizeof(journal_addr),
		.msg_control = ctl.b,
		.msg_controllen = sizeof(ctl.b),
	};
	struct cmsghdr *c;
	int mfd, r = 0;

	mfd = memfd_create("prism-journal-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(mfd, e + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			goto out;
		}
		off += (size_t)w;
	}
	/* journald only reads a memfd nobody can change any more */
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		r = -errno;
		goto out;
	}
	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &mfd, sizeof(int));
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR) {
			r = -errno;
			break;
		}
	}
out:
	close(mfd);
	return r;
}

/* One entry to journald: 0 or -errno (then the caller writes to stderr). */
static int journal_send(const char *e, size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)e, len };
	struct msghdr mh = {
		.msg_name = &journal_addr,
		.msg_namelen = sizeof(journal_addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	int fd = journal_socket();

	if (fd < 0)
		return fd;
	/* not connected: a restarted journald is found again by name */
	while (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EMSGSIZE || errno == ENOBUFS)
			return journal_send_memfd(fd, e, len);
		return -errno;
	}
	return 0;
}

/*
 * Builds the entry in e (JOURNAL_ENTRY_MAX bytes): MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER, then each field whose raw value still fits (a field
 * that does not is left out; MESSAGE has it, cut at the line's limit).
 * Returns the entry's length; the line is at e + 8, *ret_line_len long.
 */
static size_t journal_entry(char *e, int fmt, enum log_level lvl, const char *msg, va_list ap,
			    size_t *ret_line_len)
{
	static const char m[] = "MESSAGE=";
	size_t len, ll;
	const char *k, *v;
	va_list ap2;

	va_copy(ap2, ap);
	ll = format_line(e + sizeof(m) - 1, LINE_MAX_BYTES, fmt, false, lvl, msg, ap2);
	va_end(ap2);
	memcpy(e, m, sizeof(m) - 1);	/* the line ends in '\n' and has no other */
	*ret_line_len = ll;
	len = sizeof(m) - 1 + ll;
	journal_put_field(e, &len, JOURNAL_ENTRY_MAX, "PRIORITY", 8, journal_prio_str[lvl], 1);
	journal_put_field(e, &len, JOURNAL_ENTRY_MAX, "SYSLOG_IDENTIFIER", 17,
			  program_invocation_short_name, strlen(program_invocation_short_name));
	while ((k = va_arg(ap, const char *)) != NULL) {
		char name[JOURNAL_NAME_MAX];
		size_t nl = journal_field_name(name, k);

		v = va_arg(ap, const char *);
		if (!v)
			v = "";
		journal_put_field(e, &len, JOURNAL_ENTRY_MAX, name, nl, v, strlen(v));
	}
	return len;
}

/* ---------------------------------------------------------------- */

static void write_all(const char *p, size_t n)
{
	int fd = atomic_load_explicit(&out_fd, memory_order_relaxed);
	ssize_t w;

	/* One write(2) per event: a short write on a pipe/terminal is retried
	 * for the rest, which can only interleave if the kernel split it. */
	for (size_t off = 0; off < n; off += (size_t)w) {
		w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
}

void log_kv(enum log_level lvl, const char *msg, ...)
{
	int fmt = atomic_load_explicit(&cur_format, memory_order_relaxed);
	va_list ap;

	if (!log_enabled(lvl) || (unsigned)lvl > LOGL_ERROR)
		return;
	va_start(ap, msg);
	if (journal_active()) {
		char e[JOURNAL_ENTRY_MAX];
		size_t len, ll;

		len = journal_entry(e, fmt, lvl, msg, ap, &ll);
		va_end(ap);
		/*
		 * No journald at the socket, or stuck: the same line to stderr,
		 * which is the journal's stream, led by the level as "<N>" (the
		 * stream's SyslogLevelPrefix=, sd-daemon(3)); the entry is spent,
		 * so the "AGE=" of its "MESSAGE=" makes room for the prefix.
		 */
		if (journal_send(e, len) < 0) {
			memcpy(e + 5, journal_stream_prefix[lvl], 3);
			write_all(e + 5, ll + 3);
		}
		return;
	}
	{
		char buf[LINE_MAX_BYTES];
		size_t n = format_line(buf, sizeof(buf), fmt, true, lvl, msg, ap);

		va_end(ap);
		write_all(buf, n);
	}
}
