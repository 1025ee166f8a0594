// inspector/read/event_follow.cc — see event_follow.h.
#include "inspector/read/event_follow.h"

#include <algorithm>

#include "inspector/errors.h"

namespace gleak::inspector {

using namespace arena;

uint64_t read_ring(const Ring& ring, int worker, uint64_t* next, std::vector<Event>& out) {
  uint64_t from = *next;
  uint64_t before = ring.written.load(std::memory_order_acquire);
  if (before <= from) return 0;
  uint64_t first = std::max(from, before > kRingEvents ? before - kRingEvents : 0);
  std::size_t at = out.size();
  for (uint64_t i = first; i < before; ++i) {
    const arena::Event& e = ring.events[i % kRingEvents];
    out.push_back(Event{e.time_ns, worker, e.kind, e.g, e.arg, e.aux, i});
  }
  // The writer does not wait for readers: what it wrote while we copied may have
  // overwritten the oldest copies. Those are dropped and counted as lost.
  uint64_t after = ring.written.load(std::memory_order_acquire);
  uint64_t valid_from = after > kRingEvents ? after - kRingEvents : 0;
  if (valid_from > first) {
    uint64_t bad = std::min(valid_from, before) - first;
    auto begin = out.begin() + static_cast<std::ptrdiff_t>(at);
    out.erase(begin, begin + static_cast<std::ptrdiff_t>(bad));
    first += bad;
  }
  *next = before;
  return first - from;
}

EventFollower::EventFollower(const std::string& path) : file_(ArenaFile::open(path)), next_(kMaxRings, 0) {}

void EventFollower::skip_history() {
  remap();
  for (uint32_t r = 0; r < kMaxRings; ++r) {
    uint64_t off = file_.header().ring_offset[r].load(std::memory_order_acquire);
    const Ring* ring = off ? file_.at<Ring>(off) : nullptr;
    if (ring) next_[r] = ring->written.load(std::memory_order_acquire);
  }
}

void EventFollower::remap() {
  // New rings and a grown file: a new checked copy of the header (a new mapping only
  // when the file's size changed).
  file_.refresh();
}

std::size_t EventFollower::poll(std::vector<Event>& out) {
  remap();
  std::size_t before = out.size();
  for (uint32_t r = 0; r < kMaxRings; ++r) {
    uint64_t off = file_.header().ring_offset[r].load(std::memory_order_acquire);
    if (off == 0) continue;
    const Ring* ring = file_.at<Ring>(off);
    if (!ring) continue;  // beyond what the file holds yet: read on a later poll
    lost_ += read_ring(*ring, r == kExternalRing ? -1 : static_cast<int>(r), &next_[r], out);
  }
  return out.size() - before;
}

ProcessState EventFollower::state() const {
  return static_cast<ProcessState>(file_.live_header().state.load(std::memory_order_acquire));
}

}  // namespace gleak::inspector
