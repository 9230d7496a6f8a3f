/*
 * systemd: unit states and counters from systemd's manager over D-Bus
 * (sd-bus), as node_exporter 1.5's systemd_linux.go with Debian's defaults
 * (on by default; the exclude default also drops *.target).
 *
 * Per scrape: a new connection to the system bus (as root, when that fails,
 * systemd's /run/systemd/private, as go-systemd does; with
 * --collector.systemd.private that socket only),
 * the manager's Version and SystemState, ListUnits in one call, then for
 * each unit that is loaded, matches --collector.systemd.unit-include and not
 * --collector.systemd.unit-exclude (both anchored, as RE2 ^(?:...)$ there),
 * one Get per property node_exporter reads (Service.Type; NRestarts,
 * TasksCurrent/TasksMax, ActiveEnterTimestamp with their flags;
 * Timer.LastTriggerUSec; Socket.NAccepted/NConnections/NRefused), all sent
 * at once and their replies taken as they come (see send_get).  A
 * per-unit property that cannot be read leaves that series out, as there.
 * node_systemd_units counts every listed unit (unfiltered).
 *
 * Every bus call is bounded by what is left of the collector's deadline
 * (sd_bus_set_method_call_timeout, and sd_bus_wait's timeout for the
 * pipelined Gets); SRC_DEVICE keeps it on a pool worker.
 * No bus: "couldn't get dbus connection" (success 0), as node_exporter.
 *
 * Thread-safety: each scrape has its own sd_bus object, used only by the
 * worker running it; the flags are immutable after start-up.  Per-unit
 * results go to the worker's ctx->rb[1], the pending requests to its
 * ctx->rb[2] (both reused across scrapes).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "collector.h"
#include "daemon.h"
#include "util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"
#define SD_SERVICE "org.freedesktop.systemd1.Service"
#define SD_TIMER "org.freedesktop.systemd1.Timer"
#define SD_SOCKET "org.freedesktop.systemd1.Socket"
#define SYSTEM_BUS_DEFAULT "unix:path=/run/dbus/system_bus_socket"
#define PRIVATE_BUS "unix:path=/run/systemd/private"
/* The manager's SystemState and timers' LastTriggerUSec came in v212. */
#define MIN_VERSION_SYSTEM_STATE 212

static struct {
	bool private_conn, tasks, restarts, start_time;
	/* the flag texts; include/exclude compiled anchored as ^(?:TEXT)$ */
	struct host_regex include, exclude;
	struct host_regex inc_re, exc_re;
	char *inc_text, *exc_text;
} sdc;

/* What one filtered unit gave; names point into the ListUnits reply. */
enum {
	HAVE_RESTARTS = 1 << 0,
	HAVE_ACCEPTED = 1 << 1,
	HAVE_CURRENT = 1 << 2,
	HAVE_REFUSED = 1 << 3,
	HAVE_TRIGGER = 1 << 4,
	HAVE_START = 1 << 5,
	HAVE_TASKS_CUR = 1 << 6,
	HAVE_TASKS_MAX = 1 << 7,
};

struct unit_rec {
	const char *name, *active, *path;
	char type[24];
	unsigned have;
	uint32_t restarts, accepted, current, refused;
	uint64_t trigger_us, start_us, tasks_cur, tasks_max;
};

static const char *const unit_states[] = { "active", "activating", "deactivating", "inactive",
					   "failed" };
/* node_systemd_units: the five always, any other ActiveState systemd
 * reports when some unit is in it (node_exporter's map adds it). */
static const char *const summary_states[] = { "activating", "active", "deactivating", "failed",
					      "inactive", "maintenance", "refreshing", "reloading" };
#define NSUMMARY (sizeof(summary_states) / sizeof(summary_states[0]))

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && memcmp(s + n - m, suf, m) == 0;
}

/* Bound the next call by the collector's deadline: 0 or -ETIMEDOUT. */
static int arm(struct collector_ctx *c, sd_bus *bus)
{
	uint64_t now = daemon_now_ns();

	if (now + 1000 >= c->deadline_ns)
		return -ETIMEDOUT;
	(void)sd_bus_set_method_call_timeout(bus, (c->deadline_ns - now) / 1000);
	return 0;
}

