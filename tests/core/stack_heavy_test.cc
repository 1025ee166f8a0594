// The heavy stack test: a million goroutines parked at once (label "heavy": a few
// seconds and about 4.5 GB of RSS; not run under sanitizers).
#include <gtest/gtest.h>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::Unit;

class StackHeavyTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, StackHeavyTest, ::testing::Values(2), gleak_test::WorkersName);

TEST_P(StackHeavyTest, AMillionGoroutinesCanBeParkedAtOnce) {
#if defined(__SANITIZE_ADDRESS__) || defined(GLEAK_SANITIZE_BUILD)
  GTEST_SKIP() << "too heavy under sanitizers";
#endif
  run([] {
    constexpr int kN = 1'000'000;
    Chan<Unit> gate(0);
    gleak::WaitGroup parked, finished;
    parked.add(kN);
    finished.add(kN);
    for (int i = 0; i < kN; ++i) {
      gleak::go([&, gate] {
        parked.done();
        gate.recv();
        finished.done();
      });
    }
    parked.wait();
    EXPECT_GE(gleak::num_goroutine(), kN + 1);
    gate.close();
    finished.wait();
  });
}

}  // namespace
