// fuzz_arena — an arena file as a hostile user or a damaged disk may hand it over,
// whole: libFuzzer mutates every byte of it (tests/fuzz/inspect_arena.h says what is
// done with it). fuzz_arena_patch mutates only the structures of a real arena.
#include <stddef.h>
#include <stdint.h>

#include "inspect_arena.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gleak_fuzz::inspect_arena(data, size);
  return 0;
}
