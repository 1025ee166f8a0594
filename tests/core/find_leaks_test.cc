// Tests of gleak::find_leaks(), the leak analysis a program runs on itself.
#include "gleak/leaks.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/internal/leak_cli.h"
#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::LeakCertainty;

class FindLeaksTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, FindLeaksTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

// proven_of() lists the proven findings among goroutines started by goroutine parent:
// the tests share one process, and earlier tests leave their leaks behind.
std::vector<gleak::LeakFinding> proven_of(const gleak::LeakReport& r, uint64_t parent) {
  std::vector<gleak::LeakFinding> out;
  for (const gleak::LeakFinding& f : r.findings) {
    if (f.parent == parent && f.certainty == LeakCertainty::kProven) out.push_back(f);
  }
  return out;
}

// start_abandoned_senders() starts n goroutines that each send on a channel only they
// know (the receiver gave up), and returns their ids once each is about to block.
std::vector<uint64_t> start_abandoned_senders(int n) {
  Chan<uint64_t> ids(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    gleak::go([ids] {
      Chan<int> reply(0);
      ids.send(gleak::goroutine_id());
      gleak_test::abandoned([&reply] { reply.send(1); });  // no one will ever receive
    });
  }
  std::vector<uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(*ids.recv());
  std::sort(out.begin(), out.end());
  return out;
}

// The scan is conservative: a stale word in a live frame (a recycled stack, a slot not
// yet written) that happens to point at one of these channels keeps that sender alive,
// so not every leak is proven; a proof for a goroutine that is not leaked would be a
// bug. The goroutines are parked: each analysis is exact about the image it took, and
// asking again only helps with senders that were still on their way to the park.
void expect_proven_leaks(const std::vector<uint64_t>& leaked, uint64_t parent) {
  gleak::LeakReport r;
  std::vector<gleak::LeakFinding> proven;
  for (int i = 0; i < 20 && proven.size() < leaked.size(); ++i) {
    r = gleak::find_leaks();
    proven = proven_of(r, parent);
  }
  ASSERT_FALSE(proven.empty()) << r.text;
  EXPECT_TRUE(r.complete);
  for (const gleak::LeakFinding& f : proven) {
    EXPECT_TRUE(std::binary_search(leaked.begin(), leaked.end(), f.goroutine)) << "goroutine " << f.goroutine << "\n"
                                                                               << r.text;
    EXPECT_EQ(f.check, "no-exit-path");
    EXPECT_EQ(f.wait_reason, "chan send");
    EXPECT_TRUE(r.proven(f.goroutine));
  }
  EXPECT_NE(r.text.find("[chan send (leaked)"), std::string::npos) << r.text;
  EXPECT_NE(r.json.find("\"schema\": \"gleak.leaks\""), std::string::npos);
}

TEST_P(FindLeaksTest, ProvesGoroutinesSendingOnChannelsNoOneHasLeaked) {
  run([this] {
    std::vector<uint64_t> leaked = start_abandoned_senders(8);
    abandon(8);
    expect_proven_leaks(leaked, gleak::goroutine_id());
  });
}

TEST_P(FindLeaksTest, AGoroutineBlockedOnAChannelTheCallerHoldsIsNotLeaked) {
  run([] {
    auto ch = std::make_shared<Chan<int>>(0);
    Chan<int> started(0);
    gleak::go([ch, started] {
      started.send(1);
      ch->send(5);
    });
    started.recv();
    gleak::LeakReport r = gleak::find_leaks();
    EXPECT_TRUE(proven_of(r, gleak::goroutine_id()).empty()) << r.text;
    EXPECT_EQ(*ch->recv(), 5);
  });
}

TEST_P(FindLeaksTest, WorksFromAPlainThread) {
  run([this] {
    std::vector<uint64_t> leaked = start_abandoned_senders(8);
    abandon(8);
    uint64_t parent = gleak::goroutine_id();
    std::thread t([&] { expect_proven_leaks(leaked, parent); });
    t.join();
  });
}

TEST(FindLeaksErrors, ABadGleakCommandIsAClearError) {
  setenv("GLEAK_CLI", "/nonexistent/gleak", 1);
  try {
    gleak::find_leaks();
    ADD_FAILURE() << "find_leaks() did not throw";
  } catch (const gleak::LeakAnalysisError& e) {
    EXPECT_NE(std::string(e.what()).find("GLEAK_CLI"), std::string::npos) << e.what();
  }
  unsetenv("GLEAK_CLI");
}

