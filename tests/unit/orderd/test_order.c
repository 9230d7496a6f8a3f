/*
 * Unit tests of orderd/order.c: exact money, validation, ids, the
 * idempotency fingerprint and the JSON shape.
 */
#include "harness.h"

#include "../../../orderd/order.c"

#include <dirent.h>
#include <stdlib.h>

static int money(const char *s, int64_t *cents)
{
	return order_money_parse(s, strlen(s), cents);
}

static void test_money_parse(void)
{
	int64_t c = -1;

	CHECK_INT(money("19.99", &c), 0);
	CHECK_INT(c, 1999);
	CHECK_INT(money("0", &c), 0);
	CHECK_INT(c, 0);
	CHECK_INT(money("0.1", &c), 0);
	CHECK_INT(c, 10);
	CHECK_INT(money("5", &c), 0);
	CHECK_INT(c, 500);
	CHECK_INT(money("99999999.99", &c), 0);
	CHECK_INT(c, 9999999999LL);
	CHECK_INT(money("19.999999999999999", &c), -ENOTSUP);
	CHECK_INT(money("19.999", &c), -ENOTSUP);
	CHECK_INT(money("19.990", &c), -ENOTSUP);
	CHECK_INT(money("-1", &c), -EDOM);
	CHECK_INT(money("-0.01", &c), -EDOM);
	CHECK_INT(money("100000000", &c), -ERANGE);
	CHECK_INT(money("123456789012345678901234567890", &c), -ERANGE);
	CHECK_INT(money("1e2", &c), -EINVAL);
	CHECK_INT(money("1E2", &c), -EINVAL);
	CHECK_INT(money("NaN", &c), -EINVAL);
	CHECK_INT(money("Infinity", &c), -EINVAL);
	CHECK_INT(money("", &c), -EINVAL);
	CHECK_INT(money("1.", &c), -EINVAL);
	CHECK_INT(money(".5", &c), -EINVAL);
	CHECK_INT(money("01", &c), -EINVAL);
	CHECK_INT(money("+1", &c), -EINVAL);
	CHECK_INT(money(" 1", &c), -EINVAL);
	CHECK_INT(money("1 ", &c), -EINVAL);
	CHECK_INT(money("abc", &c), -EINVAL);
}

static void test_money_format(void)
{
	char out[24];

	CHECK_INT(order_money_format(3998, out, sizeof(out)), 5);
	CHECK_STR(out, "39.98");
	order_money_format(0, out, sizeof(out));
	CHECK_STR(out, "0.00");
	order_money_format(5, out, sizeof(out));
	CHECK_STR(out, "0.05");
	order_money_format(9999999999LL, out, sizeof(out));
	CHECK_STR(out, "99999999.99");
	order_money_format(-105, out, sizeof(out));
	CHECK_STR(out, "-1.05");
	order_money_format(-7, out, sizeof(out));
	CHECK_STR(out, "-0.07");
	CHECK_INT(order_money_format(100, out, sizeof(out)), 4);
	CHECK_STR(out, "1.00");
	CHECK_INT(order_money_format(INT64_MAX, out, sizeof(out)), 20);
	CHECK_STR(out, "92233720368547758.07");
	CHECK_INT(order_money_format(INT64_MIN, out, sizeof(out)), 21);
	CHECK_STR(out, "-92233720368547758.08");
	/* snprintf's contract: cut and terminated, the full length returned */
	CHECK_INT(order_money_format(123456, out, 5), 7);
	CHECK_STR(out, "1234");
	CHECK_INT(order_money_format(123456, out, 0), 7);
	CHECK_STR(out, "1234");
}

