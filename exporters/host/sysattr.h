/*
 * Reading single-value sysfs attributes the way the procfs library of
 * node_exporter 1.5 does (util.SysReadFile: one read, whitespace trimmed;
 * util.ReadUintFromFile: that, then a strict decimal), and listing a
 * directory's entries.  Used by the hardware collectors (cpufreq, hwmon,
 * thermal_zone, powersupplyclass, rapl, dmi, edac).  Thread-safety: pure;
 * the buffer given is the caller's (a worker's ctx->rb[]).
 */
#ifndef HOST_SYSATTR_H
#define HOST_SYSATTR_H

#include <dirent.h>
#include <stdint.h>

#include "collector.h"

/* Read path into b and return the content with leading and trailing
 * whitespace removed (points into b) in *out; 0 or negative errno. */
int sa_read_str(struct rbuf *b, const char *path, char **out);
/* sa_read_str, then an unsigned decimal: -EINVAL if it is not one. */
int sa_read_u64(struct rbuf *b, const char *path, uint64_t *v);
/* sa_read_str, then a signed decimal (strconv.ParseInt(s, 10, 64)). */
int sa_read_i64(struct rbuf *b, const char *path, int64_t *v);
/* strconv.ParseInt(s, 10, 64) of a whole token: 0 or -EINVAL/-ERANGE. */
int sa_i64(const char *s, int64_t *v);
/* Go's strings.TrimSpace, in place: returns the start, ends it with NUL. */
char *sa_trim(char *s);

/* Entries of dir (without . and ..), filtered, sorted by name (Go's
 * ReadDir/Glob order): count or negative errno; free with sa_free_list. */
int sa_list(const char *dir, int (*filter)(const struct dirent *), struct dirent ***out);
void sa_free_list(struct dirent **ents, int n);

#endif
