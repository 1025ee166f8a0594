// The probe arena under hostile conditions, seen from the program's side: a file system
// that fills up (at start or later), a directory that is not the program's own, and a
// dead process's arena left under the pid the program now has. Each case runs the
// `parked` target in a child process; the program must go on whatever happens to its
// diagnostics.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "arena/layout.h"
#include "tests/child_process.h"

namespace {

using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::run_command;

// Tmpfs is a small tmpfs mounted on a fresh directory (root only; ok() is false, with
// why(), where mounting is not allowed).
class Tmpfs {
 public:
  explicit Tmpfs(const std::string& size) {
    char tmpl[] = "/tmp/gleak-tmpfs-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::string opts = "size=" + size + ",mode=0700";
    if (mount("none", dir_.c_str(), "tmpfs", 0, opts.c_str()) == 0) {
      mounted_ = true;
    } else {
      why_ = std::string("cannot mount a tmpfs here: ") + std::strerror(errno);
    }
  }
  ~Tmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    rmdir(dir_.c_str());
  }
  bool ok() const { return mounted_; }
  const std::string& why() const { return why_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string why_;
  bool mounted_ = false;
};

std::string parked() { return GLEAK_PARKED; }

// read_header() reads an arena file's header; false if it has none.
bool read_header(const std::string& path, gleak::arena::ArenaHeader* h) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = pread(fd, static_cast<void*>(h), sizeof *h, 0) == static_cast<ssize_t>(sizeof *h);
  close(fd);
  return ok;
}

off_t file_size(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// runs_without_an_arena() runs `parked <args>` with GLEAK_DIR=dir: it must succeed,
// say `says` on stderr and leave nothing in `looked_in` (dir, or where dir leads). It
// returns the program's output.
std::string runs_without_an_arena(const std::string& dir, const std::string& args, const std::string& says,
                                  const std::string& looked_in) {
  std::string out;
  int rc = run_command("GLEAK_DIR=" + dir + " " + parked() + " " + args + " 2>&1", &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(says), std::string::npos) << out;
  std::string ls;
  run_command("ls -A " + looked_in, &ls);
  EXPECT_EQ(ls, "");  // nothing half-made is left behind
  return out;
}

TEST(FullFileSystem, AtStartTheProgramRunsWithoutAnArenaAndSaysSo) {
  Tmpfs fs("256k");
  if (!fs.ok()) GTEST_SKIP() << fs.why();
  std::string dir = fs.dir() + "/g";
  std::string out = runs_without_an_arena(dir, "2000 exit", "no probe arena", dir);
  EXPECT_NE(out.find("ready 2000"), std::string::npos) << out;
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
}

TEST(FullFileSystem, LaterTheProgramGoesOnAndItsArenaSaysIncomplete) {
  Tmpfs fs("6m");
  if (!fs.ok()) GTEST_SKIP() << fs.why();
  std::string dir = fs.dir() + "/g";
  setenv("GLEAK_DIR", dir.c_str(), 1);
  Child p({parked(), "100000"});
  unsetenv("GLEAK_DIR");
  ASSERT_TRUE(p.wait_for("ready 100000"));
  std::string path = dir + "/" + std::to_string(p.pid()) + ".arena";
  gleak::arena::ArenaHeader h;
  ASSERT_TRUE(read_header(path, &h));
  EXPECT_NE(h.flags.load() & gleak::arena::kArenaIncomplete, 0u);
  // What the header says is in use is in the file.
  EXPECT_LE(static_cast<off_t>(h.file_size.load()), file_size(path));
  // The program's own work goes on.
  ASSERT_TRUE(p.wait_for("tick"));
  // The inspector reads what the file holds and says it is incomplete.
  std::string out;
  int rc = run_command("GLEAK_DIR=" + dir + " " GLEAK_CLI " dump --json " + std::to_string(p.pid()) + " 2>&1", &out);
  EXPECT_EQ(rc, 0) << out.substr(0, 2000);
  EXPECT_NE(out.find("\"arena_incomplete\": true"), std::string::npos) << out.substr(0, 2000);
  EXPECT_NE(out.find("the arena is incomplete"), std::string::npos) << out.substr(0, 2000);
  ASSERT_TRUE(p.wait_for("tick"));
}

TEST(FullFileSystem, AFullFileSystemWhileManyGoroutinesStartNeverKillsTheProgram) {
  Tmpfs fs("6m");
  if (!fs.ok()) GTEST_SKIP() << fs.why();
  std::string out;
  int rc = run_command("GLEAK_DIR=" + fs.dir() + "/g " + parked() + " 200000 exit 2>&1", &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ready 200000"), std::string::npos) << out;
  EXPECT_NE(out.find("cannot grow the probe arena"), std::string::npos) << out;
}

TEST(ArenaDirectory, AnotherUsersDirectoryGetsNoArena) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  ArenaDir base;
  std::string dir = base.path() + "/theirs";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(chown(dir.c_str(), 65534, 65534), 0);
  runs_without_an_arena(dir, "10 exit", "belongs to another user", dir);
}

TEST(ArenaDirectory, ADirectoryOthersMayWriteGetsNoArena) {
  ArenaDir base;
  std::string dir = base.path() + "/open";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  runs_without_an_arena(dir, "10 exit", "others may write to it", dir);
}

TEST(ArenaDirectory, ASymlinkedDirectoryGetsNoArena) {
  ArenaDir base;
  std::string real = base.path() + "/real", link = base.path() + "/link";
  ASSERT_EQ(mkdir(real.c_str(), 0700), 0);
  ASSERT_EQ(symlink(real.c_str(), link.c_str()), 0);
  runs_without_an_arena(link, "10 exit", "no probe arena", real);
}

// A process that starts under the pid of one that crashed must not truncate the
// post-mortem arena that one left: the old file is kept under its start time.
TEST(ArenaDirectory, ADeadProcessesArenaUnderOurPidIsKeptAside) {
  ArenaDir dir;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child plants "a crashed process's arena" under its own pid, then becomes the
    // program (same pid), which keeps its own arena at exit.
    std::string planted = dir.path() + "/" + std::to_string(getpid()) + ".arena";
    gleak::arena::ArenaHeader h{};
    std::memcpy(h.magic, gleak::arena::kMagic, sizeof h.magic);
    h.version = gleak::arena::kVersion;
    h.start_ticks = 4242;
    h.state.store(static_cast<uint32_t>(gleak::arena::ProcessState::kCrashed));
    int fd = open(planted.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, &h, sizeof h) != static_cast<ssize_t>(sizeof h)) _exit(90);
    close(fd);
    setenv("GLEAK_KEEP_ARENA", "1", 1);
    execl(GLEAK_PARKED, GLEAK_PARKED, "10", "exit", static_cast<char*>(nullptr));
    _exit(91);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  gleak::arena::ArenaHeader old, mine;
  ASSERT_TRUE(read_header(dir.path() + "/" + std::to_string(pid) + ".4242.arena", &old));
  EXPECT_EQ(old.state.load(), static_cast<uint32_t>(gleak::arena::ProcessState::kCrashed));
  ASSERT_TRUE(read_header(dir.path() + "/" + std::to_string(pid) + ".arena", &mine));
  EXPECT_EQ(mine.pid, pid);
  EXPECT_EQ(mine.state.load(), static_cast<uint32_t>(gleak::arena::ProcessState::kExited));
  EXPECT_NE(mine.start_ticks, 0u);
  EXPECT_NE(mine.start_ticks, 4242u);
}

}  // namespace
