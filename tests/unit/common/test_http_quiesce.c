/*
 * http_server_quiesce: the listen socket libmicrohttpd hands back.
 *
 * MHD_quiesce_daemon's contract (0.9.75): its threads drop the socket "with
 * some delay", so it must not be closed before MHD_stop_daemon.  Quiesce
 * used to close it at once: a worker still in accept4() raced with the
 * close (ThreadSanitizer reported it now and then), and the descriptor
 * number could be handed to the next open() while MHD still held it.
 * Checked here: after quiesce the descriptor is still ours and no longer
 * listening (a new connection is refused at once), and it is closed by
 * http_server_free (also run under ThreadSanitizer by make tsan).
 *
 * Not tested here: a quiesce while the pool's threads loop (clients
 * connecting as fast as they can).  libmicrohttpd 0.9.75 itself races
 * there: MHD_quiesce_daemon and a worker's MHD_epoll both remove the listen
 * socket from the worker's epoll set, and the loser of that race calls
 * MHD_PANIC ("Failed to remove listen FD from epoll set", daemon.c:5531 or
 * 4976), which aborts; the same code is in libmicrohttpd's master.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../harness.h"
#include "daemon.h"
#include "http.h"

static void h_hello(struct http_request *r, void *ctx)
{
	(void)ctx;
	http_respond(r, 200, "text/plain", "hello", 5);
}

static const struct http_route routes[] = {
	{ "GET", "/hello", h_hello, NULL },
};

static struct http_server *start(unsigned threads)
{
	struct http_config c;
	struct http_server *s;

	http_config_defaults(&c);
	c.threads = threads;
	s = http_server_new(&c, routes, 1);
	if (!s)
		return NULL;
	if (http_server_listen(s, "127.0.0.1:0") < 0 || http_server_start(s) < 0) {
		http_server_free(s);
		return NULL;
	}
	return s;
}

/* 0 connected (closed again), or -errno of connect(). */
static int try_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* The descriptor of our TCP socket bound to 127.0.0.1:port, or -1. */
static int find_bound(int port)
{
	for (int fd = 0; fd < 4096; fd++) {
		struct sockaddr_in a;
		socklen_t al = sizeof(a);
		int type;
		socklen_t tl = sizeof(type);

		if (fcntl(fd, F_GETFD) < 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
			continue;
		if (getsockname(fd, (struct sockaddr *)&a, &al) < 0 || a.sin_family != AF_INET)
			continue;
		if (ntohs(a.sin_port) == port && ntohl(a.sin_addr.s_addr) == INADDR_LOOPBACK)
			return fd;
	}
	return -1;
}

static int accept_conn(int fd)
{
	int v = -1;
	socklen_t vl = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) < 0)
		return -errno;
	return v;
}

static void test_fd_kept_until_free(void)
{
	struct http_server *s = start(2);
	int port, lfd, fd2;

	CHECK(s != NULL);
	if (!s)
		return;
	port = http_server_port(s, 0);
	lfd = find_bound(port);
	CHECK(lfd >= 0);
	CHECK_INT(accept_conn(lfd), 1);
	http_server_quiesce(s);
	/* still open and ours, no longer listening: refused at once */
	CHECK(fcntl(lfd, F_GETFD) >= 0);
	CHECK_INT(accept_conn(lfd), 0);
	CHECK_INT(try_connect(port), -ECONNREFUSED);
	/* the next descriptor opened is not the one MHD may still touch */
	fd2 = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd2 >= 0 && fd2 != lfd);
	if (fd2 >= 0)
		close(fd2);
	http_server_quiesce(s);		/* idempotent: nothing closed twice */
	CHECK(fcntl(lfd, F_GETFD) >= 0);
	CHECK_INT(http_server_drain(s, 5000), 0);
	http_server_free(s);
	/* closed by free, after MHD_stop_daemon */
	CHECK(fcntl(lfd, F_GETFD) < 0 && errno == EBADF);
}

int main(void)
{
	RUN(test_fd_kept_until_free);
	return harness_done();
}
