// Go's duration syntax, as the CLI's flags and the runtime's environment read it.
#include "arena/duration.h"

#include <gtest/gtest.h>

namespace {

TEST(Duration, GoSyntaxIsNanoseconds) {
  EXPECT_EQ(gleak::parse_duration("1m30s"), 90'000'000'000);
  EXPECT_EQ(gleak::parse_duration("500ms"), 500'000'000);
  EXPECT_EQ(gleak::parse_duration("2h"), 7'200'000'000'000);
  EXPECT_EQ(gleak::parse_duration("1.5s"), 1'500'000'000);
  EXPECT_EQ(gleak::parse_duration("250us"), 250'000);
  EXPECT_EQ(gleak::parse_duration("250\u00b5s"), 250'000);
  EXPECT_EQ(gleak::parse_duration("1ns"), 1);
  EXPECT_EQ(gleak::parse_duration("1h2m3s4ms"), 3'723'004'000'000);
}

TEST(Duration, APlainNumberIsSeconds) {
  EXPECT_EQ(gleak::parse_duration("0"), 0);
  EXPECT_EQ(gleak::parse_duration("2"), 2'000'000'000);
  EXPECT_EQ(gleak::parse_duration("0.25"), 250'000'000);
}

TEST(Duration, AnythingElseIsRefused) {
  for (const char* bad : {"", "s", "5x", "ms5", "1.2.3s", "-1s", "1 s", "5m30", "1e3s", "99999999999h",
                          "123456789012345678901234567890123456789012345678901234567890123456789s"}) {
    EXPECT_EQ(gleak::parse_duration(bad), -1) << bad;
  }
}

}  // namespace