static void test_ids(void)
{
	int64_t id = 0;

	CHECK_INT(order_id_parse("1", &id), 0);
	CHECK_INT(id, 1);
	CHECK_INT(order_id_parse("2147483647", &id), 0);
	CHECK_INT(id, 2147483647);
	CHECK_INT(order_id_parse("2147483648", &id), -ERANGE);
	CHECK_INT(order_id_parse("99999999999999999999", &id), -ERANGE);
	CHECK_INT(order_id_parse("0", &id), -EINVAL);
	CHECK_INT(order_id_parse("01", &id), -EINVAL);
	CHECK_INT(order_id_parse("-1", &id), -EINVAL);
	CHECK_INT(order_id_parse("1a", &id), -EINVAL);
	CHECK_INT(order_id_parse("", &id), -EINVAL);
	CHECK_INT(order_id_parse(NULL, &id), -EINVAL);

	CHECK_INT(order_idem_key_check("abc-123_X"), 0);
	CHECK_INT(order_idem_key_check(""), -EINVAL);
	CHECK_INT(order_idem_key_check("has space"), -EINVAL);
	CHECK_INT(order_idem_key_check("tab\there"), -EINVAL);
	CHECK_INT(order_idem_key_check("caf\xc3\xa9"), -EINVAL);
	{
		char k[ORDER_MAX_IDEM_KEY + 2];

		memset(k, 'k', sizeof(k) - 1);
		k[sizeof(k) - 1] = '\0';
		CHECK_INT(order_idem_key_check(k), -EINVAL);
		k[ORDER_MAX_IDEM_KEY] = '\0';
		CHECK_INT(order_idem_key_check(k), 0);
	}
}

