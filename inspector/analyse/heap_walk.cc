// inspector/analyse/heap_walk.cc — see heap_walk.h. The layouts are glibc's (malloc/malloc.c,
// malloc/arena.c) on x86-64: 8-byte size words, 16-byte alignment.
#include "inspector/analyse/heap_walk.h"

#include <cstring>

namespace gleak::inspector {

namespace {

constexpr uint64_t kPrevInUse = 1, kIsMmapped = 2, kFlags = 7;
constexpr uint64_t kAlign = 16;
constexpr uint64_t kHeader = 16;                 // prev_size + size
constexpr uint64_t kThreadHeapAlign = 64ull << 20;  // HEAP_MAX_SIZE on 64-bit
constexpr uint64_t kMallocStateSize = 2200;      // sizeof(struct malloc_state), glibc 2.26+

uint64_t word_at(const MemoryRegion& r, uint64_t addr) {
  uint64_t v;
  std::memcpy(&v, r.data + (addr - r.start), 8);
  return v;
}

// walk() follows the chunks from `first` to `limit`; true when they end there cleanly.
bool walk(const MemoryRegion& r, uint64_t first, uint64_t limit, std::vector<HeapBlock>& out, std::string* why) {
  std::size_t before = out.size();
  auto fail = [&](const std::string& what) {
    out.resize(before);
    if (why) *why = what;
    return false;
  };
  if (first % kAlign != 0 || first < r.start || limit > r.end || first >= limit) return fail("bad bounds");
  uint64_t c = first;
  for (;;) {
    if (c == limit) return true;
    if (limit - c < kHeader) return fail("a chunk header crosses the end");
    uint64_t field = word_at(r, c + 8);
    uint64_t size = field & ~kFlags;
    // A zero size ends the run: the arena's fencepost, or the unused tail after the top
    // chunk up to the page the kernel rounded the break to.
    if (size == 0) return limit - c <= 4096 ? true : fail("a zero-sized chunk far from the end");
    if (size % kAlign != 0 || size < kHeader) return fail("a chunk size that is not a multiple of 16");
    if ((field & kIsMmapped) != 0) return fail("an mmapped chunk inside a heap");
    if (size > limit - c) return fail("a chunk runs past the end");
    uint64_t next = c + size;
    bool in_use = limit - next >= kHeader && (word_at(r, next + 8) & kPrevInUse) != 0;
    if (in_use && size >= 2 * kHeader) out.push_back({c + kHeader, std::min(next + 8, limit)});
    c = next;
  }
}

uint64_t first_chunk_after(uint64_t p) {
  // The first chunk is placed so that its user data (chunk + 16) is 16-aligned.
  uint64_t mis = (p + kHeader) % kAlign;
  return mis ? p + (kAlign - mis) : p;
}

}  // namespace

bool walk_main_heap(const MemoryRegion& r, std::vector<HeapBlock>& out, std::string* why) {
  return walk(r, first_chunk_after(r.start), r.end, out, why);
}

bool walk_thread_heap(const MemoryRegion& r, std::vector<HeapBlock>& out, std::string* why) {
  if (r.start % kThreadHeapAlign != 0 || r.end - r.start < 4096) {
    if (why) *why = "not aligned like a heap";
    return false;
  }
  // heap_info: ar_ptr, prev, size, mprotect_size[, pagesize (glibc 2.35+)], padded to 16.
  uint64_t ar_ptr = word_at(r, r.start);
  uint64_t size = word_at(r, r.start + 16);
  uint64_t mprotect_size = word_at(r, r.start + 24);
  if (size == 0 || size > r.end - r.start || mprotect_size < size || size % 4096 != 0) {
    if (why) *why = "no heap_info at its start";
    return false;
  }
  uint64_t limit = r.start + size;
  for (uint64_t info : {48ull, 32ull}) {
    // The arena's first heap holds the malloc_state right after heap_info.
    uint64_t first = ar_ptr == r.start + info ? first_chunk_after(r.start + info + kMallocStateSize)
                                              : first_chunk_after(r.start + info);
    if (walk(r, first, limit, out, why)) return true;
  }
  return false;
}

}  // namespace gleak::inspector
