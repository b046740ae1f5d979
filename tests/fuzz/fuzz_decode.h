/*
 * fuzz_decode: the input format shared by the libFuzzer target and the
 * plain-C replay driver. An input is
 *
 *   dlt(1) { caplen(2) wire_extra(2) ts_step(1) bytes(caplen) }...
 *
 * dlt picks a link type from FUZZ_DECODE_DLTS (modulo); each record is one
 * frame with wirelen = caplen + wire_extra, arriving ts_step * 50 ms after
 * the previous one (big-endian fields; a short last record is cut to what
 * is left). All frames of an input go through one cap_engine, so the
 * fragment and session tables are fuzzed along with the decoder.
 */
#ifndef SA_TESTS_FUZZ_DECODE_H
#define SA_TESTS_FUZZ_DECODE_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_DECODE_REC_HDR	5
#define FUZZ_DECODE_STEP_NS	50000000ULL

/* The link types, in selector order. */
extern const int fuzz_decode_dlts[];
extern const size_t fuzz_decode_ndlts;

/* The selector byte for a DLT, or -1 if decode does not support it. */
int	fuzz_decode_dlt_index(int dlt);

/* libFuzzer's entry point; aborts when an invariant breaks. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
