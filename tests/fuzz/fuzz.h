/*
 * fuzz: the entry point every harness in tests/fuzz/ implements.
 *
 * Built two ways (tests/fuzz/fuzz.mk): with clang -fsanitize=fuzzer for
 * `make fuzz` (libFuzzer provides main), and with the normal compiler plus
 * replay.c for `make check`, which runs the harness over its checked-in
 * corpus (tests/fuzz/corpus/<name>/) so every input a fuzzer once found
 * stays a regression test.  A harness aborts (assert/abort) on a broken
 * invariant; it never exits.
 */
#ifndef PRISM_FUZZ_H
#define PRISM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data (the parsers take C strings); caller frees. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/*
 * The harnesses' own UTF-8 oracle (RFC 3629), written independently of
 * common/utf8.h: the length of the well-formed sequence at s, 0 if none
 * (s is NUL-terminated; a cut sequence stops at the NUL), and whether all
 * of the string str is well-formed.
 */
size_t fuzz_utf8_len(const unsigned char *s);
bool fuzz_utf8_valid(const char *str);

#endif
