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

#include <stdint.h>

#include "collector.h"

/* One entry of a listing. */
struct sd_ent {
	const char *name;
	unsigned char type;	/* DT_DIR, DT_LNK, DT_REG, ... (never DT_UNKNOWN) */
};

/*
 * List the directory path (without "." and "..") sorted by name (byte
 * order, as Go's os.ReadDir): names are kept in names, the entries in ents
 * (an array of struct sd_ent, *n of them).  0 or negative errno (open or
 * getdents64 failed, -ENOMEM).
 */
int sd_list(const char *path, struct rbuf *names, struct rbuf *ents, size_t *n);

/* SysReadFile of <dir>/<name> into out (at least SD_ATTR_MAX + 1 bytes):
 * 0 or negative errno (of open or read). */
#define SD_ATTR_MAX 128
int sd_read_attr(const char *dir, const char *name, char *out);

/* Go's strconv.ParseInt(s, 0, 64): sign, 0x/0o/0b/0 prefixes, underscores
 * between digits; 0 or -EINVAL/-ERANGE. */
int sd_parse_int(const char *s, int64_t *ret);
/* strconv.ParseUint(s, 10, 64) */
int sd_parse_uint(const char *s, uint64_t *ret);
/* strconv.ParseUint(s, 0, 64): no sign, prefixes as sd_parse_int */
int sd_parse_uint0(const char *s, uint64_t *ret);

#endif
