/*
 * fuzz_order: any bytes as a POST /api/order body (order_parse) and as a
 * POST /api/echo body (order_json_read, then json-c writes the tree back
 * as /api/echo does).  Invariants:
 *  - whatever order_json_read accepts, json_check accepted (only RFC 8259
 *    text gets past it) and json-c's writing of it is RFC 8259 JSON again
 *    (no NaN, no raw control characters: /api/echo never emits non-JSON);
 *  - a refusal has a message, and a field only for validation errors;
 *  - an accepted order is within order.h's bounds: 1..100 items, ids and
 *    quantities in range, unit prices 0..99999999.99, the total their exact
 *    sum, name/email valid UTF-8 of at most 255 characters without NUL;
 *  - its JSON answer (order_json_*) is RFC 8259 text.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "../../orderd/order.h"
#include "fuzz.h"
#include "json.h"

static bool text_ok(const char *s)
{
	size_t n = 0;

	if (!fuzz_utf8_valid(s) || strlen(s) >= ORDER_TEXT_BYTES)
		return false;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n <= ORDER_MAX_TEXT_CHARS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	static struct order_req o;
	struct order_error err = { 0 };
	struct json_object *root = NULL;
	int64_t sum = 0;
	struct buf b;
	int r;

	r = order_json_read(body, size, &root, &err);
	if (r == 0) {
		const char *out;

		if (json_check(body, size, JSON_CHECK_MAX_DEPTH, NULL, NULL) != 0)
			abort();
		out = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE);
		if (!out || json_check(out, strlen(out), 1000, NULL, NULL) != 0)
			abort();
		json_object_put(root);
	} else if (!err.msg || err.field[0]) {
		abort();
	}

	memset(&err, 0, sizeof(err));
	r = order_parse(body, size, &o, &err);
	if (r < 0) {
		if (r != -EINVAL || !err.msg)
			abort();
		return 0;
	}
	if (json_check(body, size, JSON_CHECK_MAX_DEPTH, NULL, NULL) != 0)
		abort();
	if (o.customer_id < 1 || o.customer_id > ORDER_MAX_ID)
		abort();
	if (o.nitems < 1 || o.nitems > ORDER_MAX_ITEMS)
		abort();
	for (size_t i = 0; i < o.nitems; i++) {
		const struct order_item *it = &o.items[i];

		if (it->product_id < 1 || it->quantity < 1 || it->quantity > ORDER_MAX_QUANTITY ||
		    it->unit_cents < 0 || it->unit_cents > ORDER_MAX_CENTS)
			abort();
		sum += it->unit_cents * it->quantity;
	}
	if (sum != o.total_cents || sum > ORDER_MAX_CENTS)
		abort();
	if (!text_ok(o.name) || !text_ok(o.email) || !o.name[0] || !strchr(o.email, '@'))
		abort();

	/* the answer orderd would write for it */
	buf_init(&b, 0);
	{
		char total[32], price[32];
		struct order_head h = {
			.order_id = 1, .customer_id = o.customer_id,
			.name = o.name, .name_len = strlen(o.name),
			.email = o.email, .email_len = strlen(o.email),
			.status = "pending", .status_len = 7,
			.total = total, .total_len = order_money_format(o.total_cents, total, sizeof(total)),
			.created_at = "2024-05-01T12:00:00Z",
		};
		uint8_t hash[ORDER_HASH_LEN];

		order_json_begin(&b, &h);
		for (size_t i = 0; i < o.nitems; i++)
			order_json_item(&b, i == 0, (int64_t)i + 1, o.items[i].product_id,
					o.items[i].quantity, false, price,
					order_money_format(o.items[i].unit_cents, price, sizeof(price)));
		order_json_end(&b);
		order_req_hash(&o, hash);
	}
	if (!b.data || json_check(b.data, b.len, JSON_CHECK_MAX_DEPTH, NULL, NULL) != 0)
		abort();
	buf_done(&b);
	return 0;
}
