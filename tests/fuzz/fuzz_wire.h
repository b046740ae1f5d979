/*
 * fuzz_wire: the libFuzzer target for proto/ and what its replay driver
 * needs. An input is one whole message, as ZeroMQ would deliver it: it is
 * decoded as a BATCH, as an ACK, and walked value by value with the
 * mp_read_* readers (fuzz_wire.c says what is checked).
 */
#ifndef SA_TESTS_FUZZ_WIRE_H
#define SA_TESTS_FUZZ_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Called once per seed; data is borrowed for the call. Nonzero stops. */
typedef int (*fuzz_wire_seed_fn)(void *arg, const char *name,
    const uint8_t *data, size_t len);

/*
 * Produces the seed inputs (valid BATCH and ACK encodings, and MessagePack
 * values of every type the readers know). Returns 0 or the first nonzero
 * result of fn.
 */
int	fuzz_wire_seeds(fuzz_wire_seed_fn fn, void *arg);

/* libFuzzer's entry point; aborts when an invariant breaks. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