static void hex(const uint8_t *h, char *out)
{
	for (int i = 0; i < ORDER_HASH_LEN; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

/*
 * The fingerprint is stored with every keyed order (orders.request_hash),
 * so its canonical form must never change: this digest is sha256sum's of
 * the documented form, printf 'v1\n10\n1:8:Jane Doe\n0:0:\n101,2,1999\n7,1,5'.
 */
static void test_req_hash(void)
{
	struct order_req o;
	uint8_t h[ORDER_HASH_LEN], h2[ORDER_HASH_LEN];
	char x[2 * ORDER_HASH_LEN + 1];

	memset(&o, 0, sizeof(o));
	o.customer_id = 10;
	o.has_name = true;
	strcpy(o.name, "Jane Doe");
	strcpy(o.email, "customer10@example.invalid");	/* a fallback: not hashed */
	o.nitems = 2;
	o.items[0] = (struct order_item){ 101, 2, 1999 };
	o.items[1] = (struct order_item){ 7, 1, 5 };
	order_req_hash(&o, h);
	hex(h, x);
	CHECK_STR(x, "d6fffd9fce82c0d64863706c2e003e24860ee19c3cd92bea9933ddc5f70cf9c2");
	o.items[1].unit_cents = 6;
	order_req_hash(&o, h2);
	CHECK(memcmp(h, h2, sizeof(h)) != 0);
}

static struct order_req req;
static struct order_error err;

static int parse(const char *body)
{
	memset(&err, 0, sizeof(err));
	return order_parse(body, strlen(body), &req, &err);
}

/* A 400 naming field. */
#define BAD(body, fieldname)                                     \
	do {                                                     \
		CHECK_INT(parse(body), -EINVAL);                 \
		CHECK_STR(err.field, fieldname);                 \
	} while (0)

static void test_parse_ok(void)
{
	uint8_t h1[ORDER_HASH_LEN], h2[ORDER_HASH_LEN], h3[ORDER_HASH_LEN];

	CHECK_INT(parse("{\"customer_id\":10,\"customer\":{\"name\":\"Jane Doe\",\"email\":\"jane@example.com\"},"
			"\"items\":[{\"product_id\":101,\"quantity\":2,\"unit_price\":19.99}]}"), 0);
	CHECK_INT(req.customer_id, 10);
	CHECK(req.has_name && req.has_email);
	CHECK_STR(req.name, "Jane Doe");
	CHECK_STR(req.email, "jane@example.com");
	CHECK_INT(req.nitems, 1);
	CHECK_INT(req.items[0].product_id, 101);
	CHECK_INT(req.items[0].quantity, 2);
	CHECK_INT(req.items[0].unit_cents, 1999);
	CHECK_INT(req.total_cents, 3998);
	order_req_hash(&req, h1);

	/* same meaning, other bytes: same fingerprint */
	CHECK_INT(parse("{ \"items\":[{\"unit_price\":\"19.990\",\"quantity\":2,\"product_id\":101}],"
			"\"customer\":{\"email\":\"jane@example.com\",\"name\":\"Jane Doe\"},\"customer_id\":10}"),
		  -EINVAL);	/* "19.990": 3 decimals are refused, even when exact */
	CHECK_INT(parse("{ \"items\":[{\"unit_price\":\"19.99\",\"quantity\":2,\"product_id\":101}],"
			"\"customer\":{\"email\":\"jane@example.com\",\"name\":\"Jane Doe\"},\"customer_id\":10}"), 0);
	order_req_hash(&req, h2);
	CHECK(memcmp(h1, h2, ORDER_HASH_LEN) == 0);
	CHECK_INT(parse("{\"customer_id\":10,\"customer\":{\"name\":\"Jane Doe\",\"email\":\"jane@example.com\"},"
			"\"items\":[{\"product_id\":101,\"quantity\":3,\"unit_price\":19.99}]}"), 0);
	order_req_hash(&req, h3);
	CHECK(memcmp(h1, h3, ORDER_HASH_LEN) != 0);

	/* fallbacks, prices as strings and integers, tolerated unknown fields */
	CHECK_INT(parse("{\"customer_id\":7,\"x\":[1,{}],\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":\"0.10\"},"
			"{\"product_id\":2,\"quantity\":3,\"unit_price\":5,\"note\":\"hi\"}]}"), 0);
	CHECK(!req.has_name && !req.has_email);
	CHECK_STR(req.name, "Customer 7");
	CHECK_STR(req.email, "customer7@example.invalid");
	CHECK_INT(req.total_cents, 10 + 1500);
	/* null customer / name are "not given" */
	CHECK_INT(parse("{\"customer_id\":7,\"customer\":null,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]}"), 0);
	CHECK_INT(parse("{\"customer_id\":7,\"customer\":{\"name\":null},\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]}"), 0);
	CHECK(!req.has_name);
	/* exactness: 0.1 * 3 is 0.30, not 0.30000000000000004 */
	CHECK_INT(parse("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":3,\"unit_price\":0.1}]}"), 0);
	CHECK_INT(req.total_cents, 30);
	/* the largest order */
	CHECK_INT(parse("{\"customer_id\":2147483647,\"items\":[{\"product_id\":2147483647,\"quantity\":1,\"unit_price\":99999999.99}]}"), 0);
	CHECK_INT(req.total_cents, 9999999999LL);
}

static void test_parse_bad(void)
{
	const char *it = "{\"product_id\":1,\"quantity\":1,\"unit_price\":1}";
	char buf[8192];

	BAD("", "");
	BAD("{", "");
	BAD("{\"customer_id\":1} x", "");
	BAD("[]", "");
	BAD("null", "");
	BAD("{\"customer_id\":1,\"customer\":{\"name\":\"\xff\"},\"items\":[]}", "");
	CHECK_STR(err.msg, "request body is not valid UTF-8");
	snprintf(buf, sizeof(buf), "{\"items\":[%s]}", it);
	BAD(buf, "customer_id");
	snprintf(buf, sizeof(buf), "{\"customer_id\":\"1\",\"items\":[%s]}", it);
	BAD(buf, "customer_id");
	snprintf(buf, sizeof(buf), "{\"customer_id\":-5,\"items\":[%s]}", it);
	BAD(buf, "customer_id");
	snprintf(buf, sizeof(buf), "{\"customer_id\":18446744073709551615,\"items\":[%s]}", it);
	BAD(buf, "customer_id");
	BAD("{\"customer_id\":1}", "items");
	BAD("{\"customer_id\":1,\"items\":[]}", "items");
	BAD("{\"customer_id\":1,\"items\":\"x\"}", "items");
	BAD("{\"customer_id\":1,\"items\":[null]}", "items[0]");
	BAD("{\"customer_id\":1,\"items\":[{\"quantity\":1,\"unit_price\":1}]}", "items[0].product_id");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":0,\"quantity\":1,\"unit_price\":1}]}", "items[0].product_id");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"unit_price\":1}]}", "items[0].quantity");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":0,\"unit_price\":1}]}", "items[0].quantity");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1000001,\"unit_price\":1}]}", "items[0].quantity");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":\"2\",\"unit_price\":1}]}", "items[0].quantity");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":19.999999999999999}]}", "items[0].unit_price");
	CHECK_STR(err.msg, "must have at most 2 decimal places");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":-0.5}]}", "items[0].unit_price");
	CHECK_STR(err.msg, "must not be negative");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1e3}]}", "items[0].unit_price");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":null}]}", "items[0].unit_price");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":[1]}]}", "items[0].unit_price");
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":NaN}]}", "");
	CHECK_STR(err.msg, "malformed JSON: expected a value");	/* not JSON at all (issue 14) */
	BAD("{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1000000,\"unit_price\":99999999.99}]}", "items");
	snprintf(buf, sizeof(buf), "{\"customer_id\":1,\"customer\":[],\"items\":[%s]}", it);
	BAD(buf, "customer");
	snprintf(buf, sizeof(buf), "{\"customer_id\":1,\"customer\":{\"name\":\"\"},\"items\":[%s]}", it);
	BAD(buf, "customer.name");
	snprintf(buf, sizeof(buf), "{\"customer_id\":1,\"customer\":{\"name\":\"a\\u0000b\"},\"items\":[%s]}", it);
	BAD(buf, "customer.name");
	snprintf(buf, sizeof(buf), "{\"customer_id\":1,\"customer\":{\"email\":\"a b@c\"},\"items\":[%s]}", it);
	BAD(buf, "customer.email");
	snprintf(buf, sizeof(buf), "{\"customer_id\":1,\"customer\":{\"email\":\"@c\"},\"items\":[%s]}", it);
	BAD(buf, "customer.email");
	/* 255 characters pass, 256 do not; counted in characters, not bytes */
	{
		char name[1100] = "";
		size_t n = 0;

		for (int i = 0; i < 255; i++)
			n += (size_t)sprintf(name + n, "\xe2\x9c\x93");	/* U+2713, 3 bytes */
		snprintf(buf, sizeof(buf), "{\"customer_id\":1,\"customer\":{\"name\":\"%s\"},\"items\":[%s]}", name, it);
		CHECK_INT(parse(buf), 0);
		CHECK_INT(strlen(req.name), 765);
		sprintf(name + n, "x");
		snprintf(buf, sizeof(buf), "{\"customer_id\":1,\"customer\":{\"name\":\"%s\"},\"items\":[%s]}", name, it);
		BAD(buf, "customer.name");
	}
	/* item count bound */
	{
		size_t n = (size_t)snprintf(buf, sizeof(buf), "{\"customer_id\":1,\"items\":[");

		for (int i = 0; i < 101; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s{\"product_id\":1,\"quantity\":1,\"unit_price\":1}", i ? "," : "");
		snprintf(buf + n, sizeof(buf) - n, "]}");
		BAD(buf, "items");
	}
}

