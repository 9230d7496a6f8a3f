/*
 * daemon: process lifecycle for prism's daemons (systemd's small-daemon shape).
 *
 *   daemon_init();                 // before any thread: blocks TERM/INT/HUP,
 *                                  // ignores SIGPIPE, raises RLIMIT_NOFILE
 *   ...bind, connect...
 *   daemon_notify_ready("serving on :9100");
 *   while ((sig = daemon_wait(&hup)) == SIGHUP) reload();
 *   daemon_notify_stopping(); ...drain, free...; return 0;
 *
 * Daemons do not call this directly: common/app.h's run loop does, once,
 * for all of them.  No pidfile, no fork.  sd_notify messages go to $NOTIFY_SOCKET when set and
 * are silently skipped otherwise.  daemon_wait() pings the watchdog
 * (WATCHDOG=1) every WATCHDOG_USEC/2 when systemd asked for it.
 * Not thread-safe: call from the main thread.
 */
#ifndef PRISM_DAEMON_H
#define PRISM_DAEMON_H

#include <stdint.h>

/* 0 or negative errno.  Raises the soft RLIMIT_NOFILE to the hard limit. */
int daemon_init(void);
/* The soft RLIMIT_NOFILE after daemon_init. */
uint64_t daemon_nofile_limit(void);
int daemon_notify_ready(const char *status);
int daemon_notify_status(const char *status);
int daemon_notify_stopping(void);
/*
 * Wait for SIGTERM, SIGINT or SIGHUP; returns the signal number.  Sends
 * watchdog pings meanwhile.  timeout_ms > 0 returns 0 after that long
 * without a signal (for tests and periodic work); 0 waits forever.
 */
int daemon_wait(unsigned timeout_ms);

/*
 * CLOCK_MONOTONIC / CLOCK_REALTIME in nanoseconds.  daemon_now_ns() is
 * common/'s one monotonic clock: durations, deadlines, request timing.
 */
uint64_t daemon_now_ns(void);
uint64_t daemon_realtime_ns(void);

#endif
