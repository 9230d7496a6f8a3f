/*
 * order: request validation, exact money, canonical hash and JSON output.
 * See order.h.
 */
#include "order.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

/* ---- money ---- */

int order_money_parse(const char *s, size_t len, int64_t *ret_cents)
{
	size_t i = 0, intdigits = 0, fracdigits = 0;
	int64_t units = 0, frac = 0;
	bool neg = false;

	if (len == 0)
		return -EINVAL;
	if (s[0] == '-') {
		neg = true;
		i++;
	}
	/* JSON number grammar (RFC 8259 section 6): no leading zeros, no '+'. */
	if (i >= len || s[i] < '0' || s[i] > '9')
		return -EINVAL;
	if (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
		return -EINVAL;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (++intdigits > 8) {
			/* keep scanning: a longer number is still a number, just too big */
			continue;
		}
		units = units * 10 + (s[i] - '0');
	}
	if (i < len && s[i] == '.') {
		i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return -EINVAL;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			fracdigits++;
			if (fracdigits <= 2)
				frac = frac * 10 + (s[i] - '0');
		}
	}
	if (i != len)
		return -EINVAL;		/* exponent, NaN, Infinity, garbage */
	if (fracdigits > 2)
		return -ENOTSUP;
	if (fracdigits == 1)
		frac *= 10;
	if (neg && (units != 0 || frac != 0))
		return -EDOM;
	if (intdigits > 8)
		return neg ? -EDOM : -ERANGE;
	*ret_cents = units * 100 + frac;
	return 0;
}

size_t order_money_format(int64_t cents, char *out, size_t outlen)
{
	/* by hand, not snprintf: a POST formats its total and every line's
	 * price, and printf's machinery cost more than the rest of them */
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	size_t n, c;

	*--p = (char)('0' + u % 10);
	u /= 10;
	*--p = (char)('0' + u % 10);
	u /= 10;
	*--p = '.';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (cents < 0)
		*--p = '-';
	n = (size_t)(tmp + sizeof(tmp) - p);
	/* snprintf's contract: truncated and terminated, the full length back */
	if (outlen) {
		c = n < outlen ? n : outlen - 1;
		memcpy(out, p, c);
		out[c] = '\0';
	}
	return n;
}

int order_id_parse(const char *s, int64_t *ret_id)
{
	int64_t v = 0;
	size_t i;

	if (!s || !*s || s[0] == '0')
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (i >= 10)
			return -ERANGE;
		v = v * 10 + (s[i] - '0');
	}
	if (v > ORDER_MAX_ID)
		return -ERANGE;
	*ret_id = v;
	return 0;
}

int order_idem_key_check(const char *key)
{
	size_t i;

	if (!key)
		return -EINVAL;
	for (i = 0; key[i]; i++)
		if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
			return -EINVAL;
	return i == 0 || i > ORDER_MAX_IDEM_KEY ? -EINVAL : 0;
}

/* ---- validation ---- */

static int fail(struct order_error *err, const char *msg, const char *field)
{
	err->msg = msg;
	snprintf(err->field, sizeof(err->field), "%s", field);
	return -EINVAL;
}

static int fail_item(struct order_error *err, const char *msg, size_t i, const char *sub)
{
	err->msg = msg;
	snprintf(err->field, sizeof(err->field), "items[%zu].%s", i, sub);
	return -EINVAL;
}

/* Characters in a valid UTF-8 string (json-c validated the encoding). */
static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* An INT id/count field: JSON integer in [min, max]. */
static int get_int(json_object *o, int64_t min, int64_t max, int64_t *ret)
{
	int64_t v;

	if (!o || !json_object_is_type(o, json_type_int))
		return -EINVAL;
	errno = 0;
	v = json_object_get_int64(o);
	/* json-c saturates out-of-range integers (and stores big positives as
	 * uint64): both land outside [min, max] here. */
	if (v < min || v > max || (v == INT64_MAX && errno))
		return -ERANGE;
	*ret = v;
	return 0;
}

static int get_text(json_object *o, char *dst, bool *present, const char *field,
		    struct order_error *err)
{
	const char *s;
	size_t len;

