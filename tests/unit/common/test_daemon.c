/* daemon: signal handling, RLIMIT_NOFILE, and sd_notify for real over a
 * unix datagram socket standing in for systemd's NOTIFY_SOCKET. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../harness.h"
#include "daemon.h"

static char dir[] = "/tmp/prism-test-daemon.XXXXXX";
static char path[100];
static int sock = -1;

/* Next datagram, or "" when none arrives within ms. */
static const char *next_msg(int ms)
{
	static char buf[1024];
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	ssize_t n;

	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(sock, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int count_msgs(const char *want)
{
	int n = 0;
	const char *m;

	while (*(m = next_msg(20)))
		n += strcmp(m, want) == 0;
	return n;
}

static void test_init(void)
{
	struct rlimit rl;
	struct sigaction sa;
	sigset_t cur;

	setenv("WATCHDOG_USEC", "100000", 1);	/* ping every 50 ms */
	unsetenv("WATCHDOG_PID");
	CHECK_INT(daemon_init(), 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	CHECK(rl.rlim_cur == rl.rlim_max);
	CHECK(daemon_nofile_limit() == rl.rlim_cur);
	CHECK(sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN);
	CHECK(pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0);
	CHECK(sigismember(&cur, SIGTERM) == 1);
	CHECK(sigismember(&cur, SIGINT) == 1);
	CHECK(sigismember(&cur, SIGHUP) == 1);
}

static void test_notify(void)
{
	CHECK_INT(daemon_notify_ready("serving on :9100"), 0);
	CHECK_STR(next_msg(1000), "READY=1\nSTATUS=serving on :9100");
	CHECK_INT(daemon_notify_status("busy"), 0);
	CHECK_STR(next_msg(1000), "STATUS=busy");
	CHECK_INT(daemon_notify_ready(NULL), 0);
	CHECK_STR(next_msg(1000), "READY=1\n");
}

static void test_watchdog(void)
{
	uint64_t t0 = daemon_now_ns(), el;
	int pings;

	CHECK_INT(daemon_wait(400), 0);	/* no signal: times out */
	el = daemon_now_ns() - t0;
	CHECK(el >= 390000000ull && el < 2000000000ull);
	pings = count_msgs("WATCHDOG=1");
	/* 400 ms at one ping per 50 ms: about 8 */
	CHECK(pings >= 4 && pings <= 10);
}

static void test_signals(void)
{
	uint64_t t0 = daemon_now_ns();

	kill(getpid(), SIGTERM);
	CHECK_INT(daemon_wait(5000), SIGTERM);
	kill(getpid(), SIGHUP);
	CHECK_INT(daemon_wait(0), SIGHUP);
	kill(getpid(), SIGINT);
	CHECK_INT(daemon_wait(5000), SIGINT);
	CHECK(daemon_now_ns() - t0 < 1000000000ull);	/* pending signals return at once */
	/* SIGPIPE is ignored: a write to a closed pipe is just EPIPE */
	{
		int p[2];

		CHECK(pipe(p) == 0);
		close(p[0]);
		CHECK(write(p[1], "x", 1) < 0 && errno == EPIPE);
		close(p[1]);
	}
	CHECK_INT(daemon_notify_stopping(), 0);
	/* skip queued watchdog pings until STOPPING=1 shows */
	{
		const char *m;
		bool seen = false;

		for (int i = 0; i < 50 && !seen; i++) {
			m = next_msg(100);
			seen = strcmp(m, "STOPPING=1") == 0;
		}
		CHECK(seen);
	}
}

static void test_watchdog_other_pid(void)
{
	char pid[32];

	/* WATCHDOG_PID names another process: the watchdog is not ours */
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	CHECK_INT(daemon_init(), 0);
	while (*next_msg(50))
		;
	CHECK_INT(daemon_wait(200), 0);
	CHECK_INT(count_msgs("WATCHDOG=1"), 0);
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
}

static void test_no_socket(void)
{
	unsetenv("NOTIFY_SOCKET");
	CHECK_INT(daemon_notify_ready("x"), 0);	/* silently skipped */
	CHECK_INT(daemon_notify_stopping(), 0);
	CHECK_STR(next_msg(50), "");
	/* a socket that does not exist is an error the caller can log */
	setenv("NOTIFY_SOCKET", "/nonexistent/prism/notify", 1);
	CHECK(daemon_notify_ready("x") < 0);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/notify", dir);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	setenv("NOTIFY_SOCKET", path, 1);
	RUN(test_init);
	RUN(test_notify);
	RUN(test_watchdog);
	RUN(test_signals);
	RUN(test_watchdog_other_pid);
	RUN(test_no_socket);
	close(sock);
	unlink(path);
	rmdir(dir);
	return harness_done();
}