/* A string property into out (truncated to size); 0 or negative errno. */
static int get_string(struct collector_ctx *c, sd_bus *bus, const char *path, const char *iface,
		      const char *member, char *out, size_t size, sd_bus_error *e)
{
	sd_bus_message *m = NULL;
	const char *s;
	int r;

	if ((r = arm(c, bus)) < 0)
		return r;
	r = sd_bus_get_property(bus, SD_DEST, path, iface, member, e, &m, "s");
	if (r >= 0)
		r = sd_bus_message_read(m, "s", &s);	/* the reply is entered into the variant */
	if (r >= 0)
		xsnprintf(out, size, "%s", s);
	sd_bus_message_unref(m);
	return r < 0 ? r : 0;
}

/* node_exporter's systemdVersionRE [0-9]{3,}(\.[0-9]+)?: the leftmost match. */
static double parse_version(const char *v, bool *ok)
{
	for (const char *p = v; *p; p++) {
		size_t n = 0;

		while (p[n] >= '0' && p[n] <= '9')
			n++;
		if (n >= 3) {
			char num[64];
			size_t k = n;

			if (p[k] == '.' && p[k + 1] >= '0' && p[k + 1] <= '9')
				for (k++; p[k] >= '0' && p[k] <= '9'; k++)
					;
			if (k >= sizeof(num))
				break;
			memcpy(num, p, k);
			num[k] = '\0';
			*ok = true;
			return strtod(num, NULL);
		}
		if (n)
			p += n - 1;
	}
	*ok = false;
	return 0;
}

/*
 * A plain "unix:path=P" address (one transport, no options, no escapes)
 * whose P does not exist: -ENOENT, what sd_bus_start's connect(2) would
 * end in, without making a bus object and a socket first (a host without
 * D-Bus, as this one was, spent ~20 system calls and ~7% of a scrape's CPU
 * on the two failed connects; one stat each now).  Checked on every scrape,
 * so a bus that comes up later is used on the next one.  0 otherwise
 * (connect and let sd-bus report).
 */
static int socket_missing(const char *addr)
{
	static const char pre[] = "unix:path=";
	const char *p;
	struct stat st;

	if (strncmp(addr, pre, sizeof(pre) - 1) != 0)
		return 0;
	p = addr + sizeof(pre) - 1;
	if (*p != '/' || strpbrk(p, ",;%"))
		return 0;
	return stat(p, &st) < 0 && errno == ENOENT ? -ENOENT : 0;
}

static int open_one(struct collector_ctx *c, const char *addr, bool bus_client, sd_bus **ret)
{
	sd_bus *bus = NULL;
	int r;

	if ((r = socket_missing(addr)) < 0)
		return r;
	if ((r = sd_bus_new(&bus)) < 0)
		return r;
	if ((r = sd_bus_set_address(bus, addr)) >= 0 && (r = sd_bus_set_bus_client(bus, bus_client)) >= 0 &&
	    (r = arm(c, bus)) >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		sd_bus_unref(bus);
		return r;
	}
	*ret = bus;
	return 0;
}

/* As go-systemd's dbus.NewWithContext (node_exporter 1.5): the system bus,
 * and as root, when that fails, systemd's private socket (whose error is
 * the one reported); --collector.systemd.private: that socket only. */
static int open_bus(struct collector_ctx *c, sd_bus **ret, const char **addr)
{
	const char *e = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");
	int r;

	if (!sdc.private_conn) {
		*addr = e && *e ? e : SYSTEM_BUS_DEFAULT;
		if ((r = open_one(c, *addr, true, ret)) >= 0 || geteuid() != 0)
			return r;
	}
	*addr = PRIVATE_BUS;
	return open_one(c, *addr, false, ret);
}

/*
 * The per-unit Gets go out without waiting for each reply: every call is
 * sent on the one connection (sd_bus_call_method_async), at most MAX_INFLIGHT
 * at a time -- the system bus's dbus-daemon refuses a connection more than
 * max_replies_per_connection (128 by default) pending replies -- and the
 * replies are taken in as they come (sd_bus_process/sd_bus_wait), all
 * bounded by the collector's deadline.  One round trip for the lot instead
 * of one per property.
 */
