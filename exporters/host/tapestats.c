/*
 * tapestats: SCSI tape statistics from <sysfs>/class/scsi_tape/st<N>/stats/
 * (Documentation/scsi/st.rst, "Sysfs and statistics for tape devices"), as
 * node_exporter 1.5's tapestats_linux.go with procfs' SCSITapeClass: only
 * entries named st<digits> (not the nst/st<N>a/l/m mode nodes), every file of
 * their stats directory is read (one read of at most 128 bytes, trimmed) and
 * the ten known ones parsed as Go's ParseUint(s, 0, 64) (decimal, 0x, 0o, 0b
 * or a leading-0 octal).  Times are ns, exported as seconds (x * 1e-9 as the
 * peer computes it).  --collector.tapestats.ignored-devices (default ^$)
 * drops devices by name.  No class/scsi_tape or a tape without stats: no
 * data; an unreadable file: an error; either way nothing is exported.  A
 * value that is no number is an error here (node_exporter 1.5 dereferences
 * a nil pointer on it and the process dies).  The counters are kept by the
 * st driver in memory: no command goes to the drive.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "util.h"

static struct host_regex ignored;

enum { IN_FLIGHT, IO_NS, OTHER_CNT, READ_BYTE_CNT, READ_CNT, READ_NS, RESID_CNT, WRITE_BYTE_CNT,
       WRITE_CNT, WRITE_NS, NCNT };
static const char *const files[NCNT] = {
	"in_flight", "io_ns", "other_cnt", "read_byte_cnt", "read_cnt", "read_ns", "resid_cnt",
	"write_byte_cnt", "write_cnt", "write_ns",
};
static const struct {
	int cnt;
	enum metric_type type;
	bool ns;
	const char *name, *help;
} fams[NCNT] = {
	{ IN_FLIGHT, METRIC_GAUGE, false, "node_tape_io_now", "The number of I/Os currently outstanding to this device." },
	{ IO_NS, METRIC_COUNTER, true, "node_tape_io_time_seconds_total", "The amount of time spent waiting for all I/O to complete (including read and write). This includes tape movement commands such as seeking between file or set marks and implicit tape movement such as when rewind on close tape devices are used." },
	{ OTHER_CNT, METRIC_COUNTER, false, "node_tape_io_others_total", "The number of I/Os issued to the tape drive other than read or write commands. The time taken to complete these commands uses the following calculation io_time_seconds_total-read_time_seconds_total-write_time_seconds_total" },
	{ READ_BYTE_CNT, METRIC_COUNTER, false, "node_tape_read_bytes_total", "The number of bytes read from the tape drive." },
	{ READ_CNT, METRIC_COUNTER, false, "node_tape_reads_completed_total", "The number of read requests issued to the tape drive." },
	{ READ_NS, METRIC_COUNTER, true, "node_tape_read_time_seconds_total", "The amount of time spent waiting for read requests to complete." },
	{ RESID_CNT, METRIC_COUNTER, false, "node_tape_residual_total", "The number of times during a read or write we found the residual amount to be non-zero. This should mean that a program is issuing a read larger thean the block size on tape. For write not all data made it to tape." },
	{ WRITE_BYTE_CNT, METRIC_COUNTER, false, "node_tape_written_bytes_total", "The number of bytes written to the tape drive." },
	{ WRITE_CNT, METRIC_COUNTER, false, "node_tape_writes_completed_total", "The number of write requests issued to the tape drive." },
	{ WRITE_NS, METRIC_COUNTER, true, "node_tape_write_time_seconds_total", "The amount of time spent waiting for write requests to complete." },
};

struct tape {
	char name[NAME_MAX + 1];
	uint64_t v[NCNT];
};

/* strconv.ParseUint(s, 0, 64): a base prefix (0x, 0o, 0b, or 0 for octal),
 * digits of that base, underscores only between digits or after a prefix. */
static int parse_u64_base0(const char *s, uint64_t *ret)
{
	unsigned base = 10;
	uint64_t v = 0;
	bool digit = false, prefix = false;
	char prev = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2, prefix = true;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2, prefix = true;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2, prefix = true;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1, prefix = true, digit = true;
	if (!*s && !digit)
		return -EINVAL;
	for (; *s; prev = *s++) {
		unsigned d;

		if (*s == '_') {
			if (!(prev ? (prev != '_') : prefix))
				return -EINVAL;
			continue;
		}
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'z')
			d = (unsigned)(*s - 'a') + 10;
		else if (*s >= 'A' && *s <= 'Z')
			d = (unsigned)(*s - 'A') + 10;
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
		digit = true;
	}
	if (prev == '_' || !digit)
		return -EINVAL;
	*ret = v;
	return 0;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/* Every file of <dir>/stats (util.SysReadFile), the known ones into t. */