// fake_cli() writes an executable shell script standing in for the gleak command.
std::string fake_cli(const std::string& body) {
  char path[] = "/tmp/gleak-fake-cli-XXXXXX";
  int fd = mkstemp(path);
  std::string text = "#!/bin/sh\n" + body + "\n";
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  fchmod(fd, 0700);
  close(fd);
  return path;
}

// A command that never answers is killed when the timeout passes; the program goes on.
TEST(FindLeaksErrors, ACommandThatHangsIsStoppedAtTheTimeout) {
  std::string cli = fake_cli("exec sleep 1000");
  setenv("GLEAK_CLI", cli.c_str(), 1);
  gleak::FindLeaksOptions o;
  o.timeout = std::chrono::milliseconds(300);
  try {
    gleak::find_leaks(o);
    ADD_FAILURE() << "find_leaks() did not throw";
  } catch (const gleak::LeakAnalysisError& e) {
    EXPECT_NE(std::string(e.what()).find("took longer than"), std::string::npos) << e.what();
  }
  unsetenv("GLEAK_CLI");
  unlink(cli.c_str());
}

// The command gets the pipes it answers on and nothing else the program holds open,
// and no DEBUGINFOD_URLS (a network fetch while the program is stopped).
TEST(FindLeaksErrors, TheCommandInheritsNoDescriptorAndNoDebuginfodUrl) {
  int held = open("/dev/null", O_RDONLY);  // not close-on-exec
  ASSERT_GE(held, 3);
  setenv("DEBUGINFOD_URLS", "http://debuginfod.invalid", 1);
  std::string cli = fake_cli("[ -e /proc/$$/fd/" + std::to_string(held) +
                             " ] && echo inherited-fd >&2; [ -n \"$DEBUGINFOD_URLS\" ] && echo inherited-url >&2; "
                             "echo checked >&2; exit 3");
  setenv("GLEAK_CLI", cli.c_str(), 1);
  try {
    gleak::find_leaks();
    ADD_FAILURE() << "find_leaks() did not throw";
  } catch (const gleak::LeakAnalysisError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("checked"), std::string::npos) << what;
    EXPECT_EQ(what.find("inherited-fd"), std::string::npos) << what;
    EXPECT_EQ(what.find("inherited-url"), std::string::npos) << what;
  }
  unsetenv("GLEAK_CLI");
  unsetenv("DEBUGINFOD_URLS");
  close(held);
  unlink(cli.c_str());
}

// $PATH is searched for the command only in absolute directories: an entry such as
// "bin" or "" names whatever directory the program happens to run in, and running the
// `gleak` found there would hand the process to whoever wrote it.
TEST(FindLeaksErrors, ARelativePathEntryIsNeverSearched) {
  char dir[] = "/tmp/gleak-path-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string base = dir;
  ASSERT_EQ(mkdir((base + "/bin").c_str(), 0700), 0);
  ASSERT_EQ(mkdir((base + "/abs").c_str(), 0700), 0);
  for (const std::string& exe : {base + "/gleak", base + "/bin/gleak", base + "/abs/gleak"}) {
    std::ofstream(exe) << "#!/bin/sh\n";
    chmod(exe.c_str(), 0700);
  }
  char old_cwd[4096];
  ASSERT_NE(getcwd(old_cwd, sizeof old_cwd), nullptr);
  ASSERT_EQ(chdir(dir), 0);
  EXPECT_EQ(gleak::internal::gleak_in_path("bin:.::"), "");
  EXPECT_EQ(gleak::internal::gleak_in_path(":bin:" + base + "/abs"), base + "/abs/gleak");
  EXPECT_EQ(gleak::internal::gleak_in_path(base + "/missing:" + base + "/abs"), base + "/abs/gleak");
  EXPECT_EQ(gleak::internal::gleak_in_path(""), "");
  ASSERT_EQ(chdir(old_cwd), 0);
  for (const std::string& f : {base + "/gleak", base + "/bin/gleak", base + "/abs/gleak"}) unlink(f.c_str());
  rmdir((base + "/bin").c_str());
  rmdir((base + "/abs").c_str());
  rmdir(dir);
}

// The library that gets installed knows only the installed command; the build tree's
// is compiled into the programs built in the tree.
TEST(FindLeaksErrors, TheLibrariesHoldNoBuildTreePath) {
  for (const char* library : {GLEAK_RUNTIME_LIBRARY, GLEAK_TESTING_LIBRARY}) {
    std::ifstream in(library, std::ios::binary);
    ASSERT_TRUE(in.good()) << library;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(GLEAK_BUILD_TREE_CLI), std::string::npos) << library;
  }
  std::ifstream in(GLEAK_RUNTIME_LIBRARY, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find("/bin/gleak"), std::string::npos);  // the installed path
}

}  // namespace