#define MAX_INFLIGHT 64

enum prop { P_TYPE, P_RESTARTS, P_TASKS_CUR, P_TASKS_MAX, P_ACCEPTED, P_CURRENT, P_REFUSED,
	    P_TRIGGER, P_START, P_STATE };

struct scrape;

/* One pending Get: what it fills in (unit is an index into s->u). */
struct req {
	struct scrape *s;
	uint32_t unit;
	uint8_t prop;
};

struct scrape {
	struct collector_ctx *c;
	sd_bus *bus;
	struct unit_rec *u;
	unsigned inflight;
	int state_r;		/* SystemState: 0 read, 1 not yet, <0 failed */
	char state[64];
	char state_err[128];
};

static const struct {
	const char *iface, *member;
	char type;
	unsigned bit;
} props[] = {
	[P_TYPE] = { SD_SERVICE, "Type", 's', 0 },
	[P_RESTARTS] = { SD_SERVICE, "NRestarts", 'u', HAVE_RESTARTS },
	[P_TASKS_CUR] = { SD_SERVICE, "TasksCurrent", 't', HAVE_TASKS_CUR },
	[P_TASKS_MAX] = { SD_SERVICE, "TasksMax", 't', HAVE_TASKS_MAX },
	[P_ACCEPTED] = { SD_SOCKET, "NAccepted", 'u', HAVE_ACCEPTED },
	[P_CURRENT] = { SD_SOCKET, "NConnections", 'u', HAVE_CURRENT },
	[P_REFUSED] = { SD_SOCKET, "NRefused", 'u', HAVE_REFUSED },
	[P_TRIGGER] = { SD_TIMER, "LastTriggerUSec", 't', HAVE_TRIGGER },
	[P_START] = { SD_UNIT, "ActiveEnterTimestamp", 't', HAVE_START },
	[P_STATE] = { SD_MANAGER, "SystemState", 's', 0 },
};

/* A Get's reply: the variant's value into the unit (or the system state). */
static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct req *q = userdata;
	struct scrape *s = q->s;
	struct unit_rec *u = q->prop == P_STATE ? NULL : s->u + q->unit;
	char t = props[q->prop].type, sig[2] = { t, '\0' };
	const sd_bus_error *e;
	const char *str;
	uint32_t v32;
	uint64_t v64;
	int r;

	(void)ret_error;
	s->inflight--;
	if (sd_bus_message_is_method_error(m, NULL)) {
		if (q->prop == P_STATE) {
			e = sd_bus_message_get_error(m);
			xsnprintf(s->state_err, sizeof(s->state_err), "%s",
				  e && e->message ? e->message : "error reply");
			s->state_r = -EIO;
		}
		return 0;
	}
	if ((r = sd_bus_message_enter_container(m, 'v', sig)) < 0)
		goto bad;
	switch (t) {
	case 's':
		if ((r = sd_bus_message_read_basic(m, 's', &str)) < 0)
			goto bad;
		if (q->prop == P_STATE) {
			xsnprintf(s->state, sizeof(s->state), "%s", str);
			s->state_r = 0;
		} else {
			xsnprintf(u->type, sizeof(u->type), "%s", str);
		}
		return 0;
	case 'u':
		if ((r = sd_bus_message_read_basic(m, 'u', &v32)) < 0)
			goto bad;
		switch (q->prop) {
		case P_RESTARTS: u->restarts = v32; break;
		case P_ACCEPTED: u->accepted = v32; break;
		case P_CURRENT: u->current = v32; break;
		default: u->refused = v32; break;
		}
		break;
	default:
		if ((r = sd_bus_message_read_basic(m, 't', &v64)) < 0)
			goto bad;
		switch (q->prop) {
		case P_TASKS_CUR:	/* unset (no pids controller): left out, as there */
		case P_TASKS_MAX:
			if (v64 == UINT64_MAX)
				return 0;
			*(q->prop == P_TASKS_CUR ? &u->tasks_cur : &u->tasks_max) = v64;
			break;
		case P_TRIGGER: u->trigger_us = v64; break;
		default: u->start_us = v64; break;
		}
		break;
	}
	u->have |= props[q->prop].bit;
	return 0;
