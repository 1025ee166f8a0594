// fuzz_arena_patch — a real arena with its structures damaged. fuzz_arena mutates whole
// files of about 2 MB, where most mutations land in bytes no reader looks at. Here the
// input is a short list of patches applied to one of the base arenas kept in
// tests/fuzz/bases/ (a crashed process's and a killed one's): each patch aims at the
// header or at one of the tables the header points to, and writes either raw bytes or a
// value that is interesting there (0, all ones, the file size, another table's offset).
// What is done with the patched file is tests/fuzz/inspect_arena.h.
#include <fuzzer/FuzzedDataProvider.h>
#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "inspect_arena.h"

namespace {

namespace ga = gleak::arena;

struct Base {
  std::string bytes;
  std::vector<uint64_t> targets;  // offsets of the header and of each table it names
};

template <typename T>
T field(const std::string& b, size_t offset) {
  T v{};
  if (offset + sizeof v <= b.size()) std::memcpy(&v, b.data() + offset, sizeof v);
  return v;
}

Base load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Base b{gleak::inspector::gunzip(gz), {0}};
  const std::string& s = b.bytes;
  auto add = [&](uint64_t at) {
    if (at != 0 && at < s.size()) b.targets.push_back(at);
  };
  uint32_t gchunks = std::min<uint32_t>(field<uint32_t>(s, offsetof(ga::ArenaHeader, goroutine_chunks)), 4);
  uint32_t ochunks = std::min<uint32_t>(field<uint32_t>(s, offsetof(ga::ArenaHeader, object_chunks)), 4);
  for (uint32_t i = 0; i < gchunks; ++i) add(field<uint64_t>(s, offsetof(ga::ArenaHeader, goroutine_chunk_offset) + 8 * i));
  for (uint32_t i = 0; i < ochunks; ++i) add(field<uint64_t>(s, offsetof(ga::ArenaHeader, object_chunk_offset) + 8 * i));
  for (uint32_t i = 0; i < ga::kMaxRings; ++i) add(field<uint64_t>(s, offsetof(ga::ArenaHeader, ring_offset) + 8 * i));
  for (size_t at : {offsetof(ga::ArenaHeader, crash_offset), offsetof(ga::ArenaHeader, maps_offset),
                    offsetof(ga::ArenaHeader, crash_stacks_offset), offsetof(ga::ArenaHeader, stack_slabs_offset),
                    offsetof(ga::ArenaHeader, recover_offset)}) {
    add(field<uint64_t>(s, at));
  }
  return b;
}

// The bases, read once: from $GLEAK_FUZZ_BASES if set, else from the source tree.
const std::vector<Base>& bases() {
  static const std::vector<Base> all = [] {
    const char* env = std::getenv("GLEAK_FUZZ_BASES");
    std::filesystem::path dir = env && *env ? env : GLEAK_FUZZ_BASES_DIR;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
    std::sort(files.begin(), files.end());  // the same input means the same base on every run
    std::vector<Base> out;
    for (const auto& f : files) out.push_back(load(f));
    if (out.empty()) std::abort();  // a fuzzer without its bases would test nothing
    return out;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  const std::vector<Base>& all = bases();
  const Base& base = all[p.ConsumeIntegralInRange<size_t>(0, all.size() - 1)];
  std::string file = base.bytes;
  for (int n = 0; n < 64 && p.remaining_bytes() > 0; ++n) {
    uint64_t start = base.targets[p.ConsumeIntegralInRange<size_t>(0, base.targets.size() - 1)];
    if (start >= file.size()) continue;  // cut off by an earlier patch
    uint64_t span = std::min<uint64_t>(file.size() - start, 1 << 16);
    uint64_t at = start + p.ConsumeIntegralInRange<uint64_t>(0, span - 1);
    switch (p.ConsumeIntegralInRange(0, 3)) {
      case 0: {  // raw bytes
        std::string raw = p.ConsumeBytesAsString(p.ConsumeIntegralInRange<size_t>(1, 16));
        file.replace(at, std::min<size_t>(raw.size(), file.size() - at), raw.substr(0, file.size() - at));
        break;
      }
      case 1: {  // an interesting value, 1 to 8 bytes wide, aligned
        uint64_t values[] = {0,
                             ~uint64_t{0},
                             file.size(),
                             file.size() - 1,
                             uint64_t{1} << 31,
                             uint64_t{1} << 63,
                             base.targets[p.ConsumeIntegralInRange<size_t>(0, base.targets.size() - 1)],
                             p.ConsumeIntegral<uint64_t>()};
        uint64_t v = values[p.ConsumeIntegralInRange<size_t>(0, std::size(values) - 1)];
        size_t width = size_t{1} << p.ConsumeIntegralInRange(0, 3);
        at &= ~uint64_t{width - 1};
        if (at + width <= file.size()) std::memcpy(file.data() + at, &v, width);
        break;
      }
      case 2:  // a small increment of a counter or size
        file[at] = static_cast<char>(file[at] + p.ConsumeIntegralInRange(-2, 2));
        break;
      default:  // the file cut short
        file.resize(at);
        break;
    }
  }
  gleak_fuzz::inspect_arena(reinterpret_cast<const uint8_t*>(file.data()), file.size());
  return 0;
}
