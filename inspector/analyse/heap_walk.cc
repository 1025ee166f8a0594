// inspector/analyse/heap_walk.cc — see heap_walk.h. The layouts are glibc's (malloc/malloc.c,
// malloc/arena.c) on x86-64: 8-byte size words, 16-byte alignment.
#include "inspector/analyse/heap_walk.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

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

uint64_t walk_mmapped(const std::vector<const MemoryRegion*>& pieces, uint64_t map_lo, uint64_t map_hi,
                      std::vector<HeapBlock>& out) {
  constexpr uint64_t kPage = 4096;
  auto word = [&](uint64_t addr, uint64_t* v) {
    for (const MemoryRegion* r : pieces) {
      if (addr >= r->start && addr + 8 <= r->end && r->data) {
        *v = word_at(*r, addr);
        return true;
      }
    }
    return false;
  };
  if (map_lo % kPage != 0 || map_hi <= map_lo) return map_lo;
  uint64_t c = map_lo;
  while (map_hi - c >= kPage) {
    uint64_t prev = 0, field = 0;
    if (!word(c, &prev) || !word(c + 8, &field) || prev != 0 || (field & kFlags) != kIsMmapped) break;
    uint64_t size = field & ~kFlags;
    if (size == 0 || size % kPage != 0 || size > map_hi - c) break;
    out.push_back({c + kHeader, c + size});
    c += size;
  }
  return c;
}

namespace {

constexpr int kTcacheBins = 64;
constexpr uint64_t kTcacheUserSize = 2 * kTcacheBins + 8 * kTcacheBins;  // counts, then entries

const CopiedBlock* block_at(const std::vector<CopiedBlock>& blocks, uint64_t start) {
  auto it = std::lower_bound(blocks.begin(), blocks.end(), start,
                             [](const CopiedBlock& b, uint64_t s) { return b.start < s; });
  return it != blocks.end() && it->start == start ? &*it : nullptr;
}

uint64_t block_word(const CopiedBlock& b, uint64_t off) {
  uint64_t v;
  std::memcpy(&v, b.data + off, 8);
  return v;
}

// tcache_entries() reads a candidate tcache_perthread_struct; its entries, or false when
// it is not one. Every entry of bin i is a chunk of 32 + 16 i bytes (a block of 24 + 16 i
// usable bytes) whose first word is the next entry, safe-linked ((its own address >> 12)
// xor next), and whose second word is the key all entries share; a list holds as many
// entries as its count. An entry outside the blocks given (a chunk of another arena's
// heap that did not walk) cannot be read: its list is followed no further, but what was
// read of it must agree.
bool tcache_entries(const std::vector<CopiedBlock>& blocks, const CopiedBlock& t, std::vector<uint64_t>& out) {
  if (t.end - t.start < kTcacheUserSize) return false;
  uint64_t key = 0;
  std::size_t before = out.size();
  for (int i = 0; i < kTcacheBins; ++i) {
    uint16_t count;
    std::memcpy(&count, t.data + 2 * i, 2);
    uint64_t e = block_word(t, 2 * kTcacheBins + 8 * static_cast<uint64_t>(i));
    if ((e == 0) != (count == 0)) return false;
    uint16_t k = 0;
    for (; k < count && e != 0; ++k) {
      if (e % 16 != 0) return false;
      const CopiedBlock* b = block_at(blocks, e);
      if (!b) break;  // in memory not walked: unread
      if (b->end - b->start != 24 + 16 * static_cast<uint64_t>(i)) return false;
      uint64_t this_key = block_word(*b, 8);
      if (this_key == 0 || (key != 0 && this_key != key)) return false;
      key = this_key;
      out.push_back(e);
      e = block_word(*b, 0) ^ (e >> 12);
    }
    if (k == count && e != 0) return false;  // the list goes on past its count
    if (k < count && e == 0) return false;   // it ends before its count
  }
  return out.size() > before;
}

}  // namespace

std::size_t drop_tcached(std::vector<CopiedBlock>& blocks) {
  std::vector<uint64_t> free_starts;
  for (const CopiedBlock& b : blocks) {
    // A tcache_perthread_struct's chunk: 640 bytes of counts and entries, a 656-byte
    // chunk, so a 648-byte usable block (the next chunk's prev_size word included).
    if (b.end - b.start != kTcacheUserSize + 8) continue;
    std::vector<uint64_t> entries;
    if (tcache_entries(blocks, b, entries)) free_starts.insert(free_starts.end(), entries.begin(), entries.end());
  }
  if (free_starts.empty()) return 0;
  std::unordered_set<uint64_t> drop(free_starts.begin(), free_starts.end());
  std::size_t before = blocks.size();
  std::erase_if(blocks, [&](const CopiedBlock& b) { return drop.count(b.start) != 0; });
  return before - blocks.size();
}

}  // namespace gleak::inspector