bad:
	if (q->prop == P_STATE) {
		xsnprintf(s->state_err, sizeof(s->state_err), "bad reply: %s", strerror(-r));
		s->state_r = -EIO;
	}
	return 0;
}

/* Take in replies until at most `until` calls are pending: 0, or
 * -ETIMEDOUT at the deadline, or another negative errno (connection lost). */
static int drain(struct scrape *s, unsigned until)
{
	int r;

	while (s->inflight > until) {
		uint64_t now = daemon_now_ns();

		if ((r = sd_bus_process(s->bus, NULL)) < 0)
			return r;
		if (r > 0)
			continue;
		if (now >= s->c->deadline_ns)
			return -ETIMEDOUT;
		if ((r = sd_bus_wait(s->bus, (s->c->deadline_ns - now) / 1000 + 1)) < 0)
			return r;
	}
	return 0;
}

/* Send one Get (its reply fills in q); the window is kept below MAX_INFLIGHT. */
static int send_get(struct scrape *s, const char *path, struct req *q)
{
	uint64_t now;
	int r;

	if ((r = drain(s, MAX_INFLIGHT - 1)) < 0)
		return r;
	now = daemon_now_ns();
	if (now + 1000 >= s->c->deadline_ns)
		return -ETIMEDOUT;
	r = sd_bus_call_method_async(s->bus, NULL, SD_DEST, path, "org.freedesktop.DBus.Properties",
				     "Get", on_reply, q, "ss", props[q->prop].iface,
				     props[q->prop].member);
	if (r < 0)
		return r;
	s->inflight++;
	return 0;
}

/* The Gets one filtered unit needs (at most 5, see below); returns how many
 * it wrote to q, or a negative errno. */
static int unit_gets(struct scrape *s, uint32_t i, const char *path, double version,
		     struct req *q)
{
	struct unit_rec *u = s->u + i;
	uint8_t want[5];
	int n = 0, r;

	if (has_suffix(u->name, ".service")) {
		want[n++] = P_TYPE;
		if (sdc.restarts)
			want[n++] = P_RESTARTS;
		if (sdc.tasks) {
			want[n++] = P_TASKS_CUR;
			want[n++] = P_TASKS_MAX;
		}
	} else if (has_suffix(u->name, ".socket")) {
		/* all three; the chain is applied when all are in (socket_chain) */
		want[n++] = P_ACCEPTED;
		want[n++] = P_CURRENT;
		want[n++] = P_REFUSED;
	} else if (has_suffix(u->name, ".timer") && version >= MIN_VERSION_SYSTEM_STATE) {
		want[n++] = P_TRIGGER;
	}
	if (sdc.start_time) {
		if (strcmp(u->active, "active") != 0) {
			u->start_us = 0;
			u->have |= HAVE_START;
		} else {
			want[n++] = P_START;
		}
	}
	for (int k = 0; k < n; k++) {
		q[k] = (struct req){ .s = s, .unit = i, .prop = want[k] };
		if ((r = send_get(s, path, &q[k])) < 0)
			return r;
	}
	return n;
}

/* As node_exporter: no NAccepted, no socket series; no NConnections,
 * NAccepted only. */
static void socket_chain(struct unit_rec *u)
{
	if (!(u->have & HAVE_ACCEPTED))
		u->have &= ~(unsigned)(HAVE_CURRENT | HAVE_REFUSED);
	else if (!(u->have & HAVE_CURRENT))
		u->have &= ~(unsigned)HAVE_REFUSED;
}

/* One family of a u32/u64/seconds field over the records that have it. */
enum field { F_RESTARTS, F_ACCEPTED, F_CURRENT, F_REFUSED, F_TRIGGER, F_START, F_TASKS_CUR, F_TASKS_MAX };

