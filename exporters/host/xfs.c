/*
 * xfs: per-filesystem XFS statistics from <sysfs>/fs/xfs/<device>/stats/stats
 * (Linux 4.4+; the format of /proc/fs/xfs/stat, see the kernel's
 * fs/xfs/xfs_stats.c and xfs.org's Runtime_Stats), as node_exporter 1.5's
 * xfs_linux.go with procfs' xfs.SysStats: every entry of fs/xfs that has a
 * stats/stats is a filesystem; each line is a label and numbers, lines with
 * fewer than two fields are skipped, every number must be a uint32 (xpc's
 * three: uint64), and the known labels must have their exact counts
 * (extent_alloc 4, abt 4, blk_map 7, bmbt 4, dir 4, trans 3, ig 7, log 5,
 * rw 2, attr 4, icluster 3, vnodes 7 or 8, buf 9, xpc 3).  One bad file is
 * an error for the whole collector and nothing is exported; no fs/xfs (no
 * XFS mounted or loaded) is success with no series.  "rw" is write calls,
 * then read calls (xfs_stats.c: xs_write_calls, xs_read_calls), which
 * node_exporter 1.5 reads in that order.  The 39 counters below
 * carry the peer's names and help texts, with a device label.  These
 * counters are kernel memory: no device is touched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "collector.h"
#include "util.h"

/* The lines whose counters are exported (and their required counts). */
enum { L_EXTENT_ALLOC, L_ABT, L_BLK_MAP, L_BMBT, L_DIR, L_IG, L_RW, L_VNODES, NLINES };
static const struct {
	const char *label;
	unsigned n, n2;	/* allowed counts (n2: vnodes without/with "free") */
	unsigned first;	/* index of its first value in struct fs.v */
} lines[NLINES] = {
	[L_EXTENT_ALLOC] = { "extent_alloc", 4, 4, 0 },
	[L_ABT] = { "abt", 4, 4, 4 },
	[L_BLK_MAP] = { "blk_map", 7, 7, 8 },
	[L_BMBT] = { "bmbt", 4, 4, 15 },
	[L_DIR] = { "dir", 4, 4, 19 },
	[L_IG] = { "ig", 7, 7, 23 },
	[L_RW] = { "rw", 2, 2, 30 },
	[L_VNODES] = { "vnodes", 7, 8, 32 },
};
#define NVALS 39	/* vnodes' 8th (free) is not exported */

/* Lines parsed for their counts only. */
static const struct {
	const char *label;
	unsigned n;
} checked[] = { { "trans", 3 }, { "log", 5 }, { "attr", 4 }, { "icluster", 3 }, { "buf", 9 } };

