// fuzz_leaks — the leak analysis over a hostile memory image: what a compromised or
// corrupted target could have in its memory and its goroutine records (stack bounds,
// wait objects, select case counts, closures, glibc heap chunk headers, pointers
// anywhere). The regions' layout is the reader's own (sorted, apart); their contents
// and the records are the input's.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inspector/analyse/leaks.h"
#include "inspector/report/leaks_report.h"
#include "inspector/read/memory_image.h"
#include "inspector/report/report_text.h"
#include "inspector/snapshot.h"

namespace gi = gleak::inspector;

namespace {

constexpr uint64_t kBase = 0x7f0000000000;
constexpr uint64_t kSpacing = 1 << 20;

// An address: mostly into one of the regions, sometimes anything at all.
uint64_t address(FuzzedDataProvider& p, int regions) {
  if (p.ConsumeIntegralInRange(0, 7) == 0) return p.ConsumeIntegral<uint64_t>();
  int r = p.ConsumeIntegralInRange(0, std::max(regions - 1, 0));
  return kBase + uint64_t(r) * kSpacing + (p.ConsumeIntegralInRange<uint64_t>(0, 8192) & ~uint64_t{7});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  auto img = std::make_shared<gi::MemoryImage>();
  img->stopped = p.ConsumeBool();
  int nregions = p.ConsumeIntegralInRange(1, 6);
  std::vector<gi::MemoryRegion> ordered, others;
  std::vector<uint64_t> stack_regions;
  for (int i = 0; i < nregions; ++i) {
    gi::MemoryRegion r;
    r.kind = static_cast<gi::RegionKind>(p.ConsumeIntegralInRange(0, 3));
    std::size_t len = p.ConsumeIntegralInRange<std::size_t>(0, 1024) * 8;
    auto bytes = std::make_shared<std::vector<char>>(p.ConsumeBytes<char>(len));
    bytes->resize(len, 0);
    r.start = kBase + uint64_t(i) * kSpacing;
    r.end = r.start + len;
    r.data = bytes->data();
    r.name = r.kind == gi::RegionKind::kHeap ? "[heap]" : "";
    r.goroutine = p.ConsumeIntegralInRange<uint64_t>(0, 8);
    img->buffers.push_back(bytes);
    if (r.kind == gi::RegionKind::kStack) stack_regions.push_back(uint64_t(i));
    (r.kind == gi::RegionKind::kRoot || r.kind == gi::RegionKind::kHeap ? ordered : others).push_back(std::move(r));
  }
  img->regions = ordered;
  img->regions.insert(img->regions.end(), others.begin(), others.end());
  int nregs = p.ConsumeIntegralInRange(0, 16);
  for (int i = 0; i < nregs; ++i) img->register_words.push_back(address(p, nregions));

  gi::Snapshot s;
  s.source = gi::Source::kLiveProcess;
  s.consistent = img->stopped;
  int ngoroutines = p.ConsumeIntegralInRange(0, 8);
  for (int i = 0; i < ngoroutines; ++i) {
    gi::Goroutine g;
    g.id = uint64_t(i) + 1;
    g.parent_id = p.ConsumeIntegralInRange<uint64_t>(0, 8);
    g.state = static_cast<gi::GoroutineState>(p.ConsumeIntegralInRange(0, 5));
    g.wait_reason = static_cast<gi::WaitReason>(p.ConsumeIntegralInRange(0, 13));
    g.wait_object = address(p, nregions);
    g.wait_ns = p.ConsumeIntegralInRange<int64_t>(-1, int64_t{1} << 40);
    g.wait_count = p.ConsumeBool() ? p.ConsumeIntegral<uint32_t>() : p.ConsumeIntegralInRange<uint32_t>(0, 8);
    g.closure = address(p, nregions);
    g.closure_size = p.ConsumeIntegralInRange<uint64_t>(0, 256);
    if (p.ConsumeBool()) {
      g.stack_lo = address(p, nregions);
      g.stack_hi = p.ConsumeBool() ? address(p, nregions) : g.stack_lo + p.ConsumeIntegralInRange<uint64_t>(0, 8192);
    }
    s.goroutines.push_back(std::move(g));
  }
  s.memory = img;
  gi::LeakOptions opt;
  opt.suspect_after_ns = p.ConsumeIntegralInRange<int64_t>(0, 1000);
  opt.why = p.ConsumeIntegralInRange<uint64_t>(0, 9);
  gi::LeakAnalysis r = gi::find_leaks(s, opt);
  gi::TextOptions text;
  (void)gi::format_leaks(s, r, text);
  (void)gi::leaks_to_json(s, r, text);
  (void)gi::format_why(s, r);
  (void)gi::why_to_json(s, r);
  return 0;
}