static void test_utf8(void)
{
	/* common's validator, which order_parse and /api/echo now use */
#define U(lit, ok) CHECK(utf8_valid(lit, sizeof(lit) - 1) == (ok))
	U("plain ascii", true);
	U("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", true);	/* 2, 3 and 4 bytes */
	U("\xf4\x8f\xbf\xbf", true);					/* U+10FFFF */
	U("\xed\x9f\xbf", true);					/* U+D7FF */
	U("\xee\x80\x80", true);					/* U+E000 */
	U("\xff", false);
	U("\x80", false);						/* lone continuation */
	U("\xc0\xaf", false);						/* overlong '/' */
	U("\xc1\xbf", false);
	U("\xe0\x80\xaf", false);					/* overlong, 3 bytes */
	U("\xf0\x80\x80\xaf", false);					/* overlong, 4 bytes */
	U("\xed\xa0\x80", false);					/* U+D800 surrogate */
	U("\xed\xbf\xbf", false);					/* U+DFFF */
	U("\xf4\x90\x80\x80", false);					/* U+110000 */
	U("\xf5\x80\x80\x80", false);
	U("\xe2\x9c", false);						/* truncated */
	U("\xc3", false);
	U("\xc3\x28", false);						/* bad continuation */
#undef U
	/* the parser refuses what json-c would have let through */
	CHECK_INT(parse("{\"customer_id\":1,\"customer\":{\"name\":\"\xed\xa0\x80\"},\"items\":[]}"), -EINVAL);
	CHECK_STR(err.msg, "request body is not valid UTF-8");
	CHECK_INT(parse("{\"customer_id\":1,\"customer\":{\"name\":\"\xc0\xaf\"},\"items\":[]}"), -EINVAL);
	CHECK_STR(err.msg, "request body is not valid UTF-8");
}

