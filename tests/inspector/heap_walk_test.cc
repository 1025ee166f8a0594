// glibc's heaps as the leak analysis walks them (inspector/heap_walk.h), and the chunks
// that sit in a tcache: free, though the heap's bits say allocated.
#include "inspector/analyse/heap_walk.h"
#include "inspector/read/memory_image.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace gi = gleak::inspector;

namespace {

// A fake heap: blocks laid out in one buffer at made-up addresses.
struct FakeHeap {
  static constexpr uint64_t kBase = 0x5500'0000'0000;
  std::vector<char> bytes = std::vector<char>(1 << 16, 0);
  std::vector<gi::CopiedBlock> blocks;
  uint64_t next = kBase + 16;

  uint64_t add(uint64_t usable) {
    uint64_t at = next;
    blocks.push_back({at, at + usable, bytes.data() + (at - kBase)});
    next += (usable + 8 + 15) / 16 * 16 + 16;
    return at;
  }
  void put(uint64_t addr, uint64_t v) { std::memcpy(bytes.data() + (addr - kBase), &v, 8); }
  void put16(uint64_t addr, uint16_t v) { std::memcpy(bytes.data() + (addr - kBase), &v, 2); }
};

constexpr uint64_t kKey = 0x1234'5678'9abc'def1;

// A tcache with bin 1 (48-byte chunks: 40 usable bytes) holding `free_blocks`.
uint64_t make_tcache(FakeHeap& h, const std::vector<uint64_t>& free_blocks, int count_off_by = 0) {
  uint64_t t = h.add(648);
  h.put16(t + 2 * 1, static_cast<uint16_t>(free_blocks.size() + count_off_by));
  h.put(t + 128 + 8 * 1, free_blocks.empty() ? 0 : free_blocks.front());
  for (std::size_t k = 0; k < free_blocks.size(); ++k) {
    uint64_t e = free_blocks[k];
    uint64_t next = k + 1 < free_blocks.size() ? free_blocks[k + 1] : 0;
    h.put(e, next ^ (e >> 12));  // safe-linking
    h.put(e + 8, kKey);
  }
  return t;
}

bool has(const std::vector<gi::CopiedBlock>& blocks, uint64_t start) {
  return std::any_of(blocks.begin(), blocks.end(), [&](const gi::CopiedBlock& b) { return b.start == start; });
}

TEST(Tcache, ItsChunksAreDropped) {
  FakeHeap h;
  uint64_t a = h.add(40), b = h.add(40), kept = h.add(40);
  h.put(kept + 16, a);  // a live block that points at a freed one
  make_tcache(h, {b, a});
  std::size_t before = h.blocks.size();
  EXPECT_EQ(gi::drop_tcached(h.blocks), 2u);
  EXPECT_EQ(h.blocks.size(), before - 2);
  EXPECT_FALSE(has(h.blocks, a));
  EXPECT_FALSE(has(h.blocks, b));
  EXPECT_TRUE(has(h.blocks, kept));
}

TEST(Tcache, AListThatDoesNotCheckOutIsNoTcache) {
  for (int variant = 0; variant < 4; ++variant) {
    FakeHeap h;
    uint64_t a = h.add(40), b = h.add(40), odd = h.add(56);
    switch (variant) {
      case 0: make_tcache(h, {a, b}, 1); break;     // the count says one more
      case 1: make_tcache(h, {a, b}, -1); break;    // the list goes on past the count
      case 2: make_tcache(h, {a, odd}); break;      // an entry of another size class
      case 3:                                       // entries with different keys
        make_tcache(h, {a, b});
        h.put(b + 8, kKey + 1);
        break;
    }
    EXPECT_EQ(gi::drop_tcached(h.blocks), 0u) << "variant " << variant;
  }
}

TEST(Tcache, ABlockOfTheSameSizeHoldingDataIsNoTcache) {
  FakeHeap h;
  uint64_t a = h.add(40);
  uint64_t t = h.add(648);
  for (uint64_t off = 0; off < 648; off += 8) h.put(t + off, a);  // pointers everywhere
  EXPECT_EQ(gi::drop_tcached(h.blocks), 0u);
}

// The real thing: this process's main heap, copied (as the reader copies a target's)
// right after blocks were freed into its tcache, then walked. Nothing allocates between
// the frees and the copy: the copy goes to memory of its own (mmap), and the memory map
// is read with a stack buffer. No other thread allocates meanwhile.
TEST(Tcache, ThisProcessFreedBlocksAreFoundInItsTcache) {
  std::vector<void*> keep, freed;
  keep.reserve(4);
  freed.reserve(3);
  for (int i = 0; i < 4; ++i) keep.push_back(std::malloc(40));
  for (int i = 0; i < 3; ++i) freed.push_back(std::malloc(40));
  constexpr std::size_t kCopyMax = 64 << 20;
  void* copy = mmap(nullptr, kCopyMax, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(copy, MAP_FAILED);
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  for (void* p : freed) std::free(p);
  char maps[1 << 15];
  ssize_t n = 0, got;
  while ((got = read(fd, maps + n, sizeof maps - 1 - n)) > 0) n += got;
  close(fd);
  maps[n] = '\0';
  uint64_t lo = 0, hi = 0;
  if (const char* line = std::strstr(maps, "[heap]")) {
    while (line > maps && line[-1] != '\n') --line;
    std::sscanf(line, "%lx-%lx", &lo, &hi);
  }
  ASSERT_NE(lo, 0u) << "no [heap] mapping";
  ASSERT_LE(hi - lo, kCopyMax);
  std::memcpy(copy, reinterpret_cast<const void*>(lo), hi - lo);
  const char* data = static_cast<const char*>(copy);
  gi::MemoryRegion r{lo, hi, gi::RegionKind::kHeap, 0, "[heap]", data, {}};
  std::vector<gi::HeapBlock> walked;
  std::string why;
  ASSERT_TRUE(gi::walk_main_heap(r, walked, &why)) << why;
  std::vector<gi::CopiedBlock> blocks;
  for (const gi::HeapBlock& b : walked) blocks.push_back({b.start, b.end, data + (b.start - lo)});
  for (void* p : freed) ASSERT_TRUE(has(blocks, reinterpret_cast<uint64_t>(p))) << "a freed block looks allocated";
  EXPECT_GE(gi::drop_tcached(blocks), freed.size());
  for (void* p : freed) EXPECT_FALSE(has(blocks, reinterpret_cast<uint64_t>(p)));
  for (void* p : keep) EXPECT_TRUE(has(blocks, reinterpret_cast<uint64_t>(p)));
  for (void* p : keep) std::free(p);
  munmap(copy, kCopyMax);
}

// ---- blocks malloc serves from mappings of their own ----

// FakeMapping: an anonymous mapping at a made-up page-aligned address, with mmapped
// chunk headers written into it.
struct FakeMapping {
  static constexpr uint64_t kLo = 0x7f00'0000'0000;
  std::vector<char> bytes;
  explicit FakeMapping(std::size_t pages) : bytes(pages * 4096, 0) {}
  uint64_t hi() const { return kLo + bytes.size(); }
  void chunk(uint64_t at, uint64_t size, uint64_t flags = 2, uint64_t prev = 0) {
    uint64_t field = size | flags;
    std::memcpy(bytes.data() + (at - kLo), &prev, 8);
    std::memcpy(bytes.data() + (at - kLo) + 8, &field, 8);
  }
  gi::MemoryRegion piece(uint64_t lo, uint64_t hi) const {
    return {lo, hi, gi::RegionKind::kRoot, 0, "", bytes.data() + (lo - kLo), {}, kLo, this->hi()};
  }
};

uint64_t walk(const FakeMapping& m, const std::vector<gi::MemoryRegion>& pieces, std::vector<gi::HeapBlock>& out) {
  std::vector<const gi::MemoryRegion*> ps;
  for (const gi::MemoryRegion& r : pieces) ps.push_back(&r);
  return gi::walk_mmapped(ps, FakeMapping::kLo, m.hi(), out);
}

TEST(MmappedChunks, OneChunkIsOneBlock) {
  FakeMapping m(33);
  m.chunk(FakeMapping::kLo, 33 * 4096);
  std::vector<gi::HeapBlock> out;
  EXPECT_EQ(walk(m, {m.piece(FakeMapping::kLo, m.hi())}, out), m.hi());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start, FakeMapping::kLo + 16);
  EXPECT_EQ(out[0].end, m.hi());
}

TEST(MmappedChunks, AdjacentChunksMergedIntoOneMappingAreEachABlock) {
  FakeMapping m(5);
  m.chunk(FakeMapping::kLo, 2 * 4096);
  m.chunk(FakeMapping::kLo + 2 * 4096, 3 * 4096);
  std::vector<gi::HeapBlock> out;
  // Pages never touched are not in the image: only the headers' pages are.
  EXPECT_EQ(walk(m, {m.piece(FakeMapping::kLo, FakeMapping::kLo + 4096),
                     m.piece(FakeMapping::kLo + 2 * 4096, FakeMapping::kLo + 3 * 4096)},
                 out),
            m.hi());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].start, FakeMapping::kLo + 2 * 4096 + 16);
  EXPECT_EQ(out[1].end, m.hi());
}

