// testing/testing_main.cc — main() for GoogleTest binaries whose every test must leave
// no goroutine behind (target gleak::testing_main, in place of GTest::gtest_main).
#include <gtest/gtest.h>

#include "gleak/testing.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gleak::testing::install();
  return RUN_ALL_TESTS();
}
