// Tests of the global deadlock check (core/internal/deadlock.h): when nothing can ever
// wake the main goroutine the process dies with Go's message and status 2; when a plain
// thread or a blocking call can still wake it, the check stays silent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;

class DeadlockDeathTest : public gleak_test::DeathTest {};
INSTANTIATE_TEST_SUITE_P(Workers, DeadlockDeathTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

constexpr const char* kDeadlock = "fatal error: all goroutines are asleep - deadlock!";

gleak::Config procs(int n) { return gleak::Config{.procs = n}; }

TEST_P(DeadlockDeathTest, MainReceivingFromAChannelNoOneHasDies) {
  EXPECT_EXIT(gleak::run(
                  [] {
                    Chan<int> ch(0);
                    ch.recv();
                  },
                  procs(GetParam())),
              ::testing::ExitedWithCode(2), std::string(kDeadlock) + "(.|\n)*goroutine 1 \\[chan receive \\(leaked\\)");
}

TEST_P(DeadlockDeathTest, MainWaitingForAWaitGroupNoOneCanDecrementDies) {
  EXPECT_EXIT(gleak::run(
                  [] {
                    gleak::WaitGroup wg;
                    wg.add(1);
                    Chan<int> never(0);
                    gleak::go([&wg, never] {
                      never.recv();  // the only one who could call done() waits forever
                      wg.done();
                    });
                    wg.wait();
                  },
                  procs(GetParam())),
              ::testing::ExitedWithCode(2), std::string(kDeadlock) + "(.|\n)*sync.WaitGroup.Wait \\(leaked\\)");
}

TEST_P(DeadlockDeathTest, MainLockingAMutexItHoldsDies) {
  EXPECT_EXIT(gleak::run(
                  [] {
                    gleak::Mutex mu;
                    mu.lock();
                    mu.lock();
                  },
                  procs(GetParam())),
              ::testing::ExitedWithCode(2), std::string(kDeadlock) + "(.|\n)*sync.Mutex.Lock \\(leaked\\)");
}

// Go's check would be disabled here: a goroutine sits in a system call with no timer.
// It holds nothing the main goroutine waits on, so it cannot wake it.
TEST_P(DeadlockDeathTest, ABlockingCallThatHoldsNoHandleDoesNotHideTheDeadlock) {
  EXPECT_EXIT(gleak::run(
                  [] {
                    int fds[2];
                    if (pipe(fds) != 0) std::abort();
                    gleak::go([fd = fds[0]] {
                      char c;
                      gleak::blocking([&] { return read(fd, &c, 1); });
                    });
                    Chan<int> ch(0);
                    ch.recv();
                  },
                  procs(GetParam())),
              ::testing::ExitedWithCode(2), std::string(kDeadlock) + "(.|\n)*chan receive \\(leaked\\)");
}

// wait_for_check() reads what the runtime logs (stderr, redirected to fd) until the
// deadlock check has run and found the main goroutine can still be woken.
void wait_for_check(int fd) {
  std::string seen;
  char buf[512];
  while (seen.find("can still be woken") == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) std::abort();
    seen.append(buf, static_cast<std::size_t>(n));
  }
}

// The main goroutine waits on a channel only a plain thread holds: no deadlock. The
// thread sends only after the check has run, so the check did see the main goroutine
// blocked with every worker idle.
int main_woken_by_a_plain_thread(int workers) {
  setenv("GLEAK_LOG", "debug", 1);
  int log[2];
  if (pipe(log) != 0 || dup2(log[1], 2) < 0) return 10;
  auto ch = std::make_shared<Chan<int>>(0);
  std::thread sender([ch, fd = log[0]] {
    wait_for_check(fd);
    ch->send(7);
  });
  int got = gleak::run([ch] { return *ch->recv(); }, procs(workers));
  sender.join();
  return got;
}

TEST_P(DeadlockDeathTest, AChannelAPlainThreadWillSendOnIsNoDeadlock) {
  EXPECT_EXIT(std::exit(main_woken_by_a_plain_thread(GetParam())), ::testing::ExitedWithCode(7), "");
}

// The same with a goroutine in a blocking call that holds the channel.
int main_woken_by_a_blocking_call(int workers) {
  setenv("GLEAK_LOG", "debug", 1);
  int log[2];
  if (pipe(log) != 0 || dup2(log[1], 2) < 0) return 10;
  return gleak::run(
      [fd = log[0]] {
        auto ch = std::make_shared<Chan<int>>(0);
        gleak::go([ch, fd] {
          gleak::blocking([fd] { wait_for_check(fd); });
          ch->send(9);
        });
        return *ch->recv();
      },
      procs(workers));
}

TEST_P(DeadlockDeathTest, AChannelAGoroutineInABlockingCallHoldsIsNoDeadlock) {
  EXPECT_EXIT(std::exit(main_woken_by_a_blocking_call(GetParam())), ::testing::ExitedWithCode(9), "");
}

}  // namespace

namespace {

// A program run where no gleak command can be found: main returns at once.
int run_without_a_gleak_command(int workers, const char* deadlock_env) {
  setenv("GLEAK_CLI", "/nonexistent/gleak", 1);
  if (deadlock_env != nullptr) setenv("GLEAK_DEADLOCK", deadlock_env, 1);
  return gleak::run([] { return 0; }, procs(workers));
}

}  // namespace

// Without the gleak command there is no deadlock check: the program says so once,
// instead of leaving a deadlock to hang silently.
TEST_P(DeadlockDeathTest, NoGleakCommandIsSaidOnceAtStart) {
  EXPECT_EXIT(std::exit(run_without_a_gleak_command(GetParam(), nullptr)), ::testing::ExitedWithCode(0),
              "^[^\n]*the deadlock check is off: the gleak command was not found[^\n]*\n$");
}

TEST_P(DeadlockDeathTest, NoGleakCommandIsNotMentionedWhenTheCheckIsOff) {
  EXPECT_EXIT(std::exit(run_without_a_gleak_command(GetParam(), "0")), ::testing::ExitedWithCode(0), "^$");
}