	*present = false;
	if (!o || json_object_is_type(o, json_type_null))
		return 0;
	if (!json_object_is_type(o, json_type_string))
		return fail(err, "must be a string", field);
	s = json_object_get_string(o);
	len = (size_t)json_object_get_string_len(o);
	if (len == 0)
		return fail(err, "must not be empty", field);
	if (memchr(s, '\0', len))
		return fail(err, "must not contain NUL characters", field);
	if (len >= ORDER_TEXT_BYTES || utf8_chars(s, len) > ORDER_MAX_TEXT_CHARS)
		return fail(err, "must be at most 255 characters", field);
	memcpy(dst, s, len);
	dst[len] = '\0';
	*present = true;
	return 0;
}

/* local@domain, no spaces or control characters: a sanity check, not RFC 5322. */
static bool email_plausible(const char *s)
{
	const char *at = strchr(s, '@');

	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int parse_items(json_object *items, struct order_req *o, struct order_error *err)
{
	size_t n;

	if (!items)
		return fail(err, "is required", "items");
	if (!json_object_is_type(items, json_type_array))
		return fail(err, "must be an array", "items");
	n = json_object_array_length(items);
	if (n == 0)
		return fail(err, "must contain at least one item", "items");
	if (n > ORDER_MAX_ITEMS)
		return fail(err, "must contain at most 100 items", "items");
	o->total_cents = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(items, i), *f;
		struct order_item *dst = &o->items[i];
		int64_t v;
		int r;

		if (!json_object_is_type(it, json_type_object)) {
			err->msg = "must be an object";
			snprintf(err->field, sizeof(err->field), "items[%zu]", i);
			return -EINVAL;
		}
		if (!json_object_object_get_ex(it, "product_id", &f))
			return fail_item(err, "is required", i, "product_id");
		r = get_int(f, 1, ORDER_MAX_ID, &v);
		if (r == -EINVAL)
			return fail_item(err, "must be an integer", i, "product_id");
		if (r < 0)
			return fail_item(err, "must be between 1 and 2147483647", i, "product_id");
		dst->product_id = (int32_t)v;

		if (!json_object_object_get_ex(it, "quantity", &f))
			return fail_item(err, "is required", i, "quantity");
		r = get_int(f, 1, ORDER_MAX_QUANTITY, &v);
		if (r == -EINVAL)
			return fail_item(err, "must be an integer", i, "quantity");
		if (r < 0)
			return fail_item(err, "must be between 1 and 1000000", i, "quantity");
		dst->quantity = (int32_t)v;

		if (!json_object_object_get_ex(it, "unit_price", &f))
			return fail_item(err, "is required", i, "unit_price");
		if (!json_object_is_type(f, json_type_int) && !json_object_is_type(f, json_type_double) &&
		    !json_object_is_type(f, json_type_string))
			return fail_item(err, "must be a number or a decimal string", i, "unit_price");
		{
			/* The exact source text: json-c keeps a parsed double's text
			 * (json_object_new_double_s); ints print exactly. */
			const char *txt = json_object_get_string(f);
			int64_t cents = 0;

			r = order_money_parse(txt, strlen(txt), &cents);
			switch (r) {
			case 0:
				break;
			case -EDOM:
				return fail_item(err, "must not be negative", i, "unit_price");
			case -ERANGE:
				return fail_item(err, "must be at most 99999999.99", i, "unit_price");
			case -ENOTSUP:
				return fail_item(err, "must have at most 2 decimal places", i, "unit_price");
			default:
				return fail_item(err, "must be a plain decimal number", i, "unit_price");
			}
			dst->unit_cents = cents;
		}
		/* At most 1e6 * 1e10 per line and 100 lines: no int64 overflow. */
		o->total_cents += dst->unit_cents * dst->quantity;
	}
	o->nitems = n;
	if (o->total_cents > ORDER_MAX_CENTS)
		return fail(err, "order total must be at most 99999999.99", "items");
	return 0;
}

/* Object members in the tree (json-c keeps one of two equal names).  The
 * recursion is bounded: json_check refused nesting over 32. */
static size_t tree_members(json_object *o)
{
	size_t n = 0;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			n += 1 + tree_members(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		size_t len = json_object_array_length(o);

		for (size_t i = 0; i < len; i++)
			n += tree_members(json_object_array_get_idx(o, i));
	}
	return n;
}

