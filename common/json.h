/*
 * json: the one JSON string escaper of prism (RFC 8259 section 7), behind
 * log.c's JSON lines and logfmt's quoted values, http.c's JSON error bodies
 * and orderd's responses; and the one JSON text validator (json_check),
 * which every request body orderd parses goes through first.
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

/*
 * json_check: is the len bytes at s one JSON text as RFC 8259 defines it
 * (section 2's grammar: ws value ws, nothing before or after), and I-JSON
 * (RFC 7493 section 2)?  json-c's JSON_TOKENER_STRICT is not RFC 8259 (it
 * takes NaN, Infinity, raw control characters in strings, single quotes,
 * ...), so orderd checks the text here and lets json-c build the tree only
 * from text that passed.
 *
 * Refused, with the offset of the first offending byte:
 *  - anything outside the grammar: raw C0 controls (0x00-0x1F) in strings,
 *    single quotes, NaN/Infinity, comments, trailing commas, leading zeros,
 *    '+1', '.5', '1.', hex, whitespace other than space, tab, LF and CR,
 *    trailing garbage, an empty text;
 *  - a byte order mark (section 8.1: "MUST NOT add"; we may ignore it, we
 *    refuse it instead, so the same bytes never mean two things);
 *  - text that is not well-formed UTF-8 (section 8.1, RFC 3629): -EILSEQ;
 *  - a \u escape of a lone UTF-16 surrogate (RFC 8259's grammar allows it,
 *    section 8.2 says the result is unpredictable; I-JSON section 2.1
 *    forbids it, and no UTF-8 column can store it);
 *  - nesting deeper than max_depth arrays/objects: -ELOOP.
 * Accepted: DEL (0x7F) raw in strings (not a control character in JSON),
 * \u0000, any top-level value, numbers of any size (the reader decides).
 *
 * Duplicate member names (I-JSON section 2.3 forbids them) cannot be seen
 * without remembering names; instead *ret_members is the total count of
 * object members in the text, so a reader that builds a tree (json-c keeps
 * the last of two equal names) finds a duplicate by counting its members.
 *
 * Returns 0 (and sets *ret_members if not NULL), or -EINVAL / -EILSEQ /
 * -ELOOP with *err set (err may be NULL).  Allocates nothing; recursion is
 * bounded by max_depth.
 */
struct json_check_error {
	size_t offset;		/* of the first byte that is not allowed */
	const char *msg;	/* static text, e.g. "control character in string" */
};
#define JSON_CHECK_MAX_DEPTH 32	/* what orderd allows (json-c's default too) */

int json_check(const char *s, size_t len, unsigned max_depth, size_t *ret_members,
	       struct json_check_error *err);

#endif
