/*
 * Go-compatible tokenising and number parsing for the collectors that
 * mirror node_exporter's procfs parsers (softnet, schedstat, arp, ipvs,
 * nfs, nfsd): strings.Fields over one line and strconv.ParseUint with an
 * explicit base and bit size (no sign, no 0x prefix, no underscores).
 * Pure functions; thread-safe.
 */
#ifndef HOST_GOFIELDS_H
#define HOST_GOFIELDS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline int go_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/*
 * strings.Fields in place: NUL-terminates the first max fields of s into f[]
 * and returns how many fields s has in all (may exceed max; fields past max
 * are left untouched).
 */
static inline size_t go_fields(char *s, char **f, size_t max)
{
	size_t n = 0;

	for (;;) {
		while (*s && go_space(*s))
			s++;
		if (!*s)
			return n;
		if (n < max)
			f[n] = s;
		while (*s && !go_space(*s))
			s++;
		if (n++ < max && *s)
			*s++ = '\0';
	}
}

/* strconv.ParseUint(s, base, bits) for base 10 or 16: 0, -EINVAL or -ERANGE. */
static inline int go_parse_uint(const char *s, int base, int bits, uint64_t *ret)
{
	uint64_t v = 0, max = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > (max - d) / (unsigned)base)
			return -ERANGE;
		v = v * (unsigned)base + d;
	}
	*ret = v;
	return 0;
}

/*
 * procfs's util.ParseUint64s over the fields of a "key v1 v2 ..." line:
 * parses every field after the key (base 10), storing the first max in v;
 * returns how many there are, or -EINVAL if one is not a uint64.  The
 * fields past the first nf stored in f[] are found again in the line
 * (go_fields NUL-ends only those), so any count is validated.
 */
static inline long go_line_u64s(char *line, uint64_t *v, size_t max)
{
	size_t n = 0;
	char *s = line;
	bool key = true;

	for (;;) {
		char *tok, save;
		uint64_t x;

		while (*s && go_space(*s))
			s++;
		if (!*s)
			return (long)n;
		tok = s;
		while (*s && !go_space(*s))
			s++;
		save = *s;
		*s = '\0';
		if (key) {
			key = false;
		} else {
			if (go_parse_uint(tok, 10, 64, &x) < 0)
				return -EINVAL;
			if (n < max)
				v[n] = x;
			n++;
		}
		*s = save;
	}
}

/* Drop one trailing '\r' (bufio.ScanLines does). */
static inline void go_trim_cr(char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		line[len - 1] = '\0';
}

#endif
