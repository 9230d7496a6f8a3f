/*
 * order: the order API's request model, its validation, exact decimal money
 * and the JSON shapes orderd answers with.  Pure functions, no I/O, no DB:
 * unit-tested on their own (tests/unit/orderd/).
 *
 * Money is integer cents end to end.  Prices are read from their exact JSON
 * text (json-c keeps a number's source text, json_object_get_string), so
 * "19.999999999999999" is refused instead of rounding to 20.00; they are
 * written back as decimal strings ("39.98"), never through a double.
 *
 * Thread-safety: every function works on caller-owned memory only.
 */
#ifndef ORDERD_ORDER_H
#define ORDERD_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Bounds (documented in orderd(8)). */
#define ORDER_MAX_ITEMS 100
#define ORDER_MAX_QUANTITY 1000000
#define ORDER_MAX_ID 2147483647LL		/* INT columns */
#define ORDER_MAX_CENTS 9999999999LL		/* DECIMAL(10,2): 99999999.99 */
#define ORDER_MAX_TEXT_CHARS 255		/* VARCHAR(255), in characters */
#define ORDER_TEXT_BYTES (ORDER_MAX_TEXT_CHARS * 4 + 1)	/* utf8mb4 + NUL */
#define ORDER_MAX_IDEM_KEY 128			/* orders.idempotency_key VARCHAR(128) */
#define ORDER_HASH_LEN 32			/* SHA-256, orders.request_hash BINARY(32) */

struct order_item {
	int32_t product_id;
	int32_t quantity;
	int64_t unit_cents;
};

/* A validated POST /api/order body. */
struct order_req {
	int64_t customer_id;
	bool has_name, has_email;	/* customer.name / customer.email given */
	char name[ORDER_TEXT_BYTES];	/* when has_name, else the generated fallback */
	char email[ORDER_TEXT_BYTES];	/* when has_email, else the generated fallback */
	size_t nitems;
	struct order_item items[ORDER_MAX_ITEMS];
	int64_t total_cents;		/* sum of quantity * unit price, exact */
};

/* Why a request was refused: HTTP 400 {"error": msg, "field": field}. */
struct order_error {
	const char *msg;		/* static text */
	char field[48];			/* "items[3].unit_price", or "" for the body */
};

/*
 * Read a request body as JSON: only RFC 8259 text passes (common/json.h's
 * json_check: no NaN, raw control characters, single quotes, comments,
 * trailing commas, BOM, lone surrogate escapes, nesting over 32), and no
 * object may name a member twice (I-JSON, RFC 7493 section 2.3: which of
 * two "price"s counts is unpredictable, so neither does).  Then json-c
 * builds the tree.  Returns 0 and *ret_root (the caller json_object_put()s
 * it), or -EINVAL / -ENOMEM with *err ("malformed JSON: ...", field "").
 */
struct json_object;
int order_json_read(const char *body, size_t len, struct json_object **ret_root,
		    struct order_error *err);

/*
 * Parse and validate a POST /api/order body (len bytes, need not be
 * NUL-terminated).  Returns 0 and fills *ret, or -EINVAL and fills *err.
 * Unknown fields are tolerated (as seed 003's Flask app did); known fields are
 * checked for type, range and size.  Missing customer name/email get
 * generated fallbacks ("Customer <id>", "customer<id>@example.invalid").
 */
int order_parse(const char *body, size_t len, struct order_req *ret, struct order_error *err);

/*
 * Parse a money amount from its exact text: [-]digits[.d[d]] with at most
 * 8 integer digits, no exponent, no sign other than a rejected '-'.
 * 0, -EDOM (negative), -ERANGE (too large), -EINVAL (not a plain decimal),
 * -ENOTSUP (more than 2 decimal places).
 */
int order_money_parse(const char *s, size_t len, int64_t *ret_cents);
/* "39.98" into out (at least 24 bytes); returns the length. */
size_t order_money_format(int64_t cents, char *out, size_t outlen);

/* A positive INT id from a path segment: 0 or -EINVAL/-ERANGE. */
int order_id_parse(const char *s, int64_t *ret_id);

/* Idempotency-Key: 1..128 visible ASCII characters.  0 or -EINVAL. */
int order_idem_key_check(const char *key);

/* SHA-256 (FIPS 180-4, nettle's) of the request's canonical form (its
 * meaning, not its bytes); stored with the order, so the form never changes. */
void order_req_hash(const struct order_req *o, uint8_t out[ORDER_HASH_LEN]);

/* ---- JSON output (GET's shape; POST answers the same) ---- */
/* Strings are written with common/json.h's json_append_string(). */

struct order_head {
	int64_t order_id;
	bool customer_id_null;		/* orders.customer_id is NULL */
	bool customer_null;		/* no customer row (LEFT JOIN) */
	int64_t customer_id;
	const char *name;		/* NULL = JSON null */
	size_t name_len;
	const char *email;
	size_t email_len;
	const char *status;
	size_t status_len;
	const char *total;		/* decimal string from the DB, NULL = null */
	size_t total_len;
	const char *created_at;		/* RFC 3339 UTC, NULL = null */
};
/* {"order_id":..,...,"items":[  -- then order_json_item()*, order_json_end(). */
void order_json_begin(struct buf *b, const struct order_head *h);
void order_json_item(struct buf *b, bool first, int64_t item_id, int64_t product_id,
		     int64_t quantity, bool quantity_null, const char *price, size_t price_len);
void order_json_end(struct buf *b);

/* A UTC time to the second, as the DB stores created_at. */
struct order_time {
	unsigned year, month, day, hour, minute, second;
};
/* "2024-05-01T12:00:00Z" (RFC 3339, UTC) into out; returns the length. */
size_t order_time_format(const struct order_time *t, char out[32]);

/*
 * One row of the order query (orders LEFT JOIN customer LEFT JOIN
 * order_items), in the column order of db.c's GET_ORDER_SQL.  The storage
 * layer binds its result buffers straight into these fields; null[i] is
 * nonzero when column i is SQL NULL (a char: the connector's my_bool).
 */
enum order_col {
	OCOL_ORDER_ID, OCOL_ORDER_CUSTOMER, OCOL_CUSTOMER_ID, OCOL_NAME, OCOL_EMAIL, OCOL_STATUS,
	OCOL_TOTAL, OCOL_CREATED, OCOL_ITEM_ID, OCOL_PRODUCT_ID, OCOL_QUANTITY, OCOL_PRICE,
	OCOL_COUNT,
};
struct order_row {
	int64_t order_id, o_cust, c_cust, item_id, product_id, quantity;
	char name[ORDER_TEXT_BYTES], email[ORDER_TEXT_BYTES], status[256], total[32], price[32];
	unsigned long name_len, email_len, status_len, total_len, price_len;
	struct order_time created;
	char null[OCOL_COUNT];
};
/* order_json_begin() from the first row of an order. */
void order_json_row_head(struct buf *b, const struct order_row *row);
/* order_json_item() from a row; false (nothing written) when the row has
 * no item (an order without items comes back as one row of NULL items). */
bool order_json_row_item(struct buf *b, bool first, const struct order_row *row);

#endif
