// fuzz_text — the small parsers of text and bytes the inspector takes from outside:
// /proc/<pid>/maps (parse_maps), /proc/<pid>/stat (stat_start_ticks), and gzip data
// (gunzip, as pprof profiles are read back).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "arena/layout.h"
#include "inspector/read/memory_image.h"
#include "inspector/report/pprof.h"

namespace gi = gleak::inspector;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  switch (p.ConsumeIntegralInRange(0, 2)) {
    case 0: {
      std::string text = p.ConsumeRemainingBytesAsString();
      for (const gi::MapEntry& m : gi::parse_maps(text)) {
        if (m.end < m.start) __builtin_trap();  // parse_maps must never give a reversed range
      }
      break;
    }
    case 1: {
      std::string text = p.ConsumeRemainingBytesAsString();
      (void)gleak::arena::stat_start_ticks(text.data(), text.size());
      break;
    }
    default: {
      std::string bytes = p.ConsumeRemainingBytesAsString();
      try {
        (void)gi::gunzip(bytes);
      } catch (const std::exception&) {
      }
      break;
    }
  }
  return 0;
}