static const struct {
	const char *name, *help;
} fams[NVALS] = {
	{ "node_xfs_extent_allocation_extents_allocated_total", "Number of extents allocated for a filesystem." },
	{ "node_xfs_extent_allocation_blocks_allocated_total", "Number of blocks allocated for a filesystem." },
	{ "node_xfs_extent_allocation_extents_freed_total", "Number of extents freed for a filesystem." },
	{ "node_xfs_extent_allocation_blocks_freed_total", "Number of blocks freed for a filesystem." },
	{ "node_xfs_allocation_btree_lookups_total", "Number of allocation B-tree lookups for a filesystem." },
	{ "node_xfs_allocation_btree_compares_total", "Number of allocation B-tree compares for a filesystem." },
	{ "node_xfs_allocation_btree_records_inserted_total", "Number of allocation B-tree records inserted for a filesystem." },
	{ "node_xfs_allocation_btree_records_deleted_total", "Number of allocation B-tree records deleted for a filesystem." },
	{ "node_xfs_block_mapping_reads_total", "Number of block map for read operations for a filesystem." },
	{ "node_xfs_block_mapping_writes_total", "Number of block map for write operations for a filesystem." },
	{ "node_xfs_block_mapping_unmaps_total", "Number of block unmaps (deletes) for a filesystem." },
	{ "node_xfs_block_mapping_extent_list_insertions_total", "Number of extent list insertions for a filesystem." },
	{ "node_xfs_block_mapping_extent_list_deletions_total", "Number of extent list deletions for a filesystem." },
	{ "node_xfs_block_mapping_extent_list_lookups_total", "Number of extent list lookups for a filesystem." },
	{ "node_xfs_block_mapping_extent_list_compares_total", "Number of extent list compares for a filesystem." },
	{ "node_xfs_block_map_btree_lookups_total", "Number of block map B-tree lookups for a filesystem." },
	{ "node_xfs_block_map_btree_compares_total", "Number of block map B-tree compares for a filesystem." },
	{ "node_xfs_block_map_btree_records_inserted_total", "Number of block map B-tree records inserted for a filesystem." },
	{ "node_xfs_block_map_btree_records_deleted_total", "Number of block map B-tree records deleted for a filesystem." },
	{ "node_xfs_directory_operation_lookup_total", "Number of file name directory lookups which miss the operating systems directory name lookup cache." },
	{ "node_xfs_directory_operation_create_total", "Number of times a new directory entry was created for a filesystem." },
	{ "node_xfs_directory_operation_remove_total", "Number of times an existing directory entry was created for a filesystem." },
	{ "node_xfs_directory_operation_getdents_total", "Number of times the directory getdents operation was performed for a filesystem." },
	{ "node_xfs_inode_operation_attempts_total", "Number of times the OS looked for an XFS inode in the inode cache." },
	{ "node_xfs_inode_operation_found_total", "Number of times the OS looked for and found an XFS inode in the inode cache." },
	{ "node_xfs_inode_operation_recycled_total", "Number of times the OS found an XFS inode in the cache, but could not use it as it was being recycled." },
	{ "node_xfs_inode_operation_missed_total", "Number of times the OS looked for an XFS inode in the cache, but did not find it." },
	{ "node_xfs_inode_operation_duplicates_total", "Number of times the OS tried to add a missing XFS inode to the inode cache, but found it had already been added by another process." },
	{ "node_xfs_inode_operation_reclaims_total", "Number of times the OS reclaimed an XFS inode from the inode cache to free memory for another purpose." },
	{ "node_xfs_inode_operation_attribute_changes_total", "Number of times the OS explicitly changed the attributes of an XFS inode." },
	{ "node_xfs_write_calls_total", "Number of write(2) system calls made to files in a filesystem." },
	{ "node_xfs_read_calls_total", "Number of read(2) system calls made to files in a filesystem." },
	{ "node_xfs_vnode_active_total", "Number of vnodes not on free lists for a filesystem." },
	{ "node_xfs_vnode_allocate_total", "Number of times vn_alloc called for a filesystem." },
	{ "node_xfs_vnode_get_total", "Number of times vn_get called for a filesystem." },
	{ "node_xfs_vnode_hold_total", "Number of times vn_hold called for a filesystem." },
	{ "node_xfs_vnode_release_total", "Number of times vn_rele called for a filesystem." },
	{ "node_xfs_vnode_reclaim_total", "Number of times vn_reclaim called for a filesystem." },
	{ "node_xfs_vnode_remove_total", "Number of times vn_remove called for a filesystem." },
};

struct fs {
	size_t name;		/* offset in the names buffer */
	uint32_t v[NVALS];
};

/* strconv.ParseUint(s, 10, bits): digits only, within range. */
static int parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

