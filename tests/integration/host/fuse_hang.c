/*
 * fuse_hang: run a command in a private mount namespace where MOUNTPOINT is a
 * FUSE mount whose daemon never answers, so statfs(2) on it blocks (the
 * kernel waits for the FUSE_INIT reply) — a stand-in for a stale NFS mount.
 *
 *   fuse_hang MOUNTPOINT CMD [ARGS...]
 *
 * Needs root and /dev/fuse.  Exits 77 (skip) when FUSE cannot be mounted.
 * On SIGTERM/SIGINT the connection is aborted first (closing /dev/fuse makes
 * blocked calls fail with ENOTCONN, so the command can exit cleanly, even
 * under LeakSanitizer, which must stop every thread), then the signal is
 * passed on.  When CMD exits, the namespace goes away with us.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	char opts[128];
	int fd, st;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: fuse_hang MOUNTPOINT CMD [ARGS...]\n");
		return 2;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "fuse_hang: private mount namespace: %s\n", strerror(errno));
		return 77;
	}
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fuse_hang: /dev/fuse: %s\n", strerror(errno));
		return 77;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount("fuse_hang", argv[1], "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		fprintf(stderr, "fuse_hang: mount fuse on %s: %s\n", argv[1], strerror(errno));
		return 77;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waitpid returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return 1;
		if (got_signal) {
			if (fd >= 0)
				close(fd);	/* abort the connection: statfs returns */
			fd = -1;
			kill(pid, got_signal);
			got_signal = 0;
		}
	}
	if (fd >= 0)
		close(fd);
	umount2(argv[1], MNT_DETACH);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
