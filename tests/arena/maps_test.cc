// One line of /proc/<pid>/maps (arena/maps.h), as the crash handler, the symbolizer and
// the inspector read it.
#include "arena/maps.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ga = gleak::arena;

namespace {

TEST(MapsLine, AFileMapping) {
  ga::MapsLine m;
  ASSERT_TRUE(ga::parse_maps_line("7f0c1a200000-7f0c1a3c5000 r-xp 00028000 fe:01 1315452    /usr/lib/x86_64-linux-gnu/libc.so.6", m));
  EXPECT_EQ(m.start, 0x7f0c1a200000u);
  EXPECT_EQ(m.end, 0x7f0c1a3c5000u);
  EXPECT_TRUE(m.read);
  EXPECT_FALSE(m.write);
  EXPECT_TRUE(m.exec);
  EXPECT_FALSE(m.shared);
  EXPECT_EQ(m.offset, 0x28000u);
  EXPECT_EQ(m.inode, 1315452u);
  EXPECT_EQ(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
}

TEST(MapsLine, AnonymousSharedAndPseudoMappings) {
  ga::MapsLine m;
  ASSERT_TRUE(ga::parse_maps_line("7ffd2f1e0000-7ffd2f201000 rw-p 00000000 00:00 0", m));
  EXPECT_TRUE(m.path.empty());
  EXPECT_TRUE(m.write);
  ASSERT_TRUE(ga::parse_maps_line("55d4c0a1b000-55d4c0a3c000 rw-p 00000000 00:00 0                          [heap]", m));
  EXPECT_EQ(m.path, "[heap]");
  ASSERT_TRUE(ga::parse_maps_line("7f00000000-7f00001000 rw-s 00000000 00:1a 77 /dev/shm/gleak-0/12.arena (deleted)", m));
  EXPECT_TRUE(m.shared);
  EXPECT_EQ(m.path, "/dev/shm/gleak-0/12.arena (deleted)");
}

TEST(MapsLine, WhatIsNotAMappingIsRefused) {
  ga::MapsLine m;
  for (const char* bad : {"", "-", "zz-10 rw-p 0 00:00 0", "1000-0800 rw-p 0 00:00 0", "1000-1000 rw-p 0 00:00 0",
                          "1000 2000 rw-p", "1000-2000", "1000-2000 rw", "1000-2000rw-p 0 00:00 0"}) {
    EXPECT_FALSE(ga::parse_maps_line(bad, m)) << bad;
  }
}

TEST(MapsLine, EveryLineOfThisProcessParses) {
  std::ifstream f("/proc/self/maps");
  std::stringstream text;
  text << f.rdbuf();
  std::string s = text.str();
  std::size_t lines = 0;
  for (char c : s) lines += c == '\n';
  std::vector<ga::MapsLine> got;
  ga::for_each_maps_line(s, [&](const ga::MapsLine& m) {
    got.push_back(m);
    return true;
  });
  EXPECT_EQ(got.size(), lines);
  bool stack = false;
  for (const ga::MapsLine& m : got) stack |= m.path == "[stack]";
  EXPECT_TRUE(stack);
}

TEST(MapsLine, TheCallerCanStopEarly) {
  int calls = 0;
  ga::for_each_maps_line("1000-2000 r--p 0 00:00 0\n3000-4000 r--p 0 00:00 0\n", [&](const ga::MapsLine&) {
    ++calls;
    return false;
  });
  EXPECT_EQ(calls, 1);
}

}  // namespace
