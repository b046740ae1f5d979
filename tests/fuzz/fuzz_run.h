/*
 * fuzz_run: what a fuzz target gives the replay driver (fuzz_run.c)
 * besides libFuzzer's entry point: its seed inputs.
 */
#ifndef SA_TESTS_FUZZ_RUN_H
#define SA_TESTS_FUZZ_RUN_H

#include <stddef.h>
#include <stdint.h>

typedef int (*fuzz_seed_fn)(void *arg, const char *name, const uint8_t *data,
    size_t len);

/* Calls fn for each seed (data borrowed); 0 or fn's first nonzero. */
int	fuzz_seeds(fuzz_seed_fn fn, void *arg);
/* libFuzzer's entry point; aborts when an invariant breaks. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
