// The capture plan (inspector/read/memory_image.h): what the leak analysis copies of a
// stopped target, decided from facts alone.
#include "inspector/read/memory_image.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace gi = gleak::inspector;

namespace {

gi::MapEntry mapping(uint64_t start, uint64_t end, const char* perms, const char* path = "") {
  gi::MapEntry e;
  e.start = start;
  e.end = end;
  e.read = perms[0] == 'r';
  e.write = perms[1] == 'w';
  e.path = path;
  return e;
}

const gi::MemoryRegion* find(const std::vector<gi::MemoryRegion>& rs, uint64_t start) {
  auto it = std::find_if(rs.begin(), rs.end(), [&](const gi::MemoryRegion& r) { return r.start == start; });
  return it == rs.end() ? nullptr : &*it;
}

TEST(CapturePlan, CopiesWritableMappingsWithoutTheExcludedRanges) {
  gi::CaptureFacts f;
  f.maps = {mapping(0x1000, 0x9000, "rw"), mapping(0x10000, 0x20000, "r-", "/lib/x.so"),
            mapping(0x30000, 0x31000, "rw", "[vvar]"), mapping(0x40000, 0x48000, "rw", "[heap]")};
  f.excluded = {{0x6000, 0x7000}, {0x2000, 0x3000}};  // unsorted on purpose
  gi::CapturePlan p = gi::plan_capture(f);
  ASSERT_EQ(p.regions.size(), 4u);
  EXPECT_EQ(p.regions[0].start, 0x1000u);
  EXPECT_EQ(p.regions[0].end, 0x2000u);
  EXPECT_EQ(p.regions[1].start, 0x3000u);
  EXPECT_EQ(p.regions[1].end, 0x6000u);
  EXPECT_EQ(p.regions[2].start, 0x7000u);
  EXPECT_EQ(p.regions[2].end, 0x9000u);
  EXPECT_EQ(p.regions[3].kind, gi::RegionKind::kHeap);
  EXPECT_TRUE(p.unreadable.empty());
}

TEST(CapturePlan, AThreadStackStartsAtItsStackPointerLessTheRedZone) {
  gi::CaptureFacts f;
  f.maps = {mapping(0x100000, 0x200000, "rw", "[stack]")};
  user_regs_struct regs{};
  regs.rsp = 0x180013;
  regs.rbx = 0xabc;
  f.threads = {{7, &regs, false}};
  gi::CapturePlan p = gi::plan_capture(f);
  ASSERT_EQ(p.regions.size(), 1u);
  EXPECT_EQ(p.regions[0].start, (0x180013u - 128) & ~7u);
  EXPECT_EQ(p.regions[0].end, 0x200000u);
  EXPECT_NE(std::find(p.register_words.begin(), p.register_words.end(), 0xabcu), p.register_words.end());
}

TEST(CapturePlan, AnIdleWorkersRegistersAreLeftOut) {
  gi::CaptureFacts f;
  user_regs_struct idle{}, busy{};
  idle.rbx = 0x1111;
  busy.rbx = 0x2222;
  f.threads = {{1, &idle, true}, {2, &busy, false}};
  gi::CapturePlan p = gi::plan_capture(f);
  EXPECT_EQ(std::count(p.register_words.begin(), p.register_words.end(), 0x1111u), 0);
  EXPECT_EQ(std::count(p.register_words.begin(), p.register_words.end(), 0x2222u), 1);
}

TEST(CapturePlan, RunningAndSwitchingGoroutineStacks) {
  gi::CaptureFacts f;
  user_regs_struct on{}, off{};
  on.rsp = 0x58000;  // on the running goroutine's stack
  off.rsp = 0x9000;  // its thread left the stack already
  f.running = {{1, 0x50000, 0x60000, 0, false, &on},       // running: from rsp - red zone
               {2, 0x70000, 0x80000, 0x7f000, true, &off},  // switching, thread gone: saved context
               {3, 0x90000, 0xa0000, 0, false, nullptr}};   // running, thread unknown: whole stack
  gi::CapturePlan p = gi::plan_capture(f);
  ASSERT_NE(find(p.regions, 0x58000 - 128), nullptr);
  EXPECT_EQ(find(p.regions, 0x58000 - 128)->goroutine, 1u);
  ASSERT_NE(find(p.regions, 0x7f000), nullptr);
  EXPECT_EQ(find(p.regions, 0x7f000)->kind, gi::RegionKind::kStack);
  ASSERT_NE(find(p.regions, 0x90000), nullptr);
  ASSERT_EQ(p.unreadable.size(), 1u);
  EXPECT_EQ(p.unreadable[0], "goroutine 2's stack (it was switching)");
}

TEST(CapturePlan, ClosuresInTheArenaAreTakenFromIt) {
  gi::CaptureFacts f;
  f.arena_lo = 0x100000;
  f.arena_hi = 0x200000;
  f.closures = {{1, 0x100040, 64}, {2, 0x500000, 32}, {3, 0x600000, 0}, {4, 0x700000, 128u << 20}};
  gi::CapturePlan p = gi::plan_capture(f);
  ASSERT_EQ(p.arena_closures.size(), 1u);
  EXPECT_EQ(p.arena_closures[0].goroutine, 1u);
  ASSERT_EQ(p.regions.size(), 1u);
  EXPECT_EQ(p.regions[0].goroutine, 2u);
  EXPECT_EQ(p.regions[0].kind, gi::RegionKind::kClosure);
}

TEST(CapturePlan, AHugeMappingIsNotCopiedAndSaysSo) {
  gi::CaptureFacts f;
  f.maps = {mapping(0x10000000000, 0x30000000000, "rw")};
  gi::CapturePlan p = gi::plan_capture(f);
  EXPECT_TRUE(p.regions.empty());
  ASSERT_EQ(p.unreadable.size(), 1u);
  EXPECT_NE(p.unreadable[0].find("too large to copy"), std::string::npos);
}

}  // namespace