static int write_field(struct metrics_writer *w, const struct unit_rec *u, size_t n,
		       const char *name, enum metric_type t, const char *help, enum field f,
		       unsigned bit)
{
	static const char *const ln[] = { "name", NULL };
	bool any = false;
	int r;

	for (size_t i = 0; i < n; i++) {
		const char *lv[] = { u[i].name, NULL };

		if (!(u[i].have & bit))
			continue;
		if (!any && (r = writer_family(w, name, t, help, ln)) < 0)
			return r;
		any = true;
		switch (f) {
		case F_RESTARTS: r = writer_sample_u64(w, lv, u[i].restarts); break;
		case F_ACCEPTED: r = writer_sample_u64(w, lv, u[i].accepted); break;
		case F_CURRENT: r = writer_sample_u64(w, lv, u[i].current); break;
		case F_REFUSED: r = writer_sample_u64(w, lv, u[i].refused); break;
		case F_TRIGGER: r = writer_sample(w, lv, (double)u[i].trigger_us / 1e6); break;
		case F_START: r = writer_sample(w, lv, (double)u[i].start_us / 1e6); break;
		case F_TASKS_CUR: r = writer_sample(w, lv, (double)u[i].tasks_cur); break;
		default: r = writer_sample(w, lv, (double)u[i].tasks_max); break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int collect_systemd(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const unit_ln[] = { "name", "state", "type", NULL };
	static const char *const state_ln[] = { "state", NULL };
	sd_bus *bus = NULL;
	sd_bus_message *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct rbuf *b = c->rb[1];
	struct unit_rec *u;
	size_t n = 0;
	uint64_t summary[NSUMMARY] = { 0 };
	char vstr[128] = "";
	struct scrape sc;
	struct req *q;
	const char *addr, *name, *desc, *load, *active, *sub, *follow, *path, *jtype, *jpath;
	uint32_t jid;
	double version;
	bool vok = false;
	int r, state_r = 0;

	if ((r = open_bus(c, &bus, &addr)) < 0)
		return ctx_error(c, r, "couldn't get dbus connection: %s: %s", addr, strerror(-r));

	/* node_systemd_version (0 and "" when unreadable, as there) */
	if (get_string(c, bus, SD_PATH, SD_MANAGER, "Version", vstr, sizeof(vstr), &e) < 0)
		vstr[0] = '\0';
	sd_bus_error_free(&e);
	version = parse_version(vstr, &vok);
	if (!vok)
		vstr[0] = '\0';

	if ((r = arm(c, bus)) < 0)
		goto timeout;
	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "ListUnits", &e, &reply, "");
	if (r < 0) {
		r = ctx_error(c, r, "couldn't get units: %s", e.message ? e.message : strerror(-r));
		goto version_only;
	}
	if ((r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)")) < 0)
		goto bad_reply;
	for (;;) {
		r = sd_bus_message_read(reply, "(ssssssouso)", &name, &desc, &load, &active, &sub,
					&follow, &path, &jid, &jtype, &jpath);
		if (r < 0)
			goto bad_reply;
		if (r == 0)
			break;
		for (size_t i = 0; i < NSUMMARY; i++)
			if (strcmp(active, summary_states[i]) == 0)
				summary[i]++;
		if (strcmp(load, "loaded") != 0 || !host_regex_match(&sdc.inc_re, name) ||
		    host_regex_match(&sdc.exc_re, name))
			continue;
		if (n >= UINT32_MAX / 8 || (r = rbuf_reserve(b, (n + 1) * sizeof(*u))) < 0) {
			r = ctx_error(c, n >= UINT32_MAX / 8 ? -E2BIG : r, "too many units");
			goto out;
		}
		u = (struct unit_rec *)(void *)b->data + n++;
		memset(u, 0, sizeof(*u));
		u->name = name;
		u->active = active;
		u->path = path;
	}
	u = (struct unit_rec *)(void *)b->data;

	/* every Get in flight at once (at most 5 per unit and SystemState);
	 * the requests stay where they are until their replies are in */
	if ((r = rbuf_reserve(c->rb[2], (5 * n + 1) * sizeof(struct req))) < 0) {
		r = ctx_error(c, r, "too many units");
		goto out;
	}
	q = (struct req *)(void *)c->rb[2]->data;
	sc = (struct scrape){ .c = c, .bus = bus, .u = u, .state_r = 1 };
	if (version >= MIN_VERSION_SYSTEM_STATE) {
		*q = (struct req){ .s = &sc, .prop = P_STATE };
		if ((r = send_get(&sc, SD_PATH, q++)) < 0)
			goto bus_failed;
	}
	for (size_t i = 0; i < n; i++) {
		if ((r = unit_gets(&sc, (uint32_t)i, u[i].path, version, q)) < 0)
			goto bus_failed;
		q += r;
	}
	if ((r = drain(&sc, 0)) < 0)
		goto bus_failed;
	for (size_t i = 0; i < n; i++)
		if (has_suffix(u[i].name, ".socket"))
			socket_chain(&u[i]);
	if (version >= MIN_VERSION_SYSTEM_STATE && sc.state_r != 0)
		state_r = ctx_error(c, -EIO, "couldn't get system state: %s",
				    sc.state_r < 0 ? sc.state_err : "no reply");
	if (daemon_now_ns() >= c->deadline_ns)
		goto timeout;

	/* the families in node_exporter's (sorted) order */
	if ((r = write_field(w, u, n, "node_systemd_service_restart_total", METRIC_COUNTER,
			     "Service unit count of Restart triggers", F_RESTARTS, HAVE_RESTARTS)) < 0 ||
	    (r = write_field(w, u, n, "node_systemd_socket_accepted_connections_total", METRIC_COUNTER,
			     "Total number of accepted socket connections", F_ACCEPTED, HAVE_ACCEPTED)) < 0 ||
	    (r = write_field(w, u, n, "node_systemd_socket_current_connections", METRIC_GAUGE,
			     "Current number of socket connections", F_CURRENT, HAVE_CURRENT)) < 0 ||
	    (r = write_field(w, u, n, "node_systemd_socket_refused_connections_total", METRIC_GAUGE,
			     "Total number of refused socket connections", F_REFUSED, HAVE_REFUSED)) < 0)
		goto out;
	if (version >= MIN_VERSION_SYSTEM_STATE && state_r == 0 &&
	    (r = wr_one(w, "node_systemd_system_running", METRIC_GAUGE,
			"Whether the system is operational (see 'systemctl is-system-running')",
			strcmp(sc.state, "running") == 0)) < 0)
		goto out;
	if ((r = write_field(w, u, n, "node_systemd_timer_last_trigger_seconds", METRIC_GAUGE,
			     "Seconds since epoch of last trigger.", F_TRIGGER, HAVE_TRIGGER)) < 0 ||
	    (r = write_field(w, u, n, "node_systemd_unit_start_time_seconds", METRIC_GAUGE,
			     "Start time of the unit since unix epoch in seconds.", F_START, HAVE_START)) < 0)
		goto out;
	if (n) {
		if ((r = writer_family(w, "node_systemd_unit_state", METRIC_GAUGE, "Systemd unit",
				       unit_ln)) < 0)
			goto out;
		for (size_t i = 0; i < n; i++)
			for (size_t s = 0; s < sizeof(unit_states) / sizeof(unit_states[0]); s++) {
				const char *lv[] = { u[i].name, unit_states[s], u[i].type, NULL };

				if ((r = writer_sample(w, lv, strcmp(u[i].active, unit_states[s]) == 0)) < 0)
					goto out;
			}
	}
	if ((r = write_field(w, u, n, "node_systemd_unit_tasks_current", METRIC_GAUGE,
			     "Current number of tasks per Systemd unit", F_TASKS_CUR, HAVE_TASKS_CUR)) < 0 ||
	    (r = write_field(w, u, n, "node_systemd_unit_tasks_max", METRIC_GAUGE,
			     "Maximum number of tasks per Systemd unit", F_TASKS_MAX, HAVE_TASKS_MAX)) < 0)
		goto out;
	if ((r = writer_family(w, "node_systemd_units", METRIC_GAUGE, "Summary of systemd unit states",
			       state_ln)) < 0)
		goto out;
	for (size_t i = 0; i < NSUMMARY; i++) {
		const char *lv[] = { summary_states[i], NULL };

		if (i >= 5 && summary[i] == 0)	/* the first five always */
			continue;
		if ((r = writer_sample_u64(w, lv, summary[i])) < 0)
			goto out;
	}
	r = state_r;
version_only:
	{
		static const char *const ln[] = { "version", NULL };
		const char *lv[] = { vstr, NULL };
		int r2;

		if ((r2 = writer_family(w, "node_systemd_version", METRIC_GAUGE,
					"Detected systemd version", ln)) < 0 ||
		    (r2 = writer_sample(w, lv, version)) < 0)
			r = r < 0 ? r : r2;
	}
	goto out;
bad_reply:
	r = ctx_error(c, r, "couldn't get units: bad ListUnits reply: %s", strerror(-r));
	goto out;
bus_failed:
	if (r != -ETIMEDOUT) {
		r = ctx_error(c, r, "couldn't get unit properties: %s", strerror(-r));
		goto out;
	}
timeout:
	r = ctx_error(c, -ETIMEDOUT, "systemd: deadline reached before the bus answered");
out:
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	/* no flush: nothing we sent still matters, and a stalled bus must not
	 * hold the scrape past its deadline; pending calls go with the bus */
	sd_bus_close_unref(bus);
	return r;
}

/* The include/exclude flags: compiled anchored, as node_exporter's ^(?:X)$. */
static int anchored(struct host_regex *flag, struct host_regex *re, char **text, char *err,
		    size_t errlen)
{
	size_t n = strlen(flag->src ? flag->src : "") + 8;
	char why[300];

	host_regex_free(re);
	free(*text);
	if (!(*text = malloc(n)))
		return -ENOMEM;
	snprintf(*text, n, "^(?:%s)$", flag->src ? flag->src : "");
	re->src = *text;
	if (host_regex_compile(re, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "invalid regular expression: %s", why);
		return -EINVAL;
	}
	return 0;
}

static int include_check(const struct flag *f, const struct flagset *fs, char *err, size_t errlen)
{
	return anchored(&sdc.include, &sdc.inc_re, &sdc.inc_text, err, errlen);
}

static int exclude_check(const struct flag *f, const struct flagset *fs, char *err, size_t errlen)
{
	return anchored(&sdc.exclude, &sdc.exc_re, &sdc.exc_text, err, errlen);
}

static const struct flag systemd_flags[] = {
	{ .name = "collector.systemd.unit-include", .type = FLAG_STRING, .dst = &sdc.include.src,
	  .def = ".+",
	  .help = "Regexp of systemd units to include. Units must both match include and not "
		  "match exclude to be included.", .check = include_check },
	{ .name = "collector.systemd.unit-exclude", .type = FLAG_STRING, .dst = &sdc.exclude.src,
	  .def = ".+\\.(automount|device|mount|scope|slice|target)",
	  .help = "Regexp of systemd units to exclude. Units must both match include and not "
		  "match exclude to be included.", .check = exclude_check },
	{ .name = "collector.systemd.private", .type = FLAG_BOOL, .dst = &sdc.private_conn,
	  .help = "Establish a private, direct connection to systemd without dbus (Strongly "
		  "discouraged since it requires root. For testing purposes only)." },
	{ .name = "collector.systemd.enable-task-metrics", .type = FLAG_BOOL, .dst = &sdc.tasks,
	  .help = "Enables service unit tasks metrics unit_tasks_current and unit_tasks_max" },
	{ .name = "collector.systemd.enable-restarts-metrics", .type = FLAG_BOOL,
	  .dst = &sdc.restarts, .help = "Enables service unit metric service_restart_total" },
	{ .name = "collector.systemd.enable-start-time-metrics", .type = FLAG_BOOL,
	  .dst = &sdc.start_time, .help = "Enables service unit metric unit_start_time_seconds" },
};

static void systemd_teardown(void)
{
	host_regex_free(&sdc.inc_re);
	host_regex_free(&sdc.exc_re);
	free(sdc.inc_text);
	free(sdc.exc_text);
	sdc.inc_text = sdc.exc_text = NULL;
}

const struct collector collector_systemd = {
	.name = "systemd", .default_on = true, .collect = collect_systemd, .src = SRC_DEVICE,
	COLLECTOR_FLAGS(systemd_flags), .teardown = systemd_teardown,
};