static int read_stats(struct collector_ctx *c, const char *dir, struct tape *t)
{
	char sdir[PATH_MAX];
	struct dirent *de;
	int r = 0;
	DIR *d;

	if ((size_t)snprintf(sdir, sizeof(sdir), "%s/%s/stats", dir, t->name) >= sizeof(sdir))
		return ctx_error(c, -ENAMETOOLONG, "%s/%s/stats: path too long", dir, t->name);
	if (!(d = opendir(sdir)))
		return errno == ENOENT ? -ENOENT : ctx_error(c, -errno, "%s: %s", sdir, strerror(errno));
	while ((de = readdir(d)) && r >= 0) {
		char buf[129], *s, *e;
		ssize_t n;
		int fd, k;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		n = fd < 0 ? -1 : read(fd, buf, 128);
		if (n < 0) {
			r = ctx_error(c, -errno, "failed to read file \"%s/%s\": %s", sdir, de->d_name, strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
		close(fd);
		buf[n] = '\0';
		for (s = buf; is_space(*s); s++)
			;
		for (e = s + strlen(s); e > s && is_space(e[-1]); e--)
			;
		*e = '\0';
		for (k = 0; k < NCNT; k++)
			if (!strcmp(de->d_name, files[k]))
				break;
		if (k < NCNT && parse_u64_base0(s, &t->v[k]) < 0)
			r = ctx_error(c, -EINVAL, "%s/%s: not an unsigned integer: \"%s\"", sdir, de->d_name, s);
	}
	closedir(d);
	return r;
}

static bool tape_name(const char *s)
{
	if (s[0] != 's' || s[1] != 't' || !s[2])
		return false;
	for (s += 2; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int collect_tapestats(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const dl[] = { "device", NULL };
	struct rbuf *arr = c->rb[0];
	char dir[PATH_MAX];
	struct dirent *de;
	struct tape *tapes;
	size_t nt = 0;
	int r = 0;
	DIR *d;

	if ((r = pf_path(dir, sizeof(dir), c->cfg->sysfs, "class/scsi_tape")) < 0)
		return ctx_error(c, r, "%s/class/scsi_tape: path too long", c->cfg->sysfs);
	if (!(d = pf_opendir(dir)))
		return errno == ENOENT ? -ENODATA
				       : ctx_error(c, -errno, "error obtaining SCSITape class info: %s: %s", dir,
						   strerror(errno));
	while ((de = readdir(d))) {
		struct tape *t;

		if (!tape_name(de->d_name))
			continue;
		if ((r = rbuf_reserve(arr, (nt + 1) * sizeof(struct tape))) < 0) {
			r = ctx_error(c, r, "too many tapes");
			break;
		}
		t = (struct tape *)(void *)arr->data + nt;
		memset(t, 0, sizeof(*t));
		memcpy(t->name, de->d_name, strlen(de->d_name) + 1);
		if ((r = read_stats(c, dir, t)) < 0)
			break;
		if (!host_regex_match(&ignored, t->name))
			nt++;
	}
	closedir(d);
	if (r == -ENOENT)
		return -ENODATA;	/* a tape without its stats directory */
	if (r < 0)
		return r;
	tapes = (struct tape *)(void *)arr->data;
	for (size_t f = 0; f < NCNT && nt; f++) {
		if ((r = writer_family(w, fams[f].name, fams[f].type, fams[f].help, dl)) < 0)
			return r;
		for (size_t i = 0; i < nt; i++) {
			const char *lv[] = { tapes[i].name };
			uint64_t v = tapes[i].v[fams[f].cnt];

			if (fams[f].ns)
				(void)writer_sample(w, lv, (double)v * 0.000000001);
			else
				(void)writer_sample_u64(w, lv, v);
		}
	}
	return 0;
}

static const struct flag tapestats_flags[] = {
	{ .name = "collector.tapestats.ignored-devices", .type = FLAG_STRING, .dst = &ignored.src,
	  .def = "^$", .help = "Regexp of devices to ignore for tapestats.",
	  .check = host_regex_flag_check },
};

static void tapestats_teardown(void)
{
	host_regex_free(&ignored);
}

const struct collector collector_tapestats = {
	.name = "tapestats", .default_on = true, .collect = collect_tapestats, .src = SRC_SYSFS,
	COLLECTOR_FLAGS(tapestats_flags), .teardown = tapestats_teardown,
};