int order_json_read(const char *body, size_t len, json_object **ret_root, struct order_error *err)
{
	struct json_check_error cerr;
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	json_object *root;
	size_t members;
	int r;

	if (len > INT32_MAX)
		return fail(err, "request body too large", "");
	if (!utf8_valid(body, len))
		return fail(err, "request body is not valid UTF-8", "");
	r = json_check(body, len, JSON_CHECK_MAX_DEPTH, &members, &cerr);
	if (r < 0)
		return fail(err, cerr.msg, "");
	/* json-c's own depth limit above ours: only json_check decides */
	tok = json_tokener_new_ex(2 * JSON_CHECK_MAX_DEPTH);
	if (!tok) {
		fail(err, "out of memory", "");
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		/* a top-level 42 or true waits for more: a NUL ends the text */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	} else if (jerr == json_tokener_success && json_tokener_get_parse_end(tok) != len) {
		jerr = json_tokener_error_parse_unexpected;
	}
	if (jerr != json_tokener_success) {
		/* RFC 8259 text json-c still refuses: a 400 all the same */
		json_object_put(root);
		json_tokener_free(tok);
		return fail(err, "malformed JSON", "");
	}
	json_tokener_free(tok);
	if (tree_members(root) != members) {
		json_object_put(root);
		return fail(err, "malformed JSON: duplicate member name in an object", "");
	}
	*ret_root = root;
	return 0;
}

int order_parse(const char *body, size_t len, struct order_req *o, struct order_error *err)
{
	json_object *root = NULL, *f, *cust;
	int64_t v;
	int r;

	r = order_json_read(body, len, &root, err);
	if (r < 0)
		return -EINVAL;
	r = -EINVAL;
	if (!json_object_is_type(root, json_type_object)) {
		fail(err, "request body must be a JSON object", "");
		goto out;
	}
	memset(o, 0, offsetof(struct order_req, items));

	if (!json_object_object_get_ex(root, "customer_id", &f)) {
		fail(err, "is required", "customer_id");
		goto out;
	}
	r = get_int(f, 1, ORDER_MAX_ID, &v);
	if (r < 0) {
		fail(err, r == -EINVAL ? "must be an integer" : "must be between 1 and 2147483647",
		     "customer_id");
		r = -EINVAL;
		goto out;
	}
	o->customer_id = v;
	r = -EINVAL;

	if (json_object_object_get_ex(root, "customer", &cust) &&
	    !json_object_is_type(cust, json_type_null)) {
		json_object *name = NULL, *email = NULL;

		if (!json_object_is_type(cust, json_type_object)) {
			fail(err, "must be an object", "customer");
			goto out;
		}
		json_object_object_get_ex(cust, "name", &name);
		json_object_object_get_ex(cust, "email", &email);
		if (get_text(name, o->name, &o->has_name, "customer.name", err) < 0)
			goto out;
		if (get_text(email, o->email, &o->has_email, "customer.email", err) < 0)
			goto out;
		if (o->has_email && !email_plausible(o->email)) {
			fail(err, "must be an email address", "customer.email");
			goto out;
		}
	}
	if (!o->has_name)
		snprintf(o->name, sizeof(o->name), "Customer %" PRId64, o->customer_id);
	if (!o->has_email)
		snprintf(o->email, sizeof(o->email), "customer%" PRId64 "@example.invalid",
			 o->customer_id);

	if (!json_object_object_get_ex(root, "items", &f))
		f = NULL;
	if (parse_items(f, o, err) < 0)
		goto out;
	r = 0;
out:
	json_object_put(root);
	return r;
}

/*
 * The fingerprint covers the request's meaning, not its bytes: key order,
 * whitespace and "19.9" vs "19.90" do not matter; every value does.
 * Length-prefixed text fields keep the encoding unambiguous.
 */
void order_req_hash(const struct order_req *o, uint8_t out[ORDER_HASH_LEN])
{
	struct sha256_ctx c;	/* nettle's: on the stack, nothing allocated */
	char tmp[96];
	int n;

	sha256_init(&c);
	n = snprintf(tmp, sizeof(tmp), "v1\n%" PRId64 "\n%d:%zu:", o->customer_id, o->has_name,
		     o->has_name ? strlen(o->name) : 0);
	sha256_update(&c, (size_t)n, (const uint8_t *)tmp);
	if (o->has_name)
		sha256_update(&c, strlen(o->name), (const uint8_t *)o->name);
	n = snprintf(tmp, sizeof(tmp), "\n%d:%zu:", o->has_email, o->has_email ? strlen(o->email) : 0);
	sha256_update(&c, (size_t)n, (const uint8_t *)tmp);
	if (o->has_email)
		sha256_update(&c, strlen(o->email), (const uint8_t *)o->email);
	for (size_t i = 0; i < o->nitems; i++) {
		n = snprintf(tmp, sizeof(tmp), "\n%" PRId32 ",%" PRId32 ",%" PRId64, o->items[i].product_id,
			     o->items[i].quantity, o->items[i].unit_cents);
		sha256_update(&c, (size_t)n, (const uint8_t *)tmp);
	}
	sha256_digest(&c, ORDER_HASH_LEN, out);
}

