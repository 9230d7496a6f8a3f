/*
 * json: the one JSON string escaper of prism (RFC 8259 section 7), behind
 * log.c's JSON lines and logfmt's quoted values, http.c's JSON error bodies
 * and orderd's responses.
 *
 * Escaped: '"' and '\' (\" and \\), the C0 controls (\b \f \n \r \t, the
 * rest as \u00XX) and DEL (\u007f: valid JSON either way, but a log line or a
 * body printed on a terminal must not carry control bytes).  Everything
 * else is copied: well-formed UTF-8 as is, each byte that does not start a
 * well-formed sequence (utf8.h) as \ufffd, since JSON text is UTF-8
 * (section 8.1) and Go's encoding/json writes U+FFFD there too.
 *
 * Thread-safety: pure functions of their arguments; nothing is allocated
 * except by json_append_string's buf.
 */
#ifndef PRISM_JSON_H
#define PRISM_JSON_H

#include <stddef.h>

#include "buf.h"

/* The longest escaped form of one input character (\u00XX, \ufffd). */
#define JSON_ESCAPE_MAX 6

/*
 * The inside of a JSON string (no quotes) for the len bytes at s, NUL bytes
 * included, written to out (cap bytes, not NUL-terminated).  Stops before
 * the first character whose whole escaped form does not fit, so a cut never
 * splits an escape or a UTF-8 sequence.  Returns the bytes written and sets
 * *ret_used to the input bytes consumed (len when everything fit).
 */
size_t json_escape(char *out, size_t cap, const char *s, size_t len, size_t *ret_used);

/* The length json_escape writes for all len bytes at s (given room). */
size_t json_escaped_len(const char *s, size_t len);

/*
 * Appends "s" (quoted and escaped) to b, or null when s is NULL.
 * 0, or buf's negative errno (b is then failed, see buf.h).
 */
int json_append_string(struct buf *b, const char *s, size_t len);

#endif
