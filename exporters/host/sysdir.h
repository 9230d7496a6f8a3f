/*
 * sysdir: what the sysfs collectors (netclass, bonding, infiniband,
 * fibrechannel) share: a directory listing into reused buffers (getdents64,
 * nothing allocated per scrape once the buffers have grown) and the read of
 * one attribute as the procfs library of node_exporter 1.5 does it
 * (util.SysReadFile: one read(2) of at most 128 bytes, surrounding white
 * space trimmed), and Go's strconv.ParseInt(s, 0, 64).
 * Thread-safety: pure, buffers are the caller's.
 */
#ifndef HOST_SYSDIR_H
#define HOST_SYSDIR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "collector.h"

/* One entry of a listing. */
struct sd_ent {
	const char *name;
	uint64_t ino;		/* d_ino: on sysfs, the kernfs node of the entry */
	unsigned char type;	/* DT_DIR, DT_LNK, DT_REG, ... (never DT_UNKNOWN) */
};

/*
 * List the directory path (without "." and "..") sorted by name (byte
 * order, as Go's os.ReadDir): names are kept in names, the entries in ents
 * (an array of struct sd_ent, *n of them).  0 or negative errno (open or
 * getdents64 failed, -ENOMEM).
 */
int sd_list(const char *path, struct rbuf *names, struct rbuf *ents, size_t *n);

/*
 * A directory listed on every scrape (devices/system/cpu, class/net, ...)
 * whose descriptor is kept open when it is on sysfs: the next listing
 * rewinds it (lseek 0) instead of walking the path again; kernfs lists the
 * children as they are at that moment, so a CPU or device added or removed
 * shows as it would with a fresh open.  A kept listing that fails or comes
 * out empty (the directory itself removed) is made again from the path.
 * Anything not on sysfs (fixture trees) is listed afresh every time.
 * Thread-safety: any thread; a concurrent scrape finding the descriptor
 * taken lists afresh.  SD_KDIR_INIT initialises; sd_kdir_close at teardown.
 */
struct sd_kdir {
	_Atomic int fd;		/* -1: none kept */
	_Atomic bool nokeep;	/* the path is not on sysfs */
};
#define SD_KDIR_INIT { -1, false }
/* sd_list of path through k: 1 when listed through a descriptor on sysfs
 * (the path was on sysfs when it was opened), 0 when listed afresh
 * elsewhere, or negative errno. */
int sd_list_keep(struct sd_kdir *k, const char *path, struct rbuf *names, struct rbuf *ents,
		 size_t *n);
void sd_kdir_close(struct sd_kdir *k);

/* SysReadFile of <dir>/<name> into out (at least SD_ATTR_MAX + 1 bytes):
 * 0 or negative errno (of open or read). */
#define SD_ATTR_MAX 128
int sd_read_attr(const char *dir, const char *name, char *out);

/*
 * Kept attribute descriptors for the devices of one sysfs class directory
 * (netclass: 22 attributes per device; an open walks the class symlink and
 * the device path, which cost more than the read).  Only on a real sysfs:
 * there an attribute regenerates on every pread from offset 0
 * (fs/kernfs/file.c), and a removed device's kept descriptors answer
 * ENODEV.  Fixture trees (regular files, replaced by rename) are read
 * afresh.
 *
 * A device's descriptors are tied to its entry in the class listing of the
 * same scrape: name and d_ino (the kernfs node of the class symlink, new for
 * every device that is added, kept by a rename).  A device renamed, removed
 * or replaced under the same name gets a new slot or is closed: the next
 * scrape reads the device the name names now, as a fresh open would.  A
 * read that fails with ENODEV is retried once with a fresh open.
 *
 * Thread-safety: one scrape uses the table at a time (a try-lock: a
 * concurrent scrape reads afresh instead of waiting).
 */
#define SD_KEEP_DEVS 32
#define SD_KEEP_ATTRS 24
struct sd_kdev {
	char name[32];		/* "" = free */
	uint64_t ino;
	uint32_t gen;		/* scrape that last listed it */
	int fd[SD_KEEP_ATTRS];	/* -1: not open */
};
struct sd_keep {
	_Atomic bool busy;
	uint32_t gen;
	struct sd_kdev dev[SD_KEEP_DEVS];
};
/* Take the table for this scrape if classdir is on sysfs (on_sysfs: known
 * to be, from sd_list_keep; else asked of statfs) and nobody holds it:
 * true, then sd_keep_end() is due. */
bool sd_keep_begin(struct sd_keep *k, const char *classdir, bool on_sysfs);
/* The slot for the listed entry e (new or revalidated), NULL when full or
 * the name is too long (then read afresh). */
struct sd_kdev *sd_keep_dev(struct sd_keep *k, const struct sd_ent *e);
/* sd_read_attr of <dir>/<name> through slot d's descriptor idx (d may be
 * NULL: afresh). */
int sd_keep_read(struct sd_kdev *d, unsigned idx, const char *dir, const char *name, char *out);
/* Close the descriptors of devices this scrape did not list; release. */
void sd_keep_end(struct sd_keep *k);
/* Close everything (teardown). */
void sd_keep_free(struct sd_keep *k);

/* Go's strconv.ParseInt(s, 0, 64): sign, 0x/0o/0b/0 prefixes, underscores
 * between digits; 0 or -EINVAL/-ERANGE. */
int sd_parse_int(const char *s, int64_t *ret);
/* strconv.ParseUint(s, 10, 64) */
int sd_parse_uint(const char *s, uint64_t *ret);
/* strconv.ParseUint(s, 0, 64): no sign, prefixes as sd_parse_int */
int sd_parse_uint0(const char *s, uint64_t *ret);

#endif