/* ---- JSON output ---- */

/*
 * A decimal int64 appended without printf: a GET writes a handful of them,
 * and vfprintf's format parsing cost more than the rest of the JSON
 * (perf, bench/orderd-profile.sh).
 */
static void put_i64(struct buf *b, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void order_json_begin(struct buf *b, const struct order_head *h)
{
	buf_puts(b, "{\"order_id\":");
	put_i64(b, h->order_id);
	buf_puts(b, ",\"customer_id\":");
	if (h->customer_id_null)
		buf_puts(b, "null");
	else
		put_i64(b, h->customer_id);
	buf_puts(b, ",\"customer\":");
	if (h->customer_null) {
		buf_puts(b, "null");
	} else {
		buf_puts(b, "{\"customer_id\":");
		put_i64(b, h->customer_id);
		buf_puts(b, ",\"name\":");
		json_append_string(b, h->name, h->name_len);
		buf_puts(b, ",\"email\":");
		json_append_string(b, h->email, h->email_len);
		buf_putc(b, '}');
	}
	buf_puts(b, ",\"status\":");
	json_append_string(b, h->status, h->status_len);
	buf_puts(b, ",\"total_amount\":");
	json_append_string(b, h->total, h->total_len);
	buf_puts(b, ",\"created_at\":");
	json_append_string(b, h->created_at, h->created_at ? strlen(h->created_at) : 0);
	buf_puts(b, ",\"items\":[");
}

void order_json_item(struct buf *b, bool first, int64_t item_id, int64_t product_id,
		     int64_t quantity, bool quantity_null, const char *price, size_t price_len)
{
	buf_puts(b, first ? "{\"item_id\":" : ",{\"item_id\":");
	put_i64(b, item_id);
	buf_puts(b, ",\"product_id\":");
	put_i64(b, product_id);
	buf_puts(b, ",\"quantity\":");
	if (quantity_null)
		buf_puts(b, "null");
	else
		put_i64(b, quantity);
	buf_puts(b, ",\"unit_price\":");
	json_append_string(b, price, price_len);
	buf_putc(b, '}');
}

/* n digits of v (zero-padded, v < 10^n) at p. */
static char *put_digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

size_t order_time_format(const struct order_time *t, char out[32])
{
	/* "%04u-%02u-%02uT%02u:%02u:%02uZ" of each field modulo its width */
	char *p = out;

	p = put_digits(p, t->year % 10000, 4);
	*p++ = '-';
	p = put_digits(p, t->month % 100, 2);
	*p++ = '-';
	p = put_digits(p, t->day % 100, 2);
	*p++ = 'T';
	p = put_digits(p, t->hour % 100, 2);
	*p++ = ':';
	p = put_digits(p, t->minute % 100, 2);
	*p++ = ':';
	p = put_digits(p, t->second % 100, 2);
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - out);
}

void order_json_end(struct buf *b)
{
	buf_puts(b, "]}");
}

void order_json_row_head(struct buf *b, const struct order_row *g)
{
	char created[32];
	struct order_head h = {
		.order_id = g->order_id,
		.customer_id_null = g->null[OCOL_ORDER_CUSTOMER],
		.customer_null = g->null[OCOL_CUSTOMER_ID],
		.customer_id = g->o_cust,
		.name = g->null[OCOL_NAME] ? NULL : g->name,
		.name_len = g->name_len,
		.email = g->null[OCOL_EMAIL] ? NULL : g->email,
		.email_len = g->email_len,
		.status = g->null[OCOL_STATUS] ? NULL : g->status,
		.status_len = g->status_len,
		.total = g->null[OCOL_TOTAL] ? NULL : g->total,
		.total_len = g->total_len,
		.created_at = NULL,
	};

	if (!g->null[OCOL_CREATED]) {
		order_time_format(&g->created, created);
		h.created_at = created;
	}
	order_json_begin(b, &h);
}

bool order_json_row_item(struct buf *b, bool first, const struct order_row *g)
{
	if (g->null[OCOL_ITEM_ID])
		return false;
	order_json_item(b, first, g->item_id, g->product_id, g->quantity, g->null[OCOL_QUANTITY],
			g->null[OCOL_PRICE] ? NULL : g->price, g->price_len);
	return true;
}