/* Parse one stats file (in b) into f. */
static int parse(struct collector_ctx *c, const char *path, char *data, struct fs *f)
{
	char *cur = data, *line;

	while ((line = pf_next_line(&cur))) {
		char *fl[64];
		size_t n = pf_split(line, fl, 64), k;
		uint64_t u[64];
		bool xpc;

		if (n < 2)
			continue;
		xpc = strcmp(fl[0], "xpc") == 0;
		for (k = 1; k < n; k++)
			if (parse_uint(fl[k], xpc ? UINT64_MAX : UINT32_MAX, &u[k - 1]) < 0)
				return ctx_error(c, -EINVAL, "%s: \"%s\": not a uint%d: %.30s", path, fl[0],
						 xpc ? 64 : 32, fl[k]);
		n--;
		if (xpc) {
			if (n != 3)
				goto count;
			continue;
		}
		for (k = 0; k < sizeof(checked) / sizeof(checked[0]); k++)
			if (!strcmp(fl[0], checked[k].label) && n != checked[k].n)
				goto count;
		for (k = 0; k < NLINES; k++) {
			if (strcmp(fl[0], lines[k].label))
				continue;
			if (n != lines[k].n && n != lines[k].n2)
				goto count;
			for (size_t i = 0; i < lines[k].n; i++)
				f->v[lines[k].first + i] = (uint32_t)u[i];
		}
		continue;
count:
		return ctx_error(c, -EINVAL, "%s: incorrect number of values for XFS \"%s\" stats: %zu", path,
				 fl[0], n);
	}
	return 0;
}

static int collect_xfs(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const dl[] = { "device", NULL };
	struct rbuf *b = c->rb[0], *names = c->rb[1], *arr = c->rb[2];
	char dir[PATH_MAX];
	struct dirent *de;
	struct fs *fss;
	size_t nfs = 0;
	int r = 0, dfd;
	DIR *d;

	if ((r = pf_path(dir, sizeof(dir), c->cfg->sysfs, "fs/xfs")) < 0)
		return ctx_error(c, r, "%s/fs/xfs: path too long", c->cfg->sysfs);
	if (!(d = opendir(dir)))
		return 0;	/* filepath.Glob: no matches */
	dfd = dirfd(d);
	names->len = 0;
	while ((de = readdir(d))) {
		char rel[NAME_MAX + 32], path[PATH_MAX];
		size_t nl = strlen(de->d_name);
		struct stat st;
		struct fs *f;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* Glob's match: <name>/stats a directory holding an entry "stats" */
		snprintf(rel, sizeof(rel), "%s/stats", de->d_name);
		if (fstatat(dfd, rel, &st, 0) < 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(rel, sizeof(rel), "%s/stats/stats", de->d_name);
		if (fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if ((r = rbuf_reserve(arr, (nfs + 1) * sizeof(struct fs))) < 0 ||
		    (r = rbuf_reserve(names, names->len + nl + 1)) < 0) {
			r = ctx_error(c, r, "too many XFS filesystems");
			break;
		}
		f = (struct fs *)(void *)arr->data + nfs;
		memset(f, 0, sizeof(*f));
		f->name = names->len;
		memcpy(names->data + names->len, de->d_name, nl + 1);
		names->len += nl + 1;
		if ((size_t)snprintf(path, sizeof(path), "%.*s/%s", PATH_MAX - NAME_MAX - 40, dir, rel) >=
		    sizeof(path) || (r = pf_read_quiet(b, path)) < 0) {
			r = r < 0 ? r : -ENAMETOOLONG;
			r = ctx_error(c, r, "failed to retrieve XFS stats: %s: %s", path, strerror(-r));
			break;
		}
		if ((r = parse(c, path, b->data, f)) < 0)
			break;
		nfs++;
	}
	closedir(d);
	if (r < 0)
		return r;
	fss = (struct fs *)(void *)arr->data;
	for (size_t k = 0; k < NVALS && nfs; k++) {
		if ((r = writer_family(w, fams[k].name, METRIC_COUNTER, fams[k].help, dl)) < 0)
			return r;
		for (size_t i = 0; i < nfs; i++)
			(void)writer_sample_u64(w, (const char *const[]){ names->data + fss[i].name }, fss[i].v[k]);
	}
	return 0;
}

const struct collector collector_xfs = {
	.name = "xfs", .default_on = true, .collect = collect_xfs, .src = SRC_SYSFS,
};