TEST(MmappedChunks, WhatFollowsTheChunksIsNotTakenForOne) {
  FakeMapping m(6);
  m.chunk(FakeMapping::kLo, 2 * 4096);
  // Then a mapping of something else merged with it: no header where the chunk ends.
  std::vector<gi::HeapBlock> out;
  EXPECT_EQ(walk(m, {m.piece(FakeMapping::kLo, m.hi())}, out), FakeMapping::kLo + 2 * 4096);
  ASSERT_EQ(out.size(), 1u);
  // A chunk whose next header is not in the image ends the chunks there too.
  FakeMapping n(4);
  n.chunk(FakeMapping::kLo, 2 * 4096);
  n.chunk(FakeMapping::kLo + 2 * 4096, 2 * 4096);
  out.clear();
  EXPECT_EQ(walk(n, {n.piece(FakeMapping::kLo, FakeMapping::kLo + 4096)}, out), FakeMapping::kLo + 2 * 4096);
  EXPECT_EQ(out.size(), 1u);
}

TEST(MmappedChunks, AnythingElseIsNoChunkAndAddsNothing) {
  std::vector<gi::HeapBlock> out{{1, 2}};
  auto none = [&](FakeMapping& m) { return walk(m, {m.piece(FakeMapping::kLo, m.hi())}, out) == FakeMapping::kLo; };
  {
    FakeMapping m(4);  // zeros: a thread's stack, TLS, a buffer
    EXPECT_TRUE(none(m));
  }
  {
    FakeMapping m(4);
    m.chunk(FakeMapping::kLo, 8 * 4096);  // runs past the mapping
    EXPECT_TRUE(none(m));
  }
  {
    FakeMapping m(4);
    m.chunk(FakeMapping::kLo, 4 * 4096, 3);  // PREV_INUSE too: a heap chunk's bits
    EXPECT_TRUE(none(m));
  }
  {
    FakeMapping m(4);
    m.chunk(FakeMapping::kLo, 4 * 4096, 2, 64);  // an aligned chunk's offset: not followed
    EXPECT_TRUE(none(m));
  }
  {
    FakeMapping m(4);
    m.chunk(FakeMapping::kLo, 4 * 4096 + 16);  // not a whole number of pages
    EXPECT_TRUE(none(m));
  }
  ASSERT_EQ(out.size(), 1u);  // what was there before, only
}

