/*
 * log: one line per event, logfmt or JSON, to stderr; when stderr is the
 * journal (JOURNAL_STREAM matches stderr's device:inode), one journal entry
 * per event instead, over journald's native protocol: MESSAGE is the same
 * line without ts= (journald stamps entries itself), PRIORITY the level,
 * and each field also a journal field of its own (COLLECTOR=cpu).
 *
 *   log_info("listening", "address", addr, "port", port_str, NULL);
 *   -> ts=2026-11-22T01:02:03.456Z level=info msg=listening address=:9100 port=9100
 *
 * Fields are key/value string pairs ending with NULL.  Each event is written
 * with one write(2), so lines from concurrent threads never interleave.
 * Thread-safe after log_setup().  Values are quoted/escaped as needed
 * (logfmt: quotes when a value has space, '=', '"' or control characters;
 * JSON: RFC 8259 escaping).
 */
#ifndef PRISM_LOG_H
#define PRISM_LOG_H

#include <stdbool.h>

enum log_level {
	LOGL_DEBUG,
	LOGL_INFO,
	LOGL_WARN,
	LOGL_ERROR,
};

enum log_format {
	LOG_FORMAT_LOGFMT,
	LOG_FORMAT_JSON,
};

/* level: debug|info|warn|error; format: logfmt|json.  -EINVAL on a bad name. */
int log_setup(const char *level, const char *format);
/* Where lines go (default stderr's fd 2); for tests. */
void log_set_fd(int fd);
/* Force the journal off/on (default: detected from JOURNAL_STREAM). */
void log_set_journal(bool on);
/*
 * Send journal entries to the native-protocol datagram socket at path
 * instead of /run/systemd/journal/socket, and turn the journal on (tests).
 * -EINVAL when path does not fit a sockaddr_un.  Call before threads log.
 */
int log_set_journal_socket(const char *path);
bool log_enabled(enum log_level lvl);

void log_kv(enum log_level lvl, const char *msg, ...) __attribute__((sentinel));
#define log_debug(...) log_kv(LOGL_DEBUG, __VA_ARGS__)
#define log_info(...) log_kv(LOGL_INFO, __VA_ARGS__)
#define log_warn(...) log_kv(LOGL_WARN, __VA_ARGS__)
#define log_error(...) log_kv(LOGL_ERROR, __VA_ARGS__)

/* Flag choices for flags.h FLAG_ENUM. */
extern const char *const log_level_names[];
extern const char *const log_format_names[];

#endif