static void test_json(void)
{
	struct buf b;
	struct order_head h = {
		.order_id = 1, .customer_id = 10, .name = "Jane \"J\" Doe\n", .name_len = 13,
		.email = "jane@example.com", .email_len = 16, .status = "pending", .status_len = 7,
		.total = "39.98", .total_len = 5, .created_at = "2026-11-21T23:00:00Z",
	};

	buf_init(&b, 0);
	order_json_begin(&b, &h);
	order_json_item(&b, true, 1, 101, 2, false, "19.99", 5);
	order_json_item(&b, false, 2, 102, 1, false, "0.00", 4);
	order_json_end(&b);
	CHECK_STR(b.data, "{\"order_id\":1,\"customer_id\":10,\"customer\":{\"customer_id\":10,"
			  "\"name\":\"Jane \\\"J\\\" Doe\\n\",\"email\":\"jane@example.com\"},"
			  "\"status\":\"pending\",\"total_amount\":\"39.98\",\"created_at\":\"2026-11-21T23:00:00Z\","
			  "\"items\":[{\"item_id\":1,\"product_id\":101,\"quantity\":2,\"unit_price\":\"19.99\"},"
			  "{\"item_id\":2,\"product_id\":102,\"quantity\":1,\"unit_price\":\"0.00\"}]}");
	buf_reset(&b);
	json_append_string(&b, "a\\b\x01\t\xc3\xa9", 7);
	CHECK_STR(b.data, "\"a\\\\b\\u0001\\t\xc3\xa9\"");
	buf_reset(&b);
	json_append_string(&b, NULL, 0);
	CHECK_STR(b.data, "null");
	buf_reset(&b);
	h.customer_null = true;
	h.status = NULL;
	order_json_begin(&b, &h);
	order_json_end(&b);
	CHECK_STR(b.data, "{\"order_id\":1,\"customer_id\":10,\"customer\":null,\"status\":null,"
			  "\"total_amount\":\"39.98\",\"created_at\":\"2026-11-21T23:00:00Z\",\"items\":[]}");
	buf_done(&b);
}

/*
 * The JSON's integers and timestamps are formatted by hand (no printf on the
 * GET path): they must read exactly as printf's would, at the edges too.
 */
static void test_json_numbers(void)
{
	static const int64_t v[] = { 0, 1, -1, 9, 10, 99, 100, 2147483647, -2147483648LL,
				     INT64_MAX, INT64_MIN, INT64_MIN + 1, 1000000000000LL };
	static const struct order_time t[] = {
		{ 0, 0, 0, 0, 0, 0 }, { 9999, 12, 31, 23, 59, 59 }, { 10000, 100, 101, 24, 60, 61 },
		{ 4294967295u, 4294967295u, 7, 8, 9, 10 }, { 1970, 1, 1, 0, 0, 0 },
	};
	char want[256], ts[32];
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int64_t w = v[(i + 1) % (sizeof(v) / sizeof(v[0]))];
		int64_t q = v[i] == INT64_MIN ? 5 : -v[i];

		buf_reset(&b);
		order_json_item(&b, i % 2 == 0, v[i], w, q, false, "1.00", 4);
		snprintf(want, sizeof(want),
			 "%s{\"item_id\":%" PRId64 ",\"product_id\":%" PRId64 ",\"quantity\":%" PRId64
			 ",\"unit_price\":\"1.00\"}",
			 i % 2 == 0 ? "" : ",", v[i], w, q);
		CHECK_STR(b.data, want);
		buf_reset(&b);
		order_json_begin(&b, &(struct order_head){ .order_id = v[i], .customer_id = w });
		snprintf(want, sizeof(want),
			 "{\"order_id\":%" PRId64 ",\"customer_id\":%" PRId64 ",\"customer\":{\"customer_id\":%" PRId64
			 ",\"name\":null,\"email\":null},\"status\":null,\"total_amount\":null,"
			 "\"created_at\":null,\"items\":[",
			 v[i], w, w);
		CHECK_STR(b.data, want);
	}
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(want, sizeof(want), "%04u-%02u-%02uT%02u:%02u:%02uZ", t[i].year % 10000,
			 t[i].month % 100, t[i].day % 100, t[i].hour % 100, t[i].minute % 100,
			 t[i].second % 100);
		CHECK_INT((int)order_time_format(&t[i], ts), 20);
		CHECK_STR(ts, want);
	}
	buf_done(&b);
}

/*
 * Robustness: random mutations of valid bodies never crash, never read out
 * of bounds (ASan run), and always end in 0 or -EINVAL with a message; an
 * accepted body always satisfies the documented bounds.
 */
