/*
 * replay: runs a fuzz harness over its checked-in corpus, as an ordinary
 * test in `make check` (built without -fsanitize=fuzzer; libFuzzer's own
 * main replaces this one in `make fuzz`).
 *
 * The corpus is $SRC_DIR/tests/fuzz/corpus/<name>/, <name> being this
 * executable's name without its "fuzz_" prefix.  Exit 0 when every input
 * ran (a broken invariant aborts), 1 when the corpus is missing or empty:
 * a harness with nothing to replay guards nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int replay_one(const char *path)
{
	FILE *f = fopen(path, "rbe");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0, n;
	int r = -1;

	if (!f)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			unsigned char *nd = realloc(data, cap ? cap * 2 : 8192);

			if (!nd)
				goto out;
			data = nd;
			cap = cap ? cap * 2 : 8192;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		goto out;
	/* libFuzzer hands the harness exactly len bytes: so does this */
	{
		unsigned char *exact = malloc(len ? len : 1);

		if (!exact)
			goto out;
		memcpy(exact, data, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	r = 0;
out:
	free(data);
	fclose(f);
	return r;
}

int main(int argc, char **argv)
{
	const char *src = getenv("SRC_DIR"), *base = strrchr(argv[0], '/');
	char dir[4096], path[8192];
	struct dirent *de;
	int ran = 0, failed = 0;
	DIR *d;

	(void)argc;
	base = base ? base + 1 : argv[0];
	if (strncmp(base, "fuzz_", 5) == 0)
		base += 5;
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src ? src : ".", base);
	d = opendir(dir);
	if (!d) {
		printf("not ok 1 - corpus %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (replay_one(path) < 0) {
			printf("not ok - cannot read %s\n", path);
			failed++;
		}
		ran++;
	}
	closedir(d);
	printf("# replayed %d inputs from %s\n", ran, dir);
	printf("%s 1 - corpus replayed\n1..1\n", ran > 0 && !failed ? "ok" : "not ok");
	return ran > 0 && !failed ? 0 : 1;
}
