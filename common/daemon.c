/*
 * daemon: signals, sd_notify and the watchdog for prism's daemons.
 *
 * The stop signals are blocked in the main thread before any other thread
 * exists, so every thread inherits the mask and only daemon_wait()'s
 * sigtimedwait(2) ever sees them: no async-signal-safety concerns anywhere.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"

static uint64_t nofile_limit;
static uint64_t watchdog_interval_ns;	/* 0 = no watchdog */
static uint64_t watchdog_next_ns;

uint64_t daemon_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t daemon_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

int daemon_init(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	struct rlimit rl;
	uint64_t usec = 0;
	sigset_t set;
	int r;

	stop_signals(&set);
	r = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (r)
		return -r;
	/* A peer closing mid-write must be an EPIPE, not a dead daemon. */
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -errno;
	/*
	 * Each connection is an fd; the soft limit (often 1024) would cap
	 * libmicrohttpd long before the hard one (systemd's default 512K).
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	nofile_limit = rl.rlim_cur;
	/* sd_watchdog_enabled(3): >0 when WATCHDOG_USEC (and WATCHDOG_PID, if set) apply to us */
	watchdog_interval_ns = 0;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		watchdog_interval_ns = usec * 1000 / 2;
		watchdog_next_ns = daemon_now_ns();	/* ping at the first wait */
	}
	return 0;
}

uint64_t daemon_nofile_limit(void)
{
	return nofile_limit;
}

/* sd_notify(3) returns >0 sent, 0 when NOTIFY_SOCKET is unset, <0 on error. */
static int notify(const char *state)
{
	int r = sd_notify(0, state);

	return r < 0 ? r : 0;
}

static int notify_with_status(const char *head, const char *status)
{
	char msg[512];

	if (status && *status)
		snprintf(msg, sizeof(msg), "%sSTATUS=%s", head, status);
	else
		snprintf(msg, sizeof(msg), "%s", head);
	return notify(msg);
}

int daemon_notify_ready(const char *status)
{
	return notify_with_status("READY=1\n", status);
}

int daemon_notify_status(const char *status)
{
	return notify_with_status("", status);
}

int daemon_notify_stopping(void)
{
	return notify("STOPPING=1");
}

static void watchdog_maybe_ping(uint64_t now)
{
	if (!watchdog_interval_ns || now < watchdog_next_ns)
		return;
	(void)notify("WATCHDOG=1");
	watchdog_next_ns = now + watchdog_interval_ns;
}

int daemon_wait(unsigned timeout_ms)
{
	uint64_t now = daemon_now_ns();
	uint64_t deadline = timeout_ms ? now + (uint64_t)timeout_ms * 1000000ull : UINT64_MAX;
	sigset_t set;

	stop_signals(&set);
	for (;;) {
		uint64_t until = deadline;
		struct timespec ts;
		int sig;

		watchdog_maybe_ping(now);
		if (watchdog_interval_ns && watchdog_next_ns < until)
			until = watchdog_next_ns;
		if (until == UINT64_MAX) {
			sig = sigwaitinfo(&set, NULL);
		} else {
			uint64_t d = until > now ? until - now : 0;

			ts.tv_sec = (time_t)(d / 1000000000ull);
			ts.tv_nsec = (long)(d % 1000000000ull);
			sig = sigtimedwait(&set, NULL, &ts);
		}
		if (sig > 0)
			return sig;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		now = daemon_now_ns();
		if (now >= deadline)
			return 0;
	}
}