static void test_mutations(void)
{
	static const char *const seeds[] = {
		"{\"customer_id\":10,\"customer\":{\"name\":\"Jane Doe\",\"email\":\"jane@example.com\"},"
		"\"items\":[{\"product_id\":101,\"quantity\":2,\"unit_price\":19.99}]}",
		"{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":\"0.10\"},"
		"{\"product_id\":2,\"quantity\":3,\"unit_price\":5}]}",
	};
	static const char alphabet[] = "{}[]\":,.-+eE0123456789 \\/tfnul\xc3\xa9\xff\x00";
	uint32_t x = 12345;
	int bad = 0;

	for (int round = 0; round < 20000; round++) {
		char body[512];
		size_t len = strlen(seeds[round % 2]);
		int edits = 1 + round % 4, r;

		memcpy(body, seeds[round % 2], len);
		for (int e = 0; e < edits; e++) {
			size_t pos;

			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			pos = x % len;
			switch ((x >> 8) % 3) {
			case 0:	/* replace */
				body[pos] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
				break;
			case 1:	/* delete */
				memmove(body + pos, body + pos + 1, len - pos - 1);
				len--;
				break;
			default:	/* insert */
				if (len + 1 < sizeof(body)) {
					memmove(body + pos + 1, body + pos, len - pos);
					body[pos] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
					len++;
				}
				break;
			}
		}
		memset(&err, 0, sizeof(err));
		r = order_parse(body, len, &req, &err);
		if (r == 0) {
			if (req.customer_id < 1 || req.customer_id > ORDER_MAX_ID || req.nitems < 1 ||
			    req.nitems > ORDER_MAX_ITEMS || req.total_cents < 0 ||
			    req.total_cents > ORDER_MAX_CENTS)
				bad++;
			for (size_t i = 0; i < req.nitems; i++)
				if (req.items[i].quantity < 1 || req.items[i].quantity > ORDER_MAX_QUANTITY ||
				    req.items[i].unit_cents < 0 || req.items[i].unit_cents > ORDER_MAX_CENTS)
					bad++;
		} else if (r != -EINVAL || !err.msg) {
			bad++;
		}
	}
	CHECK_INT(bad, 0);
}

/* The query's rows into GET's JSON: NULL columns, an order without items. */
static void test_row_json(void)
{
	struct order_row row;
	struct order_time t = { 2026, 1, 2, 3, 4, 5 };
	char ts[32];
	struct buf b;

	CHECK_INT((int)order_time_format(&t, ts), 20);
	CHECK_STR(ts, "2026-01-02T03:04:05Z");
	memset(&row, 0, sizeof(row));
	row.order_id = 7;
	row.o_cust = 3;
	row.c_cust = 3;
	strcpy(row.name, "Ann");
	row.name_len = 3;
	row.null[OCOL_EMAIL] = 1;
	strcpy(row.status, "pending");
	row.status_len = 7;
	strcpy(row.total, "1.50");
	row.total_len = 4;
	row.created = t;
	row.item_id = 40;
	row.product_id = 9;
	row.quantity = 3;
	strcpy(row.price, "0.50");
	row.price_len = 4;
	buf_init(&b, 0);
	order_json_row_head(&b, &row);
	CHECK(order_json_row_item(&b, true, &row));
	row.item_id = 41;
	row.null[OCOL_QUANTITY] = 1;
	row.null[OCOL_PRICE] = 1;
	CHECK(order_json_row_item(&b, false, &row));
	order_json_end(&b);
	CHECK_STR(b.data, "{\"order_id\":7,\"customer_id\":3,\"customer\":{\"customer_id\":3,"
			  "\"name\":\"Ann\",\"email\":null},\"status\":\"pending\",\"total_amount\":\"1.50\","
			  "\"created_at\":\"2026-01-02T03:04:05Z\",\"items\":["
			  "{\"item_id\":40,\"product_id\":9,\"quantity\":3,\"unit_price\":\"0.50\"},"
			  "{\"item_id\":41,\"product_id\":9,\"quantity\":null,\"unit_price\":null}]}");
	/* no customer row, no customer id, no created_at, no items */
	buf_reset(&b);
	memset(&row, 0, sizeof(row));
	row.order_id = 8;
	for (int i = OCOL_ORDER_CUSTOMER; i < OCOL_COUNT; i++)
		row.null[i] = 1;
	order_json_row_head(&b, &row);
	CHECK(!order_json_row_item(&b, true, &row));
	order_json_end(&b);
	CHECK_STR(b.data, "{\"order_id\":8,\"customer_id\":null,\"customer\":null,\"status\":null,"
			  "\"total_amount\":null,\"created_at\":null,\"items\":[]}");
	buf_done(&b);
}

