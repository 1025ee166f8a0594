// inspector/read/memory_image.cc — see memory_image.h.
#include "inspector/read/memory_image.h"

#include "arena/maps.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace gleak::inspector {

std::vector<MapEntry> parse_maps(const std::string& text) {
  std::vector<MapEntry> out;
  arena::for_each_maps_line(text, [&](const arena::MapsLine& m) {
    out.push_back({m.start, m.end, m.read, m.write, m.exec, m.shared, m.offset, m.inode, std::string(m.path)});
    return true;
  });
  return out;
}

namespace {

constexpr uint64_t kRedZone = 128;                  // below a thread's stack pointer, x86-64
constexpr uint64_t kMaxClosure = 64u << 20;         // larger ones are not read
constexpr uint64_t kMaxMappingCopied = 64ull << 30; // a sanitizer's shadow memory is not copied

std::string range_text(const MemoryRegion& r, const char* why) {
  std::ostringstream os;
  os << std::hex << "0x" << r.start << "-0x" << r.end << " " << why;
  return os.str();
}

// mapped_roots() is every readable and writable mapping, without the excluded ranges.
std::vector<MemoryRegion> mapped_roots(const CaptureFacts& f) {
  std::vector<std::pair<uint64_t, uint64_t>> excluded = f.excluded;
  std::sort(excluded.begin(), excluded.end());
  std::vector<MemoryRegion> regions;
  for (const MapEntry& e : f.maps) {
    if (!e.read || !e.write || e.path == "[vvar]" || e.path == "[vsyscall]" || e.path == "[vvar_vclock]") continue;
    RegionKind kind = e.path == "[heap]" ? RegionKind::kHeap : RegionKind::kRoot;
    uint64_t at = e.start;
    for (const auto& [lo, hi] : excluded) {
      if (hi <= at || lo >= e.end) continue;
      if (lo > at) regions.push_back({at, lo, kind, 0, e.path, nullptr, {}, at, lo});
      at = std::max(at, hi);
    }
    if (at < e.end) regions.push_back({at, e.end, kind, 0, e.path, nullptr, {}, at, e.end});
  }
  return regions;
}

// trim_thread_stacks(): a thread's stack below its stack pointer (less the red zone) is
// dead; whatever deeper calls left there is no reference.
void trim_thread_stacks(const CaptureFacts& f, std::vector<MemoryRegion>& regions) {
  for (const CaptureFacts::Thread& t : f.threads) {
    if (!t.regs) continue;
    uint64_t rsp = t.regs->rsp;
    uint64_t live_from = (rsp - kRedZone) & ~uint64_t{7};
    for (MemoryRegion& r : regions) {
      if (r.kind == RegionKind::kRoot && rsp >= r.start && rsp < r.end) {
        r.start = std::max(r.start, live_from);
        r.thread = t.tid;
      }
    }
  }
}

// running_stacks(): a running goroutine's stack from its thread's stack pointer (less
// the red zone) up. A switching one's saved context is still the previous one: it is
// read like a running one, and if its thread has left its stack already, where its
// frames end is not known and the image is incomplete.
void running_stacks(const CaptureFacts& f, CapturePlan& plan) {
  for (const CaptureFacts::Running& g : f.running) {
    if (g.stack_hi == 0) continue;
    uint64_t lo = g.switching ? g.saved_sp : g.stack_lo;
    if (g.regs && g.regs->rsp >= g.stack_lo + kRedZone && g.regs->rsp < g.stack_hi) {
      lo = g.regs->rsp - kRedZone;
    } else if (g.switching) {
      plan.unreadable.push_back("goroutine " + std::to_string(g.id) + "'s stack (it was switching)");
    }
    if (lo < g.stack_lo || lo >= g.stack_hi) lo = g.stack_lo;
    plan.regions.push_back({lo, g.stack_hi, RegionKind::kStack, g.id, "", nullptr, {}});
  }
}

// closures(): those inline in the arena are read from the reader's mapping of it.
void closures(const CaptureFacts& f, CapturePlan& plan) {
  for (const CaptureFacts::Closure& c : f.closures) {
    if (c.start == 0 || c.size == 0 || c.size >= kMaxClosure) continue;
    MemoryRegion r{c.start, c.start + c.size, RegionKind::kClosure, c.goroutine, "", nullptr, {}};
    (c.start >= f.arena_lo && r.end <= f.arena_hi ? plan.arena_closures : plan.regions).push_back(r);
  }
}

// drop_huge(): a mapping of terabytes (a sanitizer's shadow memory) is not copied; the
// analysis is then incomplete, and its no-exit-path findings only suspected.
void drop_huge(CapturePlan& plan) {
  std::vector<MemoryRegion> kept;
  for (const MemoryRegion& r : plan.regions) {
    if (r.kind == RegionKind::kRoot && r.end - r.start > kMaxMappingCopied) {
      plan.unreadable.push_back(range_text(r, "(too large to copy)"));
    } else {
      kept.push_back(r);
    }
  }
  plan.regions = std::move(kept);
}

// registers(): every thread's general registers, but those of a worker that runs no
// goroutine (they are the scheduler's).
void registers(const CaptureFacts& f, CapturePlan& plan) {
  for (const CaptureFacts::Thread& t : f.threads) {
    if (!t.regs || t.idle_worker) continue;
    plan.threads.push_back({t.tid, *t.regs});
    const auto* w = reinterpret_cast<const unsigned long long*>(t.regs);
    for (std::size_t i = 0; i < sizeof(user_regs_struct) / sizeof(unsigned long long); ++i) {
      plan.register_words.push_back(w[i]);
    }
  }
}

}  // namespace

CapturePlan plan_capture(const CaptureFacts& facts) {
  CapturePlan plan;
  plan.regions = mapped_roots(facts);
  trim_thread_stacks(facts, plan.regions);
  running_stacks(facts, plan);
  closures(facts, plan);
  drop_huge(plan);
  registers(facts, plan);
  return plan;
}

std::string unreadable_text(const MemoryRegion& r) { return range_text(r, r.name.c_str()); }

}  // namespace gleak::inspector