TEST(MmappedChunks, ThisProcessLargeBlockIsFound) {
  constexpr std::size_t kSize = 4 << 20;  // above any mmap threshold glibc uses by default
  char* p = static_cast<char*>(std::malloc(kSize));
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, kSize);
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string maps;
  char buf[4096];
  for (ssize_t got; (got = read(fd, buf, sizeof buf)) > 0;) maps.append(buf, static_cast<std::size_t>(got));
  close(fd);
  uint64_t addr = reinterpret_cast<uint64_t>(p), lo = 0, hi = 0;
  for (const gi::MapEntry& e : gi::parse_maps(maps)) {
    if (addr >= e.start && addr < e.end) {
      lo = e.start;
      hi = e.end;
    }
  }
  ASSERT_NE(lo, 0u);
  // The kernel may have merged the mapping with an anonymous neighbour: then only the
  // chunk's own pages are walked (its header's format is what is checked).
  uint64_t chunk = addr - 16, field = 0;
  std::memcpy(&field, reinterpret_cast<const void*>(chunk + 8), 8);  // malloc's header, before the block
  if (hi - lo != (field & ~uint64_t{7})) {
    lo = chunk;
    hi = chunk + (field & ~uint64_t{7});
  }
  gi::MemoryRegion r{lo, hi, gi::RegionKind::kRoot, 0, "", reinterpret_cast<const char*>(lo), {}, lo, hi};
  std::vector<gi::HeapBlock> out;
  EXPECT_EQ(gi::walk_mmapped({&r}, lo, hi, out), hi);
  bool found = false;
  for (const gi::HeapBlock& b : out) found = found || (b.start == addr && b.end - b.start >= kSize);
  EXPECT_TRUE(found);
  std::free(p);
}

}  // namespace