/* Bodies json-c's strict mode let through before json_check (issue 14):
 * each created an order; each is now a 400 with no field. */
static void test_parse_not_json(void)
{
	static const char *bad[] = {
		"{\"customer_id\":1,\"customer\":{\"name\":\"a\001b\"},\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]}",
		"{\"customer_id\":1,\"customer\":{\"name\":\"a\nb\"},\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]}",
		"{'customer_id':1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]}",
		"{\"customer_id\":1,\"note\":NaN,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]}",
		"{\"customer_id\":1,\"note\":-Infinity,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]}",
		"{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1},]}",
		"{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]} /* c */",
		"{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":5,\"unit_price\":0}]}",
		"{\"customer_id\":1,\"customer_id\":2,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]}",
		"\xef\xbb\xbf{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]}",
		"{\"customer_id\":1,\"customer\":{\"name\":\"\\udc00\"},\"items\":[{\"product_id\":1,\"quantity\":1,\"unit_price\":1}]}",
	};
	struct order_req *o = calloc(1, sizeof(*o));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct order_error e = { 0 };

		CHECK_INT(order_parse(bad[i], strlen(bad[i]), o, &e), -EINVAL);
		CHECK(e.msg && strncmp(e.msg, "malformed JSON", 14) == 0);
		CHECK_STR(e.field, "");
	}
	{
		struct order_error e = { 0 };
		const char *dup = bad[7];

		order_parse(dup, strlen(dup), o, &e);
		CHECK_STR(e.msg, "malformed JSON: duplicate member name in an object");
	}
	free(o);
}

static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rbe");
	static char data[65536];

	if (!f)
		return NULL;
	*ret_len = fread(data, 1, sizeof(data), f);
	fclose(f);
	return data;
}

/* Every fixture text through order_json_read: y_ read (and what json-c
 * writes back, as /api/echo does, is RFC 8259 JSON again), n_ refused. */
static void test_json_read_fixtures(void)
{
	const char *src = getenv("SRC_DIR");
	char dir[4096], path[8192];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/fixtures/json", src ? src : ".");
	d = opendir(dir);
	CHECK(d != NULL);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct order_error e = { 0 };
		json_object *root = NULL;
		size_t len = 0;
		char *t;
		int r;

		if (de->d_name[1] != '_' || (de->d_name[0] != 'y' && de->d_name[0] != 'n'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		t = slurp(path, &len);
		CHECK(t != NULL);
		if (!t)
			continue;
		n++;
		r = order_json_read(t, len, &root, &e);
		if (de->d_name[0] == 'y') {
			if (r != 0)
				printf("# %s refused: %s\n", de->d_name, e.msg);
			CHECK_INT(r, 0);
			if (r == 0) {
				const char *out = json_object_to_json_string_ext(
					root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

				if (json_check(out, strlen(out), JSON_CHECK_MAX_DEPTH, NULL, NULL) != 0)
					printf("# %s written back as %s\n", de->d_name, out);
				CHECK_INT(json_check(out, strlen(out), JSON_CHECK_MAX_DEPTH, NULL, NULL), 0);
				json_object_put(root);
			}
		} else {
			if (r == 0)
				printf("# %s accepted\n", de->d_name);
			CHECK_INT(r, -EINVAL);
			CHECK(e.msg != NULL && e.field[0] == '\0');
		}
	}
	closedir(d);
	CHECK(n >= 90);
}

int main(void)
{
	RUN(test_money_parse);
	RUN(test_money_format);
	RUN(test_ids);
	RUN(test_req_hash);
	RUN(test_parse_ok);
	RUN(test_parse_bad);
	RUN(test_utf8);
	RUN(test_json);
	RUN(test_row_json);
	RUN(test_json_numbers);
	RUN(test_mutations);
	RUN(test_parse_not_json);
	RUN(test_json_read_fixtures);
	return harness_done();
}
